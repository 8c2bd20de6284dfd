//! Deployment templates from the model: AWS SAM (`template.yaml`) and Serverless Framework v3
//! (`serverless.yml`). Both deploy the same functions, queue and topic, and grant only what the
//! workflow needs: the state machine invokes exactly its functions, sends to exactly its queues,
//! publishes to exactly its topics; a task-token worker may complete task tokens of exactly this
//! state machine; a function may call on exactly the tables its `uses` names exactly the
//! DynamoDB actions its access needs, and finds each table's name in an environment variable.
//!
//! The only `*` resources are the ones AWS offers no narrower form of: CloudWatch Logs log
//! delivery (needed for state machine logging) and X-Ray (only when tracing is on);
//! [`WILDCARD_ONLY_ACTIONS`] lists them, and a test holds every other statement to named
//! resources.

use std::collections::BTreeMap;

use heck::{ToLowerCamelCase, ToUpperCamelCase};
use serde_json::{Map, Value, json};

use super::GENERATED_MARKER;
use super::yaml::to_yaml;
use orderflow_model::asl::{FunctionCatalog, placeholder_name};
use orderflow_model::manifest::TableManifest;
use orderflow_model::workflow::{Function, Workflow};

/// Actions AWS documents as not supporting resource-level permissions.
pub const WILDCARD_ONLY_ACTIONS: &[&str] = &[
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
];

/// CloudFormation logical ids and placeholder names of one function.
struct FunctionNames {
    logical: String,
    placeholder: String,
    binary: String,
}

fn names(workflow: &Workflow, function: &Function) -> FunctionNames {
    let upper = function.name.to_upper_camel_case();
    FunctionNames {
        logical: format!("{upper}Function"),
        placeholder: format!("{upper}FunctionArn"),
        binary: workflow.binary_name(&function.name),
    }
}

/// How one Task names its function: in `Resource`, or in the `FunctionName` of
/// `arn:aws:states:::lambda:invoke(.waitForTaskToken)`.
struct FunctionReference<'a> {
    /// The function of the workflow it names.
    function: &'a Function,
    /// The `${Placeholder}` it is written as, if it is one.
    placeholder: Option<String>,
}

/// Calls `visit` on every string of the definition JSON that names a function of the workflow
/// (a Task's `Resource`, a `lambda:invoke` `FunctionName`, in nested branches and iterators
/// too), as the parser reads them; a returned value replaces the string.
fn rewrite_function_references(
    workflow: &Workflow,
    definition: &mut Value,
    visit: &mut dyn FnMut(&FunctionReference<'_>) -> Option<Value>,
) {
    let catalog = workflow.function_catalog();
    rewrite_scope(workflow, &catalog, definition, visit);
}

fn rewrite_scope(
    workflow: &Workflow,
    catalog: &FunctionCatalog,
    scope: &mut Value,
    visit: &mut dyn FnMut(&FunctionReference<'_>) -> Option<Value>,
) {
    let Some(states) = scope.get_mut("States").and_then(Value::as_object_mut) else {
        return;
    };
    for state in states.values_mut() {
        if state.get("Type").and_then(Value::as_str) == Some("Task") {
            let resource = state.get("Resource").and_then(Value::as_str).unwrap_or("");
            let invoke = matches!(
                resource,
                "arn:aws:states:::lambda:invoke"
                    | "arn:aws:states:::lambda:invoke.waitForTaskToken"
            );
            let mut named = |value: &mut Value, function_name: bool| {
                let Some(text) = value.as_str() else {
                    return;
                };
                let Some(function) = catalog
                    .function_named_by(text, function_name)
                    .and_then(|f| workflow.functions.get(&f))
                else {
                    return;
                };
                let reference = FunctionReference {
                    function,
                    placeholder: placeholder_name(text).map(str::to_owned),
                };
                if let Some(new) = visit(&reference) {
                    *value = new;
                }
            };
            if invoke {
                for key in ["Parameters", "Arguments"] {
                    if let Some(name) = state.get_mut(key).and_then(|a| a.get_mut("FunctionName")) {
                        named(name, true);
                    }
                }
            } else if let Some(resource) = state.get_mut("Resource") {
                named(resource, false);
            }
        }
        if let Some(branches) = state.get_mut("Branches").and_then(Value::as_array_mut) {
            for branch in branches {
                rewrite_scope(workflow, catalog, branch, visit);
            }
        }
        for key in ["Iterator", "ItemProcessor"] {
            if let Some(inner) = state.get_mut(key) {
                rewrite_scope(workflow, catalog, inner, visit);
            }
        }
    }
}

/// The definition as written (JSON), for rewriting.
fn definition_value(workflow: &Workflow) -> Value {
    serde_json::from_str(workflow.machine.file.text()).unwrap_or(Value::Null)
}

/// Whether any Task names its function literally (an ARN, a partial ARN, a name): such an ASL is
/// deployed from a copy whose references are placeholders, since a literal names a function
/// of one account and region, not the one the template deploys.
pub fn has_literal_lambda_arns(workflow: &Workflow) -> bool {
    let mut literal = false;
    rewrite_function_references(workflow, &mut definition_value(workflow), &mut |r| {
        literal |= r.placeholder.is_none();
        None
    });
    literal
}

/// The ASL with every literal function reference (a `Resource` ARN, a `FunctionName` name,
/// partial ARN or ARN) replaced by `${<Function>FunctionArn}` and the `@generated` marker
/// leading its Comment (JSON has no comments).
pub fn deployable_asl(workflow: &Workflow, source: &str) -> String {
    let mut root = definition_value(workflow);
    rewrite_function_references(workflow, &mut root, &mut |r| {
        r.placeholder
            .is_none()
            .then(|| Value::from(format!("${{{}}}", names(workflow, r.function).placeholder)))
    });
    if let Value::Object(map) = &mut root {
        let original = map
            .get("Comment")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let marker = format!(
            "{GENERATED_MARKER} by orderflow-codegen from {source} (Lambda ARNs as placeholders for deployment){}",
            original.map(|c| format!(". {c}")).unwrap_or_default()
        );
        let mut ordered = Map::new();
        ordered.insert("Comment".into(), Value::from(marker));
        for (k, v) in map.iter() {
            if k != "Comment" {
                ordered.insert(k.clone(), v.clone());
            }
        }
        *map = ordered;
    }
    let mut text = serde_json::to_string_pretty(&root).unwrap_or_default();
    text.push('\n');
    text
}

/// `Fn::GetAtt` in long form.
fn get_att(logical: &str, attribute: &str) -> Value {
    json!({ "Fn::GetAtt": [logical, attribute] })
}

fn reference(logical: &str) -> Value {
    json!({ "Ref": logical })
}

/// Logical ids of queues and topics, by manifest name.
fn queue_logical(name: &str) -> String {
    format!("{}Queue", name.to_upper_camel_case())
}

fn dead_letter_logical(name: &str) -> String {
    format!("{}DeadLetterQueue", name.to_upper_camel_case())
}

fn topic_logical(name: &str) -> String {
    format!("{}Topic", name.to_upper_camel_case())
}

fn table_logical(name: &str) -> String {
    format!("{}Table", name.to_upper_camel_case())
}

/// A function's own statements on the tables it uses: one per table, naming the table's ARN
/// and the actions its access needs (`Access::dynamodb_actions`).
fn table_statements(function: &Function) -> Vec<Value> {
    function
        .settings
        .uses
        .iter()
        .map(|(table, access)| {
            json!({
                "Effect": "Allow",
                "Action": access.dynamodb_actions(),
                "Resource": get_att(&table_logical(table), "Arn")
            })
        })
        .collect()
}

/// The environment variables that name a function's tables (`BOOKS_TABLE`), as `Ref`s.
fn table_variables(function: &Function) -> Option<Value> {
    if function.settings.uses.is_empty() {
        return None;
    }
    let variables: Map<String, Value> = function
        .settings
        .uses
        .keys()
        .map(|table| {
            (
                TableManifest::environment_variable(table),
                reference(&table_logical(table)),
            )
        })
        .collect();
    Some(Value::Object(variables))
}

const STATE_MACHINE: &str = "StateMachine";

/// The AWS SAM template as text. `definition_uri` is the ASL's path relative to the template.
pub fn sam_template(workflow: &Workflow, source: &str, definition_uri: &str) -> String {
    format!(
        "# {GENERATED_MARKER} by orderflow-codegen from {source}. Do not edit: run `orderflow-codegen generate` instead.\n# Build and deploy: sam build && sam deploy --guided\n{}",
        to_yaml(&sam_template_value(workflow, definition_uri))
    )
}

/// The AWS SAM template as a JSON value (what [`sam_template`] prints as YAML).
pub fn sam_template_value(workflow: &Workflow, definition_uri: &str) -> Value {
    let function_arn = |f: &Function| get_att(&names(workflow, f).logical, "Arn");
    let mut resources = Map::new();
    for function in workflow.functions.values() {
        let n = names(workflow, function);
        let settings = &function.settings;
        let mut properties = Map::new();
        properties.insert("CodeUri".into(), Value::from("."));
        properties.insert("Handler".into(), Value::from("bootstrap"));
        properties.insert("Runtime".into(), Value::from("provided.al2023"));
        let architecture = match settings.architecture {
            Some(orderflow_model::manifest::Architecture::X86_64) => "x86_64",
            _ => "arm64",
        };
        properties.insert("Architectures".into(), json!([architecture]));
        properties.insert(
            "MemorySize".into(),
            Value::from(settings.memory.unwrap_or(128)),
        );
        properties.insert(
            "Timeout".into(),
            Value::from(settings.timeout.unwrap_or(10)),
        );
        if let Some(description) = &settings.description {
            properties.insert("Description".into(), Value::from(description.as_str()));
        }
        properties.insert(
            "Tracing".into(),
            json!({ "Fn::If": ["TracingOn", "Active", "PassThrough"] }),
        );
        if let Some(trigger) = &settings.trigger {
            let queue = queue_logical(&trigger.queue);
            properties.insert(
                "Events".into(),
                json!({
                    format!("{queue}Messages"): {
                        "Type": "SQS",
                        "Properties": {
                            "Queue": get_att(&queue, "Arn"),
                            "BatchSize": trigger.batch_size,
                            "FunctionResponseTypes": ["ReportBatchItemFailures"]
                        }
                    }
                }),
            );
        }
        let mut statements = Vec::new();
        if settings
            .trigger
            .as_ref()
            .is_some_and(|t| t.completes_task_token)
        {
            statements.push(json!({
                "Effect": "Allow",
                "Action": ["states:SendTaskSuccess", "states:SendTaskFailure"],
                "Resource": reference(STATE_MACHINE)
            }));
        }
        statements.extend(table_statements(function));
        if !statements.is_empty() {
            properties.insert("Policies".into(), json!([{ "Statement": statements }]));
        }
        if let Some(variables) = table_variables(function) {
            properties.insert("Environment".into(), json!({ "Variables": variables }));
        }
        resources.insert(
            n.logical.clone(),
            json!({
                "Type": "AWS::Serverless::Function",
                "Metadata": { "BuildMethod": "rust-cargolambda", "BuildProperties": { "Binary": n.binary } },
                "Properties": properties
            }),
        );
    }
    shared_resources(workflow, &mut resources);
    let substitutions: Map<String, Value> = placeholder_values(workflow, &function_arn)
        .into_iter()
        .collect();
    let mut statements = state_machine_statements(workflow, &function_arn);
    let xray: Vec<&&str> = WILDCARD_ONLY_ACTIONS
        .iter()
        .filter(|a| a.starts_with("xray:"))
        .collect();
    statements.push(json!({
        "Fn::If": ["TracingOn", { "Effect": "Allow", "Action": xray, "Resource": "*" }, { "Ref": "AWS::NoValue" }]
    }));
    resources.insert(
        "StateMachineLogGroup".into(),
        json!({
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": format!("/aws/vendedlogs/states/{}", workflow.name),
                "RetentionInDays": 30
            }
        }),
    );
    let mut state_machine = Map::new();
    state_machine.insert(
        "Type".into(),
        Value::from(workflow.workflow_type.aws_name()),
    );
    state_machine.insert("DefinitionUri".into(), Value::from(definition_uri));
    if !substitutions.is_empty() {
        state_machine.insert(
            "DefinitionSubstitutions".into(),
            Value::Object(substitutions),
        );
    }
    state_machine.insert(
        "Logging".into(),
        json!({
            "Level": "ALL",
            "IncludeExecutionData": false,
            "Destinations": [{ "CloudWatchLogsLogGroup": { "LogGroupArn": get_att("StateMachineLogGroup", "Arn") } }]
        }),
    );
    state_machine.insert(
        "Tracing".into(),
        json!({ "Enabled": { "Fn::If": ["TracingOn", true, false] } }),
    );
    state_machine.insert("Policies".into(), json!([{ "Statement": statements }]));
    resources.insert(
        STATE_MACHINE.into(),
        json!({ "Type": "AWS::Serverless::StateMachine", "Properties": state_machine }),
    );
    let description = workflow
        .manifest
        .description
        .clone()
        .unwrap_or_else(|| format!("The {} workflow", workflow.name));
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Description": description,
        "Parameters": {
            "TracingEnabled": {
                "Type": "String",
                "AllowedValues": ["true", "false"],
                "Default": "false",
                "Description": "Trace the state machine and functions with AWS X-Ray"
            }
        },
        "Conditions": { "TracingOn": { "Fn::Equals": [{ "Ref": "TracingEnabled" }, "true"] } },
        "Resources": resources,
        "Outputs": { "StateMachineArn": { "Value": reference(STATE_MACHINE) } }
    })
}

/// Every IAM permission statement of a template (SAM `Policies`, the policies of `AWS::IAM::Role`
/// resources), for the least-privilege test. Trust policies (who may assume a role) are skipped:
/// they grant no action on a resource.
pub fn iam_statements(template: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    collect_statements(template, &mut out);
    out
}

fn collect_statements<'a>(value: &'a Value, out: &mut Vec<&'a Value>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                if key == "AssumeRolePolicyDocument" {
                    continue;
                }
                if key == "Statement" || key == "statements" {
                    if let Some(items) = inner.as_array() {
                        for item in items {
                            // `Fn::If` wrapping a statement.
                            match item.get("Fn::If").and_then(Value::as_array) {
                                Some(branches) => out.extend(
                                    branches
                                        .iter()
                                        .skip(1)
                                        .filter(|b| b.get("Effect").is_some()),
                                ),
                                None => out.push(item),
                            }
                        }
                    }
                } else {
                    collect_statements(inner, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_statements(i, out)),
        _ => {}
    }
}

/// The Serverless Framework function logical id (`checkInventory` → `CheckInventoryLambdaFunction`),
/// as serverless v3 normalises function keys.
fn serverless_function_logical(name: &str) -> String {
    let mut normalized = String::new();
    for (i, c) in name.chars().enumerate() {
        match c {
            '-' => normalized.push_str("Dash"),
            '_' => normalized.push_str("Underscore"),
            c if i == 0 => normalized.extend(c.to_uppercase()),
            c => normalized.push(c),
        }
    }
    format!("{normalized}LambdaFunction")
}

/// The CloudFormation value each `${Placeholder}` of the ASL stands for, with functions named by
/// `function_arn`.
fn placeholder_values(
    workflow: &Workflow,
    function_arn: &dyn Fn(&Function) -> Value,
) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    // `${<Function>FunctionArn}`, which `deployable_asl` writes for literal references.
    for function in workflow.functions.values() {
        if !function.invoked_by.is_empty() {
            out.insert(
                names(workflow, function).placeholder,
                function_arn(function),
            );
        }
    }
    // Every placeholder the definition names a function with, however it is spelt: a Task's
    // `Resource` or `FunctionName`, or a value passed on (a function ARN in a payload).
    let catalog = workflow.function_catalog();
    let mut pending = vec![definition_value(workflow)];
    while let Some(value) = pending.pop() {
        match value {
            Value::String(text) => {
                if let Some(p) = placeholder_name(&text) {
                    if let Some(f) = catalog
                        .resolve_placeholder(p)
                        .and_then(|f| workflow.functions.get(&f))
                    {
                        out.insert(p.to_owned(), function_arn(f));
                    }
                }
            }
            Value::Array(items) => pending.extend(items),
            Value::Object(map) => pending.extend(map.into_iter().map(|(_, v)| v)),
            _ => {}
        }
    }
    for (name, queue) in &workflow.manifest.queues {
        if let Some(placeholder) = &queue.placeholder {
            out.insert(placeholder.clone(), reference(&queue_logical(name)));
        }
    }
    for (name, topic) in &workflow.manifest.topics {
        if let Some(placeholder) = &topic.placeholder {
            out.insert(placeholder.clone(), reference(&topic_logical(name)));
        }
    }
    out
}

/// Replaces every string that is exactly `${Placeholder}` (or a literal Lambda ARN) by its
/// CloudFormation value, everywhere in the definition.
fn substitute(value: &mut Value, values: &BTreeMap<String, Value>, workflow: &Workflow) {
    match value {
        Value::String(text) => {
            let by_placeholder = text
                .strip_prefix("${")
                .and_then(|rest| rest.strip_suffix('}'))
                .and_then(|name| values.get(name));
            let by_arn = || {
                orderflow_model::asl::lambda_arn(text)
                    .and_then(|(function, _)| workflow.functions.get(&function))
                    .map(|f| get_att(&serverless_function_logical(&f.name), "Arn"))
            };
            if let Some(new) = by_placeholder.cloned().or_else(by_arn) {
                *value = new;
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|i| substitute(i, values, workflow)),
        Value::Object(map) => map
            .values_mut()
            .for_each(|v| substitute(v, values, workflow)),
        _ => {}
    }
}

/// The statements of the state machine's role: invoke its functions, send to its queues, publish
/// to its topics, deliver logs. `function_arn` names a function in the template's dialect.
fn state_machine_statements(
    workflow: &Workflow,
    function_arn: &dyn Fn(&Function) -> Value,
) -> Vec<Value> {
    let mut statements = Vec::new();
    let invoked: Vec<Value> = workflow
        .functions
        .values()
        .filter(|f| !f.invoked_by.is_empty())
        .map(function_arn)
        .collect();
    if !invoked.is_empty() {
        statements.push(
            json!({ "Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": invoked }),
        );
    }
    let queues: Vec<Value> = workflow
        .manifest
        .queues
        .keys()
        .map(|name| get_att(&queue_logical(name), "Arn"))
        .collect();
    if !queues.is_empty() {
        statements
            .push(json!({ "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": queues }));
    }
    let topics: Vec<Value> = workflow
        .manifest
        .topics
        .keys()
        .map(|name| reference(&topic_logical(name)))
        .collect();
    if !topics.is_empty() {
        statements.push(json!({ "Effect": "Allow", "Action": "sns:Publish", "Resource": topics }));
    }
    statements.push(json!({
        "Effect": "Allow",
        "Action": WILDCARD_ONLY_ACTIONS.iter().filter(|a| a.starts_with("logs:")).collect::<Vec<_>>(),
        "Resource": "*"
    }));
    statements
}

/// The queues (with their dead-letter queues), topics and tables both templates declare.
fn shared_resources(workflow: &Workflow, resources: &mut Map<String, Value>) {
    for (name, queue) in &workflow.manifest.queues {
        let timeout = workflow
            .functions
            .values()
            .filter(|f| {
                f.settings
                    .trigger
                    .as_ref()
                    .is_some_and(|t| &t.queue == name)
            })
            .map(|f| f.settings.timeout.unwrap_or(10))
            .max()
            .unwrap_or(30);
        let mut properties = Map::new();
        // AWS recommends six times the consumer's timeout.
        properties.insert("VisibilityTimeout".into(), Value::from(timeout * 6));
        if queue.dead_letter_queue {
            let dlq = dead_letter_logical(name);
            resources.insert(
                dlq.clone(),
                json!({ "Type": "AWS::SQS::Queue", "Properties": { "MessageRetentionPeriod": 1_209_600 } }),
            );
            properties.insert(
                "RedrivePolicy".into(),
                json!({ "deadLetterTargetArn": get_att(&dlq, "Arn"), "maxReceiveCount": 5 }),
            );
        }
        resources.insert(
            queue_logical(name),
            json!({ "Type": "AWS::SQS::Queue", "Properties": properties }),
        );
    }
    for name in workflow.manifest.topics.keys() {
        resources.insert(topic_logical(name), json!({ "Type": "AWS::SNS::Topic" }));
    }
    for (name, table) in &workflow.manifest.tables {
        let keys = std::iter::once((&table.partition_key, "HASH"))
            .chain(table.sort_key.as_ref().map(|k| (k, "RANGE")));
        let (definitions, schema): (Vec<Value>, Vec<Value>) = keys
            .map(|(key, role)| {
                (
                    json!({ "AttributeName": key.name, "AttributeType": key.attribute_type.aws_name() }),
                    json!({ "AttributeName": key.name, "KeyType": role }),
                )
            })
            .unzip();
        let mut properties = Map::new();
        properties.insert("AttributeDefinitions".into(), Value::from(definitions));
        properties.insert("KeySchema".into(), Value::from(schema));
        properties.insert(
            "BillingMode".into(),
            Value::from(table.billing_mode.aws_name()),
        );
        if let (Some(read), Some(write)) = (table.read_capacity, table.write_capacity) {
            properties.insert(
                "ProvisionedThroughput".into(),
                json!({ "ReadCapacityUnits": read, "WriteCapacityUnits": write }),
            );
        }
        resources.insert(
            table_logical(name),
            json!({ "Type": "AWS::DynamoDB::Table", "Properties": properties }),
        );
    }
}

/// `arn:${Partition}:…` built with `Fn::Join`, which needs no `${…}` (serverless would read
/// `Fn::Sub` variables as its own).
fn arn_join(parts: Vec<Value>) -> Value {
    json!({ "Fn::Join": ["", parts] })
}

/// The Serverless Framework v3 service as text. `artifact_root` is the cargo target folder
/// relative to the service; the zips are expected in `lambda/<binary>/`, where
/// `cargo lambda build` puts them by default.
pub fn serverless_template(workflow: &Workflow, source: &str, artifact_root: &str) -> String {
    format!(
        "# {GENERATED_MARKER} by orderflow-codegen from {source}. Do not edit: run `orderflow-codegen generate` instead.\n# Build (in this folder): cargo lambda build --release --arm64 --output-format zip --bins --features aws\n# Deploy: serverless deploy (Framework v3)\n{}",
        to_yaml(&serverless_value(workflow, artifact_root)),
    )
}

/// The Serverless Framework v3 service as a JSON value.
pub fn serverless_value(workflow: &Workflow, artifact_root: &str) -> Value {
    let function_arn = |f: &Function| get_att(&serverless_function_logical(&f.name), "Arn");
    let mut functions = Map::new();
    let mut resources = Map::new();
    for function in workflow.functions.values() {
        let n = names(workflow, function);
        let settings = &function.settings;
        let mut properties = Map::new();
        properties.insert("handler".into(), Value::from("bootstrap"));
        if let Some(description) = &settings.description {
            properties.insert("description".into(), Value::from(description.as_str()));
        }
        let architecture = match settings.architecture {
            Some(orderflow_model::manifest::Architecture::X86_64) => "x86_64",
            _ => "arm64",
        };
        properties.insert("architecture".into(), Value::from(architecture));
        properties.insert(
            "memorySize".into(),
            Value::from(settings.memory.unwrap_or(128)),
        );
        properties.insert(
            "timeout".into(),
            Value::from(settings.timeout.unwrap_or(10)),
        );
        properties.insert(
            "package".into(),
            // One folder per workflow crate: two workflows may both have a `checkInventory`.
            json!({ "artifact": format!("{artifact_root}/lambda/{}/bootstrap.zip", n.binary) }),
        );
        // The provider role is shared by every function, so a function that needs more than
        // logs gets a role of its own: only the worker may complete task tokens, and only a
        // table's users may touch it.
        let mut statements = Vec::new();
        if let Some(trigger) = &settings.trigger {
            let queue = queue_logical(&trigger.queue);
            properties.insert(
                "events".into(),
                json!([{ "sqs": {
                    "arn": get_att(&queue, "Arn"),
                    "batchSize": trigger.batch_size,
                    "functionResponseType": "ReportBatchItemFailures"
                }}]),
            );
            // The event source mapping polls the queue with the function's role.
            statements.push(json!({ "Effect": "Allow", "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], "Resource": get_att(&queue, "Arn") }));
            if trigger.completes_task_token {
                statements.push(json!({
                    "Effect": "Allow",
                    "Action": ["states:SendTaskSuccess", "states:SendTaskFailure"],
                    "Resource": reference(STATE_MACHINE)
                }));
            }
        }
        statements.extend(table_statements(function));
        if let Some(variables) = table_variables(function) {
            properties.insert("environment".into(), variables);
        }
        if !statements.is_empty() {
            let role = format!("{}Role", function.name.to_upper_camel_case());
            let log_group = arn_join(vec![
                Value::from("arn:"),
                reference("AWS::Partition"),
                Value::from(":logs:"),
                reference("AWS::Region"),
                Value::from(":"),
                reference("AWS::AccountId"),
                Value::from(format!(
                    ":log-group:/aws/lambda/{}-${{sls:stage}}-{}:*",
                    workflow.name, function.name
                )),
            ]);
            // serverless creates the log group itself.
            statements.insert(
                0,
                json!({ "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": log_group }),
            );
            resources.insert(
                role.clone(),
                json!({
                    "Type": "AWS::IAM::Role",
                    "Properties": {
                        "AssumeRolePolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [{ "Effect": "Allow", "Principal": { "Service": "lambda.amazonaws.com" }, "Action": "sts:AssumeRole" }]
                        },
                        "Policies": [{
                            "PolicyName": function.name.clone(),
                            "PolicyDocument": { "Version": "2012-10-17", "Statement": statements }
                        }]
                    }
                }),
            );
            properties.insert("role".into(), Value::from(role));
        }
        functions.insert(function.name.clone(), Value::Object(properties));
    }
    shared_resources(workflow, &mut resources);
    resources.insert(
        "StateMachineLogGroup".into(),
        json!({
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": format!("/aws/vendedlogs/states/{}-${{sls:stage}}", workflow.name),
                "RetentionInDays": 30
            }
        }),
    );
    resources.insert(
        "StateMachineRole".into(),
        json!({
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{ "Effect": "Allow", "Principal": { "Service": "states.amazonaws.com" }, "Action": "sts:AssumeRole" }]
                },
                "Policies": [{
                    "PolicyName": "state-machine",
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": state_machine_statements(workflow, &function_arn)
                    }
                }]
            }
        }),
    );
    let mut definition = definition_value(workflow);
    // Every function reference (placeholder, ARN, partial ARN, name) becomes `Fn::GetAtt`,
    // which serverless-step-functions turns into the deployed function's ARN; a `${…}` left in
    // the definition would be read as a Serverless Framework variable.
    rewrite_function_references(workflow, &mut definition, &mut |r| {
        Some(function_arn(r.function))
    });
    substitute(
        &mut definition,
        &placeholder_values(workflow, &function_arn),
        workflow,
    );
    let machine_key = workflow.name.to_lower_camel_case();
    json!({
        "service": workflow.name,
        "frameworkVersion": "3",
        "configValidationMode": "error",
        "provider": {
            "name": "aws",
            "runtime": "provided.al2023",
            "stage": "${opt:stage, 'dev'}",
            "region": "${opt:region, 'us-east-1'}"
        },
        "plugins": ["serverless-step-functions"],
        "package": { "individually": true },
        "functions": functions,
        "stepFunctions": {
            "validate": true,
            "stateMachines": {
                machine_key: {
                    "id": STATE_MACHINE,
                    "name": format!("{}-${{sls:stage}}", workflow.name),
                    "type": workflow.workflow_type.aws_name(),
                    "role": get_att("StateMachineRole", "Arn"),
                    "loggingConfig": {
                        "level": "ALL",
                        "includeExecutionData": false,
                        "destinations": [get_att("StateMachineLogGroup", "Arn")]
                    },
                    "definition": definition
                }
            }
        },
        "resources": {
            "Resources": resources,
            "Outputs": { "StateMachineArn": { "Value": reference(STATE_MACHINE) } }
        }
    })
}
