//! `$ref` resolution within one schema document: JSON pointers, anchors and `$id`s.
//!
//! A reference whose URI part names the document itself (its root `$id`, or an embedded
//! resource's `$id`) counts as local. One that names another file by relative path is left to
//! the schema set (`link`), which embeds that file as a resource with an `$id` of its own, so
//! from then on it is local too; a URL is never fetched.
//!
//! This is the one resolver: the schema lint, the shapes of the data-flow check, the payload
//! types the generator writes and the derive macros all follow `$ref`s through
//! [`SchemaDocument::resolve_ref`](super::SchemaDocument::resolve_ref), so a fragment is
//! percent-decoded (`%25` → `%`) and then unescaped as a JSON pointer (`~1` → `/`, `~0` → `~`)
//! the same way everywhere.

use std::collections::HashMap;

use crate::json::{Json, JsonKind, Member};

/// The last member named `key` (duplicate keys: the last one wins, as in `serde_json`).
pub(crate) fn member<'a>(json: &'a Json, key: &str) -> Option<&'a Member> {
    json.as_object()?.iter().rev().find(|m| m.key == key)
}

/// The value of the last member named `key`.
pub(crate) fn get<'a>(json: &'a Json, key: &str) -> Option<&'a Json> {
    member(json, key).map(|m| &m.value)
}

/// The members of an object that take effect (for duplicate keys only the last), in source
/// order.
pub(crate) fn effective_members(json: &Json) -> Vec<&Member> {
    let Some(members) = json.as_object() else {
        return Vec::new();
    };
    let mut seen = std::collections::HashSet::new();
    let mut out: Vec<&Member> = members
        .iter()
        .rev()
        .filter(|m| seen.insert(m.key.as_str()))
        .collect();
    out.reverse();
    out
}

/// Splits an RFC 6901 pointer into unescaped tokens; `None` if malformed (no leading `/`, or a
/// `~` not followed by `0` or `1`).
pub(crate) fn pointer_tokens(pointer: &str) -> Option<Vec<String>> {
    if pointer.is_empty() {
        return Some(Vec::new());
    }
    let rest = pointer.strip_prefix('/')?;
    let mut tokens = Vec::new();
    for raw in rest.split('/') {
        let mut token = String::with_capacity(raw.len());
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            if c == '~' {
                match chars.next() {
                    Some('0') => token.push('~'),
                    Some('1') => token.push('/'),
                    _ => return None,
                }
            } else {
                token.push(c);
            }
        }
        tokens.push(token);
    }
    Some(tokens)
}

/// An array index token: digits without leading zeros.
fn index_token(token: &str) -> Option<usize> {
    let canonical = !token.is_empty()
        && token.bytes().all(|b| b.is_ascii_digit())
        && (token == "0" || !token.starts_with('0'));
    if canonical { token.parse().ok() } else { None }
}

/// Follows an RFC 6901 pointer, with duplicate keys resolved like [`get`].
pub(crate) fn lookup<'a>(root: &'a Json, pointer: &str) -> Option<&'a Json> {
    let mut node = root;
    for token in pointer_tokens(pointer)? {
        node = match &node.kind {
            JsonKind::Object(_) => get(node, &token)?,
            JsonKind::Array(items) => items.get(index_token(&token)?)?,
            _ => return None,
        };
    }
    Some(node)
}

/// Decodes `%XX` escapes (a URI fragment) as UTF-8; `None` if malformed.
pub(crate) fn percent_decode(text: &str) -> Option<String> {
    if !text.contains('%') {
        return Some(text.to_owned());
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The file a reference names, when it names one by relative path (`common.json`,
/// `../shared/book.json#/$defs/Book`): the part before `#`, percent-decoded. `None` for a
/// reference within the document (`#…`), a URL or URN (`https:`, `urn:`), or an absolute path,
/// none of which orderflow reads.
pub(crate) fn file_part(reference: &str) -> Option<String> {
    let base = reference.split('#').next().unwrap_or("");
    let scheme = base
        .split_once(':')
        .is_some_and(|(head, _)| !head.is_empty() && !head.contains('/'));
    if base.is_empty() || scheme || base.starts_with('/') || base.contains('?') {
        return None;
    }
    percent_decode(base)
}

/// `$id`s and anchors of one document, for resolving references.
#[derive(Debug, Default, Clone)]
pub(crate) struct Index {
    /// Every `$id` naming a resource (not a bare `#anchor`), without a trailing `#`, and the
    /// pointer of the schema that declares it.
    ids: Vec<(String, String)>,
    /// Pointers of resource roots: `""` and every schema with a resource `$id`.
    resources: Vec<String>,
    /// (resource root pointer, anchor name) → pointer of the schema declaring the anchor.
    anchors: HashMap<(String, String), String>,
}

impl Index {
    pub(crate) fn new() -> Self {
        Index {
            ids: Vec::new(),
            resources: vec![String::new()],
            anchors: HashMap::new(),
        }
    }

    pub(crate) fn add_resource(&mut self, id: &str, pointer: &str) {
        let id = id.strip_suffix('#').unwrap_or(id);
        self.ids.push((id.to_owned(), pointer.to_owned()));
        if !self.resources.iter().any(|r| r == pointer) {
            self.resources.push(pointer.to_owned());
        }
    }

    pub(crate) fn add_anchor(&mut self, resource: &str, name: &str, pointer: &str) {
        self.anchors
            .entry((resource.to_owned(), name.to_owned()))
            .or_insert_with(|| pointer.to_owned());
    }

    /// The resource root enclosing the schema at `pointer` (the longest resource pointer that
    /// is a whole-token prefix of it).
    pub(crate) fn resource_of(&self, pointer: &str) -> &str {
        self.resources
            .iter()
            .filter(|r| {
                r.is_empty()
                    || pointer == r.as_str()
                    || pointer
                        .strip_prefix(r.as_str())
                        .is_some_and(|rest| rest.starts_with('/'))
            })
            .max_by_key(|r| r.len())
            .map_or("", String::as_str)
    }

    /// The resource a reference's URI part (before `#`) names, if it is in this document.
    fn resource_named(&self, base: &str) -> Option<&str> {
        let base = base.strip_prefix("./").unwrap_or(base);
        let relative = !base.contains(':') && !base.starts_with('/');
        self.ids
            .iter()
            .find(|(id, _)| {
                id == base
                    || (relative
                        && id
                            .strip_suffix(base)
                            .is_some_and(|head| head.ends_with('/')))
            })
            .map(|(_, pointer)| pointer.as_str())
    }
}

/// Why a `$ref` does not resolve.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefError {
    /// Another file or a URL.
    #[error("it points outside this file")]
    NotLocal,
    /// Malformed `%XX` escapes.
    #[error("its percent-encoding is malformed")]
    BadEncoding,
    /// A JSON pointer (decoded) that leads nowhere (or is malformed).
    #[error("nothing in this file is at JSON pointer `{0}`")]
    NoSuchPointer(String),
    /// A plain-name fragment no `$anchor` declares.
    #[error("no schema here declares the anchor \"{0}\"")]
    NoSuchAnchor(String),
}

/// Resolves `reference` (as written in a schema inside the resource rooted at `resource`) to the
/// pointer of its target within `root`.
pub(crate) fn resolve(
    root: &Json,
    index: &Index,
    resource: &str,
    reference: &str,
) -> Result<String, RefError> {
    let (base, fragment) = match reference.split_once('#') {
        Some((base, fragment)) => (base, fragment),
        None => (reference, ""),
    };
    let resource = if base.is_empty() {
        resource
    } else {
        index.resource_named(base).ok_or(RefError::NotLocal)?
    };
    let fragment = percent_decode(fragment).ok_or(RefError::BadEncoding)?;
    if fragment.is_empty() {
        return Ok(resource.to_owned());
    }
    if fragment.starts_with('/') {
        let pointer = format!("{resource}{fragment}");
        return match lookup(root, &pointer) {
            Some(_) => Ok(pointer),
            None => Err(RefError::NoSuchPointer(fragment)),
        };
    }
    index
        .anchors
        .get(&(resource.to_owned(), fragment.clone()))
        .cloned()
        .ok_or(RefError::NoSuchAnchor(fragment))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    #[test]
    fn pointers_unescape_and_reject_malformed_tokens() {
        let json = parse(r#"{"a/b": {"c~d": [10, 20]}, "x": 1, "x": 2}"#).unwrap();
        assert_eq!(lookup(&json, "/a~1b/c~0d/1").unwrap().to_value(), 20);
        assert_eq!(
            lookup(&json, "/x").unwrap().to_value(),
            2,
            "last duplicate wins"
        );
        assert!(lookup(&json, "/a~1b/c~0d/01").is_none());
        assert!(lookup(&json, "/a~2b").is_none());
        assert!(lookup(&json, "a").is_none());
        assert!(lookup(&json, "").is_some());
    }

    #[test]
    fn file_parts_are_relative_paths_only() {
        assert_eq!(
            file_part("common.json#/$defs/Book").as_deref(),
            Some("common.json")
        );
        assert_eq!(
            file_part("../shared/a%20b.json").as_deref(),
            Some("../shared/a b.json")
        );
        assert_eq!(file_part("#/$defs/Book"), None);
        assert_eq!(file_part("https://example.com/a.json"), None);
        assert_eq!(file_part("urn:x:y"), None);
        assert_eq!(file_part("/abs/a.json"), None);
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(
            percent_decode("/$defs/a%20b").as_deref(),
            Some("/$defs/a b")
        );
        assert_eq!(percent_decode("%C3%A9").as_deref(), Some("é"));
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%4"), None);
        assert_eq!(percent_decode("%FF"), None);
        assert_eq!(percent_decode("é%"), None);
    }

    #[test]
    fn resolves_ids_and_anchors() {
        let json =
            parse(r#"{"$defs": {"a": {"type": "string"}, "r": {"$defs": {"x": {}}}}}"#).unwrap();
        let mut index = Index::new();
        index.add_resource("https://example.com/schemas/order.json#", "");
        index.add_resource("https://example.com/r.json", "/$defs/r");
        index.add_anchor("", "name", "/$defs/a");
        let ok = |r: &str| resolve(&json, &index, "", r);
        assert_eq!(ok("#"), Ok(String::new()));
        assert_eq!(ok("#/$defs/a"), Ok("/$defs/a".into()));
        assert_eq!(ok("#name"), Ok("/$defs/a".into()));
        assert_eq!(ok("order.json#/$defs/a"), Ok("/$defs/a".into()));
        assert_eq!(
            ok("https://example.com/schemas/order.json#/$defs/a"),
            Ok("/$defs/a".into())
        );
        assert_eq!(
            ok("https://example.com/r.json#/$defs/x"),
            Ok("/$defs/r/$defs/x".into())
        );
        assert_eq!(
            resolve(&json, &index, "/$defs/r", "#/$defs/x"),
            Ok("/$defs/r/$defs/x".into())
        );
        assert_eq!(ok("customer.json"), Err(RefError::NotLocal));
        assert_eq!(
            ok("#/$defs/b"),
            Err(RefError::NoSuchPointer("/$defs/b".into()))
        );
        assert_eq!(ok("#nope"), Err(RefError::NoSuchAnchor("nope".into())));
        assert_eq!(ok("#/%zz"), Err(RefError::BadEncoding));
        assert_eq!(index.resource_of("/$defs/r/$defs/x"), "/$defs/r");
        assert_eq!(index.resource_of("/$defs/rx"), "");
    }
}
