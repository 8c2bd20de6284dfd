//! The two example workflows run end to end in process: the generated glue
//! (`generated-example/*/src/workflow.rs`) binds every Task state to the real handlers of
//! `generated-example`, and the executor runs the ASL of `definitions/`. Each test starts from
//! fresh seeded stores (see `definitions/*/examples/README.md`) and checks the execution's
//! status and output, the states it visited, and the stores afterwards.

// A test fails by panicking: unwrap and expect say where (the workspace denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use orderflow_runtime::local::{ContractKind, EventType, Execution, ExecutionStatus};
use serde_json::{Value, json};

mod store_checkout {
    use super::*;
    use ::store_checkout::functions::{
        bill_customer, calculate_total, check_inventory, redeem_points, restore_quantity,
        restore_redeem_points, sqs_worker,
    };
    use ::store_checkout::store::{
        BookStore, InMemoryBooks, InMemoryCouriers, InMemoryUsers, UserStore,
    };
    use ::store_checkout::workflow::Workflow;

    /// One table of books and one of users behind every function, as in DynamoDB.
    struct Stores {
        books: InMemoryBooks,
        users: InMemoryUsers,
    }

    impl Stores {
        fn seeded() -> Self {
            Stores {
                books: InMemoryBooks::seeded(),
                users: InMemoryUsers::seeded(),
            }
        }

        fn workflow(&self) -> Workflow {
            Workflow::new()
                .unwrap()
                .check_inventory(check_inventory::Handler::new(self.books.clone()))
                .calculate_total(calculate_total::handler())
                .redeem_points(redeem_points::Handler::new(self.users.clone()))
                .bill_customer(bill_customer::Handler::new(self.users.clone()))
                .sqs_worker(sqs_worker::Handler::new(
                    self.books.clone(),
                    InMemoryCouriers::seeded(),
                ))
                .restore_quantity(restore_quantity::Handler::new(self.books.clone()))
                .restore_redeem_points(restore_redeem_points::Handler::new(self.users.clone()))
        }

        async fn stock(&self, book_id: &str) -> u64 {
            self.books.book(book_id).await.unwrap().unwrap().quantity
        }

        async fn points(&self, user_id: &str) -> f64 {
            self.users.user(user_id).await.unwrap().unwrap().points
        }
    }

    fn example(name: &str) -> Value {
        let path = format!(
            "{}/../definitions/store-checkout/examples/{name}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    async fn run(stores: &Stores, name: &str) -> (Workflow, Execution) {
        let workflow = stores.workflow();
        let execution = workflow.execute_json(example(name)).await;
        (workflow, execution)
    }

    const DISPATCHED: &str = "Your order will be dispatched in 24 hours";

    #[tokio::test]
    async fn happy_path_without_redeem_dispatches_and_publishes_the_order() {
        let stores = Stores::seeded();
        let (workflow, execution) = run(&stores, "happy-path").await;
        assert_eq!(
            execution.status,
            ExecutionStatus::Succeeded,
            "{execution:?}"
        );
        assert_eq!(execution.output, Some(json!(DISPATCHED)));
        assert_eq!(
            execution.visited_states(),
            [
                "checkInventory",
                "calculateTotal",
                "isRedeemNeeded",
                "BillCustomer",
                "PrepareOrder",
                "DispatchOrder",
                "Dispatched"
            ]
        );
        // The courier topic got the order state as the README shows it.
        let published = workflow.local().published();
        assert_eq!(published.len(), 1);
        assert_eq!(
            published[0].message,
            json!({
                "userId": "1",
                "bookId": "100",
                "quantity": 2,
                "redeem": false,
                "book": {"bookId": "100", "title": "The Rust Programming Language", "quantity": 10, "price": 39.5},
                "total": {"total": 79.0},
                "billingStatus": "Successfully billed",
                "courierStatus": {"courier": "courier@example.com"}
            })
        );
        // The worker got PrepareOrder's message, token included.
        let sent = workflow.local().sent();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].state, "PrepareOrder");
        assert!(sent[0].body["Token"].is_string(), "{:?}", sent[0].body);
        assert_eq!(stores.stock("100").await, 8);
        assert_eq!(execution.virtual_elapsed, Duration::ZERO);
    }

    #[tokio::test]
    async fn happy_path_with_redeem_uses_the_points() {
        let stores = Stores::seeded();
        let (_, execution) = run(&stores, "redeem").await;
        assert_eq!(
            execution.status,
            ExecutionStatus::Succeeded,
            "{execution:?}"
        );
        assert_eq!(execution.output, Some(json!(DISPATCHED)));
        assert_eq!(
            execution.visited_states(),
            [
                "checkInventory",
                "calculateTotal",
                "isRedeemNeeded",
                "RedeemPoints",
                "BillCustomer",
                "PrepareOrder",
                "DispatchOrder",
                "Dispatched"
            ]
        );
        assert_eq!(stores.stock("100").await, 8);
        assert_eq!(stores.points("1").await, 0.0);
    }

    #[tokio::test]
    async fn unknown_book_ends_in_book_not_found_error() {
        let stores = Stores::seeded();
        let (_, execution) = run(&stores, "unknown-book").await;
        assert_eq!(
            execution.status,
            ExecutionStatus::Succeeded,
            "{execution:?}"
        );
        assert_eq!(execution.output, Some(json!("No such book available")));
        assert_eq!(
            execution.visited_states(),
            ["checkInventory", "BookNotFoundError"]
        );
    }

    #[tokio::test]
    async fn out_of_stock_ends_in_book_out_of_stock_error() {
        let stores = Stores::seeded();
        let (_, execution) = run(&stores, "out-of-stock").await;
        assert_eq!(
            execution.status,
            ExecutionStatus::Succeeded,
            "{execution:?}"
        );
        assert_eq!(
            execution.output,
            Some(json!("Sorry, the book is out of stock"))
        );
        assert_eq!(
            execution.visited_states(),
            ["checkInventory", "BookOutOfStockError"]
        );
        assert_eq!(stores.stock("100").await, 10);
    }

    #[tokio::test]
    async fn redeem_failure_ends_in_redeem_points_error() {
        let stores = Stores::seeded();
        let (_, execution) = run(&stores, "redeem-failure").await;
        assert_eq!(
            execution.status,
            ExecutionStatus::Succeeded,
            "{execution:?}"
        );
        assert_eq!(execution.output, Some(json!("Error in redeeming points")));
        assert_eq!(
            execution.visited_states(),
            [
                "checkInventory",
                "calculateTotal",
                "isRedeemNeeded",
                "RedeemPoints",
                "RedeemPointsError"
            ]
        );
        assert_eq!(stores.points("2").await, 500.0);
    }

    #[tokio::test]
    async fn billing_failure_retries_three_times_then_restores_the_points() {
        let stores = Stores::seeded();
        let (_, execution) = run(&stores, "billing-failure").await;
        assert_eq!(
            execution.status,
            ExecutionStatus::Succeeded,
            "{execution:?}"
        );
        assert_eq!(execution.output, Some(Value::Null));
        assert_eq!(
            execution.visited_states(),
            [
                "checkInventory",
                "calculateTotal",
                "isRedeemNeeded",
                "RedeemPoints",
                "BillCustomer",
                "BillingError",
                "RestoreRedeemPoints"
            ]
        );
        // Four attempts: the first and three retries, each failing with BillingFailed.
        let attempts = execution
            .history
            .iter()
            .filter(|e| {
                e.event_type == EventType::LambdaFunctionFailed
                    && e.state.as_deref() == Some("BillCustomer")
            })
            .count();
        assert_eq!(attempts, 4);
        // Back-off 1 s, 2 s, 4 s on the virtual clock; nothing slept.
        assert_eq!(execution.virtual_elapsed, Duration::from_secs(7));
        assert_eq!(stores.points("3").await, 10.0);
    }

    #[tokio::test]
    async fn no_courier_refunds_and_restores_the_stock() {
        let stores = Stores::seeded();
        let (workflow, execution) = run(&stores, "no-courier").await;
        assert_eq!(
            execution.status,
            ExecutionStatus::Succeeded,
            "{execution:?}"
        );
        assert_eq!(execution.output, Some(Value::Null));
        let visited = execution.visited_states();
        assert_eq!(
            visited[visited.len() - 4..],
            [
                "PrepareOrder",
                "RefundCustomer",
                "RestoreQuantity",
                "RestoreRedeemPoints"
            ]
        );
        assert!(workflow.local().published().is_empty());
        // 20 → 14 reserved by the worker → 20 restored by the compensation.
        assert_eq!(stores.stock("101").await, 20);
    }

    #[tokio::test]
    async fn an_unbound_task_fails_the_execution_naming_the_state() {
        let workflow = Workflow::new().unwrap();
        let execution = workflow.execute_json(example("happy-path")).await;
        assert_eq!(execution.status, ExecutionStatus::Failed);
        assert_eq!(execution.error.as_deref(), Some("States.Runtime"));
        let cause = execution.cause.unwrap_or_default();
        assert!(cause.contains("'checkInventory'"), "{cause}");
    }

    /// One execution on fresh seeded stores, recording every state's input and output.
    async fn with_full_history(input: Value) -> orderflow_runtime::local::Execution {
        let stores = Stores::seeded();
        let workflow = stores.workflow();
        let mut options = workflow.local().options().clone();
        options.history = orderflow_runtime::local::HistoryDetail::Full;
        workflow.local().execute_with(input, &options).await
    }

    #[tokio::test]
    async fn a_caught_lambda_error_carries_the_lambda_error_payload_as_cause() {
        let execution = with_full_history(example("unknown-book")).await;
        let failed = execution
            .history
            .iter()
            .find(|e| e.event_type == EventType::LambdaFunctionFailed)
            .unwrap();
        let details = failed.details.as_ref().unwrap();
        assert_eq!(details["error"], "BookNotFound");
        let cause: Value = serde_json::from_str(details["cause"].as_str().unwrap()).unwrap();
        assert_eq!(cause["errorType"], "BookNotFound");
        assert!(
            cause["errorMessage"].as_str().unwrap().contains("999"),
            "{cause}"
        );
    }

    /// The typed execution gives its history as GetExecutionHistory does, and it reads back:
    /// the caught Lambda error appears as AWS records it (`LambdaFunctionFailed` with its error
    /// and cause), and every event follows an earlier one.
    #[tokio::test]
    async fn the_history_in_aws_shape_reads_back() {
        let execution = with_full_history(example("unknown-book")).await;
        let document = execution.aws_history().to_string();
        let events =
            orderflow_runtime::local::parse_aws_history([("history.json", document.as_str())])
                .unwrap();
        assert_eq!(events.len(), execution.history.len());
        assert_eq!(events[0].event_type, "ExecutionStarted");
        assert!(events.iter().skip(1).all(|e| e.previous_event_id < e.id));
        let failed = events
            .iter()
            .find(|e| e.event_type == "LambdaFunctionFailed")
            .unwrap();
        let details = failed.details().unwrap();
        assert_eq!(details["error"], "BookNotFound");
        let scheduled = events
            .iter()
            .find(|e| e.event_type == "LambdaFunctionScheduled")
            .unwrap();
        assert!(scheduled.payload("input").is_some_and(|i| i.is_object()));
    }

    /// The real handlers keep the workflow's contracts on every example, and a bad execution
    /// input is reported, not run past silently (`LocalWorkflow::load_contracts`).
    #[tokio::test]
    async fn every_example_keeps_the_workflows_contracts() {
        let definitions = format!(
            "{}/../definitions/store-checkout",
            env!("CARGO_MANIFEST_DIR")
        );
        for name in [
            "happy-path",
            "redeem",
            "billing-failure",
            "no-courier",
            "out-of-stock",
            "redeem-failure",
            "unknown-book",
        ] {
            let stores = Stores::seeded();
            let mut workflow = stores.workflow();
            workflow.local_mut().load_contracts(&definitions).unwrap();
            let execution = workflow.execute_json(example(name)).await;
            assert_eq!(execution.contract_violations, [], "{name}");
        }
        let stores = Stores::seeded();
        let mut workflow = stores.workflow();
        workflow.local_mut().load_contracts(&definitions).unwrap();
        let mut input = example("happy-path");
        input["quantity"] = json!("2");
        let execution = workflow.execute_json(input).await;
        let broken: Vec<(ContractKind, &str)> = execution
            .contract_violations
            .iter()
            .map(|v| (v.contract, v.instance_path.as_str()))
            .collect();
        assert_eq!(
            broken[0],
            (ContractKind::ExecutionInput, "/quantity"),
            "{broken:?}"
        );
        assert!(
            broken.contains(&(ContractKind::FunctionInput, "/quantity")),
            "{broken:?}"
        );
    }
}

mod order_status {
    use super::*;
    use ::order_status::functions::{check_inventory, process_payment, update_order_status};
    use ::order_status::workflow::Workflow;

    fn workflow() -> Workflow {
        Workflow::new()
            .unwrap()
            .check_inventory(check_inventory::handler())
            .process_payment(process_payment::handler())
            .update_order_status(update_order_status::handler())
    }

    fn example(name: &str) -> Value {
        let path = format!(
            "{}/../definitions/order-status/examples/{name}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[tokio::test]
    async fn a_paid_order_is_confirmed() {
        let execution = workflow().execute_json(example("confirmed")).await;
        assert_eq!(
            execution.status,
            ExecutionStatus::Succeeded,
            "{execution:?}"
        );
        assert_eq!(
            execution.output,
            Some(json!({"orderId": "12345", "status": "Confirmed"}))
        );
        assert_eq!(
            execution.visited_states(),
            [
                "Check Inventory",
                "Is In Stock?",
                "Process Payment",
                "Payment Successful?",
                "Update Order Status"
            ]
        );
    }

    #[tokio::test]
    async fn an_out_of_stock_order_fails() {
        let execution = workflow().execute_json(example("out-of-stock")).await;
        assert_eq!(execution.status, ExecutionStatus::Failed);
        assert_eq!(execution.error.as_deref(), Some("OutOfStockError"));
        assert_eq!(execution.cause.as_deref(), Some("Item is out of stock"));
        assert_eq!(
            execution.visited_states(),
            ["Check Inventory", "Is In Stock?", "Out of Stock"]
        );
    }

    #[tokio::test]
    async fn a_declined_payment_fails() {
        let execution = workflow().execute_json(example("payment-failed")).await;
        assert_eq!(execution.status, ExecutionStatus::Failed);
        assert_eq!(execution.error.as_deref(), Some("PaymentError"));
        assert_eq!(
            execution.cause.as_deref(),
            Some("Payment processing failed")
        );
        assert_eq!(
            execution.visited_states(),
            [
                "Check Inventory",
                "Is In Stock?",
                "Process Payment",
                "Payment Successful?",
                "Payment Failed"
            ]
        );
    }
}
