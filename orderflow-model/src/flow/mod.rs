//! The data-flow check: propagates JSON shapes along every path of the workflow.
//!
//! Starting from the execution input schema, each state's input is transformed the way Step
//! Functions transforms values (InputPath → Parameters → the task's result → ResultSelector →
//! ResultPath → OutputPath, Catch with its error object) and checked against what the functions'
//! input schemas require. Each state keeps a few *variants* (shapes that reached it along
//! different paths, with the path that produced them) so messages can name a path; beyond
//! [`MAX_VARIANTS`] they are joined, which keeps the work linear in the size of the workflow.

pub mod access;
pub(crate) mod compat;
mod errors;
pub mod jsonata;
mod narrow;

use std::collections::{HashMap, HashSet, VecDeque};

use crate::asl::intrinsic::{IntrinsicArg, IntrinsicCall};
use crate::asl::model::*;
use crate::asl::path::{Path, PathRoot, Segment};
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::shape::{Additional, ObjectShape, Property, Shape};
use crate::workflow::Workflow;
use access::{Lookup, closed_object, lookup, set, shape_of_json};
use jsonata::StatesShapes;

/// Shapes kept apart per state before they are joined.
pub const MAX_VARIANTS: usize = 4;
/// Nesting beyond which shapes are cut to `any` (values that grow around loops).
const MAX_SHAPE_DEPTH: usize = 12;
/// A hard stop on work for pathological graphs (each step is one state applied to one shape).
const MAX_STEPS: usize = 1_000_000;
/// States named in a path shown in a message.
const TRAIL_SHOWN: usize = 8;

/// The value a state hands to a function, for naming it in messages.
#[derive(Clone, Copy)]
enum SentValue<'a> {
    /// The state's effective input (no Parameters or Arguments).
    State,
    /// The whole Parameters (JSONPath) or Arguments (JSONata) object.
    Parameters(Arguments<'a>),
    /// One field of it: lambda:invoke's `Payload`, SQS's `MessageBody`.
    Field {
        name: &'static str,
        arguments: Arguments<'a>,
    },
}

/// A Task's `Parameters` or `Arguments` as written, where it is, and the shape it evaluates to.
#[derive(Clone, Copy)]
struct Arguments<'a> {
    json: &'a crate::json::Json,
    pointer: &'a str,
}

impl Arguments<'_> {
    fn field_name(&self) -> &'static str {
        if self.pointer.ends_with("/Arguments") {
            "Arguments"
        } else {
            "Parameters"
        }
    }
}

/// Runs the data-flow check and the error-name check on a structurally valid workflow.
pub fn check(workflow: &Workflow, diagnostics: &mut Vec<Diagnostic>) {
    data_flow(workflow, diagnostics);
    errors::check(workflow, diagnostics);
}

/// Runs the data-flow check alone: what each Task sends its function and what each path reads,
/// against the workflow's schemas. `check --against` runs it on one version's definition with
/// the other version's schemas.
pub(crate) fn data_flow(workflow: &Workflow, diagnostics: &mut Vec<Diagnostic>) {
    let mut flow = Flow::new(workflow);
    let entry = workflow
        .execution_input
        .as_ref()
        .map_or(Shape::Any, |s| s.shape.clone());
    flow.run_scope(ScopeId(0), entry, Vec::new());
    flow.finish(diagnostics);
}

#[derive(Debug, Clone)]
struct Variant {
    shape: Shape,
    /// States passed before reaching this one.
    trail: Vec<StateId>,
}

/// What every read of one path (one place in the ASL) found, over all paths.
#[derive(Debug)]
struct ReadRecord {
    location: Location,
    text: String,
    found: bool,
    absent: Option<(Vec<StateId>, String, Shape, Option<Location>)>,
    uncertain: Option<Vec<StateId>>,
    guarded: bool,
    /// The same path with `Payload` inserted after a lambda:invoke result, where that finds
    /// something: what a read that forgot the integration's wrapping meant.
    in_payload: Option<String>,
}

struct Flow<'w> {
    workflow: &'w Workflow,
    machine: &'w StateMachine,
    context: Shape,
    reads: HashMap<(String, u32), ReadRecord>,
    read_order: Vec<(String, u32)>,
    diagnostics: Vec<Diagnostic>,
    reported: HashSet<(Code, String, String)>,
    scope_cache: HashMap<ScopeId, Vec<(Shape, Shape)>>,
    steps: usize,
    /// Choice states without `Default`: whether the rules matched every value of every shape
    /// that reached them.
    choices_covered: HashMap<StateId, bool>,
}

/// Where a shape is being evaluated: the state's context object and which reads are guarded.
#[derive(Clone, Copy)]
struct Eval<'a> {
    input: &'a Shape,
    context: &'a Shape,
    trail: &'a [StateId],
    guards: &'a [Vec<String>],
}

impl<'w> Flow<'w> {
    fn new(workflow: &'w Workflow) -> Self {
        let execution = closed_object([
            ("Id", Shape::String),
            (
                "Input",
                workflow
                    .execution_input
                    .as_ref()
                    .map_or(Shape::Any, |s| s.shape.clone()),
            ),
            ("Name", Shape::String),
            ("RoleArn", Shape::String),
            ("StartTime", Shape::String),
            ("RedriveCount", Shape::Integer),
        ]);
        let context = closed_object([
            ("Execution", execution),
            (
                "State",
                closed_object([
                    ("EnteredTime", Shape::String),
                    ("Name", Shape::String),
                    ("RetryCount", Shape::Integer),
                ]),
            ),
            (
                "StateMachine",
                closed_object([("Id", Shape::String), ("Name", Shape::String)]),
            ),
        ]);
        Flow {
            workflow,
            machine: &workflow.machine,
            context,
            reads: HashMap::new(),
            read_order: Vec::new(),
            diagnostics: Vec::new(),
            reported: HashSet::new(),
            scope_cache: HashMap::new(),
            steps: 0,
            choices_covered: HashMap::new(),
        }
    }

    /// Runs a scope from its StartAt with `entry`; returns the join of what its terminal states
    /// output (`None` if no path ends normally).
    fn run_scope(&mut self, scope: ScopeId, entry: Shape, trail: Vec<StateId>) -> Option<Shape> {
        if let Some(cached) = self.scope_cache.get(&scope).and_then(|c| {
            c.iter()
                .find(|(e, _)| *e == entry)
                .map(|(_, out)| out.clone())
        }) {
            return Some(cached);
        }
        let start = self.machine.scope(scope).start_at.as_ref()?.target?;
        let mut inbox: HashMap<StateId, Vec<Shape>> = HashMap::new();
        let mut queue = VecDeque::new();
        inbox.insert(start, vec![entry.clone()]);
        queue.push_back((
            start,
            Variant {
                shape: entry.clone(),
                trail,
            },
        ));
        let mut output: Option<Shape> = None;
        while let Some((id, variant)) = queue.pop_front() {
            self.steps += 1;
            if self.steps > MAX_STEPS {
                break;
            }
            for (target, shape) in self.transfer(id, &variant) {
                let shape = widen(shape, MAX_SHAPE_DEPTH);
                let Some(target) = target else {
                    output = Some(match output {
                        Some(o) => o.join(&shape),
                        None => shape,
                    });
                    continue;
                };
                let mut trail = variant.trail.clone();
                trail.push(id);
                let seen = inbox.entry(target).or_default();
                if seen.contains(&shape) {
                    continue;
                }
                if seen.len() < MAX_VARIANTS {
                    seen.push(shape.clone());
                    queue.push_back((target, Variant { shape, trail }));
                } else if let Some(last) = seen.last_mut() {
                    let joined = last.join(&shape);
                    if joined != *last {
                        *last = joined.clone();
                        queue.push_back((
                            target,
                            Variant {
                                shape: joined,
                                trail,
                            },
                        ));
                    }
                }
            }
        }
        if let Some(out) = &output {
            self.scope_cache
                .entry(scope)
                .or_default()
                .push((entry, out.clone()));
        }
        output
    }

    /// Applies one state to one input shape: where it can go next, with what.
    fn transfer(&mut self, id: StateId, variant: &Variant) -> Vec<(Option<StateId>, Shape)> {
        let machine = self.machine;
        let state = machine.state(id);
        let raw = &variant.shape;
        let trail = &variant.trail;
        let mut out = Vec::new();
        if state.query_language == QueryLanguage::Jsonata {
            return self.transfer_jsonata(id, variant);
        }
        let context = self.context_for(state);
        let input = self.input_path(state, raw, &context, trail);
        let eval = Eval {
            input: &input,
            context: &context,
            trail,
            guards: &[],
        };
        let result = match &state.kind {
            StateKind::Pass(pass) => Some(match (&state.io.parameters, &pass.result) {
                (Some(p), _) => self.payload(&p.root, eval),
                (None, Some(result)) => shape_of_json(
                    result,
                    &machine.location(&push(&state.pointer, "Result"), result.span),
                ),
                (None, None) => input.clone(),
            }),
            StateKind::Task(task) => Some(self.task(id, state, task, eval)),
            StateKind::Parallel(parallel) => {
                let branch_input = match &state.io.parameters {
                    Some(p) => self.payload(&p.root, eval),
                    None => input.clone(),
                };
                let mut trail_in = trail.clone();
                trail_in.push(id);
                let outputs: Vec<Shape> = parallel
                    .branches
                    .iter()
                    .filter_map(|b| self.run_scope(*b, branch_input.clone(), trail_in.clone()))
                    .collect();
                let joined = outputs.into_iter().reduce(|a, b| a.join(&b));
                Some(Shape::Array(Box::new(joined.unwrap_or(Shape::Any))))
            }
            StateKind::Map(map) => Some(self.map(id, state, map, eval)),
            StateKind::Choice(choice) => {
                // Rules are evaluated in order: rule k is reached by what made every earlier
                // rule false, and its Next by what also made it true; Default by what made
                // them all false. Outcomes that are impossible for this shape lead nowhere.
                let mut remaining = Some(input.clone());
                for rule in &choice.choices {
                    let Some(reaching) = remaining.take() else {
                        break;
                    };
                    let mut guards = Vec::new();
                    collect_guards(&rule.condition, &mut guards);
                    let guarded = Eval {
                        input: &reaching,
                        guards: &guards,
                        ..eval
                    };
                    self.condition_reads(&rule.condition, guarded);
                    if let Some(next) = &rule.next {
                        if let Some(matched) = narrow::narrow(&reaching, &rule.condition, true) {
                            let o = self.output_path(state, &matched, &context, trail);
                            out.push((next.target, o));
                        }
                    }
                    remaining = narrow::narrow(&reaching, &rule.condition, false);
                }
                match (&choice.default, &remaining) {
                    (Some(default), Some(unmatched)) => {
                        let o = self.output_path(state, unmatched, &context, trail);
                        out.push((default.target, o));
                    }
                    (Some(_), None) => {}
                    (None, _) => {
                        // No rule matches only what got past them all; none of it when they test
                        // every value a variable can hold.
                        let covered =
                            remaining.is_none() || narrow::rules_cover(&input, &choice.choices);
                        self.choices_covered
                            .entry(id)
                            .and_modify(|c| *c &= covered)
                            .or_insert(covered);
                    }
                }
                return out;
            }
            StateKind::Wait(wait) => {
                match wait {
                    WaitState::Seconds(Seconds::Path(p)) | WaitState::TimestampPath(p) => {
                        self.read(p, eval);
                    }
                    _ => {}
                }
                None
            }
            StateKind::Succeed => None,
            StateKind::Fail(fail) => {
                for source in [&fail.error, &fail.cause].into_iter().flatten() {
                    match source {
                        ErrorSource::Path(p) => {
                            self.read(p, eval);
                        }
                        ErrorSource::Intrinsic(call) => {
                            self.intrinsic(&call.value, &call.pointer, call.span.start, eval);
                        }
                        ErrorSource::Literal(_) => {}
                    }
                }
                return out;
            }
        };
        let effective = match result {
            // Pass, Task, Parallel, Map: the result goes through ResultSelector and ResultPath.
            Some(result) => {
                let selected = match &state.io.result_selector {
                    Some(rs) => self.payload(
                        &rs.root,
                        Eval {
                            input: &result,
                            ..eval
                        },
                    ),
                    None => result,
                };
                self.result_path(state, state.io.result_path.as_ref(), raw, selected, trail)
            }
            None => input.clone(),
        };
        let output = self.output_path(state, &effective, &context, trail);
        if let Some(next) = &state.next {
            out.push((next.target, output.clone()));
        }
        if state.is_terminal() {
            out.push((None, output));
        }
        for catcher in state.catchers() {
            let error = closed_object([("Error", Shape::String), ("Cause", Shape::String)]);
            let caught = self.result_path(state, catcher.result_path.as_ref(), raw, error, trail);
            out.push((catcher.next.target, caught));
        }
        out
    }

    /// [`Flow::transfer`] for a JSONata state: `Arguments` is what a Task or the Parallel
    /// branches receive; `Output` (with `$states.result`) and a catcher's `Output` (with
    /// `$states.errorOutput`) are typed where [`jsonata::template_shape`] understands them.
    fn transfer_jsonata(
        &mut self,
        id: StateId,
        variant: &Variant,
    ) -> Vec<(Option<StateId>, Shape)> {
        let machine = self.machine;
        let state = machine.state(id);
        let input = &variant.shape;
        let trail = &variant.trail;
        let shape_at = |json: &crate::json::Json, pointer: String, states: StatesShapes<'_>| {
            jsonata::template_shape(json, states, &machine.location(&pointer, json.span))
        };
        let context = self.context_for(state);
        let arguments_pointer = push(&state.pointer, "Arguments");
        let arguments = state.io.arguments.as_ref().map(|json| Arguments {
            json,
            pointer: &arguments_pointer,
        });
        let sent = arguments.map(|a| {
            shape_at(
                a.json,
                arguments_pointer.clone(),
                StatesShapes::input(input).with_context(&context),
            )
        });
        let eval = Eval {
            input,
            context: &context,
            trail,
            guards: &[],
        };
        let mut trail_in = trail.clone();
        trail_in.push(id);
        let mut out = Vec::new();
        let result = match &state.kind {
            StateKind::Task(task) => Some(self.task_with(id, state, task, eval, sent, arguments)),
            StateKind::Parallel(parallel) => {
                let branch_input = sent.unwrap_or_else(|| input.clone());
                let outputs: Vec<Shape> = parallel
                    .branches
                    .iter()
                    .filter_map(|b| self.run_scope(*b, branch_input.clone(), trail_in.clone()))
                    .collect();
                let joined = outputs.into_iter().reduce(|a, b| a.join(&b));
                Some(Shape::Array(Box::new(joined.unwrap_or(Shape::Any))))
            }
            StateKind::Map(map) => {
                let items = match &map.items {
                    Some(json) => shape_at(
                        json,
                        push(&state.pointer, "Items"),
                        StatesShapes::input(input).with_context(&context),
                    ),
                    None => input.clone(),
                };
                let item = match items {
                    Shape::Array(item) => *item,
                    _ => Shape::Any,
                };
                // The selector reads the item through `$states.context`, which is not typed.
                let entry = match &map.item_selector {
                    Some(selector) => shape_at(
                        &selector.json,
                        selector.pointer.clone(),
                        StatesShapes::input(input).with_context(&context),
                    ),
                    None => item,
                };
                let out = self.run_scope(map.iterator, entry, trail_in);
                Some(Shape::Array(Box::new(out.unwrap_or(Shape::Any))))
            }
            StateKind::Choice(choice) => {
                for rule in &choice.choices {
                    if let Some(next) = &rule.next {
                        let output = match (&rule.output, &state.io.output) {
                            (Some(json), _) => shape_at(
                                json,
                                push(&rule.pointer, "Output"),
                                StatesShapes::input(input).with_context(&context),
                            ),
                            (None, Some(json)) => shape_at(
                                json,
                                push(&state.pointer, "Output"),
                                StatesShapes::input(input).with_context(&context),
                            ),
                            (None, None) => input.clone(),
                        };
                        out.push((next.target, output));
                    }
                }
                if let Some(default) = &choice.default {
                    let output = match &state.io.output {
                        Some(json) => shape_at(
                            json,
                            push(&state.pointer, "Output"),
                            StatesShapes::input(input).with_context(&context),
                        ),
                        None => input.clone(),
                    };
                    out.push((default.target, output));
                }
                return out;
            }
            StateKind::Fail(_) => return out,
            StateKind::Pass(_) | StateKind::Wait(_) | StateKind::Succeed => None,
        };
        let output = match &state.io.output {
            Some(json) => shape_at(
                json,
                push(&state.pointer, "Output"),
                StatesShapes {
                    input,
                    result: result.as_ref(),
                    error_output: false,
                    context: Some(&context),
                },
            ),
            // Without Output: the result where the state has one, else its input.
            None => result.unwrap_or_else(|| input.clone()),
        };
        if let Some(next) = &state.next {
            out.push((next.target, output.clone()));
        }
        if state.is_terminal() {
            out.push((None, output));
        }
        for catcher in state.catchers() {
            let caught = match &catcher.output {
                Some(json) => shape_at(
                    json,
                    push(&catcher.pointer, "Output"),
                    StatesShapes {
                        input,
                        result: None,
                        error_output: true,
                        context: Some(&context),
                    },
                ),
                None => jsonata::error_output_shape(),
            };
            out.push((catcher.next.target, caught));
        }
        out
    }

    /// The context object as this state sees it (`$$.Task.Token` only where a token exists).
    fn context_for(&self, state: &State) -> Shape {
        let waits = matches!(
            &state.kind,
            StateKind::Task(TaskState {
                resource: Spanned {
                    value: Resource::SqsSendMessage {
                        wait_for_task_token: true
                    } | Resource::SnsPublish {
                        wait_for_task_token: true
                    } | Resource::Lambda {
                        invocation: LambdaInvocation::InvokeWaitForTaskToken,
                        ..
                    },
                    ..
                },
                ..
            })
        ) || matches!(&state.kind, StateKind::Task(t) if matches!(&t.resource.value, Resource::Opaque(r) if r.ends_with(".waitForTaskToken")));
        if !waits {
            return self.context.clone();
        }
        let mut context = self.context.clone();
        if let Shape::Object(o) = &mut context {
            o.properties.insert(
                "Task".into(),
                Property::new(closed_object([("Token", Shape::String)]), true),
            );
        }
        context
    }

    fn task(&mut self, id: StateId, state: &State, task: &TaskState, eval: Eval<'_>) -> Shape {
        let params = state
            .io
            .parameters
            .as_ref()
            .map(|p| self.payload(&p.root, eval));
        let arguments = state.io.parameters.as_ref().map(|p| Arguments {
            json: &p.json,
            pointer: &p.pointer,
        });
        self.task_with(id, state, task, eval, params, arguments)
    }

    /// A Task given its evaluated `Parameters`/`Arguments` (`None`: it sends its input).
    fn task_with(
        &mut self,
        id: StateId,
        state: &State,
        task: &TaskState,
        eval: Eval<'_>,
        params: Option<Shape>,
        arguments: Option<Arguments<'_>>,
    ) -> Shape {
        match &task.resource.value {
            Resource::Lambda {
                function,
                invocation,
            } => {
                let Some(f) = self.workflow.functions.get(function) else {
                    return Shape::Any;
                };
                let payload = match invocation {
                    LambdaInvocation::Arn { .. } | LambdaInvocation::Placeholder(_) => {
                        Some(params.unwrap_or_else(|| eval.input.clone()))
                    }
                    // lambda:invoke sends `Payload` (the whole input when it is left out).
                    LambdaInvocation::Invoke | LambdaInvocation::InvokeWaitForTaskToken => {
                        match &params {
                            Some(Shape::Object(o)) => {
                                o.properties.get("Payload").map(|p| p.shape.clone())
                            }
                            Some(_) => None,
                            None => Some(eval.input.clone()),
                        }
                    }
                };
                if let Some(payload) = payload {
                    let sent = match (invocation, arguments) {
                        (
                            LambdaInvocation::Invoke | LambdaInvocation::InvokeWaitForTaskToken,
                            Some(arguments),
                        ) => SentValue::Field {
                            name: "Payload",
                            arguments,
                        },
                        (_, Some(arguments)) => SentValue::Parameters(arguments),
                        (_, None) => SentValue::State,
                    };
                    let mut mismatches = Vec::new();
                    compat::check(&payload, &f.input.shape, &mut mismatches);
                    for m in mismatches {
                        self.report_input_mismatch(
                            state,
                            function,
                            &f.input.file,
                            &m,
                            eval.trail,
                            sent,
                        );
                    }
                }
                match invocation {
                    LambdaInvocation::Invoke => closed_object([
                        ("ExecutedVersion", Shape::String),
                        ("Payload", f.output.shape.clone()),
                        ("SdkHttpMetadata", Shape::Any),
                        ("SdkResponseMetadata", Shape::Any),
                        ("StatusCode", Shape::Integer),
                    ]),
                    LambdaInvocation::InvokeWaitForTaskToken => Shape::Any,
                    _ => f.output.shape.clone(),
                }
            }
            Resource::SqsSendMessage {
                wait_for_task_token,
            } => {
                if !wait_for_task_token {
                    let mut o = ObjectShape::open();
                    o = o.with("MessageId", Property::new(Shape::String, true));
                    o = o.with("MD5OfMessageBody", Property::new(Shape::String, true));
                    return Shape::Object(o);
                }
                let Some(worker) = self.workflow.worker_of(id) else {
                    return Shape::Any;
                };
                let body = match &params {
                    Some(Shape::Object(o)) => {
                        o.properties.get("MessageBody").map(|p| p.shape.clone())
                    }
                    _ => None,
                };
                if let (Some(body), Some(arguments)) = (body, arguments) {
                    let sent = SentValue::Field {
                        name: "MessageBody",
                        arguments,
                    };
                    let mut mismatches = Vec::new();
                    compat::check(&body, &worker.input.shape, &mut mismatches);
                    for m in mismatches {
                        self.report_input_mismatch(
                            state,
                            &worker.name,
                            &worker.input.file,
                            &m,
                            eval.trail,
                            sent,
                        );
                    }
                }
                worker.output.shape.clone()
            }
            Resource::SnsPublish {
                wait_for_task_token: true,
            } => Shape::Any,
            Resource::SnsPublish { .. } => Shape::Object(
                ObjectShape::open().with("MessageId", Property::new(Shape::String, true)),
            ),
            Resource::Opaque(_) => Shape::Any,
        }
    }

    fn map(&mut self, id: StateId, state: &State, map: &MapState, eval: Eval<'_>) -> Shape {
        let items = match &map.items_path {
            Some(p) => self.read(p, eval),
            None => eval.input.clone(),
        };
        let item = match &items {
            Shape::Array(item) => (**item).clone(),
            _ => Shape::Any,
        };
        let entry = match map.item_selector.as_ref().or(state.io.parameters.as_ref()) {
            Some(selector) => {
                let mut context = eval.context.clone();
                if let Shape::Object(o) = &mut context {
                    o.properties.insert(
                        "Map".into(),
                        Property::new(
                            closed_object([(
                                "Item",
                                closed_object([("Index", Shape::Integer), ("Value", item.clone())]),
                            )]),
                            true,
                        ),
                    );
                }
                self.payload(
                    &selector.root,
                    Eval {
                        context: &context,
                        ..eval
                    },
                )
            }
            None => item,
        };
        let mut trail = eval.trail.to_vec();
        trail.push(id);
        let out = self.run_scope(map.iterator, entry, trail);
        Shape::Array(Box::new(out.unwrap_or(Shape::Any)))
    }

    fn input_path(
        &mut self,
        state: &State,
        raw: &Shape,
        context: &Shape,
        trail: &[StateId],
    ) -> Shape {
        match &state.io.input_path {
            None => raw.clone(),
            Some(NullablePath::Null(_)) => Shape::Object(ObjectShape::closed()),
            Some(NullablePath::Path(p)) => self.read(
                p,
                Eval {
                    input: raw,
                    context,
                    trail,
                    guards: &[],
                },
            ),
        }
    }

    fn output_path(
        &mut self,
        state: &State,
        effective: &Shape,
        context: &Shape,
        trail: &[StateId],
    ) -> Shape {
        match &state.io.output_path {
            None => effective.clone(),
            Some(NullablePath::Null(_)) => Shape::Object(ObjectShape::closed()),
            Some(NullablePath::Path(p)) => self.read(
                p,
                Eval {
                    input: effective,
                    context,
                    trail,
                    guards: &[],
                },
            ),
        }
    }

    /// ResultPath (of a state or a catcher): where `result` goes in `raw`.
    fn result_path(
        &mut self,
        state: &State,
        path: Option<&NullablePath>,
        raw: &Shape,
        result: Shape,
        trail: &[StateId],
    ) -> Shape {
        let p = match path {
            None => return result,
            Some(NullablePath::Null(_)) => return raw.clone(),
            Some(NullablePath::Path(p)) => p,
        };
        let Some(fields) = p.value.field_names() else {
            return Shape::Any;
        };
        let location = p.location(&self.machine.file);
        match set(raw, &fields, result, &location) {
            Ok(shape) => shape,
            Err(failure) => {
                let key = (
                    Code::ResultPathMatchFailure,
                    p.pointer.clone(),
                    String::new(),
                );
                if self.reported.insert(key) {
                    self.diagnostics.push(
                        Diagnostic::new(
                            Code::ResultPathMatchFailure,
                            format!(
                                "state \"{}\" writes its result to {}, but on path {} {} is {}, not an object",
                                state.name.value,
                                p.value,
                                self.trail_text(trail),
                                failure.prefix,
                                failure.holder
                            ),
                        )
                        .at(location)
                        .label("the execution would fail with States.ResultPathMatchFailure")
                        .help("write the result somewhere else, or move what is there"),
                    );
                }
                Shape::Any
            }
        }
    }

    /// Evaluates a payload template to the shape it produces, recording every path it reads.
    fn payload(&mut self, node: &PayloadNode, eval: Eval<'_>) -> Shape {
        match node {
            PayloadNode::Literal(json) => {
                shape_of_json(json, &self.machine.location("", json.span))
            }
            PayloadNode::Object(members) => {
                let mut object = ObjectShape::closed();
                for (key, value) in members {
                    let shape = self.payload(value, eval);
                    object.properties.insert(
                        key.value.clone(),
                        Property::new(shape, true)
                            .with_origin(Some(key.location(&self.machine.file))),
                    );
                }
                Shape::Object(object)
            }
            PayloadNode::Array(items) => {
                let joined = items
                    .iter()
                    .map(|i| self.payload(i, eval))
                    .reduce(|a, b| a.join(&b));
                Shape::Array(Box::new(joined.unwrap_or(Shape::Any)))
            }
            PayloadNode::Path(p) => self.read(p, eval),
            PayloadNode::Intrinsic(call) => {
                self.intrinsic(&call.value, &call.pointer, call.span.start, eval)
            }
        }
    }

    fn intrinsic(
        &mut self,
        call: &IntrinsicCall,
        pointer: &str,
        start: u32,
        eval: Eval<'_>,
    ) -> Shape {
        for arg in &call.args {
            match arg {
                IntrinsicArg::Path { path, offset } => {
                    let span = crate::json::Span::new(start as usize, start as usize + 1);
                    let spanned = Spanned {
                        value: path.clone(),
                        span,
                        pointer: pointer.to_string(),
                    };
                    self.read_keyed(
                        &spanned,
                        eval,
                        (pointer.to_string(), start + 1 + *offset as u32),
                    );
                }
                IntrinsicArg::Call(inner) => {
                    self.intrinsic(inner, pointer, start, eval);
                }
                _ => {}
            }
        }
        call.function.result_shape()
    }

    fn condition_reads(&mut self, condition: &Condition, eval: Eval<'_>) {
        match condition {
            Condition::And(rules) | Condition::Or(rules) => {
                for r in rules {
                    self.condition_reads(&r.condition, eval);
                }
            }
            Condition::Not(rule) => self.condition_reads(&rule.condition, eval),
            Condition::Compare {
                variable,
                operator,
                operand,
            } => {
                let is_presence_test = operator.value == ComparisonOperator::IsPresent;
                let guarded = Eval {
                    guards: if is_presence_test { &[] } else { eval.guards },
                    ..eval
                };
                if is_presence_test {
                    // IsPresent is how a workflow asks; it is never itself a bad read.
                    self.read_guarded(variable, eval);
                } else {
                    self.read(variable, guarded);
                }
                if let Operand::Path(p) = operand {
                    self.read(p, guarded);
                }
            }
            Condition::Jsonata(_) | Condition::Invalid => {}
        }
    }

    fn read(&mut self, path: &Spanned<Path>, eval: Eval<'_>) -> Shape {
        let key = (path.pointer.clone(), path.span.start);
        self.read_keyed(path, eval, key)
    }

    fn read_guarded(&mut self, path: &Spanned<Path>, eval: Eval<'_>) -> Shape {
        let key = (path.pointer.clone(), path.span.start);
        let shape = self.read_keyed(path, eval, key.clone());
        if let Some(r) = self.reads.get_mut(&key) {
            r.guarded = true;
            r.found = true;
        }
        shape
    }

    /// Looks a path up in the state's input/context and records what it found.
    fn read_keyed(&mut self, path: &Spanned<Path>, eval: Eval<'_>, key: (String, u32)) -> Shape {
        let (shape, root) = match &path.value.root {
            PathRoot::Input => (eval.input, "$"),
            PathRoot::Context => (eval.context, "$$"),
            // Variables are not typed yet.
            PathRoot::Variable(_) => return Shape::Any,
        };
        let result = lookup(shape, &path.value.segments, root);
        let guarded = narrow::input_fields(&path.value).is_some_and(|fields| {
            eval.guards
                .iter()
                .any(|g| fields.len() >= g.len() && fields[..g.len()] == g[..])
        });
        let location = path.location(&self.machine.file);
        if !self.reads.contains_key(&key) {
            self.read_order.push(key.clone());
        }
        let record = self.reads.entry(key).or_insert_with(|| ReadRecord {
            location,
            text: path.value.to_string(),
            found: false,
            absent: None,
            uncertain: None,
            guarded: false,
            in_payload: None,
        });
        record.guarded |= guarded;
        match &result {
            Lookup::Found { certain, .. } => {
                record.found = true;
                if !certain && record.uncertain.is_none() {
                    record.uncertain = Some(eval.trail.to_vec());
                }
            }
            Lookup::Unknown => record.found = true,
            Lookup::Absent {
                prefix,
                holder,
                origin,
            } => {
                if record.in_payload.is_none() {
                    record.in_payload = in_payload(shape, &path.value);
                }
                if record.absent.is_none() {
                    record.absent = Some((
                        eval.trail.to_vec(),
                        prefix.clone(),
                        holder.clone(),
                        origin.clone(),
                    ));
                }
            }
        }
        result.shape_or_any()
    }

    #[allow(clippy::too_many_arguments)]
    fn report_input_mismatch(
        &mut self,
        state: &State,
        function: &str,
        schema_file: &std::sync::Arc<crate::source::SourceFile>,
        m: &compat::Mismatch,
        trail: &[StateId],
        sent: SentValue<'_>,
    ) {
        let code = match (sent, &m.kind) {
            (
                SentValue::Field {
                    name: "MessageBody",
                    ..
                },
                _,
            ) => Code::TaskTokenBodyMismatch,
            (_, compat::MismatchKind::Missing { .. }) => Code::MissingInputProperty,
            (_, _) => Code::InputTypeMismatch,
        };
        let dedupe = (code, state.pointer.clone(), m.path.clone());
        if !self.reported.insert(dedupe) {
            return;
        }
        let (subject, value_name) = match sent {
            SentValue::Field {
                name: "MessageBody",
                ..
            } => (
                format!(
                    "state \"{}\" sends a MessageBody to {function}, whose input",
                    state.name.value
                ),
                "the MessageBody",
            ),
            SentValue::Field { name, .. } => (
                format!(
                    "state \"{}\" calls {function}, whose input",
                    state.name.value
                ),
                if name == "Payload" {
                    "the Payload"
                } else {
                    "the value"
                },
            ),
            SentValue::Parameters(arguments) => (
                format!(
                    "state \"{}\" calls {function}, whose input",
                    state.name.value
                ),
                if arguments.field_name() == "Arguments" {
                    "the Arguments"
                } else {
                    "the Parameters"
                },
            ),
            SentValue::State => (
                format!(
                    "state \"{}\" calls {function}, whose input",
                    state.name.value
                ),
                "the state",
            ),
        };
        // The states that led here (not this one), as in "on path a → b the state has …".
        let path_text = if trail.is_empty() {
            "at the start of the execution".to_owned()
        } else {
            format!("on path {}", self.trail_text(trail))
        };
        // Also in the one-line formats, which show no related snippets: where the value's shape
        // comes from.
        let origin = match &m.holder_origin {
            Some(origin) => format!(" ({origin})"),
            None => String::new(),
        };
        let message = match &m.kind {
            compat::MismatchKind::Missing { expected, maybe } => format!(
                "{subject} requires {} ({expected}); {path_text} {}{}{origin}",
                m.path,
                if *maybe { "it may be absent: " } else { "" },
                m.found_text(value_name),
            ),
            compat::MismatchKind::WrongType { expected, found } => format!(
                "{subject} requires {} to be {expected}; {path_text} it is {found}{origin}",
                m.path
            ),
            // The last two arise only between two schemas (`check --against`), never here.
            compat::MismatchKind::NotAllowed
            | compat::MismatchKind::ValuesNotAllowed { .. }
            | compat::MismatchKind::Closed => format!(
                "{subject} does not allow {}; {path_text} it is present{origin}",
                m.path
            ),
        };
        let file = &self.machine.file;
        let primary = match (sent, &state.kind) {
            (SentValue::Field { name, arguments }, _) => match arguments.json.member(name) {
                Some(member) => Location::new(
                    file,
                    crate::json::push_pointer(arguments.pointer, &member.key),
                    member.key_span,
                ),
                None => Location::new(file, arguments.pointer, arguments.json.span),
            },
            (SentValue::Parameters(arguments), _) => {
                Location::new(file, arguments.pointer, arguments.json.span)
            }
            (_, StateKind::Task(t)) => t.resource.location(file),
            _ => state.name.location(file),
        };
        let label = match sent {
            SentValue::Field {
                name: "MessageBody",
                ..
            } => format!("{function} receives this message"),
            _ => format!("{function} is invoked here"),
        };
        let mut d = Diagnostic::new(code, message).at(primary).label(label);
        if let Some(origin) = &m.requirement_origin {
            d = d.related(origin.clone(), format!("{} is required here", m.path));
        } else {
            d = d.note(format!(
                "{function}'s input schema: {}",
                schema_file.path().display()
            ));
        }
        if let Some(origin) = &m.holder_origin {
            d = d.related(origin.clone(), "the value on that path comes from here");
        }
        // A lambda:invoke result sent where the function's output was meant: the property is in
        // its Payload (a rename to a field of the integration's own, like StatusCode, is wrong).
        let in_payload = match (&m.kind, &m.holder) {
            (compat::MismatchKind::Missing { maybe: false, .. }, Shape::Object(o))
                if is_invoke_result(&m.holder) =>
            {
                let wanted = m.path.rsplit('.').next().unwrap_or(&m.path);
                o.properties
                    .get("Payload")
                    .is_some_and(|payload| {
                        matches!(&payload.shape, Shape::Object(p) if p.properties.contains_key(wanted))
                    })
                    .then(|| wanted.to_owned())
            }
            _ => None,
        };
        let renamed = match (&m.kind, &m.holder) {
            _ if in_payload.is_some() => None,
            (compat::MismatchKind::Missing { maybe: false, .. }, Shape::Object(o)) => {
                let wanted = m.path.rsplit('.').next().unwrap_or(&m.path);
                crate::suggest::closest(wanted, o.properties.keys().map(String::as_str))
                    .map(|close| (wanted.to_owned(), close.to_owned()))
            }
            _ => None,
        };
        // A whole state replaced by a task's result is the usual cause of a missing top-level
        // property: say which task did it.
        if m.holder_path.is_empty() && matches!(m.kind, compat::MismatchKind::Missing { .. }) {
            let replaced_by = trail
                .iter()
                .rev()
                .map(|id| self.machine.state(*id))
                .find(|s| {
                    matches!(s.kind, StateKind::Task(_))
                        && s.query_language == QueryLanguage::JsonPath
                        && s.io.result_path.is_none()
                        && s.io.output_path.is_none()
                });
            if let Some(task) = replaced_by {
                d = d.note(format!(
                    "state \"{}\" has no ResultPath, so its result replaces the whole state; `\"ResultPath\": \"$.<field>\"` keeps the input and adds the result",
                    task.name.value
                ));
            }
        }
        let in_message_body = matches!(
            sent,
            SentValue::Field {
                name: "MessageBody",
                ..
            }
        );
        // A value written in the workflow itself (a literal, a context path) rather than one a
        // schema describes.
        let written_in_asl = m
            .holder_origin
            .as_ref()
            .is_some_and(|o| o.file.path() == self.machine.file.path());
        let jsonata = state.query_language == QueryLanguage::Jsonata;
        let holder_name = if m.holder_path.is_empty() {
            value_name.to_owned()
        } else {
            format!("`{}`", m.holder_path)
        };
        let payload_path = if m.holder_path.is_empty() {
            "Payload".to_owned()
        } else {
            format!("{}.Payload", m.holder_path)
        };
        d = d.help(match (&m.kind, renamed) {
            _ if jsonata && in_payload.is_some() => format!(
                "{holder_name} is a lambda:invoke result, which holds the function's output in `Payload` ({payload_path}.{wanted}): send `{payload_path}` in its place, or reshape the result with the invoking Task's Output (\"{wanted}\": \"{{% $states.result.Payload.{wanted} %}}\")",
                wanted = in_payload.as_deref().unwrap_or_default()
            ),
            _ if in_payload.is_some() => format!(
                "{holder_name} is a lambda:invoke result, which holds the function's output in `Payload` ({payload_path}.{wanted}): send `{payload_path}` in its place, or reshape the result with the invoking Task's ResultSelector (\"{wanted}.$\": \"$.Payload.{wanted}\")",
                wanted = in_payload.as_deref().unwrap_or_default()
            ),
            (_, Some((wanted, close))) if jsonata => format!(
                "{value_name} has `{close}`: if that is what {function} means by `{wanted}`, rename one of them so they agree, or map it in Arguments (\"{wanted}\": \"{{% $states.input.{close} %}}\")"
            ),
            (_, Some((wanted, close))) => format!(
                "{value_name} has `{close}`: if that is what {function} means by `{wanted}`, rename one of them so they agree, or map it with Parameters (\"{wanted}.$\": \"$.{close}\")"
            ),
            (compat::MismatchKind::Missing { .. }, None) if in_message_body => format!(
                "add `{}` to the MessageBody, or make it optional in {function}'s input schema",
                m.path
            ),
            (compat::MismatchKind::Missing { .. }, None) if jsonata => "pass the property (Arguments, or the Output of an earlier state), or make it optional in the input schema".to_owned(),
            (compat::MismatchKind::Missing { .. }, None) => "pass the property (Parameters, ResultPath of an earlier state), or make it optional in the input schema".to_owned(),
            (compat::MismatchKind::WrongType { .. }, None) if written_in_asl => format!(
                "the value is written in the workflow: change it there, or change the type in {function}'s input schema"
            ),
            (compat::MismatchKind::WrongType { .. }, None) => "make the producing schema and the input schema agree on the type".to_owned(),
            (
                compat::MismatchKind::NotAllowed
                | compat::MismatchKind::ValuesNotAllowed { .. }
                | compat::MismatchKind::Closed,
                None,
            ) => "remove it before the call (Parameters/InputPath), or allow additional properties in the input schema".to_owned(),
        });
        self.diagnostics.push(d);
    }

    fn trail_text(&self, trail: &[StateId]) -> String {
        if trail.is_empty() {
            return "(start of the execution)".to_string();
        }
        let skip = trail.len().saturating_sub(TRAIL_SHOWN);
        let mut parts: Vec<&str> = trail[skip..]
            .iter()
            .map(|id| self.machine.state(*id).name.value.as_str())
            .collect();
        if skip > 0 {
            parts.insert(0, "…");
        }
        parts.join(" → ")
    }

    /// W0118 for each Choice state without `Default` whose rules may all be false: one that
    /// JSONata decides, or one reached by a value they do not cover.
    fn choices_without_default(&self, diagnostics: &mut Vec<Diagnostic>) {
        for (index, state) in self.machine.states.iter().enumerate() {
            let StateKind::Choice(choice) = &state.kind else {
                continue;
            };
            if choice.default.is_some() || self.choices_covered.get(&StateId(index)) == Some(&true)
            {
                continue;
            }
            diagnostics.push(
                Diagnostic::new(
                    Code::ChoiceWithoutDefault,
                    format!("Choice state \"{}\" has no `Default`", state.name.value),
                )
                .at(state.name.location(&self.machine.file))
                .note("when no rule matches, the execution fails with States.NoChoiceMatched")
                .help("add `\"Default\": \"<state>\"`, or test every value the variable can hold (each value of a string enum, both booleans)"),
            );
        }
    }

    /// Turns the read records into E0303/E0306/W0304 and hands over all diagnostics.
    fn finish(mut self, diagnostics: &mut Vec<Diagnostic>) {
        self.choices_without_default(diagnostics);
        let workers: Vec<(&str, &Shape, &std::path::Path)> = self
            .workflow
            .functions
            .values()
            .filter(|f| !f.completes_tokens_of.is_empty())
            .map(|f| (f.name.as_str(), &f.output.shape, f.output.file.path()))
            .collect();
        for key in std::mem::take(&mut self.read_order) {
            let Some(record) = self.reads.remove(&key) else {
                continue;
            };
            match (&record.absent, record.found) {
                (Some((trail, prefix, holder, origin)), false) => {
                    // The value read comes from a worker's output: the whole output, or a part
                    // whose shape its output schema defines.
                    let worker = workers
                        .iter()
                        .find(|(_, out, file)| {
                            **out == *holder || origin.as_ref().is_some_and(|o| o.file.path() == *file)
                        })
                        .map(|(n, ..)| *n);
                    let (code, what) = match worker {
                        Some(w) => (Code::WorkerOutputMismatch, format!(" (the output of worker {w})")),
                        None => (Code::PathNeverExists, String::new()),
                    };
                    let label = match holder {
                        Shape::Object(_) | Shape::Union(_) => format!("{prefix} has no such field"),
                        Shape::Array(_) => format!("{prefix} is an array: read an element with [index] first"),
                        scalar => format!("{prefix} is {scalar}, which has no fields"),
                    };
                    let mut d = Diagnostic::new(
                        code,
                        format!(
                            "{} does not exist on any path: {prefix} is {holder}{what}",
                            record.text
                        ),
                    )
                    .at(record.location.clone())
                    .label(label)
                    .note(format!("for example on path {}", self.trail_text(trail)));
                    if let Some(origin) = origin {
                        d = d.related(origin.clone(), format!("{prefix} gets its shape here"));
                    }
                    if let Some(meant) = &record.in_payload {
                        d = d.help(format!("with lambda:invoke the function's output is under `Payload`: did you mean `{meant}`?"));
                    } else if let Shape::Object(o) = holder {
                        let wanted = record.text.rsplit(['.', '[']).next().unwrap_or("");
                        if let Some(h) = crate::suggest::did_you_mean(wanted, o.properties.keys().map(String::as_str)) {
                            d = d.help(h);
                        }
                    }
                    diagnostics.push(d);
                }
                _ if record.guarded => {}
                (Some((trail, prefix, ..)), true) => diagnostics.push(
                    Diagnostic::new(
                        Code::PathMaybeMissing,
                        format!("{} exists only on some paths; on path {} {prefix} has no such field", record.text, self.trail_text(trail)),
                    )
                    .at(record.location.clone())
                    .help("guard it with a Choice rule using IsPresent, or make sure every path sets it"),
                ),
                (None, _) => {
                    if let Some(trail) = &record.uncertain {
                        diagnostics.push(
                            Diagnostic::new(
                                Code::PathMaybeMissing,
                                format!("{} may be absent: on path {} it is optional", record.text, self.trail_text(trail)),
                            )
                            .at(record.location.clone())
                            .help("guard it with a Choice rule using IsPresent, or make it required where it is produced"),
                        );
                    }
                }
            }
        }
        diagnostics.append(&mut self.diagnostics);
    }
}

/// Whether `shape` is what a `lambda:invoke` Task returns (`{ Payload, StatusCode, … }`).
fn is_invoke_result(shape: &Shape) -> bool {
    matches!(shape, Shape::Object(o)
        if ["Payload", "StatusCode", "ExecutedVersion"].iter().all(|k| o.properties.contains_key(*k)))
}

/// `path` with `Payload` inserted right after a lambda:invoke result it goes through, when the
/// path then finds something in `shape`: `$.result.statusCode` → `$.result.Payload.statusCode`.
fn in_payload(shape: &Shape, path: &Path) -> Option<String> {
    (0..path.segments.len()).find_map(|at| {
        let holder = lookup(shape, &path.segments[..at], "$").shape_or_any();
        if !is_invoke_result(&holder) || path.segments[at] == Segment::Field("Payload".into()) {
            return None;
        }
        let mut segments = path.segments.clone();
        segments.insert(at, Segment::Field("Payload".into()));
        matches!(lookup(shape, &segments, "$"), Lookup::Found { .. }).then(|| {
            Path {
                root: path.root.clone(),
                segments,
            }
            .to_string()
        })
    })
}

fn push(pointer: &str, key: &str) -> String {
    crate::json::push_pointer(pointer, key)
}

/// `IsPresent: true` tests that hold whenever the rule matches (top level or under And).
fn collect_guards(condition: &Condition, out: &mut Vec<Vec<String>>) {
    match condition {
        Condition::Compare {
            variable,
            operator,
            operand,
        } => {
            let is_true = matches!(operand, Operand::Literal(j) if j.as_bool() == Some(true));
            if operator.value == ComparisonOperator::IsPresent && is_true {
                if let Some(fields) = narrow::input_fields(&variable.value) {
                    out.push(fields);
                }
            }
        }
        Condition::And(rules) => {
            for r in rules {
                collect_guards(&r.condition, out);
            }
        }
        _ => {}
    }
}

/// Cuts shapes deeper than `depth` to `any`.
fn widen(shape: Shape, depth: usize) -> Shape {
    if shape.depth() <= depth {
        return shape;
    }
    cut(shape, depth)
}

fn cut(shape: Shape, depth: usize) -> Shape {
    if depth == 0 {
        return Shape::Any;
    }
    match shape {
        Shape::Array(item) => Shape::Array(Box::new(cut(*item, depth - 1))),
        Shape::Object(mut o) => {
            for p in o.properties.values_mut() {
                p.shape = cut(std::mem::replace(&mut p.shape, Shape::Any), depth - 1);
            }
            if let Additional::Open(extra) = &mut o.additional {
                **extra = cut(std::mem::replace(&mut **extra, Shape::Any), depth - 1);
            }
            Shape::Object(o)
        }
        Shape::Union(items) => Shape::Union(items.into_iter().map(|i| cut(i, depth)).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests;
