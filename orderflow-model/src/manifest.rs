//! `orderflow.json`: what a workflow folder needs to say that its ASL cannot.
//!
//! The committed JSON Schema (`schemas/orderflow.manifest.schema.json`) is generated from these
//! types with schemars, and a test keeps the two identical.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The optional manifest of a workflow folder (`orderflow.json`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "orderflow workflow manifest")]
pub struct Manifest {
    /// Path to this file's JSON Schema, for editors.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// A one-line description of the workflow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The Lambda functions of this workflow, by function name (the name their schema files use).
    /// Functions the ASL invokes are found without being listed here; list them to declare
    /// their errors or Lambda settings, and list functions the state machine does not call.
    #[serde(default)]
    pub functions: BTreeMap<String, FunctionManifest>,
    /// `${Placeholder}` names in the ASL (as in SAM's DefinitionSubstitutions) mapped to the
    /// function they stand for, where the name alone does not say it
    /// (`CheckInventoryFunctionArn` → `checkInventory` is found without help).
    #[serde(default)]
    pub placeholders: BTreeMap<String, String>,
    /// SQS queues the workflow sends to, by logical name.
    #[serde(default)]
    pub queues: BTreeMap<String, QueueManifest>,
    /// SNS topics the workflow publishes to, by logical name.
    #[serde(default)]
    pub topics: BTreeMap<String, TopicManifest>,
    /// DynamoDB tables the functions use, by logical name. A function says what it does with
    /// one under its `uses`; the templates declare each table and grant exactly that.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tables: BTreeMap<String, TableManifest>,
    /// Every function the definition invokes, and the execution input, must have schemas
    /// (a missing one is an error). Without it, a function without schemas is checked as
    /// untyped: its input and output are unknown and nothing about them is an error.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub strict: bool,
    /// Warning and note codes not to report for this workflow (`W0118`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<String>,
    /// `standard` (the default) or `express`: the state machine type the templates deploy and
    /// the limits `run` applies. Without it, the type a template declares, else `standard`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub workflow_type: Option<WorkflowType>,
    /// Breaking changes (`check --against`) made on purpose.
    #[serde(default, skip_serializing_if = "BreakingManifest::is_empty")]
    pub breaking: BreakingManifest,
}

/// What `check --against` is told about breaking changes made on purpose.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BreakingManifest {
    /// Breaking changes accepted, each with its reason (as `buf breaking`'s ignore lists).
    #[serde(default)]
    pub accept: Vec<AcceptedChange>,
}

impl BreakingManifest {
    /// Whether it accepts nothing (and is left out of a written manifest).
    pub fn is_empty(&self) -> bool {
        self.accept.is_empty()
    }
}

/// One breaking change accepted on purpose: a code (`E0505`), for one state or function or,
/// with neither, for the whole workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AcceptedChange {
    /// The breaking-change code accepted (`E0501` to `E0510`, `W0506`).
    pub code: String,
    /// Only for this state (its name in the new definition, or the old name of one removed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Only for this function.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    /// Why the change is safe after all (shown when it is accepted).
    #[schemars(length(min = 1))]
    pub reason: String,
}

/// A state machine's type: the limits its executions run under.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum WorkflowType {
    /// At most 25,000 history events an execution; no limit on duration but `TimeoutSeconds`.
    #[default]
    Standard,
    /// At most five minutes an execution, and no history limit.
    Express,
}

impl WorkflowType {
    /// As CloudFormation and SAM spell it (`STANDARD`, `EXPRESS`).
    pub fn aws_name(self) -> &'static str {
        match self {
            WorkflowType::Standard => "STANDARD",
            WorkflowType::Express => "EXPRESS",
        }
    }

    /// A template's spelling (`EXPRESS`, serverless.yml's `express`), in any case.
    pub fn from_template(text: &str) -> Option<Self> {
        match text.to_ascii_uppercase().as_str() {
            "STANDARD" => Some(WorkflowType::Standard),
            "EXPRESS" => Some(WorkflowType::Express),
            _ => None,
        }
    }
}

/// One function's entry under `functions`: its errors, its trigger and its Lambda settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FunctionManifest {
    /// What the function does, for generated docs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Error names the function raises (its `errorType`s), e.g. `BookNotFound`. Retry/Catch
    /// clauses are checked against them.
    #[serde(default)]
    pub errors: Vec<String>,
    /// How the function is invoked when the state machine does not call it directly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<Trigger>,
    /// Memory in MB (128 to 10240).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 128, max = 10240))]
    pub memory: Option<u32>,
    /// Timeout in seconds (1 to 900).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 900))]
    pub timeout: Option<u32>,
    /// Instruction set the function is built for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<Architecture>,
    /// The resources the function uses and how, by name: `{"books": "read"}`. A name is a key
    /// of `tables`. The function receives each one's name in an environment variable
    /// (`BOOKS_TABLE` for `books`), and its role may call only what the access needs on it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub uses: BTreeMap<String, Access>,
}

/// What a function does with a resource it uses.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
#[expect(
    missing_docs,
    reason = "variant docs would make the manifest schema's enum a oneOf"
)]
pub enum Access {
    Read,
    Write,
}

impl Access {
    /// The DynamoDB actions the access needs on the table: reads for `read`; reads and every
    /// item write (`ConditionCheckItem` too, which transactions check) for `write`.
    pub fn dynamodb_actions(self) -> &'static [&'static str] {
        // The reads first: `read` is the start of the list, `write` all of it.
        const ACTIONS: &[&str] = &[
            "dynamodb:GetItem",
            "dynamodb:Query",
            "dynamodb:BatchGetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "dynamodb:ConditionCheckItem",
        ];
        match self {
            Access::Read => &ACTIONS[..3],
            Access::Write => ACTIONS,
        }
    }
}

/// One DynamoDB table under `tables`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TableManifest {
    /// What the table holds, for generated docs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The partition key.
    pub partition_key: KeyAttribute,
    /// The sort key, for a composite primary key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_key: Option<KeyAttribute>,
    /// How the table is billed: on demand (the default) or with provisioned capacity.
    #[serde(default)]
    pub billing_mode: BillingMode,
    /// Read capacity units, with `PROVISIONED` only (1 or more).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub read_capacity: Option<u64>,
    /// Write capacity units, with `PROVISIONED` only (1 or more).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub write_capacity: Option<u64>,
}

impl TableManifest {
    /// The environment variable that gives a function the table's name: `BOOKS_TABLE` for
    /// `books`, `ORDER_LINES_TABLE` for `orderLines`.
    pub fn environment_variable(table: &str) -> String {
        format!(
            "{}_TABLE",
            heck::ToShoutySnakeCase::to_shouty_snake_case(table)
        )
    }
}

/// A key attribute of a table: its name and scalar type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KeyAttribute {
    /// The attribute's name (`bookId`).
    #[schemars(length(min = 1, max = 255))]
    pub name: String,
    /// `S` (string, the default), `N` (number) or `B` (binary), as DynamoDB spells them.
    #[serde(rename = "type", default)]
    pub attribute_type: KeyType,
}

/// The scalar type of a key attribute, as DynamoDB spells it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[expect(
    missing_docs,
    reason = "variant docs would make the manifest schema's enum a oneOf"
)]
pub enum KeyType {
    #[default]
    S,
    N,
    B,
}

impl KeyType {
    /// As CloudFormation's `AttributeType` spells it.
    pub fn aws_name(self) -> &'static str {
        match self {
            KeyType::S => "S",
            KeyType::N => "N",
            KeyType::B => "B",
        }
    }
}

/// A table's billing mode, as CloudFormation spells it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[expect(
    missing_docs,
    reason = "variant docs would make the manifest schema's enum a oneOf"
)]
pub enum BillingMode {
    #[default]
    PayPerRequest,
    Provisioned,
}

impl BillingMode {
    /// As CloudFormation's `BillingMode` spells it.
    pub fn aws_name(self) -> &'static str {
        match self {
            BillingMode::PayPerRequest => "PAY_PER_REQUEST",
            BillingMode::Provisioned => "PROVISIONED",
        }
    }
}

/// A trigger outside the state machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Trigger {
    /// The queue (a key of `queues`) whose messages invoke the function.
    pub queue: String,
    /// Messages per invocation (1 to 10000).
    #[serde(default = "default_batch_size")]
    #[schemars(range(min = 1, max = 10000))]
    pub batch_size: u32,
    /// The function completes the task token carried in each message
    /// (SendTaskSuccess/SendTaskFailure), so its output is the sending state's result.
    #[serde(default)]
    pub completes_task_token: bool,
}

fn default_batch_size() -> u32 {
    1
}

/// The instruction set a function is built for: `arm64` (Graviton) or `x86_64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
// Not doc comments on the variants: schemars would turn the schema's `enum` into a `oneOf` of
// `const`s, and an invalid value's message would list subschemas instead of the two names.
#[expect(
    missing_docs,
    reason = "variant docs would make the manifest schema's enum a oneOf"
)]
pub enum Architecture {
    Arm64,
    #[serde(rename = "x86_64")]
    X86_64,
}

/// One SQS queue under `queues`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct QueueManifest {
    /// The `${Placeholder}` the ASL uses for this queue's URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
    /// Give the queue a dead-letter queue.
    #[serde(default)]
    pub dead_letter_queue: bool,
}

/// One SNS topic under `topics`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TopicManifest {
    /// The `${Placeholder}` the ASL uses for this topic's ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
}

/// The manifest's JSON Schema, pretty-printed with a trailing newline (the committed file).
pub fn json_schema_text() -> String {
    let schema = schemars::schema_for!(Manifest);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// One manifest validation error in orderflow's words, at the member it is about.
pub(crate) fn describe_error(
    file: &std::sync::Arc<crate::source::SourceFile>,
    json: &crate::json::Json,
    schema: &serde_json::Value,
    error: &jsonschema::ValidationError<'_>,
) -> Vec<crate::diagnostic::Diagnostic> {
    use crate::diagnostic::{Code, Diagnostic, Location};
    use jsonschema::error::{TypeKind, ValidationErrorKind};

    let pointer = error.instance_path().as_str().to_owned();
    let node = json.pointer(&pointer).unwrap_or(json);
    let subject = match pointer.rsplit_once('/') {
        Some((_, last)) if !pointer.is_empty() => {
            format!("`{}`", last.replace("~1", "/").replace("~0", "~"))
        }
        _ => "the manifest".to_owned(),
    };
    let found = crate::schema::found_text(error.instance());
    let note = "the manifest's schema is schemas/orderflow.manifest.schema.json";
    let at = |p: &str, span| Location::new(file, p, span);
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let allowed = allowed_fields(schema, &pointer);
            unexpected
                .iter()
                .map(|name| {
                    let member = node.member(name);
                    let member_pointer = crate::json::push_pointer(&pointer, name);
                    let span = member.map_or(node.span, |m| m.key_span);
                    let mut d = Diagnostic::new(
                        Code::ManifestInvalid,
                        format!("unknown field `{name}` in {}", describe_object(&pointer)),
                    )
                    .at(at(&member_pointer, span))
                    .label("unknown field")
                    .note(format!("allowed here: {}", allowed.join(", ")));
                    if let Some(h) =
                        crate::suggest::did_you_mean(name, allowed.iter().map(String::as_str))
                    {
                        d = d.help(h);
                    }
                    d
                })
                .collect()
        }
        ValidationErrorKind::Type { kind } => {
            let mut names: Vec<String> = match kind {
                TypeKind::Single(t) => vec![t.to_string()],
                TypeKind::Multiple(set) => set.iter().map(|t| t.to_string()).collect(),
            };
            // schemars spells `Option<T>` as `[T, "null"]`; leaving the field out is the way
            // to say "none", so `null` is not worth suggesting.
            if names.len() > 1 {
                names.retain(|n| n != "null");
            }
            let expected = names
                .iter()
                .map(|n| match n.as_str() {
                    "integer" => "an integer",
                    "object" => "an object",
                    "array" => "an array",
                    "string" => "a string",
                    "boolean" => "true or false",
                    "number" => "a number",
                    other => other,
                })
                .collect::<Vec<_>>()
                .join(" or ");
            vec![
                Diagnostic::new(
                    Code::ManifestInvalid,
                    format!("{subject} must be {expected}, found {found}"),
                )
                .at(at(&pointer, node.span))
                .label(format!("expected {expected}"))
                .note(note),
            ]
        }
        ValidationErrorKind::Required { property } => vec![
            Diagnostic::new(
                Code::ManifestInvalid,
                format!(
                    "{} lacks the required field {property}",
                    describe_object(&pointer)
                ),
            )
            .at(at(&pointer, node.span))
            .note(note),
        ],
        ValidationErrorKind::Minimum { limit } => vec![
            Diagnostic::new(
                Code::ManifestInvalid,
                format!("{subject} must be at least {limit}, found {found}"),
            )
            .at(at(&pointer, node.span))
            .note(note),
        ],
        ValidationErrorKind::Maximum { limit } => vec![
            Diagnostic::new(
                Code::ManifestInvalid,
                format!("{subject} must be at most {limit}, found {found}"),
            )
            .at(at(&pointer, node.span))
            .note(note),
        ],
        _ => vec![
            Diagnostic::new(Code::ManifestInvalid, format!("{subject}: {error}"))
                .at(at(&pointer, node.span))
                .note(note),
        ],
    }
}

/// What the object at `pointer` of the manifest is, in words.
fn describe_object(pointer: &str) -> String {
    let tokens: Vec<&str> = pointer.split('/').skip(1).collect();
    match tokens.as_slice() {
        [] => "the manifest".to_owned(),
        ["functions", name] => format!("function `{name}`"),
        ["functions", name, "trigger"] => format!("the trigger of function `{name}`"),
        ["queues", name] => format!("queue `{name}`"),
        ["topics", name] => format!("topic `{name}`"),
        ["tables", name] => format!("table `{name}`"),
        ["tables", name, "partitionKey" | "sortKey"] => format!("a key of table `{name}`"),
        _ => format!("`{pointer}`"),
    }
}

/// The field names the manifest schema allows in the object at `pointer`.
fn allowed_fields(schema: &serde_json::Value, pointer: &str) -> Vec<String> {
    let tokens: Vec<&str> = pointer.split('/').skip(1).collect();
    let definition = match tokens.as_slice() {
        [] => Some(schema),
        ["functions", _] => schema.pointer("/$defs/FunctionManifest"),
        ["functions", _, "trigger"] => schema.pointer("/$defs/Trigger"),
        ["queues", _] => schema.pointer("/$defs/QueueManifest"),
        ["topics", _] => schema.pointer("/$defs/TopicManifest"),
        ["tables", _] => schema.pointer("/$defs/TableManifest"),
        ["tables", _, "partitionKey" | "sortKey"] => schema.pointer("/$defs/KeyAttribute"),
        _ => None,
    };
    definition
        .and_then(|d| d.get("properties"))
        .and_then(serde_json::Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_schema_is_current() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../schemas/orderflow.manifest.schema.json"
        );
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        if std::env::var_os("ORDERFLOW_BLESS").is_some() {
            std::fs::write(path, json_schema_text()).unwrap();
            return;
        }
        assert_eq!(
            committed,
            json_schema_text(),
            "schemas/orderflow.manifest.schema.json is stale; rerun with ORDERFLOW_BLESS=1"
        );
    }

    #[test]
    fn a_table_is_named_in_a_shouty_variable_and_billed_on_demand() {
        assert_eq!(TableManifest::environment_variable("books"), "BOOKS_TABLE");
        assert_eq!(
            TableManifest::environment_variable("orderLines"),
            "ORDER_LINES_TABLE"
        );
        let m: Manifest = serde_json::from_str(
            r#"{"tables": {"books": {"partitionKey": {"name": "bookId"}}},
                "functions": {"f": {"uses": {"books": "write"}}}}"#,
        )
        .unwrap();
        let table = &m.tables["books"];
        assert_eq!(table.billing_mode, BillingMode::PayPerRequest);
        assert_eq!(table.partition_key.attribute_type, KeyType::S);
        assert_eq!(m.functions["f"].uses["books"], Access::Write);
        // Writing needs every read action too.
        for read in Access::Read.dynamodb_actions() {
            assert!(Access::Write.dynamodb_actions().contains(read));
        }
    }

    #[test]
    fn trigger_defaults_to_batch_size_one() {
        let m: Manifest = serde_json::from_str(
            r#"{"functions": {"w": {"trigger": {"queue": "orders", "completesTaskToken": true}}}}"#,
        )
        .unwrap();
        let t = m.functions["w"].trigger.as_ref().unwrap();
        assert_eq!(t.batch_size, 1);
        assert!(t.completes_task_token);
    }
}
