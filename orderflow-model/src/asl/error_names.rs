//! Error names as Step Functions raises and matches them: which `ErrorEquals` entry of a Retry
//! or Catch matches an error.
//!
//! One rule for the checker (is a declared error caught? W0308) and the executor (which
//! retrier, which catcher applies), so `check` never calls an error handled that `run` lets
//! fail the execution.

/// Built-in error names.
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
    /// A payload exceeded the 256 KiB limit (catchable, as AWS's recorded executions show).
    pub const DATA_LIMIT_EXCEEDED: &str = "States.DataLimitExceeded";
    /// No Choice rule matched and the Choice state has no `Default`.
    pub const NO_CHOICE_MATCHED: &str = "States.NoChoiceMatched";
    /// An intrinsic function (`States.Format`, …) failed on its arguments.
    pub const INTRINSIC_FAILURE: &str = "States.IntrinsicFailure";
    /// `ResultPath` names a place the state's input cannot hold.
    pub const RESULT_PATH_MATCH_FAILURE: &str = "States.ResultPathMatchFailure";
    /// More Map iterations failed than `ToleratedFailureCount`/`Percentage` allow.
    pub const EXCEED_TOLERATED_FAILURE_THRESHOLD: &str = "States.ExceedToleratedFailureThreshold";
    /// A Distributed Map's `ItemReader` could not read its items.
    pub const ITEM_READER_FAILED: &str = "States.ItemReaderFailed";
    /// A Distributed Map's `ResultWriter` could not write its results.
    pub const RESULT_WRITER_FAILED: &str = "States.ResultWriterFailed";
    /// A JSONata expression failed or gave no value where one is needed.
    pub const QUERY_EVALUATION_ERROR: &str = "States.QueryEvaluationError";
}

/// `States.Runtime` ends the execution: no Retry or Catch applies to it, not even `States.ALL`.
///
/// `States.DataLimitExceeded` does not: AWS's documentation calls it terminal, but AWS's
/// recorded executions show a Task's oversized result caught by `Catch` on its name and on
/// `States.ALL` (LocalStack's AWS-validated `error_handling/test_states_errors.snapshot.json`),
/// and the recordings are what executions do.
pub fn is_terminal(error: &str) -> bool {
    error == names::RUNTIME
}

/// Whether one `ErrorEquals` entry matches `error` (`""`: a Fail state that names no error).
///
/// AWS's rules: a name matches itself; `States.ALL` matches every error; `States.TaskFailed`
/// matches every named error except `States.Timeout`; terminal errors ([`is_terminal`]) match
/// nothing.
pub fn entry_matches(entry: &str, error: &str) -> bool {
    if is_terminal(error) {
        return false;
    }
    entry == error
        || entry == names::ALL
        || (entry == names::TASK_FAILED && error != names::TIMEOUT && !error.is_empty())
}

/// Whether an `ErrorEquals` list matches `error`: any of its entries does.
pub fn error_equals_matches<'a>(
    error_equals: impl IntoIterator<Item = &'a str>,
    error: &str,
) -> bool {
    error_equals
        .into_iter()
        .any(|entry| entry_matches(entry, error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_rules() {
        assert!(entry_matches(names::ALL, "Custom"));
        assert!(entry_matches(names::ALL, names::TIMEOUT));
        assert!(entry_matches(names::ALL, ""));
        assert!(!entry_matches(names::ALL, names::RUNTIME));
        // AWS's recorded executions: States.ALL catches a Task's oversized result.
        assert!(entry_matches(names::ALL, names::DATA_LIMIT_EXCEEDED));
        assert!(!entry_matches(names::RUNTIME, names::RUNTIME));
        assert!(entry_matches(names::TASK_FAILED, "Lambda.Unknown"));
        assert!(entry_matches(names::TASK_FAILED, names::HEARTBEAT_TIMEOUT));
        assert!(!entry_matches(names::TASK_FAILED, ""));
        assert!(error_equals_matches(["A", "B"], "B"));
        assert!(!error_equals_matches(["A", "B"], "C"));
    }

    /// Where the checker's copy and the executor's disagreed: the checker took
    /// `States.TaskFailed` and `States.ALL` to catch every declared error, so a function declaring
    /// `States.Timeout` (or a terminal error) looked handled while the execution failed.
    #[test]
    fn task_failed_does_not_match_timeout_and_nothing_matches_terminal_errors() {
        assert!(!entry_matches(names::TASK_FAILED, names::TIMEOUT));
        assert!(!error_equals_matches(
            [names::TASK_FAILED, names::ALL],
            names::RUNTIME
        ));
        assert!(error_equals_matches(
            [names::TASK_FAILED, names::TIMEOUT],
            names::TIMEOUT
        ));
    }
}
