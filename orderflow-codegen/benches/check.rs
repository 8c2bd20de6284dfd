//! `check` on synthetic workflows of 1,000 to 5,000 states, against a baseline measured in the
//! same run: parsing the same ASL text with `serde_json` alone.
//!
//! Run: `cargo bench -p orderflow-codegen --bench check`. The ratio of the 5,000-state median to
//! the 1,000-state median shows whether the check stays linear.

// A test fails by panicking: unwrap and expect say where (the workspace denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use orderflow_model::analyze;
use orderflow_model::workflow::WorkflowSources;

fn main() {
    divan::main();
}

const FUNCTIONS: usize = 10;
const SIZES: &[usize] = &[1_000, 2_000, 5_000];

/// A workflow of about `states` states: a chain of Lambda tasks (each with ResultPath, Retry
/// and a Catch into a shared fallback), a Choice every tenth state whose branches rejoin, and a
/// Pass with Parameters every seventh — the shapes the data-flow check has to join.
pub fn synthetic(states: usize) -> WorkflowSources {
    let mut asl = serde_json::Map::new();
    let name = |i: usize| format!("S{i}");
    for i in 0..states {
        let next = if i + 1 == states {
            "Done".to_owned()
        } else {
            name(i + 1)
        };
        let state = if i % 10 == 9 {
            serde_json::json!({
                "Type": "Choice",
                "Choices": [{
                    "And": [
                        {"Variable": "$.r0", "IsPresent": true},
                        {"Variable": "$.r0.value", "NumericGreaterThan": 0}
                    ],
                    "Next": next
                }],
                "Default": next
            })
        } else if i % 7 == 6 {
            serde_json::json!({
                "Type": "Pass",
                "Parameters": {"id.$": "$.id", "r0.$": "$.r0", "label.$": "States.Format('step {}', $.id)"},
                "Next": next
            })
        } else {
            // Shifted every ten states, so every function is used despite the Choice positions.
            let f = (i + i / 10) % FUNCTIONS;
            serde_json::json!({
                "Type": "Task",
                "Resource": format!("${{F{f}FunctionArn}}"),
                "ResultPath": format!("$.r{f}"),
                "Retry": [{"ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 2}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Fallback"}],
                "Next": next
            })
        };
        asl.insert(name(i), state);
    }
    asl.insert(
        "Fallback".into(),
        serde_json::json!({"Type": "Fail", "Error": "Failed"}),
    );
    asl.insert("Done".into(), serde_json::json!({"Type": "Succeed"}));
    let machine = serde_json::json!({"StartAt": "S0", "States": asl});

    let mut sources = WorkflowSources::new(format!("synthetic-{states}"));
    sources.insert("workflow.asl.json", pretty(&machine));
    let input = serde_json::json!({
        "type": "object",
        "properties": {"id": {"type": "string"}},
        "required": ["id"]
    });
    sources.insert("schemas/execution.input.json", pretty(&input));
    for f in 0..FUNCTIONS {
        sources.insert(&format!("schemas/f{f}.input.json"), pretty(&input));
        let output = serde_json::json!({
            "type": "object",
            "properties": {"value": {"type": "number"}},
            "required": ["value"],
            "additionalProperties": false
        });
        sources.insert(&format!("schemas/f{f}.output.json"), pretty(&output));
    }
    sources
}

fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

#[divan::bench(args = SIZES, sample_count = 20)]
fn check(bencher: divan::Bencher, states: usize) {
    let sources = synthetic(states);
    // Guard against benchmarking an early exit: the synthetic workflow must be clean.
    let analysis = analyze(&sources);
    assert!(
        analysis.diagnostics.is_empty(),
        "synthetic workflow has diagnostics: {:?}",
        analysis
            .diagnostics
            .iter()
            .map(|d| &d.message)
            .collect::<Vec<_>>()
    );
    bencher.bench(|| analyze(divan::black_box(&sources)));
}

/// Baseline: parsing the ASL text with serde_json, nothing else.
#[divan::bench(args = SIZES, sample_count = 20)]
fn baseline_serde_json_parse(bencher: divan::Bencher, states: usize) {
    let sources = synthetic(states);
    let text = sources
        .asl
        .as_ref()
        .map(|f| f.text().to_owned())
        .unwrap_or_default();
    bencher.bench(|| serde_json::from_str::<serde_json::Value>(divan::black_box(&text)));
}
