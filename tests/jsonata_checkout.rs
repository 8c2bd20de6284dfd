//! The JSONata version of the bookstore checkout (`definitions/store-checkout-jsonata`) against
//! the JSONPath one (`definitions/store-checkout`): every example runs through both generated
//! workflows, with the same handler code on fresh seeded stores, and everything observable must
//! be the same — status, output, error, the full history (each state's input and output, each
//! function's payload, retries; not the variables the JSONata twin assigns), the messages sent
//! and published, and the stores afterwards.
//! Task tokens are random per execution and are compared only for being present; numbers are
//! compared as numbers, since JSONata (like JavaScript) writes the float 79.0 as 79.

// A test fails by panicking: unwrap and expect say where (the workspace denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use orderflow_runtime::local::{Execution, ExecutionStatus, HistoryDetail};
use serde_json::{Value, json};

const EXAMPLES: &[&str] = &[
    "happy-path",
    "redeem",
    "unknown-book",
    "out-of-stock",
    "redeem-failure",
    "billing-failure",
    "no-courier",
];

fn example(name: &str) -> Value {
    let path = format!(
        "{}/../definitions/store-checkout/examples/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Replaces every `Token` member (a task token) by whether it was a non-empty string, and
/// every number by its value as a float.
fn normalize(value: &mut Value) {
    match value {
        Value::Object(members) => {
            for (key, member) in members.iter_mut() {
                if key == "Token" {
                    *member = json!(member.as_str().is_some_and(|t| !t.is_empty()));
                } else {
                    normalize(member);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalize),
        Value::Number(n) => *value = json!(n.as_f64()),
        _ => {}
    }
}

/// What one execution shows, as JSON for a readable diff.
fn observed(
    execution: &Execution,
    published: Vec<Value>,
    sent: Vec<Value>,
    stores: Value,
) -> Value {
    let history: Vec<Value> = execution
        .history
        .iter()
        .map(|e| {
            // The variables a state assigned are how the JSONata twin carries `userId` across
            // states; the JSONPath original has none. Everything else must be equal.
            let mut details = e.details.clone();
            if let Some(Value::Object(d)) = details.as_mut() {
                d.remove("assignedVariables");
            }
            json!([e.event_type.name(), e.state, details])
        })
        .collect();
    let mut observed = json!({
        "status": format!("{:?}", execution.status),
        "output": execution.output,
        "error": execution.error,
        "cause": execution.cause,
        "elapsed": execution.virtual_elapsed.as_millis() as u64,
        "history": history,
        "published": published,
        "sent": sent,
        "stores": stores,
    });
    normalize(&mut observed);
    observed
}

/// Runs `example` through a generated store-checkout crate's workflow with its handlers on
/// fresh seeded stores. A macro because each crate has its own (identical) types.
macro_rules! run_checkout {
    ($krate:ident, $example:expr) => {{
        use $krate::functions::{
            bill_customer, calculate_total, check_inventory, redeem_points, restore_quantity,
            restore_redeem_points, sqs_worker,
        };
        use $krate::store::{BookStore, InMemoryBooks, InMemoryCouriers, InMemoryUsers, UserStore};
        let books = InMemoryBooks::seeded();
        let users = InMemoryUsers::seeded();
        let mut workflow = $krate::workflow::Workflow::new()
            .unwrap()
            .check_inventory(check_inventory::Handler::new(books.clone()))
            .calculate_total(calculate_total::handler())
            .redeem_points(redeem_points::Handler::new(users.clone()))
            .bill_customer(bill_customer::Handler::new(users.clone()))
            .sqs_worker(sqs_worker::Handler::new(books.clone(), InMemoryCouriers::seeded()))
            .restore_quantity(restore_quantity::Handler::new(books.clone()))
            .restore_redeem_points(restore_redeem_points::Handler::new(users.clone()));
        workflow.local_mut().options_mut().history = HistoryDetail::Full;
        // One execution ARN for both twins: redeemPoints and restoreRedeemPoints receive it
        // (`$$.Execution.Id`), and it names the state machine and a random execution.
        let identity = &mut workflow.local_mut().options_mut().identity;
        identity.state_machine_name = "store-checkout".into();
        identity.execution_name = Some(format!("example-{}", $example));
        let execution = workflow.execute_json(example($example)).await;
        let published = workflow
            .local()
            .published()
            .iter()
            .map(|m| json!([m.state, m.topic_arn, m.message, m.subject]))
            .collect();
        let sent = workflow
            .local()
            .sent()
            .iter()
            .map(|m| json!([m.state, m.queue_url, m.body]))
            .collect();
        let mut stock = Vec::new();
        for id in ["100", "101"] {
            stock.push(books.book(id).await.unwrap().map(|b| b.quantity));
        }
        let mut points = Vec::new();
        for id in ["1", "2", "3"] {
            points.push(users.user(id).await.unwrap().map(|u| u.points));
        }
        let stores = json!({"stock": stock, "points": points});
        observed(&execution, published, sent, stores)
    }};
}

#[tokio::test]
async fn the_jsonata_checkout_behaves_exactly_like_the_jsonpath_one() {
    for name in EXAMPLES {
        let jsonpath = run_checkout!(store_checkout, name);
        let jsonata = run_checkout!(store_checkout_jsonata, name);
        // Not a vacuous comparison: each example gets past the first state and succeeds.
        assert_eq!(
            jsonpath["status"],
            format!("{:?}", ExecutionStatus::Succeeded),
            "{name}: {jsonpath:#}"
        );
        assert!(jsonpath["history"].as_array().unwrap().len() > 5, "{name}");
        assert_eq!(
            jsonata, jsonpath,
            "example {name}: JSONata (left) differs from JSONPath (right)"
        );
    }
}
