//! The `restoreRedeemPoints` function. Created by orderflow-codegen once; this file is yours and is never overwritten.
use crate::generated::errors::RestoreRedeemPointsError;
use crate::generated::functions::RestoreRedeemPoints;
use crate::generated::types::{RestoreRedeemPointsInput, RestoreRedeemPointsOutput};
/// Compensation: gives the user back total.points if points were redeemed; returns null.
#[derive(Debug, Clone, Default)]
pub struct Handler;
/// The handler the Lambda binary runs.
pub fn handler() -> Handler {
    Handler
}
impl RestoreRedeemPoints for Handler {
    async fn restore_redeem_points(
        &self,
        input: RestoreRedeemPointsInput,
    ) -> Result<RestoreRedeemPointsOutput, RestoreRedeemPointsError> {
        let _ = input;
        Err(RestoreRedeemPointsError::Other {
            error_type: "NotImplemented".to_owned(),
            message: "restoreRedeemPoints is not implemented yet: edit src/functions/restore_redeem_points.rs"
                .to_owned(),
        })
    }
}
