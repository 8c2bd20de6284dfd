//! A Map state's run settings beyond the iterator: `ItemReader` (and its `ReaderConfig`),
//! `ItemBatcher`, `ResultWriter`, and the pairs of a value and its `…Path` that exclude each
//! other (`ToleratedFailureCount`/`ToleratedFailureCountPath`, …).
//!
//! The rules are the ones AWS documents or answers with (`There should only be one of the
//! following fields: [MaxItems, MaxItemsPath]`, `Maximum value is 100000000`); where AWS may
//! accept more than the documentation lists (`ReaderConfig` keys, `InputType` values), nothing
//! is reported.

use crate::asl::model::{ItemBatcher, PayloadTemplate, QueryLanguage, ResultWriter};
use crate::diagnostic::Code;
use crate::json::Json;

use super::{Obj, Parser};

/// The largest `ReaderConfig.MaxItems` AWS accepts.
pub(super) const MAX_READER_ITEMS: u64 = 100_000_000;
/// The largest `ItemBatcher.MaxInputBytesPerBatch` AWS accepts (256 KiB).
pub(super) const MAX_BATCH_BYTES: u64 = 262_144;

/// The Map fields given either as a value or read from the input with a `…Path`, never both.
const MAP_EXCLUSIVE: &[(&str, &str)] = &[
    ("MaxConcurrency", "MaxConcurrencyPath"),
    ("ToleratedFailureCount", "ToleratedFailureCountPath"),
    (
        "ToleratedFailurePercentage",
        "ToleratedFailurePercentagePath",
    ),
];

impl Parser<'_> {
    /// Checks the Map fields of `obj` other than the iterator and the item selection; returns
    /// its `ItemBatcher` and `ResultWriter` as the executor needs them (JSONPath states).
    pub(super) fn map_run_config(
        &mut self,
        obj: Obj<'_>,
        ql: QueryLanguage,
    ) -> (Option<ItemBatcher>, Option<ResultWriter>) {
        for (key, path_key) in MAP_EXCLUSIVE {
            self.exclusive(obj, key, path_key);
        }
        if let Some(json) = obj.get("ItemReader") {
            self.item_reader_fields(json, &obj.child("ItemReader"), ql);
        }
        let batcher = obj
            .get("ItemBatcher")
            .and_then(|json| self.item_batcher_fields(json, &obj.child("ItemBatcher"), ql));
        let mut writer = None;
        if let Some(json) = obj.get("ResultWriter") {
            let pointer = obj.child("ResultWriter");
            if let Some(w) = self.object(json, &pointer, "`ResultWriter`") {
                self.check_fields(
                    w,
                    &["Resource", "Parameters", "Arguments", "WriterConfig"],
                    "`ResultWriter`",
                    Some(ql),
                );
                self.string(w, "Resource");
                if let Some(c) = w.get("WriterConfig") {
                    self.object(c, &w.child("WriterConfig"), "`WriterConfig`");
                }
                let parameters = self.reader_writer_arguments(w, ql);
                writer = w
                    .get("Resource")
                    .and_then(Json::as_str)
                    .map(|resource| ResultWriter {
                        resource: resource.to_owned(),
                        parameters,
                    });
            }
        }
        (batcher, writer)
    }

    /// E0115 when both `key` and `path_key` are given.
    pub(super) fn exclusive(&mut self, obj: Obj<'_>, key: &str, path_key: &str) {
        if obj.has(key) {
            if let Some(m) = obj.member(path_key) {
                self.error(
                    Code::InvalidValue,
                    &obj.child(path_key),
                    m.key_span,
                    format!("`{key}` and `{path_key}` cannot both be given"),
                );
            }
        }
    }

    fn item_reader_fields(&mut self, json: &Json, pointer: &str, ql: QueryLanguage) {
        let Some(r) = self.object(json, pointer, "`ItemReader`") else {
            return;
        };
        self.check_fields(
            r,
            &["Resource", "ReaderConfig", "Parameters", "Arguments"],
            "`ItemReader`",
            Some(ql),
        );
        if self.require(r, "Resource", "`ItemReader`").is_some() {
            self.string(r, "Resource");
        }
        let _ = self.reader_writer_arguments(r, ql);
        let Some(config) = r.get("ReaderConfig") else {
            return;
        };
        let config_pointer = r.child("ReaderConfig");
        let Some(c) = self.object(config, &config_pointer, "`ReaderConfig`") else {
            return;
        };
        self.exclusive(c, "MaxItems", "MaxItemsPath");
        self.bounded_count(c, "MaxItems", ql, MAX_READER_ITEMS);
        if let Some(headers) = c.get("CSVHeaders") {
            let all_strings = headers
                .as_array()
                .is_some_and(|items| items.iter().all(|h| h.as_str().is_some()));
            if !all_strings {
                self.wrong_type(
                    &c.child("CSVHeaders"),
                    headers,
                    "CSVHeaders",
                    "an array of strings",
                );
            }
        }
    }

    fn item_batcher_fields(
        &mut self,
        json: &Json,
        pointer: &str,
        ql: QueryLanguage,
    ) -> Option<ItemBatcher> {
        let b = self.object(json, pointer, "`ItemBatcher`")?;
        self.check_fields(
            b,
            &[
                "MaxItemsPerBatch",
                "MaxItemsPerBatchPath",
                "MaxInputBytesPerBatch",
                "MaxInputBytesPerBatchPath",
                "BatchInput",
            ],
            "`ItemBatcher`",
            Some(ql),
        );
        self.exclusive(b, "MaxItemsPerBatch", "MaxItemsPerBatchPath");
        self.exclusive(b, "MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath");
        self.bounded_count(b, "MaxItemsPerBatch", ql, u64::MAX);
        self.bounded_count(b, "MaxInputBytesPerBatch", ql, MAX_BATCH_BYTES);
        let mut batcher = ItemBatcher {
            max_items_per_batch: b
                .get("MaxItemsPerBatch")
                .and_then(Json::as_number)
                .and_then(serde_json::Number::as_u64),
            max_input_bytes_per_batch: b
                .get("MaxInputBytesPerBatch")
                .and_then(Json::as_number)
                .and_then(serde_json::Number::as_u64),
            max_items_per_batch_path: b
                .has("MaxItemsPerBatchPath")
                .then(|| self.path_field(b, "MaxItemsPerBatchPath", true))
                .flatten(),
            max_input_bytes_per_batch_path: b
                .has("MaxInputBytesPerBatchPath")
                .then(|| self.path_field(b, "MaxInputBytesPerBatchPath", true))
                .flatten(),
            batch_input: None,
        };
        if let Some(input) = b.get("BatchInput") {
            let p = b.child("BatchInput");
            if self.object(input, &p, "`BatchInput`").is_some() {
                match ql {
                    QueryLanguage::JsonPath => batcher.batch_input = Some(self.payload(input, &p)),
                    QueryLanguage::Jsonata => self.jsonata_value(input, &p, 0),
                }
            }
        }
        Some(batcher)
    }

    /// The `Parameters` (JSONPath) or `Arguments` (JSONata) of an `ItemReader`/`ResultWriter`;
    /// a writer's JSONPath `Parameters` as a template (a reader's is read by `item_reader`).
    fn reader_writer_arguments(
        &mut self,
        obj: Obj<'_>,
        ql: QueryLanguage,
    ) -> Option<PayloadTemplate> {
        match ql {
            QueryLanguage::JsonPath => {
                if obj.pointer.ends_with("/ResultWriter") {
                    if let Some(p) = obj.get("Parameters") {
                        return Some(self.payload(p, &obj.child("Parameters")));
                    }
                }
                None
            }
            QueryLanguage::Jsonata => {
                if let Some(a) = obj.get("Arguments") {
                    self.jsonata_value(a, &obj.child("Arguments"), 0);
                }
                None
            }
        }
    }

    /// A count from 0 to `max`: a JSON integer, or in JSONata states a `{% %}` string.
    fn bounded_count(&mut self, obj: Obj<'_>, key: &str, ql: QueryLanguage, max: u64) {
        let Some(v) = obj.get(key) else {
            return;
        };
        if let (QueryLanguage::Jsonata, Some(s)) = (ql, v.as_str()) {
            self.jsonata_string(s, v.span, &obj.child(key));
            return;
        }
        self.bounded_integer(obj, key, 0, max);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::asl::parse::{FunctionCatalog, parse_state_machine};
    use crate::diagnostic::Code;
    use crate::source::SourceFile;

    /// The codes and pointers found in a one-Map machine with `fields` added to the Map state.
    fn found(fields: &str) -> Vec<(Code, String)> {
        let text = format!(
            r#"{{"StartAt": "M", "States": {{"M": {{"Type": "Map", "End": true,
                "ItemProcessor": {{"ProcessorConfig": {{"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}},
                    "StartAt": "P", "States": {{"P": {{"Type": "Pass", "End": true}}}}}},
                {fields}}}}}}}"#
        );
        let file: Arc<SourceFile> = SourceFile::new("workflow.asl.json", text);
        let json = match crate::json::parse(file.text()) {
            Ok(json) => json,
            Err(e) => panic!("test definition is not JSON: {}", e.message),
        };
        let mut diagnostics = Vec::new();
        parse_state_machine(&file, &json, &FunctionCatalog::unknown(), &mut diagnostics);
        let mut found: Vec<(Code, String)> = diagnostics
            .iter()
            .map(|d| {
                let pointer = d.location.as_ref().map(|l| l.pointer.clone());
                (d.code, pointer.unwrap_or_default())
            })
            .collect();
        found.sort();
        found
    }

    fn at(code: Code, pointer: &str) -> Vec<(Code, String)> {
        vec![(code, format!("/States/M{pointer}"))]
    }

    /// A value and its `…Path` exclude each other.
    #[test]
    fn a_value_and_its_path_are_exclusive() {
        for (key, path_key) in super::MAP_EXCLUSIVE {
            let both = format!(r#""{key}": 1, "{path_key}": "$.n""#);
            assert_eq!(
                found(&both),
                at(Code::InvalidValue, &format!("/{path_key}")),
                "{key}"
            );
            assert_eq!(found(&format!(r#""{key}": 1"#)), vec![], "{key}");
            assert_eq!(
                found(&format!(r#""{path_key}": "$.n""#)),
                vec![],
                "{path_key}"
            );
        }
        assert_eq!(
            found(r#""ToleratedFailureCount": -1"#),
            at(Code::InvalidValue, "/ToleratedFailureCount")
        );
        assert_eq!(
            found(r#""ToleratedFailurePercentagePath": "$$bad""#),
            at(
                Code::InvalidReferencePath,
                "/ToleratedFailurePercentagePath"
            )
        );
    }

    #[test]
    fn item_reader_fields() {
        let reader = |config: &str| {
            format!(
                r#""ItemReader": {{"Resource": "arn:aws:states:::s3:getObject",
                    "Parameters": {{"Bucket": "b", "Key": "k"}}, "ReaderConfig": {{{config}}}}}"#
            )
        };
        assert_eq!(
            found(&reader(
                r#""InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "MaxItems": 10"#
            )),
            vec![]
        );
        assert_eq!(
            found(&reader(r#""MaxItems": 1, "MaxItemsPath": "$.n""#)),
            at(Code::InvalidValue, "/ItemReader/ReaderConfig/MaxItemsPath")
        );
        assert_eq!(
            found(&reader(r#""MaxItems": 100000001"#)),
            at(Code::InvalidValue, "/ItemReader/ReaderConfig/MaxItems")
        );
        assert_eq!(
            found(&reader(r#""MaxItems": "10""#)),
            at(Code::WrongJsonType, "/ItemReader/ReaderConfig/MaxItems")
        );
        assert_eq!(
            found(&reader(
                r#""CSVHeaderLocation": "GIVEN", "CSVHeaders": ["a", 1]"#
            )),
            at(Code::WrongJsonType, "/ItemReader/ReaderConfig/CSVHeaders")
        );
        assert_eq!(
            found(r#""ItemReader": {"ReaderConfig": {}}"#),
            at(Code::MissingField, "/ItemReader")
        );
        assert_eq!(
            found(
                r#""ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2", "Reader": {}}"#
            ),
            at(Code::UnknownField, "/ItemReader/Reader")
        );
        assert_eq!(
            found(r#""ItemReader": []"#),
            at(Code::WrongJsonType, "/ItemReader")
        );
    }

    #[test]
    fn item_batcher_fields() {
        assert_eq!(
            found(
                r#""ItemBatcher": {"MaxItemsPerBatch": 2, "MaxInputBytesPerBatch": 131072, "BatchInput": {"k.$": "$.v"}}"#
            ),
            vec![]
        );
        assert_eq!(
            found(r#""ItemBatcher": {"MaxItemsPerBatch": 2, "MaxItemsPerBatchPath": "$.n"}"#),
            at(Code::InvalidValue, "/ItemBatcher/MaxItemsPerBatchPath")
        );
        assert_eq!(
            found(r#""ItemBatcher": {"MaxInputBytesPerBatch": 262145}"#),
            at(Code::InvalidValue, "/ItemBatcher/MaxInputBytesPerBatch")
        );
        assert_eq!(
            found(r#""ItemBatcher": {"MaxInputBytesPerBatchPath": "not a path"}"#),
            at(
                Code::InvalidReferencePath,
                "/ItemBatcher/MaxInputBytesPerBatchPath"
            )
        );
        assert_eq!(
            found(r#""ItemBatcher": {"MaxItems": 2}"#),
            at(Code::UnknownField, "/ItemBatcher/MaxItems")
        );
        assert_eq!(
            found(r#""ItemBatcher": {"BatchInput": {"k.$": "v"}}"#),
            at(Code::InvalidPayloadTemplate, "/ItemBatcher/BatchInput/k.$")
        );
    }

    #[test]
    fn result_writer_fields() {
        assert_eq!(
            found(
                r#""ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "b", "Prefix": "p"}}"#
            ),
            vec![]
        );
        assert_eq!(
            found(
                r#""ResultWriter": {"WriterConfig": {"OutputType": "JSON", "Transformation": "NONE"}}"#
            ),
            vec![]
        );
        assert_eq!(
            found(
                r#""ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Bucket": "b"}"#
            ),
            at(Code::UnknownField, "/ResultWriter/Bucket")
        );
        assert_eq!(
            found(r#""ResultWriter": {"Resource": 5}"#),
            at(Code::WrongJsonType, "/ResultWriter/Resource")
        );
        assert_eq!(
            found(
                r#""ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket.$": "bucket"}}"#
            ),
            at(
                Code::InvalidPayloadTemplate,
                "/ResultWriter/Parameters/Bucket.$"
            )
        );
    }

    /// In JSONata states the counts may be `{% %}` expressions, checked as such.
    #[test]
    fn jsonata_counts() {
        let text = r#"{"QueryLanguage": "JSONata", "StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
            "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
            "ItemBatcher": {"MaxItemsPerBatch": "{% 2 %}", "MaxInputBytesPerBatch": "{% 1 + %}"}}}}"#;
        let file: Arc<SourceFile> = SourceFile::new("workflow.asl.json", text.to_string());
        let json = match crate::json::parse(file.text()) {
            Ok(json) => json,
            Err(e) => panic!("test definition is not JSON: {}", e.message),
        };
        let mut diagnostics = Vec::new();
        parse_state_machine(&file, &json, &FunctionCatalog::unknown(), &mut diagnostics);
        let codes: Vec<(Code, Option<&str>)> = diagnostics
            .iter()
            .map(|d| (d.code, d.location.as_ref().map(|l| l.pointer.as_str())))
            .collect();
        assert_eq!(
            codes,
            vec![(
                Code::MalformedJsonata,
                Some("/States/M/ItemBatcher/MaxInputBytesPerBatch")
            )]
        );
    }
}
