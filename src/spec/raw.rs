//! What a user may write in the spec files, as read by [`super::read`]: exactly the keys
//! of these structs, nothing more.
//!
//! The reader refuses unknown keys, wrong types and numbers out of range, each at its own
//! position. Validation beyond the shape (known credentials, documented pairs, defined
//! variables) happens in the loader's cross-checks.

use std::collections::BTreeMap;

use serde_json::Value;

use super::behaviour::Collection;
pub use super::behaviour::StubBehaviour;
use super::matcher::Matcher;

/// `specs/suite.yaml`: settings shared by every spec file.
#[derive(Debug)]
pub struct SuiteFile {
    pub credentials: BTreeMap<String, Credential>,
    pub default_credential: String,
    pub every_response: EveryResponse,
    pub stub: StubSettings,
    /// The targets of this suite hold nothing worth keeping (a benchmark gateway): its
    /// data-changing requests may name any record. Live runs of such a suite are refused
    /// unless the base URL is on this machine (loopback).
    pub disposable_target: bool,
    /// Records the run creates once and removes at its end, by name, for the scenarios
    /// that only read them or must leave them unchanged (`uses:`).
    pub shared: BTreeMap<String, Step>,
    /// The collections the stub keeps records in, by name: what a record holds and what
    /// the server fills in.
    pub collections: BTreeMap<String, Collection>,
}

pub(super) fn default_credential() -> String {
    "full".to_string()
}

/// A named API key that scenarios refer to; its value comes from the environment.
#[derive(Clone, Debug)]
pub struct Credential {
    /// The environment variable holding the key in live runs.
    pub env: String,
    /// What kind of key to put there, shown when the variable is missing.
    pub about: String,
    /// Permissions this key must not have (the stub answers 403 for them).
    pub lacks: Vec<String>,
    /// A key whose quota is spent: the stub answers 429 `rate_limited` to it.
    pub exhausted: bool,
    /// The credits of this key's workspace in the stub (`stub.credits` when not given).
    pub credits: Option<u64>,
}

/// Checks applied to every response of every scenario, setup and verify steps included.
#[derive(Clone, Debug, Default)]
pub struct EveryResponse {
    pub headers: BTreeMap<String, HeaderRule>,
}

/// What a response header must look like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderRule {
    /// The header is there, with any value.
    Present,
    /// The header is there and its value is a non-negative integer.
    Integer,
}

#[derive(Clone, Debug)]
pub struct StubSettings {
    /// Requests one key may make before the stub answers 429.
    pub rate_limit: u32,
    /// Credits each key's workspace starts with, for operations that spend them.
    pub credits: u64,
}

impl Default for StubSettings {
    fn default() -> Self {
        StubSettings {
            rate_limit: default_rate_limit(),
            credits: default_credits(),
        }
    }
}

pub(super) fn default_rate_limit() -> u32 {
    10
}

pub(super) fn default_credits() -> u64 {
    5000
}

/// One `specs/<group>/<name>.yaml` file: an operation and its scenarios.
#[derive(Debug)]
pub struct SpecFile {
    /// `None` when the operation could not be read (its problems are reported).
    pub operation: Option<Operation>,
    /// Each scenario in order; `None` for one that could not be read.
    pub scenarios: Vec<Option<Scenario>>,
}

#[derive(Debug)]
pub struct Operation {
    pub title: String,
    pub method: String,
    pub path: String,
    /// The documentation page this operation's promises come from.
    pub doc: String,
    /// The permission the documentation names for this operation.
    pub permission: Option<String>,
    /// JSON pointers of the body fields that hold record ids (an id, or an array of ids):
    /// in a data-changing request each must be one of the scenario's own records.
    pub ids_in_body: Vec<String>,
    /// How the stub serves this operation.
    pub stub: Option<StubBehaviour>,
    /// A limit of this operation's own, besides the plan's (exports: 10 calls an hour).
    pub rate_limit: Option<RateLimit>,
    pub responses: Vec<Response>,
}

/// `rate_limit:` of an operation: at most `calls` calls per workspace within any `per`
/// window; the stub answers the next one 429 `rate_limited`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    pub calls: u32,
    pub per: Per,
}

/// The window of a [`RateLimit`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Per {
    Minute,
    Hour,
    Day,
}

impl Per {
    pub const NAMES: [&'static str; 3] = ["minute", "hour", "day"];

    pub fn named(name: &str) -> Option<Per> {
        Some(match name {
            "minute" => Per::Minute,
            "hour" => Per::Hour,
            "day" => Per::Day,
            _ => return None,
        })
    }

    pub fn seconds(self) -> i64 {
        match self {
            Per::Minute => 60,
            Per::Hour => 3_600,
            Per::Day => 86_400,
        }
    }

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

/// A documented (status, error code) pair.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub code: Option<String>,
    /// Where on the page this response is documented.
    pub source: Option<String>,
    /// JSON Schema file, relative to the spec file.
    pub schema: Option<String>,
    /// The documented example body; the stub answers with it.
    pub example: Option<Value>,
    /// The documented media type of the body (`Content-Type` without parameters);
    /// `application/json` when not given.
    pub media_type: Option<String>,
}

#[derive(Debug)]
pub struct Scenario {
    pub name: String,
    pub about: Option<String>,
    /// Never run unless asked for with `--ignored`; the text says why.
    pub ignore: Option<String>,
    /// Live runs skip it unless `LEADLEX_SPEND_QUOTA=1`.
    pub spends_quota: bool,
    /// What the scenario leaves that no documented endpoint removes (it may then create
    /// without a cleanup); live runs skip it unless `LEADLEX_ALLOW_RESIDUE=1`.
    pub leaves: Option<String>,
    /// Shared records of `suite.yaml` whose captures this scenario uses.
    pub uses: Vec<String>,
    pub setup: Vec<Step>,
    pub request: Request,
    /// Send the request again until the expected status comes back.
    pub repeat_until_status: Option<Repeat>,
    pub expect: Expect,
    /// Values taken from the answer to the request under test (a create's id).
    pub capture: BTreeMap<String, Capture>,
    /// Removes what the request under test created, whatever happened.
    pub cleanup: Option<Cleanup>,
    pub verify: Vec<Step>,
}

#[derive(Clone, Debug, Default)]
pub struct Request {
    /// A credential of `suite.yaml`, or `invalid` (a well-formed unknown key), or `none`.
    pub credential: Option<String>,
    pub path: BTreeMap<String, String>,
    pub query: BTreeMap<String, String>,
    pub body: Option<Value>,
    pub pad: Option<Pad>,
}

/// `pad: { at: /csv, bytes: 20971521 }`: the string at `at` of the body is lengthened
/// with `x` until the body, as sent, is `bytes` bytes long: a large body without a large
/// spec. Reports show the body without the padding, and say how much was added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pad {
    /// A JSON pointer to a string of the body.
    pub at: String,
    /// The size of the body as sent.
    pub bytes: u64,
}

impl Pad {
    /// What the padding adds: one character that JSON writes as one byte.
    pub const FILL: char = 'x';
}

#[derive(Clone, Debug)]
pub struct Repeat {
    pub max_requests: u32,
    /// Stop repeating after this long, whatever the count.
    pub max_seconds: u32,
}

pub(super) fn default_repeat_seconds() -> u32 {
    60
}

#[derive(Clone, Debug, Default)]
pub struct Expect {
    pub status: Option<StatusSet>,
    pub code: Option<String>,
    pub headers: BTreeMap<String, HeaderRule>,
    /// JSON pointer into the body → the value it must hold (templates allowed).
    pub equals: BTreeMap<String, Value>,
    /// `body:` items, in order: each one matcher at one JSON pointer.
    pub body: Vec<BodyItem>,
    /// `csv:`: what a CSV body must hold.
    pub csv: Option<CsvExpect>,
}

/// `expect.csv`: promises about a CSV body (RFC 4180, a header row first) and the
/// `Content-Disposition` it comes with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CsvExpect {
    /// The header row, exactly and in order.
    pub columns: Option<Vec<String>>,
    /// Data rows (the header row left out): exactly, at least.
    pub rows: Option<u64>,
    pub min_rows: Option<u64>,
    /// A data row whose cells in these columns are these texts (templates allowed).
    pub contains: BTreeMap<String, String>,
    /// `Content-Disposition: attachment` with this file name.
    pub attachment: Option<String>,
}

/// One item of `expect.body`: a JSON pointer and one matcher.
#[derive(Clone, Debug)]
pub struct BodyItem {
    pub at: String,
    /// The matcher's key as written (a misspelt key stands for the matcher it was meant
    /// to be, and is reported).
    pub key: String,
    pub matcher: Matcher,
}

/// One status, or any of several.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StatusSet {
    One(u16),
    AnyOf(Vec<u16>),
}

impl StatusSet {
    /// Whether it accepts `status`.
    pub fn contains(&self, status: u16) -> bool {
        match self {
            StatusSet::One(s) => *s == status,
            StatusSet::AnyOf(list) => list.contains(&status),
        }
    }

    /// Whether it accepts some success (2xx).
    pub fn accepts_2xx(&self) -> bool {
        match self {
            StatusSet::One(s) => (200..300).contains(s),
            StatusSet::AnyOf(list) => list.iter().any(|s| (200..300).contains(s)),
        }
    }

    /// Whether every status it accepts is a success (2xx).
    pub fn contains_only_2xx(&self) -> bool {
        match self {
            StatusSet::One(s) => (200..300).contains(s),
            StatusSet::AnyOf(list) => list.iter().all(|s| (200..300).contains(s)),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Step {
    /// Operation id such as `contacts.create` (the spec file's path).
    pub operation: String,
    pub request: Request,
    /// Defaults to "any 2xx status".
    pub expect: Option<Expect>,
    /// Variable name → JSON pointer into the response body.
    pub capture: BTreeMap<String, Capture>,
    /// Run at the end of the scenario, whatever happened, to undo this step.
    pub cleanup: Option<Cleanup>,
}

/// Where a captured value comes from: a JSON pointer, or a pointer and whether the value
/// is a secret (then it is redacted from every report, like an API key).
#[derive(Clone, Debug)]
pub enum Capture {
    Pointer(String),
    Detailed(DetailedCapture),
}

#[derive(Clone, Debug)]
pub struct DetailedCapture {
    pub pointer: String,
    pub secret: bool,
}

impl Capture {
    pub fn pointer(&self) -> &str {
        match self {
            Capture::Pointer(pointer) => pointer,
            Capture::Detailed(detailed) => &detailed.pointer,
        }
    }

    pub fn secret(&self) -> bool {
        matches!(
            self,
            Capture::Detailed(DetailedCapture { secret: true, .. })
        )
    }
}

#[derive(Clone, Debug)]
pub struct Cleanup {
    pub operation: String,
    pub request: Request,
}
