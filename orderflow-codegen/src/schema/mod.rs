//! JSON Schemas of a workflow folder: loading, meta-validation, `$ref` resolution, shapes.
