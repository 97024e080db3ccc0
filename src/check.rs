//! Checks of one response against one step's expectations: pure functions.
//!
//! Each check returns structured [`Mismatch`]es and never prints. They are tested by
//! building responses by hand, and end to end against deliberately wrong gateways.

use serde_json::Value;

use crate::http::HttpResponse;
use crate::outcome::{Check, Mismatch};
use crate::spec::{HeaderCheck, HeaderRule, Operation, StatusSet, Step};
use crate::template::Vars;

/// Everything a step's response must satisfy, in the order a reader wants them.
pub fn check_response(
    step: &Step,
    every_response: &[HeaderCheck],
    response: &HttpResponse,
    vars: &Vars,
) -> Vec<Mismatch> {
    let mismatch = |check: Check, expected: String, actual: String| {
        Mismatch::new(
            &step.label,
            check,
            expected,
            actual,
            step.expect.span.clone(),
        )
    };
    let body = parse_json(&response.body);
    let mut found = Vec::new();
    if !step.expect.accepts(response.status) {
        let actual = match body.as_ref().ok().and_then(error_code) {
            Some(code) => format!("{} {code}", response.status),
            None => response.status.to_string(),
        };
        found.push(mismatch(Check::Status, expected_status(step), actual));
    }
    found.extend(
        every_response
            .iter()
            .chain(&step.expect.headers)
            .filter_map(|rule| check_header(&step.label, rule, response)),
    );
    if !found.iter().any(|m| m.check == Check::Status) {
        let documented = step
            .operation
            .documented(response.status, step.expect.code.as_deref());
        if let Some(documented) = documented {
            let content_type = response.header("content-type");
            if !media_type_matches(&documented.media_type, content_type) {
                found.push(mismatch(
                    Check::MediaType,
                    documented.media_type.clone(),
                    content_type.map_or_else(
                        || "no Content-Type header".to_string(),
                        |v| format!("{v:?}"),
                    ),
                ));
            }
        }
        found.extend(check_body(step, response, body, vars));
    }
    found
}

/// Whether a `Content-Type` value is of the documented media type: type and subtype
/// compared without regard to case, parameters such as `charset` allowed.
pub fn media_type_matches(documented: &str, content_type: Option<&str>) -> bool {
    content_type.is_some_and(|value| {
        let essence = value.split(';').next().unwrap_or_default().trim();
        essence.eq_ignore_ascii_case(documented)
    })
}

fn expected_status(step: &Step) -> String {
    let status = match &step.expect.status {
        None => "a 2xx status".to_string(),
        Some(StatusSet::One(s)) => s.to_string(),
        Some(StatusSet::AnyOf(list)) => {
            let list: Vec<String> = list.iter().map(u16::to_string).collect();
            format!("one of {}", list.join(", "))
        }
    };
    match &step.expect.code {
        Some(code) => format!("{status} {code}"),
        None => status,
    }
}

/// The body checks, run once the status is as expected.
fn check_body(
    step: &Step,
    response: &HttpResponse,
    body: Result<Value, String>,
    vars: &Vars,
) -> Vec<Mismatch> {
    let expect = &step.expect;
    let schema = schema_for(&step.operation, response.status, expect.code.as_deref());
    let needs_body = expect.code.is_some() || !expect.equals.is_empty() || schema.is_some();
    let body = match body {
        Ok(body) => body,
        Err(problem) if needs_body => {
            return vec![Mismatch::new(
                &step.label,
                Check::Body,
                "a JSON body",
                describe_non_json(response, &problem),
                expect.span.clone(),
            )]
        }
        Err(_) => return Vec::new(),
    };
    let mut found = Vec::new();
    if let Some((pointer, key)) = repeated_key(&response.body) {
        let shown = if pointer.is_empty() {
            "/".into()
        } else {
            pointer
        };
        found.push(
            Mismatch::new(
                &step.label,
                Check::Body,
                "a JSON body in which no object repeats a key",
                format!("the key {key:?} appears more than once in this object"),
                expect.span.clone(),
            )
            .at(shown),
        );
    }
    if let Some(code) = &expect.code {
        let actual = error_code(&body);
        if actual != Some(code.as_str()) {
            let actual = actual.map_or_else(|| "no error.code in the body".into(), str::to_string);
            let found_code = Mismatch::new(
                &step.label,
                Check::ErrorCode,
                code,
                actual,
                expect.span.clone(),
            );
            found.push(found_code.at("/error/code"));
        }
    }
    if let Some(documented) = schema {
        found.extend(check_schema(&step.label, documented, &body));
    }
    for equality in &expect.equals {
        let expected = match vars.render_value(&equality.value) {
            Ok(value) => value,
            Err(problem) => Value::String(format!("<{problem}>")),
        };
        let actual = body.pointer(&equality.pointer);
        if actual != Some(&expected) {
            let check = Check::Equals(equality.pointer.clone());
            let actual = actual.map_or_else(|| "nothing there".into(), Value::to_string);
            let differs = Mismatch::new(
                &step.label,
                check,
                expected.to_string(),
                actual,
                equality.span.clone(),
            );
            found.push(differs.at(&equality.pointer));
        }
    }
    found
}

/// The documented response whose schema applies: the expected pair, else the actual status.
fn schema_for<'a>(
    operation: &'a Operation,
    status: u16,
    code: Option<&str>,
) -> Option<&'a crate::spec::DocumentedResponse> {
    operation
        .documented(status, code)
        .filter(|documented| documented.schema.is_some())
}

/// Every schema violation, each with its JSON pointer and schema path.
pub fn check_schema(
    step: &str,
    documented: &crate::spec::DocumentedResponse,
    body: &Value,
) -> Vec<Mismatch> {
    let Some(schema) = &documented.schema else {
        return Vec::new();
    };
    schema
        .validator
        .iter_errors(body)
        .map(|error| {
            let pointer = error.instance_path().to_string();
            Mismatch {
                step: step.to_string(),
                check: Check::Schema,
                expected: format!("a body matching {}", schema.display),
                actual: error.to_string(),
                pointer: Some(if pointer.is_empty() {
                    "/".into()
                } else {
                    pointer
                }),
                schema_path: Some(error.schema_path().to_string()),
                span: documented.span.clone(),
            }
        })
        .collect()
}

fn check_header(step: &str, rule: &HeaderCheck, response: &HttpResponse) -> Option<Mismatch> {
    let value = response.header(&rule.name);
    let (expected, ok) = match rule.rule {
        HeaderRule::Present => ("present", value.is_some()),
        HeaderRule::Integer => (
            "a non-negative integer",
            value.is_some_and(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit())),
        ),
    };
    (!ok).then(|| {
        let actual = value.map_or_else(|| "missing".to_string(), |v| format!("{v:?}"));
        let check = Check::Header(rule.name.clone());
        Mismatch::new(step, check, expected, actual, rule.span.clone())
    })
}

/// Parses a body as JSON, or says why it is not.
pub fn parse_json(body: &[u8]) -> Result<Value, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("the body is empty".to_string());
    }
    serde_json::from_slice(body).map_err(|e| format!("the body is not JSON ({e})"))
}

fn describe_non_json(response: &HttpResponse, problem: &str) -> String {
    let content_type = response.header("content-type").map_or_else(
        || "no Content-Type".to_string(),
        |v| format!("Content-Type {v}"),
    );
    format!("{problem}; {content_type}")
}

/// `error.code` of an error envelope, if the body has one.
pub fn error_code(body: &Value) -> Option<&str> {
    body.pointer("/error/code").and_then(Value::as_str)
}

/// Parses a body as JSON and refuses one in which an object repeats a key: JSON parsers
/// keep the last of two `id`s silently, so such a body names two records at once and
/// cannot be trusted to say which one was made.
pub fn parse_json_unique(body: &[u8]) -> Result<Value, String> {
    let value = parse_json(body)?;
    match repeated_key(body) {
        Some((pointer, key)) => Err(format!(
            "the body repeats the key {key:?} in the object at {}",
            if pointer.is_empty() { "/" } else { &pointer }
        )),
        None => Ok(value),
    }
}

/// The first object (by JSON pointer) that repeats a key, and the key; `None` when no
/// object does or the body is not JSON.
pub fn repeated_key(body: &[u8]) -> Option<(String, String)> {
    use serde::Deserializer as _;
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    deserializer
        .deserialize_any(KeyWalk {
            pointer: String::new(),
        })
        .ok()
        .flatten()
}

/// Walks a JSON document, remembering the first object that repeats a key.
struct KeyWalk {
    pointer: String,
}

impl<'de> serde::de::DeserializeSeed<'de> for KeyWalk {
    type Value = Option<(String, String)>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for KeyWalk {
    type Value = Option<(String, String)>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut first = None;
        let mut index = 0usize;
        while let Some(found) = seq.next_element_seed(KeyWalk {
            pointer: format!("{}/{index}", self.pointer),
        })? {
            first = first.or(found);
            index += 1;
        }
        Ok(first)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut first = None;
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let pointer = format!(
                "{}/{}",
                self.pointer,
                key.replace('~', "~0").replace('/', "~1")
            );
            let found = map.next_value_seed(KeyWalk { pointer })?;
            if !seen.insert(key.clone()) && first.is_none() {
                first = Some((self.pointer.clone(), key));
            }
            first = first.or(found);
        }
        Ok(first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_key_is_found_at_any_depth() {
        assert_eq!(
            repeated_key(br#"{"data":{"id":"a","id":"b"}}"#),
            Some(("/data".into(), "id".into()))
        );
        assert_eq!(
            repeated_key(br#"[1,{"x":[{"a/b":1,"a/b":2}]}]"#),
            Some(("/1/x/0".into(), "a/b".into()))
        );
        assert_eq!(
            repeated_key(br#"{"id":1,"id":2}"#),
            Some((String::new(), "id".into()))
        );
        assert_eq!(repeated_key(br#"{"data":{"id":"a"},"id":"a"}"#), None);
        assert_eq!(repeated_key(b"not json"), None);
        let message = parse_json_unique(br#"{"data":{"id":"a","id":"b"}}"#).unwrap_err();
        assert_eq!(
            message,
            "the body repeats the key \"id\" in the object at /data"
        );
        assert!(parse_json_unique(br#"{"a":1}"#).is_ok());
    }

    #[test]
    fn media_types_match_without_case_and_with_parameters() {
        let json = "application/json";
        assert!(media_type_matches(json, Some("application/json")));
        assert!(media_type_matches(
            json,
            Some("Application/JSON; charset=utf-8")
        ));
        assert!(media_type_matches(
            json,
            Some(" application/json ;charset=UTF-8")
        ));
        assert!(!media_type_matches(json, Some("text/plain")));
        assert!(!media_type_matches(json, Some("application/jsonp")));
        assert!(!media_type_matches(json, Some("")));
        assert!(!media_type_matches(json, None));
        assert!(media_type_matches(
            "text/csv",
            Some("text/csv; header=present")
        ));
    }
}
