use orderflow_runtime::StepOutput;

#[derive(serde::Serialize, StepOutput)]
#[step(workflow = "../../../../orderflow-macros/tests/definitions/books", function = "lookupBook")]
struct Book {
    title: String,
    price: f64,
    author: Author,
}

/// Checked against another part of the schema than the one `author` holds.
#[derive(serde::Serialize, StepOutput)]
#[step(workflow = "../../../../orderflow-macros/tests/definitions/books", function = "lookupBook", pointer = "/$defs/Publisher")]
struct Author {
    name: String,
}

fn main() {}
