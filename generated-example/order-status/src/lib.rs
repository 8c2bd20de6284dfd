//! The Lambda functions of the `order-status` workflow.
pub mod functions;
#[rustfmt::skip]
pub mod generated;
