//! The state-transition glue (`src/workflow.rs`): the workflow run in process by the executor,
//! with each Task state bound to the handler trait of the function it invokes.
//!
//! The glue holds no logic of its own: it names, per function, the states that invoke it (or
//! whose task token it completes) and hands the typed handler to
//! `orderflow_runtime::local::LocalWorkflow`, which loads the definition with the same parser as
//! `check`. The definition is `include_str!`d, so the glue cannot drift from it.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::emit::Names;
use crate::emit::paths::CratePaths;
use orderflow_model::workflow::{Function, Workflow};

/// The glue module's source, for `src/workflow.rs` of the crate whose paths are `paths`.
pub fn workflow_module(workflow: &Workflow, source: &str, paths: &CratePaths) -> TokenStream {
    let asl_file = format!("{source}/{}", orderflow_model::workflow::ASL_FILE);
    // include_str! is relative to the file that calls it, in `src/`.
    let include = paths.definition_from_src();
    let catalog = workflow.function_catalog();
    let functions = catalog.functions.iter();
    let placeholder_keys = catalog.placeholders.keys();
    let placeholder_values = catalog.placeholders.values();
    let resource_placeholders = catalog.resource_placeholders.iter();
    // The binaries of this crate, by function: what `cargo lambda watch` serves them as.
    let lambda_functions: Vec<String> = workflow
        .functions
        .values()
        .filter(|f| !f.invoked_by.is_empty())
        .map(|f| f.name.clone())
        .collect();
    let lambda_binaries = lambda_functions.iter().map(|f| workflow.binary_name(f));
    // Two lists and a loop rather than one long chain, so prettyplease and rustfmt agree on the
    // layout whatever the names (an empty list would need a type, so none is written then).
    let endpoint = if lambda_functions.is_empty() {
        quote! { let endpoint = LambdaEndpoint::new(url); }
    } else {
        quote! {
            let functions = [#(#lambda_functions),*];
            let binaries = [#(#lambda_binaries),*];
            let mut endpoint = LambdaEndpoint::new(url);
            for (function, binary) in functions.into_iter().zip(binaries) {
                endpoint = endpoint.with_function_name(function, binary);
            }
        }
    };
    // An Express state machine (orderflow.json's or its template's `type`) runs under Express's
    // limits in process too; a Standard one keeps the default options.
    let construct = match workflow.workflow_type {
        orderflow_model::manifest::WorkflowType::Standard => quote! {
            Ok(Self {
                local: LocalWorkflow::new(DEFINITION_FILE, DEFINITION, &catalog)?,
            })
        },
        orderflow_model::manifest::WorkflowType::Express => quote! {
            let mut local = LocalWorkflow::new(DEFINITION_FILE, DEFINITION, &catalog)?;
            // An Express state machine: at most five minutes, no history limit.
            local.options_mut().workflow_type = ::orderflow_runtime::local::WorkflowType::Express;
            Ok(Self { local })
        },
    };
    let binders: Vec<TokenStream> = workflow
        .functions
        .values()
        .filter_map(|f| binder(workflow, f))
        .collect();
    let doc = format!(
        " Runs the `{}` workflow in process, its Task states bound to your handlers.",
        workflow.name
    );
    let definition_doc = format!(" The definition the glue runs: `{asl_file}`.");
    quote! {
        #![doc = #doc]
        //!
        //! Bind each function with its method, then execute: Lambda Tasks call the handler as the
        //! Lambda runtime would, a `.waitForTaskToken` queue delivers its message to the worker
        //! and waits for the token it completes, SNS and SQS messages are recorded. Time is
        //! virtual: retries and waits do not sleep.

        // In the order rustfmt sorts them.
        use crate::generated::functions::*;
        use crate::generated::types::ExecutionInput;
        use ::orderflow_runtime::local::{DefinitionErrors, Execution, LambdaEndpoint, LocalWorkflow, function_catalog};
        use ::orderflow_runtime::serde_json::{self, Value};

        #[doc = #definition_doc]
        pub const DEFINITION: &str = include_str!(#include);

        /// Where [`DEFINITION`] comes from, for messages.
        pub const DEFINITION_FILE: &str = #asl_file;

        /// The workflow with its bindings.
        #[derive(Debug)]
        pub struct Workflow {
            local: LocalWorkflow,
        }

        impl Workflow {
            /// The workflow with no Task bound yet: an unbound Task fails its execution with
            /// `States.Runtime`, naming the state.
            ///
            /// # Errors
            ///
            /// The definition's errors (only if it changed since `orderflow-codegen check`).
            pub fn new() -> Result<Self, DefinitionErrors> {
                let catalog = function_catalog(
                    &[#(#functions),*],
                    &[#((#placeholder_keys, #placeholder_values)),*],
                    &[#(#resource_placeholders),*],
                );
                #construct
            }

            #(#binders)*

            /// Sends every Lambda Task with no handler bound to the Lambda Invoke API at `url`,
            /// under this crate's binary names: `cargo lambda watch` run in this crate serves
            /// them (its default `url` is `http://127.0.0.1:9000`). Bound handlers still run in
            /// process.
            pub fn with_lambda_endpoint(mut self, url: &str) -> Self {
                #endpoint
                self.local.set_lambda_endpoint(endpoint);
                self
            }

            /// Runs one execution.
            ///
            /// # Errors
            ///
            /// Only if `input` does not serialize to JSON.
            pub async fn execute(&self, input: &ExecutionInput) -> serde_json::Result<Execution> {
                let input = serde_json::to_value(input)?;
                Ok(self.local.execute(input).await)
            }

            /// Runs one execution on any JSON input (inputs the schema would reject included).
            pub async fn execute_json(&self, input: Value) -> Execution {
                self.local.execute(input).await
            }

            /// The executor and its records: options, published and sent messages.
            pub fn local(&self) -> &LocalWorkflow {
                &self.local
            }

            /// The executor, to change its options (clock, history detail, identity).
            pub fn local_mut(&mut self) -> &mut LocalWorkflow {
                &mut self.local
            }
        }
    }
}

/// `fn check_inventory(self, handler: impl CheckInventory) -> Self`, binding the states that
/// invoke the function (or whose token it completes).
fn binder(workflow: &Workflow, function: &Function) -> Option<TokenStream> {
    let names = Names::of(&function.name);
    let method = format_ident!("{}", names.snake);
    let trait_ident = format_ident!("{}", names.upper);
    let wrapper = format_ident!("{}Function", names.upper);
    let state_names = |ids: &[orderflow_model::asl::model::StateId]| -> Vec<String> {
        ids.iter()
            .map(|id| workflow.machine.state(*id).name.value.clone())
            .collect()
    };
    let (states, bind, role) = if !function.completes_tokens_of.is_empty() {
        (
            state_names(&function.completes_tokens_of),
            quote!(bind_task_token_worker),
            "completes the task token of",
        )
    } else if !function.invoked_by.is_empty() {
        (
            state_names(&function.invoked_by),
            quote!(bind_function),
            "runs for",
        )
    } else {
        return None;
    };
    let quoted: Vec<String> = states.iter().map(|s| format!("\"{s}\"")).collect();
    let doc = format!(
        " Binds `{}`: the handler {role} state {}.",
        names.json,
        quoted.join(", ")
    );
    Some(quote! {
        #[doc = #doc]
        pub fn #method(mut self, handler: impl #trait_ident) -> Self {
            // Short statements whatever the names, so prettyplease and rustfmt agree on them.
            let states = [#(#states),*];
            let function = #wrapper(handler);
            self.local.#bind(&states, function);
            self
        }
    })
}

/// The glue's `DEFINITION` constant laid out as rustfmt lays it out, in the printed `module`.
///
/// Its length depends on the path to the definition, and prettyplease breaks inside
/// `include_str!(…)` from 89 columns where rustfmt keeps the call whole up to 100 columns and
/// then moves it to a line of its own; rewriting this one statement keeps the file
/// rustfmt-stable for any path.
pub fn definition_line_as_rustfmt(module: &str) -> String {
    const START: &str = "pub const DEFINITION: &str = include_str!(";
    let Some(start) = module.find(START) else {
        return module.to_owned();
    };
    let after = start + START.len();
    let Some(length) = module[after..].find(");\n") else {
        return module.to_owned();
    };
    let literal = module[after..after + length]
        .trim()
        .trim_end_matches(',')
        .trim();
    let one_line = format!("{START}{literal});");
    let statement = if one_line.chars().count() <= 100 {
        one_line
    } else {
        format!("pub const DEFINITION: &str =\n    include_str!({literal});")
    };
    format!(
        "{}{statement}{}",
        &module[..start],
        &module[after + length + 2..]
    )
    // The same text in every glue: 90 columns, which prettyplease breaks (from 89) and rustfmt
    // keeps on one line (up to 100).
    .replace(
        "    pub async fn execute(\n        &self,\n        input: &ExecutionInput,\n    ) -> serde_json::Result<Execution> {\n",
        "    pub async fn execute(&self, input: &ExecutionInput) -> serde_json::Result<Execution> {\n",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An Express workflow's glue sets the executions' type; a Standard one's is unchanged.
    #[test]
    fn an_express_workflow_runs_as_express_in_process() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../definitions/order-status");
        let sources = orderflow_model::workflow::WorkflowSources::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{e}"));
        let Some(mut workflow) = orderflow_model::analyze(&sources).workflow else {
            panic!("the reference workflow loads");
        };
        let paths = CratePaths::new(&dir, &dir, &dir, &crate::emit::paths::Runtime::registry());
        let text =
            |w: &Workflow| workflow_module(w, "definitions/order-status", &paths).to_string();
        assert!(!text(&workflow).contains("WorkflowType"));
        workflow.workflow_type = orderflow_model::manifest::WorkflowType::Express;
        assert!(
            text(&workflow).contains(
                "local . options_mut () . workflow_type = :: orderflow_runtime :: local :: WorkflowType :: Express"
            ),
            "{}",
            text(&workflow)
        );
    }

    #[test]
    fn the_definition_line_is_laid_out_as_rustfmt_does() {
        let broken = "//! x\npub const DEFINITION: &str = include_str!(\n    \"../a.json\"\n);\nconst B: u8 = 1;\n";
        assert_eq!(
            definition_line_as_rustfmt(broken),
            "//! x\npub const DEFINITION: &str = include_str!(\"../a.json\");\nconst B: u8 = 1;\n"
        );
        let path = format!("../{}/workflow.asl.json", "d".repeat(60));
        let long = format!("pub const DEFINITION: &str = include_str!(\"{path}\");\n");
        assert_eq!(
            definition_line_as_rustfmt(&long),
            format!("pub const DEFINITION: &str =\n    include_str!(\"{path}\");\n")
        );
        assert_eq!(
            definition_line_as_rustfmt("const A: u8 = 1;\n"),
            "const A: u8 = 1;\n"
        );
    }
}
