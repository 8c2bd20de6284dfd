//! Task outcomes during exploration: what each Task state may return or raise, and the invoker
//! that answers from a script (outcomes fixed by invocation) and draws the rest.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use fastrand::Rng;
use serde_json::{Value, json};

use super::values::{Dictionary, Generator};
use crate::reads::{self, ReadTree, collect_hinted_paths};
use orderflow_exec::{
    BoxFuture, ContractError, Schema, TaskError, TaskInvoker, TaskRequest, lambda_event,
    lambda_invoke_response,
};
use orderflow_model::asl::error_names::names;
use orderflow_model::asl::model::{LambdaInvocation, Resource, StateKind};
use orderflow_model::schema::SchemaDocument;
use orderflow_model::workflow::Workflow;

/// How often a drawn Task outcome is a failure.
const FAILURE_RATE: f32 = 0.25;

/// What one Task invocation did.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The Task's result, as the service returns it (what a mock's `Return` holds).
    Return(Value),
    /// The Task failed.
    Throw { error: String, cause: String },
}

impl Outcome {
    /// The outcome as a mocked response's entry: `{"Return": …}` or `{"Throw": {…}}`.
    pub fn mock(&self) -> Value {
        match self {
            Outcome::Return(value) => json!({"Return": value}),
            Outcome::Throw { error, cause } => {
                json!({"Throw": {"Error": error, "Cause": cause}})
            }
        }
    }
}

/// One invocation of a Task state: the n-th of that state in the execution.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    pub state: String,
    pub index: u64,
    pub outcome: Outcome,
}

/// Outcomes fixed in advance, by (state, invocation); the invocations not in it are drawn.
#[derive(Debug, Clone, Default)]
pub struct Script(BTreeMap<(String, u64), Outcome>);

impl Script {
    /// The outcomes an execution had, as a script that repeats them.
    pub fn of(invocations: &[Invocation]) -> Self {
        Script(
            invocations
                .iter()
                .map(|i| ((i.state.clone(), i.index), i.outcome.clone()))
                .collect(),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Draws one invocation's outcome again, and forgets the ones after it of the same state
    /// (they answered a different history).
    pub fn reroll(&mut self, tasks: &TaskModels<'_>, rng: &mut Rng) {
        let keys: Vec<(String, u64)> = self.0.keys().cloned().collect();
        let Some((state, index)) = keys.get(rng.usize(..keys.len().max(1))).cloned() else {
            return;
        };
        self.0.retain(|(s, i), _| *s != state || *i < index);
        let outcome = tasks.draw(&state, rng);
        self.0.insert((state, index), outcome);
    }
}

/// What a Task's result is made from.
enum ResultSource<'w> {
    /// The function's (or token worker's) output schema.
    Schema(&'w SchemaDocument, Arc<Schema>),
    /// Nothing says: an object with what the definition reads of the result.
    Untyped(ReadTree),
    /// `sns:publish`'s response.
    SnsPublish,
    /// `sqs:sendMessage`'s response.
    SqsSendMessage,
}

/// What one Task state may return and raise.
struct TaskModel<'w> {
    result: ResultSource<'w>,
    /// `lambda:invoke` wraps the function's output as `{Payload, StatusCode, …}`.
    wrap_invoke: bool,
    /// The function's own errors (the manifest's, or for an untyped function the ones its
    /// Retry and Catch name).
    declared: Vec<String>,
    /// The errors AWS raises for this kind of Task.
    service: Vec<&'static str>,
}

/// Every Task state's model, by state name.
pub struct TaskModels<'w> {
    tasks: BTreeMap<String, TaskModel<'w>>,
    dictionary: &'w Dictionary,
    /// Everything the definition reads of state input.
    reads: ReadTree,
}

const LAMBDA_SERVICE_ERRORS: &[&str] = &[
    names::TASK_FAILED,
    names::TIMEOUT,
    "Lambda.ServiceException",
];
const SERVICE_ERRORS: &[&str] = &[names::TASK_FAILED, names::TIMEOUT];

impl<'w> TaskModels<'w> {
    /// Each Task state's model; `definition` is the definition's JSON, whose paths shape the
    /// results of untyped functions.
    pub fn new(
        workflow: &'w Workflow,
        definition: &Value,
        dictionary: &'w Dictionary,
    ) -> Result<Self, ContractError> {
        let mut paths = Vec::new();
        collect_hinted_paths(definition, &mut paths);
        let mut schemas: BTreeMap<&str, Arc<Schema>> = BTreeMap::new();
        let mut output_of = |name: &'w str| -> Result<Option<ResultSource<'w>>, ContractError> {
            let Some(function) = workflow.functions.get(name) else {
                return Ok(None);
            };
            let schema = match schemas.get(name) {
                Some(schema) => Arc::clone(schema),
                None => {
                    let schema = Arc::new(Schema::new(&function.output)?);
                    schemas.insert(name, Arc::clone(&schema));
                    schema
                }
            };
            Ok(Some(ResultSource::Schema(&function.output, schema)))
        };
        let mut tasks = BTreeMap::new();
        for (id, state) in workflow.machine.states.iter().enumerate() {
            let StateKind::Task(task) = &state.kind else {
                continue;
            };
            let handled: Vec<String> = task.errors.function_errors().map(str::to_owned).collect();
            let worker = workflow
                .functions
                .iter()
                .find(|(_, f)| f.completes_tokens_of.iter().any(|s| s.0 == id));
            let (function, result, wrap_invoke, service) = match &task.resource.value {
                Resource::Lambda {
                    function,
                    invocation: LambdaInvocation::InvokeWaitForTaskToken,
                } => (Some(function.as_str()), None, false, LAMBDA_SERVICE_ERRORS),
                Resource::Lambda {
                    function,
                    invocation,
                } => (
                    Some(function.as_str()),
                    output_of(function)?,
                    lambda_event(invocation, Value::Null).1,
                    LAMBDA_SERVICE_ERRORS,
                ),
                Resource::SqsSendMessage {
                    wait_for_task_token: true,
                    ..
                } => match worker {
                    Some((name, _)) => {
                        (Some(name.as_str()), output_of(name)?, false, SERVICE_ERRORS)
                    }
                    None => (None, None, false, SERVICE_ERRORS),
                },
                Resource::SqsSendMessage { .. } => (
                    None,
                    Some(ResultSource::SqsSendMessage),
                    false,
                    &[names::TASK_FAILED][..],
                ),
                Resource::SnsPublish { .. } => (
                    None,
                    Some(ResultSource::SnsPublish),
                    false,
                    &[names::TASK_FAILED][..],
                ),
                Resource::Opaque(_) => (None, None, false, SERVICE_ERRORS),
            };
            let reads = || {
                reads::state_json(definition, &state.name.value)
                    .map(|json| reads::result_tree(json, wrap_invoke, &paths))
                    .unwrap_or_default()
            };
            let result = result.unwrap_or_else(|| ResultSource::Untyped(reads()));
            let declared = match function.and_then(|f| workflow.functions.get(f)) {
                Some(function) => function.declared_errors.clone(),
                None => handled,
            };
            tasks.insert(
                state.name.value.clone(),
                TaskModel {
                    result,
                    wrap_invoke,
                    declared,
                    service: service.to_vec(),
                },
            );
        }
        let reads = ReadTree::hinted(paths.iter().map(|(names, kind)| (names.as_slice(), *kind)));
        Ok(TaskModels {
            tasks,
            dictionary,
            reads,
        })
    }

    /// Whether `state`'s result is made up from what the definition reads (an untyped
    /// function, a Map's ItemReader), not drawn from a schema.
    pub fn made_up(&self, state: &str) -> bool {
        self.tasks
            .get(state)
            .is_none_or(|t| matches!(t.result, ResultSource::Untyped(_)))
    }

    /// Whether `state`'s function declares `error`.
    pub fn declares(&self, state: &str, error: &str) -> bool {
        self.tasks
            .get(state)
            .is_some_and(|t| t.declared.iter().any(|e| e == error))
    }

    /// The errors drawn for `state`'s failures.
    pub fn errors_tried(&self, state: &str) -> Vec<String> {
        self.tasks
            .get(state)
            .map(|t| {
                t.declared
                    .iter()
                    .cloned()
                    .chain(t.service.iter().map(|s| (*s).to_owned()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A fresh outcome for one invocation of `state`.
    pub fn draw(&self, state: &str, rng: &mut Rng) -> Outcome {
        let mut generator = Generator {
            rng,
            dictionary: self.dictionary,
            reads: &self.reads,
        };
        // Not a Task: a Map's ItemReader, the one other state that invokes anything.
        let Some(task) = self.tasks.get(state) else {
            return Outcome::Return(generator.items());
        };
        let rng = &mut *generator.rng;
        if rng.f32() < FAILURE_RATE {
            // The function's own errors as often as AWS's.
            let error = if !task.declared.is_empty() && rng.bool() {
                task.declared[rng.usize(..task.declared.len())].clone()
            } else {
                let i = rng.usize(..task.service.len().max(1));
                task.service
                    .get(i)
                    .copied()
                    .unwrap_or(names::TASK_FAILED)
                    .to_owned()
            };
            let cause = format!("explore: `{state}` failed with {error}");
            return Outcome::Throw { error, cause };
        }
        let mut generator = Generator {
            rng,
            dictionary: self.dictionary,
            reads: &self.reads,
        };
        let value = match &task.result {
            ResultSource::Schema(document, schema) => {
                let mut value = generator.document(document);
                for _ in 0..4 {
                    if schema.accepts(&value) {
                        break;
                    }
                    value = generator.document(document);
                }
                value
            }
            ResultSource::Untyped(reads) => generator.tree_object(reads),
            ResultSource::SnsPublish => json!({
                "MessageId": format!("{:08x}-0000-4000-8000-000000000000", generator.rng.u32(..)),
                "SdkHttpMetadata": {"HttpStatusCode": 200},
            }),
            ResultSource::SqsSendMessage => json!({
                "MD5OfMessageBody": "d41d8cd98f00b204e9800998ecf8427e",
                "MessageId": format!("{:08x}-0000-4000-8000-000000000000", generator.rng.u32(..)),
            }),
        };
        Outcome::Return(if task.wrap_invoke {
            lambda_invoke_response(value, None)
        } else {
            value
        })
    }
}

/// Answers each invocation from the script, or draws it; records every outcome.
pub struct ScriptedInvoker<'a, 'w> {
    tasks: &'a TaskModels<'w>,
    script: &'a Script,
    state: Mutex<Progress>,
}

struct Progress {
    rng: Rng,
    counts: BTreeMap<String, u64>,
    invocations: Vec<Invocation>,
}

impl<'a, 'w> ScriptedInvoker<'a, 'w> {
    pub fn new(tasks: &'a TaskModels<'w>, script: &'a Script, seed: u64) -> Self {
        ScriptedInvoker {
            tasks,
            script,
            state: Mutex::new(Progress {
                rng: Rng::with_seed(seed),
                counts: BTreeMap::new(),
                invocations: Vec::new(),
            }),
        }
    }

    /// Every invocation's outcome, in order.
    pub fn into_invocations(self) -> Vec<Invocation> {
        self.state
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .invocations
    }
}

impl TaskInvoker for ScriptedInvoker<'_, '_> {
    fn invoke<'a>(&'a self, request: TaskRequest<'a>) -> BoxFuture<'a, Result<Value, TaskError>> {
        let mut progress = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let state = request.state_name.to_owned();
        let count = progress.counts.entry(state.clone()).or_default();
        let index = *count;
        *count += 1;
        let outcome = match self.script.0.get(&(state.clone(), index)) {
            Some(outcome) => outcome.clone(),
            None => self.tasks.draw(&state, &mut progress.rng),
        };
        progress.invocations.push(Invocation {
            state,
            index,
            outcome: outcome.clone(),
        });
        let result = match outcome {
            Outcome::Return(value) => Ok(value),
            Outcome::Throw { error, cause } => Err(TaskError::new(error, cause)),
        };
        Box::pin(std::future::ready(result))
    }
}
