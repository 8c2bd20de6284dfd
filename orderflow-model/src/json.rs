//! JSON with source positions.
//!
//! serde_json forgets where a value came from and silently keeps only the last of two
//! duplicate keys; diagnostics need both, so definitions are parsed into this tree. The
//! syntax itself is read by `jsonc-parser` with every JSONC/JSON5 leniency switched off,
//! so what parses here is exactly RFC 8259 JSON.

use std::fmt::Write as _;

use serde_json::{Map, Number, Value};

/// A byte range in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Span {
    /// The offset of the first byte.
    pub start: u32,
    /// The offset one past the last byte.
    pub end: u32,
}

impl Span {
    /// The bytes `start..end` (offsets past `u32::MAX` are clamped; such files are refused).
    pub fn new(start: usize, end: usize) -> Self {
        // Files larger than 4 GiB are refused when read, so offsets fit.
        Span {
            start: u32::try_from(start).unwrap_or(u32::MAX),
            end: u32::try_from(end).unwrap_or(u32::MAX),
        }
    }

    /// A sub-range `start..end` (byte offsets relative to this span's start).
    pub fn slice(self, start: usize, end: usize) -> Self {
        let base = self.start as usize;
        Span::new(
            base + start,
            (base + end).min(self.end as usize).max(base + start),
        )
    }
}

/// One JSON value and the bytes it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Json {
    /// The bytes of the value, from its first character to its last.
    pub span: Span,
    /// The value itself.
    pub kind: JsonKind,
}

/// The kind of a JSON value, with its children.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonKind {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number: an integer when it fits `i64` or `u64`, else a float.
    Number(Number),
    /// A string, unescaped.
    String(String),
    /// An array, in source order.
    Array(Vec<Json>),
    /// Members in source order, duplicates kept.
    Object(Vec<Member>),
}

/// One member of a JSON object.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// The key, unescaped.
    pub key: String,
    /// The bytes of the key as written.
    pub key_span: Span,
    /// The member's value.
    pub value: Json,
}

/// A JSON syntax error: where, and what the parser expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// Where the parser stopped.
    pub span: Span,
    /// The parser's message.
    pub message: String,
}

impl Json {
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            JsonKind::String(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self.kind {
            JsonKind::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The number, if this is one.
    pub fn as_number(&self) -> Option<&Number> {
        match &self.kind {
            JsonKind::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The elements, if this is an array.
    pub fn as_array(&self) -> Option<&[Json]> {
        match &self.kind {
            JsonKind::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The members, in source order with duplicates, if this is an object.
    pub fn as_object(&self) -> Option<&[Member]> {
        match &self.kind {
            JsonKind::Object(members) => Some(members),
            _ => None,
        }
    }

    /// The first member named `key`, if this is an object.
    pub fn get(&self, key: &str) -> Option<&Json> {
        self.member(key).map(|m| &m.value)
    }

    /// The first member named `key` (with its key's span), if this is an object.
    pub fn member(&self, key: &str) -> Option<&Member> {
        self.as_object()?.iter().find(|m| m.key == key)
    }

    /// The JSON type name, as JSON Schema spells it.
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            JsonKind::Null => "null",
            JsonKind::Bool(_) => "boolean",
            JsonKind::Number(n) if n.is_i64() || n.is_u64() => "integer",
            JsonKind::Number(_) => "number",
            JsonKind::String(_) => "string",
            JsonKind::Array(_) => "array",
            JsonKind::Object(_) => "object",
        }
    }

    /// The plain value (for duplicate keys the last one wins, as in every JSON consumer AWS runs).
    pub fn to_value(&self) -> Value {
        match &self.kind {
            JsonKind::Null => Value::Null,
            JsonKind::Bool(b) => Value::Bool(*b),
            JsonKind::Number(n) => Value::Number(n.clone()),
            JsonKind::String(s) => Value::String(s.clone()),
            JsonKind::Array(items) => Value::Array(items.iter().map(Json::to_value).collect()),
            JsonKind::Object(members) => {
                let mut map = Map::with_capacity(members.len());
                for m in members {
                    map.insert(m.key.clone(), m.value.to_value());
                }
                Value::Object(map)
            }
        }
    }

    /// Follows an RFC 6901 pointer (`""` is this value).
    pub fn pointer(&self, pointer: &str) -> Option<&Json> {
        if pointer.is_empty() {
            return Some(self);
        }
        let mut node = self;
        for raw in pointer.strip_prefix('/')?.split('/') {
            let token = raw.replace("~1", "/").replace("~0", "~");
            node = match &node.kind {
                JsonKind::Object(_) => node.get(&token)?,
                JsonKind::Array(items) => items.get(token.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(node)
    }
}

/// A problem with an object read strictly (see [`member_problems`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MemberProblem<'j> {
    /// `member` repeats the key of the earlier `first`: JSON readers keep only one of them.
    Duplicate {
        /// The later member.
        member: &'j Member,
        /// The first member with that key.
        first: &'j Member,
    },
    /// `member`'s key is not one the object allows.
    Unknown {
        /// The member with the key not allowed.
        member: &'j Member,
    },
}

impl<'j> MemberProblem<'j> {
    /// The member the problem is about.
    pub fn member(&self) -> &'j Member {
        match self {
            MemberProblem::Duplicate { member, .. } | MemberProblem::Unknown { member } => member,
        }
    }
}

/// Reads the members of an object strictly, as the ASL parser and the mock configuration reader
/// both do: each key once, and (with `allowed`) only allowed keys. The problems come in member
/// order; a repeated key is reported as a duplicate only, not also as unknown.
pub fn member_problems<'j>(
    members: &'j [Member],
    allowed: Option<&[&str]>,
) -> Vec<MemberProblem<'j>> {
    let mut problems = Vec::new();
    for (i, member) in members.iter().enumerate() {
        if let Some(first) = members[..i].iter().find(|m| m.key == member.key) {
            problems.push(MemberProblem::Duplicate { member, first });
        } else if allowed.is_some_and(|allowed| !allowed.contains(&member.key.as_str())) {
            problems.push(MemberProblem::Unknown { member });
        }
    }
    problems
}

/// Appends one RFC 6901 reference token to `pointer`.
pub fn push_pointer(pointer: &str, token: &str) -> String {
    let mut out = String::with_capacity(pointer.len() + token.len() + 1);
    out.push_str(pointer);
    out.push('/');
    for c in token.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
    out
}

/// Appends an array index to `pointer`.
pub fn push_index(pointer: &str, index: usize) -> String {
    let mut out = String::with_capacity(pointer.len() + 4);
    out.push_str(pointer);
    let _ = write!(out, "/{index}");
    out
}

/// Parses strict JSON.
pub fn parse(text: &str) -> Result<Json, SyntaxError> {
    let options = jsonc_parser::ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    let parsed =
        jsonc_parser::parse_to_ast(text, &jsonc_parser::CollectOptions::default(), &options)
            .map_err(|e| {
                let range = e.range();
                SyntaxError {
                    span: Span::new(range.start, range.end),
                    message: e.kind().to_string(),
                }
            })?;
    match parsed.value {
        Some(value) => convert(value),
        None => Err(SyntaxError {
            span: Span::new(0, 0),
            message: "the file is empty; expected a JSON value".into(),
        }),
    }
}

fn convert(value: jsonc_parser::ast::Value<'_>) -> Result<Json, SyntaxError> {
    use jsonc_parser::ast::{ObjectPropName, Value as Ast};
    let span = |r: jsonc_parser::common::Range| Span::new(r.start, r.end);
    Ok(match value {
        Ast::NullKeyword(n) => Json {
            span: span(n.range),
            kind: JsonKind::Null,
        },
        Ast::BooleanLit(b) => Json {
            span: span(b.range),
            kind: JsonKind::Bool(b.value),
        },
        Ast::NumberLit(n) => {
            let number = n
                .value
                .parse::<Number>()
                .or_else(|_| {
                    // Integers beyond i64/u64 still are valid JSON numbers; keep them as floats.
                    n.value
                        .parse::<f64>()
                        .ok()
                        .and_then(Number::from_f64)
                        .ok_or(())
                })
                .map_err(|()| SyntaxError {
                    span: span(n.range),
                    message: format!("`{}` is not a valid JSON number", n.value),
                })?;
            Json {
                span: span(n.range),
                kind: JsonKind::Number(number),
            }
        }
        Ast::StringLit(s) => Json {
            span: span(s.range),
            kind: JsonKind::String(s.value.into_owned()),
        },
        Ast::Array(a) => Json {
            span: span(a.range),
            kind: JsonKind::Array(
                a.elements
                    .into_iter()
                    .map(convert)
                    .collect::<Result<_, _>>()?,
            ),
        },
        Ast::Object(o) => {
            let mut members = Vec::with_capacity(o.properties.len());
            for prop in o.properties {
                let (key, key_span) = match prop.name {
                    ObjectPropName::String(s) => (s.value.into_owned(), span(s.range)),
                    ObjectPropName::Word(w) => {
                        return Err(SyntaxError {
                            span: span(w.range),
                            message: "expected a string in double quotes".into(),
                        });
                    }
                };
                members.push(Member {
                    key,
                    key_span,
                    value: convert(prop.value)?,
                });
            }
            Json {
                span: span(o.range),
                kind: JsonKind::Object(members),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_members_report_duplicates_then_unknown_keys() {
        let json = parse(r#"{"a": 1, "b": 2, "a": 3, "c": 4, "c": 5}"#).unwrap_or_else(|e| {
            panic!("{}", e.message);
        });
        let members = json.as_object().unwrap_or_default();
        let problems = member_problems(members, Some(&["a", "b"]));
        let described: Vec<(String, &str)> = problems
            .iter()
            .map(|p| match p {
                MemberProblem::Duplicate { member, first } => {
                    assert_eq!(first.key, member.key);
                    assert!(first.key_span.start < member.key_span.start);
                    (member.key.clone(), "duplicate")
                }
                MemberProblem::Unknown { member } => (member.key.clone(), "unknown"),
            })
            .collect();
        assert_eq!(
            described,
            [
                ("a".to_string(), "duplicate"),
                ("c".to_string(), "unknown"),
                ("c".to_string(), "duplicate")
            ]
        );
        // Without a list of allowed keys (a map by name), only duplicates.
        assert_eq!(member_problems(members, None).len(), 2);
    }

    #[test]
    fn keeps_spans_and_duplicates() {
        let text = r#"{"a": 1, "a": [true, null], "b": "x"}"#;
        let json = parse(text).unwrap();
        let members = json.as_object().unwrap();
        assert_eq!(members.len(), 3);
        assert_eq!(members[0].key, "a");
        assert_eq!(members[1].key, "a");
        let s = members[2].value.span;
        assert_eq!(&text[s.start as usize..s.end as usize], "\"x\"");
        assert_eq!(json.to_value()["a"], serde_json::json!([true, null]));
    }

    #[test]
    fn rejects_json5_leniencies() {
        for bad in [
            "{a: 1}",
            "{\"a\": 1,}",
            "[1 2]",
            "// c\n{}",
            "'x'",
            "0x10",
            "+1",
            ".5",
            "NaN",
            "",
            "{\"a\": 1} x",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn pointers_escape_and_resolve() {
        let json = parse(r#"{"a/b": {"c~d": [10, 20]}}"#).unwrap();
        let p = push_index(&push_pointer(&push_pointer("", "a/b"), "c~d"), 1);
        assert_eq!(p, "/a~1b/c~0d/1");
        assert_eq!(json.pointer(&p).unwrap().to_value(), serde_json::json!(20));
    }
}
