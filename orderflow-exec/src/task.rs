//! How Task states reach the outside world: callers bind tasks through [`TaskInvoker`].

use std::sync::Arc;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use futures::future::BoxFuture;
use serde_json::Value;

use orderflow_model::asl::error_names::names;
use orderflow_model::asl::model::{LambdaInvocation, Resource};

/// What a Task state asks its binding to do.
#[derive(Debug, Clone)]
pub struct TaskRequest<'a> {
    /// The Task state's name.
    pub state_name: &'a str,
    /// The resource as the model resolved it (for Lambda tasks, the function's name).
    pub resource: &'a Resource,
    /// The effective parameters: the state input after `InputPath` and `Parameters`.
    pub input: Value,
    /// The task token (`$$.Task.Token`), for `.waitForTaskToken` resources.
    pub task_token: Option<String>,
    /// `TimeoutSeconds` as resolved (AWS's default is 99999999), so bindings can simulate it.
    pub timeout_seconds: Option<u64>,
    /// `HeartbeatSeconds` as resolved.
    pub heartbeat_seconds: Option<u64>,
    /// Which attempt this is (0 first, then one more per retry).
    pub retry_count: u32,
    /// Where the task reports progress (SendTaskHeartbeat): on the real clock each beat
    /// restarts the state's `HeartbeatSeconds`.
    pub heartbeat: Heartbeat,
}

/// A task's heartbeats (SendTaskHeartbeat) as its binding sends them. Cheap to clone; clones
/// share the beats.
#[derive(Debug, Clone, Default)]
pub struct Heartbeat(Arc<Mutex<Option<Instant>>>);

impl Heartbeat {
    /// The task is still making progress: the state's `HeartbeatSeconds` start again now.
    pub fn beat(&self) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
    }

    /// When the task last sent a heartbeat, if it did.
    pub fn last_beat(&self) -> Option<Instant> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A task that failed: the error name and cause the Task state reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskError {
    /// The error name Retry and Catch match (`Lambda.ServiceException`, a function's own).
    pub error: String,
    /// The cause, as the execution reports it.
    pub cause: String,
}

impl TaskError {
    /// A Task failure with this error name and cause.
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        TaskError {
            error: error.into(),
            cause: cause.into(),
        }
    }

    /// The task timed out (`States.Timeout`).
    pub fn timeout() -> Self {
        TaskError::new(names::TIMEOUT, "")
    }

    /// The task missed a heartbeat (`States.HeartbeatTimeout`).
    pub fn heartbeat_timeout() -> Self {
        TaskError::new(names::HEARTBEAT_TIMEOUT, "")
    }

    /// Nothing is bound to this task. A terminal `States.Runtime` error: no Retry or Catch
    /// should hide a missing binding.
    pub fn unbound(request: &TaskRequest<'_>) -> Self {
        TaskError::new(
            names::RUNTIME,
            format!(
                "the Task state '{}' ({}) has no binding: pass a TaskInvoker that handles it",
                request.state_name,
                describe_resource(request.resource)
            ),
        )
    }
}

/// A short description of a resource for messages.
pub fn describe_resource(resource: &Resource) -> String {
    match resource {
        Resource::Lambda { function, .. } => format!("Lambda function {function}"),
        Resource::SqsSendMessage { .. } => "sqs:sendMessage".into(),
        Resource::SnsPublish { .. } => "sns:publish".into(),
        Resource::Opaque(arn) => arn.clone(),
    }
}

/// Runs Task states. On the virtual clock the executor awaits each invocation before the next,
/// so bindings see a deterministic sequence; on the real clock concurrent Parallel branches and
/// Map iterations invoke at the same time, and a binding that blocks holds them all up.
pub trait TaskInvoker: Send + Sync {
    /// Runs the Task: its result, or the error Retry/Catch see.
    fn invoke<'a>(&'a self, request: TaskRequest<'a>) -> BoxFuture<'a, Result<Value, TaskError>>;
}

/// A binding for workflows without tasks: every Task fails with [`TaskError::unbound`].
#[derive(Debug, Clone, Copy, Default)]
pub struct NoTasks;

impl TaskInvoker for NoTasks {
    fn invoke<'a>(&'a self, request: TaskRequest<'a>) -> BoxFuture<'a, Result<Value, TaskError>> {
        let error = TaskError::unbound(&request);
        Box::pin(async move { Err(error) })
    }
}

/// Binds tasks to plain functions of (state name, resource, input): handy in tests.
pub struct FnInvoker<F>(pub F);

impl<F> TaskInvoker for FnInvoker<F>
where
    F: Fn(&TaskRequest<'_>) -> Result<Value, TaskError> + Send + Sync,
{
    fn invoke<'a>(&'a self, request: TaskRequest<'a>) -> BoxFuture<'a, Result<Value, TaskError>> {
        let result = (self.0)(&request);
        Box::pin(async move { result })
    }
}

impl<T: TaskInvoker + ?Sized> TaskInvoker for Arc<T> {
    fn invoke<'a>(&'a self, request: TaskRequest<'a>) -> BoxFuture<'a, Result<Value, TaskError>> {
        (**self).invoke(request)
    }
}

impl<T: TaskInvoker + ?Sized> TaskInvoker for &T {
    fn invoke<'a>(&'a self, request: TaskRequest<'a>) -> BoxFuture<'a, Result<Value, TaskError>> {
        (**self).invoke(request)
    }
}

/// `arn:aws:states:::lambda:invoke` (and `.waitForTaskToken`) sends the parameters' `Payload`
/// as the function's event and wraps its output; a function ARN sends the parameters as they
/// are. Returns the event and whether the output must be wrapped with [`lambda_invoke_response`].
pub fn lambda_event(invocation: &LambdaInvocation, parameters: Value) -> (Value, bool) {
    match invocation {
        LambdaInvocation::Invoke | LambdaInvocation::InvokeWaitForTaskToken => {
            let event = match parameters {
                Value::Object(mut parameters) => {
                    parameters.remove("Payload").unwrap_or(Value::Null)
                }
                other => other,
            };
            (event, true)
        }
        LambdaInvocation::Arn { .. } | LambdaInvocation::Placeholder(_) => (parameters, false),
    }
}

/// What the lambda:invoke integration returns for a function's `output`, with the request id
/// when the binding has one.
pub fn lambda_invoke_response(output: Value, request_id: Option<&str>) -> Value {
    let mut response = serde_json::json!({
        "ExecutedVersion": "$LATEST",
        "Payload": output,
        "SdkHttpMetadata": {"HttpStatusCode": 200},
        "StatusCode": 200,
    });
    if let Some(id) = request_id {
        response["SdkResponseMetadata"] = serde_json::json!({"RequestId": id});
    }
    response
}
