//! Publishing a finished run: the summary and coverage matrix on the terminal, the JUnit
//! report and the coverage file written atomically, then everything written read back for
//! secrets. A report in which a secret is found is replaced by an error report naming none.
//!
//! It reads only the run's [`Outcome`]s and [`RunFacts`], and says what went wrong with a
//! [`PublishError`]; the command turns that into an exit code. What it prints goes to the
//! run's [`Console`]: stdout, or stderr when stdout carries a machine-readable format.

use std::path::{Path, PathBuf};

use crate::config::Secret;
use crate::outcome::{Outcome, RunFacts};
use crate::report::annotations;
use crate::report::coverage::Coverage;
use crate::report::files::{self, Problem};
use crate::report::junit;
use crate::report::render::{clip_lines, safe_json, safe_text, summary, VALUE_LIMIT};
use crate::secrets::leak::{find_leaks, Leak, Written};
use crate::secrets::redact::Redactor;
use crate::spec::display_path;

/// Why a run's reports could not be published as they should.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// A report file could not be written.
    #[error("{0}")]
    NotWritten(#[from] files::WriteError),
    /// The JUnit writer failed.
    #[error("cannot serialize the JUnit report: {0}")]
    Junit(String),
    /// A secret was found in what the run wrote; the files holding it were replaced.
    #[error("a secret was found in {}", places(.0))]
    SecretFound(Vec<Leak>),
}

fn places(leaks: &[Leak]) -> String {
    let places: Vec<&str> = leaks.iter().map(|l| l.place.as_str()).collect();
    places.join(", ")
}

/// What a finished run hands to its reporters.
pub struct Publication<'a> {
    pub outcomes: &'a [Outcome],
    pub facts: &'a RunFacts,
    pub coverage: &'a Coverage,
    /// Every secret of the run: the configured keys and what trials captured.
    pub secrets: &'a Redactor,
    /// Lines the summary ends with (records left behind, requests sent), unredacted.
    pub notes: String,
}

/// Where the harness's own text (summary, coverage matrix, where the reports went) is
/// printed: stdout for people, stderr when stdout carries a machine-readable format
/// (libtest's `--format json`, the outcomes as JSON Lines) that it must not break.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Console {
    #[default]
    Stdout,
    Stderr,
}

impl Console {
    /// Prints `text` as is. A stream whose reader has gone (`| head -1`) loses the text
    /// and stops nothing: the run still cleans up and writes its reports.
    pub fn print(self, text: &str) {
        use std::io::Write;
        let _ = match self {
            Console::Stdout => std::io::stdout().lock().write_all(text.as_bytes()),
            Console::Stderr => std::io::stderr().lock().write_all(text.as_bytes()),
        };
    }

    /// Prints `line` and a line break.
    pub fn line(self, line: &str) {
        self.print(&format!("{line}\n"));
    }

    /// Prints the line that pauses workflow commands in GitHub Actions (or resumes them).
    /// On this console alone: it carries everything a gateway may have sent that could
    /// start a line (failure texts, the summary), while the other stream carries either
    /// none of it or JSON, in which no line starts with `::` and `##[` is escaped
    /// ([`crate::sanitize`]). One stream keeps the pause, the text and the resume in
    /// order: the runner reads stdout and stderr each at its own pace, so a resume on one
    /// could be read before paused text still waiting in the other, and a pause on the
    /// other after the resume (pausing the annotations).
    pub fn workflow_line(self, line: &str) {
        self.line(line);
    }

    /// Runs `print` with workflow commands paused by `token` (GitHub Actions; `None`
    /// elsewhere): text it prints that starts like a command (a spec folder named
    /// `::warning::x` in a trial name) is shown, never read.
    pub fn paused<T>(self, token: Option<&str>, print: impl FnOnce() -> T) -> T {
        if let Some(token) = token {
            self.workflow_line(&annotations::stop_commands(token));
        }
        let printed = print();
        if let Some(token) = token {
            self.workflow_line(&annotations::resume_commands(token));
        }
        printed
    }
}

/// Where the reports go, and how much of a body they quote.
pub struct Destinations<'a> {
    pub junit: Option<&'a Path>,
    pub coverage: Option<&'a Path>,
    pub body_limit: usize,
    /// `LEADLEX_SELF_TEST_LEAK`: a key appended to the JUnit report, to prove the leak
    /// check finds it.
    pub planted_key: Option<&'a Secret>,
    /// Where the summary and the report lines are printed.
    pub console: Console,
    /// `GITHUB_ACTIONS=true`: each failure also printed as an `::error` annotation. The
    /// token turns workflow commands back on: the run printed `::stop-commands::<token>`
    /// before any gateway text, so that a body holding `::error …` lines is shown as
    /// text and never read as a command.
    pub annotate: Option<&'a str>,
}

/// Prints the summary and writes the reports; returns what was written, and the text
/// printed (for the leak check).
pub fn publish(
    publication: &Publication<'_>,
    to: &Destinations<'_>,
) -> Result<(Vec<Written>, String), PublishError> {
    let secrets = publication.secrets;
    // The coverage matrix quotes what the gateway sent (error codes): redact it too.
    let table = secrets.redact(&publication.coverage.table());
    let text = format!(
        "{}\n{table}{}",
        summary(publication.outcomes, publication.facts),
        publication.notes
    );
    // Gateway text (observed codes, the host, ids) is made safe to print, like all output.
    let text = clip_lines(&safe_text(&text, secrets), 4 * VALUE_LIMIT);
    to.console.print(&text);
    let text = match to.annotate {
        Some(token) => text + &annotate(publication.outcomes, secrets, to.console, token),
        None => text,
    };
    let mut written = Vec::new();
    if let Some(path) = to.junit {
        let report = junit::report(
            publication.outcomes,
            publication.facts,
            publication.coverage,
            secrets,
            to.body_limit,
        );
        let xml = report
            .to_string()
            .map_err(|e| PublishError::Junit(e.to_string()))?;
        files::write_atomically(path, &xml)?;
        if let Some(key) = to.planted_key {
            plant(key, path);
        }
        to.console
            .line(&format!("JUnit report: {}", display_path(path)));
        written.push(Written::File(path.to_path_buf()));
    }
    if let Some(path) = to.coverage {
        let json = safe_json(&publication.coverage.to_json(publication.facts), secrets);
        files::write_atomically(path, &json)?;
        to.console
            .line(&format!("coverage matrix: {}", display_path(path)));
        written.push(Written::File(path.to_path_buf()));
    }
    Ok((written, text))
}

/// Prints each failed or errored outcome as a GitHub Actions annotation at its scenario's
/// line (the runner reads workflow commands on stdout and stderr alike); returns what it
/// printed, for the leak check.
fn annotate(outcomes: &[Outcome], secrets: &Redactor, console: Console, token: &str) -> String {
    let found = annotations::of_outcomes(outcomes, secrets);
    let paths = crate::report::location::CiPaths::here();
    let text = annotations::lines(&annotations::commands(&found, &paths, secrets));
    // After the summary, on the stream that carries it and the failures.
    console.workflow_line(&annotations::resume_commands(token));
    console.print(&text);
    text
}

/// Reads back what the run wrote: `keys` (every secret) in the reports and the terminal
/// text, `api_keys` (the configured keys only) in the ledger, which keeps real ids. A
/// report holding a secret is replaced by an error report, or removed.
pub fn check_for_leaks(
    written: &[Written],
    secrets: &Redactor,
    ledger: Option<(&Path, &Redactor)>,
    to: &Destinations<'_>,
) -> Result<(), PublishError> {
    let mut leaks = find_leaks(secrets, written);
    if let Some((path, api_keys)) = ledger {
        leaks.extend(find_leaks(api_keys, &[Written::File(path.to_path_buf())]));
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
    let leaking: Vec<&PathBuf> = written
        .iter()
        .filter_map(|w| match w {
            Written::File(path) => Some(path),
            Written::Printed { .. } => None,
        })
        .filter(|path| leaks.iter().any(|l| l.file.as_ref() == Some(*path)))
        .collect();
    for path in leaking {
        replace_leaking(path, to);
    }
    Err(PublishError::SecretFound(leaks))
}

/// Replaces a report in which a secret was found by an error report naming no secret
/// (or removes it, if even that cannot be written).
fn replace_leaking(path: &Path, to: &Destinations<'_>) {
    let shown = display_path(path);
    let problem: Problem = files::secret_found(&shown);
    let written = match to.coverage == Some(path) {
        true => files::write_problems(None, Some(path), "run", None, &[problem]),
        false => files::write_problems(Some(path), None, "run", None, &[problem]),
    };
    match written {
        Ok(()) => {
            eprintln!("error: replaced {shown} by an error report so that it cannot be published")
        }
        Err(_) => {
            let _ = std::fs::remove_file(path);
            eprintln!("error: removed {shown} so that it cannot be published");
        }
    }
}

/// Appends `key` to a written report (`LEADLEX_SELF_TEST_LEAK=1`).
fn plant(key: &Secret, path: &Path) {
    use std::io::Write;
    let file = std::fs::OpenOptions::new().append(true).open(path);
    if let Ok(mut file) = file {
        let _ = writeln!(
            file,
            "<!-- planted by LEADLEX_SELF_TEST_LEAK: {} -->",
            key.expose()
        );
    }
}

/// The records that scenarios may have left behind or did not touch, for a person to
/// check; empty when there are none.
pub fn left_behind(outcomes: &[Outcome], run_id: &str) -> String {
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
