//! The checked model of one workflow folder: [`Workflow`] and its [`Function`]s, and the folder's
//! files as read ([`WorkflowSources`]; the only I/O is in [`WorkflowSources::read_dir`]).
//!
//! [`crate::analyze`] builds the model; everything downstream reads it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::asl::model::{StateId, StateMachine};
use crate::asl::parse::FunctionCatalog;
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::json::Json;
use crate::manifest::{FunctionManifest, Manifest};
use crate::schema::SchemaDocument;
use crate::source::{SourceFile, lexical_path};

/// The state machine definition's file name in a workflow folder.
pub const ASL_FILE: &str = "workflow.asl.json";
/// The manifest's file name in a workflow folder.
pub const MANIFEST_FILE: &str = "orderflow.json";
/// The schema name of the execution's input (`schemas/execution.input.json`), so not a function's.
pub(crate) const EXECUTION_INPUT: &str = "execution";
/// Definitions larger than this are refused before parsing (AWS's own limit is 1 MB).
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// What the name of a state machine definition file ends with (`order.asl.yaml`).
pub const DEFINITION_SUFFIXES: [&str; 3] = [".asl.json", ".asl.yaml", ".asl.yml"];

/// Whether `name` is a state machine definition's file name (`order.asl.json`).
pub fn is_definition_name(name: &str) -> bool {
    DEFINITION_SUFFIXES
        .iter()
        .any(|suffix| name.len() > suffix.len() && name.ends_with(suffix))
}

/// A file's text, refusing files larger than [`MAX_FILE_BYTES`] before reading them.
///
/// # Errors
///
/// The file cannot be read, or is too large.
pub fn read_limited(path: &Path) -> std::io::Result<String> {
    let size = std::fs::metadata(path)?.len();
    if size > MAX_FILE_BYTES {
        return Err(std::io::Error::other(format!(
            "the file is {size} bytes; the limit is {MAX_FILE_BYTES}"
        )));
    }
    std::fs::read_to_string(path)
}

/// The files of one workflow folder, as read.
#[derive(Debug, Clone)]
pub struct WorkflowSources {
    /// The folder as the user named it (used in messages).
    pub dir: PathBuf,
    /// The folder's name: the workflow's name.
    pub name: String,
    /// `workflow.asl.json` as read; `None` when it is missing or could not be read.
    pub asl: Option<Arc<SourceFile>>,
    /// `orderflow.json` as read; `None` when the folder has none (or it could not be read).
    pub manifest: Option<Arc<SourceFile>>,
    /// `schemas/<stem>.json` by stem (`checkInventory.input`, `execution.input`).
    pub schemas: BTreeMap<String, Arc<SourceFile>>,
    /// Schema files outside `schemas/` (or not named as a pair there, beside a template) that
    /// schemas `$ref` (`../shared/book.json`), by path.
    pub referenced: BTreeMap<PathBuf, Arc<SourceFile>>,
    /// Files schemas `$ref` that were not read, and why: outside the repository.
    pub refused: BTreeMap<PathBuf, String>,
    /// Problems met while reading (unreadable files).
    pub read_errors: Vec<Diagnostic>,
    /// Other state machine definitions in the folder (`order.asl.json`, `order.asl.yaml`), by
    /// file name: what the user probably meant when `workflow.asl.json` is missing.
    pub other_definitions: Vec<String>,
    /// The definition already read from `asl` (a definition inside a template, whose spans
    /// point into the template); `None` to parse `asl` itself, as JSON or YAML by its name.
    pub definition: Option<Json>,
    /// Where the definition is declared when it is not a file of its own (a template's
    /// resource): notes about the whole definition point there.
    pub declared_at: Option<Location>,
    /// `${Placeholder}` → function, from the template that holds the definition.
    pub placeholders: BTreeMap<String, String>,
    /// Functions the template that holds the definition declares.
    pub declared_functions: BTreeSet<String>,
    /// The state machine type the template that holds the definition declares.
    pub declared_type: Option<crate::manifest::WorkflowType>,
    /// Every function needs schemas (`--strict`; `"strict": true` in orderflow.json also).
    pub strict: bool,
    /// Warning and note codes not to report (`--allow`; orderflow.json `allow` adds to them).
    pub allow: BTreeSet<Code>,
}

impl WorkflowSources {
    /// An empty folder description, to be filled from memory (tests, the proc-macro).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "workflow".into());
        WorkflowSources {
            dir,
            name,
            asl: None,
            manifest: None,
            schemas: BTreeMap::new(),
            referenced: BTreeMap::new(),
            refused: BTreeMap::new(),
            read_errors: Vec::new(),
            other_definitions: Vec::new(),
            definition: None,
            declared_at: None,
            placeholders: BTreeMap::new(),
            declared_functions: BTreeSet::new(),
            declared_type: None,
            strict: false,
            allow: BTreeSet::new(),
        }
    }

    /// A lone definition file (`order.asl.json`, `order.asl.yaml`): no schemas, no manifest.
    /// Named after the file, without its `.asl.json`/`.json` extension.
    pub fn definition_file(path: &Path, text: impl Into<String>) -> Self {
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let stem = DEFINITION_SUFFIXES
            .iter()
            .chain(&[".json", ".yaml", ".yml"])
            .find_map(|ext| file_name.strip_suffix(ext))
            .unwrap_or(&file_name)
            .to_string();
        let mut sources = WorkflowSources::new(path.parent().unwrap_or_else(|| Path::new(".")));
        sources.name = stem;
        sources.asl = Some(SourceFile::new(path, text));
        sources
    }

    /// A definition a template declares ([`crate::template`]).
    #[cfg(feature = "yaml")]
    pub fn embedded(machine: crate::template::EmbeddedMachine) -> Self {
        let mut sources = WorkflowSources::new(
            machine
                .file
                .path()
                .parent()
                .unwrap_or_else(|| Path::new(".")),
        );
        sources.name = machine.name;
        sources.asl = Some(machine.file);
        sources.definition = machine.definition;
        sources.declared_at = Some(machine.declared_at);
        sources.placeholders = machine.placeholders;
        sources.declared_functions = machine.functions;
        sources.declared_type = machine.workflow_type;
        sources.read_errors = machine.diagnostics;
        sources
    }

    /// Adds a file by its path relative to the folder (`workflow.asl.json`, `schemas/x.json`).
    pub fn insert(&mut self, relative: &str, text: impl Into<String>) {
        let file = SourceFile::new(self.dir.join(relative), text);
        if relative == ASL_FILE {
            self.asl = Some(file);
        } else if is_other_definition(relative) {
            self.add_other_definition(relative);
        } else if relative == MANIFEST_FILE {
            self.manifest = Some(file);
        } else if let Some(stem) = relative
            .strip_prefix("schemas/")
            .and_then(|r| r.strip_suffix(".json"))
        {
            self.schemas.insert(stem.to_string(), file);
        }
    }

    /// Reads a workflow folder. Only an unreadable folder is an `Err`; unreadable files become
    /// diagnostics.
    pub fn read_dir(dir: &Path) -> std::io::Result<Self> {
        let mut sources = WorkflowSources::new(dir);
        if !dir.is_dir() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{} is not a directory", dir.display()),
            ));
        }
        for name in [ASL_FILE, MANIFEST_FILE] {
            let path = dir.join(name);
            if path.exists() {
                sources.read_file(&path, name);
            }
        }
        // Only named, not read: they explain a missing workflow.asl.json.
        for entry in std::fs::read_dir(dir)?.flatten() {
            if let Some(name) = entry.file_name().to_str() {
                if is_other_definition(name) && entry.path().is_file() {
                    sources.add_other_definition(name);
                }
            }
        }
        sources.read_schemas(dir, false)?;
        sources.read_referenced();
        Ok(sources)
    }

    /// Reads `dir/schemas/*.json` (only `<function>.input.json`/`.output.json` files when
    /// `only_pairs`: a repository's `schemas/` folder beside a template holds other schemas).
    fn read_schemas(&mut self, dir: &Path, only_pairs: bool) -> std::io::Result<()> {
        let schema_dir = dir.join("schemas");
        if schema_dir.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(&schema_dir)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .filter(|p| {
                    !only_pairs
                        || p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                            n.ends_with(".input.json") || n.ends_with(".output.json")
                        })
                })
                .collect();
            entries.sort();
            for path in entries {
                if let Some(file_name) = path.file_name().and_then(|n| n.to_str()) {
                    let relative = format!("schemas/{file_name}");
                    self.read_file(&path, &relative);
                }
            }
        }
        Ok(())
    }

    /// Adds the schemas and `orderflow.json` kept in the folder of a definition file or
    /// template (`dir`), so a definition that is no workflow folder gains types one function at
    /// a time: `schemas/<function>.input.json` and `.output.json`, `schemas/execution.input.json`.
    ///
    /// # Errors
    ///
    /// The schemas folder exists but cannot be listed.
    pub fn read_beside(&mut self, dir: &Path) -> std::io::Result<()> {
        let manifest = dir.join(MANIFEST_FILE);
        if manifest.is_file() {
            self.read_file(&manifest, MANIFEST_FILE);
        }
        self.dir = dir.to_path_buf();
        self.read_schemas(dir, true)?;
        self.read_referenced();
        Ok(())
    }

    /// Reads the files schemas `$ref` by relative path, and the files those refer to, within
    /// the repository: the nearest folder above the workflow holding `.git`, or the workflow
    /// folder itself. A file outside it (through `..` or a symbolic link) is refused, never
    /// read; a missing one is left for the schema check to report at the reference.
    fn read_referenced(&mut self) {
        let Ok(dir) = self.dir.canonicalize() else {
            return;
        };
        let root = dir
            .ancestors()
            .find(|a| a.join(".git").exists())
            .unwrap_or(&dir)
            .to_path_buf();
        let known: BTreeSet<PathBuf> = self
            .schemas
            .values()
            .map(|f| lexical_path(f.path()))
            .collect();
        let mut queue: Vec<Arc<SourceFile>> = self.schemas.values().cloned().collect();
        while let Some(file) = queue.pop() {
            let parent = file.path().parent().unwrap_or(Path::new("")).to_path_buf();
            for part in crate::schema::referenced_files(file.text()) {
                let path = lexical_path(&parent.join(part));
                if known.contains(&path)
                    || self.referenced.contains_key(&path)
                    || self.refused.contains_key(&path)
                {
                    continue;
                }
                let Ok(real) = path.canonicalize() else {
                    continue;
                };
                if !real.starts_with(&root) {
                    self.refused.insert(
                        path,
                        format!(
                            "it is outside the repository ({}); references never leave it",
                            root.display()
                        ),
                    );
                    continue;
                }
                match read_limited(&path) {
                    Ok(text) => {
                        let read = SourceFile::new(&path, text);
                        self.referenced.insert(path, Arc::clone(&read));
                        queue.push(read);
                    }
                    Err(e) => self.read_errors.push(Diagnostic::new(
                        Code::MissingFile,
                        format!("cannot read {}: {e}", path.display()),
                    )),
                }
            }
        }
    }

    fn add_other_definition(&mut self, name: &str) {
        if let Err(at) = self
            .other_definitions
            .binary_search_by(|n| n.as_str().cmp(name))
        {
            self.other_definitions.insert(at, name.to_owned());
        }
    }

    fn read_file(&mut self, path: &Path, relative: &str) {
        match read_limited(path) {
            Ok(text) => self.insert(relative, text),
            Err(e) => self.read_errors.push(Diagnostic::new(
                Code::MissingFile,
                format!("cannot read {}: {e}", path.display()),
            )),
        }
    }

    /// Every file, for `rerun-if-changed` and the like.
    pub fn files(&self) -> impl Iterator<Item = &Arc<SourceFile>> {
        self.asl
            .iter()
            .chain(self.manifest.iter())
            .chain(self.schemas.values())
            .chain(self.referenced.values())
    }
}

/// A state machine definition at the top of the folder under another name than
/// [`ASL_FILE`] (`*.asl.json`, `*.asl.yaml`, `*.asl.yml`).
fn is_other_definition(relative: &str) -> bool {
    relative != ASL_FILE && !relative.contains('/') && is_definition_name(relative)
}

/// A Lambda function of the workflow.
#[derive(Debug, Clone)]
pub struct Function {
    /// The function's name, as in its schema file names and the definition.
    pub name: String,
    /// `schemas/<name>.input.json`: the event the function accepts.
    pub input: SchemaDocument,
    /// `schemas/<name>.output.json`: what the function returns.
    pub output: SchemaDocument,
    /// Error names the manifest declares.
    pub declared_errors: Vec<String>,
    /// The function's entry in `orderflow.json` (defaults when it has none).
    pub settings: FunctionManifest,
    /// Task states that invoke it.
    pub invoked_by: Vec<StateId>,
    /// Task states whose task token it completes (a queue-triggered worker).
    pub completes_tokens_of: Vec<StateId>,
}

/// The checked model of one workflow folder.
#[derive(Debug, Clone)]
pub struct Workflow {
    /// The workflow's name: its folder's name.
    pub name: String,
    /// The folder as the user named it.
    pub dir: PathBuf,
    /// The parsed and validated state machine.
    pub machine: StateMachine,
    /// The parsed `orderflow.json` (all defaults when the folder has none or it is invalid).
    pub manifest: Manifest,
    /// `orderflow.json` as read, when the folder has one.
    pub manifest_file: Option<Arc<SourceFile>>,
    /// `orderflow.json`'s JSON tree (when it is JSON), parsed once with the manifest, to locate
    /// pointers into it.
    pub manifest_json: Option<Json>,
    /// `schemas/execution.input.json`: the input an execution starts with; `None` when the
    /// workflow has none (it is then untyped).
    pub execution_input: Option<SchemaDocument>,
    /// Functions the definition invokes that have no schemas: checked as untyped.
    pub untyped_functions: BTreeSet<String>,
    /// The workflow's functions, by name.
    pub functions: BTreeMap<String, Function>,
    /// Standard or Express: orderflow.json's `type`, else what the template declares.
    pub workflow_type: crate::manifest::WorkflowType,
    /// The warning and note codes not reported for this workflow: `--allow` and orderflow.json's
    /// `allow`. Whatever else reports on the workflow (`check --against`) leaves them out too.
    pub allowed: BTreeSet<crate::diagnostic::Code>,
}

impl Workflow {
    /// Where `pointer` is in `orderflow.json`; `None` when the folder has no manifest.
    pub fn manifest_location(&self, pointer: &str) -> Option<Location> {
        let file = self.manifest_file.as_ref()?;
        Some(manifest_location(
            file,
            self.manifest_json.as_ref(),
            pointer,
        ))
    }

    /// The name of `function`'s Lambda binary (`store-checkout-check-inventory`): the crate's
    /// `[[bin]]`, the templates' `Binary` and zip folder, the function `cargo lambda watch`
    /// serves. The workflow's name leads, so that two workflows' functions of the same name
    /// (both examples have a `checkInventory`) build side by side in one target directory.
    pub fn binary_name(&self, function: &str) -> String {
        binary_name(&self.name, function)
    }

    /// What the parser needed to resolve Task resources (functions, manifest placeholders), for
    /// loading the definition again on its own ([`load_state_machine`](crate::load_state_machine)).
    pub fn function_catalog(&self) -> FunctionCatalog {
        function_catalog(self.functions.keys().cloned().collect(), &self.manifest)
    }

    /// The worker completing the task token of a `.waitForTaskToken` SQS state.
    pub fn worker_of(&self, state: StateId) -> Option<&Function> {
        self.functions
            .values()
            .find(|f| f.completes_tokens_of.contains(&state))
    }
}

pub(crate) fn function_catalog(
    functions: BTreeSet<String>,
    manifest: &Manifest,
) -> FunctionCatalog {
    FunctionCatalog {
        functions,
        placeholders: manifest.placeholders.clone(),
        resource_placeholders: manifest
            .queues
            .values()
            .filter_map(|q| q.placeholder.clone())
            .chain(
                manifest
                    .topics
                    .values()
                    .filter_map(|t| t.placeholder.clone()),
            )
            .collect(),
        functions_unknown: false,
    }
}

/// [`Workflow::binary_name`] from the workflow's and the function's names.
pub fn binary_name(workflow: &str, function: &str) -> String {
    use heck::ToKebabCase as _;
    format!("{}-{}", workflow.to_kebab_case(), function.to_kebab_case())
}

/// The place of `pointer` in the manifest `file` whose tree is `json` (the whole file when the
/// pointer names nothing there, or the file is not JSON).
pub(crate) fn manifest_location(
    file: &Arc<SourceFile>,
    json: Option<&Json>,
    pointer: &str,
) -> Location {
    let span = json
        .and_then(|j| j.pointer(pointer))
        .map(|v| v.span)
        .unwrap_or_default();
    Location::new(file, pointer, span)
}
