//! Errors as Step Functions raises them: an error name and a cause, and the rules that decide
//! which `ErrorEquals` entries match a name.

/// The built-in error names the executor raises.
pub mod names {
    /// Matches every error except States.Runtime and States.DataLimitExceeded.
    pub const ALL: &str = "States.ALL";
    /// The execution cannot go on (an unbound Task, a path that selects nothing…); never retried or caught.
    pub const RUNTIME: &str = "States.Runtime";
    /// A Task ran longer than its `TimeoutSeconds`.
    pub const TIMEOUT: &str = "States.Timeout";
    /// A Task sent no heartbeat within its `HeartbeatSeconds`.
    pub const HEARTBEAT_TIMEOUT: &str = "States.HeartbeatTimeout";
    /// Matches every Task error except States.Timeout.
    pub const TASK_FAILED: &str = "States.TaskFailed";
    /// A payload exceeded the 256 KiB limit; ends the execution.
    pub const DATA_LIMIT_EXCEEDED: &str = "States.DataLimitExceeded";
    /// No Choice rule matched and the Choice state has no `Default`.
    pub const NO_CHOICE_MATCHED: &str = "States.NoChoiceMatched";
    /// An intrinsic function (`States.Format`, …) failed on its arguments.
    pub const INTRINSIC_FAILURE: &str = "States.IntrinsicFailure";
    /// `ResultPath` names a place the state's input cannot hold.
    pub const RESULT_PATH_MATCH_FAILURE: &str = "States.ResultPathMatchFailure";
    /// More Map iterations failed than `ToleratedFailureCount`/`Percentage` allow.
    pub const EXCEED_TOLERATED_FAILURE_THRESHOLD: &str = "States.ExceedToleratedFailureThreshold";
    /// A JSONata expression failed or gave no value where one is needed.
    pub const QUERY_EVALUATION_ERROR: &str = "States.QueryEvaluationError";
}

/// A failed state: the error name and cause AWS would report. Both are optional, as a Fail
/// state may leave either out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The error name (`States.Timeout`, a function's `BookNotFound`…).
    pub error: Option<String>,
    /// The human-readable cause.
    pub cause: Option<String>,
}

impl Failure {
    /// A failure with both an error name and a cause.
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        Failure {
            error: Some(error.into()),
            cause: Some(cause.into()),
        }
    }

    /// The error name, or `""` when the failure has none (a Fail state without `Error`).
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
