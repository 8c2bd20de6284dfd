//! The crate's `Cargo.toml`. `generate` writes it once and never again (it is the user's: they
//! add dependencies to it), so it can fall behind what the generated files expect. This checks
//! the part the deployment templates and the glue depend on: each function's `[[bin]]` carries
//! the name they build, deploy and invoke ([`Workflow::binary_name`]).

use std::sync::Arc;

use heck::ToSnakeCase as _;
use serde::Deserialize;
use toml::Spanned;

use orderflow_model::diagnostic::{Code, Diagnostic, Location};
use orderflow_model::json::Span;
use orderflow_model::source::SourceFile;
use orderflow_model::workflow::Workflow;

/// The part of a Cargo manifest read here; every other key is ignored.
#[derive(Deserialize)]
struct CargoManifest {
    #[serde(default)]
    bin: Vec<BinTarget>,
}

#[derive(Deserialize)]
struct BinTarget {
    name: Option<Spanned<String>>,
    path: Option<String>,
}

impl BinTarget {
    /// The source file: `path`, or what cargo infers from the name.
    fn source(&self) -> Option<String> {
        match (&self.path, &self.name) {
            (Some(path), _) => Some(path.trim_start_matches("./").replace('\\', "/")),
            (None, Some(name)) => Some(format!("src/bin/{}.rs", name.get_ref())),
            (None, None) => None,
        }
    }
}

/// E0402 for every function whose binary `manifest` (the crate's `Cargo.toml`) does not name
/// as [`Workflow::binary_name`] does. A manifest that is not valid TOML gives nothing: cargo
/// reports that itself, better.
pub fn check(workflow: &Workflow, manifest: &Arc<SourceFile>) -> Vec<Diagnostic> {
    let Ok(parsed) = toml::from_str::<CargoManifest>(manifest.text()) else {
        return Vec::new();
    };
    let mut diagnostics = Vec::new();
    for function in workflow.functions.values() {
        let expected = workflow.binary_name(&function.name);
        let named = |bin: &BinTarget| bin.name.as_ref().is_some_and(|n| *n.get_ref() == expected);
        if parsed.bin.iter().any(named) {
            continue;
        }
        let source = format!("src/bin/{}.rs", function.name.to_snake_case());
        let entry = parsed
            .bin
            .iter()
            .enumerate()
            .find(|(_, bin)| bin.source().as_deref() == Some(source.as_str()));
        let help =
            format!("the entry must read:\n[[bin]]\nname = \"{expected}\"\npath = \"{source}\"");
        let diagnostic = match entry.and_then(|(index, bin)| Some((index, bin.name.as_ref()?))) {
            Some((index, name)) => Diagnostic::new(
                Code::BinaryNameMismatch,
                format!(
                    "function `{}` is built as the binary `{}`, but the deployment templates and the glue use `{expected}`",
                    function.name,
                    name.get_ref()
                ),
            )
            .at(Location::new(
                manifest,
                format!("/bin/{index}/name"),
                Span::new(name.span().start, name.span().end),
            ))
            .label(format!("expected `{expected}`")),
            None => Diagnostic::new(
                Code::BinaryNameMismatch,
                format!(
                    "no [[bin]] builds function `{}` as `{expected}`, the binary the deployment templates and the glue use",
                    function.name
                ),
            )
            .at(Location::new(manifest, "", Span::new(0, 0))),
        };
        diagnostics.push(diagnostic.help(help));
    }
    diagnostics
}
