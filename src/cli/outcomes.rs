//! `--outcomes json`: one JSON object per finished scenario, as JSON Lines
//! (<https://jsonlines.org>), for tools that read results as they come.
//!
//! ```json
//! {"type":"scenario","run_id":"20261129T064939Z-950aed","name":"contacts/get.yaml::unknown_id_is_not_found",
//!  "scenario":"unknown_id_is_not_found","operation":"contacts.get","location":"specs/contacts/get.yaml:40",
//!  "verdict":"failed","reason":null,"message":"status: expected 404, got 200","duration_secs":0.004,
//!  "mismatches":[{"step":"request","check":"status","expected":"404","actual":"200","pointer":null,
//!  "schema_path":null,"location":"specs/contacts/get.yaml:44"}]}
//! ```
//!
//! (one line each; wrapped here). `verdict` is `passed`, `failed` (the gateway answered, not
//! as documented), `errored` (the scenario could not be judged; `reason` says why) or
//! `ignored` (`reason` says why and how to run it). Every line passes [`safe_json`] before
//! it is written: each string redacted, made inert and cut to its limit, as in every other
//! output.

use serde::Serialize;

use crate::outcome::{Mismatch, Outcome, Verdict};
use crate::report::render::{headline, safe_json};
use crate::secrets::redact::Redactor;
use crate::source::Span;

/// One line, its fields in the order shown.
#[derive(Serialize)]
struct Line<'a> {
    r#type: &'static str,
    run_id: &'a str,
    name: &'a str,
    scenario: &'a str,
    operation: &'a str,
    location: String,
    verdict: &'static str,
    reason: Option<&'a str>,
    message: Option<String>,
    duration_secs: f64,
    mismatches: Vec<MismatchLine<'a>>,
}

#[derive(Serialize)]
struct MismatchLine<'a> {
    step: &'a str,
    check: String,
    expected: &'a str,
    actual: &'a str,
    pointer: Option<&'a str>,
    schema_path: Option<&'a str>,
    location: String,
}

/// The line of one outcome, without its line break.
pub(super) fn line(outcome: &Outcome, run_id: &str, secrets: &Redactor) -> String {
    let (verdict, reason, mismatches): (&str, Option<&str>, &[Mismatch]) = match &outcome.verdict {
        Verdict::Passed => ("passed", None, &[]),
        Verdict::Failed(found) => ("failed", None, found),
        Verdict::Errored { reason, mismatches } => ("errored", Some(reason), mismatches),
        Verdict::Ignored(reason) => ("ignored", Some(reason), &[]),
    };
    let line = Line {
        r#type: "scenario",
        run_id,
        name: &outcome.trial_name,
        scenario: &outcome.scenario,
        operation: &outcome.operation_id,
        location: location(&outcome.span),
        verdict,
        reason,
        message: matches!(outcome.verdict, Verdict::Failed(_))
            .then(|| headline(&outcome.verdict, secrets)),
        duration_secs: outcome.duration.as_secs_f64(),
        mismatches: mismatches.iter().map(mismatch).collect(),
    };
    // Serializing plain strings and numbers cannot fail; an empty object would still parse.
    let json = serde_json::to_string(&line).unwrap_or_else(|_| "{}".into());
    safe_json(&json, secrets)
}

fn mismatch(m: &Mismatch) -> MismatchLine<'_> {
    MismatchLine {
        step: &m.step,
        check: m.check.to_string(),
        expected: &m.expected,
        actual: &m.actual,
        pointer: m.pointer.as_deref(),
        schema_path: m.schema_path.as_deref(),
        location: location(&m.span),
    }
}

/// `specs/contacts/get.yaml:40`: what editors and CI annotations open.
fn location(span: &Span) -> String {
    format!("{}:{}", span.file, span.pos.line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, Secret};
    use crate::outcome::Check;
    use crate::source::Pos;
    use serde_json::Value;
    use std::time::{Duration, SystemTime};

    fn span(line: usize) -> Span {
        Span {
            file: "specs/contacts/get.yaml".into(),
            pos: Pos { line, col: 5 },
        }
    }

    fn outcome(verdict: Verdict) -> Outcome {
        Outcome {
            trial_name: "contacts/get.yaml::unknown_id_is_not_found".into(),
            operation_id: "contacts.get".into(),
            scenario: "unknown_id_is_not_found".into(),
            span: span(40),
            started: SystemTime::now(),
            duration: Duration::from_millis(4),
            verdict,
            exchanges: Vec::new(),
            secrets: Redactor::default(),
            left_behind: Vec::new(),
        }
    }

    #[test]
    fn a_failure_is_one_line_of_json_with_each_mismatch() {
        let found = Mismatch::new(
            "request",
            Check::Equals("/data/id".into()),
            "1",
            "2",
            span(44),
        )
        .at("/data/id");
        let shown = line(
            &outcome(Verdict::Failed(vec![found])),
            "run",
            &Redactor::default(),
        );
        assert!(!shown.contains('\n'), "{shown}");
        let value: Value = serde_json::from_str(&shown).unwrap();
        assert_eq!(value["verdict"], "failed");
        assert_eq!(value["location"], "specs/contacts/get.yaml:40");
        assert_eq!(value["duration_secs"], 0.004);
        let mismatch = &value["mismatches"][0];
        assert_eq!(mismatch["check"], "equals /data/id");
        assert_eq!(mismatch["pointer"], "/data/id");
        assert_eq!(mismatch["location"], "specs/contacts/get.yaml:44");
        assert_eq!(
            (mismatch["expected"].as_str(), mismatch["actual"].as_str()),
            (Some("1"), Some("2"))
        );
    }

    #[test]
    fn keys_and_control_characters_never_reach_the_line() {
        let config = Config::from_lookup(
            &|name| (name == "LEADLEX_API_KEY").then(|| "wbk_secret_key_123".to_string()),
            std::path::Path::new("/"),
            &["LEADLEX_API_KEY"],
        )
        .unwrap();
        assert_eq!(
            config.keys["LEADLEX_API_KEY"],
            Secret::new("wbk_secret_key_123")
        );
        let redactor = Redactor::from_config(&config);
        let reason = "gateway said wbk_secret_key_123 \u{1b}[2J\nbye".to_string();
        let shown = line(&outcome(Verdict::Ignored(reason)), "run", &redactor);
        assert!(!shown.contains("wbk_secret_key_123"), "{shown}");
        assert!(
            !shown.contains('\u{1b}') && !shown.contains('\n'),
            "{shown}"
        );
        let value: Value = serde_json::from_str(&shown).unwrap();
        assert_eq!(value["verdict"], "ignored");
        assert!(value["reason"]
            .as_str()
            .unwrap()
            .contains("${LEADLEX_API_KEY}"));
    }
}
