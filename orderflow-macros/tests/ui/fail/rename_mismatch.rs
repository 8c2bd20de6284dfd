use orderflow_runtime::StepInput;

/// Without rename_all, `book_id` is looked up as "book_id".
#[derive(serde::Deserialize, StepInput)]
#[step(workflow = "../../../../orderflow-macros/tests/definitions/books", function = "lookupBook")]
struct Request {
    book_id: String,
    quantity: u32,
}

fn main() {}
