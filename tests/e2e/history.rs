//! The account's history, watchlists and the market's hours through the binary: on the demo tape
//! over stdio (schemas, sizes, paging, the ledger against the balances and positions, the picture,
//! the replay clock through a holiday, the prompts, the official Python SDK's schema validation),
//! and on the live adapter against the fake TastyTrade.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Value, json};
use ttai_core::testing::schema;

use crate::analysis::picture;
use crate::live_fake::{REFRESH, SECRET, fake, ok, serve};
use crate::python_sdk::run_stdio_client;
use crate::support::{Ttai, output_schema};

const TOOLS: [&str; 5] = [
    "get_transactions",
    "get_realized_pnl",
    "get_net_liq_history",
    "get_watchlists",
    "get_market_status",
];

/// Calls `tool`, checks the answer against its output schema and returns the structured result.
fn checked(ttai: &mut Ttai, tools: &Value, tool: &str, args: Value) -> Value {
    let answer = ttai.request("tools/call", json!({"name": tool, "arguments": args}));
    let result = ok(answer["result"].clone());
    let problems = schema::validate(&output_schema(tools, tool), &result);
    assert!(problems.is_empty(), "{tool}: {problems:?}\n{result:#}");
    result
}

/// Every page of transactions from `args` on, following the cursor.
fn all_pages(ttai: &mut Ttai, tools: &Value, args: &Value) -> Vec<Value> {
    let mut all = Vec::new();
    let mut args = args.clone();
    for _ in 0..50 {
        let page = checked(ttai, tools, "get_transactions", args.clone());
        all.extend(page["transactions"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) => args["cursor"] = json!(cursor),
            None => return all,
        }
    }
    panic!("the pages never end");
}

fn money(value: &Value) -> f64 {
    value.as_f64().unwrap()
}

#[test]
fn the_demo_accounts_history_over_stdio() {
    let mut ttai = Ttai::spawn(&["--broker", "replay", "serve"]);
    ttai.initialize("2025-11-25");
    let tools = ttai.request("tools/list", json!({}));

    // Every default answer is sized for a model: under 16 KB of text, 40 KB of JSON-RPC.
    for tool in TOOLS {
        let answer = ttai.request("tools/call", json!({"name": tool, "arguments": {}}));
        let text = answer["result"]["content"][0]["text"].as_str().unwrap();
        assert!(text.len() < 16 * 1024, "{tool}: {} bytes of text", text.len());
        let size = answer.to_string().len();
        assert!(size < 40 * 1024, "{tool}: {size} bytes");
        let result = ok(answer["result"].clone());
        assert_eq!(
            (result["source"].as_str(), result["synthetic"].as_bool()),
            (Some("replay:demo"), Some(true)),
            "{tool}"
        );
    }

    // The whole ledger, ten at a time: every id once, newest first.
    let ledger = all_pages(
        &mut ttai,
        &tools,
        &json!({"start_date": "2025-01-01", "limit": 10}),
    );
    let ids: HashSet<u64> = ledger.iter().map(|t| t["id"].as_u64().unwrap()).collect();
    assert_eq!(ids.len(), ledger.len());
    assert!(ledger.len() >= 30, "{} transactions", ledger.len());
    let times: Vec<&str> = ledger
        .iter()
        .map(|t| t["executed_at"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let oldest = ledger.last().unwrap();
    assert_eq!(
        (oldest["type"].as_str(), oldest["sub_type"].as_str()),
        (Some("Money Movement"), Some("Deposit"))
    );

    // The ledger is the account's cash: the sum of every net value is the cash balance.
    let balances = ok(ttai.call("get_balances", json!({})));
    let cash: f64 = ledger.iter().map(|t| money(&t["net_value"])).sum();
    assert!(
        (cash - money(&balances["cash_balance"])).abs() < 0.005,
        "ledger {cash} vs cash balance {}",
        balances["cash_balance"]
    );
    // And its positions: what was opened and not closed is what the account holds.
    let mut open: BTreeMap<String, f64> = BTreeMap::new();
    for t in &ledger {
        let (Some(symbol), Some(action)) = (t["symbol"].as_str(), t["action"].as_str()) else {
            continue;
        };
        let sign = if action.starts_with("buy") { 1.0 } else { -1.0 };
        *open.entry(symbol.to_owned()).or_default() += sign * money(&t["quantity"]);
    }
    open.retain(|_, q| q.abs() > 1e-9);
    let positions = ok(ttai.call("get_positions", json!({})));
    let held: BTreeMap<String, f64> = positions["positions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["symbol"].as_str().unwrap().to_owned(), money(&p["quantity"])))
        .collect();
    assert_eq!(open, held);

    // Filters: one underlying, one type.
    let spy = checked(
        &mut ttai,
        &tools,
        "get_transactions",
        json!({"start_date": "2025-01-01", "symbol": "SPY", "limit": 100}),
    );
    assert!(
        spy["transactions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["underlying"] == "SPY")
    );
    let dividends = checked(
        &mut ttai,
        &tools,
        "get_transactions",
        json!({"start_date": "2025-01-01", "types": ["Money Movement"], "limit": 100}),
    );
    let subs: HashSet<&str> = dividends["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["sub_type"].as_str().unwrap())
        .collect();
    assert_eq!(subs, HashSet::from(["Dividend", "Deposit"]));
    let bad = ttai.call("get_transactions", json!({"cursor": "x"}));
    assert_eq!(bad["isError"], true);
    assert_eq!(bad["structuredContent"]["error"]["details"]["field"], "cursor");

    // Realized P&L since the account opened: the totals add up per underlying, and every dollar
    // of cash is accounted for: deposit + realized (after fees) + dividends − stock bought =
    // cash, with nothing unmatched.
    let realized = checked(
        &mut ttai,
        &tools,
        "get_realized_pnl",
        json!({"start_date": "2025-01-01"}),
    );
    let rows = realized["by_underlying"].as_array().unwrap();
    let sum = |key: &str| rows.iter().map(|r| money(&r[key])).sum::<f64>();
    assert!((sum("realized") - money(&realized["realized"])).abs() < 0.005);
    assert!(
        (money(&realized["gross"]) - money(&realized["fees"]) - money(&realized["realized"])).abs() < 0.005
    );
    assert!(realized["unmatched"].as_array().unwrap().is_empty(), "{realized}");
    let opened_premium: f64 = ledger
        .iter()
        .filter(|t| t["action"] == "sell_to_open" && open.contains_key(t["symbol"].as_str().unwrap()))
        .map(|t| money(&t["net_value"]))
        .sum();
    let stock_bought: f64 = ledger
        .iter()
        .filter(|t| t["action"] == "buy_to_open")
        .map(|t| money(&t["net_value"]))
        .sum();
    let deposit = money(&oldest["net_value"]);
    let accounted = deposit
        + money(&realized["realized"])
        + money(&realized["dividends"])
        + stock_bought
        + opened_premium;
    assert!(
        (accounted - money(&balances["cash_balance"])).abs() < 0.01,
        "deposit {deposit} + realized {} + dividends {} + stock {stock_bought} + open premium {opened_premium} = \
         {accounted}, cash {}",
        realized["realized"],
        realized["dividends"],
        balances["cash_balance"]
    );
    assert!(
        rows.iter()
            .any(|r| r["underlying"] == "AAPL" && money(&r["dividends"]) > 0.0)
    );

    // The net-liq series ends at today's net liq and starts at the deposit less the first fees.
    let year = checked(
        &mut ttai,
        &tools,
        "get_net_liq_history",
        json!({"time_back": "1y"}),
    );
    assert_eq!(year["end"]["net_liq"], balances["net_liquidating_value"]);
    assert!(year["points_total"].as_u64().unwrap() >= 240);
    assert!(year["points"].as_array().unwrap().len() <= 40);
    assert!(
        (money(&year["start"]["net_liq"]) - deposit).abs() < 10.0,
        "{}",
        year["start"]
    );
    let drawdown = &year["max_drawdown"];
    assert!(money(&drawdown["amount"]) > 0.0);
    assert!(drawdown["peak_at"].as_str() < drawdown["trough_at"].as_str());
    let chart = ttai.call(
        "get_net_liq_history",
        json!({"time_back": "1y", "include_chart": true}),
    );
    let (width, height, bytes) = picture(&chart);
    assert_eq!((width, height), (1000, 500));
    assert!(bytes < 100_000, "PNG size {bytes}");
    let bad = ttai.call("get_net_liq_history", json!({"time_back": "5y"}));
    assert_eq!(bad["structuredContent"]["error"]["details"]["field"], "time_back");

    // Watchlists.
    let lists = checked(&mut ttai, &tools, "get_watchlists", json!({}));
    assert_eq!(lists["count"], 2);
    let wheel = checked(
        &mut ttai,
        &tools,
        "get_watchlists",
        json!({"name": "wheel candidates"}),
    );
    assert_eq!(wheel["watchlists"][0]["symbols"], json!(["AAPL", "SPY", "IWM"]));
    let missing = ttai.call("get_watchlists", json!({"name": "Energy"}));
    assert_eq!(missing["structuredContent"]["error"]["code"], "NOT_FOUND");

    // The market at the tape's end (Friday 2026-11-20, 16:00 New York): after hours, Monday
    // next, Thanksgiving and its early close ahead.
    let status = checked(&mut ttai, &tools, "get_market_status", json!({}));
    assert_eq!(
        (status["state"].as_str(), status["is_open"].as_bool()),
        (Some("extended"), Some(false))
    );
    assert_eq!(status["next_session"]["date"], "2026-11-23");
    let closures: Vec<&str> = status["upcoming_closures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["date"].as_str().unwrap())
        .collect();
    assert!(
        closures.starts_with(&["2026-11-26", "2026-11-27"]),
        "{closures:?}"
    );
    // Labor Day on the replay clock: closed, and said so.
    ttai.call("replay_clock", json!({"to": "2026-09-07T16:00:00Z"}));
    let holiday = checked(&mut ttai, &tools, "get_market_status", json!({}));
    assert_eq!(holiday["state"], "closed");
    let summary = holiday["summary"].as_str().unwrap();
    assert!(
        summary.contains("closed (Labor Day)") && summary.contains("opens Tuesday 2026-09-08 at 09:30"),
        "{summary}"
    );
    // The history follows the clock too: nothing after it.
    let then = checked(
        &mut ttai,
        &tools,
        "get_transactions",
        json!({"start_date": "2026-09-01", "end_date": "2026-12-31"}),
    );
    assert!(
        then["transactions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["executed_at"].as_str() < Some("2026-09-07T16:00:00Z")),
        "{then}"
    );

    // The prompts name the tools.
    let briefing = ttai.request(
        "prompts/get",
        json!({"name": "morning-briefing", "arguments": {}}),
    );
    let text = briefing["result"]["messages"][0]["content"]["text"]
        .as_str()
        .unwrap();
    assert!(
        text.contains("get_market_status") && text.contains("get_net_liq_history"),
        "{text}"
    );
    let review = ttai.request(
        "prompts/get",
        json!({"name": "position-review", "arguments": {"symbol": "SPY"}}),
    );
    let text = review["result"]["messages"][0]["content"]["text"]
        .as_str()
        .unwrap();
    assert!(text.contains("get_transactions with symbol SPY"), "{text}");
}

#[test]
fn the_python_sdk_validates_the_history_schemas() {
    let summary = run_stdio_client("history_client.py");
    let calls = summary["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 9);
    for call in calls {
        assert_eq!(call["is_error"], false, "{call}");
        assert_eq!(call["text_is_json"], true, "{call}");
    }
    assert_eq!(summary["listed"], json!(TOOLS));
    assert_eq!(summary["pages_followed"], true);
    assert_eq!(summary["image_png"], true);
    assert_eq!(summary["scan_names_the_watchlist"], true);
    assert_eq!(summary["bad"]["error"]["details"]["field"], "types[0]");
}

#[test]
fn the_live_adapter_against_the_fake_tastytrade() {
    let fake = fake();
    let data = tempfile::tempdir().unwrap();
    let env = [
        ("TASTYTRADE_CLIENT_SECRET", SECRET),
        ("TASTYTRADE_REFRESH_TOKEN", REFRESH),
    ];
    let mut ttai = serve(data, &fake, &["serve"], &env);
    let tools = ttai.request("tools/list", json!({}));
    // The sample account's eight transactions over 200 days, three a page.
    let ledger = all_pages(
        &mut ttai,
        &tools,
        &json!({"start_date": "2000-01-01", "limit": 3}),
    );
    assert_eq!(ledger.len(), 8);
    let first = checked(
        &mut ttai,
        &tools,
        "get_transactions",
        json!({"start_date": "2000-01-01", "limit": 3}),
    );
    assert_eq!(
        (first["total"].as_u64(), first["pages"].as_u64()),
        (Some(8), Some(3))
    );
    assert_eq!(first["source"], "tastytrade");
    let put = &ledger[0];
    assert_eq!(
        (put["action"].as_str(), put["underlying"].as_str()),
        (Some("sell_to_open"), Some("AAPL"))
    );
    assert_eq!(
        (
            money(&put["value"]),
            money(&put["fees"]),
            money(&put["net_value"])
        ),
        (300.0, 1.14, 298.86)
    );
    // Realized over the last year: the SPY put (248.72) and the AAPL call (108.86).
    let today = first["end_date"]
        .as_str()
        .unwrap()
        .parse::<ttai_core::time::Date>()
        .unwrap();
    let realized = checked(
        &mut ttai,
        &tools,
        "get_realized_pnl",
        json!({"start_date": today.add_days(-365).to_string()}),
    );
    assert_eq!(realized["realized"], 357.58, "{realized}");
    assert_eq!(realized["dividends"], 175.0);
    let history = checked(
        &mut ttai,
        &tools,
        "get_net_liq_history",
        json!({"time_back": "all"}),
    );
    assert_eq!(history["end"]["net_liq"], 100_000.0);
    assert_eq!(history["points_total"], 60);
    let lists = checked(&mut ttai, &tools, "get_watchlists", json!({}));
    assert_eq!(lists["count"], 3);
    let status = checked(&mut ttai, &tools, "get_market_status", json!({}));
    assert_eq!(status["calendar_source"], "broker");
    assert!(status["next_session"]["date"].as_str().unwrap() > today.to_string().as_str());
    assert!(
        status["upcoming_closures"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["date"].as_str().unwrap() >= today.to_string().as_str())
    );
    for (endpoint, n) in [
        (contract_tests::fake_tastytrade::Endpoint::Transactions, 3),
        (contract_tests::fake_tastytrade::Endpoint::NetLiqHistory, 1),
        (contract_tests::fake_tastytrade::Endpoint::MarketSessions, 1),
        (contract_tests::fake_tastytrade::Endpoint::MarketHolidays, 1),
    ] {
        assert!(fake.calls(endpoint) >= n, "{endpoint:?}");
    }
}
