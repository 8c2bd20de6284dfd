//! The interpreter: runs a scope state by state, applying input/output processing in AWS's
//! order (InputPath → Parameters → task → ResultSelector → ResultPath → OutputPath), Retry and
//! Catch, and recording the history.

mod branches;
mod distributed;
mod env;
mod io;
mod jsonata_state;
mod task;
mod timing;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::{Map, Value, json};

use crate::choice::{self, ChoiceError};
use crate::clock::{ClockMode, ExecutionClock};
use crate::contracts::{ContractKind, ContractMode, ContractViolation};
use crate::error::Failure;
use crate::history::{EventType, HistoryDetail, HistoryRecorder};
use crate::intrinsics;
use crate::plan::{InputMove, KindPlan, RulePlan, StatePlan};
use crate::size::exceeds_size;
use crate::task::TaskInvoker;
use crate::variables::Variables;
use crate::{
    EXPRESS_MAX_MILLIS, Execution, ExecutionOptions, ExecutionStatus, Executor, WorkflowType,
};
use orderflow_model::asl::error_names::names;
use orderflow_model::asl::model::{ScopeId, StateId};

use env::{Env, ExecutionInfo};

/// The mutable state of one execution.
struct Runtime<'x> {
    invoker: &'x dyn TaskInvoker,
    options: &'x ExecutionOptions,
    history: HistoryRecorder,
    clock: ExecutionClock,
    rng: fastrand::Rng,
    /// Shared with concurrent branches: the execution input is not copied per branch.
    info: Arc<ExecutionInfo<'x>>,
    vars: Variables,
    timeout_millis: Option<i64>,
    /// The timeout is Express's five minutes, not the machine's `TimeoutSeconds`.
    express_limit: bool,
    /// Inside an Express child execution of a Distributed Map.
    express_child: bool,
    timed_out: bool,
    /// Values that broke their contracts so far.
    violations: Vec<ContractViolation>,
    /// What the current state assigned, for its exited event (full histories only).
    assigned: Option<Map<String, Value>>,
    /// What the execution reached, when asked for.
    coverage: Option<crate::Coverage>,
    /// A redrive's Map state and the results of its iterations that already succeeded.
    redrive_iterations: Option<(Arc<str>, std::collections::BTreeMap<usize, Value>)>,
    /// A redrive's Parallel state and the results of its branches that already succeeded.
    redrive_branches: Option<(Arc<str>, std::collections::BTreeMap<usize, Value>)>,
}

impl<'x> Runtime<'x> {
    /// The runtime of a branch or iteration that runs concurrently with others (the real
    /// clock): the same execution, history, variables and deadline. What it finds comes back
    /// through [`Runtime::join`], also when it is stopped mid-way.
    fn fork(&mut self) -> Forked<'x> {
        let runtime = Runtime {
            invoker: self.invoker,
            options: self.options,
            history: self.history.fork(),
            clock: self.clock.clone(),
            rng: self.rng.fork(),
            info: Arc::clone(&self.info),
            vars: self.vars.clone(),
            timeout_millis: self.timeout_millis,
            express_limit: self.express_limit,
            express_child: self.express_child,
            timed_out: false,
            violations: Vec::new(),
            assigned: None,
            coverage: self.coverage.as_ref().map(|_| crate::Coverage::default()),
            redrive_iterations: self.redrive_iterations.clone(),
            redrive_branches: self.redrive_branches.clone(),
        };
        Forked {
            runtime,
            leftovers: Arc::default(),
        }
    }

    /// Takes back what concurrent branches left once they all ended or were stopped: the
    /// history's thread, contract violations, coverage, a timeout, and the redrive points they
    /// used up.
    fn join(&mut self, branches: Vec<Arc<Mutex<Leftovers>>>) {
        let mut histories = Vec::with_capacity(branches.len());
        for branch in branches {
            let mut left =
                std::mem::take(&mut *branch.lock().unwrap_or_else(PoisonError::into_inner));
            histories.extend(left.history.take());
            self.violations.append(&mut left.violations);
            if let (Some(mine), Some(theirs)) = (&mut self.coverage, &left.coverage) {
                mine.merge(theirs);
            }
            self.timed_out |= left.timed_out;
            if left.used_redrive_iterations {
                self.redrive_iterations = None;
            }
            if left.used_redrive_branches {
                self.redrive_branches = None;
            }
        }
        self.history.join(histories);
    }

    /// Assigns variables, keeping them for the state's exited event when the history wants
    /// payloads.
    fn assign_variables(&mut self, values: Map<String, Value>) -> Result<(), Failure> {
        if self.history.wants_payloads() {
            self.assigned
                .get_or_insert_with(Map::new)
                .extend(values.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        self.vars.assign(values)
    }
}

/// A forked runtime (see [`Runtime::fork`]): when it is dropped, having ended or been stopped,
/// what it found goes to its [`Leftovers`] for the runtime it was forked from.
struct Forked<'x> {
    runtime: Runtime<'x>,
    leftovers: Arc<Mutex<Leftovers>>,
}

/// What a forked runtime leaves behind.
#[derive(Default)]
struct Leftovers {
    history: Option<HistoryRecorder>,
    violations: Vec<ContractViolation>,
    coverage: Option<crate::Coverage>,
    timed_out: bool,
    used_redrive_iterations: bool,
    used_redrive_branches: bool,
}

impl<'x> Forked<'x> {
    fn leftovers(&self) -> Arc<Mutex<Leftovers>> {
        Arc::clone(&self.leftovers)
    }
}

impl<'x> std::ops::Deref for Forked<'x> {
    type Target = Runtime<'x>;
    fn deref(&self) -> &Runtime<'x> {
        &self.runtime
    }
}

impl std::ops::DerefMut for Forked<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.runtime
    }
}

impl Drop for Forked<'_> {
    fn drop(&mut self) {
        let rt = &mut self.runtime;
        let mut left = self
            .leftovers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        left.history = Some(std::mem::replace(
            &mut rt.history,
            HistoryRecorder::new(HistoryDetail::None, 0),
        ));
        left.violations.append(&mut rt.violations);
        left.coverage = rt.coverage.take();
        left.timed_out = rt.timed_out;
        left.used_redrive_iterations = rt.redrive_iterations.is_none();
        left.used_redrive_branches = rt.redrive_branches.is_none();
    }
}

/// What the context object reports about the current state.
#[derive(Clone)]
struct StateFrame {
    name: Arc<str>,
    entered_id: u64,
    entered_time: i64,
    retry_count: u32,
    task_token: Option<String>,
    /// `$$.Map.Item` while an ItemSelector is evaluated. Boxed: every state's future holds a
    /// frame, and keeping that future small keeps its allocation cheap.
    map_item: Option<Box<(usize, Value)>>,
}

/// A state's result: where to go and with what.
struct Step {
    next: Option<StateId>,
    output: Value,
}

enum ErrorOutcome {
    Retry,
    Caught(Step),
}

/// How AWS begins the cause of an error raised by a state itself.
const STATE_ERROR_PREFIX: &str = "An error occurred while executing the state '";

/// "An error occurred while executing the state 'X' (entered at the event id #N). …"
fn runtime_error(frame: &StateFrame, message: impl std::fmt::Display) -> Failure {
    Failure::new(
        names::RUNTIME,
        format!(
            "{STATE_ERROR_PREFIX}{}' (entered at the event id #{}). {message}",
            frame.name, frame.entered_id
        ),
    )
}

fn compact(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// A JSON value's type as AWS's causes name it (`Expected 'array', but was 'object'`).
pub(super) fn json_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The text AWS quotes for a value in "refers to value \"…\"" messages.
fn quoted_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => compact(other),
    }
}

/// The most events a Standard execution's history holds; the last is the execution's failure.
pub(crate) const MAX_HISTORY_EVENTS: u64 = 25_000;

/// How AWS ends an execution whose history is full: `States.Runtime`, which no Catch handles.
fn history_full() -> Failure {
    Failure::new(
        names::RUNTIME,
        format!(
            "The execution reached the maximum number of history events ({MAX_HISTORY_EVENTS})."
        ),
    )
}

impl<'x> Runtime<'x> {
    fn env<'r>(&'r mut self, input: &'r Value, frame: &'r StateFrame) -> Env<'r> {
        Env {
            input,
            frame,
            info: &self.info,
            vars: self.vars.scopes(),
            rng: &mut self.rng,
            choice_rule: 0,
        }
    }

    fn record(&mut self, event: EventType, state: &Arc<str>, details: Option<Value>) -> u64 {
        let now = self.clock.now_millis();
        self.history.record(event, Some(state), details, now)
    }

    /// Records `violations`; in [`ContractMode::Strict`], returns the cause the execution
    /// fails with (the first violation, and how many more there are).
    fn contract_breach(&mut self, violations: Vec<ContractViolation>) -> Option<String> {
        let first = violations.first()?;
        let breach = (self.options.contracts == ContractMode::Strict).then(|| {
            let mut cause = first.sentence();
            if violations.len() > 1 {
                let more = violations.len() - 1;
                cause.push_str(&format!(
                    " (and {more} more violation{})",
                    if more == 1 { "" } else { "s" }
                ));
            }
            cause
        });
        self.violations.extend(violations);
        breach
    }

    /// Waits `duration` (a Wait state, a retry's back-off), or until the execution's timeout,
    /// which then ends it.
    async fn sleep(&mut self, duration: Duration) -> Result<(), Failure> {
        let (duration, times_out) = match self.time_left() {
            Some(left) if duration > left => (left, true),
            _ => (duration, false),
        };
        if !duration.is_zero() {
            match self.clock.mode() {
                ClockMode::Virtual => self.clock.advance(duration),
                ClockMode::Real => self.options.timer.sleep(duration).await,
            }
        }
        if times_out {
            return Err(self.timeout());
        }
        Ok(())
    }

    /// How long the execution may still run before its deadline, if it has one.
    fn time_left(&self) -> Option<Duration> {
        self.timeout_millis.map(|limit| {
            let elapsed = self.clock.now_millis() - self.clock.start_millis();
            Duration::from_millis(u64::try_from(limit - elapsed).unwrap_or(0))
        })
    }

    /// The execution has run out of time: it ends with States.Timeout.
    fn timeout(&mut self) -> Failure {
        self.timed_out = true;
        Failure::new(
            names::TIMEOUT,
            if self.express_limit {
                "The execution ran longer than the five minutes an Express execution may run."
            } else {
                "The execution ran longer than the state machine's TimeoutSeconds."
            },
        )
    }
}

fn entered_event(kind: &KindPlan) -> (EventType, Option<EventType>) {
    match kind {
        KindPlan::Pass { .. } => (
            EventType::PassStateEntered,
            Some(EventType::PassStateExited),
        ),
        KindPlan::Task { .. } => (
            EventType::TaskStateEntered,
            Some(EventType::TaskStateExited),
        ),
        KindPlan::Choice { .. } => (
            EventType::ChoiceStateEntered,
            Some(EventType::ChoiceStateExited),
        ),
        KindPlan::Wait(_) => (
            EventType::WaitStateEntered,
            Some(EventType::WaitStateExited),
        ),
        KindPlan::Succeed => (
            EventType::SucceedStateEntered,
            Some(EventType::SucceedStateExited),
        ),
        KindPlan::Fail { .. } => (EventType::FailStateEntered, None),
        KindPlan::Parallel { .. } => (
            EventType::ParallelStateEntered,
            Some(EventType::ParallelStateExited),
        ),
        KindPlan::Map(_) => (EventType::MapStateEntered, Some(EventType::MapStateExited)),
    }
}

pub(super) async fn execute(
    executor: &Executor,
    input: Value,
    invoker: &dyn TaskInvoker,
    options: &ExecutionOptions,
) -> Execution {
    let clock = ExecutionClock::new(options.clock, options.start_time_millis);
    let mut rng = match options.random_seed {
        Some(seed) => fastrand::Rng::with_seed(seed),
        None => fastrand::Rng::new(),
    };
    let info = Arc::new(ExecutionInfo {
        identity: &options.identity,
        random_name: rng.u128(..),
        start_millis: clock.start_millis(),
        input: input.clone(),
        redrive_count: options.redrive.as_ref().map_or(0, |r| r.redrive_count),
        strings: std::sync::OnceLock::new(),
    });
    let machine_timeout = executor
        .timeout_seconds
        .map(|s| i64::try_from(s.saturating_mul(1000)).unwrap_or(i64::MAX));
    let express = options.workflow_type == WorkflowType::Express;
    let express_limit = express && machine_timeout.is_none_or(|t| t > EXPRESS_MAX_MILLIS);
    let timeout_millis = if express_limit {
        Some(EXPRESS_MAX_MILLIS)
    } else {
        machine_timeout
    };
    let mut rt = Runtime {
        invoker,
        options,
        // A Task state records about four events: enough for a run through every state once.
        history: HistoryRecorder::new(options.history, 4 * executor.plan.states.len() + 2)
            .with_limit((!express).then_some(MAX_HISTORY_EVENTS)),
        clock,
        rng,
        info,
        vars: Variables::new(),
        timeout_millis,
        express_limit,
        express_child: false,
        timed_out: false,
        violations: Vec::new(),
        assigned: None,
        coverage: options.coverage.then(crate::Coverage::default),
        redrive_iterations: options
            .redrive
            .as_ref()
            .map(|r| (Arc::from(r.state.as_str()), r.completed_iterations.clone())),
        redrive_branches: options
            .redrive
            .as_ref()
            .map(|r| (Arc::from(r.state.as_str()), r.completed_branches.clone())),
    };
    let details = rt
        .history
        .wants_payloads()
        .then(|| json!({"input": input, "roleArn": rt.info.strings().role_arn}));
    let now = rt.clock.now_millis();
    rt.history
        .record(EventType::ExecutionStarted, None, details, now);
    let too_big = options
        .max_payload_bytes
        .is_some_and(|limit| exceeds_size(&input, limit));
    let broken = match &executor.execution_input {
        Some(schema) if !too_big && options.contracts != ContractMode::Off => {
            let violations = schema.check(&input, ContractKind::ExecutionInput, None, None);
            rt.contract_breach(violations)
        }
        _ => None,
    };
    let result = if too_big {
        Err(Failure::new(
            names::DATA_LIMIT_EXCEEDED,
            "The execution input exceeds the maximum number of bytes service limit.",
        ))
    } else if let Some(breach) = broken {
        Err(Failure::new(names::RUNTIME, breach))
    } else {
        match &options.redrive {
            Some(redrive) => match executor.top_level_state(&redrive.state) {
                // The redriven execution continues with the variables the failed one left.
                Some(start) => match rt.vars.restore(redrive.variables.clone()) {
                    Ok(()) => {
                        executor
                            .run_scope_at(&mut rt, start, redrive.state_input.clone())
                            .await
                    }
                    Err(failure) => Err(failure),
                },
                None => Err(Failure::new(
                    names::RUNTIME,
                    format!(
                        "cannot redrive from state '{}': the state machine has no such top-level state",
                        redrive.state
                    ),
                )),
            },
            None => executor.run_scope(&mut rt, ScopeId(0), input).await,
        }
    };
    let execution = match result {
        Ok(output) => {
            let details = rt
                .history
                .wants_payloads()
                .then(|| json!({"output": output}));
            let now = rt.clock.now_millis();
            rt.history
                .record(EventType::ExecutionSucceeded, None, details, now);
            Execution {
                status: ExecutionStatus::Succeeded,
                output: Some(output),
                error: None,
                cause: None,
                history: Vec::new(),
                virtual_elapsed: Duration::ZERO,
                contract_violations: Vec::new(),
                coverage: None,
            }
        }
        Err(failure) => {
            let (status, event) = if rt.timed_out {
                (ExecutionStatus::TimedOut, EventType::ExecutionTimedOut)
            } else {
                (ExecutionStatus::Failed, EventType::ExecutionFailed)
            };
            let now = rt.clock.now_millis();
            rt.history.record(
                event,
                None,
                Some(json!({"error": failure.error, "cause": failure.cause})),
                now,
            );
            Execution {
                status,
                output: None,
                error: failure.error,
                cause: failure.cause,
                history: Vec::new(),
                virtual_elapsed: Duration::ZERO,
                contract_violations: Vec::new(),
                coverage: None,
            }
        }
    };
    let mut coverage = rt.coverage.take();
    if let Some(coverage) = coverage.as_mut() {
        let outcome = match &execution.error {
            Some(error) => format!("{} {error}", execution.status.as_str()),
            None => execution.status.as_str().to_owned(),
        };
        coverage.ended(outcome);
    }
    Execution {
        history: rt.history.into_events(),
        virtual_elapsed: rt.clock.virtual_elapsed(),
        contract_violations: rt.violations,
        coverage,
        ..execution
    }
}

impl Executor {
    /// The top-level state named `name`.
    fn top_level_state(&self, name: &str) -> Option<StateId> {
        self.plan
            .top_level
            .iter()
            .copied()
            .find(|id| &*self.plan.states[id.0].name == name)
    }

    /// Runs a scope from its `StartAt` to a state that ends it.
    fn run_scope<'a, 'x: 'a>(
        &'a self,
        rt: &'a mut Runtime<'x>,
        scope: ScopeId,
        input: Value,
    ) -> BoxFuture<'a, Result<Value, Failure>> {
        Box::pin(async move {
            let start = *self
                .plan
                .scope_starts
                .get(scope.0)
                .ok_or_else(|| Failure::new(names::RUNTIME, "unknown scope"))?;
            self.run_scope_at(rt, start, input).await
        })
    }

    /// Runs the scope of state `start` from that state to a state that ends it.
    fn run_scope_at<'a, 'x: 'a>(
        &'a self,
        rt: &'a mut Runtime<'x>,
        start: StateId,
        input: Value,
    ) -> BoxFuture<'a, Result<Value, Failure>> {
        Box::pin(async move {
            let mut id = start;
            let mut input = input;
            loop {
                let plan = &self.plan.states[id.0];
                if rt.history.full() {
                    return Err(history_full());
                }
                if (rt.options.workflow_type == WorkflowType::Express || rt.express_child)
                    && rt.clock.mode() == ClockMode::Virtual
                {
                    // A transition takes time on AWS; on a virtual clock that never moves, a
                    // loop without a Wait would never reach Express's five minutes.
                    rt.clock.advance(Duration::from_millis(1));
                }
                if let Some(limit) = rt.timeout_millis {
                    if rt.clock.now_millis() - rt.clock.start_millis() > limit {
                        return Err(rt.timeout());
                    }
                }
                let (entered, exited) = entered_event(&plan.kind);
                rt.assigned = None;
                if let Some(coverage) = rt.coverage.as_mut() {
                    coverage.entered(&plan.name);
                }
                let details = rt.history.wants_payloads().then(|| json!({"input": input}));
                let entered_id = rt.record(entered, &plan.name, details);
                let mut frame = StateFrame {
                    name: Arc::clone(&plan.name),
                    entered_id,
                    entered_time: rt.clock.now_millis(),
                    retry_count: 0,
                    task_token: None,
                    map_item: None,
                };
                let step = if plan.jsonata {
                    // Boxed: only JSONata states pay for its future's size.
                    Box::pin(self.run_jsonata_state(rt, plan, &mut frame, input)).await?
                } else {
                    self.run_state(rt, plan, &mut frame, input).await?
                };
                // A JSONPath Choice, Wait or Succeed outputs part of its input, which fit.
                let may_grow = plan.jsonata
                    || !matches!(
                        plan.kind,
                        KindPlan::Choice { .. } | KindPlan::Wait(_) | KindPlan::Succeed
                    );
                if let Some(limit) = rt.options.max_payload_bytes.filter(|_| may_grow) {
                    if exceeds_size(&step.output, limit) {
                        return Err(Failure::new(
                            names::DATA_LIMIT_EXCEEDED,
                            format!(
                                "The state/task '{}' returned a result with a size exceeding the maximum number of bytes service limit.",
                                plan.name
                            ),
                        ));
                    }
                }
                if let Some(exited) = exited {
                    let details = rt.history.wants_payloads().then(|| {
                        let mut details = json!({"output": step.output});
                        if let Some(assigned) = rt.assigned.take() {
                            details["assignedVariables"] = Value::Object(assigned);
                        }
                        details
                    });
                    rt.record(exited, &plan.name, details);
                }
                match step.next {
                    Some(next) => {
                        id = next;
                        input = step.output;
                    }
                    None => return Ok(step.output),
                }
            }
        })
    }

    async fn run_state(
        &self,
        rt: &mut Runtime<'_>,
        plan: &StatePlan,
        frame: &mut StateFrame,
        mut raw: Value,
    ) -> Result<Step, Failure> {
        match &plan.kind {
            KindPlan::Pass { result } => {
                let effective = self.effective_input(rt, plan, frame, &raw)?;
                let result = match result {
                    Some(r) => Some(r.clone()),
                    None => effective,
                };
                self.assign(
                    rt,
                    plan.assign.as_ref(),
                    frame,
                    result.as_ref().unwrap_or(&raw),
                )?;
                let output = self.finish(rt, plan, frame, raw, result)?;
                Ok(Step {
                    next: plan.next,
                    output,
                })
            }
            KindPlan::Succeed => {
                let effective = self.input_path(rt, plan, frame, &raw)?;
                let output = self.output_path(rt, plan, frame, effective.unwrap_or(raw))?;
                Ok(Step { next: None, output })
            }
            KindPlan::Fail { error, cause } => {
                let error = self.error_source(rt, frame, error.as_ref(), &raw, "ErrorPath")?;
                let cause = self.error_source(rt, frame, cause.as_ref(), &raw, "CausePath")?;
                Err(Failure {
                    error,
                    cause,
                    location: None,
                })
            }
            KindPlan::Choice { rules, default } => {
                let effective = self.input_path(rt, plan, frame, &raw)?;
                let eff = effective.as_ref().unwrap_or(&raw);
                let next = match pick_choice(rt, frame, rules, *default, eff)? {
                    ChoicePick::Rule(rule) => {
                        self.assign(rt, rule.assign.as_ref(), frame, eff)?;
                        rule.next
                    }
                    ChoicePick::Default(next) => next,
                };
                self.assign(rt, plan.assign.as_ref(), frame, eff)?;
                let output = self.output_path(rt, plan, frame, effective.unwrap_or(raw))?;
                Ok(Step {
                    next: Some(next),
                    output,
                })
            }
            KindPlan::Wait(wait) => {
                let effective = self.input_path(rt, plan, frame, &raw)?;
                let eff = effective.as_ref().unwrap_or(&raw);
                let delay = self.wait_delay(rt, frame, wait, eff)?;
                rt.sleep(delay).await?;
                self.assign(rt, plan.assign.as_ref(), frame, eff)?;
                let output = self.output_path(rt, plan, frame, effective.unwrap_or(raw))?;
                Ok(Step {
                    next: plan.next,
                    output,
                })
            }
            KindPlan::Task {
                resource,
                timeout,
                heartbeat,
                lambda_events,
                wait_for_task_token,
            } => {
                if *wait_for_task_token {
                    frame.task_token = Some(intrinsics::uuid_v4(rt.rng.u128(..).to_le_bytes()));
                }
                // Without InputPath/Parameters the raw input is the parameters: borrowed, and
                // cloned only per attempt (the binding consumes it; Retry needs it again), or
                // moved when nothing reads it later.
                let mut effective = match &plan.input_move {
                    InputMove::Member(keys) => {
                        Some(self.parameters_taking_input(rt, plan, frame, &mut raw, keys)?)
                    }
                    InputMove::Whole if plan.retriers.is_empty() => Some(std::mem::take(&mut raw)),
                    InputMove::Whole | InputMove::Copy => {
                        self.effective_input(rt, plan, frame, &raw)?
                    }
                };
                if let Some(contract) = plan.contract.as_deref() {
                    if rt.options.contracts != ContractMode::Off {
                        let parameters = effective.as_ref().unwrap_or(&raw);
                        let violations = contract.check_input(&plan.name, parameters);
                        if let Some(breach) = rt.contract_breach(violations) {
                            return Err(runtime_error(frame, breach));
                        }
                    }
                }
                let timeout =
                    self.seconds(rt, frame, timeout.as_ref(), &raw, "TimeoutSecondsPath")?;
                let heartbeat =
                    self.seconds(rt, frame, heartbeat.as_ref(), &raw, "HeartbeatSecondsPath")?;
                let mut retry_counts = vec![0u64; plan.retriers.len()];
                let (scheduled, started, succeeded, failed, timed_out) = if *lambda_events {
                    (
                        EventType::LambdaFunctionScheduled,
                        EventType::LambdaFunctionStarted,
                        EventType::LambdaFunctionSucceeded,
                        EventType::LambdaFunctionFailed,
                        EventType::LambdaFunctionTimedOut,
                    )
                } else {
                    (
                        EventType::TaskScheduled,
                        EventType::TaskStarted,
                        EventType::TaskSucceeded,
                        EventType::TaskFailed,
                        EventType::TaskTimedOut,
                    )
                };
                loop {
                    let details = rt.history.wants_payloads().then(|| {
                        let identity = rt.info.identity;
                        json!({
                            "parameters": effective.as_ref().unwrap_or(&raw),
                            "resource": crate::aws_history::resource_arn(resource, identity),
                            "region": identity.region,
                            "timeoutInSeconds": timeout,
                            "heartbeatInSeconds": heartbeat,
                        })
                    });
                    rt.record(scheduled, &plan.name, details);
                    rt.record(started, &plan.name, None);
                    if *wait_for_task_token {
                        rt.record(EventType::TaskSubmitted, &plan.name, None);
                    }
                    // Without a Retry the parameters are sent once (only a retrier loops back
                    // here), so they are moved; with one, each attempt gets a copy.
                    let parameters = if plan.retriers.is_empty() {
                        effective.take().unwrap_or_else(|| raw.clone())
                    } else {
                        effective.as_ref().unwrap_or(&raw).clone()
                    };
                    let outcome = self
                        .invoke(rt, plan, frame, resource, parameters, timeout, heartbeat)
                        .await;
                    match outcome {
                        Ok(result) => {
                            let details = rt
                                .history
                                .wants_payloads()
                                .then(|| json!({"output": result}));
                            rt.record(succeeded, &plan.name, details);
                            if let Some(contract) = plan.contract.as_deref() {
                                if rt.options.contracts != ContractMode::Off {
                                    let violations = contract.check_output(&plan.name, &result);
                                    if let Some(breach) = rt.contract_breach(violations) {
                                        return Err(runtime_error(frame, breach));
                                    }
                                }
                            }
                            return self.finish_with_result(rt, plan, frame, raw, result);
                        }
                        Err(failure) => {
                            // A missed heartbeat is a timeout too: AWS records TaskTimedOut
                            // (SendTaskHeartbeat's API reference).
                            let event = match failure.error.as_deref() {
                                Some(names::TIMEOUT | names::HEARTBEAT_TIMEOUT) => timed_out,
                                _ => failed,
                            };
                            rt.record(
                                event,
                                &plan.name,
                                Some(json!({"error": failure.error, "cause": failure.cause})),
                            );
                            match self
                                .handle_error(
                                    rt,
                                    plan,
                                    frame,
                                    &raw,
                                    failure,
                                    &mut retry_counts,
                                    None,
                                )
                                .await?
                            {
                                ErrorOutcome::Retry => {}
                                ErrorOutcome::Caught(step) => return Ok(step),
                            }
                        }
                    }
                }
            }
            // Parallel and Map run boxed: their futures are large, and inline they would make
            // every state's future (allocated once per scope) that large.
            KindPlan::Parallel { branches } => {
                Box::pin(self.run_parallel(rt, plan, branches, frame, raw)).await
            }
            KindPlan::Map(map) => Box::pin(self.run_map(rt, plan, map, frame, raw)).await,
        }
    }
}

/// What a Choice state goes to: the first rule whose condition holds, else its Default.
enum ChoicePick<'p> {
    Rule(&'p RulePlan),
    Default(StateId),
}

/// Evaluates a Choice state's rules in order on `input`; no rule and no Default is
/// `States.NoChoiceMatched`.
fn pick_choice<'p>(
    rt: &mut Runtime<'_>,
    frame: &StateFrame,
    rules: &'p [RulePlan],
    default: Option<StateId>,
    input: &Value,
) -> Result<ChoicePick<'p>, Failure> {
    let mut taken = None;
    let mut env = rt.env(input, frame);
    for (index, rule) in rules.iter().enumerate() {
        env.choice_rule = index;
        match choice::evaluate(&rule.condition, &mut env) {
            Ok(true) => {
                taken = Some(ChoicePick::Rule(rule));
                if let Some(coverage) = rt.coverage.as_mut() {
                    coverage.choice(&frame.name, Some(index));
                }
                break;
            }
            Ok(false) => {}
            Err(ChoiceError::InvalidPath(path)) => {
                return Err(runtime_error(
                    frame,
                    format!(
                        "Invalid path '{path}': The choice state's condition path references an invalid value."
                    ),
                ));
            }
            Err(ChoiceError::Jsonata(error, cause)) => return Err(Failure::new(error, cause)),
        }
    }
    if let Some(pick) = taken {
        return Ok(pick);
    }
    match default {
        Some(next) => {
            if let Some(coverage) = rt.coverage.as_mut() {
                coverage.choice(&frame.name, None);
            }
            Ok(ChoicePick::Default(next))
        }
        None => Err(Failure::new(
            names::NO_CHOICE_MATCHED,
            runtime_error(
                frame,
                "No Choice Rule matched the input and the Choice state has no Default.",
            )
            .cause
            .unwrap_or_default(),
        )),
    }
}
