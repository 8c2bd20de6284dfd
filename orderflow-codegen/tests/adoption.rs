//! `check` on the workflows teams already have: the adoption corpus in `tests/adoption/corpus`
//! (lone ASL files in JSON and YAML, SAM and CloudFormation templates, serverless.yml, CDK
//! output, a whole project folder), each case one folder. `cases.json` gives each case's verdict
//! and, for a broken one, where the error must point in the file the user wrote.
//!
//! Valid cases exit 0. Broken ones exit 1 with an error at that line:column. What every case
//! prints is snapshotted (reviewed, in `snapshots/adoption__*.snap`).

// A test fails by panicking: unwrap and expect say where (the workspace denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

struct Case {
    name: String,
    broken: bool,
    location: Option<String>,
}

fn cases() -> Vec<Case> {
    let path = repo_root().join("tests/adoption/corpus/cases.json");
    let text = std::fs::read_to_string(&path).expect("tests/adoption/corpus/cases.json");
    let json: serde_json::Value = serde_json::from_str(&text).expect("cases.json is JSON");
    json.as_array()
        .expect("cases.json is an array")
        .iter()
        .map(|c| Case {
            name: c["case"].as_str().expect("case").to_string(),
            broken: c["verdict"] == "broken",
            location: c["location"].as_str().map(str::to_string),
        })
        .collect()
}

/// `check --format short CASE` from the repository root: exit code and stderr.
fn check(case: &str) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_orderflow-codegen"))
        .current_dir(repo_root())
        .args(["check", "--format", "short", "--color", "never"])
        .arg(format!("tests/adoption/corpus/{case}"))
        .output()
        .expect("orderflow-codegen runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_corpus_covers_every_input_form() {
    let cases = cases();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    for prefix in [
        "asl-json",
        "asl-yaml",
        "sam-yaml",
        "sam-json",
        "cfn-yaml",
        "cfn-json",
        "serverless",
        "cdk-out",
        "cdk-template",
        "directory",
    ] {
        assert!(
            cases
                .iter()
                .any(|c| !c.broken && c.name.starts_with(prefix)),
            "no valid {prefix} case"
        );
    }
}

#[test]
fn valid_definitions_exit_0() {
    let mut failures = Vec::new();
    for case in cases().iter().filter(|c| !c.broken) {
        let (code, stderr) = check(&case.name);
        if code != Some(0) {
            failures.push(format!("{} exited {code:?}:\n{stderr}", case.name));
            continue;
        }
        // What a valid case still says: notes (untyped functions, a definition in S3).
        insta::assert_snapshot!(case.name.as_str(), stderr);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn broken_definitions_are_reported_where_the_user_wrote_them() {
    let mut failures = Vec::new();
    for case in cases().iter().filter(|c| c.broken) {
        let (code, stderr) = check(&case.name);
        let location = case.location.as_deref().unwrap_or("");
        let expected = format!("tests/adoption/corpus/{}/{location}: error[", case.name);
        if code != Some(1) || !stderr.contains(&expected) {
            failures.push(format!(
                "{}: expected exit 1 and an error at {location}; got {code:?}:\n{stderr}",
                case.name
            ));
            continue;
        }
        insta::assert_snapshot!(case.name.as_str(), stderr);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A whole project: the search skips node_modules, reads the definition a template names once
/// (with the template), and lists what it found.
#[test]
fn a_project_folder_is_searched() {
    let (code, stderr) = check("directory-mixed-project");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("node_modules"), "{stderr}");
    assert!(stderr.starts_with("checking "), "{stderr}");
}

/// `check .` at this repository's root finds the workflow folders under definitions/ and the
/// generated SAM and serverless templates, and those are clean (the SAM templates' DefinitionUri
/// leads into the workflow folders, whose schemas type them).
#[test]
fn the_repository_root_is_searched() {
    let out = Command::new(env!("CARGO_BIN_EXE_orderflow-codegen"))
        .current_dir(repo_root())
        .args(["check", "--format", "short", "."])
        .output()
        .expect("orderflow-codegen runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    for found in [
        "  definitions/store-checkout (workflow folder)",
        "  definitions/order-status (workflow folder)",
        "  generated-example/store-checkout/template.yaml: StateMachine (SAM template)",
        "  generated-example/order-status/serverless.yml: orderStatus (serverless.yml)",
    ] {
        assert!(
            stderr.lines().any(|l| l == found),
            "{found} not in:\n{stderr}"
        );
    }
    for line in stderr.lines() {
        let ours = line.starts_with("definitions/") || line.starts_with("generated-example/");
        assert!(
            !(ours && (line.contains(": error[") || line.contains(": warning["))),
            "{line}"
        );
    }
    assert!(!stderr.contains("target/"), "target/ is skipped");
}

/// `run` and `graph` read what `check` reads: here a SAM template whose DefinitionUri is a YAML
/// definition, its Lambda ARNs filled in by DefinitionSubstitutions.
#[test]
fn run_and_graph_read_a_sam_template() {
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    write(
        "template.yaml",
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  ChargeCardFunction:\n    Type: AWS::Serverless::Function\n  Checkout:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n      DefinitionUri: statemachine/checkout.asl.yaml\n      DefinitionSubstitutions:\n        ChargeCardArn: !GetAtt ChargeCardFunction.Arn\n",
    );
    write(
        "statemachine/checkout.asl.yaml",
        "StartAt: Charge card\nStates:\n  Charge card:\n    Type: Task\n    Resource: ${ChargeCardArn}\n    End: true\n",
    );
    write("in.json", r#"{"amount": 3}"#);
    write(
        "mocks.json",
        r#"{"StateMachines": {"Checkout": {"TestCases": {"happy": {"Charge card": "Charged"}}}},
            "MockedResponses": {"Charged": {"0": {"Return": {"chargeId": "ch_1"}}}}}"#,
    );
    let bin = env!("CARGO_BIN_EXE_orderflow-codegen");
    let run = Command::new(bin)
        .current_dir(dir.path())
        .args(["run", "template.yaml", "--input", "in.json"])
        .args(["--mocks", "mocks.json", "--test-case", "happy"])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let result: serde_json::Value = serde_json::from_str(&stdout).expect("JSON result");
    assert_eq!(result["status"], "SUCCEEDED");
    assert_eq!(result["output"]["chargeId"], "ch_1");

    let graph = Command::new(bin)
        .current_dir(dir.path())
        .args(["graph", "template.yaml"])
        .output()
        .expect("runs");
    let mermaid = String::from_utf8_lossy(&graph.stdout);
    assert!(
        mermaid.contains("Charge card<br>Task: λ chargeCard"),
        "{mermaid}"
    );
}

/// Bad input never panics: every corpus file, cut at many places, is parsed, searched for state
/// machines, and those are checked (an error is fine, a panic is not).
#[test]
fn truncated_corpus_files_never_panic() {
    use orderflow_model::source::SourceFile;
    use orderflow_model::template;
    use orderflow_model::workflow::WorkflowSources;

    let mut files = Vec::new();
    let mut stack = vec![repo_root().join("tests/adoption/corpus")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path
                .extension()
                .is_some_and(|e| e == "json" || e == "yaml" || e == "yml")
            {
                files.push(path);
            }
        }
    }
    assert!(files.len() > 40);
    for path in files {
        let text = std::fs::read_to_string(&path).expect("readable");
        let cuts = (0..text.len()).step_by(text.len() / 60 + 1);
        for cut in cuts.filter(|c| text.is_char_boundary(*c)) {
            let file = SourceFile::new(&path, &text[..cut]);
            let Ok(json) = orderflow_model::document::parse(&file) else {
                continue;
            };
            let mut read = |_: &Path| Err("not read in this test".to_string());
            let machines = match template::kind_of(&json) {
                template::DocumentKind::Template => {
                    template::machines_in_template(&file, &json, &mut read)
                }
                template::DocumentKind::Serverless => {
                    template::machines_in_serverless(&file, &json, &mut read)
                }
                _ => Vec::new(),
            };
            for machine in machines {
                let _ = orderflow_model::analyze(&WorkflowSources::embedded(machine));
            }
        }
    }
}

/// `--allow` takes warning and note codes only; `--strict` turns untyped functions into errors.
#[test]
fn allow_and_strict_on_the_command_line() {
    let bin = env!("CARGO_BIN_EXE_orderflow-codegen");
    let case = "tests/adoption/corpus/cdk-template-jsonata-lambda-invoke";
    let run = |args: &[&str]| {
        let out = Command::new(bin)
            .current_dir(repo_root())
            .args(["check", "--format", "short", case])
            .args(args)
            .output()
            .expect("runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, plain) = run(&[]);
    assert_eq!(code, Some(0), "{plain}");
    assert!(
        plain.contains("warning[W0118]") && plain.contains("note[N0206]"),
        "{plain}"
    );

    let (code, allowed) = run(&["--allow", "W0118", "--allow", "N0206"]);
    assert_eq!(code, Some(0), "{allowed}");
    assert!(
        !allowed.contains("[W0118]") && !allowed.contains("[N0206]"),
        "{allowed}"
    );

    let (code, refused) = run(&["--allow", "E0104"]);
    assert_eq!(code, Some(2), "{refused}");
    assert!(refused.contains("E0104 is an error"), "{refused}");

    let (code, strict) = run(&["--strict"]);
    assert_eq!(code, Some(1), "{strict}");
    assert!(strict.contains("error[E0002]"), "{strict}");
}
