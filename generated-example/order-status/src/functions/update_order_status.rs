//! The `updateOrderStatus` function. Created by orderflow-codegen once; this file is yours and is never overwritten.
use crate::generated::errors::UpdateOrderStatusError;
use crate::generated::functions::UpdateOrderStatus;
use crate::generated::types::{UpdateOrderStatusInput, UpdateOrderStatusOutput};
/// Records and returns the order's status: Confirmed if the payment succeeded, Failed otherwise.
#[derive(Debug, Clone, Default)]
pub struct Handler;
/// The handler the Lambda binary runs.
pub fn handler() -> Handler {
    Handler
}
impl UpdateOrderStatus for Handler {
    async fn update_order_status(
        &self,
        input: UpdateOrderStatusInput,
    ) -> Result<UpdateOrderStatusOutput, UpdateOrderStatusError> {
        let _ = input;
        Err(UpdateOrderStatusError::Other {
            error_type: "NotImplemented".to_owned(),
            message: "updateOrderStatus is not implemented yet: edit src/functions/update_order_status.rs"
                .to_owned(),
        })
    }
}
