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
    codegen_in(&workspace_root(), args)
}

/// Runs `orderflow-codegen args…` in `dir`, without colours.
pub fn codegen_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_orderflow-codegen"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs")
}

/// The `*.json` files of a folder of this crate's tests (`tests/explore`), sorted.
pub fn json_fixtures(folder: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the fixture folder")
        .map(|e| e.expect("a readable entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

/// Copies a folder and everything in it (following symbolic links, as a checkout's
/// `schemas -> ../store-checkout/schemas` is a folder of its own in the copy).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create the folder");
    for entry in std::fs::read_dir(from).expect("read the folder") {
        let entry = entry.expect("a readable entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy the file");
        }
    }
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

/// Copies the reference workflow `definitions/<base>` into `dir` and applies `patches` (file →
/// RFC 6902 patch; a file that does not exist starts as `null`, and one patched to `null` is
/// deleted). The fixtures of `explore` and `check --against` are such patches.
pub fn patched_reference(base: &str, patches: Option<&serde_json::Value>, dir: &Path) -> PathBuf {
    use serde_json::Value;
    let folder = dir.join(base);
    copy_dir(&workspace_root().join("definitions").join(base), &folder);
    let Some(patches) = patches.and_then(Value::as_object) else {
        return folder;
    };
    for (file, patch) in patches {
        let path = folder.join(file);
        let mut doc: Value = match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).expect("a JSON file"),
            Err(_) => Value::Null,
        };
        let patch: json_patch::Patch =
            serde_json::from_value(patch.clone()).expect("an RFC 6902 patch");
        json_patch::patch(&mut doc, &patch).unwrap_or_else(|e| panic!("{file}: {e}"));
        if doc.is_null() {
            std::fs::remove_file(&path).expect("remove the file");
        } else {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).expect("create the folder");
            }
            let text = serde_json::to_string_pretty(&doc).expect("JSON");
            std::fs::write(&path, text).expect("write the file");
        }
    }
    folder
}
