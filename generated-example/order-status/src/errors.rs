//! How failures that are not a function's declared errors reach Step Functions.
//!
//! The order-status functions declare no errors, so every generated error enum has just an
//! `Other { error_type, message }` variant, into which it converts from any [`OtherError`]: `?`
//! works on these in every handler. A storage failure ([`StoreError`]) becomes `Other` named by
//! [`StoreError::error_type`]; a payload the JSON Schema would reject but the generated Rust type
//! accepts (an empty `orderId`) becomes `Other` named [`INVALID_INPUT`], the name the runtime
//! gives a payload that does not deserialize.

use orderflow_runtime::{INVALID_INPUT, OtherError, StepFailure};

use crate::store::StoreError;

/// A payload value outside what its schema allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidInput(pub String);

/// Checks an order id against the schemas' `"minLength": 1`.
pub(crate) fn order_id(value: &str) -> Result<&str, InvalidInput> {
    if value.is_empty() {
        return Err(InvalidInput("orderId must not be empty".to_owned()));
    }
    Ok(value)
}

impl OtherError for StoreError {
    fn into_step_failure(self) -> StepFailure {
        StepFailure {
            error: self.error_type().to_owned(),
            cause: self.to_string(),
        }
    }
}

impl OtherError for InvalidInput {
    fn into_step_failure(self) -> StepFailure {
        StepFailure {
            error: INVALID_INPUT.to_owned(),
            cause: self.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::errors::{CheckInventoryError, UpdateOrderStatusError};
    use orderflow_runtime::StepError;

    #[test]
    fn errors_become_other_with_their_names() {
        let e = UpdateOrderStatusError::from(StoreError::Poisoned("orders"));
        assert_eq!(e.error_type(), "StoreUnavailable");
        let e = CheckInventoryError::from(order_id("").unwrap_err());
        assert_eq!(e.error_type(), INVALID_INPUT);
        assert_eq!(e.to_string(), "orderId must not be empty");
        assert_eq!(order_id("12345"), Ok("12345"));
    }
}
