//! Benchmark: the Delete Contact workload, against Hurl's figures, in stub and live runs.
//!
//! `cargo bench --bench workload` generates the workload of `../shared/bench/gen.py` in our
//! spec format: N scenarios cycling DELETE answers 200 (checks `data.deleted`, `data.id`),
//! 403 `insufficient_permissions`, 429 `rate_limited` and 401 `invalid_key` (a revoked key,
//! or no key), every answer also checked against a JSON Schema (formats on) and for its
//! rate-limit headers. It starts a local gateway imitating that endpoint (nginx with
//! `benches/nginx.conf` when `nginx` is installed, otherwise a small server of its own),
//! runs the release binary at N = 1,000 and 10,000 against it (live, 8 scenarios at once)
//! and against the stub, and prints wall time, CPU time and peak RSS (medians). When `hurl`
//! is on the PATH it runs Hurl on the same cases (`--test --jobs 8`) and prints the ratio.
//!
//! The workload deletes fixed ids, which the safety rules forbid against a real gateway: its
//! `suite.yaml` declares `disposable_target: true`, which the harness accepts only for a
//! gateway on this machine. In stub runs the 200 cases delete a contact they created first
//! (the stub holds no contact with a fixed id), so they send two requests instead of one.
//!
//! `WORKLOAD_SIZES=1000,10000` and `WORKLOAD_RUNS=5` change what is measured;
//! `WORKLOAD_KEEP=DIR` keeps the generated spec trees in `DIR/<N>/{live,stub}` for profiling. A benchmark,
//! not a test: it prints figures and asserts only that every run passed.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_leadlex-conformance");
const PORT: u16 = 18080;
const KEYS: [(&str, &str); 3] = [
    ("BENCH_KEY_FULL", "wbk_test_full"),
    ("BENCH_KEY_READONLY", "wbk_test_readonly"),
    ("BENCH_KEY_LIMITED", "wbk_test_limited"),
];

fn main() {
    let sizes: Vec<usize> = std::env::var("WORKLOAD_SIZES")
        .unwrap_or_else(|_| "1000,10000".into())
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect();
    let runs: usize = std::env::var("WORKLOAD_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(5);
    let gateway = Gateway::start();
    println!("gateway: {}", gateway.describe());
    let mut table = String::from(
        "\n| run | N | wall (median) | CPU | peak RSS | requests |\n|---|---|---|---|---|---|\n",
    );
    for &n in &sizes {
        let work = tempfile::tempdir().expect("a temporary directory");
        // WORKLOAD_KEEP=dir keeps the generated trees there, for profiling.
        let kept =
            std::env::var_os("WORKLOAD_KEEP").map(|dir| PathBuf::from(dir).join(n.to_string()));
        for target in [Target::Live, Target::Stub] {
            let specs = work.path().join(target.name());
            generate(&specs, n, target);
            if let Some(kept) = &kept {
                generate(&kept.join(target.name()), n, target);
            }
            let before = gateway.requests();
            let figures = measure(runs, || run_harness(&specs, work.path(), target));
            // The warm-up run counts too.
            let sent = gateway.requests().saturating_sub(before) / (runs as u64 + 1);
            let sent = match target {
                Target::Live => format!("{sent} (seen by the gateway)"),
                Target::Stub => format!("{} (planned)", n + n.div_ceil(4)),
            };
            let _ = writeln!(
                table,
                "| harness, release, {} | {n} | {} |",
                target.describe(),
                figures.row(&sent)
            );
            if target == Target::Live {
                if let Some(hurl) = hurl_figures(n, runs, work.path(), &gateway) {
                    let ratio = hurl.wall.as_secs_f64() / figures.wall.as_secs_f64();
                    let _ = writeln!(
                        table,
                        "| Hurl `--jobs 8` | {n} | {} |\n| ratio (Hurl / harness, live) | {n} | {ratio:.2}× | | | |",
                        hurl.row("")
                    );
                }
            }
        }
    }
    if which("hurl").is_none() {
        table.push_str(
            "\n(hurl is not on the PATH: install it to compare in the same run; reference \
             figures on this machine: Hurl 8.0.1 --jobs 8, N=1,000 0.17 s, N=10,000 1.83 s, 113 MB)\n",
        );
    }
    println!("{table}");
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    Live,
    Stub,
}

impl Target {
    fn name(self) -> &'static str {
        match self {
            Target::Live => "live",
            Target::Stub => "stub",
        }
    }
    fn describe(self) -> &'static str {
        match self {
            Target::Live => "live, concurrency 8",
            Target::Stub => "stub (4 trials per core)",
        }
    }
}

/// Medians of wall time, CPU time (user + system) and peak RSS over several runs.
struct Figures {
    wall: Duration,
    cpu: Duration,
    rss_kb: u64,
}

impl Figures {
    fn row(&self, requests: &str) -> String {
        format!(
            "{:.3} s | {:.3} s | {} MB | {requests}",
            self.wall.as_secs_f64(),
            self.cpu.as_secs_f64(),
            self.rss_kb / 1024
        )
    }
}

fn measure(runs: usize, mut once: impl FnMut() -> Figures) -> Figures {
    let _warm_up = once();
    let mut all: Vec<Figures> = (0..runs).map(|_| once()).collect();
    let median = |mut v: Vec<u128>| {
        v.sort_unstable();
        v[v.len() / 2]
    };
    let wall = median(all.iter().map(|f| f.wall.as_micros()).collect());
    let cpu = median(all.iter().map(|f| f.cpu.as_micros()).collect());
    let rss = median(all.iter().map(|f| u128::from(f.rss_kb)).collect());
    all.clear();
    Figures {
        wall: Duration::from_micros(wall as u64),
        cpu: Duration::from_micros(cpu as u64),
        rss_kb: rss as u64,
    }
}

/// Runs a command to its end; wall time from here, CPU and peak RSS from the kernel.
// `wait4` below reaps the child (the only way to get its own rusage), unseen by clippy.
#[allow(clippy::zombie_processes)]
fn timed(mut command: Command) -> (Figures, bool) {
    let started = Instant::now();
    let child = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command starts");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child; `usage` is a valid, writable rusage.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    assert_eq!(waited, pid, "wait4 failed");
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    let passed = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    if !passed {
        let mut stderr = String::new();
        if let Some(mut err) = child.stderr {
            use std::io::Read;
            let _ = err.read_to_string(&mut stderr);
        }
        eprintln!("{}", stderr.chars().take(4000).collect::<String>());
    }
    let figures = Figures {
        wall,
        cpu: time(usage.ru_utime) + time(usage.ru_stime),
        rss_kb: usage.ru_maxrss as u64,
    };
    (figures, passed)
}

fn run_harness(specs: &Path, work: &Path, target: Target) -> Figures {
    let mut command = Command::new(BIN);
    for (name, _) in std::env::vars().filter(|(k, _)| k.starts_with("LEADLEX_")) {
        command.env_remove(name);
    }
    command
        .env("LEADLEX_SPECS", specs)
        .env("LEADLEX_JUNIT", work.join("junit.xml"))
        .env("LEADLEX_COVERAGE", work.join("coverage.json"))
        .env("LEADLEX_LEDGER_DIR", work.join("created"))
        .env("NO_COLOR", "1");
    if target == Target::Live {
        command
            .env("LEADLEX_BASE_URL", format!("http://127.0.0.1:{PORT}"))
            .env("LEADLEX_CONCURRENCY", "8")
            .env("LEADLEX_RATE_LIMIT_RPM", "100000000")
            .env("LEADLEX_MAX_REQUESTS", "100000000")
            .env("LEADLEX_SPEND_QUOTA", "1");
        for (variable, key) in KEYS {
            command.env(variable, key);
        }
    }
    let (figures, passed) = timed(command);
    assert!(passed, "the harness run failed ({})", target.name());
    figures
}

/// The workload as a spec tree: `suite.yaml`, `contacts/delete.yaml` with `n` scenarios
/// (and `contacts/create.yaml` for stub runs), and the two schemas.
fn generate(dir: &Path, n: usize, target: Target) {
    std::fs::create_dir_all(dir.join("contacts")).unwrap();
    let write = |path: &str, text: &str| std::fs::write(dir.join(path), text).unwrap();
    write(
        "suite.yaml",
        "# The benchmark workload: a gateway on this machine with nothing worth keeping.\n\
         disposable_target: true\n\
         credentials:\n\
         \x20 full: { env: BENCH_KEY_FULL, about: every permission }\n\
         \x20 readonly: { env: BENCH_KEY_READONLY, about: no delete permission, lacks: [contacts:delete] }\n\
         \x20 limited: { env: BENCH_KEY_LIMITED, about: its quota is spent, exhausted: true }\n\
         every_response:\n\
         \x20 headers:\n\
         \x20   X-RateLimit-Limit: integer\n\
         \x20   X-RateLimit-Remaining: integer\n\
         \x20   X-RateLimit-Reset: integer\n\
         stub:\n\
         \x20 rate_limit: 1000\n\
         collections:\n\
         \x20 contacts: {}\n",
    );
    write("contacts/success.schema.json", SUCCESS_SCHEMA);
    write("contacts/error.schema.json", ERROR_SCHEMA);
    write("contacts/create.yaml", CREATE_OPERATION);
    let mut yaml = String::from(DELETE_OPERATION);
    yaml.push_str("\nscenarios:\n");
    for i in 0..n {
        let uuid = format!("00000000-0000-4000-8000-{i:012x}");
        let _ = match (i % 4, target) {
            (0, Target::Live) => write!(
                yaml,
                "  - name: case_{i:05}\n    request: {{ path: {{ id: {uuid} }} }}\n    \
                 expect: {{ status: 200, equals: {{ /data/deleted: true, /data/id: {uuid} }} }}\n"
            ),
            (0, Target::Stub) => write!(
                yaml,
                "  - name: case_{i:05}\n    setup:\n      - operation: contacts.create\n        \
                 request: {{ body: {{ full_name: \"Bench {{{{run_id}}}}\" }} }}\n        \
                 capture: {{ contact_id: /data/id }}\n        \
                 cleanup: {{ operation: contacts.delete, request: {{ path: {{ id: \"{{{{contact_id}}}}\" }} }} }}\n    \
                 request: {{ path: {{ id: \"{{{{contact_id}}}}\" }} }}\n    \
                 expect: {{ status: 200, equals: {{ /data/deleted: true, /data/id: \"{{{{contact_id}}}}\" }} }}\n"
            ),
            (kind, _) => {
                let (credential, status, code) = match kind {
                    1 => ("readonly", 403, "insufficient_permissions"),
                    2 => ("limited", 429, "rate_limited"),
                    _ if (i / 4) % 2 == 0 => ("invalid", 401, "invalid_key"),
                    _ => ("none", 401, "invalid_key"),
                };
                write!(
                    yaml,
                    "  - name: case_{i:05}\n    request: {{ credential: {credential}, path: {{ id: {uuid} }} }}\n    \
                     expect: {{ status: {status}, code: {code} }}\n"
                )
            }
        };
    }
    write("contacts/delete.yaml", &yaml);
}

const DELETE_OPERATION: &str = "\
operation:
  title: Delete Contact
  method: DELETE
  path: /v1/contacts/{id}
  doc: https://docs.leadlex.com/api-reference/contacts/delete.md
  permission: contacts:delete
  stub: { action: delete, collection: contacts }
  responses:
    - status: 200
      schema: success.schema.json
      example: { data: { deleted: true, id: 123e4567-e89b-12d3-a456-426614174000 } }
    - status: 401
      code: invalid_key
      schema: error.schema.json
      example: { error: { code: invalid_key, message: Invalid or expired API key } }
    - status: 403
      code: insufficient_permissions
      schema: error.schema.json
      example: { error: { code: insufficient_permissions, message: Missing contacts:delete permission } }
    - status: 429
      code: rate_limited
      schema: error.schema.json
      example: { error: { code: rate_limited, message: Rate limit exceeded } }
";

const CREATE_OPERATION: &str = "\
operation:
  title: Create Contact
  method: POST
  path: /v1/contacts
  doc: https://docs.leadlex.com/api-reference/contacts/create
  stub: { action: create, collection: contacts }
  responses:
    - status: 201
      example: { data: { id: 123e4567-e89b-12d3-a456-426614174000, full_name: Jane Doe } }
";

const SUCCESS_SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "required": ["data"],
  "additionalProperties": false,
  "properties": {
    "data": {
      "type": "object",
      "required": ["deleted", "id"],
      "additionalProperties": false,
      "properties": {
        "deleted": { "type": "boolean", "const": true },
        "id": { "type": "string", "format": "uuid" }
      }
    }
  }
}
"#;

const ERROR_SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "required": ["error"],
  "additionalProperties": false,
  "properties": {
    "error": {
      "type": "object",
      "required": ["code", "message"],
      "properties": {
        "code": { "type": "string", "minLength": 1 },
        "message": { "type": "string" }
      }
    }
  }
}
"#;

/// Hurl on the same cases, when it is installed.
fn hurl_figures(n: usize, runs: usize, work: &Path, gateway: &Gateway) -> Option<Figures> {
    let hurl = which("hurl")?;
    let dir = work.join("hurl");
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..n {
        let uuid = format!("00000000-0000-4000-8000-{i:012x}");
        let (key, status, asserts) = match i % 4 {
            0 => (
                Some("wbk_test_full"),
                200,
                format!(
                    "jsonpath \"$.data.deleted\" == true\njsonpath \"$.data.id\" == \"{uuid}\"\n"
                ),
            ),
            1 => (
                Some("wbk_test_readonly"),
                403,
                error_asserts("insufficient_permissions"),
            ),
            2 => (Some("wbk_test_limited"), 429, error_asserts("rate_limited")),
            _ if (i / 4) % 2 == 0 => (Some("wbk_test_revoked"), 401, error_asserts("invalid_key")),
            _ => (None, 401, error_asserts("invalid_key")),
        };
        let header = key.map_or(String::new(), |k| format!("Authorization: Bearer {k}\n"));
        let entry = format!(
            "DELETE http://127.0.0.1:{PORT}/v1/contacts/{uuid}\n{header}HTTP {status}\n[Asserts]\n{asserts}"
        );
        std::fs::write(dir.join(format!("case_{i:05}.hurl")), entry).unwrap();
    }
    let _ = gateway;
    Some(measure(runs, || {
        let mut command = Command::new(&hurl);
        command.args(["--test", "--jobs", "8"]).arg(&dir);
        let (figures, passed) = timed(command);
        assert!(passed, "the Hurl run failed");
        figures
    }))
}

fn error_asserts(code: &str) -> String {
    format!("jsonpath \"$.error.code\" == \"{code}\"\njsonpath \"$.error.message\" isString\n")
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| Path::new(dir).join(program))
        .find(|path| path.is_file())
}

/// The local gateway: nginx with the workload's configuration, or a server of our own.
enum Gateway {
    Nginx {
        child: std::process::Child,
        _prefix: tempfile::TempDir,
    },
    Own(own::Server),
}

impl Gateway {
    fn start() -> Gateway {
        if let Some(nginx) = which("nginx").or_else(|| {
            let sbin = Path::new("/usr/sbin/nginx");
            sbin.is_file().then(|| sbin.to_path_buf())
        }) {
            let prefix = tempfile::tempdir().unwrap();
            for sub in ["logs", "tmp"] {
                std::fs::create_dir_all(prefix.path().join(sub)).unwrap();
            }
            let conf = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/nginx.conf");
            let child = Command::new(nginx)
                .arg("-p")
                .arg(prefix.path())
                .arg("-c")
                .arg(conf)
                .args(["-e", "logs/error.log", "-g", "daemon off;"])
                .stderr(Stdio::null())
                .spawn()
                .expect("nginx starts");
            wait_for_port();
            return Gateway::Nginx {
                child,
                _prefix: prefix,
            };
        }
        let server = own::Server::start(PORT);
        wait_for_port();
        Gateway::Own(server)
    }

    fn describe(&self) -> String {
        match self {
            Gateway::Nginx { .. } => format!("nginx on 127.0.0.1:{PORT} (benches/nginx.conf)"),
            Gateway::Own(_) => format!("the benchmark's own server on 127.0.0.1:{PORT}"),
        }
    }

    /// Requests answered so far (nginx's stub_status counts its own reads too).
    fn requests(&self) -> u64 {
        match self {
            Gateway::Own(server) => server.requests(),
            Gateway::Nginx { .. } => nginx_requests().saturating_sub(1),
        }
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        if let Gateway::Nginx { child, .. } = self {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn wait_for_port() {
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", PORT)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("the gateway did not listen on {PORT}");
}

/// The `requests` counter of nginx's stub_status page.
fn nginx_requests() -> u64 {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", PORT)) else {
        return 0;
    };
    let _ = stream.write_all(b"GET /__nginx_status HTTP/1.0\r\nHost: localhost\r\n\r\n");
    let mut text = String::new();
    let _ = stream.read_to_string(&mut text);
    // "... \n accepts handled requests\n 1 1 7 \n"
    text.lines()
        .skip_while(|l| !l.contains("accepts handled requests"))
        .nth(1)
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// A small HTTP/1.1 keep-alive server answering like `benches/nginx.conf`, for machines
/// without nginx.
mod own {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    pub struct Server {
        count: Arc<AtomicU64>,
        _thread: std::thread::JoinHandle<()>,
    }

    impl Server {
        pub fn start(port: u16) -> Server {
            let listener = std::net::TcpListener::bind(("127.0.0.1", port)).expect("bind");
            listener.set_nonblocking(true).unwrap();
            let count = Arc::new(AtomicU64::new(0));
            let counter = count.clone();
            let thread = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                    while let Ok((stream, _)) = listener.accept().await {
                        tokio::spawn(serve(stream, counter.clone()));
                    }
                });
            });
            Server {
                count,
                _thread: thread,
            }
        }

        pub fn requests(&self) -> u64 {
            self.count.load(Ordering::Relaxed)
        }
    }

    async fn serve(mut stream: tokio::net::TcpStream, count: Arc<AtomicU64>) {
        let mut buffer = Vec::with_capacity(4096);
        let mut chunk = [0u8; 4096];
        loop {
            let end = loop {
                if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                    break end;
                }
                match stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                }
            };
            let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
            buffer.drain(..end + 4);
            count.fetch_add(1, Ordering::Relaxed);
            let reply = answer(&head);
            if stream.write_all(reply.as_bytes()).await.is_err() {
                return;
            }
        }
    }

    fn answer(head: &str) -> String {
        let mut lines = head.lines();
        let mut parts = lines.next().unwrap_or("").split(' ');
        let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let auth = lines
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("authorization")
                    .then(|| value.trim().to_string())
            })
            .unwrap_or_default();
        let id = path
            .strip_prefix("/v1/contacts/")
            .filter(|id| id.len() == 36);
        let (status, body) = match (method, id) {
            ("DELETE", Some(id)) => match auth.as_str() {
                "Bearer wbk_test_full" => {
                    (200, format!(r#"{{"data":{{"deleted":true,"id":"{id}"}}}}"#))
                }
                "Bearer wbk_test_readonly" => (
                    403,
                    error(
                        "insufficient_permissions",
                        "Missing contacts:delete permission",
                    ),
                ),
                "Bearer wbk_test_limited" => (429, error("rate_limited", "Rate limit exceeded")),
                _ => (401, error("invalid_key", "Invalid or expired API key")),
            },
            _ => (404, error("not_found", "Not found")),
        };
        format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             X-RateLimit-Limit: 1000\r\nX-RateLimit-Remaining: 999\r\nX-RateLimit-Reset: 1708905600\r\n\
             X-Request-ID: req_0\r\n\r\n{body}",
            body.len()
        )
    }

    fn error(code: &str, message: &str) -> String {
        format!(r#"{{"error":{{"code":"{code}","message":"{message}"}}}}"#)
    }
}
