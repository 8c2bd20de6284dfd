//! The Lambda functions of the `order-status` workflow.
//!
//! Each function's handler (in [`functions`]) implements its generated trait against the
//! storage traits of [`store`]; `handler()` builds one on the seeded in-memory stores, and
//! `Handler::new` takes any store.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod errors;
pub mod functions;
pub mod generated;
pub mod store;
// The workflow run in process (tests, local runs): feature `local`.
#[cfg(feature = "local")]
pub mod workflow;
