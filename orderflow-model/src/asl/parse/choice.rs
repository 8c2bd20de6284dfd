//! Choice states and their rules: JSONPath comparisons with `And`/`Or`/`Not`, and JSONata
//! `Condition`s.

use crate::asl::model::*;
use crate::asl::timestamp::is_timestamp;
use crate::diagnostic::{Code, Diagnostic};
use crate::json::{Json, Member, push_index};

use super::MAX_DEPTH;
use super::fields::*;
use super::{Obj, Parser};

impl Parser<'_> {
    pub(super) fn choice(&mut self, obj: Obj<'_>, ql: QueryLanguage, depth: usize) -> ChoiceState {
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

    pub(super) fn choice_rule(
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
    pub(super) fn comparison(
        &mut self,
        obj: Obj<'_>,
        ql: QueryLanguage,
        depth: usize,
    ) -> Condition {
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

    pub(super) fn operand(
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
}
