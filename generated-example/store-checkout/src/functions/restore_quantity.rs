//! The `restoreQuantity` function. Created by orderflow-codegen once; this file is yours and is never overwritten.
use crate::generated::errors::RestoreQuantityError;
use crate::generated::functions::RestoreQuantity;
use crate::generated::types::{RestoreQuantityInput, RestoreQuantityOutput};
/// Compensation: adds the ordered quantity back to the book's stock.
#[derive(Debug, Clone, Default)]
pub struct Handler;
/// The handler the Lambda binary runs.
pub fn handler() -> Handler {
    Handler
}
impl RestoreQuantity for Handler {
    async fn restore_quantity(
        &self,
        input: RestoreQuantityInput,
    ) -> Result<RestoreQuantityOutput, RestoreQuantityError> {
        let _ = input;
        Err(RestoreQuantityError::Other {
            error_type: "NotImplemented".to_owned(),
            message:
                "restoreQuantity is not implemented yet: edit src/functions/restore_quantity.rs"
                    .to_owned(),
        })
    }
}
