//! The commands: the command line ([`args`]), running the trials ([`harness`]), `lint`
//! ([`lint`]), `cleanup` ([`cleanup`]), `serve` ([`serve`]) and `export` ([`export`]).
//! Only this layer turns results into exit codes.
//!
//! Flags that stand for settings (`--specs`, `--reports`) reach [`crate::config`] as a
//! lookup layered over the environment ([`crate::config::Flags::over`]): config stays the
//! one reader of settings, and a flag wins over its variable.
//!
//! Exit codes: 0 when every trial passed or was ignored, 101 when a trial failed (libtest's
//! own code), 2 when the specs or the settings are broken (reports that cannot be written
//! among them) or nothing was selected (nothing was sent; the JUnit report, when it can be
//! written, has one error per problem), 1 when the reports could not be written at the end, 3 when a secret was found in the
//! run's own reports or output (the report is replaced by an error report), 130 when the
//! run was interrupted (after cleaning up). A command line clap cannot read is exit code 2
//! too, with clap's message (and its "did you mean"); `--help` and `--version` are 0.

pub mod args;
pub mod cleanup;
pub mod export;
pub mod harness;
pub mod lint;
mod outcomes;
mod prepare;
pub mod serve;
mod streams;

use std::path::PathBuf;
use std::process::ExitCode;

use crate::config;
use crate::plan::selection::Front;
use crate::report::publish::PublishError;
use args::Command;

/// The exit code of a run that could not start: broken specs or settings.
pub const EXIT_BROKEN_INPUT: u8 = 2;
/// The exit code of a run stopped by Ctrl-C or SIGTERM (after cleaning up).
pub const EXIT_INTERRUPTED: u8 = 130;
/// The exit code of a run that found a secret in its own reports or output.
pub const EXIT_SECRET_LEAK: u8 = 3;
/// The exit code of a run whose trials all passed but which could not remove a record it
/// created (a shared one: a trial's own fails that trial): libtest's code for a failure.
pub const EXIT_RECORDS_LEFT: u8 = 101;

/// The command the process's arguments name (running the scenarios when they name none),
/// with its flags over the environment, and `specs/` and `reports/` in the current
/// directory unless those say otherwise.
pub fn command_line() -> ExitCode {
    let cli = match args::parse(std::env::args_os()) {
        Ok(cli) => cli,
        Err(error) => return usage_error(&error),
    };
    // A current directory that is gone leaves relative paths, which then fail to read.
    let root = std::env::current_dir().unwrap_or_else(|_| PathBuf::new());
    let flags = cli.paths.flags();
    let lookup = flags.over(&config::environment);
    match cli.command.unwrap_or(Command::Test(cli.run)) {
        Command::Test(run) => harness::run(&run, &lookup, &root, Front::Command),
        Command::Lint => {
            quiet_on_closed_pipe();
            lint::lint(&lookup, &root)
        }
        Command::Cleanup(cleanup) => cleanup::cleanup(&lookup, &root, &cleanup.run_id),
        Command::Serve(serve) => serve::serve(&lookup, &root, &serve),
        Command::Export(export) => export::export(&lookup, &root, &export),
    }
}

/// Prints clap's message (help and version on stdout, errors on stderr) and returns its
/// exit code: 0 for `--help` and `--version`, 2 for a command line it cannot read.
fn usage_error(error: &clap::Error) -> ExitCode {
    let _ = error.print();
    match error.exit_code() {
        0 => ExitCode::SUCCESS,
        _ => ExitCode::from(EXIT_BROKEN_INPUT),
    }
}

/// `lint | head` ends quietly when the reader goes away, as command-line tools do, instead
/// of panicking on the closed pipe. Only for `lint`, which sends nothing: a run keeps the
/// default so that it always gets to clean up.
fn quiet_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: restores the default action of one signal before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// The exit code of a run whose reports could not be published, its reason printed.
fn publish_failure(error: &PublishError) -> ExitCode {
    match error {
        // Each leak was printed where it was found, without the secret.
        PublishError::SecretFound(_) => ExitCode::from(EXIT_SECRET_LEAK),
        PublishError::NotWritten(_) | PublishError::Junit(_) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
