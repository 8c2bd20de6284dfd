use orderflow_runtime::StepInput;

#[derive(serde::Deserialize, StepInput)]
#[step(workflow = "../../../../orderflow-macros/tests/definitions/no-such-workflow", function = "lookupBook")]
struct Request {
    quantity: u32,
}

fn main() {}
