//! API keys never leak: not through a gateway that echoes them, not into any report.

use crate::common::{behaving, command, junit_in, live_env, start, text};
use crate::support::gateway::Behaviour;

#[test]
fn a_gateway_echoing_the_key_cannot_make_it_appear_anywhere() {
    let (gateway, config) = start(behaving(Behaviour::EchoKey));
    let reports = tempfile::tempdir().unwrap();
    let junit = junit_in(&reports);
    let coverage = reports.path().join("reports/coverage.json");
    let mut env = live_env(&gateway, &config);
    env.insert("LEADLEX_JUNIT".into(), junit.display().to_string());
    env.insert("LEADLEX_COVERAGE".into(), coverage.display().to_string());
    env.insert("LEADLEX_SPEND_QUOTA".into(), "0".into());

    let output = command(&env, &["--test-threads", "1"]);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    let report = std::fs::read_to_string(&junit).expect("the report is kept: it holds no key");
    let matrix = std::fs::read_to_string(&coverage).expect("the coverage file is kept too");

    // The failure is still reported, with its evidence, only without the keys.
    assert_eq!(output.status.code(), Some(101), "{stdout}{stderr}");
    for expected in [
        "error.code: expected insufficient_permissions, got echoed-${LEADLEX_API_KEY_NO_DELETE}",
        "Bearer ${LEADLEX_API_KEY_NO_DELETE} may not delete",
        "\"authorization\": \"[redacted]\"",
        "x-echoed-authorization: Bearer ${LEADLEX_API_KEY_NO_DELETE}",
        "-H \"Authorization: Bearer $LEADLEX_API_KEY_NO_DELETE\"",
        // The undocumented code, key and all, is listed by the coverage matrix, redacted.
        "403 echoed-${LEADLEX_API_KEY_NO_DELETE}",
    ] {
        assert!(stdout.contains(expected), "{expected} in:\n{stdout}");
    }
    assert!(
        report.contains("got echoed-${LEADLEX_API_KEY_NO_DELETE}"),
        "{report}"
    );
    assert!(
        matrix.contains("echoed-${LEADLEX_API_KEY_NO_DELETE}"),
        "{matrix}"
    );
    for key in [&config.full_key, &config.no_delete_key] {
        for (sink, text) in [
            ("stdout", &stdout),
            ("stderr", &stderr),
            ("JUnit", &report),
            ("coverage.json", &matrix),
        ] {
            assert!(!text.contains(key.as_str()), "key in {sink}:\n{text}");
        }
    }
    // The gateway really did echo the key: the redaction above had something to do.
    assert!(gateway
        .requests()
        .iter()
        .any(|r| r.authorization.as_deref() == Some(&format!("Bearer {}", config.no_delete_key))));
}

#[test]
fn a_captured_value_marked_secret_is_hidden_like_a_key() {
    let specs = tempfile::tempdir().unwrap();
    crate::common::copy_specs(specs.path());
    let delete = specs.path().join("contacts/delete.yaml");
    let original = std::fs::read_to_string(&delete).unwrap();
    // The first scenario keeps the id it captures secret, and is made to fail so that its
    // exchanges are shown.
    let changed = original
        .replacen(
            "capture: { contact_id: /data/id }",
            "capture: { contact_id: { pointer: /data/id, secret: true } }",
            1,
        )
        .replacen("/data/deleted: true", "/data/deleted: false", 1);
    std::fs::write(&delete, changed).unwrap();
    let reports = tempfile::tempdir().unwrap();
    let junit = junit_in(&reports);
    let env = [
        (
            "LEADLEX_SPECS".to_string(),
            specs.path().display().to_string(),
        ),
        ("LEADLEX_JUNIT".to_string(), junit.display().to_string()),
    ]
    .into();
    let output = command(
        &env,
        &[
            "--exact",
            "contacts/delete.yaml::deletes_a_contact_it_created",
        ],
    );
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(101), "{stdout}");
    let report = std::fs::read_to_string(&junit).unwrap();
    for sink in [&stdout, &report] {
        assert!(sink.contains("/v1/contacts/[secret:contact_id]"), "{sink}");
        assert!(sink.contains("equals /data/deleted"), "{sink}");
        let uuid_like = sink
            .split(|c: char| !(c.is_ascii_hexdigit() || c == '-'))
            .any(|w| w.len() == 36 && uuid::Uuid::parse_str(w).is_ok());
        assert!(!uuid_like, "no captured id is shown: {sink}");
    }
}

#[test]
fn the_leak_check_fails_a_run_whose_report_holds_a_key_and_replaces_the_report() {
    let reports = tempfile::tempdir().unwrap();
    let junit = junit_in(&reports);
    let key = "wbk_planted_key_0123456789abcdef";
    let env = [
        ("LEADLEX_API_KEY".to_string(), key.to_string()),
        ("LEADLEX_JUNIT".to_string(), junit.display().to_string()),
        ("LEADLEX_SELF_TEST_LEAK".to_string(), "1".to_string()),
    ]
    .into();
    let output = command(
        &env,
        &["--exact", "contacts/get.yaml::unknown_id_is_not_found"],
    );
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(3), "{stdout}{stderr}");
    assert!(
        stderr.contains("SECRET LEAK: the value of ${LEADLEX_API_KEY} appears in")
            && stderr.contains("junit.xml"),
        "{stderr}"
    );
    assert!(
        stderr.contains("so that it cannot be published"),
        "{stderr}"
    );
    let report = std::fs::read_to_string(&junit).expect("an error report replaces it");
    assert!(!report.contains(key), "{report}");
    let parsed = junit_parser::from_reader(std::io::Cursor::new(&report)).unwrap();
    assert_eq!((parsed.tests, parsed.errors), (1, 1), "{report}");
    assert!(
        report.contains("a secret was found in") && !report.contains("<testcase name=\"unknown_id"),
        "{report}"
    );
    assert!(!stdout.contains(key) && !stderr.contains(key));

    // Without the planted key the same run passes: the check has no false alarm.
    let mut clean = env.clone();
    clean.remove("LEADLEX_SELF_TEST_LEAK");
    let output = command(
        &clean,
        &["--exact", "contacts/get.yaml::unknown_id_is_not_found"],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(junit.exists());
}
