//! What several of this crate's test binaries share: running the command, building a crate
//! `generate` wrote.

// Each test binary that includes this module uses part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Runs `orderflow-codegen args…` from the workspace root, without colours.
pub fn codegen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_orderflow-codegen"))
        .current_dir(workspace_root())
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs")
}

/// The cargo target folder the tests build in, shared so a generated crate reuses its build.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            Path::new(env!("CARGO_TARGET_TMPDIR"))
                .parent()
                .map(Path::to_path_buf)
        })
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// `cargo check --offline --features local` of a generated crate, with this workspace's lock
/// file (so the shared build is reused; it lists no orderflow-runtime from a registry, so it
/// cannot make one resolve) and target folder. Panics with cargo's output when it fails.
pub fn cargo_check_generated(crate_dir: &Path, extra: &[&str]) {
    std::fs::copy(
        workspace_root().join("Cargo.lock"),
        crate_dir.join("Cargo.lock"),
    )
    .expect("copy Cargo.lock");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let check = Command::new(cargo)
        .current_dir(crate_dir)
        .args(["check", "--offline", "--features", "local"])
        .args(extra)
        .env("CARGO_TARGET_DIR", target_dir())
        .output()
        .expect("cargo runs");
    assert!(
        check.status.success(),
        "cargo check --features local of the generated crate {} failed:\n{}\n{}",
        crate_dir.display(),
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
}
