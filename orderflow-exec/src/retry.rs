//! Retry back-off arithmetic: `IntervalSeconds × BackoffRate^attempt`, capped by
//! `MaxDelaySeconds`, optionally with FULL jitter (a uniform draw in `[0, delay]`).

use std::time::Duration;

use orderflow_model::asl::model::{JitterStrategy, Retrier};

/// The wait before retry number `attempt + 1` (`attempt` retries already made by this retrier).
/// `jitter_draw` is a uniform number in `[0, 1)`, used only with FULL jitter.
pub fn backoff_delay(retrier: &Retrier, attempt: u64, jitter_draw: f64) -> Duration {
    let exponent = i32::try_from(attempt).unwrap_or(i32::MAX);
    let mut seconds = retrier.interval_seconds as f64 * retrier.backoff_rate.powi(exponent);
    if let Some(max) = retrier.max_delay_seconds {
        seconds = seconds.min(max as f64);
    }
    if retrier.jitter == JitterStrategy::Full {
        seconds *= jitter_draw.clamp(0.0, 1.0);
    }
    // A year of seconds is far beyond any delay AWS allows; the cap keeps the conversion sound.
    Duration::from_secs_f64(seconds.clamp(0.0, 31_622_400.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retrier(
        interval: u64,
        rate: f64,
        max_delay: Option<u64>,
        jitter: JitterStrategy,
    ) -> Retrier {
        Retrier {
            error_equals: Vec::new(),
            interval_seconds: interval,
            max_attempts: 3,
            backoff_rate: rate,
            max_delay_seconds: max_delay,
            jitter,
            pointer: String::new(),
        }
    }

    #[test]
    fn exponential_backoff() {
        let r = retrier(3, 2.0, None, JitterStrategy::None);
        assert_eq!(backoff_delay(&r, 0, 0.5), Duration::from_secs(3));
        assert_eq!(backoff_delay(&r, 1, 0.5), Duration::from_secs(6));
        assert_eq!(backoff_delay(&r, 2, 0.5), Duration::from_secs(12));
        let r = retrier(1, 1.5, None, JitterStrategy::None);
        assert_eq!(backoff_delay(&r, 1, 0.0), Duration::from_millis(1500));
    }

    #[test]
    fn max_delay_and_jitter() {
        let r = retrier(10, 3.0, Some(25), JitterStrategy::None);
        assert_eq!(backoff_delay(&r, 2, 0.0), Duration::from_secs(25));
        let r = retrier(10, 2.0, Some(15), JitterStrategy::Full);
        assert_eq!(backoff_delay(&r, 1, 0.5), Duration::from_secs_f64(7.5));
        assert_eq!(backoff_delay(&r, 1, 0.0), Duration::ZERO);
    }
}
