//! The stub as a standalone HTTP server on the loopback (`leadlex-conformance serve`), for
//! people and tools such as Schemathesis or curl rather than for the trials: a port of its
//! own, one fixed trial number for its keys, a rate limit that may be raised, and one log
//! line per request. Its records live in memory for the server's lifetime.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, TcpListener};

use super::{Answered, RequestLog, Stub, StubOptions};
use crate::spec::Suite;

/// The trial number of the keys a served stub prints. The stub accepts the keys of any
/// trial number, each with a rate-limit budget of its own.
pub const SERVE_TRIAL: u64 = 0;

/// The port `serve` listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 4010;

/// How to serve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServeOptions {
    /// On 127.0.0.1; 0 picks a free port.
    pub port: u16,
    /// Requests one key may make in the server's lifetime before it answers 429; `None`:
    /// the suite's `stub.rate_limit`.
    pub rate_limit: Option<u32>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            port: DEFAULT_PORT,
            rate_limit: None,
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
    /// `METHOD path (operation id)` of each operation without a `stub:` behaviour: answered
    /// 501 like any unknown route.
    pub not_served: Vec<String>,
}

/// The key a served stub accepts for one credential of the suite.
#[derive(Clone, Debug)]
pub struct ServedKey {
    pub credential: String,
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
    let stub = Stub::start_with(
        suite,
        StubOptions {
            listener: Some(listener),
            rate_limit: options.rate_limit,
            log: Some(log),
        },
    )
    .await;
    let keys = suite
        .credentials
        .iter()
        .map(|(name, credential)| {
            let mut notes = Vec::new();
            if !credential.lacks.is_empty() {
                notes.push(format!("lacks {}", credential.lacks.join(", ")));
            }
            if credential.exhausted {
                notes.push("quota spent: always 429".to_string());
            }
            ServedKey {
                credential: name.clone(),
                key: Stub::key(SERVE_TRIAL, name),
                note: (!notes.is_empty()).then(|| notes.join("; ")),
            }
        })
        .collect();
    let not_served = suite
        .operations
        .iter()
        .filter(|op| !super::serves(op))
        .map(|op| format!("{} {} ({})", op.method, op.path, op.id))
        .collect();
    Ok(Served {
        stub,
        keys,
        rate_limit: options.rate_limit.unwrap_or(suite.stub_rate_limit),
        not_served,
    })
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
        let width = self
            .keys
            .iter()
            .map(|k| k.credential.len())
            .max()
            .unwrap_or(0);
        for key in &self.keys {
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
        let _ = writeln!(
            text,
            "rate limit: {} requests per key for the server's lifetime, then 429 (--rate-limit N)",
            self.rate_limit
        );
        for op in &self.not_served {
            let _ = writeln!(
                text,
                "not served (no `stub:` behaviour, answered 501 stub_no_route): {op}"
            );
        }
        text.push_str(
            "one line per request: time, method, path, status, operation (or \"no route\"); \
             Ctrl-C stops\n",
        );
        text
    }
}

/// One log line (without its newline): `2026-03-01T10:00:00.123Z POST /v1/contacts 201
/// contacts.create`, or `… 501 no route`.
pub fn log_line(answered: &Answered, now: chrono::DateTime<chrono::Utc>) -> String {
    format!(
        "{} {} {} {} {}",
        now.format("%Y-%m-%dT%H:%M:%S%.3fZ"),
        answered.method,
        answered.path,
        answered.status,
        answered.operation.as_deref().unwrap_or("no route")
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
        };
        assert_eq!(
            log_line(&answered, at),
            "2026-03-01T10:00:00.005Z DELETE /v1/contacts/abc 200 contacts.delete"
        );
        answered.operation = None;
        answered.status = 501;
        assert!(log_line(&answered, at).ends_with(" 501 no route"));
    }
}
