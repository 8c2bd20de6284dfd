//! How failures that are not a function's declared errors reach Step Functions.
//!
//! The order-status functions declare no errors, so every generated error enum has just an
//! `Other { error_type, message }` variant. A storage failure ([`StoreError`]) becomes `Other`
//! named by [`StoreError::error_type`]; a payload the JSON Schema would reject but the generated
//! Rust type accepts (an empty `orderId`) becomes `Other` named [`INVALID_INPUT`], the name the
//! runtime gives a payload that does not deserialize.

use orderflow_runtime::INVALID_INPUT;

use crate::generated::errors::{CheckInventoryError, ProcessPaymentError, UpdateOrderStatusError};
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

macro_rules! other_from {
    ($($error:ty),* $(,)?) => {$(
        impl From<StoreError> for $error {
            fn from(error: StoreError) -> Self {
                Self::Other {
                    error_type: error.error_type().to_owned(),
                    message: error.to_string(),
                }
            }
        }

        impl From<InvalidInput> for $error {
            fn from(InvalidInput(message): InvalidInput) -> Self {
                Self::Other {
                    error_type: INVALID_INPUT.to_owned(),
                    message,
                }
            }
        }
    )*};
}

other_from!(
    CheckInventoryError,
    ProcessPaymentError,
    UpdateOrderStatusError
);

#[cfg(test)]
mod tests {
    use super::*;
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
