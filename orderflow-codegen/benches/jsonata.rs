//! JSONata evaluation throughput: the reference expressions of
//! `tests/jsonata-reference/cases.json` (parsed once), each evaluated as a JSONata state field
//! is (`$states` bound, Step Functions' functions registered, the result turned into JSON).
//! Divan reports items/s: evaluations per second.
//!
//! `benches/jsonata-vs-js.sh` runs this and jsonata-js 2.0.6 (npm) on the same expressions in
//! the same run, and prints both.

use orderflow_codegen::exec::jsonata;
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
