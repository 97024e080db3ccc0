//! Report files that cannot pass for a run they do not describe.
//!
//! Every report is written atomically: to a temporary file in the same directory, then
//! renamed over the old one, so a reader sees the old file or the new one, never half of
//! one. When a run starts, the previous reports are replaced by placeholders that read as
//! a failure (a JUnit report with one `<error>` testcase saying the run started and did not
//! finish; a coverage file marked unfinished), so a run that is killed leaves nothing a CI
//! step could take for green. A run stopped before any request (broken specs or settings,
//! nothing selected) writes one `<error>` testcase per problem, and a report in which a
//! secret was found is replaced by an error report that says so.

use std::path::Path;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use serde_json::json;

use crate::report::location::{CiPaths, Place};

/// The JUnit report's name, as in the final report.
const REPORT_NAME: &str = "leadlex-conformance";

/// One reason a run produced no verdicts, as one `<error>` testcase.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The testcase's `classname`: `specs`, `settings`, `selection`, `run`, `report`.
    pub group: String,
    /// The testcase's `name`: where the problem is (`specs/contacts/get.yaml:12:7`, a
    /// variable, the filter).
    pub name: String,
    /// One line: the `<error message=…>`.
    pub message: String,
    /// The full text, as the terminal showed it.
    pub detail: String,
    /// The spec file (and line) the problem is in, when it is in one: the testcase's
    /// `file` and `line`, and where a CI annotation points.
    pub place: Option<Place>,
}

/// A report file that could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("cannot create {}: {source}", .dir.display())]
    Directory {
        dir: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", .path.display())]
    File {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

/// Writes `text` to `path` through a temporary file in the same directory and a rename,
/// creating the directory if needed.
pub fn write_atomically(path: &Path, text: &str) -> Result<(), WriteError> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir).map_err(|source| WriteError::Directory {
            dir: dir.to_path_buf(),
            source,
        })?;
    }
    let name = path
        .file_name()
        .map_or_else(|| "report".into(), |n| n.to_string_lossy().into_owned());
    let temporary = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let written = std::fs::write(&temporary, text)
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|source| WriteError::File {
            path: path.to_path_buf(),
            source,
        });
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

/// A JUnit report with one `<error>` testcase per problem, in one testsuite; a problem in
/// a spec file carries its `file` (relative to the repository) and `line`.
pub fn problems_junit(suite: &str, problems: &[Problem]) -> String {
    let paths = CiPaths::here();
    let mut testsuite = TestSuite::new(suite);
    testsuite.add_test_cases(problems.iter().map(|problem| {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
        status
            .set_message(problem.message.as_str())
            .set_description(problem.detail.as_str());
        let mut case = TestCase::new(problem.name.as_str(), status);
        case.set_classname(problem.group.as_str());
        if let Some(place) = &problem.place {
            set_place(&mut case, place, &paths);
        }
        case
    }));
    let mut report = Report::new(REPORT_NAME);
    report.add_test_suite(testsuite);
    report
        .to_string()
        .unwrap_or_else(|_| fallback_junit(problems.len()))
}

/// The `file` and `line` attributes that GitLab and the common JUnit actions read: the
/// file relative to the repository, the line when known. Spec file names come from the
/// file system: they are made safe for XML like every other text.
pub fn set_place(case: &mut TestCase, place: &Place, paths: &CiPaths) {
    let file = crate::sanitize::neutralise(&paths.path(&place.file));
    case.extra.insert("file".into(), file.into());
    if let Some(pos) = place.pos {
        case.extra
            .insert("line".into(), pos.line.to_string().into());
    }
}

/// A coverage file that says why there is no matrix.
pub fn unfinished_coverage(run_id: Option<&str>, reason: &str) -> String {
    let document = json!({
        "finished": false,
        "ran": false,
        "run_id": run_id,
        "reason": reason,
        "operations": [],
    });
    serde_json::to_string_pretty(&document).unwrap_or_default()
}

/// The placeholder problem of a run under way: what its reports say until it ends.
pub fn in_progress(run_id: &str, started: chrono::DateTime<chrono::Utc>) -> Problem {
    let started = started.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let message = format!("run {run_id} started at {started} and did not finish");
    Problem {
        group: "run".into(),
        name: format!("run {run_id}"),
        detail: format!(
            "{message}.\nThis report is written when a run starts and replaced when it ends; \
             if it is still here, the run was killed, crashed or is still going, and its \
             results are unknown."
        ),
        message,
        place: None,
    }
}

/// The problem that replaces a report in which a secret was found. It names no secret.
pub fn secret_found(report: &str) -> Problem {
    let message = format!(
        "a secret was found in {report}; the report was replaced so that it cannot be published"
    );
    Problem {
        group: "report".into(),
        name: report.to_string(),
        detail: format!(
            "{message}.\nThe run's terminal output names which variable's value leaked; \
             the run failed with exit code 3."
        ),
        message,
        place: None,
    }
}

/// Writes the placeholders for `problems` to the configured report paths: the JUnit
/// report with one error each, the coverage file marked unfinished.
pub fn write_problems(
    junit: Option<&Path>,
    coverage: Option<&Path>,
    suite: &str,
    run_id: Option<&str>,
    problems: &[Problem],
) -> Result<(), WriteError> {
    if let Some(path) = junit {
        write_atomically(path, &problems_junit(suite, problems))?;
    }
    if let Some(path) = coverage {
        let reason = problems
            .iter()
            .map(|p| p.message.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        write_atomically(path, &unfinished_coverage(run_id, &reason))?;
    }
    Ok(())
}

/// Hand-written, should the JUnit writer ever fail: still an error, never a pass.
fn fallback_junit(errors: usize) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"{REPORT_NAME}\" \
         tests=\"1\" failures=\"0\" errors=\"1\">\n<testsuite name=\"run\" tests=\"1\" \
         failures=\"0\" errors=\"1\">\n<testcase name=\"report\" classname=\"run\"><error \
         message=\"the report of {errors} problem(s) could not be written\"/></testcase>\n\
         </testsuite>\n</testsuites>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_replace_the_file_and_leave_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("reports/junit.xml");
        write_atomically(&path, "old").unwrap();
        write_atomically(&path, "new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names, vec!["junit.xml"]);
    }

    #[test]
    fn the_in_progress_report_is_an_error() {
        let started = chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap();
        let text = problems_junit("run", &[in_progress("R1", started)]);
        assert!(text.contains("errors=\"1\""), "{text}");
        assert!(
            text.contains(
                "<error message=\"run R1 started at 2026-11-18T11:06:40Z and did not finish\""
            ),
            "{text}"
        );
    }
}
