//! MCP 2026-07-28 beside the handshake versions, end to end: the official Python SDK in each of
//! its connect modes over stdio and HTTP, raw HTTP requests of the stateless era, a listen stream
//! ended by stdin closing, and the 2026 conformance scenario against ttai and against the Python
//! SDK's own server in the same run.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::http_support::{Answer, agent, answer, read_sse, spawn_http};
use crate::support::{BIN, Ttai, repo};

const ENVELOPE: &str = r#"{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}"#;
const START: &str = "2026-03-02T21:00:00Z";

/// Runs `tests/e2e/python/era_client.py MODE ...` and returns its summary.
fn era_client(mode: &str, target: &[&str]) -> Value {
    let output = Command::new(crate::python_sdk::python())
        .arg(repo().join("tests/e2e/python/era_client.py"))
        .arg(mode)
        .args(target)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "python client ({mode} {target:?}) failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.lines().last().unwrap_or_default()).unwrap()
}

/// What every mode must show; `modern` tells which era it settled on.
fn check(summary: &Value, modern: bool) {
    let name = format!("{} {}", summary["mode"], summary["transport"]);
    assert_eq!(summary["quote_symbol"], "SPY", "{name}");
    assert_eq!(summary["quote_is_error"], false, "{name}");
    assert!(summary["tools"].as_u64().unwrap() >= 20, "{name}");
    assert_eq!(summary["bad_call"]["is_error"], true, "{name}");
    assert_eq!(summary["bad_call"]["code"], "VALIDATION_ERROR", "{name}");
    assert_eq!(
        summary["failure_logged"], true,
        "{name}: the failure reached the log callback"
    );
    assert_eq!(summary["unknown_resource"]["uri"], "nope://nothing", "{name}");
    assert_eq!(summary["unknown_tool"], -32602, "{name}");
    assert!(
        summary["progress_events"].as_u64().unwrap() >= 5,
        "{name}: {summary}"
    );
    assert!(
        ["sell", "wait", "avoid"].contains(&summary["full_action"].as_str().unwrap()),
        "{name}"
    );
    if modern {
        assert_eq!(summary["protocol_version"], "2026-07-28", "{name}");
        assert_eq!(summary["via_discover"], true, "{name}");
        assert_eq!(summary["via_initialize"], false, "{name}");
        assert_eq!(summary["supported_versions"], json!(["2026-07-28"]), "{name}");
        assert_eq!(summary["tools_ttl_ms"], 3_600_000, "{name}");
        assert_eq!(summary["tools_cache_scope"], "public", "{name}");
        assert_eq!(summary["unknown_resource"]["code"], -32602, "{name}");
        let listen = &summary["listen"];
        assert_eq!(listen["honored"], json!(["alerts://active"]), "{name}");
        assert_eq!(
            listen["fired"], true,
            "{name}: the listener heard the alert fire: {listen}"
        );
        assert_eq!(listen["fired_level"], "warning", "{name}");
        assert_eq!(listen["fired_note"], true, "{name}");
        assert_eq!(listen["fired_threshold"], true, "{name}");
        assert!(listen["updates"].as_u64().unwrap() >= 1, "{name}: {listen}");
        assert_eq!(listen["active_after"], 0, "{name}");
    } else {
        assert_eq!(summary["protocol_version"], "2025-11-25", "{name}");
        assert_eq!(summary["via_initialize"], true, "{name}");
        assert_eq!(summary["unknown_resource"]["code"], -32002, "{name}");
        assert_eq!(summary["listen"]["not_supported"], true, "{name}");
    }
}

#[test]
fn the_python_sdk_speaks_both_eras_over_stdio() {
    for (mode, modern) in [("auto", true), ("2026-07-28", true), ("legacy", false)] {
        let data = tempfile::tempdir().unwrap();
        let summary = era_client(mode, &["stdio", BIN, data.path().to_str().unwrap()]);
        check(&summary, modern);
        // Only the discover probe names the server under "auto"; a pinned client never asks.
        if mode != "2026-07-28" {
            assert_eq!(summary["server"], "ttai", "{mode}");
        }
    }
}

#[test]
fn the_python_sdk_speaks_both_eras_over_http() {
    for (mode, modern) in [("auto", true), ("2026-07-28", true), ("legacy", false)] {
        let server = spawn_http(&["--replay-at", START], &[("TTAI_ALERT_INTERVAL", "200ms")]);
        let summary = era_client(mode, &["http", &format!("{}/mcp", server.base)]);
        check(&summary, modern);
    }
}

/// A modern POST with the routing headers taken from the body unless `headers` overrides them.
fn post(url: &str, body: &Value, headers: &[(&str, &str)]) -> Answer {
    let method = body["method"].as_str().unwrap_or_default().to_owned();
    let mut request = agent()
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream");
    let mut defaults = vec![
        ("mcp-protocol-version", "2026-07-28".to_owned()),
        ("mcp-method", method),
    ];
    if let Some(name) = body["params"]["name"].as_str().or(body["params"]["uri"].as_str()) {
        defaults.push(("mcp-name", name.to_owned()));
    }
    for (name, value) in &defaults {
        if !headers.iter().any(|(h, _)| h.eq_ignore_ascii_case(name)) {
            request = request.header(*name, value);
        }
    }
    for (name, value) in headers {
        if !value.is_empty() {
            request = request.header(*name, *value);
        }
    }
    answer(&mut request.send(body.to_string()).unwrap())
}

fn with_envelope(id: Value, method: &str, mut params: Value) -> Value {
    params["_meta"] = serde_json::from_str(ENVELOPE).unwrap();
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
}

#[test]
fn modern_http_requests_need_no_session_and_their_headers_must_match_the_body() {
    let server = spawn_http(&[], &[]);
    let url = format!("{}/mcp", server.base);
    let discover = post(&url, &with_envelope(json!(1), "server/discover", json!({})), &[]);
    assert_eq!(discover.status, 200, "{discover:?}");
    assert_eq!(discover.session, None, "no session is minted");
    assert_eq!(
        discover.json()["result"]["supportedVersions"],
        json!(["2026-07-28"])
    );
    // A session id is ignored, whatever it is.
    let ignored = post(
        &url,
        &with_envelope(json!(2), "tools/list", json!({})),
        &[("mcp-session-id", "deadbeef")],
    );
    assert_eq!(ignored.status, 200, "{ignored:?}");
    assert_eq!(ignored.json()["result"]["resultType"], "complete");
    // The validation ladder and its statuses.
    let mut old = with_envelope(json!(3), "server/discover", json!({}));
    old["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] = json!("1900-01-01");
    let unsupported = post(&url, &old, &[("mcp-protocol-version", "1900-01-01")]);
    assert_eq!(
        (unsupported.status, unsupported.json()["error"]["code"].clone()),
        (400, json!(-32022))
    );
    assert_eq!(unsupported.json()["error"]["data"]["requested"], "1900-01-01");
    assert_eq!(unsupported.json()["id"], 3);
    let mismatch = post(&url, &old, &[]);
    assert_eq!(
        (mismatch.status, mismatch.json()["error"]["code"].clone()),
        (400, json!(-32020))
    );
    let no_meta = post(
        &url,
        &json!({"jsonrpc": "2.0", "id": 4, "method": "tools/list", "params": {}}),
        &[],
    );
    assert_eq!(
        (no_meta.status, no_meta.json()["error"]["code"].clone()),
        (400, json!(-32602))
    );
    let wrong_method = post(
        &url,
        &with_envelope(json!(5), "server/discover", json!({})),
        &[("mcp-method", "tools/list")],
    );
    assert_eq!(wrong_method.json()["error"]["code"], -32020);
    let call = with_envelope(
        json!(6),
        "tools/call",
        json!({"name": "get_quote", "arguments": {"symbol": "SPY"}}),
    );
    let wrong_name = post(&url, &call, &[("mcp-name", "get_quotes")]);
    assert_eq!(
        (wrong_name.status, wrong_name.json()["error"]["code"].clone()),
        (400, json!(-32020))
    );
    let encoded = post(&url, &call, &[("mcp-name", "=?base64?Z2V0X3F1b3Rl?=")]);
    assert_eq!(encoded.status, 200, "the base64 form of Mcp-Name: {encoded:?}");
    assert_eq!(
        encoded.json()["result"]["structuredContent"]["quotes"][0]["symbol"],
        "SPY"
    );
    let spaced = post(&url, &call, &[("mcp-name", "  get_quote ")]);
    assert_eq!(
        spaced.status, 200,
        "surrounding whitespace is tolerated: {spaced:?}"
    );
    // Removed methods are 404 with -32601, initialize included.
    for method in [
        "initialize",
        "ping",
        "logging/setLevel",
        "resources/subscribe",
        "unknown/method",
    ] {
        let removed = post(&url, &with_envelope(json!(7), method, json!({})), &[]);
        assert_eq!(removed.status, 404, "{method}: {removed:?}");
        assert_eq!(removed.json()["error"]["code"], -32601, "{method}");
        assert_eq!(removed.json()["id"], 7, "{method}");
    }
    let unknown = post(
        &url,
        &with_envelope(json!(8), "resources/read", json!({"uri": "nope://x"})),
        &[],
    );
    assert_eq!(
        (unknown.status, unknown.json()["error"]["data"]["uri"].clone()),
        (400, json!("nope://x"))
    );
    // Notifications are 202 without a body; an unreadable body's error has no id at all.
    let note = post(
        &url,
        &json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1}}),
        &[],
    );
    assert_eq!((note.status, note.body.as_str()), (202, ""));
    let garbage = agent()
        .post(&url)
        .header("content-type", "application/json")
        .header("mcp-protocol-version", "2026-07-28")
        .send("{not json")
        .map(|mut r| answer(&mut r))
        .unwrap();
    assert_eq!(garbage.status, 400);
    assert!(!garbage.body.contains("\"id\""), "{garbage:?}");
    // GET and DELETE with a modern header: 405, Allow: POST.
    for verb in ["GET", "DELETE"] {
        let request = ureq::http::Request::builder()
            .method(verb)
            .uri(&url)
            .header("mcp-protocol-version", "2026-07-28")
            .header("accept", "text/event-stream")
            .body(())
            .unwrap();
        let mut response = agent().run(request).unwrap();
        assert_eq!(response.status().as_u16(), 405, "{verb}");
        assert_eq!(response.headers().get("allow").unwrap(), "POST");
        let _ = response.body_mut().read_to_string();
    }
    // A client that reads only SSE gets its answer as one event.
    let sse_only = agent()
        .post(&url)
        .header("content-type", "application/json")
        .header("accept", "text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "tools/list")
        .send(with_envelope(json!(9), "tools/list", json!({})).to_string())
        .map(|mut r| answer(&mut r))
        .unwrap();
    assert_eq!(sse_only.content_type, "text/event-stream");
    assert!(
        sse_only
            .body
            .starts_with("event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":9,")
    );
    // The handshake era still works at the same address: initialize mints a session.
    let init = post(
        &url,
        &json!({"jsonrpc": "2.0", "id": 10, "method": "initialize",
            "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "e2e", "version": "1"}}}),
        &[("mcp-protocol-version", ""), ("mcp-method", "")],
    );
    assert_eq!(init.status, 200, "{init:?}");
    assert!(init.session.is_some());
    assert_eq!(init.json()["result"]["protocolVersion"], "2025-11-25");
}

#[test]
fn a_listen_stream_over_http_is_acknowledged_first_and_ends_with_the_server() {
    let server = spawn_http(&[], &[]);
    let url = format!("{}/mcp", server.base);
    let listen = with_envelope(
        json!("L"),
        "subscriptions/listen",
        json!({"notifications": {"toolsListChanged": true, "resourceSubscriptions": ["alerts://active"]}}),
    );
    // JSON only is not enough for a stream.
    let refused = agent()
        .post(&url)
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "subscriptions/listen")
        .send(listen.to_string())
        .map(|mut r| answer(&mut r))
        .unwrap();
    assert_eq!(refused.status, 406);
    let response = agent()
        .post(&url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "subscriptions/listen")
        .send(listen.to_string())
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers().get("content-type").unwrap(),
        "text/event-stream"
    );
    assert_eq!(response.headers().get("x-accel-buffering").unwrap(), "no");
    let events = read_sse(response);
    let ack = events.recv_timeout(Duration::from_secs(10)).unwrap().json();
    assert_eq!(ack["method"], "notifications/subscriptions/acknowledged");
    assert_eq!(
        ack["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        "L"
    );
    assert_eq!(
        ack["params"]["notifications"],
        json!({"resourceSubscriptions": ["alerts://active"]})
    );
    // An alert set by another request is heard on the stream.
    let set = post(
        &url,
        &with_envelope(
            json!(2),
            "tools/call",
            json!({"name": "set_price_alert", "arguments": {"symbol": "SPY", "condition": "above", "threshold": 100000}}),
        ),
        &[],
    );
    assert_eq!(set.status, 200, "{set:?}");
    let update = events.recv_timeout(Duration::from_secs(10)).unwrap().json();
    assert_eq!(update["method"], "notifications/resources/updated");
    assert_eq!(update["params"]["uri"], "alerts://active");
    assert_eq!(
        update["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        "L"
    );
    // SIGTERM: the stream ends with the listen request's result, and the process exits promptly.
    let mut ttai = server.ttai;
    let stopped = Instant::now();
    assert!(
        Command::new("kill")
            .args(["-TERM", &ttai.child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    let end = events.recv_timeout(Duration::from_secs(10)).unwrap().json();
    assert_eq!(end["id"], "L");
    assert_eq!(end["result"]["resultType"], "complete");
    assert_eq!(
        end["result"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        "L"
    );
    let status = crate::support::wait(&mut ttai.child, Duration::from_secs(20));
    assert_eq!(status.code(), Some(0));
    assert!(
        stopped.elapsed() < Duration::from_secs(8),
        "the open stream did not hold shutdown for the drain period"
    );
}

#[test]
fn a_listen_stream_on_stdio_ends_with_its_result_when_stdin_closes() {
    let mut ttai = Ttai::spawn(&["--broker", "replay", "serve"]);
    ttai.send_raw(
        &with_envelope(
            json!(1),
            "subscriptions/listen",
            json!({"notifications": {"resourceSubscriptions": ["alerts://active"]}}),
        )
        .to_string(),
    );
    let ack = ttai.recv();
    assert_eq!(ack["method"], "notifications/subscriptions/acknowledged");
    // A second request while the stream is open is answered: streams hold no request slot.
    ttai.send_raw(&with_envelope(json!(2), "tools/list", json!({})).to_string());
    let list = ttai.recv();
    assert_eq!(list["id"], 2);
    assert_eq!(list["result"]["resultType"], "complete");
    let (status, mut ttai) = ttai.finish();
    assert!(status.success());
    let end = ttai.recv();
    assert_eq!(end["id"], 1);
    assert_eq!(
        end["result"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        1
    );
    let cancelled = ttai.recv();
    assert_eq!(cancelled["method"], "notifications/cancelled");
    assert_eq!(cancelled["params"]["requestId"], 1);
}

/// The statuses of a conformance run's checks: (passed, failed, other), and the checks by id.
fn checks(output_dir: &std::path::Path) -> (usize, usize, usize, Vec<(String, String)>) {
    let file = walk(output_dir)
        .into_iter()
        .find(|p| p.ends_with("checks.json"))
        .expect("the suite wrote checks.json");
    let checks: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    let by_id: Vec<(String, String)> = checks
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_owned(),
                c["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let count = |s: &str| by_id.iter().filter(|(_, status)| status == s).count();
    let passed = count("SUCCESS");
    let failed = count("FAILURE");
    (passed, failed, by_id.len() - passed - failed, by_id)
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn run_suite(url: &str, expected_failures: bool, output: &std::path::Path) -> std::process::Output {
    let suite = repo().join(".ci/conformance-2026");
    let node = suite.join("node_modules/.bin/node");
    assert!(
        node.exists(),
        "{} is missing: run .ci/setup-conformance (the README's test command does)",
        node.display()
    );
    let mut command = Command::new(node);
    command
        .arg(suite.join("node_modules/@modelcontextprotocol/conformance/dist/index.js"))
        .args([
            "server",
            "--url",
            url,
            "--scenario",
            "server-stateless",
            "--spec-version",
            "2026-07-28",
            "-o",
        ])
        .arg(output);
    if expected_failures {
        command
            .arg("--expected-failures")
            .arg(suite.join("expected-failures.yaml"));
    }
    command.output().unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn the_2026_conformance_scenario_passes_and_ttai_passes_every_check_the_python_sdk_passes() {
    let server = spawn_http(&[], &[]);
    let ttai_out = tempfile::tempdir().unwrap();
    let run = run_suite(&format!("{}/mcp", server.base), true, ttai_out.path());
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "conformance (2026-07-28) failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(stdout.contains("Baseline check passed"), "{stdout}");
    let (passed, failed, other, ttai) = checks(ttai_out.path());

    // The Python SDK's own server, same suite, same run.
    let port = free_port();
    let mut reference = Command::new(crate::python_sdk::python())
        .arg(repo().join("tests/e2e/python/reference_server.py"))
        .arg(port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "the Python reference server did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let reference_out = tempfile::tempdir().unwrap();
    run_suite(
        &format!("http://127.0.0.1:{port}/mcp"),
        false,
        reference_out.path(),
    );
    let _ = reference.kill();
    let _ = reference.wait();
    let (py_passed, py_failed, py_other, python) = checks(reference_out.path());
    eprintln!(
        "server-stateless @2026-07-28: ttai {passed} passed, {failed} failed, {other} other; Python SDK reference {py_passed} passed, {py_failed} failed, {py_other} other"
    );
    let expected =
        std::fs::read_to_string(repo().join(".ci/conformance-2026/expected-failures.yaml")).unwrap();
    for (id, status) in &python {
        if status != "SUCCESS" {
            continue;
        }
        let ours = ttai.iter().filter(|(i, _)| i == id).all(|(_, s)| s == "SUCCESS");
        assert!(
            ours || expected.contains(&format!("server-stateless:{id}")),
            "the Python SDK passes {id} and ttai does not: {ttai:?}"
        );
    }
    assert!(passed >= 20, "{ttai:?}");
}
