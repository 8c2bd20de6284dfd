//! Values drawn from JSON Schemas: execution inputs and Task results for exploration.
//!
//! Each value satisfies its schema where the schema's keywords allow it to be built directly
//! (types, `enum`/`const`, bounds, lengths, item counts, required properties, `oneOf`/`anyOf`
//! alternatives, local `$ref`s). Numbers and lengths favour the schema's boundaries, and a
//! property named like a Choice rule's `Variable` often takes one of the values that rule
//! compares with (see [`Dictionary`]): that is how a generated value lands on each side of a
//! comparison without solving where the value flows.

use std::collections::{BTreeMap, BTreeSet};

use fastrand::Rng;
use serde_json::{Map, Number, Value, json};

use orderflow_model::asl::model::{
    ChoiceRule, ComparisonOperator, Condition, Operand, OperandKind, StateKind, StateMachine,
};
use orderflow_model::asl::path::Segment;
use orderflow_model::schema::SchemaDocument;

use crate::reads::{ReadKind, ReadTree};

/// How deep generated values nest before the generator stops descending (a recursive schema).
const MAX_DEPTH: usize = 8;

/// The values Choice rules compare with, by the last field name of the rule's `Variable`
/// (`$.total.amount` → `amount`), with the values just beside each boundary.
#[derive(Debug, Clone, Default)]
pub struct Dictionary {
    by_name: BTreeMap<String, Vec<Value>>,
}

impl Dictionary {
    /// The comparisons of every Choice rule of `machine` (JSONPath `Variable`s, and the
    /// `$states.input.x … literal` comparisons of JSONata conditions).
    pub fn of_machine(machine: &StateMachine) -> Self {
        let mut dictionary = Dictionary::default();
        for state in &machine.states {
            if let StateKind::Choice(choice) = &state.kind {
                for rule in &choice.choices {
                    dictionary.add_rule(rule);
                }
            }
        }
        for values in dictionary.by_name.values_mut() {
            let mut seen = BTreeSet::new();
            values.retain(|v| seen.insert(v.to_string()));
        }
        dictionary
    }

    /// The field names some Choice rule tests.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(String::as_str)
    }

    fn add_rule(&mut self, rule: &ChoiceRule) {
        match &rule.condition {
            Condition::And(rules) | Condition::Or(rules) => {
                for rule in rules {
                    self.add_rule(rule);
                }
            }
            Condition::Not(rule) => self.add_rule(rule),
            Condition::Compare {
                variable,
                operator,
                operand,
            } => {
                let Some(name) = variable.value.segments.iter().rev().find_map(|s| match s {
                    Segment::Field(name) => Some(name.clone()),
                    _ => None,
                }) else {
                    return;
                };
                let values = self.by_name.entry(name).or_default();
                if let Operand::Literal(literal) = operand {
                    values.extend(neighbours(operator.value, &literal.to_value()));
                }
            }
            Condition::Jsonata(text) => self.add_jsonata(&text.value),
            Condition::Invalid => {}
        }
    }

    /// `name = 'x'`, `name > 10`, `name = true`: each literal goes to the field name written
    /// last before it.
    fn add_jsonata(&mut self, text: &str) {
        let mut last_name: Option<String> = None;
        let chars: Vec<char> = text.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == '\'' || c == '"' {
                let end = chars[i + 1..]
                    .iter()
                    .position(|&d| d == c)
                    .map_or(chars.len(), |p| i + 1 + p);
                let literal: String = chars[i + 1..end.min(chars.len())].iter().collect();
                if let Some(name) = &last_name {
                    let values = self.by_name.entry(name.clone()).or_default();
                    values.extend(neighbours(
                        ComparisonOperator::StringEquals,
                        &json!(literal),
                    ));
                }
                i = end + 1;
            } else if c.is_ascii_digit() {
                let end = chars[i..]
                    .iter()
                    .position(|d| !(d.is_ascii_digit() || *d == '.'))
                    .map_or(chars.len(), |p| i + p);
                let literal: String = chars[i..end].iter().collect();
                if let (Some(name), Ok(number)) = (&last_name, literal.parse::<f64>()) {
                    let values = self.by_name.entry(name.clone()).or_default();
                    values.extend(neighbours(
                        ComparisonOperator::NumericEquals,
                        &number_value(number),
                    ));
                }
                i = end;
            } else if c.is_alphabetic() || c == '_' || c == '$' {
                let end = chars[i..]
                    .iter()
                    .position(|d| !(d.is_alphanumeric() || *d == '_' || *d == '$'))
                    .map_or(chars.len(), |p| i + p);
                let word: String = chars[i..end].iter().collect();
                match word.as_str() {
                    "true" | "false" => {
                        if let Some(name) = &last_name {
                            let values = self.by_name.entry(name.clone()).or_default();
                            values.extend([json!(true), json!(false)]);
                        }
                    }
                    "and" | "or" | "not" | "in" | "null" => {}
                    _ if !word.starts_with('$') => last_name = Some(word),
                    _ => {}
                }
                i = end;
            } else {
                i += 1;
            }
        }
    }

    fn candidates(&self, name: &str) -> &[Value] {
        self.by_name.get(name).map_or(&[], Vec::as_slice)
    }
}

fn number_value(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        // Integral values as integers, so `integer` schemas accept them.
        json!(n as i64)
    } else {
        Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

/// The literal and the values just on each side of it.
fn neighbours(operator: ComparisonOperator, literal: &Value) -> Vec<Value> {
    match (operator.operand_kind(), literal) {
        (OperandKind::Number, Value::Number(n)) => {
            let n = n.as_f64().unwrap_or(0.0);
            vec![
                number_value(n),
                number_value(n + 1.0),
                number_value(n - 1.0),
                number_value(n + 0.5),
                number_value(n - 0.5),
            ]
        }
        (OperandKind::String, Value::String(s)) => {
            let mut after = s.clone();
            after.push('z');
            let before: String = s
                .chars()
                .take(s.chars().count().saturating_sub(1))
                .collect();
            vec![literal.clone(), json!(after), json!(before)]
        }
        (OperandKind::Timestamp, Value::String(_)) => vec![literal.clone()],
        (OperandKind::Boolean, Value::Bool(_)) => vec![json!(true), json!(false)],
        _ => Vec::new(),
    }
}

/// Draws values from the schemas of one document.
pub struct Generator<'a> {
    pub rng: &'a mut Rng,
    pub dictionary: &'a Dictionary,
    /// Everything the definition reads of state input: what the items of an array read
    /// through `ItemsPath` hold, when nothing more is known (a Map's processor reads them from
    /// its own input).
    pub reads: &'a ReadTree,
}

impl Generator<'_> {
    /// A value for the whole document.
    pub fn document(&mut self, document: &SchemaDocument) -> Value {
        self.value(document, "", &document.value, None, 0)
    }

    /// A value for `schema` (at `pointer` in `document`), for a property called `name`.
    fn value(
        &mut self,
        document: &SchemaDocument,
        pointer: &str,
        schema: &Value,
        name: Option<&str>,
        depth: usize,
    ) -> Value {
        let (pointer, schema) = document.follow_refs(pointer, schema);
        let Value::Object(keywords) = schema else {
            // `true` (anything) or `false` (nothing can satisfy it).
            return if schema == &Value::Bool(false) {
                Value::Null
            } else {
                self.untyped(name)
            };
        };
        if let Some(value) = keywords.get("const") {
            return value.clone();
        }
        if let Some(Value::Array(values)) = keywords.get("enum") {
            if let Some(value) = self.pick(values) {
                return value.clone();
            }
        }
        for alternatives in ["oneOf", "anyOf"] {
            if let Some(Value::Array(options)) = keywords.get(alternatives) {
                if !options.is_empty() {
                    let i = self.rng.usize(..options.len());
                    let at = format!("{pointer}/{alternatives}/{i}");
                    return self.value(document, &at, &options[i], name, depth + 1);
                }
            }
        }
        let types = types_of(keywords);
        let Some(kind) = self.pick(&types).cloned() else {
            return self.untyped(name);
        };
        if depth > MAX_DEPTH {
            return match kind.as_str() {
                "object" => json!({}),
                "array" => json!([]),
                _ => Value::Null,
            };
        }
        // A value Choice rules compare this property with, when it fits the schema.
        if let Some(name) = name {
            if self.rng.f32() < 0.5 {
                let fitting: Vec<&Value> = self
                    .dictionary
                    .candidates(name)
                    .iter()
                    .filter(|v| fits(keywords, &kind, v))
                    .collect();
                if let Some(value) = self.pick(&fitting) {
                    return (*value).clone();
                }
            }
        }
        match kind.as_str() {
            "null" => Value::Null,
            "boolean" => json!(self.rng.bool()),
            "integer" => self.integer(keywords),
            "number" => self.number(keywords),
            "string" => self.string(keywords),
            "array" => self.array(document, &pointer, keywords, depth),
            _ => self.object(document, &pointer, keywords, depth),
        }
    }

    /// An object holding, now and then, each of `names` with a value a Choice rule compares
    /// it with: the result of a Task nothing types, shaped by what the rules read.
    pub fn named_object<'n>(&mut self, names: impl Iterator<Item = &'n str>) -> Value {
        let mut out = Map::new();
        for name in names {
            if self.rng.f32() < 0.7 {
                let value = self.untyped(Some(name));
                out.insert(name.to_owned(), value);
            }
        }
        Value::Object(out)
    }

    /// An object holding every name of `tree`, nested as the tree nests them; the leaves take
    /// a value a Choice rule compares them with, or a small scalar. With nothing in the tree,
    /// [`Generator::named_object`] of the names Choice rules test.
    pub fn tree_object(&mut self, tree: &ReadTree) -> Value {
        if tree.is_empty() {
            return self.named_object(self.dictionary.names());
        }
        self.tree_value(tree, 0)
    }

    fn tree_value(&mut self, tree: &ReadTree, depth: usize) -> Value {
        let mut out = Map::new();
        for (name, below) in &tree.0 {
            // Nothing says a name is always there: now and then it is not (`IsPresent`).
            if self.rng.f32() < 0.15 {
                continue;
            }
            let value = self.read_value(name, below, depth);
            out.insert(name.clone(), value);
        }
        Value::Object(out)
    }

    /// A value for the name `name`, read as `node` says.
    fn read_value(&mut self, name: &str, node: &ReadTree, depth: usize) -> Value {
        let typed = |kind: &str| {
            let mut keywords = Map::new();
            keywords.insert("type".into(), json!(kind));
            keywords
        };
        let kind = match node.1 {
            Some(ReadKind::Array) => {
                let items = if node.is_empty() { self.reads } else { node };
                // Items hold what the whole definition reads, arrays in them left empty.
                let len = if depth > 1 { 0 } else { self.rng.usize(1..=2) };
                let values = (0..len)
                    .map(|_| self.tree_value(items, depth + 1))
                    .collect();
                return Value::Array(values);
            }
            Some(ReadKind::Seconds) => return json!(self.rng.u8(..=5)),
            Some(ReadKind::Timestamp) => {
                return json!(format!("2026-01-0{}T10:00:00Z", self.rng.u8(1..=9)));
            }
            Some(ReadKind::Number) => "number",
            Some(ReadKind::String) => "string",
            Some(ReadKind::Boolean) => "boolean",
            None if node.is_empty() || depth > MAX_DEPTH => {
                return match self.untyped(Some(name)) {
                    Value::Null => json!(format!("{name}-value")),
                    value => value,
                };
            }
            None => return self.tree_value(node, depth + 1),
        };
        let keywords = typed(kind);
        if self.rng.bool() {
            let fitting: Vec<Value> = self
                .dictionary
                .candidates(name)
                .iter()
                .filter(|v| fits(&keywords, kind, v))
                .cloned()
                .collect();
            if let Some(value) = self.pick(&fitting) {
                return value.clone();
            }
        }
        match kind {
            "number" => self.number(&keywords),
            "string" => self.string(&keywords),
            _ => json!(self.rng.bool()),
        }
    }

    /// What a Map's `ItemReader` returns when nothing says: one or two items shaped by what
    /// the definition reads.
    pub fn items(&mut self) -> Value {
        let len = self.rng.usize(1..=2);
        Value::Array((0..len).map(|_| self.tree_value(self.reads, 1)).collect())
    }

    fn pick<'v, T>(&mut self, values: &'v [T]) -> Option<&'v T> {
        if values.is_empty() {
            None
        } else {
            values.get(self.rng.usize(..values.len()))
        }
    }

    /// A value for a schema that says nothing: one a Choice rule compares the property with,
    /// or a small scalar.
    fn untyped(&mut self, name: Option<&str>) -> Value {
        if let Some(value) = name
            .map(|n| self.dictionary.candidates(n).to_vec())
            .and_then(|c| self.pick(&c).cloned())
        {
            return value;
        }
        match self.rng.u8(..4) {
            0 => json!(self.rng.bool()),
            1 => json!(self.rng.i64(0..100)),
            2 => json!(format!("value-{}", self.rng.u16(..1000))),
            _ => Value::Null,
        }
    }

    fn integer(&mut self, keywords: &Map<String, Value>) -> Value {
        let (low, high) = bounds(keywords, true);
        let low = low.map(|l| l.ceil() as i64);
        let high = high.map(|h| h.floor() as i64);
        let mut candidates: Vec<i64> = [low, high, low.map(|l| l + 1), high.map(|h| h - 1)]
            .into_iter()
            .flatten()
            .collect();
        candidates.extend([0, 1, -1]);
        let (lo, hi) = match (low, high) {
            (Some(l), Some(h)) => (l, h),
            (Some(l), None) => (l, l.saturating_add(1000)),
            (None, Some(h)) => (h.saturating_sub(1000), h),
            (None, None) => (-100, 1000),
        };
        if hi < lo {
            return json!(lo);
        }
        let n = if self.rng.bool() {
            self.rng.i64(lo..=hi)
        } else {
            let fitting: Vec<i64> = candidates
                .into_iter()
                .filter(|c| (lo..=hi).contains(c))
                .collect();
            self.pick(&fitting).copied().unwrap_or(lo)
        };
        let n = match keywords.get("multipleOf").and_then(Value::as_i64) {
            Some(m) if m > 0 => {
                let rounded = n - n.rem_euclid(m);
                if rounded < lo { rounded + m } else { rounded }
            }
            _ => n,
        };
        json!(n)
    }

    fn number(&mut self, keywords: &Map<String, Value>) -> Value {
        let (low, high) = bounds(keywords, false);
        let (lo, hi) = match (low, high) {
            (Some(l), Some(h)) => (l, h),
            (Some(l), None) => (l, l + 1000.0),
            (None, Some(h)) => (h - 1000.0, h),
            (None, None) => (-100.0, 1000.0),
        };
        let candidates: Vec<f64> = [low, high, Some(0.0), Some(1.0), Some(-1.0)]
            .into_iter()
            .flatten()
            .filter(|c| *c >= lo && *c <= hi)
            .collect();
        let n = match self.pick(&candidates) {
            Some(c) if self.rng.bool() => *c,
            _ => {
                // Two decimals, as prices and amounts usually have.
                let n = lo + self.rng.f64() * (hi - lo);
                ((n * 100.0).round() / 100.0).clamp(lo, hi)
            }
        };
        number_value(n)
    }

    fn string(&mut self, keywords: &Map<String, Value>) -> Value {
        let format = keywords.get("format").and_then(Value::as_str);
        let n = self.rng.u32(..);
        let text = match format {
            Some("uuid") => format!(
                "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
                n,
                n & 0xffff,
                n & 0xfff,
                (n >> 12) & 0xfff,
                u64::from(n) * 7919
            ),
            Some("date-time") => format!("2026-0{}-1{}T10:20:30Z", 1 + n % 9, n % 10),
            Some("date") => format!("2026-0{}-1{}", 1 + n % 9, n % 10),
            Some("time") => "10:20:30Z".to_owned(),
            Some("email") => format!("user{}@example.com", n % 1000),
            Some("uri" | "url" | "iri") => format!("https://example.com/{}", n % 1000),
            Some("ipv4") => format!("10.0.{}.{}", n % 256, (n >> 8) % 256),
            _ => match self.rng.u8(..4) {
                0 => String::new(),
                1 => "a".to_owned(),
                _ => format!("s{}", n % 10_000),
            },
        };
        let min = keywords
            .get("minLength")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let max = keywords.get("maxLength").and_then(Value::as_u64);
        let mut text = text;
        let count = text.chars().count() as u64;
        if count < min {
            text.extend(std::iter::repeat_n('x', (min - count) as usize));
        }
        if let Some(max) = max {
            text = text.chars().take(max as usize).collect();
        }
        Value::String(text)
    }

    fn array(
        &mut self,
        document: &SchemaDocument,
        pointer: &str,
        keywords: &Map<String, Value>,
        depth: usize,
    ) -> Value {
        let min = keywords
            .get("minItems")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let max = keywords
            .get("maxItems")
            .and_then(Value::as_u64)
            .unwrap_or(min + 3)
            .max(min);
        // The edges (none, or the fewest allowed) as often as the rest.
        let len = if self.rng.bool() {
            min
        } else {
            self.rng.u64(min..=max)
        };
        let items = keywords.get("items").cloned().unwrap_or(Value::Bool(true));
        let at = format!("{pointer}/items");
        let values: Vec<Value> = (0..len.min(16))
            .map(|_| self.value(document, &at, &items, None, depth + 1))
            .collect();
        Value::Array(values)
    }

    fn object(
        &mut self,
        document: &SchemaDocument,
        pointer: &str,
        keywords: &Map<String, Value>,
        depth: usize,
    ) -> Value {
        let mut out = Map::new();
        // `allOf`: each part's properties (following `$ref`s), as one object.
        let mut parts: Vec<(String, &Map<String, Value>)> = vec![(pointer.to_owned(), keywords)];
        if let Some(Value::Array(all)) = keywords.get("allOf") {
            for (i, part) in all.iter().enumerate() {
                let (at, part) = document.follow_refs(&format!("{pointer}/allOf/{i}"), part);
                if let Value::Object(part) = part {
                    parts.push((at, part));
                }
            }
        }
        for (at, part) in parts {
            let required: BTreeSet<&str> = part
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let Some(Value::Object(properties)) = part.get("properties") else {
                continue;
            };
            for (name, schema) in properties {
                // Optional properties are left out often enough to reach `IsPresent: false`
                // and a path that is missing.
                if !required.contains(name.as_str()) && self.rng.f32() < 0.35 {
                    continue;
                }
                let at = format!("{at}/properties/{}", escape_pointer(name));
                let value = self.value(document, &at, schema, Some(name), depth + 1);
                out.insert(name.clone(), value);
            }
        }
        Value::Object(out)
    }
}

fn escape_pointer(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// The types a schema allows, by `type` or else by the keywords it uses.
fn types_of(keywords: &Map<String, Value>) -> Vec<String> {
    match keywords.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ if keywords.contains_key("properties") || keywords.contains_key("allOf") => {
            vec!["object".into()]
        }
        _ if keywords.contains_key("items") => vec!["array".into()],
        _ if keywords.contains_key("minimum") || keywords.contains_key("maximum") => {
            vec!["number".into()]
        }
        _ => Vec::new(),
    }
}

/// (lowest, highest) a number may be; exclusive bounds moved inside (by 1 for integers).
fn bounds(keywords: &Map<String, Value>, integer: bool) -> (Option<f64>, Option<f64>) {
    let step = if integer { 1.0 } else { 0.01 };
    let get = |k: &str| keywords.get(k).and_then(Value::as_f64);
    let low = match (get("minimum"), get("exclusiveMinimum")) {
        (Some(a), Some(b)) => Some(a.max(b + step)),
        (a, b) => a.or(b.map(|b| b + step)),
    };
    let high = match (get("maximum"), get("exclusiveMaximum")) {
        (Some(a), Some(b)) => Some(a.min(b - step)),
        (a, b) => a.or(b.map(|b| b - step)),
    };
    (low, high)
}

/// Whether a dictionary value suits a schema of type `kind` (its bounds and lengths too).
fn fits(keywords: &Map<String, Value>, kind: &str, value: &Value) -> bool {
    match (kind, value) {
        ("integer", Value::Number(n)) if n.is_i64() || n.is_u64() => in_bounds(keywords, n, true),
        ("number", Value::Number(n)) => in_bounds(keywords, n, false),
        ("string", Value::String(s)) => {
            let len = s.chars().count() as u64;
            !keywords.contains_key("pattern")
                && keywords
                    .get("minLength")
                    .and_then(Value::as_u64)
                    .is_none_or(|m| len >= m)
                && keywords
                    .get("maxLength")
                    .and_then(Value::as_u64)
                    .is_none_or(|m| len <= m)
        }
        ("boolean", Value::Bool(_)) | ("null", Value::Null) => true,
        _ => false,
    }
}

fn in_bounds(keywords: &Map<String, Value>, n: &Number, integer: bool) -> bool {
    let n = n.as_f64().unwrap_or(0.0);
    let (low, high) = bounds(keywords, integer);
    low.is_none_or(|l| n >= l) && high.is_none_or(|h| n <= h)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keywords(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn numeric_comparisons_give_the_values_on_each_side() {
        let values = neighbours(ComparisonOperator::NumericGreaterThan, &json!(10));
        assert_eq!(
            values,
            vec![json!(10), json!(11), json!(9), json!(10.5), json!(9.5)]
        );
    }

    #[test]
    fn exclusive_bounds_move_inside() {
        let schema = keywords(json!({"exclusiveMinimum": 0, "maximum": 5}));
        assert_eq!(bounds(&schema, true), (Some(1.0), Some(5.0)));
        assert!(!fits(&schema, "integer", &json!(0)));
        assert!(fits(&schema, "integer", &json!(5)));
        assert!(!fits(&schema, "integer", &json!(5.5)));
    }

    #[test]
    fn jsonata_literals_go_to_the_name_before_them() {
        let mut dictionary = Dictionary::default();
        dictionary.add_jsonata("{% $states.input.status = 'PAID' and $states.input.total > 100 %}");
        assert!(dictionary.candidates("status").contains(&json!("PAID")));
        assert!(dictionary.candidates("total").contains(&json!(101)));
        assert!(dictionary.candidates("total").contains(&json!(99)));
    }
}
