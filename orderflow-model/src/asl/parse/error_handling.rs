//! `Retry` and `Catch`: retriers, catchers and their `ErrorEquals` lists.

use crate::asl::model::*;
use crate::diagnostic::{Code, Diagnostic};
use crate::json::{Json, push_index};

use super::fields::*;
use super::{Obj, Parser};

/// The largest `MaxAttempts` and `IntervalSeconds` Step Functions accepts.
const RETRY_LIMIT: u64 = 99_999_999;

impl Parser<'_> {
    pub(super) fn error_handling(&mut self, obj: Obj<'_>, ql: QueryLanguage) -> ErrorHandling {
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

    pub(super) fn error_equals(
        &mut self,
        obj: Obj<'_>,
        what: &str,
        last: bool,
    ) -> Vec<Spanned<String>> {
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

    pub(super) fn retrier(&mut self, json: &Json, pointer: &str, last: bool) -> Option<Retrier> {
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

    pub(super) fn catcher(
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
            result_path: self.result_path(obj),
            output,
            assign,
            assign_template,
            pointer: pointer.to_string(),
        })
    }
}
