//! `orderflow-codegen init`: reads the definition, the histories and the samples, and writes
//! the folder [`crate::init`] plans, all at once or not at all.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::Value;

use super::{EXIT_USAGE, clean_workflow, one_workflow_sources};
use crate::init::{FunctionSamples, InitSource, RecordedExecution, init_folder};
use orderflow_exec::parse_aws_history;
use orderflow_model::analyze;
use orderflow_model::workflow::read_limited;

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// The definition: an ASL file (JSON or YAML), a SAM or CloudFormation template,
    /// serverless.yml, CDK output, or a workflow folder (anything `check` reads).
    pub source: PathBuf,
    /// The workflow's name (default: the state machine's).
    #[arg(long)]
    pub name: Option<String>,
    /// The folder to create (default: ./NAME). It must not exist.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Recorded executions: `aws stepfunctions get-execution-history` output (or `run
    /// --history-format aws`), one execution per file, in either order, whole or paginated.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub history: Vec<PathBuf>,
    /// Sample payloads: DIR/<function>/*.input.json and *.output.json (JSON, or JSON Lines
    /// with a .jsonl extension).
    #[arg(long, value_name = "DIR")]
    pub samples: Option<PathBuf>,
    /// The state machine to use when SOURCE holds several.
    #[arg(long, value_name = "NAME")]
    pub state_machine: Option<String>,
}

fn usage(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(EXIT_USAGE)
}

pub fn init(args: &InitArgs) -> ExitCode {
    let sources = match one_workflow_sources(&args.source, args.state_machine.as_deref()) {
        Ok(sources) => sources,
        Err(message) => return usage(message),
    };
    let name = args.name.clone().unwrap_or_else(|| sources.name.clone());
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from(&name));
    if out.exists() {
        eprintln!(
            "error: {} exists; init never writes into an existing folder: pass --out with a new one",
            out.display()
        );
        return ExitCode::from(1);
    }
    let analysis = analyze(&sources);
    let Some(workflow) = clean_workflow(&analysis) else {
        eprintln!("error: the definition has errors; init writes nothing");
        return ExitCode::from(1);
    };
    let definition = match definition_value(&sources) {
        Ok(value) => value,
        Err(message) => return usage(message),
    };
    let mut histories: Vec<RecordedExecution> = Vec::new();
    for path in &args.history {
        match read_history(path) {
            Ok(mut history) => {
                // Two files of one name (from two folders) become two test cases.
                let stem = history.name.clone();
                let mut n = 1;
                while histories.iter().any(|h| h.name == history.name) {
                    n += 1;
                    history.name = format!("{stem}-{n}");
                }
                histories.push(history);
            }
            Err(message) => return usage(message),
        }
    }
    let samples = match &args.samples {
        Some(dir) => match read_samples(dir) {
            Ok(samples) => samples,
            Err(message) => return usage(message),
        },
        None => BTreeMap::new(),
    };
    let folder = init_folder(&InitSource {
        name: &name,
        definition: &definition,
        workflow,
        placeholders: &sources.placeholders,
        histories: &histories,
        samples: &samples,
    });
    if let Err(message) = write_all(&out, &folder.files) {
        return usage(message);
    }
    let functions = folder
        .files
        .iter()
        .filter(|(p, _)| p.ends_with(".input.json") && !p.ends_with("execution.input.json"))
        .count();
    println!(
        "created {}: {functions} function{}, schemas from {} recorded execution{}",
        out.display(),
        if functions == 1 { "" } else { "s" },
        histories.len(),
        if histories.len() == 1 { "" } else { "s" }
    );
    println!("next: orderflow-codegen check {}", out.display());
    if let Some(first) = histories.first() {
        println!(
            "      orderflow-codegen run {0} --input {0}/examples/{1}.json --mocks {0}/recorded.mocks.json --test-case {1}",
            out.display(),
            first.name
        );
    }
    ExitCode::SUCCESS
}

/// The definition as JSON, as the user wrote it (a template's `${…}` placeholders kept).
pub fn definition_value(
    sources: &orderflow_model::workflow::WorkflowSources,
) -> Result<Value, String> {
    if let Some(json) = &sources.definition {
        return Ok(json.to_value());
    }
    let file = sources
        .asl
        .as_ref()
        .ok_or_else(|| format!("{} holds no definition", sources.dir.display()))?;
    orderflow_model::document::parse(file)
        .map(|json| json.to_value())
        .map_err(|d| format!("{}: {}", file.path().display(), d.message))
}

fn read_history(path: &Path) -> Result<RecordedExecution, String> {
    let text = read_limited(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let label = path.display().to_string();
    let events = parse_aws_history([(label.as_str(), text.as_str())]).map_err(|e| e.to_string())?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "execution".into());
    let name = [".history.json", ".json"]
        .iter()
        .find_map(|ext| file_name.strip_suffix(ext))
        .unwrap_or(&file_name)
        .to_owned();
    Ok(RecordedExecution { name, events })
}

/// DIR/<function>/*.input.json and *.output.json (or .jsonl, one value per line).
fn read_samples(dir: &Path) -> Result<BTreeMap<String, FunctionSamples>, String> {
    let mut samples: BTreeMap<String, FunctionSamples> = BTreeMap::new();
    let listing =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut folders: Vec<PathBuf> = listing
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    for folder in folders {
        let Some(function) = folder.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            continue;
        };
        let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
            .map_err(|e| format!("cannot read {}: {e}", folder.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        files.sort();
        let entry = samples.entry(function).or_default();
        for file in files {
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let target = if name.ends_with(".input.json") || name.ends_with(".input.jsonl") {
                &mut entry.inputs
            } else if name.ends_with(".output.json") || name.ends_with(".output.jsonl") {
                &mut entry.outputs
            } else {
                continue;
            };
            let text =
                read_limited(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            if name.ends_with(".jsonl") {
                for (n, line) in text
                    .lines()
                    .enumerate()
                    .filter(|(_, l)| !l.trim().is_empty())
                {
                    let value = serde_json::from_str(line)
                        .map_err(|e| format!("{}:{}: not JSON: {e}", file.display(), n + 1))?;
                    target.push(value);
                }
            } else {
                let value = serde_json::from_str(&text).map_err(|e| {
                    format!(
                        "{}:{}:{}: not JSON: {e}",
                        file.display(),
                        e.line(),
                        e.column()
                    )
                })?;
                target.push(value);
            }
        }
    }
    Ok(samples)
}

/// Writes every file into a new folder beside `out`, then renames it to `out`: the folder
/// appears whole or not at all.
fn write_all(out: &Path, files: &[(String, String)]) -> Result<(), String> {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    let leaf = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "workflow".into());
    let staged = parent.join(format!(".{leaf}.orderflow-init-{}", std::process::id()));
    std::fs::create_dir(&staged).map_err(|e| format!("cannot create {}: {e}", staged.display()))?;
    let written = files.iter().try_for_each(|(relative, contents)| {
        let path = staged.join(relative);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        std::fs::write(&path, contents).map_err(|e| format!("cannot write {}: {e}", path.display()))
    });
    let result = written.and_then(|()| {
        std::fs::rename(&staged, out).map_err(|e| format!("cannot create {}: {e}", out.display()))
    });
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staged);
    }
    result
}
