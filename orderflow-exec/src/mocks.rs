//! Mocked Task responses, read from a mock configuration file in the format of AWS Step
//! Functions Local ("mocked service integrations"), so one file serves both tools:
//!
//! ```json
//! {
//!   "StateMachines": {
//!     "checkout": {"TestCases": {"RetryPath": {"Charge Card": "FlakyCharge"}}}
//!   },
//!   "MockedResponses": {
//!     "FlakyCharge": {
//!       "0-1": {"Throw": {"Error": "Lambda.TooManyRequestsException", "Cause": "slow down"}},
//!       "2": {"Return": {"StatusCode": 200, "Payload": {"charged": true}}}
//!     }
//!   }
//! }
//! ```
//!
//! What Step Functions Local does, and so what this module does:
//!
//! - **Invocation numbers.** The keys of a mocked response (`"0"`, `"1-2"`, inclusive ranges)
//!   number the invocations of *that state within one execution*, from 0. One counter per state
//!   per execution, advanced on every invocation: retries count, and so do re-visits (a loop
//!   back to the state, each Map iteration). Sources: the AWS guide, "Configuration file for
//!   mocked service integrations", section MockedResponses
//!   (<https://docs.aws.amazon.com/step-functions/latest/dg/sfn-local-mock-cfg-file.html>);
//!   floci-io/floci#3254, which compares with `amazon/aws-stepfunctions-local` 2.0.0: a Map of
//!   two items over a retried mocked Task gets `["idx1","idx2"]` — the second iteration
//!   continues the first one's count.
//! - **Running out of responses.** The same AWS section: "When you mock a Task, you must
//!   specify a mocked response for every invocation … If you do not specify a mocked response,
//!   the state machine execution will fail." Step Functions Local fails it with
//!   `States.Runtime` when the state is invoked and no key covers the invocation number — past
//!   the last range, or in a gap between ranges (floci-io/floci#2823, verified against
//!   `aws-stepfunctions-local:2.0.0`). `States.Runtime` is never retried nor caught
//!   ([`Failure::is_terminal`](crate::Failure::is_terminal)), so the execution fails. The
//!   last response is *not* repeated. localstack/localstack#13693 reads the same way: one mocked
//!   invocation and two invocations "should have failed".
//! - **`Return` is the service's response**, i.e. the Task's result before `ResultSelector`,
//!   `ResultPath` and `OutputPath`: for `arn:aws:states:::lambda:invoke` the Invoke API
//!   response `{"StatusCode": 200, "Payload": …}` (the guide's own example), for a Lambda
//!   function ARN (or `${…}` placeholder) the function's output itself. `Throw` is
//!   `{"Error": string, "Cause": string}`, both required by the guide.
//! - **States without a mock.** Step Functions Local calls the real service for a Task state
//!   the test case does not name. Here there is no real service: [`MockInvoker`] fails such a
//!   state with `States.Runtime`, naming the state and the test case, unless another binding
//!   asks first ([`MockInvoker::respond`] returns `None` for it).
//!
//! Stricter than Step Functions Local, so mistakes surface when the file is read rather than
//! mid-execution: every mocked response is checked, used or not, and so are ranges (`"2-1"`,
//! overlaps), duplicate keys, unknown fields and references to responses that do not exist.
//! Errors name the file, the JSON pointer, the line and column and what was expected.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use futures::future::BoxFuture;
use serde_json::Value;

use crate::task::{TaskError, TaskInvoker, TaskRequest, describe_resource};
use orderflow_model::asl::error_names::names;
use orderflow_model::diagnostic::{Diagnostic, Location};
use orderflow_model::json::{
    self, Json, Member, MemberProblem, Span, member_problems, push_pointer,
};
use orderflow_model::source::SourceFile;

const STATE_MACHINES: &str = "StateMachines";
const MOCKED_RESPONSES: &str = "MockedResponses";
const TEST_CASES: &str = "TestCases";
const RETURN: &str = "Return";
const THROW: &str = "Throw";

/// A problem with a mock configuration: where (file, JSON pointer, line:column) and what was
/// expected there.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", self.rendered())]
pub struct MockConfigError {
    /// `None` only when there is no place to point at.
    pub location: Option<Location>,
    /// What is wrong.
    pub message: String,
    /// How to fix it, when there is a likely fix.
    pub help: Option<String>,
}

impl MockConfigError {
    fn at(location: Location, message: impl Into<String>) -> Self {
        MockConfigError {
            location: Some(location),
            message: message.into(),
            help: None,
        }
    }

    /// `file:line:col: message [pointer]`, then `help: …` on its own line.
    fn rendered(&self) -> String {
        let mut out = match &self.location {
            Some(location) => {
                let pointer = if location.pointer.is_empty() {
                    "(root)"
                } else {
                    &location.pointer
                };
                format!("{location}: {} [{pointer}]", self.message)
            }
            None => self.message.clone(),
        };
        if let Some(help) = &self.help {
            out.push_str("\n  help: ");
            out.push_str(help);
        }
        out
    }

    /// Replaces the help line (callers know better how their users choose a test case).
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// A diagnostic of the model's readers (invalid JSON), with its place, message and help.
impl From<Diagnostic> for MockConfigError {
    fn from(diagnostic: Diagnostic) -> Self {
        MockConfigError {
            location: diagnostic.location,
            message: diagnostic.message,
            help: diagnostic.help,
        }
    }
}

/// What one invocation of a mocked Task does.
#[derive(Debug, Clone, PartialEq)]
pub enum MockOutcome {
    /// The Task's result, as the service returns it (before `ResultSelector`).
    Return(Value),
    /// The Task fails with this error and cause.
    Throw(TaskError),
}

/// One key of a mocked response: the invocations `first..=last` and what they do.
#[derive(Debug, Clone, PartialEq)]
struct ResponseEntry {
    first: u64,
    last: u64,
    /// The key as written (`"1-2"`), for messages.
    key: String,
    outcome: MockOutcome,
}

/// A named entry of `MockedResponses`: outcomes by invocation number.
#[derive(Debug, Clone, PartialEq)]
pub struct MockedResponse {
    name: String,
    /// Sorted by `first`; never overlapping.
    entries: Vec<ResponseEntry>,
}

impl MockedResponse {
    /// The entry's name in `MockedResponses`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The outcome of invocation `invocation` (0 is the first), or `None` when no key covers it.
    pub fn outcome(&self, invocation: u64) -> Option<&MockOutcome> {
        let index = self.entries.partition_point(|e| e.last < invocation);
        self.entries
            .get(index)
            .filter(|e| e.first <= invocation)
            .map(|e| &e.outcome)
    }

    /// The keys, in invocation order, as written: `"0", "1-2"`.
    fn keys(&self) -> String {
        if self.entries.is_empty() {
            return "none".into();
        }
        self.entries
            .iter()
            .map(|e| format!("\"{}\"", e.key))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A state a test case mocks.
#[derive(Debug, Clone)]
struct MockedState {
    state_name: String,
    /// Where the test case names the state (its key).
    location: Location,
    response: Arc<MockedResponse>,
}

#[derive(Debug, Clone)]
struct TestCaseEntry {
    name: String,
    states: Vec<MockedState>,
}

#[derive(Debug, Clone)]
struct StateMachineEntry {
    name: String,
    /// The `TestCases` object, for errors about test cases it lacks.
    test_cases_location: Location,
    test_cases: Vec<TestCaseEntry>,
}

/// A mock configuration file, checked.
#[derive(Debug, Clone)]
pub struct MockConfig {
    /// The `StateMachines` object, for errors about state machines it lacks.
    state_machines_location: Location,
    state_machines: Vec<StateMachineEntry>,
}

impl MockConfig {
    /// Reads a mock configuration. `file` is how messages name it.
    ///
    /// # Errors
    ///
    /// The first problem found, in JSON syntax or in the structure: unknown or duplicate
    /// fields, an invocation key that is not `N` or `N-M` with N ≤ M, overlapping ranges, an
    /// entry with neither or both of `Return` and `Throw`, a `Throw` without string `Error` and
    /// `Cause`, a test case naming a response `MockedResponses` does not define.
    pub fn parse(text: &str, file: &str) -> Result<MockConfig, MockConfigError> {
        let source = SourceFile::new(file, text);
        let root = json::parse(source.text())
            .map_err(|e| MockConfigError::from(Diagnostic::json_syntax(&source, e)))?;
        Reader { file: &source }.config(&root)
    }

    /// The state machines' names, in file order.
    pub fn state_machines(&self) -> impl Iterator<Item = &str> {
        self.state_machines.iter().map(|m| m.name.as_str())
    }

    /// The test case `test_case` of `state_machine` (which may be left out when the file
    /// describes exactly one state machine).
    ///
    /// # Errors
    ///
    /// No such state machine or test case (the message lists those there are), or no state
    /// machine named while the file has several.
    pub fn test_case(
        &self,
        state_machine: Option<&str>,
        test_case: &str,
    ) -> Result<MockTestCase, MockConfigError> {
        let machine = match state_machine {
            Some(name) => self
                .state_machines
                .iter()
                .find(|m| m.name == name)
                .ok_or_else(|| {
                    self.selection_error(
                        format!("the mock configuration has no state machine `{name}`"),
                        name,
                    )
                })?,
            None => match self.state_machines.as_slice() {
                [only] => only,
                [] => {
                    return Err(MockConfigError::at(
                        self.state_machines_location.clone(),
                        "the mock configuration describes no state machine: `StateMachines` is empty",
                    ));
                }
                _ => {
                    return Err(MockConfigError::at(
                        self.state_machines_location.clone(),
                        format!(
                            "the mock configuration describes {} state machines ({}): name the one to run",
                            self.state_machines.len(),
                            quoted_list(self.state_machines())
                        ),
                    ));
                }
            },
        };
        let case = machine
            .test_cases
            .iter()
            .find(|c| c.name == test_case)
            .ok_or_else(|| {
                let names = machine.test_cases.iter().map(|c| c.name.as_str());
                let mut error = MockConfigError::at(
                    machine.test_cases_location.clone(),
                    format!(
                        "state machine `{}` has no test case `{test_case}`; it has: {}",
                        machine.name,
                        quoted_list(names.clone())
                    ),
                );
                if let Some(hint) = orderflow_model::diagnostic::did_you_mean(test_case, names) {
                    error = error.with_help(hint);
                }
                error
            })?;
        let index = case
            .states
            .iter()
            .enumerate()
            .map(|(i, s)| (s.state_name.clone(), i))
            .collect();
        Ok(MockTestCase {
            data: Arc::new(TestCaseData {
                state_machine: machine.name.clone(),
                name: case.name.clone(),
                states: case.states.clone(),
                index,
            }),
        })
    }

    fn selection_error(&self, message: String, name: &str) -> MockConfigError {
        let mut error = MockConfigError::at(
            self.state_machines_location.clone(),
            format!("{message}; it has: {}", quoted_list(self.state_machines())),
        );
        if let Some(hint) = orderflow_model::diagnostic::did_you_mean(name, self.state_machines()) {
            error = error.with_help(hint);
        }
        error
    }
}

fn quoted_list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<String> = names.map(|n| format!("`{n}`")).collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

#[derive(Debug)]
struct TestCaseData {
    state_machine: String,
    name: String,
    states: Vec<MockedState>,
    /// State name → position in `states`.
    index: HashMap<String, usize>,
}

/// One test case of a mock configuration: which mocked response each Task state uses. Cheap to
/// clone; hand each execution a fresh [`MockTestCase::invoker`].
#[derive(Debug, Clone)]
pub struct MockTestCase {
    data: Arc<TestCaseData>,
}

impl MockTestCase {
    /// The test case's name.
    pub fn name(&self) -> &str {
        &self.data.name
    }

    /// The state machine the test case belongs to, as named in `StateMachines`.
    pub fn state_machine(&self) -> &str {
        &self.data.state_machine
    }

    /// The states the test case mocks, each with where the file names it (to warn about states
    /// the state machine does not have).
    pub fn mocked_states(&self) -> impl Iterator<Item = (&str, &Location)> {
        self.data
            .states
            .iter()
            .map(|s| (s.state_name.as_str(), &s.location))
    }

    /// The mocked response the test case gives `state_name`, if any (inspecting it counts no
    /// invocation).
    pub fn mocked_response(&self, state_name: &str) -> Option<&MockedResponse> {
        let position = *self.data.index.get(state_name)?;
        self.data.states.get(position).map(|s| s.response.as_ref())
    }

    /// A binding for one execution: invocation counters start at 0.
    pub fn invoker(&self) -> MockInvoker {
        MockInvoker {
            data: Arc::clone(&self.data),
            invocations: Mutex::new(vec![0; self.data.states.len()]),
        }
    }
}

/// Answers Task states from a test case's mocked responses, counting each state's invocations
/// over one execution. Use one per execution.
#[derive(Debug)]
pub struct MockInvoker {
    data: Arc<TestCaseData>,
    /// Invocations so far, by position in `data.states`.
    invocations: Mutex<Vec<u64>>,
}

impl MockInvoker {
    /// The mocked outcome of the next invocation of `state_name`, counting it; `None` when the
    /// test case does not mock the state (another binding may handle it).
    ///
    /// An invocation no key covers is `Some(Err(States.Runtime))`, as in Step Functions Local.
    pub fn respond(&self, state_name: &str) -> Option<Result<Value, TaskError>> {
        let position = *self.data.index.get(state_name)?;
        let state = self.data.states.get(position)?;
        let invocation = {
            // A poisoned lock only means another thread panicked mid-count; the counts stand.
            let mut invocations = self
                .invocations
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let slot = invocations.get_mut(position)?;
            let n = *slot;
            *slot = n.saturating_add(1);
            n
        };
        let response = &state.response;
        Some(match response.outcome(invocation) {
            Some(MockOutcome::Return(value)) => Ok(value.clone()),
            Some(MockOutcome::Throw(error)) => Err(error.clone()),
            None => Err(TaskError::new(
                names::RUNTIME,
                format!(
                    "the Task state '{state_name}' was invoked {} times, but the mocked response '{}' (test case '{}') has no entry for invocation {invocation} (keys: {}); Step Functions Local fails the execution when a mocked Task runs out of responses",
                    invocation.saturating_add(1),
                    response.name,
                    self.data.name,
                    response.keys(),
                ),
            )),
        })
    }

    fn unmocked(&self, request: &TaskRequest<'_>) -> TaskError {
        let mocked = self.data.states.iter().map(|s| s.state_name.as_str());
        TaskError::new(
            names::RUNTIME,
            format!(
                "the Task state '{}' ({}) has no binding: test case '{}' of state machine '{}' mocks no response for it (it mocks: {})",
                request.state_name,
                describe_resource(request.resource),
                self.data.name,
                self.data.state_machine,
                quoted_list(mocked),
            ),
        )
    }
}

impl TaskInvoker for MockInvoker {
    fn invoke<'a>(&'a self, request: TaskRequest<'a>) -> BoxFuture<'a, Result<Value, TaskError>> {
        let outcome = self
            .respond(request.state_name)
            .unwrap_or_else(|| Err(self.unmocked(&request)));
        Box::pin(std::future::ready(outcome))
    }
}

/// Reads the checked model out of the JSON tree.
struct Reader<'f> {
    file: &'f Arc<SourceFile>,
}

impl Reader<'_> {
    fn location(&self, pointer: &str, span: Span) -> Location {
        Location::new(self.file, pointer, span)
    }

    /// The members of an object read strictly (the model's rule, as for definitions): each key
    /// once and, with `allowed`, only those keys; the first problem is the error.
    fn object<'j>(
        &self,
        json: &'j Json,
        pointer: &str,
        expected: &str,
        allowed: Option<&[&str]>,
    ) -> Result<&'j [Member], MockConfigError> {
        let Some(members) = json.as_object() else {
            return Err(MockConfigError::at(
                self.location(pointer, json.span),
                format!("expected {expected}, found {}", json.type_name()),
            ));
        };
        match member_problems(members, allowed).first() {
            None => Ok(members),
            Some(MemberProblem::Duplicate { member, first }) => {
                let (line, column) = self.file.line_col(first.key_span.start);
                Err(MockConfigError::at(
                    self.location(&push_pointer(pointer, &member.key), member.key_span),
                    format!(
                        "duplicate key `{}` (first at line {line}, column {column}): keys must be unique, JSON readers keep only one of them",
                        member.key
                    ),
                ))
            }
            Some(MemberProblem::Unknown { member }) => {
                Err(self.unknown_field(member, pointer, allowed.unwrap_or_default()))
            }
        }
    }

    fn unknown_field(&self, member: &Member, pointer: &str, allowed: &[&str]) -> MockConfigError {
        let mut error = MockConfigError::at(
            self.location(&push_pointer(pointer, &member.key), member.key_span),
            format!(
                "unknown field `{}`: expected {}",
                member.key,
                allowed
                    .iter()
                    .map(|a| format!("`{a}`"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
        );
        if let Some(hint) =
            orderflow_model::diagnostic::did_you_mean(&member.key, allowed.iter().copied())
        {
            error = error.with_help(hint);
        }
        error
    }

    fn config(&self, root: &Json) -> Result<MockConfig, MockConfigError> {
        self.object(
            root,
            "",
            "an object with `StateMachines` and `MockedResponses`",
            Some(&[STATE_MACHINES, MOCKED_RESPONSES]),
        )?;
        let responses_pointer = push_pointer("", MOCKED_RESPONSES);
        let responses = match root.member(MOCKED_RESPONSES) {
            Some(m) => self.responses(&m.value, &responses_pointer)?,
            None => HashMap::new(),
        };
        let Some(machines) = root.member(STATE_MACHINES) else {
            return Err(MockConfigError::at(
                self.location("", root.span),
                "missing `StateMachines`: expected an object of state machines, each with `TestCases`",
            ));
        };
        let pointer = push_pointer("", STATE_MACHINES);
        let mut state_machines = Vec::new();
        for machine in self.object(
            &machines.value,
            &pointer,
            "an object of state machines by name",
            None,
        )? {
            state_machines.push(self.state_machine(
                machine,
                &push_pointer(&pointer, &machine.key),
                &responses,
            )?);
        }
        Ok(MockConfig {
            state_machines_location: self.location(&pointer, machines.key_span),
            state_machines,
        })
    }

    fn state_machine(
        &self,
        machine: &Member,
        pointer: &str,
        responses: &HashMap<String, Arc<MockedResponse>>,
    ) -> Result<StateMachineEntry, MockConfigError> {
        self.object(
            &machine.value,
            pointer,
            "an object with `TestCases`",
            Some(&[TEST_CASES]),
        )?;
        let Some(cases) = machine.value.member(TEST_CASES) else {
            return Err(MockConfigError::at(
                self.location(pointer, machine.value.span),
                format!(
                    "state machine `{}` has no `TestCases`: expected an object of test cases by name",
                    machine.key
                ),
            ));
        };
        let cases_pointer = push_pointer(pointer, TEST_CASES);
        let mut test_cases = Vec::new();
        for case in self.object(
            &cases.value,
            &cases_pointer,
            "an object of test cases by name",
            None,
        )? {
            let case_pointer = push_pointer(&cases_pointer, &case.key);
            let mut states = Vec::new();
            for state in self.object(
                &case.value,
                &case_pointer,
                "an object mapping Task state names to mocked response names",
                None,
            )? {
                let state_pointer = push_pointer(&case_pointer, &state.key);
                let Some(response_name) = state.value.as_str() else {
                    return Err(MockConfigError::at(
                        self.location(&state_pointer, state.value.span),
                        format!(
                            "expected the name of an entry of `MockedResponses` (a string), found {}",
                            state.value.type_name()
                        ),
                    ));
                };
                let Some(response) = responses.get(response_name) else {
                    let mut error = MockConfigError::at(
                        self.location(&state_pointer, state.value.span),
                        format!(
                            "test case `{}` mocks state `{}` with `{response_name}`, which `MockedResponses` does not define",
                            case.key, state.key
                        ),
                    );
                    let mut known: Vec<&str> = responses.keys().map(String::as_str).collect();
                    known.sort_unstable();
                    error = match orderflow_model::diagnostic::did_you_mean(
                        response_name,
                        known.iter().copied(),
                    ) {
                        Some(hint) => error.with_help(hint),
                        None => error.with_help(format!(
                            "define it under `MockedResponses` (defined: {})",
                            quoted_list(known.into_iter())
                        )),
                    };
                    return Err(error);
                };
                states.push(MockedState {
                    state_name: state.key.clone(),
                    location: self.location(&state_pointer, state.key_span),
                    response: Arc::clone(response),
                });
            }
            test_cases.push(TestCaseEntry {
                name: case.key.clone(),
                states,
            });
        }
        Ok(StateMachineEntry {
            name: machine.key.clone(),
            test_cases_location: self.location(&cases_pointer, cases.key_span),
            test_cases,
        })
    }

    fn responses(
        &self,
        json: &Json,
        pointer: &str,
    ) -> Result<HashMap<String, Arc<MockedResponse>>, MockConfigError> {
        let mut responses = HashMap::new();
        for response in self.object(json, pointer, "an object of mocked responses by name", None)? {
            let response_pointer = push_pointer(pointer, &response.key);
            let mut entries: Vec<(ResponseEntry, Span)> = Vec::new();
            for entry in self.object(
                &response.value,
                &response_pointer,
                "an object of outcomes by invocation number (\"0\", \"1-2\")",
                None,
            )? {
                let entry_pointer = push_pointer(&response_pointer, &entry.key);
                let (first, last) = self.invocation_range(entry, &entry_pointer)?;
                let outcome = self.outcome(&entry.value, &entry_pointer)?;
                entries.push((
                    ResponseEntry {
                        first,
                        last,
                        key: entry.key.clone(),
                        outcome,
                    },
                    entry.key_span,
                ));
            }
            entries.sort_by_key(|(e, _)| e.first);
            for pair in entries.windows(2) {
                let [(earlier, _), (later, later_span)] = pair else {
                    continue;
                };
                if later.first <= earlier.last {
                    let (a, b) = (earlier.first.max(later.first), earlier.last.min(later.last));
                    let both = if a == b {
                        format!("invocation {a}")
                    } else {
                        format!("invocations {a}-{b}")
                    };
                    return Err(MockConfigError::at(
                        self.location(&push_pointer(&response_pointer, &later.key), *later_span),
                        format!(
                            "`{}` overlaps `{}`: both cover {both}; each invocation must have exactly one outcome",
                            later.key, earlier.key
                        ),
                    ));
                }
            }
            responses.insert(
                response.key.clone(),
                Arc::new(MockedResponse {
                    name: response.key.clone(),
                    entries: entries.into_iter().map(|(e, _)| e).collect(),
                }),
            );
        }
        Ok(responses)
    }

    /// `"3"` → (3, 3); `"1-2"` → (1, 2).
    fn invocation_range(
        &self,
        entry: &Member,
        pointer: &str,
    ) -> Result<(u64, u64), MockConfigError> {
        let location = || self.location(pointer, entry.key_span);
        let number = |s: &str| {
            (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse::<u64>().ok())
                .flatten()
        };
        let key = entry.key.as_str();
        let parsed = match key.split_once('-') {
            None => number(key).map(|n| (n, n)),
            Some((first, last)) => number(first).zip(number(last)),
        };
        let Some((first, last)) = parsed else {
            return Err(MockConfigError::at(
                location(),
                format!(
                    "`{key}` is not an invocation number: expected an integer from 0 (\"0\") or an inclusive range (\"1-2\")"
                ),
            ));
        };
        if last < first {
            return Err(MockConfigError::at(
                location(),
                format!(
                    "the range `{key}` ends before it starts: expected FIRST-LAST with FIRST ≤ LAST, e.g. \"{last}-{first}\""
                ),
            ));
        }
        Ok((first, last))
    }

    fn outcome(&self, json: &Json, pointer: &str) -> Result<MockOutcome, MockConfigError> {
        self.object(
            json,
            pointer,
            "an object with `Return` (the Task's result) or `Throw` ({\"Error\", \"Cause\"})",
            Some(&[RETURN, THROW]),
        )?;
        match (json.member(RETURN), json.member(THROW)) {
            (Some(value), None) => Ok(MockOutcome::Return(value.value.to_value())),
            (None, Some(throw)) => self.throw(&throw.value, &push_pointer(pointer, THROW)),
            (Some(_), Some(throw)) => Err(MockConfigError::at(
                self.location(&push_pointer(pointer, THROW), throw.key_span),
                "both `Return` and `Throw`: expected exactly one of them",
            )),
            (None, None) => Err(MockConfigError::at(
                self.location(pointer, json.span),
                "neither `Return` nor `Throw`: expected exactly one of them (`Return`: the Task's result; `Throw`: {\"Error\", \"Cause\"})",
            )),
        }
    }

    fn throw(&self, json: &Json, pointer: &str) -> Result<MockOutcome, MockConfigError> {
        self.object(
            json,
            pointer,
            "an object with string fields `Error` and `Cause`",
            Some(&["Error", "Cause"]),
        )?;
        let field = |name: &str| -> Result<String, MockConfigError> {
            match json.member(name) {
                Some(m) => m.value.as_str().map(str::to_owned).ok_or_else(|| {
                    MockConfigError::at(
                        self.location(&push_pointer(pointer, name), m.value.span),
                        format!("`{name}` must be a string, found {}", m.value.type_name()),
                    )
                }),
                None => Err(MockConfigError::at(
                    self.location(pointer, json.span),
                    format!(
                        "`Throw` has no `{name}`: expected an object with string fields `Error` and `Cause`"
                    ),
                )),
            }
        };
        let error = field("Error")?;
        let cause = field("Cause")?;
        Ok(MockOutcome::Throw(TaskError::new(error, cause)))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use orderflow_model::asl::model::{LambdaInvocation, Resource};

    const RETRY_CONFIG: &str = r#"{
  "StateMachines": {
    "checkout": {
      "TestCases": {
        "RetryPath": {"Charge": "FlakyCharge"},
        "HappyPath": {"Charge": "Charged", "Ship": "Shipped"}
      }
    }
  },
  "MockedResponses": {
    "FlakyCharge": {
      "0": {"Throw": {"Error": "Lambda.TooManyRequestsException", "Cause": "slow down"}},
      "1-2": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "timed out"}},
      "3": {"Return": {"StatusCode": 200, "Payload": {"charged": true}}}
    },
    "Charged": {"0": {"Return": {"StatusCode": 200, "Payload": {"charged": true}}}},
    "Shipped": {"0-1": {"Return": "shipped"}}
  }
}"#;

    fn config(text: &str) -> MockConfig {
        MockConfig::parse(text, "mocks.json").unwrap_or_else(|e| panic!("{e}"))
    }

    fn error(text: &str) -> String {
        match MockConfig::parse(text, "mocks.json") {
            Ok(_) => panic!("expected an error for {text}"),
            Err(e) => e.to_string(),
        }
    }

    fn with_responses(responses: &str) -> String {
        format!(
            r#"{{"StateMachines": {{"sm": {{"TestCases": {{"t": {{}}}}}}}}, "MockedResponses": {responses}}}"#
        )
    }

    #[test]
    fn ranges_pick_the_outcome_of_each_invocation_then_run_out() {
        let case = config(RETRY_CONFIG).test_case(None, "RetryPath").unwrap();
        let invoker = case.invoker();
        let throw = |e: &str, c: &str| Some(Err(TaskError::new(e, c)));
        assert_eq!(
            invoker.respond("Charge"),
            throw("Lambda.TooManyRequestsException", "slow down")
        );
        assert_eq!(
            invoker.respond("Charge"),
            throw("Lambda.TimeoutException", "timed out")
        );
        assert_eq!(
            invoker.respond("Charge"),
            throw("Lambda.TimeoutException", "timed out")
        );
        assert_eq!(
            invoker.respond("Charge"),
            Some(Ok(json!({"StatusCode": 200, "Payload": {"charged": true}})))
        );
        // The fifth invocation: no key covers 4, and the last response is not repeated.
        let Some(Err(exhausted)) = invoker.respond("Charge") else {
            panic!("expected the mock to run out");
        };
        assert_eq!(exhausted.error, "States.Runtime");
        assert!(
            exhausted.cause.contains("'Charge' was invoked 5 times")
                && exhausted.cause.contains("'FlakyCharge'")
                && exhausted.cause.contains("invocation 4")
                && exhausted.cause.contains(r#""0", "1-2", "3""#),
            "{}",
            exhausted.cause
        );
        // A state the test case does not mock is left to other bindings.
        assert_eq!(invoker.respond("Ship"), None);
        // Inspecting a response counts nothing.
        let response = case.mocked_response("Charge").unwrap();
        assert_eq!(response.name(), "FlakyCharge");
        assert!(matches!(response.outcome(3), Some(MockOutcome::Return(_))));
        assert_eq!(response.outcome(4), None);
        assert!(case.mocked_response("Ship").is_none());
        // Each invoker counts from 0 again: one per execution.
        assert_eq!(
            case.invoker().respond("Charge"),
            throw("Lambda.TooManyRequestsException", "slow down")
        );
    }

    /// The case floci-io/floci#3254 recorded against Step Functions Local 2.0.0: Map iterations
    /// share the state's counter, retries included, so the second item gets `idx2`.
    #[test]
    fn map_iterations_and_retries_share_one_counter_per_state() {
        let definition = json!({
            "StartAt": "Each",
            "States": {"Each": {
                "Type": "Map", "End": true,
                "ItemProcessor": {"StartAt": "Call", "States": {"Call": {
                    "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
                    "Retry": [{"ErrorEquals": ["Boom"], "IntervalSeconds": 1}],
                    "End": true
                }}}
            }}
        });
        let file = SourceFile::new("workflow.asl.json", definition.to_string());
        let parsed = orderflow_model::json::parse(file.text()).unwrap();
        let mut diagnostics = Vec::new();
        let mut machine = orderflow_model::asl::parse_state_machine(
            &file,
            &parsed,
            &orderflow_model::asl::FunctionCatalog::default(),
            &mut diagnostics,
        );
        orderflow_model::asl::validate::validate(&mut machine, &mut diagnostics);
        assert!(!diagnostics.iter().any(|d| d.is_error()), "{diagnostics:?}");
        let mocks = r#"{"StateMachines": {"IdxSem": {"TestCases": {"Case1": {"Call": "Seq"}}}},
            "MockedResponses": {"Seq": {
                "0": {"Throw": {"Error": "Boom", "Cause": "attempt0"}},
                "1": {"Return": "idx1"}, "2": {"Return": "idx2"}, "3": {"Return": "idx3"}}}}"#;
        let case = config(mocks).test_case(None, "Case1").unwrap();
        let executor = crate::Executor::new(&machine).unwrap();
        let execution = executor.execute_blocking(
            json!([1, 2]),
            &case.invoker(),
            &crate::ExecutionOptions::default(),
        );
        assert_eq!(
            execution.to_json(),
            json!({"status": "SUCCEEDED", "output": ["idx1", "idx2"]})
        );
    }

    #[test]
    fn a_gap_between_ranges_fails_that_invocation_only() {
        let text = r#"{"StateMachines": {"sm": {"TestCases": {"t": {"S": "R"}}}},
            "MockedResponses": {"R": {"2": {"Return": 2}, "0": {"Return": 0}}}}"#;
        let invoker = config(text).test_case(Some("sm"), "t").unwrap().invoker();
        assert_eq!(invoker.respond("S"), Some(Ok(json!(0))));
        assert!(matches!(invoker.respond("S"), Some(Err(e)) if e.error == "States.Runtime"));
        assert_eq!(invoker.respond("S"), Some(Ok(json!(2))));
    }

    #[test]
    fn the_invoker_fails_unmocked_task_states_naming_state_and_test_case() {
        let case = config(RETRY_CONFIG).test_case(None, "RetryPath").unwrap();
        let resource = Resource::Lambda {
            function: "ship".into(),
            invocation: LambdaInvocation::Invoke,
        };
        let request = TaskRequest {
            state_name: "Ship",
            resource: &resource,
            input: json!({}),
            task_token: None,
            timeout_seconds: None,
            heartbeat_seconds: None,
            retry_count: 0,
            heartbeat: crate::Heartbeat::default(),
        };
        let invoker = case.invoker();
        let outcome = futures::executor::block_on(invoker.invoke(request));
        let Err(e) = outcome else {
            panic!("expected a failure");
        };
        assert_eq!(e.error, "States.Runtime");
        assert!(
            e.cause.contains("'Ship' (Lambda function ship)")
                && e.cause.contains("test case 'RetryPath'")
                && e.cause.contains("`Charge`"),
            "{}",
            e.cause
        );
    }

    #[test]
    fn choosing_state_machines_and_test_cases() {
        let two = r#"{"StateMachines": {
              "a": {"TestCases": {"happy": {}}},
              "b": {"TestCases": {"happy": {}}}},
            "MockedResponses": {}}"#;
        let cfg = config(two);
        assert_eq!(cfg.state_machines().collect::<Vec<_>>(), ["a", "b"]);
        let ambiguous = cfg.test_case(None, "happy").unwrap_err().to_string();
        assert!(
            ambiguous.contains("2 state machines (`a`, `b`)")
                && ambiguous.contains("mocks.json:1:2"),
            "{ambiguous}"
        );
        assert_eq!(
            cfg.test_case(Some("b"), "happy").unwrap().state_machine(),
            "b"
        );
        let unknown = cfg.test_case(Some("c"), "happy").unwrap_err().to_string();
        assert!(
            unknown.contains("no state machine `c`; it has: `a`, `b`"),
            "{unknown}"
        );
        let case = config(RETRY_CONFIG)
            .test_case(Some("checkout"), "HapyPath")
            .unwrap_err()
            .to_string();
        assert!(
            case.contains("no test case `HapyPath`; it has: `RetryPath`, `HappyPath`")
                && case.contains("[/StateMachines/checkout/TestCases]")
                && case.contains("did you mean `HappyPath`?"),
            "{case}"
        );
    }

    #[test]
    fn mocked_states_point_at_the_test_case_entry() {
        let case = config(RETRY_CONFIG).test_case(None, "HappyPath").unwrap();
        let states: Vec<String> = case
            .mocked_states()
            .map(|(name, location)| format!("{name} {location} {}", location.pointer))
            .collect();
        assert_eq!(
            states,
            [
                "Charge mocks.json:6:23 /StateMachines/checkout/TestCases/HappyPath/Charge",
                "Ship mocks.json:6:44 /StateMachines/checkout/TestCases/HappyPath/Ship"
            ]
        );
    }

    #[test]
    fn bad_ranges_are_reported_with_file_pointer_and_position() {
        let reversed = error(&with_responses(r#"{"R": {"2-1": {"Return": 1}}}"#));
        assert!(
            reversed.starts_with("mocks.json:1:79: the range `2-1` ends before it starts")
                && reversed.ends_with("[/MockedResponses/R/2-1]"),
            "{reversed}"
        );
        let overlapping = error(&with_responses(
            r#"{"R": {"0-2": {"Return": 1}, "2-3": {"Return": 2}}}"#,
        ));
        assert!(
            overlapping.contains("`2-3` overlaps `0-2`: both cover invocation 2")
                && overlapping.contains("[/MockedResponses/R/2-3]"),
            "{overlapping}"
        );
        for bad in [
            "x",
            "-1",
            "1-",
            "1-2-3",
            " 1",
            "+1",
            "99999999999999999999999",
        ] {
            let text = error(&with_responses(&format!(
                r#"{{"R": {{"{bad}": {{"Return": 1}}}}}}"#
            )));
            assert!(
                text.contains("is not an invocation number"),
                "{bad}: {text}"
            );
        }
    }

    #[test]
    fn outcomes_need_exactly_one_of_return_and_throw() {
        let both = error(&with_responses(
            r#"{"R": {"0": {"Return": 1, "Throw": {"Error": "E", "Cause": "c"}}}}"#,
        ));
        assert!(
            both.contains("both `Return` and `Throw`")
                && both.contains("[/MockedResponses/R/0/Throw]"),
            "{both}"
        );
        let neither = error(&with_responses(r#"{"R": {"0": {}}}"#));
        assert!(
            neither.contains("neither `Return` nor `Throw`")
                && neither.contains("[/MockedResponses/R/0]"),
            "{neither}"
        );
        let misspelt = error(&with_responses(r#"{"R": {"0": {"Retrun": 1}}}"#));
        assert!(
            misspelt.contains("unknown field `Retrun`")
                && misspelt.contains("did you mean `Return`?"),
            "{misspelt}"
        );
        let no_cause = error(&with_responses(
            r#"{"R": {"0": {"Throw": {"Error": "E"}}}}"#,
        ));
        assert!(no_cause.contains("`Throw` has no `Cause`"), "{no_cause}");
        let number = error(&with_responses(
            r#"{"R": {"0": {"Throw": {"Error": 5, "Cause": "c"}}}}"#,
        ));
        assert!(
            number.contains("`Error` must be a string, found integer")
                && number.contains("[/MockedResponses/R/0/Throw/Error]"),
            "{number}"
        );
    }

    #[test]
    fn references_fields_and_duplicates_are_checked() {
        let unknown = error(
            r#"{"StateMachines": {"sm": {"TestCases": {"t": {"S": "Charegd"}}}},
                "MockedResponses": {"Charged": {"0": {"Return": 1}}}}"#,
        );
        assert!(
            unknown.contains(
                "mocks state `S` with `Charegd`, which `MockedResponses` does not define"
            ) && unknown.contains("mocks.json:1:52")
                && unknown.contains("[/StateMachines/sm/TestCases/t/S]")
                && unknown.contains("did you mean `Charged`?"),
            "{unknown}"
        );
        let singular = error(r#"{"StateMachines": {}, "MockedResponse": {}}"#);
        assert!(
            singular.contains("unknown field `MockedResponse`")
                && singular.contains("did you mean `MockedResponses`?"),
            "{singular}"
        );
        let duplicate = error(&with_responses(
            r#"{"R": {"0": {"Return": 1}, "0": {"Return": 2}}}"#,
        ));
        assert!(
            duplicate.contains("duplicate key `0` (first at line 1, column 79)"),
            "{duplicate}"
        );
        // The model's strict reader: the first problem in file order, with its pointer, and a
        // repeated key is a duplicate, not also an unknown field.
        let both = error(r#"{"StateMachines": {}, "Extra": 1, "StateMachines": {}}"#);
        assert!(
            both.contains("unknown field `Extra`") && both.contains("[/Extra]"),
            "{both}"
        );
        let repeated_throw = error(&with_responses(
            r#"{"R": {"0": {"Throw": {"Error": "E", "Cause": "c", "Error": "F"}}}}"#,
        ));
        assert!(
            repeated_throw.contains("duplicate key `Error`")
                && repeated_throw.contains("[/MockedResponses/R/0/Throw/Error]"),
            "{repeated_throw}"
        );
        let not_a_name = error(r#"{"StateMachines": {"sm": {"TestCases": {"t": {"S": 1}}}}}"#);
        assert!(
            not_a_name.contains(
                "expected the name of an entry of `MockedResponses` (a string), found integer"
            ),
            "{not_a_name}"
        );
        let no_test_cases = error(r#"{"StateMachines": {"sm": {}}}"#);
        assert!(
            no_test_cases.contains("has no `TestCases`"),
            "{no_test_cases}"
        );
        let syntax_text = "{\"StateMachines\": {},}";
        let syntax = error(syntax_text);
        assert!(syntax.starts_with("mocks.json:1:"), "{syntax}");
        assert!(syntax.contains("invalid JSON"), "{syntax}");
        // The same E0001 a definition or a schema gets, at the same place.
        let definition = orderflow_model::load_state_machine(
            "mocks.json",
            syntax_text,
            &orderflow_model::asl::FunctionCatalog::unknown(),
        )
        .err()
        .map(|e| e.0)
        .unwrap_or_default();
        let [diagnostic] = definition.as_slice() else {
            panic!("one diagnostic: {definition:?}");
        };
        assert_eq!(
            syntax,
            MockConfigError::from(diagnostic.clone()).to_string()
        );
        let not_object = error("[]");
        assert!(
            not_object.contains(
                "expected an object with `StateMachines` and `MockedResponses`, found array"
            ),
            "{not_object}"
        );
    }
}
