//! The MCP 2026-07-28 era through the same engine: the era decided by a connection's first
//! request, the envelope ladder, discover, the method table, result fields, listen streams,
//! input rounds, logging and progress by the request's envelope.

use super::*;
use crate::domain::{Notification, NotificationId};
use crate::time::Timestamp;

const E: &str = r#"{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}"#;

/// A request frame with the envelope (`meta_extra` merged into `_meta`).
fn req(id: Value, method: &str, mut params: Value, meta_extra: Value) -> String {
    let mut meta: serde_json::Map<String, Value> = serde_json::from_str(E).unwrap();
    if let Value::Object(extra) = meta_extra {
        meta.extend(extra);
    }
    params
        .as_object_mut()
        .unwrap()
        .insert("_meta".into(), Value::Object(meta));
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string()
}

/// A tool that cannot finish without the person's confirmation: it asks in a first round and
/// completes in the next with what they answered.
struct Confirm;

#[async_trait]
impl Tool for Confirm {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "confirm",
            title: "Confirm",
            description: "asks first",
            ..Boom.spec()
        }
    }
    async fn call(&self, _: &App, args: Args, ctx: &ToolContext) -> Result<ToolOutput, crate::AppError> {
        let amount = args.f64("amount")?.unwrap_or(0.0);
        match ctx.input() {
            None => Ok(ToolOutput::needs_input(InputRequired::elicit(
                "ok",
                &format!("Spend {amount}?"),
                json!({"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}),
                json!({"amount": amount}),
            ))),
            Some(round) => {
                let ok = round
                    .accepted("ok")
                    .and_then(|c| c.get("ok"))
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                Ok(ToolOutput::new(json!({"done": ok, "state": round.state})))
            }
        }
    }
}

fn harness() -> Harness {
    let h = Harness::new();
    h.server
        .set_request_state_key(StateKey::from_bytes(&[9; 32]).unwrap());
    h
}

fn confirm_harness() -> Harness {
    let h = harness();
    // A server with the confirm tool, same app.
    let server = McpServer::new(
        h.server.app().clone(),
        ToolRegistry::new(vec![Arc::new(Confirm), Arc::new(Slow)]),
        ServerInfo {
            name: "ttai".into(),
            version: "test".into(),
        },
    );
    server.set_request_state_key(StateKey::from_bytes(&[9; 32]).unwrap());
    let out = Arc::new(CollectingOutbound::new());
    let session = server.open_session(out.clone());
    Harness { server, session, out }
}

#[tokio::test]
async fn the_first_request_decides_the_era_and_discover_describes_the_server() {
    let h = harness();
    let discover = h
        .one(&req(json!(1), "server/discover", json!({}), json!({})))
        .await;
    assert_eq!(h.session.era(), Era::Modern);
    let result = &discover["result"];
    assert_eq!(result["resultType"], "complete");
    assert_eq!(result["supportedVersions"], json!(["2026-07-28"]));
    assert_eq!(result["capabilities"]["resources"]["subscribe"], true);
    assert_eq!(result["ttlMs"], crate::mcp::modern::ttl::STATIC_MS);
    assert_eq!(result["cacheScope"], "public");
    // Discovery names the server in full, title included.
    assert_eq!(
        result["_meta"]["io.modelcontextprotocol/serverInfo"],
        json!({"name": "ttai", "title": crate::mcp::protocol::TITLE, "version": "test"})
    );
    assert!(result["instructions"].as_str().unwrap().contains("options"));
    // The removed methods, and a handshake on this connection, are refused.
    for method in [
        "ping",
        "logging/setLevel",
        "resources/subscribe",
        "resources/unsubscribe",
        "nope/x",
    ] {
        let answer = h
            .one(&req(
                json!(2),
                method,
                json!({"uri": "alerts://active"}),
                json!({}),
            ))
            .await;
        assert_eq!(answer["error"]["code"], -32601, "{method}: {answer}");
        assert_eq!(answer["id"], 2);
    }
    let init = h
        .one(r#"{"jsonrpc":"2.0","id":3,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}"#)
        .await;
    assert_eq!(init["error"]["code"], -32022);
    assert_eq!(
        init["error"]["data"],
        json!({"supported": ["2026-07-28"], "requested": "2025-11-25"})
    );
    assert_eq!(h.session.protocol_version(), None, "nothing was negotiated");
}

#[tokio::test]
async fn the_envelope_is_checked_on_every_request() {
    let h = harness();
    h.one(&req(json!(1), "server/discover", json!({}), json!({})))
        .await;
    for frame in [
        r#"{"jsonrpc":"2.0","id":"a","method":"tools/list"}"#.to_owned(),
        r#"{"jsonrpc":"2.0","id":"a","method":"tools/list","params":{}}"#.to_owned(),
        r#"{"jsonrpc":"2.0","id":"a","method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#.to_owned(),
        req(json!("a"), "tools/list", json!({}), json!({"io.modelcontextprotocol/logLevel": "loud"})),
    ] {
        let answer = h.one(&frame).await;
        assert_eq!(answer["error"]["code"], -32602, "{frame}: {answer}");
        assert_eq!(answer["id"], "a");
    }
    let old = req(
        json!(5),
        "tools/list",
        json!({}),
        json!({"io.modelcontextprotocol/protocolVersion": "2025-11-25"}),
    );
    let answer = h.one(&old).await;
    assert_eq!(answer["error"]["code"], -32022);
    assert_eq!(answer["error"]["data"]["requested"], "2025-11-25");
    // Unreadable frames and batches: the id is omitted, never null.
    for frame in [
        "{not json",
        r#"[{"jsonrpc":"2.0","id":1,"method":"tools/list"}]"#,
        r#"{"jsonrpc":"1.0"}"#,
    ] {
        let before = h.out.messages().len();
        h.server.handle_frame(&h.session, frame, h.out.clone());
        let raw = h.out.wait_for(before + 1, Duration::from_secs(5)).await[before].clone();
        assert!(!raw.contains("\"id\""), "{frame} -> {raw}");
        assert!(raw.contains("\"error\""), "{raw}");
    }
}

#[tokio::test]
async fn results_carry_the_era_fields_and_ttls_that_reflect_the_data() {
    let h = harness();
    let tools = h.one(&req(json!(1), "tools/list", json!({}), json!({}))).await;
    let result = &tools["result"];
    assert_eq!(result["resultType"], "complete");
    assert_eq!(result["ttlMs"], crate::mcp::modern::ttl::STATIC_MS);
    assert_eq!(result["cacheScope"], "public");
    assert_eq!(
        result["_meta"]["io.modelcontextprotocol/serverInfo"]["version"],
        "test"
    );
    assert!(result["tools"].as_array().unwrap().len() > 10);
    let resources = h
        .one(&req(json!(2), "resources/list", json!({}), json!({})))
        .await;
    assert_eq!(
        resources["result"]["ttlMs"],
        crate::mcp::modern::ttl::USER_DOCUMENTS_MS
    );
    assert_eq!(resources["result"]["cacheScope"], "private");
    let alerts = h
        .one(&req(
            json!(3),
            "resources/read",
            json!({"uri": "alerts://active"}),
            json!({}),
        ))
        .await;
    assert_eq!(alerts["result"]["ttlMs"], 0, "alerts are live");
    assert_eq!(alerts["result"]["cacheScope"], "private");
    let guide = h
        .one(&req(
            json!(4),
            "resources/read",
            json!({"uri": "knowledge://options/strategies/covered-call"}),
            json!({}),
        ))
        .await;
    assert_eq!(
        guide["result"]["ttlMs"],
        crate::mcp::modern::ttl::STATIC_MS,
        "{guide}"
    );
    let missing = h
        .one(&req(
            json!(5),
            "resources/read",
            json!({"uri": "nope://x"}),
            json!({}),
        ))
        .await;
    assert_eq!(missing["error"]["code"], -32602, "not -32002 in this era");
    assert_eq!(missing["error"]["data"]["uri"], "nope://x");
    let prompts = h.one(&req(json!(6), "prompts/list", json!({}), json!({}))).await;
    assert_eq!(prompts["result"]["cacheScope"], "public");
    let prompt = h
        .one(&req(
            json!(7),
            "prompts/get",
            json!({"name": "analyze-for-csp", "arguments": {"symbol": "SPY"}}),
            json!({}),
        ))
        .await;
    assert_eq!(prompt["result"]["resultType"], "complete");
    assert!(
        prompt["result"].get("ttlMs").is_none(),
        "prompts/get is not cacheable"
    );
    let quote = h
        .one(&req(
            json!(8),
            "tools/call",
            json!({"name": "get_quote", "arguments": {"symbol": "SPY"}}),
            json!({}),
        ))
        .await;
    let result = &quote["result"];
    assert_eq!(result["resultType"], "complete");
    assert_eq!(result["isError"], false);
    // Every other result is stamped with the short identity the revision specifies.
    assert_eq!(
        result["_meta"]["io.modelcontextprotocol/serverInfo"],
        json!({"name": "ttai", "version": "test"})
    );
    assert!(result.get("ttlMs").is_none());
    // Every answer matches the tool's output schema as before.
    let schema_of = result["structuredContent"]["quotes"][0]["symbol"].clone();
    assert_eq!(schema_of, "SPY");
}

#[tokio::test]
async fn the_handshake_era_is_unchanged_and_refuses_enveloped_requests() {
    let h = harness();
    h.init("2025-11-25").await;
    assert_eq!(h.session.era(), Era::Legacy);
    let tools = h.one(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#).await;
    for field in ["resultType", "ttlMs", "cacheScope", "_meta"] {
        assert!(
            tools["result"].get(field).is_none(),
            "{field} in a handshake answer"
        );
    }
    let quote = h.call("get_quote", json!({"symbol": "SPY"})).await;
    assert!(quote["result"].get("resultType").is_none());
    assert!(quote["result"].get("_meta").is_none());
    let answer = h.one(&req(json!(2), "tools/list", json!({}), json!({}))).await;
    assert_eq!(answer["error"]["code"], -32600);
    let missing = h
        .one(r#"{"jsonrpc":"2.0","id":3,"method":"resources/read","params":{"uri":"nope://x"}}"#)
        .await;
    assert_eq!(
        missing["error"]["code"], -32002,
        "the handshake era keeps its code"
    );
}

#[tokio::test]
async fn log_messages_only_when_the_request_asks_and_progress_by_its_token() {
    let h = harness();
    let bad = json!({"name": "get_quote", "arguments": {"symbol": 42}});
    let quiet = h
        .send(&req(json!(1), "tools/call", bad.clone(), json!({})), 1)
        .await;
    assert_eq!(
        quiet.len(),
        1,
        "no notifications/message without a logLevel: {quiet:?}"
    );
    assert_eq!(quiet[0]["result"]["isError"], true);
    let told = h
        .send(
            &req(
                json!(2),
                "tools/call",
                bad,
                json!({"io.modelcontextprotocol/logLevel": "warning"}),
            ),
            2,
        )
        .await;
    assert_eq!(told[0]["method"], "notifications/message", "{told:?}");
    assert_eq!(told[0]["params"]["level"], "error");
    assert_eq!(told[1]["id"], 2);
    // Progress with the request's token, then cancellation ends the request without an answer.
    let before = h.out.messages().len();
    h.server.handle_frame(
        &h.session,
        &req(
            json!("s"),
            "tools/call",
            json!({"name": "slow", "arguments": {}}),
            json!({"progressToken": "p"}),
        ),
        h.out.clone(),
    );
    let progress = h.out.wait_for(before + 1, Duration::from_secs(5)).await;
    let note: Value = serde_json::from_str(&progress[before]).unwrap();
    assert_eq!(note["method"], "notifications/progress");
    assert_eq!(note["params"]["progressToken"], "p");
    assert_eq!(h.session.in_flight(), 1);
    h.send(
        r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"s"}}"#,
        0,
    )
    .await;
    assert_eq!(h.session.in_flight(), 0);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        h.out.messages().len(),
        before + 1,
        "nothing after the cancellation"
    );
}

fn alert_notification() -> Notification {
    Notification {
        id: NotificationId("n1".into()),
        kind: "alert_triggered".into(),
        title: "SPY above 600".into(),
        message: "SPY crossed 600".into(),
        alert: None,
        created_at: "2026-06-19T20:00:00Z".parse::<Timestamp>().unwrap(),
        attempts: 0,
    }
}

#[tokio::test]
async fn a_listen_stream_is_acknowledged_first_and_carries_only_what_it_asked_for() {
    let h = harness();
    let listen = req(
        json!("L1"),
        "subscriptions/listen",
        json!({"notifications": {"toolsListChanged": true, "resourceSubscriptions": ["alerts://active", "nope://x"]}}),
        json!({"io.modelcontextprotocol/logLevel": "warning"}),
    );
    let ack = h.send(&listen, 1).await;
    assert_eq!(ack[0]["method"], "notifications/subscriptions/acknowledged");
    assert_eq!(
        ack[0]["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        "L1"
    );
    assert_eq!(
        ack[0]["params"]["notifications"],
        json!({"resourceSubscriptions": ["alerts://active"]})
    );
    // A second stream without a log level: resource updates, no alert messages.
    let quiet = req(
        json!(2),
        "subscriptions/listen",
        json!({"notifications": {"resourceSubscriptions": ["alerts://active"]}}),
        json!({}),
    );
    h.send(&quiet, 1).await;
    assert_eq!(h.server.listen_streams(), 2);
    assert_eq!(
        h.session.in_flight(),
        0,
        "streams do not hold the in-flight budget"
    );
    // An id in use by a stream is refused.
    let again = h.one(&listen).await;
    assert_eq!(again["error"]["code"], -32600);

    let before = h.out.messages().len();
    h.server
        .app()
        .emit(AppEvent::ResourceUpdated("alerts://active".into()));
    h.server
        .app()
        .emit(AppEvent::ResourceUpdated("portfolio://positions".into()));
    assert_eq!(
        h.server.announce_alert(&alert_notification()),
        1,
        "only the stream that opted in hears the fired alert"
    );
    let got: Vec<Value> = h.out.wait_for(before + 3, Duration::from_secs(5)).await[before..]
        .iter()
        .map(|m| serde_json::from_str(m).unwrap())
        .collect();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(h.out.messages().len(), before + 3, "{got:?}");
    let updates: Vec<&Value> = got
        .iter()
        .filter(|m| m["method"] == "notifications/resources/updated")
        .collect();
    assert_eq!(updates.len(), 2, "{got:?}");
    assert!(updates.iter().all(|m| m["params"]["uri"] == "alerts://active"));
    let messages: Vec<&Value> = got
        .iter()
        .filter(|m| m["method"] == "notifications/message")
        .collect();
    assert_eq!(messages.len(), 1);
    assert_eq!(
        messages[0]["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        "L1"
    );
    assert_eq!(messages[0]["params"]["level"], "warning");
    assert_eq!(messages[0]["params"]["logger"], "ttai.alerts");
    assert_eq!(messages[0]["params"]["data"]["title"], "SPY above 600");

    // Cancelling L1 ends it; the other stream ends with its result at shutdown.
    h.send(
        r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"L1"}}"#,
        0,
    )
    .await;
    assert_eq!(h.server.listen_streams(), 1);
    let before = h.out.messages().len();
    assert_eq!(h.server.announce_alert(&alert_notification()), 0);
    h.server
        .app()
        .emit(AppEvent::ResourceUpdated("alerts://active".into()));
    let got = h.out.wait_for(before + 1, Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        h.out.messages().len(),
        before + 1,
        "only stream 2's update: {:?}",
        &got[before..]
    );
    assert!(got[before].contains("\"io.modelcontextprotocol/subscriptionId\":2"));
    let before = h.out.messages().len();
    h.server.end_listens(Some(&h.session));
    let end: Vec<Value> = h.out.wait_for(before + 2, Duration::from_secs(5)).await[before..]
        .iter()
        .map(|m| serde_json::from_str(m).unwrap())
        .collect();
    assert_eq!(end[0]["id"], 2);
    assert_eq!(end[0]["result"]["resultType"], "complete");
    assert_eq!(
        end[0]["result"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        2
    );
    assert_eq!(end[1]["method"], "notifications/cancelled");
    assert_eq!(end[1]["params"]["requestId"], 2);
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(h.server.listen_streams(), 0);
    assert_eq!(h.session.listens(), 0);
}

#[tokio::test]
async fn a_tool_asks_for_input_and_finishes_with_the_sealed_state() {
    let h = confirm_harness();
    let call = |id: i64, params: Value, caps: Value| {
        req(
            json!(id),
            "tools/call",
            params,
            json!({"io.modelcontextprotocol/clientCapabilities": caps}),
        )
    };
    let first = json!({"name": "confirm", "arguments": {"amount": 5}});
    // Without the elicitation capability: -32021 naming it.
    let refused = h.one(&call(1, first.clone(), json!({}))).await;
    assert_eq!(refused["error"]["code"], -32021, "{refused}");
    assert_eq!(
        refused["error"]["data"]["requiredCapabilities"],
        json!({"elicitation": {}})
    );
    let asked = h.one(&call(2, first.clone(), json!({"elicitation": {}}))).await;
    let result = &asked["result"];
    assert_eq!(result["resultType"], "input_required", "{asked}");
    assert_eq!(result["inputRequests"]["ok"]["method"], "elicitation/create");
    assert_eq!(result["inputRequests"]["ok"]["params"]["message"], "Spend 5?");
    assert!(result.get("ttlMs").is_none(), "not cacheable");
    let state = result["requestState"].as_str().unwrap().to_owned();
    let retry = |id: i64, state: &str, args: Value, action: &str| {
        call(
            id,
            json!({
                "name": "confirm",
                "arguments": args,
                "requestState": state,
                "inputResponses": {"ok": {"action": action, "content": {"ok": true}}, "extra": {"action": "accept"}},
            }),
            json!({"elicitation": {}}),
        )
    };
    let done = h.one(&retry(3, &state, json!({"amount": 5}), "accept")).await;
    assert_eq!(done["result"]["resultType"], "complete", "{done}");
    assert_eq!(
        done["result"]["structuredContent"],
        json!({"done": true, "state": {"amount": 5.0}})
    );
    let declined = h.one(&retry(4, &state, json!({"amount": 5}), "decline")).await;
    assert_eq!(declined["result"]["structuredContent"]["done"], false);
    // Another call's arguments, or an altered state, are refused.
    let other = h.one(&retry(5, &state, json!({"amount": 500}), "accept")).await;
    assert_eq!(other["error"]["code"], -32602, "{other}");
    let mut altered = state.clone().into_bytes();
    let at = altered.len() / 2;
    altered[at] = if altered[at] == b'a' { b'b' } else { b'a' };
    let altered = String::from_utf8(altered).unwrap();
    let forged = h.one(&retry(6, &altered, json!({"amount": 5}), "accept")).await;
    assert_eq!(forged["error"]["code"], -32602, "{forged}");
    // A state from another process's key is refused too.
    let server = McpServer::new(
        h.server.app().clone(),
        ToolRegistry::new(vec![Arc::new(Confirm)]),
        ServerInfo {
            name: "ttai".into(),
            version: "test".into(),
        },
    );
    server.set_request_state_key(StateKey::from_bytes(&[1; 32]).unwrap());
    let session = server.open_session(h.out.clone());
    let before = h.out.messages().len();
    server.handle_frame(
        &session,
        &retry(7, &state, json!({"amount": 5}), "accept"),
        h.out.clone(),
    );
    let answer: Value =
        serde_json::from_str(&h.out.wait_for(before + 1, Duration::from_secs(5)).await[before]).unwrap();
    assert_eq!(answer["error"]["code"], -32602, "{answer}");
}

#[tokio::test]
async fn a_handshake_session_cannot_be_asked_for_input() {
    let h = confirm_harness();
    h.init("2025-11-25").await;
    let answer = h.call("confirm", json!({"amount": 5})).await;
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    assert_eq!(
        answer["result"]["structuredContent"]["error"]["code"],
        "AUTHORIZATION_ERROR"
    );
}

#[tokio::test]
async fn views_follow_each_requests_capabilities() {
    let h = harness();
    let ui = json!({"io.modelcontextprotocol/clientCapabilities": {"extensions": {"io.modelcontextprotocol/ui": {"mimeTypes": ["text/html;profile=mcp-app"]}}}});
    let with = h.one(&req(json!(1), "tools/list", json!({}), ui.clone())).await;
    let without = h.one(&req(json!(2), "tools/list", json!({}), json!({}))).await;
    let chart = |list: &Value| {
        list["result"]["tools"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == "analyze_chart")
            .unwrap()
            .clone()
    };
    assert!(chart(&with)["_meta"]["ui"]["resourceUri"].is_string());
    assert!(chart(&without).get("_meta").is_none());
    let discover = h.one(&req(json!(3), "server/discover", json!({}), ui)).await;
    assert!(discover["result"]["capabilities"]["extensions"]["io.modelcontextprotocol/ui"].is_object());
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    fn method() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("tools/list".to_owned()),
            Just("tools/call".to_owned()),
            Just("resources/read".to_owned()),
            Just("subscriptions/listen".to_owned()),
            Just("server/discover".to_owned()),
            Just("ping".to_owned()),
            "[a-z/]{0,12}",
        ]
    }

    fn meta() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(serde_json::from_str::<Value>(E).unwrap()),
            Just(json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28"})),
            Just(
                json!({"io.modelcontextprotocol/protocolVersion": 7, "io.modelcontextprotocol/clientCapabilities": []})
            ),
            Just(
                json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}, "io.modelcontextprotocol/logLevel": "debug"})
            ),
            Just(Value::Null),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
        /// On a 2026-07-28 connection a `tools/call` is read in one pass with its params; the
        /// answer is byte for byte the general path's (the message read, then its params).
        #[test]
        fn a_tools_call_read_in_one_pass_is_answered_as_the_general_path_answers(
            name in prop_oneof![Just("get_quote".to_owned()), Just("get_balances".to_owned()), "[a-z_]{0,10}"],
            symbol in prop_oneof![Just(json!("SPY")), Just(json!("")), Just(json!(7)), Just(Value::Null)],
            meta in meta(),
            progress in prop::option::of(any::<u16>()),
            id in prop_oneof![any::<i32>().prop_map(|i| json!(i)), "[a-z0-9]{1,8}".prop_map(|s| json!(s))],
        ) {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                let h = harness();
                h.one(&req(json!(0), "server/discover", json!({}), json!({}))).await;
                let mut meta = meta.clone();
                if let (Some(token), Value::Object(m)) = (progress, &mut meta) {
                    m.insert("progressToken".into(), json!(token));
                }
                let frame = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                    "params": {"name": name, "arguments": {"symbol": symbol}, "_meta": meta}}).to_string();
                prop_assert!(crate::mcp::envelope::classify_call(&frame).is_some(), "{}", frame);
                // The answer (progress notifications aside), once it has come.
                let answer = |out: Arc<CollectingOutbound>| async move {
                    let mut seen = 1;
                    loop {
                        let messages = out.wait_for(seen, Duration::from_secs(5)).await;
                        let answers: Vec<String> =
                            messages.iter().filter(|m| !m.contains("\"method\"")).cloned().collect();
                        if !answers.is_empty() || messages.len() < seen {
                            return answers;
                        }
                        seen = messages.len() + 1;
                    }
                };
                // One after the other: the same id may not be in flight twice.
                let out = Arc::new(CollectingOutbound::new());
                let fast_outcome = h.server.handle_frame(&h.session, &frame, out.clone());
                let fast = answer(out).await;
                let Ok(crate::mcp::envelope::Incoming::Request { id, method, params }) =
                    crate::mcp::envelope::classify(&frame)
                else {
                    panic!("a request: {frame}");
                };
                let out = Arc::new(CollectingOutbound::new());
                let general_outcome =
                    h.server.modern_request(&h.session, id.get(), &method, params, None, None, out.clone(), false);
                let general = answer(out).await;
                prop_assert_eq!(fast_outcome, general_outcome);
                prop_assert_eq!(fast.len(), 1, "{:?}", fast);
                prop_assert_eq!(fast, general, "{}", frame);
                Ok(())
            })?;
        }

        #[test]
        fn modern_answers_are_well_formed_and_never_carry_a_null_id(
            requests in prop::collection::vec((method(), meta(), prop::option::of("[a-z:/]{0,16}"), any::<i16>()), 1..6)
        ) {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                let h = harness();
                h.one(&req(json!(0), "server/discover", json!({}), json!({}))).await;
                for (method, meta, text, id) in &requests {
                    let mut params = json!({"name": text, "uri": text, "arguments": {"symbol": text}, "notifications": {"resourceSubscriptions": [text]}});
                    params.as_object_mut().unwrap().insert("_meta".into(), meta.clone());
                    let frame = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string();
                    let before = h.out.messages().len();
                    let outcome = h.server.handle_frame(&h.session, &frame, h.out.clone());
                    let expect = usize::from(outcome != FrameOutcome::NoReply);
                    let after = h.out.wait_for(before + expect, Duration::from_secs(5)).await;
                    for message in &after[before..] {
                        prop_assert!(!message.contains("\"id\":null"), "{}", message);
                        let item: Value = serde_json::from_str(message).expect("answers are JSON");
                        prop_assert_eq!(&item["jsonrpc"], "2.0");
                        if let Some(result) = item.get("result") {
                            prop_assert!(result.get("resultType").is_some(), "{}", item);
                        } else {
                            prop_assert!(item.get("error").is_some() || item.get("method").is_some(), "{}", item);
                        }
                    }
                    h.server.end_listens(Some(&h.session));
                }
                Ok(())
            })?;
        }
    }
}
