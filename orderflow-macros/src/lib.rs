//! `#[derive(StepInput)]` and `#[derive(StepOutput)]`; use them through `orderflow_runtime`.
//!
//! A thin shell over [`orderflow_model::derive::derive_step`]: everything it checks and emits is
//! decided there, from the same model `orderflow-codegen check` builds.
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
