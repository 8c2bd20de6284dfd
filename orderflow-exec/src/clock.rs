//! Time: a virtual clock by default (Wait states and retry back-off advance it without
//! sleeping), or the real one. Timestamps are parsed and written by the model's
//! [`orderflow_model::asl::timestamp`], the rule `check` applies too.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::future::BoxFuture;

/// Which clock an execution runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClockMode {
    /// Waits and back-off advance a virtual clock instantly.
    #[default]
    Virtual,
    /// Waits and back-off really wait, through the [`Timer`] of the options.
    Real,
}

/// Sleeps for real-clock executions, so the executor needs no particular async runtime.
pub trait Timer: Send + Sync {
    /// Resolves after `duration` of wall-clock time.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
}

/// A [`Timer`] that needs no runtime: each sleep is a short-lived thread completing a oneshot.
#[derive(Debug, Clone, Copy, Default)]
pub struct ThreadTimer;

impl Timer for ThreadTimer {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        let (tx, rx) = futures::channel::oneshot::channel::<()>();
        let spawned = std::thread::Builder::new().spawn(move || {
            std::thread::sleep(duration);
            let _ = tx.send(());
        });
        Box::pin(async move {
            match spawned {
                Ok(_) => {
                    let _ = rx.await;
                }
                // No thread to spare: the wait blocks this one instead, still as long.
                Err(_) => std::thread::sleep(duration),
            }
        })
    }
}

/// The clock of one execution.
#[derive(Debug, Clone)]
pub struct ExecutionClock {
    mode: ClockMode,
    /// Milliseconds since the Unix epoch when the execution started.
    start_millis: i64,
    /// Virtual time spent in waits and back-off.
    virtual_elapsed: Duration,
    real_start: std::time::Instant,
}

impl ExecutionClock {
    pub fn new(mode: ClockMode, start_millis: Option<i64>) -> Self {
        ExecutionClock {
            mode,
            start_millis: start_millis.unwrap_or_else(now_millis),
            virtual_elapsed: Duration::ZERO,
            real_start: std::time::Instant::now(),
        }
    }

    pub fn mode(&self) -> ClockMode {
        self.mode
    }

    pub fn start_millis(&self) -> i64 {
        self.start_millis
    }

    /// Now, in milliseconds since the epoch, on this execution's clock.
    pub fn now_millis(&self) -> i64 {
        let elapsed = match self.mode {
            ClockMode::Virtual => self.virtual_elapsed,
            ClockMode::Real => self.real_start.elapsed(),
        };
        self.start_millis
            .saturating_add(i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
    }

    /// Advances virtual time (real time passes by itself).
    pub fn advance(&mut self, by: Duration) {
        self.virtual_elapsed = self.virtual_elapsed.saturating_add(by);
    }

    pub fn virtual_elapsed(&self) -> Duration {
        self.virtual_elapsed
    }

    /// Moves virtual time to `at`, also backwards: concurrent Parallel branches and Map
    /// iterations each start at the time their slot opens, and the state ends when the last
    /// ends. The real clock is not moved.
    pub fn set_virtual_elapsed(&mut self, at: Duration) {
        if self.mode == ClockMode::Virtual {
            self.virtual_elapsed = at;
        }
    }
}

pub fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_clock_advances_without_sleeping() {
        let mut clock = ExecutionClock::new(ClockMode::Virtual, Some(1000));
        clock.advance(Duration::from_secs(90));
        assert_eq!(clock.now_millis(), 91_000);
        assert_eq!(clock.virtual_elapsed(), Duration::from_secs(90));
    }
}
