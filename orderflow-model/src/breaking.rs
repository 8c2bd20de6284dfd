//! Breaking changes between two versions of a workflow (`check --against`).
//!
//! A workflow and its functions are never deployed at the same instant: during a rollout the new
//! function answers the old definition and the old function the new one, executions started on
//! the old definition keep running, and StartExecution callers keep sending the old input. Each
//! rule here compares the two checked models, [`Workflow`]s built by [`crate::analyze`]:
//!
//! - the execution input, schema against schema (E0501);
//! - function contracts in both directions, by running the data-flow check on one version's
//!   definition with the other version's schemas (E0502, E0503, E0504, E0509), so the rule is the
//!   data-flow check's own and is not implemented twice;
//! - states executions can be waiting in (E0505, E0507) or pass through (W0506);
//! - error names the old definition catches (E0508), and functions that are gone (E0510).
//!
//! Each change is reported at the new version's files, with the earlier version's place as a
//! related location. `breaking.accept` in the new orderflow.json accepts one on purpose.

use std::collections::{BTreeSet, HashSet};

use crate::asl::model::{MapMode, ScopeKind, State, StateId, StateKind, StateMachine};
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::flow::compat::{self, Mismatch, MismatchKind};
use crate::json::Span;
use crate::workflow::Workflow;

/// What comparing two versions of a workflow found.
#[derive(Debug, Default)]
pub struct Comparison {
    /// The breaking changes (and warnings) not accepted in the new orderflow.json.
    pub diagnostics: Vec<Diagnostic>,
    /// The changes `breaking.accept` accepts, each with the reason it gives.
    pub accepted: Vec<AcceptedDiagnostic>,
}

/// A breaking change accepted on purpose.
#[derive(Debug)]
pub struct AcceptedDiagnostic {
    /// The change as it would have been reported.
    pub diagnostic: Diagnostic,
    /// The reason the manifest gives.
    pub reason: String,
}

/// The codes of the breaking-change rules (what `breaking.accept` may name).
pub const CODES: [Code; 10] = [
    Code::ExecutionInputNarrowed,
    Code::FunctionInputNarrowed,
    Code::FunctionOutputNarrowed,
    Code::EarlierFunctionBroken,
    Code::WaitingStateRemoved,
    Code::PassingStateRenamed,
    Code::WaitingStateMoved,
    Code::CaughtErrorRemoved,
    Code::WorkerInputNarrowed,
    Code::FunctionRemoved,
];

/// One change found, with what an accept entry can name.
struct Change {
    diagnostic: Diagnostic,
    state: Option<String>,
    function: Option<String>,
}

/// Compares `new` with its earlier version `old`.
pub fn compare(old: &Workflow, new: &Workflow) -> Comparison {
    let mut changes = Vec::new();
    execution_input(old, new, &mut changes);
    contracts(old, new, &mut changes);
    states(old, new, &mut changes);
    errors(old, new, &mut changes);
    removed_functions(old, new, &mut changes);
    let mut comparison = Comparison::default();
    let accept = &new.manifest.breaking.accept;
    let mut seen = HashSet::new();
    for change in changes {
        let d = &change.diagnostic;
        // A warning the workflow allows (`--allow W0506`, orderflow.json `allow`) is not
        // reported here either.
        if !seen.insert((d.code, d.message.clone()))
            || (!d.is_error() && new.allowed.contains(&d.code))
        {
            continue;
        }
        let accepted = accept.iter().find(|a| {
            a.code == d.code.as_str()
                && a.state
                    .as_ref()
                    .is_none_or(|s| change.state.as_ref() == Some(s))
                && a.function
                    .as_ref()
                    .is_none_or(|f| change.function.as_ref() == Some(f))
        });
        match accepted {
            Some(a) => comparison.accepted.push(AcceptedDiagnostic {
                diagnostic: change.diagnostic,
                reason: a.reason.clone(),
            }),
            None => comparison.diagnostics.push(change.diagnostic),
        }
    }
    crate::diagnostic::normalize(&mut comparison.diagnostics);
    comparison
}

/// E0501: every input the earlier execution input schema accepted must still be accepted.
fn execution_input(old: &Workflow, new: &Workflow, changes: &mut Vec<Change>) {
    let (Some(old_schema), Some(new_schema)) = (&old.execution_input, &new.execution_input) else {
        return;
    };
    let mut mismatches = Vec::new();
    compat::check_schemas(&old_schema.shape, &new_schema.shape, &mut mismatches);
    for m in mismatches {
        // A closed top level is shown at its `additionalProperties`.
        let closed_here = (m.kind == MismatchKind::Closed && m.holder_path.is_empty())
            .then(|| new_schema.json.pointer("/additionalProperties"))
            .flatten()
            .map(|v| Location::new(&new_schema.file, "/additionalProperties", v.span));
        let at = m
            .requirement_origin
            .clone()
            .filter(|o| o.file.path() == new_schema.file.path())
            .or(closed_here)
            .unwrap_or_else(|| root(&new_schema.file, new_schema.json.span));
        let before = m
            .holder_origin
            .clone()
            .unwrap_or_else(|| root(&old_schema.file, old_schema.json.span));
        let d = Diagnostic::new(
            Code::ExecutionInputNarrowed,
            format!(
                "the execution input {}: StartExecution calls that the earlier schema accepted now fail",
                narrowing(&m)
            ),
        )
        .at(at)
        .label("the new execution input schema")
        .related(before, "the earlier schema accepted it")
        .help("make the change optional (a new property with a default, a wider type), or accept it in orderflow.json once every caller sends the new input");
        changes.push(Change {
            diagnostic: d,
            state: None,
            function: None,
        });
    }
}

/// How a schema comparison's mismatch narrows what is accepted, in words.
fn narrowing(m: &Mismatch) -> String {
    let path = if m.path == "the payload" {
        "the input".to_owned()
    } else {
        format!("`{}`", m.path)
    };
    match &m.kind {
        MismatchKind::Missing { maybe: false, .. } => format!("now requires {path}"),
        MismatchKind::Missing { maybe: true, .. } => {
            format!("now requires {path}, which was optional")
        }
        MismatchKind::WrongType { expected, found } => {
            format!("narrows {path} from {found} to {expected}")
        }
        MismatchKind::ValuesNotAllowed { values } => format!(
            "no longer accepts {} for {path}",
            values
                .iter()
                .map(|v| format!("\"{v}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        MismatchKind::Closed if m.holder_path.is_empty() => {
            "no longer allows properties beyond those it lists".to_owned()
        }
        MismatchKind::Closed => {
            format!("no longer allows properties beyond those listed in {path}")
        }
        MismatchKind::NotAllowed => format!("no longer allows {path}"),
    }
}

/// The data-flow codes a contract between a definition and its functions can break.
fn is_contract_code(code: Code) -> bool {
    matches!(
        code,
        Code::MissingInputProperty
            | Code::InputTypeMismatch
            | Code::TaskTokenBodyMismatch
            | Code::PathNeverExists
            | Code::PathMaybeMissing
            | Code::WorkerOutputMismatch
    )
}

/// E0502, E0503, E0509 (a new function under the earlier definition) and E0504 (an earlier
/// function under the new definition): the data-flow check on one version's definition with
/// one function's schemas swapped for the other version's, minus what it finds with the
/// definition's own. One function and one direction at a time, so each finding names the
/// schema that causes it.
fn contracts(old: &Workflow, new: &Workflow, changes: &mut Vec<Change>) {
    for (name, before) in &old.functions {
        let Some(after) = new.functions.get(name) else {
            continue;
        };
        let input_changed = before.input.value != after.input.value;
        let output_changed = before.output.value != after.output.value;
        let is_worker = !before.completes_tokens_of.is_empty();
        // The new function answers the earlier definition: its input, then its output.
        let swaps = [(input_changed, Swap::Input), (output_changed, Swap::Output)];
        for (changed, swap) in swaps {
            if !changed {
                continue;
            }
            let (code, schema) = match swap {
                Swap::Input if is_worker => (Code::WorkerInputNarrowed, &after.input),
                Swap::Input => (Code::FunctionInputNarrowed, &after.input),
                Swap::Output | Swap::Both => (Code::FunctionOutputNarrowed, &after.output),
            };
            for (inner, state) in contract_breaks(old, name, new, swap) {
                // Reported at the new schema, where the change is.
                let at = inner
                    .related
                    .iter()
                    .map(|r| r.location.clone())
                    .find(|l| l.file.path() == schema.file.path())
                    .unwrap_or_else(|| root(&schema.file, schema.json.span));
                let d = Diagnostic::new(
                    code,
                    format!(
                        "the new {name} does not fit the earlier definition, whose executions may still be running: {}",
                        inner.message
                    ),
                )
                .at(at)
                .label("changed here")
                .related(
                    inner
                        .location
                        .clone()
                        .unwrap_or_else(|| root(&old.machine.file, Span::default())),
                    "in the earlier definition",
                )
                .help(format!(
                    "keep {name}'s schema compatible until no execution of the earlier definition runs, or accept the change in orderflow.json"
                ));
                changes.push(Change {
                    diagnostic: d,
                    state,
                    function: Some(name.clone()),
                });
            }
        }
        // The earlier function answers the new definition until it is replaced.
        if !(input_changed || output_changed) {
            continue;
        }
        for (inner, state) in contract_breaks(new, name, old, Swap::Both) {
            let mut d = Diagnostic::new(
                Code::EarlierFunctionBroken,
                format!(
                    "the new definition does not work with the earlier {name}, which answers until its rollout ends: {}",
                    inner.message
                ),
            )
            .help(format!(
                "deploy a {name} that accepts both first, or accept the change in orderflow.json"
            ));
            if let Some(location) = inner.location.clone() {
                d = d.at(location);
            }
            if let Some(label) = inner.label.clone() {
                d = d.label(label);
            }
            for r in inner.related {
                d = d.related(r.location, r.message);
            }
            changes.push(Change {
                diagnostic: d,
                state,
                function: Some(name.clone()),
            });
        }
    }
}

/// Which schemas of one function come from the other version.
#[derive(Clone, Copy)]
enum Swap {
    Input,
    Output,
    Both,
}

/// What the data-flow check finds on `definition` with `function`'s schemas (as `swap` says)
/// taken from `other`, and not with its own: each with the state it is about.
fn contract_breaks(
    definition: &Workflow,
    function: &str,
    other: &Workflow,
    swap: Swap,
) -> Vec<(Diagnostic, Option<String>)> {
    let (Some(mine), Some(theirs)) = (
        definition.functions.get(function),
        other.functions.get(function),
    ) else {
        return Vec::new();
    };
    let mut own = Vec::new();
    crate::flow::data_flow(definition, &mut own);
    let known: HashSet<_> = own.iter().map(contract_key).collect();
    let mut mixed = definition.clone();
    let mut swapped = mine.clone();
    if matches!(swap, Swap::Input | Swap::Both) {
        swapped.input = theirs.input.clone();
    }
    if matches!(swap, Swap::Output | Swap::Both) {
        swapped.output = theirs.output.clone();
    }
    mixed.functions.insert(function.to_owned(), swapped);
    let mut found = Vec::new();
    crate::flow::data_flow(&mixed, &mut found);
    found
        .into_iter()
        .filter(|d| is_contract_code(d.code) && !known.contains(&contract_key(d)))
        .map(|d| {
            let state = d
                .location
                .as_ref()
                .and_then(|l| state_at(&definition.machine, &l.pointer))
                .map(|id| definition.machine.state(id).name.value.clone());
            (d, state)
        })
        .collect()
}

/// A data-flow diagnostic as two versions can both produce it: its place and the first clause
/// of its message (the rest names schema files, which differ between versions).
fn contract_key(d: &Diagnostic) -> (Code, Option<String>, String) {
    let head = d.message.split([';', ':']).next().unwrap_or_default();
    (
        d.code,
        d.location.as_ref().map(|l| l.pointer.clone()),
        head.to_owned(),
    )
}

/// The state a JSON pointer into the definition is in (the innermost).
fn state_at(machine: &StateMachine, pointer: &str) -> Option<StateId> {
    machine
        .states
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            pointer
                .strip_prefix(s.pointer.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
        .max_by_key(|(_, s)| s.pointer.len())
        .map(|(index, _)| StateId(index))
}

/// Whether an execution can be in this state for more than an instant: waiting for a task (and
/// its retries, its token, its heartbeat), a Wait, or a Map or Parallel in progress.
fn can_hold_execution(state: &State) -> bool {
    matches!(
        state.kind,
        StateKind::Task(_) | StateKind::Wait(_) | StateKind::Map(_) | StateKind::Parallel(_)
    )
}

/// Where a state sits, in words: `at the top level`, `in the iterator of Map "Items"`, ….
fn scope_text(machine: &StateMachine, state: &State) -> String {
    match &machine.scope(state.scope).kind {
        ScopeKind::TopLevel => "at the top level".to_owned(),
        ScopeKind::ParallelBranch { parallel, index } => format!(
            "in branch {} of Parallel \"{}\"",
            index + 1,
            machine.state(*parallel).name.value
        ),
        ScopeKind::MapIterator { map } => {
            format!(
                "in the iterator of Map \"{}\"",
                machine.state(*map).name.value
            )
        }
    }
}

/// E0505, W0506, E0507: states executions of the earlier definition may be in.
fn states(old: &Workflow, new: &Workflow, changes: &mut Vec<Change>) {
    let (before, after) = (&old.machine, &new.machine);
    let added: Vec<&State> = after
        .states
        .iter()
        .filter(|s| before.state_named(&s.name.value).is_none())
        .collect();
    let mut renames_used = BTreeSet::new();
    for state in &before.states {
        let name = &state.name.value;
        let old_place = state.name.location(&before.file);
        match after.state_named(name).map(|id| after.state(id)) {
            Some(now) => {
                if !can_hold_execution(state) {
                    continue;
                }
                let (was_scope, now_scope) = (scope_text(before, state), scope_text(after, now));
                if state.type_name() == now.type_name() && was_scope == now_scope {
                    continue;
                }
                let change = if was_scope == now_scope {
                    format!(
                        "was a {} state and is now a {} state",
                        state.type_name(),
                        now.type_name()
                    )
                } else {
                    format!(
                        "was a {} state {was_scope} and is now a {} state {now_scope}",
                        state.type_name(),
                        now.type_name()
                    )
                };
                let d = Diagnostic::new(
                    Code::WaitingStateMoved,
                    format!(
                        "state \"{name}\" {change}: an execution of the earlier definition waiting there, or redriven from it, resumes in a different place"
                    ),
                )
                .at(now.name.location(&after.file))
                .label("changed here")
                .related(old_place, "in the earlier definition")
                .help("give the new state a new name and keep the old one until no execution can be in it, or accept the change in orderflow.json");
                changes.push(Change {
                    diagnostic: d,
                    state: Some(name.clone()),
                    function: None,
                });
            }
            None => {
                let waiting = can_hold_execution(state);
                let passing = matches!(state.kind, StateKind::Choice(_) | StateKind::Pass(_));
                if !waiting && !passing {
                    continue;
                }
                // A new state of the same type that does the same thing: the same one renamed.
                let renamed = added
                    .iter()
                    .copied()
                    .filter(|s| !renames_used.contains(&s.name.value))
                    .find(|s| same_work(state, s));
                if let Some(r) = renamed {
                    renames_used.insert(r.name.value.clone());
                }
                let what = match renamed {
                    Some(r) => format!("was renamed to \"{}\"", r.name.value),
                    None => "was removed".to_owned(),
                };
                let at = match renamed {
                    Some(r) => r.name.location(&after.file),
                    None => after
                        .scopes
                        .first()
                        .map(|scope| {
                            let pointer = format!("{}/States", scope.pointer);
                            Location::new(&after.file, pointer, scope.states_span)
                        })
                        .unwrap_or_else(|| root(&after.file, Span::default())),
                };
                let d = if waiting {
                    Diagnostic::new(
                        Code::WaitingStateRemoved,
                        format!(
                            "{} state \"{name}\" {what}: executions of the earlier definition can be waiting in it, and a redrive restarts from it",
                            state.type_name()
                        ),
                    )
                    .help("keep the state under its old name until no execution of the earlier definition can be in it, or accept the change in orderflow.json")
                } else {
                    Diagnostic::new(
                        Code::PassingStateRenamed,
                        format!(
                            "{} state \"{name}\" {what}: a redrive of an execution that failed there cannot restart from it",
                            state.type_name()
                        ),
                    )
                };
                changes.push(Change {
                    diagnostic: d
                        .at(at)
                        .label(what)
                        .related(old_place, "in the earlier definition"),
                    state: Some(name.clone()),
                    function: None,
                });
            }
        }
    }
}

/// Whether two states of two versions do the same work (so one is the other renamed).
fn same_work(old: &State, new: &State) -> bool {
    if old.type_name() != new.type_name() {
        return false;
    }
    match (&old.kind, &new.kind) {
        (StateKind::Task(a), StateKind::Task(b)) => a.resource.value == b.resource.value,
        _ => {
            let next = |s: &State| s.next.as_ref().map(|n| n.name.value.clone());
            next(old) == next(new) && old.end == new.end
        }
    }
}

/// The start of a file, as a location.
fn root(file: &std::sync::Arc<crate::source::SourceFile>, span: Span) -> Location {
    Location::new(
        file,
        "",
        Span {
            end: span.start,
            ..span
        },
    )
}

/// E0508: an error name a function no longer declares, which the earlier definition catches or
/// retries by name (so, renamed, the earlier definition's clause no longer matches it).
fn errors(old: &Workflow, new: &Workflow, changes: &mut Vec<Change>) {
    for (name, before) in &old.functions {
        let Some(after) = new.functions.get(name) else {
            continue;
        };
        let removed: Vec<&String> = before
            .declared_errors
            .iter()
            .filter(|e| !after.declared_errors.contains(e))
            .collect();
        let added: Vec<&String> = after
            .declared_errors
            .iter()
            .filter(|e| !before.declared_errors.contains(e))
            .collect();
        for error in removed {
            // The calling state, and the Parallel and inline Map states around it, which see
            // its error by the same name when it fails their branch or iteration.
            let states: BTreeSet<StateId> = before
                .invoked_by
                .iter()
                .chain(&before.completes_tokens_of)
                .flat_map(|id| with_enclosing(&old.machine, *id))
                .collect();
            for id in states {
                let state = old.machine.state(id);
                for (names, clause) in state.error_clauses() {
                    let Some(matched) = names.iter().find(|n| &n.value == error) else {
                        continue;
                    };
                    let what = match added.as_slice() {
                        [one] => format!("was renamed to `{one}`"),
                        _ => "is no longer declared".to_owned(),
                    };
                    let at = new
                        .manifest_location(&format!("/functions/{name}/errors"))
                        .unwrap_or_else(|| root(&new.machine.file, Span::default()));
                    let d = Diagnostic::new(
                        Code::CaughtErrorRemoved,
                        format!(
                            "error `{error}` of {name} {what}, but the earlier definition's {clause} on state \"{}\" matches it by name, and executions of that definition still run",
                            state.name.value
                        ),
                    )
                    .at(at)
                    .label("the errors the new version declares")
                    .related(matched.location(&old.machine.file), format!("the earlier {clause}"))
                    .help(format!(
                        "keep raising (and declaring) `{error}` until no execution of the earlier definition runs, or accept the change in orderflow.json"
                    ));
                    changes.push(Change {
                        diagnostic: d,
                        state: Some(state.name.value.clone()),
                        function: Some(name.clone()),
                    });
                }
            }
        }
    }
}

/// `id` and the states whose scopes enclose it and re-raise its errors by name: Parallel states,
/// and inline Map states (a Distributed Map fails with its own threshold error).
fn with_enclosing(machine: &StateMachine, id: StateId) -> Vec<StateId> {
    let mut out = vec![id];
    let mut current = id;
    loop {
        let scope = machine.state(current).scope;
        let owner = match machine.scope(scope).kind {
            ScopeKind::ParallelBranch { parallel, .. } => parallel,
            ScopeKind::MapIterator { map } => match &machine.state(map).kind {
                StateKind::Map(m) if m.mode == MapMode::Inline => map,
                _ => break,
            },
            _ => break,
        };
        out.push(owner);
        current = owner;
    }
    out
}

/// E0510: a function the earlier definition invokes that the new version neither invokes nor
/// declares, so its deployment (generated templates) no longer has it.
fn removed_functions(old: &Workflow, new: &Workflow, changes: &mut Vec<Change>) {
    let now: BTreeSet<&str> = new
        .machine
        .states
        .iter()
        .filter_map(State::lambda_function)
        .collect();
    let mut reported = BTreeSet::new();
    for state in &old.machine.states {
        let (Some(function), StateKind::Task(task)) = (state.lambda_function(), &state.kind) else {
            continue;
        };
        if now.contains(function)
            || new.functions.contains_key(function)
            || new.manifest.functions.contains_key(function)
            || !reported.insert(function)
        {
            continue;
        }
        let at = new
            .manifest_location("/functions")
            .unwrap_or_else(|| root(&new.machine.file, Span::default()));
        let d = Diagnostic::new(
            Code::FunctionRemoved,
            format!(
                "function {function} is gone from the new version, but the earlier definition invokes it (state \"{}\"): executions of the earlier definition fail there once it is deleted",
                state.name.value
            ),
        )
        .at(at)
        .related(task.resource.location(&old.machine.file), "the earlier definition invokes it here")
        .help(format!(
            "keep {function} declared in orderflow.json `functions` (so it stays deployed) until no execution of the earlier definition runs"
        ));
        changes.push(Change {
            diagnostic: d,
            state: Some(state.name.value.clone()),
            function: Some(function.to_owned()),
        });
    }
}
