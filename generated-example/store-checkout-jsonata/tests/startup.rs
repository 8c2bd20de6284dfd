//! The Lambda binaries at start-up, as store-checkout's `tests/startup.rs` checks its own (the
//! handlers and stores are the same source files): with a table variable set in a build without
//! the `aws` feature, a function ends before it serves instead of running on its in-memory
//! sample data; with the feature, or without the variable, it gets to the Lambda runtime.

// A test fails by panicking: unwrap and expect say where.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../store-checkout/tests/support/startup.rs"]
mod startup;

const AWS_FEATURE: bool = cfg!(feature = "aws");

#[test]
fn a_books_function_with_books_table_set() {
    startup::check(
        env!("CARGO_BIN_EXE_store-checkout-jsonata-check-inventory"),
        "BOOKS_TABLE",
        AWS_FEATURE,
    );
}

#[test]
fn a_users_function_with_users_table_set() {
    startup::check(
        env!("CARGO_BIN_EXE_store-checkout-jsonata-restore-redeem-points"),
        "USERS_TABLE",
        AWS_FEATURE,
    );
}
