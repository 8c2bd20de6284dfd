//! Spanned JSON → [`StateMachine`], reporting every field-level problem on the way.
//!
//! The parser never stops at the first problem: it records a diagnostic, models what it can
//! (or leaves the part out), and goes on, so one run shows everything that is wrong. Checks that
//! need the whole graph (transitions, names, reachability) are in `validate`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use heck::ToLowerCamelCase;

use crate::asl::intrinsic;
use crate::asl::jsonata;
use crate::asl::model::*;
use crate::asl::path::{self, Path, PathError};
use crate::asl::timestamp::is_timestamp;
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::json::{
    Json, JsonKind, Member, MemberProblem, Span, member_problems, push_index, push_pointer,
};
use crate::source::SourceFile;
use crate::suggest;

/// The largest `MaxAttempts` and `IntervalSeconds` Step Functions accepts.
const RETRY_LIMIT: u64 = 99_999_999;

/// What the parser needs to know about the workflow folder to resolve Task resources.
#[derive(Debug, Default, Clone)]
pub struct FunctionCatalog {
    /// Functions the folder describes (schema files or manifest entries).
    pub functions: BTreeSet<String>,
    /// Manifest `placeholders`: `${Name}` → function.
    pub placeholders: BTreeMap<String, String>,
    /// Placeholders the manifest gives to queues and topics (not functions).
    pub resource_placeholders: BTreeSet<String>,
    /// No folder says which functions exist (an ASL file run on its own): function names,
    /// ARNs and `${Placeholder}`s are taken as written, and E0116 is not reported.
    pub functions_unknown: bool,
}

impl FunctionCatalog {
    /// The catalog of a definition without its workflow folder: see
    /// [`FunctionCatalog::functions_unknown`].
    pub fn unknown() -> Self {
        FunctionCatalog {
            functions_unknown: true,
            ..FunctionCatalog::default()
        }
    }
}

impl FunctionCatalog {
    /// The function names a placeholder may spell, in the order they are tried: the name with
    /// each [`PLACEHOLDER_SUFFIXES`] suffix it ends with removed (most specific first), then the
    /// name as written. `CheckPriceFnArn` → `CheckPrice`, `CheckPriceFn`, `CheckPriceFnArn`.
    fn placeholder_stems(placeholder: &str) -> Vec<&str> {
        let mut stems: Vec<&str> = PLACEHOLDER_SUFFIXES
            .iter()
            .filter_map(|s| placeholder.strip_suffix(s))
            .filter(|stem| !stem.is_empty())
            .collect();
        stems.push(placeholder);
        stems.dedup();
        stems
    }

    /// The function name a placeholder spells: `CheckInventoryFunctionArn` → `checkInventory`,
    /// `CheckPriceFnArn` → `checkPrice` (the most specific suffix removed, in lowerCamelCase).
    pub fn placeholder_stem(placeholder: &str) -> String {
        Self::placeholder_stems(placeholder)
            .first()
            .copied()
            .unwrap_or(placeholder)
            .to_lower_camel_case()
    }

    /// The function a `${Placeholder}` stands for: the manifest's mapping, else the first of
    /// the placeholder's stems (`placeholder_stems`) that names a function of the folder, as
    /// written, in lowerCamelCase or ignoring case.
    pub fn resolve_placeholder(&self, placeholder: &str) -> Option<String> {
        if let Some(f) = self.placeholders.get(placeholder) {
            return Some(f.clone());
        }
        Self::placeholder_stems(placeholder)
            .into_iter()
            .find_map(|stem| {
                [stem.to_string(), stem.to_lower_camel_case()]
                    .into_iter()
                    .find(|c| self.functions.contains(c))
                    .or_else(|| {
                        let lower = stem.to_lowercase();
                        self.functions
                            .iter()
                            .find(|f| f.to_lowercase() == lower)
                            .cloned()
                    })
            })
    }

    /// The function a Task names with `text` — a `Resource` or the `FunctionName` of
    /// `arn:aws:states:::lambda:invoke` — when the folder describes it: a `${Placeholder}`
    /// ([`Self::resolve_placeholder`]), a Lambda function ARN, or (`function_name`) a name,
    /// `name:alias` or partial ARN as `FunctionName` accepts them.
    pub fn function_named_by(&self, text: &str, function_name: bool) -> Option<String> {
        let function = match placeholder_name(text) {
            Some(p) => self.resolve_placeholder(p),
            None if function_name => lambda_function_name(text).map(|(f, _)| f),
            None => lambda_arn(text).map(|(f, _)| f),
        }?;
        self.functions.contains(&function).then_some(function)
    }
}

/// What placeholder names add to a function's name, most specific first:
/// `${CheckInventoryFunctionArn}`, `${CheckPriceFnArn}`, `${FirstLambdaArn}`, `${BillFunction}`.
const PLACEHOLDER_SUFFIXES: &[&str] = &[
    "FunctionArn",
    "FunctionName",
    "LambdaArn",
    "FnArn",
    "Function",
    "Fn",
    "Arn",
];

/// `${Name}` → `Name` (a whole string that is one placeholder, as SAM `DefinitionSubstitutions`
/// and orderflow's templates substitute them).
pub fn placeholder_name(text: &str) -> Option<&str> {
    text.strip_prefix("${")
        .and_then(|r| r.strip_suffix('}'))
        .filter(|name| !name.is_empty() && !name.contains(['$', '{', '}']))
}

pub const MAX_STATE_NAME: usize = 80;
/// Nesting of Parallel/Map (and Choice rules) beyond which definitions are refused rather than
/// risking the stack; AWS's own limits are far lower.
const MAX_DEPTH: usize = 64;

const COMMON: &[&str] = &["Type", "Comment", "QueryLanguage"];
const TASK: &[&str] = &[
    "Resource",
    "Next",
    "End",
    "InputPath",
    "OutputPath",
    "Parameters",
    "ResultSelector",
    "ResultPath",
    "Arguments",
    "Output",
    "Assign",
    "TimeoutSeconds",
    "TimeoutSecondsPath",
    "HeartbeatSeconds",
    "HeartbeatSecondsPath",
    "Retry",
    "Catch",
    "Credentials",
];
const PASS: &[&str] = &[
    "Next",
    "End",
    "InputPath",
    "OutputPath",
    "Parameters",
    "ResultPath",
    "Result",
    "Output",
    "Assign",
];
const CHOICE: &[&str] = &[
    "Choices",
    "Default",
    "InputPath",
    "OutputPath",
    "Output",
    "Assign",
];
const WAIT: &[&str] = &[
    "Next",
    "End",
    "InputPath",
    "OutputPath",
    "Output",
    "Assign",
    "Seconds",
    "SecondsPath",
    "Timestamp",
    "TimestampPath",
];
const SUCCEED: &[&str] = &["InputPath", "OutputPath", "Output"];
const FAIL: &[&str] = &["Error", "ErrorPath", "Cause", "CausePath"];
const PARALLEL: &[&str] = &[
    "Next",
    "End",
    "InputPath",
    "OutputPath",
    "Parameters",
    "ResultSelector",
    "ResultPath",
    "Arguments",
    "Output",
    "Assign",
    "Branches",
    "Retry",
    "Catch",
];
const MAP: &[&str] = &[
    "Next",
    "End",
    "InputPath",
    "OutputPath",
    "Parameters",
    "ItemSelector",
    "ResultSelector",
    "ResultPath",
    "Output",
    "Assign",
    "Arguments",
    "ItemsPath",
    "Items",
    "Iterator",
    "ItemProcessor",
    "ItemReader",
    "ResultWriter",
    "ItemBatcher",
    "MaxConcurrency",
    "MaxConcurrencyPath",
    "ToleratedFailureCount",
    "ToleratedFailureCountPath",
    "ToleratedFailurePercentage",
    "ToleratedFailurePercentagePath",
    "Label",
    "Retry",
    "Catch",
];
const STATE_TYPES: &[&str] = &[
    "Task", "Pass", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map",
];

/// Fields that exist only when the query language is JSONPath.
const JSONPATH_ONLY: &[&str] = &[
    "InputPath",
    "OutputPath",
    "Parameters",
    "ResultSelector",
    "ResultPath",
    "ItemsPath",
    "Result",
    "SecondsPath",
    "TimestampPath",
    "TimeoutSecondsPath",
    "HeartbeatSecondsPath",
    "ErrorPath",
    "CausePath",
    "MaxConcurrencyPath",
    "ToleratedFailureCountPath",
    "ToleratedFailurePercentagePath",
    "Variable",
];
/// Fields that exist only when the query language is JSONata.
const JSONATA_ONLY: &[&str] = &["Arguments", "Output", "Items", "Condition"];

const RETRIER: &[&str] = &[
    "ErrorEquals",
    "IntervalSeconds",
    "MaxAttempts",
    "BackoffRate",
    "MaxDelaySeconds",
    "JitterStrategy",
    "Comment",
];
const CATCHER: &[&str] = &[
    "ErrorEquals",
    "Next",
    "ResultPath",
    "Output",
    "Assign",
    "Comment",
];
const CHOICE_RULE_TOP: &[&str] = &["Next", "Comment", "Assign", "Output", "Condition"];
const CHOICE_RULE_COMBINATORS: &[&str] = &["And", "Or", "Not", "Variable"];

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

    /// Reads `json` as an object, reporting E0003 otherwise.
    fn object<'j>(&mut self, json: &'j Json, pointer: &'j str, what: &str) -> Option<Obj<'j>> {
        match json.as_object() {
            Some(members) => Some(Obj {
                json,
                members,
                pointer,
            }),
            None => {
                let d = Diagnostic::new(
                    Code::WrongJsonType,
                    format!("{what} must be an object, found {}", json.type_name()),
                )
                .at(self.loc(pointer, json.span))
                .label("expected an object");
                self.report(d);
                None
            }
        }
    }

    /// Reports members not in `allowed` (E0101), members of the other query language (E0112)
    /// and duplicate members (E0101).
    fn check_fields(
        &mut self,
        obj: Obj<'_>,
        allowed: &[&str],
        what: &str,
        ql: Option<QueryLanguage>,
    ) {
        let problems = member_problems(obj.members, Some(allowed));
        for problem in &problems {
            let m = problem.member();
            let pointer = obj.child(&m.key);
            let d = match problem {
                MemberProblem::Duplicate { .. } => Diagnostic::new(
                    Code::UnknownField,
                    format!("`{}` appears twice in {what}", m.key),
                )
                .at(self.loc(&pointer, m.key_span))
                .label("duplicate field")
                .help("JSON consumers keep only one of them; remove the other"),
                MemberProblem::Unknown { .. } => {
                    let d = Diagnostic::new(
                        Code::UnknownField,
                        format!("{what} does not allow the field `{}`", m.key),
                    )
                    .at(self.loc(&pointer, m.key_span))
                    .label("unknown field");
                    match suggest::did_you_mean(&m.key, allowed.iter().copied()) {
                        Some(h) => d.help(h),
                        None => d.note(format!("allowed fields: {}", allowed.join(", "))),
                    }
                }
            };
            self.report(d);
        }
        // The query-language check applies to the members that are allowed and not repeated.
        let sound = obj
            .members
            .iter()
            .filter(|m| !problems.iter().any(|p| std::ptr::eq(p.member(), *m)));
        for m in sound {
            let pointer = obj.child(&m.key);
            if let Some(ql) = ql {
                let (wrong, other) = match ql {
                    QueryLanguage::JsonPath => (JSONATA_ONLY.contains(&m.key.as_str()), "JSONata"),
                    QueryLanguage::Jsonata => (JSONPATH_ONLY.contains(&m.key.as_str()), "JSONPath"),
                };
                if wrong {
                    let help = match (ql, m.key.as_str()) {
                        (QueryLanguage::Jsonata, "Parameters") => {
                            "use `Arguments` in JSONata states"
                        }
                        (
                            QueryLanguage::Jsonata,
                            "InputPath" | "OutputPath" | "ResultSelector" | "ResultPath" | "Result",
                        ) => {
                            "use `Output` (and `$states.input`/`$states.result`) in JSONata states"
                        }
                        (QueryLanguage::Jsonata, "ItemsPath") => "use `Items` in JSONata states",
                        (QueryLanguage::Jsonata, _) => {
                            "give the value as a `{% %}` JSONata expression in the field without `Path`"
                        }
                        (QueryLanguage::JsonPath, _) => {
                            "set \"QueryLanguage\": \"JSONata\" on the state (or the state machine) to use it"
                        }
                    };
                    let d = Diagnostic::new(
                        Code::QueryLanguageMismatch,
                        format!(
                            "`{}` is a {other} field, but {what} uses {}",
                            m.key,
                            ql.as_str()
                        ),
                    )
                    .at(self.loc(&pointer, m.key_span))
                    .label(format!("only valid with {other}"))
                    .help(help);
                    self.report(d);
                }
            }
        }
    }

    fn require<'j>(&mut self, obj: Obj<'j>, key: &str, what: &str) -> Option<&'j Json> {
        let v = obj.get(key);
        if v.is_none() {
            let d = Diagnostic::new(Code::MissingField, format!("{what} is missing `{key}`"))
                .at(self.loc(obj.pointer, obj.json.span))
                .label(format!("`{key}` is required here"));
            self.report(d);
        }
        v
    }

    fn string(&mut self, obj: Obj<'_>, key: &str) -> Option<Spanned<String>> {
        let v = obj.get(key)?;
        let pointer = obj.child(key);
        match v.as_str() {
            Some(s) => Some(Spanned {
                value: s.to_string(),
                span: v.span,
                pointer,
            }),
            None => {
                self.wrong_type(&pointer, v, key, "a string");
                None
            }
        }
    }

    fn wrong_type(&mut self, pointer: &str, v: &Json, key: &str, expected: &str) {
        let d = Diagnostic::new(
            Code::WrongJsonType,
            format!("`{key}` must be {expected}, found {}", v.type_name()),
        )
        .at(self.loc(pointer, v.span))
        .label(format!("expected {expected}"));
        // `"End": "true"`, `"MaxAttempts": "3"`: the value is right, the quotes are not.
        let quoted = v
            .as_str()
            .and_then(|text| serde_json::from_str::<serde_json::Value>(text).ok());
        let unquote = matches!(
            (quoted, expected),
            (Some(serde_json::Value::Bool(_)), "a boolean")
                | (
                    Some(serde_json::Value::Number(_)),
                    "an integer" | "a number"
                )
        );
        let d = match (unquote, v.as_str()) {
            (true, Some(text)) => d.help(format!("write `{text}` without quotes")),
            _ => d,
        };
        self.report(d);
    }

    fn boolean(&mut self, obj: Obj<'_>, key: &str) -> Option<bool> {
        let v = obj.get(key)?;
        match v.as_bool() {
            Some(b) => Some(b),
            None => {
                self.wrong_type(&obj.child(key), v, key, "a boolean");
                None
            }
        }
    }

    /// An integer in `min..=max`, reported otherwise.
    fn bounded_integer(&mut self, obj: Obj<'_>, key: &str, min: u64, max: u64) -> Option<u64> {
        let x = self.integer(obj, key, min)?;
        if x > max {
            let span = obj.get(key).map(|v| v.span).unwrap_or_default();
            self.error(
                Code::InvalidValue,
                &obj.child(key),
                span,
                format!("`{key}` must be at most {max}, found {x}"),
            );
            return None;
        }
        Some(x)
    }

    /// A non-negative integer field, at least `min`.
    fn integer(&mut self, obj: Obj<'_>, key: &str, min: u64) -> Option<u64> {
        let v = obj.get(key)?;
        let pointer = obj.child(key);
        match v.as_number() {
            Some(n) => match n.as_u64() {
                Some(x) if x >= min => Some(x),
                _ => {
                    self.error(
                        Code::InvalidValue,
                        &pointer,
                        v.span,
                        format!("`{key}` must be an integer of at least {min}, found {n}"),
                    );
                    None
                }
            },
            None => {
                self.wrong_type(&pointer, v, key, "an integer");
                None
            }
        }
    }

    fn number(&mut self, obj: Obj<'_>, key: &str) -> Option<f64> {
        let v = obj.get(key)?;
        match v.as_number().and_then(serde_json::Number::as_f64) {
            Some(x) => Some(x),
            None => {
                self.wrong_type(&obj.child(key), v, key, "a number");
                None
            }
        }
    }

    fn machine_root(&mut self, json: &Json) {
        let Some(root) = self.object(json, "", "a state machine definition") else {
            self.machine.scopes.push(Scope {
                kind: ScopeKind::TopLevel,
                start_at: None,
                states: Vec::new(),
                broken: Vec::new(),
                pointer: String::new(),
            });
            return;
        };
        self.check_fields(
            root,
            &[
                "StartAt",
                "States",
                "Comment",
                "Version",
                "TimeoutSeconds",
                "QueryLanguage",
            ],
            "a state machine",
            None,
        );
        self.machine.comment = self.string(root, "Comment").map(|s| s.value);
        self.machine.version = self.string(root, "Version").map(|s| s.value);
        self.machine.timeout_seconds = self.integer(root, "TimeoutSeconds", 1);
        self.machine.query_language = self
            .query_language(root, None)
            .unwrap_or(QueryLanguage::JsonPath);
        let ql = self.machine.query_language;
        self.scope(root, ScopeKind::TopLevel, ql, 0);
    }

    fn query_language(
        &mut self,
        obj: Obj<'_>,
        inherited: Option<QueryLanguage>,
    ) -> Option<QueryLanguage> {
        let s = self.string(obj, "QueryLanguage")?;
        let ql = match s.value.as_str() {
            "JSONPath" => QueryLanguage::JsonPath,
            "JSONata" => QueryLanguage::Jsonata,
            other => {
                self.error(
                    Code::InvalidValue,
                    &s.pointer,
                    s.span,
                    format!(
                        "`QueryLanguage` must be \"JSONPath\" or \"JSONata\", found \"{other}\""
                    ),
                );
                return None;
            }
        };
        if inherited == Some(QueryLanguage::Jsonata) && ql == QueryLanguage::JsonPath {
            let d = Diagnostic::new(
                Code::QueryLanguageMismatch,
                "a state cannot use JSONPath when the state machine's QueryLanguage is JSONata",
            )
            .at(self.loc(&s.pointer, s.span))
            .help("remove the state's QueryLanguage, or set the state machine's to JSONPath and opt states into JSONata one by one");
            self.report(d);
        }
        Some(ql)
    }

    /// Reads `StartAt` + `States` of a scope (top level, branch, iterator). Returns its id.
    fn scope(&mut self, obj: Obj<'_>, kind: ScopeKind, ql: QueryLanguage, depth: usize) -> ScopeId {
        let id = ScopeId(self.machine.scopes.len());
        let start_at = self
            .require(obj, "StartAt", "a state machine")
            .and(self.string(obj, "StartAt"));
        self.machine.scopes.push(Scope {
            kind,
            start_at: start_at.map(|name| Target { name, target: None }),
            states: Vec::new(),
            broken: Vec::new(),
            pointer: obj.pointer.to_string(),
        });
        if let Some(states) = self.require(obj, "States", "a state machine") {
            let pointer = obj.child("States");
            if let Some(states_obj) = self.object(states, &pointer, "`States`") {
                if states_obj.members.is_empty() {
                    self.error(
                        Code::InvalidValue,
                        &pointer,
                        states.span,
                        "`States` must contain at least one state",
                    );
                }
                for m in states_obj.members {
                    match self.state(m, &states_obj.child(&m.key), id, ql, depth) {
                        Some(state) => self.machine.scopes[id.0].states.push(state),
                        None => self.machine.scopes[id.0].broken.push(m.key.clone()),
                    }
                }
            }
        }
        id
    }

    fn state(
        &mut self,
        m: &Member,
        pointer: &str,
        scope: ScopeId,
        inherited: QueryLanguage,
        depth: usize,
    ) -> Option<StateId> {
        let obj = self.object(&m.value, pointer, &format!("state \"{}\"", m.key))?;
        let what = format!("state \"{}\"", m.key);
        let ql = self
            .query_language(obj, Some(inherited))
            .unwrap_or(inherited);
        let type_json = self.require(obj, "Type", &what)?;
        let type_name = match type_json.as_str() {
            Some(t) if STATE_TYPES.contains(&t) => t,
            Some(t) => {
                let d = Diagnostic::new(
                    Code::InvalidStateType,
                    format!("\"{t}\" is not a state type"),
                )
                .at(self.loc(&obj.child("Type"), type_json.span))
                .note(format!("state types: {}", STATE_TYPES.join(", ")));
                let d = match suggest::did_you_mean(t, STATE_TYPES.iter().copied()) {
                    Some(h) => d.help(h),
                    None => d,
                };
                self.report(d);
                return None;
            }
            None => {
                self.wrong_type(&obj.child("Type"), type_json, "Type", "a string");
                return None;
            }
        };
        let specific = match type_name {
            "Task" => TASK,
            "Pass" => PASS,
            "Choice" => CHOICE,
            "Wait" => WAIT,
            "Succeed" => SUCCEED,
            "Fail" => FAIL,
            "Parallel" => PARALLEL,
            _ => MAP,
        };
        let allowed: Vec<&str> = COMMON.iter().chain(specific).copied().collect();
        let what = format!("{type_name} state \"{}\"", m.key);
        self.check_fields(obj, &allowed, &what, Some(ql));

        let mut state = State {
            name: Spanned {
                value: m.key.clone(),
                span: m.key_span,
                pointer: pointer.to_string(),
            },
            scope,
            pointer: pointer.to_string(),
            span: m.value.span,
            comment: self.string(obj, "Comment").map(|s| s.value),
            query_language: ql,
            next: self
                .string(obj, "Next")
                .map(|name| Target { name, target: None }),
            end: self.boolean(obj, "End").unwrap_or(false),
            io: InputOutput::default(),
            assign: None,
            assign_template: None,
            kind: StateKind::Succeed,
        };
        self.io(obj, ql, &mut state.io);
        if let Some(assign) = obj.get("Assign") {
            state.assign_template = self.assign(assign, &obj.child("Assign"), ql);
            state.assign = Some(assign.clone());
        }
        // Next/End: exactly one for the states that continue; Choice/Succeed/Fail have neither
        // (their fields are refused by `check_fields`).
        // A mistyped `End` is reported as such; "neither Next nor End" would only echo it.
        let end_mistyped = obj.get("End").is_some_and(|e| e.as_bool().is_none());
        if specific.contains(&"Next") && !end_mistyped {
            match (obj.member("Next"), obj.get("End")) {
                (Some(_), Some(end)) if state.end => {
                    self.error(
                        Code::NextAndEnd,
                        &obj.child("End"),
                        end.span,
                        format!("{what} has both `Next` and `End`"),
                    );
                }
                (None, _) if !state.end => {
                    let d = Diagnostic::new(
                        Code::NextAndEnd,
                        format!("{what} has neither `Next` nor `\"End\": true`"),
                    )
                    .at(self.loc(pointer, m.key_span))
                    .help("add `\"Next\": \"<state>\"` or `\"End\": true`");
                    self.report(d);
                }
                _ => {}
            }
        }
        let id_hint = StateId(self.machine.states.len());
        state.kind = match type_name {
            "Task" => StateKind::Task(self.task(obj, ql)?),
            "Pass" => StateKind::Pass(PassState {
                result: obj.get("Result").cloned(),
            }),
            "Choice" => StateKind::Choice(self.choice(obj, ql, depth)),
            "Wait" => StateKind::Wait(self.wait(obj, ql)),
            "Succeed" => StateKind::Succeed,
            "Fail" => StateKind::Fail(self.fail(obj, ql)),
            "Parallel" => {
                // Branch scopes refer to this state's id, which it gets when pushed below;
                // nothing else is pushed in between except nested states, so reserve it now.
                let placeholder = self.machine.push_state(state.clone());
                let kind = StateKind::Parallel(self.parallel(obj, placeholder, ql, depth));
                self.machine.states[placeholder.0].kind = kind;
                return Some(placeholder);
            }
            _ => {
                let placeholder = self.machine.push_state(state.clone());
                let kind = self.map(obj, placeholder, ql, depth).map(StateKind::Map);
                match kind {
                    Some(kind) => self.machine.states[placeholder.0].kind = kind,
                    None => return None,
                }
                return Some(placeholder);
            }
        };
        let id = self.machine.push_state(state);
        debug_assert_eq!(id, id_hint);
        Some(id)
    }

    fn io(&mut self, obj: Obj<'_>, ql: QueryLanguage, io: &mut InputOutput) {
        io.input_path = self.nullable_path(obj, "InputPath", false);
        io.output_path = self.nullable_path(obj, "OutputPath", false);
        io.result_path = self.nullable_path(obj, "ResultPath", true);
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
    fn assign(&mut self, json: &Json, pointer: &str, ql: QueryLanguage) -> Option<PayloadTemplate> {
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

    fn nullable_path(&mut self, obj: Obj<'_>, key: &str, reference: bool) -> Option<NullablePath> {
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

    fn path_field(&mut self, obj: Obj<'_>, key: &str, reference: bool) -> Option<Spanned<Path>> {
        let s = self.string(obj, key)?;
        self.path_string(&s.value, s.span, &s.pointer, key, reference)
    }

    /// Parses a path held in a JSON string at `span` (the span includes the quotes).
    fn path_string(
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
    fn payload(&mut self, json: &Json, pointer: &str) -> PayloadTemplate {
        PayloadTemplate {
            json: json.clone(),
            pointer: pointer.to_string(),
            root: self.payload_node(json, pointer, 0),
        }
    }

    fn payload_node(&mut self, json: &Json, pointer: &str, depth: usize) -> PayloadNode {
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

    /// The value of a `key.$` member: a path or an intrinsic function call.
    fn dynamic_value(&mut self, value: &Json, pointer: &str, key: &str) -> Option<PayloadNode> {
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

    fn payload_error(&mut self, pointer: &str, span: Span, text: &str, e: &PathError, what: &str) {
        let d = Diagnostic::new(
            Code::InvalidPayloadTemplate,
            format!("invalid {what} \"{text}\": {}", e.message),
        )
        .at(self.loc(pointer, inner_span(span, text, e.offset)))
        .label(e.message.clone());
        self.report(d);
    }

    /// Checks every `{% %}` string inside a JSONata-state value.
    fn jsonata_value(&mut self, json: &Json, pointer: &str, depth: usize) {
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

    fn jsonata_string(&mut self, text: &str, span: Span, pointer: &str) {
        if let Err(e) = jsonata::check_template(text) {
            let d = Diagnostic::new(Code::MalformedJsonata, format!("malformed JSONata expression: {}", e.message))
                .at(self.loc(pointer, inner_span(span, text, e.offset)))
                .label(e.message.clone())
                .note("JSONata expressions are written as \"{% expression %}\": the whole string, from `{%` to `%}`");
            self.report(d);
        }
    }

    /// A field that in JSONata states may be a `{% %}` string and in JSONPath states is a number
    /// or has a `…Path` sibling.
    fn seconds(
        &mut self,
        obj: Obj<'_>,
        key: &str,
        path_key: &str,
        ql: QueryLanguage,
        min: u64,
    ) -> Option<Seconds> {
        if obj.has(key) && obj.has(path_key) {
            let m = obj.member(path_key)?;
            self.error(
                Code::InvalidValue,
                &obj.child(path_key),
                m.key_span,
                format!("`{key}` and `{path_key}` cannot both be given"),
            );
        }
        if let Some(v) = obj.get(key) {
            if let (QueryLanguage::Jsonata, Some(s)) = (ql, v.as_str()) {
                self.jsonata_string(s, v.span, &obj.child(key));
                return Some(Seconds::Jsonata(Spanned {
                    value: s.to_string(),
                    span: v.span,
                    pointer: obj.child(key),
                }));
            }
            return self.integer(obj, key, min).map(Seconds::Value);
        }
        self.path_field(obj, path_key, true).map(Seconds::Path)
    }

    fn task(&mut self, obj: Obj<'_>, ql: QueryLanguage) -> Option<TaskState> {
        let what = "a Task state";
        self.require(obj, "Resource", what)?;
        let resource = self.string(obj, "Resource")?;
        let resource = Spanned {
            value: self.resource(obj, &resource, ql),
            span: resource.span,
            pointer: resource.pointer,
        };
        // A lambda:invoke FunctionName placeholder was read (and reported) as the function.
        let invoke = matches!(
            resource.value,
            Resource::Lambda {
                invocation: LambdaInvocation::Invoke | LambdaInvocation::InvokeWaitForTaskToken,
                ..
            }
        );
        for key in ["Parameters", "Arguments"] {
            if let Some(args) = obj.get(key) {
                self.unresolved_argument_placeholders(args, &obj.child(key), invoke);
            }
        }
        let timeout_seconds = self.seconds(obj, "TimeoutSeconds", "TimeoutSecondsPath", ql, 1);
        let heartbeat_seconds =
            self.seconds(obj, "HeartbeatSeconds", "HeartbeatSecondsPath", ql, 1);
        if let (Some(Seconds::Value(t)), Some(Seconds::Value(h))) =
            (&timeout_seconds, &heartbeat_seconds)
        {
            if h >= t {
                if let Some(v) = obj.get("HeartbeatSeconds") {
                    self.error(
                        Code::InvalidValue,
                        &obj.child("HeartbeatSeconds"),
                        v.span,
                        format!(
                            "`HeartbeatSeconds` ({h}) must be smaller than `TimeoutSeconds` ({t})"
                        ),
                    );
                }
            }
        }
        Some(TaskState {
            resource,
            timeout_seconds,
            heartbeat_seconds,
            credentials: obj.get("Credentials").cloned(),
            errors: self.error_handling(obj, ql),
        })
    }

    fn resource(
        &mut self,
        obj: Obj<'_>,
        resource: &Spanned<String>,
        ql: QueryLanguage,
    ) -> Resource {
        let text = resource.value.as_str();
        if let Some(placeholder) = placeholder_name(text) {
            if let Some(function) = self.catalog.resolve_placeholder(placeholder) {
                return self.known_function(
                    resource,
                    function,
                    LambdaInvocation::Placeholder(placeholder.to_string()),
                );
            }
            if !self.catalog.resource_placeholders.contains(placeholder) {
                self.unresolved_placeholder(resource, placeholder);
            }
            return Resource::Opaque(text.to_string());
        }
        if let Some((function, qualifier)) = lambda_arn(text) {
            return self.known_function(resource, function, LambdaInvocation::Arn { qualifier });
        }
        if let Some(service) = text.strip_prefix("arn:aws:states:::") {
            let (service, wait) = match service.strip_suffix(".waitForTaskToken") {
                Some(s) => (s, true),
                None => (service, false),
            };
            match service {
                "lambda:invoke" => {
                    let args_key = match ql {
                        QueryLanguage::JsonPath => "Parameters",
                        QueryLanguage::Jsonata => "Arguments",
                    };
                    let invocation = if wait {
                        LambdaInvocation::InvokeWaitForTaskToken
                    } else {
                        LambdaInvocation::Invoke
                    };
                    let name = obj.get(args_key).and_then(|a| a.get("FunctionName"));
                    return match name.and_then(|n| Some((n, n.as_str()?))) {
                        Some((json, n)) if !n.starts_with("{%") => {
                            let at = Spanned {
                                value: n.to_string(),
                                span: json.span,
                                pointer: push_pointer(&obj.child(args_key), "FunctionName"),
                            };
                            self.invoked_function(&at, invocation)
                        }
                        // A dynamic FunctionName cannot be type-checked.
                        _ => Resource::Opaque(text.to_string()),
                    };
                }
                "sqs:sendMessage" => {
                    return Resource::SqsSendMessage {
                        wait_for_task_token: wait,
                    };
                }
                "sns:publish" => {
                    return Resource::SnsPublish {
                        wait_for_task_token: wait,
                    };
                }
                _ => {}
            }
        }
        Resource::Opaque(text.to_string())
    }

    /// The function a `lambda:invoke` `FunctionName` names: a `${Placeholder}`, or what Lambda
    /// accepts (a name, `name:alias`, a partial or a full ARN).
    fn invoked_function(
        &mut self,
        name: &Spanned<String>,
        invocation: LambdaInvocation,
    ) -> Resource {
        if let Some(placeholder) = placeholder_name(&name.value) {
            let function = match self.catalog.resolve_placeholder(placeholder) {
                Some(f) => f,
                None => {
                    self.unresolved_placeholder(name, placeholder);
                    FunctionCatalog::placeholder_stem(placeholder)
                }
            };
            return Resource::Lambda {
                function,
                invocation,
            };
        }
        match lambda_function_name(&name.value) {
            Some((function, _)) => self.known_function(name, function, invocation),
            None => {
                let d = Diagnostic::new(
                    Code::UnknownFunction,
                    format!("`FunctionName` `{}` is not a Lambda function name", name.value),
                )
                .at(self.loc(&name.pointer, name.span))
                .label("not a function name, name:alias, partial ARN or function ARN")
                .help("write the function's name (`checkInventory`), `name:alias`, `123456789012:function:name` or `arn:aws:lambda:REGION:ACCOUNT:function:name`, or a `${…}` placeholder");
                self.report(d);
                // Kept as a function reference, so that W0205 can point at it.
                Resource::Lambda {
                    function: name.value.clone(),
                    invocation,
                }
            }
        }
    }

    fn known_function(
        &mut self,
        resource: &Spanned<String>,
        function: String,
        invocation: LambdaInvocation,
    ) -> Resource {
        if !self.catalog.functions.contains(&function) {
            self.unknown_function(resource, &function);
        }
        Resource::Lambda {
            function,
            invocation,
        }
    }

    /// A function name (from an ARN or a `FunctionName`) the folder does not describe.
    fn unknown_function(&mut self, resource: &Spanned<String>, function: &str) {
        let known: Vec<&str> = self.catalog.functions.iter().map(String::as_str).collect();
        let d = Diagnostic::new(
            Code::UnknownFunction,
            format!("the function `{function}` is not a function of this workflow folder"),
        )
        .at(self.loc(&resource.pointer, resource.span))
        .label(format!(
            "no schemas/{function}.input.json and .output.json for it"
        ))
        .note(self.known_functions_note(&known));
        let d = match suggest::closest(function, known.iter().copied()) {
            Some(f) => d.help(format!("did you mean `{f}`?")),
            None => d.help(format!(
                "add schemas/{function}.input.json and schemas/{function}.output.json"
            )),
        };
        self.report(d);
    }

    /// A `${Placeholder}` naming a Task's function that stands for no function, queue or topic
    /// of the folder: nothing can be checked, and no deployment template can fill it in.
    fn unresolved_placeholder(&mut self, at: &Spanned<String>, placeholder: &str) {
        let known: Vec<&str> = self.catalog.functions.iter().map(String::as_str).collect();
        // The function it would stand for: `LookupBokFunctionArn` → `lookupBok`.
        let function = FunctionCatalog::placeholder_stem(placeholder);
        let d = Diagnostic::new(
            Code::UnknownFunction,
            format!("the placeholder `${{{placeholder}}}` stands for no function of this workflow folder"),
        )
        .at(self.loc(&at.pointer, at.span))
        .label(format!("read as the function `{function}`, which has no schemas"))
        .note(self.known_functions_note(&known))
        .note(format!(
            "a placeholder names a function by its name with one of the suffixes {}, or by a mapping in orderflow.json `placeholders`",
            PLACEHOLDER_SUFFIXES
                .iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        let d = match suggest::closest(&function, known.iter().copied()) {
            Some(f) => {
                let suffix = PLACEHOLDER_SUFFIXES
                    .iter()
                    .find(|s| placeholder.ends_with(*s))
                    .copied()
                    .unwrap_or("");
                let fixed = format!("{}{suffix}", heck::ToUpperCamelCase::to_upper_camel_case(f));
                d.help(format!(
                    "did you mean `${{{fixed}}}` (function {f})? Or map it in orderflow.json: `\"placeholders\": {{ \"{placeholder}\": \"{f}\" }}`"
                ))
            }
            None => d.help(format!(
                "map it to a function in orderflow.json (`\"placeholders\": {{ \"{placeholder}\": \"<function>\" }}`), or add schemas/{function}.input.json and schemas/{function}.output.json"
            )),
        };
        self.report(d);
    }

    /// `${…}` values of a Task's `Parameters`/`Arguments` (a `QueueUrl`, a `TopicArn`, …) that
    /// stand for no function, queue or topic: no deployment template would fill them in.
    /// `top_function_name` skips the `FunctionName` of `lambda:invoke`, read as the function.
    fn unresolved_argument_placeholders(
        &mut self,
        json: &Json,
        pointer: &str,
        top_function_name: bool,
    ) {
        if let Some(members) = json.as_object() {
            for m in members {
                if top_function_name && m.key == "FunctionName" {
                    continue;
                }
                self.unresolved_argument_placeholders(
                    &m.value,
                    &push_pointer(pointer, &m.key),
                    false,
                );
            }
        } else if let Some(items) = json.as_array() {
            for (i, item) in items.iter().enumerate() {
                self.unresolved_argument_placeholders(item, &push_index(pointer, i), false);
            }
        } else if let Some(placeholder) = json.as_str().and_then(placeholder_name) {
            if self.catalog.resolve_placeholder(placeholder).is_none()
                && !self.catalog.resource_placeholders.contains(placeholder)
            {
                let d = Diagnostic::new(
                    Code::UnknownFunction,
                    format!("the placeholder `${{{placeholder}}}` stands for no function, queue or topic of this workflow folder"),
                )
                .at(self.loc(pointer, json.span))
                .label("no deployment template fills it in")
                .help(format!(
                    "declare it in orderflow.json as a queue's or topic's placeholder (`\"queues\": {{ \"orders\": {{ \"placeholder\": \"{placeholder}\" }} }}`), or map it to a function under `placeholders`"
                ));
                self.report(d);
            }
        }
    }

    fn known_functions_note(&self, known: &[&str]) -> String {
        if known.is_empty() {
            "the folder describes no functions yet".to_string()
        } else {
            format!("functions: {}", known.join(", "))
        }
    }

    fn error_handling(&mut self, obj: Obj<'_>, ql: QueryLanguage) -> ErrorHandling {
        let mut handling = ErrorHandling::default();
        if let Some(retry) = obj.get("Retry") {
            let pointer = obj.child("Retry");
            match retry.as_array() {
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let p = push_index(&pointer, i);
                        if let Some(r) = self.retrier(item, &p, i + 1 == items.len()) {
                            handling.retry.push(r);
                        }
                    }
                }
                None => self.wrong_type(&pointer, retry, "Retry", "an array of retriers"),
            }
        }
        if let Some(catch) = obj.get("Catch") {
            let pointer = obj.child("Catch");
            match catch.as_array() {
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let p = push_index(&pointer, i);
                        if let Some(c) = self.catcher(item, &p, i + 1 == items.len(), ql) {
                            handling.catch.push(c);
                        }
                    }
                }
                None => self.wrong_type(&pointer, catch, "Catch", "an array of catchers"),
            }
        }
        handling
    }

    fn error_equals(&mut self, obj: Obj<'_>, what: &str, last: bool) -> Vec<Spanned<String>> {
        let Some(v) = self.require(obj, "ErrorEquals", what) else {
            return Vec::new();
        };
        let pointer = obj.child("ErrorEquals");
        let Some(items) = v.as_array() else {
            self.wrong_type(&pointer, v, "ErrorEquals", "an array of error names");
            return Vec::new();
        };
        if items.is_empty() {
            self.error(
                Code::InvalidValue,
                &pointer,
                v.span,
                "`ErrorEquals` must name at least one error",
            );
        }
        let mut names = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let p = push_index(&pointer, i);
            match item.as_str() {
                Some(s) => names.push(Spanned {
                    value: s.to_string(),
                    span: item.span,
                    pointer: p,
                }),
                None => self.wrong_type(&p, item, "ErrorEquals", "a string"),
            }
        }
        if let Some(all) = names.iter().find(|n| n.value == "States.ALL") {
            if names.len() > 1 {
                let d = Diagnostic::new(
                    Code::StatesAllPosition,
                    format!("`States.ALL` must be alone in the `ErrorEquals` of {what}"),
                )
                .at(self.loc(&all.pointer, all.span))
                .help("move the other error names to their own retrier/catcher before this one");
                self.report(d);
            } else if !last {
                let d = Diagnostic::new(
                    Code::StatesAllPosition,
                    format!("{what} matching `States.ALL` must be the last one"),
                )
                .at(self.loc(&all.pointer, all.span))
                .label("later entries can never match")
                .help("move this entry to the end of the array");
                self.report(d);
            }
        }
        names
    }

    fn retrier(&mut self, json: &Json, pointer: &str, last: bool) -> Option<Retrier> {
        let obj = self.object(json, pointer, "a retrier")?;
        self.check_fields(obj, RETRIER, "a retrier", None);
        let error_equals = self.error_equals(obj, "a retrier", last);
        let backoff_rate = self.number(obj, "BackoffRate").unwrap_or(2.0);
        if backoff_rate < 1.0 {
            if let Some(v) = obj.get("BackoffRate") {
                self.error(
                    Code::InvalidValue,
                    &obj.child("BackoffRate"),
                    v.span,
                    format!("`BackoffRate` must be at least 1.0, found {backoff_rate}"),
                );
            }
        }
        let jitter = match self.string(obj, "JitterStrategy") {
            None => JitterStrategy::None,
            Some(s) => match s.value.as_str() {
                "FULL" => JitterStrategy::Full,
                "NONE" => JitterStrategy::None,
                other => {
                    self.error(
                        Code::InvalidValue,
                        &s.pointer,
                        s.span,
                        format!("`JitterStrategy` must be \"FULL\" or \"NONE\", found \"{other}\""),
                    );
                    JitterStrategy::None
                }
            },
        };
        Some(Retrier {
            error_equals,
            interval_seconds: self
                .bounded_integer(obj, "IntervalSeconds", 1, RETRY_LIMIT)
                .unwrap_or(1),
            max_attempts: self
                .bounded_integer(obj, "MaxAttempts", 0, RETRY_LIMIT)
                .unwrap_or(3),
            backoff_rate,
            // Less than a year, in seconds.
            max_delay_seconds: self.bounded_integer(obj, "MaxDelaySeconds", 1, 31_622_399),
            jitter,
            pointer: pointer.to_string(),
        })
    }

    fn catcher(
        &mut self,
        json: &Json,
        pointer: &str,
        last: bool,
        ql: QueryLanguage,
    ) -> Option<Catcher> {
        let obj = self.object(json, pointer, "a catcher")?;
        let allowed: Vec<&str> = CATCHER
            .iter()
            .copied()
            .filter(|f| match ql {
                QueryLanguage::JsonPath => *f != "Output",
                QueryLanguage::Jsonata => *f != "ResultPath",
            })
            .collect();
        // Fields of the other query language get E0112 rather than "unknown".
        let mut all = allowed.clone();
        all.push(if ql == QueryLanguage::JsonPath {
            "Output"
        } else {
            "ResultPath"
        });
        self.check_fields(obj, &all, "a catcher", Some(ql));
        let error_equals = self.error_equals(obj, "a catcher", last);
        self.require(obj, "Next", "a catcher");
        let next = self.string(obj, "Next")?;
        let output = obj.get("Output").cloned();
        if let (Some(o), QueryLanguage::Jsonata) = (&output, ql) {
            self.jsonata_value(o, &obj.child("Output"), 0);
        }
        let assign = obj.get("Assign").cloned();
        let assign_template = match &assign {
            Some(a) => self.assign(a, &obj.child("Assign"), ql),
            None => None,
        };
        Some(Catcher {
            error_equals,
            next: Target {
                name: next,
                target: None,
            },
            result_path: self.nullable_path(obj, "ResultPath", true),
            output,
            assign,
            assign_template,
            pointer: pointer.to_string(),
        })
    }

    fn choice(&mut self, obj: Obj<'_>, ql: QueryLanguage, depth: usize) -> ChoiceState {
        let mut choices = Vec::new();
        if let Some(v) = self.require(obj, "Choices", "a Choice state") {
            let pointer = obj.child("Choices");
            match v.as_array() {
                Some([]) => {
                    self.error(
                        Code::InvalidValue,
                        &pointer,
                        v.span,
                        "`Choices` must contain at least one rule",
                    );
                }
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        if let Some(rule) =
                            self.choice_rule(item, &push_index(&pointer, i), true, ql, depth)
                        {
                            choices.push(rule);
                        }
                    }
                }
                None => self.wrong_type(&pointer, v, "Choices", "an array of rules"),
            }
        }
        ChoiceState {
            choices,
            default: self
                .string(obj, "Default")
                .map(|name| Target { name, target: None }),
        }
    }

    fn choice_rule(
        &mut self,
        json: &Json,
        pointer: &str,
        top: bool,
        ql: QueryLanguage,
        depth: usize,
    ) -> Option<ChoiceRule> {
        let obj = self.object(json, pointer, "a Choice rule")?;
        if depth > MAX_DEPTH {
            self.error(
                Code::InvalidChoiceRule,
                pointer,
                json.span,
                format!("Choice rules nested deeper than {MAX_DEPTH} levels"),
            );
            return None;
        }
        let operators = ComparisonOperator::ALL.iter().map(|o| o.name());
        let mut allowed: Vec<&str> = CHOICE_RULE_COMBINATORS
            .iter()
            .copied()
            .chain(operators)
            .collect();
        allowed.push("Comment");
        if top {
            allowed.extend(CHOICE_RULE_TOP);
        } else {
            // Reported below with its own code, more precisely than "unknown field".
            allowed.push("Next");
            if ql == QueryLanguage::Jsonata {
                allowed.push("Condition");
            }
        }
        self.check_fields(obj, &allowed, "a Choice rule", Some(ql));
        if top && !obj.has("Next") {
            self.require(obj, "Next", "a Choice rule");
        }
        if !top && obj.has("Next") {
            if let Some(m) = obj.member("Next") {
                self.error(
                    Code::InvalidChoiceRule,
                    &obj.child("Next"),
                    m.key_span,
                    "only top-level Choice rules have `Next`; rules inside And/Or/Not do not",
                );
            }
        }
        let next = if top {
            self.string(obj, "Next")
                .map(|name| Target { name, target: None })
        } else {
            None
        };
        let assign = obj.get("Assign").cloned();
        let assign_template = match &assign {
            Some(a) => self.assign(a, &obj.child("Assign"), ql),
            None => None,
        };
        let output = obj.get("Output").cloned();
        let condition = if ql == QueryLanguage::Jsonata {
            match self.string(obj, "Condition") {
                Some(c) => {
                    self.jsonata_string(&c.value, c.span, &c.pointer);
                    Condition::Jsonata(c)
                }
                None => {
                    self.require(obj, "Condition", "a JSONata Choice rule");
                    Condition::Invalid
                }
            }
        } else {
            self.comparison(obj, ql, depth)
        };
        Some(ChoiceRule {
            condition,
            next,
            assign,
            assign_template,
            output,
            pointer: pointer.to_string(),
            span: json.span,
        })
    }

    /// A JSONPath Choice rule: exactly one of And/Or/Not or Variable + one operator.
    fn comparison(&mut self, obj: Obj<'_>, ql: QueryLanguage, depth: usize) -> Condition {
        let found: Vec<&Member> = obj
            .members
            .iter()
            .filter(|m| {
                ["And", "Or", "Not"].contains(&m.key.as_str())
                    || ComparisonOperator::from_name(&m.key).is_some()
            })
            .collect();
        if found.len() != 1 {
            let message = if found.is_empty() {
                "a Choice rule needs exactly one comparison (e.g. `StringEquals`) or `And`/`Or`/`Not`; it has none".to_string()
            } else {
                format!(
                    "a Choice rule needs exactly one comparison or `And`/`Or`/`Not`; it has {}: {}",
                    found.len(),
                    found
                        .iter()
                        .map(|m| format!("`{}`", m.key))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            let span = found.get(1).map_or(obj.json.span, |m| m.key_span);
            let d = Diagnostic::new(Code::InvalidChoiceRule, message)
                .at(self.loc(obj.pointer, span))
                .help("split the rule, or combine comparisons with `And`/`Or`");
            self.report(d);
            return Condition::Invalid;
        }
        let m = found[0];
        let pointer = obj.child(&m.key);
        match m.key.as_str() {
            key @ ("And" | "Or") => {
                if let Some(v) = obj.member("Variable") {
                    self.error(
                        Code::InvalidChoiceRule,
                        &obj.child("Variable"),
                        v.key_span,
                        format!(
                            "`Variable` does not belong next to `{key}`; put it in the nested rules"
                        ),
                    );
                }
                let Some(items) = m.value.as_array() else {
                    self.wrong_type(&pointer, &m.value, key, "an array of rules");
                    return Condition::Invalid;
                };
                if items.is_empty() {
                    self.error(
                        Code::InvalidChoiceRule,
                        &pointer,
                        m.value.span,
                        format!("`{key}` needs at least one rule"),
                    );
                }
                let rules = items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, item)| {
                        self.choice_rule(item, &push_index(&pointer, i), false, ql, depth + 1)
                    })
                    .collect();
                if key == "And" {
                    Condition::And(rules)
                } else {
                    Condition::Or(rules)
                }
            }
            "Not" => match self.choice_rule(&m.value, &pointer, false, ql, depth + 1) {
                Some(rule) => Condition::Not(Box::new(rule)),
                None => Condition::Invalid,
            },
            name => {
                let Some(operator) = ComparisonOperator::from_name(name) else {
                    return Condition::Invalid;
                };
                if !obj.has("Variable") {
                    let d = Diagnostic::new(
                        Code::InvalidChoiceRule,
                        format!("the comparison `{name}` needs a `Variable` to compare"),
                    )
                    .at(self.loc(obj.pointer, m.key_span))
                    .help("add `\"Variable\": \"$.field\"`");
                    self.report(d);
                    return Condition::Invalid;
                }
                let Some(variable) = self.path_field(obj, "Variable", false) else {
                    return Condition::Invalid;
                };
                let Some(operand) = self.operand(operator, &m.value, &pointer) else {
                    return Condition::Invalid;
                };
                Condition::Compare {
                    variable,
                    operator: Spanned {
                        value: operator,
                        span: m.key_span,
                        pointer: pointer.clone(),
                    },
                    operand,
                }
            }
        }
    }

    fn operand(
        &mut self,
        operator: ComparisonOperator,
        v: &Json,
        pointer: &str,
    ) -> Option<Operand> {
        let name = operator.name();
        let ok = match operator.operand_kind() {
            OperandKind::String => v.as_str().is_some(),
            OperandKind::Number => v.as_number().is_some(),
            OperandKind::Boolean | OperandKind::TypeTest => v.as_bool().is_some(),
            OperandKind::Timestamp => match v.as_str() {
                Some(s) if is_timestamp(s) => true,
                Some(s) => {
                    self.error(Code::InvalidValue, pointer, v.span, format!("`{name}` needs an RFC 3339 timestamp such as \"2016-03-14T01:59:00Z\", found \"{s}\""));
                    return None;
                }
                None => false,
            },
            OperandKind::Path => {
                let text = v.as_str()?;
                return self
                    .path_string(text, v.span, pointer, name, true)
                    .map(Operand::Path);
            }
        };
        if !ok {
            let expected = match operator.operand_kind() {
                OperandKind::String => "a string",
                OperandKind::Number => "a number",
                OperandKind::Boolean | OperandKind::TypeTest => "a boolean",
                OperandKind::Timestamp => "a timestamp string",
                OperandKind::Path => "a path",
            };
            self.wrong_type(pointer, v, name, expected);
            return None;
        }
        Some(Operand::Literal(v.clone()))
    }

    fn wait(&mut self, obj: Obj<'_>, ql: QueryLanguage) -> WaitState {
        let present: Vec<&Member> = ["Seconds", "SecondsPath", "Timestamp", "TimestampPath"]
            .iter()
            .filter_map(|k| obj.member(k))
            .collect();
        if present.len() != 1 {
            let message = if present.is_empty() {
                "a Wait state needs one of `Seconds`, `SecondsPath`, `Timestamp`, `TimestampPath`"
                    .to_string()
            } else {
                format!(
                    "a Wait state takes exactly one of `Seconds`, `SecondsPath`, `Timestamp`, `TimestampPath`; it has {}",
                    present
                        .iter()
                        .map(|m| format!("`{}`", m.key))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            let (code, span) = match present.get(1) {
                Some(m) => (Code::InvalidValue, m.key_span),
                None => (Code::MissingField, obj.json.span),
            };
            self.error(code, obj.pointer, span, message);
            return WaitState::Invalid;
        }
        match present[0].key.as_str() {
            "Seconds" | "SecondsPath" => self
                .seconds(obj, "Seconds", "SecondsPath", ql, 0)
                .map_or(WaitState::Invalid, WaitState::Seconds),
            "Timestamp" => match self.string(obj, "Timestamp") {
                Some(s) if ql == QueryLanguage::Jsonata && s.value.starts_with("{%") => {
                    self.jsonata_string(&s.value, s.span, &s.pointer);
                    WaitState::Timestamp(s)
                }
                Some(s) if is_timestamp(&s.value) => WaitState::Timestamp(s),
                Some(s) => {
                    self.error(Code::InvalidValue, &s.pointer, s.span, format!("`Timestamp` must be an RFC 3339 timestamp such as \"2016-03-14T01:59:00Z\", found \"{}\"", s.value));
                    WaitState::Invalid
                }
                None => WaitState::Invalid,
            },
            _ => self
                .path_field(obj, "TimestampPath", true)
                .map_or(WaitState::Invalid, WaitState::TimestampPath),
        }
    }

    fn fail(&mut self, obj: Obj<'_>, ql: QueryLanguage) -> FailState {
        FailState {
            error: self.error_source(obj, "Error", "ErrorPath", ql),
            cause: self.error_source(obj, "Cause", "CausePath", ql),
        }
    }

    fn error_source(
        &mut self,
        obj: Obj<'_>,
        key: &str,
        path_key: &str,
        ql: QueryLanguage,
    ) -> Option<ErrorSource> {
        if obj.has(key) && obj.has(path_key) {
            if let Some(m) = obj.member(path_key) {
                self.error(
                    Code::InvalidValue,
                    &obj.child(path_key),
                    m.key_span,
                    format!("`{key}` and `{path_key}` cannot both be given"),
                );
            }
        }
        if let Some(s) = self.string(obj, key) {
            if ql == QueryLanguage::Jsonata {
                self.jsonata_string(&s.value, s.span, &s.pointer);
            }
            return Some(ErrorSource::Literal(s));
        }
        let s = self.string(obj, path_key)?;
        if intrinsic::looks_like_intrinsic(&s.value) {
            return match intrinsic::parse_intrinsic(&s.value) {
                Ok(call) => Some(ErrorSource::Intrinsic(Spanned {
                    value: call,
                    span: s.span,
                    pointer: s.pointer,
                })),
                Err(e) => {
                    self.payload_error(&s.pointer, s.span, &s.value, &e, "intrinsic function call");
                    None
                }
            };
        }
        self.path_string(&s.value, s.span, &s.pointer, path_key, true)
            .map(ErrorSource::Path)
    }

    fn parallel(
        &mut self,
        obj: Obj<'_>,
        id: StateId,
        ql: QueryLanguage,
        depth: usize,
    ) -> ParallelState {
        let mut branches = Vec::new();
        if let Some(v) = self.require(obj, "Branches", "a Parallel state") {
            let pointer = obj.child("Branches");
            match v.as_array() {
                Some([]) => self.error(
                    Code::InvalidValue,
                    &pointer,
                    v.span,
                    "`Branches` must contain at least one branch",
                ),
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let p = push_index(&pointer, i);
                        if let Some(branch) = self.nested_scope(
                            item,
                            &p,
                            ScopeKind::ParallelBranch {
                                parallel: id,
                                index: i,
                            },
                            ql,
                            depth,
                            &["StartAt", "States", "Comment", "QueryLanguage"],
                        ) {
                            branches.push(branch);
                        }
                    }
                }
                None => self.wrong_type(&pointer, v, "Branches", "an array of branches"),
            }
        }
        ParallelState {
            branches,
            errors: self.error_handling(obj, ql),
        }
    }

    fn nested_scope(
        &mut self,
        json: &Json,
        pointer: &str,
        kind: ScopeKind,
        ql: QueryLanguage,
        depth: usize,
        fields: &[&str],
    ) -> Option<ScopeId> {
        if depth >= MAX_DEPTH {
            self.error(
                Code::InvalidValue,
                pointer,
                json.span,
                format!("Parallel/Map nested deeper than {MAX_DEPTH} levels"),
            );
            return None;
        }
        let obj = self.object(json, pointer, "a branch")?;
        self.check_fields(obj, fields, "a branch", None);
        let ql = self.query_language(obj, Some(ql)).unwrap_or(ql);
        Some(self.scope(obj, kind, ql, depth + 1))
    }

    fn map(
        &mut self,
        obj: Obj<'_>,
        id: StateId,
        ql: QueryLanguage,
        depth: usize,
    ) -> Option<MapState> {
        let (processor_key, processor) = match (obj.get("ItemProcessor"), obj.get("Iterator")) {
            (Some(p), None) => ("ItemProcessor", p),
            (None, Some(i)) => ("Iterator", i),
            (Some(_), Some(_)) => {
                let m = obj.member("Iterator")?;
                self.error(
                    Code::InvalidValue,
                    &obj.child("Iterator"),
                    m.key_span,
                    "a Map state takes `ItemProcessor` or the older `Iterator`, not both",
                );
                return None;
            }
            (None, None) => {
                self.require(obj, "ItemProcessor", "a Map state");
                return None;
            }
        };
        let pointer = obj.child(processor_key);
        let mut mode = MapMode::Inline;
        if let Some(p) = processor.as_object().map(|members| Obj {
            json: processor,
            members,
            pointer: &pointer,
        }) {
            if let Some(config) = p.get("ProcessorConfig") {
                let cp = p.child("ProcessorConfig");
                if let Some(c) = self.object(config, &cp, "`ProcessorConfig`") {
                    self.check_fields(c, &["Mode", "ExecutionType"], "`ProcessorConfig`", None);
                    if let Some(m) = self.string(c, "Mode") {
                        match m.value.as_str() {
                            "INLINE" => {}
                            "DISTRIBUTED" => mode = MapMode::Distributed,
                            other => self.error(Code::InvalidValue, &m.pointer, m.span, format!("`Mode` must be \"INLINE\" or \"DISTRIBUTED\", found \"{other}\"")),
                        }
                    }
                    if let Some(t) = self.string(c, "ExecutionType") {
                        if !["STANDARD", "EXPRESS"].contains(&t.value.as_str()) {
                            self.error(Code::InvalidValue, &t.pointer, t.span, format!("`ExecutionType` must be \"STANDARD\" or \"EXPRESS\", found \"{}\"", t.value));
                        }
                    }
                }
            }
        }
        // AWS accepts `ProcessorConfig` in the legacy `Iterator` too (a recorded execution
        // confirms it) and reads it the same way, so both map into the same `mode`.
        let fields: &[&str] = if processor_key == "ItemProcessor" {
            &[
                "StartAt",
                "States",
                "Comment",
                "ProcessorConfig",
                "QueryLanguage",
            ]
        } else {
            &["StartAt", "States", "Comment", "ProcessorConfig"]
        };
        let iterator = self.nested_scope(
            processor,
            &pointer,
            ScopeKind::MapIterator { map: id },
            ql,
            depth,
            fields,
        )?;
        if obj.has("ItemSelector") && obj.has("Parameters") {
            if let Some(m) = obj.member("Parameters") {
                self.error(
                    Code::InvalidValue,
                    &obj.child("Parameters"),
                    m.key_span,
                    "a Map state takes `ItemSelector` or the older `Parameters`, not both",
                );
            }
        }
        let item_selector = obj.get("ItemSelector").map(|s| {
            let p = obj.child("ItemSelector");
            if ql == QueryLanguage::Jsonata {
                self.jsonata_value(s, &p, 0);
            }
            self.payload(s, &p)
        });
        let max_concurrency = match obj.get("MaxConcurrency") {
            Some(v) if ql == QueryLanguage::Jsonata && v.as_str().is_some() => {
                self.jsonata_value(v, &obj.child("MaxConcurrency"), 0);
                None
            }
            _ => self.integer(obj, "MaxConcurrency", 0),
        };
        let mut tolerated_failure_percentage = None;
        if let Some(v) = obj.get("ToleratedFailurePercentage") {
            if !(ql == QueryLanguage::Jsonata && v.as_str().is_some()) {
                match v.as_number().and_then(serde_json::Number::as_f64) {
                    Some(x) if (0.0..=100.0).contains(&x) => tolerated_failure_percentage = Some(x),
                    _ => self.error(
                        Code::InvalidValue,
                        &obj.child("ToleratedFailurePercentage"),
                        v.span,
                        "`ToleratedFailurePercentage` must be a number from 0 to 100",
                    ),
                }
            }
        }
        let mut tolerated_failure_count = None;
        if let Some(v) = obj.get("ToleratedFailureCount") {
            if !(ql == QueryLanguage::Jsonata && v.as_str().is_some()) {
                tolerated_failure_count = self.integer(obj, "ToleratedFailureCount", 0);
            }
        }
        let max_concurrency_path = self.path_field(obj, "MaxConcurrencyPath", true);
        let tolerated_failure_count_path = self.path_field(obj, "ToleratedFailureCountPath", true);
        let tolerated_failure_percentage_path =
            self.path_field(obj, "ToleratedFailurePercentagePath", true);
        let reader = self.item_reader(obj);
        let items = obj.get("Items").cloned();
        if let Some(i) = &items {
            self.jsonata_value(i, &obj.child("Items"), 0);
        }
        Some(MapState {
            iterator,
            mode,
            items_path: self.path_field(obj, "ItemsPath", true),
            items,
            item_selector,
            max_concurrency,
            item_reader: obj.get("ItemReader").cloned(),
            run: Box::new(MapRunFields {
                max_concurrency_path,
                tolerated_failure_count,
                tolerated_failure_count_path,
                tolerated_failure_percentage,
                tolerated_failure_percentage_path,
                reader,
            }),
            result_writer: obj.get("ResultWriter").cloned(),
            item_batcher: obj.get("ItemBatcher").cloned(),
            errors: self.error_handling(obj, ql),
        })
    }
}

impl Parser<'_> {
    /// What the executor needs of a JSONPath `ItemReader` (its other fields are not modelled).
    fn item_reader(&mut self, map: Obj<'_>) -> Option<ItemReader> {
        let json = map.get("ItemReader")?;
        let pointer = map.child("ItemReader");
        let members = json.as_object()?;
        let obj = Obj {
            json,
            members,
            pointer: &pointer,
        };
        let resource = obj.get("Resource").and_then(Json::as_str)?.to_string();
        let parameters = obj
            .get("Parameters")
            .map(|p| self.payload(p, &obj.child("Parameters")));
        let config_pointer = obj.child("ReaderConfig");
        let config = obj.get("ReaderConfig").and_then(|c| {
            c.as_object().map(|members| Obj {
                json: c,
                members,
                pointer: &config_pointer,
            })
        });
        let (max_items, max_items_path) = match config {
            Some(c) => (
                c.get("MaxItems")
                    .and_then(Json::as_number)
                    .and_then(serde_json::Number::as_u64),
                self.path_field(c, "MaxItemsPath", true),
            ),
            None => (None, None),
        };
        Some(ItemReader {
            resource,
            parameters,
            max_items,
            max_items_path,
        })
    }
}

/// `arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]` → (NAME, QUALIFIER).
pub fn lambda_arn(text: &str) -> Option<(String, Option<String>)> {
    let parts: Vec<&str> = text.split(':').collect();
    if parts.len() < 7
        || parts.len() > 8
        || parts[0] != "arn"
        || !parts[1].starts_with("aws")
        || parts[2] != "lambda"
        || parts[5] != "function"
        || parts[6].is_empty()
    {
        return None;
    }
    Some((parts[6].to_string(), parts.get(7).map(|q| (*q).to_string())))
}

/// A `FunctionName` as Lambda's Invoke API reads it: a function name (`my-function`), a name
/// with a version or alias (`my-function:live`), a partial ARN (`123456789012:function:my-function`,
/// optionally with `:live`) or a function ARN ([`lambda_arn`]) → (NAME, QUALIFIER).
pub fn lambda_function_name(text: &str) -> Option<(String, Option<String>)> {
    if text.starts_with("arn:") {
        return lambda_arn(text);
    }
    let parts: Vec<&str> = text.split(':').collect();
    let (name, qualifier) = match parts.as_slice() {
        [name] => (*name, None),
        [name, qualifier] => (*name, Some(*qualifier)),
        [account, "function", name] if is_account(account) => (*name, None),
        [account, "function", name, qualifier] if is_account(account) => (*name, Some(*qualifier)),
        _ => return None,
    };
    let name_ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    // A version (`1`, `$LATEST`) or an alias (`live`).
    let qualifier_ok = qualifier.is_none_or(|q| {
        !q.is_empty()
            && q.len() <= 128
            && q.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '$'))
    });
    (name_ok && qualifier_ok).then(|| (name.to_string(), qualifier.map(str::to_string)))
}

/// An AWS account id: twelve digits.
fn is_account(text: &str) -> bool {
    text.len() == 12 && text.chars().all(|c| c.is_ascii_digit())
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses a definition given as JSON text; returns the machine and its diagnostics.
    fn parse_text(text: &str) -> (StateMachine, Vec<Diagnostic>) {
        let file = SourceFile::new("workflow.asl.json", text.to_string());
        let json = match crate::json::parse(file.text()) {
            Ok(json) => json,
            Err(e) => panic!("test definition is not JSON: {}", e.message),
        };
        let mut diagnostics = Vec::new();
        let machine =
            parse_state_machine(&file, &json, &FunctionCatalog::default(), &mut diagnostics);
        (machine, diagnostics)
    }

    fn map_definition(processor: &str) -> String {
        format!(
            r#"{{"StartAt": "M", "States": {{"M": {{"Type": "Map", "End": true,
                "ItemSelector": {{"v.$": "$$.Map.Item.Value"}}, "MaxConcurrency": 1,
                {processor}}}}}}}"#
        )
    }

    fn map_mode(machine: &StateMachine) -> Option<MapMode> {
        machine.states.iter().find_map(|s| match &s.kind {
            StateKind::Map(m) => Some(m.mode),
            _ => None,
        })
    }

    #[test]
    fn legacy_iterator_accepts_processor_config() {
        // AWS accepted and ran this (test_map_state_legacy_config_inline_item_selector).
        let inner = r#""StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}"#;
        for (config, mode) in [
            (r#""Mode": "INLINE""#, MapMode::Inline),
            (
                r#""Mode": "DISTRIBUTED", "ExecutionType": "STANDARD""#,
                MapMode::Distributed,
            ),
        ] {
            let legacy = map_definition(&format!(
                r#""Iterator": {{"ProcessorConfig": {{{config}}}, {inner}}}"#
            ));
            let (machine, diagnostics) = parse_text(&legacy);
            assert!(
                !diagnostics.iter().any(Diagnostic::is_error),
                "{diagnostics:?}"
            );
            assert_eq!(map_mode(&machine), Some(mode));
            // The same model as with `ItemProcessor`.
            let current = map_definition(&format!(
                r#""ItemProcessor": {{"ProcessorConfig": {{{config}}}, {inner}}}"#
            ));
            let (machine, diagnostics) = parse_text(&current);
            assert!(
                !diagnostics.iter().any(Diagnostic::is_error),
                "{diagnostics:?}"
            );
            assert_eq!(map_mode(&machine), Some(mode));
        }
        // The config is still checked, and other unknown fields are still rejected.
        let bad_mode = map_definition(&format!(
            r#""Iterator": {{"ProcessorConfig": {{"Mode": "PARALLEL"}}, {inner}}}"#
        ));
        let (_, diagnostics) = parse_text(&bad_mode);
        assert!(
            diagnostics
                .iter()
                .any(|d| d.is_error() && d.message.contains("`Mode` must be")),
            "{diagnostics:?}"
        );
        let unknown = map_definition(&format!(r#""Iterator": {{"Bogus": 1, {inner}}}"#));
        let (_, diagnostics) = parse_text(&unknown);
        assert!(
            diagnostics
                .iter()
                .any(|d| d.is_error() && d.message.contains("does not allow the field `Bogus`")),
            "{diagnostics:?}"
        );
        let both = map_definition(&format!(
            r#""Iterator": {{{inner}}}, "ItemProcessor": {{{inner}}}"#
        ));
        let (_, diagnostics) = parse_text(&both);
        assert!(
            diagnostics.iter().any(Diagnostic::is_error),
            "{diagnostics:?}"
        );
    }

    #[test]
    fn lambda_arns_with_and_without_alias() {
        assert_eq!(
            lambda_arn("arn:aws:lambda:us-east-1:123456789012:function:checkInventory"),
            Some(("checkInventory".into(), None))
        );
        assert_eq!(
            lambda_arn("arn:aws:lambda:us-east-1:123456789012:function:f:live"),
            Some(("f".into(), Some("live".into())))
        );
        assert_eq!(
            lambda_arn("arn:aws-cn:lambda:cn-north-1:1:function:f"),
            Some(("f".into(), None))
        );
        assert_eq!(lambda_arn("arn:aws:states:::lambda:invoke"), None);
        assert_eq!(lambda_arn("arn:aws:lambda:us-east-1:1:layer:x"), None);
    }

    #[test]
    fn placeholders_resolve_by_name_or_manifest() {
        let catalog = FunctionCatalog {
            functions: ["checkInventory", "sqsWorker"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            placeholders: [("CourierWorker".to_string(), "sqsWorker".to_string())].into(),
            ..FunctionCatalog::default()
        };
        assert_eq!(
            catalog
                .resolve_placeholder("CheckInventoryFunctionArn")
                .as_deref(),
            Some("checkInventory")
        );
        assert_eq!(
            catalog.resolve_placeholder("checkInventory").as_deref(),
            Some("checkInventory")
        );
        assert_eq!(
            catalog.resolve_placeholder("CourierWorker").as_deref(),
            Some("sqsWorker")
        );
        assert_eq!(catalog.resolve_placeholder("OrdersQueueUrl"), None);
    }

    /// Issue 17: `${checkPriceFnArn}` was taken as an opaque integration, so nothing was
    /// checked; every spelling people use for a function's placeholder names the function.
    #[test]
    fn placeholder_spellings_name_the_function() {
        let catalog = FunctionCatalog {
            functions: ["checkPrice", "firstLambda", "first"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            ..FunctionCatalog::default()
        };
        for placeholder in [
            "checkPriceFnArn",
            "CheckPriceFnArn",
            "CheckPriceFunctionArn",
            "CheckPriceLambdaArn",
            "CheckPriceArn",
            "CheckPriceFunction",
            "CheckPriceFn",
            "CheckPriceFunctionName",
            "checkPrice",
        ] {
            assert_eq!(
                catalog.resolve_placeholder(placeholder).as_deref(),
                Some("checkPrice"),
                "{placeholder}"
            );
        }
        // The most specific suffix wins; a shorter one is tried when that names no function.
        assert_eq!(
            catalog.resolve_placeholder("FirstLambdaArn").as_deref(),
            Some("first")
        );
        let without_first = FunctionCatalog {
            functions: ["firstLambda".to_string()].into(),
            ..FunctionCatalog::default()
        };
        assert_eq!(
            without_first
                .resolve_placeholder("FirstLambdaArn")
                .as_deref(),
            Some("firstLambda")
        );
        assert_eq!(
            FunctionCatalog::placeholder_stem("CheckPriceFnArn"),
            "checkPrice"
        );
        assert_eq!(catalog.resolve_placeholder("Arn"), None);
    }

    /// Every form Lambda's Invoke accepts in `FunctionName`; a partial ARN was read as a
    /// function named after the account.
    #[test]
    fn function_names_as_lambda_reads_them() {
        let name = |n: &str, q: Option<&str>| Some((n.to_string(), q.map(str::to_string)));
        assert_eq!(lambda_function_name("checkPrice"), name("checkPrice", None));
        assert_eq!(
            lambda_function_name("check-price_2:live"),
            name("check-price_2", Some("live"))
        );
        assert_eq!(
            lambda_function_name("checkPrice:$LATEST"),
            name("checkPrice", Some("$LATEST"))
        );
        assert_eq!(
            lambda_function_name("123456789012:function:checkPrice"),
            name("checkPrice", None)
        );
        assert_eq!(
            lambda_function_name("123456789012:function:checkPrice:7"),
            name("checkPrice", Some("7"))
        );
        assert_eq!(
            lambda_function_name("arn:aws:lambda:eu-west-1:123456789012:function:checkPrice:live"),
            name("checkPrice", Some("live"))
        );
        for bad in [
            "",
            "a:b:c",
            "12345:function:x",
            "check price",
            "arn:aws:states:::lambda:invoke",
            "x:",
        ] {
            assert_eq!(lambda_function_name(bad), None, "{bad}");
        }
    }

    fn parse_with(text: &str, catalog: &FunctionCatalog) -> (StateMachine, Vec<Diagnostic>) {
        let file = SourceFile::new("workflow.asl.json", text.to_string());
        let json = match crate::json::parse(file.text()) {
            Ok(json) => json,
            Err(e) => panic!("test definition is not JSON: {}", e.message),
        };
        let mut diagnostics = Vec::new();
        let machine = parse_state_machine(&file, &json, catalog, &mut diagnostics);
        (machine, diagnostics)
    }

    fn task_resource(machine: &StateMachine) -> Option<&Resource> {
        machine.states.iter().find_map(|s| match &s.kind {
            StateKind::Task(t) => Some(&t.resource.value),
            _ => None,
        })
    }

    /// A Task `Resource` `${…}` that stands for no function, queue or topic is reported (it was
    /// reported only when the name contained "Function"); a queue's placeholder is not.
    #[test]
    fn unresolved_resource_placeholders_are_reported() {
        let catalog = FunctionCatalog {
            functions: ["checkPrice".to_string()].into(),
            resource_placeholders: ["OrdersQueueArn".to_string()].into(),
            ..FunctionCatalog::default()
        };
        let task = |resource: &str| {
            format!(
                r#"{{"StartAt": "CheckPrice", "States": {{"CheckPrice": {{"Type": "Task", "Resource": "{resource}", "End": true}}}}}}"#
            )
        };
        let (machine, diagnostics) = parse_with(&task("${checkPriceFnArn}"), &catalog);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert!(
            matches!(task_resource(&machine), Some(Resource::Lambda { function, .. }) if function == "checkPrice")
        );
        let (_, diagnostics) = parse_with(&task("${CheckPriceHandler}"), &catalog);
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        assert_eq!(diagnostics[0].code, Code::UnknownFunction);
        assert!(diagnostics[0].message.contains("${CheckPriceHandler}"));
        let (_, diagnostics) = parse_with(&task("${OrdersQueueArn}"), &catalog);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
    }

    /// A `${…}` in a Task's Parameters that no queue, topic or function declares is reported;
    /// declared ones are not.
    #[test]
    fn unresolved_argument_placeholders_are_reported() {
        let catalog = FunctionCatalog {
            functions: ["checkPrice".to_string()].into(),
            resource_placeholders: ["OrdersQueueUrl".to_string()].into(),
            ..FunctionCatalog::default()
        };
        let send = |queue: &str| {
            format!(
                r#"{{"StartAt": "Send", "States": {{"Send": {{"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "Parameters": {{"QueueUrl": "{queue}", "MessageBody": {{"fn": "${{CheckPriceFnArn}}"}}}}, "End": true}}}}}}"#
            )
        };
        let (_, diagnostics) = parse_with(&send("${OrdersQueueUrl}"), &catalog);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let (_, diagnostics) = parse_with(&send("${OrderQueueUrl}"), &catalog);
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        assert_eq!(diagnostics[0].code, Code::UnknownFunction);
        assert_eq!(
            diagnostics[0].location.as_ref().map(|l| l.pointer.as_str()),
            Some("/States/Send/Parameters/QueueUrl")
        );
    }

    /// `lambda:invoke` with a partial ARN invokes the named function; an unresolved placeholder
    /// is reported with the function stem in its help, never `schemas/${…}.input.json`.
    #[test]
    fn invoke_function_names() {
        let catalog = FunctionCatalog {
            functions: ["checkPrice".to_string()].into(),
            ..FunctionCatalog::default()
        };
        let invoke = |name: &str| {
            format!(
                r#"{{"StartAt": "CheckPrice", "States": {{"CheckPrice": {{"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {{"FunctionName": "{name}", "Payload.$": "$"}}, "End": true}}}}}}"#
            )
        };
        for name in [
            "123456789012:function:checkPrice",
            "123456789012:function:checkPrice:live",
            "checkPrice:live",
            "${CheckPriceLambdaArn}",
        ] {
            let (machine, diagnostics) = parse_with(&invoke(name), &catalog);
            assert!(diagnostics.is_empty(), "{name}: {diagnostics:?}");
            assert!(
                matches!(task_resource(&machine), Some(Resource::Lambda { function, .. }) if function == "checkPrice"),
                "{name}"
            );
        }
        let (_, diagnostics) = parse_with(&invoke("${FirstLambdaArn}"), &catalog);
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        let d = &diagnostics[0];
        assert_eq!(d.code, Code::UnknownFunction);
        let help = d.help.as_deref().unwrap_or_default();
        assert!(help.contains("schemas/first.input.json"), "{help}");
        assert!(!help.contains("schemas/${"), "{help}");
        assert_eq!(
            d.location.as_ref().map(|l| l.pointer.as_str()),
            Some("/States/CheckPrice/Parameters/FunctionName")
        );
    }

    #[test]
    fn inner_span_points_into_the_string() {
        let span = Span::new(10, 17); // "$.a b" with quotes
        assert_eq!(inner_span(span, "$.a b", 3), Span::new(14, 15));
        // Escaped strings fall back to the whole span.
        assert_eq!(inner_span(Span::new(0, 8), "a\"b", 1), Span::new(0, 8));
    }
}
