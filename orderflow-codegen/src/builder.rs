//! The build-script API, in the style of prost-build:
//!
//! ```no_run
//! // In build.rs's `main`:
//! if let Err(e) = orderflow_codegen::Builder::new()
//!     .workflow("../definitions/store-checkout")
//!     .generate_to_out_dir()
//! {
//!     eprintln!("{e}");
//!     std::process::exit(1);
//! }
//! ```
//!
//! and in the crate: `include!(concat!(env!("OUT_DIR"), "/store_checkout.rs"));` inside a
//! module. The included file holds the `types`, `errors` and `functions` modules that
//! `orderflow-codegen generate` writes to `src/generated.rs`.

use std::path::{Path, PathBuf};

use heck::ToSnakeCase;

use crate::render_human;
use orderflow_model::analyze;
use orderflow_model::diagnostic::Diagnostic;
use orderflow_model::workflow::WorkflowSources;

/// Generates workflow modules from a build script.
#[derive(Debug, Clone)]
pub struct Builder {
    workflows: Vec<PathBuf>,
    emit_rerun: bool,
}

/// What a build produced.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The files written, one per workflow (`<out>/<workflow_snake>.rs`).
    pub files: Vec<PathBuf>,
    /// Every file read, for `cargo:rerun-if-changed`.
    pub inputs: Vec<PathBuf>,
    /// Warnings (errors make the build fail instead).
    pub warnings: Vec<Diagnostic>,
}

/// A build that cannot proceed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// `generate_to_out_dir` outside a build script.
    #[error(
        "OUT_DIR is not set: generate_to_out_dir is for build scripts; use generate_to(dir) elsewhere"
    )]
    NoOutDir,
    /// A workflow folder that cannot be read.
    #[error("cannot read workflow folder {}: {source}", dir.display())]
    ReadWorkflow {
        /// The folder, as given to [`Builder::workflow`].
        dir: PathBuf,
        /// Why it cannot be read.
        source: std::io::Error,
    },
    /// The workflow definitions have errors: every error diagnostic, rendered as `check`
    /// prints them when displayed. Nothing was written.
    #[error("{}", render_errors(.0))]
    Definitions(Vec<Diagnostic>),
    /// A generated module that cannot be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The module's file.
        path: PathBuf,
        /// Why it cannot be written.
        source: std::io::Error,
    },
}

/// The text a build script prints for definition errors: a count, then each error as `check`
/// prints it (without colour: cargo shows build-script output as is).
fn render_errors(errors: &[Diagnostic]) -> String {
    let rendered: Vec<String> = errors.iter().map(|d| render_human(d, false)).collect();
    format!(
        "orderflow: the workflow definitions have {} error{}:\n\n{}",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" },
        rendered.join("\n\n")
    )
}

/// The same as [`Builder::new`]: a build script's builder prints `cargo:rerun-if-changed` lines
/// unless told not to.
impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

impl Builder {
    /// A builder with no workflow yet, printing `cargo:rerun-if-changed` lines.
    pub fn new() -> Self {
        Builder {
            workflows: Vec::new(),
            emit_rerun: true,
        }
    }

    /// Adds a workflow folder (relative to the crate being built, like paths in build scripts).
    pub fn workflow(mut self, dir: impl Into<PathBuf>) -> Self {
        self.workflows.push(dir.into());
        self
    }

    /// Whether to print `cargo:rerun-if-changed` lines (on by default; off for tests).
    pub fn emit_rerun_if_changed(mut self, on: bool) -> Self {
        self.emit_rerun = on;
        self
    }

    /// Writes to `$OUT_DIR`, as a build script does.
    pub fn generate_to_out_dir(self) -> Result<Generated, BuildError> {
        let out = std::env::var_os("OUT_DIR").ok_or(BuildError::NoOutDir)?;
        self.generate_to(Path::new(&out))
    }

    /// Checks each workflow and writes its module to `out_dir/<workflow_snake>.rs`. Nothing is
    /// written if any workflow has errors; the error lists them as `check` prints them.
    pub fn generate_to(self, out_dir: &Path) -> Result<Generated, BuildError> {
        let mut inputs = Vec::new();
        let mut modules = Vec::new();
        let mut warnings = Vec::new();
        let mut errors = Vec::new();
        for dir in &self.workflows {
            let mut sources =
                WorkflowSources::read_dir(dir).map_err(|source| BuildError::ReadWorkflow {
                    dir: dir.clone(),
                    source,
                })?;
            // Generated types need every schema: a function without them is an error here.
            sources.strict = true;
            inputs.extend(sources.files().map(|f| f.path().to_path_buf()));
            // New schema files appear in these folders.
            inputs.push(dir.clone());
            inputs.push(dir.join("schemas"));
            let analysis = analyze(&sources);
            let (errs, warns): (Vec<_>, Vec<_>) = analysis
                .diagnostics
                .into_iter()
                .partition(Diagnostic::is_error);
            errors.extend(errs);
            warnings.extend(warns);
            if let Some(workflow) = analysis.workflow.filter(|_| errors.is_empty()) {
                let source = dir.to_string_lossy().replace('\\', "/");
                let (module, generation) = crate::emit::generated_module(&workflow, &source);
                warnings.extend(generation);
                modules.push((workflow.name.to_snake_case(), module));
            }
        }
        if self.emit_rerun {
            for input in &inputs {
                println!("cargo:rerun-if-changed={}", input.display());
            }
        }
        if !errors.is_empty() {
            return Err(BuildError::Definitions(errors));
        }
        if self.emit_rerun {
            for w in &warnings {
                println!(
                    "cargo:warning={}",
                    orderflow_model::diagnostic::render_short(w)
                );
            }
        }
        let mut files = Vec::new();
        for (name, module) in modules {
            let path = out_dir.join(format!("{name}.rs"));
            crate::output::write_atomic(&path, &module).map_err(|source| BuildError::Write {
                path: path.clone(),
                source,
            })?;
            files.push(path);
        }
        Ok(Generated {
            files,
            inputs,
            warnings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Builder;

    /// `Builder::default()` once skipped the `cargo:rerun-if-changed` lines that `new()` prints,
    /// so a build script using it was not rerun when a schema changed.
    #[test]
    fn default_prints_rerun_lines_as_new_does() {
        assert!(Builder::default().emit_rerun);
        assert_eq!(
            format!("{:?}", Builder::default()),
            format!("{:?}", Builder::new())
        );
    }
}
