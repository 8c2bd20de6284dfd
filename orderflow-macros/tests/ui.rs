//! Compile-time checks of the derives, as a user meets them: `pass/` compiles, each `fail/` case
//! fails with the reviewed message in its `.stderr`.
//!
//! The cases name their workflow relative to trybuild's project folder
//! (`target/tests/trybuild/orderflow-macros`), which is where `CARGO_MANIFEST_DIR` points while
//! they compile; so they expect the default `target` folder of this workspace.

// A test fails by panicking: unwrap and expect say where (the workspace denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
