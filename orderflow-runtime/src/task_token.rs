//! Task-token workers: functions run by an SQS queue that complete the task token of the state
//! that sent the message (`arn:aws:states:::sqs:sendMessage.waitForTaskToken`).

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

use crate::function::{Function, StepFailure, serialize_output};

/// The typed input of a task-token worker carries the token it must complete (the state's
/// `MessageBody` puts `$$.Task.Token` in it).
pub trait TaskTokenInput {
    /// The task token to pass to SendTaskSuccess / SendTaskFailure.
    fn task_token(&self) -> &str;
}

/// Completes task tokens: SendTaskSuccess / SendTaskFailure.
///
/// A trait so the same worker code runs against Step Functions (`SfnCallbacks`, feature `aws`)
/// and in process ([`InProcessCallbacks`]).
pub trait TaskTokenCallbacks: Send + Sync + 'static {
    /// Completes `token` successfully; `output` becomes the waiting state's result.
    fn send_task_success(
        &self,
        token: &str,
        output: Value,
    ) -> impl Future<Output = Result<(), CallbackError>> + Send;

    /// Fails `token` with an ASL error name and cause, which the waiting state's Retry/Catch see.
    fn send_task_failure(
        &self,
        token: &str,
        error: &str,
        cause: &str,
    ) -> impl Future<Output = Result<(), CallbackError>> + Send;

    /// SendTaskHeartbeat: `token`'s task is still making progress, which resets the waiting
    /// state's `HeartbeatSeconds` clock (not its `TimeoutSeconds`). Callbacks that have nowhere
    /// to send it accept and ignore it.
    fn send_task_heartbeat(
        &self,
        token: &str,
    ) -> impl Future<Output = Result<(), CallbackError>> + Send {
        let _ = token;
        std::future::ready(Ok(()))
    }
}

/// Shared callbacks (e.g. one [`InProcessCallbacks`] read by the local executor while workers
/// complete tokens) complete tokens like the ones they share.
impl<C: TaskTokenCallbacks> TaskTokenCallbacks for Arc<C> {
    fn send_task_success(
        &self,
        token: &str,
        output: Value,
    ) -> impl Future<Output = Result<(), CallbackError>> + Send {
        C::send_task_success(self, token, output)
    }

    fn send_task_failure(
        &self,
        token: &str,
        error: &str,
        cause: &str,
    ) -> impl Future<Output = Result<(), CallbackError>> + Send {
        C::send_task_failure(self, token, error, cause)
    }

    fn send_task_heartbeat(
        &self,
        token: &str,
    ) -> impl Future<Output = Result<(), CallbackError>> + Send {
        C::send_task_heartbeat(self, token)
    }
}

/// A task token could not be completed (the API call failed, the token expired, …).
///
/// Only a message: SDK errors are flattened with their whole source chain, so the type does not
/// depend on the AWS SDK when the `aws` feature is off.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CallbackError {
    /// What went wrong, including the causes.
    pub message: String,
}

impl CallbackError {
    /// A callback error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// What a task-token worker did with a token, as recorded by [`InProcessCallbacks`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskOutcome {
    /// SendTaskSuccess.
    Success {
        /// The completed token.
        token: String,
        /// The output sent.
        output: Value,
    },
    /// SendTaskFailure.
    Failure {
        /// The failed token.
        token: String,
        /// The ASL error name.
        error: String,
        /// The cause.
        cause: String,
    },
}

impl TaskOutcome {
    /// The token this outcome completes.
    pub fn token(&self) -> &str {
        match self {
            Self::Success { token, .. } | Self::Failure { token, .. } => token,
        }
    }

    /// The outcome as the waiting state sees it: its result, or the failure its Catch matches.
    pub fn into_result(self) -> Result<Value, StepFailure> {
        match self {
            Self::Success { output, .. } => Ok(output),
            Self::Failure { error, cause, .. } => Err(StepFailure { error, cause }),
        }
    }
}

/// In-process callbacks for local runs and tests: records every outcome, in order, and never
/// fails.
#[derive(Debug, Default)]
pub struct InProcessCallbacks {
    outcomes: Mutex<Vec<TaskOutcome>>,
    heartbeats: Mutex<Vec<String>>,
}

impl InProcessCallbacks {
    /// New callbacks with nothing recorded.
    pub fn new() -> Self {
        Self::default()
    }

    /// The outcomes recorded so far, oldest first.
    pub fn outcomes(&self) -> Vec<TaskOutcome> {
        self.lock().clone()
    }

    /// Removes and returns the outcomes recorded so far, oldest first.
    pub fn take(&self) -> Vec<TaskOutcome> {
        std::mem::take(&mut *self.lock())
    }

    /// The tokens of the heartbeats sent so far, oldest first.
    pub fn heartbeats(&self) -> Vec<String> {
        self.heartbeats
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn record(&self, outcome: TaskOutcome) {
        self.lock().push(outcome);
    }

    /// A panic while the lock was held cannot leave the Vec half-updated (push and take are
    /// atomic with respect to it), so a poisoned lock is still usable.
    fn lock(&self) -> MutexGuard<'_, Vec<TaskOutcome>> {
        self.outcomes.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl TaskTokenCallbacks for InProcessCallbacks {
    async fn send_task_success(&self, token: &str, output: Value) -> Result<(), CallbackError> {
        self.record(TaskOutcome::Success {
            token: token.to_owned(),
            output,
        });
        Ok(())
    }

    async fn send_task_failure(
        &self,
        token: &str,
        error: &str,
        cause: &str,
    ) -> Result<(), CallbackError> {
        self.record(TaskOutcome::Failure {
            token: token.to_owned(),
            error: error.to_owned(),
            cause: cause.to_owned(),
        });
        Ok(())
    }

    async fn send_task_heartbeat(&self, token: &str) -> Result<(), CallbackError> {
        self.heartbeats
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(token.to_owned());
        Ok(())
    }
}

/// Why a record is reported as a batch item failure, so SQS delivers it again (and eventually
/// moves it to the dead-letter queue).
#[derive(Debug, thiserror::Error)]
enum RecordFailure {
    #[error("the message has no body")]
    NoBody,
    #[error("the message body does not fit the worker's input: {0}")]
    InvalidBody(#[source] serde_json::Error),
    #[error("the task token could not be completed: {0}")]
    Callback(#[source] CallbackError),
}

/// Handles one SQS batch for a task-token worker.
///
/// For each record: parse the body into `W::Input`, call the worker, then complete the token —
/// `send_task_success(token, output as JSON)` on success, `send_task_failure(token,
/// e.error_type(), e.to_string())` on a [`StepError`](crate::StepError) (an output that does not serialize fails the
/// token with [`INVALID_OUTPUT`](crate::INVALID_OUTPUT), so the execution does not wait for its
/// timeout). A worker error is not a batch failure: the token carries it to Step Functions,
/// whose Retry/Catch decide.
///
/// A body that does not parse, or a callback that fails, is logged and returned as a batch item
/// failure (`item_identifier` = the record's message id) so SQS redelivers just that record. That
/// needs `FunctionResponseTypes: [ReportBatchItemFailures]` on the event source mapping;
/// without it Lambda ignores the response and deletes the whole batch. Records are handled in
/// order, one at a time.
pub async fn handle_sqs_batch<W, C>(worker: &W, callbacks: &C, event: SqsEvent) -> SqsBatchResponse
where
    W: Function,
    W::Input: TaskTokenInput,
    C: TaskTokenCallbacks,
{
    handle_sqs_batch_with_heartbeat(worker, callbacks, event, None).await
}

/// [`handle_sqs_batch`], sending a heartbeat (SendTaskHeartbeat) for the record's token when it
/// picks the record up and then every `heartbeat` while the worker works on it, so that a state with `HeartbeatSeconds` does not
/// time out a worker that is busy rather than gone. A heartbeat that fails is logged; the worker
/// goes on (the token's outcome reports whatever went wrong).
pub async fn handle_sqs_batch_with_heartbeat<W, C>(
    worker: &W,
    callbacks: &C,
    event: SqsEvent,
    heartbeat: Option<Duration>,
) -> SqsBatchResponse
where
    W: Function,
    W::Input: TaskTokenInput,
    C: TaskTokenCallbacks,
{
    let mut response = SqsBatchResponse::default();
    for record in event.records {
        let (message_id, body) = id_and_body(record);
        // Boxed: the worker's future nested in the select! and the Lambda service makes a type
        // deep enough to exceed the compiler's query depth in the generated binary.
        let handled = Box::pin(handle_record(worker, callbacks, body.as_deref(), heartbeat));
        if let Err(failure) = handled.await {
            tracing::error!(
                message_id = %message_id,
                error = %failure,
                "record not processed; reporting it as a batch item failure"
            );
            response.add_failure(message_id);
        }
    }
    response
}

/// The two fields a worker reads, taken out in a plain function so that the rest of the
/// (large) SQS message is not kept in the future across the worker's await.
fn id_and_body(record: SqsMessage) -> (String, Option<String>) {
    (record.message_id.unwrap_or_default(), record.body)
}

/// Sends a heartbeat for `token` at once, then every `every`, for as long as it is polled: the
/// time the message waited in the queue already counts against `HeartbeatSeconds`.
async fn heartbeats<C: TaskTokenCallbacks>(
    callbacks: &C,
    token: &str,
    every: Duration,
) -> std::convert::Infallible {
    loop {
        if let Err(e) = callbacks.send_task_heartbeat(token).await {
            tracing::warn!(error = %e, "heartbeat not sent; the worker goes on");
        }
        tokio::time::sleep(every).await;
    }
}

async fn handle_record<W, C>(
    worker: &W,
    callbacks: &C,
    body: Option<&str>,
    heartbeat: Option<Duration>,
) -> Result<(), RecordFailure>
where
    W: Function,
    W::Input: TaskTokenInput,
    C: TaskTokenCallbacks,
{
    let body = body.ok_or(RecordFailure::NoBody)?;
    let input: W::Input = serde_json::from_str(body).map_err(RecordFailure::InvalidBody)?;
    // Owned: `call` consumes the input.
    let token = input.task_token().to_owned();
    let call = worker.call(input);
    let outcome = match heartbeat {
        None => call.await,
        Some(every) => tokio::select! {
            outcome = call => outcome,
            never = heartbeats(callbacks, &token, every) => match never {},
        },
    };
    let result = match outcome {
        Ok(output) => serialize_output(&output),
        Err(e) => Err(StepFailure::from_step_error(&e)),
    };
    match result {
        Ok(output) => callbacks.send_task_success(&token, output).await,
        Err(failure) => {
            tracing::warn!(error_type = %failure.error, cause = %failure.cause, "worker failed; failing its task token");
            callbacks
                .send_task_failure(&token, &failure.error, &failure.cause)
                .await
        }
    }
    .map_err(RecordFailure::Callback)
}

/// Runs a task-token worker as a Lambda function triggered by SQS: tracing is initialised as
/// [`run`](crate::run) does, and each event is handled by [`handle_sqs_batch`].
///
/// # Errors
///
/// Whatever the Lambda runtime loop returns (e.g. the Runtime API cannot be reached).
pub async fn run_sqs_worker<W, C>(worker: W, callbacks: C) -> Result<(), Error>
where
    W: Function,
    W::Input: TaskTokenInput,
    C: TaskTokenCallbacks,
{
    run_worker(worker, callbacks, None).await
}

/// [`run_sqs_worker`], sending heartbeats every `heartbeat` while the worker works on a token
/// (see [`handle_sqs_batch_with_heartbeat`]). `generate` emits it for a worker whose waiting
/// state has `HeartbeatSeconds`, at half that.
///
/// # Errors
///
/// Whatever the Lambda runtime loop returns (e.g. the Runtime API cannot be reached).
pub async fn run_sqs_worker_with_heartbeat<W, C>(
    worker: W,
    callbacks: C,
    heartbeat: Duration,
) -> Result<(), Error>
where
    W: Function,
    W::Input: TaskTokenInput,
    C: TaskTokenCallbacks,
{
    run_worker(worker, callbacks, Some(heartbeat)).await
}

async fn run_worker<W, C>(worker: W, callbacks: C, heartbeat: Option<Duration>) -> Result<(), Error>
where
    W: Function,
    W::Input: TaskTokenInput,
    C: TaskTokenCallbacks,
{
    crate::init_tracing();
    let (worker, callbacks) = (&worker, &callbacks);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, std::convert::Infallible>(
            handle_sqs_batch_with_heartbeat(worker, callbacks, event.payload, heartbeat).await,
        )
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::function::tests::BookError;
    use serde::{Deserialize, Serialize};
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct CourierInput {
        task_token: String,
        order_id: String,
    }

    impl TaskTokenInput for CourierInput {
        fn task_token(&self) -> &str {
            &self.task_token
        }
    }

    #[derive(Debug, Serialize)]
    #[serde(rename_all = "camelCase")]
    struct CourierOutput {
        courier_id: String,
        order_id: String,
    }

    /// Assigns a courier, except to order "none", which raises an error.
    struct SqsWorker;

    impl Function for SqsWorker {
        type Input = CourierInput;
        type Output = CourierOutput;
        type Error = BookError;

        async fn call(&self, input: CourierInput) -> Result<CourierOutput, BookError> {
            if input.order_id == "none" {
                return Err(BookError::BookOutOfStock(input.order_id));
            }
            Ok(CourierOutput {
                courier_id: "c-1".into(),
                order_id: input.order_id,
            })
        }
    }

    /// Callbacks whose API calls all fail, as when Step Functions is unreachable.
    struct FailingCallbacks;

    impl TaskTokenCallbacks for FailingCallbacks {
        async fn send_task_success(&self, _: &str, _: Value) -> Result<(), CallbackError> {
            Err(CallbackError::new("service unavailable"))
        }

        async fn send_task_failure(&self, _: &str, _: &str, _: &str) -> Result<(), CallbackError> {
            Err(CallbackError::new("service unavailable"))
        }
    }

    fn record(message_id: &str, body: &str) -> Value {
        json!({
            "messageId": message_id,
            "receiptHandle": "rh",
            "body": body,
            "attributes": {},
            "messageAttributes": {},
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:orders",
            "awsRegion": "eu-west-1"
        })
    }

    /// An SQS event as Lambda delivers it, so the test also covers the event's field names.
    fn event(records: Vec<Value>) -> SqsEvent {
        serde_json::from_value(json!({ "Records": records })).unwrap()
    }

    fn failed_ids(response: &SqsBatchResponse) -> Vec<&str> {
        response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect()
    }

    #[tokio::test]
    async fn a_good_record_completes_its_token_with_the_serialized_output() {
        let callbacks = InProcessCallbacks::new();
        let body = json!({"taskToken": "tok-1", "orderId": "o-1"}).to_string();
        let response =
            handle_sqs_batch(&SqsWorker, &callbacks, event(vec![record("m-1", &body)])).await;

        assert!(response.batch_item_failures.is_empty());
        assert_eq!(
            callbacks.outcomes(),
            vec![TaskOutcome::Success {
                token: "tok-1".into(),
                output: json!({"courierId": "c-1", "orderId": "o-1"}),
            }]
        );
        // The whole response serializes as Lambda expects it.
        assert_eq!(
            serde_json::to_value(&response).unwrap(),
            json!({"batchItemFailures": []})
        );
    }

    /// A worker that takes its time: 95 s of (paused, virtual) tokio time.
    struct SlowWorker;

    impl Function for SlowWorker {
        type Input = CourierInput;
        type Output = CourierOutput;
        type Error = BookError;

        async fn call(&self, input: CourierInput) -> Result<CourierOutput, BookError> {
            tokio::time::sleep(Duration::from_secs(95)).await;
            SqsWorker.call(input).await
        }
    }

    /// AWS: "If the task runs longer than HeartbeatSeconds without a heartbeat, the state
    /// fails" (<https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskHeartbeat.html>):
    /// a busy worker keeps its token alive every 30 s, then completes it; without a heartbeat
    /// interval it sends none.
    #[tokio::test(start_paused = true)]
    async fn a_busy_worker_sends_heartbeats_until_it_completes_its_token() {
        let callbacks = InProcessCallbacks::new();
        let body = json!({"taskToken": "tok-slow", "orderId": "o-1"}).to_string();
        let response = handle_sqs_batch_with_heartbeat(
            &SlowWorker,
            &callbacks,
            event(vec![record("m-1", &body)]),
            Some(Duration::from_secs(30)),
        )
        .await;
        assert!(response.batch_item_failures.is_empty());
        // At pickup, then at 30, 60 and 90 s; none after the worker finished at 95 s.
        assert_eq!(callbacks.heartbeats(), ["tok-slow"; 4]);
        assert_eq!(callbacks.outcomes().len(), 1);
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert_eq!(callbacks.heartbeats().len(), 4);

        let quiet = InProcessCallbacks::new();
        handle_sqs_batch(&SlowWorker, &quiet, event(vec![record("m-2", &body)])).await;
        assert!(quiet.heartbeats().is_empty());
        assert_eq!(quiet.outcomes().len(), 1);
    }

    #[tokio::test]
    async fn a_worker_error_fails_the_token_with_its_exact_error_type() {
        let callbacks = InProcessCallbacks::new();
        let body = json!({"taskToken": "tok-2", "orderId": "none"}).to_string();
        let response =
            handle_sqs_batch(&SqsWorker, &callbacks, event(vec![record("m-2", &body)])).await;

        // The token carries the error to Step Functions; SQS must not redeliver.
        assert!(response.batch_item_failures.is_empty());
        let outcomes = callbacks.take();
        assert_eq!(
            outcomes,
            vec![TaskOutcome::Failure {
                token: "tok-2".into(),
                error: "BookOutOfStock".into(),
                cause: "book none is out of stock".into(),
            }]
        );
        assert!(callbacks.outcomes().is_empty(), "take() empties the record");
        assert_eq!(
            outcomes[0].clone().into_result().unwrap_err().error,
            "BookOutOfStock"
        );
    }

    #[tokio::test]
    async fn an_unparsable_body_is_a_batch_item_failure_and_the_rest_still_run() {
        let callbacks = InProcessCallbacks::new();
        let good = json!({"taskToken": "tok-3", "orderId": "o-3"}).to_string();
        let missing_token = json!({"orderId": "o-4"}).to_string();
        let response = handle_sqs_batch(
            &SqsWorker,
            &callbacks,
            event(vec![
                record("m-bad-json", "{not json"),
                record("m-3", &good),
                record("m-no-token", &missing_token),
            ]),
        )
        .await;

        assert_eq!(failed_ids(&response), ["m-bad-json", "m-no-token"]);
        assert_eq!(
            serde_json::to_value(&response).unwrap(),
            json!({"batchItemFailures": [
                {"itemIdentifier": "m-bad-json"},
                {"itemIdentifier": "m-no-token"}
            ]})
        );
        let tokens: Vec<_> = callbacks
            .outcomes()
            .iter()
            .map(|o| o.token().to_owned())
            .collect();
        assert_eq!(tokens, ["tok-3"]);
    }

    #[tokio::test]
    async fn a_record_without_a_body_is_a_batch_item_failure() {
        let callbacks = InProcessCallbacks::new();
        let mut no_body = record("m-empty", "");
        no_body["body"] = Value::Null;
        let response = handle_sqs_batch(&SqsWorker, &callbacks, event(vec![no_body])).await;
        assert_eq!(failed_ids(&response), ["m-empty"]);
        assert!(callbacks.outcomes().is_empty());
    }

    #[tokio::test]
    async fn a_failing_callback_is_a_batch_item_failure_so_sqs_redelivers() {
        let ok = json!({"taskToken": "tok-5", "orderId": "o-5"}).to_string();
        let err = json!({"taskToken": "tok-6", "orderId": "none"}).to_string();
        let response = handle_sqs_batch(
            &SqsWorker,
            &FailingCallbacks,
            event(vec![record("m-5", &ok), record("m-6", &err)]),
        )
        .await;
        assert_eq!(failed_ids(&response), ["m-5", "m-6"]);
    }

    #[tokio::test]
    async fn shared_callbacks_record_into_the_shared_log() {
        let callbacks = Arc::new(InProcessCallbacks::new());
        let body = json!({"taskToken": "tok-7", "orderId": "o-7"}).to_string();
        let response = handle_sqs_batch(
            &SqsWorker,
            &Arc::clone(&callbacks),
            event(vec![record("m-7", &body)]),
        )
        .await;
        assert!(response.batch_item_failures.is_empty());
        assert_eq!(callbacks.outcomes().len(), 1);
    }
}
