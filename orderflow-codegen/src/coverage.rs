//! Coverage reports: what recorded executions reached ([`orderflow_exec::CoverageFile`])
//! against what each definition holds: every state, every Choice rule and Default, every Catch
//! clause, on the lines of the file the user wrote.

use std::fmt::Write as _;

use serde_json::{Value, json};

use orderflow_exec::{Coverage, DEFAULT_RULE};
use orderflow_model::asl::model::{StateKind, StateMachine};

/// One thing to cover, where it is written.
struct Target {
    /// 1-based line in the definition's file.
    line: usize,
    hits: u64,
}

/// A branch point (a Choice state, or a state's Catch clauses) and its branches.
struct Branches {
    state: String,
    /// (what the branch is — `rule 0`, `Default`, `Catch 1` — its line, times taken).
    branches: Vec<(String, usize, u64)>,
}

/// A state never entered (`branch` is `None`), or a Choice branch (`rule 1`, `Default`) or
/// Catch edge (`Catch 0`) of `state` never taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Missed {
    pub state: String,
    pub branch: Option<String>,
    /// 1-based line in the definition's file.
    pub line: usize,
}

/// What a definition holds to cover, and how much of it a record reached.
pub struct WorkflowReport {
    /// The definition file, as the record names it.
    pub definition: String,
    states: Vec<(String, Target)>,
    choices: Vec<Branches>,
    catches: Vec<Branches>,
    outcomes: Vec<(String, u64)>,
    executions: u64,
}

/// (covered, total).
fn ratio<'a>(counts: impl Iterator<Item = &'a u64>) -> (usize, usize) {
    counts.fold((0, 0), |(hit, all), n| (hit + usize::from(*n > 0), all + 1))
}

impl WorkflowReport {
    /// The report of `coverage` for `machine` (loaded from `definition`).
    pub fn new(definition: &str, machine: &StateMachine, coverage: &Coverage) -> Self {
        let line = |span: orderflow_model::json::Span| machine.file.line_col(span.start).0;
        let mut states = Vec::new();
        let mut choices = Vec::new();
        let mut catches = Vec::new();
        for state in &machine.states {
            let name = &state.name.value;
            states.push((
                name.clone(),
                Target {
                    line: line(state.name.span),
                    hits: coverage.states.get(name).copied().unwrap_or(0),
                },
            ));
            let taken = |map: &std::collections::BTreeMap<
                String,
                std::collections::BTreeMap<String, u64>,
            >,
                         key: &str| {
                map.get(name).and_then(|m| m.get(key)).copied().unwrap_or(0)
            };
            if let StateKind::Choice(choice) = &state.kind {
                let mut branches: Vec<(String, usize, u64)> = choice
                    .choices
                    .iter()
                    .enumerate()
                    .map(|(i, rule)| {
                        (
                            format!("rule {i}"),
                            line(rule.span),
                            taken(&coverage.choices, &i.to_string()),
                        )
                    })
                    .collect();
                if let Some(default) = &choice.default {
                    branches.push((
                        DEFAULT_RULE.to_owned(),
                        line(default.name.span),
                        taken(&coverage.choices, DEFAULT_RULE),
                    ));
                }
                choices.push(Branches {
                    state: name.clone(),
                    branches,
                });
            }
            let catchers = match &state.kind {
                StateKind::Task(t) => Some(&t.errors.catch),
                StateKind::Parallel(p) => Some(&p.errors.catch),
                StateKind::Map(m) => Some(&m.errors.catch),
                _ => None,
            };
            if let Some(catchers) = catchers.filter(|c| !c.is_empty()) {
                catches.push(Branches {
                    state: name.clone(),
                    branches: catchers
                        .iter()
                        .enumerate()
                        .map(|(i, c)| {
                            (
                                format!("Catch {i}"),
                                line(c.next.name.span),
                                taken(&coverage.catches, &i.to_string()),
                            )
                        })
                        .collect(),
                });
            }
        }
        WorkflowReport {
            definition: definition.to_owned(),
            states,
            choices,
            catches,
            outcomes: coverage
                .outcomes
                .iter()
                .map(|(k, v)| (k.clone(), *v))
                .collect(),
            executions: coverage.executions,
        }
    }

    /// What no execution reached: states never entered, Choice branches and Catch edges never
    /// taken, in the definition's order.
    pub(crate) fn missed(&self) -> Vec<Missed> {
        let mut missed: Vec<Missed> = self
            .states
            .iter()
            .filter(|(_, t)| t.hits == 0)
            .map(|(name, t)| Missed {
                state: name.clone(),
                branch: None,
                line: t.line,
            })
            .collect();
        for b in self.choices.iter().chain(&self.catches) {
            missed.extend(
                b.branches
                    .iter()
                    .filter(|(_, _, n)| *n == 0)
                    .map(|(what, line, _)| Missed {
                        state: b.state.clone(),
                        branch: Some(what.clone()),
                        line: *line,
                    }),
            );
        }
        missed
    }

    /// `states 12/15, Choice branches 5/7, Catch edges 2/6`.
    pub(crate) fn summary(&self) -> String {
        let (sh, st) = self.state_ratio();
        let (ch, ct) = Self::branch_ratio(&self.choices);
        let (xh, xt) = Self::branch_ratio(&self.catches);
        format!("states {sh}/{st}, Choice branches {ch}/{ct}, Catch edges {xh}/{xt}")
    }

    fn state_ratio(&self) -> (usize, usize) {
        ratio(self.states.iter().map(|(_, t)| &t.hits))
    }

    fn branch_ratio(branches: &[Branches]) -> (usize, usize) {
        ratio(
            branches
                .iter()
                .flat_map(|b| b.branches.iter().map(|(_, _, n)| n)),
        )
    }

    /// `states 12/15, Choice branches 5/7, Catch edges 2/6` and what was not reached.
    pub fn text(&self) -> String {
        let mut out = format!(
            "{}: {} execution{}\n  {}\n",
            self.definition,
            self.executions,
            if self.executions == 1 { "" } else { "s" },
            self.summary()
        );
        let never: Vec<&str> = self
            .states
            .iter()
            .filter(|(_, t)| t.hits == 0)
            .map(|(n, _)| n.as_str())
            .collect();
        if !never.is_empty() {
            let _ = writeln!(out, "  states never entered: {}", never.join(", "));
        }
        for (kind, list) in [("Choice", &self.choices), ("Catch", &self.catches)] {
            for b in list {
                let missed: Vec<&str> = b
                    .branches
                    .iter()
                    .filter(|(_, _, n)| *n == 0)
                    .map(|(what, _, _)| what.as_str())
                    .collect();
                if !missed.is_empty() {
                    let _ = writeln!(
                        out,
                        "  {kind} of \"{}\" never taken: {}",
                        b.state,
                        missed.join(", ")
                    );
                }
            }
        }
        if !self.outcomes.is_empty() {
            let outcomes: Vec<String> = self
                .outcomes
                .iter()
                .map(|(o, n)| format!("{o} ×{n}"))
                .collect();
            let _ = writeln!(out, "  outcomes: {}", outcomes.join(", "));
        }
        out
    }

    /// The report as JSON: the totals and every target with its count.
    pub fn json(&self) -> Value {
        let (sh, st) = self.state_ratio();
        let (ch, ct) = Self::branch_ratio(&self.choices);
        let (xh, xt) = Self::branch_ratio(&self.catches);
        let branches = |list: &[Branches]| -> Value {
            list.iter()
                .map(|b| {
                    let taken: serde_json::Map<String, Value> = b
                        .branches
                        .iter()
                        .map(|(what, _, n)| (what.clone(), json!(n)))
                        .collect();
                    (b.state.clone(), Value::Object(taken))
                })
                .collect::<serde_json::Map<String, Value>>()
                .into()
        };
        json!({
            "definition": self.definition,
            "executions": self.executions,
            "states": {"covered": sh, "total": st},
            "choiceBranches": {"covered": ch, "total": ct},
            "catchEdges": {"covered": xh, "total": xt},
            "stateCounts": self.states.iter().map(|(n, t)| (n.clone(), json!(t.hits))).collect::<serde_json::Map<String, Value>>(),
            "choices": branches(&self.choices),
            "catches": branches(&self.catches),
            "outcomes": self.outcomes.iter().map(|(o, n)| (o.clone(), json!(n))).collect::<serde_json::Map<String, Value>>(),
        })
    }

    /// lcov's tracefile format on the definition's lines: each state a line (`DA`), each Choice
    /// rule, Default and Catch clause a branch (`BRDA`, one block per state).
    pub fn lcov(&self) -> String {
        let mut out = format!("TN:\nSF:{}\n", self.definition);
        let mut lines: Vec<(usize, u64)> =
            self.states.iter().map(|(_, t)| (t.line, t.hits)).collect();
        lines.sort_unstable();
        // Two states on one line (a minified definition): one line, their counts added.
        lines.dedup_by(|b, a| {
            if a.0 == b.0 {
                a.1 += b.1;
                true
            } else {
                false
            }
        });
        let mut branches = 0;
        let mut branches_hit = 0;
        for (block, b) in self.choices.iter().chain(&self.catches).enumerate() {
            for (index, (_, line, n)) in b.branches.iter().enumerate() {
                branches += 1;
                branches_hit += usize::from(*n > 0);
                // A branch whose state was never reached is `-`, as lcov marks untaken blocks.
                let entered = self
                    .states
                    .iter()
                    .any(|(name, t)| *name == b.state && t.hits > 0);
                let taken = if entered { n.to_string() } else { "-".into() };
                let _ = writeln!(out, "BRDA:{line},{block},{index},{taken}");
            }
        }
        for (line, hits) in &lines {
            let _ = writeln!(out, "DA:{line},{hits}");
        }
        let _ = writeln!(out, "BRF:{branches}\nBRH:{branches_hit}");
        let _ = writeln!(
            out,
            "LF:{}\nLH:{}",
            lines.len(),
            lines.iter().filter(|(_, h)| *h > 0).count()
        );
        out.push_str("end_of_record\n");
        out
    }

    /// GitHub Actions annotations on the states no execution entered.
    pub fn github(&self) -> String {
        self.states
            .iter()
            .filter(|(_, t)| t.hits == 0)
            .map(|(name, t)| {
                format!(
                    "::warning file={},line={},title=orderflow coverage::state \"{name}\" was never entered by the recorded executions\n",
                    self.definition, t.line
                )
            })
            .collect()
    }
}
