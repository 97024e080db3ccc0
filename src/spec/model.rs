//! The typed specification the rest of the crate reads: a [`Suite`] of operations, their
//! documented responses, and scenarios, each item with the [`Span`] it came from.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use super::behaviour::{Collection, StubBehaviour};
use super::matcher::Matcher;
use super::raw;
use super::raw::{CsvExpect, HeaderRule, RateLimit, Repeat, StatusSet};
use crate::source::Span;

/// Everything under `specs/`, validated.
#[derive(Debug)]
pub struct Suite {
    pub credentials: BTreeMap<String, raw::Credential>,
    pub every_response: Vec<HeaderCheck>,
    pub stub_rate_limit: u32,
    /// Credits each key's workspace has in the stub (a credential may say otherwise).
    pub stub_credits: u64,
    /// The stub's collections, by name.
    pub collections: BTreeMap<String, Collection>,
    /// Declared in `suite.yaml`: the targets hold nothing worth keeping, so data-changing
    /// requests may name any record, and live runs must stay on this machine.
    pub disposable_target: bool,
    /// Records the run creates once, for the scenarios that use them; sorted by name.
    pub shared: Vec<Arc<SharedRecord>>,
    /// Sorted by id.
    pub operations: Vec<Arc<Operation>>,
    /// Sorted by trial name.
    pub scenarios: Vec<Arc<Scenario>>,
}

/// One documented endpoint.
#[derive(Debug)]
pub struct Operation {
    /// `contacts.delete` for `specs/contacts/delete.yaml`.
    pub id: String,
    pub title: String,
    /// Upper case, e.g. `DELETE`.
    pub method: String,
    /// Template such as `/v1/contacts/{id}`.
    pub path: String,
    /// Names of the path template's parameters, in order.
    pub params: Vec<String>,
    pub doc: String,
    pub permission: Option<String>,
    /// JSON pointers of the body fields holding record ids (an id or an array of ids).
    pub ids_in_body: Vec<String>,
    pub stub: Option<StubBehaviour>,
    /// A limit of its own, besides the plan's: the stub answers 429 past it.
    pub rate_limit: Option<RateLimit>,
    pub responses: Vec<DocumentedResponse>,
    pub span: Span,
}

impl Operation {
    /// The documented response for a (status, code) pair; `code` is ignored when the
    /// documentation gives none for that status.
    pub fn documented(&self, status: u16, code: Option<&str>) -> Option<&DocumentedResponse> {
        self.responses
            .iter()
            .filter(|r| r.status == status)
            .find(|r| r.code.is_none() || code.is_none() || r.code.as_deref() == code)
    }

    /// The first documented success (2xx) response.
    pub fn success(&self) -> Option<&DocumentedResponse> {
        self.responses
            .iter()
            .find(|r| (200..300).contains(&r.status))
    }
}

#[derive(Debug)]
pub struct DocumentedResponse {
    pub status: u16,
    pub code: Option<String>,
    pub source: Option<String>,
    pub schema: Option<Arc<Schema>>,
    pub example: Option<Value>,
    /// The media type the body must come with (`application/json` unless documented
    /// otherwise), lower case, without parameters.
    pub media_type: String,
    pub span: Span,
}

/// The media type of a documented response that does not name one.
pub const DEFAULT_MEDIA_TYPE: &str = "application/json";

/// A JSON Schema file, compiled once per run with format checking on.
pub struct Schema {
    /// The file as shown to users.
    pub display: String,
    pub validator: jsonschema::Validator,
}

impl std::fmt::Debug for Schema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schema")
            .field("display", &self.display)
            .finish()
    }
}

#[derive(Clone, Debug)]
pub struct HeaderCheck {
    pub name: String,
    pub rule: HeaderRule,
    pub span: Span,
}

/// One scenario: one libtest trial.
#[derive(Debug)]
pub struct Scenario {
    /// `contacts/delete.yaml::deletes_a_contact_it_created`: stable, unique, filterable.
    pub trial_name: String,
    pub name: String,
    pub operation: Arc<Operation>,
    pub about: Option<String>,
    pub ignore: Option<String>,
    pub spends_quota: bool,
    /// What it leaves behind that no documented endpoint removes: lint lets it create
    /// without a cleanup, live runs skip it unless `LEADLEX_ALLOW_RESIDUE=1`.
    pub leaves: Option<String>,
    /// Shared records (created once per run) whose captures the scenario uses.
    pub uses: Vec<Arc<SharedRecord>>,
    pub setup: Vec<Step>,
    pub main: Step,
    /// Send the main request until the expected status comes back, bounded in requests
    /// and in time.
    pub repeat_until_status: Option<Repeat>,
    pub verify: Vec<Step>,
    pub span: Span,
}

/// A record of `suite.yaml`'s `shared:`: created by the first scenario that uses it,
/// read (or refused changes) by the others, removed when the run ends.
#[derive(Debug)]
pub struct SharedRecord {
    pub name: String,
    /// The create step, with its captures and its cleanup.
    pub step: Step,
}

impl Scenario {
    /// Every step the scenario may send: the shared records it uses, setup, the request
    /// under test, verify.
    pub fn steps(&self) -> impl Iterator<Item = &Step> {
        self.uses
            .iter()
            .map(|shared| &shared.step)
            .chain(&self.setup)
            .chain(std::iter::once(&self.main))
            .chain(&self.verify)
    }

    /// The operation of every step (setup, request, verify) and of every cleanup.
    pub fn operations(&self) -> impl Iterator<Item = &Arc<Operation>> {
        self.steps().flat_map(|step| {
            std::iter::once(&step.operation).chain(step.cleanup.as_ref().map(|c| &c.operation))
        })
    }

    /// Every credential the scenario's requests use, cleanup included.
    pub fn credentials(&self) -> impl Iterator<Item = &str> {
        self.steps().flat_map(|step| {
            std::iter::once(step.request.credential.as_str())
                .chain(step.cleanup.as_ref().map(|c| c.request.credential.as_str()))
        })
    }
}

/// One request of a scenario and what its response must look like.
#[derive(Debug)]
pub struct Step {
    /// `request`, `setup[0]`, `verify[1]`: names the step in messages.
    pub label: String,
    pub operation: Arc<Operation>,
    pub request: Request,
    pub expect: Expectation,
    pub capture: Vec<Captured>,
    pub cleanup: Option<Cleanup>,
    pub span: Span,
}

/// A value taken from a step's response into a variable.
#[derive(Clone, Debug)]
pub struct Captured {
    pub name: String,
    pub pointer: String,
    /// Redacted from every report and message, like an API key.
    pub secret: bool,
}

#[derive(Clone, Debug)]
pub struct Request {
    /// Resolved: the suite default when the spec names none.
    pub credential: String,
    pub path: BTreeMap<String, String>,
    pub query: BTreeMap<String, String>,
    pub body: Option<Value>,
    /// The body is lengthened to a size (`pad:`), when sent.
    pub pad: Option<raw::Pad>,
}

#[derive(Debug)]
pub struct Cleanup {
    pub operation: Arc<Operation>,
    pub request: Request,
}

#[derive(Debug, Default)]
pub struct Expectation {
    /// `None`: any 2xx.
    pub status: Option<StatusSet>,
    pub code: Option<String>,
    pub headers: Vec<HeaderCheck>,
    /// What the body must hold: `equals:` entries first, then the `body:` items in order.
    pub body: Vec<BodyAssertion>,
    /// What a CSV body must hold (`expect.csv`), with the line of its key.
    pub csv: Option<(CsvExpect, Span)>,
    pub span: Span,
}

impl Expectation {
    pub fn accepts(&self, status: u16) -> bool {
        match &self.status {
            None => (200..300).contains(&status),
            Some(StatusSet::One(s)) => *s == status,
            Some(StatusSet::AnyOf(list)) => list.contains(&status),
        }
    }
}

/// One promise about the body: the value at a JSON pointer satisfies a matcher.
#[derive(Clone, Debug)]
pub struct BodyAssertion {
    /// `""` is the whole body.
    pub pointer: String,
    pub matcher: Matcher,
    /// The matcher's line (or the `equals:` entry's).
    pub span: Span,
}

/// Credentials every suite has without declaring them.
pub const BUILTIN_CREDENTIALS: [&str; 2] = ["invalid", "none"];

/// Variables every template may use without capturing them (and the clock: `now`,
/// `now_minus_3d`, `now_plus_2h`, see `template`).
pub const BUILTIN_VARIABLES: [&str; 3] = ["run_id", "scenario_id", "uuid"];
