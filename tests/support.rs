//! Helpers shared by the end-to-end tests.

// A test fails by panicking: unwrap and expect say where (the workspace denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use orderflow_codegen::render_human;
use orderflow_model::diagnostic::Diagnostic;
use orderflow_model::workflow::WorkflowSources;
use orderflow_model::{Analysis, analyze};

/// The workspace root (tests run with the package folder as working directory).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Reads a folder given relative to the workspace root, keeping the relative path in messages.
pub fn read_workflow(relative: &str) -> WorkflowSources {
    let mut sources = WorkflowSources::read_dir(&workspace_root().join(relative))
        .unwrap_or_else(|e| panic!("cannot read {relative}: {e}"));
    relabel(&mut sources, relative);
    sources
}

/// Rewrites file paths to be relative to the workspace root, so snapshots do not depend on
/// where the repository is checked out.
pub fn relabel(sources: &mut WorkflowSources, relative: &str) {
    let root = workspace_root();
    let mut fresh = WorkflowSources::new(relative);
    for file in sources.files() {
        let rel = file
            .path()
            .strip_prefix(root.join(relative))
            .unwrap_or(file.path())
            .to_string_lossy()
            .replace('\\', "/");
        fresh.insert(&rel, file.text());
    }
    fresh.read_errors = std::mem::take(&mut sources.read_errors);
    *sources = fresh;
}

/// Every diagnostic rendered as a user sees it (no colour).
pub fn render_all(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| render_human(d, false))
        .collect::<Vec<_>>()
        .join("\n\n")
}

pub fn analyze_dir(relative: &str) -> Analysis {
    analyze(&read_workflow(relative))
}
