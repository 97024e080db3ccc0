//! Live mode over HTTPS against a local TLS gateway whose CA is made in the test:
//! certificates are verified, a CA bundle can be added, and a wrong certificate is a
//! clear failure, never a silent pass.

use std::collections::BTreeMap;

use leadlex_conformance::run_quietly;
use leadlex_conformance::Verdict;

use crate::common::{live_env, root, run_with};
use crate::support::gateway::{Gateway, GatewayConfig};
use crate::support::tls::{self_signed, test_pki, TestPki};

const GET_401: &str = "contacts/get.yaml::invalid_key_is_rejected";

fn https_gateway(pki: &TestPki) -> (Gateway, GatewayConfig) {
    let config = GatewayConfig {
        tls: Some(pki.identity()),
        ..GatewayConfig::default()
    };
    (Gateway::start(config.clone()), config)
}

fn with_ca(env: &mut BTreeMap<String, String>, dir: &tempfile::TempDir, pem: &str) {
    let path = dir.path().join("ca.pem");
    std::fs::write(&path, pem).unwrap();
    env.insert("LEADLEX_CA_BUNDLE".into(), path.display().to_string());
}

#[test]
fn every_trial_passes_over_https_with_the_test_ca() {
    let pki = test_pki(&["127.0.0.1", "localhost"]);
    let (gateway, config) = https_gateway(&pki);
    assert!(gateway.base_url.starts_with("https://"));
    let dir = tempfile::tempdir().unwrap();
    let mut env = crate::common::served_env(&gateway, &config);
    with_ca(&mut env, &dir, &pki.ca_pem);
    let outcomes = run_with(&env, "");
    assert_eq!(outcomes.len(), crate::common::gateway_scenario_count());
    for outcome in outcomes.values() {
        assert!(
            matches!(outcome.verdict, Verdict::Passed | Verdict::Ignored(_)),
            "{}: {:?}",
            outcome.trial_name,
            outcome.verdict
        );
    }
    assert!(gateway.contact_ids().is_empty());
}

#[test]
fn an_untrusted_certificate_fails_clearly() {
    let pki = test_pki(&["127.0.0.1"]);
    let (gateway, config) = https_gateway(&pki);
    let outcomes = run_with(&live_env(&gateway, &config), GET_401);
    let Verdict::Errored { reason, .. } = &outcomes[GET_401].verdict else {
        panic!("{:?}", outcomes[GET_401].verdict)
    };
    assert!(reason.contains("certificate"), "{reason}");
    assert!(
        gateway.requests().is_empty(),
        "nothing is sent over an unverified connection"
    );
}

#[test]
fn a_self_signed_certificate_is_rejected_even_with_a_ca_bundle() {
    let pki = self_signed(&["127.0.0.1"]);
    let (gateway, config) = https_gateway(&pki);
    let dir = tempfile::tempdir().unwrap();
    let mut env = live_env(&gateway, &config);
    with_ca(&mut env, &dir, &pki.ca_pem);
    let outcomes = run_with(&env, GET_401);
    let Verdict::Errored { reason, .. } = &outcomes[GET_401].verdict else {
        panic!("{:?}", outcomes[GET_401].verdict)
    };
    assert!(reason.contains("invalid peer certificate"), "{reason}");
}

#[test]
fn a_bad_ca_bundle_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ca.pem");
    std::fs::write(&path, "not a certificate").unwrap();
    let env: BTreeMap<String, String> = [
        (
            "LEADLEX_BASE_URL".to_string(),
            "https://127.0.0.1:9".to_string(),
        ),
        (
            "LEADLEX_API_KEY".to_string(),
            "wbk_x_0123456789".to_string(),
        ),
        ("LEADLEX_CA_BUNDLE".to_string(), path.display().to_string()),
    ]
    .into();
    let error = run_quietly(&|k| env.get(k).cloned(), root(), GET_401).unwrap_err();
    assert!(
        error.contains("LEADLEX_CA_BUNDLE") && error.contains("ca.pem"),
        "{error}"
    );
}
