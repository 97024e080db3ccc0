//! The commands: running the trials ([`harness`]), `lint` ([`lint`]) and `cleanup`
//! ([`cleanup`]). Only this layer turns results into exit codes.
//!
//! Exit codes: 0 when every trial passed or was ignored, 101 when a trial failed (libtest's
//! own code), 2 when the specs or the settings are broken or nothing was selected (nothing
//! was sent; the JUnit report has one error per problem), 3 when a secret was found in the
//! run's own reports or output (the report is replaced by an error report), 130 when the
//! run was interrupted (after cleaning up).

pub mod cleanup;
pub mod export;
pub mod harness;
pub mod lint;
mod prepare;
pub mod serve;

use std::path::Path;
use std::process::ExitCode;

use crate::report::publish::PublishError;

/// The exit code of a run that could not start: broken specs or settings.
pub const EXIT_BROKEN_INPUT: u8 = 2;
/// The exit code of a run stopped by Ctrl-C or SIGTERM (after cleaning up).
pub const EXIT_INTERRUPTED: u8 = 130;
/// The exit code of a run that found a secret in its own reports or output.
pub const EXIT_SECRET_LEAK: u8 = 3;

/// The command named by the first argument, with specs and reports under `root`.
pub fn command_line(root: &Path) -> ExitCode {
    match std::env::args().nth(1).as_deref() {
        Some("lint") => {
            quiet_on_closed_pipe();
            lint::lint(&|name| std::env::var(name).ok(), root)
        }
        Some("export") => export::export(
            &|name| std::env::var(name).ok(),
            root,
            &std::env::args().skip(2).collect::<Vec<_>>(),
        ),
        Some("serve") => serve::serve(
            &|name| std::env::var(name).ok(),
            root,
            &std::env::args().skip(2).collect::<Vec<_>>(),
        ),
        Some("cleanup") => {
            let run_id = std::env::args().nth(2).unwrap_or_default();
            cleanup::cleanup(&|name| std::env::var(name).ok(), root, &run_id)
        }
        _ => harness::main(root),
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
