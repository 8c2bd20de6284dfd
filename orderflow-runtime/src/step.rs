//! What `#[derive(StepInput)]` / `#[derive(StepOutput)]` implement: the schema a struct was
//! checked against at compile time, and (feature `validate`) a validator for payloads at run time.

#[cfg(feature = "validate")]
use std::fmt;

#[cfg(feature = "validate")]
use serde_json::Value;

/// A struct checked against a function's input schema (by `#[derive(StepInput)]`).
pub trait StepInput {
    /// The workflow's folder name.
    const WORKFLOW: &'static str;
    /// The function whose input this is.
    const FUNCTION: &'static str;
    /// Where in the schema document this struct's schema is (`""` for the whole document).
    const POINTER: &'static str;
    /// The schema document, as JSON text.
    const SCHEMA: &'static str;
    /// The compiled schema (built once).
    #[cfg(feature = "validate")]
    fn validator() -> &'static SchemaValidator;
    /// Checks a payload against the schema.
    #[cfg(feature = "validate")]
    fn validate(value: &Value) -> Result<(), SchemaViolations> {
        Self::validator().validate(value)
    }
}

/// A struct checked against a function's output schema (by `#[derive(StepOutput)]`).
pub trait StepOutput {
    /// The workflow's folder name.
    const WORKFLOW: &'static str;
    /// The function whose output this is.
    const FUNCTION: &'static str;
    /// Where in the schema document this struct's schema is (`""` for the whole document).
    const POINTER: &'static str;
    /// The schema document, as JSON text.
    const SCHEMA: &'static str;
    /// The compiled schema (built once).
    #[cfg(feature = "validate")]
    fn validator() -> &'static SchemaValidator;
    /// Checks a payload against the schema.
    #[cfg(feature = "validate")]
    fn validate(value: &Value) -> Result<(), SchemaViolations> {
        Self::validator().validate(value)
    }
}

/// A JSON Schema (or a subschema of one) compiled for validation; offline, no `$ref` fetching.
#[cfg(feature = "validate")]
pub struct SchemaValidator {
    inner: Result<jsonschema::Validator, String>,
}

#[cfg(feature = "validate")]
impl fmt::Debug for SchemaValidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SchemaValidator")
            .field("compiled", &self.inner.is_ok())
            .finish()
    }
}

/// The document is registered under this URI so a pointer into it can be referenced.
#[cfg(feature = "validate")]
const DOCUMENT_URI: &str = "urn:orderflow:step-schema";

#[cfg(feature = "validate")]
impl SchemaValidator {
    /// Compiles the subschema at `pointer` of `document`. A document that does not compile
    /// (which the derive's compile-time check rules out) makes every validation fail.
    pub fn new(document: &str, pointer: &str) -> Self {
        let inner = (|| {
            let mut root: Value = serde_json::from_str(document).map_err(|e| e.to_string())?;
            if pointer.is_empty() {
                return jsonschema::validator_for(&root).map_err(|e| e.to_string());
            }
            // The document's own `$id` would take precedence over the registry URI.
            if let Some(object) = root.as_object_mut() {
                object.remove("$id");
            }
            let registry = jsonschema::Registry::new()
                .add(DOCUMENT_URI, root)
                .map_err(|e| e.to_string())?
                .prepare()
                .map_err(|e| e.to_string())?;
            let reference = serde_json::json!({
                "$ref": format!("{DOCUMENT_URI}#{}", fragment_of(pointer))
            });
            jsonschema::options()
                .with_registry(&registry)
                .build(&reference)
                .map_err(|e| e.to_string())
        })();
        SchemaValidator { inner }
    }

    /// Every violation of the schema by `value`.
    pub fn validate(&self, value: &Value) -> Result<(), SchemaViolations> {
        match &self.inner {
            Ok(validator) => {
                let problems: Vec<String> = validator
                    .iter_errors(value)
                    .map(|e| format!("{} at `{}`", e, e.instance_path()))
                    .collect();
                if problems.is_empty() {
                    Ok(())
                } else {
                    Err(SchemaViolations(problems))
                }
            }
            Err(e) => Err(SchemaViolations(vec![format!(
                "the schema does not compile: {e}"
            )])),
        }
    }
}

/// A JSON pointer written as a URI fragment: the validator percent-decodes a `$ref`'s fragment
/// before reading it as a pointer (as the derive's resolver does), so a `%`, a space or any
/// other byte a fragment cannot hold is percent-encoded. `/$defs/100%` → `/$defs/100%25`.
#[cfg(feature = "validate")]
fn fragment_of(pointer: &str) -> String {
    let mut out = String::with_capacity(pointer.len());
    for byte in pointer.bytes() {
        // RFC 3986 `fragment`: unreserved, sub-delims, `:`, `@`, `/` and `?`.
        if byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Why a payload does not fit its schema, one line per problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.join("; "))]
pub struct SchemaViolations(pub Vec<String>);

/// Helpers the derives' generated code calls; not part of the API.
#[doc(hidden)]
pub mod __private {
    /// `a == b` in a const context (for the derives' nested-type assertions).
    pub const fn str_eq(a: &str, b: &str) -> bool {
        let (a, b) = (a.as_bytes(), b.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            if a[i] != b[i] {
                return false;
            }
            i += 1;
        }
        true
    }

    /// The derives' `validator()`: the compiled schema, built once. Expands to nothing without
    /// the runtime's `validate` feature, so a crate that never validates payloads at run time
    /// does not compile the JSON Schema validator (the derive cannot see this crate's features;
    /// this macro, expanded here, can).
    #[cfg(feature = "validate")]
    #[macro_export]
    #[doc(hidden)]
    macro_rules! __orderflow_step_validator {
        ($schema:expr, $pointer:expr) => {
            fn validator() -> &'static $crate::SchemaValidator {
                static VALIDATOR: ::std::sync::OnceLock<$crate::SchemaValidator> =
                    ::std::sync::OnceLock::new();
                VALIDATOR.get_or_init(|| $crate::SchemaValidator::new($schema, $pointer))
            }
        };
    }

    /// Without the `validate` feature the traits have no `validator()` to implement.
    #[cfg(not(feature = "validate"))]
    #[macro_export]
    #[doc(hidden)]
    macro_rules! __orderflow_step_validator {
        ($schema:expr, $pointer:expr) => {};
    }

    pub use crate::__orderflow_step_validator as step_validator;
}

#[cfg(all(test, feature = "validate"))]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn validates_a_subschema_with_refs_into_the_document() {
        let document = json!({
            "type": "object",
            "properties": {"book": {"$ref": "#/$defs/Book"}},
            "$defs": {"Book": {"type": "object", "properties": {"price": {"type": "number"}}, "required": ["price"]}}
        })
        .to_string();
        let book = SchemaValidator::new(&document, "/$defs/Book");
        assert!(book.validate(&json!({"price": 3})).is_ok());
        let error = book
            .validate(&json!({"cost": 3}))
            .expect_err("price is required");
        assert!(error.to_string().contains("price"), "{error}");
        let whole = SchemaValidator::new(&document, "");
        assert!(whole.validate(&json!({"book": {"price": "x"}})).is_err());
    }

    /// A schema that `$ref`s another file reaches the derives bundled (orderflow-model's
    /// `SchemaSet`): the file embedded under `$defs` as a resource with its own `$id`, and the
    /// reference rewritten to that `$id`. Its subschemas validate offline, by pointer too.
    #[test]
    fn validates_a_bundle_with_an_embedded_file() {
        let document = json!({
            "type": "object",
            "properties": {"book": {"$ref": "urn:orderflow:schema:common.json#/$defs/Book"}},
            "$defs": {"common.json": {
                "$id": "urn:orderflow:schema:common.json",
                "$defs": {
                    "Book": {"type": "object", "properties": {"id": {"$ref": "#/$defs/Id"}}, "required": ["id"]},
                    "Id": {"type": "string"}
                }
            }}
        })
        .to_string();
        let whole = SchemaValidator::new(&document, "");
        assert!(whole.validate(&json!({"book": {"id": "x"}})).is_ok());
        assert!(whole.validate(&json!({"book": {"id": 1}})).is_err());
        let book = SchemaValidator::new(&document, "/$defs/common.json/$defs/Book");
        assert!(book.validate(&json!({"id": "x"})).is_ok());
        assert!(book.validate(&json!({"id": 1})).is_err());
    }

    /// The derives hand over pointers to definitions whose names a URI fragment cannot hold
    /// as they are (`%`, a space, non-ASCII) or that JSON pointers escape (`~1`).
    #[test]
    fn validates_subschemas_whose_pointers_need_escaping() {
        let document = json!({
            "$defs": {
                "100% off": {"type": "object", "required": ["code"]},
                "from/to": {"type": "object", "required": ["from"]},
                "prix€": {"type": "object", "required": ["amount"]}
            }
        })
        .to_string();
        for (pointer, required) in [
            ("/$defs/100% off", "code"),
            ("/$defs/from~1to", "from"),
            ("/$defs/prix€", "amount"),
        ] {
            let validator = SchemaValidator::new(&document, pointer);
            assert!(
                validator.validate(&json!({required: 1})).is_ok(),
                "{pointer}: {validator:?}"
            );
            let error = validator
                .validate(&json!({}))
                .expect_err("a required property is missing");
            assert!(error.to_string().contains(required), "{pointer}: {error}");
        }
        assert_eq!(fragment_of("/$defs/100% off"), "/$defs/100%25%20off");
    }

    #[test]
    fn const_string_equality() {
        assert!(__private::str_eq("/properties/book", "/properties/book"));
        assert!(!__private::str_eq("/properties/book", "/properties/boo"));
        assert!(!__private::str_eq("a", "b"));
    }
}
