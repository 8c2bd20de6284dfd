//! The `checkInventory` function. Created by orderflow-codegen once; this file is yours and is never overwritten.
use crate::errors;
use crate::generated::errors::CheckInventoryError;
use crate::generated::functions::CheckInventory;
use crate::generated::types::{CheckInventoryInput, CheckInventoryOutput};
use crate::store::{BookStore, Books, InMemoryBooks, StoreError, or_exit};

/// Looks up the book by bookId and checks that its stock covers the requested quantity.
///
/// Raises `BookNotFound` for an unknown id and `BookOutOfStock` when the stock is below the
/// quantity. Reads only: the stock is reserved later, by `sqsWorker`.
#[derive(Debug, Clone)]
pub struct Handler<B = InMemoryBooks> {
    books: B,
}

impl<B: BookStore> Handler<B> {
    /// A handler reading `books`.
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

impl<B: BookStore> CheckInventory for Handler<B> {
    async fn check_inventory(
        &self,
        input: CheckInventoryInput,
    ) -> Result<CheckInventoryOutput, CheckInventoryError> {
        let quantity = errors::quantity("quantity", input.quantity)?;
        let Some(book) = self.books.book(&input.book_id).await? else {
            return Err(CheckInventoryError::BookNotFound(
                StoreError::BookNotFound(input.book_id).to_string(),
            ));
        };
        if book.quantity < quantity {
            return Err(CheckInventoryError::BookOutOfStock(format!(
                "book {:?} has {} copies in stock, {quantity} ordered",
                book.book_id, book.quantity
            )));
        }
        Ok(CheckInventoryOutput {
            book_id: book.book_id,
            title: book.title,
            quantity: book.quantity,
            price: book.price,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::functions::CheckInventoryFunction;
    use crate::store::InMemoryBooks;
    use orderflow_runtime::{INVALID_INPUT, StepError, invoke_json};
    use serde_json::json;

    fn input(book_id: &str, quantity: u64) -> CheckInventoryInput {
        CheckInventoryInput {
            book_id: book_id.into(),
            quantity,
        }
    }

    #[tokio::test]
    async fn returns_the_book_when_the_stock_covers_the_quantity() {
        let out = handler().check_inventory(input("100", 10)).await.unwrap();
        assert_eq!(
            out,
            CheckInventoryOutput {
                book_id: "100".into(),
                title: "The Rust Programming Language".into(),
                quantity: 10,
                price: 39.5,
            }
        );
    }

    #[tokio::test]
    async fn does_not_change_the_stock() {
        let books = InMemoryBooks::seeded();
        Handler::new(books.clone())
            .check_inventory(input("100", 2))
            .await
            .unwrap();
        assert_eq!(books.book("100").await.unwrap().unwrap().quantity, 10);
    }

    #[tokio::test]
    async fn unknown_book_is_book_not_found() {
        let err = handler()
            .check_inventory(input("999", 1))
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), "BookNotFound");
        assert_eq!(err.to_string(), r#"no book has id "999""#);
    }

    #[tokio::test]
    async fn stock_below_the_quantity_is_book_out_of_stock() {
        let err = handler()
            .check_inventory(input("100", 1000))
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), "BookOutOfStock");
        assert_eq!(
            err.to_string(),
            r#"book "100" has 10 copies in stock, 1000 ordered"#
        );
    }

    #[tokio::test]
    async fn zero_quantity_is_invalid_input() {
        let err = handler()
            .check_inventory(input("100", 0))
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), INVALID_INPUT);
    }

    #[tokio::test]
    async fn a_poisoned_store_is_store_unavailable() {
        let books = InMemoryBooks::seeded();
        books.poison();
        let err = Handler::new(books)
            .check_inventory(input("100", 1))
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), "StoreUnavailable");
    }

    /// The whole execution input arrives (checkInventory has no Parameters); extra fields are
    /// ignored, and the output is the book record at $.book.
    #[tokio::test]
    async fn json_happy_path_example() {
        let function = CheckInventoryFunction(handler());
        let out = invoke_json(
            &function,
            json!({"userId": "1", "bookId": "100", "quantity": 2, "redeem": false}),
        )
        .await;
        assert_eq!(
            out,
            Ok(json!({
                "bookId": "100",
                "title": "The Rust Programming Language",
                "quantity": 10,
                "price": 39.5
            }))
        );
    }

    #[tokio::test]
    async fn json_errors_keep_their_names() {
        let function = CheckInventoryFunction(handler());
        let unknown = json!({"userId": "1", "bookId": "999", "quantity": 1, "redeem": false});
        let err = invoke_json(&function, unknown).await.unwrap_err();
        assert_eq!(err.error, "BookNotFound");
        let too_many = json!({"userId": "1", "bookId": "100", "quantity": 1000, "redeem": false});
        let err = invoke_json(&function, too_many).await.unwrap_err();
        assert_eq!(err.error, "BookOutOfStock");
    }
}
