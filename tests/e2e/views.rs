//! The MCP Apps views in a real browser: the Node suite in `tests/views` (Debian chromium through
//! playwright-core, the ext-apps package's `AppBridge` as the host) against this build's binary
//! over stdio. Screenshots land in `target/view-screenshots/`.

use std::process::Command;

use crate::support::{BIN, repo};

#[test]
fn every_view_renders_the_binarys_numbers_and_calls_back_through_the_host_in_chromium() {
    let suite = repo().join("tests/views");
    let node = suite.join("node_modules/.bin/node");
    assert!(
        node.exists() && std::path::Path::new("/usr/bin/chromium").exists(),
        "{} or /usr/bin/chromium is missing: run .ci/setup-views (the README's test command does)",
        node.display()
    );
    let output = Command::new(&node)
        .args([
            "--test",
            "--test-concurrency=1",
            "--test-reporter=spec",
            "views.test.mjs",
        ])
        .current_dir(&suite)
        .env("TTAI_BIN", BIN)
        .env("TTAI_VIEW_ARTIFACTS", repo().join("target/view-screenshots"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the browser tests failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("fail 0"), "{stdout}");
    assert!(!stdout.contains("pass 0"), "{stdout}");
}
