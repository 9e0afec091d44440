//! The analysis tools over stdio on the demo tape: schemas, the chart picture, progress,
//! history.

use std::time::Duration;

use serde_json::{Value, json};
use ttai_core::testing::schema;

use crate::support::{Ttai, output_schema};

fn decode_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            other => panic!("not base64: {other}"),
        }
    };
    let bytes: Vec<u8> = text.bytes().filter(|b| *b != b'=').collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, c)| acc | (value(*c) << (18 - 6 * i)));
        out.push((n >> 16) as u8);
        if chunk.len() > 2 {
            out.push((n >> 8) as u8);
        }
        if chunk.len() > 3 {
            out.push(n as u8);
        }
    }
    out
}

#[test]
fn the_analysis_tools_answer_with_their_schemas_and_a_real_chart_picture() {
    let mut ttai = Ttai::spawn(&["--broker", "replay", "serve"]);
    ttai.initialize("2025-11-25");
    let tools = ttai.request("tools/list", json!({}));
    for (tool, args) in [
        ("analyze_chart", json!({"symbol": "IWM", "timeframe": "daily"})),
        ("analyze_chart", json!({"symbol": "SPY", "timeframe": "weekly"})),
        ("analyze_options", json!({"symbol": "SPY", "strategy": "csp"})),
        (
            "analyze_options",
            json!({"symbol": "QQQ", "strategy": "spread", "dte_min": 20, "dte_max": 50}),
        ),
        (
            "analyze_options",
            json!({"symbol": "AAPL", "strategy": "covered_call", "delta_min": 0.1, "delta_max": 0.3}),
        ),
        (
            "analyze_options",
            json!({"symbol": "SPY", "strategy": "covered_call"}),
        ),
    ] {
        let result = ttai.call(tool, args.clone());
        assert_eq!(result["isError"], false, "{tool} {args}: {result}");
        let problems = schema::validate(&output_schema(&tools, tool), &result["structuredContent"]);
        assert!(problems.is_empty(), "{tool} {args}: {problems:?}");
    }
    let no_shares = ttai.call(
        "analyze_options",
        json!({"symbol": "IWM", "strategy": "covered_call"}),
    );
    assert_eq!(no_shares["structuredContent"]["eligible"], false);
    assert!(
        no_shares["structuredContent"]["reason"]
            .as_str()
            .unwrap()
            .contains("100 shares")
    );

    let chart = ttai.call("analyze_chart", json!({"symbol": "SPY", "include_chart": true}));
    assert_eq!(chart["isError"], false, "{chart}");
    let (width, height, bytes) = picture(&chart);
    assert_eq!((width, height), (1200, 800));
    assert!(bytes > 10_000 && bytes < 2_000_000, "PNG size {bytes}");
}

/// The PNG image content of a tool result: it decodes whole, and `structuredContent.chart.bytes`
/// is its size. Returns (width, height, bytes).
pub(crate) fn picture(result: &Value) -> (u32, u32, usize) {
    let image = result["content"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "image")
        .expect("image content");
    assert_eq!(image["mimeType"], "image/png");
    let bytes = decode_base64(image["data"].as_str().unwrap());
    let size = bytes.len();
    assert_eq!(
        result["structuredContent"]["chart"]["bytes"].as_u64().unwrap() as usize,
        size
    );
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("a valid PNG");
    let (width, height) = (reader.info().width, reader.info().height);
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    reader.next_frame(&mut pixels).expect("PNG pixels decode");
    (width, height, size)
}

#[test]
fn the_full_analysis_reports_progress_and_lands_in_history() {
    let mut ttai = Ttai::spawn(&["--broker", "replay", "serve"]);
    ttai.initialize("2025-11-25");
    ttai.request("resources/subscribe", json!({"uri": "history://analyses"}));
    ttai.send_raw(
        &json!({"jsonrpc": "2.0", "id": "full", "method": "tools/call",
            "params": {"name": "run_full_analysis", "arguments": {"symbol": "AAPL", "strategy": "covered_call"}, "_meta": {"progressToken": "p1"}}})
        .to_string(),
    );
    let (answer, notes) = ttai.wait_for_id(&json!("full"));
    let progress: Vec<&Value> = notes
        .iter()
        .filter(|n| n["method"] == "notifications/progress")
        .collect();
    assert!(progress.len() >= 5, "{notes:?}");
    let values: Vec<f64> = progress
        .iter()
        .map(|p| p["params"]["progress"].as_f64().unwrap())
        .collect();
    assert!(
        values.windows(2).all(|w| w[0] < w[1]),
        "progress increases: {values:?}"
    );
    let result = &answer["result"]["structuredContent"];
    assert_eq!(answer["result"]["isError"], false, "{answer}");
    let id = result["analysis_id"].as_str().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let mut updated = notes
        .iter()
        .any(|n| n["method"] == "notifications/resources/updated");
    while let Some(message) = ttai.recv_timeout(Duration::from_millis(200)) {
        updated |= message["method"] == "notifications/resources/updated"
            && message["params"]["uri"] == "history://analyses";
    }
    assert!(updated);
    let history = ttai.request("resources/read", json!({"uri": "history://analyses/AAPL"}));
    let text: Value =
        serde_json::from_str(history["result"]["contents"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(text["analyses"][0]["id"], id);
    assert_eq!(
        text["analyses"][0]["result"]["recommendation"],
        result["recommendation"]
    );
    let completion = ttai.request(
        "completion/complete",
        json!({"ref": {"type": "ref/resource", "uri": "history://analyses/{symbol}"}, "argument": {"name": "symbol", "value": "AA"}}),
    );
    assert!(
        completion["result"]["completion"]["values"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v == "AAPL")
    );
}

/// A recommendation says what the management rules say about what the account already holds in
/// the symbol, as `get_portfolio_risk` says it: on the demo account the 3 short AAPL 265 calls
/// (sold at 2.40, marked 0.07) have captured 97 % of their $720 credit, and buying them back
/// costs $21, which is the step that frees the shares for a new call.
#[test]
fn the_full_analysis_says_what_to_do_with_what_is_already_held() {
    let mut ttai = Ttai::spawn(&["--broker", "replay", "serve"]);
    ttai.initialize("2025-11-25");
    let full = ttai.call(
        "run_full_analysis",
        json!({"symbol": "AAPL", "strategy": "covered_call"}),
    );
    assert_eq!(full["isError"], false, "{full}");
    let recommendation = &full["structuredContent"]["recommendation"];
    assert_eq!(recommendation["action"], "avoid", "{recommendation}");
    let risk = ttai.call("get_portfolio_risk", json!({"symbol": "AAPL"}));
    assert_eq!(
        recommendation["position_signals"], risk["structuredContent"]["signals"],
        "the same rules as get_portfolio_risk"
    );
    let signals = recommendation["position_signals"].as_array().unwrap();
    let take_profit = signals
        .iter()
        .find(|s| s["rule"] == "take_profit")
        .expect("the take-profit rule fires");
    assert_eq!(take_profit["severity"], "action");
    assert_eq!(take_profit["numbers"]["credit_received"], 720.0);
    assert_eq!(take_profit["numbers"]["cost_to_close"], 21.0);
    assert_eq!(take_profit["numbers"]["profit_captured_percent"], 97.1);
    let reasons: Vec<&str> = recommendation["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(
        reasons[0].contains("naked call"),
        "the first reason states the decision: {reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("before adding to AAPL, manage what you hold")
                && r.contains("buying back costs $21.00")),
        "{reasons:?}"
    );
    // Nothing held in IWM: nothing to manage, and no such reason.
    let iwm = ttai.call(
        "run_full_analysis",
        json!({"symbol": "IWM", "strategy": "spread"}),
    );
    let recommendation = &iwm["structuredContent"]["recommendation"];
    assert_eq!(recommendation["position_signals"], json!([]));
    assert!(
        !recommendation["reasons"]
            .to_string()
            .contains("manage what you hold"),
        "{recommendation}"
    );
}

/// Options past their expiration that the broker still lists, as the demo tape's positions do
/// on Monday 2026-06-01 (recorded before Friday 2026-05-29's expiration): the SPY 555 put
/// expired worthless (SPY above 590) and no longer counts, so it no longer fills the exposure
/// cap; the 3 AAPL 240 calls expired in the money (AAPL above 246), so the 300 shares they cover
/// are to be called away and no new call is recommended against them, and nothing tells the
/// trader to buy back or roll an option that cannot be traded any more.
#[test]
fn options_past_expiration_count_for_what_they_left() {
    let mut ttai = Ttai::spawn(&["--broker", "replay", "serve"]);
    ttai.initialize("2025-11-25");
    let clock = ttai.call("replay_clock", json!({"to": "2026-06-01"}));
    assert_eq!(clock["isError"], false, "{clock}");
    let positions = ttai.call("get_positions", json!({}));
    let positions = &positions["structuredContent"];
    let expired = positions["expired"].as_array().unwrap();
    let find = |underlying: &str| {
        expired
            .iter()
            .find(|e| e["underlying"] == underlying)
            .unwrap_or_else(|| panic!("{underlying} expired: {positions}"))
    };
    let put = find("SPY");
    assert_eq!(put["expiration"], "2026-05-29");
    assert_eq!(
        (&put["in_the_money"], &put["counted"]),
        (&json!(false), &json!(false))
    );
    // Judged at the close of its expiration day, the tape's SPY bar of 2026-05-29.
    assert_eq!(put["price_is_expiration_close"], true, "{put}");
    assert!(put["underlying_price"].as_f64().unwrap() > 555.0, "{put}");
    let calls = find("AAPL");
    assert_eq!(
        (&calls["in_the_money"], &calls["counted"]),
        (&json!(true), &json!(true))
    );
    assert_eq!(calls["price_is_expiration_close"], true, "{calls}");
    assert!(calls["underlying_price"].as_f64().unwrap() > 240.0, "{calls}");
    assert!(
        calls["outcome"]
            .as_str()
            .unwrap()
            .contains("300 shares sold (called away) at 240 by assignment"),
        "{calls}"
    );
    let listed: Vec<&str> = positions["positions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["underlying"].as_str().unwrap())
        .collect();
    assert!(
        !listed.contains(&"SPY"),
        "the worthless put is left out: {listed:?}"
    );

    // SPY: nothing at risk any more; the put is named as expired, not counted.
    let spy = ttai.call("run_full_analysis", json!({"symbol": "SPY", "strategy": "csp"}));
    let spy = &spy["structuredContent"];
    assert_eq!(spy["account"]["exposure"]["total"], 0.0, "{}", spy["account"]);
    assert_eq!(spy["account"]["expired_in_symbol"][0]["counted"], false);
    assert_eq!(spy["recommendation"]["position_signals"], json!([]));

    // AAPL: the shares are spoken for by the assignment; the reasons say so, and no rule says
    // to buy back or roll the expired calls.
    let aapl = ttai.call(
        "run_full_analysis",
        json!({"symbol": "AAPL", "strategy": "covered_call"}),
    );
    let recommendation = &aapl["structuredContent"]["recommendation"];
    assert_eq!(recommendation["action"], "avoid", "{recommendation}");
    let first = recommendation["reasons"][0].as_str().unwrap();
    assert!(
        first.contains("3 of them expired in the money") && !first.contains("close one first"),
        "{first}"
    );
    let signals = recommendation["position_signals"].as_array().unwrap();
    assert!(
        signals
            .iter()
            .any(|s| s["rule"] == "expired" && s["severity"] == "action"),
        "{signals:?}"
    );
    assert!(
        signals
            .iter()
            .all(|s| s["rule"] != "take_profit" && s["rule"] != "dte_21"),
        "{signals:?}"
    );
}

/// The first tool call of a fresh process sees the tape's "now", as every later one does: a
/// chart analysed first thing covers the same 450 days (the same bars, the same support levels)
/// as the same analysis asked again. It used to take every bar since the epoch, because the
/// clock answered before the tape was read.
#[test]
fn the_first_call_of_a_fresh_process_reads_the_tapes_clock() {
    let analyse = |ttai: &mut Ttai| {
        let chart = ttai.call("analyze_chart", json!({"symbol": "SPY", "timeframe": "daily"}));
        assert_eq!(chart["isError"], false, "{chart}");
        let chart = &chart["structuredContent"];
        (chart["bars"].clone(), chart["levels"].clone())
    };
    let mut ttai = Ttai::spawn(&["--broker", "replay", "serve"]);
    ttai.initialize("2025-11-25");
    let first = analyse(&mut ttai);
    let again = analyse(&mut ttai);
    assert_eq!(
        first, again,
        "the first analysis of the process is the same as the next"
    );
    // About 450 calendar days of trading days, not the tape's two years.
    let bars = first.0.as_u64().unwrap();
    assert!((300..=330).contains(&bars), "{bars} bars");
}
