use orderflow_runtime::StepOutput;

#[derive(serde::Serialize, StepOutput)]
#[step(workflow = "../../../../orderflow-macros/tests/definitions/broken", function = "lookupBook")]
struct Book {
    title: String,
}

fn main() {}
