//! The neutral result of one trial, consumed by every reporter.
//!
//! Outcomes know nothing of libtest or JUnit: the harness turns them into a libtest result
//! and the reporters into files, all through [`crate::report::render`].

use std::fmt;
use std::time::{Duration, SystemTime};

use crate::secrets::redact::Redactor;
use crate::source::Span;

/// What happened to one scenario.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub trial_name: String,
    /// `contacts.delete`: groups testcases in reports.
    pub operation_id: String,
    pub scenario: String,
    pub span: Span,
    pub started: SystemTime,
    pub duration: Duration,
    pub verdict: Verdict,
    /// Every request sent, in order, for the report.
    pub exchanges: Vec<ExchangeSummary>,
    /// Values the scenario captured as secrets; every rendering of it hides them.
    pub secrets: Redactor,
    /// Records this scenario may have left on the gateway, or did not touch because it
    /// could not show they were its own: each for a person to check after the run.
    pub left_behind: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    Passed,
    /// The gateway answered, and not as documented.
    Failed(Vec<Mismatch>),
    /// The scenario could not be judged: a setup step, the transport or a cleanup failed.
    Errored {
        reason: String,
        mismatches: Vec<Mismatch>,
    },
    /// Not run; the text says why and how to run it.
    Ignored(String),
}

impl Verdict {
    pub fn is_success(&self) -> bool {
        matches!(self, Verdict::Passed | Verdict::Ignored(_))
    }
}

/// The part of a response a check looked at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Check {
    Status,
    ErrorCode,
    Header(String),
    /// The `Content-Type` against the documented media type.
    MediaType,
    Body,
    /// A promise of `expect.csv` about a CSV body: `body` (it is CSV), `columns`, `rows`,
    /// `min_rows`, `contains`.
    Csv(&'static str),
    Schema,
    Equals(String),
    /// A matcher of `expect.body` other than `equals` (`contains`, `sorted_by`…) at a JSON
    /// pointer of the body; `name` is its key.
    Matcher {
        name: &'static str,
        pointer: String,
    },
    Capture(String),
    /// Whether a record is the run's own, before anything changes or removes it.
    Ownership,
    Transport,
    /// The stub had no behaviour for the request: a harness error, never a verdict.
    StubNoRoute,
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Check::Status => f.write_str("status"),
            Check::ErrorCode => f.write_str("error.code"),
            Check::Header(name) => write!(f, "header {name}"),
            Check::MediaType => f.write_str("Content-Type"),
            Check::Body => f.write_str("body"),
            Check::Csv(name) => write!(f, "csv {name}"),
            Check::Schema => f.write_str("schema"),
            Check::Equals(pointer) => write!(f, "equals {pointer}"),
            Check::Matcher { name, pointer } if pointer.is_empty() => {
                write!(f, "{name} (the whole body)")
            }
            Check::Matcher { name, pointer } => write!(f, "{name} {pointer}"),
            Check::Capture(name) => write!(f, "capture {name}"),
            Check::Ownership => f.write_str("ownership"),
            Check::Transport => f.write_str("transport"),
            Check::StubNoRoute => f.write_str("stub"),
        }
    }
}

/// One broken promise: which check, expected and actual, and where it was promised.
#[derive(Clone, Debug, PartialEq)]
pub struct Mismatch {
    /// `request`, `setup[0]`, `verify[0]`, `cleanup`.
    pub step: String,
    pub check: Check,
    pub expected: String,
    pub actual: String,
    /// JSON pointer into the response body, for body checks.
    pub pointer: Option<String>,
    /// Path inside the JSON Schema, for schema checks.
    pub schema_path: Option<String>,
    /// The spec line that made the promise.
    pub span: Span,
}

impl Mismatch {
    /// A broken promise of `check` at `step`, promised (or sent) at `span`.
    pub fn new(
        step: impl Into<String>,
        check: Check,
        expected: impl Into<String>,
        actual: impl Into<String>,
        span: Span,
    ) -> Mismatch {
        Mismatch {
            step: step.into(),
            check,
            expected: expected.into(),
            actual: actual.into(),
            pointer: None,
            schema_path: None,
            span,
        }
    }

    /// The same, about the value at a JSON pointer of the body.
    pub fn at(mut self, pointer: impl Into<String>) -> Mismatch {
        self.pointer = Some(pointer.into());
        self
    }
}

/// A request and what came back, as shown in failure messages and reports.
///
/// Built so that nothing in it is secret: the key is held only as a reference to where
/// it comes from (`$LEADLEX_API_KEY`), never as its value.
#[derive(Clone, Debug, PartialEq)]
pub struct ExchangeSummary {
    pub step: String,
    /// The operation the request belongs to (`contacts.create` for a setup step).
    pub operation: String,
    pub method: String,
    pub url: String,
    /// Headers as sent, with `Authorization` written as `Bearer <key reference>`.
    pub request_headers: Vec<(String, String)>,
    pub request_body: Option<serde_json::Value>,
    pub status: Option<u16>,
    pub response_headers: Vec<(String, String)>,
    /// The body as received (bounded by the client).
    pub body: Vec<u8>,
    pub elapsed: Duration,
    /// Why no response came back, if none did.
    pub error: Option<String>,
    /// Why this attempt was followed by another, if it was.
    pub retried: Option<String>,
}

impl ExchangeSummary {
    /// `DELETE https://host/v1/contacts/…`
    pub fn request_line(&self) -> String {
        format!("{} {}", self.method, self.url)
    }

    /// The first response header called `name` (any case).
    pub fn response_header(&self, name: &str) -> Option<&str> {
        self.response_headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Facts about the whole run, which every report records.
#[derive(Clone, Debug)]
pub struct RunFacts {
    pub run_id: String,
    /// `stub` or `live`.
    pub target: String,
    /// The gateway's host (the stub's address for stub runs).
    pub host: String,
}
