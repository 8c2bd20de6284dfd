//! The `restoreQuantity` function. Created by orderflow-codegen once; this file is yours and is never overwritten.
use crate::generated::errors::RestoreQuantityError;
use crate::generated::functions::RestoreQuantity;
use crate::generated::types::{RestoreQuantityInput, RestoreQuantityOutput};
use crate::store::{BookStore, Books, InMemoryBooks, StoreError, or_exit};

/// Compensation: gives back to the book's stock the copies sqsWorker reserved in this execution,
/// once per execution.
///
/// Undoes `sqsWorker`'s reservation after `NoCourierAvailable`. What is put back is what the
/// worker recorded as reserved under the execution's id, not a quantity from the execution's
/// state: the recorded copies, once, however often the call is retried. When nothing was
/// reserved under the id (the worker did not reserve, or the stock did not cover the order),
/// nothing changes and the function still returns `"Quantity restored"`, since a compensation
/// must be safe to run on any path; an unknown book has no reservation either. A stock that
/// would overflow is `StockOverflow`, and a failing store `StoreUnavailable` (both through
/// `Other`: the manifest declares no errors for it).
#[derive(Debug, Clone)]
pub struct Handler<B = InMemoryBooks> {
    books: B,
}

impl<B: BookStore> Handler<B> {
    /// A handler releasing reservations of `books`.
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
        match self
            .books
            .release_reservation(&input.execution_id, &input.book_id)
            .await
        {
            Ok(_) | Err(StoreError::BookNotFound(_)) => Ok(RestoreQuantityOutput::QuantityRestored),
            Err(error) => Err(error.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::functions::RestoreQuantityFunction;
    use crate::store::InMemoryBooks;
    use orderflow_runtime::{StepError, invoke_json};
    use serde_json::json;

    const EXECUTION: &str = "arn:aws:states:us-east-1:123456789012:execution:StoreCheckout:x";

    fn input(book_id: &str) -> RestoreQuantityInput {
        RestoreQuantityInput {
            book_id: book_id.into(),
            execution_id: EXECUTION.into(),
        }
    }

    async fn stock(books: &InMemoryBooks, book_id: &str) -> u64 {
        books.book(book_id).await.unwrap().unwrap().quantity
    }

    #[tokio::test]
    async fn puts_the_reserved_copies_back() {
        let books = InMemoryBooks::seeded();
        books.reserve(EXECUTION, "101", 6).await.unwrap();
        let out = Handler::new(books.clone())
            .restore_quantity(input("101"))
            .await
            .unwrap();
        assert_eq!(out, RestoreQuantityOutput::QuantityRestored);
        assert_eq!(stock(&books, "101").await, 20);
    }

    #[tokio::test]
    async fn a_retried_invocation_puts_the_copies_back_once() {
        let books = InMemoryBooks::seeded();
        books.reserve(EXECUTION, "101", 6).await.unwrap();
        let handler = Handler::new(books.clone());
        for _ in 0..3 {
            handler.restore_quantity(input("101")).await.unwrap();
        }
        assert_eq!(stock(&books, "101").await, 20);
    }

    #[tokio::test]
    async fn without_a_reservation_nothing_changes() {
        let books = InMemoryBooks::seeded();
        let handler = Handler::new(books.clone());
        // The worker never reserved for this execution.
        let out = handler.restore_quantity(input("101")).await.unwrap();
        assert_eq!(out, RestoreQuantityOutput::QuantityRestored);
        assert_eq!(stock(&books, "101").await, 20);
        // Another execution's reservation is not this one's to give back.
        books.reserve("another", "100", 3).await.unwrap();
        handler.restore_quantity(input("100")).await.unwrap();
        assert_eq!(stock(&books, "100").await, 7);
        // An unknown book has no reservation to give back.
        let out = handler.restore_quantity(input("999")).await.unwrap();
        assert_eq!(out, RestoreQuantityOutput::QuantityRestored);
    }

    #[tokio::test]
    async fn a_poisoned_store_is_store_unavailable() {
        let books = InMemoryBooks::seeded();
        books.poison();
        let err = Handler::new(books)
            .restore_quantity(input("100"))
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), "StoreUnavailable");
    }

    /// no-courier.json's state at RestoreQuantity (after PrepareOrder's Catch and
    /// RefundCustomer), as the state's Parameters pass it: the book and the execution id.
    #[tokio::test]
    async fn json_example() {
        let books = InMemoryBooks::seeded();
        // The worker reserved the 6 copies before it found no courier.
        books.reserve(EXECUTION, "101", 6).await.unwrap();
        let function = RestoreQuantityFunction(Handler::new(books.clone()));
        let state = json!({"bookId": "101", "executionId": EXECUTION});
        let out = invoke_json(&function, state).await;
        assert_eq!(out, Ok(json!("Quantity restored")));
        assert_eq!(stock(&books, "101").await, 20);
    }
}
