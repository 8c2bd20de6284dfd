//! The Lambda binaries at start-up: with a table variable set in a build without the `aws`
//! feature, a function ends before it serves (exit status 1, its CloudWatch log saying which
//! variable and to build with `--features aws`) instead of running on its in-memory sample data.
//! Which of the two this test checks depends on the features it is built with: `cargo test -p
//! store-checkout` checks the refusal, `--features aws` that the same binaries start.

// A test fails by panicking: unwrap and expect say where.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/startup.rs"]
mod startup;

const AWS_FEATURE: bool = cfg!(feature = "aws");

#[test]
fn a_books_function_with_books_table_set() {
    startup::check(
        env!("CARGO_BIN_EXE_store-checkout-check-inventory"),
        "BOOKS_TABLE",
        AWS_FEATURE,
    );
}

#[test]
fn a_users_function_with_users_table_set() {
    startup::check(
        env!("CARGO_BIN_EXE_store-checkout-restore-redeem-points"),
        "USERS_TABLE",
        AWS_FEATURE,
    );
}
