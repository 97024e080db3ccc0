//! The command as a new user meets it: help that lists the commands, `--version`, mistakes
//! that fail with a suggestion, specs and reports found from the directory it is run in,
//! and machine-readable stdout that parses (libtest's `--format json`, `--outcomes json`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use crate::common::{behaving, command, copy_specs, start, text, SHIPPED_SCENARIOS};
use crate::secrets::{assert_no_key, run_against};
use crate::support::gateway::Behaviour;

const FORBIDDEN: &str = "contacts/delete.yaml::key_without_delete_permission_is_forbidden";

/// The command run in `dir`, with only the given variables of ours.
fn run_in(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_leadlex-conformance"));
    let ours = |k: &str| k.starts_with("LEADLEX_") || k == "NEXTEST" || k == "GITHUB_ACTIONS";
    for (name, _) in std::env::vars().filter(|(k, _)| ours(k)) {
        command.env_remove(name);
    }
    command
        .current_dir(dir)
        .envs(env.iter().copied())
        .args(args)
        .output()
        .expect("the command runs")
}

/// A copy of the shipped specs in `dir/name`.
fn copy_specs_to(dir: &Path, name: &str) {
    let specs = dir.join(name);
    std::fs::create_dir_all(&specs).unwrap();
    copy_specs(&specs);
}

fn no_env() -> BTreeMap<String, String> {
    BTreeMap::new()
}

/// A directory with a copy of the shipped specs in `specs/` whose 403 example answers the
/// wrong code, so that one scenario fails against the stub.
fn specs_with_one_failure() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_specs_to(dir.path(), "specs");
    let delete = dir.path().join("specs/contacts/delete.yaml");
    let original = std::fs::read_to_string(&delete).unwrap();
    let wrong = original.replace(
        "error: { code: insufficient_permissions, message: Missing contacts:delete permission }",
        "error: { code: forbidden, message: Missing contacts:delete permission }",
    );
    assert_ne!(
        original, wrong,
        "the example to break is still in the specs"
    );
    std::fs::write(&delete, wrong).unwrap();
    dir
}

/// Every line of `stdout`, each parsed as JSON (a line that does not parse fails).
fn json_lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not JSON ({e}): {line:?}\nin:\n{stdout}"))
        })
        .collect()
}

/// The first word of each line of the help's `Commands:` section.
fn listed_commands(help: &str) -> BTreeSet<String> {
    help.lines()
        .skip_while(|line| *line != "Commands:")
        .skip(1)
        .take_while(|line| !line.trim().is_empty())
        .filter_map(|line| line.split_whitespace().next().map(str::to_string))
        .collect()
}

#[test]
fn help_lists_every_command_and_each_command_has_help_with_an_example() {
    let output = command(&no_env(), &["--help"]);
    let help = text(&output.stdout);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let listed = listed_commands(&help);
    for name in ["test", "lint", "cleanup"] {
        assert!(
            listed.contains(name),
            "`{name}` in the commands of:\n{help}"
        );
    }
    for shown in [
        "Usage: leadlex-conformance [OPTIONS] [FILTER]",
        "--specs <DIR>",
        "--reports <DIR>",
        "--outcomes <FORMAT>",
        "--exact",
        "Examples:",
        "leadlex-conformance lint",
        "Exit codes:",
    ] {
        assert!(help.contains(shown), "{shown} in:\n{help}");
    }
    for (args, usage) in [
        (
            &["test", "--help"][..],
            "Usage: leadlex-conformance test [OPTIONS] [FILTER]",
        ),
        (
            &["lint", "--help"],
            "Usage: leadlex-conformance lint [OPTIONS]",
        ),
        (
            &["cleanup", "--help"],
            "Usage: leadlex-conformance cleanup [OPTIONS] <RUN_ID>",
        ),
        (
            &["help", "cleanup"],
            "Usage: leadlex-conformance cleanup [OPTIONS] <RUN_ID>",
        ),
    ] {
        let output = command(&no_env(), args);
        let help = text(&output.stdout);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            text(&output.stderr)
        );
        assert!(help.contains(usage), "{args:?}: {usage} in:\n{help}");
        assert!(help.contains("Example"), "{args:?}: an example in:\n{help}");
        assert!(!help.contains("running"), "{args:?} runs nothing:\n{help}");
    }
}

#[test]
fn version_names_the_command_and_its_version() {
    for flag in ["--version", "-V"] {
        let output = command(&no_env(), &[flag]);
        assert!(output.status.success(), "{}", text(&output.stderr));
        assert_eq!(
            text(&output.stdout),
            format!("leadlex-conformance {}\n", env!("CARGO_PKG_VERSION"))
        );
    }
}

#[test]
fn a_mistyped_command_fails_with_exit_code_2_and_names_the_command_meant() {
    for args in [&["lnit"][..], &["test", "lnit"]] {
        let output = command(&no_env(), args);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(
                "Did you mean the command `lint`? It goes first: `leadlex-conformance lint`."
            ),
            "{args:?}: {stderr}"
        );
        assert!(text(&output.stdout).is_empty(), "{args:?}: no trial ran");
    }
    // A first word that names no command, and is no mistyped one, is still a filter.
    let output = command(&no_env(), &["delete", "--skip", "rate_limit"]);
    let stdout = text(&output.stdout);
    assert!(
        // The trials with `delete` in their name but the 429 ones: delete.yaml's three,
        // bulk-delete.yaml's six, and the deleted contacts of update, list-notes, activities
        // and documents.
        stdout.contains("13 passed; 0 failed; 0 ignored; 0 measured; 49 filtered out"),
        "{stdout}{}",
        text(&output.stderr)
    );
}

#[test]
fn unknown_options_and_missing_arguments_are_errors_with_a_suggestion() {
    for (args, says) in [
        (&["--exatc"][..], "a similar argument exists: '--exact'"),
        (&["test", "--lsit"], "a similar argument exists: '--list'"),
        (
            &["lint", "--speks", "specs"],
            "a similar argument exists: '--specs'",
        ),
        (&["cleanup"], "<RUN_ID>"),
        (
            &["--outcomes", "xml"],
            "invalid value 'xml' for '--outcomes <FORMAT>'",
        ),
    ] {
        let output = command(&no_env(), args);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("error:"), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {says} in {stderr}");
        assert!(text(&output.stdout).is_empty(), "{args:?}: nothing ran");
    }
}

#[test]
fn specs_and_reports_are_found_from_the_current_directory() {
    // Defaults: ./specs and ./reports of the directory the command runs in.
    let project = tempfile::tempdir().unwrap();
    copy_specs_to(project.path(), "specs");
    let output = run_in(project.path(), &[], &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("JUnit report: reports/junit.xml"),
        "{stdout}"
    );
    for report in ["reports/junit.xml", "reports/coverage.json"] {
        assert!(project.path().join(report).is_file(), "{report}");
    }
    let output = run_in(project.path(), &[], &["lint"]);
    assert!(output.status.success(), "{}", text(&output.stderr));

    // Flags, which win over their variables.
    let elsewhere = tempfile::tempdir().unwrap();
    copy_specs_to(elsewhere.path(), "my-specs");
    let args = ["--specs", "my-specs", "--reports", "out"];
    let output = run_in(
        elsewhere.path(),
        &[("LEADLEX_SPECS", "/nonexistent")],
        &args,
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    for report in ["out/junit.xml", "out/coverage.json"] {
        assert!(elsewhere.path().join(report).is_file(), "{report}");
    }
    assert!(!elsewhere.path().join("reports").exists());

    // The variable when there is no flag; a specific variable wins over the directory.
    let output = run_in(
        elsewhere.path(),
        &[
            ("LEADLEX_SPECS", "my-specs"),
            ("LEADLEX_REPORTS", "env-out"),
            ("LEADLEX_COVERAGE", "matrix.json"),
        ],
        &[],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(elsewhere.path().join("env-out/junit.xml").is_file());
    assert!(elsewhere.path().join("matrix.json").is_file());
    assert!(!elsewhere.path().join("env-out/coverage.json").exists());

    // A directory without specs has none to lint: not the crate's own.
    let empty = tempfile::tempdir().unwrap();
    let output = run_in(empty.path(), &[], &["lint"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stdout));
}

#[test]
fn specs_and_reports_may_live_in_folders_with_spaces_accents_and_url_characters() {
    // Schemas are compiled with their file as the base URI of their `$ref`s: a path that
    // is not written as a URL (a space, `é`, `#`, `%`) must not make every schema invalid.
    let project = tempfile::tempdir().unwrap();
    let specs = "my specs é #1 %41 ?";
    copy_specs_to(project.path(), specs);
    let reports = "ré ports #2";
    let args = ["--specs", specs, "--reports", reports];
    let output = run_in(project.path(), &[], &args);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(project.path().join(reports).join("junit.xml").is_file());
    for args in [
        &["lint", "--specs", specs][..],
        &["export", "openapi", "--specs", specs],
    ] {
        let output = run_in(project.path(), &[], args);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            text(&output.stderr)
        );
    }
}

#[test]
fn reports_that_cannot_be_written_are_a_broken_setting_with_exit_code_2() {
    // Found before any request (the run writes its placeholder reports first): a broken
    // setting, as the README's exit codes say, not an undocumented 1.
    let project = tempfile::tempdir().unwrap();
    copy_specs_to(project.path(), "specs");
    std::fs::write(project.path().join("a-file"), "not a directory").unwrap();
    for (env, args) in [
        (&[][..], &["--reports", "a-file"][..]),
        (&[("LEADLEX_JUNIT", "a-file/junit.xml")][..], &[][..]),
    ] {
        let output = run_in(project.path(), env, args);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{env:?} {args:?}: {stderr}");
        assert!(stderr.contains("a-file"), "{stderr}");
        assert!(stderr.contains("no request was sent"), "{stderr}");
        assert!(!text(&output.stdout).contains("running"), "nothing ran");
    }
}

#[test]
fn specs_naming_a_file_say_it_is_a_file_and_which_flag_to_change() {
    let project = tempfile::tempdir().unwrap();
    copy_specs_to(project.path(), "specs");
    for args in [
        &["lint", "--specs", "specs/suite.yaml"][..],
        &["--specs", "specs/suite.yaml"],
    ] {
        let output = run_in(project.path(), &[], args);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("the specs directory is a file, not a directory"),
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains("--specs"), "{args:?}: {stderr}");
    }
    let output = run_in(project.path(), &[], &["--specs", "nowhere"]);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("the specs directory does not exist (--specs DIR or LEADLEX_SPECS"),
        "{stderr}"
    );
}

#[test]
fn a_live_run_keeps_its_ledger_under_the_reports_directory() {
    let (gateway, config) = start(behaving(Behaviour::Documented));
    let project = tempfile::tempdir().unwrap();
    copy_specs_to(project.path(), "specs");
    let mut env = crate::common::live_env(&gateway, &config);
    // The ledger follows --reports here (inside the temporary project), not a directory
    // of its own.
    env.remove("LEADLEX_LEDGER_DIR");
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let filter = "contacts/delete.yaml::deletes_a_contact_it_created";
    let output = run_in(
        project.path(),
        &env,
        &["--reports", "out", "--exact", filter],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let ledgers: Vec<_> = std::fs::read_dir(project.path().join("out/created"))
        .expect("the ledgers are under the reports directory")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(ledgers.len(), 1, "{ledgers:?}");
    assert!(project.path().join("out/junit.xml").is_file());
}

#[test]
fn with_format_json_stdout_holds_only_libtest_json_events() {
    let project = specs_with_one_failure();
    let output = run_in(project.path(), &[], &["--format", "json"]);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(101), "{stdout}{stderr}");
    let events = json_lines(&stdout);
    assert_eq!(events.first().unwrap()["event"], "started", "{stdout}");
    assert_eq!(events.last().unwrap()["event"], "failed", "{stdout}");
    let failed = events
        .iter()
        .find(|e| e["name"] == FORBIDDEN && e["event"] == "failed")
        .expect("the failed trial's event");
    assert!(
        failed["stdout"]
            .as_str()
            .unwrap()
            .contains("error.code: expected insufficient_permissions, got forbidden"),
        "{failed}"
    );
    for shown in [
        "conformance summary",
        "coverage of documented",
        "JUnit report: reports/junit.xml",
        "coverage matrix: reports/coverage.json",
    ] {
        assert!(stderr.contains(shown), "{shown} on stderr:\n{stderr}");
    }
}

#[test]
fn outcomes_json_is_one_object_per_scenario_with_its_evidence() {
    let project = specs_with_one_failure();
    let output = run_in(project.path(), &[], &["--outcomes", "json"]);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(101), "{stdout}{stderr}");
    let outcomes = json_lines(&stdout);
    assert_eq!(outcomes.len(), SHIPPED_SCENARIOS, "{stdout}");
    let names: BTreeSet<&str> = outcomes.iter().filter_map(|o| o["name"].as_str()).collect();
    assert_eq!(names.len(), SHIPPED_SCENARIOS, "{stdout}");
    for outcome in &outcomes {
        for field in [
            "run_id",
            "operation",
            "location",
            "verdict",
            "reason",
            "mismatches",
        ] {
            assert!(outcome.get(field).is_some(), "{field} in {outcome}");
        }
        assert!(outcome["duration_secs"].is_f64(), "{outcome}");
    }
    let failed = outcomes
        .iter()
        .find(|o| o["name"] == FORBIDDEN)
        .expect("the failed scenario");
    assert_eq!(failed["verdict"], "failed");
    assert_eq!(failed["operation"], "contacts.delete");
    let location = failed["location"].as_str().unwrap();
    assert!(
        location.starts_with("specs/contacts/delete.yaml:"),
        "{failed}"
    );
    let mismatch = failed["mismatches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["check"] == "error.code")
        .unwrap_or_else(|| panic!("the error.code mismatch in {failed}"));
    assert_eq!(mismatch["expected"], "insufficient_permissions");
    assert_eq!(mismatch["actual"], "forbidden");
    assert!(mismatch.get("pointer").is_some(), "{mismatch}");
    let passed = outcomes.iter().filter(|o| o["verdict"] == "passed").count();
    assert_eq!(passed, SHIPPED_SCENARIOS - 1, "{stdout}");
    // Everything else went to stderr: libtest's lines, the summary, the reports.
    let running = format!("running {SHIPPED_SCENARIOS} tests");
    for shown in [
        running.as_str(),
        "test result: FAILED",
        "conformance summary",
        "JUnit report: reports/junit.xml",
    ] {
        assert!(stderr.contains(shown), "{shown} on stderr:\n{stderr}");
    }
}

#[test]
fn outcomes_json_hides_a_key_the_gateway_echoes() {
    let config = behaving(Behaviour::EchoKey);
    let keys = [config.full_key.clone(), config.no_delete_key.clone()];
    let written = run_against(config, &[], &["--exact", FORBIDDEN, "--outcomes", "json"]);
    let what = format!("{}{}", written.stdout, written.stderr);
    assert_eq!(written.output.status.code(), Some(101), "{what}");
    let outcomes = json_lines(&written.stdout);
    assert_eq!(outcomes.len(), 1, "{what}");
    assert_eq!(
        outcomes[0]["mismatches"][0]["actual"], "echoed-${LEADLEX_API_KEY_NO_DELETE}",
        "{what}"
    );
    for key in &keys {
        assert_no_key("the outcomes", &written.stdout, key);
    }
}
