//! Execution histories in AWS's shape: the events of `GetExecutionHistory`
//! (`aws stepfunctions get-execution-history`), written from a local run and read back from
//! AWS's documents.
//!
//! An event is `{"timestamp", "type", "id", "previousEventId", "<type>EventDetails": {…}}`,
//! with AWS's field names in the details: `input`/`output` as JSON text with their
//! `inputDetails`/`outputDetails`, `resource` and `resourceType` for tasks, `error` and
//! `cause` for failures. Event types without details (`ParallelStateStarted`,
//! `MapStateSucceeded`, …) carry none, as on AWS.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::ExecutionIdentity;
use crate::history::{EventType, HistoryEvent};
use orderflow_model::asl::model::{LambdaInvocation, Resource};
use orderflow_model::asl::timestamp::format_timestamp;

/// The ARN a Task's `Resource` names, as AWS records it in `TaskScheduled`/
/// `LambdaFunctionScheduled` events: the optimised integrations by their `arn:aws:states:::`
/// name, a Lambda function by its ARN in the execution's account and region.
pub fn resource_arn(resource: &Resource, identity: &ExecutionIdentity) -> String {
    let states = |name: &str| format!("arn:{}:states:::{name}", identity.partition);
    let token = |wait: bool| if wait { ".waitForTaskToken" } else { "" };
    match resource {
        Resource::Lambda {
            function,
            invocation,
        } => match invocation {
            LambdaInvocation::Invoke => states("lambda:invoke"),
            LambdaInvocation::InvokeWaitForTaskToken => states("lambda:invoke.waitForTaskToken"),
            LambdaInvocation::Arn { qualifier } => {
                let base = format!(
                    "arn:{}:lambda:{}:{}:function:{function}",
                    identity.partition, identity.region, identity.account
                );
                match qualifier {
                    Some(q) => format!("{base}:{q}"),
                    None => base,
                }
            }
            LambdaInvocation::Placeholder(_) => format!(
                "arn:{}:lambda:{}:{}:function:{function}",
                identity.partition, identity.region, identity.account
            ),
        },
        Resource::SqsSendMessage {
            wait_for_task_token,
        } => states(&format!("sqs:sendMessage{}", token(*wait_for_task_token))),
        Resource::SnsPublish {
            wait_for_task_token,
        } => states(&format!("sns:publish{}", token(*wait_for_task_token))),
        Resource::Opaque(arn) => arn.clone(),
    }
}

/// `arn:aws:states:::sqs:sendMessage.waitForTaskToken` → (`sqs`, `sendMessage.waitForTaskToken`):
/// a service integration's `resourceType` and `resource` as task events name them.
fn integration_parts(arn: &str) -> (String, String) {
    let name = arn.split(":::").nth(1).unwrap_or(arn);
    match name.split_once(':') {
        Some((service, action)) => (service.to_owned(), action.to_owned()),
        None => (String::new(), name.to_owned()),
    }
}

/// JSON as the text AWS sends in `input`, `output` and `parameters`.
fn text(value: &Value) -> Value {
    Value::String(value.to_string())
}

fn not_truncated() -> Value {
    json!({"truncated": false})
}

/// `field` (`input`, `output`) as JSON text, with its `<field>Details`, when there is a value.
fn put_text(details: &mut Map<String, Value>, field: &str, value: Option<Value>) {
    if let Some(value) = value {
        details.insert(field.to_owned(), value);
        details.insert(format!("{field}Details"), not_truncated());
    }
}

/// The members of `details` named in `keys` that are set (not `null`).
fn pick(details: Option<&Value>, keys: &[&str]) -> Map<String, Value> {
    keys.iter()
        .filter_map(|k| {
            let v = details?.get(*k)?;
            (!v.is_null()).then(|| ((*k).to_owned(), v.clone()))
        })
        .collect()
}

/// The execution's events as GetExecutionHistory returns them, oldest first. Needs a history
/// recorded with [`crate::HistoryDetail::Full`]; with less, inputs and outputs are missing.
pub fn aws_events(events: &[HistoryEvent]) -> Vec<Value> {
    // Task events after the scheduling one name the resource too.
    let mut resources: BTreeMap<&str, String> = BTreeMap::new();
    events
        .iter()
        .map(|event| {
            let details = event.details.as_ref();
            let state = event.state.as_deref().unwrap_or_default();
            let payload = |key: &str| details.and_then(|d| d.get(key)).map(text);
            let name = event.event_type.name();
            let mut out = Map::new();
            out.insert(
                "timestamp".into(),
                Value::String(format_timestamp(event.timestamp_millis)),
            );
            out.insert("type".into(), Value::String(name.to_owned()));
            out.insert("id".into(), json!(event.id));
            out.insert("previousEventId".into(), json!(event.previous_id));
            let body: Option<(String, Map<String, Value>)> = match event.event_type {
                EventType::ExecutionStarted => {
                    let mut m = Map::new();
                    put_text(&mut m, "input", payload("input"));
                    m.extend(pick(details, &["roleArn"]));
                    Some(("executionStartedEventDetails".into(), m))
                }
                EventType::ExecutionSucceeded => {
                    let mut m = Map::new();
                    put_text(&mut m, "output", payload("output"));
                    Some(("executionSucceededEventDetails".into(), m))
                }
                EventType::ExecutionFailed => Some((
                    "executionFailedEventDetails".into(),
                    pick(details, &["error", "cause"]),
                )),
                EventType::ExecutionTimedOut => Some((
                    "executionTimedOutEventDetails".into(),
                    pick(details, &["error", "cause"]),
                )),
                t if t.name().ends_with("StateEntered") => {
                    let mut m = Map::new();
                    m.insert("name".into(), Value::String(state.to_owned()));
                    put_text(&mut m, "input", payload("input"));
                    Some(("stateEnteredEventDetails".into(), m))
                }
                t if t.name().ends_with("StateExited") => {
                    let mut m = Map::new();
                    m.insert("name".into(), Value::String(state.to_owned()));
                    put_text(&mut m, "output", payload("output"));
                    // Each variable's value as JSON text.
                    if let Some(Value::Object(assigned)) =
                        details.and_then(|d| d.get("assignedVariables"))
                    {
                        let texts = assigned.iter().map(|(k, v)| (k.clone(), text(v))).collect();
                        m.insert("assignedVariables".into(), Value::Object(texts));
                        m.insert("assignedVariablesDetails".into(), not_truncated());
                    }
                    Some(("stateExitedEventDetails".into(), m))
                }
                EventType::MapStateStarted => Some((
                    "mapStateStartedEventDetails".into(),
                    pick(details, &["length"]),
                )),
                EventType::MapIterationStarted
                | EventType::MapIterationSucceeded
                | EventType::MapIterationFailed
                | EventType::MapIterationAborted => {
                    let mut m = Map::new();
                    m.insert("name".into(), Value::String(state.to_owned()));
                    m.extend(pick(details, &["index"]));
                    let key = format!("{}{}EventDetails", name[..1].to_lowercase(), &name[1..]);
                    Some((key, m))
                }
                EventType::MapRunStarted => Some((
                    "mapRunStartedEventDetails".into(),
                    pick(details, &["mapRunArn"]),
                )),
                EventType::MapRunSucceeded => None,
                EventType::MapRunFailed => Some((
                    "mapRunFailedEventDetails".into(),
                    pick(details, &["error", "cause"]),
                )),
                EventType::EvaluationFailed => Some((
                    "evaluationFailedEventDetails".into(),
                    pick(details, &["error", "cause", "location", "state"]),
                )),
                EventType::LambdaFunctionScheduled => {
                    let mut m = pick(details, &["resource"]);
                    put_text(&mut m, "input", payload("parameters"));
                    m.extend(pick(details, &["timeoutInSeconds"]));
                    Some(("lambdaFunctionScheduledEventDetails".into(), m))
                }
                EventType::LambdaFunctionStarted => None,
                EventType::LambdaFunctionSucceeded => {
                    let mut m = Map::new();
                    put_text(&mut m, "output", payload("output"));
                    Some(("lambdaFunctionSucceededEventDetails".into(), m))
                }
                EventType::LambdaFunctionFailed => Some((
                    "lambdaFunctionFailedEventDetails".into(),
                    pick(details, &["error", "cause"]),
                )),
                EventType::LambdaFunctionTimedOut => Some((
                    "lambdaFunctionTimedOutEventDetails".into(),
                    pick(details, &["error", "cause"]),
                )),
                EventType::TaskScheduled => {
                    let arn = details
                        .and_then(|d| d.get("resource"))
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned();
                    let (resource_type, resource) = integration_parts(&arn);
                    resources.insert(state, arn);
                    let mut m = Map::new();
                    m.insert("resourceType".into(), Value::String(resource_type));
                    m.insert("resource".into(), Value::String(resource));
                    m.extend(pick(details, &["region"]));
                    if let Some(parameters) = payload("parameters") {
                        m.insert("parameters".into(), parameters);
                    }
                    m.extend(pick(details, &["timeoutInSeconds", "heartbeatInSeconds"]));
                    Some(("taskScheduledEventDetails".into(), m))
                }
                EventType::TaskStarted
                | EventType::TaskSubmitted
                | EventType::TaskSucceeded
                | EventType::TaskFailed
                | EventType::TaskTimedOut => {
                    let (resource_type, resource) =
                        integration_parts(resources.get(state).map_or("", String::as_str));
                    let mut m = Map::new();
                    m.insert("resourceType".into(), Value::String(resource_type));
                    m.insert("resource".into(), Value::String(resource));
                    put_text(&mut m, "output", payload("output"));
                    m.extend(pick(details, &["error", "cause"]));
                    let key = format!("{}{}EventDetails", name[..1].to_lowercase(), &name[1..]);
                    Some((key, m))
                }
                _ => None,
            };
            if let Some((key, details)) = body {
                out.insert(key, Value::Object(details));
            }
            Value::Object(out)
        })
        .collect()
}

/// `{"events": […]}`, the document `aws stepfunctions get-execution-history` prints.
pub fn aws_history_document(events: &[HistoryEvent]) -> Value {
    json!({ "events": aws_events(events) })
}

/// One event of an AWS execution history document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AwsHistoryEvent {
    /// The event's number, from 1.
    pub id: u64,
    /// The event it follows (0 for none).
    #[serde(default)]
    pub previous_event_id: u64,
    /// `TaskStateEntered`, `ExecutionFailed`, …
    #[serde(rename = "type")]
    pub event_type: String,
    /// As the document gives it: ISO 8601 text (the CLI) or seconds since the epoch (the API).
    #[serde(default)]
    pub timestamp: Value,
    /// The `<type>EventDetails` member (its key, its object), if the event has one.
    #[serde(flatten)]
    pub details: BTreeMap<String, Value>,
}

impl AwsHistoryEvent {
    /// The event's details object, whatever its key.
    pub fn details(&self) -> Option<&Value> {
        self.details
            .iter()
            .find(|(k, _)| k.ends_with("EventDetails"))
            .map(|(_, v)| v)
    }

    /// A JSON-text field of the details (`input`, `output`, `parameters`) parsed, or the value
    /// itself when it is not JSON text.
    pub fn payload(&self, field: &str) -> Option<Value> {
        let value = self.details()?.get(field)?;
        Some(match value {
            Value::String(s) => serde_json::from_str(s).unwrap_or_else(|_| value.clone()),
            other => other.clone(),
        })
    }
}

/// Why a history document could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HistoryParseError {
    /// Not JSON, or not `{"events": [...]}` with events as AWS writes them.
    #[error("{source_name}: not an execution history (`{{\"events\": [...]}}`): {message}")]
    Malformed {
        /// The document's name (its file).
        source_name: String,
        /// What is wrong.
        message: String,
    },
    /// Two documents hold different events under one id: pages of two executions.
    #[error(
        "{source_name}: event {id} differs from the event with that id in an earlier document; are these pages of different executions?"
    )]
    Conflict {
        /// The document's name (its file).
        source_name: String,
        /// The event id.
        id: u64,
    },
}

#[derive(Deserialize)]
struct Page {
    events: Vec<AwsHistoryEvent>,
}

/// Reads one execution's history from one or more documents: the output of
/// `get-execution-history`, with or without `--reverse-order`, whole or in pages (each page a
/// document; a file may also hold several documents one after another, as a paginated CLI
/// output concatenated). Events come back oldest first, each once.
///
/// # Errors
///
/// A document that is not a history, or pages that disagree about an event.
pub fn parse_aws_history<'a>(
    documents: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Vec<AwsHistoryEvent>, HistoryParseError> {
    let mut by_id: BTreeMap<u64, AwsHistoryEvent> = BTreeMap::new();
    for (source_name, text) in documents {
        let malformed = |message: String| HistoryParseError::Malformed {
            source_name: source_name.to_owned(),
            message,
        };
        let mut pages = serde_json::Deserializer::from_str(text).into_iter::<Page>();
        let mut read_any = false;
        for page in &mut pages {
            let page = page.map_err(|e| malformed(e.to_string()))?;
            read_any = true;
            for event in page.events {
                match by_id.get(&event.id) {
                    Some(existing) if *existing != event => {
                        return Err(HistoryParseError::Conflict {
                            source_name: source_name.to_owned(),
                            id: event.id,
                        });
                    }
                    Some(_) => {}
                    None => {
                        by_id.insert(event.id, event);
                    }
                }
            }
        }
        if !read_any {
            return Err(malformed("the document is empty".into()));
        }
    }
    Ok(by_id.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: u64, previous: u64, event_type: &str) -> String {
        format!(
            r#"{{"timestamp": "2024-01-01T00:00:0{id}.000Z", "type": "{event_type}", "id": {id}, "previousEventId": {previous}}}"#
        )
    }

    #[test]
    fn reverse_order_and_pages_read_back_oldest_first() {
        let reversed = format!(
            r#"{{"events": [{}, {}, {}]}}"#,
            event(3, 2, "PassStateExited"),
            event(2, 0, "PassStateEntered"),
            event(1, 0, "ExecutionStarted"),
        );
        let Ok(events) = parse_aws_history([("reversed.json", reversed.as_str())]) else {
            panic!("reads");
        };
        let ids: Vec<u64> = events.iter().map(|e| e.id).collect();
        assert_eq!(ids, [1, 2, 3]);

        // Two pages in one file (a paginated CLI output), and a second file overlapping.
        let first = format!(
            r#"{{"events": [{}, {}], "nextToken": "t"}} {{"events": [{}]}}"#,
            event(1, 0, "ExecutionStarted"),
            event(2, 0, "PassStateEntered"),
            event(3, 2, "PassStateExited"),
        );
        let second = format!(
            r#"{{"events": [{}, {}]}}"#,
            event(3, 2, "PassStateExited"),
            event(4, 3, "ExecutionSucceeded")
        );
        let Ok(events) =
            parse_aws_history([("a.json", first.as_str()), ("b.json", second.as_str())])
        else {
            panic!("reads");
        };
        assert_eq!(events.len(), 4);
        assert_eq!(events[3].event_type, "ExecutionSucceeded");
        assert_eq!(events[1].previous_event_id, 0);
    }

    #[test]
    fn conflicting_pages_and_non_histories_are_errors() {
        let a = format!(r#"{{"events": [{}]}}"#, event(1, 0, "ExecutionStarted"));
        let b = format!(r#"{{"events": [{}]}}"#, event(1, 0, "PassStateEntered"));
        let conflict = parse_aws_history([("a.json", a.as_str()), ("b.json", b.as_str())]);
        assert!(matches!(
            conflict,
            Err(HistoryParseError::Conflict { id: 1, .. })
        ));
        let not = parse_aws_history([("x.json", r#"{"executions": []}"#)]);
        let Err(error) = not else {
            panic!("refused");
        };
        assert!(
            error
                .to_string()
                .starts_with("x.json: not an execution history")
        );
        assert!(parse_aws_history([("e.json", "")]).is_err());
    }

    #[test]
    fn details_are_read_with_their_json_text_parsed() {
        let doc = r#"{"events": [{"id": 1, "previousEventId": 0, "type": "ExecutionStarted",
            "timestamp": 1700000000.5,
            "executionStartedEventDetails": {"input": "{\"a\": 1}", "inputDetails": {"truncated": false}, "roleArn": "arn:aws:iam::1:role/r"}}]}"#;
        let Ok(events) = parse_aws_history([("d.json", doc)]) else {
            panic!("reads");
        };
        assert_eq!(events[0].payload("input"), Some(json!({"a": 1})));
        assert_eq!(
            events[0].details().and_then(|d| d.get("roleArn")),
            Some(&json!("arn:aws:iam::1:role/r"))
        );
    }

    #[test]
    fn integrations_split_into_resource_type_and_resource() {
        assert_eq!(
            integration_parts("arn:aws:states:::sqs:sendMessage.waitForTaskToken"),
            ("sqs".into(), "sendMessage.waitForTaskToken".into())
        );
        assert_eq!(
            integration_parts("arn:aws:states:::lambda:invoke"),
            ("lambda".into(), "invoke".into())
        );
    }
}
