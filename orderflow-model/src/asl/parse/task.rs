//! Task states and what their `Resource` names: Lambda functions known to the workflow folder,
//! `${…}` placeholders, service integrations.

use std::collections::{BTreeMap, BTreeSet};

use heck::ToLowerCamelCase;

use crate::asl::model::*;
use crate::diagnostic::{Code, Diagnostic};
use crate::json::{Json, push_index, push_pointer};
use crate::suggest;

use super::{Obj, Parser};

/// What the parser needs to know about the workflow folder to resolve Task resources.
#[derive(Debug, Default, Clone)]
pub struct FunctionCatalog {
    /// Functions the folder describes (schema files or manifest entries).
    pub functions: BTreeSet<String>,
    /// Manifest `placeholders`: `${Name}` → function.
    pub placeholders: BTreeMap<String, String>,
    /// Placeholders the manifest gives to queues and topics (not functions).
    pub resource_placeholders: BTreeSet<String>,
    /// No folder says which functions exist (an ASL file run on its own): function names,
    /// ARNs and `${Placeholder}`s are taken as written, and E0116 is not reported.
    pub functions_unknown: bool,
}

impl FunctionCatalog {
    /// The catalog of a definition without its workflow folder: see
    /// [`FunctionCatalog::functions_unknown`].
    pub fn unknown() -> Self {
        FunctionCatalog {
            functions_unknown: true,
            ..FunctionCatalog::default()
        }
    }
}

impl FunctionCatalog {
    /// The function names a placeholder may spell, in the order they are tried: the name with
    /// each [`PLACEHOLDER_SUFFIXES`] suffix it ends with removed (most specific first), then the
    /// name as written. `CheckPriceFnArn` → `CheckPrice`, `CheckPriceFn`, `CheckPriceFnArn`.
    fn placeholder_stems(placeholder: &str) -> Vec<&str> {
        let mut stems: Vec<&str> = PLACEHOLDER_SUFFIXES
            .iter()
            .filter_map(|s| placeholder.strip_suffix(s))
            .filter(|stem| !stem.is_empty())
            .collect();
        stems.push(placeholder);
        stems.dedup();
        stems
    }

    /// The function name a placeholder spells: `CheckInventoryFunctionArn` → `checkInventory`,
    /// `CheckPriceFnArn` → `checkPrice` (the most specific suffix removed, in lowerCamelCase).
    pub fn placeholder_stem(placeholder: &str) -> String {
        // `ProcessLambdaARN`, `notify_function_arn`: the suffixes are matched in UpperCamelCase.
        let camel = heck::ToUpperCamelCase::to_upper_camel_case(placeholder);
        Self::placeholder_stems(&camel)
            .first()
            .copied()
            .unwrap_or(&camel)
            .to_lower_camel_case()
    }

    /// The function a `${Placeholder}` stands for: the manifest's mapping, else the first of
    /// the placeholder's stems (`placeholder_stems`) that names a function of the folder, as
    /// written, in lowerCamelCase or ignoring case.
    pub fn resolve_placeholder(&self, placeholder: &str) -> Option<String> {
        if let Some(f) = self.placeholders.get(placeholder) {
            return Some(f.clone());
        }
        Self::placeholder_stems(placeholder)
            .into_iter()
            .find_map(|stem| {
                [stem.to_string(), stem.to_lower_camel_case()]
                    .into_iter()
                    .find(|c| self.functions.contains(c))
                    .or_else(|| {
                        let lower = stem.to_lowercase();
                        self.functions
                            .iter()
                            .find(|f| f.to_lowercase() == lower)
                            .cloned()
                    })
            })
    }

    /// The function a Task names with `text` — a `Resource` or the `FunctionName` of
    /// `arn:aws:states:::lambda:invoke` — when the folder describes it: a `${Placeholder}`
    /// ([`Self::resolve_placeholder`]), a Lambda function ARN, or (`function_name`) a name,
    /// `name:alias` or partial ARN as `FunctionName` accepts them.
    pub fn function_named_by(&self, text: &str, function_name: bool) -> Option<String> {
        let function = match placeholder_name(text) {
            Some(p) => self.resolve_placeholder(p),
            None if function_name => lambda_function_name(text).map(|(f, _)| f),
            None => lambda_arn(text).map(|(f, _)| f),
        }?;
        self.functions.contains(&function).then_some(function)
    }
}

/// What placeholder names add to a function's name, most specific first:
/// `${CheckInventoryFunctionArn}`, `${CheckPriceFnArn}`, `${FirstLambdaArn}`, `${BillFunction}`.
const PLACEHOLDER_SUFFIXES: &[&str] = &[
    "FunctionArn",
    "FunctionName",
    "LambdaArn",
    "FnArn",
    "Function",
    "Lambda",
    "Fn",
    "Arn",
];

/// `${Name}` → `Name` (a whole string that is one placeholder, as SAM `DefinitionSubstitutions`
/// and orderflow's templates substitute them).
pub fn placeholder_name(text: &str) -> Option<&str> {
    text.strip_prefix("${")
        .and_then(|r| r.strip_suffix('}'))
        .filter(|name| !name.is_empty() && !name.contains(['$', '{', '}']))
}

impl Parser<'_> {
    pub(super) fn task(&mut self, obj: Obj<'_>, ql: QueryLanguage) -> Option<TaskState> {
        let what = "a Task state";
        self.require(obj, "Resource", what)?;
        let resource = self.string(obj, "Resource")?;
        let resource = Spanned {
            value: self.resource(obj, &resource, ql),
            span: resource.span,
            pointer: resource.pointer,
        };
        // A lambda:invoke FunctionName placeholder was read (and reported) as the function.
        let invoke = matches!(
            resource.value,
            Resource::Lambda {
                invocation: LambdaInvocation::Invoke | LambdaInvocation::InvokeWaitForTaskToken,
                ..
            }
        );
        for key in ["Parameters", "Arguments"] {
            if let Some(args) = obj.get(key) {
                self.unresolved_argument_placeholders(args, &obj.child(key), invoke);
            }
        }
        let timeout_seconds = self.seconds(obj, "TimeoutSeconds", "TimeoutSecondsPath", ql, 1);
        let heartbeat_seconds =
            self.seconds(obj, "HeartbeatSeconds", "HeartbeatSecondsPath", ql, 1);
        if let (Some(Seconds::Value(t)), Some(Seconds::Value(h))) =
            (&timeout_seconds, &heartbeat_seconds)
        {
            if h >= t {
                if let Some(v) = obj.get("HeartbeatSeconds") {
                    self.error(
                        Code::InvalidValue,
                        &obj.child("HeartbeatSeconds"),
                        v.span,
                        format!(
                            "`HeartbeatSeconds` ({h}) must be smaller than `TimeoutSeconds` ({t})"
                        ),
                    );
                }
            }
        }
        self.credentials(obj, ql);
        Some(TaskState {
            resource,
            timeout_seconds,
            heartbeat_seconds,
            credentials: obj.get("Credentials").cloned(),
            errors: self.error_handling(obj, ql),
        })
    }

    /// `Credentials`: an object with the role to assume, `RoleArn` (a string, in JSONata states
    /// possibly `{% %}`) or, in JSONPath states, `RoleArn.$` (a path or intrinsic function);
    /// nothing else.
    pub(super) fn credentials(&mut self, obj: Obj<'_>, ql: QueryLanguage) {
        let Some(json) = obj.get("Credentials") else {
            return;
        };
        let pointer = obj.child("Credentials");
        let Some(c) = self.object(json, &pointer, "`Credentials`") else {
            return;
        };
        let allowed: &[&str] = match ql {
            QueryLanguage::JsonPath => &["RoleArn", "RoleArn.$"],
            QueryLanguage::Jsonata => &["RoleArn"],
        };
        self.check_fields(c, allowed, "`Credentials`", None);
        // `RoleArn.$` is JSONPath only (reported above in JSONata states, as if absent).
        let dynamic = c.get("RoleArn.$").filter(|_| ql == QueryLanguage::JsonPath);
        match (c.get("RoleArn"), dynamic) {
            (Some(_), Some(_)) => {
                if let Some(m) = c.member("RoleArn.$") {
                    self.error(
                        Code::InvalidValue,
                        &c.child("RoleArn.$"),
                        m.key_span,
                        "`Credentials` takes `RoleArn` or `RoleArn.$`, not both",
                    );
                }
            }
            (None, None) => {
                let d = Diagnostic::new(
                    Code::MissingField,
                    "`Credentials` is missing `RoleArn` (the role to assume)",
                )
                .at(self.loc(&pointer, json.span))
                .label("`RoleArn` is required here")
                .help(match ql {
                    QueryLanguage::JsonPath => "give the role as `\"RoleArn\": \"arn:aws:iam::ACCOUNT:role/NAME\"`, or read it with `\"RoleArn.$\": \"$.path\"`",
                    QueryLanguage::Jsonata => "give the role as `\"RoleArn\": \"arn:aws:iam::ACCOUNT:role/NAME\"` or a `{% %}` expression",
                });
                self.report(d);
            }
            (Some(role), None) => {
                let role_pointer = c.child("RoleArn");
                match role.as_str() {
                    Some(text) if ql == QueryLanguage::Jsonata => {
                        self.jsonata_string(text, role.span, &role_pointer);
                    }
                    Some(_) => {}
                    None => self.wrong_type(&role_pointer, role, "RoleArn", "a string"),
                }
            }
            (None, Some(role)) => {
                self.dynamic_value(role, &c.child("RoleArn.$"), "RoleArn.$");
            }
        }
    }

    pub(super) fn resource(
        &mut self,
        obj: Obj<'_>,
        resource: &Spanned<String>,
        ql: QueryLanguage,
    ) -> Resource {
        let text = resource.value.as_str();
        if let Some(placeholder) = placeholder_name(text) {
            if let Some(function) = self.catalog.resolve_placeholder(placeholder) {
                return self.known_function(
                    resource,
                    function,
                    LambdaInvocation::Placeholder(placeholder.to_string()),
                );
            }
            if !self.catalog.resource_placeholders.contains(placeholder) {
                self.unresolved_placeholder(resource, placeholder);
                // Without a folder saying which functions exist, a placeholder named like a
                // function's (`${LookupBookFunctionArn}`) is taken for that function, untyped.
                let stems = FunctionCatalog::placeholder_stems(placeholder);
                if self.catalog.functions_unknown && stems.len() > 1 {
                    return Resource::Lambda {
                        function: FunctionCatalog::placeholder_stem(placeholder),
                        invocation: LambdaInvocation::Placeholder(placeholder.to_string()),
                    };
                }
            }
            return Resource::Opaque(text.to_string());
        }
        if let Some(problem) = resource_problem(text) {
            let d = Diagnostic::new(
                Code::InvalidValue,
                format!("`Resource` \"{text}\" {problem}"),
            )
            .at(self.loc(&resource.pointer, resource.span))
            .label("Step Functions rejects this Resource")
            .help("write an ARN (`arn:aws:states:::lambda:invoke`, `arn:aws:lambda:REGION:ACCOUNT:function:NAME[:ALIAS]`, an activity ARN…) or one whole `${Placeholder}`");
            self.report(d);
            return Resource::Opaque(text.to_string());
        }
        if let Some((function, qualifier)) = lambda_arn(text) {
            return self.known_function(resource, function, LambdaInvocation::Arn { qualifier });
        }
        if let Some(service) = text.strip_prefix("arn:aws:states:::") {
            let (service, wait) = match service.strip_suffix(".waitForTaskToken") {
                Some(s) => (s, true),
                None => (service, false),
            };
            match service {
                "lambda:invoke" => {
                    let args_key = match ql {
                        QueryLanguage::JsonPath => "Parameters",
                        QueryLanguage::Jsonata => "Arguments",
                    };
                    let invocation = if wait {
                        LambdaInvocation::InvokeWaitForTaskToken
                    } else {
                        LambdaInvocation::Invoke
                    };
                    let name = obj.get(args_key).and_then(|a| a.get("FunctionName"));
                    return match name.and_then(|n| Some((n, n.as_str()?))) {
                        Some((json, n)) if !n.starts_with("{%") => {
                            let at = Spanned {
                                value: n.to_string(),
                                span: json.span,
                                pointer: push_pointer(&obj.child(args_key), "FunctionName"),
                            };
                            self.invoked_function(&at, invocation)
                        }
                        // A dynamic FunctionName cannot be type-checked.
                        _ => Resource::Opaque(text.to_string()),
                    };
                }
                "sqs:sendMessage" => {
                    return Resource::SqsSendMessage {
                        wait_for_task_token: wait,
                    };
                }
                "sns:publish" => {
                    return Resource::SnsPublish {
                        wait_for_task_token: wait,
                    };
                }
                _ => {}
            }
        }
        Resource::Opaque(text.to_string())
    }

    /// The function a `lambda:invoke` `FunctionName` names: a `${Placeholder}`, or what Lambda
    /// accepts (a name, `name:alias`, a partial or a full ARN).
    pub(super) fn invoked_function(
        &mut self,
        name: &Spanned<String>,
        invocation: LambdaInvocation,
    ) -> Resource {
        if let Some(placeholder) = placeholder_name(&name.value) {
            let function = match self.catalog.resolve_placeholder(placeholder) {
                Some(f) => f,
                None => {
                    self.unresolved_placeholder(name, placeholder);
                    FunctionCatalog::placeholder_stem(placeholder)
                }
            };
            return Resource::Lambda {
                function,
                invocation,
            };
        }
        match lambda_function_name(&name.value) {
            Some((function, _)) => self.known_function(name, function, invocation),
            None => {
                let d = Diagnostic::new(
                    Code::UnknownFunction,
                    format!("`FunctionName` `{}` is not a Lambda function name", name.value),
                )
                .at(self.loc(&name.pointer, name.span))
                .label("not a function name, name:alias, partial ARN or function ARN")
                .help("write the function's name (`checkInventory`), `name:alias`, `123456789012:function:name` or `arn:aws:lambda:REGION:ACCOUNT:function:name`, or a `${…}` placeholder");
                self.report(d);
                // Kept as a function reference, so that W0205 can point at it.
                Resource::Lambda {
                    function: name.value.clone(),
                    invocation,
                }
            }
        }
    }

    pub(super) fn known_function(
        &mut self,
        resource: &Spanned<String>,
        function: String,
        invocation: LambdaInvocation,
    ) -> Resource {
        if !self.catalog.functions.contains(&function) {
            self.unknown_function(resource, &function);
        }
        Resource::Lambda {
            function,
            invocation,
        }
    }

    /// A function name (from an ARN or a `FunctionName`) the folder does not describe.
    pub(super) fn unknown_function(&mut self, resource: &Spanned<String>, function: &str) {
        let known: Vec<&str> = self.catalog.functions.iter().map(String::as_str).collect();
        let d = Diagnostic::new(
            Code::UnknownFunction,
            format!("the function `{function}` is not a function of this workflow folder"),
        )
        .at(self.loc(&resource.pointer, resource.span))
        .label(format!(
            "no schemas/{function}.input.json and .output.json for it"
        ))
        .note(self.known_functions_note(&known));
        let d = match suggest::closest(function, known.iter().copied()) {
            Some(f) => d.help(format!("did you mean `{f}`?")),
            None => d.help(format!(
                "add schemas/{function}.input.json and schemas/{function}.output.json"
            )),
        };
        self.report(d);
    }

    /// A `${Placeholder}` naming a Task's function that stands for no function, queue or topic
    /// of the folder: nothing can be checked, and no deployment template can fill it in.
    pub(super) fn unresolved_placeholder(&mut self, at: &Spanned<String>, placeholder: &str) {
        let known: Vec<&str> = self.catalog.functions.iter().map(String::as_str).collect();
        // The function it would stand for: `LookupBokFunctionArn` → `lookupBok`.
        let function = FunctionCatalog::placeholder_stem(placeholder);
        let d = Diagnostic::new(
            Code::UnknownFunction,
            format!("the placeholder `${{{placeholder}}}` stands for no function of this workflow folder"),
        )
        .at(self.loc(&at.pointer, at.span))
        .label(format!("read as the function `{function}`, which has no schemas"))
        .note(self.known_functions_note(&known))
        .note(format!(
            "a placeholder names a function by its name with one of the suffixes {}, or by a mapping in orderflow.json `placeholders`",
            PLACEHOLDER_SUFFIXES
                .iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        let d = match suggest::closest(&function, known.iter().copied()) {
            Some(f) => {
                let suffix = PLACEHOLDER_SUFFIXES
                    .iter()
                    .find(|s| placeholder.ends_with(*s))
                    .copied()
                    .unwrap_or("");
                let fixed = format!("{}{suffix}", heck::ToUpperCamelCase::to_upper_camel_case(f));
                d.help(format!(
                    "did you mean `${{{fixed}}}` (function {f})? Or map it in orderflow.json: `\"placeholders\": {{ \"{placeholder}\": \"{f}\" }}`"
                ))
            }
            None => d.help(format!(
                "map it to a function in orderflow.json (`\"placeholders\": {{ \"{placeholder}\": \"<function>\" }}`), or add schemas/{function}.input.json and schemas/{function}.output.json"
            )),
        };
        self.report(d);
    }

    /// `${…}` values of a Task's `Parameters`/`Arguments` (a `QueueUrl`, a `TopicArn`, …) that
    /// stand for no function, queue or topic: no deployment template would fill them in.
    /// `top_function_name` skips the `FunctionName` of `lambda:invoke`, read as the function.
    pub(super) fn unresolved_argument_placeholders(
        &mut self,
        json: &Json,
        pointer: &str,
        top_function_name: bool,
    ) {
        if let Some(members) = json.as_object() {
            for m in members {
                if top_function_name && m.key == "FunctionName" {
                    continue;
                }
                self.unresolved_argument_placeholders(
                    &m.value,
                    &push_pointer(pointer, &m.key),
                    false,
                );
            }
        } else if let Some(items) = json.as_array() {
            for (i, item) in items.iter().enumerate() {
                self.unresolved_argument_placeholders(item, &push_index(pointer, i), false);
            }
        } else if let Some(placeholder) = json.as_str().and_then(placeholder_name) {
            if self.catalog.resolve_placeholder(placeholder).is_none()
                && !self.catalog.resource_placeholders.contains(placeholder)
            {
                let d = Diagnostic::new(
                    Code::UnknownFunction,
                    format!("the placeholder `${{{placeholder}}}` stands for no function, queue or topic of this workflow folder"),
                )
                .at(self.loc(pointer, json.span))
                .label("no deployment template fills it in")
                .help(format!(
                    "declare it in orderflow.json as a queue's or topic's placeholder (`\"queues\": {{ \"orders\": {{ \"placeholder\": \"{placeholder}\" }} }}`), or map it to a function under `placeholders`"
                ));
                self.report(d);
            }
        }
    }

    pub(super) fn known_functions_note(&self, known: &[&str]) -> String {
        if known.is_empty() {
            "the folder describes no functions yet".to_string()
        } else {
            format!("functions: {}", known.join(", "))
        }
    }
}

/// Why Step Functions would reject a Task `Resource` written as `text`, if it would: it is not
/// an ARN (`arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`), or it is a Lambda function ARN whose
/// name or version/alias qualifier is empty or malformed (Lambda's own pattern for the
/// qualifier is `$LATEST` or `[a-zA-Z0-9-_]+`). `${…}` placeholders, which a deployment
/// substitutes before Step Functions sees the definition, stand for any text.
pub fn resource_problem(text: &str) -> Option<&'static str> {
    let (normalized, templated) = substitute_placeholders(text);
    if !normalized.starts_with("arn:") {
        // A string with a placeholder in it may become an ARN once substituted.
        return (!templated).then_some("is not an ARN");
    }
    let parts: Vec<&str> = normalized.split(':').collect();
    if parts.len() < 6 || parts[1].is_empty() || parts[2].is_empty() {
        return Some("is not a well-formed ARN (`arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`)");
    }
    if parts[2] == "lambda" && parts[5] == "function" {
        let lambda_name = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        };
        return match parts.get(6..).unwrap_or_default() {
            [] | [""] => Some("names no Lambda function"),
            [name, ..] if !lambda_name(name) => {
                Some("has a malformed function name (letters, digits, `-` and `_` only)")
            }
            [_] => None,
            [_, ""] => Some("ends with `:` but names no version or alias"),
            [_, q] if *q == "$LATEST" || lambda_name(q) => None,
            [_, _] => Some(
                "has a malformed version or alias (`$LATEST`, or letters, digits, `-` and `_`)",
            ),
            _ => Some("has more than one version or alias qualifier"),
        };
    }
    None
}

/// `text` with each complete `${…}` replaced by a plain name, and whether there was one.
fn substitute_placeholders(text: &str) -> (String, bool) {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut templated = false;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        out.push_str(&rest[..start]);
        out.push_str("Placeholder");
        rest = &rest[start + len + 1..];
        templated = true;
    }
    out.push_str(rest);
    (out, templated)
}

/// `arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]` → (NAME, QUALIFIER).
pub fn lambda_arn(text: &str) -> Option<(String, Option<String>)> {
    let parts = arn_parts(text);
    if parts.len() < 7
        || parts.len() > 8
        || parts[0] != "arn"
        || !parts[1].starts_with("aws")
        || parts[2] != "lambda"
        || parts[5] != "function"
        || parts[6].is_empty()
    {
        return None;
    }
    Some((parts[6].to_string(), parts.get(7).map(|q| (*q).to_string())))
}

/// The `:`-separated parts of an ARN, a `${…}` placeholder counting as one piece of text
/// (`function:${self:service}-${opt:stage}-notify` names one function).
fn arn_parts(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '{' if text[..i].ends_with('$') => depth += 1,
            '}' if depth > 0 => depth -= 1,
            ':' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// A `FunctionName` as Lambda's Invoke API reads it: a function name (`my-function`), a name
/// with a version or alias (`my-function:live`), a partial ARN (`123456789012:function:my-function`,
/// optionally with `:live`) or a function ARN ([`lambda_arn`]) → (NAME, QUALIFIER).
pub fn lambda_function_name(text: &str) -> Option<(String, Option<String>)> {
    if text.starts_with("arn:") {
        return lambda_arn(text);
    }
    let parts = arn_parts(text);
    let (name, qualifier) = match parts.as_slice() {
        [name] => (*name, None),
        [name, qualifier] => (*name, Some(*qualifier)),
        [account, "function", name] if is_account(account) => (*name, None),
        [account, "function", name, qualifier] if is_account(account) => (*name, Some(*qualifier)),
        _ => return None,
    };
    let name_ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    // A version (`1`, `$LATEST`) or an alias (`live`).
    let qualifier_ok = qualifier.is_none_or(|q| {
        !q.is_empty()
            && q.len() <= 128
            && q.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '$'))
    });
    (name_ok && qualifier_ok).then(|| (name.to_string(), qualifier.map(str::to_string)))
}

/// An AWS account id: twelve digits.
fn is_account(text: &str) -> bool {
    text.len() == 12 && text.chars().all(|c| c.is_ascii_digit())
}
