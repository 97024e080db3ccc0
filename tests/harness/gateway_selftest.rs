//! Self-test of the fake LeadLex gateway, spoken to over plain `std::net::TcpStream`: the
//! deliberately wrong servers must be wrong in exactly the way they claim.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::support::gateway::{Behaviour, Gateway, GatewayConfig};
use serde_json::Value;

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        let mut found = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name));
        found.next().map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }

    fn error_code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    fn content_length(&self) -> usize {
        let length = self.header("Content-Length").expect("Content-Length");
        length.parse().expect("numeric Content-Length")
    }
}

/// Splits `http://host:port/prefix` into (`host:port`, `/prefix`).
fn authority_and_prefix(base_url: &str) -> (&str, &str) {
    let rest = base_url.strip_prefix("http://").expect("http base url");
    rest.split_at(rest.find('/').expect("base url has a path"))
}

fn raw_request(
    gateway: &Gateway,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: &str,
) -> (TcpStream, String) {
    let (authority, prefix) = authority_and_prefix(&gateway.base_url);
    let stream = TcpStream::connect(authority).expect("connect to gateway");
    let mut request = format!(
        "{method} {prefix}{path} HTTP/1.1\r\nHost: {authority}\r\nConnection: keep-alive\r\n"
    );
    if let Some(key) = key {
        request += &format!("Authorization: Bearer {key}\r\n");
    }
    if !body.is_empty() {
        request += &format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        );
    }
    request += "\r\n";
    request += body;
    (stream, request)
}

/// Sends a request and reads until the gateway closes or resets the connection (5 s at
/// most): the bytes received, and how reading ended.
fn exchange(
    gateway: &Gateway,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: &str,
) -> (Vec<u8>, std::io::Result<usize>) {
    let (mut stream, request) = raw_request(gateway, method, path, key, body);
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("read timeout");
    stream.write_all(request.as_bytes()).expect("send request");
    let mut raw = Vec::new();
    let end = stream.read_to_end(&mut raw);
    (raw, end)
}

fn send(gateway: &Gateway, method: &str, path: &str, key: Option<&str>, body: &str) -> Response {
    let (raw, end) = exchange(gateway, method, path, key, body);
    end.expect("read until the gateway closes");
    parse(&raw)
}

/// Parses a complete response whose `Content-Length` matches its body.
fn parse(raw: &[u8]) -> Response {
    let response = parse_unchecked(raw);
    assert_eq!(
        response.content_length(),
        response.body.len(),
        "Content-Length matches the body"
    );
    response
}

/// Parses a response without checking `Content-Length` against the body.
fn parse_unchecked(raw: &[u8]) -> Response {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("complete response head");
    let head = std::str::from_utf8(&raw[..end]).expect("UTF-8 head");
    Response {
        body: raw[end + 4..].to_vec(),
        ..parse_head(head)
    }
}

/// Parses a status line and headers (no blank line); the body is left empty.
fn parse_head(head: &str) -> Response {
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status = status_line
        .split(' ')
        .nth(1)
        .expect("status code")
        .parse()
        .expect("numeric status");
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect::<Vec<_>>();
    Response {
        status,
        headers,
        body: Vec::new(),
    }
}

fn gateway(rate_limit: u32, behaviour: Behaviour) -> (Gateway, GatewayConfig) {
    let config = GatewayConfig {
        rate_limit,
        behaviour,
        ..GatewayConfig::default()
    };
    (Gateway::start(config.clone()), config)
}

const SOME_ID: &str = "123e4567-e89b-12d3-a456-426614174000";

fn some_contact() -> String {
    format!("/v1/contacts/{SOME_ID}")
}

/// Reading ended because the gateway reset the connection.
fn assert_reset(end: std::io::Result<usize>) {
    let err = end.expect_err("the gateway resets the connection");
    assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");
}

/// Waits (5 s at most) until the gateway has recorded `count` requests.
fn wait_for_requests(gw: &Gateway, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while gw.requests().len() < count {
        assert!(Instant::now() < deadline, "{count} requests never arrived");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Asserts that dropping the gateway takes well under the test timeouts.
fn drop_promptly(gw: Gateway) {
    let started = Instant::now();
    drop(gw);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "dropping took {took:?}");
}

#[test]
fn documented_create_delete_get_flow() {
    let started = Instant::now();
    let (gw, config) = gateway(1000, Behaviour::Documented);
    let key = Some(config.full_key.as_str());
    let created = send(
        &gw,
        "POST",
        "/v1/contacts",
        key,
        r#"{"full_name":"Ada King Lovelace","priority":3}"#,
    );
    assert_eq!(created.status, 201);
    let contact = created.json()["data"].clone();
    assert_eq!(contact["first_name"], "Ada King");
    assert_eq!(contact["last_name"], "Lovelace");
    assert_eq!(contact["email"], Value::Null);
    assert!(contact["created_date"].as_str().unwrap().ends_with('Z'));
    let id = contact["id"].as_str().unwrap().to_owned();
    assert_eq!(gw.contact_ids(), vec![id.clone()]);

    let deleted = send(&gw, "DELETE", &format!("/v1/contacts/{id}"), key, "");
    assert_eq!(deleted.status, 200);
    assert_eq!(deleted.header("Content-Type"), Some("application/json"));
    assert_eq!(deleted.header("Connection"), Some("close"));
    assert_eq!(
        deleted.json(),
        serde_json::json!({ "data": { "deleted": true, "id": id } })
    );
    assert!(gw.contact_ids().is_empty());

    let gone = send(&gw, "GET", &format!("/v1/contacts/{id}?x=1"), key, "");
    assert_eq!(
        (gone.status, gone.error_code()),
        (404, "not_found".to_owned())
    );
    assert_eq!(gone.header("X-RateLimit-Remaining"), Some("997"));

    let times: Vec<Instant> = gw.requests().iter().map(|r| r.at).collect();
    assert!(times.is_sorted(), "arrival times in order: {times:?}");
    assert!(started <= times[0] && times[2] <= Instant::now());

    let paths: Vec<String> = gw
        .requests()
        .into_iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    let expected = [
        "POST /v1/contacts".to_owned(),
        format!("DELETE /v1/contacts/{id}"),
        format!("GET /v1/contacts/{id}"),
    ];
    assert_eq!(paths, expected);
}

#[test]
fn bad_key_gets_401_with_rate_limit_headers() {
    let (gw, _) = gateway(50, Behaviour::Documented);
    let response = send(
        &gw,
        "DELETE",
        &format!("/v1/contacts/{SOME_ID}"),
        Some("wbk_wrong"),
        "",
    );
    assert_eq!(
        (response.status, response.error_code()),
        (401, "invalid_key".to_owned())
    );
    assert_eq!(response.header("X-RateLimit-Limit"), Some("50"));
    assert_eq!(response.header("X-RateLimit-Remaining"), Some("50"));
    let reset: i64 = response
        .header("X-RateLimit-Reset")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(reset % 86_400, 0);
    let request_id = response.header("X-Request-ID").unwrap();
    let suffix = request_id.strip_prefix("req_").unwrap();
    assert_eq!(suffix.len(), 26);
    assert!(suffix
        .chars()
        .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));
    assert_eq!(
        gw.requests()[0].authorization.as_deref(),
        Some("Bearer wbk_wrong")
    );

    let no_auth = send(&gw, "GET", &format!("/v1/contacts/{SOME_ID}"), None, "");
    assert_eq!(no_auth.status, 401);
}

#[test]
fn no_delete_key_gets_403_and_contact_survives() {
    let (gw, config) = gateway(1000, Behaviour::Documented);
    gw.insert_contact(SOME_ID);
    let response = send(
        &gw,
        "DELETE",
        &format!("/v1/contacts/{SOME_ID}"),
        Some(&config.no_delete_key),
        "",
    );
    assert_eq!(
        (response.status, response.error_code()),
        (403, "insufficient_permissions".to_owned())
    );
    assert_eq!(gw.contact_ids(), vec![SOME_ID.to_owned()]);
}

#[test]
fn rate_limit_answers_429_after_budget() {
    let (gw, config) = gateway(3, Behaviour::Documented);
    let path = format!("/v1/contacts/{SOME_ID}");
    for expected_remaining in ["2", "1", "0"] {
        let response = send(&gw, "GET", &path, Some(&config.full_key), "");
        assert_eq!(response.status, 404);
        assert_eq!(
            response.header("X-RateLimit-Remaining"),
            Some(expected_remaining)
        );
    }
    let limited = send(&gw, "GET", &path, Some(&config.full_key), "");
    assert_eq!(
        (limited.status, limited.error_code()),
        (429, "rate_limited".to_owned())
    );
    assert_eq!(limited.header("X-RateLimit-Remaining"), Some("0"));
    let other_key = send(&gw, "GET", &path, Some(&config.no_delete_key), "");
    assert_eq!(other_key.status, 404, "the budget is per key");
}

#[test]
fn deviations_change_one_thing() {
    let (gw, config) = gateway(1000, Behaviour::WrongStatus);
    gw.insert_contact(SOME_ID);
    let response = send(
        &gw,
        "DELETE",
        &format!("/v1/contacts/{SOME_ID}"),
        Some(&config.full_key),
        "",
    );
    assert_eq!(response.status, 202);
    assert_eq!(response.json()["data"]["id"], SOME_ID);

    let (gw, config) = gateway(1000, Behaviour::DeleteIgnoresPermission);
    gw.insert_contact(SOME_ID);
    let response = send(
        &gw,
        "DELETE",
        &format!("/v1/contacts/{SOME_ID}"),
        Some(&config.no_delete_key),
        "",
    );
    assert_eq!(response.status, 200);
    assert!(gw.contact_ids().is_empty());

    let (gw, _) = gateway(1000, Behaviour::HtmlErrorPage);
    let response = send(&gw, "GET", "/v1/contacts", None, "");
    assert_eq!(response.status, 401);
    assert!(response
        .header("Content-Type")
        .unwrap()
        .starts_with("text/html"));
}

#[test]
fn unknown_route_and_malformed_input() {
    let (gw, config) = gateway(1000, Behaviour::Documented);
    let response = send(&gw, "GET", "/v2/nothing", Some(&config.full_key), "");
    assert_eq!(response.json()["error"]["message"], "Route not found");
    let invalid = send(
        &gw,
        "POST",
        "/v1/contacts",
        Some(&config.full_key),
        r#"{"priority":1}"#,
    );
    assert_eq!(
        (invalid.status, invalid.error_code()),
        (400, "validation_error".to_owned())
    );

    let (authority, _) = authority_and_prefix(&gw.base_url);
    let mut stream = TcpStream::connect(authority).unwrap();
    stream.write_all(b"garbage\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    assert_eq!(parse(&raw).status, 400);
}

#[test]
fn stall_never_answers_and_drop_is_prompt() {
    let (gw, config) = gateway(1000, Behaviour::Stall);
    let (mut stream, request) = raw_request(
        &gw,
        "GET",
        &format!("/v1/contacts/{SOME_ID}"),
        Some(&config.full_key),
        "",
    );
    stream
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut buf = [0u8; 64];
    let err = stream
        .read(&mut buf)
        .expect_err("a stalled gateway must not answer");
    assert!(matches!(
        err.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    ));
    assert_eq!(
        gw.requests().len(),
        1,
        "the stalled request is still recorded"
    );

    let started = Instant::now();
    drop(gw);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "dropping took {:?}",
        started.elapsed()
    );
}

#[test]
fn reset_connection_records_then_resets_without_effect() {
    let (gw, config) = gateway(1000, Behaviour::ResetConnection);
    gw.insert_contact(SOME_ID);
    for _ in 0..2 {
        let (raw, end) = exchange(&gw, "DELETE", &some_contact(), Some(&config.full_key), "");
        assert_reset(end);
        assert!(raw.is_empty(), "no response bytes, got {raw:?}");
    }
    assert_eq!(gw.requests().len(), 2, "both requests recorded");
    assert_eq!(gw.contact_ids(), vec![SOME_ID.to_owned()]);

    let (authority, _) = authority_and_prefix(&gw.base_url);
    let mut stream = TcpStream::connect(authority).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream.write_all(b"garbage\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    assert_eq!(
        parse(&raw).status,
        400,
        "a malformed request still gets 400"
    );
}

#[test]
fn close_early_sends_an_unfinished_head() {
    let (gw, config) = gateway(1000, Behaviour::CloseEarly);
    let (raw, end) = exchange(&gw, "GET", &some_contact(), Some(&config.full_key), "");
    end.expect("a normal close, not a reset");
    assert_eq!(
        raw,
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    );
    assert_eq!(gw.requests().len(), 1);
}

#[test]
fn wrong_content_length_claims_100_bytes_more() {
    let (gw, config) = gateway(1000, Behaviour::WrongContentLength);
    gw.insert_contact(SOME_ID);
    let (raw, end) = exchange(&gw, "DELETE", &some_contact(), Some(&config.full_key), "");
    end.expect("a normal close after the short body");
    let response = parse_unchecked(&raw);
    assert_eq!(response.status, 200);
    assert_eq!(response.content_length(), response.body.len() + 100);
    assert_eq!(
        response.json()["data"]["id"],
        SOME_ID,
        "the body itself is whole"
    );
    assert!(gw.contact_ids().is_empty(), "the delete took effect");

    let (raw, _) = exchange(&gw, "GET", &some_contact(), None, "");
    let unauthorized = parse_unchecked(&raw);
    assert_eq!(unauthorized.status, 401);
    assert_eq!(unauthorized.content_length(), unauthorized.body.len() + 100);
}

#[test]
fn non_utf8_body_keeps_status_and_headers() {
    let (gw, config) = gateway(1000, Behaviour::NonUtf8Body);
    gw.insert_contact(SOME_ID);
    let response = send(&gw, "DELETE", &some_contact(), Some(&config.full_key), "");
    assert_eq!(response.status, 200);
    assert_eq!(response.body, [0xff, 0xfe, 0x00, 0x9f]);
    assert_eq!(response.header("Content-Type"), Some("application/json"));
    assert_eq!(response.header("X-RateLimit-Remaining"), Some("999"));
    assert!(response.header("X-Request-ID").is_some());
    assert!(gw.contact_ids().is_empty(), "the delete took effect");

    let unauthorized = send(&gw, "GET", &some_contact(), None, "");
    assert_eq!(unauthorized.status, 401);
    assert_eq!(unauthorized.body, [0xff, 0xfe, 0x00, 0x9f]);
}

const HUGE: usize = 50 * 1024 * 1024;

/// Connects, sends a GET without a key and reads the response head.
fn huge_response_head(gw: &Gateway) -> (BufReader<TcpStream>, Response) {
    let (mut stream, request) = raw_request(gw, "GET", &some_contact(), None, "");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    while !head.ends_with("\r\n\r\n") {
        let read = reader.read_line(&mut head).expect("read the head");
        assert!(read > 0, "the head ended early: {head:?}");
    }
    let response = parse_head(head.trim_end_matches("\r\n"));
    (reader, response)
}

#[test]
fn huge_body_streams_50_mib_of_spaces() {
    let (gw, _) = gateway(1000, Behaviour::HugeBody);
    let (mut reader, response) = huge_response_head(&gw);
    assert_eq!(response.status, 200, "even the 401 becomes 200");
    assert_eq!(response.header("Content-Type"), Some("application/json"));
    assert_eq!(response.content_length(), HUGE);
    assert!(response.header("X-Request-ID").is_some());

    let mut chunk = vec![0u8; 64 * 1024];
    let mut total = 0;
    loop {
        let n = reader.read(&mut chunk).expect("read the body");
        if n == 0 {
            break;
        }
        assert!(chunk[..n].iter().all(|&b| b == b' '), "only spaces");
        total += n;
    }
    assert_eq!(total, HUGE);
}

#[test]
fn huge_body_survives_clients_that_leave_or_stop_reading() {
    let (gw, _) = gateway(1000, Behaviour::HugeBody);
    let (_idle, _) = huge_response_head(&gw);
    let (mut leaver, _) = huge_response_head(&gw);
    leaver.read_exact(&mut [0u8; 1024]).unwrap();
    drop(leaver);

    let (_, response) = huge_response_head(&gw);
    assert_eq!(response.status, 200, "still serving after a client left");
    assert_eq!(gw.requests().len(), 3);
    drop_promptly(gw);
}

#[test]
fn rate_limited_refuses_every_authenticated_request() {
    let behaviour = Behaviour::RateLimited {
        retry_after: Some(7),
    };
    let (gw, config) = gateway(1000, behaviour);
    gw.insert_contact(SOME_ID);
    for key in [&config.full_key, &config.no_delete_key, &config.full_key] {
        let response = send(&gw, "DELETE", &some_contact(), Some(key), "");
        assert_eq!(
            (response.status, response.error_code()),
            (429, "rate_limited".to_owned())
        );
        assert_eq!(response.header("X-RateLimit-Remaining"), Some("0"));
        assert_eq!(response.header("Retry-After"), Some("7"));
    }
    assert_eq!(gw.contact_ids(), vec![SOME_ID.to_owned()]);
    let unauthorized = send(&gw, "GET", &some_contact(), None, "");
    assert_eq!(unauthorized.status, 401);
    assert_eq!(unauthorized.header("Retry-After"), None);

    let (gw, config) = gateway(1000, Behaviour::RateLimited { retry_after: None });
    let response = send(&gw, "GET", &some_contact(), Some(&config.full_key), "");
    assert_eq!(response.status, 429);
    assert_eq!(response.header("Retry-After"), None);
}

#[test]
fn rate_limited_first_counts_authenticated_requests_gateway_wide() {
    let behaviour = Behaviour::RateLimitedFirst {
        count: 2,
        retry_after: Some(1),
    };
    let (gw, config) = gateway(1000, behaviour);
    let get = |key: Option<&str>| send(&gw, "GET", &some_contact(), key, "");

    let first = get(Some(&config.full_key));
    assert_eq!(
        (first.status, first.header("Retry-After")),
        (429, Some("1"))
    );
    assert_eq!(get(None).status, 401, "unauthenticated: not counted");
    let second = get(Some(&config.no_delete_key));
    assert_eq!(
        (second.status, second.header("Retry-After")),
        (429, Some("1"))
    );

    for key in [&config.full_key, &config.no_delete_key] {
        let later = get(Some(key));
        assert_eq!(later.status, 404, "documented from the third on");
        assert_eq!(later.header("Retry-After"), None);
        assert_eq!(
            later.header("X-RateLimit-Remaining"),
            Some("999"),
            "the refusals spent no budget"
        );
    }
}

#[test]
fn fail_first_resets_the_first_connections_only() {
    let (gw, config) = gateway(1000, Behaviour::FailFirst(2));
    gw.insert_contact(SOME_ID);
    for _ in 0..2 {
        let (raw, end) = exchange(&gw, "DELETE", &some_contact(), Some(&config.full_key), "");
        assert_reset(end);
        assert!(raw.is_empty());
    }
    assert_eq!(gw.contact_ids(), vec![SOME_ID.to_owned()]);
    let response = send(&gw, "DELETE", &some_contact(), Some(&config.full_key), "");
    assert_eq!(response.status, 200);
    assert_eq!(response.header("X-RateLimit-Remaining"), Some("999"));
    assert!(gw.contact_ids().is_empty());
    assert_eq!(gw.requests().len(), 3, "the failed attempts are recorded");
}

#[test]
fn slow_answers_late_and_records_arrival_time() {
    let (gw, config) = gateway(1000, Behaviour::Slow(300));
    let started = Instant::now();
    let response = send(&gw, "GET", &some_contact(), Some(&config.full_key), "");
    let done = Instant::now();
    assert_eq!(
        (response.status, response.error_code()),
        (404, "not_found".to_owned())
    );
    let at = gw.requests()[0].at;
    assert!(started <= at, "recorded after sending");
    let waited = done.duration_since(at);
    assert!(
        waited >= Duration::from_millis(300),
        "answered after {waited:?}"
    );
}

#[test]
fn slow_gateway_drops_promptly_mid_sleep() {
    let (gw, config) = gateway(1000, Behaviour::Slow(60_000));
    let (mut stream, request) =
        raw_request(&gw, "GET", &some_contact(), Some(&config.full_key), "");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    wait_for_requests(&gw, 1);
    drop_promptly(gw);
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    assert!(raw.is_empty(), "no answer from a stopped gateway");
}

#[test]
fn list_contacts_searches_filters_pages_and_sorts_as_documented() {
    let (gw, config) = gateway(1000, Behaviour::Documented);
    let key = Some(config.full_key.as_str());
    for name in [
        "Conformance x-carol",
        "Conformance x-alice",
        "Conformance x-bob",
        "Other",
    ] {
        let body = format!(r#"{{"full_name":"{name}"}}"#);
        assert_eq!(send(&gw, "POST", "/v1/contacts", key, &body).status, 201);
    }
    let list = |query: &str| send(&gw, "GET", &format!("/v1/contacts{query}"), key, "");
    let names = |response: Response| -> Vec<String> {
        let body = response.json();
        let items = body["data"]["contacts"].as_array().unwrap().iter();
        items
            .map(|c| c["full_name"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = list("");
    assert_eq!(all.status, 200);
    let body = all.json();
    assert_eq!(
        body["meta"],
        serde_json::json!({ "page": 1, "per_page": 50, "total": 4 })
    );
    let keys: Vec<&String> = body["data"]["contacts"][0]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    let mut documented = [
        "id",
        "full_name",
        "email",
        "phone",
        "job_title",
        "company_name",
        "linkedin_url",
        "created_at",
        "updated_date",
    ];
    documented.sort_unstable();
    assert_eq!(keys, documented);
    // Creation order by default; a partial, case-insensitive search; both sort orders.
    assert_eq!(names(list("?search=x-"))[0], "Conformance x-carol");
    assert_eq!(
        names(list("?search=X-&sort=full_name")),
        [
            "Conformance x-alice",
            "Conformance x-bob",
            "Conformance x-carol"
        ]
    );
    assert_eq!(
        names(list("?search=x-&sort=-full_name&per_page=2&page=2")),
        ["Conformance x-alice"]
    );
    assert_eq!(
        names(list("?search=Conformance%20x-b")),
        ["Conformance x-bob"]
    );
    assert_eq!(
        list("?created_after=2100-01-01T00:00:00Z").json()["meta"]["total"],
        0
    );
    assert_eq!(list("?list_id=abc-123").json()["meta"]["total"], 0);
    for bad in [
        "?per_page=101",
        "?page=0",
        "?sort=email",
        "?created_after=yesterday",
    ] {
        let refused = list(bad);
        assert_eq!(refused.status, 400, "{bad}");
        assert_eq!(refused.error_code(), "validation_error", "{bad}");
    }
}

/// The write-only key may write but not read (403 "Missing read permission"), unless the
/// gateway ignores the Read permission; without a rate limit no key is ever answered 429.
#[test]
fn the_write_only_key_is_refused_reads_and_the_new_deviations_change_one_thing() {
    let (gw, config) = gateway(1000, Behaviour::Documented);
    let key = Some(config.write_only_key.as_str());
    let body = r#"{"full_name":"Write Only"}"#;
    let created = send(&gw, "POST", "/v1/contacts", key, body);
    assert_eq!(created.status, 201);
    let id = created.json()["data"]["id"].as_str().unwrap().to_owned();
    for path in ["/v1/contacts".to_string(), format!("/v1/contacts/{id}")] {
        let refused = send(&gw, "GET", &path, key, "");
        assert_eq!(
            (refused.status, refused.error_code()),
            (403, "insufficient_permissions".to_owned()),
            "{path}"
        );
        assert_eq!(
            refused.json()["error"]["message"],
            "Missing read permission"
        );
    }

    let (gw, config) = gateway(1000, Behaviour::ReadIgnoresPermission);
    let key = Some(config.write_only_key.as_str());
    assert_eq!(send(&gw, "GET", "/v1/contacts", key, "").status, 200);

    let (gw, config) = gateway(1, Behaviour::NoRateLimit);
    for _ in 0..3 {
        let answer = send(&gw, "GET", "/v1/contacts", Some(&config.full_key), "");
        assert_eq!(answer.status, 200);
        assert_eq!(answer.header("X-RateLimit-Remaining"), Some("1"));
    }
}
