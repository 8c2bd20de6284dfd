//! `#[derive(StepInput)]`, `#[derive(StepOutput)]` and `#[derive(StepError)]`; use them through
//! `orderflow_runtime`.
//!
//! A thin shell over [`orderflow_model::derive::derive_step`] and
//! [`orderflow_model::step_error::derive_step_error`]: everything they check and emit is decided
//! there, from the same model `orderflow-codegen check` builds.
#![deny(missing_docs)]

use std::path::PathBuf;

use orderflow_model::derive::{Direction, derive_step};
use proc_macro::TokenStream;

/// Checks a struct against a function's input schema and implements `StepInput`.
///
/// `#[step(workflow = "../definitions/store-checkout", function = "checkInventory")]`;
/// `workflow` is relative to the crate's `CARGO_MANIFEST_DIR`, or looked up by folder name in
/// `ORDERFLOW_DEFINITIONS` when that is set. Nested structs add `pointer = "/properties/book"`.
#[proc_macro_derive(StepInput, attributes(step))]
pub fn step_input(input: TokenStream) -> TokenStream {
    expand(input, Direction::Input)
}

/// Checks a struct against a function's output schema and implements `StepOutput`.
#[proc_macro_derive(StepOutput, attributes(step))]
pub fn step_output(input: TokenStream) -> TokenStream {
    expand(input, Direction::Output)
}

/// Implements `StepError`, `Display`, `std::error::Error` and `From<Self> for Diagnostic` for an
/// enum of the errors a Step Functions task raises.
///
/// Each variant names its ASL error, the exact string Retry/Catch `ErrorEquals` match, with
/// `#[step(error = "BookNotFound")]`; the message (Step Functions' `Cause`) is the variant's one
/// field, or, for a unit variant, its doc comment. One variant may be the fallback,
/// `#[step(other)] Other { error_type: String, message: String }`, reported under any name; it
/// also gives the enum `From<T>` for every `T: orderflow_runtime::OtherError` (a storage error, a
/// `StepFailure`), so `?` works on those in a handler.
///
/// ```
/// use orderflow_runtime::{StepError, StepFailure};
///
/// #[derive(Debug, StepError)]
/// pub enum CheckInventoryError {
///     #[step(error = "BookNotFound")]
///     BookNotFound(String),
///     /// The warehouse is closed today.
///     #[step(error = "WarehouseClosed")]
///     WarehouseClosed,
///     #[step(other)]
///     Other { error_type: String, message: String },
/// }
///
/// let e = CheckInventoryError::BookNotFound("no book has id 7".into());
/// assert_eq!((e.error_type(), e.to_string().as_str()), ("BookNotFound", "no book has id 7"));
/// assert_eq!(CheckInventoryError::WarehouseClosed.to_string(), "The warehouse is closed today.");
///
/// fn lookup() -> Result<(), CheckInventoryError> {
///     Err(StepFailure { error: "Throttled".into(), cause: "slow down".into() })?
/// }
/// assert_eq!(lookup().unwrap_err().error_type(), "Throttled");
/// ```
#[proc_macro_derive(StepError, attributes(step))]
pub fn step_error(input: TokenStream) -> TokenStream {
    orderflow_model::step_error::derive_step_error(input.into()).into()
}

fn expand(input: TokenStream, direction: Direction) -> TokenStream {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let definitions = std::env::var_os("ORDERFLOW_DEFINITIONS").map(PathBuf::from);
    derive_step(
        input.into(),
        direction,
        &manifest_dir,
        definitions.as_deref(),
    )
    .into()
}
