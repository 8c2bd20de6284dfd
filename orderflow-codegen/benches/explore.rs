//! `explore` on the store checkout: the time to reach every state, Choice branch and Catch edge
//! (from five seeds), and executions per second while exploring, against a baseline measured in
//! the same run: the executor running the checkout on a fixed mock test case (no values drawn,
//! no coverage kept, no findings classified).
//!
//! Run: `cargo bench -p orderflow-codegen --bench explore`. The time to full coverage must stay
//! under 2 s.

// A test fails by panicking: unwrap and expect say where (the workspace denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use orderflow_codegen::{ExploreOptions, explore};
use orderflow_exec::{Contracts, ExecutionOptions, Executor, HistoryDetail, MockConfig};
use orderflow_model::analyze;
use orderflow_model::workflow::{Workflow, WorkflowSources};
use serde_json::Value;

fn main() {
    divan::main();
}

fn checkout_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../definitions/store-checkout")
}

fn checkout() -> (Workflow, Value) {
    let dir = checkout_dir();
    let sources = WorkflowSources::read_dir(&dir).unwrap();
    let workflow = analyze(&sources).workflow.unwrap();
    let definition =
        serde_json::from_str(&std::fs::read_to_string(dir.join("workflow.asl.json")).unwrap())
            .unwrap();
    (workflow, definition)
}

/// From the first execution until everything reachable was reached.
#[divan::bench(args = [1, 2, 3, 4, 5], sample_count = 10)]
fn time_to_full_coverage(bencher: divan::Bencher, seed: u64) {
    let (workflow, definition) = checkout();
    let options = ExploreOptions {
        seed,
        max_executions: 100_000,
        stop_at_full_coverage: true,
    };
    bencher.bench(|| {
        let exploration = explore(&workflow, &definition, options).unwrap();
        assert!(exploration.full_coverage_after.is_some());
        exploration.executions
    });
}

/// Exploring: 1,000 executions, values drawn, coverage kept, findings classified (the
/// findings' minimisation and replays included).
#[divan::bench(sample_count = 10)]
fn explore_1000_executions(bencher: divan::Bencher) {
    let (workflow, definition) = checkout();
    let options = ExploreOptions {
        seed: 1,
        max_executions: 1000,
        stop_at_full_coverage: false,
    };
    bencher
        .counter(divan::counter::ItemsCount::new(1000usize))
        .bench(|| {
            explore(&workflow, &definition, options)
                .unwrap()
                .findings
                .len()
        });
}

/// Baseline: one execution of the checkout on a fixed mock test case, with the same contracts
/// and history as explore's executions.
#[divan::bench(sample_count = 20, sample_size = 200)]
fn baseline_mocked_execution(bencher: divan::Bencher) {
    let (workflow, _) = checkout();
    let contracts = Contracts::from_workflow(&workflow).unwrap();
    let executor = Executor::new(&workflow.machine)
        .unwrap()
        .with_contracts(&contracts);
    let mocks = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/run/store-checkout.mocks.json");
    let config = MockConfig::parse(
        &std::fs::read_to_string(&mocks).unwrap(),
        &mocks.display().to_string(),
    )
    .unwrap();
    let case = config.test_case(None, "BillingRetried").unwrap();
    let input: Value = serde_json::from_str(
        &std::fs::read_to_string(checkout_dir().join("examples/happy-path.json")).unwrap(),
    )
    .unwrap();
    let options = ExecutionOptions {
        history: HistoryDetail::Events,
        random_seed: Some(1),
        ..ExecutionOptions::default()
    };
    bencher
        .counter(divan::counter::ItemsCount::new(1usize))
        .bench(|| {
            let invoker = case.invoker();
            executor.execute_blocking(input.clone(), &invoker, &options)
        });
}
