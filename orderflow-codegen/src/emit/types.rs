//! Rust payload types from JSON Schemas.
//!
//! Written here rather than with typify: typify's public API is built on schemars 0.8 types,
//! while orderflow reads schemas as spanned JSON (for diagnostics) and uses schemars 1 for its
//! own manifest; and the naming rules (function-based root names, deterministic sharing and
//! disambiguation across all schemas of a workflow) are orderflow's.
//!
//! Every schema construct either maps to a faithful Rust type or becomes `serde_json::Value`
//! with a W0401 warning that says why.

use std::collections::{BTreeMap, HashMap};

use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};
use serde_json::Value;

use orderflow_model::diagnostic::{Code, Diagnostic};
use orderflow_model::json::{push_index, push_pointer};
use orderflow_model::schema::{RefError, SchemaDocument};

/// Nesting beyond which subschemas become `serde_json::Value` (matches the checker's limit).
const MAX_DEPTH: usize = 32;

/// One named Rust type.
#[derive(Debug, Clone)]
struct TypeDef {
    /// The definition without its name, to tell identical definitions from clashing ones.
    body_key: String,
    tokens: TokenStream,
}

/// All payload types of a workflow, named once and shared.
#[derive(Default)]
pub struct TypeSpace {
    /// Rust name → definition, in name order (stable output).
    defs: BTreeMap<String, TypeDef>,
    /// (file, pointer) of a schema already turned into a named type → its Rust name.
    named: HashMap<(String, String), String>,
    /// Names being generated (recursion): references to them are boxed.
    in_progress: Vec<String>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Where in which document a subschema is.
#[derive(Clone, Copy)]
struct At<'a> {
    doc: &'a SchemaDocument,
    /// Prefix for disambiguating names: the function's type-name stem (`CheckInventory`).
    owner: &'a str,
}

impl TypeSpace {
    pub fn new() -> Self {
        TypeSpace::default()
    }

    /// Generates the type for a whole schema document under `name` (e.g. `CheckInventoryInput`)
    /// and returns the Rust type to use for it (usually `name`; `serde_json::Value` or a
    /// primitive when the schema is not an object).
    pub fn add_root(&mut self, doc: &SchemaDocument, name: &str, owner: &str) -> TokenStream {
        let at = At { doc, owner };
        let ty = self.type_for(at, "", &doc.value, name, 0);
        let ident = format_ident!("{}", name);
        if ident == ty.to_string() {
            return ty;
        }
        // Not an object (or shared with another name): an alias keeps the promised name.
        let doc_comment = doc.value.as_object().map(doc_attr).unwrap_or_default();
        let body_key = format!("alias {ty}");
        self.defs.entry(name.to_owned()).or_insert(TypeDef {
            body_key,
            tokens: quote! { #doc_comment pub type #ident = #ty; },
        });
        quote!(#ident)
    }

    /// Every definition, in name order, after the imports they use: the runtime's serde and
    /// serde_json (`#[serde(crate = …)]` names the same path), so a generated crate depends on
    /// orderflow-runtime alone. Short paths keep derive lists within one line.
    pub fn tokens(&self) -> TokenStream {
        let defs = self.defs.values().map(|d| &d.tokens);
        quote! {
            use ::orderflow_runtime::{serde, serde_json};
            #(#defs)*
        }
    }

    fn warn(&mut self, at: At<'_>, pointer: &str, message: String) {
        self.diagnostics.push(
            Diagnostic::new(Code::GeneratedAsJsonValue, message)
                .at(at.doc.location(pointer))
                .note("the generated field has type serde_json::Value: it accepts any JSON"),
        );
    }

    /// The Rust type for `schema`. `hint` names a new type if one is needed; `named_root`
    /// forces a named type even for a `$ref`-free primitive (never used for primitives).
    fn type_for(
        &mut self,
        at: At<'_>,
        pointer: &str,
        schema: &Value,
        hint: &str,
        depth: usize,
    ) -> TokenStream {
        if depth > MAX_DEPTH {
            self.warn(
                at,
                pointer,
                format!("nested more than {MAX_DEPTH} levels deep"),
            );
            return quote!(serde_json::Value);
        }
        let object = match schema {
            Value::Bool(true) => return quote!(serde_json::Value),
            Value::Object(o) => o,
            _ => {
                self.warn(at, pointer, "`false` schema: no value is valid".into());
                return quote!(serde_json::Value);
            }
        };
        if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
            return self.reference(at, pointer, reference, depth);
        }
        // Nullable: `type: [T, "null"]`, `nullable: true`, `anyOf/oneOf: [T, {type: null}]`.
        if let Some((inner_pointer, inner)) = nullable_inner(pointer, schema) {
            let inner_ty = self.type_for(at, &inner_pointer, &inner, hint, depth + 1);
            return quote!(::core::option::Option<#inner_ty>);
        }
        if let Some(value) = object.get("const") {
            return self.constant(at, pointer, value, hint, object);
        }
        if let Some(values) = object.get("enum").and_then(Value::as_array) {
            return self.enumeration(at, pointer, values, hint, object);
        }
        for keyword in ["oneOf", "anyOf"] {
            if let Some(alternatives) = object.get(keyword).and_then(Value::as_array) {
                return self.alternatives(
                    at,
                    &push_pointer(pointer, keyword),
                    alternatives,
                    hint,
                    object,
                    depth,
                );
            }
        }
        if let Some(parts) = object.get("allOf").and_then(Value::as_array) {
            return self.all_of(at, pointer, object, parts, hint, depth);
        }
        for keyword in [
            "not",
            "if",
            "patternProperties",
            "dependentSchemas",
            "propertyNames",
            "unevaluatedProperties",
        ] {
            if object.contains_key(keyword) {
                self.warn(
                    at,
                    pointer,
                    format!("`{keyword}` has no faithful Rust type"),
                );
                return quote!(serde_json::Value);
            }
        }
        let types = type_names(object);
        match types.as_slice() {
            [] if object.contains_key("properties") || object.contains_key("required") => {
                self.object(at, pointer, object, hint, depth)
            }
            [] if object.contains_key("items") => self.array(at, pointer, object, hint, depth),
            [] => quote!(serde_json::Value),
            [single] => match single.as_str() {
                "string" => quote!(::std::string::String),
                "boolean" => quote!(bool),
                "number" => quote!(f64),
                "integer" => {
                    let unsigned = object
                        .get("minimum")
                        .and_then(Value::as_f64)
                        .is_some_and(|m| m >= 0.0)
                        || object
                            .get("exclusiveMinimum")
                            .and_then(Value::as_f64)
                            .is_some_and(|m| m >= -1.0);
                    if unsigned { quote!(u64) } else { quote!(i64) }
                }
                "array" => self.array(at, pointer, object, hint, depth),
                "object" => self.object(at, pointer, object, hint, depth),
                "null" => quote!(()),
                _ => quote!(serde_json::Value),
            },
            _ => {
                // `type: [A, B]`: an untagged enum with one variant per type.
                let alternatives: Vec<Value> = types
                    .iter()
                    .map(|t| {
                        let mut one = object.clone();
                        one.insert("type".into(), Value::from(t.as_str()));
                        one.remove("description");
                        Value::Object(one)
                    })
                    .collect();
                self.alternatives(at, pointer, &alternatives, hint, object, depth)
            }
        }
    }

    fn reference(
        &mut self,
        at: At<'_>,
        pointer: &str,
        reference: &str,
        depth: usize,
    ) -> TokenStream {
        // The model's resolver, as the checker follows the same reference: fragments are
        // percent-decoded, then unescaped as JSON pointers; `$id`s and anchors resolve too.
        let target = at.doc.resolve_ref(pointer, reference).and_then(|target| {
            match at.doc.value.pointer(&target) {
                Some(value) => Ok((target, value)),
                None => Err(RefError::NoSuchPointer(target)),
            }
        });
        let (target_pointer, target) = match target {
            Ok(found) => found,
            Err(error) => {
                self.warn(
                    at,
                    pointer,
                    format!("`$ref` \"{reference}\" does not resolve: {error}"),
                );
                return quote!(serde_json::Value);
            }
        };
        let key = source_key(at.doc, &target_pointer);
        if let Some(name) = self.named.get(&key).cloned() {
            let ident = format_ident!("{}", name);
            return if self.in_progress.contains(&name) {
                quote!(::std::boxed::Box<#ident>)
            } else {
                quote!(#ident)
            };
        }
        // A whole referenced file (`common.json`, embedded under its path) is named after
        // the file.
        let (_, local) = at.doc.source_of(&target_pointer);
        let last = if local.is_empty() {
            let (file, _) = at.doc.source_of(&target_pointer);
            file.path()
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        } else {
            target_pointer
                .rsplit('/')
                .next()
                .unwrap_or("Definition")
                .to_owned()
        };
        let hint = title_of(target).unwrap_or_else(|| last.to_upper_camel_case());
        self.type_for(at, &target_pointer, target, &hint, depth + 1)
    }

    /// Reserves a name for a new type; identical definitions share one, clashing ones get the
    /// owner's prefix, then a number.
    fn define(
        &mut self,
        at: At<'_>,
        pointer: &str,
        hint: &str,
        build: impl FnOnce(&mut Self, &Ident) -> TokenStream,
    ) -> TokenStream {
        let key = source_key(at.doc, pointer);
        if let Some(name) = self.named.get(&key).cloned() {
            let ident = format_ident!("{}", name);
            return quote!(#ident);
        }
        let base = type_ident_text(hint);
        // Generate the body under a placeholder name to compare with existing definitions.
        let placeholder = format!("{base}__Pending{}", self.in_progress.len());
        self.named.insert(key.clone(), placeholder.clone());
        self.in_progress.push(placeholder.clone());
        let body = build(self, &format_ident!("{}", placeholder));
        self.in_progress.pop();
        let body_key = body.to_string().replace(&placeholder, "Self");

        let mut candidates = vec![base.clone()];
        if !base.starts_with(at.owner) {
            candidates.push(format!("{}{base}", at.owner));
        }
        // An identical definition under this name or a disambiguated form of it is shared.
        let identical = self
            .defs
            .iter()
            .find(|(name, d)| d.body_key == body_key && name.contains(base.as_str()))
            .map(|(name, _)| name.clone());
        let chosen = identical
            .or_else(|| {
                candidates
                    .iter()
                    .find(|c| self.defs.get(*c).is_none_or(|d| d.body_key == body_key))
                    .cloned()
            })
            .unwrap_or_else(|| {
                (2..)
                    .map(|n| format!("{}{n}", candidates[candidates.len() - 1]))
                    .find(|c| self.defs.get(c).is_none_or(|d| d.body_key == body_key))
                    .unwrap_or_default()
            });
        let tokens: TokenStream = body
            .to_string()
            .replace(&placeholder, &chosen)
            .parse()
            .unwrap_or(body);
        // Types that referred to the placeholder while it was in progress (recursion) were
        // emitted with its text; fix them up.
        for def in self.defs.values_mut() {
            if def.tokens.to_string().contains(&placeholder) {
                if let Ok(t) = def
                    .tokens
                    .to_string()
                    .replace(&placeholder, &chosen)
                    .parse()
                {
                    def.tokens = t;
                }
            }
        }
        self.defs
            .entry(chosen.clone())
            .or_insert(TypeDef { body_key, tokens });
        self.named.insert(key, chosen.clone());
        let ident = format_ident!("{}", chosen);
        quote!(#ident)
    }

    fn object(
        &mut self,
        at: At<'_>,
        pointer: &str,
        object: &serde_json::Map<String, Value>,
        hint: &str,
        depth: usize,
    ) -> TokenStream {
        let properties = object.get("properties").and_then(Value::as_object);
        let additional = object.get("additionalProperties");
        // A map: no declared properties, values described by additionalProperties.
        if properties.is_none_or(|p| p.is_empty()) {
            return match additional {
                Some(Value::Bool(false)) => self.define(at, pointer, hint, |_, ident| {
                    let doc = doc_attr(object);
                    quote! {
                        #doc
                        #[derive(serde::Serialize, serde::Deserialize)]
                        #[serde(crate = "::orderflow_runtime::serde")]
                        #[derive(Debug, Clone, PartialEq, Default)]
                        #[serde(deny_unknown_fields)]
                        pub struct #ident {}
                    }
                }),
                Some(schema @ Value::Object(_)) => {
                    let value = self.type_for(
                        at,
                        &push_pointer(pointer, "additionalProperties"),
                        schema,
                        &format!("{hint}Value"),
                        depth + 1,
                    );
                    quote!(::std::collections::BTreeMap<::std::string::String, #value>)
                }
                _ => quote!(serde_json::Map<::std::string::String, serde_json::Value>),
            };
        }
        let required: Vec<&str> = object
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let properties = properties.cloned().unwrap_or_default();
        let additional = additional.cloned();
        self.define(at, pointer, hint, |space, ident| {
            let mut used = Vec::new();
            let mut fields = Vec::new();
            let properties_pointer = push_pointer(pointer, "properties");
            for (json_name, property) in &properties {
                let field_pointer = push_pointer(&properties_pointer, json_name);
                let field_hint = title_of(property)
                    .unwrap_or_else(|| format!("{hint}{}", json_name.to_upper_camel_case()));
                let ty = space.type_for(at, &field_pointer, property, &field_hint, depth + 1);
                let field = field_ident(json_name, &mut used);
                let rename = (field.to_string().trim_start_matches("r#") != json_name)
                    .then(|| quote!(rename = #json_name,));
                let doc = property.as_object().map(doc_attr).unwrap_or_default();
                let optional_already = ty.to_string().starts_with(":: core :: option :: Option");
                if required.contains(&json_name.as_str()) {
                    // Required and nullable stays `Option<T>` that serializes `null`.
                    let attr = rename.map(|r| quote!(#[serde(#r)]));
                    fields.push(quote! { #doc #attr pub #field: #ty, });
                } else if optional_already {
                    fields.push(quote! {
                        #doc
                        #[serde(#rename default, skip_serializing_if = "Option::is_none")]
                        pub #field: #ty,
                    });
                } else {
                    fields.push(quote! {
                        #doc
                        #[serde(#rename default, skip_serializing_if = "Option::is_none")]
                        pub #field: ::core::option::Option<#ty>,
                    });
                }
            }
            let mut container = Vec::new();
            match &additional {
                Some(Value::Bool(false)) => container.push(quote!(#[serde(deny_unknown_fields)])),
                Some(schema @ Value::Object(_)) => {
                    let value = space.type_for(
                        at,
                        &push_pointer(pointer, "additionalProperties"),
                        schema,
                        &format!("{hint}Value"),
                        depth + 1,
                    );
                    let field = field_ident("additional_properties", &mut used);
                    fields.push(quote! {
                        /// Properties beyond the declared ones (`additionalProperties`).
                        #[serde(flatten)]
                        pub #field: ::std::collections::BTreeMap<::std::string::String, #value>,
                    });
                }
                _ => {}
            }
            let doc = doc_attr(object);
            quote! {
                #doc
                #[derive(serde::Serialize, serde::Deserialize)]
                #[serde(crate = "::orderflow_runtime::serde")]
                #[derive(Debug, Clone, PartialEq)]
                #(#container)*
                pub struct #ident { #(#fields)* }
            }
        })
    }

    fn array(
        &mut self,
        at: At<'_>,
        pointer: &str,
        object: &serde_json::Map<String, Value>,
        hint: &str,
        depth: usize,
    ) -> TokenStream {
        match object.get("items") {
            Some(items @ (Value::Object(_) | Value::Bool(_))) => {
                let item_hint = title_of(items).unwrap_or_else(|| format!("{hint}Item"));
                let item = self.type_for(
                    at,
                    &push_pointer(pointer, "items"),
                    items,
                    &item_hint,
                    depth + 1,
                );
                // A Vec already gives recursive types the indirection they need.
                let item: TokenStream =
                    match item.to_string().strip_prefix(":: std :: boxed :: Box <") {
                        Some(inner) => inner.trim_end_matches('>').parse().unwrap_or(item),
                        None => item,
                    };
                quote!(::std::vec::Vec<#item>)
            }
            Some(_) => {
                self.warn(
                    at,
                    pointer,
                    "tuple arrays (`items` as an array) have no faithful Rust type here".into(),
                );
                quote!(::std::vec::Vec<serde_json::Value>)
            }
            None if object.contains_key("prefixItems") => {
                self.warn(
                    at,
                    pointer,
                    "tuple arrays (`prefixItems`) have no faithful Rust type here".into(),
                );
                quote!(::std::vec::Vec<serde_json::Value>)
            }
            None => quote!(::std::vec::Vec<serde_json::Value>),
        }
    }

    fn constant(
        &mut self,
        at: At<'_>,
        pointer: &str,
        value: &Value,
        hint: &str,
        object: &serde_json::Map<String, Value>,
    ) -> TokenStream {
        match value {
            Value::String(_) => {
                self.enumeration(at, pointer, std::slice::from_ref(value), hint, object)
            }
            _ => {
                self.warn(
                    at,
                    pointer,
                    format!("`const` {value} is only representable as a string constant"),
                );
                quote!(serde_json::Value)
            }
        }
    }

    fn enumeration(
        &mut self,
        at: At<'_>,
        pointer: &str,
        values: &[Value],
        hint: &str,
        object: &serde_json::Map<String, Value>,
    ) -> TokenStream {
        let strings: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
        if strings.len() != values.len() || strings.is_empty() {
            self.warn(
                at,
                pointer,
                "an `enum` of values other than strings has no faithful Rust enum".into(),
            );
            return quote!(serde_json::Value);
        }
        self.define(at, pointer, hint, |_, ident| {
            let mut used = Vec::new();
            let variants = strings.iter().map(|s| {
                let variant = variant_ident(s, &mut used);
                quote! { #[serde(rename = #s)] #variant, }
            });
            let doc = doc_attr(object);
            quote! {
                #doc
                #[derive(serde::Serialize, serde::Deserialize)]
                #[serde(crate = "::orderflow_runtime::serde")]
                #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
                pub enum #ident { #(#variants)* }
            }
        })
    }

    fn alternatives(
        &mut self,
        at: At<'_>,
        pointer: &str,
        alternatives: &[Value],
        hint: &str,
        object: &serde_json::Map<String, Value>,
        depth: usize,
    ) -> TokenStream {
        // Discriminated by a property every alternative fixes with `const` (or a one-value enum).
        if let Some(tag) = discriminator(alternatives) {
            return self.define(at, pointer, hint, |space, ident| {
                let mut used = Vec::new();
                let mut variants = Vec::new();
                for (i, alternative) in alternatives.iter().enumerate() {
                    let value = tag_value(alternative, &tag).unwrap_or_default();
                    let variant = variant_ident(&value, &mut used);
                    let mut stripped = alternative.clone();
                    if let Some(props) = stripped
                        .get_mut("properties")
                        .and_then(Value::as_object_mut)
                    {
                        props.shift_remove(&tag);
                    }
                    if let Some(req) = stripped.get_mut("required").and_then(Value::as_array_mut) {
                        req.retain(|r| r.as_str() != Some(tag.as_str()));
                    }
                    // Only the tag: a unit variant.
                    let empty = stripped
                        .get("properties")
                        .and_then(Value::as_object)
                        .is_none_or(serde_json::Map::is_empty)
                        && !matches!(stripped.get("additionalProperties"), Some(Value::Object(_)));
                    if empty {
                        variants.push(quote! { #[serde(rename = #value)] #variant, });
                        continue;
                    }
                    let alt_pointer = push_pointer(pointer, &i.to_string());
                    let payload_hint = title_of(alternative)
                        .unwrap_or_else(|| format!("{hint}{}", value.to_upper_camel_case()));
                    let payload =
                        space.type_for(at, &alt_pointer, &stripped, &payload_hint, depth + 1);
                    variants.push(quote! { #[serde(rename = #value)] #variant(#payload), });
                }
                let doc = doc_attr(object);
                quote! {
                    #doc
                    #[derive(serde::Serialize, serde::Deserialize)]
                    #[serde(crate = "::orderflow_runtime::serde")]
                    #[derive(Debug, Clone, PartialEq)]
                    #[serde(tag = #tag)]
                    pub enum #ident { #(#variants)* }
                }
            });
        }
        // Alternatives of distinct JSON types: untagged.
        let kinds: Vec<Option<String>> = alternatives.iter().map(single_type).collect();
        let distinct = kinds.iter().all(Option::is_some) && {
            let mut k: Vec<&String> = kinds.iter().flatten().collect();
            k.sort();
            k.dedup();
            k.len() == kinds.len()
        };
        if distinct {
            return self.define(at, pointer, hint, |space, ident| {
                let mut used = Vec::new();
                let mut variants = Vec::new();
                for (i, (alternative, kind)) in alternatives.iter().zip(&kinds).enumerate() {
                    let kind = kind.clone().unwrap_or_default();
                    let variant = variant_ident(&kind, &mut used);
                    let alt_pointer = push_pointer(pointer, &i.to_string());
                    let payload_hint = title_of(alternative)
                        .unwrap_or_else(|| format!("{hint}{}", kind.to_upper_camel_case()));
                    let payload =
                        space.type_for(at, &alt_pointer, alternative, &payload_hint, depth + 1);
                    variants.push(quote! { #variant(#payload), });
                }
                let doc = doc_attr(object);
                quote! {
                    #doc
                    #[derive(serde::Serialize, serde::Deserialize)]
                    #[serde(crate = "::orderflow_runtime::serde")]
                    #[derive(Debug, Clone, PartialEq)]
                    #[serde(untagged)]
                    pub enum #ident { #(#variants)* }
                }
            });
        }
        self.warn(at, pointer, "`oneOf`/`anyOf` alternatives that neither differ in JSON type nor share a `const` discriminator property cannot be told apart".into());
        quote!(serde_json::Value)
    }

    fn all_of(
        &mut self,
        at: At<'_>,
        pointer: &str,
        object: &serde_json::Map<String, Value>,
        parts: &[Value],
        hint: &str,
        depth: usize,
    ) -> TokenStream {
        // Objects merge into one: properties and required lists combined (refs followed).
        let mut merged = serde_json::Map::new();
        let mut properties = serde_json::Map::new();
        let mut required: Vec<Value> = Vec::new();
        let mut closed = false;
        let own = Value::Object(object.clone());
        let all_of_pointer = push_pointer(pointer, "allOf");
        let located = parts
            .iter()
            .enumerate()
            .map(|(i, part)| (push_index(&all_of_pointer, i), part))
            .chain(std::iter::once((pointer.to_owned(), &own)));
        for (part_pointer, part) in located {
            let (_, part) = at.doc.follow_refs(&part_pointer, part);
            let Some(o) = part.as_object() else {
                continue;
            };
            let kinds = type_names(o);
            if !(kinds.is_empty() || kinds == ["object"])
                || o.contains_key("oneOf")
                || o.contains_key("anyOf")
            {
                self.warn(
                    at,
                    pointer,
                    "`allOf` of schemas that are not all plain objects has no faithful Rust type"
                        .into(),
                );
                return quote!(serde_json::Value);
            }
            if let Some(p) = o.get("properties").and_then(Value::as_object) {
                for (k, v) in p {
                    properties.insert(k.clone(), v.clone());
                }
            }
            if let Some(r) = o.get("required").and_then(Value::as_array) {
                required.extend(r.iter().cloned());
            }
            closed |= o.get("additionalProperties") == Some(&Value::Bool(false));
            for key in ["title", "description"] {
                if let Some(v) = o.get(key) {
                    merged.entry(key.to_owned()).or_insert(v.clone());
                }
            }
        }
        merged.insert("type".into(), Value::from("object"));
        merged.insert("properties".into(), Value::Object(properties));
        merged.insert("required".into(), Value::Array(required));
        if closed {
            merged.insert("additionalProperties".into(), Value::Bool(false));
        }
        self.object(at, pointer, &merged, hint, depth)
    }
}

/// A schema's identity for sharing its type: the file it was written in and its pointer there,
/// so a definition in a shared file (`common.json#/$defs/Book`) that several schemas embed is
/// one type.
fn source_key(doc: &SchemaDocument, pointer: &str) -> (String, String) {
    let (file, local) = doc.source_of(pointer);
    (file.path().display().to_string(), local)
}

fn type_names(object: &serde_json::Map<String, Value>) -> Vec<String> {
    match object.get("type") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// The single JSON type an alternative has, if it has exactly one.
fn single_type(schema: &Value) -> Option<String> {
    let object = schema.as_object()?;
    match type_names(object).as_slice() {
        [one] => Some(one.clone()),
        [] if object.contains_key("properties") => Some("object".into()),
        _ => None,
    }
}

/// `T` of a schema that is "T or null", with the pointer of T.
fn nullable_inner(pointer: &str, schema: &Value) -> Option<(String, Value)> {
    let object = schema.as_object()?;
    if object.get("nullable") == Some(&Value::Bool(true)) {
        let mut inner = object.clone();
        inner.remove("nullable");
        return Some((pointer.to_owned(), Value::Object(inner)));
    }
    let types = type_names(object);
    if types.len() == 2 && types.iter().any(|t| t == "null") {
        let other = types.iter().find(|t| *t != "null")?;
        let mut inner = object.clone();
        inner.insert("type".into(), Value::from(other.as_str()));
        return Some((pointer.to_owned(), Value::Object(inner)));
    }
    for keyword in ["anyOf", "oneOf"] {
        if let Some(alternatives) = object.get(keyword).and_then(Value::as_array) {
            if alternatives.len() == 2 {
                let is_null = |v: &Value| v.get("type").and_then(Value::as_str) == Some("null");
                if let Some(i) = alternatives.iter().position(|a| !is_null(a)) {
                    if alternatives.iter().any(is_null) {
                        return Some((
                            push_pointer(&push_pointer(pointer, keyword), &i.to_string()),
                            alternatives[i].clone(),
                        ));
                    }
                }
            }
        }
    }
    None
}

/// A property every alternative fixes to a distinct string (`const` or a one-value `enum`).
fn discriminator(alternatives: &[Value]) -> Option<String> {
    let first = alternatives.first()?.get("properties")?.as_object()?;
    first
        .keys()
        .find(|name| {
            let values: Option<Vec<String>> =
                alternatives.iter().map(|a| tag_value(a, name)).collect();
            values.is_some_and(|mut v| {
                let n = v.len();
                v.sort();
                v.dedup();
                v.len() == n
            })
        })
        .cloned()
}

fn tag_value(alternative: &Value, tag: &str) -> Option<String> {
    let property = alternative.get("properties")?.get(tag)?;
    if let Some(c) = property.get("const").and_then(Value::as_str) {
        return Some(c.to_owned());
    }
    match property.get("enum")?.as_array()?.as_slice() {
        [Value::String(only)] => Some(only.clone()),
        _ => None,
    }
}

fn title_of(schema: &Value) -> Option<String> {
    schema
        .get("title")
        .and_then(Value::as_str)
        .map(ToUpperCamelCase::to_upper_camel_case)
        .filter(|t| !t.is_empty())
}

fn doc_attr(object: &serde_json::Map<String, Value>) -> TokenStream {
    match object.get("description").and_then(Value::as_str) {
        Some(text) => doc_lines(text),
        None => TokenStream::new(),
    }
}

/// `#[doc = " line"]` per line, as `///` comments print.
pub fn doc_lines(text: &str) -> TokenStream {
    let lines = text.lines().map(|l| format!(" {}", l.trim_end()));
    quote! { #(#[doc = #lines])* }
}

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "dyn", "else", "enum", "extern", "false",
    "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref",
    "return", "static", "struct", "trait", "true", "type", "unsafe", "use", "where", "while",
    "abstract", "become", "box", "do", "final", "gen", "macro", "override", "priv", "try",
    "typeof", "unsized", "virtual", "yield",
];

/// A snake_case field name for a JSON property, unique among `used`.
pub fn field_ident(json_name: &str, used: &mut Vec<String>) -> Ident {
    let mut base = json_name.to_snake_case();
    if base.is_empty() || base.starts_with(|c: char| c.is_ascii_digit()) {
        base = format!("field_{base}");
    }
    if matches!(base.as_str(), "self" | "super" | "crate" | "_") {
        base.push('_');
    }
    let name = unique(base, used);
    if KEYWORDS.contains(&name.as_str()) {
        Ident::new_raw(&name, Span::call_site())
    } else {
        format_ident!("{}", name)
    }
}

/// An UpperCamelCase variant name for a JSON string, unique among `used`.
pub fn variant_ident(value: &str, used: &mut Vec<String>) -> Ident {
    format_ident!("{}", unique(type_ident_text(value), used))
}

/// An UpperCamelCase type name for arbitrary text (`Is In Stock?` → `IsInStock`).
pub fn type_ident_text(text: &str) -> String {
    let mut name = text.to_upper_camel_case();
    name.retain(|c| c.is_alphanumeric() || c == '_');
    if name.is_empty() {
        name = "Empty".into();
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name = format!("V{name}");
    }
    if name == "Self" {
        name = "SelfType".into();
    }
    name
}

fn unique(base: String, used: &mut Vec<String>) -> String {
    let name = if used.contains(&base) {
        (2..)
            .map(|n| format!("{base}{n}"))
            .find(|c| !used.contains(c))
            .unwrap_or(base)
    } else {
        base
    };
    used.push(name.clone());
    name
}
