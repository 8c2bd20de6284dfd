//! Generated Rust for the type-generation fixtures (`tests/typegen/<fixture>/`, workflow
//! folders), as reviewed snapshots beside each fixture. The same modules are compiled and
//! exercised by the `orderflow-typegen-compile` crate through the build-script API.

// A test fails by panicking: unwrap and expect say where (the workspace denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use orderflow_codegen::{BuildError, Builder};
use orderflow_model::analyze;
use orderflow_model::workflow::WorkflowSources;

fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/typegen");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("tests/typegen exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn generated_modules_match_their_snapshots() {
    for dir in fixtures() {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let sources = WorkflowSources::read_dir(&dir).expect("readable fixture");
        let analysis = analyze(&sources);
        assert!(!analysis.has_errors(), "{name}: {:?}", analysis.diagnostics);
        let workflow = analysis.workflow.expect("a workflow");
        let (module, warnings) =
            orderflow_codegen::generated_module(&workflow, &format!("tests/typegen/{name}"));
        assert!(
            warnings.is_empty(),
            "{name}: every construct maps: {warnings:?}"
        );
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(&dir);
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.bind(|| insta::assert_snapshot!("generated", module));
    }
}

#[test]
fn generation_is_deterministic() {
    for dir in fixtures() {
        let sources = WorkflowSources::read_dir(&dir).expect("readable fixture");
        let first = analyze(&sources).workflow.expect("a workflow");
        let second = analyze(&sources).workflow.expect("a workflow");
        assert_eq!(
            orderflow_codegen::generated_module(&first, "x").0,
            orderflow_codegen::generated_module(&second, "x").0
        );
    }
}

/// Copies a fixture to a temporary folder, for tests that edit it.
fn copy_fixture(name: &str) -> (tempfile::TempDir, PathBuf) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/typegen")
        .join(name);
    let temp = tempfile::tempdir().expect("temp dir");
    let to = temp.path().join(name);
    std::fs::create_dir_all(to.join("schemas")).expect("mkdir");
    for entry in walk(&from) {
        let relative = entry.strip_prefix(&from).expect("inside");
        if relative.extension().is_some_and(|x| x == "snap") {
            continue;
        }
        std::fs::copy(&entry, to.join(relative)).expect("copy");
    }
    (temp, to)
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn builder_reruns_on_exactly_the_files_it_read_and_follows_schema_changes() {
    let (_temp, dir) = copy_fixture("kitchen-sink");
    let out = tempfile::tempdir().expect("out dir");
    let first = Builder::new()
        .workflow(&dir)
        .emit_rerun_if_changed(false)
        .generate_to(out.path())
        .expect("builds");
    let mut read: Vec<PathBuf> = first
        .inputs
        .iter()
        .filter(|p| p.is_file())
        .cloned()
        .collect();
    read.sort();
    let mut expected: Vec<PathBuf> = walk(&dir);
    expected.sort();
    assert_eq!(
        read, expected,
        "rerun-if-changed lists every file read, nothing else"
    );
    let before = std::fs::read_to_string(&first.files[0]).expect("written");

    // Add a required property: the generated struct gains a field.
    let schema = dir.join("schemas/collisions.input.json");
    let text = std::fs::read_to_string(&schema).expect("schema");
    let edited = text
        .replacen(
            "\"properties\": {",
            "\"properties\": {\n    \"addedField\": { \"type\": \"string\" },",
            1,
        )
        .replace(
            "\"required\": [\"type\"]",
            "\"required\": [\"type\", \"addedField\"]",
        );
    std::fs::write(&schema, edited).expect("write");
    let second = Builder::new()
        .workflow(&dir)
        .emit_rerun_if_changed(false)
        .generate_to(out.path())
        .expect("builds");
    let after = std::fs::read_to_string(&second.files[0]).expect("written");
    assert_ne!(before, after);
    assert!(
        after.contains("pub added_field: ::std::string::String"),
        "{after}"
    );
}

#[test]
fn builder_fails_with_the_diagnostics_and_writes_nothing() {
    let (_temp, dir) = copy_fixture("kitchen-sink");
    std::fs::write(
        dir.join("workflow.asl.json"),
        r#"{"StartAt": "Nope", "States": {"Done": {"Type": "Succeed"}}}"#,
    )
    .expect("write");
    let out = tempfile::tempdir().expect("out dir");
    let error = Builder::new()
        .workflow(&dir)
        .emit_rerun_if_changed(false)
        .generate_to(out.path())
        .expect_err("a broken workflow fails the build");
    let message = error.to_string();
    assert!(
        message.contains("error[E0104]") && message.contains("workflow.asl.json"),
        "{message}"
    );
    assert!(
        message.starts_with("orderflow: the workflow definitions have 1 error:"),
        "{message}"
    );
    // The diagnostics themselves travel with the error, not only their text.
    let BuildError::Definitions(diagnostics) = &error else {
        panic!("expected the definitions' diagnostics, got {error:?}");
    };
    let codes: Vec<&str> = diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["E0104"]);
    assert_eq!(std::fs::read_dir(out.path()).expect("out").count(), 0);
}

/// `$ref`s that are percent-encoded (`%25`), JSON-pointer escaped (`~1`, `~0`) or relative to the
/// schema's `$id` become the types of their targets, as the checker resolves them (the model's
/// fixture; the model and the derives test the same file). The generator used to resolve only
/// `#…` fragments, so the `$id`-relative one became `serde_json::Value` with W0401.
#[test]
fn escaped_refs_resolve_as_the_checker_resolves_them() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../orderflow-model/tests/fixtures/escaped-refs");
    let sources = WorkflowSources::read_dir(&dir).expect("readable fixture");
    let analysis = analyze(&sources);
    assert!(!analysis.has_errors(), "{:?}", analysis.diagnostics);
    let workflow = analysis.workflow.expect("a workflow");
    let (module, warnings) = orderflow_codegen::generated_module(&workflow, "escaped-refs");
    assert!(warnings.is_empty(), "every $ref resolves: {warnings:?}");
    for field in [
        "pub percent: u64,",
        "pub route: Route,",
        "pub code: ::std::string::String,",
        "pub total: f64,",
        "pub struct Route {",
    ] {
        assert!(module.contains(field), "{field}:\n{module}");
    }
}

/// Schemas that `$ref` other files (`common.json#/$defs/Book`, and `money.json` outside the
/// workflow folder) share one generated type per definition: three schemas use `Book` and two
/// use `Money`, and each is written once, with its description.
#[test]
fn definitions_in_shared_files_become_one_shared_type() {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../orderflow-model/tests/fixtures/shared-refs");
    let sources = WorkflowSources::read_dir(&dir).expect("readable fixture");
    let analysis = analyze(&sources);
    assert!(
        analysis.diagnostics.is_empty(),
        "{:?}",
        analysis.diagnostics
    );
    let workflow = analysis.workflow.expect("a workflow");
    let (module, warnings) = orderflow_codegen::generated_module(&workflow, "shared-refs");
    assert!(warnings.is_empty(), "every $ref resolves: {warnings:?}");
    for (item, count) in [
        ("pub struct Book {", 1),
        ("pub struct Money {", 1),
        ("pub book: Book,", 2),
        ("pub price: Money,", 1),
        ("pub total: Money,", 1),
        ("/// A book in the catalogue.", 1),
    ] {
        assert_eq!(module.matches(item).count(), count, "{item}:\n{module}");
    }
}
