//! The stub gateway: a wiremock server built from the specs alone, playing each operation
//! by the behaviour its `stub:` section declares, over collections of records that
//! `suite.yaml` describes. No endpoint has code of its own.
//!
//! Each operation with a `stub:` section becomes one mock that answers by method and path.
//! The gate ([`gate`]) checks the bearer key (401), spends a per-key rate-limit budget
//! (429) and enforces the operation's documented permission (403); then the action plays
//! ([`play`]): create, read, list, update, delete ([`crud`]), link and unlink
//! ([`links`]), bulk create and delete ([`bulk`]), imports ([`import`]), or the documented example for an effect
//! outside the API. Records are complete ([`record`]: every documented field, ids,
//! timestamps, names derived by [`names`]), input is checked ([`validate`]), lists are
//! paged, filtered and sorted ([`list`]), related records embedded ([`include`]), all on
//! the shared records ([`state`]). Answers are the documented examples with what the
//! action did put in, or the documented refusals ([`answer`]).
//!
//! Keys are `wbk_stub_<trial>_<credential>`: each trial has keys of its own, so a scenario
//! that exhausts its rate limit cannot disturb another running in parallel.
//!
//! [`serve`] runs the same stub as a standalone server (`leadlex-conformance serve`): a
//! port of its own, a rate limit of its own, one log line per request, records to start
//! with ([`seed`], put in by `State::seeded`) and delays and injected failures
//! ([`faults`], a wrapper around each responder).
//!
//! The stub never pretends to serve what it cannot: an operation without a `stub:` section
//! is not mounted ([`cannot_serve`] says why; plans ignore the scenarios that use it), any
//! request no mock matches is answered 501 `stub_no_route` with the [`NO_ROUTE_HEADER`]
//! marker, and a request whose answer the documentation does not give (an invalid
//! parameter of an operation that documents no 400) is answered 501 `stub_undocumented`
//! with the same header: pairs no LeadLex page documents, which the engine reports as
//! harness errors.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use serde_json::json;
use wiremock::matchers::{any, method, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::spec::behaviour::{Collection as CollectionSpec, StubAction};
use crate::spec::{Operation, Scenario, Suite};
use crate::transport::http::HttpResponse;

mod answer;
mod bulk;
mod call;
mod crud;
mod export;
pub mod faults;
mod gate;
mod import;
mod include;
mod links;
mod list;
mod merge;
mod names;
mod play;
mod record;
mod scope;
pub mod seed;
pub mod serve;
mod state;
mod validate;

use answer::UNDOCUMENTED_MARK;
pub use answer::{UNDOCUMENTED_CODE, UNDOCUMENTED_STATUS};
use gate::{path_pattern, Gate};
use state::State;

use faults::{Faults, Faulty};
use seed::Seed;

/// The status of the stub's answer to a request it has no behaviour for. No page of the
/// LeadLex documentation uses it, so no scenario can expect it.
pub const NO_ROUTE_STATUS: u16 = 501;
/// The error code of that answer, documented nowhere either.
pub const NO_ROUTE_CODE: &str = "stub_no_route";
/// The header that marks that answer as the stub's own, with the value [`NO_ROUTE_MARK`].
pub const NO_ROUTE_HEADER: &str = "X-LeadLex-Stub";
pub const NO_ROUTE_MARK: &str = "no-route";

/// A running stub; it stops when dropped.
pub struct Stub {
    server: MockServer,
}

/// How a stub is started beyond the suite's own settings.
#[derive(Default)]
pub struct StubOptions {
    /// Where to listen; `None`: a free port of 127.0.0.1.
    pub listener: Option<std::net::TcpListener>,
    /// Requests one key may make before the stub answers 429; `None`: the suite's
    /// `stub.rate_limit`.
    pub rate_limit: Option<u32>,
    /// Ignore the operations' own `rate_limit`s (`serve --no-operation-limits`).
    pub no_operation_limits: bool,
    /// Called once for every request, after its answer is decided.
    pub log: Option<RequestLog>,
    /// Records the collections hold before the first request (`serve --seed`).
    pub seed: Option<Seed>,
    /// Delays and injected failures (`serve --latency`, `--fail-rate`).
    pub faults: Option<Arc<Faults>>,
}

/// Told of every request the stub answers.
pub type RequestLog = Arc<dyn Fn(&Answered) + Send + Sync>;

/// One request the stub answered, for a log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answered {
    pub method: String,
    /// The path as received (percent-encoded), without the query.
    pub path: String,
    pub status: u16,
    /// The operation whose mock answered; `None` for the no-route answer.
    pub operation: Option<String>,
    /// A failure injected instead of the operation's answer (`serve --fail-rate`).
    pub injected: bool,
}

impl Stub {
    pub async fn start(suite: &Suite) -> Stub {
        Stub::start_with(suite, StubOptions::default()).await
    }

    /// A stub with a listener, a rate limit or a request log of the caller's.
    pub async fn start_with(suite: &Suite, options: StubOptions) -> Stub {
        let mut builder = MockServer::builder().disable_request_recording();
        if let Some(listener) = options.listener {
            builder = builder.listener(listener);
        }
        let server = builder.start().await;
        let shared = Arc::new(Shared {
            lacks: suite
                .credentials
                .iter()
                .map(|(name, c)| (name.clone(), (c.lacks.clone(), c.exhausted)))
                .collect(),
            credits: suite
                .credentials
                .iter()
                .map(|(name, c)| (name.clone(), c.credits.unwrap_or(suite.stub_credits)))
                .collect(),
            collections: suite.collections.clone(),
            rate_limit: options.rate_limit.unwrap_or(suite.stub_rate_limit),
            operation_limits: !options.no_operation_limits,
            state: Mutex::new(State::seeded(options.seed)),
            log: options.log.clone(),
        });
        // A literal segment wins over a parameter (`/v1/contacts/bulk` over
        // `/v1/contacts/{id}`): operations with fewer parameters are tried first. Every
        // answer goes through the faults, which pass it on unchanged when there are none.
        let faults = (options.faults.clone(), options.log.clone());
        let mut served: Vec<&Arc<Operation>> = suite
            .operations
            .iter()
            .filter(|op| op.stub.is_some())
            .collect();
        served.sort_by_key(|op| op.params.len());
        for op in served {
            let gate = Gate {
                operation: op.clone(),
                shared: shared.clone(),
            };
            Mock::given(method(op.method.as_str()))
                .and(path_regex(path_pattern(&op.path)))
                .respond_with(Faulty::new(gate, &faults, Some(&op.id)))
                .with_priority(priority(op))
                .named(op.id.clone())
                .mount(&server)
                .await;
        }
        let no_route = NoRoute {
            log: options.log.clone(),
        };
        Mock::given(any())
            .respond_with(Faulty::new(no_route, &faults, None))
            .with_priority(u8::MAX)
            .mount(&server)
            .await;
        Stub { server }
    }

    pub fn base_url(&self) -> String {
        self.server.uri()
    }

    /// The key the stub accepts for `credential` in trial number `trial`.
    pub fn key(trial: u64, credential: &str) -> String {
        format!("wbk_stub_{trial}_{credential}")
    }
}

/// Whether the stub can serve `op`: only operations with a `stub:` section are mounted.
pub fn serves(op: &Operation) -> bool {
    op.stub.is_some()
}

/// Why a scenario cannot run against the stub: the first operation of any of its steps
/// (setup, request, verify, cleanup) that the stub cannot serve.
pub fn cannot_serve(scenario: &Scenario) -> Option<String> {
    let op = scenario.operations().find(|op| !serves(op))?;
    Some(format!(
        "the stub cannot serve {} ({} {}): its spec has no `stub:` behaviour; \
         set LEADLEX_BASE_URL to run it against a gateway",
        op.id, op.method, op.path
    ))
}

/// The lint warnings about operations the stub cannot serve, one text each, with the
/// scenarios that are therefore ignored in stub runs.
pub fn warnings(suite: &Suite) -> Vec<String> {
    suite
        .operations
        .iter()
        .filter(|op| !serves(op))
        .map(|op| {
            let users: Vec<&str> = suite
                .scenarios
                .iter()
                .filter(|s| s.operations().any(|used| used.id == op.id))
                .map(|s| s.trial_name.as_str())
                .collect();
            let consequence = match users.as_slice() {
                [] => "no scenario uses it yet".to_string(),
                users => format!(
                    "stub runs ignore the {} scenario(s) that use it: {}",
                    users.len(),
                    users.join(", ")
                ),
            };
            format!(
                "warning: the stub cannot serve {} ({} {}): its spec has no `stub:` behaviour\n  \
                 --> {}\n  = note: {consequence}; runs against a gateway (LEADLEX_BASE_URL) \
                 include them\n  = help: add `stub: {{ action: <{}>, collection: <name> }}` \
                 if the stub can play this operation (README, \"The stub\")\n",
                op.id,
                op.method,
                op.path,
                op.span,
                StubAction::NAMES.join(" | ")
            )
        })
        .collect()
}

/// What the engine reports when the stub had no behaviour for a request.
pub fn no_route_reason(method: &str, path: &str) -> String {
    format!("the stub has no behaviour for {method} {path}, so the scenario could not be judged")
}

/// Whether a response is the stub's own "no behaviour for this request" answer.
pub fn is_no_route(response: &HttpResponse) -> bool {
    response.status == NO_ROUTE_STATUS
        && response
            .header(NO_ROUTE_HEADER)
            .is_some_and(|v| v.eq_ignore_ascii_case(NO_ROUTE_MARK))
}

/// When a response is one of the stub's own answers (no behaviour for the request, or no
/// documented answer to it), why the scenario could not be judged.
pub fn own_answer_reason(response: &HttpResponse, method: &str, path: &str) -> Option<String> {
    if is_no_route(response) {
        return Some(no_route_reason(method, path));
    }
    let undocumented = response.status == UNDOCUMENTED_STATUS
        && response
            .header(NO_ROUTE_HEADER)
            .is_some_and(|v| v.eq_ignore_ascii_case(UNDOCUMENTED_MARK));
    if !undocumented {
        return None;
    }
    let said = serde_json::from_slice::<serde_json::Value>(&response.body)
        .ok()
        .and_then(|b| b.pointer("/error/message")?.as_str().map(str::to_string))
        .unwrap_or_default();
    Some(format!(
        "the stub cannot answer {method} {path} as documented, so the scenario could not be \
         judged: {said}"
    ))
}

/// The answer to every request that no operation's mock matches.
struct NoRoute {
    log: Option<RequestLog>,
}

impl Respond for NoRoute {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let message = format!(
            "The stub has no behaviour for {} {}",
            request.method,
            request.url.path()
        );
        tell(&self.log, request, NO_ROUTE_STATUS, None);
        ResponseTemplate::new(NO_ROUTE_STATUS)
            .set_body_json(json!({"error": {"code": NO_ROUTE_CODE, "message": message}}))
            .insert_header(NO_ROUTE_HEADER, NO_ROUTE_MARK)
    }
}

/// Tells the log, if there is one, of a request and its answer.
fn tell(log: &Option<RequestLog>, request: &Request, status: u16, operation: Option<&str>) {
    if let Some(log) = log {
        log(&Answered {
            method: request.method.to_string(),
            path: request.url.path().to_string(),
            status,
            operation: operation.map(str::to_string),
            injected: false,
        });
    }
}

/// The mock priority of an operation: wiremock tries lower numbers first; literal paths
/// (fewer parameters) before parameterised ones, the no-route answer last of all.
fn priority(op: &Operation) -> u8 {
    1 + u8::try_from(op.params.len().min(200)).unwrap_or(200)
}

pub(crate) struct Shared {
    /// By credential: the permissions it lacks, and whether its quota is spent.
    lacks: HashMap<String, (Vec<String>, bool)>,
    /// By credential: the credits its workspace starts with.
    credits: HashMap<String, u64>,
    /// The suite's collections: what records hold.
    collections: BTreeMap<String, CollectionSpec>,
    rate_limit: u32,
    /// Whether the operations' own rate limits are kept.
    operation_limits: bool,
    state: Mutex<State>,
    log: Option<RequestLog>,
}
