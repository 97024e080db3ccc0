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
//! - Whatever file descriptor 1 then is, when it is not a terminal it is shielded
//!   ([`ShieldedStdout`]): a reader that goes away (`leadlex-conformance | head -1`, a `jq`
//!   that stops at an error) must not stop the run before it cleans up. libtest's printer
//!   panics on a write error, which left the shared records on the gateway and the reports
//!   unwritten.

use std::fs::File;
use std::io::{IsTerminal, Read, Write};
use std::sync::Mutex;
use std::thread::JoinHandle;

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

/// File descriptor 1 behind a pipe of the run's own, drained by a thread into what it was:
/// writes to stdout never fail, and once the real stdout refuses them (its reader has gone)
/// the rest is read and dropped. Dropping it puts the real stdout back and waits until
/// everything written has been passed on.
pub(super) struct ShieldedStdout {
    /// A copy of what file descriptor 1 was.
    original: File,
    drain: Option<JoinHandle<()>>,
}

impl ShieldedStdout {
    /// Shields file descriptor 1 unless it is a terminal (which does not go away while the
    /// run needs it); `None` when it is not shielded.
    #[cfg(unix)]
    pub fn install() -> std::io::Result<Option<ShieldedStdout>> {
        use std::os::fd::FromRawFd;
        if std::io::stdout().is_terminal() {
            return Ok(None);
        }
        std::io::stdout().flush()?;
        let last_error = || Err(std::io::Error::last_os_error());
        // SAFETY: plain descriptor calls; every new descriptor is owned by one `File`, and
        // file descriptor 1 keeps the pipe's writing end alone.
        unsafe {
            let original = libc::dup(libc::STDOUT_FILENO);
            if original < 0 {
                return last_error();
            }
            let original = File::from_raw_fd(original);
            let mut ends = [0; 2];
            if libc::pipe(ends.as_mut_ptr()) < 0 {
                return last_error();
            }
            let (reading, writing) = (File::from_raw_fd(ends[0]), ends[1]);
            libc::fcntl(ends[0], libc::F_SETFD, libc::FD_CLOEXEC);
            if libc::dup2(writing, libc::STDOUT_FILENO) < 0 {
                libc::close(writing);
                return last_error();
            }
            libc::close(writing);
            let to = original.try_clone()?;
            let drain = std::thread::Builder::new()
                .name("stdout".into())
                .spawn(move || pass_on(reading, to))?;
            Ok(Some(ShieldedStdout {
                original,
                drain: Some(drain),
            }))
        }
    }

    #[cfg(not(unix))]
    pub fn install() -> std::io::Result<Option<ShieldedStdout>> {
        Ok(None)
    }
}

impl Drop for ShieldedStdout {
    fn drop(&mut self) {
        let _ = std::io::stdout().flush();
        #[cfg(unix)]
        {
            use std::os::fd::AsRawFd;
            // SAFETY: file descriptor 1 becomes the real stdout again, which closes the
            // pipe's writing end: the drain reads to its end and stops.
            unsafe {
                libc::dup2(self.original.as_raw_fd(), libc::STDOUT_FILENO);
            }
        }
        if let Some(drain) = self.drain.take() {
            let _ = drain.join();
        }
    }
}

/// Copies `from` to `to` until `from` ends; after `to` refuses a write, reads on and drops
/// what comes, so that the writers never block or fail.
fn pass_on(mut from: File, mut to: File) {
    let mut buffer = [0u8; 8192];
    let mut open = true;
    loop {
        match from.read(&mut buffer) {
            Ok(0) => return,
            Ok(n) => open = open && to.write_all(&buffer[..n]).is_ok(),
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}
