//! What a Choice rule's outcome says about the value it tested.
//!
//! A Choice state evaluates its rules in order: the value that reaches rule *k*'s `Next` made
//! rules 1‥k-1 false and rule *k* true; the one that reaches `Default` made every rule false.
//! [`narrow`] turns such an outcome into a narrower [`Shape`]: `IsPresent: true` (or a rule
//! falling through an `IsPresent: false`) makes the field, and every field above it, present;
//! `IsPresent: false` removes it. Any other comparison that was evaluated needs its variable
//! (and a path operand) to exist, since Step Functions fails the execution with
//! `States.Runtime` otherwise. `Not`, `And` and `Or` combine these.
//!
//! `None` means the outcome is impossible for a value of that shape (an `IsPresent` test of a
//! field that is required, or that no schema declares): nothing with that shape takes that
//! transition.

use std::collections::{BTreeMap, BTreeSet};

use crate::asl::model::{ChoiceRule, ComparisonOperator, Condition, Operand};
use crate::asl::path::{Path, PathRoot, Segment};
use crate::flow::access::{Lookup, lookup};
use crate::shape::{Additional, Property, Shape};

/// The values of `shape` for which `condition` evaluates to `outcome` (an over-approximation:
/// it never drops a value that could have that outcome); `None` when there are none.
pub(super) fn narrow(shape: &Shape, condition: &Condition, outcome: bool) -> Option<Shape> {
    match condition {
        Condition::Compare {
            variable,
            operator,
            operand,
        } => {
            if operator.value == ComparisonOperator::IsPresent {
                let Operand::Literal(literal) = operand else {
                    return Some(shape.clone());
                };
                let Some(tested) = literal.as_bool() else {
                    return Some(shape.clone());
                };
                let Some(fields) = input_fields(&variable.value) else {
                    return Some(shape.clone());
                };
                return if tested == outcome {
                    require_path(shape, &fields)
                } else {
                    remove_path(shape, &fields)
                };
            }
            // Every other comparison that completed (true or false) read its variable, and a
            // path operand: both exist. Where the shape says they cannot, the read is reported
            // (E0303) and the shape is kept, so that the states after the Choice are still
            // checked.
            let mut narrowed = shape.clone();
            let operand_path = match operand {
                Operand::Path(p) => Some(&p.value),
                Operand::Literal(_) => None,
            };
            for path in std::iter::once(&variable.value).chain(operand_path) {
                if let Some(present) =
                    input_fields(path).and_then(|fields| require_path(&narrowed, &fields))
                {
                    narrowed = present;
                }
            }
            Some(narrowed)
        }
        Condition::Not(rule) => narrow(shape, &rule.condition, !outcome),
        // And is true when all are (all were evaluated); Or is false when all are.
        Condition::And(rules) if outcome => all(shape, rules, true),
        Condition::Or(rules) if !outcome => all(shape, rules, false),
        // And is false when one of them is (the ones before it may not have been evaluated);
        // Or is true when one of them is.
        Condition::And(rules) | Condition::Or(rules) => rules
            .iter()
            .filter_map(|r| narrow(shape, &r.condition, outcome))
            .reduce(|a, b| a.join(&b)),
        Condition::Jsonata(_) | Condition::Invalid => Some(shape.clone()),
    }
}

/// A value a Choice rule compares with for equality.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Literal {
    Bool(bool),
    String(String),
}

/// Whether some rule matches every value of `shape`, because for one variable the rules test
/// each value it can hold for equality: every value of a string enum (`StringEquals`), or both
/// booleans (`BooleanEquals`). A rule matches when its equality does, alone or as one side of
/// an `Or`, whatever the rules around it.
pub(super) fn rules_cover(shape: &Shape, rules: &[ChoiceRule]) -> bool {
    let mut tested: BTreeMap<Vec<String>, BTreeSet<Literal>> = BTreeMap::new();
    for rule in rules {
        equalities(&rule.condition, &mut tested);
    }
    tested.iter().any(|(fields, matched)| {
        let segments: Vec<Segment> = fields.iter().cloned().map(Segment::Field).collect();
        match lookup(shape, &segments, "$") {
            Lookup::Found { shape, .. } => {
                values(&shape).is_some_and(|values| values.is_subset(matched))
            }
            Lookup::Unknown | Lookup::Absent { .. } => false,
        }
    })
}

/// The equality tests that make `condition` true on their own.
fn equalities(condition: &Condition, out: &mut BTreeMap<Vec<String>, BTreeSet<Literal>>) {
    match condition {
        Condition::Compare {
            variable,
            operator,
            operand: Operand::Literal(literal),
        } => {
            let value = match operator.value {
                ComparisonOperator::StringEquals => {
                    literal.as_str().map(|s| Literal::String(s.to_owned()))
                }
                ComparisonOperator::BooleanEquals => literal.as_bool().map(Literal::Bool),
                _ => None,
            };
            if let (Some(value), Some(fields)) = (value, input_fields(&variable.value)) {
                out.entry(fields).or_default().insert(value);
            }
        }
        Condition::Or(rules) => {
            for rule in rules {
                equalities(&rule.condition, out);
            }
        }
        _ => {}
    }
}

/// Every value a shape allows, when there are few: booleans and string enums.
fn values(shape: &Shape) -> Option<BTreeSet<Literal>> {
    match shape {
        Shape::Bool => Some(BTreeSet::from([Literal::Bool(false), Literal::Bool(true)])),
        Shape::StringEnum(strings) => Some(strings.iter().cloned().map(Literal::String).collect()),
        Shape::Union(alternatives) => {
            alternatives.iter().try_fold(BTreeSet::new(), |mut all, a| {
                all.extend(values(a)?);
                Some(all)
            })
        }
        _ => None,
    }
}

fn all(shape: &Shape, rules: &[ChoiceRule], outcome: bool) -> Option<Shape> {
    rules
        .iter()
        .try_fold(shape.clone(), |acc, r| narrow(&acc, &r.condition, outcome))
}

/// The field names of a `$.a.b` path (none for `$$`, variables, indexes and wildcards).
pub(super) fn input_fields(path: &Path) -> Option<Vec<String>> {
    if path.root != PathRoot::Input {
        return None;
    }
    path.segments
        .iter()
        .map(|s| match s {
            Segment::Field(f) => Some(f.clone()),
            _ => None,
        })
        .collect()
}

/// `shape` where the field at `fields` exists (and so does every field above it); `None` when
/// it cannot.
pub(super) fn require_path(shape: &Shape, fields: &[String]) -> Option<Shape> {
    let Some((first, rest)) = fields.split_first() else {
        return Some(shape.clone());
    };
    match shape {
        Shape::Any => Some(Shape::Any),
        Shape::Object(object) => {
            let mut object = object.clone();
            match object.properties.get_mut(first) {
                Some(property) => {
                    property.shape = require_path(&property.shape, rest)?;
                    property.required = true;
                }
                None => match &object.additional {
                    // As for reads ([`crate::flow::access::lookup`]), a property no schema
                    // declares is absent, also where `additionalProperties` would allow it.
                    Additional::Closed => return None,
                    Additional::Open(extra) if **extra == Shape::Any => return None,
                    // A map's keys are data: any key may be there.
                    Additional::Open(extra) => {
                        let inner = require_path(extra, rest)?;
                        object
                            .properties
                            .insert(first.clone(), Property::new(inner, true));
                    }
                },
            }
            Some(Shape::Object(object))
        }
        Shape::Union(alternatives) => alternatives
            .iter()
            .filter_map(|a| require_path(a, fields))
            .reduce(|a, b| a.join(&b)),
        // Scalars and arrays have no fields.
        _ => None,
    }
}

/// `shape` where the field at `fields` does not exist; `None` when it always does.
pub(super) fn remove_path(shape: &Shape, fields: &[String]) -> Option<Shape> {
    // `$` itself always exists.
    let (first, rest) = fields.split_first()?;
    match shape {
        Shape::Object(object) => {
            let Some(property) = object.properties.get(first) else {
                return Some(shape.clone());
            };
            let mut object = object.clone();
            let inner = if rest.is_empty() {
                None
            } else {
                remove_path(&property.shape, rest)
            };
            match inner {
                Some(inner) => {
                    if let Some(p) = object.properties.get_mut(first) {
                        p.shape = inner;
                    }
                }
                // The child always exists where the parent does: the parent must be absent.
                None if property.required => return None,
                None => {
                    object.properties.remove(first);
                }
            }
            Some(Shape::Object(object))
        }
        Shape::Union(alternatives) => alternatives
            .iter()
            .filter_map(|a| remove_path(a, fields))
            .reduce(|a, b| a.join(&b)),
        // `any` may lack it; scalars and arrays always do.
        other => Some(other.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::access::{Lookup, closed_object, lookup};
    use crate::shape::ObjectShape;

    fn fields(path: &[&str]) -> Vec<String> {
        path.iter().map(|f| (*f).to_owned()).collect()
    }

    fn segments(path: &[&str]) -> Vec<Segment> {
        path.iter()
            .map(|f| Segment::Field((*f).to_owned()))
            .collect()
    }

    fn certain(shape: &Shape, path: &[&str]) -> bool {
        matches!(
            lookup(shape, &segments(path), "$"),
            Lookup::Found { certain: true, .. }
        )
    }

    /// `{ bookId, error?: { Error, Cause } }`: the join of a Task's success and its Catch.
    fn caught() -> Shape {
        let ok = closed_object([("bookId", Shape::String)]);
        let failed = closed_object([
            ("bookId", Shape::String),
            (
                "error",
                closed_object([("Error", Shape::String), ("Cause", Shape::String)]),
            ),
        ]);
        ok.join(&failed)
    }

    #[test]
    fn requiring_a_child_makes_its_parents_present() {
        let shape = caught();
        assert!(!certain(&shape, &["error", "Error"]));
        let Some(narrowed) = require_path(&shape, &fields(&["error", "Error"])) else {
            panic!("the error object can be present");
        };
        assert!(certain(&narrowed, &["error"]));
        assert!(certain(&narrowed, &["error", "Error"]));
        // A field no value has cannot be present in a closed object…
        assert_eq!(require_path(&shape, &fields(&["nope"])), None);
        // …and a scalar has no fields.
        assert_eq!(require_path(&shape, &fields(&["bookId", "x"])), None);
        // Undeclared counts as absent, as for reads…
        let open = Shape::Object(ObjectShape::open());
        assert_eq!(require_path(&open, &fields(&["extra"])), None);
        // …but any key of a map may be there.
        let map = Shape::Object(ObjectShape {
            properties: Default::default(),
            additional: Additional::Open(Box::new(Shape::Integer)),
        });
        let Some(keyed) = require_path(&map, &fields(&["extra"])) else {
            panic!("a map may have the key");
        };
        assert!(certain(&keyed, &["extra"]));
    }

    #[test]
    fn removing_a_field_drops_it_or_is_impossible_when_required() {
        let shape = caught();
        let Some(without) = remove_path(&shape, &fields(&["error"])) else {
            panic!("the error object is optional");
        };
        assert!(matches!(
            lookup(&without, &segments(&["error"]), "$"),
            Lookup::Absent { .. }
        ));
        assert_eq!(remove_path(&shape, &fields(&["bookId"])), None);
        assert_eq!(remove_path(&shape, &[]), None);
        // `$.error.Error` absent: Error is required in the error object, so the error object
        // is absent.
        let Some(without) = remove_path(&shape, &fields(&["error", "Error"])) else {
            panic!("possible when the error object is absent");
        };
        assert!(matches!(
            lookup(&without, &segments(&["error"]), "$"),
            Lookup::Absent { .. }
        ));
    }
}
