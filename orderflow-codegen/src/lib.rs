//! orderflow-codegen: checks Step Functions workflows and generates the Rust, the deployment
//! templates and the diagrams that must agree with them; the `orderflow-codegen` command and the
//! build-script API ([`Builder`]).
//!
//! The model comes from orderflow-model and the executor behind `run` from orderflow-exec.

pub mod builder;
pub mod cli;
pub mod emit;
pub mod output;
mod render;

pub use builder::Builder;
pub use render::render_human;
