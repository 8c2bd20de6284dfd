//! The `redeemPoints` function. Created by orderflow-codegen once; this file is yours and is never overwritten.
use crate::errors;
use crate::generated::errors::RedeemPointsError;
use crate::generated::functions::RedeemPoints;
use crate::generated::types::{RedeemPointsInput, RedeemPointsOutput};
use crate::store::{InMemoryUsers, Redemption, UserStore, Users, or_exit};

/// Subtracts all of the user's points from the total and sets the user's points to 0; fails when the total does not exceed the points.
///
/// Raises `PointsRedemptionFailed` (points unchanged) when `total <= points`; an unknown user is
/// `UserNotFound`. The check and the reset are one atomic store operation, so two concurrent
/// orders cannot both redeem the same points, and it is keyed by the execution's id: a retried
/// invocation (Lambda retries one whose response was lost) answers as the first did and takes
/// no points again.
#[derive(Debug, Clone)]
pub struct Handler<U = InMemoryUsers> {
    users: U,
}

impl<U: UserStore> Handler<U> {
    /// A handler redeeming from `users`.
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

impl<U: UserStore> RedeemPoints for Handler<U> {
    async fn redeem_points(
        &self,
        input: RedeemPointsInput,
    ) -> Result<RedeemPointsOutput, RedeemPointsError> {
        let total = errors::amount("total.total", input.total.total)?;
        match self
            .users
            .redeem_points_below(&input.execution_id, &input.user_id, total)
            .await?
        {
            Redemption::Redeemed(points) => Ok(RedeemPointsOutput {
                total: total - points,
                points,
            }),
            Redemption::Refused(points) => Err(RedeemPointsError::PointsRedemptionFailed(format!(
                "the total {total} does not exceed the {points} points of user {:?}",
                input.user_id
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::functions::RedeemPointsFunction;
    use crate::generated::types::TotalToRedeem;
    use crate::store::InMemoryUsers;
    use orderflow_runtime::{INVALID_INPUT, StepError, invoke_json};
    use serde_json::json;

    fn input(user_id: &str, total: f64) -> RedeemPointsInput {
        RedeemPointsInput {
            user_id: user_id.into(),
            total: TotalToRedeem { total },
            execution_id: format!("execution-of-{user_id}-{total}"),
        }
    }

    #[tokio::test]
    async fn subtracts_all_points_and_zeroes_them() {
        let users = InMemoryUsers::seeded();
        let out = Handler::new(users.clone())
            .redeem_points(input("1", 79.0))
            .await
            .unwrap();
        assert_eq!(
            out,
            RedeemPointsOutput {
                total: 59.0,
                points: 20.0
            }
        );
        assert_eq!(users.user("1").await.unwrap().unwrap().points, 0.0);
    }

    #[tokio::test]
    async fn a_total_not_above_the_points_is_points_redemption_failed() {
        let users = InMemoryUsers::seeded();
        let handler = Handler::new(users.clone());
        let err = handler.redeem_points(input("2", 79.0)).await.unwrap_err();
        assert_eq!(err.error_type(), "PointsRedemptionFailed");
        assert_eq!(
            err.to_string(),
            r#"the total 79 does not exceed the 500 points of user "2""#
        );
        assert_eq!(users.user("2").await.unwrap().unwrap().points, 500.0);
        // Equal does not exceed either.
        let err = handler.redeem_points(input("3", 10.0)).await.unwrap_err();
        assert_eq!(err.error_type(), "PointsRedemptionFailed");
    }

    #[tokio::test]
    async fn a_retried_invocation_redeems_once_and_answers_as_the_first() {
        let users = InMemoryUsers::seeded();
        let handler = Handler::new(users.clone());
        let first = handler.redeem_points(input("1", 79.0)).await.unwrap();
        let retried = handler.redeem_points(input("1", 79.0)).await.unwrap();
        assert_eq!(retried, first);
        assert_eq!(users.user("1").await.unwrap().unwrap().points, 0.0);
    }

    #[tokio::test]
    async fn another_execution_finds_the_points_redeemed() {
        let handler = handler();
        handler.redeem_points(input("1", 79.0)).await.unwrap();
        let other = RedeemPointsInput {
            execution_id: "another execution".into(),
            ..input("1", 79.0)
        };
        assert_eq!(
            handler.redeem_points(other).await.unwrap(),
            RedeemPointsOutput {
                total: 79.0,
                points: 0.0
            }
        );
    }

    #[tokio::test]
    async fn a_retried_refusal_is_refused_again_though_the_points_changed() {
        let users = InMemoryUsers::seeded();
        let handler = Handler::new(users.clone());
        let refused = handler.redeem_points(input("2", 79.0)).await.unwrap_err();
        users
            .redeem_points_below("other", "2", 1000.0)
            .await
            .unwrap();
        let retried = handler.redeem_points(input("2", 79.0)).await.unwrap_err();
        assert_eq!(retried.to_string(), refused.to_string());
    }

    #[tokio::test]
    async fn unknown_user_and_bad_total_are_other_errors() {
        let err = handler()
            .redeem_points(input("nobody", 79.0))
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), "UserNotFound");
        let err = handler()
            .redeem_points(input("1", f64::INFINITY))
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), INVALID_INPUT);
    }

    #[tokio::test]
    async fn a_poisoned_store_is_store_unavailable() {
        let users = InMemoryUsers::seeded();
        users.poison();
        let err = Handler::new(users)
            .redeem_points(input("1", 79.0))
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), "StoreUnavailable");
    }

    /// redeem.json's state at RedeemPoints, with the execution's id the Parameters add; the
    /// output replaces $.total.
    #[tokio::test]
    async fn json_example() {
        let function = RedeemPointsFunction(handler());
        let mut state = json!({
            "userId": "1", "bookId": "100", "quantity": 2, "redeem": true,
            "book": {"bookId": "100", "title": "The Rust Programming Language", "quantity": 10, "price": 39.5},
            "total": {"total": 79.0},
            "executionId": "arn:aws:states:us-east-1:123456789012:execution:StoreCheckout:redeem"
        });
        let out = invoke_json(&function, state.clone()).await;
        assert_eq!(out, Ok(json!({"total": 59.0, "points": 20.0})));

        state["userId"] = json!("2");
        let err = invoke_json(&function, state).await.unwrap_err();
        assert_eq!(err.error, "PointsRedemptionFailed");
    }
}
