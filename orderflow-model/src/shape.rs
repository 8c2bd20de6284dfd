//! The JSON shapes the data-flow check propagates.
//!
//! A `Shape` describes the set of JSON values a state can hold at one point. The same type
//! describes what a function *requires* (from its input schema): there `required` means "must be
//! present"; in a propagated value it means "present on every path that reaches here".

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::diagnostic::Location;

/// The set of JSON values a point of the workflow can hold, or a function requires.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// Nothing is known (opaque integrations, untyped JSON, `{}` schemas).
    Any,
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool,
    /// A whole number.
    Integer,
    /// Any number, integers included.
    Number,
    /// Any string.
    String,
    /// A string that is one of these values (a schema's string `enum` or `const`). Wherever
    /// types are compared it is a `string`; the values matter where a Choice tests them.
    StringEnum(BTreeSet<String>),
    /// An array whose items all have this shape.
    Array(Box<Shape>),
    /// An object.
    Object(ObjectShape),
    /// One of several shapes; never nested, never contains `Any`, at least two members.
    Union(Vec<Shape>),
}

/// The shape of a JSON object: its known properties and what else it may hold.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectShape {
    /// The known properties, by name.
    pub properties: BTreeMap<String, Property>,
    /// Whether properties beyond `properties` may appear (and what they hold).
    pub additional: Additional,
}

/// What an object may hold beyond its listed properties.
#[derive(Debug, Clone, PartialEq)]
pub enum Additional {
    /// `additionalProperties: false`: nothing else.
    Closed,
    /// Anything else, of this shape (`Shape::Any` when unconstrained).
    Open(Box<Shape>),
}

/// One property of an [`ObjectShape`].
#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    /// The shape of the property's value.
    pub shape: Shape,
    /// Required (in a function's input) or present on every path (in a propagated value).
    pub required: bool,
    /// Where this property was defined (a schema or the ASL field that wrote it).
    pub origin: Option<Location>,
    /// The schema `description`, kept for messages and generated docs.
    pub description: Option<String>,
}

impl Property {
    /// A property of this shape, required or not, with no origin or description.
    pub fn new(shape: Shape, required: bool) -> Self {
        Property {
            shape,
            required,
            origin: None,
            description: None,
        }
    }

    /// Sets where the property was defined.
    pub fn with_origin(mut self, origin: Option<Location>) -> Self {
        self.origin = origin;
        self
    }
}

impl Additional {
    /// `additionalProperties` with a schema other than `true`: a map whose keys are data.
    pub fn is_typed(&self) -> bool {
        matches!(self, Additional::Open(extra) if **extra != Shape::Any)
    }
}

impl ObjectShape {
    /// An object with exactly these properties, all present.
    pub fn closed() -> Self {
        ObjectShape {
            properties: BTreeMap::new(),
            additional: Additional::Closed,
        }
    }

    /// An object that may hold anything beyond its listed properties.
    pub fn open() -> Self {
        ObjectShape {
            properties: BTreeMap::new(),
            additional: Additional::Open(Box::new(Shape::Any)),
        }
    }

    /// Adds (or replaces) the property `name`.
    pub fn with(mut self, name: impl Into<String>, property: Property) -> Self {
        self.properties.insert(name.into(), property);
        self
    }
}

impl Shape {
    /// The shape of the objects `object` describes.
    pub(crate) fn object(object: ObjectShape) -> Self {
        Shape::Object(object)
    }

    /// The least shape containing both (set union). Origins of the first are kept.
    pub fn join(&self, other: &Shape) -> Shape {
        match (self, other) {
            (Shape::Any, _) | (_, Shape::Any) => Shape::Any,
            (a, b) if a == b => a.clone(),
            (Shape::Integer, Shape::Number) | (Shape::Number, Shape::Integer) => Shape::Number,
            (Shape::StringEnum(a), Shape::StringEnum(b)) => {
                Shape::StringEnum(a.union(b).cloned().collect())
            }
            (Shape::String, Shape::StringEnum(_)) | (Shape::StringEnum(_), Shape::String) => {
                Shape::String
            }
            (Shape::Array(a), Shape::Array(b)) => Shape::Array(Box::new(a.join(b))),
            (Shape::Object(a), Shape::Object(b)) => Shape::Object(join_objects(a, b)),
            _ => {
                let mut members = Vec::new();
                for shape in [self, other] {
                    match shape {
                        Shape::Union(items) => {
                            for item in items {
                                push_member(&mut members, item);
                            }
                        }
                        s => push_member(&mut members, s),
                    }
                }
                if members.len() == 1 {
                    members.pop().unwrap_or(Shape::Any)
                } else {
                    Shape::Union(members)
                }
            }
        }
    }

    /// The members of a union, or the shape itself.
    pub fn alternatives(&self) -> &[Shape] {
        match self {
            Shape::Union(items) => items,
            other => std::slice::from_ref(other),
        }
    }

    /// A short human name: `string`, `object { total, points }`, `number | null`.
    pub fn describe(&self) -> String {
        self.to_string()
    }

    /// Depth of nesting, used to cut off shapes that grow around loops.
    pub fn depth(&self) -> usize {
        match self {
            Shape::Array(item) => 1 + item.depth(),
            Shape::Object(o) => {
                1 + o
                    .properties
                    .values()
                    .map(|p| p.shape.depth())
                    .max()
                    .unwrap_or(0)
            }
            Shape::Union(items) => items.iter().map(Shape::depth).max().unwrap_or(0),
            _ => 0,
        }
    }
}

/// Adds `shape` to a union's members, merging it with a member of the same kind.
fn push_member(members: &mut Vec<Shape>, shape: &Shape) {
    for existing in members.iter_mut() {
        let same_kind = matches!(
            (&*existing, shape),
            (Shape::Object(_), Shape::Object(_))
                | (Shape::Array(_), Shape::Array(_))
                | (
                    Shape::Integer | Shape::Number,
                    Shape::Integer | Shape::Number
                )
                | (
                    Shape::String | Shape::StringEnum(_),
                    Shape::String | Shape::StringEnum(_)
                )
        ) || existing == shape;
        if same_kind {
            *existing = existing.join(shape);
            return;
        }
    }
    members.push(shape.clone());
}

fn join_objects(a: &ObjectShape, b: &ObjectShape) -> ObjectShape {
    let mut properties = BTreeMap::new();
    for (name, pa) in &a.properties {
        let joined = match b.properties.get(name) {
            Some(pb) => Property {
                shape: pa.shape.join(&pb.shape),
                required: pa.required && pb.required,
                origin: pa.origin.clone().or_else(|| pb.origin.clone()),
                description: pa.description.clone().or_else(|| pb.description.clone()),
            },
            None => Property {
                shape: pa.shape.clone(),
                required: false,
                ..pa.clone()
            },
        };
        properties.insert(name.clone(), joined);
    }
    for (name, pb) in &b.properties {
        if !a.properties.contains_key(name) {
            properties.insert(
                name.clone(),
                Property {
                    required: false,
                    ..pb.clone()
                },
            );
        }
    }
    let additional = match (&a.additional, &b.additional) {
        (Additional::Closed, Additional::Closed) => Additional::Closed,
        (Additional::Open(x), Additional::Closed) | (Additional::Closed, Additional::Open(x)) => {
            Additional::Open(x.clone())
        }
        (Additional::Open(x), Additional::Open(y)) => Additional::Open(Box::new(x.join(y))),
    };
    ObjectShape {
        properties,
        additional,
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shape::Any => f.write_str("any"),
            Shape::Null => f.write_str("null"),
            Shape::Bool => f.write_str("boolean"),
            Shape::Integer => f.write_str("integer"),
            Shape::Number => f.write_str("number"),
            Shape::String | Shape::StringEnum(_) => f.write_str("string"),
            Shape::Array(item) => write!(f, "array of {item}"),
            Shape::Object(o) => {
                f.write_str("{ ")?;
                for (i, (name, p)) in o.properties.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    f.write_str(name)?;
                    if !p.required {
                        f.write_str("?")?;
                    }
                }
                if !matches!(o.additional, Additional::Closed) && !o.properties.is_empty() {
                    f.write_str(", …")?;
                } else if o.properties.is_empty() {
                    f.write_str("…")?;
                }
                f.write_str(" }")
            }
            Shape::Union(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" | ")?;
                    }
                    write!(f, "{item}")?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(props: &[(&str, Shape, bool)]) -> Shape {
        let mut o = ObjectShape::open();
        for (n, s, r) in props {
            o = o.with(*n, Property::new(s.clone(), *r));
        }
        Shape::Object(o)
    }

    #[test]
    fn join_makes_one_sided_properties_optional() {
        let a = obj(&[
            ("total", Shape::Number, true),
            ("points", Shape::Number, true),
        ]);
        let b = obj(&[("total", Shape::Integer, true)]);
        let Shape::Object(j) = a.join(&b) else {
            panic!("expected object")
        };
        assert!(j.properties["total"].required);
        assert_eq!(j.properties["total"].shape, Shape::Number);
        assert!(!j.properties["points"].required);
    }

    #[test]
    fn string_enums_join_to_their_union_and_into_plain_strings() {
        let one = |v: &str| Shape::StringEnum(BTreeSet::from([v.to_owned()]));
        let both = one("paid").join(&one("pending"));
        assert_eq!(
            both,
            Shape::StringEnum(BTreeSet::from(["paid".into(), "pending".into()]))
        );
        assert_eq!(both.to_string(), "string");
        assert_eq!(both.join(&Shape::String), Shape::String);
        assert_eq!(
            both.join(&Shape::Null).join(&one("failed")),
            Shape::Union(vec![
                Shape::StringEnum(BTreeSet::from([
                    "failed".into(),
                    "paid".into(),
                    "pending".into()
                ])),
                Shape::Null
            ])
        );
    }

    #[test]
    fn join_of_different_kinds_is_a_flat_union() {
        let u = Shape::String.join(&Shape::Null).join(&Shape::String);
        assert_eq!(u, Shape::Union(vec![Shape::String, Shape::Null]));
        assert_eq!(u.to_string(), "string | null");
        assert_eq!(Shape::Integer.join(&Shape::Any), Shape::Any);
    }
}
