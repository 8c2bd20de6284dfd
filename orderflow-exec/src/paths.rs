//! JSONPath evaluation over state data, as Step Functions (Jayway JsonPath) applies it.
//!
//! Paths arrive parsed ([`orderflow_model::asl::path::Path`]); [`CompiledPath`] adds what evaluation needs
//! once, at `Executor::new`: whether the path is definite (selects one node: only fields and
//! indices), and every `[?(...)]` filter with its `@` paths compiled. Filters are evaluated here
//! too, as Jayway does: a filter's operands are paths, so the two evaluate each other.
//!
//! * A definite path selects one node; a missing node is an error ("No results for path").
//! * An indefinite path (`*`, slices, unions, `..`, filters) selects a list of nodes, possibly
//!   empty, and the value is that list as a JSON array (Jayway's behaviour).
//! * A union of field names (`$['a','b']`) yields an object of the members found, as Jayway's
//!   multi-property selection does.

use std::borrow::Cow;

use serde_json::{Map, Value};

use orderflow_model::asl::path::{
    FilterExpr, Operand, Path, PathRoot, Relation, Segment, UnionMember,
};

/// A path ready to evaluate.
#[derive(Debug, Clone)]
pub struct CompiledPath {
    pub root: PathRoot,
    pub steps: Vec<Step>,
    /// Only fields and indices: selects at most one node.
    pub definite: bool,
    /// The path as written in canonical form, for messages.
    pub text: String,
}

/// One evaluation step.
#[derive(Debug, Clone)]
pub enum Step {
    Field(String),
    Index(i64),
    Wildcard,
    Slice {
        start: Option<i64>,
        end: Option<i64>,
        step: Option<i64>,
    },
    Fields(Vec<String>),
    Indices(Vec<i64>),
    Filter(Box<CompiledFilter>),
    /// `..name`.
    DeepField(String),
    /// `..` followed by the next step, applied to every descendant (and the node itself).
    DeepScan,
}

/// Why a path could not be compiled. Parsing checked everything, so compiling a parsed path does
/// not fail today; the type stays for paths given as text ([`CompiledPath::parse`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CompileError(pub String);

impl CompiledPath {
    pub fn compile(path: &Path) -> Result<Self, CompileError> {
        let mut steps = Vec::with_capacity(path.segments.len());
        for segment in &path.segments {
            steps.push(match segment {
                Segment::Field(name) => Step::Field(name.clone()),
                Segment::Index(i) => Step::Index(*i),
                Segment::Wildcard => Step::Wildcard,
                Segment::Slice { start, end, step } => Step::Slice {
                    start: *start,
                    end: *end,
                    step: *step,
                },
                Segment::Union(members) => {
                    if members.iter().all(|m| matches!(m, UnionMember::Field(_))) {
                        Step::Fields(
                            members
                                .iter()
                                .filter_map(|m| match m {
                                    UnionMember::Field(f) => Some(f.clone()),
                                    UnionMember::Index(_) => None,
                                })
                                .collect(),
                        )
                    } else {
                        Step::Indices(
                            members
                                .iter()
                                .filter_map(|m| match m {
                                    UnionMember::Index(i) => Some(*i),
                                    UnionMember::Field(_) => None,
                                })
                                .collect(),
                        )
                    }
                }
                Segment::Filter(filter) => {
                    Step::Filter(Box::new(CompiledFilter::compile(&filter.expr)?))
                }
                Segment::RecursiveDescent(Some(name)) => Step::DeepField(name.clone()),
                Segment::RecursiveDescent(None) => Step::DeepScan,
            });
        }
        Ok(CompiledPath {
            root: path.root.clone(),
            definite: path.is_reference(),
            steps,
            text: path.to_string(),
        })
    }

    /// Parses and compiles a path given as text (the tests write their paths so).
    #[cfg(test)]
    pub fn parse(text: &str) -> Result<Self, CompileError> {
        let path = orderflow_model::asl::path::parse_path(text)
            .map_err(|e| CompileError(e.to_string()))?;
        Self::compile(&path)
    }

    /// `$` alone (or `$$`, `$var`): the whole root value.
    pub fn is_root(&self) -> bool {
        self.steps.is_empty()
    }

    /// Jayway's normalized form of the steps (`$['a'][0]`), used in its error messages.
    pub fn normalized(&self) -> String {
        let mut out = String::from("$");
        for step in &self.steps {
            match step {
                Step::Field(name) => {
                    out.push_str("['");
                    out.push_str(name);
                    out.push_str("']");
                }
                Step::Index(i) => out.push_str(&format!("[{i}]")),
                _ => return self.text.clone(),
            }
        }
        out
    }
}

/// A filter ready to evaluate: [`FilterExpr`] with its `@` paths compiled.
#[derive(Debug, Clone)]
pub enum CompiledFilter {
    Or(Vec<CompiledFilter>),
    And(Vec<CompiledFilter>),
    Not(Box<CompiledFilter>),
    /// `@.x` alone: the path selects something.
    Exists(Box<CompiledPath>),
    Compare(Box<CompiledOperand>, Relation, Box<CompiledOperand>),
}

/// One side of a compiled comparison.
#[derive(Debug, Clone)]
pub enum CompiledOperand {
    /// An `@` path, evaluated against the item.
    Item(CompiledPath),
    Literal(Value),
    Regex(regex::Regex),
}

impl CompiledFilter {
    fn compile(expr: &FilterExpr) -> Result<Self, CompileError> {
        let all = |parts: &[FilterExpr]| -> Result<Vec<_>, CompileError> {
            parts.iter().map(Self::compile).collect()
        };
        Ok(match expr {
            FilterExpr::Or(parts) => CompiledFilter::Or(all(parts)?),
            FilterExpr::And(parts) => CompiledFilter::And(all(parts)?),
            FilterExpr::Not(inner) => CompiledFilter::Not(Box::new(Self::compile(inner)?)),
            FilterExpr::Exists(path) => {
                CompiledFilter::Exists(Box::new(CompiledPath::compile(path)?))
            }
            FilterExpr::Compare(left, relation, right) => CompiledFilter::Compare(
                Box::new(CompiledOperand::compile(left)?),
                *relation,
                Box::new(CompiledOperand::compile(right)?),
            ),
        })
    }

    pub fn matches(&self, item: &Value) -> bool {
        match self {
            CompiledFilter::Or(parts) => parts.iter().any(|p| p.matches(item)),
            CompiledFilter::And(parts) => parts.iter().all(|p| p.matches(item)),
            CompiledFilter::Not(inner) => !inner.matches(item),
            CompiledFilter::Exists(path) => match select(path, item) {
                Ok(v) => path.definite || v.as_array().is_some_and(|a| !a.is_empty()),
                Err(_) => false,
            },
            CompiledFilter::Compare(left, relation, right) => compare(item, left, *relation, right),
        }
    }
}

impl CompiledOperand {
    fn compile(operand: &Operand) -> Result<Self, CompileError> {
        Ok(match operand {
            Operand::Item(path) => CompiledOperand::Item(CompiledPath::compile(path)?),
            Operand::Literal(value) => CompiledOperand::Literal(value.clone()),
            Operand::Regex(re) => CompiledOperand::Regex(re.clone()),
        })
    }
}

fn operand_value(item: &Value, operand: &CompiledOperand) -> Option<Value> {
    match operand {
        CompiledOperand::Item(path) => select(path, item).ok().map(std::borrow::Cow::into_owned),
        CompiledOperand::Literal(v) => Some(v.clone()),
        CompiledOperand::Regex(_) => None,
    }
}

fn compare(
    item: &Value,
    left: &CompiledOperand,
    relation: Relation,
    right: &CompiledOperand,
) -> bool {
    let Some(l) = operand_value(item, left) else {
        return false;
    };
    if relation == Relation::Matches {
        return match (right, &l) {
            (CompiledOperand::Regex(re), Value::String(s)) => re.is_match(s),
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

/// Evaluates `path`'s steps against `root` (the value its root names).
///
/// `Ok(Cow::Borrowed)` for definite paths; indefinite paths give an owned array.
/// `Err(())` when a definite path selects nothing.
pub fn select<'v>(path: &CompiledPath, root: &'v Value) -> Result<Cow<'v, Value>, NoResult> {
    select_steps(&path.steps, path.definite, root)
}

/// [`select`] for a tail of a path's steps (the context object resolves its first steps itself).
pub fn select_steps<'v>(
    steps: &[Step],
    definite: bool,
    root: &'v Value,
) -> Result<Cow<'v, Value>, NoResult> {
    if definite {
        let mut node = root;
        for step in steps {
            node = match step {
                Step::Field(name) => node.as_object().and_then(|o| o.get(name)),
                Step::Index(i) => node.as_array().and_then(|a| index(a, *i)),
                _ => None,
            }
            .ok_or(NoResult)?;
        }
        return Ok(Cow::Borrowed(node));
    }
    let mut current: Vec<Cow<'v, Value>> = vec![Cow::Borrowed(root)];
    let mut steps = steps.iter();
    while let Some(step) = steps.next() {
        let mut next: Vec<Cow<'v, Value>> = Vec::new();
        // `..` applies the following step to every node below (and including) each node.
        let (step, deep) = match step {
            Step::DeepScan => match steps.next() {
                Some(applied) => (applied, true),
                None => break,
            },
            other => (other, false),
        };
        for node in current {
            match node {
                Cow::Borrowed(v) => apply_maybe_deep(step, deep, v, &mut next),
                Cow::Owned(v) => {
                    let mut tmp = Vec::new();
                    apply_maybe_deep(step, deep, &v, &mut tmp);
                    next.extend(tmp.into_iter().map(|c| Cow::Owned(c.into_owned())));
                }
            }
        }
        current = next;
    }
    Ok(Cow::Owned(Value::Array(
        current.into_iter().map(Cow::into_owned).collect(),
    )))
}

/// A definite path that selects nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoResult;

fn index(items: &[Value], i: i64) -> Option<&Value> {
    let len = i64::try_from(items.len()).ok()?;
    let at = if i < 0 { len + i } else { i };
    usize::try_from(at).ok().and_then(|at| items.get(at))
}

fn descendants<'v>(node: &'v Value, out: &mut Vec<&'v Value>) {
    // An explicit stack: input documents may nest deeply.
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        out.push(n);
        match n {
            Value::Object(o) => stack.extend(o.values().rev()),
            Value::Array(a) => stack.extend(a.iter().rev()),
            _ => {}
        }
    }
}

fn apply_maybe_deep<'v>(step: &Step, deep: bool, node: &'v Value, out: &mut Vec<Cow<'v, Value>>) {
    if deep {
        let mut all = Vec::new();
        descendants(node, &mut all);
        for d in all {
            apply(step, d, out);
        }
    } else {
        apply(step, node, out);
    }
}

fn apply<'v>(step: &Step, node: &'v Value, out: &mut Vec<Cow<'v, Value>>) {
    match step {
        Step::Field(name) => {
            if let Some(v) = node.as_object().and_then(|o| o.get(name)) {
                out.push(Cow::Borrowed(v));
            }
        }
        Step::Index(i) => {
            if let Some(v) = node.as_array().and_then(|a| index(a, *i)) {
                out.push(Cow::Borrowed(v));
            }
        }
        Step::Wildcard => match node {
            Value::Object(o) => out.extend(o.values().map(Cow::Borrowed)),
            Value::Array(a) => out.extend(a.iter().map(Cow::Borrowed)),
            _ => {}
        },
        Step::Slice { start, end, step } => {
            if let Value::Array(a) = node {
                for i in slice_indices(a.len(), *start, *end, *step) {
                    if let Some(v) = a.get(i) {
                        out.push(Cow::Borrowed(v));
                    }
                }
            }
        }
        Step::Fields(names) => {
            if let Value::Object(o) = node {
                let mut picked = Map::new();
                for name in names {
                    if let Some(v) = o.get(name) {
                        picked.insert(name.clone(), v.clone());
                    }
                }
                out.push(Cow::Owned(Value::Object(picked)));
            }
        }
        Step::Indices(indices) => {
            if let Value::Array(a) = node {
                for i in indices {
                    if let Some(v) = index(a, *i) {
                        out.push(Cow::Borrowed(v));
                    }
                }
            }
        }
        Step::Filter(filter) => match node {
            Value::Array(a) => {
                for item in a {
                    if filter.matches(item) {
                        out.push(Cow::Borrowed(item));
                    }
                }
            }
            Value::Object(o) => {
                // Jayway filters an object's member values.
                for item in o.values() {
                    if filter.matches(item) {
                        out.push(Cow::Borrowed(item));
                    }
                }
            }
            _ => {}
        },
        Step::DeepField(name) => {
            let mut all = Vec::new();
            descendants(node, &mut all);
            for d in all {
                if let Some(v) = d.as_object().and_then(|o| o.get(name)) {
                    out.push(Cow::Borrowed(v));
                }
            }
        }
        Step::DeepScan => out.push(Cow::Borrowed(node)),
    }
}

/// Python-style slice bounds, as Jayway applies them to arrays.
fn slice_indices(
    len: usize,
    start: Option<i64>,
    end: Option<i64>,
    step: Option<i64>,
) -> Vec<usize> {
    let len_i = i64::try_from(len).unwrap_or(i64::MAX);
    let step = step.unwrap_or(1);
    if step <= 0 {
        return Vec::new();
    }
    let clamp = |v: i64| -> i64 {
        let v = if v < 0 { len_i + v } else { v };
        v.clamp(0, len_i)
    };
    let from = start.map_or(0, clamp);
    let to = end.map_or(len_i, clamp);
    let mut out = Vec::new();
    let mut i = from;
    while i < to {
        if let Ok(u) = usize::try_from(i) {
            out.push(u);
        }
        i += step;
    }
    out
}

/// Why a `ResultPath` could not be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultPathMismatch;

/// Writes `value` into `target` at the reference path (`ResultPath`), creating missing
/// objects on the way, as Step Functions does.
pub fn set_at(
    target: &mut Value,
    path: &CompiledPath,
    value: Value,
) -> Result<(), ResultPathMismatch> {
    let Some((last, parents)) = path.steps.split_last() else {
        *target = value;
        return Ok(());
    };
    let mut node = target;
    for step in parents {
        node = match step {
            Step::Field(name) => match node {
                Value::Object(o) => o
                    .entry(name.clone())
                    .or_insert_with(|| Value::Object(Map::new())),
                _ => return Err(ResultPathMismatch),
            },
            Step::Index(i) => match node {
                Value::Array(a) => {
                    let len = i64::try_from(a.len()).map_err(|_| ResultPathMismatch)?;
                    let at = if *i < 0 { len + i } else { *i };
                    let at = usize::try_from(at).map_err(|_| ResultPathMismatch)?;
                    a.get_mut(at).ok_or(ResultPathMismatch)?
                }
                _ => return Err(ResultPathMismatch),
            },
            _ => return Err(ResultPathMismatch),
        };
    }
    match (last, node) {
        (Step::Field(name), Value::Object(o)) => {
            o.insert(name.clone(), value);
            Ok(())
        }
        (Step::Index(i), Value::Array(a)) => {
            let len = i64::try_from(a.len()).map_err(|_| ResultPathMismatch)?;
            let at = if *i < 0 { len + i } else { *i };
            let at = usize::try_from(at).map_err(|_| ResultPathMismatch)?;
            let slot = a.get_mut(at).ok_or(ResultPathMismatch)?;
            *slot = value;
            Ok(())
        }
        _ => Err(ResultPathMismatch),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn eval(path: &str, doc: &Value) -> Result<Value, NoResult> {
        let p = CompiledPath::parse(path).map_err(|_| NoResult)?;
        select(&p, doc).map(Cow::into_owned)
    }

    #[test]
    fn definite_paths_select_one_node_or_fail() {
        let doc = json!({"a": {"b": [1, 2, 3]}, "x-y": true});
        assert_eq!(eval("$", &doc), Ok(doc.clone()));
        assert_eq!(eval("$.a.b[1]", &doc), Ok(json!(2)));
        assert_eq!(eval("$.a.b[-1]", &doc), Ok(json!(3)));
        assert_eq!(eval("$['x-y']", &doc), Ok(json!(true)));
        assert_eq!(eval("$.a.c", &doc), Err(NoResult));
        assert_eq!(eval("$.a.b[7]", &doc), Err(NoResult));
        assert_eq!(eval("$.a.b.c", &doc), Err(NoResult));
    }

    #[test]
    fn indefinite_paths_select_lists() {
        let doc = json!({"items": [{"p": 5, "n": "a"}, {"p": 15, "n": "b"}, {"n": "c"}]});
        assert_eq!(eval("$.items[*].p", &doc), Ok(json!([5, 15])));
        assert_eq!(eval("$.items[0:2].n", &doc), Ok(json!(["a", "b"])));
        assert_eq!(eval("$.items[::2].n", &doc), Ok(json!(["a", "c"])));
        assert_eq!(eval("$.items[-2:].n", &doc), Ok(json!(["b", "c"])));
        assert_eq!(eval("$..p", &doc), Ok(json!([5, 15])));
        assert_eq!(eval("$.items[0,2].n", &doc), Ok(json!(["a", "c"])));
        assert_eq!(
            eval("$.items[0]['p','n']", &doc),
            Ok(json!([{"p": 5, "n": "a"}]))
        );
        assert_eq!(eval("$.nothing[*]", &doc), Ok(json!([])));
    }

    #[test]
    fn filters() {
        let doc = json!({"items": [{"p": 5, "n": "a"}, {"p": 15, "n": "b"}, {"n": "c"}]});
        assert_eq!(eval("$.items[?(@.p < 10)].n", &doc), Ok(json!(["a"])));
        assert_eq!(eval("$.items[?(@.p)].n", &doc), Ok(json!(["a", "b"])));
        assert_eq!(
            eval("$.items[?(@.p > 1 && @.n == 'b')].n", &doc),
            Ok(json!(["b"]))
        );
        assert_eq!(
            eval("$.items[?(@.n =~ /[ac]/)].n", &doc),
            Ok(json!(["a", "c"]))
        );
        assert_eq!(
            eval("$.items[?(@.n in ['b','c'])].n", &doc),
            Ok(json!(["b", "c"]))
        );
        assert_eq!(eval("$.items[?(!(@.p))].n", &doc), Ok(json!(["c"])));
    }

    #[test]
    fn result_path_writes_and_creates_objects() {
        let p = |s: &str| CompiledPath::parse(s).unwrap_or_else(|e| panic!("{e:?}"));
        let mut doc = json!({"a": 1});
        assert_eq!(set_at(&mut doc, &p("$.b.c"), json!(2)), Ok(()));
        assert_eq!(doc, json!({"a": 1, "b": {"c": 2}}));
        assert_eq!(set_at(&mut doc, &p("$.a"), json!([0])), Ok(()));
        assert_eq!(set_at(&mut doc, &p("$.a[0]"), json!(9)), Ok(()));
        assert_eq!(doc, json!({"a": [9], "b": {"c": 2}}));
        assert_eq!(
            set_at(&mut doc, &p("$.a.x"), json!(1)),
            Err(ResultPathMismatch)
        );
        let mut scalar = json!("text");
        assert_eq!(
            set_at(&mut scalar, &p("$.x"), json!(1)),
            Err(ResultPathMismatch)
        );
        assert_eq!(set_at(&mut scalar, &p("$"), json!(1)), Ok(()));
        assert_eq!(scalar, json!(1));
    }

    #[test]
    fn normalized_form_matches_jayway_messages() {
        let p = CompiledPath::parse("$.NoSuchInputPath[0]").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(p.normalized(), "$['NoSuchInputPath'][0]");
    }
}
