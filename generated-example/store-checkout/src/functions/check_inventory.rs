//! The `checkInventory` function. Created by orderflow-codegen once; this file is yours and is never overwritten.
use crate::generated::errors::CheckInventoryError;
use crate::generated::functions::CheckInventory;
use crate::generated::types::{CheckInventoryInput, CheckInventoryOutput};
/// Looks up the book by bookId and checks that its stock covers the requested quantity.
#[derive(Debug, Clone, Default)]
pub struct Handler;
/// The handler the Lambda binary runs.
pub fn handler() -> Handler {
    Handler
}
impl CheckInventory for Handler {
    async fn check_inventory(
        &self,
        input: CheckInventoryInput,
    ) -> Result<CheckInventoryOutput, CheckInventoryError> {
        let _ = input;
        Err(CheckInventoryError::Other {
            error_type: "NotImplemented".to_owned(),
            message: "checkInventory is not implemented yet: edit src/functions/check_inventory.rs"
                .to_owned(),
        })
    }
}
