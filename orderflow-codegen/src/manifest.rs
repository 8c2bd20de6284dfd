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
}

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Architecture {
    Arm64,
    #[serde(rename = "x86_64")]
    X86_64,
}

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
