//! A Distributed Map run by `orderflow-codegen run --s3-dir DIR`, a local folder standing in for
//! S3: a CSV `ItemReader`, an `ItemBatcher`, a `ResultWriter` whose files follow AWS's documented
//! layout (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html),
//! a tolerated-failure threshold
//! (https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html), and an S3
//! inventory as the item source
//! (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html).

// A test fails by panicking: unwrap and expect say where (the workspace denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Value, json};

mod support;
use support::codegen_in;

/// `run DEFINITION --input INPUT --s3-dir DIR --history` in `dir`; the result as JSON.
fn run(dir: &Path, definition: &Value, input: &Value) -> Value {
    std::fs::write(dir.join("map.asl.json"), definition.to_string()).unwrap();
    std::fs::write(dir.join("input.json"), input.to_string()).unwrap();
    let output = codegen_in(
        dir,
        &[
            "run",
            "map.asl.json",
            "--input",
            "input.json",
            "--s3-dir",
            "s3",
            "--history",
        ],
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn event_types(result: &Value) -> Vec<&str> {
    result["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn csv_items_in_batches_and_results_written_as_aws_lays_them_out() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("s3/orders/in")).unwrap();
    std::fs::write(
        dir.join("s3/orders/in/orders.csv"),
        "orderId,quantity\no-1,2\no-2,1\n\"o-3, gift\",5\n",
    )
    .unwrap();
    let definition = json!({
        "StartAt": "Each",
        "States": {"Each": {
            "Type": "Map", "End": true,
            "ItemReader": {
                "Resource": "arn:aws:states:::s3:getObject",
                "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
                "Parameters": {"Bucket": "orders", "Key.$": "$.key"}
            },
            "ItemBatcher": {"MaxItemsPerBatch": 2, "BatchInput": {"run.$": "$.run"}},
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Count",
                "States": {"Count": {"Type": "Pass", "End": true,
                    "Parameters": {"orders.$": "States.ArrayLength($.Items)", "run.$": "$.BatchInput.run"}}}
            },
            "ResultWriter": {
                "Resource": "arn:aws:states:::s3:putObject",
                "Parameters": {"Bucket": "results", "Prefix": "checkout"}
            }
        }}
    });
    let result = run(
        dir,
        &definition,
        &json!({"key": "in/orders.csv", "run": "r-7"}),
    );
    assert_eq!(result["status"], "SUCCEEDED", "{result:#}");

    // The state's output names the Map Run and its manifest.
    let output = &result["output"];
    let arn = output["MapRunArn"].as_str().unwrap();
    let uuid = arn.rsplit(':').next().unwrap();
    assert!(
        arn.starts_with("arn:aws:states:us-east-1:123456789012:mapRun:map/Each:"),
        "{arn}"
    );
    let key = format!("checkout/{uuid}/manifest.json");
    assert_eq!(
        output["ResultWriterDetails"],
        json!({"Bucket": "results", "Key": key})
    );

    // manifest.json: the destination, the Map Run and each result file with its size.
    let folder = dir.join("s3/results/checkout").join(uuid);
    let manifest = read_json(&folder.join("manifest.json"));
    let succeeded_key = format!("checkout/{uuid}/SUCCEEDED_0.json");
    let size = std::fs::metadata(folder.join("SUCCEEDED_0.json"))
        .unwrap()
        .len();
    assert_eq!(
        manifest,
        json!({
            "DestinationBucket": "results",
            "MapRunArn": arn,
            "ResultFiles": {"FAILED": [], "PENDING": [], "SUCCEEDED": [{"Key": succeeded_key, "Size": size}]}
        })
    );

    // SUCCEEDED_0.json: one record per child execution (a batch), with AWS's fields; input and
    // output as JSON text. CSV values are strings; the batch input is nested.
    let records = read_json(&folder.join("SUCCEEDED_0.json"));
    let records = records.as_array().unwrap();
    assert_eq!(records.len(), 2, "3 items in batches of 2");
    let fields: BTreeSet<&str> = records[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let aws_fields: BTreeSet<&str> = [
        "ExecutionArn",
        "Input",
        "InputDetails",
        "Name",
        "Output",
        "OutputDetails",
        "RedriveCount",
        "RedriveStatus",
        "RedriveStatusReason",
        "StartDate",
        "StateMachineArn",
        "Status",
        "StopDate",
    ]
    .into();
    assert_eq!(fields, aws_fields);
    let input: Value = serde_json::from_str(records[0]["Input"].as_str().unwrap()).unwrap();
    assert_eq!(
        input,
        json!({"BatchInput": {"run": "r-7"}, "Items": [
            {"orderId": "o-1", "quantity": "2"}, {"orderId": "o-2", "quantity": "1"}]})
    );
    let second: Value = serde_json::from_str(records[1]["Input"].as_str().unwrap()).unwrap();
    assert_eq!(
        second["Items"],
        json!([{"orderId": "o-3, gift", "quantity": "5"}])
    );
    let outputs: Vec<Value> = records
        .iter()
        .map(|r| serde_json::from_str(r["Output"].as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(
        outputs,
        [
            json!({"orders": 2, "run": "r-7"}),
            json!({"orders": 1, "run": "r-7"})
        ]
    );
    assert_eq!(records[0]["Status"], "SUCCEEDED");
    assert_eq!(records[0]["InputDetails"], json!({"Included": true}));

    // The parent's history has the Map Run, not the children's iterations.
    let types = event_types(&result);
    let map_events: Vec<&str> = types
        .iter()
        .copied()
        .filter(|t| t.starts_with("Map"))
        .collect();
    assert_eq!(
        map_events,
        [
            "MapStateEntered",
            "MapStateStarted",
            "MapRunStarted",
            "MapRunSucceeded",
            "MapStateSucceeded",
            "MapStateExited"
        ]
    );
}

/// A JSON Lines object, a listing, and ToleratedFailureCount: one failure more than tolerated
/// fails the Map with States.ExceedToleratedFailureThreshold, and the FAILED records are
/// written beside the SUCCEEDED ones when it is tolerated.
#[test]
fn tolerated_failures_and_the_threshold_crossed_by_one_item() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("s3/data")).unwrap();
    let definition = |tolerated: u64| {
        json!({
            "StartAt": "Each",
            "States": {
                "Each": {
                    "Type": "Map", "Next": "Done", "ToleratedFailureCount": tolerated,
                    "ItemReader": {
                        "Resource": "arn:aws:states:::s3:getObject",
                        "ReaderConfig": {"InputType": "JSONL"},
                        "Parameters": {"Bucket": "data", "Key": "items.jsonl"}
                    },
                    "ItemProcessor": {
                        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                        "StartAt": "Check",
                        "States": {
                            "Check": {"Type": "Choice", "Default": "Ok",
                                "Choices": [{"Variable": "$.ok", "BooleanEquals": false, "Next": "Broken"}]},
                            "Ok": {"Type": "Succeed"},
                            "Broken": {"Type": "Fail", "Error": "BadItem", "Cause": "not ok"}
                        }
                    },
                    "ResultWriter": {
                        "Resource": "arn:aws:states:::s3:putObject",
                        "Parameters": {"Bucket": "data", "Prefix": "out/"}
                    },
                    "Catch": [{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Next": "TooMany"}]
                },
                "Done": {"Type": "Succeed"},
                "TooMany": {"Type": "Pass", "End": true}
            }
        })
    };
    std::fs::write(
        dir.join("s3/data/items.jsonl"),
        "{\"ok\": true}\n{\"ok\": false}\n{\"ok\": true}\n{\"ok\": false}\n",
    )
    .unwrap();
    // Two failures, two tolerated: the Map succeeds and writes both kinds of record.
    let result = run(dir, &definition(2), &json!({}));
    assert_eq!(result["status"], "SUCCEEDED");
    let key = result["output"]["ResultWriterDetails"]["Key"]
        .as_str()
        .unwrap();
    assert!(
        key.starts_with("out/") && key.ends_with("/manifest.json"),
        "{key}"
    );
    let manifest = read_json(&dir.join("s3/data").join(key));
    let failed = &manifest["ResultFiles"]["FAILED"][0]["Key"];
    let records = read_json(&dir.join("s3/data").join(failed.as_str().unwrap()));
    assert_eq!(records.as_array().map(Vec::len), Some(2));
    assert_eq!(records[0]["Error"], "BadItem");
    assert_eq!(records[0]["RedriveStatus"], "REDRIVABLE_BY_MAP_RUN");
    assert!(records[0].get("Output").is_none());
    let types = event_types(&result);
    assert!(types.contains(&"MapRunSucceeded"), "{types:?}");

    // One tolerated: the second failure crosses the threshold.
    let result = run(dir, &definition(1), &json!({}));
    assert_eq!(result["status"], "SUCCEEDED");
    assert_eq!(
        result["output"],
        json!({"Error": "States.ExceedToleratedFailureThreshold",
               "Cause": "The specified tolerated failure threshold was exceeded"})
    );
    let types = event_types(&result);
    let failed_at = types.iter().position(|t| *t == "MapRunFailed");
    let state_failed_at = types.iter().position(|t| *t == "MapStateFailed");
    assert!(
        failed_at.is_some() && failed_at < state_failed_at,
        "{types:?}"
    );

    // A listing of the bucket: one item per object, with S3's fields.
    let definition = json!({
        "StartAt": "Each",
        "States": {"Each": {
            "Type": "Map", "End": true,
            "ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2",
                           "Parameters": {"Bucket": "data", "Prefix": "items"}},
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Key", "States": {"Key": {"Type": "Pass", "End": true}}}
        }}
    });
    let result = run(dir, &definition, &json!({}));
    let items = result["output"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    let fields: BTreeSet<&str> = items[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        fields,
        ["Etag", "Key", "LastModified", "Size", "StorageClass"].into()
    );
    assert_eq!(items[0]["Key"], "items.jsonl");
    let size = std::fs::metadata(dir.join("s3/data/items.jsonl"))
        .unwrap()
        .len();
    assert_eq!(items[0]["Size"], size);
    assert!(
        items[0]["LastModified"].is_u64(),
        "epoch seconds, as AWS gives them"
    );
}

/// An S3 inventory as S3 writes it (a `manifest.json` naming the schema and gzipped CSV files
/// without a header row, in the destination bucket) read by `ManifestType: S3_INVENTORY`: each
/// row is one child's item, keyed by the schema, every value a string.
#[test]
fn an_s3_inventory_manifest_gives_one_item_per_listed_object() {
    use std::io::Write as _;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let data = dir.join("s3/inventory/photos/daily/data");
    std::fs::create_dir_all(&data).unwrap();
    let rows = [
        "\"photos\",\"2024/a.jpg\",\"34910\"\n\"photos\",\"2024/b.jpg\",\"120\"\n",
        "\"photos\",\"2024/c.jpg\",\"7\"\n",
    ];
    let mut files = Vec::new();
    for (n, text) in rows.iter().enumerate() {
        let key = format!("photos/daily/data/part-{n}.csv.gz");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(text.as_bytes()).unwrap();
        std::fs::write(dir.join("s3/inventory").join(&key), gz.finish().unwrap()).unwrap();
        files.push(json!({"key": key, "size": 1, "MD5checksum": "-"}));
    }
    std::fs::create_dir_all(dir.join("s3/inventory/photos/daily/2024-01-01T00-00Z")).unwrap();
    std::fs::write(
        dir.join("s3/inventory/photos/daily/2024-01-01T00-00Z/manifest.json"),
        json!({
            "sourceBucket": "photos",
            "destinationBucket": "arn:aws:s3:::inventory",
            "version": "2016-11-30",
            "fileFormat": "CSV",
            "fileSchema": "Bucket, Key, Size",
            "files": files
        })
        .to_string(),
    )
    .unwrap();
    let definition = json!({
        "StartAt": "Each",
        "States": {"Each": {
            "Type": "Map", "End": true,
            "ItemReader": {
                "Resource": "arn:aws:states:::s3:getObject",
                "ReaderConfig": {"ManifestType": "S3_INVENTORY"},
                "Parameters": {"Bucket": "inventory", "Key": "photos/daily/2024-01-01T00-00Z/manifest.json"}
            },
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Size",
                "States": {"Size": {"Type": "Pass", "End": true,
                    "Parameters": {"key.$": "$.Key", "bytes.$": "States.StringToJson($.Size)"}}}
            }
        }}
    });
    let result = run(dir, &definition, &json!({}));
    assert_eq!(result["status"], "SUCCEEDED", "{result:#}");
    assert_eq!(
        result["output"],
        json!([
            {"key": "2024/a.jpg", "bytes": 34910},
            {"key": "2024/b.jpg", "bytes": 120},
            {"key": "2024/c.jpg", "bytes": 7}
        ])
    );
}

/// `listObjectsV2` with `Transformation: LOAD_AND_FLATTEN`: each listed object is read as its
/// `InputType` says, and the items of all of them are the Map's, in key order
/// (input-output-itemreader.html).
#[test]
fn listed_objects_loaded_and_flattened_into_one_list_of_items() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("s3/logs/2024")).unwrap();
    std::fs::write(dir.join("s3/logs/2024/a.jsonl"), "{\"n\": 1}\n{\"n\": 2}\n").unwrap();
    std::fs::write(dir.join("s3/logs/2024/b.jsonl"), "{\"n\": 3}\n").unwrap();
    std::fs::write(dir.join("s3/logs/other.jsonl"), "{\"n\": 99}\n").unwrap();
    let definition = json!({
        "StartAt": "Each",
        "States": {"Each": {
            "Type": "Map", "End": true,
            "ItemReader": {
                "Resource": "arn:aws:states:::s3:listObjectsV2",
                "ReaderConfig": {"InputType": "JSONL", "Transformation": "LOAD_AND_FLATTEN"},
                "Parameters": {"Bucket": "logs", "Prefix": "2024/"}
            },
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Keep",
                "States": {"Keep": {"Type": "Pass", "End": true}}
            }
        }}
    });
    let result = run(dir, &definition, &json!({}));
    assert_eq!(result["status"], "SUCCEEDED", "{result:#}");
    assert_eq!(result["output"], json!([{"n": 1}, {"n": 2}, {"n": 3}]));
}
