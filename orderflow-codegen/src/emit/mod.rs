//! Rust generated from a checked [`Workflow`]: payload types, error enums, handler traits, Lambda
//! binaries, and the stubs a developer fills in.
//!
//! Everything here returns values (token streams, file contents); writing them is
//! [`crate::output`]'s job.

pub mod cargo_manifest;
pub mod deploy;
pub mod glue;
pub mod graph;
pub mod paths;
pub mod readme;
mod spacing;
pub mod types;
pub mod yaml;

use std::collections::BTreeSet;
use std::path::PathBuf;

use heck::ToSnakeCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use orderflow_model::asl::jsonata;
use orderflow_model::asl::model::{PayloadNode, PayloadTemplate, Seconds, StateKind};
use orderflow_model::asl::path::PathRoot;
use orderflow_model::diagnostic::Diagnostic;
use orderflow_model::json::{Json, JsonKind};
use orderflow_model::workflow::{Function, Workflow};
use types::{TypeSpace, doc_lines, variant_ident};

/// The marker that makes a file orderflow's to overwrite.
pub const GENERATED_MARKER: &str = "@generated";

/// Whether a file belongs to the generator or to the developer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// Regenerated every time; carries the `@generated` header.
    Generated,
    /// Created once for the developer to edit; never overwritten.
    Stub,
}

/// One file to write, relative to the output folder.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputFile {
    /// Where the file goes, relative to the crate folder (`src/generated.rs`).
    pub path: PathBuf,
    /// The file's text.
    pub contents: String,
    /// Whether `generate` rewrites it or creates it once.
    pub kind: FileKind,
}

/// The Rust names of one function.
struct Names {
    /// `checkInventory`
    json: String,
    /// `CheckInventory` (trait, type stem)
    upper: String,
    /// `check_inventory` (method, module, `src/bin` file)
    snake: String,
}

impl Names {
    fn of(function: &str) -> Names {
        Names {
            json: function.to_owned(),
            upper: types::type_ident_text(function),
            snake: function.to_snake_case(),
        }
    }
}

/// The generated module (`generated.rs`): types, errors, function traits. Also what a build
/// script writes to `OUT_DIR`. `source` names the workflow folder in the header.
pub fn generated_module(workflow: &Workflow, source: &str) -> (String, Vec<Diagnostic>) {
    let mut space = TypeSpace::new();
    // `generate` refuses untyped workflows (`untyped_diagnostics`); the guard keeps the
    // function total.
    if let Some(input) = &workflow.execution_input {
        space.add_root(input, "ExecutionInput", "Execution");
    }
    let mut errors = Vec::new();
    let mut traits = Vec::new();
    for function in workflow.functions.values() {
        let names = Names::of(&function.name);
        let input = space.add_root(
            &function.input,
            &format!("{}Input", names.upper),
            &names.upper,
        );
        let output = space.add_root(
            &function.output,
            &format!("{}Output", names.upper),
            &names.upper,
        );
        errors.push(error_enum(workflow, function, &names));
        traits.push(function_trait(workflow, function, &names, &input, &output));
    }
    let token_impls: Vec<TokenStream> = workflow
        .functions
        .values()
        .filter_map(|f| task_token_impl(workflow, f))
        .collect();
    let type_defs = space.tokens();
    // Plain comments and outer attributes only: the module is also `include!`d by build
    // scripts, where inner attributes are not allowed.
    let header = format!(
        "// {GENERATED_MARKER} by orderflow-codegen from {source}. Do not edit: run `orderflow-codegen generate` instead.\n// Types, errors and function traits of the `{}` workflow.\n",
        workflow.name
    );
    let tokens = quote! {
        /// Payloads: the execution input and each function's input and output.
        #[allow(clippy::all, clippy::pedantic, dead_code, missing_docs, unused_imports)]
        pub mod types {
            #type_defs
            #(#token_impls)*
        }

        /// One error enum per function: the error names the workflow's Retry/Catch clauses match
        /// (and the manifest declares), reported with exactly those names.
        #[allow(clippy::all, clippy::pedantic, dead_code, missing_docs)]
        pub mod errors {
            #(#errors)*
        }

        /// One trait per function; implement it, and the Lambda binary runs it.
        #[allow(clippy::all, clippy::pedantic, dead_code, missing_docs)]
        pub mod functions {
            // In the order rustfmt sorts them. Modules, not types: lowercase names cannot clash
            // with the generated types.
            use super::errors::*;
            use super::types::*;
            use ::core::{future, result};
            #(#traits)*
        }
    };
    let mut module = pretty(&tokens, &header);
    for function in workflow.functions.values() {
        module = trait_method_as_rustfmt(&module, &Names::of(&function.name));
    }
    // The adapters' `call` is the same text for every function: 95 columns, which prettyplease
    // breaks (from 89) and rustfmt keeps on one line (up to 100).
    let module = module.replace(
        "        async fn call(\n            &self,\n            input: Self::Input,\n        ) -> result::Result<Self::Output, Self::Error> {\n",
        "        async fn call(&self, input: Self::Input) -> result::Result<Self::Output, Self::Error> {\n",
    );
    (module, space.diagnostics)
}

/// A function trait's method declaration laid out as rustfmt lays it out, in the printed
/// `module`.
///
/// Its return type, `impl Future<Output = Result<…Output, …Error>> + Send`, grows with the
/// function's name. prettyplease breaks inside it from 89 columns; rustfmt never breaks it and
/// only puts the parameters on lines of their own when the declaration does not fit in 100
/// columns. Writing this one declaration as rustfmt does keeps the module rustfmt-stable for
/// any name.
fn trait_method_as_rustfmt(module: &str, names: &Names) -> String {
    // The trait is in `pub mod functions`, so its method is two levels deep.
    let indent = "        ";
    let start_text = format!("{indent}fn {}(", names.snake);
    let Some(start) = module.find(&start_text) else {
        return module.to_owned();
    };
    let Some(length) = module[start..].find("+ Send;\n") else {
        return module.to_owned();
    };
    let end = start + length + "+ Send;\n".len();
    let upper = &names.upper;
    let returns = format!(
        "impl future::Future<Output = result::Result<{upper}Output, {upper}Error>> + Send;"
    );
    let one_line = format!("{start_text}&self, input: {upper}Input) -> {returns}");
    let returns_line = format!("{indent}) -> {returns}");
    // rustfmt keeps the return type whole while it is at most 94 columns long (measured with
    // rustfmt 1.9 at this indentation), however long that makes the line.
    let whole = returns.trim_end_matches(';').chars().count() <= 94;
    let declaration = if one_line.chars().count() <= 100 {
        format!("{one_line}\n")
    } else if whole {
        format!(
            "{start_text}\n{indent}    &self,\n{indent}    input: {upper}Input,\n{returns_line}\n"
        )
    } else {
        format!(
            "{start_text}\n{indent}    &self,\n{indent}    input: {upper}Input,\n{indent}) -> impl future::Future<\n{indent}    Output = result::Result<{upper}Output, {upper}Error>,\n{indent}> + Send;\n"
        )
    };
    format!("{}{declaration}{}", &module[..start], &module[end..])
}

/// Every file of a workflow's crate: the generated module, a Lambda binary per function, the
/// module list, and the stubs (lib.rs, Cargo.toml, one file per function) created once.
/// `paths` says where the crate's files find the definition, the target folder and the runtime.
pub fn crate_files(
    workflow: &Workflow,
    source: &str,
    paths: &paths::CratePaths,
) -> (Vec<OutputFile>, Vec<Diagnostic>) {
    let (module, diagnostics) = generated_module(workflow, source);
    let mut files = vec![OutputFile {
        path: PathBuf::from("src/generated.rs"),
        contents: module,
        kind: FileKind::Generated,
    }];
    let header = format!(
        "// {GENERATED_MARKER} by orderflow-codegen from {source}. Do not edit: run `orderflow-codegen generate` instead.\n"
    );
    let package = workflow.name.to_snake_case();
    let modules = workflow
        .functions
        .values()
        .map(|f| format_ident!("{}", Names::of(&f.name).snake));
    files.push(OutputFile {
        path: PathBuf::from("src/functions/mod.rs"),
        contents: pretty(
            &quote! {
                //! The workflow's functions, one module each (yours to edit; this list is generated).
                #(pub mod #modules;)*
            },
            &header,
        ),
        kind: FileKind::Generated,
    });
    for function in workflow.functions.values() {
        let names = Names::of(&function.name);
        files.push(OutputFile {
            path: PathBuf::from(format!("src/bin/{}.rs", names.snake)),
            contents: pretty(&binary(workflow, function, &names, &package), &header),
            kind: FileKind::Generated,
        });
        files.push(OutputFile {
            path: PathBuf::from(format!("src/functions/{}.rs", names.snake)),
            contents: pretty(&stub(function, &names), ""),
            kind: FileKind::Stub,
        });
    }
    files.push(OutputFile {
        path: PathBuf::from("src/workflow.rs"),
        contents: glue::definition_line_as_rustfmt(&pretty(
            &glue::workflow_module(workflow, source, paths),
            &header,
        )),
        kind: FileKind::Generated,
    });
    let definition_uri = if deploy::has_literal_lambda_arns(workflow) {
        files.push(OutputFile {
            path: PathBuf::from("statemachine.asl.json"),
            contents: deploy::deployable_asl(workflow, source),
            kind: FileKind::Generated,
        });
        "statemachine.asl.json".to_owned()
    } else {
        paths.definition_from_crate()
    };
    files.push(OutputFile {
        path: PathBuf::from("template.yaml"),
        contents: deploy::sam_template(workflow, source, &definition_uri),
        kind: FileKind::Generated,
    });
    files.push(OutputFile {
        path: PathBuf::from("serverless.yml"),
        contents: deploy::serverless_template(workflow, source, &paths.target_dir),
        kind: FileKind::Generated,
    });
    files.push(OutputFile {
        path: PathBuf::from("README.md"),
        contents: readme::readme(workflow, source, &paths.workflow_dir),
        kind: FileKind::Generated,
    });
    files.push(OutputFile {
        path: PathBuf::from("src/lib.rs"),
        contents: pretty(
            &{
                let doc = format!(" The Lambda functions of the `{}` workflow.", workflow.name);
                quote! {
                    #![doc = #doc]
                    pub mod functions;
                    pub mod generated;
                    // The workflow run in process (tests, local runs): feature `local`.
                    #[cfg(feature = "local")]
                    pub mod workflow;
                }
            },
            "",
        ),
        kind: FileKind::Stub,
    });
    files.push(OutputFile {
        path: PathBuf::from("Cargo.toml"),
        contents: cargo_toml(workflow, &paths.runtime_dependency),
        kind: FileKind::Stub,
    });
    (files, diagnostics)
}

/// Formats tokens as a file with prettyplease, with blank lines between items, after `header`.
fn pretty(tokens: &TokenStream, header: &str) -> String {
    match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(file) => format!("{header}{}", spacing::unparse(&file)),
        // Unreachable for well-formed generators; kept visible rather than panicking.
        Err(e) => format!(
            "{header}compile_error!({:?});\n// {tokens}\n",
            e.to_string()
        ),
    }
}

/// Error names a function's states match in Retry/Catch, plus those the manifest declares; no
/// `States.*` (Step Functions' own) nor `Lambda.*` (the Lambda service's).
fn error_names(workflow: &Workflow, function: &Function) -> Vec<String> {
    let mut names = BTreeSet::new();
    for id in function
        .invoked_by
        .iter()
        .chain(&function.completes_tokens_of)
    {
        let state = workflow.machine.state(*id);
        let clauses = state
            .retriers()
            .iter()
            .map(|r| &r.error_equals)
            .chain(state.catchers().iter().map(|c| &c.error_equals));
        for name in clauses.flatten() {
            names.insert(name.value.clone());
        }
    }
    names.extend(function.declared_errors.iter().cloned());
    names
        .into_iter()
        .filter(|n| orderflow_model::asl::model::is_function_error(n))
        .collect()
}

fn error_enum(workflow: &Workflow, function: &Function, names: &Names) -> TokenStream {
    let ident = format_ident!("{}Error", names.upper);
    let mut used = vec!["Other".to_owned()];
    let errors = error_names(workflow, function);
    let declarations = errors.iter().map(|name| {
        let variant = variant_ident(name, &mut used);
        let doc = format!(" `{name}`: the message becomes the error's `Cause`.");
        quote! {
            #[doc = #doc]
            #[step(error = #name)]
            #variant(::std::string::String),
        }
    });
    let doc = doc_lines(&format!(
        "Errors `{}` raises. Each variant is reported with its exact ASL error name, so the \
         workflow's Retry/Catch clauses match it.",
        names.json
    ));
    // The derive writes StepError, Display, Error and the Lambda Diagnostic conversion, and
    // `From` any `orderflow_runtime::OtherError` into `Other`. Documented fields make
    // prettyplease break `Other` over lines, as rustfmt does.
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, Eq, ::orderflow_runtime::StepError)]
        pub enum #ident {
            #(#declarations)*
            /// Any other error, reported with `error_type` as its name.
            #[step(other)]
            Other {
                /// The error name Retry/Catch match.
                error_type: ::std::string::String,
                /// The cause Step Functions records.
                message: ::std::string::String,
            },
        }
    }
}

fn function_trait(
    workflow: &Workflow,
    function: &Function,
    names: &Names,
    input: &TokenStream,
    output: &TokenStream,
) -> TokenStream {
    let trait_ident = format_ident!("{}", names.upper);
    let method = format_ident!("{}", names.snake);
    let adapter = format_ident!("{}Function", names.upper);
    let error = format_ident!("{}Error", names.upper);
    let mut doc = format!("The `{}` Lambda function.", names.json);
    if let Some(description) = &function.settings.description {
        doc.push_str("\n\n");
        doc.push_str(description);
    }
    let states: Vec<String> = function
        .invoked_by
        .iter()
        .map(|id| format!("\"{}\"", workflow.machine.state(*id).name.value))
        .collect();
    if !states.is_empty() {
        doc.push_str(&format!("\n\nInvoked by state {}.", states.join(", ")));
    }
    for id in &function.completes_tokens_of {
        doc.push_str(&format!(
            "\n\nRuns on the queue that state \"{}\" sends to, and completes that state's task \
             token with its result.",
            workflow.machine.state(*id).name.value
        ));
    }
    let doc = doc_lines(&doc);
    let adapter_doc = format!(
        " Runs a [`{}`] implementation as an `orderflow_runtime::Function`.",
        names.upper
    );
    quote! {
        #doc
        pub trait #trait_ident: Send + Sync + 'static {
            fn #method(&self, input: #input) -> impl future::Future<Output = result::Result<#output, #error>> + Send;
        }

        #[doc = #adapter_doc]
        #[derive(Debug, Clone, Default)]
        pub struct #adapter<H>(pub H);

        // A where clause and `Self::` types keep the lines short whatever the function's name:
        // prettyplease breaks lines from 89 columns, rustfmt from 100.
        impl<H> ::orderflow_runtime::Function for #adapter<H>
        where
            H: #trait_ident,
        {
            type Input = #input;
            type Output = #output;
            type Error = #error;
            async fn call(&self, input: Self::Input) -> result::Result<Self::Output, Self::Error> {
                self.0.#method(input).await
            }
        }
    }
}

/// The field of a worker's input that carries the task token: the MessageBody member whose
/// value is `$$.Task.Token` (`{% $states.context.Task.Token %}` in JSONata), when every sending
/// state agrees.
fn task_token_field(workflow: &Workflow, function: &Function) -> Option<String> {
    let mut fields = BTreeSet::new();
    for id in &function.completes_tokens_of {
        let state = workflow.machine.state(*id);
        let field = match (&state.io.parameters, &state.io.arguments) {
            (Some(parameters), _) => jsonpath_token_member(parameters)?,
            (None, Some(arguments)) => jsonata_token_member(arguments)?,
            (None, None) => return None,
        };
        fields.insert(field);
    }
    match fields.len() {
        1 => fields.pop_first(),
        _ => None,
    }
}

fn jsonpath_token_member(parameters: &PayloadTemplate) -> Option<String> {
    let PayloadNode::Object(members) = &parameters.root else {
        return None;
    };
    let body = members.iter().find(|(k, _)| k.value == "MessageBody")?;
    let PayloadNode::Object(body_members) = &body.1 else {
        return None;
    };
    let token = body_members.iter().find(|(_, v)| {
        matches!(v, PayloadNode::Path(p)
            if p.value.root == PathRoot::Context && p.value.to_string() == "$$.Task.Token")
    })?;
    Some(token.0.value.clone())
}

fn jsonata_token_member(arguments: &Json) -> Option<String> {
    let JsonKind::Object(members) = &arguments.get("MessageBody")?.kind else {
        return None;
    };
    members
        .iter()
        .find(|m| {
            m.value.as_str().and_then(jsonata::template_body) == Some("$states.context.Task.Token")
        })
        .map(|m| m.key.clone())
}

fn task_token_impl(workflow: &Workflow, function: &Function) -> Option<TokenStream> {
    let json_name = task_token_field(workflow, function)?;
    let input = format_ident!("{}Input", Names::of(&function.name).upper);
    let field = types::field_ident(&json_name, &mut Vec::new());
    Some(quote! {
        impl ::orderflow_runtime::TaskTokenInput for #input {
            fn task_token(&self) -> &str {
                &self.#field
            }
        }
    })
}

/// How often a task-token worker sends heartbeats, in milliseconds: half the shortest
/// `HeartbeatSeconds` of the states whose tokens it completes, so one late heartbeat still
/// arrives in time. `None` when no such state has a literal `HeartbeatSeconds` (a
/// `HeartbeatSecondsPath` is only known at run time).
fn heartbeat_interval(workflow: &Workflow, function: &Function) -> Option<u64> {
    function
        .completes_tokens_of
        .iter()
        .filter_map(|id| match &workflow.machine.state(*id).kind {
            StateKind::Task(task) => match task.heartbeat_seconds {
                Some(Seconds::Value(seconds)) => Some(seconds),
                _ => None,
            },
            _ => None,
        })
        .min()
        .map(|seconds| seconds.saturating_mul(1000) / 2)
}

fn binary(workflow: &Workflow, function: &Function, names: &Names, package: &str) -> TokenStream {
    let krate = format_ident!("{}", package);
    let module = format_ident!("{}", names.snake);
    let adapter = format_ident!("{}Function", names.upper);
    let doc = format!(" The `{}` Lambda function's entry point.", names.json);
    let worker =
        !function.completes_tokens_of.is_empty() && task_token_field(workflow, function).is_some();
    // Short statements, so prettyplease and rustfmt lay them out the same way.
    let body = match (worker, heartbeat_interval(workflow, function)) {
        (true, Some(millis)) => {
            let millis = proc_macro2::Literal::u64_unsuffixed(millis);
            quote! {
            let handler = #adapter(#module::handler());
            let callbacks = ::orderflow_runtime::SfnCallbacks::from_env().await;
            let heartbeat = ::core::time::Duration::from_millis(#millis);
            ::orderflow_runtime::run_sqs_worker_with_heartbeat(handler, callbacks, heartbeat).await
            }
        }
        (true, None) => quote! {
            let handler = #adapter(#module::handler());
            let callbacks = ::orderflow_runtime::SfnCallbacks::from_env().await;
            ::orderflow_runtime::run_sqs_worker(handler, callbacks).await
        },
        (false, _) => {
            quote! {
                let handler = #adapter(#module::handler());
                ::orderflow_runtime::run(handler).await
            }
        }
    };
    quote! {
        #![doc = #doc]
        use #krate::functions::#module;
        use #krate::generated::functions::#adapter;

        #[tokio::main]
        async fn main() -> ::core::result::Result<(), ::orderflow_runtime::Error> {
            #body
        }
    }
}

fn stub(function: &Function, names: &Names) -> TokenStream {
    let trait_ident = format_ident!("{}", names.upper);
    let method = format_ident!("{}", names.snake);
    let input = format_ident!("{}Input", names.upper);
    let output = format_ident!("{}Output", names.upper);
    let error = format_ident!("{}Error", names.upper);
    let module_doc = format!(
        " The `{}` function. Created by orderflow-codegen once; this file is yours and is never overwritten.",
        names.json
    );
    let message = format!(
        "{} is not implemented yet: edit src/functions/{}.rs",
        names.json, names.snake
    );
    let description = function
        .settings
        .description
        .as_deref()
        .map(doc_lines)
        .unwrap_or_default();
    quote! {
        #![doc = #module_doc]
        use crate::generated::errors::#error;
        use crate::generated::functions::#trait_ident;
        use crate::generated::types::{#input, #output};

        #description
        #[derive(Debug, Clone, Default)]
        pub struct Handler;

        /// The handler the Lambda binary runs.
        pub fn handler() -> Handler {
            Handler
        }

        impl #trait_ident for Handler {
            async fn #method(&self, input: #input) -> Result<#output, #error> {
                let _ = input;
                Err(#error::Other {
                    error_type: "NotImplemented".to_owned(),
                    message: #message.to_owned(),
                })
            }
        }
    }
}

/// The crate's Cargo.toml; `runtime` is the TOML value of its orderflow-runtime dependency.
fn cargo_toml(workflow: &Workflow, runtime: &str) -> String {
    let mut bins = String::new();
    for function in workflow.functions.values() {
        let names = Names::of(&function.name);
        let worker = !function.completes_tokens_of.is_empty()
            && task_token_field(workflow, function).is_some();
        bins.push_str(&format!(
            "\n[[bin]]\nname = \"{}\"\npath = \"src/bin/{}.rs\"\n",
            workflow.binary_name(&function.name),
            names.snake
        ));
        if worker {
            // Completing task tokens needs the AWS SDK.
            bins.push_str("required-features = [\"aws\"]\n");
        }
    }
    format!(
        r#"# Created by orderflow-codegen once; this file is yours and is never overwritten.
[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

[features]
# Lambda binaries that complete task tokens through the AWS SDK.
aws = ["orderflow-runtime/aws"]
# `workflow::Workflow`: the whole workflow run in process with these handlers (tests).
local = ["orderflow-runtime/executor"]

[dependencies]
orderflow-runtime = {runtime}
tokio = {{ version = "1", features = ["macros", "rt-multi-thread"] }}
{bins}"#,
        name = workflow.name,
    )
}
