use orderflow_runtime::StepError;

#[derive(Debug, StepError)]
enum CheckInventoryError {
    #[step(error = "BookNotFound")]
    BookNotFound(String),
    #[step(other)]
    Other { error_type: String, message: String },
    #[step(other)]
    Unexpected { error_type: String, message: String },
}

fn main() {}
