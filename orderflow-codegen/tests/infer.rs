//! orderflow's schema inference (`orderflow_model::infer`, what `init` writes) against
//! quicktype's on the same samples: `tests/infer/samples/<set>/*.json`, with quicktype 23.2.6's
//! JSON Schema for each set recorded in `tests/infer/quicktype-23.2.6.json` by
//! `.ci/quicktype-reference` (which CI runs, so the file is quicktype's own output).
//!
//! Both schemas are read as facts per position (`items[].count`): the JSON types allowed, whether
//! the property is required, `format`, `enum`, `minimum`, and whether other properties are
//! allowed. Every fact on which the two differ must be listed, with its reason, in the table of
//! `docs/src/schema-inference.md`, and every row there must still be a difference.

// A test fails by panicking: unwrap and expect say where (the workspace denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/infer")
}

/// Facts of a schema, by position (`""` is the root) and fact name.
type Facts = BTreeMap<(String, &'static str), String>;

/// Follows quicktype's `$ref`s into its `definitions`.
fn resolve<'a>(schema: &'a Value, root: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => root.pointer(r.trim_start_matches('#')).unwrap_or(schema),
        None => schema,
    }
}

fn facts(schema: &Value, root: &Value, path: &str, out: &mut Facts) {
    let schema = resolve(schema, root);
    let mut types = BTreeSet::new();
    let mut alternatives = vec![schema];
    if let Some(any) = schema.get("anyOf").and_then(Value::as_array) {
        alternatives.extend(any.iter().map(|a| resolve(a, root)));
    }
    for alternative in &alternatives {
        match &alternative["type"] {
            Value::String(t) => {
                types.insert(t.clone());
            }
            Value::Array(ts) => {
                types.extend(ts.iter().filter_map(|t| t.as_str().map(str::to_owned)))
            }
            _ => {}
        }
    }
    let fact = |out: &mut Facts, name: &'static str, value: String| {
        out.insert((path.to_owned(), name), value);
    };
    fact(
        out,
        "types",
        types.into_iter().collect::<Vec<_>>().join("|"),
    );
    for alternative in &alternatives {
        if let Some(format) = alternative.get("format").and_then(Value::as_str) {
            fact(out, "format", format.to_owned());
        }
        if let Some(values) = alternative.get("enum").and_then(Value::as_array) {
            let mut values: Vec<String> = values.iter().map(|v| v.to_string()).collect();
            values.sort();
            fact(out, "enum", values.join(","));
        }
        if let Some(minimum) = alternative.get("minimum") {
            fact(out, "minimum", minimum.to_string());
        }
        if alternative.get("additionalProperties") == Some(&Value::Bool(false)) {
            fact(out, "closed", "true".into());
        }
        if let Some(properties) = alternative.get("properties").and_then(Value::as_object) {
            let required: BTreeSet<&str> = alternative["required"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            for (name, property) in properties {
                let child = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{path}.{name}")
                };
                out.insert(
                    (child.clone(), "required"),
                    required.contains(name.as_str()).to_string(),
                );
                facts(property, root, &child, out);
            }
        }
        if let Some(items) = alternative.get("items") {
            facts(items, root, &format!("{path}[]"), out);
        }
    }
}

/// `| set | position | fact | … |` rows of the differences table in docs/src/schema-inference.md.
fn documented() -> BTreeSet<(String, String, String)> {
    let doc = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/src/schema-inference.md");
    let text = std::fs::read_to_string(&doc).expect("docs/src/schema-inference.md");
    text.lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<String> = l
                .split('|')
                .map(|c| c.trim().trim_matches('`').to_owned())
                .collect();
            (cells[1].clone(), cells[2].clone(), cells[3].clone())
        })
        .collect()
}

#[test]
fn inference_agrees_with_quicktype_except_where_documented() {
    let recorded: Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("quicktype-23.2.6.json")).unwrap(),
    )
    .unwrap();
    let mut differences = BTreeSet::new();
    let mut report = Vec::new();
    let mut compared = 0;
    for (set, quicktype) in recorded.as_object().unwrap() {
        let folder = fixtures().join("samples").join(set);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        let samples: Vec<Value> = files
            .iter()
            .map(|f| serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap())
            .collect();
        let ours = orderflow_model::infer::infer_schema(&samples, "samples");
        let (mut a, mut b) = (Facts::new(), Facts::new());
        facts(&ours, &ours, "", &mut a);
        facts(quicktype, quicktype, "", &mut b);
        let keys: BTreeSet<&(String, &str)> = a.keys().chain(b.keys()).collect();
        compared += keys.len();
        for key in keys {
            let (x, y) = (a.get(key), b.get(key));
            if x != y {
                let position = if key.0.is_empty() { "(root)" } else { &key.0 };
                report.push(format!(
                    "{set} {position} {}: orderflow {:?}, quicktype {:?}",
                    key.1, x, y
                ));
                differences.insert((set.clone(), position.to_owned(), key.1.to_owned()));
            }
        }
    }
    println!(
        "{} facts compared, {} differ:\n{}",
        compared,
        differences.len(),
        report.join("\n")
    );
    assert!(
        compared > 40,
        "the sample sets say little: {compared} facts"
    );
    assert_eq!(
        differences,
        documented(),
        "the differences with quicktype are not the ones docs/src/schema-inference.md explains:\n{}",
        report.join("\n")
    );
}
