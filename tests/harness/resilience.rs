//! Live runs against gateways that misbehave: each gives a clear outcome in bounded time,
//! without a panic; retries happen only where they are safe; the limiter keeps a burst
//! under the configured rate; an interrupted run removes what it created; the cleanup
//! command removes an earlier run's leftovers and nothing else.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use leadlex_conformance::{Check, Outcome, Verdict};

use crate::common::{behaving, command, live_env, run_with, start, text, LiveEnv};
use crate::support::gateway::{Behaviour, Gateway, GatewayConfig};

const GET_404: &str = "contacts/get.yaml::unknown_id_is_not_found";
const DELETES: &str = "contacts/delete.yaml::deletes_a_contact_it_created";

fn gateway(behaviour: Behaviour) -> (Gateway, LiveEnv) {
    let (gateway, config) = start(behaving(behaviour));
    let mut env = live_env(&gateway, &config);
    env.insert("LEADLEX_TIMEOUT_SECS".into(), "2".into());
    (gateway, env)
}

/// Runs one scenario and returns its outcome and how long it took.
fn run_one(env: &BTreeMap<String, String>, trial: &str) -> (Outcome, Duration) {
    let started = Instant::now();
    let mut outcomes = run_with(env, trial);
    (
        outcomes.remove(trial).expect("the trial ran"),
        started.elapsed(),
    )
}

fn errored_reason(outcome: &Outcome) -> &str {
    match &outcome.verdict {
        Verdict::Errored { reason, .. } => reason,
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn transport_failures_are_clear_errors_in_bounded_time() {
    let cases = [
        (Behaviour::ResetConnection, "connection"),
        (Behaviour::CloseEarly, "request"),
        (Behaviour::WrongContentLength, "body"),
        (Behaviour::HugeBody, "larger than 1048576 bytes"),
    ];
    for (behaviour, words) in cases {
        let (_gateway, env) = gateway(behaviour);
        let (outcome, took) = run_one(&env, GET_404);
        let reason = errored_reason(&outcome).to_lowercase();
        assert!(reason.contains(words), "{behaviour:?}: {reason}");
        assert!(
            took < Duration::from_secs(10),
            "{behaviour:?} took {took:?}"
        );
    }
}

#[test]
fn a_body_that_is_not_utf8_fails_the_body_check() {
    let (_gateway, env) = gateway(Behaviour::NonUtf8Body);
    let (outcome, _) = run_one(&env, GET_404);
    let Verdict::Failed(found) = &outcome.verdict else {
        panic!("{:?}", outcome.verdict)
    };
    assert_eq!(found[0].check, Check::Body);
    assert!(found[0].actual.contains("not JSON"), "{}", found[0].actual);
}

#[test]
fn a_reset_get_is_retried_and_every_attempt_recorded() {
    let (gateway, env) = gateway(Behaviour::FailFirst(2));
    let (outcome, _) = run_one(&env, GET_404);
    assert_eq!(outcome.verdict, Verdict::Passed);
    let attempts: Vec<(Option<u16>, bool)> = outcome
        .exchanges
        .iter()
        .map(|e| (e.status, e.retried.is_some()))
        .collect();
    assert_eq!(
        attempts,
        vec![(None, true), (None, true), (Some(404), false)]
    );
    assert_eq!(gateway.requests().len(), 3);
}

#[test]
fn a_reset_post_is_not_retried_so_nothing_is_created_twice() {
    let (gateway, env) = gateway(Behaviour::FailFirst(1));
    let (outcome, _) = run_one(&env, DELETES);
    assert!(errored_reason(&outcome).starts_with("setup[0] (contacts.create) did not succeed"));
    let posts = gateway
        .requests()
        .iter()
        .filter(|r| r.method == "POST")
        .count();
    assert_eq!(posts, 1, "the POST was sent once");
    assert!(gateway.contact_ids().is_empty());
}

#[test]
fn a_slow_gateway_fails_within_the_timeout_and_a_small_margin() {
    let (_gateway, mut env) = gateway(Behaviour::Slow(5_000));
    env.insert("LEADLEX_TIMEOUT_SECS".into(), "1".into());
    // Retries are on (the default): the timeout covers them too.
    let (outcome, _) = run_one(&env, GET_404);
    assert!(errored_reason(&outcome).contains("no complete response within 1.0 s"));
    // The trial's own time, without loading the specs: the timeout and a small margin.
    let took = outcome.duration;
    assert!(took < Duration::from_millis(1_700), "took {took:?}");
}

#[test]
fn a_429_with_retry_after_is_waited_for_and_retried() {
    let (_gateway, env) = gateway(Behaviour::RateLimitedFirst {
        count: 1,
        retry_after: Some(1),
    });
    let (outcome, took) = run_one(&env, GET_404);
    assert_eq!(outcome.verdict, Verdict::Passed);
    assert_eq!(outcome.exchanges[0].status, Some(429));
    assert!(outcome.exchanges[0].retried.is_some());
    assert!(took >= Duration::from_millis(900), "it waited: {took:?}");
}

#[test]
fn a_429_without_retry_after_waits_for_the_reset_or_stops_when_it_is_too_far() {
    // The gateway's X-RateLimit-Reset is the next UTC midnight: too far to wait for.
    let (gateway, env) = gateway(Behaviour::RateLimitedFirst {
        count: 1,
        retry_after: None,
    });
    let (outcome, took) = run_one(&env, GET_404);
    let reason = errored_reason(&outcome);
    assert!(
        reason.contains("X-RateLimit-Remaining: 0 until X-RateLimit-Reset"),
        "{reason}"
    );
    assert!(reason.contains("LEADLEX_MAX_WAIT_SECS"), "{reason}");
    assert_eq!(gateway.requests().len(), 1);
    assert!(took < Duration::from_secs(5));
}

#[test]
fn a_gateway_that_keeps_answering_429_fails_the_trial_clearly() {
    let (gateway, env) = gateway(Behaviour::RateLimited {
        retry_after: Some(1),
    });
    let (outcome, _) = run_one(&env, GET_404);
    let Verdict::Failed(found) = &outcome.verdict else {
        panic!("{:?}", outcome.verdict)
    };
    assert_eq!(found[0].check, Check::Status);
    assert_eq!(found[0].actual, "429 rate_limited");
    assert_eq!(
        gateway.requests().len(),
        3,
        "two retries, then the answer stands"
    );
}

#[test]
fn a_pause_longer_than_allowed_stops_sending() {
    let (gateway, env) = gateway(Behaviour::RateLimited {
        retry_after: Some(3600),
    });
    let (outcome, took) = run_one(&env, GET_404);
    assert!(
        errored_reason(&outcome).contains("Retry-After: 3600"),
        "{:?}",
        outcome.verdict
    );
    assert_eq!(gateway.requests().len(), 1);
    assert!(took < Duration::from_secs(5));
}

#[test]
fn the_request_budget_stops_the_run_but_not_its_cleanup() {
    let (gateway, config) = start(GatewayConfig::default());
    let mut env = live_env(&gateway, &config);
    env.insert("LEADLEX_MAX_REQUESTS".into(), "1".into());
    let outcomes = run_with(&env, DELETES);
    let reason = errored_reason(&outcomes[DELETES]);
    assert!(reason.contains("request budget of 1 is spent"), "{reason}");
    assert!(
        gateway.contact_ids().is_empty(),
        "the contact it created was removed"
    );
}

#[test]
fn the_limiter_keeps_a_burst_of_parallel_trials_under_the_rate() {
    let (gateway, config) = start(GatewayConfig::default());
    let mut env = crate::common::served_env(&gateway, &config);
    env.insert("LEADLEX_RATE_LIMIT_RPM".into(), "600".into());
    let output = command(&env, &["--test-threads", "6"]);
    assert!(output.status.success(), "{}", text(&output.stdout));
    let mut times: Vec<Instant> = gateway.requests().iter().map(|r| r.at).collect();
    times.sort();
    assert!(
        times.len() >= 10,
        "enough requests to judge: {}",
        times.len()
    );
    // Slots are 100 ms apart and a request can only be late, never early. Arrival times
    // are the server's: a loaded machine delays some requests into a later second, so a
    // one-second window is allowed twice the rate, and the whole run is held to the rate:
    // N requests span at least (N - 1) slots, less a second for a late first one. Without
    // the limiter every request arrives within a fraction of a second and both fail.
    for (i, start) in times.iter().enumerate() {
        let within_a_second = times[i..]
            .iter()
            .take_while(|t| **t - *start < Duration::from_secs(1))
            .count();
        assert!(
            within_a_second <= 20,
            "{within_a_second} requests within one second (limit 10/s)"
        );
    }
    let span = *times.last().unwrap() - times[0];
    let slots = Duration::from_millis(100) * (times.len() as u32 - 1);
    assert!(
        span + Duration::from_secs(1) >= slots,
        "{} requests within {span:?}: faster than 10/s",
        times.len()
    );
}

#[test]
fn an_interrupted_run_removes_what_it_created() {
    let (gateway, mut env) = gateway(Behaviour::Slow(300));
    let ledger = tempfile::tempdir().unwrap();
    env.insert(
        "LEADLEX_LEDGER_DIR".into(),
        ledger.path().display().to_string(),
    );
    let mut child = crate::common::spawn(&env, &["--test-threads", "1", DELETES]);
    let started = Instant::now();
    while !gateway.requests().iter().any(|r| r.method == "POST") {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the run started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid = child.id().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let output = crate::common::wait(&mut child, Duration::from_secs(20));
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(130), "{stdout}{stderr}");
    assert!(
        stderr.contains("interrupted: finishing the requests under way"),
        "{stderr}"
    );
    assert!(
        gateway.contact_ids().is_empty(),
        "the created contact was removed"
    );
    let files: Vec<_> = std::fs::read_dir(ledger.path())
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(files.len(), 1, "one ledger for the run");
    let lines = std::fs::read_to_string(files[0].path()).unwrap();
    assert!(
        lines.contains("\"event\":\"created\"") && lines.contains("\"event\":\"removed\""),
        "{lines}"
    );
}

#[test]
fn the_cleanup_command_removes_an_earlier_runs_leftovers_and_nothing_else() {
    let (gateway, config) = start(GatewayConfig::default());
    let ours = "6f0c2a51-2c4e-4d7a-9e1f-5a6b7c8d9e0f";
    let theirs = "0b9f3a51-2c4e-4d7a-9e1f-5a6b7c8d9e0f";
    gateway.insert_contact(ours);
    gateway.insert_contact(theirs);
    let ledger = tempfile::tempdir().unwrap();
    let run_id = "20261129T000000Z-abc123";
    let line = |event: &str, url: &str| {
        format!(
            r#"{{"event":"{event}","trial":"t","method":"DELETE","url":"{url}","key_variable":"LEADLEX_API_KEY","at":"2026-11-29T00:00:00Z"}}"#
        )
    };
    let ours_url = format!("{}/v1/contacts/{ours}", gateway.base_url);
    let elsewhere = "https://elsewhere.example/v1/contacts/1";
    let climbing = format!("{}/../../v1/contacts/{theirs}", gateway.base_url);
    let other_variable = line(
        "created",
        &format!("{}/v1/contacts/{theirs}", gateway.base_url),
    )
    .replace("LEADLEX_API_KEY", "HOME");
    let text_ledger = [
        line("created", &ours_url),
        line("created", elsewhere),
        line("created", &climbing),
        other_variable,
    ]
    .join("\n");
    std::fs::write(ledger.path().join(format!("{run_id}.jsonl")), text_ledger).unwrap();
    let mut env = live_env(&gateway, &config);
    env.insert(
        "LEADLEX_LEDGER_DIR".into(),
        ledger.path().display().to_string(),
    );

    let output = command(&env, &["cleanup", run_id]);
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(1),
        "three entries are refused: {stdout}"
    );
    assert!(
        stdout.contains("/../../v1/contacts/") && stdout.contains("(not under"),
        "{stdout}"
    );
    assert!(
        stdout.contains("(HOME is not a credential of the suite, so not sent)"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("removed: DELETE {ours_url}")),
        "{stdout}"
    );
    assert!(
        stdout.contains("left:    DELETE https://elsewhere.example/v1/contacts/1 (not under"),
        "{stdout}"
    );
    assert_eq!(gateway.contact_ids(), vec![theirs.to_string()]);
    assert!(!stdout.contains(&config.full_key));

    // Run again: what was removed is not sent again.
    let before = gateway.requests().len();
    let output = command(&env, &["cleanup", run_id]);
    assert!(text(&output.stdout).contains("0 removed, 3 left"));
    assert_eq!(gateway.requests().len(), before);
}

#[test]
fn the_burst_of_the_429_scenario_is_bounded_in_requests_and_in_time() {
    let specs = tempfile::tempdir().unwrap();
    crate::common::copy_specs(specs.path());
    let delete = specs.path().join("contacts/delete.yaml");
    let original = std::fs::read_to_string(&delete).unwrap();
    let bounded = |requests: u32, seconds: u32| {
        let text = original
            .replace("max_requests: 1000", &format!("max_requests: {requests}"))
            .replace("max_seconds: 90", &format!("max_seconds: {seconds}"));
        std::fs::write(&delete, text).unwrap();
    };
    let trial = "contacts/delete.yaml::rate_limit_exceeded";

    // A gateway that never limits: the burst stops after its request bound.
    bounded(5, 60);
    let (fast, mut env) = gateway(Behaviour::Documented);
    env.insert("LEADLEX_SPECS".into(), specs.path().display().to_string());
    env.insert("LEADLEX_SPEND_QUOTA".into(), "1".into());
    let (outcome, _) = run_one(&env, trial);
    let Verdict::Failed(found) = &outcome.verdict else {
        panic!("{:?}", outcome.verdict)
    };
    assert!(
        found[0]
            .expected
            .contains("429 rate_limited within 5 requests"),
        "{}",
        found[0].expected
    );
    let deletes = fast
        .requests()
        .iter()
        .filter(|r| r.method == "DELETE")
        .count();
    assert_eq!(deletes, 5);

    // A slow gateway: the burst stops after its time bound.
    bounded(1000, 1);
    let (slow, mut env) = gateway(Behaviour::Slow(200));
    env.insert("LEADLEX_SPECS".into(), specs.path().display().to_string());
    env.insert("LEADLEX_SPEND_QUOTA".into(), "1".into());
    let (outcome, took) = run_one(&env, trial);
    assert!(
        matches!(outcome.verdict, Verdict::Failed(_)),
        "{:?}",
        outcome.verdict
    );
    assert!(took < Duration::from_secs(4), "took {took:?}");
    assert!(
        slow.requests().len() < 15,
        "{} requests",
        slow.requests().len()
    );
}

/// The most requests that started within any `window`.
fn peak_starts(gateway: &Gateway, window: Duration) -> usize {
    let mut times: Vec<Instant> = gateway.requests().iter().map(|r| r.at).collect();
    times.sort();
    (0..times.len())
        .map(|i| {
            times[i..]
                .iter()
                .take_while(|t| **t - times[i] < window)
                .count()
        })
        .max()
        .unwrap_or(0)
}

#[test]
fn live_runs_keep_to_the_configured_parallelism() {
    // Every answer takes 300 ms, so one thread cannot start two requests within 250 ms.
    let window = Duration::from_millis(250);
    let (serial, mut env) = gateway(Behaviour::Slow(300));
    env.insert("LEADLEX_CONCURRENCY".into(), "1".into());
    let output = command(&env, &["contacts/get.yaml"]);
    assert!(output.status.success(), "{}", text(&output.stdout));
    assert_eq!(peak_starts(&serial, window), 1, "one scenario at a time");

    // The same measure sees parallelism when it is allowed: it can fail.
    let (parallel, env) = gateway(Behaviour::Slow(300));
    let output = command(&env, &["contacts/get.yaml", "--test-threads", "3"]);
    assert!(output.status.success(), "{}", text(&output.stdout));
    assert!(peak_starts(&parallel, window) > 1);
}

#[test]
fn retries_and_their_backoff_stay_within_the_request_timeout() {
    let (gateway, mut env) = gateway(Behaviour::ResetConnection);
    env.insert("LEADLEX_TIMEOUT_SECS".into(), "1".into());
    env.insert("LEADLEX_RETRIES".into(), "10".into());
    let (outcome, _) = run_one(&env, GET_404);
    errored_reason(&outcome);
    assert!(
        outcome.duration < Duration::from_millis(1_500),
        "took {:?}",
        outcome.duration
    );
    let attempts = gateway.requests().len();
    assert!(
        (2..=4).contains(&attempts),
        "retried while time was left: {attempts} attempts"
    );
}

/// A passed trial keeps, of all it sent, only what the reports show: its retried attempt
/// still reaches JUnit as a `flakyFailure`/`flakyError` after a real run.
#[test]
fn a_passed_trials_retried_attempt_is_still_in_the_junit_report() {
    let (gateway, config) = crate::common::start(crate::common::behaving(
        crate::support::gateway::Behaviour::FailFirst(1),
    ));
    let reports = tempfile::tempdir().unwrap();
    let junit = crate::common::junit_in(&reports);
    let mut env = crate::common::live_env(&gateway, &config);
    env.insert("LEADLEX_JUNIT".into(), junit.display().to_string());
    env.insert(
        "LEADLEX_LEDGER_DIR".into(),
        reports.path().join("created").display().to_string(),
    );
    let output = crate::common::command(
        &env,
        &["--exact", "contacts/get.yaml::unknown_id_is_not_found"],
    );
    assert!(
        output.status.success(),
        "{}",
        crate::common::text(&output.stdout)
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    let report = junit_parser::from_reader(std::io::Cursor::new(xml.as_str())).unwrap();
    let case = report
        .suites
        .iter()
        .flat_map(|s| &s.cases)
        .find(|c| c.original_name == "unknown_id_is_not_found")
        .unwrap();
    assert!(case.status.is_success());
    assert_eq!(case.reruns.len(), 1, "{xml}");
}

/// A request still waiting for its pacing slot when Ctrl-C comes is not sent; only the
/// cleanup goes out.
#[test]
fn a_request_waiting_for_its_slot_is_not_sent_after_an_interrupt() {
    let (gateway, config) = start(GatewayConfig::default());
    let ledger = tempfile::tempdir().unwrap();
    let mut env = crate::common::live_env_with_ledger(&gateway, &config, &ledger);
    // One request every two seconds: the DELETE under test waits for its slot.
    env.insert("LEADLEX_RATE_LIMIT_RPM".into(), "30".into());
    let mut child = crate::common::spawn(&env, &["--exact", DELETES]);
    let started = Instant::now();
    while !gateway.requests().iter().any(|r| r.method == "POST") {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the run started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // The DELETE's slot is two seconds after the POST: by now the trial waits for it
    // (on a loaded machine it may still be reading the POST's answer: then the interrupt
    // stops it before it asks for the slot, which sends nothing either).
    std::thread::sleep(Duration::from_millis(700));
    let pid = child.id().to_string();
    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status();
    assert!(interrupted.unwrap().success());
    let output = crate::common::wait(&mut child, Duration::from_secs(20));
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(130), "{stdout}");
    let deletes: Vec<_> = gateway
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .collect();
    assert_eq!(deletes.len(), 1, "only the cleanup: {stdout}");
    assert!(gateway.contact_ids().is_empty(), "the contact was removed");
    assert!(
        stdout.contains("interrupted while the request waited for its slot")
            || stdout.contains("interrupted: the remaining steps were not sent"),
        "{stdout}"
    );
}
