//! Task states: invoking the bound task, then Retry and Catch.

use std::time::Duration;

use futures::future::Either;
use serde_json::{Value, json};

use crate::Executor;
use crate::clock::ClockMode;
use crate::error::{Failure, error_matches};
use crate::history::EventType;
use crate::paths::set_at;
use crate::plan::{PathField, StatePlan};
use crate::retry::backoff_delay;
use crate::size::exceeds_size;
use crate::task::TaskRequest;
use orderflow_model::asl::error_names::names;
use orderflow_model::asl::model::Resource;

use super::jsonata_state::jsonata_finish;
use super::{ErrorOutcome, Runtime, StateFrame, Step, compact};

impl Executor {
    /// Calls the binding, racing the timeout on the real clock.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn invoke(
        &self,
        rt: &mut Runtime<'_>,
        plan: &StatePlan,
        frame: &StateFrame,
        resource: &Resource,
        input: Value,
        timeout: Option<u64>,
        heartbeat: Option<u64>,
    ) -> Result<Value, Failure> {
        let heartbeats = crate::task::Heartbeat::default();
        let request = TaskRequest {
            state_name: &plan.name,
            resource,
            input,
            task_token: frame.task_token.clone(),
            timeout_seconds: timeout,
            heartbeat_seconds: heartbeat,
            retry_count: frame.retry_count,
            heartbeat: heartbeats.clone(),
        };
        let call = rt.invoker.invoke(request);
        // On the real clock the call races the state's TimeoutSeconds, its HeartbeatSeconds
        // and the execution's own deadline (the virtual clock charges their time afterwards).
        let execution_left = rt.time_left();
        let outcome = match rt.clock.mode() {
            ClockMode::Real
                if timeout.is_some() || heartbeat.is_some() || execution_left.is_some() =>
            {
                let timer = &rt.options.timer;
                let after = |limit: Option<Duration>| async move {
                    match limit {
                        Some(limit) => timer.sleep(limit).await,
                        None => futures::future::pending().await,
                    }
                };
                // A beat restarts the heartbeat clock ("resets the Heartbeat clock",
                // SendTaskHeartbeat's API reference): the wait ends HeartbeatSeconds after the
                // last beat, or after the call when there was none.
                let missed_heartbeat = async {
                    let Some(seconds) = heartbeat else {
                        return futures::future::pending().await;
                    };
                    let interval = Duration::from_secs(seconds);
                    let called = std::time::Instant::now();
                    loop {
                        let due = heartbeats.last_beat().unwrap_or(called) + interval;
                        let now = std::time::Instant::now();
                        if now >= due {
                            return;
                        }
                        timer.sleep(due - now).await;
                    }
                };
                let task_limit = futures::future::select(
                    Box::pin(after(timeout.map(Duration::from_secs))),
                    Box::pin(missed_heartbeat),
                );
                let limits = futures::future::select(task_limit, Box::pin(after(execution_left)));
                match futures::future::select(call, limits).await {
                    Either::Left((outcome, _)) => outcome,
                    // A heartbeat that runs out is recorded as a timeout too (see the cause
                    // table's `timeout` row).
                    Either::Right((Either::Left(_), _)) => Err(crate::task::TaskError::timeout()),
                    // The execution ran out of time while the task ran.
                    Either::Right((Either::Right(_), _)) => return Err(rt.timeout()),
                }
            }
            _ => call.await,
        };
        // On the virtual clock a task that timed out took its time: its HeartbeatSeconds when
        // it has one (the heartbeat clock runs out first when no progress is reported; AWS then
        // reports States.Timeout too, as its recorded executions show), else its TimeoutSeconds.
        // The execution's own deadline may come first.
        if let (ClockMode::Virtual, Err(e)) = (rt.clock.mode(), &outcome) {
            let took = match e.error.as_str() {
                names::TIMEOUT => match (timeout, heartbeat) {
                    (Some(t), Some(h)) => Some(t.min(h)),
                    (t, h) => t.or(h),
                },
                names::HEARTBEAT_TIMEOUT => heartbeat,
                _ => None,
            };
            if let Some(seconds) = took {
                rt.sleep(Duration::from_secs(seconds)).await?;
            }
        }
        let result = outcome.map_err(|e| {
            // A timed-out task has no cause at all on AWS (its recorded executions), not an
            // empty one.
            let timed_out = e.cause.is_empty()
                && matches!(e.error.as_str(), names::TIMEOUT | names::HEARTBEAT_TIMEOUT);
            Failure {
                error: Some(e.error),
                cause: (!timed_out).then_some(e.cause),
                location: None,
            }
        })?;
        if let Some(limit) = rt.options.max_payload_bytes {
            if exceeds_size(&result, limit) {
                // AWS names the resource: a Lambda function's ARN, else the integration's
                // service (`lambda` for lambda:invoke), as its recorded executions show.
                let arn = crate::aws_history::resource_arn(resource, rt.info.identity);
                let named = match arn.split_once(":::") {
                    Some((_, integration)) => integration
                        .split(':')
                        .next()
                        .unwrap_or(integration)
                        .to_owned(),
                    None => arn,
                };
                return Err(Failure::new(
                    names::DATA_LIMIT_EXCEEDED,
                    format!(
                        "The state/task '{named}' returned a result with a size exceeding the maximum number of bytes service limit."
                    ),
                ));
            }
        }
        Ok(result)
    }

    /// Retry (waiting the back-off), else Catch, else the failure stands.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn handle_error(
        &self,
        rt: &mut Runtime<'_>,
        plan: &StatePlan,
        frame: &mut StateFrame,
        raw: &Value,
        failure: Failure,
        retry_counts: &mut [u64],
        failed_event: Option<EventType>,
    ) -> Result<ErrorOutcome, Failure> {
        // The machine's TimeoutSeconds and the history limit end the execution, wherever the
        // failure surfaces (a Parallel or Map around the state that met it has no say).
        if failure.is_terminal() || rt.timed_out || rt.history.full() {
            return Err(failure);
        }
        let retrier = plan
            .retriers
            .iter()
            .zip(retry_counts.iter_mut())
            .enumerate()
            .find(|(_, (r, _))| error_matches(&r.error_equals, &failure));
        if let Some((index, (r, count))) = retrier {
            if *count < r.retrier.max_attempts {
                if let Some(coverage) = rt.coverage.as_mut() {
                    coverage.retried(&plan.name, index);
                }
                let draw = rt.rng.f64();
                let delay = backoff_delay(&r.retrier, *count, draw);
                *count += 1;
                frame.retry_count += 1;
                rt.sleep(delay).await?;
                return Ok(ErrorOutcome::Retry);
            }
        }
        if let Some(event) = failed_event {
            rt.record(
                event,
                &plan.name,
                Some(json!({"error": failure.error, "cause": failure.cause})),
            );
        }
        for (index, catcher) in plan.catchers.iter().enumerate() {
            if !error_matches(&catcher.error_equals, &failure) {
                continue;
            }
            if let Some(coverage) = rt.coverage.as_mut() {
                coverage.caught(&plan.name, index);
            }
            let error_output = failure.to_error_output();
            if plan.jsonata {
                let output = jsonata_finish(
                    rt,
                    frame,
                    catcher.jsonata_output.as_ref(),
                    catcher.jsonata_assign.as_ref(),
                    raw.clone(),
                    Some(("errorOutput", error_output)),
                )?;
                return Ok(ErrorOutcome::Caught(Step {
                    next: Some(catcher.next),
                    output,
                }));
            }
            self.assign(rt, catcher.assign.as_ref(), frame, &error_output)?;
            let output = match &catcher.result_path {
                PathField::Default => error_output,
                PathField::Null => raw.clone(),
                PathField::Path(p) if p.is_root() => error_output,
                PathField::Path(p) => {
                    let mut target = raw.clone();
                    if set_at(&mut target, p, error_output).is_err() {
                        return Err(Failure::new(
                            names::RESULT_PATH_MATCH_FAILURE,
                            format!(
                                "Unable to apply ReferencePath {} to input '{}'",
                                p.text,
                                compact(raw)
                            ),
                        ));
                    }
                    target
                }
            };
            return Ok(ErrorOutcome::Caught(Step {
                next: Some(catcher.next),
                output,
            }));
        }
        Err(failure)
    }
}
