//! The spec files' serde mirror: exactly what a user may write, nothing more.
//!
//! Every struct denies unknown keys, so a typo such as `shema:` is an error with a line
//! number instead of a silently ignored setting. Validation beyond the shape (known
//! credentials, documented pairs, defined variables) happens in the loader's cross-checks.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

/// `specs/suite.yaml`: settings shared by every spec file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuiteFile {
    pub credentials: BTreeMap<String, Credential>,
    #[serde(default = "default_credential")]
    pub default_credential: String,
    #[serde(default)]
    pub every_response: EveryResponse,
    #[serde(default)]
    pub stub: StubSettings,
    /// The targets of this suite hold nothing worth keeping (a benchmark gateway): its
    /// data-changing requests may name any record. Live runs of such a suite are refused
    /// unless the base URL is on this machine (loopback).
    #[serde(default)]
    pub disposable_target: bool,
}

fn default_credential() -> String {
    "full".to_string()
}

/// A named API key that scenarios refer to; its value comes from the environment.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credential {
    /// The environment variable holding the key in live runs.
    pub env: String,
    /// What kind of key to put there, shown when the variable is missing.
    pub about: String,
    /// Permissions this key must not have (the stub answers 403 for them).
    #[serde(default)]
    pub lacks: Vec<String>,
    /// A key whose quota is spent: the stub answers 429 `rate_limited` to it.
    #[serde(default)]
    pub exhausted: bool,
}

/// Checks applied to every response of every scenario, setup and verify steps included.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EveryResponse {
    #[serde(default)]
    pub headers: BTreeMap<String, HeaderRule>,
}

/// What a response header must look like.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum HeaderRule {
    /// The header is there, with any value.
    Present,
    /// The header is there and its value is a non-negative integer.
    Integer,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StubSettings {
    /// Requests one key may make before the stub answers 429.
    #[serde(default = "default_rate_limit")]
    pub rate_limit: u32,
}

impl Default for StubSettings {
    fn default() -> Self {
        StubSettings {
            rate_limit: default_rate_limit(),
        }
    }
}

fn default_rate_limit() -> u32 {
    10
}

/// One `specs/<group>/<name>.yaml` file: an operation and its scenarios.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecFile {
    pub operation: Operation,
    #[serde(default)]
    pub scenarios: Vec<Scenario>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operation {
    pub title: String,
    pub method: String,
    pub path: String,
    /// The documentation page this operation's promises come from.
    pub doc: String,
    /// The permission the documentation names for this operation.
    pub permission: Option<String>,
    /// How the stub serves this operation.
    pub stub: Option<StubBehaviour>,
    pub responses: Vec<Response>,
}

/// A documented (status, error code) pair.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
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

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StubBehaviour {
    pub action: StubAction,
    /// Records of one collection are shared by every operation naming it.
    pub collection: String,
    /// JSON pointer to the record inside the success body.
    #[serde(default = "default_record")]
    pub record: String,
}

fn default_record() -> String {
    "/data".to_string()
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StubAction {
    /// Store the request body as a new record with a fresh UUID.
    Create,
    /// Return the record named by the last path parameter, or 404.
    Read,
    /// Remove the record named by the last path parameter, or 404.
    Delete,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    pub about: Option<String>,
    /// Never run unless asked for with `--ignored`; the text says why.
    pub ignore: Option<String>,
    /// Live runs skip it unless `LEADLEX_SPEND_QUOTA=1`.
    #[serde(default)]
    pub spends_quota: bool,
    #[serde(default)]
    pub setup: Vec<Step>,
    #[serde(default)]
    pub request: Request,
    /// Send the request again until the expected status comes back.
    pub repeat_until_status: Option<Repeat>,
    pub expect: Expect,
    #[serde(default)]
    pub verify: Vec<Step>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// A credential of `suite.yaml`, or `invalid` (a well-formed unknown key), or `none`.
    pub credential: Option<String>,
    #[serde(default)]
    pub path: BTreeMap<String, String>,
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    pub body: Option<Value>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Repeat {
    pub max_requests: u32,
    /// Stop repeating after this long, whatever the count.
    #[serde(default = "default_repeat_seconds")]
    pub max_seconds: u32,
}

fn default_repeat_seconds() -> u32 {
    60
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub status: Option<StatusSet>,
    pub code: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, HeaderRule>,
    /// JSON pointer into the body → the value it must hold (templates allowed).
    #[serde(default)]
    pub equals: BTreeMap<String, Value>,
}

/// One status, or any of several.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StatusSet {
    One(u16),
    AnyOf(Vec<u16>),
}

/// Read by hand rather than as an untagged enum, so that a wrong value gets a message in
/// the spec's terms at its own position (an untagged enum's error names Rust types and
/// points at the enclosing mapping).
impl<'de> Deserialize<'de> for StatusSet {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StatusVisitor;
        impl<'de> serde::de::Visitor<'de> for StatusVisitor {
            type Value = StatusSet;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an HTTP status such as 200, or a list of them such as [200, 201]")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<StatusSet, E> {
                u16::try_from(v)
                    .map(StatusSet::One)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Unsigned(v), &self))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<StatusSet, E> {
                u64::try_from(v)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Signed(v), &self))
                    .and_then(|v| self.visit_u64(v))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<StatusSet, A::Error> {
                let mut list = Vec::new();
                while let Some(status) = seq.next_element::<u16>()? {
                    list.push(status);
                }
                Ok(StatusSet::AnyOf(list))
            }
        }
        deserializer.deserialize_any(StatusVisitor)
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Operation id such as `contacts.create` (the spec file's path).
    pub operation: String,
    #[serde(default)]
    pub request: Request,
    /// Defaults to "any 2xx status".
    pub expect: Option<Expect>,
    /// Variable name → JSON pointer into the response body.
    #[serde(default)]
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

/// Read by hand for the same reason as [`StatusSet`]: errors inside the detailed form
/// (`secret: maybe`) keep their own message and position.
impl<'de> Deserialize<'de> for Capture {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CaptureVisitor;
        impl<'de> serde::de::Visitor<'de> for CaptureVisitor {
            type Value = Capture;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    "a JSON pointer such as /data/id, or { pointer: /data/id, secret: true }",
                )
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Capture, E> {
                Ok(Capture::Pointer(v.to_string()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Capture, A::Error> {
                DetailedCapture::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(Capture::Detailed)
            }
        }
        deserializer.deserialize_any(CaptureVisitor)
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetailedCapture {
    pub pointer: String,
    #[serde(default)]
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

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cleanup {
    pub operation: String,
    #[serde(default)]
    pub request: Request,
}
