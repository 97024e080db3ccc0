//! Merge Contacts against a wrong server: `serve` playing the merge as the documented
//! example alone (nothing merged, nothing retired, 200 to a circular chain, to a primary
//! among its duplicates and to a missing duplicate). The merge trials that expect a merge
//! or a refusal fail on the check that shows it, those the gate answers still pass, and the
//! duplicates the server did not retire are removed by their cleanups: nothing is left.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::common::{command, copy_specs, text};
use crate::serve::Served;

/// A copy of the shipped specs whose Merge Contacts has `stub` instead of its own.
fn specs_with_merge_stub(stub: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_specs(dir.path());
    let path = dir.path().join("contacts/merge.yaml");
    let spec = std::fs::read_to_string(&path).unwrap();
    let start = spec.find("  stub:\n").expect("merge.yaml has a stub");
    let end = spec.find("  responses:\n").expect("and responses after it");
    std::fs::write(&path, format!("{}{stub}{}", &spec[..start], &spec[end..])).unwrap();
    dir
}

/// Trial → (verdict, failed `step check` pairs).
type Trials = BTreeMap<String, (String, Vec<String>)>;

/// Runs the shipped merge scenarios live against `served`: the trials, and the ledger's
/// created and removed URLs.
fn run_merge_trials(served: &Served) -> (Trials, Vec<String>, Vec<String>) {
    let ledger = tempfile::tempdir().unwrap();
    let mut env = served.live.clone();
    env.insert("LEADLEX_RATE_LIMIT_RPM".into(), "600000".into());
    env.insert(
        "LEADLEX_LEDGER_DIR".into(),
        ledger.path().display().to_string(),
    );
    let output = command(&env, &["merge.yaml", "--outcomes", "json"]);
    let stdout = text(&output.stdout);
    let mut trials = BTreeMap::new();
    for line in stdout.lines() {
        let outcome: Value = serde_json::from_str(line).unwrap_or_else(|_| panic!("{stdout}"));
        let failed = outcome["mismatches"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|m| {
                format!(
                    "{} {}",
                    m["step"].as_str().unwrap(),
                    m["check"].as_str().unwrap()
                )
            })
            .collect();
        let verdict = outcome["verdict"].as_str().unwrap().to_string();
        trials.insert(
            outcome["scenario"].as_str().unwrap().to_string(),
            (verdict, failed),
        );
    }
    let ledger_text: String = std::fs::read_dir(ledger.path())
        .unwrap()
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    let urls = |event: &str| {
        let mut urls: Vec<String> = ledger_text
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|e| e["event"] == event)
            .map(|e| e["url"].as_str().unwrap().to_string())
            .collect();
        urls.sort();
        urls
    };
    (trials, urls("created"), urls("removed"))
}

#[test]
fn a_server_that_merges_nothing_fails_the_merge_trials_and_leaves_nothing_behind() {
    let specs = specs_with_merge_stub(
        "  stub: { action: example, collection: contacts, record: /data/primary }\n",
    );
    let served = Served::start(&[
        "--specs",
        specs.path().to_str().unwrap(),
        "--rate-limit",
        "200",
    ]);
    let (trials, created, removed) = run_merge_trials(&served);
    let verdict = |name: &str| trials[name].0.as_str();
    let failed = |name: &str| trials[name].1.clone();
    // The example names another primary and merges nothing: the duplicate is still there.
    let merged = failed("merges_a_duplicate_it_created");
    assert!(
        merged.contains(&"verify[0] status".to_string()),
        "{merged:?}"
    );
    // 200 where a circular chain, a primary among its duplicates and a missing duplicate
    // are refused.
    for name in [
        "merging_back_into_a_retired_duplicate_is_a_conflict",
        "primary_among_the_duplicates_is_a_validation_error",
        "a_deleted_duplicate_is_not_found",
    ] {
        assert_eq!(failed(name), ["request status"], "{name}");
    }
    for name in [
        "overwrite_lets_the_duplicate_values_win",
        "dry_run_changes_nothing",
    ] {
        assert_eq!(verdict(name), "failed", "{name}");
    }
    for name in [
        "invalid_key_is_rejected",
        "key_without_write_permission_is_forbidden",
    ] {
        assert_eq!(verdict(name), "passed", "{name}: the gate answers them");
    }
    // Every contact the trials made was removed: the duplicates the server kept by their
    // own cleanups.
    assert_eq!(created.len(), 15, "{created:?}");
    assert_eq!(created, removed);
}
