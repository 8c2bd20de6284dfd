//! orderflow-codegen: checks Step Functions workflows and generates the Rust, the deployment
//! templates and the diagrams that must agree with them; the `orderflow-codegen` command and the
//! build-script API ([`Builder`]).
//!
//! The model comes from orderflow-model and the executor behind `run` from orderflow-exec.
//!
//! The public surface is what build scripts, the binary and the integration tests call: the
//! [`Builder`], [`run_cli`], the generators of a workflow's files ([`generated_module`],
//! [`crate_files`], the deployment templates) and the rustc-style [`render_human`]. Everything
//! else (the CLI's commands, file writing, the emitters' internals) is private, so it can change
//! without breaking a caller.
#![deny(missing_docs)]

mod builder;
mod cli;
mod coverage;
mod emit;
mod explore;
mod init;
mod output;
mod reads;
mod render;

pub use builder::{BuildError, Builder, Generated};
pub use cli::main as run_cli;
pub use emit::cargo_manifest::check as check_cargo_manifest;
pub use emit::deploy::{
    WILDCARD_ONLY_ACTIONS, iam_statements, sam_template, sam_template_value, serverless_template,
    serverless_value,
};
pub use emit::paths::{CratePaths, GitReference, Runtime, RuntimeParseError};
pub use emit::{FileKind, OutputFile, crate_files, generated_module};
pub use explore::{
    Exploration, ExploreError, ExploreOptions, Finding, FindingKind, FindingSeverity, Reproduction,
    Unreached, explore,
};
pub use render::render_human;
