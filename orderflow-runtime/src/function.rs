//! Typed Lambda functions: the trait generated handlers implement, and the two ways to run them
//! (on Lambda with [`run`], in process with [`invoke_json`]) with one error mapping.

use std::future::Future;

use lambda_runtime::{Diagnostic, Error, LambdaEvent, service_fn};
use serde_json::Value;

/// The error name reported when a payload does not deserialize into the function's input type.
///
/// Not a `States.*` name: those are reserved for Step Functions itself, and a Catch on
/// `States.TaskFailed` or `States.ALL` still matches this one.
pub const INVALID_INPUT: &str = "orderflow.InvalidInput";

/// The error name reported when a function's output does not serialize to JSON (a bug in the
/// output type, e.g. a map with non-string keys), so the execution fails instead of hanging.
pub const INVALID_OUTPUT: &str = "orderflow.InvalidOutput";

/// An error a step function raises.
///
/// [`error_type`](StepError::error_type) is the exact ASL error name that Retry and Catch
/// clauses match (`"BookOutOfStock"`), which is why it is not derived from the Rust type name as
/// lambda_runtime does by default.
pub trait StepError: std::fmt::Display + std::fmt::Debug + Send + Sync + 'static {
    /// The ASL error name, matched exactly by `ErrorEquals`.
    fn error_type(&self) -> &str;
}

/// The [`Diagnostic`] lambda_runtime reports for a [`StepError`]: Step Functions takes its
/// `error_type` as the state's `Error` and its `error_message` as the `Cause`.
pub fn diagnostic<E: StepError>(error: &E) -> Diagnostic {
    Diagnostic {
        error_type: error.error_type().to_owned(),
        error_message: error.to_string(),
    }
}

/// A Lambda function with typed input, output and error.
///
/// Implementations may write `async fn call`; the returned future must be `Send` because the
/// Lambda runtime and the local executor may move it between threads.
pub trait Function: Send + Sync + 'static {
    /// The payload the function receives (the state's effective input).
    type Input: serde::de::DeserializeOwned + Send;
    /// What the function returns (the state's result, before ResultSelector/ResultPath).
    type Output: serde::Serialize + Send;
    /// The errors the function raises, named as the workflow's Retry/Catch clauses name them.
    type Error: StepError;

    /// Handles one invocation.
    fn call(
        &self,
        input: Self::Input,
    ) -> impl Future<Output = Result<Self::Output, Self::Error>> + Send;
}

/// A failed step as Step Functions records it: the error name Retry/Catch match and the cause.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}: {cause}")]
pub struct StepFailure {
    /// The ASL error name (a [`StepError::error_type`], or [`INVALID_INPUT`]/[`INVALID_OUTPUT`]).
    pub error: String,
    /// The human-readable cause (the error's `Display`, or the serde message).
    pub cause: String,
}

impl StepFailure {
    /// The failure a [`StepError`] becomes; the same names [`diagnostic`] reports on Lambda.
    pub fn from_step_error<E: StepError>(error: &E) -> Self {
        Self {
            error: error.error_type().to_owned(),
            cause: error.to_string(),
        }
    }
}

/// An error that is none of a function's declared errors but still reaches Step Functions under a
/// name of its own: a storage failure, a value the schema forbids, a [`StepFailure`].
///
/// Every `#[derive(StepError)]` enum with a `#[step(other)]` variant converts from any
/// `OtherError` into that variant, so `?` works on these errors in every handler without a
/// `From` impl per enum. Implement it for your own error types; a `StepError` enum does not
/// implement it (its variants already carry their names).
///
/// ```
/// use orderflow_runtime::{OtherError, StepFailure};
///
/// #[derive(Debug)]
/// struct TableUnavailable(&'static str);
///
/// impl OtherError for TableUnavailable {
///     fn into_step_failure(self) -> StepFailure {
///         StepFailure {
///             error: "StoreUnavailable".to_owned(),
///             cause: format!("the {} table is unavailable", self.0),
///         }
///     }
/// }
/// ```
pub trait OtherError {
    /// The name Retry/Catch see (`error`) and the cause Step Functions records.
    fn into_step_failure(self) -> StepFailure;
}

/// A failure from elsewhere (another function's result, a mock) passes through unchanged.
impl OtherError for StepFailure {
    fn into_step_failure(self) -> StepFailure {
        self
    }
}

/// On Lambda a failure is reported with the same names as in process.
impl From<StepFailure> for Diagnostic {
    fn from(failure: StepFailure) -> Self {
        Diagnostic {
            error_type: failure.error,
            error_message: failure.cause,
        }
    }
}

/// Runs `function` as a Lambda function.
///
/// Initialises tracing with lambda_runtime's default subscriber (JSON when Lambda's log format is
/// JSON; level from `AWS_LAMBDA_LOG_LEVEL` or `RUST_LOG`) unless a subscriber is already
/// installed, then serves events: the payload is deserialized into `F::Input`, the function is
/// called and its output serialized. A [`StepError`] is reported as [`diagnostic`]`(&e)` so Step
/// Functions sees its error name; a payload that does not deserialize is reported as
/// [`INVALID_INPUT`] (rather than lambda_runtime's Rust type name), exactly as [`invoke_json`]
/// reports it.
///
/// # Errors
///
/// Whatever the Lambda runtime loop returns (e.g. the Runtime API cannot be reached).
pub async fn run<F: Function>(function: F) -> Result<(), Error> {
    crate::init_tracing();
    let function = &function;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        invoke_json(function, event.payload)
            .await
            .map_err(Diagnostic::from)
    }))
    .await
}

/// Invokes `function` in process, JSON in and JSON out, as [`run`] does on Lambda: for tests and
/// the local executor.
///
/// # Errors
///
/// - [`INVALID_INPUT`] with the serde message as cause when `input` does not deserialize into
///   `F::Input`;
/// - the function's [`StepError`] as `StepFailure { error: error_type, cause: to_string }`;
/// - [`INVALID_OUTPUT`] when the output does not serialize.
pub async fn invoke_json<F: Function>(function: &F, input: Value) -> Result<Value, StepFailure> {
    let input = serde_json::from_value::<F::Input>(input).map_err(|e| StepFailure {
        error: INVALID_INPUT.to_owned(),
        cause: e.to_string(),
    })?;
    let output = function
        .call(input)
        .await
        .map_err(|e| StepFailure::from_step_error(&e))?;
    serialize_output(&output)
}

/// Serializes a function's output, or names the failure [`INVALID_OUTPUT`].
pub(crate) fn serialize_output<T: serde::Serialize>(output: &T) -> Result<Value, StepFailure> {
    serde_json::to_value(output).map_err(|e| StepFailure {
        error: INVALID_OUTPUT.to_owned(),
        cause: e.to_string(),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};
    use serde_json::json;

    /// The errors of the test function, named as a manifest would declare them.
    #[derive(Debug, thiserror::Error)]
    pub(crate) enum BookError {
        #[error("book {0} is out of stock")]
        BookOutOfStock(String),
    }

    impl StepError for BookError {
        fn error_type(&self) -> &str {
            match self {
                Self::BookOutOfStock(_) => "BookOutOfStock",
            }
        }
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct CheckInput {
        pub(crate) book_id: String,
        pub(crate) quantity: u32,
    }

    #[derive(Debug, Serialize)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct CheckOutput {
        pub(crate) book_id: String,
        pub(crate) unit_price: f64,
    }

    /// Fails for quantities above 10, succeeds otherwise.
    pub(crate) struct CheckInventory;

    impl Function for CheckInventory {
        type Input = CheckInput;
        type Output = CheckOutput;
        type Error = BookError;

        async fn call(&self, input: CheckInput) -> Result<CheckOutput, BookError> {
            if input.quantity > 10 {
                return Err(BookError::BookOutOfStock(input.book_id));
            }
            Ok(CheckOutput {
                book_id: input.book_id,
                unit_price: 12.5,
            })
        }
    }

    #[test]
    fn diagnostic_reports_the_asl_error_name_and_display() {
        let d = diagnostic(&BookError::BookOutOfStock("b1".into()));
        assert_eq!(d.error_type, "BookOutOfStock");
        assert_eq!(d.error_message, "book b1 is out of stock");
    }

    #[test]
    fn step_failure_becomes_the_same_diagnostic() {
        let e = BookError::BookOutOfStock("b1".into());
        assert_eq!(
            Diagnostic::from(StepFailure::from_step_error(&e)),
            diagnostic(&e)
        );
        assert_eq!(
            StepFailure::from_step_error(&e).to_string(),
            "BookOutOfStock: book b1 is out of stock"
        );
    }

    #[tokio::test]
    async fn invoke_json_happy_path() {
        let out = invoke_json(&CheckInventory, json!({"bookId": "b1", "quantity": 2})).await;
        assert_eq!(out, Ok(json!({"bookId": "b1", "unitPrice": 12.5})));
    }

    #[tokio::test]
    async fn invoke_json_bad_input_is_invalid_input_with_the_serde_message() {
        let err = invoke_json(&CheckInventory, json!({"bookId": "b1"}))
            .await
            .unwrap_err();
        assert_eq!(err.error, INVALID_INPUT);
        assert_eq!(err.cause, "missing field `quantity`");

        let err = invoke_json(&CheckInventory, json!({"bookId": 7, "quantity": 1}))
            .await
            .unwrap_err();
        assert_eq!(err.error, "orderflow.InvalidInput");
        assert!(err.cause.contains("expected a string"), "{}", err.cause);
    }

    #[tokio::test]
    async fn invoke_json_step_error_keeps_its_error_type() {
        let err = invoke_json(&CheckInventory, json!({"bookId": "b9", "quantity": 11}))
            .await
            .unwrap_err();
        assert_eq!(
            err,
            StepFailure {
                error: "BookOutOfStock".into(),
                cause: "book b9 is out of stock".into(),
            }
        );
    }

    #[test]
    fn unserializable_output_is_invalid_output() {
        let mut map = std::collections::BTreeMap::new();
        map.insert((1, 2), 3);
        let err = serialize_output(&map).unwrap_err();
        assert_eq!(err.error, INVALID_OUTPUT);
        assert_eq!(err.cause, "key must be a string");
    }
}
