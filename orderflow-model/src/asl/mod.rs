//! Amazon States Language: the typed model, its parser and its validator.

pub mod error_names;
pub mod intrinsic;
pub mod jsonata;
pub mod model;
pub mod parse;
pub mod path;
pub mod timestamp;
pub mod validate;
