//! State machine definitions inside deployment templates: AWS SAM and CloudFormation (JSON or
//! YAML, CDK's synthesized output included) and the Serverless Framework's `serverless.yml`
//! (the serverless-step-functions plugin).
//!
//! Each definition comes out as the same [`Json`] tree a `.asl.json` file gives, with spans into
//! the file the user wrote. Values CloudFormation fills in at deploy time (`!GetAtt Fn.Arn`,
//! `${CheckInventoryArn}` with its `DefinitionSubstitutions`, `${self:custom.x}`) become `${…}`
//! placeholders, and a placeholder that names a function of the template is tied to it.
//! Reading another file (`DefinitionUri`) is left to the caller's `read`.

mod text;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use heck::ToLowerCamelCase;

use crate::diagnostic::{Code, Diagnostic, Location};
use crate::json::{Json, JsonKind, push_pointer};
use crate::source::SourceFile;
use text::{MappedText, neutralize_bare_placeholders};

/// What a JSON or YAML document is, as far as finding state machines goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentKind {
    /// An ASL definition (`StartAt` and `States` at the top).
    StateMachine,
    /// A SAM or CloudFormation template (CDK's `*.template.json` too) with `Resources`.
    Template,
    /// A Serverless Framework configuration with `stepFunctions`.
    Serverless,
    /// A CDK cloud assembly's `manifest.json`: the templates it lists, relative to its folder.
    CdkManifest(Vec<PathBuf>),
    /// Anything else.
    Other,
}

/// Tells what `json` is by its top-level keys (`States` alone is enough for a definition, so
/// one missing `StartAt` is still checked as one).
pub fn kind_of(json: &Json) -> DocumentKind {
    if json.get("States").is_some() && json.get("Resources").is_none() {
        return DocumentKind::StateMachine;
    }
    if json.get("stepFunctions").is_some() && json.get("service").is_some()
        || json
            .get("stepFunctions")
            .and_then(|s| s.get("stateMachines"))
            .is_some()
    {
        return DocumentKind::Serverless;
    }
    if let Some(resources) = json.get("Resources").and_then(Json::as_object) {
        let has_machine = resources.iter().any(|r| {
            r.value
                .get("Type")
                .and_then(Json::as_str)
                .is_some_and(|t| STATE_MACHINE_TYPES.contains(&t))
        });
        if has_machine || json.get("AWSTemplateFormatVersion").is_some() {
            return DocumentKind::Template;
        }
    }
    if let (Some(artifacts), Some(_)) = (
        json.get("artifacts").and_then(Json::as_object),
        json.get("version"),
    ) {
        let templates = artifacts
            .iter()
            .filter(|a| {
                a.value.get("type").and_then(Json::as_str) == Some("aws:cloudformation:stack")
            })
            .filter_map(|a| {
                a.value
                    .get("properties")
                    .and_then(|p| p.get("templateFile"))
                    .and_then(Json::as_str)
                    .map(PathBuf::from)
            })
            .collect();
        return DocumentKind::CdkManifest(templates);
    }
    DocumentKind::Other
}

const SAM_STATE_MACHINE: &str = "AWS::Serverless::StateMachine";
const CFN_STATE_MACHINE: &str = "AWS::StepFunctions::StateMachine";
const STATE_MACHINE_TYPES: [&str; 2] = [SAM_STATE_MACHINE, CFN_STATE_MACHINE];
const FUNCTION_TYPES: [&str; 2] = ["AWS::Serverless::Function", "AWS::Lambda::Function"];
const FUNCTION_QUALIFIER_TYPES: [&str; 2] = ["AWS::Lambda::Alias", "AWS::Lambda::Version"];

/// One state machine a template declares.
#[derive(Debug)]
pub struct EmbeddedMachine {
    /// Its name: the resource's logical id, or the serverless.yml key.
    pub name: String,
    /// Where the template declares it (the logical id or key).
    pub declared_at: Location,
    /// The file the definition's spans point into: the template, or the `DefinitionUri` file.
    pub file: Arc<SourceFile>,
    /// The definition; `None` when it cannot be read (`diagnostics` say why).
    pub definition: Option<Json>,
    /// `${Placeholder}` → the function of the template it stands for.
    pub placeholders: BTreeMap<String, String>,
    /// The functions the template declares, by the names orderflow gives them.
    pub functions: BTreeSet<String>,
    /// The state machine type it declares (SAM's `Type`, CloudFormation's `StateMachineType`,
    /// serverless.yml's `type`), if it declares one.
    pub workflow_type: Option<crate::manifest::WorkflowType>,
    /// Why the definition could not be read, or what could not be checked.
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads another file the template names (`DefinitionUri`), by its path relative to the current
/// folder; the error is the message to report.
pub type ReadFile<'a> = dyn FnMut(&Path) -> Result<Arc<SourceFile>, String> + 'a;

/// The function name orderflow gives a template's Lambda resource: its logical id without CDK's
/// hash and the usual suffixes, in lowerCamelCase (`CheckInventoryFunction` →
/// `checkInventory`, CDK's `CheckInventoryFn3A4B5C6D` → `checkInventory`).
pub fn function_name(logical_id: &str) -> String {
    let id = strip_cdk_hash(logical_id);
    crate::asl::parse::FunctionCatalog::placeholder_stem(id)
}

/// CDK appends 8 upper-case hex digits of a hash to every logical id.
fn strip_cdk_hash(id: &str) -> &str {
    let Some(split) = id.len().checked_sub(8) else {
        return id;
    };
    match (id.get(..split), id.get(split..)) {
        (Some(stem), Some(hash))
            if !stem.is_empty()
                && hash
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
                && hash.bytes().any(|b| b.is_ascii_digit()) =>
        {
            stem
        }
        _ => id,
    }
}

/// Every state machine of a SAM or CloudFormation template.
pub fn machines_in_template(
    file: &Arc<SourceFile>,
    json: &Json,
    read: &mut ReadFile<'_>,
) -> Vec<EmbeddedMachine> {
    let Some(resources) = json.get("Resources").and_then(Json::as_object) else {
        return Vec::new();
    };
    let type_of = |r: &crate::json::Member| {
        r.value
            .get("Type")
            .and_then(Json::as_str)
            .map(str::to_string)
    };
    let mut lambdas: BTreeMap<String, String> = resources
        .iter()
        .filter(|r| type_of(r).is_some_and(|t| FUNCTION_TYPES.contains(&t.as_str())))
        .map(|r| (r.key.clone(), function_name(&r.key)))
        .collect();
    let functions: BTreeSet<String> = lambdas.values().cloned().collect();
    // A Lambda alias or version (CDK's `currentVersion`, `addAlias`) stands for its function.
    for r in resources {
        if type_of(r).is_some_and(|t| FUNCTION_QUALIFIER_TYPES.contains(&t.as_str())) {
            let target = r
                .value
                .get("Properties")
                .and_then(|p| p.get("FunctionName"))
                .and_then(|f| f.get("Ref"))
                .and_then(Json::as_str)
                .and_then(|id| lambdas.get(id))
                .cloned();
            if let Some(function) = target {
                lambdas.insert(r.key.clone(), function);
            }
        }
    }
    let mut out = Vec::new();
    for resource in resources {
        let Some(kind) = resource.value.get("Type").and_then(Json::as_str) else {
            continue;
        };
        if !STATE_MACHINE_TYPES.contains(&kind) {
            continue;
        }
        let pointer = push_pointer(&push_pointer("/Resources", &resource.key), "Properties");
        let mut machine = EmbeddedMachine {
            name: resource.key.clone(),
            declared_at: Location::new(
                file,
                push_pointer("/Resources", &resource.key),
                resource.key_span,
            ),
            file: Arc::clone(file),
            definition: None,
            placeholders: BTreeMap::new(),
            functions: functions.clone(),
            workflow_type: None,
            diagnostics: Vec::new(),
        };
        let properties = resource.value.get("Properties");
        let type_key = if kind == SAM_STATE_MACHINE {
            "Type"
        } else {
            "StateMachineType"
        };
        machine.workflow_type = properties
            .and_then(|p| p.get(type_key))
            .and_then(Json::as_str)
            .and_then(crate::manifest::WorkflowType::from_template);
        let mut context = Context {
            lambdas: &lambdas,
            serverless_functions: None,
            serverless_root: None,
            values: BTreeMap::new(),
            placeholders: BTreeMap::new(),
            known: BTreeSet::new(),
        };
        if let Some(subs) = properties
            .and_then(|p| p.get("DefinitionSubstitutions"))
            .and_then(Json::as_object)
        {
            for m in subs {
                context.substitution(&m.key, &m.value);
            }
        }
        let get = |key: &str| properties.and_then(|p| p.member(key));
        // Where only `DefinitionSubstitutions` fill in `${…}` (not `Fn::Sub`), others stay.
        let mut literal = true;
        if let Some(d) = get("Definition") {
            machine.definition = Some(context.inline(&d.value));
        } else if let Some(d) = get("DefinitionString") {
            let at = push_pointer(&pointer, "DefinitionString");
            literal = d.value.as_str().is_some();
            machine.definition = context.textual(file, &d.value, &at, &mut machine.diagnostics);
        } else if let Some(d) = get("DefinitionUri").filter(|_| kind == SAM_STATE_MACHINE) {
            let at = Location::new(file, push_pointer(&pointer, "DefinitionUri"), d.value.span);
            match d.value.as_str().filter(|u| !u.starts_with("s3://")) {
                Some(uri) => {
                    let path = beside(file, uri);
                    match read(&path) {
                        Ok(asl) => {
                            machine.definition = context.file(&asl, &at, &mut machine.diagnostics);
                            machine.file = asl;
                        }
                        Err(e) => machine.diagnostics.push(
                            Diagnostic::new(
                                Code::TemplateDefinition,
                                format!("cannot read `DefinitionUri` {}: {e}", path.display()),
                            )
                            .at(at)
                            .label("the definition file named here"),
                        ),
                    }
                }
                None => machine.diagnostics.push(unreadable_s3(at, "DefinitionUri")),
            }
        } else if let Some(d) = get("DefinitionS3Location") {
            let at = Location::new(
                file,
                push_pointer(&pointer, "DefinitionS3Location"),
                d.value.span,
            );
            machine
                .diagnostics
                .push(unreadable_s3(at, "DefinitionS3Location"));
        } else {
            machine.diagnostics.push(
                Diagnostic::new(
                    Code::TemplateDefinition,
                    format!("the {kind} `{}` has no definition", resource.key),
                )
                .at(machine.declared_at.clone())
                .help(if kind == SAM_STATE_MACHINE {
                    "give it `Definition` or `DefinitionUri`"
                } else {
                    "give it `Definition`, `DefinitionString` or `DefinitionS3Location`"
                }),
            );
        }
        if literal {
            if let Some(definition) = &machine.definition {
                unmatched_placeholders(
                    &machine.file,
                    definition,
                    "",
                    &context,
                    &mut machine.diagnostics,
                );
            }
        }
        machine.placeholders = context.placeholders;
        out.push(machine);
    }
    out
}

/// E0006 for a Task `Resource` holding a `${Name}` that no `DefinitionSubstitutions` entry
/// names: CloudFormation leaves it as written, and AWS rejects it as no ARN.
fn unmatched_placeholders(
    file: &Arc<SourceFile>,
    json: &Json,
    pointer: &str,
    context: &Context<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    match &json.kind {
        JsonKind::Object(members) => {
            for m in members {
                let at = push_pointer(pointer, &m.key);
                match (m.key.as_str(), m.value.as_str()) {
                    ("Resource", Some(text)) => {
                        for name in placeholder_names(text) {
                            if !context.known.contains(name) && !name.starts_with("AWS::") {
                                let mut d = Diagnostic::new(
                                    Code::UnmatchedPlaceholder,
                                    format!("`${{{name}}}` is no key of `DefinitionSubstitutions`, so it stays as written and `Resource` is no ARN"),
                                )
                                .at(Location::new(file, at.clone(), m.value.span))
                                .label("not substituted");
                                if let Some(close) = crate::suggest::did_you_mean(
                                    name,
                                    context.known.iter().map(String::as_str),
                                ) {
                                    d = d.help(close);
                                }
                                diagnostics.push(d);
                            }
                        }
                    }
                    _ => unmatched_placeholders(file, &m.value, &at, context, diagnostics),
                }
            }
        }
        JsonKind::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let at = format!("{pointer}/{i}");
                unmatched_placeholders(file, item, &at, context, diagnostics);
            }
        }
        _ => {}
    }
}

/// `relative` (a `DefinitionUri`, a `${file(…)}`) as a path from the folder of `file`, the
/// template that names it.
fn beside(file: &SourceFile, relative: &str) -> PathBuf {
    file.path()
        .parent()
        .unwrap_or_else(|| Path::new(""))
        .join(relative)
}

/// Each `${…}` in `text`: its byte range (from `$` to `}`) and the name inside.
fn placeholders(text: &str) -> impl Iterator<Item = (std::ops::Range<usize>, &str)> {
    let mut from = 0;
    std::iter::from_fn(move || {
        let start = from + text.get(from..)?.find("${")?;
        let end = start + 2 + text[start + 2..].find('}')?;
        from = end + 1;
        Some((start..end + 1, &text[start + 2..end]))
    })
}

/// The names of the `${…}`s in `text`.
fn placeholder_names(text: &str) -> impl Iterator<Item = &str> {
    placeholders(text).map(|(_, name)| name)
}

/// A definition in S3: nothing to read locally.
fn unreadable_s3(at: Location, field: &str) -> Diagnostic {
    Diagnostic::new(
        Code::DefinitionInS3,
        format!("the definition is in S3 (`{field}`), which orderflow does not read"),
    )
    .at(at)
    .label("not checked")
    .help("check the file you upload there instead: `orderflow-codegen check FILE.asl.json`")
}

/// Every state machine of a serverless.yml (`stepFunctions.stateMachines.*.definition`).
///
/// A `definition: ${file(sm.yml)}` (or `${file(sm.yml):key}`) include is read with `read`,
/// relative to serverless.yml's folder, as the Framework resolves it.
pub fn machines_in_serverless(
    file: &Arc<SourceFile>,
    json: &Json,
    read: &mut ReadFile<'_>,
) -> Vec<EmbeddedMachine> {
    let functions: BTreeSet<String> = json
        .get("functions")
        .and_then(Json::as_object)
        .map(|f| f.iter().map(|m| m.key.clone()).collect())
        .unwrap_or_default();
    let Some(machines) = json
        .get("stepFunctions")
        .and_then(|s| s.get("stateMachines"))
        .and_then(Json::as_object)
    else {
        return Vec::new();
    };
    let lambdas = BTreeMap::new();
    let mut out = Vec::new();
    for m in machines {
        let pointer = push_pointer("/stepFunctions/stateMachines", &m.key);
        let mut machine = EmbeddedMachine {
            name: m.key.clone(),
            declared_at: Location::new(file, pointer.clone(), m.key_span),
            file: Arc::clone(file),
            definition: None,
            placeholders: BTreeMap::new(),
            functions: functions.clone(),
            workflow_type: m
                .value
                .get("type")
                .and_then(Json::as_str)
                .and_then(crate::manifest::WorkflowType::from_template),
            diagnostics: Vec::new(),
        };
        let mut context = Context {
            lambdas: &lambdas,
            serverless_functions: Some(&functions),
            serverless_root: Some(json),
            values: BTreeMap::new(),
            placeholders: BTreeMap::new(),
            known: BTreeSet::new(),
        };
        match m.value.member("definition") {
            Some(d) if d.value.as_str().and_then(file_variable).is_some() => {
                let at = Location::new(file, push_pointer(&pointer, "definition"), d.value.span);
                let (path, key) = d.value.as_str().and_then(file_variable).unwrap_or_default();
                let path = beside(file, path);
                match read(&path) {
                    Ok(included) => {
                        machine.definition =
                            context.included(&included, key, &at, &mut machine.diagnostics);
                        machine.file = included;
                    }
                    Err(e) => machine.diagnostics.push(
                        Diagnostic::new(
                            Code::TemplateDefinition,
                            format!("cannot read the included file {}: {e}", path.display()),
                        )
                        .at(at)
                        .label("the definition is included from here"),
                    ),
                }
            }
            Some(d) if d.value.as_str().is_some() => {
                let at = push_pointer(&pointer, "definition");
                machine.definition = context.textual(file, &d.value, &at, &mut machine.diagnostics);
            }
            Some(d) => machine.definition = Some(context.inline(&d.value)),
            None => machine.diagnostics.push(
                Diagnostic::new(
                    Code::TemplateDefinition,
                    format!("the state machine `{}` has no `definition`", m.key),
                )
                .at(machine.declared_at.clone()),
            ),
        }
        machine.placeholders = context.placeholders;
        out.push(machine);
    }
    out
}

/// `${file(path)}` → (`path`, no key); `${file(path):a.b}` → (`path`, `a.b`): the Serverless
/// Framework's include of another file (or of a value in it).
fn file_variable(text: &str) -> Option<(&str, &str)> {
    let inner = text.strip_prefix("${file(")?.strip_suffix('}')?;
    let (path, rest) = inner.split_once(')')?;
    let key = match rest {
        "" => "",
        _ => rest.strip_prefix(':')?,
    };
    let path = path.trim().trim_matches(['\'', '"']);
    (!path.is_empty() && !path.contains("${")).then_some((path, key.trim()))
}

/// What is known about deploy-time values while one definition is read.
struct Context<'a> {
    /// Lambda resources of the template: logical id → function name.
    lambdas: &'a BTreeMap<String, String>,
    /// serverless.yml's `functions` keys (serverless only).
    serverless_functions: Option<&'a BTreeSet<String>>,
    /// serverless.yml itself, where `${self:…}` variables point (serverless only).
    serverless_root: Option<&'a Json>,
    /// `${Name}` → the literal it becomes (substitutions with a plain value, pseudo parameters).
    values: BTreeMap<String, String>,
    /// `${Name}` → function, for placeholders that stand for a function's ARN or name.
    placeholders: BTreeMap<String, String>,
    /// Every name a `${…}` may use: substitution keys and intrinsics turned into placeholders.
    known: BTreeSet<String>,
}

impl Context<'_> {
    /// A `DefinitionSubstitutions` (or `Fn::Sub` variable) entry.
    fn substitution(&mut self, key: &str, value: &Json) {
        self.known.insert(key.to_string());
        match &value.kind {
            JsonKind::String(s) => {
                self.values.insert(key.to_string(), s.clone());
            }
            JsonKind::Number(n) => {
                self.values.insert(key.to_string(), n.to_string());
            }
            JsonKind::Bool(b) => {
                self.values.insert(key.to_string(), b.to_string());
            }
            _ => {
                if let Some(function) = self.function_of(value) {
                    self.placeholders.insert(key.to_string(), function);
                }
            }
        }
    }

    /// `Fn::Sub` text names resources by `${LogicalId}` and `${LogicalId.Attribute}`: those
    /// naming a function of the template stand for it.
    /// Every one is filled in by CloudFormation (a parameter, a resource, a pseudo parameter),
    /// so none is left as written.
    fn sub_references(&mut self, text: &str) {
        for name in placeholder_names(text) {
            let id = name.split('.').next().unwrap_or(name);
            if let Some(function) = self.function_by_id(id) {
                self.placeholders.insert(name.to_string(), function);
            }
            self.known.insert(name.to_string());
        }
    }

    /// The function an intrinsic names: `!GetAtt CheckInventoryFunction.Arn`,
    /// `!Ref CheckInventoryFunction`, serverless's `Fn::GetAtt: [hello, Arn]`.
    fn function_of(&self, value: &Json) -> Option<String> {
        let target = match value.as_object()? {
            // SAM's `!Ref Fn.Alias` and `!Ref Fn.Version` name the function too.
            [m] if m.key == "Ref" => m.value.as_str()?.split('.').next()?.to_string(),
            [m] if m.key == "Fn::GetAtt" => match &m.value.kind {
                JsonKind::Array(parts) => parts.first()?.as_str()?.to_string(),
                JsonKind::String(s) => s.split('.').next()?.to_string(),
                _ => return None,
            },
            _ => return None,
        };
        self.function_by_id(&target)
    }

    fn function_by_id(&self, id: &str) -> Option<String> {
        if let Some(f) = self.lambdas.get(id) {
            return Some(f.clone());
        }
        let functions = self.serverless_functions?;
        if functions.contains(id) {
            return Some(id.to_string());
        }
        // `HelloLambdaFunction`: the logical id the Framework gives function `hello`.
        functions
            .iter()
            .find(|f| serverless_logical_id(f) == id)
            .cloned()
    }

    /// The placeholder text an intrinsic becomes, recording the function it names.
    fn placeholder(&mut self, value: &Json) -> Option<String> {
        let [m] = value.as_object()? else {
            return None;
        };
        let name = match (m.key.as_str(), &m.value.kind) {
            ("Ref", JsonKind::String(s)) => s.clone(),
            ("Fn::GetAtt", JsonKind::Array(parts)) => parts
                .iter()
                .filter_map(Json::as_str)
                .collect::<Vec<_>>()
                .join("."),
            ("Fn::GetAtt", JsonKind::String(s)) => s.clone(),
            (key, _) if key.starts_with("Fn::") || key == "Condition" => key.to_string(),
            _ => return None,
        };
        if let Some(function) = self.function_of(value) {
            self.placeholders.insert(name.clone(), function);
        }
        self.known.insert(name.clone());
        Some(format!("${{{name}}}"))
    }

    /// An inline definition (a YAML or JSON object in the template): intrinsics anywhere in it
    /// become `${…}` strings, as SAM's transform makes them, and known values are substituted.
    fn inline(&mut self, definition: &Json) -> Json {
        let mut json = definition.clone();
        self.replace_intrinsics(&mut json);
        self.substitute(&mut json);
        json
    }

    fn replace_intrinsics(&mut self, json: &mut Json) {
        if let Some(text) = self.intrinsic_text(json) {
            json.kind = JsonKind::String(text);
            return;
        }
        match &mut json.kind {
            JsonKind::Array(items) => items.iter_mut().for_each(|i| self.replace_intrinsics(i)),
            JsonKind::Object(members) => members
                .iter_mut()
                .for_each(|m| self.replace_intrinsics(&mut m.value)),
            _ => {}
        }
    }

    /// The string an intrinsic stands for: `Fn::Sub`'s text (its own variables applied),
    /// `Fn::Join`'s joined parts, `Fn::If`'s first branch, else a placeholder.
    fn intrinsic_text(&mut self, json: &Json) -> Option<String> {
        let [m] = json.as_object()? else {
            return None;
        };
        match (m.key.as_str(), &m.value.kind) {
            ("Fn::Sub", JsonKind::String(s)) => {
                self.sub_references(s);
                Some(s.clone())
            }
            ("Fn::Sub", JsonKind::Array(parts)) => {
                if let Some(vars) = parts.get(1).and_then(Json::as_object) {
                    for v in vars {
                        self.substitution(&v.key, &v.value);
                    }
                }
                let text = parts.first().and_then(Json::as_str)?;
                self.sub_references(text);
                Some(text.to_string())
            }
            ("Fn::Join", JsonKind::Array(parts)) => {
                let delimiter = parts.first().and_then(Json::as_str)?;
                let items = parts.get(1).and_then(Json::as_array)?;
                let texts: Option<Vec<String>> = items
                    .iter()
                    .map(|i| {
                        i.as_str()
                            .map(str::to_string)
                            .or_else(|| self.intrinsic_text(i))
                    })
                    .collect();
                Some(texts?.join(delimiter))
            }
            ("Fn::If", JsonKind::Array(parts)) => {
                let then = parts.get(1)?;
                then.as_str()
                    .map(str::to_string)
                    .or_else(|| self.intrinsic_text(then))
            }
            _ => self.placeholder(json),
        }
    }

    /// Known values replace their `${…}` in every string of the definition: literal
    /// substitutions, pseudo parameters (so `arn:${AWS::Partition}:states:::lambda:invoke` is
    /// read as the integration it is), and a function placeholder inside a longer text (an ARN
    /// ending in `function:${CheckInventory}`). A string that is one function placeholder
    /// stays, so the parser ties the Task to the function.
    fn substitute(&self, json: &mut Json) {
        // `Seconds: ${self:custom.coolDown}` takes the value, with its type, from the file.
        if let Some(value) = json.as_str().and_then(|s| self.self_variable(s)) {
            json.kind = value.kind.clone();
            return;
        }
        match &mut json.kind {
            JsonKind::String(s) if s.contains("${") || s.contains("#{AWS::") => {
                if let Some(p) = crate::asl::parse::placeholder_name(s) {
                    if self.placeholders.contains_key(p) {
                        return;
                    }
                }
                *s = self.substituted(s);
            }
            JsonKind::Array(items) => items.iter_mut().for_each(|i| self.substitute(i)),
            JsonKind::Object(members) => members
                .iter_mut()
                .for_each(|m| self.substitute(&mut m.value)),
            _ => {}
        }
    }

    fn substituted(&self, s: &str) -> String {
        // serverless-pseudo-parameters' `#{AWS::Region}` is `${AWS::Region}`, as
        // serverless-step-functions rewrites it.
        let rewritten;
        let s = if self.serverless_root.is_some() && s.contains("#{AWS::") {
            rewritten = s.replace("#{AWS::", "${AWS::");
            rewritten.as_str()
        } else {
            s
        };
        let mut out = String::with_capacity(s.len());
        let mut copied = 0;
        for (range, name) in placeholders(s) {
            if let Some(value) = self.value_of(name) {
                out.push_str(&s[copied..range.start]);
                out.push_str(&value);
                copied = range.end;
            }
        }
        out.push_str(&s[copied..]);
        out
    }

    /// The value a whole-string `${self:a.b}` (serverless.yml) names in the file, if it names
    /// one: `${self:custom.x, 10}`'s fallback is not needed when `custom.x` exists.
    fn self_variable(&self, text: &str) -> Option<&Json> {
        let root = self.serverless_root?;
        let inner = text.strip_prefix("${self:")?.strip_suffix('}')?;
        let path = inner.split(',').next()?.trim();
        if path.contains("${") {
            return None;
        }
        path.split('.')
            .try_fold(root, |node, key| node.get(key))
            .filter(|v| !matches!(v.kind, JsonKind::Object(_) | JsonKind::Array(_)))
    }

    fn value_of(&self, name: &str) -> Option<String> {
        if let Some(v) = self.values.get(name) {
            return Some(v.clone());
        }
        if let Some(v) = self.self_variable(&format!("${{{name}}}")) {
            return Some(match &v.kind {
                JsonKind::String(s) => s.clone(),
                _ => v.to_value().to_string(),
            });
        }
        if let Some(f) = self.placeholders.get(name) {
            return Some(f.clone());
        }
        // Pseudo parameters, as an example account would have them.
        Some(
            match name {
                "AWS::Partition" => "aws",
                "AWS::Region" => "us-east-1",
                "AWS::AccountId" => "123456789012",
                "AWS::URLSuffix" => "amazonaws.com",
                _ => return None,
            }
            .to_string(),
        )
    }

    /// A definition written as text: a string, `Fn::Sub` or `Fn::Join` of JSON (CloudFormation
    /// `DefinitionString`, CDK output, a serverless.yml string).
    fn textual(
        &mut self,
        file: &Arc<SourceFile>,
        value: &Json,
        pointer: &str,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<Json> {
        let mut text = MappedText::default();
        if !self.assemble(file, value, &mut text) {
            diagnostics.push(
                Diagnostic::new(
                    Code::TemplateDefinition,
                    "the definition is built by an intrinsic function orderflow cannot read",
                )
                .at(Location::new(file, pointer, value.span))
                .label("expected a string, `Fn::Sub` or `Fn::Join` of JSON text")
                .note("orderflow reads `Fn::Sub` and `Fn::Join` of strings and `Ref`/`Fn::GetAtt`"),
            );
            return None;
        }
        let neutral = neutralize_bare_placeholders(&text.text, |n| self.values.get(n).cloned());
        match crate::json::parse(&neutral) {
            Ok(mut json) => {
                text.relocate(&mut json);
                self.substitute(&mut json);
                Some(json)
            }
            Err(e) => {
                let span = text.origin(e.span);
                diagnostics.push(
                    Diagnostic::new(
                        Code::JsonSyntax,
                        format!("the definition text is not valid JSON: {}", e.message),
                    )
                    .at(Location::new(file, pointer, span))
                    .label(e.message),
                );
                None
            }
        }
    }

    /// Appends the text `value` stands for; `false` when it is no text orderflow can read.
    fn assemble(&mut self, file: &SourceFile, value: &Json, out: &mut MappedText) -> bool {
        match &value.kind {
            JsonKind::String(s) => {
                out.push_string(s, file, value.span);
                true
            }
            JsonKind::Object(members) => match members.as_slice() {
                [m] if m.key == "Fn::Sub" => match &m.value.kind {
                    JsonKind::String(s) => {
                        self.sub_references(s);
                        out.push_string(s, file, m.value.span);
                        true
                    }
                    JsonKind::Array(parts) => {
                        if let Some(vars) = parts.get(1).and_then(Json::as_object) {
                            for v in vars {
                                self.substitution(&v.key, &v.value);
                            }
                        }
                        match parts.first() {
                            Some(
                                t @ Json {
                                    kind: JsonKind::String(s),
                                    ..
                                },
                            ) => {
                                out.push_string(s, file, t.span);
                                true
                            }
                            _ => false,
                        }
                    }
                    _ => false,
                },
                [m] if m.key == "Fn::Join" => {
                    let parts = m.value.as_array().unwrap_or_default();
                    let (Some(delimiter), Some(items)) = (
                        parts.first().filter(|d| d.as_str().is_some()),
                        parts.get(1).and_then(Json::as_array),
                    ) else {
                        return false;
                    };
                    for (i, item) in items.iter().enumerate() {
                        if i > 0 {
                            out.push_string(delimiter.as_str().unwrap_or(""), file, delimiter.span);
                        }
                        if !self.assemble(file, item, out) {
                            return false;
                        }
                    }
                    true
                }
                _ => match self.placeholder(value) {
                    Some(p) => {
                        out.push_synthetic(&p, value.span);
                        true
                    }
                    None => false,
                },
            },
            _ => false,
        }
    }

    /// A definition included into serverless.yml by `${file(…)}` (the value at `key`, dotted,
    /// when given): read as the Framework reads YAML (1.2 core) or JSON.
    fn included(
        &mut self,
        included: &Arc<SourceFile>,
        key: &str,
        at: &Location,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<Json> {
        let json = match crate::document::parse(included) {
            Ok(json) => json,
            Err(d) => {
                diagnostics.push((*d).related(at.clone(), "serverless.yml includes the file here"));
                return None;
            }
        };
        let node = if key.is_empty() {
            Some(&json)
        } else {
            key.split('.').try_fold(&json, |node, k| node.get(k))
        };
        match node {
            Some(definition) => Some(self.inline(definition)),
            None => {
                diagnostics.push(
                    Diagnostic::new(
                        Code::TemplateDefinition,
                        format!("{} has no `{key}`", included.path().display()),
                    )
                    .at(at.clone())
                    .label("the definition is included from here"),
                );
                None
            }
        }
    }

    /// A definition file (`DefinitionUri`): JSON or YAML by its extension, placeholders
    /// substituted as CloudFormation does.
    fn file(
        &mut self,
        asl: &Arc<SourceFile>,
        at: &Location,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<Json> {
        let parsed = match crate::document::Format::of(asl.path()) {
            crate::document::Format::Yaml => crate::yaml::parse(asl.text()),
            crate::document::Format::Json => {
                crate::json::parse(&neutralize_bare_placeholders(asl.text(), |n| {
                    self.values.get(n).cloned()
                }))
            }
        };
        match parsed {
            Ok(mut json) => {
                self.typed_bare_placeholders(asl, &mut json);
                self.substitute(&mut json);
                Some(json)
            }
            Err(e) => {
                diagnostics.push(
                    crate::document::syntax_error(asl, e)
                        .related(at.clone(), "the template names the file here"),
                );
                None
            }
        }
    }

    /// In a YAML definition file, an unquoted `TimeoutSeconds: ${Timeout}` whose substitution
    /// is a number or boolean takes that type: CloudFormation substitutes the file's text
    /// before parsing it (JSON files get the same through [`neutralize_bare_placeholders`]).
    fn typed_bare_placeholders(&self, file: &SourceFile, json: &mut Json) {
        match &mut json.kind {
            JsonKind::String(text) if file.snippet(json.span) == text.as_str() => {
                let value = crate::asl::parse::placeholder_name(text)
                    .and_then(|name| self.values.get(name));
                if let Some(Ok(value)) = value.map(|v| serde_json::from_str::<serde_json::Value>(v))
                {
                    match value {
                        serde_json::Value::Number(n) => json.kind = JsonKind::Number(n),
                        serde_json::Value::Bool(b) => json.kind = JsonKind::Bool(b),
                        _ => {}
                    }
                }
            }
            JsonKind::Array(items) => items
                .iter_mut()
                .for_each(|i| self.typed_bare_placeholders(file, i)),
            JsonKind::Object(members) => members
                .iter_mut()
                .for_each(|m| self.typed_bare_placeholders(file, &mut m.value)),
            _ => {}
        }
    }
}

/// The logical id the Serverless Framework gives function `name`: `hello-world` →
/// `HelloDashworldLambdaFunction`.
fn serverless_logical_id(name: &str) -> String {
    let name = name.replace('-', "Dash").replace('_', "Underscore");
    let mut chars = name.chars();
    let first: String = chars
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    format!("{first}{}LambdaFunction", chars.as_str())
}

/// The name of a state machine in lowerCamelCase, as a workflow name.
pub fn workflow_name(name: &str) -> String {
    name.to_lower_camel_case()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serverless_file_variables() {
        assert_eq!(file_variable("${file(sm.yml)}"), Some(("sm.yml", "")));
        assert_eq!(
            file_variable("${file(./states/all.yml):checkout.definition}"),
            Some(("./states/all.yml", "checkout.definition"))
        );
        assert_eq!(file_variable("${self:custom.x}"), None);
        assert_eq!(file_variable("${file(${opt:stage}.yml)}"), None);
    }

    #[test]
    fn cdk_hashes_and_suffixes_leave_the_function_name() {
        assert_eq!(function_name("CheckInventoryFunction"), "checkInventory");
        assert_eq!(function_name("CheckInventoryFn3A4B5C6D"), "checkInventory");
        assert_eq!(function_name("ABCDEF12"), "abcdef12");
        assert_eq!(
            serverless_logical_id("hello-world"),
            "HelloDashworldLambdaFunction"
        );
    }

    fn machines(template: &str) -> Vec<EmbeddedMachine> {
        let file = SourceFile::new("template.yaml", template);
        let json = crate::yaml::parse(template).expect("valid YAML");
        machines_in_template(&file, &json, &mut |_: &Path| Err("no files here".into()))
    }

    /// An unquoted `${Timeout}` in a YAML `DefinitionUri` file is the number it is replaced by;
    /// a quoted one stays a string, as CloudFormation's textual substitution makes it.
    #[test]
    fn bare_placeholders_in_a_yaml_definition_file_take_their_type() {
        let template = "Resources:\n  M:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n      DefinitionUri: sm.asl.yaml\n      DefinitionSubstitutions:\n        Timeout: 300\n";
        let definition = "StartAt: A\nStates:\n  A:\n    Type: Wait\n    Seconds: ${Timeout}\n    Next: B\n  B:\n    Type: Pass\n    Result: '${Timeout}'\n    End: true\n";
        let file = SourceFile::new("template.yaml", template);
        let json = crate::yaml::parse(template).expect("valid YAML");
        let found = machines_in_template(&file, &json, &mut |p: &Path| {
            Ok(SourceFile::new(p, definition))
        });
        let tree = found[0].definition.as_ref().expect("read").to_value();
        assert_eq!(tree["States"]["A"]["Seconds"], serde_json::json!(300));
        assert_eq!(tree["States"]["B"]["Result"], serde_json::json!("300"));
    }

    /// `${Name}` in `Fn::Sub` text is always filled in by CloudFormation, while in a plain
    /// inline `Definition` only `DefinitionSubstitutions` keys are (E0006 for the others).
    #[test]
    fn only_placeholders_nothing_fills_are_e0006() {
        let sub = "Resources:\n  M:\n    Type: AWS::StepFunctions::StateMachine\n    Properties:\n      Definition:\n        StartAt: A\n        States:\n          A:\n            Type: Task\n            Resource: !Sub arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:${FnName}\n            End: true\n";
        let found = machines(sub);
        assert!(
            found[0].diagnostics.is_empty(),
            "{:?}",
            found[0].diagnostics
        );

        let literal = "Resources:\n  M:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n      DefinitionSubstitutions:\n        FnArn: arn:aws:lambda:us-east-1:123456789012:function:f\n      Definition:\n        StartAt: A\n        States:\n          A:\n            Type: Task\n            Resource: ${FunctionArn}\n            End: true\n";
        let found = machines(literal);
        let codes: Vec<Code> = found[0].diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, [Code::UnmatchedPlaceholder]);
        let resource = found[0]
            .definition
            .as_ref()
            .and_then(|d| d.pointer("/States/A/Resource"))
            .and_then(Json::as_str);
        assert_eq!(resource, Some("${FunctionArn}"));

        // A literal substitution is applied; a function's ARN ties the Task to it.
        let fixed = literal.replace("${FunctionArn}", "${FnArn}");
        let found = machines(&fixed);
        assert!(found[0].diagnostics.is_empty());
        let resource = found[0]
            .definition
            .as_ref()
            .and_then(|d| d.pointer("/States/A/Resource"))
            .and_then(Json::as_str);
        assert_eq!(
            resource,
            Some("arn:aws:lambda:us-east-1:123456789012:function:f")
        );
    }
}
