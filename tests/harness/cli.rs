//! The command line: the stub run, `--list`, filters, broken specs and their exit code.

use std::collections::BTreeMap;

use crate::common::{
    command, copy_specs, junit_in, shipped, shipped_operations, shipped_scenarios, text,
};

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn the_stub_run_passes_and_writes_one_testcase_per_scenario() {
    let reports = tempfile::tempdir().unwrap();
    let junit = junit_in(&reports);
    let output = command(&env(&[("LEADLEX_JUNIT", junit.to_str().unwrap())]), &[]);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", text(&output.stderr));
    assert!(
        stdout.contains(&format!(
            "{} passed; 0 failed; 0 ignored",
            shipped_scenarios()
        )),
        "{stdout}"
    );
    let report = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(report.matches("<testcase ").count(), shipped_scenarios());
    assert!(report
        .contains(r#"<testcase name="deletes_a_contact_it_created" classname="contacts.delete""#));
}

#[test]
fn list_names_every_trial_and_does_nothing_else() {
    let reports = tempfile::tempdir().unwrap();
    let junit = junit_in(&reports);
    let output = command(
        &env(&[("LEADLEX_JUNIT", junit.to_str().unwrap())]),
        &["--list"],
    );
    let stdout = text(&output.stdout);
    assert!(output.status.success());
    for name in [
        "contacts/delete.yaml::deletes_a_contact_it_created: test",
        "contacts/delete.yaml::invalid_key_is_rejected: test",
        "contacts/delete.yaml::key_without_delete_permission_is_forbidden: test",
        "contacts/delete.yaml::rate_limit_exceeded: test",
    ] {
        assert!(stdout.contains(name), "{name} in {stdout}");
    }
    assert!(!junit.exists(), "--list writes no report");
}

#[test]
fn filters_skip_and_exact_select_trials() {
    let off = env(&[("LEADLEX_JUNIT", "off")]);
    let output = command(&off, &["contacts/delete.yaml", "--skip", "rate_limit"]);
    assert!(text(&output.stdout).contains(&format!(
        "{} passed; 0 failed; 0 ignored; 0 measured; {} filtered out",
        shipped().matching("contacts/delete.yaml", &["rate_limit"]),
        shipped_scenarios() - shipped().matching("contacts/delete.yaml", &["rate_limit"])
    )));
    let output = command(
        &off,
        &["--exact", "contacts/get.yaml::unknown_id_is_not_found"],
    );
    assert!(text(&output.stdout).contains(&format!(
        "1 passed; 0 failed; 0 ignored; 0 measured; {} filtered out",
        shipped_scenarios() - 1
    )));
}

#[test]
fn a_broken_spec_stops_the_run_before_any_request_with_exit_code_2() {
    let specs = tempfile::tempdir().unwrap();
    copy_specs(specs.path());
    let delete = specs.path().join("contacts/delete.yaml");
    let text_before = std::fs::read_to_string(&delete).unwrap();
    std::fs::write(
        &delete,
        text_before.replacen(
            "    expect:\n      status: 200",
            "    expect:\n      statuss: 200",
            1,
        ),
    )
    .unwrap();
    let line = text_before
        .lines()
        .position(|l| l == "      status: 200")
        .unwrap()
        + 1;
    let output = command(
        &env(&[
            ("LEADLEX_SPECS", specs.path().to_str().unwrap()),
            ("LEADLEX_JUNIT", "off"),
        ]),
        &[],
    );
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("contacts/delete.yaml:{line}:")),
        "file and line: {stderr}"
    );
    assert!(stderr.contains("unknown key `statuss`"), "{stderr}");
    assert!(stderr.contains("did you mean `status`?"), "{stderr}");
    assert!(stderr.contains("no request was sent"), "{stderr}");
    assert!(text(&output.stdout).is_empty(), "no trial ran");
}

#[test]
fn a_bad_setting_names_the_variable_and_exits_with_2() {
    let output = command(&env(&[("LEADLEX_TIMEOUT_SECS", "soon")]), &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("LEADLEX_TIMEOUT_SECS: `soon` is not a number of seconds")
    );
}

#[test]
fn lint_checks_the_specs_without_a_network_and_prints_the_coverage_matrix() {
    let output = command(&env(&[]), &["lint"]);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", text(&output.stderr));
    assert!(
        stdout.contains(&format!(
            "{} operations, {} scenarios; no problems found.",
            shipped_operations(),
            shipped_scenarios()
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "403 insufficient_permissions     declared, not run: key_without_delete_permission_is_forbidden"
        ),
        "{stdout}"
    );

    let specs = tempfile::tempdir().unwrap();
    copy_specs(specs.path());
    let get = specs.path().join("contacts/get.yaml");
    let original = std::fs::read_to_string(&get).unwrap();
    std::fs::write(
        &get,
        original.replace("credential: invalid", "credential: invalidd"),
    )
    .unwrap();
    let output = command(
        &env(&[("LEADLEX_SPECS", specs.path().to_str().unwrap())]),
        &["lint"],
    );
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("error: unknown credential `invalidd`"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "help: known credentials: full, no_contacts_delete, no_scoped_reads, read_only, write_only, invalid, none"
        ),
        "{stderr}"
    );
}

#[test]
fn colour_reaches_the_terminal_only_when_asked_and_never_the_report() {
    let specs = tempfile::tempdir().unwrap();
    copy_specs(specs.path());
    let delete = specs.path().join("contacts/delete.yaml");
    let original = std::fs::read_to_string(&delete).unwrap();
    // The stub answers with the documented example: make it a wrong one.
    let wrong = original.replace(
        "error: { code: insufficient_permissions, message: Missing contacts:delete permission }",
        "error: { code: forbidden, message: Missing contacts:delete permission }",
    );
    std::fs::write(&delete, wrong).unwrap();
    let reports = tempfile::tempdir().unwrap();
    let junit = junit_in(&reports);
    let vars = env(&[
        ("LEADLEX_SPECS", specs.path().to_str().unwrap()),
        ("LEADLEX_JUNIT", junit.to_str().unwrap()),
    ]);
    let trial = "contacts/delete.yaml::key_without_delete_permission_is_forbidden";
    let coloured = command(&vars, &["--exact", trial, "--color", "always"]);
    assert_eq!(coloured.status.code(), Some(101));
    assert!(text(&coloured.stdout)
        .contains("\x1b[1merror.code: expected insufficient_permissions, got forbidden"));
    let report = std::fs::read_to_string(&junit).unwrap();
    assert!(
        !report.contains('\x1b') && report.contains("got forbidden"),
        "{report}"
    );
    let plain = command(&vars, &["--exact", trial]);
    assert!(
        !text(&plain.stdout).contains('\x1b'),
        "not a terminal: no colour"
    );
}
