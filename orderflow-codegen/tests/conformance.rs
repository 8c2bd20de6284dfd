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
/// Issue 19's floor: histories in AWS's shape equal to the recording, event for event (the
/// rest differ where the execution itself does, in cause texts or outcome).
const REQUIRED_HISTORY_RATE: f64 = 0.90;
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

/// The placeholder the recording put for the dates a case was given (`{"TimestampValue":
/// "date"}`), in its input and output alike, even where `has_transformed_values` is false.
const DATE_PLACEHOLDER: &str = "date";

/// The date that stands in for [`DATE_PLACEHOLDER`] on the way in (in the past, so a Wait
/// until it ends at once), and that the placeholder stands in for again on the way out, as the
/// recording did. With nanoseconds, the finest precision the recorded cases gave (their
/// `[NANOSECONDS]` variants), so parsing them is exercised.
const A_DATE: &str = "2016-03-14T01:59:00.123456789Z";

/// `value` with every string equal to `from` replaced by `to`.
fn replace_strings(value: &Value, from: &str, to: &str) -> Value {
    match value {
        Value::String(s) if s == from => Value::String(to.to_owned()),
        Value::Array(items) => {
            Value::Array(items.iter().map(|i| replace_strings(i, from, to)).collect())
        }
        Value::Object(members) => Value::Object(
            members
                .iter()
                .map(|(k, v)| (k.clone(), replace_strings(v, from, to)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The input a case ran with on AWS, as far as the recording lets it be rebuilt.
fn runnable_input(case: &Value) -> Value {
    replace_strings(&case["input"], DATE_PLACEHOLDER, A_DATE)
}

/// A local result masked as the recording masked AWS's.
fn masked(value: &Value) -> Value {
    replace_strings(value, A_DATE, DATE_PLACEHOLDER)
}

/// Whether a local cause is AWS's. The recording replaced a JSON text inside a cause with
/// `<json-input:N>`; such a placeholder stands for any JSON text there.
fn same_cause(expected: Option<&str>, actual: Option<&str>) -> bool {
    let (Some(expected), Some(actual)) = (expected, actual) else {
        return expected == actual;
    };
    let Some(start) = expected.find("<json-input:") else {
        return expected == actual;
    };
    let Some(length) = expected[start..].find('>') else {
        return expected == actual;
    };
    let (before, after) = (&expected[..start], &expected[start + length + 1..]);
    actual.len() >= before.len() + after.len()
        && actual.starts_with(before)
        && actual.ends_with(after)
        && serde_json::from_str::<Value>(&actual[before.len()..actual.len() - after.len()]).is_ok()
}

#[test]
fn a_json_placeholder_in_a_recorded_cause_stands_for_json_only() {
    let recorded = "could not be found in the input '<json-input:1>'";
    assert!(same_cause(
        Some(recorded),
        Some("could not be found in the input '{\"a\":1}'")
    ));
    assert!(!same_cause(
        Some(recorded),
        Some("could not be found in the input 'not json'")
    ));
    assert!(!same_cause(Some(recorded), None));
    assert!(same_cause(Some("plain"), Some("plain")));
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

/// The recorded cases, or `None` (said on stdout) when the shared folder is absent.
fn load_cases() -> Option<(PathBuf, Vec<Value>)> {
    let path = cases_file();
    let Ok(text) = std::fs::read_to_string(&path) else {
        println!(
            "conformance cases absent: {} does not exist (shared/ is laid beside the workspace \
             only on project machines), so this test checks nothing and passes vacuously",
            path.display()
        );
        return None;
    };
    match serde_json::from_str(&text) {
        Ok(cases) => Some((path, cases)),
        Err(e) => panic!("{} is not a JSON list of cases: {e}", path.display()),
    }
}

#[derive(Default)]
struct Tally {
    run: usize,
    passed: usize,
}

#[test]
fn aws_recorded_executions() {
    let Some((path, cases)) = load_cases() else {
        return;
    };
    let options = options();
    let mut groups: BTreeMap<String, Tally> = BTreeMap::new();
    let mut misses: Vec<String> = Vec::new();
    let mut unverifiable_causes = 0usize;
    let (mut cause_exact, mut failed_cases, mut events_exact, mut run) =
        (0usize, 0usize, 0usize, 0usize);
    let mut cause_misses: Vec<String> = Vec::new();
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
        let execution = executor.execute_blocking(runnable_input(case), &NoTasks, &options);
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
            let output = masked(&execution.output.clone().unwrap_or(Value::Null));
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
            // A cause whose JSON the recording masked (`<json-input:N>`) cannot be compared
            // word for word: it is counted apart, not as exact.
            let masked_cause = expected["cause"]
                .as_str()
                .is_some_and(|c| c.contains("<json-input:"));
            if masked_cause {
                unverifiable_causes += 1;
            } else {
                failed_cases += 1;
                if same_cause(expected["cause"].as_str(), execution.cause.as_deref()) {
                    cause_exact += 1;
                } else {
                    cause_misses.push(format!(
                        "{id}: cause {:?}, AWS's {:?}",
                        execution.cause, expected["cause"]
                    ));
                }
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
    println!(
        "cause text exact: {cause_exact}/{failed_cases} FAILED cases (and {unverifiable_causes} whose recorded cause has masked JSON, not counted)"
    );
    for miss in &cause_misses {
        println!("  - {miss}");
    }
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

/// `value` with every object's keys in order, so equal values print alike.
fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(o) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), sorted(&o[k])))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// A local event made comparable with the recording, normalised as its README says: JSON text
/// that starts with `{` (input, output, cause) decoded, timestamps and role ARNs replaced by the
/// recording's placeholders.
/// JSON text in `input`, `output` and variables is compared as the values it holds: the
/// recording keeps the text of its test client's encoder (`[1, 2]`), AWS re-encodes what states
/// produce (`[1,2]`).
fn normalised(mut event: Value) -> Value {
    // JSON text as the value it holds; other text stays.
    fn decode(text: &mut Value) {
        if let Some(decoded) = text
            .as_str()
            .and_then(|t| serde_json::from_str::<Value>(t).ok())
        {
            *text = decoded;
        }
    }
    if let Some(object) = event.as_object_mut() {
        object.insert("timestamp".into(), Value::String("timestamp".into()));
        for (key, details) in object.iter_mut() {
            if !key.ends_with("EventDetails") {
                continue;
            }
            let Some(details) = details.as_object_mut() else {
                continue;
            };
            for (field, value) in details.iter_mut() {
                match (field.as_str(), value) {
                    ("roleArn", value) => *value = Value::String("snf_role_arn".into()),
                    ("input" | "output", value) => decode(value),
                    ("assignedVariables", Value::Object(vars)) => {
                        vars.values_mut().for_each(decode);
                    }
                    (_, value) if value.as_str().is_some_and(|t| t.starts_with('{')) => {
                        decode(value);
                    }
                    _ => {}
                }
            }
        }
    }
    event
}

/// The recording's events compared with a local run's, in AWS's shape (`aws_events`): type, id,
/// `previousEventId` and the `<type>EventDetails` object, event by event. Parallel branches'
/// events carry no ids in the recording (their order is not deterministic on AWS), so only
/// their type and details count; cases whose values were replaced by placeholders are compared
/// by shape.
#[test]
fn aws_recorded_histories() {
    let Some((path, cases)) = load_cases() else {
        return;
    };
    let options = ExecutionOptions {
        history: orderflow_exec::HistoryDetail::Full,
        ..options()
    };
    let (mut compared, mut exact, mut events_total, mut events_equal) = (0, 0, 0, 0);
    let mut misses = Vec::new();
    for case in &cases {
        let id = case["id"].as_str().unwrap_or("?");
        let Some(expected) = case["events"].as_array() else {
            continue;
        };
        let Ok(machine) = load_machine(&case["definition"]) else {
            continue;
        };
        let Ok(executor) = Executor::new(&machine) else {
            continue;
        };
        compared += 1;
        let execution = executor.execute_blocking(runnable_input(case), &NoTasks, &options);
        let actual: Vec<Value> = orderflow_exec::aws_events(&execution.history)
            .into_iter()
            .map(|event| masked(&normalised(event)))
            .collect();
        let expected: Vec<Value> = expected.iter().cloned().map(normalised).collect();
        // Parallel branches run concurrently on AWS: their events' order (and ids) are not
        // recorded, and the recording dropped the branches' ParallelStateSucceeded. Every
        // recorded event must be among the local ones, with as many events as the ids count.
        if expected.iter().any(|e| !e["id"].is_u64()) {
            let key = |e: &Value| {
                let mut e = e.clone();
                if let Some(o) = e.as_object_mut() {
                    o.remove("id");
                    o.remove("previousEventId");
                }
                sorted(&e).to_string()
            };
            let mut local: Vec<String> = actual.iter().map(key).collect();
            let missing: Vec<String> = expected
                .iter()
                .map(key)
                .filter(|k| match local.iter().position(|l| l == k) {
                    Some(i) => {
                        local.swap_remove(i);
                        false
                    }
                    None => true,
                })
                .collect();
            let all_found = missing.is_empty();
            let last_id = expected.iter().filter_map(|e| e["id"].as_u64()).max();
            events_total += expected.len();
            if all_found && last_id == Some(actual.len() as u64) {
                events_equal += expected.len();
                exact += 1;
            } else {
                misses.push(format!(
                    "{id}: the Parallel's events differ ({} local, {} recorded; not found \
                     locally: {})",
                    actual.len(),
                    expected.len(),
                    missing.join(" ")
                ));
            }
            continue;
        }
        let transformed = case["has_transformed_values"].as_bool() == Some(true);
        let same = |e: &Value, a: &Value| {
            let mut e = e.clone();
            let mut a = a.clone();
            // Ids the recording dropped (Parallel branches) compare as any id.
            if !e["id"].is_u64() {
                for v in [&mut e, &mut a] {
                    if let Some(o) = v.as_object_mut() {
                        o.remove("id");
                        o.remove("previousEventId");
                    }
                }
            }
            // A cause whose JSON the recording replaced (`<json-input:1>`) compares as
            // `same_cause` says.
            if let (Some(e), Some(a)) = (e.as_object_mut(), a.as_object_mut()) {
                for (key, details) in e.iter_mut().filter(|(k, _)| k.ends_with("EventDetails")) {
                    let local = a.get_mut(key).and_then(|d| d.get_mut("cause"));
                    if let (Some(recorded), Some(local)) = (details.get("cause"), local) {
                        if recorded != local && same_cause(recorded.as_str(), local.as_str()) {
                            *local = recorded.clone();
                        }
                    }
                }
            }
            if transformed {
                same_shape(&e, &a)
            } else {
                e == a
            }
        };
        let equal = expected
            .iter()
            .zip(&actual)
            .filter(|(e, a)| same(e, a))
            .count();
        events_total += expected.len();
        events_equal += equal;
        let first_difference = expected.iter().zip(&actual).position(|(e, a)| !same(e, a));
        match first_difference {
            None if expected.len() == actual.len() => exact += 1,
            None => misses.push(format!(
                "{id}: {} events, expected {}",
                actual.len(),
                expected.len()
            )),
            Some(i) => misses.push(format!(
                "{id}: event {}: {} expected {}",
                i + 1,
                short(&actual[i]),
                short(&expected[i])
            )),
        }
    }
    println!(
        "\nAWS-recorded histories, in AWS's shape ({})",
        path.display()
    );
    println!(
        "histories exact: {exact}/{compared} cases; events equal at their position: {events_equal}/{events_total}"
    );
    for miss in &misses {
        println!("  {miss}");
    }
    assert!(compared > 0, "no case carries events");
    let rate = exact as f64 / compared as f64;
    assert!(
        rate >= REQUIRED_HISTORY_RATE,
        "only {exact}/{compared} histories match AWS's ({:.1}%, floor {:.0}%)",
        100.0 * rate,
        100.0 * REQUIRED_HISTORY_RATE
    );
}
