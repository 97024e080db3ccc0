//! The coverage matrix: the shipped specs against a hand-written expectation, outcomes
//! rather than declarations, and the undocumented responses a live run sees.

use leadlex_conformance::load;
use leadlex_conformance::Coverage;

use leadlex_conformance::PairState;
use leadlex_conformance::Redactor;
use leadlex_conformance::{Outcome, Verdict};

use crate::common::{behaving, command, junit_in, live_env, root, start, text};
use crate::support::gateway::{Behaviour, GatewayConfig};

#[test]
fn the_shipped_specs_cover_every_delete_contact_pair() {
    let suite = load(&root().join("specs")).unwrap();
    let coverage = Coverage::of(&suite);
    let matrix: Vec<(String, String, Vec<String>)> = coverage
        .operations
        .iter()
        .flat_map(|op| {
            op.pairs
                .iter()
                .map(|p| (op.id.clone(), p.pair.to_string(), p.scenarios.clone()))
        })
        .collect();
    let expected: Vec<(&str, &str, Vec<&str>)> = vec![
        (
            "contacts.activities",
            "200",
            vec!["a_new_contact_has_no_activities"],
        ),
        (
            "contacts.activities",
            "401 invalid_key",
            vec!["invalid_key_is_rejected"],
        ),
        (
            "contacts.activities",
            "403 insufficient_permissions",
            vec!["key_without_activities_read_is_forbidden"],
        ),
        (
            "contacts.activities",
            "404 not_found",
            vec!["a_deleted_contact_is_not_found"],
        ),
        (
            "contacts.activities",
            "429 rate_limited",
            vec!["rate_limit_exceeded"],
        ),
        ("contacts.bulk", "201", vec!["creates_the_contacts_sent"]),
        (
            "contacts.bulk",
            "400 validation_error",
            vec![
                "a_missing_contacts_array_is_a_validation_error",
                "an_invalid_contact_is_a_validation_error",
            ],
        ),
        (
            "contacts.bulk",
            "401 invalid_key",
            vec!["invalid_key_is_rejected"],
        ),
        (
            "contacts.bulk",
            "403 insufficient_permissions",
            vec!["key_without_write_permission_is_forbidden"],
        ),
        (
            "contacts.bulk",
            "429 rate_limited",
            vec!["rate_limit_exceeded"],
        ),
        (
            "contacts.bulk-delete",
            "200",
            vec![
                "a_deleted_contact_counts_as_not_found",
                "deletes_the_contacts_it_created",
                "dry_run_counts_and_changes_nothing",
            ],
        ),
        (
            "contacts.bulk-delete",
            "400 validation_error",
            vec!["missing_contact_ids_is_a_validation_error"],
        ),
        (
            "contacts.bulk-delete",
            "401 invalid_key",
            vec!["invalid_key_is_rejected"],
        ),
        (
            "contacts.bulk-delete",
            "403 insufficient_permissions",
            vec!["key_without_write_permission_is_forbidden"],
        ),
        (
            "contacts.bulk-delete",
            "429 rate_limited",
            vec!["rate_limit_exceeded"],
        ),
        (
            "contacts.create",
            "201",
            vec![
                "first_and_last_name_are_composed",
                "full_name_is_split_on_the_last_whitespace",
                "last_comma_first_is_flipped",
                "the_name_comes_from_the_email",
            ],
        ),
        (
            "contacts.create",
            "400 validation_error",
            vec![
                "created_date_more_than_five_years_back_is_refused",
                "no_name_and_no_email_is_a_validation_error",
            ],
        ),
        (
            "contacts.create",
            "401 invalid_key",
            vec!["invalid_key_is_rejected"],
        ),
        (
            "contacts.create",
            "429 rate_limited",
            vec!["rate_limit_exceeded"],
        ),
        (
            "contacts.create-note",
            "201",
            vec!["creates_a_note_on_the_contact"],
        ),
        (
            "contacts.create-note",
            "400 validation_error",
            vec![
                "a_missing_title_is_a_validation_error",
                "content_over_10000_characters_is_a_validation_error",
            ],
        ),
        (
            "contacts.create-note",
            "401 invalid_key",
            vec!["invalid_key_is_rejected"],
        ),
        (
            "contacts.create-note",
            "403 insufficient_permissions",
            vec!["key_without_contacts_write_is_forbidden"],
        ),
        (
            "contacts.create-note",
            "404 not_found",
            vec!["a_deleted_contact_is_not_found"],
        ),
        (
            "contacts.create-note",
            "429 rate_limited",
            vec!["rate_limit_exceeded"],
        ),
        (
            "contacts.delete",
            "200",
            vec!["deletes_a_contact_it_created"],
        ),
        (
            "contacts.delete",
            "401 invalid_key",
            vec!["invalid_key_is_rejected"],
        ),
        (
            "contacts.delete",
            "403 insufficient_permissions",
            vec!["key_without_delete_permission_is_forbidden"],
        ),
        (
            "contacts.delete",
            "429 rate_limited",
            vec!["rate_limit_exceeded"],
        ),
        (
            "contacts.documents",
            "200",
            vec!["a_new_contact_has_no_documents"],
        ),
        (
            "contacts.documents",
            "401 invalid_key",
            vec!["invalid_key_is_rejected"],
        ),
        (
            "contacts.documents",
            "403 insufficient_permissions",
            vec!["key_without_read_documents_is_forbidden"],
        ),
        (
            "contacts.documents",
            "404 not_found",
            vec!["a_deleted_contact_is_not_found"],
        ),
        (
            "contacts.documents",
            "429 rate_limited",
            vec!["rate_limit_exceeded"],
        ),
        (
            "contacts.export",
            "200",
            vec![
                "created_before_leaves_out_newer_contacts",
                "exports_a_contact_it_created",
                "fields_selects_the_columns",
            ],
        ),
        (
            "contacts.export",
            "400 validation_error",
            vec!["limit_above_50000_is_a_validation_error"],
        ),
        (
            "contacts.export",
            "401 invalid_key",
            vec!["invalid_key_is_rejected"],
        ),
        (
            "contacts.export",
            "403 insufficient_permissions",
            vec!["key_without_read_contacts_is_forbidden"],
        ),
        (
            "contacts.export",
            "429 rate_limited",
            vec!["rate_limit_exceeded"],
        ),
        (
            "contacts.get",
            "200",
            vec![
                "include_adds_the_related_records",
                "returns_a_contact_it_created",
            ],
        ),
        (
            "contacts.get",
            "401 invalid_key",
            vec!["invalid_key_is_rejected"],
        ),
        (
            "contacts.get",
            "403 insufficient_permissions",
            vec!["key_without_read_permission_is_forbidden"],
        ),
        (
            "contacts.get",
            "404 not_found",
            vec!["unknown_id_is_not_found"],
        ),
        (
            "contacts.get",
            "429 rate_limited",
            vec!["rate_limit_exceeded"],
        ),
        (
            "contacts.import",
            "200",
            vec![
                "a_row_matching_a_contact_is_skipped",
                "a_row_without_name_or_email_gets_an_error",
                "csv_columns_are_mapped_and_unknown_ones_ignored",
                "update_existing_updates_the_matched_contact",
            ],
        ),
        (
            "contacts.import",
            "400 validation_error",
            vec!["neither_rows_nor_csv_is_a_validation_error"],
        ),
        (
            "contacts.import",
            "401 invalid_key",
            vec!["invalid_key_is_rejected"],
        ),
        (
            "contacts.import",
            "403 insufficient_permissions",
            vec!["key_without_write_permission_is_forbidden"],
        ),
        (
            "contacts.import",
            "413 payload_too_large",
            vec!["a_body_over_20_mb_is_refused"],
        ),
        (
            "contacts.import",
            "429 rate_limited",
            vec!["rate_limit_exceeded"],
        ),
        (
            "contacts.list",
            "200",
            vec![
                "created_after_leaves_out_older_contacts",
                "per_page_and_page_split_the_matches",
                "search_finds_a_contact_by_part_of_its_name",
                "sorts_by_name_and_creation_both_ways",
            ],
        ),
        (
            "contacts.list",
            "401 invalid_key",
            vec!["invalid_key_is_rejected"],
        ),
        (
            "contacts.list",
            "403 insufficient_permissions",
            vec!["key_without_read_permission_is_forbidden"],
        ),
        (
            "contacts.list",
            "429 rate_limited",
            vec!["rate_limit_exceeded"],
        ),
        (
            "contacts.list-notes",
            "200",
            vec!["a_new_contact_has_no_notes"],
        ),
        (
            "contacts.list-notes",
            "401 invalid_key",
            vec!["invalid_key_is_rejected"],
        ),
        (
            "contacts.list-notes",
            "403 insufficient_permissions",
            vec!["key_without_contacts_read_is_forbidden"],
        ),
        (
            "contacts.list-notes",
            "404 not_found",
            vec!["a_deleted_contact_is_not_found"],
        ),
        (
            "contacts.list-notes",
            "429 rate_limited",
            vec!["rate_limit_exceeded"],
        ),
        (
            "contacts.merge",
            "200",
            vec![
                "dry_run_changes_nothing",
                "merges_a_duplicate_it_created",
                "overwrite_lets_the_duplicate_values_win",
            ],
        ),
        (
            "contacts.merge",
            "400 validation_error",
            vec!["primary_among_the_duplicates_is_a_validation_error"],
        ),
        (
            "contacts.merge",
            "401 invalid_key",
            vec!["invalid_key_is_rejected"],
        ),
        (
            "contacts.merge",
            "403 insufficient_permissions",
            vec!["key_without_write_permission_is_forbidden"],
        ),
        (
            "contacts.merge",
            "404 not_found",
            vec!["a_deleted_duplicate_is_not_found"],
        ),
        (
            "contacts.merge",
            "409 merge_conflict",
            vec!["merging_back_into_a_retired_duplicate_is_a_conflict"],
        ),
        (
            "contacts.merge",
            "429 rate_limited",
            vec!["rate_limit_exceeded"],
        ),
        (
            "contacts.update",
            "200",
            vec![
                "a_new_full_name_follows_the_name_rules",
                "changes_only_the_fields_sent",
            ],
        ),
        (
            "contacts.update",
            "400 validation_error",
            vec!["invalid_field_format_is_a_validation_error"],
        ),
        (
            "contacts.update",
            "401 invalid_key",
            vec!["invalid_key_is_rejected"],
        ),
        (
            "contacts.update",
            "403 insufficient_permissions",
            vec!["key_without_write_permission_is_forbidden"],
        ),
        (
            "contacts.update",
            "404 not_found",
            vec!["a_deleted_contact_is_not_found"],
        ),
        (
            "contacts.update",
            "429 rate_limited",
            vec!["rate_limit_exceeded"],
        ),
    ];
    let expected: Vec<(String, String, Vec<String>)> = expected
        .into_iter()
        .map(|(op, p, s)| {
            (
                op.into(),
                p.into(),
                s.into_iter().map(String::from).collect(),
            )
        })
        .collect();
    assert_eq!(matrix, expected);
    assert!(coverage
        .operations
        .iter()
        .all(|op| op.tested_undocumented.is_empty()));
    assert_eq!(
        coverage.summary("contacts.get").unwrap(),
        "5/5 documented pairs declared, not run"
    );
    assert_eq!(
        coverage.summary("contacts.create-note").unwrap(),
        "6/6 documented pairs declared, not run"
    );
}

#[test]
fn a_live_run_lists_responses_that_no_documented_pair_matches() {
    let (gateway, config) = start(GatewayConfig {
        rate_limit: 10,
        ..GatewayConfig::default()
    });
    let reports = tempfile::tempdir().unwrap();
    let coverage_file = reports.path().join("coverage.json");
    let mut env = live_env(&gateway, &config);
    env.insert("LEADLEX_SPEND_QUOTA".into(), "1".into());
    env.insert(
        "LEADLEX_COVERAGE".into(),
        coverage_file.display().to_string(),
    );
    let output = command(
        &env,
        &["--exact", "contacts/delete.yaml::rate_limit_exceeded"],
    );
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    // The repeated deletes of an already deleted contact answer 404, which the Delete
    // Contact page does not document.
    assert!(
        stdout.contains("404 not_found                    UNDOCUMENTED response seen 8 time(s), in contacts/delete.yaml::rate_limit_exceeded"),
        "{stdout}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&coverage_file).unwrap()).unwrap();
    let delete = json["operations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|op| op["id"] == "contacts.delete")
        .unwrap();
    assert_eq!(delete["observed_undocumented"][0]["status"], 404);
    assert_eq!(delete["observed_undocumented"][0]["code"], "not_found");
    assert_eq!(delete["observed_undocumented"][0]["count"], 8);
    assert_eq!(json["target"], "live");
}

fn outcome(operation: &str, scenario: &str, verdict: Verdict) -> Outcome {
    Outcome {
        trial_name: format!("{}.yaml::{scenario}", operation.replace('.', "/")),
        operation_id: operation.into(),
        scenario: scenario.into(),
        span: Default::default(),
        started: std::time::SystemTime::now(),
        duration: std::time::Duration::ZERO,
        verdict,
        exchanges: Vec::new(),
        secrets: Redactor::default(),
        left_behind: Vec::new(),
    }
}

#[test]
fn a_pair_is_covered_only_by_a_scenario_that_passed_in_this_run() {
    let suite = load(&root().join("specs")).unwrap();
    let mut coverage = Coverage::of(&suite);
    let errored = Verdict::Errored {
        reason: "setup failed".into(),
        mismatches: Vec::new(),
    };
    coverage.record(&[
        outcome(
            "contacts.delete",
            "deletes_a_contact_it_created",
            Verdict::Passed,
        ),
        outcome("contacts.delete", "invalid_key_is_rejected", errored),
        outcome(
            "contacts.delete",
            "key_without_delete_permission_is_forbidden",
            Verdict::Failed(Vec::new()),
        ),
        outcome(
            "contacts.delete",
            "rate_limit_exceeded",
            Verdict::Ignored("spends quota".into()),
        ),
        // contacts.get: only the 404 scenario ran (a filter left the others out).
        outcome("contacts.get", "unknown_id_is_not_found", Verdict::Passed),
    ]);
    let states: Vec<(String, String, PairState)> = coverage
        .operations
        .iter()
        .flat_map(|op| {
            op.pairs
                .iter()
                .map(|p| (op.id.clone(), p.pair.to_string(), p.state))
        })
        .collect();
    let expected = [
        ("contacts.activities", "200", PairState::Untested),
        (
            "contacts.activities",
            "401 invalid_key",
            PairState::Untested,
        ),
        (
            "contacts.activities",
            "403 insufficient_permissions",
            PairState::Untested,
        ),
        ("contacts.activities", "404 not_found", PairState::Untested),
        (
            "contacts.activities",
            "429 rate_limited",
            PairState::Untested,
        ),
        ("contacts.bulk", "201", PairState::Untested),
        ("contacts.bulk", "400 validation_error", PairState::Untested),
        ("contacts.bulk", "401 invalid_key", PairState::Untested),
        (
            "contacts.bulk",
            "403 insufficient_permissions",
            PairState::Untested,
        ),
        ("contacts.bulk", "429 rate_limited", PairState::Untested),
        ("contacts.bulk-delete", "200", PairState::Untested),
        (
            "contacts.bulk-delete",
            "400 validation_error",
            PairState::Untested,
        ),
        (
            "contacts.bulk-delete",
            "401 invalid_key",
            PairState::Untested,
        ),
        (
            "contacts.bulk-delete",
            "403 insufficient_permissions",
            PairState::Untested,
        ),
        (
            "contacts.bulk-delete",
            "429 rate_limited",
            PairState::Untested,
        ),
        ("contacts.create", "201", PairState::Untested),
        (
            "contacts.create",
            "400 validation_error",
            PairState::Untested,
        ),
        ("contacts.create", "401 invalid_key", PairState::Untested),
        ("contacts.create", "429 rate_limited", PairState::Untested),
        ("contacts.create-note", "201", PairState::Untested),
        (
            "contacts.create-note",
            "400 validation_error",
            PairState::Untested,
        ),
        (
            "contacts.create-note",
            "401 invalid_key",
            PairState::Untested,
        ),
        (
            "contacts.create-note",
            "403 insufficient_permissions",
            PairState::Untested,
        ),
        ("contacts.create-note", "404 not_found", PairState::Untested),
        (
            "contacts.create-note",
            "429 rate_limited",
            PairState::Untested,
        ),
        ("contacts.delete", "200", PairState::Covered),
        ("contacts.delete", "401 invalid_key", PairState::Failed),
        (
            "contacts.delete",
            "403 insufficient_permissions",
            PairState::Failed,
        ),
        ("contacts.delete", "429 rate_limited", PairState::Ignored),
        ("contacts.documents", "200", PairState::Untested),
        ("contacts.documents", "401 invalid_key", PairState::Untested),
        (
            "contacts.documents",
            "403 insufficient_permissions",
            PairState::Untested,
        ),
        ("contacts.documents", "404 not_found", PairState::Untested),
        (
            "contacts.documents",
            "429 rate_limited",
            PairState::Untested,
        ),
        ("contacts.export", "200", PairState::Untested),
        (
            "contacts.export",
            "400 validation_error",
            PairState::Untested,
        ),
        ("contacts.export", "401 invalid_key", PairState::Untested),
        (
            "contacts.export",
            "403 insufficient_permissions",
            PairState::Untested,
        ),
        ("contacts.export", "429 rate_limited", PairState::Untested),
        ("contacts.get", "200", PairState::Untested),
        ("contacts.get", "401 invalid_key", PairState::Untested),
        (
            "contacts.get",
            "403 insufficient_permissions",
            PairState::Untested,
        ),
        ("contacts.get", "404 not_found", PairState::Covered),
        ("contacts.get", "429 rate_limited", PairState::Untested),
        ("contacts.import", "200", PairState::Untested),
        (
            "contacts.import",
            "400 validation_error",
            PairState::Untested,
        ),
        ("contacts.import", "401 invalid_key", PairState::Untested),
        (
            "contacts.import",
            "403 insufficient_permissions",
            PairState::Untested,
        ),
        (
            "contacts.import",
            "413 payload_too_large",
            PairState::Untested,
        ),
        ("contacts.import", "429 rate_limited", PairState::Untested),
        ("contacts.list", "200", PairState::Untested),
        ("contacts.list", "401 invalid_key", PairState::Untested),
        (
            "contacts.list",
            "403 insufficient_permissions",
            PairState::Untested,
        ),
        ("contacts.list", "429 rate_limited", PairState::Untested),
        ("contacts.list-notes", "200", PairState::Untested),
        (
            "contacts.list-notes",
            "401 invalid_key",
            PairState::Untested,
        ),
        (
            "contacts.list-notes",
            "403 insufficient_permissions",
            PairState::Untested,
        ),
        ("contacts.list-notes", "404 not_found", PairState::Untested),
        (
            "contacts.list-notes",
            "429 rate_limited",
            PairState::Untested,
        ),
        ("contacts.merge", "200", PairState::Untested),
        (
            "contacts.merge",
            "400 validation_error",
            PairState::Untested,
        ),
        ("contacts.merge", "401 invalid_key", PairState::Untested),
        (
            "contacts.merge",
            "403 insufficient_permissions",
            PairState::Untested,
        ),
        ("contacts.merge", "404 not_found", PairState::Untested),
        ("contacts.merge", "409 merge_conflict", PairState::Untested),
        ("contacts.merge", "429 rate_limited", PairState::Untested),
        ("contacts.update", "200", PairState::Untested),
        (
            "contacts.update",
            "400 validation_error",
            PairState::Untested,
        ),
        ("contacts.update", "401 invalid_key", PairState::Untested),
        (
            "contacts.update",
            "403 insufficient_permissions",
            PairState::Untested,
        ),
        ("contacts.update", "404 not_found", PairState::Untested),
        ("contacts.update", "429 rate_limited", PairState::Untested),
    ]
    .map(|(op, pair, state)| (op.to_string(), pair.to_string(), state));
    assert_eq!(states, expected);
    let get = coverage
        .operations
        .iter()
        .find(|op| op.id == "contacts.get")
        .unwrap();
    assert_eq!(
        get.pairs[0].not_run,
        vec![
            "include_adds_the_related_records",
            "returns_a_contact_it_created"
        ]
    );
    assert_eq!(
        coverage.summary("contacts.delete").unwrap(),
        "1/4 documented pairs covered; failed: 401 invalid_key (invalid_key_is_rejected), \
         403 insufficient_permissions (key_without_delete_permission_is_forbidden); \
         ignored: 429 rate_limited (rate_limit_exceeded)"
    );
}

/// A run against a gateway that breaks the 403 promise: the terminal matrix, the JSON
/// file and the JUnit property all say the pair failed, the quota scenario's pair was
/// ignored, and only pairs whose scenario passed are covered.
#[test]
fn terminal_json_and_junit_report_outcomes_not_declarations() {
    let (gateway, config) = start(behaving(Behaviour::WrongErrorCode));
    let reports = tempfile::tempdir().unwrap();
    let coverage_file = reports.path().join("coverage.json");
    let junit = junit_in(&reports);
    let mut env = live_env(&gateway, &config);
    env.insert(
        "LEADLEX_COVERAGE".into(),
        coverage_file.display().to_string(),
    );
    env.insert("LEADLEX_JUNIT".into(), junit.display().to_string());
    let output = command(&env, &[]);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(101), "{stdout}");
    for line in [
        "    200                              covered   passed: deletes_a_contact_it_created\n",
        "    403 insufficient_permissions     FAILED    failed: key_without_delete_permission_is_forbidden\n",
        "    429 rate_limited                 ignored   ignored: rate_limit_exceeded\n",
        "    201                              ignored   ignored: creates_a_note_on_the_contact  [residue: ",
    ] {
        assert!(stdout.contains(line), "{line} in {stdout}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&coverage_file).unwrap()).unwrap();
    let delete = json["operations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|op| op["id"] == "contacts.delete")
        .unwrap();
    let pair = |status: u64| {
        delete["pairs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["status"] == status)
            .unwrap()
            .clone()
    };
    assert_eq!(pair(200)["state"], "covered");
    assert_eq!(pair(403)["state"], "failed");
    assert_eq!(
        pair(403)["failed"],
        serde_json::json!(["key_without_delete_permission_is_forbidden"])
    );
    assert_eq!(pair(429)["state"], "ignored");
    assert_eq!(json["ran"], true);
    assert_eq!(json["finished"], true);
    let report = junit_parser::from_reader(std::io::Cursor::new(
        std::fs::read_to_string(&junit).unwrap(),
    ))
    .unwrap();
    let suite = report
        .suites
        .iter()
        .find(|s| s.name == "contacts.delete")
        .unwrap();
    let property = suite
        .properties
        .vec
        .iter()
        .find(|(k, _)| k == "coverage")
        .map(|(_, v)| v.as_str());
    assert_eq!(
        property,
        Some(
            "2/4 documented pairs covered; failed: 403 insufficient_permissions \
             (key_without_delete_permission_is_forbidden); ignored: 429 rate_limited \
             (rate_limit_exceeded); undocumented responses seen: 403 forbidden ×1"
        )
    );
}
