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
    EvaluationFailed,
}

/// One history event.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEvent {
    /// 1 for `ExecutionStarted`, then one more per event.
    pub id: u64,
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
    next_id: u64,
    events: Vec<HistoryEvent>,
}

impl HistoryRecorder {
    /// `expected_events` sizes the event list once, rather than growing it while running.
    pub fn new(detail: HistoryDetail, expected_events: usize) -> Self {
        HistoryRecorder {
            detail,
            next_id: 1,
            events: match detail {
                HistoryDetail::None => Vec::new(),
                HistoryDetail::Events | HistoryDetail::Full => Vec::with_capacity(expected_events),
            },
        }
    }

    pub fn wants_payloads(&self) -> bool {
        self.detail == HistoryDetail::Full
    }

    /// Records an event and returns its id.
    pub fn record(
        &mut self,
        event_type: EventType,
        state: Option<&Arc<str>>,
        details: Option<Value>,
    ) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        if self.detail != HistoryDetail::None {
            self.events.push(HistoryEvent {
                id,
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
