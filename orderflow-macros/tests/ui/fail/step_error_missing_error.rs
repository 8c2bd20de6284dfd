use orderflow_runtime::StepError;

#[derive(Debug, StepError)]
enum CheckInventoryError {
    #[step(error = "BookNotFound")]
    BookNotFound(String),
    BookOutOfStock(String),
    #[step(other)]
    Other { error_type: String, message: String },
}

fn main() {}
