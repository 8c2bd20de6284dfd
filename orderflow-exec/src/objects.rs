//! Where a Distributed Map reads its items (`ItemReader`) and writes its results
//! (`ResultWriter`): S3 on AWS, an [`ObjectStore`] here. [`S3Dir`] stands a local folder in for
//! S3 (`run --s3-dir DIR`: `s3://bucket/key` is `DIR/bucket/key`).
//!
//! How an object's content becomes items follows the `ReaderConfig` AWS documents
//! (<https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html>): a JSON
//! array, JSON Lines, CSV with its header row or `CSVHeaders`, a `listObjectsV2` listing, or
//! the CSV files an S3 inventory's `manifest.json` lists. Gzip-compressed objects are read
//! decompressed, as AWS reads them.

use std::io::Read as _;

use std::path::{Component, Path, PathBuf};

use serde_json::{Map, Value, json};

use orderflow_model::asl::model::ReaderConfig;

/// An object of a listing, as `listObjectsV2` gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectSummary {
    /// The object's key.
    pub key: String,
    /// Its size in bytes.
    pub size: u64,
    /// When it last changed, in seconds since the Unix epoch (AWS's items give `LastModified`
    /// as that number).
    pub last_modified: i64,
    /// Its entity tag, quoted as S3 returns it.
    pub etag: String,
}

/// The S3 operations a Distributed Map uses.
pub trait ObjectStore: Send + Sync + std::fmt::Debug {
    /// The object's bytes (`s3:getObject`).
    ///
    /// # Errors
    ///
    /// No such object, or it cannot be read: the message says which.
    fn get_object(&self, bucket: &str, key: &str) -> Result<Vec<u8>, String>;

    /// The objects whose key starts with `prefix`, in key order (`s3:listObjectsV2`).
    ///
    /// # Errors
    ///
    /// No such bucket, or it cannot be listed.
    fn list_objects(&self, bucket: &str, prefix: &str) -> Result<Vec<ObjectSummary>, String>;

    /// Writes an object (`s3:putObject`).
    ///
    /// # Errors
    ///
    /// It cannot be written.
    fn put_object(&self, bucket: &str, key: &str, body: &[u8]) -> Result<(), String>;
}

/// A local folder standing in for S3: bucket `b`, key `k/x.csv` is the file `DIR/b/k/x.csv`.
#[derive(Debug, Clone)]
pub struct S3Dir {
    root: PathBuf,
}

impl S3Dir {
    /// The store rooted at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        S3Dir { root: root.into() }
    }

    /// The file of `bucket`/`key`; `None` for a name that would leave the folder.
    fn path(&self, bucket: &str, key: &str) -> Option<PathBuf> {
        let relative = Path::new(bucket).join(key);
        let inside = !bucket.is_empty()
            && relative
                .components()
                .all(|c| matches!(c, Component::Normal(_)));
        inside.then(|| self.root.join(relative))
    }
}

impl ObjectStore for S3Dir {
    fn get_object(&self, bucket: &str, key: &str) -> Result<Vec<u8>, String> {
        let path = self
            .path(bucket, key)
            .ok_or_else(|| format!("s3://{bucket}/{key} is not a valid object name"))?;
        std::fs::read(&path).map_err(|e| format!("s3://{bucket}/{key} ({}): {e}", path.display()))
    }

    fn list_objects(&self, bucket: &str, prefix: &str) -> Result<Vec<ObjectSummary>, String> {
        let dir = self
            .path(bucket, "")
            .ok_or_else(|| format!("`{bucket}` is not a valid bucket name"))?;
        if !dir.is_dir() {
            return Err(format!(
                "the bucket {bucket} does not exist ({} is no folder)",
                dir.display()
            ));
        }
        let mut found = Vec::new();
        let mut pending = vec![dir.clone()];
        while let Some(folder) = pending.pop() {
            let entries = std::fs::read_dir(&folder)
                .map_err(|e| format!("cannot list {}: {e}", folder.display()))?;
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    pending.push(path);
                    continue;
                }
                let Ok(relative) = path.strip_prefix(&dir) else {
                    continue;
                };
                let key = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                if !key.starts_with(prefix) {
                    continue;
                }
                let metadata = entry
                    .metadata()
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                let modified = metadata
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
                found.push(ObjectSummary {
                    etag: format!("\"{:032x}\"", fnv(&key, metadata.len())),
                    key,
                    size: metadata.len(),
                    last_modified: modified,
                });
            }
        }
        found.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(found)
    }

    fn put_object(&self, bucket: &str, key: &str, body: &[u8]) -> Result<(), String> {
        let path = self
            .path(bucket, key)
            .ok_or_else(|| format!("s3://{bucket}/{key} is not a valid object name"))?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        // Written whole, then renamed: a reader never sees half an object.
        let partial = path.with_extension("partial");
        std::fs::write(&partial, body)
            .and_then(|()| std::fs::rename(&partial, &path))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    }
}

/// A stable stand-in for an ETag (S3's is the MD5 of the content; the listing need not read
/// every file to give one).
fn fnv(key: &str, size: u64) -> u128 {
    let mut hash: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    for byte in key.bytes().chain(size.to_le_bytes()) {
        hash ^= u128::from(byte);
        hash = hash.wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013b);
    }
    hash
}

/// The items of a `listObjectsV2` listing, as AWS hands them to iterations.
pub fn listing_items(objects: &[ObjectSummary]) -> Vec<Value> {
    objects
        .iter()
        .map(|o| {
            json!({
                "Etag": o.etag,
                "Key": o.key,
                "LastModified": o.last_modified,
                "Size": o.size,
                "StorageClass": "STANDARD",
            })
        })
        .collect()
}

/// The items in an object's content, read as `config` says.
///
/// # Errors
///
/// The content is not what `InputType` says, or the type is not one that can be read here.
pub fn content_items(content: &[u8], config: &ReaderConfig) -> Result<Vec<Value>, String> {
    let text = text_of(content, "the object")?;
    let text = text.as_str();
    match config.input_type.as_deref().unwrap_or("JSON") {
        "JSON" => {
            let document = serde_json::from_str::<Value>(text)
                .map_err(|e| format!("the object is not JSON: {e}"))?;
            // `ItemsPointer` selects the array inside the document.
            let selected = match &config.items_pointer {
                Some(pointer) => document.pointer(pointer).ok_or_else(|| {
                    "The provided ReaderConfig.ItemsPointer does not match any valid path in the JSON structure.".to_owned()
                })?,
                None => &document,
            };
            match selected {
                Value::Array(items) => Ok(items.clone()),
                _ => Err("Attempting to map over non-iterable node.".to_owned()),
            }
        }
        "JSONL" => text
            .lines()
            .filter(|line| !line.trim().is_empty())
            .enumerate()
            .map(|(n, line)| {
                serde_json::from_str(line).map_err(|e| format!("line {} is not JSON: {e}", n + 1))
            })
            .collect(),
        "CSV" => csv_items(text, config),
        other => Err(format!(
            "InputType {other} is not read from a local folder (JSON, JSONL and CSV are)"
        )),
    }
}

/// The content as text, gunzipped first when it starts with gzip's magic bytes; `what` names it
/// in the error.
fn text_of(content: &[u8], what: &str) -> Result<String, String> {
    String::from_utf8(decompressed(content)?.into_owned())
        .map_err(|_| format!("{what} is not UTF-8 text"))
}

/// The content, gunzipped when it starts with gzip's magic bytes.
fn decompressed(content: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, String> {
    if !content.starts_with(&[0x1f, 0x8b]) {
        return Ok(std::borrow::Cow::Borrowed(content));
    }
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(content)
        .read_to_end(&mut out)
        .map_err(|e| format!("the object is gzip-compressed but cannot be decompressed: {e}"))?;
    Ok(std::borrow::Cow::Owned(out))
}

/// The items of an S3 inventory: `manifest` is its `manifest.json` (read from `bucket`); each
/// CSV file it lists (in its destination bucket, else `bucket`) gives one item per row, keyed
/// by the manifest's `fileSchema`, every value a string, as AWS documents
/// (<https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html>).
///
/// # Errors
///
/// The manifest is not an inventory manifest, its format is not CSV, or a file cannot be read.
pub fn inventory_items(
    store: &dyn ObjectStore,
    bucket: &str,
    manifest: &[u8],
) -> Result<Vec<Value>, String> {
    let manifest: Value = serde_json::from_slice(&decompressed(manifest)?)
        .map_err(|e| format!("the S3 inventory manifest is not JSON: {e}"))?;
    let format = manifest["fileFormat"].as_str().unwrap_or("CSV");
    if format != "CSV" {
        return Err(format!(
            "the S3 inventory is in {format}; Step Functions reads CSV inventories only"
        ));
    }
    let schema: Vec<String> = manifest["fileSchema"]
        .as_str()
        .ok_or("the S3 inventory manifest has no fileSchema")?
        .split(',')
        .map(|name| name.trim().to_owned())
        .collect();
    // `arn:aws:s3:::bucket`, where S3 wrote the data files.
    let destination = manifest["destinationBucket"]
        .as_str()
        .map(|arn| arn.rsplit(":::").next().unwrap_or(arn))
        .unwrap_or(bucket);
    let files = manifest["files"]
        .as_array()
        .ok_or("the S3 inventory manifest lists no files")?;
    let config = ReaderConfig {
        csv_header_location: Some("GIVEN".into()),
        csv_headers: schema,
        ..ReaderConfig::default()
    };
    let mut items = Vec::new();
    for file in files {
        let key = file["key"]
            .as_str()
            .ok_or("a file of the S3 inventory manifest has no key")?;
        let content = store.get_object(destination, key)?;
        let text = text_of(&content, &format!("the inventory file {key}"))?;
        items.extend(csv_items(&text, &config)?);
    }
    Ok(items)
}

/// CSV rows as objects of strings, keyed by the header row or by `CSVHeaders`.
fn csv_items(text: &str, config: &ReaderConfig) -> Result<Vec<Value>, String> {
    let delimiter = match config.csv_delimiter.as_deref().unwrap_or("COMMA") {
        "COMMA" => b',',
        "PIPE" => b'|',
        "SEMICOLON" => b';',
        "SPACE" => b' ',
        "TAB" => b'\t',
        other => return Err(format!("CSVDelimiter {other} is not one AWS offers")),
    };
    let given = config.csv_header_location.as_deref() == Some("GIVEN");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(!given)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = if given {
        config.csv_headers.clone()
    } else {
        reader
            .headers()
            .map_err(|e| format!("the CSV header row cannot be read: {e}"))?
            .iter()
            .map(str::to_owned)
            .collect()
    };
    let mut items = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("CSV row {} cannot be read: {e}", n + 1))?;
        let mut item = Map::new();
        for (header, field) in headers.iter().zip(record.iter()) {
            item.insert(header.clone(), Value::String(field.to_owned()));
        }
        items.push(Value::Object(item));
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(input_type: &str) -> ReaderConfig {
        ReaderConfig {
            input_type: Some(input_type.to_owned()),
            ..ReaderConfig::default()
        }
    }

    #[test]
    fn csv_rows_become_objects_of_strings() {
        let items = content_items(b"id,qty\nb-1,2\nb-2,5\n", &config("CSV")).unwrap_or_default();
        assert_eq!(
            items,
            [
                json!({"id": "b-1", "qty": "2"}),
                json!({"id": "b-2", "qty": "5"})
            ]
        );
        let given = ReaderConfig {
            csv_header_location: Some("GIVEN".into()),
            csv_headers: vec!["id".into(), "qty".into()],
            csv_delimiter: Some("SEMICOLON".into()),
            ..config("CSV")
        };
        let items = content_items(b"b-1;2\n", &given).unwrap_or_default();
        assert_eq!(items, [json!({"id": "b-1", "qty": "2"})]);
    }

    /// Objects in memory, by (bucket, key).
    #[derive(Debug, Default)]
    struct Memory(std::collections::BTreeMap<(String, String), Vec<u8>>);

    impl ObjectStore for Memory {
        fn get_object(&self, bucket: &str, key: &str) -> Result<Vec<u8>, String> {
            self.0
                .get(&(bucket.to_owned(), key.to_owned()))
                .cloned()
                .ok_or_else(|| format!("no object s3://{bucket}/{key}"))
        }

        fn list_objects(&self, _: &str, _: &str) -> Result<Vec<ObjectSummary>, String> {
            Ok(Vec::new())
        }

        fn put_object(&self, _: &str, _: &str, _: &[u8]) -> Result<(), String> {
            Ok(())
        }
    }

    fn gzip(text: &str) -> Vec<u8> {
        use std::io::Write as _;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(text.as_bytes()).unwrap_or_default();
        encoder.finish().unwrap_or_default()
    }

    /// An inventory as S3 writes it: a manifest naming its schema and gzipped CSV files without
    /// a header row, in the destination bucket; each row is an item of strings, keyed by the
    /// schema (AWS's example item: `{"LastModifiedDate": …, "Bucket": …, "Size": "3399671",
    /// "Key": "csvDataset/titles.csv"}`).
    #[test]
    fn an_s3_inventory_gives_one_item_per_row_of_its_files() {
        let mut store = Memory::default();
        let mut put = |bucket: &str, key: &str, body: Vec<u8>| {
            store.0.insert((bucket.to_owned(), key.to_owned()), body);
        };
        put(
            "inventory",
            "source/daily/data/a.csv.gz",
            gzip("\"source\",\"csvDataset/titles.csv\",\"3399671\",\"2022-11-16T00:29:32.000Z\"\n"),
        );
        put(
            "inventory",
            "source/daily/data/b.csv.gz",
            gzip("\"source\",\"csvDataset/ratings.csv\",\"12\",\"2022-11-17T00:00:00.000Z\"\n"),
        );
        let manifest = json!({
            "sourceBucket": "source",
            "destinationBucket": "arn:aws:s3:::inventory",
            "fileFormat": "CSV",
            "fileSchema": "Bucket, Key, Size, LastModifiedDate",
            "files": [
                {"key": "source/daily/data/a.csv.gz", "size": 1},
                {"key": "source/daily/data/b.csv.gz", "size": 1}
            ]
        });
        let manifest = serde_json::to_vec(&manifest).unwrap_or_default();
        let items = inventory_items(&store, "manifests", &manifest);
        assert_eq!(
            items,
            Ok(vec![
                json!({"Bucket": "source", "Key": "csvDataset/titles.csv", "Size": "3399671",
                       "LastModifiedDate": "2022-11-16T00:29:32.000Z"}),
                json!({"Bucket": "source", "Key": "csvDataset/ratings.csv", "Size": "12",
                       "LastModifiedDate": "2022-11-17T00:00:00.000Z"}),
            ])
        );
        let parquet =
            br#"{"fileFormat": "Parquet", "fileSchema": "message s3.inventory {}", "files": []}"#;
        assert_eq!(
            inventory_items(&store, "manifests", parquet),
            Err("the S3 inventory is in Parquet; Step Functions reads CSV inventories only".into())
        );
        let missing = br#"{"fileSchema": "Bucket, Key", "files": [{"key": "gone.csv.gz"}]}"#;
        assert_eq!(
            inventory_items(&store, "manifests", missing),
            Err("no object s3://manifests/gone.csv.gz".into())
        );
    }

    #[test]
    fn a_gzipped_object_is_read_decompressed() {
        assert_eq!(
            content_items(&gzip("{\"a\": 1}\n{\"a\": 2}\n"), &config("JSONL")),
            Ok(vec![json!({"a": 1}), json!({"a": 2})])
        );
    }

    #[test]
    fn json_and_json_lines() {
        assert_eq!(
            content_items(b"[1, {\"a\": 2}]", &config("JSON")).unwrap_or_default(),
            [json!(1), json!({"a": 2})]
        );
        assert_eq!(
            content_items(b"{\"a\": 1}\n\n{\"a\": 2}\n", &config("JSONL")).unwrap_or_default(),
            [json!({"a": 1}), json!({"a": 2})]
        );
        let error = content_items(b"{\"a\": 1}", &config("JSON")).err();
        assert_eq!(
            error.as_deref(),
            Some("Attempting to map over non-iterable node.")
        );
    }

    /// `ItemsPointer` selects the array inside a JSON object (input-output-itemreader.html); a
    /// pointer to nothing and a node that is no array fail with the causes other emulators give
    /// (LocalStack's code and floci's tests; no AWS recording found).
    #[test]
    fn an_items_pointer_selects_the_array_inside_a_json_object() {
        let pointed = |pointer: &str| ReaderConfig {
            items_pointer: Some(pointer.to_owned()),
            ..config("JSON")
        };
        let document = br#"{"inventory": {"products": {"featured": [{"id": 1}, {"id": 2}]}}}"#;
        assert_eq!(
            content_items(document, &pointed("/inventory/products/featured")),
            Ok(vec![json!({"id": 1}), json!({"id": 2})])
        );
        assert_eq!(
            content_items(document, &pointed("/inventory/missing")),
            Err("The provided ReaderConfig.ItemsPointer does not match any valid path in the JSON structure.".to_owned())
        );
        assert_eq!(
            content_items(document, &pointed("/inventory")),
            Err("Attempting to map over non-iterable node.".to_owned())
        );
    }

    #[test]
    fn a_folder_stands_in_for_s3() {
        let dir = std::env::temp_dir().join(format!("orderflow-s3dir-{}", std::process::id()));
        let store = S3Dir::new(&dir);
        assert!(store.put_object("bucket", "in/a.json", b"[1]").is_ok());
        assert!(store.put_object("bucket", "in/b.json", b"[2, 3]").is_ok());
        assert_eq!(
            store.get_object("bucket", "in/a.json").ok(),
            Some(b"[1]".to_vec())
        );
        let keys: Vec<String> = store
            .list_objects("bucket", "in/")
            .unwrap_or_default()
            .into_iter()
            .map(|o| o.key)
            .collect();
        assert_eq!(keys, ["in/a.json", "in/b.json"]);
        assert!(store.get_object("bucket", "../escape").is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
