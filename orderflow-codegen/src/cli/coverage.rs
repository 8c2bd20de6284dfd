//! `orderflow-codegen coverage`: merges coverage files and reports them against the
//! definitions they name; and the one way a coverage file is updated.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::{EXIT_USAGE, one_workflow_sources};
use crate::coverage::WorkflowReport;
use orderflow_exec::{Coverage, CoverageFile};
use orderflow_model::analyze;
use orderflow_model::workflow::read_limited;

#[derive(Debug, clap::Args)]
pub struct CoverageArgs {
    /// Coverage files (`run --coverage FILE`, or the files `ORDERFLOW_COVERAGE=DIR` makes
    /// tests write), or folders of them; they add up.
    #[arg(required = true, value_name = "FILE|DIR")]
    pub files: Vec<PathBuf>,
    /// `text`: covered/total per workflow and what was missed; `json`; `lcov` (a tracefile on
    /// the definition's lines, for genhtml, Codecov and editors); `github` (annotations on the
    /// states never entered); `mermaid` (the flowchart, with what was never reached grey and
    /// dashed).
    #[arg(long, value_enum, default_value = "text")]
    pub format: CoverageFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CoverageFormat {
    Text,
    Json,
    Lcov,
    Github,
    Mermaid,
}

fn usage(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(EXIT_USAGE)
}

/// Reads one coverage file.
fn read(path: &Path) -> Result<CoverageFile, String> {
    let text = read_limited(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    CoverageFile::parse(&text).map_err(|e| format!("{}: not a coverage file: {e}", path.display()))
}

/// Adds `coverage` of the workflow defined in `definition` to the coverage file `file`
/// (created if absent).
pub fn add_to_file(file: &Path, definition: &str, coverage: &Coverage) -> Result<(), String> {
    let mut record = CoverageFile::new();
    record.add(definition, coverage);
    record.add_to(file)
}

pub fn coverage(args: &CoverageArgs) -> ExitCode {
    let mut merged = CoverageFile::new();
    for path in &args.files {
        let files: Vec<PathBuf> = if path.is_dir() {
            let mut files: Vec<PathBuf> = match std::fs::read_dir(path) {
                Ok(entries) => entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "json"))
                    .collect(),
                Err(e) => return usage(format!("cannot read {}: {e}", path.display())),
            };
            files.sort();
            files
        } else {
            vec![path.clone()]
        };
        for file in files {
            match read(&file) {
                Ok(coverage) => merged.merge(&coverage),
                Err(message) => return usage(message),
            }
        }
    }
    let mut reports = Vec::new();
    let mut diagrams = Vec::new();
    for (definition, coverage) in &merged.workflows {
        let machine = one_workflow_sources(Path::new(definition), None)
            .map(|sources| analyze(&sources))
            .and_then(|analysis| {
                analysis.workflow.map(|w| w.machine).ok_or_else(|| {
                    format!(
                        "{definition} does not load: run `orderflow-codegen check {definition}`"
                    )
                })
            });
        match machine {
            Ok(machine) => {
                reports.push(WorkflowReport::new(definition, &machine, coverage));
                if args.format == CoverageFormat::Mermaid {
                    diagrams.push(crate::emit::graph::render_with(
                        &machine,
                        crate::emit::graph::GraphFormat::Mermaid,
                        Some(coverage),
                    ));
                }
            }
            Err(message) => return usage(message),
        }
    }
    match args.format {
        CoverageFormat::Text => {
            for report in &reports {
                print!("{}", report.text());
            }
        }
        CoverageFormat::Json => {
            let all: Vec<serde_json::Value> = reports.iter().map(WorkflowReport::json).collect();
            println!("{}", serde_json::to_string_pretty(&all).unwrap_or_default());
        }
        CoverageFormat::Lcov => {
            for report in &reports {
                print!("{}", report.lcov());
            }
        }
        CoverageFormat::Github => {
            for report in &reports {
                print!("{}", report.github());
            }
        }
        CoverageFormat::Mermaid => {
            for diagram in &diagrams {
                print!("{diagram}");
            }
        }
    }
    ExitCode::SUCCESS
}
