//! The execution history: events with AWS's type names, in order, numbered from 1.

use std::sync::Arc;

use serde_json::{Value, json};

macro_rules! event_types {
    ($($variant:ident,)*) => {
        /// A history event type, named as in the Step Functions `HistoryEventType` enum.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum EventType {
            $(
                #[doc = concat!("`", stringify!($variant), "` in AWS's history.")]
                $variant,
            )*
        }

        impl EventType {
            /// The type's name as AWS records it (`TaskStateEntered`).
            pub fn name(self) -> &'static str {
                match self { $(EventType::$variant => stringify!($variant),)* }
            }
        }
    };
}

event_types! {
    ExecutionStarted,
    ExecutionSucceeded,
    ExecutionFailed,
    ExecutionTimedOut,
    PassStateEntered,
    PassStateExited,
    TaskStateEntered,
    TaskStateExited,
    TaskScheduled,
    TaskStarted,
    TaskSubmitted,
    TaskSucceeded,
    TaskFailed,
    TaskTimedOut,
    LambdaFunctionScheduled,
    LambdaFunctionStarted,
    LambdaFunctionSucceeded,
    LambdaFunctionFailed,
    LambdaFunctionTimedOut,
    ChoiceStateEntered,
    ChoiceStateExited,
    WaitStateEntered,
    WaitStateExited,
    SucceedStateEntered,
    SucceedStateExited,
    FailStateEntered,
    ParallelStateEntered,
    ParallelStateStarted,
    ParallelStateSucceeded,
    ParallelStateFailed,
    ParallelStateExited,
    MapStateEntered,
    MapStateStarted,
    MapStateSucceeded,
    MapStateFailed,
    MapStateExited,
    MapIterationStarted,
    MapIterationSucceeded,
    MapIterationFailed,
    MapRunStarted,
    MapRunSucceeded,
    MapRunFailed,
    EvaluationFailed,
}

/// One history event.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEvent {
    /// 1 for `ExecutionStarted`, then one more per event.
    pub id: u64,
    /// The event this one follows in its thread of execution, as AWS's `previousEventId`: 0
    /// for `ExecutionStarted` and the first state entered; the last event of the previous
    /// iteration for a Map iteration's start.
    pub previous_id: u64,
    /// When it happened on the execution's clock, in milliseconds since the Unix epoch.
    pub timestamp_millis: i64,
    /// What happened (`TaskStateEntered`, `ExecutionFailed`, …).
    pub event_type: EventType,
    /// The state the event is about, if any.
    pub state: Option<Arc<str>>,
    /// Input/output/error details (only with [`HistoryDetail::Full`], except failures, which
    /// always carry their error and cause).
    pub details: Option<Value>,
}

impl HistoryEvent {
    /// The event as `{"id", "type", "stateName", "details"}`, the run output's history format.
    pub fn to_json(&self) -> Value {
        let mut out = json!({"id": self.id, "type": self.event_type.name()});
        if let Some(state) = &self.state {
            out["stateName"] = Value::String(state.to_string());
        }
        if let Some(details) = &self.details {
            out["details"] = details.clone();
        }
        out
    }
}

/// How much of the history to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HistoryDetail {
    /// Nothing (event ids are still counted: AWS's causes cite them).
    None,
    /// Event types and state names.
    #[default]
    Events,
    /// Also each state's input and output.
    Full,
}

/// Collects events while an execution runs.
#[derive(Debug)]
pub struct HistoryRecorder {
    detail: HistoryDetail,
    /// The most events the history may hold (`None`: no limit); see [`HistoryRecorder::full`].
    limit: Option<u64>,
    /// An event was refused because the history was full.
    full: bool,
    next_id: u64,
    /// The last event of the current thread: the next event's `previousEventId`.
    cursor: u64,
    /// The last event recorded.
    last: Option<(EventType, u64)>,
    /// The `previousEventId` of the last event recorded.
    last_previous: u64,
    events: Vec<HistoryEvent>,
}

impl HistoryRecorder {
    /// `expected_events` sizes the event list once, rather than growing it while running.
    pub fn new(detail: HistoryDetail, expected_events: usize) -> Self {
        HistoryRecorder {
            detail,
            limit: None,
            full: false,
            next_id: 1,
            cursor: 0,
            last: None,
            last_previous: 0,
            events: match detail {
                HistoryDetail::None => Vec::new(),
                HistoryDetail::Events | HistoryDetail::Full => Vec::with_capacity(expected_events),
            },
        }
    }

    pub fn wants_payloads(&self) -> bool {
        self.detail == HistoryDetail::Full
    }

    /// Holds at most `limit` events: once the next would be the last one, events are refused
    /// (see [`HistoryRecorder::full`]) except the one that ends the execution, which is then
    /// event number `limit`, as on AWS.
    pub fn with_limit(mut self, limit: Option<u64>) -> Self {
        self.limit = limit;
        self
    }

    /// When the last event was `event_type`, the next one follows what that one followed
    /// instead of it. AWS numbers a Map's failure to evaluate its items so: its
    /// `EvaluationFailed` follows the event before `MapStateEntered`, as its recorded
    /// executions show.
    pub fn follow_before_last(&mut self, event_type: EventType) {
        if self.last.is_some_and(|(last, _)| last == event_type) {
            self.cursor = self.last_previous;
        }
    }

    /// Whether an event was refused because the history is full: the execution must end.
    pub fn full(&self) -> bool {
        self.full
    }

    /// Records an event at `now_millis` and returns its id.
    pub fn record(
        &mut self,
        event_type: EventType,
        state: Option<&Arc<str>>,
        details: Option<Value>,
        now_millis: i64,
    ) -> u64 {
        let ends_execution = matches!(
            event_type,
            EventType::ExecutionSucceeded
                | EventType::ExecutionFailed
                | EventType::ExecutionTimedOut
        );
        if !ends_execution && self.limit.is_some_and(|limit| self.next_id >= limit) {
            self.full = true;
            return self.next_id;
        }
        let id = self.next_id;
        self.next_id += 1;
        // A Map that succeeds, and the state's exit after it, follow its last iteration's end
        // (a failing one: the last event inside the iteration that failed).
        if let (EventType::MapStateSucceeded, Some((EventType::MapIterationSucceeded, last))) =
            (event_type, self.last)
        {
            self.cursor = last;
        }
        let previous_id = self.cursor;
        self.last = Some((event_type, id));
        self.last_previous = previous_id;
        // As AWS numbers them: the execution's start, an iteration's end and a Map's or
        // Parallel's success are asides, so the first state follows nothing (0), and the next
        // iteration, or the state's exit, follows the last event inside.
        if !matches!(
            event_type,
            EventType::ExecutionStarted
                | EventType::MapIterationSucceeded
                | EventType::MapIterationFailed
                | EventType::MapStateSucceeded
                | EventType::ParallelStateSucceeded
        ) {
            self.cursor = id;
        }
        if self.detail != HistoryDetail::None {
            self.events.push(HistoryEvent {
                id,
                previous_id,
                timestamp_millis: now_millis,
                event_type,
                state: state.cloned(),
                details,
            });
        }
        id
    }

    pub fn into_events(self) -> Vec<HistoryEvent> {
        self.events
    }
}
