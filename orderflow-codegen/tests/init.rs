//! `orderflow-codegen init` on the two reference workflows, as a team without schemas would run
//! it: executions are recorded in AWS's shape (`run --history-format aws`, with the mock files
//! of `tests/run/`), then `init` makes a folder from the bare ASL file and those histories. The
//! folder must check clean, replay every recorded execution with the same result, and its
//! inferred schemas must agree with the hand-written ones in `definitions/` on the types and
//! required sets of everything the histories exercised (a snapshot shows them side by side).

// A test fails by panicking: unwrap and expect say where (the workspace denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

use serde_json::Value;

mod support;
use support::{codegen, workspace_root};

/// Runs `args` and asserts it exits `code`, showing stderr when not.
fn expect_exit(args: &[&str], code: i32) -> Output {
    let output = codegen(args);
    assert_eq!(
        output.status.code(),
        Some(code),
        "orderflow-codegen {args:?}:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn stdout_json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// (test case of the mock file, example input).
struct Recorded<'a> {
    workflow: &'a str,
    mocks: &'a str,
    cases: &'a [(&'a str, &'a str)],
    /// Also generate the crate and build it.
    build: bool,
}

/// The JSON types a schema allows, as a sorted list (`integer` counts as `number`'s subtype,
/// so an inferred `integer` agrees with a hand-written `number`).
fn types_of(schema: &Value) -> Vec<String> {
    let mut types: Vec<String> = match &schema["type"] {
        Value::String(t) => vec![t.clone()],
        Value::Array(ts) => ts
            .iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    types.sort();
    types
}

fn agree(inferred: &[String], written: &[String]) -> bool {
    inferred
        .iter()
        .all(|t| written.contains(t) || (t == "integer" && written.iter().any(|w| w == "number")))
        && !inferred.is_empty()
}

/// Compares an inferred schema with the hand-written one, property by property, where the
/// histories observed the property; returns the report lines and the disagreements.
fn compare(
    path: &str,
    inferred: &Value,
    written: &Value,
    written_root: &Value,
    lines: &mut Vec<String>,
    problems: &mut Vec<String>,
) {
    let written = resolve(written, written_root);
    let (it, wt) = (types_of(inferred), types_of(written));
    if !it.is_empty() {
        let ok = agree(&it, &wt);
        lines.push(format!(
            "{path}: inferred {} | written {}{}",
            it.join("|"),
            wt.join("|"),
            if ok { "" } else { "  <- differs" }
        ));
        if !ok {
            problems.push(format!("{path}: inferred {it:?}, written {wt:?}"));
        }
    }
    let Some(properties) = inferred["properties"].as_object() else {
        return;
    };
    let required = |s: &Value| -> Vec<String> {
        let mut r: Vec<String> = s["required"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        r.sort();
        r
    };
    let (ir, wr) = (required(inferred), required(written));
    // Required by the hand-written schema and observed: the histories must have seen it always.
    for name in &wr {
        if properties.contains_key(name) && !ir.contains(name) {
            problems.push(format!(
                "{path}.{name}: required when written, optional inferred"
            ));
        }
    }
    lines.push(format!("{path} required: inferred {ir:?} | written {wr:?}"));
    for (name, schema) in properties {
        if schema.get("description").is_some() && schema.get("type").is_none() {
            continue; // never observed
        }
        match written["properties"].get(name) {
            Some(w) => compare(
                &format!("{path}.{name}"),
                schema,
                w,
                written_root,
                lines,
                problems,
            ),
            None => lines.push(format!(
                "{path}.{name}: observed, not in the written schema"
            )),
        }
    }
    if let (Some(items), Some(w)) = (inferred.get("items"), written.get("items")) {
        compare(
            &format!("{path}[]"),
            items,
            w,
            written_root,
            lines,
            problems,
        );
    }
}

/// Follows a local `$ref` of the hand-written schema.
fn resolve<'a>(schema: &'a Value, root: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => root.pointer(r.trim_start_matches('#')).unwrap_or(schema),
        None => schema,
    }
}

/// `generate` on the folder init made, and the crate it writes builds.
fn generated_crate_builds(folder: &Path, name: &str) {
    let out = tempfile::tempdir().expect("temp dir");
    let generate = codegen(&[
        "generate",
        folder.to_str().unwrap(),
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(
        generate.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&generate.stderr)
    );
    support::cargo_check_generated(&out.path().join(name), &[]);
}

fn init_and_replay(recorded: &Recorded<'_>) -> String {
    let tmp = tempfile::tempdir().expect("temp dir");
    let definitions = workspace_root().join("definitions").join(recorded.workflow);
    let asl = tmp.path().join(format!("{}.asl.json", recorded.workflow));
    std::fs::copy(definitions.join("workflow.asl.json"), &asl).unwrap();
    let mocks = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/run")
        .join(recorded.mocks);
    let mut histories = Vec::new();
    let mut results = BTreeMap::new();
    for (case, example) in recorded.cases {
        let input = definitions.join("examples").join(example);
        let common = [
            definitions.to_str().unwrap(),
            "--input",
            input.to_str().unwrap(),
            "--mocks",
            mocks.to_str().unwrap(),
            "--test-case",
            case,
        ];
        let result = codegen(&[&["run"], &common[..]].concat());
        results.insert(*case, stdout_json(&result));
        let history = codegen(&[&["run"], &common[..], &["--history-format", "aws"]].concat());
        let file = tmp.path().join(format!("{case}.json"));
        std::fs::write(&file, &history.stdout).unwrap();
        histories.push(file);
    }
    let out = tmp.path().join(recorded.workflow);
    let mut args = vec![
        "init".to_owned(),
        asl.display().to_string(),
        "--name".into(),
        recorded.workflow.into(),
        "--out".into(),
        out.display().to_string(),
        "--history".into(),
    ];
    args.extend(histories.iter().map(|h| h.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    expect_exit(&args, 0);

    // It checks clean.
    let check = codegen(&["check", out.to_str().unwrap()]);
    let report = String::from_utf8_lossy(&check.stdout).into_owned()
        + &String::from_utf8_lossy(&check.stderr);
    assert_eq!(check.status.code(), Some(0), "{report}");
    assert!(report.contains("0 errors, 0 warnings"), "{report}");

    // Every recorded execution replays with the same result.
    let mock_file = out.join("recorded.mocks.json");
    for (case, expected) in &results {
        let example = out.join("examples").join(format!("{case}.json"));
        let replay = codegen(&[
            "run",
            out.to_str().unwrap(),
            "--input",
            example.to_str().unwrap(),
            "--mocks",
            mock_file.to_str().unwrap(),
            "--test-case",
            case,
        ]);
        assert_eq!(&stdout_json(&replay), expected, "{case}");
    }

    // A second init into the same folder is refused and changes nothing.
    let before = std::fs::read_to_string(out.join("orderflow.json")).unwrap();
    let again = codegen(&args);
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(out.join("orderflow.json")).unwrap(),
        before
    );

    // Inferred beside hand-written.
    let mut lines = Vec::new();
    let mut problems = Vec::new();
    let mut names: Vec<String> = std::fs::read_dir(out.join("schemas"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    names.sort();
    for name in names {
        let inferred = read_json(&out.join("schemas").join(&name));
        let written = read_json(&definitions.join("schemas").join(&name));
        let stem = name.trim_end_matches(".json");
        if inferred.get("type").is_none() && inferred.get("anyOf").is_none() {
            lines.push(format!("{stem}: not observed"));
            continue;
        }
        compare(
            stem,
            &inferred,
            &written,
            &written,
            &mut lines,
            &mut problems,
        );
    }
    assert!(problems.is_empty(), "{problems:#?}\n{}", lines.join("\n"));
    if recorded.build {
        generated_crate_builds(&out, recorded.workflow);
    }
    lines.join("\n")
}

#[test]
fn init_order_status_from_recorded_histories() {
    let report = init_and_replay(&Recorded {
        workflow: "order-status",
        mocks: "order-status.mocks.json",
        cases: &[
            ("Confirmed", "confirmed.json"),
            ("PaymentDeclined", "confirmed.json"),
        ],
        build: true,
    });
    insta::assert_snapshot!(report);
}

#[test]
fn init_store_checkout_from_recorded_histories() {
    let report = init_and_replay(&Recorded {
        workflow: "store-checkout",
        mocks: "store-checkout.mocks.json",
        cases: &[
            ("BillingRetried", "happy-path.json"),
            ("OutOfStock", "out-of-stock.json"),
        ],
        build: true,
    });
    insta::assert_snapshot!(report);
}

/// A history AWS recorded (LocalStack's recording of two Lambda Tasks, in
/// `orderflow-exec/tests/fixtures/aws-history/`, with its placeholders as LocalStack stored
/// them) feeds `init`: the functions' schemas come from what AWS logged.
#[test]
fn init_accepts_a_history_aws_recorded() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let asl = tmp.path().join("pipe.asl.json");
    std::fs::write(
        &asl,
        r#"{
  "StartAt": "step1",
  "States": {
    "step1": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:one", "Next": "step2"},
    "step2": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:two", "ResultPath": "$.Return", "End": true}
  }
}
"#,
    )
    .unwrap();
    let history = workspace_root()
        .join("orderflow-exec/tests/fixtures/aws-history/localstack-lambda-invoke-pipe.json");
    let out = tmp.path().join("pipe");
    expect_exit(
        &[
            "init",
            asl.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--history",
            history.to_str().unwrap(),
            // The same name twice (as from two folders): two test cases.
            history.to_str().unwrap(),
        ],
        0,
    );
    for example in [
        "localstack-lambda-invoke-pipe.json",
        "localstack-lambda-invoke-pipe-2.json",
    ] {
        assert!(out.join("examples").join(example).is_file(), "{example}");
    }
    let two_output = read_json(&out.join("schemas/two.output.json"));
    assert_eq!(two_output["properties"]["Return"]["type"], "string");
    assert_eq!(two_output["required"], serde_json::json!(["Return"]));
    expect_exit(&["check", out.to_str().unwrap()], 0);
}

/// Without histories, sample payloads (`--samples DIR/<function>/*.input.json`, `.output.jsonl`)
/// give the schemas; a function with no sample gets a skeleton of what its Task sends, and the
/// folder still checks clean.
#[test]
fn init_from_sample_payloads() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let asl = tmp.path().join("order-status.asl.json");
    std::fs::copy(
        workspace_root().join("definitions/order-status/workflow.asl.json"),
        &asl,
    )
    .unwrap();
    let samples = tmp.path().join("samples/checkInventory");
    std::fs::create_dir_all(&samples).unwrap();
    std::fs::write(samples.join("a.input.json"), r#"{"orderId": "1"}"#).unwrap();
    std::fs::write(
        samples.join("b.input.json"),
        r#"{"orderId": "2", "rush": true}"#,
    )
    .unwrap();
    std::fs::write(
        samples.join("all.output.jsonl"),
        "{\"orderId\": \"1\", \"inStock\": true}\n\n{\"orderId\": \"2\", \"inStock\": false}\n",
    )
    .unwrap();
    let out = tmp.path().join("order-status");
    let samples_dir = tmp.path().join("samples");
    let init_args = |out: &Path| {
        vec![
            "init".to_owned(),
            asl.display().to_string(),
            "--out".into(),
            out.display().to_string(),
            "--samples".into(),
            samples_dir.display().to_string(),
        ]
    };
    let args = init_args(&out);
    expect_exit(&args.iter().map(String::as_str).collect::<Vec<_>>(), 0);
    let read = |name: &str| read_json(&out.join("schemas").join(name));
    let input = read("checkInventory.input.json");
    assert_eq!(input["required"], serde_json::json!(["orderId"]));
    assert_eq!(input["properties"]["rush"]["type"], "boolean");
    let output = read("checkInventory.output.json");
    assert_eq!(output["properties"]["inStock"]["type"], "boolean");
    assert_eq!(
        output["required"],
        serde_json::json!(["inStock", "orderId"])
    );
    // Never observed: open.
    let payment = read("processPayment.output.json");
    assert!(payment.get("type").is_none(), "{payment}");
    assert!(!out.join("recorded.mocks.json").exists());
    expect_exit(&["check", out.to_str().unwrap()], 0);
    // A sample that is not JSON is an error naming the file and line; nothing is written.
    std::fs::write(
        samples.join("bad.input.jsonl"),
        "{\"orderId\": \"3\"}\n{oops\n",
    )
    .unwrap();
    let again = tmp.path().join("again");
    let args = init_args(&again);
    let bad = expect_exit(&args.iter().map(String::as_str).collect::<Vec<_>>(), 2);
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("bad.input.jsonl:2"), "{stderr}");
    assert!(!again.exists());
}

/// Any input `check` reads will do: a SAM template whose definition is in a `DefinitionUri`
/// file and whose SQS and SNS integrations name their queues and topics through
/// `DefinitionSubstitutions` placeholders; with no execution recorded, the folder still checks
/// clean, and the queues and topics are declared by their placeholders.
#[test]
fn init_reads_a_sam_template() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let template = workspace_root().join("tests/adoption/corpus/sam-yaml-definition-uri-yaml");
    let out = tmp.path().join("curbside");
    expect_exit(
        &[
            "init",
            template.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        0,
    );
    let manifest = read_json(&out.join("orderflow.json"));
    assert_eq!(
        manifest["queues"]["sqsPick"]["placeholder"], "SQSPick",
        "{manifest}"
    );
    assert_eq!(
        manifest["topics"]["snsCustomer"]["placeholder"], "SNSCustomer",
        "{manifest}"
    );
    let definition = std::fs::read_to_string(out.join("workflow.asl.json")).unwrap();
    assert!(definition.contains("${SQSPick}"), "{definition}");
    expect_exit(&["check", out.to_str().unwrap()], 0);
}
