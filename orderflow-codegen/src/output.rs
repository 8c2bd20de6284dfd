//! Writing generated files safely: atomically, only over files that carry the `@generated`
//! marker, never over a developer's file; and comparing instead of writing (`--check`).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::emit::{FileKind, GENERATED_MARKER, OutputFile};

/// What happens to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// New, or a generated file whose contents change.
    Write,
    /// Already as it would be generated.
    Unchanged,
    /// A stub that exists: the developer's now.
    KeepStub,
    /// A generated file's place is taken by a file without the marker: refuse to touch it.
    Refuse,
    /// A generated file (with the marker) that is no longer generated.
    Delete,
}

/// One planned action.
#[derive(Debug, Clone)]
pub struct Planned {
    /// Absolute (or as given) path.
    pub path: PathBuf,
    pub action: Action,
    /// The new contents (empty for `Delete`).
    pub contents: String,
    /// The current contents, when the file exists.
    pub current: Option<String>,
}

/// Whether `text` is a generated file orderflow may overwrite: the marker in its first lines.
pub fn is_generated(text: &str) -> bool {
    text.lines().take(3).any(|l| l.contains(GENERATED_MARKER))
}

/// Plans writing `files` under `root`. `stale_dirs` are folders (relative to `root`) whose
/// generated files are removed when no longer produced (e.g. `src/bin` after a function goes).
pub fn plan(
    root: &Path,
    files: &[OutputFile],
    stale_dirs: &[&str],
) -> std::io::Result<Vec<Planned>> {
    let mut planned = Vec::new();
    for file in files {
        let path = root.join(&file.path);
        let current = match std::fs::read_to_string(&path) {
            Ok(text) => Some(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                return Err(std::io::Error::new(
                    e.kind(),
                    format!("{}: {e}", path.display()),
                ));
            }
        };
        let action = match (&current, file.kind) {
            (None, _) => Action::Write,
            (Some(_), FileKind::Stub) => Action::KeepStub,
            (Some(text), FileKind::Generated) if !is_generated(text) => Action::Refuse,
            (Some(text), FileKind::Generated) if *text == file.contents => Action::Unchanged,
            (Some(_), FileKind::Generated) => Action::Write,
        };
        planned.push(Planned {
            path,
            action,
            contents: file.contents.clone(),
            current,
        });
    }
    for dir in stale_dirs {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        let mut stale: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && !planned.iter().any(|f| f.path == *p))
            .collect();
        stale.sort();
        for path in stale {
            if let Ok(text) = std::fs::read_to_string(&path) {
                if is_generated(&text) {
                    planned.push(Planned {
                        path,
                        action: Action::Delete,
                        contents: String::new(),
                        current: Some(text),
                    });
                }
            }
        }
    }
    Ok(planned)
}

/// Carries out a plan that has no `Refuse` in it.
pub fn apply(planned: &[Planned]) -> std::io::Result<()> {
    for p in planned {
        match p.action {
            Action::Write => write_atomic(&p.path, &p.contents)?,
            Action::Delete => std::fs::remove_file(&p.path)?,
            Action::Unchanged | Action::KeepStub | Action::Refuse => {}
        }
    }
    Ok(())
}

/// Writes `contents` to a temporary file beside `path` and renames it over `path`, so a reader
/// (or a crash) sees either the old file or the new one, never a part.
pub fn write_atomic(path: &Path, contents: &str) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.orderflow-{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(contents.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// A unified diff from the current file to the planned one (for `generate --check`).
pub fn diff(p: &Planned) -> String {
    let old = p.current.as_deref().unwrap_or("");
    let new = if p.action == Action::Delete {
        ""
    } else {
        p.contents.as_str()
    };
    let name = p.path.display().to_string();
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, contents: &str, kind: FileKind) -> OutputFile {
        OutputFile {
            path: PathBuf::from(path),
            contents: contents.to_owned(),
            kind,
        }
    }

    #[test]
    fn stubs_are_created_once_and_user_files_refused() {
        let dir = tempfile::tempdir().unwrap();
        let files = [
            file("gen.rs", "// @generated\nfn a() {}\n", FileKind::Generated),
            file("stub.rs", "fn todo() {}\n", FileKind::Stub),
        ];
        let first = plan(dir.path(), &files, &[]).unwrap();
        assert!(first.iter().all(|p| p.action == Action::Write));
        apply(&first).unwrap();
        std::fs::write(dir.path().join("stub.rs"), "fn mine() {}\n").unwrap();
        let again = plan(dir.path(), &files, &[]).unwrap();
        assert_eq!(again[0].action, Action::Unchanged);
        assert_eq!(again[1].action, Action::KeepStub);
        apply(&again).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("stub.rs")).unwrap(),
            "fn mine() {}\n"
        );
        // A generated file's place taken by the developer's own file (no marker): refused.
        std::fs::write(dir.path().join("gen.rs"), "fn handwritten() {}\n").unwrap();
        let refused = plan(dir.path(), &files, &[]).unwrap();
        assert_eq!(refused[0].action, Action::Refuse);
    }

    #[test]
    fn stale_generated_files_are_deleted_and_others_kept() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("bin")).unwrap();
        std::fs::write(dir.path().join("bin/old.rs"), "// @generated\n").unwrap();
        std::fs::write(dir.path().join("bin/mine.rs"), "fn main() {}\n").unwrap();
        let planned = plan(dir.path(), &[], &["bin"]).unwrap();
        assert_eq!(planned.len(), 1);
        assert_eq!(planned[0].action, Action::Delete);
        assert!(planned[0].path.ends_with("bin/old.rs"));
    }

    #[test]
    fn diff_names_the_file_and_the_change() {
        let p = Planned {
            path: PathBuf::from("out/src/generated.rs"),
            action: Action::Write,
            contents: "a\nb\n".into(),
            current: Some("a\n".into()),
        };
        let d = diff(&p);
        assert!(d.contains("--- a/out/src/generated.rs"), "{d}");
        assert!(d.contains("+b"), "{d}");
    }

    #[test]
    fn an_interrupted_write_leaves_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gen.rs");
        std::fs::write(&path, "// @generated\nold\n").unwrap();
        // The temporary file cannot be created where a directory of its name stands: the
        // write fails part-way, as a crash before the rename would.
        let blocker = dir
            .path()
            .join(format!(".gen.rs.orderflow-{}.tmp", std::process::id()));
        std::fs::create_dir(&blocker).unwrap();
        assert!(write_atomic(&path, "// @generated\nnew\n").is_err());
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "// @generated\nold\n"
        );
    }
}
