//! Reading and writing shapes through ASL paths, the way Step Functions applies them to values.

use std::collections::BTreeMap;

use crate::asl::path::Segment;
use crate::diagnostic::Location;
use crate::json::{Json, JsonKind};
use crate::shape::{Additional, ObjectShape, Property, Shape};

/// What a path finds in a shape.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    /// Something of this shape; `certain` when it is present on every value of the shape.
    Found { shape: Shape, certain: bool },
    /// The shape says too little to tell (open objects, `any`, wildcards).
    Unknown,
    /// Provably absent: `prefix` (a path) exists and holds `holder`, which cannot have the rest.
    Absent {
        prefix: String,
        holder: Shape,
        origin: Option<Location>,
    },
}

impl Lookup {
    pub fn shape_or_any(&self) -> Shape {
        match self {
            Lookup::Found { shape, .. } => shape.clone(),
            _ => Shape::Any,
        }
    }
}

/// Follows `segments` from `shape`; `root` is how the path starts (`$`, `$$`, …) for messages.
pub fn lookup(shape: &Shape, segments: &[Segment], root: &str) -> Lookup {
    lookup_from(shape, segments, root.to_string(), None)
}

fn lookup_from(
    shape: &Shape,
    segments: &[Segment],
    prefix: String,
    origin: Option<Location>,
) -> Lookup {
    let Some((first, rest)) = segments.split_first() else {
        return Lookup::Found {
            shape: shape.clone(),
            certain: true,
        };
    };
    match shape {
        Shape::Any => Lookup::Unknown,
        Shape::Union(alternatives) => {
            let mut found: Option<Shape> = None;
            let mut certain = true;
            let mut absent = None;
            for alt in alternatives {
                match lookup_from(alt, segments, prefix.clone(), origin.clone()) {
                    Lookup::Found { shape, certain: c } => {
                        certain &= c;
                        found = Some(match found {
                            Some(f) => f.join(&shape),
                            None => shape,
                        });
                    }
                    Lookup::Unknown => return Lookup::Unknown,
                    a @ Lookup::Absent { .. } => {
                        certain = false;
                        absent.get_or_insert(a);
                    }
                }
            }
            match (found, absent) {
                (Some(shape), _) => Lookup::Found { shape, certain },
                (None, Some(a)) => a,
                (None, None) => Lookup::Unknown,
            }
        }
        Shape::Object(object) => match first {
            Segment::Field(name) => {
                let next_prefix = join_field(&prefix, name);
                match object.properties.get(name) {
                    Some(p) => match lookup_from(&p.shape, rest, next_prefix, p.origin.clone()) {
                        Lookup::Found { shape, certain } => Lookup::Found {
                            shape,
                            certain: certain && p.required,
                        },
                        other => other,
                    },
                    None => match &object.additional {
                        // Schemas are the contract: a property no schema declares is taken
                        // to be absent even where `additionalProperties` would allow it.
                        Additional::Closed => Lookup::Absent {
                            prefix,
                            holder: shape.clone(),
                            origin,
                        },
                        Additional::Open(extra) if **extra == Shape::Any => Lookup::Absent {
                            prefix,
                            holder: shape.clone(),
                            origin,
                        },
                        Additional::Open(extra) => {
                            match lookup_from(extra, rest, next_prefix, None) {
                                Lookup::Found { shape, .. } => Lookup::Found {
                                    shape,
                                    certain: false,
                                },
                                other => other,
                            }
                        }
                    },
                }
            }
            _ => Lookup::Unknown,
        },
        Shape::Array(item) => match first {
            Segment::Index(_) => match lookup_from(item, rest, format!("{prefix}[…]"), origin) {
                // An index may be out of range.
                Lookup::Found { shape, .. } => Lookup::Found {
                    shape,
                    certain: false,
                },
                other => other,
            },
            Segment::Field(_) => Lookup::Absent {
                prefix,
                holder: shape.clone(),
                origin,
            },
            _ => Lookup::Unknown,
        },
        // Scalars have no fields; wildcards and filters over them select nothing either.
        _ => match first {
            Segment::Field(_) | Segment::Index(_) => Lookup::Absent {
                prefix,
                holder: shape.clone(),
                origin,
            },
            _ => Lookup::Unknown,
        },
    }
}

fn join_field(prefix: &str, name: &str) -> String {
    if name.chars().all(|c| c.is_alphanumeric() || c == '_') && !name.is_empty() {
        format!("{prefix}.{name}")
    } else {
        format!("{prefix}['{name}']")
    }
}

/// Why a ResultPath cannot be applied: `prefix` holds `holder`, which is not an object.
#[derive(Debug, Clone, PartialEq)]
pub struct SetFailure {
    pub prefix: String,
    pub holder: Shape,
}

/// `ResultPath` semantics: writes `value` at `fields` inside `target`, creating intermediate
/// objects; fails (States.ResultPathMatchFailure) when it must go through a non-object.
pub fn set(
    target: &Shape,
    fields: &[&str],
    value: Shape,
    origin: &Location,
) -> Result<Shape, SetFailure> {
    set_from(target, fields, value, origin, "$".to_string())
}

fn set_from(
    target: &Shape,
    fields: &[&str],
    value: Shape,
    origin: &Location,
    prefix: String,
) -> Result<Shape, SetFailure> {
    let Some((first, rest)) = fields.split_first() else {
        return Ok(value);
    };
    match target {
        // Unknown input stays unknown: what else it holds is not known, so no read from it
        // can be said to find nothing (untyped functions return this).
        Shape::Any => Ok(Shape::Any),
        Shape::Object(object) => {
            let mut object = object.clone();
            let existing = object.properties.get(*first).map(|p| p.shape.clone());
            let next_prefix = join_field(&prefix, first);
            let inner = match existing {
                Some(s) => set_from(&s, rest, value, origin, next_prefix)?,
                None => set_from(
                    &Shape::object(ObjectShape::closed()),
                    rest,
                    value,
                    origin,
                    next_prefix,
                )?,
            };
            object.properties.insert(
                (*first).to_string(),
                Property::new(inner, true).with_origin(Some(origin.clone())),
            );
            Ok(Shape::Object(object))
        }
        Shape::Union(alternatives) => {
            // Only the object alternatives survive; if none is an object, the write fails.
            let mut out: Option<Shape> = None;
            let mut failure = None;
            for alt in alternatives {
                match set_from(alt, fields, value.clone(), origin, prefix.clone()) {
                    Ok(s) => out = Some(out.map_or(s.clone(), |o| o.join(&s))),
                    Err(f) => failure = Some(f),
                }
            }
            match (out, failure) {
                (Some(s), _) => Ok(s),
                (None, Some(f)) => Err(f),
                (None, None) => Ok(Shape::Any),
            }
        }
        other => Err(SetFailure {
            prefix,
            holder: other.clone(),
        }),
    }
}

/// The exact shape of a JSON constant (Pass `Result`, literal payload members).
pub fn shape_of_json(json: &Json, origin: &Location) -> Shape {
    match &json.kind {
        JsonKind::Null => Shape::Null,
        JsonKind::Bool(_) => Shape::Bool,
        JsonKind::Number(n) if n.is_i64() || n.is_u64() => Shape::Integer,
        JsonKind::Number(_) => Shape::Number,
        JsonKind::String(_) => Shape::String,
        JsonKind::Array(items) => {
            let item = items
                .iter()
                .map(|i| shape_of_json(i, origin))
                .reduce(|a, b| a.join(&b));
            Shape::Array(Box::new(item.unwrap_or(Shape::Any)))
        }
        JsonKind::Object(members) => {
            let mut properties = BTreeMap::new();
            for m in members {
                let mut loc = origin.clone();
                loc.pointer = crate::json::push_pointer(&origin.pointer, &m.key);
                loc.span = m.key_span;
                let shape = shape_of_json(&m.value, &loc);
                properties.insert(
                    m.key.clone(),
                    Property::new(shape, true).with_origin(Some(loc)),
                );
            }
            Shape::Object(ObjectShape {
                properties,
                additional: Additional::Closed,
            })
        }
    }
}

/// An object with the given (present) properties and nothing else.
pub fn closed_object<I: IntoIterator<Item = (&'static str, Shape)>>(props: I) -> Shape {
    let mut object = ObjectShape::closed();
    for (name, shape) in props {
        object = object.with(name, Property::new(shape, true));
    }
    Shape::Object(object)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::Span;
    use crate::source::SourceFile;

    fn loc() -> Location {
        Location::new(&SourceFile::new("t.json", "{}"), "", Span::default())
    }

    fn field(n: &str) -> Segment {
        Segment::Field(n.to_string())
    }

    #[test]
    fn lookup_distinguishes_found_absent_and_unknown() {
        let book = closed_object([("price", Shape::Number)]);
        let state = closed_object([("book", book), ("quantity", Shape::Integer)]);
        assert_eq!(
            lookup(&state, &[field("book"), field("price")], "$"),
            Lookup::Found {
                shape: Shape::Number,
                certain: true
            }
        );
        match lookup(&state, &[field("book"), field("cost")], "$") {
            Lookup::Absent { prefix, .. } => assert_eq!(prefix, "$.book"),
            other => panic!("{other:?}"),
        }
        match lookup(&state, &[field("quantity"), field("x")], "$") {
            Lookup::Absent { holder, .. } => assert_eq!(holder, Shape::Integer),
            other => panic!("{other:?}"),
        }
        // Undeclared counts as absent even where additionalProperties would allow it…
        let open = Shape::Object(ObjectShape::open());
        assert!(matches!(
            lookup(&open, &[field("x")], "$"),
            Lookup::Absent { .. }
        ));
        // …but a map's keys are data: any key may be there.
        let map = Shape::Object(ObjectShape {
            properties: BTreeMap::new(),
            additional: Additional::Open(Box::new(Shape::Integer)),
        });
        assert_eq!(
            lookup(&map, &[field("x")], "$"),
            Lookup::Found {
                shape: Shape::Integer,
                certain: false
            }
        );
        assert_eq!(lookup(&Shape::Any, &[field("x")], "$"), Lookup::Unknown);
    }

    #[test]
    fn lookup_through_a_union_is_uncertain_when_one_side_lacks_it() {
        let a = closed_object([("total", Shape::Number), ("points", Shape::Number)]);
        let b = closed_object([("total", Shape::Number)]);
        let u = Shape::Union(vec![a, Shape::Null]);
        assert!(matches!(
            lookup(&u, &[field("points")], "$"),
            Lookup::Found { certain: false, .. }
        ));
        let j = b.join(&closed_object([
            ("total", Shape::Number),
            ("points", Shape::Number),
        ]));
        assert!(matches!(
            lookup(&j, &[field("points")], "$"),
            Lookup::Found { certain: false, .. }
        ));
    }

    #[test]
    fn set_creates_intermediate_objects_and_refuses_scalars() {
        let state = closed_object([("a", Shape::String)]);
        let out = set(&state, &["b", "c"], Shape::Bool, &loc()).unwrap();
        assert!(matches!(
            lookup(&out, &[field("b"), field("c")], "$"),
            Lookup::Found {
                shape: Shape::Bool,
                certain: true
            }
        ));
        let err = set(&state, &["a", "x"], Shape::Bool, &loc()).unwrap_err();
        assert_eq!(err.prefix, "$.a");
        assert_eq!(set(&state, &[], Shape::Null, &loc()).unwrap(), Shape::Null);
    }
}
