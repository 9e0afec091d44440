//! `ttai backtest` on a tiny hand-made tape whose trades and P&L are worked out by hand below,
//! on the demo tape, on a tape recorded from the fake TastyTrade, and on broken tapes.
//!
//! The hand-made tape (symbol XYZ, rate 0 so nothing but the numbers below matters):
//!
//! | snapshot (21:00Z) | chain: expiration → the one put with a market (bid/ask, mid) |
//! |---|---|
//! | 2025-01-10 | 02-14: 95P 1.90/2.10 (2.00) |
//! | 2025-01-24 | 02-14: 95P 0.85/0.95 (0.90); 02-28: 92P 1.20/1.30 (1.25) |
//! | 2025-02-14 | 02-28: 92P 0.70/0.80 (0.75); 03-21: 90P 1.45/1.55 (1.50) |
//! | 2025-03-21 | 04-25: 85P 0.95/1.05 (1.00) |
//!
//! Daily closes are 100 except 02-14 (96), 02-28 (94) and 03-21 (87). Entries need 30–45 DTE.
//!
//! Held to expiration, at the mid: 01-10 sell 95P @2.00; 01-24 it is open (marked 0.90: +110);
//! 02-14 it expires at 96, worthless: +200; sell 90P @1.50 (03-21 is 35 DTE; 02-28 is 14);
//! 03-21 it settles at 87: intrinsic 3.00, −150; sell 85P @1.00, open at the tape's end (0).
//! Total +50; capital 9 500 (the 95 strike); equity 0, 110, 200, 50: drawdown 150.
//!
//! With a 50 % take-profit: 01-24 the 95P costs 0.90 ≤ 1.00: closed, +110; sell 92P @1.25
//! (02-28 is 35 DTE); 02-14 it costs 0.75 (keeps 0.50 < 0.625): held; 03-21 it expired 02-28 at
//! 94, worthless: +125; sell 85P @1.00, open. Total +235.
//!
//! At the natural fill (sell at the bid): +190, −155 and the open 85P sold at 0.95 marked at
//! the 1.00 mid (−5): total +30.

use std::path::Path;

use serde_json::{Value, json};

use crate::support::run;

fn put(expiration: &str, strike: f64, bid: f64, ask: f64) -> Value {
    let (y, m, d) = (&expiration[2..4], &expiration[5..7], &expiration[8..10]);
    json!({
        "date": expiration,
        "expiration_type": "Regular",
        "settlement": "PM",
        "strikes": [{
            "strike": strike,
            "call": null,
            "put": {
                "symbol": format!("XYZ   {y}{m}{d}P{:08}", (strike * 1000.0) as u64),
                "bid": bid,
                "ask": ask,
                "volume": 100.0,
                "open_interest": 500.0
            }
        }]
    })
}

fn chain(at: &str, expirations: Vec<Value>) -> String {
    json!({
        "at": at,
        "op": "option_chain",
        "key": "XYZ",
        "data": {
            "underlying": "XYZ",
            "underlying_price": 100.0,
            "shares_per_contract": 100,
            "exercise_style": "American",
            "expirations": expirations,
            "as_of": at
        }
    })
    .to_string()
}

fn candle(date: &str, close: f64) -> String {
    json!({
        "at": format!("{date}T21:00:00Z"),
        "op": "candles",
        "key": "XYZ:daily",
        "data": [{"time": format!("{date}T00:00:00Z"), "open": 100.0, "high": close.max(100.0), "low": close.min(100.0), "close": close, "volume": 1000.0}]
    })
    .to_string()
}

/// Weekdays from 2025-01-06 to 2025-03-21 with their closes.
fn closes() -> Vec<(String, f64)> {
    let mut days = Vec::new();
    let mut date: ttai_core::time::Date = "2025-01-06".parse().unwrap();
    let end: ttai_core::time::Date = "2025-03-21".parse().unwrap();
    while date <= end {
        let weekday = (date.days_since_epoch() + 3).rem_euclid(7); // 0 = Monday
        if weekday < 5 {
            let text = date.to_string();
            let close = match text.as_str() {
                "2025-02-14" => 96.0,
                "2025-02-28" => 94.0,
                "2025-03-21" => 87.0,
                _ => 100.0,
            };
            days.push((text, close));
        }
        date = date.add_days(1);
    }
    days
}

/// Writes the tape of the module docs into `dir`.
fn write_tape(dir: &Path) {
    let mut lines: Vec<(String, String)> = closes()
        .into_iter()
        .map(|(date, close)| (format!("{date}T21:00:00Z"), candle(&date, close)))
        .collect();
    let snapshots = [
        ("2025-01-10T21:00:00Z", vec![put("2025-02-14", 95.0, 1.90, 2.10)]),
        (
            "2025-01-24T21:00:00Z",
            vec![
                put("2025-02-14", 95.0, 0.85, 0.95),
                put("2025-02-28", 92.0, 1.20, 1.30),
            ],
        ),
        (
            "2025-02-14T21:00:00Z",
            vec![
                put("2025-02-28", 92.0, 0.70, 0.80),
                put("2025-03-21", 90.0, 1.45, 1.55),
            ],
        ),
        ("2025-03-21T21:00:00Z", vec![put("2025-04-25", 85.0, 0.95, 1.05)]),
    ];
    for (at, expirations) in snapshots {
        lines.push((at.to_owned(), chain(at, expirations)));
    }
    // Candles of a day before that day's snapshot (both at 21:00, candles first).
    lines.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| b.1.contains("candles").cmp(&a.1.contains("candles")))
    });
    let text: String = lines.into_iter().map(|(_, line)| line + "\n").collect();
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("tape.jsonl"), text).unwrap();
    std::fs::write(
        dir.join("manifest.json"),
        json!({"name": "handmade", "description": "four hand-made chain snapshots of XYZ", "synthetic": true, "symbols": ["XYZ"]})
            .to_string(),
    )
    .unwrap();
}

/// `ttai backtest` of csp on XYZ over `tape` (rate 0, any delta) with `extra` arguments.
fn run_backtest(tape: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec![
        "--risk-free-rate",
        "0",
        "--tape",
        tape.to_str().unwrap(),
        "backtest",
        "--strategy",
        "csp",
        "--symbol",
        "XYZ",
        "--delta-min",
        "0",
        "--delta-max",
        "1",
    ];
    args.extend_from_slice(extra);
    run(&args, &[])
}

/// The JSON report of [`run_backtest`].
fn backtest(tape: &Path, extra: &[&str]) -> Value {
    let mut with_json = vec!["--json"];
    with_json.extend_from_slice(extra);
    let (code, stdout, stderr) = run_backtest(tape, &with_json);
    assert_eq!(code, 0, "stderr:\n{stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

fn pnls(report: &Value) -> Vec<(String, String, f64)> {
    report["trades"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["opened"].as_str().unwrap().to_owned(),
                t["exit"].as_str().unwrap().to_owned(),
                t["pnl"].as_f64().unwrap(),
            )
        })
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

#[test]
fn a_hand_made_tape_gives_the_hand_computed_trades() {
    let dir = tempfile::tempdir().unwrap();
    let tape = dir.path().join("handmade");
    write_tape(&tape);

    let held = backtest(&tape, &[]);
    assert_eq!(
        pnls(&held),
        [
            ("2025-01-10".to_owned(), "expired_worthless".to_owned(), 200.0),
            ("2025-02-14".to_owned(), "assigned".to_owned(), -150.0),
            ("2025-03-21".to_owned(), "open".to_owned(), 0.0),
        ]
    );
    let trades = held["trades"].as_array().unwrap();
    assert_eq!(trades[0]["legs"][0]["strike"], 95.0);
    assert_eq!(trades[0]["credit"], 2.0);
    assert_eq!(trades[0]["expiration"], "2025-02-14");
    assert_eq!(trades[0]["dte"], 35);
    assert_eq!(trades[1]["underlying_at_close"], 87.0);
    assert_eq!(trades[1]["close_debit"], 3.0);
    let s = &held["summary"];
    assert_eq!(
        (
            s["trades"].as_u64(),
            s["closed"].as_u64(),
            s["wins"].as_u64(),
            s["losses"].as_u64()
        ),
        (Some(3), Some(2), Some(1), Some(1))
    );
    assert_eq!(s["win_rate_percent"], 50.0);
    assert_eq!(s["total_pnl"], 50.0);
    assert_eq!(s["capital"], 9500.0);
    assert_eq!(s["total_return_percent"], 0.53);
    assert_eq!(s["days"], 70);
    let annualized = ((1.0 + 50.0 / 9500.0_f64).powf(365.0 / 70.0) - 1.0) * 100.0;
    assert!(
        close(
            s["annualized_return_percent"].as_f64().unwrap(),
            (annualized * 100.0).round() / 100.0
        ),
        "{s}"
    );
    assert_eq!(s["max_drawdown"], 150.0);
    assert_eq!(s["max_drawdown_percent"], 1.58);
    let equity: Vec<f64> = held["equity"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["pnl"].as_f64().unwrap())
        .collect();
    assert_eq!(equity, [0.0, 110.0, 200.0, 50.0]);
    assert_eq!(held["synthetic"], true);
    assert_eq!(held["source"], "replay:handmade");

    let take_profit = backtest(&tape, &["--take-profit", "50"]);
    assert_eq!(
        pnls(&take_profit),
        [
            ("2025-01-10".to_owned(), "take_profit".to_owned(), 110.0),
            ("2025-01-24".to_owned(), "expired_worthless".to_owned(), 125.0),
            ("2025-03-21".to_owned(), "open".to_owned(), 0.0),
        ]
    );
    assert_eq!(take_profit["trades"][0]["closed"], "2025-01-24");
    assert_eq!(take_profit["trades"][1]["closed"], "2025-02-28");
    assert_eq!(take_profit["summary"]["total_pnl"], 235.0);

    let natural = backtest(&tape, &["--fill", "natural"]);
    assert_eq!(
        pnls(&natural).iter().map(|p| p.2).collect::<Vec<_>>(),
        [190.0, -155.0, -5.0]
    );
    assert_eq!(natural["summary"]["total_pnl"], 30.0);

    // A window: entries from February only.
    let window = backtest(&tape, &["--from", "2025-02-01", "--to", "2025-02-28"]);
    assert_eq!(
        pnls(&window),
        [("2025-02-14".to_owned(), "assigned".to_owned(), -150.0)]
    );

    // The table for people and the equity curve.
    let picture = dir.path().join("equity.png");
    let (code, stdout, stderr) = run_backtest(&tape, &["--chart", picture.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("Backtest: csp on XYZ · replay:handmade (SYNTHETIC data)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("expired_worthless") && stdout.contains("+200.00"),
        "{stdout}"
    );
    assert!(stdout.contains("win rate 50.0%"), "{stdout}");
    let png = std::fs::read(&picture).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let reader = decoder.read_info().unwrap();
    assert_eq!((reader.info().width, reader.info().height), (1200, 600));
}

#[test]
fn every_strategy_runs_on_the_demo_tape() {
    for strategy in ["csp", "covered_call", "spread", "wheel"] {
        let (code, stdout, stderr) = run(
            &["backtest", "--strategy", strategy, "--symbol", "SPY", "--json"],
            &[],
        );
        assert_eq!(code, 0, "{strategy}: {stderr}");
        let report: Value = serde_json::from_str(&stdout).unwrap();
        let s = &report["summary"];
        // Covered calls are struck at or above the shares' basis: the shares bought at the first
        // snapshot spend most of the demo year below it, so few calls are sold.
        let least = if strategy == "covered_call" { 2 } else { 5 };
        assert!(s["trades"].as_u64().unwrap() >= least, "{strategy}: {s}");
        assert_eq!(report["synthetic"], true);
        // The totals add up: realized trade P&L plus stock moves plus what is open.
        let trades: f64 = report["trades"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["pnl"].as_f64().unwrap())
            .sum();
        assert!(
            (trades - s["option_pnl"].as_f64().unwrap()).abs() < 0.05,
            "{strategy}: {trades} vs {s}"
        );
        let total = s["option_pnl"].as_f64().unwrap() + s["stock_pnl"].as_f64().unwrap();
        assert!(
            (total - s["total_pnl"].as_f64().unwrap()).abs() < 0.05,
            "{strategy}: {s}"
        );
        let last = report["equity"].as_array().unwrap().last().unwrap()["pnl"]
            .as_f64()
            .unwrap();
        assert!(
            (last - s["total_pnl"].as_f64().unwrap()).abs() < 0.05,
            "{strategy}: {last} vs {s}"
        );
        if strategy == "wheel" || strategy == "covered_call" {
            assert!(!report["stock"].as_array().unwrap().is_empty(), "{strategy}");
        }
    }
}

#[test]
fn broken_tapes_and_bad_requests_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let tape = dir.path().join("broken");
    write_tape(&tape);
    let good = std::fs::read_to_string(tape.join("tape.jsonl")).unwrap();
    let mut lines: Vec<&str> = good.lines().collect();
    // Out of time order.
    lines.swap(3, 20);
    std::fs::write(tape.join("tape.jsonl"), lines.join("\n")).unwrap();
    let args = |t: &str| {
        vec![
            "--tape".to_owned(),
            t.to_owned(),
            "backtest".to_owned(),
            "--strategy".to_owned(),
            "csp".to_owned(),
            "--symbol".to_owned(),
            "XYZ".to_owned(),
        ]
    };
    let t = tape.to_str().unwrap();
    let argv = args(t);
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    let (code, _, stderr) = run(&argv, &[]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("tape.jsonl line 5") && stderr.contains("time order"),
        "{stderr}"
    );
    // A hand-edited chain that is not a chain.
    let edited = good.replacen("\"underlying_price\":100.0", "\"underlying_price\":\"lots\"", 1);
    std::fs::write(tape.join("tape.jsonl"), edited).unwrap();
    let (code, _, stderr) = run(&argv, &[]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("tape.jsonl line") && !stderr.contains("panicked"),
        "{stderr}"
    );
    // An empty tape.
    std::fs::write(tape.join("tape.jsonl"), "").unwrap();
    let (code, _, stderr) = run(&argv, &[]);
    assert_eq!(code, 1);
    assert!(stderr.contains("empty"), "{stderr}");
    // A symbol the tape does not have, a strategy that does not exist, a window with nothing.
    write_tape(&tape);
    let (code, _, stderr) = run(
        &["--tape", t, "backtest", "--strategy", "csp", "--symbol", "SPY"],
        &[],
    );
    assert_eq!(code, 1);
    assert!(stderr.contains("no option chains of SPY"), "{stderr}");
    let (code, _, stderr) = run(
        &[
            "--tape",
            t,
            "backtest",
            "--strategy",
            "strangle",
            "--symbol",
            "XYZ",
        ],
        &[],
    );
    assert_eq!(code, 1);
    assert!(stderr.contains("--strategy"), "{stderr}");
    let (code, _, stderr) = run(
        &[
            "--tape",
            t,
            "backtest",
            "--strategy",
            "csp",
            "--symbol",
            "XYZ",
            "--from",
            "2026-01-01",
        ],
        &[],
    );
    assert_eq!(code, 1);
    assert!(stderr.contains("from 2025-01-10 to 2025-03-21"), "{stderr}");
    // A tape whose expiration has no close to settle against.
    let without_close: String = good
        .lines()
        .filter(|l| {
            !(l.contains("\"op\":\"candles\"") && (l.contains("2025-02-1") || l.contains("2025-02-0")))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(tape.join("tape.jsonl"), without_close).unwrap();
    let (code, _, stderr) = run(&argv, &[]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("no daily close of XYZ on or before 2025-02-14"),
        "{stderr}"
    );
}
