//! Every action played on a suite read from YAML, as the specs would declare it: the
//! records it makes, the answers it gives, the refusals and the stub's own answer where
//! the documentation is silent.

use std::sync::Arc;

use serde_json::{json, Value};

use super::super::call::Call;
use super::super::scope::Scope;
use super::super::state::State;
use super::{play, Wallet};
use crate::spec::{Operation, Suite};

const SUITE: &str = r#"
credentials:
  full: { env: K, about: a key }
stub: { credits: 2 }
collections:
  contacts:
    fields:
      first_name: string
      last_name: string
      full_name: string
      email: email
      company: string
      priority: number
      tags: [string]
      notes: string
      created_date: date-time
      updated_date: date-time
    created: created_date
    updated: updated_date
    backdating: { past_days: 1827, future_hours: 24 }
    names: person
    requires_any: [first_name, last_name, full_name, email]
    normalise: { priority: { high: 1, medium: 2, low: 3 } }
    hidden: [notes]
  notes:
    id: { prefix: note_ }
    fields: { title: string, content: string, contact_id: string, status: string, created_date: date-time }
    created: created_date
  lists:
    fields: { name: string, created_at: date-time }
    created: created_at
    counts: { contact_count: members }
  members:
    links: { list_id: lists, contact_id: contacts }
  outbox: { external: true }
"#;

/// The operations, one file each: (file, YAML).
const OPERATIONS: &[(&str, &str)] = &[
    (
        "contacts/create.yaml",
        r#"
operation:
  title: Create Contact
  method: POST
  path: /v1/contacts
  doc: d
  stub:
    action: create
    collection: contacts
    accepts: [full_name, first_name, last_name, email, company, priority, tags, created_date]
    renames: { company_name: company }
  responses:
    - status: 201
      example: { data: { id: x, full_name: Jane Doe } }
    - status: 400
      code: validation_error
"#,
    ),
    (
        "contacts/get.yaml",
        r#"
operation:
  title: Get Contact
  method: GET
  path: /v1/contacts/{id}
  doc: d
  stub:
    action: read
    collection: contacts
    include:
      all: "*"
      each:
        notes: { into: recent_notes, collection: notes, field: contact_id, top: 2, sort: -created_date, only: { status: [open] } }
  responses:
    - status: 200
      example: { data: { id: x } }
    - status: 404
      code: not_found
      example: { error: { code: not_found, message: Contact not found } }
"#,
    ),
    (
        "contacts/update.yaml",
        r#"
operation:
  title: Update Contact
  method: PATCH
  path: /v1/contacts/{id}
  doc: d
  stub:
    action: update
    collection: contacts
    accepts: [full_name, email, company, notes]
    renames: { company_name: company }
    appends: [notes]
  responses:
    - status: 200
      example: { data: { id: x } }
    - status: 400
      code: validation_error
    - status: 404
      code: not_found
"#,
    ),
    (
        "contacts/delete.yaml",
        r#"
operation:
  title: Delete Contact
  method: DELETE
  path: /v1/contacts/{id}
  doc: d
  stub: { action: delete, collection: contacts, not_found: not_found }
  responses:
    - status: 200
      example: { data: { deleted: true, id: x } }
"#,
    ),
    (
        "contacts/list.yaml",
        r#"
operation:
  title: List Contacts
  method: GET
  path: /v1/contacts
  doc: d
  stub:
    action: list
    collection: contacts
    shows: { created_at: created_date }
    list:
      items: /data/contacts
      meta: /meta
      per_page: { default: 2, max: 3 }
      filters:
        search: { contains: [full_name, email] }
        list_id: { linked: members }
      sort: { default: created_at, fields: { created_at: created_date, full_name: full_name } }
  responses:
    - status: 200
      example: { data: { contacts: [] }, meta: { page: 1, per_page: 50, total: 0 } }
"#,
    ),
    (
        "contacts/notes.yaml",
        r#"
operation:
  title: Create Contact Note
  method: POST
  path: /v1/contacts/{id}/notes
  doc: d
  stub:
    action: create
    collection: notes
    parent: { param: id, collection: contacts, field: contact_id }
    validate: { required: [title], max_length: { content: 5 } }
  responses:
    - status: 201
      example: { data: { id: x, title: t } }
    - status: 400
      code: validation_error
    - status: 404
      code: not_found
"#,
    ),
    (
        "contacts/bulk.yaml",
        r#"
operation:
  title: Bulk Create Contacts
  method: POST
  path: /v1/contacts/bulk
  doc: d
  stub:
    action: bulk_create
    collection: contacts
    bulk: { items: contacts, max: 2 }
    fill: { /data/created: count.created, /data/contacts: records }
  responses:
    - status: 200
      example: { data: { created: 2, contacts: [] } }
    - status: 400
      code: validation_error
"#,
    ),
    (
        "contacts/bulk-delete.yaml",
        r#"
operation:
  title: Bulk Delete Contacts
  method: POST
  path: /v1/contacts/bulk-delete
  doc: d
  ids_in_body: [/contact_ids]
  stub:
    action: bulk_delete
    collection: contacts
    bulk: { items: contact_ids, max: 3, dry_run: dry_run }
    fill: { /data/deleted_count: count.deleted, /data/not_found_count: count.not_found, /data/errors: errors }
  responses:
    - status: 200
      example: { data: { deleted_count: 2, not_found_count: 0, errors: [] } }
    - status: 400
      code: validation_error
"#,
    ),
    (
        "contacts/merge.yaml",
        r#"
operation:
  title: Merge Contacts
  method: POST
  path: /v1/contacts/merge
  doc: d
  ids_in_body: [/primary_id, /duplicate_ids]
  stub:
    action: merge
    collection: contacts
    record: /data/primary
    merge:
      primary: primary_id
      duplicates: duplicate_ids
      max: 3
      overwrite: overwrite
      dry_run: dry_run
      moves:
        notes: { collection: notes, field: contact_id }
        list_memberships: { collection: members, field: contact_id }
    fill: { /data/merged_ids: merged, /data/fields_populated: populated, /data/counts: moved }
  responses:
    - status: 200
      example: { data: { primary: { id: x }, merged_ids: [], fields_populated: [], counts: {} } }
    - status: 400
      code: validation_error
    - status: 404
      code: not_found
    - status: 409
      code: merge_conflict
"#,
    ),
    (
        "lists/create.yaml",
        r#"
operation:
  title: Create List
  method: POST
  path: /v1/lists
  doc: d
  stub: { action: create, collection: lists, validate: { required: [name], unique: [name] } }
  responses:
    - status: 201
      example: { data: { id: x, name: n, contact_count: 0 } }
    - status: 400
      code: validation_error
"#,
    ),
    (
        "lists/add-contacts.yaml",
        r#"
operation:
  title: Add Contacts to List
  method: POST
  path: /v1/lists/{id}/contacts
  doc: d
  stub:
    action: link
    collection: members
    parent: { param: id, collection: lists, field: list_id }
    members: contact_ids
    validate: { max_items: { contact_ids: 2 } }
    fill: { /data/added: count.added, /data/list_id: param.id, /data/contact_count: count.members }
  responses:
    - status: 200
      example: { data: { added: 3, list_id: x, contact_count: 5 } }
    - status: 400
      code: validation_error
    - status: 404
      code: not_found
"#,
    ),
    (
        "lists/remove-contact.yaml",
        r#"
operation:
  title: Remove Contact from List
  method: DELETE
  path: /v1/lists/{list_id}/contacts/{contact_id}
  doc: d
  stub:
    action: unlink
    collection: members
    parent: { param: list_id, collection: lists, field: list_id, not_found: list_not_found }
    not_found: membership_not_found
    fill: { /data/list_id: param.list_id, /data/contact_id: param.contact_id }
  responses:
    - status: 200
      example: { data: { removed: true, list_id: x, contact_id: y } }
    - status: 404
      code: list_not_found
    - status: 404
      code: membership_not_found
"#,
    ),
    (
        "lists/delete.yaml",
        r#"
operation:
  title: Delete List
  method: DELETE
  path: /v1/lists/{id}
  doc: d
  stub:
    action: delete
    collection: lists
    cascade: [members]
    fill: { /data/memberships_removed: count.removed }
  responses:
    - status: 200
      example: { data: { deleted: true, id: x, memberships_removed: 42 } }
    - status: 404
      code: list_not_found
"#,
    ),
    (
        "email/send.yaml",
        r#"
operation:
  title: Send Email
  method: POST
  path: /v1/email/send
  doc: d
  stub:
    action: example
    collection: outbox
    effects: [{ credits: 1 }, { outbox: outbox }]
    fill: { /data/credits_remaining: credits }
  responses:
    - status: 200
      example: { data: { id: e1, status: sent, credits_remaining: 99 } }
    - status: 402
      code: insufficient_credits
"#,
    ),
    (
        "contacts/import.yaml",
        r#"
operation:
  title: Import Contacts
  method: POST
  path: /v1/import/contacts
  doc: d
  stub:
    action: import
    collection: contacts
    accepts: [full_name, first_name, last_name, email, company, priority, tags]
    import: { match: [email], max: 4, job_prefix: imp_ }
    fill:
      /data/job_id: id
      /data/status: status
      /data/created_count: count.created
      /data/updated_count: count.updated
      /data/skipped_count: count.skipped
      /data/errors: errors
  responses:
    - status: 200
      example: { data: { job_id: imp_1, status: completed, created_count: 1, updated_count: 0, skipped_count: 0, errors: [] } }
    - status: 400
      code: validation_error
"#,
    ),
    (
        "api-keys/delete.yaml",
        r#"
operation:
  title: Revoke API Key
  method: DELETE
  path: /v1/contacts/{id}/revoke
  doc: d
  stub: { action: delete, collection: contacts }
  responses:
    - status: 204
"#,
    ),
];

/// The suite of these operations, loaded as the specs would be.
fn suite() -> Suite {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("suite.yaml"), SUITE).unwrap();
    for (file, text) in OPERATIONS {
        let path = dir.path().join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        // One scenario, so the suite has something to run.
        let scenario = match *file == "contacts/list.yaml" {
            true => "\nscenarios:\n  - name: s\n    request: { credential: invalid }\n    expect: { status: 401, code: invalid_key }\n",
            false => "",
        };
        let text = format!("{}{}", text.trim_start(), scenario).replace(
            "  responses:\n",
            "  responses:\n    - status: 401\n      code: invalid_key\n",
        );
        std::fs::write(path, text).unwrap();
    }
    match crate::spec::load(dir.path()) {
        Ok(suite) => suite,
        Err(errors) => panic!(
            "{}",
            errors.iter().map(|e| format!("{e}\n")).collect::<String>()
        ),
    }
}

struct Stub {
    suite: Suite,
    state: State,
}

impl Stub {
    fn new() -> Stub {
        Stub {
            suite: suite(),
            state: State::default(),
        }
    }

    fn op(&self, id: &str) -> Arc<Operation> {
        let found = self.suite.operations.iter().find(|o| o.id == id);
        found.unwrap_or_else(|| panic!("{id}")).clone()
    }

    /// Plays `id` on `path` with a query and a body; (status, body).
    fn call(&mut self, id: &str, path: &str, query: &str, body: &str) -> (u16, Value) {
        let op = self.op(id);
        let call = Call::new(&op.path, path, Some(query), body.as_bytes());
        let scope = Scope {
            op: &op,
            stub: op.stub.as_ref().unwrap(),
            collections: &self.suite.collections,
            call: &call,
        };
        let wallet = Wallet {
            key: "k",
            balance: self.suite.stub_credits,
        };
        let answer = play(&scope, &mut self.state, &wallet);
        if answer.mark.is_some() {
            assert_eq!(answer.status, 501);
        }
        (answer.status, answer.body.unwrap_or(Value::Null))
    }

    /// Creates a contact from `body`; its id.
    fn contact(&mut self, body: Value) -> String {
        let (status, answer) = self.call("contacts.create", "/v1/contacts", "", &body.to_string());
        assert_eq!(status, 201, "{answer}");
        answer["data"]["id"].as_str().unwrap().to_string()
    }
}

fn is_timestamp(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|t| t.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(t).is_ok())
}

#[test]
fn a_created_record_is_complete() {
    let mut stub = Stub::new();
    let body = json!({"full_name": "Müller, Hans", "priority": "HIGH", "company_name": "Roche",
                      "unknown": 1, "tags": ["a"]});
    let (status, answer) = stub.call("contacts.create", "/v1/contacts", "", &body.to_string());
    assert_eq!(status, 201, "{answer}");
    let data = &answer["data"];
    assert!(uuid::Uuid::parse_str(data["id"].as_str().unwrap()).is_ok());
    assert_eq!(
        (&data["first_name"], &data["last_name"], &data["full_name"]),
        (&json!("Hans"), &json!("Müller"), &json!("Hans Müller"))
    );
    assert_eq!(
        (&data["priority"], &data["company"]),
        (&json!(1), &json!("Roche"))
    );
    assert!(data["email"].is_null() && data.get("unknown").is_none());
    assert!(data.get("notes").is_none(), "hidden");
    assert!(is_timestamp(&data["created_date"]) && is_timestamp(&data["updated_date"]));
    // Back-dated within bounds: kept, in UTC with Z.
    let (_, answer) = stub.call(
        "contacts.create",
        "/v1/contacts",
        "",
        r#"{"email": "hans.mueller@roche.com", "created_date": "2025-06-01T12:00:00+02:00"}"#,
    );
    assert_eq!(answer["data"]["created_date"], "2025-06-01T10:00:00Z");
    assert_eq!(answer["data"]["full_name"], "Hans Mueller");
}

#[test]
fn invalid_input_is_refused_with_the_fields_at_fault() {
    let mut stub = Stub::new();
    for (body, field, problem) in [
        ("[1, 2]", "body", "must be a JSON object"),
        ("not json", "body", "must be a JSON object"),
        (r#"{"full_name": 42}"#, "full_name", "must be a string"),
        (
            r#"{"email": "not an email"}"#,
            "email",
            "must be an email address",
        ),
        (
            r#"{"full_name": "A", "priority": "urgent"}"#,
            "priority",
            "must be a number",
        ),
        (
            r#"{"full_name": "A", "tags": ["x", null]}"#,
            "tags",
            "must be an array of strings",
        ),
        (
            r#"{"company": "Acme"}"#,
            "full_name",
            "at least one of first_name, last_name, full_name, email is required",
        ),
        (
            r#"{"full_name": "A", "created_date": "2001-01-01T00:00:00Z"}"#,
            "created_date",
            "must be an ISO 8601 date-time at most 1827 days back and 24 hours ahead",
        ),
    ] {
        let (status, answer) = stub.call("contacts.create", "/v1/contacts", "", body);
        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(answer["error"]["code"], "validation_error");
        assert_eq!(
            answer["error"]["details"]["fields"][field], problem,
            "{body}: {answer}"
        );
    }
    assert!(stub
        .state
        .collection("contacts")
        .is_none_or(|c| c.is_empty()));
}

#[test]
fn an_update_merges_appends_and_derives_names_again() {
    let mut stub = Stub::new();
    let id = stub.contact(json!({"full_name": "Jane Doe", "email": "jane@x.io"}));
    let path = format!("/v1/contacts/{id}");
    let created = stub.state.get("contacts", &id).unwrap()["updated_date"].clone();
    std::thread::sleep(std::time::Duration::from_millis(2));
    let (status, answer) = stub.call(
        "contacts.update",
        &path,
        "",
        r#"{"notes": "first", "company_name": "Acme", "first_name": "ignored"}"#,
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["data"]["company"], "Acme");
    assert_eq!(
        answer["data"]["first_name"], "Jane",
        "not accepted: left out"
    );
    assert_ne!(answer["data"]["updated_date"], created);
    stub.call("contacts.update", &path, "", r#"{"notes": "second"}"#);
    assert_eq!(
        stub.state.get("contacts", &id).unwrap()["notes"],
        "first\nsecond"
    );
    let (_, answer) = stub.call(
        "contacts.update",
        &path,
        "",
        r#"{"full_name": "Damme, Jean-Claude"}"#,
    );
    assert_eq!(answer["data"]["first_name"], "Jean-Claude");
    assert_eq!(answer["data"]["email"], "jane@x.io", "untouched");
    let (status, answer) = stub.call("contacts.update", &path, "", r#"{"email": 5}"#);
    assert_eq!(
        (status, &answer["error"]["details"]["fields"]["email"]),
        (400, &json!("must be an email address"))
    );
    let (status, answer) = stub.call("contacts.update", "/v1/contacts/nobody", "", "{}");
    assert_eq!(
        (status, &answer["error"]["code"]),
        (404, &json!("not_found"))
    );
}

#[test]
fn read_delete_and_the_answers_they_fill() {
    let mut stub = Stub::new();
    let id = stub.contact(json!({"full_name": "Jane Doe"}));
    let path = format!("/v1/contacts/{id}");
    let (status, answer) = stub.call("contacts.delete", &path, "", "");
    assert_eq!(
        (status, answer),
        (200, json!({"data": {"deleted": true, "id": id}}))
    );
    let (status, answer) = stub.call("contacts.get", &path, "", "");
    assert_eq!(status, 404);
    assert_eq!(
        answer,
        json!({"error": {"code": "not_found", "message": "Contact not found"}})
    );
    // A documented 204 has no body.
    let id = stub.contact(json!({"full_name": "Jane Doe"}));
    let (status, answer) = stub.call(
        "api-keys.delete",
        &format!("/v1/contacts/{id}/revoke"),
        "",
        "",
    );
    assert_eq!((status, answer), (204, Value::Null));
}

#[test]
fn lists_page_filter_sort_and_show_their_names() {
    let mut stub = Stub::new();
    for name in ["Carol Conformance", "alice conformance", "Bob Other"] {
        stub.contact(json!({"full_name": name}));
    }
    let list = |stub: &mut Stub, query: &str| stub.call("contacts.list", "/v1/contacts", query, "");
    let (status, answer) = list(&mut stub, "");
    assert_eq!(status, 200);
    assert_eq!(
        answer["meta"],
        json!({"page": 1, "per_page": 2, "total": 3})
    );
    assert_eq!(
        answer["data"]["contacts"][0]["full_name"],
        "Carol Conformance"
    );
    assert!(is_timestamp(&answer["data"]["contacts"][0]["created_at"]));
    assert!(
        answer["data"]["contacts"][0].get("created_date").is_none(),
        "shown as created_at"
    );
    let (_, answer) = list(&mut stub, "search=CONFORMANCE&sort=-full_name&per_page=500");
    let names: Vec<&str> = answer["data"]["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["full_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alice conformance", "Carol Conformance"]);
    assert_eq!(answer["meta"]["per_page"], 3, "clamped to the max");
    let (_, answer) = list(&mut stub, "page=2");
    assert_eq!(answer["data"]["contacts"].as_array().unwrap().len(), 1);
    let (_, answer) = list(&mut stub, "page=-3");
    assert_eq!(answer["meta"]["page"], 1);
    // No 400 documented: the stub does not guess what an unknown sort gets.
    let (status, answer) = list(&mut stub, "sort=email");
    assert_eq!(
        (status, &answer["error"]["code"]),
        (501, &json!("stub_undocumented"))
    );
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("sort"),
        "{answer}"
    );
}

#[test]
fn a_sub_collection_needs_its_parent_and_an_include_takes_the_top() {
    let mut stub = Stub::new();
    let id = stub.contact(json!({"full_name": "Jane Doe"}));
    let notes = format!("/v1/contacts/{id}/notes");
    let (status, answer) = stub.call(
        "contacts.notes",
        "/v1/contacts/nobody/notes",
        "",
        r#"{"title": "t"}"#,
    );
    assert_eq!(
        (status, &answer["error"]["code"]),
        (404, &json!("not_found"))
    );
    let (status, answer) = stub.call("contacts.notes", &notes, "", r#"{"content": "too long"}"#);
    assert_eq!(status, 400);
    assert_eq!(answer["error"]["details"]["fields"]["title"], "is required");
    for (title, status) in [("a", "open"), ("b", "done"), ("c", "open"), ("d", "open")] {
        let body = json!({"title": title, "status": status, "contact_id": "someone else"});
        let (code, answer) = stub.call("contacts.notes", &notes, "", &body.to_string());
        assert_eq!(code, 201, "{answer}");
        assert_eq!(
            answer["data"]["contact_id"],
            json!(id),
            "the parent, not the body"
        );
        assert!(answer["data"]["id"]
            .as_str()
            .unwrap()
            .starts_with("note_01"));
    }
    let path = format!("/v1/contacts/{id}");
    let (_, answer) = stub.call("contacts.get", &path, "include=notes", "");
    let titles: Vec<&str> = answer["data"]["recent_notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["d", "c"], "open ones, newest first, the top 2");
    let (_, answer) = stub.call("contacts.get", &path, "", "");
    assert!(answer["data"].get("recent_notes").is_none());
    let (_, answer) = stub.call("contacts.get", &path, "include=*", "");
    assert_eq!(answer["data"]["recent_notes"].as_array().unwrap().len(), 2);
    let (status, _) = stub.call("contacts.get", &path, "include=deals", "");
    assert_eq!(status, 501, "an unknown include: no 400 documented");
}

#[test]
fn memberships_link_unlink_filter_count_and_go_with_their_list() {
    let mut stub = Stub::new();
    let (a, b) = (
        stub.contact(json!({"full_name": "A"})),
        stub.contact(json!({"full_name": "B"})),
    );
    let (_, list) = stub.call("lists.create", "/v1/lists", "", r#"{"name": "Q2"}"#);
    assert_eq!(
        list["data"]["contact_count"], 0,
        "a count of links, computed"
    );
    let list = list["data"]["id"].as_str().unwrap().to_string();
    let (status, answer) = stub.call("lists.create", "/v1/lists", "", r#"{"name": "Q2"}"#);
    assert_eq!(
        (status, &answer["error"]["details"]["fields"]["name"]),
        (400, &json!("must be unique"))
    );
    let add = format!("/v1/lists/{list}/contacts");
    let (status, answer) = stub.call(
        "lists.add-contacts",
        &add,
        "",
        &json!({"contact_ids": [a, a]}).to_string(),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["data"],
        json!({"added": 1, "list_id": list, "contact_count": 1})
    );
    let (_, answer) = stub.call(
        "lists.add-contacts",
        &add,
        "",
        &json!({"contact_ids": [a, b]}).to_string(),
    );
    assert_eq!(
        answer["data"],
        json!({"added": 1, "list_id": list, "contact_count": 2})
    );
    for (body, field_problem) in [
        (
            json!({"contact_ids": ["nobody"]}),
            "names no contacts record: nobody",
        ),
        (
            json!({"contact_ids": [a, b, a]}),
            "must hold at most 2 items, not 3",
        ),
        (json!({"contact_ids": []}), "is required"),
        (json!({"contact_ids": "a"}), "must be an array of ids"),
    ] {
        let (status, answer) = stub.call("lists.add-contacts", &add, "", &body.to_string());
        assert_eq!(status, 400);
        assert_eq!(
            answer["error"]["details"]["fields"]["contact_ids"],
            field_problem
        );
    }
    let (status, _) = stub.call(
        "lists.add-contacts",
        "/v1/lists/nope/contacts",
        "",
        &json!({"contact_ids": [a]}).to_string(),
    );
    assert_eq!(status, 404);
    let (_, answer) = stub.call(
        "contacts.list",
        "/v1/contacts",
        &format!("list_id={list}&sort=-full_name"),
        "",
    );
    assert_eq!(answer["meta"]["total"], 2);
    assert_eq!(answer["data"]["contacts"][0]["full_name"], "B");
    let remove = format!("/v1/lists/{list}/contacts/{a}");
    let (status, answer) = stub.call("lists.remove-contact", &remove, "", "");
    assert_eq!(
        (status, answer),
        (
            200,
            json!({"data": {"removed": true, "list_id": list, "contact_id": a}})
        )
    );
    let (status, answer) = stub.call("lists.remove-contact", &remove, "", "");
    assert_eq!(
        (status, &answer["error"]["code"]),
        (404, &json!("membership_not_found"))
    );
    let (status, answer) = stub.call(
        "lists.remove-contact",
        &format!("/v1/lists/x/contacts/{a}"),
        "",
        "",
    );
    assert_eq!(
        (status, &answer["error"]["code"]),
        (404, &json!("list_not_found"))
    );
    let (_, answer) = stub.call("lists.delete", &format!("/v1/lists/{list}"), "", "");
    assert_eq!(answer["data"]["memberships_removed"], 1);
    assert!(stub.state.collection("members").unwrap().is_empty());
    // A list with no 404 documented for the parent's code: still `list_not_found`.
    let (status, answer) = stub.call("lists.delete", &format!("/v1/lists/{list}"), "", "");
    assert_eq!(
        (status, &answer["error"]["code"]),
        (501, &json!("stub_undocumented"))
    );
}

#[test]
fn bulk_actions_are_all_or_none_and_count_per_item() {
    let mut stub = Stub::new();
    let good = json!({"contacts": [{"full_name": "A"}, {"email": "b.c@x.io"}]});
    let (status, answer) = stub.call("contacts.bulk", "/v1/contacts/bulk", "", &good.to_string());
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["data"]["created"], 2);
    assert_eq!(answer["data"]["contacts"][1]["full_name"], "B C");
    let bad = json!({"contacts": [{"full_name": "A"}, {"full_name": 1}]});
    let (status, answer) = stub.call("contacts.bulk", "/v1/contacts/bulk", "", &bad.to_string());
    assert_eq!(status, 400);
    assert_eq!(
        answer["error"]["details"]["fields"]["contacts[1].full_name"],
        "must be a string"
    );
    let too_many =
        json!({"contacts": [{"full_name": "A"}, {"full_name": "B"}, {"full_name": "C"}]});
    let (status, _) = stub.call(
        "contacts.bulk",
        "/v1/contacts/bulk",
        "",
        &too_many.to_string(),
    );
    assert_eq!(status, 400);
    assert_eq!(
        stub.state.collection("contacts").unwrap().len(),
        2,
        "none of the refused"
    );
    let ids: Vec<String> = stub
        .state
        .collection("contacts")
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let body = json!({"contact_ids": [ids[0], "nobody", 7], "dry_run": true});
    let (_, answer) = stub.call(
        "contacts.bulk-delete",
        "/v1/contacts/bulk-delete",
        "",
        &body.to_string(),
    );
    assert_eq!(answer["data"]["deleted_count"], 1);
    assert_eq!(answer["data"]["not_found_count"], 1);
    assert_eq!(answer["data"]["errors"][0]["contact_id"], 7);
    assert_eq!(
        stub.state.collection("contacts").unwrap().len(),
        2,
        "a dry run"
    );
    let body = json!({"contact_ids": [ids[0], ids[1], ids[0]]});
    let (_, answer) = stub.call(
        "contacts.bulk-delete",
        "/v1/contacts/bulk-delete",
        "",
        &body.to_string(),
    );
    assert_eq!(
        (
            answer["data"]["deleted_count"].clone(),
            answer["data"]["not_found_count"].clone()
        ),
        (json!(2), json!(1))
    );
}

#[test]
fn an_example_answers_as_documented_and_spends_credits() {
    let mut stub = Stub::new();
    for left in [1, 0] {
        let (status, answer) = stub.call("email.send", "/v1/email/send", "", r#"{"to": "a@b.co"}"#);
        assert_eq!(status, 200);
        assert_eq!(
            answer["data"],
            json!({"id": "e1", "status": "sent", "credits_remaining": left})
        );
    }
    let (status, answer) = stub.call("email.send", "/v1/email/send", "", r#"{"to": "a@b.co"}"#);
    assert_eq!(
        (status, &answer["error"]["code"]),
        (402, &json!("insufficient_credits"))
    );
    let outbox: Vec<&Value> = stub.state.in_order("outbox");
    assert_eq!(outbox.len(), 2, "a copy of each request that was sent");
    assert_eq!(outbox[0]["body"]["to"], "a@b.co");
}

#[test]
fn a_merge_fills_moves_retires_and_remembers() {
    let mut stub = Stub::new();
    let a = stub.contact(json!({"full_name": "Ann Lee"}));
    let b =
        stub.contact(json!({"full_name": "Bob Ray", "company_name": "Acme", "email": "b@x.co"}));
    let c = stub.contact(json!({"full_name": "Cy Po"}));
    stub.state
        .insert("notes", "n1", json!({"id": "n1", "contact_id": b}));
    for (list, who) in [("l1", &a), ("l1", &b), ("l2", &b)] {
        let key = format!("{list}:{who}");
        stub.state.insert(
            "members",
            &key,
            json!({"id": key, "list_id": list, "contact_id": who}),
        );
    }
    let merge = |stub: &mut Stub, body: Value| {
        stub.call(
            "contacts.merge",
            "/v1/contacts/merge",
            "",
            &body.to_string(),
        )
    };
    // A dry run answers what would happen and changes nothing.
    let (status, answer) = merge(
        &mut stub,
        json!({"primary_id": a, "duplicate_ids": [b], "dry_run": true}),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["data"]["counts"],
        json!({"notes": 1, "list_memberships": 2})
    );
    assert_eq!(answer["data"]["primary"]["company"], "Acme");
    assert!(
        stub.state.get("contacts", &b).is_some()
            && stub.state.get("members", &format!("l2:{a}")).is_none()
    );
    // The merge: empty fields filled (not the name), children moved, the duplicate retired.
    let (status, answer) = merge(&mut stub, json!({"primary_id": a, "duplicate_ids": [b, b]}));
    assert_eq!(status, 200, "{answer}");
    let data = &answer["data"];
    assert_eq!(
        (&data["primary"]["id"], &data["merged_ids"]),
        (&json!(a), &json!([b]))
    );
    assert_eq!(data["fields_populated"], json!(["company", "email"]));
    assert_eq!(data["primary"]["full_name"], "Ann Lee");
    assert!(stub.state.get("contacts", &b).is_none());
    assert_eq!(
        stub.state.get("notes", "n1").unwrap()["contact_id"],
        json!(a)
    );
    let mut links: Vec<&String> = stub.state.collection("members").unwrap().keys().collect();
    links.sort();
    assert_eq!(links, [&format!("l1:{a}"), &format!("l2:{a}")]);
    // Overwrite: the duplicate's values win.
    let (_, answer) = merge(
        &mut stub,
        json!({"primary_id": c, "duplicate_ids": [a], "overwrite": true}),
    );
    assert_eq!(answer["data"]["primary"]["full_name"], "Ann Lee");
    // b went into a, a into c: naming b with a or c again is a circular chain.
    for body in [
        json!({"primary_id": b, "duplicate_ids": [c]}),
        json!({"primary_id": c, "duplicate_ids": [b]}),
    ] {
        let (status, answer) = merge(&mut stub, body);
        assert_eq!(
            (status, &answer["error"]["code"]),
            (409, &json!("merge_conflict")),
            "{answer}"
        );
    }
    let d = stub.contact(json!({"full_name": "Di Ko"}));
    let (status, _) = merge(&mut stub, json!({"primary_id": d, "duplicate_ids": [b]}));
    assert_eq!(
        status, 404,
        "a retired id outside the request's chain is not found"
    );
    for body in [
        json!({"primary_id": d, "duplicate_ids": [d]}),
        json!({"primary_id": d, "duplicate_ids": ["1", "2", "3", "4"]}),
        json!({"duplicate_ids": [d]}),
        json!({"primary_id": d, "duplicate_ids": []}),
        json!({"primary_id": d, "duplicate_ids": [c], "dry_run": "yes"}),
    ] {
        let (status, answer) = merge(&mut stub, body.clone());
        assert_eq!(
            (status, &answer["error"]["code"]),
            (400, &json!("validation_error")),
            "{body}"
        );
    }
}

/// Imports `body`; (status, the answer's data).
fn import(stub: &mut Stub, body: Value) -> (u16, Value) {
    let (status, answer) = stub.call(
        "contacts.import",
        "/v1/import/contacts",
        "",
        &body.to_string(),
    );
    let data = answer.get("data").cloned().unwrap_or(answer);
    (status, data)
}

/// (created, updated, skipped) of an import's answer.
fn counts(data: &Value) -> (Value, Value, Value) {
    (
        data["created_count"].clone(),
        data["updated_count"].clone(),
        data["skipped_count"].clone(),
    )
}

#[test]
fn an_import_creates_skips_or_updates_each_row_and_reports_errors() {
    let mut stub = Stub::new();
    let jane = stub.contact(json!({"full_name": "Jane Doe", "email": "jane@acme.com"}));
    let rows = json!({"rows": [
        {"full_name": "Bob Smith", "email": "bob@beta.com", "tags": ["lead"]},
        {"email": "JANE@acme.com", "company": "Acme"},
        {"company": "Nameless"},
        "not a row"
    ], "tags": ["imported"]});
    let (status, data) = import(&mut stub, rows);
    assert_eq!(status, 200, "{data}");
    assert_eq!(counts(&data), (json!(1), json!(0), json!(3)));
    assert_eq!(data["status"], "completed");
    assert!(data["job_id"].as_str().unwrap().starts_with("imp_"));
    let numbers: Vec<&Value> = data["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["row_number"])
        .collect();
    assert_eq!(numbers, [&json!(3), &json!(4)]);
    assert_eq!(data["errors"][0]["code"], "validation_error");
    let bob = stub
        .state
        .in_order("contacts")
        .into_iter()
        .find(|r| r["email"] == "bob@beta.com")
        .cloned()
        .unwrap();
    assert_eq!(bob["tags"], json!(["lead", "imported"]));
    assert_eq!(bob["first_name"], "Bob");
    // Skipped: Jane is as she was; with update_existing she is updated, nothing created.
    assert_eq!(
        stub.state.get("contacts", &jane).unwrap()["company"],
        Value::Null
    );
    let update =
        json!({"rows": [{"email": "jane@ACME.com", "company": "Acme"}], "update_existing": true});
    let (_, data) = import(&mut stub, update);
    assert_eq!(counts(&data), (json!(0), json!(1), json!(0)));
    let record = stub.state.get("contacts", &jane).unwrap();
    assert_eq!(
        (&record["company"], &record["full_name"]),
        (&json!("Acme"), &json!("Jane Doe"))
    );
    assert_eq!(stub.state.collection("contacts").unwrap().len(), 2);
}

#[test]
fn an_import_reads_csv_through_its_mapping_and_queues_above_its_max() {
    let mut stub = Stub::new();
    let csv = "Email Address,Full Name,tags,priority,Colour\nann@x.io,\"Lee, Ann\",\"a, b\",2,red\n,,,,\n";
    let body = json!({"csv": csv, "mapping": {"Email Address": "email", "Full Name": "full_name"}});
    let (status, data) = import(&mut stub, body);
    assert_eq!(status, 200, "{data}");
    assert_eq!(counts(&data), (json!(1), json!(0), json!(1)));
    assert_eq!(data["errors"][0]["row_number"], 2, "the header is no row");
    let ann = stub.state.in_order("contacts")[0].clone();
    assert_eq!(
        (&ann["first_name"], &ann["last_name"]),
        (&json!("Ann"), &json!("Lee"))
    );
    assert_eq!(
        (&ann["tags"], &ann["priority"]),
        (&json!(["a", "b"]), &json!(2))
    );
    assert!(ann.get("Colour").is_none(), "unknown columns are ignored");
    // A CSV without rows imports nothing.
    let (status, data) = import(&mut stub, json!({"csv": "email\n"}));
    assert_eq!(
        (status, counts(&data)),
        (200, (json!(0), json!(0), json!(0)))
    );
    // Without a header no column has a name: every row is refused.
    let (_, data) = import(
        &mut stub,
        json!({"csv": "zed@x.io,Zed\n", "has_header": false}),
    );
    assert_eq!(counts(&data), (json!(0), json!(0), json!(1)));
    // Five rows, above the max of 4: queued, no counts yet; the stub does the job at once.
    let rows: Vec<Value> = (0..5)
        .map(|i| json!({"email": format!("q{i}@x.io")}))
        .collect();
    let (_, data) = import(&mut stub, json!({"rows": rows}));
    assert_eq!(data["status"], "queued");
    assert_eq!(counts(&data), (json!(0), json!(0), json!(0)));
    assert_eq!(stub.state.collection("contacts").unwrap().len(), 6);
}

#[test]
fn an_import_without_rows_or_with_wrong_options_is_refused() {
    let mut stub = Stub::new();
    for (body, field) in [
        (json!({"tags": ["x"]}), "rows"),
        (json!({"rows": []}), "rows"),
        (
            json!({"rows": [{"email": "a@x.io"}], "csv": "email\na@x.io"}),
            "rows",
        ),
        (json!({"rows": {"email": "a@x.io"}}), "rows"),
        (json!({"csv": 7}), "csv"),
        (
            json!({"rows": [{"email": "a@x.io"}], "update_existing": "yes"}),
            "update_existing",
        ),
        (json!({"rows": [{"email": "a@x.io"}], "tags": "x"}), "tags"),
        (
            json!({"csv": "email\na@x.io", "mapping": {"email": 1}}),
            "mapping",
        ),
        (
            json!({"rows": [{"email": "a@x.io"}], "has_header": 1}),
            "has_header",
        ),
        (json!([]), "body"),
    ] {
        let (status, answer) = stub.call(
            "contacts.import",
            "/v1/import/contacts",
            "",
            &body.to_string(),
        );
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(
            answer["error"]["details"]["fields"].get(field).is_some(),
            "{body}: {answer}"
        );
    }
    assert!(stub
        .state
        .collection("contacts")
        .is_none_or(|c| c.is_empty()));
}
