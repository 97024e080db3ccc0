//! Each deviation from the documentation fails the right trial, naming the check, while a
//! gateway that behaves as documented passes every trial.

use leadlex_conformance::{Check, Verdict};

use crate::common::{behaving, failed_checks, live_env, run_with, served, served_env, start};
use crate::support::gateway::{Behaviour, GatewayConfig};

const DELETES: &str = "contacts/delete.yaml::deletes_a_contact_it_created";
const FORBIDDEN: &str = "contacts/delete.yaml::key_without_delete_permission_is_forbidden";
const DELETE_401: &str = "contacts/delete.yaml::invalid_key_is_rejected";
const GET_401: &str = "contacts/get.yaml::invalid_key_is_rejected";

/// Runs every scenario against a gateway with one behaviour; returns trial → failed checks.
fn failures_with(behaviour: Behaviour) -> Vec<(String, Vec<(String, Check)>)> {
    let (gateway, config) = start(behaving(behaviour));
    let outcomes = run_with(&served_env(&gateway, &config), "");
    assert_eq!(
        outcomes.len(),
        served().trials.len(),
        "every scenario the gateway plays ran"
    );
    assert!(
        gateway.contact_ids().is_empty() || behaviour == Behaviour::Stall,
        "{behaviour:?}: cleanup removed every created contact, left {:?}",
        gateway.contact_ids()
    );
    outcomes
        .values()
        .filter(|o| !o.verdict.is_success())
        .map(|o| (o.trial_name.clone(), failed_checks(o)))
        .collect()
}

/// The scenario that deletes a contact of its own in setup (to update a deleted one): a
/// deviating successful DELETE leaves it unjudged, its setup failed, not its request.
const DELETES_IN_SETUP: &str = "contacts/update.yaml::a_deleted_contact_is_not_found";

fn only_failure(behaviour: Behaviour) -> (String, Vec<(String, Check)>) {
    let mut failures = failures_with(behaviour);
    failures.retain(|(trial, checks)| {
        let in_setup =
            trial == DELETES_IN_SETUP && checks.iter().all(|(step, _)| step.starts_with("setup["));
        !in_setup
    });
    assert_eq!(
        failures.len(),
        1,
        "{behaviour:?} fails exactly one trial: {failures:#?}"
    );
    failures.remove(0)
}

fn request(check: Check) -> (String, Check) {
    ("request".to_string(), check)
}

#[test]
fn a_documented_gateway_passes_every_trial() {
    let (gateway, config) = start(GatewayConfig::default());
    let outcomes = run_with(&served_env(&gateway, &config), "");
    assert_eq!(outcomes.len(), served().trials.len());
    let spending: Vec<&str> = served()
        .trials
        .iter()
        .filter(|t| t.spends_quota)
        .map(|t| t.name.as_str())
        .collect();
    assert!(spending.len() >= 2, "{spending:?}");
    for outcome in outcomes.values() {
        if spending.contains(&outcome.trial_name.as_str()) {
            assert!(
                matches!(&outcome.verdict, Verdict::Ignored(r) if r.contains("LEADLEX_SPEND_QUOTA=1"))
            );
        } else {
            assert_eq!(outcome.verdict, Verdict::Passed, "{}", outcome.trial_name);
        }
    }
    assert!(gateway.contact_ids().is_empty(), "nothing left behind");
}

#[test]
fn wrong_status_fails_the_success_trial_on_status() {
    let (trial, checks) = only_failure(Behaviour::WrongStatus);
    assert_eq!(trial, DELETES);
    assert_eq!(checks, vec![request(Check::Status)]);
}

#[test]
fn wrong_error_code_fails_the_403_trial_on_error_code() {
    let (trial, checks) = only_failure(Behaviour::WrongErrorCode);
    assert_eq!(trial, FORBIDDEN);
    assert_eq!(checks, vec![request(Check::ErrorCode)]);
}

#[test]
fn deleted_false_fails_the_schema_and_the_equality() {
    let (trial, checks) = only_failure(Behaviour::DeletedFalse);
    assert_eq!(trial, DELETES);
    assert_eq!(
        checks,
        vec![
            request(Check::Schema),
            request(Check::Equals("/data/deleted".into()))
        ]
    );
}

#[test]
fn another_id_echoed_fails_the_id_equality() {
    let (trial, checks) = only_failure(Behaviour::OtherIdEchoed);
    assert_eq!(trial, DELETES);
    assert_eq!(checks, vec![request(Check::Equals("/data/id".into()))]);
}

#[test]
fn a_missing_data_envelope_fails_the_schema() {
    let (trial, checks) = only_failure(Behaviour::NoDataEnvelope);
    assert_eq!(trial, DELETES);
    assert!(checks.contains(&request(Check::Schema)), "{checks:?}");
    assert!(
        checks.contains(&request(Check::Equals("/data/id".into()))),
        "{checks:?}"
    );
}

#[test]
fn a_missing_rate_limit_header_fails_every_trial() {
    let failures = failures_with(Behaviour::MissingRateLimitHeader);
    assert_eq!(
        failures.len(),
        served().runs_live(),
        "every trial that ran: {failures:#?}"
    );
    for (trial, checks) in failures {
        assert!(
            checks
                .iter()
                .any(|(_, c)| *c == Check::Header("X-RateLimit-Remaining".into())),
            "{trial}: {checks:?}"
        );
    }
}

#[test]
fn an_html_error_page_fails_the_401_trials_on_the_body() {
    let failures = failures_with(Behaviour::HtmlErrorPage);
    let trials: Vec<&str> = failures.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        trials,
        vec![
            "contacts/create.yaml::invalid_key_is_rejected",
            DELETE_401,
            GET_401,
            "contacts/list.yaml::invalid_key_is_rejected",
            "contacts/update.yaml::invalid_key_is_rejected",
        ]
    );
    for (_, checks) in &failures {
        assert_eq!(
            checks,
            &vec![request(Check::MediaType), request(Check::Body)]
        );
    }
}

/// The text of the only failure a behaviour causes, with its one failed check.
fn media_type_failure(behaviour: Behaviour) -> String {
    let (trial, checks) = only_failure(behaviour);
    assert_eq!(trial, DELETES);
    assert_eq!(checks, vec![request(Check::MediaType)], "{behaviour:?}");
    let (gateway, config) = start(behaving(behaviour));
    let outcomes = run_with(&live_env(&gateway, &config), DELETES);
    leadlex_conformance::failure_text(&outcomes[DELETES], &Default::default(), Default::default())
}

/// Where the spec expects the 200 of the Delete scenario: its `expect:` line.
fn expect_line_of_the_delete_scenario() -> String {
    let text =
        std::fs::read_to_string(crate::common::root().join("specs/contacts/delete.yaml")).unwrap();
    let scenario = text.find("- name: deletes_a_contact_it_created").unwrap();
    let line = text[..scenario].lines().count()
        + text[scenario..]
            .lines()
            .position(|l| l.trim() == "expect:")
            .unwrap();
    format!("promised at: specs/contacts/delete.yaml:{line}:")
}

#[test]
fn documented_json_sent_as_text_plain_fails_its_own_media_type_check() {
    let text = media_type_failure(Behaviour::JsonAsTextPlain);
    assert!(
        text.starts_with("Content-Type: expected application/json, got \"text/plain\""),
        "{text}"
    );
    assert!(
        text.contains(&expect_line_of_the_delete_scenario()),
        "{text}"
    );
    assert!(
        text.contains("content-type: text/plain"),
        "the header is shown: {text}"
    );
}

#[test]
fn documented_json_without_a_content_type_fails_its_own_media_type_check() {
    let text = media_type_failure(Behaviour::NoContentType);
    assert!(
        text.starts_with("Content-Type: expected application/json, got no Content-Type header"),
        "{text}"
    );
    assert!(
        text.contains(&expect_line_of_the_delete_scenario()),
        "{text}"
    );
}

#[test]
fn an_empty_body_fails_the_success_trial_on_the_body() {
    let (trial, checks) = only_failure(Behaviour::EmptyBody);
    assert_eq!(trial, DELETES);
    assert_eq!(checks, vec![request(Check::Body)]);
}

#[test]
fn a_gateway_ignoring_the_permission_fails_the_403_trial_and_its_verification() {
    let (trial, checks) = only_failure(Behaviour::DeleteIgnoresPermission);
    assert_eq!(trial, FORBIDDEN);
    assert_eq!(
        checks,
        vec![
            request(Check::Status),
            ("verify[0]".to_string(), Check::Status)
        ]
    );
}

#[test]
fn failure_messages_name_the_check_the_spec_line_and_both_values() {
    let (gateway, config) = start(behaving(Behaviour::WrongErrorCode));
    let outcomes = run_with(&live_env(&gateway, &config), FORBIDDEN);
    let text = leadlex_conformance::failure_text(
        &outcomes[FORBIDDEN],
        &Default::default(),
        Default::default(),
    );
    assert!(
        text.starts_with("error.code: expected insufficient_permissions, got forbidden"),
        "{text}"
    );
    assert!(text.contains("specs/contacts/delete.yaml:"), "{text}");
    assert!(
        text.contains("\"code\": \"forbidden\""),
        "the body is shown pretty-printed: {text}"
    );
    assert!(
        !text.contains(&config.no_delete_key) && !text.contains(&config.full_key),
        "{text}"
    );
}

#[test]
fn schema_failures_give_the_pointer_and_the_schema_path() {
    let (gateway, config) = start(behaving(Behaviour::DeletedFalse));
    let outcomes = run_with(&live_env(&gateway, &config), DELETES);
    let Verdict::Failed(found) = &outcomes[DELETES].verdict else {
        panic!("{:?}", outcomes[DELETES].verdict)
    };
    let schema = found
        .iter()
        .find(|m| m.check == Check::Schema)
        .expect("a schema mismatch");
    assert_eq!(schema.pointer.as_deref(), Some("/data/deleted"));
    assert_eq!(
        schema.schema_path.as_deref(),
        Some("/properties/data/properties/deleted/const")
    );
}

#[test]
fn a_stalling_gateway_fails_within_the_timeout() {
    let (gateway, config) = start(behaving(Behaviour::Stall));
    let mut env = live_env(&gateway, &config);
    env.insert("LEADLEX_TIMEOUT_SECS".into(), "0.5".into());
    let started = std::time::Instant::now();
    let outcomes = run_with(&env, GET_401);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "bounded: {:?}",
        started.elapsed()
    );
    let Verdict::Errored { reason, .. } = &outcomes[GET_401].verdict else {
        panic!("{:?}", outcomes[GET_401].verdict)
    };
    assert!(
        reason.contains("no complete response within 0.5 s"),
        "{reason}"
    );
}

/// The 403 trials of the Read permission (Get and List Contacts) fail on their status when
/// the write-only key may read.
#[test]
fn a_gateway_ignoring_the_read_permission_fails_both_read_403_trials() {
    let failures = failures_with(Behaviour::ReadIgnoresPermission);
    let trials: Vec<&str> = failures.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        trials,
        vec![
            "contacts/get.yaml::key_without_read_permission_is_forbidden",
            "contacts/list.yaml::key_without_read_permission_is_forbidden",
        ]
    );
    for (trial, checks) in &failures {
        assert!(
            checks.contains(&request(Check::Status)),
            "{trial}: {checks:?}"
        );
    }
}

/// Every 429 trial the gateway plays fails on its status when the gateway never answers
/// 429, and leaves nothing behind.
#[test]
fn a_gateway_without_a_rate_limit_fails_every_429_trial() {
    let (gateway, config) = start(behaving(Behaviour::NoRateLimit));
    let mut env = served_env(&gateway, &config);
    env.insert("LEADLEX_SPEND_QUOTA".into(), "1".into());
    // Each burst runs to its bound (1000 requests).
    env.insert("LEADLEX_MAX_REQUESTS".into(), "20000".into());
    let outcomes = run_with(&env, "rate_limit_exceeded");
    let spending: Vec<&str> = served()
        .trials
        .iter()
        .filter(|t| t.spends_quota)
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(
        outcomes.keys().map(String::as_str).collect::<Vec<_>>(),
        spending
    );
    for trial in [
        "contacts/create.yaml::rate_limit_exceeded",
        "contacts/get.yaml::rate_limit_exceeded",
        "contacts/list.yaml::rate_limit_exceeded",
    ] {
        assert!(spending.contains(&trial), "{trial} in {spending:?}");
    }
    for outcome in outcomes.values() {
        let checks = failed_checks(outcome);
        assert!(
            matches!(outcome.verdict, Verdict::Failed(_))
                && checks.contains(&request(Check::Status)),
            "{}: {:?}",
            outcome.trial_name,
            outcome.verdict
        );
    }
    assert!(
        gateway.contact_ids().is_empty(),
        "{:?}",
        gateway.contact_ids()
    );
}

/// A gateway that creates where 400 is documented fails both 400 trials and the 429 trial
/// of Create Contact; the 429 trial's burst stops at the first contact made, and every
/// contact made is removed.
#[test]
fn a_create_that_skips_validation_fails_the_refusals_and_its_contacts_are_removed() {
    let (gateway, config) = start(GatewayConfig {
        create: crate::support::gateway::CreateAnswer::IgnoresValidation,
        ..GatewayConfig::default()
    });
    let mut env = live_env(&gateway, &config);
    env.insert("LEADLEX_SPEND_QUOTA".into(), "1".into());
    let outcomes = run_with(&env, "contacts/create.yaml::");
    let failed: Vec<&str> = outcomes
        .values()
        .filter(|o| !o.verdict.is_success())
        .map(|o| o.scenario.as_str())
        .collect();
    assert_eq!(
        failed,
        vec![
            "created_date_more_than_five_years_back_is_refused",
            "no_name_and_no_email_is_a_validation_error",
            "rate_limit_exceeded",
        ]
    );
    let burst = &outcomes["contacts/create.yaml::rate_limit_exceeded"];
    assert_eq!(failed_checks(burst), vec![request(Check::Status)]);
    let text = leadlex_conformance::failure_text(burst, &Default::default(), Default::default());
    assert!(
        text.starts_with("status: expected 429 rate_limited within 1 requests"),
        "{text}"
    );
    assert!(
        gateway.contact_ids().is_empty(),
        "{:?}",
        gateway.contact_ids()
    );
    let marked_posts = gateway
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.body.contains("+1 555 0100"))
        .count();
    assert_eq!(
        marked_posts, 2,
        "the 400 trial's create and one of the burst"
    );
}
