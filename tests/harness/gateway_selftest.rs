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
    let length = response.content_length();
    assert_eq!(
        length,
        response.body.len(),
        "Content-Length matches the body"
    );
    response
}

/// Parses a status line and headers (no blank line); the body is left empty.
fn parse_head_XX(head: &str) -> Response {
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

impl Response {
    fn content_length(&self) -> usize {
        let length = self.header("Content-Length").expect("Content-Length");
        length.parse().expect("numeric Content-Length")
    }
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
        length,
        response.body.len(),
        "Content-Length matches the body"
    );
    response
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

#[test]
fn documented_create_delete_get_flow() {
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
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
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
