//! Input and output processing in AWS's order: `InputPath`, `Parameters`, `ResultSelector`,
//! `ResultPath`, `OutputPath` and `Assign`.

use serde_json::{Map, Value};

use crate::Executor;
use crate::error::Failure;
use crate::paths::{CompiledPath, set_at};
use crate::plan::{PathField, Payload, StatePlan};
use orderflow_model::asl::error_names::names;
use orderflow_model::asl::path::PathRoot;

use super::jsonata_state::jsonata_finish;
use super::{Runtime, StateFrame, Step, compact, runtime_error};

impl Executor {
    /// `InputPath`: `None` when the effective input is the raw input itself.
    pub(super) fn input_path(
        &self,
        rt: &mut Runtime<'_>,
        plan: &StatePlan,
        frame: &StateFrame,
        raw: &Value,
    ) -> Result<Option<Value>, Failure> {
        Ok(match &plan.input_path {
            PathField::Default => None,
            PathField::Null => Some(Value::Object(Map::new())),
            PathField::Path(p) if p.is_root() && p.root == PathRoot::Input => None,
            PathField::Path(p) => Some(self.select_or_fail(rt, frame, p, raw)?),
        })
    }

    /// `InputPath` then `Parameters`; JSONata `Arguments`.
    pub(super) fn effective_input(
        &self,
        rt: &mut Runtime<'_>,
        plan: &StatePlan,
        frame: &StateFrame,
        raw: &Value,
    ) -> Result<Option<Value>, Failure> {
        if plan.jsonata {
            return match &plan.jsonata_arguments {
                Some(t) => rt
                    .env(raw, frame)
                    .jsonata_template(t, None, "Arguments")
                    .map(Some),
                None => Ok(None),
            };
        }
        let selected = self.input_path(rt, plan, frame, raw)?;
        match &plan.parameters {
            None => Ok(selected),
            Some(parameters) => {
                let input = selected.as_ref().unwrap_or(raw);
                rt.env(input, frame).payload(parameters).map(Some)
            }
        }
    }

    /// Parameters whose member at `keys` is `"name.$": "$"`: the other members are evaluated
    /// first, then the raw input is moved into that member (see [`InputMove`]).
    pub(super) fn parameters_taking_input(
        &self,
        rt: &mut Runtime<'_>,
        plan: &StatePlan,
        frame: &StateFrame,
        raw: &mut Value,
        keys: &[String],
    ) -> Result<Value, Failure> {
        let Some(parameters) = &plan.parameters else {
            return Ok(std::mem::take(raw));
        };
        let mut out = rt.env(raw, frame).payload_without(parameters, keys)?;
        let slot = keys
            .iter()
            .try_fold(&mut out, |value, key| value.get_mut(key.as_str()));
        if let Some(slot) = slot {
            *slot = std::mem::take(raw);
        }
        Ok(out)
    }

    /// A path for InputPath/OutputPath: selects something, or the state fails.
    pub(super) fn select_or_fail(
        &self,
        rt: &mut Runtime<'_>,
        frame: &StateFrame,
        path: &CompiledPath,
        input: &Value,
    ) -> Result<Value, Failure> {
        let env = rt.env(input, frame);
        match env.select_path(path) {
            Ok(v) => Ok(v.into_owned()),
            Err(_) => Err(runtime_error(
                frame,
                format!(
                    "Invalid path '{}' : No results for path: {}",
                    path.text,
                    path.normalized()
                ),
            )),
        }
    }

    pub(super) fn output_path(
        &self,
        rt: &mut Runtime<'_>,
        plan: &StatePlan,
        frame: &StateFrame,
        output: Value,
    ) -> Result<Value, Failure> {
        match &plan.output_path {
            PathField::Default => Ok(output),
            PathField::Null => Ok(Value::Object(Map::new())),
            PathField::Path(p) if p.is_root() && p.root == PathRoot::Input => Ok(output),
            PathField::Path(p) => self.select_or_fail(rt, frame, p, &output),
        }
    }

    /// `ResultPath` (into the raw input) then `OutputPath`. `result: None` is the raw input.
    pub(super) fn finish(
        &self,
        rt: &mut Runtime<'_>,
        plan: &StatePlan,
        frame: &StateFrame,
        raw: Value,
        result: Option<Value>,
    ) -> Result<Value, Failure> {
        let combined = match &plan.result_path {
            PathField::Default => result.unwrap_or(raw),
            PathField::Null => raw,
            PathField::Path(p) if p.is_root() => result.unwrap_or(raw),
            PathField::Path(p) => {
                let value = match result {
                    Some(v) => v,
                    None => raw.clone(),
                };
                let mut target = raw;
                if set_at(&mut target, p, value).is_err() {
                    return Err(Failure::new(
                        names::RESULT_PATH_MATCH_FAILURE,
                        format!(
                            "Unable to apply ReferencePath {} to input '{}'",
                            p.text,
                            compact(&target)
                        ),
                    ));
                }
                target
            }
        };
        self.output_path(rt, plan, frame, combined)
    }

    /// Assign (with `$` the result), ResultSelector, ResultPath, OutputPath; in JSONata, Assign
    /// and Output with `$states.result`.
    pub(super) fn finish_with_result(
        &self,
        rt: &mut Runtime<'_>,
        plan: &StatePlan,
        frame: &StateFrame,
        raw: Value,
        result: Value,
    ) -> Result<Step, Failure> {
        if plan.jsonata {
            let output = jsonata_finish(
                rt,
                frame,
                plan.jsonata_output.as_ref(),
                plan.jsonata_assign.as_ref(),
                raw,
                Some(("result", result)),
            )?;
            return Ok(Step {
                next: plan.next,
                output,
            });
        }
        self.assign(rt, plan.assign.as_ref(), frame, &result)?;
        let selected = match &plan.result_selector {
            Some(selector) => rt.env(&result, frame).payload(selector)?,
            None => result,
        };
        let output = self.finish(rt, plan, frame, raw, Some(selected))?;
        Ok(Step {
            next: plan.next,
            output,
        })
    }

    /// Evaluates `Assign` (all values first, then all set) into the innermost variable scope.
    pub(super) fn assign(
        &self,
        rt: &mut Runtime<'_>,
        assign: Option<&Payload>,
        frame: &StateFrame,
        input: &Value,
    ) -> Result<(), Failure> {
        let Some(assign) = assign else {
            return Ok(());
        };
        match rt.env(input, frame).payload(assign)? {
            Value::Object(values) => rt.assign_variables(values),
            _ => Ok(()),
        }
    }
}
