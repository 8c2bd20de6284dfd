//! The typed ASL model. Every node keeps where it came from, so later stages can point at it.
//!
//! States of all scopes (top level, Parallel branches, Map iterators) live in one arena and are
//! addressed by [`StateId`]; a [`Scope`] lists its states and its `StartAt`.

use std::collections::HashMap;
use std::sync::Arc;

use crate::asl::intrinsic::IntrinsicCall;
use crate::asl::path::Path;
use crate::diagnostic::Location;
use crate::json::{Json, Span};
use crate::source::SourceFile;

/// The index of a state in [`StateMachine::states`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StateId(pub usize);

/// The index of a scope in [`StateMachine::scopes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScopeId(pub usize);

/// A value together with the bytes and JSON pointer it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    /// The value read.
    pub value: T,
    /// The bytes of the definition the value was read from (for a member's name, the key's bytes).
    pub span: Span,
    /// The JSON pointer of the value, e.g. `/States/checkInventory/Next`.
    pub pointer: String,
}

impl<T> Spanned<T> {
    /// Where the value is in `file`, for a diagnostic.
    pub fn location(&self, file: &Arc<SourceFile>) -> Location {
        Location::new(file, self.pointer.clone(), self.span)
    }
}

/// The `QueryLanguage` a state's fields are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueryLanguage {
    /// `JSONPath` (the ASL default): `.$` keys, reference paths and intrinsic functions.
    #[default]
    JsonPath,
    /// `JSONata`: `{% … %}` expressions, `Arguments` and `Output`.
    Jsonata,
}

impl QueryLanguage {
    /// The name as written in ASL: `"JSONPath"` or `"JSONata"`.
    pub fn as_str(self) -> &'static str {
        match self {
            QueryLanguage::JsonPath => "JSONPath",
            QueryLanguage::Jsonata => "JSONata",
        }
    }
}

/// The whole state machine.
#[derive(Debug, Clone)]
pub struct StateMachine {
    /// The definition file; every span of the model points into it.
    pub file: Arc<SourceFile>,
    /// The top-level `Comment`.
    pub comment: Option<String>,
    /// The top-level `Version` as written (e.g. `"1.0"`).
    pub version: Option<String>,
    /// The top-level `TimeoutSeconds`: how long an execution may run, in seconds.
    pub timeout_seconds: Option<u64>,
    /// The top-level `QueryLanguage` (`JSONPath` when absent), the default of every state.
    pub query_language: QueryLanguage,
    /// `scopes[0]` is the top level.
    pub scopes: Vec<Scope>,
    /// The states of every scope, indexed by [`StateId`].
    pub states: Vec<State>,
    by_name: HashMap<String, StateId>,
}

impl StateMachine {
    pub(crate) fn new(file: Arc<SourceFile>) -> Self {
        StateMachine {
            file,
            comment: None,
            version: None,
            timeout_seconds: None,
            query_language: QueryLanguage::JsonPath,
            scopes: Vec::new(),
            states: Vec::new(),
            by_name: HashMap::new(),
        }
    }

    /// The top-level scope: the machine's own `StartAt` and `States`.
    pub fn top(&self) -> &Scope {
        &self.scopes[0]
    }

    /// The scope with this id, which must be of this machine (else this may panic).
    pub fn scope(&self, id: ScopeId) -> &Scope {
        &self.scopes[id.0]
    }

    /// The state with this id, which must be of this machine (else this may panic).
    pub fn state(&self, id: StateId) -> &State {
        &self.states[id.0]
    }

    /// The first state with this name, in any scope.
    pub fn state_named(&self, name: &str) -> Option<StateId> {
        self.by_name.get(name).copied()
    }

    pub(crate) fn push_state(&mut self, state: State) -> StateId {
        let id = StateId(self.states.len());
        self.by_name.entry(state.name.value.clone()).or_insert(id);
        self.states.push(state);
        id
    }

    /// A location in this machine's definition file, for a diagnostic.
    pub fn location(&self, pointer: &str, span: Span) -> Location {
        Location::new(&self.file, pointer, span)
    }

    /// The states a state can move to next (Next, Default, Choice rules, Catch).
    pub fn successors(&self, id: StateId) -> Vec<Transition> {
        let state = self.state(id);
        let mut out = Vec::new();
        if let Some(next) = &state.next {
            out.push(Transition {
                target: next.target,
                kind: TransitionKind::Next,
            });
        }
        match &state.kind {
            StateKind::Choice(choice) => {
                for (i, rule) in choice.choices.iter().enumerate() {
                    if let Some(next) = &rule.next {
                        out.push(Transition {
                            target: next.target,
                            kind: TransitionKind::Choice(i),
                        });
                    }
                }
                if let Some(default) = &choice.default {
                    out.push(Transition {
                        target: default.target,
                        kind: TransitionKind::Default,
                    });
                }
            }
            _ => {
                for (i, catcher) in state.catchers().iter().enumerate() {
                    out.push(Transition {
                        target: catcher.next.target,
                        kind: TransitionKind::Catch(i),
                    });
                }
            }
        }
        out
    }
}

/// One edge of the state graph: a state a state can move to, and the field that says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// `None` when the target does not exist (reported by validation).
    pub target: Option<StateId>,
    /// Which field of the state holds the transition.
    pub kind: TransitionKind,
}

/// The field a [`Transition`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransitionKind {
    /// The state's `Next`.
    Next,
    /// A Choice state's `Default`.
    Default,
    /// The index of the Choice rule.
    Choice(usize),
    /// The index of the catcher.
    Catch(usize),
}

/// What a [`Scope`] is: the state machine itself, a Parallel branch or a Map iterator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeKind {
    /// The state machine's own `States`.
    TopLevel,
    /// One of a Parallel state's `Branches`.
    ParallelBranch {
        /// The Parallel state.
        parallel: StateId,
        /// The branch's index in `Branches`.
        index: usize,
    },
    /// A Map state's `ItemProcessor` (or the older `Iterator`).
    MapIterator {
        /// The Map state.
        map: StateId,
    },
}

/// A group of states that transition only among themselves, entered at its `StartAt`.
#[derive(Debug, Clone)]
pub struct Scope {
    /// Where the scope sits in the machine.
    pub kind: ScopeKind,
    /// `StartAt`; `None` when it is missing or not a string (reported by the parser).
    pub start_at: Option<Target>,
    /// The scope's states, in the order they are written.
    pub states: Vec<StateId>,
    /// Names of states that were too broken to model (already reported); transitions to them
    /// are not reported again.
    pub broken: Vec<String>,
    /// The JSON pointer of the object holding `StartAt` and `States`.
    pub pointer: String,
    /// The bytes of its `States` object in the definition (JSON or YAML), where a change to the
    /// scope's states is shown; empty when it has none.
    pub states_span: crate::json::Span,
}

/// A named transition target, resolved to a state of the same scope when it exists.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The state name as written in `Next`, `Default` or `StartAt`.
    pub name: Spanned<String>,
    /// The named state, set by validation; `None` when the scope has no state of that name.
    pub target: Option<StateId>,
}

/// One state, of any scope, with the fields every state type shares.
#[derive(Debug, Clone)]
pub struct State {
    /// The state's name: its key in `States` (the span is the key's).
    pub name: Spanned<String>,
    /// The scope the state belongs to.
    pub scope: ScopeId,
    /// The JSON pointer of the state object, e.g. `/States/checkInventory`.
    pub pointer: String,
    /// The bytes of the state object.
    pub span: Span,
    /// The state's `Comment`.
    pub comment: Option<String>,
    /// The effective query language (the state's own, else the machine's).
    pub query_language: QueryLanguage,
    /// `Next`: the state that follows; `None` for end states and Choice states.
    pub next: Option<Target>,
    /// `"End": true`: the execution (or branch) ends after this state.
    pub end: bool,
    /// The input and output processing fields (`InputPath`, `Parameters`, `ResultPath`, …).
    pub io: InputOutput,
    /// `Assign` (both query languages), kept as written.
    pub assign: Option<Json>,
    /// A JSONPath state's `Assign`, read as a payload template (`"name.$"` members evaluated).
    pub assign_template: Option<PayloadTemplate>,
    /// The type-specific fields, chosen by `Type`.
    pub kind: StateKind,
}

impl State {
    /// The state's `Type` as written in ASL (`"Task"`, `"Map"`, …).
    pub fn type_name(&self) -> &'static str {
        self.kind.type_name()
    }

    /// The state's `Retry` rules (empty for the types that cannot retry).
    pub fn retriers(&self) -> &[Retrier] {
        match &self.kind {
            StateKind::Task(t) => &t.errors.retry,
            StateKind::Parallel(p) => &p.errors.retry,
            StateKind::Map(m) => &m.errors.retry,
            _ => &[],
        }
    }

    /// The state's `Catch` rules (empty for the types that cannot catch).
    pub fn catchers(&self) -> &[Catcher] {
        match &self.kind {
            StateKind::Task(t) => &t.errors.catch,
            StateKind::Parallel(p) => &p.errors.catch,
            StateKind::Map(m) => &m.errors.catch,
            _ => &[],
        }
    }

    /// The `ErrorEquals` of each `Retry` rule, then of each `Catch` rule, with which of the two
    /// it is (`"Retry"`, `"Catch"`), as messages name them.
    pub fn error_clauses(&self) -> impl Iterator<Item = (&[Spanned<String>], &'static str)> {
        self.retriers()
            .iter()
            .map(|r| (r.error_equals.as_slice(), "Retry"))
            .chain(
                self.catchers()
                    .iter()
                    .map(|c| (c.error_equals.as_slice(), "Catch")),
            )
    }

    /// The Lambda function of this workflow a Task state invokes, if it invokes one.
    pub fn lambda_function(&self) -> Option<&str> {
        match &self.kind {
            StateKind::Task(task) => match &task.resource.value {
                Resource::Lambda { function, .. } => Some(function),
                _ => None,
            },
            _ => None,
        }
    }

    /// Whether the execution (or branch) can end at this state.
    pub fn is_terminal(&self) -> bool {
        self.end || matches!(self.kind, StateKind::Succeed | StateKind::Fail(_))
    }
}

/// The JSONPath input/output processing fields, and their JSONata counterparts.
#[derive(Debug, Clone, Default)]
pub struct InputOutput {
    /// `InputPath`: selects the part of the state input the state works on.
    pub input_path: Option<NullablePath>,
    /// `Parameters`: the template that builds the effective input (the task's arguments).
    pub parameters: Option<PayloadTemplate>,
    /// `ResultSelector`: the template that reshapes the raw result before `ResultPath`.
    pub result_selector: Option<PayloadTemplate>,
    /// `ResultPath`: where the result goes in the state input; `null` discards it.
    pub result_path: Option<NullablePath>,
    /// `OutputPath`: selects the part of the combined output passed to the next state.
    pub output_path: Option<NullablePath>,
    /// JSONata `Arguments`, kept as written.
    pub arguments: Option<Json>,
    /// JSONata `Output`, kept as written.
    pub output: Option<Json>,
}

impl InputOutput {
    /// A Task's arguments as written: `Parameters` in JSONPath, `Arguments` in JSONata.
    pub fn task_arguments(&self) -> Option<&Json> {
        match &self.parameters {
            Some(parameters) => Some(&parameters.json),
            None => self.arguments.as_ref(),
        }
    }
}

/// A path field that may also be `null` (discard / empty object, depending on the field).
#[derive(Debug, Clone)]
pub enum NullablePath {
    /// `null`, at this span.
    Null(Span),
    /// A reference path.
    Path(Spanned<Path>),
}

/// `Parameters`, `ResultSelector`, `ItemSelector`: JSON where `"key.$"` members are evaluated.
#[derive(Debug, Clone)]
pub struct PayloadTemplate {
    /// The template as written.
    pub json: Json,
    /// The JSON pointer of the template, e.g. `/States/checkInventory/Parameters`.
    pub pointer: String,
    /// The template read into literals, paths and intrinsic calls.
    pub root: PayloadNode,
}

/// One node of a [`PayloadTemplate`].
#[derive(Debug, Clone)]
pub enum PayloadNode {
    /// A constant value, copied as is.
    Literal(Json),
    /// An object; member names have `.$` stripped where the value is evaluated.
    Object(Vec<(Spanned<String>, PayloadNode)>),
    /// An array; its elements are read as nodes too.
    Array(Vec<PayloadNode>),
    /// `"key.$": "$.path"` (also `$$.` context and `$var` variable paths).
    Path(Spanned<Path>),
    /// `"key.$": "States.Format(...)"`.
    Intrinsic(Spanned<IntrinsicCall>),
}

/// A state's type, with the fields only that type has.
#[derive(Debug, Clone)]
pub enum StateKind {
    /// `Task`: calls a resource (a Lambda function, an AWS service).
    Task(TaskState),
    /// `Pass`: passes its input on, or a fixed `Result`.
    Pass(PassState),
    /// `Choice`: moves to the first state whose rule matches the input.
    Choice(ChoiceState),
    /// `Wait`: waits for some seconds or until a timestamp.
    Wait(WaitState),
    /// `Succeed`: ends the execution (or branch) successfully.
    Succeed,
    /// `Fail`: ends the execution with an error and a cause.
    Fail(FailState),
    /// `Parallel`: runs its branches on the same input and outputs their results as an array.
    Parallel(ParallelState),
    /// `Map`: runs its iterator once per item of an array.
    Map(MapState),
}

impl StateKind {
    /// The `Type` as written in ASL (`"Task"`, `"Map"`, …).
    pub fn type_name(&self) -> &'static str {
        match self {
            StateKind::Task(_) => "Task",
            StateKind::Pass(_) => "Pass",
            StateKind::Choice(_) => "Choice",
            StateKind::Wait(_) => "Wait",
            StateKind::Succeed => "Succeed",
            StateKind::Fail(_) => "Fail",
            StateKind::Parallel(_) => "Parallel",
            StateKind::Map(_) => "Map",
        }
    }
}

/// Retry and Catch of a Task, Parallel or Map state.
#[derive(Debug, Clone, Default)]
pub struct ErrorHandling {
    /// `Retry`: the retriers, tried in order.
    pub retry: Vec<Retrier>,
    /// `Catch`: the catchers, tried in order once retries are exhausted.
    pub catch: Vec<Catcher>,
}

impl ErrorHandling {
    /// The error names the Retry and Catch clauses match that a function raises itself (not
    /// `States.…`, which Step Functions raises, nor `Lambda.…`, which the Lambda service
    /// raises), in the order written; a name in several clauses comes once per clause.
    pub fn function_errors(&self) -> impl Iterator<Item = &str> {
        self.retry
            .iter()
            .flat_map(|r| &r.error_equals)
            .chain(self.catch.iter().flat_map(|c| &c.error_equals))
            .map(|e| e.value.as_str())
            .filter(|e| is_function_error(e))
    }
}

/// Whether `name` is an error a function raises itself, not one Step Functions (`States.…`)
/// or the Lambda service (`Lambda.…`) names.
pub fn is_function_error(name: &str) -> bool {
    !name.starts_with("States.") && !name.starts_with("Lambda.")
}

/// One `Retry` rule: the errors it retries, and how often and how long apart.
#[derive(Debug, Clone)]
pub struct Retrier {
    /// `ErrorEquals`: the error names the rule matches (`States.ALL` matches any).
    pub error_equals: Vec<Spanned<String>>,
    /// `IntervalSeconds`: the delay before the first retry, in seconds (default 1).
    pub interval_seconds: u64,
    /// `MaxAttempts`: the most retries (default 3; 0 never retries).
    pub max_attempts: u64,
    /// `BackoffRate`: the factor the delay grows by on each retry (default 2.0, at least 1.0).
    pub backoff_rate: f64,
    /// `MaxDelaySeconds`: the cap on the delay, in seconds; `None` for no cap.
    pub max_delay_seconds: Option<u64>,
    /// `JitterStrategy`: whether the delay is randomized.
    pub jitter: JitterStrategy,
    /// The JSON pointer of the retrier, e.g. `/States/checkInventory/Retry/0`.
    pub pointer: String,
}

/// A retrier's `JitterStrategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JitterStrategy {
    /// `"NONE"` (the default): the computed delay as is.
    #[default]
    None,
    /// `"FULL"`: a random delay between 0 and the computed one.
    Full,
}

/// One `Catch` rule: the errors it catches and the state it moves to.
#[derive(Debug, Clone)]
pub struct Catcher {
    /// `ErrorEquals`: the error names the rule matches (`States.ALL` matches any).
    pub error_equals: Vec<Spanned<String>>,
    /// `Next`: the state to move to when the rule matches.
    pub next: Target,
    /// `ResultPath` (JSONPath): where the error output goes in the state input.
    pub result_path: Option<NullablePath>,
    /// JSONata `Output`.
    pub output: Option<Json>,
    /// `Assign` (both query languages), kept as written.
    pub assign: Option<Json>,
    /// A JSONPath catcher's `Assign`, read as a payload template.
    pub assign_template: Option<PayloadTemplate>,
    /// The JSON pointer of the catcher, e.g. `/States/checkInventory/Catch/0`.
    pub pointer: String,
}

/// A number of seconds, given directly, through a path, or as a JSONata expression.
#[derive(Debug, Clone)]
pub enum Seconds {
    /// A number given directly (`Seconds`, `TimeoutSeconds`, `HeartbeatSeconds`).
    Value(u64),
    /// A reference path to the number (`SecondsPath`, `TimeoutSecondsPath`, …).
    Path(Spanned<Path>),
    /// A JSONata expression (`{% … %}`) that yields the number.
    Jsonata(Spanned<String>),
}

/// The fields of a Task state.
#[derive(Debug, Clone)]
pub struct TaskState {
    /// `Resource`, classified by what orderflow understands of it.
    pub resource: Spanned<Resource>,
    /// `TimeoutSeconds` or `TimeoutSecondsPath`: how long the task may run.
    pub timeout_seconds: Option<Seconds>,
    /// `HeartbeatSeconds` or `HeartbeatSecondsPath`: the longest gap between two heartbeats.
    pub heartbeat_seconds: Option<Seconds>,
    /// `Credentials` (the role the task assumes), kept as written.
    pub credentials: Option<Json>,
    /// The state's `Retry` and `Catch`.
    pub errors: ErrorHandling,
}

/// What a Task state does, as far as orderflow understands it.
#[derive(Debug, Clone, PartialEq)]
pub enum Resource {
    /// A Lambda function of this workflow.
    Lambda {
        /// The function's name in the workflow folder (as in `schemas/NAME.input.json`).
        function: String,
        /// How the function is called, which decides the shape of the result.
        invocation: LambdaInvocation,
    },
    /// `arn:aws:states:::sqs:sendMessage[.waitForTaskToken]`.
    SqsSendMessage {
        /// Whether the resource ends in `.waitForTaskToken`: the result is then what the
        /// callback sends.
        wait_for_task_token: bool,
    },
    /// `arn:aws:states:::sns:publish[.waitForTaskToken]`.
    SnsPublish {
        /// Whether the resource ends in `.waitForTaskToken`: the result is then what the
        /// callback sends.
        wait_for_task_token: bool,
    },
    /// Anything else: allowed, not type-checked.
    Opaque(String),
}

/// How a Task state calls a Lambda function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LambdaInvocation {
    /// `arn:aws:lambda:…:function:NAME[:ALIAS]`: the function's output is the result.
    Arn {
        /// The version or alias after the function name, if any.
        qualifier: Option<String>,
    },
    /// `${Placeholder}` substituted at deploy time (SAM DefinitionSubstitutions).
    Placeholder(String),
    /// `arn:aws:states:::lambda:invoke`: the result is wrapped as `{Payload, StatusCode, …}`.
    Invoke,
    /// `arn:aws:states:::lambda:invoke.waitForTaskToken`: the result is what the callback sends.
    InvokeWaitForTaskToken,
}

/// The fields of a Pass state.
#[derive(Debug, Clone)]
pub struct PassState {
    /// `Result`: the fixed value output instead of the input, kept as written.
    pub result: Option<Json>,
}

/// The fields of a Choice state.
#[derive(Debug, Clone)]
pub struct ChoiceState {
    /// `Choices`: the rules, tried in order (a rule too broken to read is reported and left out).
    pub choices: Vec<ChoiceRule>,
    /// `Default`: the state to move to when no rule matches.
    pub default: Option<Target>,
}

/// A top-level Choice rule (with `Next`) or a nested one (inside And/Or/Not).
#[derive(Debug, Clone)]
pub struct ChoiceRule {
    /// What the rule tests.
    pub condition: Condition,
    /// `Next`: only top-level rules have one.
    pub next: Option<Target>,
    /// `Assign` (top-level rules), kept as written.
    pub assign: Option<Json>,
    /// A JSONPath rule's `Assign`, read as a payload template.
    pub assign_template: Option<PayloadTemplate>,
    /// JSONata `Output` (top-level rules), kept as written.
    pub output: Option<Json>,
    /// The JSON pointer of the rule, e.g. `/States/route/Choices/0`.
    pub pointer: String,
    /// The bytes of the rule object.
    pub span: Span,
}

/// What a Choice rule tests.
#[derive(Debug, Clone)]
pub enum Condition {
    /// `And`: every nested rule matches.
    And(Vec<ChoiceRule>),
    /// `Or`: at least one nested rule matches.
    Or(Vec<ChoiceRule>),
    /// `Not`: the nested rule does not match.
    Not(Box<ChoiceRule>),
    /// A JSONPath comparison: `Variable`, one operator and its operand.
    Compare {
        /// `Variable`: the path of the value compared.
        variable: Spanned<Path>,
        /// The operator (the span is its key's).
        operator: Spanned<ComparisonOperator>,
        /// The operator's value.
        operand: Operand,
    },
    /// JSONata `Condition`.
    Jsonata(Spanned<String>),
    /// A rule too broken to model (reported by validation).
    Invalid,
}

/// The value a comparison operator compares with.
#[derive(Debug, Clone)]
pub enum Operand {
    /// A literal (string, number, boolean, timestamp string, or the `true`/`false` of a type test).
    Literal(Json),
    /// A reference path, for the `…Path` operators.
    Path(Spanned<Path>),
}

macro_rules! operators {
    ($($(#[doc = $doc:literal])* $variant:ident = $name:literal : $kind:ident,)*) => {
        /// A JSONPath Choice rule's comparison operator (`StringEquals`, `IsPresent`, …).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ComparisonOperator { $($(#[doc = $doc])* $variant,)* }

        impl ComparisonOperator {
            /// Every operator, in the order they are declared.
            pub const ALL: &'static [ComparisonOperator] = &[$(ComparisonOperator::$variant,)*];

            /// The operator's key as written in ASL, e.g. `"NumericLessThan"`.
            pub fn name(self) -> &'static str {
                match self { $(ComparisonOperator::$variant => $name,)* }
            }

            /// The operator whose ASL key is `name`, if any.
            pub fn from_name(name: &str) -> Option<Self> {
                match name { $($name => Some(ComparisonOperator::$variant),)* _ => None }
            }

            /// What the operand must be.
            pub fn operand_kind(self) -> OperandKind {
                match self { $(ComparisonOperator::$variant => OperandKind::$kind,)* }
            }
        }
    };
}

/// What a comparison operator's operand must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperandKind {
    /// A string.
    String,
    /// A number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// A string holding an RFC 3339 timestamp.
    Timestamp,
    /// A reference path to compare against.
    Path,
    /// `true` or `false`, for the type tests (IsPresent, IsNull, …).
    TypeTest,
}

operators! {
    /// The string equals the operand.
    StringEquals = "StringEquals": String,
    /// `StringEquals` against the value at the operand's reference path.
    StringEqualsPath = "StringEqualsPath": Path,
    /// The string sorts before the operand.
    StringLessThan = "StringLessThan": String,
    /// `StringLessThan` against the value at the operand's reference path.
    StringLessThanPath = "StringLessThanPath": Path,
    /// The string sorts after the operand.
    StringGreaterThan = "StringGreaterThan": String,
    /// `StringGreaterThan` against the value at the operand's reference path.
    StringGreaterThanPath = "StringGreaterThanPath": Path,
    /// The string sorts before the operand or equals it.
    StringLessThanEquals = "StringLessThanEquals": String,
    /// `StringLessThanEquals` against the value at the operand's reference path.
    StringLessThanEqualsPath = "StringLessThanEqualsPath": Path,
    /// The string sorts after the operand or equals it.
    StringGreaterThanEquals = "StringGreaterThanEquals": String,
    /// `StringGreaterThanEquals` against the value at the operand's reference path.
    StringGreaterThanEqualsPath = "StringGreaterThanEqualsPath": Path,
    /// The string matches the operand pattern: `*` matches any run of characters, `\*` a star.
    StringMatches = "StringMatches": String,
    /// The number equals the operand.
    NumericEquals = "NumericEquals": Number,
    /// `NumericEquals` against the value at the operand's reference path.
    NumericEqualsPath = "NumericEqualsPath": Path,
    /// The number is less than the operand.
    NumericLessThan = "NumericLessThan": Number,
    /// `NumericLessThan` against the value at the operand's reference path.
    NumericLessThanPath = "NumericLessThanPath": Path,
    /// The number is greater than the operand.
    NumericGreaterThan = "NumericGreaterThan": Number,
    /// `NumericGreaterThan` against the value at the operand's reference path.
    NumericGreaterThanPath = "NumericGreaterThanPath": Path,
    /// The number is less than or equal to the operand.
    NumericLessThanEquals = "NumericLessThanEquals": Number,
    /// `NumericLessThanEquals` against the value at the operand's reference path.
    NumericLessThanEqualsPath = "NumericLessThanEqualsPath": Path,
    /// The number is greater than or equal to the operand.
    NumericGreaterThanEquals = "NumericGreaterThanEquals": Number,
    /// `NumericGreaterThanEquals` against the value at the operand's reference path.
    NumericGreaterThanEqualsPath = "NumericGreaterThanEqualsPath": Path,
    /// The boolean equals the operand.
    BooleanEquals = "BooleanEquals": Boolean,
    /// `BooleanEquals` against the value at the operand's reference path.
    BooleanEqualsPath = "BooleanEqualsPath": Path,
    /// The timestamp is the same instant as the operand.
    TimestampEquals = "TimestampEquals": Timestamp,
    /// `TimestampEquals` against the value at the operand's reference path.
    TimestampEqualsPath = "TimestampEqualsPath": Path,
    /// The timestamp is before the operand.
    TimestampLessThan = "TimestampLessThan": Timestamp,
    /// `TimestampLessThan` against the value at the operand's reference path.
    TimestampLessThanPath = "TimestampLessThanPath": Path,
    /// The timestamp is after the operand.
    TimestampGreaterThan = "TimestampGreaterThan": Timestamp,
    /// `TimestampGreaterThan` against the value at the operand's reference path.
    TimestampGreaterThanPath = "TimestampGreaterThanPath": Path,
    /// The timestamp is before the operand or the same instant.
    TimestampLessThanEquals = "TimestampLessThanEquals": Timestamp,
    /// `TimestampLessThanEquals` against the value at the operand's reference path.
    TimestampLessThanEqualsPath = "TimestampLessThanEqualsPath": Path,
    /// The timestamp is after the operand or the same instant.
    TimestampGreaterThanEquals = "TimestampGreaterThanEquals": Timestamp,
    /// `TimestampGreaterThanEquals` against the value at the operand's reference path.
    TimestampGreaterThanEqualsPath = "TimestampGreaterThanEqualsPath": Path,
    /// The value is `null` (operand `true`) or is not (`false`).
    IsNull = "IsNull": TypeTest,
    /// The path selects something in the input (operand `true`) or does not (`false`).
    IsPresent = "IsPresent": TypeTest,
    /// The value is a number (operand `true`) or is not (`false`).
    IsNumeric = "IsNumeric": TypeTest,
    /// The value is a string (operand `true`) or is not (`false`).
    IsString = "IsString": TypeTest,
    /// The value is a boolean (operand `true`) or is not (`false`).
    IsBoolean = "IsBoolean": TypeTest,
    /// The value is an RFC 3339 timestamp string (operand `true`) or is not (`false`).
    IsTimestamp = "IsTimestamp": TypeTest,
}

/// The fields of a Wait state: how long it waits.
#[derive(Debug, Clone)]
pub enum WaitState {
    /// `Seconds` or `SecondsPath`: a delay in seconds.
    Seconds(Seconds),
    /// `Timestamp`: an RFC 3339 timestamp to wait until (in JSONata, possibly an expression).
    Timestamp(Spanned<String>),
    /// `TimestampPath`: the path of the timestamp to wait until.
    TimestampPath(Spanned<Path>),
    /// Broken (reported by validation).
    Invalid,
}

/// The fields of a Fail state.
#[derive(Debug, Clone, Default)]
pub struct FailState {
    /// `Error` or `ErrorPath`: the error name the execution fails with.
    pub error: Option<ErrorSource>,
    /// `Cause` or `CausePath`: the human-readable cause of the failure.
    pub cause: Option<ErrorSource>,
}

/// Where a Fail state's error name or cause comes from.
#[derive(Debug, Clone)]
pub enum ErrorSource {
    /// `Error` or `Cause`: the string given (in JSONata, possibly an expression).
    Literal(Spanned<String>),
    /// `ErrorPath` or `CausePath`: a reference path.
    Path(Spanned<Path>),
    /// `ErrorPath` or `CausePath`: an intrinsic function call.
    Intrinsic(Spanned<IntrinsicCall>),
}

/// The fields of a Parallel state.
#[derive(Debug, Clone)]
pub struct ParallelState {
    /// `Branches`: one scope per branch, in order.
    pub branches: Vec<ScopeId>,
    /// The state's `Retry` and `Catch`.
    pub errors: ErrorHandling,
}

/// The fields of a Map state.
#[derive(Debug, Clone)]
pub struct MapState {
    /// `ItemProcessor` (or the older `Iterator`): the scope run for each item.
    pub iterator: ScopeId,
    /// `ProcessorConfig.Mode`.
    pub mode: MapMode,
    /// `ItemsPath`: the array to iterate over; `None` for the whole effective input.
    pub items_path: Option<Spanned<Path>>,
    /// JSONata `Items`, or a JSON array given inline.
    pub items: Option<Json>,
    /// `ItemSelector`: the template that builds each iteration's input.
    pub item_selector: Option<PayloadTemplate>,
    /// `MaxConcurrency`: how many iterations may run at once (0: no limit); `None` when absent or
    /// a JSONata expression.
    pub max_concurrency: Option<u64>,
    /// `ItemReader` (items read from S3), kept as written.
    pub item_reader: Option<Json>,
    /// Fields only an execution reads (boxed: most Map states have none of them).
    pub run: Box<MapRunFields>,
    /// `ResultWriter` (results written to S3), kept as written.
    pub result_writer: Option<Json>,
    /// `ItemBatcher` (items grouped into batches), kept as written.
    pub item_batcher: Option<Json>,
    /// The state's `Retry` and `Catch`.
    pub errors: ErrorHandling,
}

/// The Map fields that only matter when the state runs.
#[derive(Debug, Clone, Default)]
pub struct MapRunFields {
    /// `MaxConcurrencyPath`: the path of the concurrency limit.
    pub max_concurrency_path: Option<Spanned<Path>>,
    /// `ToleratedFailureCount`: how many items may fail before the Map state fails.
    pub tolerated_failure_count: Option<u64>,
    /// `ToleratedFailureCountPath`: the path of that count.
    pub tolerated_failure_count_path: Option<Spanned<Path>>,
    /// `ToleratedFailurePercentage`: the share of items, 0 to 100, that may fail.
    pub tolerated_failure_percentage: Option<f64>,
    /// `ToleratedFailurePercentagePath`: the path of that share.
    pub tolerated_failure_percentage_path: Option<Spanned<Path>>,
    /// What the executor needs of `ItemReader` (JSONPath states).
    pub reader: Option<ItemReader>,
    /// What the executor needs of `ItemBatcher` (JSONPath states).
    pub batcher: Option<ItemBatcher>,
    /// What the executor needs of `ResultWriter` (JSONPath states).
    pub writer: Option<ResultWriter>,
    /// `ProcessorConfig.ExecutionType: EXPRESS`: a Distributed Map's children are Express
    /// executions (five minutes each, no history limit) rather than Standard ones.
    pub express_children: bool,
}

/// A Map state's `ItemBatcher`: items are handed to iterations in batches.
#[derive(Debug, Clone, Default)]
pub struct ItemBatcher {
    /// `MaxItemsPerBatch`.
    pub max_items_per_batch: Option<u64>,
    /// `MaxItemsPerBatchPath`.
    pub max_items_per_batch_path: Option<Spanned<Path>>,
    /// `MaxInputBytesPerBatch`: the most bytes a batch's input may have.
    pub max_input_bytes_per_batch: Option<u64>,
    /// `MaxInputBytesPerBatchPath`.
    pub max_input_bytes_per_batch_path: Option<Spanned<Path>>,
    /// `BatchInput`: a template whose value every batch carries beside its items.
    pub batch_input: Option<PayloadTemplate>,
}

/// A Map state's `ResultWriter`: the iterations' results go to S3 instead of the state output.
#[derive(Debug, Clone)]
pub struct ResultWriter {
    /// `Resource` (`arn:aws:states:::s3:putObject`).
    pub resource: String,
    /// `Parameters` (`Bucket`, `Prefix`).
    pub parameters: Option<PayloadTemplate>,
}

/// `ItemReader.ReaderConfig`: how an object's content becomes items.
#[derive(Debug, Clone, Default)]
pub struct ReaderConfig {
    /// `InputType`: `CSV`, `JSON`, `JSONL`, `MANIFEST`, … (absent for `listObjectsV2`).
    pub input_type: Option<String>,
    /// `CSVHeaderLocation`: `FIRST_ROW` (the default) or `GIVEN`.
    pub csv_header_location: Option<String>,
    /// `CSVHeaders`, with `CSVHeaderLocation: GIVEN`.
    pub csv_headers: Vec<String>,
    /// `CSVDelimiter`: `COMMA` (the default), `PIPE`, `SEMICOLON`, `SPACE`, `TAB`.
    pub csv_delimiter: Option<String>,
    /// `ManifestType`: `S3_INVENTORY` (the object is an S3 inventory's `manifest.json`) or
    /// `ATHENA_DATA`.
    pub manifest_type: Option<String>,
    /// `ItemsPointer`: a JSON Pointer to the array of items inside a JSON object.
    pub items_pointer: Option<String>,
    /// `Transformation`: `NONE` (the default) or `LOAD_AND_FLATTEN` (a `listObjectsV2` reader
    /// reads each listed object and iterates over its items).
    pub transformation: Option<String>,
}

impl ReaderConfig {
    /// Whether the object read is an S3 inventory's `manifest.json`, whose CSV files hold the
    /// items: `ManifestType: S3_INVENTORY`, or `InputType: MANIFEST` (AWS's pages show both).
    pub fn reads_s3_inventory(&self) -> bool {
        self.manifest_type.as_deref() == Some("S3_INVENTORY")
            || self.input_type.as_deref() == Some("MANIFEST")
    }
}

/// A Map state's `ItemReader`: the resource that lists the items and its limits.
#[derive(Debug, Clone)]
pub struct ItemReader {
    /// `Resource`: the API that lists the items, e.g. `arn:aws:states:::s3:listObjectsV2`.
    pub resource: String,
    /// `Parameters`: the template for the resource's arguments.
    pub parameters: Option<PayloadTemplate>,
    /// `ReaderConfig.MaxItems`.
    pub max_items: Option<u64>,
    /// `ReaderConfig.MaxItemsPath`.
    pub max_items_path: Option<Spanned<Path>>,
    /// The rest of `ReaderConfig`.
    pub config: ReaderConfig,
}

/// A Map state's `ProcessorConfig.Mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MapMode {
    /// `"INLINE"` (the default): the iterations run inside the execution.
    #[default]
    Inline,
    /// `"DISTRIBUTED"`: each iteration runs as a child execution.
    Distributed,
}
