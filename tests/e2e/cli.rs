//! The command line: `call`, settings errors.

use serde_json::Value;

use crate::support::run;

#[test]
fn call_prints_a_quote_from_the_demo_tape() {
    let (code, stdout, stderr) = run(&["--broker", "replay", "call", "get_quote", "symbol=SPY"], &[]);
    assert_eq!(code, 0, "{stderr}");
    let value: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(value["quotes"][0]["symbol"], "SPY");
    assert_eq!(value["source"], "replay:demo");
    assert_eq!(value["synthetic"], true);
}

#[test]
fn call_takes_json_arguments_and_reports_tool_errors_with_exit_code_1() {
    let (code, stdout, _) = run(
        &[
            "--broker",
            "replay",
            "call",
            "get_market_metrics",
            "--json",
            r#"{"symbols":["AAPL","IWM"]}"#,
        ],
        &[],
    );
    assert_eq!(code, 0);
    let value: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(value["count"], 2);
    let (code, stdout, _) = run(&["--broker", "replay", "call", "get_quote", "symbol=NOPE"], &[]);
    assert_eq!(code, 1);
    let value: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(value["error"]["code"], "NOT_FOUND");
    let (code, _, stderr) = run(&["--broker", "replay", "call", "get_quotes"], &[]);
    assert_ne!(code, 0);
    assert!(
        stderr.contains("Unknown tool") && stderr.contains("get_quote"),
        "{stderr}"
    );
}

#[test]
fn invalid_settings_are_all_reported_with_exit_code_2() {
    let (code, stdout, stderr) = run(
        &[
            "--transport",
            "pigeon",
            "--port",
            "99999",
            "--broker",
            "replay",
            "call",
            "get_quote",
            "symbol=SPY",
        ],
        &[("TASTYTRADE_API_URL", "not a url")],
    );
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    for setting in ["transport", "port", "TASTYTRADE_API_URL"] {
        assert!(stderr.contains(setting), "{setting} named in:\n{stderr}");
    }
}

#[test]
fn status_knows_the_replay_broker_needs_no_login() {
    let (code, stdout, stderr) = run(&["--broker", "replay", "status"], &[]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("broker:       replay (the bundled synthetic demo tape)"),
        "{stdout}"
    );
    assert!(stdout.contains("logged in:    not needed"), "{stdout}");
    let (code, stdout, _) = run(&["status", "--broker", "replay", "--json"], &[]);
    assert_eq!(code, 0);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        (report["ready"].as_bool(), report["login_needed"].as_bool()),
        (Some(true), Some(false))
    );
    assert_eq!(report["error"], Value::Null);
    // The live broker without credentials is not ready.
    let (code, stdout, _) = run(&["status"], &[]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("logged in:    no"), "{stdout}");
}

#[test]
fn notification_backends_are_checked_at_start_up() {
    let quote = ["--broker", "replay", "call", "get_quote", "symbol=SPY"];
    // `tauri`, the original design's name, is the desktop app's stderr.
    let (code, _, stderr) = run(&quote, &[("TTAI_NOTIFICATION_BACKEND", "tauri")]);
    assert_eq!(code, 0, "{stderr}");
    // A webhook without a URL would keep every alert in the outbox: refused.
    let (code, stdout, stderr) = run(&quote, &[("TTAI_NOTIFICATION_BACKEND", "webhook")]);
    assert_eq!(code, 2, "{stdout}");
    assert!(stderr.contains("webhook needs TTAI_WEBHOOK_URL"), "{stderr}");
    let (code, _, stderr) = run(
        &quote,
        &[
            ("TTAI_NOTIFICATION_BACKEND", "webhook"),
            ("TTAI_WEBHOOK_URL", "http://127.0.0.1:9/hook"),
        ],
    );
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn help_shows_each_command_its_own_options_with_examples_and_call_lists_the_tools() {
    let (code, quant, _) = run(&["quant", "--help"], &[]);
    assert_eq!(code, 0);
    assert!(
        !quant.contains("--transport") && !quant.contains("--port"),
        "{quant}"
    );
    let (_, bs, _) = run(&["quant", "bs", "--help"], &[]);
    assert!(
        !bs.contains("--transport") && !bs.contains("--broker") && bs.contains("Example"),
        "{bs}"
    );
    let (code, call, _) = run(&["call", "--help"], &[]);
    assert_eq!(code, 0);
    for tool in [
        "get_quote",
        "get_option_chain",
        "run_full_analysis",
        "list_alerts",
        "replay_clock",
    ] {
        assert!(call.contains(tool), "{tool} in:\n{call}");
    }
    assert!(
        call.contains("Examples:") && !call.contains("--transport"),
        "{call}"
    );
    let (_, top, _) = run(&["--help"], &[]);
    assert!(
        top.contains("Examples:") && top.contains("ttai --broker replay"),
        "{top}"
    );
}

#[test]
fn an_offline_login_says_tastytrade_cannot_be_reached_and_stores_nothing() {
    let data_dir = tempfile::tempdir().unwrap();
    // `.invalid` never resolves: what an offline computer sees for any host name.
    for (url, why) in [
        ("http://api.ttai-offline.invalid", "does not resolve"),
        ("http://127.0.0.1:9", "refused the connection"),
    ] {
        let output = crate::support::command(data_dir.path(), &["login"], &[("TASTYTRADE_API_URL", url)])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                child.stdin.take().unwrap().write_all(b"secret\ntoken\n")?;
                child.wait_with_output()
            })
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("cannot reach TastyTrade") && stderr.contains(why),
            "{stderr}"
        );
        assert!(stderr.contains("Nothing was stored"), "{stderr}");
        assert!(
            !stderr.contains("uncategorized") && !stderr.contains("did not accept"),
            "{stderr}"
        );
        assert!(!data_dir.path().join(".credentials").exists());
    }
}

#[test]
fn ttai_runs_without_home_in_the_platforms_data_folder() {
    let xdg = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(crate::support::BIN)
        .args([
            "--broker",
            "replay",
            "call",
            "set_price_alert",
            "symbol=SPY",
            "condition=above",
            "threshold=900",
        ])
        .env_remove("HOME")
        .env_remove("TTAI_DATA_DIR")
        .env_remove("TTAI_BROKER")
        .env("XDG_DATA_HOME", xdg.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(xdg.path().join("ttai").join("ttai.db").is_file(), "{stderr}");
}
