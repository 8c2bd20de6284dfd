//! Deployment templates of both definitions: reviewed snapshots, and least privilege — every IAM
//! statement names the resources it needs, and grants only actions the model calls for.

// A test fails by panicking: unwrap and expect say where (the workspace denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use orderflow_codegen::{
    WILDCARD_ONLY_ACTIONS, iam_statements, sam_template, sam_template_value, serverless_template,
    serverless_value,
};
use orderflow_model::analyze;
use orderflow_model::workflow::{Workflow, WorkflowSources};
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
    if w.functions.values().any(|f| !f.settings.uses.is_empty()) {
        needed.extend(TABLE_WRITE);
        // The serverless roles of table users carry their own log statements.
        needed.extend(["logs:CreateLogStream", "logs:PutLogEvents"]);
    }
    needed
}

/// What issue 21 asks a function that reads a table to be allowed, and no more.
const TABLE_READ: [&str; 3] = [
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:BatchGetItem",
];

/// What a function that writes a table may do: the reads, and the item writes.
const TABLE_WRITE: [&str; 7] = [
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:BatchGetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:ConditionCheckItem",
];

/// The statements of one function's own role: SAM's `Policies` on the function, or the
/// serverless role the function names.
fn function_statements<'a>(
    template: &'a Value,
    dialect: &str,
    w: &Workflow,
    function: &str,
) -> Vec<&'a Value> {
    let upper = heck::ToUpperCamelCase::to_upper_camel_case(function);
    let holder = if dialect == "sam" {
        &template["Resources"][format!("{upper}Function")]
    } else {
        match template["functions"][function]["role"].as_str() {
            Some(role) => &template["resources"]["Resources"][role],
            None => return Vec::new(),
        }
    };
    assert!(!holder.is_null(), "{}: no resource for {function}", w.name);
    iam_statements(holder)
}

/// The environment variables of one function.
fn function_environment<'a>(template: &'a Value, dialect: &str, function: &str) -> &'a Value {
    let upper = heck::ToUpperCamelCase::to_upper_camel_case(function);
    if dialect == "sam" {
        &template["Resources"][format!("{upper}Function")]["Properties"]["Environment"]["Variables"]
    } else {
        &template["functions"][function]["environment"]
    }
}

#[test]
fn each_function_role_names_only_its_own_tables_and_actions() {
    for dialect in ["sam", "serverless"] {
        let w = workflow("store-checkout");
        let template = if dialect == "sam" {
            sam_template_value(&w, "workflow.asl.json")
        } else {
            serverless_value(&w, "../../target")
        };
        let resources = if dialect == "sam" {
            &template["Resources"]
        } else {
            &template["resources"]["Resources"]
        };
        for (table, declared) in &w.manifest.tables {
            let logical = format!(
                "{}Table",
                heck::ToUpperCamelCase::to_upper_camel_case(table.as_str())
            );
            let resource = &resources[&logical];
            assert_eq!(
                resource["Type"], "AWS::DynamoDB::Table",
                "{dialect}: {logical}"
            );
            assert_eq!(resource["Properties"]["BillingMode"], "PAY_PER_REQUEST");
            assert_eq!(
                resource["Properties"]["KeySchema"],
                serde_json::json!([{ "AttributeName": declared.partition_key.name, "KeyType": "HASH" }])
            );
        }
        let mut users_seen = 0;
        for f in w.functions.values() {
            // table logical id -> actions, from the function's own statements.
            let mut granted: std::collections::BTreeMap<String, Vec<String>> = Default::default();
            for statement in function_statements(&template, dialect, &w, &f.name) {
                let acts = actions(statement);
                if !acts.iter().any(|a| a.starts_with("dynamodb:")) {
                    continue;
                }
                assert!(
                    acts.iter().all(|a| a.starts_with("dynamodb:")),
                    "{dialect} {}: DynamoDB actions mixed with others: {acts:?}",
                    f.name
                );
                let table = statement["Resource"]["Fn::GetAtt"][0]
                    .as_str()
                    .unwrap_or_else(|| {
                        panic!(
                            "{dialect} {}: DynamoDB on {}",
                            f.name, statement["Resource"]
                        )
                    });
                assert_eq!(statement["Resource"]["Fn::GetAtt"][1], "Arn");
                granted.entry(table.to_owned()).or_default().extend(acts);
            }
            let expected: std::collections::BTreeMap<String, Vec<String>> = f
                .settings
                .uses
                .iter()
                .map(|(table, access)| {
                    let wanted: &[&str] = match access {
                        orderflow_model::manifest::Access::Read => &TABLE_READ,
                        orderflow_model::manifest::Access::Write => &TABLE_WRITE,
                    };
                    (
                        format!(
                            "{}Table",
                            heck::ToUpperCamelCase::to_upper_camel_case(table.as_str())
                        ),
                        wanted.iter().map(|a| (*a).to_owned()).collect(),
                    )
                })
                .collect();
            assert_eq!(
                granted, expected,
                "{dialect} {}: tables and actions",
                f.name
            );
            // Each table it uses is named in its variable, and nothing else is.
            let environment = function_environment(&template, dialect, &f.name);
            let variables: Vec<(&str, &Value)> = environment
                .as_object()
                .map(|m| m.iter().map(|(k, v)| (k.as_str(), v)).collect())
                .unwrap_or_default();
            let expected: Vec<(String, Value)> = f
                .settings
                .uses
                .keys()
                .map(|table| {
                    (
                        format!("{}_TABLE", table.to_uppercase()),
                        serde_json::json!({ "Ref": format!("{}Table", heck::ToUpperCamelCase::to_upper_camel_case(table.as_str())) }),
                    )
                })
                .collect();
            let variables: Vec<(String, Value)> = variables
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.clone()))
                .collect();
            assert_eq!(variables, expected, "{dialect} {}: environment", f.name);
            users_seen += usize::from(!f.settings.uses.is_empty());
        }
        // The example's six table users: the check above is not vacuous.
        assert_eq!(users_seen, 6, "{dialect}");
    }
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

/// Where the workflows that only the deployment tests use live (issue 17: `lambda:invoke`
/// naming its function by a placeholder, and by literal ARNs, partial ARNs and names).
fn deploy_workflow(name: &str) -> (Workflow, PathBuf) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/deploy-workflows")
        .join(name);
    let sources = WorkflowSources::read_dir(&dir).expect("readable definition");
    let analysis = analyze(&sources);
    assert!(!analysis.has_errors(), "{name}: {:?}", analysis.diagnostics);
    (analysis.workflow.expect("a workflow"), dir)
}

/// Every Task's function reference of a definition: `(state, the string that names the
/// function)` — the `FunctionName` of `lambda:invoke`, else a `Resource` that is not a service
/// integration — in nested branches and iterators too.
fn function_references(scope: &Value, out: &mut Vec<(String, Value)>) {
    let Some(states) = scope.get("States").and_then(Value::as_object) else {
        return;
    };
    for (name, state) in states {
        if state["Type"] == "Task" {
            let resource = state["Resource"].as_str().unwrap_or_default();
            if resource.starts_with("arn:aws:states:::lambda:invoke") {
                let args = state.get("Parameters").or_else(|| state.get("Arguments"));
                out.push((
                    name.clone(),
                    args.map(|a| a["FunctionName"].clone())
                        .unwrap_or(Value::Null),
                ));
            } else if !resource.starts_with("arn:aws:states:::") {
                out.push((name.clone(), state["Resource"].clone()));
            }
        }
        for branch in state["Branches"].as_array().into_iter().flatten() {
            function_references(branch, out);
        }
        for key in ["Iterator", "ItemProcessor"] {
            if let Some(inner) = state.get(key) {
                function_references(inner, out);
            }
        }
    }
}

/// The state machine of a SAM template as CloudFormation creates it: the ASL that
/// `DefinitionUri` names (read by `read`) with every `${key}` of `DefinitionSubstitutions`
/// replaced. Fails if a `${` is left, or if a Task's function reference is not a substitution
/// whose value is the ARN of an `AWS::Serverless::Function` of the same template. Returns the
/// (state, function resource) pairs.
fn resolve_sam(
    label: &str,
    template: &Value,
    read: &dyn Fn(&str) -> String,
) -> Vec<(String, String)> {
    const MARK: &str = "orderflow-substitution:";
    let resources = template["Resources"].as_object().expect("Resources");
    let machine = resources
        .values()
        .find(|r| r["Type"] == "AWS::Serverless::StateMachine")
        .expect("a state machine");
    let uri = machine["Properties"]["DefinitionUri"]
        .as_str()
        .expect("DefinitionUri");
    let substitutions = machine["Properties"]["DefinitionSubstitutions"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut text = read(uri);
    for key in substitutions.keys() {
        text = text.replace(&format!("${{{key}}}"), &format!("{MARK}{key}"));
    }
    assert!(
        !text.contains("${"),
        "{label}: placeholders DefinitionSubstitutions does not fill: {:?}",
        text.lines()
            .filter(|l| l.contains("${"))
            .collect::<Vec<_>>()
    );
    let definition: Value = serde_json::from_str(&text).expect("the definition is JSON");
    let mut references = Vec::new();
    function_references(&definition, &mut references);
    assert!(
        !references.is_empty(),
        "{label}: no Task invokes a function"
    );
    references
        .into_iter()
        .map(|(state, reference)| {
            let key = reference
                .as_str()
                .and_then(|r| r.strip_prefix(MARK))
                .unwrap_or_else(|| {
                    panic!("{label}: state {state:?} calls {reference}, not a function of the template")
                });
            let value = &substitutions[key];
            let logical = value["Fn::GetAtt"][0].as_str().unwrap_or_default();
            assert_eq!(
                (value["Fn::GetAtt"][1].as_str(), resources.get(logical).map(|r| &r["Type"])),
                (Some("Arn"), Some(&Value::from("AWS::Serverless::Function"))),
                "{label}: state {state:?}: ${{{key}}} is {value}, not the ARN of a function of the template"
            );
            (state, logical.to_owned())
        })
        .collect()
}

/// The serverless.yml definition keeps no `${…}` (the Framework would read it as one of its
/// variables) and names every function with `Fn::GetAtt` of a function the service defines.
fn check_serverless_definition(label: &str, service: &Value) {
    let machines = service["stepFunctions"]["stateMachines"]
        .as_object()
        .expect("state machines");
    for machine in machines.values() {
        let definition = &machine["definition"];
        let text = definition.to_string();
        assert!(!text.contains("${"), "{label}: `${{` left in {text}");
        let mut references = Vec::new();
        function_references(definition, &mut references);
        for (state, reference) in references {
            let logical = reference["Fn::GetAtt"][0].as_str().unwrap_or_default();
            let defined = service["functions"].as_object().is_some_and(|f| {
                f.keys()
                    .any(|k| format!("{}LambdaFunction", upper_first(k)) == logical)
            });
            assert!(
                defined && reference["Fn::GetAtt"][1] == "Arn",
                "{label}: state {state:?} calls {reference}, not a function of the service"
            );
        }
    }
}

fn upper_first(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Issue 17: the committed SAM templates, resolved as CloudFormation resolves them, reach a
/// function of the template from every Task and leave no `${…}`.
#[test]
fn committed_sam_templates_resolve_to_their_functions() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for name in ["store-checkout", "order-status", "store-checkout-jsonata"] {
        let crate_dir = root.join("generated-example").join(name);
        let committed =
            std::fs::read_to_string(crate_dir.join("template.yaml")).expect("committed template");
        let uri = committed
            .lines()
            .find_map(|l| l.trim().strip_prefix("DefinitionUri: "))
            .expect("a DefinitionUri");
        let w = workflow(name);
        // The committed text is this value printed (generate --check holds it to the model).
        assert_eq!(
            committed,
            sam_template(&w, &format!("definitions/{name}"), uri),
            "{name}: run orderflow-codegen generate"
        );
        let template = sam_template_value(&w, uri);
        let read = |uri: &str| {
            std::fs::read_to_string(crate_dir.join(uri)).expect("the DefinitionUri file")
        };
        let reached = resolve_sam(name, &template, &read);
        let invoked = w
            .functions
            .values()
            .filter(|f| !f.invoked_by.is_empty())
            .count();
        let distinct: std::collections::BTreeSet<&String> =
            reached.iter().map(|(_, f)| f).collect();
        assert_eq!(distinct.len(), invoked, "{name}: {reached:?}");
        check_serverless_definition(name, &serverless_value(&w, "../../target"));
    }
}

/// Issue 17: `lambda:invoke` naming its functions by placeholders spelt `${FirstLambdaArn}`
/// (DefinitionSubstitutions had `FirstLambdaFunctionArn` instead), and by a full ARN, a partial
/// ARN with an alias and a bare name (the SAM stack kept calling the original account's
/// function): both templates reach the functions they deploy.
#[test]
fn invoke_function_names_resolve_in_both_templates() {
    for (name, expected) in [
        (
            "invoke-placeholder",
            vec![
                ("CheckPrice", "CheckPriceFunction"),
                ("First", "FirstLambdaFunction"),
                ("Second", "SecondLambdaFunction"),
            ],
        ),
        (
            "invoke-literal-arn",
            vec![
                ("Check Inventory", "CheckInventoryFunction"),
                ("Notify", "NotifyFunction"),
                ("Process Payment", "ProcessPaymentFunction"),
                ("Update Order Status", "UpdateOrderStatusFunction"),
            ],
        ),
    ] {
        let (w, dir) = deploy_workflow(name);
        let source = dir.to_string_lossy().into_owned();
        // The crate as `generate --out <workflow>/generated` would write it: paths in it are
        // relative to the crate folder.
        let crate_dir = dir.join("generated");
        let paths = orderflow_codegen::CratePaths::new(
            &dir,
            &dir,
            &crate_dir,
            &orderflow_codegen::Runtime::registry(),
        );
        let (files, _) = orderflow_codegen::crate_files(&w, &source, &paths);
        let file = |path: &str| {
            files
                .iter()
                .find(|f| f.path == Path::new(path))
                .map(|f| f.contents.clone())
        };
        let template_text = file("template.yaml").expect("a SAM template");
        let uri = template_text
            .lines()
            .find_map(|l| l.trim().strip_prefix("DefinitionUri: "))
            .expect("a DefinitionUri")
            .to_owned();
        let template = sam_template_value(&w, &uri);
        let read = |uri: &str| {
            file(uri).unwrap_or_else(|| {
                // The crate folder is not written, so `..` is taken lexically.
                let path = match uri.strip_prefix("../") {
                    Some(rest) => dir.join(rest),
                    None => crate_dir.join(uri),
                };
                std::fs::read_to_string(path).expect("the DefinitionUri file")
            })
        };
        let mut reached = resolve_sam(name, &template, &read);
        reached.sort();
        let expected: Vec<(String, String)> = expected
            .into_iter()
            .map(|(s, f)| (s.to_owned(), f.to_owned()))
            .collect();
        assert_eq!(reached, expected, "{name}");
        check_serverless_definition(name, &serverless_value(&w, "../../target"));
    }
}

/// orderflow.json's `"type": "express"` reaches both templates (SAM's `Type`, serverless'
/// `type`); the default is Standard.
#[test]
fn the_workflow_type_reaches_both_templates() {
    let mut workflow = workflow("order-status");
    assert_eq!(
        sam_template_value(&workflow, "workflow.asl.json")["Resources"]["StateMachine"]["Properties"]
            ["Type"],
        "STANDARD"
    );
    workflow.workflow_type = orderflow_model::manifest::WorkflowType::Express;
    assert_eq!(
        sam_template_value(&workflow, "workflow.asl.json")["Resources"]["StateMachine"]["Properties"]
            ["Type"],
        "EXPRESS"
    );
    let service = serverless_value(&workflow, ".");
    let machines = service["stepFunctions"]["stateMachines"]
        .as_object()
        .expect("state machines");
    assert!(
        machines.values().all(|m| m["type"] == "EXPRESS"),
        "{machines:?}"
    );
}
