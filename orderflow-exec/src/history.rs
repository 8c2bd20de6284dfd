//! The execution history: events with AWS's type names, in order, numbered from 1.

use std::sync::{Arc, Mutex, PoisonError};

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
    MapIterationAborted,
    TaskStateAborted,
    PassStateAborted,
    ChoiceStateAborted,
    WaitStateAborted,
    SucceedStateAborted,
    ParallelStateAborted,
    MapStateAborted,
    MapRunStarted,
    MapRunSucceeded,
    MapRunFailed,
    EvaluationFailed,
}

impl EventType {
    /// A state stopped by another branch's failure (`WaitStateAborted`, …).
    pub fn is_state_aborted(self) -> bool {
        matches!(
            self,
            EventType::TaskStateAborted
                | EventType::PassStateAborted
                | EventType::ChoiceStateAborted
                | EventType::WaitStateAborted
                | EventType::SucceedStateAborted
                | EventType::ParallelStateAborted
                | EventType::MapStateAborted
        )
    }

    /// A state's exit (`TaskStateExited`, …).
    pub fn is_state_exited(self) -> bool {
        matches!(
            self,
            EventType::TaskStateExited
                | EventType::PassStateExited
                | EventType::ChoiceStateExited
                | EventType::WaitStateExited
                | EventType::SucceedStateExited
                | EventType::ParallelStateExited
                | EventType::MapStateExited
        )
    }

    /// For a state's entry, the event AWS records when another branch's failure stops the
    /// state (`WaitStateEntered` → `WaitStateAborted`).
    pub fn aborted_state(self) -> Option<EventType> {
        Some(match self {
            EventType::TaskStateEntered => EventType::TaskStateAborted,
            EventType::PassStateEntered => EventType::PassStateAborted,
            EventType::ChoiceStateEntered => EventType::ChoiceStateAborted,
            EventType::WaitStateEntered => EventType::WaitStateAborted,
            EventType::SucceedStateEntered => EventType::SucceedStateAborted,
            EventType::ParallelStateEntered => EventType::ParallelStateAborted,
            EventType::MapStateEntered => EventType::MapStateAborted,
            _ => return None,
        })
    }
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
///
/// Branches and iterations running really concurrently (the real clock) each record through a
/// [`HistoryRecorder::fork`]: one history, numbered in the order events happen, with a thread
/// of `previousEventId`s per branch.
#[derive(Debug)]
pub struct HistoryRecorder {
    detail: HistoryDetail,
    log: Log,
    /// The last event of the current thread: the next event's `previousEventId`.
    cursor: u64,
    /// The last event recorded by this thread.
    last: Option<(EventType, u64)>,
    /// The `previousEventId` of the last event recorded by this thread.
    last_previous: u64,
    /// A forked thread's state entered and not yet exited, for the `…StateAborted` event
    /// recorded when another branch's failure stops it.
    open_state: Option<OpenState>,
}

/// The state a forked thread is in (see [`HistoryRecorder::open_state`]).
pub type OpenState = Arc<Mutex<Option<(EventType, Arc<str>)>>>;

/// The events: owned while one thread records, shared once the history is forked (no lock on
/// the sequential path).
#[derive(Debug)]
enum Log {
    Owned(EventLog),
    Shared(Arc<Mutex<EventLog>>),
}

/// The events of one history, whichever thread recorded them.
#[derive(Debug, Default)]
struct EventLog {
    /// The most events the history may hold (`None`: no limit); see [`HistoryRecorder::full`].
    limit: Option<u64>,
    /// An event was refused because the history was full.
    full: bool,
    next_id: u64,
    events: Vec<HistoryEvent>,
}

impl Log {
    fn with<T>(&mut self, f: impl FnOnce(&mut EventLog) -> T) -> T {
        match self {
            Log::Owned(log) => f(log),
            // A thread that panicked while holding the lock left whole events behind.
            Log::Shared(log) => f(&mut log.lock().unwrap_or_else(PoisonError::into_inner)),
        }
    }

    /// Shares the log (once) and returns it.
    fn share(&mut self) -> Arc<Mutex<EventLog>> {
        if let Log::Owned(log) = self {
            *self = Log::Shared(Arc::new(Mutex::new(std::mem::take(log))));
        }
        match self {
            Log::Shared(log) => Arc::clone(log),
            Log::Owned(_) => Arc::default(),
        }
    }
}

impl HistoryRecorder {
    /// `expected_events` sizes the event list once, rather than growing it while running.
    pub fn new(detail: HistoryDetail, expected_events: usize) -> Self {
        HistoryRecorder {
            detail,
            log: Log::Owned(EventLog {
                limit: None,
                full: false,
                next_id: 1,
                events: match detail {
                    HistoryDetail::None => Vec::new(),
                    HistoryDetail::Events | HistoryDetail::Full => {
                        Vec::with_capacity(expected_events)
                    }
                },
            }),
            cursor: 0,
            last: None,
            last_previous: 0,
            open_state: None,
        }
    }

    pub fn wants_payloads(&self) -> bool {
        self.detail == HistoryDetail::Full
    }

    /// Holds at most `limit` events: once the next would be the last one, events are refused
    /// (see [`HistoryRecorder::full`]) except the one that ends the execution, which is then
    /// event number `limit`, as on AWS.
    pub fn with_limit(mut self, limit: Option<u64>) -> Self {
        self.log.with(|log| log.limit = limit);
        self
    }

    /// A recorder for a branch or iteration that runs concurrently with others: its events go
    /// to this history, and its first follows this thread's last.
    pub fn fork(&mut self) -> HistoryRecorder {
        HistoryRecorder {
            detail: self.detail,
            log: Log::Shared(self.log.share()),
            cursor: self.cursor,
            last: self.last,
            last_previous: self.last_previous,
            open_state: Some(OpenState::default()),
        }
    }

    /// For a forked recorder, the state its thread is in, readable after the thread stopped.
    pub fn open_state(&self) -> Option<OpenState> {
        self.open_state.clone()
    }

    /// Continues after concurrent branches ended: from the one that recorded the last event,
    /// as the state's own next event follows the branch that finished last.
    pub fn join(&mut self, branches: impl IntoIterator<Item = HistoryRecorder>) {
        let latest = branches
            .into_iter()
            .filter(|b| b.last.is_some())
            .max_by_key(|b| b.last.map_or(0, |(_, id)| id));
        if let Some(branch) = latest
            && branch.last.map(|(_, id)| id) > self.last.map(|(_, id)| id)
        {
            self.cursor = branch.cursor;
            self.last = branch.last;
            self.last_previous = branch.last_previous;
        }
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
    pub fn full(&mut self) -> bool {
        self.log.with(|log| log.full)
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
        let refused = self.log.with(|log| {
            let refused = !ends_execution && log.limit.is_some_and(|limit| log.next_id >= limit);
            if refused {
                log.full = true;
                Err(log.next_id)
            } else {
                log.next_id += 1;
                Ok(log.next_id - 1)
            }
        });
        let id = match refused {
            Ok(id) => id,
            Err(next) => return next,
        };
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
        // As AWS numbers them: the execution's start, an iteration's end, a Map's or Parallel's
        // success and what another branch's failure stopped are asides, so the first state
        // follows nothing (0), and the next iteration, or the state's exit, follows the last
        // event inside.
        if !matches!(
            event_type,
            EventType::ExecutionStarted
                | EventType::MapIterationSucceeded
                | EventType::MapIterationFailed
                | EventType::MapIterationAborted
                | EventType::MapStateSucceeded
                | EventType::ParallelStateSucceeded
        ) && !event_type.is_state_aborted()
        {
            self.cursor = id;
        }
        if let (Some(open), Some(state)) = (&self.open_state, state) {
            let mut open = open.lock().unwrap_or_else(PoisonError::into_inner);
            if event_type.aborted_state().is_some() {
                *open = Some((event_type, Arc::clone(state)));
            } else if event_type.is_state_exited() {
                *open = None;
            }
        }
        if self.detail != HistoryDetail::None {
            let event = HistoryEvent {
                id,
                previous_id,
                timestamp_millis: now_millis,
                event_type,
                state: state.cloned(),
                details,
            };
            self.log.with(|log| log.events.push(event));
        }
        id
    }

    /// The events recorded so far, by every thread, in order.
    pub fn into_events(mut self) -> Vec<HistoryEvent> {
        self.log.with(|log| std::mem::take(&mut log.events))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forks_number_one_history_with_a_thread_each_and_join_follows_the_last() {
        let state: Arc<str> = Arc::from("Both");
        let mut main = HistoryRecorder::new(HistoryDetail::Events, 8);
        main.record(EventType::ParallelStateStarted, Some(&state), None, 0);
        let mut left = main.fork();
        let mut right = main.fork();
        left.record(EventType::PassStateEntered, Some(&state), None, 1);
        right.record(EventType::PassStateEntered, Some(&state), None, 1);
        left.record(EventType::PassStateExited, Some(&state), None, 2);
        main.join([left, right]);
        main.record(EventType::ParallelStateSucceeded, Some(&state), None, 3);
        let events: Vec<(u64, u64)> = main
            .into_events()
            .iter()
            .map(|e| (e.id, e.previous_id))
            .collect();
        // Both branches follow the Parallel's start; the success follows the last event, the
        // left branch's exit (its thread recorded last).
        assert_eq!(events, [(1, 0), (2, 1), (3, 1), (4, 2), (5, 4)]);
    }
}
