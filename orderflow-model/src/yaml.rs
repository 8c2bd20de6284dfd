//! YAML read into the same [`Json`] tree as JSON, with byte spans into the YAML text.
//!
//! Definitions live in `.asl.yaml` files, SAM and CloudFormation templates and `serverless.yml`;
//! diagnostics must point at the line the user wrote there, so the tree keeps every node's span
//! and every duplicate key (the parser reports none; the ASL checks do). Scalars resolve by the
//! YAML 1.2 core schema, as js-yaml (Serverless Framework) and asl-validator read them.
//! CloudFormation's short-form intrinsics become their long form, as AWS's own tools expand them:
//! `!Ref x` → `{"Ref": x}`, `!GetAtt a.b` → `{"Fn::GetAtt": ["a", "b"]}`, `!Sub s` →
//! `{"Fn::Sub": s}`.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Tag};
use serde_json::Number;

use crate::json::{Json, JsonKind, Member, Span, SyntaxError};

/// Parses one YAML document into a [`Json`] tree whose spans are byte ranges of `text`.
///
/// # Errors
///
/// A YAML syntax error, a stream with no or several documents, a key that is not a scalar, or
/// an alias to an unknown anchor, each with the place it was found.
pub fn parse(text: &str) -> Result<Json, SyntaxError> {
    parse_with(text, Booleans::Core)
}

/// Which plain scalars are booleans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Booleans {
    /// YAML 1.2's core schema: `true`/`false` (and `True`, `TRUE`, …) only. js-yaml (the
    /// Serverless Framework) and asl-validator read YAML so.
    Core,
    /// YAML 1.1's as well: `yes`/`no`/`on`/`off` in their three spellings. CloudFormation, SAM
    /// and the AWS CLI read templates so (PyYAML's resolver), so `End: yes` is `true` there.
    Yaml11,
}

/// [`parse`] with the booleans of `booleans`.
///
/// # Errors
///
/// As [`parse`].
pub fn parse_with(text: &str, booleans: Booleans) -> Result<Json, SyntaxError> {
    let offsets = ByteOffsets::new(text);
    let mut builder = Builder {
        booleans,
        stack: Vec::new(),
        anchors: HashMap::new(),
        root: None,
        documents: 0,
    };
    for item in Parser::new_from_str(text) {
        let (event, span) = item.map_err(|e| {
            let at = offsets.byte(e.marker().index());
            SyntaxError {
                span: Span::new(at, at),
                message: e.info().to_string(),
            }
        })?;
        let span = Span::new(
            offsets.byte(span.start.index()),
            offsets.byte(span.end.index()),
        );
        builder.event(event, span)?;
    }
    builder.root.ok_or_else(|| SyntaxError {
        span: Span::new(0, 0),
        message: "the file holds no YAML document; expected a mapping".into(),
    })
}

/// Character index → byte offset (saphyr's markers count characters).
struct ByteOffsets {
    /// Byte offset of each character, plus the text's length; empty when the text is ASCII.
    starts: Vec<usize>,
    len: usize,
}

impl ByteOffsets {
    fn new(text: &str) -> Self {
        let starts = if text.is_ascii() {
            Vec::new()
        } else {
            text.char_indices()
                .map(|(i, _)| i)
                .chain(std::iter::once(text.len()))
                .collect()
        };
        ByteOffsets {
            starts,
            len: text.len(),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        if self.starts.is_empty() {
            char_index.min(self.len)
        } else {
            self.starts.get(char_index).copied().unwrap_or(self.len)
        }
    }
}

/// A collection being read.
enum Open {
    Sequence {
        span: Span,
        tag: Option<Tag>,
        anchor: usize,
        items: Vec<Json>,
    },
    Mapping {
        span: Span,
        tag: Option<Tag>,
        anchor: usize,
        members: Vec<Member>,
        /// The key read, waiting for its value.
        key: Option<(String, Span)>,
    },
}

struct Builder {
    booleans: Booleans,
    stack: Vec<Open>,
    anchors: HashMap<usize, Json>,
    root: Option<Json>,
    documents: usize,
}

impl Builder {
    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), SyntaxError> {
        match event {
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(SyntaxError {
                        span,
                        message: "a second YAML document; a definition or template file holds one"
                            .into(),
                    });
                }
            }
            Event::Scalar(value, style, anchor, tag) => {
                let tag = tag.map(std::borrow::Cow::into_owned);
                // A key is read as text whatever it looks like (`200: …` is the key "200").
                if let Some(Open::Mapping {
                    key: key @ None, ..
                }) = self.stack.last_mut()
                {
                    *key = Some((value.into_owned(), span));
                    return Ok(());
                }
                let mut kind = scalar(&value, style, tag.as_ref(), span)?;
                if self.booleans == Booleans::Yaml11 && style == ScalarStyle::Plain && tag.is_none()
                {
                    match value.as_ref() {
                        "yes" | "Yes" | "YES" | "on" | "On" | "ON" => kind = JsonKind::Bool(true),
                        "no" | "No" | "NO" | "off" | "Off" | "OFF" => kind = JsonKind::Bool(false),
                        _ => {}
                    }
                }
                let node = intrinsic(tag.as_ref(), Json { span, kind }, span);
                self.value(node, anchor)?;
            }
            Event::Alias(id) => {
                let node = self.anchors.get(&id).cloned().ok_or_else(|| SyntaxError {
                    span,
                    message: "an alias to an anchor not defined before it".into(),
                })?;
                self.value(node, 0)?;
            }
            Event::SequenceStart(anchor, tag) => {
                self.check_key_position(span)?;
                self.stack.push(Open::Sequence {
                    span,
                    tag: tag.map(std::borrow::Cow::into_owned),
                    anchor,
                    items: Vec::new(),
                });
            }
            Event::MappingStart(anchor, tag) => {
                self.check_key_position(span)?;
                self.stack.push(Open::Mapping {
                    span,
                    tag: tag.map(std::borrow::Cow::into_owned),
                    anchor,
                    members: Vec::new(),
                    key: None,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (start, tag, anchor, kind, last) = match self.stack.pop() {
                    Some(Open::Sequence {
                        span,
                        tag,
                        anchor,
                        items,
                    }) => {
                        let last = items.last().map(|i| i.span.end);
                        (span, tag, anchor, JsonKind::Array(items), last)
                    }
                    Some(Open::Mapping {
                        span,
                        tag,
                        anchor,
                        members,
                        ..
                    }) => {
                        let last = members.last().map(|m| m.value.span.end);
                        (span, tag, anchor, JsonKind::Object(members), last)
                    }
                    None => return Ok(()),
                };
                // A flow collection ends at its bracket; a block one at its last entry (its end
                // event sits at the next token, on a later line).
                let end = if span.end > span.start {
                    span.end
                } else {
                    last.unwrap_or(start.end)
                };
                let node = Json {
                    span: Span::new(start.start as usize, end as usize),
                    kind,
                };
                self.value(intrinsic(tag.as_ref(), node, start), anchor)?;
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
        }
        Ok(())
    }

    /// A collection where a key is expected: YAML allows it, JSON (and so ASL) does not.
    fn check_key_position(&self, span: Span) -> Result<(), SyntaxError> {
        match self.stack.last() {
            Some(Open::Mapping { key: None, .. }) => Err(SyntaxError {
                span,
                message: "a mapping key that is a collection; keys must be strings".into(),
            }),
            _ => Ok(()),
        }
    }

    /// A finished node: the root, an item, or the value of the pending key.
    fn value(&mut self, node: Json, anchor: usize) -> Result<(), SyntaxError> {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Open::Sequence { items, .. }) => items.push(node),
            Some(Open::Mapping { members, key, .. }) => match key.take() {
                Some((key, key_span)) => members.push(Member {
                    key,
                    key_span,
                    value: node,
                }),
                // An alias used as a key.
                None => {
                    return Err(SyntaxError {
                        span: node.span,
                        message: "an alias used as a mapping key; keys must be strings".into(),
                    });
                }
            },
        }
        Ok(())
    }
}

/// A scalar's value by the YAML 1.2 core schema: only plain scalars are resolved, and a core
/// tag (`!!str`) decides for itself.
fn scalar(
    value: &str,
    style: ScalarStyle,
    tag: Option<&Tag>,
    span: Span,
) -> Result<JsonKind, SyntaxError> {
    let core = tag.filter(|t| t.is_yaml_core_schema());
    if let Some(tag) = core {
        let kind = match tag.suffix.as_str() {
            "str" => Some(JsonKind::String(value.to_string())),
            "null" => Some(JsonKind::Null),
            "bool" => match value {
                "true" | "True" | "TRUE" => Some(JsonKind::Bool(true)),
                "false" | "False" | "FALSE" => Some(JsonKind::Bool(false)),
                _ => None,
            },
            "int" | "float" => number(value).map(JsonKind::Number),
            _ => Some(JsonKind::String(value.to_string())),
        };
        return kind.ok_or_else(|| SyntaxError {
            span,
            message: format!("`{value}` is not a valid !!{}", tag.suffix),
        });
    }
    if style != ScalarStyle::Plain || tag.is_some() {
        return Ok(JsonKind::String(value.to_string()));
    }
    Ok(match value {
        "" | "~" | "null" | "Null" | "NULL" => JsonKind::Null,
        "true" | "True" | "TRUE" => JsonKind::Bool(true),
        "false" | "False" | "FALSE" => JsonKind::Bool(false),
        _ => number(value).map_or_else(|| JsonKind::String(value.to_string()), JsonKind::Number),
    })
}

/// A core-schema integer or float; `None` for anything else, including `.inf` and `.nan`, which
/// JSON cannot hold (such a scalar stays a string).
fn number(text: &str) -> Option<Number> {
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let radix = |prefix: &str, radix: u32| {
        digits
            .strip_prefix(prefix)
            .filter(|d| !d.is_empty())
            .and_then(|d| i64::from_str_radix(d, radix).ok())
            .map(|n| Number::from(if negative { -n } else { n }))
    };
    if text.starts_with(['0', '+', '-']) && digits.len() > 2 {
        if let Some(n) = radix("0x", 16).or_else(|| radix("0o", 8)) {
            return Some(n);
        }
    }
    let integer = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    if integer {
        if let Ok(n) = text.trim_start_matches('+').parse::<i64>() {
            return Some(Number::from(n));
        }
        if let Ok(n) = text.trim_start_matches('+').parse::<u64>() {
            return Some(Number::from(n));
        }
    }
    // [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
    let (mantissa, exponent) = match digits.find(['e', 'E']) {
        Some(i) => (&digits[..i], Some(&digits[i + 1..])),
        None => (digits, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (mantissa, None),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = all_digits(whole)
        && fraction.is_none_or(all_digits)
        && (!whole.is_empty() || fraction.is_some_and(|f| !f.is_empty()));
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && all_digits(e)
    });
    if !(mantissa_ok && exponent_ok) {
        return None;
    }
    text.trim_start_matches('+')
        .parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
}

/// A node under a CloudFormation short-form tag in its long form: `!Ref x` → `{"Ref": x}`,
/// `!Condition x` → `{"Condition": x}`, `!GetAtt a.b` → `{"Fn::GetAtt": ["a", "b"]}` (split at
/// the first dot only: attributes may hold dots), and `!Name v` → `{"Fn::Name": v}`. Other
/// nodes are returned as they are. `tag_span` is where the tag is written.
fn intrinsic(tag: Option<&Tag>, node: Json, tag_span: Span) -> Json {
    let Some(tag) = tag.filter(|t| t.handle == "!" && !t.suffix.is_empty()) else {
        return node;
    };
    let key = match tag.suffix.as_str() {
        "Ref" | "Condition" => tag.suffix.clone(),
        other => format!("Fn::{other}"),
    };
    let span = node.span;
    let value = match (&node.kind, tag.suffix.as_str()) {
        (JsonKind::String(s), "GetAtt") => {
            let (resource, attribute) = s.split_once('.').unwrap_or((s.as_str(), ""));
            let part = |text: &str| Json {
                span,
                kind: JsonKind::String(text.to_string()),
            };
            Json {
                span,
                kind: JsonKind::Array(vec![part(resource), part(attribute)]),
            }
        }
        _ => node,
    };
    let start = tag_span.start.min(span.start);
    Json {
        span: Span::new(start as usize, span.end as usize),
        kind: JsonKind::Object(vec![Member {
            key,
            key_span: Span::new(start as usize, start as usize + 1 + tag.suffix.len()),
            value,
        }]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at<'a>(text: &'a str, json: &Json) -> &'a str {
        &text[json.span.start as usize..json.span.end as usize]
    }

    #[test]
    fn scalars_resolve_by_the_core_schema() {
        let text =
            "a: 1\nb: -2.5\nc: true\nd: ~\ne: yes\nf: '1'\ng: 0x1F\nh: 1e3\ni: .inf\nj: |\n  x\n";
        let json = parse(text).expect("valid YAML");
        let value = json.to_value();
        assert_eq!(
            value,
            serde_json::json!({"a": 1, "b": -2.5, "c": true, "d": null, "e": "yes", "f": "1",
                "g": 31, "h": 1000.0, "i": ".inf", "j": "x\n"})
        );
    }

    #[test]
    fn yaml_1_1_booleans_are_read_for_cloudformation_only() {
        let text = "a: yes\nb: 'yes'\nc: Off\nd: y\n";
        let core = parse(text).expect("valid YAML").to_value();
        assert_eq!(
            core,
            serde_json::json!({"a": "yes", "b": "yes", "c": "Off", "d": "y"})
        );
        let yaml11 = parse_with(text, Booleans::Yaml11)
            .expect("valid YAML")
            .to_value();
        assert_eq!(
            yaml11,
            serde_json::json!({"a": true, "b": "yes", "c": false, "d": "y"})
        );
    }

    #[test]
    fn spans_are_bytes_of_the_yaml_text() {
        let text = "# é comment\nStates:\n  Bill:\n    Type: Task\n    Next: Done\n";
        let json = parse(text).expect("valid YAML");
        let next = json.pointer("/States/Bill/Next").expect("present");
        assert_eq!(at(text, next), "Done");
        let member = json
            .pointer("/States/Bill")
            .and_then(Json::as_object)
            .and_then(|m| m.iter().find(|m| m.key == "Type"))
            .expect("member");
        assert_eq!(
            &text[member.key_span.start as usize..member.key_span.end as usize],
            "Type"
        );
    }

    #[test]
    fn duplicate_keys_are_kept_for_the_checks_to_report() {
        let json = parse("a: 1\na: 2\n").expect("valid YAML");
        assert_eq!(json.as_object().map(<[Member]>::len), Some(2));
    }

    #[test]
    fn short_form_intrinsics_take_their_long_form() {
        let text = "a: !Ref Param\nb: !GetAtt Fn.Arn\nc: !Sub 'arn:${AWS::Region}'\nd: !Join ['', [x, !Ref y]]\ne: !GetAtt [Fn, Arn]\n";
        let json = parse(text).expect("valid YAML");
        assert_eq!(
            json.to_value(),
            serde_json::json!({
                "a": {"Ref": "Param"},
                "b": {"Fn::GetAtt": ["Fn", "Arn"]},
                "c": {"Fn::Sub": "arn:${AWS::Region}"},
                "d": {"Fn::Join": ["", ["x", {"Ref": "y"}]]},
                "e": {"Fn::GetAtt": ["Fn", "Arn"]},
            })
        );
        let b = json.pointer("/b").expect("present");
        assert_eq!(at(text, b), "!GetAtt Fn.Arn");
    }

    #[test]
    fn anchors_and_aliases_copy_the_node() {
        let json = parse("a: &r {x: 1}\nb: *r\n").expect("valid YAML");
        assert_eq!(
            json.to_value(),
            serde_json::json!({"a": {"x": 1}, "b": {"x": 1}})
        );
    }

    #[test]
    fn errors_have_a_place_and_a_message() {
        let text = "a: [1, 2\nb: 3\n";
        let error = parse(text).expect_err("unclosed flow sequence");
        assert!(!error.message.is_empty());
        assert!(error.span.start as usize <= text.len());
        assert!(parse("").is_err(), "an empty file is no document");
        assert!(parse("a: 1\n---\nb: 2\n").is_err(), "two documents");
        assert!(parse("? [a]\n: 1\n").is_err(), "a collection as a key");
    }
}
