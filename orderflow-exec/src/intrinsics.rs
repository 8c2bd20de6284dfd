//! The intrinsic functions (`States.Format(...)` and friends), evaluated on the parsed calls of
//! the model. Argument errors raise `States.IntrinsicFailure`, as AWS does.

use base64::Engine as _;
use serde_json::{Map, Number, Value};

use crate::error::Failure;
use crate::paths::{CompileError, CompiledPath};
use orderflow_model::asl::error_names::names;
use orderflow_model::asl::intrinsic::{
    IntrinsicArg, IntrinsicCall, IntrinsicFunction, MAX_ARRAY_RANGE_ITEMS, MAX_STRING_INPUT_CHARS,
    TemplatePiece,
};

/// A call ready to evaluate: paths compiled, literals as values.
#[derive(Debug, Clone)]
pub struct CompiledCall {
    pub function: IntrinsicFunction,
    pub args: Vec<CompiledArg>,
    /// `States.Format` with a literal template: its pieces.
    pub template: Option<Vec<TemplatePiece>>,
    /// The call as text (canonical syntax), which AWS names when an argument fails.
    pub text: String,
}

#[derive(Debug, Clone)]
pub enum CompiledArg {
    Literal(Value),
    Path(CompiledPath),
    Call(Box<CompiledCall>),
}

impl CompiledCall {
    pub fn compile(call: &IntrinsicCall) -> Result<Self, CompileError> {
        let args = call
            .args
            .iter()
            .map(|arg| {
                Ok(match arg {
                    IntrinsicArg::String(s) => CompiledArg::Literal(Value::String(s.clone())),
                    IntrinsicArg::Number(n) => CompiledArg::Literal(Value::Number(n.clone())),
                    IntrinsicArg::Bool(b) => CompiledArg::Literal(Value::Bool(*b)),
                    IntrinsicArg::Null => CompiledArg::Literal(Value::Null),
                    IntrinsicArg::Path { path, .. } => {
                        CompiledArg::Path(CompiledPath::compile(path)?)
                    }
                    IntrinsicArg::Call(inner) => CompiledArg::Call(Box::new(Self::compile(inner)?)),
                })
            })
            .collect::<Result<Vec<_>, CompileError>>()?;
        Ok(CompiledCall {
            function: call.function,
            args,
            template: call.format_template.clone(),
            text: call.to_string(),
        })
    }
}

/// What intrinsic evaluation needs from the executor.
pub trait IntrinsicEnv {
    /// The value of a path argument of `call`, the outermost call's text (AWS names it when the
    /// path finds nothing).
    fn resolve(&mut self, path: &CompiledPath, call: &str) -> Result<Value, Failure>;
    /// A uniform random number in `[0, 1)`.
    fn random(&mut self) -> f64;
    /// 16 random bytes (for UUIDs).
    fn random_bytes(&mut self) -> [u8; 16];
}

fn failure(function: IntrinsicFunction, message: impl std::fmt::Display) -> Failure {
    Failure::new(
        names::INTRINSIC_FAILURE,
        format!("The evaluation of {} failed: {message}", function.name()),
    )
}

/// Evaluates a call (nested calls first, arguments left to right).
pub fn evaluate(call: &CompiledCall, env: &mut dyn IntrinsicEnv) -> Result<Value, Failure> {
    evaluate_within(call, &call.text, env)
}

/// [`evaluate`] of a call nested in the one whose text is `outermost`.
fn evaluate_within(
    call: &CompiledCall,
    outermost: &str,
    env: &mut dyn IntrinsicEnv,
) -> Result<Value, Failure> {
    let mut args = Vec::with_capacity(call.args.len());
    for arg in &call.args {
        args.push(match arg {
            CompiledArg::Literal(v) => v.clone(),
            CompiledArg::Path(p) => env.resolve(p, outermost)?,
            CompiledArg::Call(inner) => evaluate_within(inner, outermost, env)?,
        });
    }
    apply(call, args, env)
}

fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map(|f| f as i64)
        }),
        _ => None,
    }
}

/// Java's `Math.round`: halves round up (towards positive infinity), as AWS rounds.
fn java_round(x: f64) -> f64 {
    (x + 0.5).floor()
}

fn int_value(n: i64) -> Value {
    Value::Number(Number::from(n))
}

/// The text `States.Format` writes for a value: strings as they are, JSON for scalars, and
/// Java's `toString` for objects and arrays (`{a=1, b=x}`), which is what AWS prints.
pub fn format_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(format_value).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Object(members) => {
            let parts: Vec<String> = members
                .iter()
                .map(|(k, v)| format!("{k}={}", format_value(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
    }
}

fn string_arg(f: IntrinsicFunction, v: &Value, limit: bool) -> Result<&str, Failure> {
    let s = v
        .as_str()
        .ok_or_else(|| failure(f, format!("expected a string, found {v}")))?;
    if limit && s.chars().count() > MAX_STRING_INPUT_CHARS {
        return Err(failure(
            f,
            format!("the input is longer than {MAX_STRING_INPUT_CHARS} characters"),
        ));
    }
    Ok(s)
}

fn array_arg(f: IntrinsicFunction, v: &Value) -> Result<&Vec<Value>, Failure> {
    v.as_array()
        .ok_or_else(|| failure(f, format!("expected an array, found {v}")))
}

fn int_arg(f: IntrinsicFunction, v: &Value) -> Result<i64, Failure> {
    as_i64(v).ok_or_else(|| failure(f, format!("expected an integer, found {v}")))
}

fn apply(
    call: &CompiledCall,
    args: Vec<Value>,
    env: &mut dyn IntrinsicEnv,
) -> Result<Value, Failure> {
    use IntrinsicFunction as F;
    let f = call.function;
    let (min, max) = f.arity();
    if args.len() < min || max.is_some_and(|m| args.len() > m) {
        return Err(failure(
            f,
            format!("{} arguments is the wrong number", args.len()),
        ));
    }
    let arg = |i: usize| args.get(i).unwrap_or(&Value::Null);
    Ok(match f {
        F::Format => {
            let pieces = match &call.template {
                Some(pieces) => pieces.clone(),
                None => split_template(string_arg(f, arg(0), false)?),
            };
            let placeholders = pieces
                .iter()
                .filter(|p| matches!(p, TemplatePiece::Placeholder))
                .count();
            if placeholders != args.len() - 1 {
                return Err(failure(
                    f,
                    format!(
                        "the template has {placeholders} placeholders but {} values follow it",
                        args.len() - 1
                    ),
                ));
            }
            let mut out = String::new();
            let mut values = args.iter().skip(1);
            for piece in &pieces {
                match piece {
                    TemplatePiece::Text(t) => out.push_str(t),
                    TemplatePiece::Placeholder => {
                        if let Some(v) = values.next() {
                            out.push_str(&format_value(v));
                        }
                    }
                }
            }
            Value::String(out)
        }
        F::StringToJson => {
            let s = string_arg(f, arg(0), false)?;
            let trimmed = s.trim();
            if trimmed.is_empty() {
                Value::Null
            } else {
                serde_json::from_str(trimmed)
                    .map_err(|e| failure(f, format!("the string is not JSON: {e}")))?
            }
        }
        F::JsonToString => Value::String(arg(0).to_string()),
        F::Array => Value::Array(args),
        F::ArrayPartition => {
            let items = array_arg(f, arg(0))?;
            let size = int_arg(f, arg(1))?;
            let size = usize::try_from(size)
                .ok()
                .filter(|s| *s > 0)
                .ok_or_else(|| failure(f, "the chunk size must be a positive integer"))?;
            Value::Array(
                items
                    .chunks(size)
                    .map(|c| Value::Array(c.to_vec()))
                    .collect(),
            )
        }
        F::ArrayContains => {
            let items = array_arg(f, arg(0))?;
            Value::Bool(items.contains(arg(1)))
        }
        F::ArrayRange => {
            let (start, end, step) = (
                int_arg(f, arg(0))?,
                int_arg(f, arg(1))?,
                int_arg(f, arg(2))?,
            );
            if step == 0 {
                return Err(failure(f, "the step must not be 0"));
            }
            let count = if (step > 0 && start > end) || (step < 0 && start < end) {
                0
            } else {
                (i128::from(end) - i128::from(start)) / i128::from(step) + 1
            };
            if count > MAX_ARRAY_RANGE_ITEMS {
                return Err(failure(
                    f,
                    format!(
                        "the range would have {count} items; the limit is {MAX_ARRAY_RANGE_ITEMS}"
                    ),
                ));
            }
            let mut out = Vec::new();
            let mut x = start;
            for _ in 0..count {
                out.push(int_value(x));
                x = x.saturating_add(step);
            }
            Value::Array(out)
        }
        F::ArrayGetItem => {
            let items = array_arg(f, arg(0))?;
            let index = int_arg(f, arg(1))?;
            usize::try_from(index)
                .ok()
                .and_then(|i| items.get(i))
                .cloned()
                .ok_or_else(|| failure(f, format!("the index {index} is out of bounds")))?
        }
        F::ArrayLength => int_value(i64::try_from(array_arg(f, arg(0))?.len()).unwrap_or(i64::MAX)),
        F::ArrayUnique => {
            let items = array_arg(f, arg(0))?;
            let mut out: Vec<Value> = Vec::with_capacity(items.len());
            for item in items {
                if !out.contains(item) {
                    out.push(item.clone());
                }
            }
            Value::Array(out)
        }
        F::Base64Encode => {
            let s = string_arg(f, arg(0), true)?;
            Value::String(base64::engine::general_purpose::STANDARD.encode(s.as_bytes()))
        }
        F::Base64Decode => {
            let s = string_arg(f, arg(0), true)?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(s.as_bytes())
                .map_err(|e| failure(f, format!("the string is not Base64: {e}")))?;
            Value::String(
                String::from_utf8(bytes)
                    .map_err(|_| failure(f, "the decoded bytes are not UTF-8 text"))?,
            )
        }
        F::Hash => {
            let data = match arg(0) {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            if data.chars().count() > MAX_STRING_INPUT_CHARS {
                return Err(failure(
                    f,
                    format!("the input is longer than {MAX_STRING_INPUT_CHARS} characters"),
                ));
            }
            let algorithm = string_arg(f, arg(1), false)?;
            Value::String(hash_hex(algorithm, data.as_bytes()).ok_or_else(|| {
                failure(
                    f,
                    format!("`{algorithm}` is not one of MD5, SHA-1, SHA-256, SHA-384, SHA-512"),
                )
            })?)
        }
        F::JsonMerge => {
            let (Value::Object(a), Value::Object(b)) = (arg(0), arg(1)) else {
                return Err(failure(f, "both values to merge must be JSON objects"));
            };
            if arg(2) != &Value::Bool(false) {
                return Err(failure(f, "only shallow merging (`false`) is supported"));
            }
            let mut merged: Map<String, Value> = a.clone();
            for (k, v) in b {
                merged.insert(k.clone(), v.clone());
            }
            Value::Object(merged)
        }
        F::MathRandom => {
            let number = |v: &Value| {
                v.as_f64()
                    .map(java_round)
                    .ok_or_else(|| failure(f, format!("expected a number, found {v}")))
            };
            let (start, end) = (number(arg(0))?, number(arg(1))?);
            if end <= start {
                return Err(failure(f, "the end must be greater than the start"));
            }
            let draw = match args.get(2) {
                Some(seed) => {
                    let seed = int_arg(f, seed)?;
                    fastrand::Rng::with_seed(seed as u64).f64()
                }
                None => env.random(),
            };
            int_value((start + ((end - start) * draw).floor()) as i64)
        }
        F::MathAdd => {
            let number = |v: &Value| {
                v.as_f64()
                    .map(java_round)
                    .ok_or_else(|| failure(f, format!("expected a number, found {v}")))
            };
            let sum = number(arg(0))? + number(arg(1))?;
            if sum.abs() > 9.0e15 {
                return Err(failure(f, "the sum is out of range"));
            }
            int_value(sum as i64)
        }
        F::StringSplit => {
            let s = string_arg(f, arg(0), false)?;
            let delimiters: Vec<char> = string_arg(f, arg(1), false)?.chars().collect();
            Value::Array(
                s.split(|c| delimiters.contains(&c))
                    .filter(|p| !p.is_empty())
                    .map(|p| Value::String(p.to_string()))
                    .collect(),
            )
        }
        F::Uuid => Value::String(uuid_v4(env.random_bytes())),
    })
}

/// A template given through a path: `{}` placeholders, `\{`, `\}`, `\\`, `\'` escapes.
fn split_template(text: &str) -> Vec<TemplatePiece> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    current.push(next);
                }
            }
            '{' if chars.peek() == Some(&'}') => {
                chars.next();
                if !current.is_empty() {
                    pieces.push(TemplatePiece::Text(std::mem::take(&mut current)));
                }
                pieces.push(TemplatePiece::Placeholder);
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        pieces.push(TemplatePiece::Text(current));
    }
    pieces
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

pub(crate) fn hash_hex(algorithm: &str, data: &[u8]) -> Option<String> {
    use sha2::Digest as _;
    Some(match algorithm {
        "MD5" => hex(&md5::Md5::digest(data)),
        "SHA-1" => hex(&sha1::Sha1::digest(data)),
        "SHA-256" => hex(&sha2::Sha256::digest(data)),
        "SHA-384" => hex(&sha2::Sha384::digest(data)),
        "SHA-512" => hex(&sha2::Sha512::digest(data)),
        _ => return None,
    })
}

/// A version-4 UUID from 16 random bytes.
pub fn uuid_v4(mut bytes: [u8; 16]) -> String {
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let h = hex(&bytes);
    // 8-4-4-4-12 hex digits; `h` is ASCII, so byte ranges are char boundaries.
    let mut out = String::with_capacity(36);
    for (i, range) in [0..8, 8..12, 12..16, 16..20, 20..32]
        .into_iter()
        .enumerate()
    {
        if i > 0 {
            out.push('-');
        }
        out.push_str(&h[range]);
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::paths::select;
    use orderflow_model::asl::intrinsic::parse_intrinsic;

    struct Env(Value, fastrand::Rng);

    impl IntrinsicEnv for Env {
        fn resolve(&mut self, path: &CompiledPath, _call: &str) -> Result<Value, Failure> {
            select(path, &self.0)
                .map(std::borrow::Cow::into_owned)
                .map_err(|_| Failure::new(names::RUNTIME, "missing"))
        }
        fn random(&mut self) -> f64 {
            self.1.f64()
        }
        fn random_bytes(&mut self) -> [u8; 16] {
            self.1.u128(..).to_le_bytes()
        }
    }

    fn run(text: &str, input: Value) -> Result<Value, Failure> {
        let call = parse_intrinsic(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        let compiled = CompiledCall::compile(&call).unwrap_or_else(|e| panic!("{e:?}"));
        evaluate(&compiled, &mut Env(input, fastrand::Rng::with_seed(7)))
    }

    #[test]
    fn format_and_json() {
        assert_eq!(
            run(
                "States.Format('a {} b {}', $.x, $.y)",
                json!({"x": 1, "y": null})
            ),
            Ok(json!("a 1 b null"))
        );
        assert_eq!(
            run(
                "States.Format('\\{\\} {}', $.o)",
                json!({"o": {"Id": "i", "N": [1, "x"]}})
            ),
            Ok(json!("{} {Id=i, N=[1, x]}"))
        );
        assert_eq!(
            run("States.StringToJson($.s)", json!({"s": " "})),
            Ok(Value::Null)
        );
        assert_eq!(
            run("States.StringToJson($.s)", json!({"s": "{\"a\": [1]}"})),
            Ok(json!({"a": [1]}))
        );
        assert_eq!(
            run("States.JsonToString($.v)", json!({"v": 1.1})),
            Ok(json!("1.1"))
        );
        assert_eq!(
            run(
                "States.JsonMerge($.a, $.b, false)",
                json!({"a": {"x": 1, "y": 1}, "b": {"y": 2}})
            ),
            Ok(json!({"x": 1, "y": 2}))
        );
    }

    #[test]
    fn arrays() {
        assert_eq!(
            run("States.ArrayPartition($.a, 2)", json!({"a": [1, 2, 3]})),
            Ok(json!([[1, 2], [3]]))
        );
        assert_eq!(
            run("States.ArrayRange(0, 10, 3)", json!({})),
            Ok(json!([0, 3, 6, 9]))
        );
        assert_eq!(
            run("States.ArrayRange(5, 1, -2)", json!({})),
            Ok(json!([5, 3, 1]))
        );
        assert_eq!(
            run("States.ArrayGetItem($.a, 1)", json!({"a": [1, 2]})),
            Ok(json!(2))
        );
        assert_eq!(
            run("States.ArrayGetItem($.a, 5)", json!({"a": [1, 2]})).map_err(|f| f.error),
            Err(Some(names::INTRINSIC_FAILURE.to_string()))
        );
        assert_eq!(
            run("States.ArrayContains($.a, 2)", json!({"a": [1, 2]})),
            Ok(json!(true))
        );
        assert_eq!(
            run(
                "States.ArrayUnique($.a)",
                json!({"a": [1, 1, {"a": 1}, {"a": 1}]})
            ),
            Ok(json!([1, {"a": 1}]))
        );
        assert_eq!(
            run("States.ArrayLength($.a)", json!({"a": [1, 1]})),
            Ok(json!(2))
        );
        assert_eq!(
            run("States.Array(1, 'x', $.a)", json!({"a": null})),
            Ok(json!([1, "x", null]))
        );
    }

    #[test]
    fn strings_math_hashes() {
        assert_eq!(
            run("States.StringSplit($.s, '.+')", json!({"s": "a.b+c.."})),
            Ok(json!(["a", "b", "c"]))
        );
        assert_eq!(
            run("States.MathAdd($.a, $.b)", json!({"a": 1.5, "b": 1.51})),
            Ok(json!(4))
        );
        assert_eq!(
            run("States.MathAdd($.a, $.b)", json!({"a": -1.5, "b": 0})),
            Ok(json!(-1))
        );
        let r = run("States.MathRandom(1, 10)", json!({})).unwrap_or_default();
        assert!(r.as_i64().is_some_and(|n| (1..10).contains(&n)));
        assert_eq!(
            run("States.Hash($.d, 'MD5')", json!({"d": "input data"})),
            Ok(json!("812f45842bc6d66ee14572ce20db8e86"))
        );
        assert_eq!(
            run("States.Base64Encode($.d)", json!({"d": "Data to encode"})),
            Ok(json!("RGF0YSB0byBlbmNvZGU="))
        );
        assert_eq!(
            run(
                "States.Base64Decode($.d)",
                json!({"d": "RGF0YSB0byBlbmNvZGU="})
            ),
            Ok(json!("Data to encode"))
        );
        let uuid = run("States.UUID()", json!({})).unwrap_or_default();
        assert_eq!(uuid.as_str().map(str::len), Some(36));
        assert_eq!(uuid.as_str().and_then(|s| s.chars().nth(14)), Some('4'));
    }
}
