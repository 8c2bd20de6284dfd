//! JSONPath and reference paths as ASL uses them (not RFC 9535).
//!
//! Step Functions evaluates paths with Jayway JsonPath, extended with two roots of its own:
//! `$$` (the context object) and `$name` (a workflow variable). This module is a hand-written
//! recursive-descent parser for that dialect:
//!
//! * [`parse_path`] accepts the full Path syntax that `InputPath`, `OutputPath`, `Parameters`
//!   (`"key.$"`) and a Choice rule's `Variable` accept: dot and bracket fields, indices, `*`,
//!   slices, unions, `..` and `[?(...)]` filters.
//! * [`parse_reference_path`] accepts only Reference Paths (`ResultPath`, `ItemsPath`, the
//!   `…Path` comparisons, `TimeoutSecondsPath`, …), which must identify a single node: the
//!   operators `@`, `,`, `:`, `?`, `*` and `..` are refused.
//!
//! Rules taken from the AWS documentation and the States Language specification:
//!
//! * A path is a string beginning with `$`; `$$` starts a path into the context object.
//! * Dot notation takes Jayway "property" tokens: any characters up to the next `.` or `[`,
//!   whitespace excluded. A backslash escapes the next character (`$.store\.book`,
//!   `$.foo\@bar`), as in the specification's reference path examples.
//! * Bracket notation takes single- or double-quoted names with backslash escapes.
//! * Variable names follow Unicode identifier rules (UAX #31): the first character is an
//!   ID_Start character (so not `_` and not a digit), the rest are ID_Continue characters, at most
//!   80 characters in all. This module approximates ID_Start with [`char::is_alphabetic`] and
//!   ID_Continue with [`char::is_alphanumeric`] or `_`.
//!
//! Errors carry the byte offset of the problem in the input and say what was expected. The
//! parser never panics, always makes progress, and uses no recursion (filter expressions are
//! scanned with an explicit stack capped at [`MAX_FILTER_DEPTH`]).

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

/// The longest variable name the States Language allows, in characters.
pub const MAX_VARIABLE_NAME_CHARS: usize = 80;

/// How deeply brackets and parentheses may nest inside one `[?(...)]` filter expression.
pub const MAX_FILTER_DEPTH: usize = 64;

/// Where a path starts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathRoot {
    /// `$`: the state input (or, in `ResultSelector`, the result).
    Input,
    /// `$$`: the context object.
    Context,
    /// `$name`: a workflow variable.
    Variable(String),
}

/// One member of a union selector such as `['a','b']` or `[0,1]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UnionMember {
    /// A field name, `'a'`.
    Field(String),
    /// An array index, `0` (negative counts from the end).
    Index(i64),
}

/// One step of a path after its root.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    /// `.name`, `['name']` or `["name"]`.
    Field(String),
    /// `[0]`, `[-1]`.
    Index(i64),
    /// `.*` or `[*]`.
    Wildcard,
    /// `[1:3]`, `[:2]`, `[::2]`.
    Slice {
        /// The first index (negative counts from the end); `None` for the start.
        start: Option<i64>,
        /// The index to stop before; `None` for the end.
        end: Option<i64>,
        /// The step; `None` for 1.
        step: Option<i64>,
    },
    /// `['a','b']` or `[0,1]` (at least two members; never mixes names and indices).
    Union(Vec<UnionMember>),
    /// `[?(@.price < 10)]`.
    Filter(Filter),
    /// Deep scan. `..name` and `..['name']` are `RecursiveDescent(Some(name))`. The other forms
    /// (`..*`, `..[0]`, `..['a','b']`, `..[?(...)]`) are `RecursiveDescent(None)` immediately
    /// followed by the segment the scan applies to (`Wildcard`, `Index(0)`, …).
    RecursiveDescent(Option<String>),
}

/// A `[?(...)]` filter: the text between `?(` and its closing `)` as written, and the expression
/// parsed from it. The grammar is Jayway JsonPath's (what Step Functions evaluates): `||`, `&&`,
/// `!`, parentheses, comparisons (`==`, `!=`, `<`, `<=`, `>`, `>=`, `=~`, `in`, `nin`,
/// `subsetof`, `anyof`, `noneof`, `size`, `empty`, `contains`) and existence tests (`@.isbn`).
/// Operands are `@`-relative paths, strings, numbers, `true`/`false`/`null`, `/regex/flags` and
/// `[...]` JSON lists. `check` parses it here once, and the executor evaluates this tree, so the
/// two accept exactly the same filters.
#[derive(Debug, Clone)]
pub struct Filter {
    /// The expression as written between `[?(` and `)`.
    pub text: String,
    /// The expression parsed from `text`.
    pub expr: FilterExpr,
}

impl Filter {
    /// Parses a filter's text (without `[?(` and `)`). The error's offset is into `text`.
    pub fn parse(text: &str) -> Result<Self, PathError> {
        let mut p = FilterParser { src: text, pos: 0 };
        let expr = p.or().map_err(|m| PathError::new(p.pos, m))?;
        p.skip_ws();
        if p.pos < p.src.len() {
            return Err(PathError::new(
                p.pos,
                format!("unexpected `{}` in the filter `{text}`", &p.src[p.pos..]),
            ));
        }
        Ok(Filter {
            text: text.to_owned(),
            expr,
        })
    }
}

// Two filters are the same when written the same: the expression is derived from the text.
impl PartialEq for Filter {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for Filter {}

impl std::hash::Hash for Filter {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}

/// A parsed `[?(...)]` filter expression.
#[derive(Debug, Clone)]
pub enum FilterExpr {
    /// `a || b`: any operand holds.
    Or(Vec<FilterExpr>),
    /// `a && b`: every operand holds.
    And(Vec<FilterExpr>),
    /// `!a`: the operand does not hold.
    Not(Box<FilterExpr>),
    /// `@.x` alone: the path selects something.
    Exists(Box<Path>),
    /// A comparison, `left relation right`, e.g. `@.price < 10`.
    Compare(Box<Operand>, Relation, Box<Operand>),
}

/// One side of a comparison.
#[derive(Debug, Clone)]
pub enum Operand {
    /// An `@` path, evaluated against the item (written with `$` for its root).
    Item(Path),
    /// A string, number, `true`, `false`, `null` or `[...]` JSON list.
    Literal(Value),
    /// A `/regex/flags` literal, compiled (the right side of `=~`).
    Regex(regex::Regex),
}

/// A comparison operator, as Jayway JsonPath names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// `==`: the sides are equal (numbers by value: `1 == 1.0`).
    Eq,
    /// `!=`: the sides differ.
    Ne,
    /// `<`: less than.
    Lt,
    /// `<=`: less than or equal.
    Le,
    /// `>`: greater than.
    Gt,
    /// `>=`: greater than or equal.
    Ge,
    /// `=~`: the string matches the regular expression.
    Matches,
    /// `in`: the value equals an item of the right-hand list.
    In,
    /// `nin`: the value equals no item of the right-hand list.
    Nin,
    /// `subsetof`: every item of the left list is in the right one.
    SubsetOf,
    /// `anyof`: some item of the left list is in the right one.
    AnyOf,
    /// `noneof`: no item of the left list is in the right one.
    NoneOf,
    /// `size`: the string, array or object has this length.
    Size,
    /// `empty`: the string, array or object is empty (`true`) or not (`false`).
    Empty,
    /// `contains`: the string contains the substring, or the array the item.
    Contains,
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
        let start = self.pos;
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
                Operand::Regex(_) => {
                    self.pos = start;
                    Err("a regular expression needs `=~`".into())
                }
            },
        }
    }

    /// An operand; on error the position is left at its start, where the error is reported.
    fn operand(&mut self) -> Result<Operand, String> {
        self.skip_ws();
        let start = self.pos;
        self.operand_here().inspect_err(|_| self.pos = start)
    }

    fn operand_here(&mut self) -> Result<Operand, String> {
        let rest = self.rest().to_string();
        let rest = rest.as_str();
        let first = rest.chars().next().ok_or("expected an operand")?;
        match first {
            '@' => {
                let len = path_len(rest);
                let text = format!("${}", &rest[1..len]);
                self.pos += len;
                let path = parse_path(&text).map_err(|e| e.message)?;
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
                // regex's message draws the pattern over several lines; its last line says what
                // is wrong.
                regex::Regex::new(&pattern)
                    .map(Operand::Regex)
                    .map_err(|e| {
                        let e = e.to_string();
                        let why = e
                            .lines()
                            .last()
                            .unwrap_or_default()
                            .trim_start_matches("error: ");
                        format!("invalid regular expression `/{body}/`: {why}")
                    })
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
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '_'))
                    .collect();
                if word.is_empty() {
                    return Err(format!("unexpected `{first}` in a filter"));
                }
                self.pos += word.len();
                // An unquoted word (`@.lang == es`) is no JSON, but Step Functions accepts it
                // and compares with the text (deployed AWS samples rely on it), so it is read
                // as a string rather than refused.
                Ok(Operand::Literal(
                    serde_json::from_str(&word).unwrap_or(Value::String(word)),
                ))
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

/// A parsed path: a root and the segments after it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Path {
    /// Where the path starts: the input, the context object or a variable.
    pub root: PathRoot,
    /// The steps after the root, in order.
    pub segments: Vec<Segment>,
}

/// A syntax error in a path (also used for intrinsic function calls).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at byte {offset})")]
pub struct PathError {
    /// Byte offset into the input where the problem is.
    pub offset: usize,
    /// What was expected, e.g. "expected a field name after `.`".
    pub message: String,
}

impl PathError {
    /// An error at `offset` with this message.
    pub(crate) fn new(offset: usize, message: impl Into<String>) -> Self {
        PathError {
            offset,
            message: message.into(),
        }
    }

    /// The same error with its offset moved by `by` bytes (for a path embedded in a larger text).
    pub fn shifted(mut self, by: usize) -> Self {
        self.offset = self.offset.saturating_add(by);
        self
    }
}

/// Parses a Path as AWS accepts it in `InputPath`, `OutputPath`, `Parameters` (`"key.$"`) and a
/// Choice rule's `Variable`.
pub fn parse_path(text: &str) -> Result<Path, PathError> {
    Parser::new(text, false).parse()
}

/// Parses a Reference Path (`ResultPath`, `ItemsPath`, `…Path` comparisons, …): a path that can
/// identify only a single node, so made of field names and indices only.
pub fn parse_reference_path(text: &str) -> Result<Path, PathError> {
    Parser::new(text, true).parse()
}

impl FromStr for Path {
    type Err = PathError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_path(s)
    }
}

impl Path {
    /// Whether this path is a reference path: only field names and indices after the root.
    pub fn is_reference(&self) -> bool {
        self.segments
            .iter()
            .all(|s| matches!(s, Segment::Field(_) | Segment::Index(_)))
    }

    /// Field names of a reference path into the state input (root `$`, only field segments),
    /// e.g. `$.total.points` → `["total", "points"]`, `$` → `[]`. `None` otherwise.
    pub fn field_names(&self) -> Option<Vec<&str>> {
        if self.root != PathRoot::Input {
            return None;
        }
        self.segments
            .iter()
            .map(|s| match s {
                Segment::Field(name) => Some(name.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// Whether `name` can be written in dot notation by [`Path`]'s `Display` (letters, digits, `_`
/// and `-`); anything else is written in bracket notation.
pub fn is_shorthand_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

/// Writes `name` as a single-quoted bracket-notation string body (without the quotes).
fn write_quoted(f: &mut fmt::Formatter<'_>, name: &str) -> fmt::Result {
    f.write_str("'")?;
    for c in name.chars() {
        match c {
            '\'' => f.write_str("\\'")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            '\u{8}' => f.write_str("\\b")?,
            '\u{c}' => f.write_str("\\f")?,
            c if c.is_control() => write!(f, "\\u{:04x}", u32::from(c))?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("'")
}

fn write_slice_bound(f: &mut fmt::Formatter<'_>, bound: Option<i64>) -> fmt::Result {
    match bound {
        Some(n) => write!(f, "{n}"),
        None => Ok(()),
    }
}

/// Writes a segment in bracket form (used for everything that is not a dot-notation field).
fn write_bracket(f: &mut fmt::Formatter<'_>, segment: &Segment) -> fmt::Result {
    match segment {
        Segment::Field(name) => {
            f.write_str("[")?;
            write_quoted(f, name)?;
            f.write_str("]")
        }
        Segment::Index(i) => write!(f, "[{i}]"),
        Segment::Wildcard => f.write_str("[*]"),
        Segment::Slice { start, end, step } => {
            f.write_str("[")?;
            write_slice_bound(f, *start)?;
            f.write_str(":")?;
            write_slice_bound(f, *end)?;
            if step.is_some() {
                f.write_str(":")?;
                write_slice_bound(f, *step)?;
            }
            f.write_str("]")
        }
        Segment::Union(members) => {
            f.write_str("[")?;
            for (i, member) in members.iter().enumerate() {
                if i > 0 {
                    f.write_str(",")?;
                }
                match member {
                    UnionMember::Field(name) => write_quoted(f, name)?,
                    UnionMember::Index(n) => write!(f, "{n}")?,
                }
            }
            f.write_str("]")
        }
        Segment::Filter(filter) => write!(f, "[?({})]", filter.text),
        Segment::RecursiveDescent(name) => match name {
            Some(name) if is_shorthand_name(name) => write!(f, "..{name}"),
            Some(name) => {
                f.write_str("..[")?;
                write_quoted(f, name)?;
                f.write_str("]")
            }
            None => f.write_str(".."),
        },
    }
}

impl fmt::Display for Path {
    /// The canonical form: `$.a.b`, `$['a b']`, `$.a[0]`, `$$.Execution.Id`, `$var.x`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.root {
            PathRoot::Input => f.write_str("$")?,
            PathRoot::Context => f.write_str("$$")?,
            PathRoot::Variable(name) => write!(f, "${name}")?,
        }
        let mut after_scan = false;
        for segment in &self.segments {
            if after_scan {
                // The segment a bare `..` applies to: `..*`, `..[0]`, `..['a b']`.
                match segment {
                    Segment::Wildcard => f.write_str("*")?,
                    other => write_bracket(f, other)?,
                }
                after_scan = matches!(segment, Segment::RecursiveDescent(None));
                continue;
            }
            match segment {
                Segment::Field(name) if is_shorthand_name(name) => write!(f, ".{name}")?,
                Segment::Wildcard => f.write_str(".*")?,
                other => write_bracket(f, other)?,
            }
            after_scan = matches!(segment, Segment::RecursiveDescent(None));
        }
        Ok(())
    }
}

/// The recursive-descent parser (one instance per input).
struct Parser<'a> {
    src: &'a str,
    pos: usize,
    /// Reference-path mode: refuse everything that can select more than one node.
    reference: bool,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str, reference: bool) -> Self {
        Parser {
            src,
            pos: 0,
            reference,
        }
    }

    fn peek(&self) -> Option<char> {
        self.src
            .get(self.pos..)
            .and_then(|rest| rest.chars().next())
    }

    /// The character after the next one.
    fn peek2(&self) -> Option<char> {
        let mut chars = self.src.get(self.pos..)?.chars();
        chars.next();
        chars.next()
    }

    /// Consumes and returns the next character.
    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn err<T>(&self, offset: usize, message: impl Into<String>) -> Result<T, PathError> {
        Err(PathError::new(offset, message))
    }

    /// The error for an operator a reference path does not allow.
    fn not_single<T>(&self, offset: usize, op: &str) -> Result<T, PathError> {
        self.err(
            offset,
            format!("a reference path must select a single node: `{op}` is not allowed"),
        )
    }

    fn skip_spaces(&mut self) {
        while matches!(self.peek(), Some(c) if c.is_whitespace()) {
            self.pos += self.peek().map_or(1, char::len_utf8);
        }
    }

    /// Whether only whitespace remains.
    fn rest_is_whitespace(&self) -> bool {
        self.src
            .get(self.pos..)
            .is_some_and(|rest| rest.chars().all(char::is_whitespace))
    }

    fn whitespace_error<T>(&self) -> Result<T, PathError> {
        if self.rest_is_whitespace() {
            self.err(self.pos, "a path must not end with whitespace")
        } else {
            self.err(
                self.pos,
                "whitespace is not allowed in a path outside brackets; \
                 use bracket notation for names with spaces, e.g. `$['my field']`",
            )
        }
    }

    fn parse(mut self) -> Result<Path, PathError> {
        match self.peek() {
            None => return self.err(0, "expected a path starting with `$`"),
            Some(c) if c.is_whitespace() => {
                return self.err(0, "a path must not start with whitespace");
            }
            Some('$') => {}
            Some(c) => {
                return self.err(0, format!("expected a path starting with `$`, found `{c}`"));
            }
        }
        self.pos = 1;
        let root = self.parse_root()?;
        let mut segments = Vec::new();
        loop {
            match self.peek() {
                None => break,
                Some('.') => self.parse_dot(&mut segments)?,
                Some('[') => {
                    let segment = self.parse_bracket()?;
                    segments.push(segment);
                }
                Some(c) if c.is_whitespace() => return self.whitespace_error(),
                Some(c) => {
                    return self.err(
                        self.pos,
                        format!("expected `.`, `[` or the end of the path, found `{c}`"),
                    );
                }
            }
        }
        Ok(Path { root, segments })
    }

    /// After the leading `$`: `$` (context), a variable name, or nothing (the input).
    fn parse_root(&mut self) -> Result<PathRoot, PathError> {
        match self.peek() {
            Some('$') => {
                self.pos += 1;
                Ok(PathRoot::Context)
            }
            None | Some('.') | Some('[') => Ok(PathRoot::Input),
            Some(c) if c.is_whitespace() => self.whitespace_error(),
            Some(c) if c.is_alphabetic() => self.parse_variable(),
            Some('_') => self.err(
                self.pos,
                "a variable name must start with a letter (a Unicode ID_Start character); \
                 `_` may not come first",
            ),
            Some(c) if c.is_numeric() => self.err(
                self.pos,
                "a variable name must start with a letter (a Unicode ID_Start character), \
                 not a digit",
            ),
            Some(c) => self.err(
                self.pos,
                format!(
                    "expected `.`, `[`, `$`, a variable name or the end of the path after `$`, \
                     found `{c}`"
                ),
            ),
        }
    }

    fn parse_variable(&mut self) -> Result<PathRoot, PathError> {
        let start = self.pos;
        let mut count = 0usize;
        while let Some(c) = self.peek() {
            if c.is_alphanumeric() || c == '_' {
                count += 1;
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
        let name = self.src.get(start..self.pos).unwrap_or_default();
        if count > MAX_VARIABLE_NAME_CHARS {
            return self.err(
                start,
                format!(
                    "variable name is {count} characters long; \
                     the maximum is {MAX_VARIABLE_NAME_CHARS}"
                ),
            );
        }
        match self.peek() {
            None | Some('.') | Some('[') => Ok(PathRoot::Variable(name.to_string())),
            Some(c) if c.is_whitespace() => self.whitespace_error(),
            Some(c) => self.err(
                self.pos,
                format!(
                    "unexpected `{c}` after variable `${name}`: variable names contain only \
                     letters, digits and `_`; expected `.`, `[` or the end of the path"
                ),
            ),
        }
    }

    /// At a `.`: a field, `.*`, `.[…]`, or a `..` deep scan.
    fn parse_dot(&mut self, segments: &mut Vec<Segment>) -> Result<(), PathError> {
        let dot = self.pos;
        if self.peek2() == Some('.') {
            if self.reference {
                return self.not_single(dot, "..");
            }
            self.pos += 2;
            return match self.peek() {
                None => self.err(self.pos, "expected a field name, `*` or `[` after `..`"),
                Some('.') => self.err(self.pos, "unexpected `.`: at most two dots in a row"),
                Some('*') => {
                    self.pos += 1;
                    segments.push(Segment::RecursiveDescent(None));
                    segments.push(Segment::Wildcard);
                    Ok(())
                }
                Some('[') => {
                    match self.parse_bracket()? {
                        Segment::Field(name) => {
                            segments.push(Segment::RecursiveDescent(Some(name)))
                        }
                        other => {
                            segments.push(Segment::RecursiveDescent(None));
                            segments.push(other);
                        }
                    }
                    Ok(())
                }
                Some(c) if c.is_whitespace() => {
                    self.err(self.pos, "expected a field name, `*` or `[` after `..`")
                }
                Some(_) => {
                    let name = self.dot_name()?;
                    segments.push(Segment::RecursiveDescent(Some(name)));
                    Ok(())
                }
            };
        }
        self.pos += 1;
        match self.peek() {
            None => self.err(self.pos, "expected a field name after `.`"),
            Some('*') => {
                if self.reference {
                    return self.not_single(self.pos, "*");
                }
                self.pos += 1;
                segments.push(Segment::Wildcard);
                Ok(())
            }
            // Jayway accepts `$.a.['b']` as `$.a['b']` (the AWS docs use `$.abc.['def ghi']`).
            Some('[') => {
                let segment = self.parse_bracket()?;
                segments.push(segment);
                Ok(())
            }
            Some(c) if c.is_whitespace() => self.err(
                self.pos,
                "expected a field name after `.`; use bracket notation for names with \
                 spaces, e.g. `$['my field']`",
            ),
            Some(_) => {
                let name = self.dot_name()?;
                segments.push(Segment::Field(name));
                Ok(())
            }
        }
    }

    /// A dot-notation field name: everything up to the next unescaped `.` or `[`.
    fn dot_name(&mut self) -> Result<String, PathError> {
        let start = self.pos;
        let mut name = String::new();
        loop {
            let at = self.pos;
            match self.peek() {
                None | Some('.') | Some('[') => break,
                Some('\\') => {
                    self.pos += 1;
                    match self.bump() {
                        Some(c) => name.push(c),
                        None => {
                            return self.err(at, "a `\\` at the end of the path escapes nothing");
                        }
                    }
                }
                Some('(') => {
                    return self.err(
                        at,
                        "function calls such as `length()` are not supported in paths",
                    );
                }
                Some(c) if c.is_whitespace() => {
                    if self.rest_is_whitespace() {
                        return self.whitespace_error();
                    }
                    return self.err(
                        at,
                        "whitespace is not allowed in a dot-notation field name; \
                         use bracket notation, e.g. `$['my field']`",
                    );
                }
                Some(c) if c.is_control() => {
                    return self.err(
                        at,
                        "control characters are not allowed in a dot-notation field name; \
                         use bracket notation with an escape, e.g. `$['a\\tb']`",
                    );
                }
                Some(c @ ('\'' | '"')) => {
                    return self.err(
                        at,
                        format!(
                            "unexpected `{c}`: quoted names go in brackets, e.g. `$['my field']`"
                        ),
                    );
                }
                Some(c @ (']' | ')')) => {
                    return self.err(at, format!("unexpected `{c}` in a field name"));
                }
                Some(c @ ('@' | ',' | ':' | '?' | '*')) if self.reference => {
                    return self.not_single(at, c.encode_utf8(&mut [0; 4]));
                }
                Some(c) => {
                    name.push(c);
                    self.pos += c.len_utf8();
                }
            }
        }
        if name.is_empty() {
            return self.err(start, "expected a field name after `.`");
        }
        Ok(name)
    }

    /// At a `[`: a quoted name (or union of names), an index, a slice, a union of indices, `*`,
    /// or a `?(...)` filter.
    fn parse_bracket(&mut self) -> Result<Segment, PathError> {
        let open = self.pos;
        self.pos += 1;
        self.skip_spaces();
        let segment = match self.peek() {
            None => {
                return self.err(
                    self.pos,
                    "expected a quoted field name, an index, `*` or a filter after `[`",
                );
            }
            Some(q @ ('\'' | '"')) => {
                let first = self.quoted(q)?;
                self.skip_spaces();
                if self.peek() != Some(',') {
                    Segment::Field(first)
                } else {
                    let mut members = vec![UnionMember::Field(first)];
                    while self.peek() == Some(',') {
                        if self.reference {
                            return self.not_single(self.pos, ",");
                        }
                        self.pos += 1;
                        self.skip_spaces();
                        match self.peek() {
                            Some(q @ ('\'' | '"')) => {
                                members.push(UnionMember::Field(self.quoted(q)?));
                            }
                            _ => {
                                return self.err(
                                    self.pos,
                                    "expected a quoted field name after `,`; a union lists \
                                     either names or indices, not both",
                                );
                            }
                        }
                        self.skip_spaces();
                    }
                    Segment::Union(members)
                }
            }
            Some('*') => {
                if self.reference {
                    return self.not_single(self.pos, "*");
                }
                self.pos += 1;
                Segment::Wildcard
            }
            Some('?') => {
                if self.reference {
                    return self.not_single(self.pos, "?");
                }
                self.pos += 1;
                self.skip_spaces();
                if self.peek() != Some('(') {
                    return self.err(self.pos, "expected `(` after `?`: filters are `[?(...)]`");
                }
                Segment::Filter(self.filter_body()?)
            }
            Some('@') => {
                if self.reference {
                    return self.not_single(self.pos, "@");
                }
                return self.err(self.pos, "`@` is only allowed inside a filter `[?(...)]`");
            }
            Some(c) if c == '-' || c == ':' || c.is_ascii_digit() => self.numeric_selector()?,
            Some(']') => {
                return self.err(
                    self.pos,
                    "empty brackets: expected a quoted field name, an index, `*` or a filter",
                );
            }
            Some(c) => {
                return self.err(
                    self.pos,
                    format!(
                        "expected a quoted field name like `['name']`, an index, `*` or a filter \
                         `?(...)` after `[`, found `{c}`"
                    ),
                );
            }
        };
        self.skip_spaces();
        match self.peek() {
            Some(']') => {
                self.pos += 1;
                Ok(segment)
            }
            None => self.err(
                self.pos,
                format!("expected `]` to close the `[` at byte {open}"),
            ),
            Some(c) => self.err(self.pos, format!("expected `]`, found `{c}`")),
        }
    }

    /// An index `[n]`, a slice `[a:b:c]` or a union of indices `[a,b]` (without the brackets).
    fn numeric_selector(&mut self) -> Result<Segment, PathError> {
        let first = self.opt_int()?;
        self.skip_spaces();
        match self.peek() {
            Some(':') => {
                if self.reference {
                    return self.not_single(self.pos, ":");
                }
                self.pos += 1;
                self.skip_spaces();
                let end = self.opt_int()?;
                self.skip_spaces();
                let mut step = None;
                if self.peek() == Some(':') {
                    self.pos += 1;
                    self.skip_spaces();
                    let step_at = self.pos;
                    step = self.opt_int()?;
                    if step == Some(0) {
                        return self.err(step_at, "a slice step must not be 0");
                    }
                }
                Ok(Segment::Slice {
                    start: first,
                    end,
                    step,
                })
            }
            Some(',') => {
                let Some(first) = first else {
                    return self.err(self.pos, "expected an index before `,`");
                };
                let mut members = vec![UnionMember::Index(first)];
                while self.peek() == Some(',') {
                    if self.reference {
                        return self.not_single(self.pos, ",");
                    }
                    self.pos += 1;
                    self.skip_spaces();
                    match self.opt_int()? {
                        Some(n) => members.push(UnionMember::Index(n)),
                        None => {
                            return self.err(
                                self.pos,
                                "expected an index after `,`; a union lists either names or \
                                 indices, not both",
                            );
                        }
                    }
                    self.skip_spaces();
                }
                Ok(Segment::Union(members))
            }
            _ => match first {
                Some(n) => Ok(Segment::Index(n)),
                None => self.err(self.pos, "expected an array index"),
            },
        }
    }

    /// An optional integer: `-`? digits.
    fn opt_int(&mut self) -> Result<Option<i64>, PathError> {
        let start = self.pos;
        if self.peek() == Some('-') {
            self.pos += 1;
        }
        let digits = self.pos;
        while matches!(self.peek(), Some(c) if c.is_ascii_digit()) {
            self.pos += 1;
        }
        if self.pos == digits {
            if self.pos > start {
                return self.err(self.pos, "expected digits after `-`");
            }
            return Ok(None);
        }
        let text = self.src.get(start..self.pos).unwrap_or_default();
        match text.parse::<i64>() {
            Ok(n) => Ok(Some(n)),
            Err(_) => self.err(start, format!("index `{text}` is out of range")),
        }
    }

    /// A quoted name in brackets, with JSON-style escapes; `self.pos` is at the opening quote.
    fn quoted(&mut self, quote: char) -> Result<String, PathError> {
        let open = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let at = self.pos;
            match self.bump() {
                None => {
                    return self.err(
                        open,
                        format!("unterminated string: expected a closing `{quote}`"),
                    );
                }
                Some(c) if c == quote => return Ok(out),
                Some('\\') => match self.bump() {
                    None => {
                        return self.err(
                            open,
                            format!("unterminated string: expected a closing `{quote}`"),
                        );
                    }
                    Some(c @ ('\\' | '\'' | '"' | '/')) => out.push(c),
                    Some('b') => out.push('\u{8}'),
                    Some('f') => out.push('\u{c}'),
                    Some('n') => out.push('\n'),
                    Some('r') => out.push('\r'),
                    Some('t') => out.push('\t'),
                    Some('u') => out.push(self.unicode_escape(at)?),
                    Some(c) => {
                        return self.err(
                            at,
                            format!(
                                "unknown escape `\\{c}`; use \\\\, \\', \\\", \\/, \\b, \\f, \\n, \
                                 \\r, \\t or \\uXXXX"
                            ),
                        );
                    }
                },
                Some(c) => out.push(c),
            }
        }
    }

    /// After `\u`: four hex digits, and a second `\uXXXX` for a surrogate pair.
    fn unicode_escape(&mut self, backslash: usize) -> Result<char, PathError> {
        let high = self.hex4(backslash)?;
        if !(0xD800..0xDC00).contains(&high) {
            return match char::from_u32(high) {
                Some(c) => Ok(c),
                None => self.err(backslash, "invalid unicode escape: a lone low surrogate"),
            };
        }
        let second = self.pos;
        if self.peek() != Some('\\') || self.peek2() != Some('u') {
            return self.err(backslash, "invalid unicode escape: a high surrogate must be followed by a `\\u` low surrogate");
        }
        self.pos += 2;
        let low = self.hex4(second)?;
        if !(0xDC00..0xE000).contains(&low) {
            return self.err(second, "invalid unicode escape: expected a low surrogate");
        }
        let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
        match char::from_u32(code) {
            Some(c) => Ok(c),
            None => self.err(backslash, "invalid unicode escape"),
        }
    }

    fn hex4(&mut self, backslash: usize) -> Result<u32, PathError> {
        let mut value = 0u32;
        for _ in 0..4 {
            match self.peek().and_then(|c| c.to_digit(16)) {
                Some(d) => {
                    value = value * 16 + d;
                    self.pos += 1;
                }
                None => return self.err(backslash, "expected four hex digits after `\\u`"),
            }
        }
        Ok(value)
    }

    /// At the `(` of a filter: parses the text up to the matching `)` and moves past it.
    /// Brackets and parentheses must balance and strings must close; nesting is capped, which
    /// also bounds the recursion of [`Filter::parse`] on the scanned text.
    fn filter_body(&mut self) -> Result<Filter, PathError> {
        let open = self.pos;
        self.pos += 1;
        let body_start = self.pos;
        let mut closers: Vec<char> = Vec::new();
        let mut prev_significant: Option<char> = None;
        loop {
            let at = self.pos;
            let Some(c) = self.peek() else {
                return self.err(
                    open,
                    "unclosed filter: expected `)` to close the `(` of `[?(`",
                );
            };
            match c {
                '\'' | '"' => {
                    self.skip_filter_string(c)?;
                    prev_significant = Some(c);
                    continue;
                }
                // A regular expression after `=~`: `/.../flags`.
                '/' if prev_significant == Some('~') => {
                    self.pos += 1;
                    loop {
                        match self.bump() {
                            None => {
                                return self.err(
                                    at,
                                    "unterminated regular expression: expected a closing `/`",
                                );
                            }
                            Some('\\') => {
                                self.bump();
                            }
                            Some('/') => break,
                            Some(_) => {}
                        }
                    }
                    prev_significant = Some('/');
                    continue;
                }
                '(' | '[' => {
                    if closers.len() >= MAX_FILTER_DEPTH {
                        return self.err(
                            at,
                            format!(
                                "the filter expression nests too deeply \
                                 (more than {MAX_FILTER_DEPTH} levels)"
                            ),
                        );
                    }
                    closers.push(if c == '(' { ')' } else { ']' });
                }
                ')' | ']' => match closers.last() {
                    None if c == ')' => break,
                    None => {
                        return self.err(at, "unbalanced `]` in the filter expression");
                    }
                    Some(&expected) if expected == c => {
                        closers.pop();
                    }
                    Some(&expected) => {
                        return self.err(
                            at,
                            format!(
                                "mismatched `{c}` in the filter expression: expected `{expected}`"
                            ),
                        );
                    }
                },
                _ => {}
            }
            if !c.is_whitespace() {
                prev_significant = Some(c);
            }
            self.pos += c.len_utf8();
        }
        let body = self.src.get(body_start..self.pos).unwrap_or_default();
        if body.trim().is_empty() {
            return self.err(open, "empty filter expression: expected `[?(<condition>)]`");
        }
        let filter = Filter::parse(body).map_err(|e| e.shifted(body_start))?;
        self.pos += 1; // the closing `)`
        Ok(filter)
    }

    fn skip_filter_string(&mut self, quote: char) -> Result<(), PathError> {
        let open = self.pos;
        self.pos += 1;
        loop {
            match self.bump() {
                None => {
                    return self.err(
                        open,
                        format!(
                            "unterminated string in the filter expression: \
                             expected a closing `{quote}`"
                        ),
                    );
                }
                Some('\\') => {
                    self.bump();
                }
                Some(c) if c == quote => return Ok(()),
                Some(_) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Path {
        match parse_path(text) {
            Ok(p) => p,
            Err(e) => panic!("`{text}` should parse: {e}"),
        }
    }

    fn bad(text: &str) -> PathError {
        match parse_path(text) {
            Ok(p) => panic!("`{text}` should not parse, got {p:?}"),
            Err(e) => e,
        }
    }

    fn bad_ref(text: &str) -> PathError {
        match parse_reference_path(text) {
            Ok(p) => panic!("`{text}` should not parse as a reference path, got {p:?}"),
            Err(e) => e,
        }
    }

    fn field(name: &str) -> Segment {
        Segment::Field(name.to_string())
    }

    fn input(segments: Vec<Segment>) -> Path {
        Path {
            root: PathRoot::Input,
            segments,
        }
    }

    /// Display then parse gives the same path back.
    fn round_trips(path: &Path) {
        let shown = path.to_string();
        match parse_path(&shown) {
            Ok(again) => assert_eq!(&again, path, "display `{shown}` parsed differently"),
            Err(e) => panic!("display `{shown}` of {path:?} does not parse: {e}"),
        }
    }

    #[test]
    fn roots() {
        assert_eq!(ok("$"), input(vec![]));
        assert_eq!(
            ok("$$"),
            Path {
                root: PathRoot::Context,
                segments: vec![]
            }
        );
        assert_eq!(
            ok("$$.Execution.Id"),
            Path {
                root: PathRoot::Context,
                segments: vec![field("Execution"), field("Id")]
            }
        );
        assert_eq!(
            ok("$$.Task.Token").segments,
            vec![field("Task"), field("Token")]
        );
        assert_eq!(
            ok("$$.Map.Item.Value").segments,
            vec![field("Map"), field("Item"), field("Value")]
        );
        assert_eq!(
            ok("$myVar.field"),
            Path {
                root: PathRoot::Variable("myVar".into()),
                segments: vec![field("field")]
            }
        );
        assert_eq!(ok("$x").root, PathRoot::Variable("x".into()));
        assert_eq!(ok("$x1_y[0]").segments, vec![Segment::Index(0)]);
        assert_eq!(ok("$ünï").root, PathRoot::Variable("ünï".into()));
        assert_eq!(
            ok("$states.input").root,
            PathRoot::Variable("states".into())
        );
    }

    #[test]
    fn dot_fields() {
        assert_eq!(ok("$.a.b"), input(vec![field("a"), field("b")]));
        assert_eq!(ok("$.my-field").segments, vec![field("my-field")]);
        assert_eq!(ok("$.a_b").segments, vec![field("a_b")]);
        assert_eq!(ok("$.ünïcode").segments, vec![field("ünïcode")]);
        assert_eq!(ok("$.&Ж中").segments, vec![field("&Ж中")]);
        assert_eq!(ok("$.0abc").segments, vec![field("0abc")]);
        assert_eq!(ok("$.a#b/c").segments, vec![field("a#b/c")]);
    }

    #[test]
    fn backslash_escapes_in_dot_notation() {
        // The States Language specification's reference path examples.
        assert_eq!(ok("$.store\\.book").segments, vec![field("store.book")]);
        assert_eq!(
            ok("$.\\stor\\e.boo\\k").segments,
            vec![field("store"), field("book")]
        );
        assert_eq!(
            ok("$.foo.\\.bar").segments,
            vec![field("foo"), field(".bar")]
        );
        let p = parse_reference_path("$.foo\\@bar.baz\\[\\[.\\?pretty")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            p.segments,
            vec![field("foo@bar"), field("baz[["), field("?pretty")]
        );
        assert_eq!(bad("$.a\\").offset, 3);
    }

    #[test]
    fn brackets() {
        assert_eq!(ok("$['a b']").segments, vec![field("a b")]);
        assert_eq!(ok("$[\"a b\"]").segments, vec![field("a b")]);
        assert_eq!(ok("$['it\\'s']").segments, vec![field("it's")]);
        assert_eq!(ok("$[\"it's\"]").segments, vec![field("it's")]);
        assert_eq!(ok("$['a\\\\b']").segments, vec![field("a\\b")]);
        assert_eq!(ok("$['\\u00e9\\n']").segments, vec![field("é\n")]);
        assert_eq!(ok("$['\\ud83d\\ude00']").segments, vec![field("😀")]);
        assert_eq!(ok("$['']").segments, vec![field("")]);
        assert_eq!(ok("$[ 'a' ]").segments, vec![field("a")]);
        assert_eq!(
            ok("$.abc.['def ghi']").segments,
            vec![field("abc"), field("def ghi")]
        );
        assert_eq!(
            ok("$['store'][0]['book']").segments,
            vec![field("store"), Segment::Index(0), field("book")]
        );
    }

    #[test]
    fn indices_slices_unions_wildcards() {
        assert_eq!(ok("$.a[0]").segments, vec![field("a"), Segment::Index(0)]);
        assert_eq!(ok("$.a[-1]").segments, vec![field("a"), Segment::Index(-1)]);
        assert_eq!(ok("$.ledgers[0][22][315].foo").segments.len(), 5);
        assert_eq!(
            ok("$.a[1:3]").segments[1],
            Segment::Slice {
                start: Some(1),
                end: Some(3),
                step: None
            }
        );
        assert_eq!(
            ok("$.a[:2]").segments[1],
            Segment::Slice {
                start: None,
                end: Some(2),
                step: None
            }
        );
        assert_eq!(
            ok("$.vals[-3:]").segments[1],
            Segment::Slice {
                start: Some(-3),
                end: None,
                step: None
            }
        );
        assert_eq!(
            ok("$.a[::2]").segments[1],
            Segment::Slice {
                start: None,
                end: None,
                step: Some(2)
            }
        );
        assert_eq!(
            ok("$.a[0,1]").segments[1],
            Segment::Union(vec![UnionMember::Index(0), UnionMember::Index(1)])
        );
        assert_eq!(
            ok("$['a', \"b\"]").segments[0],
            Segment::Union(vec![
                UnionMember::Field("a".into()),
                UnionMember::Field("b".into())
            ])
        );
        assert_eq!(ok("$.*").segments, vec![Segment::Wildcard]);
        assert_eq!(
            ok("$[*][*]").segments,
            vec![Segment::Wildcard, Segment::Wildcard]
        );
        assert_eq!(ok("$.a*").segments, vec![field("a*")]);
    }

    #[test]
    fn deep_scan_and_filters() {
        assert_eq!(
            ok("$..name").segments,
            vec![Segment::RecursiveDescent(Some("name".into()))]
        );
        assert_eq!(
            ok("$..['a b']").segments,
            vec![Segment::RecursiveDescent(Some("a b".into()))]
        );
        assert_eq!(
            ok("$..*").segments,
            vec![Segment::RecursiveDescent(None), Segment::Wildcard]
        );
        assert_eq!(
            ok("$..[0]").segments,
            vec![Segment::RecursiveDescent(None), Segment::Index(0)]
        );
        assert_eq!(
            ok("$.items[?(@.price < 10)]").segments[1],
            Segment::Filter(filter("@.price < 10"))
        );
        assert_eq!(
            ok("$[?(@.a == ')' && (@.b[0] > 1))]").segments[0],
            Segment::Filter(filter("@.a == ')' && (@.b[0] > 1)"))
        );
        // An escaped `(` in a regular expression neither opens a group nor unbalances the scan.
        assert_eq!(
            ok(r"$[?(@.name =~ /fo\(o/i)]").segments[0],
            Segment::Filter(filter(r"@.name =~ /fo\(o/i"))
        );
    }

    fn filter(text: &str) -> Filter {
        Filter::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    /// `@.TargetLanguageCode==es`, as an AWS sample writes it: the unquoted word is the string
    /// `"es"` (Step Functions compares with the text), not a refused path.
    #[test]
    fn an_unquoted_filter_word_is_a_string() {
        let f = filter("@.TargetLanguageCode==es");
        assert!(matches!(
            &f.expr,
            FilterExpr::Compare(_, Relation::Eq, right)
                if matches!(&**right, Operand::Literal(v) if v == &serde_json::json!("es"))
        ));
        let f = filter("@.status == subject_completed");
        assert!(matches!(
            &f.expr,
            FilterExpr::Compare(_, Relation::Eq, right)
                if matches!(&**right, Operand::Literal(v) if v == &serde_json::json!("subject_completed"))
        ));
        // Numbers and keywords keep their JSON meaning.
        let f = filter("@.n == 10");
        assert!(matches!(
            &f.expr,
            FilterExpr::Compare(_, Relation::Eq, right)
                if matches!(&**right, Operand::Literal(v) if v == &serde_json::json!(10))
        ));
    }

    #[test]
    fn filters_are_parsed_into_the_tree_the_executor_evaluates() {
        let Segment::Filter(f) = &ok("$.items[?(@.price < 10 && !(@.tags size 0))]").segments[1]
        else {
            panic!("a filter");
        };
        let FilterExpr::And(parts) = &f.expr else {
            panic!("&& at the top: {:?}", f.expr);
        };
        assert!(matches!(
            &parts[0],
            FilterExpr::Compare(left, Relation::Lt, right)
                if matches!(&**left, Operand::Item(p) if p.to_string() == "$.price")
                && matches!(&**right, Operand::Literal(v) if v == &serde_json::json!(10))
        ));
        assert!(matches!(&parts[1], FilterExpr::Not(_)));
    }

    /// What the scan of `[?(...)]` let through and only the executor refused before: the
    /// filter grammar runs at parse time now, so `check` refuses it too, at the filter's place.
    #[test]
    fn broken_filters_are_path_errors_at_their_offset() {
        let cases: &[(&str, usize, &str)] = &[
            (
                "$[?(@.name =~ /fo(o/)]",
                14,
                "invalid regular expression `/fo(o/`: unclosed group",
            ),
            ("$[?(@.price <)]", 13, "expected an operand"),
            ("$[?(@.a == 1 @.b)]", 13, "unexpected `@.b`"),
            ("$[?($.a == 1)]", 4, "whole document"),
            ("$[?(@.a in [1 2])]", 11, "expected `,` or `]`"),
            ("$[?(/x/)]", 4, "needs `=~`"),
        ];
        for (text, offset, message) in cases {
            let e = parse_path(text).expect_err(text);
            assert!(e.message.contains(message), "{text}: {e}");
            assert_eq!(e.offset, *offset, "{text}: {e}");
        }
    }

    #[test]
    fn invalid_paths_and_offsets() {
        let cases: &[(&str, usize, &str)] = &[
            ("", 0, "expected a path starting with `$`"),
            ("a.b", 0, "expected a path starting with `$`"),
            (" $.a", 0, "must not start with whitespace"),
            ("$.a ", 3, "must not end with whitespace"),
            ("$.", 2, "expected a field name after `.`"),
            ("$.a.", 4, "expected a field name after `.`"),
            ("$.a b", 3, "whitespace"),
            ("$...a", 3, "at most two dots"),
            ("$..", 3, "after `..`"),
            ("$[", 2, "after `[`"),
            ("$[0", 3, "expected `]` to close the `[` at byte 1"),
            ("$[]", 2, "empty brackets"),
            ("$['a]", 2, "unterminated string"),
            ("$['a\\q']", 4, "unknown escape"),
            ("$[abc]", 2, "quoted field name"),
            ("$[1:2:0]", 6, "step must not be 0"),
            ("$[99999999999999999999]", 2, "out of range"),
            ("$[-]", 3, "digits after `-`"),
            ("$[0,'a']", 4, "either names or indices"),
            ("$[?@.a]", 3, "expected `(` after `?`"),
            ("$[?()]", 3, "empty filter"),
            ("$[?(@.a", 3, "unclosed filter"),
            ("$[?(@.a == 'x)]", 11, "unterminated string"),
            ("$[?(@.a])]", 7, "unbalanced `]`"),
            ("$[?((@.a])]", 8, "mismatched `]`"),
            ("$[@.a]", 2, "only allowed inside a filter"),
            ("$.a.length()", 10, "function calls"),
            ("$.'a'", 2, "quoted names go in brackets"),
            ("$.a]", 3, "unexpected `]`"),
            ("$_x", 1, "`_` may not come first"),
            ("$1x", 1, "not a digit"),
            ("$*", 1, "after `$`"),
            ("$$$", 2, "expected `.`, `[` or the end of the path"),
            ("$x-y", 2, "variable names contain only"),
            ("$.*a", 3, "expected `.`, `[` or the end of the path"),
            ("$['\\ud800']", 3, "surrogate"),
        ];
        for (text, offset, message) in cases {
            let e = bad(text);
            assert_eq!(e.offset, *offset, "offset for `{text}`: {e}");
            assert!(e.message.contains(message), "message for `{text}`: {e}");
        }
        let long = format!("${}", "v".repeat(81));
        assert!(bad(&long).message.contains("maximum is 80"));
        assert!(parse_path(&format!("${}", "v".repeat(80))).is_ok());
    }

    #[test]
    fn filter_nesting_is_capped() {
        let deep = format!("$[?({}@.a{})]", "(".repeat(100), ")".repeat(100));
        let e = bad(&deep);
        assert!(e.message.contains("nests too deeply"), "{e}");
        let fine = format!("$[?({}@.a{})]", "(".repeat(20), ")".repeat(20));
        assert!(parse_path(&fine).is_ok());
    }

    #[test]
    fn reference_paths() {
        let p = parse_reference_path("$.total.points").unwrap_or_else(|e| panic!("{e}"));
        assert!(p.is_reference());
        assert_eq!(p.field_names(), Some(vec!["total", "points"]));
        let root = parse_reference_path("$").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(root.field_names(), Some(vec![]));
        assert!(parse_reference_path("$.a[0]['b c']").is_ok());
        assert!(parse_reference_path("$$.Execution.Input").is_ok());
        assert!(parse_reference_path("$var.x").is_ok());
        let cases: &[(&str, usize, &str)] = &[
            ("$.a.*", 4, "`*`"),
            ("$.a[*]", 4, "`*`"),
            ("$..a", 1, "`..`"),
            ("$.a[0,1]", 5, "`,`"),
            ("$['a','b']", 5, "`,`"),
            ("$.a[1:2]", 5, "`:`"),
            ("$.a[?(@.x)]", 4, "`?`"),
            ("$.a@b", 3, "`@`"),
            ("$.a:b", 3, "`:`"),
            ("$[@.a]", 2, "`@`"),
        ];
        for (text, offset, op) in cases {
            let e = bad_ref(text);
            assert_eq!(e.offset, *offset, "offset for `{text}`: {e}");
            assert!(
                e.message
                    .starts_with("a reference path must select a single node")
                    && e.message.contains(op),
                "message for `{text}`: {e}"
            );
        }
        assert_eq!(
            bad_ref("$.a.*").message,
            "a reference path must select a single node: `*` is not allowed"
        );
    }

    #[test]
    fn reference_checks_and_field_names() {
        assert!(!ok("$.a[*]").is_reference());
        assert!(ok("$.a[0].b").is_reference());
        assert_eq!(ok("$.a[0]").field_names(), None);
        assert_eq!(ok("$$.a").field_names(), None);
        assert_eq!(ok("$v.a").field_names(), None);
        assert_eq!(ok("$['a b'].c").field_names(), Some(vec!["a b", "c"]));
    }

    #[test]
    fn display_is_canonical() {
        let cases: &[(&str, &str)] = &[
            ("$", "$"),
            ("$$", "$$"),
            ("$.a.b", "$.a.b"),
            ("$['a']['b']", "$.a.b"),
            ("$['a b']", "$['a b']"),
            ("$.a[0]", "$.a[0]"),
            ("$.abc.['def ghi']", "$.abc['def ghi']"),
            ("$[ 0 , 1 ]", "$[0,1]"),
            ("$[\"a\",'b']", "$['a','b']"),
            ("$[*]", "$.*"),
            ("$..*", "$..*"),
            ("$..[*]", "$..*"),
            ("$..['x']", "$..x"),
            ("$..[1:2]", "$..[1:2]"),
            ("$.a[ 1 : : 2 ]", "$.a[1::2]"),
            ("$[?(@.a > 1)]", "$[?(@.a > 1)]"),
            ("$.store\\.book", "$['store.book']"),
            ("$[\"it's\"]", "$['it\\'s']"),
            ("$['tab\\there']", "$['tab\\there']"),
            ("$v.x", "$v.x"),
            ("$$.Execution.Id", "$$.Execution.Id"),
            ("$.my-field", "$.my-field"),
        ];
        for (text, shown) in cases {
            let p = ok(text);
            assert_eq!(p.to_string(), *shown, "display of `{text}`");
            round_trips(&p);
        }
    }

    #[test]
    fn display_round_trips_built_paths() {
        let paths = [
            input(vec![
                field("a.b"),
                field("*"),
                field(""),
                field("'\\\"\u{1}"),
            ]),
            input(vec![
                Segment::RecursiveDescent(Some("a b".into())),
                Segment::Index(-3),
            ]),
            input(vec![Segment::Union(vec![
                UnionMember::Field("x y".into()),
                UnionMember::Field("z".into()),
            ])]),
            input(vec![Segment::Slice {
                start: None,
                end: None,
                step: None,
            }]),
            input(vec![
                Segment::RecursiveDescent(None),
                Segment::Filter(filter("@.a")),
            ]),
        ];
        for p in &paths {
            round_trips(p);
        }
    }

    #[test]
    fn error_display() {
        let e = bad("$.");
        assert_eq!(e.to_string(), "expected a field name after `.` (at byte 2)");
        assert_eq!(e.clone().shifted(10).offset, 12);
        assert_eq!("$.a".parse::<Path>().map(|p| p.segments.len()), Ok(1));
    }

    /// A tiny deterministic xorshift generator (no dependencies).
    pub(crate) struct XorShift(pub u64);

    impl XorShift {
        pub(crate) fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }

        pub(crate) fn below(&mut self, n: usize) -> usize {
            if n == 0 {
                0
            } else {
                (self.next() % n as u64) as usize
            }
        }
    }

    #[test]
    fn never_panics_on_mutations() {
        const ALPHABET: &[&str] = &[
            "$", "$$", ".", "..", "[", "]", "(", ")", "'", "\"", "\\", ",", ":", "?", "@", "*",
            "-", "0", "1", "9", "a", "Z", "_", " ", "\t", "é", "中", "😀", "\\u", "d8", "=~", "/",
            "{", "}", "States.", "[?(", "?(@.", "\u{0}",
        ];
        let seeds = [
            "$.a.b[0]['c d']",
            "$$.Execution.Input.items[*]",
            "$..book[?(@.price < 10 && @.t == 'x')].title",
            "$var.x[1:3:2]",
            "$['a','b'][0,1]",
            "$.store\\.book.\\@x",
        ];
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        for round in 0..20_000 {
            let seed = seeds[round % seeds.len()];
            let mut chars: Vec<String> = seed.chars().map(String::from).collect();
            for _ in 0..=rng.below(4) {
                match rng.below(3) {
                    0 if !chars.is_empty() => {
                        let i = rng.below(chars.len());
                        chars.remove(i);
                    }
                    1 if !chars.is_empty() => {
                        let i = rng.below(chars.len());
                        let j = i + rng.below(chars.len() - i + 1);
                        chars.drain(i..j.min(chars.len()));
                    }
                    _ => {
                        let i = rng.below(chars.len() + 1);
                        let piece = ALPHABET[rng.below(ALPHABET.len())];
                        chars.insert(i, piece.to_string());
                    }
                }
            }
            let text: String = chars.concat();
            for result in [parse_path(&text), parse_reference_path(&text)] {
                match result {
                    Ok(p) => {
                        // Whatever parses must display as something that parses back the same.
                        let shown = p.to_string();
                        assert_eq!(parse_path(&shown).as_ref(), Ok(&p), "`{text}` → `{shown}`");
                    }
                    Err(e) => assert!(
                        e.offset <= text.len() && text.is_char_boundary(e.offset),
                        "`{text}`: {e}"
                    ),
                }
            }
        }
    }

    #[test]
    fn deep_and_long_inputs() {
        let long = format!("${}", "[0]".repeat(10_000));
        assert_eq!(ok(&long).segments.len(), 10_000);
        let brackets = format!("${}", "[".repeat(10_000));
        assert!(parse_path(&brackets).is_err());
        let filter = format!("$[?({}", "(".repeat(10_000));
        assert!(parse_path(&filter).is_err());
        let dots = format!("${}", ".a".repeat(10_000));
        assert!(parse_reference_path(&dots).is_ok());
    }
}
