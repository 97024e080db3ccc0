//! The stub gateway: a wiremock server built from the specs alone.
//!
//! Each operation with a `stub:` section becomes one mock that answers by method and path,
//! checks the bearer key (401), spends a per-key rate-limit budget (429), enforces the
//! operation's documented permission (403), and then creates, reads or deletes records of
//! a collection shared by every operation naming it, so that a contact created by one
//! scenario step can be read and deleted by the next. Bodies are the documented examples,
//! filled from the request: the id in the path, the fields of the body (documented fields
//! the request leaves out are null).
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
//! is not mounted ([`cannot_serve`] says why; plans ignore the scenarios that use it), and
//! any request no mock matches is answered 501 `stub_no_route` with the [`NO_ROUTE_HEADER`]
//! marker, a pair no LeadLex page documents, which the engine reports as a harness error.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use wiremock::matchers::{any, method, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::spec::{Operation, Scenario, StubAction, Suite};
use crate::transport::http::HttpResponse;

pub mod faults;
pub mod seed;
pub mod serve;

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
            rate_limit: options.rate_limit.unwrap_or(suite.stub_rate_limit),
            state: Mutex::new(State::seeded(options.seed)),
            log: options.log.clone(),
        });
        // Every answer goes through the faults, which pass it on unchanged when there are none.
        let faults = (options.faults.clone(), options.log.clone());
        for op in suite.operations.iter().filter(|op| op.stub.is_some()) {
            let responder = OperationResponder {
                operation: op.clone(),
                shared: shared.clone(),
            };
            Mock::given(method(op.method.as_str()))
                .and(path_regex(path_pattern(&op.path)))
                .respond_with(Faulty::new(responder, &faults, Some(&op.id)))
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
                 include them\n  = help: add `stub: {{ action: create | read | delete, \
                 collection: <name> }}` if the stub can play this operation\n",
                op.id, op.method, op.path, op.span
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

/// Credential named by a stub key, if the key is one.
fn credential_of(key: &str) -> Option<&str> {
    let rest = key.strip_prefix("wbk_stub_")?;
    let (trial, credential) = rest.split_once('_')?;
    trial.parse::<u64>().ok()?;
    Some(credential)
}

/// `^/v1/contacts/([^/]+)$` for `/v1/contacts/{id}`.
fn path_pattern(template: &str) -> String {
    let segments: Vec<String> = template
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "([^/]+)".to_string()
            } else {
                segment
                    .chars()
                    .map(
                        |c| match c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                            true => c.to_string(),
                            false => format!("\\{c}"),
                        },
                    )
                    .collect()
            }
        })
        .collect();
    format!("^{}$", segments.join("/"))
}

struct Shared {
    /// By credential: the permissions it lacks, and whether its quota is spent.
    lacks: HashMap<String, (Vec<String>, bool)>,
    rate_limit: u32,
    state: Mutex<State>,
    log: Option<RequestLog>,
}

/// The records of one collection, by id.
type Collection = BTreeMap<String, Value>;

#[derive(Default)]
struct State {
    collections: HashMap<String, Collection>,
    used: HashMap<String, u32>,
}

impl State {
    /// The state of a new stub: the seed's records in their collections, or nothing.
    fn seeded(seed: Option<Seed>) -> State {
        let mut state = State::default();
        for (name, records) in seed.map(|s| s.collections).unwrap_or_default() {
            let collection = state.collections.entry(name).or_default();
            collection.extend(records);
        }
        state
    }
}

struct OperationResponder {
    operation: Arc<Operation>,
    shared: Arc<Shared>,
}

impl Respond for OperationResponder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let key = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let mut state = self.shared.state.lock().unwrap_or_else(|p| p.into_inner());
        let (status, body, remaining) =
            answer(&self.operation, &self.shared, &mut state, key, request);
        drop(state);
        tell(&self.shared.log, request, status, Some(&self.operation.id));
        ResponseTemplate::new(status)
            .set_body_json(body)
            .insert_header("X-RateLimit-Limit", self.shared.rate_limit.to_string())
            .insert_header("X-RateLimit-Remaining", remaining.to_string())
            .insert_header("X-RateLimit-Reset", next_utc_midnight().to_string())
            .insert_header(
                "X-Request-ID",
                format!("req_{}", uuid::Uuid::new_v4().simple()),
            )
    }
}

/// The stub's answer: status, body and the key's remaining budget.
fn answer(
    op: &Operation,
    shared: &Shared,
    state: &mut State,
    key: Option<&str>,
    request: &Request,
) -> (u16, Value, u32) {
    let limit = shared.rate_limit;
    let Some((key, credential)) = key.and_then(|k| Some((k, credential_of(k)?))) else {
        return (
            401,
            error_body(op, 401, "invalid_key", "Invalid or expired API key"),
            limit,
        );
    };
    let Some((lacks, exhausted)) = shared.lacks.get(credential) else {
        return (
            401,
            error_body(op, 401, "invalid_key", "Invalid or expired API key"),
            limit,
        );
    };
    let used = state.used.entry(key.to_string()).or_default();
    if *used >= limit || *exhausted {
        return (
            429,
            error_body(op, 429, "rate_limited", "Rate limit exceeded"),
            0,
        );
    }
    *used += 1;
    let remaining = limit - *used;
    if let Some(permission) = op.permission.as_ref().filter(|p| lacks.contains(p)) {
        let message = format!("Missing {permission} permission");
        return (
            403,
            error_body(op, 403, "insufficient_permissions", &message),
            remaining,
        );
    }
    let (status, body) = act(op, state, request);
    (status, body, remaining)
}

/// Performs the operation's action on the shared collections.
fn act(op: &Operation, state: &mut State, request: &Request) -> (u16, Value) {
    let behaviour = op
        .stub
        .as_ref()
        .expect("only operations with a stub section are mounted");
    let success = op.success();
    let status = success.map_or(200, |s| s.status);
    let body = success
        .and_then(|s| s.example.clone())
        .unwrap_or_else(|| json!({}));
    let collection = state
        .collections
        .entry(behaviour.collection.clone())
        .or_default();
    let id = last_path_value(&op.path, request.url.path());
    let record = behaviour.record.as_str();
    let answered = match behaviour.action {
        StubAction::Create => {
            let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(&request.body) else {
                return (
                    400,
                    error_body(
                        op,
                        400,
                        "validation_error",
                        "The body must be a JSON object",
                    ),
                );
            };
            Some(create_record(collection, body, record, fields))
        }
        StubAction::Read => read_record(collection, body, record, id),
        StubAction::Delete => delete_record(collection, body, record, id),
    };
    match answered {
        Some(body) => (status, body),
        None => not_found(op),
    }
}

/// Stores a new record under a new id: the request's `fields`, and null for every other
/// documented field (those of the example record at pointer `record` in `body`). Returns
/// `body` with the stored record in its place.
fn create_record(
    collection: &mut Collection,
    mut body: Value,
    record: &str,
    fields: serde_json::Map<String, Value>,
) -> Value {
    let mut created = match body.pointer_mut(record).map(std::mem::take) {
        Some(Value::Object(example)) => {
            example.into_iter().map(|(k, _)| (k, Value::Null)).collect()
        }
        _ => serde_json::Map::new(),
    };
    created.extend(fields);
    let id = uuid::Uuid::new_v4().to_string();
    created.insert("id".into(), Value::String(id.clone()));
    collection.insert(id, Value::Object(created.clone()));
    put(&mut body, record, Value::Object(created));
    body
}

/// `body` with the stored record `id` at pointer `record`; `None` when there is no such
/// record.
fn read_record(
    collection: &Collection,
    mut body: Value,
    record: &str,
    id: Option<String>,
) -> Option<Value> {
    let stored = id.and_then(|id| collection.get(&id))?;
    put(&mut body, record, stored.clone());
    Some(body)
}

/// Removes the stored record `id`: `body` with its id at pointer `record`, or `None` when
/// there was no such record.
fn delete_record(
    collection: &mut Collection,
    mut body: Value,
    record: &str,
    id: Option<String>,
) -> Option<Value> {
    let id = id.and_then(|id| collection.remove(&id).map(|_| id))?;
    put(&mut body, &format!("{record}/id"), Value::String(id));
    Some(body)
}

fn not_found(op: &Operation) -> (u16, Value) {
    (404, error_body(op, 404, "not_found", "Not found"))
}

/// Sets the value at a JSON pointer, creating objects on the way; the root is `""`.
fn put(body: &mut Value, pointer: &str, value: Value) {
    let mut target = body;
    for token in pointer.split('/').skip(1) {
        if !target.is_object() {
            *target = json!({});
        }
        target = target
            .as_object_mut()
            .expect("just made an object")
            .entry(token.replace("~1", "/").replace("~0", "~"))
            .or_insert(Value::Null);
    }
    *target = value;
}

/// The value of the template's last parameter in a concrete path.
fn last_path_value(template: &str, path: &str) -> Option<String> {
    let segments: Vec<&str> = template.split('/').collect();
    let position = segments.iter().rposition(|s| s.starts_with('{'))?;
    path.split('/').nth(position).map(str::to_string)
}

/// The documented error body for a status, or the standard envelope.
fn error_body(op: &Operation, status: u16, code: &str, message: &str) -> Value {
    op.responses
        .iter()
        .find(|r| r.status == status)
        .and_then(|r| r.example.clone())
        .unwrap_or_else(|| json!({"error": {"code": code, "message": message}}))
}

fn next_utc_midnight() -> i64 {
    let now = chrono::Utc::now();
    let tomorrow = now.date_naive() + chrono::Days::new(1);
    tomorrow
        .and_hms_opt(0, 0, 0)
        .map_or(now.timestamp() + 86_400, |t| t.and_utc().timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_and_keys() {
        assert_eq!(path_pattern("/v1/contacts/{id}"), "^/v1/contacts/([^/]+)$");
        assert_eq!(path_pattern("/v1/a.b"), "^/v1/a\\.b$");
        assert_eq!(
            credential_of(&Stub::key(7, "no_contacts_delete")),
            Some("no_contacts_delete")
        );
        assert_eq!(credential_of("wbk_live_x"), None);
        assert_eq!(
            last_path_value("/v1/contacts/{id}", "/v1/contacts/abc"),
            Some("abc".into())
        );
    }

    #[test]
    fn put_creates_the_path() {
        let mut body = json!({"data": {"deleted": true, "id": "x"}});
        put(&mut body, "/data/id", json!("y"));
        assert_eq!(body, json!({"data": {"deleted": true, "id": "y"}}));
        let mut empty = json!(null);
        put(&mut empty, "/data", json!(1));
        assert_eq!(empty, json!({"data": 1}));
    }
}
