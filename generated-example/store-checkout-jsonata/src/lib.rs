//! The Lambda functions of the `store-checkout-jsonata` workflow: the JSONata version of
//! `store-checkout`, run by the same handlers.
//!
//! Both workflows are generated from the same function schemas, so their generated types are
//! the same, and a handler written for one compiles unchanged against the other: `functions`,
//! `store` and `errors` here are `store-checkout`'s own source files (through `#[path]`),
//! compiled against this crate's `generated` module. Moving a workflow from JSONPath to
//! JSONata changes its definition and its glue, not its handlers.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

#[path = "../../store-checkout/src/errors.rs"]
pub mod errors;
pub mod functions;
pub mod generated;
#[path = "../../store-checkout/src/store/mod.rs"]
pub mod store;
// The workflow run in process (tests, local runs): feature `local`.
#[cfg(feature = "local")]
pub mod workflow;
