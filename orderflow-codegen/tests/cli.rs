//! The `orderflow-codegen check` command as a user runs it: exit codes, output formats, and
//! that checking never writes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn run(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_orderflow-codegen"))
        .current_dir(cwd)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs")
}

fn code(output: &Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A copy of the minimal corpus workflow in a fresh temporary folder, with `edit` applied to
/// its ASL text.
fn workflow_with(edit: impl Fn(String) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let base = workspace_root().join("tests/corpus/_base/minimal");
    std::fs::create_dir(dir.path().join("schemas")).expect("mkdir");
    for relative in [
        "workflow.asl.json",
        "schemas/execution.input.json",
        "schemas/lookupBook.input.json",
        "schemas/lookupBook.output.json",
    ] {
        let mut text = std::fs::read_to_string(base.join(relative)).expect("base file");
        if relative == "workflow.asl.json" {
            text = edit(text);
        }
        std::fs::write(dir.path().join(relative), text).expect("write");
    }
    dir
}

/// A Choice without Default between LookupBook and Done: a warning, not an error.
fn choice_without_default(asl: String) -> String {
    asl.replace("\"Next\": \"Done\"", "\"Next\": \"InStock\"").replace(
        "\"Done\": {",
        "\"InStock\": { \"Type\": \"Choice\", \"Choices\": [{ \"Variable\": \"$.book.price\", \"NumericGreaterThan\": 0, \"Next\": \"Done\" }] },\n    \"Done\": {",
    )
}

#[test]
fn the_committed_definitions_check_clean_from_the_workspace_root() {
    let output = run(&workspace_root(), &["check"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("checked 2 workflows: 0 errors, 0 warnings"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn errors_exit_1_with_file_line_column_and_pointer() {
    let dir = workflow_with(|asl| asl.replace("\"Next\": \"Done\"", "\"Next\": \"Dnoe\""));
    let path = dir.path().to_string_lossy().into_owned();
    let output = run(dir.path(), &["check", &path, "--format", "short"]);
    assert_eq!(code(&output), 1);
    let text = stderr(&output);
    assert!(
        text.contains("workflow.asl.json:9:15: error[E0104]")
            && text.contains("[/States/LookupBook/Next]"),
        "{text}"
    );
}

#[test]
fn json_format_is_a_parsable_array_on_stdout() {
    let dir = workflow_with(|asl| asl.replace("\"Next\": \"Done\"", "\"Next\": \"Dnoe\""));
    let path = dir.path().to_string_lossy().into_owned();
    let output = run(dir.path(), &["check", &path, "--format", "json"]);
    assert_eq!(code(&output), 1);
    let diagnostics: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    let first = &diagnostics[0];
    assert_eq!(first["code"], "E0104");
    assert_eq!(first["severity"], "error");
    assert_eq!(first["pointer"], "/States/LookupBook/Next");
    assert_eq!(first["line"], 9);
    assert_eq!(first["column"], 15);
    assert!(
        first["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("workflow.asl.json"))
    );
    assert_eq!(first["help"], "did you mean `Done`?");
}

#[test]
fn warnings_exit_0_unless_denied() {
    let dir = workflow_with(choice_without_default);
    let path = dir.path().to_string_lossy().into_owned();
    let output = run(dir.path(), &["check", &path]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("warning[W0118]"),
        "{}",
        stderr(&output)
    );
    let denied = run(dir.path(), &["check", &path, "--deny-warnings"]);
    assert_eq!(code(&denied), 1);
}

#[test]
fn usage_and_io_errors_exit_2() {
    let missing = run(&workspace_root(), &["check", "no/such/folder"]);
    assert_eq!(code(&missing), 2);
    assert!(
        stderr(&missing).contains("no/such/folder"),
        "{}",
        stderr(&missing)
    );
    let bad_flag = run(&workspace_root(), &["check", "--format", "yaml"]);
    assert_eq!(code(&bad_flag), 2);
    let empty = tempfile::tempdir().expect("temp dir");
    let no_definitions = run(empty.path(), &["check"]);
    assert_eq!(code(&no_definitions), 2);
    assert!(
        stderr(&no_definitions).contains("definitions"),
        "{}",
        stderr(&no_definitions)
    );
}

#[test]
fn check_writes_nothing() {
    let dir = workflow_with(choice_without_default);
    let listing = |d: &Path| {
        let mut names: Vec<_> = walk(d)
            .into_iter()
            .map(|p| (p.clone(), std::fs::read(&p).ok()))
            .collect();
        names.sort();
        names
    };
    let before = listing(dir.path());
    let path = dir.path().to_string_lossy().into_owned();
    run(dir.path(), &["check", &path, "--format", "json"]);
    assert_eq!(before, listing(dir.path()));
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
