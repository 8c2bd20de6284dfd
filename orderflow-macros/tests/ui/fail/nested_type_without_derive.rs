use orderflow_runtime::StepOutput;

#[derive(serde::Serialize, StepOutput)]
#[step(workflow = "../../../../orderflow-macros/tests/definitions/books", function = "lookupBook")]
struct Book {
    title: String,
    price: f64,
    author: Author,
}

#[derive(serde::Serialize)]
struct Author {
    name: String,
}

fn main() {}
