//! `check` and `generate` of both reference definitions, and `check .` of the whole repository,
//! as whole processes (what CI and a
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
