//! The glue: command line → specs → plan → libtest trials → reports → exit code.
//!
//! Exit codes: 0 when every trial passed or was ignored, 101 when a trial failed (libtest's
//! own code), 2 when the specs or the settings are broken (nothing was sent), 3 when a
//! secret was found in the run's own reports or output (the report is removed).

use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use std::io::IsTerminal;

use libtest_mimic::{Arguments, ColorSetting, Completion, Failed, Trial};

use crate::config::{Config, TargetConfig};
use crate::coverage::Coverage;
use crate::deliver::Delivery;
use crate::http::HttpClient;
use crate::junit::{self, RunFacts};
use crate::leak::{find_leaks, Written};
use crate::ledger::{self, Ledger};
use crate::limit::Limiter;
use crate::outcome::{Outcome, Verdict};
use crate::plan::{plan, Planned};
use crate::redact::Redactor;
use crate::render::{failure_text, summary, RenderOptions};
use crate::run::{Engine, Keys};
use crate::spec::{self, Suite};
use crate::stub::Stub;

/// The exit code of a run that could not start: broken specs or settings.
pub const EXIT_BROKEN_INPUT: u8 = 2;
/// The exit code of a run stopped by Ctrl-C or SIGTERM (after cleaning up).
pub const EXIT_INTERRUPTED: u8 = 130;
/// The exit code of a run that found a secret in its own reports or output.
pub const EXIT_SECRET_LEAK: u8 = 3;

/// Checks the specs without sending anything: every problem, then the coverage matrix.
/// Exit code 0 when they are clean, 2 when not.
pub fn lint(lookup: &dyn Fn(&str) -> Option<String>, root: &Path) -> ExitCode {
    let specs_dir = Config::specs_dir(lookup, root);
    match load_specs(lookup, &specs_dir) {
        Ok(suite) => {
            println!(
                "{}: {} operations, {} scenarios; no problems found.\n",
                spec::display_path(&specs_dir),
                suite.operations.len(),
                suite.scenarios.len()
            );
            print!("{}", Coverage::of(&suite).table());
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("{message}");
            ExitCode::from(EXIT_BROKEN_INPUT)
        }
    }
}

/// Runs the suite with the process's arguments and environment. `root` is the crate
/// directory, for the default locations of `specs/` and `reports/`.
pub fn main(root: &Path) -> ExitCode {
    run(
        Arguments::from_args(),
        &|name| std::env::var(name).ok(),
        root,
    )
}

pub fn run(args: Arguments, lookup: &dyn Fn(&str) -> Option<String>, root: &Path) -> ExitCode {
    let (mut run, planned) = match prepare(lookup, root) {
        Ok(prepared) => prepared,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(EXIT_BROKEN_INPUT);
        }
    };
    run.terminal.color = match args.color {
        Some(ColorSetting::Always) => true,
        Some(ColorSetting::Never) => false,
        _ => std::io::stdout().is_terminal() && run.config.color_allowed,
    };
    let mut args = args;
    if matches!(run.config.target, TargetConfig::Live { .. }) && args.test_threads.is_none() {
        // A live gateway gets bounded parallelism; the stub gets the whole machine.
        args.test_threads = Some(run.config.concurrency);
    }
    let run = Arc::new(run);
    let trials: Vec<Trial> = planned.into_iter().map(|p| trial(&run, p)).collect();
    if !args.list {
        run.record_skipped_by_spec(&args, &trials);
    }
    if args.list {
        let _listed_only = libtest_mimic::run(&args, trials);
        return ExitCode::SUCCESS;
    }
    stop_on_interrupt(run.interrupted.clone());
    let conclusion = libtest_mimic::run(&args, trials);
    match run.finish() {
        Err(code) => code,
        Ok(()) if run.interrupted.load(Ordering::SeqCst) => ExitCode::from(EXIT_INTERRUPTED),
        Ok(()) => conclusion.exit_code(),
    }
}

/// On the first Ctrl-C (or SIGTERM), sets `flag`: scenarios stop between steps and clean
/// up, the rest are not started, and the reports are written. A second one stops at once.
fn stop_on_interrupt(flag: Arc<AtomicBool>) {
    let installed = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            eprintln!("\ninterrupted again: stopping at once (the ledger lists what may be left)");
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
        eprintln!(
            "\ninterrupted: finishing the requests under way and removing what was created \
             (Ctrl-C again stops at once)"
        );
    });
    if let Err(error) = installed {
        eprintln!("warning: cannot handle Ctrl-C ({error}); an interrupted run may leave records");
    }
}

/// Runs every scenario whose trial name contains `filter`, one after the other, without
/// libtest or reports, and returns the outcomes: how the harness's own tests observe it.
/// `Err` holds the message a broken spec or setting would print.
pub fn run_quietly(
    lookup: &dyn Fn(&str) -> Option<String>,
    root: &Path,
    filter: &str,
) -> Result<Vec<Outcome>, String> {
    let (run, planned) = prepare(lookup, root)?;
    for planned in planned
        .iter()
        .filter(|p| p.scenario.trial_name.contains(filter))
    {
        if let Err(failed) = run.execute(planned) {
            let recorded = run.outcomes.lock().unwrap_or_else(|p| p.into_inner()).len();
            if recorded == 0 {
                return Err(failed
                    .message()
                    .unwrap_or("the run could not start")
                    .to_string());
            }
        }
    }
    let outcomes = std::mem::take(&mut *run.outcomes.lock().unwrap_or_else(|p| p.into_inner()));
    Ok(outcomes)
}

/// Loads the specs and the settings; `Err` is the whole message for the user.
fn prepare(
    lookup: &dyn Fn(&str) -> Option<String>,
    root: &Path,
) -> Result<(Run, Vec<Planned>), String> {
    let specs_dir = Config::specs_dir(lookup, root);
    let suite = load_specs(lookup, &specs_dir)?;
    let key_variables: Vec<&str> = suite.credentials.values().map(|c| c.env.as_str()).collect();
    let config = Config::from_lookup(lookup, root, &key_variables)
        .map_err(|error| format!("error: {error}\nno request was sent."))?;
    let planned = plan(&suite, &config);
    Ok((Run::new(Arc::new(suite), config), planned))
}

/// The specs, or every problem in them rendered for the terminal.
fn load_specs(lookup: &dyn Fn(&str) -> Option<String>, specs_dir: &Path) -> Result<Suite, String> {
    spec::load(specs_dir).map_err(|errors| {
        let color = std::io::stderr().is_terminal() && lookup(crate::config::NO_COLOR).is_none();
        let mut message: String = errors
            .iter()
            .map(|e| format!("{}\n\n", e.render(color)))
            .collect();
        message.push_str(&format!(
            "{} problem(s) in the specs under {}; no request was sent.",
            errors.len(),
            specs_dir.display()
        ));
        message
    })
}

fn trial(run: &Arc<Run>, planned: Planned) -> Trial {
    let name = planned.scenario.trial_name.clone();
    let flagged = planned.ignored_by_spec.is_some();
    let run = run.clone();
    Trial::ignorable_test(name, move || run.execute(&planned)).with_ignored_flag(flagged)
}

/// What every trial of one run shares. The runtime, client and stub start with the first
/// trial that needs them, so `--list` does no I/O.
struct Run {
    suite: Arc<Suite>,
    config: Config,
    run_id: String,
    redactor: Redactor,
    /// How failure messages look on this run's terminal.
    terminal: RenderOptions,
    engine: OnceLock<Result<Started, String>>,
    outcomes: Mutex<Vec<Outcome>>,
    /// Everything the run handed to the terminal.
    printed: Mutex<Vec<String>>,
    /// Set by Ctrl-C (or SIGTERM): trials stop between steps, clean up, and the rest are
    /// not started.
    interrupted: Arc<AtomicBool>,
}

struct Started {
    // Field order matters: the engine goes before the stub it talks to, then the runtime.
    engine: Engine,
    _stub: Option<Stub>,
    runtime: tokio::runtime::Runtime,
}

impl Run {
    fn new(suite: Arc<Suite>, config: Config) -> Run {
        Run {
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
        }
    }

    fn execute(&self, planned: &Planned) -> Result<Completion, Failed> {
        let scenario = &planned.scenario;
        if let Some(reason) = &planned.cannot_run {
            self.record(ignored(scenario, reason));
            return Ok(Completion::ignored_with(reason));
        }
        let started = match self.engine.get_or_init(|| self.start()) {
            Ok(started) => started,
            Err(message) => return Err(message.clone().into()),
        };
        if self.interrupted.load(Ordering::SeqCst) {
            let reason = "not run: the run was interrupted";
            self.record(ignored(scenario, reason));
            return Ok(Completion::ignored_with(reason));
        }
        let outcome = started.engine.run(&started.runtime, scenario);
        let result = match outcome.verdict {
            Verdict::Passed => Ok(Completion::Completed),
            Verdict::Ignored(ref reason) => Ok(Completion::ignored_with(reason)),
            _ => {
                let text = failure_text(&outcome, &self.redactor, self.terminal);
                self.printed(text.clone());
                Err(text.into())
            }
        };
        self.record(outcome);
        result
    }

    /// Trials that the spec marks `ignore:` and libtest will not run still belong in the
    /// report, as skipped with the spec's reason.
    fn record_skipped_by_spec(&self, args: &Arguments, trials: &[Trial]) {
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
            ),
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

    /// Prints the summary, writes the reports, and checks all of it for secrets.
    fn finish(&self) -> Result<(), ExitCode> {
        let outcomes =
            std::mem::take(&mut *self.outcomes.lock().unwrap_or_else(|p| p.into_inner()));
        let facts = self.facts();
        let mut coverage = Coverage::of(&self.suite);
        if matches!(self.config.target, TargetConfig::Live { .. }) {
            coverage.observe(&self.suite, &outcomes);
        }
        let mut summary = format!("{}\n{}", summary(&outcomes, &facts), coverage.table());
        let mut written = Vec::new();
        let ledger = self
            .engine
            .get()
            .and_then(|s| s.as_ref().ok())
            .and_then(|s| s.engine.ledger());
        if let Some(ledger) = ledger {
            written.push(Written::File(ledger.path().to_path_buf()));
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
        print!("{summary}");
        self.printed(summary);
        if let Some(path) = &self.config.junit {
            let limit = self.config.report_body_limit;
            let report = junit::report(&outcomes, &facts, &coverage, &self.redactor, limit);
            let text = report.to_string().map_err(|e| e.to_string());
            if let Err(message) = text.and_then(|text| write_file(path, &text)) {
                eprintln!("error: {message}");
                return Err(ExitCode::FAILURE);
            }
            println!("JUnit report: {}", spec::display_path(path));
            written.push(Written::File(path.clone()));
        }
        if let Some(path) = &self.config.coverage {
            if let Err(message) = write_file(path, &coverage.to_json(&facts)) {
                eprintln!("error: {message}");
                return Err(ExitCode::FAILURE);
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
        let every_secret = outcomes
            .iter()
            .fold(self.redactor.clone(), |all, o| all.merged(&o.secrets));
        let leaks = find_leaks(&every_secret, &written);
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
                if leaks
                    .iter()
                    .any(|l| l.place.starts_with(&path.display().to_string()))
                {
                    let _ = std::fs::remove_file(path);
                    eprintln!(
                        "error: removed {} so that it cannot be published",
                        path.display()
                    );
                }
            }
        }
        Err(ExitCode::from(EXIT_SECRET_LEAK))
    }

    /// Remembers text handed to the terminal, for the leak check.
    fn printed(&self, text: String) {
        self.printed_texts().push(text);
    }

    fn printed_texts(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.printed.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Writes a report file, creating its directory.
fn write_file(path: &Path, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
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
