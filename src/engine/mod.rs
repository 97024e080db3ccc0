//! Running one scenario: setup, the request under test, verification, cleanup.
//!
//! The [`Engine`] holds what a run shares (the suite, the one HTTP client, the target and
//! its keys); [`Engine::run`] turns one scenario into an [`Outcome`]. Cleanup steps run
//! whatever happened before them, and only ever touch what the scenario created: their
//! requests are rendered from values captured from the scenario's own create responses.

pub mod check;
pub mod request;
pub(crate) mod shared;

use std::collections::{BTreeMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

pub use self::request::Keys;
use self::shared::Hold;
use crate::engine::check::{check_response, parse_json_checked, parse_json_unique};
use crate::engine::request::{bearer, build_request, PendingCleanup};
use crate::live::ids::shown_value;
use crate::live::ledger::Ledger;
use crate::live::ownership;
use crate::outcome::{Check, ExchangeSummary, Mismatch, Outcome, Verdict};
use crate::secrets::redact::Redactor;
use crate::spec::template::Vars;
use crate::spec::{Operation, Repeat, Request, Scenario, SharedRecord, Step, Suite};
use crate::transport::deliver::Delivery;
use crate::transport::http::{HttpRequest, HttpResponse, TransportError};
use crate::transport::limit::Kind;

/// What one run shares between its trials.
pub struct Engine {
    suite: Arc<Suite>,
    delivery: Delivery,
    base_url: reqwest::Url,
    keys: Keys,
    run_id: String,
    trials: AtomicU64,
    /// Live runs write down what they create (see [`crate::live::ledger`]).
    ledger: Option<Ledger>,
    /// Set by Ctrl-C: scenarios stop between steps and clean up.
    interrupted: Arc<AtomicBool>,
    /// The shared records of the suite: made by the first scenario that uses each,
    /// removed by [`Engine::clean_up_shared`] when the run ends.
    shared: BTreeMap<String, shared::Slot>,
}

impl Engine {
    pub fn new(
        suite: Arc<Suite>,
        delivery: Delivery,
        base_url: &str,
        keys: Keys,
        run_id: String,
    ) -> Result<Engine, String> {
        let base_url = reqwest::Url::parse(base_url).map_err(|e| format!("bad base URL: {e}"))?;
        Ok(Engine {
            delivery,
            base_url,
            keys,
            run_id,
            trials: AtomicU64::new(1),
            ledger: None,
            interrupted: Arc::default(),
            shared: suite_shared(&suite),
            suite,
        })
    }

    /// A trial's state for `trial_name`, with a number (and so stub keys) of its own.
    fn scenario_run<'e>(&'e self, trial_name: &'e str) -> ScenarioRun<'e> {
        let number = self.trials.fetch_add(1, Ordering::Relaxed);
        ScenarioRun {
            engine: self,
            trial_name,
            number,
            vars: Vars::new(&self.run_id, number),
            exchanges: Vec::new(),
            cleanups: Vec::new(),
            done: HashSet::new(),
            secrets: Redactor::default(),
            owned: HashSet::new(),
            left_behind: Vec::new(),
            holds: Vec::new(),
        }
    }

    /// Removes the shared records the run made (and anything their making left), once
    /// the scenarios are done; returns what could not be removed, for the summary.
    pub fn clean_up_shared(&self, runtime: &tokio::runtime::Runtime) -> Vec<String> {
        let mut left = Vec::new();
        for (name, slot) in &self.shared {
            let mut slot = runtime.block_on(slot.write());
            slot.made = None;
            if slot.cleanups.is_empty() {
                continue;
            }
            let trial_name = format!("shared {name}");
            let mut trial = self.scenario_run(&trial_name);
            trial.cleanups = std::mem::take(&mut slot.cleanups);
            trial.owned = std::mem::take(&mut slot.owned);
            for leftover in runtime.block_on(trial.clean_up()) {
                left.push(format!("shared record `{name}`: {}", leftover.actual));
            }
        }
        left
    }

    /// Writes what the run creates into `ledger`.
    pub fn with_ledger(mut self, ledger: Option<Ledger>) -> Engine {
        self.ledger = ledger;
        self
    }

    /// Scenarios stop between steps once `flag` is set.
    pub fn with_interrupt(mut self, flag: Arc<AtomicBool>) -> Engine {
        self.interrupted = flag;
        self
    }

    /// Requests the run has sent so far, cleanup and retries included.
    pub fn requests_sent(&self) -> u64 {
        self.delivery.limiter.spent()
    }

    pub fn ledger(&self) -> Option<&Ledger> {
        self.ledger.as_ref()
    }

    /// Says how, if a value meant for a path is or holds a configured API key: such a
    /// value is never sent and never written to the ledger.
    fn key_in(&self, targets: &[String]) -> Option<String> {
        let Keys::Live(keys) = &self.keys else {
            return None;
        };
        let holds_a_key = |t: &String| {
            keys.values()
                .any(|(_, key)| key.expose().len() >= 4 && t.contains(key.expose()))
        };
        targets
            .iter()
            .any(holds_a_key)
            .then(|| "is or holds an API key".to_string())
    }

    fn is_interrupted(&self) -> bool {
        self.interrupted.load(Ordering::SeqCst)
    }

    /// Runs one scenario to its outcome on `runtime`. Cleanup runs whatever happened
    /// before it, a panic included (which is then reported as the scenario's error).
    pub fn run(&self, runtime: &tokio::runtime::Runtime, scenario: &Scenario) -> Outcome {
        let started = SystemTime::now();
        let clock = Instant::now();
        let mut trial = self.scenario_run(&scenario.trial_name);
        let steps =
            std::panic::catch_unwind(AssertUnwindSafe(|| runtime.block_on(trial.steps(scenario))));
        let verdict = steps.unwrap_or_else(|panic| Verdict::Errored {
            reason: format!("the harness panicked: {}", panic_text(&panic)),
            mismatches: Vec::new(),
        });
        let leftovers = runtime.block_on(trial.clean_up());
        let verdict = with_cleanup(verdict, leftovers);
        if !verdict.is_success() {
            trial.holds.iter_mut().for_each(Hold::spoil);
        }
        trial.holds.clear();
        Outcome {
            trial_name: scenario.trial_name.clone(),
            operation_id: scenario.operation.id.clone(),
            scenario: scenario.name.clone(),
            span: scenario.span.clone(),
            started,
            duration: clock.elapsed(),
            verdict,
            exchanges: trial.exchanges,
            secrets: trial.secrets,
            left_behind: trial.left_behind,
        }
    }
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

/// A failed cleanup turns a pass into an error and is added to a failure.
fn with_cleanup(verdict: Verdict, leftovers: Vec<Mismatch>) -> Verdict {
    if leftovers.is_empty() {
        return verdict;
    }
    let reason = "cleanup could not remove what the scenario created".to_string();
    match verdict {
        Verdict::Passed => Verdict::Errored {
            reason,
            mismatches: leftovers,
        },
        Verdict::Failed(mut found) => {
            found.extend(leftovers);
            Verdict::Failed(found)
        }
        Verdict::Errored {
            reason,
            mut mismatches,
        } => {
            mismatches.extend(leftovers);
            Verdict::Errored { reason, mismatches }
        }
        ignored @ Verdict::Ignored(_) => ignored,
    }
}

/// The state of one scenario while it runs.
struct ScenarioRun<'e> {
    engine: &'e Engine,
    trial_name: &'e str,
    number: u64,
    vars: Vars,
    exchanges: Vec<ExchangeSummary>,
    /// Requests that undo what setup created, in creation order.
    cleanups: Vec<PendingCleanup>,
    /// (method, URL) of requests that already succeeded: their cleanup is done.
    done: HashSet<(String, String)>,
    /// Captured values marked secret.
    secrets: Redactor,
    /// Ids of records shown to be this run's own (see [`crate::live::ownership`]): the only
    /// values a request that changes or removes data may address.
    owned: HashSet<String>,
    /// Records that may be left behind or were not touched, for a person to check.
    left_behind: Vec<String>,
    /// The shared records the scenario uses, held until it ends.
    holds: Vec<Hold>,
}

impl ScenarioRun<'_> {
    async fn steps(&mut self, scenario: &Scenario) -> Verdict {
        if let Err(verdict) = self.prepare(scenario).await {
            return verdict;
        }
        if self.engine.is_interrupted() {
            return interrupted();
        }
        let mut found = match &scenario.repeat_until_status {
            Some(repeat) => self.run_repeated(&scenario.main, repeat).await,
            None => self.run_step(&scenario.main, Kind::Paced).await,
        };
        if let Some(verdict) = harness_error(&found) {
            return verdict;
        }
        let unsent = |m: &&Mismatch| matches!(m.check, Check::Transport | Check::Ownership);
        if let Some(transport) = found.iter().find(unsent) {
            return Verdict::Errored {
                reason: format!("{}: {}", transport.step, transport.actual),
                mismatches: found,
            };
        }
        for step in &scenario.verify {
            if self.engine.is_interrupted() {
                return interrupted();
            }
            found.extend(self.run_step(step, Kind::Paced).await);
        }
        if let Some(verdict) = harness_error(&found) {
            return verdict;
        }
        if found.is_empty() {
            Verdict::Passed
        } else {
            Verdict::Failed(found)
        }
    }

    /// Takes the shared records the scenario uses and runs its setup steps: if any of
    /// them does not succeed, the scenario cannot be judged, and this says why.
    async fn prepare(&mut self, scenario: &Scenario) -> Result<(), Verdict> {
        for record in &scenario.uses {
            self.use_shared(scenario, record).await?;
        }
        for step in &scenario.setup {
            if self.engine.is_interrupted() {
                return Err(interrupted());
            }
            let found = self.run_step(step, Kind::Paced).await;
            if let Some(verdict) = harness_error(&found) {
                return Err(verdict);
            }
            if !found.is_empty() {
                return Err(not_judged(step, found));
            }
        }
        Ok(())
    }

    /// Takes the variables of a shared record, making it first if no scenario has (or if
    /// the last scenario that tried to change it failed), and holds it until the scenario
    /// ends: alone when the scenario tries to change it, with the other readers otherwise.
    async fn use_shared(
        &mut self,
        scenario: &Scenario,
        record: &SharedRecord,
    ) -> Result<(), Verdict> {
        let Some(slot) = self.engine.shared.get(&record.name).cloned() else {
            return Err(Verdict::Errored {
                reason: format!("the shared record `{}` is not known", record.name),
                mismatches: Vec::new(),
            });
        };
        let mut state = slot.write_owned().await;
        if state.made.is_none() {
            self.make_shared(record, &mut state).await?;
        }
        if let Some(made) = &state.made {
            for (name, value) in &made.vars {
                self.vars.set(name, value.clone());
            }
            self.secrets = self.secrets.merged(&made.secrets);
        }
        self.owned.extend(state.owned.iter().cloned());
        self.holds
            .push(match shared::tries_to_change(scenario, record) {
                true => Hold::Write(state),
                false => Hold::Read(state.downgrade()),
            });
        Ok(())
    }

    /// Makes a shared record with a run of its own, whose requests are this scenario's
    /// and whose cleanups wait for the end of the run in `state`.
    async fn make_shared(
        &mut self,
        record: &SharedRecord,
        state: &mut shared::SlotState,
    ) -> Result<(), Verdict> {
        let name = format!("shared {}", record.name);
        let mut maker = self.engine.scenario_run(&name);
        let found = maker.run_step(&record.step, Kind::Paced).await;
        self.exchanges.append(&mut maker.exchanges);
        self.left_behind.append(&mut maker.left_behind);
        state.cleanups.append(&mut maker.cleanups);
        state.owned.extend(maker.owned.drain());
        if !found.is_empty() {
            return Err(not_judged(&record.step, found));
        }
        let vars = record
            .step
            .capture
            .iter()
            .filter_map(|c| Some((c.name.clone(), maker.vars.get_captured(&c.name)?)));
        state.made = Some(shared::Made {
            vars: vars.collect(),
            secrets: maker.secrets,
        });
        Ok(())
    }

    /// Sends a step, checks its response, captures its values and, for a step that creates
    /// a record, takes the record on for cleanup once it is shown to be the run's own.
    async fn run_step(&mut self, step: &Step, kind: Kind) -> Vec<Mismatch> {
        let response = match self.send(step, kind).await {
            Ok(response) => response,
            Err(mismatch) => return vec![mismatch],
        };
        let every = &self.engine.suite.every_response;
        let mut found = check_response(step, every, &response, &self.vars);
        found.extend(self.keep(step, &response).await);
        found
    }

    /// Captures a step's values from its response and, for a step that creates a record,
    /// takes what it made on for cleanup.
    async fn keep(&mut self, step: &Step, response: &HttpResponse) -> Vec<Mismatch> {
        let mut found = Vec::new();
        // Capture whenever the status says the step did its job, even if another check
        // failed: the captured id is what lets cleanup remove what was created. A step
        // with a cleanup captures from any 2xx answer (what it made, even when it expected
        // a refusal) and from nothing else.
        let made = (200..300).contains(&response.status);
        let wanted = match &step.cleanup {
            Some(_) => made,
            None => step.expect.accepts(response.status),
        };
        if wanted {
            found.extend(self.capture(step, response));
        }
        if let Some(cleanup) = &step.cleanup {
            found.extend(self.adopt(step, cleanup, response).await);
        }
        found
    }

    /// Takes on what a create step made: its cleanup is registered (and written to the
    /// ledger) only when the record is shown to be the run's own; otherwise nothing will
    /// change or remove it, and it is named for a person to check.
    async fn adopt(
        &mut self,
        step: &Step,
        cleanup: &crate::spec::Cleanup,
        response: &HttpResponse,
    ) -> Vec<Mismatch> {
        let Some(body) = self.created(step, response) else {
            return Vec::new();
        };
        let request = match self.cleanup_request(step, cleanup, response) {
            Ok(request) => request,
            Err(found) => return found,
        };
        if let Err(mismatch) = self.show_owned(step, cleanup, &body, &request).await {
            return vec![mismatch];
        }
        self.take_on(step, cleanup, request);
        Vec::new()
    }

    /// The body of a create step's answer, when the step made a record and the body says
    /// which; otherwise `None`, with a note for a person when a record may exist.
    fn created(&mut self, step: &Step, response: &HttpResponse) -> Option<Value> {
        let run_id = &self.engine.run_id;
        let request_line = request_line(step);
        // An error the step expected made nothing.
        let made = (200..300).contains(&response.status)
            || (step.expect.accepts(response.status) && response.status < 400);
        if !made {
            if response.status >= 500 {
                self.left_behind.push(format!(
                    "{}: {request_line} answered {}; a record may have been made anyway \
                     (search for records marked {run_id})",
                    step.label, response.status
                ));
            }
            return None;
        }
        match parse_json_unique(&response.body) {
            Ok(body) => Some(body),
            Err(problem) => {
                self.left_behind.push(format!(
                    "{}: {request_line} answered {}, but {problem}, so what it made is \
                     unknown and nothing was removed (search for records marked {run_id})",
                    step.label, response.status
                ));
                None
            }
        }
    }

    /// The request that removes what a step created, when the captured values can
    /// address it; otherwise what that means for the step, with a note for a person.
    fn cleanup_request(
        &mut self,
        step: &Step,
        cleanup: &crate::spec::Cleanup,
        response: &HttpResponse,
    ) -> Result<HttpRequest, Vec<Mismatch>> {
        let request = match self.render(&cleanup.operation, &cleanup.request) {
            Ok(request) => request,
            Err(problem) => return Err(self.unaddressed(step, response, problem)),
        };
        if let Some(problem) = self.engine.key_in(&request.targets) {
            self.left_behind.push(format!(
                "{}: {} answered an id that {problem}; nothing was sent for it",
                step.label,
                request_line(step)
            ));
            return Err(vec![step_mismatch(
                step,
                Check::Ownership,
                "an id that can address the created record",
                &format!("the answer's id {problem}"),
            )]);
        }
        Ok(request)
    }

    /// A cleanup request that could not be rendered: nothing is sent to remove the record.
    fn unaddressed(
        &mut self,
        step: &Step,
        response: &HttpResponse,
        problem: String,
    ) -> Vec<Mismatch> {
        // A capture that found nothing has already failed the step: say only what it
        // means for the record, not that a variable is undefined.
        let undefined = problem.contains("is not defined");
        let why = match undefined {
            true => "its answer does not say which record it made".to_string(),
            false => problem.clone(),
        };
        self.left_behind.push(format!(
            "{}: {} answered {}, but {why}; nothing was sent to remove \
             it (search for records marked {})",
            step.label,
            request_line(step),
            response.status,
            self.engine.run_id
        ));
        match undefined {
            true => Vec::new(),
            false => vec![step_mismatch(
                step,
                Check::Ownership,
                "an id that can address the created record",
                &problem,
            )],
        }
    }

    /// Shows that the record is this run's own: its mark in the create answer, else in the
    /// record read back. When it is not shown, the record is named for a person to check.
    async fn show_owned(
        &mut self,
        step: &Step,
        cleanup: &crate::spec::Cleanup,
        body: &Value,
        request: &HttpRequest,
    ) -> Result<(), Mismatch> {
        let (run_id, targets) = (&self.engine.run_id, &request.targets);
        let evidence =
            match ownership::marked_in_answer(&step.capture, body, &self.vars, run_id, targets) {
                Ok(()) => Ok(()),
                Err(problem) => self
                    .fetch_evidence(step, cleanup, targets)
                    .await
                    .map_err(|fetched| format!("{problem}; {fetched}")),
            };
        let Err(problem) = evidence else {
            return Ok(());
        };
        let ids: Vec<String> = targets.iter().map(|t| shown_value(t)).collect();
        self.left_behind.push(format!(
            "{}: {} not touched: {problem}; check by hand whether it is this run's",
            step.label,
            ids.join(", ")
        ));
        Err(step_mismatch(
            step,
            Check::Ownership,
            &format!("the created record to carry this run's mark {run_id}"),
            &problem,
        ))
    }

    /// Registers the cleanup of a record shown to be the run's own, and writes it to the
    /// ledger.
    fn take_on(&mut self, step: &Step, cleanup: &crate::spec::Cleanup, request: HttpRequest) {
        self.owned.extend(request.targets.iter().cloned());
        if let Some(ledger) = &self.engine.ledger {
            let variable = request
                .bearer
                .as_ref()
                .and_then(|b| b.shown.strip_prefix('$'));
            ledger.created(
                self.trial_name,
                &request.method,
                request.url.as_str(),
                variable,
            );
        }
        self.cleanups.push(PendingCleanup {
            label: format!("cleanup of {}", step.label),
            operation: cleanup.operation.id.clone(),
            request,
        });
    }

    /// Reads the record back (`GET` on the cleanup's path, when the suite has that
    /// operation) to find the run's mark that the create answer did not show.
    async fn fetch_evidence(
        &mut self,
        step: &Step,
        cleanup: &crate::spec::Cleanup,
        targets: &[String],
    ) -> Result<(), String> {
        let Some(read) = ownership::read_operation(&self.engine.suite, &cleanup.operation) else {
            return Err(format!(
                "no GET {} operation in the specs to read it back",
                cleanup.operation.path
            ));
        };
        let request = Request {
            credential: cleanup.request.credential.clone(),
            path: cleanup.request.path.clone(),
            query: Default::default(),
            body: None,
            pad: None,
        };
        let http = self.render(&read, &request)?;
        let label = format!("ownership check of {}", step.label);
        let response = self
            .exchange(&label, &read.id, &http, Kind::Paced, false)
            .await
            .map_err(|e| format!("reading it back failed: {e}"))?;
        if !(200..300).contains(&response.status) {
            return Err(format!("reading it back answered {}", response.status));
        }
        let body =
            parse_json_unique(&response.body).map_err(|p| format!("reading it back: {p}"))?;
        ownership::marked_in_answer(
            &step.capture,
            &body,
            &self.vars,
            &self.engine.run_id,
            targets,
        )
        .map_err(|p| match p.contains("does not carry the mark") {
            true => format!("nor does the record read back with GET {}", read.path),
            false => format!("read back with GET {}, {p}", read.path),
        })
    }

    /// Sends the request until its expected status comes back, at most `max_requests`
    /// times and for at most `max_seconds`; the last response is the one checked in full.
    /// A step that creates (it has a cleanup) stops at the first answer that may have made
    /// a record (2xx, or 5xx), which is taken on for cleanup as a single step's would be:
    /// a gateway that creates where a refusal is documented leaves one record, removed.
    async fn run_repeated(&mut self, step: &Step, repeat: &Repeat) -> Vec<Mismatch> {
        let every = &self.engine.suite.every_response;
        let deadline = Instant::now() + Duration::from_secs(u64::from(repeat.max_seconds));
        let mut found = Vec::new();
        for attempt in 1..=repeat.max_requests {
            if self.engine.is_interrupted() {
                break;
            }
            let response = match self.send(step, Kind::Burst).await {
                Ok(response) => response,
                Err(mismatch) => return vec![mismatch],
            };
            let mut checked = check_response(step, every, &response, &self.vars);
            let status = response.status;
            let may_have_made = (200..300).contains(&status) || status >= 500;
            let last = attempt == repeat.max_requests
                || Instant::now() >= deadline
                || (step.cleanup.is_some() && may_have_made);
            if step.expect.accepts(response.status) || last {
                if !step.expect.accepts(response.status) {
                    for m in checked.iter_mut().filter(|m| m.check == Check::Status) {
                        m.expected = format!(
                            "{} within {attempt} requests ({} at most, {} s at most)",
                            m.expected, repeat.max_requests, repeat.max_seconds
                        );
                    }
                }
                found.extend(checked);
                found.extend(self.keep(step, &response).await);
                return found;
            }
            // Earlier attempts only answer to the checks every response must pass.
            checked.retain(|m| matches!(m.check, Check::Header(_)));
            found.extend(checked);
        }
        found
    }

    fn capture(&mut self, step: &Step, response: &HttpResponse) -> Vec<Mismatch> {
        if step.capture.is_empty() {
            return Vec::new();
        }
        // A body that repeats a key names two values at once: nothing is taken from it
        // (the body check reports it).
        let body = match parse_json_checked(&response.body) {
            Ok(checked) if checked.repeated.is_some() => return Vec::new(),
            Ok(checked) => checked.value,
            Err(_) => Value::Null,
        };
        let mut found = Vec::new();
        for capture in &step.capture {
            match body.pointer(&capture.pointer) {
                Some(value) if !value.is_null() => {
                    if capture.secret {
                        let text = value
                            .as_str()
                            .map_or_else(|| value.to_string(), str::to_string);
                        self.secrets
                            .add(&text, &format!("[secret:{}]", capture.name));
                    }
                    self.vars.set(&capture.name, value.clone());
                }
                _ => found.push(Mismatch {
                    pointer: Some(capture.pointer.clone()),
                    ..step_mismatch(
                        step,
                        Check::Capture(capture.name.clone()),
                        &format!("a value at {}", capture.pointer),
                        "nothing there",
                    )
                }),
            }
        }
        found
    }

    async fn send(&mut self, step: &Step, kind: Kind) -> Result<HttpResponse, Mismatch> {
        let http = self
            .render(&step.operation, &step.request)
            .map_err(|problem| {
                step_mismatch(
                    step,
                    Check::Capture("request".into()),
                    "a complete request",
                    &problem,
                )
            })?;
        let guarded = ownership::guard(&http.method, &http.targets, &self.owned);
        if let (Err(problem), false) = (guarded, self.engine.suite.disposable_target) {
            return Err(step_mismatch(
                step,
                Check::Ownership,
                "a request that addresses only records this run created",
                &problem,
            ));
        }
        let accepts_429 = step.expect.accepts(429);
        let response = self
            .exchange(&step.label, &step.operation.id, &http, kind, accepts_429)
            .await
            .map_err(|error| {
                step_mismatch(
                    step,
                    Check::Transport,
                    "a complete HTTP response",
                    &error.to_string(),
                )
            })?;
        let own = matches!(self.engine.keys, Keys::Stub)
            .then(|| crate::stub::own_answer_reason(&response, &http.method, http.url.path()))
            .flatten();
        if let Some(reason) = own {
            let expected = "an answer from a behaviour of the stub";
            return Err(step_mismatch(step, Check::StubNoRoute, expected, &reason));
        }
        Ok(response)
    }

    /// Sends a request (with the run's pacing and retries) and records every attempt.
    async fn exchange(
        &mut self,
        label: &str,
        operation: &str,
        http: &HttpRequest,
        kind: Kind,
        accepts_429: bool,
    ) -> Result<HttpResponse, TransportError> {
        let exchanges = &mut self.exchanges;
        let result = self
            .engine
            .delivery
            .send(http, kind, accepts_429, |attempt| {
                let (status, response_headers, body, error) = match attempt.result {
                    Ok(r) => (Some(r.status), r.headers.clone(), r.body.clone(), None),
                    Err(e) => (None, Vec::new(), Vec::new(), Some(e.to_string())),
                };
                exchanges.push(ExchangeSummary {
                    step: label.to_string(),
                    operation: operation.to_string(),
                    method: http.method.clone(),
                    url: http.url.to_string(),
                    request_headers: http.shown_headers(),
                    request_body: http.shown_body(),
                    status,
                    response_headers,
                    body,
                    elapsed: attempt.elapsed,
                    error,
                    retried: attempt.retried,
                });
            })
            .await;
        if let Ok(response) = &result {
            if (200..300).contains(&response.status) {
                self.done
                    .insert((http.method.clone(), http.url.to_string()));
            }
        }
        result
    }

    /// Fills a request's templates and attaches the credential's key.
    fn render(&self, operation: &Operation, request: &Request) -> Result<HttpRequest, String> {
        let bearer = bearer(&self.engine.keys, &request.credential, self.number)?;
        build_request(
            &self.engine.base_url,
            operation,
            request,
            &self.vars,
            bearer,
        )
    }

    /// Runs every pending cleanup, newest first; returns what could not be removed.
    async fn clean_up(&mut self) -> Vec<Mismatch> {
        let mut leftovers = Vec::new();
        while let Some(PendingCleanup {
            label,
            operation,
            request,
        }) = self.cleanups.pop()
        {
            let (method, url) = (request.method.clone(), request.url.to_string());
            if let Err(problem) = ownership::guard(&method, &request.targets, &self.owned) {
                self.left_behind.push(format!("{label}: {problem}"));
                leftovers.push(leftover(&label, problem));
                continue;
            }
            let gone = self.done.contains(&(method.clone(), url.clone()))
                || match self
                    .exchange(&label, &operation, &request, Kind::Cleanup, false)
                    .await
                {
                    Ok(r) if crate::live::ledger::gone(r.status) => true,
                    Ok(r) => {
                        leftovers.push(leftover(
                            &label,
                            format!("{method} {url} answered {}", r.status),
                        ));
                        false
                    }
                    Err(error) => {
                        leftovers.push(leftover(&label, format!("{method} {url}: {error}")));
                        false
                    }
                };
            if let (true, Some(ledger)) = (gone, &self.engine.ledger) {
                ledger.removed(self.trial_name, &method, &url);
            }
        }
        leftovers
    }
}

fn leftover(label: &str, problem: String) -> Mismatch {
    let expected = "the created record removed (2xx, or 404 if already gone)";
    Mismatch::new(
        label,
        Check::Transport,
        expected,
        problem,
        Default::default(),
    )
}

/// A step the stub had no behaviour for makes the trial a harness error, whatever else
/// was found: its answer says nothing about the API.
fn harness_error(found: &[Mismatch]) -> Option<Verdict> {
    let no_route = found.iter().find(|m| m.check == Check::StubNoRoute)?;
    Some(Verdict::Errored {
        reason: format!("{}: {}", no_route.step, no_route.actual),
        mismatches: found.to_vec(),
    })
}

fn interrupted() -> Verdict {
    Verdict::Errored {
        reason: "interrupted: the remaining steps were not sent, and what the scenario created was removed".into(),
        mismatches: Vec::new(),
    }
}

/// A step that did not succeed where the scenario needed it to (a shared record, setup).
fn not_judged(step: &Step, found: Vec<Mismatch>) -> Verdict {
    Verdict::Errored {
        reason: format!(
            "{} ({}) did not succeed, so the scenario could not be judged",
            step.label, step.operation.id
        ),
        mismatches: found,
    }
}

/// `POST /v1/contacts`: the request of a step, as notes for a person show it.
fn request_line(step: &Step) -> String {
    format!("{} {}", step.operation.method, step.operation.path)
}

fn step_mismatch(step: &Step, check: Check, expected: &str, actual: &str) -> Mismatch {
    Mismatch::new(&step.label, check, expected, actual, step.span.clone())
}

fn suite_shared(suite: &Suite) -> BTreeMap<String, shared::Slot> {
    suite
        .shared
        .iter()
        .map(|record| (record.name.clone(), Default::default()))
        .collect()
}
