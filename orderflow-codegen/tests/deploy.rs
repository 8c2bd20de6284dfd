//! Deployment templates of both definitions: reviewed snapshots, and least privilege — every IAM
//! statement names the resources it needs, and grants only actions the model calls for.

use std::path::Path;

use orderflow_codegen::emit::deploy::{
    WILDCARD_ONLY_ACTIONS, iam_statements, sam_template, sam_template_value, serverless_template,
    serverless_value,
};
use orderflow_codegen::workflow::{Workflow, WorkflowSources, analyze};
use serde_json::Value;

fn workflow(name: &str) -> Workflow {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../definitions")
        .join(name);
    let sources = WorkflowSources::read_dir(&dir).expect("readable definition");
    analyze(&sources).workflow.expect("a workflow")
}

fn actions(statement: &Value) -> Vec<String> {
    match &statement["Action"] {
        Value::String(a) => vec![a.clone()],
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

#[test]
fn sam_templates_match_their_snapshots() {
    for name in ["store-checkout", "order-status"] {
        let text = sam_template(
            &workflow(name),
            &format!("definitions/{name}"),
            "workflow.asl.json",
        );
        insta::assert_snapshot!(format!("sam-{name}"), text);
    }
}

#[test]
fn serverless_services_match_their_snapshots() {
    for name in ["store-checkout", "order-status"] {
        let text = serverless_template(
            &workflow(name),
            &format!("definitions/{name}"),
            "../../target",
        );
        insta::assert_snapshot!(format!("serverless-{name}"), text);
    }
}

/// The actions a workflow's model calls for: invoking its functions, sending to its queues,
/// publishing to its topics, and — for a queue-triggered worker — reading its queue, writing
/// its logs and completing task tokens. SAM adds the worker's queue and log permissions itself.
fn needed_actions(w: &Workflow) -> Vec<&'static str> {
    let mut needed = Vec::new();
    if w.functions.values().any(|f| !f.invoked_by.is_empty()) {
        needed.push("lambda:InvokeFunction");
    }
    if !w.manifest.queues.is_empty() {
        needed.push("sqs:SendMessage");
    }
    if !w.manifest.topics.is_empty() {
        needed.push("sns:Publish");
    }
    if w.functions.values().any(|f| f.settings.trigger.is_some()) {
        needed.extend([
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
            "logs:CreateLogStream",
            "logs:PutLogEvents",
        ]);
    }
    if w.functions
        .values()
        .any(|f| !f.completes_tokens_of.is_empty())
    {
        needed.extend(["states:SendTaskSuccess", "states:SendTaskFailure"]);
    }
    needed
}

#[test]
fn iam_grants_only_what_the_model_needs_on_named_resources() {
    for (name, dialect) in [
        ("store-checkout", "sam"),
        ("order-status", "sam"),
        ("store-checkout", "serverless"),
        ("order-status", "serverless"),
    ] {
        let w = workflow(name);
        let allowed = needed_actions(&w);
        let template = if dialect == "sam" {
            sam_template_value(&w, "workflow.asl.json")
        } else {
            serverless_value(&w, "../../target")
        };
        let name = format!("{name} ({dialect})");
        let statements = iam_statements(&template);
        assert!(!statements.is_empty(), "{name}: no IAM statements found");
        for statement in &statements {
            let acts = actions(statement);
            let wildcard = statement["Resource"] == "*"
                || statement["Resource"]
                    .as_array()
                    .is_some_and(|r| r.iter().any(|x| x == "*"));
            for action in &acts {
                assert!(!action.contains('*'), "{name}: wildcard action {action}");
                if wildcard {
                    assert!(
                        WILDCARD_ONLY_ACTIONS.contains(&action.as_str()),
                        "{name}: `{action}` on Resource \"*\": only log delivery and X-Ray actions, which AWS cannot scope, may use it"
                    );
                } else {
                    assert!(
                        allowed.contains(&action.as_str()),
                        "{name}: `{action}` is not needed by the model (needed: {allowed:?})"
                    );
                }
            }
        }
        // Exactly the functions the state machine invokes, and the queue and topic it uses.
        let invoke = statements
            .iter()
            .find(|s| actions(s) == ["lambda:InvokeFunction"])
            .expect("an invoke statement");
        let invoked = invoke["Resource"].as_array().map(Vec::len).unwrap_or(0);
        assert!(
            statements.iter().all(|s| !actions(s).is_empty()),
            "{name}: a statement without actions"
        );
        let expected = w
            .functions
            .values()
            .filter(|f| !f.invoked_by.is_empty())
            .count();
        assert_eq!(invoked, expected, "{name}: one ARN per invoked function");
        let sends = statements.iter().any(|s| actions(s) == ["sqs:SendMessage"]);
        let publishes = statements.iter().any(|s| actions(s) == ["sns:Publish"]);
        let completes = statements
            .iter()
            .any(|s| actions(s).contains(&"states:SendTaskSuccess".to_owned()));
        let uses_queue = !w.manifest.queues.is_empty();
        assert_eq!(
            sends, uses_queue,
            "{name}: sqs:SendMessage only when the workflow sends"
        );
        assert_eq!(publishes, !w.manifest.topics.is_empty());
        assert_eq!(
            completes,
            w.functions
                .values()
                .any(|f| !f.completes_tokens_of.is_empty())
        );
    }
}
