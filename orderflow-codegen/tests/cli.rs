//! The `orderflow-codegen check` command as a user runs it: exit codes, output formats, and
//! that checking never writes.

// A test fails by panicking: unwrap and expect say where (the workspace denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used)]

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

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
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
        stderr(&output).contains("checked 3 workflows: 0 errors, 0 warnings"),
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
fn github_format_annotates_each_diagnostic_at_its_file_line_and_column() {
    let dir = workflow_with(|asl| asl.replace("\"Next\": \"Done\"", "\"Next\": \"Dnoe\""));
    let output = run(dir.path(), &["check", ".", "--format", "github"]);
    assert_eq!(code(&output), 1);
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            "::error file=./workflow.asl.json,line=9,col=15,title=E0104::`Next` names \"Dnoe\", \
             but no state in the top level has that name\
             %0Aat JSON pointer `/States/LookupBook/Next`%0Ahelp: did you mean `Done`?"
        ],
        "{text}"
    );
    // The summary is for people, on stderr; no rustc-style text.
    assert!(
        stderr(&output).contains("checked 1 workflow: 1 error, 0 warnings")
            && !stderr(&output).contains("error[E0104]"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn github_format_annotates_warnings_and_keeps_the_exit_codes() {
    let dir = workflow_with(choice_without_default);
    let output = run(dir.path(), &["check", ".", "--format", "github"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.lines().any(
            |l| l.starts_with("::warning file=./workflow.asl.json,line=11,col=5,title=W0118::")
        ),
        "{text}"
    );
    assert!(text.lines().all(|l| l.starts_with("::warning ")), "{text}");
    let denied = run(
        dir.path(),
        &["check", ".", "--format", "github", "--deny-warnings"],
    );
    assert_eq!(code(&denied), 1);
    let clean = run(&workspace_root(), &["check", "--format", "github"]);
    assert_eq!(code(&clean), 0, "{}", stderr(&clean));
    assert_eq!(stdout(&clean), "");
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

/// The minimal workflow copied into `<temp>/definitions/minimal`, the way a project lays it out.
fn project() -> tempfile::TempDir {
    let dir = workflow_with(|asl| asl);
    let project = tempfile::tempdir().expect("temp dir");
    let target = project.path().join("definitions/minimal");
    std::fs::create_dir_all(target.join("schemas")).expect("mkdir");
    for file in walk(dir.path()) {
        let relative = file.strip_prefix(dir.path()).expect("inside");
        std::fs::copy(&file, target.join(relative)).expect("copy");
    }
    project
}

#[test]
fn generate_writes_once_then_is_a_no_op_and_in_sync() {
    let project = project();
    let first = run(project.path(), &["generate"]);
    assert_eq!(code(&first), 0, "{}", stderr(&first));
    let generated = project
        .path()
        .join("generated-example/minimal/src/generated.rs");
    let text = std::fs::read_to_string(&generated).expect("generated.rs written");
    assert!(text.starts_with("// @generated by orderflow-codegen from definitions/minimal."));
    assert!(text.contains("pub struct LookupBookInput"));
    let again = run(project.path(), &["generate"]);
    assert!(stderr(&again).contains("0 written"), "{}", stderr(&again));
    let check = run(project.path(), &["generate", "--check"]);
    assert_eq!(code(&check), 0, "{}", stderr(&check));
}

#[test]
fn generate_check_reports_drift_as_a_diff_naming_the_file() {
    let project = project();
    assert_eq!(code(&run(project.path(), &["generate"])), 0);
    // Add a required property to the function's output schema.
    let schema = project
        .path()
        .join("definitions/minimal/schemas/lookupBook.output.json");
    let text = std::fs::read_to_string(&schema).expect("schema");
    let edited = text
        .replace(
            "\"price\": { \"type\": \"number\" }",
            "\"price\": { \"type\": \"number\" },\n    \"isbn\": { \"type\": \"string\" }",
        )
        .replace("[\"title\", \"price\"]", "[\"title\", \"price\", \"isbn\"]");
    assert_ne!(text, edited);
    std::fs::write(&schema, edited).expect("write");
    let drift = run(project.path(), &["generate", "--check"]);
    assert_eq!(code(&drift), 1);
    let diff = String::from_utf8_lossy(&drift.stdout);
    assert!(
        diff.contains("generated-example/minimal/src/generated.rs"),
        "{diff}"
    );
    assert!(
        diff.contains("+        pub isbn: ::std::string::String,"),
        "{diff}"
    );
    assert!(
        stderr(&drift).contains("is out of date"),
        "{}",
        stderr(&drift)
    );
    assert_eq!(code(&run(project.path(), &["generate"])), 0);
    assert_eq!(code(&run(project.path(), &["generate", "--check"])), 0);
}

#[test]
fn generate_check_in_github_format_annotates_each_drifted_file() {
    let project = project();
    assert_eq!(code(&run(project.path(), &["generate"])), 0);
    let schema = project
        .path()
        .join("definitions/minimal/schemas/lookupBook.output.json");
    let text = std::fs::read_to_string(&schema).expect("schema");
    let edited = text.replace(
        "\"price\": { \"type\": \"number\" }",
        "\"price\": { \"type\": \"number\" },\n    \"isbn\": { \"type\": \"string\" }",
    );
    assert_ne!(text, edited);
    std::fs::write(&schema, edited).expect("write");
    let drift = run(
        project.path(),
        &["generate", "--check", "--format", "github"],
    );
    assert_eq!(code(&drift), 1, "{}", stderr(&drift));
    let out = stdout(&drift);
    let annotated: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("::error file="))
        .filter_map(|l| l.split_once(',').map(|(file, _)| file))
        .collect();
    assert!(
        annotated.contains(&"generated-example/minimal/src/generated.rs"),
        "{out}"
    );
    // One annotation per file in the diff, and no other.
    let mut in_diff: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("+++ b/"))
        .collect();
    let mut sorted = annotated.clone();
    sorted.sort_unstable();
    in_diff.sort_unstable();
    assert_eq!(sorted, in_diff, "{out}");
    let generated = out
        .lines()
        .find(|l| l.starts_with("::error file=generated-example/minimal/src/generated.rs,"))
        .unwrap_or_default();
    assert!(
        generated.contains("is out of date") && generated.contains("`orderflow-codegen generate`"),
        "{generated}"
    );
    // The diff (file contents) sits between stop-commands and its token, so no line of a
    // generated file can act as a workflow command; every other line is a command.
    let stop = out
        .lines()
        .position(|l| l.starts_with("::stop-commands::"))
        .unwrap_or(usize::MAX);
    let token = out
        .lines()
        .nth(stop)
        .and_then(|l| l.strip_prefix("::stop-commands::"))
        .map(|t| format!("::{t}::"))
        .unwrap_or_default();
    let resume = out.lines().position(|l| l == token).unwrap_or_default();
    assert!(stop < resume, "{out}");
    assert!(
        out.lines()
            .enumerate()
            .filter(|(i, _)| *i < stop || *i > resume)
            .all(|(_, l)| l.starts_with("::")),
        "{out}"
    );
    assert!(
        out.lines()
            .skip(stop)
            .take(resume - stop)
            .any(|l| l.starts_with("+") && l.contains("pub isbn")),
        "{out}"
    );
    assert_eq!(code(&run(project.path(), &["generate"])), 0);
    let synced = run(
        project.path(),
        &["generate", "--check", "--format", "github"],
    );
    assert_eq!(code(&synced), 0, "{}", stderr(&synced));
    assert_eq!(stdout(&synced), "");
}

#[test]
fn generate_in_github_format_annotates_a_file_it_refuses_to_overwrite() {
    let project = project();
    assert_eq!(code(&run(project.path(), &["generate"])), 0);
    let generated = project
        .path()
        .join("generated-example/minimal/src/generated.rs");
    std::fs::write(&generated, "// hand-written\n").expect("write");
    let refused = run(
        project.path(),
        &["generate", "--check", "--format", "github"],
    );
    assert_eq!(code(&refused), 1);
    let out = stdout(&refused);
    assert!(
        out.lines().any(|l| l.starts_with(
            "::error file=generated-example/minimal/src/generated.rs,title=not a generated file::"
        ) && l.contains("has no `@generated` marker")),
        "{out}"
    );
}

#[test]
fn an_edited_stub_survives_generate() {
    let project = project();
    assert_eq!(code(&run(project.path(), &["generate"])), 0);
    let stub = project
        .path()
        .join("generated-example/minimal/src/functions/lookup_book.rs");
    let mine = "// my implementation\n";
    std::fs::write(&stub, mine).expect("write");
    let again = run(project.path(), &["generate"]);
    assert_eq!(code(&again), 0);
    assert_eq!(std::fs::read_to_string(&stub).expect("stub"), mine);
    assert_eq!(
        code(&run(project.path(), &["generate", "--check"])),
        0,
        "a kept stub is not drift"
    );
}

#[test]
fn generate_refuses_to_overwrite_a_file_without_the_marker() {
    let project = project();
    assert_eq!(code(&run(project.path(), &["generate"])), 0);
    let generated = project
        .path()
        .join("generated-example/minimal/src/generated.rs");
    std::fs::write(&generated, "// hand-written\n").expect("write");
    // Also make another generated file stale, to see that nothing at all is written.
    let bin = project
        .path()
        .join("generated-example/minimal/src/bin/lookup_book.rs");
    std::fs::write(&bin, "// @generated\nstale\n").expect("write");
    let refused = run(project.path(), &["generate"]);
    assert_eq!(code(&refused), 1);
    assert!(
        stderr(&refused).contains("has no `@generated` marker"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(
        std::fs::read_to_string(&generated).expect("kept"),
        "// hand-written\n"
    );
    assert_eq!(
        std::fs::read_to_string(&bin).expect("kept"),
        "// @generated\nstale\n"
    );
}

#[test]
fn generate_writes_nothing_when_check_finds_errors() {
    let project = project();
    let asl = project.path().join("definitions/minimal/workflow.asl.json");
    let text = std::fs::read_to_string(&asl).expect("asl");
    std::fs::write(
        &asl,
        text.replace("\"Next\": \"Done\"", "\"Next\": \"Dnoe\""),
    )
    .expect("write");
    let refused = run(project.path(), &["generate"]);
    assert_eq!(code(&refused), 1);
    assert!(
        stderr(&refused).contains("error[E0104]"),
        "{}",
        stderr(&refused)
    );
    assert!(!project.path().join("generated-example").exists());
}

/// Issue 17: a Task `Resource` of `${lookupBookFnArn}` was taken as an opaque integration:
/// `check` reported no errors while nothing was type-checked, and then W0205 advised removing
/// lookupBook's schemas. Every spelling people use now names the function and is checked.
#[test]
fn placeholder_spellings_are_type_checked() {
    for placeholder in [
        "lookupBookFnArn",
        "LookupBookFnArn",
        "LookupBookLambdaArn",
        "LookupBookFn",
        "LookupBookFunction",
        "LookupBookArn",
    ] {
        let clean = workflow_with(|asl| {
            asl.replace("${LookupBookFunctionArn}", &format!("${{{placeholder}}}"))
        });
        let path = clean.path().to_string_lossy().into_owned();
        let output = run(clean.path(), &["check", &path, "--deny-warnings"]);
        assert_eq!(code(&output), 0, "{placeholder}: {}", stderr(&output));
        // The input the function receives is checked through the placeholder.
        let broken = workflow_with(|asl| {
            asl.replace(
                "\"Resource\": \"${LookupBookFunctionArn}\",",
                &format!(
                    "\"Resource\": \"${{{placeholder}}}\", \"Parameters\": {{ \"id.$\": \"$.bookId\" }},"
                ),
            )
        });
        let path = broken.path().to_string_lossy().into_owned();
        let output = run(broken.path(), &["check", &path, "--format", "short"]);
        assert_eq!(code(&output), 1, "{placeholder}: {}", stderr(&output));
        assert!(
            stderr(&output).contains("error[E0301]"),
            "{placeholder}: {}",
            stderr(&output)
        );
        assert!(
            !stderr(&output).contains("W0205"),
            "{placeholder}: {}",
            stderr(&output)
        );
    }
}
