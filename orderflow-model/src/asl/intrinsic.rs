//! Intrinsic functions (`States.Format(...)` and friends): grammar, arity, result types.
//!
//! A hand-written recursive-descent parser for the intrinsic function calls that JSONPath states
//! may use as the value of a `"key.$"` field in `Parameters` / `ResultSelector`. Rules taken from
//! the AWS documentation and the States Language specification:
//!
//! * A call is a function name (`A-Z a-z 0-9 . _`) immediately followed by `(`, zero or more
//!   comma-separated arguments, and `)`. AWS defines only the `States.` functions listed in
//!   [`IntrinsicFunction`].
//! * Arguments are strings in apostrophes, numbers, `true`/`false`, `null`, paths (`$.x`,
//!   `$$.x`, `$var`) or nested calls. Calls nest at most [`MAX_NESTING`] deep (an AWS limit),
//!   which also bounds this parser's recursion.
//! * In strings, `\'`, `\{`, `\}` and `\\` write `'`, `{`, `}` and `\` literally; any other
//!   backslash is an error. `{}` is a `States.Format` placeholder, and there must be exactly one
//!   value argument per placeholder. The documentation asks for `{` and `}` to be escaped, but
//!   AWS accepts a lone `{` or `}` (one that is not part of a `{}` pair) as a literal character:
//!   a recorded execution ran `States.StringToJson('{"constant_in_literal": "false"}')`. So a
//!   lone brace is literal text here too, and only `{}` (unescaped) is a placeholder.
//! * Argument types where the documentation requires them (integers for `States.ArrayRange`,
//!   `States.MathAdd`, `States.MathRandom`, a positive chunk size for `States.ArrayPartition`,
//!   a known algorithm for `States.Hash`, `false` for `States.JsonMerge`, a path for
//!   `States.JsonToString`, strings of at most 10,000 characters for `States.Base64Encode`,
//!   `States.Base64Decode` and `States.Hash`, at most 1,000 items from `States.ArrayRange`) are
//!   checked for literals and for nested calls whose result type is known.
//!
//! Errors are [`PathError`]s whose offsets are byte offsets into the whole call text; errors in
//! a path argument come from [`parse_path`], shifted to the whole text.

use std::fmt;

use serde_json::Number;

use crate::asl::path::{Path, PathError, parse_path};
use crate::shape::{ObjectShape, Shape};

/// How deeply intrinsic calls may nest in one field (AWS: "You can nest up to 10 intrinsic
/// functions within a field").
pub const MAX_NESTING: usize = 10;

/// The longest string `States.Base64Encode`, `States.Base64Decode` and `States.Hash` accept.
pub const MAX_STRING_INPUT_CHARS: usize = 10_000;

/// The most items `States.ArrayRange` may create.
pub const MAX_ARRAY_RANGE_ITEMS: i128 = 1_000;

/// The algorithms `States.Hash` accepts.
pub const HASH_ALGORITHMS: &[&str] = &["MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512"];

/// An intrinsic function the States Language defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntrinsicFunction {
    /// `States.Format(template, values…)`: the template with each `{}` replaced by a value.
    Format,
    /// `States.StringToJson(string)`: parses a JSON string into a value.
    StringToJson,
    /// `States.JsonToString(path)`: serializes the value at a path to a JSON string.
    JsonToString,
    /// `States.Array(values…)`: an array of the arguments.
    Array,
    /// `States.ArrayPartition(array, size)`: the array cut into chunks of `size` items.
    ArrayPartition,
    /// `States.ArrayContains(array, value)`: whether the array holds the value.
    ArrayContains,
    /// `States.ArrayRange(first, last, step)`: the integers from `first` to `last` by `step`.
    ArrayRange,
    /// `States.ArrayGetItem(array, index)`: the item at a zero-based index.
    ArrayGetItem,
    /// `States.ArrayLength(array)`: the number of items.
    ArrayLength,
    /// `States.ArrayUnique(array)`: the array with duplicates removed.
    ArrayUnique,
    /// `States.Base64Encode(string)`: the string encoded in Base64.
    Base64Encode,
    /// `States.Base64Decode(string)`: the Base64 string decoded.
    Base64Decode,
    /// `States.Hash(value, algorithm)`: the value's hex digest by one of [`HASH_ALGORITHMS`].
    Hash,
    /// `States.JsonMerge(a, b, false)`: `b`'s members merged shallowly into `a`.
    JsonMerge,
    /// `States.MathRandom(start, end[, seed])`: a random integer in `start..end`.
    MathRandom,
    /// `States.MathAdd(a, b)`: the sum of two integers.
    MathAdd,
    /// `States.StringSplit(string, separators)`: the string split at any separator character.
    StringSplit,
    /// `States.UUID()`: a random version 4 UUID.
    Uuid,
}

/// What an argument position accepts (checked for literals and nested calls; paths are
/// unknown until run time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Param {
    Any,
    /// Any value, but a literal string may have at most [`MAX_STRING_INPUT_CHARS`] characters.
    LimitedAny,
    /// A string, number, boolean or null (`States.Format` values).
    Scalar,
    String,
    /// A string of at most [`MAX_STRING_INPUT_CHARS`] characters.
    LimitedString,
    Integer,
    PositiveInteger,
    NonZeroInteger,
    Array,
    Object,
    /// `false` (`States.JsonMerge` supports shallow merging only).
    False,
    /// Must be written as a path.
    PathOnly,
    /// One of [`HASH_ALGORITHMS`].
    HashAlgorithm,
}

impl Param {
    fn expected(self) -> String {
        match self {
            Param::Any | Param::LimitedAny => "a value".into(),
            Param::Scalar => "a string, number, boolean or null".into(),
            Param::String | Param::LimitedString => "a string".into(),
            Param::Integer => "an integer".into(),
            Param::PositiveInteger => "a positive integer".into(),
            Param::NonZeroInteger => "a non-zero integer".into(),
            Param::Array => "an array".into(),
            Param::Object => "a JSON object".into(),
            Param::False => "`false`".into(),
            Param::PathOnly => "a path".into(),
            Param::HashAlgorithm => format!("one of {}", HASH_ALGORITHMS.join(", ")),
        }
    }
}

impl IntrinsicFunction {
    /// Every intrinsic function, in the order of the AWS documentation.
    pub const ALL: &'static [IntrinsicFunction] = &[
        IntrinsicFunction::Format,
        IntrinsicFunction::StringToJson,
        IntrinsicFunction::JsonToString,
        IntrinsicFunction::Array,
        IntrinsicFunction::ArrayPartition,
        IntrinsicFunction::ArrayContains,
        IntrinsicFunction::ArrayRange,
        IntrinsicFunction::ArrayGetItem,
        IntrinsicFunction::ArrayLength,
        IntrinsicFunction::ArrayUnique,
        IntrinsicFunction::Base64Encode,
        IntrinsicFunction::Base64Decode,
        IntrinsicFunction::Hash,
        IntrinsicFunction::JsonMerge,
        IntrinsicFunction::MathRandom,
        IntrinsicFunction::MathAdd,
        IntrinsicFunction::StringSplit,
        IntrinsicFunction::Uuid,
    ];

    /// `"States.Format"` → `Format`. Names are case-sensitive.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|f| f.name() == name)
    }

    /// The full name, e.g. `"States.Format"`.
    pub fn name(self) -> &'static str {
        match self {
            IntrinsicFunction::Format => "States.Format",
            IntrinsicFunction::StringToJson => "States.StringToJson",
            IntrinsicFunction::JsonToString => "States.JsonToString",
            IntrinsicFunction::Array => "States.Array",
            IntrinsicFunction::ArrayPartition => "States.ArrayPartition",
            IntrinsicFunction::ArrayContains => "States.ArrayContains",
            IntrinsicFunction::ArrayRange => "States.ArrayRange",
            IntrinsicFunction::ArrayGetItem => "States.ArrayGetItem",
            IntrinsicFunction::ArrayLength => "States.ArrayLength",
            IntrinsicFunction::ArrayUnique => "States.ArrayUnique",
            IntrinsicFunction::Base64Encode => "States.Base64Encode",
            IntrinsicFunction::Base64Decode => "States.Base64Decode",
            IntrinsicFunction::Hash => "States.Hash",
            IntrinsicFunction::JsonMerge => "States.JsonMerge",
            IntrinsicFunction::MathRandom => "States.MathRandom",
            IntrinsicFunction::MathAdd => "States.MathAdd",
            IntrinsicFunction::StringSplit => "States.StringSplit",
            IntrinsicFunction::Uuid => "States.UUID",
        }
    }

    /// `(min, max)` number of arguments; `max` is `None` for variadic functions.
    pub fn arity(self) -> (usize, Option<usize>) {
        match self {
            IntrinsicFunction::Format => (1, None),
            IntrinsicFunction::Array => (0, None),
            IntrinsicFunction::Uuid => (0, Some(0)),
            IntrinsicFunction::StringToJson
            | IntrinsicFunction::JsonToString
            | IntrinsicFunction::ArrayLength
            | IntrinsicFunction::ArrayUnique
            | IntrinsicFunction::Base64Encode
            | IntrinsicFunction::Base64Decode => (1, Some(1)),
            IntrinsicFunction::ArrayPartition
            | IntrinsicFunction::ArrayContains
            | IntrinsicFunction::ArrayGetItem
            | IntrinsicFunction::Hash
            | IntrinsicFunction::MathAdd
            | IntrinsicFunction::StringSplit => (2, Some(2)),
            IntrinsicFunction::MathRandom => (2, Some(3)),
            IntrinsicFunction::ArrayRange | IntrinsicFunction::JsonMerge => (3, Some(3)),
        }
    }

    /// The shape of the value the function returns.
    pub fn result_shape(self) -> Shape {
        match self {
            IntrinsicFunction::Format
            | IntrinsicFunction::JsonToString
            | IntrinsicFunction::Base64Encode
            | IntrinsicFunction::Base64Decode
            | IntrinsicFunction::Hash
            | IntrinsicFunction::Uuid => Shape::String,
            IntrinsicFunction::StringToJson | IntrinsicFunction::ArrayGetItem => Shape::Any,
            IntrinsicFunction::Array | IntrinsicFunction::ArrayUnique => {
                Shape::Array(Box::new(Shape::Any))
            }
            IntrinsicFunction::ArrayPartition => {
                Shape::Array(Box::new(Shape::Array(Box::new(Shape::Any))))
            }
            IntrinsicFunction::ArrayContains => Shape::Bool,
            IntrinsicFunction::ArrayRange => Shape::Array(Box::new(Shape::Integer)),
            IntrinsicFunction::ArrayLength
            | IntrinsicFunction::MathRandom
            | IntrinsicFunction::MathAdd => Shape::Integer,
            IntrinsicFunction::JsonMerge => Shape::Object(ObjectShape::open()),
            IntrinsicFunction::StringSplit => Shape::Array(Box::new(Shape::String)),
        }
    }

    /// What each argument position accepts: the fixed positions, then the rest (variadic).
    fn params(self) -> (&'static [Param], Option<Param>) {
        use Param as P;
        match self {
            IntrinsicFunction::Format => (&[P::String], Some(P::Scalar)),
            IntrinsicFunction::StringToJson => (&[P::String], None),
            IntrinsicFunction::JsonToString => (&[P::PathOnly], None),
            IntrinsicFunction::Array => (&[], Some(P::Any)),
            IntrinsicFunction::ArrayPartition => (&[P::Array, P::PositiveInteger], None),
            IntrinsicFunction::ArrayContains => (&[P::Array, P::Any], None),
            IntrinsicFunction::ArrayRange => (&[P::Integer, P::Integer, P::NonZeroInteger], None),
            IntrinsicFunction::ArrayGetItem => (&[P::Array, P::Integer], None),
            IntrinsicFunction::ArrayLength | IntrinsicFunction::ArrayUnique => (&[P::Array], None),
            IntrinsicFunction::Base64Encode | IntrinsicFunction::Base64Decode => {
                (&[P::LimitedString], None)
            }
            IntrinsicFunction::Hash => (&[P::LimitedAny, P::HashAlgorithm], None),
            IntrinsicFunction::JsonMerge => (&[P::Object, P::Object, P::False], None),
            IntrinsicFunction::MathRandom => (&[P::Integer, P::Integer, P::Integer], None),
            IntrinsicFunction::MathAdd => (&[P::Integer, P::Integer], None),
            IntrinsicFunction::StringSplit => (&[P::String, P::String], None),
            IntrinsicFunction::Uuid => (&[], None),
        }
    }

    fn param(self, index: usize) -> Param {
        let (fixed, rest) = self.params();
        fixed.get(index).copied().or(rest).unwrap_or(Param::Any)
    }

    /// "takes 2 arguments", "takes 2 or 3 arguments", "takes at least 1 argument", …
    fn arity_phrase(self) -> String {
        fn plural(n: usize) -> &'static str {
            if n == 1 { "argument" } else { "arguments" }
        }
        match self.arity() {
            (0, Some(0)) => "takes no arguments".into(),
            (min, Some(max)) if min == max => format!("takes {min} {}", plural(min)),
            (min, Some(max)) if max == min + 1 => format!("takes {min} or {max} arguments"),
            (min, Some(max)) => format!("takes {min} to {max} arguments"),
            (min, None) => format!("takes at least {min} {}", plural(min)),
        }
    }
}

impl fmt::Display for IntrinsicFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One argument of an intrinsic call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntrinsicArg {
    /// A `'quoted'` string with its escapes (`\'`, `\{`, `\}`, `\\`) resolved.
    String(String),
    /// A number.
    Number(Number),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// `$.x`, `$$.x` or `$var…`; `offset` is where the path starts in the call text.
    Path {
        /// The parsed path.
        path: Path,
        /// The byte offset where the path starts in the call text.
        offset: usize,
    },
    /// A nested intrinsic call.
    Call(IntrinsicCall),
}

/// A parsed intrinsic function call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntrinsicCall {
    /// The function called.
    pub function: IntrinsicFunction,
    /// Byte offset of the function name in the call text.
    pub offset: usize,
    /// The arguments, in order.
    pub args: Vec<IntrinsicArg>,
    /// For a `States.Format` call whose template is a string literal: the template split into
    /// text and placeholders (the decoded [`IntrinsicArg::String`] cannot tell `{}` from `\{\}`).
    pub format_template: Option<Vec<TemplatePiece>>,
}

impl IntrinsicCall {
    /// Every path the call reads, nested calls included, with its offset, in source order.
    pub fn paths(&self) -> Vec<(&Path, usize)> {
        let mut out = Vec::new();
        // An explicit stack, so hand-built calls of any depth are fine.
        let mut stack: Vec<std::slice::Iter<'_, IntrinsicArg>> = vec![self.args.iter()];
        while let Some(top) = stack.last_mut() {
            match top.next() {
                None => {
                    stack.pop();
                }
                Some(IntrinsicArg::Path { path, offset }) => out.push((path, *offset)),
                Some(IntrinsicArg::Call(call)) => stack.push(call.args.iter()),
                Some(_) => {}
            }
        }
        out
    }
}

/// A piece of a `States.Format` template string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplatePiece {
    /// Literal text (escapes resolved; `\{\}` gives the text `{}`, not a placeholder).
    Text(String),
    /// `{}`: the next value argument.
    Placeholder,
}

/// The template of one `States.Format` call whose first argument is a string literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatTemplate {
    /// The [`IntrinsicCall::offset`] of the `States.Format` call.
    pub call_offset: usize,
    /// The template's text and placeholders, in order.
    pub pieces: Vec<TemplatePiece>,
}

/// Whether a `"key.$"` value is meant as an intrinsic function call (it starts with `States.`).
pub fn looks_like_intrinsic(text: &str) -> bool {
    text.starts_with("States.")
}

/// Parses and checks an intrinsic function call such as `States.Format('{} items', $.count)`.
pub fn parse_intrinsic(text: &str) -> Result<IntrinsicCall, PathError> {
    Parser::new(text).parse_top()
}

/// The templates of every `States.Format` call in `text` whose template is a string literal,
/// split into text and placeholders. [`IntrinsicArg::String`] holds the template with escapes
/// resolved, which cannot tell a `{}` placeholder from an escaped `\{\}`; this can.
pub fn format_templates(text: &str) -> Result<Vec<FormatTemplate>, PathError> {
    let mut parser = Parser::new(text);
    parser.parse_top()?;
    Ok(parser.templates)
}

/// Writes a string argument in intrinsic syntax: `'…'` with reserved characters escaped. `{}`
/// pairs are written unescaped (the decoded value cannot say whether they were escaped; outside
/// a `States.Format` template the two mean the same).
fn write_string_arg(f: &mut fmt::Formatter<'_>, value: &str) -> fmt::Result {
    f.write_str("'")?;
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'}') => {
                chars.next();
                f.write_str("{}")?;
            }
            '\'' | '{' | '}' | '\\' => write!(f, "\\{c}")?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("'")
}

impl fmt::Display for IntrinsicArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IntrinsicArg::String(s) => write_string_arg(f, s),
            IntrinsicArg::Number(n) => write!(f, "{n}"),
            IntrinsicArg::Bool(b) => write!(f, "{b}"),
            IntrinsicArg::Null => f.write_str("null"),
            IntrinsicArg::Path { path, .. } => write!(f, "{path}"),
            IntrinsicArg::Call(call) => write!(f, "{call}"),
        }
    }
}

/// Writes a `States.Format` template from its pieces: every literal brace escaped, so only the
/// placeholders read back as `{}`.
fn write_template(f: &mut fmt::Formatter<'_>, pieces: &[TemplatePiece]) -> fmt::Result {
    f.write_str("'")?;
    for piece in pieces {
        match piece {
            TemplatePiece::Placeholder => f.write_str("{}")?,
            TemplatePiece::Text(text) => {
                for c in text.chars() {
                    match c {
                        '\'' | '{' | '}' | '\\' => write!(f, "\\{c}")?,
                        c => write!(f, "{c}")?,
                    }
                }
            }
        }
    }
    f.write_str("'")
}

impl fmt::Display for IntrinsicCall {
    /// Canonical intrinsic syntax: `States.Format('{} items', $.count)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", self.function.name())?;
        for (i, arg) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            match (&self.format_template, arg) {
                (Some(pieces), IntrinsicArg::String(_)) if i == 0 => write_template(f, pieces)?,
                _ => write!(f, "{arg}")?,
            }
        }
        f.write_str(")")
    }
}

/// The known name closest to `name` (case-insensitively, `States.` optional), if close enough
/// to be a likely typo.
fn closest_function(name: &str) -> Option<&'static str> {
    let len = name.chars().count();
    if len == 0 || len > 64 {
        return None;
    }
    let lower = name.to_lowercase();
    let qualified = format!("states.{lower}");
    let limit = (len / 4).max(2);
    IntrinsicFunction::ALL
        .iter()
        .map(|f| {
            let candidate = f.name().to_lowercase();
            let d = crate::suggest::distance(&lower, &candidate)
                .min(crate::suggest::distance(&qualified, &candidate));
            // Ties go to the longest common prefix: `States.ArrayLen` → `States.ArrayLength`.
            let prefix = lower
                .chars()
                .zip(candidate.chars())
                .take_while(|(a, b)| a == b)
                .count();
            (d, std::cmp::Reverse(prefix), f.name())
        })
        .filter(|(d, _, _)| *d <= limit)
        .min_by_key(|(d, prefix, _)| (*d, *prefix))
        .map(|(_, _, n)| n)
}

/// The closest hash algorithm to `name`, if any is close.
fn closest_algorithm(name: &str) -> Option<&'static str> {
    if name.chars().count() > 32 {
        return None;
    }
    let upper = name.to_uppercase();
    HASH_ALGORITHMS
        .iter()
        .map(|a| (crate::suggest::distance(&upper, a), *a))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, a)| a)
}

/// A short description of an argument for messages: "the string 'abc'", "`null`", …
fn describe_arg(arg: &IntrinsicArg) -> String {
    match arg {
        IntrinsicArg::String(s) => {
            let mut shown: String = s.chars().take(40).collect();
            if s.chars().count() > 40 {
                shown.push('…');
            }
            format!("the string '{shown}'")
        }
        IntrinsicArg::Number(n) => format!("the number {n}"),
        IntrinsicArg::Bool(b) => format!("`{b}`"),
        IntrinsicArg::Null => "`null`".into(),
        IntrinsicArg::Path { .. } => "a path".into(),
        IntrinsicArg::Call(call) => format!(
            "`{}(…)`, which returns {}",
            call.function.name(),
            describe_shape(&call.function.result_shape())
        ),
    }
}

fn describe_shape(shape: &Shape) -> &'static str {
    match shape {
        Shape::Any | Shape::Union(_) => "any value",
        Shape::Null => "null",
        Shape::Bool => "a boolean",
        Shape::Integer => "an integer",
        Shape::Number => "a number",
        Shape::String | Shape::StringEnum(_) => "a string",
        Shape::Array(_) => "an array",
        Shape::Object(_) => "a JSON object",
    }
}

/// Whether a value of `shape` can satisfy `param` (as far as is known before run time).
fn shape_fits(shape: &Shape, param: Param) -> bool {
    if matches!(shape, Shape::Any | Shape::Union(_)) {
        return true;
    }
    match param {
        Param::Any | Param::LimitedAny => true,
        Param::Scalar => !matches!(shape, Shape::Array(_) | Shape::Object(_)),
        Param::String | Param::LimitedString | Param::HashAlgorithm => {
            matches!(shape, Shape::String | Shape::StringEnum(_))
        }
        Param::Integer | Param::PositiveInteger | Param::NonZeroInteger => {
            matches!(shape, Shape::Integer | Shape::Number)
        }
        Param::Array => matches!(shape, Shape::Array(_)),
        Param::Object => matches!(shape, Shape::Object(_)),
        Param::False => matches!(shape, Shape::Bool),
        Param::PathOnly => false,
    }
}

/// A parsed argument with where it starts and, for strings, its template pieces.
struct ParsedArg {
    arg: IntrinsicArg,
    offset: usize,
    /// For string literals: the number of `{}` placeholders and the template pieces.
    template: Option<(usize, Vec<TemplatePiece>)>,
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
    templates: Vec<FormatTemplate>,
}

const ARGUMENT_KINDS: &str = "a string in apostrophes ('…'), a number, `true`, `false`, `null`, \
                              a path starting with `$`, or an intrinsic function call";

impl<'a> Parser<'a> {
    fn new(src: &'a str) -> Self {
        Parser {
            src,
            pos: 0,
            templates: Vec::new(),
        }
    }

    fn peek(&self) -> Option<char> {
        self.src
            .get(self.pos..)
            .and_then(|rest| rest.chars().next())
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn err<T>(&self, offset: usize, message: impl Into<String>) -> Result<T, PathError> {
        Err(PathError::new(offset, message))
    }

    fn skip_spaces(&mut self) {
        while let Some(c) = self.peek() {
            if !c.is_whitespace() {
                break;
            }
            self.pos += c.len_utf8();
        }
    }

    fn parse_top(&mut self) -> Result<IntrinsicCall, PathError> {
        match self.peek() {
            None => {
                return self.err(
                    0,
                    "expected an intrinsic function call like `States.Format(...)`",
                );
            }
            Some(c) if c.is_whitespace() => {
                return self.err(
                    0,
                    "an intrinsic function call must not start with whitespace",
                );
            }
            Some('$') => {
                return self.err(
                    0,
                    "expected an intrinsic function call like `States.Format(...)`, found a path",
                );
            }
            Some(_) => {}
        }
        let call = self.parse_call(1)?;
        if let Some(c) = self.peek() {
            let rest_is_space = self
                .src
                .get(self.pos..)
                .is_some_and(|rest| rest.chars().all(char::is_whitespace));
            if rest_is_space {
                return self.err(
                    self.pos,
                    "unexpected whitespace after the end of the intrinsic function call",
                );
            }
            return self.err(
                self.pos,
                format!("unexpected `{c}` after the end of the intrinsic function call"),
            );
        }
        Ok(call)
    }

    /// Scans a name (`A-Z a-z 0-9 . _`) and returns it.
    fn name(&mut self) -> &'a str {
        let start = self.pos;
        while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || c == '.' || c == '_') {
            self.pos += 1;
        }
        self.src.get(start..self.pos).unwrap_or_default()
    }

    /// A call: name `(` args `)`. `depth` is 1 for the outermost call.
    fn parse_call(&mut self, depth: usize) -> Result<IntrinsicCall, PathError> {
        let name_start = self.pos;
        let name = self.name();
        if name.is_empty() {
            return match self.peek() {
                Some(c) => self.err(
                    self.pos,
                    format!(
                        "expected an intrinsic function name like `States.Format`, found `{c}`"
                    ),
                ),
                None => self.err(
                    self.pos,
                    "expected an intrinsic function name like `States.Format`",
                ),
            };
        }
        let Some(function) = IntrinsicFunction::from_name(name) else {
            let mut message = format!("unknown intrinsic function `{name}`");
            if let Some(suggestion) = closest_function(name) {
                message.push_str(&format!("; did you mean `{suggestion}`?"));
            }
            return self.err(name_start, message);
        };
        if depth > MAX_NESTING {
            return self.err(
                name_start,
                format!(
                    "intrinsic functions nest too deeply: AWS allows at most {MAX_NESTING} \
                     levels in one field"
                ),
            );
        }
        if self.peek() != Some('(') {
            return self.err(self.pos, format!("expected `(` right after `{name}`"));
        }
        let open = self.pos;
        self.pos += 1;
        self.skip_spaces();
        let mut args: Vec<ParsedArg> = Vec::new();
        if self.peek() == Some(')') {
            self.pos += 1;
        } else {
            loop {
                self.skip_spaces();
                args.push(self.parse_arg(depth)?);
                self.skip_spaces();
                match self.peek() {
                    Some(',') => {
                        self.pos += 1;
                        self.skip_spaces();
                        if self.peek() == Some(')') {
                            return self.err(self.pos, "expected an argument after `,`");
                        }
                    }
                    Some(')') => {
                        self.pos += 1;
                        break;
                    }
                    None => {
                        return self.err(
                            self.pos,
                            format!("expected `,` or `)`: the `(` at byte {open} is never closed"),
                        );
                    }
                    Some(c) => {
                        return self.err(
                            self.pos,
                            format!("expected `,` or `)` after an argument, found `{c}`"),
                        );
                    }
                }
            }
        }
        let close = self.pos - 1;
        self.check(function, name_start, close, &args)?;
        let mut format_template = None;
        if function == IntrinsicFunction::Format {
            if let Some(first) = args.first_mut() {
                if let Some((_, pieces)) = first.template.take() {
                    format_template = Some(pieces.clone());
                    self.templates.push(FormatTemplate {
                        call_offset: name_start,
                        pieces,
                    });
                }
            }
        }
        Ok(IntrinsicCall {
            function,
            offset: name_start,
            args: args.into_iter().map(|a| a.arg).collect(),
            format_template,
        })
    }

    fn parse_arg(&mut self, depth: usize) -> Result<ParsedArg, PathError> {
        let start = self.pos;
        let simple = |arg| ParsedArg {
            arg,
            offset: start,
            template: None,
        };
        match self.peek() {
            None => self.err(
                self.pos,
                format!("expected an argument, found the end of the text: {ARGUMENT_KINDS}"),
            ),
            Some('\'') => {
                let (value, placeholders, pieces) = self.string()?;
                Ok(ParsedArg {
                    arg: IntrinsicArg::String(value),
                    offset: start,
                    template: Some((placeholders, pieces)),
                })
            }
            Some('$') => {
                let path = self.path_arg()?;
                Ok(simple(IntrinsicArg::Path {
                    path,
                    offset: start,
                }))
            }
            Some(c) if c == '-' || c.is_ascii_digit() => Ok(simple(self.number()?)),
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {
                let word = self.name();
                if self.peek() == Some('(') {
                    self.pos = start;
                    let call = self.parse_call(depth + 1)?;
                    return Ok(simple(IntrinsicArg::Call(call)));
                }
                match word {
                    "null" => Ok(simple(IntrinsicArg::Null)),
                    "true" => Ok(simple(IntrinsicArg::Bool(true))),
                    "false" => Ok(simple(IntrinsicArg::Bool(false))),
                    _ if IntrinsicFunction::from_name(word).is_some() => {
                        self.err(self.pos, format!("expected `(` right after `{word}`"))
                    }
                    _ => self.err(
                        start,
                        format!("unexpected `{word}`; expected {ARGUMENT_KINDS}"),
                    ),
                }
            }
            Some('"') => self.err(
                self.pos,
                "strings in intrinsic functions are written in apostrophes: '…', not \"…\"",
            ),
            Some(',') | Some(')') => {
                self.err(self.pos, format!("expected an argument: {ARGUMENT_KINDS}"))
            }
            Some(c) => self.err(
                self.pos,
                format!("unexpected `{c}`; expected {ARGUMENT_KINDS}"),
            ),
        }
    }

    /// A `'…'` string: returns its value, the number of `{}` placeholders and the pieces.
    fn string(&mut self) -> Result<(String, usize, Vec<TemplatePiece>), PathError> {
        let open = self.pos;
        self.pos += 1;
        let mut value = String::new();
        let mut text = String::new();
        let mut pieces = Vec::new();
        let mut placeholders = 0usize;
        loop {
            let at = self.pos;
            match self.bump() {
                None => return self.err(open, "unterminated string: expected a closing `'`"),
                Some('\'') => break,
                Some('\\') => match self.bump() {
                    Some(c @ ('\'' | '{' | '}' | '\\')) => {
                        value.push(c);
                        text.push(c);
                    }
                    None => return self.err(open, "unterminated string: expected a closing `'`"),
                    Some(c) => {
                        return self.err(
                            at,
                            format!(
                                "unknown escape `\\{c}` in an intrinsic function string: only \
                                 \\', \\{{, \\}} and \\\\ are allowed"
                            ),
                        );
                    }
                },
                Some('{') if self.peek() == Some('}') => {
                    self.pos += 1;
                    placeholders += 1;
                    value.push_str("{}");
                    if !text.is_empty() {
                        pieces.push(TemplatePiece::Text(std::mem::take(&mut text)));
                    }
                    pieces.push(TemplatePiece::Placeholder);
                }
                // A lone `{` or `}` is literal: AWS accepts it unescaped (see the module docs).
                Some(c) => {
                    value.push(c);
                    text.push(c);
                }
            }
        }
        if !text.is_empty() {
            pieces.push(TemplatePiece::Text(text));
        }
        Ok((value, placeholders, pieces))
    }

    /// A number in JSON syntax.
    fn number(&mut self) -> Result<IntrinsicArg, PathError> {
        let start = self.pos;
        while matches!(self.peek(), Some(c) if c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
        {
            self.pos += 1;
        }
        let text = self.src.get(start..self.pos).unwrap_or_default();
        match text.parse::<Number>() {
            Ok(n) => Ok(IntrinsicArg::Number(n)),
            Err(_) => self.err(start, format!("invalid number `{text}`")),
        }
    }

    /// A path argument: up to the next `,`, `)` or whitespace outside brackets and quotes.
    fn path_arg(&mut self) -> Result<Path, PathError> {
        let start = self.pos;
        let mut brackets = 0usize;
        let mut quote: Option<char> = None;
        while let Some(c) = self.peek() {
            if let Some(q) = quote {
                self.pos += c.len_utf8();
                if c == '\\' {
                    self.bump();
                } else if c == q {
                    quote = None;
                }
                continue;
            }
            match c {
                '\\' => {
                    self.pos += 1;
                    self.bump();
                    continue;
                }
                '[' => brackets += 1,
                ']' => brackets = brackets.saturating_sub(1),
                '\'' | '"' if brackets > 0 => quote = Some(c),
                ',' | ')' if brackets == 0 => break,
                c if c.is_whitespace() && brackets == 0 => break,
                _ => {}
            }
            self.pos += c.len_utf8();
        }
        let text = self.src.get(start..self.pos).unwrap_or_default();
        parse_path(text).map_err(|e| e.shifted(start))
    }

    /// Arity, argument types and the `States.Format` placeholder count.
    fn check(
        &self,
        function: IntrinsicFunction,
        name_offset: usize,
        close: usize,
        args: &[ParsedArg],
    ) -> Result<(), PathError> {
        let name = function.name();
        let (min, max) = function.arity();
        if args.len() < min || max.is_some_and(|max| args.len() > max) {
            let offset = match max {
                Some(max) if args.len() > max => args.get(max).map_or(close, |a| a.offset),
                _ => close,
            };
            return self.err(
                offset,
                format!("{name} {}, found {}", function.arity_phrase(), args.len()),
            );
        }
        for (i, parsed) in args.iter().enumerate() {
            self.check_arg(function, i, parsed)?;
        }
        match function {
            IntrinsicFunction::Format => {
                if let Some((placeholders, _)) = args.first().and_then(|a| a.template.as_ref()) {
                    let values = args.len() - 1;
                    if *placeholders != values {
                        let plural = |n: usize, one: &str, many: &str| {
                            if n == 1 {
                                format!("{n} {one}")
                            } else {
                                format!("{n} {many}")
                            }
                        };
                        return self.err(
                            args.first().map_or(name_offset, |a| a.offset),
                            format!(
                                "the States.Format template has {} but {} after it; each `{{}}` \
                                 needs exactly one value (write `\\{{\\}}` for literal braces)",
                                plural(*placeholders, "`{}` placeholder", "`{}` placeholders"),
                                plural(values, "value argument follows", "value arguments follow"),
                            ),
                        );
                    }
                }
            }
            IntrinsicFunction::ArrayRange => {
                let ints: Vec<i128> = args
                    .iter()
                    .filter_map(|a| match &a.arg {
                        IntrinsicArg::Number(n) => n.as_i64().map(i128::from),
                        _ => None,
                    })
                    .collect();
                if let [start, end, step] = ints[..] {
                    let count = if step > 0 && end >= start {
                        (end - start) / step + 1
                    } else if step < 0 && start >= end {
                        (start - end) / -step + 1
                    } else {
                        0
                    };
                    if count > MAX_ARRAY_RANGE_ITEMS {
                        return self.err(
                            name_offset,
                            format!(
                                "States.ArrayRange({start}, {end}, {step}) would create {count} \
                                 items; the maximum is {MAX_ARRAY_RANGE_ITEMS}"
                            ),
                        );
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn check_arg(
        &self,
        function: IntrinsicFunction,
        index: usize,
        parsed: &ParsedArg,
    ) -> Result<(), PathError> {
        let param = function.param(index);
        let name = function.name();
        let position = index + 1;
        let mismatch = || {
            self.err(
                parsed.offset,
                format!(
                    "argument {position} of {name} must be {}, found {}",
                    param.expected(),
                    describe_arg(&parsed.arg)
                ),
            )
        };
        match (&parsed.arg, param) {
            (_, Param::Any) => Ok(()),
            (IntrinsicArg::Path { .. }, _) => Ok(()),
            (_, Param::PathOnly) => mismatch(),
            (IntrinsicArg::Call(call), _) => {
                if shape_fits(&call.function.result_shape(), param) {
                    Ok(())
                } else {
                    mismatch()
                }
            }
            (IntrinsicArg::String(s), Param::LimitedAny | Param::LimitedString) => {
                let chars = s.chars().count();
                if chars > MAX_STRING_INPUT_CHARS {
                    self.err(
                        parsed.offset,
                        format!(
                            "argument {position} of {name} is {chars} characters long; \
                             the maximum is {MAX_STRING_INPUT_CHARS}"
                        ),
                    )
                } else {
                    Ok(())
                }
            }
            (_, Param::LimitedAny) => Ok(()),
            (IntrinsicArg::String(_), Param::String | Param::Scalar) => Ok(()),
            (IntrinsicArg::String(s), Param::HashAlgorithm) => {
                if HASH_ALGORITHMS.contains(&s.as_str()) {
                    Ok(())
                } else {
                    let mut message = format!(
                        "unknown hash algorithm '{s}' in {name}: expected one of {}",
                        HASH_ALGORITHMS.join(", ")
                    );
                    if let Some(suggestion) = closest_algorithm(s) {
                        message.push_str(&format!("; did you mean '{suggestion}'?"));
                    }
                    self.err(parsed.offset, message)
                }
            }
            (
                IntrinsicArg::Number(_) | IntrinsicArg::Bool(_) | IntrinsicArg::Null,
                Param::Scalar,
            ) => Ok(()),
            (
                IntrinsicArg::Number(n),
                Param::Integer | Param::PositiveInteger | Param::NonZeroInteger,
            ) => match n.as_i64() {
                None => mismatch(),
                Some(v) if param == Param::PositiveInteger && v <= 0 => mismatch(),
                Some(0) if param == Param::NonZeroInteger => mismatch(),
                Some(_) => Ok(()),
            },
            (IntrinsicArg::Bool(false), Param::False) => Ok(()),
            (IntrinsicArg::Bool(true), Param::False) => self.err(
                parsed.offset,
                format!(
                    "argument {position} of {name} must be `false`: Step Functions supports \
                     only shallow merging"
                ),
            ),
            _ => mismatch(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asl::path::{PathRoot, Segment};

    fn ok(text: &str) -> IntrinsicCall {
        match parse_intrinsic(text) {
            Ok(c) => c,
            Err(e) => panic!("`{text}` should parse: {e}"),
        }
    }

    fn bad(text: &str) -> PathError {
        match parse_intrinsic(text) {
            Ok(c) => panic!("`{text}` should not parse, got {c:?}"),
            Err(e) => e,
        }
    }

    fn num(n: i64) -> IntrinsicArg {
        IntrinsicArg::Number(Number::from(n))
    }

    fn string(s: &str) -> IntrinsicArg {
        IntrinsicArg::String(s.to_string())
    }

    #[test]
    fn names_round_trip_and_arities_match_params() {
        assert_eq!(IntrinsicFunction::ALL.len(), 18);
        for f in IntrinsicFunction::ALL {
            assert_eq!(IntrinsicFunction::from_name(f.name()), Some(*f));
            let (min, max) = f.arity();
            let (fixed, rest) = f.params();
            assert!(min <= fixed.len(), "{f}");
            assert_eq!(max.is_none(), rest.is_some(), "{f}");
            if let Some(max) = max {
                assert_eq!(max, fixed.len(), "{f}");
            }
        }
        assert_eq!(
            IntrinsicFunction::from_name("States.UUID"),
            Some(IntrinsicFunction::Uuid)
        );
        assert_eq!(IntrinsicFunction::from_name("States.format"), None);
        assert_eq!(IntrinsicFunction::MathRandom.arity(), (2, Some(3)));
        assert_eq!(IntrinsicFunction::Format.arity(), (1, None));
        assert_eq!(IntrinsicFunction::Array.arity(), (0, None));
    }

    #[test]
    fn result_shapes() {
        use IntrinsicFunction as F;
        assert_eq!(F::Format.result_shape(), Shape::String);
        assert_eq!(F::StringToJson.result_shape(), Shape::Any);
        assert_eq!(
            F::ArrayPartition.result_shape(),
            Shape::Array(Box::new(Shape::Array(Box::new(Shape::Any))))
        );
        assert_eq!(
            F::ArrayRange.result_shape(),
            Shape::Array(Box::new(Shape::Integer))
        );
        assert_eq!(F::ArrayContains.result_shape(), Shape::Bool);
        assert_eq!(F::MathAdd.result_shape(), Shape::Integer);
        assert_eq!(
            F::JsonMerge.result_shape(),
            Shape::Object(ObjectShape::open())
        );
        assert_eq!(
            F::StringSplit.result_shape(),
            Shape::Array(Box::new(Shape::String))
        );
        assert_eq!(F::Uuid.result_shape(), Shape::String);
    }

    #[test]
    fn looks_like() {
        assert!(looks_like_intrinsic("States.Format('x')"));
        assert!(!looks_like_intrinsic("$.a"));
        assert!(!looks_like_intrinsic(" States.UUID()"));
    }

    #[test]
    fn valid_calls() {
        let c = ok("States.Format('Hello, my name is {}.', $.name)");
        assert_eq!(c.function, IntrinsicFunction::Format);
        assert_eq!(c.offset, 0);
        assert_eq!(c.args[0], string("Hello, my name is {}."));
        match &c.args[1] {
            IntrinsicArg::Path { path, offset } => {
                assert_eq!(path.to_string(), "$.name");
                assert_eq!(*offset, 39);
            }
            other => panic!("expected a path, got {other:?}"),
        }
        assert_eq!(ok("States.UUID()").args, vec![]);
        assert_eq!(ok("States.Array()").args, vec![]);
        assert_eq!(
            ok("States.Array('Foo', 2020, $.someJson, null, true, -1.5e3)")
                .args
                .len(),
            6
        );
        assert_eq!(
            ok("States.ArrayRange(1, 9, 2)").args,
            vec![num(1), num(9), num(2)]
        );
        assert_eq!(ok("States.MathRandom($.start, $.end)").args.len(), 2);
        assert_eq!(ok("States.MathRandom(1, 999, 7)").args.len(), 3);
        assert_eq!(ok("States.MathAdd($.value1, -1)").args[1], num(-1));
        assert!(parse_intrinsic("States.JsonMerge($.json1, $.json2, false)").is_ok());
        assert!(parse_intrinsic("States.Hash($.Data, 'SHA-256')").is_ok());
        assert!(parse_intrinsic("States.Hash($.Data, $.Algorithm)").is_ok());
        assert!(parse_intrinsic("States.ArrayPartition($.inputArray,4)").is_ok());
        assert!(parse_intrinsic("States.ArrayContains($.inputArray, $.lookingFor)").is_ok());
        assert!(parse_intrinsic("States.ArrayGetItem($.inputArray, $.index)").is_ok());
        assert!(parse_intrinsic("States.ArrayLength($.inputArray)").is_ok());
        assert!(parse_intrinsic("States.ArrayUnique($.inputArray)").is_ok());
        assert!(parse_intrinsic("States.Base64Encode($.input)").is_ok());
        assert!(parse_intrinsic("States.Base64Decode('RGF0YQ==')").is_ok());
        assert!(parse_intrinsic("States.StringSplit($.inputString, ',')").is_ok());
        assert!(parse_intrinsic("States.StringToJson($.escapedJsonString)").is_ok());
        assert!(parse_intrinsic("States.JsonToString($.unescapedJson)").is_ok());
        assert!(parse_intrinsic("States.Format($.template, $.name)").is_ok());
        assert!(parse_intrinsic("States.Format('{} of {}', $$.Map.Item.Index, $count)").is_ok());
        assert!(parse_intrinsic("States.Array($['a b'], $.x[?(@.y == 1)], $..z)").is_ok());
        assert!(parse_intrinsic("States.ArrayLength(States.StringSplit($.s, ','))").is_ok());
        assert!(parse_intrinsic("States.MathAdd(States.ArrayLength($.a), 1)").is_ok());
        assert!(parse_intrinsic("States.Format('{}', States.UUID())").is_ok());
        assert!(parse_intrinsic("States.Array(  1 ,2 , 'x'  )").is_ok());
    }

    #[test]
    fn the_aws_nine_deep_example_has_one_placeholder_too_many() {
        // Verbatim from the AWS intrinsic functions page: three `{}` but two values, which
        // fails at run time.
        let text = "States.Format('{}.{}.{}', States.ArrayGetItem(States.StringSplit(\
                    States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 0), \
                    States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit(\
                    $.ImageRecipe.Arn, '/'), 2), '.'), 1))";
        let e = bad(text);
        assert_eq!(e.offset, 14);
        assert!(
            e.message
                .contains("3 `{}` placeholders but 2 value arguments follow"),
            "{e}"
        );
    }

    #[test]
    fn the_aws_nine_deep_example_parses() {
        let text = "States.Format('{}.{}', States.ArrayGetItem(States.StringSplit(\
                    States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 0), \
                    States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit(\
                    $.ImageRecipe.Arn, '/'), 2), '.'), 1))";
        let c = ok(text);
        assert_eq!(c.args.len(), 3);
        assert_eq!(c.paths().len(), 2);
        assert!(c.paths().iter().all(|(p, at)| {
            p.root == PathRoot::Input
                && p.segments
                    == vec![
                        Segment::Field("ImageRecipe".into()),
                        Segment::Field("Arn".into()),
                    ]
                && text
                    .get(*at..)
                    .is_some_and(|rest| rest.starts_with("$.ImageRecipe"))
        }));
    }

    #[test]
    fn string_escapes() {
        let c = ok("States.Format('Welcome to {} {}\\'s playlist.', $.firstName, $.lastName)");
        assert_eq!(c.args[0], string("Welcome to {} {}'s playlist."));
        let c = ok("States.Array('a\\{b\\}c\\\\d')");
        assert_eq!(c.args[0], string("a{b}c\\d"));
        let c = ok("States.Format('\\{\\} {}', 1)");
        assert_eq!(c.args[0], string("{} {}"));
        let t = format_templates("States.Format('\\{\\} {}!', 1)").unwrap_or_default();
        assert_eq!(
            t,
            vec![FormatTemplate {
                call_offset: 0,
                pieces: vec![
                    TemplatePiece::Text("{} ".into()),
                    TemplatePiece::Placeholder,
                    TemplatePiece::Text("!".into())
                ]
            }]
        );
        let nested =
            format_templates("States.Array(1, States.Format('{}-{}', 1, 2))").unwrap_or_default();
        assert_eq!(nested.len(), 1);
        assert_eq!(nested[0].call_offset, 16);
        assert_eq!(nested[0].pieces.len(), 3);
    }

    #[test]
    fn lone_braces_are_literal_as_aws_accepts() {
        // Recorded on AWS (test_json_merge_escaped_argument): accepted and run.
        let c = ok(
            "States.JsonMerge(States.StringToJson('{\"constant_in_literal\": \"false\"}'), \
             $$.Execution.Input.input_field, false)",
        );
        match &c.args[0] {
            IntrinsicArg::Call(inner) => {
                assert_eq!(inner.function, IntrinsicFunction::StringToJson);
                assert_eq!(
                    inner.args,
                    vec![string("{\"constant_in_literal\": \"false\"}")]
                );
            }
            other => panic!("expected a nested call, found {other:?}"),
        }
        assert_eq!(ok("States.Array('a{b')").args[0], string("a{b"));
        assert_eq!(ok("States.Array('a}b')").args[0], string("a}b"));
        // Escaped braces mean the same; `{}` outside States.Format is plain text.
        assert_eq!(ok("States.StringToJson('\\{\\}')").args[0], string("{}"));
        assert_eq!(ok("States.StringToJson('{}')").args[0], string("{}"));
        // In a States.Format template only an unescaped `{}` is a placeholder.
        let c = ok("States.Format('{\"a\": {}}', $.x)");
        assert_eq!(
            c.format_template,
            Some(vec![
                TemplatePiece::Text("{\"a\": ".into()),
                TemplatePiece::Placeholder,
                TemplatePiece::Text("}".into()),
            ])
        );
        let c = ok("States.Format('\\{}{}{', 1)");
        assert_eq!(
            c.format_template,
            Some(vec![
                TemplatePiece::Text("{}".into()),
                TemplatePiece::Placeholder,
                TemplatePiece::Text("{".into()),
            ])
        );
        // The checks AWS also makes still apply.
        for (text, offset, message) in [
            (
                "States.Format('{\"a\": {}}')",
                14,
                "has 1 `{}` placeholder but 0 value",
            ),
            (
                "States.Format('{ {} }', 1, 2)",
                14,
                "has 1 `{}` placeholder but 2 value",
            ),
            ("States.StringToJson('{\\n}')", 22, "unknown escape `\\n`"),
            ("States.StringToJson('{)", 20, "unterminated string"),
        ] {
            let e = bad(text);
            assert_eq!(e.offset, offset, "`{text}`: {e}");
            assert!(e.message.contains(message), "`{text}`: {e}");
        }
    }

    #[test]
    fn invalid_calls_and_offsets() {
        let cases: &[(&str, usize, &str)] = &[
            ("", 0, "expected an intrinsic function call"),
            (" States.UUID()", 0, "must not start with whitespace"),
            ("$.a", 0, "found a path"),
            ("States.UUID() ", 13, "unexpected whitespace"),
            ("States.UUID()x", 13, "unexpected `x`"),
            ("States.Fromat('x')", 0, "did you mean `States.Format`?"),
            ("States.format('x')", 0, "did you mean `States.Format`?"),
            ("Format('x')", 0, "did you mean `States.Format`?"),
            (
                "States.Nothing()",
                0,
                "unknown intrinsic function `States.Nothing`",
            ),
            ("States.UUID", 11, "expected `(` right after `States.UUID`"),
            ("States.UUID ()", 11, "expected `(`"),
            ("States.Array(", 13, "expected an argument"),
            ("States.Array(1", 14, "never closed"),
            ("States.Array(1,)", 15, "expected an argument after `,`"),
            ("States.Array(,1)", 13, "expected an argument"),
            ("States.Array(1 2)", 15, "expected `,` or `)`"),
            ("States.Array('abc)", 13, "unterminated string"),
            ("States.Array('a\\nb')", 15, "unknown escape `\\n`"),
            ("States.Array(\"x\")", 13, "apostrophes"),
            ("States.Array(nul)", 13, "unexpected `nul`"),
            ("States.Array(01)", 13, "invalid number `01`"),
            ("States.Array(1e999)", 13, "invalid number"),
            (
                "States.Array(States.UUID)",
                24,
                "expected `(` right after `States.UUID`",
            ),
            ("States.Array($.)", 15, "expected a field name after `.`"),
            ("States.Array($.a b)", 17, "expected `,` or `)`"),
            ("States.Array($['a)", 15, "unterminated string"),
            (
                "States.MathAdd(1, 2, 3)",
                21,
                "States.MathAdd takes 2 arguments, found 3",
            ),
            (
                "States.MathAdd(1)",
                16,
                "States.MathAdd takes 2 arguments, found 1",
            ),
            (
                "States.UUID(1)",
                12,
                "States.UUID takes no arguments, found 1",
            ),
            (
                "States.Format()",
                14,
                "States.Format takes at least 1 argument, found 0",
            ),
            (
                "States.MathRandom(1)",
                19,
                "takes 2 or 3 arguments, found 1",
            ),
            (
                "States.Format('{} and {}', $.a)",
                14,
                "2 `{}` placeholders but 1 value argument follows",
            ),
            (
                "States.Format('none', $.a)",
                14,
                "0 `{}` placeholders but 1 value argument follows",
            ),
            (
                "States.Format(1, $.a)",
                14,
                "argument 1 of States.Format must be a string",
            ),
            (
                "States.Format('{}', States.Array())",
                20,
                "must be a string, number, boolean or null",
            ),
            (
                "States.ArrayRange('1', 9, 2)",
                18,
                "argument 1 of States.ArrayRange must be an integer, found the string '1'",
            ),
            (
                "States.ArrayRange(1, 9.5, 2)",
                21,
                "argument 2 of States.ArrayRange must be an integer",
            ),
            ("States.ArrayRange(1, 9, 0)", 24, "non-zero integer"),
            (
                "States.ArrayRange(0, 5000, 1)",
                0,
                "would create 5001 items; the maximum is 1000",
            ),
            ("States.ArrayPartition($.a, 0)", 27, "positive integer"),
            ("States.ArrayPartition('abc', 2)", 22, "must be an array"),
            (
                "States.ArrayLength(States.Format('x'))",
                19,
                "must be an array, found `States.Format(…)`, which returns a string",
            ),
            ("States.Hash($.d, 'SHA256')", 17, "did you mean 'SHA-256'?"),
            (
                "States.Hash($.d, 5)",
                17,
                "must be one of MD5, SHA-1, SHA-256, SHA-384, SHA-512",
            ),
            (
                "States.JsonMerge($.a, $.b, true)",
                27,
                "only shallow merging",
            ),
            (
                "States.JsonMerge($.a, 'x', false)",
                22,
                "must be a JSON object",
            ),
            ("States.JsonToString('x')", 20, "must be a path"),
            ("States.MathAdd(null, 1)", 15, "found `null`"),
            ("States.MathAdd(States.UUID(), 1)", 15, "returns a string"),
            ("States.StringSplit($.s, 5)", 24, "must be a string"),
        ];
        for (text, offset, message) in cases {
            let e = bad(text);
            assert_eq!(e.offset, *offset, "offset for `{text}`: {e}");
            assert!(e.message.contains(message), "message for `{text}`: {e}");
        }
        let long = format!("States.Base64Encode('{}')", "a".repeat(10_001));
        assert!(bad(&long).message.contains("the maximum is 10000"));
        let fine = format!("States.Base64Encode('{}')", "a".repeat(10_000));
        assert!(parse_intrinsic(&fine).is_ok());
    }

    #[test]
    fn nesting_limit() {
        let mut ten = String::new();
        for _ in 0..10 {
            ten.push_str("States.Array(");
        }
        ten.push_str(&")".repeat(10));
        assert!(parse_intrinsic(&ten).is_ok());
        let eleven = format!("States.Array({ten})");
        let e = bad(&eleven);
        assert!(e.message.contains("nest too deeply"), "{e}");
        assert_eq!(e.offset, "States.Array(".len() * 10);
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let open = "States.Array(".repeat(10_000);
        assert!(parse_intrinsic(&open).is_err());
        let closed = format!("{open}{}", ")".repeat(10_000));
        assert!(parse_intrinsic(&closed).is_err());
        let path = format!("States.Array($.a{})", "[0]".repeat(10_000));
        assert!(parse_intrinsic(&path).is_ok());
    }

    #[test]
    fn display_round_trips() {
        let cases = [
            "States.Format('Hello {}\\'s {}', $.a, $$.Execution.Id)",
            "States.Array('a\\{b\\}\\\\', 1.5, -2, true, false, null, $v.x)",
            "States.Format('\\{\\} {}', 1)",
            "States.Format('\\{\\}{}\\{', 1)",
            "States.Format('\\{\"a\": {}\\}', $.x)",
            "States.StringToJson('\\{\"a\": [1, {}]\\}')",
            "States.ArrayLength(States.StringSplit($['a b'], ','))",
            "States.UUID()",
            "States.Array($.x[?(@.y > 1)], $..z)",
        ];
        for text in cases {
            let call = ok(text);
            let shown = call.to_string();
            assert_eq!(
                parse_intrinsic(&shown).as_ref(),
                Ok(&call),
                "`{text}` → `{shown}`"
            );
        }
        assert_eq!(
            ok("States.Array( 1,'x' ,$.a )").to_string(),
            "States.Array(1, 'x', $.a)"
        );
        // Lone braces are shown escaped; a template's placeholders stay `{}`.
        for (text, shown) in [
            (
                "States.Format('{\"a\": {}}', $.x)",
                "States.Format('\\{\"a\": {}\\}', $.x)",
            ),
            (
                "States.Format('\\{}{}{', 1)",
                "States.Format('\\{\\}{}\\{', 1)",
            ),
            (
                "States.StringToJson('{\"a\": [1, {}]}')",
                "States.StringToJson('\\{\"a\": [1, {}]\\}')",
            ),
        ] {
            assert_eq!(ok(text).to_string(), shown);
        }
    }

    /// A tiny deterministic xorshift generator (no dependencies).
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }

        fn below(&mut self, n: usize) -> usize {
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
            "States.",
            "States.Array(",
            "States.Format(",
            "(",
            ")",
            ",",
            "'",
            "\\",
            "{",
            "}",
            "{}",
            "$",
            "$$",
            ".",
            "[",
            "]",
            "?(",
            "@",
            "*",
            ":",
            "-",
            "0",
            "1",
            "9",
            "e",
            "a",
            " ",
            "null",
            "true",
            "false",
            "é",
            "😀",
            "\"",
            "\u{0}",
            "..",
        ];
        let seeds = [
            "States.Format('{} is {}\\'s', $.a.b[0], States.UUID())",
            "States.ArrayRange(1, 9, 2)",
            "States.JsonMerge($.a, $$.b, false)",
            "States.Hash(States.JsonToString($.x), 'SHA-256')",
            "States.Array($var['k'], -1.5e3, null, true, $..x[?(@.y)])",
            "$.a.b[0]['c d']",
        ];
        let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
        for round in 0..20_000 {
            let seed = seeds[round % seeds.len()];
            let mut pieces: Vec<String> = seed.chars().map(String::from).collect();
            for _ in 0..=rng.below(4) {
                match rng.below(3) {
                    0 if !pieces.is_empty() => {
                        let i = rng.below(pieces.len());
                        pieces.remove(i);
                    }
                    1 if !pieces.is_empty() => {
                        let i = rng.below(pieces.len());
                        let j = (i + rng.below(pieces.len() - i + 1)).min(pieces.len());
                        pieces.drain(i..j);
                    }
                    _ => {
                        let i = rng.below(pieces.len() + 1);
                        pieces.insert(i, ALPHABET[rng.below(ALPHABET.len())].to_string());
                    }
                }
            }
            let text = pieces.concat();
            match parse_intrinsic(&text) {
                Ok(call) => {
                    let shown = call.to_string();
                    assert!(parse_intrinsic(&shown).is_ok(), "`{text}` → `{shown}`");
                }
                Err(e) => assert!(
                    e.offset <= text.len() && text.is_char_boundary(e.offset),
                    "`{text}`: {e}"
                ),
            }
            for result in [
                parse_path(&text),
                crate::asl::path::parse_reference_path(&text),
            ] {
                if let Err(e) = result {
                    assert!(
                        e.offset <= text.len() && text.is_char_boundary(e.offset),
                        "`{text}`: {e}"
                    );
                }
            }
        }
    }
}
