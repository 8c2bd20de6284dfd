//! `orderflow-codegen explore`: searches a workflow for the inputs and Task outcomes that reach
//! each of its states, Choice rules and Catch clauses, and reports what goes wrong on the way,
//! each finding with a reproduction `run` replays.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::{Value, json};

use super::init::definition_value;
use super::{EXIT_USAGE, clean_workflow, github, one_workflow_sources};
use crate::explore::{Exploration, ExploreOptions, FindingSeverity, explore};
use crate::output::write_atomic;
use orderflow_model::analyze;
use orderflow_model::diagnostic::Severity;

/// Exit status when a finding is an error, or the definition has errors.
const EXIT_FINDINGS: u8 = 1;

/// The file, inside `--out`, that lists what the last exploration wrote there.
const WRITTEN_LIST: &str = ".orderflow-explore";

/// The mock file's name inside `--out`.
const MOCK_FILE: &str = "explore.mocks.json";

#[derive(Debug, clap::Args)]
pub struct ExploreArgs {
    /// The state machine: a workflow folder, an ASL file, or a SAM/CloudFormation template,
    /// serverless.yml or CDK template holding it (`--state-machine` picks one of several).
    pub definition: PathBuf,
    /// The state machine to explore when the file holds several.
    #[arg(long, value_name = "NAME")]
    pub state_machine: Option<String>,
    /// The most executions to run.
    #[arg(long, default_value_t = ExploreOptions::default().max_executions, value_name = "N")]
    pub max_executions: u64,
    /// Seeds every random choice: the same seed gives the same report.
    #[arg(long, default_value_t = ExploreOptions::default().seed, value_name = "S")]
    pub seed: u64,
    /// `text`; `json` (findings with their input and the mock file inline); `github`
    /// (annotations on the definition's lines).
    #[arg(long, value_enum, default_value = "text")]
    pub format: ExploreFormat,
    /// Write each finding's execution input (`finding-N.input.json`) and one mock file
    /// (`explore.mocks.json`, a test case per finding) into DIR, for `run` to replay. DIR is
    /// created; a DIR explore did not write is refused.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Exit 1 on warnings too (AWS-raised errors left unhandled, Choice rules never taken).
    #[arg(long)]
    pub deny_warnings: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExploreFormat {
    Text,
    Json,
    Github,
}

fn usage(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(EXIT_USAGE)
}

pub fn explore_command(args: &ExploreArgs) -> ExitCode {
    let sources = match one_workflow_sources(&args.definition, args.state_machine.as_deref()) {
        Ok(sources) => sources,
        Err(message) => return usage(message),
    };
    let analysis = analyze(&sources);
    let Some(workflow) = clean_workflow(&analysis) else {
        eprintln!("error: nothing was explored: fix the definition first");
        return ExitCode::from(EXIT_FINDINGS);
    };
    let options = ExploreOptions {
        max_executions: args.max_executions,
        seed: args.seed,
        stop_at_full_coverage: false,
    };
    let definition = match definition_value(&sources) {
        Ok(definition) => definition,
        Err(message) => return usage(message),
    };
    let exploration = match explore(workflow, &definition, options) {
        Ok(exploration) => exploration,
        Err(e) => return usage(e),
    };
    let replay = match &args.out {
        Some(dir) => match write_reproductions(dir, &exploration) {
            Ok(()) => Some(dir.as_path()),
            Err(message) => return usage(message),
        },
        None => None,
    };
    let definition = args.definition.display().to_string();
    match args.format {
        ExploreFormat::Text => print!("{}", text(&exploration, &definition, replay)),
        ExploreFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&json_report(&exploration)).unwrap_or_default()
        ),
        ExploreFormat::Github => print!("{}", github_report(&exploration)),
    }
    let failing =
        exploration.has_errors() || (args.deny_warnings && !exploration.findings.is_empty());
    if failing {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    }
}

fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

/// Writes each reproduction's input and the mock file into `dir`, replacing what an earlier
/// exploration wrote there and nothing else.
fn write_reproductions(dir: &Path, exploration: &Exploration) -> Result<(), String> {
    let list = dir.join(WRITTEN_LIST);
    let earlier: Vec<String> = match std::fs::read_to_string(&list) {
        Ok(text) => text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(str::to_owned)
            .collect(),
        Err(_) => {
            let occupied = std::fs::read_dir(dir).is_ok_and(|mut e| e.next().is_some());
            if occupied {
                return Err(format!(
                    "{} holds files explore did not write; pass --out with a new or empty folder",
                    dir.display()
                ));
            }
            Vec::new()
        }
    };
    let mut files: Vec<(String, String)> = exploration
        .findings
        .iter()
        .filter_map(|f| f.reproduction.as_ref().map(|r| (f, r)))
        .map(|(f, r)| (format!("{}.input.json", f.id), pretty(&r.input)))
        .collect();
    files.push((MOCK_FILE.to_owned(), pretty(&exploration.mock_file())));
    for stale in earlier
        .iter()
        .filter(|name| !name.contains(['/', '\\']) && !files.iter().any(|(n, _)| n == *name))
    {
        let _ = std::fs::remove_file(dir.join(stale));
    }
    for (name, contents) in &files {
        write_atomic(&dir.join(name), contents)
            .map_err(|e| format!("cannot write {}: {e}", dir.join(name).display()))?;
    }
    let mut written =
        String::from("# @generated by orderflow-codegen explore: the files it wrote here\n");
    for (name, _) in &files {
        written.push_str(name);
        written.push('\n');
    }
    write_atomic(&list, &written).map_err(|e| format!("cannot write {}: {e}", list.display()))
}

fn severity_word(severity: FindingSeverity) -> &'static str {
    match severity {
        FindingSeverity::Error => "error",
        FindingSeverity::Warning => "warning",
    }
}

/// The human report: coverage, findings with how to replay them, what was not reached.
fn text(exploration: &Exploration, definition: &str, replay: Option<&Path>) -> String {
    let mut out = format!(
        "{}: {} executions (seed {})\n  {}",
        exploration.definition,
        exploration.executions,
        exploration.seed,
        exploration.coverage_summary
    );
    match exploration.full_coverage_after {
        Some(n) => {
            let _ = writeln!(out, ", all reached after {n} executions");
        }
        None => out.push('\n'),
    }
    for finding in &exploration.findings {
        let _ = writeln!(
            out,
            "{}[{}]: {}:{}:{}: {}",
            severity_word(finding.severity),
            finding.kind.as_str(),
            exploration.definition,
            finding.line,
            finding.column,
            finding.message
        );
        if let Some(reproduction) = &finding.reproduction {
            let _ = writeln!(
                out,
                "  input: {}",
                serde_json::to_string(&reproduction.input).unwrap_or_default()
            );
            match replay {
                Some(dir) => {
                    let _ = writeln!(
                        out,
                        "  replay: orderflow-codegen run {definition} --input {} --mocks {} --test-case {}",
                        dir.join(format!("{}.input.json", finding.id)).display(),
                        dir.join(MOCK_FILE).display(),
                        reproduction.test_case
                    );
                }
                None => {
                    let _ = writeln!(
                        out,
                        "  replay: pass --out DIR to write its input and mock file"
                    );
                }
            }
        }
    }
    if !exploration.unreached.is_empty() {
        let _ = writeln!(out, "not reached:");
        for missed in &exploration.unreached {
            let what = match &missed.branch {
                Some(branch) => format!("{branch} of `{}`", missed.state),
                None => format!("state `{}`", missed.state),
            };
            let _ = writeln!(
                out,
                "  {}:{}: {what}: {}",
                exploration.definition, missed.line, missed.reason
            );
        }
    }
    let errors = exploration
        .findings
        .iter()
        .filter(|f| f.severity == FindingSeverity::Error)
        .count();
    let _ = writeln!(
        out,
        "{} finding{}: {errors} error{}, {} warning{}",
        exploration.findings.len(),
        plural(exploration.findings.len()),
        plural(errors),
        exploration.findings.len() - errors,
        plural(exploration.findings.len() - errors)
    );
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The whole exploration as JSON: the mock file inline, each finding's test case named in it.
fn json_report(exploration: &Exploration) -> Value {
    json!({
        "definition": exploration.definition,
        "seed": exploration.seed,
        "executions": exploration.executions,
        "fullCoverageAfter": exploration.full_coverage_after,
        "coverage": exploration.coverage_report,
        "findings": exploration.findings,
        "unreached": exploration.unreached,
        "mocks": exploration.mock_file(),
    })
}

/// One annotation per finding (errors and warnings) and per thing not reached (notices).
fn github_report(exploration: &Exploration) -> String {
    let mut out = String::new();
    for finding in &exploration.findings {
        let severity = match finding.severity {
            FindingSeverity::Error => Severity::Error,
            FindingSeverity::Warning => Severity::Warning,
        };
        let mut message = finding.message.clone();
        if let Some(reproduction) = &finding.reproduction {
            let _ = write!(
                message,
                "\ninput: {}",
                serde_json::to_string(&reproduction.input).unwrap_or_default()
            );
        }
        out.push_str(&github::command(
            severity,
            &[
                ("file", exploration.definition.clone()),
                ("line", finding.line.to_string()),
                ("col", finding.column.to_string()),
                (
                    "title",
                    format!("orderflow explore: {}", finding.kind.as_str()),
                ),
            ],
            &message,
        ));
        out.push('\n');
    }
    for missed in &exploration.unreached {
        let what = match &missed.branch {
            Some(branch) => format!("{branch} of \"{}\"", missed.state),
            None => format!("state \"{}\"", missed.state),
        };
        out.push_str(&github::command(
            Severity::Note,
            &[
                ("file", exploration.definition.clone()),
                ("line", missed.line.to_string()),
                ("title", "orderflow explore: not reached".to_owned()),
            ],
            &format!("{what} was not reached: {}", missed.reason),
        ));
        out.push('\n');
    }
    out
}
