//! Random edits of real definitions must never make the checker panic, and every location it
//! reports must lie inside the file it names.
//!
//! Two kinds of edits: byte edits of the text (delete, insert, swap, truncate, duplicate) that
//! mostly produce broken JSON, and structural edits of the parsed JSON (remove or rename a
//! member, replace a value with one of many ASL-flavoured values, move a member elsewhere) that
//! produce valid JSON with broken workflows. The seed is fixed so a failure reproduces;
//! `ORDERFLOW_MUTATIONS` raises the count, `ORDERFLOW_MUTATION_SEED` changes the seed.

// A test fails by panicking: unwrap and expect say where (the workspace denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::panic::{AssertUnwindSafe, catch_unwind};

use orderflow_codegen::render_human;
use orderflow_model::analyze;
use orderflow_model::diagnostic::{Diagnostic, render_short};
use orderflow_model::workflow::WorkflowSources;
use orderflow_tests::read_workflow;
use serde_json::{Map, Value};

const DEFAULT_MUTATIONS: usize = 10_000;

const KEYS: &[&str] = &[
    "Type",
    "Next",
    "End",
    "StartAt",
    "States",
    "Resource",
    "Parameters",
    "ResultPath",
    "InputPath",
    "OutputPath",
    "ResultSelector",
    "Catch",
    "Retry",
    "ErrorEquals",
    "Choices",
    "Default",
    "Variable",
    "BooleanEquals",
    "StringEquals",
    "NumericGreaterThan",
    "IsPresent",
    "And",
    "Or",
    "Not",
    "Branches",
    "Iterator",
    "ItemProcessor",
    "ItemsPath",
    "ItemSelector",
    "MaxConcurrency",
    "Seconds",
    "SecondsPath",
    "Timestamp",
    "QueryLanguage",
    "Arguments",
    "Output",
    "Assign",
    "Condition",
    "Items",
    "Payload",
    "FunctionName",
    "MessageBody",
    "QueueUrl",
    "TimeoutSeconds",
    "HeartbeatSeconds",
    "MaxAttempts",
    "BackoffRate",
    "IntervalSeconds",
    "Error",
    "Cause",
    "Comment",
    "Result",
    "Input.$",
    "Token.$",
    "Payload.$",
    "x.$",
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "$ref",
    "$defs",
    "enum",
    "const",
    "anyOf",
    "allOf",
    "oneOf",
    "nullable",
    "description",
    "functions",
    "errors",
    "trigger",
    "queue",
    "completesTaskToken",
    "placeholders",
    "queues",
    "topics",
    "memory",
    "timeout",
];

const STRINGS: &[&str] = &[
    "$",
    "$.",
    "$.book",
    "$.total.total",
    "$.a[0]",
    "$.a[*]",
    "$..x",
    "$.a[?(@.b)]",
    "$$",
    "$$.Task.Token",
    "$$.Execution.Input",
    "$$.Map.Item.Value",
    "$var",
    "$.['x y']",
    "",
    "States.Format('{} {}', $.a, $.b)",
    "States.Array(",
    "States.Nope($.a)",
    "States.StringToJson($.s)",
    "States.MathAdd($.a, 1)",
    "{% $states.input %}",
    "{% $states.input.x ",
    "{% }",
    "${CheckInventoryFunctionArn}",
    "${Nope}",
    "arn:aws:states:::lambda:invoke",
    "arn:aws:states:::lambda:invoke.waitForTaskToken",
    "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
    "arn:aws:states:::sns:publish",
    "arn:aws:lambda:us-east-1:123456789012:function:checkInventory",
    "arn:aws:lambda:us-east-1:123456789012:function:nope:live",
    "arn:aws:states:::dynamodb:getItem",
    "Task",
    "Pass",
    "Choice",
    "Wait",
    "Succeed",
    "Fail",
    "Parallel",
    "Map",
    "JSONata",
    "JSONPath",
    "States.ALL",
    "States.TaskFailed",
    "BookNotFound",
    "Nope",
    "string",
    "object",
    "integer",
    "#/$defs/x",
    "#/definitions/BookPrice",
    "#",
    "other.json",
    "https://json-schema.org/draft/2020-12/schema",
    "http://json-schema.org/draft-07/schema#",
    "2026-01-01T00:00:00Z",
    "checkInventory",
    "Done",
    "BillCustomer",
    "PrepareOrder",
    "LookupBook",
];

fn random_value(rng: &mut fastrand::Rng, depth: usize) -> Value {
    match rng.usize(0..if depth > 2 { 6 } else { 9 }) {
        0 => Value::Null,
        1 => Value::Bool(rng.bool()),
        2 => Value::from(rng.i64(-3..100_000_000_000)),
        3 => Value::from(rng.f64() * 10.0 - 1.0),
        4 | 5 => Value::from(STRINGS[rng.usize(0..STRINGS.len())]),
        6 => Value::Array(
            (0..rng.usize(0..3))
                .map(|_| random_value(rng, depth + 1))
                .collect(),
        ),
        _ => {
            let mut map = Map::new();
            for _ in 0..rng.usize(0..3) {
                map.insert(
                    KEYS[rng.usize(0..KEYS.len())].to_owned(),
                    random_value(rng, depth + 1),
                );
            }
            Value::Object(map)
        }
    }
}

/// JSON pointers of every value in `value`.
fn pointers(value: &Value, here: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                pointers(
                    v,
                    format!("{here}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                pointers(v, format!("{here}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(here);
}

fn structural_edit(rng: &mut fastrand::Rng, text: &str) -> Option<String> {
    let mut root: Value = serde_json::from_str(text).ok()?;
    let mut all = Vec::new();
    pointers(&root, String::new(), &mut all);
    let target = all[rng.usize(0..all.len())].clone();
    let (parent_pointer, last) = match target.rsplit_once('/') {
        Some((p, l)) => (p.to_owned(), l.replace("~1", "/").replace("~0", "~")),
        None => (String::new(), String::new()),
    };
    match rng.usize(0..5) {
        // Replace the value.
        0 | 1 => *root.pointer_mut(&target)? = random_value(rng, 0),
        // Remove it from its parent.
        2 => match root.pointer_mut(&parent_pointer)? {
            Value::Object(map) => {
                map.shift_remove(&last);
            }
            Value::Array(items) => {
                let i: usize = last.parse().ok()?;
                if i < items.len() {
                    items.remove(i);
                }
            }
            _ => return None,
        },
        // Rename the member.
        3 => {
            let Value::Object(map) = root.pointer_mut(&parent_pointer)? else {
                return None;
            };
            let value = map.shift_remove(&last)?;
            map.insert(KEYS[rng.usize(0..KEYS.len())].to_owned(), value);
        }
        // Copy it into another object under its own name (moves fields between states).
        _ => {
            let value = root.pointer(&target)?.clone();
            let destination = all[rng.usize(0..all.len())].clone();
            if let Value::Object(map) = root.pointer_mut(&destination)? {
                map.insert(if last.is_empty() { "x".into() } else { last }, value);
            }
        }
    }
    serde_json::to_string_pretty(&root).ok()
}

fn byte_edit(rng: &mut fastrand::Rng, text: &str) -> String {
    const INSERTS: &[&str] = &[
        "{", "}", "[", "]", "\"", ",", ":", "\\", "$", ".", "0", "-", "e", "\u{e9}", "\n", "/*",
        "null", "\u{0}",
    ];
    let chars: Vec<char> = text.chars().collect();
    if chars.is_empty() {
        return INSERTS[rng.usize(0..INSERTS.len())].to_owned();
    }
    let at = rng.usize(0..chars.len());
    let mut out: Vec<char> = chars.clone();
    match rng.usize(0..5) {
        0 => {
            let end = (at + rng.usize(1..8)).min(out.len());
            out.drain(at..end);
        }
        1 => {
            let insert = INSERTS[rng.usize(0..INSERTS.len())];
            out.splice(at..at, insert.chars());
        }
        2 => {
            let other = rng.usize(0..chars.len());
            out.swap(at, other);
        }
        3 => out.truncate(at),
        _ => {
            let end = (at + rng.usize(1..40)).min(chars.len());
            let copy: Vec<char> = chars[at..end].to_vec();
            let to = rng.usize(0..out.len());
            out.splice(to..to, copy);
        }
    }
    out.into_iter().collect()
}

/// Every location a diagnostic names lies within its file, and rendering works.
fn check_locations(diagnostics: &[Diagnostic]) -> Result<(), String> {
    for d in diagnostics {
        let locations = d
            .location
            .iter()
            .chain(d.related.iter().map(|r| &r.location));
        for location in locations {
            let len = location.file.text().len() as u32;
            if location.span.start > location.span.end || location.span.end > len {
                return Err(format!(
                    "{}: span {:?} outside a {len}-byte file",
                    d.code.as_str(),
                    location.span
                ));
            }
            if !location
                .file
                .text()
                .is_char_boundary(location.span.start as usize)
                || !location
                    .file
                    .text()
                    .is_char_boundary(location.span.end as usize)
            {
                return Err(format!(
                    "{}: span {:?} splits a character",
                    d.code.as_str(),
                    location.span
                ));
            }
        }
        let _ = render_human(d, true);
        let _ = render_short(d);
    }
    Ok(())
}

fn mutate(rng: &mut fastrand::Rng, base: &WorkflowSources) -> (WorkflowSources, String) {
    let files: Vec<_> = base.files().cloned().collect();
    let mut sources = base.clone();
    let file = &files[rng.usize(0..files.len())];
    let relative = file
        .path()
        .strip_prefix(&base.dir)
        .unwrap_or(file.path())
        .to_string_lossy()
        .replace('\\', "/");
    let mut text = file.text().to_owned();
    // Sometimes several edits, so errors combine.
    for _ in 0..rng.usize(1..4) {
        text = if rng.bool() {
            structural_edit(rng, &text).unwrap_or_else(|| byte_edit(rng, &text))
        } else {
            byte_edit(rng, &text)
        };
    }
    sources.insert(&relative, text.clone());
    (sources, format!("{relative}:\n{text}"))
}

#[test]
fn random_edits_never_panic() {
    let count: usize = std::env::var("ORDERFLOW_MUTATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_MUTATIONS);
    let seed: u64 = std::env::var("ORDERFLOW_MUTATION_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x0dd5_eed5);
    let bases = [
        read_workflow("definitions/store-checkout"),
        read_workflow("definitions/order-status"),
        read_workflow("tests/corpus/_base/minimal"),
    ];
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut with_errors = 0usize;
    let mut codes = std::collections::BTreeSet::new();
    for i in 0..count {
        let base = &bases[i % bases.len()];
        let (sources, edited) = mutate(&mut rng, base);
        let result = catch_unwind(AssertUnwindSafe(|| analyze(&sources)));
        let analysis = match result {
            Ok(a) => a,
            Err(_) => panic!("mutation {i} (seed {seed}) panicked on\n{edited}"),
        };
        if let Err(problem) = check_locations(&analysis.diagnostics) {
            panic!("mutation {i} (seed {seed}): {problem}\n{edited}");
        }
        with_errors += usize::from(analysis.has_errors());
        codes.extend(analysis.diagnostics.iter().map(|d| d.code.as_str()));
    }
    // The edits must actually break things, or the test proves nothing.
    assert!(
        with_errors * 2 > count,
        "only {with_errors} of {count} edits produced errors"
    );
    assert!(
        codes.len() >= 20,
        "edits reached only {} codes: {codes:?}",
        codes.len()
    );
}
