//! Live runs cannot harm: against gateways whose create answers point at records the run
//! did not make, and behind a proxy that decodes and normalises paths, the harness deletes
//! nothing but its own records, says which records a person must check, and never writes
//! a key into the ledger.

use std::collections::BTreeMap;

use leadlex_conformance::{Check, Outcome, Verdict};

use crate::common::{
    command, copy_specs, failed_checks, live_env, live_env_with_ledger, run_with, start, text,
};
use crate::support::gateway::{CreateAnswer, Gateway, GatewayConfig};
use crate::support::proxy::DecodingProxy;

const DELETES: &str = "contacts/delete.yaml::deletes_a_contact_it_created";
/// A contact "someone else" made before the run.
const VICTIM: &str = "0f0e0d0c-0b0a-4909-8807-060504030201";

fn gateway_creating(create: CreateAnswer) -> (Gateway, GatewayConfig) {
    let (gateway, config) = start(GatewayConfig {
        create,
        ..GatewayConfig::default()
    });
    gateway.insert_contact(VICTIM);
    (gateway, config)
}

fn deletes_sent(gateway: &Gateway) -> Vec<String> {
    gateway
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.path)
        .collect()
}

fn ledger_text(dir: &tempfile::TempDir) -> String {
    std::fs::read_dir(dir.path())
        .map(|entries| {
            entries
                .flatten()
                .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
                .collect()
        })
        .unwrap_or_default()
}

fn messages(outcome: &Outcome) -> String {
    match &outcome.verdict {
        Verdict::Failed(found)
        | Verdict::Errored {
            mismatches: found, ..
        } => found
            .iter()
            .map(|m| format!("{} {}: {}\n", m.step, m.check, m.actual))
            .collect(),
        other => format!("{other:?}"),
    }
}

#[test]
fn ids_that_a_decoding_proxy_would_turn_into_another_path_are_never_sent() {
    let ids = [
        format!("x/../{VICTIM}"),
        format!("x%2F..%2F{VICTIM}"),
        format!("x%252F..%252F{VICTIM}"),
        format!("x\\..\\{VICTIM}"),
        "..".to_string(),
        "%2e%2e".to_string(),
        "/".to_string(),
        String::new(),
        format!("{VICTIM}?x=1"),
        format!("{VICTIM}#x"),
        format!("{VICTIM};x"),
        format!("{VICTIM}\u{200b}"),
        format!("{VICTIM}\u{0}"),
        format!("{VICTIM}\u{ff0f}.."),
    ];
    for id in ids {
        let (gateway, config) = gateway_creating(CreateAnswer::WithId(id.clone()));
        let proxy = DecodingProxy::start(&gateway.base_url);
        let ledger = tempfile::tempdir().unwrap();
        let mut env = live_env_with_ledger(&gateway, &config, &ledger);
        env.insert("LEADLEX_BASE_URL".into(), proxy.base_url.clone());
        let outcomes = run_with(&env, DELETES);
        let outcome = &outcomes[DELETES];
        assert!(
            gateway.contact_ids().contains(&VICTIM.to_string()),
            "{id:?}: the other contact was deleted; forwarded: {:?}",
            proxy.forwarded()
        );
        assert_eq!(deletes_sent(&gateway), Vec::<String>::new(), "{id:?}");
        assert!(!outcome.verdict.is_success(), "{id:?}");
        assert!(
            failed_checks(outcome).contains(&("setup[0]".into(), Check::Ownership)),
            "{id:?}: {}",
            messages(outcome)
        );
        assert!(
            messages(outcome).contains("cannot be a path parameter"),
            "{id:?}: {}",
            messages(outcome)
        );
        assert_eq!(outcome.left_behind.len(), 1, "{id:?}");
        assert!(
            outcome.left_behind[0].contains("nothing was sent to remove it"),
            "{:?}",
            outcome.left_behind
        );
        assert!(!ledger_text(&ledger).contains("\"created\""), "{id:?}");
    }
}

#[test]
fn without_the_path_rule_the_proxy_would_have_reached_the_other_record() {
    // The attack the rule stops: what a percent-encoded id becomes behind the proxy.
    let (gateway, _config) = gateway_creating(CreateAnswer::Documented);
    let proxy = DecodingProxy::start(&gateway.base_url);
    let url = format!("{}/v1/contacts/x%2F..%2F{VICTIM}", proxy.base_url);
    let forwarded = crate::support::proxy::normalise(
        url.split_once("/api").map(|(_, p)| p).unwrap_or_default(),
    );
    assert_eq!(forwarded, format!("/v1/contacts/{VICTIM}"));
}

#[test]
fn a_create_answer_naming_another_record_gets_nothing_deleted() {
    let (gateway, config) = gateway_creating(CreateAnswer::ExistingRecord);
    let ledger = tempfile::tempdir().unwrap();
    let outcomes = run_with(
        &live_env_with_ledger(&gateway, &config, &ledger),
        "delete.yaml",
    );
    assert_eq!(gateway.contact_ids(), vec![VICTIM.to_string()]);
    assert_eq!(deletes_sent(&gateway), Vec::<String>::new());
    let outcome = &outcomes[DELETES];
    let text = messages(outcome);
    assert!(
        text.contains("does not carry the mark") && text.contains(VICTIM),
        "{text}"
    );
    // The create answer lacked the mark, so the record was read back once to be sure.
    let reads: Vec<_> = gateway
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.ends_with(VICTIM))
        .collect();
    assert!(!reads.is_empty());
    assert!(
        outcome.left_behind[0].contains(VICTIM) && outcome.left_behind[0].contains("check by hand"),
        "{:?}",
        outcome.left_behind
    );
    assert!(!ledger_text(&ledger).contains(VICTIM));
}

#[test]
fn a_create_answer_repeating_its_id_key_is_not_trusted() {
    let (gateway, config) = gateway_creating(CreateAnswer::RepeatedId);
    let ledger = tempfile::tempdir().unwrap();
    let outcomes = run_with(&live_env_with_ledger(&gateway, &config, &ledger), DELETES);
    assert!(gateway.contact_ids().contains(&VICTIM.to_string()));
    assert_eq!(deletes_sent(&gateway), Vec::<String>::new());
    let outcome = &outcomes[DELETES];
    let text = messages(outcome);
    assert!(text.contains("\"id\" appears more than once"), "{text}");
    // The failure text warns that the body shown is what a parser kept.
    let shown = leadlex_conformance::failure_text(outcome, &Default::default(), Default::default());
    assert!(
        shown.contains("this body repeats the key \"id\" in /data"),
        "{shown}"
    );
    assert!(
        outcome.left_behind[0].contains("repeats the key \"id\""),
        "{:?}",
        outcome.left_behind
    );
    assert!(!ledger_text(&ledger).contains("\"created\""));
}

#[test]
fn a_create_answer_without_the_mark_is_read_back_once_and_then_cleaned_up() {
    let (gateway, config) = gateway_creating(CreateAnswer::IdOnly);
    let ledger = tempfile::tempdir().unwrap();
    let outcomes = run_with(&live_env_with_ledger(&gateway, &config, &ledger), DELETES);
    let outcome = &outcomes[DELETES];
    assert_eq!(outcome.verdict, Verdict::Passed, "{}", messages(outcome));
    let steps: Vec<&str> = outcome.exchanges.iter().map(|e| e.step.as_str()).collect();
    assert_eq!(
        steps,
        [
            "setup[0]",
            "ownership check of setup[0]",
            "request",
            "verify[0]"
        ]
    );
    assert_eq!(gateway.contact_ids(), vec![VICTIM.to_string()]);
}

#[test]
fn a_documented_gateway_costs_no_extra_request_for_the_ownership_check() {
    let (gateway, config) = gateway_creating(CreateAnswer::Documented);
    let ledger = tempfile::tempdir().unwrap();
    let outcomes = run_with(&live_env_with_ledger(&gateway, &config, &ledger), DELETES);
    let outcome = &outcomes[DELETES];
    assert_eq!(outcome.verdict, Verdict::Passed, "{}", messages(outcome));
    assert_eq!(gateway.requests().len(), 3, "create, delete, get");
}

#[test]
fn a_create_answer_that_cannot_be_read_names_the_record_once() {
    for create in [CreateAnswer::NoId, CreateAnswer::Unreadable] {
        let (gateway, config) = gateway_creating(create.clone());
        let ledger = tempfile::tempdir().unwrap();
        let outcomes = run_with(&live_env_with_ledger(&gateway, &config, &ledger), DELETES);
        let outcome = &outcomes[DELETES];
        let Verdict::Errored { mismatches, .. } = &outcome.verdict else {
            panic!("{create:?}: {:?}", outcome.verdict);
        };
        // One failure, at its cause: no "variable is not defined" from the cleanup.
        let text = messages(outcome);
        assert!(!text.contains("not defined"), "{create:?}: {text}");
        assert!(
            mismatches.iter().all(|m| m.step == "setup[0]"),
            "{create:?}: {text}"
        );
        assert_eq!(outcome.left_behind.len(), 1, "{create:?}");
        assert!(
            outcome.left_behind[0].contains("search for records marked"),
            "{:?}",
            outcome.left_behind
        );
        assert_eq!(deletes_sent(&gateway), Vec::<String>::new());
    }
}

#[test]
fn a_server_error_on_create_names_what_may_have_been_made() {
    let (gateway, config) = gateway_creating(CreateAnswer::ServerError);
    let ledger = tempfile::tempdir().unwrap();
    let outcomes = run_with(&live_env_with_ledger(&gateway, &config, &ledger), DELETES);
    let outcome = &outcomes[DELETES];
    assert!(matches!(outcome.verdict, Verdict::Errored { .. }));
    assert!(
        outcome.left_behind[0].contains("may have been made anyway"),
        "{:?}",
        outcome.left_behind
    );
}

#[test]
fn an_id_holding_an_api_key_is_never_sent_nor_written_to_the_ledger() {
    let config = GatewayConfig::default();
    let (gateway, config) = gateway_creating(CreateAnswer::WithId(config.full_key.clone()));
    let ledger = tempfile::tempdir().unwrap();
    let outcomes = run_with(&live_env_with_ledger(&gateway, &config, &ledger), DELETES);
    let outcome = &outcomes[DELETES];
    assert!(messages(outcome).contains("is or holds an API key"));
    assert_eq!(deletes_sent(&gateway), Vec::<String>::new());
    assert!(!ledger_text(&ledger).contains(&config.full_key));
    assert!(!outcome.left_behind.concat().contains(&config.full_key));
}

/// Lint refuses such a spec; the engine refuses it again. Here a scenario built in memory
/// (past lint) takes on its own contact, then sends its DELETE to another field of that
/// contact, which holds someone else's id.
/// A scenario built in code (so lint never saw it) whose setup creates a contact of its
/// own and also captures another field of the answer, `other_id`, which the gateway fills
/// with the id of someone else's contact; its request is `main` of `main_op`.
fn scenario_capturing_a_stranger(
    suite: &leadlex_conformance::Suite,
    main_op: &str,
    main: leadlex_conformance::Request,
) -> leadlex_conformance::Scenario {
    use leadlex_conformance::{Captured, Cleanup, Request, Scenario, Step};
    let op = |id: &str| {
        suite
            .operations
            .iter()
            .find(|o| o.id == id)
            .unwrap()
            .clone()
    };
    let step = |label: &str, id: &str, request: Request| Step {
        label: label.into(),
        operation: op(id),
        request,
        expect: Default::default(),
        capture: Vec::new(),
        cleanup: None,
        span: Default::default(),
    };
    let mut create = step(
        "setup[0]",
        "contacts.create",
        request(
            &[],
            Some(serde_json::json!({"full_name": "Conformance {{run_id}}", "first_name": VICTIM})),
        ),
    );
    create.capture = vec![
        Captured {
            name: "contact_id".into(),
            pointer: "/data/id".into(),
            secret: false,
        },
        Captured {
            name: "other_id".into(),
            pointer: "/data/first_name".into(),
            secret: false,
        },
    ];
    create.cleanup = Some(Cleanup {
        operation: op("contacts.delete"),
        request: request(&[("id", "{{contact_id}}")], None),
    });
    Scenario {
        trial_name: format!("{main_op}::in_memory"),
        name: "in_memory".into(),
        operation: op(main_op),
        about: None,
        ignore: None,
        spends_quota: false,
        leaves: None,
        uses: Vec::new(),
        setup: vec![create],
        main: step("request", main_op, main),
        repeat_until_status: None,
        verify: Vec::new(),
        span: Default::default(),
    }
}

/// A request of the full key with these path parameters and body.
fn request(path: &[(&str, &str)], body: Option<serde_json::Value>) -> leadlex_conformance::Request {
    leadlex_conformance::Request {
        credential: "full".into(),
        path: path
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        query: Default::default(),
        body,
        pad: None,
    }
}

/// Runs `scenario` live against `gateway` with the full key, in-process.
fn run_live(
    gateway: &Gateway,
    config: &GatewayConfig,
    suite: std::sync::Arc<leadlex_conformance::Suite>,
    scenario: &leadlex_conformance::Scenario,
) -> Outcome {
    let env = live_env(gateway, config);
    let lookup = |k: &str| env.get(k).cloned();
    let keys = ["LEADLEX_API_KEY", "LEADLEX_API_KEY_NO_DELETE"];
    let settings =
        leadlex_conformance::Config::from_lookup(&lookup, std::path::Path::new("/nowhere"), &keys)
            .unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let delivery = leadlex_conformance::Delivery {
        client: leadlex_conformance::HttpClient::new(&settings).unwrap(),
        limiter: leadlex_conformance::Limiter::new(None, None, settings.max_wait),
        retries: 0,
        observe: false,
    };
    let live_keys = [("full", "LEADLEX_API_KEY")]
        .into_iter()
        .map(|(name, var)| {
            let key = leadlex_conformance::Secret::new(env[var].clone());
            (name.to_string(), (var.to_string(), key))
        })
        .collect();
    let engine = leadlex_conformance::Engine::new(
        suite,
        delivery,
        &gateway.base_url,
        leadlex_conformance::Keys::Live(live_keys),
        "2026RUN".into(),
    )
    .unwrap();
    engine.run(&runtime, scenario)
}

fn shipped_suite() -> std::sync::Arc<leadlex_conformance::Suite> {
    std::sync::Arc::new(leadlex_conformance::load(&crate::common::root().join("specs")).unwrap())
}

#[test]
fn a_scenario_that_would_delete_a_record_it_did_not_create_sends_nothing() {
    let (gateway, config) = gateway_creating(CreateAnswer::Documented);
    let suite = shipped_suite();
    let main = request(&[("id", "{{other_id}}")], None);
    let scenario = scenario_capturing_a_stranger(&suite, "contacts.delete", main);
    let outcome = run_live(&gateway, &config, suite, &scenario);
    let Verdict::Errored { reason, .. } = &outcome.verdict else {
        panic!("{:?}", outcome.verdict);
    };
    assert!(
        reason.contains("not sent: DELETE would address"),
        "{reason}"
    );
    // Only the scenario's own contact was deleted (by its cleanup).
    let deletes = deletes_sent(&gateway);
    assert_eq!(deletes.len(), 1, "{deletes:?}");
    assert!(!deletes[0].ends_with(VICTIM));
    assert_eq!(gateway.contact_ids(), vec![VICTIM.to_string()]);
}

/// The same for ids in a body (`ids_in_body`): a merge that would retire someone else's
/// contact into the scenario's own is never sent, nor a bulk delete naming it.
#[test]
fn a_body_naming_a_record_it_did_not_create_is_not_sent() {
    let (gateway, config) = gateway_creating(CreateAnswer::Documented);
    let suite = shipped_suite();
    let bodies = [
        (
            "contacts.merge",
            serde_json::json!({"primary_id": "{{contact_id}}", "duplicate_ids": ["{{other_id}}"]}),
        ),
        (
            "contacts.merge",
            serde_json::json!({"primary_id": "{{other_id}}", "duplicate_ids": ["{{contact_id}}"]}),
        ),
        (
            "contacts.bulk-delete",
            serde_json::json!({"contact_ids": ["{{contact_id}}", "{{other_id}}"]}),
        ),
    ];
    for (op, body) in bodies {
        let scenario = scenario_capturing_a_stranger(&suite, op, request(&[], Some(body)));
        let outcome = run_live(&gateway, &config, suite.clone(), &scenario);
        let Verdict::Errored { reason, .. } = &outcome.verdict else {
            panic!("{op}: {:?}", outcome.verdict);
        };
        assert!(
            reason.contains("not sent: POST would address") && reason.contains(VICTIM),
            "{op}: {reason}"
        );
    }
    let posts: Vec<String> = gateway
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path != "/v1/contacts")
        .map(|r| r.path)
        .collect();
    assert!(
        posts.is_empty(),
        "nothing but creates was posted: {posts:?}"
    );
    assert_eq!(gateway.contact_ids(), vec![VICTIM.to_string()]);
}

#[test]
fn the_end_of_the_run_lists_what_a_person_must_check() {
    let (gateway, config) = gateway_creating(CreateAnswer::ExistingRecord);
    let ledger = tempfile::tempdir().unwrap();
    let output = command(
        &live_env_with_ledger(&gateway, &config, &ledger),
        &["--exact", DELETES],
    );
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(101), "{stdout}");
    assert!(
        stdout.contains("1 record(s) to check by hand") && stdout.contains(VICTIM),
        "{stdout}"
    );
    assert!(stdout.contains("carry the mark 2"), "{stdout}");
    if std::env::var_os("LEADLEX_SHOW").is_some() {
        println!("{stdout}");
    }
}

#[test]
fn the_cleanup_command_refuses_ledger_urls_a_proxy_could_reinterpret() {
    let (gateway, config) = gateway_creating(CreateAnswer::Documented);
    let ledger = tempfile::tempdir().unwrap();
    let run_id = "20260101T000000Z-abcdef";
    let line = |url: String| {
        format!(
            "{{\"event\":\"created\",\"trial\":\"t\",\"method\":\"DELETE\",\"url\":\"{url}\",\
             \"key_variable\":\"LEADLEX_API_KEY\",\"at\":\"2026-01-01T00:00:00Z\"}}\n"
        )
    };
    let base = &gateway.base_url;
    let lines = [
        line(format!("{base}/v1/contacts/x%2F..%2F{VICTIM}")),
        line(format!("{base}/v1/contacts/x%252F..%252F{VICTIM}")),
    ]
    .concat();
    std::fs::write(ledger.path().join(format!("{run_id}.jsonl")), lines).unwrap();
    let output = command(
        &live_env_with_ledger(&gateway, &config, &ledger),
        &["cleanup", run_id],
    );
    let stdout = text(&output.stdout);
    assert_eq!(deletes_sent(&gateway), Vec::<String>::new(), "{stdout}");
    assert_eq!(stdout.matches("not sent").count(), 2, "{stdout}");
}

/// A copy of the shipped specs declared disposable, whose Get scenario deletes a random id.
fn disposable_specs() -> tempfile::TempDir {
    let specs = tempfile::tempdir().unwrap();
    copy_specs(specs.path());
    let suite = specs.path().join("suite.yaml");
    let text = std::fs::read_to_string(&suite).unwrap();
    std::fs::write(&suite, format!("disposable_target: true\n{text}")).unwrap();
    let file = specs.path().join("contacts/delete.yaml");
    let yaml = std::fs::read_to_string(&file).unwrap().replacen(
        "    request:\n      path: { id: \"{{contact_id}}\" }\n    expect:\n      status: 200",
        "    request:\n      path: { id: \"{{uuid}}\" }\n    expect:\n      status: 200",
        1,
    );
    std::fs::write(&file, yaml).unwrap();
    specs
}

#[test]
fn a_disposable_suite_may_name_any_record_but_only_on_this_machine() {
    let specs = disposable_specs();
    let dir = specs.path().display().to_string();
    let lint = command(
        &BTreeMap::from([("LEADLEX_SPECS".into(), dir.clone())]),
        &["lint"],
    );
    assert!(lint.status.success(), "{}", text(&lint.stderr));
    // The same tree without the declaration is refused by lint.
    let suite = specs.path().join("suite.yaml");
    let declared = std::fs::read_to_string(&suite).unwrap();
    std::fs::write(
        &suite,
        declared.replacen("disposable_target: true\n", "", 1),
    )
    .unwrap();
    let lint = command(
        &BTreeMap::from([("LEADLEX_SPECS".into(), dir.clone())]),
        &["lint"],
    );
    assert_eq!(lint.status.code(), Some(2));
    assert!(text(&lint.stderr).contains("`{{uuid}}` is random"));
    std::fs::write(&suite, declared).unwrap();
    // A live run against a gateway elsewhere is refused before anything is sent.
    let ledger = tempfile::tempdir().unwrap();
    let env = BTreeMap::from([
        ("LEADLEX_SPECS".to_string(), dir),
        (
            "LEADLEX_LEDGER_DIR".to_string(),
            ledger.path().display().to_string(),
        ),
        (
            "LEADLEX_BASE_URL".to_string(),
            "https://gw.example.com/api".to_string(),
        ),
        (
            "LEADLEX_API_KEY".to_string(),
            "wbk_someone_real".to_string(),
        ),
    ]);
    let output = command(&env, &[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("disposable_target: true") && stderr.contains("on this machine"),
        "{stderr}"
    );
}

#[test]
fn against_a_local_gateway_a_disposable_suite_sends_what_it_says() {
    let specs = disposable_specs();
    let (gateway, config) = gateway_creating(CreateAnswer::Documented);
    let ledger = tempfile::tempdir().unwrap();
    let mut env = live_env_with_ledger(&gateway, &config, &ledger);
    env.insert("LEADLEX_SPECS".into(), specs.path().display().to_string());
    let outcomes = run_with(&env, DELETES);
    // The random id does not exist: 404 instead of 200, a failure, but the DELETE was sent.
    let outcome = &outcomes[DELETES];
    assert!(
        matches!(outcome.verdict, Verdict::Failed(_)),
        "{}",
        messages(outcome)
    );
    assert!(
        deletes_sent(&gateway).len() >= 2,
        "the request and the cleanup"
    );
}

#[test]
fn the_stub_answers_429_to_an_exhausted_key() {
    let specs = tempfile::tempdir().unwrap();
    copy_specs(specs.path());
    let suite = specs.path().join("suite.yaml");
    let text_of_suite = std::fs::read_to_string(&suite).unwrap().replacen(
        "    lacks: [contacts:delete]\n",
        "    lacks: [contacts:delete]\n    exhausted: true\n",
        1,
    );
    std::fs::write(&suite, text_of_suite).unwrap();
    let env = BTreeMap::from([(
        "LEADLEX_SPECS".to_string(),
        specs.path().display().to_string(),
    )]);
    let outcomes = run_with(&env, "key_without_delete_permission_is_forbidden");
    let outcome = outcomes.values().next().unwrap();
    let Verdict::Failed(found) = &outcome.verdict else {
        panic!("{:?}", outcome.verdict);
    };
    assert!(
        found
            .iter()
            .any(|m| m.actual.starts_with("429 rate_limited")),
        "{found:?}"
    );
}
