use orderflow_runtime::StepOutput;

#[derive(serde::Serialize, StepOutput)]
#[step(workflow = "../../../../orderflow-macros/tests/definitions/books", function = "lookupBook", pointer = "/$defs/Author")]
struct Author {
    name: String,
    born: Option<u32>,
}

fn main() {}
