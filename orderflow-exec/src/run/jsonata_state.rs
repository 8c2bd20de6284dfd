//! States in JSONata mode: `Arguments`, `Output` and `Assign` evaluated as JSONata, with `$states`.

use serde_json::{Value, json};

use crate::Executor;
use crate::error::Failure;
use crate::history::EventType;
use crate::jsonata::{InvalidExpression, Template};
use crate::plan::{KindPlan, StatePlan};
use orderflow_model::asl::error_names::names;

use super::{
    ChoicePick, Runtime, STATE_ERROR_PREFIX, StateFrame, Step, pick_choice, runtime_error,
};

impl Executor {
    /// A JSONata state: `Output`, `Assign`, Choice `Condition`s, Wait `Seconds`/`Timestamp`,
    /// Fail `Error`/`Cause`, Map `Items`/`ItemSelector`, Task and Parallel `Arguments`, and
    /// Catch `Output`/`Assign` (with `$states.errorOutput`). A failed evaluation is
    /// recorded as an `EvaluationFailed` event and fails the state with
    /// `States.QueryEvaluationError`, its cause naming the state as AWS's does.
    pub(super) async fn run_jsonata_state(
        &self,
        rt: &mut Runtime<'_>,
        plan: &StatePlan,
        frame: &mut StateFrame,
        raw: Value,
    ) -> Result<Step, Failure> {
        let step = self.jsonata_step(rt, plan, frame, raw).await;
        step.map_err(|failure| {
            // Only this state's own evaluations: one from a state inside a Parallel branch or
            // Map iteration already names that state and was recorded there.
            let from_inner_state = failure
                .cause
                .as_deref()
                .is_some_and(|c| c.starts_with(STATE_ERROR_PREFIX));
            if failure.error.as_deref() != Some(names::QUERY_EVALUATION_ERROR) || from_inner_state {
                return failure;
            }
            let location = failure.location;
            let failure = Failure::new(
                names::QUERY_EVALUATION_ERROR,
                runtime_error(frame, failure.cause.unwrap_or_default())
                    .cause
                    .unwrap_or_default(),
            );
            let mut details =
                json!({"error": failure.error, "cause": failure.cause, "state": &*plan.name});
            if let Some(location) = location {
                details["location"] = json!(location);
            }
            if matches!(plan.kind, KindPlan::Map(_)) {
                rt.history.follow_before_last(EventType::MapStateEntered);
            }
            rt.record(EventType::EvaluationFailed, &plan.name, Some(details));
            if matches!(plan.kind, KindPlan::Map(_)) {
                rt.record(EventType::MapStateFailed, &plan.name, None);
            }
            failure
        })
    }

    pub(super) async fn jsonata_step(
        &self,
        rt: &mut Runtime<'_>,
        plan: &StatePlan,
        frame: &mut StateFrame,
        raw: Value,
    ) -> Result<Step, Failure> {
        let output = plan.jsonata_output.as_ref();
        let assign = plan.jsonata_assign.as_ref();
        match &plan.kind {
            KindPlan::Pass { .. } => Ok(Step {
                next: plan.next,
                output: jsonata_finish(rt, frame, output, assign, raw, None)?,
            }),
            KindPlan::Succeed => Ok(Step {
                next: None,
                output: jsonata_finish(rt, frame, output, None, raw, None)?,
            }),
            KindPlan::Choice { rules, default } => {
                // A chosen rule's Output and Assign replace the state's.
                let (next, output, assign) = match pick_choice(rt, frame, rules, *default, &raw)? {
                    ChoicePick::Rule(rule) => (
                        rule.next,
                        rule.jsonata_output.as_ref().or(output),
                        rule.jsonata_assign.as_ref().or(assign),
                    ),
                    ChoicePick::Default(next) => (next, output, assign),
                };
                Ok(Step {
                    next: Some(next),
                    output: jsonata_finish(rt, frame, output, assign, raw, None)?,
                })
            }
            KindPlan::Fail { error, cause } => {
                let error = self.error_source(rt, frame, error.as_ref(), &raw, "Error")?;
                let cause = self.error_source(rt, frame, cause.as_ref(), &raw, "Cause")?;
                Err(Failure {
                    error,
                    cause,
                    location: None,
                })
            }
            KindPlan::Wait(wait) => {
                let delay = self.wait_delay(rt, frame, wait, &raw)?;
                rt.sleep(delay).await?;
                Ok(Step {
                    next: plan.next,
                    output: jsonata_finish(rt, frame, output, assign, raw, None)?,
                })
            }
            // Retry and Catch, `Arguments`, `$states.result` and the Map's items: the same
            // code as JSONPath states, which asks the plan's query language at each field.
            KindPlan::Task { .. } | KindPlan::Parallel { .. } | KindPlan::Map(_) => {
                self.run_state(rt, plan, frame, raw).await
            }
        }
    }
}

/// A JSONata state's (or catcher's) `Output` and `Assign`, which see the same `$states`
/// (`extra`: the state's `result` or the catcher's `errorOutput`, where there is one);
/// variables change only after both are evaluated.
pub(super) fn jsonata_finish(
    rt: &mut Runtime<'_>,
    frame: &StateFrame,
    output: Option<&Result<Template, InvalidExpression>>,
    assign: Option<&Result<Template, InvalidExpression>>,
    raw: Value,
    extra: Option<(&str, Value)>,
) -> Result<Value, Failure> {
    let mut env = rt.env(&raw, frame);
    let seen = extra.as_ref().map(|(name, value)| (*name, value));
    let assigned = match assign {
        Some(t) => Some(env.jsonata_template(t, seen, "Assign")?),
        None => None,
    };
    let output = match output {
        Some(t) => env.jsonata_template(t, seen, "Output")?,
        // Without `Output`: the result (or error output) where there is one, else the input.
        None => extra.map_or(raw, |(_, value)| value),
    };
    if let Some(Value::Object(values)) = assigned {
        rt.assign_variables(values)?;
    }
    Ok(output)
}
