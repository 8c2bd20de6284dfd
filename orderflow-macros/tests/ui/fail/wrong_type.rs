use orderflow_runtime::StepInput;

#[derive(serde::Deserialize, StepInput)]
#[step(workflow = "../../../../orderflow-macros/tests/definitions/books", function = "lookupBook")]
#[serde(rename_all = "camelCase")]
struct Request {
    book_id: u64,
    quantity: f64,
}

fn main() {}
