//! `get_portfolio_risk` through the binary: on the demo tape over stdio (schema, the demo
//! account's structures and signals, the heat-map picture, the resource, the prompts, sizes, the
//! official Python SDK's schema validation), and on the live adapter against the fake
//! TastyTrade (the broker's streamed greeks, betas and ex-dividend dates from its metrics).

use serde_json::{Value, json};
use ttai_core::testing::schema;

use crate::analysis::picture;
use crate::live_fake::{REFRESH, SECRET, fake, ok, serve};
use crate::python_sdk::run_stdio_client;
use crate::support::{Ttai, output_schema};

#[test]
fn the_demo_book_over_stdio() {
    let mut ttai = Ttai::spawn(&["--broker", "replay", "serve"]);
    ttai.initialize("2025-11-25");
    let tools = ttai.request("tools/list", json!({}));
    let schema_of = output_schema(&tools, "get_portfolio_risk");

    let answer = ttai.request(
        "tools/call",
        json!({"name": "get_portfolio_risk", "arguments": {}}),
    );
    // Sized for a model: the text under 16 KB, the whole JSON-RPC answer under 40 KB.
    let text = answer["result"]["content"][0]["text"].as_str().unwrap();
    assert!(text.len() < 16 * 1024, "{} bytes of text", text.len());
    assert!(answer.to_string().len() < 40 * 1024);
    let risk = ok(answer["result"].clone());
    assert!(
        schema::validate(&schema_of, &risk).is_empty(),
        "{:?}",
        schema::validate(&schema_of, &risk)
    );
    assert_eq!(
        (risk["source"].as_str(), risk["synthetic"].as_bool()),
        (Some("replay:demo"), Some(true))
    );
    assert_eq!(risk["account"], "5SY•••01");
    // The demo account: 300 AAPL with three short calls, 100 QQQ, one short SPY put.
    let groups: Vec<(&str, &str)> = risk["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["underlying"].as_str().unwrap(), g["strategy"].as_str().unwrap()))
        .collect();
    assert_eq!(
        groups,
        [
            ("AAPL", "covered_call"),
            ("QQQ", "long_stock"),
            ("SPY", "short_put")
        ]
    );
    // Beta-weighted delta adds up over the underlyings, each with its metrics' beta.
    let sum: f64 = risk["underlyings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["beta_weighted_delta"].as_f64().unwrap())
        .sum();
    let total = risk["totals"]["beta_weighted_delta"].as_f64().unwrap();
    assert!((sum - total).abs() < 0.05, "{sum} vs {total}");
    assert!(
        risk["underlyings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["beta_source"] != "assumed")
    );
    // The tape's end: the AAPL calls are at 97 % of their credit, the SPY put at 21 DTE.
    let signals: Vec<(&str, &str)> = risk["signals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["group"].as_str().unwrap(), s["rule"].as_str().unwrap()))
        .collect();
    assert!(signals.contains(&("g1", "take_profit")), "{signals:?}");
    assert!(signals.contains(&("g3", "dte_21")), "{signals:?}");
    let worst = &risk["scenarios"]["worst"];
    assert_eq!(worst["move_percent"], -10.0, "{worst}");
    assert!(worst["pnl"].as_f64().unwrap() < 0.0);

    // The picture.
    let chart = ttai.call("get_portfolio_risk", json!({"include_chart": true}));
    let (width, _, bytes) = picture(&chart);
    assert_eq!(width, 1100);
    assert!(bytes < 200_000, "PNG size {bytes}");

    // One underlying, a grid of its own; bad grids are refused with the field named.
    let spy = ok(ttai.call(
        "get_portfolio_risk",
        json!({"symbol": "SPY", "moves": [-15, 0, 15], "iv_shifts": [0], "days": [0, 21]}),
    ));
    assert_eq!(spy["groups"].as_array().unwrap().len(), 1);
    // 21 days on, the put has expired: the grid shows the value at expiration.
    assert_eq!(spy["scenarios"]["days"], json!([0, 21]));
    let bad = ttai.call("get_portfolio_risk", json!({"iv_shifts": [-5, 200]}));
    assert_eq!(bad["isError"], true);
    assert_eq!(bad["structuredContent"]["error"]["code"], "VALIDATION_ERROR");
    assert_eq!(bad["structuredContent"]["error"]["details"]["field"], "iv_shifts");

    // The resource and the prompts.
    let resource = ttai.request("resources/read", json!({"uri": "portfolio://risk"}));
    let content: Value =
        serde_json::from_str(resource["result"]["contents"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(content["groups"], risk["groups"]);
    for (name, args) in [
        ("morning-briefing", json!({})),
        ("position-review", json!({"symbol": "AAPL"})),
    ] {
        let prompt = ttai.request("prompts/get", json!({"name": name, "arguments": args}));
        let text = prompt["result"]["messages"][0]["content"]["text"]
            .as_str()
            .unwrap();
        assert!(text.contains("get_portfolio_risk"), "{name}: {text}");
    }
}

#[test]
fn the_python_sdk_validates_the_portfolio_risk_schema() {
    let summary = run_stdio_client("portfolio_risk_client.py");
    assert_eq!(summary["listed"], true);
    let calls = summary["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 4);
    for call in calls {
        assert_eq!(call["is_error"], false, "{call}");
        assert_eq!(call["text_is_json"], true, "{call}");
    }
    assert_eq!(calls[1]["strategies"], json!(["covered_call"]));
    assert_eq!(calls[2]["worst"]["move_percent"], -20.0, "{}", calls[2]);
    assert_eq!(calls[3]["image_png"], true);
    assert_eq!(summary["bad"]["is_error"], true);
    assert_eq!(summary["bad"]["error"]["details"]["field"], "moves");
    assert_eq!(summary["resource_groups"], 3);
    assert_eq!(summary["prompts_use_the_tool"], true);
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
    let risk = ok(ttai.call("get_portfolio_risk", json!({})));
    let problems = schema::validate(&output_schema(&tools, "get_portfolio_risk"), &risk);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(
        (risk["source"].as_str(), risk["synthetic"].as_bool()),
        (Some("tastytrade"), Some(false))
    );
    assert_eq!(risk["account"], "5WT•••01");
    assert_eq!(risk["account_summary"]["net_liquidating_value"], 100_000.0);
    // The sample account: 100 SPY and a short AAPL put.
    let groups = risk["groups"].as_array().unwrap();
    let strategies: Vec<&str> = groups.iter().map(|g| g["strategy"].as_str().unwrap()).collect();
    assert_eq!(strategies, ["short_put", "long_stock"], "{risk}");
    // The put is greeked from the broker's DXLink greeks, and its beta comes from the metrics.
    let put = &groups[0]["legs"][0];
    assert_eq!(put["iv_source"], "broker", "{put}");
    assert!(put["delta"].as_f64().unwrap() < 0.0);
    let aapl = risk["underlyings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["symbol"] == "AAPL")
        .unwrap();
    assert_eq!(
        (aapl["beta"].as_f64(), aapl["beta_source"].as_str()),
        (Some(1.2), Some("market_metrics"))
    );
    assert!(
        risk["warnings"].as_array().unwrap().is_empty(),
        "{}",
        risk["warnings"]
    );
    // The ex-dividend date travels from the API's `dividend-ex-date`.
    let metrics = ok(ttai.call("get_market_metrics", json!({"symbol": "AAPL"})));
    let ex = metrics["metrics"][0]["ex_dividend_date"].as_str().unwrap();
    let today = risk["as_of"]
        .as_str()
        .unwrap()
        .get(..10)
        .unwrap()
        .parse::<ttai_core::time::Date>()
        .unwrap();
    assert_eq!(ex, today.add_days(20).to_string());
}
