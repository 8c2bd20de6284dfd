//! Runs a whole workflow in process: the Step Functions executor of `orderflow-exec` with
//! the workflow's Task states bound to your handlers (feature `executor`).
//!
//! The generated glue (`generated::workflow::Workflow`) wraps a [`LocalWorkflow`] with one typed
//! method per function; this module is what it binds to:
//!
//! - a Lambda Task calls its [`Function`] through [`invoke_json`], as the Lambda runtime would
//!   (`arn:aws:states:::lambda:invoke` gets the `Payload` and returns the
//!   `{"Payload", "StatusCode", …}` wrapper); a failure becomes the ASL error its
//!   [`StepError`](crate::StepError) names, with the cause Step Functions records for a Lambda
//!   error (`{"errorType", "errorMessage"}` as JSON text);
//! - an `sqs:sendMessage.waitForTaskToken` Task delivers its `MessageBody` as an SQS event to its
//!   worker through [`handle_sqs_batch`], and the token the worker completes (success or
//!   failure, through [`InProcessCallbacks`]) is the Task's result;
//! - `sns:publish` and plain `sqs:sendMessage` Tasks go to in-memory topics and queues that record
//!   what was sent ([`LocalWorkflow::published`], [`LocalWorkflow::sent`]);
//! - with [`LocalWorkflow::set_lambda_endpoint`], a Lambda Task bound to no handler is sent to
//!   a Lambda Invoke API (e.g. `cargo lambda watch`), see [`LambdaEndpoint`];
//! - any other Task, or one left unbound, fails the execution with `States.Runtime` naming the
//!   state.
//!
//! With [`LocalWorkflow::load_contracts`] (or [`set_contracts`](LocalWorkflow::set_contracts)),
//! the execution input, what each Task sends to its handler or worker and what comes back are
//! checked against the workflow folder's schemas: each violation is listed in
//! [`Execution::contract_violations`], and with [`ContractMode::Strict`] in
//! [`ExecutionOptions::contracts`] it fails the execution with `States.Runtime`.
//!
//! Time is virtual unless [`ExecutionOptions::clock`] says otherwise: retries and waits do not
//! sleep, and [`Execution::virtual_elapsed`] says how long they would have taken.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use serde_json::{Value, json};

// The names the generated glue uses, and those a caller of it meets in an execution's options and
// outcome; the executor's own API (Executor, TaskInvoker…) stays in orderflow-exec.
pub use orderflow_exec::{
    AwsHistoryEvent, ClockMode, ContractKind, ContractMode, ContractViolation, Contracts, Coverage,
    CoverageFile, EventType, Execution, ExecutionIdentity, ExecutionOptions, ExecutionStatus,
    HistoryDetail, HistoryEvent, HistoryParseError, LambdaEndpoint, WorkflowType,
    parse_aws_history,
};
pub use orderflow_model::DefinitionErrors;
pub use orderflow_model::asl::FunctionCatalog;

use orderflow_exec::{
    Executor, TaskError, TaskInvoker, TaskRequest, lambda_event, lambda_invoke_response,
};
use orderflow_model::asl::model::{LambdaInvocation, Resource};

use crate::function::{Function, StepFailure, invoke_json};

use crate::task_token::{InProcessCallbacks, TaskTokenInput, handle_sqs_batch};

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A function bound to Task states: JSON in, JSON out, as on Lambda.
type LambdaBinding =
    Arc<dyn Fn(Value) -> BoxFuture<'static, Result<Value, StepFailure>> + Send + Sync>;

/// A task-token worker: one SQS event in, the outcomes its callbacks recorded out.
type WorkerBinding = Arc<dyn Fn(SqsEvent) -> BoxFuture<'static, WorkerRun> + Send + Sync>;

struct WorkerRun {
    callbacks: InProcessCallbacks,
    failed_messages: usize,
}

#[derive(Clone)]
enum Binding {
    Lambda(LambdaBinding),
    Worker(WorkerBinding),
}

/// A message an `sns:publish` Task published.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishedMessage {
    /// The Task state that published it.
    pub state: String,
    /// `TopicArn` as the state's parameters resolved it.
    pub topic_arn: Option<String>,
    /// `Message`.
    pub message: Value,
    /// `Subject`, when given.
    pub subject: Option<String>,
}

/// A message an `sqs:sendMessage` Task sent (with or without a task token).
#[derive(Debug, Clone, PartialEq)]
pub struct SentMessage {
    /// The Task state that sent it.
    pub state: String,
    /// `QueueUrl` as the state's parameters resolved it.
    pub queue_url: Option<String>,
    /// `MessageBody`.
    pub body: Value,
}

/// A workflow ready to run in process: its executor and the bindings of its Task states.
pub struct LocalWorkflow {
    executor: Executor,
    /// The definition's file, as the coverage records name it.
    definition_file: String,
    /// `ORDERFLOW_COVERAGE`: the folder each process writes its coverage file into.
    coverage_dir: Option<std::path::PathBuf>,
    bindings: HashMap<String, Binding>,
    published: Mutex<Vec<PublishedMessage>>,
    sent: Mutex<Vec<SentMessage>>,
    message_ids: AtomicU64,
    options: ExecutionOptions,
    lambda_endpoint: Option<LambdaEndpoint>,
}

impl std::fmt::Debug for LocalWorkflow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut bound: Vec<&String> = self.bindings.keys().collect();
        bound.sort();
        f.debug_struct("LocalWorkflow")
            .field("bound_states", &bound)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl LocalWorkflow {
    /// Loads the definition `asl` (named `file` in messages) with the same parser and
    /// validation as `orderflow-codegen check`; `catalog` names the workflow's functions.
    ///
    /// # Errors
    ///
    /// The definition's errors, each with its file, line and column.
    pub fn new(file: &str, asl: &str, catalog: &FunctionCatalog) -> Result<Self, DefinitionErrors> {
        let machine = orderflow_model::load_state_machine(file, asl, catalog)?;
        let executor = Executor::new(&machine).map_err(|e| {
            DefinitionErrors(vec![orderflow_model::diagnostic::Diagnostic::new(
                orderflow_model::diagnostic::Code::InvalidValue,
                e.to_string(),
            )])
        })?;
        let coverage_dir = std::env::var_os(COVERAGE_ENV)
            .filter(|d| !d.is_empty())
            .map(std::path::PathBuf::from);
        let options = ExecutionOptions {
            identity: ExecutionIdentity {
                state_machine_name: machine_name(file),
                ..ExecutionIdentity::default()
            },
            coverage: coverage_dir.is_some(),
            ..ExecutionOptions::default()
        };
        Ok(Self {
            executor,
            definition_file: file.to_owned(),
            coverage_dir,
            bindings: HashMap::new(),
            published: Mutex::new(Vec::new()),
            sent: Mutex::new(Vec::new()),
            message_ids: AtomicU64::new(0),
            options,
            lambda_endpoint: None,
        })
    }

    /// Binds the Lambda Task states `states` to `function`.
    pub fn bind_function<F: Function>(&mut self, states: &[&str], function: F) {
        let function = Arc::new(function);
        let binding: LambdaBinding = Arc::new(move |input| {
            let function = Arc::clone(&function);
            Box::pin(async move { invoke_json(&*function, input).await })
        });
        for state in states {
            self.bindings
                .insert((*state).to_owned(), Binding::Lambda(Arc::clone(&binding)));
        }
    }

    /// Binds the `.waitForTaskToken` Task states `states` to the worker that consumes their
    /// queue: each message is delivered to it as an SQS event, and the token it completes is
    /// the state's result.
    pub fn bind_task_token_worker<W>(&mut self, states: &[&str], worker: W)
    where
        W: Function,
        W::Input: TaskTokenInput,
    {
        let worker = Arc::new(worker);
        let binding: WorkerBinding = Arc::new(move |event| {
            let worker = Arc::clone(&worker);
            Box::pin(async move {
                let callbacks = InProcessCallbacks::new();
                let response = handle_sqs_batch(&*worker, &callbacks, event).await;
                WorkerRun {
                    callbacks,
                    failed_messages: response.batch_item_failures.len(),
                }
            })
        });
        for state in states {
            self.bindings
                .insert((*state).to_owned(), Binding::Worker(Arc::clone(&binding)));
        }
    }

    /// Sends every Lambda Task that no handler is bound to to `endpoint`, a Lambda Invoke API
    /// such as `cargo lambda watch` serving the workflow's binaries. Each call runs on a thread
    /// of its own.
    pub fn set_lambda_endpoint(&mut self, endpoint: LambdaEndpoint) {
        self.lambda_endpoint = Some(endpoint);
    }

    /// Checks executions against `contracts` (see [`Contracts`]); [`ExecutionOptions::contracts`]
    /// says whether a violation is only reported (the default) or fails the execution.
    pub fn set_contracts(&mut self, contracts: &Contracts) {
        self.executor.set_contracts(contracts);
    }

    /// Checks executions against the schemas of the workflow folder `dir`
    /// (`definitions/<workflow>`): `execution.input.json` and each function's pair.
    ///
    /// # Errors
    ///
    /// The folder's errors, as `orderflow-codegen check` reports them.
    pub fn load_contracts(
        &mut self,
        dir: impl AsRef<std::path::Path>,
    ) -> Result<(), DefinitionErrors> {
        let contracts = Contracts::load_dir(dir.as_ref())?;
        self.set_contracts(&contracts);
        Ok(())
    }

    /// The options every [`execute`](Self::execute) uses (virtual clock, history events).
    pub fn options(&self) -> &ExecutionOptions {
        &self.options
    }

    /// The options every [`execute`](Self::execute) uses, to change.
    pub fn options_mut(&mut self) -> &mut ExecutionOptions {
        &mut self.options
    }

    /// Runs one execution with the default options.
    pub async fn execute(&self, input: Value) -> Execution {
        self.execute_with(input, &self.options).await
    }

    /// Runs one execution with `options`.
    pub async fn execute_with(&self, input: Value, options: &ExecutionOptions) -> Execution {
        let execution = self.executor.execute(input, self, options).await;
        if let (Some(dir), Some(coverage)) = (&self.coverage_dir, &execution.coverage) {
            record_coverage(dir, &self.definition_file, coverage);
        }
        execution
    }

    /// Every message `sns:publish` Tasks published so far, oldest first.
    pub fn published(&self) -> Vec<PublishedMessage> {
        self.published
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Removes and returns the messages published so far (a long-lived workflow keeps every
    /// message until taken).
    pub fn take_published(&self) -> Vec<PublishedMessage> {
        std::mem::take(
            &mut *self
                .published
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }

    /// Removes and returns the messages sent so far.
    pub fn take_sent(&self) -> Vec<SentMessage> {
        std::mem::take(&mut *self.sent.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Every message `sqs:sendMessage` Tasks sent so far, oldest first.
    pub fn sent(&self) -> Vec<SentMessage> {
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// A message id in UUID form, unique within this workflow (deterministic, unlike AWS's).
    fn message_id(&self) -> String {
        let n = self.message_ids.fetch_add(1, Ordering::Relaxed) + 1;
        // Written by hand: `format!` showed up in the executor benchmark's profile.
        let mut id = String::with_capacity(36);
        id.push_str("00000000-0000-4000-8000-");
        for shift in (0..12).rev() {
            let digit = (n >> (4 * shift)) & 0xf;
            id.push(char::from_digit(u32::try_from(digit).unwrap_or(0), 16).unwrap_or('0'));
        }
        id
    }

    async fn invoke_lambda(
        &self,
        binding: &LambdaBinding,
        invocation: &LambdaInvocation,
        input: Value,
    ) -> Result<Value, TaskError> {
        let (event, wrapped) = lambda_event(invocation, input);
        match binding(event).await {
            Ok(output) if wrapped => Ok(lambda_invoke_response(output, Some(&self.message_id()))),
            Ok(output) => Ok(output),
            // Step Functions records a Lambda error's cause as the function's error payload.
            Err(failure) => Err(TaskError::new(
                failure.error.clone(),
                json!({"errorType": failure.error, "errorMessage": failure.cause}).to_string(),
            )),
        }
    }

    async fn send_to_worker(
        &self,
        worker: &WorkerBinding,
        request: &TaskRequest<'_>,
        body: &Value,
    ) -> Result<Value, TaskError> {
        let Some(token) = request.task_token.as_deref() else {
            return Err(TaskError::new(
                "States.Runtime",
                format!(
                    "the Task state '{}' is bound to a task-token worker but has no task token",
                    request.state_name
                ),
            ));
        };
        let run = worker(self.sqs_event(body)).await;
        let outcome = run
            .callbacks
            .take()
            .into_iter()
            .find(|outcome| outcome.token() == token);
        match outcome {
            Some(outcome) => outcome
                .into_result()
                .map_err(|failure| TaskError::new(failure.error, failure.cause)),
            // On AWS the state waits for the token until its HeartbeatSeconds pass without a
            // heartbeat, or its TimeoutSeconds, and fails with States.Timeout either way (AWS's
            // recorded executions; not the States.HeartbeatTimeout its documentation names).
            // The executor advances its virtual clock by whichever comes first.
            None => Err(TaskError::new(
                "States.Timeout",
                format!(
                    "the worker of Task state '{}' did not complete its task token{}",
                    request.state_name,
                    if run.failed_messages > 0 {
                        " (it reported the message as a batch item failure)"
                    } else {
                        ""
                    }
                ),
            )),
        }
    }
}

impl LocalWorkflow {
    /// The event SQS delivers for one message holding `body`. Built outside the async
    /// functions so that their futures do not hold the (large) event across an await.
    fn sqs_event(&self, body: &Value) -> SqsEvent {
        // The event types are non-exhaustive: fill in what SQS always sets.
        let mut message = SqsMessage::default();
        message.message_id = Some(self.message_id());
        message.body = Some(message_body_text(body));
        message.event_source = Some("aws:sqs".to_owned());
        let mut event = SqsEvent::default();
        event.records.push(message);
        event
    }
}

impl TaskInvoker for LocalWorkflow {
    fn invoke<'a>(&'a self, request: TaskRequest<'a>) -> BoxFuture<'a, Result<Value, TaskError>> {
        Box::pin(async move {
            let mut request = request;
            let binding = self.bindings.get(request.state_name);
            match (request.resource, binding) {
                (Resource::Lambda { invocation, .. }, Some(Binding::Lambda(function))) => {
                    let function = Arc::clone(function);
                    self.invoke_lambda(&function, invocation, request.input)
                        .await
                }
                (Resource::SqsSendMessage { .. }, Some(Binding::Worker(worker))) => {
                    let worker = Arc::clone(worker);
                    let body = take_field(&mut request.input, "MessageBody");
                    let result = self.send_to_worker(&worker, &request, &body).await;
                    self.record_sent(&request, body);
                    result
                }
                (
                    Resource::SqsSendMessage {
                        wait_for_task_token: false,
                    },
                    None,
                ) => {
                    let body = take_field(&mut request.input, "MessageBody");
                    self.record_sent(&request, body);
                    Ok(self.service_response("MessageId"))
                }
                (
                    Resource::SnsPublish {
                        wait_for_task_token: false,
                    },
                    None,
                ) => {
                    let parameters = &mut request.input;
                    let message = PublishedMessage {
                        state: request.state_name.to_owned(),
                        topic_arn: string_field(parameters, "TopicArn"),
                        subject: string_field(parameters, "Subject"),
                        message: take_field(parameters, "Message"),
                    };
                    self.published
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(message);
                    Ok(self.service_response("MessageId"))
                }
                (Resource::Lambda { .. }, None) if self.lambda_endpoint.is_some() => {
                    let unbound = TaskError::unbound(&request);
                    match self
                        .lambda_endpoint
                        .as_ref()
                        .and_then(|endpoint| endpoint.call_on_thread(request))
                    {
                        Some(call) => call.await,
                        None => Err(unbound),
                    }
                }
                _ => Err(TaskError::unbound(&request)),
            }
        })
    }
}

impl LocalWorkflow {
    fn record_sent(&self, request: &TaskRequest<'_>, body: Value) {
        let message = SentMessage {
            state: request.state_name.to_owned(),
            queue_url: string_field(&request.input, "QueueUrl"),
            body,
        };
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(message);
    }

    /// What an AWS SDK integration returns: the id plus the SDK's metadata.
    fn service_response(&self, id_field: &str) -> Value {
        json!({
            id_field: self.message_id(),
            "SdkHttpMetadata": {"HttpStatusCode": 200},
            "SdkResponseMetadata": {"RequestId": self.message_id()},
        })
    }
}

/// A [`FunctionCatalog`] from the names the generated glue lists: the workflow's functions, the
/// manifest's `${Placeholder}` → function mapping, and the placeholders of queues and topics.
pub fn function_catalog(
    functions: &[&str],
    placeholders: &[(&str, &str)],
    resource_placeholders: &[&str],
) -> FunctionCatalog {
    FunctionCatalog {
        functions: functions.iter().map(|f| (*f).to_owned()).collect(),
        placeholders: placeholders
            .iter()
            .map(|(placeholder, function)| ((*placeholder).to_owned(), (*function).to_owned()))
            .collect(),
        resource_placeholders: resource_placeholders
            .iter()
            .map(|p| (*p).to_owned())
            .collect(),
        functions_unknown: false,
    }
}

/// Moves a parameter out (`null` when absent): the parameters are the binding's to consume.
fn take_field(parameters: &mut Value, name: &str) -> Value {
    parameters
        .as_object_mut()
        .and_then(|p| p.remove(name))
        .unwrap_or(Value::Null)
}

fn string_field(parameters: &Value, name: &str) -> Option<String> {
    parameters
        .get(name)
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// SQS carries text: a JSON `MessageBody` arrives serialized, a string one as is.
fn message_body_text(body: &Value) -> String {
    match body {
        Value::String(text) => text.clone(),
        // serde_json's writer, not `Display`: the fmt adapter costs a third more here.
        other => serde_json::to_string(other).unwrap_or_else(|_| other.to_string()),
    }
}

/// `definitions/store-checkout/workflow.asl.json` → `store-checkout`: the folder names the
/// workflow, as the deployment templates name its state machine.
fn machine_name(file: &str) -> String {
    let path = std::path::Path::new(file);
    path.parent()
        .and_then(std::path::Path::file_name)
        .or_else(|| path.file_stem())
        .and_then(|name| name.to_str())
        .filter(|name| !name.is_empty())
        .unwrap_or("StateMachine")
        .to_owned()
}

/// The environment variable naming the folder where every process running workflows in
/// process (tests, typically) writes what its executions reached: one file per process,
/// `orderflow-coverage-<pid>.json`, which `orderflow-codegen coverage DIR` merges.
pub const COVERAGE_ENV: &str = "ORDERFLOW_COVERAGE";

/// Adds one execution's coverage to this process's file in `dir`. Coverage is a by-product of
/// a test run, so a folder that cannot be written is reported on stderr, never a failure.
fn record_coverage(dir: &std::path::Path, definition: &str, coverage: &Coverage) {
    // One writer per process at a time: the file is read, merged and replaced.
    static WRITING: Mutex<()> = Mutex::new(());
    let _guard = WRITING.lock().unwrap_or_else(PoisonError::into_inner);
    let mut record = CoverageFile::new();
    record.add(definition, coverage);
    let file = dir.join(format!("orderflow-coverage-{}.json", std::process::id()));
    let written = std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))
        .and_then(|()| record.add_to(&file));
    if let Err(message) = written {
        eprintln!("{COVERAGE_ENV}: {message}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct CourierRequest {
        #[serde(rename = "Token")]
        token: String,
    }

    impl TaskTokenInput for CourierRequest {
        fn task_token(&self) -> &str {
            &self.token
        }
    }

    #[derive(Debug, thiserror::Error)]
    #[error("never raised")]
    struct Never;

    impl crate::StepError for Never {
        fn error_type(&self) -> &str {
            "Never"
        }
    }

    struct Courier;

    impl Function for Courier {
        type Input = CourierRequest;
        type Output = Value;
        type Error = Never;

        async fn call(&self, _: CourierRequest) -> Result<Value, Never> {
            Ok(json!({"courier": "c-1"}))
        }
    }

    fn courier_workflow(message_body: Value) -> LocalWorkflow {
        let asl = json!({"StartAt": "Ship", "States": {
            "Ship": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": "https://sqs.example/orders", "MessageBody": message_body},
                "HeartbeatSeconds": 30,
                "TimeoutSeconds": 300,
                "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.late", "Next": "Late"}],
                "End": true
            },
            "Late": {"Type": "Pass", "End": true}
        }});
        let mut workflow = LocalWorkflow::new(
            "courier.asl.json",
            &asl.to_string(),
            &FunctionCatalog::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        workflow.bind_task_token_worker(&["Ship"], Courier);
        // The definition is no file: nothing for ORDERFLOW_COVERAGE (set in CI) to report on.
        workflow.options_mut().coverage = false;
        workflow
    }

    /// A worker that never completes the token (here: the message lacks it, so the worker
    /// cannot read it and SQS would redeliver it) leaves the state waiting until HeartbeatSeconds
    /// pass without a heartbeat: 30 s later on the virtual clock, the state fails with
    /// States.Timeout, recorded as TaskTimedOut, as AWS recorded it (LocalStack's AWS-validated
    /// `tests/aws/services/stepfunctions/v2/timeouts/test_heartbeats.snapshot.json`), and the
    /// Catch handles it.
    #[tokio::test]
    async fn a_token_never_completed_times_out_at_its_heartbeat() {
        let workflow = courier_workflow(json!({"Order": "o-1"}));
        let execution = workflow.execute(json!({})).await;
        assert_eq!(execution.status, orderflow_exec::ExecutionStatus::Succeeded);
        assert_eq!(
            execution.output,
            Some(
                json!({"late": {"Error": "States.Timeout", "Cause": "the worker of Task state 'Ship' did not complete its task token (it reported the message as a batch item failure)"}})
            )
        );
        assert_eq!(
            execution.virtual_elapsed,
            std::time::Duration::from_secs(30)
        );
        let types: Vec<&str> = execution
            .history
            .iter()
            .map(|e| e.event_type.name())
            .collect();
        assert!(types.contains(&"TaskTimedOut"), "{types:?}");

        // Completed, it is the state's result.
        let workflow = courier_workflow(json!({"Token.$": "$$.Task.Token"}));
        let execution = workflow.execute(json!({})).await;
        assert_eq!(execution.output, Some(json!({"courier": "c-1"})));
        assert_eq!(execution.virtual_elapsed, std::time::Duration::ZERO);
    }

    /// SendTaskHeartbeat in process: recorded per token, and part of the callbacks trait
    /// (Step Functions' SfnCallbacks sends it).
    #[tokio::test]
    async fn in_process_callbacks_record_heartbeats() {
        use crate::TaskTokenCallbacks as _;
        let callbacks = InProcessCallbacks::new();
        callbacks
            .send_task_heartbeat("t-1")
            .await
            .unwrap_or_default();
        assert_eq!(callbacks.heartbeats(), ["t-1"]);
        assert!(
            callbacks.outcomes().is_empty(),
            "a heartbeat completes nothing"
        );
    }

    /// Each process adds its executions to one file of the folder, which merges with others.
    #[test]
    fn coverage_records_add_up_in_the_process_file() {
        let dir =
            std::env::temp_dir().join(format!("orderflow-coverage-test-{}", std::process::id()));
        let coverage = Coverage {
            executions: 1,
            states: [("A".to_owned(), 2)].into(),
            ..Coverage::default()
        };
        record_coverage(&dir, "w.asl.json", &coverage);
        record_coverage(&dir, "w.asl.json", &coverage);
        let file = dir.join(format!("orderflow-coverage-{}.json", std::process::id()));
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let _ = std::fs::remove_dir_all(&dir);
        let read = CoverageFile::parse(&text).unwrap_or_default();
        assert_eq!(read.workflows["w.asl.json"].states["A"], 4);
        assert_eq!(read.workflows["w.asl.json"].executions, 2);
    }
}
