//! Contracts: the JSON Schemas a workflow folder declares — what the execution receives
//! (`execution.input.json`), what each function receives and returns (`<function>.input.json`,
//! `<function>.output.json`), and for a queue worker completing a task token, the message it
//! receives and the result it completes the token with — checked while an execution runs.
//!
//! [`Contracts`] are compiled once (with the `jsonschema` crate, from the schemas the workflow
//! model loaded) and given to the [`Executor`](crate::Executor) with
//! [`set_contracts`](crate::Executor::set_contracts). Each value that breaks its schema
//! becomes a [`ContractViolation`] in [`Execution::contract_violations`](crate::Execution):
//! with [`ContractMode::Report`] (the default) the execution goes on as AWS would run it; with
//! [`ContractMode::Strict`] it fails there with a terminal `States.Runtime` naming the state,
//! the function, the schema and the broken place. An executor without contracts checks nothing
//! and pays one branch per Task.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use orderflow_model::asl::model::{LambdaInvocation, Resource};
use orderflow_model::schema::SchemaDocument;
use orderflow_model::workflow::{Workflow, WorkflowSources};
use orderflow_model::{DefinitionErrors, analyze};

/// At most this many violations are reported for one value (a wrong list can break its schema
/// once per item).
pub const MAX_VIOLATIONS_PER_VALUE: usize = 10;

/// Messages quote the offending value; longer ones are cut here (in characters).
const MAX_MESSAGE_CHARS: usize = 240;

/// What an execution does with a value that breaks its contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ContractMode {
    /// Contracts are not checked.
    Off,
    /// Each violation is recorded in the execution's result; the execution runs on, as it would
    /// on AWS.
    #[default]
    Report,
    /// The first value that breaks its contract fails the execution with `States.Runtime`
    /// (terminal: no Retry or Catch applies); the violations are recorded as in `Report`.
    Strict,
}

/// Which contract a value broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ContractKind {
    /// The execution's input, against `execution.input.json`.
    ExecutionInput,
    /// What a Task sends to its Lambda function (the `Payload` of `lambda:invoke`), against the
    /// function's input schema.
    FunctionInput,
    /// What a Lambda function returned (the `Payload` of `lambda:invoke`'s response), against
    /// the function's output schema.
    FunctionOutput,
    /// The `MessageBody` a `sqs:sendMessage.waitForTaskToken` Task sends to the worker that
    /// completes its token, against the worker's input schema.
    WorkerMessage,
    /// The output the worker completed the task token with (the Task's result), against the
    /// worker's output schema.
    WorkerResult,
}

impl ContractKind {
    /// The kind as the run output spells it (`executionInput`, `functionInput`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ContractKind::ExecutionInput => "executionInput",
            ContractKind::FunctionInput => "functionInput",
            ContractKind::FunctionOutput => "functionOutput",
            ContractKind::WorkerMessage => "workerMessage",
            ContractKind::WorkerResult => "workerResult",
        }
    }
}

/// One place where a value broke its schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContractViolation {
    /// Which value broke its contract: the execution input, or what a Task sent or received.
    pub contract: ContractKind,
    /// The Task state that sent or received the value (`None` for the execution input).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The function (or task-token worker) whose schema it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    /// The schema file, as the workflow folder was named.
    pub schema_file: String,
    /// The JSON pointer of the schema keyword that failed (`/properties/status/enum`).
    pub schema_pointer: String,
    /// Where that keyword is in the schema file (1-based), when the pointer resolves in it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The keyword's column in the schema file (1-based), with `line`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// The JSON pointer of the offending part of the value (`""`: the whole value).
    pub instance_path: String,
    /// What is wrong, in the validator's words.
    pub message: String,
}

impl ContractViolation {
    /// The value that broke the contract, in words: `the output of function \`f\` (state \`S\`)`.
    pub fn subject(&self) -> String {
        let state = self.state.as_deref().unwrap_or("?");
        let function = self.function.as_deref().unwrap_or("?");
        match self.contract {
            ContractKind::ExecutionInput => "the execution input".to_owned(),
            ContractKind::FunctionInput => {
                format!("the input state `{state}` sends to function `{function}`")
            }
            ContractKind::FunctionOutput => {
                format!("the output of function `{function}` (state `{state}`)")
            }
            ContractKind::WorkerMessage => {
                format!("the message state `{state}` sends to worker `{function}`")
            }
            ContractKind::WorkerResult => format!(
                "the result worker `{function}` completed the task token of state `{state}` with"
            ),
        }
    }

    /// `file:line:col` of the failing keyword (`file` alone when it is not in the file).
    pub fn schema_location(&self) -> String {
        match (self.line, self.column) {
            (Some(line), Some(column)) => format!("{}:{line}:{column}", self.schema_file),
            _ => self.schema_file.clone(),
        }
    }

    /// The violation as a sentence, for an error's cause: `The output of function \`f\` (state
    /// \`S\`) breaks its schema schemas/f.output.json:12:9 at \`/status\`: … [/properties/status/enum]`.
    pub fn sentence(&self) -> String {
        let subject = self.subject();
        let mut chars = subject.chars();
        let subject = match chars.next() {
            Some(first) => first.to_uppercase().chain(chars).collect(),
            None => subject,
        };
        format!(
            "{subject} breaks its schema {} {}: {} [{}]",
            self.schema_location(),
            self.at(),
            self.message,
            self.pointer_text()
        )
    }

    fn pointer_text(&self) -> &str {
        if self.schema_pointer.is_empty() {
            "#"
        } else {
            &self.schema_pointer
        }
    }

    fn at(&self) -> String {
        if self.instance_path.is_empty() {
            "at its root".to_owned()
        } else {
            format!("at `{}`", self.instance_path)
        }
    }
}

/// `schemas/f.output.json:12:9: the output of function `f` (state `S`) breaks its schema at
/// `/status`: "shipped" is not one of ["ok"] [/properties/status/enum]`.
impl fmt::Display for ContractViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} breaks its schema {}: {} [{}]",
            self.schema_location(),
            self.subject(),
            self.at(),
            self.message,
            self.pointer_text()
        )
    }
}

/// Why a contract could not be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: the schema does not compile for validation: {message}")]
pub struct ContractError {
    /// The schema file that does not compile.
    pub file: String,
    /// What the validator refused.
    pub message: String,
}

/// One schema, compiled for validation, with its source for locating failed keywords.
pub struct Schema {
    document: SchemaDocument,
    validator: jsonschema::Validator,
}

impl fmt::Debug for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Schema")
            .field("file", &self.document.file.path())
            .finish_non_exhaustive()
    }
}

impl Schema {
    /// Compiles a schema the workflow model loaded (meta-valid, the files its `$ref`s reach
    /// embedded: nothing is fetched). Formats are not asserted, as `jsonschema` does by default.
    pub fn new(document: &SchemaDocument) -> Result<Self, ContractError> {
        let validator = jsonschema::options()
            .with_draft(document.draft.to_jsonschema())
            .build(&document.value)
            .map_err(|e| ContractError {
                file: document.file.path().display().to_string(),
                message: e.to_string(),
            })?;
        Ok(Schema {
            document: document.clone(),
            validator,
        })
    }

    /// The schema file.
    pub fn path(&self) -> &Path {
        self.document.file.path()
    }

    /// Whether `value` satisfies the schema.
    pub fn accepts(&self, value: &Value) -> bool {
        self.validator.is_valid(value)
    }

    /// The violations of this schema by `value` (at most [`MAX_VIOLATIONS_PER_VALUE`]); empty
    /// when it satisfies the schema.
    pub fn check(
        &self,
        value: &Value,
        contract: ContractKind,
        state: Option<&str>,
        function: Option<&str>,
    ) -> Vec<ContractViolation> {
        if self.validator.is_valid(value) {
            return Vec::new();
        }
        let mut seen = Vec::new();
        for error in self.validator.iter_errors(value) {
            if seen.len() == MAX_VIOLATIONS_PER_VALUE {
                break;
            }
            // A keyword of a file the schema `$ref`s is in that file's embedded resource: its
            // absolute location names it.
            let schema_pointer = error
                .absolute_keyword_location()
                .and_then(|uri| self.document.resolve_ref("", uri.as_str()).ok())
                .unwrap_or_else(|| error.schema_path().as_str().to_owned());
            // Reported in the file it was written in.
            let (schema_file, schema_pointer, line, column) =
                match self.document.json.pointer(&schema_pointer) {
                    Some(_) => {
                        let at = self.document.location(&schema_pointer);
                        let (line, column) = at.line_col();
                        (
                            at.file.path().display().to_string(),
                            at.pointer,
                            Some(line),
                            Some(column),
                        )
                    }
                    None => (
                        self.path().display().to_string(),
                        schema_pointer,
                        None,
                        None,
                    ),
                };
            let violation = ContractViolation {
                contract,
                state: state.map(str::to_owned),
                function: function.map(str::to_owned),
                schema_file,
                schema_pointer,
                line,
                column,
                instance_path: error.instance_path().as_str().to_owned(),
                message: shorten(error.to_string()),
            };
            if !seen.contains(&violation) {
                seen.push(violation);
            }
        }
        seen
    }
}

fn shorten(mut message: String) -> String {
    if let Some((cut, _)) = message.char_indices().nth(MAX_MESSAGE_CHARS) {
        message.truncate(cut);
        message.push('…');
    }
    message
}

/// A function's (or worker's) pair of schemas; either may be absent.
#[derive(Debug, Clone, Default)]
pub struct SchemaPair {
    pub input: Option<Arc<Schema>>,
    pub output: Option<Arc<Schema>>,
}

impl SchemaPair {
    fn is_empty(&self) -> bool {
        self.input.is_none() && self.output.is_none()
    }
}

/// The contracts of one workflow. Cheap to clone (schemas are shared).
#[derive(Debug, Clone, Default)]
pub struct Contracts {
    execution_input: Option<Arc<Schema>>,
    /// By function name, for the Lambda Tasks invoking it.
    functions: BTreeMap<String, SchemaPair>,
    /// By the name of the `.waitForTaskToken` SQS state whose token the worker completes:
    /// the worker's name and its schemas.
    workers: BTreeMap<String, (String, SchemaPair)>,
}

impl Contracts {
    /// No contracts.
    pub fn new() -> Self {
        Contracts::default()
    }

    /// Whether there is nothing to check.
    pub fn is_empty(&self) -> bool {
        self.execution_input.is_none()
            && self.functions.values().all(SchemaPair::is_empty)
            && self.workers.values().all(|(_, pair)| pair.is_empty())
    }

    /// Checks the execution input against `schema`.
    pub fn with_execution_input(mut self, schema: Schema) -> Self {
        self.execution_input = Some(Arc::new(schema));
        self
    }

    /// Checks what Lambda Tasks send to `function` and what it returns.
    pub fn with_function(
        mut self,
        function: &str,
        input: Option<Schema>,
        output: Option<Schema>,
    ) -> Self {
        self.functions.insert(
            function.to_owned(),
            SchemaPair {
                input: input.map(Arc::new),
                output: output.map(Arc::new),
            },
        );
        self
    }

    /// Checks the message the `.waitForTaskToken` SQS Task `state` sends to `worker`, and the
    /// output the worker completes its token with.
    pub fn with_worker(
        mut self,
        state: &str,
        worker: &str,
        input: Option<Schema>,
        output: Option<Schema>,
    ) -> Self {
        self.workers.insert(
            state.to_owned(),
            (
                worker.to_owned(),
                SchemaPair {
                    input: input.map(Arc::new),
                    output: output.map(Arc::new),
                },
            ),
        );
        self
    }

    /// The contracts a checked workflow folder declares: `execution.input.json`, every
    /// function's pair, and for each queue worker completing a task token, its pair on the
    /// states whose token it completes.
    pub fn from_workflow(workflow: &Workflow) -> Result<Self, ContractError> {
        let mut contracts = Contracts::new();
        if let Some(input) = &workflow.execution_input {
            contracts = contracts.with_execution_input(Schema::new(input)?);
        }
        for (name, function) in &workflow.functions {
            let pair = SchemaPair {
                input: Some(Arc::new(Schema::new(&function.input)?)),
                output: Some(Arc::new(Schema::new(&function.output)?)),
            };
            for state in &function.completes_tokens_of {
                let state = workflow.machine.state(*state).name.value.clone();
                contracts
                    .workers
                    .insert(state, (name.clone(), pair.clone()));
            }
            contracts.functions.insert(name.clone(), pair);
        }
        Ok(contracts)
    }

    /// Reads and checks the workflow folder `dir` as `orderflow-codegen check` does, and
    /// returns its contracts.
    ///
    /// # Errors
    ///
    /// The folder's errors (an unreadable folder, an invalid schema, …), each with its place.
    pub fn load_dir(dir: &Path) -> Result<Self, DefinitionErrors> {
        let sources = WorkflowSources::read_dir(dir).map_err(|e| {
            DefinitionErrors(vec![orderflow_model::diagnostic::Diagnostic::new(
                orderflow_model::diagnostic::Code::MissingFile,
                format!("cannot read {}: {e}", dir.display()),
            )])
        })?;
        let analysis = analyze(&sources);
        let errors: Vec<_> = analysis
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .cloned()
            .collect();
        match analysis.workflow {
            Some(workflow) if errors.is_empty() => {
                Contracts::from_workflow(&workflow).map_err(|e| {
                    DefinitionErrors(vec![orderflow_model::diagnostic::Diagnostic::new(
                        orderflow_model::diagnostic::Code::SchemaInvalid,
                        e.to_string(),
                    )])
                })
            }
            _ => Err(DefinitionErrors(errors)),
        }
    }

    pub(crate) fn execution_input(&self) -> Option<&Arc<Schema>> {
        self.execution_input.as_ref()
    }

    /// What the Task `state` with `resource` is checked against, if anything.
    pub(crate) fn for_task(&self, state: &str, resource: &Resource) -> Option<TaskContract> {
        let (function, pair, sent, received, worker) = match resource {
            Resource::Lambda {
                function,
                invocation,
            } => {
                let pair = self.functions.get(function)?;
                let (sent, received) = match invocation {
                    LambdaInvocation::Invoke => (Sent::Field("Payload"), Received::Payload),
                    // The result is what the callback sends, not the function's output.
                    LambdaInvocation::InvokeWaitForTaskToken => {
                        (Sent::Field("Payload"), Received::Nothing)
                    }
                    LambdaInvocation::Arn { .. } | LambdaInvocation::Placeholder(_) => {
                        (Sent::Whole, Received::Whole)
                    }
                };
                (function.clone(), pair, sent, received, false)
            }
            Resource::SqsSendMessage {
                wait_for_task_token: true,
            } => {
                let (worker, pair) = self.workers.get(state)?;
                (
                    worker.clone(),
                    pair,
                    Sent::MessageBody,
                    Received::Whole,
                    true,
                )
            }
            _ => return None,
        };
        let contract = TaskContract {
            function,
            input: pair.input.clone(),
            output: match received {
                Received::Nothing => None,
                _ => pair.output.clone(),
            },
            sent,
            received,
            worker,
        };
        (contract.input.is_some() || contract.output.is_some()).then_some(contract)
    }
}

/// How the function's event is taken from a Task's parameters.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Sent {
    /// The parameters are the event (a function ARN).
    Whole,
    /// `Payload` of `lambda:invoke` (`null` when absent, as the executor sends it).
    Field(&'static str),
    /// An SQS `MessageBody`: JSON text is parsed, as the worker reads it.
    MessageBody,
}

/// How the function's output is found in the Task's result.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Received {
    Whole,
    /// `Payload` of `lambda:invoke`'s response.
    Payload,
    Nothing,
}

/// The contracts of one Task state, resolved when the executor gets its contracts.
#[derive(Debug, Clone)]
pub(crate) struct TaskContract {
    function: String,
    input: Option<Arc<Schema>>,
    output: Option<Arc<Schema>>,
    sent: Sent,
    received: Received,
    worker: bool,
}

impl TaskContract {
    /// The violations of the input schema by the event the Task's `parameters` send.
    pub(crate) fn check_input(&self, state: &str, parameters: &Value) -> Vec<ContractViolation> {
        let Some(schema) = &self.input else {
            return Vec::new();
        };
        let kind = if self.worker {
            ContractKind::WorkerMessage
        } else {
            ContractKind::FunctionInput
        };
        let check = |value: &Value| schema.check(value, kind, Some(state), Some(&self.function));
        match self.sent {
            Sent::Whole => check(parameters),
            Sent::Field(name) => match parameters {
                Value::Object(fields) => check(fields.get(name).unwrap_or(&Value::Null)),
                other => check(other),
            },
            Sent::MessageBody => {
                let body = parameters.get("MessageBody").unwrap_or(&Value::Null);
                match body {
                    Value::String(text) => match serde_json::from_str::<Value>(text) {
                        Ok(parsed) => check(&parsed),
                        Err(_) => check(body),
                    },
                    other => check(other),
                }
            }
        }
    }

    /// The violations of the output schema by the function's output in the Task's `result`.
    pub(crate) fn check_output(&self, state: &str, result: &Value) -> Vec<ContractViolation> {
        let Some(schema) = &self.output else {
            return Vec::new();
        };
        let kind = if self.worker {
            ContractKind::WorkerResult
        } else {
            ContractKind::FunctionOutput
        };
        match self.received {
            Received::Nothing => Vec::new(),
            Received::Whole => schema.check(result, kind, Some(state), Some(&self.function)),
            Received::Payload => match result.get("Payload") {
                Some(payload) => schema.check(payload, kind, Some(state), Some(&self.function)),
                // A mock `Return` written as the function's output instead of the
                // `{"StatusCode", "Payload"}` response: say so rather than quote the schema.
                None => vec![ContractViolation {
                    contract: kind,
                    state: Some(state.to_owned()),
                    function: Some(self.function.clone()),
                    schema_file: schema.path().display().to_string(),
                    schema_pointer: String::new(),
                    line: None,
                    column: None,
                    instance_path: "/Payload".to_owned(),
                    message: "the lambda:invoke response has no `Payload` (the function's output); a lambda:invoke state's result is `{\"StatusCode\": 200, \"Payload\": …}`".to_owned(),
                }],
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use orderflow_model::source::SourceFile;

    fn schema(path: &str, schema: &Value) -> Schema {
        let file = SourceFile::new(
            path,
            serde_json::to_string_pretty(schema).unwrap_or_default(),
        );
        let mut out = Vec::new();
        let document = orderflow_model::schema::load_schema(&file, &mut out)
            .unwrap_or_else(|| panic!("the schema loads: {out:?}"));
        Schema::new(&document).unwrap_or_else(|e| panic!("{e}"))
    }

    /// A schema that `$ref`s other files validates through them, offline, and a violation of a
    /// keyword written in the other file is reported there (the model's fixture).
    #[test]
    fn a_violation_inside_a_referenced_file_is_reported_in_that_file() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../orderflow-model/tests/fixtures/shared-refs");
        let contracts = Contracts::load_dir(&dir).unwrap_or_else(|e| panic!("{e:?}"));
        let Some(output) = contracts
            .functions
            .get("priceBook")
            .and_then(|p| p.output.clone())
        else {
            panic!("priceBook has an output schema");
        };
        assert!(output.accepts(&json!({"total": {"amount": 3.5, "currency": "EUR"}})));
        let broken = output.check(
            &json!({"total": {"amount": 3.5, "currency": "GBP"}}),
            ContractKind::FunctionOutput,
            Some("PriceBook"),
            Some("priceBook"),
        );
        assert_eq!(broken.len(), 1, "{broken:?}");
        assert!(
            broken[0].schema_file.ends_with("shared-types/money.json"),
            "{broken:?}"
        );
        assert_eq!(broken[0].instance_path, "/total/currency");
        assert_eq!(
            broken[0].schema_pointer,
            "/$defs/Money/properties/currency/enum"
        );
        assert_eq!(broken[0].line, Some(9));
    }

    fn worker_contracts() -> Contracts {
        let message = json!({"type": "object", "properties": {"Token": {"type": "string"}}, "required": ["Token"]});
        let result = json!({"type": "object", "required": ["courier"]});
        Contracts::new().with_worker(
            "PrepareOrder",
            "sqsWorker",
            Some(schema("schemas/sqsWorker.input.json", &message)),
            Some(schema("schemas/sqsWorker.output.json", &result)),
        )
    }

    #[test]
    fn a_worker_message_is_checked_as_the_worker_reads_it() {
        let sqs = Resource::SqsSendMessage {
            wait_for_task_token: true,
        };
        let contracts = worker_contracts();
        let Some(task) = contracts.for_task("PrepareOrder", &sqs) else {
            panic!("PrepareOrder has a worker contract");
        };
        // A JSON body, and the same body sent as JSON text: SQS carries text, the worker parses.
        assert!(
            task.check_input("PrepareOrder", &json!({"MessageBody": {"Token": "t"}}))
                .is_empty()
        );
        assert!(
            task.check_input(
                "PrepareOrder",
                &json!({"MessageBody": "{\"Token\": \"t\"}"})
            )
            .is_empty()
        );
        let broken = task.check_input("PrepareOrder", &json!({"MessageBody": "{\"Token\": 1}"}));
        assert_eq!(broken.len(), 1);
        assert_eq!(broken[0].contract, ContractKind::WorkerMessage);
        assert_eq!(broken[0].function.as_deref(), Some("sqsWorker"));
        assert_eq!(broken[0].instance_path, "/Token");
        assert_eq!(broken[0].schema_pointer, "/properties/Token/type");
        let (line, column) = (broken[0].line, broken[0].column);
        assert!(line.is_some() && column.is_some(), "{:?}", broken[0]);
        let result = task.check_output("PrepareOrder", &json!({"courierId": 5}));
        assert_eq!(result.len(), 1);
        assert_eq!(result[0].contract, ContractKind::WorkerResult);
        assert!(
            result[0]
                .to_string()
                .starts_with("schemas/sqsWorker.output.json:"),
            "{}",
            result[0]
        );
        // Other states, other resources and plain sends have no contract.
        assert!(contracts.for_task("Other", &sqs).is_none());
        let plain = Resource::SqsSendMessage {
            wait_for_task_token: false,
        };
        assert!(contracts.for_task("PrepareOrder", &plain).is_none());
        assert!(Contracts::new().is_empty() && !contracts.is_empty());
    }
}
