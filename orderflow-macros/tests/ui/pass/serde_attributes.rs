//! Every serde attribute the derive honours, on structs that match the schemas.
use std::collections::BTreeMap;

use orderflow_runtime::{StepInput, StepOutput};
use serde::{Deserialize, Serialize};

/// `rename_all`, an optional property as `Option`, and a skipped field.
#[derive(Deserialize, StepInput)]
#[serde(rename_all = "camelCase")]
#[step(workflow = "../../../../orderflow-macros/tests/definitions/books", function = "lookupBook")]
pub struct Request {
    pub book_id: String,
    pub quantity: u16,
    pub gift_note: Option<String>,
    #[serde(skip)]
    pub received_at: u64,
}

/// `deny_unknown_fields` on a closed schema whose every property has a field.
#[derive(Deserialize, StepInput)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[step(workflow = "../../../../orderflow-macros/tests/definitions/books", function = "lookupBook")]
pub struct Strict {
    pub book_id: String,
    pub quantity: u16,
    pub gift_note: Option<String>,
}

/// `rename`, `default` for an optional property, `Box<str>`.
#[derive(Deserialize, StepInput)]
#[step(workflow = "../../../../orderflow-macros/tests/definitions/books", function = "lookupBook")]
pub struct Renamed {
    #[serde(rename = "bookId")]
    pub id: Box<str>,
    pub quantity: i32,
    #[serde(rename = "giftNote", default)]
    pub note: String,
}

/// Output: nested struct (checked via its own derive), Vec, map, nullable Option.
#[derive(Serialize, StepOutput)]
#[step(workflow = "../../../../orderflow-macros/tests/definitions/books", function = "lookupBook")]
pub struct Book {
    pub title: String,
    pub price: f64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stock: Option<BTreeMap<String, u32>>,
    pub author: Author,
    pub subtitle: Option<String>,
}

#[derive(Serialize, StepOutput)]
#[step(workflow = "../../../../orderflow-macros/tests/definitions/books", function = "lookupBook", pointer = "/$defs/Author")]
pub struct Author {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub born: Option<i64>,
}

/// `flatten` of a map takes the remaining properties.
#[derive(Serialize, StepOutput)]
#[step(workflow = "../../../../orderflow-macros/tests/definitions/books", function = "lookupBook")]
pub struct Loose {
    pub title: String,
    #[serde(flatten)]
    pub rest: BTreeMap<String, serde_json::Value>,
}

fn main() {
    let ok = serde_json::json!({"bookId": "b", "quantity": 2});
    assert!(<Request as orderflow_runtime::StepInput>::validate(&ok).is_ok());
    let bad = serde_json::json!({"bookId": "b", "quantity": 0});
    assert!(<Request as orderflow_runtime::StepInput>::validate(&bad).is_err());
    let author = serde_json::json!({"name": "N"});
    assert!(<Author as orderflow_runtime::StepOutput>::validate(&author).is_ok());
    assert!(<Author as orderflow_runtime::StepOutput>::validate(&serde_json::json!({"born": 1})).is_err());
}
