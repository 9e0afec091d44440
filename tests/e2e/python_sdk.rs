//! A real third-party client: the official MCP Python SDK (installed into `.venv` by
//! `.ci/setup-python`, which the test command runs first).

use std::process::Command;

use serde_json::Value;

use crate::support::{BIN, repo};

/// The venv's python; the test fails (it does not skip) when the setup script was not run.
pub fn python() -> std::path::PathBuf {
    contract_tests::scenario::venv_python()
}

/// Runs `tests/e2e/python/SCRIPT BINARY DATA_DIR` (a client of the binary over stdio, on a fresh
/// data dir) and returns the JSON summary it prints.
pub fn run_stdio_client(script: &str) -> Value {
    let data_dir = tempfile::tempdir().unwrap();
    run_client(script, &[BIN, data_dir.path().to_str().unwrap()])
}

/// Runs `tests/e2e/python/SCRIPT` with `args` and returns the JSON summary it prints last.
pub fn run_client(script: &str, args: &[&str]) -> Value {
    let output = Command::new(python())
        .arg(repo().join("tests/e2e/python").join(script))
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "python client failed:\n{}\n{}",
        stdout,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.lines().last().unwrap_or_default()).unwrap()
}

#[test]
fn the_python_sdk_lists_and_calls_tools_over_stdio() {
    let summary = run_stdio_client("stdio_client.py");
    assert_eq!(summary["server"], "ttai");
    // The SDK's default mode probes with server/discover and settles on the stateless revision.
    assert_eq!(summary["protocol_version"], "2026-07-28");
    for tool in [
        "get_quote",
        "get_option_chain",
        "get_positions",
        "get_balances",
        "get_market_metrics",
        "search_symbols",
        "analyze_payoff",
        "run_backtest",
    ] {
        assert!(
            summary["tools"].as_array().unwrap().iter().any(|t| t == tool),
            "{tool} listed"
        );
    }
    let calls = summary["calls"].as_array().unwrap();
    for call in &calls[..calls.len() - 1] {
        assert_eq!(call["is_error"], false, "{call}");
        assert_eq!(call["text_is_json"], true);
        let sourced = ![
            "get_analysis_history",
            "set_price_alert",
            "list_alerts",
            "search_knowledge",
        ]
        .contains(&call["tool"].as_str().unwrap());
        if sourced {
            assert!(
                call["source"].as_str().unwrap().starts_with("replay:demo"),
                "{call}"
            );
        }
    }
    assert_eq!(calls.len(), 21);
    assert_eq!(calls.last().unwrap()["code"], "VALIDATION_ERROR");
    assert!(
        summary["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "portfolio://balances")
    );
    assert_eq!(summary["positions_resource_account"], "5SY•••01");
    assert_eq!(summary["prompt_mentions_symbol"], true);
}

/// Every tool, with the size test's default arguments: the text content is the same JSON as
/// `structuredContent` (ARCHITECTURE.md "Answers sized for a model"), the SDK validates each
/// against its output schema, and a long chain pages to the end.
#[test]
fn the_python_sdk_sees_the_same_answer_in_text_and_structured_content_for_every_tool() {
    let summary = run_stdio_client("every_tool_client.py");
    let calls = summary["calls"].as_array().unwrap();
    assert!(calls.len() >= 23, "{calls:?}");
    for call in calls {
        assert_eq!(call["is_error"], false, "{call}");
        assert_eq!(call["consistent"], true, "{call}");
        assert!(
            call["text_bytes"].as_u64().unwrap() <= crate::sizes::MAX_TEXT as u64,
            "{call}"
        );
    }
    let pages = summary["pages"].as_array().unwrap();
    assert!(pages.len() > 1, "a 60-day chain pages: {pages:?}");
    let total: u64 = pages.iter().map(|p| p["rows"].as_u64().unwrap()).sum();
    assert_eq!(
        total,
        pages[0]["rows"].as_u64().unwrap() + pages[0]["later"].as_u64().unwrap()
    );
    for page in pages {
        assert_eq!(page["consistent"], true, "{page}");
    }
    assert_eq!(pages.last().unwrap()["later"], 0);
}
