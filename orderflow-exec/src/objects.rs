//! Where a Distributed Map reads its items (`ItemReader`) and writes its results
//! (`ResultWriter`): S3 on AWS, an [`ObjectStore`] here. [`S3Dir`] stands a local folder in for
//! S3 (`run --s3-dir DIR`: `s3://bucket/key` is `DIR/bucket/key`).
//!
//! How an object's content becomes items follows the `ReaderConfig` AWS documents
//! (<https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html>): a JSON
//! array, JSON Lines, CSV with its header row or `CSVHeaders`, or a `listObjectsV2` listing.

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
    let text = std::str::from_utf8(content).map_err(|_| "the object is not UTF-8 text")?;
    match config.input_type.as_deref().unwrap_or("JSON") {
        "JSON" => match serde_json::from_str::<Value>(text) {
            Ok(Value::Array(items)) => Ok(items),
            Ok(_) => Err("the JSON object holds no JSON array".to_owned()),
            Err(e) => Err(format!("the object is not JSON: {e}")),
        },
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
            Some("the JSON object holds no JSON array")
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
