use orderflow_runtime::StepInput;

/// lookupBook's input schema is closed but declares the optional `giftNote`: with
/// `deny_unknown_fields` and no field for it, every input that has a gift note is rejected.
#[derive(serde::Deserialize, StepInput)]
#[step(workflow = "../../../../orderflow-macros/tests/definitions/books", function = "lookupBook")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Request {
    book_id: String,
    quantity: u32,
}

fn main() {}
