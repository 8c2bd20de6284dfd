//! The `processPayment` function. Created by orderflow-codegen once; this file is yours and is never overwritten.
use crate::errors;
use crate::generated::errors::ProcessPaymentError;
use crate::generated::functions::ProcessPayment;
use crate::generated::types::{ProcessPaymentInput, ProcessPaymentOutput};
use crate::store::{PaymentGateway, SimulatedPayments};

/// Processes the order's payment (simulated) and reports whether it succeeded.
///
/// A declined payment is not an error: it is `paymentSuccessful: false`, which the workflow's
/// Choice routes to the "Payment Failed" Fail state. An order whose items are not in stock is
/// never charged (the workflow does not send one here, but the input allows it).
#[derive(Debug, Clone)]
pub struct Handler<P = SimulatedPayments> {
    payments: P,
}

impl<P: PaymentGateway> Handler<P> {
    /// A handler charging through `payments`.
    pub fn new(payments: P) -> Self {
        Self { payments }
    }
}

/// The handler the Lambda binary runs: the seeded simulated payments.
pub fn handler() -> Handler {
    Handler::new(SimulatedPayments::seeded())
}

impl<P: PaymentGateway> ProcessPayment for Handler<P> {
    async fn process_payment(
        &self,
        input: ProcessPaymentInput,
    ) -> Result<ProcessPaymentOutput, ProcessPaymentError> {
        let order_id = errors::order_id(&input.order_id)?;
        let payment_successful = input.in_stock && self.payments.charge(order_id).await?;
        Ok(ProcessPaymentOutput {
            order_id: input.order_id,
            payment_successful,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::functions::ProcessPaymentFunction;
    use orderflow_runtime::{INVALID_INPUT, StepError, invoke_json};
    use serde_json::json;

    fn input(order_id: &str, in_stock: bool) -> ProcessPaymentInput {
        ProcessPaymentInput {
            order_id: order_id.into(),
            in_stock,
        }
    }

    #[tokio::test]
    async fn charges_the_order() {
        let payments = SimulatedPayments::seeded();
        let out = Handler::new(payments.clone())
            .process_payment(input("12345", true))
            .await
            .unwrap();
        assert_eq!(
            out,
            ProcessPaymentOutput {
                order_id: "12345".into(),
                payment_successful: true
            }
        );
        assert_eq!(payments.charged("12345"), Ok(Some(true)));
    }

    #[tokio::test]
    async fn a_declined_payment_is_unsuccessful() {
        let out = handler()
            .process_payment(input("30001", true))
            .await
            .unwrap();
        assert!(!out.payment_successful);
    }

    #[tokio::test]
    async fn an_order_not_in_stock_is_not_charged() {
        let payments = SimulatedPayments::seeded();
        let out = Handler::new(payments.clone())
            .process_payment(input("12345", false))
            .await
            .unwrap();
        assert!(!out.payment_successful);
        assert_eq!(payments.charged("12345"), Ok(None));
    }

    #[tokio::test]
    async fn empty_order_id_and_poisoned_store_are_other_errors() {
        let err = handler()
            .process_payment(input("", true))
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), INVALID_INPUT);
        let payments = SimulatedPayments::seeded();
        payments.poison();
        let err = Handler::new(payments)
            .process_payment(input("12345", true))
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), "StoreUnavailable");
    }

    /// checkInventory's output is the whole state processPayment receives.
    #[tokio::test]
    async fn json_examples() {
        let function = ProcessPaymentFunction(handler());
        let out = invoke_json(&function, json!({"orderId": "12345", "inStock": true})).await;
        assert_eq!(
            out,
            Ok(json!({"orderId": "12345", "paymentSuccessful": true}))
        );
        let out = invoke_json(&function, json!({"orderId": "30001", "inStock": true})).await;
        assert_eq!(
            out,
            Ok(json!({"orderId": "30001", "paymentSuccessful": false}))
        );
    }
}
