//! The `restoreQuantity` function. Created by orderflow-codegen once; this file is yours and is never overwritten.
//!
//! The handler is `store-checkout`'s, compiled against this crate's generated types.
#[path = "../../../store-checkout/src/functions/restore_quantity.rs"]
mod shared;
pub use shared::*;
