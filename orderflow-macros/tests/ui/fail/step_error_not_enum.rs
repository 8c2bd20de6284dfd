use orderflow_runtime::StepError;

#[derive(Debug, StepError)]
struct CheckInventoryError {
    message: String,
}

fn main() {}
