//! The `calculateTotal` function. Created by orderflow-codegen once; this file is yours and is never overwritten.
use crate::generated::errors::CalculateTotalError;
use crate::generated::functions::CalculateTotal;
use crate::generated::types::{CalculateTotalInput, CalculateTotalOutput};
/// Computes the order total: book.price * quantity.
#[derive(Debug, Clone, Default)]
pub struct Handler;
/// The handler the Lambda binary runs.
pub fn handler() -> Handler {
    Handler
}
impl CalculateTotal for Handler {
    async fn calculate_total(
        &self,
        input: CalculateTotalInput,
    ) -> Result<CalculateTotalOutput, CalculateTotalError> {
        let _ = input;
        Err(CalculateTotalError::Other {
            error_type: "NotImplemented".to_owned(),
            message: "calculateTotal is not implemented yet: edit src/functions/calculate_total.rs"
                .to_owned(),
        })
    }
}
