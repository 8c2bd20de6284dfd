//! Exploration: a coverage-guided search for the execution inputs and Task outcomes that reach
//! every state, Choice rule and Catch clause of a workflow, and for the executions that go wrong.
//!
//! Inputs are drawn from `execution.input.json`, Task results from each function's output
//! schema, and Task failures from the function's declared errors and the errors AWS raises for
//! the kind of Task (see [`values`] for how values are drawn). An execution that reaches
//! something no earlier one did joins the corpus; later executions start from a corpus entry and
//! change one Task outcome or one input property. Everything is seeded: the same seed gives the
//! same report.
//!
//! Each finding keeps the execution that showed it, with its input made smaller where the
//! finding survives it, and the Task outcomes as a test case of a mock file in Step Functions
//! Local's format, so `orderflow-codegen run --mocks … --test-case …` replays it.

mod invoker;
mod values;

use std::collections::{BTreeMap, BTreeSet};

use fastrand::Rng;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::coverage::WorkflowReport;
use crate::reads::ReadTree;
use invoker::{Invocation, Outcome, Script, TaskModels};
use orderflow_exec::{
    ContractError, ContractKind, Contracts, Coverage, Execution, ExecutionIdentity,
    ExecutionOptions, ExecutionStatus, Executor, HistoryDetail, Schema,
};
use orderflow_model::asl::error_names::names;
use orderflow_model::asl::model::StateMachine;
use orderflow_model::workflow::Workflow;
use values::{Dictionary, Generator};

/// How long to search, and from which seed.
#[derive(Debug, Clone, Copy)]
pub struct ExploreOptions {
    /// The most executions to run.
    pub max_executions: u64,
    /// Seeds every random choice: the same seed gives the same report.
    pub seed: u64,
    /// Stop as soon as everything reachable was reached (benchmarks), rather than searching on
    /// for findings until `max_executions`.
    pub stop_at_full_coverage: bool,
}

impl Default for ExploreOptions {
    fn default() -> Self {
        ExploreOptions {
            max_executions: 2000,
            seed: 1,
            stop_at_full_coverage: false,
        }
    }
}

/// Why exploration could not start.
#[derive(Debug, thiserror::Error)]
pub enum ExploreError {
    /// The definition does not run (what `check` reports as errors).
    #[error("{0}")]
    Definition(#[from] orderflow_exec::DefinitionError),
    /// A schema does not compile for validation.
    #[error("{0}")]
    Schema(#[from] ContractError),
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingSeverity {
    /// The workflow fails in a way its definition does not plan for.
    Error,
    /// Worth a look: an AWS-raised error left unhandled, a Choice rule never taken.
    Warning,
}

/// What a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    /// An error the function declares fails the execution: no Catch handles it.
    UnhandledError,
    /// An error AWS raises for the Task (`States.TaskFailed`, `States.Timeout`,
    /// `Lambda.ServiceException`) fails the execution: no Catch handles it.
    UnhandledServiceError,
    /// `States.Runtime` and its kin: a path that selects nothing, a `ResultPath` into a
    /// non-object, an intrinsic function that fails.
    RuntimeError,
    /// `States.NoChoiceMatched`: a Choice state with no Default matched no rule.
    NoChoiceMatched,
    /// `States.DataLimitExceeded`: a payload over 256 KiB.
    PayloadTooLarge,
    /// What a Task sent broke its function's (or worker's) input schema.
    ContractViolation,
    /// A Choice rule no execution took, though executions reached its Choice state.
    DeadChoiceRule,
}

impl FindingKind {
    /// The kind as reports spell it (`unhandled-error`).
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::UnhandledError => "unhandled-error",
            FindingKind::UnhandledServiceError => "unhandled-service-error",
            FindingKind::RuntimeError => "runtime-error",
            FindingKind::NoChoiceMatched => "no-choice-matched",
            FindingKind::PayloadTooLarge => "payload-too-large",
            FindingKind::ContractViolation => "contract-violation",
            FindingKind::DeadChoiceRule => "dead-choice-rule",
        }
    }

    /// Whether the finding is an error or a warning.
    pub fn severity(self) -> FindingSeverity {
        match self {
            FindingKind::UnhandledServiceError | FindingKind::DeadChoiceRule => {
                FindingSeverity::Warning
            }
            _ => FindingSeverity::Error,
        }
    }
}

/// The execution that shows a finding: its input and the Task outcomes, as a mock test case.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reproduction {
    /// The execution input.
    pub input: Value,
    /// The test case's name in [`Exploration::mock_file`].
    pub test_case: String,
    /// How the execution ended: `FAILED` with `error`, or `SUCCEEDED` (a contract violation).
    pub status: &'static str,
    /// The execution's error, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Each Task state's outcomes, by invocation.
    #[serde(skip)]
    invocations: Vec<Invocation>,
}

/// One thing that goes wrong.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// `finding-1`, … in the order found.
    pub id: String,
    /// What it is.
    pub kind: FindingKind,
    /// Error or warning.
    pub severity: FindingSeverity,
    /// The state it is about.
    pub state: String,
    /// The error name, for failures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What happened, in a sentence.
    pub message: String,
    /// Where, in the definition file: (line, column), 1-based.
    pub line: usize,
    /// See `line`.
    pub column: usize,
    /// The execution that shows it (none for a dead Choice rule).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reproduction: Option<Reproduction>,
}

/// Something the search did not reach, and why.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Unreached {
    /// The state.
    pub state: String,
    /// The Choice branch (`rule 1`, `Default`) or Catch edge (`Catch 0`); `None` for the state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// 1-based line in the definition file.
    pub line: usize,
    /// Why it was not reached, as far as the search can tell.
    pub reason: String,
}

/// The result of [`explore`].
#[derive(Debug, Clone)]
pub struct Exploration {
    /// The definition file, as the workflow names it.
    pub definition: String,
    /// The state machine's name (the mock file's key).
    pub state_machine: String,
    /// The seed searched with.
    pub seed: u64,
    /// Executions run (minimisation's re-runs not counted).
    pub executions: u64,
    /// After how many executions everything reachable had been reached, if it was.
    pub full_coverage_after: Option<u64>,
    /// What the executions reached, all together.
    pub coverage: Coverage,
    /// `states 15/15, Choice branches 2/2, Catch edges 5/5`.
    pub coverage_summary: String,
    /// The coverage report as `orderflow-codegen coverage --format json` gives it.
    pub coverage_report: Value,
    /// What went wrong, errors first.
    pub findings: Vec<Finding>,
    /// What was not reached.
    pub unreached: Vec<Unreached>,
}

impl Exploration {
    /// Whether a finding is an error.
    pub fn has_errors(&self) -> bool {
        self.findings
            .iter()
            .any(|f| f.severity == FindingSeverity::Error)
    }

    /// The findings' executions as one mock file in Step Functions Local's format, a test
    /// case per finding.
    pub fn mock_file(&self) -> Value {
        let mut test_cases = Map::new();
        let mut responses = Map::new();
        for finding in &self.findings {
            let Some(reproduction) = &finding.reproduction else {
                continue;
            };
            let mut by_state: BTreeMap<&str, Map<String, Value>> = BTreeMap::new();
            for invocation in &reproduction.invocations {
                by_state
                    .entry(&invocation.state)
                    .or_default()
                    .insert(invocation.index.to_string(), invocation.outcome.mock());
            }
            let mut case = Map::new();
            for (state, outcomes) in by_state {
                let name = format!("{} {state}", reproduction.test_case);
                case.insert(state.to_owned(), Value::String(name.clone()));
                responses.insert(name, Value::Object(outcomes));
            }
            test_cases.insert(reproduction.test_case.clone(), Value::Object(case));
        }
        json!({
            "StateMachines": {self.state_machine.clone(): {"TestCases": test_cases}},
            "MockedResponses": responses,
        })
    }
}

/// Said of a failure on values the search made up where no schema types them.
const MADE_UP: &str = " (on values the search made up: no schema types the execution input or a result it read, so real data may never do this; add schemas to know)";

/// Why a finding counts once: its kind, state and error (or schema keyword).
type FindingKey = (FindingKind, String, String);

/// What one execution showed.
struct Observed {
    execution: Execution,
    invocations: Vec<Invocation>,
}

/// Everything an exploration of one workflow reads, built once.
struct Explorer<'w> {
    workflow: &'w Workflow,
    executor: Executor,
    tasks: TaskModels<'w>,
    dictionary: &'w Dictionary,
    /// What the definition reads of its input: the shape of an untyped execution input.
    input_reads: ReadTree,
    execution_input: Option<Schema>,
}

/// Searches `workflow` as [`ExploreOptions`] say. `definition` is the definition's JSON as
/// written (`Workflow::machine` holds it parsed): the paths it reads shape what untyped
/// functions return and, without `execution.input.json`, the execution input.
pub fn explore(
    workflow: &Workflow,
    definition: &Value,
    options: ExploreOptions,
) -> Result<Exploration, ExploreError> {
    let mut paths = Vec::new();
    crate::reads::collect_hinted_paths(definition, &mut paths);
    let input_reads = ReadTree::hinted(paths.iter().map(|(names, kind)| (names.as_slice(), *kind)));
    let contracts = Contracts::from_workflow(workflow)?;
    let executor = Executor::new(&workflow.machine)?.with_contracts(&contracts);
    let dictionary = Dictionary::of_machine(&workflow.machine);
    let explorer = Explorer {
        workflow,
        executor,
        tasks: TaskModels::new(workflow, definition, &dictionary)?,
        input_reads,
        dictionary: &dictionary,
        execution_input: workflow
            .execution_input
            .as_ref()
            .map(Schema::new)
            .transpose()?,
    };
    Ok(explorer.search(options))
}

impl Explorer<'_> {
    fn machine(&self) -> &StateMachine {
        &self.workflow.machine
    }

    fn definition(&self) -> String {
        self.machine().file.path().display().to_string()
    }

    /// An execution input: from `execution.input.json` (a few tries for one it accepts), or an
    /// object with the properties Choice rules test.
    fn fresh_input(&self, rng: &mut Rng) -> Value {
        let mut generator = Generator {
            rng,
            dictionary: self.dictionary,
            reads: &self.input_reads,
        };
        let Some(document) = &self.workflow.execution_input else {
            return generator.tree_object(&self.input_reads);
        };
        let mut value = generator.document(document);
        for _ in 0..4 {
            if self
                .execution_input
                .as_ref()
                .is_none_or(|s| s.accepts(&value))
            {
                break;
            }
            value = generator.document(document);
        }
        value
    }

    fn run(&self, input: Value, script: &Script, seed: u64) -> Observed {
        let invoker = invoker::ScriptedInvoker::new(&self.tasks, script, seed);
        let options = ExecutionOptions {
            identity: ExecutionIdentity {
                state_machine_name: self.workflow.name.clone(),
                execution_name: Some(format!("explore-{seed}")),
                ..ExecutionIdentity::default()
            },
            random_seed: Some(seed),
            history: HistoryDetail::Events,
            coverage: true,
            ..ExecutionOptions::default()
        };
        let execution = self.executor.execute_blocking(input, &invoker, &options);
        Observed {
            execution,
            invocations: invoker.into_invocations(),
        }
    }

    fn search(&self, options: ExploreOptions) -> Exploration {
        let mut rng = Rng::with_seed(options.seed);
        let mut total = Coverage::default();
        let mut corpus: Vec<(Value, Script)> = Vec::new();
        let mut found: BTreeMap<FindingKey, (Finding, Value, Script)> = BTreeMap::new();
        let mut order: Vec<FindingKey> = Vec::new();
        let mut full_coverage_after = None;
        let mut executions = 0;
        let definition = self.definition();
        while executions < options.max_executions {
            let (input, script) = match corpus.len() {
                n if n > 0 && rng.f32() < 0.7 => {
                    let (input, script) = &corpus[rng.usize(..n)];
                    self.mutate(input, script, &mut rng)
                }
                _ => (self.fresh_input(&mut rng), Script::default()),
            };
            let run_seed = rng.u64(..);
            let observed = self.run(input.clone(), &script, run_seed);
            executions += 1;
            let reached = observed.execution.coverage.clone().unwrap_or_default();
            let recorded = Script::of(&observed.invocations);
            for (key, finding) in self.classify(&observed) {
                if let std::collections::btree_map::Entry::Vacant(entry) = found.entry(key) {
                    order.push(entry.key().clone());
                    entry.insert((finding, input.clone(), recorded.clone()));
                }
            }
            if adds_coverage(&total, &reached) {
                total.merge(&reached);
                corpus.push((input, recorded));
                if full_coverage_after.is_none()
                    && WorkflowReport::new(&definition, self.machine(), &total)
                        .missed()
                        .is_empty()
                {
                    full_coverage_after = Some(executions);
                    if options.stop_at_full_coverage {
                        break;
                    }
                }
            } else {
                total.merge(&reached);
            }
        }
        let mut findings: Vec<Finding> = order
            .into_iter()
            .filter_map(|key| found.remove(&key).map(|f| (key, f)))
            .map(|(key, (finding, input, script))| self.reproduce(&key, finding, input, script))
            .collect();
        let (dead, unreached) = self.unreached(&total);
        let report = WorkflowReport::new(&definition, self.machine(), &total);
        findings.extend(dead);
        findings.sort_by_key(|f| f.severity);
        for (i, finding) in findings.iter_mut().enumerate() {
            finding.id = format!("finding-{}", i + 1);
            if let Some(reproduction) = &mut finding.reproduction {
                reproduction.test_case.clone_from(&finding.id);
            }
        }
        Exploration {
            definition,
            state_machine: self.workflow.name.clone(),
            seed: options.seed,
            executions,
            full_coverage_after,
            coverage_summary: report.summary(),
            coverage_report: report.json(),
            coverage: total,
            findings,
            unreached,
        }
    }

    /// A corpus entry changed in one Task outcome, or one input property, or both.
    fn mutate(&self, input: &Value, script: &Script, rng: &mut Rng) -> (Value, Script) {
        let mut input = input.clone();
        let mut script = script.clone();
        let change_outcome = !script.is_empty() && rng.bool();
        if change_outcome {
            script.reroll(&self.tasks, rng);
        }
        if !change_outcome || rng.f32() < 0.3 {
            let fresh = self.fresh_input(rng);
            match (&mut input, fresh) {
                (Value::Object(old), Value::Object(new)) => {
                    let names: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
                    let names: Vec<String> = names.into_iter().cloned().collect();
                    if let Some(name) = names.get(rng.usize(..names.len().max(1))) {
                        match new.get(name) {
                            Some(value) => {
                                old.insert(name.clone(), value.clone());
                            }
                            None => {
                                old.remove(name);
                            }
                        }
                    }
                }
                (input, fresh) => *input = fresh,
            }
        }
        (input, script)
    }

    /// The findings one execution shows.
    fn classify(&self, observed: &Observed) -> Vec<(FindingKey, Finding)> {
        let execution = &observed.execution;
        let mut out = Vec::new();
        for violation in &execution.contract_violations {
            if !matches!(
                violation.contract,
                ContractKind::FunctionInput | ContractKind::WorkerMessage
            ) {
                continue;
            }
            let state = violation.state.clone().unwrap_or_default();
            let key = (
                FindingKind::ContractViolation,
                state.clone(),
                violation.schema_pointer.clone(),
            );
            let message = format!(
                "{} breaks its schema ({}{}): {}{}",
                violation.subject(),
                violation.schema_file,
                violation
                    .line
                    .map(|l| format!(":{l}:{}", violation.column.unwrap_or(1)))
                    .unwrap_or_default(),
                if violation.instance_path.is_empty() {
                    String::new()
                } else {
                    format!("at {}: ", violation.instance_path)
                },
                violation.message
            );
            let mut finding = self.finding(FindingKind::ContractViolation, &state, None, message);
            if self.made_up(observed) {
                finding.message.push_str(MADE_UP);
                finding.severity = FindingSeverity::Warning;
            }
            out.push((key, finding));
        }
        if execution.status != ExecutionStatus::Failed {
            return out;
        }
        let error = execution.error.clone().unwrap_or_default();
        let cause = execution.cause.clone().unwrap_or_default();
        let last_state = execution
            .history
            .iter()
            .rev()
            .find(|e| e.event_type.name().ends_with("StateEntered"))
            .map(|e| (e.event_type, e.state.as_deref().unwrap_or_default()));
        let ended_in_fail_state =
            last_state.is_some_and(|(t, _)| t == orderflow_exec::EventType::FailStateEntered);
        let last_state = last_state.map(|(_, s)| s.to_owned()).unwrap_or_default();
        // The Task whose failure it was: the last invocation that threw this error.
        let thrower = observed
            .invocations
            .iter()
            .rev()
            .find(|i| matches!(&i.outcome, Outcome::Throw { error: e, .. } if *e == error))
            .map(|i| i.state.clone());
        let kind = match (&thrower, error.as_str()) {
            _ if ended_in_fail_state => None,
            (Some(state), _) => {
                let declared = self.tasks.declares(state, &error);
                Some(if declared {
                    FindingKind::UnhandledError
                } else {
                    FindingKind::UnhandledServiceError
                })
            }
            (None, names::NO_CHOICE_MATCHED) => Some(FindingKind::NoChoiceMatched),
            (None, names::DATA_LIMIT_EXCEEDED) => Some(FindingKind::PayloadTooLarge),
            (None, e) if e.starts_with("States.") => Some(FindingKind::RuntimeError),
            (None, _) => None,
        };
        let Some(kind) = kind else {
            return out;
        };
        let state = thrower.unwrap_or(last_state);
        let mut message = match kind {
            FindingKind::UnhandledError => format!(
                "`{state}` fails with {error}, which its function declares, and no Catch handles it: the execution fails"
            ),
            FindingKind::UnhandledServiceError => format!(
                "`{state}` fails with {error} (an error AWS raises for this Task) and no Catch handles it: the execution fails"
            ),
            _ => format!("the execution fails in `{state}` with {error}: {cause}"),
        };
        // Unhandled service errors count once per state: which of them is the same story.
        let detail = if kind == FindingKind::UnhandledServiceError {
            String::new()
        } else {
            error.clone()
        };
        let made_up = matches!(
            kind,
            FindingKind::RuntimeError | FindingKind::NoChoiceMatched | FindingKind::PayloadTooLarge
        ) && self.made_up(observed);
        if made_up {
            message.push_str(MADE_UP);
        }
        let mut finding = self.finding(kind, &state, Some(error), message);
        if made_up {
            finding.severity = FindingSeverity::Warning;
        }
        out.push(((kind, state.clone(), detail), finding));
        out
    }

    /// Whether the execution ran on values nothing typed: an untyped execution input, or a
    /// result of an untyped function (or a Map's ItemReader).
    fn made_up(&self, observed: &Observed) -> bool {
        self.workflow.execution_input.is_none()
            || observed
                .invocations
                .iter()
                .any(|i| self.tasks.made_up(&i.state))
    }

    fn finding(
        &self,
        kind: FindingKind,
        state: &str,
        error: Option<String>,
        message: String,
    ) -> Finding {
        let (line, column) = self
            .machine()
            .state_named(state)
            .map(|id| {
                self.machine()
                    .file
                    .line_col(self.machine().state(id).name.span.start)
            })
            .unwrap_or((1, 1));
        Finding {
            id: String::new(),
            kind,
            severity: kind.severity(),
            state: state.to_owned(),
            error,
            message,
            line,
            column,
            reproduction: None,
        }
    }

    /// The finding with its execution, the input made smaller: each property left out in
    /// turn, or else given the simplest value of its type (`""`, `0`, `1`, `false`, `[]`,
    /// `{}`), kept so when the input still satisfies its schema and the finding remains.
    fn reproduce(
        &self,
        key: &FindingKey,
        mut finding: Finding,
        input: Value,
        script: Script,
    ) -> Finding {
        let shows = |input: &Value| -> Option<Observed> {
            if self
                .execution_input
                .as_ref()
                .is_some_and(|s| !s.accepts(input))
            {
                return None;
            }
            let observed = self.run(input.clone(), &script, 0);
            self.classify(&observed)
                .iter()
                .any(|(k, _)| k == key)
                .then_some(observed)
        };
        let Some(mut best) = shows(&input) else {
            return finding;
        };
        let mut input = input;
        let names: Vec<String> = input
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        for name in names {
            let Some(current) = input.get(&name).cloned() else {
                continue;
            };
            let simpler = std::iter::once(None).chain(simplest(&current).into_iter().map(Some));
            for replacement in simpler {
                let mut smaller = input.clone();
                if let Value::Object(object) = &mut smaller {
                    match &replacement {
                        None => {
                            object.remove(&name);
                        }
                        Some(value) => {
                            object.insert(name.clone(), value.clone());
                        }
                    }
                }
                if let Some(observed) = shows(&smaller) {
                    input = smaller;
                    best = observed;
                    break;
                }
            }
        }
        finding.reproduction = Some(Reproduction {
            input,
            test_case: String::new(),
            status: best.execution.status.as_str(),
            error: best.execution.error.clone(),
            invocations: best.invocations,
        });
        finding
    }

    /// Choice rules never taken from a Choice state executions reached (dead-rule warnings),
    /// and everything else not reached, with the reason.
    fn unreached(&self, total: &Coverage) -> (Vec<Finding>, Vec<Unreached>) {
        let report = WorkflowReport::new(&self.definition(), self.machine(), total);
        let mut dead = Vec::new();
        let mut unreached = Vec::new();
        let entered = |state: &str| total.states.get(state).copied().unwrap_or(0);
        for missed in report.missed() {
            let times = entered(&missed.state);
            let reason = match missed.branch.as_deref() {
                None => "no execution entered it: the states before it never lead here with the inputs and outcomes tried".to_owned(),
                Some(_) if times == 0 => format!("`{}` was never entered", missed.state),
                Some(rule) if rule.starts_with("rule ") => {
                    let mut finding = self.finding(
                        FindingKind::DeadChoiceRule,
                        &missed.state,
                        None,
                        format!(
                            "{rule} of `{}` was never taken in {} executions that reached it: no value the schemas allow seems to satisfy it, or an earlier rule always matches first",
                            missed.state, times
                        ),
                    );
                    finding.line = missed.line;
                    finding.column = 1;
                    dead.push(finding);
                    continue;
                }
                Some("Default") => format!(
                    "some rule matched in each of the {times} executions that reached `{}`",
                    missed.state
                ),
                Some(_) => format!(
                    "`{}` never failed with an error this clause matches (tried: {})",
                    missed.state,
                    self.tasks.errors_tried(&missed.state).join(", ")
                ),
            };
            unreached.push(Unreached {
                state: missed.state,
                branch: missed.branch,
                line: missed.line,
                reason,
            });
        }
        (dead, unreached)
    }
}

/// Simpler values of `value`'s type than itself, simplest first.
fn simplest(value: &Value) -> Vec<Value> {
    let candidates = match value {
        Value::String(_) => vec![json!("")],
        Value::Number(_) => vec![json!(0), json!(1)],
        Value::Bool(_) => vec![json!(false)],
        Value::Array(_) => vec![json!([])],
        Value::Object(_) => vec![json!({})],
        Value::Null => Vec::new(),
    };
    candidates.into_iter().filter(|c| c != value).collect()
}

/// Whether `reached` has a state, Choice branch, Catch clause or outcome `total` lacks.
fn adds_coverage(total: &Coverage, reached: &Coverage) -> bool {
    let new_in = |all: &BTreeMap<String, u64>, some: &BTreeMap<String, u64>| {
        some.keys().any(|k| !all.contains_key(k))
    };
    let new_nested = |all: &BTreeMap<String, BTreeMap<String, u64>>,
                      some: &BTreeMap<String, BTreeMap<String, u64>>| {
        some.iter().any(|(state, counts)| {
            all.get(state)
                .is_none_or(|known| counts.keys().any(|k| !known.contains_key(k)))
        })
    };
    new_in(&total.states, &reached.states)
        || new_nested(&total.choices, &reached.choices)
        || new_nested(&total.catches, &reached.catches)
        || new_nested(&total.retries, &reached.retries)
        || new_in(&total.outcomes, &reached.outcomes)
}
