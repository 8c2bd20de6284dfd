//! The workflow as a flowchart, in Mermaid or Graphviz dot: Choice branches labelled by their
//! rule, Catch edges labelled by error names and drawn dashed, a Choice without Default failing
//! with States.NoChoiceMatched, Parallel branches and Map iterators as subgraphs that the flow
//! enters and leaves, start and end marked.

use std::fmt::Write as _;

use orderflow_exec::{Coverage, DEFAULT_RULE};
use orderflow_model::asl::model::{
    Condition, Operand, ScopeId, StateId, StateKind, StateMachine, TransitionKind,
};

/// Output format of [`render`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphFormat {
    Mermaid,
    Dot,
}

/// One edge, in format-neutral terms.
struct Edge {
    from: String,
    to: String,
    label: Option<String>,
    /// A Catch edge, or a Choice's no-match failure: drawn dashed.
    error: bool,
    /// Whether recorded executions took it, when coverage is drawn (`None`: unknown).
    taken: Option<bool>,
}

/// Renders the state machine.
pub fn render(machine: &StateMachine, format: GraphFormat) -> String {
    render_with(machine, format, None)
}

/// Renders the state machine; with `coverage`, the Mermaid flowchart draws the states no
/// recorded execution entered, and the edges none took, grey and dashed.
pub fn render_with(
    machine: &StateMachine,
    format: GraphFormat,
    coverage: Option<&Coverage>,
) -> String {
    let mut out = String::new();
    let edges = edges(machine, coverage);
    match format {
        GraphFormat::Mermaid => {
            out.push_str("flowchart TD\n");
            mermaid_scope(machine, ScopeId(0), 1, &mut out);
            for edge in &edges {
                let arrow = if edge.error { "-.->" } else { "-->" };
                match &edge.label {
                    Some(label) => {
                        let _ = writeln!(
                            out,
                            "    {} {arrow}|\"{}\"| {}",
                            edge.from,
                            mermaid_text(label),
                            edge.to
                        );
                    }
                    None => {
                        let _ = writeln!(out, "    {} {arrow} {}", edge.from, edge.to);
                    }
                }
            }
            out.push_str("    classDef terminal fill:#e8f5e9,stroke:#2e7d32\n");
            out.push_str("    classDef failure fill:#ffebee,stroke:#c62828\n");
            if let Some(coverage) = coverage {
                mermaid_coverage(machine, coverage, &edges, &mut out);
            }
        }
        GraphFormat::Dot => {
            out.push_str(
                "digraph workflow {\n    rankdir=TB;\n    node [shape=box, style=rounded];\n",
            );
            dot_scope(machine, ScopeId(0), 1, &mut out);
            for edge in &edges {
                let mut attrs = Vec::new();
                if let Some(label) = &edge.label {
                    attrs.push(format!("label=\"{}\"", dot_text(label)));
                }
                if edge.error {
                    attrs.push("style=dashed".to_owned());
                    attrs.push("color=\"#c62828\"".to_owned());
                }
                let attrs = if attrs.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", attrs.join(", "))
                };
                let _ = writeln!(out, "    {} -> {}{attrs};", edge.from, edge.to);
            }
            out.push_str("}\n");
        }
    }
    out
}

/// A node id that is valid in both formats: `s<index>`; scope start/end markers get their own.
fn node_id(id: StateId) -> String {
    format!("s{}", id.0)
}

fn start_id(scope: ScopeId) -> String {
    format!("start{}", scope.0)
}

fn end_id(scope: ScopeId) -> String {
    format!("end{}", scope.0)
}

/// Every edge: start markers to StartAt, transitions, terminal states to end markers, and each
/// Parallel/Map state into its branches (and back out).
fn edges(machine: &StateMachine, coverage: Option<&Coverage>) -> Vec<Edge> {
    let entered = |id: StateId| {
        coverage.map(|c| {
            c.states
                .get(&machine.state(id).name.value)
                .is_some_and(|n| *n > 0)
        })
    };
    let branch = |id: StateId, map: fn(&Coverage) -> &BranchCounts, key: String| {
        coverage.map(|c| {
            map(c)
                .get(&machine.state(id).name.value)
                .and_then(|m| m.get(&key))
                .is_some_and(|n| *n > 0)
        })
    };
    let mut out = Vec::new();
    for (i, scope) in machine.scopes.iter().enumerate() {
        if let Some(start) = scope.start_at.as_ref().and_then(|s| s.target) {
            out.push(Edge {
                from: start_id(ScopeId(i)),
                to: node_id(start),
                label: None,
                error: false,
                taken: entered(start),
            });
        }
    }
    for (index, state) in machine.states.iter().enumerate() {
        let id = StateId(index);
        for transition in machine.successors(id) {
            let Some(target) = transition.target else {
                continue;
            };
            let (label, error) = match transition.kind {
                TransitionKind::Next => (None, false),
                TransitionKind::Default => (Some("Default".to_owned()), false),
                TransitionKind::Choice(i) => match &state.kind {
                    StateKind::Choice(c) => (
                        c.choices.get(i).map(|r| condition_text(&r.condition)),
                        false,
                    ),
                    _ => (None, false),
                },
                TransitionKind::Catch(i) => (
                    state.catchers().get(i).map(|c| {
                        c.error_equals
                            .iter()
                            .map(|e| e.value.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    }),
                    true,
                ),
            };
            // A Parallel or Map moves on once its branches or iterations finish: its Next edge
            // leaves from their end markers, so the flow reads through the subgraphs.
            let from = match transition.kind {
                TransitionKind::Next => exits(machine, id),
                _ => vec![node_id(id)],
            };
            // A Choice rule, Default or Catch clause was taken when counted; a Next edge, when
            // both its ends were entered.
            let taken = match transition.kind {
                TransitionKind::Choice(i) => branch(id, |c| &c.choices, i.to_string()),
                TransitionKind::Default => branch(id, |c| &c.choices, DEFAULT_RULE.to_owned()),
                TransitionKind::Catch(i) => branch(id, |c| &c.catches, i.to_string()),
                TransitionKind::Next => entered(id).zip(entered(target)).map(|(a, b)| a && b),
            };
            for from in from {
                out.push(Edge {
                    from,
                    to: node_id(target),
                    label: label.clone(),
                    error,
                    taken,
                });
            }
        }
        let ends = state.end || matches!(state.kind, StateKind::Succeed | StateKind::Fail(_));
        if ends {
            for from in exits(machine, id) {
                out.push(Edge {
                    from,
                    to: end_id(state.scope),
                    label: None,
                    error: false,
                    taken: entered(id),
                });
            }
        }
        // A Choice without Default fails with States.NoChoiceMatched when no rule matches.
        if let StateKind::Choice(choice) = &state.kind {
            if choice.default.is_none() {
                out.push(Edge {
                    from: node_id(id),
                    to: no_match_id(id),
                    label: Some("no rule matches".to_owned()),
                    error: true,
                    taken: None,
                });
            }
        }
    }
    out
}

/// Counts by state, then by branch (a [`Coverage`]'s `choices` or `catches`).
type BranchCounts = std::collections::BTreeMap<String, std::collections::BTreeMap<String, u64>>;

/// Styles apart what recorded executions did not reach: states never entered, edges never taken.
fn mermaid_coverage(machine: &StateMachine, coverage: &Coverage, edges: &[Edge], out: &mut String) {
    out.push_str(
        "    classDef uncovered fill:#fafafa,stroke:#9e9e9e,stroke-dasharray:4 3,color:#757575\n",
    );
    let never: Vec<String> = machine
        .states
        .iter()
        .enumerate()
        .filter(|(_, s)| coverage.states.get(&s.name.value).is_none_or(|n| *n == 0))
        .map(|(i, _)| node_id(StateId(i)))
        .collect();
    if !never.is_empty() {
        let _ = writeln!(out, "    class {} uncovered", never.join(","));
    }
    let untaken: Vec<String> = edges
        .iter()
        .enumerate()
        .filter(|(_, e)| e.taken == Some(false))
        .map(|(i, _)| i.to_string())
        .collect();
    if !untaken.is_empty() {
        let _ = writeln!(
            out,
            "    linkStyle {} stroke:#bdbdbd,stroke-dasharray:3 3",
            untaken.join(",")
        );
    }
}

/// Where a state's normal successor edge leaves from: the end marker of each branch or iterator
/// of a Parallel or Map, the state itself otherwise.
fn exits(machine: &StateMachine, id: StateId) -> Vec<String> {
    match &machine.state(id).kind {
        StateKind::Parallel(p) => p.branches.iter().map(|b| end_id(*b)).collect(),
        StateKind::Map(m) => vec![end_id(m.iterator)],
        _ => vec![node_id(id)],
    }
}

/// The failure node of a Choice without Default.
fn no_match_id(id: StateId) -> String {
    format!("nomatch{}", id.0)
}

/// The error a Choice without Default raises when no rule matches.
const NO_CHOICE_MATCHED: &str = "States.NoChoiceMatched";

/// A Choice rule in words: `$.redeem == true`, `not (…)`, `a and b`.
fn condition_text(condition: &Condition) -> String {
    match condition {
        Condition::Compare {
            variable,
            operator,
            operand,
        } => {
            let value = match operand {
                // A string as written in the ASL, not JSON-escaped: the renderers escape
                // for their own syntax.
                Operand::Literal(json) => match json.to_value() {
                    serde_json::Value::String(text) => format!("\"{text}\""),
                    other => other.to_string(),
                },
                Operand::Path(p) => p.value.to_string(),
            };
            format!("{} {} {value}", variable.value, operator.value.name())
        }
        Condition::And(rules) => rules
            .iter()
            .map(|r| condition_text(&r.condition))
            .collect::<Vec<_>>()
            .join(" and "),
        Condition::Or(rules) => rules
            .iter()
            .map(|r| condition_text(&r.condition))
            .collect::<Vec<_>>()
            .join(" or "),
        Condition::Not(rule) => format!("not ({})", condition_text(&rule.condition)),
        Condition::Jsonata(text) => text.value.clone(),
        Condition::Invalid => "?".to_owned(),
    }
}

/// What a node shows: the state's name and, for Tasks, what they call.
fn node_label(machine: &StateMachine, id: StateId) -> String {
    let state = machine.state(id);
    let kind = match &state.kind {
        StateKind::Task(t) => match &t.resource.value {
            orderflow_model::asl::model::Resource::Lambda { function, .. } => {
                format!("Task: λ {function}")
            }
            orderflow_model::asl::model::Resource::SqsSendMessage {
                wait_for_task_token: true,
            } => "Task: SQS + task token".to_owned(),
            orderflow_model::asl::model::Resource::SqsSendMessage { .. } => "Task: SQS".to_owned(),
            orderflow_model::asl::model::Resource::SnsPublish { .. } => {
                "Task: SNS publish".to_owned()
            }
            orderflow_model::asl::model::Resource::Opaque(r) => format!("Task: {r}"),
        },
        StateKind::Pass(_) => "Pass".to_owned(),
        StateKind::Choice(_) => "Choice".to_owned(),
        StateKind::Wait(_) => "Wait".to_owned(),
        StateKind::Succeed => "Succeed".to_owned(),
        StateKind::Fail(_) => "Fail".to_owned(),
        StateKind::Parallel(_) => "Parallel".to_owned(),
        StateKind::Map(_) => "Map".to_owned(),
    };
    format!("{}\n{kind}", state.name.value)
}

/// Mermaid label text inside `"…"`: quotes and `#` as entity codes, newlines as `<br>`.
fn mermaid_text(text: &str) -> String {
    text.replace('#', "#35;")
        .replace('"', "#quot;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
        // A backtick would open Mermaid's markdown-string syntax.
        .replace('`', "#96;")
        .replace('\n', "<br>")
}

fn dot_text(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn mermaid_scope(machine: &StateMachine, scope: ScopeId, depth: usize, out: &mut String) {
    let indent = "    ".repeat(depth);
    let _ = writeln!(out, "{indent}{}((\"start\"))", start_id(scope));
    for id in &machine.scope(scope).states {
        let state = machine.state(*id);
        let label = mermaid_text(&node_label(machine, *id));
        let node = node_id(*id);
        let shape = match &state.kind {
            StateKind::Choice(_) => format!("{node}{{\"{label}\"}}"),
            _ => format!("{node}(\"{label}\")"),
        };
        let _ = writeln!(out, "{indent}{shape}");
        match &state.kind {
            StateKind::Succeed => {
                let _ = writeln!(out, "{indent}class {node} terminal");
            }
            StateKind::Fail(_) => {
                let _ = writeln!(out, "{indent}class {node} failure");
            }
            StateKind::Choice(choice) if choice.default.is_none() => {
                let failure = no_match_id(*id);
                let _ = writeln!(out, "{indent}{failure}[[\"{NO_CHOICE_MATCHED}\"]]");
                let _ = writeln!(out, "{indent}class {failure} failure");
            }
            _ => {}
        }
        let inner: Vec<(ScopeId, String)> = match &state.kind {
            StateKind::Parallel(p) => p
                .branches
                .iter()
                .enumerate()
                .map(|(i, b)| (*b, format!("{} branch {}", state.name.value, i + 1)))
                .collect(),
            StateKind::Map(m) => vec![(m.iterator, format!("{} (each item)", state.name.value))],
            _ => Vec::new(),
        };
        for (inner_scope, title) in inner {
            let _ = writeln!(
                out,
                "{indent}subgraph sub{}[\"{}\"]",
                inner_scope.0,
                mermaid_text(&title)
            );
            mermaid_scope(machine, inner_scope, depth + 1, out);
            let _ = writeln!(out, "{indent}end");
            let _ = writeln!(out, "{indent}{node} --> sub{}", inner_scope.0);
        }
    }
    let _ = writeln!(out, "{indent}{}((\"end\"))", end_id(scope));
}

fn dot_scope(machine: &StateMachine, scope: ScopeId, depth: usize, out: &mut String) {
    let indent = "    ".repeat(depth);
    let _ = writeln!(
        out,
        "{indent}{} [label=\"start\", shape=circle];",
        start_id(scope)
    );
    for id in &machine.scope(scope).states {
        let state = machine.state(*id);
        let shape = match &state.kind {
            StateKind::Choice(_) => ", shape=diamond, style=\"\"",
            StateKind::Succeed => ", color=\"#2e7d32\"",
            StateKind::Fail(_) => ", color=\"#c62828\"",
            _ => "",
        };
        let _ = writeln!(
            out,
            "{indent}{} [label=\"{}\"{shape}];",
            node_id(*id),
            dot_text(&node_label(machine, *id))
        );
        if let StateKind::Choice(choice) = &state.kind {
            if choice.default.is_none() {
                let _ = writeln!(
                    out,
                    "{indent}{} [label=\"{NO_CHOICE_MATCHED}\", shape=octagon, color=\"#c62828\"];",
                    no_match_id(*id)
                );
            }
        }
        let inner: Vec<(ScopeId, String)> = match &state.kind {
            StateKind::Parallel(p) => p
                .branches
                .iter()
                .enumerate()
                .map(|(i, b)| (*b, format!("{} branch {}", state.name.value, i + 1)))
                .collect(),
            StateKind::Map(m) => vec![(m.iterator, format!("{} (each item)", state.name.value))],
            _ => Vec::new(),
        };
        for (inner_scope, title) in inner {
            let _ = writeln!(out, "{indent}subgraph cluster{} {{", inner_scope.0);
            let _ = writeln!(out, "{indent}    label=\"{}\";", dot_text(&title));
            dot_scope(machine, inner_scope, depth + 1, out);
            let _ = writeln!(out, "{indent}}}");
            let _ = writeln!(
                out,
                "{indent}{} -> {} [style=dotted];",
                node_id(*id),
                start_id(inner_scope)
            );
        }
    }
    let _ = writeln!(
        out,
        "{indent}{} [label=\"end\", shape=doublecircle];",
        end_id(scope)
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use orderflow_model::analyze;
    use orderflow_model::workflow::WorkflowSources;

    fn machine_of(relative: &str) -> StateMachine {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(relative);
        let sources = WorkflowSources::read_dir(&dir).expect("readable");
        analyze(&sources).workflow.expect("a workflow").machine
    }

    #[test]
    fn mermaid_text_escapes_what_mermaid_would_parse() {
        assert_eq!(mermaid_text("a`b\"c<d>#e"), "a#96;b#quot;c#lt;d#gt;#35;e");
    }

    #[test]
    fn store_checkout_mermaid() {
        let text = render(
            &machine_of("definitions/store-checkout"),
            GraphFormat::Mermaid,
        );
        insta::assert_snapshot!(text);
    }

    #[test]
    fn order_status_dot() {
        let text = render(&machine_of("definitions/order-status"), GraphFormat::Dot);
        insta::assert_snapshot!(text);
    }

    /// A Parallel (one branch catching its Task's error, then checking it with a Choice
    /// without Default), then a Map, then a Choice without Default on string literals.
    fn parallel_map_choice() -> StateMachine {
        let definition = serde_json::json!({
            "StartAt": "Fan out",
            "States": {
                "Fan out": {
                    "Type": "Parallel",
                    "Next": "Each item",
                    "Branches": [
                        {
                            "StartAt": "Charge",
                            "States": {
                                "Charge": {
                                    "Type": "Task",
                                    "Resource": "arn:aws:states:::sns:publish",
                                    "Parameters": { "TopicArn": "arn:aws:sns:us-east-1:123456789012:t", "Message": "m" },
                                    "Catch": [{ "ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Failed?" }],
                                    "Next": "Failed?"
                                },
                                "Failed?": {
                                    "Type": "Choice",
                                    "Choices": [{ "Variable": "$.error", "IsPresent": true, "Next": "Stop" }]
                                },
                                "Stop": { "Type": "Fail", "ErrorPath": "$.error.Error" }
                            }
                        },
                        { "StartAt": "Wait", "States": { "Wait": { "Type": "Wait", "Seconds": 1, "End": true } } }
                    ]
                },
                "Each item": {
                    "Type": "Map",
                    "Next": "Route",
                    "ItemProcessor": { "StartAt": "Item", "States": { "Item": { "Type": "Pass", "End": true } } }
                },
                "Route": {
                    "Type": "Choice",
                    "Choices": [
                        { "Variable": "$.tier", "StringEquals": "gold \"plus\"", "Next": "Done" },
                        { "Variable": "$.path", "StringMatches": "C:\\*", "Next": "Done" }
                    ]
                },
                "Done": { "Type": "Succeed" }
            }
        });
        let file =
            orderflow_model::source::SourceFile::new("workflow.asl.json", definition.to_string());
        let json =
            orderflow_model::json::parse(file.text()).unwrap_or_else(|e| panic!("{}", e.message));
        let mut diagnostics = Vec::new();
        let mut machine = orderflow_model::asl::parse_state_machine(
            &file,
            &json,
            &orderflow_model::asl::FunctionCatalog::default(),
            &mut diagnostics,
        );
        orderflow_model::asl::validate::validate(&mut machine, &mut diagnostics);
        assert!(!diagnostics.iter().any(|d| d.is_error()), "{diagnostics:?}");
        machine
    }

    fn id_of(machine: &StateMachine, name: &str) -> StateId {
        let index = machine
            .states
            .iter()
            .position(|s| s.name.value == name)
            .unwrap_or_else(|| panic!("no state {name}"));
        StateId(index)
    }

    #[test]
    fn a_choice_without_default_draws_its_failure() {
        let machine = parallel_map_choice();
        let mermaid = render(&machine, GraphFormat::Mermaid);
        for choice in ["Failed?", "Route"] {
            let id = id_of(&machine, choice);
            let (node, failure) = (node_id(id), no_match_id(id));
            assert!(
                mermaid.contains(&format!("{node} -.->|\"no rule matches\"| {failure}")),
                "{mermaid}"
            );
            assert!(
                mermaid.contains(&format!("{failure}[[\"States.NoChoiceMatched\"]]")),
                "{mermaid}"
            );
        }
        let dot = render(&machine, GraphFormat::Dot);
        let failure = no_match_id(id_of(&machine, "Route"));
        assert!(
            dot.contains(&format!("{failure} [label=\"States.NoChoiceMatched\"")),
            "{dot}"
        );
        // A Choice with a Default has no failure node.
        let checkout = render(
            &machine_of("definitions/store-checkout"),
            GraphFormat::Mermaid,
        );
        assert!(!checkout.contains("NoChoiceMatched"), "{checkout}");
    }

    #[test]
    fn choice_string_literals_are_shown_as_written() {
        let machine = parallel_map_choice();
        let dot = render(&machine, GraphFormat::Dot);
        // `gold "plus"` and `C:\*`, escaped once for dot's own quoting and no more.
        assert!(
            dot.contains(r#"label="$.tier StringEquals \"gold \"plus\"\"""#),
            "{dot}"
        );
        assert!(
            dot.contains(r#"label="$.path StringMatches \"C:\\*\"""#),
            "{dot}"
        );
        let mermaid = render(&machine, GraphFormat::Mermaid);
        assert!(
            mermaid.contains("|\"$.tier StringEquals #quot;gold #quot;plus#quot;#quot;\"|"),
            "{mermaid}"
        );
        assert!(
            mermaid.contains(r#"|"$.path StringMatches #quot;C:\*#quot;"|"#),
            "{mermaid}"
        );
    }

    #[test]
    fn the_flow_leaves_parallel_and_map_through_their_subgraphs() {
        let machine = parallel_map_choice();
        let (fan_out, each, route) = (
            id_of(&machine, "Fan out"),
            id_of(&machine, "Each item"),
            id_of(&machine, "Route"),
        );
        let StateKind::Parallel(parallel) = &machine.state(fan_out).kind else {
            panic!("Fan out is a Parallel");
        };
        let StateKind::Map(map) = &machine.state(each).kind else {
            panic!("Each item is a Map");
        };
        let mermaid = render(&machine, GraphFormat::Mermaid);
        for branch in &parallel.branches {
            let edge = format!("{} --> {}", end_id(*branch), node_id(each));
            assert!(mermaid.contains(&edge), "{edge} missing:\n{mermaid}");
        }
        let edge = format!("{} --> {}", end_id(map.iterator), node_id(route));
        assert!(mermaid.contains(&edge), "{edge} missing:\n{mermaid}");
        // Not also straight from the Parallel/Map node, past its branches.
        assert!(!mermaid.contains(&format!("{} --> {}", node_id(fan_out), node_id(each))));
        assert!(!mermaid.contains(&format!("{} --> {}", node_id(each), node_id(route))));
        let dot = render(&machine, GraphFormat::Dot);
        let edge = format!("{} -> {};", end_id(map.iterator), node_id(route));
        assert!(dot.contains(&edge), "{edge} missing:\n{dot}");
    }

    #[test]
    fn parallel_map_choice_mermaid() {
        insta::assert_snapshot!(render(&parallel_map_choice(), GraphFormat::Mermaid));
    }

    #[test]
    fn catch_edges_are_dashed_and_labelled_with_error_names() {
        let text = render(
            &machine_of("definitions/store-checkout"),
            GraphFormat::Mermaid,
        );
        assert!(text.contains("s0 -.->|\"BookNotFound\"| s10"), "{text}");
        assert!(text.contains("|\"$.redeem BooleanEquals true\"|"), "{text}");
    }
}
