//! Import Contacts' documented body limit ("payload over 20 MB": 413 payload_too_large),
//! live against `serve` of specs changed on purpose: a gateway whose limit lies above
//! 20 MiB takes the padded body and fails that trial (and only it), without the 20 MB
//! body in any output; a gateway that reads the limit as 20 MiB passes. And the slow
//! trial that sends it is over before a 429 burst spends the key it shares.

use std::collections::BTreeSet;

use crate::residue::{broken_copy, run_live, run_live_with};

const TRIAL: &str = "contacts/import.yaml::a_body_over_20_mb_is_refused";
const LIMIT: &str = "max_body_bytes: 20000000";

/// A run of Import Contacts' trials against `serve` whose limit is `limit` bytes.
fn with_limit(limit: u64) -> crate::residue::LiveRun {
    let to = format!("max_body_bytes: {limit}");
    let dir = broken_copy("contacts/import.yaml", &[(LIMIT, &to)]);
    run_live(dir.path(), false, &["contacts/import.yaml"])
}

#[test]
fn a_gateway_that_takes_a_body_over_20_mib_fails_the_trial_and_no_output_shows_the_body() {
    // The scenario's body is 20 MiB + 1 bytes: a limit of that many bytes takes it.
    let run = with_limit(20 * 1024 * 1024 + 1);
    assert_eq!(
        run.failed,
        BTreeSet::from([TRIAL.to_string()]),
        "{}",
        run.stdout
    );
    let judged = "status: expected 413 payload_too_large, got 200";
    assert!(run.stdout.contains(judged), "{}", run.stdout);
    assert!(run.stdout.contains("── response 200"), "{}", run.stdout);
    // The request is shown as written, its padding counted, never sent to the screen.
    assert!(
        run.stdout.contains("of padding, not shown]"),
        "{}",
        run.stdout
    );
    let padding = "x".repeat(64);
    for (what, text) in [("stdout", &run.stdout), ("JUnit", &run.junit)] {
        assert!(!text.contains(&padding), "{what} shows the padding");
        assert!(text.len() < 1_000_000, "{what}: {} bytes", text.len());
    }
    assert!(
        run.junit.contains("of padding, not shown]"),
        "{}",
        run.junit
    );
}

#[test]
fn a_gateway_that_reads_20_mb_as_20_mib_passes() {
    let run = with_limit(20 * 1024 * 1024);
    assert!(run.failed.is_empty(), "{}", run.stdout);
    let passed = run
        .stdout
        .lines()
        .any(|l| l.starts_with(&format!("test {TRIAL} ")) && l.ends_with(" ... ok"));
    assert!(passed, "{}", run.stdout);
}

#[test]
fn the_429_burst_waits_for_the_slow_padded_trial() {
    // Import Contacts' other trials send about 30 requests, all with the full key: 60 a
    // key leaves the burst room to run into the limit, but only once every other trial
    // is over (the padded one, slowest, included: its verify would meet the spent key).
    let specs = crate::common::root().join("specs");
    let quota = [("LEADLEX_SPEND_QUOTA", "1")];
    let run = run_live_with(&specs, 60, &quota, &["contacts/import.yaml"]);
    assert!(run.failed.is_empty(), "{}", run.stdout);
    assert!(run.ignored.is_empty(), "{:?}", run.ignored);
}
