//! Choice rules: every comparison operator, the `…Path` variants, the type tests, and And/Or/Not
//! (short-circuiting, in order).

use serde_json::Value;

use crate::paths::CompiledPath;
use crate::plan::{ConditionPlan, OperandPlan};
use orderflow_model::asl::model::ComparisonOperator as Op;
use orderflow_model::asl::timestamp::parse_timestamp;

/// Why a rule could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChoiceError {
    /// The `Variable` (or a `…Path` operand) selects nothing.
    InvalidPath(String),
    /// A JSONata condition failed (error name, cause).
    Jsonata(String, String),
}

/// What rule evaluation needs from the executor.
pub trait ChoiceEnv {
    /// The value a path selects, `None` when it selects nothing.
    fn lookup(&mut self, path: &CompiledPath) -> Option<Value>;
    /// Evaluates a JSONata `Condition`.
    fn jsonata(&mut self, expr: &crate::jsonata::Expr) -> Result<bool, ChoiceError>;
}

pub fn evaluate(condition: &ConditionPlan, env: &mut dyn ChoiceEnv) -> Result<bool, ChoiceError> {
    match condition {
        ConditionPlan::And(parts) => {
            for p in parts {
                if !evaluate(p, env)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        ConditionPlan::Or(parts) => {
            for p in parts {
                if evaluate(p, env)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        ConditionPlan::Not(inner) => Ok(!evaluate(inner, env)?),
        ConditionPlan::Jsonata(Ok(expr)) => env.jsonata(expr),
        ConditionPlan::Jsonata(Err(invalid)) => Err(ChoiceError::Jsonata(
            orderflow_model::asl::error_names::names::QUERY_EVALUATION_ERROR.into(),
            invalid.to_string(),
        )),
        ConditionPlan::Compare {
            variable,
            operator,
            operand,
        } => {
            let value = env.lookup(variable);
            if *operator == Op::IsPresent {
                let expected = matches!(operand, OperandPlan::Literal(Value::Bool(true)));
                return Ok(value.is_some() == expected);
            }
            let Some(value) = value else {
                return Err(ChoiceError::InvalidPath(variable.text.clone()));
            };
            let operand = match operand {
                OperandPlan::Literal(v) => v.clone(),
                OperandPlan::Path(p) => env
                    .lookup(p)
                    .ok_or_else(|| ChoiceError::InvalidPath(p.text.clone()))?,
            };
            Ok(compare(*operator, &value, &operand))
        }
    }
}

fn numbers(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => Some(i.cmp(&j)),
            _ => x.as_f64()?.partial_cmp(&y.as_f64()?),
        },
        _ => None,
    }
}

fn strings(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn timestamps(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    let x = parse_timestamp(a.as_str()?)?;
    let y = parse_timestamp(b.as_str()?)?;
    Some(x.cmp(&y))
}

/// Compares a value with an operand; a value of the wrong type never matches.
pub fn compare(operator: Op, value: &Value, operand: &Value) -> bool {
    use std::cmp::Ordering::{Equal, Greater, Less};
    let test = |ordering: Option<std::cmp::Ordering>, accept: &[std::cmp::Ordering]| {
        ordering.is_some_and(|o| accept.contains(&o))
    };
    let type_test = |is: bool| operand.as_bool() == Some(is);
    match operator {
        Op::StringEquals | Op::StringEqualsPath => test(strings(value, operand), &[Equal]),
        Op::StringLessThan | Op::StringLessThanPath => test(strings(value, operand), &[Less]),
        Op::StringGreaterThan | Op::StringGreaterThanPath => {
            test(strings(value, operand), &[Greater])
        }
        Op::StringLessThanEquals | Op::StringLessThanEqualsPath => {
            test(strings(value, operand), &[Less, Equal])
        }
        Op::StringGreaterThanEquals | Op::StringGreaterThanEqualsPath => {
            test(strings(value, operand), &[Greater, Equal])
        }
        Op::StringMatches => match (value, operand) {
            (Value::String(s), Value::String(pattern)) => wildcard_match(pattern, s),
            _ => false,
        },
        Op::NumericEquals | Op::NumericEqualsPath => test(numbers(value, operand), &[Equal]),
        Op::NumericLessThan | Op::NumericLessThanPath => test(numbers(value, operand), &[Less]),
        Op::NumericGreaterThan | Op::NumericGreaterThanPath => {
            test(numbers(value, operand), &[Greater])
        }
        Op::NumericLessThanEquals | Op::NumericLessThanEqualsPath => {
            test(numbers(value, operand), &[Less, Equal])
        }
        Op::NumericGreaterThanEquals | Op::NumericGreaterThanEqualsPath => {
            test(numbers(value, operand), &[Greater, Equal])
        }
        Op::BooleanEquals | Op::BooleanEqualsPath => match (value, operand) {
            (Value::Bool(a), Value::Bool(b)) => a == b,
            _ => false,
        },
        Op::TimestampEquals | Op::TimestampEqualsPath => test(timestamps(value, operand), &[Equal]),
        Op::TimestampLessThan | Op::TimestampLessThanPath => {
            test(timestamps(value, operand), &[Less])
        }
        Op::TimestampGreaterThan | Op::TimestampGreaterThanPath => {
            test(timestamps(value, operand), &[Greater])
        }
        Op::TimestampLessThanEquals | Op::TimestampLessThanEqualsPath => {
            test(timestamps(value, operand), &[Less, Equal])
        }
        Op::TimestampGreaterThanEquals | Op::TimestampGreaterThanEqualsPath => {
            test(timestamps(value, operand), &[Greater, Equal])
        }
        Op::IsNull => type_test(value.is_null()),
        // Handled before the value is required.
        Op::IsPresent => type_test(true),
        Op::IsNumeric => type_test(value.is_number()),
        Op::IsString => type_test(value.is_string()),
        Op::IsBoolean => type_test(value.is_boolean()),
        Op::IsTimestamp => type_test(value.as_str().is_some_and(|s| parse_timestamp(s).is_some())),
    }
}

/// `StringMatches`: `*` matches any run of characters; `\*` and `\\` are literal.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum Token {
        Char(char),
        Star,
    }
    let mut tokens = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => tokens.push(Token::Char(chars.next().unwrap_or('\\'))),
            '*' => tokens.push(Token::Star),
            c => tokens.push(Token::Char(c)),
        }
    }
    let text: Vec<char> = text.chars().collect();
    // Greedy matching with backtracking to the last star: linear in practice.
    let (mut t, mut p) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match tokens.get(p) {
            Some(Token::Char(c)) if *c == text[t] => {
                t += 1;
                p += 1;
            }
            Some(Token::Star) => {
                star = Some((p, t));
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    tokens[p..].iter().all(|t| *t == Token::Star)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn operators() {
        assert!(compare(Op::StringEquals, &json!("a"), &json!("a")));
        assert!(!compare(Op::StringEquals, &json!(1), &json!("1")));
        assert!(compare(Op::StringLessThan, &json!("a"), &json!("b")));
        assert!(compare(
            Op::StringGreaterThanEquals,
            &json!("b"),
            &json!("b")
        ));
        assert!(compare(Op::NumericEquals, &json!(3), &json!(3.0)));
        assert!(compare(Op::NumericLessThan, &json!(2.5), &json!(3)));
        assert!(!compare(Op::NumericLessThan, &json!("2"), &json!(3)));
        assert!(compare(
            Op::NumericGreaterThanEqualsPath,
            &json!(3),
            &json!(3)
        ));
        assert!(compare(Op::BooleanEquals, &json!(false), &json!(false)));
        assert!(compare(
            Op::TimestampLessThan,
            &json!("2016-03-14T01:59:00Z"),
            &json!("2016-03-14T02:00:00+00:00")
        ));
        assert!(compare(Op::IsNull, &json!(null), &json!(true)));
        assert!(compare(Op::IsNumeric, &json!("1"), &json!(false)));
        assert!(compare(Op::IsString, &json!("1"), &json!(true)));
        assert!(compare(Op::IsBoolean, &json!(true), &json!(true)));
        assert!(compare(
            Op::IsTimestamp,
            &json!("2016-03-14T01:59:00Z"),
            &json!(true)
        ));
        assert!(compare(Op::IsTimestamp, &json!("yesterday"), &json!(false)));
    }

    #[test]
    fn string_matches() {
        assert!(wildcard_match("log-*.txt", "log-2024.txt"));
        assert!(wildcard_match("*", ""));
        assert!(wildcard_match("a*b*c", "axxbyyc"));
        assert!(!wildcard_match("a*b*c", "axxbyy"));
        assert!(wildcard_match("a\\*b", "a*b"));
        assert!(!wildcard_match("a\\*b", "axb"));
    }

    struct Env(Value);
    impl ChoiceEnv for Env {
        fn lookup(&mut self, path: &CompiledPath) -> Option<Value> {
            crate::paths::select(path, &self.0)
                .ok()
                .map(std::borrow::Cow::into_owned)
        }
        fn jsonata(&mut self, _: &crate::jsonata::Expr) -> Result<bool, ChoiceError> {
            Ok(false)
        }
    }

    fn path(s: &str) -> CompiledPath {
        CompiledPath::parse(s).unwrap_or_else(|e| panic!("{e:?}"))
    }

    #[test]
    fn combinators_and_presence() {
        let cond = ConditionPlan::And(vec![
            ConditionPlan::Compare {
                variable: path("$.a"),
                operator: Op::IsPresent,
                operand: OperandPlan::Literal(json!(true)),
            },
            ConditionPlan::Not(Box::new(ConditionPlan::Compare {
                variable: path("$.a"),
                operator: Op::NumericEqualsPath,
                operand: OperandPlan::Path(path("$.b")),
            })),
        ]);
        assert_eq!(evaluate(&cond, &mut Env(json!({"a": 1, "b": 2}))), Ok(true));
        assert_eq!(evaluate(&cond, &mut Env(json!({"b": 2}))), Ok(false));
        assert_eq!(
            evaluate(&cond, &mut Env(json!({"a": 1}))),
            Err(ChoiceError::InvalidPath("$.b".into()))
        );
    }
}
