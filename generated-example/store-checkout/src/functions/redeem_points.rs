//! The `redeemPoints` function. Created by orderflow-codegen once; this file is yours and is never overwritten.
use crate::generated::errors::RedeemPointsError;
use crate::generated::functions::RedeemPoints;
use crate::generated::types::{RedeemPointsInput, RedeemPointsOutput};
/// Subtracts all of the user's points from the total and sets the user's points to 0; fails when the total does not exceed the points.
#[derive(Debug, Clone, Default)]
pub struct Handler;
/// The handler the Lambda binary runs.
pub fn handler() -> Handler {
    Handler
}
impl RedeemPoints for Handler {
    async fn redeem_points(
        &self,
        input: RedeemPointsInput,
    ) -> Result<RedeemPointsOutput, RedeemPointsError> {
        let _ = input;
        Err(RedeemPointsError::Other {
            error_type: "NotImplemented".to_owned(),
            message: "redeemPoints is not implemented yet: edit src/functions/redeem_points.rs"
                .to_owned(),
        })
    }
}
