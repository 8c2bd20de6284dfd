//! Workflow variables (`Assign`): their scopes and Step Functions' size limits.

use serde_json::{Map, Value};

use crate::error::Failure;
use crate::size::size_within;
use orderflow_model::asl::error_names::names;

/// The most one variable may hold, serialized: "The maximum size of a single variable is
/// 256Kib" (AWS, workflow variables).
pub const MAX_VARIABLE_BYTES: usize = 256 * 1024;
/// The most all values of one `Assign` may hold together.
pub const MAX_ASSIGN_BYTES: usize = 256 * 1024;
/// The most all variables stored in an execution may hold: "cannot exceed 10MiB per execution".
pub const MAX_EXECUTION_BYTES: usize = 10 * 1024 * 1024;

/// The variable scopes of an execution: the top level, then one per Parallel branch or Map
/// iteration being run, each with the bytes its values hold.
#[derive(Debug, Clone)]
pub(super) struct Variables {
    scopes: Vec<Map<String, Value>>,
    bytes: Vec<usize>,
}

impl Variables {
    pub fn new() -> Self {
        Variables {
            scopes: vec![Map::new()],
            bytes: vec![0],
        }
    }

    /// Every scope, outermost first: a name resolves in the innermost scope that has it.
    pub fn scopes(&self) -> &[Map<String, Value>] {
        &self.scopes
    }

    /// Enters a Parallel branch or Map iteration: it reads the outer variables, and what it
    /// assigns is gone when it ends.
    pub fn push(&mut self) {
        self.scopes.push(Map::new());
        self.bytes.push(0);
    }

    pub fn pop(&mut self) {
        if self.scopes.len() > 1 {
            self.scopes.pop();
            self.bytes.pop();
        }
    }

    /// Stores the values of one `Assign` (already all evaluated) in the innermost scope, or
    /// fails with `States.DataLimitExceeded` when a limit would be passed, storing nothing.
    pub fn assign(&mut self, values: Map<String, Value>) -> Result<(), Failure> {
        let mut assign_bytes = 0usize;
        let mut sizes = Vec::with_capacity(values.len());
        for (name, value) in &values {
            let Some(size) = size_within(value, MAX_VARIABLE_BYTES) else {
                return Err(Failure::new(
                    names::DATA_LIMIT_EXCEEDED,
                    format!(
                        "The value assigned to the variable '{name}' exceeds the maximum size of a variable ({MAX_VARIABLE_BYTES} bytes)."
                    ),
                ));
            };
            assign_bytes += size;
            sizes.push(size);
        }
        if assign_bytes > MAX_ASSIGN_BYTES {
            return Err(Failure::new(
                names::DATA_LIMIT_EXCEEDED,
                format!(
                    "The values of the Assign field together exceed the maximum size of an Assign ({MAX_ASSIGN_BYTES} bytes)."
                ),
            ));
        }
        let all_bytes: usize = self.bytes.iter().sum();
        let (Some(scope), Some(scope_bytes)) = (self.scopes.last_mut(), self.bytes.last_mut())
        else {
            return Ok(());
        };
        // The bytes the replaced values free.
        let replaced: usize = values
            .keys()
            .filter_map(|name| scope.get(name))
            .map(|old| size_within(old, MAX_VARIABLE_BYTES).unwrap_or(MAX_VARIABLE_BYTES))
            .sum();
        let others = all_bytes - *scope_bytes;
        let new_scope_bytes = (*scope_bytes).saturating_sub(replaced) + assign_bytes;
        if others + new_scope_bytes > MAX_EXECUTION_BYTES {
            return Err(Failure::new(
                names::DATA_LIMIT_EXCEEDED,
                format!(
                    "The variables stored in the execution would exceed their maximum total size ({MAX_EXECUTION_BYTES} bytes)."
                ),
            ));
        }
        *scope_bytes = new_scope_bytes;
        scope.extend(values);
        Ok(())
    }

    /// Stores variables that several `Assign`s made (a redrive's), one by one: each is held
    /// to a variable's limit and the execution's, not to one `Assign`'s.
    pub fn restore(&mut self, values: Map<String, Value>) -> Result<(), Failure> {
        for (name, value) in values {
            self.assign(Map::from_iter([(name, value)]))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn values(pairs: &[(&str, Value)]) -> Map<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    fn big(bytes: usize) -> Value {
        Value::String("x".repeat(bytes))
    }

    #[test]
    fn inner_scopes_read_outer_values_and_vanish() {
        let mut vars = Variables::new();
        vars.assign(values(&[("a", json!(1))])).unwrap();
        vars.push();
        vars.assign(values(&[("b", json!(2))])).unwrap();
        assert_eq!(vars.scopes().len(), 2);
        vars.pop();
        assert_eq!(vars.scopes(), [values(&[("a", json!(1))])]);
        // The top level is never popped.
        vars.pop();
        assert_eq!(vars.scopes().len(), 1);
    }

    #[test]
    fn one_variable_and_one_assign_are_limited_to_256_kib() {
        let mut vars = Variables::new();
        vars.assign(values(&[("ok", big(MAX_VARIABLE_BYTES - 10))]))
            .unwrap();
        let e = vars
            .assign(values(&[("huge", big(MAX_VARIABLE_BYTES))]))
            .unwrap_err();
        assert_eq!(e.error.as_deref(), Some(names::DATA_LIMIT_EXCEEDED));
        assert!(e.cause.unwrap_or_default().contains("'huge'"));
        let half = big(MAX_ASSIGN_BYTES / 2);
        let e = vars
            .assign(values(&[("a", half.clone()), ("b", half)]))
            .unwrap_err();
        assert!(e.cause.unwrap_or_default().contains("Assign"));
        // Nothing of a failed Assign is stored.
        assert!(!vars.scopes()[0].contains_key("a"));
    }

    #[test]
    fn restored_variables_are_not_one_assign() {
        let mut vars = Variables::new();
        let most = big(MAX_VARIABLE_BYTES - 10);
        // Two values that no single Assign could hold together.
        vars.restore(values(&[("a", most.clone()), ("b", most)]))
            .unwrap();
        assert_eq!(vars.scopes()[0].len(), 2);
        let e = vars
            .restore(values(&[("huge", big(MAX_VARIABLE_BYTES))]))
            .unwrap_err();
        assert!(e.cause.unwrap_or_default().contains("'huge'"));
    }

    #[test]
    fn an_execution_holds_at_most_10_mib_and_replacing_a_value_frees_its_bytes() {
        let mut vars = Variables::new();
        let chunk = big(200 * 1024);
        // 51 × 200 KiB fit in 10 MiB; a 52nd does not.
        for i in 0..51 {
            vars.assign(values(&[(&format!("v{i}"), chunk.clone())]))
                .unwrap();
        }
        // Replacing keeps the total.
        vars.assign(values(&[("v0", chunk.clone())])).unwrap();
        vars.push();
        let e = vars.assign(values(&[("more", chunk.clone())])).unwrap_err();
        assert!(e.cause.unwrap_or_default().contains("10485760"));
    }
}
