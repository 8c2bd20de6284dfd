//! Reading the files schemas `$ref` from disk: within the repository only.
// Test set-up on a throwaway folder: a failure to create it is the test failing.
#![allow(clippy::expect_used)]

use std::fs;
use std::path::Path;

use orderflow_model::analyze;
use orderflow_model::workflow::WorkflowSources;

const ASL: &str = r#"{"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}"#;

fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).expect("create folders");
    }
    fs::write(path, text).expect("write file");
}

/// A repository (a folder with `.git`) holding a workflow whose execution input refers to a
/// file inside the repository, one beside it through `..`, and one through a symbolic link:
/// only the first is read, the others are refused by path, with the reason at the reference.
#[test]
fn references_are_read_within_the_repository_and_never_past_it() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let repo = tmp.path().join("repo");
    let outside = tmp.path().join("outside.json");
    write(&outside, r#"{"$defs": {"Id": {"type": "string"}}}"#);
    fs::create_dir_all(repo.join(".git")).expect(".git");
    write(
        &repo.join("shared/types.json"),
        r#"{"$defs": {"Id": {"type": "string"}}}"#,
    );
    let workflow = repo.join("workflows/order");
    write(&workflow.join("workflow.asl.json"), ASL);
    write(
        &workflow.join("schemas/execution.input.json"),
        r#"{"type": "object", "properties": {
            "inside": {"$ref": "../../../shared/types.json#/$defs/Id"},
            "above": {"$ref": "../../../../outside.json#/$defs/Id"},
            "linked": {"$ref": "../types/link.json#/$defs/Id"}}}"#,
    );
    #[cfg(unix)]
    std::os::unix::fs::symlink(&outside, {
        fs::create_dir_all(workflow.join("types")).expect("types");
        workflow.join("types/link.json")
    })
    .expect("symlink");

    let sources = WorkflowSources::read_dir(&workflow).expect("readable");
    let read: Vec<String> = sources
        .referenced
        .keys()
        .map(|p| p.display().to_string())
        .collect();
    assert_eq!(read.len(), 1, "{read:?}");
    assert!(read[0].ends_with("shared/types.json"), "{read:?}");
    assert!(
        sources.refused.keys().any(|p| p.ends_with("outside.json")),
        "{:?}",
        sources.refused
    );

    let analysis = analyze(&sources);
    let refused: Vec<String> = analysis
        .diagnostics
        .iter()
        .filter(|d| d.code.as_str() == "E0202")
        .map(|d| {
            let pointer = d.location.as_ref().map(|l| l.pointer.clone());
            format!("{} {}", pointer.unwrap_or_default(), d.message)
        })
        .collect();
    let expected = if cfg!(unix) { 2 } else { 1 };
    assert_eq!(refused.len(), expected, "{refused:#?}");
    assert!(
        refused.iter().all(|m| m.contains("outside the repository")),
        "{refused:#?}"
    );
    assert!(
        refused[0].starts_with("/properties/above/$ref"),
        "{refused:#?}"
    );
}
