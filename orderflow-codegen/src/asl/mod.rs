//! Amazon States Language: the typed model, its parser and its validator.

pub mod intrinsic;
pub mod path;
