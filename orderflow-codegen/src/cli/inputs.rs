//! What `check`, `graph` and `run` accept: workflow folders, lone ASL files (JSON or YAML), SAM
//! and CloudFormation templates, serverless.yml, CDK output, and any folder holding them.
//!
//! This module does the file I/O; recognising a document and reading the definitions in it is
//! the model's ([`orderflow_model::template`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use orderflow_model::diagnostic::Code;
use orderflow_model::source::{SourceFile, lexical_path};
use orderflow_model::template::{self, DocumentKind};
use orderflow_model::workflow::{
    ASL_FILE, MANIFEST_FILE, WorkflowSources, is_definition_name, read_limited,
};
use orderflow_model::yaml::Booleans;

/// One state machine to check, and how it was found.
#[derive(Debug)]
pub struct Input {
    /// The definition with whatever schemas and manifest go with it.
    pub sources: WorkflowSources,
    /// What it is, for the list `check` prints: `definitions/order-status (workflow folder)`.
    pub found: String,
}

/// How every input is checked.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Every function needs schemas.
    pub strict: bool,
    /// Warning and note codes not to report.
    pub allow: BTreeSet<Code>,
}

/// Folders a search never enters: build output, dependencies, VCS data.
const SKIPPED_DIRS: [&str; 3] = ["target", "node_modules", ".git"];

/// Every state machine `paths` hold. A path that does not exist, or a file that is none of the
/// accepted kinds, is a usage error.
pub fn find(paths: &[PathBuf], options: &Options) -> Result<Vec<Input>, String> {
    let mut finder = Finder::default();
    for path in paths {
        if path.is_dir() {
            if is_workflow_folder(path) {
                finder.folder(path)?;
            } else {
                finder.walk(path)?;
            }
        } else if path.is_file() {
            if !finder.file(path, true)? {
                return Err(format!(
                    "{} is neither a state machine definition, a SAM or CloudFormation template, a serverless.yml, nor a CDK manifest",
                    path.display()
                ));
            }
        } else {
            return Err(format!("{} does not exist", path.display()));
        }
    }
    let mut inputs = finder.finish();
    for input in &mut inputs {
        input.sources.strict |= options.strict;
        input.sources.allow.extend(options.allow.iter().copied());
    }
    Ok(inputs)
}

/// A folder in orderflow's layout: `workflow.asl.json` or `orderflow.json` (a `schemas/`
/// folder alone is not enough: repositories keep other schemas).
fn is_workflow_folder(dir: &Path) -> bool {
    dir.join(ASL_FILE).is_file() || dir.join(MANIFEST_FILE).is_file()
}

#[derive(Default)]
struct Finder {
    inputs: Vec<Input>,
    /// Lone definition files, held back until every template is read: a file a template names
    /// (`DefinitionUri`) is checked with its template, not twice.
    lone: BTreeMap<PathBuf, Input>,
    /// Files templates read.
    read_by_templates: BTreeSet<PathBuf>,
    seen: BTreeSet<PathBuf>,
}

impl Finder {
    fn finish(mut self) -> Vec<Input> {
        for (path, input) in std::mem::take(&mut self.lone) {
            if !self.read_by_templates.contains(&lexical_path(&path)) {
                self.inputs.push(input);
            }
        }
        self.inputs
    }

    fn folder(&mut self, dir: &Path) -> Result<(), String> {
        let sources = WorkflowSources::read_dir(dir)
            .map_err(|e| format!("cannot read workflow folder {}: {e}", dir.display()))?;
        self.inputs.push(Input {
            sources,
            found: format!("{} (workflow folder)", dir.display()),
        });
        Ok(())
    }

    /// Searches `dir` for workflow folders and for files holding state machines.
    fn walk(&mut self, dir: &Path) -> Result<(), String> {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            // `check .` names `template.yaml`, not `./template.yaml`.
            .map(|p| p.strip_prefix(".").map(Path::to_path_buf).unwrap_or(p))
            .collect();
        entries.sort();
        for path in entries {
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if path.is_dir() {
                // CDK's asset folders hold bundled code, not templates.
                if SKIPPED_DIRS.contains(&name) || name.starts_with("asset.") {
                    continue;
                }
                if is_workflow_folder(&path) {
                    self.folder(&path)?;
                } else {
                    self.walk(&path)?;
                }
            } else if is_candidate(name) {
                self.file(&path, false)?;
            }
        }
        Ok(())
    }

    /// Reads one file; `false` when it holds no state machine. `given` files are named by the
    /// user: a CDK manifest then stands for its templates, and one that does not parse is
    /// reported; files met in a search that do not parse are skipped as not ours.
    fn file(&mut self, path: &Path, given: bool) -> Result<bool, String> {
        if !self.seen.insert(lexical_path(path)) {
            return Ok(true);
        }
        let text = read(path)?;
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        // Cheap test before parsing: files that cannot hold a state machine are left alone.
        if !given
            && !["States", "stepFunctions", "StateMachine"]
                .iter()
                .any(|k| text.contains(k))
        {
            return Ok(false);
        }
        let file = SourceFile::new(path, text);
        let json = match orderflow_model::document::parse(&file) {
            Ok(json) => json,
            // Not ours, unless it declares a state machine: then its syntax error is reported,
            // not skipped in silence.
            Err(_)
                if !given && !is_definition_name(name) && !declares_state_machine(file.text()) =>
            {
                return Ok(false);
            }
            // Reported by the check, at the place it stops.
            Err(_) => {
                self.lone.insert(
                    path.to_path_buf(),
                    Input {
                        sources: WorkflowSources::definition_file(path, file.text()),
                        found: format!("{} (not valid JSON or YAML)", path.display()),
                    },
                );
                return Ok(true);
            }
        };
        let kind = match template::kind_of(&json) {
            // A file named as a definition is checked as one, whatever it lacks.
            DocumentKind::Other if is_definition_name(name) => DocumentKind::StateMachine,
            kind => kind,
        };
        match kind {
            DocumentKind::StateMachine => {
                let mut sources = WorkflowSources::definition_file(path, file.text());
                sources.definition = Some(json);
                beside(&mut sources, path)?;
                self.lone.insert(
                    path.to_path_buf(),
                    Input {
                        sources,
                        found: format!("{} (state machine definition)", path.display()),
                    },
                );
            }
            DocumentKind::Template => {
                // CloudFormation reads YAML templates as YAML 1.1: `End: yes` is `true` there.
                let json = match orderflow_model::document::Format::of(path) {
                    orderflow_model::document::Format::Yaml => {
                        orderflow_model::yaml::parse_with(file.text(), Booleans::Yaml11)
                            .unwrap_or(json)
                    }
                    orderflow_model::document::Format::Json => json,
                };
                let mut read_files = Vec::new();
                let machines = template::machines_in_template(&file, &json, &mut |p: &Path| {
                    read_files.push(lexical_path(p));
                    read_text(p).map(|t| SourceFile::new(p, t))
                });
                self.read_by_templates.extend(read_files);
                let what = if json
                    .get("Transform")
                    .is_some_and(|t| t.to_value().to_string().contains("AWS::Serverless"))
                {
                    "SAM template"
                } else {
                    "CloudFormation template"
                };
                self.embedded(path, machines, what)?;
            }
            DocumentKind::Serverless => {
                let mut read_files = Vec::new();
                let machines = template::machines_in_serverless(&file, &json, &mut |p: &Path| {
                    read_files.push(lexical_path(p));
                    read_text(p).map(|t| SourceFile::new(p, t))
                });
                self.read_by_templates.extend(read_files);
                self.embedded(path, machines, "serverless.yml")?;
            }
            DocumentKind::CdkManifest(templates) if given => {
                let dir = path.parent().unwrap_or_else(|| Path::new("."));
                for t in templates {
                    self.file(&dir.join(t), true)?;
                }
            }
            DocumentKind::CdkManifest(_) | DocumentKind::Other => return Ok(false),
        }
        Ok(true)
    }

    fn embedded(
        &mut self,
        path: &Path,
        machines: Vec<template::EmbeddedMachine>,
        what: &str,
    ) -> Result<(), String> {
        for m in machines {
            let found = format!("{}: {} ({what})", path.display(), m.name);
            let mut sources = WorkflowSources::embedded(m);
            // A `DefinitionUri` into a workflow folder (as the generated templates have) is
            // typed by that folder's schemas; otherwise by those beside the template.
            let definition = sources.asl.as_ref().map(|f| f.path().to_path_buf());
            match definition {
                Some(file)
                    if file != path
                        && file
                            .parent()
                            .is_some_and(|d| d.join(MANIFEST_FILE).is_file()) =>
                {
                    beside(&mut sources, &file)?;
                }
                _ => beside(&mut sources, path)?,
            }
            self.inputs.push(Input { sources, found });
        }
        Ok(())
    }
}

/// The schemas and orderflow.json kept beside the file that holds a definition.
fn beside(sources: &mut WorkflowSources, file: &Path) -> Result<(), String> {
    let dir = file.parent().unwrap_or_else(|| Path::new(""));
    sources
        .read_beside(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.join("schemas").display()))
}

/// Files a search reads: JSON and YAML.
fn is_candidate(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".json", ".yaml", ".yml"]
        .iter()
        .any(|e| lower.ends_with(e))
        && !matches!(
            lower.as_str(),
            "package.json" | "package-lock.json" | "tsconfig.json" | "cdk.json" | "tree.json"
        )
}

/// Text that only a file holding a state machine has (to report a template that does not parse
/// instead of skipping it).
fn declares_state_machine(text: &str) -> bool {
    [
        "AWS::Serverless::StateMachine",
        "AWS::StepFunctions::StateMachine",
        "stateMachines",
        "\"StartAt\"",
        "StartAt:",
    ]
    .iter()
    .any(|marker| text.contains(marker))
}

/// A file's text ([`read_limited`]); the error names the file.
fn read(path: &Path) -> Result<String, String> {
    read_text(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// A file's text ([`read_limited`]); the error says why only (the caller names the file).
fn read_text(path: &Path) -> Result<String, String> {
    read_limited(path).map_err(|e| e.to_string())
}
