//! `run --redrive HISTORY`: a failed execution restarted from the state that failed, as
//! `RedriveExecution` does (https://docs.aws.amazon.com/step-functions/latest/dg/redrive-executions.html):
//! a Map re-runs only the iterations that did not succeed, a Parallel only the branches.

// A test fails by panicking: unwrap and expect say where (the workspace denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

mod support;
use support::codegen_in;

/// `run DEFINITION --mocks mocks.json EXTRA…` in `dir`, which must succeed; its JSON output.
fn run_with_mocks(dir: &std::path::Path, definition: &str, extra: &[&str]) -> Value {
    let mut args = vec!["run", definition, "--mocks", "mocks.json"];
    args.extend_from_slice(extra);
    let output = codegen_in(dir, &args);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice::<Value>(&output.stdout).unwrap()
}

/// Writes `definition` (as `machine.asl.json`), `mocks` and `input` into `dir`, runs the
/// `FirstRun` test case, which must fail, then redrives its history (in AWS's shape) with the
/// `Redrive` test case and `extra` arguments; the redriven run's JSON output.
fn fail_then_redrive(
    dir: &std::path::Path,
    definition: &Value,
    mocks: &Value,
    input: &Value,
    extra: &[&str],
) -> Value {
    std::fs::write(dir.join("machine.asl.json"), definition.to_string()).unwrap();
    std::fs::write(dir.join("mocks.json"), mocks.to_string()).unwrap();
    std::fs::write(dir.join("input.json"), input.to_string()).unwrap();
    let history = run_with_mocks(
        dir,
        "machine.asl.json",
        &[
            "--input",
            "input.json",
            "--test-case",
            "FirstRun",
            "--history-format",
            "aws",
        ],
    );
    let events = history["events"].as_array().unwrap();
    assert_eq!(events.last().unwrap()["type"], "ExecutionFailed");
    std::fs::write(dir.join("failed.json"), history.to_string()).unwrap();
    let mut args = vec!["--redrive", "failed.json", "--test-case", "Redrive"];
    args.extend_from_slice(extra);
    run_with_mocks(dir, "machine.asl.json", &args)
}

/// Three orders charged by a Map; in the first run the second charge is declined, which fails
/// the Map and the execution. The mocks of the redrive answer two calls: the second and third
/// orders are charged again, the first keeps its recorded result.
#[test]
fn a_redriven_map_reruns_only_the_failed_iterations() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let definition = json!({
        "StartAt": "Prepare",
        "States": {
            "Prepare": {"Type": "Pass", "Next": "ChargeAll"},
            "ChargeAll": {
                "Type": "Map", "ItemsPath": "$.orders", "ResultPath": "$.charges", "Next": "Done",
                "ItemProcessor": {"StartAt": "Charge", "States": {"Charge": {
                    "Type": "Task", "End": true,
                    "Resource": "arn:aws:lambda:us-east-1:123456789012:function:charge",
                    "Parameters": {"order.$": "$", "redrives.$": "$$.Execution.RedriveCount"}}}}
            },
            "Done": {"Type": "Succeed"}
        }
    });
    let mocks = json!({
        "StateMachines": {"orders": {"TestCases": {
            "FirstRun": {"Charge": "Declined"},
            "Redrive": {"Charge": "Accepted"}
        }}},
        "MockedResponses": {
            "Declined": {
                "0": {"Return": {"charged": "o-1", "run": 1}},
                "1": {"Throw": {"Error": "CardDeclined", "Cause": "the card was declined"}}
            },
            "Accepted": {
                "0": {"Return": {"charged": "o-2", "run": 2}},
                "1": {"Return": {"charged": "o-3", "run": 2}}
            }
        }
    });
    std::fs::write(dir.join("orders.asl.json"), definition.to_string()).unwrap();
    std::fs::write(dir.join("mocks.json"), mocks.to_string()).unwrap();
    std::fs::write(
        dir.join("input.json"),
        json!({"orders": ["o-1", "o-2", "o-3"]}).to_string(),
    )
    .unwrap();
    let run = |extra: &[&str]| run_with_mocks(dir, "orders.asl.json", extra);

    // The first run fails in the Map; its history, in AWS's shape, is what a redrive reads.
    let history = run(&[
        "--input",
        "input.json",
        "--test-case",
        "FirstRun",
        "--history-format",
        "aws",
    ]);
    let events = history["events"].as_array().unwrap();
    assert_eq!(events.last().unwrap()["type"], "ExecutionFailed");
    std::fs::write(dir.join("failed.json"), history.to_string()).unwrap();

    let redriven = run(&[
        "--redrive",
        "failed.json",
        "--test-case",
        "Redrive",
        "--history",
    ]);
    assert_eq!(redriven["status"], "SUCCEEDED", "{redriven:#}");
    assert_eq!(
        redriven["output"]["charges"],
        json!([
            {"charged": "o-1", "run": 1},
            {"charged": "o-2", "run": 2},
            {"charged": "o-3", "run": 2}
        ])
    );
    // It restarts at the Map (Prepare does not run again), and two iterations run.
    let types: Vec<&str> = redriven["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert!(!types.contains(&"PassStateEntered"), "{types:?}");
    assert_eq!(types[1], "MapStateEntered");
    assert_eq!(
        types
            .iter()
            .filter(|t| **t == "MapIterationStarted")
            .count(),
        2
    );

    // A history of an execution that succeeded cannot be redriven.
    std::fs::write(
        dir.join("two.json"),
        json!({"orders": ["o-2", "o-3"]}).to_string(),
    )
    .unwrap();
    std::fs::write(dir.join("ok.json"), {
        let ok = run(&[
            "--input",
            "two.json",
            "--test-case",
            "Redrive",
            "--history-format",
            "aws",
        ]);
        ok.to_string()
    })
    .unwrap();
    let output = codegen_in(dir, &["run", "orders.asl.json", "--redrive", "ok.json"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("only FAILED, TIMED_OUT and ABORTED executions can be redriven"),
        "{stderr}"
    );
}

/// A Parallel whose second branch failed: the redrive keeps the first branch's recorded result
/// and runs only the second ("Step Functions redrives only the unsuccessful child workflow
/// executions or branches", redrive-executions.html).
#[test]
fn a_redriven_parallel_reruns_only_the_failed_branch() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let task = |name: &str, next: Option<&str>| {
        let mut state = json!({"Type": "Task",
            "Resource": format!("arn:aws:lambda:us-east-1:123456789012:function:{name}")});
        match next {
            Some(n) => state["Next"] = json!(n),
            None => state["End"] = json!(true),
        }
        state
    };
    let definition = json!({
        "StartAt": "Checkout",
        "States": {
            "Checkout": {
                "Type": "Parallel", "End": true,
                "Branches": [
                    {"StartAt": "Reserve", "States": {
                        "Reserve": task("reserve", Some("Reserved")),
                        "Reserved": {"Type": "Pass", "End": true}}},
                    {"StartAt": "Charge", "States": {"Charge": task("charge", None)}}
                ]
            }
        }
    });
    let mocks = json!({
        "StateMachines": {"checkout": {"TestCases": {
            "FirstRun": {"Reserve": "Reserved", "Charge": "Declined"},
            "Redrive": {"Reserve": "ReservedAgain", "Charge": "Accepted"}
        }}},
        "MockedResponses": {
            "Reserved": {"0": {"Return": {"reserved": 2, "run": 1}}},
            "ReservedAgain": {"0": {"Return": {"reserved": 2, "run": 2}}},
            "Declined": {"0": {"Throw": {"Error": "CardDeclined", "Cause": "declined"}}},
            "Accepted": {"0": {"Return": {"charged": 79, "run": 2}}}
        }
    });
    let redriven = fail_then_redrive(
        dir,
        &definition,
        &mocks,
        &json!({"order": "o-1"}),
        &["--history"],
    );
    assert_eq!(redriven["status"], "SUCCEEDED", "{redriven:#}");
    // The first branch's result is the recorded one (run 1), the second is the redrive's.
    assert_eq!(
        redriven["output"],
        json!([{"reserved": 2, "run": 1}, {"charged": 79, "run": 2}])
    );
    let entered: Vec<&str> = redriven["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "TaskStateEntered")
        .map(|e| e["stateName"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(entered, ["Charge"], "{redriven:#}");
}

/// A branch whose end state failed into its Catch (which led to a Fail state) did not succeed,
/// although that state exited: the redrive runs it again. The other branch keeps its result.
#[test]
fn a_branch_whose_end_state_was_caught_into_a_failure_runs_again() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let lambda = |name: &str| format!("arn:aws:lambda:us-east-1:123456789012:function:{name}");
    let definition = json!({
        "StartAt": "Checkout",
        "States": {"Checkout": {"Type": "Parallel", "End": true, "Branches": [
            {"StartAt": "Notify", "States": {
                "Notify": {"Type": "Task", "Resource": lambda("notify"), "End": true}}},
            {"StartAt": "Reserve", "States": {
                "Reserve": {"Type": "Task", "Resource": lambda("reserve"), "End": true,
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "GiveUp"}]},
                "GiveUp": {"Type": "Fail", "Error": "NotReserved"}}}
        ]}}
    });
    let mocks = json!({
        "StateMachines": {"checkout": {"TestCases": {
            "FirstRun": {"Reserve": "Refused", "Notify": "Sent"},
            "Redrive": {"Reserve": "Reserved", "Notify": "SentAgain"}
        }}},
        "MockedResponses": {
            "Refused": {"0": {"Throw": {"Error": "OutOfStock", "Cause": "none left"}}},
            "Reserved": {"0": {"Return": {"reserved": 1}}},
            "Sent": {"0": {"Return": {"sent": 1}}},
            "SentAgain": {"0": {"Return": {"sent": 2}}}
        }
    });
    let redriven = fail_then_redrive(dir, &definition, &mocks, &json!({}), &[]);
    assert_eq!(redriven["status"], "SUCCEEDED", "{redriven:#}");
    assert_eq!(redriven["output"], json!([{"sent": 1}, {"reserved": 1}]));
}

/// A redriven execution "continues the failed execution from the unsuccessful step"
/// (https://docs.aws.amazon.com/step-functions/latest/apireference/API_RedriveExecution.html):
/// the variables assigned before the failure still hold, read back from the history's
/// `assignedVariables` (the iteration's own `note` stayed in its scope).
#[test]
fn a_redrive_continues_with_the_variables_assigned_before_the_failure() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let definition = json!({
        "StartAt": "Remember",
        "States": {
            "Remember": {
                "Type": "Pass", "Next": "Each",
                "Assign": {"customer.$": "$.customer", "attempt": 1}
            },
            "Each": {
                "Type": "Map", "ItemsPath": "$.items", "ResultPath": null, "Next": "Charge",
                "ItemProcessor": {"StartAt": "Note", "States": {"Note": {
                    "Type": "Pass", "End": true, "Assign": {"note": "inside"}}}}
            },
            "Charge": {
                "Type": "Task", "End": true,
                "Resource": "arn:aws:lambda:us-east-1:123456789012:function:charge",
                "Parameters": {"customer.$": "$customer", "attempt.$": "$attempt"}
            }
        }
    });
    let mocks = json!({
        "StateMachines": {"orders": {"TestCases": {
            "FirstRun": {"Charge": "Down"},
            "Redrive": {"Charge": "Echo"}
        }}},
        "MockedResponses": {
            "Down": {"0": {"Throw": {"Error": "Lambda.ServiceException", "Cause": "down"}}},
            "Echo": {"0": {"Return": {"charged": "c-7"}}}
        }
    });
    let input = json!({"customer": "c-7", "items": [1]});
    let redriven = fail_then_redrive(
        dir,
        &definition,
        &mocks,
        &input,
        &["--history-format", "aws"],
    );
    let events = redriven["events"].as_array().unwrap();
    assert_eq!(
        events.last().unwrap()["type"],
        "ExecutionSucceeded",
        "{redriven:#}"
    );
    // The Task was sent the variables as Remember assigned them.
    let scheduled = events
        .iter()
        .find(|e| e["type"] == "LambdaFunctionScheduled")
        .expect("the Task ran again");
    let sent: Value = serde_json::from_str(
        scheduled["lambdaFunctionScheduledEventDetails"]["input"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(sent, json!({"customer": "c-7", "attempt": 1}));
}

/// A Map nested in the failed Map's iterations records iteration events of its own: only the
/// failed Map's own successes are kept (an inner Map's index 0 is not the outer item 0).
#[test]
fn a_nested_maps_iterations_are_not_the_failed_maps() {
    let tmp = tempfile::tempdir().unwrap();
    let definition = json!({
        "StartAt": "Orders",
        "States": {"Orders": {
            "Type": "Map", "ItemsPath": "$.orders", "End": true,
            "ItemProcessor": {"StartAt": "Lines", "States": {
                "Lines": {
                    "Type": "Map", "ItemsPath": "$.lines", "ResultPath": "$.lines", "Next": "Charge",
                    "ItemProcessor": {"StartAt": "Line", "States": {"Line": {
                        "Type": "Pass", "Result": "inner line", "End": true}}}
                },
                "Charge": {
                    "Type": "Task", "End": true,
                    "Resource": "arn:aws:lambda:us-east-1:123456789012:function:charge"
                }
            }}
        }}
    });
    let mocks = json!({
        "StateMachines": {"orders": {"TestCases": {
            "FirstRun": {"Charge": "SecondDeclined"},
            "Redrive": {"Charge": "Accepted"}
        }}},
        "MockedResponses": {
            "SecondDeclined": {
                "0": {"Return": {"charged": "o-1", "run": 1}},
                "1": {"Throw": {"Error": "CardDeclined", "Cause": "declined"}}
            },
            "Accepted": {"0": {"Return": {"charged": "o-2", "run": 2}}}
        }
    });
    let input = json!({"orders": [{"lines": [1]}, {"lines": [2]}]});
    let redriven = fail_then_redrive(tmp.path(), &definition, &mocks, &input, &[]);
    assert_eq!(redriven["status"], "SUCCEEDED", "{redriven:#}");
    assert_eq!(
        redriven["output"],
        json!([{"charged": "o-1", "run": 1}, {"charged": "o-2", "run": 2}])
    );
}
