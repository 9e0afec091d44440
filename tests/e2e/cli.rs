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
