//! Which fields each kind of state, retrier, catcher and Choice rule may have, and the
//! readers that take a typed value out of a field or report why they cannot.

use crate::asl::model::*;
use crate::diagnostic::{Code, Diagnostic};
use crate::json::{Json, MemberProblem, member_problems};
use crate::suggest;

use super::{Obj, Parser};

pub(super) const COMMON: &[&str] = &["Type", "Comment", "QueryLanguage"];
pub(super) const TASK: &[&str] = &[
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
pub(super) const PASS: &[&str] = &[
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
pub(super) const CHOICE: &[&str] = &[
    "Choices",
    "Default",
    "InputPath",
    "OutputPath",
    "Output",
    "Assign",
];
pub(super) const WAIT: &[&str] = &[
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
pub(super) const SUCCEED: &[&str] = &["InputPath", "OutputPath", "Output"];
pub(super) const FAIL: &[&str] = &["Error", "ErrorPath", "Cause", "CausePath"];
pub(super) const PARALLEL: &[&str] = &[
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
pub(super) const MAP: &[&str] = &[
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
pub(super) const STATE_TYPES: &[&str] = &[
    "Task", "Pass", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map",
];

/// Fields that exist only when the query language is JSONPath.
pub(super) const JSONPATH_ONLY: &[&str] = &[
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
pub(super) const JSONATA_ONLY: &[&str] = &["Arguments", "Output", "Items", "Condition"];

pub(super) const RETRIER: &[&str] = &[
    "ErrorEquals",
    "IntervalSeconds",
    "MaxAttempts",
    "BackoffRate",
    "MaxDelaySeconds",
    "JitterStrategy",
    "Comment",
];
pub(super) const CATCHER: &[&str] = &[
    "ErrorEquals",
    "Next",
    "ResultPath",
    "Output",
    "Assign",
    "Comment",
];
pub(super) const CHOICE_RULE_TOP: &[&str] = &["Next", "Comment", "Assign", "Output", "Condition"];
pub(super) const CHOICE_RULE_COMBINATORS: &[&str] = &["And", "Or", "Not", "Variable"];

impl Parser<'_> {
    /// Reads `json` as an object, reporting E0003 otherwise.
    pub(super) fn object<'j>(
        &mut self,
        json: &'j Json,
        pointer: &'j str,
        what: &str,
    ) -> Option<Obj<'j>> {
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
    pub(super) fn check_fields(
        &mut self,
        obj: Obj<'_>,
        allowed: &[&str],
        what: &str,
        ql: Option<QueryLanguage>,
    ) {
        self.mark_checked(obj.json);
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

    pub(super) fn require<'j>(&mut self, obj: Obj<'j>, key: &str, what: &str) -> Option<&'j Json> {
        let v = obj.get(key);
        if v.is_none() {
            let d = Diagnostic::new(Code::MissingField, format!("{what} is missing `{key}`"))
                .at(self.loc(obj.pointer, obj.json.span))
                .label(format!("`{key}` is required here"));
            self.report(d);
        }
        v
    }

    pub(super) fn string(&mut self, obj: Obj<'_>, key: &str) -> Option<Spanned<String>> {
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

    pub(super) fn wrong_type(&mut self, pointer: &str, v: &Json, key: &str, expected: &str) {
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

    pub(super) fn boolean(&mut self, obj: Obj<'_>, key: &str) -> Option<bool> {
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
    pub(super) fn bounded_integer(
        &mut self,
        obj: Obj<'_>,
        key: &str,
        min: u64,
        max: u64,
    ) -> Option<u64> {
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
    pub(super) fn integer(&mut self, obj: Obj<'_>, key: &str, min: u64) -> Option<u64> {
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

    pub(super) fn number(&mut self, obj: Obj<'_>, key: &str) -> Option<f64> {
        let v = obj.get(key)?;
        match v.as_number().and_then(serde_json::Number::as_f64) {
            Some(x) => Some(x),
            None => {
                self.wrong_type(&obj.child(key), v, key, "a number");
                None
            }
        }
    }
}
