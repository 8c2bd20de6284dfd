//! The runtime that orderflow-generated code depends on.
//!
//! Generated Lambda handlers implement [`Function`] (typed input, output and error) and call
//! [`run`]; task-token workers fed by SQS call [`run_sqs_worker`]. The same functions run without
//! Lambda through [`invoke_json`] and [`handle_sqs_batch`], which is what tests and the local
//! executor use, so the local path and the deployed one share their error mapping: a
//! [`StepError`]'s [`error_type`](StepError::error_type) is the exact error name Step Functions
//! Retry/Catch clauses match. `#[derive(StepError)]` writes that impl (with `Display`, `Error` and
//! the Lambda `Diagnostic`) from `#[step(error = "…")]` attributes on an enum's variants.
//!
//! The crates generated code needs are re-exported, so a generated crate depends on this one only
//! and always sees the versions this runtime was built against.
//!
//! ```no_run
//! use orderflow_runtime::{Function, StepError, serde, tracing};
//!
//! #[derive(Debug, serde::Deserialize)]
//! #[serde(crate = "orderflow_runtime::serde", rename_all = "camelCase")]
//! struct Input { book_id: String }
//!
//! #[derive(Debug, serde::Serialize)]
//! #[serde(crate = "orderflow_runtime::serde", rename_all = "camelCase")]
//! struct Output { book_id: String, unit_price: f64 }
//!
//! /// `#[derive(StepError)]` names each variant as the workflow's Retry/Catch name it.
//! #[derive(Debug, StepError)]
//! enum CheckInventoryError {
//!     /// no such book
//!     #[step(error = "BookNotFound")]
//!     BookNotFound,
//! }
//!
//! struct CheckInventory;
//!
//! impl Function for CheckInventory {
//!     type Input = Input;
//!     type Output = Output;
//!     type Error = CheckInventoryError;
//!
//!     async fn call(&self, input: Input) -> Result<Output, CheckInventoryError> {
//!         tracing::info!(book_id = %input.book_id, "checking inventory");
//!         if input.book_id.is_empty() {
//!             return Err(CheckInventoryError::BookNotFound);
//!         }
//!         Ok(Output { book_id: input.book_id, unit_price: 12.5 })
//!     }
//! }
//!
//! #[tokio::main(flavor = "current_thread")]
//! async fn main() -> Result<(), orderflow_runtime::Error> {
//!     orderflow_runtime::run(CheckInventory).await
//! }
//! ```
#![deny(missing_docs)]

pub use aws_lambda_events;
pub use lambda_runtime::{self, Diagnostic, Error, LambdaEvent};
pub use serde;
pub use serde_json;
pub use tracing;

mod step;
#[cfg(feature = "schemars")]
pub mod testing;
pub use orderflow_macros::{StepError, StepInput, StepOutput};
#[cfg(feature = "validate")]
pub use step::SchemaValidator;
pub use step::{__private, SchemaViolations, StepInput, StepOutput};
mod function;
mod task_token;

#[cfg(feature = "aws")]
mod aws;
#[cfg(feature = "executor")]
pub mod local;

pub use function::{
    Function, INVALID_INPUT, INVALID_OUTPUT, OtherError, StepError, StepFailure, diagnostic,
    invoke_json, run,
};
pub use task_token::{
    CallbackError, InProcessCallbacks, TaskOutcome, TaskTokenCallbacks, TaskTokenInput,
    handle_sqs_batch, handle_sqs_batch_with_heartbeat, run_sqs_worker,
    run_sqs_worker_with_heartbeat,
};

#[cfg(feature = "aws")]
pub use aws::{SfnCallbacks, aws_config, aws_sdk_sfn};

/// Installs lambda_runtime's default subscriber: plain text or JSON as Lambda's advanced logging
/// controls ask (`AWS_LAMBDA_LOG_FORMAT`), level from `AWS_LAMBDA_LOG_LEVEL` or `RUST_LOG`.
///
/// Uses `try_init` semantics: a subscriber the caller installed first is kept rather than
/// panicking, so a generated `main` may set up its own.
fn init_tracing() {
    if tracing::dispatcher::has_been_set() {
        return;
    }
    lambda_runtime::tracing::init_default_subscriber();
}
