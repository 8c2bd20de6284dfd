//! The `orderflow-codegen` command line: argument parsing and I/O around the core.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::emit::paths::{CratePaths, Runtime};
use crate::output::Action;
use crate::render_human;
use orderflow_model::diagnostic::{Code, Diagnostic, JsonDiagnostic, Severity, render_short};
use orderflow_model::workflow::WorkflowSources;
use orderflow_model::{Analysis, analyze};

pub mod against;
pub mod coverage;
pub mod explore;
pub mod github;
pub mod init;
pub mod inputs;
pub mod run;

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
    /// Check state machines (workflow folders, ASL files, SAM/CloudFormation templates,
    /// serverless.yml, CDK output): ASL structure, schemas, and the data flow between functions.
    ///
    /// Exit status: 0 when clean (warnings allowed), 1 when errors were found, 2 on usage or
    /// I/O errors. Never writes anything.
    Check(CheckArgs),
    /// Generate the Rust crate of each workflow: payload types, error enums, function traits,
    /// Lambda binaries (regenerated) and handler stubs (created once, never overwritten).
    ///
    /// Refuses (exit 1, nothing written) when `check` finds errors, or when a file it would
    /// overwrite lacks the `@generated` marker.
    Generate(GenerateArgs),
    /// Print the workflow as a flowchart (Mermaid or Graphviz dot) on stdout.
    Graph(GraphArgs),
    /// Run the state machine in-process on an input and print the outcome as JSON; Task states
    /// answer from a mock file (Step Functions Local's format).
    ///
    /// Exit status: 0 when the executions ran (whatever their status), 1 for an invalid
    /// definition, 2 for usage or I/O errors (including an input or mock file that is not valid).
    Run(run::RunArgs),
    /// Create a workflow folder from a definition you already have (an ASL file, a SAM or
    /// CloudFormation template, serverless.yml, CDK output): the definition, orderflow.json,
    /// schemas inferred from recorded executions (`--history`, get-execution-history
    /// documents) and sample payloads (`--samples`), example inputs and a mock file that
    /// replays each recorded execution with `run`.
    ///
    /// Refuses (exit 1, nothing written) when the target folder exists or the definition has
    /// errors; exit 2 for unreadable inputs.
    Init(init::InitArgs),
    /// Report which states, Choice rules and Catch clauses recorded executions reached
    /// (`run --coverage FILE`, `ORDERFLOW_COVERAGE=DIR` in tests), against each definition.
    ///
    /// Exit status: 0 when reported, 2 for a file that cannot be read or a definition that does
    /// not load.
    Coverage(coverage::CoverageArgs),
    /// Search for the inputs and Task outcomes that reach every state, Choice rule and Catch
    /// clause, and report what goes wrong: errors no Catch handles, States.Runtime,
    /// States.NoChoiceMatched, payloads over 256 KiB, Task inputs that break their schema,
    /// Choice rules never taken. `--out DIR` writes each finding's input and a mock file that
    /// `run` replays it with.
    ///
    /// Exit status: 0 when no finding is an error (warnings allowed, unless --deny-warnings),
    /// 1 when one is, or the definition has errors; 2 for usage and I/O errors.
    Explore(explore::ExploreArgs),
}

#[derive(Debug, clap::Args)]
pub struct GraphArgs {
    /// The workflow: a workflow folder, an ASL file, or a template holding one state machine
    /// (anything `check` reads; see `--state-machine`).
    pub workflow_dir: PathBuf,
    /// Which state machine, when the file holds several (its logical id or serverless.yml key).
    #[arg(long, value_name = "NAME")]
    pub state_machine: Option<String>,
    /// Mermaid (for Markdown) or Graphviz dot.
    #[arg(long, value_enum, default_value_t = GraphFormatArg::Mermaid)]
    pub format: GraphFormatArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormatArg {
    Mermaid,
    Dot,
}

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// Workflow folders (default: every folder under ./definitions).
    pub workflow_dirs: Vec<PathBuf>,
    /// Where the crates go, one folder per workflow.
    #[arg(long, default_value = "generated-example")]
    pub out: PathBuf,
    /// Write nothing; exit 1 with a diff of every file that differs from what would be generated.
    #[arg(long)]
    pub check: bool,
    /// Where a new crate's Cargo.toml gets orderflow-runtime: `path=DIR` (relative to the
    /// current folder; written relative to the crate), `git=URL` (optionally `,rev=…`, `,tag=…`
    /// or `,branch=…`) or `version=REQ`. Default: the orderflow-runtime folder of the checkout
    /// this orderflow-codegen was built from, else `version=` this orderflow-codegen's version.
    #[arg(long, value_name = "path=DIR|git=URL|version=REQ")]
    pub runtime: Option<Runtime>,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Colour in human output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// What to check (default: every folder under ./definitions): workflow folders, ASL files
    /// (JSON or YAML), SAM or CloudFormation templates, serverless.yml, CDK's cdk.out or
    /// *.template.json, or any folder to search for them (`check .`).
    pub workflow_dirs: Vec<PathBuf>,
    #[command(flatten)]
    pub typing: TypingArgs,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Colour in human output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    /// Also report breaking changes (E05xx) against the earlier version of each workflow: a git
    /// revision (`HEAD~1`, `origin/main`, a merge base), or a folder holding the earlier files
    /// at the same paths (or, for one workflow, the earlier workflow itself).
    #[arg(long, value_name = "REF")]
    pub against: Option<String>,
}

/// How strictly definitions are typed, and which warnings are silenced.
#[derive(Debug, Clone, clap::Args)]
pub struct TypingArgs {
    /// Every function the definition invokes, and the execution input, must have schemas
    /// (as `"strict": true` in orderflow.json). Without it they are checked as untyped.
    #[arg(long)]
    pub strict: bool,
    /// Do not report this warning or note code (repeatable), e.g. `--allow W0118`.
    #[arg(long, value_name = "CODE", value_parser = parse_allowed_code)]
    pub allow: Vec<Code>,
}

impl TypingArgs {
    /// The options every input is checked with.
    pub fn options(&self) -> inputs::Options {
        inputs::Options {
            strict: self.strict,
            allow: self.allow.iter().copied().collect(),
        }
    }
}

/// A warning or note code for `--allow`; errors cannot be silenced.
fn parse_allowed_code(text: &str) -> Result<Code, String> {
    match Code::ALL
        .iter()
        .find(|c| c.as_str().eq_ignore_ascii_case(text))
    {
        Some(code) if code.is_error_code() => Err(format!(
            "{code} is an error; only warnings (W…) and notes (N…) can be allowed"
        )),
        Some(code) => Ok(*code),
        None => Err(format!("`{text}` is no orderflow diagnostic code")),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// rustc-style messages with snippets, on stderr.
    Human,
    /// One line per diagnostic, on stderr.
    Short,
    /// A JSON array of diagnostics, on stdout.
    Json,
    /// GitHub Actions workflow commands (`::error file=…,line=…,col=…,title=CODE::…`), one
    /// line per diagnostic, on stdout: annotations on the lines of a pull request.
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

/// Exit status for usage and I/O errors.
pub const EXIT_USAGE: u8 = 2;

/// Runs the `orderflow-codegen` command on the process's arguments; the exit code is the
/// process's (2 for usage and I/O errors).
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
        Command::Generate(args) => generate(&args),
        Command::Graph(args) => graph(&args),
        Command::Run(args) => run::run(&args),
        Command::Init(args) => init::init(&args),
        Command::Coverage(args) => coverage::coverage(&args),
        Command::Explore(args) => explore::explore_command(&args),
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
/// `strict`: every function needs schemas (what `generate` needs).
pub fn analyze_dirs(dirs: &[PathBuf], strict: bool) -> Result<Vec<Analysis>, String> {
    dirs.iter()
        .map(|dir| {
            WorkflowSources::read_dir(dir)
                .map(|mut sources| {
                    sources.strict |= strict;
                    analyze(&sources)
                })
                .map_err(|e| format!("cannot read workflow folder {}: {e}", dir.display()))
        })
        .collect()
}

/// Every state machine `given` holds (default: the folders under ./definitions).
pub fn find_inputs(given: &[PathBuf], typing: &TypingArgs) -> Result<Vec<inputs::Input>, String> {
    let paths = workflow_dirs(given)?;
    let found = inputs::find(&paths, &typing.options())?;
    if found.is_empty() {
        let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(format!(
            "found no state machine in {}: no workflow folder, ASL file, SAM or CloudFormation template, serverless.yml or CDK output",
            names.join(", ")
        ));
    }
    Ok(found)
}

fn check(args: &CheckArgs) -> ExitCode {
    let found = match find_inputs(&args.workflow_dirs, &args.typing) {
        Ok(found) => found,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    // What was found, so a search (`check .`) says what it checked.
    if matches!(args.format, Format::Human | Format::Short) && !args.workflow_dirs.is_empty() {
        eprintln!(
            "checking {} state machine{}:",
            found.len(),
            plural(found.len())
        );
        for input in &found {
            eprintln!("  {}", input.found);
        }
    }
    let analyses: Vec<Analysis> = found.iter().map(|i| analyze(&i.sources)).collect();
    let breaking = match &args.against {
        Some(reference) => match breaking_changes(reference, args, &found, &analyses) {
            Ok(b) => b,
            Err(message) => {
                eprintln!("error: {message}");
                return ExitCode::from(EXIT_USAGE);
            }
        },
        None => Vec::new(),
    };
    let diagnostics: Vec<_> = analyses
        .iter()
        .flat_map(|a| a.diagnostics.iter())
        .chain(&breaking)
        .collect();
    let Ok((errors, warnings)) = report(&diagnostics, args.format, args.color, analyses.len())
    else {
        return ExitCode::from(EXIT_USAGE);
    };
    if errors > 0 || (args.deny_warnings && warnings > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// `check --against`: the breaking changes of each input against its earlier version. What was
/// not compared, and the changes accepted on purpose, are said on stderr in the formats for
/// people.
fn breaking_changes(
    reference: &str,
    args: &CheckArgs,
    found: &[inputs::Input],
    analyses: &[Analysis],
) -> Result<Vec<Diagnostic>, String> {
    let earlier = against::Earlier::resolve(reference, found)?;
    let options = args.typing.options();
    let for_people = matches!(args.format, Format::Human | Format::Short);
    let mut diagnostics = Vec::new();
    for (input, analysis) in found.iter().zip(analyses) {
        match against::compare(&earlier, input, analysis, &options)? {
            against::Outcome::Compared(comparison) => {
                if for_people {
                    for accepted in &comparison.accepted {
                        let d = &accepted.diagnostic;
                        let at = d
                            .location
                            .as_ref()
                            .map(|l| format!("{l}: "))
                            .unwrap_or_default();
                        eprintln!(
                            "{at}accepted {}: {} ({})",
                            d.code, d.message, accepted.reason
                        );
                    }
                }
                diagnostics.extend(comparison.diagnostics);
            }
            against::Outcome::Skipped(why) if for_people => {
                eprintln!(
                    "not compared with {}: {} ({why})",
                    earlier.label, input.found
                );
            }
            against::Outcome::Skipped(_) => {}
        }
    }
    Ok(diagnostics)
}

/// Prints diagnostics in `format`; returns the numbers of errors and warnings.
fn report(
    diagnostics: &[&Diagnostic],
    format: Format,
    color: Color,
    workflows: usize,
) -> std::io::Result<(usize, usize)> {
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    let color = match color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    match format {
        Format::Json => {
            let json: Vec<JsonDiagnostic<'_>> = diagnostics
                .iter()
                .map(|d| JsonDiagnostic::from(*d))
                .collect();
            let mut out = std::io::stdout().lock();
            serde_json::to_writer_pretty(&mut out, &json).map_err(std::io::Error::from)?;
            writeln!(out)?;
        }
        Format::Github => {
            // On stdout, where GitHub documents that the runner reads workflow commands (and
            // where `json`, the other format for tools, goes); the summary is for people.
            let mut out = std::io::stdout().lock();
            for d in diagnostics {
                writeln!(out, "{}", github::diagnostic(d))?;
            }
            out.flush()?;
            summary(workflows, errors, warnings)?;
        }
        Format::Human | Format::Short => {
            let mut err = std::io::stderr().lock();
            for d in diagnostics {
                let text = if format == Format::Human {
                    format!("{}\n", render_human(d, color))
                } else {
                    render_short(d)
                };
                writeln!(err, "{text}")?;
            }
            drop(err);
            summary(workflows, errors, warnings)?;
        }
    }
    Ok((errors, warnings))
}

/// `checked 2 workflows: 0 errors, 0 warnings`, on stderr.
fn summary(workflows: usize, errors: usize, warnings: usize) -> std::io::Result<()> {
    writeln!(
        std::io::stderr().lock(),
        "checked {workflows} workflow{}: {errors} error{}, {warnings} warning{}",
        plural(workflows),
        plural(errors),
        plural(warnings)
    )
}

/// How the command names a workflow folder in generated headers: as given, with `/`, so the
/// output is the same on every machine.
fn source_name(dir: &Path) -> String {
    dir.to_string_lossy()
        .replace('\\', "/")
        .trim_end_matches('/')
        .to_owned()
}

fn generate(args: &GenerateArgs) -> ExitCode {
    let dirs = match workflow_dirs(&args.workflow_dirs) {
        Ok(d) => d,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let analyses = match analyze_dirs(&dirs, true) {
        Ok(a) => a,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let cwd = match std::env::current_dir() {
        Ok(cwd) => cwd,
        Err(e) => {
            eprintln!("error: cannot read the current folder: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    if let Some(Runtime::Path(dir)) = &args.runtime {
        if !cwd.join(dir).join("Cargo.toml").is_file() {
            eprintln!(
                "error: --runtime path={}: there is no Cargo.toml in that folder (the path is relative to the current folder)",
                dir.display()
            );
            return ExitCode::from(EXIT_USAGE);
        }
    }
    let local_runtime = Runtime::local();
    let runtime = args
        .runtime
        .clone()
        .or_else(|| local_runtime.clone())
        .unwrap_or_else(Runtime::registry);
    // Generate in memory first: nothing is written unless every workflow is sound.
    let mut diagnostics: Vec<Diagnostic> = analyses
        .iter()
        .flat_map(|a| a.diagnostics.iter().cloned())
        .collect();
    let mut crates = Vec::new();
    if !diagnostics.iter().any(Diagnostic::is_error) {
        for (dir, analysis) in dirs.iter().zip(&analyses) {
            if let Some(workflow) = &analysis.workflow {
                let crate_dir = args.out.join(&workflow.name);
                let paths = CratePaths::new(&cwd, dir, &crate_dir, &runtime);
                let (files, generation) =
                    crate::emit::crate_files(workflow, &source_name(dir), &paths);
                diagnostics.extend(generation);
                // The crate's Cargo.toml is the user's once written: checked, never rewritten.
                let manifest = crate_dir.join("Cargo.toml");
                if let Ok(text) = std::fs::read_to_string(&manifest) {
                    let file = orderflow_model::source::SourceFile::new(manifest, text);
                    diagnostics.extend(crate::emit::cargo_manifest::check(workflow, &file));
                }
                crates.push((crate_dir, files));
            }
        }
    }
    let shown: Vec<&Diagnostic> = diagnostics.iter().collect();
    let Ok((errors, _)) = report(&shown, args.format, args.color, analyses.len()) else {
        return ExitCode::from(EXIT_USAGE);
    };
    if errors > 0 {
        eprintln!("error: nothing generated: fix the errors above first");
        return ExitCode::from(1);
    }
    let mut plans = Vec::new();
    let mut unresolved_runtime = Vec::new();
    for (root, files) in &crates {
        if args.runtime.is_none() && local_runtime.is_none() && !root.join("Cargo.toml").exists() {
            unresolved_runtime.push(root.join("Cargo.toml"));
        }
        match crate::output::plan(root, files, &["src/bin"]) {
            Ok(p) => plans.extend(p),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(EXIT_USAGE);
            }
        }
    }
    let refused: Vec<_> = plans
        .iter()
        .filter(|p| p.action == Action::Refuse)
        .collect();
    if !refused.is_empty() {
        if args.format == Format::Github {
            let mut out = std::io::stdout().lock();
            for p in &refused {
                let _ = writeln!(out, "{}", github::refused(&p.path));
            }
        } else {
            for p in &refused {
                eprintln!(
                    "error: {} exists and has no `@generated` marker: it is not orderflow's to overwrite",
                    p.path.display()
                );
            }
        }
        eprintln!(
            "help: move the file away (or delete it) and run generate again; nothing was written"
        );
        return ExitCode::from(1);
    }
    if args.check {
        let drifted: Vec<_> = plans
            .iter()
            .filter(|p| matches!(p.action, Action::Write | Action::Delete))
            .collect();
        if drifted.is_empty() {
            eprintln!("generated files are up to date");
            return ExitCode::SUCCESS;
        }
        report_drift(&drifted, args.format);
        return ExitCode::from(1);
    }
    if let Err(e) = crate::output::apply(&plans) {
        eprintln!("error: writing generated files failed: {e}");
        return ExitCode::from(EXIT_USAGE);
    }
    if let Runtime::Version(version) = &runtime {
        for manifest in &unresolved_runtime {
            eprintln!(
                "warning: {} asks the registry for orderflow-runtime = \"{version}\": this orderflow-codegen was not built from a checkout with orderflow-runtime next to it",
                manifest.display()
            );
        }
        if !unresolved_runtime.is_empty() {
            eprintln!(
                "help: if orderflow-runtime is not published there, generate again with --runtime path=DIR or --runtime git=URL after deleting that Cargo.toml, or edit its dependency"
            );
        }
    }
    let count = |a: Action| plans.iter().filter(|p| p.action == a).count();
    eprintln!(
        "generated: {} written, {} unchanged, {} stubs kept, {} deleted",
        count(Action::Write),
        count(Action::Unchanged),
        count(Action::KeepStub),
        count(Action::Delete)
    );
    ExitCode::SUCCESS
}

/// `generate --check` found generated files that differ: their diff on stdout, and one error
/// per file (on stderr, or as a `::error` annotation on stdout with `--format github`).
fn report_drift(drifted: &[&crate::output::Planned], format: Format) {
    let diff: String = drifted.iter().map(|p| crate::output::diff(p)).collect();
    let drift = |p: &crate::output::Planned| match (&p.action, &p.current) {
        (Action::Delete, _) => github::Drift::Stale,
        (_, None) => github::Drift::Missing,
        _ => github::Drift::OutOfDate,
    };
    let mut out = std::io::stdout().lock();
    if format == Format::Github {
        for p in drifted {
            let _ = writeln!(out, "{}", github::drift(&p.path, drift(p)));
        }
        // The diff quotes file contents: commands are stopped around it, so none is obeyed.
        let _ = write!(
            out,
            "{}",
            github::verbatim_group("diff of the generated files that are out of date", &diff)
        );
        return;
    }
    let _ = write!(out, "{diff}");
    let _ = out.flush();
    for p in drifted {
        let what = match drift(p) {
            github::Drift::Stale => "would be deleted",
            github::Drift::Missing => "is missing",
            github::Drift::OutOfDate => "is out of date",
        };
        eprintln!("error: {} {what}", p.path.display());
    }
    eprintln!("help: run `orderflow-codegen generate` to update them");
}

fn graph(args: &GraphArgs) -> ExitCode {
    let analysis = match one_workflow(&args.workflow_dir, args.state_machine.as_deref()) {
        Ok(a) => a,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    // A graph of a broken definition would mislead: show why instead.
    let Some(workflow) = clean_workflow(&analysis) else {
        return ExitCode::from(1);
    };
    let format = match args.format {
        GraphFormatArg::Mermaid => crate::emit::graph::GraphFormat::Mermaid,
        GraphFormatArg::Dot => crate::emit::graph::GraphFormat::Dot,
    };
    print!("{}", crate::emit::graph::render(&workflow.machine, format));
    ExitCode::SUCCESS
}

/// The checked workflow when the analysis found no error; otherwise its errors are reported on
/// stderr and there is none.
pub fn clean_workflow(analysis: &Analysis) -> Option<&orderflow_model::workflow::Workflow> {
    let errors: Vec<&Diagnostic> = analysis
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .collect();
    let workflow = analysis.workflow.as_ref().filter(|_| errors.is_empty());
    if workflow.is_none() {
        let _ = report(&errors, Format::Human, Color::Auto, 1);
    }
    workflow
}

/// The one state machine `path` holds (`name` picks one of several), analysed.
pub fn one_workflow(path: &Path, name: Option<&str>) -> Result<Analysis, String> {
    one_workflow_sources(path, name).map(|sources| analyze(&sources))
}

/// The files of the one state machine `path` holds (`name` picks one of several).
pub fn one_workflow_sources(path: &Path, name: Option<&str>) -> Result<WorkflowSources, String> {
    let mut found = inputs::find(&[path.to_path_buf()], &inputs::Options::default())?;
    if let Some(name) = name.filter(|_| found.len() > 1) {
        found.retain(|i| i.sources.name == name);
    }
    match found.len() {
        1 => Ok(found.remove(0).sources),
        0 => Err(match name {
            Some(name) => format!("{} holds no state machine named `{name}`", path.display()),
            None => format!("{} holds no state machine", path.display()),
        }),
        _ => Err(format!(
            "{} holds {} state machines ({}); pick one with --state-machine NAME",
            path.display(),
            found.len(),
            found
                .iter()
                .map(|i| i.sources.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
