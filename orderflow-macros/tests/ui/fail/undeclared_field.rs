use orderflow_runtime::StepInput;

// lookupBook's input schema allows additional properties, but declares only `bookId`: nothing
// guarantees an `isbn`, so a plain `String` field can never be filled.
#[derive(serde::Deserialize, StepInput)]
#[step(workflow = "../../../../tests/corpus/_base/minimal", function = "lookupBook")]
#[serde(rename_all = "camelCase")]
struct Request {
    book_id: String,
    isbn: String,
    gift_note: Option<String>,
}

fn main() {}
