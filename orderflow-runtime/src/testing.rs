//! Test helpers (feature `schemars`): compare a struct's schemars schema with the workflow
//! schema its derive checked, catching what the derive cannot see in the syntax (types behind
//! aliases, `#[serde(with)]`, flattened structs).

use schemars::JsonSchema;
use serde_json::Value;

use crate::{StepInput, StepOutput};

/// Differences between `T`'s schemars schema and its function's input schema; empty when they
/// agree. Use in a test: `assert_eq!(input_schema_mismatches::<MyInput>(), Vec::<String>::new())`.
pub fn input_schema_mismatches<T: StepInput + JsonSchema>() -> Vec<String> {
    compare::<T>(T::SCHEMA, T::POINTER, true)
}

/// Differences between `T`'s schemars schema and its function's output schema.
pub fn output_schema_mismatches<T: StepOutput + JsonSchema>() -> Vec<String> {
    compare::<T>(T::SCHEMA, T::POINTER, false)
}

fn compare<T: JsonSchema>(document: &str, pointer: &str, input: bool) -> Vec<String> {
    let generated = serde_json::to_value(schemars::schema_for!(T)).unwrap_or(Value::Null);
    let Ok(definition_root) = serde_json::from_str::<Value>(document) else {
        return vec!["the definition schema is not JSON".into()];
    };
    let Some(definition) = definition_root.pointer(pointer) else {
        return vec![format!(
            "nothing is at `{pointer}` in the definition schema"
        )];
    };
    let mut out = Vec::new();
    walk(
        &generated,
        &generated,
        &definition_root,
        definition,
        "",
        input,
        &mut out,
    );
    out
}

/// Follows a local `$ref`.
fn deref<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    let mut schema = schema;
    for _ in 0..16 {
        match schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|p| root.pointer(p))
        {
            Some(next) => schema = next,
            None => break,
        }
    }
    schema
}

fn types(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn walk(
    gen_root: &Value,
    generated: &Value,
    def_root: &Value,
    definition: &Value,
    path: &str,
    input: bool,
    out: &mut Vec<String>,
) {
    let generated = deref(gen_root, generated);
    let definition = deref(def_root, definition);
    let (gt, dt) = (types(generated), types(definition));
    let fits = |d: &str| {
        gt.iter()
            .any(|g| *g == d || (*g == "integer" && d == "number"))
    };
    if !gt.is_empty() && !dt.is_empty() && !dt.iter().filter(|d| **d != "null").all(|d| fits(d)) {
        out.push(format!(
            "{}: the struct has {}, the definition {}",
            if path.is_empty() { "(root)" } else { path },
            gt.join("|"),
            dt.join("|")
        ));
        return;
    }
    let empty = serde_json::Map::new();
    let gprops = generated
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let dprops = definition
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let required = |s: &Value| -> Vec<String> {
        s.get("required")
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let (greq, dreq) = (required(generated), required(definition));
    let closed = definition.get("additionalProperties") == Some(&Value::Bool(false));
    for name in gprops.keys() {
        if !dprops.contains_key(name) && (closed || !dprops.is_empty()) {
            out.push(format!(
                "{path}/{name}: the struct has it, the definition does not"
            ));
        }
    }
    for name in &dreq {
        if !gprops.contains_key(name) && !gprops.is_empty() {
            out.push(format!(
                "{path}/{name}: required by the definition, missing in the struct"
            ));
        }
    }
    if input {
        for name in &greq {
            if dprops.contains_key(name) && !dreq.contains(name) {
                out.push(format!(
                    "{path}/{name}: optional in the definition, but the struct requires it"
                ));
            }
        }
    }
    for (name, g) in gprops {
        if let Some(d) = dprops.get(name) {
            walk(
                gen_root,
                g,
                def_root,
                d,
                &format!("{path}/{name}"),
                input,
                out,
            );
        }
    }
    if let (Some(gi), Some(di)) = (generated.get("items"), definition.get("items")) {
        walk(gen_root, gi, def_root, di, &format!("{path}[]"), input, out);
    }
}
