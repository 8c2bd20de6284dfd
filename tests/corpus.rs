//! The corpus of broken definitions: one folder per case under `tests/corpus/`, named
//! `<CODE>-<what it shows>`. A case is a base workflow folder with the case's files laid over it
//! (and the files its `case.json` lists under `remove` taken away). The test asserts that the
//! code in the folder name is reported, and compares everything reported, rendered as a user
//! sees it, with the reviewed snapshot `diagnostics.snap` beside the case.
//!
//! `case.json`: `{"about": "…", "base": "tests/corpus/_base/minimal", "remove": ["…"]}`;
//! `base` defaults to the minimal workflow, a path relative to the workspace root. A case about
//! the generated crate rather than the definition puts the crate's `Cargo.toml` in `crate/`.

// A test fails by panicking: unwrap and expect say where (the workspace denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use orderflow_model::analyze;
use orderflow_model::diagnostic::{Code, Severity};
use orderflow_model::source::SourceFile;
use orderflow_model::workflow::WorkflowSources;
use orderflow_tests::{render_all, workspace_root};
use serde_json::Value;

const DEFAULT_BASE: &str = "tests/corpus/_base/minimal";
/// Files of a case folder that are not workflow files.
const CASE_FILES: &[&str] = &["case.json", "diagnostics.snap"];
/// The generated crate's files a case checks (its `Cargo.toml`), beside the workflow files.
const CRATE_FOLDER: &str = "crate/";

struct Case {
    dir: PathBuf,
    about: String,
    sources: WorkflowSources,
}

fn corpus_dir() -> PathBuf {
    workspace_root().join("tests/corpus")
}

fn case_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(corpus_dir())
        .expect("tests/corpus exists")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('_'))
        .collect();
    names.sort();
    names
}

/// Relative paths of the workflow files under `dir`, skipping the case's own files.
fn workflow_files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)
            .expect("readable corpus folder")
            .flatten()
        {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let relative = path
                .strip_prefix(dir)
                .expect("inside the folder")
                .to_string_lossy()
                .replace('\\', "/");
            if !CASE_FILES.contains(&relative.as_str())
                && !relative.starts_with("examples/")
                && !relative.starts_with(CRATE_FOLDER)
            {
                out.push(relative);
            }
        }
    }
    out.sort();
    out
}

fn load_case(name: &str) -> Case {
    let dir = corpus_dir().join(name);
    let spec: Value = match std::fs::read_to_string(dir.join("case.json")) {
        Ok(text) => serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}/case.json: {e}")),
        Err(_) => Value::Object(Default::default()),
    };
    let about = spec["about"].as_str().unwrap_or_default().to_owned();
    assert!(
        !about.is_empty(),
        "{name}/case.json must say what the case shows in \"about\""
    );
    let base = spec["base"].as_str().unwrap_or(DEFAULT_BASE);
    let removed: BTreeSet<&str> = spec["remove"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();

    // Messages name files as `<case>/<file>`, whichever folder they come from.
    let mut sources = WorkflowSources::new(name);
    // The corpus is of workflows born in orderflow, which opt in to strict typing (as the
    // committed definitions do): a missing schema is E0002 there. `"strict": false` in
    // case.json shows gradual typing.
    sources.strict = spec["strict"].as_bool().unwrap_or(true);
    let base_dir = workspace_root().join(base);
    for relative in workflow_files(&base_dir) {
        if !removed.contains(relative.as_str()) {
            let text =
                std::fs::read_to_string(base_dir.join(&relative)).expect("readable base file");
            sources.insert(&relative, text);
        }
    }
    for relative in workflow_files(&dir) {
        let text = std::fs::read_to_string(dir.join(&relative)).expect("readable case file");
        sources.insert(&relative, text);
    }
    Case {
        dir,
        about,
        sources,
    }
}

fn expected_code(name: &str) -> Code {
    let prefix = name.split('-').next().unwrap_or_default();
    Code::ALL
        .iter()
        .copied()
        .find(|c| c.as_str() == prefix)
        .unwrap_or_else(|| panic!("case {name} must start with a diagnostic code, e.g. E0104-…"))
}

#[test]
fn corpus_cases_report_their_code_and_match_snapshots() {
    let names = case_names();
    let mut failures = Vec::new();
    for name in &names {
        let case = load_case(name);
        let code = expected_code(name);
        let mut analysis = analyze(&case.sources);
        // Generation warnings (W04xx) come from emitting the checked model.
        if let Some(workflow) = analysis
            .workflow
            .as_ref()
            .filter(|_| !analysis.has_errors())
        {
            let (_, generation) = orderflow_codegen::generated_module(workflow, name);
            analysis.diagnostics.extend(generation);
            // Crate checks (E04xx) read the crate's Cargo.toml, as `generate` does.
            let manifest = case.dir.join(CRATE_FOLDER).join("Cargo.toml");
            if let Ok(text) = std::fs::read_to_string(&manifest) {
                let file = SourceFile::new(format!("{name}/{CRATE_FOLDER}Cargo.toml"), text);
                analysis
                    .diagnostics
                    .extend(orderflow_codegen::check_cargo_manifest(workflow, &file));
            }
        }
        let codes: Vec<&str> = analysis
            .diagnostics
            .iter()
            .map(|d| d.code.as_str())
            .collect();
        if !codes.contains(&code.as_str()) {
            failures.push(format!(
                "{name}: expected {} but got {codes:?}",
                code.as_str()
            ));
        }
        if code.severity() == Severity::Warning {
            // A warning case shows the warning alone, so the fixture shows one thing.
            let errors: Vec<&str> = analysis
                .diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .map(|d| d.code.as_str())
                .collect();
            if !errors.is_empty() {
                failures.push(format!(
                    "{name}: a warning case also reports errors {errors:?}"
                ));
            }
        }
        let rendered = render_all(&analysis.diagnostics);
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(&case.dir);
        settings.set_prepend_module_to_snapshot(false);
        settings.set_description(&case.about);
        settings.set_omit_expression(true);
        settings.bind(|| insta::assert_snapshot!("diagnostics", rendered));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        names.len() >= 40,
        "the corpus has {} cases; it needs at least 40",
        names.len()
    );
}

/// Codes only a template can raise (E0004, N0005, E0006) are shown by the adoption corpus
/// (`tests/adoption/corpus`), and those only `check --against` raises (E05xx) by its pairs
/// (`orderflow-codegen/tests/against`): their reviewed snapshots are read here.
fn codes_in_other_snapshots() -> BTreeSet<&'static str> {
    let dir = workspace_root().join("orderflow-codegen/tests/snapshots");
    let mut text = String::new();
    for entry in std::fs::read_dir(&dir).expect("snapshot folder").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("adoption__") || name.starts_with("check_against__") {
            text.push_str(&std::fs::read_to_string(entry.path()).expect("readable snapshot"));
        }
    }
    Code::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| text.contains(&format!("[{c}]")))
        .collect()
}

#[test]
fn every_code_has_a_case() {
    let mut covered: BTreeSet<&str> = case_names()
        .iter()
        .map(|n| expected_code(n).as_str())
        .collect();
    covered.extend(codes_in_other_snapshots());
    let missing: Vec<&str> = Code::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| !covered.contains(c))
        .collect();
    assert!(
        missing.is_empty(),
        "codes without a corpus case: {missing:?}"
    );
}

#[test]
fn the_minimal_base_is_clean() {
    let case_sources = {
        let mut s = WorkflowSources::new("minimal");
        let dir = workspace_root().join(DEFAULT_BASE);
        for relative in workflow_files(&dir) {
            s.insert(
                &relative,
                std::fs::read_to_string(dir.join(&relative)).expect("readable"),
            );
        }
        s
    };
    let analysis = analyze(&case_sources);
    assert!(
        analysis.diagnostics.is_empty(),
        "{}",
        render_all(&analysis.diagnostics)
    );
}

#[test]
fn every_code_is_documented_with_an_example() {
    let docs = std::fs::read_to_string(workspace_root().join("docs/src/diagnostics.md"))
        .expect("docs/src/diagnostics.md exists");
    let mut missing = Vec::new();
    for code in Code::ALL {
        let heading = format!("## {}: {}", code.as_str(), code.summary());
        let Some(start) = docs.find(&heading) else {
            missing.push(format!("{} (no heading `{heading}`)", code.as_str()));
            continue;
        };
        let section = &docs[start + heading.len()..];
        let section = &section[..section.find("\n## ").unwrap_or(section.len())];
        // The printed message of the example, with its code.
        let printed = format!("[{}]", code.as_str());
        if !section.contains("```") || !section.contains(&printed) {
            missing.push(format!("{} (no example with its message)", code.as_str()));
        }
    }
    assert!(
        missing.is_empty(),
        "docs/src/diagnostics.md lacks: {missing:?}"
    );
}
