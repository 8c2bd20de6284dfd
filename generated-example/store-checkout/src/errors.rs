//! How failures that are not a function's declared errors reach Step Functions.
//!
//! Every generated error enum has an `Other { error_type, message }` variant, and converts into
//! it from any [`OtherError`], so `?` works on these in every handler. A storage failure
//! ([`StoreError`]) becomes `Other` named by [`StoreError::error_type`]; a payload the JSON
//! Schema would reject but the generated Rust type accepts (a `quantity` of 0, a negative or
//! non-finite amount) becomes `Other` named [`INVALID_INPUT`], the name the runtime gives a payload
//! that does not deserialize.

use orderflow_runtime::{INVALID_INPUT, OtherError, StepFailure};

use crate::store::StoreError;

/// A payload value outside what its schema allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidInput(pub String);

/// Checks a quantity against the schemas' `"minimum": 1`.
pub(crate) fn quantity(field: &str, value: u64) -> Result<u64, InvalidInput> {
    if value == 0 {
        return Err(InvalidInput(format!("{field} must be at least 1, got 0")));
    }
    Ok(value)
}

/// Checks an amount (price, total, points) against the schemas' `"minimum": 0`; NaN and the
/// infinities, which serde_json would write as `null`, are rejected too.
pub(crate) fn amount(field: &str, value: f64) -> Result<f64, InvalidInput> {
    if !value.is_finite() || value < 0.0 {
        return Err(InvalidInput(format!(
            "{field} must be a finite number of at least 0, got {value}"
        )));
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
    use crate::generated::errors::{CalculateTotalError, SqsWorkerError};
    use orderflow_runtime::StepError;

    #[test]
    fn store_errors_become_other_with_their_name() {
        let e = SqsWorkerError::from(StoreError::Poisoned("books"));
        assert_eq!(e.error_type(), "StoreUnavailable");
        assert!(e.to_string().contains("books store is unavailable"), "{e}");
    }

    #[test]
    fn invalid_values_become_invalid_input() {
        let e = CalculateTotalError::from(amount("book.price", f64::NAN).unwrap_err());
        assert_eq!(e.error_type(), INVALID_INPUT);
        assert_eq!(
            e.to_string(),
            "book.price must be a finite number of at least 0, got NaN"
        );
        assert!(amount("total", -0.5).is_err());
        assert_eq!(amount("total", 0.0), Ok(0.0));
        assert_eq!(
            quantity("quantity", 0),
            Err(InvalidInput("quantity must be at least 1, got 0".into()))
        );
        assert_eq!(quantity("quantity", 1), Ok(1));
    }
}
