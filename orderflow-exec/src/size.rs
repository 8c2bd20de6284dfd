//! The size of JSON payloads as AWS limits them (256 KiB per state input, output and result,
//! 256 KiB of variables per scope): an estimate walked without serializing, that stops as soon
//! as the limit is passed.

use serde_json::Value;

/// The estimated JSON size of `value` (see [`fits`]), if it is at most `limit`.
pub(crate) fn size_within(value: &Value, limit: usize) -> Option<usize> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut budget = limit;
    fits(value, &mut budget, 0).then(|| usize::try_from(limit - budget).unwrap_or(usize::MAX))
}

/// An approximate serialized size check that stops as soon as `limit` is passed.
pub(crate) fn exceeds_size(value: &Value, limit: usize) -> bool {
    let mut budget = i64::try_from(limit).unwrap_or(i64::MAX);
    !fits(value, &mut budget, 0)
}

/// Nesting walked on the call stack before [`fits_deep`] takes over with a heap stack:
/// checked on every state's output, so the common shallow case must not allocate.
const MAX_RECURSION: usize = 48;

/// Whether `value` fits in `budget` (an estimate of its JSON size, spent as it is walked).
fn fits(value: &Value, budget: &mut i64, depth: usize) -> bool {
    if depth > MAX_RECURSION {
        return fits_deep(value, budget);
    }
    *budget -= own_size(value);
    if *budget < 0 {
        return false;
    }
    match value {
        Value::Array(items) => items.iter().all(|v| fits(v, budget, depth + 1)),
        Value::Object(members) => members.values().all(|v| fits(v, budget, depth + 1)),
        _ => true,
    }
}

fn fits_deep(value: &Value, budget: &mut i64) -> bool {
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        *budget -= own_size(v);
        if *budget < 0 {
            return false;
        }
        match v {
            Value::Array(items) => stack.extend(items),
            Value::Object(members) => stack.extend(members.values()),
            _ => {}
        }
    }
    true
}

/// The JSON size of a value without its children: brackets, separators, keys, scalars.
fn own_size(value: &Value) -> i64 {
    let len = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    match value {
        Value::Null | Value::Bool(_) => 5,
        Value::Number(_) => 8,
        Value::String(s) => len(s.len()).saturating_add(2),
        Value::Array(items) => len(items.len()).saturating_add(2),
        Value::Object(members) => members.keys().fold(2i64, |n, k| {
            n.saturating_add(len(k.len())).saturating_add(4)
        }),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A value nested `depth` levels deep in single-member objects.
    fn nested(depth: usize) -> Value {
        (0..depth).fold(json!("leaf"), |inner, _| json!({ "k": inner }))
    }

    #[test]
    fn size_estimate_is_exact_enough_at_the_limit() {
        // {"k":"leaf"}: 2 braces + key 1 + 4 (quotes, colon, comma) + "leaf" 4 + 2 quotes = 13.
        let value = nested(1);
        assert!(!exceeds_size(&value, 13));
        assert!(exceeds_size(&value, 12));
    }

    #[test]
    fn deep_values_are_measured_past_the_recursion_limit_without_overflowing() {
        for depth in [MAX_RECURSION - 1, MAX_RECURSION + 1, 500] {
            let value = nested(depth);
            // Each level is 7 bytes and the leaf 6, as above.
            let size = 7 * depth + 6;
            assert!(!exceeds_size(&value, size), "depth {depth}");
            assert!(exceeds_size(&value, size - 1), "depth {depth}");
        }
    }
}
