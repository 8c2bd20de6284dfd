//! `check --against`: breaking changes between two versions of a workflow.
//!
//! The corpus (`tests/against/*.json`) holds before/after pairs, each an RFC 6902 patch of a
//! reference workflow's files for either side, what the pair is (`breaking`, `warning` or
//! `safe`) and the codes it must get. Each pair runs through the command with the earlier
//! version as a folder; what it reports is an insta snapshot (reviewed). A real git repository
//! checks the revision form (`--against HEAD~1`).

// A test fails by panicking: unwrap and expect say where (the workspace denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

mod support;
use support::{codegen_in, copy_dir, json_fixtures, patched_reference};

/// `check --against BEFORE AFTER --format FORMAT`, run in `dir`.
fn against(dir: &Path, before: &Path, after: &Path, format: &str) -> Output {
    let (before, after) = (before.to_str().unwrap(), after.to_str().unwrap());
    codegen_in(
        dir,
        &["check", "--against", before, after, "--format", format],
    )
}

/// The diagnostics of `--format json`, one block each, with the temporary folder's path
/// replaced so the snapshot is the same on every machine.
fn rendered(diagnostics: &[Value], tmp: &Path) -> String {
    let mut out = String::new();
    let place = |d: &Value| {
        format!(
            "{}:{}:{} [{}]",
            d["file"].as_str().unwrap_or("-"),
            d["line"],
            d["column"],
            d["pointer"].as_str().unwrap_or("")
        )
    };
    for d in diagnostics {
        out.push_str(&format!(
            "{}[{}] at {}\n  {}\n",
            d["severity"].as_str().unwrap(),
            d["code"].as_str().unwrap(),
            place(d),
            d["message"].as_str().unwrap()
        ));
        for r in d["related"].as_array().into_iter().flatten() {
            out.push_str(&format!(
                "  related {}: {}\n",
                place(r),
                r["message"].as_str().unwrap()
            ));
        }
    }
    out.replace(&format!("{}/", tmp.display()), "")
}

#[test]
fn corpus_pairs_report_exactly_their_breaking_changes() {
    let cases = json_fixtures("against");
    assert!(cases.len() >= 30, "the corpus has {} pairs", cases.len());
    let mut kinds = BTreeSet::new();
    let mut codes_covered = BTreeSet::new();
    for case in &cases {
        let name = case.file_stem().unwrap().to_string_lossy().into_owned();
        let spec: Value = serde_json::from_str(&std::fs::read_to_string(case).unwrap()).unwrap();
        let base = spec["base"].as_str().unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let before = patched_reference(base, spec.get("before"), &tmp.path().join("before"));
        let after = patched_reference(base, spec.get("after"), &tmp.path().join("after"));
        let output = against(tmp.path(), &before, &after, "json");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let diagnostics: Vec<Value> = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("{name}: {e}\n{stderr}"));
        let codes: BTreeSet<&str> = diagnostics
            .iter()
            .map(|d| d["code"].as_str().unwrap())
            .collect();
        let want: BTreeSet<&str> = spec["codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        let text = rendered(&diagnostics, tmp.path());
        assert_eq!(codes, want, "{name}: reported\n{text}");
        let kind = spec["kind"].as_str().unwrap();
        kinds.insert(kind.to_owned());
        let errors = diagnostics.iter().any(|d| d["severity"] == "error");
        match kind {
            "safe" => assert!(diagnostics.is_empty(), "{name} is safe:\n{text}"),
            "warning" => assert!(!errors && !diagnostics.is_empty(), "{name}:\n{text}"),
            "breaking" => assert!(errors, "{name} is breaking:\n{text}"),
            other => panic!("{name}: unknown kind {other}"),
        }
        assert_eq!(
            output.status.code(),
            Some(if errors { 1 } else { 0 }),
            "{name}: {stderr}"
        );
        // A change accepted in orderflow.json is said, with its reason, in the human formats.
        if let Some(reason) = spec.get("accepted").and_then(Value::as_str) {
            let short = against(tmp.path(), &before, &after, "short");
            let said = String::from_utf8_lossy(&short.stderr);
            assert!(
                said.contains("accepted E0") && said.contains(reason),
                "{name}: {said}"
            );
        }
        codes_covered.extend(codes.iter().map(|c| c.to_string()));
        insta::assert_snapshot!(name.as_str(), text);
    }
    // Every rule has a pair that shows it.
    for code in orderflow_model::breaking::CODES {
        assert!(
            codes_covered.contains(code.as_str()),
            "no pair shows {code}"
        );
    }
    assert_eq!(kinds.len(), 3, "{kinds:?}");
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=orderflow",
            "-c",
            "user.email=test@orderflow.invalid",
        ])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

/// A real repository: commit the checkout, make the execution input require a new property
/// and rename the state that waits for the courier, commit again, and compare with HEAD~1.
#[test]
fn against_a_git_revision() {
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path();
    git(dir, &["init", "-q"]);
    let folder = patched_reference("store-checkout", None, &dir.join("definitions"));
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", "checkout"]);

    let input = folder.join("schemas/execution.input.json");
    let mut schema: Value =
        serde_json::from_str(&std::fs::read_to_string(&input).unwrap()).unwrap();
    schema["properties"]["currency"] = serde_json::json!({"type": "string"});
    schema["required"]
        .as_array_mut()
        .unwrap()
        .push("currency".into());
    std::fs::write(&input, serde_json::to_string_pretty(&schema).unwrap()).unwrap();
    let asl = folder.join("workflow.asl.json");
    let renamed = std::fs::read_to_string(&asl)
        .unwrap()
        .replace("PrepareOrder", "PrepareShipment");
    std::fs::write(&asl, renamed).unwrap();
    git(dir, &["commit", "-q", "-am", "breaking"]);

    let output = codegen_in(
        dir,
        &[
            "check",
            "--against",
            "HEAD~1",
            "definitions/store-checkout",
            "--format",
            "json",
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let diagnostics: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    let found: Vec<(&str, &str)> = diagnostics
        .iter()
        .map(|d| (d["code"].as_str().unwrap(), d["file"].as_str().unwrap()))
        .collect();
    assert_eq!(
        found,
        [
            (
                "E0501",
                "definitions/store-checkout/schemas/execution.input.json"
            ),
            ("E0505", "definitions/store-checkout/workflow.asl.json"),
        ],
        "{diagnostics:#?}"
    );
    // The earlier side is the related place, named as git names a file of a revision.
    let related = diagnostics[1]["related"][0]["file"].as_str().unwrap();
    assert_eq!(
        related,
        "HEAD~1:definitions/store-checkout/workflow.asl.json"
    );

    // Against itself nothing breaks; the working tree is untouched by the export.
    let same = codegen_in(
        dir,
        &["check", "--against", "HEAD", "definitions/store-checkout"],
    );
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&same.stderr)
    );
    let status = Command::new("git")
        .current_dir(dir)
        .args(["status", "--porcelain"])
        .output()
        .unwrap();
    assert!(
        status.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&status.stdout)
    );

    // A revision that does not exist is a usage error that says so.
    let missing = codegen_in(dir, &["check", "--against", "no-such-branch"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("git knows no revision `no-such-branch`"),
        "{}",
        String::from_utf8_lossy(&missing.stderr)
    );

    // A workflow the revision did not have is new, not broken.
    copy_dir(&folder, &dir.join("definitions/copy"));
    let new = codegen_in(dir, &["check", "--against", "HEAD", "definitions/copy"]);
    assert_eq!(new.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&new.stderr).contains("it is new"),
        "{}",
        String::from_utf8_lossy(&new.stderr)
    );
}

/// A SAM template at the top of the repository, with the schemas and orderflow.json beside it:
/// the earlier revision's schemas are read too (a narrowed execution input is found), and a
/// state machine added since is new, not compared with the one the template had.
#[test]
fn against_a_revision_of_a_template_at_the_top() {
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path();
    git(dir, &["init", "-q"]);
    let machine = |comment: &str| {
        serde_json::json!({
            "Type": "AWS::Serverless::StateMachine",
            "Properties": {"Type": "STANDARD", "Definition": {
                "Comment": comment, "StartAt": "Wait",
                "States": {"Wait": {"Type": "Wait", "Seconds": 5, "End": true}}}}
        })
    };
    let template = |machines: Value| {
        serde_json::json!({
            "AWSTemplateFormatVersion": "2010-09-09",
            "Transform": "AWS::Serverless-2016-10-31",
            "Resources": machines
        })
    };
    let write = |path: &str, value: &Value| {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, serde_json::to_string_pretty(value).unwrap()).unwrap();
    };
    write(
        "template.json",
        &template(serde_json::json!({"OrderMachine": machine("orders")})),
    );
    write(
        "schemas/execution.input.json",
        &serde_json::json!({"type": "object", "properties": {"orderId": {"type": "string"}}}),
    );
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", "one machine"]);
    write(
        "template.json",
        &template(serde_json::json!({
            "OrderMachine": machine("orders"),
            "RefundMachine": machine("refunds")
        })),
    );
    write(
        "schemas/execution.input.json",
        &serde_json::json!({"type": "object", "properties": {"orderId": {"type": "string"}},
                            "required": ["orderId"]}),
    );
    git(
        dir,
        &["commit", "-q", "-am", "two machines, a required property"],
    );

    let output = codegen_in(
        dir,
        &[
            "check",
            "--against",
            "HEAD~1",
            "template.json",
            "--format",
            "short",
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Both machines read the schemas beside the template: OrderMachine's narrowed input is
    // breaking; RefundMachine is new.
    assert!(stderr.contains("error[E0501]"), "{stderr}");
    assert!(
        stderr.contains("not compared with HEAD~1") && stderr.contains("it is new"),
        "{stderr}"
    );
    assert!(!stderr.contains("E0505"), "{stderr}");
    assert_eq!(output.status.code(), Some(1), "{stderr}");
}

/// `--allow` silences a breaking-change warning as it silences any other (W0506: a Choice state
/// renamed); an error cannot be allowed.
#[test]
fn an_allowed_breaking_change_warning_is_not_reported() {
    let case =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/against/choice-state-renamed.json");
    let spec: Value = serde_json::from_str(&std::fs::read_to_string(case).unwrap()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let base = spec["base"].as_str().unwrap();
    let before = patched_reference(base, spec.get("before"), &tmp.path().join("before"));
    let after = patched_reference(base, spec.get("after"), &tmp.path().join("after"));
    let (before, after) = (before.to_str().unwrap(), after.to_str().unwrap());
    let check = |extra: &[&str]| {
        let mut args = vec!["check", "--against", before, after, "--format", "json"];
        args.extend_from_slice(extra);
        let output = codegen_in(tmp.path(), &args);
        let diagnostics: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
        diagnostics
            .iter()
            .map(|d| d["code"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(check(&[]), ["W0506"]);
    assert!(check(&["--allow", "W0506"]).is_empty());
}

/// A folder holding one workflow stands for the earlier version of the one workflow checked;
/// with two, each is looked for at its own path there, and neither is compared with the other's
/// earlier version.
#[test]
fn a_workflow_folder_stands_for_one_workflow_only() {
    let tmp = tempfile::tempdir().unwrap();
    let root = support::workspace_root();
    let old = tmp.path().join("old");
    copy_dir(&root.join("definitions/store-checkout"), &old);
    let old = old.to_str().unwrap();
    let one = codegen_in(
        &root,
        &["check", "--against", old, "definitions/store-checkout"],
    );
    assert_eq!(
        one.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&one.stderr)
    );
    assert!(!String::from_utf8_lossy(&one.stderr).contains("it is new"));

    let two = codegen_in(
        &root,
        &[
            "check",
            "--against",
            old,
            "definitions/store-checkout",
            "definitions/order-status",
        ],
    );
    let stderr = String::from_utf8_lossy(&two.stderr);
    let stdout = String::from_utf8_lossy(&two.stdout);
    assert_eq!(two.status.code(), Some(0), "{stdout}\n{stderr}");
    assert_eq!(stderr.matches("it is new").count(), 2, "{stderr}");
    assert!(!stdout.contains("E05"), "{stdout}");
}

/// Folder names git would quote in a plain listing (non-ASCII) or read as a pattern (`*`) are
/// exported as they are: the earlier version is found, and a changed execution input is
/// reported.
#[test]
fn against_a_revision_whose_folders_have_unusual_names() {
    for top in ["définitions", "defs*"] {
        let repo = tempfile::tempdir().unwrap();
        let dir = repo.path();
        git(dir, &["init", "-q"]);
        let folder = patched_reference("store-checkout", None, &dir.join(top));
        git(dir, &["add", "."]);
        git(dir, &["commit", "-q", "-m", "checkout"]);
        let input = folder.join("schemas/execution.input.json");
        let mut schema: Value =
            serde_json::from_str(&std::fs::read_to_string(&input).unwrap()).unwrap();
        schema["required"]
            .as_array_mut()
            .unwrap()
            .push("currency".into());
        schema["properties"]["currency"] = serde_json::json!({"type": "string"});
        std::fs::write(&input, serde_json::to_string_pretty(&schema).unwrap()).unwrap();
        let workflow = format!("{top}/store-checkout");
        let output = codegen_in(
            dir,
            &["check", "--against", "HEAD", &workflow, "--format", "json"],
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        let diagnostics: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
        let codes: Vec<&str> = diagnostics
            .iter()
            .map(|d| d["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["E0501"], "{top}: {stderr}");
    }
}

/// A schema `$ref` into another top-level folder of the repository (`shared/`): the earlier
/// revision of that file is exported too, so a narrowing made there is found.
#[test]
fn against_a_revision_whose_schemas_refer_to_another_folder() {
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path();
    git(dir, &["init", "-q"]);
    let folder = patched_reference("store-checkout", None, &dir.join("definitions"));
    std::fs::create_dir_all(dir.join("shared")).unwrap();
    std::fs::write(dir.join("shared/money.json"), r#"{"type": "number"}"#).unwrap();
    let input = folder.join("schemas/execution.input.json");
    let mut schema: Value =
        serde_json::from_str(&std::fs::read_to_string(&input).unwrap()).unwrap();
    schema["properties"]["tip"] = serde_json::json!({"$ref": "../../../shared/money.json"});
    std::fs::write(&input, serde_json::to_string_pretty(&schema).unwrap()).unwrap();
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", "checkout"]);
    // Narrowed in the shared file only: 2.5 was a valid tip, and is no longer.
    std::fs::write(dir.join("shared/money.json"), r#"{"type": "integer"}"#).unwrap();
    let output = codegen_in(
        dir,
        &[
            "check",
            "--against",
            "HEAD",
            "definitions/store-checkout",
            "--format",
            "json",
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    let diagnostics: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    let codes: Vec<&str> = diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["E0501"], "{stderr}\n{diagnostics:#?}");
}

/// In a YAML definition a removed state is shown at the new definition's `States`, on its own
/// line, not at 1:1.
#[test]
fn a_removed_state_of_a_yaml_definition_is_shown_at_its_states() {
    let tmp = tempfile::tempdir().unwrap();
    let (old, new) = (tmp.path().join("old"), tmp.path().join("new"));
    std::fs::create_dir_all(&old).unwrap();
    std::fs::create_dir_all(&new).unwrap();
    std::fs::write(
        old.join("flow.asl.yaml"),
        "Comment: a pause, then done\nStartAt: Pause\nStates:\n  Pause:\n    Type: Wait\n    Seconds: 5\n    Next: Done\n  Done:\n    Type: Succeed\n",
    )
    .unwrap();
    std::fs::write(
        new.join("flow.asl.yaml"),
        "Comment: done at once\nStartAt: Done\nStates:\n  Done:\n    Type: Succeed\n",
    )
    .unwrap();
    let output = codegen_in(
        &new,
        &[
            "check",
            "--against",
            "../old",
            "flow.asl.yaml",
            "--format",
            "json",
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    let diagnostics: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    let found: Vec<(&str, u64, &str)> = diagnostics
        .iter()
        .filter(|d| d["code"].as_str().unwrap().starts_with("E05"))
        .map(|d| {
            (
                d["code"].as_str().unwrap(),
                d["line"].as_u64().unwrap(),
                d["pointer"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(found, [("E0505", 4, "/States")], "{stderr}");
}

/// A shallow clone (CI's default checkout) lacks the earlier revision: the error says so and
/// how to fetch it.
#[test]
fn a_shallow_clone_is_told_to_fetch_the_history() {
    let tmp = tempfile::tempdir().unwrap();
    let origin = tmp.path().join("origin");
    std::fs::create_dir_all(&origin).unwrap();
    git(&origin, &["init", "-q"]);
    patched_reference("store-checkout", None, &origin.join("definitions"));
    git(&origin, &["add", "."]);
    git(&origin, &["commit", "-q", "-m", "one"]);
    std::fs::write(origin.join("README"), "two").unwrap();
    git(&origin, &["add", "."]);
    git(&origin, &["commit", "-q", "-m", "two"]);
    let url = format!("file://{}", origin.display());
    git(
        tmp.path(),
        &["clone", "-q", "--depth", "1", &url, "shallow"],
    );
    let output = codegen_in(
        &tmp.path().join("shallow"),
        &["check", "--against", "HEAD~1", "definitions/store-checkout"],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("this clone is shallow") && stderr.contains("fetch-depth: 0"),
        "{stderr}"
    );
}
