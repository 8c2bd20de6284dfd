//! `explore` on the reference workflows and on variants of them that each carry one planted
//! bug (`tests/explore/*.json`: an RFC 6902 patch of a reference workflow's files, and what
//! explore must find). Every finding's reproduction is replayed with `run`, which must end the
//! same way.

// A test fails by panicking: unwrap and expect say where (the workspace denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

mod support;
use support::{codegen, json_fixtures, patched_reference, workspace_root};

/// The fixture's workflow: its base copied into `dir` and patched.
fn planted(fixture: &Value, dir: &Path) -> PathBuf {
    patched_reference(fixture["base"].as_str().unwrap(), fixture.get("patch"), dir)
}

fn explore(definition: &Path, extra: &[&str]) -> (Output, Value) {
    let mut args = vec!["explore", definition.to_str().unwrap(), "--format", "json"];
    args.extend_from_slice(extra);
    let output = codegen(&args);
    assert_ne!(
        output.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)));
    (output, report)
}

/// Whether `finding` is what `want` describes (each field `want` names is equal).
fn matches(finding: &Value, want: &Value) -> bool {
    want.as_object()
        .unwrap()
        .iter()
        .all(|(key, value)| &finding[key] == value)
}

/// Replays `finding` with `run` and checks it ends as explore said.
fn replay(definition: &Path, out: &Path, finding: &Value) {
    let id = finding["id"].as_str().unwrap();
    let reproduction = &finding["reproduction"];
    let input = out.join(format!("{id}.input.json"));
    let mocks = out.join("explore.mocks.json");
    let run = codegen(&[
        "run",
        definition.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--mocks",
        mocks.to_str().unwrap(),
        "--test-case",
        id,
    ]);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let result: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(result["status"], reproduction["status"], "{id}: {result}");
    assert_eq!(
        result.get("error"),
        reproduction.get("error"),
        "{id}: {result}"
    );
    if finding["kind"] == "contract-violation" {
        let violations = result["contractViolations"].as_array().unwrap();
        assert!(
            violations.iter().any(|v| v["state"] == finding["state"]),
            "{id}: {result}"
        );
    }
}

#[test]
fn explore_finds_every_planted_bug_and_run_replays_it() {
    let fixtures = json_fixtures("explore");
    assert!(fixtures.len() >= 12, "{} fixtures", fixtures.len());
    for file in fixtures {
        let name = file.file_stem().unwrap().to_string_lossy().into_owned();
        let fixture: Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let definition = planted(&fixture, tmp.path());
        // Each bug gets past `check`'s errors: finding it is explore's job.
        let check = codegen(&["check", definition.to_str().unwrap()]);
        assert_eq!(
            check.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&check.stdout)
        );
        let out = tmp.path().join("findings");
        let (output, report) = explore(&definition, &["--out", out.to_str().unwrap()]);
        let want = &fixture["finds"];
        let found: Vec<&Value> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| matches(f, want))
            .collect();
        assert!(
            !found.is_empty(),
            "{name}: explore did not find {want}; it found {}",
            report["findings"]
        );
        let severity = found[0]["severity"].as_str().unwrap();
        let expected_exit = if severity == "error" { 1 } else { 0 };
        assert_eq!(output.status.code(), Some(expected_exit), "{name}");
        if found[0].get("reproduction").is_some() {
            replay(&definition, &out, found[0]);
        }

        // The unpatched workflow has no such finding: the patch planted it.
        let (_, base) = explore(
            &workspace_root()
                .join("definitions")
                .join(fixture["base"].as_str().unwrap()),
            &[],
        );
        assert!(
            !base["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| matches(f, want)),
            "{name}: the reference workflow already shows {want}"
        );
    }
}

#[test]
fn explore_reaches_everything_in_the_reference_workflows() {
    for name in ["store-checkout", "order-status", "store-checkout-jsonata"] {
        let definition = workspace_root().join("definitions").join(name);
        let (output, report) = explore(&definition, &[]);
        // AWS-raised errors left unhandled are warnings; no finding is an error.
        assert_eq!(output.status.code(), Some(0), "{name}: {report}");
        assert!(report["fullCoverageAfter"].is_u64(), "{name}: {report}");
        assert_eq!(report["unreached"], serde_json::json!([]), "{name}");
        let coverage = &report["coverage"];
        for part in ["states", "choiceBranches", "catchEdges"] {
            assert_eq!(
                coverage[part]["covered"], coverage[part]["total"],
                "{name}: {part}"
            );
        }
        for finding in report["findings"].as_array().unwrap() {
            assert_eq!(
                finding["kind"], "unhandled-service-error",
                "{name}: {finding}"
            );
            assert_eq!(finding["severity"], "warning");
            assert_eq!(finding["reproduction"]["status"], "FAILED");
        }
    }
}

#[test]
fn the_same_seed_gives_the_same_report() {
    let definition = workspace_root().join("definitions/store-checkout");
    let args = ["--seed", "7", "--max-executions", "300"];
    let (_, first) = explore(&definition, &args);
    let (_, second) = explore(&definition, &args);
    assert_eq!(first, second);
    let (_, other) = explore(&definition, &["--seed", "8", "--max-executions", "300"]);
    assert_eq!(other["seed"], 8);
}

#[test]
fn out_refuses_a_folder_explore_did_not_write() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("notes.md"), "mine").unwrap();
    let definition = workspace_root().join("definitions/order-status");
    let output = codegen(&[
        "explore",
        definition.to_str().unwrap(),
        "--out",
        tmp.path().to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("holds files explore did not write"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("notes.md")).unwrap(),
        "mine"
    );

    // Its own folder it rewrites, and the files of an earlier run it no longer needs go.
    let out = tmp.path().join("findings");
    let first = codegen(&[
        "explore",
        definition.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(first.status.code(), Some(0));
    std::fs::write(out.join("finding-9.input.json"), "{}").unwrap();
    let listed = std::fs::read_to_string(out.join(".orderflow-explore")).unwrap();
    std::fs::write(
        out.join(".orderflow-explore"),
        format!("{listed}finding-9.input.json\n"),
    )
    .unwrap();
    let again = codegen(&[
        "explore",
        definition.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(again.status.code(), Some(0));
    assert!(!out.join("finding-9.input.json").exists());
    assert!(out.join("explore.mocks.json").exists());
}

#[test]
fn text_and_github_formats() {
    let definition = workspace_root().join("definitions/order-status");
    let text = codegen(&[
        "explore",
        definition.to_str().unwrap(),
        "--max-executions",
        "200",
    ]);
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    assert!(
        text.contains("states 7/7, Choice branches 4/4, Catch edges 0/0, all reached after"),
        "{text}"
    );
    assert!(text.contains("warning[unhandled-service-error]"), "{text}");
    assert!(text.contains("replay: pass --out DIR"), "{text}");
    let github = codegen(&[
        "explore",
        definition.to_str().unwrap(),
        "--max-executions",
        "200",
        "--format",
        "github",
    ]);
    let github = String::from_utf8_lossy(&github.stdout).into_owned();
    assert!(
        github.lines().all(|l| l.starts_with("::warning file=")
            || l.starts_with("::error file=")
            || l.starts_with("::notice file=")),
        "{github}"
    );
    assert!(
        github.contains("title=orderflow explore%3A unhandled-service-error"),
        "{github}"
    );
}

/// Every state machine of the adoption corpus (real workflows, none with schemas) explores
/// without a usage error, and, every value being made up, with no finding an error.
#[test]
fn explore_runs_on_every_untyped_workflow_of_the_adoption_corpus() {
    let corpus = workspace_root().join("tests/adoption/corpus");
    let mut explored = 0;
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.is_dir()
                && !p
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("broken-")
        })
        .collect();
    entries.sort();
    for entry in entries {
        let first = codegen(&[
            "explore",
            entry.to_str().unwrap(),
            "--max-executions",
            "200",
        ]);
        let stderr = String::from_utf8_lossy(&first.stderr).into_owned();
        let names: Vec<String> = match stderr.split_once("state machines (") {
            // Several: explore each by name.
            Some((_, rest)) if first.status.code() == Some(2) => rest
                .split(')')
                .next()
                .unwrap()
                .split(", ")
                .map(str::to_owned)
                .collect(),
            _ => vec![String::new()],
        };
        for name in names {
            let mut args = vec![
                "explore",
                entry.to_str().unwrap(),
                "--max-executions",
                "200",
            ];
            if !name.is_empty() {
                args.extend(["--state-machine", name.as_str()]);
            }
            let output = codegen(&args);
            let stderr = String::from_utf8_lossy(&output.stderr);
            if stderr.contains("fix the definition first") {
                // A definition check refuses (DefinitionS3Location): nothing to run.
                assert_eq!(output.status.code(), Some(1));
                continue;
            }
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert_eq!(
                output.status.code(),
                Some(0),
                "{} {name}: {stdout}{stderr}",
                entry.display()
            );
            assert!(
                stdout.contains(" executions (seed 1)\n  states "),
                "{stdout}"
            );
            explored += 1;
        }
    }
    assert!(explored >= 30, "{explored} state machines explored");
}
