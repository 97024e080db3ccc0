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
            "LEADLEX_API_KEY_NO_SCOPED_READS",
            "LEADLEX_API_KEY_READ_ONLY",
            "LEADLEX_API_KEY_WRITE_ONLY",
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

/// What the conformance suite does against the in-process stub.
struct StubRun {
    passed: usize,
    /// The trials it ignores because the stub does not serve an operation they use.
    cannot_serve: Vec<String>,
}

fn stub_run() -> StubRun {
    let output = command(&BTreeMap::new(), &[]);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    let passed = stdout.lines().filter(|l| l.ends_with(" ... ok")).count();
    let mut cannot_serve: Vec<String> = stdout
        .lines()
        .filter(|l| l.contains(" ... ignored (the stub cannot serve "))
        .filter_map(|l| l.strip_prefix("test "))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect();
    cannot_serve.sort();
    StubRun {
        passed,
        cannot_serve,
    }
}

/// The trials that `--exact --skip` arguments leave out.
fn unservable(args: &[String]) -> Vec<String> {
    match args.first().map(String::as_str) {
        None => Vec::new(),
        Some("--exact") => args[1..]
            .chunks(2)
            .map(|pair| {
                assert_eq!(pair[0], "--skip", "{args:?}");
                pair[1].clone()
            })
            .collect(),
        Some(_) => panic!("unexpected arguments: {args:?}"),
    }
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
    // 300 a key, as .ci/run: the other trials (about 205 requests of the full key) fit
    // under it, and the 429 scenario's burst (at most 250 requests) runs into the rest.
    let mut served = Served::start(&["--rate-limit", "300", "--seed", seed.to_str().unwrap()]);
    let (ledger, reports) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut env = live_env(&served, &ledger, &reports);
    env.insert("LEADLEX_SPEND_QUOTA".into(), "1".into());
    // The run's own budget (300 for a live run) past the bursts.
    env.insert("LEADLEX_MAX_REQUESTS".into(), "1000".into());
    // The scenarios that leave what no documented endpoint removes (notes) run too: serve's
    // records go when it stops.
    env.insert("LEADLEX_ALLOW_RESIDUE".into(), "1".into());

    // The banner's command skips exactly the scenarios that stub runs ignore because the
    // stub does not serve an operation they use (none, since the stub plays List Contacts).
    let mut skipped = unservable(&served.live_args);
    skipped.sort();
    let stub_run = stub_run();
    assert_eq!(skipped, stub_run.cannot_serve, "{:?}", served.live_args);
    let args: Vec<&str> = served.live_args.iter().map(String::as_str).collect();
    let output = command(&env, &args);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "{stdout}{stderr}");
    // The same scenarios pass live as in the stub run, the 429 one included.
    let passed = stub_run.passed;
    assert!(passed >= 7, "{passed}");
    let summary = format!(
        "{passed} passed; 0 failed; 0 ignored; 0 measured; {} filtered out",
        skipped.len()
    );
    assert!(stdout.contains(&summary), "{summary}: {stdout}");
    assert!(
        stderr.starts_with(&format!("live run: {passed} scenario(s)")),
        "{stderr}"
    );
    assert!(!stdout.contains("could not be removed"), "{stdout}");
    let junit = std::fs::read_to_string(junit_in(&reports)).unwrap();
    assert!(junit.contains(r#"<property name="target" value="live"/>"#));
    assert_eq!(junit.matches("<testcase ").count(), passed, "{junit}");
    assert!(!junit.contains("<skipped"), "{junit}");
    // The stub keys are no secret, but configured as keys they are redacted like any.
    for key in served.keys.values() {
        assert!(!stdout.contains(key.as_str()) && !junit.contains(key.as_str()));
    }

    // The ledger: every record the run created was removed.
    let events = ledger_events(&ledger);
    let makers: Vec<&str> = events
        .iter()
        .filter(|e| e["event"] == "created")
        .map(|e| e["trial"].as_str().unwrap())
        .collect();
    for trial in [
        "shared contact",
        "contacts/delete.yaml::deletes_a_contact_it_created",
        "contacts/delete.yaml::rate_limit_exceeded",
    ] {
        assert!(makers.contains(&trial), "{trial}: {events:?}");
    }
    let created = urls(&events, "created");
    assert_eq!(created, urls(&events, "removed"), "{events:?}");
    // And the server agrees: each is gone (asked with a key of another trial number, whose
    // budget the 429 scenario did not spend).
    let other = served.keys["full"].replace("_0_", "_9_");
    for url in &created {
        assert_eq!(send("GET", url, Some(&other), None).status, 404, "{url}");
    }
    // The seeded contact, someone else's, is untouched: never addressed, and as it was.
    // Every request was answered, so every line is written: read until a pause.
    let log: Vec<String> =
        std::iter::from_fn(|| served.next_line(std::time::Duration::from_millis(500))).collect();
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
