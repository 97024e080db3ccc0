//! `leadlex-conformance`: the conformance suite as a command.
//!
//! - `leadlex-conformance [libtest options]` runs the same trials as
//!   `cargo test --test conformance` (filters, `--list`, `--exact`, `--ignored`, …);
//! - `leadlex-conformance lint` checks the specs without sending anything and prints the
//!   coverage matrix (exit code 0 when clean, 2 when not);
//! - `leadlex-conformance cleanup <run id>` removes what an earlier live run created and
//!   could not remove (listed in its ledger under `reports/created/`).
//!
//! Specs and reports are looked for in the crate directory unless `LEADLEX_SPECS`,
//! `LEADLEX_JUNIT` and `LEADLEX_COVERAGE` say otherwise.

use std::path::Path;
use std::process::ExitCode;

use leadlex_conformance::{cleanup, harness};

fn main() -> ExitCode {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
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
