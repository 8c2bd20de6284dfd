//! Amazon States Language: the typed model, its parser and its validator.

pub mod error_names;
pub mod intrinsic;
pub mod jsonata;
pub mod model;
pub(crate) mod parse;
pub mod path;
pub mod timestamp;
pub mod validate;

pub use parse::{FunctionCatalog, lambda_arn, parse_state_machine, placeholder_name};
