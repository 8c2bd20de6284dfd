//! `#[derive(StepError)]` as generated crates and handlers use it: the names Step Functions sees
//! in process and on Lambda, and `?` on errors that are none of the declared ones.

use orderflow_runtime::{
    Diagnostic, Function, OtherError, StepError, StepFailure, diagnostic, invoke_json,
};
use serde_json::json;

#[derive(Debug, Clone, PartialEq, Eq, StepError)]
enum CheckInventoryError {
    /// `BookNotFound`: the message becomes the error's `Cause`.
    #[step(error = "BookNotFound")]
    BookNotFound(String),
    /// the warehouse is closed
    #[step(error = "Warehouse.Closed")]
    WarehouseClosed,
    #[step(other)]
    Other {
        /// The name Retry/Catch see.
        error_type: String,
        /// The cause.
        message: String,
    },
}

/// An error of the storage layer: reported under its own name through `Other`.
#[derive(Debug)]
struct StoreUnavailable(&'static str);

impl OtherError for StoreUnavailable {
    fn into_step_failure(self) -> StepFailure {
        StepFailure {
            error: "StoreUnavailable".to_owned(),
            cause: format!("the {} store is unavailable", self.0),
        }
    }
}

/// A hand-written conversion beside the derived ones still compiles: the derive's `From` is only
/// for `OtherError` types.
struct Missing(String);

impl From<Missing> for CheckInventoryError {
    fn from(Missing(id): Missing) -> Self {
        Self::BookNotFound(format!("no book has id {id:?}"))
    }
}

fn lookup(id: &str) -> Result<u32, Missing> {
    match id {
        "100" => Ok(10),
        _ => Err(Missing(id.to_owned())),
    }
}

fn store(up: bool) -> Result<(), StoreUnavailable> {
    if up {
        Ok(())
    } else {
        Err(StoreUnavailable("books"))
    }
}

struct CheckInventory {
    store_up: bool,
}

impl Function for CheckInventory {
    type Input = serde_json::Value;
    type Output = serde_json::Value;
    type Error = CheckInventoryError;

    async fn call(&self, input: serde_json::Value) -> Result<serde_json::Value, Self::Error> {
        store(self.store_up)?;
        let id = input["bookId"].as_str().unwrap_or_default();
        if id == "closed" {
            return Err(CheckInventoryError::WarehouseClosed);
        }
        let quantity = lookup(id)?;
        Ok(json!({ "quantity": quantity }))
    }
}

#[test]
fn variants_report_their_asl_names_and_messages() {
    let e = CheckInventoryError::BookNotFound("no book has id \"7\"".into());
    assert_eq!(e.error_type(), "BookNotFound");
    assert_eq!(e.to_string(), "no book has id \"7\"");
    let e = CheckInventoryError::WarehouseClosed;
    assert_eq!(e.error_type(), "Warehouse.Closed");
    assert_eq!(e.to_string(), "the warehouse is closed");
    let e = CheckInventoryError::Other {
        error_type: "NotImplemented".into(),
        message: "later".into(),
    };
    assert_eq!(e.error_type(), "NotImplemented");
    assert_eq!(e.to_string(), "later");
    let boxed: Box<dyn std::error::Error> = Box::new(e);
    assert_eq!(boxed.to_string(), "later");
}

#[test]
fn on_lambda_the_diagnostic_carries_the_same_names() {
    let e = CheckInventoryError::BookNotFound("gone".into());
    let expected = diagnostic(&e);
    assert_eq!(Diagnostic::from(e), expected);
    assert_eq!(expected.error_type, "BookNotFound");
    assert_eq!(expected.error_message, "gone");
}

#[test]
fn other_errors_and_step_failures_become_other() {
    let e = CheckInventoryError::from(StoreUnavailable("books"));
    assert_eq!(
        e,
        CheckInventoryError::Other {
            error_type: "StoreUnavailable".into(),
            message: "the books store is unavailable".into(),
        }
    );
    let failure = StepFailure {
        error: "orderflow.InvalidInput".into(),
        cause: "quantity must be at least 1".into(),
    };
    let e = CheckInventoryError::from(failure.clone());
    assert_eq!(e.error_type(), failure.error);
    assert_eq!(e.to_string(), failure.cause);
}

#[tokio::test]
async fn question_mark_works_in_a_handler_for_every_kind_of_error() {
    let up = CheckInventory { store_up: true };
    assert_eq!(
        invoke_json(&up, json!({"bookId": "100"})).await,
        Ok(json!({"quantity": 10}))
    );
    let missing = invoke_json(&up, json!({"bookId": "7"})).await.unwrap_err();
    assert_eq!(
        missing,
        StepFailure {
            error: "BookNotFound".into(),
            cause: "no book has id \"7\"".into()
        }
    );
    let closed = invoke_json(&up, json!({"bookId": "closed"}))
        .await
        .unwrap_err();
    assert_eq!(closed.error, "Warehouse.Closed");
    let down = CheckInventory { store_up: false };
    let unavailable = invoke_json(&down, json!({"bookId": "100"}))
        .await
        .unwrap_err();
    assert_eq!(
        unavailable,
        StepFailure {
            error: "StoreUnavailable".into(),
            cause: "the books store is unavailable".into()
        }
    );
}
