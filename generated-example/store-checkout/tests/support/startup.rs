//! A function binary started outside Lambda, with only the variables given: what it says on
//! standard error and how it ends. Shared by store-checkout's and store-checkout-jsonata's
//! `tests/startup.rs` (through `#[path]`).
//!
//! A binary that gets past `handler()` stops at once too, outside Lambda: lambda_runtime finds
//! none of the variables Lambda sets (`AWS_LAMBDA_FUNCTION_NAME`, …) and says so.

use std::io::Read as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The table name the checks put in the variable.
const TABLE: &str = "orders-table";

/// How a started binary ended.
struct Ended {
    code: Option<i32>,
    stderr: String,
}

fn start(binary: &str, env: &[(&str, &str)]) -> Ended {
    let mut child = Command::new(binary)
        .env_clear()
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{binary} does not start: {e}"));
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            panic!("{binary} is still running after 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    Ended {
        code: status.code(),
        stderr,
    }
}

/// The Lambda binary `binary`, whose store's table is named by `variable`, started with and
/// without the variable: built without the `aws` feature (`aws_feature` false) it refuses to
/// start with the variable set, naming it and the feature; otherwise it gets to the Lambda
/// runtime.
pub fn check(binary: &str, variable: &str, aws_feature: bool) {
    let refusal = format!("error: {variable} is set (to {TABLE:?}), but this binary was built");
    let with = start(binary, &[(variable, TABLE)]);
    if aws_feature {
        assert!(
            !with.stderr.contains(&refusal) && with.stderr.contains("AWS_LAMBDA_"),
            "with the aws feature, {binary} gets past handler() to the Lambda runtime:\n{}",
            with.stderr
        );
    } else {
        assert_eq!(
            with.code,
            Some(1),
            "{binary} ends at start-up:\n{}",
            with.stderr
        );
        assert!(
            with.stderr.starts_with(&refusal)
                && with.stderr.contains("build it with `--features aws`")
                && !with.stderr.contains("AWS_LAMBDA_"),
            "{binary} says why before the Lambda runtime starts:\n{}",
            with.stderr
        );
    }
    let without = start(binary, &[]);
    assert!(
        !without.stderr.contains("is set (to") && without.stderr.contains("AWS_LAMBDA_"),
        "without {variable}, {binary} gets past handler() to the Lambda runtime:\n{}",
        without.stderr
    );
}
