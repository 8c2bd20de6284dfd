//! `orderflow-codegen run` as a user runs it: results on stdout, exit codes, mocks in Step
//! Functions Local's format, `--inputs` and `--history`. Fixtures: `tests/run/` (one thing each)
//! and the reference workflows under `definitions/`.

// A test fails by panicking: unwrap and expect say where (the workspace denies them elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/run")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// Runs `orderflow-codegen run …` from the workspace root with `stdin` on standard input.
fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_orderflow-codegen"))
        .current_dir(workspace_root())
        .arg("run")
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    // A run that fails before reading stdin (a bad mock file, say) closes the pipe
    // early; that broken pipe is the binary's choice, not a test failure.
    if let Err(error) = child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin.as_bytes())
    {
        assert_eq!(error.kind(), std::io::ErrorKind::BrokenPipe, "{error}");
    }
    child.wait_with_output().expect("the binary finishes")
}

fn code(output: &Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The single JSON result on stdout.
fn json_result(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON value ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            stderr(output)
        )
    })
}

/// One JSON result per stdout line.
fn result_lines(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn history_types(result: &Value) -> Vec<&str> {
    result["history"]
        .as_array()
        .expect("a history array")
        .iter()
        .map(|e| e["type"].as_str().expect("a type"))
        .collect()
}

#[test]
fn success_prints_the_output_and_exits_0() {
    let output = run(
        &[&fixture("greet.asl.json"), "--input", "-"],
        r#"{"name": "Ada"}"#,
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(
        json_result(&output),
        json!({"status": "SUCCEEDED", "output": {"greeting": "Hello, Ada!"}})
    );
}

#[test]
fn a_failed_execution_is_a_result_and_exits_0() {
    let output = run(
        &[&fixture("reject.asl.json"), "--input", "-"],
        r#"{"items": 0}"#,
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(
        json_result(&output),
        json!({"status": "FAILED", "error": "EmptyOrder", "cause": "the order has no items"})
    );
}

#[test]
fn an_invalid_definition_exits_1_with_file_line_column_and_pointer() {
    let output = run(&[&fixture("dangling-next.asl.json"), "--input", "-"], "{}");
    assert_eq!(code(&output), 1);
    assert!(output.stdout.is_empty(), "nothing runs");
    let text = stderr(&output);
    assert!(
        text.contains("error[E0104]")
            && text.contains("dangling-next.asl.json:7:15")
            && text.contains("/States/Start/Next")
            && text.contains("did you mean `Done`?"),
        "{text}"
    );
}

#[test]
fn a_missing_input_file_exits_2() {
    let output = run(
        &[&fixture("greet.asl.json"), "--input", "no/such/input.json"],
        "",
    );
    assert_eq!(code(&output), 2);
    assert!(output.stdout.is_empty());
    assert!(
        stderr(&output).contains("cannot read no/such/input.json"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn an_input_that_is_not_json_exits_2_with_its_position() {
    let output = run(
        &[&fixture("greet.asl.json"), "--input", "-"],
        "{\n  \"name\": Ada\n}",
    );
    assert_eq!(code(&output), 2);
    let text = stderr(&output);
    assert!(
        text.contains("stdin:2:11: the execution input is not JSON"),
        "{text}"
    );
}

#[test]
fn usage_errors_exit_2() {
    // Neither --input nor --inputs.
    assert_eq!(code(&run(&[&fixture("greet.asl.json")], "")), 2);
    // Both.
    let both = run(
        &[&fixture("greet.asl.json"), "--input", "-", "--inputs", "-"],
        "{}",
    );
    assert_eq!(code(&both), 2);
    // A test case without a mock file.
    let no_mocks = run(
        &[
            &fixture("greet.asl.json"),
            "--input",
            "-",
            "--test-case",
            "X",
        ],
        "{}",
    );
    assert_eq!(code(&no_mocks), 2, "{}", stderr(&no_mocks));
}

#[test]
fn mocks_throw_then_return_under_retry() {
    let output = run(
        &[
            &fixture("charge.asl.json"),
            "--input",
            "-",
            "--mocks",
            &fixture("charge.mocks.json"),
            "--test-case",
            "ThrottledThenCharged",
            "--history",
        ],
        r#"{"amount": 42}"#,
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let result = json_result(&output);
    assert_eq!(result["status"], "SUCCEEDED");
    // `Return` is the Invoke API response; ResultSelector unwraps its Payload.
    assert_eq!(
        result["output"],
        json!({"amount": 42, "result": {"charge": {"chargeId": "ch_1", "amount": 42}}})
    );
    let types = history_types(&result);
    assert_eq!(types.iter().filter(|t| **t == "TaskFailed").count(), 2);
    assert_eq!(types.iter().filter(|t| **t == "TaskSucceeded").count(), 1);
    // Back-off of 1 s then 2 s on the virtual clock: nothing slept.
    assert_eq!(result["virtualElapsedMillis"], 3000);
}

#[test]
fn a_mock_that_runs_out_of_responses_fails_the_execution() {
    let output = run(
        &[
            &fixture("charge.asl.json"),
            "--input",
            "-",
            "--mocks",
            &fixture("charge.mocks.json"),
            "--test-case",
            "AlwaysThrottled",
        ],
        r#"{"amount": 42}"#,
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let result = json_result(&output);
    assert_eq!(result["status"], "FAILED");
    // Not retried as a throttle: States.Runtime ends the execution.
    assert_eq!(result["error"], "States.Runtime");
    let cause = result["cause"].as_str().unwrap_or_default();
    assert!(
        cause.contains("'Charge Card' was invoked 3 times")
            && cause.contains("'Throttled'")
            && cause.contains("invocation 2"),
        "{cause}"
    );
}

#[test]
fn a_task_without_binding_or_mock_fails_with_a_cause_naming_it() {
    let output = run(&[&fixture("charge.asl.json"), "--input", "-"], "{}");
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let result = json_result(&output);
    assert_eq!(result["status"], "FAILED");
    assert_eq!(result["error"], "States.Runtime");
    let cause = result["cause"].as_str().unwrap_or_default();
    assert!(
        cause.contains("'Charge Card' (Lambda function chargeCard) has no binding")
            && cause.contains("--mocks FILE --test-case NAME"),
        "{cause}"
    );

    // With a test case that mocks other states only, the cause names the test case.
    let mocks = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(
        mocks.path(),
        r#"{"StateMachines": {"charge": {"TestCases": {"Other": {"Refund": "Ok"}}}},
            "MockedResponses": {"Ok": {"0": {"Return": {}}}}}"#,
    )
    .expect("write");
    let mocks_path = mocks.path().to_string_lossy().into_owned();
    let output = run(
        &[
            &fixture("charge.asl.json"),
            "--input",
            "-",
            "--mocks",
            &mocks_path,
            "--test-case",
            "Other",
        ],
        "{}",
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let result = json_result(&output);
    let cause = result["cause"].as_str().unwrap_or_default();
    assert!(
        cause.contains("'Charge Card'") && cause.contains("test case 'Other'"),
        "{cause}"
    );
    // …and the state the test case names but the state machine lacks is a warning.
    assert!(
        stderr(&output).contains("mocks state `Refund`, which the state machine does not have"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn inputs_runs_one_execution_per_line_in_order() {
    let inputs = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(
        inputs.path(),
        "{\"items\": 3}\n\n{\"items\": 0}\r\n{\"items\": 1}",
    )
    .expect("write");
    let path = inputs.path().to_string_lossy().into_owned();
    let output = run(&[&fixture("reject.asl.json"), "--inputs", &path], "");
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(
        result_lines(&output),
        [
            json!({"status": "SUCCEEDED", "output": {"items": 3}}),
            json!({"status": "FAILED", "error": "EmptyOrder", "cause": "the order has no items"}),
            json!({"status": "SUCCEEDED", "output": {"items": 1}}),
        ]
    );
}

#[test]
fn inputs_reports_a_line_that_is_not_json_and_runs_the_others() {
    let output = run(
        &[&fixture("greet.asl.json"), "--inputs", "-"],
        "{\"name\": \"a\"}\n{\"name\": \n{\"name\": \"c\"}\n",
    );
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    let lines = result_lines(&output);
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["output"], json!({"greeting": "Hello, a!"}));
    assert_eq!(lines[1]["status"], "NOT_STARTED");
    assert_eq!(lines[1]["line"], 2);
    assert_eq!(lines[1]["error"], "InvalidExecutionInput");
    assert!(
        lines[1]["cause"]
            .as_str()
            .is_some_and(|c| c.starts_with("stdin:2:") && c.contains("line 2 is not JSON")),
        "{}",
        lines[1]
    );
    assert_eq!(lines[2]["output"], json!({"greeting": "Hello, c!"}));
}

#[test]
fn history_runs_from_execution_started_to_execution_succeeded() {
    let output = run(
        &[&fixture("greet.asl.json"), "--input", "-", "--history"],
        r#"{"name": "Ada"}"#,
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let result = json_result(&output);
    assert_eq!(
        history_types(&result),
        [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
    assert_eq!(result["history"][1]["stateName"], "Greet");
    // Without --history there is none.
    let plain = run(&[&fixture("greet.asl.json"), "--input", "-"], "{}");
    assert!(json_result(&plain).get("history").is_none());
}

#[test]
fn a_bad_mock_file_exits_2_with_file_pointer_line_and_column() {
    let mocks = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(
        mocks.path(),
        "{\"StateMachines\": {\"charge\": {\"TestCases\": {\"T\": {\"Charge Card\": \"R\"}}}},\n \"MockedResponses\": {\"R\": {\"2-1\": {\"Return\": {}}}}}",
    )
    .expect("write");
    let mocks_path = mocks.path().to_string_lossy().into_owned();
    let output = run(
        &[
            &fixture("charge.asl.json"),
            "--input",
            "-",
            "--mocks",
            &mocks_path,
            "--test-case",
            "T",
        ],
        "{}",
    );
    assert_eq!(code(&output), 2);
    assert!(output.stdout.is_empty());
    let text = stderr(&output);
    assert!(
        text.contains(&format!(
            "{mocks_path}:2:28: the range `2-1` ends before it starts"
        )) && text.contains("[/MockedResponses/R/2-1]"),
        "{text}"
    );
}

#[test]
fn an_unknown_test_case_exits_2_listing_the_test_cases() {
    let output = run(
        &[
            &fixture("charge.asl.json"),
            "--input",
            "-",
            "--mocks",
            &fixture("charge.mocks.json"),
            "--test-case",
            "AlwaysThrotled",
        ],
        "{}",
    );
    assert_eq!(code(&output), 2);
    let text = stderr(&output);
    assert!(
        text.contains(
            "state machine `charge` has no test case `AlwaysThrotled`; it has: `ThrottledThenCharged`, `AlwaysThrottled`"
        ) && text.contains("did you mean `AlwaysThrottled`?"),
        "{text}"
    );
}

#[test]
fn the_order_status_workflow_runs_from_its_folder_with_mocks() {
    let confirmed = run(
        &[
            "definitions/order-status",
            "--input",
            "definitions/order-status/examples/confirmed.json",
            "--mocks",
            &fixture("order-status.mocks.json"),
            "--test-case",
            "Confirmed",
        ],
        "",
    );
    assert_eq!(code(&confirmed), 0, "{}", stderr(&confirmed));
    assert_eq!(
        json_result(&confirmed),
        json!({"status": "SUCCEEDED", "output": {"orderId": "12345", "status": "Confirmed"}})
    );
    let declined = run(
        &[
            "definitions/order-status",
            "--input",
            "definitions/order-status/examples/confirmed.json",
            "--mocks",
            &fixture("order-status.mocks.json"),
            "--test-case",
            "PaymentDeclined",
        ],
        "",
    );
    assert_eq!(
        json_result(&declined),
        json!({"status": "FAILED", "error": "PaymentError", "cause": "Payment processing failed"})
    );
}

#[test]
fn the_store_checkout_workflow_retries_billing_on_mocked_failures() {
    let output = run(
        &[
            "definitions/store-checkout",
            "--input",
            "definitions/store-checkout/examples/happy-path.json",
            "--mocks",
            &fixture("store-checkout.mocks.json"),
            "--test-case",
            "BillingRetried",
            "--history",
        ],
        "",
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let result = json_result(&output);
    assert_eq!(
        result["output"],
        "Your order will be dispatched in 24 hours"
    );
    let billing_failures = result["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter(|e| e["stateName"] == "BillCustomer" && e["type"] == "LambdaFunctionFailed")
        .count();
    assert_eq!(billing_failures, 2);
    // BillCustomer's back-off: 1 s, then 2 s.
    assert_eq!(result["virtualElapsedMillis"], 3000);
}

/// One answer of [`FakeInvokeApi`]: status, extra headers, body.
type Answer = (u16, &'static [(&'static str, &'static str)], Value);

/// A Lambda Invoke API on a local port that answers the requests it gets with `answers`, in
/// order, and hands back each request's path and JSON body.
struct FakeInvokeApi {
    url: String,
    requests: std::thread::JoinHandle<Vec<(String, Value)>>,
}

impl FakeInvokeApi {
    fn start(answers: Vec<Answer>) -> FakeInvokeApi {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let requests = std::thread::spawn(move || {
            let mut seen = Vec::new();
            for (status, headers, body) in answers {
                let (mut stream, _) = listener.accept().expect("a request");
                seen.push(read_request(&stream));
                let body = body.to_string();
                let extra: String = headers
                    .iter()
                    .map(|(name, value)| format!("{name}: {value}\r\n"))
                    .collect();
                let response = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{extra}connection: close\r\n\r\n{body}",
                    body.len()
                );
                stream.write_all(response.as_bytes()).expect("response");
            }
            seen
        });
        FakeInvokeApi { url, requests }
    }

    fn requests(self) -> Vec<(String, Value)> {
        self.requests.join().expect("the fake API thread")
    }
}

#[test]
fn lambda_endpoint_calls_a_workflow_folders_functions_by_binary_name() {
    let api = FakeInvokeApi::start(vec![
        (200, &[], json!({"orderId": "12345", "inStock": true})),
        (
            200,
            &[],
            json!({"orderId": "12345", "paymentSuccessful": true}),
        ),
        (200, &[], json!({"orderId": "12345", "status": "Confirmed"})),
    ]);
    let output = run(
        &[
            "definitions/order-status",
            "--input",
            "definitions/order-status/examples/confirmed.json",
            "--lambda-endpoint",
            &api.url,
        ],
        "",
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(
        json_result(&output),
        json!({"status": "SUCCEEDED", "output": {"orderId": "12345", "status": "Confirmed"}})
    );
    let paths: Vec<String> = api.requests().into_iter().map(|(path, _)| path).collect();
    assert_eq!(
        paths,
        [
            "/2015-03-31/functions/order-status-check-inventory/invocations",
            "/2015-03-31/functions/order-status-process-payment/invocations",
            "/2015-03-31/functions/order-status-update-order-status/invocations",
        ]
    );
}

#[test]
fn lambda_endpoint_throttling_is_retried_as_on_aws() {
    let api = FakeInvokeApi::start(vec![
        (429, &[], json!({"message": "Rate exceeded"})),
        (200, &[], json!({"chargeId": "ch_1"})),
    ]);
    let output = run(
        &[
            &fixture("charge.asl.json"),
            "--input",
            "-",
            "--lambda-endpoint",
            &api.url,
        ],
        r#"{"amount": 5}"#,
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(
        json_result(&output),
        json!({"status": "SUCCEEDED", "output": {"amount": 5, "result": {"charge": {"chargeId": "ch_1"}}}})
    );
    // lambda:invoke sends `Payload` as the event; a lone ASL file names the function by its ARN.
    let requests = api.requests();
    assert_eq!(requests.len(), 2);
    for (path, body) in requests {
        assert_eq!(path, "/2015-03-31/functions/chargeCard/invocations");
        assert_eq!(body, json!({"amount": 5}));
    }
}

#[test]
fn lambda_endpoint_function_errors_are_named_by_their_error_type() {
    let api = FakeInvokeApi::start(vec![(
        200,
        &[("X-Amz-Function-Error", "Unhandled")],
        json!({"errorType": "CardDeclined", "errorMessage": "card 4242 declined"}),
    )]);
    let output = run(
        &[
            &fixture("charge.asl.json"),
            "--input",
            "-",
            "--lambda-endpoint",
            &api.url,
        ],
        r#"{"amount": 5}"#,
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let result = json_result(&output);
    assert_eq!(result["status"], "FAILED");
    assert_eq!(result["error"], "CardDeclined");
    let cause: Value =
        serde_json::from_str(result["cause"].as_str().expect("a cause")).expect("JSON cause");
    assert_eq!(cause["errorMessage"], "card 4242 declined");
    assert_eq!(api.requests().len(), 1);
}

#[test]
fn an_unreachable_lambda_endpoint_fails_the_task_instead_of_hanging() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let output = run(
        &[
            &fixture("charge.asl.json"),
            "--input",
            "-",
            "--lambda-endpoint",
            &format!("http://127.0.0.1:{port}"),
        ],
        r#"{"amount": 5}"#,
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let result = json_result(&output);
    assert_eq!(result["status"], "FAILED");
    assert_eq!(result["error"], "Lambda.SdkClientException");
    assert!(
        result["cause"]
            .as_str()
            .is_some_and(|c| c.contains(&format!("127.0.0.1:{port}"))),
        "{result}"
    );
}

/// Reads one HTTP request from `stream`: its path and JSON body.
fn read_request(stream: &std::net::TcpStream) -> (String, Value) {
    use std::io::{BufRead, BufReader, Read};
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).expect("request line");
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).expect("header");
        if line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().expect("content length");
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).expect("body");
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    (path, serde_json::from_slice(&body).expect("a JSON payload"))
}

/// `--real-clock` runs Parallel branches at the same time, as AWS does ("execute each branch
/// … concurrently where possible",
/// https://docs.aws.amazon.com/step-functions/latest/dg/state-parallel.html): this Invoke API
/// answers no request until it holds both, which only concurrent calls can give it.
#[test]
fn real_clock_invokes_parallel_branches_at_the_same_time() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let api = std::thread::spawn(move || {
        let (first, _) = listener.accept().expect("a first request");
        let (first_path, _) = read_request(&first);
        // In turn, the second call would come only after the first is answered: wait for it
        // a while, then answer the first anyway so that a failing run still ends.
        listener.set_nonblocking(true).expect("non-blocking");
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        let second = loop {
            match listener.accept() {
                Ok((stream, _)) => break Some(stream),
                Err(_) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(_) => break None,
            }
        };
        let both_in_flight = second.is_some();
        let answer = |mut stream: &std::net::TcpStream, path: &str| {
            let body = json!({"quotedBy": path.split('/').nth(3)}).to_string();
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            stream.write_all(response.as_bytes()).expect("response");
        };
        let second = match second {
            Some(stream) => {
                stream.set_nonblocking(false).expect("blocking");
                Some(stream)
            }
            None => None,
        };
        let second_path = second.as_ref().map(|s| read_request(s).0);
        answer(&first, &first_path);
        if let (Some(stream), Some(path)) = (&second, &second_path) {
            answer(stream, path);
        } else {
            listener.set_nonblocking(false).expect("blocking");
            let (stream, _) = listener.accept().expect("the second request");
            let (path, _) = read_request(&stream);
            answer(&stream, &path);
        }
        both_in_flight
    });
    let output = run(
        &[
            &fixture("parallel-lambdas.asl.json"),
            "--input",
            "-",
            "--real-clock",
            "--lambda-endpoint",
            &url,
        ],
        "{}",
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(
        api.join().expect("the fake API thread"),
        "the second branch's call came only after the first was answered"
    );
    // Each branch's result in its place, whichever answered first.
    assert_eq!(
        json_result(&output),
        json!({"status": "SUCCEEDED", "output": [{"quotedBy": "quoteShipping"}, {"quotedBy": "quoteTax"}]})
    );
}

/// `run tests/run/shipment` with the `shipment.mocks.json` test case `test_case` and `extra`
/// arguments, the execution input on stdin.
fn run_shipment(test_case: &str, input: &str, extra: &[&str]) -> Output {
    let folder = fixture("shipment");
    let mocks = fixture("shipment.mocks.json");
    let mut args = vec![
        folder.as_str(),
        "--input",
        "-",
        "--mocks",
        mocks.as_str(),
        "--test-case",
        test_case,
    ];
    args.extend_from_slice(extra);
    run(&args, input)
}

const SHIPMENT_INPUT: &str = r#"{"sku": "b1", "quantity": 2, "address": "1 Main St"}"#;

fn violations(result: &Value) -> &Vec<Value> {
    result["contractViolations"]
        .as_array()
        .unwrap_or_else(|| panic!("no contractViolations in {result}"))
}

#[test]
fn a_mocked_result_outside_its_enum_is_reported_beside_no_choice_matched() {
    let output = run_shipment("UnknownStatus", SHIPMENT_INPUT, &[]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let result = json_result(&output);
    // The execution runs as on AWS…
    assert_eq!(result["status"], "FAILED");
    assert_eq!(result["error"], "States.NoChoiceMatched");
    // …and the result says why: the function's output broke its enum.
    let schema = fixture("shipment/schemas/checkStock.output.json");
    assert_eq!(
        violations(&result),
        &vec![json!({
            "contract": "functionOutput",
            "state": "Check Stock",
            "function": "checkStock",
            "schemaFile": schema,
            "schemaPointer": "/properties/status/enum",
            "line": 8,
            "column": 15,
            "instancePath": "/status",
            "message": "\"in_stock\" is not one of \"IN_STOCK\" or \"BACKORDER\"",
        })]
    );
    let text = stderr(&output);
    assert!(
        text.contains(&format!(
            "warning: {schema}:8:15: the output of function `checkStock` (state `Check Stock`) breaks its schema at `/status`: \"in_stock\" is not one of \"IN_STOCK\" or \"BACKORDER\" [/properties/status/enum]"
        )),
        "{text}"
    );
}

#[test]
fn strict_contracts_fail_the_execution_where_a_result_breaks_its_schema() {
    let output = run_shipment(
        "UnknownStatus",
        SHIPMENT_INPUT,
        &["--strict-contracts", "--history"],
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let result = json_result(&output);
    assert_eq!(result["status"], "FAILED");
    assert_eq!(result["error"], "States.Runtime");
    let cause = result["cause"].as_str().unwrap_or_default();
    assert!(
        cause.starts_with(
            "An error occurred while executing the state 'Check Stock' (entered at the event id #2). The output of function `checkStock` (state `Check Stock`) breaks its schema "
        ) && cause.contains("checkStock.output.json:8:15 at `/status`")
            && cause.ends_with("[/properties/status/enum]"),
        "{cause}"
    );
    // It fails right after the task returned: the Choice is never entered.
    assert_eq!(
        history_types(&result),
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "LambdaFunctionScheduled",
            "LambdaFunctionStarted",
            "LambdaFunctionSucceeded",
            "ExecutionFailed"
        ]
    );
    assert_eq!(violations(&result).len(), 1);
}

#[test]
fn the_execution_input_and_what_a_task_sends_are_checked_against_their_schemas() {
    let input = r#"{"sku": "b1", "quantity": 0, "address": "1 Main St", "gift": true}"#;
    let output = run_shipment("Shipped", input, &[]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let result = json_result(&output);
    assert_eq!(result["status"], "SUCCEEDED");
    let found: Vec<(&str, &str, &str)> = violations(&result)
        .iter()
        .map(|v| {
            (
                v["contract"].as_str().unwrap_or_default(),
                v["schemaPointer"].as_str().unwrap_or_default(),
                v["instancePath"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                "executionInput",
                "/properties/quantity/minimum",
                "/quantity"
            ),
            ("executionInput", "/additionalProperties", ""),
            ("functionInput", "/properties/quantity/minimum", "/quantity"),
        ]
    );
    let task_input = &violations(&result)[2];
    assert_eq!(task_input["state"], "Check Stock");
    assert_eq!(task_input["function"], "checkStock");
    assert_eq!(
        task_input["schemaFile"],
        fixture("shipment/schemas/checkStock.input.json")
    );
    assert!(
        stderr(&output).contains("the input state `Check Stock` sends to function `checkStock` breaks its schema at `/quantity`: 0 is less than the minimum of 1"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn strict_contracts_fail_an_execution_whose_input_breaks_its_schema_before_any_state() {
    let input = r#"{"sku": "b1", "quantity": 0, "address": "1 Main St"}"#;
    let output = run_shipment("Shipped", input, &["--strict-contracts", "--history"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let result = json_result(&output);
    assert_eq!(result["error"], "States.Runtime");
    assert!(
        result["cause"].as_str().is_some_and(|c| c
            .starts_with("The execution input breaks its schema ")
            && c.contains(
                "execution.input.json:7:48 at `/quantity`: 0 is less than the minimum of 1"
            )),
        "{result}"
    );
    assert_eq!(
        history_types(&result),
        ["ExecutionStarted", "ExecutionFailed"]
    );
}

#[test]
fn lambda_invoke_results_are_checked_on_their_payload() {
    let output = run_shipment("TrackingNotAString", SHIPMENT_INPUT, &[]);
    let result = json_result(&output);
    assert_eq!(result["status"], "SUCCEEDED");
    let found = violations(&result);
    assert_eq!(found.len(), 1, "{result}");
    assert_eq!(found[0]["function"], "ship");
    assert_eq!(found[0]["instancePath"], "/trackingId");
    assert_eq!(found[0]["schemaPointer"], "/properties/trackingId/type");

    // A mock that returns the function's output without the lambda:invoke response around it.
    let output = run_shipment("ShipUnwrapped", SHIPMENT_INPUT, &[]);
    let result = json_result(&output);
    assert_eq!(result["status"], "FAILED");
    let found = violations(&result);
    assert_eq!(found.len(), 1, "{result}");
    assert_eq!(found[0]["instancePath"], "/Payload");
    assert!(
        found[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("has no `Payload`")),
        "{result}"
    );
}

#[test]
fn runs_that_keep_their_contracts_report_nothing() {
    let output = run_shipment("Shipped", SHIPMENT_INPUT, &["--strict-contracts"]);
    assert_eq!(
        json_result(&output),
        json!({"status": "SUCCEEDED", "output": {"trackingId": "TRK1"}})
    );
    assert!(!stderr(&output).contains("breaks its schema"));
    // The reference workflows' mocks keep the workflows' contracts.
    let output = run(
        &[
            "definitions/store-checkout",
            "--input",
            "definitions/store-checkout/examples/happy-path.json",
            "--mocks",
            &fixture("store-checkout.mocks.json"),
            "--test-case",
            "BillingRetried",
            "--strict-contracts",
        ],
        "",
    );
    let result = json_result(&output);
    assert_eq!(result["status"], "SUCCEEDED", "{result}");
    assert!(result.get("contractViolations").is_none(), "{result}");
}

#[test]
fn inputs_report_violations_with_their_line() {
    let lines =
        format!("{SHIPMENT_INPUT}\n{{\"sku\": \"b1\", \"quantity\": 0, \"address\": \"a\"}}\n");
    let folder = fixture("shipment");
    let mocks = fixture("shipment.mocks.json");
    let output = run(
        &[
            &folder,
            "--inputs",
            "-",
            "--mocks",
            &mocks,
            "--test-case",
            "Shipped",
        ],
        &lines,
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let results = result_lines(&output);
    assert_eq!(results.len(), 2);
    assert!(results[0].get("contractViolations").is_none());
    // Quantity 0 breaks the execution input's contract and the one of `checkStock`.
    let kinds: Vec<&str> = violations(&results[1])
        .iter()
        .map(|v| v["contract"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(kinds, ["executionInput", "functionInput"]);
    assert!(
        stderr(&output).contains("warning: stdin:2: ")
            && !stderr(&output).contains("warning: stdin:1: "),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_task_token_workers_message_and_result_are_checked() {
    let mocks = r#"{
      "StateMachines": {"store-checkout": {"TestCases": {"BadCourier": {
        "checkInventory": "BookInStock", "calculateTotal": "TotalOf79",
        "BillCustomer": "Billed", "PrepareOrder": "CourierById", "DispatchOrder": "Published"
      }}}},
      "MockedResponses": {
        "BookInStock": {"0": {"Return": {"bookId": "100", "title": "T", "quantity": 10, "price": 39.5}}},
        "TotalOf79": {"0": {"Return": {"total": 79}}},
        "Billed": {"0": {"Return": "Successfully billed"}},
        "CourierById": {"0": {"Return": {"courierId": 5}}},
        "Published": {"0": {"Return": {"MessageId": "m-1"}}}
      }
    }"#;
    let dir = std::env::temp_dir().join(format!("orderflow-contracts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let mock_file = dir.join("worker.mocks.json");
    std::fs::write(&mock_file, mocks).expect("the mock file");
    let output = run(
        &[
            "definitions/store-checkout",
            "--input",
            "definitions/store-checkout/examples/happy-path.json",
            "--mocks",
            &mock_file.to_string_lossy(),
            "--test-case",
            "BadCourier",
        ],
        "",
    );
    let _ = std::fs::remove_dir_all(&dir);
    let result = json_result(&output);
    let found: Vec<(&str, &str, &str, &str)> = violations(&result)
        .iter()
        .map(|v| {
            (
                v["contract"].as_str().unwrap_or_default(),
                v["state"].as_str().unwrap_or_default(),
                v["function"].as_str().unwrap_or_default(),
                v["schemaPointer"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                "workerResult",
                "PrepareOrder",
                "sqsWorker",
                "/additionalProperties"
            ),
            ("workerResult", "PrepareOrder", "sqsWorker", "/required"),
        ],
        "{result}"
    );
}

/// `--history-format aws` writes GetExecutionHistory's document instead of the result: it reads
/// back with the parser for AWS's documents, numbered from 1 with each event after the one
/// before it in its thread, with AWS's detail objects (JSON text in `input`/`output`), and ends
/// as the execution did. With `--inputs`, one compact document per line.
#[test]
fn history_format_aws_writes_get_execution_history_documents() {
    let args = [
        "definitions/order-status",
        "--input",
        "definitions/order-status/examples/confirmed.json",
        "--mocks",
        &fixture("order-status.mocks.json"),
        "--test-case",
        "PaymentDeclined",
        "--history-format",
        "aws",
    ];
    let output = run(&args, "");
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let events = orderflow_exec::parse_aws_history([("stdout", text.as_str())])
        .unwrap_or_else(|e| panic!("{e}: {text}"));
    let ids: Vec<u64> = events.iter().map(|e| e.id).collect();
    assert_eq!(ids, (1..=events.len() as u64).collect::<Vec<_>>());
    assert_eq!(events[0].event_type, "ExecutionStarted");
    assert_eq!(
        events[0].payload("input"),
        Some(json!({"orderId": "12345"}))
    );
    let last = events.last().expect("events");
    assert_eq!(last.event_type, "ExecutionFailed");
    assert_eq!(
        last.details(),
        Some(&json!({"error": "PaymentError", "cause": "Payment processing failed"}))
    );
    let scheduled = events
        .iter()
        .find(|e| e.event_type == "LambdaFunctionScheduled")
        .expect("a Lambda task");
    assert!(
        scheduled
            .details()
            .and_then(|d| d["resource"].as_str())
            .is_some_and(
                |r| r.starts_with("arn:aws:lambda:") && r.ends_with(":function:checkInventory")
            ),
        "{scheduled:?}"
    );
    assert!(
        scheduled.details().is_some_and(|d| d["input"].is_string()),
        "AWS sends JSON text: {scheduled:?}"
    );
    // Each event follows one before it.
    assert!(events.iter().all(|e| e.previous_event_id < e.id));

    let lines = run(
        &[
            &fixture("greet.asl.json"),
            "--inputs",
            "-",
            "--history-format",
            "aws",
        ],
        "{\"name\": \"a\"}\n{\"name\": \"b\"}\n",
    );
    let documents = result_lines(&lines);
    assert_eq!(documents.len(), 2, "{}", stderr(&lines));
    assert!(documents.iter().all(|d| d["events"].is_array()));
}

/// The type a template declares decides the limits `run` applies
/// (https://docs.aws.amazon.com/step-functions/latest/dg/choosing-workflow-type.html): an
/// Express machine's execution stops after five minutes; `--standard` overrides the template.
/// A Standard execution that loops forever ends at the history limit, as AWS ends it.
#[test]
fn the_declared_workflow_type_sets_the_limits() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let template = tmp.path().join("template.yaml");
    std::fs::write(
        &template,
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Nap:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n      Type: EXPRESS\n      Definition:\n        StartAt: Wait\n        States:\n          Wait:\n            Type: Wait\n            Seconds: 400\n            End: true\n",
    )
    .expect("write the template");
    let template = template.to_string_lossy().into_owned();
    let express = run(&[&template, "--input", "-"], "{}");
    assert_eq!(code(&express), 0, "{}", stderr(&express));
    let result: Value = serde_json::from_slice(&express.stdout).expect("JSON");
    assert_eq!(result["status"], "TIMED_OUT", "{result}");
    assert_eq!(result["error"], "States.Timeout");

    let standard = run(&[&template, "--input", "-", "--standard"], "{}");
    let result: Value = serde_json::from_slice(&standard.stdout).expect("JSON");
    assert_eq!(result["status"], "SUCCEEDED", "{result}");

    let serverless = workspace_root().join("tests/adoption/corpus/serverless-express-logging");
    let tmp_out = tmp.path().join("express-folder");
    let init = Command::new(env!("CARGO_BIN_EXE_orderflow-codegen"))
        .current_dir(workspace_root())
        .args(["init", serverless.to_str().expect("utf-8"), "--out"])
        .arg(&tmp_out)
        .output()
        .expect("the binary runs");
    assert_eq!(code(&init), 0, "{}", stderr(&init));
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(tmp_out.join("orderflow.json")).expect("orderflow.json"),
    )
    .expect("JSON");
    assert_eq!(
        manifest["type"], "express",
        "serverless.yml's `type: EXPRESS` is kept"
    );
}

#[test]
fn an_endless_loop_ends_at_the_history_limit() {
    let definition = json!({"StartAt": "Loop", "States": {
        "Loop": {"Type": "Choice", "Choices": [
            {"Variable": "$.spin", "BooleanEquals": true, "Next": "Loop"}
        ], "Default": "Done"},
        "Done": {"Type": "Succeed"}
    }})
    .to_string();
    let tmp = tempfile::tempdir().expect("temp dir");
    let file = tmp.path().join("loop.asl.json");
    std::fs::write(&file, definition).expect("write");
    let output = run(
        &[file.to_str().expect("utf-8"), "--input", "-"],
        r#"{"spin": true}"#,
    );
    let result: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(result["status"], "FAILED");
    assert_eq!(
        result["cause"],
        "The execution reached the maximum number of history events (25000)."
    );
}
