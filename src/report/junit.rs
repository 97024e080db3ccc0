//! The JUnit XML report: one testcase per scenario, grouped by operation.
//!
//! `classname` is the operation (`contacts.delete`) and `name` the scenario, so CI
//! dashboards group and label them well; `file` and `line` are where the scenario starts
//! (the file relative to the repository), the attributes GitLab and the common JUnit
//! actions read to link a testcase to its source. Failures carry a one-line message and the full
//! rendered text; ignored scenarios are skipped with their reason. Written with
//! `quick-junit`, the nextest project's JUnit crate.
//!
//! Every text in it goes through [`crate::report::render`]: redacted, neutralised (so the file is
//! XML 1.0 whatever a gateway answers) and bounded. One testcase holds at most a headline,
//! a failure text of [`crate::report::render::FAILURE_TEXT_LIMIT`] bytes and [`MAX_RERUNS`] rerun
//! lines.

use std::collections::BTreeMap;

use quick_junit::{
    NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestRerun, TestSuite,
};

use crate::outcome::{Outcome, RunFacts, Verdict};
use crate::report::coverage::Coverage;
use crate::report::files::set_place;
use crate::report::location::{CiPaths, Place};
use crate::report::render::{
    clip, failure_text, headline, reason_text, safe_text, RenderOptions, VALUE_LIMIT,
};
use crate::secrets::redact::Redactor;

/// Retried attempts recorded per testcase (the first ones).
pub const MAX_RERUNS: usize = 20;

/// Builds the report; pure, so its text can be compared with golden files.
pub fn report(
    outcomes: &[Outcome],
    facts: &RunFacts,
    coverage: &Coverage,
    redactor: &Redactor,
    body_limit: usize,
) -> Report {
    let options = RenderOptions {
        body_limit,
        color: false,
    };
    let mut by_operation: BTreeMap<&str, Vec<&Outcome>> = BTreeMap::new();
    for outcome in outcomes {
        by_operation
            .entry(&outcome.operation_id)
            .or_default()
            .push(outcome);
    }
    let paths = CiPaths::here();
    let mut report = Report::new("leadlex-conformance");
    for (operation, mut outcomes) in by_operation {
        outcomes.sort_by(|a, b| a.scenario.cmp(&b.scenario));
        let mut suite = TestSuite::new(safe_text(operation, redactor));
        suite.add_properties([
            Property::new("target", facts.target.as_str()),
            Property::new("host", safe_text(&clip(&facts.host, VALUE_LIMIT), redactor)),
            Property::new("run_id", facts.run_id.as_str()),
            Property::new("harness_version", env!("CARGO_PKG_VERSION")),
        ]);
        if let Some(line) = coverage.summary(operation) {
            // Observed error codes come from the gateway: they pass the redactor too.
            let line = clip(&redactor.redact(&line), 4 * VALUE_LIMIT);
            suite.add_property(Property::new("coverage", safe_text(&line, redactor)));
        }
        if let Some(first) = outcomes.iter().map(|o| o.started).min() {
            suite.set_timestamp(chrono::DateTime::<chrono::Utc>::from(first));
        }
        suite.set_time(outcomes.iter().map(|o| o.duration).sum());
        suite.add_test_cases(
            outcomes
                .into_iter()
                .map(|o| test_case(o, redactor, options, &paths)),
        );
        report.add_test_suite(suite);
    }
    report
}

fn test_case(
    outcome: &Outcome,
    redactor: &Redactor,
    options: RenderOptions,
    paths: &CiPaths,
) -> TestCase {
    let redactor = &redactor.merged(&outcome.secrets);
    let status = match &outcome.verdict {
        Verdict::Passed => TestCaseStatus::success(),
        Verdict::Ignored(reason) => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(reason_text(reason, redactor));
            status
        }
        verdict => {
            let kind = match verdict {
                Verdict::Errored { .. } => NonSuccessKind::Error,
                _ => NonSuccessKind::Failure,
            };
            let mut status = TestCaseStatus::non_success(kind);
            status
                .set_message(headline(verdict, redactor))
                .set_description(failure_text(outcome, redactor, options));
            status
        }
    };
    let mut status = status;
    status.add_reruns(retried_attempts(outcome, redactor));
    let mut case = TestCase::new(safe_text(&outcome.scenario, redactor), status);
    case.set_classname(safe_text(&outcome.operation_id, redactor))
        .set_timestamp(chrono::DateTime::<chrono::Utc>::from(outcome.started))
        .set_time(outcome.duration);
    if let Some(place) = Place::of_span(&outcome.span) {
        set_place(&mut case, &place, paths);
    }
    case
}

/// Each request attempt that was retried, as a JUnit rerun: `flakyFailure`/`flakyError`
/// on a passing testcase, `rerunFailure`/`rerunError` on a failing one.
fn retried_attempts(outcome: &Outcome, redactor: &Redactor) -> Vec<TestRerun> {
    outcome
        .exchanges
        .iter()
        .filter_map(|exchange| {
            let reason = exchange.retried.as_ref()?;
            let kind = match exchange.status {
                Some(_) => NonSuccessKind::Failure,
                None => NonSuccessKind::Error,
            };
            let answer = exchange
                .status
                .map_or_else(|| "no response".to_string(), |s| s.to_string());
            let line = format!(
                "[{}] {} -> {answer}: {}",
                exchange.step,
                clip(&redactor.redact(&exchange.request_line()), VALUE_LIMIT),
                clip(&redactor.redact(reason), VALUE_LIMIT),
            );
            let mut rerun = TestRerun::new(kind);
            rerun
                .set_message(safe_text(&line, redactor))
                .set_time(exchange.elapsed);
            Some(rerun)
        })
        .take(MAX_RERUNS)
        .collect()
}
