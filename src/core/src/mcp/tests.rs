//! Engine tests: the JSON-RPC envelope, version negotiation, dispatch, errors, cancellation,
//! progress and panics, driven through `handle_frame` as a transport would.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};

use super::*;
use crate::app::AppConfig;
use crate::testing::{CollectingOutbound, FakeBroker, InMemoryStore, sample_market, sample_now, schema};

struct Boom;

#[async_trait]
impl Tool for Boom {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "boom",
            title: "Boom",
            description: "panics",
            input_schema: json!({"type": "object"}),
            output_schema: || json!({"type": "object"}),
            hints: Hints::READS_LOCAL,
        }
    }
    async fn call(&self, _: &App, _: Args, _: &ToolContext) -> Result<ToolOutput, crate::AppError> {
        panic!("boom");
    }
}

struct Slow;

#[async_trait]
impl Tool for Slow {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "slow",
            title: "Slow",
            description: "reports progress then waits",
            ..Boom.spec()
        }
    }
    async fn call(&self, _: &App, _: Args, ctx: &ToolContext) -> Result<ToolOutput, crate::AppError> {
        ctx.progress(1.0, Some(2.0), "halfway");
        tokio::time::sleep(Duration::from_secs(30)).await;
        Ok(ToolOutput::new(json!({})))
    }
}

struct Harness {
    server: McpServer,
    session: Arc<Session>,
    out: Arc<CollectingOutbound>,
}

impl Harness {
    fn new() -> Harness {
        Harness::with_limits(Limits::default())
    }

    fn with_limits(limits: Limits) -> Harness {
        let broker = Arc::new(FakeBroker::new(sample_market(), sample_now()));
        let config = AppConfig {
            default_account: None,
            risk_free_rate: 0.04,
            dividend_yield: 0.0,
            quote_ttl: Duration::from_secs(60),
            chain_ttl: Duration::from_secs(300),
        };
        let app = Arc::new(App::new(broker, Arc::new(InMemoryStore::new()), config));
        let mut tools = ToolRegistry::standard();
        tools.extend(ToolRegistry::alerts_and_history());
        tools.extend(ToolRegistry::knowledge());
        tools.extend(ToolRegistry::analysis());
        tools.push(Arc::new(Boom));
        tools.push(Arc::new(Slow));
        let server = McpServer::with_limits(
            app,
            ToolRegistry::new(tools),
            ServerInfo {
                name: "ttai".into(),
                version: "test".into(),
            },
            limits,
        );
        let out = Arc::new(CollectingOutbound::new());
        let session = server.open_session(out.clone());
        Harness { server, session, out }
    }

    /// Sends a frame and returns the messages that arrive within a short wait.
    async fn send(&self, frame: &str, expect: usize) -> Vec<Value> {
        let before = self.out.messages().len();
        self.server.handle_frame(&self.session, frame, self.out.clone());
        let all = self.out.wait_for(before + expect, Duration::from_secs(5)).await;
        all[before..]
            .iter()
            .map(|m| serde_json::from_str(m).expect("every message is JSON"))
            .collect()
    }

    async fn one(&self, frame: &str) -> Value {
        let mut replies = self.send(frame, 1).await;
        assert_eq!(replies.len(), 1, "expected one reply to {frame}");
        replies.remove(0)
    }

    async fn init(&self, version: &str) -> Value {
        let reply = self
            .one(&format!(
                r#"{{"jsonrpc":"2.0","id":0,"method":"initialize","params":{{"protocolVersion":"{version}","capabilities":{{}},"clientInfo":{{"name":"t","version":"1"}}}}}}"#
            ))
            .await;
        self.send(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#, 0)
            .await;
        reply
    }

    async fn call(&self, tool: &str, args: Value) -> Value {
        let frame = json!({"jsonrpc":"2.0","id":"c1","method":"tools/call","params":{"name": tool, "arguments": args}});
        self.one(&frame.to_string()).await
    }
}

#[tokio::test]
async fn initialize_echoes_a_supported_version_and_offers_the_newest_otherwise() {
    let h = Harness::new();
    let reply = h.init("2025-03-26").await;
    assert_eq!(reply["result"]["protocolVersion"], "2025-03-26");
    assert_eq!(reply["result"]["serverInfo"]["name"], "ttai");
    assert_eq!(reply["result"]["capabilities"]["resources"]["subscribe"], true);
    let h = Harness::new();
    assert_eq!(
        h.init("1999-01-01").await["result"]["protocolVersion"],
        "2025-11-25"
    );
    let h = Harness::new();
    let reply = h
        .one(r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#)
        .await;
    assert_eq!(reply["error"]["code"], -32602);
}

#[tokio::test]
async fn ids_of_every_form_are_echoed_exactly() {
    let h = Harness::new();
    h.init("2025-11-25").await;
    for id in [
        "\"abc\"",
        "-1",
        "0",
        "18446744073709551615",
        "-9223372036854775808",
        "\"\"",
    ] {
        let frame = format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"ping"}}"#);
        let before = h.out.messages().len();
        h.server.handle_frame(&h.session, &frame, h.out.clone());
        let raw = h.out.wait_for(before + 1, Duration::from_secs(5)).await[before].clone();
        assert!(raw.contains(&format!("\"id\":{id},")), "{raw}");
        assert!(raw.contains("\"result\":{}"), "{raw}");
    }
}

#[tokio::test]
async fn notifications_and_responses_get_no_reply() {
    let h = Harness::new();
    h.init("2025-11-25").await;
    assert!(
        h.send(r#"{"jsonrpc":"2.0","method":"notifications/whatever"}"#, 0)
            .await
            .is_empty()
    );
    assert!(
        h.send(r#"{"jsonrpc":"2.0","id":9,"result":{}}"#, 0)
            .await
            .is_empty()
    );
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(h.out.messages().len(), 1, "only the initialize answer");
}

#[tokio::test]
async fn malformed_frames_get_protocol_errors_and_the_server_keeps_serving() {
    let h = Harness::new();
    h.init("2025-11-25").await;
    assert_eq!(h.one("{oops").await["error"]["code"], -32700);
    assert_eq!(
        h.one(r#"{"jsonrpc":"1.0","id":3,"method":"ping"}"#).await["error"]["code"],
        -32600
    );
    assert_eq!(
        h.one(r#"{"jsonrpc":"2.0","id":4,"method":"nope"}"#).await["error"]["code"],
        -32601
    );
    assert_eq!(
        h.one(r#"{"jsonrpc":"2.0","id":5,"method":"tools/list","params":[1]}"#)
            .await["error"]["code"],
        -32602
    );
    assert_eq!(
        h.one(r#"{"jsonrpc":"2.0","id":6,"method":"ping"}"#).await["result"],
        json!({})
    );
}

#[tokio::test]
async fn batches_follow_the_negotiated_version() {
    let h = Harness::new();
    h.init("2025-06-18").await;
    let refused = h.one(r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#).await;
    assert_eq!(refused["error"]["code"], -32600);

    let h = Harness::new();
    h.init("2025-03-26").await;
    let answer = h
        .one(r#"[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/initialized"},{"jsonrpc":"2.0","id":"x","method":"nope"}]"#)
        .await;
    let answers = answer.as_array().expect("a batch answer is an array");
    assert_eq!(answers.len(), 2);
    assert_eq!(answers[0]["id"], 1);
    assert_eq!(answers[1]["error"]["code"], -32601);
    assert_eq!(h.one("[]").await["error"]["code"], -32600);
    assert!(
        h.send(r#"[{"jsonrpc":"2.0","method":"notifications/initialized"}]"#, 0)
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn tools_list_describes_every_tool_with_schemas_and_annotations() {
    let h = Harness::new();
    h.init("2025-11-25").await;
    let reply = h.one(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#).await;
    let tools = reply["result"]["tools"].as_array().unwrap();
    for name in [
        "get_quote",
        "get_option_chain",
        "get_positions",
        "get_balances",
        "get_market_metrics",
        "search_symbols",
    ] {
        let tool = tools
            .iter()
            .find(|t| t["name"] == name)
            .unwrap_or_else(|| panic!("{name} listed"));
        assert_eq!(tool["inputSchema"]["type"], "object");
        assert_eq!(tool["outputSchema"]["type"], "object");
        assert_eq!(tool["annotations"]["readOnlyHint"], true);
    }
    assert_eq!(
        h.one(r#"{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"cursor":"zz"}}"#)
            .await["error"]["code"],
        -32602
    );
}

#[tokio::test]
async fn every_standard_tool_answers_with_content_matching_its_output_schema() {
    let h = Harness::new();
    h.init("2025-11-25").await;
    let calls = [
        ("get_quote", json!({"symbol": "SPY"})),
        ("get_quote", json!({"symbols": ["SPY", "AAPL", "NOPE"]})),
        ("get_option_chain", json!({"symbol": "SPY"})),
        (
            "get_option_chain",
            json!({"symbol": "AAPL", "strikes_around": 2, "dte_min": 40}),
        ),
        ("get_positions", json!({})),
        ("get_balances", json!({})),
        ("get_market_metrics", json!({"symbols": ["SPY", "AAPL"]})),
        ("search_symbols", json!({"query": "apple"})),
        ("get_quote", json!({"symbol": "/ES"})),
        ("get_option_chain", json!({"symbol": "/ES", "dte_max": 400})),
    ];
    for (tool, args) in calls {
        let reply = h.call(tool, args.clone()).await;
        let result = &reply["result"];
        assert_eq!(result["isError"], false, "{tool} {args}: {reply}");
        let structured = &result["structuredContent"];
        let text: Value = serde_json::from_str(result["content"][0]["text"].as_str().unwrap()).unwrap();
        assert_eq!(&text, structured, "the text content is the same JSON");
        let (spec, _) = h.server.tools().get(tool).unwrap();
        let problems = schema::validate(&(spec.output_schema)(), structured);
        assert!(problems.is_empty(), "{tool}: {problems:?}");
        assert_eq!(structured["source"], "fake");
    }
    let quotes = h.call("get_quote", json!({"symbols": "spy,nope"})).await;
    assert_eq!(quotes["result"]["structuredContent"]["missing"], json!(["NOPE"]));
}

/// Options on a future are priced with Black-76 on the contract each expiration delivers: an
/// expiration on the next contract uses that contract's price, not the front month's.
#[tokio::test]
async fn futures_options_are_priced_on_their_own_contract() {
    use crate::app::{Pricing, analyse_contract};
    use crate::domain::OptionType;

    let h = Harness::new();
    h.init("2025-11-25").await;
    let want = sample_market()
        .chains
        .into_iter()
        .find(|c| c.underlying.as_str() == "/ES")
        .unwrap();
    let reply = h
        .call(
            "get_option_chain",
            json!({"symbol": "/ES", "dte_max": 1000, "strikes_around": 2}),
        )
        .await;
    let view = &reply["result"]["structuredContent"];
    let model = view["model"]["name"].as_str().unwrap();
    assert!(model.starts_with("Black-76"), "{model}");
    assert_eq!(
        view["model"]["dividend_yield"], 0.04,
        "Black-76: the yield is the rate"
    );
    assert_eq!(view["model"]["dividend_yield_source"], "black76");
    assert_eq!(view["shares_per_contract"], 50);
    let expirations = view["expirations"].as_array().unwrap();
    assert_eq!(expirations.len(), 3);
    let (last, last_want) = (&expirations[2], &want.expirations[2]);
    let contract = last_want.underlying.as_ref().unwrap();
    assert_eq!(last["underlying"], contract.symbol.as_str());
    assert_eq!(last["underlying_price"], contract.price.unwrap());
    assert_ne!(contract.price, want.underlying_price, "a different contract");
    // Centred on its own contract and priced from it.
    let centre = last["strikes"][2]["strike"].as_f64().unwrap();
    assert!((centre - contract.price.unwrap()).abs() <= 12.5, "{centre}");
    let row = last_want.strikes.iter().find(|r| r.strike == centre).unwrap();
    let pricing = Pricing {
        spot: contract.price.unwrap(),
        rate: 0.04,
        dividend_yield: 0.04,
        quotes_at: want.as_of,
    };
    let expected = analyse_contract(
        &pricing,
        OptionType::Put,
        centre,
        last_want.date,
        row.put.as_ref().unwrap(),
    );
    assert!(expected.iv.is_some());
    assert_eq!(last["strikes"][2]["put"]["iv"], json!(expected.iv));
    assert_eq!(last["strikes"][2]["put"]["delta"], json!(expected.delta));
}

#[tokio::test]
async fn tool_failures_are_results_the_model_can_read() {
    let h = Harness::new();
    h.init("2025-11-25").await;
    let bad = h.call("get_quote", json!({"symbol": 42})).await;
    assert_eq!(bad["result"]["isError"], true);
    assert_eq!(
        bad["result"]["structuredContent"]["error"]["code"],
        "VALIDATION_ERROR"
    );
    assert_eq!(
        bad["result"]["structuredContent"]["error"]["details"]["field"],
        "symbol"
    );
    let unknown_arg = h.call("get_balances", json!({"acount": "x"})).await;
    assert_eq!(
        unknown_arg["result"]["structuredContent"]["error"]["code"],
        "VALIDATION_ERROR"
    );
    let missing = h.call("get_quote", json!({"symbol": "ZZZZ"})).await;
    assert_eq!(
        missing["result"]["structuredContent"]["error"]["code"],
        "NOT_FOUND"
    );
    let unknown = h.call("no_such_tool", json!({})).await;
    assert_eq!(unknown["error"]["code"], -32602);
}

#[tokio::test]
async fn a_panicking_handler_answers_internal_error_and_the_server_keeps_serving() {
    let h = Harness::new();
    h.init("2025-11-25").await;
    let reply = h.call("boom", json!({})).await;
    assert_eq!(reply["error"]["code"], -32603);
    assert_eq!(reply["id"], "c1");
    assert_eq!(
        h.call("get_quote", json!({"symbol": "SPY"})).await["result"]["isError"],
        false
    );
}

#[tokio::test]
async fn progress_is_reported_and_a_cancelled_request_is_never_answered() {
    let h = Harness::new();
    h.init("2025-11-25").await;
    let frame = r#"{"jsonrpc":"2.0","id":77,"method":"tools/call","params":{"name":"slow","arguments":{},"_meta":{"progressToken":"tok"}}}"#;
    let progress = h.send(frame, 1).await;
    assert_eq!(progress[0]["method"], "notifications/progress");
    assert_eq!(progress[0]["params"]["progressToken"], "tok");
    assert_eq!(h.session.in_flight(), 1);
    h.send(
        r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":77,"reason":"user"}}"#,
        0,
    )
    .await;
    assert_eq!(h.session.in_flight(), 0);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        h.out.messages().iter().all(|m| !m.contains("\"id\":77")),
        "no answer for the cancelled request"
    );
    assert_eq!(
        h.one(r#"{"jsonrpc":"2.0","id":78,"method":"ping"}"#).await["id"],
        78
    );
}

#[tokio::test]
async fn logging_follows_the_level_the_client_sets() {
    let h = Harness::new();
    h.init("2025-11-25").await;
    assert_eq!(
        h.one(r#"{"jsonrpc":"2.0","id":1,"method":"logging/setLevel","params":{"level":"loud"}}"#)
            .await["error"]["code"],
        -32602
    );
    h.one(r#"{"jsonrpc":"2.0","id":2,"method":"logging/setLevel","params":{"level":"error"}}"#)
        .await;
    let replies = h
        .send(
            r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"get_quote","arguments":{}}}"#,
            2,
        )
        .await;
    assert!(
        replies
            .iter()
            .any(|m| m["method"] == "notifications/message" && m["params"]["level"] == "error")
    );
}

#[tokio::test]
async fn resources_and_prompts_are_listed_read_and_refused_properly() {
    let h = Harness::new();
    h.init("2025-11-25").await;
    let list = h
        .one(r#"{"jsonrpc":"2.0","id":1,"method":"resources/list"}"#)
        .await;
    assert!(
        list["result"]["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["uri"] == "portfolio://positions")
    );
    for uri in ["portfolio://positions", "portfolio://balances"] {
        let read = h
            .one(&format!(
                r#"{{"jsonrpc":"2.0","id":2,"method":"resources/read","params":{{"uri":"{uri}"}}}}"#
            ))
            .await;
        let text = read["result"]["contents"][0]["text"].as_str().unwrap();
        let value: Value = serde_json::from_str(text).unwrap();
        assert_eq!(value["account"], "5WT•••01");
    }
    let missing = h
        .one(r#"{"jsonrpc":"2.0","id":3,"method":"resources/read","params":{"uri":"nope://x"}}"#)
        .await;
    assert_eq!(missing["error"]["code"], -32002);

    let prompts = h.one(r#"{"jsonrpc":"2.0","id":4,"method":"prompts/list"}"#).await;
    let names: Vec<&str> = prompts["result"]["prompts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "analyze-for-csp",
            "morning-briefing",
            "position-review",
            "iv-rank-scan"
        ]
    );
    let got = h.one(r#"{"jsonrpc":"2.0","id":5,"method":"prompts/get","params":{"name":"analyze-for-csp","arguments":{"symbol":"spy"}}}"#).await;
    assert!(
        got["result"]["messages"][0]["content"]["text"]
            .as_str()
            .unwrap()
            .contains("SPY")
    );
    let missing_arg = h
        .one(r#"{"jsonrpc":"2.0","id":6,"method":"prompts/get","params":{"name":"position-review"}}"#)
        .await;
    assert_eq!(missing_arg["error"]["code"], -32602);
    let unknown = h
        .one(r#"{"jsonrpc":"2.0","id":7,"method":"prompts/get","params":{"name":"nope"}}"#)
        .await;
    assert_eq!(unknown["error"]["code"], -32602);
}

#[tokio::test]
async fn completions_suggest_symbols_for_prompt_arguments() {
    let h = Harness::new();
    h.init("2025-11-25").await;
    let reply = h
        .one(r#"{"jsonrpc":"2.0","id":1,"method":"completion/complete","params":{"ref":{"type":"ref/prompt","name":"analyze-for-csp"},"argument":{"name":"symbol","value":"a"}}}"#)
        .await;
    assert_eq!(reply["result"]["completion"]["values"], json!(["AAPL"]));
}

#[tokio::test]
async fn an_alert_set_where_the_price_already_is_says_it_fires_at_the_next_check() {
    let h = Harness::new();
    h.init("2025-11-25").await;
    let met = h
        .call(
            "set_price_alert",
            json!({"symbol": "SPY", "condition": "below", "threshold": 9999}),
        )
        .await;
    let met = &met["result"]["structuredContent"];
    assert_eq!(met["already_met"], true, "{met}");
    assert!(
        met["current_price"].as_f64().is_some_and(|p| p <= 9999.0),
        "{met}"
    );
    let (spec, _) = h.server.tools().get("set_price_alert").unwrap();
    assert!(schema::validate(&(spec.output_schema)(), met).is_empty());
    let not_yet = h
        .call(
            "set_price_alert",
            json!({"symbol": "SPY", "condition": "above", "threshold": 9999}),
        )
        .await;
    assert_eq!(not_yet["result"]["structuredContent"]["already_met"], false);
}

#[tokio::test]
async fn alert_tools_set_list_delete_and_notify_subscribers() {
    let h = Harness::new();
    h.init("2025-11-25").await;
    h.one(r#"{"jsonrpc":"2.0","id":1,"method":"resources/subscribe","params":{"uri":"alerts://active"}}"#)
        .await;
    let frame = json!({"jsonrpc":"2.0","id":"set","method":"tools/call","params":{"name":"set_price_alert",
        "arguments":{"symbol": "spy", "condition": "above", "threshold": 9999, "note": "moon"}}});
    let messages = h.send(&frame.to_string(), 2).await;
    let set = messages.iter().find(|m| m["id"] == "set").unwrap().clone();
    assert!(
        messages
            .iter()
            .any(|m| m["method"] == "notifications/resources/updated"
                && m["params"]["uri"] == "alerts://active")
    );
    let structured = &set["result"]["structuredContent"];
    assert_eq!(set["result"]["isError"], false, "{set}");
    let (spec, _) = h.server.tools().get("set_price_alert").unwrap();
    assert!(schema::validate(&(spec.output_schema)(), structured).is_empty());
    let id = structured["alert"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        structured["already_met"], false,
        "SPY is far below 9999: {structured}"
    );
    h.one(r#"{"jsonrpc":"2.0","id":9,"method":"resources/unsubscribe","params":{"uri":"alerts://active"}}"#)
        .await;
    let listed = h.call("list_alerts", json!({})).await;
    assert_eq!(listed["result"]["structuredContent"]["count"], 1);
    let bad = h
        .call(
            "set_price_alert",
            json!({"symbol": "SPY", "condition": "sideways", "threshold": 1}),
        )
        .await;
    assert_eq!(
        bad["result"]["structuredContent"]["error"]["details"]["field"],
        "condition"
    );
    let bad = h
        .call(
            "set_price_alert",
            json!({"symbol": "SPY", "condition": "below", "threshold": 0}),
        )
        .await;
    assert_eq!(
        bad["result"]["structuredContent"]["error"]["details"]["field"],
        "threshold"
    );
    let deleted = h.call("delete_alert", json!({"id": id})).await;
    assert_eq!(
        deleted["result"]["structuredContent"]["deleted"]["status"],
        "deleted"
    );
    let again = h.call("delete_alert", json!({"id": id})).await;
    assert_eq!(again["result"]["structuredContent"]["error"]["code"], "NOT_FOUND");
    let read = h
        .one(r#"{"jsonrpc":"2.0","id":2,"method":"resources/read","params":{"uri":"alerts://active"}}"#)
        .await;
    let text: Value = serde_json::from_str(read["result"]["contents"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(text["count"], 0);
    let history = h.call("get_analysis_history", json!({"symbol": "SPY"})).await;
    assert_eq!(history["result"]["structuredContent"]["count"], 0);
}

#[tokio::test]
async fn knowledge_is_searchable_and_readable_as_resources() {
    let h = Harness::new();
    h.init("2025-11-25").await;
    let found = h
        .call(
            "search_knowledge",
            json!({"query": "what is iv rank", "limit": 3}),
        )
        .await;
    let structured = &found["result"]["structuredContent"];
    assert_eq!(
        structured["results"][0]["path"], "basics/implied-volatility.md",
        "{structured}"
    );
    let (spec, _) = h.server.tools().get("search_knowledge").unwrap();
    assert!(schema::validate(&(spec.output_schema)(), structured).is_empty());
    let empty = h.call("search_knowledge", json!({"query": "   "})).await;
    assert_eq!(
        empty["result"]["structuredContent"]["error"]["code"],
        "VALIDATION_ERROR"
    );
    let too_many = h
        .call("search_knowledge", json!({"query": "iron condor", "limit": 51}))
        .await;
    assert_eq!(
        too_many["result"]["structuredContent"]["error"]["details"]["field"],
        "limit"
    );
    let huge = h
        .call("search_knowledge", json!({"query": "x".repeat(600)}))
        .await;
    assert_eq!(
        huge["result"]["structuredContent"]["error"]["code"],
        "VALIDATION_ERROR"
    );

    let list = h
        .one(r#"{"jsonrpc":"2.0","id":1,"method":"resources/list"}"#)
        .await;
    let resources = list["result"]["resources"].as_array().unwrap();
    let doc = resources
        .iter()
        .find(|r| r["uri"] == "knowledge://documents/strategies/iron-condor.md")
        .unwrap();
    assert_eq!(doc["mimeType"], "text/markdown");
    let read = h.one(r#"{"jsonrpc":"2.0","id":2,"method":"resources/read","params":{"uri":"knowledge://options/strategies/csp"}}"#).await;
    assert!(
        read["result"]["contents"][0]["text"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("cash-secured put")
    );
    let unknown = h.one(r#"{"jsonrpc":"2.0","id":3,"method":"resources/read","params":{"uri":"knowledge://options/strategies/butterfly"}}"#).await;
    assert_eq!(unknown["error"]["code"], -32002);
    assert!(
        unknown["error"]["message"]
            .as_str()
            .unwrap()
            .contains("iron-condor")
    );
    let templates = h
        .one(r#"{"jsonrpc":"2.0","id":4,"method":"resources/templates/list"}"#)
        .await;
    assert_eq!(
        templates["result"]["resourceTemplates"].as_array().unwrap().len(),
        2
    );
    let completion = h
        .one(r#"{"jsonrpc":"2.0","id":5,"method":"completion/complete","params":{"ref":{"type":"ref/resource","uri":"knowledge://options/strategies/{strategy}"},"argument":{"name":"strategy","value":"b"}}}"#)
        .await;
    assert_eq!(
        completion["result"]["completion"]["values"],
        json!(["bear-call-spread", "bull-put-spread"])
    );
}

#[tokio::test]
async fn analysis_tools_match_their_schemas_and_the_full_analysis_reports_progress_and_is_saved() {
    let h = Harness::new();
    h.init("2025-11-25").await;
    let calls = [
        ("analyze_chart", json!({"symbol": "SPY"})),
        ("analyze_chart", json!({"symbol": "AAPL", "timeframe": "weekly"})),
        (
            "analyze_options",
            json!({"symbol": "SPY", "strategy": "csp", "dte_min": 0, "dte_max": 60, "delta_min": 0.05, "delta_max": 0.6}),
        ),
        (
            "analyze_options",
            json!({"symbol": "AAPL", "strategy": "covered_call"}),
        ),
        (
            "analyze_options",
            json!({"symbol": "SPY", "strategy": "spread", "chart_context": {"nearest_support": 500.0}}),
        ),
    ];
    for (tool, args) in calls {
        let reply = h.call(tool, args.clone()).await;
        let result = &reply["result"];
        assert_eq!(result["isError"], false, "{tool} {args}: {reply}");
        let (spec, _) = h.server.tools().get(tool).unwrap();
        let problems = schema::validate(&(spec.output_schema)(), &result["structuredContent"]);
        assert!(problems.is_empty(), "{tool}: {problems:?}");
    }
    let weekly = h
        .call("analyze_chart", json!({"symbol": "AAPL", "timeframe": "weekly"}))
        .await;
    assert_eq!(
        weekly["result"]["structuredContent"]["aggregated_from_daily"],
        true
    );
    let intraday = h
        .call(
            "analyze_chart",
            json!({"symbol": "AAPL", "timeframe": "intraday"}),
        )
        .await;
    assert_eq!(
        intraday["result"]["structuredContent"]["error"]["details"]["field"],
        "timeframe"
    );
    let no_renderer = h
        .call("analyze_chart", json!({"symbol": "AAPL", "include_chart": true}))
        .await;
    assert_eq!(
        no_renderer["result"]["structuredContent"]["error"]["code"],
        "ANALYSIS_ERROR"
    );
    let bad = h
        .call(
            "analyze_options",
            json!({"symbol": "SPY", "strategy": "strangle"}),
        )
        .await;
    assert_eq!(
        bad["result"]["structuredContent"]["error"]["details"]["field"],
        "strategy"
    );
    let bad = h
        .call(
            "analyze_options",
            json!({"symbol": "SPY", "strategy": "csp", "delta_min": 0.5, "delta_max": 0.2}),
        )
        .await;
    assert_eq!(
        bad["result"]["structuredContent"]["error"]["details"]["field"],
        "delta_min"
    );

    let frame = r#"{"jsonrpc":"2.0","id":"full","method":"tools/call","params":{"name":"run_full_analysis","arguments":{"symbol":"SPY","strategy":"csp"},"_meta":{"progressToken":7}}}"#;
    let messages = h.send(frame, 7).await;
    let progress: Vec<&Value> = messages
        .iter()
        .filter(|m| m["method"] == "notifications/progress")
        .collect();
    assert_eq!(progress.len(), 6, "{messages:?}");
    assert!(
        progress
            .iter()
            .all(|p| p["params"]["progressToken"] == 7 && p["params"]["total"] == 5.0)
    );
    let answer = messages.iter().find(|m| m["id"] == "full").unwrap();
    let structured = &answer["result"]["structuredContent"];
    let (spec, _) = h.server.tools().get("run_full_analysis").unwrap();
    assert!(schema::validate(&(spec.output_schema)(), structured).is_empty());
    assert!(["sell", "wait", "avoid"].contains(&structured["recommendation"]["action"].as_str().unwrap()));
    let history = h
        .call("get_analysis_history", json!({"include_details": true}))
        .await;
    let saved = &history["result"]["structuredContent"]["analyses"][0];
    assert_eq!(saved["id"], structured["analysis_id"]);
    assert_eq!(saved["result"]["recommendation"], structured["recommendation"]);
}

#[tokio::test]
async fn requests_before_initialize_are_refused_and_initialize_happens_once() {
    let h = Harness::new();
    let early = h.one(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#).await;
    assert_eq!(early["error"]["code"], -32600, "{early}");
    assert!(
        early["error"]["message"]
            .as_str()
            .unwrap()
            .contains("initialize first")
    );
    let early_call = h
        .one(r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get_quote","arguments":{"symbol":"SPY"}}}"#)
        .await;
    assert_eq!(early_call["error"]["code"], -32600);
    assert_eq!(
        h.one(r#"{"jsonrpc":"2.0","id":3,"method":"ping"}"#).await["result"],
        json!({}),
        "ping is allowed before initialize"
    );
    h.init("2025-06-18").await;
    let again = h
        .one(r#"{"jsonrpc":"2.0","id":4,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#)
        .await;
    assert_eq!(again["error"]["code"], -32600, "{again}");
    assert_eq!(
        h.session.protocol_version(),
        Some(ProtocolVersion::V2025_06_18),
        "a second initialize renegotiates nothing"
    );
    let tools = h.one(r#"{"jsonrpc":"2.0","id":5,"method":"tools/list"}"#).await;
    assert!(
        tools["result"]["tools"].as_array().is_some_and(|t| !t.is_empty()),
        "{tools}"
    );
}

#[tokio::test]
async fn a_batch_is_bounded_in_length_and_in_answer_bytes() {
    // The size of one chain answer sets the budget: one fits, two do not.
    let probe = Harness::new();
    probe.init("2025-03-26").await;
    let one_chain = probe.one(&json!({"jsonrpc":"2.0","id": 1,"method":"tools/call","params":{"name":"get_option_chain","arguments":{"symbol":"SPY"}}}).to_string()).await;
    let chain_bytes = one_chain.to_string().len();
    let budget = chain_bytes * 3 / 2;
    let h = Harness::with_limits(Limits {
        max_batch_len: 4,
        max_batch_answer_bytes: budget,
        ..Limits::default()
    });
    h.init("2025-03-26").await;
    let chain = |id: u32| json!({"jsonrpc":"2.0","id": id,"method":"tools/call","params":{"name":"get_option_chain","arguments":{"symbol":"SPY"}}});
    let too_long = Value::Array((1..=5).map(chain).collect()).to_string();
    let refused = h.one(&too_long).await;
    assert_eq!(refused["error"]["code"], -32600, "{refused}");
    assert_eq!(refused["error"]["data"]["budget"], "batch_length");
    assert_eq!(refused["error"]["data"]["limit"], 4);

    // The second answer passes the budget: it and the rest are errors that name the budget,
    // each with its own id; nothing is lost or answered twice.
    let batch = Value::Array((1..=4).map(chain).collect()).to_string();
    let answer = h.one(&batch).await;
    let answers = answer.as_array().expect("an array");
    assert_eq!(answers.len(), 4);
    assert_eq!(answers[0]["id"], 1);
    assert_eq!(answers[0]["result"]["isError"], false);
    for (i, a) in answers.iter().enumerate().skip(1) {
        assert_eq!(a["id"], i as u64 + 1, "{a}");
        assert_eq!(a["error"]["code"], codes::LIMIT_EXCEEDED, "{a}");
        assert_eq!(a["error"]["data"]["budget"], "batch_answer_bytes");
    }
    assert!(answer.to_string().len() <= budget + 4 * 300);
    assert_eq!(h.session.in_flight(), 0);
}

#[tokio::test]
async fn a_positional_array_in_a_batch_is_refused_not_run() {
    let h = Harness::new();
    h.init("2025-03-26").await;
    let answer = h
        .one(r#"[["2.0", 1, "tools/call", {"name":"set_price_alert","arguments":{"symbol":"SPY","condition":"above","threshold":1000}}], {"jsonrpc":"2.0","id":2,"method":"ping"}]"#)
        .await;
    let answers = answer.as_array().unwrap();
    assert_eq!(answers.len(), 2, "{answer}");
    assert_eq!(answers[0]["error"]["code"], -32600, "{answer}");
    assert_eq!(answers[1]["id"], 2);
    let alerts = h.call("list_alerts", json!({})).await;
    assert_eq!(
        alerts["result"]["structuredContent"]["count"].as_u64(),
        Some(0),
        "nothing ran: {alerts}"
    );
}

#[tokio::test]
async fn subscriptions_per_session_are_capped() {
    let h = Harness::with_limits(Limits {
        max_subscriptions: 2,
        ..Limits::default()
    });
    h.init("2025-11-25").await;
    for (i, uri) in ["alerts://active", "portfolio://positions"].iter().enumerate() {
        let ok = h
            .one(
                &json!({"jsonrpc":"2.0","id": i,"method":"resources/subscribe","params":{"uri": uri}})
                    .to_string(),
            )
            .await;
        assert_eq!(ok["result"], json!({}), "{ok}");
    }
    let again = h
        .one(r#"{"jsonrpc":"2.0","id":8,"method":"resources/subscribe","params":{"uri":"alerts://active"}}"#)
        .await;
    assert_eq!(
        again["result"],
        json!({}),
        "subscribing twice to one URI costs nothing"
    );
    let third = h
        .one(r#"{"jsonrpc":"2.0","id":9,"method":"resources/subscribe","params":{"uri":"portfolio://balances"}}"#)
        .await;
    assert_eq!(third["error"]["code"], codes::LIMIT_EXCEEDED, "{third}");
    assert_eq!(third["error"]["data"]["budget"], "subscriptions");
}

#[tokio::test]
async fn requests_in_flight_per_session_are_capped_and_ids_are_not_reused() {
    let h = Harness::with_limits(Limits {
        max_in_flight: 2,
        ..Limits::default()
    });
    h.init("2025-11-25").await;
    for id in [1, 2] {
        let frame =
            json!({"jsonrpc":"2.0","id": id,"method":"tools/call","params":{"name":"slow","arguments":{}}});
        h.server
            .handle_frame(&h.session, &frame.to_string(), h.out.clone());
    }
    assert_eq!(h.session.in_flight(), 2);
    let third = h
        .one(r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"slow","arguments":{}}}"#)
        .await;
    assert_eq!(third["error"]["code"], codes::LIMIT_EXCEEDED, "{third}");
    assert_eq!(third["error"]["data"]["budget"], "requests_in_flight");
    h.send(
        r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":2}}"#,
        0,
    )
    .await;
    let reused = h.one(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#).await;
    assert_eq!(
        reused["error"]["code"], -32600,
        "id 1 is still in flight: {reused}"
    );
    assert_eq!(
        h.one(r#"{"jsonrpc":"2.0","id":4,"method":"ping"}"#).await["id"],
        4
    );
}

#[tokio::test]
async fn a_batch_is_in_flight_from_the_moment_it_is_accepted() {
    // Regression: a transport draining at EOF saw nothing in flight before the batch's task
    // started, closed the session and the batch answer was lost.
    let h = Harness::new();
    h.init("2025-03-26").await;
    let outcome = h.server.handle_frame(
        &h.session,
        r#"[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_quote","arguments":{"symbol":"SPY"}}}]"#,
        h.out.clone(),
    );
    assert_eq!(outcome, FrameOutcome::Pending);
    assert_eq!(h.session.in_flight(), 1, "counted before the task runs");
    tokio::time::timeout(Duration::from_secs(5), h.session.drained())
        .await
        .expect("drained once answered");
    let last = h.out.messages().last().cloned().unwrap();
    assert!(last.starts_with("[{"), "{last}");
}

#[tokio::test]
async fn a_number_out_of_range_is_blamed_on_its_argument() {
    let h = Harness::new();
    h.init("2025-11-25").await;
    let frame = r#"{"jsonrpc":"2.0","id":"c1","method":"tools/call","params":{"name":"set_price_alert","arguments":{"symbol":"SPY","condition":"above","threshold":1e400}}}"#;
    let answer = h.one(frame).await;
    let error = &answer["result"]["structuredContent"]["error"];
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    assert_eq!(error["code"], "VALIDATION_ERROR");
    assert_eq!(error["details"]["field"], "threshold", "{answer}");
    let read = h
        .one(r#"{"jsonrpc":"2.0","id":2,"method":"resources/read","params":{"uri":"alerts://active","x":-1e999}}"#)
        .await;
    assert_eq!(read["error"]["code"], -32602);
    assert!(
        read["error"]["message"].as_str().unwrap().contains("`x`"),
        "{read}"
    );
}

mod fuzz {
    //! The frame parser and dispatcher under generated frames: every request-shaped frame gets
    //! exactly one answer that is valid JSON-RPC, nothing panics, and the session still serves.
    use super::*;
    use proptest::prelude::*;

    fn scalar() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            "\\PC{0,12}".prop_map(Value::String),
            prop_oneof![
                Just("ping"),
                Just("tools/list"),
                Just("tools/call"),
                Just("initialize"),
                Just("resources/read"),
                Just("resources/subscribe"),
                Just("notifications/cancelled"),
                Just("2.0"),
                Just("get_quote"),
            ]
            .prop_map(|s| Value::String(s.to_owned())),
        ]
    }

    fn value() -> impl Strategy<Value = Value> {
        scalar().prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(
                    prop_oneof![
                        Just("jsonrpc".to_owned()),
                        Just("id".to_owned()),
                        Just("method".to_owned()),
                        Just("params".to_owned()),
                        Just("name".to_owned()),
                        Just("arguments".to_owned()),
                        Just("uri".to_owned()),
                        Just("symbol".to_owned()),
                        "[a-z]{1,6}",
                    ],
                    inner,
                    0..5
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// A frame: mostly message-shaped objects, some batches, some arbitrary values and bytes.
    fn frame() -> impl Strategy<Value = String> {
        let message = (
            prop_oneof![Just(json!("2.0")), value()],
            prop::option::of(prop_oneof![
                any::<i32>().prop_map(Value::from),
                "[a-z0-9]{0,4}".prop_map(Value::String),
                value()
            ]),
            prop::option::of(prop_oneof![scalar(), value()]),
            prop::option::of(value()),
        )
            .prop_map(|(jsonrpc, id, method, params)| {
                let mut m = serde_json::Map::new();
                m.insert("jsonrpc".into(), jsonrpc);
                if let Some(id) = id {
                    m.insert("id".into(), id);
                }
                if let Some(method) = method {
                    m.insert("method".into(), method);
                }
                if let Some(params) = params {
                    m.insert("params".into(), params);
                }
                Value::Object(m)
            })
            .boxed();
        prop_oneof![
            4 => message.clone().prop_map(|m| m.to_string()),
            1 => prop::collection::vec(message, 0..4).prop_map(|b| Value::Array(b).to_string()),
            1 => value().prop_map(|v| v.to_string()),
            1 => "\\PC{0,60}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
        #[test]
        fn generated_frames_get_well_formed_answers(frames in prop::collection::vec(frame(), 1..6), version in prop_oneof![Just("2025-03-26"), Just("2025-11-25")]) {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                let h = Harness::new();
                h.init(version).await;
                for frame in &frames {
                    let before = h.out.messages().len();
                    let outcome = h.server.handle_frame(&h.session, frame, h.out.clone());
                    let expect = usize::from(outcome != FrameOutcome::NoReply);
                    let after = h.out.wait_for(before + expect, Duration::from_secs(5)).await;
                    for message in &after[before..] {
                        let parsed: Value = serde_json::from_str(message).expect("answers are JSON");
                        let items = match parsed {
                            Value::Array(items) => items,
                            other => vec![other],
                        };
                        for item in items {
                            prop_assert_eq!(&item["jsonrpc"], "2.0");
                            prop_assert!(item.get("result").is_some() || item.get("error").is_some() || item.get("method").is_some(), "{}", item);
                        }
                    }
                }
                let ping = h.one(r#"{"jsonrpc":"2.0","id":"last","method":"ping"}"#).await;
                prop_assert_eq!(&ping["id"], "last");
                Ok(())
            })?;
        }
    }
}

#[tokio::test]
async fn a_fired_alert_is_announced_to_every_initialized_session_unless_its_level_is_above_warning() {
    use crate::domain::{AlertCondition, Symbol};

    let h = Harness::new();
    // Before `initialize` nobody is connected: the alert is kept for the next list_alerts.
    let app = h.server.app().clone();
    let (alert, _) = app
        .set_price_alert(Symbol::parse("SPY").unwrap(), AlertCondition::Above, 1.0, None)
        .await
        .unwrap();
    let report = app.check_alerts().await.unwrap();
    let notification = report.notifications.first().unwrap().clone();
    assert_eq!(h.server.announce_alert(&notification), 0);
    assert_eq!(app.unannounced().len(), 1);
    assert!(h.out.messages().is_empty(), "nothing before initialize");
    app.take_unannounced();

    h.init("2025-11-25").await;
    let quiet_out = Arc::new(CollectingOutbound::new());
    let quiet = h.server.open_session(quiet_out.clone());
    let init = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"q","version":"1"}}}"#;
    h.server.handle_frame(&quiet, init, quiet_out.clone());
    h.server.handle_frame(
        &quiet,
        r#"{"jsonrpc":"2.0","id":1,"method":"logging/setLevel","params":{"level":"error"}}"#,
        quiet_out.clone(),
    );
    quiet_out.wait_for(2, Duration::from_secs(5)).await;
    let before = h.out.messages().len();
    assert_eq!(
        h.server.announce_alert(&notification),
        1,
        "the quiet one asked for errors only"
    );
    let messages = h.out.wait_for(before + 1, Duration::from_secs(5)).await;
    let message: Value = serde_json::from_str(&messages[before]).unwrap();
    assert_eq!(message["method"], "notifications/message");
    assert_eq!(message["params"]["level"], "warning");
    assert_eq!(message["params"]["logger"], ALERT_LOGGER);
    assert_eq!(
        message["params"]["data"],
        crate::app::notification_json(&notification)
    );
    assert_eq!(message["params"]["data"]["alert"]["id"], alert.id.0);
    assert_eq!(quiet_out.messages().len(), 2, "only its two answers");
    assert!(app.unannounced().is_empty(), "someone heard it");
}

/// The MCP 2026-07-28 era.
mod modern;
