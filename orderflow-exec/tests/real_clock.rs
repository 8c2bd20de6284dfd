//! On the real clock, Parallel branches and Map iterations run at the same time, as on AWS:
//! "The Parallel state causes AWS Step Functions to execute each branch … concurrently where
//! possible" (https://docs.aws.amazon.com/step-functions/latest/dg/state-parallel.html), and a
//! Map runs at most `MaxConcurrency` iterations at once
//! (https://docs.aws.amazon.com/step-functions/latest/dg/state-map-inline.html).
//!
//! Concurrency is shown by the order of events and by how many tasks were in flight at once,
//! never by how long a run took. Waits are scaled down by the timer below so the tests are fast.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;
use orderflow_exec::{
    ClockMode, Execution, ExecutionOptions, ExecutionStatus, Executor, HistoryDetail, TaskError,
    TaskInvoker, TaskRequest, ThreadTimer, Timer, aws_history_document, parse_aws_history,
    redrive_point,
};
use orderflow_model::asl::FunctionCatalog;
use orderflow_model::load_state_machine;
use serde_json::{Value, json};

/// Sleeps a hundredth of what it is asked: a 10 s Wait takes 100 ms.
struct ScaledTimer;

impl Timer for ScaledTimer {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        sleep(duration / 100)
    }
}

fn sleep(duration: Duration) -> BoxFuture<'static, ()> {
    let (done, finished) = futures::channel::oneshot::channel::<()>();
    std::thread::spawn(move || {
        std::thread::sleep(duration);
        let _ = done.send(());
    });
    Box::pin(async move {
        let _ = finished.await;
    })
}

/// Tasks that take `delayMs` of real time (sending a heartbeat every `beatEveryMs` when set) and
/// fail when `fail` is set, counting how many are in flight at once.
#[derive(Default)]
struct SlowTasks {
    in_flight: AtomicUsize,
    most: AtomicUsize,
    finished: AtomicUsize,
    /// Items marked to fail succeed (the fault was fixed before a redrive).
    fixed: bool,
}

impl TaskInvoker for SlowTasks {
    fn invoke<'a>(&'a self, request: TaskRequest<'a>) -> BoxFuture<'a, Result<Value, TaskError>> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        Box::pin(async move {
            let delay = request.input["delayMs"].as_u64().unwrap_or(0);
            if let Some(at) = request.input["beatOnceAtMs"].as_u64() {
                sleep(Duration::from_millis(at)).await;
                request.heartbeat.beat();
                sleep(Duration::from_millis(delay.saturating_sub(at))).await;
            } else {
                match request.input["beatEveryMs"].as_u64() {
                    // Working, with a heartbeat (SendTaskHeartbeat) after each stretch.
                    Some(every) => {
                        for _ in 0..delay / every {
                            sleep(Duration::from_millis(every)).await;
                            request.heartbeat.beat();
                        }
                    }
                    None => sleep(Duration::from_millis(delay)).await,
                }
            }
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            self.finished.fetch_add(1, Ordering::SeqCst);
            if request.input["fail"] == true && !self.fixed {
                return Err(TaskError::new("ItemFailed", "this item fails"));
            }
            Ok(request.input)
        })
    }
}

fn execute(definition: Value, input: Value, tasks: &SlowTasks) -> Execution {
    execute_with(definition, input, tasks, None)
}

fn execute_with(
    definition: Value,
    input: Value,
    tasks: &SlowTasks,
    redrive_of: Option<&Execution>,
) -> Execution {
    execute_on(definition, input, tasks, redrive_of, Arc::new(ScaledTimer))
}

/// On a timer that really sleeps what it is asked (the heartbeat clock and the execution's
/// deadline are measured in real time).
fn execute_unscaled(definition: Value, input: Value, tasks: &SlowTasks) -> Execution {
    execute_on(definition, input, tasks, None, Arc::new(ThreadTimer))
}

fn execute_on(
    definition: Value,
    input: Value,
    tasks: &SlowTasks,
    redrive_of: Option<&Execution>,
    timer: Arc<dyn Timer>,
) -> Execution {
    // Every run records its coverage: a stopped branch's must not be lost.
    let machine = load_state_machine(
        "real-clock.asl.json",
        &definition.to_string(),
        &FunctionCatalog::unknown(),
    )
    .unwrap_or_else(|e| panic!("definition rejected: {:?}", e.0));
    let executor = Executor::new(&machine).unwrap();
    // A redrive reads the failed execution's history in AWS's shape, as `run --redrive` does.
    let redrive = redrive_of.map(|failed| {
        let document = aws_history_document(&failed.history).to_string();
        let events = parse_aws_history([("failed.json", document.as_str())]).unwrap();
        Arc::new(redrive_point(&executor, &events).unwrap())
    });
    let options = ExecutionOptions {
        redrive,
        clock: ClockMode::Real,
        timer,
        coverage: true,
        history: HistoryDetail::Full,
        ..ExecutionOptions::default()
    };
    executor.execute_blocking(input, tasks, &options)
}

/// `(type, state, index)` of each event, in order.
fn events(execution: &Execution) -> Vec<(&'static str, String, Option<u64>)> {
    execution
        .history
        .iter()
        .map(|e| {
            (
                e.event_type.name(),
                e.state.as_deref().unwrap_or_default().to_owned(),
                e.details
                    .as_ref()
                    .and_then(|d| d.get("index"))
                    .and_then(Value::as_u64),
            )
        })
        .collect()
}

fn position(events: &[(&str, String, Option<u64>)], kind: &str, state: &str) -> usize {
    events
        .iter()
        .position(|(k, s, _)| *k == kind && s == state)
        .unwrap_or_else(|| panic!("no {kind} of {state} in {events:?}"))
}

const WORK: &str = "arn:aws:lambda:us-east-1:123456789012:function:work";

fn map_over_items(extra: Value) -> Value {
    let mut map = json!({
        "Type": "Map",
        "ItemsPath": "$.items",
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "INLINE"},
            "StartAt": "Work",
            "States": {"Work": {"Type": "Task", "Resource": WORK, "End": true}}
        },
        "End": true
    });
    if let (Some(map), Value::Object(extra)) = (map.as_object_mut(), extra) {
        map.extend(extra);
    }
    json!({"StartAt": "Each", "States": {"Each": map}})
}

#[test]
fn parallel_branches_wait_at_the_same_time() {
    let branch = |name: &str| {
        json!({
            "StartAt": format!("Wait {name}"),
            "States": {
                format!("Wait {name}"): {"Type": "Wait", "Seconds": 10, "Next": format!("Done {name}")},
                format!("Done {name}"): {"Type": "Pass", "Result": name, "End": true}
            }
        })
    };
    let definition = json!({
        "StartAt": "Both",
        "States": {"Both": {"Type": "Parallel", "Branches": [branch("left"), branch("right")], "End": true}}
    });
    let execution = execute(definition, json!({}), &SlowTasks::default());
    assert_eq!(execution.status, ExecutionStatus::Succeeded);
    // Results in branch order, whichever ended first.
    assert_eq!(execution.output, Some(json!(["left", "right"])));
    let events = events(&execution);
    // Both waits began before either ended: in turn, the right one would start only after the
    // left one's ten seconds.
    let right_entered = position(&events, "WaitStateEntered", "Wait right");
    let left_exited = position(&events, "WaitStateExited", "Wait left");
    assert!(right_entered < left_exited, "{events:?}");
    let succeeded = position(&events, "ParallelStateSucceeded", "Both");
    assert!(succeeded > position(&events, "PassStateExited", "Done left"));
    assert!(succeeded > position(&events, "PassStateExited", "Done right"));
    // One history, numbered as events happened.
    let ids: Vec<u64> = execution.history.iter().map(|e| e.id).collect();
    assert_eq!(ids, (1..=ids.len() as u64).collect::<Vec<_>>());
}

#[test]
fn a_map_runs_at_most_max_concurrency_iterations_at_once() {
    let tasks = SlowTasks::default();
    // The first item is the slowest, so iterations end out of item order.
    let items = json!([{"delayMs": 80}, {"delayMs": 5}, {"delayMs": 5}, {"delayMs": 5}, {"delayMs": 5}, {"delayMs": 5}]);
    let execution = execute(
        map_over_items(json!({"MaxConcurrency": 2})),
        json!({"items": items}),
        &tasks,
    );
    assert_eq!(execution.status, ExecutionStatus::Succeeded);
    assert_eq!(tasks.most.load(Ordering::SeqCst), 2);
    assert_eq!(tasks.finished.load(Ordering::SeqCst), 6);
    // The output keeps item order.
    assert_eq!(execution.output, Some(items));
    let succeeded: Vec<u64> = events(&execution)
        .into_iter()
        .filter(|(kind, _, _)| *kind == "MapIterationSucceeded")
        .filter_map(|(_, _, index)| index)
        .collect();
    assert_eq!(succeeded.len(), 6);
    assert_eq!(
        succeeded.last(),
        Some(&0),
        "item 0 ended last: {succeeded:?}"
    );
}

/// Without MaxConcurrency an Inline Map runs as many iterations at once as AWS does: "up to
/// 40 concurrent iterations" (https://docs.aws.amazon.com/step-functions/latest/dg/state-map-inline.html).
#[test]
fn a_map_without_max_concurrency_runs_up_to_40_at_once() {
    let tasks = SlowTasks::default();
    let items: Vec<Value> = (0..45).map(|_| json!({"delayMs": 50})).collect();
    let execution = execute(map_over_items(json!({})), json!({"items": items}), &tasks);
    assert_eq!(execution.status, ExecutionStatus::Succeeded);
    assert_eq!(tasks.most.load(Ordering::SeqCst), 40);
    assert_eq!(tasks.finished.load(Ordering::SeqCst), 45);
}

#[test]
fn a_failing_iteration_aborts_the_iterations_in_flight() {
    let tasks = SlowTasks::default();
    let items = json!([{"delayMs": 2000}, {"fail": true}, {"delayMs": 2000}]);
    let execution = execute(map_over_items(json!({})), json!({"items": items}), &tasks);
    assert_eq!(execution.status, ExecutionStatus::Failed);
    assert_eq!(execution.error.as_deref(), Some("ItemFailed"));
    let events = events(&execution);
    let of = |kind: &str| -> Vec<u64> {
        events
            .iter()
            .filter(|(k, _, _)| *k == kind)
            .filter_map(|(_, _, index)| *index)
            .collect()
    };
    assert_eq!(of("MapIterationFailed"), [1]);
    assert_eq!(of("MapIterationAborted"), [0, 2]);
    // Each cut iteration was calling its task.
    let task_aborted = events
        .iter()
        .filter(|(k, s, _)| *k == "TaskStateAborted" && s == "Work")
        .count();
    assert_eq!(task_aborted, 2, "{events:?}");
    // The slow items never ended: only the failing one's task finished.
    assert_eq!(tasks.finished.load(Ordering::SeqCst), 1);
    let failed = position(&events, "MapStateFailed", "Each");
    let aborted = events
        .iter()
        .rposition(|(k, _, _)| *k == "MapIterationAborted")
        .unwrap();
    assert!(aborted < failed, "{events:?}");
}

#[test]
fn tolerated_failures_leave_the_others_running() {
    let tasks = SlowTasks::default();
    let items = json!([{"fail": true}, {"delayMs": 20}, {"delayMs": 20}]);
    let execution = execute(
        map_over_items(json!({"ToleratedFailureCount": 1})),
        json!({"items": items}),
        &tasks,
    );
    assert_eq!(execution.status, ExecutionStatus::Succeeded);
    assert_eq!(tasks.finished.load(Ordering::SeqCst), 3);
    let output = execution.output.unwrap();
    assert_eq!(output[0]["Error"], "ItemFailed");
    assert_eq!(output[1], json!({"delayMs": 20}));
}

#[test]
fn a_failing_branch_stops_the_other_branches() {
    let definition = json!({
        "StartAt": "Both",
        "States": {"Both": {
            "Type": "Parallel",
            "Branches": [
                {"StartAt": "Long wait", "States": {"Long wait": {"Type": "Wait", "Seconds": 1000, "End": true}}},
                {"StartAt": "Broken", "States": {"Broken": {"Type": "Fail", "Error": "Broken", "Cause": "on purpose"}}}
            ],
            "End": true
        }}
    });
    let execution = execute(definition, json!({}), &SlowTasks::default());
    assert_eq!(execution.status, ExecutionStatus::Failed);
    assert_eq!(execution.error.as_deref(), Some("Broken"));
    let events = events(&execution);
    // The wait was stopped where it was: entered, never exited, and recorded as aborted.
    position(&events, "WaitStateEntered", "Long wait");
    position(&events, "WaitStateAborted", "Long wait");
    assert!(
        !events.iter().any(|(k, _, _)| *k == "WaitStateExited"),
        "{events:?}"
    );
    let failed = position(&events, "ParallelStateFailed", "Both");
    assert!(failed > position(&events, "FailStateEntered", "Broken"));
    // What the stopped branch reached still counts.
    let coverage = execution.coverage.expect("coverage was asked for");
    assert_eq!(coverage.states.get("Long wait"), Some(&1), "{coverage:?}");
    assert_eq!(coverage.states.get("Broken"), Some(&1), "{coverage:?}");
}

/// A Task with `HeartbeatSeconds` 1 caught on `States.Timeout`: AWS records a heartbeat that
/// runs out as a timeout (the cause table's `timeout` row), and "HeartbeatSeconds … If more time
/// than the specified seconds elapses between heartbeats from the task, this state fails"
/// (https://docs.aws.amazon.com/step-functions/latest/dg/state-task.html).
fn heartbeat_task() -> Value {
    json!({
        "StartAt": "Work",
        "States": {
            "Work": {
                "Type": "Task", "Resource": WORK, "HeartbeatSeconds": 1, "End": true,
                "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.error", "Next": "Gave up"}]
            },
            "Gave up": {"Type": "Pass", "Result": "gave up", "End": true}
        }
    })
}

#[test]
fn a_task_that_sends_no_heartbeat_times_out_into_its_catch() {
    let tasks = SlowTasks::default();
    let execution = execute_unscaled(heartbeat_task(), json!({"delayMs": 5000}), &tasks);
    assert_eq!(execution.status, ExecutionStatus::Succeeded);
    assert_eq!(execution.output, Some(json!("gave up")));
    // The task was given up while it still worked.
    assert_eq!(tasks.finished.load(Ordering::SeqCst), 0);
    let events = events(&execution);
    position(&events, "LambdaFunctionTimedOut", "Work");
}

#[test]
fn heartbeats_keep_a_long_task_alive() {
    let tasks = SlowTasks::default();
    let input = json!({"delayMs": 2500, "beatEveryMs": 100});
    let execution = execute_unscaled(heartbeat_task(), input.clone(), &tasks);
    assert_eq!(execution.status, ExecutionStatus::Succeeded);
    // Two and a half times its HeartbeatSeconds, and the task's own result.
    assert_eq!(execution.output, Some(input));
}

/// A beat "resets the Heartbeat clock" (SendTaskHeartbeat,
/// https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskHeartbeat.html):
/// one beat at 0.3 s gives the task until 1.3 s, not a second window ending at 2 s.
#[test]
fn the_heartbeat_clock_runs_from_the_last_beat() {
    let tasks = SlowTasks::default();
    let input = json!({"delayMs": 1800, "beatOnceAtMs": 300});
    let execution = execute_unscaled(heartbeat_task(), input, &tasks);
    assert_eq!(execution.output, Some(json!("gave up")));
    assert_eq!(tasks.finished.load(Ordering::SeqCst), 0);
}

/// The execution's `TimeoutSeconds` ends it while its Map's tasks still run: "If the execution
/// runs longer than the specified time, the execution fails with a States.Timeout error"
/// (https://docs.aws.amazon.com/step-functions/latest/dg/statemachine-structure.html).
#[test]
fn the_execution_times_out_while_its_iterations_work() {
    let tasks = SlowTasks::default();
    let mut definition = map_over_items(json!({}));
    definition["TimeoutSeconds"] = json!(1);
    let items = json!([{"delayMs": 4000}, {"delayMs": 4000}]);
    let execution = execute_unscaled(definition, json!({"items": items}), &tasks);
    assert_eq!(execution.status, ExecutionStatus::TimedOut);
    assert_eq!(tasks.finished.load(Ordering::SeqCst), 0);
}

/// "For workflows that include an Inline Map or Parallel state, RedriveExecution … reschedules
/// and redrives only the iterations and branches that failed or aborted"
/// (https://docs.aws.amazon.com/step-functions/latest/apireference/API_RedriveExecution.html).
#[test]
fn a_redrive_reruns_the_failed_and_the_aborted_iterations() {
    let items = json!([{"delayMs": 5}, {"delayMs": 100, "fail": true}, {"delayMs": 600}]);
    let input = json!({"items": items});
    let first = execute(
        map_over_items(json!({})),
        input.clone(),
        &SlowTasks::default(),
    );
    assert_eq!(first.status, ExecutionStatus::Failed);
    let aborted: Vec<_> = events(&first)
        .into_iter()
        .filter(|(kind, _, _)| *kind == "MapIterationAborted")
        .collect();
    assert_eq!(aborted.len(), 1, "item 2 was still running: {aborted:?}");

    let fixed = SlowTasks {
        fixed: true,
        ..SlowTasks::default()
    };
    let redriven = execute_with(map_over_items(json!({})), input, &fixed, Some(&first));
    assert_eq!(redriven.status, ExecutionStatus::Succeeded);
    assert_eq!(redriven.output, Some(items));
    // Items 1 (failed) and 2 (aborted) ran again; item 0 kept its result.
    assert_eq!(fixed.finished.load(Ordering::SeqCst), 2);
}

/// What a failing iteration cut, recorded as AWS records it (as the emulator floci's
/// `StepFunctionsMapIterationFailureIntegrationTest` says it measured on AWS): after the
/// failure, `MapIterationAborted` and the `…StateAborted` of the state the cut iteration was in,
/// then `MapIterationFailed` and `MapStateFailed`, each following the failure's event.
#[test]
fn a_cut_iteration_records_the_state_it_was_in() {
    let definition = json!({
        "StartAt": "M",
        "States": {"M": {
            "Type": "Map", "End": true, "ItemsPath": "$.items",
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "INLINE"},
                "StartAt": "Route",
                "States": {
                    "Route": {"Type": "Choice", "Default": "Long",
                              "Choices": [{"Variable": "$.kind", "StringEquals": "fail", "Next": "Pause"}]},
                    "Long": {"Type": "Wait", "Seconds": 15, "End": true},
                    "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Boom"},
                    "Boom": {"Type": "Fail", "Error": "Boom", "Cause": "sibling failed"}
                }
            }
        }}
    });
    let input = json!({"items": [{"kind": "long"}, {"kind": "fail"}]});
    let execution = execute(definition, input, &SlowTasks::default());
    assert_eq!(execution.status, ExecutionStatus::Failed);
    assert_eq!(execution.error.as_deref(), Some("Boom"));
    let history = &execution.history;
    let failure = history
        .iter()
        .position(|e| e.event_type.name() == "FailStateEntered")
        .unwrap();
    let after: Vec<&str> = history[failure + 1..]
        .iter()
        .map(|e| e.event_type.name())
        .collect();
    assert_eq!(
        after,
        [
            "MapIterationAborted",
            "WaitStateAborted",
            "MapIterationFailed",
            "MapStateFailed",
            "ExecutionFailed"
        ]
    );
    for event in &history[failure + 1..failure + 5] {
        assert_eq!(event.previous_id, history[failure].id, "{event:?}");
    }
    let index = |e: &orderflow_exec::HistoryEvent| e.details.as_ref().map(|d| d["index"].clone());
    assert_eq!(index(&history[failure + 1]), Some(json!(0)));
    assert_eq!(history[failure + 2].state.as_deref(), Some("Long"));
    assert_eq!(index(&history[failure + 3]), Some(json!(1)));
}
