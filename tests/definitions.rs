//! The committed definitions: both workflows check clean, have the shape the reference
//! describes, and their example execution inputs fit their execution input schemas.

// A test fails by panicking: unwrap and expect say where (the workspace denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use orderflow_model::asl::model::{Resource, StateKind};
use orderflow_model::workflow::Workflow;
use orderflow_tests::{analyze_dir, render_all, workspace_root};

fn clean(relative: &str) -> Workflow {
    let analysis = analyze_dir(relative);
    assert!(
        analysis.diagnostics.is_empty(),
        "{relative} should check clean:\n{}",
        render_all(&analysis.diagnostics)
    );
    analysis.workflow.expect("a clean analysis has a workflow")
}

#[test]
fn store_checkout_is_the_fifteen_state_checkout_with_seven_functions() {
    let workflow = clean("definitions/store-checkout");
    assert_eq!(workflow.machine.states.len(), 15);
    let functions: BTreeSet<&str> = workflow.functions.keys().map(String::as_str).collect();
    assert_eq!(
        functions,
        BTreeSet::from([
            "billCustomer",
            "calculateTotal",
            "checkInventory",
            "redeemPoints",
            "restoreQuantity",
            "restoreRedeemPoints",
            "sqsWorker",
        ])
    );
    // sqsWorker is not invoked by a Task: it completes PrepareOrder's task token.
    let prepare = workflow
        .machine
        .states
        .iter()
        .position(|s| s.name.value == "PrepareOrder")
        .expect("PrepareOrder exists");
    let worker = &workflow.functions["sqsWorker"];
    assert!(worker.invoked_by.is_empty());
    assert_eq!(worker.completes_tokens_of.len(), 1);
    assert_eq!(worker.completes_tokens_of[0].0, prepare);
    let tasks_by_resource = workflow
        .machine
        .states
        .iter()
        .filter_map(|s| match &s.kind {
            StateKind::Task(t) => Some(&t.resource.value),
            _ => None,
        })
        .fold((0, 0, 0), |(lambda, sqs, sns), r| match r {
            Resource::Lambda { .. } => (lambda + 1, sqs, sns),
            Resource::SqsSendMessage { .. } => (lambda, sqs + 1, sns),
            Resource::SnsPublish { .. } => (lambda, sqs, sns + 1),
            Resource::Opaque(_) => (lambda, sqs, sns),
        });
    assert_eq!(tasks_by_resource, (6, 1, 1));
}

#[test]
fn order_status_is_the_three_step_workflow() {
    let workflow = clean("definitions/order-status");
    let functions: Vec<&str> = workflow.functions.keys().map(String::as_str).collect();
    assert_eq!(
        functions,
        ["checkInventory", "processPayment", "updateOrderStatus"]
    );
    // The promise: the status written is "Confirmed" or "Failed", nothing else.
    let output = &workflow.functions["updateOrderStatus"].output.value;
    assert_eq!(
        output["properties"]["status"]["enum"],
        serde_json::json!(["Confirmed", "Failed"])
    );
    assert_eq!(output["required"], serde_json::json!(["orderId", "status"]));
}

#[test]
fn examples_fit_the_execution_input_schema() {
    for name in ["store-checkout", "order-status"] {
        let workflow = clean(&format!("definitions/{name}"));
        let input = workflow
            .execution_input
            .as_ref()
            .expect("the committed definitions are strict: they have an execution input");
        let validator =
            jsonschema::validator_for(&input.value).expect("the execution input schema compiles");
        let dir = workspace_root()
            .join("definitions")
            .join(name)
            .join("examples");
        let mut count = 0;
        for entry in std::fs::read_dir(&dir).expect("examples folder") {
            let path = entry.expect("entry").path();
            if path.extension().is_none_or(|x| x != "json") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("readable example");
            let input: serde_json::Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let errors: Vec<String> = validator
                .iter_errors(&input)
                .map(|e| e.to_string())
                .collect();
            assert!(errors.is_empty(), "{}: {errors:?}", path.display());
            count += 1;
        }
        assert!(count >= 3, "{name} has only {count} examples");
    }
}

/// E0402 on `manifest` (a crate's Cargo.toml text) for the order-status workflow.
fn binary_name_errors(manifest: &str) -> Vec<String> {
    let workflow = clean("definitions/order-status");
    let file = orderflow_model::source::SourceFile::new("order-status/Cargo.toml", manifest);
    orderflow_codegen::check_cargo_manifest(&workflow, &file)
        .iter()
        .map(|d| {
            let at = d
                .location
                .as_ref()
                .map(|l| l.to_string())
                .unwrap_or_default();
            format!("{at}: {}", d.message)
        })
        .collect()
}

#[test]
fn the_generated_crates_name_their_binaries_as_the_templates_deploy_them() {
    for workflow in ["store-checkout", "order-status"] {
        let dir = workspace_root().join("generated-example").join(workflow);
        let text = std::fs::read_to_string(dir.join("Cargo.toml")).expect("the crate's manifest");
        let file = orderflow_model::source::SourceFile::new("Cargo.toml", text);
        let diagnostics = orderflow_codegen::check_cargo_manifest(
            &clean(&format!("definitions/{workflow}")),
            &file,
        );
        assert!(diagnostics.is_empty(), "{}", render_all(&diagnostics));
    }
}

#[test]
fn a_crate_manifest_without_the_workflow_binary_names_is_reported_per_function() {
    // No [[bin]] at all: each function is missing, reported at the top of the file.
    let missing = binary_name_errors("[package]\nname = \"order-status\"\n");
    assert_eq!(missing.len(), 3, "{missing:?}");
    assert!(
        missing
            .iter()
            .all(|m| m.starts_with("order-status/Cargo.toml:1:1: no [[bin]] builds")),
        "{missing:?}"
    );
    // A [[bin]] without `path` builds src/bin/<name>.rs, so the old name is found and located.
    let renamed = binary_name_errors(
        "[[bin]]\nname = \"order-status-check-inventory\"\n\n[[bin]]\nname = \"process_payment\"\n\n\
         [[bin]]\nname = \"order-status-update-order-status\"\npath = \"src/bin/update_order_status.rs\"\n",
    );
    assert_eq!(
        renamed,
        [
            "order-status/Cargo.toml:5:8: function `processPayment` is built as the binary \
             `process_payment`, but the deployment templates and the glue use \
             `order-status-process-payment`"
        ]
    );
    // Not TOML: cargo says so itself, better than this check could.
    assert!(binary_name_errors("[[bin]\nname =").is_empty());
}
