//! Price alerts end to end: they fire on the replay clock, reach the desktop app (stderr) or a
//! webhook exactly once, and survive restarts and `kill -9`.

use std::time::{Duration, Instant};

use contract_tests::webhook_receiver::WebhookReceiver;
use serde_json::{Value, json};

use crate::support::Ttai;

const START: &str = "2026-03-02T21:00:00Z";

fn spawn(data_dir: tempfile::TempDir, extra_env: &[(&str, &str)]) -> Ttai {
    let mut env = vec![("TTAI_ALERT_INTERVAL", "200ms")];
    env.extend_from_slice(extra_env);
    let mut ttai = Ttai::spawn_in(
        data_dir,
        &["--broker", "replay", "--replay-at", START, "serve"],
        &env,
    );
    ttai.initialize("2025-11-25");
    ttai
}

/// Notification lines the stderr notifier wrote.
fn notification_lines(ttai: &Ttai) -> Vec<Value> {
    ttai.stderr()
        .lines()
        .filter(|l| l.starts_with("{\"type\":\"notification\""))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn wait_until(mut check: impl FnMut() -> bool, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    check()
}

fn price(ttai: &mut Ttai, symbol: &str) -> f64 {
    let quote = ttai.call("get_quote", json!({"symbol": symbol}));
    quote["structuredContent"]["quotes"][0]["last"].as_f64().unwrap()
}

/// The first trading day within 60 days whose SPY price exceeds today's by 1%, and that price.
fn a_later_rise(ttai: &mut Ttai) -> (String, f64) {
    let start = price(ttai, "SPY");
    for day in 1..60 {
        let moved = ttai.call("replay_clock", json!({"to": START}));
        assert_eq!(moved["isError"], false);
        ttai.call("replay_clock", json!({"advance_days": day}));
        let later = price(ttai, "SPY");
        if later > start * 1.01 {
            let now = ttai.call("replay_clock", json!({}))["structuredContent"]["now"]
                .as_str()
                .unwrap()
                .to_owned();
            ttai.call("replay_clock", json!({"to": START}));
            return (now, later);
        }
    }
    panic!("the demo tape has no 1% rise of SPY within 60 days of {START}");
}

#[test]
fn an_alert_fires_once_on_the_replay_clock_and_stays_fired_across_restarts() {
    let mut ttai = spawn(tempfile::tempdir().unwrap(), &[]);
    let (rise_at, rise_price) = a_later_rise(&mut ttai);
    let start_price = price(&mut ttai, "SPY");
    let threshold = ((start_price + rise_price) / 2.0 * 100.0).round() / 100.0;
    ttai.request("resources/subscribe", json!({"uri": "alerts://active"}));
    let (set, _) = ttai.request_with_notes(
        "tools/call",
        json!({"name": "set_price_alert", "arguments": {"symbol": "SPY", "condition": "above", "threshold": threshold, "note": "e2e"}}),
    );
    let id = set["result"]["structuredContent"]["alert"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    std::thread::sleep(Duration::from_millis(600));
    assert!(
        notification_lines(&ttai).is_empty(),
        "nothing fires before the price moves"
    );

    let (_, notes) = ttai.request_with_notes(
        "tools/call",
        json!({"name": "replay_clock", "arguments": {"to": rise_at}}),
    );
    assert!(
        wait_until(|| !notification_lines(&ttai).is_empty(), Duration::from_secs(10)),
        "stderr:\n{}",
        ttai.stderr()
    );
    // Later checks (interval and further clock moves) do not fire it again.
    let (_, later_notes) = ttai.request_with_notes(
        "tools/call",
        json!({"name": "replay_clock", "arguments": {"advance_days": 1}}),
    );
    std::thread::sleep(Duration::from_millis(800));
    let lines = notification_lines(&ttai);
    assert_eq!(lines.len(), 1, "exactly one notification line: {lines:?}");
    let line = &lines[0];
    assert_eq!(line["kind"], "alert_triggered");
    assert_eq!(line["alert"]["id"], id);
    assert_eq!(line["alert"]["status"], "triggered");
    assert!(line["alert"]["triggered_price"].as_f64().unwrap() >= threshold);
    assert!(line["message"].as_str().unwrap().contains("e2e"));
    // The subscribed session heard about it.
    let mut heard = notes
        .iter()
        .chain(&later_notes)
        .any(|n| n["method"] == "notifications/resources/updated");
    while let Some(message) = ttai.recv_timeout(Duration::from_millis(200)) {
        heard |= message["method"] == "notifications/resources/updated"
            && message["params"]["uri"] == "alerts://active";
    }
    assert!(heard, "notifications/resources/updated for alerts://active");

    // Restart on the same data dir: the alert is triggered and does not fire again.
    let (status, ttai) = ttai.finish();
    assert_eq!(status.code(), Some(0));
    let data_dir = ttai.data_dir_handle();
    let mut again = spawn(data_dir, &[]);
    again.call("replay_clock", json!({"to": rise_at}));
    std::thread::sleep(Duration::from_millis(800));
    let triggered = again.call("list_alerts", json!({"status": "triggered"}));
    assert_eq!(triggered["structuredContent"]["alerts"][0]["id"], id);
    assert_eq!(
        again.call("list_alerts", json!({}))["structuredContent"]["count"],
        0
    );
    assert!(
        notification_lines(&again).is_empty(),
        "not fired again after a restart"
    );
}

#[test]
fn everything_written_before_kill_9_is_there_after() {
    let mut ttai = spawn(tempfile::tempdir().unwrap(), &[]);
    let mut ids = Vec::new();
    for (i, symbol) in ["SPY", "QQQ", "AAPL", "IWM"].iter().enumerate() {
        let set = ttai.call(
            "set_price_alert",
            json!({"symbol": symbol, "condition": "below", "threshold": 1.0 + i as f64}),
        );
        ids.push(
            set["structuredContent"]["alert"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let full = ttai.call("run_full_analysis", json!({"symbol": "SPY", "strategy": "csp"}));
    let analysis_id = full["structuredContent"]["analysis_id"]
        .as_str()
        .unwrap()
        .to_owned();
    ttai.child.kill().unwrap();
    let _ = ttai.child.wait();
    let mut again = spawn(ttai.data_dir_handle(), &[]);
    let listed = again.call("list_alerts", json!({}));
    let listed: Vec<&str> = listed["structuredContent"]["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ids);
    let history = again.call("get_analysis_history", json!({"symbol": "SPY"}));
    assert_eq!(history["structuredContent"]["analyses"][0]["id"], analysis_id);
}

#[test]
fn a_second_ttai_on_the_same_data_dir_gets_a_clear_database_error() {
    let first = spawn(tempfile::tempdir().unwrap(), &[]);
    std::thread::sleep(Duration::from_millis(500));
    let path = first.data_path().to_owned();
    let (code, stdout, _) = crate::support::run(
        &["--broker", "replay", "call", "list_alerts"],
        &[("TTAI_DATA_DIR", path.to_str().unwrap())],
    );
    assert_eq!(code, 1);
    let value: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(value["error"]["code"], "DATABASE_ERROR");
    assert!(
        value["error"]["message"]
            .as_str()
            .unwrap()
            .contains("in use by another ttai"),
        "{value}"
    );
    drop(first);
}

#[test]
fn webhook_down_then_up_delivers_every_notification_once() {
    let receiver = WebhookReceiver::start().unwrap();
    receiver.stop();
    let url = receiver.url();
    let mut ttai = spawn(
        tempfile::tempdir().unwrap(),
        &[
            ("TTAI_NOTIFICATION_BACKEND", "webhook"),
            ("TTAI_WEBHOOK_URL", &url),
            ("TTAI_WEBHOOK_SECRET", "e2e-webhook-secret"),
        ],
    );
    let now = price(&mut ttai, "QQQ");
    let mut ids = Vec::new();
    for symbol in ["QQQ", "IWM"] {
        let set = ttai.call(
            "set_price_alert",
            json!({"symbol": symbol, "condition": "above", "threshold": 1.0}),
        );
        ids.push(
            set["structuredContent"]["alert"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert!(now > 1.0);
    assert!(wait_until(
        || ttai.call("list_alerts", json!({"status": "triggered"}))["structuredContent"]["count"] == 2,
        Duration::from_secs(10)
    ));
    std::thread::sleep(Duration::from_secs(2));
    assert!(receiver.requests().is_empty(), "the receiver is down");
    receiver.restart().unwrap();
    let delivered = receiver.wait_for(2, Duration::from_secs(40));
    std::thread::sleep(Duration::from_secs(2));
    let accepted = receiver.accepted();
    let mut alert_ids: Vec<String> = accepted
        .iter()
        .map(|r| r.json().unwrap()["alert"]["id"].as_str().unwrap().to_owned())
        .collect();
    alert_ids.sort();
    assert_eq!(alert_ids, ids, "each notification once: {delivered:?}");
    assert!(accepted.iter().all(|r| {
        r.header("x-ttai-signature")
            .is_some_and(|s| s.starts_with("sha256="))
    }));
    assert!(!ttai.stderr().contains("e2e-webhook-secret"));
}

/// The `notifications/message` announcing an alert among `messages`.
fn alert_messages(messages: &[Value]) -> Vec<Value> {
    messages
        .iter()
        .filter(|m| m["method"] == "notifications/message" && m["params"]["logger"] == "ttai.alerts")
        .cloned()
        .collect()
}

/// Reads messages for up to `timeout` (or until one announces an alert).
fn read_until_alert(ttai: &mut Ttai, mut seen: Vec<Value>, timeout: Duration) -> Vec<Value> {
    let deadline = Instant::now() + timeout;
    while alert_messages(&seen).is_empty() && Instant::now() < deadline {
        if let Some(message) = ttai.recv_timeout(Duration::from_millis(100)) {
            seen.push(message);
        }
    }
    seen
}

/// Sets a SPY alert (with `note`) halfway to a later rise; returns when the rise is and the id.
fn alert_before_a_rise(ttai: &mut Ttai, note: &str) -> (String, String) {
    let (rise_at, rise_price) = a_later_rise(ttai);
    let threshold = ((price(ttai, "SPY") + rise_price) / 2.0 * 100.0).round() / 100.0;
    let set = ttai.call(
        "set_price_alert",
        json!({"symbol": "SPY", "condition": "above", "threshold": threshold, "note": note}),
    );
    let id = set["structuredContent"]["alert"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    (rise_at, id)
}

#[test]
fn an_alert_that_fires_during_a_stdio_session_reaches_the_client_as_a_log_message() {
    let mut ttai = spawn(tempfile::tempdir().unwrap(), &[]);
    let (rise_at, id) = alert_before_a_rise(&mut ttai, "tell me");
    // No logging/setLevel: a fired alert is announced to every client that did not ask for less.
    let (_, notes) = ttai.request_with_notes(
        "tools/call",
        json!({"name": "replay_clock", "arguments": {"to": rise_at}}),
    );
    let seen = read_until_alert(&mut ttai, notes, Duration::from_secs(10));
    let announced = alert_messages(&seen);
    assert_eq!(announced.len(), 1, "{seen:?}\nstderr:\n{}", ttai.stderr());
    let params = &announced[0]["params"];
    assert_eq!(params["level"], "warning");
    let data = &params["data"];
    assert_eq!(data["type"], "notification");
    assert_eq!(data["kind"], "alert_triggered");
    assert_eq!(data["alert"]["id"], id);
    assert_eq!(data["alert"]["status"], "triggered");
    assert!(data["message"].as_str().unwrap().contains("tell me"));
    // The same notification the desktop app reads on stderr.
    assert!(wait_until(
        || !notification_lines(&ttai).is_empty(),
        Duration::from_secs(10)
    ));
    assert_eq!(&notification_lines(&ttai)[0], data);
    // The client heard it: nothing is left for a later listing.
    let listed = ttai.call("list_alerts", json!({"status": "triggered"}));
    assert_eq!(listed["structuredContent"]["fired_while_away"], json!([]));
    assert_eq!(listed["structuredContent"]["alerts"][0]["id"], id);
}

#[test]
fn an_alert_that_fired_while_no_client_was_connected_is_reported_by_the_next_list_alerts() {
    // Set while a client is connected, on the replay clock before the rise.
    let mut first = spawn(tempfile::tempdir().unwrap(), &[]);
    let (rise_at, id) = alert_before_a_rise(&mut first, "overnight");
    let (status, first) = first.finish();
    assert_eq!(status.code(), Some(0));

    // The server starts again after the rise; it fires before any client has connected.
    let mut later = Ttai::spawn_in(
        first.data_dir_handle(),
        &["--broker", "replay", "--replay-at", &rise_at, "serve"],
        &[("TTAI_ALERT_INTERVAL", "200ms")],
    );
    assert!(
        wait_until(|| !notification_lines(&later).is_empty(), Duration::from_secs(20)),
        "stderr:\n{}",
        later.stderr()
    );
    later.initialize("2025-11-25");
    // The morning briefing starts with it ...
    let briefing = later.request("prompts/get", json!({"name": "morning-briefing"}));
    let text = briefing["result"]["messages"][0]["content"]["text"]
        .as_str()
        .unwrap();
    assert!(
        text.contains("While no client was connected") && text.contains(&id) && text.contains("overnight"),
        "{text}"
    );
    // ... and the next listing reports it, once.
    let (listed, notes) = later.request_with_notes(
        "tools/call",
        json!({"name": "list_alerts", "arguments": {"status": "triggered", "since": START}}),
    );
    let listed = &listed["result"]["structuredContent"];
    assert_eq!(listed["count"], 1);
    assert_eq!(listed["alerts"][0]["id"], id);
    assert_eq!(listed["fired_while_away"][0]["id"], id);
    assert_eq!(
        listed["fired_while_away"][0]["triggered_at"].as_str().unwrap(),
        rise_at
    );
    let again = later.call("list_alerts", json!({}));
    assert_eq!(again["structuredContent"]["fired_while_away"], json!([]));
    let since_the_rise = later.call(
        "list_alerts",
        json!({"status": "triggered", "since": "2100-01-01"}),
    );
    assert_eq!(since_the_rise["structuredContent"]["count"], 0);
    assert!(
        alert_messages(&notes).is_empty(),
        "nobody was connected to hear it: {notes:?}"
    );
}
