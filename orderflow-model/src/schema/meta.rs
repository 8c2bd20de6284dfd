//! Meta-validation: does the schema validate against its draft's meta-schema?
//!
//! The meta-schemas are bundled in the `jsonschema` crate (through `referencing`), and the crate
//! is built without `resolve-http`/`resolve-file`, so nothing here reads the network or disk.
//! The validators are compiled from `{"$ref": "<meta-schema URI>"}` with format assertion on, so
//! that `pattern` must be a valid regular expression and `$ref` a valid URI reference in both
//! drafts (jsonschema asserts formats by default for draft-07 only).

use std::collections::HashSet;
use std::fmt::Write as _;
use std::sync::{Arc, LazyLock};

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, Validator};
use serde_json::Value;

use super::Draft;
use super::keywords;
use super::refs;
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::json::Json;
use crate::source::SourceFile;

/// At most this many meta-schema errors per file (a broken file can produce hundreds).
const MAX_META_ERRORS: usize = 50;

static DRAFT7: LazyLock<Option<Validator>> = LazyLock::new(|| build(Draft::Draft7));
static DRAFT202012: LazyLock<Option<Validator>> = LazyLock::new(|| build(Draft::Draft202012));

fn build(draft: Draft) -> Option<Validator> {
    jsonschema::options()
        .with_draft(draft.to_jsonschema())
        .should_validate_formats(true)
        .build(&serde_json::json!({ "$ref": draft.uri() }))
        .ok()
}

/// Validates `value` (the plain form of `json`) against `draft`'s meta-schema; pushes one E0201
/// per problem and returns whether there were none.
pub(crate) fn validate(
    file: &Arc<SourceFile>,
    json: &Json,
    value: &Value,
    draft: Draft,
    out: &mut Vec<Diagnostic>,
) -> bool {
    let compiled = match draft {
        Draft::Draft7 => DRAFT7.as_ref(),
        Draft::Draft202012 => DRAFT202012.as_ref(),
    };
    // The bundled meta-validators (which assert formats for draft-07 only) are the fallback,
    // should building the format-asserting one ever fail.
    let fallback;
    let validator: &Validator = match compiled {
        Some(v) => v,
        None => {
            fallback = match draft {
                Draft::Draft7 => jsonschema::draft7::meta::validator(),
                Draft::Draft202012 => jsonschema::draft202012::meta::validator(),
            };
            &fallback
        }
    };
    let mut seen = HashSet::new();
    let mut valid = true;
    for error in validator.iter_errors(value) {
        valid = false;
        let problem = describe(&error);
        if !seen.insert((problem.pointer.clone(), problem.message.clone())) {
            continue;
        }
        if seen.len() > MAX_META_ERRORS {
            break;
        }
        let (pointer, span) = match refs::lookup(json, &problem.pointer) {
            Some(node) => (problem.pointer, node.span),
            None => (String::new(), json.span),
        };
        let mut d = Diagnostic::new(Code::SchemaInvalid, problem.message)
            .at(Location::new(file, pointer, span))
            .note(format!("the {} meta-schema rejects this", draft.name()));
        if let Some(help) = problem.help {
            d = d.help(help);
        }
        out.push(d);
    }
    valid
}

/// A meta-schema error in orderflow's words.
struct Problem {
    pointer: String,
    message: String,
    help: Option<String>,
}

fn describe(error: &ValidationError<'_>) -> Problem {
    let pointer = error.instance_path().as_str().to_owned();
    let instance: &Value = error.instance();
    let subject = subject(&pointer);
    let found = found(instance);
    let mut help = None;
    let message = match error.kind() {
        ValidationErrorKind::Type { kind } => {
            let names: Vec<String> = match kind {
                TypeKind::Single(t) => vec![t.to_string()],
                TypeKind::Multiple(set) => set.iter().map(|t| t.to_string()).collect(),
            };
            format!("{subject} must be {}, found {found}", types_phrase(&names))
        }
        ValidationErrorKind::Enum { options } => {
            help = enum_help(instance, options);
            format!("{subject} must be {}, found {found}", enum_phrase(options))
        }
        ValidationErrorKind::Constant { expected_value } => {
            format!("{subject} must be {expected_value}, found {found}")
        }
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            return describe_alternatives(error, context);
        }
        ValidationErrorKind::Minimum { limit } => {
            format!("{subject} must be at least {limit}, found {found}")
        }
        ValidationErrorKind::Maximum { limit } => {
            format!("{subject} must be at most {limit}, found {found}")
        }
        ValidationErrorKind::ExclusiveMinimum { limit } => {
            format!("{subject} must be greater than {limit}, found {found}")
        }
        ValidationErrorKind::ExclusiveMaximum { limit } => {
            format!("{subject} must be less than {limit}, found {found}")
        }
        ValidationErrorKind::MinItems { limit } => format!(
            "{subject} must have at least {limit} item{}",
            if *limit == 1 { "" } else { "s" }
        ),
        ValidationErrorKind::MaxItems { limit } => format!(
            "{subject} must have at most {limit} item{}",
            if *limit == 1 { "" } else { "s" }
        ),
        ValidationErrorKind::MinLength { limit } => format!(
            "{subject} must be at least {limit} character{} long",
            if *limit == 1 { "" } else { "s" }
        ),
        ValidationErrorKind::UniqueItems => match first_duplicate(instance) {
            Some(dup) => format!("{subject} must not repeat items; {dup} appears more than once"),
            None => format!("{subject} must not repeat items"),
        },
        ValidationErrorKind::Format { format } => {
            let what = match format.as_str() {
                "regex" => "a valid regular expression (ECMA 262)",
                "uri-reference" => {
                    help = Some(
                        "percent-encode spaces and other characters not allowed in URIs \
                         (e.g. `%20` for a space)"
                            .to_owned(),
                    );
                    "a valid URI reference"
                }
                "uri" => "an absolute URI",
                _ => "",
            };
            if what.is_empty() {
                format!("{subject} must be a valid \"{format}\", found {found}")
            } else {
                format!("{subject} must be {what}, found {found}")
            }
        }
        ValidationErrorKind::Pattern { pattern } => {
            format!("{subject} must match the pattern `{pattern}`, found {found}")
        }
        ValidationErrorKind::FalseSchema => format!("{subject} is not allowed here"),
        ValidationErrorKind::Required { property } => {
            format!("{subject} lacks the required {property}")
        }
        _ => format!("{subject}: {error}"),
    };
    Problem {
        pointer,
        message,
        help,
    }
}

/// An `anyOf`/`oneOf` of the meta-schema failed (e.g. `type` is a type name or an array of
/// them). If one alternative got past the value's type and failed deeper, that deeper error
/// is the real one; otherwise the message lists what each alternative expected.
fn describe_alternatives(
    error: &ValidationError<'_>,
    context: &[Vec<ValidationError<'static>>],
) -> Problem {
    let pointer = error.instance_path().as_str();
    let deeper = context.iter().find(|branch| {
        !branch.is_empty()
            && branch
                .iter()
                .all(|e| e.instance_path().as_str().len() > pointer.len())
    });
    if let Some(first) = deeper.and_then(|branch| branch.first()) {
        return describe(first);
    }
    let instance: &Value = error.instance();
    let mut types: Vec<String> = Vec::new();
    let mut options: Vec<Value> = Vec::new();
    for e in context.iter().flatten() {
        if e.instance_path().as_str() != pointer {
            continue;
        }
        match e.kind() {
            ValidationErrorKind::Type { kind } => match kind {
                TypeKind::Single(t) => types.push(t.to_string()),
                TypeKind::Multiple(set) => types.extend(set.iter().map(|t| t.to_string())),
            },
            ValidationErrorKind::Enum { options: o } => {
                if let Value::Array(items) = &**o {
                    options.extend(items.iter().cloned());
                }
            }
            _ => {}
        }
    }
    types.dedup();
    let subject = subject(pointer);
    let found = found(instance);
    let options = Value::Array(options);
    let has_options = options.as_array().is_some_and(|o| !o.is_empty());
    let (message, help) = if has_options && (instance.is_string() || types.is_empty()) {
        (
            format!("{subject} must be {}, found {found}", enum_phrase(&options)),
            enum_help(instance, &options),
        )
    } else if !types.is_empty() {
        let mut phrase = types_phrase(&types);
        if has_options {
            phrase = format!("{}, or {phrase}", enum_phrase(&options));
        }
        (format!("{subject} must be {phrase}, found {found}"), None)
    } else {
        (format!("{subject}: {error}"), None)
    };
    Problem {
        pointer: pointer.to_owned(),
        message,
        help,
    }
}

/// `"type"`, `the schema of property "total"`, `item 1 of "type"`, `the schema`: what the
/// value at `pointer` is, told by walking the pointer through the schema's structure.
fn subject(pointer: &str) -> String {
    /// What the next pointer token is.
    #[derive(Clone, Copy)]
    enum Next {
        Keyword,
        Name,
        Index,
        Data,
    }
    let Some(tokens) = refs::pointer_tokens(pointer) else {
        return "the value".to_owned();
    };
    let mut next = Next::Keyword;
    let mut subject = "the schema".to_owned();
    let mut parent = String::new();
    for token in tokens {
        let is_index = token.parse::<usize>().is_ok();
        match next {
            Next::Name => {
                subject = match parent.as_str() {
                    "properties" => format!("the schema of property \"{token}\""),
                    "$defs" | "definitions" => {
                        format!("the schema of definition \"{token}\" in \"{parent}\"")
                    }
                    _ => format!("the schema of \"{token}\" in \"{parent}\""),
                };
                next = Next::Keyword;
            }
            Next::Index | Next::Data if is_index => {
                subject = format!("item {token} of \"{parent}\"");
                next = if matches!(next, Next::Index) {
                    Next::Keyword
                } else {
                    Next::Data
                };
            }
            Next::Data => {
                subject = format!("\"{token}\"");
                parent = token;
            }
            // `items` is a schema or an array of them.
            Next::Keyword | Next::Index => {
                subject = format!("\"{token}\"");
                let key = token.as_str();
                next = if keywords::SCHEMA_MAP.contains(&key) {
                    Next::Name
                } else if keywords::SCHEMA_ARRAY.contains(&key) {
                    Next::Index
                } else if keywords::SINGLE_SCHEMA.contains(&key) {
                    Next::Keyword
                } else {
                    Next::Data
                };
                parent = token;
            }
        }
    }
    subject
}

/// `an object or a boolean`, `a string`.
fn types_phrase(names: &[String]) -> String {
    let with_article: Vec<String> = names
        .iter()
        .map(|n| match n.as_str() {
            "array" | "object" | "integer" => format!("an {n}"),
            "null" => "null".to_owned(),
            _ => format!("a {n}"),
        })
        .collect();
    match with_article.split_last() {
        None => "something else".to_owned(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

fn enum_phrase(options: &Value) -> String {
    let items: Vec<String> = options
        .as_array()
        .map(|a| a.iter().map(Value::to_string).collect())
        .unwrap_or_default();
    format!("one of {}", items.join(", "))
}

/// `did you mean "string"?` for a misspelt enum member.
fn enum_help(instance: &Value, options: &Value) -> Option<String> {
    let word = instance.as_str()?;
    let candidates = options.as_array()?.iter().filter_map(Value::as_str);
    keywords::closest(word, candidates).map(|c| format!("did you mean \"{c}\"?"))
}

/// How a found value reads in a message: strings and scalars as JSON (cut short), containers by
/// their type.
pub(crate) fn found(value: &Value) -> String {
    match value {
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
        other => {
            let text = other.to_string();
            if text.chars().count() > 40 {
                let mut short: String = text.chars().take(37).collect();
                short.push('…');
                if other.is_string() {
                    short.push('"');
                }
                short
            } else {
                text
            }
        }
    }
}

fn first_duplicate(value: &Value) -> Option<String> {
    let items = value.as_array()?;
    for (i, item) in items.iter().enumerate() {
        if items[..i].contains(item) {
            let mut s = String::new();
            let _ = write!(s, "{}", found(item));
            return Some(s);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_follow_the_schema_structure() {
        assert_eq!(subject(""), "the schema");
        assert_eq!(subject("/type"), "\"type\"");
        assert_eq!(subject("/type/1"), "item 1 of \"type\"");
        assert_eq!(
            subject("/properties/total"),
            "the schema of property \"total\""
        );
        assert_eq!(
            subject("/properties/properties/type"),
            "\"type\"",
            "a property named like a keyword"
        );
        assert_eq!(
            subject("/properties/properties"),
            "the schema of property \"properties\""
        );
        assert_eq!(
            subject("/$defs/a"),
            "the schema of definition \"a\" in \"$defs\""
        );
        assert_eq!(subject("/anyOf/2"), "item 2 of \"anyOf\"");
        assert_eq!(subject("/anyOf/2/required/0"), "item 0 of \"required\"");
        assert_eq!(subject("/items/minLength"), "\"minLength\"");
    }

    #[test]
    fn found_values_are_short() {
        assert_eq!(found(&serde_json::json!("strng")), "\"strng\"");
        assert_eq!(found(&serde_json::json!(5)), "5");
        assert_eq!(found(&serde_json::json!([1])), "an array");
        let long = found(&serde_json::json!("x".repeat(100)));
        assert!(
            long.ends_with("…\"") && long.chars().count() == 39,
            "{long}"
        );
    }
}
