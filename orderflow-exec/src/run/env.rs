//! What expressions are evaluated against: the state input, the context object (`$$`),
//! variables, and JSONata sessions; paths, payload templates and intrinsic functions resolve here.

use std::borrow::Cow;
use std::sync::OnceLock;

use serde_json::{Map, Value, json};

use crate::ExecutionIdentity;
use crate::choice::{ChoiceEnv, ChoiceError};
use crate::error::Failure;
use crate::intrinsics::{self, IntrinsicEnv};
use crate::jsonata::{self, InvalidExpression, Template};
use crate::paths::{CompiledPath, NoResult, Step as PathStep, select, select_steps};
use crate::plan::Payload;
use orderflow_model::asl::error_names::names;
use orderflow_model::asl::path::PathRoot;
use orderflow_model::asl::timestamp::format_timestamp;

use super::{StateFrame, compact, runtime_error};

/// What the context object reports about the execution.
/// Shared by the runtimes of concurrent branches (the real clock), hence `OnceLock`.
pub(super) struct ExecutionInfo<'x> {
    pub(super) identity: &'x ExecutionIdentity,
    /// Drawn when the execution starts (so seeded runs stay reproducible), formatted on demand.
    pub(super) random_name: u128,
    pub(super) start_millis: i64,
    pub(super) input: Value,
    /// `$$.Execution.RedriveCount`.
    pub(super) redrive_count: u64,
    /// The ARNs and names: formatted only if the context object's `Execution` or
    /// `StateMachine` is read, which few definitions do.
    pub(super) strings: OnceLock<ExecutionStrings>,
}

pub(super) struct ExecutionStrings {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) role_arn: String,
    pub(super) start_time: String,
    pub(super) machine_id: String,
}

impl ExecutionInfo<'_> {
    pub(super) fn strings(&self) -> &ExecutionStrings {
        self.strings.get_or_init(|| {
            let identity = self.identity;
            let name = identity
                .execution_name
                .clone()
                .unwrap_or_else(|| intrinsics::uuid_v4(self.random_name.to_le_bytes()));
            let arn_prefix = format!(
                "arn:{}:states:{}:{}",
                identity.partition, identity.region, identity.account
            );
            ExecutionStrings {
                id: format!(
                    "{arn_prefix}:execution:{}:{name}",
                    identity.state_machine_name
                ),
                name,
                role_arn: identity.role_arn.clone().unwrap_or_else(|| {
                    format!(
                        "arn:{}:iam::{}:role/StepFunctionsExecutionRole",
                        identity.partition, identity.account
                    )
                }),
                start_time: format_timestamp(self.start_millis),
                machine_id: format!("{arn_prefix}:stateMachine:{}", identity.state_machine_name),
            }
        })
    }
}

/// Evaluates paths, payloads and intrinsics for one state.
pub(super) struct Env<'r> {
    pub(super) input: &'r Value,
    pub(super) frame: &'r StateFrame,
    pub(super) info: &'r ExecutionInfo<'r>,
    pub(super) vars: &'r [Map<String, Value>],
    pub(super) rng: &'r mut fastrand::Rng,
    /// The index of the Choice rule being evaluated, which a JSONata condition's cause names
    /// (`Choices[1]/Condition`).
    pub(super) choice_rule: usize,
}

impl<'r> Env<'r> {
    /// The context object with only its member `top` (`Task`, `State`, …), or nothing if it has
    /// no such member.
    pub(super) fn context_object_part(&self, top: &str) -> Value {
        match top {
            "Task" => match &self.frame.task_token {
                Some(token) => json!({"Task": {"Token": token}}),
                None => json!({}),
            },
            "State" => json!({
                "State": {
                    "EnteredTime": format_timestamp(self.frame.entered_time),
                    "Name": &*self.frame.name,
                    "RetryCount": self.frame.retry_count,
                },
            }),
            "StateMachine" => json!({
                "StateMachine": {
                    "Id": self.info.strings().machine_id,
                    "Name": self.info.identity.state_machine_name,
                },
            }),
            _ => self.context_object(),
        }
    }

    pub(super) fn context_object(&self) -> Value {
        let strings = self.info.strings();
        let mut ctx = json!({
            "Execution": {
                "Id": strings.id,
                "Input": self.info.input,
                "Name": strings.name,
                "RoleArn": strings.role_arn,
                "StartTime": strings.start_time,
                "RedriveCount": self.info.redrive_count,
            },
            "State": {
                "EnteredTime": format_timestamp(self.frame.entered_time),
                "Name": &*self.frame.name,
                "RetryCount": self.frame.retry_count,
            },
            "StateMachine": {
                "Id": strings.machine_id,
                "Name": self.info.identity.state_machine_name,
            },
        });
        if let Some(token) = &self.frame.task_token {
            ctx["Task"] = json!({"Token": token});
        }
        if let Some((index, value)) = self.frame.map_item.as_deref() {
            ctx["Map"] = json!({"Item": {"Index": index, "Value": value}});
        }
        ctx
    }

    /// The value a path selects (any root).
    pub(super) fn select_path(&self, path: &CompiledPath) -> Result<Cow<'r, Value>, NoResult> {
        match &path.root {
            PathRoot::Input => select(path, self.input),
            PathRoot::Variable(name) => {
                let value = self
                    .vars
                    .iter()
                    .rev()
                    .find_map(|frame| frame.get(name))
                    .ok_or(NoResult)?;
                select(path, value)
            }
            PathRoot::Context => {
                let field = |i: usize| match path.steps.get(i) {
                    Some(PathStep::Field(f)) => Some(f.as_str()),
                    _ => None,
                };
                // The large parts are read in place rather than copied into a context object.
                if field(0) == Some("Execution") && field(1) == Some("Input") {
                    return select_steps(&path.steps[2..], path.definite, &self.info.input);
                }
                if field(0) == Some("Map") && field(1) == Some("Item") && field(2) == Some("Value")
                {
                    if let Some((_, value)) = self.frame.map_item.as_deref() {
                        return select_steps(&path.steps[3..], path.definite, value)
                            .map(|c| Cow::Owned(c.into_owned()));
                    }
                }
                // Only the part of the context object the path reads is built: most paths are
                // `$$.Task.Token` or `$$.State.*`, and the whole object copies the input.
                if let Some(top) = field(0) {
                    let mut ctx = self.context_object_part(top);
                    let Some(part) = ctx.as_object_mut().and_then(|o| o.remove(top)) else {
                        return Err(NoResult);
                    };
                    return select_steps(&path.steps[1..], path.definite, &part)
                        .map(|c| Cow::Owned(c.into_owned()));
                }
                let ctx = self.context_object();
                select(path, &ctx).map(|c| Cow::Owned(c.into_owned()))
            }
        }
    }

    pub(super) fn not_found(&self, path: &CompiledPath, field: &str) -> Failure {
        runtime_error(
            self.frame,
            format!(
                "The JSONPath '{}' specified for the field '{field}' could not be found in the input '{}'",
                path.text,
                compact(self.input)
            ),
        )
    }

    pub(super) fn payload(&mut self, payload: &Payload) -> Result<Value, Failure> {
        Ok(match payload {
            Payload::Literal(v) => v.clone(),
            Payload::Object(members) => {
                let mut out = Map::with_capacity(members.len());
                for (key, value) in members {
                    out.insert(key.clone(), self.payload(value)?);
                }
                Value::Object(out)
            }
            Payload::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|i| self.payload(i))
                    .collect::<Result<_, _>>()?,
            ),
            Payload::Path { path, field } => self
                .select_path(path)
                .map(|c| c.into_owned())
                .map_err(|_| self.not_found(path, field))?,
            Payload::Intrinsic(call) => intrinsics::evaluate(call, self)?,
        })
    }

    /// [`payload`](Self::payload), leaving `null` at the member the `keys` lead to, for
    /// the caller to fill.
    pub(super) fn payload_without(
        &mut self,
        payload: &Payload,
        keys: &[String],
    ) -> Result<Value, Failure> {
        let (Some((first, rest)), Payload::Object(members)) = (keys.split_first(), payload) else {
            return Ok(Value::Null);
        };
        let mut out = Map::with_capacity(members.len());
        for (key, value) in members {
            let value = if key == first {
                self.payload_without(value, rest)?
            } else {
                self.payload(value)?
            };
            out.insert(key.clone(), value);
        }
        Ok(Value::Object(out))
    }

    /// A JSONata evaluator for one field, `$states` holding the input and the context object,
    /// and in the fields that may read them the state's `result` or a catcher's `errorOutput`.
    pub(super) fn jsonata_session(&mut self, extra: Option<(&str, &Value)>) -> jsonata::Session {
        let context = self.context_object();
        let mut states = vec![("input", self.input), ("context", &context)];
        states.extend(extra);
        jsonata::Session::with_states(&states, self.vars, self.rng.u64(..))
    }

    /// The value of a JSONata template standing in `field` (`Output`, `Assign`, `Items`).
    pub(super) fn jsonata_template(
        &mut self,
        template: &Result<Template, InvalidExpression>,
        extra: Option<(&str, &Value)>,
        field: &str,
    ) -> Result<Value, Failure> {
        let template = template
            .as_ref()
            .map_err(|invalid| Failure::new(names::QUERY_EVALUATION_ERROR, invalid.to_string()))?;
        template.evaluate_with(&mut self.jsonata_session(extra), field)
    }

    /// The value of a JSONata expression standing in `field` (`Seconds`, `Error`), which must
    /// not be undefined.
    pub(super) fn jsonata_expression(
        &mut self,
        expr: &Result<jsonata::Expr, InvalidExpression>,
        field: &str,
    ) -> Result<Value, Failure> {
        let expr = expr
            .as_ref()
            .map_err(|invalid| Failure::new(names::QUERY_EVALUATION_ERROR, invalid.to_string()))?;
        self.jsonata_session(None).value(expr, field)
    }
}

impl IntrinsicEnv for Env<'_> {
    fn resolve(&mut self, path: &CompiledPath, call: &str) -> Result<Value, Failure> {
        Env::select_path(self, path)
            .map(|c| c.into_owned())
            .map_err(|_| {
                runtime_error(
                    self.frame,
                    format!(
                        "The function '{call}' had the following error: The JsonPath argument for the field '{}' could not be found in the input '{}'",
                        path.text,
                        compact(self.input)
                    ),
                )
            })
    }

    fn random(&mut self) -> f64 {
        self.rng.f64()
    }

    fn random_bytes(&mut self) -> [u8; 16] {
        self.rng.u128(..).to_le_bytes()
    }
}

impl ChoiceEnv for Env<'_> {
    fn lookup(&mut self, path: &CompiledPath) -> Option<Value> {
        self.select_path(path).ok().map(|c| c.into_owned())
    }

    fn jsonata(&mut self, expr: &jsonata::Expr) -> Result<bool, ChoiceError> {
        let field = format!("Choices[{}]/Condition", self.choice_rule);
        match self.jsonata_session(None).value(expr, &field) {
            Ok(Value::Bool(b)) => Ok(b),
            Ok(other) => Err(ChoiceError::Jsonata(
                names::QUERY_EVALUATION_ERROR.into(),
                format!(
                    "The JSONata expression '{}' specified for the field '{field}' returned an unexpected result type. Expected 'boolean', but was '{}' for value: {}",
                    expr.text(),
                    super::json_type_name(&other),
                    compact(&other)
                ),
            )),
            Err(f) => Err(ChoiceError::Jsonata(
                f.error.unwrap_or_default(),
                f.cause.unwrap_or_default(),
            )),
        }
    }
}
