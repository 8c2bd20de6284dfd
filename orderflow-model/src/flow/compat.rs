//! Does a value of one shape satisfy a schema's shape? Lists each way it does not.

use crate::diagnostic::Location;
use crate::shape::{Additional, Shape};

#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    /// Where in the payload, e.g. `total.total` (empty for the payload itself).
    pub path: String,
    pub kind: MismatchKind,
    /// Where the requirement is written (the input schema's property).
    pub requirement_origin: Option<Location>,
    /// The nearest enclosing value that exists, and where its shape comes from.
    pub holder_path: String,
    pub holder: Shape,
    pub holder_origin: Option<Location>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum MismatchKind {
    /// Required but absent (`maybe`: absent on some values of this path's shape).
    Missing {
        expected: String,
        maybe: bool,
    },
    WrongType {
        expected: String,
        found: String,
    },
    /// Present, but the schema allows no such property.
    NotAllowed,
    /// A string the value may hold that the schema's `enum` no longer lists (only when
    /// comparing two schemas, [`check_schemas`]).
    ValuesNotAllowed {
        values: Vec<String>,
    },
    /// The object allowed properties beyond its listed ones, and the schema no longer does
    /// (`additionalProperties: false`; only when comparing two schemas).
    Closed,
}

/// What a comparison is between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A propagated value against a schema: types only, and an open object's unknown
    /// properties are taken to be absent (the data-flow check).
    Values,
    /// Every value one schema accepts against another schema (`check --against`): enum values
    /// count, and an open object may hold what a closed one refuses.
    Schemas,
}

impl Mismatch {
    /// `the state has total: { amount }` / `the state is string`.
    /// What was found instead, in words; `value` names the checked value ("the state",
    /// "the MessageBody").
    pub fn found_text(&self, value: &str) -> String {
        if self.holder_path.is_empty() {
            format!("{value} is {}", self.holder)
        } else {
            format!("{value} has {}: {}", self.holder_path, self.holder)
        }
    }
}

/// Checks `value` against `required`, appending mismatches.
pub fn check(value: &Shape, required: &Shape, out: &mut Vec<Mismatch>) {
    walk(Mode::Values, value, required, "", None, None, out);
}

/// Checks that every value the schema shape `old` accepts is accepted by `new`, appending the
/// ways it is not: a property newly required, a type narrowed, an enum value dropped, extra
/// properties refused where they were allowed.
pub fn check_schemas(old: &Shape, new: &Shape, out: &mut Vec<Mismatch>) {
    walk(Mode::Schemas, old, new, "", None, None, out);
}

fn child(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

fn walk(
    mode: Mode,
    value: &Shape,
    required: &Shape,
    path: &str,
    value_origin: Option<&Location>,
    requirement_origin: Option<&Location>,
    out: &mut Vec<Mismatch>,
) {
    let mismatch = |kind| Mismatch {
        path: if path.is_empty() {
            "the payload".into()
        } else {
            path.to_string()
        },
        kind,
        requirement_origin: requirement_origin.cloned(),
        holder_path: path.to_string(),
        holder: value.clone(),
        holder_origin: value_origin.cloned(),
    };
    match (value, required) {
        (_, Shape::Any) => {}
        // Between two schemas, an untyped old one accepted every value: a type now narrows it.
        // (In the data flow, `any` is what is not known, and nothing is reported about it.)
        (Shape::Any, _) if mode == Mode::Schemas => {
            out.push(mismatch(MismatchKind::WrongType {
                expected: required.to_string(),
                found: value.to_string(),
            }));
        }
        (Shape::Any, _) => {}
        (Shape::Union(alternatives), _) => {
            // Every value the state may hold must fit; report the first that does not.
            for alt in alternatives {
                let before = out.len();
                walk(
                    mode,
                    alt,
                    required,
                    path,
                    value_origin,
                    requirement_origin,
                    out,
                );
                if out.len() > before {
                    return;
                }
            }
        }
        (_, Shape::Union(options)) => {
            let fits = options.iter().any(|o| {
                let mut scratch = Vec::new();
                walk(
                    mode,
                    value,
                    o,
                    path,
                    value_origin,
                    requirement_origin,
                    &mut scratch,
                );
                scratch.is_empty()
            });
            if !fits {
                out.push(mismatch(MismatchKind::WrongType {
                    expected: required.to_string(),
                    found: value.to_string(),
                }));
            }
        }
        (Shape::Object(v), Shape::Object(r)) => {
            for (name, rp) in &r.properties {
                let p = child(path, name);
                match v.properties.get(name) {
                    Some(vp) => {
                        if rp.required && !vp.required {
                            out.push(Mismatch {
                                path: p.clone(),
                                kind: MismatchKind::Missing {
                                    expected: rp.shape.to_string(),
                                    maybe: true,
                                },
                                requirement_origin: rp.origin.clone(),
                                holder_path: path.to_string(),
                                holder: value.clone(),
                                holder_origin: value_origin.cloned(),
                            });
                        }
                        walk(
                            mode,
                            &vp.shape,
                            &rp.shape,
                            &p,
                            vp.origin.as_ref().or(value_origin),
                            rp.origin.as_ref(),
                            out,
                        );
                    }
                    // Undeclared counts as absent, also in open objects: the schemas are the
                    // contract, and a renamed property must not slip through.
                    None if rp.required && !v.additional.is_typed() => out.push(Mismatch {
                        path: p,
                        kind: MismatchKind::Missing {
                            expected: rp.shape.to_string(),
                            maybe: false,
                        },
                        requirement_origin: rp.origin.clone(),
                        holder_path: path.to_string(),
                        holder: value.clone(),
                        holder_origin: value_origin.cloned(),
                    }),
                    // A map-like object (`additionalProperties: {schema}`) may carry it.
                    None => {}
                }
            }
            if mode == Mode::Schemas
                && matches!(v.additional, Additional::Open(_))
                && r.additional == Additional::Closed
            {
                out.push(mismatch(MismatchKind::Closed));
            }
            // A map-like object's values (`additionalProperties: {schema}`): every value the old
            // schema allowed under any other name must still be allowed.
            if mode == Mode::Schemas {
                if let (Additional::Open(old), Additional::Open(new)) =
                    (&v.additional, &r.additional)
                {
                    walk(
                        mode,
                        old,
                        new,
                        &child(path, "*"),
                        value_origin,
                        requirement_origin,
                        out,
                    );
                }
            }
            for (name, vp) in &v.properties {
                if r.properties.contains_key(name) {
                    continue;
                }
                match &r.additional {
                    Additional::Closed => out.push(Mismatch {
                        path: child(path, name),
                        kind: MismatchKind::NotAllowed,
                        requirement_origin: requirement_origin.cloned(),
                        holder_path: path.to_string(),
                        holder: value.clone(),
                        holder_origin: vp.origin.clone().or_else(|| value_origin.cloned()),
                    }),
                    Additional::Open(extra) => walk(
                        mode,
                        &vp.shape,
                        extra,
                        &child(path, name),
                        vp.origin.as_ref(),
                        requirement_origin,
                        out,
                    ),
                }
            }
        }
        (Shape::Array(v), Shape::Array(r)) => walk(
            mode,
            v,
            r,
            &format!("{path}[]"),
            value_origin,
            requirement_origin,
            out,
        ),
        (Shape::Integer, Shape::Number) => {}
        // Between two schemas, a string the old one accepts must stay accepted.
        (Shape::StringEnum(old), Shape::StringEnum(new)) if mode == Mode::Schemas => {
            let values: Vec<String> = old.difference(new).cloned().collect();
            if !values.is_empty() {
                out.push(mismatch(MismatchKind::ValuesNotAllowed { values }));
            }
        }
        (Shape::String, Shape::StringEnum(_)) if mode == Mode::Schemas => {
            out.push(mismatch(MismatchKind::WrongType {
                expected: required.to_string(),
                found: value.to_string(),
            }));
        }
        // Types are compared here, not enum values.
        (Shape::String | Shape::StringEnum(_), Shape::String | Shape::StringEnum(_)) => {}
        (a, b) if a == b => {}
        _ => out.push(mismatch(MismatchKind::WrongType {
            expected: required.to_string(),
            found: value.to_string(),
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::access::closed_object;
    use crate::shape::{ObjectShape, Property};

    fn open(props: &[(&str, Shape, bool)]) -> Shape {
        let mut o = ObjectShape::open();
        for (n, s, r) in props {
            o = o.with(*n, Property::new(s.clone(), *r));
        }
        Shape::Object(o)
    }

    #[test]
    fn renamed_property_is_missing() {
        let state = closed_object([("total", closed_object([("amount", Shape::Number)]))]);
        let needs = open(&[("total", open(&[("total", Shape::Number, true)]), true)]);
        let mut out = Vec::new();
        check(&state, &needs, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].path, "total.total");
        assert_eq!(out[0].holder_path, "total");
        assert!(matches!(
            out[0].kind,
            MismatchKind::Missing { maybe: false, .. }
        ));
        assert_eq!(
            out[0].found_text("the state"),
            "the state has total: { amount }"
        );
    }

    #[test]
    fn wrong_types_and_integer_widening() {
        let needs = open(&[
            ("quantity", Shape::Integer, true),
            ("price", Shape::Number, true),
        ]);
        let ok = closed_object([("quantity", Shape::Integer), ("price", Shape::Integer)]);
        let mut out = Vec::new();
        check(&ok, &needs, &mut out);
        assert!(out.is_empty(), "{out:?}");
        let bad = closed_object([("quantity", Shape::String), ("price", Shape::Number)]);
        check(&bad, &needs, &mut out);
        assert_eq!(out.len(), 1);
        assert!(
            matches!(&out[0].kind, MismatchKind::WrongType { expected, found } if expected == "integer" && found == "string")
        );
    }

    #[test]
    fn optional_on_some_path_is_a_maybe_missing() {
        let state = open(&[("points", Shape::Number, false)]);
        let needs = open(&[("points", Shape::Number, true)]);
        let mut out = Vec::new();
        check(&state, &needs, &mut out);
        assert!(matches!(
            out[0].kind,
            MismatchKind::Missing { maybe: true, .. }
        ));
    }

    #[test]
    fn closed_schemas_refuse_extra_properties() {
        let needs =
            Shape::Object(ObjectShape::closed().with("a", Property::new(Shape::String, true)));
        let state = closed_object([("a", Shape::String), ("b", Shape::Bool)]);
        let mut out = Vec::new();
        check(&state, &needs, &mut out);
        assert_eq!(out[0].path, "b");
        assert_eq!(out[0].kind, MismatchKind::NotAllowed);
    }

    #[test]
    fn between_schemas_enum_values_and_closing_count() {
        let colours =
            |values: &[&str]| Shape::StringEnum(values.iter().map(|v| (*v).to_string()).collect());
        let old = open(&[("colour", colours(&["red", "green"]), true)]);
        let narrowed = Shape::Object(
            ObjectShape::closed().with("colour", Property::new(colours(&["red"]), true)),
        );
        let mut out = Vec::new();
        check_schemas(&old, &narrowed, &mut out);
        let kinds: Vec<_> = out.iter().map(|m| m.kind.clone()).collect();
        assert_eq!(
            kinds,
            [
                MismatchKind::ValuesNotAllowed {
                    values: vec!["green".into()]
                },
                MismatchKind::Closed,
            ]
        );
        // A propagated value is compared by type only.
        out.clear();
        check(&old, &narrowed, &mut out);
        assert!(out.is_empty(), "{out:?}");
        // Widening is no break.
        out.clear();
        check_schemas(&narrowed, &old, &mut out);
        assert!(out.is_empty(), "{out:?}");
    }

    /// An untyped old property accepted every value, so a type narrows it; the values of a
    /// map-like object (`additionalProperties: {schema}`) narrow like a property. Neither is a
    /// finding in the data flow, where `any` is what is not known.
    #[test]
    fn between_schemas_a_new_type_and_narrower_map_values_break() {
        let old = open(&[("note", Shape::Any, false)]);
        let typed = open(&[("note", Shape::String, false)]);
        let mut out = Vec::new();
        check_schemas(&old, &typed, &mut out);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].path, "note");
        out.clear();
        check(&old, &typed, &mut out);
        assert!(out.is_empty(), "{out:?}");

        let map = |values: Shape| {
            let mut o = ObjectShape::open();
            o.additional = Additional::Open(Box::new(values));
            Shape::Object(o)
        };
        out.clear();
        check_schemas(&map(Shape::Number), &map(Shape::Integer), &mut out);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].path, "*");
        // Widening the values is no break.
        out.clear();
        check_schemas(&map(Shape::Integer), &map(Shape::Number), &mut out);
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn unions_must_fit_in_every_alternative() {
        let needs = Shape::String;
        let mut out = Vec::new();
        check(
            &Shape::Union(vec![Shape::String, Shape::Null]),
            &needs,
            &mut out,
        );
        assert_eq!(out.len(), 1);
        out.clear();
        check(
            &Shape::String,
            &Shape::Union(vec![Shape::String, Shape::Null]),
            &mut out,
        );
        assert!(out.is_empty());
    }
}
