//! An enum's own `StepError`s are not `OtherError`s: `?` does not silently turn one function's
//! `BookNotFound` into another function's `Other`.
use orderflow_runtime::StepError;

#[derive(Debug, StepError)]
enum CheckInventoryError {
    #[step(error = "BookNotFound")]
    BookNotFound(String),
}

#[derive(Debug, StepError)]
enum CalculateTotalError {
    #[step(other)]
    Other { error_type: String, message: String },
}

fn check() -> Result<(), CheckInventoryError> {
    Err(CheckInventoryError::BookNotFound("7".into()))
}

fn total() -> Result<(), CalculateTotalError> {
    check()?;
    Ok(())
}

fn main() {
    let _ = total();
}
