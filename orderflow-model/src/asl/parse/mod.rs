//! Spanned JSON → [`StateMachine`], reporting every field-level problem on the way.
//!
//! The parser never stops at the first problem: it records a diagnostic, models what it can
//! (or leaves the part out), and goes on, so one run shows everything that is wrong. Checks that
//! need the whole graph (transitions, names, reachability) are in `validate`.

mod choice;
mod error_handling;
mod fields;
mod map_config;
mod payload;
mod states;
mod task;
#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::sync::Arc;

use crate::asl::model::*;
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::json::{
    Json, JsonKind, Member, MemberProblem, Span, member_problems, push_index, push_pointer,
};
use crate::source::SourceFile;

pub use task::{FunctionCatalog, lambda_arn, placeholder_name};

/// The longest state name Step Functions accepts, in characters.
pub const MAX_STATE_NAME: usize = 80;
/// Nesting of Parallel/Map (and Choice rules) beyond which definitions are refused rather than
/// risking the stack; AWS's own limits are far lower.
const MAX_DEPTH: usize = 64;

/// Parses a state machine definition. Never fails: problems become diagnostics.
pub fn parse_state_machine(
    file: &Arc<SourceFile>,
    json: &Json,
    catalog: &FunctionCatalog,
    diagnostics: &mut Vec<Diagnostic>,
) -> StateMachine {
    let mut parser = Parser {
        file,
        catalog,
        diagnostics,
        machine: StateMachine::new(Arc::clone(file)),
        checked_objects: HashSet::new(),
    };
    parser.machine_root(json);
    parser.nested_duplicate_keys(json, "", 0);
    parser.machine
}

/// The parser's state: what it reads against, where diagnostics go, and the machine built so
/// far. Its methods are spread over this module's files, one concern each.
struct Parser<'a> {
    file: &'a Arc<SourceFile>,
    catalog: &'a FunctionCatalog,
    diagnostics: &'a mut Vec<Diagnostic>,
    machine: StateMachine,
    /// The objects (by span) whose members were checked field by field (`check_fields`, the
    /// `States` of a scope): their repeated keys are reported there, as E0101 or E0107.
    checked_objects: HashSet<(u32, u32)>,
}

/// A JSON object being read, with its pointer.
#[derive(Clone, Copy)]
struct Obj<'j> {
    json: &'j Json,
    members: &'j [Member],
    pointer: &'j str,
}

impl<'j> Obj<'j> {
    fn get(&self, key: &str) -> Option<&'j Json> {
        self.members.iter().find(|m| m.key == key).map(|m| &m.value)
    }

    fn member(&self, key: &str) -> Option<&'j Member> {
        self.members.iter().find(|m| m.key == key)
    }

    fn has(&self, key: &str) -> bool {
        self.members.iter().any(|m| m.key == key)
    }

    fn child(&self, key: &str) -> String {
        push_pointer(self.pointer, key)
    }
}

impl Parser<'_> {
    fn loc(&self, pointer: &str, span: Span) -> Location {
        Location::new(self.file, pointer, span)
    }

    fn report(&mut self, d: Diagnostic) {
        // Without a folder nothing says which functions exist, so no name can be unknown.
        if self.catalog.functions_unknown && d.code == Code::UnknownFunction {
            return;
        }
        self.diagnostics.push(d);
    }

    fn error(&mut self, code: Code, pointer: &str, span: Span, message: impl Into<String>) {
        let d = Diagnostic::new(code, message).at(self.loc(pointer, span));
        self.report(d);
    }

    /// Marks `json` as an object whose repeated keys are reported by its own check.
    fn mark_checked(&mut self, json: &Json) {
        self.checked_objects
            .insert((json.span.start, json.span.end));
    }

    /// E0101 for a key repeated in any object the field checks do not cover: a payload
    /// template, a `Result`, an `Output`, `Arguments`, a `ReaderConfig`… (the whole definition
    /// is walked once, after parsing), as for a field repeated in a state: JSON readers keep one
    /// of the two values and silently drop the other.
    fn nested_duplicate_keys(&mut self, json: &Json, pointer: &str, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        match &json.kind {
            JsonKind::Object(members) => {
                if !self
                    .checked_objects
                    .contains(&(json.span.start, json.span.end))
                {
                    for problem in member_problems(members, None) {
                        if let MemberProblem::Duplicate { member, first } = problem {
                            let d = Diagnostic::new(
                                Code::UnknownField,
                                format!("`{}` appears twice in this object", member.key),
                            )
                            .at(self.loc(&push_pointer(pointer, &member.key), member.key_span))
                            .label("duplicate field")
                            .related(
                                self.loc(&push_pointer(pointer, &first.key), first.key_span),
                                "first given here",
                            )
                            .help("JSON consumers keep only one of them; remove the other");
                            self.report(d);
                        }
                    }
                }
                for m in members {
                    self.nested_duplicate_keys(&m.value, &push_pointer(pointer, &m.key), depth + 1);
                }
            }
            JsonKind::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.nested_duplicate_keys(item, &push_index(pointer, i), depth + 1);
                }
            }
            _ => {}
        }
    }
}

/// The span of byte `offset` of `text`, where `span` covers `text` written as a JSON string.
/// Offsets are exact when the string has no escapes; otherwise the whole string is used.
pub(crate) fn inner_span(span: Span, text: &str, offset: usize) -> Span {
    let raw_len = (span.end - span.start) as usize;
    if raw_len == text.len() + 2 && offset <= text.len() {
        let end = text[offset..]
            .chars()
            .next()
            .map_or(offset, |c| offset + c.len_utf8());
        span.slice(1 + offset, 1 + end.max(offset + 1))
    } else {
        span
    }
}
