//! Time: a virtual clock by default (Wait states and retry back-off advance it without
//! sleeping), or the real one; and RFC 3339 timestamps as Step Functions writes and reads them.

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
        std::thread::spawn(move || {
            std::thread::sleep(duration);
            let _ = tx.send(());
        });
        Box::pin(async move {
            let _ = rx.await;
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
}

pub fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `2024-01-02T03:04:05.678Z`, as the context object's `StartTime` and `EnteredTime` read.
pub fn format_timestamp(millis: i64) -> String {
    let secs = millis.div_euclid(1000);
    let ms = millis.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, mo, d) = civil_from_days(days);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Parses an RFC 3339 timestamp (`2016-03-14T01:59:00Z`, fractions and offsets allowed) to
/// milliseconds since the epoch. `None` if it is not one.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let s = text.get(from..from + len)?;
        if !s.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut pos = 19;
    let mut millis = 0i64;
    if b.get(pos) == Some(&b'.') {
        pos += 1;
        let start = pos;
        while b.get(pos).is_some_and(u8::is_ascii_digit) {
            pos += 1;
        }
        if pos == start {
            return None;
        }
        let frac = text.get(start..pos)?;
        let first3: String = frac.chars().chain("000".chars()).take(3).collect();
        millis = first3.parse().ok()?;
    }
    let offset_minutes = match b.get(pos)? {
        b'Z' | b'z' if pos + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if pos + 6 == b.len() && b[pos + 3] == b':' => {
            let h = num(pos + 1, 2)?;
            let m = num(pos + 4, 2)?;
            let total = h * 60 + m;
            if *sign == b'+' { total } else { -total }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    Some(secs * 1000 + millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip() {
        let t = parse_timestamp("2016-03-14T01:59:00Z");
        assert_eq!(t, Some(1_457_920_740_000));
        assert_eq!(
            format_timestamp(1_457_920_740_000),
            "2016-03-14T01:59:00.000Z"
        );
        assert_eq!(
            parse_timestamp("2016-03-14T03:59:00.5+02:00"),
            Some(1_457_920_740_500)
        );
        assert_eq!(parse_timestamp("date"), None);
        assert_eq!(parse_timestamp("2016-13-14T01:59:00Z"), None);
        assert_eq!(format_timestamp(0), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn virtual_clock_advances_without_sleeping() {
        let mut clock = ExecutionClock::new(ClockMode::Virtual, Some(1000));
        clock.advance(Duration::from_secs(90));
        assert_eq!(clock.now_millis(), 91_000);
        assert_eq!(clock.virtual_elapsed(), Duration::from_secs(90));
    }
}
