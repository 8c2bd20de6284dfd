//! The `billCustomer` function. Created by orderflow-codegen once; this file is yours and is never overwritten.
use crate::generated::errors::BillCustomerError;
use crate::generated::functions::BillCustomer;
use crate::generated::types::{BillCustomerInput, BillCustomerOutput};
/// Charges the customer the total (simulated); fails when the user has no payment method.
#[derive(Debug, Clone, Default)]
pub struct Handler;
/// The handler the Lambda binary runs.
pub fn handler() -> Handler {
    Handler
}
impl BillCustomer for Handler {
    async fn bill_customer(
        &self,
        input: BillCustomerInput,
    ) -> Result<BillCustomerOutput, BillCustomerError> {
        let _ = input;
        Err(BillCustomerError::Other {
            error_type: "NotImplemented".to_owned(),
            message: "billCustomer is not implemented yet: edit src/functions/bill_customer.rs"
                .to_owned(),
        })
    }
}
