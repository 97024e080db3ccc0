//! Running the trials: specs and settings → plan → libtest trials → a [`Session`] that
//! publishes the reports → exit code.

use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use libtest_mimic::{Arguments, Trial};

use super::args::{self, RunArgs};
use super::prepare::{annotate, prepare};
use super::streams::{ShieldedStdout, Streams};
use super::{
    outcomes, publish_failure, usage_error, EXIT_BROKEN_INPUT, EXIT_INTERRUPTED, EXIT_RECORDS_LEFT,
};
use crate::config::{self, Config, TargetConfig, REPORTS};
use crate::outcome::Outcome;
use crate::plan::selection::{self, Commands, Front};
use crate::plan::Planned;
use crate::report::files::{self, Problem};
use crate::report::publish::PublishError;
use crate::secrets::redact::Redactor;
use crate::session::{Observer, Session};
use crate::spec;

/// The test binary (`tests/conformance.rs`): runs the suite with the process's arguments
/// (a run's options, as `cargo test` passes them) and settings. `root` is the crate
/// directory, for the default locations of `specs/` and `reports/`.
pub fn main(root: &Path) -> ExitCode {
    let binary = match args::parse_test_binary(std::env::args_os()) {
        Ok(binary) => binary,
        Err(error) => return usage_error(&error),
    };
    let flags = binary.paths.flags();
    let lookup = flags.over(&config::environment);
    run(&binary.run, &lookup, root, Front::TestBinary)
}

/// Runs the trials `args` select, with settings from `lookup` and defaults under `root`;
/// `front` says where the run was started from, for the commands its messages suggest.
pub(super) fn run(
    args: &RunArgs,
    lookup: &dyn Fn(&str) -> Option<String>,
    root: &Path,
    front: Front,
) -> ExitCode {
    few_malloc_arenas();
    // Before anything is printed: `--outcomes json` moves stdout.
    let streams = match Streams::for_run(args, Config::color_allowed(lookup)) {
        Ok(streams) => streams,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(EXIT_BROKEN_INPUT);
        }
    };
    let _shielded = shield_stdout();
    let (mut session, planned) = match prepare(lookup, root) {
        Ok(prepared) => prepared,
        Err(broken) => {
            eprintln!("{}", broken.message(lookup));
            let no_keys_read = Redactor::default();
            return stopped(lookup, root, None, &broken.problems(), &no_keys_read);
        }
    };
    connect(&mut session, streams, front);
    let args = with_threads(&args.libtest, &session.config);
    let session = Arc::new(session);
    let estimates: Vec<Option<Estimate>> = planned.iter().map(estimate).collect();
    let spends_quota: Vec<bool> = planned.iter().map(|p| p.scenario.spends_quota).collect();
    let trials: Vec<Trial> = planned.into_iter().map(|p| trial(&session, p)).collect();
    session.expect_before_quota(before_quota(&args, &trials, &spends_quota));
    if let (TargetConfig::Live { .. }, false) = (&session.config.target, args.list) {
        announce(&session, &args, &trials, &estimates);
    }
    if args.list || args.bench {
        // Listing runs nothing, and the trials are no benchmarks: no reports either way.
        let _listed_only = session.paused(|| libtest_mimic::run(&args, trials));
        return ExitCode::SUCCESS;
    }
    let selected = trials.iter().filter(|t| !args.is_filtered_out(t)).count();
    if selected == 0 && !session.config.allow_no_tests {
        return nothing_selected(&session, &args, trials.len(), lookup, root);
    }
    session.record_skipped_by_spec(&args, &trials);
    if let Err(error) = session.start_reports() {
        return reports_not_writable(&error, lookup, &Redactor::from_config(&session.config));
    }
    stop_on_interrupt(session.interrupted.clone());
    session.pause_workflow_commands();
    let conclusion = libtest_mimic::run(&args, trials);
    finish(&session, &conclusion)
}

/// Publishes the run and chooses its exit code.
fn finish(session: &Session, conclusion: &libtest_mimic::Conclusion) -> ExitCode {
    match session.finish() {
        Err(error) => publish_failure(&error),
        Ok(_) if session.interrupted.load(Ordering::SeqCst) => ExitCode::from(EXIT_INTERRUPTED),
        // Every trial passed, yet something the run created is still there: not a success.
        Ok(finished) if finished.records_left && !conclusion.has_failed() => {
            ExitCode::from(EXIT_RECORDS_LEFT)
        }
        Ok(_) => conclusion.exit_code(),
    }
}

/// Until the run returns, what it prints reaches stdout whatever its reader does (a
/// reader that goes away would otherwise stop the run before it cleans up).
fn shield_stdout() -> Option<ShieldedStdout> {
    ShieldedStdout::install().unwrap_or_else(|error| {
        eprintln!(
            "warning: stdout is not shielded ({error}): a reader that goes away stops the run"
        );
        None
    })
}

/// libtest's options, with the trials run at once chosen for the target when not given: a
/// live gateway gets bounded parallelism; stub trials mostly wait on the loopback, so
/// four per core keep the cores busy.
fn with_threads(args: &libtest_mimic::Arguments, config: &Config) -> libtest_mimic::Arguments {
    let mut args = args.clone();
    if args.test_threads.is_none() {
        args.test_threads = Some(match config.target {
            TargetConfig::Live { .. } => config.concurrency,
            TargetConfig::Stub => stub_threads(),
        });
    }
    args
}

/// How many selected trials do not spend quota: those a quota-spending trial waits for.
fn before_quota(args: &libtest_mimic::Arguments, trials: &[Trial], spends_quota: &[bool]) -> usize {
    trials
        .iter()
        .zip(spends_quota)
        .filter(|(t, spends)| !**spends && !args.is_filtered_out(t) && !args.is_ignored(t))
        .count()
}

/// Points the session at the run's streams: colour, where its own text goes, and the
/// `--outcomes json` lines.
fn connect(session: &mut Session, streams: Streams, front: Front) {
    session.terminal.color = streams.color;
    session.console = streams.console;
    session.front = front;
    session.observer = streams.outcomes.map(|out| {
        let run_id = session.run_id().to_string();
        let observer: Observer = Box::new(move |outcome, secrets| {
            let line = outcomes::line(outcome, &run_id, secrets);
            out.write_line(&line);
            line
        });
        observer
    });
}

/// Ends a run whose filter selects no trial: exit code 2, with a did-you-mean.
fn nothing_selected(
    session: &Session,
    args: &libtest_mimic::Arguments,
    trials: usize,
    lookup: &dyn Fn(&str) -> Option<String>,
    root: &Path,
) -> ExitCode {
    let commands = Commands {
        front: session.front,
        names: args::command_names(),
    };
    let selection = selection::Selection::of(args);
    let problem = selection::nothing_selected(&selection, trials, &commands);
    eprintln!("error: {}", problem.detail);
    let secrets = Redactor::from_config(&session.config);
    stopped(lookup, root, Some(session.run_id()), &[problem], &secrets)
}

/// Ends a run whose placeholder reports cannot be written, before any request: a broken
/// setting (where the reports go), exit code 2; in GitHub Actions also an annotation.
fn reports_not_writable(
    error: &PublishError,
    lookup: &dyn Fn(&str) -> Option<String>,
    secrets: &Redactor,
) -> ExitCode {
    let problem = Problem {
        group: "settings".into(),
        name: REPORTS.into(),
        message: format!("{error}; no request was sent"),
        detail: String::new(),
        place: None,
    };
    eprintln!(
        "error: {error}\nthe reports cannot be written where --reports ({REPORTS}), \
         LEADLEX_JUNIT and LEADLEX_COVERAGE say; no request was sent."
    );
    annotate(lookup, &[problem], secrets);
    ExitCode::from(EXIT_BROKEN_INPUT)
}

/// The requests a scenario is expected to send and at most sends, and the shared records
/// it uses; `None` for one that cannot run.
struct Estimate {
    expected: usize,
    at_most: usize,
    uses: Vec<String>,
}

fn estimate(planned: &Planned) -> Option<Estimate> {
    let uses = planned
        .scenario
        .uses
        .iter()
        .map(|u| u.name.clone())
        .collect();
    let (expected, at_most) = crate::plan::requests(&planned.scenario);
    planned.cannot_run.is_none().then_some(Estimate {
        expected,
        at_most,
        uses,
    })
}

/// Tells a live run's operator how many trials and requests to expect, before any is sent.
fn announce(session: &Session, args: &Arguments, trials: &[Trial], estimates: &[Option<Estimate>]) {
    let will_run: Vec<&Estimate> = trials
        .iter()
        .zip(estimates)
        .filter(|(t, _)| !args.is_filtered_out(t) && !args.is_ignored(t))
        .filter_map(|(_, e)| e.as_ref())
        .collect();
    // A shared record is made once and removed once, whoever uses it.
    let shared: std::collections::BTreeSet<&String> =
        will_run.iter().flat_map(|e| &e.uses).collect();
    let expected = 2 * shared.len() + will_run.iter().map(|e| e.expected).sum::<usize>();
    let at_most = 2 * shared.len() + will_run.iter().map(|e| e.at_most).sum::<usize>();
    let line =
        crate::plan::announcement(will_run.len(), expected, at_most, session.config.rate_limit);
    eprintln!("{line}");
    session.plan_requests(expected);
}

/// Ends a run that sent nothing: its reports say why, one error per problem (and, in
/// GitHub Actions, one annotation each); exit code 2.
fn stopped(
    lookup: &dyn Fn(&str) -> Option<String>,
    root: &Path,
    run_id: Option<&str>,
    problems: &[Problem],
    secrets: &Redactor,
) -> ExitCode {
    annotate(lookup, problems, secrets);
    let (junit, coverage) = Config::report_paths(lookup, root);
    let written = files::write_problems(
        junit.as_deref(),
        coverage.as_deref(),
        "run stopped before any request",
        run_id,
        problems,
    );
    if let Err(error) = written {
        eprintln!("error: {error}");
    }
    if let Some(path) = junit {
        eprintln!(
            "JUnit report (one error per problem): {}",
            spec::display_path(&path)
        );
    }
    ExitCode::from(EXIT_BROKEN_INPUT)
}

/// glibc gives each thread that allocates a heap of its own (up to 8 per core): what the
/// spec loader frees in one is then never reused by the trial threads, and a 10,000
/// scenario stub run peaks at 108 MB instead of 71 to 95 MB with two. `MALLOC_ARENA_MAX`
/// in the environment (glibc's own setting) wins. Called before any thread starts.
fn few_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: a plain setting of the C allocator, made before other threads exist.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

/// Trials at once against the stub: four per core, at most 32.
fn stub_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    (cores * 4).min(32)
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
    let (mut session, planned) = prepare(lookup, root).map_err(|broken| broken.message(lookup))?;
    session.keep_exchanges = true;
    for planned in planned
        .iter()
        .filter(|p| p.scenario.trial_name.contains(filter))
    {
        if let Err(failed) = session.execute(planned) {
            let recorded = session
                .outcomes
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .len();
            if recorded == 0 {
                return Err(failed
                    .message()
                    .unwrap_or("the run could not start")
                    .to_string());
            }
        }
    }
    session.clean_up_shared();
    let outcomes = std::mem::take(&mut *session.outcomes.lock().unwrap_or_else(|p| p.into_inner()));
    Ok(outcomes)
}

fn trial(session: &Arc<Session>, planned: Planned) -> Trial {
    let name = planned.scenario.trial_name.clone();
    let flagged = planned.ignored_by_spec.is_some();
    let session = session.clone();
    Trial::ignorable_test(name, move || session.execute(&planned)).with_ignored_flag(flagged)
}
