//! Whole-execution tests: tasks through a binding, Retry on the virtual clock, Catch with
//! ResultPath, variables, history.

use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::{Value, json};

use super::*;
use orderflow_model::asl::validate::validate;
use orderflow_model::asl::{FunctionCatalog, parse_state_machine};
use orderflow_model::source::SourceFile;

fn parsed(definition: Value) -> (StateMachine, Vec<orderflow_model::diagnostic::Diagnostic>) {
    let file = SourceFile::new("workflow.asl.json", definition.to_string());
    let json =
        orderflow_model::json::parse(file.text()).unwrap_or_else(|e| panic!("{}", e.message));
    let mut diagnostics = Vec::new();
    let catalog = FunctionCatalog {
        functions: ["flaky".to_string()].into_iter().collect(),
        ..FunctionCatalog::default()
    };
    let mut m = parse_state_machine(&file, &json, &catalog, &mut diagnostics);
    validate(&mut m, &mut diagnostics);
    (m, diagnostics)
}

fn machine(definition: Value) -> StateMachine {
    let (m, diagnostics) = parsed(definition);
    assert!(
        !diagnostics
            .iter()
            .any(orderflow_model::diagnostic::Diagnostic::is_error),
        "{diagnostics:?}"
    );
    m
}

fn run(definition: Value, input: Value, invoker: &dyn TaskInvoker) -> Execution {
    run_machine(&machine(definition), input, invoker)
}

fn run_machine(m: &StateMachine, input: Value, invoker: &dyn TaskInvoker) -> Execution {
    let executor = Executor::new(m).unwrap_or_else(|e| panic!("{e}"));
    let options = ExecutionOptions {
        random_seed: Some(3),
        ..ExecutionOptions::default()
    };
    executor.execute_blocking(input, invoker, &options)
}

const FLAKY: &str = "arn:aws:lambda:us-east-1:123456789012:function:flaky";

#[test]
fn retries_advance_the_virtual_clock_by_the_backoff() {
    let calls = AtomicU32::new(0);
    let invoker = FnInvoker(|request: &TaskRequest<'_>| {
        let n = calls.fetch_add(1, Ordering::SeqCst);
        assert_eq!(request.retry_count, n);
        if n < 3 {
            Err(TaskError::new("Busy", "try later"))
        } else {
            Ok(json!({"ok": n}))
        }
    });
    let definition = json!({
        "StartAt": "Call",
        "States": {"Call": {
            "Type": "Task", "Resource": FLAKY, "End": true, "ResultPath": "$.result",
            "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 2, "BackoffRate": 3, "MaxAttempts": 3}]
        }}
    });
    let execution = run(definition, json!({"id": 1}), &invoker);
    assert_eq!(
        execution.to_json(),
        json!({"status": "SUCCEEDED", "output": {"id": 1, "result": {"ok": 3}}})
    );
    // 2 + 6 + 18 seconds of back-off, none of it slept.
    assert_eq!(execution.virtual_elapsed, Duration::from_secs(26));
    let types = execution.event_types();
    assert_eq!(types.first(), Some(&"ExecutionStarted"));
    assert_eq!(
        types
            .iter()
            .filter(|t| **t == "LambdaFunctionFailed")
            .count(),
        3
    );
    assert_eq!(types.last(), Some(&"ExecutionSucceeded"));
}

#[test]
fn exhausted_retries_fall_through_to_catch_with_result_path() {
    let invoker = FnInvoker(|_: &TaskRequest<'_>| Err(TaskError::new("Busy", "still busy")));
    let definition = json!({
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task", "Resource": FLAKY, "Next": "Done",
                "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 2, "MaxDelaySeconds": 1}],
                "Catch": [{"ErrorEquals": ["Other"], "Next": "Done"},
                          {"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.error", "Next": "Handled"}]
            },
            "Handled": {"Type": "Pass", "End": true},
            "Done": {"Type": "Succeed"}
        }
    });
    let execution = run(definition, json!({"id": 1}), &invoker);
    assert_eq!(
        execution.output,
        Some(json!({"id": 1, "error": {"Error": "Busy", "Cause": "still busy"}}))
    );
    assert_eq!(execution.virtual_elapsed, Duration::from_secs(2));
}

#[test]
fn unbound_tasks_and_runtime_errors_are_not_caught() {
    let definition = json!({
        "StartAt": "Call",
        "States": {
            "Call": {"Type": "Task", "Resource": FLAKY, "End": true,
                     "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]},
            "Caught": {"Type": "Succeed"}
        }
    });
    let execution = run(definition, json!({}), &NoTasks);
    assert_eq!(execution.status, ExecutionStatus::Failed);
    assert_eq!(execution.error.as_deref(), Some("States.Runtime"));
    assert!(
        execution
            .cause
            .as_deref()
            .is_some_and(|c| c.contains("'Call'") && c.contains("no binding"))
    );
}

#[test]
fn io_processing_order_and_choice() {
    let definition = json!({
        "StartAt": "Pick",
        "States": {
            "Pick": {"Type": "Pass", "InputPath": "$.order", "Parameters": {"total.$": "$.total", "n": 1},
                     "ResultPath": "$.picked", "OutputPath": "$.picked", "Next": "Route"},
            "Route": {"Type": "Choice", "Choices": [
                {"And": [{"Variable": "$.total", "IsPresent": true},
                         {"Variable": "$.total", "NumericGreaterThan": 100}], "Next": "Big"}],
                "Default": "Small"},
            "Big": {"Type": "Pass", "Result": "big", "End": true},
            "Small": {"Type": "Fail", "ErrorPath": "$.missing", "Cause": "small"}
        }
    });
    let big = run(
        definition.clone(),
        json!({"order": {"total": 150}}),
        &NoTasks,
    );
    assert_eq!(
        big.to_json(),
        json!({"status": "SUCCEEDED", "output": "big"})
    );
    let small = run(definition, json!({"order": {"total": 5}}), &NoTasks);
    assert_eq!(small.error.as_deref(), Some("States.Runtime"));
}

#[test]
fn no_choice_matched_and_variables() {
    let definition = json!({
        "StartAt": "Remember",
        "States": {
            "Remember": {"Type": "Pass", "Assign": {"limit": 3, "who.$": "$.name"}, "Next": "Use"},
            "Use": {"Type": "Pass", "Parameters": {"limit.$": "$limit", "who.$": "$who"}, "Next": "Route"},
            "Route": {"Type": "Choice", "Choices": [
                {"Variable": "$.limit", "NumericEquals": 4, "Next": "Done"}]},
            "Done": {"Type": "Succeed"}
        }
    });
    // Validation warns that the Choice has no Default; AWS runs it and fails when nothing matches.
    let (m, _) = parsed(definition);
    let execution = run_machine(&m, json!({"name": "ann"}), &NoTasks);
    assert_eq!(execution.error.as_deref(), Some("States.NoChoiceMatched"));
    let definition = json!({
        "StartAt": "Remember",
        "States": {
            "Remember": {"Type": "Pass", "Assign": {"limit": 3, "who.$": "$.name"}, "Next": "Use"},
            "Use": {"Type": "Pass", "Parameters": {"limit.$": "$limit", "who.$": "$who"}, "End": true}
        }
    });
    let execution = run(definition, json!({"name": "ann"}), &NoTasks);
    assert_eq!(execution.output, Some(json!({"limit": 3, "who": "ann"})));
}

#[test]
fn wait_map_and_parallel() {
    let definition = json!({
        "StartAt": "Wait",
        "States": {
            "Wait": {"Type": "Wait", "SecondsPath": "$.delay", "Next": "Fan"},
            "Fan": {"Type": "Map", "ItemsPath": "$.items",
                    "ItemSelector": {"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value"},
                    "ItemProcessor": {"StartAt": "Both", "States": {
                        "Both": {"Type": "Parallel", "End": true, "Branches": [
                            {"StartAt": "A", "States": {"A": {"Type": "Pass", "OutputPath": "$.i", "End": true}}},
                            {"StartAt": "B", "States": {"B": {"Type": "Pass", "OutputPath": "$.v", "End": true}}}
                        ]}}},
                    "ResultPath": "$.out", "End": true}
        }
    });
    let execution = run(
        definition,
        json!({"delay": 90, "items": ["x", "y"]}),
        &NoTasks,
    );
    assert_eq!(
        execution.output,
        Some(json!({"delay": 90, "items": ["x", "y"], "out": [[0, "x"], [1, "y"]]}))
    );
    assert_eq!(execution.virtual_elapsed, Duration::from_secs(90));
    assert!(execution.event_types().contains(&"MapIterationSucceeded"));
    assert!(execution.to_json_with_history()["history"].is_array());
}

/// The executor reads timestamps with the checker's parser: a lowercase `t`/`z`, which RFC 3339
/// allows but Step Functions refuses, is not a timestamp at run time either (`IsTimestamp` is
/// false, a `TimestampPath` to it fails the execution).
#[test]
fn lowercase_t_and_z_are_not_timestamps_at_run_time() {
    let definition = json!({
        "StartAt": "Route",
        "States": {
            "Route": {"Type": "Choice", "Default": "No", "Choices": [
                {"Variable": "$.at", "IsTimestamp": true, "Next": "Wait"}]},
            "Wait": {"Type": "Wait", "TimestampPath": "$.at", "Next": "Yes"},
            "Yes": {"Type": "Pass", "Result": "timestamp", "End": true},
            "No": {"Type": "Pass", "Result": "not a timestamp", "End": true}
        }
    });
    let m = machine(definition);
    let upper = run_machine(&m, json!({"at": "2016-03-14T01:59:00Z"}), &NoTasks);
    assert_eq!(upper.output, Some(json!("timestamp")));
    let lower = run_machine(&m, json!({"at": "2016-03-14t01:59:00z"}), &NoTasks);
    assert_eq!(lower.output, Some(json!("not a timestamp")));

    let definition = json!({
        "StartAt": "Wait",
        "States": {"Wait": {"Type": "Wait", "TimestampPath": "$.at", "End": true}}
    });
    let execution = run(definition, json!({"at": "2016-03-14t01:59:00z"}), &NoTasks);
    assert_eq!(execution.error.as_deref(), Some("States.Runtime"));
}

/// Prints the cost of one execution of a 10-state Pass/Choice workflow (asserted only loosely:
/// debug builds are slow; the benchmark measures release builds).
#[test]
fn ten_state_workflow_is_fast() {
    let mut states = serde_json::Map::new();
    for i in 0..9 {
        let state = if i == 4 {
            json!({"Type": "Choice", "Choices": [
                {"Variable": "$.n", "NumericGreaterThan": 0, "Next": format!("S{}", i + 1)}],
                "Default": "S9"})
        } else {
            json!({"Type": "Pass", "Next": format!("S{}", i + 1)})
        };
        states.insert(format!("S{i}"), state);
    }
    states.insert("S9".into(), json!({"Type": "Pass", "End": true}));
    let m = machine(json!({"StartAt": "S0", "States": states}));
    let executor = Executor::new(&m).unwrap_or_else(|e| panic!("{e}"));
    let options = ExecutionOptions {
        random_seed: Some(1),
        start_time_millis: Some(0),
        identity: ExecutionIdentity {
            execution_name: Some("bench".into()),
            ..ExecutionIdentity::default()
        },
        ..ExecutionOptions::default()
    };
    let runs = 2_000u32;
    let start = std::time::Instant::now();
    for _ in 0..runs {
        let e = executor.execute_blocking(json!({"n": 1, "id": "abc"}), &NoTasks, &options);
        assert_eq!(e.status, ExecutionStatus::Succeeded);
    }
    let per = start.elapsed() / runs;
    println!("10-state Pass/Choice execution: {per:?}");
    assert!(per < Duration::from_millis(5));
}

/// The plan's [`plan::InputMove`] for the only state of a one-state machine.
fn input_move(state: Value) -> plan::InputMove {
    let definition = json!({"StartAt": "Only", "States": {"Only": state}});
    let executor = Executor::new(&machine(definition)).unwrap_or_else(|e| panic!("{e}"));
    executor.plan.states[0].input_move.clone()
}

#[test]
fn the_raw_input_is_moved_only_when_nothing_reads_it_later() {
    use plan::InputMove;
    let task = |extra: Value| {
        let mut state = json!({"Type": "Task", "Resource": FLAKY, "End": true});
        if let (Some(state), Value::Object(extra)) = (state.as_object_mut(), extra) {
            state.extend(extra);
        }
        state
    };
    let member = |keys: &[&str]| InputMove::Member(keys.iter().map(|k| k.to_string()).collect());
    assert_eq!(input_move(task(json!({}))), InputMove::Whole);
    assert_eq!(
        input_move(task(
            json!({"Parameters": {"Message.$": "$", "Id.$": "$.id"}})
        )),
        member(&["Message"])
    );
    assert_eq!(
        input_move(task(
            json!({"Parameters": {"Body": {"Input.$": "$", "T": 1}}})
        )),
        member(&["Body", "Input"])
    );
    // Two copies of the input: one of them must be a copy.
    assert_eq!(
        input_move(task(json!({"Parameters": {"A.$": "$", "B.$": "$"}}))),
        InputMove::Copy
    );
    // The raw input is read again: ResultPath merges into it, a catcher may, a path reads it.
    assert_eq!(
        input_move(task(json!({"ResultPath": "$.r"}))),
        InputMove::Copy
    );
    assert_eq!(
        input_move(task(json!({"ResultPath": null}))),
        InputMove::Copy
    );
    assert_eq!(
        input_move(task(json!({"TimeoutSecondsPath": "$.t"}))),
        InputMove::Copy
    );
    assert_eq!(
        input_move(task(
            json!({"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Only"}]})
        )),
        InputMove::Copy
    );
    assert_eq!(
        input_move(task(json!({"InputPath": "$.a"}))),
        InputMove::Copy
    );
    assert_eq!(
        input_move(json!({"Type": "Pass", "End": true})),
        InputMove::Copy
    );
}

#[test]
fn a_moved_input_reaches_every_attempt_whole() {
    let seen = std::sync::Mutex::new(Vec::new());
    let invoker = FnInvoker(|request: &TaskRequest<'_>| {
        let mut seen = seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        seen.push(request.input.clone());
        if seen.len() < 2 {
            Err(TaskError::new("Busy", "try later"))
        } else {
            Ok(json!({"sent": true}))
        }
    });
    let definition = json!({
        "StartAt": "Publish",
        "States": {"Publish": {
            "Type": "Task", "Resource": FLAKY, "End": true,
            "Parameters": {"Topic": "t", "Message.$": "$", "Id.$": "$.id"},
            "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 1}]
        }}
    });
    let execution = run(definition, json!({"id": 7, "items": [1, 2]}), &invoker);
    assert_eq!(execution.output, Some(json!({"sent": true})));
    let expected = json!({"Topic": "t", "Message": {"id": 7, "items": [1, 2]}, "Id": 7});
    let seen = seen
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    assert_eq!(seen, vec![expected.clone(), expected]);
}

#[test]
fn jsonata_assign_sees_the_values_from_before_the_state() {
    let definition = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "First",
        "States": {
            "First": {"Type": "Pass", "Assign": {"x": 5}, "Next": "Second"},
            // `old` is computed from x as it was when Second was entered.
            "Second": {"Type": "Pass", "Assign": {"x": 42, "old": "{% $x %}"}, "Next": "Third"},
            "Third": {"Type": "Pass", "Output": "{% [$x, $old, $states.input.n] %}", "End": true}
        }
    });
    let execution = run(definition, json!({"n": 1}), &NoTasks);
    assert_eq!(execution.output, Some(json!([42, 5, 1])), "{execution:?}");
}

#[test]
fn jsonata_map_iterations_read_outer_variables_and_keep_their_own() {
    let definition = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Prices",
        "States": {
            "Prices": {"Type": "Pass", "Assign": {"rate": 2}, "Next": "Each"},
            "Each": {
                "Type": "Map",
                "Items": "{% $states.input.items %}",
                "ItemSelector": {"value": "{% $states.context.Map.Item.Value %}", "at": "{% $states.context.Map.Item.Index %}"},
                "ItemProcessor": {
                    "StartAt": "Double",
                    "States": {"Double": {
                        "Type": "Pass",
                        "Assign": {"inner": true},
                        "Output": "{% $states.input.value * $rate + $states.input.at %}",
                        "End": true
                    }}
                },
                "Output": "{% {'results': $states.result, 'innerLeaked': $exists($inner)} %}",
                "End": true
            }
        }
    });
    let execution = run(definition, json!({"items": [10, 20]}), &NoTasks);
    assert_eq!(
        execution.output,
        Some(json!({"results": [20, 41], "innerLeaked": false})),
        "{execution:?}"
    );
}

#[test]
fn jsonata_wait_fail_and_evaluation_errors() {
    let definition = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Pause",
        "States": {
            "Pause": {"Type": "Wait", "Seconds": "{% $states.input.delay * 2 %}", "Next": "Stop"},
            "Stop": {"Type": "Fail", "Error": "{% 'Order.' & $states.input.reason %}", "Cause": "stopped"}
        }
    });
    let execution = run(definition, json!({"delay": 3, "reason": "Late"}), &NoTasks);
    assert_eq!(execution.error.as_deref(), Some("Order.Late"));
    assert_eq!(execution.cause.as_deref(), Some("stopped"));
    assert_eq!(execution.virtual_elapsed, Duration::from_secs(6));

    // A negative wait is a QueryEvaluationError, recorded as EvaluationFailed.
    let execution = run(
        json!({
            "QueryLanguage": "JSONata",
            "StartAt": "Pause",
            "States": {"Pause": {"Type": "Wait", "Seconds": "{% $states.input.delay %}", "End": true}}
        }),
        json!({"delay": -1}),
        &NoTasks,
    );
    assert_eq!(
        execution.error.as_deref(),
        Some("States.QueryEvaluationError")
    );
    assert!(
        execution.cause.as_deref().is_some_and(|c| c.starts_with(
            "An error occurred while executing the state 'Pause' (entered at the event id #2). The Seconds field must be a non-negative integer"
        )),
        "{execution:?}"
    );
    assert_eq!(
        execution.event_types(),
        [
            "ExecutionStarted",
            "WaitStateEntered",
            "EvaluationFailed",
            "ExecutionFailed"
        ]
    );
}

#[test]
fn jsonata_task_sends_its_arguments_and_outputs_from_the_result() {
    let seen = std::sync::Mutex::new(Vec::new());
    let invoker = FnInvoker(|request: &TaskRequest<'_>| {
        seen.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(request.input.clone());
        Ok(json!({"total": request.input["price"].as_f64().unwrap_or(0.0) * 2.0}))
    });
    let definition = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Price",
        "States": {
            "Price": {"Type": "Pass", "Assign": {"currency": "EUR"}, "Next": "Total"},
            "Total": {
                "Type": "Task", "Resource": FLAKY,
                "Arguments": {"price": "{% $states.input.book.price %}", "currency": "{% $currency %}"},
                // Assign sees the result and the variables from before the state.
                "Assign": {"currency": "{% $currency & '!' %}", "last": "{% $states.result.total %}"},
                "Output": "{% $merge([$states.input, {'total': $states.result, 'currency': $currency}]) %}",
                "Next": "Done"
            },
            "Done": {"Type": "Pass", "Output": "{% [$states.input, $currency, $last] %}", "End": true}
        }
    });
    let execution = run(definition, json!({"book": {"price": 4.5}}), &invoker);
    assert_eq!(
        execution.output,
        Some(
            json!([{"book": {"price": 4.5}, "total": {"total": 9}, "currency": "EUR"}, "EUR!", 9])
        ),
        "{execution:?}"
    );
    assert_eq!(
        *seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
        [json!({"price": 4.5, "currency": "EUR"})]
    );

    // Without Arguments the task gets the state input; without Output the state outputs the result.
    let definition = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Total",
        "States": {"Total": {"Type": "Task", "Resource": FLAKY, "End": true}}
    });
    let execution = run(definition, json!({"price": 1}), &invoker);
    assert_eq!(
        execution.output,
        Some(json!({"total": 2.0})),
        "{execution:?}"
    );
}

#[test]
fn jsonata_retry_then_catch_with_error_output() {
    let calls = AtomicU32::new(0);
    let invoker = FnInvoker(|_: &TaskRequest<'_>| {
        calls.fetch_add(1, Ordering::SeqCst);
        Err(TaskError::new("Busy", "try later"))
    });
    let definition = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task", "Resource": FLAKY,
                "Assign": {"never": true},
                "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 1, "MaxAttempts": 2}],
                "Catch": [{
                    "ErrorEquals": ["States.ALL"],
                    "Assign": {"failure": "{% $states.errorOutput.Error %}"},
                    "Output": "{% $merge([$states.input, {'error': $states.errorOutput}]) %}",
                    "Next": "Handled"
                }],
                "End": true
            },
            "Handled": {"Type": "Pass", "Output": "{% [$states.input, $failure, $exists($never)] %}", "End": true}
        }
    });
    let execution = run(definition, json!({"id": 7}), &invoker);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(
        execution.output,
        Some(json!([{"id": 7, "error": {"Error": "Busy", "Cause": "try later"}}, "Busy", false])),
        "{execution:?}"
    );
    assert_eq!(execution.virtual_elapsed, Duration::from_secs(1 + 2));

    // A catcher without Output passes the error output on.
    let definition = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Call",
        "States": {
            "Call": {"Type": "Task", "Resource": FLAKY, "Catch": [{"ErrorEquals": ["Busy"], "Next": "Handled"}], "End": true},
            "Handled": {"Type": "Succeed"}
        }
    });
    let execution = run(definition, json!({"id": 7}), &invoker);
    assert_eq!(
        execution.output,
        Some(json!({"Error": "Busy", "Cause": "try later"}))
    );
}

#[test]
fn jsonata_parallel_branches_get_the_arguments_and_keep_their_variables() {
    let definition = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Setup",
        "States": {
            "Setup": {"Type": "Pass", "Assign": {"base": 10}, "Next": "Both"},
            "Both": {
                "Type": "Parallel",
                "Arguments": {"n": "{% $states.input.n + $base %}"},
                "Branches": [
                    {"StartAt": "A", "States": {"A": {"Type": "Pass", "Assign": {"local": 1}, "Output": "{% $states.input.n * 2 %}", "End": true}}},
                    {"StartAt": "B", "States": {"B": {"Type": "Pass", "Output": "{% [$states.input.n, $exists($local)] %}", "End": true}}}
                ],
                "Output": "{% {'branches': $states.result, 'local': $exists($local)} %}",
                "End": true
            }
        }
    });
    let execution = run(definition, json!({"n": 1}), &NoTasks);
    assert_eq!(
        execution.output,
        Some(json!({"branches": [22, [11, false]], "local": false})),
        "{execution:?}"
    );
}

#[test]
fn a_variable_over_256_kib_fails_the_execution_with_data_limit_exceeded() {
    let definition = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Big",
        "States": {
            "Big": {"Type": "Pass", "Assign": {"blob": "{% $pad('', 300000, 'x') %}"}, "Next": "Done"},
            "Done": {"Type": "Succeed"}
        }
    });
    let execution = run(definition, json!({}), &NoTasks);
    assert_eq!(
        execution.error.as_deref(),
        Some("States.DataLimitExceeded"),
        "{execution:?}"
    );
    assert!(
        execution
            .cause
            .as_deref()
            .is_some_and(|c| c.contains("'blob'")),
        "{execution:?}"
    );
}

#[test]
fn the_expressions_of_one_output_share_a_session_but_not_their_bindings() {
    let definition = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Ids",
        "States": {"Ids": {
            "Type": "Pass",
            "Output": {
                "a": "{% $uuid() %}",
                "b": "{% $uuid() %}",
                "bound": "{% $x := 5 %}",
                "leaked": "{% $exists($x) %}"
            },
            "End": true
        }}
    });
    let execution = run(definition, json!({}), &NoTasks);
    let output = execution.output.unwrap_or_default();
    assert_ne!(output["a"], output["b"], "{output}");
    assert_eq!(output["bound"], json!(5));
    assert_eq!(output["leaked"], json!(false));
}

#[test]
fn distributed_map_iterations_see_no_outer_variables() {
    let definition = |mode: &str| {
        json!({
            "QueryLanguage": "JSONata",
            "StartAt": "Setup",
            "States": {
                "Setup": {"Type": "Pass", "Assign": {"rate": 2}, "Next": "Each"},
                "Each": {
                    "Type": "Map",
                    "Items": "{% [1, 2] %}",
                    "ItemProcessor": {
                        "ProcessorConfig": {"Mode": mode, "ExecutionType": "STANDARD"},
                        "StartAt": "Scale",
                        "States": {"Scale": {"Type": "Pass", "Output": "{% $states.input * $rate %}", "End": true}}
                    },
                    "End": true
                }
            }
        })
    };
    let inline = run(definition("INLINE"), json!({}), &NoTasks);
    assert_eq!(inline.output, Some(json!([2, 4])), "{inline:?}");
    let distributed = run(definition("DISTRIBUTED"), json!({}), &NoTasks);
    assert_eq!(
        distributed.error.as_deref(),
        Some("States.QueryEvaluationError"),
        "{distributed:?}"
    );
}

#[test]
fn an_evaluation_error_inside_a_parallel_branch_is_reported_once_for_its_own_state() {
    let definition = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Both",
        "States": {"Both": {
            "Type": "Parallel",
            "Branches": [{"StartAt": "Inner", "States": {
                "Inner": {"Type": "Pass", "Output": "{% $states.input.missing %}", "End": true}
            }}],
            "End": true
        }}
    });
    let execution = run(definition, json!({}), &NoTasks);
    assert_eq!(
        execution.error.as_deref(),
        Some("States.QueryEvaluationError")
    );
    let cause = execution.cause.clone().unwrap_or_default();
    assert!(
        cause.starts_with("An error occurred while executing the state 'Inner' (entered at the event id #4). The JSONata expression '$states.input.missing'"),
        "{cause}"
    );
    assert_eq!(
        execution.event_types(),
        [
            "ExecutionStarted",
            "ParallelStateEntered",
            "ParallelStateStarted",
            "PassStateEntered",
            "EvaluationFailed",
            "ParallelStateFailed",
            "ExecutionFailed"
        ]
    );
}

/// A schema compiled as a workflow folder's would be.
fn contract_schema(path: &str, schema: Value) -> Schema {
    let file = SourceFile::new(
        path,
        serde_json::to_string_pretty(&schema).unwrap_or_default(),
    );
    let mut out = Vec::new();
    let document = orderflow_model::schema::load_schema(&file, &mut out)
        .unwrap_or_else(|| panic!("the schema loads: {out:?}"));
    Schema::new(&document).unwrap_or_else(|e| panic!("{e}"))
}

/// `flaky` takes `{"n": integer}` and returns `{"ok": boolean}`.
fn flaky_contracts() -> Contracts {
    let integer_n =
        json!({"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]});
    let boolean_ok =
        json!({"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]});
    Contracts::new().with_function(
        "flaky",
        Some(contract_schema("schemas/flaky.input.json", integer_n)),
        Some(contract_schema("schemas/flaky.output.json", boolean_ok)),
    )
}

fn run_with_contracts(
    definition: Value,
    input: Value,
    invoker: &dyn TaskInvoker,
    contracts: Option<&Contracts>,
    mode: ContractMode,
) -> Execution {
    let mut executor = Executor::new(&machine(definition)).unwrap_or_else(|e| panic!("{e}"));
    if let Some(contracts) = contracts {
        executor.set_contracts(contracts);
    }
    let options = ExecutionOptions {
        random_seed: Some(3),
        contracts: mode,
        ..ExecutionOptions::default()
    };
    executor.execute_blocking(input, invoker, &options)
}

#[test]
fn a_strict_contract_breach_is_terminal_past_retry_and_catch() {
    let definition = json!({
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task", "Resource": FLAKY,
                "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 3}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                "End": true
            },
            "Caught": {"Type": "Pass", "End": true}
        }
    });
    let calls = AtomicU32::new(0);
    let invoker = FnInvoker(|_: &TaskRequest<'_>| {
        calls.fetch_add(1, Ordering::SeqCst);
        Ok(json!({"ok": "yes"}))
    });
    let contracts = flaky_contracts();
    let strict = run_with_contracts(
        definition.clone(),
        json!({"n": 1}),
        &invoker,
        Some(&contracts),
        ContractMode::Strict,
    );
    assert_eq!(strict.status, ExecutionStatus::Failed);
    assert_eq!(strict.error.as_deref(), Some("States.Runtime"));
    assert_eq!(calls.load(Ordering::SeqCst), 1, "no retry");
    assert!(!strict.visited_states().contains(&"Caught"), "no catch");
    assert_eq!(strict.contract_violations.len(), 1);
    let violation = &strict.contract_violations[0];
    assert_eq!(violation.contract, ContractKind::FunctionOutput);
    assert_eq!(violation.state.as_deref(), Some("Call"));
    assert_eq!(violation.function.as_deref(), Some("flaky"));
    assert_eq!(violation.schema_file, "schemas/flaky.output.json");
    assert_eq!(violation.schema_pointer, "/properties/ok/type");
    assert_eq!(violation.instance_path, "/ok");
    assert!(violation.line.is_some() && violation.column.is_some());

    // Reported, the same result runs on as AWS would run it.
    let reported = run_with_contracts(
        definition,
        json!({"n": 1}),
        &invoker,
        Some(&contracts),
        ContractMode::Report,
    );
    assert_eq!(reported.status, ExecutionStatus::Succeeded);
    assert_eq!(reported.output, Some(json!({"ok": "yes"})));
    assert_eq!(reported.contract_violations, strict.contract_violations);
}

#[test]
fn inputs_are_checked_once_per_visit_and_outputs_once_per_result() {
    let definition = json!({
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task", "Resource": FLAKY,
                "Parameters": {"n.$": "$.value"},
                "Retry": [{"ErrorEquals": ["Boom"], "MaxAttempts": 2}],
                "End": true
            }
        }
    });
    let calls = AtomicU32::new(0);
    let invoker = FnInvoker(|_: &TaskRequest<'_>| {
        if calls.fetch_add(1, Ordering::SeqCst) < 2 {
            Err(TaskError::new("Boom", ""))
        } else {
            Ok(json!({}))
        }
    });
    let contracts = flaky_contracts();
    let execution = run_with_contracts(
        definition.clone(),
        json!({"value": "seven"}),
        &invoker,
        Some(&contracts),
        ContractMode::Report,
    );
    assert_eq!(execution.status, ExecutionStatus::Succeeded);
    let kinds: Vec<(ContractKind, &str)> = execution
        .contract_violations
        .iter()
        .map(|v| (v.contract, v.instance_path.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            (ContractKind::FunctionInput, "/n"),
            (ContractKind::FunctionOutput, "")
        ]
    );
    assert!(
        execution.to_json()["contractViolations"].is_array(),
        "{}",
        execution.to_json()
    );

    // Off, or without contracts: nothing is checked.
    for (contracts, mode) in [
        (Some(&contracts), ContractMode::Off),
        (None, ContractMode::Strict),
    ] {
        calls.store(0, Ordering::SeqCst);
        let execution = run_with_contracts(
            definition.clone(),
            json!({"value": "seven"}),
            &invoker,
            contracts,
            mode,
        );
        assert_eq!(execution.status, ExecutionStatus::Succeeded);
        assert!(execution.contract_violations.is_empty());
        assert!(execution.to_json().get("contractViolations").is_none());
    }
}

/// Coverage counts each state entered (inside Map iterations too), the Choice rule taken by
/// its index or Default, each retry by retrier and each Catch clause by index, and the outcome.
#[test]
fn coverage_records_states_rules_retries_and_catches() {
    let m = machine(json!({
        "StartAt": "Pick",
        "States": {
            "Pick": {"Type": "Choice",
                "Choices": [
                    {"Variable": "$.n", "NumericEquals": 1, "Next": "Each"},
                    {"Variable": "$.n", "NumericEquals": 2, "Next": "Call"}
                ],
                "Default": "Done"},
            "Each": {"Type": "Map", "ItemsPath": "$.items",
                "ItemProcessor": {"StartAt": "Inner", "States": {"Inner": {"Type": "Pass", "End": true}}},
                "Next": "Done"},
            "Call": {"Type": "Task", "Resource": FLAKY,
                "Retry": [{"ErrorEquals": ["Other"]}, {"ErrorEquals": ["Busy"], "MaxAttempts": 1, "IntervalSeconds": 1}],
                "Catch": [{"ErrorEquals": ["Other"], "Next": "Done"}, {"ErrorEquals": ["States.ALL"], "Next": "Done"}],
                "End": true},
            "Done": {"Type": "Succeed"}
        }
    }));
    let executor = Executor::new(&m).unwrap_or_else(|e| panic!("{e}"));
    let options = ExecutionOptions {
        coverage: true,
        ..ExecutionOptions::default()
    };
    let busy = FnInvoker(|_: &TaskRequest<'_>| Err(TaskError::new("Busy", "still busy")));
    let mut total = Coverage::default();
    for input in [
        json!({"n": 1, "items": [1, 2, 3]}),
        json!({"n": 2}),
        json!({"n": 3}),
    ] {
        let execution = executor.execute_blocking(input, &busy, &options);
        total.merge(
            execution
                .coverage
                .as_ref()
                .unwrap_or_else(|| panic!("recorded")),
        );
    }
    assert_eq!(total.executions, 3);
    assert_eq!(total.states["Inner"], 3, "one per Map iteration");
    assert_eq!(total.states["Done"], 3);
    assert_eq!(total.choices["Pick"]["0"], 1);
    assert_eq!(total.choices["Pick"]["1"], 1);
    assert_eq!(total.choices["Pick"][DEFAULT_RULE], 1);
    assert_eq!(total.retries["Call"]["1"], 1, "the second retrier, once");
    assert_eq!(total.catches["Call"]["1"], 1, "States.ALL caught it");
    assert!(!total.catches["Call"].contains_key("0"));
    assert_eq!(total.outcomes["SUCCEEDED"], 3);
    // Without the option nothing is recorded.
    let plain = executor.execute_blocking(json!({"n": 3}), &busy, &ExecutionOptions::default());
    assert!(plain.coverage.is_none());
}

/// A Standard execution's history holds at most 25,000 events
/// (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html, "Execution
/// history"): a Choice that loops forever ends as AWS ends it. The shape (event 24,999 the last
/// state's, event 25,000 the failure, States.Runtime with this cause) is AWS's, as recorded with
/// `get-execution-history` in floci-io/floci#2734.
#[test]
fn an_endless_choice_loop_ends_at_the_history_limit() {
    let definition = json!({"StartAt": "Loop", "States": {
        "Loop": {"Type": "Choice", "Choices": [
            {"Variable": "$.spin", "BooleanEquals": true, "Next": "Loop"}
        ], "Default": "Done"},
        "Done": {"Type": "Succeed"}
    }});
    let execution = run(definition, json!({"spin": true}), &NoTasks);
    assert_eq!(execution.status, ExecutionStatus::Failed);
    assert_eq!(execution.error.as_deref(), Some("States.Runtime"));
    assert_eq!(
        execution.cause.as_deref(),
        Some("The execution reached the maximum number of history events (25000).")
    );
    assert_eq!(execution.history.len(), 25_000);
    let last = &execution.history[24_999];
    assert_eq!((last.id, last.previous_id), (25_000, 24_999));
    assert_eq!(last.event_type, EventType::ExecutionFailed);
    assert_eq!(
        execution.history[24_998].event_type,
        EventType::ChoiceStateExited
    );
}

/// No Catch sees the history limit, not even a Parallel's `States.ALL` around the loop.
#[test]
fn the_history_limit_is_not_caught() {
    let definition = json!({"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Branches": [{"StartAt": "Loop", "States": {
            "Loop": {"Type": "Choice", "Choices": [
                {"Variable": "$.spin", "BooleanEquals": true, "Next": "Loop"}
            ], "Default": "Done"},
            "Done": {"Type": "Succeed"}
        }}], "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}], "End": true},
        "Caught": {"Type": "Succeed"}
    }});
    let executor = Executor::new(&machine(definition)).unwrap_or_else(|e| panic!("{e}"));
    // Without a recorded history the events are still counted.
    let options = ExecutionOptions {
        history: HistoryDetail::None,
        ..ExecutionOptions::default()
    };
    let execution = executor.execute_blocking(json!({"spin": true}), &NoTasks, &options);
    assert_eq!(execution.error.as_deref(), Some("States.Runtime"));
    assert!(execution.history.is_empty());
}

/// A JSONata recursion that never ends (a tail call: it never deepens the stack) fails the
/// state with States.QueryEvaluationError
/// (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html) rather
/// than running forever; the expression is floci-io/floci#2667's reproduction.
#[test]
fn an_endless_jsonata_recursion_fails_the_state() {
    let definition = json!({"QueryLanguage": "JSONata", "StartAt": "E", "States": {
        "E": {"Type": "Pass",
              "Output": {"v": "{% ($f := function($x){ $f($x+1) }; $f(1)) %}"},
              "End": true}
    }});
    let execution = run(definition, json!({}), &NoTasks);
    assert_eq!(execution.status, ExecutionStatus::Failed);
    assert_eq!(
        execution.error.as_deref(),
        Some("States.QueryEvaluationError")
    );
    let cause = execution.cause.unwrap_or_default();
    assert!(
        cause.ends_with("specified for the field 'Output/v' threw an error during evaluation: Expression evaluation timeout: Check for infinite loop"),
        "{cause}"
    );
}

/// The state machine's `TimeoutSeconds` ends the execution with States.Timeout: a Parallel's
/// Catch around the branch that was running does not handle it
/// (https://docs.aws.amazon.com/step-functions/latest/dg/statemachine-structure.html,
/// `TimeoutSeconds`: "the execution fails with a States.Timeout error").
#[test]
fn the_machine_timeout_is_not_caught_by_a_parallel_around_it() {
    let definition = json!({"StartAt": "P", "TimeoutSeconds": 5, "States": {
        "P": {"Type": "Parallel", "Branches": [{"StartAt": "Nap", "States": {
            "Nap": {"Type": "Wait", "Seconds": 10, "Next": "After"},
            "After": {"Type": "Pass", "End": true}
        }}], "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}], "End": true},
        "Caught": {"Type": "Succeed"}
    }});
    let execution = run(definition, json!({}), &NoTasks);
    assert_eq!(execution.status, ExecutionStatus::TimedOut, "{execution:?}");
    assert_eq!(execution.error.as_deref(), Some("States.Timeout"));
    assert!(
        !execution.visited_states().contains(&"Caught"),
        "{:?}",
        execution.visited_states()
    );
}

fn run_express(definition: Value, input: Value) -> Execution {
    let executor = Executor::new(&machine(definition)).unwrap_or_else(|e| panic!("{e}"));
    let options = ExecutionOptions {
        workflow_type: WorkflowType::Express,
        ..ExecutionOptions::default()
    };
    executor.execute_blocking(input, &NoTasks, &options)
}

/// An Express execution runs for at most five minutes and has no history limit
/// (https://docs.aws.amazon.com/step-functions/latest/dg/choosing-workflow-type.html): a Wait
/// past it times the execution out, and so does a loop that never waits, which a Standard
/// execution ends at the history limit instead.
#[test]
fn an_express_execution_ends_after_five_minutes() {
    let wait = json!({"StartAt": "Nap", "States": {
        "Nap": {"Type": "Wait", "Seconds": 400, "End": true}
    }});
    let express = run_express(wait.clone(), json!({}));
    assert_eq!(express.status, ExecutionStatus::TimedOut, "{express:?}");
    assert_eq!(express.error.as_deref(), Some("States.Timeout"));
    assert_eq!(
        express.cause.as_deref(),
        Some("The execution ran longer than the five minutes an Express execution may run.")
    );
    assert_eq!(
        run(wait, json!({}), &NoTasks).status,
        ExecutionStatus::Succeeded
    );

    let spin = json!({"StartAt": "Loop", "States": {
        "Loop": {"Type": "Choice", "Choices": [
            {"Variable": "$.spin", "BooleanEquals": true, "Next": "Loop"}
        ], "Default": "Done"},
        "Done": {"Type": "Succeed"}
    }});
    let looping = run_express(spin, json!({"spin": true}));
    assert_eq!(looping.status, ExecutionStatus::TimedOut);
    assert!(looping.history.len() > 25_000, "{}", looping.history.len());
}

/// No task is invoked by these definitions.
fn no_tasks() -> impl TaskInvoker {
    FnInvoker(|request: &TaskRequest<'_>| {
        Err(TaskError::new(
            "Unexpected",
            format!("no task expected, {} was invoked", request.state_name),
        ))
    })
}

/// Parallel branches run concurrently: "the Parallel state [...] executes each branch
/// concurrently" (https://docs.aws.amazon.com/step-functions/latest/dg/state-parallel.html), so
/// two branches that wait 10 s and 4 s take 10 s, not 14; a timeout of 12 s is not reached.
#[test]
fn parallel_branches_run_concurrently_on_the_virtual_clock() {
    let wait = |seconds: u64| {
        let name = format!("Wait{seconds}");
        json!({"StartAt": name, "States": {name.clone(): {"Type": "Wait", "Seconds": seconds, "End": true}}})
    };
    let definition = json!({
        "StartAt": "Both",
        "TimeoutSeconds": 12,
        "States": {"Both": {"Type": "Parallel", "Branches": [wait(10), wait(4)], "Next": "After"},
                   "After": {"Type": "Wait", "Seconds": 1, "End": true}}
    });
    let execution = run(definition, json!({"id": 1}), &no_tasks());
    assert_eq!(execution.to_json()["status"], "SUCCEEDED");
    assert_eq!(execution.virtual_elapsed, Duration::from_secs(11));
}

/// A failing branch stops the Parallel when it fails: the branch that would wait 30 s more
/// does not make the Parallel (and its Catch) wait.
#[test]
fn a_failing_branch_ends_the_parallel_when_it_fails() {
    let definition = json!({
        "StartAt": "Both",
        "States": {
            "Both": {"Type": "Parallel", "Next": "Done",
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                "Branches": [
                    {"StartAt": "Long", "States": {"Long": {"Type": "Wait", "Seconds": 30, "End": true}}},
                    {"StartAt": "Short", "States": {
                        "Short": {"Type": "Wait", "Seconds": 3, "Next": "Fail"},
                        "Fail": {"Type": "Fail", "Error": "Broken", "Cause": "the second branch"}}}
                ]},
            "Done": {"Type": "Succeed"},
            "Caught": {"Type": "Pass", "End": true}
        }
    });
    let execution = run(definition, json!({}), &no_tasks());
    assert_eq!(execution.to_json()["status"], "SUCCEEDED");
    assert_eq!(execution.virtual_elapsed, Duration::from_secs(3));
}

/// Map iterations run `MaxConcurrency` at a time, each starting when a slot frees ("MaxConcurrency
/// [...] specifies the maximum number of child workflow iterations that may run in parallel",
/// https://docs.aws.amazon.com/step-functions/latest/dg/state-map-inline.html); 0 or no field
/// runs them all at once.
#[test]
fn map_iterations_run_max_concurrency_at_a_time() {
    let elapsed = |concurrency: Value| {
        let mut map = json!({
            "Type": "Map", "End": true,
            "ItemProcessor": {"StartAt": "Wait", "States": {
                "Wait": {"Type": "Wait", "SecondsPath": "$.seconds", "End": true}}}
        });
        if let Value::Object(fields) = concurrency {
            map.as_object_mut().unwrap().extend(fields);
        }
        let definition = json!({"StartAt": "Each", "States": {"Each": map}});
        let items = json!([{"seconds": 10}, {"seconds": 10}, {"seconds": 5}, {"seconds": 10}]);
        let execution = run(definition, items, &no_tasks());
        assert_eq!(execution.to_json()["status"], "SUCCEEDED", "{execution:?}");
        execution.virtual_elapsed.as_secs()
    };
    assert_eq!(elapsed(json!({})), 10);
    assert_eq!(elapsed(json!({"MaxConcurrency": 0})), 10);
    assert_eq!(elapsed(json!({"MaxConcurrency": 4})), 10);
    // Slots: 10 and 10; the third starts at 10 and ends at 15, the fourth starts at 10.
    assert_eq!(elapsed(json!({"MaxConcurrency": 2})), 20);
    // The first three start at once; the fourth takes the slot the third (5 s) frees.
    assert_eq!(elapsed(json!({"MaxConcurrency": 3})), 15);
    assert_eq!(elapsed(json!({"MaxConcurrency": 1})), 35);
}

/// An Inline Map "supports up to 40 concurrent iterations"
/// (https://docs.aws.amazon.com/step-functions/latest/dg/state-map-inline.html): without a
/// MaxConcurrency, or with a larger one, 80 ten-second iterations take two rounds.
#[test]
fn an_inline_map_runs_at_most_40_iterations_at_once() {
    let elapsed = |concurrency: Value| {
        let mut map = json!({
            "Type": "Map", "End": true,
            "ItemProcessor": {"StartAt": "Wait", "States": {
                "Wait": {"Type": "Wait", "Seconds": 10, "End": true}}}
        });
        if let Value::Object(fields) = concurrency {
            map.as_object_mut().unwrap().extend(fields);
        }
        let definition = json!({"StartAt": "Each", "States": {"Each": map}});
        let execution = run(definition, json!(vec![0; 80]), &no_tasks());
        assert_eq!(execution.to_json()["status"], "SUCCEEDED", "{execution:?}");
        execution.virtual_elapsed.as_secs()
    };
    assert_eq!(elapsed(json!({})), 20);
    assert_eq!(elapsed(json!({"MaxConcurrency": 100})), 20);
    assert_eq!(elapsed(json!({"MaxConcurrency": 80})), 20);
    assert_eq!(elapsed(json!({"MaxConcurrency": 20})), 40);
}

/// MaxConcurrencyPath reads the limit from the input, as MaxConcurrency would give it.
#[test]
fn map_concurrency_from_a_path() {
    let definition = json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "End": true, "ItemsPath": "$.items", "MaxConcurrencyPath": "$.limit",
        "ItemProcessor": {"StartAt": "Wait", "States": {
            "Wait": {"Type": "Wait", "Seconds": 10, "End": true}}}}}});
    let execution = run(
        definition,
        json!({"limit": 2, "items": [1, 2, 3]}),
        &no_tasks(),
    );
    assert_eq!(execution.to_json()["status"], "SUCCEEDED");
    assert_eq!(execution.virtual_elapsed, Duration::from_secs(20));
}

/// A task that times out took its time: HeartbeatSeconds when it has one (no heartbeat came:
/// AWS fails the state with States.Timeout then, as its recorded executions show), else
/// TimeoutSeconds, pass on the virtual clock before the Catch runs; both are recorded as timeouts
/// (LambdaFunctionTimedOut / TaskTimedOut;
/// https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskHeartbeat.html).
#[test]
fn timed_out_tasks_take_their_time() {
    let definition = |error: &str, heartbeat: Option<u64>| {
        let mut call = json!({"Type": "Task", "Resource": FLAKY, "TimeoutSeconds": 300,
            "Catch": [{"ErrorEquals": [error], "Next": "Late"}], "End": true});
        if let Some(h) = heartbeat {
            call["HeartbeatSeconds"] = json!(h);
        }
        json!({"StartAt": "Call", "States": {"Call": call, "Late": {"Type": "Pass", "End": true}}})
    };
    let cases = [
        ("States.Timeout", None, 300),
        ("States.Timeout", Some(45), 45),
        ("States.HeartbeatTimeout", Some(45), 45),
    ];
    for (error, heartbeat, seconds) in cases {
        let invoker = FnInvoker(|_: &TaskRequest<'_>| Err(TaskError::new(error, "")));
        let execution = run(definition(error, heartbeat), json!({}), &invoker);
        assert_eq!(execution.to_json()["status"], "SUCCEEDED", "{error}");
        assert_eq!(
            execution.virtual_elapsed,
            Duration::from_secs(seconds),
            "{error}"
        );
        assert!(
            execution.event_types().contains(&"LambdaFunctionTimedOut"),
            "{error}: {:?}",
            execution.event_types()
        );
    }
}

/// A Distributed Map's children are executions of their own: their events are not the parent's,
/// so 5,000 items (40,000 child events, past the 25,000-event limit of one history) run, and the
/// parent records a Map Run (https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html).
#[test]
fn distributed_map_children_have_histories_of_their_own() {
    let definition = json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "End": true, "MaxConcurrency": 100,
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "A", "States": {
                "A": {"Type": "Pass", "Next": "B"},
                "B": {"Type": "Pass", "Next": "C"},
                "C": {"Type": "Pass", "End": true}}}}}});
    let items: Vec<Value> = (0..5_000).map(|i| json!(i)).collect();
    let execution = run(definition, Value::Array(items), &no_tasks());
    assert_eq!(execution.to_json()["status"], "SUCCEEDED");
    assert_eq!(
        execution
            .output
            .as_ref()
            .and_then(Value::as_array)
            .map(Vec::len),
        Some(5_000)
    );
    assert_eq!(
        execution.event_types(),
        [
            "ExecutionStarted",
            "MapStateEntered",
            "MapStateStarted",
            "MapRunStarted",
            "MapRunSucceeded",
            "MapStateSucceeded",
            "MapStateExited",
            "ExecutionSucceeded"
        ]
    );
}

/// A TimestampPath value that is no ISO 8601 extended offset date-time (here: no offset) fails
/// the execution, and the cause names the path and the value as AWS's does; with `Z`, seven
/// fraction digits are accepted (LocalStack's AWS-validated
/// `tests/aws/services/stepfunctions/v2/base/test_wait.snapshot.json`).
#[test]
fn a_timestamp_path_value_without_offset_is_named_in_the_cause() {
    let definition = json!({"StartAt": "State_1", "States": {
        "State_1": {"Type": "Wait", "TimestampPath": "$.start_at", "End": true}}});
    let execution = run(
        definition.clone(),
        json!({"start_at": "2023-12-11T22:01:34.000"}),
        &no_tasks(),
    );
    assert_eq!(
        execution.cause.as_deref(),
        Some(
            "An error occurred while executing the state 'State_1' (entered at the event id #2). The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: $.start_at == 2023-12-11T22:01:34.000"
        )
    );
    let execution = run(
        definition,
        json!({"start_at": "2023-12-11T22:01:34.0000000Z"}),
        &no_tasks(),
    );
    assert_eq!(execution.to_json()["status"], "SUCCEEDED");
}

/// A task that times out fails the execution with States.Timeout and no cause at all, as AWS's
/// recorded executions show (LocalStack's AWS-validated `timeouts/test_timeouts.snapshot.json`:
/// `executionFailedEventDetails` holds only the error).
#[test]
fn a_timed_out_task_has_no_cause() {
    let definition = json!({"StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": FLAKY, "TimeoutSeconds": 5, "End": true}}});
    let invoker = FnInvoker(|_: &TaskRequest<'_>| Err(TaskError::timeout()));
    let execution = run(definition, json!({}), &invoker);
    assert_eq!(execution.error.as_deref(), Some("States.Timeout"));
    assert_eq!(execution.cause, None);
    assert_eq!(
        execution.to_json(),
        json!({"status": "FAILED", "error": "States.Timeout"})
    );
}

/// A Task's result over 256 KiB fails the state with States.DataLimitExceeded, naming the
/// function's ARN (`lambda` for lambda:invoke), and a Catch on States.ALL handles it: AWS's
/// recorded executions (LocalStack's AWS-validated
/// `error_handling/test_states_errors.snapshot.json`), although AWS's documentation calls the
/// error terminal.
#[test]
fn an_oversized_task_result_is_caught_by_states_all() {
    let big = "x".repeat(300 * 1024);
    for (resource, named) in [(FLAKY, FLAKY), ("arn:aws:states:::lambda:invoke", "lambda")] {
        let definition = json!({"StartAt": "InvokeLambda", "States": {
            "InvokeLambda": {"Type": "Task", "Resource": resource,
                "Parameters": {"FunctionName": "flaky"},
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "HandleGeneralError"}], "End": true},
            "HandleGeneralError": {"Type": "Pass", "End": true}}});
        let invoker = FnInvoker(|_: &TaskRequest<'_>| Ok(json!({"Payload": big})));
        let execution = run(definition, json!({}), &invoker);
        assert_eq!(
            execution.output,
            Some(json!({
                "Error": "States.DataLimitExceeded",
                "Cause": format!("The state/task '{named}' returned a result with a size exceeding the maximum number of bytes service limit.")
            })),
            "{resource}"
        );
    }
}

/// A Distributed Map's Express children run five minutes at most each, with no history limit;
/// Standard children have no such limit (ExecutionType,
/// https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html). A child
/// that runs out of time fails with States.Timeout; the execution does not time out.
#[test]
fn express_children_of_a_distributed_map_have_five_minutes_each() {
    let definition = |execution_type: &str, tolerated: u64| {
        json!({"StartAt": "Each", "States": {"Each": {
            "Type": "Map", "End": true, "ToleratedFailureCount": tolerated,
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": execution_type},
                "StartAt": "Work", "States": {
                    "Work": {"Type": "Wait", "SecondsPath": "$", "Next": "Done"},
                    "Done": {"Type": "Pass", "End": true}}}}}})
    };
    // 200 s fits in five minutes, 400 s does not.
    let items = json!([200, 400]);
    let standard = run(definition("STANDARD", 0), items.clone(), &no_tasks());
    assert_eq!(standard.to_json()["status"], "SUCCEEDED");

    let express = run(definition("EXPRESS", 0), items.clone(), &no_tasks());
    assert_eq!(express.to_json()["status"], "FAILED", "{:?}", express.error);
    assert_eq!(
        express.error.as_deref(),
        Some("States.ExceedToleratedFailureThreshold")
    );
    // The second child stopped at its five minutes, not at its 400 s.
    assert_eq!(express.virtual_elapsed, Duration::from_secs(300));

    let tolerated = run(definition("EXPRESS", 1), items, &no_tasks());
    assert_eq!(tolerated.to_json()["status"], "SUCCEEDED");

    // A child that never ends is stopped by its five minutes, not by a history limit.
    let endless = json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "End": true, "ToleratedFailureCount": 0,
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
            "StartAt": "Again", "States": {
                "Again": {"Type": "Choice", "Choices": [
                    {"Variable": "$", "NumericEquals": 1, "Next": "Again"}], "Default": "Out"},
                "Out": {"Type": "Succeed"}}}}}});
    let looped = run(endless, json!([1]), &no_tasks());
    assert_eq!(
        looped.error.as_deref(),
        Some("States.ExceedToleratedFailureThreshold"),
        "{:?}",
        looped.cause
    );
    assert_eq!(looped.to_json()["status"], "FAILED");
    // Each transition takes a millisecond on the virtual clock: the five minutes are passed by
    // the first one after them.
    let elapsed = looped.virtual_elapsed;
    assert!(
        elapsed > Duration::from_secs(300) && elapsed < Duration::from_secs(301),
        "{elapsed:?}"
    );
}

/// When the execution's own deadline comes before an Express child's five minutes, it is the
/// execution that times out, not one more tolerated child failure.
#[test]
fn the_execution_deadline_inside_an_express_child_times_out_the_execution() {
    let definition = json!({"TimeoutSeconds": 250, "StartAt": "Each", "States": {"Each": {
        "Type": "Map", "End": true, "ToleratedFailureCount": 1,
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
            "StartAt": "Work", "States": {
                "Work": {"Type": "Wait", "SecondsPath": "$", "End": true}}}}}});
    let execution = run(definition, json!([200, 400]), &no_tasks());
    assert_eq!(
        execution.to_json()["status"],
        "TIMED_OUT",
        "{:?}",
        execution.cause
    );
    assert_eq!(execution.error.as_deref(), Some("States.Timeout"));
    assert_eq!(execution.virtual_elapsed, Duration::from_secs(250));
}

/// An ItemSelector that fails fails the Map state, whose Catch handles it: a JSONata
/// `States.QueryEvaluationError` is an error like any other (only States.Runtime escapes Catch).
#[test]
fn a_failing_item_selector_is_caught_by_the_maps_catch() {
    let definition = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map", "Items": "{% $states.input.items %}", "End": true,
                "ItemSelector": "{% $number($states.context.Map.Item.Value) %}",
                "ItemProcessor": {"StartAt": "Keep", "States": {"Keep": {"Type": "Pass", "End": true}}},
                "Catch": [{"ErrorEquals": ["States.QueryEvaluationError"], "Next": "Rejected"}]
            },
            "Rejected": {"Type": "Pass", "Output": "rejected", "End": true}
        }
    });
    let execution = run(
        definition,
        json!({"items": ["1", "not a number"]}),
        &no_tasks(),
    );
    assert_eq!(execution.to_json()["status"], "SUCCEEDED", "{execution:?}");
    assert_eq!(execution.output, Some(json!("rejected")));
    let types = execution.event_types();
    assert!(types.contains(&"MapStateFailed"), "{types:?}");
}
