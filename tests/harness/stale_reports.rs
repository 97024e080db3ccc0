//! No report can pass for a run it does not describe: a killed run leaves a placeholder
//! that reads as a failure, a run stopped before any request writes one error per
//! problem, and a selection of zero trials is a failure unless asked for.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::common::{behaving, command, copy_specs, live_env, spawn, start, text, wait};
use crate::support::gateway::Behaviour;

const GREEN_JUNIT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="leadlex-conformance" tests="1" skipped="0" failures="0" errors="0">
    <testsuite name="contacts.delete" tests="1" skipped="0" errors="0" failures="0">
        <testcase name="deletes_a_contact_it_created" classname="contacts.delete"/>
    </testsuite>
</testsuites>
"#;

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The JUnit report at `path`, read by an independent parser.
fn parsed(path: &std::path::Path) -> junit_parser::TestSuites {
    let text = std::fs::read_to_string(path).unwrap();
    junit_parser::from_reader(std::io::Cursor::new(text)).unwrap()
}

/// Every testcase of a report as (classname, name, error message), errors only.
fn errors(report: &junit_parser::TestSuites) -> Vec<(String, String, String)> {
    report
        .suites
        .iter()
        .flat_map(|s| &s.cases)
        .map(|c| {
            assert!(c.status.is_error(), "{c:?} is an error");
            (
                c.classname.clone().unwrap_or_default(),
                c.original_name.clone(),
                c.status.error_as_ref().message.clone(),
            )
        })
        .collect()
}

#[test]
fn a_run_killed_with_sigkill_leaves_a_report_that_reads_as_a_failure() {
    let (gateway, config) = start(behaving(Behaviour::Stall));
    let reports = tempfile::tempdir().unwrap();
    let junit = reports.path().join("junit.xml");
    let coverage = reports.path().join("coverage.json");
    // A green report from an earlier run, which must not survive this one.
    std::fs::write(&junit, GREEN_JUNIT).unwrap();
    std::fs::write(&coverage, r#"{"finished": true, "operations": []}"#).unwrap();
    let mut vars = live_env(&gateway, &config);
    vars.insert("LEADLEX_JUNIT".into(), junit.display().to_string());
    vars.insert("LEADLEX_COVERAGE".into(), coverage.display().to_string());
    vars.insert("LEADLEX_TIMEOUT_SECS".into(), "60".into());
    vars.insert(
        "LEADLEX_LEDGER_DIR".into(),
        reports.path().join("created").display().to_string(),
    );
    let mut child = spawn(
        &vars,
        &["--exact", "contacts/get.yaml::invalid_key_is_rejected"],
    );
    let started = Instant::now();
    while gateway.requests().is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the run reached the gateway"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("SIGKILL reaches the run");
    let output = wait(&mut child, Duration::from_secs(10));
    assert!(!output.status.success());

    let report = parsed(&junit);
    assert_eq!(
        (report.tests, report.failures, report.errors),
        (1, 0, 1),
        "one error, nothing that passed"
    );
    let found = errors(&report);
    let (classname, name, message) = &found[0];
    assert_eq!(classname, "run");
    assert!(name.starts_with("run "), "{name}");
    let run_id = name.trim_start_matches("run ");
    assert!(
        message.starts_with(&format!("run {run_id} started at "))
            && message.ends_with(" and did not finish"),
        "{message}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&coverage).unwrap()).unwrap();
    assert_eq!(json["finished"], false);
    assert_eq!(json["run_id"], run_id);
    let leftovers: Vec<String> = std::fs::read_dir(reports.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_finished_run_replaces_the_placeholder_with_its_report() {
    let reports = tempfile::tempdir().unwrap();
    let junit = reports.path().join("junit.xml");
    let output = command(
        &env(&[("LEADLEX_JUNIT", junit.to_str().unwrap())]),
        &["--exact", "contacts/get.yaml::unknown_id_is_not_found"],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let report = parsed(&junit);
    assert_eq!((report.tests, report.errors, report.failures), (1, 0, 0));
}

#[test]
fn broken_specs_write_one_error_testcase_per_problem_with_exit_code_2() {
    let specs = tempfile::tempdir().unwrap();
    copy_specs(specs.path());
    let delete = specs.path().join("contacts/delete.yaml");
    let original = std::fs::read_to_string(&delete).unwrap();
    std::fs::write(
        &delete,
        original.replacen(
            "    expect:\n      status: 200",
            "    expect:\n      statuss: 200",
            1,
        ),
    )
    .unwrap();
    let get = specs.path().join("contacts/get.yaml");
    let original = std::fs::read_to_string(&get).unwrap();
    std::fs::write(
        &get,
        original.replacen("      code: not_found\n", "      kode: not_found\n", 1),
    )
    .unwrap();
    let reports = tempfile::tempdir().unwrap();
    let junit = reports.path().join("junit.xml");
    std::fs::write(&junit, GREEN_JUNIT).unwrap();
    let output = command(
        &env(&[
            ("LEADLEX_SPECS", specs.path().to_str().unwrap()),
            ("LEADLEX_JUNIT", junit.to_str().unwrap()),
        ]),
        &[],
    );
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let found = errors(&parsed(&junit));
    let shown = |file: &str| specs.path().join(file).display().to_string();
    let at = |found: &(String, String, String), file: &str| {
        let (classname, name, _) = found;
        classname == "specs" && name.starts_with(&format!("{}:", shown(file)))
    };
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(at(&found[0], "contacts/delete.yaml"), "{found:?}");
    assert_eq!(found[0].2, "unknown key `statuss`");
    assert!(at(&found[1], "contacts/get.yaml"), "{found:?}");
    assert_eq!(found[1].2, "unknown key `kode`");
    // The names give the line, as the terminal does.
    let line = found[0].1.rsplit(':').nth(1).unwrap();
    assert!(
        stderr.contains(&format!("contacts/delete.yaml:{line}:")),
        "{stderr}"
    );
}

#[test]
fn a_broken_setting_writes_an_error_testcase_naming_the_variable() {
    let reports = tempfile::tempdir().unwrap();
    let junit = reports.path().join("junit.xml");
    let output = command(
        &env(&[
            ("LEADLEX_TIMEOUT_SECS", "soon"),
            ("LEADLEX_JUNIT", junit.to_str().unwrap()),
        ]),
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        errors(&parsed(&junit)),
        vec![(
            "settings".to_string(),
            "LEADLEX_TIMEOUT_SECS".to_string(),
            "`soon` is not a number of seconds between 0 and 3600".to_string()
        )]
    );
}

#[test]
fn a_filter_matching_nothing_fails_and_names_the_filter_or_the_command_meant() {
    let reports = tempfile::tempdir().unwrap();
    let junit = reports.path().join("junit.xml");
    let vars = env(&[("LEADLEX_JUNIT", junit.to_str().unwrap())]);
    let output = command(&vars, &["lnit"]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    // The count of the shipped scenarios stands as `{scenarios}` in the golden file: it
    // must be the loader's, or the text differs.
    let listed = format!(
        "names the {} scenario(s)",
        crate::common::shipped_scenarios()
    );
    crate::golden::compare(
        "tests/golden/nothing-selected.txt",
        &stderr
            .replace(&junit.display().to_string(), "reports/junit.xml")
            .replace(&listed, "names the {scenarios} scenario(s)"),
    );
    assert!(text(&output.stdout).is_empty(), "no trial ran");
    assert_eq!(
        errors(&parsed(&junit)),
        vec![(
            "selection".to_string(),
            "the filter `lnit`".to_string(),
            "no scenario matches the filter `lnit`, so nothing was run".to_string()
        )]
    );

    let output = command(&vars, &["cleanp"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("Did you mean the command `cleanup`?"));

    let output = command(&vars, &["--exact", "contacts/get.yaml::nothing"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("no scenario matches the exact name `contacts/get.yaml::nothing`")
            && !stderr.contains("Did you mean"),
        "{stderr}"
    );
}

#[test]
fn zero_trials_pass_when_asked_for_and_list_is_never_a_failure() {
    let off = env(&[("LEADLEX_JUNIT", "off")]);
    let output = command(&off, &["--list", "nothing_matches_this"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let mut allowed = off.clone();
    allowed.insert("LEADLEX_ALLOW_NO_TESTS".into(), "1".into());
    let output = command(&allowed, &["nothing_matches_this"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains(&format!(
        "0 passed; 0 failed; 0 ignored; 0 measured; {} filtered out",
        crate::common::shipped_scenarios()
    )));
}
