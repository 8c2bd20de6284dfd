//! Shapes of JSONata field values (`Arguments`, `Output`, a catcher's `Output`, Map `Items`).
//!
//! The common forms are typed: literals, object and array constructors, `$states.input.…`,
//! `$states.result.…`, `$states.errorOutput.…`, `$merge([…])` of objects, and operators and
//! functions whose result type does not depend on their arguments (`&` is a string, `=` a
//! boolean, `$count` an integer). Everything else is `any`, so nothing after it is guessed.

use std::collections::BTreeMap;

#[cfg(feature = "jsonata")]
use jsonata_core::ast::{AstNode, BinaryOp, UnaryOp};

use crate::asl::jsonata::is_template;
#[cfg(feature = "jsonata")]
use crate::asl::jsonata::{parse_body, template_body};
#[cfg(feature = "jsonata")]
use crate::asl::path::Segment;
use crate::diagnostic::Location;
#[cfg(feature = "jsonata")]
use crate::flow::access::{Lookup, lookup};
use crate::flow::access::{closed_object, shape_of_json};
use crate::json::{Json, JsonKind};
use crate::shape::{Additional, ObjectShape, Property, Shape};

/// What `$states` holds where an expression is evaluated, as shapes.
#[derive(Clone, Copy)]
// Without the `jsonata` feature expressions are not typed, so nothing reads the shapes.
#[cfg_attr(not(feature = "jsonata"), allow(dead_code))]
pub struct StatesShapes<'a> {
    pub input: &'a Shape,
    /// `$states.result` (Task, Parallel, Map `Output`/`Assign`).
    pub result: Option<&'a Shape>,
    /// `$states.errorOutput` (a catcher's `Output`/`Assign`).
    pub error_output: bool,
    /// `$states.context`, the context object, where the state's is known.
    pub context: Option<&'a Shape>,
}

impl<'a> StatesShapes<'a> {
    pub fn input(input: &'a Shape) -> Self {
        StatesShapes {
            input,
            result: None,
            error_output: false,
            context: None,
        }
    }

    /// With `$states.context` typed as `context`.
    pub fn with_context(self, context: &'a Shape) -> Self {
        StatesShapes {
            context: Some(context),
            ..self
        }
    }
}

/// The shape of `{"Error": string, "Cause": string}`, what a catcher receives.
pub fn error_output_shape() -> Shape {
    closed_object([("Error", Shape::String), ("Cause", Shape::String)])
}

#[cfg(feature = "jsonata")]
/// A value's shape and whether it may be undefined (which drops an object constructor's key).
struct Typed {
    shape: Shape,
    maybe_undefined: bool,
}

#[cfg(feature = "jsonata")]
impl Typed {
    fn certain(shape: Shape) -> Self {
        Typed {
            shape,
            maybe_undefined: false,
        }
    }

    fn unknown() -> Self {
        Typed {
            shape: Shape::Any,
            maybe_undefined: true,
        }
    }
}

/// The shape of one `{% … %}` expression.
#[cfg(feature = "jsonata")]
fn expression_shape(text: &str, states: StatesShapes<'_>) -> Shape {
    template_body(text)
        .and_then(|body| parse_body(body).ok())
        .map_or(Shape::Any, |ast| expression(&ast, states).shape)
}

/// Without the JSONata parser an expression's value is unknown, so nothing after it is guessed.
#[cfg(not(feature = "jsonata"))]
fn expression_shape(_text: &str, _states: StatesShapes<'_>) -> Shape {
    Shape::Any
}

/// The shape of a JSONata field's value: JSON in which `{% %}` strings are expressions.
pub fn template_shape(json: &Json, states: StatesShapes<'_>, origin: &Location) -> Shape {
    match &json.kind {
        JsonKind::String(s) if is_template(s) => expression_shape(s, states),
        JsonKind::Array(items) => {
            let item = items
                .iter()
                .map(|i| template_shape(i, states, origin))
                .reduce(|a, b| a.join(&b));
            Shape::Array(Box::new(item.unwrap_or(Shape::Any)))
        }
        JsonKind::Object(members) => {
            let mut properties = BTreeMap::new();
            for m in members {
                let mut loc = origin.clone();
                loc.pointer = crate::json::push_pointer(&origin.pointer, &m.key);
                loc.span = m.key_span;
                let shape = template_shape(&m.value, states, &loc);
                // An expression that evaluates to nothing is an error in a field's value, so
                // every member of a successful evaluation is present.
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
        _ => shape_of_json(json, origin),
    }
}

#[cfg(feature = "jsonata")]
fn expression(ast: &AstNode, states: StatesShapes<'_>) -> Typed {
    match ast {
        AstNode::String(_) => Typed::certain(Shape::String),
        AstNode::Number(n) if n.fract() == 0.0 => Typed::certain(Shape::Integer),
        AstNode::Number(_) => Typed::certain(Shape::Number),
        AstNode::Boolean(_) => Typed::certain(Shape::Bool),
        AstNode::Null => Typed::certain(Shape::Null),
        AstNode::Path { steps } => states_path(steps, states),
        AstNode::Object(pairs) => object(pairs, states),
        AstNode::Array(items) => {
            let mut item: Option<Shape> = None;
            for i in items {
                let t = expression(i, states);
                // Arrays and sequences inside an array constructor may be flattened.
                let shape = match t.shape {
                    Shape::Array(_) | Shape::Any => return Typed::certain(array_of(Shape::Any)),
                    s => s,
                };
                item = Some(item.map_or(shape.clone(), |i| i.join(&shape)));
            }
            Typed::certain(array_of(item.unwrap_or(Shape::Any)))
        }
        AstNode::Function {
            name,
            args,
            is_builtin: true,
        } => function(name, args, states),
        AstNode::Binary { op, .. } => match op {
            BinaryOp::Add
            | BinaryOp::Subtract
            | BinaryOp::Multiply
            | BinaryOp::Divide
            | BinaryOp::Modulo => Typed {
                shape: Shape::Number,
                // An undefined operand makes the result undefined.
                maybe_undefined: true,
            },
            BinaryOp::Equal
            | BinaryOp::NotEqual
            | BinaryOp::LessThan
            | BinaryOp::LessThanOrEqual
            | BinaryOp::GreaterThan
            | BinaryOp::GreaterThanOrEqual
            | BinaryOp::And
            | BinaryOp::Or
            | BinaryOp::In => Typed::certain(Shape::Bool),
            BinaryOp::Concatenate => Typed::certain(Shape::String),
            _ => Typed::unknown(),
        },
        AstNode::Unary {
            op: UnaryOp::Negate,
            ..
        } => Typed {
            shape: Shape::Number,
            maybe_undefined: true,
        },
        AstNode::Conditional {
            then_branch,
            else_branch: Some(else_branch),
            ..
        } => {
            let a = expression(then_branch, states);
            let b = expression(else_branch, states);
            Typed {
                shape: a.shape.join(&b.shape),
                maybe_undefined: a.maybe_undefined || b.maybe_undefined,
            }
        }
        AstNode::Block(items) if items.len() == 1 => expression(&items[0], states),
        _ => Typed::unknown(),
    }
}

#[cfg(feature = "jsonata")]
fn array_of(item: Shape) -> Shape {
    Shape::Array(Box::new(item))
}

#[cfg(feature = "jsonata")]
/// `$states.<field>.a.b`: a lookup in the shape of that field; other paths are unknown.
fn states_path(steps: &[jsonata_core::ast::PathStep], states: StatesShapes<'_>) -> Typed {
    let plain = |s: &jsonata_core::ast::PathStep| {
        s.stages.is_empty() && s.focus.is_none() && s.index_var.is_none()
    };
    let [first, second, rest @ ..] = steps else {
        return Typed::unknown();
    };
    if !(matches!(&first.node, AstNode::Variable(v) if v == "states") && plain(first)) {
        return Typed::unknown();
    }
    let error_output;
    let base = match &second.node {
        AstNode::Name(n) if plain(second) && n == "input" => states.input,
        AstNode::Name(n) if plain(second) && n == "result" => match states.result {
            Some(result) => result,
            None => return Typed::unknown(),
        },
        AstNode::Name(n) if plain(second) && n == "context" => match states.context {
            Some(context) => context,
            None => return Typed::unknown(),
        },
        AstNode::Name(n) if plain(second) && n == "errorOutput" && states.error_output => {
            error_output = error_output_shape();
            &error_output
        }
        _ => return Typed::unknown(),
    };
    let mut segments = Vec::with_capacity(rest.len());
    for step in rest {
        match &step.node {
            AstNode::Name(n) if plain(step) => segments.push(Segment::Field(n.clone())),
            _ => return Typed::unknown(),
        }
    }
    match lookup(base, &segments, "$states") {
        // A field of an array maps over its items in JSONata (not in JSONPath): unknown.
        Lookup::Found {
            shape: Shape::Array(_),
            ..
        } if !segments.is_empty() => Typed::unknown(),
        Lookup::Found { shape, certain } => Typed {
            shape,
            maybe_undefined: !certain,
        },
        Lookup::Unknown => Typed::unknown(),
        Lookup::Absent { holder, .. } => match holder {
            Shape::Array(_) => Typed::unknown(),
            // Provably absent: the key is dropped (an error if it is a field's whole value,
            // which `check` leaves to the run).
            _ => Typed {
                shape: Shape::Any,
                maybe_undefined: true,
            },
        },
    }
}

#[cfg(feature = "jsonata")]
fn object(pairs: &[(AstNode, AstNode)], states: StatesShapes<'_>) -> Typed {
    let mut object = ObjectShape::closed();
    for (key, value) in pairs {
        let AstNode::String(key) = key else {
            return Typed::certain(Shape::Object(ObjectShape::open()));
        };
        let value = expression(value, states);
        let required = !value.maybe_undefined;
        object = object.with(key.clone(), Property::new(value.shape, required));
    }
    Typed::certain(Shape::Object(object))
}

#[cfg(feature = "jsonata")]
fn function(name: &str, args: &[AstNode], states: StatesShapes<'_>) -> Typed {
    let shape = match name {
        "merge" => return merge(args, states),
        "string" | "uppercase" | "lowercase" | "trim" | "substring" | "substringBefore"
        | "substringAfter" | "join" | "pad" | "replace" | "formatNumber" | "formatBase"
        | "base64encode" | "base64decode" | "encodeUrl" | "encodeUrlComponent" | "decodeUrl"
        | "decodeUrlComponent" | "uuid" | "hash" | "now" => Shape::String,
        "number" | "abs" | "floor" | "ceil" | "round" | "power" | "sqrt" | "random" | "sum"
        | "max" | "min" | "average" | "millis" | "toMillis" => Shape::Number,
        "count" | "length" => Shape::Integer,
        "boolean" | "not" | "exists" | "contains" => Shape::Bool,
        _ => return Typed::unknown(),
    };
    // These return undefined for an undefined argument.
    Typed {
        shape,
        maybe_undefined: !matches!(name, "exists" | "count" | "uuid" | "now" | "millis"),
    }
}

#[cfg(feature = "jsonata")]
/// `$merge([a, b, …])`: the objects' properties, later ones replacing earlier ones.
fn merge(args: &[AstNode], states: StatesShapes<'_>) -> Typed {
    let [AstNode::Array(items)] = args else {
        return Typed::unknown();
    };
    let mut merged = ObjectShape::closed();
    for item in items {
        let t = expression(item, states);
        let Shape::Object(o) = t.shape else {
            return Typed::unknown();
        };
        if t.maybe_undefined {
            return Typed::unknown();
        }
        if let Additional::Open(extra) = o.additional {
            // This object's unknown extra keys may replace any earlier property.
            for p in merged.properties.values_mut() {
                p.shape = Shape::Any;
            }
            merged.additional = Additional::Open(extra);
        }
        for (name, property) in o.properties {
            let property = match merged.properties.remove(&name) {
                // An optional later property may leave the earlier value in place.
                Some(earlier) if !property.required => Property {
                    shape: earlier.shape.join(&property.shape),
                    required: earlier.required,
                    ..property
                },
                _ => property,
            };
            merged.properties.insert(name, property);
        }
    }
    Typed::certain(Shape::Object(merged))
}

#[cfg(all(test, feature = "jsonata"))]
mod tests {
    use super::*;
    use crate::json::Span;
    use crate::source::SourceFile;

    fn loc() -> Location {
        Location::new(&SourceFile::new("t.json", "{}"), "", Span::default())
    }

    fn shape_of(template: serde_json::Value, states: StatesShapes<'_>) -> Shape {
        let text = template.to_string();
        let json = crate::json::parse(&text).unwrap_or_else(|e| panic!("{}", e.message));
        template_shape(&json, states, &loc())
    }

    fn input() -> Shape {
        Shape::Object(
            ObjectShape::closed()
                .with(
                    "book",
                    Property::new(closed_object([("price", Shape::Number)]), true),
                )
                .with("note", Property::new(Shape::String, false)),
        )
    }

    fn property<'s>(shape: &'s Shape, name: &str) -> &'s Property {
        match shape {
            Shape::Object(o) => o
                .properties
                .get(name)
                .unwrap_or_else(|| panic!("no {name} in {shape:?}")),
            other => panic!("not an object: {other:?}"),
        }
    }

    #[test]
    fn merge_of_the_input_and_the_result_types_like_result_path() {
        let input = input();
        let result = closed_object([("total", Shape::Number)]);
        let states = StatesShapes {
            input: &input,
            result: Some(&result),
            error_output: false,
            context: None,
        };
        let shape = shape_of(
            serde_json::json!("{% $merge([$states.input, {'total': $states.result}]) %}"),
            states,
        );
        assert_eq!(property(&shape, "total").shape, result);
        assert!(property(&shape, "total").required);
        assert_eq!(
            property(&shape, "book").shape,
            closed_object([("price", Shape::Number)])
        );
        assert!(!property(&shape, "note").required);
    }

    #[test]
    fn object_constructors_paths_and_operators() {
        let input = input();
        let shape = shape_of(
            serde_json::json!({
                "price": "{% $states.input.book.price %}",
                "label": "{% 'Book: ' & $states.input.note %}",
                "cheap": "{% $states.input.book.price < 10 %}",
                "fixed": 3,
                "nested": "{% {'note': $states.input.note, 'n': $count([1, 2])} %}",
                "other": "{% $states.input.book ~> $keys() %}"
            }),
            StatesShapes::input(&input),
        );
        assert_eq!(property(&shape, "price").shape, Shape::Number);
        assert_eq!(property(&shape, "label").shape, Shape::String);
        assert_eq!(property(&shape, "cheap").shape, Shape::Bool);
        assert_eq!(property(&shape, "fixed").shape, Shape::Integer);
        let nested = &property(&shape, "nested").shape;
        // An optional input property is an optional key of the constructed object.
        assert!(!property(nested, "note").required);
        assert_eq!(property(nested, "n").shape, Shape::Integer);
        // What is not understood is unknown, not guessed.
        assert_eq!(property(&shape, "other").shape, Shape::Any);
    }

    #[test]
    fn states_context_is_typed_where_the_context_object_is_known() {
        let input = input();
        let context = closed_object([("Execution", closed_object([("Id", Shape::String)]))]);
        let constructed = serde_json::json!(
            "{% {'id': $states.context.Execution.Id, 'gone': $states.context.Nothing} %}"
        );
        let shape = shape_of(
            constructed.clone(),
            StatesShapes::input(&input).with_context(&context),
        );
        // Always there: a required string, so a function requiring it is satisfied.
        assert_eq!(property(&shape, "id").shape, Shape::String);
        assert!(property(&shape, "id").required);
        assert!(!property(&shape, "gone").required);
        // Without a known context object, nothing is assumed.
        let shape = shape_of(constructed, StatesShapes::input(&input));
        assert!(!property(&shape, "id").required);
    }

    #[test]
    fn error_output_and_result_exist_only_where_step_functions_sets_them() {
        let input = input();
        let shape = shape_of(
            serde_json::json!("{% $states.errorOutput.Cause %}"),
            StatesShapes {
                input: &input,
                result: None,
                error_output: true,
                context: None,
            },
        );
        assert_eq!(shape, Shape::String);
        let shape = shape_of(
            serde_json::json!("{% $states.result %}"),
            StatesShapes::input(&input),
        );
        assert_eq!(shape, Shape::Any);
    }
}
