//! The stub as a standalone HTTP server on the loopback (`leadlex-conformance serve`), for
//! people and tools such as Schemathesis or curl rather than for the trials: a port of its
//! own, one fixed trial number for its keys, a rate limit that may be raised, records to
//! start with (`--seed`), delays and injected failures for testing retries (`--latency`,
//! `--fail-rate`), and one log line per request. Its records live in memory for the
//! server's lifetime.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, TcpListener};
use std::sync::Arc;

use super::faults::{FaultOptions, Faults, INJECTED_CODE, INJECTED_STATUS, RETRY_AFTER_SECS};
use super::seed::Seed;
use super::{Answered, RequestLog, Stub, StubOptions};
use crate::spec::raw::Credential;
use crate::spec::Suite;

/// The trial number of the keys a served stub prints. The stub accepts the keys of any
/// trial number, each with a rate-limit budget of its own.
pub const SERVE_TRIAL: u64 = 0;

/// The port `serve` listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 4010;

/// How to serve.
#[derive(Clone, Debug, PartialEq)]
pub struct ServeOptions {
    /// On 127.0.0.1; 0 picks a free port.
    pub port: u16,
    /// Requests one key may make in the server's lifetime before it answers 429; `None`:
    /// the suite's `stub.rate_limit`.
    pub rate_limit: Option<u32>,
    /// Whether an operation's own `rate_limit` is kept (`--no-operation-limits`: not).
    pub operation_limits: bool,
    /// Records to start with.
    pub seed: Option<Seed>,
    /// Delays and injected failures; none by default.
    pub faults: FaultOptions,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            port: DEFAULT_PORT,
            rate_limit: None,
            operation_limits: true,
            seed: None,
            faults: FaultOptions::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind { port: u16, source: std::io::Error },
}

/// A stub being served.
pub struct Served {
    /// Stops serving when dropped.
    pub stub: Stub,
    pub keys: Vec<ServedKey>,
    pub rate_limit: u32,
    /// `contacts.export: 10 calls per hour per workspace`, for each operation with a limit
    /// of its own that is kept.
    pub operation_limits: Vec<String>,
    /// `METHOD path (operation id)` of each operation without a `stub:` behaviour: answered
    /// 501 like any unknown route.
    pub not_served: Vec<String>,
    /// The trial names of the scenarios that use an operation it does not serve: stub runs
    /// ignore them, so a live run against it skips them.
    pub unservable: Vec<String>,
    /// Records seeded, by collection, and the seed file.
    pub seeded: Option<(String, Vec<(String, usize)>)>,
    /// The faults asked for, with the seed of their sequence.
    pub faults: Option<(FaultOptions, u64)>,
}

/// The key a served stub accepts for one credential of the suite.
#[derive(Clone, Debug)]
pub struct ServedKey {
    pub credential: String,
    /// The variable a live run reads this credential's key from (`LEADLEX_API_KEY`).
    pub variable: String,
    pub key: String,
    /// What the stub does with it beyond the documented answers: lacking permissions
    /// (403) or a spent quota (429).
    pub note: Option<String>,
}

/// Starts the stub on 127.0.0.1 with `log` told of every request.
pub async fn start(
    suite: &Suite,
    options: &ServeOptions,
    log: RequestLog,
) -> Result<Served, ServeError> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, options.port)).map_err(|source| {
        ServeError::Bind {
            port: options.port,
            source,
        }
    })?;
    let faults = options
        .faults
        .any()
        .then(|| Arc::new(Faults::new(options.faults)));
    let seeded = options.seed.as_ref().map(seeded_counts);
    let stub = Stub::start_with(
        suite,
        StubOptions {
            listener: Some(listener),
            rate_limit: options.rate_limit,
            no_operation_limits: !options.operation_limits,
            log: Some(log),
            seed: options.seed.clone(),
            faults: faults.clone(),
        },
    )
    .await;
    let keys = suite
        .credentials
        .iter()
        .map(|(name, credential)| served_key(name, credential))
        .collect();
    Ok(Served {
        stub,
        keys,
        rate_limit: options.rate_limit.unwrap_or(suite.stub_rate_limit),
        operation_limits: suite
            .operations
            .iter()
            .filter(|_| options.operation_limits)
            .filter_map(|op| {
                let own = op.rate_limit?;
                let per = own.per.name();
                Some(format!(
                    "{}: {} calls per {per} per workspace",
                    op.id, own.calls
                ))
            })
            .collect(),
        not_served: not_served(suite),
        unservable: suite
            .scenarios
            .iter()
            .filter(|s| super::cannot_serve(s).is_some())
            .map(|s| s.trial_name.clone())
            .collect(),
        seeded,
        faults: faults.map(|f| (*f.options(), f.seed)),
    })
}

/// The seed file, and how many records it seeds of each collection.
fn seeded_counts(seed: &Seed) -> (String, Vec<(String, usize)>) {
    let counts = seed
        .collections
        .iter()
        .map(|(name, records)| (name.clone(), records.len()))
        .collect();
    (seed.file.clone(), counts)
}

/// The key served for one credential, with a note of what the stub does with it.
fn served_key(name: &str, credential: &Credential) -> ServedKey {
    let mut notes = Vec::new();
    if !credential.lacks.is_empty() {
        notes.push(format!("lacks {}", credential.lacks.join(", ")));
    }
    if credential.exhausted {
        notes.push("quota spent: always 429".to_string());
    }
    ServedKey {
        credential: name.to_string(),
        variable: credential.env.clone(),
        key: Stub::key(SERVE_TRIAL, name),
        note: (!notes.is_empty()).then(|| notes.join("; ")),
    }
}

/// `METHOD path (operation id)` of each operation without a `stub:` behaviour.
fn not_served(suite: &Suite) -> Vec<String> {
    suite
        .operations
        .iter()
        .filter(|op| !super::serves(op))
        .map(|op| format!("{} {} ({})", op.method, op.path, op.id))
        .collect()
}

impl Served {
    /// What `serve` prints when it starts: the base URL, a key per credential, the rate
    /// limit, what is not served, and the format of the log lines.
    pub fn banner(&self, specs: &str, operations: usize) -> String {
        let mut text = format!(
            "LeadLex stub serving {operations} operation(s) from {specs}\n\
             base URL: {}\n\
             API keys (stub keys, not secrets; send `Authorization: Bearer <key>`):\n",
            self.stub.base_url()
        );
        text.push_str(&key_lines(&self.keys));
        let _ = writeln!(
            text,
            "rate limit: {} requests per key for the server's lifetime, then 429 (--rate-limit N)",
            self.rate_limit
        );
        if !self.operation_limits.is_empty() {
            let _ = writeln!(
                text,
                "operation limits (--no-operation-limits ignores them): {}",
                self.operation_limits.join(", ")
            );
        }
        for op in &self.not_served {
            let _ = writeln!(
                text,
                "not served (no `stub:` behaviour, answered 501 stub_no_route): {op}"
            );
        }
        if let Some((file, counts)) = &self.seeded {
            text.push_str(&seeded_line(file, counts));
        }
        if let Some((faults, seed)) = &self.faults {
            text.push_str(&fault_lines(faults, *seed));
        }
        let _ = writeln!(text, "conformance suite against it: {}", self.live_run());
        text.push_str(
            "one line per request: time, method, path, status, operation (or \"no route\"); \
             Ctrl-C stops\n",
        );
        text
    }

    /// The command that runs the conformance suite live against this server, as a shell
    /// reads it: its base URL and keys, and `--skip` for each scenario it cannot serve.
    pub fn live_run(&self) -> String {
        let mut words = vec![format!("LEADLEX_BASE_URL={}", self.stub.base_url())];
        words.extend(
            self.keys
                .iter()
                .map(|k| shell_word(&format!("{}={}", k.variable, k.key))),
        );
        words.push("leadlex-conformance".into());
        if !self.unservable.is_empty() {
            words.push("--exact".into());
            for trial in &self.unservable {
                words.extend(["--skip".to_string(), shell_word(trial)]);
            }
        }
        words.join(" ")
    }
}

/// The banner's line of each key, the keys aligned after their credentials' names.
fn key_lines(keys: &[ServedKey]) -> String {
    let mut text = String::new();
    let width = keys.iter().map(|k| k.credential.len()).max().unwrap_or(0);
    for key in keys {
        let note = key
            .note
            .as_ref()
            .map(|n| format!("  ({n})"))
            .unwrap_or_default();
        let _ = writeln!(
            text,
            "  key {:<width$} {}{note}",
            format!("{}:", key.credential),
            key.key,
            width = width + 1
        );
    }
    text
}

/// The banner's line of the records seeded from `file`, `counts` by collection.
fn seeded_line(file: &str, counts: &[(String, usize)]) -> String {
    let total: usize = counts.iter().map(|(_, n)| n).sum();
    let each: Vec<String> = counts.iter().map(|(c, n)| format!("{c}: {n}")).collect();
    format!(
        "seeded: {total} record(s) from {file} ({})\n",
        match each.is_empty() {
            true => "no collection".to_string(),
            false => each.join(", "),
        }
    )
}

/// The banner's lines of the faults asked for: latency, injected failures, and the seed
/// that repeats them.
fn fault_lines(faults: &FaultOptions, seed: u64) -> String {
    let mut text = String::new();
    if let Some(latency) = faults.latency {
        let _ = writeln!(text, "latency: every answer waits {latency} (--latency)");
    }
    if faults.fail_rate > 0.0 {
        let _ = writeln!(
            text,
            "failures: {} of requests answered {INJECTED_STATUS} {INJECTED_CODE} with \
             Retry-After: {RETRY_AFTER_SECS} instead of by their operation (nothing \
             changes; logged as \"{INJECTED_STATUS} injected\") (--fail-rate)",
            percent(faults.fail_rate)
        );
    }
    let _ = writeln!(
        text,
        "fault seed: {seed} (--fail-seed {seed} repeats these faults for the same \
         sequence of requests)"
    );
    text
}

/// `word` as one word of a POSIX shell: as it is when nothing in it is special, else in
/// single quotes.
fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c);
    match !word.is_empty() && word.chars().all(plain) {
        true => word.to_string(),
        false => format!("'{}'", word.replace('\'', "'\\''")),
    }
}

/// `20%`, `0.5%`: a share of requests as a person reads it.
fn percent(share: f64) -> String {
    format!("{}%", (share * 100_000.0).round() / 1000.0)
}

/// One log line (without its newline): `2026-03-01T10:00:00.123Z POST /v1/contacts 201
/// contacts.create`, `… 501 no route`, or for a failure injected instead of the
/// operation's answer `… 503 injected (contacts.create not run)`.
pub fn log_line(answered: &Answered, now: chrono::DateTime<chrono::Utc>) -> String {
    let by = answered.operation.as_deref().unwrap_or("no route");
    let by = match answered.injected {
        true if answered.operation.is_some() => format!("injected ({by} not run)"),
        true => format!("injected ({by})"),
        false => by.to_string(),
    };
    format!(
        "{} {} {} {} {by}",
        now.format("%Y-%m-%dT%H:%M:%S%.3fZ"),
        answered.method,
        answered.path,
        answered.status,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_line_names_the_operation_or_no_route() {
        let at = chrono::DateTime::from_timestamp(1_772_359_200, 5_000_000).unwrap();
        let mut answered = Answered {
            method: "DELETE".into(),
            path: "/v1/contacts/abc".into(),
            status: 200,
            operation: Some("contacts.delete".into()),
            injected: false,
        };
        assert_eq!(
            log_line(&answered, at),
            "2026-03-01T10:00:00.005Z DELETE /v1/contacts/abc 200 contacts.delete"
        );
        answered.operation = None;
        answered.status = 501;
        assert!(log_line(&answered, at).ends_with(" 501 no route"));
        answered.status = 503;
        answered.injected = true;
        assert!(log_line(&answered, at).ends_with(" 503 injected (no route)"));
        answered.operation = Some("contacts.create".into());
        assert_eq!(
            log_line(&answered, at),
            "2026-03-01T10:00:00.005Z DELETE /v1/contacts/abc 503 injected (contacts.create not run)"
        );
    }

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(
            shell_word("contacts/list.yaml::a_b"),
            "contacts/list.yaml::a_b"
        );
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
        assert_eq!(shell_word("$HOME"), "'$HOME'");
        assert_eq!(shell_word(""), "''");
    }

    #[test]
    fn shares_read_as_percentages() {
        assert_eq!(percent(0.2), "20%");
        assert_eq!(percent(1.0), "100%");
        assert_eq!(percent(0.005), "0.5%");
        assert_eq!(percent(0.123456), "12.346%");
    }
}
