//! Timestamps as Step Functions reads and writes them: the RFC 3339 profile of ISO 8601 with
//! an uppercase `T` between date and time and an uppercase `Z` for UTC (the Wait state's
//! `Timestamp`, the Choice rules' `Timestamp*` comparisons, `IsTimestamp`).
//!
//! One parser serves both the checker (a literal `Timestamp` that AWS would refuse is an error)
//! and the executor (a `TimestampPath` value or a comparison operand is parsed to compare or to
//! wait), so `check` and `run` cannot disagree on what a timestamp is.

/// Parses a timestamp (`2016-03-14T01:59:00Z`, fractions and `±HH:MM` offsets allowed) to
/// milliseconds since the Unix epoch; `None` if Step Functions would not take it as one.
///
/// RFC 3339 itself allows a lowercase `t` and `z`; AWS documents that it requires uppercase, so
/// `2016-03-14t01:59:00z` is not a timestamp here. Digits past the millisecond are dropped.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let s = text.get(from..from + len)?;
        if !s.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' {
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
        b'Z' if pos + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if pos + 6 == b.len() && b[pos + 3] == b':' => {
            let h = num(pos + 1, 2)?;
            let m = num(pos + 4, 2)?;
            // RFC 3339's time-numoffset: hours 00-23, minutes 00-59.
            if h > 23 || m > 59 {
                return None;
            }
            let total = h * 60 + m;
            if *sign == b'+' { total } else { -total }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    Some(secs * 1000 + millis)
}

/// Whether `text` is a timestamp Step Functions accepts (see [`parse_timestamp`]).
pub fn is_timestamp(text: &str) -> bool {
    parse_timestamp(text).is_some()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_aws_accepts() {
        for ok in [
            "2016-03-14T01:59:00Z",
            "2016-03-14T01:59:00.123Z",
            "2016-03-14T01:59:00+01:00",
            "2016-03-14T01:59:00.123456-05:30",
        ] {
            assert!(is_timestamp(ok), "{ok}");
        }
        for bad in [
            "2016-03-14T01:59:00",
            "2016-13-14T01:59:00Z",
            "2016-03-14 01:59:00Z",
            "x",
            "2016-03-14T01:59:00.Z",
            "2016-03-14T01:59:00+24:00",
            "2016-03-14T01:59:00+01:60",
            "2016-03-14T01:59:00+0100",
            "2016-03-14T01:59:00Zjunk",
        ] {
            assert!(!is_timestamp(bad), "{bad}");
        }
    }

    /// The executor's copy accepted lowercase `t` and `z` (as RFC 3339 does) while the checker's
    /// refused them; AWS requires uppercase, so both now refuse.
    #[test]
    fn lowercase_t_and_z_are_not_timestamps() {
        for bad in [
            "2016-03-14t01:59:00Z",
            "2016-03-14T01:59:00z",
            "2016-03-14t01:59:00z",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
            assert!(!is_timestamp(bad), "{bad}");
        }
    }

    #[test]
    fn timestamps_round_trip() {
        assert_eq!(
            parse_timestamp("2016-03-14T01:59:00Z"),
            Some(1_457_920_740_000)
        );
        assert_eq!(
            format_timestamp(1_457_920_740_000),
            "2016-03-14T01:59:00.000Z"
        );
        assert_eq!(
            parse_timestamp("2016-03-14T03:59:00.5+02:00"),
            Some(1_457_920_740_500)
        );
        assert_eq!(format_timestamp(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(parse_timestamp(&format_timestamp(-1)), Some(-1));
    }
}
