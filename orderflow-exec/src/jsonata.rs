//! JSONata as Step Functions runs it: `{% … %}` expressions evaluated by jsonata-core, a complete
//! JSONata 2.x in Rust, held to jsonata-js 2.0.6 (the version Step Functions runs) by
//! `tests/jsonata_reference.rs`. Step Functions adds `$partition`, `$range`, `$hash`,
//! `$random(seed)`, `$uuid` and `$parse`, and takes `$eval` away; `$states` is bound to the
//! state's input, context (and, where AWS allows them, result and error output).
//!
//! Which fields of which states the executor evaluates is the executor's business
//! (`run_jsonata_state`); this module parses and evaluates one expression or template.

use std::cell::RefCell;
use std::rc::Rc;

use jsonata_core::ast::AstNode;
use jsonata_core::evaluator::{Context, Evaluator, EvaluatorError, EvaluatorOptions};
use jsonata_core::value::JValue;
use serde_json::{Map, Number, Value};

use crate::error::Failure;
use orderflow_model::asl::error_names::names;

/// A parsed JSONata expression and its text (AWS quotes the text in its error causes).
#[derive(Debug, Clone)]
pub struct Expr {
    text: String,
    ast: AstNode,
}

impl Expr {
    /// The expression as written between `{%` and `%}`, trimmed.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// A JSONata value template: a `{% … %}` string, or JSON holding such strings.
#[derive(Debug, Clone)]
pub enum Template {
    /// A `{% … %}` string: its expression's value.
    Expr(Expr),
    /// A value without expressions, used as written.
    Literal(Value),
    /// An object whose members are templates, in the order written.
    Object(Vec<(String, Template)>),
    /// An array of templates.
    Array(Vec<Template>),
}

impl Template {
    /// Parses every `{% … %}` string in `value`.
    ///
    /// # Errors
    ///
    /// The first expression that does not parse.
    pub fn compile(value: &Value) -> Result<Self, InvalidExpression> {
        Ok(match value {
            Value::String(s) => match expression_text(s) {
                Some(body) => Template::Expr(parse(body)?),
                None => Template::Literal(value.clone()),
            },
            Value::Array(items) => Template::Array(
                items
                    .iter()
                    .map(Template::compile)
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(members) => Template::Object(
                members
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), Template::compile(v)?)))
                    .collect::<Result<_, InvalidExpression>>()?,
            ),
            other => Template::Literal(other.clone()),
        })
    }

    /// The template's value. `field` is where it stands (`Output`), extended with `/key` and
    /// `[index]` as AWS names fields in its causes. An expression giving nothing (undefined)
    /// fails the state, as on AWS, rather than leaving its member out.
    pub fn evaluate(
        &self,
        states: &Value,
        variables: &[Map<String, Value>],
        field: &str,
        seed: u64,
    ) -> Result<Value, Failure> {
        self.evaluate_with(&mut Session::new(states, variables, seed), field)
    }

    /// [`Template::evaluate`] with a session made for it: every expression of the template is
    /// evaluated by the same one.
    pub(crate) fn evaluate_with(
        &self,
        session: &mut Session,
        field: &str,
    ) -> Result<Value, Failure> {
        match self {
            Template::Expr(e) => session.value(e, field),
            Template::Literal(v) => Ok(v.clone()),
            Template::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, t)| t.evaluate_with(session, &format!("{field}[{i}]")))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            Template::Object(members) => {
                let mut out = Map::with_capacity(members.len());
                for (k, t) in members {
                    let value = t.evaluate_with(session, &format!("{field}/{k}"))?;
                    out.insert(k.clone(), value);
                }
                Ok(Value::Object(out))
            }
        }
    }
}

/// The expression inside `{% … %}`, or `None` for a literal string. AWS takes only a string
/// that begins with `{%` and ends with `%}` as an expression.
pub(crate) fn expression_text(s: &str) -> Option<&str> {
    s.strip_prefix("{%").and_then(|r| r.strip_suffix("%}"))
}

/// A JSONata expression the executor refuses. Its display is the cause AWS gives.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidExpression {
    /// A lexical problem `check` reports too, or jsonata-core's parser error.
    #[error("the JSONata expression '{expression}' is invalid: {reason}")]
    Syntax {
        /// The expression, trimmed, without its `{%`/`%}`.
        expression: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A field that takes an expression holds a string not written as `{% … %}`.
    #[error("'{0}' is not a JSONata expression ({{% … %}})")]
    NotDelimited(String),
    /// A Choice rule's `Condition` is not written as `{% … %}`.
    #[error("a JSONata condition must be written as {{% … %}}")]
    ConditionNotDelimited,
}

/// Parses the text inside `{% … %}` (after the checks `check` makes, nesting depth included).
///
/// # Errors
///
/// The first lexical problem, or the parser's error.
pub fn parse(text: &str) -> Result<Expr, InvalidExpression> {
    let invalid = |reason: String| InvalidExpression::Syntax {
        expression: text.trim().to_owned(),
        reason,
    };
    orderflow_model::asl::jsonata::check_body(text).map_err(|e| invalid(e.message))?;
    let ast =
        orderflow_model::asl::jsonata::parse_body(text).map_err(|e| invalid(e.to_string()))?;
    Ok(Expr {
        text: text.trim().to_owned(),
        ast,
    })
}

/// A `Failure` of [`eval`] with the cause AWS gives, naming the expression and the field.
pub(crate) fn in_field(failure: Failure, expr: &Expr, field: &str) -> Failure {
    let cause = failure.cause.unwrap_or_default();
    // A coded error follows a full stop (`evaluation. T2001: …`); jsonata-js's bounds, which
    // have no code, a colon (`evaluation: Expression evaluation timeout: …`), as AWS prints them.
    let separator = if cause == EVALUATION_TIMEOUT {
        ":"
    } else {
        "."
    };
    Failure::new(
        failure
            .error
            .unwrap_or_else(|| names::QUERY_EVALUATION_ERROR.into()),
        format!(
            "The JSONata expression '{}' specified for the field '{field}' threw an error during evaluation{separator} {cause}",
            expr.text,
        ),
    )
    .in_field(field)
}

/// An evaluator with `$states`, the workflow's variables and Step Functions' functions bound,
/// for the expressions of one field: the values are converted to JSONata's once, and
/// `$random()`/`$uuid()` draw from one generator (`seed`: the execution's generator picks it,
/// so seeded runs repeat, and two `$uuid()` in one `Output` differ).
pub(crate) struct Session {
    evaluator: Evaluator,
}

impl Session {
    /// `states`: the value of `$states`; `variables`: the scopes from outermost to innermost.
    pub fn new(states: &Value, variables: &[Map<String, Value>], seed: u64) -> Self {
        Session::bound(to_jvalue(states), variables, seed)
    }

    /// A session whose `$states` has these members (`input`, `context`, `result`, …), built
    /// without first copying them into one JSON object.
    pub fn with_states(
        states: &[(&str, &Value)],
        variables: &[Map<String, Value>],
        seed: u64,
    ) -> Self {
        let members = states
            .iter()
            .map(|(name, value)| ((*name).to_owned(), to_jvalue(value)))
            .collect();
        Session::bound(JValue::object(members), variables, seed)
    }

    fn bound(states: JValue, variables: &[Map<String, Value>], seed: u64) -> Self {
        let mut context = Context::new();
        for scope in variables {
            for (name, value) in scope {
                context.bind(name.clone(), to_jvalue(value));
            }
        }
        context.bind("states".to_owned(), states);
        let options = EvaluatorOptions {
            max_stack_depth: Some(MAX_EVALUATION_DEPTH),
            timeout_ms: Some(MAX_EVALUATION_MILLIS),
            ..EvaluatorOptions::default()
        };
        let mut evaluator = Evaluator::with_options(context, options);
        register_step_functions(&mut evaluator, seed);
        Session { evaluator }
    }

    /// The value of an expression standing in `field`, which must not be undefined; failures
    /// carry AWS's cause, naming the expression and the field.
    pub fn value(&mut self, expr: &Expr, field: &str) -> Result<Value, Failure> {
        match self.eval(expr).map_err(|f| in_field(f, expr, field))? {
            Some(v) => Ok(v),
            None => Err(Failure::new(
                names::QUERY_EVALUATION_ERROR,
                format!(
                    "The JSONata expression '{}' specified for the field '{field}' returned nothing (undefined).",
                    expr.text
                ),
            )
            .in_field(field)),
        }
    }

    /// Evaluates one expression; `None` is JSONata's "undefined". What an expression binds
    /// (`$x := …`) does not outlive it.
    pub fn eval(&mut self, expr: &Expr) -> Result<Option<Value>, Failure> {
        // Step Functions has no top-level `$`: expressions start from `$states` or a variable.
        // A panic in the evaluator (third-party code on user data) fails the state instead.
        let evaluator = &mut self.evaluator;
        let evaluated = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            evaluator.evaluate(&expr.ast, &JValue::Undefined)
        }))
        .map_err(|_| {
            Failure::new(
                names::QUERY_EVALUATION_ERROR,
                "threw an internal error during evaluation.",
            )
        })?;
        match evaluated {
            Ok(JValue::Undefined) => Ok(None),
            Ok(value @ (JValue::Lambda(_) | JValue::Builtin { .. } | JValue::Regex { .. })) => {
                Err(Failure::new(
                    names::QUERY_EVALUATION_ERROR,
                    format!("returned an unsupported result type ({value:?} is not JSON)."),
                ))
            }
            Ok(value) => Ok(Some(to_json(&value))),
            // jsonata-core's D1012; AWS quotes jsonata-js's message, which has no code.
            Err(e) if e.message().starts_with("D1012") => Err(Failure::new(
                names::QUERY_EVALUATION_ERROR,
                EVALUATION_TIMEOUT,
            )),
            Err(e) => Err(Failure::new(names::QUERY_EVALUATION_ERROR, e.message())),
        }
    }
}

/// Evaluates an expression with `$states` and the workflow's variables bound (`variables`: the
/// scopes from outermost to innermost); `None` is JSONata's "undefined". `seed` drives
/// `$random()` and `$uuid()`.
pub fn eval(
    expr: &Expr,
    states: &Value,
    variables: &[Map<String, Value>],
    seed: u64,
) -> Result<Option<Value>, Failure> {
    Session::new(states, variables, seed).eval(expr)
}

/// A JSON value as JSONata's, converted from a reference (jsonata-core converts only owned
/// values, which would mean copying the input first).
fn to_jvalue(value: &Value) -> JValue {
    match value {
        Value::Null => JValue::Null,
        Value::Bool(b) => JValue::Bool(*b),
        Value::Number(n) => JValue::Number(n.as_f64().unwrap_or(0.0)),
        Value::String(s) => JValue::String(s.as_str().into()),
        Value::Array(items) => JValue::Array(jsonata_core::value::JArray::new_flat(
            items.iter().map(to_jvalue).collect(),
            !items.iter().any(Value::is_array),
        )),
        Value::Object(members) => JValue::object(
            members
                .iter()
                .map(|(k, v)| (k.clone(), to_jvalue(v)))
                .collect(),
        ),
    }
}

/// JSONata numbers are doubles; JSON output gives whole numbers as integers (and -0 as 0), as
/// Step Functions' output does.
fn to_json(value: &JValue) -> Value {
    match value {
        JValue::Null | JValue::Undefined => Value::Null,
        JValue::Bool(b) => Value::Bool(*b),
        JValue::Number(n) => number(*n),
        JValue::String(s) => Value::String(s.to_string()),
        JValue::Array(items) => Value::Array(items.iter().map(to_json).collect()),
        JValue::Object(members) => Value::Object(
            members
                .iter()
                .map(|(k, v)| (k.clone(), to_json(v)))
                .collect(),
        ),
        // Functions and regexes inside a structure serialize as JSONata's JSON does.
        _ => Value::String(String::new()),
    }
}

/// How deep an evaluation may recurse (jsonata-js's `stack` option): deep enough for real
/// expressions, shallow enough for any thread's stack. Beyond it: `D1011`.
const MAX_EVALUATION_DEPTH: usize = 500;

/// How long one evaluation may run. A recursive function without a base case that JSONata runs
/// as a tail call never deepens the stack, so only a clock ends it; AWS bounds evaluation too
/// (its bound is not documented) and fails the state with `States.QueryEvaluationError`.
const MAX_EVALUATION_MILLIS: u64 = 3_000;

/// The cause AWS gives when an evaluation runs past its bound (jsonata-js's own message).
const EVALUATION_TIMEOUT: &str = "Expression evaluation timeout: Check for infinite loop";

/// Largest integer a double holds exactly.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

fn number(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() <= MAX_SAFE_INTEGER {
        // Exact: a whole double within ±2^53 fits an i64.
        #[allow(clippy::cast_possible_truncation)]
        return Value::from(f as i64);
    }
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}

fn failure(message: impl Into<String>) -> EvaluatorError {
    EvaluatorError::EvaluationError(message.into())
}

fn integer_arg(args: &[JValue], i: usize, function: &str) -> Result<i64, EvaluatorError> {
    match args.get(i) {
        Some(JValue::Number(n)) if n.fract() == 0.0 && n.abs() <= MAX_SAFE_INTEGER =>
        {
            #[allow(clippy::cast_possible_truncation)]
            Ok(*n as i64)
        }
        _ => Err(failure(format!(
            "T0410: Argument {} of function \"{function}\" does not match function signature",
            i + 1
        ))),
    }
}

/// The most items `$range` makes, as `States.ArrayRange` allows.
const MAX_RANGE_ITEMS: usize = 1000;

/// Java's `new Random(seed).nextDouble()`: what a third party measured AWS's `$random(seed)` to
/// return (docs/research/jsonata.md; AWS does not document the generator).
fn seeded_random(seed: i64) -> f64 {
    const MULTIPLIER: u64 = 0x5DEE_CE66D;
    const MASK: u64 = (1 << 48) - 1;
    #[allow(clippy::cast_sign_loss)]
    let mut state = (seed as u64 ^ MULTIPLIER) & MASK;
    let mut next = |bits: u32| {
        state = (state.wrapping_mul(MULTIPLIER).wrapping_add(0xB)) & MASK;
        state >> (48 - bits)
    };
    let high = next(26);
    let low = next(27);
    #[allow(clippy::cast_precision_loss)]
    let value = ((high << 27) + low) as f64;
    value * (1.0 / (1u64 << 53) as f64)
}

/// The functions Step Functions adds to JSONata, and `$eval` taken away.
fn register_step_functions(evaluator: &mut Evaluator, seed: u64) {
    let rng = Rc::new(RefCell::new(fastrand::Rng::with_seed(seed)));
    // None of these names is a JSONata built-in, so registration cannot fail; `$random` and
    // `$eval` are built-ins replaced on purpose.
    let _ = evaluator.register_fn("partition", |args: &[JValue]| {
        let size = integer_arg(args, 1, "partition")?;
        let size = usize::try_from(size)
            .ok()
            .filter(|s| *s > 0)
            .ok_or_else(|| failure("D3137: $partition needs a chunk size of 1 or more"))?;
        let items: Vec<JValue> = match args.first() {
            Some(JValue::Array(items)) => items.iter().cloned().collect(),
            Some(JValue::Undefined) | None => return Ok(JValue::Undefined),
            Some(other) => vec![other.clone()],
        };
        Ok(JValue::array(
            items
                .chunks(size)
                .map(|chunk| JValue::array(chunk.to_vec()))
                .collect(),
        ))
    });
    let _ = evaluator.register_fn("range", |args: &[JValue]| {
        let (start, end, step) = (
            integer_arg(args, 0, "range")?,
            integer_arg(args, 1, "range")?,
            integer_arg(args, 2, "range")?,
        );
        let mut out = Vec::new();
        let mut x = start;
        while step != 0 && ((step > 0 && x <= end) || (step < 0 && x >= end)) {
            if out.len() == MAX_RANGE_ITEMS {
                return Err(failure(format!(
                    "D3137: $range would make more than {MAX_RANGE_ITEMS} items"
                )));
            }
            #[allow(clippy::cast_precision_loss)]
            out.push(JValue::Number(x as f64));
            x = x.saturating_add(step);
        }
        Ok(JValue::array(out))
    });
    let _ = evaluator.register_fn("hash", |args: &[JValue]| {
        let (Some(JValue::String(text)), Some(JValue::String(algorithm))) =
            (args.first(), args.get(1))
        else {
            return Err(failure(
                "T0410: $hash takes a string and an algorithm name (MD5, SHA-1, SHA-256, SHA-384, SHA-512)",
            ));
        };
        crate::intrinsics::hash_hex(algorithm, text.as_bytes())
            .map(JValue::from)
            .ok_or_else(|| {
                failure(format!(
                    "D3137: $hash supports MD5, SHA-1, SHA-256, SHA-384 and SHA-512, not {algorithm}"
                ))
            })
    });
    let random = Rc::clone(&rng);
    let _ = evaluator.register_fn_override("random", move |args: &[JValue]| match args.first() {
        None | Some(JValue::Undefined) => Ok(JValue::Number(random.borrow_mut().f64())),
        Some(_) => Ok(JValue::Number(seeded_random(integer_arg(
            args, 0, "random",
        )?))),
    });
    let uuid = Rc::clone(&rng);
    let _ = evaluator.register_fn("uuid", move |_: &[JValue]| {
        let bytes = uuid.borrow_mut().u128(..).to_le_bytes();
        Ok(JValue::from(crate::intrinsics::uuid_v4(bytes)))
    });
    let _ = evaluator.register_fn("parse", |args: &[JValue]| match args.first() {
        Some(JValue::String(text)) => serde_json::from_str::<Value>(text)
            .map(JValue::from)
            .map_err(|e| failure(format!("D3137: $parse: the string is not JSON: {e}"))),
        _ => Err(failure(
            "T0410: Argument 1 of function \"parse\" does not match function signature",
        )),
    });
    let _ = evaluator.register_fn_override("eval", |_: &[JValue]| {
        Err(failure("T1006: Attempted to invoke a non-function"))
    });
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn run(text: &str, states: &Value) -> Option<Value> {
        let e = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        eval(&e, states, &[], 7).unwrap_or_else(|e| panic!("{text}: {e:?}"))
    }

    fn error(text: &str) -> String {
        let e = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        match eval(&e, &json!({}), &[], 7) {
            Err(f) => f.cause.unwrap_or_default(),
            Ok(v) => panic!("{text} gave {v:?}"),
        }
    }

    #[test]
    fn states_is_bound_and_results_are_json() {
        let s = json!({"input": {"type": "Private", "value": 22, "arr": [0, 1, 2]}});
        assert_eq!(
            run("$not($states.input.type = 'Private')", &s),
            Some(json!(false))
        );
        assert_eq!(
            run("$states.input.value >= 20 and $states.input.value < 30", &s),
            Some(json!(true))
        );
        assert_eq!(run("$states.input.arr[1] + 2 * 3", &s), Some(json!(7)));
        assert_eq!(run("$states.input.nothing", &s), None);
        assert_eq!(run("10 / 4", &s), Some(json!(2.5)));
    }

    #[test]
    fn step_functions_functions() {
        let s = json!({});
        assert_eq!(
            run("$partition([0, 1, 2], 2)", &s),
            Some(json!([[0, 1], [2]]))
        );
        assert_eq!(run("$partition([], 2)", &s), Some(json!([])));
        // AWS's own examples: the end is inclusive, a zero step gives nothing.
        assert_eq!(run("$range(0, 9, 3)", &s), Some(json!([0, 3, 6, 9])));
        assert_eq!(
            run("$range(1, -5, -1)", &s),
            Some(json!([1, 0, -1, -2, -3, -4, -5]))
        );
        assert_eq!(run("$range(1, 9, 0)", &s), Some(json!([])));
        assert_eq!(run("$parse('-0')", &s), Some(json!(0)));
        assert_eq!(
            run("$parse('{\"a\": [1, 2.5]}')", &s),
            Some(json!({"a": [1, 2.5]}))
        );
        assert_eq!(
            run("$hash('input data', 'SHA-1')", &s),
            Some(json!("aaff4a450a104cd177d28d18d74485e8cae074b7"))
        );
        assert_eq!(run("$random(42)", &s), Some(json!(0.7275636800328681)));
        assert_eq!(run("$random(42) = $random(42)", &s), Some(json!(true)));
        let uuid = run("$uuid()", &s).and_then(|v| v.as_str().map(str::to_owned));
        assert_eq!(
            uuid.as_ref().map(|u| (u.len(), &u[14..15])),
            Some((36, "4"))
        );
    }

    #[test]
    fn eval_is_not_available_and_errors_keep_their_jsonata_code() {
        // `check` rejects `$eval` (E0113), and so does the plan, before anything runs.
        let refused = parse("$eval('1 + 1')").map(|_| ()).unwrap_err();
        assert!(
            refused.to_string().contains("`$eval` is not available"),
            "{refused}"
        );
        assert!(
            error("1 + 'a'").starts_with("T2002"),
            "{}",
            error("1 + 'a'")
        );
        assert!(error("$range(1, 2000, 1)").contains("more than 1000 items"));
        // Unbounded recursion stops at the depth limit rather than overflowing the stack.
        let recursion = "($f := function($n) { $n = 0 ? 0 : 1 + $f($n - 1) }; $f(100000))";
        assert!(
            error(recursion).starts_with("D1011"),
            "{}",
            error(recursion)
        );
    }

    #[test]
    fn an_undefined_template_leaf_fails_naming_its_field() {
        let template = Template::compile(&json!({"a": ["{% $states.input.x %}", 1]}))
            .unwrap_or_else(|e| panic!("{e}"));
        let failure = template
            .evaluate(&json!({"input": {}}), &[], "Output", 1)
            .err()
            .and_then(|f| f.cause)
            .unwrap_or_default();
        assert_eq!(
            failure,
            "The JSONata expression '$states.input.x' specified for the field 'Output/a[0]' returned nothing (undefined)."
        );
        assert!(parse("$states.input.(").is_err());
    }
}
