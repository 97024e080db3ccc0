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
    /// The variables of a live run against it, as the banner prints them
    /// (`LEADLEX_BASE_URL`, and a key variable per credential).
    pub live: BTreeMap<String, String>,
    /// The arguments of that run (`--skip` for each scenario it cannot serve).
    pub live_args: Vec<String>,
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
            live: BTreeMap::new(),
            live_args: Vec::new(),
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
            if let Some(run) = line.strip_prefix("conformance suite against it: ") {
                let words = shell_words(run);
                let program = words.iter().position(|w| w == "leadlex-conformance");
                let program = program.expect("the command after its variables");
                served.live = words[..program]
                    .iter()
                    .filter_map(|word| word.split_once('='))
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                served.live_args = words[program + 1..].to_vec();
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

/// The words of a command line as a POSIX shell splits it, for the quoting `serve` uses:
/// plain words, single-quoted parts, and `\'` for a quote outside them.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quoted = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('\'', _) => {
                quoted = !quoted;
                word.get_or_insert_with(String::new);
            }
            ('\\', false) => word.get_or_insert_with(String::new).extend(chars.next()),
            (' ', false) => words.extend(word.take()),
            (c, _) => word.get_or_insert_with(String::new).push(c),
        }
    }
    assert!(!quoted, "an unclosed quote: {line}");
    words.extend(word);
    words
}

#[test]
fn shell_words_are_split_as_a_shell_does() {
    assert_eq!(
        shell_words("A=1 'b c' d'e'\\''f' '' x"),
        ["A=1", "b c", "de'f", "", "x"]
    );
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
            (
                "no_scoped_reads".to_string(),
                "wbk_stub_0_no_scoped_reads".to_string()
            ),
            ("read_only".to_string(), "wbk_stub_0_read_only".to_string()),
            (
                "write_only".to_string(),
                "wbk_stub_0_write_only".to_string()
            ),
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

/// A contact someone else made, as a seed file holds it.
pub const SEEDED_ID: &str = "0b9f3a51-2c4e-4d7a-9e1f-5a6b7c8d9e0f";

/// A seed file in `dir` with two contacts (one of them [`SEEDED_ID`]).
pub fn seed_file(dir: &std::path::Path) -> (std::path::PathBuf, Value) {
    let ada = json!({"id": SEEDED_ID, "full_name": "Ada Lovelace", "email": "ada@example.com"});
    let seed = json!({"contacts": [ada, {"id": "grace", "full_name": "Grace Hopper"}]});
    let file = dir.join("seed.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&seed).unwrap()).unwrap();
    (file, ada)
}

#[test]
fn a_seed_file_gives_the_server_records_to_start_with() {
    let dir = tempfile::tempdir().unwrap();
    let (file, ada) = seed_file(dir.path());
    let mut served = Served::start(&["--seed", file.to_str().unwrap()]);
    let seeded = format!("seeded: 2 record(s) from {} (contacts: 2)", file.display());
    assert!(served.banner.contains(&seeded), "{:?}", served.banner);
    let (base, key) = (served.base_url.clone(), served.keys["full"].clone());

    let read = send(
        "GET",
        &format!("{base}/v1/contacts/{SEEDED_ID}"),
        Some(&key),
        None,
    );
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.body, json!({"data": ada}), "served exactly as seeded");
    let grace = format!("{base}/v1/contacts/grace");
    let read = send("GET", &grace, Some(&key), None);
    assert_eq!(read.body["data"]["full_name"], "Grace Hopper");
    // Seeded records are records like any other: the permissions hold, and they can go.
    let no_delete = served.keys["no_contacts_delete"].clone();
    assert_eq!(send("DELETE", &grace, Some(&no_delete), None).status, 403);
    let deleted = send("DELETE", &grace, Some(&key), None);
    assert_eq!(
        deleted.body["data"],
        json!({"deleted": true, "id": "grace"})
    );
    assert_eq!(send("GET", &grace, Some(&key), None).status, 404);
    let logged: Vec<String> = (0..5).map(|_| served.next_log()).collect();
    assert_eq!(
        logged,
        [
            format!("GET /v1/contacts/{SEEDED_ID} 200 contacts.get"),
            "GET /v1/contacts/grace 200 contacts.get".into(),
            "DELETE /v1/contacts/grace 403 contacts.delete".into(),
            "DELETE /v1/contacts/grace 200 contacts.delete".into(),
            "GET /v1/contacts/grace 404 contacts.get".into(),
        ]
    );
    // Without --seed, the same server holds nothing.
    let empty = Served::start(&[]);
    assert!(!empty.banner.iter().any(|l| l.starts_with("seeded")));
    let url = format!("{}/v1/contacts/{SEEDED_ID}", empty.base_url);
    assert_eq!(
        send("GET", &url, Some(&empty.keys["full"]), None).status,
        404
    );
}

#[test]
fn a_broken_seed_file_is_refused_naming_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &str, &[&str]); 6] = [
        (
            "yaml.json",
            "contacts:\n  - id: a\n",
            &[":1:1: not JSON: expected value (a seed file is JSON; YAML is not read)"],
        ),
        (
            "truncated.json",
            "{\"contacts\": [\n  {\"id\": \"a\"}\n",
            &[":3:1: not JSON: EOF while parsing a list"],
        ),
        (
            "unknown.json",
            "{\n  \"contact\": []\n}",
            &[
                ":2:14: unknown collection `contact`: no operation's `stub:` names it (the \
               specs' collections: `activities`, `contact_documents`, `contacts`, `notes`); did you mean `contacts`?",
            ],
        ),
        (
            "records.json",
            "{\"contacts\": [\n  {\"full_name\": \"A\"},\n  {\"id\": 1},\n  {\"id\": \"x y\"}\n]}",
            &[
                ":2:3: record 1 of `contacts` has no `id` (a string)",
                ":3:10: record 2 of `contacts`: `id` must be a string, as the API's ids are; \
                 found a number",
                ":4:10: record 3 of `contacts`: the id \"x y\" cannot be a path parameter: it \
                 holds a space",
            ],
        ),
        (
            "twice.json",
            "{\"contacts\": [\n  {\"id\": \"a\"},\n  {\"id\": \"a\"}\n]}",
            &[
                ":3:3: record 2 of `contacts` has the id \"a\" of the record on line 2; ids are \
               unique in a collection",
            ],
        ),
        (
            "list.json",
            "[]",
            &[":1:1: expected an object mapping collection names to lists of records"],
        ),
    ];
    for (name, content, expected) in cases {
        let file = dir.path().join(name);
        std::fs::write(&file, content).unwrap();
        let mut child = spawn(
            &BTreeMap::new(),
            &["serve", "--port", "0", "--seed", file.to_str().unwrap()],
        );
        // It stops at once; a seed taken for good would serve until stopped.
        let output = crate::common::wait(&mut child, Duration::from_secs(15));
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
        assert!(text(&output.stdout).is_empty(), "nothing served: {name}");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), expected.len(), "{name}: {stderr}");
        for (line, expected) in lines.iter().zip(expected) {
            let prefix = format!("error: seed file {}{expected}", file.display());
            assert!(line.starts_with(&prefix), "{name}:\n{line}\n{prefix}");
        }
    }
    let missing = dir.path().join("missing.json");
    let mut child = spawn(
        &BTreeMap::new(),
        &["serve", "--seed", missing.to_str().unwrap()],
    );
    let output = crate::common::wait(&mut child, Duration::from_secs(60));
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).starts_with(&format!(
        "error: seed file {}: cannot read it: ",
        missing.display()
    )));
}

/// The fault seed whose first three requests fail at `--fail-rate 0.5` (the sequence is
/// SplitMix64's, so it is the same on every machine).
const FAIL_FIRST_THREE: &str = "5";

#[test]
fn latency_delays_every_answer_and_injected_503s_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (file, _) = seed_file(dir.path());
    let mut slow = Served::start(&[
        "--seed",
        file.to_str().unwrap(),
        "--latency",
        "150",
        "--fail-rate",
        "0.5",
        "--fail-seed",
        FAIL_FIRST_THREE,
        "--rate-limit",
        "100",
    ]);
    for line in [
        "latency: every answer waits 150 ms (--latency)",
        "failures: 50% of requests answered 503 service_unavailable with Retry-After: 1 \
         instead of by their operation (nothing changes; logged as \"503 injected\") \
         (--fail-rate)",
        "fault seed: 5 (--fail-seed 5 repeats these faults for the same sequence of requests)",
    ] {
        assert!(slow.banner.iter().any(|l| l == line), "{:?}", slow.banner);
    }
    let key = slow.keys["full"].clone();
    let contact = format!("{}/v1/contacts/{SEEDED_ID}", slow.base_url);
    let mut statuses = Vec::new();
    let mut answered = 0;
    let mut answer = |method: &str, statuses: &mut Vec<u16>| {
        let started = Instant::now();
        let got = send(method, &contact, Some(&key), None);
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(150),
            "every answer waits: {took:?}"
        );
        statuses.push(got.status);
        if got.status == 503 {
            assert_eq!(got.headers["retry-after"], "1");
            assert_eq!(got.headers["x-leadlex-stub"], "injected-failure");
            assert_eq!(got.body["error"]["code"], "service_unavailable");
        } else {
            // Only answered requests reach the operation and spend the key's budget.
            answered += 1;
            assert_eq!(
                got.headers["x-ratelimit-remaining"],
                (100 - answered).to_string()
            );
        }
        got
    };
    // A client retrying a DELETE: the failed attempts deleted nothing, so the retry that
    // gets through deletes the contact (a 404 would mean an injected failure had).
    let deleted = loop {
        let got = answer("DELETE", &mut statuses);
        if got.status != 503 {
            break got;
        }
    };
    assert_eq!(
        statuses,
        [503, 503, 503, 200],
        "--fail-seed 5 fails the first three"
    );
    assert_eq!(deleted.body["data"]["id"], SEEDED_ID);
    for _ in 0..8 {
        let got = answer("GET", &mut statuses);
        assert!(matches!(got.status, 404 | 503), "{}", got.status);
    }
    assert!(statuses.contains(&404), "{statuses:?}");
    let logged: Vec<String> = statuses.iter().map(|_| slow.next_log()).collect();
    for (line, status) in logged.iter().zip(&statuses) {
        let expected = match (line.starts_with("DELETE"), status) {
            (true, 503) => "503 injected (contacts.delete not run)",
            (false, 503) => "503 injected (contacts.get not run)",
            (true, _) => "200 contacts.delete",
            (false, _) => "404 contacts.get",
        };
        assert!(line.ends_with(expected), "{line}");
    }
    // The same seed fails the same requests of a sequence, with or without latency.
    let fast = Served::start(&["--fail-rate", "0.5", "--fail-seed", FAIL_FIRST_THREE]);
    assert!(!fast.banner.iter().any(|l| l.starts_with("latency")));
    let unknown = format!("{}/v1/contacts/{}", fast.base_url, uuid_like());
    let again: Vec<u16> = (0..statuses.len())
        .map(|_| send("GET", &unknown, Some(&fast.keys["full"]), None).status)
        .collect();
    let failed = |s: &[u16]| s.iter().map(|s| *s == 503).collect::<Vec<_>>();
    assert_eq!(failed(&again), failed(&statuses));
    // Off by default: neither line, and no failure.
    let plain = Served::start(&[]);
    assert!(!plain
        .banner
        .iter()
        .any(|l| l.starts_with("failures") || l.starts_with("fault seed")));
}

fn uuid_like() -> &'static str {
    "9d2c1b3a-0000-4000-8000-000000000001"
}

#[test]
fn wrong_fault_switches_are_clear_errors() {
    let cases: [(&[&str], &str); 4] = [
        (
            &["--fail-rate", "1.5"],
            "invalid value '1.5' for '--fail-rate <P>': `1.5` is not a share of requests \
             from 0 to 1",
        ),
        (
            &["--latency", "500-100"],
            "invalid value '500-100' for '--latency <MS|MIN-MAX>': the range 500-100 ends \
             before it starts (write MIN-MAX)",
        ),
        (
            &["--latency", "soon"],
            "invalid value 'soon' for '--latency <MS|MIN-MAX>': `soon` is not a number of \
             milliseconds (250) or a range (100-300)",
        ),
        (&["--fail-seed", "-1"], "unexpected argument '-1' found"),
    ];
    for (args, message) in cases {
        let mut all = vec!["serve"];
        all.extend_from_slice(args);
        let mut child = spawn(&BTreeMap::new(), &all);
        let output = crate::common::wait(&mut child, Duration::from_secs(60));
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = text(&output.stderr);
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
}
