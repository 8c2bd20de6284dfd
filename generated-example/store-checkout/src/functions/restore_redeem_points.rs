//! The `restoreRedeemPoints` function. Created by orderflow-codegen once; this file is yours and is never overwritten.
use crate::errors;
use crate::generated::errors::RestoreRedeemPointsError;
use crate::generated::functions::RestoreRedeemPoints;
use crate::generated::types::{RestoreRedeemPointsInput, RestoreRedeemPointsOutput};
use crate::store::{InMemoryUsers, UserStore, Users};

/// Compensation: gives the user back total.points if points were redeemed; returns null.
///
/// Without `total.points` (redeemPoints did not run) nothing is read or written. With points, an
/// unknown user is `UserNotFound` (through `Other`). The points are given back once per
/// execution id, so a retried invocation does not give them twice.
#[derive(Debug, Clone)]
pub struct Handler<U = InMemoryUsers> {
    users: U,
}

impl<U: UserStore> Handler<U> {
    /// A handler giving points back to `users`.
    pub fn new(users: U) -> Self {
        Self { users }
    }
}

/// The handler the Lambda binary runs: the table named by `USERS_TABLE` (feature `aws`), or the
/// seeded in-memory users.
pub fn handler() -> Handler<Users> {
    Handler::new(Users::from_env())
}

impl<U: UserStore> RestoreRedeemPoints for Handler<U> {
    async fn restore_redeem_points(
        &self,
        input: RestoreRedeemPointsInput,
    ) -> Result<RestoreRedeemPointsOutput, RestoreRedeemPointsError> {
        if let Some(points) = input.total.points {
            let points = errors::amount("total.points", points)?;
            self.users
                .restore_points(&input.execution_id, &input.user_id, points)
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::functions::RestoreRedeemPointsFunction;
    use crate::generated::types::BilledTotal;
    use crate::store::InMemoryUsers;
    use orderflow_runtime::{INVALID_INPUT, StepError, invoke_json};
    use serde_json::json;

    const EXECUTION: &str = "arn:aws:states:us-east-1:123456789012:execution:StoreCheckout:x";

    fn input(user_id: &str, points: Option<f64>) -> RestoreRedeemPointsInput {
        RestoreRedeemPointsInput {
            user_id: user_id.into(),
            total: BilledTotal {
                total: 69.0,
                points,
            },
            execution_id: EXECUTION.into(),
        }
    }

    #[tokio::test]
    async fn gives_the_redeemed_points_back() {
        let users = InMemoryUsers::seeded();
        users
            .redeem_points_below(EXECUTION, "3", 79.0)
            .await
            .unwrap();
        Handler::new(users.clone())
            .restore_redeem_points(input("3", Some(10.0)))
            .await
            .unwrap();
        assert_eq!(users.user("3").await.unwrap().unwrap().points, 10.0);
    }

    #[tokio::test]
    async fn a_retried_invocation_gives_the_points_back_once() {
        let users = InMemoryUsers::seeded();
        users
            .redeem_points_below(EXECUTION, "3", 79.0)
            .await
            .unwrap();
        let handler = Handler::new(users.clone());
        for _ in 0..2 {
            handler
                .restore_redeem_points(input("3", Some(10.0)))
                .await
                .unwrap();
        }
        assert_eq!(users.user("3").await.unwrap().unwrap().points, 10.0);
    }

    #[tokio::test]
    async fn without_points_nothing_changes_even_for_an_unknown_user() {
        let users = InMemoryUsers::seeded();
        let handler = Handler::new(users.clone());
        handler
            .restore_redeem_points(input("1", None))
            .await
            .unwrap();
        handler
            .restore_redeem_points(input("nobody", None))
            .await
            .unwrap();
        assert_eq!(users.user("1").await.unwrap().unwrap().points, 20.0);
    }

    #[tokio::test]
    async fn unknown_user_and_bad_points_are_other_errors() {
        let err = handler()
            .restore_redeem_points(input("nobody", Some(1.0)))
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), "UserNotFound");
        let err = handler()
            .restore_redeem_points(input("1", Some(f64::NAN)))
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), INVALID_INPUT);
    }

    #[tokio::test]
    async fn a_poisoned_store_is_store_unavailable() {
        let users = InMemoryUsers::seeded();
        users.poison();
        let err = Handler::new(users)
            .restore_redeem_points(input("1", Some(1.0)))
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), "StoreUnavailable");
    }

    /// billing-failure.json's state at RestoreRedeemPoints; the function returns JSON null.
    #[tokio::test]
    async fn json_example() {
        let users = InMemoryUsers::seeded();
        users
            .redeem_points_below(EXECUTION, "3", 79.0)
            .await
            .unwrap();
        let function = RestoreRedeemPointsFunction(Handler::new(users.clone()));
        let state = json!({
            "userId": "3", "bookId": "100", "quantity": 2, "redeem": true,
            "book": {"bookId": "100", "title": "The Rust Programming Language", "quantity": 10, "price": 39.5},
            "total": {"total": 69, "points": 10},
            "customerBilling": {"Error": "BillingFailed", "Cause": "user \"3\" has no payment method"},
            "billingStatus": "Billing Error",
            "executionId": EXECUTION
        });
        assert_eq!(invoke_json(&function, state).await, Ok(json!(null)));
        assert_eq!(users.user("3").await.unwrap().unwrap().points, 10.0);
    }
}
