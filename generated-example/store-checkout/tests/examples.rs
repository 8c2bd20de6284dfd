//! The examples of `definitions/store-checkout/examples/README.md`, each run through the
//! functions by hand along the workflow's paths (ResultPaths applied to a JSON state, the
//! BillCustomer Retry, the PrepareOrder message), on fresh seeded stores, checking the final
//! output and the stores afterwards.

use orderflow_runtime::{StepFailure, invoke_json};
use serde_json::{Value, json};
use store_checkout::functions::{
    bill_customer, calculate_total, check_inventory, redeem_points, restore_quantity,
    restore_redeem_points, sqs_worker,
};
use store_checkout::generated::functions::{
    BillCustomerFunction, CalculateTotalFunction, CheckInventoryFunction, RedeemPointsFunction,
    RestoreQuantityFunction, RestoreRedeemPointsFunction, SqsWorkerFunction,
};
use store_checkout::store::{BookStore, InMemoryBooks, InMemoryCouriers, InMemoryUsers, UserStore};

fn example(name: &str) -> Value {
    let path = format!(
        "{}/../../definitions/store-checkout/examples/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Runs the example on `books` and `users` and returns the execution's output.
async fn run(name: &str, books: &InMemoryBooks, users: &InMemoryUsers) -> Value {
    let mut state = example(name);
    let check = CheckInventoryFunction(check_inventory::Handler::new(books.clone()));
    let total = CalculateTotalFunction(calculate_total::handler());
    let redeem = RedeemPointsFunction(redeem_points::Handler::new(users.clone()));
    let bill = BillCustomerFunction(bill_customer::Handler::new(users.clone()));
    let worker = SqsWorkerFunction(sqs_worker::Handler::new(
        books.clone(),
        InMemoryCouriers::seeded(),
    ));
    let restore_quantity = RestoreQuantityFunction(restore_quantity::Handler::new(books.clone()));
    let restore_points =
        RestoreRedeemPointsFunction(restore_redeem_points::Handler::new(users.clone()));

    // RedeemPoints' and RestoreRedeemPoints' Parameters: the user, the total and $$.Execution.Id.
    let execution = format!("arn:aws:states:us-east-1:123456789012:execution:StoreCheckout:{name}");
    let points_parameters = |state: &Value| json!({"userId": state["userId"], "total": state["total"], "executionId": execution});

    match invoke_json(&check, state.clone()).await {
        Ok(book) => state["book"] = book,
        Err(e) if e.error == "BookNotFound" => return json!("No such book available"),
        Err(e) if e.error == "BookOutOfStock" => return json!("Sorry, the book is out of stock"),
        Err(e) => panic!("uncaught {e}"),
    }
    state["total"] = invoke_json(&total, state.clone()).await.unwrap();
    if state["redeem"] == json!(true) {
        match invoke_json(&redeem, points_parameters(&state)).await {
            Ok(total) => state["total"] = total,
            Err(_) => return json!("Error in redeeming points"),
        }
    }
    // Retry States.ALL, MaxAttempts 3: four attempts in all.
    let mut billed: Result<Value, StepFailure> = invoke_json(&bill, state.clone()).await;
    for _ in 0..3 {
        if billed.is_ok() {
            break;
        }
        billed = invoke_json(&bill, state.clone()).await;
    }
    match billed {
        Ok(status) => state["billingStatus"] = status,
        Err(e) => {
            state["customerBilling"] = json!({"Error": e.error, "Cause": e.cause});
            state["billingStatus"] = json!("Billing Error");
            return invoke_json(&restore_points, points_parameters(&state))
                .await
                .unwrap();
        }
    }
    // PrepareOrder's MessageBody: the state, the task token and $$.Execution.Id.
    let message = json!({"Input": state.clone(), "Token": "token-1", "ExecutionId": execution});
    match invoke_json(&worker, message).await {
        Ok(courier) => {
            state["courierStatus"] = courier;
            json!("Your order will be dispatched in 24 hours")
        }
        Err(e) if e.error == "NoCourierAvailable" => {
            state["courierError"] = json!({"Error": e.error, "Cause": e.cause});
            state["refundStatus"] = json!("Customer is refunded");
            // RestoreQuantity's Parameters: the book and $$.Execution.Id.
            let parameters = json!({"bookId": state["bookId"], "executionId": execution});
            state["quantityRestoreStatus"] =
                invoke_json(&restore_quantity, parameters).await.unwrap();
            invoke_json(&restore_points, points_parameters(&state))
                .await
                .unwrap()
        }
        Err(e) => panic!("uncaught {e}"),
    }
}

/// (example, final output, stock of the example's book afterwards, its user's points afterwards)
const EXPECTED: [(&str, &str, &str, u64, f64); 7] = [
    (
        "happy-path",
        r#""Your order will be dispatched in 24 hours""#,
        "100",
        8,
        20.0,
    ),
    (
        "redeem",
        r#""Your order will be dispatched in 24 hours""#,
        "100",
        8,
        0.0,
    ),
    (
        "out-of-stock",
        r#""Sorry, the book is out of stock""#,
        "100",
        10,
        20.0,
    ),
    (
        "unknown-book",
        r#""No such book available""#,
        "100",
        10,
        20.0,
    ),
    (
        "redeem-failure",
        r#""Error in redeeming points""#,
        "100",
        10,
        500.0,
    ),
    ("billing-failure", "null", "100", 10, 10.0),
    ("no-courier", "null", "101", 20, 20.0),
];

#[tokio::test]
async fn every_example_ends_as_the_readme_says() {
    for (name, output, book_id, stock, points) in EXPECTED {
        let (books, users) = (InMemoryBooks::seeded(), InMemoryUsers::seeded());
        let out = run(name, &books, &users).await;
        assert_eq!(
            out,
            serde_json::from_str::<Value>(output).unwrap(),
            "{name}"
        );
        let book = books.book(book_id).await.unwrap().unwrap();
        assert_eq!(book.quantity, stock, "{name}: stock of {book_id}");
        let user_id = example(name)["userId"].as_str().unwrap().to_owned();
        let user = users.user(&user_id).await.unwrap().unwrap();
        assert_eq!(user.points, points, "{name}: points of user {user_id}");
    }
}
