//! Errors as Step Functions raises them: an error name and a cause. The names Step Functions
//! raises and the rule that decides which `ErrorEquals` entries match a name are the model's
//! ([`orderflow_model::asl::error_names`]), which `check` applies too.

use orderflow_model::asl::error_names;

/// A failed state: the error name and cause AWS would report. Both are optional, as a Fail
/// state may leave either out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The error name (`States.Timeout`, a function's `BookNotFound`…).
    pub error: Option<String>,
    /// The human-readable cause.
    pub cause: Option<String>,
    /// The field whose JSONata expression failed (`Timestamp`, `Output/v`): the `location` of
    /// AWS's `EvaluationFailed` event.
    pub location: Option<String>,
}

impl Failure {
    /// A failure with both an error name and a cause.
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        Failure {
            error: Some(error.into()),
            cause: Some(cause.into()),
            location: None,
        }
    }

    /// The same failure, located in `field`.
    pub fn in_field(self, field: &str) -> Self {
        Failure {
            location: Some(field.to_owned()),
            ..self
        }
    }

    /// The error name, or `""` when the failure has none (a Fail state without `Error`).
    pub fn error_name(&self) -> &str {
        self.error.as_deref().unwrap_or("")
    }

    /// States.Runtime ends the execution: no Retry or Catch applies ([`error_names::is_terminal`]).
    pub fn is_terminal(&self) -> bool {
        error_names::is_terminal(self.error_name())
    }

    /// The error output a catcher passes on: `{"Error": …, "Cause": …}` (absent parts are "").
    pub fn to_error_output(&self) -> serde_json::Value {
        serde_json::json!({
            "Error": self.error.as_deref().unwrap_or(""),
            "Cause": self.cause.as_deref().unwrap_or(""),
        })
    }
}

/// Whether an `ErrorEquals` list matches this failure ([`error_names::entry_matches`]).
pub fn error_matches(error_equals: &[String], failure: &Failure) -> bool {
    error_names::error_equals_matches(
        error_equals.iter().map(String::as_str),
        failure.error_name(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use orderflow_model::asl::error_names::names;

    /// The rule itself is tested in the model; here, what a failure contributes: a Fail state
    /// that names no error is caught by `States.ALL` only.
    #[test]
    fn a_failure_without_an_error_name() {
        let unnamed = Failure {
            error: None,
            cause: Some("why".into()),
            location: None,
        };
        assert!(error_matches(&[names::ALL.to_string()], &unnamed));
        assert!(!error_matches(&[names::TASK_FAILED.to_string()], &unnamed));
        assert!(!unnamed.is_terminal());
        assert!(Failure::new(names::RUNTIME, "").is_terminal());
    }
}
