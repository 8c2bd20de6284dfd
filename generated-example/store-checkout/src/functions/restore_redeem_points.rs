//! The `restoreRedeemPoints` function. Created by orderflow-codegen once; this file is yours and is never overwritten.
use crate::generated::errors::RestoreRedeemPointsError;
use crate::generated::functions::RestoreRedeemPoints;
use crate::generated::types::{RestoreRedeemPointsInput, RestoreRedeemPointsOutput};
use crate::store::{InMemoryUsers, StoreError, UserStore, Users, or_exit};

/// Compensation: gives the user back the points redeemPoints redeemed; returns null.
///
/// What is given back is what redeemPoints recorded under the execution's id, not the input's
/// `total.points`: the recorded amount, once, however often the call is retried. When nothing
/// was recorded under the id (redeemPoints did not run, or refused), nothing changes and the
/// function returns normally, since a compensation must be safe to run on any path; an unknown
/// user has no recorded redemption either. A store that fails otherwise is an error named by
/// `StoreError::error_type` (`StoreUnavailable`, through `Other`).
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

/// The handler the Lambda binary runs: the table named by `USERS_TABLE`, or the seeded
/// in-memory users when it is not set. With `USERS_TABLE` set in a build without the `aws`
/// feature it ends the process at start-up, saying so ([`or_exit`]).
pub fn handler() -> Handler<Users> {
    Handler::new(or_exit(Users::from_env()))
}

impl<U: UserStore> RestoreRedeemPoints for Handler<U> {
    async fn restore_redeem_points(
        &self,
        input: RestoreRedeemPointsInput,
    ) -> Result<RestoreRedeemPointsOutput, RestoreRedeemPointsError> {
        // `input.total.points` is what the execution's state says; the record is what happened.
        match self
            .users
            .restore_redeemed_points(&input.execution_id, &input.user_id)
            .await
        {
            Ok(_) | Err(StoreError::UserNotFound(_)) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::functions::RestoreRedeemPointsFunction;
    use crate::generated::types::BilledTotal;
    use crate::store::InMemoryUsers;
    use orderflow_runtime::{StepError, invoke_json};
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

    async fn points(users: &InMemoryUsers, user_id: &str) -> f64 {
        users.user(user_id).await.unwrap().unwrap().points
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
        assert_eq!(points(&users, "3").await, 10.0);
    }

    #[tokio::test]
    async fn gives_back_the_recorded_points_whatever_the_input_says() {
        let users = InMemoryUsers::seeded();
        users
            .redeem_points_below(EXECUTION, "1", 79.0)
            .await
            .unwrap();
        // The state claims 500 points were redeemed; 20 were.
        Handler::new(users.clone())
            .restore_redeem_points(input("1", Some(500.0)))
            .await
            .unwrap();
        assert_eq!(points(&users, "1").await, 20.0);

        // And without points in the state, the recorded redemption is still given back.
        let users = InMemoryUsers::seeded();
        users
            .redeem_points_below(EXECUTION, "1", 79.0)
            .await
            .unwrap();
        Handler::new(users.clone())
            .restore_redeem_points(input("1", None))
            .await
            .unwrap();
        assert_eq!(points(&users, "1").await, 20.0);
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
        assert_eq!(points(&users, "3").await, 10.0);
    }

    #[tokio::test]
    async fn without_a_recorded_redemption_nothing_changes() {
        let users = InMemoryUsers::seeded();
        let handler = Handler::new(users.clone());
        // redeemPoints never ran for this execution, whatever the state says.
        handler
            .restore_redeem_points(input("1", Some(20.0)))
            .await
            .unwrap();
        handler
            .restore_redeem_points(input("1", None))
            .await
            .unwrap();
        assert_eq!(points(&users, "1").await, 20.0);
        // redeemPoints refused: it took nothing, so nothing is given back.
        users
            .redeem_points_below(EXECUTION, "2", 79.0)
            .await
            .unwrap();
        handler
            .restore_redeem_points(input("2", Some(500.0)))
            .await
            .unwrap();
        assert_eq!(points(&users, "2").await, 500.0);
        // An unknown user has no redemption to give back.
        handler
            .restore_redeem_points(input("nobody", Some(1.0)))
            .await
            .unwrap();
        handler
            .restore_redeem_points(input("nobody", None))
            .await
            .unwrap();
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
        assert_eq!(points(&users, "3").await, 10.0);
    }
}
