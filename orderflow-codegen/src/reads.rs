//! What a definition reads: every JSONPath of its states' input, as names, and the part of a
//! Task's result those paths reach. `init` writes a function nobody observed as a skeleton of
//! these names; `explore` shapes an untyped function's result after them.

use std::collections::BTreeMap;

use serde_json::Value;

/// What a read says about the value it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadKind {
    /// `ItemsPath`: an array.
    Array,
    /// `SecondsPath`: a whole number of seconds.
    Seconds,
    /// `TimestampPath`, `Timestamp…` comparisons: an RFC 3339 timestamp.
    Timestamp,
    /// `Numeric…` comparisons.
    Number,
    /// `String…` comparisons.
    String,
    /// `BooleanEquals`.
    Boolean,
}

/// Every JSONPath the definition reads (`"x.$"` values, `Variable`, `InputPath`, `ItemsPath`, …;
/// not `ResultPath`, which writes), as its names (`$.total.amount` → `["total", "amount"]`), with
/// what the read says about its value where it says something; also the `$states.input.a.b`
/// reads of JSONata expressions.
pub fn collect_hinted_paths(value: &Value, out: &mut Vec<(Vec<String>, Option<ReadKind>)>) {
    match value {
        Value::Object(members) => {
            // A Choice comparison: `Variable` and its operator side by side.
            let compared = members.keys().find_map(|k| {
                if k.starts_with("Numeric") {
                    Some(ReadKind::Number)
                } else if k.starts_with("String") {
                    Some(ReadKind::String)
                } else if k.starts_with("Boolean") {
                    Some(ReadKind::Boolean)
                } else if k.starts_with("Timestamp") {
                    Some(ReadKind::Timestamp)
                } else {
                    None
                }
            });
            for (key, member) in members {
                // A `ResultSelector` reads the state's result, not its input.
                if key == "ResultSelector" {
                    continue;
                }
                let reads = key.ends_with(".$")
                    || key == "Variable"
                    || (key.ends_with("Path") && key != "ResultPath");
                let kind = match key.as_str() {
                    "ItemsPath" => Some(ReadKind::Array),
                    "SecondsPath" => Some(ReadKind::Seconds),
                    "TimestampPath" => Some(ReadKind::Timestamp),
                    "Variable" => compared,
                    _ => None,
                };
                match member.as_str() {
                    Some(call) if reads && call.starts_with("States.") => {
                        out.extend(intrinsic_paths(call).into_iter().map(|n| (n, None)));
                    }
                    Some(path) if reads => out.extend(path_names(path).map(|n| (n, kind))),
                    Some(text) if text.contains("{%") => {
                        out.extend(jsonata_input_reads(text).into_iter().map(|n| (n, None)));
                    }
                    _ => collect_hinted_paths(member, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_hinted_paths(i, out)),
        Value::String(text) if text.contains("{%") => {
            out.extend(jsonata_input_reads(text).into_iter().map(|n| (n, None)));
        }
        _ => {}
    }
}

/// The paths an intrinsic function's arguments read: `States.Format('{}', $.a.b)` → `a.b`.
fn intrinsic_paths(call: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let bytes = call.as_bytes();
    for (at, _) in call.match_indices('$') {
        let after = bytes.get(at + 1).copied();
        let before = at.checked_sub(1).and_then(|b| bytes.get(b)).copied();
        if before == Some(b'$') || !matches!(after, Some(b'.' | b'[')) {
            continue;
        }
        let end = call[at..]
            .find([',', ')', ' '])
            .map_or(call.len(), |e| at + e);
        paths.extend(path_names(&call[at..end]).filter(|n| !n.is_empty()));
    }
    paths
}

/// The names after each `$states.input` of a JSONata expression (`$states.input.order.id` →
/// `["order", "id"]`).
fn jsonata_input_reads(text: &str) -> Vec<Vec<String>> {
    jsonata_reads(text, "$states.input")
}

/// The names after each `prefix` (`$states.input`, `$states.result`) of a JSONata expression.
fn jsonata_reads(text: &str, prefix: &str) -> Vec<Vec<String>> {
    text.match_indices(prefix)
        .map(|(at, _)| {
            let rest = &text[at + prefix.len()..];
            let mut names = Vec::new();
            let mut rest = rest;
            while let Some(after) = rest.strip_prefix('.') {
                let end = after
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                if end == 0 {
                    break;
                }
                names.push(after[..end].to_owned());
                rest = &after[end..];
            }
            names
        })
        .filter(|names| !names.is_empty())
        .collect()
}

/// `$.a.b[0].c` → `["a", "b", "c"]`; `None` for what is not a plain path of the input.
pub fn path_names(path: &str) -> Option<Vec<String>> {
    let rest = path.strip_prefix('$')?;
    if rest.starts_with('$') {
        return None;
    }
    Some(
        rest.split(['.', '['])
            .map(|s| s.trim_end_matches(']').trim_matches(['\'', '"']))
            .filter(|s| !s.is_empty() && !s.chars().all(|c| c.is_ascii_digit() || c == '*'))
            .map(str::to_owned)
            .collect(),
    )
}

/// Names read below one value: `{"total": {"amount": {}}}` for `$.total.amount`, with what the
/// reads say about each value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadTree(pub BTreeMap<String, ReadTree>, pub Option<ReadKind>);

impl ReadTree {
    /// The tree of `paths`, each leaf with what its read says about it.
    pub fn hinted<'p>(paths: impl IntoIterator<Item = (&'p [String], Option<ReadKind>)>) -> Self {
        let mut tree = ReadTree::default();
        for (names, kind) in paths {
            let mut node = &mut tree;
            for name in names {
                node = node.0.entry(name.clone()).or_default();
            }
            if kind.is_some() {
                node.1 = kind;
            }
        }
        tree
    }

    /// Whether nothing is read.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// What the definition reads of a Task's result (the state's JSON): through its
/// `ResultSelector`, or through its `ResultPath` in any path (`$.total.amount` after
/// `"ResultPath": "$.total"` reads `amount`; no `ResultPath` means the result is the next
/// state's input, so every path reads it). With the Invoke API (`invoke_api`) the function's
/// output is the result's `Payload`, and the tree is the Payload's.
pub fn result_tree(
    state: &Value,
    invoke_api: bool,
    paths: &[(Vec<String>, Option<ReadKind>)],
) -> ReadTree {
    let skip = usize::from(invoke_api);
    if let Some(selector) = state.get("ResultSelector") {
        let mut selected = Vec::new();
        collect_hinted_paths(selector, &mut selected);
        return ReadTree::hinted(
            selected
                .iter()
                .filter_map(|(n, kind)| n.get(skip..).map(|n| (n, *kind))),
        );
    }
    if state.get("QueryLanguage").and_then(Value::as_str) == Some("JSONata")
        || state
            .get("Output")
            .is_some_and(|o| o.to_string().contains("{%"))
        || state
            .get("Assign")
            .is_some_and(|o| o.to_string().contains("{%"))
    {
        // JSONata reads the result as `$states.result…` in the state's own Output and Assign.
        let mut read = Vec::new();
        for field in ["Output", "Assign"] {
            if let Some(value) = state.get(field) {
                jsonata_strings(value, &mut |text| {
                    read.extend(jsonata_reads(text, "$states.result"))
                });
            }
        }
        return ReadTree::hinted(read.iter().filter_map(|n| n.get(skip..).map(|n| (n, None))));
    }
    let prefix = match state.get("ResultPath") {
        None => Vec::new(),
        Some(Value::String(path)) => path_names(path).unwrap_or_default(),
        // `null`: the result is discarded.
        Some(_) => return ReadTree::default(),
    };
    ReadTree::hinted(
        paths
            .iter()
            .filter(|(names, _)| {
                names.len() > prefix.len() + skip && names[..prefix.len()] == prefix[..]
            })
            .map(|(names, kind)| (&names[prefix.len() + skip..], *kind)),
    )
}

/// Calls `each` with every string of `value` that holds a JSONata expression.
fn jsonata_strings(value: &Value, each: &mut dyn FnMut(&str)) {
    match value {
        Value::String(text) if text.contains("{%") => each(text),
        Value::Array(items) => items.iter().for_each(|i| jsonata_strings(i, each)),
        Value::Object(members) => members.values().for_each(|m| jsonata_strings(m, each)),
        _ => {}
    }
}

/// The JSON of the state named `name`, at any depth (inside Parallel branches and Map
/// processors too).
pub fn state_json<'v>(definition: &'v Value, name: &str) -> Option<&'v Value> {
    let states = definition.get("States")?.as_object()?;
    if let Some(state) = states.get(name) {
        return Some(state);
    }
    states.values().find_map(|state| {
        let nested = state
            .get("Branches")
            .and_then(Value::as_array)
            .map(|b| b.iter().collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .chain(state.get("ItemProcessor"))
            .chain(state.get("Iterator"));
        nested.into_iter().find_map(|scope| state_json(scope, name))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_read_their_names() {
        assert_eq!(
            path_names("$.total.items[0].price"),
            Some(vec!["total".into(), "items".into(), "price".into()])
        );
        assert_eq!(path_names("$['a'].b"), Some(vec!["a".into(), "b".into()]));
        assert_eq!(path_names("$$.Execution.Id"), None);
        assert_eq!(path_names("plain"), None);
    }

    fn names(tree: &ReadTree) -> Vec<&str> {
        tree.0.keys().map(String::as_str).collect()
    }

    #[test]
    fn a_results_reads_come_from_its_result_path_or_its_selector() {
        let definition = json!({"States": {
            "Price": {"Type": "Task", "ResultPath": "$.priced", "Next": "Bill"},
            "Bill": {"Type": "Task", "Parameters": {"amount.$": "$.priced.total.gross", "who.$": "$.user"}},
            "Check": {"Type": "Choice", "Choices": [{"Variable": "$.priced.currency", "StringEquals": "EUR"}]},
            "Invoke": {"Type": "Task", "ResultSelector": {"n.$": "$.Payload.count", "code.$": "$.StatusCode"}},
            "Whole": {"Type": "Task", "End": true},
            "Dropped": {"Type": "Task", "ResultPath": null, "End": true}
        }});
        let mut paths = Vec::new();
        collect_hinted_paths(&definition, &mut paths);
        let state = |name| state_json(&definition, name).unwrap();
        let price = result_tree(state("Price"), false, &paths);
        assert_eq!(
            names(&price),
            ["currency", "total"],
            "ResultPath itself is a write"
        );
        assert_eq!(names(&price.0["total"]), ["gross"]);
        assert_eq!(
            names(&result_tree(state("Invoke"), true, &paths)),
            ["count"]
        );
        assert_eq!(
            names(&result_tree(state("Whole"), false, &paths)),
            ["priced", "user"]
        );
        assert!(result_tree(state("Dropped"), false, &paths).is_empty());
        assert_eq!(price.0["currency"].1, Some(ReadKind::String));
    }

    #[test]
    fn reads_say_what_they_read() {
        let definition = json!({"States": {
            "Wait": {"Type": "Wait", "SecondsPath": "$.delay", "Next": "Each"},
            "Each": {"Type": "Map", "ItemsPath": "$.lines", "Next": "Price"},
            "Price": {"Type": "Task", "QueryLanguage": "JSONata",
                      "Arguments": {"id": "{% $states.input.order.id & '-' & $states.input.sku %}"}}
        }});
        let mut paths = Vec::new();
        collect_hinted_paths(&definition, &mut paths);
        let tree = ReadTree::hinted(paths.iter().map(|(n, k)| (n.as_slice(), *k)));
        assert_eq!(tree.0["delay"].1, Some(ReadKind::Seconds));
        assert_eq!(tree.0["lines"].1, Some(ReadKind::Array));
        assert_eq!(names(&tree.0["order"]), ["id"]);
        assert!(tree.0.contains_key("sku"));
    }

    #[test]
    fn intrinsic_arguments_and_jsonata_results_are_reads() {
        assert_eq!(
            intrinsic_paths("States.Format('{} x {}', $.order.id, $$.Execution.Id)"),
            vec![vec!["order".to_owned(), "id".to_owned()]]
        );
        let state = json!({"QueryLanguage": "JSONata",
            "Output": {"total": "{% $states.result.Payload.total %}"}});
        assert_eq!(names(&result_tree(&state, true, &[])), ["total"]);
    }

    #[test]
    fn states_are_found_inside_branches_and_map_processors() {
        let definition = json!({"States": {
            "P": {"Type": "Parallel", "Branches": [{"States": {"A": {"Type": "Pass"}}}]},
            "M": {"Type": "Map", "ItemProcessor": {"States": {"B": {"Type": "Task"}}}}
        }});
        assert_eq!(state_json(&definition, "A").unwrap()["Type"], "Pass");
        assert_eq!(state_json(&definition, "B").unwrap()["Type"], "Task");
        assert!(state_json(&definition, "C").is_none());
    }
}
