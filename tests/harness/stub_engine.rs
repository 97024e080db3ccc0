//! The stub's engine over HTTP, on the shipped specs: hostile input gets an answer, never
//! a panic (huge and deep bodies, wrong JSON types, unicode, paging numbers out of any
//! range), every answer is a documented pair or the stub's own marked one, and a new
//! endpoint of a CRUD shape needs YAML only.

use std::time::Duration;

use serde_json::{json, Value};

use leadlex_conformance::{load, Coverage, Stub, UNDOCUMENTED_CODE, UNDOCUMENTED_STATUS};

use crate::common::{copy_specs, root};

/// A stub on the shipped specs and a client for it, in a runtime of their own.
struct Served {
    runtime: tokio::runtime::Runtime,
    stub: Stub,
    client: reqwest::Client,
    key: String,
}

impl Served {
    fn start(specs: &std::path::Path) -> Served {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let suite = load(specs).expect("the specs load");
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let stub = runtime.block_on(Stub::start(&suite));
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        Served {
            runtime,
            stub,
            client,
            // A budget of its own for each test's many requests: another trial number.
            key: Stub::key(0, "full"),
        }
    }

    /// Sends `body` as is; (status, JSON body or null).
    fn send(&self, method: &str, path_and_query: &str, body: Option<Vec<u8>>) -> (u16, Value) {
        self.send_as(&self.key, method, path_and_query, body)
    }

    fn send_as(
        &self,
        key: &str,
        method: &str,
        path_and_query: &str,
        body: Option<Vec<u8>>,
    ) -> (u16, Value) {
        let url = format!("{}{path_and_query}", self.stub.base_url());
        self.runtime.block_on(async {
            let mut request = self
                .client
                .request(method.parse().unwrap(), &url)
                .bearer_auth(key);
            if let Some(body) = body {
                request = request
                    .header("Content-Type", "application/json")
                    .body(body);
            }
            let response = request.send().await.expect("the stub answers");
            let status = response.status().as_u16();
            let bytes = response.bytes().await.unwrap();
            (
                status,
                serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            )
        })
    }

    fn create(&self, body: Value) -> (u16, Value) {
        self.send("POST", "/v1/contacts", Some(body.to_string().into_bytes()))
    }
}

/// A key of another trial number for every dozen requests: the rate limit is 10 a key.
fn keys() -> impl Iterator<Item = String> {
    (1..).map(|n| Stub::key(n, "full"))
}

#[test]
fn hostile_bodies_get_a_documented_400_never_a_panic() {
    let served = Served::start(&root().join("specs"));
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    // Over the stub's hard cap (64 MiB, above any documented `max_body_bytes`).
    let huge = format!(r#"{{"full_name": "{}"}}"#, "x".repeat(65 * 1024 * 1024));
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("a body too large to read", huge.into_bytes(), "body"),
        (
            "nesting beyond the parser's limit",
            deep.into_bytes(),
            "body",
        ),
        ("not UTF-8", vec![0xff, 0xfe, b'{', b'}'], "body"),
        ("null", b"null".to_vec(), "body"),
        ("a string", br#""Jane""#.to_vec(), "body"),
        (
            "a name that is a list",
            br#"{"full_name": ["Jane"]}"#.to_vec(),
            "full_name",
        ),
        (
            "an email that is an object",
            br#"{"email": {"a": 1}}"#.to_vec(),
            "email",
        ),
        (
            "a priority word no one documents",
            br#"{"full_name": "A", "priority": "urgent"}"#.to_vec(),
            "priority",
        ),
        (
            "a number for a date",
            br#"{"full_name": "A", "created_date": 1700000000}"#.to_vec(),
            "created_date",
        ),
        (
            "tags of mixed types",
            br#"{"full_name": "A", "tags": ["a", 1]}"#.to_vec(),
            "tags",
        ),
        (
            "no name and no email",
            br#"{"phone": "+1"}"#.to_vec(),
            "email",
        ),
    ];
    for ((what, body, field), key) in cases.into_iter().zip(keys()) {
        let (status, answer) = served.send_as(&key, "POST", "/v1/contacts", Some(body));
        assert_eq!(status, 400, "{what}: {answer}");
        assert_eq!(answer["error"]["code"], "validation_error", "{what}");
        assert!(
            answer["error"]["details"]["fields"].get(field).is_some(),
            "{what}: {answer}"
        );
    }
    // The stub still answers, and kept nothing of it.
    let (status, answer) = served.send("GET", "/v1/contacts", None);
    assert_eq!((status, &answer["meta"]["total"]), (200, &json!(0)));
}

#[test]
fn unicode_names_follow_the_rules_and_come_back_as_sent() {
    let served = Served::start(&root().join("specs"));
    for ((sent, first, last, full), key) in [
        (json!({"full_name": "Lee, 小龍"}), "小龍", "Lee", "小龍 Lee"),
        (
            json!({"full_name": "Zoë  Ångström"}),
            "Zoë",
            "Ångström",
            "Zoë  Ångström",
        ),
        (
            json!({"full_name": "عمر الخيام"}),
            "عمر",
            "الخيام",
            "عمر الخيام",
        ),
        (
            json!({"email": "émile.zola@example.fr"}),
            "Émile",
            "Zola",
            "Émile Zola",
        ),
        (
            json!({"first_name": "👩‍⚖️", "last_name": "Counsel"}),
            "👩‍⚖️",
            "Counsel",
            "👩‍⚖️ Counsel",
        ),
    ]
    .into_iter()
    .zip(keys())
    {
        let (status, answer) = served.send_as(
            &key,
            "POST",
            "/v1/contacts",
            Some(sent.to_string().into_bytes()),
        );
        assert_eq!(status, 201, "{sent}: {answer}");
        let data = &answer["data"];
        assert_eq!(
            (
                data["first_name"].as_str(),
                data["last_name"].as_str(),
                data["full_name"].as_str()
            ),
            (Some(first), Some(last), Some(full)),
            "{sent}"
        );
        let id = data["id"].as_str().unwrap();
        let (_, read) = served.send_as(&key, "GET", &format!("/v1/contacts/{id}"), None);
        assert_eq!(read["data"], *data, "read back as created");
    }
}

#[test]
fn paging_numbers_out_of_any_range_are_clamped_as_the_spec_says() {
    let served = Served::start(&root().join("specs"));
    for name in ["Ann", "Bob", "Cy"] {
        assert_eq!(served.create(json!({"full_name": name})).0, 201);
    }
    for ((query, page, per_page, items), key) in [
        ("page=-1&per_page=2", 1, 2, 2),
        ("page=0&per_page=0", 1, 1, 1),
        (
            "page=99999999999999999999999999999999999999&per_page=1",
            9_007_199_254_740_991u64, // the largest integer every JSON reader holds exactly,
            1,
            0,
        ),
        ("per_page=18446744073709551616", 1, 100, 3),
        ("page=2&per_page=2", 2, 2, 1),
        ("page=%2B2&per_page=2", 2, 2, 1),
    ]
    .into_iter()
    .zip(keys())
    {
        let (status, answer) = served.send_as(&key, "GET", &format!("/v1/contacts?{query}"), None);
        assert_eq!(status, 200, "{query}: {answer}");
        assert_eq!(
            answer["meta"],
            json!({"page": page, "per_page": per_page, "total": 3}),
            "{query}"
        );
        assert_eq!(
            answer["data"]["contacts"].as_array().unwrap().len(),
            items,
            "{query}"
        );
    }
    // What the list page does not document (it has no 400) is the stub's own answer.
    for (query, key) in [
        "page=two",
        "per_page=1.5",
        "sort=email",
        "sort=--full_name",
        "created_after=yesterday",
        "created_after=%FF%FE",
    ]
    .into_iter()
    .zip(keys().skip(20))
    {
        let (status, answer) = served.send_as(&key, "GET", &format!("/v1/contacts?{query}"), None);
        assert_eq!(status, UNDOCUMENTED_STATUS, "{query}: {answer}");
        assert_eq!(answer["error"]["code"], UNDOCUMENTED_CODE, "{query}");
    }
}

#[test]
fn ids_the_stub_never_made_are_not_found() {
    let served = Served::start(&root().join("specs"));
    let long = "x".repeat(10_000);
    for (id, key) in [
        "nobody",
        "%00",
        "%20",
        long.as_str(),
        "%F0%9F%98%80",
        "a:b@c",
    ]
    .into_iter()
    .zip(keys())
    {
        let (status, answer) = served.send_as(&key, "GET", &format!("/v1/contacts/{id}"), None);
        assert_eq!(
            (status, &answer["error"]["code"]),
            (404, &json!("not_found")),
            "{id}"
        );
        let (status, _) = served.send_as(
            &key,
            "PATCH",
            &format!("/v1/contacts/{id}"),
            Some(b"{}".to_vec()),
        );
        assert_eq!(status, 404, "{id}");
    }
}

/// The README's worked example (Create List, Delete List, Add Contacts to List, Remove
/// Contact from List): YAML and a schema added to the shipped specs, no Rust. Its
/// scenarios pass against the stub, and List Contacts' `list_id` finds the members.
#[test]
fn the_readme_adds_an_endpoint_with_yaml_only() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    copy_specs(dir.path());
    let files = crate::specs::readme_files(&readme, "### Adding a scenario");
    assert!(files.len() >= 5, "{files:?}");
    for (path, text) in &files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let suite = load(dir.path())
        .unwrap_or_else(|e| panic!("{}", e.iter().map(|e| format!("{e}\n")).collect::<String>()));
    assert!(suite
        .operations
        .iter()
        .any(|o| o.id == "lists.add-contacts"));
    let env = [
        (
            "LEADLEX_SPECS".to_string(),
            dir.path().display().to_string(),
        ),
        ("LEADLEX_JUNIT".into(), "off".into()),
        ("LEADLEX_COVERAGE".into(), "off".into()),
    ]
    .into();
    let output = crate::common::command(&env, &["lists/"]);
    let stdout = crate::common::text(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        crate::common::text(&output.stderr)
    );
    assert!(stdout.contains(" 0 failed; 0 ignored"), "{stdout}");
    assert!(!stdout.contains("test result: ok. 0 passed"), "{stdout}");
    for pair in [
        "lists.create",
        "lists.delete",
        "lists.add-contacts",
        "lists.remove-contact",
    ] {
        assert!(stdout.contains(&format!("  {pair} ")), "{pair}: {stdout}");
    }
}

/// An operation the stub can only answer with its documented example is marked so in
/// the coverage matrix: its passes prove less.
#[test]
fn the_matrix_marks_an_answer_from_the_example_only() {
    let dir = tempfile::tempdir().unwrap();
    copy_specs(dir.path());
    std::fs::create_dir_all(dir.path().join("email")).unwrap();
    std::fs::write(
        dir.path().join("email/send.yaml"),
        "operation:\n  title: Send Email\n  method: POST\n  path: /v1/email/send\n  doc: https://docs.leadlex.com/api-reference/email/send\n  stub: { action: example, collection: contacts }\n  responses:\n    - status: 200\n      example: { data: { id: e1, status: sent } }\n",
    )
    .unwrap();
    let suite = load(dir.path()).unwrap();
    let table = Coverage::of(&suite).table();
    assert!(
        table.contains("  email.send  (https://docs.leadlex.com/api-reference/email/send)  [stub: documented example only, a last resort]\n"),
        "{table}"
    );
    assert!(
        table.contains("  contacts.get  (https://docs.leadlex.com/api-reference/contacts/get)\n"),
        "{table}"
    );
}

/// The contacts export over HTTP: CSV with its headers and quoting, repeated `tag`s ANDed,
/// `fields` and `limit` checked, and the operation's own limit of 10 calls an hour per
/// workspace answered 429 while the key's budget (raised here) is far from spent and
/// other operations and workspaces still answer.
#[test]
fn the_contacts_export_answers_csv_and_keeps_its_own_limit() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let suite = load(&root().join("specs")).expect("the specs load");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let options = leadlex_conformance::StubOptions {
        rate_limit: Some(1000),
        ..Default::default()
    };
    let stub = runtime.block_on(Stub::start_with(&suite, options));
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let send = |key: &str, method: &str, path: &str, body: Option<Value>| {
        runtime.block_on(async {
            let url = format!("{}{path}", stub.base_url());
            let mut request = client
                .request(method.parse().unwrap(), &url)
                .bearer_auth(key);
            if let Some(body) = body {
                request = request.json(&body);
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let header = |name: &str| {
                let value = response.headers().get(name);
                value.map(|v| v.to_str().unwrap().to_string())
            };
            let (kind, disposition) = (header("content-type"), header("content-disposition"));
            (status, kind, disposition, response.text().await.unwrap())
        })
    };
    let key = Stub::key(1, "full");
    for (name, tags) in [("Jane Doe", json!(["t1", "lead"])), ("Bob", json!(["t1"]))] {
        let body = json!({"full_name": name, "tags": tags, "company": "Acme, Inc."});
        assert_eq!(send(&key, "POST", "/v1/contacts", Some(body)).0, 201);
    }
    let (status, kind, disposition, text) = send(
        &key,
        "GET",
        "/v1/contacts/export?tag=t1&tag=lead&fields=full_name,company_name,tags",
        None,
    );
    assert_eq!(status, 200, "{text}");
    assert_eq!(kind.as_deref(), Some("text/csv; charset=utf-8"));
    assert_eq!(
        disposition.as_deref(),
        Some("attachment; filename=\"contacts-export.csv\"")
    );
    assert_eq!(
        text,
        "full_name,company_name,tags\nJane Doe,\"Acme, Inc.\",\"t1,lead\"\n"
    );
    let (status, _, _, text) = send(&key, "GET", "/v1/contacts/export?fields=id,nope", None);
    assert_eq!(status, 400, "{text}");
    assert!(
        text.contains("validation_error") && text.contains("nope"),
        "{text}"
    );
    let (status, _, _, text) = send(&key, "GET", "/v1/contacts/export?limit=50001", None);
    assert_eq!(status, 400, "{text}");
    let (_, _, _, text) = send(&key, "GET", "/v1/contacts/export?limit=1", None);
    assert_eq!(text.lines().count(), 2, "{text}");
    // Four calls so far (the 400s count): six more answer, the eleventh is refused.
    for _ in 0..6 {
        assert_eq!(send(&key, "GET", "/v1/contacts/export", None).0, 200);
    }
    let (status, kind, _, text) = send(&key, "GET", "/v1/contacts/export", None);
    assert_eq!(status, 429, "{text}");
    assert_eq!(kind.as_deref(), Some("application/json"));
    assert!(text.contains("rate_limited"), "{text}");
    // The same workspace's other credential too; not another operation, nor another
    // workspace.
    let read_only = Stub::key(1, "read_only");
    assert_eq!(send(&read_only, "GET", "/v1/contacts/export", None).0, 429);
    assert_eq!(send(&key, "GET", "/v1/contacts", None).0, 200);
    assert_eq!(
        send(&Stub::key(2, "full"), "GET", "/v1/contacts/export", None).0,
        200
    );
}
