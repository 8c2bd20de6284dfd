//! The `calculateTotal` function. Created by orderflow-codegen once; this file is yours and is never overwritten.
use crate::errors;
use crate::generated::errors::CalculateTotalError;
use crate::generated::functions::CalculateTotal;
use crate::generated::types::{CalculateTotalInput, CalculateTotalOutput};

/// Computes the order total: book.price * quantity.
///
/// Pure: reads no store. A negative or non-finite price, a quantity of 0, or a total too large
/// for an `f64` is reported as `orderflow.InvalidInput` (uncaught by the workflow, so the
/// execution fails rather than billing a wrong amount).
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
        let price = errors::amount("book.price", input.book.price)?;
        let quantity = errors::quantity("quantity", input.quantity)?;
        // Exact for any quantity below 2^53, far beyond any stock.
        let total = errors::amount("total", price * quantity as f64)?;
        Ok(CalculateTotalOutput { total })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::functions::CalculateTotalFunction;
    use crate::generated::types::BookPrice;
    use orderflow_runtime::{INVALID_INPUT, StepError, invoke_json};
    use serde_json::json;

    fn input(price: f64, quantity: u64) -> CalculateTotalInput {
        CalculateTotalInput {
            book: BookPrice { price },
            quantity,
        }
    }

    #[tokio::test]
    async fn total_is_price_times_quantity() {
        let out = handler().calculate_total(input(39.5, 2)).await.unwrap();
        assert_eq!(out, CalculateTotalOutput { total: 79.0 });
        let out = handler().calculate_total(input(45.25, 6)).await.unwrap();
        assert_eq!(out.total, 271.5);
    }

    #[tokio::test]
    async fn invalid_amounts_are_invalid_input() {
        for (price, quantity) in [(-1.0, 1), (f64::NAN, 1), (39.5, 0), (f64::MAX, 2)] {
            let err = handler()
                .calculate_total(input(price, quantity))
                .await
                .unwrap_err();
            assert_eq!(err.error_type(), INVALID_INPUT, "{price} * {quantity}");
        }
    }

    /// The state after checkInventory: the book record sits at $.book, with more fields than
    /// calculateTotal reads.
    #[tokio::test]
    async fn json_example() {
        let state = json!({
            "userId": "1", "bookId": "100", "quantity": 2, "redeem": false,
            "book": {"bookId": "100", "title": "The Rust Programming Language", "quantity": 10, "price": 39.5}
        });
        let out = invoke_json(&CalculateTotalFunction(handler()), state).await;
        assert_eq!(out, Ok(json!({"total": 79.0})));
    }
}
