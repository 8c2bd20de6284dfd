//! An in-process executor for Step Functions state machines (JSONPath query language), faithful
//! to AWS where the recorded executions show its behaviour.
//!
//! It runs the parsed model ([`StateMachine`]): nothing is re-parsed. [`Executor::new`]
//! precomputes every state's data once; [`Executor::execute`] runs one execution, async and
//! independent of any runtime (on the virtual clock Parallel branches and Map iterations are
//! computed one after another, in order; on the real clock they run at the same time). Task states go through a [`TaskInvoker`] the caller binds. Time is virtual by default:
//! Wait states and retry back-off advance a clock without sleeping.
//!
//! ```no_run
//! # use orderflow_exec::{Executor, ExecutionOptions, NoTasks};
//! # fn run(machine: &orderflow_model::asl::model::StateMachine) -> Result<(), Box<dyn std::error::Error>> {
//! let executor = Executor::new(machine)?;
//! let execution = futures::executor::block_on(executor.execute(
//!     serde_json::json!({"orderId": 7}),
//!     &NoTasks,
//!     &ExecutionOptions::default(),
//! ));
//! println!("{}", execution.to_json());
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod aws_history;
mod choice;
mod clock;
mod contracts;
mod coverage;
mod error;
mod history;
mod intrinsics;
pub mod jsonata;
#[cfg(feature = "lambda-endpoint")]
mod lambda_endpoint;
mod mocks;
mod objects;
mod paths;
mod plan;
mod redrive;
mod retry;
mod run;
mod size;
mod task;
mod variables;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use orderflow_model::asl::model::StateMachine;

pub use aws_history::{
    AwsHistoryEvent, HistoryParseError, aws_events, aws_history_document, parse_aws_history,
    resource_arn,
};
pub use clock::{ClockMode, ThreadTimer, Timer};
pub use contracts::{
    ContractError, ContractKind, ContractMode, ContractViolation, Contracts,
    MAX_VIOLATIONS_PER_VALUE, Schema,
};
pub use coverage::{COVERAGE_VERSION, Coverage, CoverageFile, DEFAULT_RULE};
pub use error::Failure;
/// The future a [`TaskInvoker`] returns, re-exported so implementors need not name `futures`.
pub use futures::future::BoxFuture;
pub use history::{EventType, HistoryDetail, HistoryEvent};
#[cfg(feature = "lambda-endpoint")]
pub use lambda_endpoint::{LambdaEndpoint, WithLambdaEndpoint};
pub use mocks::{
    MockConfig, MockConfigError, MockInvoker, MockOutcome, MockTestCase, MockedResponse,
};
pub use objects::{ObjectStore, ObjectSummary, S3Dir};
pub use plan::DefinitionError;
pub use redrive::{Redrive, RedriveError, redrive_point};
pub use task::{
    FnInvoker, Heartbeat, NoTasks, TaskError, TaskInvoker, TaskRequest, describe_resource,
    lambda_event, lambda_invoke_response,
};

/// AWS's payload limit for execution input, state input/output and results (256 KiB).
pub const MAX_PAYLOAD_BYTES: usize = 256 * 1024;

/// An executor for one state machine. Owns everything an execution reads (nothing borrows the
/// model), so it can live in a `static` or an `Arc`; executions borrow it.
pub struct Executor {
    /// The state machine's `TimeoutSeconds`.
    timeout_seconds: Option<u64>,
    plan: plan::Plan,
    /// `execution.input.json`, when contracts are set.
    execution_input: Option<Arc<Schema>>,
}

/// The names the context object (`$$.Execution.Id`, `$$.StateMachine.Name`, …) reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutionIdentity {
    /// The ARN partition (`aws`).
    pub partition: String,
    /// The region in the ARNs (`us-east-1`).
    pub region: String,
    /// The account id in the ARNs.
    pub account: String,
    /// The state machine's name (`$$.StateMachine.Name`, and part of its ARN).
    pub state_machine_name: String,
    /// `None`: a random UUID, as AWS names executions.
    pub execution_name: Option<String>,
    /// The execution role (`$$.Execution.RoleArn`; `None`: `role/StepFunctionsExecutionRole` in
    /// the account).
    pub role_arn: Option<String>,
}

impl Default for ExecutionIdentity {
    fn default() -> Self {
        ExecutionIdentity {
            partition: "aws".into(),
            region: "us-east-1".into(),
            account: "123456789012".into(),
            state_machine_name: "StateMachine".into(),
            execution_name: None,
            role_arn: None,
        }
    }
}

/// Standard or Express: the limits an execution runs under (Express: at most five minutes, no
/// history limit; on the virtual clock each of its state transitions takes a millisecond, so a
/// loop that never waits still reaches the five minutes).
pub use orderflow_model::manifest::WorkflowType;

/// How long an Express execution may run, in milliseconds (five minutes).
pub const EXPRESS_MAX_MILLIS: i64 = 5 * 60 * 1000;

/// How to run one execution.
#[derive(Clone)]
pub struct ExecutionOptions {
    /// Virtual time (waits and back-off do not sleep) or the real clock.
    pub clock: ClockMode,
    /// Sleeps for [`ClockMode::Real`] (waits, back-off, task timeouts).
    pub timer: Arc<dyn Timer>,
    /// The execution's start, in milliseconds since the Unix epoch (`None`: now).
    pub start_time_millis: Option<i64>,
    /// The names the context object reports.
    pub identity: ExecutionIdentity,
    /// Seeds States.MathRandom, States.UUID and jitter (`None`: random).
    pub random_seed: Option<u64>,
    /// How much history the execution records.
    pub history: HistoryDetail,
    /// The payload limit that raises States.DataLimitExceeded (`None`: unchecked).
    pub max_payload_bytes: Option<usize>,
    /// What a value breaking the executor's [`Contracts`] does (nothing without contracts).
    pub contracts: ContractMode,
    /// Record which states, Choice rules, Catch clauses and retriers the execution reached
    /// ([`Execution::coverage`]).
    pub coverage: bool,
    /// Standard (the default) or Express, whose limits differ.
    pub workflow_type: WorkflowType,
    /// Where a Distributed Map's `ItemReader` reads and its `ResultWriter` writes S3 objects
    /// (`None`: readers go to the task binding, and results stay in the state output).
    pub object_store: Option<Arc<dyn ObjectStore>>,
    /// Restart a failed execution ([`redrive_point`]): the input passed to `execute` is then
    /// the failed execution's, and the run starts at the state that failed.
    pub redrive: Option<Arc<Redrive>>,
}

impl Default for ExecutionOptions {
    fn default() -> Self {
        ExecutionOptions {
            clock: ClockMode::Virtual,
            timer: Arc::new(ThreadTimer),
            start_time_millis: None,
            identity: ExecutionIdentity::default(),
            random_seed: None,
            history: HistoryDetail::Events,
            max_payload_bytes: Some(MAX_PAYLOAD_BYTES),
            contracts: ContractMode::Report,
            coverage: false,
            workflow_type: WorkflowType::Standard,
            object_store: None,
            redrive: None,
        }
    }
}

impl std::fmt::Debug for ExecutionOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecutionOptions")
            .field("clock", &self.clock)
            .field("start_time_millis", &self.start_time_millis)
            .field("identity", &self.identity)
            .field("random_seed", &self.random_seed)
            .field("history", &self.history)
            .field("max_payload_bytes", &self.max_payload_bytes)
            .field("contracts", &self.contracts)
            .field("workflow_type", &self.workflow_type)
            .field("object_store", &self.object_store)
            .finish_non_exhaustive()
    }
}

/// How an execution ended, as `DescribeExecution` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutionStatus {
    /// The execution reached a Succeed or End state.
    Succeeded,
    /// A state failed and no catcher handled it.
    Failed,
    /// The state machine's `TimeoutSeconds` elapsed.
    TimedOut,
}

impl ExecutionStatus {
    /// `SUCCEEDED`, `FAILED`, `TIMED_OUT`, as `DescribeExecution` reports it.
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionStatus::Succeeded => "SUCCEEDED",
            ExecutionStatus::Failed => "FAILED",
            ExecutionStatus::TimedOut => "TIMED_OUT",
        }
    }
}

/// The outcome of one execution.
#[derive(Debug, Clone)]
pub struct Execution {
    /// How the execution ended.
    pub status: ExecutionStatus,
    /// The output, when the execution succeeded.
    pub output: Option<Value>,
    /// The error name, when the execution failed or timed out.
    pub error: Option<String>,
    /// The cause, when the execution failed or timed out.
    pub cause: Option<String>,
    /// The events recorded, as [`ExecutionOptions::history`] asked.
    pub history: Vec<HistoryEvent>,
    /// Time spent in waits and back-off on the virtual clock.
    pub virtual_elapsed: Duration,
    /// Every value that broke its contract, in the order met (see [`Contracts`]).
    pub contract_violations: Vec<ContractViolation>,
    /// What the execution reached, when [`ExecutionOptions::coverage`] asked for it.
    pub coverage: Option<Coverage>,
}

impl Execution {
    /// The states entered, in order (every `…StateEntered` event; states inside Parallel and Map
    /// included). Needs a history ([`HistoryDetail::Events`] or more).
    pub fn visited_states(&self) -> Vec<&str> {
        self.history
            .iter()
            .filter(|e| e.event_type.name().ends_with("StateEntered"))
            .filter_map(|e| e.state.as_deref())
            .collect()
    }

    /// `{"status":"SUCCEEDED","output":…}` or `{"status":"FAILED","error":…,"cause":…}`, plus
    /// `"contractViolations":[…]` when a value broke its contract.
    pub fn to_json(&self) -> Value {
        let mut out = json!({"status": self.status.as_str()});
        if let Some(output) = &self.output {
            out["output"] = output.clone();
        }
        if let Some(error) = &self.error {
            out["error"] = Value::String(error.clone());
        }
        if let Some(cause) = &self.cause {
            out["cause"] = Value::String(cause.clone());
        }
        if !self.contract_violations.is_empty() {
            out["contractViolations"] =
                serde_json::to_value(&self.contract_violations).unwrap_or(Value::Null);
        }
        out
    }

    /// [`Execution::to_json`] plus `"history"` (the events) and `"virtualElapsedMillis"`.
    pub fn to_json_with_history(&self) -> Value {
        let mut out = self.to_json();
        out["history"] = Value::Array(self.history.iter().map(HistoryEvent::to_json).collect());
        out["virtualElapsedMillis"] =
            json!(u64::try_from(self.virtual_elapsed.as_millis()).unwrap_or(u64::MAX));
        out
    }

    /// The history as `aws stepfunctions get-execution-history` prints it: `{"events": […]}`
    /// with AWS's event fields. Inputs and outputs are there when the execution recorded them
    /// ([`HistoryDetail::Full`]).
    pub fn aws_history(&self) -> Value {
        aws_history_document(&self.history)
    }

    /// The history's event type names, in order.
    pub fn event_types(&self) -> Vec<&'static str> {
        self.history.iter().map(|e| e.event_type.name()).collect()
    }
}

impl Executor {
    /// Precomputes what executions need. Fails when the model cannot run (a transition to a
    /// missing state, an invalid Choice rule…: what validation reports as errors).
    pub fn new(machine: &StateMachine) -> Result<Self, DefinitionError> {
        Ok(Executor {
            timeout_seconds: machine.timeout_seconds,
            plan: plan::build(machine)?,
            execution_input: None,
        })
    }

    /// Checks executions against `contracts` (replacing any set before): the execution input,
    /// and for each Task state invoking a function (or sending a task token to a worker) that
    /// `contracts` know, what it sends and receives. [`ExecutionOptions::contracts`] says what
    /// a violation does.
    pub fn set_contracts(&mut self, contracts: &Contracts) {
        self.execution_input = contracts.execution_input().cloned();
        for state in &mut self.plan.states {
            state.contract = match &state.kind {
                plan::KindPlan::Task { resource, .. } => {
                    contracts.for_task(&state.name, resource).map(Box::new)
                }
                _ => None,
            };
        }
    }

    /// For a Parallel state named `name`: per branch, the names of its states and of those that
    /// end it with its result (no `Next`, not a Fail state), found by following the branch's
    /// transitions from its `StartAt`. `None` for any other state.
    pub(crate) fn parallel_branch_ends(&self, name: &str) -> Option<Vec<BranchStates<'_>>> {
        let state = self.plan.states.iter().find(|s| &*s.name == name)?;
        let plan::KindPlan::Parallel { branches } = &state.kind else {
            return None;
        };
        let ends = branches
            .iter()
            .map(|scope| {
                let mut seen = std::collections::HashSet::new();
                let mut todo = vec![self.plan.scope_starts[scope.0]];
                let mut branch = BranchStates::default();
                while let Some(id) = todo.pop() {
                    if !seen.insert(id) {
                        continue;
                    }
                    let state = &self.plan.states[id.0];
                    branch.states.insert(&*state.name);
                    todo.extend(state.next);
                    todo.extend(state.catchers.iter().map(|c| c.next));
                    if let plan::KindPlan::Choice { rules, default } = &state.kind {
                        todo.extend(rules.iter().map(|r| r.next));
                        todo.extend(*default);
                    }
                    let ends_branch = state.next.is_none()
                        && !matches!(
                            state.kind,
                            plan::KindPlan::Fail { .. } | plan::KindPlan::Choice { .. }
                        );
                    if ends_branch {
                        branch.ends.insert(&*state.name);
                    }
                }
                branch
            })
            .collect();
        Some(ends)
    }

    /// The names of the top-level states.
    pub fn top_level_states(&self) -> std::collections::HashSet<&str> {
        self.plan
            .top_level
            .iter()
            .map(|id| &*self.plan.states[id.0].name)
            .collect()
    }

    /// [`Executor::set_contracts`], by value.
    pub fn with_contracts(mut self, contracts: &Contracts) -> Self {
        self.set_contracts(contracts);
        self
    }

    /// Runs one execution to its end.
    pub async fn execute(
        &self,
        input: Value,
        invoker: &dyn TaskInvoker,
        options: &ExecutionOptions,
    ) -> Execution {
        run::execute(self, input, invoker, options).await
    }

    /// [`Executor::execute`] on the current thread (`futures::executor::block_on`).
    pub fn execute_blocking(
        &self,
        input: Value,
        invoker: &dyn TaskInvoker,
        options: &ExecutionOptions,
    ) -> Execution {
        futures::executor::block_on(self.execute(input, invoker, options))
    }
}

/// The states of one Parallel branch's own scope, and those that end it with its result.
#[derive(Debug, Default)]
pub(crate) struct BranchStates<'a> {
    pub(crate) states: std::collections::HashSet<&'a str>,
    pub(crate) ends: std::collections::HashSet<&'a str>,
}

#[cfg(test)]
mod tests;
