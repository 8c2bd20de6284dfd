//! Errors as Step Functions raises them: an error name and a cause, and the rules that decide
//! which `ErrorEquals` entries match a name.

/// The built-in error names the executor raises.
pub mod names {
    pub const ALL: &str = "States.ALL";
    pub const RUNTIME: &str = "States.Runtime";
    pub const TIMEOUT: &str = "States.Timeout";
    pub const HEARTBEAT_TIMEOUT: &str = "States.HeartbeatTimeout";
    pub const TASK_FAILED: &str = "States.TaskFailed";
    pub const DATA_LIMIT_EXCEEDED: &str = "States.DataLimitExceeded";
    pub const NO_CHOICE_MATCHED: &str = "States.NoChoiceMatched";
    pub const INTRINSIC_FAILURE: &str = "States.IntrinsicFailure";
    pub const RESULT_PATH_MATCH_FAILURE: &str = "States.ResultPathMatchFailure";
    pub const EXCEED_TOLERATED_FAILURE_THRESHOLD: &str = "States.ExceedToleratedFailureThreshold";
    pub const QUERY_EVALUATION_ERROR: &str = "States.QueryEvaluationError";
}

/// A failed state: the error name and cause AWS would report. Both are optional, as a Fail
/// state may leave either out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub error: Option<String>,
    pub cause: Option<String>,
}

impl Failure {
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        Failure {
            error: Some(error.into()),
            cause: Some(cause.into()),
        }
    }

    pub fn error_name(&self) -> &str {
        self.error.as_deref().unwrap_or("")
    }

    /// States.Runtime and States.DataLimitExceeded end the execution: no Retry or Catch applies.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self.error.as_deref(),
            Some(names::RUNTIME | names::DATA_LIMIT_EXCEEDED)
        )
    }

    /// The error output a catcher passes on: `{"Error": …, "Cause": …}` (absent parts are "").
    pub fn to_error_output(&self) -> serde_json::Value {
        serde_json::json!({
            "Error": self.error.as_deref().unwrap_or(""),
            "Cause": self.cause.as_deref().unwrap_or(""),
        })
    }
}

/// Whether an `ErrorEquals` list matches this failure.
///
/// `States.ALL` matches every error except the terminal ones; `States.TaskFailed` matches every
/// error except `States.Timeout` (AWS error-handling rules).
pub fn error_matches(error_equals: &[String], failure: &Failure) -> bool {
    if failure.is_terminal() {
        return false;
    }
    let name = failure.error_name();
    error_equals.iter().any(|e| {
        e == name
            || e == names::ALL
            || (e == names::TASK_FAILED && name != names::TIMEOUT && !name.is_empty())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(name: &str) -> Failure {
        Failure::new(name, "")
    }

    #[test]
    fn matching_rules() {
        let all = vec![names::ALL.to_string()];
        assert!(error_matches(&all, &f("Custom")));
        assert!(error_matches(&all, &f(names::TIMEOUT)));
        assert!(!error_matches(&all, &f(names::RUNTIME)));
        assert!(!error_matches(&all, &f(names::DATA_LIMIT_EXCEEDED)));
        let task = vec![names::TASK_FAILED.to_string()];
        assert!(error_matches(&task, &f("Lambda.Unknown")));
        assert!(!error_matches(&task, &f(names::TIMEOUT)));
        let named = vec!["A".to_string(), "B".to_string()];
        assert!(error_matches(&named, &f("B")));
        assert!(!error_matches(&named, &f("C")));
    }
}
