//! `[?(...)]` filter expressions, as Jayway JsonPath evaluates them.
//!
//! The path parser keeps a filter's text as written; this parses it once (at `Executor::new`)
//! into a small expression tree: `||`, `&&`, `!`, parentheses, comparisons (`==`, `!=`, `<`,
//! `<=`, `>`, `>=`, `=~`, `in`, `nin`, `subsetof`, `anyof`, `noneof`, `size`, `empty`,
//! `contains`) and existence tests (`@.isbn`). Operands are `@`-relative paths, strings,
//! numbers, `true`/`false`/`null`, `/regex/flags` and `[...]` JSON lists.

use serde_json::Value;

use crate::paths::{CompiledPath, select};

#[derive(Debug, Clone)]
pub enum FilterExpr {
    Or(Vec<FilterExpr>),
    And(Vec<FilterExpr>),
    Not(Box<FilterExpr>),
    /// `@.x` alone: the path selects something.
    Exists(Box<CompiledPath>),
    Compare(Box<Operand>, Relation, Box<Operand>),
}

#[derive(Debug, Clone)]
pub enum Operand {
    /// An `@` path, evaluated against the item.
    Item(CompiledPath),
    Literal(Value),
    Regex(regex::Regex),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Matches,
    In,
    Nin,
    SubsetOf,
    AnyOf,
    NoneOf,
    Size,
    Empty,
    Contains,
}

impl FilterExpr {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut p = FilterParser { src: text, pos: 0 };
        let expr = p.or()?;
        p.skip_ws();
        if p.pos < p.src.len() {
            return Err(format!(
                "unexpected `{}` in the filter `{text}`",
                &p.src[p.pos..]
            ));
        }
        Ok(expr)
    }

    pub fn matches(&self, item: &Value) -> bool {
        match self {
            FilterExpr::Or(parts) => parts.iter().any(|p| p.matches(item)),
            FilterExpr::And(parts) => parts.iter().all(|p| p.matches(item)),
            FilterExpr::Not(inner) => !inner.matches(item),
            FilterExpr::Exists(path) => match select(path, item) {
                Ok(v) => path.definite || v.as_array().is_some_and(|a| !a.is_empty()),
                Err(_) => false,
            },
            FilterExpr::Compare(left, relation, right) => compare(item, left, *relation, right),
        }
    }
}

fn operand_value(item: &Value, operand: &Operand) -> Option<Value> {
    match operand {
        Operand::Item(path) => select(path, item).ok().map(std::borrow::Cow::into_owned),
        Operand::Literal(v) => Some(v.clone()),
        Operand::Regex(_) => None,
    }
}

fn compare(item: &Value, left: &Operand, relation: Relation, right: &Operand) -> bool {
    let Some(l) = operand_value(item, left) else {
        return false;
    };
    if relation == Relation::Matches {
        return match (right, &l) {
            (Operand::Regex(re), Value::String(s)) => re.is_match(s),
            _ => false,
        };
    }
    let Some(r) = operand_value(item, right) else {
        return false;
    };
    let as_list = |v: &Value| v.as_array().cloned().unwrap_or_else(|| vec![v.clone()]);
    match relation {
        Relation::Eq => loosely_equal(&l, &r),
        Relation::Ne => !loosely_equal(&l, &r),
        Relation::Lt => ordering(&l, &r).is_some_and(|o| o.is_lt()),
        Relation::Le => ordering(&l, &r).is_some_and(|o| o.is_le()),
        Relation::Gt => ordering(&l, &r).is_some_and(|o| o.is_gt()),
        Relation::Ge => ordering(&l, &r).is_some_and(|o| o.is_ge()),
        Relation::In => as_list(&r).iter().any(|x| loosely_equal(&l, x)),
        Relation::Nin => !as_list(&r).iter().any(|x| loosely_equal(&l, x)),
        Relation::SubsetOf => as_list(&l)
            .iter()
            .all(|x| as_list(&r).iter().any(|y| loosely_equal(x, y))),
        Relation::AnyOf => as_list(&l)
            .iter()
            .any(|x| as_list(&r).iter().any(|y| loosely_equal(x, y))),
        Relation::NoneOf => !as_list(&l)
            .iter()
            .any(|x| as_list(&r).iter().any(|y| loosely_equal(x, y))),
        Relation::Contains => match (&l, &r) {
            (Value::String(a), Value::String(b)) => a.contains(b.as_str()),
            (Value::Array(a), x) => a.iter().any(|y| loosely_equal(x, y)),
            _ => false,
        },
        Relation::Size => {
            let size = match &l {
                Value::String(s) => s.chars().count(),
                Value::Array(a) => a.len(),
                Value::Object(o) => o.len(),
                _ => return false,
            };
            r.as_f64()
                .is_some_and(|n| (size as f64 - n).abs() < f64::EPSILON)
        }
        Relation::Empty => {
            let empty = match &l {
                Value::String(s) => s.is_empty(),
                Value::Array(a) => a.is_empty(),
                Value::Object(o) => o.is_empty(),
                _ => return false,
            };
            r.as_bool() == Some(empty)
        }
        Relation::Matches => false,
    }
}

/// Numbers compare by value (`1 == 1.0`); everything else structurally.
fn loosely_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn ordering(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

struct FilterParser<'a> {
    src: &'a str,
    pos: usize,
}

impl FilterParser<'_> {
    fn rest(&self) -> &str {
        self.src.get(self.pos..).unwrap_or("")
    }

    fn skip_ws(&mut self) {
        let trimmed = self.rest().trim_start();
        self.pos = self.src.len() - trimmed.len();
    }

    fn eat(&mut self, token: &str) -> bool {
        self.skip_ws();
        if self.rest().starts_with(token) {
            self.pos += token.len();
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<FilterExpr, String> {
        let mut parts = vec![self.and()?];
        while self.eat("||") {
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            FilterExpr::Or(parts)
        })
    }

    fn and(&mut self) -> Result<FilterExpr, String> {
        let mut parts = vec![self.unary()?];
        while self.eat("&&") {
            parts.push(self.unary()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            FilterExpr::And(parts)
        })
    }

    fn unary(&mut self) -> Result<FilterExpr, String> {
        self.skip_ws();
        if self.rest().starts_with('!') && !self.rest().starts_with("!=") {
            self.pos += 1;
            return Ok(FilterExpr::Not(Box::new(self.unary()?)));
        }
        if self.rest().starts_with('(') {
            self.pos += 1;
            let inner = self.or()?;
            if !self.eat(")") {
                return Err(format!("expected `)` in the filter `{}`", self.src));
            }
            return Ok(inner);
        }
        let left = self.operand()?;
        self.skip_ws();
        const RELATIONS: &[(&str, Relation)] = &[
            ("==", Relation::Eq),
            ("!=", Relation::Ne),
            ("<=", Relation::Le),
            (">=", Relation::Ge),
            ("=~", Relation::Matches),
            ("<", Relation::Lt),
            (">", Relation::Gt),
            ("nin ", Relation::Nin),
            ("in ", Relation::In),
            ("subsetof ", Relation::SubsetOf),
            ("anyof ", Relation::AnyOf),
            ("noneof ", Relation::NoneOf),
            ("size ", Relation::Size),
            ("empty ", Relation::Empty),
            ("contains ", Relation::Contains),
        ];
        let found = RELATIONS
            .iter()
            .find(|(token, _)| self.rest().starts_with(token));
        match found {
            Some((token, relation)) => {
                self.pos += token.len();
                let right = self.operand()?;
                Ok(FilterExpr::Compare(
                    Box::new(left),
                    *relation,
                    Box::new(right),
                ))
            }
            None => match left {
                Operand::Item(path) => Ok(FilterExpr::Exists(Box::new(path))),
                Operand::Literal(v) => Ok(if v.as_bool() == Some(true) {
                    FilterExpr::Compare(
                        Box::new(Operand::Literal(Value::Bool(true))),
                        Relation::Eq,
                        Box::new(Operand::Literal(Value::Bool(true))),
                    )
                } else {
                    FilterExpr::Not(Box::new(FilterExpr::Or(Vec::new())))
                }),
                Operand::Regex(_) => Err("a regular expression needs `=~`".into()),
            },
        }
    }

    fn operand(&mut self) -> Result<Operand, String> {
        self.skip_ws();
        let rest = self.rest().to_string();
        let rest = rest.as_str();
        let first = rest.chars().next().ok_or("expected an operand")?;
        match first {
            '@' => {
                let len = path_len(rest);
                let text = format!("${}", &rest[1..len]);
                self.pos += len;
                let path = CompiledPath::parse(&text).map_err(|e| e.0)?;
                Ok(Operand::Item(path))
            }
            '$' => Err("filters that read the whole document (`$`) are not supported".into()),
            '\'' | '"' => {
                let mut out = String::new();
                let mut chars = rest.char_indices().skip(1);
                while let Some((i, c)) = chars.next() {
                    if c == '\\' {
                        if let Some((_, e)) = chars.next() {
                            out.push(e);
                        }
                    } else if c == first {
                        self.pos += i + 1;
                        return Ok(Operand::Literal(Value::String(out)));
                    } else {
                        out.push(c);
                    }
                }
                Err("unterminated string in a filter".into())
            }
            '/' => {
                let body_end = rest[1..]
                    .find('/')
                    .ok_or("unterminated regular expression in a filter")?;
                let body = &rest[1..=body_end];
                let after = &rest[body_end + 2..];
                let flags: String = after
                    .chars()
                    .take_while(char::is_ascii_alphabetic)
                    .collect();
                self.pos += body_end + 2 + flags.len();
                let pattern = if flags.contains('i') {
                    format!("(?i){body}")
                } else {
                    body.to_string()
                };
                regex::Regex::new(&pattern)
                    .map(Operand::Regex)
                    .map_err(|e| e.to_string())
            }
            '[' | '{' => {
                // A JSON list (Jayway also takes single-quoted strings in it).
                let mut depth = 0usize;
                let mut end = None;
                let mut quote: Option<char> = None;
                for (i, c) in rest.char_indices() {
                    match (quote, c) {
                        (Some(q), c) if c == q => quote = None,
                        (Some(_), _) => {}
                        (None, '\'' | '"') => quote = Some(c),
                        (None, '[' | '{') => depth += 1,
                        (None, ']' | '}') => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                end = Some(i + 1);
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                let end = end.ok_or("unclosed list in a filter")?;
                let text = rest[..end].replace('\'', "\"");
                self.pos += end;
                serde_json::from_str(&text)
                    .map(Operand::Literal)
                    .map_err(|e| e.to_string())
            }
            _ => {
                let word: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'))
                    .collect();
                if word.is_empty() {
                    return Err(format!("unexpected `{first}` in a filter"));
                }
                self.pos += word.len();
                serde_json::from_str(&word)
                    .map(Operand::Literal)
                    .map_err(|_| format!("`{word}` is not a filter operand"))
            }
        }
    }
}

/// The length of an `@…` path at the start of `text`: up to whitespace, an operator or an
/// unbalanced `)`, skipping brackets and quoted names.
fn path_len(text: &str) -> usize {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') if depth > 0 => quote = Some(c),
            (None, '[') => depth += 1,
            (None, ']') => depth = depth.saturating_sub(1),
            (None, c) if depth == 0 && (c.is_whitespace() || "=!<>&|)".contains(c)) => return i,
            _ => {}
        }
    }
    text.len()
}
