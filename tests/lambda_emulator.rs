//! The generated Lambdas inside the real Lambda runtime interface. `cargo lambda watch` emulates
//! the Lambda control plane: it runs each function binary of a generated-example crate under
//! `lambda_runtime` and serves the Invoke API (`POST /2015-03-31/functions/{name}/invocations`).
//!
//! Each example workflow input is executed twice by the same executor: once with every Lambda
//! Task bound to its handler in process, once with every Lambda Task sent through the emulator
//! to the function's binary by the glue's `with_lambda_endpoint` (the executor's
//! `LambdaEndpoint`, the same code as `orderflow-codegen run --lambda-endpoint`). The two executions must agree exactly: status, output, error,
//! cause and the full history (every state's input and output, every Lambda result and error
//! payload). Failures therefore carry the ASL error name the workflow catches (`BookNotFound`,
//! `BookOutOfStock`, …) as the emulator's `errorType`, or the runs would differ.
//!
//! A fresh emulator serves each example, as each Lambda process holds its own in-memory store
//! seeded like the in-process handlers' (`handler()`). The emulator is stopped with its whole
//! process group whatever the outcome. In those executions the task-token worker (sqsWorker)
//! stays in process, since a Lambda worker completes tokens through Step Functions, not through
//! the executor. Its binary (feature `aws`) has a test of its own: an SQS event as SQS delivers
//! it, with its SendTaskSuccess / SendTaskFailure calls sent to a fake Step Functions endpoint
//! (`AWS_ENDPOINT_URL_SFN`), compared with the same event handled in process.
//!
//! Needs `cargo lambda` (`pip install cargo-lambda`; `.ci/run` installs it). Without it the
//! test says so and passes, except under `CI`, where it fails.

// A test fails by panicking: unwrap and expect say where (the workspace denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read as _;
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use orderflow_model::asl::model::{Resource, StateKind};
use orderflow_runtime::local::{EventType, Execution, HistoryDetail, LocalWorkflow};
use orderflow_tests::{analyze_dir, workspace_root};
use serde_json::Value;

// The local DynamoDB server, started as store-checkout's store suite starts it.
#[path = "../generated-example/store-checkout/tests/support/local_dynamodb.rs"]
// This test uses part of it.
#[allow(dead_code)]
mod local_dynamodb;

/// How long the first invocation of a function may take: the emulator compiles it then.
const FIRST_INVOCATION: Duration = Duration::from_secs(600);

fn cargo_lambda_installed() -> bool {
    Command::new("cargo")
        .args(["lambda", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// `false` (after saying why) when the emulator cannot run here; fails under CI instead.
fn emulator_available() -> bool {
    if cargo_lambda_installed() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "cargo-lambda is not installed: CI must install it (.ci/run does, from PyPI)"
    );
    println!(
        "cargo-lambda is not installed (pip install cargo-lambda): the emulator test checks \
         nothing and passes"
    );
    false
}

/// A port nothing listens on right now.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local address").port()
}

/// `cargo lambda watch` serving one crate's binaries, stopped (with every process it started)
/// when dropped.
struct Emulator {
    child: Child,
    port: u16,
    log: PathBuf,
    agent: ureq::Agent,
}

/// The features `cargo test --workspace` builds a crate's binaries with (tests/Cargo.toml turns
/// on store-checkout's `aws`). `cargo lambda watch` builds into the same target directory: with
/// other features it would replace the binaries that store-checkout's `tests/startup.rs` runs by
/// ones that behave otherwise.
fn test_build_features(crate_dir: &Path) -> Vec<String> {
    if crate_dir.ends_with("store-checkout") {
        vec!["--features".to_owned(), "aws".to_owned()]
    } else {
        Vec::new()
    }
}

impl Emulator {
    fn start(crate_dir: &Path, log: PathBuf) -> Emulator {
        Self::start_with(crate_dir, log, &test_build_features(crate_dir))
    }

    /// With more `cargo lambda watch` arguments (features, `--env-var`s for the functions).
    fn start_with(crate_dir: &Path, log: PathBuf, args: &[String]) -> Emulator {
        let port = free_port();
        let log_file = std::fs::File::create(&log).expect("emulator log file");
        let child = Command::new("cargo")
            .args([
                "lambda",
                "watch",
                "--ignore-changes",
                "--invoke-address",
                "127.0.0.1",
            ])
            .args(["--invoke-port", &port.to_string()])
            .args(args)
            .current_dir(crate_dir)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("log file handle"))
            .stderr(log_file)
            // Its own process group, so that stopping it also stops the functions it runs.
            .process_group(0)
            .spawn()
            .expect("cargo lambda watch starts");
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(FIRST_INVOCATION))
            .build()
            .into();
        let mut emulator = Emulator {
            child,
            port,
            log,
            agent,
        };
        emulator.wait_until_listening();
        emulator
    }

    fn wait_until_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("cargo lambda watch exited ({status}):\n{}", self.log_text());
            }
            assert!(
                Instant::now() < deadline,
                "cargo lambda watch did not listen on port {} within 120 s:\n{}",
                self.port,
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// How long one call of `function` (a binary name) through the Invoke API takes.
    fn time_call(&self, function: &str, payload: &Value) -> Duration {
        let started = Instant::now();
        self.call(function, payload);
        started.elapsed()
    }

    /// Invokes `function` (a binary name) through the Invoke API: its response, or its error
    /// payload (`errorType`, `errorMessage`) when it failed.
    fn call(&self, function: &str, payload: &Value) -> Value {
        let url = format!("{}/2015-03-31/functions/{function}/invocations", self.url());
        let mut response = self
            .agent
            .post(&url)
            .header("content-type", "application/json")
            .send(payload.to_string())
            .unwrap_or_else(|e| panic!("invoking {function}: {e}\n{}", self.log_text()));
        let mut body = String::new();
        response
            .body_mut()
            .as_reader()
            .read_to_string(&mut body)
            .expect("response body");
        // cargo lambda watch answers a function error with a 5xx and the error payload; any
        // other failure did not reach the function.
        let status = response.status().as_u16();
        let value = serde_json::from_str::<Value>(&body).unwrap_or(Value::Null);
        let function_error = value.get("errorType").is_some();
        assert!(
            status == 200 || function_error,
            "{function} answered {status}: {body}\n{}",
            self.log_text()
        );
        value
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let kill = |signal: &str| {
            let _ = Command::new("kill")
                .args([signal, "--", &group])
                .stderr(Stdio::null())
                .status();
        };
        kill("-TERM");
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Whatever ignored SIGTERM (cargo, a function binary) does not outlive the test.
        kill("-KILL");
        let _ = self.child.wait();
    }
}

/// Lambda Task states and the binary each invokes.
fn lambda_states(workflow_dir: &str) -> Vec<(String, String)> {
    let analysis = analyze_dir(workflow_dir);
    let workflow = analysis.workflow.expect("the definition checks clean");
    workflow
        .machine
        .states
        .iter()
        .filter_map(|state| match &state.kind {
            StateKind::Task(task) => match &task.resource.value {
                Resource::Lambda { function, .. } => {
                    Some((state.name.value.clone(), workflow.binary_name(function)))
                }
                _ => None,
            },
            _ => None,
        })
        .collect()
}

fn examples(workflow_dir: &str) -> Vec<(String, Value)> {
    let dir = workspace_root().join(workflow_dir).join("examples");
    let mut examples: Vec<(String, Value)> = std::fs::read_dir(&dir)
        .expect("examples folder")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("example file");
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            (name, serde_json::from_str(&text).expect("example JSON"))
        })
        .collect();
    examples.sort_by(|a, b| a.0.cmp(&b.0));
    examples
}

/// The fields of an execution that must agree, history included.
fn comparable(execution: &Execution) -> Value {
    serde_json::json!({
        "status": format!("{:?}", execution.status),
        "output": execution.output,
        "error": execution.error,
        "cause": execution.cause,
        "history": execution.history.iter().map(|e| e.to_json()).collect::<Vec<_>>(),
    })
}

fn full_history(local: &mut LocalWorkflow) {
    local.options_mut().history = HistoryDetail::Full;
    // Fixed identity and seed: task tokens and ids must not differ between the two runs.
    local.options_mut().random_seed = Some(7);
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

struct Report {
    crate_name: &'static str,
    examples: usize,
    /// `example: error` for every Lambda failure, as the emulator returned it.
    lambda_errors: Vec<String>,
    /// `example: status [error]` of each execution through the emulator.
    outcomes: Vec<String>,
    /// Per binary: a cold start (the emulator's first call of it) and a warm call.
    starts: Vec<(String, Duration, Duration)>,
}

impl Report {
    fn print(&self) {
        println!(
            "{}: {} examples agree in process and through the emulator",
            self.crate_name, self.examples
        );
        for (binary, cold, warm) in &self.starts {
            println!("  {binary}: cold start {cold:.2?}, warm call {warm:.2?}");
        }
        println!(
            "  Lambda errors through the emulator: {:?}",
            self.lambda_errors
        );
        println!("  executions: {:?}", self.outcomes);
    }
}

/// Runs every example of one workflow both ways and compares: `in_process` binds every
/// function's handler, `through` binds only what must stay in process (the task-token worker)
/// and sends the Lambda Tasks to the endpoint it is given.
fn compare_workflow<W>(
    crate_name: &'static str,
    workflow_dir: &str,
    in_process: impl Fn() -> W,
    through: impl Fn(&str) -> W,
    local: impl Fn(&mut W) -> &mut LocalWorkflow,
) -> Report {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("tokio runtime");
    let crate_dir = workspace_root().join("generated-example").join(crate_name);
    let binaries: std::collections::BTreeMap<String, String> =
        lambda_states(workflow_dir).into_iter().collect();
    let logs = tempfile::tempdir().expect("temp dir");
    let mut lambda_errors = Vec::new();
    let mut outcomes = Vec::new();
    // The first payload each binary received in process, to time its starts with.
    let mut payloads: std::collections::BTreeMap<String, Value> = Default::default();
    let examples = examples(workflow_dir);
    for (name, input) in &examples {
        let mut expected = in_process();
        full_history(local(&mut expected));
        let expected = rt.block_on(local(&mut expected).execute(input.clone()));
        for event in &expected.history {
            if event.event_type == EventType::LambdaFunctionScheduled {
                let binary = event.state.as_deref().and_then(|s| binaries.get(s));
                let parameters = event.details.as_ref().map(|d| d["parameters"].clone());
                if let (Some(binary), Some(parameters)) = (binary, parameters) {
                    payloads.entry(binary.clone()).or_insert(parameters);
                }
            }
        }

        // A fresh emulator per example: each function process starts from its seeded store.
        let emulator = Emulator::start(&crate_dir, logs.path().join(format!("{name}.log")));
        let mut remote = through(&emulator.url());
        full_history(local(&mut remote));
        let actual = rt.block_on(local(&mut remote).execute(input.clone()));
        assert_eq!(
            comparable(&actual),
            comparable(&expected),
            "{crate_name} example {name}: the run through the emulator differs from the \
             in-process run\n{}",
            emulator.log_text()
        );
        outcomes.push(format!(
            "{name}: {:?} {}",
            actual.status,
            actual.error.as_deref().unwrap_or("")
        ));
        for event in &actual.history {
            if event.event_type == EventType::LambdaFunctionFailed {
                if let Some(error) = event.details.as_ref().and_then(|d| d["error"].as_str()) {
                    lambda_errors.push(format!("{name}: {error}"));
                }
            }
        }
    }
    // Every binary is built by now: time a cold start and a warm call of each.
    let emulator = Emulator::start(&crate_dir, logs.path().join("starts.log"));
    let starts = payloads
        .iter()
        .map(|(binary, payload)| {
            let cold = emulator.time_call(binary, payload);
            let warm = emulator.time_call(binary, payload);
            (binary.clone(), cold, warm)
        })
        .collect();
    Report {
        crate_name,
        examples: examples.len(),
        lambda_errors,
        outcomes,
        starts,
    }
}

/// Medians of `runs` full executions of `input`: in process, and with every Lambda Task
/// through one emulator (warmed up by a first execution, which is not counted).
fn time_full_runs<W>(
    crate_name: &str,
    input: &Value,
    runs: usize,
    in_process: impl Fn() -> W,
    through: impl Fn(&str) -> W,
    local: impl Fn(&mut W) -> &mut LocalWorkflow,
) -> (Duration, Duration) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("tokio runtime");
    let crate_dir = workspace_root().join("generated-example").join(crate_name);
    let logs = tempfile::tempdir().expect("temp dir");
    let emulator = Emulator::start(&crate_dir, logs.path().join("timing.log"));
    // Fresh handlers for every run (the in-process worker's stock runs out otherwise); the
    // emulator and its warm function processes stay.
    let time = |mut workflow: W| {
        let started = Instant::now();
        let execution = rt.block_on(local(&mut workflow).execute(input.clone()));
        let elapsed = started.elapsed();
        assert!(execution.output.is_some(), "{execution:?}");
        elapsed
    };
    let url = emulator.url();
    time(through(&url));
    let through_emulator = (0..runs).map(|_| time(through(&url))).collect();
    time(in_process());
    let in_process = (0..runs).map(|_| time(in_process())).collect();
    (median(through_emulator), median(in_process))
}

/// store-checkout with every function's handler bound in process (seeded stores).
fn store_checkout_in_process() -> store_checkout::workflow::Workflow {
    use store_checkout::functions::{
        bill_customer, calculate_total, check_inventory, redeem_points, restore_quantity,
        restore_redeem_points, sqs_worker,
    };
    store_checkout::workflow::Workflow::new()
        .expect("definition loads")
        .check_inventory(check_inventory::handler())
        .calculate_total(calculate_total::handler())
        .redeem_points(redeem_points::handler())
        .bill_customer(bill_customer::handler())
        .sqs_worker(sqs_worker::handler())
        .restore_quantity(restore_quantity::handler())
        .restore_redeem_points(restore_redeem_points::handler())
}

#[test]
fn store_checkout_runs_the_same_through_the_lambda_runtime_interface() {
    use store_checkout::functions::sqs_worker;
    use store_checkout::workflow::Workflow;
    if !emulator_available() {
        return;
    }
    let in_process = store_checkout_in_process;
    let through = |url: &str| {
        Workflow::new()
            .expect("definition loads")
            .sqs_worker(sqs_worker::handler())
            .with_lambda_endpoint(url)
    };
    let report = compare_workflow(
        "store-checkout",
        "definitions/store-checkout",
        in_process,
        through,
        Workflow::local_mut,
    );
    report.print();
    // The examples reach the errors the workflow catches, through the real runtime interface.
    for expected in [
        "BookNotFound",
        "BookOutOfStock",
        "PointsRedemptionFailed",
        "BillingFailed",
    ] {
        assert!(
            report.lambda_errors.iter().any(|f| f.ends_with(expected)),
            "no example raised {expected} through the emulator: {:?}",
            report.lambda_errors
        );
    }
    // Printed for the record (timings are measured, never asserted).
    let happy_path = examples("definitions/store-checkout")
        .into_iter()
        .find(|(name, _)| name == "happy-path")
        .map(|(_, input)| input)
        .expect("the happy-path example");
    let (through_emulator, in_process) = time_full_runs(
        "store-checkout",
        &happy_path,
        7,
        in_process,
        through,
        Workflow::local_mut,
    );
    println!(
        "store-checkout happy path, median of 7: {through_emulator:.2?} through the emulator, \
         {in_process:.2?} in process"
    );
}

#[test]
fn order_status_runs_the_same_through_the_lambda_runtime_interface() {
    use order_status::functions::{check_inventory, process_payment, update_order_status};
    use order_status::workflow::Workflow;
    if !emulator_available() {
        return;
    }
    let report = compare_workflow(
        "order-status",
        "definitions/order-status",
        || {
            Workflow::new()
                .expect("definition loads")
                .check_inventory(check_inventory::handler())
                .process_payment(process_payment::handler())
                .update_order_status(update_order_status::handler())
        },
        |url| {
            Workflow::new()
                .expect("definition loads")
                .with_lambda_endpoint(url)
        },
        Workflow::local_mut,
    );
    report.print();
    // The functions' outputs, returned through the runtime interface, steer every path.
    for expected in ["Succeeded", "OutOfStockError", "PaymentError"] {
        assert!(
            report.outcomes.iter().any(|o| o.contains(expected)),
            "no order-status example ended with {expected}: {:?}",
            report.outcomes
        );
    }
}

/// A Step Functions endpoint for the worker binary's SendTaskSuccess / SendTaskFailure calls
/// (the AWS JSON 1.0 protocol): it records each call, and answers `TaskTimedOut` for the token
/// `rejected`, as Step Functions does for a task that has already ended.
struct FakeStepFunctions {
    server: std::sync::Arc<tiny_http::Server>,
    calls: std::sync::Arc<std::sync::Mutex<Vec<Value>>>,
    thread: Option<std::thread::JoinHandle<()>>,
    port: u16,
}

impl FakeStepFunctions {
    fn start(rejected: &str) -> FakeStepFunctions {
        let server = std::sync::Arc::new(
            tiny_http::Server::http("127.0.0.1:0").expect("the fake Step Functions listens"),
        );
        let port = server
            .server_addr()
            .to_ip()
            .map(|address| address.port())
            .expect("an IP address");
        let calls = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let thread = {
            let (server, calls, rejected) = (server.clone(), calls.clone(), rejected.to_owned());
            std::thread::spawn(move || {
                // Ends when `unblock` is called on drop.
                while let Ok(mut request) = server.recv() {
                    let target = request
                        .headers()
                        .iter()
                        .find(|h| h.field.equiv("x-amz-target"))
                        .map(|h| h.value.to_string())
                        .unwrap_or_default();
                    let mut body = String::new();
                    let _ = request.as_reader().read_to_string(&mut body);
                    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                    let token = body["taskToken"].as_str().unwrap_or_default().to_owned();
                    calls
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push(serde_json::json!({"target": target, "body": body}));
                    let (status, answer) = if token == rejected {
                        (
                            400,
                            r#"{"__type":"com.amazonaws.states#TaskTimedOut","message":"Task Timed Out"}"#,
                        )
                    } else {
                        (200, "{}")
                    };
                    let content_type = tiny_http::Header::from_bytes(
                        &b"content-type"[..],
                        &b"application/x-amz-json-1.0"[..],
                    )
                    .expect("a valid header");
                    let response = tiny_http::Response::from_string(answer)
                        .with_status_code(status)
                        .with_header(content_type);
                    let _ = request.respond(response);
                }
            })
        };
        FakeStepFunctions {
            server,
            calls,
            thread: Some(thread),
            port,
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every call so far: `{"target": "AWSStepFunctions.SendTaskSuccess", "body": {…}}`.
    fn calls(&self) -> Vec<Value> {
        self.calls
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

impl Drop for FakeStepFunctions {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The in-process double of the callbacks: records like [`InProcessCallbacks`], and rejects the
/// token `rejected` as the fake Step Functions does.
struct RejectingCallbacks {
    recorded: orderflow_runtime::InProcessCallbacks,
    rejected: String,
}

impl orderflow_runtime::TaskTokenCallbacks for RejectingCallbacks {
    async fn send_task_success(
        &self,
        token: &str,
        output: Value,
    ) -> Result<(), orderflow_runtime::CallbackError> {
        self.recorded.send_task_success(token, output).await?;
        self.check(token)
    }

    async fn send_task_failure(
        &self,
        token: &str,
        error: &str,
        cause: &str,
    ) -> Result<(), orderflow_runtime::CallbackError> {
        self.recorded.send_task_failure(token, error, cause).await?;
        self.check(token)
    }
}

impl RejectingCallbacks {
    fn check(&self, token: &str) -> Result<(), orderflow_runtime::CallbackError> {
        if token == self.rejected {
            return Err(orderflow_runtime::CallbackError::new("TaskTimedOut"));
        }
        Ok(())
    }
}

/// An SQS record as SQS delivers it to a Lambda function.
fn sqs_record(message_id: &str, body: &str) -> Value {
    serde_json::json!({
        "messageId": message_id,
        "receiptHandle": format!("receipt-{message_id}"),
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1764662400000",
            "SenderId": "AIDAEXAMPLE",
            "ApproximateFirstReceiveTimestamp": "1764662400001"
        },
        "messageAttributes": {},
        "md5OfBody": "00000000000000000000000000000000",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:orders",
        "awsRegion": "us-east-1"
    })
}

#[test]
fn sqs_worker_takes_a_real_sqs_event_and_completes_tokens_through_step_functions() {
    use orderflow_runtime::aws_lambda_events::event::sqs::SqsEvent;
    use orderflow_runtime::{TaskOutcome, handle_sqs_batch};
    use store_checkout::functions::sqs_worker;
    use store_checkout::generated::functions::SqsWorkerFunction;
    if !emulator_available() {
        return;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    // The message body PrepareOrder sends for an example (the order state and a task token),
    // as an in-process run records it, with the token set to `token`.
    let body = |example: &str, token: &str| -> String {
        let (_, input) = examples("definitions/store-checkout")
            .into_iter()
            .find(|(name, _)| name == example)
            .expect("the example exists");
        let workflow = store_checkout_in_process();
        rt.block_on(workflow.execute_json(input));
        let mut sent = workflow.local().take_sent();
        assert_eq!(sent.len(), 1, "{example} sends one message");
        let mut body = sent.remove(0).body;
        body["Token"] = Value::from(token);
        body.to_string()
    };
    // A courier assigned, no courier available (SendTaskFailure), a body that is not the
    // worker's input (a batch item failure), and a token Step Functions no longer accepts (the
    // callback fails: a batch item failure too, so that SQS delivers the message again).
    let event = serde_json::json!({"Records": [
        sqs_record("message-assigned", &body("happy-path", "token-assigned")),
        sqs_record("message-no-courier", &body("no-courier", "token-no-courier")),
        sqs_record("message-not-an-order", "{\"not\": \"an order\"}"),
        sqs_record("message-late", &body("happy-path", "token-late")),
    ]});

    // In process: the same handler and event, the callbacks doubled.
    let callbacks = RejectingCallbacks {
        recorded: orderflow_runtime::InProcessCallbacks::new(),
        rejected: "token-late".into(),
    };
    let sqs_event: SqsEvent = serde_json::from_value(event.clone()).expect("an SQS event");
    let expected_response = rt.block_on(handle_sqs_batch(
        &SqsWorkerFunction(sqs_worker::handler()),
        &callbacks,
        sqs_event,
    ));
    let expected_response = serde_json::to_value(&expected_response).expect("JSON response");
    let expected_calls: Vec<Value> = callbacks
        .recorded
        .take()
        .into_iter()
        .map(|outcome| match outcome {
            TaskOutcome::Success { token, output } => serde_json::json!({
                "target": "AWSStepFunctions.SendTaskSuccess",
                "body": {"taskToken": token, "output": output.to_string()},
            }),
            TaskOutcome::Failure {
                token,
                error,
                cause,
            } => serde_json::json!({
                "target": "AWSStepFunctions.SendTaskFailure",
                "body": {"taskToken": token, "error": error, "cause": cause},
            }),
        })
        .collect();

    // Through the emulator: the worker binary with the AWS SDK, pointed at the fake.
    let step_functions = FakeStepFunctions::start("token-late");
    let crate_dir = workspace_root().join("generated-example/store-checkout");
    let logs = tempfile::tempdir().expect("temp dir");
    let env = [
        format!("AWS_ENDPOINT_URL_SFN={}", step_functions.url()),
        "AWS_REGION=us-east-1".to_owned(),
        "AWS_ACCESS_KEY_ID=AKIDEXAMPLE".to_owned(),
        "AWS_SECRET_ACCESS_KEY=fake".to_owned(),
    ];
    let mut args = vec!["--features".to_owned(), "aws".to_owned()];
    for var in env {
        args.extend(["--env-var".to_owned(), var]);
    }
    let emulator = Emulator::start_with(&crate_dir, logs.path().join("worker.log"), &args);
    let response = emulator.call("store-checkout-sqs-worker", &event);

    assert_eq!(
        response,
        serde_json::json!({"batchItemFailures": [
            {"itemIdentifier": "message-not-an-order"},
            {"itemIdentifier": "message-late"},
        ]}),
        "{}",
        emulator.log_text()
    );
    assert_eq!(response, expected_response);
    // The calls parse the bodies the SDK sent, so only the fields compared here matter.
    let calls: Vec<Value> = step_functions
        .calls()
        .into_iter()
        .map(|call| {
            let body = &call["body"];
            let fields: serde_json::Map<String, Value> = ["taskToken", "output", "error", "cause"]
                .into_iter()
                .filter_map(|f| body.get(f).map(|v| (f.to_owned(), v.clone())))
                .collect();
            serde_json::json!({"target": call["target"], "body": fields})
        })
        .collect();
    assert_eq!(calls, expected_calls, "{}", emulator.log_text());
    let targets: Vec<(&str, &str)> = calls
        .iter()
        .map(|c| {
            (
                c["target"].as_str().unwrap_or_default(),
                c["body"]["taskToken"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        targets,
        [
            ("AWSStepFunctions.SendTaskSuccess", "token-assigned"),
            ("AWSStepFunctions.SendTaskFailure", "token-no-courier"),
            ("AWSStepFunctions.SendTaskSuccess", "token-late"),
        ]
    );
    assert_eq!(calls[1]["body"]["error"], "NoCourierAvailable");
    println!(
        "sqs_worker through the emulator: {} Step Functions calls, response {response}",
        calls.len()
    );
}

/// store-checkout's functions on DynamoDB: the examples run one after another through the
/// emulator, every function binary (feature `aws`) on the same two tables of a local DynamoDB
/// (the task-token worker in process, on the same books table); then the tables hold what the
/// same examples leave in one pair of in-memory stores.
#[test]
fn store_checkout_examples_through_the_emulator_on_dynamodb() {
    use local_dynamodb::{LocalDynamoDb, unique_table};
    use store_checkout::functions::{
        bill_customer, calculate_total, check_inventory, redeem_points, restore_quantity,
        restore_redeem_points, sqs_worker,
    };
    use store_checkout::store::dynamodb::seed;
    use store_checkout::store::{
        BookStore, DynamoDbBooks, DynamoDbUsers, InMemoryBooks, InMemoryCouriers, InMemoryUsers,
        UserStore,
    };
    use store_checkout::workflow::Workflow;
    if !emulator_available() {
        return;
    }
    let Some(server) = LocalDynamoDb::start() else {
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let (books_table, users_table) = (unique_table("books"), unique_table("users"));
    let books = DynamoDbBooks::new(server.client(), &books_table);
    let users = DynamoDbUsers::new(server.client(), &users_table);
    let seeded = rt
        .block_on(seed(&books, &users))
        .expect("the tables are seeded");
    assert!(seeded.books_table_created && seeded.users_table_created);

    let crate_dir = workspace_root().join("generated-example/store-checkout");
    let logs = tempfile::tempdir().expect("temp dir");
    let mut args = vec!["--features".to_owned(), "aws".to_owned()];
    let tables = [
        ("BOOKS_TABLE".to_owned(), books_table.clone()),
        ("USERS_TABLE".to_owned(), users_table.clone()),
    ];
    for (name, value) in tables.into_iter().chain(server.env()) {
        args.extend(["--env-var".to_owned(), format!("{name}={value}")]);
    }
    let emulator = Emulator::start_with(&crate_dir, logs.path().join("dynamodb.log"), &args);

    let (memory_books, memory_users) = (InMemoryBooks::seeded(), InMemoryUsers::seeded());
    let mut outputs = Vec::new();
    for (name, input) in examples("definitions/store-checkout") {
        let in_process = Workflow::new()
            .expect("definition loads")
            .check_inventory(check_inventory::Handler::new(memory_books.clone()))
            .calculate_total(calculate_total::handler())
            .redeem_points(redeem_points::Handler::new(memory_users.clone()))
            .bill_customer(bill_customer::Handler::new(memory_users.clone()))
            .sqs_worker(sqs_worker::Handler::new(
                memory_books.clone(),
                InMemoryCouriers::seeded(),
            ))
            .restore_quantity(restore_quantity::Handler::new(memory_books.clone()))
            .restore_redeem_points(restore_redeem_points::Handler::new(memory_users.clone()));
        let expected = rt.block_on(in_process.local().execute(input.clone()));
        let through = Workflow::new()
            .expect("definition loads")
            .sqs_worker(sqs_worker::Handler::new(
                books.clone(),
                InMemoryCouriers::seeded(),
            ))
            .with_lambda_endpoint(&emulator.url());
        let actual = rt.block_on(through.local().execute(input));
        assert_eq!(
            (&actual.status, &actual.output, &actual.error),
            (&expected.status, &expected.output, &expected.error),
            "example {name} on DynamoDB through the emulator differs from in memory: {:?}\n{}",
            actual.cause,
            emulator.log_text()
        );
        outputs.push(format!("{name}: {:?}", actual.output));
    }

    // What the examples leave: book 100 sold twice (happy-path, redeem), 101's reservation given
    // back (no-courier), user 1's points redeemed (redeem), user 3's given back (billing-failure).
    let stock = |id: &str| {
        let table = rt.block_on(books.book(id)).unwrap().unwrap().quantity;
        let memory = rt
            .block_on(memory_books.book(id))
            .unwrap()
            .unwrap()
            .quantity;
        assert_eq!(table, memory, "stock of book {id}");
        table
    };
    assert_eq!((stock("100"), stock("101")), (6, 20));
    let points = |id: &str| {
        let table = rt.block_on(users.user(id)).unwrap().unwrap().points;
        let memory = rt.block_on(memory_users.user(id)).unwrap().unwrap().points;
        assert_eq!(table, memory, "points of user {id}");
        table
    };
    assert_eq!((points("1"), points("2"), points("3")), (0.0, 500.0, 10.0));
    println!("store-checkout on DynamoDB through the emulator: {outputs:?}");
}
