//! The `csv` checks of Export Contacts against the fake gateway: a documented export passes
//! every trial it can run (the 403 needs a key the gateway has not, the 429 is spent only
//! on request), and each deviation (a JSON answer, a wrong header row, no
//! `Content-Disposition`, a broken CSV, a filter ignored) fails the trials that see it,
//! naming the check; every contact created is removed.

use std::collections::BTreeSet;

use leadlex_conformance::{Check, Verdict};

use crate::common::{failed_checks, live_env, run_with, start};
use crate::support::gateway::{ExportAnswer, GatewayConfig};

const EXPORTS: &str = "contacts/export.yaml::exports_a_contact_it_created";
const FIELDS: &str = "contacts/export.yaml::fields_selects_the_columns";

/// `(trial, check)` of every failed check of the export trials against a gateway whose
/// export answers `export`.
fn failures(export: ExportAnswer) -> BTreeSet<(String, String)> {
    let (gateway, config) = start(GatewayConfig {
        export,
        ..GatewayConfig::default()
    });
    let env = live_env(&gateway, &config);
    let outcomes = run_with(&env, "contacts/export.yaml");
    assert_eq!(
        outcomes.len(),
        7,
        "{export:?}: every export scenario is there"
    );
    assert!(
        gateway.contact_ids().is_empty(),
        "{export:?}: cleanup removed every contact"
    );
    let mut found = BTreeSet::new();
    for outcome in outcomes.values() {
        let ran = matches!(outcome.verdict, Verdict::Passed | Verdict::Failed(_));
        let ignored = matches!(outcome.verdict, Verdict::Ignored(_));
        assert!(ran || ignored, "{export:?}: {outcome:?}");
        for (step, check) in failed_checks(outcome) {
            assert_eq!(step, "request", "{export:?}: {}", outcome.trial_name);
            found.insert((outcome.trial_name.clone(), check.to_string()));
        }
    }
    found
}

fn failed(pairs: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    pairs
        .iter()
        .map(|(t, c)| (t.to_string(), c.to_string()))
        .collect()
}

#[test]
fn a_documented_export_passes_and_is_asked_for_as_csv() {
    let (gateway, config) = start(GatewayConfig::default());
    let outcomes = run_with(&live_env(&gateway, &config), EXPORTS);
    assert!(outcomes[EXPORTS].verdict.is_success(), "{outcomes:?}");
    // "Send Accept: text/csv"; the other operations are asked for JSON.
    let accepts: BTreeSet<(String, Option<String>)> = gateway
        .requests()
        .into_iter()
        .map(|r| (format!("{} {}", r.method, r.path), r.accept))
        .filter(|(line, _)| !line.contains("/v1/contacts/") || line.ends_with("/export"))
        .collect();
    let csv = Some("text/csv".to_string());
    let json = Some("application/json".to_string());
    assert_eq!(
        accepts,
        BTreeSet::from([
            ("GET /v1/contacts/export".to_string(), csv),
            ("POST /v1/contacts".to_string(), json),
        ])
    );
    assert_eq!(failures(ExportAnswer::Documented), failed(&[]));
}

#[test]
fn a_json_answer_fails_the_media_type_and_is_not_read_as_csv() {
    let csv_body = Check::Csv("body").to_string();
    let found = failures(ExportAnswer::Json);
    assert_eq!(
        found,
        failed(&[
            (EXPORTS, "Content-Type"),
            (EXPORTS, &csv_body),
            (FIELDS, "Content-Type"),
            (FIELDS, &csv_body),
            (
                "contacts/export.yaml::created_before_leaves_out_newer_contacts",
                "Content-Type"
            ),
            (
                "contacts/export.yaml::created_before_leaves_out_newer_contacts",
                &csv_body
            ),
        ])
    );
}

#[test]
fn a_wrong_header_row_fails_the_columns_and_the_row_it_names() {
    // `fields=id,email` does not ask for full_name: that trial passes.
    let found = failures(ExportAnswer::WrongHeaderRow);
    assert_eq!(
        found,
        failed(&[
            (EXPORTS, "csv columns"),
            (EXPORTS, "csv contains"),
            (
                "contacts/export.yaml::created_before_leaves_out_newer_contacts",
                "csv columns"
            ),
        ])
    );
}

#[test]
fn a_missing_content_disposition_fails_the_attachment() {
    let found = failures(ExportAnswer::NoDisposition);
    assert_eq!(found, failed(&[(EXPORTS, "header Content-Disposition")]));
}

#[test]
fn an_unquoted_tags_cell_is_not_csv() {
    // Only the trial whose contact has two tags (a comma in the cell) sees it.
    let found = failures(ExportAnswer::UnquotedTags);
    assert_eq!(found, failed(&[(EXPORTS, "csv body")]));
}

#[test]
fn an_ignored_filter_fails_the_row_count() {
    let found = failures(ExportAnswer::IgnoresCreatedBefore);
    let trial = "contacts/export.yaml::created_before_leaves_out_newer_contacts";
    assert_eq!(found, failed(&[(trial, "csv rows")]));
}
