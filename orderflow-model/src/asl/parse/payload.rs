//! Input and output processing: `InputPath`, `Parameters`, `ResultSelector`, `ResultPath`,
//! `OutputPath`, `Assign`, payload templates with their `.$` fields, and JSONata strings.

use crate::asl::intrinsic;
use crate::asl::jsonata;
use crate::asl::model::*;
use crate::asl::path::{self, Path, PathError, PathRoot};
use crate::diagnostic::{Code, Diagnostic};
use crate::json::{Json, JsonKind, Member, Span, push_index, push_pointer};

use super::MAX_DEPTH;
use super::{Obj, Parser, inner_span};

impl Parser<'_> {
    pub(super) fn io(&mut self, obj: Obj<'_>, ql: QueryLanguage, io: &mut InputOutput) {
        io.input_path = self.nullable_path(obj, "InputPath", false);
        io.output_path = self.nullable_path(obj, "OutputPath", false);
        io.result_path = self.result_path(obj);
        if let Some(p) = obj.get("Parameters") {
            io.parameters = Some(self.payload(p, &obj.child("Parameters")));
        }
        if let Some(p) = obj.get("ResultSelector") {
            let pointer = obj.child("ResultSelector");
            if p.as_object().is_none() {
                self.wrong_type(&pointer, p, "ResultSelector", "an object");
            }
            io.result_selector = Some(self.payload(p, &pointer));
        }
        for key in ["Arguments", "Output"] {
            if let Some(v) = obj.get(key) {
                if ql == QueryLanguage::Jsonata {
                    self.jsonata_value(v, &obj.child(key), 0);
                }
                let slot = if key == "Arguments" {
                    &mut io.arguments
                } else {
                    &mut io.output
                };
                *slot = Some(v.clone());
            }
        }
    }

    /// `Assign`: an object of variable names; JSONPath values use `.$` keys, JSONata `{% %}`.
    /// Returns the JSONPath payload template.
    pub(super) fn assign(
        &mut self,
        json: &Json,
        pointer: &str,
        ql: QueryLanguage,
    ) -> Option<PayloadTemplate> {
        let obj = self.object(json, pointer, "`Assign`")?;
        for m in obj.members {
            let name = m.key.strip_suffix(".$").unwrap_or(&m.key);
            let valid = name
                .chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_alphanumeric() || c == '_')
                && name.chars().count() <= 80;
            if !valid {
                self.error(
                    Code::InvalidValue,
                    &obj.child(&m.key),
                    m.key_span,
                    format!("`{name}` is not a valid variable name (a letter or `_`, then letters, digits or `_`, at most 80 characters)"),
                );
            } else if name == "states" {
                // `$states` is Step Functions' own variable in JSONata states.
                self.error(
                    Code::InvalidValue,
                    &obj.child(&m.key),
                    m.key_span,
                    "`states` is reserved: `$states` holds the state's input, result and context",
                );
            }
        }
        match ql {
            QueryLanguage::JsonPath => Some(self.payload(json, pointer)),
            QueryLanguage::Jsonata => {
                self.jsonata_value(json, pointer, 0);
                None
            }
        }
    }

    pub(super) fn nullable_path(
        &mut self,
        obj: Obj<'_>,
        key: &str,
        reference: bool,
    ) -> Option<NullablePath> {
        let v = obj.get(key)?;
        let pointer = obj.child(key);
        match &v.kind {
            JsonKind::Null => Some(NullablePath::Null(v.span)),
            JsonKind::String(s) => self
                .path_string(s, v.span, &pointer, key, reference)
                .map(NullablePath::Path),
            _ => {
                self.wrong_type(&pointer, v, key, "a path string or null");
                None
            }
        }
    }

    /// `ResultPath`: `null` or a reference path into the state input. A variable (`$name`) or
    /// the context object (`$$`) cannot be written to, and AWS rejects either.
    pub(super) fn result_path(&mut self, obj: Obj<'_>) -> Option<NullablePath> {
        let result_path = self.nullable_path(obj, "ResultPath", true)?;
        if let NullablePath::Path(p) = &result_path {
            let written = match &p.value.root {
                PathRoot::Input => None,
                PathRoot::Context => Some("the context object (`$$`)".to_string()),
                PathRoot::Variable(name) => Some(format!("the variable `${name}`")),
            };
            if let Some(written) = written {
                let d = Diagnostic::new(
                    Code::InvalidReferencePath,
                    format!("`ResultPath` must be a reference path into the state input (`$…`), not {written}"),
                )
                .at(self.loc(&p.pointer, p.span))
                .label("only `$`-rooted paths can be written")
                .help("to keep the result in a variable, use `Assign` (e.g. `\"Assign\": { \"name.$\": \"$\" }`)");
                self.report(d);
                return None;
            }
        }
        Some(result_path)
    }

    pub(super) fn path_field(
        &mut self,
        obj: Obj<'_>,
        key: &str,
        reference: bool,
    ) -> Option<Spanned<Path>> {
        let s = self.string(obj, key)?;
        self.path_string(&s.value, s.span, &s.pointer, key, reference)
    }

    /// Parses a path held in a JSON string at `span` (the span includes the quotes).
    pub(super) fn path_string(
        &mut self,
        text: &str,
        span: Span,
        pointer: &str,
        key: &str,
        reference: bool,
    ) -> Option<Spanned<Path>> {
        let parsed = if reference {
            path::parse_reference_path(text)
        } else {
            path::parse_path(text)
        };
        match parsed {
            Ok(p) => Some(Spanned {
                value: p,
                span,
                pointer: pointer.to_string(),
            }),
            Err(e) => {
                let kind = if reference { "reference path" } else { "path" };
                let d = Diagnostic::new(
                    Code::InvalidReferencePath,
                    format!("`{key}` is not a valid {kind}: {}", e.message),
                )
                .at(self.loc(pointer, inner_span(span, text, e.offset)))
                .label(e.message.clone());
                let d = if reference {
                    d.note("reference paths select one node: `$`, `$.a.b`, `$['a b']`, `$.a[0]`; no `*`, `..`, filters or slices")
                } else {
                    d
                };
                self.report(d);
                None
            }
        }
    }

    /// Parses a payload template, validating every `.$` member.
    pub(super) fn payload(&mut self, json: &Json, pointer: &str) -> PayloadTemplate {
        PayloadTemplate {
            json: json.clone(),
            pointer: pointer.to_string(),
            root: self.payload_node(json, pointer, 0),
        }
    }

    pub(super) fn payload_node(&mut self, json: &Json, pointer: &str, depth: usize) -> PayloadNode {
        if depth > MAX_DEPTH {
            self.error(
                Code::InvalidValue,
                pointer,
                json.span,
                format!("nesting deeper than {MAX_DEPTH} levels"),
            );
            return PayloadNode::Literal(json.clone());
        }
        match &json.kind {
            JsonKind::Object(members) => {
                self.field_collisions(members, pointer);
                let mut out = Vec::with_capacity(members.len());
                for m in members {
                    let child = push_pointer(pointer, &m.key);
                    if let Some(name) = m.key.strip_suffix(".$") {
                        let key = Spanned {
                            value: name.to_string(),
                            span: m.key_span,
                            pointer: child.clone(),
                        };
                        if let Some(node) = self.dynamic_value(&m.value, &child, &m.key) {
                            out.push((key, node));
                        }
                    } else {
                        let key = Spanned {
                            value: m.key.clone(),
                            span: m.key_span,
                            pointer: child.clone(),
                        };
                        out.push((key, self.payload_node(&m.value, &child, depth + 1)));
                    }
                }
                PayloadNode::Object(out)
            }
            JsonKind::Array(items) => PayloadNode::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| self.payload_node(item, &push_index(pointer, i), depth + 1))
                    .collect(),
            ),
            _ => PayloadNode::Literal(json.clone()),
        }
    }

    /// E0101: a payload template object with both `name` and `name.$`. Step Functions strips
    /// the `.$`, so both become the field `name` and one of them is lost, as with a field given
    /// twice (asl-validator rejects it too).
    pub(super) fn field_collisions(&mut self, members: &[Member], pointer: &str) {
        for m in members {
            let Some(name) = m.key.strip_suffix(".$") else {
                continue;
            };
            if let Some(plain) = members.iter().find(|p| p.key == name) {
                let d = Diagnostic::new(
                    Code::UnknownField,
                    format!("`{}` and `{name}` both become the field `{name}`", m.key),
                )
                .at(self.loc(&push_pointer(pointer, &m.key), m.key_span))
                .label(format!("becomes `{name}` once evaluated"))
                .related(
                    self.loc(&push_pointer(pointer, &plain.key), plain.key_span),
                    "the constant field of the same name",
                )
                .help(format!("keep only one of `{name}` and `{}`", m.key));
                self.report(d);
            }
        }
    }

    /// The value of a `key.$` member: a path or an intrinsic function call.
    pub(super) fn dynamic_value(
        &mut self,
        value: &Json,
        pointer: &str,
        key: &str,
    ) -> Option<PayloadNode> {
        let Some(text) = value.as_str() else {
            let d = Diagnostic::new(
                Code::InvalidPayloadTemplate,
                format!("`{key}` ends in `.$`, so its value must be a path or an intrinsic function call, found {}", value.type_name()),
            )
            .at(self.loc(pointer, value.span))
            .help(format!("drop the `.$` from `{key}` to use the value as it is"));
            self.report(d);
            return None;
        };
        if intrinsic::looks_like_intrinsic(text) {
            return match intrinsic::parse_intrinsic(text) {
                Ok(call) => Some(PayloadNode::Intrinsic(Spanned {
                    value: call,
                    span: value.span,
                    pointer: pointer.to_string(),
                })),
                Err(e) => {
                    self.payload_error(pointer, value.span, text, &e, "intrinsic function call");
                    None
                }
            };
        }
        if text.starts_with('$') {
            return match path::parse_path(text) {
                Ok(p) => Some(PayloadNode::Path(Spanned {
                    value: p,
                    span: value.span,
                    pointer: pointer.to_string(),
                })),
                Err(e) => {
                    self.payload_error(pointer, value.span, text, &e, "path");
                    None
                }
            };
        }
        let d = Diagnostic::new(
            Code::InvalidPayloadTemplate,
            format!("`{key}` ends in `.$`, but \"{text}\" is neither a path (`$…`) nor an intrinsic function call (`States.…(…)`)"),
        )
        .at(self.loc(pointer, value.span))
        .help(format!("drop the `.$` from `{key}` to use \"{text}\" as a constant"));
        self.report(d);
        None
    }

    pub(super) fn payload_error(
        &mut self,
        pointer: &str,
        span: Span,
        text: &str,
        e: &PathError,
        what: &str,
    ) {
        let d = Diagnostic::new(
            Code::InvalidPayloadTemplate,
            format!("invalid {what} \"{text}\": {}", e.message),
        )
        .at(self.loc(pointer, inner_span(span, text, e.offset)))
        .label(e.message.clone());
        self.report(d);
    }

    /// Checks every `{% %}` string inside a JSONata-state value.
    pub(super) fn jsonata_value(&mut self, json: &Json, pointer: &str, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        match &json.kind {
            JsonKind::String(s) => self.jsonata_string(s, json.span, pointer),
            JsonKind::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.jsonata_value(item, &push_index(pointer, i), depth + 1);
                }
            }
            JsonKind::Object(members) => {
                for m in members {
                    self.jsonata_value(&m.value, &push_pointer(pointer, &m.key), depth + 1);
                }
            }
            _ => {}
        }
    }

    pub(super) fn jsonata_string(&mut self, text: &str, span: Span, pointer: &str) {
        if let Err(e) = jsonata::check_template(text) {
            let d = Diagnostic::new(Code::MalformedJsonata, format!("malformed JSONata expression: {}", e.message))
                .at(self.loc(pointer, inner_span(span, text, e.offset)))
                .label(e.message.clone())
                .note("JSONata expressions are written as \"{% expression %}\": the whole string, from `{%` to `%}`");
            self.report(d);
            return;
        }
        if !jsonata::is_template(text) {
            return;
        }
        let place = StatesPlace::of(pointer);
        for (field, available) in [
            ("result", place == StatesPlace::AfterResult),
            ("errorOutput", place == StatesPlace::Catcher),
        ] {
            let Some(offset) = states_field_offset(text, field) else {
                continue;
            };
            if available {
                continue;
            }
            let holds = if field == "result" {
                "the result of a Task, Parallel or Map, in that state's `Output` and `Assign`"
            } else {
                "the error a catcher caught, in that catcher's `Output` and `Assign`"
            };
            let d = Diagnostic::new(
                Code::MalformedJsonata,
                format!("`$states.{field}` does not exist here: it holds {holds}"),
            )
            .at(self.loc(pointer, inner_span(span, text, offset)))
            .label(format!("no `$states.{field}` here"));
            self.report(d);
        }
        #[cfg(feature = "jsonata")]
        self.jsonata_references(text, span, pointer);
    }

    /// E0113: reads AWS refuses in an expression that parses, each distinct one once, at the
    /// field (the AST carries no offsets). See [`jsonata::unsupported_references`].
    #[cfg(feature = "jsonata")]
    fn jsonata_references(&mut self, text: &str, span: Span, pointer: &str) {
        let Some(ast) = jsonata::template_body(text).and_then(|b| jsonata::parse_body(b).ok())
        else {
            return;
        };
        for reference in jsonata::unsupported_references(&ast) {
            let d = match reference {
                jsonata::UnsupportedReference::TopLevel(name) => {
                    let help = if name == "$" {
                        "the state input is `$states.input`; a variable an `Assign` set is `$name`"
                            .to_string()
                    } else if is_identifier(&name) {
                        format!("read it from the state input, `$states.input.{name}`, or from a variable, `${name}`")
                    } else {
                        format!("read it from the state input, `$states.input.`{name}``, or from a variable")
                    };
                    Diagnostic::new(
                        Code::MalformedJsonata,
                        format!("reference to `{name}` at the top level is not supported: Step Functions evaluates JSONata with no context item to read it from"),
                    )
                    .at(self.loc(pointer, span))
                    .label(format!("reads `{name}` from the context item"))
                    .note(format!("AWS refuses the definition: UNSUPPORTED_JSONATA_EXPRESSION: Reference to '{name}' at the top level is not supported."))
                    .help(help)
                }
                jsonata::UnsupportedReference::Root => Diagnostic::new(
                    Code::MalformedJsonata,
                    "reference to `$$` is not supported in a JSONata expression",
                )
                .at(self.loc(pointer, span))
                .label("`$$` has nothing to refer to in Step Functions' JSONata")
                .note("AWS refuses the definition: UNSUPPORTED_JSONATA_EXPRESSION: Reference to '$$' is not supported.")
                .help("the context object (JSONPath's `$$`) is `$states.context`; the state input is `$states.input`"),
            };
            self.report(d);
        }
    }
}

#[cfg(feature = "jsonata")]
/// A JSONata name that needs no backquotes after a `.`.
fn is_identifier(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_alphanumeric() || c == '_')
}

/// Where a JSONata expression sits, as far as which `$states` fields exist there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StatesPlace {
    /// A state's `Output` or `Assign`: `$states.result` exists (for the states that have one).
    AfterResult,
    /// A catcher's `Output` or `Assign`: `$states.errorOutput` exists.
    Catcher,
    /// Anywhere else (`Arguments`, `Items`, a Choice rule, …): neither does.
    Before,
}

impl StatesPlace {
    /// From the JSON pointer of the value: the field after the innermost `/States/<name>`.
    fn of(pointer: &str) -> StatesPlace {
        let tokens: Vec<&str> = pointer.split('/').collect();
        let Some(at) = tokens
            .iter()
            .rposition(|t| *t == "States")
            .filter(|i| i + 1 < tokens.len())
        else {
            return StatesPlace::Before;
        };
        match &tokens[at + 2..] {
            ["Output" | "Assign", ..] => StatesPlace::AfterResult,
            ["Catch", _, "Output" | "Assign", ..] => StatesPlace::Catcher,
            _ => StatesPlace::Before,
        }
    }
}

/// The byte offset of `$states.<field>` in `text` as a whole name (not `$states.resultCode`).
fn states_field_offset(text: &str, field: &str) -> Option<usize> {
    let needle = format!("$states.{field}");
    let mut from = 0;
    while let Some(i) = text[from..].find(&needle) {
        let at = from + i;
        let next = text[at + needle.len()..].chars().next();
        if !next.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            return Some(at);
        }
        from = at + needle.len();
    }
    None
}

#[cfg(test)]
mod states_place_tests {
    use super::*;

    #[test]
    fn which_states_fields_exist_where() {
        assert_eq!(
            StatesPlace::of("/States/Bill/Output"),
            StatesPlace::AfterResult
        );
        assert_eq!(
            StatesPlace::of("/States/Bill/Assign/total"),
            StatesPlace::AfterResult
        );
        assert_eq!(
            StatesPlace::of("/States/Bill/Arguments/Payload/x"),
            StatesPlace::Before
        );
        assert_eq!(
            StatesPlace::of("/States/Bill/Catch/0/Output"),
            StatesPlace::Catcher
        );
        assert_eq!(
            StatesPlace::of("/States/Bill/Choices/0/Output"),
            StatesPlace::Before
        );
        assert_eq!(
            StatesPlace::of("/States/Fan/ItemProcessor/States/One/Output"),
            StatesPlace::AfterResult
        );
        assert_eq!(
            states_field_offset("{% $states.result.x %}", "result"),
            Some(3)
        );
        assert_eq!(
            states_field_offset("{% $states.resultCode %}", "result"),
            None
        );
    }
}
