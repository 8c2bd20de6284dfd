//! Where a generated crate finds what it refers to: the workflow definition (`include_str!` in
//! the glue, `DefinitionUri` in the SAM template, the README's link), the cargo target folder
//! (the serverless.yml artifacts) and `orderflow-runtime` (its Cargo.toml).
//!
//! Every such path is written relative to the crate, computed from the real locations of both
//! ends, so it is right whatever `--out` is (relative, absolute, with `..`) and the crate can be
//! moved together with what it refers to.

use std::path::{Component, Path, PathBuf};
use std::str::FromStr;

/// `path` (relative to `cwd`, or absolute) as an absolute path without `.`, `..` or symbolic
/// links. It need not exist: the longest existing ancestor is canonicalized and the rest is
/// appended with `.` and `..` resolved lexically.
pub fn resolve(cwd: &Path, path: &Path) -> PathBuf {
    let absolute = cwd.join(path);
    let mut existing = absolute.as_path();
    let mut rest: Vec<std::ffi::OsString> = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            let mut out = real;
            for component in rest.iter().rev() {
                push_lexically(&mut out, component);
            }
            return out;
        }
        match (existing.parent(), existing.components().next_back()) {
            (Some(parent), Some(last)) => {
                rest.push(last.as_os_str().to_owned());
                existing = parent;
            }
            _ => return lexical(&absolute),
        }
    }
}

fn push_lexically(out: &mut PathBuf, component: &std::ffi::OsStr) {
    if component == ".." {
        out.pop();
    } else if component != "." {
        out.push(component);
    }
}

/// `path` with `.` and `..` resolved without looking at the file system.
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// `to` as seen from the folder `from`, both absolute and resolved ([`resolve`]): the model's
/// rule ([`orderflow_model::source::relative_path`]).
pub fn relative(from: &Path, to: &Path) -> Option<String> {
    orderflow_model::source::relative_path(from, to)
}

/// `to` as seen from `from` ([`relative`]), or `to` itself, absolute, when there is no relative
/// path.
fn relative_or_absolute(from: &Path, to: &Path) -> String {
    relative(from, to).unwrap_or_else(|| to.to_string_lossy().replace('\\', "/"))
}

/// `base/name` for a path from [`relative_or_absolute`].
fn join(base: &str, name: &str) -> String {
    if base == "." {
        name.to_owned()
    } else {
        format!("{base}/{name}")
    }
}

/// Where the generated crate's paths point, each as written in the crate's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CratePaths {
    /// The workflow folder, from the crate folder (template.yaml, README.md).
    pub workflow_dir: String,
    /// The workflow folder, from the crate's `src/` (the glue's `include_str!`).
    pub workflow_dir_from_src: String,
    /// The cargo target folder the crate builds into, from the crate folder (serverless.yml).
    pub target_dir: String,
    /// The `orderflow-runtime` dependency: the TOML value after `orderflow-runtime = `.
    pub runtime_dependency: String,
}

impl CratePaths {
    /// The paths of the crate at `crate_dir` generated from `workflow_dir`, both relative to
    /// `cwd` (the folder `generate` runs in) or absolute; `runtime` is where `orderflow-runtime`
    /// comes from, a `path` relative to `cwd` too.
    pub fn new(cwd: &Path, workflow_dir: &Path, crate_dir: &Path, runtime: &Runtime) -> Self {
        let crate_dir = resolve(cwd, crate_dir);
        let workflow_dir = resolve(cwd, workflow_dir);
        let target = cargo_target_dir(&crate_dir);
        CratePaths {
            workflow_dir: relative_or_absolute(&crate_dir, &workflow_dir),
            workflow_dir_from_src: relative_or_absolute(&crate_dir.join("src"), &workflow_dir),
            target_dir: relative_or_absolute(&crate_dir, &target),
            runtime_dependency: runtime.dependency(cwd, &crate_dir),
        }
    }

    /// The definition's path from the crate folder, for `DefinitionUri`.
    pub fn definition_from_crate(&self) -> String {
        join(&self.workflow_dir, orderflow_model::workflow::ASL_FILE)
    }

    /// The definition's path from `src/`, for `include_str!`.
    pub fn definition_from_src(&self) -> String {
        join(
            &self.workflow_dir_from_src,
            orderflow_model::workflow::ASL_FILE,
        )
    }
}

/// The target folder cargo builds the crate at `crate_dir` (resolved) into: `target/` of the
/// workspace it belongs to, the nearest folder at or above it whose Cargo.toml has a
/// `[workspace]` table that does not `exclude` it, or else of the crate itself. (A
/// `CARGO_TARGET_DIR` or `build.target-dir` of the user's is not known here.)
fn cargo_target_dir(crate_dir: &Path) -> PathBuf {
    for folder in crate_dir.ancestors() {
        let Ok(text) = std::fs::read_to_string(folder.join("Cargo.toml")) else {
            continue;
        };
        let Ok(manifest) = text.parse::<toml::Table>() else {
            continue;
        };
        let Some(workspace) = manifest.get("workspace").and_then(toml::Value::as_table) else {
            continue;
        };
        let excluded = workspace
            .get("exclude")
            .and_then(toml::Value::as_array)
            .is_some_and(|excluded| {
                excluded
                    .iter()
                    .filter_map(toml::Value::as_str)
                    .any(|e| crate_dir.starts_with(lexical(&folder.join(e))))
            });
        if !excluded {
            return folder.join("target");
        }
    }
    crate_dir.join("target")
}

/// Where the generated crate's `orderflow-runtime` dependency comes from (`--runtime`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Runtime {
    /// A folder holding orderflow-runtime's Cargo.toml; relative to where `generate` runs
    /// unless absolute. Written relative to the crate (absolute when given absolute).
    Path(PathBuf),
    /// The orderflow-runtime folder of the checkout this orderflow-codegen was built from
    /// ([`Runtime::local`]), absolute; written relative to the crate.
    Local(PathBuf),
    /// A git repository, with an optional `rev`, `tag` or `branch`.
    Git {
        /// The repository URL.
        url: String,
        /// Which commit to use, and its name; `None`: the default branch.
        reference: Option<(GitReference, String)>,
    },
    /// A version requirement, for crates.io (or the registry cargo is configured with).
    Version(String),
}

/// Which commit of a git dependency to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GitReference {
    /// `rev = "…"`: a commit hash.
    Rev,
    /// `tag = "…"`.
    Tag,
    /// `branch = "…"`.
    Branch,
}

impl GitReference {
    fn key(self) -> &'static str {
        match self {
            GitReference::Rev => "rev",
            GitReference::Tag => "tag",
            GitReference::Branch => "branch",
        }
    }
}

/// Why a `--runtime` value is not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RuntimeParseError(String);

impl FromStr for Runtime {
    type Err = RuntimeParseError;

    /// `path=DIR`, `version=REQ`, or `git=URL` optionally followed by `,rev=…`, `,tag=…` or
    /// `,branch=…`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let usage = "expected path=DIR, git=URL[,rev=…|,tag=…|,branch=…] or version=REQ";
        let Some((kind, rest)) = text.split_once('=') else {
            return Err(RuntimeParseError(format!("`{text}`: {usage}")));
        };
        let non_empty = |value: &str, what: &str| {
            if value.trim().is_empty() {
                Err(RuntimeParseError(format!("`{text}`: {what} is empty")))
            } else {
                Ok(value.to_owned())
            }
        };
        match kind {
            "path" => Ok(Runtime::Path(PathBuf::from(non_empty(rest, "the path")?))),
            "version" => Ok(Runtime::Version(non_empty(rest, "the version")?)),
            "git" => {
                let (url, reference) = match rest.split_once(',') {
                    None => (rest, None),
                    Some((url, reference)) => {
                        let Some((key, value)) = reference.split_once('=') else {
                            return Err(RuntimeParseError(format!(
                                "`{reference}`: expected rev=…, tag=… or branch=…"
                            )));
                        };
                        let key = match key {
                            "rev" => GitReference::Rev,
                            "tag" => GitReference::Tag,
                            "branch" => GitReference::Branch,
                            other => {
                                return Err(RuntimeParseError(format!(
                                    "`{other}`: a git dependency takes rev=…, tag=… or branch=…"
                                )));
                            }
                        };
                        (url, Some((key, non_empty(value, key.key())?)))
                    }
                };
                Ok(Runtime::Git {
                    url: non_empty(url, "the URL")?,
                    reference,
                })
            }
            other => Err(RuntimeParseError(format!("`{other}`: {usage}"))),
        }
    }
}

impl Runtime {
    /// The runtime this orderflow-codegen was built with: the `orderflow-runtime` folder next to
    /// its own sources, when it is there and is not a copy in cargo's download cache (`cargo
    /// install --git` or from crates.io), which cargo may delete. `None` otherwise.
    pub fn local() -> Option<Runtime> {
        Self::local_to(
            Path::new(env!("CARGO_MANIFEST_DIR")),
            cargo_home().as_deref(),
        )
    }

    /// [`Runtime::local`] for orderflow-codegen's sources in `codegen`, cargo's home in `home`.
    fn local_to(codegen: &Path, home: Option<&Path>) -> Option<Runtime> {
        let runtime = codegen.parent()?.join("orderflow-runtime");
        let manifest = std::fs::read_to_string(runtime.join("Cargo.toml")).ok()?;
        let table = manifest.parse::<toml::Table>().ok()?;
        let name = table.get("package")?.get("name")?.as_str()?;
        let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
        let cached = home.is_some_and(|home| canonical(&runtime).starts_with(canonical(home)));
        if name != "orderflow-runtime" || cached {
            return None;
        }
        Some(Runtime::Local(runtime))
    }

    /// The version of orderflow-runtime matching this orderflow-codegen, from a registry:
    /// what a crate is generated with when there is no [`Runtime::local`].
    pub fn registry() -> Runtime {
        Runtime::Version(format!(
            "{}.{}",
            env!("CARGO_PKG_VERSION_MAJOR"),
            env!("CARGO_PKG_VERSION_MINOR")
        ))
    }

    /// The TOML value of the dependency for the crate at `crate_dir` (resolved).
    fn dependency(&self, cwd: &Path, crate_dir: &Path) -> String {
        match self {
            Runtime::Path(dir) => {
                let path = if dir.is_absolute() {
                    dir.to_string_lossy().replace('\\', "/")
                } else {
                    relative_or_absolute(crate_dir, &resolve(cwd, dir))
                };
                format!("{{ path = {} }}", toml_string(&path))
            }
            Runtime::Local(dir) => format!(
                "{{ path = {} }}",
                toml_string(&relative_or_absolute(crate_dir, &resolve(cwd, dir)))
            ),
            Runtime::Git { url, reference } => match reference {
                None => format!("{{ git = {} }}", toml_string(url)),
                Some((key, value)) => format!(
                    "{{ git = {}, {} = {} }}",
                    toml_string(url),
                    key.key(),
                    toml_string(value)
                ),
            },
            Runtime::Version(requirement) => toml_string(requirement),
        }
    }
}

/// Cargo's home (`$CARGO_HOME`, else `~/.cargo`), where `cargo install` unpacks the sources it
/// builds.
fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .or_else(|| std::env::var_os("USERPROFILE"))
                .map(|home| PathBuf::from(home).join(".cargo"))
        })
}

/// `text` as a TOML basic string, quoted and escaped.
fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_to_the_common_folder() {
        let from = Path::new("/w/generated-example/store-checkout");
        assert_eq!(
            relative(from, Path::new("/w/definitions/store-checkout")).as_deref(),
            Some("../../definitions/store-checkout")
        );
        assert_eq!(relative(from, from).as_deref(), Some("."));
        assert_eq!(
            relative(from, &from.join("target")).as_deref(),
            Some("target")
        );
        assert_eq!(
            relative(Path::new("/a/b"), Path::new("/")).as_deref(),
            Some("../..")
        );
    }

    #[test]
    fn resolve_handles_missing_folders_and_dot_dot() {
        let cwd = std::env::temp_dir()
            .canonicalize()
            .unwrap_or_else(|_| std::env::temp_dir());
        let resolved = resolve(&cwd, Path::new("missing/x/../y/./z"));
        assert_eq!(resolved, cwd.join("missing/y/z"));
        assert_eq!(resolve(&cwd, Path::new("..")), lexical(&cwd.join("..")));
    }

    #[test]
    fn the_local_runtime_is_the_one_next_to_the_sources_unless_cargo_cached_them() {
        let root = tempfile::tempdir().expect("temp dir");
        let checkout = root.path().join("checkout");
        let codegen = checkout.join("orderflow-codegen");
        std::fs::create_dir_all(&codegen).expect("mkdir");
        assert_eq!(Runtime::local_to(&codegen, None), None, "no runtime folder");
        std::fs::create_dir_all(checkout.join("orderflow-runtime")).expect("mkdir");
        let manifest = checkout.join("orderflow-runtime/Cargo.toml");
        std::fs::write(&manifest, "[package]\nname = \"something-else\"\n").expect("write");
        assert_eq!(Runtime::local_to(&codegen, None), None, "another package");
        std::fs::write(&manifest, "[package]\nname = \"orderflow-runtime\"\n").expect("write");
        let elsewhere = root.path().join("cargo-home");
        assert_eq!(
            Runtime::local_to(&codegen, Some(&elsewhere)),
            Some(Runtime::Local(checkout.join("orderflow-runtime")))
        );
        // `cargo install --git` builds in $CARGO_HOME/git/checkouts/…
        assert_eq!(Runtime::local_to(&codegen, Some(root.path())), None);
        // This build's own runtime is local (the tests run from the repository).
        assert!(matches!(Runtime::local(), Some(Runtime::Local(_))));
    }

    #[test]
    fn runtime_values_parse_and_print_as_toml() {
        let cwd = Path::new("/w");
        let crate_dir = Path::new("/w/out/minimal");
        let parse = |s: &str| s.parse::<Runtime>();
        let dependency = |s: &str| parse(s).map(|r| r.dependency(cwd, crate_dir));
        assert_eq!(dependency("version=0.1").as_deref(), Ok("\"0.1\""));
        assert_eq!(
            dependency("git=https://example.com/o.git").as_deref(),
            Ok("{ git = \"https://example.com/o.git\" }")
        );
        assert_eq!(
            dependency("git=https://example.com/o.git,tag=v0.1.0").as_deref(),
            Ok("{ git = \"https://example.com/o.git\", tag = \"v0.1.0\" }")
        );
        assert_eq!(
            dependency("path=/opt/orderflow-runtime").as_deref(),
            Ok("{ path = \"/opt/orderflow-runtime\" }")
        );
        assert_eq!(
            dependency("path=../runtime").as_deref(),
            Ok("{ path = \"../../../runtime\" }")
        );
        // Quotes and line breaks stay inside the TOML string.
        let odd = dependency("version=0.1\" x\n[y]").unwrap_or_default();
        let table: toml::Table = format!("dep = {odd}").parse().unwrap_or_default();
        assert_eq!(
            table.get("dep").and_then(toml::Value::as_str),
            Some("0.1\" x\n[y]")
        );
        for wrong in [
            "",
            "0.1",
            "path=",
            "crate=x",
            "git=u,commit=1",
            "git=u,rev=",
            "git=",
        ] {
            assert!(parse(wrong).is_err(), "{wrong}");
        }
    }
}
