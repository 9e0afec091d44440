//! MCP over HTTP (Streamable HTTP and the 2024-11-05 HTTP+SSE pair), as clients see it.

use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

use crate::http_support::{Client, SseEvent, collect, spawn_http};
use crate::support::repo;

#[test]
fn a_session_is_issued_at_initialize_and_required_after() {
    let server = spawn_http(&[], &[]);
    let mut client = Client::new(&server.base);
    let init = client.initialize();
    assert_eq!(init["result"]["protocolVersion"], "2025-11-25");
    let session = client.session.clone().unwrap();
    assert_eq!(session.len(), 32, "128 random bits in hex");
    assert!(session.chars().all(|c| c.is_ascii_hexdigit()));
    let quote = client.call("get_quote", json!({"symbol": "SPY"}));
    assert_eq!(quote["structuredContent"]["source"], "replay:demo");

    let mut anonymous = Client::new(&server.base);
    let without = anonymous.request("tools/list", json!({}));
    assert_eq!(without.status, 400, "{without:?}");
    anonymous.session = Some("0123456789abcdef0123456789abcdef".into());
    assert_eq!(anonymous.request("tools/list", json!({})).status, 404);
    let mut wrong_version = Client::new(&server.base);
    wrong_version.session = client.session.clone();
    wrong_version.version = "1999-01-01".into();
    assert_eq!(wrong_version.request("ping", json!({})).status, 400);
    // A notification is accepted with 202 and no body.
    let accepted = client.post_raw(
        r#"{"jsonrpc":"2.0","method":"notifications/roots/list_changed"}"#,
        &[],
    );
    assert_eq!((accepted.status, accepted.body.as_str()), (202, ""));
    // DELETE ends the session.
    let deleted = client
        .agent
        .delete(&client.url)
        .header("mcp-session-id", &session)
        .call()
        .unwrap();
    assert_eq!(deleted.status().as_u16(), 200);
    assert_eq!(client.request("ping", json!({})).status, 404);
    let health = client
        .agent
        .get(&format!("{}/healthz", server.base))
        .call()
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
}

#[test]
fn refusals_are_the_statuses_the_spec_and_safety_ask_for() {
    let server = spawn_http(&[], &[("TTAI_HTTP_MAX_BODY", "10000")]);
    let mut client = Client::new(&server.base);
    client.initialize();
    let foreign = client.post_raw(
        r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#,
        &[("origin", "https://evil.example.com")],
    );
    assert_eq!(foreign.status, 403);
    let local = client.post_raw(
        r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#,
        &[("origin", "http://localhost:6274")],
    );
    assert_eq!(local.status, 200);
    let big = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"ping","params":{{"pad":"{}"}}}}"#,
        "x".repeat(20_000)
    );
    assert_eq!(client.post_raw(&big, &[]).status, 413);
    let malformed = client.post_raw("{nope", &[]);
    assert_eq!(malformed.status, 200);
    assert_eq!(malformed.json()["error"]["code"], -32700);
    let html = client
        .agent
        .post(&client.url)
        .header("content-type", "text/html")
        .send("<p>")
        .unwrap();
    assert_eq!(html.status().as_u16(), 415);
    let rebinding = client.post_raw(
        r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#,
        &[("host", "evil.example.com")],
    );
    assert_eq!(rebinding.status, 403);
}

#[test]
fn a_token_is_required_on_every_request_when_configured() {
    let token = "e2e-token-0123456789abcdef";
    let server = spawn_http(&["--auth-token", token], &[]);
    let mut client = Client::new(&server.base);
    let missing = client.post_raw(r#"{"jsonrpc":"2.0","id":0,"method":"ping"}"#, &[]);
    assert_eq!(missing.status, 401);
    assert!(missing.www_authenticate.unwrap().starts_with("Bearer"));
    client.token = Some("wrong-token-0123456789abcdef".into());
    assert_eq!(
        client
            .post_raw(r#"{"jsonrpc":"2.0","id":0,"method":"ping"}"#, &[])
            .status,
        401
    );
    client.token = Some(token.into());
    client.initialize();
    assert_eq!(client.request("ping", json!({})).status, 200);
    assert!(!server.ttai.stderr().contains(token), "the token is never logged");
}

#[test]
fn a_public_host_without_a_token_is_refused_at_start() {
    let (code, _, stderr) = crate::support::run(
        &[
            "--broker",
            "replay",
            "--transport",
            "http",
            "--host",
            "0.0.0.0",
            "serve",
        ],
        &[],
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("auth token"), "{stderr}");
}

#[test]
fn two_clients_get_their_own_sessions_and_their_own_notifications() {
    let server = spawn_http(&[], &[]);
    let mut a = Client::new(&server.base);
    let mut b = Client::new(&server.base);
    a.initialize();
    b.initialize();
    assert_ne!(a.session, b.session);
    let (status, a_stream) = a.open_stream(None);
    assert_eq!(status, 200);
    let (_, b_stream) = b.open_stream(None);
    assert_eq!(
        a.request("resources/subscribe", json!({"uri": "alerts://active"}))
            .status,
        200
    );
    // B sets an alert: A (subscribed) hears about it on its stream, B does not.
    b.call(
        "set_price_alert",
        json!({"symbol": "SPY", "condition": "below", "threshold": 10}),
    );
    let heard = collect(&a_stream, Duration::from_secs(10), |e| {
        e.json()["method"] == "notifications/resources/updated"
    });
    assert!(
        heard
            .iter()
            .any(|e| e.json()["params"]["uri"] == "alerts://active"),
        "{heard:?}"
    );
    assert!(heard.iter().all(|e| e.id.is_some()), "every event has an id");
    // B asks for progress: it arrives on B's POST stream, and A's stream stays quiet.
    let answer = b.post_raw(
        &json!({"jsonrpc": "2.0", "id": 9, "method": "tools/call",
            "params": {"name": "run_full_analysis", "arguments": {"symbol": "QQQ", "strategy": "csp"}, "_meta": {"progressToken": "b-progress"}}})
        .to_string(),
        &[],
    );
    assert!(answer.content_type.starts_with("text/event-stream"), "{answer:?}");
    let events: Vec<Value> = answer
        .body
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter_map(|d| serde_json::from_str(d.trim()).ok())
        .collect();
    assert!(
        events
            .iter()
            .filter(|e| e["method"] == "notifications/progress")
            .count()
            >= 5,
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| e["id"] == 9 && e["result"]["isError"] == false)
    );
    let on_a = collect(&a_stream, Duration::from_millis(500), |_| false);
    assert!(
        on_a.iter()
            .all(|e| e.json()["params"]["progressToken"] != "b-progress"),
        "{on_a:?}"
    );
    let on_b = collect(&b_stream, Duration::from_millis(300), |_| false);
    assert!(
        on_b.iter()
            .all(|e| e.json()["method"] != "notifications/resources/updated"),
        "B did not subscribe: {on_b:?}"
    );
}

#[test]
fn an_interrupted_stream_is_resumed_with_last_event_id() {
    let server = spawn_http(&[], &[]);
    let mut client = Client::new(&server.base);
    client.initialize();
    let (_, stream) = client.open_stream(None);
    client.request("resources/subscribe", json!({"uri": "alerts://active"}));
    client.call(
        "set_price_alert",
        json!({"symbol": "QQQ", "condition": "below", "threshold": 1}),
    );
    let first = collect(&stream, Duration::from_secs(10), |e| {
        e.json()["method"] == "notifications/resources/updated"
    });
    let last_id = first.last().and_then(|e| e.id.clone()).unwrap();
    drop(stream);
    // Two more updates while disconnected.
    client.call(
        "set_price_alert",
        json!({"symbol": "IWM", "condition": "below", "threshold": 1}),
    );
    client.call(
        "set_price_alert",
        json!({"symbol": "AAPL", "condition": "below", "threshold": 1}),
    );
    std::thread::sleep(Duration::from_millis(300));
    let (status, resumed) = client.open_stream(Some(&last_id));
    assert_eq!(status, 200);
    let replayed = collect(&resumed, Duration::from_secs(5), |_| false);
    let updates = replayed
        .iter()
        .filter(|e| e.json()["method"] == "notifications/resources/updated")
        .count();
    assert!(
        updates >= 2,
        "missed events are replayed after {last_id}: {replayed:?}"
    );
    assert!(
        replayed.iter().all(|e| e.id.as_deref() != Some(last_id.as_str())),
        "nothing before the last id"
    );
}

#[test]
fn the_legacy_http_sse_pair_serves_2024_11_05_clients() {
    let server = spawn_http(&[], &[]);
    let agent = crate::http_support::agent();
    let events = crate::http_support::open_legacy_sse(&agent, &server.base);
    let endpoint = events.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(endpoint.event.as_deref(), Some("endpoint"));
    assert!(endpoint.data.starts_with("/messages?sessionId="));
    let post = |body: &str| {
        let mut response = agent
            .post(&format!("{}{}", server.base, endpoint.data))
            .header("content-type", "application/json")
            .send(body)
            .unwrap();
        crate::http_support::answer(&mut response)
    };
    let accepted = post(
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2024-11-05","capabilities":{},"clientInfo":{"name":"legacy","version":"1"}}}"#,
    );
    assert_eq!(accepted.status, 202);
    let init = collect(&events, Duration::from_secs(10), |e| e.json()["id"] == 1);
    assert_eq!(
        init.last().unwrap().json()["result"]["protocolVersion"],
        "2024-11-05"
    );
    assert_eq!(init.last().unwrap().event.as_deref(), Some("message"));
    post(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);
    post(
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get_quote","arguments":{"symbol":"IWM"}}}"#,
    );
    let quote = collect(&events, Duration::from_secs(10), |e| e.json()["id"] == 2);
    assert_eq!(
        quote.last().unwrap().json()["result"]["structuredContent"]["quotes"][0]["symbol"],
        "IWM"
    );
    let unknown = {
        let mut r = agent
            .post(&format!("{}/messages?sessionId=nope", server.base))
            .header("content-type", "application/json")
            .send("{}")
            .unwrap();
        crate::http_support::answer(&mut r)
    };
    assert_eq!(unknown.status, 404);
}

#[test]
fn sigterm_with_a_request_in_flight_finishes_it() {
    // A tape big enough that the first call waits for it to load: the demo tape as a user tape,
    // which is read and checked line by line.
    let dir = tempfile::tempdir().unwrap();
    let demo = repo().join("adapters/broker-replay/tapes/demo");
    for file in ["manifest.json", "tape.jsonl.gz"] {
        std::fs::copy(demo.join(file), dir.path().join(file)).unwrap();
    }
    let server = spawn_http(&["--tape", dir.path().to_str().unwrap()], &[]);
    let mut client = Client::new(&server.base);
    client.initialize();
    let pid = server.ttai.child.id().to_string();
    let base = server.base.clone();
    let session = client.session.clone().unwrap();
    let call = std::thread::spawn(move || {
        let mut c = Client::new(&base);
        c.session = Some(session);
        c.request(
            "tools/call",
            json!({"name": "get_quote", "arguments": {"symbol": "SPY"}}),
        )
    });
    std::thread::sleep(Duration::from_millis(50));
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let answer = call.join().unwrap();
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(
        answer.json()["result"]["structuredContent"]["quotes"][0]["symbol"],
        "SPY"
    );
    let mut ttai = server.ttai;
    let status = crate::support::wait(&mut ttai.child, Duration::from_secs(20));
    assert_eq!(status.code(), Some(0));
    let log = ttai.stderr();
    let signal = log.find("signal received").expect("the signal was logged");
    let loaded = log.find("replay tape loaded").expect("the tape was loaded");
    assert!(
        signal < loaded,
        "the request was still in flight when the signal came:\n{log}"
    );
}

#[test]
fn the_official_conformance_suite_passes_every_scenario_we_can_serve() {
    let suite = repo().join(".ci/conformance");
    let node = suite.join("node_modules/.bin/node");
    assert!(
        node.exists(),
        "{} is missing: run .ci/setup-conformance (the README's test command does)",
        node.display()
    );
    let server = spawn_http(&[], &[]);
    let output = Command::new(&node)
        .arg(suite.join("node_modules/@modelcontextprotocol/conformance/dist/index.js"))
        .args([
            "server",
            "--url",
            &format!("{}/mcp", server.base),
            "--expected-failures",
        ])
        .arg(suite.join("expected-failures.yaml"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "conformance failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("Baseline check passed"), "{stdout}");
}

#[test]
fn the_python_sdk_connects_over_streamable_http_and_sse() {
    let server = spawn_http(&[], &[]);
    let output = Command::new(crate::python_sdk::python())
        .arg(repo().join("tests/e2e/python/http_client.py"))
        .arg(&server.base)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "python client failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: Value = serde_json::from_str(stdout.trim()).unwrap();
    for transport in ["streamable_http", "sse"] {
        let t = &summary[transport];
        assert!(t["tools"].as_u64().unwrap() >= 15, "{transport}: {t}");
        assert_eq!(t["quote_symbol"], "SPY", "{transport}");
        assert_eq!(t["chain_is_error"], false, "{transport}");
        assert!(t["progress_events"].as_u64().unwrap() >= 5, "{transport}: {t}");
    }
}

#[test]
fn a_fired_alert_reaches_every_connected_http_session_that_did_not_ask_for_less() {
    let server = spawn_http(&[], &[("TTAI_ALERT_INTERVAL", "200ms")]);
    let mut setter = Client::new(&server.base);
    setter.initialize();
    let mut watcher = Client::new(&server.base);
    watcher.initialize();
    let mut quiet = Client::new(&server.base);
    quiet.initialize();
    quiet.request("logging/setLevel", json!({"level": "error"}));
    let streams: Vec<_> = [&setter, &watcher, &quiet]
        .iter()
        .map(|c| c.open_stream(None).1)
        .collect();
    // SPY is above 1: it fires at the check the new alert asks for.
    let set = setter.call(
        "set_price_alert",
        json!({"symbol": "SPY", "condition": "above", "threshold": 1, "note": "http"}),
    );
    let id = set["structuredContent"]["alert"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let is_alert = |e: &SseEvent| e.json()["params"]["logger"] == "ttai.alerts";
    for stream in &streams[..2] {
        let events = collect(stream, Duration::from_secs(10), is_alert);
        let alert = events
            .iter()
            .find(|e| is_alert(e))
            .unwrap_or_else(|| panic!("{events:?}"));
        let message = alert.json();
        assert_eq!(message["method"], "notifications/message");
        assert_eq!(message["params"]["level"], "warning");
        assert_eq!(message["params"]["data"]["alert"]["id"], id);
    }
    let quiet_events = collect(&streams[2], Duration::from_millis(500), is_alert);
    assert!(!quiet_events.iter().any(is_alert), "{quiet_events:?}");
}

/// The transport's `Bind` clause, end to end: a port another program holds is a start-up
/// failure naming the address (exit code 1), not a server that never answers.
#[test]
fn a_port_already_taken_is_a_start_up_error_naming_it() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let (code, stdout, stderr) = crate::support::run(
        &[
            "--broker",
            "replay",
            "--transport",
            "http",
            "--port",
            &port,
            "serve",
        ],
        &[],
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{stderr}"
    );
    drop(taken);
}
