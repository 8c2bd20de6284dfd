//! A crate `orderflow-codegen generate` writes works where it is written: it builds outside this
//! repository (its orderflow-runtime dependency resolves), and every path in it — the glue's
//! `include_str!`, the SAM template's `DefinitionUri`, the serverless.yml artifacts, the README's
//! link — points at the right file whether `--out` is relative, relative with `..`, or absolute.

// A test fails by panicking: unwrap and expect say where (the workspace denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod support;
use support::workspace_root;

fn run(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_orderflow-codegen"))
        .current_dir(cwd)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs")
}

fn assert_success(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize()
        .unwrap_or_else(|e| panic!("{} does not exist: {e}", path.display()))
}

/// The minimal corpus workflow (its Lambda ARN is a `${…}` placeholder, so the SAM template
/// points at the definition itself) copied to `<project>/definitions/minimal`.
fn add_minimal_workflow(project: &Path) -> PathBuf {
    let base = workspace_root().join("tests/corpus/_base/minimal");
    let target = project.join("definitions/minimal");
    std::fs::create_dir_all(target.join("schemas")).expect("mkdir");
    for relative in [
        "workflow.asl.json",
        "schemas/execution.input.json",
        "schemas/lookupBook.input.json",
        "schemas/lookupBook.output.json",
    ] {
        std::fs::copy(base.join(relative), target.join(relative)).expect("copy");
    }
    target
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The first string literal after `marker` in `text`.
fn quoted_after<'t>(text: &'t str, marker: &str) -> &'t str {
    let rest = &text[text.find(marker).unwrap_or_else(|| panic!("no {marker}"))..];
    let start = rest.find('"').expect("an opening quote") + 1;
    let end = start + rest[start..].find('"').expect("a closing quote");
    &rest[start..end]
}

/// The value after `key: ` on the first line that has it (YAML).
fn yaml_value<'t>(text: &'t str, key: &str) -> &'t str {
    text.lines()
        .find_map(|l| l.trim().strip_prefix(key))
        .unwrap_or_else(|| panic!("no {key}"))
        .trim()
}

/// The orderflow-runtime dependency of the crate's Cargo.toml.
fn runtime_dependency(crate_dir: &Path) -> toml::Value {
    let manifest: toml::Table = read(&crate_dir.join("Cargo.toml"))
        .parse()
        .expect("Cargo.toml is TOML");
    manifest["dependencies"]["orderflow-runtime"].clone()
}

/// Every path the crate at `crate_dir`, generated from `workflow_dir`, writes: each must lead
/// to the file it names. `target` is the cargo target folder the crate builds into.
fn assert_paths_resolve(crate_dir: &Path, workflow_dir: &Path, target: &Path) {
    let asl = canonical(&workflow_dir.join("workflow.asl.json"));
    let glue = read(&crate_dir.join("src/workflow.rs"));
    let include = quoted_after(&glue, "include_str!(");
    assert_eq!(
        canonical(&crate_dir.join("src").join(include)),
        asl,
        "include_str!({include:?}) in {}",
        crate_dir.display()
    );
    let template = read(&crate_dir.join("template.yaml"));
    let uri = yaml_value(&template, "DefinitionUri:");
    assert_eq!(
        canonical(&crate_dir.join(uri)),
        asl,
        "DefinitionUri {uri} in {}",
        crate_dir.display()
    );
    let readme = read(&crate_dir.join("README.md"));
    let link = readme
        .split("`definitions/minimal`](")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .or_else(|| {
            readme
                .split("/definitions/minimal`](")
                .nth(1)
                .and_then(|rest| rest.split(')').next())
        })
        .expect("the README links to the definition");
    assert_eq!(canonical(&crate_dir.join(link)), canonical(workflow_dir));
    let serverless = read(&crate_dir.join("serverless.yml"));
    let artifact = yaml_value(&serverless, "artifact:");
    let expected = target.join("lambda/minimal-lookup-book/bootstrap.zip");
    assert_eq!(
        lexical(&crate_dir.join(artifact)),
        lexical(&expected),
        "artifact {artifact} in {}",
        crate_dir.display()
    );
    if let Some(path) = runtime_dependency(crate_dir)
        .get("path")
        .and_then(toml::Value::as_str)
    {
        assert!(!Path::new(path).is_absolute(), "{path}");
        assert_eq!(
            canonical(&crate_dir.join(path)),
            canonical(&workspace_root().join("orderflow-runtime"))
        );
    } else {
        panic!("orderflow-runtime is not a path dependency");
    }
}

/// `path` with `.` and `..` resolved without the file system (the artifact does not exist).
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[test]
fn paths_in_the_crate_resolve_for_relative_dot_dot_and_absolute_out() {
    let root = tempfile::tempdir().expect("temp dir");
    let root = canonical(root.path());
    let project = root.join("project");
    let workflow_dir = add_minimal_workflow(&project);
    let absolute = root.join("absolute/crates");
    let cases = [
        ("generated".to_owned(), project.join("generated")),
        (
            "../elsewhere/crates".to_owned(),
            root.join("elsewhere/crates"),
        ),
        ("./a/./b/../c".to_owned(), project.join("a/c")),
        (absolute.to_string_lossy().into_owned(), absolute.clone()),
    ];
    for (out, out_dir) in &cases {
        let generated = run(&project, &["generate", "--out", out]);
        assert_success(&generated, &format!("generate --out {out}"));
        let crate_dir = out_dir.join("minimal");
        // No workspace above the crate: it builds into its own target folder.
        assert_paths_resolve(&crate_dir, &workflow_dir, &crate_dir.join("target"));
        let check = run(&project, &["generate", "--check", "--out", out]);
        assert_success(&check, &format!("generate --check --out {out}"));
    }
    // Run from elsewhere, with the workflow folder given relative to there.
    let from_root = run(
        &root,
        &[
            "generate",
            "project/definitions/minimal",
            "--out",
            "from-root",
        ],
    );
    assert_success(&from_root, "generate from the root");
    let crate_dir = root.join("from-root/minimal");
    assert_paths_resolve(&crate_dir, &workflow_dir, &crate_dir.join("target"));
}

#[test]
fn artifacts_are_in_the_target_folder_of_the_enclosing_workspace() {
    let root = tempfile::tempdir().expect("temp dir");
    let project = canonical(root.path());
    let workflow_dir = add_minimal_workflow(&project);
    std::fs::write(
        project.join("Cargo.toml"),
        "[workspace]\nmembers = [\"crates/*\"]\nexclude = [\"standalone\"]\n",
    )
    .expect("write the workspace manifest");
    let absolute = project.join("crates").to_string_lossy().into_owned();
    for out in ["crates", absolute.as_str()] {
        assert_success(&run(&project, &["generate", "--out", out]), "generate");
        let crate_dir = project.join("crates/minimal");
        assert_paths_resolve(&crate_dir, &workflow_dir, &project.join("target"));
    }
    // A crate the workspace excludes is a workspace of its own.
    assert_success(
        &run(&project, &["generate", "--out", "standalone"]),
        "generate",
    );
    let crate_dir = project.join("standalone/minimal");
    assert_paths_resolve(&crate_dir, &workflow_dir, &crate_dir.join("target"));
}

#[test]
fn runtime_option_sets_the_dependency_of_a_new_crate() {
    let root = tempfile::tempdir().expect("temp dir");
    let project = canonical(root.path());
    add_minimal_workflow(&project);
    let runtime = workspace_root().join("orderflow-runtime");
    let generate = |out: &str, runtime: &str| {
        let output = run(&project, &["generate", "--out", out, "--runtime", runtime]);
        assert_success(&output, &format!("generate --runtime {runtime}"));
        runtime_dependency(&project.join(out).join("minimal"))
    };
    assert_eq!(
        generate("version", "version=0.1").as_str(),
        Some("0.1"),
        "version="
    );
    let git = generate(
        "git",
        "git=https://github.com/orderflow/orderflow,tag=v0.1.0",
    );
    assert_eq!(
        git.get("git").and_then(toml::Value::as_str),
        Some("https://github.com/orderflow/orderflow")
    );
    assert_eq!(git.get("tag").and_then(toml::Value::as_str), Some("v0.1.0"));
    // A relative path is relative to the current folder, written relative to the crate.
    #[cfg(unix)]
    {
        std::fs::create_dir_all(project.join("vendor")).expect("mkdir");
        std::os::unix::fs::symlink(&runtime, project.join("vendor/runtime")).expect("symlink");
        let path = generate("path/deeper", "path=vendor/runtime");
        let written = path.get("path").and_then(toml::Value::as_str);
        assert_eq!(
            written.map(|p| canonical(&project.join("path/deeper/minimal").join(p))),
            Some(canonical(&runtime)),
            "{written:?}"
        );
    }
    let absolute = format!("path={}", runtime.display());
    let path = generate("absolute", &absolute);
    assert_eq!(
        path.get("path").and_then(toml::Value::as_str),
        Some(runtime.to_string_lossy().as_ref())
    );
    // The Cargo.toml is the user's once written: another --runtime does not change it.
    assert_eq!(generate("version", "version=9").as_str(), Some("0.1"));
    for wrong in [
        "0.1",
        "crate=x",
        "git=u,commit=1",
        "path=",
        "path=no-such-folder",
    ] {
        let output = run(
            &project,
            &["generate", "--out", "wrong", "--runtime", wrong],
        );
        assert_eq!(output.status.code(), Some(2), "--runtime {wrong}");
    }
    assert!(!project.join("wrong").exists());
}

/// The generated crate, outside any workspace and written to an absolute `--out`, builds with
/// `--features local` (the glue `include_str!`s the definition): its orderflow-runtime
/// dependency resolves without crates.io.
#[test]
fn a_crate_generated_outside_the_repository_builds() {
    let project = tempfile::tempdir().expect("temp dir");
    let out = tempfile::tempdir().expect("temp dir");
    add_minimal_workflow(project.path());
    let out_arg = out.path().to_string_lossy().into_owned();
    let generated = run(project.path(), &["generate", "--out", &out_arg]);
    assert_success(&generated, "generate");
    let crate_dir = out.path().join("minimal");
    support::cargo_check_generated(&crate_dir, &["--all-targets"]);
}

/// A worker whose waiting state has `HeartbeatSeconds` keeps its token alive: its binary sends
/// heartbeats at half that (so one late heartbeat is still in time); without it, none.
#[test]
fn a_worker_heartbeats_at_half_its_states_heartbeat_seconds() {
    let dir = workspace_root().join("definitions/store-checkout");
    let worker_binary = |heartbeat: Option<u64>| {
        let mut sources = orderflow_model::workflow::WorkflowSources::read_dir(&dir).unwrap();
        if let Some(seconds) = heartbeat {
            let path = dir.join("workflow.asl.json");
            let mut definition: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            definition["States"]["PrepareOrder"]["HeartbeatSeconds"] = seconds.into();
            sources.insert(
                "workflow.asl.json",
                serde_json::to_string_pretty(&definition).unwrap(),
            );
        }
        let analysis = orderflow_model::analyze(&sources);
        assert!(!analysis.has_errors(), "{:?}", analysis.diagnostics);
        let workflow = analysis.workflow.unwrap();
        let paths = orderflow_codegen::CratePaths::new(
            &dir,
            &dir,
            &dir.join("generated"),
            &orderflow_codegen::Runtime::registry(),
        );
        let (files, _) =
            orderflow_codegen::crate_files(&workflow, "definitions/store-checkout", &paths);
        files
            .into_iter()
            .find(|f| f.path == Path::new("src/bin/sqs_worker.rs"))
            .map(|f| f.contents)
            .unwrap()
    };
    let with = worker_binary(Some(60));
    assert!(
        with.contains("Duration::from_millis(30000)")
            && with.contains("run_sqs_worker_with_heartbeat(handler, callbacks, heartbeat)"),
        "{with}"
    );
    let without = worker_binary(None);
    assert!(
        without.contains("run_sqs_worker(handler, callbacks)") && !without.contains("heartbeat"),
        "{without}"
    );
}
