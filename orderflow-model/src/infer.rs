//! JSON Schemas inferred from sample values: what `init` writes for a workflow that has none.
//!
//! Each value observed at a position (the whole payload, a property, an array's items) adds to
//! that position's [`Observations`]; the schema then says exactly what was seen, in JSON Schema
//! 2020-12, deterministically (object properties in name order):
//!
//! - the JSON types, with `integer` kept apart from `number` (a position that held both is a
//!   `number`), and `null` as a type of its own: `["string", "null"]`;
//! - `required`: the properties present in every object observed there, the others optional;
//! - arrays: one item schema from every item of every array observed there;
//! - nested objects get a `title` from their path (`OrderItems`), which names their Rust type;
//! - strings: `format` when every value observed is a `date-time`, `uuid`, `email` or `uri`;
//!   an `enum` when a few values recur: at most [`ENUM_MAX_VALUES`] distinct ones, each seen
//!   [`ENUM_MIN_REPEATS`] times on average;
//! - `minimum: 0` for an integer never observed negative;
//! - a position with no value observed (an empty array's items) accepts anything, and its
//!   `description` says so.

use std::collections::{BTreeMap, BTreeSet};

use heck::ToUpperCamelCase;
use serde_json::{Map, Value, json};

/// At most this many distinct strings make an `enum`…
pub const ENUM_MAX_VALUES: usize = 8;
/// …and only when each is seen this many times on average (two samples saying `"a"` and `"b"`
/// are no evidence of a closed set; twenty saying one of three values are).
pub const ENUM_MIN_REPEATS: usize = 3;
/// Distinct strings remembered per position (beyond, no enum is possible anyway).
const DISTINCT_CAP: usize = ENUM_MAX_VALUES + 1;

/// Everything observed at one position of the samples.
#[derive(Debug, Clone, Default)]
pub struct Observations {
    /// Values observed here, of any type.
    values: usize,
    nulls: usize,
    booleans: usize,
    integers: usize,
    /// The smallest integer observed.
    integer_min: Option<i128>,
    /// Non-integer numbers.
    numbers: usize,
    strings: StringObservations,
    arrays: usize,
    items: Option<Box<Observations>>,
    objects: usize,
    /// Per property: how many objects had it, and its values.
    properties: BTreeMap<String, (usize, Observations)>,
}

#[derive(Debug, Clone, Default)]
struct StringObservations {
    count: usize,
    distinct: BTreeSet<String>,
    /// Formats every string so far matched (`None`: no string yet).
    formats: Option<BTreeSet<&'static str>>,
}

impl Observations {
    /// Nothing observed yet.
    pub fn new() -> Self {
        Observations::default()
    }

    /// Adds one value (a whole sample, or a value inside one).
    pub fn observe(&mut self, value: &Value) {
        self.values += 1;
        match value {
            Value::Null => self.nulls += 1,
            Value::Bool(_) => self.booleans += 1,
            Value::Number(n) => match n.as_i64().map(i128::from).or(n.as_u64().map(i128::from)) {
                Some(i) => {
                    self.integers += 1;
                    self.integer_min = Some(self.integer_min.map_or(i, |m| m.min(i)));
                }
                None => self.numbers += 1,
            },
            Value::String(s) => {
                let strings = &mut self.strings;
                strings.count += 1;
                if strings.distinct.len() < DISTINCT_CAP {
                    strings.distinct.insert(s.clone());
                }
                let matched: BTreeSet<&'static str> = FORMATS
                    .iter()
                    .filter(|(_, test)| test(s))
                    .map(|(name, _)| *name)
                    .collect();
                strings.formats = Some(match strings.formats.take() {
                    None => matched,
                    Some(so_far) => so_far.intersection(&matched).copied().collect(),
                });
            }
            Value::Array(items) => {
                self.arrays += 1;
                let observed = self.items.get_or_insert_with(Box::default);
                for item in items {
                    observed.observe(item);
                }
            }
            Value::Object(members) => {
                self.objects += 1;
                for (name, member) in members {
                    let (present, observed) = self.properties.entry(name.clone()).or_default();
                    *present += 1;
                    observed.observe(member);
                }
            }
        }
    }

    /// How many values were observed here.
    pub fn count(&self) -> usize {
        self.values
    }

    /// Whether any value was observed here.
    pub fn is_empty(&self) -> bool {
        self.values == 0
    }

    /// The schema of what was observed. `path` names nested object types (`title`);
    /// `description` goes on the root.
    pub fn to_schema(&self, path: &str, description: Option<&str>) -> Value {
        let mut schema = self.schema_at(path);
        if let (Some(text), Value::Object(object)) = (description, &mut schema) {
            // The root's own description says where the schema came from.
            let mut ordered = Map::new();
            ordered.insert(
                "$schema".into(),
                json!("https://json-schema.org/draft/2020-12/schema"),
            );
            ordered.insert("description".into(), json!(text));
            for (k, v) in std::mem::take(object) {
                if k != "description" || !ordered.contains_key("description") {
                    ordered.entry(k).or_insert(v);
                }
            }
            *object = ordered;
        }
        schema
    }

    fn schema_at(&self, path: &str) -> Value {
        if self.values == 0 {
            return json!({"description": "No value was observed here, so any value is accepted."});
        }
        let mut alternatives: Vec<Map<String, Value>> = Vec::new();
        if self.booleans > 0 {
            alternatives.push(type_only("boolean"));
        }
        if self.integers > 0 || self.numbers > 0 {
            if self.numbers > 0 {
                alternatives.push(type_only("number"));
            } else {
                let mut integer = type_only("integer");
                if self.integer_min.is_some_and(|m| m >= 0) {
                    integer.insert("minimum".into(), json!(0));
                }
                alternatives.push(integer);
            }
        }
        if self.strings.count > 0 {
            alternatives.push(self.string_schema());
        }
        if self.arrays > 0 {
            let mut array = type_only("array");
            let items = match &self.items {
                Some(items) => items.schema_at(&format!("{path}Item")),
                None => json!({}),
            };
            array.insert("items".into(), items);
            alternatives.push(array);
        }
        if self.objects > 0 {
            alternatives.push(self.object_schema(path));
        }
        let nullable = self.nulls > 0;
        match alternatives.len() {
            0 => json!({"type": "null"}),
            1 => {
                let mut only = alternatives.remove(0);
                if nullable {
                    let t = only.get("type").cloned().unwrap_or(Value::Null);
                    only.insert("type".into(), json!([t, "null"]));
                    if let Some(Value::Array(values)) = only.get_mut("enum") {
                        values.push(Value::Null);
                    }
                }
                Value::Object(only)
            }
            _ => {
                let mut any: Vec<Value> = alternatives.into_iter().map(Value::Object).collect();
                if nullable {
                    any.push(json!({"type": "null"}));
                }
                json!({ "anyOf": any })
            }
        }
    }

    fn string_schema(&self) -> Map<String, Value> {
        let mut string = type_only("string");
        let strings = &self.strings;
        let format = strings
            .formats
            .as_ref()
            .and_then(|formats| FORMATS.iter().find(|(name, _)| formats.contains(name)));
        if let Some((name, _)) = format {
            string.insert("format".into(), json!(name));
        } else if strings.distinct.len() <= ENUM_MAX_VALUES
            && strings.count >= ENUM_MIN_REPEATS * strings.distinct.len()
        {
            string.insert(
                "enum".into(),
                Value::Array(strings.distinct.iter().map(|s| json!(s)).collect()),
            );
        }
        string
    }

    fn object_schema(&self, path: &str) -> Map<String, Value> {
        let mut object = type_only("object");
        if !path.is_empty() {
            object.insert("title".into(), json!(path.to_upper_camel_case()));
        }
        let mut properties = Map::new();
        let mut required = Vec::new();
        for (name, (present, observed)) in &self.properties {
            let child = format!("{path} {name}");
            properties.insert(name.clone(), observed.schema_at(child.trim()));
            if *present == self.objects {
                required.push(json!(name));
            }
        }
        object.insert("properties".into(), Value::Object(properties));
        if !required.is_empty() {
            object.insert("required".into(), Value::Array(required));
        }
        object
    }
}

fn type_only(name: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("type".into(), json!(name));
    m
}

/// A string format's name and its test.
type Format = (&'static str, fn(&str) -> bool);

/// The string formats inferred, most specific first.
const FORMATS: [Format; 4] = [
    ("uuid", is_uuid),
    ("date-time", is_date_time),
    ("email", is_email),
    ("uri", is_uri),
];

fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// RFC 3339: `2024-01-31T12:00:00Z`, fractions and offsets allowed.
fn is_date_time(s: &str) -> bool {
    crate::asl::timestamp::parse_timestamp(s).is_some()
}

fn is_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !local.contains(char::is_whitespace)
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains(['@', ' '])
        }
        None => false,
    }
}

fn is_uri(s: &str) -> bool {
    match s.split_once("://") {
        Some((scheme, rest)) => {
            !scheme.is_empty()
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
                && !rest.is_empty()
                && !rest.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// The schema of `samples` (see the module's rules), with `description` saying where they came
/// from.
pub fn infer_schema<'a>(samples: impl IntoIterator<Item = &'a Value>, description: &str) -> Value {
    let mut observed = Observations::new();
    for sample in samples {
        observed.observe(sample);
    }
    observed.to_schema("", Some(description))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn infer(samples: &[Value]) -> Value {
        let mut schema = infer_schema(samples, "test");
        if let Some(o) = schema.as_object_mut() {
            o.remove("$schema");
            o.remove("description");
        }
        schema
    }

    #[test]
    fn types_required_and_nullable() {
        let schema = infer(&[
            json!({"id": "a", "count": 1, "price": 2, "note": null, "gift": true}),
            json!({"id": "b", "count": 7, "price": 2.5, "note": "x"}),
        ]);
        assert_eq!(
            schema,
            json!({
                "type": "object",
                "properties": {
                    "count": {"type": "integer", "minimum": 0},
                    "gift": {"type": "boolean"},
                    "id": {"type": "string"},
                    "note": {"type": ["string", "null"]},
                    "price": {"type": "number"}
                },
                "required": ["count", "id", "note", "price"]
            })
        );
    }

    #[test]
    fn arrays_merge_their_items_and_nested_objects_are_named_by_path() {
        let schema = infer(&[
            json!({"items": [{"bookId": "1", "quantity": 2}, {"bookId": "2", "quantity": -1}]}),
            json!({"items": []}),
        ]);
        let items = &schema["properties"]["items"];
        assert_eq!(items["type"], "array");
        assert_eq!(items["items"]["title"], "ItemsItem");
        assert_eq!(
            items["items"]["properties"]["quantity"],
            json!({"type": "integer"}),
            "seen negative: no minimum"
        );
        assert_eq!(items["items"]["required"], json!(["bookId", "quantity"]));
        let empty = infer(&[json!({"tags": []})]);
        assert!(
            empty["properties"]["tags"]["items"]["description"]
                .as_str()
                .is_some_and(|d| d.contains("No value was observed"))
        );
    }

    #[test]
    fn recurring_strings_become_enums_and_formats_are_recognised() {
        let statuses: Vec<Value> = ["Confirmed", "Failed", "Confirmed"]
            .iter()
            .cycle()
            .take(9)
            .map(|s| json!({"status": s}))
            .collect();
        assert_eq!(
            infer(&statuses)["properties"]["status"],
            json!({"type": "string", "enum": ["Confirmed", "Failed"]})
        );
        // Two values seen once each are no evidence of a closed set.
        assert_eq!(infer(&[json!("a"), json!("b")]), json!({"type": "string"}));
        for (value, format) in [
            ("2024-01-31T12:00:00Z", "date-time"),
            ("0f8fad5b-d9cb-469f-a165-70867728950e", "uuid"),
            ("ana@example.com", "email"),
            ("https://example.com/a", "uri"),
        ] {
            assert_eq!(
                infer(&[json!(value)]),
                json!({"type": "string", "format": format}),
                "{value}"
            );
        }
        // One value that is not a date: no format.
        assert_eq!(
            infer(&[json!("2024-01-31T12:00:00Z"), json!("soon")]),
            json!({"type": "string"})
        );
    }

    #[test]
    fn mixed_types_are_alternatives() {
        assert_eq!(
            infer(&[json!(1), json!("one"), json!(null)]),
            json!({"anyOf": [{"type": "integer", "minimum": 1 - 1}, {"type": "string"}, {"type": "null"}]})
        );
        assert_eq!(infer(&[json!(1), json!(1.5)]), json!({"type": "number"}));
    }

    #[test]
    fn the_root_says_where_it_came_from_and_the_output_is_deterministic() {
        let samples = [json!({"b": 1, "a": 2}), json!({"a": 3, "b": 4})];
        let one = infer_schema(&samples, "Inferred from 2 samples.");
        let two = infer_schema(samples.iter().rev(), "Inferred from 2 samples.");
        assert_eq!(one.to_string(), two.to_string());
        assert_eq!(one["description"], "Inferred from 2 samples.");
        assert_eq!(
            one["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
    }
}
