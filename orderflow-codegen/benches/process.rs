//! `check` and `generate` of both reference definitions, `check .` of the whole repository,
//! `init` from 1,000 recorded histories of the checkout, and `check --against` of the checkout
//! (a git revision, a folder), as whole processes (what CI and a
//! developer run), against a baseline measured in the same run: the same binary printing its
//! version (process start-up alone).
//!
//! Run: `cargo bench -p orderflow-codegen --bench process` (release build of the binary).

// A test fails by panicking: unwrap and expect say where (the workspace denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

fn main() {
    divan::main();
}

fn run(args: &[&str]) {
    run_expecting(args, 0);
}

fn run_expecting(args: &[&str], code: i32) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let status = Command::new(env!("CARGO_BIN_EXE_orderflow-codegen"))
        .args(args)
        .current_dir(root)
        .stderr(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .status();
    assert!(
        status.is_ok_and(|s| s.code() == Some(code)),
        "orderflow-codegen {args:?} did not exit {code}"
    );
}

#[divan::bench(sample_count = 30)]
fn baseline_version() {
    run(&["--version"]);
}

#[divan::bench(sample_count = 30)]
fn check_both_definitions() {
    run(&["check"]);
}

/// `check .` at the repository root: the search of the whole tree (target/ and .git skipped)
/// and every state machine found (workflow folders, generated SAM and serverless templates, the
/// test corpora). It exits 1: the corpora hold broken definitions on purpose.
#[divan::bench(sample_count = 30)]
fn check_repository_root() {
    run_expecting(&["check", "."], 1);
}

/// Check, generate every file in memory, compare with generated-example: all of `generate`
/// except the writes.
#[divan::bench(sample_count = 30)]
fn generate_check_both_definitions() {
    run(&["generate", "--check"]);
}

/// 1,000 recorded executions of the checkout in AWS's shape (the two mock test cases of
/// `tests/run/store-checkout.mocks.json`, recorded with `run --history-format aws`, 500 files
/// each), made once.
fn checkout_histories() -> &'static (tempfile::TempDir, Vec<String>) {
    static HISTORIES: std::sync::OnceLock<(tempfile::TempDir, Vec<String>)> =
        std::sync::OnceLock::new();
    HISTORIES.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let dir = tempfile::tempdir().expect("temp dir");
        let mut files = Vec::new();
        for (case, example) in [
            ("BillingRetried", "happy-path"),
            ("OutOfStock", "out-of-stock"),
        ] {
            let output = Command::new(env!("CARGO_BIN_EXE_orderflow-codegen"))
                .current_dir(&root)
                .args([
                    "run",
                    "definitions/store-checkout",
                    "--input",
                    &format!("definitions/store-checkout/examples/{example}.json"),
                    "--mocks",
                    "orderflow-codegen/tests/run/store-checkout.mocks.json",
                    "--test-case",
                    case,
                    "--history-format",
                    "aws",
                ])
                .output()
                .expect("run");
            for n in 0..500 {
                let file = dir.path().join(format!("{case}-{n}.json"));
                std::fs::write(&file, &output.stdout).expect("write");
                files.push(file.display().to_string());
            }
        }
        (dir, files)
    })
}

/// `init` from 1,000 histories of the checkout: read and parse them all, infer every schema,
/// write the folder (removed after each sample). Issue 19's floor: under 1 s.
#[divan::bench(sample_count = 10)]
fn init_from_1000_checkout_histories(bencher: divan::Bencher) {
    let (dir, files) = checkout_histories();
    let asl = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../definitions/store-checkout/workflow.asl.json")
        .display()
        .to_string();
    let out = dir.path().join("store-checkout").display().to_string();
    bencher.bench(|| {
        let mut args = vec!["init", &asl, "--out", &out, "--history"];
        args.extend(files.iter().map(String::as_str));
        run(&args);
        std::fs::remove_dir_all(&out).expect("remove the folder");
    });
}

/// `check` of the checkout alone: what `check --against` adds to.
#[divan::bench(sample_count = 30)]
fn check_checkout() {
    run(&["check", "definitions/store-checkout"]);
}

/// `check --against HEAD` of the checkout: git resolves the revision, `git archive` exports the
/// `definitions` folder (JSON and YAML unpacked into a temporary folder), both versions are
/// checked and compared. Issue 23's floor: under 100 ms.
#[divan::bench(sample_count = 30)]
fn check_against_revision_checkout() {
    run(&["check", "--against", "HEAD", "definitions/store-checkout"]);
}

/// `check --against DIR` of the checkout, the earlier version in a folder (no git).
#[divan::bench(sample_count = 30)]
fn check_against_folder_checkout() {
    let earlier = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../definitions/store-checkout")
        .display()
        .to_string();
    run(&["check", "--against", &earlier, "definitions/store-checkout"]);
}
