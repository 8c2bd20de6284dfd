//! `init`: a workflow folder made from a definition teams already have, with schemas inferred
//! from recorded executions, sample payloads and the definition itself.
//!
//! The core here returns the folder's files ([`InitFolder`]); the command writes them
//! (`cli::init`). What it infers:
//!
//! - from each history (`get-execution-history` documents): the execution input
//!   (`ExecutionStarted`), each function's input and output (what its Task scheduled and what
//!   succeeded; for `lambda:invoke`, the `Payload` on both sides), and the errors it failed with;
//! - from samples (`samples/<function>/*.input.json`, `*.output.json`, JSON or JSON Lines);
//! - from the definition: the error names each function's Retry/Catch clauses handle, and, for
//!   a function nobody observed, the properties its Task's `Parameters` send (a skeleton that
//!   names them and leaves their types open).
//!
//! Each history also becomes an example input and a test case of a mock file in Step Functions
//! Local's format, so `run --mocks … --test-case …` replays the execution offline.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use orderflow_exec::AwsHistoryEvent;
use orderflow_model::asl::model::{
    LambdaInvocation, PayloadNode, Resource, StateKind, is_function_error,
};
use orderflow_model::infer::Observations;
use orderflow_model::manifest::WorkflowType;
use orderflow_model::workflow::Workflow;

use crate::reads::{ReadKind, collect_hinted_paths, path_names, result_tree};

/// One recorded execution, by the name its example and test case get.
#[derive(Debug, Clone)]
pub struct RecordedExecution {
    /// The file stem (`confirmed` for `confirmed.history.json`).
    pub name: String,
    /// Its events, oldest first.
    pub events: Vec<AwsHistoryEvent>,
}

/// Payloads observed for one function.
#[derive(Debug, Clone, Default)]
pub struct FunctionSamples {
    /// What it received.
    pub inputs: Vec<Value>,
    /// What it returned.
    pub outputs: Vec<Value>,
}

/// The files of the folder `init` writes, by path relative to it, in writing order.
#[derive(Debug, Clone, Default)]
pub struct InitFolder {
    /// (relative path, contents).
    pub files: Vec<(String, String)>,
}

/// What the folder is made from.
pub struct InitSource<'a> {
    /// The workflow's name (the folder's).
    pub name: &'a str,
    /// The definition as JSON, `${…}` placeholders kept.
    pub definition: &'a Value,
    /// The checked model of that definition (untyped functions allowed).
    pub workflow: &'a Workflow,
    /// `${Placeholder}` → function, from the template that held the definition.
    pub placeholders: &'a BTreeMap<String, String>,
    /// Recorded executions.
    pub histories: &'a [RecordedExecution],
    /// Sample payloads by function.
    pub samples: &'a BTreeMap<String, FunctionSamples>,
}

/// A Task of the definition that invokes a function.
struct FunctionTask<'a> {
    state: &'a str,
    function: &'a str,
    /// `arn:aws:states:::lambda:invoke`: the function's payload is `Payload` on both sides.
    invoke_api: bool,
    /// The names its `Parameters` (or JSONata `Arguments`) send, when they are a fixed object.
    sent: Vec<String>,
    /// The names of its result the definition reads: through its `ResultSelector`, or through
    /// its `ResultPath` in a path anywhere (`$.total.amount` after `"ResultPath": "$.total"`).
    read: BTreeSet<String>,
    handled: Vec<String>,
}

fn function_tasks<'w>(workflow: &'w Workflow, definition: &Value) -> Vec<FunctionTask<'w>> {
    let mut paths = Vec::new();
    collect_hinted_paths(definition, &mut paths);
    let mut tasks = Vec::new();
    for state in &workflow.machine.states {
        let StateKind::Task(task) = &state.kind else {
            continue;
        };
        let Resource::Lambda {
            function,
            invocation,
        } = &task.resource.value
        else {
            continue;
        };
        let invoke_api = matches!(
            invocation,
            LambdaInvocation::Invoke | LambdaInvocation::InvokeWaitForTaskToken
        );
        let mut sent: Vec<String> = match &state.io.parameters {
            Some(template) => match &template.root {
                PayloadNode::Object(members) => {
                    members.iter().map(|(name, _)| name.value.clone()).collect()
                }
                _ => Vec::new(),
            },
            None => state
                .io
                .task_arguments()
                .and_then(|a| a.as_object())
                .map(|ms| ms.iter().map(|m| m.key.clone()).collect())
                .unwrap_or_default(),
        };
        // With the Invoke API, the function receives `Payload`.
        if invoke_api {
            sent = match &state.io.parameters {
                Some(template) => match &template.root {
                    PayloadNode::Object(members) => members
                        .iter()
                        .find(|(name, _)| name.value == "Payload")
                        .and_then(|(_, node)| match node {
                            PayloadNode::Object(inner) => {
                                Some(inner.iter().map(|(n, _)| n.value.clone()).collect())
                            }
                            _ => None,
                        })
                        .unwrap_or_default(),
                    _ => Vec::new(),
                },
                None => Vec::new(),
            };
        }
        let handled = task.errors.function_errors().map(str::to_owned).collect();
        let written = definition.pointer(&state.pointer);
        let read = result_reads(written, invoke_api, &paths);
        tasks.push(FunctionTask {
            state: &state.name.value,
            function,
            invoke_api,
            sent,
            read,
            handled,
        });
    }
    tasks
}

/// The names of a Task's result that the definition reads (see [`FunctionTask::read`]). A
/// Task without `ResultPath` replaces its input, so nothing tells its own names apart.
fn result_reads(
    state: Option<&Value>,
    invoke_api: bool,
    paths: &[(Vec<String>, Option<ReadKind>)],
) -> BTreeSet<String> {
    let Some(state) = state else {
        return BTreeSet::new();
    };
    if state.get("ResultSelector").is_none()
        && state
            .get("ResultPath")
            .and_then(Value::as_str)
            .and_then(path_names)
            .is_none_or(|p| p.is_empty())
    {
        return BTreeSet::new();
    }
    result_tree(state, invoke_api, paths)
        .0
        .into_keys()
        .collect()
}

/// What one history says about each Task state: every attempt in order, and the payloads.
#[derive(Default)]
struct TaskRecord {
    /// `Ok(result)` or `Err((error, cause))`, per invocation.
    attempts: Vec<Result<Value, (String, Option<String>)>>,
    /// What was sent, per invocation.
    sent: Vec<Value>,
}

/// Each Task state's invocations in one history. Events are tied to their state through
/// `previousEventId`, so interleaved Parallel branches and Map iterations stay apart.
fn task_records(events: &[AwsHistoryEvent]) -> BTreeMap<String, TaskRecord> {
    let mut state_of: BTreeMap<u64, String> = BTreeMap::new();
    let mut records: BTreeMap<String, TaskRecord> = BTreeMap::new();
    for event in events {
        let state = if event.event_type.ends_with("StateEntered") {
            event
                .details()
                .and_then(|d| d.get("name"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        } else {
            state_of.get(&event.previous_event_id).cloned()
        };
        let Some(state) = state else {
            continue;
        };
        state_of.insert(event.id, state.clone());
        let kind = event.event_type.as_str();
        if !matches!(
            kind,
            "LambdaFunctionScheduled"
                | "TaskScheduled"
                | "LambdaFunctionSucceeded"
                | "TaskSucceeded"
                | "LambdaFunctionFailed"
                | "LambdaFunctionTimedOut"
                | "TaskFailed"
                | "TaskTimedOut"
        ) {
            continue;
        }
        let record = records.entry(state).or_default();
        match kind {
            "LambdaFunctionScheduled" => {
                if let Some(input) = event.payload("input") {
                    record.sent.push(input);
                }
            }
            "TaskScheduled" => {
                if let Some(parameters) = event.payload("parameters") {
                    record.sent.push(parameters);
                }
            }
            "LambdaFunctionSucceeded" | "TaskSucceeded" => {
                let output = event.payload("output").unwrap_or(Value::Null);
                record.attempts.push(Ok(output));
            }
            "LambdaFunctionFailed" | "LambdaFunctionTimedOut" | "TaskFailed" | "TaskTimedOut" => {
                let details = event.details();
                let field = |k: &str| {
                    details
                        .and_then(|d| d.get(k))
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                };
                let error = field("error").unwrap_or_else(|| "States.TaskFailed".into());
                record.attempts.push(Err((error, field("cause"))));
            }
            _ => {}
        }
    }
    records
}

/// The Invoke API's `Payload`, or the value itself.
fn payload_of(value: &Value, invoke_api: bool) -> Option<Value> {
    if invoke_api {
        value.get("Payload").cloned()
    } else {
        Some(value.clone())
    }
}

fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

/// The folder for `source`.
pub fn init_folder(source: &InitSource<'_>) -> InitFolder {
    let tasks = function_tasks(source.workflow, source.definition);
    let mut functions: BTreeSet<&str> = tasks.iter().map(|t| t.function).collect();
    functions.extend(source.samples.keys().map(String::as_str));

    let mut inputs: BTreeMap<&str, Observations> = BTreeMap::new();
    let mut outputs: BTreeMap<&str, Observations> = BTreeMap::new();
    let mut observed_errors: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let mut execution_input = Observations::new();
    let mut test_cases = Map::new();
    let mut responses = Map::new();
    let mut examples = Vec::new();

    for history in source.histories {
        if let Some(input) = history
            .events
            .iter()
            .find(|e| e.event_type == "ExecutionStarted")
            .and_then(|e| e.payload("input"))
        {
            execution_input.observe(&input);
            examples.push((format!("examples/{}.json", history.name), pretty(&input)));
        }
        let mut case = Map::new();
        // Every Task is mocked (queues and topics too); functions also give samples.
        for (state, record) in task_records(&history.events) {
            let task = tasks.iter().find(|t| t.state == state);
            if let Some(task) = task {
                for sent in &record.sent {
                    if let Some(payload) = payload_of(sent, task.invoke_api) {
                        inputs.entry(task.function).or_default().observe(&payload);
                    }
                }
            }
            let mut attempts = Map::new();
            for (n, attempt) in record.attempts.iter().enumerate() {
                let response = match attempt {
                    Ok(result) => {
                        if let Some(task) = task {
                            if let Some(payload) = payload_of(result, task.invoke_api) {
                                outputs.entry(task.function).or_default().observe(&payload);
                            }
                        }
                        json!({"Return": result})
                    }
                    Err((error, cause)) => {
                        if let Some(task) = task.filter(|_| is_function_error(error)) {
                            observed_errors
                                .entry(task.function)
                                .or_default()
                                .insert(error.clone());
                        }
                        json!({"Throw": {"Error": error, "Cause": cause.clone().unwrap_or_default()}})
                    }
                };
                attempts.insert(n.to_string(), response);
            }
            if !attempts.is_empty() {
                let response_name = format!("{}: {state}", history.name);
                case.insert(state.clone(), json!(response_name));
                responses.insert(response_name, Value::Object(attempts));
            }
        }
        test_cases.insert(history.name.clone(), Value::Object(case));
    }
    for (function, samples) in source.samples {
        for input in &samples.inputs {
            inputs.entry(function).or_default().observe(input);
        }
        for output in &samples.outputs {
            outputs.entry(function).or_default().observe(output);
        }
    }

    let mut files = vec![("workflow.asl.json".to_owned(), pretty(source.definition))];
    files.push((
        "orderflow.json".into(),
        pretty(&manifest(source, &tasks, &observed_errors)),
    ));
    let runs = source.histories.len();
    let sample_files = !source.samples.is_empty();
    let provenance = |what: &str, samples: usize| {
        format!(
            "{what}: inferred by `orderflow-codegen init` from {samples} observed value{} \
             ({runs} recorded execution{}{}); review it, then edit it freely.",
            if samples == 1 { "" } else { "s" },
            if runs == 1 { "" } else { "s" },
            if sample_files {
                " and sample files"
            } else {
                ""
            }
        )
    };
    let input_schema = if execution_input.is_empty() {
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "description": "The execution input: no execution was recorded, so its type is left open.",
        })
    } else {
        execution_input.to_schema("", Some(&provenance("The execution input", runs)))
    };
    files.push(("schemas/execution.input.json".into(), pretty(&input_schema)));
    for function in &functions {
        let sent: BTreeSet<&str> = tasks
            .iter()
            .filter(|t| t.function == *function)
            .flat_map(|t| t.sent.iter().map(|s| s.trim_end_matches(".$")))
            .collect();
        let input = schema_for(
            inputs.get(function),
            &format!("What {function} receives"),
            &sent,
            &provenance,
        );
        let read: BTreeSet<&str> = tasks
            .iter()
            .filter(|t| t.function == *function)
            .flat_map(|t| t.read.iter().map(String::as_str))
            .collect();
        let output = schema_for(
            outputs.get(function),
            &format!("What {function} returns"),
            &read,
            &provenance,
        );
        files.push((format!("schemas/{function}.input.json"), pretty(&input)));
        files.push((format!("schemas/{function}.output.json"), pretty(&output)));
    }
    files.extend(examples);
    if !test_cases.is_empty() {
        let mocks = json!({
            "StateMachines": {source.name: {"TestCases": test_cases}},
            "MockedResponses": responses,
        });
        files.push(("recorded.mocks.json".into(), pretty(&mocks)));
    }
    InitFolder { files }
}

/// A function's input or output schema: inferred from what was observed, with the properties
/// the definition sends it added where no sample had them; a skeleton when nothing was.
fn schema_for(
    observed: Option<&Observations>,
    what: &str,
    sent: &BTreeSet<&str>,
    provenance: &dyn Fn(&str, usize) -> String,
) -> Value {
    let count = observed.map_or(0, Observations::count);
    let mut schema = match observed.filter(|o| !o.is_empty()) {
        Some(observed) => observed.to_schema("", Some(&provenance(what, count))),
        None => {
            // Open: a schema that says nothing accepts anything, so the data-flow check assumes
            // nothing about it (an empty object type would declare that it has no properties).
            let description = if sent.is_empty() {
                format!(
                    "{what}: nothing was observed, so any value is accepted; write its type, \
                     or run `init` with histories or samples."
                )
            } else {
                format!(
                    "{what}: nothing was observed, so `init` wrote the properties the \
                     definition sends or reads and left their types open; tighten them, or run \
                     `init` with histories or samples."
                )
            };
            let mut schema = json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "description": description,
            });
            if !sent.is_empty() {
                schema["type"] = json!("object");
            }
            schema
        }
    };
    if !sent.is_empty() {
        if let Some(object) = schema.as_object_mut() {
            let properties = object
                .entry("properties")
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .map(std::mem::take)
                .unwrap_or_default();
            let mut properties = properties;
            let mut required: Vec<Value> = object
                .get("required")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for name in sent {
                if !properties.contains_key(*name) {
                    properties.insert(
                        (*name).to_owned(),
                        json!({"description": "Named by the definition; no value was observed, so any value is accepted."}),
                    );
                    if count == 0 {
                        required.push(json!(name));
                    }
                }
            }
            object.insert("properties".into(), Value::Object(properties));
            if !required.is_empty() {
                object.insert("required".into(), Value::Array(required));
            }
        }
    }
    schema
}

fn manifest(
    source: &InitSource<'_>,
    tasks: &[FunctionTask<'_>],
    observed_errors: &BTreeMap<&str, BTreeSet<String>>,
) -> Value {
    let mut functions = Map::new();
    let names: BTreeSet<&str> = tasks
        .iter()
        .map(|t| t.function)
        .chain(source.samples.keys().map(String::as_str))
        .collect();
    for function in names {
        let mut errors: BTreeSet<String> = tasks
            .iter()
            .filter(|t| t.function == function)
            .flat_map(|t| t.handled.iter().cloned())
            .collect();
        errors.extend(observed_errors.get(function).into_iter().flatten().cloned());
        let mut entry = Map::new();
        if !errors.is_empty() {
            entry.insert("errors".into(), json!(errors));
        }
        functions.insert(function.to_owned(), Value::Object(entry));
    }
    let mut manifest = Map::new();
    manifest.insert(
        "description".into(),
        json!(format!(
            "{}: created by `orderflow-codegen init` from its definition and {} recorded execution{}.",
            source.name,
            source.histories.len(),
            if source.histories.len() == 1 { "" } else { "s" }
        )),
    );
    manifest.insert("functions".into(), Value::Object(functions));
    let (queues, topics) = queues_and_topics(source.workflow);
    if !queues.is_empty() {
        manifest.insert("queues".into(), Value::Object(queues));
    }
    if !topics.is_empty() {
        manifest.insert("topics".into(), Value::Object(topics));
    }
    if !source.placeholders.is_empty() {
        manifest.insert("placeholders".into(), json!(source.placeholders));
    }
    // The template's Express stays Express; Standard is the default and goes unsaid.
    if source.workflow.workflow_type != WorkflowType::Standard {
        manifest.insert("type".into(), json!(source.workflow.workflow_type));
    }
    Value::Object(manifest)
}

/// The queues and topics the SQS and SNS integrations address through a `${Placeholder}`
/// (`QueueUrl`, `TopicArn`), named after it (`${OrdersQueueUrl}` → `orders`).
fn queues_and_topics(workflow: &Workflow) -> (Map<String, Value>, Map<String, Value>) {
    let (mut queues, mut topics) = (Map::new(), Map::new());
    for state in &workflow.machine.states {
        let StateKind::Task(task) = &state.kind else {
            continue;
        };
        let (field, suffixes, into) = match &task.resource.value {
            Resource::SqsSendMessage { .. } => ("QueueUrl", ["QueueUrl", "Url"], &mut queues),
            Resource::SnsPublish { .. } => ("TopicArn", ["TopicArn", "Arn"], &mut topics),
            _ => continue,
        };
        let written = state
            .io
            .parameters
            .as_ref()
            .map(|p| &p.json)
            .or_else(|| state.io.task_arguments())
            .and_then(|json| json.get(field))
            .and_then(|value| value.as_str());
        let Some(placeholder) = written
            .and_then(|v| v.strip_prefix("${"))
            .and_then(|v| v.strip_suffix('}'))
        else {
            continue;
        };
        let stem = suffixes
            .iter()
            .find_map(|s| placeholder.strip_suffix(s).filter(|rest| !rest.is_empty()))
            .unwrap_or(placeholder);
        into.insert(
            heck::ToLowerCamelCase::to_lower_camel_case(stem),
            json!({"placeholder": placeholder}),
        );
    }
    (queues, topics)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_results_reads_come_from_its_result_path_or_its_selector() {
        let definition = json!({"States": {
            "Price": {"Type": "Task", "ResultPath": "$.priced", "Next": "Bill"},
            "Bill": {"Type": "Task", "Parameters": {"amount.$": "$.priced.total", "who.$": "$.user"}},
            "Check": {"Type": "Choice", "Choices": [{"Variable": "$.priced.currency", "StringEquals": "EUR"}]},
            "Invoke": {"Type": "Task", "ResultSelector": {"n.$": "$.Payload.count", "code.$": "$.StatusCode"}}
        }});
        let mut paths = Vec::new();
        collect_hinted_paths(&definition, &mut paths);
        let price = result_reads(definition.pointer("/States/Price"), false, &paths);
        assert_eq!(
            price.into_iter().collect::<Vec<_>>(),
            ["currency", "total"],
            "ResultPath itself is a write, not a read"
        );
        let invoke = result_reads(definition.pointer("/States/Invoke"), true, &paths);
        assert_eq!(invoke.into_iter().collect::<Vec<_>>(), ["count"]);
    }
}
