//! One run's shared state: the suite and settings, the lazily started engine, and every
//! outcome, turned into reports and checked for secrets at the end.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use libtest_mimic::{Arguments, Completion, Failed, Trial};

use crate::config::{Config, TargetConfig};
use crate::engine::{Engine, Keys};
use crate::live::ledger::{self, Ledger};
use crate::outcome::{Outcome, RunFacts, Verdict};
use crate::plan::Planned;
use crate::report::coverage::Coverage;
use crate::report::files;
use crate::report::junit;
use crate::report::render::{
    clip_lines, failure_text, reason_text, safe_json, safe_text, summary, RenderOptions,
    VALUE_LIMIT,
};
use crate::secrets::leak::{find_leaks, Written};
use crate::secrets::redact::Redactor;
use crate::spec::{self, Suite};
use crate::stub::Stub;
use crate::transport::deliver::Delivery;
use crate::transport::http::HttpClient;
use crate::transport::limit::Limiter;

/// Why a run's reports could not be finished as they should: the harness turns it into
/// an exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unfinished {
    /// A report could not be written.
    ReportNotWritten,
    /// A secret was found in what the run wrote; the report holding it was replaced.
    SecretFound,
}

/// What every trial of one run shares. The runtime, client and stub start with the first
/// trial that needs them, so `--list` does no I/O.
pub(crate) struct Session {
    suite: Arc<Suite>,
    pub(crate) config: Config,
    run_id: String,
    redactor: Redactor,
    /// How failure messages look on this run's terminal.
    pub(crate) terminal: RenderOptions,
    engine: OnceLock<Result<Started, String>>,
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
}

struct Started {
    // Field order matters: the engine goes before the stub it talks to, then the runtime.
    engine: Engine,
    _stub: Option<Stub>,
    runtime: tokio::runtime::Runtime,
}

impl Session {
    pub(crate) fn new(suite: Arc<Suite>, config: Config) -> Session {
        Session {
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
        }
    }

    pub(crate) fn execute(&self, planned: &Planned) -> Result<Completion, Failed> {
        let scenario = &planned.scenario;
        if let Some(reason) = &planned.cannot_run {
            self.record(ignored(scenario, reason));
            return Ok(Completion::ignored_with(reason));
        }
        let started = match self.engine.get_or_init(|| self.start()) {
            Ok(started) => started,
            Err(message) => {
                let text = safe_text(message, &self.redactor);
                self.printed(text.clone());
                return Err(text.into());
            }
        };
        if self.interrupted.load(Ordering::SeqCst) {
            let reason = "not run: the run was interrupted";
            self.record(ignored(scenario, reason));
            return Ok(Completion::ignored_with(reason));
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

    /// Removes the shared records the run made; what could not be removed, for the summary.
    pub(crate) fn clean_up_shared(&self) -> Vec<String> {
        match self.engine.get() {
            Some(Ok(started)) => started.engine.clean_up_shared(&started.runtime),
            _ => Vec::new(),
        }
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
        self.outcomes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(outcome);
    }

    fn start(&self) -> Result<Started, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the async runtime: {e}"))?;
        let client = HttpClient::new(&self.config)?;
        let (stub, base_url, keys) = match &self.config.target {
            TargetConfig::Stub => {
                let stub = runtime.block_on(Stub::start(&self.suite));
                let base_url = stub.base_url();
                (Some(stub), base_url, Keys::Stub)
            }
            TargetConfig::Live { base_url } => {
                let keys = self
                    .suite
                    .credentials
                    .iter()
                    .filter_map(|(name, c)| {
                        let key = self.config.keys.get(&c.env)?.clone();
                        Some((name.clone(), (c.env.clone(), key)))
                    })
                    .collect();
                (None, base_url.clone(), Keys::Live(keys))
            }
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
        )?
        .with_ledger(ledger)
        .with_interrupt(self.interrupted.clone());
        Ok(Started {
            engine,
            _stub: stub,
            runtime,
        })
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
    pub(crate) fn start_reports(&self) -> Result<(), Unfinished> {
        let problem = files::in_progress(&self.run_id, chrono::Utc::now());
        let junit = self.config.junit.as_deref();
        let coverage = self.config.coverage.as_deref();
        files::write_problems(junit, coverage, "run", Some(&self.run_id), &[problem]).map_err(
            |message| {
                eprintln!("error: {message}");
                Unfinished::ReportNotWritten
            },
        )
    }

    /// Prints the summary, writes the reports, and checks all of it for secrets.
    pub(crate) fn finish(&self) -> Result<(), Unfinished> {
        let shared_left = self.clean_up_shared();
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
        // The coverage matrix quotes what the gateway sent (error codes): redact it too.
        let table = every_secret.redact(&coverage.table());
        let mut summary = format!("{}\n{table}", summary(&outcomes, &facts));
        let mut written = Vec::new();
        let ledger = self
            .engine
            .get()
            .and_then(|s| s.as_ref().ok())
            .and_then(|s| s.engine.ledger());
        if let Some(ledger) = ledger {
            let left = ledger::pending(ledger.path()).map(|l| l.len()).unwrap_or(0);
            if left > 0 {
                summary.push_str(&format!(
                    "\n{left} record(s) this run created could not be removed; they are listed in {}.\n\
                     Remove them with: cargo run -- cleanup {}\n",
                    spec::display_path(ledger.path()),
                    self.run_id
                ));
            }
        }
        summary.push_str(&left_behind(&outcomes, &self.run_id));
        for left in &shared_left {
            summary.push_str(&format!("\ncould not be removed: {left}\n"));
        }
        let started = self.engine.get().and_then(|s| s.as_ref().ok());
        if let (Some(started), true) = (started, self.config.target != TargetConfig::Stub) {
            let planned = self.planned_requests.load(Ordering::SeqCst);
            summary.push_str(&format!(
                "\nsent {} request(s), cleanup and retries included (planned: about {planned})\n",
                started.engine.requests_sent()
            ));
        }
        // Gateway text (observed codes, the host, ids) is made safe to print, like all output.
        let summary = clip_lines(&safe_text(&summary, &every_secret), 4 * VALUE_LIMIT);
        print!("{summary}");
        self.printed(summary);
        if let Some(path) = &self.config.junit {
            let limit = self.config.report_body_limit;
            let report = junit::report(&outcomes, &facts, &coverage, &every_secret, limit);
            let text = report.to_string().map_err(|e| e.to_string());
            if let Err(message) = text.and_then(|text| write_file(path, &text)) {
                eprintln!("error: {message}");
                return Err(Unfinished::ReportNotWritten);
            }
            if self.config.self_test_leak {
                self.plant_a_key(path);
            }
            println!("JUnit report: {}", spec::display_path(path));
            written.push(Written::File(path.clone()));
        }
        if let Some(path) = &self.config.coverage {
            let json = safe_json(&coverage.to_json(&facts), &every_secret);
            if let Err(message) = write_file(path, &json) {
                eprintln!("error: {message}");
                return Err(Unfinished::ReportNotWritten);
            }
            println!("coverage matrix: {}", spec::display_path(path));
            written.push(Written::File(path.clone()));
        }
        let transcript = self
            .printed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .join("\n");
        written.push(Written::Printed {
            place: "the terminal output".into(),
            text: transcript,
        });
        let mut leaks = find_leaks(&every_secret, &written);
        // The ledger keeps real ids, captured secrets included, but never an API key.
        if let Some(ledger) = ledger {
            leaks.extend(find_leaks(
                &self.redactor,
                &[Written::File(ledger.path().to_path_buf())],
            ));
        }
        if leaks.is_empty() {
            return Ok(());
        }
        for leak in &leaks {
            eprintln!(
                "error: SECRET LEAK: the value of {} appears in {}",
                leak.secret, leak.place
            );
        }
        for item in &written {
            if let Written::File(path) = item {
                if leaks.iter().any(|l| l.file.as_ref() == Some(path)) {
                    self.replace_leaking(path);
                }
            }
        }
        Err(Unfinished::SecretFound)
    }

    /// Replaces a report in which a secret was found by an error report naming no secret
    /// (or removes it, if even that cannot be written).
    fn replace_leaking(&self, path: &Path) {
        let shown = spec::display_path(path);
        let problem = files::secret_found(&shown);
        let written = match self.config.coverage.as_deref() == Some(path) {
            true => files::write_problems(None, Some(path), "run", None, &[problem]),
            false => files::write_problems(Some(path), None, "run", None, &[problem]),
        };
        match written {
            Ok(()) => eprintln!(
                "error: replaced {shown} by an error report so that it cannot be published"
            ),
            Err(_) => {
                let _ = std::fs::remove_file(path);
                eprintln!("error: removed {shown} so that it cannot be published");
            }
        }
    }

    /// Appends the first configured key to a written report (`LEADLEX_SELF_TEST_LEAK=1`).
    fn plant_a_key(&self, path: &Path) {
        use std::io::Write;
        let secret = self.config.keys.values().next();
        let file = std::fs::OpenOptions::new().append(true).open(path);
        if let (Some(secret), Ok(mut file)) = (secret, file) {
            let _ = writeln!(
                file,
                "<!-- planted by LEADLEX_SELF_TEST_LEAK: {} -->",
                secret.expose()
            );
        }
    }

    /// Remembers text handed to the terminal, for the leak check.
    pub(crate) fn printed(&self, text: String) {
        self.printed_texts().push(text);
    }

    fn printed_texts(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.printed.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The records that scenarios may have left behind or did not touch, for a person to
/// check; empty when there are none.
fn left_behind(outcomes: &[Outcome], run_id: &str) -> String {
    let lines: Vec<String> = outcomes
        .iter()
        .flat_map(|o| {
            o.left_behind
                .iter()
                .map(|l| format!("  {}: {l}\n", o.trial_name))
        })
        .collect();
    if lines.is_empty() {
        return String::new();
    }
    format!(
        "\n{} record(s) to check by hand: they may be left on the gateway, or were not touched \
         because the run could not show they were its own (the run's records carry the mark \
         {run_id}):\n{}",
        lines.len(),
        lines.concat()
    )
}

/// Writes a report file atomically, creating its directory.
fn write_file(path: &Path, text: &str) -> Result<(), String> {
    files::write_atomically(path, text)
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
