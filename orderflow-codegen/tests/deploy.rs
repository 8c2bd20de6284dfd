//! Deployment templates of both definitions: reviewed snapshots, and least privilege — every IAM
//! statement names the resources it needs, and grants only actions the model calls for.

use std::path::Path;

use orderflow_codegen::emit::deploy::{
    WILDCARD_ONLY_ACTIONS, iam_statements, sam_template, sam_template_value,
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
fn iam_grants_only_what_the_model_needs_on_named_resources() {
    // What each workflow's model calls for, and nothing else.
    let allowed = [
        "lambda:InvokeFunction",
        "sqs:SendMessage",
        "sns:Publish",
        "states:SendTaskSuccess",
        "states:SendTaskFailure",
    ];
    for name in ["store-checkout", "order-status"] {
        let w = workflow(name);
        let template = sam_template_value(&w, "workflow.asl.json");
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
                        "{name}: unexpected action {action}"
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
