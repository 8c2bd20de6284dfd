//! Wait states and the values a state reads as numbers or timestamps: `Seconds(Path)`,
//! `Timestamp(Path)`, `TimeoutSecondsPath`, `MaxConcurrencyPath` and the Fail state's `ErrorPath`/`CausePath`.

use std::time::Duration;

use serde_json::Value;

use crate::Executor;
use crate::error::Failure;
use crate::intrinsics;
use crate::paths::CompiledPath;
use crate::plan::{ErrorSourcePlan, SecondsPlan, WaitPlan};
use orderflow_model::asl::error_names::names;
use orderflow_model::asl::timestamp::parse_timestamp;

use super::{Runtime, StateFrame, compact, quoted_value, runtime_error};

impl Executor {
    pub(super) fn error_source(
        &self,
        rt: &mut Runtime<'_>,
        frame: &StateFrame,
        source: Option<&ErrorSourcePlan>,
        raw: &Value,
        field: &str,
    ) -> Result<Option<String>, Failure> {
        let value = match source {
            None => return Ok(None),
            Some(ErrorSourcePlan::Literal(s)) => return Ok(Some(s.clone())),
            Some(ErrorSourcePlan::Path(p)) => {
                let env = rt.env(raw, frame);
                env.select_path(p).map(|c| c.into_owned()).map_err(|_| {
                    runtime_error(
                        frame,
                        format!(
                            "The JSONPath '{}' specified for the field '{field}' could not be found in the input '{}'",
                            p.text,
                            compact(raw)
                        ),
                    )
                })?
            }
            Some(ErrorSourcePlan::Intrinsic(call)) => {
                intrinsics::evaluate(call, &mut rt.env(raw, frame))?
            }
            Some(ErrorSourcePlan::Jsonata(expr)) => {
                match rt.env(raw, frame).jsonata_expression(expr, field)? {
                    Value::String(s) => return Ok(Some(s)),
                    other => {
                        return Err(Failure::new(
                            names::QUERY_EVALUATION_ERROR,
                            format!(
                                "The {field} field must be a string, but the JSONata expression returned {}",
                                compact(&other)
                            ),
                        ));
                    }
                }
            }
        };
        match value {
            Value::String(s) => Ok(Some(s)),
            other => Err(runtime_error(
                frame,
                format!(
                    "The {field} field must resolve to a string, found '{}'",
                    compact(&other)
                ),
            )),
        }
    }

    pub(super) fn seconds(
        &self,
        rt: &mut Runtime<'_>,
        frame: &StateFrame,
        seconds: Option<&SecondsPlan>,
        input: &Value,
        field: &str,
    ) -> Result<Option<u64>, Failure> {
        match seconds {
            None => Ok(None),
            Some(SecondsPlan::Value(v)) => Ok(Some(*v)),
            // A Wait's SecondsPath has texts of its own (LocalStack's provider,
            // docs/src/causes.md); the Task's *SecondsPath fields share the generic ones.
            Some(SecondsPlan::Path(p)) if field == "SecondsPath" => {
                let env = rt.env(input, frame);
                let value = env.select_path(p).map(|c| c.into_owned()).map_err(|_| {
                    runtime_error(
                        frame,
                        format!(
                            "The SecondsPath parameter does not reference an input value: {}",
                            p.text
                        ),
                    )
                })?;
                match (value.as_u64(), value.as_i64()) {
                    (Some(seconds), _) => Ok(Some(seconds)),
                    (None, Some(_)) => Err(runtime_error(
                        frame,
                        format!(
                            "The SecondsPath parameter references a negative value: {} == {}",
                            p.text,
                            quoted_value(&value)
                        ),
                    )),
                    (None, None) => Err(runtime_error(
                        frame,
                        format!(
                            "The SecondsPath parameter cannot be parsed as a long value: {} == {}",
                            p.text,
                            quoted_value(&value)
                        ),
                    )),
                }
            }
            Some(SecondsPlan::Path(p)) => {
                let env = rt.env(input, frame);
                let value = env.select_path(p).map(|c| c.into_owned()).map_err(|_| {
                    runtime_error(
                        frame,
                        format!(
                            "Invalid path '{}' : No results for path: {}",
                            p.text,
                            p.normalized()
                        ),
                    )
                })?;
                value.as_u64().map(Some).ok_or_else(|| {
                    runtime_error(
                        frame,
                        format!(
                            "The {field} field refers to value \"{}\" which is not a valid integer: {}",
                            quoted_value(&value),
                            p.text
                        ),
                    )
                })
            }
            Some(SecondsPlan::Jsonata(expr)) => {
                // `SecondsPath` → `Seconds`: a JSONata state names the field itself.
                let field = field.trim_end_matches("Path");
                let value = rt.env(input, frame).jsonata_expression(expr, field)?;
                value.as_u64().map(Some).ok_or_else(|| {
                    Failure::new(
                        names::QUERY_EVALUATION_ERROR,
                        format!(
                            "The {field} field must be a non-negative integer, but the JSONata expression returned {}",
                            compact(&value)
                        ),
                    )
                })
            }
        }
    }

    pub(super) fn wait_delay(
        &self,
        rt: &mut Runtime<'_>,
        frame: &StateFrame,
        wait: &WaitPlan,
        input: &Value,
    ) -> Result<Duration, Failure> {
        let until = |rt: &Runtime<'_>, target: i64| {
            let now = rt.clock.now_millis();
            Duration::from_millis(u64::try_from(target - now).unwrap_or(0))
        };
        match wait {
            WaitPlan::Seconds(s) => {
                let secs = self.seconds(rt, frame, Some(s), input, "SecondsPath")?;
                Ok(Duration::from_secs(secs.unwrap_or(0)))
            }
            WaitPlan::Timestamp(t) => match parse_timestamp(t) {
                Some(target) => Ok(until(rt, target)),
                None => Err(runtime_error(
                    frame,
                    format!("The Timestamp '{t}' is not a valid timestamp"),
                )),
            },
            WaitPlan::TimestampJsonata(expr) => {
                let value = rt.env(input, frame).jsonata_expression(expr, "Timestamp")?;
                match value.as_str().and_then(parse_timestamp) {
                    Some(target) => Ok(until(rt, target)),
                    None => Err(Failure::new(
                        names::QUERY_EVALUATION_ERROR,
                        format!(
                            "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: {}",
                            quoted_value(&value)
                        ),
                    )
                    .in_field("Timestamp")),
                }
            }
            WaitPlan::TimestampPath(p) => {
                let value = {
                    let env = rt.env(input, frame);
                    env.select_path(p).ok().map(|c| c.into_owned())
                };
                match value
                    .as_ref()
                    .and_then(Value::as_str)
                    .and_then(parse_timestamp)
                {
                    Some(target) => Ok(until(rt, target)),
                    // AWS names the value it found: `$.start_at == 2023-12-11T22:01:34`
                    // (LocalStack's AWS-validated test_wait snapshot).
                    None => Err(runtime_error(
                        frame,
                        format!(
                            "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {}{}",
                            p.text,
                            value
                                .as_ref()
                                .map(|v| format!(" == {}", quoted_value(v)))
                                .unwrap_or_default()
                        ),
                    )),
                }
            }
        }
    }

    /// An integer field given through a path (MaxConcurrencyPath, ToleratedFailureCountPath, …).
    pub(super) fn integer_at(
        &self,
        rt: &mut Runtime<'_>,
        frame: &StateFrame,
        path: &CompiledPath,
        input: &Value,
        field: &str,
    ) -> Result<i64, Failure> {
        let value = {
            let env = rt.env(input, frame);
            env.select_path(path).map(|c| c.into_owned()).map_err(|_| {
                runtime_error(
                    frame,
                    format!(
                        "Invalid path '{}' : No results for path: {}",
                        path.text,
                        path.normalized()
                    ),
                )
            })?
        };
        value.as_i64().ok_or_else(|| {
            runtime_error(
                frame,
                format!(
                    "The {field} field refers to value \"{}\" which is not a valid integer: {}",
                    quoted_value(&value),
                    path.text
                ),
            )
        })
    }
}
