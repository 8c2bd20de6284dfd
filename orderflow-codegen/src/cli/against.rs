//! `check --against REF`: the earlier version of each workflow, from a git revision or a folder,
//! compared with the current one by [`orderflow_model::breaking`].

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use orderflow_model::breaking::{self, Comparison};
use orderflow_model::workflow::{ASL_FILE, WorkflowSources};
use orderflow_model::{Analysis, analyze};

use super::inputs::{self, Input, Options};

/// Where the earlier versions are: a folder laid out as the current one (a git revision is
/// exported into a temporary folder first).
pub struct Earlier {
    /// The folder holding the earlier files.
    root: PathBuf,
    /// The current folder the earlier one mirrors: the repository's top for a revision, the
    /// current folder for a folder.
    base: PathBuf,
    /// The revision or folder as given, for messages.
    pub label: String,
    /// Whether `root` was given as a folder (it may then hold the one workflow itself).
    is_folder: bool,
    /// Whether one workflow is compared: only then may a folder be its earlier version itself.
    single_input: bool,
    /// Keeps an exported revision until the comparison is done.
    _export: Option<tempfile::TempDir>,
}

impl Earlier {
    /// `reference` as a folder when one of that name exists, else as a git revision of the
    /// repository around the current folder, of which the parts holding `inputs` are read.
    pub fn resolve(reference: &str, inputs: &[Input]) -> Result<Self, String> {
        let cwd =
            std::env::current_dir().map_err(|e| format!("cannot read the current folder: {e}"))?;
        let as_folder = Path::new(reference);
        if as_folder.is_dir() {
            return Ok(Earlier {
                root: as_folder.to_path_buf(),
                base: cwd,
                label: reference.to_owned(),
                is_folder: true,
                single_input: inputs.len() == 1,
                _export: None,
            });
        }
        let top = git(&["rev-parse", "--show-toplevel"]).map_err(|e| {
            format!("--against {reference}: no folder of that name, and no git repository here to find the revision in ({e})")
        })?;
        let top = PathBuf::from(String::from_utf8_lossy(&top).trim());
        let commit = git(&[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{reference}^{{commit}}"),
        ])
        .map_err(|_| {
            // CI checkouts are often shallow: the revision exists, but not here.
            let shallow = git(&["rev-parse", "--is-shallow-repository"])
                .is_ok_and(|out| String::from_utf8_lossy(&out).trim() == "true");
            let hint = if shallow {
                " (this clone is shallow: fetch the history, e.g. `git fetch --unshallow`, or `fetch-depth: 0` in actions/checkout)"
            } else {
                ""
            };
            format!("--against {reference}: no folder of that name, and git knows no revision `{reference}`{hint}")
        })?;
        let commit = String::from_utf8_lossy(&commit).trim().to_owned();
        // The top-level folders holding the inputs, whole (schemas `$ref` files beside and
        // above a workflow); only those the revision has, or git refuses the pathspec.
        let mut wanted: BTreeSet<String> = BTreeSet::new();
        // Every file a workflow reads, besides its holder: a schema's `$ref` may lead into
        // another top-level folder (`shared/schemas/…`). A file outside the repository, or no
        // file at all, adds nothing.
        for input in inputs {
            for file in input.sources.files() {
                let first = relative_to(file.path(), &top)
                    .and_then(|r| r.components().next().map(|c| c.as_os_str().to_owned()));
                if let Some(first) = first {
                    wanted.insert(first.to_string_lossy().into_owned());
                }
            }
        }
        for input in inputs {
            let relative = relative_to(&holder(&input.sources), &top);
            match relative
                .as_deref()
                .map(|r| (r.components().count(), r.components().next()))
            {
                // A file at the top (a SAM template beside `schemas/` and orderflow.json):
                // the whole tree, since what goes with it sits beside it.
                Some((1, _)) | None | Some((_, None)) => wanted.insert(String::new()),
                Some((_, Some(first))) => {
                    wanted.insert(first.as_os_str().to_string_lossy().into_owned())
                }
            };
        }
        let top_text = top.to_string_lossy().into_owned();
        let mut args = vec!["-C", &top_text, "archive", "--format=tar", &commit];
        let listed;
        let literal;
        if !wanted.contains("") {
            // NUL-separated: a name git would otherwise quote (a tab, a quote) stays as is.
            listed = git(&["-C", &top_text, "ls-tree", "-z", "--name-only", &commit])
                .map_err(|e| format!("--against {reference}: git ls-tree failed: {e}"))?;
            let present: BTreeSet<String> = String::from_utf8_lossy(&listed)
                .split('\0')
                .filter(|name| !name.is_empty())
                .map(str::to_owned)
                .collect();
            wanted.retain(|w| present.contains(w));
            args.push("--");
            // Literal pathspecs: a folder named `*` or `:x` is that folder, not a pattern.
            literal = wanted
                .iter()
                .map(|w| format!(":(literal){w}"))
                .collect::<Vec<_>>();
            args.extend(literal.iter().map(String::as_str));
        }
        let tar = if args.last() == Some(&"--") {
            Vec::new()
        } else {
            git(&args).map_err(|e| format!("--against {reference}: git archive failed: {e}"))?
        };
        let export = tempfile::Builder::new()
            .prefix("orderflow-against-")
            .tempdir()
            .map_err(|e| format!("cannot create a temporary folder: {e}"))?;
        unpack(&tar, export.path())
            .map_err(|e| format!("--against {reference}: cannot unpack the revision: {e}"))?;
        // The export stands for the repository: references to schemas stay inside it.
        std::fs::create_dir_all(export.path().join(".git"))
            .map_err(|e| format!("cannot write in the temporary folder: {e}"))?;
        Ok(Earlier {
            root: export.path().to_path_buf(),
            base: top,
            label: reference.to_owned(),
            is_folder: false,
            single_input: inputs.len() == 1,
            _export: Some(export),
        })
    }

    /// The earlier version of `input`: the same path under the earlier root, the state machine
    /// of the same name there. `None` when it did not exist then.
    pub fn version_of(&self, input: &Input, options: &Options) -> Result<Option<Input>, String> {
        let here = holder(&input.sources);
        let relative = relative_to(&here, &self.base);
        let there = relative.map(|r| self.root.join(r));
        let mut found = match there.filter(|p| p.exists()) {
            Some(path) => inputs::find(&[path], options)?,
            // A folder given for one workflow may be that workflow's earlier version itself.
            None if self.is_folder && self.single_input => {
                inputs::find(std::slice::from_ref(&self.root), options).unwrap_or_default()
            }
            None => return Ok(None),
        };
        // A template's machines by name, even when the earlier template held only one (a
        // machine added since is new, not the other one renamed).
        if found.len() > 1 || input.sources.declared_at.is_some() {
            found.retain(|i| i.sources.name == input.sources.name);
        }
        if found.len() != 1 {
            return Ok(None);
        }
        Ok(Some(found.remove(0)))
    }
}

/// Writes the files of a `git archive` that orderflow reads (JSON and YAML) under `root`.
fn unpack(tar: &[u8], root: &Path) -> std::io::Result<()> {
    if tar.is_empty() {
        return Ok(());
    }
    let mut archive = tar::Archive::new(tar);
    for entry in archive.entries()? {
        let mut entry = entry?;
        let wanted = entry.header().entry_type().is_file()
            && entry
                .path()?
                .extension()
                .is_some_and(|x| x == "json" || x == "yaml" || x == "yml");
        if wanted {
            // `unpack_in` refuses paths that would leave `root`.
            entry.unpack_in(root)?;
        }
    }
    Ok(())
}

/// The file or folder that holds a state machine: a workflow folder, else its file.
fn holder(sources: &WorkflowSources) -> PathBuf {
    // A template's machine (its definition inline, or a file its `DefinitionUri` names) is
    // found again through the template, with its placeholders and the schemas beside it.
    if let Some(template) = &sources.declared_at {
        return template.file.path().to_path_buf();
    }
    match &sources.asl {
        Some(file) if file.path().file_name().is_none_or(|n| n != ASL_FILE) => {
            file.path().to_path_buf()
        }
        _ => sources.dir.clone(),
    }
}

/// `path` relative to `base`, both made absolute.
fn relative_to(path: &Path, base: &Path) -> Option<PathBuf> {
    let path = path.canonicalize().ok()?;
    let base = base.canonicalize().ok()?;
    path.strip_prefix(&base).ok().map(Path::to_path_buf)
}

/// Runs git with `args` in the current folder; its stdout, or what it said on stderr.
fn git(args: &[&str]) -> Result<Vec<u8>, String> {
    let output = Command::new("git")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if output.status.success() {
        Ok(output.stdout)
    } else {
        Err(String::from_utf8_lossy(&output.stderr).trim().to_owned())
    }
}

/// What comparing one input with its earlier version came to.
pub enum Outcome {
    /// Compared.
    Compared(Comparison),
    /// Nothing to compare with, and why.
    Skipped(String),
}

/// Compares the analysed `current` input with its earlier version.
pub fn compare(
    earlier: &Earlier,
    input: &Input,
    current: &Analysis,
    options: &Options,
) -> Result<Outcome, String> {
    let Some(new) = &current.workflow else {
        return Ok(Outcome::Skipped("it does not load".to_owned()));
    };
    let Some(old_input) = earlier.version_of(input, options)? else {
        return Ok(Outcome::Skipped(format!(
            "it is new: {} has no earlier version of it",
            earlier.label
        )));
    };
    let old = analyze(&old_input.sources);
    match &old.workflow {
        Some(old) => {
            let mut comparison = breaking::compare(old, new);
            // An exported revision's files are named as git names them: `HEAD~1:definitions/…`.
            if !earlier.is_folder {
                let prefix = format!("{}:", earlier.label);
                let diagnostics = comparison.diagnostics.iter_mut();
                let accepted = comparison.accepted.iter_mut().map(|a| &mut a.diagnostic);
                for d in diagnostics.chain(accepted) {
                    d.relocate(&earlier.root, &prefix);
                }
            }
            Ok(Outcome::Compared(comparison))
        }
        None => Ok(Outcome::Skipped(format!(
            "its version in {} does not load",
            earlier.label
        ))),
    }
}
