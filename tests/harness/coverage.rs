//! The coverage matrix: the shipped specs against a hand-written expectation, and the
//! undocumented responses a live run sees.

use leadlex_conformance::coverage::Coverage;
use leadlex_conformance::spec::load;

use crate::common::{command, live_env, root, start, text};
use crate::support::gateway::GatewayConfig;

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
        ("contacts.create", "201", vec![]),
        ("contacts.create", "401 invalid_key", vec![]),
        ("contacts.create", "429 rate_limited", vec![]),
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
        ("contacts.get", "200", vec!["returns_a_contact_it_created"]),
        (
            "contacts.get",
            "401 invalid_key",
            vec!["invalid_key_is_rejected"],
        ),
        ("contacts.get", "403 insufficient_permissions", vec![]),
        (
            "contacts.get",
            "404 not_found",
            vec!["unknown_id_is_not_found"],
        ),
        ("contacts.get", "429 rate_limited", vec![]),
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
        "3/5 documented pairs covered; untested: 403 insufficient_permissions, 429 rate_limited"
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
