//! The stub never answers what it cannot serve: an operation without a `stub:` behaviour
//! is a lint warning, the scenarios using it (in any step) are ignored in stub runs and
//! run against a gateway, and a request no behaviour matches is a harness error.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use leadlex_conformance::load;
use leadlex_conformance::Config;
use leadlex_conformance::Delivery;
use leadlex_conformance::HttpClient;
use leadlex_conformance::Limiter;
use leadlex_conformance::{Check, Verdict};
use leadlex_conformance::{Engine, Keys};
use leadlex_conformance::{Stub, NO_ROUTE_CODE, NO_ROUTE_STATUS};

use crate::common::{command, copy_specs, junit_in, live_env, root, run_with, start, text};
use crate::support::gateway::GatewayConfig;

/// An operation the stub has no behaviour for: no `stub:` section.
const UPDATE: &str = "\
operation:
  title: Update Contact
  method: PATCH
  path: /v1/contacts/{id}
  doc: https://docs.leadlex.com/api-reference/contacts/update.md
  responses:
    - status: 200
      source: Response section
    - status: 404
      code: not_found
      source: Errors table
      schema: ../schemas/error.schema.json
      example: { error: { code: not_found, message: Contact not found } }

scenarios:
  - name: unknown_id_is_not_found
    about: >-
      Against a stub that answered everything else 404, this passed without a test. (The
      gateway of the tests knows no PATCH, so it answers 404 too.)
    setup:
      - operation: contacts.create
        request: { body: { full_name: \"Conformance {{run_id}}\" } }
        capture: { contact_id: /data/id }
        cleanup: { operation: contacts.delete, request: { path: { id: \"{{contact_id}}\" } } }
    request: { path: { id: \"{{contact_id}}\" }, body: { full_name: x } }
    expect: { status: 404, code: not_found }
";

/// An operation the stub cannot serve that removes contacts: for a cleanup.
const REMOVE: &str = "\
operation:
  title: Remove Contact
  method: DELETE
  path: /v1/contacts/{id}
  doc: https://docs.leadlex.com/api-reference/contacts/delete.md
  responses:
    - status: 200
      source: Response section
";

/// Scenarios of a served operation whose verify step, or only a cleanup, uses the
/// unserved one.
const VERIFIED_BY_UPDATE: &str = "
  - name: verified_by_an_update
    setup:
      - operation: contacts.create
        request: { body: { full_name: \"Conformance {{run_id}}\" } }
        capture: { contact_id: /data/id }
        cleanup: { operation: contacts.delete, request: { path: { id: \"{{contact_id}}\" } } }
    request: { path: { id: \"{{contact_id}}\" } }
    expect: { status: 200 }
    verify:
      - operation: contacts.update
        request: { path: { id: \"{{contact_id}}\" }, body: { full_name: x } }
        expect: { status: 404, code: not_found }

  - name: cleaned_up_by_an_update
    setup:
      - operation: contacts.create
        request: { body: { full_name: \"Conformance {{run_id}}\" } }
        capture: { contact_id: /data/id }
        cleanup:
          operation: contacts.remove
          request: { path: { id: \"{{contact_id}}\" } }
    request: { path: { id: \"{{contact_id}}\" } }
    expect: { status: 200 }
";

const UPDATE_TRIAL: &str = "contacts/update.yaml::unknown_id_is_not_found";
const VERIFIED_TRIAL: &str = "contacts/get.yaml::verified_by_an_update";
const CLEANED_UP_TRIAL: &str = "contacts/get.yaml::cleaned_up_by_an_update";

/// The shipped specs plus the unserved operation and a scenario that verifies with it. The
/// shipped Update Contact is replaced by one without a `stub:`.
fn specs_with_an_unserved_operation() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_specs(dir.path());
    std::fs::write(dir.path().join("contacts/update.yaml"), UPDATE).unwrap();
    std::fs::write(dir.path().join("contacts/remove.yaml"), REMOVE).unwrap();
    let get = dir.path().join("contacts/get.yaml");
    let mut text = std::fs::read_to_string(&get).unwrap();
    text.push_str(VERIFIED_BY_UPDATE);
    std::fs::write(&get, text).unwrap();
    dir
}

/// The scenarios of [`specs_with_an_unserved_operation`]: the shipped ones, Update
/// Contact's replaced by the one of `UPDATE`, and the two of `VERIFIED_BY_UPDATE`.
fn scenarios_with_an_unserved_operation() -> usize {
    let shipped = crate::common::shipped();
    shipped.trials.len() - shipped.matching("contacts/update.yaml::", &[]) + 1 + 2
}

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn lint_warns_about_an_operation_the_stub_cannot_serve_and_still_exits_0() {
    let specs = specs_with_an_unserved_operation();
    let output = command(
        &env(&[("LEADLEX_SPECS", specs.path().to_str().unwrap())]),
        &["lint"],
    );
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        text(&output.stderr)
    );
    let shown = specs.path().display().to_string();
    let warning: String = stdout
        .split("\n\n")
        .next()
        .unwrap()
        .replace(&shown, "specs");
    crate::golden::compare(
        "tests/golden/lint-unserved-warning.txt",
        &format!("{warning}\n"),
    );
    assert!(
        stdout.contains(&format!(
            "{} operations, {} scenarios; no problems found, 2 warnings.",
            crate::common::shipped_operations() + 1,
            scenarios_with_an_unserved_operation()
        )),
        "{stdout}"
    );
}

#[test]
fn stub_runs_ignore_every_scenario_that_uses_it_in_any_step_with_the_reason() {
    let specs = specs_with_an_unserved_operation();
    let reports = tempfile::tempdir().unwrap();
    let junit = junit_in(&reports);
    let output = command(
        &env(&[
            ("LEADLEX_SPECS", specs.path().to_str().unwrap()),
            ("LEADLEX_JUNIT", junit.to_str().unwrap()),
        ]),
        &[],
    );
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", text(&output.stderr));
    assert!(
        stdout.contains(&format!(
            "{} passed; 0 failed; 3 ignored",
            scenarios_with_an_unserved_operation() - 3
        )),
        "{stdout}"
    );
    let reason_of = |op: &str, method: &str| {
        format!(
            "the stub cannot serve {op} ({method} /v1/contacts/{{id}}): its spec has no `stub:` \
             behaviour; set LEADLEX_BASE_URL to run it against a gateway"
        )
    };
    let (reason, removal) = (
        reason_of("contacts.update", "PATCH"),
        reason_of("contacts.remove", "DELETE"),
    );
    for (trial, reason) in [
        (UPDATE_TRIAL, &reason),
        (VERIFIED_TRIAL, &reason),
        (CLEANED_UP_TRIAL, &removal),
    ] {
        assert!(
            stdout
                .lines()
                .any(|line| line.starts_with(&format!("test {trial} "))
                    && line.ends_with(&format!(" ... ignored ({reason})"))),
            "{trial}: {stdout}"
        );
    }
    let report = junit_parser::from_reader(std::io::Cursor::new(
        std::fs::read_to_string(&junit).unwrap(),
    ))
    .unwrap();
    let skipped: Vec<(String, String)> = report
        .suites
        .iter()
        .flat_map(|s| &s.cases)
        .filter(|c| c.status.is_skipped())
        .map(|c| {
            let message = c.status.skipped_as_ref().message.clone();
            (c.original_name.clone(), message)
        })
        .collect();
    assert_eq!(
        skipped,
        vec![
            ("cleaned_up_by_an_update".to_string(), removal.to_string()),
            ("verified_by_an_update".to_string(), reason.to_string()),
            ("unknown_id_is_not_found".to_string(), reason.to_string()),
        ]
    );
}

#[test]
fn live_runs_include_the_scenarios_the_stub_cannot_serve() {
    let specs = specs_with_an_unserved_operation();
    let (gateway, config) = start(GatewayConfig::default());
    let mut env = live_env(&gateway, &config);
    env.insert("LEADLEX_SPECS".into(), specs.path().display().to_string());
    let outcomes = run_with(&env, "update");
    let verdicts: Vec<(&str, bool)> = outcomes
        .values()
        .map(|o| {
            let ignored = matches!(o.verdict, Verdict::Ignored(_));
            (o.trial_name.as_str(), ignored)
        })
        .collect();
    assert_eq!(
        verdicts,
        vec![
            (CLEANED_UP_TRIAL, false),
            (VERIFIED_TRIAL, false),
            // Import Contacts' `update_existing`: the filter's word, in a scenario the
            // stub serves.
            (
                "contacts/import.yaml::update_existing_updates_the_matched_contact",
                false
            ),
            (UPDATE_TRIAL, false)
        ]
    );
    assert!(
        gateway.requests().iter().any(|r| r.method == "PATCH"),
        "the PATCH reached the gateway"
    );
}

/// The engine on its own against the stub, without the plan that would ignore the
/// scenario: what an unmatched request becomes.
#[test]
fn a_request_the_stub_has_no_behaviour_for_is_a_harness_error_not_a_verdict() {
    let specs = specs_with_an_unserved_operation();
    let suite = Arc::new(load(specs.path()).expect("the specs load"));
    let config = Config::from_lookup(&|_| None, Path::new("/nowhere"), &[]).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let stub = runtime.block_on(Stub::start(&suite));
    let delivery = Delivery {
        client: HttpClient::new(&config).unwrap(),
        limiter: Limiter::new(None, None, config.max_wait),
        retries: 0,
        observe: false,
    };
    let engine = Engine::new(
        suite.clone(),
        delivery,
        &stub.base_url(),
        Keys::Stub,
        "run".into(),
    )
    .unwrap();
    for trial in [UPDATE_TRIAL, VERIFIED_TRIAL] {
        let scenario = suite
            .scenarios
            .iter()
            .find(|s| s.trial_name == trial)
            .unwrap();
        let outcome = engine.run(&runtime, scenario);
        let Verdict::Errored { reason, mismatches } = &outcome.verdict else {
            panic!("{trial}: a harness error, not {:?}", outcome.verdict);
        };
        assert!(
            reason.contains("the stub has no behaviour for PATCH /v1/contacts/"),
            "{reason}"
        );
        assert!(mismatches.iter().any(|m| m.check == Check::StubNoRoute));
        let answer = outcome
            .exchanges
            .iter()
            .find(|e| e.method == "PATCH")
            .expect("the PATCH was sent");
        assert_eq!(answer.status, Some(NO_ROUTE_STATUS));
        assert_eq!(answer.response_header("x-leadlex-stub"), Some("no-route"));
        assert!(text(&answer.body).contains(NO_ROUTE_CODE));
    }
    drop(engine);
    drop(stub);
}

#[test]
fn no_shipped_operation_documents_the_stubs_no_route_answer() {
    let suite = load(&root().join("specs")).unwrap();
    for op in &suite.operations {
        assert!(
            op.responses
                .iter()
                .all(|r| r.status != NO_ROUTE_STATUS && r.code.as_deref() != Some(NO_ROUTE_CODE)),
            "{} documents the stub's own answer",
            op.id
        );
    }
}
