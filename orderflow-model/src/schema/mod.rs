//! JSON Schemas of a workflow folder: loading, meta-validation, `$ref` resolution, shapes.
//!
//! A schema file becomes a [`SchemaDocument`]: the spanned JSON (for messages), the plain value
//! (for validators and emitters) and its [`Shape`] (for the data-flow check). `$ref`s resolve
//! within the file and to other files by relative path, among the files a [`SchemaSet`] holds
//! (embedded into the document, see `link`); never over the network.

mod keywords;
mod link;
mod lint;
mod meta;
mod refs;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use crate::diagnostic::{Code, Diagnostic, Location};
use crate::json::{self, Json, JsonKind, push_index, push_pointer};
use crate::shape::{Additional, ObjectShape, Property, Shape};
use crate::source::SourceFile;

pub use link::SchemaSet;
pub(crate) use link::referenced_files;
use lint::RefSite;
use refs::Index;
pub use refs::RefError;

/// A JSON value in a message: `the string "256"`-style short text.
pub(crate) fn found_text(value: &Value) -> String {
    let text = meta::found(value);
    match value {
        Value::String(_) => format!("the string {text}"),
        _ => text,
    }
}

/// Subschemas nested deeper than this are treated as `any` (and warned about once): bounds the
/// work on adversarial input and on recursive `$ref`s.
pub(crate) const MAX_SCHEMA_DEPTH: usize = 32;

/// The JSON Schema dialects orderflow reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Draft {
    /// JSON Schema draft-07 (`http://json-schema.org/draft-07/schema#`).
    Draft7,
    /// JSON Schema 2020-12, the default when a schema has no `$schema`.
    Draft202012,
}

impl Draft {
    /// The dialect a `$schema` URI names; `None` for dialects orderflow does not read.
    pub fn from_uri(uri: &str) -> Option<Draft> {
        let uri = uri.trim_end_matches('#');
        let uri = uri
            .strip_prefix("https://")
            .or_else(|| uri.strip_prefix("http://"))?;
        match uri {
            "json-schema.org/draft-07/schema" => Some(Draft::Draft7),
            "json-schema.org/draft/2020-12/schema" => Some(Draft::Draft202012),
            _ => None,
        }
    }

    /// The canonical `$schema` URI of the dialect.
    pub fn uri(self) -> &'static str {
        match self {
            Draft::Draft7 => "http://json-schema.org/draft-07/schema#",
            Draft::Draft202012 => "https://json-schema.org/draft/2020-12/schema",
        }
    }

    /// The dialect's short name, e.g. `draft-07`, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Draft::Draft7 => "draft-07",
            Draft::Draft202012 => "2020-12",
        }
    }

    /// The same dialect as the `jsonschema` crate names it, for meta-validation.
    pub fn to_jsonschema(self) -> jsonschema::Draft {
        match self {
            Draft::Draft7 => jsonschema::Draft::Draft7,
            Draft::Draft202012 => jsonschema::Draft::Draft202012,
        }
    }
}

/// One loaded, meta-valid schema file.
#[derive(Debug, Clone)]
pub struct SchemaDocument {
    /// The schema file.
    pub file: Arc<SourceFile>,
    /// The schema's JSON tree, with positions.
    pub json: Json,
    /// The schema as a plain JSON value.
    pub value: Value,
    /// The dialect the schema is written in (its `$schema`, 2020-12 when absent).
    pub draft: Draft,
    /// The values the schema accepts, as the data-flow check sees them.
    pub shape: Shape,
    /// The document's `$id`s and anchors, for [`SchemaDocument::resolve_ref`].
    index: Index,
    /// Other files the document's `$ref`s reach, embedded in `json` and `value` (see
    /// [`SchemaSet`]): the pointer of each embedded copy, and the file it came from.
    linked: Vec<(String, Arc<SourceFile>)>,
}

impl SchemaDocument {
    /// The file the subschema at `pointer` was written in, and its pointer there: an embedded
    /// copy of a referenced file maps back to that file.
    pub fn source_of(&self, pointer: &str) -> (&Arc<SourceFile>, String) {
        locate(&self.file, &self.linked, pointer)
    }

    /// Where the subschema at `pointer` is, in the file the user wrote it in.
    pub fn location(&self, pointer: &str) -> Location {
        let span = self
            .json
            .pointer(pointer)
            .map_or(self.json.span, |j| j.span);
        let (file, local) = self.source_of(pointer);
        Location::new(file, local, span)
    }

    /// The other schema files this document's `$ref`s reach, directly or through each other.
    pub fn linked_files(&self) -> impl Iterator<Item = &Arc<SourceFile>> {
        self.linked.iter().map(|(_, file)| file)
    }

    /// Resolves `reference`, the `$ref` written in the schema at `pointer`, to the JSON pointer
    /// of its target in this document (relative `$id`s resolve against the resource enclosing
    /// `pointer`).
    ///
    /// # Errors
    ///
    /// A reference to another file or URL, a malformed percent-encoding, or a pointer or anchor
    /// that names nothing. A loaded document has none: the lint refuses such files.
    pub fn resolve_ref(&self, pointer: &str, reference: &str) -> Result<String, RefError> {
        refs::resolve(
            &self.json,
            &self.index,
            self.index.resource_of(pointer),
            reference,
        )
    }

    /// Follows the `$ref`s of `schema` (the subschema at `pointer`) to the schema that has
    /// none, returning its pointer and value; stops at a reference that does not resolve, and
    /// after `MAX_SCHEMA_DEPTH` hops (a cycle of references).
    pub fn follow_refs<'a>(&'a self, pointer: &str, schema: &'a Value) -> (String, &'a Value) {
        let mut pointer = pointer.to_owned();
        let mut schema = schema;
        for _ in 0..MAX_SCHEMA_DEPTH {
            let Some(reference) = schema.get("$ref").and_then(Value::as_str) else {
                break;
            };
            let Some((target, next)) = self
                .resolve_ref(&pointer, reference)
                .ok()
                .and_then(|target| self.value.pointer(&target).map(|next| (target, next)))
            else {
                break;
            };
            pointer = target;
            schema = next;
        }
        (pointer, schema)
    }
}

/// Loads `file` as a JSON Schema on its own. Problems go to `out`; `None` when the file cannot
/// be used (syntax errors, an invalid schema, unresolvable `$ref`s). Warnings do not stop
/// loading. A reference to another file does not resolve here: load through a [`SchemaSet`]
/// that holds the files.
pub fn load_schema(file: &Arc<SourceFile>, out: &mut Vec<Diagnostic>) -> Option<SchemaDocument> {
    SchemaSet::new([Arc::clone(file)], std::collections::BTreeMap::new()).load(file, out)
}

/// A schema file parsed, meta-validated and linted on its own: what linking starts from.
#[derive(Debug, Clone)]
pub(crate) struct ParsedSchema {
    file: Arc<SourceFile>,
    json: Json,
    draft: Draft,
    index: Index,
    /// Its references to other files, by relative path.
    file_refs: Vec<RefSite>,
}

fn parse_schema(file: &Arc<SourceFile>, out: &mut Vec<Diagnostic>) -> Option<ParsedSchema> {
    let json = match json::parse(file.text()) {
        Ok(json) => json,
        Err(error) => {
            out.push(Diagnostic::json_syntax(file, error));
            return None;
        }
    };
    let draft = match json.get("$schema") {
        None => Draft::Draft202012,
        Some(node) => match node.as_str().map(Draft::from_uri) {
            Some(Some(draft)) => draft,
            _ => {
                out.push(
                    Diagnostic::new(
                        Code::SchemaInvalid,
                        format!(
                            "unsupported `$schema` {}; orderflow reads draft-07 and 2020-12",
                            meta::found(&node.to_value())
                        ),
                    )
                    .at(Location::new(file, "/$schema", node.span))
                    .help(format!(
                        "use \"{}\" or \"{}\"",
                        Draft::Draft202012.uri(),
                        Draft::Draft7.uri()
                    )),
                );
                return None;
            }
        },
    };
    if !matches!(json.kind, JsonKind::Object(_) | JsonKind::Bool(_)) {
        out.push(
            Diagnostic::new(
                Code::SchemaInvalid,
                format!(
                    "a schema must be an object or a boolean, found {}",
                    json.type_name()
                ),
            )
            .at(Location::new(file, "", json.span)),
        );
        return None;
    }
    let value = json.to_value();
    let valid = meta::validate(file, &json, &value, draft, out);
    let lint = lint::Lint::run(file, &json, draft);
    let errors = lint.diagnostics.iter().any(Diagnostic::is_error);
    let (index, file_refs) = (lint.index, lint.file_refs);
    out.extend(lint.diagnostics);
    if !valid || errors {
        return None;
    }
    Some(ParsedSchema {
        file: Arc::clone(file),
        json,
        draft,
        index,
        file_refs,
    })
}

/// The document for `json` (the root file's tree, with any linked files embedded at the
/// pointers `linked` lists), its shape built.
fn document(
    file: &Arc<SourceFile>,
    json: Json,
    draft: Draft,
    index: Index,
    linked: Vec<(String, Arc<SourceFile>)>,
) -> SchemaDocument {
    let shape = ShapeBuilder {
        file,
        linked: &linked,
        root: &json,
        index: &index,
        draft,
        expanding: std::cell::RefCell::new(Vec::new()),
    }
    .shape(&json, "", "", 0);
    SchemaDocument {
        file: Arc::clone(file),
        value: json.to_value(),
        json,
        draft,
        shape,
        index,
        linked,
    }
}

/// The file a pointer into a (possibly linked) document is in, and the pointer there.
fn locate<'a>(
    file: &'a Arc<SourceFile>,
    linked: &'a [(String, Arc<SourceFile>)],
    pointer: &str,
) -> (&'a Arc<SourceFile>, String) {
    for (prefix, linked_file) in linked {
        if let Some(rest) = pointer.strip_prefix(prefix.as_str()) {
            if rest.is_empty() || rest.starts_with('/') {
                return (linked_file, rest.to_owned());
            }
        }
    }
    (file, pointer.to_owned())
}

/// Converts a (valid, lint-clean) schema into the [`Shape`] of the values it accepts.
///
/// Constraints that do not change what a value looks like (`pattern`, `minimum`, …) are
/// ignored; keywords lint warned about as unsupported widen to `any` where they could matter.
struct ShapeBuilder<'a> {
    file: &'a Arc<SourceFile>,
    linked: &'a [(String, Arc<SourceFile>)],
    root: &'a Json,
    index: &'a Index,
    draft: Draft,
    /// The `$ref` targets being expanded, outermost first. A recursive type (a tree node whose
    /// `children` and `parent` are nodes) is unrolled [`RECURSION_UNROLL`] times and is unknown
    /// below: unrolled to the depth limit, two self-references would cost 2^depth.
    expanding: std::cell::RefCell<Vec<String>>,
}

/// How many times one `$ref` target may be open at once while building a shape.
const RECURSION_UNROLL: usize = 2;

impl ShapeBuilder<'_> {
    fn shape(&self, schema: &Json, pointer: &str, resource: &str, depth: usize) -> Shape {
        if depth > MAX_SCHEMA_DEPTH {
            return Shape::Any;
        }
        // `true` accepts anything; `false` accepts nothing, and as nothing flows out of a value
        // that cannot exist, `any` is the harmless answer there too (an empty union would break
        // the shape invariants).
        if !matches!(schema.kind, JsonKind::Object(_)) {
            return Shape::Any;
        }
        let resource = match refs::get(schema, "$id").and_then(Json::as_str) {
            Some(id) if !id.starts_with('#') && !id.split('#').next().unwrap_or("").is_empty() => {
                pointer.to_owned()
            }
            _ => resource.to_owned(),
        };
        let get = |key: &str| refs::get(schema, key);

        // `$ref`: in draft-07 it replaces its siblings; in 2020-12 it combines with them.
        let mut parts: Vec<Shape> = Vec::new();
        if let Some(reference) = get("$ref").and_then(Json::as_str) {
            let target = refs::resolve(self.root, self.index, &resource, reference)
                .ok()
                .and_then(|p| refs::lookup(self.root, &p).map(|node| (p, node)));
            let shape = match target {
                Some((target_pointer, node)) => {
                    let open = self
                        .expanding
                        .borrow()
                        .iter()
                        .filter(|p| **p == target_pointer)
                        .count();
                    if open >= RECURSION_UNROLL {
                        Shape::Any
                    } else {
                        let target_resource = self.index.resource_of(&target_pointer).to_owned();
                        self.expanding.borrow_mut().push(target_pointer.clone());
                        let shape = self.shape(node, &target_pointer, &target_resource, depth + 1);
                        self.expanding.borrow_mut().pop();
                        shape
                    }
                }
                None => Shape::Any,
            };
            if self.draft == Draft::Draft7 {
                return shape;
            }
            parts.push(shape);
        }

        let mut own = self.own_shape(schema, pointer, &resource, depth);
        if get("nullable").and_then(Json::as_bool) == Some(true) {
            own = own.join(&Shape::Null);
        }
        parts.push(own);

        for (keyword, combine) in [
            ("allOf", Combine::All),
            ("anyOf", Combine::Any),
            ("oneOf", Combine::Any),
        ] {
            let Some(items) = get(keyword).and_then(Json::as_array) else {
                continue;
            };
            let keyword_pointer = push_pointer(pointer, keyword);
            let shapes: Vec<Shape> = items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    self.shape(item, &push_index(&keyword_pointer, i), &resource, depth + 1)
                })
                .collect();
            let combined = match combine {
                Combine::All => shapes.iter().fold(Shape::Any, |acc, s| intersect(&acc, s)),
                Combine::Any => shapes
                    .iter()
                    .skip(1)
                    .fold(shapes.first().cloned().unwrap_or(Shape::Any), |acc, s| {
                        acc.join(s)
                    }),
            };
            parts.push(combined);
        }
        parts.iter().fold(Shape::Any, |acc, s| intersect(&acc, s))
    }

    /// The shape from `type`, `enum`/`const`, `properties` and `items` alone.
    fn own_shape(&self, schema: &Json, pointer: &str, resource: &str, depth: usize) -> Shape {
        let get = |key: &str| refs::get(schema, key);
        if let Some(value) = get("const") {
            return shape_of_value(&value.to_value());
        }
        if let Some(values) = get("enum").and_then(Json::as_array) {
            let mut shapes = values.iter().map(|v| shape_of_value(&v.to_value()));
            let first = shapes.next().unwrap_or(Shape::Any);
            return shapes.fold(first, |acc, s| acc.join(&s));
        }
        let types: Vec<&str> = match get("type") {
            Some(t) => match &t.kind {
                JsonKind::String(s) => vec![s.as_str()],
                JsonKind::Array(items) => items.iter().filter_map(Json::as_str).collect(),
                _ => Vec::new(),
            },
            None => {
                // Untyped, but object keywords say what it must be when it is an object; the
                // check treats such schemas as objects (a schema for a Lambda payload always is).
                if get("properties").is_some() || get("required").is_some() {
                    vec!["object"]
                } else if get("items").is_some() || get("prefixItems").is_some() {
                    vec!["array"]
                } else {
                    return Shape::Any;
                }
            }
        };
        let mut result: Option<Shape> = None;
        for t in types {
            let shape = match t {
                "null" => Shape::Null,
                "boolean" => Shape::Bool,
                "integer" => Shape::Integer,
                "number" => Shape::Number,
                "string" => Shape::String,
                "array" => Shape::Array(Box::new(self.items(schema, pointer, resource, depth))),
                "object" => Shape::Object(self.object(schema, pointer, resource, depth)),
                _ => Shape::Any,
            };
            result = Some(match result {
                None => shape,
                Some(acc) => acc.join(&shape),
            });
        }
        result.unwrap_or(Shape::Any)
    }

    fn items(&self, schema: &Json, pointer: &str, resource: &str, depth: usize) -> Shape {
        let get = |key: &str| refs::get(schema, key);
        let mut item = match get("items") {
            Some(items) if !matches!(items.kind, JsonKind::Array(_)) => {
                self.shape(items, &push_pointer(pointer, "items"), resource, depth + 1)
            }
            _ => Shape::Any,
        };
        // Tuples: every position's shape joined, when all positions are described.
        if let Some(prefix) = get("prefixItems").and_then(Json::as_array) {
            let prefix_pointer = push_pointer(pointer, "prefixItems");
            let mut joined: Option<Shape> = None;
            for (i, p) in prefix.iter().enumerate() {
                let s = self.shape(p, &push_index(&prefix_pointer, i), resource, depth + 1);
                joined = Some(match joined {
                    None => s,
                    Some(acc) => acc.join(&s),
                });
            }
            item = match (joined, get("items")) {
                (Some(j), Some(_)) => j.join(&item),
                (Some(_), None) | (None, _) => Shape::Any,
            };
        }
        item
    }

    fn object(&self, schema: &Json, pointer: &str, resource: &str, depth: usize) -> ObjectShape {
        let get = |key: &str| refs::get(schema, key);
        let required: Vec<&str> = get("required")
            .and_then(Json::as_array)
            .map(|names| names.iter().filter_map(Json::as_str).collect())
            .unwrap_or_default();
        let mut properties = BTreeMap::new();
        let properties_pointer = push_pointer(pointer, "properties");
        if let Some(props) = get("properties") {
            for m in refs::effective_members(props) {
                let property_pointer = push_pointer(&properties_pointer, &m.key);
                let shape = self.shape(&m.value, &property_pointer, resource, depth + 1);
                let description = refs::get(&m.value, "description")
                    .and_then(Json::as_str)
                    .map(str::to_owned);
                let (file, local) = locate(self.file, self.linked, &property_pointer);
                let mut property = Property::new(shape, required.contains(&m.key.as_str()))
                    .with_origin(Some(Location::new(file, local, m.key_span)));
                property.description = description;
                properties.insert(m.key.clone(), property);
            }
        }
        // Required names without a property schema: present, of any shape.
        for name in &required {
            properties
                .entry((*name).to_owned())
                .or_insert_with(|| Property::new(Shape::Any, true));
        }
        let additional = if get("patternProperties").is_some() {
            Additional::Open(Box::new(Shape::Any))
        } else {
            match get("additionalProperties") {
                Some(node) if node.as_bool() == Some(false) => Additional::Closed,
                Some(node) if node.as_bool() == Some(true) => {
                    Additional::Open(Box::new(Shape::Any))
                }
                Some(node) => Additional::Open(Box::new(self.shape(
                    node,
                    &push_pointer(pointer, "additionalProperties"),
                    resource,
                    depth + 1,
                ))),
                None => Additional::Open(Box::new(Shape::Any)),
            }
        };
        ObjectShape {
            properties,
            additional,
        }
    }
}

#[derive(Clone, Copy)]
enum Combine {
    All,
    Any,
}

/// The shape of one literal value (from `const`/`enum`).
fn shape_of_value(value: &Value) -> Shape {
    match value {
        Value::Null => Shape::Null,
        Value::Bool(_) => Shape::Bool,
        Value::Number(n) if n.is_i64() || n.is_u64() => Shape::Integer,
        Value::Number(_) => Shape::Number,
        Value::String(s) => Shape::StringEnum(std::collections::BTreeSet::from([s.clone()])),
        Value::Array(items) => {
            let mut shapes = items.iter().map(shape_of_value);
            let first = shapes.next().unwrap_or(Shape::Any);
            Shape::Array(Box::new(shapes.fold(first, |acc, s| acc.join(&s))))
        }
        Value::Object(map) => {
            let mut object = ObjectShape::closed();
            for (k, v) in map {
                object = object.with(k.clone(), Property::new(shape_of_value(v), true));
            }
            Shape::Object(object)
        }
    }
}

/// Values both shapes accept, approximately: used for `allOf` and 2020-12 `$ref` siblings.
/// Where the exact intersection is not a shape, the more specific side wins.
fn intersect(a: &Shape, b: &Shape) -> Shape {
    match (a, b) {
        (Shape::Any, other) | (other, Shape::Any) => other.clone(),
        (Shape::Integer, Shape::Number) | (Shape::Number, Shape::Integer) => Shape::Integer,
        (Shape::String, e @ Shape::StringEnum(_)) | (e @ Shape::StringEnum(_), Shape::String) => {
            e.clone()
        }
        (Shape::StringEnum(x), Shape::StringEnum(y)) if !x.is_disjoint(y) => {
            Shape::StringEnum(x.intersection(y).cloned().collect())
        }
        (Shape::Array(x), Shape::Array(y)) => Shape::Array(Box::new(intersect(x, y))),
        (Shape::Object(x), Shape::Object(y)) => {
            let mut properties = x.properties.clone();
            for (name, py) in &y.properties {
                match properties.get_mut(name) {
                    Some(px) => {
                        px.shape = intersect(&px.shape, &py.shape);
                        px.required |= py.required;
                        if px.description.is_none() {
                            px.description.clone_from(&py.description);
                        }
                    }
                    None => {
                        properties.insert(name.clone(), py.clone());
                    }
                }
            }
            let additional = match (&x.additional, &y.additional) {
                (Additional::Closed, _) | (_, Additional::Closed) => Additional::Closed,
                (Additional::Open(ax), Additional::Open(ay)) => {
                    Additional::Open(Box::new(intersect(ax, ay)))
                }
            };
            Shape::Object(ObjectShape {
                properties,
                additional,
            })
        }
        (Shape::Union(items), other) | (other, Shape::Union(items)) => {
            let kept: Vec<Shape> = items
                .iter()
                .filter(|item| compatible_kind(item, other))
                .map(|item| intersect(item, other))
                .collect();
            let mut iter = kept.into_iter();
            match iter.next() {
                Some(first) => iter.fold(first, |acc, s| acc.join(&s)),
                None => other.clone(),
            }
        }
        (x, y) if x == y => x.clone(),
        // Contradictory (e.g. string and object): a schema no value satisfies. Keep the first.
        (x, _) => x.clone(),
    }
}

fn compatible_kind(a: &Shape, b: &Shape) -> bool {
    matches!(
        (a, b),
        (Shape::Any, _)
            | (_, Shape::Any)
            | (Shape::Union(_), _)
            | (_, Shape::Union(_))
            | (Shape::Null, Shape::Null)
            | (Shape::Bool, Shape::Bool)
            | (
                Shape::Integer | Shape::Number,
                Shape::Integer | Shape::Number
            )
            | (
                Shape::String | Shape::StringEnum(_),
                Shape::String | Shape::StringEnum(_)
            )
            | (Shape::Array(_), Shape::Array(_))
            | (Shape::Object(_), Shape::Object(_))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> (Option<SchemaDocument>, Vec<Diagnostic>) {
        let file = SourceFile::new("schemas/x.input.json", text);
        let mut out = Vec::new();
        (load_schema(&file, &mut out), out)
    }

    fn codes(out: &[Diagnostic]) -> Vec<&'static str> {
        out.iter().map(|d| d.code.as_str()).collect()
    }

    /// The fixture's `$ref`s need percent-decoding (`%25`), JSON-pointer unescaping (`~1`,
    /// `~0`) and the document's `$id`; the shapes, the generator (`orderflow-codegen/tests/typegen.rs`) and the
    /// derives (`derive::tests`) all resolve them through [`SchemaDocument::resolve_ref`].
    #[test]
    fn escaped_refs_resolve_once_for_every_user() {
        let (doc, out) = load(include_str!(
            "../../tests/fixtures/escaped-refs/schemas/applyDiscount.input.json"
        ));
        assert!(out.is_empty(), "{out:?}");
        let Some(doc) = doc else {
            panic!("the fixture loads");
        };
        for (at, reference, target) in [
            ("/properties/percent", "#/$defs/0-100%25", "/$defs/0-100%"),
            ("/properties/route", "#/$defs/from~1to", "/$defs/from~1to"),
            ("/properties/code", "#/$defs/code~0v2", "/$defs/code~0v2"),
            (
                "/properties/total",
                "applyDiscount.input.json#/$defs/Money",
                "/$defs/Money",
            ),
        ] {
            assert_eq!(doc.resolve_ref(at, reference), Ok(target.to_owned()));
        }
        assert_eq!(
            doc.resolve_ref("", "#/$defs/0-100%"),
            Err(RefError::BadEncoding)
        );
        let percent = &doc.value["properties"]["percent"];
        let (pointer, target) = doc.follow_refs("/properties/percent", percent);
        assert_eq!(pointer, "/$defs/0-100%");
        assert_eq!(target["type"], "integer");

        let Shape::Object(o) = &doc.shape else {
            panic!("expected an object shape");
        };
        assert_eq!(o.properties["percent"].shape, Shape::Integer);
        assert_eq!(o.properties["code"].shape, Shape::String);
        assert_eq!(o.properties["total"].shape, Shape::Number);
        let Shape::Object(route) = &o.properties["route"].shape else {
            panic!("route is an object");
        };
        assert_eq!(route.properties["from"].shape, Shape::String);
        assert_eq!(route.additional, Additional::Closed);
    }

    #[test]
    fn object_schema_becomes_object_shape_with_descriptions() {
        let (doc, out) = load(
            r#"{"type": "object", "required": ["bookId"],
                "properties": {"bookId": {"type": "string", "description": "ISBN"},
                               "quantity": {"type": "integer"}},
                "additionalProperties": false}"#,
        );
        assert!(out.is_empty(), "{out:?}");
        let Some(Shape::Object(o)) = doc.map(|d| d.shape) else {
            panic!("expected an object shape");
        };
        assert_eq!(o.additional, Additional::Closed);
        assert!(o.properties["bookId"].required);
        assert_eq!(o.properties["bookId"].description.as_deref(), Some("ISBN"));
        assert!(!o.properties["quantity"].required);
        assert_eq!(o.properties["quantity"].shape, Shape::Integer);
        let origin = o.properties["bookId"]
            .origin
            .as_ref()
            .map(|l| l.pointer.as_str());
        assert_eq!(origin, Some("/properties/bookId"));
    }

    #[test]
    fn refs_nullable_types_and_combinators() {
        let (doc, out) = load(
            r##"{"$schema": "http://json-schema.org/draft-07/schema#",
                "type": "object",
                "properties": {
                  "total": {"$ref": "#/definitions/money"},
                  "note": {"type": ["string", "null"]},
                  "kind": {"enum": ["a", "b"]},
                  "either": {"anyOf": [{"type": "string"}, {"type": "integer"}]}
                },
                "definitions": {"money": {"type": "number"}}}"##,
        );
        assert!(out.is_empty(), "{out:?}");
        let Some(Shape::Object(o)) = doc.map(|d| d.shape) else {
            panic!("expected an object shape");
        };
        assert_eq!(o.properties["total"].shape, Shape::Number);
        assert_eq!(
            o.properties["note"].shape,
            Shape::Union(vec![Shape::String, Shape::Null])
        );
        // An enum of strings keeps its values (a Choice may test each of them).
        assert_eq!(
            o.properties["kind"].shape,
            Shape::StringEnum(["a".to_owned(), "b".to_owned()].into())
        );
        assert_eq!(
            o.properties["either"].shape,
            Shape::Union(vec![Shape::String, Shape::Integer])
        );
    }

    #[test]
    fn recursive_refs_terminate() {
        let (doc, out) = load(
            r##"{"$defs": {"node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/node"}}}},
                "$ref": "#/$defs/node"}"##,
        );
        assert!(!out.iter().any(Diagnostic::is_error), "{out:?}");
        assert!(matches!(doc.map(|d| d.shape), Some(Shape::Object(_))));
    }

    #[test]
    fn broken_schemas_are_reported_with_codes() {
        assert_eq!(codes(&load("{").1), ["E0001"]);
        assert_eq!(codes(&load(r#"{"type": "strng"}"#).1), ["E0201"]);
        assert_eq!(codes(&load(r##"{"$ref": "#/$defs/nope"}"##).1), ["E0202"]);
        assert_eq!(
            codes(&load(r#"{"$schema": "https://example.com/s"}"#).1),
            ["E0201"]
        );
        assert_eq!(codes(&load(r#"[1]"#).1), ["E0201"]);
        let (doc, out) = load(r#"{"type": "object", "requried": ["a"]}"#);
        assert!(doc.is_some());
        assert_eq!(codes(&out), ["W0203"]);
    }
}
