use orderflow_runtime::StepInput;

#[derive(serde::Deserialize, StepInput)]
#[step(workflow = "../../../../orderflow-macros/tests/definitions/books", function = "lookupBook")]
struct Request {
    #[serde(rename = "bookId")]
    book_id: String,
}

fn main() {}
