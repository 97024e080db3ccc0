//! One run's shared state: the suite and settings, the lazily started engine, and every
//! outcome, shown to an [`Observer`] as it is recorded and handed to
//! [`crate::report::publish`] at the end.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};

use libtest_mimic::{Arguments, Completion, Failed, Trial};

use crate::config::{Config, TargetConfig};
use crate::engine::{Engine, Keys};
use crate::live::ledger::{self, Ledger, LedgerError};
use crate::outcome::{Outcome, RunFacts, Verdict};
use crate::plan::selection::Front;
use crate::plan::Planned;
use crate::report::coverage::Coverage;
use crate::report::files;
use crate::report::publish::{
    check_for_leaks, left_behind, publish, Console, Destinations, Publication, PublishError,
};
use crate::report::render::{failure_text, reason_text, safe_text, RenderOptions};
use crate::secrets::leak::Written;
use crate::secrets::redact::Redactor;
use crate::spec::{self, Suite};
use crate::stub::Stub;
use crate::transport::deliver::Delivery;
use crate::transport::http::{ClientError, HttpClient};
use crate::transport::limit::Limiter;

/// Told of each outcome as it is recorded, with the secrets to hide in it (the run's and
/// the trial's); returns the text it printed, for the leak check.
pub(crate) type Observer = Box<dyn Fn(&Outcome, &Redactor) -> String + Send + Sync>;

/// What every trial of one run shares. The runtime, client and stub start with the first
/// trial that needs them, so `--list` does no I/O.
pub(crate) struct Session {
    suite: Arc<Suite>,
    pub(crate) config: Config,
    run_id: String,
    redactor: Redactor,
    /// How failure messages look on this run's terminal.
    pub(crate) terminal: RenderOptions,
    engine: OnceLock<Result<Started, StartError>>,
    pub(crate) outcomes: Mutex<Vec<Outcome>>,
    /// Everything the run handed to the terminal.
    printed: Mutex<Vec<String>>,
    /// Set by Ctrl-C (or SIGTERM): trials stop between steps, clean up, and the rest are
    /// not started.
    pub(crate) interrupted: Arc<AtomicBool>,
    /// Keep every exchange of passed trials (for the harness's own tests); a real run
    /// keeps only what its reports show.
    pub(crate) keep_exchanges: bool,
    /// Live runs: the requests the run planned to send, announced at its start.
    planned_requests: std::sync::atomic::AtomicUsize,
    /// Where the summary goes: stderr when stdout carries a machine-readable format.
    pub(crate) console: Console,
    /// Where the run was started from, for the commands the summary suggests.
    pub(crate) front: Front,
    /// Told of each outcome as it is recorded (`--outcomes json`).
    pub(crate) observer: Option<Observer>,
    /// In GitHub Actions: the token that pauses workflow commands while trials run.
    workflow_token: Option<String>,
    /// Trials that spend no quota and have not finished yet. A scenario that spends quota
    /// on purpose waits for them, then removes the shared records before it spends it:
    /// with the quota spent, removing them could fail.
    before_quota: (Mutex<usize>, Condvar),
    /// Shared records that could not be removed before a scenario spent quota.
    shared_left: Mutex<Vec<String>>,
}

/// Counts a trial that spends no quota as finished when dropped, however it ends.
struct NotSpendingQuota<'s>(&'s Session);

impl Drop for NotSpendingQuota<'_> {
    fn drop(&mut self) {
        let (count, finished) = &self.0.before_quota;
        let mut count = count.lock().unwrap_or_else(|p| p.into_inner());
        *count = count.saturating_sub(1);
        finished.notify_all();
    }
}

/// How a run ended, beyond its trials.
pub(crate) struct Finished {
    /// Records the run created are still on the target (named in the summary).
    pub(crate) records_left: bool,
}

/// Why the engine could not start; every trial of the run fails with it.
#[derive(Debug, thiserror::Error)]
enum StartError {
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("{0}")]
    Engine(String),
}

struct Started {
    // Field order matters: the engine goes before the stub it talks to, then the runtime.
    engine: Engine,
    _stub: Option<Stub>,
    runtime: tokio::runtime::Runtime,
}

impl Session {
    pub(crate) fn new(suite: Arc<Suite>, config: Config) -> Session {
        let workflow_token = config
            .github_annotations
            .then(crate::report::annotations::new_token);
        Session {
            workflow_token,
            redactor: Redactor::from_config(&config),
            run_id: new_run_id(),
            suite,
            terminal: RenderOptions {
                body_limit: config.report_body_limit,
                color: false,
            },
            config,
            engine: OnceLock::new(),
            outcomes: Mutex::default(),
            printed: Mutex::default(),
            interrupted: Arc::default(),
            keep_exchanges: false,
            planned_requests: Default::default(),
            console: Console::Stdout,
            front: Front::TestBinary,
            observer: None,
            before_quota: Default::default(),
            shared_left: Mutex::default(),
        }
    }

    /// Says how many of the trials that will run spend no quota: scenarios that spend it
    /// wait for that many to finish.
    pub(crate) fn expect_before_quota(&self, trials: usize) {
        *self
            .before_quota
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = trials;
    }

    pub(crate) fn execute(&self, planned: &Planned) -> Result<Completion, Failed> {
        let scenario = &planned.scenario;
        // Made only for a trial that spends no quota: `then_some` would make the guard for
        // every trial and drop it at once for the others, counting them as finished.
        let _counted = match scenario.spends_quota {
            true => None,
            false => Some(NotSpendingQuota(self)),
        };
        if let Some(reason) = &planned.cannot_run {
            self.record(ignored(scenario, reason));
            return Ok(Completion::ignored_with(reason));
        }
        let started = match self.engine.get_or_init(|| self.start()) {
            Ok(started) => started,
            Err(error) => {
                let text = safe_text(&error.to_string(), &self.redactor);
                self.printed(text.clone());
                return Err(text.into());
            }
        };
        if self.interrupted.load(Ordering::SeqCst) {
            let reason = "not run: the run was interrupted";
            self.record(ignored(scenario, reason));
            return Ok(Completion::ignored_with(reason));
        }
        if scenario.spends_quota {
            self.remove_shared_before_spending_quota();
        }
        let mut outcome = started.engine.run(&started.runtime, scenario);
        if outcome.verdict.is_success() && !self.keep_exchanges {
            // What a passed trial sent is not shown anywhere but in these two places.
            let suite = &self.suite;
            outcome
                .exchanges
                .retain(|e| Coverage::worth_keeping(suite, e));
            outcome.exchanges.shrink_to_fit();
        }
        let result = match outcome.verdict {
            Verdict::Passed => Ok(Completion::Completed),
            Verdict::Ignored(ref reason) => {
                let shown = reason_text(reason, &self.redactor.merged(&outcome.secrets));
                self.printed(shown.clone());
                Ok(Completion::ignored_with(shown))
            }
            _ => {
                let text = failure_text(&outcome, &self.redactor, self.terminal);
                self.printed(text.clone());
                Err(text.into())
            }
        };
        self.record(outcome);
        result
    }

    /// Waits until every trial that spends no quota has finished (or the run is
    /// interrupted), then removes the shared records: once a scenario has spent the
    /// quota on purpose, their `DELETE`s could be refused until it comes back (a daily
    /// quota, or a stub's budget for its lifetime). A scenario that uses one makes it again.
    fn remove_shared_before_spending_quota(&self) {
        let (count, finished) = &self.before_quota;
        let mut left = count.lock().unwrap_or_else(|p| p.into_inner());
        while *left > 0 && !self.interrupted.load(Ordering::SeqCst) {
            left = finished
                .wait_timeout(left, std::time::Duration::from_millis(100))
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        drop(left);
        let not_removed = self.clean_up_shared();
        self.shared_left
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(not_removed);
    }

    /// Removes the shared records the run made; what could not be removed, for the summary.
    pub(crate) fn clean_up_shared(&self) -> Vec<String> {
        match self.engine.get() {
            Some(Ok(started)) => started.engine.clean_up_shared(&started.runtime),
            _ => Vec::new(),
        }
    }

    /// In GitHub Actions, stops the runner from reading workflow commands: what trials print
    /// (gateway bodies among it) can then never pose as an annotation or a command.
    /// [`Session::finish`] turns them back on for the run's own annotations.
    pub(crate) fn pause_workflow_commands(&self) {
        if let Some(token) = &self.workflow_token {
            let stop = crate::report::annotations::stop_commands(token);
            self.console.workflow_line(&stop);
        }
    }

    /// Runs `print` with workflow commands paused, in GitHub Actions (`--list`, whose
    /// trial names come from spec file names).
    pub(crate) fn paused<T>(&self, print: impl FnOnce() -> T) -> T {
        self.console.paused(self.workflow_token.as_deref(), print)
    }

    /// Remembers the requests announced at the start of a live run.
    pub(crate) fn plan_requests(&self, expected: usize) {
        self.planned_requests.store(expected, Ordering::SeqCst);
    }

    /// Trials that the spec marks `ignore:` and libtest will not run still belong in the
    /// report, as skipped with the spec's reason.
    pub(crate) fn record_skipped_by_spec(&self, args: &Arguments, trials: &[Trial]) {
        for trial in trials
            .iter()
            .filter(|t| args.is_ignored(t) && !args.is_filtered_out(t))
        {
            let scenario = self
                .suite
                .scenarios
                .iter()
                .find(|s| s.trial_name == trial.name());
            if let Some(scenario) = scenario {
                let reason = scenario.ignore.clone().unwrap_or_default();
                self.record(ignored(scenario, &format!("ignored by its spec: {reason}")));
            }
        }
    }

    fn record(&self, outcome: Outcome) {
        if let Some(observe) = &self.observer {
            let shown = observe(&outcome, &self.redactor.merged(&outcome.secrets));
            self.printed(shown);
        }
        self.outcomes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(outcome);
    }

    fn start(&self) -> Result<Started, StartError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(StartError::Runtime)?;
        let client = HttpClient::new(&self.config)?;
        let (stub, base_url, keys) = match &self.config.target {
            TargetConfig::Stub => {
                let stub = runtime.block_on(Stub::start(&self.suite));
                let base_url = stub.base_url();
                (Some(stub), base_url, Keys::Stub)
            }
            TargetConfig::Live { base_url } => (None, base_url.clone(), self.live_keys()),
        };
        let live = matches!(self.config.target, TargetConfig::Live { .. });
        let delivery = Delivery {
            client,
            limiter: Limiter::new(
                self.config.rate_limit,
                self.config.max_requests,
                self.config.max_wait,
            )
            .with_interrupt(self.interrupted.clone()),
            retries: self.config.retries,
            observe: live,
        };
        let ledger = match live {
            true => Some(Ledger::open(&self.config.ledger_dir, &self.run_id)?),
            false => None,
        };
        let engine = Engine::new(
            self.suite.clone(),
            delivery,
            &base_url,
            keys,
            self.run_id.clone(),
        )
        .map_err(StartError::Engine)?
        .with_ledger(ledger)
        .with_interrupt(self.interrupted.clone());
        Ok(Started {
            engine,
            _stub: stub,
            runtime,
        })
    }

    /// The configured key of each credential, with its variable.
    fn live_keys(&self) -> Keys {
        let keys = self.suite.credentials.iter().filter_map(|(name, c)| {
            let key = self.config.keys.get(&c.env)?.clone();
            Some((name.clone(), (c.env.clone(), key)))
        });
        Keys::Live(keys.collect())
    }

    fn facts(&self) -> RunFacts {
        let (target, host) = match &self.config.target {
            TargetConfig::Stub => ("stub", "127.0.0.1 (in-process wiremock)".to_string()),
            TargetConfig::Live { base_url } => (
                "live",
                reqwest::Url::parse(base_url)
                    .ok()
                    .and_then(|u| u.host_str().map(str::to_string))
                    .unwrap_or_default(),
            ),
        };
        RunFacts {
            run_id: self.run_id.clone(),
            target: target.to_string(),
            host,
        }
    }

    pub(crate) fn run_id(&self) -> &str {
        &self.run_id
    }

    /// Replaces the previous reports with placeholders that read as a failure until
    /// [`Session::finish`] writes the real ones: a run killed on the way leaves no green report.
    pub(crate) fn start_reports(&self) -> Result<(), PublishError> {
        let problem = files::in_progress(&self.run_id, chrono::Utc::now());
        let junit = self.config.junit.as_deref();
        let coverage = self.config.coverage.as_deref();
        files::write_problems(junit, coverage, "run", Some(&self.run_id), &[problem])?;
        Ok(())
    }

    /// Removes the shared records, then publishes the outcomes: summary, reports, and the
    /// leak check of all of it.
    pub(crate) fn finish(&self) -> Result<Finished, PublishError> {
        let mut shared_left =
            std::mem::take(&mut *self.shared_left.lock().unwrap_or_else(|p| p.into_inner()));
        shared_left.extend(self.clean_up_shared());
        let pending = self
            .ledger()
            .map_or(0, |l| ledger::pending(l.path()).map_or(0, |p| p.len()));
        let finished = Finished {
            records_left: pending > 0 || !shared_left.is_empty(),
        };
        let outcomes =
            std::mem::take(&mut *self.outcomes.lock().unwrap_or_else(|p| p.into_inner()));
        let facts = self.facts();
        let mut coverage = Coverage::of(&self.suite);
        coverage.record(&outcomes);
        if matches!(self.config.target, TargetConfig::Live { .. }) {
            coverage.observe(&self.suite, &outcomes);
        }
        let every_secret = outcomes
            .iter()
            .fold(self.redactor.clone(), |all, o| all.merged(&o.secrets));
        let publication = Publication {
            outcomes: &outcomes,
            facts: &facts,
            coverage: &coverage,
            secrets: &every_secret,
            notes: self.notes(&outcomes, &shared_left),
        };
        let planted_key = match self.config.self_test_leak {
            true => self.config.keys.values().next(),
            false => None,
        };
        let to = Destinations {
            junit: self.config.junit.as_deref(),
            coverage: self.config.coverage.as_deref(),
            body_limit: self.config.report_body_limit,
            planted_key,
            console: self.console,
            annotate: self.workflow_token.as_deref(),
        };
        let (mut written, summary) = publish(&publication, &to)?;
        self.printed(summary);
        written.push(Written::Printed {
            place: "the terminal output".into(),
            text: self.printed_texts().join("\n"),
        });
        let ledger = self.ledger().map(|l| (l.path(), &self.redactor));
        check_for_leaks(&written, &every_secret, ledger, &to)?;
        Ok(finished)
    }

    fn ledger(&self) -> Option<&Ledger> {
        let started = self.engine.get()?.as_ref().ok()?;
        started.engine.ledger()
    }

    /// What the summary ends with: records left behind, and the requests a live run sent.
    fn notes(&self, outcomes: &[Outcome], shared_left: &[String]) -> String {
        let mut notes = String::new();
        if let Some(ledger) = self.ledger() {
            let left = ledger::pending(ledger.path()).map(|l| l.len()).unwrap_or(0);
            if left > 0 {
                notes.push_str(&format!(
                    "\n{left} record(s) this run created could not be removed; they are listed in {}.\n\
                     Remove them with: {} cleanup {}\n",
                    spec::display_path(ledger.path()),
                    self.front.program(),
                    self.run_id
                ));
            }
        }
        notes.push_str(&left_behind(outcomes, &self.run_id));
        for left in shared_left {
            notes.push_str(&format!("\ncould not be removed: {left}\n"));
        }
        let started = self.engine.get().and_then(|s| s.as_ref().ok());
        if let (Some(started), true) = (started, self.config.target != TargetConfig::Stub) {
            let planned = self.planned_requests.load(Ordering::SeqCst);
            notes.push_str(&format!(
                "\nsent {} request(s), cleanup and retries included (planned: about {planned})\n",
                started.engine.requests_sent()
            ));
        }
        notes
    }

    /// Remembers text handed to the terminal, for the leak check.
    pub(crate) fn printed(&self, text: String) {
        self.printed_texts().push(text);
    }

    fn printed_texts(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.printed.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn ignored(scenario: &spec::Scenario, reason: &str) -> Outcome {
    Outcome {
        trial_name: scenario.trial_name.clone(),
        operation_id: scenario.operation.id.clone(),
        scenario: scenario.name.clone(),
        span: scenario.span.clone(),
        started: std::time::SystemTime::now(),
        duration: std::time::Duration::ZERO,
        verdict: Verdict::Ignored(reason.to_string()),
        exchanges: Vec::new(),
        secrets: Redactor::default(),
        left_behind: Vec::new(),
    }
}

/// `20261129T061500Z-3f2a91`: sortable, and unique enough to mark what a run creates.
fn new_run_id() -> String {
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!(
        "{}-{}",
        chrono::Utc::now().format("%Y%m%dT%H%M%SZ"),
        &random[..6]
    )
}
