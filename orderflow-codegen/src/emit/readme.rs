//! The README of a generated workflow crate: the flowchart, and each function with its
//! schemas' fields, so a reader sees the workflow without opening JSON.

use std::fmt::Write as _;

use serde_json::Value;

use super::GENERATED_MARKER;
use super::graph::{GraphFormat, render};
use orderflow_model::workflow::Workflow;

/// The README text; `link` is the workflow folder as seen from the README's folder.
pub fn readme(workflow: &Workflow, source: &str, link: &str) -> String {
    // A Markdown link destination with spaces must be in angle brackets.
    let link = if link.contains(' ') {
        format!("<{link}>")
    } else {
        link.to_owned()
    };
    let mut out = format!(
        "<!-- {GENERATED_MARKER} by orderflow-codegen from {source}. Do not edit: run `orderflow-codegen generate` instead. -->\n# {}\n\n",
        workflow.name
    );
    if let Some(description) = &workflow.manifest.description {
        let _ = writeln!(out, "{description}\n");
    } else if let Some(comment) = &workflow.machine.comment {
        let _ = writeln!(out, "{comment}\n");
    }
    let _ = writeln!(
        out,
        "Generated from [`{source}`]({link}). Solid arrows are transitions, dashed arrows are `Catch` clauses labelled with the errors they match.\n"
    );
    out.push_str("```mermaid\n");
    out.push_str(&render(&workflow.machine, GraphFormat::Mermaid));
    out.push_str("```\n\n## Functions\n");
    for function in workflow.functions.values() {
        let _ = writeln!(out, "\n### `{}`\n", function.name);
        if let Some(description) = &function.settings.description {
            let _ = writeln!(out, "{description}\n");
        }
        let invoked: Vec<String> = function
            .invoked_by
            .iter()
            .map(|id| format!("\"{}\"", workflow.machine.state(*id).name.value))
            .collect();
        if !invoked.is_empty() {
            let _ = writeln!(out, "Invoked by state {}.", invoked.join(", "));
        }
        for id in &function.completes_tokens_of {
            let _ = writeln!(
                out,
                "Triggered by the queue state \"{}\" sends to; completes its task token.",
                workflow.machine.state(*id).name.value
            );
        }
        if !function.declared_errors.is_empty() {
            let errors: Vec<String> = function
                .declared_errors
                .iter()
                .map(|e| format!("`{e}`"))
                .collect();
            let _ = writeln!(out, "Raises {}.", errors.join(", "));
        }
        let uses: Vec<String> = function
            .settings
            .uses
            .iter()
            .map(|(table, access)| {
                let access = match access {
                    orderflow_model::manifest::Access::Read => "reads",
                    orderflow_model::manifest::Access::Write => "reads and writes",
                };
                format!(
                    "{access} table `{table}` (its name in `{}`)",
                    orderflow_model::manifest::TableManifest::environment_variable(table)
                )
            })
            .collect();
        if !uses.is_empty() {
            let _ = writeln!(out, "Uses DynamoDB: {}.", uses.join("; "));
        }
        fields(&mut out, "Input", &function.input.value);
        fields(&mut out, "Output", &function.output.value);
    }
    out
}

fn fields(out: &mut String, title: &str, schema: &Value) {
    let _ = writeln!(out, "\n{title}:\n");
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        let kind = schema
            .get("type")
            .map(Value::to_string)
            .unwrap_or_else(|| "any JSON".into());
        let _ = writeln!(out, "- {} (no fields)", kind.trim_matches('"'));
        return;
    };
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    out.push_str("| field | type | required | description |\n|---|---|---|---|\n");
    for (name, property) in properties {
        let kind = type_text(schema, property);
        let description = property
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("")
            .replace('|', "\\|")
            .replace('\n', " ");
        let required = if required.contains(&name.as_str()) {
            "yes"
        } else {
            ""
        };
        let _ = writeln!(out, "| `{name}` | {kind} | {required} | {description} |");
    }
}

fn type_text(root: &Value, property: &Value) -> String {
    if let Some(reference) = property.get("$ref").and_then(Value::as_str) {
        let target = reference.strip_prefix('#').and_then(|p| root.pointer(p));
        let name = reference.rsplit('/').next().unwrap_or(reference);
        return match target {
            Some(t) => format!("{name} ({})", type_text(root, t)),
            None => name.to_owned(),
        };
    }
    if let Some(values) = property.get("enum").and_then(Value::as_array) {
        return values
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join(" \\| ");
    }
    match property.get("type") {
        Some(Value::String(t)) if t == "array" => {
            let item = property
                .get("items")
                .map(|i| type_text(root, i))
                .unwrap_or_else(|| "any".into());
            format!("array of {item}")
        }
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" \\| "),
        _ => "any".to_owned(),
    }
}
