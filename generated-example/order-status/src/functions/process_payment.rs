//! The `processPayment` function. Created by orderflow-codegen once; this file is yours and is never overwritten.
use crate::generated::errors::ProcessPaymentError;
use crate::generated::functions::ProcessPayment;
use crate::generated::types::{ProcessPaymentInput, ProcessPaymentOutput};
/// Processes the order's payment (simulated) and reports whether it succeeded.
#[derive(Debug, Clone, Default)]
pub struct Handler;
/// The handler the Lambda binary runs.
pub fn handler() -> Handler {
    Handler
}
impl ProcessPayment for Handler {
    async fn process_payment(
        &self,
        input: ProcessPaymentInput,
    ) -> Result<ProcessPaymentOutput, ProcessPaymentError> {
        let _ = input;
        Err(ProcessPaymentError::Other {
            error_type: "NotImplemented".to_owned(),
            message: "processPayment is not implemented yet: edit src/functions/process_payment.rs"
                .to_owned(),
        })
    }
}
