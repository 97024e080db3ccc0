//! The glue: command line → specs → plan → libtest trials → reports → exit code.
//!
//! Exit codes: 0 when every trial passed or was ignored, 101 when a trial failed (libtest's
//! own code), 2 when the specs or the settings are broken or nothing was selected (nothing
//! was sent; the JUnit report has one error per problem), 3 when a secret was found in the
//! run's own reports or output (the report is replaced by an error report), 130 when the
//! run was interrupted (after cleaning up).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use libtest_mimic::{Arguments, ColorSetting, Trial};

use crate::config::{Config, ConfigError, TargetConfig};
use crate::outcome::Outcome;
use crate::plan::selection;
use crate::plan::{plan, Planned};
use crate::report::coverage::Coverage;
use crate::report::files::{self, Problem};
use crate::session::{Session, Unfinished};
use crate::spec::{self, SpecError, Suite};

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
            // Warnings do not change the exit code: the specs are sound, but stub runs
            // cannot judge everything they describe.
            let warnings = crate::stub::warnings(&suite);
            for warning in &warnings {
                println!("{warning}");
            }
            let warned = match warnings.len() {
                0 => String::new(),
                1 => ", 1 warning".to_string(),
                n => format!(", {n} warnings"),
            };
            println!(
                "{}: {} operations, {} scenarios; no problems found{warned}.\n",
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
    few_malloc_arenas();
    run(
        Arguments::from_args(),
        &|name| std::env::var(name).ok(),
        root,
    )
}

pub fn run(args: Arguments, lookup: &dyn Fn(&str) -> Option<String>, root: &Path) -> ExitCode {
    let (mut session, planned) = match prepare(lookup, root) {
        Ok(prepared) => prepared,
        Err(broken) => {
            eprintln!("{}", broken.message(lookup));
            return stopped(lookup, root, None, &broken.problems());
        }
    };
    session.terminal.color = match args.color {
        Some(ColorSetting::Always) => true,
        Some(ColorSetting::Never) => false,
        _ => std::io::stdout().is_terminal() && session.config.color_allowed,
    };
    let mut args = args;
    if args.test_threads.is_none() {
        args.test_threads = Some(match session.config.target {
            // A live gateway gets bounded parallelism.
            TargetConfig::Live { .. } => session.config.concurrency,
            // Stub trials mostly wait on the loopback: four per core keep the cores busy.
            TargetConfig::Stub => stub_threads(),
        });
    }
    let session = Arc::new(session);
    let estimates: Vec<Option<(usize, usize, Vec<String>)>> = planned
        .iter()
        .map(|p| {
            let uses = p.scenario.uses.iter().map(|u| u.name.clone()).collect();
            let (expected, at_most) = crate::plan::requests(&p.scenario);
            p.cannot_run.is_none().then_some((expected, at_most, uses))
        })
        .collect();
    let trials: Vec<Trial> = planned.into_iter().map(|p| trial(&session, p)).collect();
    if let TargetConfig::Live { .. } = session.config.target {
        if !args.list {
            let will_run: Vec<&(usize, usize, Vec<String>)> = trials
                .iter()
                .zip(&estimates)
                .filter(|(t, _)| !args.is_filtered_out(t) && !args.is_ignored(t))
                .filter_map(|(_, e)| e.as_ref())
                .collect();
            // A shared record is made once and removed once, whoever uses it.
            let shared: std::collections::BTreeSet<&String> =
                will_run.iter().flat_map(|(_, _, uses)| uses).collect();
            let (count, expected, at_most) = will_run.iter().fold(
                (0, 2 * shared.len(), 2 * shared.len()),
                |(n, e, m), (expected, most, _)| (n + 1, e + expected, m + most),
            );
            let line =
                crate::plan::announcement(count, expected, at_most, session.config.rate_limit);
            eprintln!("{line}");
            session.plan_requests(expected);
        }
    }
    if args.list || args.bench {
        // Listing runs nothing, and the trials are no benchmarks: no reports either way.
        let _listed_only = libtest_mimic::run(&args, trials);
        return ExitCode::SUCCESS;
    }
    let selected = trials.iter().filter(|t| !args.is_filtered_out(t)).count();
    if selected == 0 && !session.config.allow_no_tests {
        let problem = selection::nothing_selected(&selection::Selection::of(&args), trials.len());
        eprintln!("error: {}", problem.detail);
        return stopped(lookup, root, Some(session.run_id()), &[problem]);
    }
    session.record_skipped_by_spec(&args, &trials);
    if let Err(unfinished) = session.start_reports() {
        return exit_code(unfinished);
    }
    stop_on_interrupt(session.interrupted.clone());
    let conclusion = libtest_mimic::run(&args, trials);
    match session.finish() {
        Err(unfinished) => exit_code(unfinished),
        Ok(()) if session.interrupted.load(Ordering::SeqCst) => ExitCode::from(EXIT_INTERRUPTED),
        Ok(()) => conclusion.exit_code(),
    }
}

/// Ends a run that sent nothing: its reports say why, one error per problem; exit code 2.
fn stopped(
    lookup: &dyn Fn(&str) -> Option<String>,
    root: &Path,
    run_id: Option<&str>,
    problems: &[Problem],
) -> ExitCode {
    let (junit, coverage) = Config::report_paths(lookup, root);
    let written = files::write_problems(
        junit.as_deref(),
        coverage.as_deref(),
        "run stopped before any request",
        run_id,
        problems,
    );
    if let Err(message) = written {
        eprintln!("error: {message}");
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

/// The exit code of a run whose reports could not be finished.
fn exit_code(unfinished: Unfinished) -> ExitCode {
    match unfinished {
        Unfinished::ReportNotWritten => ExitCode::FAILURE,
        Unfinished::SecretFound => ExitCode::from(EXIT_SECRET_LEAK),
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

/// Why a run could not start: broken specs or a broken setting.
enum Broken {
    Specs {
        dir: PathBuf,
        errors: Vec<SpecError>,
    },
    Settings(ConfigError),
}

impl Broken {
    /// The whole message for the terminal.
    fn message(&self, lookup: &dyn Fn(&str) -> Option<String>) -> String {
        match self {
            Broken::Specs { dir, errors } => {
                let color = std::io::stderr().is_terminal() && Config::color_allowed(lookup);
                specs_message(dir, errors, color)
            }
            Broken::Settings(error) => format!("error: {error}\nno request was sent."),
        }
    }

    /// One problem per error, for the JUnit report.
    fn problems(&self) -> Vec<Problem> {
        match self {
            Broken::Specs { errors, .. } => errors
                .iter()
                .map(|error| Problem {
                    group: "specs".into(),
                    name: match error.pos {
                        Some(pos) => format!("{}:{}:{}", error.file, pos.line, pos.col),
                        None => error.file.clone(),
                    },
                    message: error.message.clone(),
                    detail: error.render(false),
                })
                .collect(),
            Broken::Settings(error) => vec![Problem {
                group: "settings".into(),
                name: error.variable.clone(),
                message: error.message.clone(),
                detail: format!("{error}\nno request was sent."),
            }],
        }
    }
}

/// Loads the specs and the settings.
fn prepare(
    lookup: &dyn Fn(&str) -> Option<String>,
    root: &Path,
) -> Result<(Session, Vec<Planned>), Broken> {
    let specs_dir = Config::specs_dir(lookup, root);
    let suite = spec::load(&specs_dir).map_err(|errors| Broken::Specs {
        dir: specs_dir.clone(),
        errors,
    })?;
    let key_variables: Vec<&str> = suite.credentials.values().map(|c| c.env.as_str()).collect();
    let config = Config::from_lookup(lookup, root, &key_variables).map_err(Broken::Settings)?;
    if suite.disposable_target {
        config.require_local_target().map_err(Broken::Settings)?;
    }
    let planned = plan(&suite, &config);
    Ok((Session::new(Arc::new(suite), config), planned))
}

/// The specs, or every problem in them rendered for the terminal.
fn load_specs(lookup: &dyn Fn(&str) -> Option<String>, specs_dir: &Path) -> Result<Suite, String> {
    spec::load(specs_dir).map_err(|errors| {
        let color = std::io::stderr().is_terminal() && Config::color_allowed(lookup);
        specs_message(specs_dir, &errors, color)
    })
}

fn specs_message(specs_dir: &Path, errors: &[SpecError], color: bool) -> String {
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
}

fn trial(session: &Arc<Session>, planned: Planned) -> Trial {
    let name = planned.scenario.trial_name.clone();
    let flagged = planned.ignored_by_spec.is_some();
    let session = session.clone();
    Trial::ignorable_test(name, move || session.execute(&planned)).with_ignored_flag(flagged)
}
