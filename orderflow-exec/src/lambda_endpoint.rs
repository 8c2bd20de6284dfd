//! Lambda Tasks sent to a Lambda Invoke API, as Step Functions Local's `LAMBDA_ENDPOINT` does:
//! `POST {endpoint}/2015-03-31/functions/{name}/invocations` with the payload as the body. The
//! endpoint is typically `cargo lambda watch` serving a generated crate's binaries, so the
//! functions run inside the real Lambda runtime interface while the executor runs the workflow.
//!
//! Responses become what Step Functions would record: a function error
//! (`X-Amz-Function-Error`) is the error named by the payload's `errorType`, with the whole
//! payload as the cause, so Retry and Catch match it as on AWS; an Invoke API error status is
//! the `Lambda.*` exception the service raises; a request that outlives the state's
//! `TimeoutSeconds` is `States.Timeout`; an endpoint that cannot be reached is
//! `Lambda.SdkClientException`. Nothing hangs: every request has a deadline.
//!
//! Each call blocks a thread of its own, so Parallel branches and Map iterations that run
//! concurrently (the real clock) invoke their functions at the same time.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::Value;

use crate::task::{TaskError, TaskInvoker, TaskRequest, lambda_event, lambda_invoke_response};
use orderflow_model::asl::error_names::names;
use orderflow_model::asl::model::{LambdaInvocation, Resource};

/// How long a call may take when the state sets no `TimeoutSeconds` (AWS's default is 99999999
/// seconds; a local run should not wait that long on a stuck emulator).
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(900);

/// Sends the Lambda Tasks of a state machine to an Invoke API endpoint.
#[derive(Debug)]
pub struct LambdaEndpoint {
    base: String,
    /// One agent for every call, so connections to the endpoint are reused.
    agent: ureq::Agent,
    /// The model's function name → the name in the endpoint's URL (e.g. the binary name that
    /// `cargo lambda watch` serves); a function not listed keeps its own name.
    function_names: BTreeMap<String, String>,
    default_timeout: Duration,
}

impl LambdaEndpoint {
    /// `endpoint` is the base URL, e.g. `http://127.0.0.1:9000`.
    pub fn new(endpoint: &str) -> Self {
        LambdaEndpoint {
            base: endpoint.trim_end_matches('/').to_owned(),
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .into(),
            function_names: BTreeMap::new(),
            default_timeout: DEFAULT_CALL_TIMEOUT,
        }
    }

    /// Calls `function` (as the model names it) `name` at the endpoint.
    pub fn with_function_name(mut self, function: &str, name: &str) -> Self {
        self.function_names
            .insert(function.to_owned(), name.to_owned());
        self
    }

    /// The deadline of a call when the state sets no `TimeoutSeconds`.
    pub fn with_default_timeout(mut self, timeout: Duration) -> Self {
        self.default_timeout = timeout;
        self
    }

    /// Whether this binding handles the request (Lambda Tasks only).
    pub fn handles(request: &TaskRequest<'_>) -> bool {
        matches!(
            request.resource,
            Resource::Lambda {
                invocation: LambdaInvocation::Arn { .. }
                    | LambdaInvocation::Placeholder(_)
                    | LambdaInvocation::Invoke,
                ..
            }
        )
    }

    /// Invokes the request's function; `None` when the request is not a Lambda Task this
    /// binding handles. Blocks until the function answers or the deadline passes.
    pub fn call(&self, request: TaskRequest<'_>) -> Option<Result<Value, TaskError>> {
        self.prepare(request).map(LambdaCall::send)
    }

    /// [`LambdaEndpoint::call`] on a thread of its own, so that concurrent branches and
    /// iterations (the real clock) invoke their functions at the same time.
    pub fn call_on_thread(
        &self,
        request: TaskRequest<'_>,
    ) -> Option<BoxFuture<'static, Result<Value, TaskError>>> {
        let call = self.prepare(request)?;
        let (sender, answer) = futures::channel::oneshot::channel();
        let url = call.url.clone();
        if let Err(error) = std::thread::Builder::new().spawn(move || {
            let _ = sender.send(call.send());
        }) {
            return Some(Box::pin(std::future::ready(Err(TaskError::new(
                "Lambda.SdkClientException",
                format!("cannot invoke {url}: no thread to call it from: {error}"),
            )))));
        }
        Some(Box::pin(async move {
            answer.await.unwrap_or_else(|_| {
                Err(TaskError::new(
                    "Lambda.SdkClientException",
                    "the thread invoking the function ended without an answer",
                ))
            })
        }))
    }

    /// The call a request makes, owning all it needs, so it can be sent from another thread.
    fn prepare(&self, request: TaskRequest<'_>) -> Option<LambdaCall> {
        let Resource::Lambda {
            function,
            invocation,
        } = request.resource
        else {
            return None;
        };
        if *invocation == LambdaInvocation::InvokeWaitForTaskToken {
            return None;
        }
        let (payload, wrapped) = lambda_event(invocation, request.input);
        let name = self
            .function_names
            .get(function)
            .map_or(function.as_str(), String::as_str);
        Some(LambdaCall {
            agent: self.agent.clone(),
            url: format!("{}/2015-03-31/functions/{name}/invocations", self.base),
            payload,
            wrapped,
            timeout: request
                .timeout_seconds
                .map_or(self.default_timeout, Duration::from_secs),
        })
    }
}

/// One invocation of a function at the endpoint.
struct LambdaCall {
    agent: ureq::Agent,
    url: String,
    payload: Value,
    /// The state used the `lambda:invoke` integration, whose result wraps the payload.
    wrapped: bool,
    timeout: Duration,
}

impl LambdaCall {
    fn send(self) -> Result<Value, TaskError> {
        let LambdaCall {
            agent,
            url,
            payload,
            wrapped,
            timeout,
        } = self;
        let response = agent
            .post(&url)
            .header("content-type", "application/json")
            .config()
            .timeout_global(Some(timeout))
            .build()
            .send(payload.to_string());
        // A deadline passed is the state's timeout; any other transport failure is the SDK's.
        let transport = |error: ureq::Error, doing: &str| match error {
            ureq::Error::Timeout(_) => TaskError::new(
                names::TIMEOUT,
                format!("{url} did not answer within {} s", timeout.as_secs()),
            ),
            error => TaskError::new(
                "Lambda.SdkClientException",
                format!("cannot {doing} {url}: {error}"),
            ),
        };
        let mut response = response.map_err(|e| transport(e, "invoke"))?;
        let status = response.status().as_u16();
        let function_error = response.headers().contains_key("x-amz-function-error");
        let body = response
            .body_mut()
            .read_to_string()
            .map_err(|e| transport(e, "read the response of"))?;
        let output = classify(status, function_error, &body)?;
        Ok(if wrapped {
            lambda_invoke_response(output, None)
        } else {
            output
        })
    }
}

/// What Step Functions records for an Invoke API response.
fn classify(status: u16, function_error: bool, body: &str) -> Result<Value, TaskError> {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let error_type = || {
        parsed
            .as_ref()
            .and_then(|v| v.get("errorType"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    // A function error: the state's error is the function's errorType, the cause its payload.
    // Some emulators answer a function error with a 5xx and no header: the payload tells.
    if function_error || (status >= 500 && error_type().is_some()) {
        return Err(TaskError::new(
            error_type().unwrap_or_else(|| "Lambda.Unknown".to_owned()),
            body.to_owned(),
        ));
    }
    match status {
        200..=299 => Ok(parsed.unwrap_or_else(|| Value::String(body.to_owned()))),
        404 => Err(TaskError::new(
            "Lambda.ResourceNotFoundException",
            body.to_owned(),
        )),
        429 => Err(TaskError::new(
            "Lambda.TooManyRequestsException",
            body.to_owned(),
        )),
        400..=499 => Err(TaskError::new("Lambda.AWSLambdaException", body.to_owned())),
        _ => Err(TaskError::new("Lambda.ServiceException", body.to_owned())),
    }
}

/// Lambda Tasks to the endpoint, every other Task to `rest`.
pub struct WithLambdaEndpoint<'e, T> {
    /// Where Lambda Tasks go.
    pub endpoint: &'e LambdaEndpoint,
    /// What every other Task goes to.
    pub rest: T,
}

impl<T: TaskInvoker> TaskInvoker for WithLambdaEndpoint<'_, T> {
    fn invoke<'a>(&'a self, request: TaskRequest<'a>) -> BoxFuture<'a, Result<Value, TaskError>> {
        if LambdaEndpoint::handles(&request) {
            return self.endpoint.call_on_thread(request).unwrap_or_else(|| {
                // `handles` and `prepare` agree on what is a Lambda Task; this is not reached.
                Box::pin(std::future::ready(Err(TaskError::new(
                    names::RUNTIME,
                    "the Lambda endpoint did not handle a Lambda Task",
                ))))
            });
        }
        self.rest.invoke(request)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_function_error_is_named_by_its_error_type_with_the_payload_as_cause() {
        let body = r#"{"errorType":"BookNotFound","errorMessage":"no book 42"}"#;
        assert_eq!(
            classify(200, true, body),
            Err(TaskError::new("BookNotFound", body))
        );
        // Without the header, a 5xx carrying a Lambda error payload is a function error too.
        assert_eq!(
            classify(500, false, body),
            Err(TaskError::new("BookNotFound", body))
        );
        assert_eq!(
            classify(200, true, "oops").map_err(|e| e.error),
            Err("Lambda.Unknown".to_owned())
        );
    }

    #[test]
    fn invoke_api_errors_are_the_lambda_exceptions_step_functions_raises() {
        let error = |status| classify(status, false, "{}").map_err(|e| e.error);
        assert_eq!(error(404), Err("Lambda.ResourceNotFoundException".into()));
        assert_eq!(error(429), Err("Lambda.TooManyRequestsException".into()));
        assert_eq!(error(400), Err("Lambda.AWSLambdaException".into()));
        assert_eq!(error(502), Err("Lambda.ServiceException".into()));
        assert_eq!(classify(200, false, r#"{"a":1}"#), Ok(json!({"a": 1})));
    }

    #[test]
    fn an_unreachable_endpoint_is_a_client_exception_not_a_hang() {
        // Port 9 (discard) on localhost: nothing listens in a test environment.
        let call = LambdaCall {
            agent: LambdaEndpoint::new("http://127.0.0.1:9").agent,
            url: "http://127.0.0.1:9/2015-03-31/functions/f/invocations".into(),
            payload: json!({}),
            wrapped: false,
            timeout: Duration::from_secs(5),
        };
        let outcome = call.send();
        let error = outcome.expect_err("nothing listens");
        assert!(
            error.error == "Lambda.SdkClientException" || error.error == names::TIMEOUT,
            "{error:?}"
        );
    }
}
