//! The `restoreQuantity` function. Created by orderflow-codegen once; this file is yours and is never overwritten.
use crate::errors;
use crate::generated::errors::RestoreQuantityError;
use crate::generated::functions::RestoreQuantity;
use crate::generated::types::{RestoreQuantityInput, RestoreQuantityOutput};
use crate::store::{BookStore, Books, InMemoryBooks, or_exit};

/// Compensation: adds the ordered quantity back to the book's stock.
///
/// Undoes `sqsWorker`'s reservation after `NoCourierAvailable`. An unknown book is `BookNotFound`
/// and an overflowing stock `StockOverflow` (both through `Other`: the manifest declares no errors
/// for it).
#[derive(Debug, Clone)]
pub struct Handler<B = InMemoryBooks> {
    books: B,
}

impl<B: BookStore> Handler<B> {
    /// A handler restocking `books`.
    pub fn new(books: B) -> Self {
        Self { books }
    }
}

/// The handler the Lambda binary runs: the table named by `BOOKS_TABLE`, or the seeded
/// in-memory books when it is not set. With `BOOKS_TABLE` set in a build without the `aws`
/// feature it ends the process at start-up, saying so ([`or_exit`]).
pub fn handler() -> Handler<Books> {
    Handler::new(or_exit(Books::from_env()))
}

impl<B: BookStore> RestoreQuantity for Handler<B> {
    async fn restore_quantity(
        &self,
        input: RestoreQuantityInput,
    ) -> Result<RestoreQuantityOutput, RestoreQuantityError> {
        let quantity = errors::quantity("quantity", input.quantity)?;
        self.books.restock(&input.book_id, quantity).await?;
        Ok(RestoreQuantityOutput::QuantityRestored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::functions::RestoreQuantityFunction;
    use crate::store::InMemoryBooks;
    use orderflow_runtime::{INVALID_INPUT, StepError, invoke_json};
    use serde_json::json;

    fn input(book_id: &str, quantity: u64) -> RestoreQuantityInput {
        RestoreQuantityInput {
            book_id: book_id.into(),
            quantity,
        }
    }

    #[tokio::test]
    async fn adds_the_quantity_back() {
        let books = InMemoryBooks::seeded();
        books.reserve("token", "101", 6).await.unwrap();
        let out = Handler::new(books.clone())
            .restore_quantity(input("101", 6))
            .await
            .unwrap();
        assert_eq!(out, RestoreQuantityOutput::QuantityRestored);
        assert_eq!(books.book("101").await.unwrap().unwrap().quantity, 20);
    }

    #[tokio::test]
    async fn unknown_book_overflow_and_zero_are_other_errors() {
        let err = handler()
            .restore_quantity(input("999", 1))
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), "BookNotFound");
        let err = handler()
            .restore_quantity(input("100", u64::MAX))
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), "StockOverflow");
        let err = handler()
            .restore_quantity(input("100", 0))
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), INVALID_INPUT);
    }

    #[tokio::test]
    async fn a_poisoned_store_is_store_unavailable() {
        let books = InMemoryBooks::seeded();
        books.poison();
        let err = Handler::new(books)
            .restore_quantity(input("100", 1))
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), "StoreUnavailable");
    }

    /// no-courier.json's state at RestoreQuantity (after PrepareOrder's Catch and RefundCustomer).
    #[tokio::test]
    async fn json_example() {
        let books = InMemoryBooks::seeded();
        let function = RestoreQuantityFunction(Handler::new(books.clone()));
        let state = json!({
            "userId": "1", "bookId": "101", "quantity": 6, "redeem": false,
            "book": {"bookId": "101", "title": "Zero To Production In Rust", "quantity": 20, "price": 45.25},
            "total": {"total": 271.5},
            "billingStatus": "Successfully billed",
            "courierError": {"Error": "NoCourierAvailable", "Cause": "No couriers are available"},
            "refundStatus": "Customer is refunded"
        });
        let out = invoke_json(&function, state).await;
        assert_eq!(out, Ok(json!("Quantity restored")));
        assert_eq!(books.book("101").await.unwrap().unwrap().quantity, 26);
    }
}
