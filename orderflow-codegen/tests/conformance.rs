//! Conformance of the executor against executions recorded on real AWS Step Functions.
//!
//! Loads `shared/conformance/aws-recorded.json` (beside the workspace), runs every case, prints
//! the pass rate by group and overall, lists every miss with a reason, and fails if fewer than
//! 95% of the JSONPath cases or 90% of the JSONata cases (the query language set on the machine
//! or on any state) pass. A case passes when the status matches and, for SUCCEEDED, the
//! output is equal (only its shape when the recording replaced generated values), or for FAILED
//! the error name is equal. Cause texts and history event types are reported, not asserted.

// A test fails by panicking: unwrap and expect say where (the workspace denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use orderflow_exec::{ExecutionIdentity, ExecutionOptions, ExecutionStatus, Executor, NoTasks};
use orderflow_model::asl::model::{QueryLanguage, StateMachine};
use orderflow_model::asl::validate::validate;
use orderflow_model::asl::{FunctionCatalog, parse_state_machine};
use orderflow_model::source::SourceFile;
use serde_json::Value;

const REQUIRED_PASS_RATE: f64 = 0.95;
/// Issue 7's floor for the JSONata cases.
const REQUIRED_JSONATA_PASS_RATE: f64 = 0.90;

fn cases_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/aws-recorded.json")
}

/// The recordings replaced generated names with these placeholders; using them as the names
/// makes `$$.StateMachine`, `$$.Execution.Name` etc. compare exactly.
fn options() -> ExecutionOptions {
    ExecutionOptions {
        identity: ExecutionIdentity {
            partition: "<partition>".into(),
            region: "<region>".into(),
            account: "111111111111".into(),
            state_machine_name: "<ArnPart_0idx>".into(),
            execution_name: Some("<ExecArnPart_0idx>".into()),
            role_arn: None,
        },
        random_seed: Some(1),
        start_time_millis: Some(1_700_000_000_000),
        ..ExecutionOptions::default()
    }
}

/// Same structure: object keys, array lengths; placeholder strings in the expectation stand for
/// any scalar.
fn same_shape(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            e.len() == a.len()
                && e.iter()
                    .all(|(k, v)| a.get(k).is_some_and(|w| same_shape(v, w)))
        }
        (Value::Array(e), Value::Array(a)) => {
            e.len() == a.len() && e.iter().zip(a).all(|(v, w)| same_shape(v, w))
        }
        (Value::String(_), a) => !a.is_object() && !a.is_array(),
        (e, a) => std::mem::discriminant(e) == std::mem::discriminant(a),
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 140 {
        format!("{}…", s.chars().take(140).collect::<String>())
    } else {
        s
    }
}

/// `tests/aws/services/stepfunctions/v2/base/test_base.py::TestSnfBase::…` → `base/test_base.py`.
fn group_of(id: &str) -> String {
    let file = id.split("::").next().unwrap_or(id);
    file.split("/v2/").nth(1).unwrap_or(file).to_string()
}

fn load_machine(definition: &Value) -> Result<StateMachine, String> {
    let text = serde_json::to_string_pretty(definition).map_err(|e| e.to_string())?;
    let file = SourceFile::new("workflow.asl.json", text);
    let json = orderflow_model::json::parse(file.text()).map_err(|e| e.message)?;
    let mut diagnostics = Vec::new();
    let mut machine =
        parse_state_machine(&file, &json, &FunctionCatalog::default(), &mut diagnostics);
    validate(&mut machine, &mut diagnostics);
    if let Some(d) = diagnostics.iter().find(|d| d.is_error()) {
        return Err(format!("definition rejected: {}", d.message));
    }
    Ok(machine)
}

#[derive(Default)]
struct Tally {
    run: usize,
    passed: usize,
}

#[test]
fn aws_recorded_executions() {
    let path = cases_file();
    let Ok(text) = std::fs::read_to_string(&path) else {
        println!(
            "conformance cases absent: {} does not exist (shared/ is laid beside the workspace \
             only on project machines), so this test checks nothing and passes vacuously",
            path.display()
        );
        return;
    };
    let cases: Vec<Value> = match serde_json::from_str(&text) {
        Ok(cases) => cases,
        Err(e) => panic!("{} is not a JSON list of cases: {e}", path.display()),
    };
    let options = options();
    let mut groups: BTreeMap<String, Tally> = BTreeMap::new();
    let mut misses: Vec<String> = Vec::new();
    let (mut cause_exact, mut failed_cases, mut events_exact, mut run) =
        (0usize, 0usize, 0usize, 0usize);
    // JSONata cases (the query language set on the machine or on any state) are counted apart:
    // issue 7's measure, while JSONPath keeps its own floor.
    let (mut jsonata_run, mut jsonata_passed) = (0usize, 0usize);
    for case in &cases {
        let id = case["id"].as_str().unwrap_or("?");
        let definition = &case["definition"];
        let jsonata = definition.to_string().contains(&format!(
            "\"QueryLanguage\":\"{}\"",
            QueryLanguage::Jsonata.as_str()
        ));
        if jsonata {
            jsonata_run += 1;
        } else {
            run += 1;
        }
        let tally = groups.entry(group_of(id)).or_default();
        tally.run += 1;
        let expected = &case["expected"];
        let machine = match load_machine(definition) {
            Ok(m) => m,
            Err(reason) => {
                misses.push(format!("{id}: {reason}"));
                continue;
            }
        };
        let executor = match Executor::new(&machine) {
            Ok(e) => e,
            Err(e) => {
                misses.push(format!("{id}: {e}"));
                continue;
            }
        };
        let execution = executor.execute_blocking(case["input"].clone(), &NoTasks, &options);
        let expected_types: Vec<&str> = case["event_types"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if execution.event_types() == expected_types {
            events_exact += 1;
        }
        let status = execution.status.as_str();
        let expected_status = expected["status"].as_str().unwrap_or("");
        let verdict: Result<(), String> = if status != expected_status {
            Err(format!(
                "status {status} (error {:?}, cause {:?}), expected {expected_status}",
                execution.error, execution.cause
            ))
        } else if execution.status == ExecutionStatus::Succeeded {
            let output = execution.output.clone().unwrap_or(Value::Null);
            let transformed = case["has_transformed_values"].as_bool() == Some(true);
            let ok = if transformed {
                same_shape(&expected["output"], &output)
            } else {
                expected["output"] == output
            };
            if ok {
                Ok(())
            } else {
                Err(format!(
                    "output {} expected {}",
                    short(&output),
                    short(&expected["output"])
                ))
            }
        } else {
            failed_cases += 1;
            if execution.cause.as_deref() == expected["cause"].as_str() {
                cause_exact += 1;
            }
            if execution.error.as_deref() == expected["error"].as_str() {
                Ok(())
            } else {
                Err(format!(
                    "error {:?} (cause {:?}), expected {}",
                    execution.error, execution.cause, expected["error"]
                ))
            }
        };
        match verdict {
            Ok(()) if jsonata => {
                tally.passed += 1;
                jsonata_passed += 1;
            }
            Ok(()) => tally.passed += 1,
            Err(reason) => misses.push(format!("{id}: {reason}")),
        }
    }
    let passed: usize = groups.values().map(|t| t.passed).sum::<usize>() - jsonata_passed;
    println!(
        "\nAWS-recorded conformance ({} cases in {})",
        cases.len(),
        path.display()
    );
    println!("{:<62} {:>6} {:>6} {:>7}", "group", "passed", "run", "rate");
    for (group, t) in &groups {
        println!(
            "{group:<62} {:>6} {:>6} {:>6.1}%",
            t.passed,
            t.run,
            100.0 * t.passed as f64 / t.run.max(1) as f64
        );
    }
    let rate = passed as f64 / run.max(1) as f64;
    println!(
        "JSONPath cases: {passed}/{run} passed ({:.1}%)",
        100.0 * rate
    );
    println!(
        "JSONata cases: {jsonata_passed}/{jsonata_run} passed ({:.1}%)",
        100.0 * jsonata_passed as f64 / jsonata_run.max(1) as f64
    );
    println!("cause text exact: {cause_exact}/{failed_cases} FAILED cases");
    println!(
        "event types exact: {events_exact}/{} cases",
        run + jsonata_run
    );
    if misses.is_empty() {
        println!("misses: none");
    } else {
        println!("misses ({}):", misses.len());
        for m in &misses {
            println!("  - {m}");
        }
    }
    assert!(
        rate >= REQUIRED_PASS_RATE,
        "JSONPath pass rate {:.1}% is below {:.0}%",
        100.0 * rate,
        100.0 * REQUIRED_PASS_RATE
    );
    let jsonata_rate = jsonata_passed as f64 / jsonata_run.max(1) as f64;
    assert!(
        jsonata_rate >= REQUIRED_JSONATA_PASS_RATE,
        "JSONata pass rate {:.1}% is below {:.0}%",
        100.0 * jsonata_rate,
        100.0 * REQUIRED_JSONATA_PASS_RATE
    );
}
