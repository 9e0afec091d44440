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
    let output = Command::new(python())
        .arg(repo().join("tests/e2e/python").join(script))
        .arg(BIN)
        .arg(data_dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "python client failed:\n{}\n{}",
        stdout,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap()
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
