//! One pass over every subschema of a document, following its structure (not its `$ref`s):
//! warns about keywords the data-flow check cannot honour and about unknown keywords, checks
//! `required` against a closed `properties`, collects `$id`s and anchors, and checks that every
//! `$ref` resolves within the file.

use std::sync::Arc;

use super::keywords::{self, Keyword};
use super::refs::{self, Index, RefError};
use super::{Draft, MAX_SCHEMA_DEPTH};
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::json::{Json, JsonKind, Member, Span, push_index, push_pointer};
use crate::source::SourceFile;

/// One `$ref` as written.
#[derive(Debug, Clone)]
pub(crate) struct RefSite {
    pub(crate) reference: String,
    pub(crate) span: Span,
    /// Pointer of the `$ref` value.
    pub(crate) pointer: String,
    /// Resource root the reference is relative to.
    pub(crate) resource: String,
}

pub(crate) struct Lint<'a> {
    file: &'a Arc<SourceFile>,
    root: &'a Json,
    draft: Draft,
    pub(crate) index: Index,
    refs: Vec<RefSite>,
    /// References to other files by relative path, which the schema set resolves
    /// ([`super::link`]).
    pub(crate) file_refs: Vec<RefSite>,
    pub(crate) diagnostics: Vec<Diagnostic>,
    pub(crate) depth_warned: bool,
}

impl<'a> Lint<'a> {
    /// Lints the whole document rooted at `root`.
    pub(crate) fn run(file: &'a Arc<SourceFile>, root: &'a Json, draft: Draft) -> Self {
        let mut lint = Lint {
            file,
            root,
            draft,
            index: Index::new(),
            refs: Vec::new(),
            file_refs: Vec::new(),
            diagnostics: Vec::new(),
            depth_warned: false,
        };
        lint.walk(root, "", "", 0, false);
        lint.check_refs();
        lint
    }

    fn location(&self, pointer: &str, span: Span) -> Location {
        Location::new(self.file, pointer, span)
    }

    /// `ignored`: inside a keyword validators honour but orderflow does not model (or one the
    /// draft ignores), where only outright mistakes are reported.
    fn walk(&mut self, node: &Json, pointer: &str, resource: &str, depth: usize, ignored: bool) {
        if !matches!(node.kind, JsonKind::Object(_)) {
            return;
        }
        if depth > MAX_SCHEMA_DEPTH {
            if !self.depth_warned {
                self.depth_warned = true;
                self.diagnostics
                    .push(depth_warning(self.location(pointer, node.span)));
            }
            return;
        }
        let resource = self.register_ids(node, pointer, resource);
        let resource = resource.as_str();
        let members = refs::effective_members(node);
        let has_ref = members.iter().any(|m| m.key == "$ref");
        for m in &members {
            let member_pointer = push_pointer(pointer, &m.key);
            if self.draft == Draft::Draft7
                && has_ref
                && !keywords::DRAFT7_REF_SIBLINGS.contains(&m.key.as_str())
            {
                if !ignored && !m.key.starts_with("x-") {
                    self.diagnostics.push(
                        Diagnostic::new(
                            Code::SchemaUnsupportedKeyword,
                            format!(
                                "`{}` next to `$ref` is ignored: draft-07 validators apply only \
                                 the `$ref`",
                                m.key
                            ),
                        )
                        .at(self.location(&member_pointer, m.key_span))
                        .help(
                            "wrap both in `allOf`: \"allOf\": [{\"$ref\": …}, {…}], or use \
                             2020-12, where `$ref` combines with its siblings",
                        ),
                    );
                }
                self.descend(m, &member_pointer, resource, depth, true);
                continue;
            }
            match keywords::classify(self.draft, &m.key) {
                Keyword::Supported | Keyword::Extension => {}
                Keyword::Unsupported(consequence) => {
                    if !ignored {
                        self.diagnostics.push(
                            Diagnostic::new(
                                Code::SchemaUnsupportedKeyword,
                                format!(
                                    "`{}` is not checked by orderflow's data-flow check; {consequence}",
                                    m.key
                                ),
                            )
                            .at(self.location(&member_pointer, m.key_span))
                            .note(
                                "validators still apply it at run time; only the static check \
                                 of the workflow's data flow cannot",
                            ),
                        );
                    }
                    self.descend(m, &member_pointer, resource, depth, true);
                    continue;
                }
                Keyword::OtherDraft(other) => {
                    let (this, help) = match self.draft {
                        Draft::Draft7 => (
                            "draft-07",
                            "declare \"$schema\": \"https://json-schema.org/draft/2020-12/schema\" \
                             to use 2020-12 keywords",
                        ),
                        Draft::Draft202012 => (
                            "2020-12",
                            match m.key.as_str() {
                                "additionalItems" => {
                                    "in 2020-12, `prefixItems` lists the tuple's schemas and \
                                     `items` covers the rest"
                                }
                                "dependencies" => {
                                    "in 2020-12, use `dependentRequired` or `dependentSchemas`"
                                }
                                _ => "remove it",
                            },
                        ),
                    };
                    self.diagnostics.push(
                        Diagnostic::new(
                            Code::SchemaUnsupportedKeyword,
                            format!(
                                "`{}` is a {other} keyword; {this} validators ignore it",
                                m.key
                            ),
                        )
                        .at(self.location(&member_pointer, m.key_span))
                        .help(help),
                    );
                    self.descend(m, &member_pointer, resource, depth, true);
                    continue;
                }
                Keyword::Nullable => {
                    self.nullable(m, &member_pointer);
                    continue;
                }
                Keyword::Unknown => {
                    self.unknown(m, &member_pointer);
                    continue;
                }
            }
            match m.key.as_str() {
                "$ref" => {
                    if let Some(reference) = m.value.as_str() {
                        self.refs.push(RefSite {
                            reference: reference.to_owned(),
                            span: m.value.span,
                            pointer: member_pointer.clone(),
                            resource: resource.to_owned(),
                        });
                    }
                }
                "required" => self.check_required(node, pointer, m),
                _ => {}
            }
            self.descend(m, &member_pointer, resource, depth, ignored);
        }
    }

    /// Walks the subschemas held by keyword member `m`.
    fn descend(&mut self, m: &Member, pointer: &str, resource: &str, depth: usize, ignored: bool) {
        let key = m.key.as_str();
        if keywords::SCHEMA_MAP.contains(&key) {
            for entry in refs::effective_members(&m.value) {
                let entry_pointer = push_pointer(pointer, &entry.key);
                self.walk(&entry.value, &entry_pointer, resource, depth + 1, ignored);
            }
        } else if let Some(items) = m.value.as_array() {
            if keywords::SCHEMA_ARRAY.contains(&key) {
                for (i, item) in items.iter().enumerate() {
                    self.walk(item, &push_index(pointer, i), resource, depth + 1, ignored);
                }
            }
        } else if keywords::SINGLE_SCHEMA.contains(&key) {
            self.walk(&m.value, pointer, resource, depth + 1, ignored);
        }
    }

    /// Records `$id`/`$anchor`s of the schema at `pointer`; returns its resource root.
    fn register_ids(&mut self, node: &Json, pointer: &str, resource: &str) -> String {
        let mut resource = resource.to_owned();
        if let Some(id) = refs::get(node, "$id").and_then(Json::as_str) {
            match (self.draft, id.strip_prefix('#')) {
                // Draft-07 spells anchors as `"$id": "#name"`.
                (Draft::Draft7, Some(name)) => {
                    if !name.is_empty() {
                        self.index.add_anchor(&resource, name, pointer);
                    }
                }
                _ => {
                    let base = id.split_once('#').map_or(id, |(base, _)| base);
                    if !base.is_empty() {
                        self.index.add_resource(base, pointer);
                        resource = pointer.to_owned();
                    }
                }
            }
        }
        if self.draft == Draft::Draft202012 {
            for key in ["$anchor", "$dynamicAnchor"] {
                if let Some(name) = refs::get(node, key).and_then(Json::as_str) {
                    self.index.add_anchor(&resource, name, pointer);
                }
            }
        }
        resource
    }

    fn nullable(&mut self, m: &Member, pointer: &str) {
        let location = self.location(pointer, m.key_span);
        if m.value.as_bool().is_none() {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::WrongJsonType,
                    format!(
                        "`nullable` must be true or false, found {}",
                        super::meta::found(&m.value.to_value())
                    ),
                )
                .at(self.location(pointer, m.value.span)),
            );
            return;
        }
        self.diagnostics.push(
            Diagnostic::new(
                Code::SchemaUnsupportedKeyword,
                "`nullable` is an OpenAPI keyword, not JSON Schema: validators ignore it, while \
                 orderflow treats `\"nullable\": true` as also allowing `null`",
            )
            .at(location)
            .help("say it in JSON Schema: \"type\": [\"string\", \"null\"] (with your type)"),
        );
    }

    fn unknown(&mut self, m: &Member, pointer: &str) {
        let location = self.location(pointer, m.key_span);
        let diagnostic = match keywords::did_you_mean(self.draft, &m.key) {
            Some(suggestion) => Diagnostic::new(
                Code::SchemaUnsupportedKeyword,
                format!(
                    "unknown keyword `{}`, ignored by JSON Schema validators; did you mean \
                     `{suggestion}`?",
                    m.key
                ),
            )
            .help(format!("rename it to `{suggestion}`")),
            None => Diagnostic::new(
                Code::SchemaUnsupportedKeyword,
                format!(
                    "unknown keyword `{}`, ignored by JSON Schema validators and by orderflow",
                    m.key
                ),
            )
            .help("remove it, or prefix it with `x-` if it is a deliberate extension"),
        };
        self.diagnostics.push(diagnostic.at(location));
    }

    /// `required` names a property that `properties` lacks while `additionalProperties` is
    /// `false`: no object can match.
    fn check_required(&mut self, schema: &Json, pointer: &str, required: &Member) {
        let Some(names) = required.value.as_array() else {
            return;
        };
        let Some(additional) = refs::member(schema, "additionalProperties") else {
            return;
        };
        if additional.value.as_bool() != Some(false)
            || refs::member(schema, "patternProperties").is_some()
        {
            return;
        }
        let properties = refs::get(schema, "properties");
        let defined = |name: &str| properties.is_some_and(|p| refs::member(p, name).is_some());
        let required_pointer = push_pointer(pointer, "required");
        for (i, name) in names.iter().enumerate() {
            let Some(name_str) = name.as_str() else {
                continue;
            };
            if defined(name_str) {
                continue;
            }
            let mut d = Diagnostic::new(
                Code::SchemaInvalid,
                format!(
                    "\"{name_str}\" is required but not defined in `properties`, and \
                     `additionalProperties` is false: no object can match this schema"
                ),
            )
            .at(self.location(&push_index(&required_pointer, i), name.span))
            .related(
                self.location(
                    &push_pointer(pointer, "additionalProperties"),
                    additional.value.span,
                ),
                "no other properties are allowed",
            );
            let candidates = properties
                .and_then(Json::as_object)
                .map(|ms| ms.iter().map(|m| m.key.as_str()).collect::<Vec<_>>())
                .unwrap_or_default();
            if let Some(close) = keywords::closest(name_str, candidates.into_iter()) {
                d = d.help(format!("did you mean \"{close}\"?"));
            } else {
                d = d.help(format!("add \"{name_str}\" to `properties`"));
            }
            self.diagnostics.push(d);
        }
    }

    fn check_refs(&mut self) {
        let sites = std::mem::take(&mut self.refs);
        for site in &sites {
            let Err(error) = refs::resolve(self.root, &self.index, &site.resource, &site.reference)
            else {
                continue;
            };
            if error == RefError::NotLocal && refs::file_part(&site.reference).is_some() {
                self.file_refs.push(site.clone());
                continue;
            }
            let location = self.location(&site.pointer, site.span);
            let r = &site.reference;
            let d = match error {
                RefError::NotLocal => Diagnostic::new(
                    Code::SchemaUnresolvedRef,
                    format!(
                        "`$ref` \"{r}\" is a URL or an absolute path; orderflow never fetches \
                         schemas over the network or reads them outside the repository"
                    ),
                )
                .help(
                    "refer to a file beside this one by relative path (\"common.json#/$defs/…\"), \
                     or copy the definition into this file's `$defs` (\"#/$defs/…\")",
                ),
                RefError::BadEncoding => Diagnostic::new(
                    Code::SchemaUnresolvedRef,
                    format!(
                        "`$ref` \"{r}\" has a malformed percent-encoding (`%` must be followed by two hex digits of UTF-8)"
                    ),
                ),
                RefError::NoSuchPointer(pointer) => {
                    let mut d = Diagnostic::new(
                        Code::SchemaUnresolvedRef,
                        format!(
                            "`$ref` \"{r}\" does not resolve: nothing in this file is at JSON \
                             pointer `{pointer}`"
                        ),
                    );
                    if let Some(fix) = self.suggest_pointer(&site.resource, &pointer) {
                        d = d.help(format!("did you mean \"#{fix}\"?"));
                    }
                    d
                }
                RefError::NoSuchAnchor(name) => Diagnostic::new(
                    Code::SchemaUnresolvedRef,
                    format!(
                        "`$ref` \"{r}\" does not resolve: no schema here declares the anchor \
                         \"{name}\""
                    ),
                )
                .help(match self.draft {
                    Draft::Draft7 => "declare it with \"$id\": \"#name\" on the target schema",
                    Draft::Draft202012 => "declare it with \"$anchor\" on the target schema",
                }),
            };
            self.diagnostics.push(d.at(location));
        }
    }

    /// A pointer close to `pointer` that does resolve: `definitions` ↔ `$defs`, or the nearest
    /// sibling name of the last token.
    fn suggest_pointer(&self, resource: &str, pointer: &str) -> Option<String> {
        let tokens = refs::pointer_tokens(pointer)?;
        let render = |tokens: &[String]| {
            tokens
                .iter()
                .fold(String::new(), |acc, t| push_pointer(&acc, t))
        };
        let exists = |tokens: &[String]| {
            refs::lookup(self.root, &format!("{resource}{}", render(tokens))).is_some()
        };
        let mut swapped = tokens.clone();
        for t in &mut swapped {
            match t.as_str() {
                "definitions" => *t = "$defs".into(),
                "$defs" => *t = "definitions".into(),
                _ => {}
            }
        }
        if swapped != tokens && exists(&swapped) {
            return Some(render(&swapped));
        }
        let (last, parent) = tokens.split_last()?;
        let parent_node = refs::lookup(self.root, &format!("{resource}{}", render(parent)))?;
        let names: Vec<&str> = parent_node
            .as_object()?
            .iter()
            .map(|m| m.key.as_str())
            .collect();
        let close = keywords::closest(last, names.into_iter())?;
        let mut fixed = parent.to_vec();
        fixed.push(close.to_owned());
        Some(render(&fixed))
    }
}

pub(crate) fn depth_warning(location: Location) -> Diagnostic {
    Diagnostic::new(
        Code::SchemaUnsupportedKeyword,
        format!(
            "subschemas nest more than {MAX_SCHEMA_DEPTH} levels deep here; orderflow does not \
             look deeper and treats deeper values as `any`"
        ),
    )
    .at(location)
}
