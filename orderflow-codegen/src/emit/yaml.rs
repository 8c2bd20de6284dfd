//! Block-style YAML from JSON values, for the deployment templates: deterministic (keys in the
//! order built), strings quoted only where YAML would read them as something else.

use serde_json::Value;

/// The YAML text of `value`, which should be an object.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_map(map, 0, &mut out),
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
    out
}

fn write_map(map: &serde_json::Map<String, Value>, indent: usize, out: &mut String) {
    for (key, value) in map {
        out.push_str(&" ".repeat(indent));
        out.push_str(&string(key));
        out.push(':');
        write_value_after_key(value, indent, out);
    }
}

fn write_value_after_key(value: &Value, indent: usize, out: &mut String) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            write_map(map, indent + 2, out);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            write_list(items, indent, out);
        }
        other => {
            out.push(' ');
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

fn write_list(items: &[Value], indent: usize, out: &mut String) {
    for item in items {
        out.push_str(&" ".repeat(indent));
        out.push('-');
        match item {
            Value::Object(map) if !map.is_empty() => {
                out.push(' ');
                // The first key goes on the dash's line, the rest under it.
                let mut first = true;
                for (key, value) in map {
                    if !first {
                        out.push_str(&" ".repeat(indent + 2));
                    }
                    first = false;
                    out.push_str(&string(key));
                    out.push(':');
                    write_value_after_key(value, indent + 2, out);
                }
            }
            Value::Array(inner) if !inner.is_empty() => {
                out.push('\n');
                write_list(inner, indent + 2, out);
            }
            other => {
                out.push(' ');
                out.push_str(&scalar(other));
                out.push('\n');
            }
        }
    }
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => string(s),
        Value::Object(_) => "{}".to_owned(),
        Value::Array(_) => "[]".to_owned(),
        other => other.to_string(),
    }
}

/// A string as a plain scalar when YAML reads it back unchanged, else JSON-quoted (valid YAML).
fn string(s: &str) -> String {
    let special_start =
        s.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@`".contains(c) || c.is_whitespace());
    let ambiguous = matches!(
        s.to_ascii_lowercase().as_str(),
        "" | "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "~" | "y" | "n"
    ) || s.parse::<f64>().is_ok()
        // Dates and sexagesimal numbers in YAML 1.1 readers.
        || s.starts_with(|c: char| c.is_ascii_digit())
        || s.starts_with("0x")
        || s.starts_with("0o");
    let unsafe_inside = s.contains(": ")
        || s.contains(" #")
        || s.ends_with(':')
        || s.ends_with(char::is_whitespace)
        || s.chars().any(|c| c.is_control())
        || s.contains("${");
    if special_start || ambiguous || unsafe_inside {
        serde_json::to_string(s).unwrap_or_default()
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn block_style_with_quotes_where_needed() {
        let value = json!({
            "Transform": "AWS::Serverless-2016-10-31",
            "Version": "2010-09-09",
            "Flag": "true",
            "Plain": "provided.al2023",
            "List": ["arm64", {"Ref": "X", "Other": 1}],
            "Nested": {"Fn::GetAtt": ["Queue", "Arn"], "Empty": {}},
            "Sub": "${Placeholder}",
            "Colon": "a: b",
            "Join": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}]]}
        });
        let text = to_yaml(&value);
        assert_eq!(
            text,
            "Transform: AWS::Serverless-2016-10-31\nVersion: \"2010-09-09\"\nFlag: \"true\"\nPlain: provided.al2023\nList:\n- arm64\n- Ref: X\n  Other: 1\nNested:\n  Fn::GetAtt:\n  - Queue\n  - Arn\n  Empty: {}\nSub: \"${Placeholder}\"\nColon: \"a: b\"\nJoin:\n  Fn::Join:\n  - \"\"\n  -\n    - \"arn:\"\n    - Ref: AWS::Partition\n"
        );
    }
}
