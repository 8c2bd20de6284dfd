use orderflow_runtime::StepError;

#[derive(Debug, StepError)]
enum CheckInventoryError {
    #[step(error = "BookOutOfStock")]
    BookOutOfStock(String, u64),
}

fn main() {}
