//! Diagnostics: what is wrong, where (file, JSON pointer, line:column) and what would fix it.
//!
//! Codes are stable: once published a code keeps its meaning. Each is documented with a minimal
//! example in `docs/src/diagnostics.md`, and a test checks that every code is.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use crate::json::Span;
use crate::source::SourceFile;
pub use crate::suggest::did_you_mean;

/// How serious a diagnostic is: errors fail `orderflow check`; warnings do with `--deny-warnings`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The workflow is wrong: it would fail to deploy or to run as written.
    Error,
    /// Probably a mistake, but the workflow can still run.
    Warning,
    /// Something orderflow could not check, said once so the user knows (never fails a run).
    Note,
}

macro_rules! codes {
    ($($variant:ident = ($code:literal, $severity:ident, $summary:literal),)*) => {
        /// Every diagnostic orderflow can report.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $(#[doc = concat!("`", $code, "`: ", $summary, ".")] $variant,)* }

        impl Code {
            /// Every code, in the order they are declared.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The stable code, e.g. `E0104`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            /// The code's severity (the `E` or `W` of its prefix).
            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$severity,)* }
            }

            /// Whether the code is an error (which `allow` cannot silence).
            pub fn is_error_code(self) -> bool {
                self.severity() == Severity::Error
            }

            /// One line saying what the code means.
            pub fn summary(self) -> &'static str {
                match self { $(Code::$variant => $summary,)* }
            }
        }
    };
}

codes! {
    // Files and JSON.
    JsonSyntax = ("E0001", Error, "a file is not valid JSON or YAML"),
    MissingFile = ("E0002", Error, "a file the workflow folder needs is missing or unreadable"),
    WrongJsonType = ("E0003", Error, "a field holds the wrong JSON type"),
    TemplateDefinition = ("E0004", Error, "a template's state machine definition cannot be read"),
    DefinitionInS3 = ("N0005", Note, "a template's definition is in S3, which orderflow does not read"),
    UnmatchedPlaceholder = ("E0006", Error, "a `${…}` in a Task's Resource has no DefinitionSubstitutions entry"),
    // ASL structure.
    UnknownField = ("E0101", Error, "a field this state type (or object) does not allow"),
    MissingField = ("E0102", Error, "a required field is missing"),
    InvalidStateType = ("E0103", Error, "a state's Type is not an ASL state type"),
    DanglingTransition = ("E0104", Error, "StartAt/Next/Default/Catch names a state that does not exist"),
    NextAndEnd = ("E0105", Error, "a state has both Next and End, or neither"),
    CrossBoundaryTransition = ("E0106", Error, "a transition leaves or enters a Parallel branch or Map iterator"),
    DuplicateStateName = ("E0107", Error, "two states share a name"),
    StateNameTooLong = ("E0108", Error, "a state name is longer than 80 characters"),
    StatesAllPosition = ("E0109", Error, "States.ALL is not alone in its ErrorEquals or not in the last retrier/catcher"),
    InvalidReferencePath = ("E0110", Error, "a path field is not a valid (reference) path"),
    InvalidPayloadTemplate = ("E0111", Error, "a `.$` value is neither a path nor a well-formed intrinsic function call"),
    QueryLanguageMismatch = ("E0112", Error, "a JSONPath-only field in a JSONata state, or the reverse"),
    MalformedJsonata = ("E0113", Error, "a `{% %}` JSONata expression is malformed"),
    InvalidChoiceRule = ("E0114", Error, "a Choice rule does not have exactly one comparison"),
    InvalidValue = ("E0115", Error, "a field's value is out of range or conflicts with another field"),
    UnknownFunction = ("E0116", Error, "a Task invokes a Lambda function the workflow folder does not describe"),
    UnreachableState = ("E0117", Error, "no transition reaches this state"),
    ChoiceWithoutDefault = ("W0118", Warning, "a Choice state has no Default"),
    NoTerminalState = ("E0119", Error, "a state machine, branch or iterator has no state that ends it"),
    VariableShadowed = ("E0120", Error, "a Parallel branch or Map iterator assigns a variable its enclosing scope also assigns"),
    ExpressIntegration = ("E0121", Error, "an Express state machine uses an integration pattern only Standard supports"),
    // Schemas and manifest.
    SchemaInvalid = ("E0201", Error, "a JSON Schema does not validate against its meta-schema"),
    SchemaUnresolvedRef = ("E0202", Error, "a JSON Schema `$ref` cannot be resolved locally"),
    SchemaUnsupportedKeyword = ("W0203", Warning, "a JSON Schema keyword orderflow does not check"),
    ManifestInvalid = ("E0204", Error, "orderflow.json does not match the manifest schema"),
    SchemaOrphan = ("W0205", Warning, "a schema file belongs to no function of the workflow"),
    UntypedFunctions = ("N0206", Note, "functions (or the execution input) without schemas are checked as untyped"),
    HalfSchemaPair = ("W0207", Warning, "a function has one of its two schemas, so it stays untyped"),
    UnusedTable = ("W0208", Warning, "a table the manifest declares is used by no function"),
    // Data flow.
    MissingInputProperty = ("E0301", Error, "a function's input lacks a required property on some path"),
    InputTypeMismatch = ("E0302", Error, "a function's input has a property of the wrong type on some path"),
    PathNeverExists = ("E0303", Error, "a path reads something that exists on no path through the workflow"),
    PathMaybeMissing = ("W0304", Warning, "a path reads something that exists only on some paths, unguarded"),
    TaskTokenBodyMismatch = ("E0305", Error, "a task-token message body does not match its worker's input schema"),
    WorkerOutputMismatch = ("E0306", Error, "a task-token worker's output does not fit what the workflow reads from it"),
    UnknownErrorName = ("E0307", Error, "a Retry/Catch matches an error no function on that state declares"),
    UncaughtDeclaredError = ("W0308", Warning, "a function declares an error that nothing catches"),
    ResultPathMatchFailure = ("E0309", Error, "a ResultPath writes into a value that is not an object"),
    // Breaking changes between two versions of a workflow (`check --against`).
    ExecutionInputNarrowed = ("E0501", Error, "the execution input refuses input the earlier version accepted"),
    FunctionInputNarrowed = ("E0502", Error, "a function's new input schema refuses what the earlier definition sends it"),
    FunctionOutputNarrowed = ("E0503", Error, "a function's new output lacks what the earlier definition reads from it"),
    EarlierFunctionBroken = ("E0504", Error, "the new definition does not work with the earlier version of a function"),
    WaitingStateRemoved = ("E0505", Error, "a state an execution can wait in was removed or renamed"),
    PassingStateRenamed = ("W0506", Warning, "a Choice or Pass state was removed or renamed"),
    WaitingStateMoved = ("E0507", Error, "a state an execution can wait in changed its type or moved to another scope"),
    CaughtErrorRemoved = ("E0508", Error, "an error the earlier definition catches by name is no longer declared"),
    WorkerInputNarrowed = ("E0509", Error, "a task-token worker's new input schema refuses what the earlier definition sends"),
    FunctionRemoved = ("E0510", Error, "a function the earlier definition invokes is gone"),
    // Code generation.
    GeneratedAsJsonValue = ("W0401", Warning, "a schema construct has no faithful Rust type and is generated as serde_json::Value"),
    BinaryNameMismatch = ("E0402", Error, "a function's binary in the crate's Cargo.toml is not named as the templates deploy it"),
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A place in a source file: the bytes, and the JSON pointer of the value they hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    /// The file the bytes are in.
    pub file: Arc<SourceFile>,
    /// The JSON pointer of the value, e.g. `/States/checkInventory/Next` (empty for the root).
    pub pointer: String,
    /// The bytes of the value in the file.
    pub span: Span,
}

impl Location {
    /// A location in `file`.
    pub fn new(file: &Arc<SourceFile>, pointer: impl Into<String>, span: Span) -> Self {
        Location {
            file: Arc::clone(file),
            pointer: pointer.into(),
            span,
        }
    }

    /// The 1-based line and column where the span starts.
    pub fn line_col(&self) -> (usize, usize) {
        self.file.line_col(self.span.start)
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (line, col) = self.line_col();
        write!(f, "{}:{line}:{col}", self.file.path().display())
    }
}

/// A secondary place that explains the primary one (e.g. the schema that requires a property).
#[derive(Debug, Clone, PartialEq)]
pub struct Related {
    /// Where the explaining place is.
    pub location: Location,
    /// What the place has to do with the problem, e.g. "first defined here".
    pub message: String,
}

/// One problem found in a workflow: its code, message, place and hints.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    /// The stable code, e.g. `E0104`.
    pub code: Code,
    /// Error or warning; the code's own severity.
    pub severity: Severity,
    /// One sentence saying what is wrong.
    pub message: String,
    /// Where the problem is; `None` only for problems with no file (e.g. an unreadable folder).
    pub location: Option<Location>,
    /// Short text under the primary snippet.
    pub label: Option<String>,
    /// Secondary places that explain the problem.
    pub related: Vec<Related>,
    /// Extra facts, each shown on its own `note:` line.
    pub notes: Vec<String>,
    /// What would fix the problem, shown on a `help:` line.
    pub help: Option<String>,
}

impl Diagnostic {
    /// Names the files under `from` as `prefix` + their path below it: `check --against` shows
    /// a file of an exported revision as git names it (`HEAD~1:definitions/…`). Done on the
    /// findings, not on the sources, so that `..` in a schema `$ref` still resolves while the
    /// earlier version is analysed.
    pub fn relocate(&mut self, from: &std::path::Path, prefix: &str) {
        let moved = |location: &mut Location| {
            if let Ok(rest) = location.file.path().strip_prefix(from) {
                let path = format!("{prefix}{}", rest.to_string_lossy());
                location.file = SourceFile::new(path, location.file.text());
            }
        };
        if let Some(location) = self.location.as_mut() {
            moved(location);
        }
        for related in &mut self.related {
            moved(&mut related.location);
        }
    }

    /// A diagnostic with this code and message (severity from the code), with no location yet.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: code.severity(),
            message: message.into(),
            location: None,
            label: None,
            related: Vec::new(),
            notes: Vec::new(),
            help: None,
        }
    }

    /// E0001: `file` is not JSON. The one way every reader (definitions, schemas, the manifest,
    /// mock configurations) says so: the parser's message, at the place it stopped.
    pub fn json_syntax(file: &Arc<SourceFile>, error: crate::json::SyntaxError) -> Self {
        Diagnostic::new(Code::JsonSyntax, format!("invalid JSON: {}", error.message))
            .at(Location::new(file, "", error.span))
            .label(error.message)
    }

    /// Places the diagnostic at `location`.
    pub fn at(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    /// Sets the short text under the primary snippet.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Adds a secondary place and what it says.
    pub fn related(mut self, location: Location, message: impl Into<String>) -> Self {
        self.related.push(Related {
            location,
            message: message.into(),
        });
        self
    }

    /// Adds a note.
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Sets the suggested fix.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Whether the diagnostic is an error (not a warning).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Orders diagnostics by file, position, then code, so output is stable.
    pub fn sort_key(&self) -> impl Ord + '_ {
        let loc = self
            .location
            .as_ref()
            .map(|l| (l.file.path().to_path_buf(), l.span.start, l.span.end));
        (loc, self.code, &self.message)
    }
}

/// Sorts and removes exact duplicates (the same problem found along two paths).
pub fn normalize(diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diagnostics.dedup();
}

/// The `--format json` shape of one diagnostic.
#[derive(Debug, Serialize)]
pub struct JsonDiagnostic<'a> {
    /// The stable code, e.g. `"E0104"`.
    pub code: &'static str,
    /// `"error"` or `"warning"`.
    pub severity: Severity,
    /// One sentence saying what is wrong.
    pub message: &'a str,
    /// The file's display path; absent when the problem has no file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The JSON pointer; absent for JSON syntax errors, which have no place in a JSON tree.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<&'a str>,
    /// The 1-based line of the primary place.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The 1-based column of the primary place, in characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// Short text under the primary snippet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<&'a str>,
    /// Secondary places that explain the problem.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<JsonRelated<'a>>,
    /// Extra facts.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub notes: &'a [String],
    /// What would fix the problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<&'a str>,
}

/// The `--format json` shape of a [`Related`] place.
#[derive(Debug, Serialize)]
pub struct JsonRelated<'a> {
    /// The file's display path.
    pub file: String,
    /// The JSON pointer of the value.
    pub pointer: &'a str,
    /// The 1-based line.
    pub line: usize,
    /// The 1-based column, in characters.
    pub column: usize,
    /// What the place says about the problem.
    pub message: &'a str,
}

impl<'a> From<&'a Diagnostic> for JsonDiagnostic<'a> {
    fn from(d: &'a Diagnostic) -> Self {
        let lc = d.location.as_ref().map(Location::line_col);
        JsonDiagnostic {
            code: d.code.as_str(),
            severity: d.severity,
            message: &d.message,
            file: d
                .location
                .as_ref()
                .map(|l| l.file.path().display().to_string()),
            // Syntax errors have a place in the text only, not in a JSON tree.
            pointer: d
                .location
                .as_ref()
                .filter(|_| d.code != Code::JsonSyntax)
                .map(|l| l.pointer.as_str()),
            line: lc.map(|(l, _)| l),
            column: lc.map(|(_, c)| c),
            label: d.label.as_deref(),
            related: d
                .related
                .iter()
                .map(|r| {
                    let (line, column) = r.location.line_col();
                    JsonRelated {
                        file: r.location.file.path().display().to_string(),
                        pointer: &r.location.pointer,
                        line,
                        column,
                        message: &r.message,
                    }
                })
                .collect(),
            notes: &d.notes,
            help: d.help.as_deref(),
        }
    }
}

/// The root pointer is the empty string, which reads as nothing at all.
pub fn pointer_text(pointer: &str) -> &str {
    if pointer.is_empty() {
        "(root)"
    } else {
        pointer
    }
}

/// One line per diagnostic, for `--format short` and test assertions:
/// `file:line:col: error[E0104]: message [pointer]`.
pub fn render_short(d: &Diagnostic) -> String {
    let severity = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    };
    match &d.location {
        Some(loc) if d.code == Code::JsonSyntax => {
            format!("{loc}: {severity}[{}]: {}", d.code, d.message)
        }
        Some(loc) => format!(
            "{loc}: {severity}[{}]: {} [{}]",
            d.code,
            d.message,
            pointer_text(&loc.pointer)
        ),
        None => format!("{severity}[{}]: {}", d.code, d.message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every reader says "not JSON" the same way: code, message, place and label.
    #[test]
    fn json_syntax_is_reported_at_the_parser_stop() {
        let file = SourceFile::new("wf/orderflow.json", "{\"a\": 1,}");
        let Err(error) = crate::json::parse(file.text()) else {
            panic!("a trailing comma is not JSON");
        };
        let span = error.span;
        let message = error.message.clone();
        let d = Diagnostic::json_syntax(&file, error);
        assert_eq!(d.code, Code::JsonSyntax);
        assert_eq!(d.message, format!("invalid JSON: {message}"));
        assert_eq!(d.label.as_deref(), Some(message.as_str()));
        assert_eq!(d.location.as_ref().map(|l| l.span), Some(span));
        let mut schema_out = Vec::new();
        assert!(crate::schema::load_schema(&file, &mut schema_out).is_none());
        assert_eq!(schema_out.len(), 1);
        assert_eq!(render_short(&schema_out[0]), render_short(&d));
    }

    #[test]
    fn codes_are_unique_and_prefixed_by_severity() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            assert!(seen.insert(code.as_str()), "duplicate {code}");
            let prefix = match code.severity() {
                Severity::Error => 'E',
                Severity::Warning => 'W',
                Severity::Note => 'N',
            };
            assert!(code.as_str().starts_with(prefix), "{code}");
        }
    }

    #[test]
    fn short_rendering_is_one_line_with_position_and_pointer() {
        let file = SourceFile::new("wf/workflow.asl.json", "{\n  \"StartAt\": \"Nope\"\n}\n");
        let d = Diagnostic::new(Code::DanglingTransition, "StartAt names no state")
            .at(Location::new(&file, "/StartAt", Span::new(15, 21)))
            .help("add a state named \"Nope\" or fix the name");
        assert_eq!(
            render_short(&d),
            "wf/workflow.asl.json:2:14: error[E0104]: StartAt names no state [/StartAt]"
        );
    }
}
