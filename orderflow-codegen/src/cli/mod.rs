//! The `orderflow-codegen` command line: argument parsing and I/O around the core.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::diagnostic::{JsonDiagnostic, Severity, render_human, render_short};
use crate::workflow::{Analysis, WorkflowSources, analyze};

/// Checks AWS Step Functions workflows (ASL + JSON Schemas) and generates the Rust that must
/// agree with them.
#[derive(Debug, Parser)]
#[command(name = "orderflow-codegen", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check workflow folders: ASL structure, schemas, and the data flow between functions.
    ///
    /// Exit status: 0 when clean (warnings allowed), 1 when errors were found, 2 on usage or
    /// I/O errors. Never writes anything.
    Check(CheckArgs),
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Workflow folders to check (default: every folder under ./definitions).
    pub workflow_dirs: Vec<PathBuf>,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Colour in human output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// rustc-style messages with snippets, on stderr.
    Human,
    /// One line per diagnostic, on stderr.
    Short,
    /// A JSON array of diagnostics, on stdout.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

/// Exit status for usage and I/O errors.
pub const EXIT_USAGE: u8 = 2;

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { 0 });
        }
    };
    match cli.command {
        Command::Check(args) => check(&args),
    }
}

/// The workflow folders to work on: those given, or every folder under ./definitions.
pub fn workflow_dirs(given: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    if !given.is_empty() {
        return Ok(given.to_vec());
    }
    let root = Path::new("definitions");
    let entries = std::fs::read_dir(root).map_err(|e| {
        format!("no workflow folders given and ./definitions cannot be read ({e}); pass WORKFLOW_DIR arguments")
    })?;
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    if dirs.is_empty() {
        return Err("./definitions holds no workflow folders".into());
    }
    Ok(dirs)
}

/// Reads and analyses each folder; an unreadable folder is a usage error.
pub fn analyze_dirs(dirs: &[PathBuf]) -> Result<Vec<Analysis>, String> {
    dirs.iter()
        .map(|dir| {
            WorkflowSources::read_dir(dir)
                .map(|sources| analyze(&sources))
                .map_err(|e| format!("cannot read workflow folder {}: {e}", dir.display()))
        })
        .collect()
}

fn check(args: &CheckArgs) -> ExitCode {
    let analyses = match workflow_dirs(&args.workflow_dirs).and_then(|d| analyze_dirs(&d)) {
        Ok(a) => a,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let diagnostics: Vec<_> = analyses.iter().flat_map(|a| &a.diagnostics).collect();
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diagnostics.len() - errors;
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let printed = match args.format {
        Format::Json => {
            let json: Vec<JsonDiagnostic<'_>> = diagnostics
                .iter()
                .map(|d| JsonDiagnostic::from(*d))
                .collect();
            let mut out = std::io::stdout().lock();
            serde_json::to_writer_pretty(&mut out, &json)
                .map_err(std::io::Error::from)
                .and_then(|()| writeln!(out))
        }
        Format::Human | Format::Short => {
            let mut err = std::io::stderr().lock();
            let mut result = Ok(());
            for d in &diagnostics {
                let text = if args.format == Format::Human {
                    format!("{}\n", render_human(d, color))
                } else {
                    render_short(d)
                };
                result = result.and_then(|()| writeln!(err, "{text}"));
            }
            result.and_then(|()| {
                writeln!(
                    err,
                    "checked {} workflow{}: {errors} error{}, {warnings} warning{}",
                    analyses.len(),
                    plural(analyses.len()),
                    plural(errors),
                    plural(warnings)
                )
            })
        }
    };
    if printed.is_err() {
        return ExitCode::from(EXIT_USAGE);
    }
    if errors > 0 || (args.deny_warnings && warnings > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
