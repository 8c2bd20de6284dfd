//! Transition coverage from the command line: `run --coverage FILE` adds each execution's
//! states, Choice rules and Catch clauses to FILE, and `coverage FILE` reports them on the
//! definition's lines as text, JSON, lcov and GitHub annotations.

// A test fails by panicking: unwrap and expect say where (the workspace denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Output;

mod support;
use support::codegen;

fn stdout(output: &Output) -> String {
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn run_case(file: &Path, case: &str, example: &str) {
    let mocks = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/run/store-checkout.mocks.json");
    stdout(&codegen(&[
        "run",
        "definitions/store-checkout",
        "--input",
        &format!("definitions/store-checkout/examples/{example}.json"),
        "--mocks",
        mocks.to_str().unwrap(),
        "--test-case",
        case,
        "--coverage",
        file.to_str().unwrap(),
    ]));
}

#[test]
fn run_records_and_coverage_reports_in_every_format() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let file = tmp.path().join("coverage.json");
    run_case(&file, "BillingRetried", "happy-path");
    let text = stdout(&codegen(&["coverage", file.to_str().unwrap()]));
    assert!(
        text.contains("definitions/store-checkout/workflow.asl.json: 1 execution\n"),
        "{text}"
    );
    assert!(
        text.contains("  states 7/15, Choice branches 1/2, Catch edges 0/5"),
        "{text}"
    );
    assert!(text.contains("never entered: RedeemPoints"), "{text}");

    // A second run adds to the same file.
    run_case(&file, "OutOfStock", "out-of-stock");
    let json: serde_json::Value = serde_json::from_str(&stdout(&codegen(&[
        "coverage",
        file.to_str().unwrap(),
        "--format",
        "json",
    ])))
    .unwrap();
    let report = &json[0];
    assert_eq!(report["executions"], 2);
    assert_eq!(
        report["states"],
        serde_json::json!({"covered": 8, "total": 15})
    );
    assert_eq!(report["catches"]["checkInventory"]["Catch 1"], 1);
    assert_eq!(report["choices"]["isRedeemNeeded"]["Default"], 1);

    // lcov on the definition's lines: checkInventory is on line 5, entered twice.
    let lcov = stdout(&codegen(&[
        "coverage",
        file.to_str().unwrap(),
        "--format",
        "lcov",
    ]));
    assert!(
        lcov.starts_with("TN:\nSF:definitions/store-checkout/workflow.asl.json\n"),
        "{lcov}"
    );
    assert!(lcov.contains("\nDA:5,2\n"), "{lcov}");
    assert!(lcov.contains("\nLF:15\nLH:8\n"), "{lcov}");
    assert!(lcov.contains("\nBRF:7\nBRH:2\n"), "{lcov}");
    assert!(lcov.ends_with("end_of_record\n"));

    let github = stdout(&codegen(&[
        "coverage",
        file.to_str().unwrap(),
        "--format",
        "github",
    ]));
    assert_eq!(github.lines().count(), 7, "{github}");
    assert!(
        github.starts_with("::warning file=definitions/store-checkout/workflow.asl.json,line=42,")
    );

    // The flowchart draws what was never reached grey and dashed: RedeemPoints (s2) among the
    // states, and the edges no execution took.
    let mermaid = stdout(&codegen(&[
        "coverage",
        file.to_str().unwrap(),
        "--format",
        "mermaid",
    ]));
    assert!(mermaid.starts_with("flowchart TD\n"), "{mermaid}");
    let class_line = mermaid
        .lines()
        .find(|l| l.trim_start().starts_with("class ") && l.ends_with(" uncovered"))
        .unwrap_or_else(|| panic!("{mermaid}"));
    assert_eq!(class_line.matches(',').count() + 1, 7, "{class_line}");
    assert!(mermaid.contains("linkStyle "), "{mermaid}");

    // Folders of files merge (what ORDERFLOW_COVERAGE writes, one file per process).
    let again = stdout(&codegen(&["coverage", tmp.path().to_str().unwrap()]));
    assert_eq!(
        again,
        stdout(&codegen(&["coverage", file.to_str().unwrap()]))
    );
}

#[test]
fn a_file_that_is_not_coverage_exits_2() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let file = tmp.path().join("bad.json");
    std::fs::write(&file, "{\"nope\": 1}").unwrap();
    let output = codegen(&["coverage", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("not a coverage file"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `--inputs` records every line's execution; a later run adds to the same file.
#[test]
fn every_execution_of_inputs_is_recorded() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let file = tmp.path().join("c.json");
    let inputs = tmp.path().join("inputs.jsonl");
    std::fs::write(
        &inputs,
        "{\"orderId\": \"1\"}\n{\"orderId\": \"2\"}\n\n{\"orderId\": \"3\"}\n",
    )
    .unwrap();
    let mocks =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/run/order-status.mocks.json");
    for case in ["Confirmed", "PaymentDeclined"] {
        stdout(&codegen(&[
            "run",
            "definitions/order-status",
            "--inputs",
            inputs.to_str().unwrap(),
            "--mocks",
            mocks.to_str().unwrap(),
            "--test-case",
            case,
            "--coverage",
            file.to_str().unwrap(),
        ]));
    }
    let json: serde_json::Value = serde_json::from_str(&stdout(&codegen(&[
        "coverage",
        file.to_str().unwrap(),
        "--format",
        "json",
    ])))
    .unwrap();
    assert_eq!(json[0]["executions"], 6);
    assert_eq!(json[0]["outcomes"]["SUCCEEDED"], 3);
    assert_eq!(json[0]["outcomes"]["FAILED PaymentError"], 3);
}
