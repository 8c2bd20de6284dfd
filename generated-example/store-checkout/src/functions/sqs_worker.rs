//! The `sqsWorker` function. Created by orderflow-codegen once; this file is yours and is never overwritten.
use crate::generated::errors::SqsWorkerError;
use crate::generated::functions::SqsWorker;
use crate::generated::types::{SqsWorkerInput, SqsWorkerOutput};
/// Consumes the orders queue: reserves the ordered quantity from stock and assigns a courier, completing PrepareOrder's task token with the courier or with NoCourierAvailable.
#[derive(Debug, Clone, Default)]
pub struct Handler;
/// The handler the Lambda binary runs.
pub fn handler() -> Handler {
    Handler
}
impl SqsWorker for Handler {
    async fn sqs_worker(&self, input: SqsWorkerInput) -> Result<SqsWorkerOutput, SqsWorkerError> {
        let _ = input;
        Err(SqsWorkerError::Other {
            error_type: "NotImplemented".to_owned(),
            message: "sqsWorker is not implemented yet: edit src/functions/sqs_worker.rs"
                .to_owned(),
        })
    }
}
