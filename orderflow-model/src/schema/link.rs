//! Schemas that `$ref` other files (`common.json#/$defs/Book`): the set of files a workflow's
//! schemas may reach, and the one document each root schema becomes.
//!
//! A reference to another file is resolved by relative path from the file it is written in,
//! among the files the set was given (a workflow folder reads them, within its repository:
//! [`crate::workflow::WorkflowSources`]); nothing is fetched. The files a root schema reaches are
//! then embedded in it, as JSON Schema's bundling does (2020-12, §9.3): each under the root's
//! `$defs` (`definitions` in draft-07), keyed by its path, as a resource with its own `$id`,
//! and every reference to it rewritten to that `$id`. Everything downstream (shapes, the
//! generator, the derives, the validators) then reads one self-contained document, and
//! [`SchemaDocument::source_of`] maps an embedded pointer back to the file the user wrote.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Draft, ParsedSchema, SchemaDocument, document, parse_schema, refs};
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::json::{Json, JsonKind, Member, push_pointer};
use crate::source::{SourceFile, lexical_path, relative_path};

/// The URI an embedded file gets as its `$id`, from its key (its path from the root schema's
/// folder). A URN: nothing could fetch it, and its key stays readable in validators' messages.
fn embedded_id(key: &str) -> String {
    format!("urn:orderflow:schema:{key}")
}

/// The schema files a workflow's schemas may refer to, each parsed and linted once.
#[derive(Debug)]
pub struct SchemaSet {
    /// Every file, by its path made lexical ([`lexical_path`]).
    files: BTreeMap<PathBuf, Arc<SourceFile>>,
    /// Files that were not read, and why (outside the repository).
    refused: BTreeMap<PathBuf, String>,
    /// Files parsed so far (`None`: broken, its diagnostics already given).
    parsed: BTreeMap<PathBuf, Option<ParsedSchema>>,
    /// Files some loaded schema refers to.
    reached: BTreeSet<PathBuf>,
    /// `$ref`s already reported as broken (file, pointer), so a file several roots reach is
    /// reported once.
    reported: BTreeSet<(PathBuf, String)>,
}

/// One embedded file of a root schema: where its references point, and what it holds.
struct Embedded {
    path: PathBuf,
    key: String,
}

impl SchemaSet {
    /// A set of schema files, and the paths refused (with the reason) when they were read.
    pub fn new(
        files: impl IntoIterator<Item = Arc<SourceFile>>,
        refused: BTreeMap<PathBuf, String>,
    ) -> Self {
        SchemaSet {
            files: files
                .into_iter()
                .map(|f| (lexical_path(f.path()), f))
                .collect(),
            refused: refused
                .into_iter()
                .map(|(p, why)| (lexical_path(&p), why))
                .collect(),
            parsed: BTreeMap::new(),
            reached: BTreeSet::new(),
            reported: BTreeSet::new(),
        }
    }

    /// Whether a schema loaded so far refers to the file at `path`.
    pub fn is_referenced(&self, path: &Path) -> bool {
        self.reached.contains(&lexical_path(path))
    }

    fn parse(&mut self, path: &Path, out: &mut Vec<Diagnostic>) -> Option<&ParsedSchema> {
        if !self.parsed.contains_key(path) {
            let parsed = match self.files.get(path) {
                Some(file) => parse_schema(file, out),
                None => None,
            };
            self.parsed.insert(path.to_path_buf(), parsed);
        }
        self.parsed.get(path).and_then(Option::as_ref)
    }

    /// Loads `file` (one of the set's files, or another) as a root schema, with every file its
    /// `$ref`s reach. Problems go to `out`; `None` when the schema cannot be used.
    pub fn load(
        &mut self,
        file: &Arc<SourceFile>,
        out: &mut Vec<Diagnostic>,
    ) -> Option<SchemaDocument> {
        let root_path = lexical_path(file.path());
        self.files
            .entry(root_path.clone())
            .or_insert_with(|| Arc::clone(file));
        let root = self.parse(&root_path, out)?.clone();
        let root_dir = root_path.parent().unwrap_or(Path::new("")).to_path_buf();

        // Every file reached, breadth first from the root (which is embedded too when a file
        // refers back to it: its copy is then a resource of its own).
        let mut embedded: Vec<Embedded> = Vec::new();
        let mut queue: Vec<PathBuf> = vec![root_path.clone()];
        let mut broken = false;
        let mut next = 0;
        while next < queue.len() {
            let from = queue[next].clone();
            next += 1;
            let Some(sites) = self.parse(&from, out).map(|p| p.file_refs.clone()) else {
                broken = true;
                continue;
            };
            for site in sites {
                let Some(target) = target_path(&from, &site.reference) else {
                    continue;
                };
                match self.check_site(&from, &site, &target, out) {
                    Ok(()) => {}
                    Err(()) => {
                        broken = true;
                        continue;
                    }
                }
                self.reached.insert(target.clone());
                if !embedded.iter().any(|e| e.path == target) {
                    let key = relative_path(&root_dir, &target)
                        .unwrap_or_else(|| target.display().to_string());
                    embedded.push(Embedded {
                        path: target.clone(),
                        key,
                    });
                }
                if !queue.contains(&target) {
                    queue.push(target);
                }
            }
        }
        if broken {
            return None;
        }
        if embedded.is_empty() {
            return Some(document(
                file,
                root.json,
                root.draft,
                root.index,
                Vec::new(),
            ));
        }
        Some(self.bundle(file, &root_path, root, &embedded))
    }

    /// Reports a reference whose file is missing, refused or broken, or whose fragment names
    /// nothing in it.
    fn check_site(
        &mut self,
        from: &Path,
        site: &super::RefSite,
        target: &Path,
        out: &mut Vec<Diagnostic>,
    ) -> Result<(), ()> {
        let reference = &site.reference;
        let problem = if let Some(why) = self.refused.get(target) {
            Some(format!(
                "`$ref` \"{reference}\" names {}, which orderflow does not read: {why}",
                target.display()
            ))
        } else if !self.files.contains_key(target) {
            Some(format!(
                "`$ref` \"{reference}\" names {}, which does not exist",
                target.display()
            ))
        } else {
            match self.parse(target, out) {
                // The file's own diagnostics say what is wrong with it.
                None => return Err(()),
                Some(parsed) => {
                    let fragment = reference.split_once('#').map_or("", |(_, f)| f);
                    refs::resolve(&parsed.json, &parsed.index, "", &format!("#{fragment}"))
                        .err()
                        .map(|error| {
                            format!(
                                "`$ref` \"{reference}\" does not resolve in {}: {}",
                                target.display(),
                                error.to_string().replace("this file", "that file")
                            )
                        })
                }
            }
        };
        let Some(message) = problem else {
            return Ok(());
        };
        if self
            .reported
            .insert((from.to_path_buf(), site.pointer.clone()))
        {
            if let Some(from_file) = self.files.get(from) {
                out.push(
                    Diagnostic::new(Code::SchemaUnresolvedRef, message)
                        .at(Location::new(from_file, site.pointer.clone(), site.span))
                        .help(
                            "a reference to another file is a path relative to the file it is \
                             written in, within the repository",
                        ),
                );
            }
        }
        Err(())
    }

    /// The root document with every file it reaches embedded, and references rewritten.
    fn bundle(
        &mut self,
        file: &Arc<SourceFile>,
        root_path: &Path,
        root: ParsedSchema,
        embedded: &[Embedded],
    ) -> SchemaDocument {
        let id_of = |path: &Path| {
            embedded
                .iter()
                .find(|e| e.path == path)
                .map(|e| embedded_id(&e.key))
        };
        let mut json = root.json;
        rewrite_refs(&mut json, root_path, &root.file_refs, &id_of);
        let defs = match root.draft {
            Draft::Draft7 => "definitions",
            Draft::Draft202012 => "$defs",
        };
        let mut copies: Vec<Member> = Vec::new();
        let mut linked = Vec::new();
        for e in embedded {
            let Some(Some(parsed)) = self.parsed.get(&e.path) else {
                continue;
            };
            let mut copy = parsed.json.clone();
            rewrite_refs(&mut copy, &e.path, &parsed.file_refs, &id_of);
            set_id(&mut copy, &embedded_id(&e.key));
            linked.push((
                push_pointer(&push_pointer("", defs), &e.key),
                Arc::clone(&parsed.file),
            ));
            copies.push(Member {
                key: e.key.clone(),
                key_span: copy.span,
                value: copy,
            });
        }
        if let JsonKind::Object(members) = &mut json.kind {
            match members.iter_mut().rev().find(|m| m.key == defs) {
                Some(Member {
                    value:
                        Json {
                            kind: JsonKind::Object(entries),
                            ..
                        },
                    ..
                }) => entries.extend(copies),
                _ => members.push(Member {
                    key: defs.to_owned(),
                    key_span: json.span,
                    value: Json {
                        span: json.span,
                        kind: JsonKind::Object(copies),
                    },
                }),
            }
        }
        // The `$id`s and anchors of the whole bundle; its diagnostics were given file by file.
        let index = super::lint::Lint::run(file, &json, root.draft).index;
        document(file, json, root.draft, index, linked)
    }
}

/// The files the `$ref`s of a schema's text name by relative path, as written (before
/// resolving them against its folder): what a workflow folder reads besides its schemas. Text
/// that is no JSON names none.
pub(crate) fn referenced_files(text: &str) -> Vec<String> {
    fn walk(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(part) = map
                    .get("$ref")
                    .and_then(serde_json::Value::as_str)
                    .and_then(refs::file_part)
                {
                    out.push(part);
                }
                map.values().for_each(|v| walk(v, out));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
        walk(&value, &mut out);
    }
    out.sort();
    out.dedup();
    out
}

/// The file a reference written in `from` names, made lexical; `None` when it names none.
fn target_path(from: &Path, reference: &str) -> Option<PathBuf> {
    let part = refs::file_part(reference)?;
    let dir = from.parent().unwrap_or(Path::new(""));
    Some(lexical_path(&dir.join(part)))
}

/// Rewrites each reference to another file (`sites`, written in the file at `path`) to the
/// `$id` of that file's embedded copy, keeping its fragment.
fn rewrite_refs(
    json: &mut Json,
    path: &Path,
    sites: &[super::RefSite],
    id_of: &dyn Fn(&Path) -> Option<String>,
) {
    for site in sites {
        let Some(id) = target_path(path, &site.reference).and_then(|t| id_of(&t)) else {
            continue;
        };
        let fragment = site
            .reference
            .split_once('#')
            .map_or(String::new(), |(_, f)| format!("#{f}"));
        if let Some(node) = pointer_mut(json, &site.pointer) {
            node.kind = JsonKind::String(format!("{id}{fragment}"));
        }
    }
}

/// Makes `json` a resource named `id`: its `$id` replaced (references to it were rewritten), or
/// a boolean schema wrapped.
fn set_id(json: &mut Json, id: &str) {
    let span = json.span;
    let id_member = Member {
        key: "$id".to_owned(),
        key_span: span,
        value: Json {
            span,
            kind: JsonKind::String(id.to_owned()),
        },
    };
    match &mut json.kind {
        JsonKind::Object(members) => {
            members.retain(|m| m.key != "$id");
            members.insert(0, id_member);
        }
        _ => {
            let inner = json.clone();
            json.kind = JsonKind::Object(vec![
                id_member,
                Member {
                    key: "allOf".to_owned(),
                    key_span: span,
                    value: Json {
                        span,
                        kind: JsonKind::Array(vec![inner]),
                    },
                },
            ]);
        }
    }
}

/// The node at an RFC 6901 pointer, for rewriting (the last of duplicate keys, as everywhere).
fn pointer_mut<'a>(json: &'a mut Json, pointer: &str) -> Option<&'a mut Json> {
    let mut node = json;
    for token in refs::pointer_tokens(pointer)? {
        node = match &mut node.kind {
            JsonKind::Object(members) => {
                &mut members.iter_mut().rev().find(|m| m.key == token)?.value
            }
            JsonKind::Array(items) => items.get_mut(token.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(node)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::Shape;

    fn set(files: &[(&str, &str)]) -> (SchemaSet, Vec<Arc<SourceFile>>) {
        let files: Vec<Arc<SourceFile>> = files
            .iter()
            .map(|(path, text)| SourceFile::new(*path, *text))
            .collect();
        (SchemaSet::new(files.clone(), BTreeMap::new()), files)
    }

    const COMMON: &str = r##"{"$defs": {
        "Book": {"type": "object", "required": ["bookId"],
                 "properties": {"bookId": {"$ref": "#/$defs/BookId"}, "price": {"type": "number"}}},
        "BookId": {"type": "string", "description": "ISBN"}}}"##;

    #[test]
    fn a_reference_to_another_file_resolves_and_keeps_its_origin() {
        let (mut set, files) = set(&[
            (
                "w/schemas/f.input.json",
                r#"{"type": "object", "required": ["book"],
                    "properties": {"book": {"$ref": "common.json#/$defs/Book"}}}"#,
            ),
            ("w/schemas/common.json", COMMON),
        ]);
        let mut out = Vec::new();
        let doc = set.load(&files[0], &mut out);
        assert!(out.is_empty(), "{out:?}");
        let Some(doc) = doc else {
            panic!("the schema loads");
        };
        let Shape::Object(root) = &doc.shape else {
            panic!("an object");
        };
        let Shape::Object(book) = &root.properties["book"].shape else {
            panic!("book is an object: {:?}", root.properties["book"]);
        };
        assert_eq!(book.properties["bookId"].shape, Shape::String);
        assert!(book.properties["bookId"].required);
        // The property's origin is the file it is written in, at its pointer there.
        let origin = book.properties["price"].origin.as_ref().map(|l| {
            (
                l.file.path().display().to_string(),
                l.pointer.clone(),
                l.line_col().0,
            )
        });
        assert_eq!(
            origin,
            Some((
                "w/schemas/common.json".to_owned(),
                "/$defs/Book/properties/price".to_owned(),
                3
            ))
        );
        assert!(set.is_referenced(Path::new("w/schemas/./common.json")));
        assert_eq!(doc.linked_files().count(), 1);
        // The bundle is one self-contained document: resolving needs no other file.
        let reference = doc.value["properties"]["book"]["$ref"].as_str();
        assert_eq!(
            reference,
            Some("urn:orderflow:schema:common.json#/$defs/Book")
        );
        let (pointer, target) =
            doc.follow_refs("/properties/book", &doc.value["properties"]["book"]);
        assert_eq!(pointer, "/$defs/common.json/$defs/Book");
        assert_eq!(target["required"][0], "bookId");
        assert_eq!(
            doc.source_of(&pointer).1,
            "/$defs/Book",
            "an embedded pointer maps back to the referenced file"
        );
    }

    #[test]
    fn chains_and_cycles_between_files_resolve() {
        let (mut set, files) = set(&[
            (
                "s/a.json",
                r#"{"type": "object", "properties": {"b": {"$ref": "sub/b.json"}}}"#,
            ),
            (
                "s/sub/b.json",
                r#"{"type": "object", "properties": {"a": {"$ref": "../a.json"}, "n": {"type": "integer"}}}"#,
            ),
        ]);
        let mut out = Vec::new();
        let Some(doc) = set.load(&files[0], &mut out) else {
            panic!("loads: {out:?}");
        };
        assert!(out.is_empty(), "{out:?}");
        let Shape::Object(a) = &doc.shape else {
            panic!("object");
        };
        let Shape::Object(b) = &a.properties["b"].shape else {
            panic!("b is an object");
        };
        assert_eq!(b.properties["n"].shape, Shape::Integer);
        assert!(matches!(b.properties["a"].shape, Shape::Object(_)));
        let keys: Vec<&str> = doc.value["$defs"]
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(
            keys,
            ["sub/b.json", "a.json"],
            "in the order they are reached"
        );
    }

    #[test]
    fn missing_files_pointers_and_refused_paths_are_e0202_at_the_reference() {
        let files = [
            SourceFile::new(
                "w/x.input.json",
                r#"{"properties": {
                    "a": {"$ref": "nope.json"},
                    "b": {"$ref": "common.json#/$defs/Bok"},
                    "c": {"$ref": "../../outside.json"}}}"#,
            ),
            SourceFile::new("w/common.json", COMMON),
        ];
        let mut set = SchemaSet::new(
            files.clone(),
            BTreeMap::from([(
                PathBuf::from("../outside.json"),
                "it is outside the repository".to_owned(),
            )]),
        );
        let mut out = Vec::new();
        assert!(set.load(&files[0], &mut out).is_none());
        let found: Vec<(String, String)> = out
            .iter()
            .map(|d| {
                let at = d.location.as_ref().map(|l| l.pointer.clone());
                (
                    d.code.as_str().to_owned(),
                    format!("{} {}", at.unwrap_or_default(), d.message),
                )
            })
            .collect();
        assert_eq!(found.len(), 3, "{found:#?}");
        assert!(found.iter().all(|(code, _)| code == "E0202"));
        assert!(found[0].1.contains("/properties/a/$ref") && found[0].1.contains("does not exist"));
        assert!(
            found[1]
                .1
                .contains("nothing in that file is at JSON pointer `/$defs/Bok`")
        );
        assert!(
            found[2].1.contains("outside the repository"),
            "{}",
            found[2].1
        );
        // A URL is never fetched.
        let (mut set, files) = set_one(r#"{"$ref": "https://example.com/s.json"}"#);
        let mut out = Vec::new();
        assert!(set.load(&files[0], &mut out).is_none());
        assert!(out[0].message.contains("is a URL"), "{out:?}");
    }

    fn set_one(text: &str) -> (SchemaSet, Vec<Arc<SourceFile>>) {
        set(&[("x.json", text)])
    }
}
