//! `orderflow-codegen run`: executes a state machine in-process on a given input and prints the
//! outcome as JSON. Task states are bound only through a mock configuration (Step Functions
//! Local's format, see [`orderflow_exec::MockConfig`]); a Task with no mock fails the execution. A
//! workflow folder's schemas are checked as contracts ([`orderflow_exec::Contracts`]): each
//! violation is reported on stderr and in the result, and `--strict-contracts` fails the
//! execution with `States.Runtime` instead.
//!
//! Exit status: 0 when every execution ran (whatever its status), 1 when the definition is
//! invalid (diagnostics on stderr, as `check` prints them), 2 for usage and I/O errors
//! (unreadable files, an `--input` that is not JSON, a bad mock file) — and, with `--inputs`,
//! when some line was not JSON: the other lines still run, and that line's result says why.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::Serialize;
use serde_json::Value;

use super::{Color, EXIT_USAGE, Format, report};
use orderflow_exec::describe_resource;
use orderflow_exec::{
    ClockMode, ContractMode, ContractViolation, Contracts, Execution, ExecutionIdentity,
    ExecutionOptions, Executor, HistoryDetail, LambdaEndpoint, MockConfig, MockInvoker,
    MockTestCase, TaskError, TaskInvoker, TaskRequest, WithLambdaEndpoint, WorkflowType,
    aws_history_document,
};
use orderflow_model::asl::FunctionCatalog;
use orderflow_model::asl::error_names::names;
use orderflow_model::asl::model::{StateKind, StateMachine};
use orderflow_model::diagnostic::Diagnostic;
use orderflow_model::workflow::MAX_FILE_BYTES;
use orderflow_model::{DefinitionErrors, load_state_machine};

/// Exit status for an invalid definition.
const EXIT_INVALID_DEFINITION: u8 = 1;

#[derive(Debug, clap::Args)]
#[command(group(
    clap::ArgGroup::new("execution_input")
        .required(true)
        .args(["input", "inputs", "redrive"])
))]
pub struct RunArgs {
    /// The state machine (checked as `check` does first): a workflow folder, an ASL file (JSON
    /// or YAML, `-` for JSON on stdin), or a SAM/CloudFormation template, serverless.yml or CDK
    /// template holding it (`--state-machine` picks one of several).
    pub definition: PathBuf,
    /// The execution input: a JSON file, or `-` for stdin.
    #[arg(long, value_name = "FILE|-")]
    pub input: Option<PathBuf>,
    /// One execution per non-empty line of a JSON Lines file (`-`: stdin); prints one compact
    /// result per line, in order.
    #[arg(long, value_name = "FILE.jsonl|-")]
    pub inputs: Option<PathBuf>,
    /// Mocked Task responses, in Step Functions Local's mock configuration format.
    #[arg(long, value_name = "FILE", requires = "test_case")]
    pub mocks: Option<PathBuf>,
    /// The test case of the mock file to run.
    #[arg(long, value_name = "NAME", requires = "mocks")]
    pub test_case: Option<String>,
    /// The mock file's state machine the test case belongs to (needed when it has several);
    /// also picks the state machine of a template that holds several.
    #[arg(long, value_name = "NAME", requires = "mocks")]
    pub state_machine: Option<String>,
    /// Include the execution history (event types and state names) in each result.
    #[arg(long)]
    pub history: bool,
    /// How to write the history (implies `--history`): `orderflow` adds it to each result;
    /// `aws` writes, instead of the result, the whole `{"events": […]}` document that
    /// `aws stepfunctions get-execution-history` prints, with AWS's event fields, to diff
    /// with a recorded execution.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub history_format: Option<HistoryFormat>,
    /// Wait states and retry back-off really wait, and Parallel branches and Map iterations
    /// really run at the same time (default: a virtual clock that never sleeps).
    #[arg(long)]
    pub real_clock: bool,
    /// Send Lambda Tasks to this Lambda Invoke API (e.g. `http://127.0.0.1:9000`, where
    /// `cargo lambda watch` serves a generated crate's binaries); mocks still answer the states
    /// their test case mocks.
    #[arg(long, value_name = "URL")]
    pub lambda_endpoint: Option<String>,
    /// Record which states, Choice rules and Catch clauses the executions reached, adding to
    /// FILE (created if absent); `orderflow-codegen coverage FILE` reports it.
    #[arg(long, value_name = "FILE")]
    pub coverage: Option<PathBuf>,
    /// Fail an execution (States.Runtime) where a value breaks its workflow folder's schema:
    /// the execution input, what a Task sends to its function or worker, what it returns.
    /// Without it, each violation is reported beside the result and the execution runs on.
    #[arg(long)]
    pub strict_contracts: bool,
    /// Run as an Express execution: at most five minutes (on the virtual clock each state
    /// transition takes a millisecond) and no history limit. Default: the type orderflow.json
    /// or the template declares, else Standard (at most 25,000 history events).
    #[arg(long, conflicts_with = "standard")]
    pub express: bool,
    /// Run as a Standard execution, whatever orderflow.json or the template declares.
    #[arg(long)]
    pub standard: bool,
    /// Redrive the failed execution this history records (AWS's shape, with its data:
    /// `get-execution-history` output or `run --history-format aws`; several files for pages):
    /// restart at the top-level state that failed, with the input it was entered with; a Map
    /// re-runs only the iterations that did not succeed.
    #[arg(long, value_name = "HISTORY", num_args = 1..)]
    pub redrive: Vec<PathBuf>,
    /// A local folder standing in for S3 (`s3://bucket/key` is `DIR/bucket/key`): a
    /// Distributed Map's ItemReader (`s3:getObject` with JSON, JSONL or CSV, `s3:listObjectsV2`)
    /// reads its items there, and its ResultWriter writes the manifest and result files there.
    #[arg(long, value_name = "DIR")]
    pub s3_dir: Option<PathBuf>,
}

/// How `run` writes an execution's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum HistoryFormat {
    /// Beside the result: `"history": [{"id", "type", "stateName", …}]`.
    Orderflow,
    /// GetExecutionHistory's document, in place of the result.
    Aws,
}

/// The command stopped early: the reason is already on stderr; exit with this status.
struct Stop(u8);

pub fn run(args: &RunArgs) -> ExitCode {
    match prepare_and_run(args) {
        Ok(code) | Err(Stop(code)) => ExitCode::from(code),
    }
}

fn usage_error(message: impl std::fmt::Display) -> Stop {
    eprintln!("error: {message}");
    Stop(EXIT_USAGE)
}

fn prepare_and_run(args: &RunArgs) -> Result<u8, Stop> {
    if let Some(dir) = args.s3_dir.as_ref().filter(|d| !d.is_dir()) {
        return Err(usage_error(format!(
            "--s3-dir {}: no such folder (it stands in for S3: DIR/bucket/key)",
            dir.display()
        )));
    }
    let (machine, machine_name, functions, contracts, declared_type) =
        load_definition(&args.definition, args.state_machine.as_deref())?;
    let lambda_endpoint = args.lambda_endpoint.as_deref().map(|url| {
        // A workflow folder's functions are served under their binary names (what the
        // generated crate builds and `cargo lambda watch` serves); a lone ASL file's under the
        // names its ARNs give.
        functions
            .iter()
            .fold(LambdaEndpoint::new(url), |endpoint, (function, binary)| {
                endpoint.with_function_name(function, binary)
            })
    });
    let mut executor = Executor::new(&machine).map_err(|e| {
        eprintln!("error: {}: {e}", args.definition.display());
        Stop(EXIT_INVALID_DEFINITION)
    })?;
    executor.set_contracts(&contracts);
    let redrive = if args.redrive.is_empty() {
        None
    } else {
        let texts = args
            .redrive
            .iter()
            .map(|path| read_limited(path).map(|text| (display_name(path), text)))
            .collect::<Result<Vec<_>, _>>()?;
        let events = orderflow_exec::parse_aws_history(
            texts
                .iter()
                .map(|(name, text)| (name.as_str(), text.as_str())),
        )
        .map_err(usage_error)?;
        let point = orderflow_exec::redrive_point(&executor, &events)
            .map_err(|e| usage_error(format!("cannot redrive: {e}")))?;
        Some(std::sync::Arc::new(point))
    };
    let test_case = match (&args.mocks, &args.test_case) {
        (Some(mocks), Some(test_case)) => Some(load_mocks(
            mocks,
            args.state_machine.as_deref(),
            test_case,
            &machine,
        )?),
        _ => None,
    };
    let options = ExecutionOptions {
        clock: if args.real_clock {
            ClockMode::Real
        } else {
            ClockMode::Virtual
        },
        identity: ExecutionIdentity {
            state_machine_name: machine_name,
            ..ExecutionIdentity::default()
        },
        contracts: if args.strict_contracts {
            ContractMode::Strict
        } else {
            ContractMode::Report
        },
        history: match (args.history, args.history_format) {
            (_, Some(HistoryFormat::Aws)) => HistoryDetail::Full,
            (true, _) | (_, Some(HistoryFormat::Orderflow)) => HistoryDetail::Events,
            (false, None) => HistoryDetail::None,
        },
        coverage: args.coverage.is_some(),
        workflow_type: if args.express {
            WorkflowType::Express
        } else if args.standard {
            WorkflowType::Standard
        } else {
            declared_type
        },
        redrive: redrive.clone(),
        object_store: args.s3_dir.as_ref().map(|dir| {
            std::sync::Arc::new(orderflow_exec::S3Dir::new(dir))
                as std::sync::Arc<dyn orderflow_exec::ObjectStore>
        }),
        ..ExecutionOptions::default()
    };
    let runner = Runner {
        executor: &executor,
        test_case: test_case.as_ref(),
        lambda_endpoint: lambda_endpoint.as_ref(),
        options: &options,
        history: match (args.history, args.history_format) {
            (_, Some(format)) => Some(format),
            (true, None) => Some(HistoryFormat::Orderflow),
            (false, None) => None,
        },
        coverage: std::cell::RefCell::default(),
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let code = match (&args.input, &args.inputs, &redrive) {
        (_, _, Some(redrive)) => runner.redriven(redrive.execution_input.clone(), &mut out)?,
        (Some(input), _, _) => runner.single(input, &mut out)?,
        (None, Some(inputs), _) => runner.lines(inputs, &mut out)?,
        // clap's `execution_input` group requires one of them.
        (None, None, None) => {
            return Err(usage_error(
                "pass --input FILE, --inputs FILE.jsonl or --redrive HISTORY",
            ));
        }
    };
    out.flush()
        .map_err(|e| usage_error(format!("cannot write the results: {e}")))?;
    if let Some(file) = &args.coverage {
        let definition = machine.file.path().display().to_string();
        super::coverage::add_to_file(file, &definition, &runner.coverage.borrow())
            .map_err(usage_error)?;
    }
    Ok(code)
}

/// The state machine, the name executions report it under (`$$.StateMachine.Name`), and the
/// workflow folder's function names (none for a lone ASL file).
/// A function and the name its binary is served under (`checkInventory`,
/// `store-checkout-check-inventory`).
type ServedName = (String, String);

/// What `run` executes: the state machine, its name, each function's served name (none for a
/// lone ASL file: its functions keep their ARN names), the folder's schemas as contracts (none
/// for a lone ASL file), and the type orderflow.json or the template declares.
type Loaded = (
    StateMachine,
    String,
    Vec<ServedName>,
    Contracts,
    WorkflowType,
);

fn load_definition(path: &Path, state_machine: Option<&str>) -> Result<Loaded, Stop> {
    // Anything `check` reads: a folder, an ASL file in JSON or YAML, a template.
    if path != Path::new("-") {
        let analysis = super::one_workflow(path, state_machine).map_err(usage_error)?;
        let errors: Vec<&Diagnostic> = analysis
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .collect();
        return match analysis.workflow {
            Some(workflow) if errors.is_empty() => {
                let functions = workflow
                    .functions
                    .keys()
                    .map(|f| (f.clone(), workflow.binary_name(f)))
                    .collect();
                let contracts = Contracts::from_workflow(&workflow).map_err(usage_error)?;
                Ok((
                    workflow.machine,
                    workflow.name,
                    functions,
                    contracts,
                    workflow.workflow_type,
                ))
            }
            _ => Err(invalid_definition(&errors)),
        };
    }
    let text = read_limited(path)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .map(|n| {
            n.trim_end_matches(".json")
                .trim_end_matches(".asl")
                .to_owned()
        })
        .unwrap_or_else(|| "StateMachine".into());
    // An ASL file on its own has no folder saying which Lambda functions exist, so the
    // unknown-function check (E0116) does not apply; every other check does.
    match load_state_machine(&path.to_string_lossy(), &text, &FunctionCatalog::unknown()) {
        Ok(machine) => Ok((
            machine,
            name,
            Vec::new(),
            Contracts::new(),
            WorkflowType::default(),
        )),
        Err(DefinitionErrors(errors)) => {
            Err(invalid_definition(&errors.iter().collect::<Vec<_>>()))
        }
    }
}

fn invalid_definition(errors: &[&Diagnostic]) -> Stop {
    let _ = report(errors, Format::Human, Color::Auto, 1);
    eprintln!("error: nothing was run: fix the definition first");
    Stop(EXIT_INVALID_DEFINITION)
}

/// A whole file (or stdin for `-`), refusing files larger than the definitions limit.
fn read_limited(path: &Path) -> Result<String, Stop> {
    let mut text = String::new();
    let read = if path == Path::new("-") {
        std::io::stdin()
            .lock()
            .take(MAX_FILE_BYTES + 1)
            .read_to_string(&mut text)
    } else {
        File::open(path).and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_string(&mut text))
    };
    let name = display_name(path);
    match read {
        Ok(n) if n as u64 > MAX_FILE_BYTES => Err(usage_error(format!(
            "cannot read {name}: it is larger than {MAX_FILE_BYTES} bytes"
        ))),
        Ok(_) => Ok(text),
        Err(e) => Err(usage_error(format!("cannot read {name}: {e}"))),
    }
}

fn display_name(path: &Path) -> String {
    if path == Path::new("-") {
        "stdin".into()
    } else {
        path.display().to_string()
    }
}

fn load_mocks(
    path: &Path,
    state_machine: Option<&str>,
    test_case: &str,
    machine: &StateMachine,
) -> Result<MockTestCase, Stop> {
    let text = read_limited(path)?;
    let config = MockConfig::parse(&text, &path.display().to_string())
        .map_err(|e| usage_error(format!("invalid mock file: {e}")))?;
    let case = config.test_case(state_machine, test_case).map_err(|e| {
        let help = if e.help.is_some() {
            e.help.clone()
        } else if state_machine.is_none() && config.state_machines().count() > 1 {
            Some("pass --state-machine NAME".to_owned())
        } else {
            None
        };
        usage_error(orderflow_exec::MockConfigError { help, ..e })
    })?;
    warn_about_unknown_states(&case, machine);
    Ok(case)
}

/// A test case that mocks a state the state machine lacks is most likely a typo: say so, but
/// run (Step Functions Local ignores such entries too).
fn warn_about_unknown_states(case: &MockTestCase, machine: &StateMachine) {
    for (name, location) in case.mocked_states() {
        let pointer = &location.pointer;
        match machine.state_named(name).map(|id| &machine.state(id).kind) {
            None => {
                let hint = orderflow_model::diagnostic::did_you_mean(
                    name,
                    machine.states.iter().map(|s| s.name.value.as_str()),
                )
                .map(|h| format!(" ({h})"))
                .unwrap_or_default();
                eprintln!(
                    "warning: {location}: test case `{}` mocks state `{name}`, which the state machine does not have{hint} [{pointer}]",
                    case.name()
                );
            }
            Some(StateKind::Task(_)) => {}
            Some(StateKind::Map(map)) if map.run.reader.is_some() => {}
            Some(kind) => eprintln!(
                "warning: {location}: test case `{}` mocks state `{name}`, a {} state: only Task states (and a Map's ItemReader) invoke anything [{pointer}]",
                case.name(),
                kind.type_name()
            ),
        }
    }
}

/// The binding when no mock file is given: the CLI has no other.
struct NoBindings;

impl NoBindings {
    fn error(request: &TaskRequest<'_>) -> TaskError {
        TaskError::new(
            names::RUNTIME,
            format!(
                "the Task state '{}' ({}) has no binding: `orderflow-codegen run` binds Task states through mocks (--mocks FILE --test-case NAME) and Lambda Tasks through --lambda-endpoint URL",
                request.state_name,
                describe_resource(request.resource)
            ),
        )
    }
}

impl TaskInvoker for NoBindings {
    fn invoke<'a>(
        &'a self,
        request: TaskRequest<'a>,
    ) -> orderflow_exec::BoxFuture<'a, Result<Value, TaskError>> {
        let error = NoBindings::error(&request);
        Box::pin(std::future::ready(Err(error)))
    }
}

/// A mocked state answers from its mock, as in Step Functions Local; every other Task goes to
/// the Lambda endpoint (or has no binding).
struct MocksFirst<'m, T> {
    mocks: &'m MockInvoker,
    endpoint: T,
}

impl<T: TaskInvoker> TaskInvoker for MocksFirst<'_, T> {
    fn invoke<'a>(
        &'a self,
        request: TaskRequest<'a>,
    ) -> orderflow_exec::BoxFuture<'a, Result<Value, TaskError>> {
        match self.mocks.respond(request.state_name) {
            Some(outcome) => Box::pin(std::future::ready(outcome)),
            None => self.endpoint.invoke(request),
        }
    }
}

/// Runs executions and writes their results.
struct Runner<'r> {
    executor: &'r Executor,
    test_case: Option<&'r MockTestCase>,
    lambda_endpoint: Option<&'r LambdaEndpoint>,
    options: &'r ExecutionOptions,
    history: Option<HistoryFormat>,
    /// What the executions reached, when `--coverage` asked.
    coverage: std::cell::RefCell<orderflow_exec::Coverage>,
}

/// A result line without history, written straight from the execution (no copy of the output).
/// Field order as [`Execution::to_json`].
#[derive(Serialize)]
struct ResultLine<'a> {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cause: Option<&'a str>,
    #[serde(rename = "contractViolations", skip_serializing_if = "<[_]>::is_empty")]
    contract_violations: &'a [ContractViolation],
}

/// The result of an `--inputs` line that is not JSON: no execution started.
#[derive(Serialize)]
struct NotStartedLine<'a> {
    status: &'static str,
    line: u64,
    error: &'static str,
    cause: &'a str,
}

impl Runner<'_> {
    fn execute(&self, input: Value) -> Execution {
        let execution = self.execute_unrecorded(input);
        if let Some(coverage) = &execution.coverage {
            self.coverage.borrow_mut().merge(coverage);
        }
        execution
    }

    fn execute_unrecorded(&self, input: Value) -> Execution {
        // A fresh mock invoker per execution: invocation counts are per execution.
        let mocks = self.test_case.map(MockTestCase::invoker);
        let rest: &dyn TaskInvoker = match &mocks {
            Some(mocks) => mocks,
            None => &NoBindings,
        };
        match (self.lambda_endpoint, &mocks) {
            (Some(endpoint), Some(mocks)) => self.executor.execute_blocking(
                input,
                &MocksFirst {
                    mocks,
                    endpoint: WithLambdaEndpoint {
                        endpoint,
                        rest: &NoBindings,
                    },
                },
                self.options,
            ),
            (Some(endpoint), None) => self.executor.execute_blocking(
                input,
                &WithLambdaEndpoint { endpoint, rest },
                self.options,
            ),
            (None, _) => self.executor.execute_blocking(input, rest, self.options),
        }
    }

    fn write_result(
        &self,
        execution: &Execution,
        out: &mut impl Write,
        pretty: bool,
    ) -> Result<(), Stop> {
        let written = if let Some(format) = self.history {
            let value = match format {
                HistoryFormat::Orderflow => execution.to_json_with_history(),
                HistoryFormat::Aws => aws_history_document(&execution.history),
            };
            if pretty {
                serde_json::to_writer_pretty(&mut *out, &value)
            } else {
                serde_json::to_writer(&mut *out, &value)
            }
        } else {
            let line = ResultLine {
                status: execution.status.as_str(),
                output: execution.output.as_ref(),
                error: execution.error.as_deref(),
                cause: execution.cause.as_deref(),
                contract_violations: &execution.contract_violations,
            };
            if pretty {
                serde_json::to_writer_pretty(&mut *out, &line)
            } else {
                serde_json::to_writer(&mut *out, &line)
            }
        };
        written
            .map_err(std::io::Error::from)
            .and_then(|()| out.write_all(b"\n"))
            .map_err(|e| usage_error(format!("cannot write the results: {e}")))
    }

    /// `--input`: one execution, its result pretty-printed.
    fn single(&self, path: &Path, out: &mut impl Write) -> Result<u8, Stop> {
        let text = read_limited(path)?;
        let input: Value = serde_json::from_str(&text).map_err(|e| {
            usage_error(format!(
                "{}:{}:{}: the execution input is not JSON: {}",
                display_name(path),
                e.line(),
                e.column(),
                serde_message(&e)
            ))
        })?;
        let execution = self.execute(input);
        report_violations(&execution, None);
        self.write_result(&execution, out, true)?;
        Ok(0)
    }

    /// `--redrive`: one execution, restarted where the recorded one failed.
    fn redriven(&self, input: Value, out: &mut impl Write) -> Result<u8, Stop> {
        let execution = self.execute(input);
        report_violations(&execution, None);
        self.write_result(&execution, out, true)?;
        Ok(0)
    }

    /// `--inputs`: one execution per non-empty line, one compact result per line.
    fn lines(&self, path: &Path, out: &mut impl Write) -> Result<u8, Stop> {
        let name = display_name(path);
        let reader: Box<dyn BufRead> = if path == Path::new("-") {
            Box::new(std::io::stdin().lock())
        } else {
            let file =
                File::open(path).map_err(|e| usage_error(format!("cannot read {name}: {e}")))?;
            Box::new(BufReader::with_capacity(64 * 1024, file))
        };
        let mut reader = reader;
        let mut line = Vec::with_capacity(1024);
        let mut number = 0u64;
        let mut invalid_lines = 0u64;
        loop {
            line.clear();
            let read = reader
                .read_until(b'\n', &mut line)
                .map_err(|e| usage_error(format!("cannot read {name}: {e}")))?;
            if read == 0 {
                break;
            }
            number += 1;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match serde_json::from_slice::<Value>(&line) {
                Ok(input) => {
                    let execution = self.execute(input);
                    report_violations(&execution, Some((&name, number)));
                    self.write_result(&execution, out, false)?;
                }
                Err(e) => {
                    invalid_lines += 1;
                    let cause = format!(
                        "{name}:{number}:{}: line {number} is not JSON: {}",
                        e.column(),
                        serde_message(&e)
                    );
                    let result = NotStartedLine {
                        status: "NOT_STARTED",
                        line: number,
                        error: "InvalidExecutionInput",
                        cause: &cause,
                    };
                    serde_json::to_writer(&mut *out, &result)
                        .map_err(std::io::Error::from)
                        .and_then(|()| out.write_all(b"\n"))
                        .map_err(|e| usage_error(format!("cannot write the results: {e}")))?;
                }
            }
        }
        if invalid_lines > 0 {
            eprintln!(
                "error: {invalid_lines} line{} of {name} {} not JSON (see the NOT_STARTED results); every other line ran",
                if invalid_lines == 1 { "" } else { "s" },
                if invalid_lines == 1 { "is" } else { "are" },
            );
            return Ok(EXIT_USAGE);
        }
        Ok(0)
    }
}

/// Each contract violation on stderr, one line each, before the result is written (the JSON
/// result lists them too); with `--inputs`, the line they belong to leads.
fn report_violations(execution: &Execution, line: Option<(&str, u64)>) {
    if execution.contract_violations.is_empty() {
        return;
    }
    let stderr = std::io::stderr();
    let mut err = stderr.lock();
    for violation in &execution.contract_violations {
        let _ = match line {
            Some((name, number)) => writeln!(err, "warning: {name}:{number}: {violation}"),
            None => writeln!(err, "warning: {violation}"),
        };
    }
}

/// serde_json's message without its ` at line L column C` suffix (we print the position
/// ourselves, as `file:line:col`).
fn serde_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    text.strip_suffix(&suffix).unwrap_or(&text).to_owned()
}
