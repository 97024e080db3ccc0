//! Import Contacts and Create Contact Note live, against `serve` of specs broken on
//! purpose: a gateway that imports rows it should skip, miscounts, ignores a permission or
//! a rule, or echoes the wrong note fails the trials that check it, and only those. And a
//! live run skips the scenarios that leave residue unless `LEADLEX_ALLOW_RESIDUE=1`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::common::{command, copy_specs, junit_in, text};
use crate::serve::Served;

/// Replaces `from` by `to` in the spec file `file` under `specs` (it must be there).
pub(crate) fn break_spec(specs: &Path, file: &str, from: &str, to: &str) {
    let path = specs.join(file);
    let spec = std::fs::read_to_string(&path).unwrap();
    assert!(spec.contains(from), "{file}: {from}");
    std::fs::write(path, spec.replacen(from, to, 1)).unwrap();
}

/// A copy of the shipped specs with each `(from, to)` edit made once in `file`.
pub(crate) fn broken_copy(file: &str, edits: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_specs(dir.path());
    for (from, to) in edits {
        break_spec(dir.path(), file, from, to);
    }
    dir
}

/// A live run of the shipped specs of Import Contacts and Create Contact Note against
/// `serve` of `served_specs`; (failed trials, ignored lines, stdout).
fn run_against(
    served_specs: &Path,
    allow_residue: bool,
) -> (BTreeSet<String>, Vec<String>, String) {
    let filters = ["contacts/import.yaml", "contacts/create-note.yaml"];
    let run = run_live(served_specs, allow_residue, &filters);
    (run.failed, run.ignored, run.stdout)
}

/// What a live run of some trials showed.
pub(crate) struct LiveRun {
    pub(crate) failed: BTreeSet<String>,
    /// The lines of the ignored trials.
    pub(crate) ignored: Vec<String>,
    pub(crate) stdout: String,
    /// The JUnit report of the last filter's run.
    pub(crate) junit: String,
}

/// A live run of the shipped specs' trials matching each of `filters` against `serve`
/// of `served_specs`.
pub(crate) fn run_live(served_specs: &Path, allow_residue: bool, filters: &[&str]) -> LiveRun {
    let residue: &[(&str, &str)] = match allow_residue {
        true => &[("LEADLEX_ALLOW_RESIDUE", "1")],
        false => &[],
    };
    // A budget no trial here reaches (serve allows 10 requests a key by default).
    run_live_with(served_specs, 100_000, residue, filters)
}

/// [`run_live`] against `serve --rate-limit <rate_limit>`, with more variables.
pub(crate) fn run_live_with(
    served_specs: &Path,
    rate_limit: u32,
    more: &[(&str, &str)],
    filters: &[&str],
) -> LiveRun {
    let serve_env = BTreeMap::from([(
        "LEADLEX_SPECS".to_string(),
        served_specs.display().to_string(),
    )]);
    let limit = rate_limit.to_string();
    let served = Served::start_with(&serve_env, &["--rate-limit", &limit]);
    let (ledger, reports) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut env = served.live.clone();
    env.insert("LEADLEX_RATE_LIMIT_RPM".into(), "600000".into());
    env.insert(
        "LEADLEX_LEDGER_DIR".into(),
        ledger.path().display().to_string(),
    );
    env.insert(
        "LEADLEX_JUNIT".into(),
        junit_in(&reports).display().to_string(),
    );
    for (name, value) in more {
        env.insert(name.to_string(), value.to_string());
    }
    let mut run = LiveRun {
        failed: BTreeSet::new(),
        ignored: Vec::new(),
        stdout: String::new(),
        junit: String::new(),
    };
    for filter in filters {
        let output = command(&env, &[filter]);
        let stdout = text(&output.stdout);
        for line in stdout.lines() {
            let trial = line
                .strip_prefix("test ")
                .and_then(|l| l.split_whitespace().next());
            match trial {
                Some(trial) if line.ends_with(" ... FAILED") => {
                    run.failed.insert(trial.to_string());
                }
                Some(_) if line.contains(" ... ignored") => run.ignored.push(line.to_string()),
                _ => {}
            }
        }
        run.stdout.push_str(&stdout);
    }
    run.junit = std::fs::read_to_string(junit_in(&reports)).unwrap_or_default();
    run
}

fn trials(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}

#[test]
fn the_shipped_import_and_note_scenarios_pass_live_and_skip_residue_unless_allowed() {
    let specs = crate::common::root().join("specs");
    let (failed, ignored, stdout) = run_against(&specs, true);
    assert!(failed.is_empty(), "{stdout}");
    // The 429 scenarios (import's and create-note's) need LEADLEX_SPEND_QUOTA=1; nothing
    // else is skipped.
    assert_eq!(ignored.len(), 2, "{ignored:?}");
    let (failed, ignored, stdout) = run_against(&specs, false);
    assert!(failed.is_empty(), "{stdout}");
    let residue: Vec<&String> = ignored
        .iter()
        .filter(|l| l.contains("LEADLEX_ALLOW_RESIDUE=1 to run it live"))
        .collect();
    assert_eq!(
        residue.len(),
        6,
        "every Create Contact Note scenario: {ignored:?}"
    );
    assert!(
        residue.iter().any(
            |l| l.contains("create-note.yaml::creates_a_note_on_the_contact ")
                && l.ends_with(
                    "... ignored (leaves a note on the scenario's own contact (no documented \
                 endpoint deletes notes); set LEADLEX_ALLOW_RESIDUE=1 to run it live)"
                )
        ),
        "{residue:?}"
    );
}

#[test]
fn a_gateway_that_imports_rows_it_should_skip_or_miscounts_fails_those_checks() {
    // Rows are not matched by email, so each is created.
    let dir = broken_copy(
        "contacts/import.yaml",
        &[("match: [email, phone]", "match: [phone]")],
    );
    let (failed, _, stdout) = run_against(dir.path(), true);
    assert_eq!(
        failed,
        trials(&[
            "contacts/import.yaml::a_row_matching_a_contact_is_skipped",
            "contacts/import.yaml::a_row_without_name_or_email_gets_an_error",
            "contacts/import.yaml::csv_columns_are_mapped_and_unknown_ones_ignored",
            "contacts/import.yaml::update_existing_updates_the_matched_contact",
        ]),
        "{stdout}"
    );
    assert!(stdout.contains("/data/created_count"), "{stdout}");
    // The duplicate shows in List Contacts, too.
    assert!(stdout.contains("verify[1]"), "{stdout}");

    // Updated and skipped rows counted under each other's name; a read-only key may import.
    let dir = broken_copy(
        "contacts/import.yaml",
        &[
            (
                "/data/updated_count: count.updated\n      /data/skipped_count: count.skipped",
                "/data/updated_count: count.skipped\n      /data/skipped_count: count.updated",
            ),
            ("permission: write:contacts", "permission: contacts:read"),
        ],
    );
    let (failed, _, stdout) = run_against(dir.path(), true);
    assert_eq!(
        failed,
        trials(&[
            "contacts/import.yaml::a_row_matching_a_contact_is_skipped",
            "contacts/import.yaml::a_row_without_name_or_email_gets_an_error",
            "contacts/import.yaml::csv_columns_are_mapped_and_unknown_ones_ignored",
            "contacts/import.yaml::key_without_write_permission_is_forbidden",
            "contacts/import.yaml::update_existing_updates_the_matched_contact",
        ]),
        "{stdout}"
    );
}

#[test]
fn a_gateway_that_takes_any_note_or_echoes_another_fails_those_checks() {
    // No title required, no bound on content, the answer's title is the contact's id; a
    // read-only key may write.
    let dir = broken_copy(
        "contacts/create-note.yaml",
        &[
            (
                "validate: { required: [title], max_length: { content: 10000 } }",
                "fill: { /data/title: param.id }",
            ),
            ("permission: contacts:write", "permission: contacts:read"),
        ],
    );
    let (failed, _, stdout) = run_against(dir.path(), true);
    assert_eq!(
        failed,
        trials(&[
            "contacts/create-note.yaml::a_missing_title_is_a_validation_error",
            "contacts/create-note.yaml::content_over_10000_characters_is_a_validation_error",
            "contacts/create-note.yaml::creates_a_note_on_the_contact",
            "contacts/create-note.yaml::key_without_contacts_write_is_forbidden",
        ]),
        "{stdout}"
    );
}

#[test]
fn the_coverage_matrix_shows_a_pair_covered_with_what_its_scenario_leaves() {
    let reports = tempfile::tempdir().unwrap();
    let coverage = reports.path().join("coverage.json");
    let env = BTreeMap::from([(
        "LEADLEX_COVERAGE".to_string(),
        coverage.display().to_string(),
    )]);
    let output = command(&env, &["contacts/create-note.yaml"]);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    let row = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("201 ") && l.contains("creates_a_note_on_the_contact"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        row.contains(
            "covered   passed: creates_a_note_on_the_contact  [residue: \
             creates_a_note_on_the_contact leaves a note on the scenario's own contact (no \
             documented endpoint deletes notes)]"
        ),
        "{row}"
    );
    let matrix: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&coverage).unwrap()).unwrap();
    let note = matrix["operations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|op| op["id"] == "contacts.create-note")
        .unwrap();
    assert_eq!(note["pairs"][0]["state"], "covered");
    assert_eq!(note["pairs"][0]["leaves"].as_array().unwrap().len(), 1);
    // A pair no residue scenario expects has no such field.
    let import = matrix["operations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|op| op["id"] == "contacts.import")
        .unwrap();
    assert!(import["pairs"][0].get("leaves").is_none(), "{import}");
}
