//! The whole conformance suite, live, against `serve`: the same trials that `cargo test`
//! runs against the in-process stub, sent over HTTP to the stub served as a process, with
//! the live run's safety rules (ownership marks, the ledger) and the 429 scenario. It must
//! pass and leave nothing behind, so that the stub and live paths cannot drift apart.
//! (`.ci/run` does the same with `cargo test --test conformance`.)

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::common::{command, junit_in, text};
use crate::serve::{seed_file, send, Served, SEEDED_ID};

/// The environment of a live run against `served`, read from its banner, with the ledger
/// in `ledger` and the JUnit report in `reports`.
fn live_env(
    served: &Served,
    ledger: &tempfile::TempDir,
    reports: &tempfile::TempDir,
) -> BTreeMap<String, String> {
    let mut env = served.live.clone();
    assert_eq!(
        env.keys().collect::<Vec<_>>(),
        [
            "LEADLEX_API_KEY",
            "LEADLEX_API_KEY_NO_DELETE",
            "LEADLEX_BASE_URL"
        ],
        "{:?}",
        served.banner
    );
    assert_eq!(env["LEADLEX_BASE_URL"], served.base_url);
    for (name, value) in [
        // The live pacing is for a real gateway's per-minute limit.
        ("LEADLEX_RATE_LIMIT_RPM", "600000".to_string()),
        ("LEADLEX_LEDGER_DIR", ledger.path().display().to_string()),
        ("LEADLEX_JUNIT", junit_in(reports).display().to_string()),
    ] {
        env.insert(name.to_string(), value);
    }
    env
}

/// The ledger's entries, as JSON: one file, every line an event.
fn ledger_events(ledger: &tempfile::TempDir) -> Vec<Value> {
    let files: Vec<_> = std::fs::read_dir(ledger.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(files.len(), 1, "one ledger for the run: {files:?}");
    std::fs::read_to_string(&files[0])
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The URLs of the ledger's events of one kind, sorted.
fn urls(events: &[Value], event: &str) -> Vec<String> {
    let mut urls: Vec<String> = events
        .iter()
        .filter(|e| e["event"] == event)
        .map(|e| e["url"].as_str().unwrap().to_string())
        .collect();
    urls.sort();
    urls
}

#[test]
fn the_whole_suite_passes_live_against_serve_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let (seed, ada) = seed_file(dir.path());
    // 200 a key, as the Organization plan allows a minute: the 429 scenario's burst (at most
    // 250 requests) runs into it.
    let mut served = Served::start(&["--rate-limit", "200", "--seed", seed.to_str().unwrap()]);
    let (ledger, reports) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut env = live_env(&served, &ledger, &reports);
    env.insert("LEADLEX_SPEND_QUOTA".into(), "1".into());

    let output = command(&env, &[]);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("7 passed; 0 failed; 0 ignored"),
        "every scenario, the 429 one included: {stdout}"
    );
    assert!(stderr.starts_with("live run: 7 scenario(s)"), "{stderr}");
    assert!(!stdout.contains("could not be removed"), "{stdout}");
    let junit = std::fs::read_to_string(junit_in(&reports)).unwrap();
    assert!(junit.contains(r#"<property name="target" value="live"/>"#));
    assert_eq!(junit.matches("<testcase ").count(), 7, "{junit}");
    // The stub keys are no secret, but configured as keys they are redacted like any.
    for key in served.keys.values() {
        assert!(!stdout.contains(key.as_str()) && !junit.contains(key.as_str()));
    }

    // The ledger: every record the run created was removed.
    let events = ledger_events(&ledger);
    let created = urls(&events, "created");
    assert_eq!(
        created.len(),
        3,
        "the shared contact, and one each for the 200 and the 429 deletes: {events:?}"
    );
    assert_eq!(created, urls(&events, "removed"), "{events:?}");
    // And the server agrees: each is gone (asked with a key of another trial number, whose
    // budget the 429 scenario did not spend).
    let other = served.keys["full"].replace("_0_", "_9_");
    for url in &created {
        assert_eq!(send("GET", url, Some(&other), None).status, 404, "{url}");
    }
    // The seeded contact, someone else's, is untouched: never addressed, and as it was.
    let log = served.unread();
    assert!(
        log.len() > 200,
        "the burst reached the server: {}",
        log.len()
    );
    assert!(log.iter().all(|l| !l.contains(SEEDED_ID)), "{log:?}");
    let url = format!("{}/v1/contacts/{SEEDED_ID}", served.base_url);
    let read = send("GET", &url, Some(&other), None);
    assert_eq!(read.body, json!({"data": ada}));
    // Every request the run sent was one the stub has a behaviour for.
    assert!(log.iter().all(|l| !l.contains("no route")), "{log:?}");
    let (status, _, stderr) = served.interrupt();
    assert!(status.success(), "{stderr}");
}

#[test]
fn a_run_whose_trials_pass_but_that_leaves_a_record_behind_fails() {
    // Two requests per key: the run makes its shared contact and reads it, and the
    // DELETE that should remove it is refused (429).
    let served = Served::start(&["--rate-limit", "2"]);
    let (ledger, reports) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let env = live_env(&served, &ledger, &reports);
    let output = command(
        &env,
        &["--exact", "contacts/get.yaml::returns_a_contact_it_created"],
    );
    let stdout = text(&output.stdout);
    assert!(stdout.contains("1 passed; 0 failed"), "{stdout}");
    assert_eq!(output.status.code(), Some(101), "{stdout}");
    assert!(
        stdout.contains("could not be removed: shared record `contact`: DELETE ")
            && stdout.contains("answered 429"),
        "{stdout}"
    );
    let events = ledger_events(&ledger);
    assert_eq!(urls(&events, "created").len(), 1);
    assert!(urls(&events, "removed").is_empty(), "{events:?}");
}
