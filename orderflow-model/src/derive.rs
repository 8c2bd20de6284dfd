//! `#[derive(StepInput)]` / `#[derive(StepOutput)]`: checks a hand-written struct against a
//! function's schema at compile time. `orderflow-macros` is a thin shell over [`derive_step`],
//! as sqlx-macros is over sqlx-macros-core.
//!
//! What the syntax shows is checked here, with errors on the offending field: property names
//! (after serde's `rename`, `rename_all`, `skip`, `flatten`, read by serde's own attribute parser),
//! required properties, field types as far as they are primitives, `Option`, `Vec` and maps, and
//! `deny_unknown_fields` on inputs against the schema's closedness. A field whose type is another
//! struct gets a compile-time assertion that the type derives the check for the nested schema.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use serde_json::Value;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, GenericArgument, PathArguments, Type};

use crate::diagnostic::render_short;
use crate::schema::SchemaDocument;
use crate::source::{SourceFile, lexical_path, relative_path};
use crate::workflow::WorkflowSources;
use crate::{Analysis, analyze};

/// Which schema a derive checks against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `StepInput`: the function's input schema; the struct is deserialized.
    Input,
    /// `StepOutput`: the function's output schema; the struct is serialized.
    Output,
}

impl Direction {
    fn trait_name(self) -> &'static str {
        match self {
            Direction::Input => "StepInput",
            Direction::Output => "StepOutput",
        }
    }

    fn word(self) -> &'static str {
        match self {
            Direction::Input => "input",
            Direction::Output => "output",
        }
    }
}

/// Workflows analysed in this compiler process, by folder and the name it is written as: a
/// crate with many derives parses each workflow once.
type Cache = Mutex<HashMap<(PathBuf, String), Arc<Analysis>>>;
static ANALYSES: std::sync::LazyLock<Cache> = std::sync::LazyLock::new(Cache::default);

/// Analyses the folder `dir`, naming its files as `label/<file>` in messages (the path as the
/// attribute writes it, not this machine's absolute path).
fn analysis_of(dir: &Path, label: &str) -> Result<Arc<Analysis>, String> {
    let key = (dir.to_path_buf(), label.to_owned());
    if let Ok(cache) = ANALYSES.lock() {
        if let Some(found) = cache.get(&key) {
            return Ok(Arc::clone(found));
        }
    }
    if !dir.is_dir() {
        return Err(format!(
            "the workflow folder `{label}` does not exist (paths are relative to the crate's \
             Cargo.toml folder, or to ORDERFLOW_DEFINITIONS when it is set)"
        ));
    }
    let read = WorkflowSources::read_dir(dir)
        .map_err(|e| format!("cannot read the workflow folder `{label}`: {e}"))?;
    let mut sources = WorkflowSources::new(label);
    for file in read.files() {
        let relative = file.path().strip_prefix(dir).unwrap_or(file.path());
        sources.insert(&relative.to_string_lossy().replace('\\', "/"), file.text());
    }
    // Files the schemas `$ref` outside the folder keep their place relative to it.
    let base = lexical_path(dir);
    let relabel = |path: &Path| {
        let relative = relative_path(&base, &lexical_path(path))
            .map_or_else(|| path.to_path_buf(), PathBuf::from);
        lexical_path(&Path::new(label).join(relative))
    };
    for (path, file) in &read.referenced {
        let path = relabel(path);
        sources
            .referenced
            .insert(path.clone(), SourceFile::new(path, file.text()));
    }
    for (path, why) in &read.refused {
        sources.refused.insert(relabel(path), why.clone());
    }
    sources.read_errors = read.read_errors;
    let analysis = Arc::new(analyze(&sources));
    if let Ok(mut cache) = ANALYSES.lock() {
        cache.insert(key, Arc::clone(&analysis));
    }
    Ok(analysis)
}

/// The `#[step(...)]` attribute.
struct StepAttr {
    workflow: String,
    function: String,
    /// A JSON pointer into the schema, for nested structs (`/properties/book`).
    pointer: String,
    /// The `workflow = "…"` literal, where problems with the folder are reported.
    span: Span,
    function_span: Span,
    pointer_span: Span,
}

/// Expands the derive. `manifest_dir` is the deriving crate's `CARGO_MANIFEST_DIR`;
/// `definitions` the `ORDERFLOW_DEFINITIONS` override, if set.
pub fn derive_step(
    input: TokenStream,
    direction: Direction,
    manifest_dir: &Path,
    definitions: Option<&Path>,
) -> TokenStream {
    match expand(input, direction, manifest_dir, definitions) {
        Ok(tokens) => tokens,
        Err(errors) => errors.to_compile_error(),
    }
}

fn expand(
    input: TokenStream,
    direction: Direction,
    manifest_dir: &Path,
    definitions: Option<&Path>,
) -> syn::Result<TokenStream> {
    let input: DeriveInput = syn::parse2(input)?;
    let attr = step_attr(&input, direction)?;
    // `ORDERFLOW_DEFINITIONS` holds workflow folders by name, like sqlx's offline directory.
    let dir = match definitions {
        Some(root) => root.join(Path::new(&attr.workflow).file_name().unwrap_or_default()),
        None => manifest_dir.join(&attr.workflow),
    };
    let analysis = analysis_of(&dir, &attr.workflow).map_err(|m| syn::Error::new(attr.span, m))?;
    if analysis.has_errors() {
        let lines: Vec<String> = analysis
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(render_short)
            .collect();
        return Err(syn::Error::new(
            attr.span,
            format!(
                "the workflow {} does not pass `orderflow-codegen check`:\n{}",
                attr.workflow,
                lines.join("\n")
            ),
        ));
    }
    let Some(workflow) = &analysis.workflow else {
        return Err(syn::Error::new(attr.span, "the workflow could not be read"));
    };
    let Some(function) = workflow.functions.get(&attr.function) else {
        let names: Vec<&str> = workflow.functions.keys().map(String::as_str).collect();
        let hint = crate::suggest::did_you_mean(&attr.function, names.iter().copied())
            .map(|h| format!("; {h}"))
            .unwrap_or_default();
        return Err(syn::Error::new(
            attr.function_span,
            format!(
                "the workflow {} has no function `{}` (functions: {}){hint}",
                attr.workflow,
                attr.function,
                names.join(", ")
            ),
        ));
    };
    let doc = match direction {
        Direction::Input => &function.input,
        Direction::Output => &function.output,
    };
    let Some(schema) = doc.value.pointer(&attr.pointer) else {
        return Err(syn::Error::new(
            attr.pointer_span,
            format!(
                "nothing is at `{}` in {}",
                attr.pointer,
                doc.file.path().display()
            ),
        ));
    };
    let (pointer, schema) = doc.follow_refs(&attr.pointer, schema);
    let context = Context {
        direction,
        function: &attr.function,
        file: doc.file.path().display().to_string(),
        doc,
    };
    let mut errors = Vec::new();
    let mut assertions = Vec::new();
    check_struct(
        &input,
        &context,
        &pointer,
        schema,
        &mut errors,
        &mut assertions,
    );
    let mut errors = errors.into_iter();
    if let Some(mut combined) = errors.next() {
        combined.extend(errors);
        return Err(combined);
    }

    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let trait_ident = syn::Ident::new(direction.trait_name(), Span::call_site());
    // The whole document: the validator resolves `pointer` (and the `$ref`s under it) within it.
    let schema_text = serde_json::to_string(&doc.value).unwrap_or_default();
    let workflow_name = &workflow.name;
    let function_name = &attr.function;
    // Every file the model was built from: changing any of them recompiles this crate.
    let label = Path::new(&attr.workflow);
    let tracked: Vec<String> = workflow_files(workflow)
        .into_iter()
        .map(|p| {
            let relative =
                relative_path(&lexical_path(label), &p).map_or_else(|| p.clone(), PathBuf::from);
            lexical_path(&dir.join(relative)).display().to_string()
        })
        .collect();
    Ok(quote! {
        const _: () = {
            #(const _: &[u8] = ::core::include_bytes!(#tracked);)*
            #(#assertions)*
            impl #impl_generics ::orderflow_runtime::#trait_ident for #ident #ty_generics #where_clause {
                const WORKFLOW: &'static str = #workflow_name;
                const FUNCTION: &'static str = #function_name;
                const POINTER: &'static str = #pointer;
                const SCHEMA: &'static str = #schema_text;
                ::orderflow_runtime::__private::step_validator!(#schema_text, #pointer);
            }
        };
    })
}

fn workflow_files(workflow: &crate::workflow::Workflow) -> Vec<PathBuf> {
    let mut files = vec![workflow.machine.file.path().to_path_buf()];
    files.extend(
        workflow
            .manifest_file
            .iter()
            .map(|f| f.path().to_path_buf()),
    );
    files.extend(
        workflow
            .execution_input
            .iter()
            .map(|s| s.file.path().to_path_buf()),
    );
    for f in workflow.functions.values() {
        files.push(f.input.file.path().to_path_buf());
        files.push(f.output.file.path().to_path_buf());
    }
    // Files the schemas `$ref`: editing a shared definition recompiles too.
    let schemas = workflow
        .functions
        .values()
        .flat_map(|f| [&f.input, &f.output])
        .chain(workflow.execution_input.iter());
    for linked in schemas.flat_map(|s| s.linked_files()) {
        let path = linked.path().to_path_buf();
        if !files.contains(&path) {
            files.push(path);
        }
    }
    files
}

fn step_attr(input: &DeriveInput, direction: Direction) -> syn::Result<StepAttr> {
    let Some(attr) = input.attrs.iter().find(|a| a.path().is_ident("step")) else {
        return Err(syn::Error::new(
            input.ident.span(),
            format!(
                "#[derive({})] needs #[step(workflow = \"../definitions/<workflow>\", function = \"<function>\")]",
                direction.trait_name()
            ),
        ));
    };
    let mut workflow = None;
    let mut function = None;
    let mut pointer = (String::new(), attr.span());
    attr.parse_nested_meta(|meta| {
        let value: syn::LitStr = meta.value()?.parse()?;
        if meta.path.is_ident("workflow") {
            workflow = Some((value.value(), value.span()));
        } else if meta.path.is_ident("function") {
            function = Some((value.value(), value.span()));
        } else if meta.path.is_ident("pointer") {
            pointer = (value.value(), value.span());
        } else {
            return Err(meta.error("expected `workflow`, `function` or `pointer`"));
        }
        Ok(())
    })?;
    match (workflow, function) {
        (Some((workflow, span)), Some((function, function_span))) => Ok(StepAttr {
            workflow,
            function,
            pointer: pointer.0,
            span,
            function_span,
            pointer_span: pointer.1,
        }),
        _ => Err(syn::Error::new(
            attr.span(),
            "#[step(...)] needs both `workflow = \"…\"` and `function = \"…\"`",
        )),
    }
}

struct Context<'a> {
    direction: Direction,
    function: &'a str,
    file: String,
    doc: &'a SchemaDocument,
}

impl Context<'_> {
    fn what(&self) -> String {
        format!(
            "{}'s {} schema ({})",
            self.function,
            self.direction.word(),
            self.file
        )
    }
}

/// serde's attributes on a field, as far as they change the JSON, read by serde's own
/// attribute parser ([`serde_derive_internals`]) so names follow serde's rename rules exactly.
struct SerdeField<'a> {
    ident: &'a syn::Ident,
    ty: &'a Type,
    /// The JSON name in this direction (after `rename`, `rename_all`).
    name: String,
    /// `default` on the field or on the struct.
    default: bool,
    /// `skip`, or `skip_deserializing` (input) / `skip_serializing` (output).
    skip: bool,
    flatten: bool,
    /// `with`/`serialize_with`/`deserialize_with`: the Rust type says nothing about the JSON.
    custom: bool,
    skip_serializing_if: bool,
}

/// The struct's serde attributes: its fields (in order) and `deny_unknown_fields`.
struct SerdeStruct<'a> {
    fields: Vec<SerdeField<'a>>,
    deny_unknown_fields: bool,
}

/// Reads the `#[serde(...)]` attributes of a struct with named fields as serde would for
/// `direction` (deserializing an input, serializing an output). Malformed attributes are
/// serde's own errors.
fn serde_struct(input: &DeriveInput, direction: Direction) -> syn::Result<SerdeStruct<'_>> {
    let derive = match direction {
        Direction::Input => serde_derive_internals::Derive::Deserialize,
        Direction::Output => serde_derive_internals::Derive::Serialize,
    };
    // The context must be checked before it is dropped (it panics otherwise).
    let cx = serde_derive_internals::Ctxt::new();
    let container = serde_derive_internals::ast::Container::from_ast(&cx, input, derive);
    let read = container.map(|container| {
        let container_default = !container.attrs.default().is_none();
        let deny_unknown_fields = container.attrs.deny_unknown_fields();
        let parsed: Vec<SerdeField<'_>> = match &container.data {
            serde_derive_internals::ast::Data::Struct(_, parsed) => parsed
                .iter()
                .filter_map(|field| {
                    let ident = field.original.ident.as_ref()?;
                    let attrs = &field.attrs;
                    let (name, skip, custom) = match direction {
                        Direction::Input => (
                            attrs.name().deserialize_name().to_owned(),
                            attrs.skip_deserializing(),
                            attrs.deserialize_with().is_some(),
                        ),
                        Direction::Output => (
                            attrs.name().serialize_name().to_owned(),
                            attrs.skip_serializing(),
                            attrs.serialize_with().is_some(),
                        ),
                    };
                    Some(SerdeField {
                        ident,
                        ty: field.ty,
                        name,
                        default: container_default || !attrs.default().is_none(),
                        skip,
                        flatten: attrs.flatten(),
                        custom,
                        skip_serializing_if: attrs.skip_serializing_if().is_some(),
                    })
                })
                .collect(),
            serde_derive_internals::ast::Data::Enum(_) => Vec::new(),
        };
        SerdeStruct {
            fields: parsed,
            deny_unknown_fields,
        }
    });
    cx.check()?;
    read.ok_or_else(|| syn::Error::new(input.ident.span(), "serde cannot read this type"))
}

fn check_struct(
    input: &DeriveInput,
    cx: &Context<'_>,
    pointer: &str,
    schema: &Value,
    errors: &mut Vec<syn::Error>,
    assertions: &mut Vec<TokenStream>,
) {
    let Data::Struct(data) = &input.data else {
        errors.push(syn::Error::new(
            input.ident.span(),
            format!(
                "#[derive({})] supports structs with named fields",
                cx.direction.trait_name()
            ),
        ));
        return;
    };
    let Fields::Named(fields) = &data.fields else {
        errors.push(syn::Error::new(
            input.ident.span(),
            format!(
                "#[derive({})] supports structs with named fields",
                cx.direction.trait_name()
            ),
        ));
        return;
    };
    let serde = match serde_struct(input, cx.direction) {
        Ok(serde) => serde,
        Err(e) => {
            errors.push(e);
            return;
        }
    };
    if schema
        .get("type")
        .and_then(Value::as_str)
        .is_some_and(|t| t != "object")
    {
        errors.push(syn::Error::new(
            input.ident.span(),
            format!(
                "{} is not an object at `{pointer}`, so a struct cannot match it",
                cx.what()
            ),
        ));
        return;
    }
    let empty = serde_json::Map::new();
    let properties = schema
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let additional_allowed = schema.get("additionalProperties") != Some(&Value::Bool(false));

    let mut covered: Vec<String> = Vec::new();
    let mut open_flatten = false;
    for field in &serde.fields {
        let ident = field.ident;
        if field.skip {
            continue;
        }
        if field.flatten {
            // A flattened map takes every other property; a flattened struct's fields are not
            // visible here, so missing properties cannot be judged.
            open_flatten = true;
            continue;
        }
        let name = field.name.clone();
        let Some(property) = properties.get(&name) else {
            // An input field the schema does not declare is filled only by an undeclared extra,
            // which the data-flow check never guarantees: unless it may be absent, no checked
            // input can ever deserialize into the struct.
            let never_filled = cx.direction == Direction::Input
                && option_inner(field.ty).is_none()
                && !field.default;
            let candidates: Vec<&str> = properties
                .keys()
                .map(String::as_str)
                .filter(|k| !covered.iter().any(|c| c == k))
                .collect();
            let near = crate::suggest::closest(&name, candidates.iter().copied());
            // With additional properties allowed, an optional undeclared field is fine unless it
            // is a near miss, which is almost surely a typo.
            if !additional_allowed || never_filled || near.is_some() {
                let shown = if *ident == name {
                    format!("field `{name}`")
                } else {
                    format!("field `{ident}` (JSON name `{name}`)")
                };
                // A closed schema already says it all; an open one needs the reason.
                let why = if never_filled && additional_allowed {
                    ", so no input can fill it: it is neither an `Option<…>` nor `#[serde(default)]`"
                } else {
                    ""
                };
                let hint = near
                    .map(|c| format!("; did you mean `{c}`?"))
                    .unwrap_or_default();
                errors.push(syn::Error::new(
                    ident.span(),
                    format!("{shown} is not in {}{why}{hint}", cx.what()),
                ));
            }
            continue;
        };
        covered.push(name.clone());
        let property_pointer =
            crate::json::push_pointer(&crate::json::push_pointer(pointer, "properties"), &name);
        let is_required = required.contains(&name.as_str());
        let (field_ty, optional) = match option_inner(field.ty) {
            Some(inner) => (inner, true),
            None => (field.ty, false),
        };
        if cx.direction == Direction::Input && !is_required && !optional && !field.default {
            errors.push(syn::Error::new(
                field.ty.span(),
                format!(
                    "property `{name}` is optional in {}, so `{ident}` must be an `Option<…>` or have `#[serde(default)]`",
                    cx.what()
                ),
            ));
        }
        if cx.direction == Direction::Output
            && is_required
            && optional
            && !field.skip_serializing_if
            && !nullable(property)
        {
            errors.push(syn::Error::new(
                field.ty.span(),
                format!(
                    "property `{name}` is required and not nullable in {}, but `{ident}` may serialize as null",
                    cx.what()
                ),
            ));
        }
        if field.custom {
            continue;
        }
        let (resolved_pointer, resolved) = cx.doc.follow_refs(&property_pointer, property);
        check_type(
            field_ty,
            cx,
            &name,
            &resolved_pointer,
            resolved,
            errors,
            assertions,
        );
    }
    if !open_flatten {
        for name in &required {
            if !covered.iter().any(|c| c == name) {
                let candidates: Vec<String> = fields
                    .named
                    .iter()
                    .filter_map(|f| f.ident.as_ref().map(ToString::to_string))
                    .collect();
                let hint = crate::suggest::closest(name, candidates.iter().map(String::as_str))
                    .map(|c| format!("; field `{c}` is close: add #[serde(rename = \"{name}\")] if it is meant"))
                    .unwrap_or_default();
                errors.push(syn::Error::new(
                    input.ident.span(),
                    format!(
                        "required property `{name}` of {} has no field{hint}",
                        cx.what()
                    ),
                ));
            }
        }
    }
    // `deny_unknown_fields` only changes deserializing: serde then rejects every property
    // without a field. An input the schema accepts must not be rejected, so the schema must be
    // closed and each property it declares must have a field. (The reverse, a closed schema
    // without the attribute, is harmless: no valid input has extra properties, and serde ignores
    // them anyway. A flattened field takes the extras, so the attribute rejects nothing.)
    if serde.deny_unknown_fields && cx.direction == Direction::Input && !open_flatten {
        let span = deny_unknown_fields_span(input).unwrap_or_else(|| input.ident.span());
        if additional_allowed {
            errors.push(syn::Error::new(
                span,
                format!(
                    "{} allows properties it does not declare (it has no \"additionalProperties\": false), \
                     but #[serde(deny_unknown_fields)] rejects every input that has one; \
                     remove the attribute, or close the schema",
                    cx.what()
                ),
            ));
        }
        // A missing required property is already an error of its own.
        for name in properties.keys() {
            if !covered.iter().any(|c| c == name) && !required.contains(&name.as_str()) {
                errors.push(syn::Error::new(
                    span,
                    format!(
                        "property `{name}` of {} has no field, so #[serde(deny_unknown_fields)] \
                         rejects every input that has it; add an `Option<…>` field for it, or \
                         remove the attribute",
                        cx.what()
                    ),
                ));
            }
        }
    }
}

/// The `deny_unknown_fields` word in the struct's `#[serde(...)]` attributes, where its
/// errors point.
fn deny_unknown_fields_span(input: &DeriveInput) -> Option<Span> {
    input
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("serde"))
        .filter_map(|a| match &a.meta {
            syn::Meta::List(list) => Some(list.tokens.clone()),
            _ => None,
        })
        .flat_map(|tokens| tokens.into_iter())
        .find_map(|token| match token {
            proc_macro2::TokenTree::Ident(ident) if ident == "deny_unknown_fields" => {
                Some(ident.span())
            }
            _ => None,
        })
}

fn nullable(schema: &Value) -> bool {
    match schema.get("type") {
        Some(Value::String(t)) => t == "null",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "null"),
        _ => schema.get("nullable") == Some(&Value::Bool(true)) || schema.get("type").is_none(),
    }
}

fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        Type::Reference(r) => last_segment(&r.elem),
        Type::Group(g) => last_segment(&g.elem),
        Type::Paren(p) => last_segment(&p.elem),
        _ => None,
    }
}

fn generic_args(segment: &syn::PathSegment) -> Vec<&Type> {
    match &segment.arguments {
        PathArguments::AngleBracketed(args) => args
            .args
            .iter()
            .filter_map(|a| match a {
                GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn option_inner(ty: &Type) -> Option<&Type> {
    let segment = last_segment(ty)?;
    if segment.ident != "Option" {
        return None;
    }
    generic_args(segment).first().copied()
}

/// The smallest and largest value of an integer type.
fn integer_range(name: &str) -> Option<(f64, f64)> {
    Some(match name {
        "u8" => (0.0, u8::MAX as f64),
        "u16" => (0.0, u16::MAX as f64),
        "u32" => (0.0, u32::MAX as f64),
        "u64" | "usize" | "u128" => (0.0, u64::MAX as f64),
        "i8" => (i8::MIN as f64, i8::MAX as f64),
        "i16" => (i16::MIN as f64, i16::MAX as f64),
        "i32" => (i32::MIN as f64, i32::MAX as f64),
        "i64" | "isize" | "i128" => (i64::MIN as f64, i64::MAX as f64),
        _ => return None,
    })
}

fn schema_types(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect(),
        _ => Vec::new(),
    }
}

fn type_text(ty: &Type) -> String {
    quote!(#ty).to_string().replace(' ', "")
}

#[allow(clippy::too_many_arguments)]
fn check_type(
    ty: &Type,
    cx: &Context<'_>,
    name: &str,
    pointer: &str,
    schema: &Value,
    errors: &mut Vec<syn::Error>,
    assertions: &mut Vec<TokenStream>,
) {
    let types = schema_types(schema);
    let Some(segment) = last_segment(ty) else {
        return;
    };
    let rust = segment.ident.to_string();
    let mismatch = |expected: &str| {
        syn::Error::new(
            ty.span(),
            format!(
                "property `{name}` is {expected} in {}, but the field's type is `{}`",
                cx.what(),
                type_text(ty)
            ),
        )
    };
    let schema_word = |t: &str| match t {
        "string" => "a string",
        "integer" => "an integer",
        "number" => "a number",
        "boolean" => "a boolean",
        "array" => "an array",
        "object" => "an object",
        _ => "a value",
    };
    // Unconstrained schemas (no type) accept anything the Rust type can hold.
    let Some(&expected) = types.first() else {
        return;
    };
    if types.len() > 1 {
        return;
    }
    let is_string = match rust.as_str() {
        "String" | "str" | "char" | "Cow" => true,
        // Box<str>, Arc<str>, Rc<str>
        "Box" | "Arc" | "Rc" => generic_args(segment)
            .first()
            .and_then(|t| last_segment(t))
            .is_some_and(|s| s.ident == "str"),
        _ => false,
    };
    let float = matches!(rust.as_str(), "f32" | "f64");
    let range = integer_range(&rust);
    let vec_like = matches!(rust.as_str(), "Vec" | "VecDeque" | "HashSet" | "BTreeSet");
    let map_like = matches!(rust.as_str(), "HashMap" | "BTreeMap" | "IndexMap" | "Map");
    let any = matches!(rust.as_str(), "Value");
    if any {
        return;
    }
    match expected {
        "string" if float || range.is_some() || rust == "bool" || vec_like || map_like => {
            errors.push(mismatch(schema_word(expected)));
        }
        "integer" => {
            if let Some((min, max)) = range {
                let schema_min = schema.get("minimum").and_then(Value::as_f64);
                let schema_max = schema.get("maximum").and_then(Value::as_f64);
                if min == 0.0 && schema_min.is_none_or(|m| m < 0.0) {
                    errors.push(syn::Error::new(
                        ty.span(),
                        format!(
                            "property `{name}` may be negative in {} (no `minimum` of 0 or more), but `{rust}` cannot hold negative values; use a signed type or add \"minimum\": 0",
                            cx.what()
                        ),
                    ));
                } else if schema_min.is_some_and(|m| m < min) || schema_max.is_some_and(|m| m > max)
                {
                    errors.push(syn::Error::new(
                        ty.span(),
                        format!(
                            "property `{name}` ranges over [{}, {}] in {}, beyond what `{rust}` holds",
                            schema_min.map_or("-∞".to_owned(), |m| m.to_string()),
                            schema_max.map_or("∞".to_owned(), |m| m.to_string()),
                            cx.what()
                        ),
                    ));
                }
            } else if float || is_string || rust == "bool" || vec_like || map_like {
                errors.push(mismatch(schema_word(expected)));
            }
        }
        "number" => {
            if range.is_some() {
                errors.push(syn::Error::new(
                    ty.span(),
                    format!(
                        "property `{name}` is a number in {} and may have a fraction, but `{rust}` is an integer type; use f64",
                        cx.what()
                    ),
                ));
            } else if is_string || rust == "bool" || vec_like || map_like {
                errors.push(mismatch(schema_word(expected)));
            }
        }
        "boolean" if float || range.is_some() || is_string || vec_like || map_like => {
            errors.push(mismatch(schema_word(expected)));
        }
        "array" => {
            if vec_like {
                if let (Some(item_ty), Some(items)) =
                    (generic_args(segment).first(), schema.get("items"))
                {
                    let item_pointer = crate::json::push_pointer(pointer, "items");
                    let (p, s) = cx.doc.follow_refs(&item_pointer, items);
                    check_type(item_ty, cx, &format!("{name}[]"), &p, s, errors, assertions);
                }
            } else if float || range.is_some() || is_string || rust == "bool" || map_like {
                errors.push(mismatch(schema_word(expected)));
            }
        }
        "object" => {
            if map_like {
                let args = generic_args(segment);
                if let (Some(value_ty), Some(values @ Value::Object(_))) =
                    (args.get(1), schema.get("additionalProperties"))
                {
                    let values_pointer = crate::json::push_pointer(pointer, "additionalProperties");
                    let (p, s) = cx.doc.follow_refs(&values_pointer, values);
                    check_type(
                        value_ty,
                        cx,
                        &format!("{name}.*"),
                        &p,
                        s,
                        errors,
                        assertions,
                    );
                }
            } else if float || range.is_some() || is_string || rust == "bool" || vec_like {
                errors.push(mismatch(schema_word(expected)));
            } else {
                // Another struct: it must derive the check for exactly this nested schema.
                let trait_ident = syn::Ident::new(cx.direction.trait_name(), Span::call_site());
                let message = format!(
                    "the type of property `{name}` must #[derive({})] with #[step(function = \"{}\", pointer = \"{pointer}\")]",
                    cx.direction.trait_name(),
                    cx.function
                );
                let function = cx.function;
                assertions.push(quote_spanned! {ty.span()=>
                    const _: () = {
                        fn assert_derives<T: ::orderflow_runtime::#trait_ident>() {}
                        let _ = assert_derives::<#ty>;
                        ::core::assert!(
                            ::orderflow_runtime::__private::str_eq(<#ty as ::orderflow_runtime::#trait_ident>::POINTER, #pointer)
                                && ::orderflow_runtime::__private::str_eq(<#ty as ::orderflow_runtime::#trait_ident>::FUNCTION, #function),
                            #message
                        );
                    };
                });
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_for(tokens: TokenStream, direction: Direction) -> String {
        let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        derive_step(tokens, direction, manifest_dir, None).to_string()
    }

    #[test]
    fn expansion_tracks_every_workflow_file_so_schema_edits_recompile() {
        let out = expand_for(
            quote! {
                #[step(workflow = "../tests/corpus/_base/minimal", function = "lookupBook")]
                struct Request { #[serde(rename = "bookId")] book_id: String }
            },
            Direction::Input,
        );
        assert!(
            out.contains("impl :: orderflow_runtime :: StepInput for Request"),
            "{out}"
        );
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus/_base/minimal");
        for file in [
            "workflow.asl.json",
            "schemas/execution.input.json",
            "schemas/lookupBook.input.json",
            "schemas/lookupBook.output.json",
        ] {
            let included = format!(
                "include_bytes ! ({:?})",
                lexical_path(&root.join(file)).display().to_string()
            );
            assert!(out.contains(&included), "{file} is not tracked:\n{out}");
        }
    }

    #[test]
    fn problems_become_compile_errors_not_panics() {
        let out = expand_for(
            quote! {
                #[step(workflow = "../tests/corpus/_base/minimal", function = "lookupBook")]
                struct Request { isbn: String }
            },
            Direction::Input,
        );
        assert!(out.contains("compile_error"), "{out}");
        assert!(out.contains("required property `bookId`"), "{out}");
        let no_attr = expand_for(quote! { struct Request { a: String } }, Direction::Output);
        assert!(no_attr.contains("#[step(workflow"), "{no_attr}");
        let not_a_struct = expand_for(
            quote! {
                #[step(workflow = "../tests/corpus/_base/minimal", function = "lookupBook")]
                enum E { A }
            },
            Direction::Input,
        );
        assert!(
            not_a_struct.contains("structs with named fields"),
            "{not_a_struct}"
        );
    }

    #[test]
    fn an_undeclared_input_field_must_be_able_to_be_absent() {
        // `_base/minimal` declares only `bookId` and allows additional properties.
        let required = expand_for(
            quote! {
                #[step(workflow = "../tests/corpus/_base/minimal", function = "lookupBook")]
                struct Request { #[serde(rename = "bookId")] book_id: String, isbn: String }
            },
            Direction::Input,
        );
        assert!(
            required.contains("field `isbn` is not in")
                && required.contains("no input can fill it"),
            "{required}"
        );
        for fillable in [
            quote! {
                #[step(workflow = "../tests/corpus/_base/minimal", function = "lookupBook")]
                struct Request { #[serde(rename = "bookId")] book_id: String, isbn: Option<String> }
            },
            quote! {
                #[step(workflow = "../tests/corpus/_base/minimal", function = "lookupBook")]
                struct Request { #[serde(rename = "bookId")] book_id: String, #[serde(default)] isbn: String }
            },
        ] {
            let out = expand_for(fillable, Direction::Input);
            assert!(!out.contains("compile_error"), "{out}");
        }
    }

    #[test]
    fn orderflow_definitions_finds_workflows_by_folder_name() {
        let definitions = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus/_base");
        let out = derive_step(
            quote! {
                #[step(workflow = "../definitions/minimal", function = "lookupBook")]
                struct Request { #[serde(rename = "bookId")] book_id: String }
            },
            Direction::Input,
            Path::new("/nowhere"),
            Some(&definitions),
        )
        .to_string();
        assert!(!out.contains("compile_error"), "{out}");
    }

    /// `$ref`s whose fragments are percent-encoded (`%25`), JSON-pointer escaped (`~1`, `~0`) or
    /// relative to the schema's `$id` resolve as the checker resolves them. The derive used to
    /// skip percent-decoding and `$id`s, so such a property was left unchecked.
    #[test]
    fn escaped_refs_are_followed_like_the_checker_follows_them() {
        let wrong = expand_for(
            quote! {
                #[step(workflow = "tests/fixtures/escaped-refs", function = "applyDiscount")]
                struct Discount { percent: String, route: Route, code: u32, total: bool }
            },
            Direction::Input,
        );
        for expected in [
            "property `percent` is an integer",
            "property `code` is a string",
            "property `total` is a number",
        ] {
            assert!(wrong.contains(expected), "{expected}: {wrong}");
        }
        let right = expand_for(
            quote! {
                #[step(workflow = "tests/fixtures/escaped-refs", function = "applyDiscount")]
                struct Discount { percent: u8, route: Route, code: String, total: f64 }
            },
            Direction::Input,
        );
        assert!(!right.contains("compile_error"), "{right}");
        // The nested struct must derive the check at the resolved pointer.
        assert!(right.contains(r#""/$defs/from~1to""#), "{right}");
    }

    /// A property whose schema is in another file (`common.json#/$defs/Book`) is checked
    /// against that file, the nested struct derives the check at the embedded definition's
    /// pointer, and editing the shared files recompiles.
    #[test]
    fn definitions_in_other_files_are_checked_and_tracked() {
        let wrong = expand_for(
            quote! {
                #[step(workflow = "tests/fixtures/shared-refs", pointer = "/properties/book", function = "priceBook")]
                struct Book { #[serde(rename = "bookId")] book_id: u32, title: String, price: Money }
            },
            Direction::Input,
        );
        assert!(wrong.contains("property `bookId` is a string"), "{wrong}");
        let right = expand_for(
            quote! {
                #[step(workflow = "tests/fixtures/shared-refs", function = "priceBook")]
                struct PriceBook { book: Book, quantity: u32 }
            },
            Direction::Input,
        );
        assert!(!right.contains("compile_error"), "{right}");
        assert!(
            right.contains(r#""/$defs/common.json/$defs/Book""#),
            "{right}"
        );
        for tracked in ["schemas/common.json", "shared-types/money.json"] {
            assert!(right.contains(tracked), "{tracked}: {right}");
        }
    }

    /// `_base/minimal`'s lookupBook input allows undeclared properties: a struct that denies
    /// unknown fields would reject inputs the schema accepts. An output is not deserialized, so
    /// the attribute changes nothing there.
    #[test]
    fn deny_unknown_fields_needs_a_closed_input_schema() {
        let input = expand_for(
            quote! {
                #[step(workflow = "../tests/corpus/_base/minimal", function = "lookupBook")]
                #[serde(deny_unknown_fields)]
                struct Request { #[serde(rename = "bookId")] book_id: String }
            },
            Direction::Input,
        );
        assert!(
            input.contains("allows properties it does not declare"),
            "{input}"
        );
        let output = expand_for(
            quote! {
                #[step(workflow = "../tests/corpus/_base/minimal", function = "lookupBook")]
                #[serde(deny_unknown_fields)]
                struct Book { title: String, price: f64 }
            },
            Direction::Output,
        );
        assert!(!output.contains("compile_error"), "{output}");
    }

    /// The JSON names of a struct's fields in `direction`.
    fn names(tokens: TokenStream, direction: Direction) -> Vec<String> {
        let input: DeriveInput = syn::parse2(tokens).unwrap_or_else(|e| panic!("{e}"));
        let serde = serde_struct(&input, direction).unwrap_or_else(|e| panic!("{e}"));
        serde.fields.into_iter().map(|f| f.name).collect()
    }

    #[test]
    fn rename_all_follows_serde() {
        let rule = |rule: &str| {
            names(
                quote! { #[serde(rename_all = #rule)] struct S { book_id: String, r#type: u8 } },
                Direction::Input,
            )
        };
        assert_eq!(rule("camelCase"), ["bookId", "type"]);
        assert_eq!(rule("PascalCase"), ["BookId", "Type"]);
        assert_eq!(rule("kebab-case"), ["book-id", "type"]);
        assert_eq!(rule("SCREAMING_SNAKE_CASE"), ["BOOK_ID", "TYPE"]);
        let none = names(quote! { struct S { book_id: String } }, Direction::Input);
        assert_eq!(none, ["book_id"]);
        // rename(serialize, deserialize): each direction its own name.
        let split = quote! {
            struct S { #[serde(rename(serialize = "out", deserialize = "in"))] x: u8 }
        };
        assert_eq!(names(split.clone(), Direction::Input), ["in"]);
        assert_eq!(names(split, Direction::Output), ["out"]);
    }

    /// Where heck's case conversion, which the derive used before, and serde's rules differ:
    /// serde assumes snake_case field names and only rewrites underscores and letter case, so a
    /// leading or doubled underscore survives kebab-case, and `lowercase`/`snake_case` leave a
    /// field as it is written. heck would have named these `id`, `A-B`, `bookid`, `book_id`,
    /// so the derive accepted structs serde then (de)serialized under other names.
    #[test]
    fn rename_all_edge_cases_are_serde_s_not_heck_s() {
        let kebab = names(
            quote! { #[serde(rename_all = "kebab-case")] struct S { _id: u8 } },
            Direction::Input,
        );
        assert_eq!(kebab, ["-id"]);
        let screaming = names(
            quote! { #[serde(rename_all = "SCREAMING-KEBAB-CASE")] struct S { a__b: u8 } },
            Direction::Input,
        );
        assert_eq!(screaming, ["A--B"]);
        for rule in ["lowercase", "snake_case"] {
            let kept = names(
                quote! { #[serde(rename_all = #rule)] struct S { #[allow(non_snake_case)] bookId: u8 } },
                Direction::Output,
            );
            assert_eq!(kept, ["bookId"], "{rule}");
        }
    }

    /// serde's own errors for attributes it would refuse come back as compile errors, not
    /// panics (serde_derive_internals' context panics when dropped unchecked).
    #[test]
    fn malformed_serde_attributes_are_errors() {
        let input: DeriveInput =
            syn::parse2(quote! { #[serde(rename_all = "Title Case")] struct S { a: u8 } })
                .unwrap_or_else(|e| panic!("{e}"));
        let error = serde_struct(&input, Direction::Input)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("unknown rename rule"), "{error}");
    }
}
