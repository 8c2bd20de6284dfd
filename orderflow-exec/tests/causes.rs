//! The failure-cause table of the book (`docs/src/causes.md`) held to the executor: each row is
//! one of AWS's cause templates, each execution of `causes.json` names its row, and
//! - every row has at least one execution;
//! - each execution's expected cause fits its row's template (so the fixtures cannot drift from
//!   the table);
//! - the executor reports exactly that error and cause.

// A test fails by panicking: unwrap and expect say where.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use orderflow_exec::{
    ExecutionIdentity, ExecutionOptions, Executor, FnInvoker, TaskError, TaskRequest,
};
use orderflow_model::asl::FunctionCatalog;
use orderflow_model::load_state_machine;
use serde_json::Value;

const PREFIX: &str =
    "An error occurred while executing the state '{state}' (entered at the event id #{event_id}). ";

/// One row of the table: its error name and its template (`None`: no cause at all).
struct Row {
    error: String,
    template: Option<String>,
}

/// The rows of the table on the book's page, by id.
fn table() -> BTreeMap<String, Row> {
    let page = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/src/causes.md");
    let text = std::fs::read_to_string(page).expect("docs/src/causes.md");
    let mut rows = BTreeMap::new();
    for line in text.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
        assert_eq!(cells.len(), 5, "a table row has five cells: {line}");
        let code = |cell: &str| {
            cell.strip_prefix('`')
                .and_then(|c| c.strip_suffix('`'))
                .map(str::to_owned)
        };
        let id = code(cells[0]).expect("a row id in backticks");
        let row = Row {
            error: code(cells[1]).expect("an error name in backticks"),
            template: code(cells[3]).map(|t| t.replace("{prefix}", PREFIX)),
        };
        assert!(rows.insert(id.clone(), row).is_none(), "row {id} twice");
    }
    assert!(rows.len() >= 15, "the table has {} rows", rows.len());
    rows
}

/// The template as a regex: each `{placeholder}` stands for any text.
fn pattern(template: &str) -> regex::Regex {
    let mut out = String::from("^");
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let Some(end) = rest[start..].find('}') else {
            break;
        };
        out.push_str(&regex::escape(&rest[..start]));
        out.push_str("(?s:.+?)");
        rest = &rest[start + end + 1..];
    }
    out.push_str(&regex::escape(rest));
    out.push('$');
    regex::Regex::new(&out).unwrap()
}

fn executions() -> Vec<Value> {
    let text = include_str!("causes.json");
    serde_json::from_str(text).expect("causes.json parses")
}

#[test]
fn every_row_of_the_cause_table_is_what_the_executor_reports() {
    let rows = table();
    let cases = executions();
    let mut covered = BTreeMap::<&str, usize>::new();
    let mut failures = Vec::new();
    for case in &cases {
        let id = case["row"].as_str().unwrap();
        let about = case["about"].as_str().unwrap();
        let row = rows
            .get(id)
            .unwrap_or_else(|| panic!("{about}: no row `{id}` in docs/src/causes.md"));
        *covered.entry(id).or_default() += 1;
        let expected_cause = case["cause"].as_str();
        assert_eq!(case["error"], row.error.as_str(), "{id}: {about}");
        match (&row.template, expected_cause) {
            (Some(template), Some(cause)) => assert!(
                pattern(template).is_match(cause),
                "{id}: {about}: the expected cause does not fit the row's template\n  {cause}\n  {template}"
            ),
            (None, None) => {}
            _ => panic!("{id}: {about}: a cause where the row has none, or the reverse"),
        }

        let definition = serde_json::to_string(&case["definition"]).unwrap();
        let machine =
            load_state_machine("causes.asl.json", &definition, &FunctionCatalog::unknown())
                .unwrap_or_else(|e| panic!("{id}: {about}: definition rejected: {:?}", e.0));
        let executor = Executor::new(&machine).unwrap();
        let result = case.get("result").cloned();
        let task_error = case.get("task_error").cloned();
        let invoker = FnInvoker(move |_: &TaskRequest<'_>| {
            if let Some(e) = &task_error {
                return Err(TaskError::new(
                    e["error"].as_str().unwrap_or_default(),
                    e["cause"].as_str().unwrap_or_default(),
                ));
            }
            Ok(match &result {
                // A result past the 256 KiB limit.
                Some(Value::String(s)) if s == "big" => Value::String("x".repeat(300 * 1024)),
                Some(v) => v.clone(),
                None => Value::Null,
            })
        });
        // The account and region the definitions' ARNs name.
        let options = ExecutionOptions {
            identity: ExecutionIdentity {
                account: "111111111111".into(),
                region: "us-east-1".into(),
                ..ExecutionIdentity::default()
            },
            ..ExecutionOptions::default()
        };
        let execution = executor.execute_blocking(case["input"].clone(), &invoker, &options);
        let got = (execution.error.as_deref(), execution.cause.as_deref());
        if got != (case["error"].as_str(), expected_cause) {
            failures.push(format!(
                "{id}: {about}\n  got      {:?} {:?}\n  expected {:?} {:?}",
                got.0, got.1, case["error"], expected_cause
            ));
        }
    }
    let uncovered: Vec<&String> = rows
        .keys()
        .filter(|id| !covered.contains_key(id.as_str()))
        .collect();
    assert!(
        uncovered.is_empty(),
        "rows without an execution: {uncovered:?}"
    );
    assert!(
        failures.is_empty(),
        "{} of {} executions differ from the table:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn a_template_placeholder_matches_any_text_and_nothing_else_is_loose() {
    let p = pattern("The SecondsPath parameter does not reference an input value: {path}");
    assert!(p.is_match("The SecondsPath parameter does not reference an input value: $.delay"));
    assert!(!p.is_match("The SecondsPath parameter does not reference a value: $.delay"));
    assert!(!p.is_match("The SecondsPath parameter does not reference an input value: "));
}
