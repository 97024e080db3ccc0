//! The JUnit report: golden text for a run with passing, failing, errored and ignored
//! scenarios (fixed timestamps), read back by an independent JUnit parser.
//!
//! To accept a deliberate change of the report's text, run the test with
//! `LEADLEX_BLESS=1` and review the diff of `tests/golden/junit.xml`.

use std::time::{Duration, SystemTime};

use leadlex_conformance::junit_report as report;
use leadlex_conformance::Coverage;
use leadlex_conformance::Redactor;
use leadlex_conformance::RunFacts;
use leadlex_conformance::{Check, ExchangeSummary, Mismatch, Outcome, Verdict};
use leadlex_conformance::{Pos, Span};

use crate::common::root;

const KEY: &str = "wbk_golden_secret_key_0123456789";

fn span(line: usize) -> Span {
    Span {
        file: "specs/contacts/delete.yaml".into(),
        pos: Pos { line, col: 5 },
    }
}

fn outcome(
    scenario: &str,
    seconds: u64,
    verdict: Verdict,
    exchanges: Vec<ExchangeSummary>,
) -> Outcome {
    Outcome {
        trial_name: format!("contacts/delete.yaml::{scenario}"),
        operation_id: "contacts.delete".into(),
        scenario: scenario.into(),
        span: span(40),
        started: SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_000_000 + seconds),
        duration: Duration::from_millis(250 * (seconds + 1)),
        verdict,
        exchanges,
        secrets: Redactor::default(),
        left_behind: Vec::new(),
    }
}

fn forbidden_exchange() -> ExchangeSummary {
    ExchangeSummary {
        step: "request".into(),
        operation: "contacts.delete".into(),
        method: "DELETE".into(),
        url: "https://gateway.example/v1/contacts/123e4567-e89b-12d3-a456-426614174000".into(),
        request_headers: vec![
            ("Accept".into(), "application/json".into()),
            (
                "Authorization".into(),
                "Bearer $LEADLEX_API_KEY_NO_DELETE".into(),
            ),
        ],
        request_body: None,
        status: Some(401),
        response_headers: vec![
            ("content-type".into(), "application/json".into()),
            ("x-ratelimit-remaining".into(), "99".into()),
        ],
        // A gateway that puts the key in its message: the report must not repeat it.
        body: format!(r#"{{"error":{{"code":"invalid_key","message":"Invalid key {KEY}"}}}}"#)
            .into_bytes(),
        elapsed: Duration::from_millis(12),
        error: None,
        retried: None,
    }
}

/// A run with one scenario of each kind.
fn outcomes() -> Vec<Outcome> {
    let status = Mismatch {
        step: "request".into(),
        check: Check::Status,
        expected: "403 insufficient_permissions".into(),
        actual: "401 invalid_key".into(),
        pointer: None,
        schema_path: None,
        span: span(102),
    };
    let transport = Mismatch {
        step: "setup[0]".into(),
        check: Check::Transport,
        expected: "a complete HTTP response".into(),
        actual:
            "no complete response within 30.0 s (raise LEADLEX_TIMEOUT_SECS if the gateway is slow)"
                .into(),
        pointer: None,
        schema_path: None,
        span: span(44),
    };
    vec![
        outcome(
            "deletes_a_contact_it_created",
            0,
            Verdict::Passed,
            vec![
                ExchangeSummary {
                    status: Some(429),
                    retried: Some("429 from the gateway; retried after the pause it asked for".into()),
                    ..forbidden_exchange()
                },
                ExchangeSummary {
                    status: Some(200),
                    ..forbidden_exchange()
                },
            ],
        ),
        outcome(
            "key_without_delete_permission_is_forbidden",
            1,
            Verdict::Failed(vec![status]),
            vec![forbidden_exchange()],
        ),
        outcome(
            "invalid_key_is_rejected",
            2,
            Verdict::Errored {
                reason: "setup[0] (contacts.create) did not succeed, so the scenario could not be judged".into(),
                mismatches: vec![transport],
            },
            Vec::new(),
        ),
        outcome(
            "rate_limit_exceeded",
            3,
            Verdict::Ignored("spends the workspace's rate-limit quota; set LEADLEX_SPEND_QUOTA=1 to run it live".into()),
            Vec::new(),
        ),
    ]
}

fn facts() -> RunFacts {
    RunFacts {
        run_id: "20261129T000000Z-golden".into(),
        target: "live".into(),
        host: "gateway.example".into(),
    }
}

fn report_text() -> String {
    let mut redactor = Redactor::default();
    redactor.add(KEY, "${LEADLEX_API_KEY_NO_DELETE}");
    let suite = leadlex_conformance::load(&root().join("specs")).unwrap();
    let mut coverage = Coverage::of(&suite);
    coverage.record(&outcomes());
    let text = report(&outcomes(), &facts(), &coverage, &redactor, 4000)
        .to_string()
        .unwrap();
    text.replace(env!("CARGO_PKG_VERSION"), "VERSION")
}

#[test]
fn the_report_matches_its_golden_file() {
    let golden = root().join("tests/golden/junit.xml");
    let actual = report_text();
    if std::env::var_os("LEADLEX_BLESS").is_some() {
        std::fs::write(&golden, &actual).unwrap();
    }
    let expected = std::fs::read_to_string(&golden).unwrap_or_default();
    if actual != expected {
        let diff = similar::TextDiff::from_lines(&expected, &actual)
            .unified_diff()
            .header("tests/golden/junit.xml", "actual")
            .to_string();
        panic!("the JUnit report changed (LEADLEX_BLESS=1 accepts it):\n{diff}");
    }
    assert!(!actual.contains(KEY), "no key in the report");
}

#[test]
fn an_independent_parser_reads_the_same_counts_and_messages() {
    let parsed = junit_parser::from_reader(std::io::Cursor::new(report_text())).unwrap();
    assert_eq!(
        (parsed.tests, parsed.failures, parsed.errors, parsed.skipped),
        (4, 1, 1, 1)
    );
    let suite = &parsed.suites[0];
    assert_eq!(suite.name, "contacts.delete");
    let properties: Vec<(&str, &str)> = suite
        .properties
        .vec
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert!(properties.contains(&("target", "live")));
    assert!(properties.contains(&("host", "gateway.example")));
    assert!(properties.contains(&("run_id", "20261129T000000Z-golden")));
    let case = |name: &str| {
        suite
            .cases
            .iter()
            .find(|c| c.original_name == name)
            .unwrap()
    };
    let flaky = case("deletes_a_contact_it_created");
    assert!(flaky.status.is_success());
    assert_eq!(flaky.reruns.len(), 1, "the retried attempt is a flaky run");
    assert!(
        flaky.reruns[0]
            .message
            .contains("-> 429: 429 from the gateway; retried"),
        "{}",
        flaky.reruns[0].message
    );
    let failed = case("key_without_delete_permission_is_forbidden");
    assert_eq!(failed.classname.as_deref(), Some("contacts.delete"));
    let failure = failed.status.failure_as_ref();
    assert_eq!(
        failure.message,
        "status: expected 403 insufficient_permissions, got 401 invalid_key"
    );
    assert!(failure.text.contains("curl -X DELETE"), "{}", failure.text);
    assert!(
        failure
            .text
            .contains("Invalid key ${LEADLEX_API_KEY_NO_DELETE}"),
        "{}",
        failure.text
    );
    let errored = case("invalid_key_is_rejected").status.error_as_ref();
    assert!(errored
        .message
        .starts_with("setup[0] (contacts.create) did not succeed"));
    let skipped = case("rate_limit_exceeded").status.skipped_as_ref();
    assert!(skipped.message.contains("LEADLEX_SPEND_QUOTA=1"));
    assert!(
        (failed.time - 0.5).abs() < 1e-9,
        "durations are real: {}",
        failed.time
    );
}
