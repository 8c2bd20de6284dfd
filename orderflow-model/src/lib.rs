//! orderflow-model: reads a Step Functions workflow folder (ASL JSON + JSON Schemas + manifest)
//! into one checked model.
//!
//! The pipeline runs once per workflow: parse → validate → resolve schemas → check data flow.
//! Everything downstream (the generator and CLI in orderflow-codegen, the executor in
//! orderflow-exec, the derive macros) reads the resulting model.
#![deny(missing_docs)]

pub mod asl;
pub mod breaking;
pub mod derive;
pub mod diagnostic;
pub mod document;
mod flow;
pub mod infer;
pub mod json;
pub mod manifest;
mod pipeline;
pub mod schema;
pub mod shape;
pub mod source;
pub mod step_error;
mod suggest;
#[cfg(feature = "yaml")]
pub mod template;
pub mod workflow;
#[cfg(feature = "yaml")]
pub mod yaml;

pub use pipeline::{Analysis, DefinitionErrors, analyze, load_state_machine};
