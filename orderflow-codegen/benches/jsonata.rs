//! JSONata evaluation throughput: the reference expressions of
//! `tests/jsonata-reference/cases.json` (parsed once), each evaluated as a JSONata state field
//! is (`$states` bound, Step Functions' functions registered, the result turned into JSON).
//! Divan reports items/s: evaluations per second.
//!
//! `benches/jsonata-vs-js.sh` runs this and jsonata-js 2.0.6 (npm) on the same expressions in
//! the same run, and prints both.

// A test fails by panicking: unwrap and expect say where (the workspace denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use orderflow_exec::jsonata;
use serde_json::{Value, json};

fn main() {
    divan::main();
}

fn cases() -> (Vec<jsonata::Expr>, Value) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/jsonata-reference/cases.json"
    );
    let text = std::fs::read_to_string(path).expect("cases.json is readable");
    let cases: Value = serde_json::from_str(&text).expect("cases.json is JSON");
    let expressions = cases["expressions"]
        .as_array()
        .expect("expressions")
        .iter()
        .map(|e| jsonata::parse(e.as_str().expect("a string")).expect("the expression parses"))
        .collect();
    (expressions, json!({"input": cases["input"]}))
}

/// Every reference expression once per iteration.
#[divan::bench]
fn evaluate_reference_expressions(bencher: divan::Bencher) {
    let (expressions, states) = cases();
    bencher
        .counter(divan::counter::ItemsCount::new(expressions.len()))
        .bench(|| {
            expressions
                .iter()
                .map(|e| jsonata::eval(e, &states, &[], 1).is_ok())
                .filter(|ok| *ok)
                .count()
        });
}

/// A Task's `Arguments` as the JSONata checkout writes them: five expressions over one state.
fn arguments() -> (Vec<jsonata::Expr>, jsonata::Template, Value) {
    let members = [
        ("userId", "$states.input.userId"),
        ("bookId", "$states.input.bookId"),
        ("total", "$states.input.book.price * $states.input.quantity"),
        (
            "label",
            "$states.input.book.title & ' x' & $string($states.input.quantity)",
        ),
        ("order", "$merge([$states.input, {'redeem': false}])"),
    ];
    let template = Value::Object(
        members
            .iter()
            .map(|(k, e)| ((*k).to_owned(), Value::String(format!("{{% {e} %}}"))))
            .collect(),
    );
    let expressions = members
        .iter()
        .map(|(_, e)| jsonata::parse(e).expect("the expression parses"))
        .collect();
    let states = json!({"input": {
        "userId": "1", "bookId": "100", "quantity": 2, "redeem": false,
        "book": {"bookId": "100", "title": "The Rust Programming Language", "quantity": 10, "price": 39.5}
    }});
    let template = jsonata::Template::compile(&template).expect("the template compiles");
    (expressions, template, states)
}

/// The five-member Arguments evaluated as the executor does: one session for the field.
#[divan::bench]
fn arguments_one_session_per_field(bencher: divan::Bencher) {
    let (_, template, states) = arguments();
    bencher.bench(|| template.evaluate(&states, &[], "Arguments", 1).is_ok());
}

/// Baseline: the same five expressions, each with a session of its own (what the executor
/// did before sessions: `$states` converted and functions registered per expression).
#[divan::bench]
fn arguments_one_session_per_expression(bencher: divan::Bencher) {
    let (expressions, _, states) = arguments();
    bencher.bench(|| {
        expressions
            .iter()
            .filter(|e| jsonata::eval(e, &states, &[], 1).is_ok())
            .count()
    });
}
