//! The interpreter: runs a scope state by state, applying input/output processing in AWS's
//! order (InputPath → Parameters → task → ResultSelector → ResultPath → OutputPath), Retry and
//! Catch, and recording the history.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::sync::Arc;
use std::time::Duration;

use futures::future::{BoxFuture, Either};
use serde_json::{Map, Value, json};

use crate::choice::{self, ChoiceEnv, ChoiceError};
use crate::clock::{ClockMode, ExecutionClock};
use crate::contracts::{ContractKind, ContractMode, ContractViolation};
use crate::error::{Failure, error_matches};
use crate::history::{EventType, HistoryRecorder};
use crate::intrinsics::{self, IntrinsicEnv};
use crate::jsonata::{self, Template};
use crate::paths::{CompiledPath, NoResult, Step as PathStep, select, select_steps, set_at};
use crate::plan::{
    ErrorSourcePlan, InputMove, KindPlan, MapPlan, PathField, Payload, RulePlan, SecondsPlan,
    StatePlan, WaitPlan,
};
use crate::retry::backoff_delay;
use crate::size::exceeds_size;
use crate::task::{TaskInvoker, TaskRequest};
use crate::variables::Variables;
use crate::{Execution, ExecutionIdentity, ExecutionOptions, ExecutionStatus, Executor};
use orderflow_model::asl::error_names::names;
use orderflow_model::asl::model::{Resource, ScopeId, StateId};
use orderflow_model::asl::path::PathRoot;
use orderflow_model::asl::timestamp::{format_timestamp, parse_timestamp};

/// What the context object reports about the execution.
struct ExecutionInfo<'x> {
    identity: &'x ExecutionIdentity,
    /// Drawn when the execution starts (so seeded runs stay reproducible), formatted on demand.
    random_name: u128,
    start_millis: i64,
    input: Value,
    /// The ARNs and names: formatted only if the context object's `Execution` or
    /// `StateMachine` is read, which few definitions do.
    strings: OnceCell<ExecutionStrings>,
}

struct ExecutionStrings {
    id: String,
    name: String,
    role_arn: String,
    start_time: String,
    machine_id: String,
}

impl ExecutionInfo<'_> {
    fn strings(&self) -> &ExecutionStrings {
        self.strings.get_or_init(|| {
            let identity = self.identity;
            let name = identity
                .execution_name
                .clone()
                .unwrap_or_else(|| intrinsics::uuid_v4(self.random_name.to_le_bytes()));
            let arn_prefix = format!(
                "arn:{}:states:{}:{}",
                identity.partition, identity.region, identity.account
            );
            ExecutionStrings {
                id: format!(
                    "{arn_prefix}:execution:{}:{name}",
                    identity.state_machine_name
                ),
                name,
                role_arn: identity.role_arn.clone().unwrap_or_else(|| {
                    format!(
                        "arn:{}:iam::{}:role/StepFunctionsExecutionRole",
                        identity.partition, identity.account
                    )
                }),
                start_time: format_timestamp(self.start_millis),
                machine_id: format!("{arn_prefix}:stateMachine:{}", identity.state_machine_name),
            }
        })
    }
}

/// The mutable state of one execution.
struct Runtime<'x> {
    invoker: &'x dyn TaskInvoker,
    options: &'x ExecutionOptions,
    history: HistoryRecorder,
    clock: ExecutionClock,
    rng: fastrand::Rng,
    info: ExecutionInfo<'x>,
    vars: Variables,
    timeout_millis: Option<i64>,
    timed_out: bool,
    /// Values that broke their contracts so far.
    violations: Vec<ContractViolation>,
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

/// The text AWS quotes for a value in "refers to value \"…\"" messages.
fn quoted_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => compact(other),
    }
}

/// Evaluates paths, payloads and intrinsics for one state.
struct Env<'r> {
    input: &'r Value,
    frame: &'r StateFrame,
    info: &'r ExecutionInfo<'r>,
    vars: &'r [Map<String, Value>],
    rng: &'r mut fastrand::Rng,
}

impl<'r> Env<'r> {
    /// The context object with only its member `top` (`Task`, `State`, …), or nothing if it has
    /// no such member.
    fn context_object_part(&self, top: &str) -> Value {
        match top {
            "Task" => match &self.frame.task_token {
                Some(token) => json!({"Task": {"Token": token}}),
                None => json!({}),
            },
            "State" => json!({
                "State": {
                    "EnteredTime": format_timestamp(self.frame.entered_time),
                    "Name": &*self.frame.name,
                    "RetryCount": self.frame.retry_count,
                },
            }),
            "StateMachine" => json!({
                "StateMachine": {
                    "Id": self.info.strings().machine_id,
                    "Name": self.info.identity.state_machine_name,
                },
            }),
            _ => self.context_object(),
        }
    }

    fn context_object(&self) -> Value {
        let strings = self.info.strings();
        let mut ctx = json!({
            "Execution": {
                "Id": strings.id,
                "Input": self.info.input,
                "Name": strings.name,
                "RoleArn": strings.role_arn,
                "StartTime": strings.start_time,
                "RedriveCount": 0,
            },
            "State": {
                "EnteredTime": format_timestamp(self.frame.entered_time),
                "Name": &*self.frame.name,
                "RetryCount": self.frame.retry_count,
            },
            "StateMachine": {
                "Id": strings.machine_id,
                "Name": self.info.identity.state_machine_name,
            },
        });
        if let Some(token) = &self.frame.task_token {
            ctx["Task"] = json!({"Token": token});
        }
        if let Some((index, value)) = self.frame.map_item.as_deref() {
            ctx["Map"] = json!({"Item": {"Index": index, "Value": value}});
        }
        ctx
    }

    /// The value a path selects (any root).
    fn select_path(&self, path: &CompiledPath) -> Result<Cow<'r, Value>, NoResult> {
        match &path.root {
            PathRoot::Input => select(path, self.input),
            PathRoot::Variable(name) => {
                let value = self
                    .vars
                    .iter()
                    .rev()
                    .find_map(|frame| frame.get(name))
                    .ok_or(NoResult)?;
                select(path, value)
            }
            PathRoot::Context => {
                let field = |i: usize| match path.steps.get(i) {
                    Some(PathStep::Field(f)) => Some(f.as_str()),
                    _ => None,
                };
                // The large parts are read in place rather than copied into a context object.
                if field(0) == Some("Execution") && field(1) == Some("Input") {
                    return select_steps(&path.steps[2..], path.definite, &self.info.input);
                }
                if field(0) == Some("Map") && field(1) == Some("Item") && field(2) == Some("Value")
                {
                    if let Some((_, value)) = self.frame.map_item.as_deref() {
                        return select_steps(&path.steps[3..], path.definite, value)
                            .map(|c| Cow::Owned(c.into_owned()));
                    }
                }
                // Only the part of the context object the path reads is built: most paths are
                // `$$.Task.Token` or `$$.State.*`, and the whole object copies the input.
                if let Some(top) = field(0) {
                    let mut ctx = self.context_object_part(top);
                    let Some(part) = ctx.as_object_mut().and_then(|o| o.remove(top)) else {
                        return Err(NoResult);
                    };
                    return select_steps(&path.steps[1..], path.definite, &part)
                        .map(|c| Cow::Owned(c.into_owned()));
                }
                let ctx = self.context_object();
                select(path, &ctx).map(|c| Cow::Owned(c.into_owned()))
            }
        }
    }

    fn not_found(&self, path: &CompiledPath, field: &str) -> Failure {
        runtime_error(
            self.frame,
            format!(
                "The JSONPath '{}' specified for the field '{field}' could not be found in the input '{}'",
                path.text,
                compact(self.input)
            ),
        )
    }

    fn payload(&mut self, payload: &Payload) -> Result<Value, Failure> {
        Ok(match payload {
            Payload::Literal(v) => v.clone(),
            Payload::Object(members) => {
                let mut out = Map::with_capacity(members.len());
                for (key, value) in members {
                    out.insert(key.clone(), self.payload(value)?);
                }
                Value::Object(out)
            }
            Payload::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|i| self.payload(i))
                    .collect::<Result<_, _>>()?,
            ),
            Payload::Path { path, field } => self
                .select_path(path)
                .map(|c| c.into_owned())
                .map_err(|_| self.not_found(path, field))?,
            Payload::Intrinsic(call) => intrinsics::evaluate(call, self)?,
        })
    }

    /// [`payload`](Self::payload), leaving `null` at the member the `keys` lead to, for
    /// the caller to fill.
    fn payload_without(&mut self, payload: &Payload, keys: &[String]) -> Result<Value, Failure> {
        let (Some((first, rest)), Payload::Object(members)) = (keys.split_first(), payload) else {
            return Ok(Value::Null);
        };
        let mut out = Map::with_capacity(members.len());
        for (key, value) in members {
            let value = if key == first {
                self.payload_without(value, rest)?
            } else {
                self.payload(value)?
            };
            out.insert(key.clone(), value);
        }
        Ok(Value::Object(out))
    }

    /// A JSONata evaluator for one field, `$states` holding the input and the context object,
    /// and in the fields that may read them the state's `result` or a catcher's `errorOutput`.
    fn jsonata_session(&mut self, extra: Option<(&str, &Value)>) -> jsonata::Session {
        let context = self.context_object();
        let mut states = vec![("input", self.input), ("context", &context)];
        states.extend(extra);
        jsonata::Session::with_states(&states, self.vars, self.rng.u64(..))
    }

    /// The value of a JSONata template standing in `field` (`Output`, `Assign`, `Items`).
    fn jsonata_template(
        &mut self,
        template: &Result<Template, String>,
        extra: Option<(&str, &Value)>,
        field: &str,
    ) -> Result<Value, Failure> {
        let template = template
            .as_ref()
            .map_err(|message| Failure::new(names::QUERY_EVALUATION_ERROR, message.clone()))?;
        template.evaluate_with(&mut self.jsonata_session(extra), field)
    }

    /// The value of a JSONata expression standing in `field` (`Seconds`, `Error`), which must
    /// not be undefined.
    fn jsonata_expression(
        &mut self,
        expr: &Result<jsonata::Expr, String>,
        field: &str,
    ) -> Result<Value, Failure> {
        let expr = expr
            .as_ref()
            .map_err(|message| Failure::new(names::QUERY_EVALUATION_ERROR, message.clone()))?;
        self.jsonata_session(None).value(expr, field)
    }
}

impl IntrinsicEnv for Env<'_> {
    fn resolve(&mut self, path: &CompiledPath) -> Result<Value, Failure> {
        Env::select_path(self, path)
            .map(|c| c.into_owned())
            .map_err(|_| {
                runtime_error(
                    self.frame,
                    format!(
                        "The JSONPath '{}' could not be found in the input '{}'",
                        path.text,
                        compact(self.input)
                    ),
                )
            })
    }

    fn random(&mut self) -> f64 {
        self.rng.f64()
    }

    fn random_bytes(&mut self) -> [u8; 16] {
        self.rng.u128(..).to_le_bytes()
    }
}

impl ChoiceEnv for Env<'_> {
    fn lookup(&mut self, path: &CompiledPath) -> Option<Value> {
        self.select_path(path).ok().map(|c| c.into_owned())
    }

    fn jsonata(&mut self, expr: &jsonata::Expr) -> Result<bool, ChoiceError> {
        match self
            .jsonata_session(None)
            .eval(expr)
            .map_err(|f| jsonata::in_field(f, expr, "Condition"))
        {
            Ok(Some(Value::Bool(b))) => Ok(b),
            Ok(other) => Err(ChoiceError::Jsonata(
                names::QUERY_EVALUATION_ERROR.into(),
                format!(
                    "The Condition evaluated to {}, not a boolean",
                    other.map_or("undefined".into(), |v| compact(&v))
                ),
            )),
            Err(f) => Err(ChoiceError::Jsonata(
                f.error.unwrap_or_default(),
                f.cause.unwrap_or_default(),
            )),
        }
    }
}

impl<'x> Runtime<'x> {
    fn env<'r>(&'r mut self, input: &'r Value, frame: &'r StateFrame) -> Env<'r> {
        Env {
            input,
            frame,
            info: &self.info,
            vars: self.vars.scopes(),
            rng: &mut self.rng,
        }
    }

    fn record(&mut self, event: EventType, state: &Arc<str>, details: Option<Value>) -> u64 {
        self.history.record(event, Some(state), details)
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

    async fn sleep(&mut self, duration: Duration) {
        if duration.is_zero() {
            return;
        }
        match self.clock.mode() {
            ClockMode::Virtual => self.clock.advance(duration),
            ClockMode::Real => self.options.timer.sleep(duration).await,
        }
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
    let info = ExecutionInfo {
        identity: &options.identity,
        random_name: rng.u128(..),
        start_millis: clock.start_millis(),
        input: input.clone(),
        strings: OnceCell::new(),
    };
    let timeout_millis = executor
        .timeout_seconds
        .map(|s| i64::try_from(s.saturating_mul(1000)).unwrap_or(i64::MAX));
    let mut rt = Runtime {
        invoker,
        options,
        // A Task state records about four events: enough for a run through every state once.
        history: HistoryRecorder::new(options.history, 4 * executor.plan.states.len() + 2),
        clock,
        rng,
        info,
        vars: Variables::new(),
        timeout_millis,
        timed_out: false,
        violations: Vec::new(),
    };
    let details = rt.history.wants_payloads().then(|| json!({"input": input}));
    rt.history
        .record(EventType::ExecutionStarted, None, details);
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
        executor.run_scope(&mut rt, ScopeId(0), input).await
    };
    let execution = match result {
        Ok(output) => {
            let details = rt
                .history
                .wants_payloads()
                .then(|| json!({"output": output}));
            rt.history
                .record(EventType::ExecutionSucceeded, None, details);
            Execution {
                status: ExecutionStatus::Succeeded,
                output: Some(output),
                error: None,
                cause: None,
                history: Vec::new(),
                virtual_elapsed: Duration::ZERO,
                contract_violations: Vec::new(),
            }
        }
        Err(failure) => {
            let (status, event) = if rt.timed_out {
                (ExecutionStatus::TimedOut, EventType::ExecutionTimedOut)
            } else {
                (ExecutionStatus::Failed, EventType::ExecutionFailed)
            };
            rt.history.record(
                event,
                None,
                Some(json!({"error": failure.error, "cause": failure.cause})),
            );
            Execution {
                status,
                output: None,
                error: failure.error,
                cause: failure.cause,
                history: Vec::new(),
                virtual_elapsed: Duration::ZERO,
                contract_violations: Vec::new(),
            }
        }
    };
    Execution {
        history: rt.history.into_events(),
        virtual_elapsed: rt.clock.virtual_elapsed(),
        contract_violations: rt.violations,
        ..execution
    }
}

impl Executor {
    /// Runs a scope from its `StartAt` to a state that ends it.
    fn run_scope<'a, 'x: 'a>(
        &'a self,
        rt: &'a mut Runtime<'x>,
        scope: ScopeId,
        input: Value,
    ) -> BoxFuture<'a, Result<Value, Failure>> {
        Box::pin(async move {
            let mut id = *self
                .plan
                .scope_starts
                .get(scope.0)
                .ok_or_else(|| Failure::new(names::RUNTIME, "unknown scope"))?;
            let mut input = input;
            loop {
                let plan = &self.plan.states[id.0];
                if let Some(limit) = rt.timeout_millis {
                    if rt.clock.now_millis() - rt.clock.start_millis() > limit {
                        rt.timed_out = true;
                        return Err(Failure::new(
                            names::TIMEOUT,
                            "The execution ran longer than the state machine's TimeoutSeconds.",
                        ));
                    }
                }
                let (entered, exited) = entered_event(&plan.kind);
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
                    let details = rt
                        .history
                        .wants_payloads()
                        .then(|| json!({"output": step.output}));
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
                Err(Failure { error, cause })
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
                rt.sleep(delay).await;
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
                    let details = rt
                        .history
                        .wants_payloads()
                        .then(|| json!({"parameters": effective.as_ref().unwrap_or(&raw)}));
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
                            let event = if failure.error.as_deref() == Some(names::TIMEOUT) {
                                timed_out
                            } else {
                                failed
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

    async fn run_parallel(
        &self,
        rt: &mut Runtime<'_>,
        plan: &StatePlan,
        branches: &[ScopeId],
        frame: &mut StateFrame,
        raw: Value,
    ) -> Result<Step, Failure> {
        let effective = self.effective_input(rt, plan, frame, &raw)?;
        let branch_input = effective.unwrap_or_else(|| raw.clone());
        let mut retry_counts = vec![0u64; plan.retriers.len()];
        loop {
            rt.record(EventType::ParallelStateStarted, &plan.name, None);
            let mut results = Vec::with_capacity(branches.len());
            let mut failed = None;
            for branch in branches {
                rt.vars.push();
                let outcome = self.run_scope(rt, *branch, branch_input.clone()).await;
                rt.vars.pop();
                match outcome {
                    Ok(v) => results.push(v),
                    Err(f) => {
                        failed = Some(f);
                        break;
                    }
                }
            }
            match failed {
                None => {
                    return self.finish_with_result(rt, plan, frame, raw, Value::Array(results));
                }
                Some(failure) => {
                    match self
                        .handle_error(
                            rt,
                            plan,
                            frame,
                            &raw,
                            failure,
                            &mut retry_counts,
                            Some(EventType::ParallelStateFailed),
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

    /// A JSONata state: `Output`, `Assign`, Choice `Condition`s, Wait `Seconds`/`Timestamp`,
    /// Fail `Error`/`Cause`, Map `Items`/`ItemSelector`, Task and Parallel `Arguments`, and
    /// Catch `Output`/`Assign` (with `$states.errorOutput`). A failed evaluation is
    /// recorded as an `EvaluationFailed` event and fails the state with
    /// `States.QueryEvaluationError`, its cause naming the state as AWS's does.
    async fn run_jsonata_state(
        &self,
        rt: &mut Runtime<'_>,
        plan: &StatePlan,
        frame: &mut StateFrame,
        raw: Value,
    ) -> Result<Step, Failure> {
        let step = self.jsonata_step(rt, plan, frame, raw).await;
        step.map_err(|failure| {
            // Only this state's own evaluations: one from a state inside a Parallel branch or
            // Map iteration already names that state and was recorded there.
            let from_inner_state = failure
                .cause
                .as_deref()
                .is_some_and(|c| c.starts_with(STATE_ERROR_PREFIX));
            if failure.error.as_deref() != Some(names::QUERY_EVALUATION_ERROR) || from_inner_state {
                return failure;
            }
            let failure = Failure::new(
                names::QUERY_EVALUATION_ERROR,
                runtime_error(frame, failure.cause.unwrap_or_default())
                    .cause
                    .unwrap_or_default(),
            );
            rt.record(
                EventType::EvaluationFailed,
                &plan.name,
                Some(json!({"error": failure.error, "cause": failure.cause, "state": &*plan.name})),
            );
            if matches!(plan.kind, KindPlan::Map(_)) {
                rt.record(EventType::MapStateFailed, &plan.name, None);
            }
            failure
        })
    }

    async fn jsonata_step(
        &self,
        rt: &mut Runtime<'_>,
        plan: &StatePlan,
        frame: &mut StateFrame,
        raw: Value,
    ) -> Result<Step, Failure> {
        let output = plan.jsonata_output.as_ref();
        let assign = plan.jsonata_assign.as_ref();
        match &plan.kind {
            KindPlan::Pass { .. } => Ok(Step {
                next: plan.next,
                output: jsonata_finish(rt, frame, output, assign, raw, None)?,
            }),
            KindPlan::Succeed => Ok(Step {
                next: None,
                output: jsonata_finish(rt, frame, output, None, raw, None)?,
            }),
            KindPlan::Choice { rules, default } => {
                // A chosen rule's Output and Assign replace the state's.
                let (next, output, assign) = match pick_choice(rt, frame, rules, *default, &raw)? {
                    ChoicePick::Rule(rule) => (
                        rule.next,
                        rule.jsonata_output.as_ref().or(output),
                        rule.jsonata_assign.as_ref().or(assign),
                    ),
                    ChoicePick::Default(next) => (next, output, assign),
                };
                Ok(Step {
                    next: Some(next),
                    output: jsonata_finish(rt, frame, output, assign, raw, None)?,
                })
            }
            KindPlan::Fail { error, cause } => {
                let error = self.error_source(rt, frame, error.as_ref(), &raw, "Error")?;
                let cause = self.error_source(rt, frame, cause.as_ref(), &raw, "Cause")?;
                Err(Failure { error, cause })
            }
            KindPlan::Wait(wait) => {
                let delay = self.wait_delay(rt, frame, wait, &raw)?;
                rt.sleep(delay).await;
                Ok(Step {
                    next: plan.next,
                    output: jsonata_finish(rt, frame, output, assign, raw, None)?,
                })
            }
            // Retry and Catch, `Arguments`, `$states.result` and the Map's items: the same
            // code as JSONPath states, which asks the plan's query language at each field.
            KindPlan::Task { .. } | KindPlan::Parallel { .. } | KindPlan::Map(_) => {
                self.run_state(rt, plan, frame, raw).await
            }
        }
    }

    /// One Map iteration, in both query languages: its own variable scope, the iterator run on
    /// `input`, and MapIterationSucceeded or MapIterationFailed recorded. An iteration of a
    /// Distributed Map (a child execution on AWS) sees none of the outer variables: "Distributed
    /// Map states cannot currently reference variables in outer scopes".
    async fn run_iteration(
        &self,
        rt: &mut Runtime<'_>,
        plan: &StatePlan,
        map: &MapPlan,
        input: Value,
        details: Option<Value>,
    ) -> Result<Value, Failure> {
        let outer = if map.distributed {
            Some(std::mem::replace(&mut rt.vars, Variables::new()))
        } else {
            rt.vars.push();
            None
        };
        let outcome = self.run_scope(rt, map.iterator, input).await;
        match outer {
            Some(outer) => rt.vars = outer,
            None => rt.vars.pop(),
        }
        let event = if outcome.is_ok() {
            EventType::MapIterationSucceeded
        } else {
            EventType::MapIterationFailed
        };
        rt.record(event, &plan.name, details);
        outcome
    }

    /// `InputPath`: `None` when the effective input is the raw input itself.
    fn input_path(
        &self,
        rt: &mut Runtime<'_>,
        plan: &StatePlan,
        frame: &StateFrame,
        raw: &Value,
    ) -> Result<Option<Value>, Failure> {
        Ok(match &plan.input_path {
            PathField::Default => None,
            PathField::Null => Some(Value::Object(Map::new())),
            PathField::Path(p) if p.is_root() && p.root == PathRoot::Input => None,
            PathField::Path(p) => Some(self.select_or_fail(rt, frame, p, raw)?),
        })
    }

    /// `InputPath` then `Parameters`; JSONata `Arguments`.
    fn effective_input(
        &self,
        rt: &mut Runtime<'_>,
        plan: &StatePlan,
        frame: &StateFrame,
        raw: &Value,
    ) -> Result<Option<Value>, Failure> {
        if plan.jsonata {
            return match &plan.jsonata_arguments {
                Some(t) => rt
                    .env(raw, frame)
                    .jsonata_template(t, None, "Arguments")
                    .map(Some),
                None => Ok(None),
            };
        }
        let selected = self.input_path(rt, plan, frame, raw)?;
        match &plan.parameters {
            None => Ok(selected),
            Some(parameters) => {
                let input = selected.as_ref().unwrap_or(raw);
                rt.env(input, frame).payload(parameters).map(Some)
            }
        }
    }

    /// Parameters whose member at `keys` is `"name.$": "$"`: the other members are evaluated
    /// first, then the raw input is moved into that member (see [`InputMove`]).
    fn parameters_taking_input(
        &self,
        rt: &mut Runtime<'_>,
        plan: &StatePlan,
        frame: &StateFrame,
        raw: &mut Value,
        keys: &[String],
    ) -> Result<Value, Failure> {
        let Some(parameters) = &plan.parameters else {
            return Ok(std::mem::take(raw));
        };
        let mut out = rt.env(raw, frame).payload_without(parameters, keys)?;
        let slot = keys
            .iter()
            .try_fold(&mut out, |value, key| value.get_mut(key.as_str()));
        if let Some(slot) = slot {
            *slot = std::mem::take(raw);
        }
        Ok(out)
    }

    /// A path for InputPath/OutputPath: selects something, or the state fails.
    fn select_or_fail(
        &self,
        rt: &mut Runtime<'_>,
        frame: &StateFrame,
        path: &CompiledPath,
        input: &Value,
    ) -> Result<Value, Failure> {
        let env = rt.env(input, frame);
        match env.select_path(path) {
            Ok(v) => Ok(v.into_owned()),
            Err(_) => Err(runtime_error(
                frame,
                format!(
                    "Invalid path '{}' : No results for path: {}",
                    path.text,
                    path.normalized()
                ),
            )),
        }
    }

    fn output_path(
        &self,
        rt: &mut Runtime<'_>,
        plan: &StatePlan,
        frame: &StateFrame,
        output: Value,
    ) -> Result<Value, Failure> {
        match &plan.output_path {
            PathField::Default => Ok(output),
            PathField::Null => Ok(Value::Object(Map::new())),
            PathField::Path(p) if p.is_root() && p.root == PathRoot::Input => Ok(output),
            PathField::Path(p) => self.select_or_fail(rt, frame, p, &output),
        }
    }

    /// `ResultPath` (into the raw input) then `OutputPath`. `result: None` is the raw input.
    fn finish(
        &self,
        rt: &mut Runtime<'_>,
        plan: &StatePlan,
        frame: &StateFrame,
        raw: Value,
        result: Option<Value>,
    ) -> Result<Value, Failure> {
        let combined = match &plan.result_path {
            PathField::Default => result.unwrap_or(raw),
            PathField::Null => raw,
            PathField::Path(p) if p.is_root() => result.unwrap_or(raw),
            PathField::Path(p) => {
                let value = match result {
                    Some(v) => v,
                    None => raw.clone(),
                };
                let mut target = raw;
                if set_at(&mut target, p, value).is_err() {
                    return Err(Failure::new(
                        names::RESULT_PATH_MATCH_FAILURE,
                        format!(
                            "Unable to apply ReferencePath {} to input '{}'",
                            p.text,
                            compact(&target)
                        ),
                    ));
                }
                target
            }
        };
        self.output_path(rt, plan, frame, combined)
    }

    /// Assign (with `$` the result), ResultSelector, ResultPath, OutputPath; in JSONata, Assign
    /// and Output with `$states.result`.
    fn finish_with_result(
        &self,
        rt: &mut Runtime<'_>,
        plan: &StatePlan,
        frame: &StateFrame,
        raw: Value,
        result: Value,
    ) -> Result<Step, Failure> {
        if plan.jsonata {
            let output = jsonata_finish(
                rt,
                frame,
                plan.jsonata_output.as_ref(),
                plan.jsonata_assign.as_ref(),
                raw,
                Some(("result", result)),
            )?;
            return Ok(Step {
                next: plan.next,
                output,
            });
        }
        self.assign(rt, plan.assign.as_ref(), frame, &result)?;
        let selected = match &plan.result_selector {
            Some(selector) => rt.env(&result, frame).payload(selector)?,
            None => result,
        };
        let output = self.finish(rt, plan, frame, raw, Some(selected))?;
        Ok(Step {
            next: plan.next,
            output,
        })
    }

    /// Evaluates `Assign` (all values first, then all set) into the innermost variable scope.
    fn assign(
        &self,
        rt: &mut Runtime<'_>,
        assign: Option<&Payload>,
        frame: &StateFrame,
        input: &Value,
    ) -> Result<(), Failure> {
        let Some(assign) = assign else {
            return Ok(());
        };
        match rt.env(input, frame).payload(assign)? {
            Value::Object(values) => rt.vars.assign(values),
            _ => Ok(()),
        }
    }

    fn error_source(
        &self,
        rt: &mut Runtime<'_>,
        frame: &StateFrame,
        source: Option<&ErrorSourcePlan>,
        raw: &Value,
        field: &str,
    ) -> Result<Option<String>, Failure> {
        let value = match source {
            None => return Ok(None),
            Some(ErrorSourcePlan::Literal(s)) => return Ok(Some(s.clone())),
            Some(ErrorSourcePlan::Path(p)) => {
                let env = rt.env(raw, frame);
                env.select_path(p).map(|c| c.into_owned()).map_err(|_| {
                    runtime_error(
                        frame,
                        format!(
                            "The JSONPath '{}' specified for the field '{field}' could not be found in the input '{}'",
                            p.text,
                            compact(raw)
                        ),
                    )
                })?
            }
            Some(ErrorSourcePlan::Intrinsic(call)) => {
                intrinsics::evaluate(call, &mut rt.env(raw, frame))?
            }
            Some(ErrorSourcePlan::Jsonata(expr)) => {
                match rt.env(raw, frame).jsonata_expression(expr, field)? {
                    Value::String(s) => return Ok(Some(s)),
                    other => {
                        return Err(Failure::new(
                            names::QUERY_EVALUATION_ERROR,
                            format!(
                                "The {field} field must be a string, but the JSONata expression returned {}",
                                compact(&other)
                            ),
                        ));
                    }
                }
            }
        };
        match value {
            Value::String(s) => Ok(Some(s)),
            other => Err(runtime_error(
                frame,
                format!(
                    "The {field} field must resolve to a string, found '{}'",
                    compact(&other)
                ),
            )),
        }
    }

    fn seconds(
        &self,
        rt: &mut Runtime<'_>,
        frame: &StateFrame,
        seconds: Option<&SecondsPlan>,
        input: &Value,
        field: &str,
    ) -> Result<Option<u64>, Failure> {
        match seconds {
            None => Ok(None),
            Some(SecondsPlan::Value(v)) => Ok(Some(*v)),
            Some(SecondsPlan::Path(p)) => {
                let env = rt.env(input, frame);
                let value = env.select_path(p).map(|c| c.into_owned()).map_err(|_| {
                    runtime_error(
                        frame,
                        format!(
                            "Invalid path '{}' : No results for path: {}",
                            p.text,
                            p.normalized()
                        ),
                    )
                })?;
                value.as_u64().map(Some).ok_or_else(|| {
                    runtime_error(
                        frame,
                        format!(
                            "The {field} field refers to value \"{}\" which is not a valid integer: {}",
                            quoted_value(&value),
                            p.text
                        ),
                    )
                })
            }
            Some(SecondsPlan::Jsonata(expr)) => {
                // `SecondsPath` → `Seconds`: a JSONata state names the field itself.
                let field = field.trim_end_matches("Path");
                let value = rt.env(input, frame).jsonata_expression(expr, field)?;
                value.as_u64().map(Some).ok_or_else(|| {
                    Failure::new(
                        names::QUERY_EVALUATION_ERROR,
                        format!(
                            "The {field} field must be a non-negative integer, but the JSONata expression returned {}",
                            compact(&value)
                        ),
                    )
                })
            }
        }
    }

    fn wait_delay(
        &self,
        rt: &mut Runtime<'_>,
        frame: &StateFrame,
        wait: &WaitPlan,
        input: &Value,
    ) -> Result<Duration, Failure> {
        let until = |rt: &Runtime<'_>, target: i64| {
            let now = rt.clock.now_millis();
            Duration::from_millis(u64::try_from(target - now).unwrap_or(0))
        };
        match wait {
            WaitPlan::Seconds(s) => {
                let secs = self.seconds(rt, frame, Some(s), input, "SecondsPath")?;
                Ok(Duration::from_secs(secs.unwrap_or(0)))
            }
            WaitPlan::Timestamp(t) => match parse_timestamp(t) {
                Some(target) => Ok(until(rt, target)),
                None => Err(runtime_error(
                    frame,
                    format!("The Timestamp '{t}' is not a valid timestamp"),
                )),
            },
            WaitPlan::TimestampJsonata(expr) => {
                let value = rt.env(input, frame).jsonata_expression(expr, "Timestamp")?;
                match value.as_str().and_then(parse_timestamp) {
                    Some(target) => Ok(until(rt, target)),
                    None => Err(Failure::new(
                        names::QUERY_EVALUATION_ERROR,
                        format!(
                            "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: {}",
                            quoted_value(&value)
                        ),
                    )),
                }
            }
            WaitPlan::TimestampPath(p) => {
                let value = {
                    let env = rt.env(input, frame);
                    env.select_path(p).ok().map(|c| c.into_owned())
                };
                match value
                    .as_ref()
                    .and_then(Value::as_str)
                    .and_then(parse_timestamp)
                {
                    Some(target) => Ok(until(rt, target)),
                    None => Err(runtime_error(
                        frame,
                        format!(
                            "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {}",
                            p.text
                        ),
                    )),
                }
            }
        }
    }

    /// Calls the binding, racing the timeout on the real clock.
    #[allow(clippy::too_many_arguments)]
    async fn invoke(
        &self,
        rt: &mut Runtime<'_>,
        plan: &StatePlan,
        frame: &StateFrame,
        resource: &Resource,
        input: Value,
        timeout: Option<u64>,
        heartbeat: Option<u64>,
    ) -> Result<Value, Failure> {
        let request = TaskRequest {
            state_name: &plan.name,
            resource,
            input,
            task_token: frame.task_token.clone(),
            timeout_seconds: timeout,
            heartbeat_seconds: heartbeat,
            retry_count: frame.retry_count,
        };
        let call = rt.invoker.invoke(request);
        let outcome = match (rt.clock.mode(), timeout) {
            (ClockMode::Real, Some(seconds)) => {
                let timer = rt.options.timer.sleep(Duration::from_secs(seconds));
                match futures::future::select(call, timer).await {
                    Either::Left((outcome, _)) => outcome,
                    Either::Right(((), _)) => Err(crate::task::TaskError::timeout()),
                }
            }
            _ => call.await,
        };
        let result = outcome.map_err(|e| Failure::new(e.error, e.cause))?;
        if let Some(limit) = rt.options.max_payload_bytes {
            if exceeds_size(&result, limit) {
                return Err(Failure::new(
                    names::DATA_LIMIT_EXCEEDED,
                    format!(
                        "The state/task '{}' returned a result with a size exceeding the maximum number of bytes service limit.",
                        plan.name
                    ),
                ));
            }
        }
        Ok(result)
    }

    /// Retry (waiting the back-off), else Catch, else the failure stands.
    #[allow(clippy::too_many_arguments)]
    async fn handle_error(
        &self,
        rt: &mut Runtime<'_>,
        plan: &StatePlan,
        frame: &mut StateFrame,
        raw: &Value,
        failure: Failure,
        retry_counts: &mut [u64],
        failed_event: Option<EventType>,
    ) -> Result<ErrorOutcome, Failure> {
        if failure.is_terminal() {
            return Err(failure);
        }
        let retrier = plan
            .retriers
            .iter()
            .zip(retry_counts.iter_mut())
            .find(|(r, _)| error_matches(&r.error_equals, &failure));
        if let Some((r, count)) = retrier {
            if *count < r.retrier.max_attempts {
                let draw = rt.rng.f64();
                let delay = backoff_delay(&r.retrier, *count, draw);
                *count += 1;
                frame.retry_count += 1;
                rt.sleep(delay).await;
                return Ok(ErrorOutcome::Retry);
            }
        }
        if let Some(event) = failed_event {
            rt.record(
                event,
                &plan.name,
                Some(json!({"error": failure.error, "cause": failure.cause})),
            );
        }
        for catcher in &plan.catchers {
            if !error_matches(&catcher.error_equals, &failure) {
                continue;
            }
            let error_output = failure.to_error_output();
            if plan.jsonata {
                let output = jsonata_finish(
                    rt,
                    frame,
                    catcher.jsonata_output.as_ref(),
                    catcher.jsonata_assign.as_ref(),
                    raw.clone(),
                    Some(("errorOutput", error_output)),
                )?;
                return Ok(ErrorOutcome::Caught(Step {
                    next: Some(catcher.next),
                    output,
                }));
            }
            self.assign(rt, catcher.assign.as_ref(), frame, &error_output)?;
            let output = match &catcher.result_path {
                PathField::Default => error_output,
                PathField::Null => raw.clone(),
                PathField::Path(p) if p.is_root() => error_output,
                PathField::Path(p) => {
                    let mut target = raw.clone();
                    if set_at(&mut target, p, error_output).is_err() {
                        return Err(Failure::new(
                            names::RESULT_PATH_MATCH_FAILURE,
                            format!(
                                "Unable to apply ReferencePath {} to input '{}'",
                                p.text,
                                compact(raw)
                            ),
                        ));
                    }
                    target
                }
            };
            return Ok(ErrorOutcome::Caught(Step {
                next: Some(catcher.next),
                output,
            }));
        }
        Err(failure)
    }

    /// An integer field given through a path (MaxConcurrencyPath, ToleratedFailureCountPath, …).
    fn integer_at(
        &self,
        rt: &mut Runtime<'_>,
        frame: &StateFrame,
        path: &CompiledPath,
        input: &Value,
        field: &str,
    ) -> Result<i64, Failure> {
        let value = {
            let env = rt.env(input, frame);
            env.select_path(path).map(|c| c.into_owned()).map_err(|_| {
                runtime_error(
                    frame,
                    format!(
                        "Invalid path '{}' : No results for path: {}",
                        path.text,
                        path.normalized()
                    ),
                )
            })?
        };
        value.as_i64().ok_or_else(|| {
            runtime_error(
                frame,
                format!(
                    "The {field} field refers to value \"{}\" which is not a valid integer: {}",
                    quoted_value(&value),
                    path.text
                ),
            )
        })
    }

    async fn run_map(
        &self,
        rt: &mut Runtime<'_>,
        plan: &StatePlan,
        map: &MapPlan,
        frame: &mut StateFrame,
        raw: Value,
    ) -> Result<Step, Failure> {
        let effective = self.input_path(rt, plan, frame, &raw)?;
        let eff = effective.as_ref().unwrap_or(&raw);
        if let Some(p) = &map.max_concurrency_path {
            let n = self.integer_at(rt, frame, p, eff, "MaxConcurrencyPath")?;
            if n < 0 {
                return Err(runtime_error(frame, "MaxConcurrency cannot be negative."));
            }
        }
        let mut retry_counts = vec![0u64; plan.retriers.len()];
        loop {
            rt.record(EventType::MapStateStarted, &plan.name, None);
            let mut tolerated_count = map.tolerated_failure_count.map(|c| c as f64);
            if let Some(p) = &map.tolerated_failure_count_path {
                let n = self.integer_at(rt, frame, p, eff, "ToleratedFailureCountPath")?;
                if n < 0 {
                    return Err(runtime_error(
                        frame,
                        "ToleratedFailureCount cannot be negative.",
                    ));
                }
                tolerated_count = Some(n as f64);
            }
            let mut tolerated_percentage = map.tolerated_failure_percentage;
            if let Some(p) = &map.tolerated_failure_percentage_path {
                let value = {
                    let env = rt.env(eff, frame);
                    env.select_path(p).map(|c| c.into_owned()).map_err(|_| {
                        runtime_error(
                            frame,
                            format!(
                                "Invalid path '{}' : No results for path: {}",
                                p.text,
                                p.normalized()
                            ),
                        )
                    })?
                };
                let pct = value.as_f64().ok_or_else(|| {
                    runtime_error(
                        frame,
                        format!(
                            "The ToleratedFailurePercentagePath field refers to value \"{}\" which is not a valid float: {}",
                            quoted_value(&value),
                            p.text
                        ),
                    )
                })?;
                if !(0.0..=100.0).contains(&pct) {
                    return Err(runtime_error(
                        frame,
                        "ToleratedFailurePercentage must be between 0 and 100.",
                    ));
                }
                tolerated_percentage = Some(pct);
            }
            let items = self.map_items(rt, plan, map, frame, eff).await?;
            let total = items.len();
            let mut results = Vec::with_capacity(total);
            let mut failures = 0usize;
            let mut failed = None;
            for (index, item) in items.into_iter().enumerate() {
                let details = rt.history.wants_payloads().then(|| json!({"index": index}));
                rt.record(EventType::MapIterationStarted, &plan.name, details.clone());
                // The selector sees the item as `$$.Map.Item.Value` (`$states.context…`).
                let item_frame = |item| StateFrame {
                    map_item: Some(Box::new((index, item))),
                    ..frame.clone()
                };
                let item_input = match (&map.item_selector, &map.jsonata_item_selector) {
                    (Some(selector), _) => rt.env(eff, &item_frame(item)).payload(selector)?,
                    (None, Some(t)) => {
                        rt.env(eff, &item_frame(item))
                            .jsonata_template(t, None, "ItemSelector")?
                    }
                    (None, None) => item,
                };
                match self.run_iteration(rt, plan, map, item_input, details).await {
                    Ok(v) => results.push(v),
                    Err(f) => {
                        if f.is_terminal() {
                            return Err(f);
                        }
                        failures += 1;
                        let tolerance_set =
                            tolerated_count.is_some() || tolerated_percentage.is_some();
                        let over_count = tolerated_count.is_none_or(|c| failures as f64 > c);
                        let over_percentage = tolerated_percentage
                            .is_none_or(|p| failures as f64 * 100.0 > p * total as f64);
                        let exceeded = !tolerance_set
                            || (tolerated_count.is_some() && over_count)
                            || (tolerated_percentage.is_some() && over_percentage);
                        if exceeded {
                            failed = Some(if tolerance_set {
                                Failure::new(
                                    names::EXCEED_TOLERATED_FAILURE_THRESHOLD,
                                    "The specified tolerated failure threshold was exceeded",
                                )
                            } else {
                                f
                            });
                            break;
                        }
                        results.push(f.to_error_output());
                    }
                }
            }
            match failed {
                None => {
                    rt.record(EventType::MapStateSucceeded, &plan.name, None);
                    return self.finish_with_result(rt, plan, frame, raw, Value::Array(results));
                }
                Some(failure) => {
                    match self
                        .handle_error(
                            rt,
                            plan,
                            frame,
                            &raw,
                            failure,
                            &mut retry_counts,
                            Some(EventType::MapStateFailed),
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

    /// The items a Map state iterates: read by its ItemReader, or selected by ItemsPath.
    async fn map_items(
        &self,
        rt: &mut Runtime<'_>,
        plan: &StatePlan,
        map: &MapPlan,
        frame: &StateFrame,
        eff: &Value,
    ) -> Result<Vec<Value>, Failure> {
        if let Some(reader) = &map.reader {
            let mut max_items = reader.max_items;
            if let Some(p) = &reader.max_items_path {
                let n = self.integer_at(rt, frame, p, eff, "MaxItemsPath")?;
                max_items = Some(
                    u64::try_from(n)
                        .map_err(|_| runtime_error(frame, "MaxItems cannot be negative."))?,
                );
            }
            let parameters = match &reader.parameters {
                Some(p) => rt.env(eff, frame).payload(p)?,
                None => Value::Object(Map::new()),
            };
            let read = self
                .invoke(rt, plan, frame, &reader.resource, parameters, None, None)
                .await?;
            let Value::Array(mut items) = read else {
                return Err(runtime_error(
                    frame,
                    "The ItemReader binding must return a JSON array of items.",
                ));
            };
            if let Some(max) = max_items.filter(|m| *m > 0) {
                items.truncate(usize::try_from(max).unwrap_or(usize::MAX));
            }
            return Ok(items);
        }
        if plan.jsonata {
            let items = match &map.jsonata_items {
                Some(t) => rt.env(eff, frame).jsonata_template(t, None, "Items")?,
                None => eff.clone(),
            };
            return match items {
                Value::Array(items) => Ok(items),
                other => Err(Failure::new(
                    names::QUERY_EVALUATION_ERROR,
                    format!(
                        "Map state input must be an array but was: {}",
                        compact(&other)
                    ),
                )),
            };
        }
        let selected = match &map.items_path {
            None => eff.clone(),
            Some(p) => self.select_or_fail(rt, frame, p, eff)?,
        };
        match selected {
            Value::Array(items) => Ok(items),
            other => Err(runtime_error(
                frame,
                format!(
                    "Invalid path '{}': The Map state's items must be a JSON array, found '{}'",
                    map.items_path.as_ref().map_or("$", |p| p.text.as_str()),
                    compact(&other)
                ),
            )),
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
    let mut env = rt.env(input, frame);
    for rule in rules {
        match choice::evaluate(&rule.condition, &mut env) {
            Ok(true) => return Ok(ChoicePick::Rule(rule)),
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
    match default {
        Some(next) => Ok(ChoicePick::Default(next)),
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

/// A JSONata state's (or catcher's) `Output` and `Assign`, which see the same `$states`
/// (`extra`: the state's `result` or the catcher's `errorOutput`, where there is one);
/// variables change only after both are evaluated.
fn jsonata_finish(
    rt: &mut Runtime<'_>,
    frame: &StateFrame,
    output: Option<&Result<Template, String>>,
    assign: Option<&Result<Template, String>>,
    raw: Value,
    extra: Option<(&str, Value)>,
) -> Result<Value, Failure> {
    let mut env = rt.env(&raw, frame);
    let seen = extra.as_ref().map(|(name, value)| (*name, value));
    let assigned = match assign {
        Some(t) => Some(env.jsonata_template(t, seen, "Assign")?),
        None => None,
    };
    let output = match output {
        Some(t) => env.jsonata_template(t, seen, "Output")?,
        // Without `Output`: the result (or error output) where there is one, else the input.
        None => extra.map_or(raw, |(_, value)| value),
    };
    if let Some(Value::Object(values)) = assigned {
        rt.vars.assign(values)?;
    }
    Ok(output)
}
