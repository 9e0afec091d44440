//! MCP over stdio, as a client sees it.

use std::time::Duration;

use serde_json::{Value, json};
use ttai_core::testing::schema;

use crate::support::{Ttai, output_schema};

fn replay() -> Ttai {
    Ttai::spawn(&["--broker", "replay", "serve"])
}

/// Every stdout line is a JSON-RPC 2.0 message.
fn assert_stdout_is_json_rpc(ttai: &Ttai) {
    for line in ttai.stdout_log.lock().unwrap().iter() {
        let message: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        let items = match &message {
            Value::Array(items) => items.clone(),
            other => vec![other.clone()],
        };
        for item in items {
            assert_eq!(item["jsonrpc"], "2.0", "{line}");
            assert!(
                item.get("result").is_some() || item.get("error").is_some() || item.get("method").is_some(),
                "{line}"
            );
        }
    }
}

#[test]
fn a_client_lists_calls_every_tool_reads_resources_and_gets_prompts() {
    let mut ttai = replay();
    let init = ttai.initialize("2025-11-25");
    assert_eq!(init["result"]["protocolVersion"], "2025-11-25");
    assert_eq!(init["result"]["serverInfo"]["name"], "ttai");
    let tools = ttai.request("tools/list", json!({}));
    let calls = [
        ("get_quote", json!({"symbol": "SPY"})),
        (
            "get_quote",
            json!({"symbols": ["SPY", "QQQ", "IWM", "AAPL", "ZZZZ"]}),
        ),
        ("get_option_chain", json!({"symbol": "AAPL"})),
        (
            "get_option_chain",
            json!({"symbol": "SPY", "dte_min": 30, "dte_max": 45, "strikes_around": 4}),
        ),
        ("get_positions", json!({})),
        ("get_balances", json!({"account": "5SYN0001"})),
        (
            "get_market_metrics",
            json!({"symbols": ["SPY", "QQQ", "AAPL", "IWM"]}),
        ),
        ("search_symbols", json!({"query": "qq"})),
    ];
    for (tool, args) in calls {
        let result = ttai.call(tool, args.clone());
        assert_eq!(result["isError"], false, "{tool} {args}: {result}");
        let structured = &result["structuredContent"];
        assert_eq!(structured["source"], "replay:demo", "{tool}");
        assert_eq!(structured["synthetic"], true, "{tool}");
        let problems = schema::validate(&output_schema(&tools, tool), structured);
        assert!(problems.is_empty(), "{tool}: {problems:?}");
        let text: Value = serde_json::from_str(result["content"][0]["text"].as_str().unwrap()).unwrap();
        assert_eq!(&text, structured);
    }
    let quote = ttai.call("get_quote", json!({"symbol": "spy"}));
    let q = &quote["structuredContent"]["quotes"][0];
    assert_eq!(q["symbol"], "SPY");
    assert!(q["bid"].as_f64().unwrap() < q["ask"].as_f64().unwrap());

    let resources = ttai.request("resources/list", json!({}));
    let uris: Vec<&str> = resources["result"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["uri"].as_str().unwrap())
        .collect();
    for uri in ["portfolio://positions", "portfolio://balances"] {
        assert!(uris.contains(&uri));
        let read = ttai.request("resources/read", json!({"uri": uri}));
        let content = &read["result"]["contents"][0];
        assert_eq!(content["mimeType"], "application/json");
        let value: Value = serde_json::from_str(content["text"].as_str().unwrap()).unwrap();
        assert_eq!(value["account"], "5SY•••01");
    }
    let prompts = ttai.request("prompts/list", json!({}));
    for prompt in prompts["result"]["prompts"].as_array().unwrap() {
        let name = prompt["name"].as_str().unwrap();
        let args = crate::support::required_prompt_arguments(prompt, "AAPL");
        let got = ttai.request("prompts/get", json!({"name": name, "arguments": args}));
        let text = got["result"]["messages"][0]["content"]["text"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: {got}"));
        assert!(text.len() > 100, "{name}");
    }
    let (status, ttai) = ttai.finish();
    assert_eq!(
        status.code(),
        Some(0),
        "stdin EOF ends the server cleanly; stderr:\n{}",
        ttai.stderr()
    );
    assert_stdout_is_json_rpc(&ttai);
}

#[test]
fn bad_input_gets_protocol_errors_and_the_server_keeps_serving() {
    let mut ttai = replay();
    ttai.initialize("2025-11-25");
    let unknown_tool = ttai.request("tools/call", json!({"name": "get_quotez", "arguments": {}}));
    assert_eq!(unknown_tool["error"]["code"], -32602);
    let bad_args = ttai.call("get_option_chain", json!({"symbol": "SPY", "dte_min": "soon"}));
    assert_eq!(bad_args["isError"], true);
    assert_eq!(bad_args["structuredContent"]["error"]["code"], "VALIDATION_ERROR");
    assert_eq!(
        bad_args["structuredContent"]["error"]["details"]["field"],
        "dte_min"
    );
    let unknown_method = ttai.request("tools/run", json!({}));
    assert_eq!(unknown_method["error"]["code"], -32601);

    ttai.send_raw("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":");
    let parse = ttai.recv();
    assert_eq!(parse["error"]["code"], -32700);
    assert_eq!(parse["id"], Value::Null);
    ttai.send_raw("[1,2]");
    assert_eq!(
        ttai.recv()["error"]["code"],
        -32600,
        "batches are not part of 2025-11-25"
    );
    ttai.send_raw(r#"{"jsonrpc":"2.0","id":{"x":1},"method":"ping"}"#);
    assert_eq!(ttai.recv()["error"]["code"], -32600);
    ttai.send_raw(r#"{"jsonrpc":"2.0","method":"notifications/progress","params":{}}"#);
    assert!(
        ttai.recv_timeout(Duration::from_millis(300)).is_none(),
        "a notification gets no reply"
    );
    ttai.send_raw(r#"{"jsonrpc":"2.0","id":"after","method":"ping"}"#);
    let after = ttai.recv();
    assert_eq!(after["id"], "after");
    assert_eq!(after["result"], json!({}));
    ttai.send_raw(r#"{"jsonrpc":"2.0","id":-3,"method":"ping"}"#);
    assert_eq!(ttai.recv()["id"], -3);
    let (status, ttai) = ttai.finish();
    assert_eq!(status.code(), Some(0));
    assert_stdout_is_json_rpc(&ttai);
}

#[test]
fn a_batch_is_answered_under_2025_03_26() {
    let mut ttai = replay();
    ttai.initialize("2025-03-26");
    ttai.send_raw(
        r#"[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/initialized"},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get_quote","arguments":{"symbol":"QQQ"}}}]"#,
    );
    let answer = ttai.recv();
    let answers = answer.as_array().expect("a batch gets an array");
    assert_eq!(answers.len(), 2);
    assert!(answers.iter().any(|a| a["id"] == 1));
    assert!(
        answers
            .iter()
            .any(|a| a["id"] == 2 && a["result"]["isError"] == false)
    );
}

#[test]
fn sigterm_ends_the_server_with_exit_code_0() {
    let mut ttai = replay();
    ttai.initialize("2025-11-25");
    let pid = ttai.child.id().to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let status = crate::support::wait(&mut ttai.child, Duration::from_secs(15));
    assert_eq!(status.code(), Some(0), "stderr:\n{}", ttai.stderr());
}

#[test]
fn without_credentials_the_live_broker_says_how_to_log_in() {
    let mut ttai = Ttai::spawn(&["serve"]);
    ttai.initialize("2025-11-25");
    let result = ttai.call("get_quote", json!({"symbol": "SPY"}));
    assert_eq!(result["isError"], true);
    let error = &result["structuredContent"]["error"];
    assert_eq!(error["code"], "AUTHENTICATION_ERROR");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("--broker replay") && message.contains("ttai login"),
        "{message}"
    );
}
