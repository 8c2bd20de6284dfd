//! The pipeline that turns a workflow folder into the checked model: parse → validate → resolve
//! schemas → check the data flow, collecting every diagnostic on the way.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::asl::model::{Resource, StateId, StateKind, StateMachine};
use crate::asl::parse::{FunctionCatalog, parse_state_machine};
use crate::asl::validate::validate;
use crate::diagnostic::{Code, Diagnostic, Location, normalize};
use crate::json::{self, Json, Span};
use crate::manifest::Manifest;
use crate::schema::{SchemaDocument, SchemaSet};
use crate::source::SourceFile;
use crate::suggest;
use crate::workflow::{
    ASL_FILE, EXECUTION_INPUT, Function, Workflow, WorkflowSources, function_catalog,
    manifest_location,
};

/// The result of analysing a folder: the model (when it could be built) and all diagnostics.
#[derive(Debug)]
pub struct Analysis {
    /// The checked model; `None` when the definition is missing or not JSON, or when
    /// `schemas/execution.input.json` is missing or invalid.
    pub workflow: Option<Workflow>,
    /// Every diagnostic found, sorted, duplicates removed.
    pub diagnostics: Vec<Diagnostic>,
}

impl Analysis {
    /// Whether any diagnostic is an error (warnings alone leave the workflow usable).
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Runs every check on a workflow folder.
pub fn analyze(sources: &WorkflowSources) -> Analysis {
    let mut diagnostics = sources.read_errors.clone();
    let workflow = build(sources, &mut diagnostics);
    normalize(&mut diagnostics);
    Analysis {
        workflow,
        diagnostics,
    }
}

/// A state machine definition on its own — no manifest, no schemas — parsed and validated for
/// running (the local executor, generated glue): the same parse and validation as [`analyze`].
///
/// `catalog` says which functions `${Placeholder}`s and ARNs name, as the workflow folder's
/// manifest and schemas would.
///
/// # Errors
///
/// Every error diagnostic (invalid JSON, an invalid definition); warnings are dropped.
pub fn load_state_machine(
    file: &str,
    text: &str,
    catalog: &FunctionCatalog,
) -> Result<StateMachine, DefinitionErrors> {
    let file = SourceFile::new(file, text);
    let mut diagnostics = Vec::new();
    let machine = parse_json(&file, &mut diagnostics).map(|json| {
        let mut machine = parse_state_machine(&file, &json, catalog, &mut diagnostics);
        validate(&mut machine, &mut diagnostics);
        machine
    });
    normalize(&mut diagnostics);
    diagnostics.retain(Diagnostic::is_error);
    match machine {
        Some(machine) if diagnostics.is_empty() => Ok(machine),
        _ => Err(DefinitionErrors(diagnostics)),
    }
}

/// The errors that make a definition unusable, one per line as `file:line:col: error[…]: …`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", render_lines(.0))]
pub struct DefinitionErrors(pub Vec<Diagnostic>);

/// Each diagnostic in the short format, one per line.
fn render_lines(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(crate::diagnostic::render_short)
        .collect::<Vec<_>>()
        .join("\n")
}

fn parse_json(file: &Arc<SourceFile>, diagnostics: &mut Vec<Diagnostic>) -> Option<Json> {
    match json::parse(file.text()) {
        Ok(json) => Some(json),
        Err(e) => {
            diagnostics.push(Diagnostic::json_syntax(file, e));
            None
        }
    }
}

fn build(sources: &WorkflowSources, diagnostics: &mut Vec<Diagnostic>) -> Option<Workflow> {
    let Some(asl_file) = &sources.asl else {
        diagnostics.push(missing_definition(sources));
        return None;
    };
    // A template's definition that could not be read: its diagnostics say why.
    if sources.declared_at.is_some() && sources.definition.is_none() {
        return None;
    }
    // orderflow.json is parsed once: the tree stays in the model to locate pointers in it.
    let manifest_json = sources
        .manifest
        .as_ref()
        .and_then(|file| parse_json(file, diagnostics));
    let manifest = match (&sources.manifest, &manifest_json) {
        (Some(file), Some(json)) => load_manifest(file, json, diagnostics),
        _ => None,
    }
    .unwrap_or_default();
    let strict = sources.strict || manifest.strict;

    // Schemas, paired by function.
    let mut documents: BTreeMap<String, SchemaDocument> = BTreeMap::new();
    let mut schema_set = SchemaSet::new(
        sources
            .schemas
            .values()
            .chain(sources.referenced.values())
            .cloned(),
        sources.refused.clone(),
    );
    let is_pair = |stem: &str| stem.ends_with(".input") || stem.ends_with(".output");
    for (stem, file) in &sources.schemas {
        if is_pair(stem) {
            if let Some(doc) = schema_set.load(file, diagnostics) {
                documents.insert(stem.clone(), doc);
            }
        }
    }
    // Other files in `schemas/` are shared definitions when a schema refers to them.
    for (stem, file) in &sources.schemas {
        if !(is_pair(stem) || schema_set.is_referenced(file.path())) {
            diagnostics.push(
                Diagnostic::new(
                    Code::SchemaOrphan,
                    format!(
                        "{} is not named <function>.input.json or <function>.output.json, \
                         and no schema refers to it",
                        file.path().display()
                    ),
                )
                .at(Location::new(file, "", Span::default()))
                .help(
                    "rename it after the function it describes, or `$ref` its definitions from \
                     the schemas that share them (\"common.json#/$defs/…\")",
                ),
            );
        }
    }
    let mut function_names: BTreeSet<String> = sources
        .schemas
        .keys()
        .filter_map(|s| {
            s.strip_suffix(".input")
                .or_else(|| s.strip_suffix(".output"))
        })
        .filter(|n| *n != EXECUTION_INPUT)
        .map(str::to_string)
        .collect();
    function_names.extend(manifest.functions.keys().cloned());

    let mut catalog = function_catalog(function_names.clone(), &manifest);
    // A template ties placeholders to its functions; the manifest's mapping wins.
    for (placeholder, function) in &sources.placeholders {
        catalog
            .placeholders
            .entry(placeholder.clone())
            .or_insert_with(|| function.clone());
    }
    catalog
        .functions
        .extend(sources.declared_functions.iter().cloned());
    // Gradual typing: a function without schemas is untyped, not unknown.
    catalog.functions_unknown = !strict;
    let asl_json = match &sources.definition {
        Some(json) => json.clone(),
        None => match crate::document::parse(asl_file) {
            Ok(json) => json,
            Err(d) => {
                diagnostics.push(*d);
                return None;
            }
        },
    };
    let mut machine = parse_state_machine(asl_file, &asl_json, &catalog, diagnostics);
    validate(&mut machine, diagnostics);

    let mut functions = BTreeMap::new();
    for name in &function_names {
        let input = take_schema(
            sources,
            &machine,
            &mut documents,
            &format!("{name}.input"),
            strict,
            diagnostics,
        );
        let output = take_schema(
            sources,
            &machine,
            &mut documents,
            &format!("{name}.output"),
            strict,
            diagnostics,
        );
        let settings = manifest.functions.get(name).cloned().unwrap_or_default();
        match (input, output) {
            (Some(input), Some(output)) => {
                functions.insert(
                    name.clone(),
                    Function {
                        name: name.clone(),
                        input,
                        output,
                        declared_errors: settings.errors.clone(),
                        settings,
                        invoked_by: Vec::new(),
                        completes_tokens_of: Vec::new(),
                    },
                );
            }
            (Some(half), None) | (None, Some(half)) if !strict => {
                let missing = if half.file.path().to_string_lossy().ends_with(".input.json") {
                    "output"
                } else {
                    "input"
                };
                diagnostics.push(
                    Diagnostic::new(
                        Code::HalfSchemaPair,
                        format!(
                            "function `{name}` has no {missing} schema, so it is checked as untyped"
                        ),
                    )
                    .at(Location::new(&half.file, "", Span::default()))
                    .help(format!(
                        "add {}",
                        sources
                            .dir
                            .join("schemas")
                            .join(format!("{name}.{missing}.json"))
                            .display()
                    )),
                );
            }
            _ => {}
        }
    }
    let execution_input = take_schema(
        sources,
        &machine,
        &mut documents,
        "execution.input",
        strict,
        diagnostics,
    );

    link_functions(
        &machine,
        &manifest,
        &mut functions,
        sources,
        manifest_json.as_ref(),
        diagnostics,
    );

    // With --strict a missing execution input is E0002 and there is no model to check.
    if strict && execution_input.is_none() {
        return None;
    }
    let untyped_functions: BTreeSet<String> = machine
        .states
        .iter()
        .filter_map(|state| match &state.kind {
            StateKind::Task(t) => match &t.resource.value {
                Resource::Lambda { function, .. } if !functions.contains_key(function) => {
                    Some(function.clone())
                }
                _ => None,
            },
            _ => None,
        })
        .collect();
    if !strict && (!untyped_functions.is_empty() || execution_input.is_none()) {
        diagnostics.push(untyped_note(
            sources,
            asl_file,
            &untyped_functions,
            execution_input.is_none(),
        ));
    }

    // The data-flow check needs a sound graph and every schema; with structural errors its
    // findings would be noise.
    let structural_errors = diagnostics.iter().any(Diagnostic::is_error);
    let workflow_type = manifest
        .workflow_type
        .or(sources.declared_type)
        .unwrap_or_default();
    let mut workflow = Workflow {
        name: sources.name.clone(),
        dir: sources.dir.clone(),
        machine,
        manifest,
        manifest_file: sources.manifest.clone(),
        manifest_json,
        execution_input,
        untyped_functions,
        functions,
        workflow_type,
        allowed: BTreeSet::new(),
    };
    if !structural_errors {
        crate::flow::check(&workflow, diagnostics);
    }
    if workflow.workflow_type == crate::manifest::WorkflowType::Express {
        check_express_integrations(&workflow.machine, diagnostics);
    }
    workflow.allowed = allow(sources, &workflow, diagnostics);
    Some(workflow)
}

/// N0206: one note per workflow naming what is checked as untyped.
fn untyped_note(
    sources: &WorkflowSources,
    asl_file: &Arc<SourceFile>,
    functions: &BTreeSet<String>,
    execution_input: bool,
) -> Diagnostic {
    let mut untyped: Vec<String> = functions.iter().map(|f| format!("`{f}`")).collect();
    if execution_input {
        untyped.push("the execution input".into());
    }
    let listed = match untyped.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    };
    let message = format!("no schemas, so checked as untyped: {listed}");
    let location = sources
        .declared_at
        .clone()
        .unwrap_or_else(|| Location::new(asl_file, "", Span::default()));
    let schemas = sources.dir.join("schemas");
    let example = functions.iter().next().map_or_else(
        || schemas.join("execution.input.json").display().to_string(),
        |f| {
            format!(
                "{} and .output.json",
                schemas.join(format!("{f}.input.json")).display()
            )
        },
    );
    Diagnostic::new(Code::UntypedFunctions, message)
        .at(location)
        .note("the data flow is checked only where schemas say what a function takes and returns")
        .help(format!(
            "add schemas one function at a time (e.g. {example}); `--strict` requires them all"
        ))
}

/// Drops the warnings and notes `--allow` and orderflow.json `allow` name; an unknown or error
/// code there is reported.
/// E0121: Express state machines run request-response integrations only: no `.sync` and no
/// `.waitForTaskToken` (AWS refuses such a definition when the machine is created).
fn check_express_integrations(machine: &StateMachine, diagnostics: &mut Vec<Diagnostic>) {
    use crate::asl::model::LambdaInvocation;
    for state in &machine.states {
        let StateKind::Task(task) = &state.kind else {
            continue;
        };
        let pattern = match &task.resource.value {
            Resource::Lambda {
                invocation: LambdaInvocation::InvokeWaitForTaskToken,
                ..
            }
            | Resource::SqsSendMessage {
                wait_for_task_token: true,
                ..
            } => Some(".waitForTaskToken"),
            Resource::Opaque(arn) if arn.ends_with(".waitForTaskToken") => {
                Some(".waitForTaskToken")
            }
            Resource::Opaque(arn) if arn.ends_with(".sync") || arn.contains(".sync:") => {
                Some(".sync")
            }
            _ => None,
        };
        let Some(pattern) = pattern else {
            continue;
        };
        diagnostics.push(
            Diagnostic::new(
                Code::ExpressIntegration,
                format!(
                    "state \"{}\" waits for its task ({pattern}), which an Express state machine cannot do",
                    state.name.value
                ),
            )
            .at(machine.location(&format!("{}/Resource", state.pointer), task.resource.span))
            .label("a Standard-only integration pattern")
            .help("call the service request-response (drop the suffix), or make the state machine Standard (`\"type\": \"standard\"` in orderflow.json, or the template's type)"),
        );
    }
}

/// Applies the allowed codes (and reports `allow` entries that name no warning or note); returns
/// them.
fn allow(
    sources: &WorkflowSources,
    workflow: &Workflow,
    diagnostics: &mut Vec<Diagnostic>,
) -> BTreeSet<Code> {
    let mut allowed = sources.allow.clone();
    for (index, text) in workflow.manifest.allow.iter().enumerate() {
        let location = workflow.manifest_location(&format!("/allow/{index}"));
        match Code::ALL.iter().find(|c| c.as_str() == text) {
            Some(code) if !code.is_error_code() => {
                allowed.insert(*code);
            }
            found => {
                let message = match found {
                    Some(_) => {
                        format!("`{text}` is an error; only warnings and notes can be allowed")
                    }
                    None => format!("`{text}` is no orderflow diagnostic code"),
                };
                let mut d = Diagnostic::new(Code::ManifestInvalid, message);
                if let Some(location) = location {
                    d = d.at(location);
                }
                diagnostics.push(d);
            }
        }
    }
    diagnostics.retain(|d| d.is_error() || !allowed.contains(&d.code));
    // `breaking.accept` names the codes of `check --against`'s rules only.
    let accepted = workflow.manifest.breaking.accept.iter();
    for (index, entry) in accepted.enumerate() {
        if crate::breaking::CODES
            .iter()
            .any(|c| c.as_str() == entry.code)
        {
            continue;
        }
        let codes: Vec<&str> = crate::breaking::CODES.iter().map(|c| c.as_str()).collect();
        let mut d = Diagnostic::new(
            Code::ManifestInvalid,
            format!(
                "`{}` is no breaking-change code; `breaking.accept` takes {}",
                entry.code,
                codes.join(", ")
            ),
        );
        if let Some(location) =
            workflow.manifest_location(&format!("/breaking/accept/{index}/code"))
        {
            d = d.at(location);
        }
        diagnostics.push(d);
    }
    allowed
}

/// E0002 for a folder without [`ASL_FILE`], naming the definitions it holds instead.
fn missing_definition(sources: &WorkflowSources) -> Diagnostic {
    let dir = sources.dir.display();
    let layout = "a workflow folder holds workflow.asl.json, schemas/execution.input.json and one schemas/<function>.input.json + .output.json pair per Lambda function";
    let others = &sources.other_definitions;
    if others.is_empty() {
        return Diagnostic::new(Code::MissingFile, format!("{dir} has no {ASL_FILE}")).help(layout);
    }
    let listed = others
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let d = Diagnostic::new(
        Code::MissingFile,
        format!("{dir} has no {ASL_FILE}, but holds {listed}"),
    )
    .note(format!(
        "orderflow reads a workflow's definition only from {ASL_FILE} in its folder (one workflow per folder)"
    ));
    let json: Vec<&String> = others.iter().filter(|n| n.ends_with(".json")).collect();
    let help = match json.as_slice() {
        [one] => {
            let from = sources.dir.join(one);
            let to = sources.dir.join(ASL_FILE);
            format!(
                "rename it: `mv {} {}`; if other tools need the old name, link it instead: `ln -s {one} {}`",
                from.display(),
                to.display(),
                to.display()
            )
        }
        [] => format!(
            "orderflow reads JSON: convert the definition to JSON and save it as {}",
            sources.dir.join(ASL_FILE).display()
        ),
        _ => format!(
            "rename the one this folder is about to {ASL_FILE}, and move each other workflow into a folder of its own"
        ),
    };
    d.help(help)
}

const EXECUTION_INPUT_STEM: &str = "execution.input";

fn take_schema(
    sources: &WorkflowSources,
    machine: &StateMachine,
    documents: &mut BTreeMap<String, SchemaDocument>,
    stem: &str,
    strict: bool,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<SchemaDocument> {
    if let Some(doc) = documents.remove(stem) {
        return Some(doc);
    }
    if strict && !sources.schemas.contains_key(stem) {
        let path = sources.dir.join("schemas").join(format!("{stem}.json"));
        let mut d = Diagnostic::new(Code::MissingFile, format!("{} is missing", path.display()));
        // Point at the first state that invokes the function, if one does.
        let function = stem
            .strip_suffix(".input")
            .or_else(|| stem.strip_suffix(".output"));
        let invoking = machine.states.iter().find_map(|state| match &state.kind {
            StateKind::Task(t) => match &t.resource.value {
                Resource::Lambda { function: f, .. } if Some(f.as_str()) == function => Some(t),
                _ => None,
            },
            _ => None,
        });
        if let Some(task) = invoking {
            d = d
                .at(task.resource.location(&machine.file))
                .label(format!("{} is invoked here", function.unwrap_or(stem)));
        }
        let help = if stem == EXECUTION_INPUT_STEM {
            format!(
                "every workflow needs schemas/execution.input.json, the schema of what StartExecution receives; create {}",
                path.display()
            )
        } else {
            format!(
                "every function needs schemas/<function>.input.json and .output.json; create {}",
                path.display()
            )
        };
        diagnostics.push(d.help(help));
    }
    None
}

/// Records which states invoke each function and which worker completes which task token, and
/// reports schemas that belong to nothing.
fn link_functions(
    machine: &StateMachine,
    manifest: &Manifest,
    functions: &mut BTreeMap<String, Function>,
    sources: &WorkflowSources,
    manifest_json: Option<&Json>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    for (index, state) in machine.states.iter().enumerate() {
        let StateKind::Task(task) = &state.kind else {
            continue;
        };
        match &task.resource.value {
            Resource::Lambda { function, .. } => {
                if let Some(f) = functions.get_mut(function) {
                    f.invoked_by.push(StateId(index));
                }
            }
            Resource::SqsSendMessage {
                wait_for_task_token: true,
            } => {
                let queue_url = state
                    .io
                    .task_arguments()
                    .and_then(|a| a.get("QueueUrl"))
                    .and_then(Json::as_str);
                for f in functions.values_mut() {
                    let Some(trigger) = f
                        .settings
                        .trigger
                        .as_ref()
                        .filter(|t| t.completes_task_token)
                    else {
                        continue;
                    };
                    let placeholder = manifest
                        .queues
                        .get(&trigger.queue)
                        .and_then(|q| q.placeholder.as_deref());
                    let matches = match (queue_url, placeholder) {
                        (Some(url), Some(p)) => {
                            url == format!("${{{p}}}") || url.contains(&trigger.queue)
                        }
                        (Some(url), None) => url.contains(&trigger.queue),
                        (None, _) => false,
                    };
                    if matches {
                        f.completes_tokens_of.push(StateId(index));
                    }
                }
            }
            _ => {}
        }
    }
    // Tasks naming a function that orderflow could not tie to one of the folder (reported as
    // E0116): a function that looks unused may be the one such a Task means.
    let unresolved = unresolved_function_references(machine, manifest, functions);
    for f in functions.values() {
        let triggered = f.settings.trigger.is_some();
        // A state too broken to model may be the one that invokes it: already reported.
        let broken_states = machine.scopes.iter().any(|s| !s.broken.is_empty());
        if f.invoked_by.is_empty()
            && !triggered
            && !manifest.functions.contains_key(&f.name)
            && !broken_states
        {
            let d = Diagnostic::new(
                Code::SchemaOrphan,
                format!("function `{}` has schemas but no state invokes it and orderflow.json does not declare it", f.name),
            )
            .at(Location::new(&f.input.file, "", Span::default()));
            // The unresolved reference most like the function's name, if any.
            let candidate = unresolved
                .iter()
                .min_by_key(|r| suggest::distance(&r.stem.to_lowercase(), &f.name.to_lowercase()));
            let d = match candidate {
                Some(r) => {
                    let mapping = match crate::asl::parse::placeholder_name(&r.written) {
                        Some(p) => format!(
                            "if it is `{}`, map the placeholder in orderflow.json: `\"placeholders\": {{ \"{p}\": \"{}\" }}` (or name it `${{{}FunctionArn}}`)",
                            f.name,
                            f.name,
                            heck::ToUpperCamelCase::to_upper_camel_case(f.name.as_str())
                        ),
                        None => format!("if it is `{}`, name the function `{}` there", f.name, f.name),
                    };
                    d.related(
                        r.location.clone(),
                        format!("state \"{}\" invokes `{}`, which is no function of this folder", r.state, r.written),
                    )
                    .note("a Task invokes a function orderflow could not tie to one of this folder (E0116), so it may be this one")
                    .help(format!("{mapping}; keep the schemas"))
                }
                None => d.help(match suggest::did_you_mean(&f.name, functions.keys().map(String::as_str)) {
                    Some(h) => format!("a Task may name it differently: {h}"),
                    None => "no Task references it: remove the schemas, or declare the function in orderflow.json (e.g. with a `trigger`)".into(),
                }),
            };
            diagnostics.push(d);
        }
    }
    // Manifest entries need their queue to exist.
    if let Some(file) = &sources.manifest {
        for (name, f) in &manifest.functions {
            if let Some(trigger) = &f.trigger {
                if !manifest.queues.contains_key(&trigger.queue) {
                    diagnostics.push(
                        Diagnostic::new(
                            Code::ManifestInvalid,
                            format!("function `{name}` is triggered by queue `{}`, which `queues` does not declare", trigger.queue),
                        )
                        .at(manifest_location(file, manifest_json, &format!("/functions/{name}/trigger/queue"))),
                    );
                }
            }
        }
        check_tables(manifest, file, manifest_json, diagnostics);
        for (placeholder, function) in &manifest.placeholders {
            if !functions.contains_key(function) {
                diagnostics.push(
                    Diagnostic::new(
                        Code::ManifestInvalid,
                        format!("placeholder `{placeholder}` maps to `{function}`, which is not a function of this folder"),
                    )
                    .at(manifest_location(file, manifest_json, &format!("/placeholders/{placeholder}"))),
                );
            }
        }
    }
}

/// The tables of the manifest and the functions' `uses`: every table used is declared, every
/// declared one is used, and capacities go with provisioned billing only.
fn check_tables(
    manifest: &Manifest,
    file: &Arc<SourceFile>,
    manifest_json: Option<&Json>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    // The key's span: a name is what these findings are about.
    let key_location = |parent: &str, key: &str| {
        let pointer = crate::json::push_pointer(parent, key);
        match manifest_json
            .and_then(|j| j.pointer(parent))
            .and_then(|p| p.member(key))
        {
            Some(member) => Location::new(file, &pointer, member.key_span),
            None => manifest_location(file, manifest_json, &pointer),
        }
    };
    for (name, function) in &manifest.functions {
        for resource in function.uses.keys() {
            if manifest.tables.contains_key(resource) {
                continue;
            }
            let mut d = Diagnostic::new(
                Code::ManifestInvalid,
                format!("function `{name}` uses `{resource}`, which `tables` does not declare"),
            )
            .at(key_location(&format!("/functions/{name}/uses"), resource))
            .label("no table of this name");
            d = match suggest::did_you_mean(resource, manifest.tables.keys().map(String::as_str)) {
                Some(h) => d.help(h),
                None => d.help(format!(
                    "declare it: `\"tables\": {{ \"{resource}\": {{ \"partitionKey\": {{ \"name\": \"id\" }} }} }}`"
                )),
            };
            diagnostics.push(d);
        }
    }
    for (name, table) in &manifest.tables {
        if !manifest
            .functions
            .values()
            .any(|f| f.uses.contains_key(name))
        {
            diagnostics.push(
                Diagnostic::new(
                    Code::UnusedTable,
                    format!("table `{name}` is used by no function"),
                )
                .at(key_location("/tables", name))
                .label("declared here")
                .note("the templates would create a table no function may read or write")
                .help(format!(
                    "add `\"uses\": {{ \"{name}\": \"read\" }}` (or \"write\") to the functions that use it, or remove it"
                )),
            );
        }
        let provisioned = table.billing_mode == crate::manifest::BillingMode::Provisioned;
        let capacities = [
            ("readCapacity", table.read_capacity),
            ("writeCapacity", table.write_capacity),
        ];
        for (field, capacity) in capacities {
            let message = match (provisioned, capacity) {
                (true, None) => format!("table `{name}` is PROVISIONED but gives no `{field}`"),
                (false, Some(_)) => {
                    format!("table `{name}` gives `{field}`, which only a PROVISIONED table has")
                }
                _ => continue,
            };
            let at = if capacity.is_some() {
                key_location(&format!("/tables/{name}"), field)
            } else {
                key_location("/tables", name)
            };
            diagnostics.push(
                Diagnostic::new(Code::ManifestInvalid, message).at(at).note(
                    "on-demand tables (PAY_PER_REQUEST, the default) scale without capacities",
                ),
            );
        }
    }
}

/// A Task's reference to a Lambda function that is no function of the folder.
struct UnresolvedReference {
    state: String,
    /// As written: `${CheckPriceFnArn}`, `checkPrice`, an ARN.
    written: String,
    /// The function name it spells (`checkPrice`), to compare with the folder's functions.
    stem: String,
    location: Location,
}

/// Task states whose `Resource` or `FunctionName` names a function the folder does not have:
/// an unresolved `${…}` placeholder, or a name or ARN of an unknown function.
fn unresolved_function_references(
    machine: &StateMachine,
    manifest: &Manifest,
    functions: &BTreeMap<String, Function>,
) -> Vec<UnresolvedReference> {
    let mut out = Vec::new();
    for state in &machine.states {
        let StateKind::Task(task) = &state.kind else {
            continue;
        };
        let location = task.resource.location(&machine.file);
        let (written, stem, location) = match &task.resource.value {
            Resource::Opaque(text) => match crate::asl::parse::placeholder_name(text) {
                // Queue and topic placeholders are not Lambda Resources; the parser reports
                // every other unresolved one.
                Some(p)
                    if !function_catalog(BTreeSet::new(), manifest)
                        .resource_placeholders
                        .contains(p) =>
                {
                    (text.clone(), FunctionCatalog::placeholder_stem(p), location)
                }
                _ => continue,
            },
            Resource::Lambda { function, .. } if !functions.contains_key(function) => {
                // A `lambda:invoke` names its function in `FunctionName`.
                let key = if state.io.parameters.is_some() {
                    "Parameters"
                } else {
                    "Arguments"
                };
                match state
                    .io
                    .task_arguments()
                    .and_then(|a| a.get("FunctionName"))
                    .and_then(|n| Some((n, n.as_str()?)))
                {
                    Some((json, text)) => (
                        text.to_string(),
                        function.clone(),
                        Location::new(
                            &machine.file,
                            format!("{}/{key}/FunctionName", state.pointer),
                            json.span,
                        ),
                    ),
                    None => (function.clone(), function.clone(), location),
                }
            }
            _ => continue,
        };
        out.push(UnresolvedReference {
            state: state.name.value.clone(),
            written,
            stem,
            location,
        });
    }
    out
}

/// Validates the manifest against its JSON Schema (for positions), then deserializes it.
fn load_manifest(
    file: &Arc<SourceFile>,
    json: &Json,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Manifest> {
    let value = json.to_value();
    let schema = serde_json::to_value(schemars::schema_for!(Manifest)).ok()?;
    let validator = jsonschema::validator_for(&schema).ok()?;
    let mut valid = true;
    for error in validator.iter_errors(&value) {
        valid = false;
        diagnostics.extend(crate::manifest::describe_error(file, json, &schema, &error));
    }
    if !valid {
        return None;
    }
    match serde_json::from_value(value) {
        Ok(m) => Some(m),
        Err(e) => {
            diagnostics.push(
                Diagnostic::new(Code::ManifestInvalid, format!("orderflow.json: {e}"))
                    .at(Location::new(file, "", json.span)),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn missing_definition_of(dir: &Path) -> Diagnostic {
        let sources = WorkflowSources::read_dir(dir).expect("readable folder");
        let analysis = analyze(&sources);
        analysis
            .diagnostics
            .into_iter()
            .find(|d| d.code == Code::MissingFile)
            .expect("E0002 for the missing definition")
    }

    /// orderflow.json is parsed once; its tree stays on the workflow, where W0308 and the
    /// manifest checks locate their pointers.
    #[test]
    fn the_manifest_tree_is_kept_to_locate_pointers() {
        let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus/_base/minimal");
        let mut sources = WorkflowSources::new("wf");
        for file in [
            "workflow.asl.json",
            "schemas/execution.input.json",
            "schemas/lookupBook.input.json",
            "schemas/lookupBook.output.json",
        ] {
            let text = std::fs::read_to_string(base.join(file)).expect("readable base");
            sources.insert(file, text);
        }
        let manifest =
            "{\n  \"functions\": {\"lookupBook\": {\"errors\": [\"BookNotFound\"]}}\n}\n";
        sources.insert("orderflow.json", manifest);
        let analysis = analyze(&sources);
        let Some(workflow) = &analysis.workflow else {
            panic!("{:?}", analysis.diagnostics);
        };
        assert!(workflow.manifest_json.is_some());
        let location = workflow
            .manifest_location("/functions/lookupBook/errors/0")
            .expect("the folder has a manifest");
        assert_eq!(
            &manifest[location.span.start as usize..location.span.end as usize],
            "\"BookNotFound\""
        );
        // W0308 points there.
        let uncaught = analysis
            .diagnostics
            .iter()
            .find(|d| d.code == Code::UncaughtDeclaredError)
            .and_then(|d| d.location.as_ref())
            .map(|l| l.span);
        assert_eq!(uncaught, Some(location.span));
    }

    /// A definition loaded on its own (`orderflow-codegen run FILE.asl.json`) names functions
    /// no folder describes: with [`FunctionCatalog::unknown`] that is no error (E0116), while
    /// every other problem still is.
    #[test]
    fn a_definition_without_its_folder_names_any_function() {
        let text = r#"{"StartAt": "Price", "States": {"Price": {"Type": "Task", "End": true,
            "Resource": "arn:aws:lambda:us-east-1:123456789012:function:checkPrice"}}}"#;
        let known = load_state_machine("workflow.asl.json", text, &FunctionCatalog::default());
        let codes: Vec<Code> = known
            .err()
            .map(|e| e.0)
            .unwrap_or_default()
            .iter()
            .map(|d| d.code)
            .collect();
        assert_eq!(codes, [Code::UnknownFunction]);
        assert!(load_state_machine("workflow.asl.json", text, &FunctionCatalog::unknown()).is_ok());

        let broken = text.replace(r#""End": true"#, r#""Next": "Nowhere""#);
        let errors = load_state_machine("workflow.asl.json", &broken, &FunctionCatalog::unknown())
            .err()
            .map(|e| e.0)
            .unwrap_or_default();
        assert!(
            errors.iter().any(|d| d.code == Code::DanglingTransition),
            "{errors:?}"
        );
        let not_json = load_state_machine("lone.asl.json", "{", &FunctionCatalog::unknown())
            .err()
            .map(|e| e.0)
            .unwrap_or_default();
        assert_eq!(not_json.len(), 1);
        assert_eq!(not_json[0].code, Code::JsonSyntax);
    }

    /// Two functions: `priceBook` typed (its input requires `currency`, which nothing passes),
    /// `lookupBook` without schemas, and no execution input schema.
    #[test]
    fn accepted_breaking_changes_name_breaking_codes_only() {
        let mut sources = gradual_folder();
        sources.insert(
            "orderflow.json",
            r#"{"breaking": {"accept": [
                {"code": "E0505", "state": "Lookup", "reason": "never deployed"},
                {"code": "E0301", "reason": "not a breaking-change code"}]}}"#,
        );
        let analysis = analyze(&sources);
        let manifest_errors: Vec<(String, String)> = analysis
            .diagnostics
            .iter()
            .filter(|d| d.code == Code::ManifestInvalid)
            .map(|d| {
                let pointer = d.location.as_ref().map(|l| l.pointer.clone());
                (d.message.clone(), pointer.unwrap_or_default())
            })
            .collect();
        assert_eq!(manifest_errors.len(), 1, "{manifest_errors:?}");
        assert!(
            manifest_errors[0]
                .0
                .starts_with("`E0301` is no breaking-change code"),
            "{manifest_errors:?}"
        );
        assert_eq!(manifest_errors[0].1, "/breaking/accept/1/code");
    }

    #[test]
    fn table_capacities_go_with_provisioned_billing_only() {
        let mut sources = gradual_folder();
        sources.insert(
            "orderflow.json",
            r#"{"functions": {"lookupBook": {"uses": {"books": "read", "prices": "write"}}},
                "tables": {
                  "books": {"partitionKey": {"name": "isbn"}, "billingMode": "PROVISIONED", "readCapacity": 5},
                  "prices": {"partitionKey": {"name": "isbn"}, "writeCapacity": 2}}}"#,
        );
        let analysis = analyze(&sources);
        let found: Vec<(Code, String, String)> = analysis
            .diagnostics
            .iter()
            .filter(|d| matches!(d.code, Code::ManifestInvalid | Code::UnusedTable))
            .map(|d| {
                let pointer = d.location.as_ref().map(|l| l.pointer.clone());
                (d.code, d.message.clone(), pointer.unwrap_or_default())
            })
            .collect();
        assert_eq!(
            found,
            [
                (
                    Code::ManifestInvalid,
                    "table `books` is PROVISIONED but gives no `writeCapacity`".to_owned(),
                    "/tables/books".to_owned()
                ),
                (
                    Code::ManifestInvalid,
                    "table `prices` gives `writeCapacity`, which only a PROVISIONED table has"
                        .to_owned(),
                    "/tables/prices/writeCapacity".to_owned()
                ),
            ]
        );
    }

    fn gradual_folder() -> WorkflowSources {
        let mut sources = WorkflowSources::new("shop");
        sources.insert(
            "workflow.asl.json",
            r#"{"StartAt": "Lookup", "States": {
                "Lookup": {"Type": "Task", "Resource": "${LookupBookFunctionArn}", "ResultPath": "$.book", "Next": "Price"},
                "Price": {"Type": "Task", "Resource": "${PriceBookFunctionArn}",
                          "Parameters": {"title.$": "$.book.title"}, "Next": "Pick"},
                "Pick": {"Type": "Choice", "Choices": [{"Variable": "$.total", "NumericGreaterThan": 0, "Next": "Done"}]},
                "Done": {"Type": "Succeed"}}}"#,
        );
        sources.insert(
            "schemas/priceBook.input.json",
            r#"{"type": "object", "properties": {"title": {"type": "string"}, "currency": {"type": "string"}},
                "required": ["title", "currency"]}"#,
        );
        sources.insert(
            "schemas/priceBook.output.json",
            r#"{"type": "object", "properties": {"total": {"type": "number"}}, "required": ["total"]}"#,
        );
        sources
    }

    fn codes_of(analysis: &Analysis) -> Vec<&'static str> {
        analysis
            .diagnostics
            .iter()
            .map(|d| d.code.as_str())
            .collect()
    }

    /// Gradual typing: the typed function is checked wherever the types reach, the untyped one
    /// and the missing execution input raise nothing but one note naming them.
    #[test]
    fn typed_functions_are_checked_and_untyped_ones_only_noted() {
        let analysis = analyze(&gradual_folder());
        let mut codes = codes_of(&analysis);
        codes.sort_unstable();
        assert_eq!(
            codes,
            ["E0301", "N0206", "W0118"],
            "{:?}",
            analysis.diagnostics
        );
        let note = analysis
            .diagnostics
            .iter()
            .find(|d| d.code == Code::UntypedFunctions)
            .map(|d| d.message.clone())
            .unwrap_or_default();
        assert!(
            note.ends_with("`lookupBook` and the execution input"),
            "{note}"
        );
        let workflow = analysis.workflow.expect("a model");
        assert!(workflow.execution_input.is_none());
        assert_eq!(
            workflow.untyped_functions.iter().collect::<Vec<_>>(),
            ["lookupBook"]
        );
    }

    /// `strict` (orderflow.json or `--strict`) makes every missing schema an error: the
    /// execution input's (E0002) and the untyped function's (E0116, which names its files).
    #[test]
    fn strict_requires_every_schema() {
        let mut flagged = gradual_folder();
        flagged.strict = true;
        let mut in_manifest = gradual_folder();
        in_manifest.insert("orderflow.json", r#"{"strict": true}"#);
        for sources in [flagged, in_manifest] {
            let analysis = analyze(&sources);
            let mut codes = codes_of(&analysis);
            codes.sort_unstable();
            assert_eq!(codes, ["E0002", "E0116"], "{:?}", analysis.diagnostics);
            assert!(
                analysis.workflow.is_none(),
                "no model without the execution input"
            );
        }
    }

    /// `allow` in orderflow.json and `--allow` silence warnings and notes; an error code or an
    /// unknown one there is itself reported.
    #[test]
    fn allowed_codes_are_not_reported() {
        let mut sources = gradual_folder();
        sources.insert("orderflow.json", r#"{"allow": ["W0118", "N0206"]}"#);
        assert_eq!(codes_of(&analyze(&sources)), ["E0301"]);

        let mut sources = gradual_folder();
        sources.allow.insert(Code::ChoiceWithoutDefault);
        let mut codes = codes_of(&analyze(&sources));
        codes.sort_unstable();
        assert_eq!(codes, ["E0301", "N0206"]);

        let mut sources = gradual_folder();
        sources.insert("orderflow.json", r#"{"allow": ["E0301", "W9999"]}"#);
        let analysis = analyze(&sources);
        let manifest_errors: Vec<&str> = analysis
            .diagnostics
            .iter()
            .filter(|d| d.code == Code::ManifestInvalid)
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(
            manifest_errors,
            [
                "`E0301` is an error; only warnings and notes can be allowed",
                "`W9999` is no orderflow diagnostic code"
            ]
        );
        assert!(codes_of(&analysis).contains(&"E0301"), "errors stay");
    }

    #[test]
    fn a_folder_without_workflow_asl_json_names_the_definitions_it_holds() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("checkout.asl.json"), "{}").expect("write");
        std::fs::write(dir.path().join("README.md"), "").expect("write");
        let d = missing_definition_of(dir.path());
        assert!(
            d.message
                .ends_with("has no workflow.asl.json, but holds `checkout.asl.json`"),
            "{}",
            d.message
        );
        let help = d.help.unwrap_or_default();
        assert!(
            help.starts_with("rename it: `mv ") && help.contains("checkout.asl.json "),
            "{help}"
        );

        // A YAML definition must be converted; several are listed in name order.
        std::fs::remove_file(dir.path().join("checkout.asl.json")).expect("remove");
        std::fs::write(dir.path().join("refund.asl.yaml"), "").expect("write");
        std::fs::write(dir.path().join("checkout.asl.yml"), "").expect("write");
        let d = missing_definition_of(dir.path());
        assert!(
            d.message
                .ends_with("but holds `checkout.asl.yml`, `refund.asl.yaml`"),
            "{}",
            d.message
        );
        assert!(
            d.help
                .unwrap_or_default()
                .starts_with("orderflow reads JSON"),
            "a YAML definition is converted, not renamed"
        );
    }

    #[test]
    fn a_folder_with_no_definition_at_all_explains_the_layout() {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = missing_definition_of(dir.path());
        assert!(
            d.message.ends_with("has no workflow.asl.json"),
            "{}",
            d.message
        );
        assert!(
            d.help
                .unwrap_or_default()
                .starts_with("a workflow folder holds"),
            "the layout is explained"
        );
    }
}
