//! A local DynamoDB API for tests: dynalite (npm), started on a free port of 127.0.0.1, in
//! memory, and stopped with its process group when dropped.
//!
//! Shared by store-checkout's store suite and the workspace's Lambda emulator test (through
//! `#[path]`), so the server is started one way only. Needs `dynalite` on PATH
//! (`npm install -g dynalite`; `.ci/run` installs it): without it [`LocalDynamoDb::start`] says
//! so and returns `None`, except under `CI`, where it fails.

use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use store_checkout::store::dynamodb::aws_sdk_dynamodb;

/// The server command.
const SERVER: &str = "dynalite";

/// The region and fake credentials every client of the local server uses.
pub const REGION: &str = "us-east-1";
const ACCESS_KEY_ID: &str = "AKIDLOCALDYNAMODB";
const SECRET_ACCESS_KEY: &str = "local";

/// A running local DynamoDB server.
pub struct LocalDynamoDb {
    child: Child,
    port: u16,
}

impl LocalDynamoDb {
    /// Starts the server, or returns `None` (after saying why) when it is not installed; under
    /// `CI` a missing server fails the test instead.
    pub fn start() -> Option<LocalDynamoDb> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let spawned = Command::new(SERVER)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            // Tables are active at once rather than after 500 ms.
            .args(["--createTableMs", "0", "--deleteTableMs", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            // Its own process group, so that dropping it stops whatever it started.
            .process_group(0)
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "{SERVER} is not installed: CI must install it (.ci/run does, from npm)"
                );
                println!(
                    "{SERVER} is not installed (npm install -g dynalite): the DynamoDB tests \
                     check nothing and pass"
                );
                return None;
            }
            Err(e) => panic!("{SERVER} does not start: {e}"),
        };
        let mut server = LocalDynamoDb { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("{SERVER} exited ({status}) before listening on port {port}");
            }
            assert!(
                Instant::now() < deadline,
                "{SERVER} did not listen on port {port} within 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(server)
    }

    /// The endpoint URL (`AWS_ENDPOINT_URL_DYNAMODB`).
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The variables that point a program's AWS SDK at this server, with fake credentials.
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT_URL_DYNAMODB", self.endpoint()),
            ("AWS_REGION", REGION.to_owned()),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID.to_owned()),
            ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY.to_owned()),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
    }

    /// A client of this server, configured explicitly: nothing from the environment or
    /// `~/.aws`.
    pub fn client(&self) -> aws_sdk_dynamodb::Client {
        use aws_sdk_dynamodb::config::retry::RetryConfig;
        use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .credentials_provider(Credentials::new(
                ACCESS_KEY_ID,
                SECRET_ACCESS_KEY,
                None,
                None,
                "local-dynamodb",
            ))
            .endpoint_url(self.endpoint())
            // Retried as aws-config's clients are: the server closes idle pooled connections
            // (after 5 s), and a request sent on one just then fails transiently.
            .retry_config(RetryConfig::standard())
            .build();
        aws_sdk_dynamodb::Client::from_conf(config)
    }
}

impl Drop for LocalDynamoDb {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.wait();
    }
}

/// A table name no other test uses: `prefix`, the process id and a counter.
pub fn unique_table(prefix: &str) -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}
