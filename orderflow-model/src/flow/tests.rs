//! The data-flow check on whole (small) workflows, for what the corpus cannot show: the
//! absence of a diagnostic.

use crate::analyze;
use crate::diagnostic::{Diagnostic, render_short};
use crate::workflow::WorkflowSources;

const BOOK_ID: &str = r#"{
  "type": "object",
  "properties": { "bookId": { "type": "string" } },
  "required": ["bookId"]
}"#;

const BOOK: &str = r#"{
  "type": "object",
  "properties": { "title": { "type": "string" }, "price": { "type": "number" } },
  "required": ["title", "price"],
  "additionalProperties": false
}"#;

/// Every diagnostic for a workflow with the function `lookupBook` (`{ bookId }` →
/// `{ title, price }`) and the execution input `input`.
fn check_with_input(asl: &str, input: &str) -> Vec<Diagnostic> {
    let mut sources = WorkflowSources::new("wf");
    sources.insert("workflow.asl.json", asl);
    sources.insert("schemas/execution.input.json", input);
    sources.insert("schemas/lookupBook.input.json", BOOK_ID);
    sources.insert("schemas/lookupBook.output.json", BOOK);
    analyze(&sources).diagnostics
}

/// The printed diagnostics, once with an execution input that allows other properties (the
/// default) and once with one that does not.
fn check_both(asl: &str) -> Vec<String> {
    let closed = BOOK_ID.replace(
        r#""required": ["bookId"]"#,
        r#""required": ["bookId"], "additionalProperties": false"#,
    );
    [BOOK_ID, closed.as_str()]
        .into_iter()
        .flat_map(|input| check_with_input(asl, input))
        .map(|d| render_short(&d))
        .collect()
}

/// The shape of the real workflow: a Parallel branch whose Task catches into `$.error`, then a
/// Choice on `$.error` (its rules given), then a Fail reading the error object.
fn error_pattern(rules: &str, default: &str) -> String {
    format!(
        r#"{{
  "StartAt": "Fulfil",
  "States": {{
    "Fulfil": {{
      "Type": "Parallel",
      "Branches": [{{
        "StartAt": "LookupBook",
        "States": {{
          "LookupBook": {{
            "Type": "Task",
            "Resource": "${{LookupBookFunctionArn}}",
            "ResultPath": "$.book",
            "Catch": [{{ "ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Failed?" }}],
            "Next": "Failed?"
          }},
          "Failed?": {{ "Type": "Choice", "Choices": [{rules}], "Default": "{default}" }},
          "Fail": {{ "Type": "Fail", "ErrorPath": "$.error.Error", "CausePath": "$.error.Cause" }},
          "Ok": {{ "Type": "Succeed" }}
        }}
      }}],
      "End": true
    }}
  }}
}}"#
    )
}

#[test]
fn is_present_guards_the_error_a_catch_may_have_written() {
    let rules = r#"{ "Variable": "$.error", "IsPresent": true, "Next": "Fail" }"#;
    let found = check_both(&error_pattern(rules, "Ok"));
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn a_rule_falling_through_is_present_false_guards_the_default() {
    let rules = r#"{ "Variable": "$.error", "IsPresent": false, "Next": "Ok" }"#;
    let found = check_both(&error_pattern(rules, "Fail"));
    assert!(found.is_empty(), "{found:#?}");
    let rules = r#"{ "Not": { "Variable": "$.error", "IsPresent": true }, "Next": "Ok" }"#;
    let found = check_both(&error_pattern(rules, "Fail"));
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn and_not_and_a_guarded_child_narrow_too() {
    // Under And, with another test on the error.
    let rules = r#"{ "And": [
        { "Variable": "$.error", "IsPresent": true },
        { "Variable": "$.error.Error", "StringEquals": "States.Timeout" }
    ], "Next": "Fail" }, { "Variable": "$.error", "IsPresent": true, "Next": "Fail" }"#;
    let found = check_both(&error_pattern(rules, "Ok"));
    assert!(found.is_empty(), "{found:#?}");
    // Not (IsPresent false).
    let rules = r#"{ "Not": { "Variable": "$.error", "IsPresent": false }, "Next": "Fail" }"#;
    let found = check_both(&error_pattern(rules, "Ok"));
    assert!(found.is_empty(), "{found:#?}");
    // A guarded child: $.error.Error present means $.error is, so $.error.Cause is read safely.
    let rules = r#"{ "Variable": "$.error.Error", "IsPresent": true, "Next": "Fail" }"#;
    let found = check_both(&error_pattern(rules, "Ok"));
    assert!(found.is_empty(), "{found:#?}");
    // A rule after IsPresent: false is only reached when the field is there.
    let rules = r#"{ "Variable": "$.error", "IsPresent": false, "Next": "Ok" },
        { "Variable": "$.error.Error", "StringEquals": "States.Timeout", "Next": "Fail" }"#;
    let found = check_both(&error_pattern(rules, "Fail"));
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn a_guard_leading_elsewhere_still_leaves_the_read_unguarded() {
    // Or: one side is no guard.
    let rules = r#"{ "Or": [
        { "Variable": "$.error", "IsPresent": true },
        { "Variable": "$.bookId", "StringEquals": "x" }
    ], "Next": "Fail" }"#;
    let found = check_both(&error_pattern(rules, "Ok"));
    assert_eq!(found.len(), 4, "{found:#?}");
    assert!(
        found
            .iter()
            .all(|d| d.contains("warning[W0304]: $.error.")
                && d.contains("exists only on some paths")),
        "{found:#?}"
    );
    // The Fail is the Default of `IsPresent: true`: only reached without an error.
    let rules = r#"{ "Variable": "$.error", "IsPresent": true, "Next": "Ok" }"#;
    let found = check_both(&error_pattern(rules, "Fail"));
    assert!(!found.is_empty(), "{found:#?}");
    assert!(
        found
            .iter()
            .all(|d| d.contains("error[E0303]: $.error.")
                && d.contains("does not exist on any path")),
        "{found:#?}"
    );
}

/// An execution input `{ bookId, status }` with `status` of the given schema.
fn input_with_status(status: &str) -> String {
    format!(
        r#"{{
  "type": "object",
  "properties": {{ "bookId": {{ "type": "string" }}, "status": {status} }},
  "required": ["bookId", "status"]
}}"#
    )
}

/// A Choice on `$.status` without Default (its rules given) before LookupBook.
fn choice_on_status(rules: &str) -> String {
    format!(
        r#"{{
  "StartAt": "Route",
  "States": {{
    "Route": {{ "Type": "Choice", "Choices": [{rules}] }},
    "LookupBook": {{ "Type": "Task", "Resource": "${{LookupBookFunctionArn}}", "ResultPath": "$.book", "End": true }},
    "Done": {{ "Type": "Succeed" }}
  }}
}}"#
    )
}

fn codes(found: &[Diagnostic]) -> Vec<&'static str> {
    found.iter().map(|d| d.code.as_str()).collect()
}

const ENUM: &str = r#"{ "type": "string", "enum": ["paid", "pending", "failed"] }"#;

#[test]
fn rules_testing_every_enum_value_need_no_default() {
    let all = r#"{ "Variable": "$.status", "StringEquals": "paid", "Next": "LookupBook" },
        { "Variable": "$.status", "StringEquals": "pending", "Next": "Done" },
        { "Variable": "$.status", "StringEquals": "failed", "Next": "Done" }"#;
    let found = check_with_input(&choice_on_status(all), &input_with_status(ENUM));
    assert!(found.is_empty(), "{found:#?}");
    // Some of them together under Or.
    let or = r#"{ "Or": [
            { "Variable": "$.status", "StringEquals": "pending" },
            { "Variable": "$.status", "StringEquals": "failed" }
        ], "Next": "Done" },
        { "Variable": "$.status", "StringEquals": "paid", "Next": "LookupBook" }"#;
    let found = check_with_input(&choice_on_status(or), &input_with_status(ENUM));
    assert!(found.is_empty(), "{found:#?}");
    // `const` is a one-value enum.
    let paid = r#"{ "Variable": "$.bookId", "StringEquals": "x", "Next": "Done" },
        { "Variable": "$.status", "StringEquals": "paid", "Next": "LookupBook" }"#;
    let found = check_with_input(
        &choice_on_status(paid),
        &input_with_status(r#"{ "const": "paid" }"#),
    );
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn an_untested_enum_value_or_a_plain_string_still_needs_a_default() {
    let two = r#"{ "Variable": "$.status", "StringEquals": "paid", "Next": "LookupBook" },
        { "Variable": "$.status", "StringEquals": "pending", "Next": "Done" }"#;
    let found = check_with_input(&choice_on_status(two), &input_with_status(ENUM));
    assert_eq!(codes(&found), ["W0118"], "{found:#?}");
    // Under And, an equality does not decide alone.
    let and = r#"{ "And": [
            { "Variable": "$.status", "StringEquals": "failed" },
            { "Variable": "$.bookId", "StringEquals": "x" }
        ], "Next": "Done" }, "#;
    let found = check_with_input(
        &choice_on_status(&format!("{and}{two}")),
        &input_with_status(ENUM),
    );
    assert_eq!(codes(&found), ["W0118"], "{found:#?}");
    let all = r#"{ "Variable": "$.status", "StringEquals": "paid", "Next": "LookupBook" },
        { "Variable": "$.status", "StringEquals": "pending", "Next": "Done" },
        { "Variable": "$.status", "StringEquals": "failed", "Next": "Done" }"#;
    let found = check_with_input(
        &choice_on_status(all),
        &input_with_status(r#"{ "type": "string" }"#),
    );
    assert_eq!(codes(&found), ["W0118"], "{found:#?}");
}

#[test]
fn both_booleans_need_no_default_unless_null_is_possible() {
    let both = r#"{ "Variable": "$.status", "BooleanEquals": true, "Next": "LookupBook" },
        { "Variable": "$.status", "BooleanEquals": false, "Next": "Done" }"#;
    let found = check_with_input(
        &choice_on_status(both),
        &input_with_status(r#"{ "type": "boolean" }"#),
    );
    assert!(found.is_empty(), "{found:#?}");
    let found = check_with_input(
        &choice_on_status(both),
        &input_with_status(r#"{ "type": ["boolean", "null"] }"#),
    );
    assert_eq!(codes(&found), ["W0118"], "{found:#?}");
    let one = r#"{ "Variable": "$.status", "BooleanEquals": true, "Next": "LookupBook" },
        { "Variable": "$.bookId", "StringEquals": "x", "Next": "Done" }"#;
    let found = check_with_input(
        &choice_on_status(one),
        &input_with_status(r#"{ "type": "boolean" }"#),
    );
    assert_eq!(codes(&found), ["W0118"], "{found:#?}");
}

#[test]
fn is_present_both_ways_needs_no_default() {
    let rules = r#"{ "Variable": "$.coupon", "IsPresent": true, "Next": "LookupBook" },
        { "Variable": "$.coupon", "IsPresent": false, "Next": "Done" }"#;
    let input = r#"{ "type": "object",
        "properties": { "bookId": { "type": "string" }, "coupon": { "type": "string" } },
        "required": ["bookId"] }"#;
    let found = check_with_input(&choice_on_status(rules), input);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn coverage_holds_on_every_path_reaching_the_choice() {
    // The status comes from the schema's enum on one path, and is written as a plain string on
    // the other: there the rules do not cover every value.
    let asl = r#"{
  "StartAt": "Renew?",
  "States": {
    "Renew?": { "Type": "Choice", "Choices": [
        { "Variable": "$.bookId", "StringEquals": "renew", "Next": "Renew" }
      ], "Default": "Route" },
    "Renew": { "Type": "Pass", "Result": "renewed", "ResultPath": "$.status", "Next": "Route" },
    "Route": { "Type": "Choice", "Choices": [
        { "Variable": "$.status", "StringEquals": "paid", "Next": "LookupBook" },
        { "Variable": "$.status", "StringEquals": "pending", "Next": "Done" },
        { "Variable": "$.status", "StringEquals": "failed", "Next": "Done" }
      ] },
    "LookupBook": { "Type": "Task", "Resource": "${LookupBookFunctionArn}", "ResultPath": "$.book", "End": true },
    "Done": { "Type": "Succeed" }
  }
}"#;
    let found = check_with_input(asl, &input_with_status(ENUM));
    assert_eq!(codes(&found), ["W0118"], "{found:#?}");
    assert!(found[0].message.contains("\"Route\""), "{found:#?}");
}
