//! Source files of a workflow, with line/column lookup for diagnostics.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::json::Span;

/// One file as read: its display path (relative to where the user pointed us) and text.
#[derive(Debug, PartialEq, Eq)]
pub struct SourceFile {
    path: PathBuf,
    text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    /// A file with this display path and text, indexed for line lookups.
    pub fn new(path: impl Into<PathBuf>, text: impl Into<String>) -> Arc<Self> {
        let text = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Arc::new(SourceFile {
            path: path.into(),
            text,
            line_starts,
        })
    }

    /// The display path, as given to [`SourceFile::new`].
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The whole text of the file.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// 1-based line and column (columns count characters, as rustc does) of a byte offset.
    pub fn line_col(&self, offset: u32) -> (usize, usize) {
        let offset = (offset as usize).min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let col = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (line + 1, col + 1)
    }

    /// The text a span covers (empty if the span is outside the file).
    pub fn snippet(&self, span: Span) -> &str {
        self.text
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
    }
}

/// `a/./b/../c` → `a/c` without looking at the file system: the one spelling of a path, for
/// telling whether two references name the same file. Leading `..`s are kept.
pub fn lexical_path(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir
                if out
                    .components()
                    .next_back()
                    .is_some_and(|c| matches!(c, std::path::Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// `to` as seen from the folder `from`, both absolute or both relative to one folder, and
/// without `.` or `..` inside ([`lexical_path`]), with `/`
/// separators: `../../definitions/x`, or `.` when they are the same folder. `None` when they
/// share no root (two Windows drives).
pub fn relative_path(from: &Path, to: &Path) -> Option<String> {
    fn root(p: &Path) -> Vec<std::path::Component<'_>> {
        p.components()
            .take_while(|c| {
                matches!(
                    c,
                    std::path::Component::Prefix(_) | std::path::Component::RootDir
                )
            })
            .collect()
    }
    if root(from) != root(to) {
        return None;
    }
    let mut from_parts = from.components().peekable();
    let mut to_parts = to.components().peekable();
    while from_parts.peek().is_some() && from_parts.peek() == to_parts.peek() {
        from_parts.next();
        to_parts.next();
    }
    let mut parts: Vec<String> = from_parts.map(|_| "..".to_owned()).collect();
    parts.extend(to_parts.map(|c| c.as_os_str().to_string_lossy().into_owned()));
    if parts.is_empty() {
        return Some(".".to_owned());
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexical_paths_resolve_dots_and_keep_leading_parents() {
        let norm = |p: &str| lexical_path(Path::new(p)).display().to_string();
        assert_eq!(norm("a/./b/../c.json"), "a/c.json");
        assert_eq!(norm("../x/../y.json"), "../y.json");
        assert_eq!(norm("a/../../b"), "../b");
        assert_eq!(norm("/r/a/../b"), "/r/b");
    }

    #[test]
    fn relative_paths_between_folders() {
        let rel = |a: &str, b: &str| relative_path(Path::new(a), Path::new(b));
        assert_eq!(
            rel("d/schemas", "d/schemas/c.json").as_deref(),
            Some("c.json")
        );
        assert_eq!(
            rel("d/schemas", "shared/b.json").as_deref(),
            Some("../../shared/b.json")
        );
        assert_eq!(rel("", "c.json").as_deref(), Some("c.json"));
        assert_eq!(rel("/a", "b"), None);
    }

    #[test]
    fn line_col_is_one_based_and_counts_chars() {
        let f = SourceFile::new("x.json", "{\n  \"é\": 1\n}");
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(2), (2, 1));
        // `1` sits after `  "é": ` — 7 characters, 8 bytes.
        assert_eq!(f.line_col(10), (2, 8));
        assert_eq!(f.line_col(1000), (3, 2));
    }
}
