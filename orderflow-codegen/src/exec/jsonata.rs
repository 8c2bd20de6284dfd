//! A small JSONata subset, enough for JSONata states that compute their `Output` or a Choice
//! `Condition` from `$states` with simple expressions: paths (`$states.input.a.b[0]`),
//! literals, `= != < <= > >=`, `and`/`or`, `+ - * / %`, `&`, and the functions `$not`,
//! `$exists`, `$count`, `$string`, `$number`, `$boolean`, `$parse`, `$partition`, `$range`,
//! `$uuid`. Anything else fails with `States.QueryEvaluationError` naming what is missing: full
//! JSONata is not implemented (issue 7).

use serde_json::{Map, Number, Value};

use crate::exec::error::{Failure, names};

#[derive(Debug, Clone)]
pub enum Expr {
    Literal(Value),
    /// `$name` followed by `.field` / `[index]` steps.
    Variable(String, Vec<PathStep>),
    Call(String, Vec<Expr>),
    Binary(Box<Expr>, BinaryOp, Box<Expr>),
    Negate(Box<Expr>),
    Array(Vec<Expr>),
    Object(Vec<(String, Expr)>),
}

#[derive(Debug, Clone)]
pub enum PathStep {
    Field(String),
    Index(Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Concat,
}

/// A JSONata value template: a `{% … %}` string, or JSON holding such strings.
#[derive(Debug, Clone)]
pub enum Template {
    Expr(Expr),
    Literal(Value),
    Object(Vec<(String, Template)>),
    Array(Vec<Template>),
}

impl Template {
    pub fn compile(value: &Value) -> Result<Self, String> {
        Ok(match value {
            Value::String(s) => match s
                .trim()
                .strip_prefix("{%")
                .and_then(|r| r.strip_suffix("%}"))
            {
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
                    .collect::<Result<_, String>>()?,
            ),
            other => Template::Literal(other.clone()),
        })
    }

    pub fn evaluate(&self, states: &Value) -> Result<Value, Failure> {
        match self {
            Template::Expr(e) => Ok(eval(e, states)?.unwrap_or(Value::Null)),
            Template::Literal(v) => Ok(v.clone()),
            Template::Array(items) => items
                .iter()
                .map(|t| t.evaluate(states))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            Template::Object(members) => {
                let mut out = Map::new();
                for (k, t) in members {
                    out.insert(k.clone(), t.evaluate(states)?);
                }
                Ok(Value::Object(out))
            }
        }
    }
}

fn query_error(message: impl Into<String>) -> Failure {
    Failure::new(names::QUERY_EVALUATION_ERROR, message)
}

pub fn parse(text: &str) -> Result<Expr, String> {
    let tokens = tokenize(text)?;
    let mut p = Parser { tokens, pos: 0 };
    let e = p.expr(0)?;
    if p.pos != p.tokens.len() {
        return Err(format!("unsupported JSONata syntax in `{}`", text.trim()));
    }
    Ok(e)
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Num(f64),
    Str(String),
    Name(String),
    Var(String),
    Sym(&'static str),
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    const SYMS: &[&str] = &[
        "!=", "<=", ">=", "=", "<", ">", "(", ")", "[", "]", "{", "}", ",", ".", ":", "+", "-",
        "*", "/", "%", "&",
    ];
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_digit() || chars[i] == '.' || chars[i] == 'e')
            {
                i += 1;
            }
            let s: String = chars[start..i].iter().collect();
            out.push(Token::Num(
                s.parse().map_err(|_| format!("bad number `{s}`"))?,
            ));
        } else if c == '\'' || c == '"' {
            let mut s = String::new();
            i += 1;
            loop {
                let Some(&d) = chars.get(i) else {
                    return Err("unterminated string".into());
                };
                i += 1;
                if d == '\\' {
                    if let Some(&e) = chars.get(i) {
                        s.push(match e {
                            'n' => '\n',
                            't' => '\t',
                            other => other,
                        });
                        i += 1;
                    }
                } else if d == c {
                    break;
                } else {
                    s.push(d);
                }
            }
            out.push(Token::Str(s));
        } else if c == '$' || c.is_alphabetic() || c == '_' {
            let start = i;
            i += 1;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let s: String = chars[start..i].iter().collect();
            out.push(match s.strip_prefix('$') {
                Some(name) => Token::Var(name.to_string()),
                None => Token::Name(s),
            });
        } else {
            let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
            let sym = SYMS
                .iter()
                .find(|s| rest.starts_with(**s))
                .ok_or_else(|| format!("unsupported JSONata syntax at `{c}`"))?;
            i += sym.chars().count();
            out.push(Token::Sym(sym));
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn eat_sym(&mut self, sym: &str) -> bool {
        if matches!(self.peek(), Some(Token::Sym(s)) if *s == sym) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, sym: &str) -> Result<(), String> {
        if self.eat_sym(sym) {
            Ok(())
        } else {
            Err(format!("expected `{sym}`"))
        }
    }

    fn binary_op(&self) -> Option<(BinaryOp, u8)> {
        Some(match self.peek()? {
            Token::Name(n) if n == "or" => (BinaryOp::Or, 1),
            Token::Name(n) if n == "and" => (BinaryOp::And, 2),
            Token::Sym("=") => (BinaryOp::Eq, 3),
            Token::Sym("!=") => (BinaryOp::Ne, 3),
            Token::Sym("<") => (BinaryOp::Lt, 3),
            Token::Sym("<=") => (BinaryOp::Le, 3),
            Token::Sym(">") => (BinaryOp::Gt, 3),
            Token::Sym(">=") => (BinaryOp::Ge, 3),
            Token::Sym("&") => (BinaryOp::Concat, 4),
            Token::Sym("+") => (BinaryOp::Add, 4),
            Token::Sym("-") => (BinaryOp::Sub, 4),
            Token::Sym("*") => (BinaryOp::Mul, 5),
            Token::Sym("/") => (BinaryOp::Div, 5),
            Token::Sym("%") => (BinaryOp::Mod, 5),
            _ => return None,
        })
    }

    fn expr(&mut self, min: u8) -> Result<Expr, String> {
        let mut left = self.unary()?;
        while let Some((op, prec)) = self.binary_op() {
            if prec <= min {
                break;
            }
            self.pos += 1;
            let right = self.expr(prec)?;
            left = Expr::Binary(Box::new(left), op, Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self.eat_sym("-") {
            return Ok(Expr::Negate(Box::new(self.unary()?)));
        }
        let token = self.peek().cloned().ok_or("unexpected end of expression")?;
        self.pos += 1;
        match token {
            Token::Num(n) => Ok(Expr::Literal(number(n))),
            Token::Str(s) => Ok(Expr::Literal(Value::String(s))),
            Token::Name(n) => match n.as_str() {
                "true" => Ok(Expr::Literal(Value::Bool(true))),
                "false" => Ok(Expr::Literal(Value::Bool(false))),
                "null" => Ok(Expr::Literal(Value::Null)),
                _ => Err(format!("unsupported JSONata syntax: bare name `{n}`")),
            },
            Token::Var(name) => {
                if self.eat_sym("(") {
                    let mut args = Vec::new();
                    if !self.eat_sym(")") {
                        loop {
                            args.push(self.expr(0)?);
                            if self.eat_sym(")") {
                                break;
                            }
                            self.expect(",")?;
                        }
                    }
                    return Ok(Expr::Call(name, args));
                }
                let mut steps = Vec::new();
                loop {
                    if self.eat_sym(".") {
                        match self.peek().cloned() {
                            Some(Token::Name(f)) | Some(Token::Str(f)) => {
                                self.pos += 1;
                                steps.push(PathStep::Field(f));
                            }
                            _ => return Err("unsupported JSONata path step".into()),
                        }
                    } else if self.eat_sym("[") {
                        let index = self.expr(0)?;
                        self.expect("]")?;
                        steps.push(PathStep::Index(Box::new(index)));
                    } else {
                        break;
                    }
                }
                Ok(Expr::Variable(name, steps))
            }
            Token::Sym("(") => {
                let e = self.expr(0)?;
                self.expect(")")?;
                Ok(e)
            }
            Token::Sym("[") => {
                let mut items = Vec::new();
                if !self.eat_sym("]") {
                    loop {
                        items.push(self.expr(0)?);
                        if self.eat_sym("]") {
                            break;
                        }
                        self.expect(",")?;
                    }
                }
                Ok(Expr::Array(items))
            }
            Token::Sym("{") => {
                let mut members = Vec::new();
                if !self.eat_sym("}") {
                    loop {
                        let Some(Token::Str(key)) = self.peek().cloned() else {
                            return Err("expected a string key".into());
                        };
                        self.pos += 1;
                        self.expect(":")?;
                        members.push((key, self.expr(0)?));
                        if self.eat_sym("}") {
                            break;
                        }
                        self.expect(",")?;
                    }
                }
                Ok(Expr::Object(members))
            }
            Token::Sym(s) => Err(format!("unsupported JSONata syntax at `{s}`")),
        }
    }
}

/// JSON numbers as JSONata gives them: integral values as integers.
fn number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        Value::Number(Number::from(n as i64))
    } else {
        Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

fn truthy(v: &Option<Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => a.iter().any(|x| truthy(&Some(x.clone()))),
        Some(Value::Object(o)) => !o.is_empty(),
    }
}

/// Evaluates an expression; `None` is JSONata's "undefined".
pub fn eval(expr: &Expr, states: &Value) -> Result<Option<Value>, Failure> {
    Ok(match expr {
        Expr::Literal(v) => Some(v.clone()),
        Expr::Negate(e) => match eval(e, states)? {
            Some(Value::Number(n)) => n.as_f64().map(|f| number(-f)),
            None => None,
            Some(other) => return Err(query_error(format!("cannot negate {other}"))),
        },
        Expr::Array(items) => {
            let mut out = Vec::new();
            for i in items {
                if let Some(v) = eval(i, states)? {
                    out.push(v);
                }
            }
            Some(Value::Array(out))
        }
        Expr::Object(members) => {
            let mut out = Map::new();
            for (k, e) in members {
                if let Some(v) = eval(e, states)? {
                    out.insert(k.clone(), v);
                }
            }
            Some(Value::Object(out))
        }
        Expr::Variable(name, steps) => {
            if name != "states" {
                return Err(query_error(format!(
                    "the JSONata subset knows only $states, not ${name}"
                )));
            }
            let mut current = Some(states.clone());
            for step in steps {
                current = match (current, step) {
                    (Some(Value::Object(o)), PathStep::Field(f)) => o.get(f).cloned(),
                    (Some(Value::Array(a)), PathStep::Field(f)) => {
                        let picked: Vec<Value> = a
                            .iter()
                            .filter_map(|x| x.get(f.as_str()).cloned())
                            .collect();
                        if picked.is_empty() {
                            None
                        } else {
                            Some(Value::Array(picked))
                        }
                    }
                    (Some(Value::Array(a)), PathStep::Index(i)) => {
                        let index = eval(i, states)?.and_then(|v| v.as_f64()).unwrap_or(0.0) as i64;
                        let len = a.len() as i64;
                        let at = if index < 0 { len + index } else { index };
                        usize::try_from(at).ok().and_then(|at| a.get(at)).cloned()
                    }
                    (Some(v), PathStep::Index(i)) => {
                        let index = eval(i, states)?.and_then(|v| v.as_f64()).unwrap_or(0.0);
                        if index == 0.0 { Some(v) } else { None }
                    }
                    _ => None,
                };
            }
            current
        }
        Expr::Binary(l, op, r) => {
            if *op == BinaryOp::And {
                return Ok(Some(Value::Bool(
                    truthy(&eval(l, states)?) && truthy(&eval(r, states)?),
                )));
            }
            if *op == BinaryOp::Or {
                return Ok(Some(Value::Bool(
                    truthy(&eval(l, states)?) || truthy(&eval(r, states)?),
                )));
            }
            let (a, b) = (eval(l, states)?, eval(r, states)?);
            binary(*op, a, b)?
        }
        Expr::Call(name, args) => {
            let mut values = Vec::with_capacity(args.len());
            for a in args {
                values.push(eval(a, states)?);
            }
            call(name, values)?
        }
    })
}

fn binary(op: BinaryOp, a: Option<Value>, b: Option<Value>) -> Result<Option<Value>, Failure> {
    use BinaryOp as B;
    if op == B::Concat {
        let s = |v: Option<Value>| match v {
            None => String::new(),
            Some(Value::String(s)) => s,
            Some(other) => other.to_string(),
        };
        return Ok(Some(Value::String(s(a) + &s(b))));
    }
    let (Some(a), Some(b)) = (a, b) else {
        return Ok(match op {
            B::Eq | B::Ne | B::Lt | B::Le | B::Gt | B::Ge => Some(Value::Bool(false)),
            _ => None,
        });
    };
    match op {
        B::Eq | B::Ne => {
            let equal = match (&a, &b) {
                (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
                _ => a == b,
            };
            Ok(Some(Value::Bool(equal == (op == B::Eq))))
        }
        B::Lt | B::Le | B::Gt | B::Ge => {
            let ordering = match (&a, &b) {
                (Value::Number(x), Value::Number(y)) => x.as_f64().partial_cmp(&y.as_f64()),
                (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
                _ => return Err(query_error(format!("cannot compare {a} and {b}"))),
            };
            let Some(o) = ordering else {
                return Ok(Some(Value::Bool(false)));
            };
            Ok(Some(Value::Bool(match op {
                B::Lt => o.is_lt(),
                B::Le => o.is_le(),
                B::Gt => o.is_gt(),
                _ => o.is_ge(),
            })))
        }
        _ => {
            let (Some(x), Some(y)) = (a.as_f64(), b.as_f64()) else {
                return Err(query_error(format!(
                    "arithmetic needs numbers, found {a} and {b}"
                )));
            };
            Ok(Some(number(match op {
                B::Add => x + y,
                B::Sub => x - y,
                B::Mul => x * y,
                B::Div => x / y,
                _ => x % y,
            })))
        }
    }
}

fn call(name: &str, args: Vec<Option<Value>>) -> Result<Option<Value>, Failure> {
    let arg = |i: usize| args.get(i).cloned().flatten();
    let int = |i: usize| -> Result<i64, Failure> {
        arg(i)
            .and_then(|v| v.as_f64())
            .filter(|f| f.fract() == 0.0)
            .map(|f| f as i64)
            .ok_or_else(|| query_error(format!("${name} needs an integer argument {}", i + 1)))
    };
    Ok(match name {
        "not" => Some(Value::Bool(!truthy(&arg(0)))),
        "boolean" => Some(Value::Bool(truthy(&arg(0)))),
        "exists" => Some(Value::Bool(arg(0).is_some())),
        "count" => Some(Value::from(match arg(0) {
            None => 0,
            Some(Value::Array(a)) => a.len(),
            Some(_) => 1,
        })),
        "string" => arg(0).map(|v| match v {
            Value::String(s) => Value::String(s),
            other => Value::String(other.to_string()),
        }),
        "number" => match arg(0) {
            Some(Value::String(s)) => Some(
                s.trim()
                    .parse::<f64>()
                    .map(number)
                    .map_err(|_| query_error(format!("cannot convert \"{s}\" to a number")))?,
            ),
            Some(Value::Number(n)) => n.as_f64().map(number),
            Some(Value::Bool(b)) => Some(Value::from(u8::from(b))),
            other => other,
        },
        "parse" => match arg(0) {
            Some(Value::String(s)) => {
                let parsed: Value =
                    serde_json::from_str(&s).map_err(|e| query_error(format!("$parse: {e}")))?;
                Some(match parsed {
                    Value::Number(n) => n.as_f64().map_or(Value::Number(n), number),
                    other => other,
                })
            }
            _ => return Err(query_error("$parse needs a string")),
        },
        "partition" => {
            let Some(Value::Array(items)) = arg(0) else {
                return Err(query_error("$partition needs an array"));
            };
            let size = usize::try_from(int(1)?)
                .ok()
                .filter(|s| *s > 0)
                .ok_or_else(|| query_error("$partition needs a positive chunk size"))?;
            Some(Value::Array(
                items
                    .chunks(size)
                    .map(|c| Value::Array(c.to_vec()))
                    .collect(),
            ))
        }
        "range" => {
            let (start, end, step) = (int(0)?, int(1)?, int(2)?);
            if step == 0 {
                return Err(query_error("$range needs a non-zero step"));
            }
            let mut out = Vec::new();
            let mut x = start;
            while (step > 0 && x <= end) || (step < 0 && x >= end) {
                out.push(Value::from(x));
                if out.len() > 1000 {
                    return Err(query_error("$range would create more than 1000 items"));
                }
                x += step;
            }
            Some(Value::Array(out))
        }
        other => {
            return Err(query_error(format!(
                "the JSONata function ${other} is not implemented by orderflow's JSONata subset (issue 7)"
            )));
        }
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn run(text: &str, states: Value) -> Option<Value> {
        let e = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        eval(&e, &states).unwrap_or_else(|e| panic!("{text}: {e:?}"))
    }

    #[test]
    fn subset() {
        let s = json!({"input": {"type": "Private", "value": 22, "arr": [0, 1, 2]}});
        assert_eq!(
            run("$not($states.input.type = 'Private')", s.clone()),
            Some(json!(false))
        );
        assert_eq!(
            run(
                "$states.input.value >= 20 and $states.input.value < 30",
                s.clone()
            ),
            Some(json!(true))
        );
        assert_eq!(
            run("$partition($states.input.arr, 2)", s.clone()),
            Some(json!([[0, 1], [2]]))
        );
        assert_eq!(run("$range(0, 9, 3)", s.clone()), Some(json!([0, 3, 6, 9])));
        assert_eq!(run("$parse('-0')", s.clone()), Some(json!(0)));
        assert_eq!(
            run("$states.input.arr[1] + 2 * 3", s.clone()),
            Some(json!(7))
        );
        assert_eq!(run("$states.input.nothing", s), None);
        assert!(parse("$states.input.arr[$ > 1]").is_err() || parse("foo bar").is_err());
    }
}
