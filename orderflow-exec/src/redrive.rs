//! Redrive: restarting a failed execution from the state that failed, as `RedriveExecution`
//! does (<https://docs.aws.amazon.com/step-functions/latest/dg/redrive-executions.html>): the
//! failed top-level state runs again with the input it was entered with, a Map state re-runs only
//! the iterations that did not succeed, a Parallel state only the branches that did not, the
//! variables assigned before the failure hold again, and `$$.Execution.RedriveCount` counts the
//! redrive.
//!
//! Where to restart is read from the failed execution's history in AWS's shape
//! ([`crate::parse_aws_history`]), recorded with its inputs and outputs (`run
//! --history-format aws`, or `get-execution-history` without `--no-include-execution-data`).

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use crate::Executor;
use crate::aws_history::AwsHistoryEvent;

/// Where a redriven execution restarts, read from the failed one's history.
#[derive(Debug, Clone, PartialEq)]
pub struct Redrive {
    /// The failed execution's input (`$$.Execution.Input`).
    pub execution_input: Value,
    /// The top-level state that failed, where the execution restarts.
    pub state: String,
    /// The input that state was entered with.
    pub state_input: Value,
    /// For a Map state: the results of the iterations that succeeded, by index; only the
    /// others run again.
    pub completed_iterations: BTreeMap<usize, Value>,
    /// For a Parallel state: the results of the branches that succeeded, by index; only the
    /// others run again.
    pub completed_branches: BTreeMap<usize, Value>,
    /// How many times the execution has been redriven, this one included.
    pub redrive_count: u64,
    /// The workflow variables as the failed execution left them: what the top-level states
    /// that ran before the failed one assigned (`assignedVariables` of their exits), in order.
    pub variables: serde_json::Map<String, Value>,
}

/// Why an execution cannot be redriven from a history.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedriveError {
    /// The history does not end in a failure, a timeout or an abort.
    #[error(
        "the execution did not fail (its last event is {0}): only FAILED, TIMED_OUT and ABORTED executions can be redriven"
    )]
    NotFailed(String),
    /// The history lacks something a restart needs.
    #[error("{0}")]
    Incomplete(String),
}

/// The point a redrive of the execution that `events` record restarts from.
///
/// # Errors
///
/// The execution did not fail, or its history lacks the inputs (recorded without execution
/// data) or the failed state.
pub fn redrive_point(
    executor: &Executor,
    events: &[AwsHistoryEvent],
) -> Result<Redrive, RedriveError> {
    let last = events
        .last()
        .ok_or_else(|| RedriveError::Incomplete("the history has no events".to_owned()))?;
    if !matches!(
        last.event_type.as_str(),
        "ExecutionFailed" | "ExecutionTimedOut" | "ExecutionAborted"
    ) {
        return Err(RedriveError::NotFailed(last.event_type.clone()));
    }
    let started = events
        .iter()
        .find(|e| e.event_type == "ExecutionStarted")
        .ok_or_else(|| RedriveError::Incomplete("the history has no ExecutionStarted".into()))?;
    let execution_input = started.payload("input").ok_or_else(|| {
        RedriveError::Incomplete(
            "the history has no execution input: record it with its data (run --history-format aws, or get-execution-history without --no-include-execution-data)".into(),
        )
    })?;
    let redrive_count = 1 + events
        .iter()
        .filter(|e| e.event_type == "ExecutionRedriven")
        .count() as u64;
    // The last top-level state entered and not exited is the one that failed.
    let top_level = executor.top_level_states();
    let mut open: Option<&AwsHistoryEvent> = None;
    for event in events {
        let Some(name) = event
            .details()
            .and_then(|d| d.get("name"))
            .and_then(Value::as_str)
        else {
            continue;
        };
        if !top_level.contains(name) {
            continue;
        }
        if event.event_type.ends_with("StateEntered") {
            open = Some(event);
        } else if event.event_type.ends_with("StateExited") {
            open = None;
        }
    }
    let entered = open.ok_or_else(|| {
        RedriveError::Incomplete(
            "no top-level state was left unfinished: the history does not show where the execution failed".into(),
        )
    })?;
    let state = entered
        .details()
        .and_then(|d| d.get("name"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let state_input = entered.payload("input").ok_or_else(|| {
        RedriveError::Incomplete(format!(
            "the history does not record the input of state `{state}`: record it with its data"
        ))
    })?;
    let completed_branches = executor
        .parallel_branch_ends(&state)
        .map(|ends| completed_branches(events, entered.id, &state, &ends))
        .unwrap_or_default();
    Ok(Redrive {
        execution_input,
        completed_iterations: completed_iterations(events, entered.id, &state),
        completed_branches,
        variables: top_level_variables(events, &top_level, entered.id),
        state,
        state_input,
        redrive_count,
    })
}

/// The variables the top-level states assigned before event `entered_id` (the failed state's
/// entry). What a branch or iteration assigned stayed in its own scope, and the history gives
/// each value as JSON text.
fn top_level_variables(
    events: &[AwsHistoryEvent],
    top_level: &std::collections::HashSet<&str>,
    entered_id: u64,
) -> serde_json::Map<String, Value> {
    let mut variables = serde_json::Map::new();
    for event in events
        .iter()
        .filter(|e| e.id < entered_id && e.event_type.ends_with("StateExited"))
    {
        let Some(details) = event.details() else {
            continue;
        };
        let top = details
            .get("name")
            .and_then(Value::as_str)
            .is_some_and(|name| top_level.contains(name));
        let Some(Value::Object(assigned)) = details.get("assignedVariables") else {
            continue;
        };
        if !top {
            continue;
        }
        for (name, text) in assigned {
            let value = text
                .as_str()
                .and_then(|t| serde_json::from_str(t).ok())
                .unwrap_or_else(|| text.clone());
            variables.insert(name.clone(), value);
        }
    }
    variables
}

/// The results of the iterations of Map `state` that succeeded after event `entered_id` (not
/// those of a Map nested in it): each `MapIterationSucceeded` follows (`previousEventId`) the
/// last event of its iteration, whose output is the iteration's result.
fn completed_iterations(
    events: &[AwsHistoryEvent],
    entered_id: u64,
    state: &str,
) -> BTreeMap<usize, Value> {
    let by_id: HashMap<u64, &AwsHistoryEvent> = events.iter().map(|e| (e.id, e)).collect();
    events
        .iter()
        .filter(|e| e.id > entered_id && e.event_type == "MapIterationSucceeded")
        .filter_map(|e| {
            let details = e.details()?;
            if details.get("name")?.as_str()? != state {
                return None;
            }
            let index = details.get("index")?.as_u64()?;
            let last = by_id.get(&e.previous_event_id)?;
            let output = last.payload("output")?;
            Some((usize::try_from(index).ok()?, output))
        })
        .collect()
}

/// The results of the Parallel branches that succeeded in the state's last attempt (after the
/// last `ParallelStateStarted` of this state, not of a Parallel nested in a branch): a branch
/// succeeded when its last state event is the exit of a state that ends it (an end state whose
/// failure a Catch took elsewhere is followed by that state's events), and that exit's output is
/// the branch's result.
fn completed_branches(
    events: &[AwsHistoryEvent],
    entered_id: u64,
    state: &str,
    branches: &[crate::BranchStates<'_>],
) -> BTreeMap<usize, Value> {
    let named = |e: &AwsHistoryEvent| {
        e.details()
            .and_then(|d| d.get("name"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let by_id: HashMap<u64, &AwsHistoryEvent> = events.iter().map(|e| (e.id, e)).collect();
    // A nested Parallel's start follows its own (named) ParallelStateEntered.
    let nested = |e: &AwsHistoryEvent| {
        by_id.get(&e.previous_event_id).is_some_and(|p| {
            p.event_type == "ParallelStateEntered" && named(p).is_some_and(|n| n != state)
        })
    };
    let attempt = events
        .iter()
        .filter(|e| e.id > entered_id && e.event_type == "ParallelStateStarted" && !nested(e))
        .map(|e| e.id)
        .max()
        .unwrap_or(entered_id);
    let mut last: Vec<Option<&AwsHistoryEvent>> = vec![None; branches.len()];
    for event in events.iter().filter(|e| e.id > attempt) {
        let is_state_event =
            event.event_type.ends_with("StateEntered") || event.event_type.ends_with("StateExited");
        if !is_state_event {
            continue;
        }
        let Some(name) = named(event) else {
            continue;
        };
        if let Some(branch) = branches
            .iter()
            .position(|b| b.states.contains(name.as_str()))
        {
            last[branch] = Some(event);
        }
    }
    let mut done = BTreeMap::new();
    for (branch, event) in last.into_iter().enumerate() {
        let Some(event) = event else {
            continue;
        };
        let ends = named(event).is_some_and(|n| branches[branch].ends.contains(n.as_str()));
        if event.event_type.ends_with("StateExited") && ends {
            if let Some(output) = event.payload("output") {
                done.insert(branch, output);
            }
        }
    }
    done
}
