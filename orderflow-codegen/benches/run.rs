//! Throughput of `orderflow-codegen run --inputs` on a 10-state Pass/Choice workflow
//! (`benches/fixtures/ten-states.asl.json`), against a baseline measured in the same run: the
//! in-process executor running the same executions (no process, no JSON reading or writing).
//! Also a Map over 10,000 items at `MaxConcurrency` 40, each iteration a Wait (virtual time),
//! a Choice and a Pass, in process: iterations per second.
//!
//! Run: `cargo bench -p orderflow-codegen --bench run` (the binary is built with the bench
//! profile). Divan reports items/s: executions per second. The CLI must sustain at least
//! 20,000 executions/s on one core (it is single-threaded).

// A test fails by panicking: unwrap and expect say where (the workspace denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use orderflow_exec::{ExecutionOptions, Executor, HistoryDetail, NoTasks};
use orderflow_model::asl::model::StateMachine;
use orderflow_model::asl::validate::validate;
use orderflow_model::asl::{FunctionCatalog, parse_state_machine};
use orderflow_model::source::SourceFile;
use serde_json::Value;

fn main() {
    divan::main();
}

/// Executions per CLI process.
const LINES: usize = 100_000;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/fixtures/ten-states.asl.json")
}

fn machine() -> StateMachine {
    let path = fixture();
    let text = std::fs::read_to_string(&path).expect("the fixture is readable");
    let file = SourceFile::new(path, text);
    let json = orderflow_model::json::parse(file.text()).expect("the fixture is JSON");
    let mut diagnostics = Vec::new();
    let mut machine =
        parse_state_machine(&file, &json, &FunctionCatalog::default(), &mut diagnostics);
    validate(&mut machine, &mut diagnostics);
    assert!(
        diagnostics.iter().all(|d| !d.is_error()),
        "the fixture is invalid: {diagnostics:?}"
    );
    machine
}

/// Input `i`: every path of the workflow is taken (large/small, member or not, and every
/// seventh order empty, which fails).
fn input_line(i: usize, out: &mut String) {
    let tier = if i % 3 == 0 { "gold" } else { "silver" };
    let _ = writeln!(
        out,
        r#"{{"orderId":"o-{i}","items":{},"total":{},"customer":{{"tier":"{tier}","id":"c-{}"}}}}"#,
        if i % 7 == 0 { 0 } else { 1 + i % 5 },
        (i * 37) % 250,
        i % 1000
    );
}

/// The same options as `run` without `--history`.
fn options() -> ExecutionOptions {
    ExecutionOptions {
        history: HistoryDetail::None,
        ..ExecutionOptions::default()
    }
}

/// Baseline: one execution of the in-process executor (input already parsed).
#[divan::bench(sample_count = 20, sample_size = 2_000)]
fn in_process_execution(bencher: divan::Bencher) {
    let machine = machine();
    let executor = Executor::new(&machine).expect("the fixture runs");
    let options = options();
    let inputs: Vec<Value> = (0..64)
        .map(|i| {
            let mut line = String::new();
            input_line(i, &mut line);
            serde_json::from_str(&line).expect("input JSON")
        })
        .collect();
    let mut next = 0usize;
    bencher
        .counter(divan::counter::ItemsCount::new(1usize))
        .with_inputs(|| {
            next = (next + 1) % inputs.len();
            inputs[next].clone()
        })
        .bench_local_values(|input| executor.execute_blocking(input, &NoTasks, &options));
}

/// The whole process: `orderflow-codegen run FIXTURE --inputs FILE` on 100,000 lines, stdout
/// discarded.
#[divan::bench(sample_count = 5)]
fn cli_run_inputs_100k(bencher: divan::Bencher) {
    let dir = tempfile::tempdir().expect("temp dir");
    let inputs = dir.path().join("inputs.jsonl");
    let mut text = String::with_capacity(LINES * 80);
    for i in 0..LINES {
        input_line(i, &mut text);
    }
    std::fs::write(&inputs, text).expect("write inputs");
    let fixture = fixture();
    let command = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_orderflow-codegen"));
        command
            .arg("run")
            .arg(&fixture)
            .arg("--inputs")
            .arg(&inputs)
            .stderr(Stdio::null());
        command
    };
    // Guard against benchmarking an early exit: every line must run, with both outcomes.
    let output = command().output().expect("the binary runs");
    assert!(output.status.success(), "run --inputs failed");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout.lines().count(), LINES);
    assert!(
        stdout
            .lines()
            .all(|l| l.starts_with(r#"{"status":"SUCCEEDED""#)
                || l.starts_with(r#"{"status":"FAILED","error":"EmptyOrder""#)),
        "unexpected results"
    );
    bencher
        .counter(divan::counter::ItemsCount::new(LINES))
        .bench(|| {
            let status = command()
                .stdout(Stdio::null())
                .status()
                .expect("the binary runs");
            assert!(status.success());
        });
}

/// A Distributed Map over 10,000 items at MaxConcurrency 40 (issue 22; inline, the 80,000
/// events of its iterations would pass the 25,000-event history limit): each child waits 1 to 3
/// virtual seconds, picks a branch with a Choice and ends in a Pass whose small result keeps the Map's
/// output under the 256 KiB limit. Counted in Map iterations per second, one execution per
/// sample.
#[divan::bench(sample_count = 10)]
fn map_10k_items_concurrency_40(bencher: divan::Bencher) {
    let definition = serde_json::json!({
        "StartAt": "Each",
        "States": {"Each": {
            "Type": "Map", "MaxConcurrency": 40, "ItemsPath": "$.items", "End": true,
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                "StartAt": "Pause", "States": {
                "Pause": {"Type": "Wait", "SecondsPath": "$", "Next": "Large?"},
                "Large?": {"Type": "Choice", "Default": "Small",
                    "Choices": [{"Variable": "$", "NumericGreaterThan": 2, "Next": "Large"}]},
                "Large": {"Type": "Pass", "Result": 1, "End": true},
                "Small": {"Type": "Pass", "Result": 0, "End": true}
            }}
        }}
    });
    let text = definition.to_string();
    let file = SourceFile::new("map-10k.asl.json", text);
    let json = orderflow_model::json::parse(file.text()).expect("JSON");
    let mut diagnostics = Vec::new();
    let mut machine =
        parse_state_machine(&file, &json, &FunctionCatalog::default(), &mut diagnostics);
    validate(&mut machine, &mut diagnostics);
    assert!(diagnostics.iter().all(|d| !d.is_error()), "{diagnostics:?}");
    let executor = Executor::new(&machine).expect("the definition runs");
    // Each item is its wait in seconds: 10,000 of them stay under the 256 KiB input limit.
    let items: Vec<Value> = (0..10_000).map(|i| serde_json::json!(1 + i % 3)).collect();
    let input = serde_json::json!({ "items": items });
    let options = options();
    // Guard: every item ran, and 10,000 items of 1-3 s, 40 at a time, take about 500 s.
    let execution = executor.execute_blocking(input.clone(), &NoTasks, &options);
    let output = execution.output.as_ref().and_then(Value::as_array);
    assert_eq!(output.map(Vec::len), Some(10_000), "{:?}", execution.error);
    let elapsed = execution.virtual_elapsed.as_secs();
    assert!(
        (490..=510).contains(&elapsed),
        "{elapsed} s of virtual time"
    );
    bencher
        .counter(divan::counter::ItemsCount::new(10_000usize))
        .with_inputs(|| input.clone())
        .bench_local_values(|input| executor.execute_blocking(input, &NoTasks, &options));
}
