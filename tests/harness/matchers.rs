//! Body matchers end to end: a List Contacts scenario tree that uses every matcher runs live
//! against the test gateway, once as documented (every trial passes) and once per
//! deviation of its List Contacts ([`ListAnswer`]), each of which must fail exactly the
//! matchers that catch it, in the right trial and step. The shipped `contacts/list.yaml`
//! must fail on every deviation too, and failure texts locate the matcher.

use std::collections::{BTreeMap, BTreeSet};

use leadlex_conformance::{Outcome, Verdict};

use crate::common::{copy_specs, failed_checks, live_env, run_with, start};
use crate::support::gateway::{GatewayConfig, ListAnswer};

/// The List Contacts of the tree: no schema (so that a failure is the matchers' alone),
/// four scenarios that read only what they create, every matcher at least once.
const LIST: &str = r#"operation:
  title: List Contacts
  method: GET
  path: /v1/contacts
  doc: https://docs.leadlex.com/api-reference/contacts/list
  responses:
    - status: 200
      example: { data: { contacts: [] }, meta: { page: 1, per_page: 50, total: 0 } }

scenarios:
  - name: search
    setup:
      - operation: contacts.create
        request: { body: { full_name: "Conformance {{run_id}}-search-a" } }
        capture: { searched_id: /data/id }
        cleanup: { operation: contacts.delete, request: { path: { id: "{{searched_id}}" } } }
      - operation: contacts.create
        request: { body: { full_name: "Conformance {{run_id}}-search-b" } }
        capture: { sibling_id: /data/id }
        cleanup: { operation: contacts.delete, request: { path: { id: "{{sibling_id}}" } } }
    request: { query: { search: "{{run_id}}-search-a" } }
    expect:
      status: 200
      body:
        - { at: /data/contacts, length: 1 }
        - { at: /data/contacts, min_length: 1 }
        - { at: /data/contacts, contains: { id: "{{searched_id}}" } }
        - { at: /data/contacts/0/full_name, contains: "{{run_id}}-search-a" }
        - { at: /data/contacts/0/created_at, matches: '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$' }
        - { at: /data/contacts/0/created_at, present: true }
        - { at: /data/contacts/0/created_date, absent: true }
        - { at: /meta/total, type: integer }
        - { at: /meta/total, equals: 1 }
        - { at: /meta/total, less_than: 2 }

  - name: after
    setup:
      - operation: contacts.create
        request: { body: { full_name: "Conformance {{run_id}}-after" } }
        capture: { recent_id: /data/id }
        cleanup: { operation: contacts.delete, request: { path: { id: "{{recent_id}}" } } }
    request: { query: { search: "{{run_id}}-after", created_after: "2100-01-01T00:00:00Z" } }
    expect:
      status: 200
      body:
        - { at: /data/contacts, length: 0 }
        - { at: /data/contacts/0, absent: true }
        - { at: /meta/total, at_most: 0 }

  - name: pages
    setup:
      - operation: contacts.create
        request: { body: { full_name: "Conformance {{run_id}}-pages-1" } }
        capture: { first_id: /data/id }
        cleanup: { operation: contacts.delete, request: { path: { id: "{{first_id}}" } } }
      - operation: contacts.create
        request: { body: { full_name: "Conformance {{run_id}}-pages-2" } }
        capture: { second_id: /data/id }
        cleanup: { operation: contacts.delete, request: { path: { id: "{{second_id}}" } } }
      - operation: contacts.create
        request: { body: { full_name: "Conformance {{run_id}}-pages-3" } }
        capture: { third_id: /data/id }
        cleanup: { operation: contacts.delete, request: { path: { id: "{{third_id}}" } } }
    request: { query: { search: "{{run_id}}-pages", per_page: 2, page: 1 } }
    expect:
      status: 200
      body:
        - { at: /data/contacts, max_length: 2 }
        - { at: /meta/per_page, equals: 2 }
        - { at: /meta/total, at_least: 3 }
        - { at: /meta/total, greater_than: 2 }
    verify:
      - operation: contacts.list
        request: { query: { search: "{{run_id}}-pages", per_page: 2, page: 2 } }
        expect:
          status: 200
          body:
            - { at: /data/contacts, contains: { id: "{{third_id}}" } }
            - { at: /meta/page, equals: 2 }

  - name: sort
    setup:
      - operation: contacts.create
        request: { body: { full_name: "Conformance {{run_id}}-sort-carol" } }
        capture: { carol_id: /data/id }
        cleanup: { operation: contacts.delete, request: { path: { id: "{{carol_id}}" } } }
      - operation: contacts.create
        request: { body: { full_name: "Conformance {{run_id}}-sort-alice" } }
        capture: { alice_id: /data/id }
        cleanup: { operation: contacts.delete, request: { path: { id: "{{alice_id}}" } } }
      - operation: contacts.create
        request: { body: { full_name: "Conformance {{run_id}}-sort-bob" } }
        capture: { bob_id: /data/id }
        cleanup: { operation: contacts.delete, request: { path: { id: "{{bob_id}}" } } }
    request: { query: { search: "{{run_id}}-sort", sort: full_name } }
    expect:
      status: 200
      body:
        - { at: /data/contacts, sorted_by: { field: full_name, order: ascending } }
    verify:
      - operation: contacts.list
        request: { query: { search: "{{run_id}}-sort", sort: "-full_name" } }
        expect:
          status: 200
          body:
            - { at: /data/contacts, sorted_by: { field: full_name, order: descending } }
"#;

/// The shipped specs with the tree's List Contacts in place of the shipped one.
fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_specs(dir.path());
    std::fs::write(dir.path().join("contacts/list.yaml"), LIST).unwrap();
    dir
}

/// `(trial, step, check)` of every failed check.
type Failures = BTreeSet<(String, String, String)>;

/// Runs the List Contacts trials of `specs` (the shipped ones when `None`), one at a time so
/// that each trial's gateway holds only its own contacts, against a gateway whose list
/// answers `list`; every created contact must be gone afterwards.
fn run(
    specs: Option<&tempfile::TempDir>,
    list: ListAnswer,
) -> (Failures, BTreeMap<String, Outcome>) {
    let (gateway, config) = start(GatewayConfig {
        list,
        ..GatewayConfig::default()
    });
    let mut env = live_env(&gateway, &config);
    env.insert("LEADLEX_CONCURRENCY".into(), "1".into());
    if let Some(specs) = specs {
        env.insert("LEADLEX_SPECS".into(), specs.path().display().to_string());
    }
    let outcomes = run_with(&env, "contacts/list.yaml");
    // The tree of these tests has four scenarios; the shipped spec its own (the 401 and
    // 403 among them, and its 429, which spends quota and is ignored here).
    let shipped = crate::common::shipped();
    let scenarios = match specs {
        Some(_) => 4,
        None => shipped.matching("contacts/list.yaml::", &[]),
    };
    assert_eq!(
        outcomes.len(),
        scenarios,
        "{list:?}: every list scenario ran"
    );
    assert!(
        gateway.contact_ids().is_empty(),
        "{list:?}: cleanup removed every contact"
    );
    let mut failures = Failures::new();
    for outcome in outcomes.values() {
        let quota = matches!(&outcome.verdict, Verdict::Ignored(r) if r.contains("SPEND_QUOTA"));
        assert!(
            matches!(outcome.verdict, Verdict::Passed | Verdict::Failed(_)) || quota,
            "{list:?}: {} was judged: {:?}",
            outcome.trial_name,
            outcome.verdict
        );
        let trial = outcome
            .trial_name
            .trim_start_matches("contacts/list.yaml::");
        for (step, check) in failed_checks(outcome) {
            failures.insert((trial.to_string(), step, check.to_string()));
        }
    }
    (failures, outcomes)
}

/// The expected failures, written `trial step check`.
fn expected(lines: &[&str]) -> Failures {
    lines
        .iter()
        .map(|line| {
            let mut parts = line.splitn(3, ' ');
            let mut next = || parts.next().unwrap().to_string();
            (next(), next(), next())
        })
        .collect()
}

#[test]
fn every_matcher_passes_against_the_documented_list() {
    let specs = tree();
    let (failures, _) = run(Some(&specs), ListAnswer::Documented);
    assert_eq!(failures, Failures::new());
}

/// Each deviation fails exactly the matchers that see it, in the trial and step that look.
#[test]
fn each_deviation_fails_exactly_the_matchers_that_catch_it() {
    let specs = tree();
    let cases: &[(ListAnswer, &[&str])] = &[
        (
            ListAnswer::SortReversed,
            &[
                "sort request sorted_by /data/contacts",
                "sort verify[0] sorted_by /data/contacts",
                // Page 2 of the default order, reversed, holds the first contact.
                "pages verify[0] contains /data/contacts",
            ],
        ),
        (
            ListAnswer::IgnoresSort,
            &[
                "sort request sorted_by /data/contacts",
                "sort verify[0] sorted_by /data/contacts",
            ],
        ),
        (
            ListAnswer::IgnoresSearch,
            &[
                "search request length /data/contacts",
                "search request equals /meta/total",
                "search request less_than /meta/total",
            ],
        ),
        (
            ListAnswer::ExactSearchOnly,
            &[
                "search request length /data/contacts",
                "search request min_length /data/contacts",
                "search request contains /data/contacts",
                "search request contains /data/contacts/0/full_name",
                "search request matches /data/contacts/0/created_at",
                "search request present /data/contacts/0/created_at",
                "search request equals /meta/total",
                "pages request at_least /meta/total",
                "pages request greater_than /meta/total",
                "pages verify[0] contains /data/contacts",
            ],
        ),
        (
            ListAnswer::IgnoresPerPage,
            &[
                "pages request max_length /data/contacts",
                "pages request equals /meta/per_page",
                "pages verify[0] contains /data/contacts",
            ],
        ),
        (
            ListAnswer::IgnoresPage,
            &[
                "pages verify[0] contains /data/contacts",
                "pages verify[0] equals /meta/page",
            ],
        ),
        (
            ListAnswer::IgnoresCreatedAfter,
            &[
                "after request length /data/contacts",
                "after request absent /data/contacts/0",
                "after request at_most /meta/total",
            ],
        ),
        (
            ListAnswer::TotalCountsThePage,
            &[
                "pages request at_least /meta/total",
                "pages request greater_than /meta/total",
            ],
        ),
        (
            ListAnswer::TotalAsString,
            &[
                "search request type /meta/total",
                "search request equals /meta/total",
                "search request less_than /meta/total",
                "after request at_most /meta/total",
                "pages request at_least /meta/total",
                "pages request greater_than /meta/total",
            ],
        ),
        (
            ListAnswer::CreatedDateInsteadOfCreatedAt,
            &[
                "search request matches /data/contacts/0/created_at",
                "search request present /data/contacts/0/created_at",
                "search request absent /data/contacts/0/created_date",
            ],
        ),
        (
            ListAnswer::TimestampsWithOffset,
            &["search request matches /data/contacts/0/created_at"],
        ),
    ];
    let mut seen = BTreeSet::new();
    for (list, wanted) in cases {
        let (failures, _) = run(Some(&specs), *list);
        assert_eq!(failures, expected(wanted), "{list:?}");
        seen.extend(
            failures
                .into_iter()
                .map(|(_, _, check)| check.split(' ').next().unwrap().to_string()),
        );
    }
    // Every matcher failed on some deviation: none of them is a check that cannot fail.
    let every: BTreeSet<String> = [
        "equals",
        "contains",
        "length",
        "min_length",
        "max_length",
        "matches",
        "type",
        "present",
        "absent",
        "at_least",
        "at_most",
        "greater_than",
        "less_than",
        "sorted_by",
    ]
    .map(String::from)
    .into();
    assert_eq!(seen, every);
}

/// The shipped List Contacts spec, safe to run live, passes as documented (see
/// `deviations::a_documented_gateway_passes_every_trial`) and fails on every deviation.
#[test]
fn the_shipped_list_spec_fails_on_every_deviation() {
    let cases = [
        (
            ListAnswer::SortReversed,
            "sorts_by_name_and_creation_both_ways",
        ),
        (
            ListAnswer::IgnoresSort,
            "sorts_by_name_and_creation_both_ways",
        ),
        (
            ListAnswer::IgnoresSearch,
            "search_finds_a_contact_by_part_of_its_name",
        ),
        (
            ListAnswer::ExactSearchOnly,
            "search_finds_a_contact_by_part_of_its_name",
        ),
        (
            ListAnswer::IgnoresPerPage,
            "per_page_and_page_split_the_matches",
        ),
        (
            ListAnswer::IgnoresPage,
            "per_page_and_page_split_the_matches",
        ),
        (
            ListAnswer::IgnoresCreatedAfter,
            "created_after_leaves_out_older_contacts",
        ),
        (
            ListAnswer::TotalCountsThePage,
            "per_page_and_page_split_the_matches",
        ),
        (
            ListAnswer::TotalAsString,
            "search_finds_a_contact_by_part_of_its_name",
        ),
        (
            ListAnswer::CreatedDateInsteadOfCreatedAt,
            "search_finds_a_contact_by_part_of_its_name",
        ),
        (
            ListAnswer::TimestampsWithOffset,
            "search_finds_a_contact_by_part_of_its_name",
        ),
    ];
    for (list, trial) in cases {
        let (failures, _) = run(None, list);
        assert!(
            failures.iter().any(|(t, _, _)| t == trial),
            "{list:?} fails {trial}: {failures:?}"
        );
    }
}

/// The line of `needle` in the tree's list file, as `specs/…:line:col` shows it.
fn line_of(needle: &str) -> usize {
    LIST.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn failure_texts_say_what_each_matcher_expected_what_came_and_where_it_was_promised() {
    let specs = tree();
    let text_of = |list: ListAnswer, trial: &str| {
        let (_, outcomes) = run(Some(&specs), list);
        let outcome = &outcomes[&format!("contacts/list.yaml::{trial}")];
        leadlex_conformance::failure_text(outcome, &Default::default(), Default::default())
    };
    let text = text_of(ListAnswer::IgnoresSearch, "search");
    assert!(
        text.starts_with("length /data/contacts: expected 1 item, got 2 items (and 2 more)"),
        "{text}"
    );
    let promised = format!("contacts/list.yaml:{}:", line_of("length: 1 }"));
    assert!(text.contains(&promised), "{promised} in {text}");
    assert!(text.contains("    at:          /data/contacts\n"), "{text}");
    assert!(
        text.contains("less_than /meta/total\n") && text.contains("a number less than 2"),
        "{text}"
    );

    let text = text_of(ListAnswer::SortReversed, "sort");
    assert!(
        text.starts_with(
            "sorted_by /data/contacts: expected items sorted by full_name, ascending, got items \
             0 and 1 are out of order: "
        ),
        "{text}"
    );
    assert!(text.contains("-sort-carol\" then \""), "{text}");

    let text = text_of(ListAnswer::ExactSearchOnly, "search");
    assert!(
        text.contains("expected:    an item matching {\"id\":\"")
            && text.contains("actual:      an empty array"),
        "{text}"
    );
    assert!(
        text.contains("actual:      nothing there"),
        "a pointer into an empty page finds nothing: {text}"
    );

    let text = text_of(ListAnswer::TimestampsWithOffset, "search");
    assert!(
        text.starts_with(
            r"matches /data/contacts/0/created_at: expected a string matching /^\d{4}"
        ),
        "{text}"
    );
    assert!(text.contains("+00:00\""), "{text}");

    let text = text_of(ListAnswer::IgnoresPage, "pages");
    assert!(
        text.contains("verify[0]: contains /data/contacts: expected an item matching")
            && text.contains("2 items, none matching (closest: item 0 differs at /id: \""),
        "{text}"
    );
}

/// The README's example of every kind of matcher, as the scenarios of the shipped List
/// Contacts operation: it loads, passes as documented, and fails when search finds nothing.
#[test]
fn the_readme_example_lints_and_passes_against_the_documented_list() {
    let readme = std::fs::read_to_string(crate::common::root().join("README.md")).unwrap();
    let after = &readme[readme.find("### Body matchers").unwrap()..];
    let from = after.find("```yaml\n").unwrap() + "```yaml\n".len();
    let example = &after[from..from + after[from..].find("```").unwrap()];
    let specs = tempfile::tempdir().unwrap();
    copy_specs(specs.path());
    let list = specs.path().join("contacts/list.yaml");
    let shipped = std::fs::read_to_string(&list).unwrap();
    let operation = &shipped[..shipped.find("\nscenarios:").unwrap()];
    std::fs::write(&list, format!("{operation}\n{example}")).unwrap();
    let trial = "contacts/list.yaml::search_finds_the_newest_first";
    for (list, fails) in [
        (ListAnswer::Documented, false),
        (ListAnswer::ExactSearchOnly, true),
    ] {
        let (gateway, config) = start(GatewayConfig {
            list,
            ..GatewayConfig::default()
        });
        let mut env = live_env(&gateway, &config);
        env.insert("LEADLEX_SPECS".into(), specs.path().display().to_string());
        let outcomes = run_with(&env, trial);
        let failed = failed_checks(&outcomes[trial]);
        assert_eq!(!failed.is_empty(), fails, "{list:?}: {failed:?}");
        assert!(gateway.contact_ids().is_empty());
    }
}
