//! The `billCustomer` function. Created by orderflow-codegen once; this file is yours and is never overwritten.
use crate::errors;
use crate::generated::errors::BillCustomerError;
use crate::generated::functions::BillCustomer;
use crate::generated::types::{BillCustomerInput, BillCustomerOutput};
use crate::store::{InMemoryUsers, UserStore, Users, or_exit};
use orderflow_runtime::tracing;

/// Charges the customer the total (simulated); fails when the user has no payment method.
///
/// Raises `BillingFailed` when the user cannot be charged: no payment method, or no such user.
/// The charge itself is simulated (logged), so the state's Retry (3 more attempts) cannot charge
/// twice; a real payment call would need an idempotency key.
#[derive(Debug, Clone)]
pub struct Handler<U = InMemoryUsers> {
    users: U,
}

impl<U: UserStore> Handler<U> {
    /// A handler charging the users of `users`.
    pub fn new(users: U) -> Self {
        Self { users }
    }
}

/// The handler the Lambda binary runs: the table named by `USERS_TABLE`, or the seeded
/// in-memory users when it is not set. With `USERS_TABLE` set in a build without the `aws`
/// feature it ends the process at start-up, saying so ([`or_exit`]).
pub fn handler() -> Handler<Users> {
    Handler::new(or_exit(Users::from_env()))
}

impl<U: UserStore> BillCustomer for Handler<U> {
    async fn bill_customer(
        &self,
        input: BillCustomerInput,
    ) -> Result<BillCustomerOutput, BillCustomerError> {
        let total = errors::amount("total.total", input.total.total)?;
        let Some(user) = self.users.user(&input.user_id).await? else {
            return Err(BillCustomerError::BillingFailed(format!(
                "no user has id {:?}",
                input.user_id
            )));
        };
        if !user.has_payment_method {
            return Err(BillCustomerError::BillingFailed(format!(
                "user {:?} has no payment method",
                user.user_id
            )));
        }
        tracing::info!(user_id = %user.user_id, total, "billed the customer (simulated)");
        Ok(BillCustomerOutput::SuccessfullyBilled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::functions::BillCustomerFunction;
    use crate::generated::types::BilledTotal;
    use crate::store::InMemoryUsers;
    use orderflow_runtime::{INVALID_INPUT, StepError, invoke_json};
    use serde_json::json;

    fn input(user_id: &str, total: f64) -> BillCustomerInput {
        BillCustomerInput {
            user_id: user_id.into(),
            total: BilledTotal {
                total,
                points: None,
            },
        }
    }

    #[tokio::test]
    async fn a_user_with_a_payment_method_is_billed() {
        let out = handler().bill_customer(input("1", 79.0)).await.unwrap();
        assert_eq!(out, BillCustomerOutput::SuccessfullyBilled);
    }

    #[tokio::test]
    async fn a_user_without_a_payment_method_is_billing_failed() {
        let err = handler().bill_customer(input("3", 69.0)).await.unwrap_err();
        assert_eq!(err.error_type(), "BillingFailed");
        assert_eq!(err.to_string(), r#"user "3" has no payment method"#);
    }

    #[tokio::test]
    async fn an_unknown_user_is_billing_failed() {
        let err = handler()
            .bill_customer(input("nobody", 1.0))
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), "BillingFailed");
    }

    #[tokio::test]
    async fn a_negative_total_is_invalid_input() {
        let err = handler().bill_customer(input("1", -1.0)).await.unwrap_err();
        assert_eq!(err.error_type(), INVALID_INPUT);
    }

    #[tokio::test]
    async fn a_poisoned_store_is_store_unavailable() {
        let users = InMemoryUsers::seeded();
        users.poison();
        let err = Handler::new(users)
            .bill_customer(input("1", 79.0))
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), "StoreUnavailable");
    }

    /// The output is the bare string the workflow stores at $.billingStatus; $.total may carry
    /// the redeemed points.
    #[tokio::test]
    async fn json_example() {
        let function = BillCustomerFunction(handler());
        let state = json!({
            "userId": "1", "bookId": "100", "quantity": 2, "redeem": true,
            "total": {"total": 59, "points": 20}
        });
        let out = invoke_json(&function, state.clone()).await;
        assert_eq!(out, Ok(json!("Successfully billed")));

        let mut state = state;
        state["userId"] = json!("3");
        let err = invoke_json(&function, state).await.unwrap_err();
        assert_eq!(err.error, "BillingFailed");
    }
}
