//! Retry/Catch error names against the errors functions declare.
//!
//! A Catch on a name nothing raises never fires (usually a typo); a declared error that nothing
//! catches fails the execution.

use std::collections::BTreeSet;

use crate::asl::error_names;
use crate::asl::model::*;
use crate::diagnostic::{Code, Diagnostic};
use crate::json::Span;
use crate::suggest;
use crate::workflow::Workflow;

/// Errors Step Functions itself raises.
pub const STATES_ERRORS: &[&str] = &[
    "States.ALL",
    "States.HeartbeatTimeout",
    "States.Timeout",
    "States.TaskFailed",
    "States.Permissions",
    "States.ResultPathMatchFailure",
    "States.ParameterPathFailure",
    "States.QueryEvaluationError",
    "States.BranchFailed",
    "States.NoChoiceMatched",
    "States.IntrinsicFailure",
    "States.ExceedToleratedFailureThreshold",
    "States.ItemReaderFailed",
    "States.ResultWriterFailed",
    "States.Runtime",
    "States.DataLimitExceeded",
];

/// Errors the Lambda service (rather than the function) raises.
pub const LAMBDA_ERRORS: &[&str] = &[
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
    "Lambda.ClientExecutionTimeoutException",
    "Lambda.Unknown",
];

pub fn check(workflow: &Workflow, diagnostics: &mut Vec<Diagnostic>) {
    let machine = &workflow.machine;
    // Declared errors a misspelt clause was meant to match: "nothing catches it" would echo it.
    let mut suggested: BTreeSet<(StateId, String)> = BTreeSet::new();
    for (index, state) in machine.states.iter().enumerate() {
        let id = StateId(index);
        let Some((declared, who)) = declared_errors(workflow, id) else {
            continue;
        };
        for (names, clause) in state.error_clauses() {
            for name in names {
                let n = name.value.as_str();
                if let Some(rest) = n.strip_prefix("States.") {
                    if !STATES_ERRORS.contains(&n) {
                        let d = Diagnostic::new(
                            Code::UnknownErrorName,
                            format!("{clause} on state \"{}\" matches `{n}`, which is not an error Step Functions raises", state.name.value),
                        )
                        .at(name.location(&machine.file))
                        .label(format!("`States.{rest}` never occurs"));
                        diagnostics.push(
                            match suggest::did_you_mean(n, STATES_ERRORS.iter().copied()) {
                                Some(h) => d.help(h),
                                None => d.note(format!(
                                    "Step Functions raises {}",
                                    STATES_ERRORS.join(", ")
                                )),
                            },
                        );
                    }
                    continue;
                }
                if LAMBDA_ERRORS.contains(&n) || declared.contains(n) {
                    continue;
                }
                let d = Diagnostic::new(
                    Code::UnknownErrorName,
                    format!(
                        "{clause} on state \"{}\" matches `{n}`, but {who} declares {}",
                        state.name.value,
                        if declared.is_empty() {
                            "no errors".to_string()
                        } else {
                            declared
                                .iter()
                                .map(|e| format!("`{e}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        }
                    ),
                )
                .at(name.location(&machine.file))
                .label("nothing raises this error, so this clause never matches");
                let close = suggest::closest(n, declared.iter().map(String::as_str));
                if let Some(close) = close {
                    suggested.insert((id, close.to_owned()));
                }
                diagnostics.push(match close.map(|c| format!("did you mean `{c}`?")) {
                    Some(h) => d.help(h),
                    None => d.help(format!(
                        "if the function raises it, add it to `errors` of the function in {}",
                        crate::workflow::MANIFEST_FILE
                    )),
                });
            }
        }
    }
    check_uncaught(workflow, &suggested, diagnostics);
}

/// The errors the work of a state can raise (declared by its functions), and who declares them;
/// `None` when the state runs something orderflow cannot see into.
fn declared_errors(workflow: &Workflow, id: StateId) -> Option<(BTreeSet<String>, String)> {
    let machine = &workflow.machine;
    match &machine.state(id).kind {
        StateKind::Task(task) => match &task.resource.value {
            Resource::Lambda { function, .. } => {
                let f = workflow.functions.get(function)?;
                Some((
                    f.declared_errors.iter().cloned().collect(),
                    format!("function {function}"),
                ))
            }
            Resource::SqsSendMessage {
                wait_for_task_token: true,
            } => {
                let w = workflow.worker_of(id)?;
                Some((
                    w.declared_errors.iter().cloned().collect(),
                    format!("worker {}", w.name),
                ))
            }
            _ => None,
        },
        StateKind::Parallel(ParallelState { branches, .. }) => scopes_errors(workflow, branches),
        StateKind::Map(map) => scopes_errors(workflow, &[map.iterator]),
        _ => None,
    }
}

fn scopes_errors(workflow: &Workflow, scopes: &[ScopeId]) -> Option<(BTreeSet<String>, String)> {
    let mut all = BTreeSet::new();
    for scope in scopes {
        for id in &workflow.machine.scope(*scope).states {
            match declared_errors(workflow, *id) {
                Some((errors, _)) => all.extend(errors),
                // Something opaque inside: any error could come out.
                None if matches!(workflow.machine.state(*id).kind, StateKind::Task(_)) => {
                    return None;
                }
                None => {}
            }
            // Fail states raise their own error names.
            if let StateKind::Fail(FailState {
                error: Some(ErrorSource::Literal(e)),
                ..
            }) = &workflow.machine.state(*id).kind
            {
                all.insert(e.value.clone());
            }
        }
    }
    let who = if all.is_empty() {
        "no function in its branches"
    } else {
        "its branches"
    };
    Some((all, who.to_string()))
}

/// W0308: a declared error that no catcher on the way out of the invoking state matches.
fn check_uncaught(
    workflow: &Workflow,
    misspelt: &BTreeSet<(StateId, String)>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let machine = &workflow.machine;
    for f in workflow.functions.values() {
        let states: Vec<StateId> = f
            .invoked_by
            .iter()
            .chain(&f.completes_tokens_of)
            .copied()
            .collect();
        if states.is_empty() {
            continue;
        }
        for (i, error) in f.declared_errors.iter().enumerate() {
            let caught = states.iter().all(|s| is_caught(machine, *s, error));
            let meant = states
                .iter()
                .any(|s| misspelt.contains(&(*s, error.clone())));
            if caught || meant {
                continue;
            }
            let location = workflow
                .manifest_location(&format!("/functions/{}/errors/{i}", f.name))
                .unwrap_or_else(|| machine.location("", Span::default()));
            diagnostics.push(
                Diagnostic::new(
                    Code::UncaughtDeclaredError,
                    format!("{} declares `{error}`, but no Catch handles it; the execution fails when it is raised", f.name),
                )
                .at(location)
                .help("add a Catch for it on the invoking state (or on an enclosing Parallel/Map), or remove it from the declared errors"),
            );
        }
    }
}

fn is_caught(machine: &StateMachine, id: StateId, error: &str) -> bool {
    let state = machine.state(id);
    // The executor's rule: `States.TaskFailed` does not catch `States.Timeout`, and nothing
    // catches a terminal error.
    let here = state.catchers().iter().any(|c| {
        error_names::error_equals_matches(c.error_equals.iter().map(|n| n.value.as_str()), error)
    });
    if here {
        return true;
    }
    match &machine.scope(state.scope).kind {
        ScopeKind::TopLevel => false,
        ScopeKind::ParallelBranch { parallel, .. } => is_caught(machine, *parallel, error),
        ScopeKind::MapIterator { map } => is_caught(machine, *map, error),
    }
}
