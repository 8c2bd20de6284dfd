//! Which JSON Schema keywords orderflow models, which it cannot honour, and which are typos.

use super::Draft;

/// Keywords that need no warning: either modelled by [`Shape`](crate::shape::Shape) or
/// value constraints/annotations that do not change a value's shape.
const SUPPORTED: &[&str] = &[
    "$schema",
    "$id",
    "$comment",
    "$defs",
    "definitions",
    "$ref",
    "title",
    "description",
    "default",
    "examples",
    "deprecated",
    "readOnly",
    "writeOnly",
    "format",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "required",
    "properties",
    "additionalProperties",
    "items",
    "type",
    "enum",
    "const",
    "anyOf",
    "oneOf",
    "allOf",
    "contentEncoding",
    "contentMediaType",
    "contentSchema",
];

/// Keywords of 2020-12 only (draft-07 validators ignore them).
const ONLY_2020_12: &[&str] = &[
    "prefixItems",
    "$anchor",
    "$dynamicAnchor",
    "$dynamicRef",
    "$vocabulary",
    "dependentSchemas",
    "dependentRequired",
    "unevaluatedProperties",
    "unevaluatedItems",
    "minContains",
    "maxContains",
];

/// Keywords of draft-07 only (2020-12 validators ignore them).
const ONLY_DRAFT7: &[&str] = &["additionalItems", "dependencies"];

/// Keywords of 2019-09 only, which neither supported draft knows.
const ONLY_2019_09: &[&str] = &["$recursiveRef", "$recursiveAnchor"];

/// Keywords validators honour but the data-flow check cannot model, and what that means.
const UNSUPPORTED: &[(&str, &str)] = &[
    (
        "patternProperties",
        "properties matching its patterns are treated as `any`",
    ),
    (
        "dependentSchemas",
        "the schemas it applies when a property is present are ignored",
    ),
    (
        "dependentRequired",
        "the properties it requires when another is present are treated as optional",
    ),
    (
        "dependencies",
        "what it requires when a property is present is ignored",
    ),
    ("if", "the conditional schemas are ignored"),
    ("then", "the conditional schemas are ignored"),
    ("else", "the conditional schemas are ignored"),
    ("not", "values it excludes are not excluded"),
    (
        "unevaluatedProperties",
        "properties it covers are treated as `any`",
    ),
    ("unevaluatedItems", "items it covers are treated as `any`"),
    ("$dynamicRef", "values are treated as `any`"),
    ("$recursiveRef", "values are treated as `any`"),
    ("$recursiveAnchor", "it is ignored"),
    ("contains", "array items are not checked against it"),
    (
        "minContains",
        "array items are not checked against `contains`",
    ),
    (
        "maxContains",
        "array items are not checked against `contains`",
    ),
    ("propertyNames", "property names are not checked"),
];

/// The OpenAPI keyword orderflow honours although JSON Schema does not know it.
pub(crate) const NULLABLE: &str = "nullable";

/// Keywords whose values are a single subschema.
pub(crate) const SINGLE_SCHEMA: &[&str] = &[
    "additionalProperties",
    "additionalItems",
    "items",
    "contains",
    "propertyNames",
    "not",
    "if",
    "then",
    "else",
    "unevaluatedProperties",
    "unevaluatedItems",
    "contentSchema",
];

/// Keywords whose values map names to subschemas.
pub(crate) const SCHEMA_MAP: &[&str] = &[
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
    "dependencies",
];

/// Keywords whose values are arrays of subschemas.
pub(crate) const SCHEMA_ARRAY: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems", "items"];

/// Annotations that draft-07 keeps next to `$ref` without complaint (everything else there is
/// ignored by draft-07 validators).
pub(crate) const DRAFT7_REF_SIBLINGS: &[&str] = &[
    "$ref",
    "$id",
    "$schema",
    "$comment",
    "title",
    "description",
    "default",
    "examples",
    "readOnly",
    "writeOnly",
    "deprecated",
    "definitions",
    "$defs",
];

/// How orderflow treats one keyword of a schema object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keyword {
    /// Modelled, or a constraint that does not change the shape.
    Supported,
    /// Honoured by validators, not by the data-flow check; the text says what that means.
    Unsupported(&'static str),
    /// A keyword of another draft, which this draft's validators ignore.
    OtherDraft(&'static str),
    /// `nullable` (OpenAPI).
    Nullable,
    /// `x-…` vendor extensions: deliberate, never warned about.
    Extension,
    /// Not a keyword at all; validators ignore it.
    Unknown,
}

pub(crate) fn classify(draft: Draft, key: &str) -> Keyword {
    if SUPPORTED.contains(&key) {
        return Keyword::Supported;
    }
    if key == NULLABLE {
        return Keyword::Nullable;
    }
    if key.starts_with("x-") {
        return Keyword::Extension;
    }
    let other = match draft {
        Draft::Draft7 if ONLY_2020_12.contains(&key) => Some("2020-12"),
        Draft::Draft202012 if ONLY_DRAFT7.contains(&key) => Some("draft-07"),
        _ if ONLY_2019_09.contains(&key) => Some("2019-09"),
        _ => None,
    };
    if let Some(other) = other {
        return Keyword::OtherDraft(other);
    }
    match draft {
        Draft::Draft7 if key == "additionalItems" => return Keyword::Supported,
        Draft::Draft202012
            if matches!(
                key,
                "prefixItems" | "$anchor" | "$dynamicAnchor" | "$vocabulary"
            ) =>
        {
            return Keyword::Supported;
        }
        _ => {}
    }
    if let Some((_, consequence)) = UNSUPPORTED.iter().find(|(k, _)| *k == key) {
        return Keyword::Unsupported(consequence);
    }
    Keyword::Unknown
}

/// Every keyword spelling worth suggesting for a typo.
fn all_keywords() -> impl Iterator<Item = &'static str> {
    SUPPORTED
        .iter()
        .chain(ONLY_2020_12)
        .chain(ONLY_DRAFT7)
        .copied()
        .chain(UNSUPPORTED.iter().map(|(k, _)| *k))
        .chain(std::iter::once(NULLABLE))
}

/// The keyword `key` most likely misspells, if one is close enough.
pub(crate) fn did_you_mean(draft: Draft, key: &str) -> Option<&'static str> {
    closest(
        key,
        all_keywords().filter(|k| !matches!(classify(draft, k), Keyword::OtherDraft(_))),
    )
}

/// The candidate closest to `word` (case-insensitively), if it is a likely typo.
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    // Long keys are not typos of short keywords; also bounds the quadratic distance.
    if word.chars().count() > 64 {
        return None;
    }
    crate::suggest::closest(word, candidates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_are_close_and_draft_aware() {
        assert_eq!(
            did_you_mean(Draft::Draft202012, "requried"),
            Some("required")
        );
        assert_eq!(
            did_you_mean(Draft::Draft202012, "propertiess"),
            Some("properties")
        );
        assert_eq!(did_you_mean(Draft::Draft7, "Required"), Some("required"));
        assert_eq!(did_you_mean(Draft::Draft7, "ref"), Some("$ref"));
        assert_eq!(
            did_you_mean(Draft::Draft202012, "example"),
            Some("examples")
        );
        assert_eq!(did_you_mean(Draft::Draft202012, "customerName"), None);
        assert_eq!(did_you_mean(Draft::Draft7, "prefixItem"), None);
        assert_eq!(
            did_you_mean(Draft::Draft202012, "prefixItem"),
            Some("prefixItems")
        );
    }

    #[test]
    fn classification_follows_the_draft() {
        assert_eq!(
            classify(Draft::Draft7, "prefixItems"),
            Keyword::OtherDraft("2020-12")
        );
        assert_eq!(
            classify(Draft::Draft202012, "prefixItems"),
            Keyword::Supported
        );
        assert_eq!(
            classify(Draft::Draft7, "additionalItems"),
            Keyword::Supported
        );
        assert_eq!(
            classify(Draft::Draft202012, "additionalItems"),
            Keyword::OtherDraft("draft-07")
        );
        assert!(matches!(
            classify(Draft::Draft7, "dependencies"),
            Keyword::Unsupported(_)
        ));
        assert_eq!(classify(Draft::Draft7, "x-go-type"), Keyword::Extension);
        assert_eq!(classify(Draft::Draft7, "nullable"), Keyword::Nullable);
        assert_eq!(classify(Draft::Draft7, "requried"), Keyword::Unknown);
    }
}
