//! Transition coverage: which states, Choice rules, Catch clauses and retriers executions
//! reached, counted so that records of many executions (and many processes) add up.
//!
//! An execution records it when [`crate::ExecutionOptions::coverage`] is set; a
//! [`CoverageFile`] holds the records of several workflows, keyed by their definition file,
//! and files merge by adding counts. What exists to be covered comes from the definition, when a
//! report is made, so a record stays valid as long as state names do.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The key a Choice state's Default gets among its rule indices.
pub const DEFAULT_RULE: &str = "Default";

/// What executions of one workflow reached. State names are unique in a state machine,
/// Parallel branches and Map iterations included, so they identify states.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Coverage {
    /// Executions recorded.
    #[serde(default)]
    pub executions: u64,
    /// Times each state was entered (inside Parallel branches and Map iterations too).
    #[serde(default)]
    pub states: BTreeMap<String, u64>,
    /// Per Choice state, times each rule was taken, by index from 0 (or [`DEFAULT_RULE`]).
    #[serde(default)]
    pub choices: BTreeMap<String, BTreeMap<String, u64>>,
    /// Per state, times each Catch clause was taken, by index from 0.
    #[serde(default)]
    pub catches: BTreeMap<String, BTreeMap<String, u64>>,
    /// Per state, retries each retrier made, by index from 0.
    #[serde(default)]
    pub retries: BTreeMap<String, BTreeMap<String, u64>>,
    /// Executions by how they ended: `SUCCEEDED`, or the status and error (`FAILED PaymentError`).
    #[serde(default)]
    pub outcomes: BTreeMap<String, u64>,
}

fn add_counts(into: &mut BTreeMap<String, u64>, from: &BTreeMap<String, u64>) {
    for (key, n) in from {
        *into.entry(key.clone()).or_default() += n;
    }
}

fn add_nested(
    into: &mut BTreeMap<String, BTreeMap<String, u64>>,
    from: &BTreeMap<String, BTreeMap<String, u64>>,
) {
    for (key, counts) in from {
        add_counts(into.entry(key.clone()).or_default(), counts);
    }
}

fn bump(map: &mut BTreeMap<String, u64>, key: &str) {
    *map.entry(key.to_owned()).or_default() += 1;
}

impl Coverage {
    /// Adds `other`'s counts to these.
    pub fn merge(&mut self, other: &Coverage) {
        self.executions += other.executions;
        add_counts(&mut self.states, &other.states);
        add_nested(&mut self.choices, &other.choices);
        add_nested(&mut self.catches, &other.catches);
        add_nested(&mut self.retries, &other.retries);
        add_counts(&mut self.outcomes, &other.outcomes);
    }

    pub(crate) fn entered(&mut self, state: &str) {
        bump(&mut self.states, state);
    }

    pub(crate) fn choice(&mut self, state: &str, rule: Option<usize>) {
        let key = rule.map_or_else(|| DEFAULT_RULE.to_owned(), |i| i.to_string());
        bump(self.choices.entry(state.to_owned()).or_default(), &key);
    }

    pub(crate) fn caught(&mut self, state: &str, catcher: usize) {
        bump(
            self.catches.entry(state.to_owned()).or_default(),
            &catcher.to_string(),
        );
    }

    pub(crate) fn retried(&mut self, state: &str, retrier: usize) {
        bump(
            self.retries.entry(state.to_owned()).or_default(),
            &retrier.to_string(),
        );
    }

    pub(crate) fn ended(&mut self, outcome: String) {
        self.executions += 1;
        *self.outcomes.entry(outcome).or_default() += 1;
    }
}

/// Coverage of several workflows, by definition file: what `run --coverage` and
/// `ORDERFLOW_COVERAGE` write, and `orderflow-codegen coverage` reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoverageFile {
    /// The format's version.
    pub version: u32,
    /// By the definition file's path, as the executions named it.
    pub workflows: BTreeMap<String, Coverage>,
}

/// The version [`CoverageFile`]s are written with.
pub const COVERAGE_VERSION: u32 = 1;

impl CoverageFile {
    /// An empty file.
    pub fn new() -> Self {
        CoverageFile {
            version: COVERAGE_VERSION,
            workflows: BTreeMap::new(),
        }
    }

    /// Adds one workflow's record.
    pub fn add(&mut self, definition: &str, coverage: &Coverage) {
        self.workflows
            .entry(definition.to_owned())
            .or_default()
            .merge(coverage);
    }

    /// Adds every record of `other`.
    pub fn merge(&mut self, other: &CoverageFile) {
        for (definition, coverage) in &other.workflows {
            self.add(definition, coverage);
        }
    }

    /// Reads a file's text.
    ///
    /// # Errors
    ///
    /// Not JSON, or not a coverage file of a version this reads.
    pub fn parse(text: &str) -> Result<Self, String> {
        let file: CoverageFile = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if file.version != COVERAGE_VERSION {
            return Err(format!(
                "coverage format version {} (this orderflow reads {COVERAGE_VERSION})",
                file.version
            ));
        }
        Ok(file)
    }

    /// Adds this file's records to the coverage file at `path` (created if absent), written
    /// whole through a temporary file beside it and a rename, so a reader never sees half a file.
    ///
    /// # Errors
    ///
    /// The file exists and is not a coverage file, or cannot be read or written.
    pub fn add_to(&self, path: &std::path::Path) -> Result<(), String> {
        let mut merged = match std::fs::read_to_string(path) {
            Ok(text) => CoverageFile::parse(&text)
                .map_err(|e| format!("{}: not a coverage file: {e}", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => CoverageFile::new(),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        merged.merge(self);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "coverage.json".into());
        let temporary = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
        std::fs::write(&temporary, merged.to_text())
            .and_then(|()| std::fs::rename(&temporary, path))
            .map_err(|e| {
                let _ = std::fs::remove_file(&temporary);
                format!("cannot write {}: {e}", path.display())
            })
    }

    /// The file's text: pretty JSON, keys in order, a trailing newline.
    pub fn to_text(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_add_up_and_read_back() {
        let mut one = Coverage::default();
        one.entered("A");
        one.choice("Pick", Some(1));
        one.choice("Pick", None);
        one.caught("Task", 0);
        one.ended("SUCCEEDED".into());
        let mut file = CoverageFile::new();
        file.add("w.asl.json", &one);
        file.add("w.asl.json", &one);
        let back = CoverageFile::parse(&file.to_text()).unwrap_or_default();
        let w = &back.workflows["w.asl.json"];
        assert_eq!(w.executions, 2);
        assert_eq!(w.states["A"], 2);
        assert_eq!(w.choices["Pick"]["1"], 2);
        assert_eq!(w.choices["Pick"][DEFAULT_RULE], 2);
        assert_eq!(w.catches["Task"]["0"], 2);
        assert!(CoverageFile::parse(r#"{"version": 9, "workflows": {}}"#).is_err());
        assert!(CoverageFile::parse("nope").is_err());
    }
}
