//! The Lambda functions of the `store-checkout` workflow.
//!
//! Each function's handler (in [`functions`]) implements its generated trait against the
//! storage traits of [`store`]; `handler()` builds one on the tables its variables name, or on
//! the seeded in-memory stores when they are not set, and `Handler::new` takes any store (tests
//! pass one store to several handlers, as one table backs several Lambda functions).
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod errors;
pub mod functions;
pub mod generated;
pub mod handwritten;
pub mod store;
// The workflow run in process (tests, local runs): feature `local`.
#[cfg(feature = "local")]
pub mod workflow;
