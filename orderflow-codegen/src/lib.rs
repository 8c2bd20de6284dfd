//! orderflow-codegen: reads a Step Functions workflow folder (ASL JSON + JSON Schemas +
//! manifest) into one checked model, and generates what must agree with it.
//!
//! The pipeline runs once per workflow: parse → validate → resolve schemas → check data flow.
//! Everything downstream (CLI, build.rs, proc-macro, emitters) reads the resulting model.

pub mod asl;
pub mod builder;
pub mod cli;
pub mod derive;
pub mod diagnostic;
pub mod emit;
pub mod exec;
pub mod flow;
pub mod json;
pub mod manifest;
pub mod output;
pub mod schema;
pub mod source;
pub mod step_error;
pub mod suggest;
pub mod workflow;

pub use builder::Builder;
