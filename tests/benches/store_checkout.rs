//! Executions per second of store-checkout run in process by the generated glue, against a
//! hand-written baseline measured in the same run: the same handlers called directly, in the
//! workflow's order, with the ResultPaths applied by hand (what a test would do without the
//! executor).
//!
//! Run: `cargo bench -p orderflow-tests --bench store_checkout`. The stores and the workflow are
//! made once per benchmark, as a test suite would; the books hold enough stock for every
//! iteration to take the same path.

// A test fails by panicking: unwrap and expect say where (the workspace denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use orderflow_runtime::invoke_json;
use orderflow_runtime::local::HistoryDetail;
use serde_json::{Value, json};
use store_checkout::functions::{
    bill_customer, calculate_total, check_inventory, redeem_points, restore_quantity,
    restore_redeem_points, sqs_worker,
};
use store_checkout::generated::functions::{
    BillCustomerFunction, CalculateTotalFunction, CheckInventoryFunction, RedeemPointsFunction,
    SqsWorkerFunction,
};
use store_checkout::store::{Book, InMemoryBooks, InMemoryCouriers, InMemoryUsers};
use store_checkout::workflow::Workflow;

fn main() {
    divan::main();
}

const EXAMPLES: &[&str] = &["happy-path", "redeem"];

fn example(name: &str) -> Value {
    let path = format!(
        "{}/../definitions/store-checkout/examples/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path).expect("example file");
    serde_json::from_str(&text).expect("example JSON")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("tokio runtime")
}

struct Stores {
    books: InMemoryBooks,
    users: InMemoryUsers,
}

/// The seed data with stock for any number of orders.
fn stores() -> Stores {
    Stores {
        books: InMemoryBooks::new([Book {
            book_id: "100".into(),
            title: "The Rust Programming Language".into(),
            quantity: u64::MAX / 2,
            price: 39.5,
        }]),
        users: InMemoryUsers::seeded(),
    }
}

fn workflow(stores: &Stores, history: HistoryDetail) -> Workflow {
    let mut workflow = Workflow::new()
        .expect("definition loads")
        .check_inventory(check_inventory::Handler::new(stores.books.clone()))
        .calculate_total(calculate_total::handler())
        .redeem_points(redeem_points::Handler::new(stores.users.clone()))
        .bill_customer(bill_customer::Handler::new(stores.users.clone()))
        .sqs_worker(sqs_worker::Handler::new(
            stores.books.clone(),
            InMemoryCouriers::seeded(),
        ))
        .restore_quantity(restore_quantity::Handler::new(stores.books.clone()))
        .restore_redeem_points(restore_redeem_points::Handler::new(stores.users.clone()));
    workflow.local_mut().options_mut().history = history;
    workflow
}

/// One execution; the messages it recorded are dropped with it, as a test would read them.
fn run(rt: &tokio::runtime::Runtime, workflow: &Workflow, input: &Value) -> usize {
    let execution = rt.block_on(workflow.execute_json(input.clone()));
    let local = workflow.local();
    let messages = local.take_published().len() + local.take_sent().len();
    assert!(execution.output.is_some(), "{execution:?}");
    messages
}

/// The executor with the glue (history events recorded, as tests use it by default).
#[divan::bench(args = EXAMPLES)]
fn executor(bencher: divan::Bencher, name: &str) {
    let rt = runtime();
    let input = example(name);
    let stores = stores();
    let workflow = workflow(&stores, HistoryDetail::Events);
    bencher.bench_local(|| run(&rt, &workflow, &input));
}

/// The executor without a history.
#[divan::bench(args = EXAMPLES)]
fn executor_no_history(bencher: divan::Bencher, name: &str) {
    let rt = runtime();
    let input = example(name);
    let stores = stores();
    let workflow = workflow(&stores, HistoryDetail::None);
    bencher.bench_local(|| run(&rt, &workflow, &input));
}

/// The baseline: the successful paths of the workflow written out by hand.
#[divan::bench(args = EXAMPLES)]
fn hand_written(bencher: divan::Bencher, name: &str) {
    let rt = runtime();
    let input = example(name);
    let stores = stores();
    let functions = HandWritten::new(&stores);
    bencher.bench_local(|| rt.block_on(functions.run(input.clone())));
}

/// The handlers, made once like the workflow's bindings.
struct HandWritten {
    check: CheckInventoryFunction<check_inventory::Handler>,
    total: CalculateTotalFunction<calculate_total::Handler>,
    redeem: RedeemPointsFunction<redeem_points::Handler>,
    bill: BillCustomerFunction<bill_customer::Handler>,
    worker: SqsWorkerFunction<sqs_worker::Handler>,
    tokens: std::cell::Cell<u64>,
}

impl HandWritten {
    fn new(stores: &Stores) -> Self {
        HandWritten {
            check: CheckInventoryFunction(check_inventory::Handler::new(stores.books.clone())),
            total: CalculateTotalFunction(calculate_total::handler()),
            redeem: RedeemPointsFunction(redeem_points::Handler::new(stores.users.clone())),
            bill: BillCustomerFunction(bill_customer::Handler::new(stores.users.clone())),
            worker: SqsWorkerFunction(sqs_worker::Handler::new(
                stores.books.clone(),
                InMemoryCouriers::seeded(),
            )),
            tokens: std::cell::Cell::new(0),
        }
    }

    async fn run(&self, mut state: Value) -> Value {
        let Ok(book) = invoke_json(&self.check, state.clone()).await else {
            return Value::Null;
        };
        state["book"] = book;
        let Ok(sum) = invoke_json(&self.total, state.clone()).await else {
            return Value::Null;
        };
        state["total"] = sum;
        if state["redeem"] == json!(true) {
            let Ok(sum) = invoke_json(&self.redeem, state.clone()).await else {
                return Value::Null;
            };
            state["total"] = sum;
        }
        let Ok(status) = invoke_json(&self.bill, state.clone()).await else {
            return Value::Null;
        };
        state["billingStatus"] = status;
        // A new token per order, as each execution has (the worker reserves once per token).
        self.tokens.set(self.tokens.get() + 1);
        let message =
            json!({"Input": state.clone(), "Token": format!("token-{}", self.tokens.get())});
        let Ok(courier) = invoke_json(&self.worker, message).await else {
            return Value::Null;
        };
        state["courierStatus"] = courier;
        json!("Your order will be dispatched in 24 hours")
    }
}
