//! The `sqsWorker` function. Created by orderflow-codegen once; this file is yours and is never overwritten.
use crate::errors;
use crate::generated::errors::SqsWorkerError;
use crate::generated::functions::SqsWorker;
use crate::generated::types::{SqsWorkerInput, SqsWorkerOutput};
use crate::store::{BookStore, Books, CourierPool, InMemoryBooks, InMemoryCouriers, or_exit};

/// Consumes the orders queue: reserves the ordered quantity from stock under the execution's id (once per execution) and assigns a courier, completing PrepareOrder's task token with the courier or with NoCourierAvailable.
///
/// The reservation comes first and stays when no courier is available: the workflow's
/// compensation (RestoreQuantity) puts it back. It is keyed by the execution's id (the message's
/// `ExecutionId`), not the task token: a redelivered message does not reserve twice, nor does
/// PrepareOrder run again in the same execution (a new token), and restoreQuantity, which gets
/// the same id, releases exactly what was reserved. Stock that no longer covers the order
/// (another order took it since checkInventory) is `BookOutOfStock` through `Other`, which
/// PrepareOrder does not catch.
#[derive(Debug, Clone)]
pub struct Handler<B = InMemoryBooks, C = InMemoryCouriers> {
    books: B,
    couriers: C,
}

impl<B: BookStore, C: CourierPool> Handler<B, C> {
    /// A handler reserving from `books` and assigning from `couriers`.
    pub fn new(books: B, couriers: C) -> Self {
        Self { books, couriers }
    }
}

/// The handler the Lambda binary runs: the table named by `BOOKS_TABLE` or the seeded in-memory
/// books when it is not set, and the seeded couriers. With `BOOKS_TABLE` set in a build without the
/// `aws` feature it ends the process at start-up, saying so ([`or_exit`]).
pub fn handler() -> Handler<Books> {
    Handler::new(or_exit(Books::from_env()), InMemoryCouriers::seeded())
}

impl<B: BookStore, C: CourierPool> SqsWorker for Handler<B, C> {
    async fn sqs_worker(&self, input: SqsWorkerInput) -> Result<SqsWorkerOutput, SqsWorkerError> {
        let order = input.input;
        let quantity = errors::quantity("Input.quantity", order.quantity)?;
        self.books
            .reserve(&input.execution_id, &order.book_id, quantity)
            .await?;
        match self.couriers.assign(quantity).await? {
            Some(courier) => Ok(SqsWorkerOutput {
                courier: courier.email,
            }),
            None => Err(SqsWorkerError::NoCourierAvailable(
                "No couriers are available".to_owned(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::functions::SqsWorkerFunction;
    use crate::generated::types::OrderState;
    use crate::store::{InMemoryBooks, Release};
    use orderflow_runtime::aws_lambda_events::event::sqs::SqsEvent;
    use orderflow_runtime::{
        INVALID_INPUT, InProcessCallbacks, StepError, TaskOutcome, handle_sqs_batch, invoke_json,
    };
    use serde_json::{Value, json};

    /// A message of execution `execution` (whose task token is derived from it).
    fn input(execution: &str, book_id: &str, quantity: u64) -> SqsWorkerInput {
        SqsWorkerInput {
            input: OrderState {
                book_id: book_id.into(),
                quantity,
            },
            token: format!("token-of-{execution}"),
            execution_id: execution.into(),
        }
    }

    async fn stock(books: &InMemoryBooks, book_id: &str) -> u64 {
        books.book(book_id).await.unwrap().unwrap().quantity
    }

    #[tokio::test]
    async fn reserves_the_stock_and_assigns_the_courier() {
        let books = InMemoryBooks::seeded();
        let handler = Handler::new(books.clone(), InMemoryCouriers::seeded());
        let out = handler.sqs_worker(input("tok", "100", 2)).await.unwrap();
        assert_eq!(
            out,
            SqsWorkerOutput {
                courier: "courier@example.com".into()
            }
        );
        assert_eq!(stock(&books, "100").await, 8);
    }

    #[tokio::test]
    async fn a_redelivered_message_reserves_once() {
        let books = InMemoryBooks::seeded();
        let handler = Handler::new(books.clone(), InMemoryCouriers::seeded());
        handler.sqs_worker(input("tok", "100", 2)).await.unwrap();
        handler.sqs_worker(input("tok", "100", 2)).await.unwrap();
        assert_eq!(stock(&books, "100").await, 8);
    }

    #[tokio::test]
    async fn the_reservation_is_the_executions_whatever_the_token() {
        let books = InMemoryBooks::seeded();
        let handler = Handler::new(books.clone(), InMemoryCouriers::seeded());
        let mut message = input("x-1", "101", 6);
        handler.sqs_worker(message.clone()).await.unwrap_err();
        // The same execution's message with another token (PrepareOrder run again) reserves
        // nothing more.
        message.token = "another-token".into();
        handler.sqs_worker(message).await.unwrap_err();
        assert_eq!(stock(&books, "101").await, 14);
        // Recorded under the execution's id: that is what restoreQuantity releases.
        assert_eq!(
            books.release_reservation("x-1", "101").await,
            Ok(Release::Released(6))
        );
        assert_eq!(stock(&books, "101").await, 20);
    }

    #[tokio::test]
    async fn more_than_a_courier_takes_is_no_courier_available_and_the_stock_stays_reserved() {
        let books = InMemoryBooks::seeded();
        let handler = Handler::new(books.clone(), InMemoryCouriers::seeded());
        let err = handler
            .sqs_worker(input("tok", "101", 6))
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), "NoCourierAvailable");
        assert_eq!(err.to_string(), "No couriers are available");
        assert_eq!(stock(&books, "101").await, 14);
    }

    #[tokio::test]
    async fn stock_taken_since_check_inventory_is_book_out_of_stock_and_reserves_nothing() {
        let books = InMemoryBooks::seeded();
        let handler = Handler::new(books.clone(), InMemoryCouriers::seeded());
        let err = handler
            .sqs_worker(input("tok", "100", 11))
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), "BookOutOfStock");
        assert_eq!(stock(&books, "100").await, 10);
    }

    #[tokio::test]
    async fn unknown_book_zero_quantity_and_poisoned_store_are_other_errors() {
        let err = handler()
            .sqs_worker(input("tok", "999", 1))
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), "BookNotFound");
        let err = handler()
            .sqs_worker(input("tok", "100", 0))
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), INVALID_INPUT);
        let books = InMemoryBooks::seeded();
        books.poison();
        let err = Handler::new(books, InMemoryCouriers::seeded())
            .sqs_worker(input("tok", "100", 1))
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), "StoreUnavailable");
    }

    /// PrepareOrder's MessageBody: `{"Input.$": "$", "Token.$": "$$.Task.Token",
    /// "ExecutionId.$": "$$.Execution.Id"}`, the whole state with extra fields.
    fn message_body(token: &str, book_id: &str, quantity: u64) -> Value {
        json!({
            "Input": {
                "userId": "1", "bookId": book_id, "quantity": quantity, "redeem": false,
                "book": {"bookId": book_id, "title": "A book", "quantity": 20, "price": 45.25},
                "total": {"total": 90.5},
                "billingStatus": "Successfully billed"
            },
            "Token": token,
            "ExecutionId": format!("execution-of-{token}")
        })
    }

    #[tokio::test]
    async fn json_example() {
        let function = SqsWorkerFunction(handler());
        let out = invoke_json(&function, message_body("tok-1", "101", 2)).await;
        assert_eq!(out, Ok(json!({"courier": "courier@example.com"})));
    }

    /// The deployed path: an SQS event whose records carry the message bodies; each completes its
    /// task token.
    #[tokio::test]
    async fn sqs_batch_completes_the_task_tokens() {
        let books = InMemoryBooks::seeded();
        let function = SqsWorkerFunction(Handler::new(books.clone(), InMemoryCouriers::seeded()));
        let record = |id: &str, body: Value| json!({"messageId": id, "body": body.to_string(), "eventSource": "aws:sqs"});
        let event: SqsEvent = serde_json::from_value(json!({"Records": [
            record("m-1", message_body("tok-1", "101", 2)),
            record("m-2", message_body("tok-2", "101", 6)),
        ]}))
        .unwrap();
        let callbacks = InProcessCallbacks::new();
        let response = handle_sqs_batch(&function, &callbacks, event).await;
        assert!(response.batch_item_failures.is_empty());
        assert_eq!(
            callbacks.outcomes(),
            vec![
                TaskOutcome::Success {
                    token: "tok-1".into(),
                    output: json!({"courier": "courier@example.com"}),
                },
                TaskOutcome::Failure {
                    token: "tok-2".into(),
                    error: "NoCourierAvailable".into(),
                    cause: "No couriers are available".into(),
                },
            ]
        );
        assert_eq!(stock(&books, "101").await, 12);
    }
}
