//! The `checkInventory` function. Created by orderflow-codegen once; this file is yours and is never overwritten.
use crate::errors;
use crate::generated::errors::CheckInventoryError;
use crate::generated::functions::CheckInventory;
use crate::generated::types::{CheckInventoryInput, CheckInventoryOutput};
use crate::store::{InMemoryInventory, Inventory};

/// Checks whether the order's items are in stock.
///
/// Out of stock is not an error: it is `inStock: false`, which the workflow's Choice routes to
/// the "Out of Stock" Fail state.
#[derive(Debug, Clone)]
pub struct Handler<I = InMemoryInventory> {
    inventory: I,
}

impl<I: Inventory> Handler<I> {
    /// A handler reading `inventory`.
    pub fn new(inventory: I) -> Self {
        Self { inventory }
    }
}

/// The handler the Lambda binary runs: the seeded in-memory inventory.
pub fn handler() -> Handler {
    Handler::new(InMemoryInventory::seeded())
}

impl<I: Inventory> CheckInventory for Handler<I> {
    async fn check_inventory(
        &self,
        input: CheckInventoryInput,
    ) -> Result<CheckInventoryOutput, CheckInventoryError> {
        let in_stock = self
            .inventory
            .in_stock(errors::order_id(&input.order_id)?)
            .await?;
        Ok(CheckInventoryOutput {
            order_id: input.order_id,
            in_stock,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::functions::CheckInventoryFunction;
    use crate::store::StoreError;
    use orderflow_runtime::{INVALID_INPUT, StepError, invoke_json};
    use serde_json::json;

    fn input(order_id: &str) -> CheckInventoryInput {
        CheckInventoryInput {
            order_id: order_id.into(),
        }
    }

    #[tokio::test]
    async fn reports_whether_the_items_are_in_stock() {
        let out = handler().check_inventory(input("12345")).await.unwrap();
        assert_eq!(
            out,
            CheckInventoryOutput {
                order_id: "12345".into(),
                in_stock: true
            }
        );
        let out = handler().check_inventory(input("20001")).await.unwrap();
        assert!(!out.in_stock);
    }

    #[tokio::test]
    async fn an_empty_order_id_is_invalid_input() {
        let err = handler().check_inventory(input("")).await.unwrap_err();
        assert_eq!(err.error_type(), INVALID_INPUT);
    }

    /// An inventory that cannot be read.
    struct Unavailable;

    impl Inventory for Unavailable {
        async fn in_stock(&self, _: &str) -> Result<bool, StoreError> {
            Err(StoreError::Poisoned("inventory"))
        }
    }

    #[tokio::test]
    async fn an_unavailable_inventory_is_store_unavailable() {
        let err = Handler::new(Unavailable)
            .check_inventory(input("12345"))
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), "StoreUnavailable");
    }

    #[tokio::test]
    async fn json_examples() {
        let function = CheckInventoryFunction(handler());
        let out = invoke_json(&function, json!({"orderId": "12345"})).await;
        assert_eq!(out, Ok(json!({"orderId": "12345", "inStock": true})));
        let out = invoke_json(&function, json!({"orderId": "20001"})).await;
        assert_eq!(out, Ok(json!({"orderId": "20001", "inStock": false})));
    }
}
