//! Which stream gets what, so that a machine-readable stdout stays parseable.
//!
//! - By default, libtest's lines, the summary, the coverage matrix and where the reports
//!   went are on stdout; errors and announcements on stderr.
//! - With libtest's `--format json`, stdout holds libtest's JSON events alone (failure text
//!   inside them); the harness's own text goes to stderr.
//! - With `--outcomes json`, stdout holds one JSON object per finished scenario alone.
//!   Everything else, libtest's own lines included, goes to stderr: stdout (file
//!   descriptor 1) is pointed at stderr for the whole run, and the outcomes are written to
//!   a copy of the original stdout, so that nothing printed anywhere can break them.

use std::fs::File;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use libtest_mimic::ColorSetting;

use super::args::{OutcomesFormat, RunArgs};
use crate::report::publish::Console;

/// The streams of one run.
pub(super) struct Streams {
    /// Where the harness's own text goes.
    pub console: Console,
    /// The original stdout, for `--outcomes json`.
    pub outcomes: Option<MachineOut>,
    /// Colour failure text: `--color always`, or a terminal on stdout when stdout is text.
    pub color: bool,
}

impl Streams {
    /// The streams `args` ask for. With `--outcomes json` this moves stdout (see the module
    /// documentation); call it before anything is printed.
    pub fn for_run(args: &RunArgs, color_allowed: bool) -> std::io::Result<Streams> {
        let outcomes = match args.outcomes {
            Some(OutcomesFormat::Json) => Some(MachineOut::take_stdout()?),
            None => None,
        };
        let machine = outcomes.is_some() || args.libtest_json();
        let color = match args.libtest.color {
            Some(ColorSetting::Always) => true,
            Some(ColorSetting::Never) => false,
            // Once stdout is moved, `stdout()` is stderr: its terminal decides.
            _ => !args.libtest_json() && std::io::stdout().is_terminal() && color_allowed,
        };
        Ok(Streams {
            console: match machine {
                true => Console::Stderr,
                false => Console::Stdout,
            },
            outcomes,
            color,
        })
    }
}

/// The process's original stdout, written one whole line at a time.
pub(super) struct MachineOut(Mutex<File>);

impl MachineOut {
    /// Keeps a copy of stdout and points stdout at stderr.
    #[cfg(unix)]
    fn take_stdout() -> std::io::Result<MachineOut> {
        use std::os::fd::FromRawFd;
        std::io::stdout().flush()?;
        // SAFETY: plain descriptor calls on the process's own standard streams; the copy
        // is a new descriptor that only the returned `File` owns.
        unsafe {
            let copy = libc::dup(libc::STDOUT_FILENO);
            if copy < 0 {
                return Err(std::io::Error::last_os_error());
            }
            let original = File::from_raw_fd(copy);
            if libc::dup2(libc::STDERR_FILENO, libc::STDOUT_FILENO) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(MachineOut(Mutex::new(original)))
        }
    }

    #[cfg(not(unix))]
    fn take_stdout() -> std::io::Result<MachineOut> {
        Err(std::io::Error::other(
            "--outcomes json needs a Unix system, where stdout can be kept for the outcomes alone",
        ))
    }

    /// Writes `line` and a line break in one piece. A reader that went away loses the line
    /// and stops nothing: the run still cleans up and writes its reports.
    pub fn write_line(&self, line: &str) {
        let mut out = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let _ = out.write_all(format!("{line}\n").as_bytes());
    }
}
