//! Live mode, end to end through the command, against a local gateway that behaves as
//! documented (not the stub): the same trials, real HTTP, and nothing touched that the run
//! did not create.

use crate::common::{behaving, command, junit_in, live_env, served, served_env, start, text};
use crate::support::gateway::{Behaviour, GatewayConfig};

#[test]
fn the_same_trials_pass_live_and_leave_nothing_behind() {
    let (gateway, config) = start(GatewayConfig::default());
    let someone_elses = "0b9f3a51-2c4e-4d7a-9e1f-5a6b7c8d9e0f";
    gateway.insert_contact(someone_elses);
    let reports = tempfile::tempdir().unwrap();
    let mut env = served_env(&gateway, &config);
    env.insert(
        "LEADLEX_JUNIT".into(),
        junit_in(&reports).display().to_string(),
    );

    let output = command(&env, &["--test-threads", "2"]);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", text(&output.stderr));
    let (runs, quota) = (served().runs_live(), served().spending_quota());
    assert!(
        stdout.contains(&format!("{runs} passed; 0 failed; {quota} ignored")),
        "{stdout}"
    );
    let spending = served().trials.iter().filter(|t| t.spends_quota);
    for trial in spending.map(|t| t.name.as_str()) {
        assert!(
            stdout.lines().any(|l| {
                l.starts_with(&format!("test {trial} ")) && l.contains(
                "... ignored (spends the workspace's rate-limit quota; set LEADLEX_SPEND_QUOTA=1"
            )
            }),
            "{trial}: {stdout}"
        );
    }

    // Safety: the seeded contact is untouched, every contact the run created is gone, and
    // every DELETE named a contact that this run's own POSTs created.
    assert_eq!(gateway.contact_ids(), vec![someone_elses.to_string()]);
    let requests = gateway.requests();
    let created = requests.iter().filter(|r| r.method == "POST").count();
    assert_eq!(
        created,
        served().live_posts(),
        "every POST of the scenarios' steps (the refused creates too), and one for each shared \
         record, made once for the scenarios that use it"
    );
    assert!(requests.iter().all(|r| !r.path.contains(someone_elses)));
    assert!(requests.iter().any(|r| r.method == "DELETE"));
    assert!(requests.iter().any(|r| r.method == "PATCH"));
    // The run's id, as the summary names it: `run 20261201T071019Z-90fe9f`.
    let run_id = stdout
        .split("run ")
        .filter_map(|rest| rest.get(..23))
        .find(|id| id.as_bytes().get(8) == Some(&b'T') && id.as_bytes().get(15) == Some(&b'Z'))
        .expect("the summary names the run");
    for request in requests.iter().filter(|r| r.method == "POST") {
        assert!(
            request.body.contains(run_id),
            "created records carry the run id {run_id}: {}",
            request.body
        );
    }

    let junit = std::fs::read_to_string(junit_in(&reports)).unwrap();
    let scenarios = served().trials.len();
    assert_eq!(junit.matches("<testcase ").count(), scenarios, "{junit}");
    assert!(
        junit.contains(r#"<property name="target" value="live"/>"#),
        "{junit}"
    );
    assert!(
        junit.contains(r#"<property name="host" value="127.0.0.1"/>"#),
        "{junit}"
    );
    assert!(!junit.contains(&config.full_key) && !stdout.contains(&config.full_key));
}

#[test]
fn a_missing_key_ignores_its_scenarios_with_the_variable_to_set() {
    let (gateway, config) = start(GatewayConfig::default());
    let mut env = live_env(&gateway, &config);
    env.remove("LEADLEX_API_KEY_NO_DELETE");
    env.insert("LEADLEX_JUNIT".into(), "off".into());
    let output = command(&env, &["key_without_delete_permission"]);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("0 passed; 0 failed; 1 ignored"), "{stdout}");
    assert!(stdout.contains("ignored (set LEADLEX_API_KEY_NO_DELETE (a key of the same workspace without the contacts:delete permission) to run it live)"), "{stdout}");
    assert!(
        gateway.requests().is_empty(),
        "an ignored scenario sends nothing"
    );
}

#[test]
fn the_rate_limit_scenario_runs_live_when_opted_in() {
    let (gateway, config) = start(GatewayConfig {
        rate_limit: 10,
        ..GatewayConfig::default()
    });
    let mut env = live_env(&gateway, &config);
    env.insert("LEADLEX_SPEND_QUOTA".into(), "1".into());
    env.insert("LEADLEX_JUNIT".into(), "off".into());
    let output = command(
        &env,
        &["--exact", "contacts/delete.yaml::rate_limit_exceeded"],
    );
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("1 passed; 0 failed"), "{stdout}");
    let requests = gateway.requests();
    assert!(
        requests.len() <= 11,
        "the burst stops at the first 429: {}",
        requests.len()
    );
    assert!(gateway.contact_ids().is_empty());
}

#[test]
fn a_deviating_gateway_fails_the_run_with_exit_code_101() {
    let (gateway, config) = start(behaving(Behaviour::WrongErrorCode));
    let reports = tempfile::tempdir().unwrap();
    let mut env = served_env(&gateway, &config);
    env.insert(
        "LEADLEX_JUNIT".into(),
        junit_in(&reports).display().to_string(),
    );
    let output = command(&env, &[]);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(101), "{stdout}");
    let (runs, quota) = (served().runs_live(), served().spending_quota());
    assert!(
        stdout.contains(&format!("{} passed; 1 failed; {quota} ignored", runs - 1)),
        "{stdout}"
    );
    assert!(
        stdout.contains("error.code: expected insufficient_permissions, got forbidden"),
        "{stdout}"
    );
    let junit = std::fs::read_to_string(junit_in(&reports)).unwrap();
    assert!(
        junit.contains(
            r#"<failure message="error.code: expected insufficient_permissions, got forbidden""#
        ),
        "{junit}"
    );
    assert!(
        junit.contains(r#"<skipped message="spends the workspace"#),
        "{junit}"
    );
}

/// A live run says at its start how many requests it plans and how long they take at the
/// configured rate, and at its end how many it sent; the gateway saw exactly those.
#[test]
fn a_live_run_announces_its_requests_and_counts_what_it_sent() {
    let (gateway, config) = crate::common::start(crate::support::gateway::GatewayConfig::default());
    let ledger = tempfile::tempdir().unwrap();
    let env = crate::common::served_env_with_ledger(&gateway, &config, &ledger);
    let output = crate::common::command(&env, &[]);
    let (stdout, stderr) = (
        crate::common::text(&output.stdout),
        crate::common::text(&output.stderr),
    );
    assert!(output.status.success(), "{stdout}{stderr}");
    let sent = gateway.requests().len();
    // At most a few more: the cleanups that a DELETE under test or in setup makes
    // needless (Delete Contact's, and Update Contact's deleted contact), and those of the
    // creates that expect a refusal.
    let (runs, needless) = (served().runs_live(), served().live_needless_cleanups());
    assert!(needless >= 5, "{needless}");
    assert!(
        stderr.contains(&format!(
            "live run: {runs} scenario(s), about {sent} request(s) (at most {}); at \
             LEADLEX_RATE_LIMIT_RPM=600000 that takes about 1 s",
            sent + needless
        )),
        "{sent}: {stderr}"
    );
    assert!(
        stdout.contains(&format!(
            "sent {sent} request(s), cleanup and retries included (planned: about {sent})"
        )),
        "{stdout}"
    );
}

/// The shared contact is made once for the scenarios that use it, written to the ledger,
/// and removed when the run ends (after every scenario that reads it).
#[test]
fn the_shared_contact_is_made_once_and_removed_at_the_end() {
    let (gateway, config) = crate::common::start(crate::support::gateway::GatewayConfig::default());
    let ledger = tempfile::tempdir().unwrap();
    let env = crate::common::served_env_with_ledger(&gateway, &config, &ledger);
    let output = crate::common::command(&env, &["--test-threads", "4"]);
    assert!(
        output.status.success(),
        "{}",
        crate::common::text(&output.stdout)
    );
    let requests = gateway.requests();
    let made: Vec<_> = requests
        .iter()
        .filter(|r| r.method == "POST" && r.body.contains("shared"))
        .collect();
    assert_eq!(made.len(), 1, "made once");
    let shared_reads = requests.iter().filter(|r| r.method == "GET").count();
    assert!(shared_reads >= 3, "read by the scenarios that use it");
    let last = requests.last().unwrap();
    assert_eq!(last.method, "DELETE", "removed last, when the run ends");
    assert!(
        gateway.contact_ids().is_empty(),
        "{:?}",
        gateway.contact_ids()
    );
    let text: String = std::fs::read_dir(ledger.path())
        .unwrap()
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    let shared_lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("shared contact"))
        .collect();
    assert_eq!(shared_lines.len(), 2, "created, then removed: {text}");
}

/// A reader of stdout that goes away early (`leadlex-conformance | head -1`, or a `jq`
/// that stops at a parse error) must not stop the run before it cleans up: libtest's
/// printer panics on the closed pipe, and the shared contact was left on the gateway, the
/// reports never written.
#[test]
fn a_reader_that_goes_away_stops_neither_the_cleanup_nor_the_reports() {
    use std::io::BufRead;
    let (gateway, config) = crate::common::start(crate::support::gateway::GatewayConfig::default());
    let ledger = tempfile::tempdir().unwrap();
    let reports = tempfile::tempdir().unwrap();
    // The specs the local gateway plays.
    let mut env = crate::common::served_env_with_ledger(&gateway, &config, &ledger);
    let specs = std::path::PathBuf::from(env["LEADLEX_SPECS"].clone());
    let junit = reports.path().join("junit.xml");
    env.insert("LEADLEX_JUNIT".into(), junit.display().to_string());
    env.insert("LEADLEX_COVERAGE".into(), "off".into());
    for format in [
        &["--test-threads", "2"][..],
        &["--format", "json"],
        &["--test-threads", "1"],
    ] {
        let args = format.to_vec();
        let mut child = crate::common::spawn(&env, &args);
        let mut first = String::new();
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        stdout.read_line(&mut first).unwrap();
        drop(stdout);
        let output = child.wait_with_output().unwrap();
        let stderr = crate::common::text(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{format:?}: {first}{stderr}");
        assert!(
            gateway.contact_ids().is_empty(),
            "{format:?}: left on the gateway: {:?}\n{stderr}",
            gateway.contact_ids()
        );
        let report = std::fs::read_to_string(&junit).unwrap();
        assert!(!report.contains("did not finish"), "{format:?}: {report}");
        // Every scenario is reported, as without the reader going away.
        let suite = leadlex_conformance::load(&specs).unwrap();
        let reported = report.matches("<testcase ").count();
        assert_eq!(reported, suite.scenarios.len(), "{format:?}: {report}");
    }
}
