//! Spanned JSON → [`StateMachine`], reporting every field-level problem on the way.
//!
//! The parser never stops at the first problem: it records a diagnostic, models what it can
//! (or leaves the part out), and goes on, so one run shows everything that is wrong. Checks that
//! need the whole graph (transitions, names, reachability) are in `validate`.

mod choice;
mod error_handling;
mod fields;
mod payload;
mod states;
mod task;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use crate::asl::model::*;
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::json::{Json, Member, Span, push_pointer};
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
    };
    parser.machine_root(json);
    parser.machine
}

/// The parser's state: what it reads against, where diagnostics go, and the machine built so
/// far. Its methods are spread over this module's files, one concern each.
struct Parser<'a> {
    file: &'a Arc<SourceFile>,
    catalog: &'a FunctionCatalog,
    diagnostics: &'a mut Vec<Diagnostic>,
    machine: StateMachine,
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
