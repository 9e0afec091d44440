//! `ttai quant`: the public reference cases through the CLI, checked by the reference checker.

use std::process::Command;

use crate::support::{repo, run};

fn check(expected: &str, actual: &std::path::Path) -> String {
    let data = repo().join("src/core/testdata/quant");
    let output = Command::new("python3")
        .arg(data.join("check.py"))
        .arg(data.join("public").join(expected))
        .arg(actual)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "check.py failed for {expected}:\n{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(text.contains("RESULT: PASS"), "{text}");
    text
}

#[test]
fn black_scholes_cases_pass_the_reference_checker() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bs.json");
    let input = repo().join("src/core/testdata/quant/public/bs_inputs.json");
    let (code, _, stderr) = run(
        &[
            "quant",
            "bs",
            "--json",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(code, 0, "{stderr}");
    check("bs_expected.json", &out);
}

#[test]
fn indicator_series_pass_the_reference_checker_through_stdout() {
    for (csv, expected) in [
        ("ohlcv_a.csv", "ta_expected_a.json"),
        ("ohlcv_edge.csv", "ta_expected_edge.json"),
    ] {
        let input = repo().join("src/core/testdata/quant/public").join(csv);
        let (code, stdout, stderr) = run(&["quant", "ta", "--csv", input.to_str().unwrap()], &[]);
        assert_eq!(code, 0, "{stderr}");
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("ta.json");
        std::fs::write(&out, stdout).unwrap();
        check(expected, &out);
    }
}

#[test]
fn bad_input_files_are_clear_errors_naming_the_line_or_case() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("bad.csv");
    std::fs::write(
        &csv,
        "date,open,high,low,close,volume\n2024-01-02,1,2,0.5,1.5,100\n2024-01-03,1,2,0.5,abc,100\n",
    )
    .unwrap();
    let (code, stdout, stderr) = run(&["quant", "ta", "--csv", csv.to_str().unwrap()], &[]);
    assert_ne!(code, 0);
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("line 3") && stderr.contains("bad.csv"),
        "{stderr}"
    );
    let json = dir.path().join("bad.json");
    std::fs::write(
        &json,
        r#"{"schema":"ttai-quant-bs-input/1","cases":[{"id":"x1","type":"call","spot":100}]}"#,
    )
    .unwrap();
    // One bad case is reported in its place; the other cases still get results.
    let (code, stdout, stderr) = run(&["quant", "bs", "--json", json.to_str().unwrap()], &[]);
    assert_eq!(code, 0, "{stderr}");
    let output: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(output["cases"][0]["error"], "case x1: missing field `strike`");
    std::fs::write(&json, "{not json").unwrap();
    let (code, _, stderr) = run(&["quant", "bs", "--json", json.to_str().unwrap()], &[]);
    assert_ne!(code, 0);
    assert!(stderr.contains("bad.json"), "{stderr}");
    let (code, _, stderr) = run(&["quant", "bs", "--json", "/nonexistent/file.json"], &[]);
    assert_ne!(code, 0);
    assert!(stderr.contains("cannot read /nonexistent/file.json"), "{stderr}");
}
