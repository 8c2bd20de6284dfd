//! A Distributed Map's run against an [`ObjectStore`](crate::ObjectStore): items read by its
//! `ItemReader`, grouped by its `ItemBatcher`, results written by its `ResultWriter`, as AWS
//! documents them (input-output-itemreader.html, input-output-itembatcher.html,
//! input-output-resultwriter.html under <https://docs.aws.amazon.com/step-functions/latest/dg/>).

use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::ObjectStore;
use crate::error::Failure;
use crate::objects::{content_items, inventory_items, listing_items};
use crate::plan::{BatcherPlan, ReaderPlan, WriterPlan};
use orderflow_model::asl::error_names::names;
use orderflow_model::asl::model::Resource;
use orderflow_model::asl::timestamp::format_timestamp;

use super::{Runtime, StateFrame, compact, runtime_error};

/// The most bytes a batch's input holds when `MaxInputBytesPerBatch` is not given (256 KiB).
const MAX_BATCH_BYTES: u64 = 256 * 1024;

/// Reads the items of `reader` from the object store, when its resource is one of S3's.
/// `None`: the reader is for the task binding.
pub(super) fn store_items(
    store: &Arc<dyn ObjectStore>,
    reader: &ReaderPlan,
    parameters: &Value,
) -> Option<Result<Vec<Value>, Failure>> {
    let Resource::Opaque(arn) = &reader.resource else {
        return None;
    };
    let text = |key: &str| parameters.get(key).and_then(Value::as_str).unwrap_or("");
    let read =
        match arn.as_str() {
            "arn:aws:states:::s3:getObject" => store
                .get_object(text("Bucket"), text("Key"))
                .and_then(|content| {
                    if reader.config.reads_s3_inventory() {
                        inventory_items(store.as_ref(), text("Bucket"), &content)
                    } else {
                        content_items(&content, &reader.config)
                    }
                }),
            "arn:aws:states:::s3:listObjectsV2" => store
                .list_objects(text("Bucket"), text("Prefix"))
                .and_then(|objects| {
                    if reader.config.transformation.as_deref() != Some("LOAD_AND_FLATTEN") {
                        return Ok(listing_items(&objects));
                    }
                    // LOAD_AND_FLATTEN: each listed object is read, and its items are the Map's.
                    let mut items = Vec::new();
                    for object in objects {
                        let content = store.get_object(text("Bucket"), &object.key)?;
                        items.extend(content_items(&content, &reader.config)?);
                    }
                    Ok(items)
                }),
            _ => return None,
        };
    Some(read.map_err(|cause| Failure::new(names::ITEM_READER_FAILED, cause)))
}

impl Runtime<'_> {
    /// Groups `items` into the batches `batcher` describes: `{"Items": [...]}`, with
    /// `"BatchInput"` beside them when given (nested, as AWS hands them to each child).
    pub(super) fn batches(
        &mut self,
        batcher: &BatcherPlan,
        frame: &StateFrame,
        input: &Value,
        items: Vec<Value>,
    ) -> Result<Vec<Value>, Failure> {
        let limit = |rt: &mut Self, value: Option<u64>, path: &Option<_>, field: &str| match path {
            Some(p) => {
                let env = rt.env(input, frame);
                let found = env.select_path(p).map(|c| c.into_owned()).ok();
                found
                    .and_then(|v| v.as_u64())
                    .filter(|n| *n > 0)
                    .map(Some)
                    .ok_or_else(|| {
                        runtime_error(
                            frame,
                            format!("The {field}Path field must point to a positive integer"),
                        )
                    })
            }
            None => Ok(value),
        };
        let max_items = limit(
            self,
            batcher.max_items,
            &batcher.max_items_path,
            "MaxItemsPerBatch",
        )?;
        let max_bytes = limit(
            self,
            batcher.max_bytes,
            &batcher.max_bytes_path,
            "MaxInputBytesPerBatch",
        )?
        .unwrap_or(MAX_BATCH_BYTES);
        let batch_input = match &batcher.batch_input {
            Some(template) => Some(self.env(input, frame).payload(template)?),
            None => None,
        };
        let wrap = |items: Vec<Value>| {
            let mut batch = Map::new();
            if let Some(b) = &batch_input {
                batch.insert("BatchInput".into(), b.clone());
            }
            batch.insert("Items".into(), Value::Array(items));
            Value::Object(batch)
        };
        let mut batches = Vec::new();
        let mut current: Vec<Value> = Vec::new();
        let mut bytes = 0u64;
        for item in items {
            let size = compact(&item).len() as u64 + 1;
            let full = max_items.is_some_and(|m| current.len() as u64 >= m)
                || (!current.is_empty() && bytes + size > max_bytes);
            if full {
                batches.push(wrap(std::mem::take(&mut current)));
                bytes = 0;
            }
            bytes += size;
            current.push(item);
        }
        if !current.is_empty() {
            batches.push(wrap(current));
        }
        Ok(batches)
    }

    /// `arn:…:mapRun:<machine>/<state>:<uuid>` and its uuid.
    pub(super) fn map_run_arn(&mut self, state: &str) -> (String, String) {
        let uuid = crate::intrinsics::uuid_v4(self.rng.u128(..).to_le_bytes());
        let identity = self.info.identity;
        let arn = format!(
            "arn:{}:states:{}:{}:mapRun:{}/{state}:{uuid}",
            identity.partition, identity.region, identity.account, identity.state_machine_name
        );
        (arn, uuid)
    }

    /// One child execution's record in the result files, as AWS writes it (Transformation
    /// NONE): input and output as JSON text, dates in ISO 8601.
    pub(super) fn child_record(
        &mut self,
        state: &str,
        input: &Value,
        outcome: &Result<Value, Failure>,
        started_millis: i64,
    ) -> Value {
        let identity = self.info.identity;
        let name = crate::intrinsics::uuid_v4(self.rng.u128(..).to_le_bytes());
        let prefix = format!(
            "arn:{}:states:{}:{}",
            identity.partition, identity.region, identity.account
        );
        let machine = &identity.state_machine_name;
        let mut record = json!({
            "ExecutionArn": format!("{prefix}:execution:{machine}/{state}:{name}"),
            "Input": compact(input),
            "InputDetails": {"Included": true},
            "Name": name,
        });
        let fields = match outcome {
            Ok(output) => json!({
                "Output": compact(output),
                "OutputDetails": {"Included": true},
                "RedriveCount": 0,
                "RedriveStatus": "NOT_REDRIVABLE",
                "RedriveStatusReason": "Execution is SUCCEEDED and cannot be redriven",
                "Status": "SUCCEEDED",
            }),
            Err(f) => json!({
                "Error": f.error,
                "Cause": f.cause,
                "RedriveCount": 0,
                "RedriveStatus": "REDRIVABLE_BY_MAP_RUN",
                "Status": "FAILED",
            }),
        };
        if let (Value::Object(r), Value::Object(f)) = (&mut record, fields) {
            r.extend(f);
            r.insert(
                "StartDate".into(),
                Value::String(format_timestamp(started_millis)),
            );
            r.insert(
                "StateMachineArn".into(),
                Value::String(format!("{prefix}:stateMachine:{machine}/{state}")),
            );
            r.insert(
                "StopDate".into(),
                Value::String(format_timestamp(self.clock.now_millis())),
            );
        }
        record
    }
}

/// Writes the result files of a Map Run under `Prefix/<uuid>/` (`SUCCEEDED_0.json`,
/// `FAILED_0.json`, `manifest.json`) and returns the Map state's output:
/// `{"MapRunArn", "ResultWriterDetails": {"Bucket", "Key"}}`.
pub(super) fn write_results(
    store: &Arc<dyn ObjectStore>,
    parameters: &Value,
    (arn, uuid): (&str, &str),
    records: Vec<Value>,
) -> Result<Value, Failure> {
    let failed = |cause: String| Failure::new(names::RESULT_WRITER_FAILED, cause);
    let bucket = parameters
        .get("Bucket")
        .and_then(Value::as_str)
        .ok_or_else(|| failed("the ResultWriter's Parameters give no Bucket".to_owned()))?;
    let prefix = parameters
        .get("Prefix")
        .and_then(Value::as_str)
        .unwrap_or("");
    let folder = match prefix {
        "" => uuid.to_owned(),
        p if p.ends_with('/') => format!("{p}{uuid}"),
        p => format!("{p}/{uuid}"),
    };
    let (succeeded, failed_records): (Vec<Value>, Vec<Value>) = records
        .into_iter()
        .partition(|r| r.get("Status").and_then(Value::as_str) == Some("SUCCEEDED"));
    let mut files = json!({"FAILED": [], "PENDING": [], "SUCCEEDED": []});
    for (kind, records) in [("SUCCEEDED", succeeded), ("FAILED", failed_records)] {
        if records.is_empty() {
            continue;
        }
        let key = format!("{folder}/{kind}_0.json");
        let body = serde_json::to_vec(&records).unwrap_or_default();
        store.put_object(bucket, &key, &body).map_err(failed)?;
        if let Some(list) = files.get_mut(kind).and_then(Value::as_array_mut) {
            list.push(json!({"Key": key, "Size": body.len()}));
        }
    }
    let manifest_key = format!("{folder}/manifest.json");
    let manifest = json!({
        "DestinationBucket": bucket,
        "MapRunArn": arn,
        "ResultFiles": files,
    });
    let body = serde_json::to_vec(&manifest).unwrap_or_default();
    store
        .put_object(bucket, &manifest_key, &body)
        .map_err(failed)?;
    Ok(json!({
        "MapRunArn": arn,
        "ResultWriterDetails": {"Bucket": bucket, "Key": manifest_key},
    }))
}

/// Whether the Map state writes its results to the object store.
pub(super) fn writes_results<'p>(
    writer: Option<&'p WriterPlan>,
    store: Option<&Arc<dyn ObjectStore>>,
) -> Option<&'p WriterPlan> {
    writer.filter(|w| store.is_some() && w.resource == "arn:aws:states:::s3:putObject")
}
