use orderflow_runtime::StepInput;

#[derive(serde::Deserialize, StepInput)]
#[step(workflow = "../../../../orderflow-macros/tests/definitions/books", function = "lookupBok")]
struct Request {
    quantity: u32,
}

fn main() {}
