//! Parallel branches and Map iterations, each running a scope of its own.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use serde_json::{Map, Value, json};

use crate::Executor;
use crate::clock::ClockMode;
use crate::error::Failure;
use crate::history::{EventType, HistoryDetail, HistoryRecorder};
use crate::plan::{MapPlan, StatePlan};
use crate::variables::Variables;
use orderflow_model::asl::error_names::names;
use orderflow_model::asl::model::ScopeId;

use super::{
    ErrorOutcome, Runtime, StateFrame, Step, compact, distributed, quoted_value, runtime_error,
};

impl Executor {
    pub(super) async fn run_parallel(
        &self,
        rt: &mut Runtime<'_>,
        plan: &StatePlan,
        branches: &[ScopeId],
        frame: &mut StateFrame,
        raw: Value,
    ) -> Result<Step, Failure> {
        let effective = self.effective_input(rt, plan, frame, &raw)?;
        let branch_input = effective.unwrap_or_else(|| raw.clone());
        let mut retry_counts = vec![0u64; plan.retriers.len()];
        loop {
            rt.record(EventType::ParallelStateStarted, &plan.name, None);
            // A redrive re-runs only the branches that did not succeed (once: a later entry of
            // the state runs them all).
            let completed = rt
                .redrive_branches
                .take_if(|(state, _)| *state == plan.name)
                .map(|(_, done)| done)
                .unwrap_or_default();
            let outcome = match rt.clock.mode() {
                ClockMode::Virtual => {
                    self.branches_in_turn(rt, branches, &branch_input, completed)
                        .await
                }
                ClockMode::Real => {
                    self.branches_concurrently(rt, branches, &branch_input, completed)
                        .await
                }
            };
            match outcome {
                Ok(results) => {
                    rt.record(EventType::ParallelStateSucceeded, &plan.name, None);
                    return self.finish_with_result(rt, plan, frame, raw, Value::Array(results));
                }
                Err(failure) => {
                    match self
                        .handle_error(
                            rt,
                            plan,
                            frame,
                            &raw,
                            failure,
                            &mut retry_counts,
                            Some(EventType::ParallelStateFailed),
                        )
                        .await?
                    {
                        ErrorOutcome::Retry => {}
                        ErrorOutcome::Caught(step) => return Ok(step),
                    }
                }
            }
        }
    }

    /// One Map iteration, in both query languages: its own variable scope, the iterator run on
    /// `input`, and MapIterationSucceeded or MapIterationFailed recorded. An iteration of a
    /// Distributed Map (a child execution on AWS) sees none of the outer variables: "Distributed
    /// Map states cannot currently reference variables in outer scopes".
    pub(super) async fn run_iteration(
        &self,
        rt: &mut Runtime<'_>,
        plan: &StatePlan,
        map: &MapPlan,
        input: Value,
        details: Option<Value>,
        record_events: bool,
    ) -> Result<Value, Failure> {
        let outer = if map.distributed {
            Some(std::mem::replace(&mut rt.vars, Variables::new()))
        } else {
            rt.vars.push();
            None
        };
        // A Distributed Map's child is an execution of its own: its events go to its own
        // history (not kept here), under its own limit, not the parent's.
        // An Express child has no history limit but five minutes of its own; a Standard one
        // the 25,000 events of a history
        // (https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html).
        let express = map.distributed && map.express_children;
        let parent_history = map.distributed.then(|| {
            std::mem::replace(
                &mut rt.history,
                HistoryRecorder::new(HistoryDetail::None, 0)
                    .with_limit((!express).then_some(super::MAX_HISTORY_EVENTS)),
            )
        });
        let parent_limits = express.then(|| {
            let elapsed = rt.clock.now_millis() - rt.clock.start_millis();
            let child_deadline = elapsed.saturating_add(crate::EXPRESS_MAX_MILLIS);
            let saved = (rt.timeout_millis, rt.express_limit, rt.express_child);
            // The parent's deadline still holds when it comes first.
            let parent_first = rt.timeout_millis.is_some_and(|d| d <= child_deadline);
            if !parent_first {
                rt.timeout_millis = Some(child_deadline);
                rt.express_limit = true;
            }
            rt.express_child = true;
            (saved, !parent_first)
        });
        let outcome = self.run_scope(rt, map.iterator, input).await;
        if let Some(((deadline, express_limit, express_child), child_deadline)) = parent_limits {
            // The child's own five minutes ran out: that child failed, not the execution. When
            // the parent's deadline came first, it is the execution that timed out.
            if rt.timed_out && child_deadline {
                rt.timed_out = false;
            }
            rt.timeout_millis = deadline;
            rt.express_limit = express_limit;
            rt.express_child = express_child;
        }
        if let Some(parent) = parent_history {
            rt.history = parent;
        }
        match outer {
            Some(outer) => rt.vars = outer,
            None => rt.vars.pop(),
        }
        if record_events {
            let event = if outcome.is_ok() {
                EventType::MapIterationSucceeded
            } else {
                EventType::MapIterationFailed
            };
            rt.record(event, &plan.name, details);
        }
        outcome
    }

    pub(super) async fn run_map(
        &self,
        rt: &mut Runtime<'_>,
        plan: &StatePlan,
        map: &MapPlan,
        frame: &mut StateFrame,
        raw: Value,
    ) -> Result<Step, Failure> {
        let effective = self.input_path(rt, plan, frame, &raw)?;
        let eff = effective.as_ref().unwrap_or(&raw);
        let mut max_concurrency = map.max_concurrency.unwrap_or(0);
        if let Some(p) = &map.max_concurrency_path {
            let n = self.integer_at(rt, frame, p, eff, "MaxConcurrencyPath")?;
            max_concurrency = u64::try_from(n).map_err(|_| {
                runtime_error(
                    frame,
                    format!("Expected non-negative integer for MaxConcurrency, got '{n}' instead."),
                )
            })?;
        }
        // What AWS runs at most at once, whatever MaxConcurrency asks (0: no limit of its own).
        let ceiling = if map.distributed {
            DISTRIBUTED_MAX_CONCURRENCY
        } else {
            INLINE_MAX_CONCURRENCY
        };
        let max_concurrency = match max_concurrency {
            0 => ceiling,
            n => n.min(ceiling),
        };
        let mut retry_counts = vec![0u64; plan.retriers.len()];
        loop {
            // The items first: AWS's MapStateStarted gives their number, and comes before the
            // tolerated-failure fields are read. A reader that fails started nothing to count.
            let items = match self.map_items(rt, plan, map, frame, eff).await {
                Ok(items) => items,
                Err(failure) => {
                    if map.reader.is_some() {
                        let details = rt.history.wants_payloads().then(|| json!({"length": 0}));
                        rt.record(EventType::MapStateStarted, &plan.name, details);
                    }
                    return Err(failure);
                }
            };
            // A Distributed Map runs as AWS runs it: a Map Run, whose children are executions
            // of their own (no iteration events in this history, their own history limits).
            let store = rt.options.object_store.clone().filter(|_| map.distributed);
            let writer = distributed::writes_results(map.writer.as_ref(), store.as_ref());
            // With an ItemReader AWS reports a length of 0 (the items are read by the Map Run).
            let length = if map.distributed && map.reader.is_some() {
                0
            } else {
                items.len()
            };
            let details = rt
                .history
                .wants_payloads()
                .then(|| json!({"length": length}));
            rt.record(EventType::MapStateStarted, &plan.name, details);
            let mut tolerated_count = map.tolerated_failure_count.map(|c| c as f64);
            if let Some(p) = &map.tolerated_failure_count_path {
                let n = self.integer_at(rt, frame, p, eff, "ToleratedFailureCountPath")?;
                if n < 0 {
                    return Err(runtime_error(
                        frame,
                        "ToleratedFailureCount cannot be negative.",
                    ));
                }
                tolerated_count = Some(n as f64);
            }
            let mut tolerated_percentage = map.tolerated_failure_percentage;
            if let Some(p) = &map.tolerated_failure_percentage_path {
                let value = {
                    let env = rt.env(eff, frame);
                    env.select_path(p).map(|c| c.into_owned()).map_err(|_| {
                        runtime_error(
                            frame,
                            format!(
                                "Invalid path '{}' : No results for path: {}",
                                p.text,
                                p.normalized()
                            ),
                        )
                    })?
                };
                let pct = value.as_f64().ok_or_else(|| {
                    runtime_error(
                        frame,
                        format!(
                            "The ToleratedFailurePercentagePath field refers to value \"{}\" which is not a valid float: {}",
                            quoted_value(&value),
                            p.text
                        ),
                    )
                })?;
                if !(0.0..=100.0).contains(&pct) {
                    return Err(runtime_error(
                        frame,
                        "ToleratedFailurePercentage must be between 0 and 100.",
                    ));
                }
                tolerated_percentage = Some(pct);
            }
            let map_run = match map.distributed {
                true => {
                    let (arn, uuid) = rt.map_run_arn(&plan.name);
                    let details = Some(json!({"mapRunArn": arn}));
                    rt.record(EventType::MapRunStarted, &plan.name, details);
                    Some((arn, uuid))
                }
                false => None,
            };
            // Batches are the children's inputs: `{"Items": [...]}` (and `BatchInput`).
            let items = match &map.batcher {
                Some(batcher) => rt.batches(batcher, frame, eff, items)?,
                None => items,
            };
            // A redrive re-runs only the iterations that did not succeed (once: a later entry
            // of the state runs them all).
            let completed = rt
                .redrive_iterations
                .take_if(|(state, _)| *state == plan.name)
                .map(|(_, done)| done)
                .unwrap_or_default();
            let mut tolerance = Tolerance {
                count: tolerated_count,
                percentage: tolerated_percentage,
                total: items.len(),
                failures: 0,
            };
            let run = MapRun {
                plan,
                map,
                frame,
                eff,
                max_concurrency,
                records: writer.is_some(),
                in_map_run: map_run.is_some(),
            };
            let IterationsOutcome {
                results,
                records,
                mut failed,
            } = match rt.clock.mode() {
                ClockMode::Virtual => {
                    self.iterations_in_turn(rt, &run, items, completed, &mut tolerance)
                        .await?
                }
                ClockMode::Real => {
                    self.iterations_concurrently(rt, &run, items, completed, &mut tolerance)
                        .await?
                }
            };
            let mut output = Value::Array(results);
            if let (None, Some(writer), Some(store), Some((arn, uuid))) =
                (&failed, writer, &store, &map_run)
            {
                let parameters = match &writer.parameters {
                    Some(p) => rt.env(eff, frame).payload(p)?,
                    None => Value::Object(Map::new()),
                };
                match distributed::write_results(store, &parameters, (arn, uuid), records) {
                    Ok(details) => output = details,
                    Err(f) => failed = Some(f),
                }
            }
            if map_run.is_some() {
                match &failed {
                    None => rt.record(EventType::MapRunSucceeded, &plan.name, None),
                    Some(f) => rt.record(
                        EventType::MapRunFailed,
                        &plan.name,
                        Some(json!({"error": f.error, "cause": f.cause})),
                    ),
                };
            }
            match failed {
                None => {
                    rt.record(EventType::MapStateSucceeded, &plan.name, None);
                    return self.finish_with_result(rt, plan, frame, raw, output);
                }
                Some(failure) => {
                    match self
                        .handle_error(
                            rt,
                            plan,
                            frame,
                            &raw,
                            failure,
                            &mut retry_counts,
                            Some(EventType::MapStateFailed),
                        )
                        .await?
                    {
                        ErrorOutcome::Retry => {}
                        ErrorOutcome::Caught(step) => return Ok(step),
                    }
                }
            }
        }
    }

    /// A Parallel's branches on the virtual clock, one after another: each starts when the
    /// Parallel does, and the Parallel ends when its last branch does (or when one fails, which
    /// stops the others).
    async fn branches_in_turn(
        &self,
        rt: &mut Runtime<'_>,
        branches: &[ScopeId],
        input: &Value,
        mut completed: BTreeMap<usize, Value>,
    ) -> Result<Vec<Value>, Failure> {
        let started = rt.clock.virtual_elapsed();
        let mut ended = started;
        let mut results = Vec::with_capacity(branches.len());
        for (index, branch) in branches.iter().enumerate() {
            if let Some(result) = completed.remove(&index) {
                results.push(result);
                continue;
            }
            rt.clock.set_virtual_elapsed(started);
            rt.vars.push();
            let outcome = self.run_scope(rt, *branch, input.clone()).await;
            rt.vars.pop();
            match outcome {
                Ok(v) => {
                    results.push(v);
                    ended = ended.max(rt.clock.virtual_elapsed());
                }
                Err(f) => return Err(f),
            }
        }
        rt.clock.set_virtual_elapsed(ended);
        Ok(results)
    }

    /// A Parallel's branches on the real clock, really at the same time: the first that fails
    /// stops the others ("all its branches are stopped", AWS's Parallel state page), and the
    /// state each was in records its `…StateAborted`, as a stopped Map iteration's does.
    async fn branches_concurrently(
        &self,
        rt: &mut Runtime<'_>,
        branches: &[ScopeId],
        input: &Value,
        mut completed: BTreeMap<usize, Value>,
    ) -> Result<Vec<Value>, Failure> {
        let mut results: Vec<Option<Value>> = vec![None; branches.len()];
        let mut running = FuturesUnordered::new();
        let mut forks = Vec::new();
        for (index, branch) in branches.iter().enumerate() {
            if let Some(result) = completed.remove(&index) {
                results[index] = Some(result);
                continue;
            }
            let mut child = rt.fork();
            child.vars.push();
            forks.push((index, child.leftovers(), child.history.open_state()));
            let input = input.clone();
            running.push(async move {
                let outcome = self.run_scope(&mut child, *branch, input).await;
                (index, child, outcome)
            });
        }
        let mut failed = None;
        while let Some((index, child, outcome)) = running.next().await {
            match outcome {
                Ok(v) => results[index] = Some(v),
                Err(f) => {
                    failed = Some((f, child));
                    break;
                }
            }
        }
        // Dropping the branches still running stops them where they are.
        drop(running);
        let outcome = match failed {
            Some((failure, mut child)) => {
                if !(failure.is_terminal() || child.timed_out) {
                    let stopped = forks
                        .iter()
                        .filter(|(index, _, _)| results[*index].is_none())
                        .map(|(_, _, open)| open.clone());
                    record_aborted_states(&mut child, stopped);
                }
                Err(failure)
            }
            None => Ok(results.into_iter().flatten().collect()),
        };
        rt.join(forks.into_iter().map(|(_, left, _)| left).collect());
        outcome
    }

    /// What a Map iteration runs on: its item, through the ItemSelector (which sees it as
    /// `$$.Map.Item.Value`, `$states.context…`), or its batch as it is.
    fn item_input(
        &self,
        rt: &mut Runtime<'_>,
        run: &MapRun<'_>,
        index: usize,
        item: Value,
    ) -> Result<Value, Failure> {
        let map = run.map;
        let item_frame = |item| StateFrame {
            map_item: Some(Box::new((index, item))),
            ..run.frame.clone()
        };
        Ok(match (&map.item_selector, &map.jsonata_item_selector) {
            _ if map.batcher.is_some() => item,
            (Some(selector), _) => rt.env(run.eff, &item_frame(item)).payload(selector)?,
            (None, Some(t)) => {
                rt.env(run.eff, &item_frame(item))
                    .jsonata_template(t, None, "ItemSelector")?
            }
            (None, None) => item,
        })
    }

    /// A Map's iterations on the virtual clock, one after another, each starting when one of
    /// `MaxConcurrency` slots frees.
    async fn iterations_in_turn(
        &self,
        rt: &mut Runtime<'_>,
        run: &MapRun<'_>,
        items: Vec<Value>,
        mut completed: BTreeMap<usize, Value>,
        tolerance: &mut Tolerance,
    ) -> Result<IterationsOutcome, Failure> {
        let plan = run.plan;
        let mut outcome = IterationsOutcome {
            results: Vec::with_capacity(items.len()),
            records: Vec::new(),
            failed: None,
        };
        let mut slots = ConcurrencySlots::new(rt.clock.virtual_elapsed(), run.max_concurrency);
        for (index, item) in items.into_iter().enumerate() {
            if let Some(result) = completed.remove(&index) {
                outcome.results.push(result);
                continue;
            }
            rt.clock.set_virtual_elapsed(slots.next_start());
            let started_millis = rt.clock.now_millis();
            let details = rt.history.wants_payloads().then(|| json!({"index": index}));
            if !run.in_map_run {
                rt.record(EventType::MapIterationStarted, &plan.name, details.clone());
            }
            // An ItemSelector that fails fails the Map, which its Retry and Catch may handle
            // (a JSONata States.QueryEvaluationError); States.Runtime stays uncatchable.
            let item_input = match self.item_input(rt, run, index, item) {
                Ok(input) => input,
                Err(f) if f.is_terminal() => return Err(f),
                Err(f) => {
                    slots.stop_at(rt.clock.virtual_elapsed());
                    outcome.failed = Some(f);
                    break;
                }
            };
            let record_input = run.records.then(|| item_input.clone());
            let result = self
                .run_iteration(rt, plan, run.map, item_input, details, !run.in_map_run)
                .await;
            slots.ended(rt.clock.virtual_elapsed());
            if let Some(input) = record_input {
                let record = rt.child_record(&plan.name, &input, &result, started_millis);
                outcome.records.push(record);
            }
            match result {
                Ok(v) => outcome.results.push(v),
                Err(f) => {
                    // The execution's own end (its deadline, a full history) is no item's
                    // failure to tolerate.
                    if f.is_terminal() || rt.timed_out || rt.history.full() {
                        return Err(f);
                    }
                    match tolerance.fail(f) {
                        Ok(output) => outcome.results.push(output),
                        Err(f) => {
                            // The failure stops the iterations still running.
                            slots.stop_at(rt.clock.virtual_elapsed());
                            outcome.failed = Some(f);
                            break;
                        }
                    }
                }
            }
        }
        rt.clock.set_virtual_elapsed(slots.end());
        Ok(outcome)
    }

    /// A Map's iterations on the real clock, really at the same time: at most `MaxConcurrency`
    /// at once (and at most AWS's ceiling), started in item order. A failure the Map does not
    /// tolerate stops the iterations still running: as AWS records it, each gets a
    /// `MapIterationAborted` and the state it was in a `…StateAborted`, then the failed one its
    /// `MapIterationFailed`, all following the failure's last event.
    async fn iterations_concurrently(
        &self,
        rt: &mut Runtime<'_>,
        run: &MapRun<'_>,
        items: Vec<Value>,
        mut completed: BTreeMap<usize, Value>,
        tolerance: &mut Tolerance,
    ) -> Result<IterationsOutcome, Failure> {
        let plan = run.plan;
        let record = !run.in_map_run;
        let limit = usize::try_from(run.max_concurrency).unwrap_or(usize::MAX);
        let mut results: Vec<Option<Value>> = vec![None; items.len()];
        let mut records = Vec::new();
        let mut pending = items.into_iter().enumerate();
        let mut running = FuturesUnordered::new();
        // Each started iteration: its index, what it leaves and the state it is in.
        let mut forks = Vec::new();
        let mut ended = BTreeSet::new();
        let mut stop = None;
        loop {
            while running.len() < limit {
                let Some((index, item)) = pending.next() else {
                    break;
                };
                if let Some(result) = completed.remove(&index) {
                    results[index] = Some(result);
                    continue;
                }
                let mut child = rt.fork();
                forks.push((index, child.leftovers(), child.history.open_state()));
                let started_millis = child.clock.now_millis();
                let details = child
                    .history
                    .wants_payloads()
                    .then(|| json!({"index": index}));
                if record {
                    child.record(EventType::MapIterationStarted, &plan.name, details.clone());
                }
                let input = match self.item_input(&mut child, run, index, item) {
                    Ok(input) => input,
                    Err(f) if f.is_terminal() => {
                        ended.insert(index);
                        stop = Some(Stop::Terminal(f));
                        break;
                    }
                    // As on the virtual clock: the Map fails, its Retry and Catch may handle it.
                    Err(f) => {
                        ended.insert(index);
                        let details = child
                            .history
                            .wants_payloads()
                            .then(|| json!({"index": index}));
                        stop = Some(Stop::Failed(f, Box::new(child), details));
                        break;
                    }
                };
                let record_input = run.records.then(|| input.clone());
                running.push(async move {
                    // The iteration's end is recorded here once the Map knows what it means.
                    let result = self
                        .run_iteration(&mut child, plan, run.map, input, None, false)
                        .await;
                    (index, child, result, record_input, started_millis)
                });
            }
            if stop.is_some() {
                break;
            }
            let Some((index, mut child, result, record_input, started_millis)) =
                running.next().await
            else {
                break;
            };
            ended.insert(index);
            let details = child
                .history
                .wants_payloads()
                .then(|| json!({"index": index}));
            if let Some(input) = record_input {
                let record = rt.child_record(&plan.name, &input, &result, started_millis);
                records.push((index, record));
            }
            let execution_ended = child.timed_out || child.history.full();
            match result {
                Ok(v) => {
                    if record {
                        child.record(EventType::MapIterationSucceeded, &plan.name, details);
                    }
                    results[index] = Some(v);
                }
                // The execution's own end (its deadline, a full history) is no item's failure
                // to tolerate.
                Err(f) if f.is_terminal() || execution_ended => {
                    if record {
                        child.record(EventType::MapIterationFailed, &plan.name, details);
                    }
                    stop = Some(Stop::Terminal(f));
                    break;
                }
                Err(f) => match tolerance.fail(f) {
                    Ok(output) => {
                        if record {
                            child.record(EventType::MapIterationFailed, &plan.name, details);
                        }
                        results[index] = Some(output);
                    }
                    Err(f) => {
                        stop = Some(Stop::Failed(f, Box::new(child), details));
                        break;
                    }
                },
            }
        }
        // Dropping the iterations still running stops them where they are.
        drop(running);
        let failed = match stop {
            Some(Stop::Failed(failure, mut child, details)) => {
                if record {
                    for (index, _, open) in forks.iter().filter(|(i, _, _)| !ended.contains(i)) {
                        let details = child
                            .history
                            .wants_payloads()
                            .then(|| json!({"index": index}));
                        child.record(EventType::MapIterationAborted, &plan.name, details);
                        record_aborted_states(&mut child, std::iter::once(open.clone()));
                    }
                    child.record(EventType::MapIterationFailed, &plan.name, details);
                }
                Some(failure)
            }
            Some(Stop::Terminal(failure)) => {
                rt.join(forks.into_iter().map(|(_, left, _)| left).collect());
                return Err(failure);
            }
            None => None,
        };
        rt.join(forks.into_iter().map(|(_, left, _)| left).collect());
        records.sort_by_key(|(index, _)| *index);
        Ok(IterationsOutcome {
            results: results.into_iter().flatten().collect(),
            records: records.into_iter().map(|(_, record)| record).collect(),
            failed,
        })
    }

    /// The items a Map state iterates: read by its ItemReader, or selected by ItemsPath.
    pub(super) async fn map_items(
        &self,
        rt: &mut Runtime<'_>,
        plan: &StatePlan,
        map: &MapPlan,
        frame: &StateFrame,
        eff: &Value,
    ) -> Result<Vec<Value>, Failure> {
        if let Some(reader) = &map.reader {
            let mut max_items = reader.max_items;
            if let Some(p) = &reader.max_items_path {
                let n = self.integer_at(rt, frame, p, eff, "MaxItemsPath")?;
                max_items = Some(
                    u64::try_from(n)
                        .map_err(|_| runtime_error(frame, "MaxItems cannot be negative."))?,
                );
            }
            let parameters = match &reader.parameters {
                Some(p) => rt.env(eff, frame).payload(p)?,
                None => Value::Object(Map::new()),
            };
            let store = rt.options.object_store.clone().filter(|_| map.distributed);
            let from_store = store
                .as_ref()
                .and_then(|s| distributed::store_items(s, reader, &parameters));
            let read = match from_store {
                Some(items) => Value::Array(items?),
                None => {
                    self.invoke(rt, plan, frame, &reader.resource, parameters, None, None)
                        .await?
                }
            };
            let Value::Array(mut items) = read else {
                return Err(runtime_error(
                    frame,
                    "The ItemReader binding must return a JSON array of items.",
                ));
            };
            if let Some(max) = max_items.filter(|m| *m > 0) {
                items.truncate(usize::try_from(max).unwrap_or(usize::MAX));
            }
            return Ok(items);
        }
        if plan.jsonata {
            let items = match &map.jsonata_items {
                Some(t) => rt.env(eff, frame).jsonata_template(t, None, "Items")?,
                None => eff.clone(),
            };
            return match items {
                Value::Array(items) => Ok(items),
                // An `Items` expression is named, as AWS names a field's expression; without
                // one, the state's input is no array.
                other => Err(Failure::new(
                    names::QUERY_EVALUATION_ERROR,
                    match &map.jsonata_items {
                        Some(Ok(crate::jsonata::Template::Expr(e))) => format!(
                            "The JSONata expression '{}' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was '{}' for value: {}",
                            e.text(),
                            super::json_type_name(&other),
                            compact(&other)
                        ),
                        _ => format!(
                            "Map state input must be an array but was: {}",
                            compact(&other)
                        ),
                    },
                )),
            };
        }
        let selected = match &map.items_path {
            None => eff.clone(),
            Some(p) => self.select_or_fail(rt, frame, p, eff)?,
        };
        match selected {
            Value::Array(items) => Ok(items),
            other => Err(runtime_error(
                frame,
                format!(
                    "Invalid path '{}': The Map state's items must be a JSON array, found '{}'",
                    map.items_path.as_ref().map_or("$", |p| p.text.as_str()),
                    compact(&other)
                ),
            )),
        }
    }
}

/// Why a Map's concurrent iterations stopped before all ended.
enum Stop<'x> {
    /// A failure the Map did not tolerate, the iteration it ended and its event details.
    Failed(Failure, Box<super::Forked<'x>>, Option<Value>),
    /// The execution itself ended (its deadline, a full history, an uncatchable error).
    Terminal(Failure),
}

/// Records, through the thread that failed, the `…StateAborted` of the state each stopped
/// branch or iteration was in.
fn record_aborted_states(
    failed: &mut Runtime<'_>,
    stopped: impl IntoIterator<Item = Option<crate::history::OpenState>>,
) {
    for open in stopped.into_iter().flatten() {
        let state = open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        if let Some((entered, name)) = state
            && let Some(aborted) = entered.aborted_state()
        {
            failed.record(aborted, &name, None);
        }
    }
}

/// "In this mode, the Map state supports up to 40 concurrent iterations"
/// (https://docs.aws.amazon.com/step-functions/latest/dg/state-map-inline.html).
const INLINE_MAX_CONCURRENCY: u64 = 40;

/// A Distributed Map runs "up to 10,000 parallel child workflow executions"
/// (https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html).
const DISTRIBUTED_MAX_CONCURRENCY: u64 = 10_000;

/// One entry of a Map state, as its iterations see it.
struct MapRun<'a> {
    plan: &'a StatePlan,
    map: &'a MapPlan,
    frame: &'a StateFrame,
    /// The state's effective input (ItemSelector's `$`).
    eff: &'a Value,
    /// At most this many iterations at once.
    max_concurrency: u64,
    /// Whether each child's record is kept for the ResultWriter.
    records: bool,
    /// The iterations are a Map Run's child executions: no iteration events in this history.
    in_map_run: bool,
}

/// What a Map's iterations gave.
struct IterationsOutcome {
    /// In item order; a tolerated failure's error output in its place.
    results: Vec<Value>,
    /// The children's records for the ResultWriter, in item order.
    records: Vec<Value>,
    /// The failure that ended the Map: one the Map did not tolerate.
    failed: Option<Failure>,
}

/// `ToleratedFailureCount` and `ToleratedFailurePercentage` of one Map entry.
struct Tolerance {
    count: Option<f64>,
    percentage: Option<f64>,
    total: usize,
    failures: usize,
}

impl Tolerance {
    /// Counts a failed iteration: its error output when tolerated, else the Map's failure
    /// (the iteration's own error when no tolerance is set).
    fn fail(&mut self, failure: Failure) -> Result<Value, Failure> {
        self.failures += 1;
        let failures = self.failures as f64;
        let set = self.count.is_some() || self.percentage.is_some();
        let over_count = self.count.is_none_or(|c| failures > c);
        let over_percentage = self
            .percentage
            .is_none_or(|p| failures * 100.0 > p * self.total as f64);
        let exceeded = !set
            || (self.count.is_some() && over_count)
            || (self.percentage.is_some() && over_percentage);
        match (exceeded, set) {
            (false, _) => Ok(failure.to_error_output()),
            (true, true) => Err(Failure::new(
                names::EXCEED_TOLERATED_FAILURE_THRESHOLD,
                "The specified tolerated failure threshold was exceeded",
            )),
            (true, false) => Err(failure),
        }
    }
}

/// When a Map's iterations run on the virtual clock: each starts as soon as one of
/// `MaxConcurrency` slots is free (AWS's ceiling when it is 0), in item order, as AWS starts them.
struct ConcurrencySlots {
    started: Duration,
    limit: usize,
    /// When each busy slot frees, soonest first.
    busy: BinaryHeap<Reverse<Duration>>,
    /// When the last iteration ended (or the failure that stopped the others).
    end: Duration,
    stopped: Option<Duration>,
}

impl ConcurrencySlots {
    fn new(started: Duration, max_concurrency: u64) -> Self {
        ConcurrencySlots {
            started,
            limit: usize::try_from(max_concurrency).unwrap_or(usize::MAX),
            busy: BinaryHeap::new(),
            end: started,
            stopped: None,
        }
    }

    /// When the next iteration starts: now, or when the first busy slot frees.
    fn next_start(&mut self) -> Duration {
        if self.limit == 0 || self.busy.len() < self.limit {
            return self.started;
        }
        self.busy.pop().map_or(self.started, |Reverse(at)| at)
    }

    fn ended(&mut self, at: Duration) {
        self.busy.push(Reverse(at));
        self.end = self.end.max(at);
    }

    fn stop_at(&mut self, at: Duration) {
        self.stopped = Some(at);
    }

    /// When the Map's iterations are over.
    fn end(&self) -> Duration {
        self.stopped.unwrap_or(self.end)
    }
}
