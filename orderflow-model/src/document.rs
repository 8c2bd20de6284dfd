//! Files read as JSON or YAML by their extension, into the one [`Json`] tree with positions.

use std::path::Path;
use std::sync::Arc;

use crate::diagnostic::{Code, Diagnostic, Location};
use crate::json::{Json, SyntaxError};
use crate::source::SourceFile;

/// The syntax a file is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// RFC 8259 JSON.
    Json,
    /// YAML 1.2 (`.yaml`, `.yml`).
    Yaml,
}

impl Format {
    /// YAML for `.yaml` and `.yml` files, JSON for everything else.
    pub fn of(path: &Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml") => {
                Format::Yaml
            }
            _ => Format::Json,
        }
    }
}

/// Parses `file` in the format its name says.
///
/// # Errors
///
/// E0001 at the place the parser stopped.
pub fn parse(file: &Arc<SourceFile>) -> Result<Json, Box<Diagnostic>> {
    let parsed = match Format::of(file.path()) {
        Format::Json => crate::json::parse(file.text()),
        #[cfg(feature = "yaml")]
        Format::Yaml => crate::yaml::parse(file.text()),
        // Without the `yaml` feature (the derive macros' build), YAML is not read.
        #[cfg(not(feature = "yaml"))]
        Format::Yaml => Err(SyntaxError {
            span: crate::json::Span::default(),
            message: "YAML is read only with orderflow-model's `yaml` feature".into(),
        }),
    };
    parsed.map_err(|e| Box::new(syntax_error(file, e)))
}

/// E0001 for a syntax error in `file`, naming the format its name says.
pub fn syntax_error(file: &Arc<SourceFile>, error: SyntaxError) -> Diagnostic {
    match Format::of(file.path()) {
        Format::Json => Diagnostic::json_syntax(file, error),
        Format::Yaml => {
            Diagnostic::new(Code::JsonSyntax, format!("invalid YAML: {}", error.message))
                .at(Location::new(file, "", error.span))
                .label(error.message)
        }
    }
}
