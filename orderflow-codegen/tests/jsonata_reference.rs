//! orderflow's JSONata evaluator against jsonata-js 2.0.6, the version Step Functions runs:
//! every expression of `jsonata-reference/cases.json` must give what jsonata-js gave
//! (`jsonata-reference/jsonata-js-2.0.6.json`, recorded by `record.mjs`; `.ci/jsonata-reference`
//! records it again in CI and fails if it differs from the committed file). Values are compared
//! as JSON text, so object key order counts, as it does in a state's output.

// A test fails by panicking: unwrap and expect say where (the workspace denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use orderflow_exec::jsonata;
use serde_json::{Value, json};

fn fixture(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/jsonata-reference")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// What orderflow gives for `text`, in record.mjs's shape.
fn evaluate(text: &str, input: &Value) -> Value {
    let states = json!({"input": input});
    match jsonata::parse(text)
        .map_err(|e| e.to_string())
        .and_then(|e| jsonata::eval(&e, &states, &[], 1).map_err(|f| f.cause.unwrap_or_default()))
    {
        Ok(Some(value)) => json!({"expr": text, "value": value}),
        Ok(None) => json!({"expr": text, "undefined": true}),
        // jsonata-js reports the code alone (`T2002`); orderflow's cause starts with it.
        Err(cause) => json!({"expr": text, "error": cause.split(':').next().unwrap_or_default()}),
    }
}

fn json_text(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

#[test]
fn every_expression_gives_what_jsonata_js_2_0_6_gives() {
    let cases = fixture("cases.json");
    let recorded = fixture("jsonata-js-2.0.6.json");
    let expressions = cases["expressions"].as_array().expect("expressions");
    let recorded = recorded.as_array().expect("recorded results");
    assert_eq!(
        expressions.len(),
        recorded.len(),
        "record.mjs again: the files differ in length"
    );
    assert!(
        expressions.len() >= 100,
        "the reference set has {} expressions",
        expressions.len()
    );
    let mut differences = Vec::new();
    for (expression, expected) in expressions.iter().zip(recorded) {
        let text = expression.as_str().expect("an expression string");
        assert_eq!(
            expected["expr"], text,
            "record.mjs again: the files are out of step"
        );
        let actual = evaluate(text, &cases["input"]);
        // As text: `Value`'s equality ignores object key order, which a state's output keeps.
        let (actual_text, expected_text) = (json_text(&actual), json_text(expected));
        if actual_text != expected_text {
            differences.push(format!("  jsonata-js: {expected}\n  orderflow:  {actual}"));
        }
    }
    assert!(
        differences.is_empty(),
        "{} of {} expressions differ from jsonata-js 2.0.6:\n{}",
        differences.len(),
        expressions.len(),
        differences.join("\n")
    );
}
