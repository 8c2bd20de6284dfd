//! The Lambda functions of the `store-checkout` workflow.
pub mod functions;
#[rustfmt::skip]
pub mod generated;
