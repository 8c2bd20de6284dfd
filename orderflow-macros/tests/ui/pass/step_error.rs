//! Every shape `#[derive(StepError)]` accepts.
use orderflow_runtime::{Diagnostic, OtherError, StepError, StepFailure};

/// Newtype, unit and `other` variants, as generated crates write them.
#[derive(Debug, Clone, PartialEq, Eq, StepError)]
pub enum CheckInventoryError {
    /// `BookNotFound`: the message becomes the error's `Cause`.
    #[step(error = "BookNotFound")]
    BookNotFound(String),
    /// The warehouse is closed.
    #[step(error = "WarehouseClosed")]
    WarehouseClosed,
    /// Any other error.
    #[step(other)]
    Other {
        /// The name.
        error_type: String,
        /// The cause.
        message: String,
    },
}

/// A function that declares no error and has no fallback still has an error type.
#[derive(Debug, StepError)]
pub enum Infallible {}

/// Generic parameters and where clauses are kept.
#[derive(Debug, StepError)]
pub enum Wrapped<T>
where
    T: std::fmt::Display + std::fmt::Debug + Send + Sync + 'static,
{
    #[step(error = "Wrapped")]
    Wrapped(T),
    #[step(other)]
    Other { message: String, error_type: String },
}

struct Unavailable;

impl OtherError for Unavailable {
    fn into_step_failure(self) -> StepFailure {
        StepFailure {
            error: "StoreUnavailable".into(),
            cause: "down".into(),
        }
    }
}

fn handler() -> Result<(), CheckInventoryError> {
    Err(Unavailable)?;
    Ok(())
}

fn generic() -> Result<(), Wrapped<u32>> {
    Err(Unavailable)?;
    Ok(())
}

fn main() {
    let error = handler().unwrap_err();
    assert_eq!(error.error_type(), "StoreUnavailable");
    let diagnostic = Diagnostic::from(error);
    assert_eq!(diagnostic.error_message, "down");
    assert_eq!(generic().unwrap_err().error_type(), "StoreUnavailable");
    assert_eq!(Wrapped::<u32>::Wrapped(3).to_string(), "3");
    assert_eq!(CheckInventoryError::WarehouseClosed.to_string(), "The warehouse is closed.");
    let _: Option<&dyn StepError> = None::<&Infallible>.map(|e| e as &dyn StepError);
}
