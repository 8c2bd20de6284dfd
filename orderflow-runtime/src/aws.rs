//! Task-token callbacks through the Step Functions API (feature `aws`).

use serde_json::Value;

pub use aws_config;
pub use aws_sdk_sfn;

use aws_sdk_sfn::error::{DisplayErrorContext, SdkError};

use crate::task_token::{CallbackError, TaskTokenCallbacks};

/// SendTaskFailure rejects an `error` longer than this many characters.
const MAX_ERROR_CHARS: usize = 256;
/// SendTaskFailure rejects a `cause` longer than this many characters.
const MAX_CAUSE_CHARS: usize = 32_768;

/// [`TaskTokenCallbacks`] that call SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat on
/// Step Functions.
#[derive(Debug, Clone)]
pub struct SfnCallbacks {
    client: aws_sdk_sfn::Client,
}

impl SfnCallbacks {
    /// Callbacks through `client`.
    pub fn new(client: aws_sdk_sfn::Client) -> Self {
        Self { client }
    }

    /// Callbacks through a client configured from the environment (on Lambda: the function's
    /// role and region), so a generated `main` needs no SDK setup of its own.
    pub async fn from_env() -> Self {
        let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        Self::new(aws_sdk_sfn::Client::new(&config))
    }

    /// The client the callbacks use.
    pub fn client(&self) -> &aws_sdk_sfn::Client {
        &self.client
    }
}

impl From<aws_sdk_sfn::Client> for SfnCallbacks {
    fn from(client: aws_sdk_sfn::Client) -> Self {
        Self::new(client)
    }
}

impl TaskTokenCallbacks for SfnCallbacks {
    async fn send_task_success(&self, token: &str, output: Value) -> Result<(), CallbackError> {
        self.client
            .send_task_success()
            .task_token(token)
            .output(output.to_string())
            .send()
            .await?;
        Ok(())
    }

    /// `error` and `cause` are cut to the API's limits: a rejected call would only make SQS
    /// redeliver a message that can never succeed.
    async fn send_task_failure(
        &self,
        token: &str,
        error: &str,
        cause: &str,
    ) -> Result<(), CallbackError> {
        self.client
            .send_task_failure()
            .task_token(token)
            .error(truncate_chars(error, MAX_ERROR_CHARS))
            .cause(truncate_chars(cause, MAX_CAUSE_CHARS))
            .send()
            .await?;
        Ok(())
    }

    async fn send_task_heartbeat(&self, token: &str) -> Result<(), CallbackError> {
        self.client
            .send_task_heartbeat()
            .task_token(token)
            .send()
            .await?;
        Ok(())
    }
}

/// SDK errors keep their whole source chain (service error code, message, request id) in the
/// message, which is all a log line needs.
impl<E, R> From<SdkError<E, R>> for CallbackError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    fn from(error: SdkError<E, R>) -> Self {
        CallbackError::new(DisplayErrorContext(&error).to_string())
    }
}

/// The first `max` characters of `s`.
fn truncate_chars(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((end, _)) => &s[..end],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::truncate_chars;

    #[test]
    fn truncation_counts_characters() {
        assert_eq!(truncate_chars("abc", 5), "abc");
        assert_eq!(truncate_chars("abc", 3), "abc");
        assert_eq!(truncate_chars("aéc", 2), "aé");
    }
}
