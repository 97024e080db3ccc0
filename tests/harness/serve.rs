//! `serve`: the built command as a process, over real HTTP. It prints its base URL and a
//! key per credential, answers as the stub does, keeps records for its lifetime, logs one
//! line per request and stops cleanly on Ctrl-C. No process outlives a test, whatever
//! fails.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ExitStatus};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::{spawn, text};

/// `leadlex-conformance serve` running; killed when dropped if it still runs.
pub struct Served {
    child: Child,
    lines: Receiver<String>,
    stderr: std::thread::JoinHandle<String>,
    pub base_url: String,
    /// Credential → key, as printed.
    pub keys: BTreeMap<String, String>,
    pub banner: Vec<String>,
}

impl Served {
    /// Starts `serve --port 0` with `args` added and reads its banner.
    pub fn start(args: &[&str]) -> Served {
        Served::start_with(&BTreeMap::new(), args)
    }

    pub fn start_with(env: &BTreeMap<String, String>, args: &[&str]) -> Served {
        let mut all = vec!["serve", "--port", "0"];
        all.extend_from_slice(args);
        let mut child = spawn(env, &all);
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut stderr = child.stderr.take().expect("stderr is piped");
        let (send, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let mut served = Served {
            child,
            lines,
            stderr,
            base_url: String::new(),
            keys: BTreeMap::new(),
            banner: Vec::new(),
        };
        loop {
            let Some(line) = served.next_line(Duration::from_secs(60)) else {
                panic!("serve printed no whole banner: {:?}", served.banner);
            };
            served.banner.push(line.clone());
            if let Some(url) = line.strip_prefix("base URL: ") {
                served.base_url = url.to_string();
            }
            if let Some((credential, rest)) = line
                .trim_start()
                .strip_prefix("key ")
                .and_then(|l| l.split_once(':'))
            {
                let key = rest.split_whitespace().next().unwrap_or_default();
                served.keys.insert(credential.to_string(), key.to_string());
            }
            if line.starts_with("one line per request") {
                break;
            }
        }
        assert!(
            served.base_url.starts_with("http://127.0.0.1:"),
            "{:?}",
            served.banner
        );
        served
    }

    /// The next line of standard output, or `None` after `limit` or at its end.
    pub fn next_line(&mut self, limit: Duration) -> Option<String> {
        self.lines.recv_timeout(limit).ok()
    }

    /// The next log line without its time (checked to be one), e.g. `GET /x 501 no route`.
    pub fn next_log(&mut self) -> String {
        let line = self
            .next_line(Duration::from_secs(10))
            .expect("a log line for the request");
        let (time, rest) = line.split_once(' ').expect("time, then the request");
        assert!(
            chrono::DateTime::parse_from_rfc3339(time).is_ok() && time.ends_with('Z'),
            "{line}"
        );
        rest.to_string()
    }

    /// Every line printed so far that was not read yet.
    pub fn unread(&mut self) -> Vec<String> {
        std::iter::from_fn(|| self.next_line(Duration::from_millis(50))).collect()
    }

    /// Ctrl-C (SIGINT), then waits for the exit: its status, the lines printed after
    /// those read, and standard error.
    pub fn interrupt(mut self) -> (ExitStatus, Vec<String>, String) {
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: sends a signal to the child this test started and still holds.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "serve ignored Ctrl-C"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        let rest: Vec<String> =
            std::iter::from_fn(|| self.next_line(Duration::from_secs(5))).collect();
        let stderr = std::mem::replace(&mut self.stderr, std::thread::spawn(String::new));
        (status, rest, stderr.join().unwrap_or_default())
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// An answer: status, headers (lower-case names), body as JSON (`Null` when not JSON).
pub struct Answer {
    pub status: u16,
    pub headers: BTreeMap<String, String>,
    pub body: Value,
}

/// Sends one request over HTTP.
pub fn send(method: &str, url: &str, key: Option<&str>, body: Option<Value>) -> Answer {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        let mut request = client.request(method.parse().unwrap(), url);
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("serve answers");
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    v.to_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        let bytes = response.bytes().await.unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
        }
    })
}

#[test]
fn serves_the_stub_over_http_logs_each_request_and_stops_on_ctrl_c() {
    let mut served = Served::start(&[]);
    assert_eq!(
        served.keys,
        BTreeMap::from([
            ("full".to_string(), "wbk_stub_0_full".to_string()),
            (
                "no_contacts_delete".to_string(),
                "wbk_stub_0_no_contacts_delete".to_string()
            ),
            ("read_only".to_string(), "wbk_stub_0_read_only".to_string()),
        ])
    );
    assert!(served
        .banner
        .iter()
        .any(|l| l.starts_with("rate limit: 10 requests per key")));
    let base = served.base_url.clone();
    let full = served.keys["full"].clone();
    let no_delete = served.keys["no_contacts_delete"].clone();

    let created = send(
        "POST",
        &format!("{base}/v1/contacts"),
        Some(&full),
        Some(json!({"full_name": "Served Contact", "email": "served@example.com"})),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["data"]["id"].as_str().unwrap().to_string();
    assert_eq!(created.body["data"]["full_name"], "Served Contact");
    assert_eq!(created.headers["x-ratelimit-limit"], "10");
    assert_eq!(created.headers["x-ratelimit-remaining"], "9");
    assert_eq!(served.next_log(), "POST /v1/contacts 201 contacts.create");

    let contact = format!("{base}/v1/contacts/{id}");
    let read = send("GET", &contact, Some(&full), None);
    assert_eq!(
        (read.status, &read.body["data"]["email"]),
        (200, &json!("served@example.com"))
    );
    assert_eq!(
        served.next_log(),
        format!("GET /v1/contacts/{id} 200 contacts.get")
    );

    let forbidden = send("DELETE", &contact, Some(&no_delete), None);
    assert_eq!(forbidden.status, 403);
    assert_eq!(forbidden.body["error"]["code"], "insufficient_permissions");
    assert_eq!(
        served.next_log(),
        format!("DELETE /v1/contacts/{id} 403 contacts.delete")
    );

    let deleted = send("DELETE", &contact, Some(&full), None);
    assert_eq!(deleted.status, 200);
    assert_eq!(deleted.body["data"], json!({"deleted": true, "id": id}));
    assert_eq!(
        served.next_log(),
        format!("DELETE /v1/contacts/{id} 200 contacts.delete")
    );

    let gone = send("GET", &contact, Some(&full), None);
    assert_eq!(
        (gone.status, &gone.body["error"]["code"]),
        (404, &json!("not_found"))
    );
    assert_eq!(
        served.next_log(),
        format!("GET /v1/contacts/{id} 404 contacts.get")
    );

    let anonymous = send("GET", &contact, None, None);
    assert_eq!(
        (anonymous.status, &anonymous.body["error"]["code"]),
        (401, &json!("invalid_key"))
    );
    assert_eq!(
        served.next_log(),
        format!("GET /v1/contacts/{id} 401 contacts.get")
    );

    let unknown = send("GET", &format!("{base}/v1/lists"), Some(&full), None);
    assert_eq!(unknown.status, 501);
    assert_eq!(unknown.body["error"]["code"], "stub_no_route");
    assert_eq!(unknown.headers["x-leadlex-stub"], "no-route");
    assert_eq!(served.next_log(), "GET /v1/lists 501 no route");
    let undeclared = send("PUT", &contact, Some(&full), Some(json!({})));
    assert_eq!(undeclared.status, 501);
    assert_eq!(
        served.next_log(),
        format!("PUT /v1/contacts/{id} 501 no route")
    );

    assert_eq!(
        served.unread(),
        Vec::<String>::new(),
        "one line per request"
    );
    let (status, rest, stderr) = served.interrupt();
    assert!(status.success(), "{status:?}: {stderr}");
    assert_eq!(rest, ["stopped"], "{stderr}");
}

#[test]
fn the_rate_limit_can_be_set_and_records_last_as_long_as_the_server() {
    let mut served = Served::start(&["--rate-limit", "3"]);
    assert!(served
        .banner
        .iter()
        .any(|l| l.starts_with("rate limit: 3 requests per key")));
    let base = served.base_url.clone();
    let key = served.keys["full"].clone();
    let created = send(
        "POST",
        &format!("{base}/v1/contacts"),
        Some(&key),
        Some(json!({"full_name": "A"})),
    );
    let contact = format!(
        "{base}/v1/contacts/{}",
        created.body["data"]["id"].as_str().unwrap()
    );
    // Another key of the same credential (another trial number) sees the same records.
    let other = key.replace("_0_", "_7_");
    assert_eq!(send("GET", &contact, Some(&other), None).status, 200);
    assert_eq!(send("GET", &contact, Some(&key), None).status, 200);
    let last = send("GET", &contact, Some(&key), None);
    assert_eq!(
        (last.status, last.headers["x-ratelimit-remaining"].as_str()),
        (200, "0")
    );
    let limited = send("GET", &contact, Some(&key), None);
    assert_eq!(limited.status, 429);
    assert_eq!(limited.body["error"]["code"], "rate_limited");
    let logged: Vec<String> = (0..5).map(|_| served.next_log()).collect();
    assert!(logged[4].ends_with(" 429 contacts.get"), "{logged:?}");
    drop(served); // killed, not interrupted: nothing is left running either way
}

#[test]
fn wrong_arguments_a_busy_port_and_broken_specs_are_clear_errors() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    let cases: [(&[&str], u8, String); 4] = [
        (
            &["serve", "--port", "x"],
            2,
            "invalid value 'x' for '--port <N>'".into(),
        ),
        (
            &["serve", "--rate-limit", "0"],
            2,
            "invalid value '0' for '--rate-limit <N>'".into(),
        ),
        (
            &["serve", "--verbose"],
            2,
            "unexpected argument '--verbose'".into(),
        ),
        (
            &["serve", "--port", &port],
            1,
            format!("error: cannot listen on 127.0.0.1:{port}: "),
        ),
    ];
    for (args, code, message) in cases {
        let mut child = spawn(&BTreeMap::new(), args);
        let output = crate::common::wait(&mut child, Duration::from_secs(60));
        assert_eq!(output.status.code(), Some(code.into()), "{args:?}");
        assert!(
            text(&output.stderr).contains(&message),
            "{args:?}: {}",
            text(&output.stderr)
        );
    }
    let env = BTreeMap::from([(
        "LEADLEX_SPECS".to_string(),
        "/nonexistent/specs".to_string(),
    )]);
    let mut child = spawn(&env, &["serve", "--port", "0"]);
    let output = crate::common::wait(&mut child, Duration::from_secs(60));
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("the specs directory does not exist"));
    drop(busy);
}
