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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StateId(pub usize);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScopeId(pub usize);

/// A value together with the bytes and JSON pointer it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
    pub pointer: String,
}

impl<T> Spanned<T> {
    pub fn location(&self, file: &Arc<SourceFile>) -> Location {
        Location::new(file, self.pointer.clone(), self.span)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueryLanguage {
    #[default]
    JsonPath,
    Jsonata,
}

impl QueryLanguage {
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
    pub file: Arc<SourceFile>,
    pub comment: Option<String>,
    pub version: Option<String>,
    pub timeout_seconds: Option<u64>,
    pub query_language: QueryLanguage,
    /// `scopes[0]` is the top level.
    pub scopes: Vec<Scope>,
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

    pub fn top(&self) -> &Scope {
        &self.scopes[0]
    }

    pub fn scope(&self, id: ScopeId) -> &Scope {
        &self.scopes[id.0]
    }

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// `None` when the target does not exist (reported by validation).
    pub target: Option<StateId>,
    pub kind: TransitionKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransitionKind {
    Next,
    Default,
    /// The index of the Choice rule.
    Choice(usize),
    /// The index of the catcher.
    Catch(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeKind {
    TopLevel,
    ParallelBranch { parallel: StateId, index: usize },
    MapIterator { map: StateId },
}

#[derive(Debug, Clone)]
pub struct Scope {
    pub kind: ScopeKind,
    pub start_at: Option<Target>,
    pub states: Vec<StateId>,
    /// Names of states that were too broken to model (already reported); transitions to them
    /// are not reported again.
    pub broken: Vec<String>,
    /// The JSON pointer of the object holding `StartAt` and `States`.
    pub pointer: String,
}

/// A named transition target, resolved to a state of the same scope when it exists.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub name: Spanned<String>,
    pub target: Option<StateId>,
}

#[derive(Debug, Clone)]
pub struct State {
    pub name: Spanned<String>,
    pub scope: ScopeId,
    /// The JSON pointer of the state object, e.g. `/States/checkInventory`.
    pub pointer: String,
    pub span: Span,
    pub comment: Option<String>,
    /// The effective query language (the state's own, else the machine's).
    pub query_language: QueryLanguage,
    pub next: Option<Target>,
    pub end: bool,
    pub io: InputOutput,
    /// `Assign` (both query languages), kept as written.
    pub assign: Option<Json>,
    /// A JSONPath state's `Assign`, read as a payload template (`"name.$"` members evaluated).
    pub assign_template: Option<PayloadTemplate>,
    pub kind: StateKind,
}

impl State {
    pub fn type_name(&self) -> &'static str {
        self.kind.type_name()
    }

    pub fn retriers(&self) -> &[Retrier] {
        match &self.kind {
            StateKind::Task(t) => &t.errors.retry,
            StateKind::Parallel(p) => &p.errors.retry,
            StateKind::Map(m) => &m.errors.retry,
            _ => &[],
        }
    }

    pub fn catchers(&self) -> &[Catcher] {
        match &self.kind {
            StateKind::Task(t) => &t.errors.catch,
            StateKind::Parallel(p) => &p.errors.catch,
            StateKind::Map(m) => &m.errors.catch,
            _ => &[],
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
    pub input_path: Option<NullablePath>,
    pub parameters: Option<PayloadTemplate>,
    pub result_selector: Option<PayloadTemplate>,
    pub result_path: Option<NullablePath>,
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
    Null(Span),
    Path(Spanned<Path>),
}

/// `Parameters`, `ResultSelector`, `ItemSelector`: JSON where `"key.$"` members are evaluated.
#[derive(Debug, Clone)]
pub struct PayloadTemplate {
    pub json: Json,
    pub pointer: String,
    pub root: PayloadNode,
}

#[derive(Debug, Clone)]
pub enum PayloadNode {
    /// A constant value, copied as is.
    Literal(Json),
    /// An object; member names have `.$` stripped where the value is evaluated.
    Object(Vec<(Spanned<String>, PayloadNode)>),
    Array(Vec<PayloadNode>),
    /// `"key.$": "$.path"` (also `$$.` context and `$var` variable paths).
    Path(Spanned<Path>),
    /// `"key.$": "States.Format(...)"`.
    Intrinsic(Spanned<IntrinsicCall>),
}

#[derive(Debug, Clone)]
pub enum StateKind {
    Task(TaskState),
    Pass(PassState),
    Choice(ChoiceState),
    Wait(WaitState),
    Succeed,
    Fail(FailState),
    Parallel(ParallelState),
    Map(MapState),
}

impl StateKind {
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
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
}

#[derive(Debug, Clone)]
pub struct Retrier {
    pub error_equals: Vec<Spanned<String>>,
    pub interval_seconds: u64,
    pub max_attempts: u64,
    pub backoff_rate: f64,
    pub max_delay_seconds: Option<u64>,
    pub jitter: JitterStrategy,
    pub pointer: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JitterStrategy {
    #[default]
    None,
    Full,
}

#[derive(Debug, Clone)]
pub struct Catcher {
    pub error_equals: Vec<Spanned<String>>,
    pub next: Target,
    pub result_path: Option<NullablePath>,
    /// JSONata `Output`.
    pub output: Option<Json>,
    pub assign: Option<Json>,
    /// A JSONPath catcher's `Assign`, read as a payload template.
    pub assign_template: Option<PayloadTemplate>,
    pub pointer: String,
}

/// A number of seconds, given directly, through a path, or as a JSONata expression.
#[derive(Debug, Clone)]
pub enum Seconds {
    Value(u64),
    Path(Spanned<Path>),
    Jsonata(Spanned<String>),
}

#[derive(Debug, Clone)]
pub struct TaskState {
    pub resource: Spanned<Resource>,
    pub timeout_seconds: Option<Seconds>,
    pub heartbeat_seconds: Option<Seconds>,
    pub credentials: Option<Json>,
    pub errors: ErrorHandling,
}

/// What a Task state does, as far as orderflow understands it.
#[derive(Debug, Clone, PartialEq)]
pub enum Resource {
    /// A Lambda function of this workflow.
    Lambda {
        function: String,
        invocation: LambdaInvocation,
    },
    /// `arn:aws:states:::sqs:sendMessage[.waitForTaskToken]`.
    SqsSendMessage { wait_for_task_token: bool },
    /// `arn:aws:states:::sns:publish[.waitForTaskToken]`.
    SnsPublish { wait_for_task_token: bool },
    /// Anything else: allowed, not type-checked.
    Opaque(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LambdaInvocation {
    /// `arn:aws:lambda:…:function:NAME[:ALIAS]`: the function's output is the result.
    Arn { qualifier: Option<String> },
    /// `${Placeholder}` substituted at deploy time (SAM DefinitionSubstitutions).
    Placeholder(String),
    /// `arn:aws:states:::lambda:invoke`: the result is wrapped as `{Payload, StatusCode, …}`.
    Invoke,
    /// `arn:aws:states:::lambda:invoke.waitForTaskToken`: the result is what the callback sends.
    InvokeWaitForTaskToken,
}

#[derive(Debug, Clone)]
pub struct PassState {
    pub result: Option<Json>,
}

#[derive(Debug, Clone)]
pub struct ChoiceState {
    pub choices: Vec<ChoiceRule>,
    pub default: Option<Target>,
}

/// A top-level Choice rule (with `Next`) or a nested one (inside And/Or/Not).
#[derive(Debug, Clone)]
pub struct ChoiceRule {
    pub condition: Condition,
    pub next: Option<Target>,
    pub assign: Option<Json>,
    /// A JSONPath rule's `Assign`, read as a payload template.
    pub assign_template: Option<PayloadTemplate>,
    pub output: Option<Json>,
    pub pointer: String,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum Condition {
    And(Vec<ChoiceRule>),
    Or(Vec<ChoiceRule>),
    Not(Box<ChoiceRule>),
    Compare {
        variable: Spanned<Path>,
        operator: Spanned<ComparisonOperator>,
        operand: Operand,
    },
    /// JSONata `Condition`.
    Jsonata(Spanned<String>),
    /// A rule too broken to model (reported by validation).
    Invalid,
}

#[derive(Debug, Clone)]
pub enum Operand {
    Literal(Json),
    Path(Spanned<Path>),
}

macro_rules! operators {
    ($($variant:ident = $name:literal : $kind:ident,)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ComparisonOperator { $($variant,)* }

        impl ComparisonOperator {
            pub const ALL: &'static [ComparisonOperator] = &[$(ComparisonOperator::$variant,)*];

            pub fn name(self) -> &'static str {
                match self { $(ComparisonOperator::$variant => $name,)* }
            }

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
    String,
    Number,
    Boolean,
    Timestamp,
    /// A reference path to compare against.
    Path,
    /// `true` or `false`, for the type tests (IsPresent, IsNull, …).
    TypeTest,
}

operators! {
    StringEquals = "StringEquals": String,
    StringEqualsPath = "StringEqualsPath": Path,
    StringLessThan = "StringLessThan": String,
    StringLessThanPath = "StringLessThanPath": Path,
    StringGreaterThan = "StringGreaterThan": String,
    StringGreaterThanPath = "StringGreaterThanPath": Path,
    StringLessThanEquals = "StringLessThanEquals": String,
    StringLessThanEqualsPath = "StringLessThanEqualsPath": Path,
    StringGreaterThanEquals = "StringGreaterThanEquals": String,
    StringGreaterThanEqualsPath = "StringGreaterThanEqualsPath": Path,
    StringMatches = "StringMatches": String,
    NumericEquals = "NumericEquals": Number,
    NumericEqualsPath = "NumericEqualsPath": Path,
    NumericLessThan = "NumericLessThan": Number,
    NumericLessThanPath = "NumericLessThanPath": Path,
    NumericGreaterThan = "NumericGreaterThan": Number,
    NumericGreaterThanPath = "NumericGreaterThanPath": Path,
    NumericLessThanEquals = "NumericLessThanEquals": Number,
    NumericLessThanEqualsPath = "NumericLessThanEqualsPath": Path,
    NumericGreaterThanEquals = "NumericGreaterThanEquals": Number,
    NumericGreaterThanEqualsPath = "NumericGreaterThanEqualsPath": Path,
    BooleanEquals = "BooleanEquals": Boolean,
    BooleanEqualsPath = "BooleanEqualsPath": Path,
    TimestampEquals = "TimestampEquals": Timestamp,
    TimestampEqualsPath = "TimestampEqualsPath": Path,
    TimestampLessThan = "TimestampLessThan": Timestamp,
    TimestampLessThanPath = "TimestampLessThanPath": Path,
    TimestampGreaterThan = "TimestampGreaterThan": Timestamp,
    TimestampGreaterThanPath = "TimestampGreaterThanPath": Path,
    TimestampLessThanEquals = "TimestampLessThanEquals": Timestamp,
    TimestampLessThanEqualsPath = "TimestampLessThanEqualsPath": Path,
    TimestampGreaterThanEquals = "TimestampGreaterThanEquals": Timestamp,
    TimestampGreaterThanEqualsPath = "TimestampGreaterThanEqualsPath": Path,
    IsNull = "IsNull": TypeTest,
    IsPresent = "IsPresent": TypeTest,
    IsNumeric = "IsNumeric": TypeTest,
    IsString = "IsString": TypeTest,
    IsBoolean = "IsBoolean": TypeTest,
    IsTimestamp = "IsTimestamp": TypeTest,
}

#[derive(Debug, Clone)]
pub enum WaitState {
    Seconds(Seconds),
    Timestamp(Spanned<String>),
    TimestampPath(Spanned<Path>),
    /// Broken (reported by validation).
    Invalid,
}

#[derive(Debug, Clone, Default)]
pub struct FailState {
    pub error: Option<ErrorSource>,
    pub cause: Option<ErrorSource>,
}

#[derive(Debug, Clone)]
pub enum ErrorSource {
    Literal(Spanned<String>),
    Path(Spanned<Path>),
    Intrinsic(Spanned<IntrinsicCall>),
}

#[derive(Debug, Clone)]
pub struct ParallelState {
    pub branches: Vec<ScopeId>,
    pub errors: ErrorHandling,
}

#[derive(Debug, Clone)]
pub struct MapState {
    pub iterator: ScopeId,
    pub mode: MapMode,
    pub items_path: Option<Spanned<Path>>,
    /// JSONata `Items`, or a JSON array given inline.
    pub items: Option<Json>,
    pub item_selector: Option<PayloadTemplate>,
    pub max_concurrency: Option<u64>,
    pub item_reader: Option<Json>,
    /// Fields only an execution reads (boxed: most Map states have none of them).
    pub run: Box<MapRunFields>,
    pub result_writer: Option<Json>,
    pub item_batcher: Option<Json>,
    pub errors: ErrorHandling,
}

/// The Map fields that only matter when the state runs.
#[derive(Debug, Clone, Default)]
pub struct MapRunFields {
    pub max_concurrency_path: Option<Spanned<Path>>,
    pub tolerated_failure_count: Option<u64>,
    pub tolerated_failure_count_path: Option<Spanned<Path>>,
    pub tolerated_failure_percentage: Option<f64>,
    pub tolerated_failure_percentage_path: Option<Spanned<Path>>,
    /// What the executor needs of `ItemReader` (JSONPath states).
    pub reader: Option<ItemReader>,
}

/// A Map state's `ItemReader`: the resource that lists the items and its limits.
#[derive(Debug, Clone)]
pub struct ItemReader {
    pub resource: String,
    pub parameters: Option<PayloadTemplate>,
    /// `ReaderConfig.MaxItems`.
    pub max_items: Option<u64>,
    /// `ReaderConfig.MaxItemsPath`.
    pub max_items_path: Option<Spanned<Path>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MapMode {
    #[default]
    Inline,
    Distributed,
}
