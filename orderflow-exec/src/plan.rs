//! What `Executor::new` precomputes for every state, so executions only evaluate: paths
//! compiled (filters parsed), literals converted to values, transitions resolved to ids, Retry
//! and Catch flattened, JSONata expressions parsed.

use std::sync::Arc;

use serde_json::Value;

use crate::contracts::TaskContract;
use crate::intrinsics::CompiledCall;
use crate::jsonata::{Expr, InvalidExpression, Template};
use crate::paths::CompiledPath;
use orderflow_model::asl::model::{
    Catcher, ChoiceRule, ComparisonOperator, Condition, ErrorSource, NullablePath, Operand,
    PayloadNode, PayloadTemplate, QueryLanguage, Resource, Retrier, ScopeId, Seconds, State,
    StateId, StateKind, StateMachine, Target, WaitState,
};

/// Why a state machine cannot be executed (validation reports these as errors too).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot execute the state machine: {0}")]
pub struct DefinitionError(pub String);

/// `InputPath`, `OutputPath`, `ResultPath`: absent (`$`), `null`, or a path.
#[derive(Debug, Clone)]
pub enum PathField {
    Default,
    Null,
    Path(CompiledPath),
}

/// A payload template (`Parameters`, `ResultSelector`, `ItemSelector`, `Assign`).
#[derive(Debug, Clone)]
pub enum Payload {
    Literal(Value),
    Object(Vec<(String, Payload)>),
    Array(Vec<Payload>),
    /// `"field.$": "$.path"`; `field` is the member name with `.$`, for messages.
    Path {
        path: CompiledPath,
        field: String,
    },
    Intrinsic(CompiledCall),
}

#[derive(Debug, Clone)]
pub struct RetryPlan {
    pub error_equals: Vec<String>,
    pub retrier: Retrier,
}

#[derive(Debug, Clone)]
pub struct CatchPlan {
    pub error_equals: Vec<String>,
    pub next: StateId,
    pub result_path: PathField,
    pub assign: Option<Payload>,
    /// JSONata `Output` (`$states.errorOutput` when absent).
    pub jsonata_output: Option<Result<Template, InvalidExpression>>,
    /// JSONata `Assign`, which sees `$states.errorOutput`.
    pub jsonata_assign: Option<Result<Template, InvalidExpression>>,
}

#[derive(Debug, Clone)]
pub enum SecondsPlan {
    Value(u64),
    Path(CompiledPath),
    /// A JSONata `{% … %}` (`Err`: why it cannot be evaluated).
    Jsonata(Result<Expr, InvalidExpression>),
}

#[derive(Debug, Clone)]
pub enum ConditionPlan {
    And(Vec<ConditionPlan>),
    Or(Vec<ConditionPlan>),
    Not(Box<ConditionPlan>),
    Compare {
        variable: CompiledPath,
        operator: ComparisonOperator,
        operand: OperandPlan,
    },
    /// A JSONata `Condition`; `Err` holds why it cannot be evaluated (a syntax error).
    Jsonata(Result<Expr, InvalidExpression>),
}

#[derive(Debug, Clone)]
pub enum OperandPlan {
    Literal(Value),
    Path(CompiledPath),
}

#[derive(Debug, Clone)]
pub struct RulePlan {
    pub condition: ConditionPlan,
    pub next: StateId,
    pub assign: Option<Payload>,
    pub jsonata_output: Option<Result<Template, InvalidExpression>>,
    pub jsonata_assign: Option<Result<Template, InvalidExpression>>,
}

#[derive(Debug, Clone)]
pub enum WaitPlan {
    Seconds(SecondsPlan),
    Timestamp(String),
    TimestampPath(CompiledPath),
    TimestampJsonata(Result<Expr, InvalidExpression>),
}

#[derive(Debug, Clone)]
pub enum ErrorSourcePlan {
    Literal(String),
    Path(CompiledPath),
    Intrinsic(CompiledCall),
    Jsonata(Result<Expr, InvalidExpression>),
}

#[derive(Debug, Clone)]
pub struct ReaderPlan {
    pub resource: Resource,
    pub parameters: Option<Payload>,
    pub max_items: Option<u64>,
    pub max_items_path: Option<CompiledPath>,
    pub config: orderflow_model::asl::model::ReaderConfig,
}

/// `ItemBatcher`: items go to iterations in batches.
#[derive(Debug, Clone)]
pub struct BatcherPlan {
    pub max_items: Option<u64>,
    pub max_items_path: Option<CompiledPath>,
    pub max_bytes: Option<u64>,
    pub max_bytes_path: Option<CompiledPath>,
    pub batch_input: Option<Payload>,
}

/// `ResultWriter`: the results go to the object store.
#[derive(Debug, Clone)]
pub struct WriterPlan {
    pub resource: String,
    pub parameters: Option<Payload>,
}

#[derive(Debug, Clone)]
pub struct MapPlan {
    pub iterator: ScopeId,
    /// A Distributed Map: its iterations see no outer variables.
    pub distributed: bool,
    /// A Distributed Map whose children are Express executions: five minutes each, no history
    /// limit.
    pub express_children: bool,
    pub items_path: Option<CompiledPath>,
    pub item_selector: Option<Payload>,
    /// `MaxConcurrency` (0: no limit).
    pub max_concurrency: Option<u64>,
    pub max_concurrency_path: Option<CompiledPath>,
    pub tolerated_failure_count: Option<u64>,
    pub tolerated_failure_count_path: Option<CompiledPath>,
    pub tolerated_failure_percentage: Option<f64>,
    pub tolerated_failure_percentage_path: Option<CompiledPath>,
    pub reader: Option<ReaderPlan>,
    pub batcher: Option<BatcherPlan>,
    pub writer: Option<WriterPlan>,
    /// JSONata `Items`: the array to iterate (the state input when absent).
    pub jsonata_items: Option<Result<Template, InvalidExpression>>,
    /// JSONata `ItemSelector`.
    pub jsonata_item_selector: Option<Result<Template, InvalidExpression>>,
}

#[derive(Debug, Clone)]
pub enum KindPlan {
    Pass {
        result: Option<Value>,
    },
    Task {
        resource: Resource,
        timeout: Option<SecondsPlan>,
        heartbeat: Option<SecondsPlan>,
        /// A Lambda function by ARN: history uses the `LambdaFunction…` events.
        lambda_events: bool,
        wait_for_task_token: bool,
    },
    Choice {
        rules: Vec<RulePlan>,
        default: Option<StateId>,
    },
    Wait(WaitPlan),
    Succeed,
    Fail {
        error: Option<ErrorSourcePlan>,
        cause: Option<ErrorSourcePlan>,
    },
    Parallel {
        branches: Vec<ScopeId>,
    },
    Map(Box<MapPlan>),
}

#[derive(Debug, Clone)]
pub struct StatePlan {
    pub name: Arc<str>,
    pub jsonata: bool,
    pub input_path: PathField,
    pub output_path: PathField,
    pub result_path: PathField,
    pub parameters: Option<Payload>,
    pub result_selector: Option<Payload>,
    pub assign: Option<Payload>,
    /// JSONata `Output`.
    pub jsonata_output: Option<Result<Template, InvalidExpression>>,
    /// JSONata `Assign`: every value is evaluated before any is set.
    pub jsonata_assign: Option<Result<Template, InvalidExpression>>,
    /// JSONata `Arguments` of a Task or Parallel state (the state input when absent).
    pub jsonata_arguments: Option<Result<Template, InvalidExpression>>,
    /// `None`: the state ends its scope.
    pub next: Option<StateId>,
    pub retriers: Vec<RetryPlan>,
    pub catchers: Vec<CatchPlan>,
    pub kind: KindPlan,
    /// Where a Task's raw input goes once its parameters are made, when nothing after that reads
    /// it: it is moved there instead of copied.
    pub input_move: InputMove,
    /// What a Task's function receives and returns is checked against (set by
    /// `Executor::set_contracts`; boxed: most states have none).
    pub contract: Option<Box<TaskContract>>,
}

/// What a Task does with its raw input when nothing reads it after the parameters are made
/// (ResultPath `$`, no Catch, no `*SecondsPath`), to save a copy of the whole state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputMove {
    /// The raw input is needed later, or there is nothing to move it into.
    Copy,
    /// Neither InputPath nor Parameters: the raw input is the parameters.
    Whole,
    /// Parameters with one `"name.$": "$"` member (at these keys, nested in objects): the raw
    /// input becomes that member.
    Member(Vec<String>),
}

impl InputMove {
    fn of(state_plan: &StatePlan) -> InputMove {
        let KindPlan::Task {
            timeout, heartbeat, ..
        } = &state_plan.kind
        else {
            return InputMove::Copy;
        };
        if state_plan.jsonata {
            return InputMove::Copy;
        }
        let reads_raw_later = !state_plan.catchers.is_empty()
            || matches!(timeout, Some(SecondsPlan::Path(_)))
            || matches!(heartbeat, Some(SecondsPlan::Path(_)))
            || match &state_plan.result_path {
                PathField::Default => false,
                PathField::Null => true,
                PathField::Path(p) => !p.is_root(),
            };
        let input_path_is_root = match &state_plan.input_path {
            PathField::Default => true,
            PathField::Null => false,
            PathField::Path(p) => {
                p.is_root() && p.root == orderflow_model::asl::path::PathRoot::Input
            }
        };
        if reads_raw_later || !input_path_is_root {
            return InputMove::Copy;
        }
        match &state_plan.parameters {
            None => InputMove::Whole,
            Some(parameters) => {
                let mut slots = Vec::new();
                root_members(parameters, &mut Vec::new(), &mut slots);
                match <[Vec<String>; 1]>::try_from(slots) {
                    Ok([slot]) => InputMove::Member(slot),
                    Err(_) => InputMove::Copy,
                }
            }
        }
    }
}

/// The keys leading to every `"name.$": "$"` member of a payload, through objects only.
fn root_members(payload: &Payload, keys: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match payload {
        Payload::Path { path, .. }
            if path.is_root() && path.root == orderflow_model::asl::path::PathRoot::Input =>
        {
            out.push(keys.clone());
        }
        Payload::Object(members) => {
            for (key, value) in members {
                keys.push(key.clone());
                root_members(value, keys, out);
                keys.pop();
            }
        }
        _ => {}
    }
}

pub struct Plan {
    pub states: Vec<StatePlan>,
    /// The start state of every scope.
    pub scope_starts: Vec<StateId>,
    /// The states of the top-level scope (where a redrive may restart).
    pub top_level: Vec<StateId>,
}

fn err<T>(state: &State, message: impl std::fmt::Display) -> Result<T, DefinitionError> {
    Err(DefinitionError(format!(
        "state \"{}\": {message}",
        state.name.value
    )))
}

fn compile_path(
    state: &State,
    path: &orderflow_model::asl::path::Path,
) -> Result<CompiledPath, DefinitionError> {
    CompiledPath::compile(path).or_else(|e| err(state, format!("path `{path}`: {}", e.0)))
}

fn path_field(state: &State, field: Option<&NullablePath>) -> Result<PathField, DefinitionError> {
    Ok(match field {
        None => PathField::Default,
        Some(NullablePath::Null(_)) => PathField::Null,
        Some(NullablePath::Path(p)) => PathField::Path(compile_path(state, &p.value)?),
    })
}

fn target(state: &State, t: Option<&Target>) -> Result<Option<StateId>, DefinitionError> {
    match t {
        None => Ok(None),
        Some(t) => match t.target {
            Some(id) => Ok(Some(id)),
            None => err(
                state,
                format!("the target \"{}\" does not exist", t.name.value),
            ),
        },
    }
}

pub fn payload(state: &State, template: &PayloadTemplate) -> Result<Payload, DefinitionError> {
    payload_node(state, &template.root)
}

fn payload_node(state: &State, node: &PayloadNode) -> Result<Payload, DefinitionError> {
    Ok(match node {
        PayloadNode::Literal(json) => Payload::Literal(json.to_value()),
        PayloadNode::Object(members) => Payload::Object(
            members
                .iter()
                .map(|(key, value)| {
                    let compiled = match value {
                        PayloadNode::Path(p) => Payload::Path {
                            path: compile_path(state, &p.value)?,
                            field: format!("{}.$", key.value),
                        },
                        PayloadNode::Intrinsic(call) => Payload::Intrinsic(
                            CompiledCall::compile(&call.value).or_else(|e| err(state, e.0))?,
                        ),
                        other => payload_node(state, other)?,
                    };
                    Ok((key.value.clone(), compiled))
                })
                .collect::<Result<_, DefinitionError>>()?,
        ),
        PayloadNode::Array(items) => Payload::Array(
            items
                .iter()
                .map(|i| payload_node(state, i))
                .collect::<Result<_, _>>()?,
        ),
        PayloadNode::Path(p) => Payload::Path {
            path: compile_path(state, &p.value)?,
            field: String::new(),
        },
        PayloadNode::Intrinsic(call) => {
            Payload::Intrinsic(CompiledCall::compile(&call.value).or_else(|e| err(state, e.0))?)
        }
    })
}

fn seconds(state: &State, s: Option<&Seconds>) -> Result<Option<SecondsPlan>, DefinitionError> {
    Ok(match s {
        None => None,
        Some(Seconds::Value(v)) => Some(SecondsPlan::Value(*v)),
        Some(Seconds::Path(p)) => Some(SecondsPlan::Path(compile_path(state, &p.value)?)),
        Some(Seconds::Jsonata(text)) => Some(SecondsPlan::Jsonata(jsonata_expression(&text.value))),
    })
}

fn condition(state: &State, rule: &ChoiceRule) -> Result<ConditionPlan, DefinitionError> {
    Ok(match &rule.condition {
        Condition::And(rules) => ConditionPlan::And(
            rules
                .iter()
                .map(|r| condition(state, r))
                .collect::<Result<_, _>>()?,
        ),
        Condition::Or(rules) => ConditionPlan::Or(
            rules
                .iter()
                .map(|r| condition(state, r))
                .collect::<Result<_, _>>()?,
        ),
        Condition::Not(r) => ConditionPlan::Not(Box::new(condition(state, r)?)),
        Condition::Compare {
            variable,
            operator,
            operand,
        } => ConditionPlan::Compare {
            variable: compile_path(state, &variable.value)?,
            operator: operator.value,
            operand: match operand {
                Operand::Literal(json) => OperandPlan::Literal(json.to_value()),
                Operand::Path(p) => OperandPlan::Path(compile_path(state, &p.value)?),
            },
        },
        Condition::Jsonata(text) => ConditionPlan::Jsonata(
            crate::jsonata::expression_text(&text.value)
                .ok_or(InvalidExpression::ConditionNotDelimited)
                .and_then(crate::jsonata::parse),
        ),
        Condition::Invalid => return err(state, "a Choice rule is invalid"),
    })
}

fn error_source(
    state: &State,
    s: Option<&ErrorSource>,
    jsonata: bool,
) -> Result<Option<ErrorSourcePlan>, DefinitionError> {
    Ok(match s {
        None => None,
        Some(ErrorSource::Literal(text)) if jsonata && text.value.starts_with("{%") => {
            Some(ErrorSourcePlan::Jsonata(jsonata_expression(&text.value)))
        }
        Some(ErrorSource::Literal(text)) => Some(ErrorSourcePlan::Literal(text.value.clone())),
        Some(ErrorSource::Path(p)) => Some(ErrorSourcePlan::Path(compile_path(state, &p.value)?)),
        Some(ErrorSource::Intrinsic(call)) => Some(ErrorSourcePlan::Intrinsic(
            CompiledCall::compile(&call.value).or_else(|e| err(state, e.0))?,
        )),
    })
}

fn catcher(state: &State, c: &Catcher) -> Result<CatchPlan, DefinitionError> {
    let jsonata = state.query_language == QueryLanguage::Jsonata;
    Ok(CatchPlan {
        jsonata_output: jsonata_template(c.output.as_ref().filter(|_| jsonata)),
        jsonata_assign: jsonata_template(c.assign.as_ref().filter(|_| jsonata)),
        error_equals: c.error_equals.iter().map(|e| e.value.clone()).collect(),
        next: target(state, Some(&c.next))?
            .map_or_else(|| err(state, "a catcher has no `Next`"), Ok)?,
        result_path: path_field(state, c.result_path.as_ref())?,
        assign: match &c.assign_template {
            Some(t) => Some(payload(state, t)?),
            None => None,
        },
    })
}

/// A JSONata `{% … %}` field value: the parsed expression, or why it cannot be evaluated.
fn jsonata_expression(text: &str) -> Result<Expr, InvalidExpression> {
    crate::jsonata::expression_text(text)
        .ok_or_else(|| InvalidExpression::NotDelimited(text.to_owned()))
        .and_then(crate::jsonata::parse)
}

fn jsonata_template(
    json: Option<&orderflow_model::json::Json>,
) -> Option<Result<Template, InvalidExpression>> {
    json.map(|j| Template::compile(&j.to_value()))
}

fn state_plan(state: &State) -> Result<StatePlan, DefinitionError> {
    let jsonata = state.query_language == QueryLanguage::Jsonata;
    let io = &state.io;
    let optional_payload =
        |t: Option<&PayloadTemplate>| -> Result<Option<Payload>, DefinitionError> {
            match t {
                Some(t) if !jsonata => Ok(Some(payload(state, t)?)),
                _ => Ok(None),
            }
        };
    let kind = match &state.kind {
        StateKind::Pass(p) => KindPlan::Pass {
            result: p.result.as_ref().map(orderflow_model::json::Json::to_value),
        },
        StateKind::Task(t) => {
            let resource = t.resource.value.clone();
            let lambda_events = matches!(
                resource,
                Resource::Lambda {
                    invocation: orderflow_model::asl::model::LambdaInvocation::Arn { .. }
                        | orderflow_model::asl::model::LambdaInvocation::Placeholder(_),
                    ..
                }
            );
            let wait_for_task_token = match &resource {
                Resource::Lambda { invocation, .. } => {
                    *invocation
                        == orderflow_model::asl::model::LambdaInvocation::InvokeWaitForTaskToken
                }
                Resource::SqsSendMessage {
                    wait_for_task_token,
                }
                | Resource::SnsPublish {
                    wait_for_task_token,
                } => *wait_for_task_token,
                Resource::Opaque(arn) => arn.ends_with(".waitForTaskToken"),
            };
            KindPlan::Task {
                resource,
                timeout: seconds(state, t.timeout_seconds.as_ref())?,
                heartbeat: seconds(state, t.heartbeat_seconds.as_ref())?,
                lambda_events,
                wait_for_task_token,
            }
        }
        StateKind::Choice(c) => KindPlan::Choice {
            rules: c
                .choices
                .iter()
                .map(|rule| {
                    Ok(RulePlan {
                        condition: condition(state, rule)?,
                        next: target(state, rule.next.as_ref())?
                            .map_or_else(|| err(state, "a Choice rule has no `Next`"), Ok)?,
                        assign: match &rule.assign_template {
                            Some(t) => Some(payload(state, t)?),
                            None => None,
                        },
                        jsonata_output: jsonata_template(rule.output.as_ref()),
                        jsonata_assign: jsonata_template(rule.assign.as_ref().filter(|_| jsonata)),
                    })
                })
                .collect::<Result<_, DefinitionError>>()?,
            default: target(state, c.default.as_ref())?,
        },
        StateKind::Wait(w) => KindPlan::Wait(match w {
            WaitState::Seconds(s) => WaitPlan::Seconds(
                seconds(state, Some(s))?.map_or_else(|| err(state, "no seconds"), Ok)?,
            ),
            WaitState::Timestamp(t) if jsonata && t.value.starts_with("{%") => {
                WaitPlan::TimestampJsonata(jsonata_expression(&t.value))
            }
            WaitState::Timestamp(t) => WaitPlan::Timestamp(t.value.clone()),
            WaitState::TimestampPath(p) => WaitPlan::TimestampPath(compile_path(state, &p.value)?),
            WaitState::Invalid => return err(state, "the Wait state is invalid"),
        }),
        StateKind::Succeed => KindPlan::Succeed,
        StateKind::Fail(f) => KindPlan::Fail {
            error: error_source(state, f.error.as_ref(), jsonata)?,
            cause: error_source(state, f.cause.as_ref(), jsonata)?,
        },
        StateKind::Parallel(p) => KindPlan::Parallel {
            branches: p.branches.clone(),
        },
        StateKind::Map(m) => {
            let optional = |p: Option<
                &orderflow_model::asl::model::Spanned<orderflow_model::asl::path::Path>,
            >| { p.map(|p| compile_path(state, &p.value)).transpose() };
            let reader = match &m.run.reader {
                Some(r) => Some(ReaderPlan {
                    resource: Resource::Opaque(r.resource.clone()),
                    parameters: match &r.parameters {
                        Some(t) => Some(payload(state, t)?),
                        None => None,
                    },
                    max_items: r.max_items,
                    max_items_path: optional(r.max_items_path.as_ref())?,
                    config: r.config.clone(),
                }),
                None => None,
            };
            let batcher = match &m.run.batcher {
                Some(b) => Some(BatcherPlan {
                    max_items: b.max_items_per_batch,
                    max_items_path: optional(b.max_items_per_batch_path.as_ref())?,
                    max_bytes: b.max_input_bytes_per_batch,
                    max_bytes_path: optional(b.max_input_bytes_per_batch_path.as_ref())?,
                    batch_input: match &b.batch_input {
                        Some(t) => Some(payload(state, t)?),
                        None => None,
                    },
                }),
                None => None,
            };
            let writer = match &m.run.writer {
                Some(w) => Some(WriterPlan {
                    resource: w.resource.clone(),
                    parameters: match &w.parameters {
                        Some(t) => Some(payload(state, t)?),
                        None => None,
                    },
                }),
                None => None,
            };
            let selector = m.item_selector.as_ref().or(io.parameters.as_ref());
            KindPlan::Map(Box::new(MapPlan {
                iterator: m.iterator,
                distributed: m.mode == orderflow_model::asl::model::MapMode::Distributed,
                items_path: optional(m.items_path.as_ref())?,
                item_selector: optional_payload(selector)?,
                max_concurrency: m.max_concurrency,
                max_concurrency_path: optional(m.run.max_concurrency_path.as_ref())?,
                tolerated_failure_count: m.run.tolerated_failure_count,
                express_children: m.run.express_children,
                tolerated_failure_count_path: optional(
                    m.run.tolerated_failure_count_path.as_ref(),
                )?,
                tolerated_failure_percentage: m.run.tolerated_failure_percentage,
                tolerated_failure_percentage_path: optional(
                    m.run.tolerated_failure_percentage_path.as_ref(),
                )?,
                reader,
                batcher,
                writer,
                jsonata_items: jsonata_template(m.items.as_ref().filter(|_| jsonata)),
                jsonata_item_selector: jsonata_template(
                    m.item_selector
                        .as_ref()
                        .map(|t| &t.json)
                        .filter(|_| jsonata),
                ),
            }))
        }
    };
    let is_map = matches!(state.kind, StateKind::Map(_));
    let mut plan = StatePlan {
        name: Arc::from(state.name.value.as_str()),
        jsonata,
        input_path: path_field(state, io.input_path.as_ref())?,
        output_path: path_field(state, io.output_path.as_ref())?,
        result_path: path_field(state, io.result_path.as_ref())?,
        parameters: if is_map {
            None
        } else {
            optional_payload(io.parameters.as_ref())?
        },
        result_selector: optional_payload(io.result_selector.as_ref())?,
        assign: optional_payload(state.assign_template.as_ref())?,
        jsonata_output: if jsonata {
            jsonata_template(io.output.as_ref())
        } else {
            None
        },
        jsonata_assign: jsonata_template(state.assign.as_ref().filter(|_| jsonata)),
        jsonata_arguments: jsonata_template(io.arguments.as_ref().filter(|_| jsonata)),
        next: target(state, state.next.as_ref())?,
        retriers: state
            .retriers()
            .iter()
            .map(|r| RetryPlan {
                error_equals: r.error_equals.iter().map(|e| e.value.clone()).collect(),
                retrier: r.clone(),
            })
            .collect(),
        catchers: state
            .catchers()
            .iter()
            .map(|c| catcher(state, c))
            .collect::<Result<_, _>>()?,
        kind,
        input_move: InputMove::Copy,
        contract: None,
    };
    plan.input_move = InputMove::of(&plan);
    Ok(plan)
}

pub fn build(machine: &StateMachine) -> Result<Plan, DefinitionError> {
    if machine.scopes.is_empty() {
        return Err(DefinitionError("the state machine has no states".into()));
    }
    let states = machine
        .states
        .iter()
        .map(state_plan)
        .collect::<Result<Vec<_>, _>>()?;
    let scope_starts = machine
        .scopes
        .iter()
        .map(|scope| {
            scope
                .start_at
                .as_ref()
                .and_then(|t| t.target)
                .ok_or_else(|| {
                    DefinitionError(format!(
                        "the scope at `{}` has no valid `StartAt`",
                        if scope.pointer.is_empty() {
                            "/"
                        } else {
                            &scope.pointer
                        }
                    ))
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Plan {
        states,
        scope_starts,
        top_level: machine.top().states.clone(),
    })
}
