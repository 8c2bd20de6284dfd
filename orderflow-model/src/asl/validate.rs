//! Whole-graph checks: names, transitions, scope boundaries, reachability.
//!
//! Field-level checks happen while parsing; this resolves every transition target to a
//! [`StateId`] of the same scope, which later stages rely on.

use std::collections::{HashMap, HashSet, VecDeque};

use crate::asl::model::*;
use crate::asl::parse::MAX_STATE_NAME;
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::json::{JsonKind, push_pointer};
use crate::suggest;

/// Checks the whole graph (names, transitions, scope boundaries, reachability) and resolves every
/// transition target to its state; problems go to `diagnostics`.
pub fn validate(machine: &mut StateMachine, diagnostics: &mut Vec<Diagnostic>) {
    check_names(machine, diagnostics);
    let before = diagnostics.len();
    resolve_targets(machine, diagnostics);
    // With a broken transition or state, "never reached" would only echo it.
    let broken_graph = machine.scopes.iter().any(|s| !s.broken.is_empty())
        || diagnostics[before..].iter().any(|d| {
            matches!(
                d.code,
                Code::DanglingTransition | Code::CrossBoundaryTransition | Code::DuplicateStateName
            )
        })
        || diagnostics
            .iter()
            .any(|d| d.code == Code::DuplicateStateName);
    if !broken_graph {
        check_reachability(machine, diagnostics);
        // After other errors (a mistyped `End`, a missing `Next`) it would only echo them.
        if !diagnostics.iter().any(Diagnostic::is_error) {
            check_terminal_states(machine, diagnostics);
        }
    }
    check_variable_scopes(machine, diagnostics);
}

/// "A variable assigned in an inner scope cannot have the same name as one assigned in an
/// outer scope" (AWS, workflow variables): a Parallel branch or Map iterator may read the
/// variables around it but not assign them, since its own die with it.
fn check_variable_scopes(machine: &StateMachine, diagnostics: &mut Vec<Diagnostic>) {
    use std::collections::BTreeMap;
    // The first place each name is assigned, per scope. A catcher's Assign runs in the scope of
    // its state, like the state's own.
    let mut assigned: Vec<BTreeMap<String, Location>> = vec![BTreeMap::new(); machine.scopes.len()];
    for state in &machine.states {
        let choice_rules = match &state.kind {
            StateKind::Choice(c) => c.choices.as_slice(),
            _ => &[],
        };
        let assigns = std::iter::once((state.assign.as_ref(), state.pointer.as_str()))
            .chain(
                choice_rules
                    .iter()
                    .map(|r| (r.assign.as_ref(), r.pointer.as_str())),
            )
            .chain(
                state
                    .catchers()
                    .iter()
                    .map(|c| (c.assign.as_ref(), c.pointer.as_str())),
            );
        let Some(names) = assigned.get_mut(state.scope.0) else {
            continue;
        };
        for (assign, pointer) in assigns {
            let Some(JsonKind::Object(members)) = assign.map(|a| &a.kind) else {
                continue;
            };
            for m in members {
                let name = m.key.strip_suffix(".$").unwrap_or(&m.key);
                let pointer = push_pointer(&push_pointer(pointer, "Assign"), &m.key);
                names
                    .entry(name.to_owned())
                    .or_insert_with(|| Location::new(&machine.file, pointer, m.key_span));
            }
        }
    }
    for (index, scope) in machine.scopes.iter().enumerate() {
        let mut outer = enclosing_scope(machine, scope);
        while let Some(o) = outer {
            for (name, inner_at) in &assigned[index] {
                if let Some(outer_at) = assigned[o.0].get(name) {
                    diagnostics.push(
                        Diagnostic::new(
                            Code::VariableShadowed,
                            format!("the variable `{name}` is assigned here and in an enclosing scope"),
                        )
                        .at(inner_at.clone())
                        .label("assigned inside a Parallel branch or Map iterator")
                        .related(outer_at.clone(), "also assigned outside it")
                        .help(format!("rename one of them: states inside may read `${name}` but not assign it; pass values out through the branch's or iteration's output")),
                    );
                }
            }
            outer = enclosing_scope(machine, &machine.scopes[o.0]);
        }
    }
}

/// The scope holding the Parallel or Map state a branch or iterator belongs to.
fn enclosing_scope(machine: &StateMachine, scope: &Scope) -> Option<ScopeId> {
    match scope.kind {
        ScopeKind::TopLevel => None,
        ScopeKind::ParallelBranch { parallel: id, .. } | ScopeKind::MapIterator { map: id } => {
            Some(machine.state(id).scope)
        }
    }
}

fn check_names(machine: &StateMachine, diagnostics: &mut Vec<Diagnostic>) {
    // Names are unique across the whole machine, branches and iterators included.
    let mut first: HashMap<&str, &State> = HashMap::new();
    for state in &machine.states {
        let name = state.name.value.as_str();
        if let Some(earlier) = first.get(name) {
            diagnostics.push(
                Diagnostic::new(
                    Code::DuplicateStateName,
                    format!("the state name \"{name}\" is used twice"),
                )
                .at(state.name.location(&machine.file))
                .label("second definition")
                .related(earlier.name.location(&machine.file), "first defined here")
                .help("state names must be unique in the whole state machine, including Parallel branches and Map iterators"),
            );
        } else {
            first.insert(name, state);
        }
        let len = name.chars().count();
        if len > MAX_STATE_NAME {
            diagnostics.push(
                Diagnostic::new(
                    Code::StateNameTooLong,
                    format!(
                        "the state name is {len} characters long; the limit is {MAX_STATE_NAME}"
                    ),
                )
                .at(state.name.location(&machine.file)),
            );
        } else if len == 0 {
            diagnostics.push(
                Diagnostic::new(Code::InvalidValue, "a state name cannot be empty")
                    .at(state.name.location(&machine.file)),
            );
        }
    }
}

fn resolve_targets(machine: &mut StateMachine, diagnostics: &mut Vec<Diagnostic>) {
    let scope_names: Vec<HashMap<String, StateId>> = machine
        .scopes
        .iter()
        .map(|scope| {
            let mut names = HashMap::new();
            for id in &scope.states {
                names
                    .entry(machine.state(*id).name.value.clone())
                    .or_insert(*id);
            }
            names
        })
        .collect();
    let scope_descriptions: Vec<String> = (0..machine.scopes.len())
        .map(|i| describe_scope(machine, ScopeId(i)))
        .collect();
    // Where each name is defined, for telling "crosses a boundary" from "does not exist".
    let mut defined: HashMap<String, (ScopeId, crate::diagnostic::Location)> = HashMap::new();
    for state in &machine.states {
        defined
            .entry(state.name.value.clone())
            .or_insert_with(|| (state.scope, state.name.location(&machine.file)));
    }
    let file = machine.file.clone();
    let broken: Vec<Vec<String>> = machine.scopes.iter().map(|s| s.broken.clone()).collect();
    let mut resolve = |target: &mut Target, scope: ScopeId, field: &str| {
        let names = &scope_names[scope.0];
        if let Some(id) = names.get(&target.name.value) {
            target.target = Some(*id);
            return;
        }
        if broken[scope.0].contains(&target.name.value) {
            return;
        }
        let name = &target.name.value;
        let location = target.name.location(&file);
        let d = if let Some((other_scope, other_location)) = defined.get(name) {
            Diagnostic::new(
                Code::CrossBoundaryTransition,
                format!(
                    "`{field}` names \"{name}\", which is in {} — transitions cannot cross a Parallel branch or Map iterator boundary",
                    scope_descriptions[other_scope.0]
                ),
            )
            .at(location)
            .label(format!("this is in {}", scope_descriptions[scope.0]))
            .related(other_location.clone(), "the target is defined here")
            .help("move the state into this scope, or end this scope and let the Parallel/Map state continue")
        } else {
            let d = Diagnostic::new(
                Code::DanglingTransition,
                format!(
                    "`{field}` names \"{name}\", but no state in {} has that name",
                    scope_descriptions[scope.0]
                ),
            )
            .at(location)
            .label("unknown state");
            match suggest::did_you_mean(name, names.keys().map(String::as_str)) {
                Some(h) => d.help(h),
                None => d,
            }
        };
        diagnostics.push(d);
    };

    for (i, scope) in machine.scopes.iter_mut().enumerate() {
        if let Some(start) = scope.start_at.as_mut() {
            resolve(start, ScopeId(i), "StartAt");
        }
    }
    for state in &mut machine.states {
        let scope = state.scope;
        if let Some(next) = state.next.as_mut() {
            resolve(next, scope, "Next");
        }
        match &mut state.kind {
            StateKind::Choice(choice) => {
                for rule in &mut choice.choices {
                    if let Some(next) = rule.next.as_mut() {
                        resolve(next, scope, "Next");
                    }
                }
                if let Some(default) = choice.default.as_mut() {
                    resolve(default, scope, "Default");
                }
            }
            StateKind::Task(TaskState { errors, .. })
            | StateKind::Parallel(ParallelState { errors, .. })
            | StateKind::Map(MapState { errors, .. }) => {
                for catcher in &mut errors.catch {
                    resolve(&mut catcher.next, scope, "Next");
                }
            }
            _ => {}
        }
    }
}

fn describe_scope(machine: &StateMachine, scope: ScopeId) -> String {
    match &machine.scope(scope).kind {
        ScopeKind::TopLevel => "the top level".to_string(),
        ScopeKind::ParallelBranch { parallel, index } => format!(
            "branch {index} of Parallel state \"{}\"",
            machine.state(*parallel).name.value
        ),
        ScopeKind::MapIterator { map } => {
            format!(
                "the iterator of Map state \"{}\"",
                machine.state(*map).name.value
            )
        }
    }
}

fn check_reachability(machine: &StateMachine, diagnostics: &mut Vec<Diagnostic>) {
    for scope in &machine.scopes {
        let Some(start) = scope.start_at.as_ref().and_then(|s| s.target) else {
            continue;
        };
        let mut seen = HashSet::from([start]);
        let mut queue = VecDeque::from([start]);
        while let Some(id) = queue.pop_front() {
            for t in machine.successors(id) {
                if let Some(target) = t.target {
                    if seen.insert(target) {
                        queue.push_back(target);
                    }
                }
            }
        }
        for id in &scope.states {
            if !seen.contains(id) {
                let state = machine.state(*id);
                diagnostics.push(
                    Diagnostic::new(
                        Code::UnreachableState,
                        format!("state \"{}\" is never reached", state.name.value),
                    )
                    .at(state.name.location(&machine.file))
                    .help("remove it, or add a Next/Default/Catch that leads to it"),
                );
            }
        }
    }
}

/// Step Functions refuses a definition whose scope cannot end (`MISSING_END_STATE`).
fn check_terminal_states(machine: &StateMachine, diagnostics: &mut Vec<Diagnostic>) {
    for (i, scope) in machine.scopes.iter().enumerate() {
        if scope.states.is_empty() {
            continue;
        }
        let ends = scope.states.iter().any(|id| {
            let state = machine.state(*id);
            state.end || matches!(state.kind, StateKind::Succeed | StateKind::Fail(_))
        });
        if ends {
            continue;
        }
        let mut d = Diagnostic::new(
            Code::NoTerminalState,
            format!(
                "{} has no terminal state: no state has `\"End\": true` and none is a Succeed or Fail state",
                describe_scope(machine, ScopeId(i))
            ),
        );
        if let Some(start) = &scope.start_at {
            d = d
                .at(start.name.location(&machine.file))
                .label("execution starts here and can never finish");
        }
        diagnostics.push(
            d.help("give the last state `\"End\": true`, or add a Succeed state and go to it"),
        );
    }
}
