//! The commands: running the trials and `lint` ([`harness`]), and `cleanup` ([`cleanup`]).
//! Only this layer turns results into exit codes.

pub mod cleanup;
pub mod harness;

use std::path::Path;
use std::process::ExitCode;

/// The command named by the first argument, with specs and reports under `root`.
pub fn command_line(root: &Path) -> ExitCode {
    match std::env::args().nth(1).as_deref() {
        Some("lint") => {
            quiet_on_closed_pipe();
            harness::lint(&|name| std::env::var(name).ok(), root)
        }
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
