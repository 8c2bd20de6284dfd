use orderflow_runtime::StepError;

#[derive(Debug, StepError)]
enum CheckInventoryError {
    #[step(other)]
    Other(String),
}

fn main() {}
