//! Histories in AWS's shape against one AWS recorded: the LocalStack project's recording of
//! `get-execution-history` for two Lambda Tasks in a row (see `fixtures/aws-history/README.md`),
//! read back with the parser, and the same workflow run locally, event for event.

// A test fails by panicking: unwrap and expect say where.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use orderflow_exec::{
    ExecutionIdentity, ExecutionOptions, Executor, FnInvoker, HistoryDetail, aws_events,
    parse_aws_history,
};
use orderflow_model::asl::FunctionCatalog;
use orderflow_model::load_state_machine;
use serde_json::{Value, json};

const RECORDED: &str = include_str!("fixtures/aws-history/localstack-lambda-invoke-pipe.json");

/// The recorded test's state machine: step1's result is the next input, step2's goes under
/// `Return`.
const DEFINITION: &str = r#"{
  "StartAt": "step1",
  "States": {
    "step1": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:one", "Next": "step2"},
    "step2": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:two", "ResultPath": "$.Return", "End": true}
  }
}"#;

#[test]
fn a_recorded_aws_history_parses() {
    let events = parse_aws_history([("localstack-lambda-invoke-pipe.json", RECORDED)]).unwrap();
    let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "LambdaFunctionScheduled",
            "LambdaFunctionStarted",
            "LambdaFunctionSucceeded",
            "TaskStateExited",
            "TaskStateEntered",
            "LambdaFunctionScheduled",
            "LambdaFunctionStarted",
            "LambdaFunctionSucceeded",
            "TaskStateExited",
            "ExecutionSucceeded",
        ]
    );
    assert_eq!(
        events[10].payload("output"),
        Some(json!({"Return": {"Return": "HelloWorld"}}))
    );
    assert_eq!(events[1].previous_event_id, 0);
}

/// The recording's placeholders put into a local event, and JSON text decoded where the
/// recording decoded it (text starting with `{`).
fn as_recorded(mut event: Value) -> Value {
    let object = event.as_object_mut().unwrap();
    object.insert("timestamp".into(), json!("timestamp"));
    for (key, details) in object.iter_mut() {
        if !key.ends_with("EventDetails") {
            continue;
        }
        for (field, value) in details.as_object_mut().unwrap().iter_mut() {
            match field.as_str() {
                "roleArn" => *value = json!("snf_role_arn"),
                "resource" => {
                    let n = if value.as_str().unwrap().ends_with(":one") {
                        1
                    } else {
                        2
                    };
                    *value = json!(format!(
                        "arn:aws:lambda:<region>:111111111111:function:<lambda_function_{n}_name>"
                    ));
                }
                _ => {
                    if let Some(text) = value.as_str().filter(|t| t.starts_with('{')) {
                        *value = serde_json::from_str(text).unwrap();
                    }
                }
            }
        }
    }
    event
}

#[test]
fn a_local_run_gives_the_recorded_history() {
    let catalog = FunctionCatalog {
        functions_unknown: true,
        ..FunctionCatalog::default()
    };
    let machine = load_state_machine("pipe.asl.json", DEFINITION, &catalog)
        .unwrap_or_else(|e| panic!("{e:?}"));
    let executor = Executor::new(&machine).unwrap();
    let options = ExecutionOptions {
        history: HistoryDetail::Full,
        identity: ExecutionIdentity {
            account: "111111111111".into(),
            ..ExecutionIdentity::default()
        },
        ..ExecutionOptions::default()
    };
    let functions =
        FnInvoker(|_: &orderflow_exec::TaskRequest<'_>| Ok(json!({"Return": "HelloWorld"})));
    let execution = executor.execute_blocking(json!({}), &functions, &options);
    let local: Vec<Value> = aws_events(&execution.history)
        .into_iter()
        .map(as_recorded)
        .collect();
    let recorded: Value = serde_json::from_str(RECORDED).unwrap();
    let recorded = recorded["events"].as_array().unwrap();
    assert_eq!(local.len(), recorded.len());
    for (l, r) in local.iter().zip(recorded) {
        assert_eq!(l, r, "event {}", r["id"]);
    }
}
