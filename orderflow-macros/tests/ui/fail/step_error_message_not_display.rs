use orderflow_runtime::StepError;

#[derive(Debug)]
struct Stock {
    available: u64,
}

#[derive(Debug, StepError)]
enum CheckInventoryError {
    #[step(error = "BookOutOfStock")]
    BookOutOfStock(Stock),
}

fn main() {}
