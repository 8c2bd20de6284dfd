//! The `updateOrderStatus` function. Created by orderflow-codegen once; this file is yours and is never overwritten.
use crate::errors;
use crate::generated::errors::UpdateOrderStatusError;
use crate::generated::functions::UpdateOrderStatus;
use crate::generated::types::{UpdateOrderStatusInput, UpdateOrderStatusOutput};
use crate::store::{InMemoryOrders, OrderStatus, OrderStore};

/// Records and returns the order's status: Confirmed if the payment succeeded, Failed otherwise.
///
/// (The Node original always wrote "Completed" and stored nothing.) With this state machine it
/// only runs after a successful payment, so it writes "Confirmed"; "Failed" is for callers that
/// route a failed payment here.
#[derive(Debug, Clone)]
pub struct Handler<O = InMemoryOrders> {
    orders: O,
}

impl<O: OrderStore> Handler<O> {
    /// A handler recording statuses in `orders`.
    pub fn new(orders: O) -> Self {
        Self { orders }
    }
}

/// The handler the Lambda binary runs: an empty in-memory order store.
pub fn handler() -> Handler {
    Handler::new(InMemoryOrders::new())
}

impl<O: OrderStore> UpdateOrderStatus for Handler<O> {
    async fn update_order_status(
        &self,
        input: UpdateOrderStatusInput,
    ) -> Result<UpdateOrderStatusOutput, UpdateOrderStatusError> {
        let order_id = errors::order_id(&input.order_id)?;
        let status = if input.payment_successful {
            OrderStatus::Confirmed
        } else {
            OrderStatus::Failed
        };
        self.orders.set_status(order_id, status).await?;
        Ok(UpdateOrderStatusOutput {
            order_id: input.order_id,
            status,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::functions::UpdateOrderStatusFunction;
    use orderflow_runtime::{INVALID_INPUT, StepError, invoke_json};
    use serde_json::json;

    fn input(order_id: &str, payment_successful: bool) -> UpdateOrderStatusInput {
        UpdateOrderStatusInput {
            order_id: order_id.into(),
            payment_successful,
        }
    }

    #[tokio::test]
    async fn a_successful_payment_confirms_the_order() {
        let orders = InMemoryOrders::new();
        let out = Handler::new(orders.clone())
            .update_order_status(input("12345", true))
            .await
            .unwrap();
        assert_eq!(
            out,
            UpdateOrderStatusOutput {
                order_id: "12345".into(),
                status: OrderStatus::Confirmed
            }
        );
        assert_eq!(
            orders.status("12345").await,
            Ok(Some(OrderStatus::Confirmed))
        );
    }

    #[tokio::test]
    async fn a_failed_payment_fails_the_order() {
        let orders = InMemoryOrders::new();
        let out = Handler::new(orders.clone())
            .update_order_status(input("30001", false))
            .await
            .unwrap();
        assert_eq!(out.status, OrderStatus::Failed);
        assert_eq!(orders.status("30001").await, Ok(Some(OrderStatus::Failed)));
    }

    #[tokio::test]
    async fn empty_order_id_and_poisoned_store_are_other_errors() {
        let err = handler()
            .update_order_status(input("", true))
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), INVALID_INPUT);
        let orders = InMemoryOrders::new();
        orders.poison();
        let err = Handler::new(orders)
            .update_order_status(input("12345", true))
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), "StoreUnavailable");
    }

    /// confirmed.json's last step: the output is the execution's output.
    #[tokio::test]
    async fn json_examples() {
        let function = UpdateOrderStatusFunction(handler());
        let out = invoke_json(
            &function,
            json!({"orderId": "12345", "paymentSuccessful": true}),
        )
        .await;
        assert_eq!(out, Ok(json!({"orderId": "12345", "status": "Confirmed"})));
        let out = invoke_json(
            &function,
            json!({"orderId": "30001", "paymentSuccessful": false}),
        )
        .await;
        assert_eq!(out, Ok(json!({"orderId": "30001", "status": "Failed"})));
    }
}
