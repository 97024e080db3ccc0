//! Checks of one response against one step's expectations: pure functions.
//!
//! Each check returns structured [`Mismatch`]es and never prints. They are tested by
//! building responses by hand, and end to end against deliberately wrong gateways.

use serde_json::Value;

use crate::outcome::{Check, Mismatch};
use crate::spec::template::Vars;
use crate::spec::{HeaderCheck, HeaderRule, Operation, StatusSet, Step};
use crate::transport::http::HttpResponse;

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
    // One parse for every check: the value, and any key an object repeats.
    let body = parse_json_checked(&response.body);
    let mut found = Vec::new();
    if !step.expect.accepts(response.status) {
        let actual = match body.as_ref().ok().and_then(|b| error_code(&b.value)) {
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
    body: Result<CheckedJson, String>,
    vars: &Vars,
) -> Vec<Mismatch> {
    let expect = &step.expect;
    let schema = schema_for(&step.operation, response.status, expect.code.as_deref());
    let needs_body = expect.code.is_some() || !expect.equals.is_empty() || schema.is_some();
    let CheckedJson {
        value: body,
        repeated,
    } = match body {
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
    if let Some((pointer, key)) = repeated {
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

/// A JSON body, and the first object in it that repeats a key (pointer, key), if one does.
pub struct CheckedJson {
    pub value: Value,
    pub repeated: Option<(String, String)>,
}

/// Parses a body as JSON in one pass, noting the first object that repeats a key: JSON
/// parsers keep the last of two `id`s silently, so such a body names two records at once.
pub fn parse_json_checked(body: &[u8]) -> Result<CheckedJson, String> {
    use serde::Deserializer as _;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("the body is empty".to_string());
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let (value, found) = deserializer
        .deserialize_any(Walk)
        .and_then(|walked| deserializer.end().map(|()| walked))
        .map_err(|e| format!("the body is not JSON ({e})"))?;
    let repeated = found.map(|found| {
        let path: String = found.path.iter().rev().map(|s| format!("/{s}")).collect();
        (path, found.key)
    });
    Ok(CheckedJson { value, repeated })
}

/// Parses a body as JSON and refuses one in which an object repeats a key: such a body
/// cannot be trusted to say which record it names.
pub fn parse_json_unique(body: &[u8]) -> Result<Value, String> {
    let checked = parse_json_checked(body)?;
    match checked.repeated {
        Some((pointer, key)) => Err(format!(
            "the body repeats the key {key:?} in the object at {}",
            if pointer.is_empty() { "/" } else { &pointer }
        )),
        None => Ok(checked.value),
    }
}

/// A repeated key found below a node: the path to its object, innermost segment first
/// (built only when something is found), and the key.
struct Repeat {
    path: Vec<String>,
    key: String,
}

/// Builds the JSON value while looking for repeated keys.
struct Walk;

type Walked = (Value, Option<Repeat>);

impl<'de> serde::de::DeserializeSeed<'de> for Walk {
    type Value = Walked;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Walked, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Walk {
    type Value = Walked;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Walked, E> {
        Ok((Value::Bool(v), None))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Walked, E> {
        Ok((Value::from(v), None))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Walked, E> {
        Ok((Value::from(v), None))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Walked, E> {
        Ok((Value::from(v), None))
    }
    fn visit_str<E>(self, v: &str) -> Result<Walked, E> {
        Ok((Value::String(v.to_owned()), None))
    }
    fn visit_string<E>(self, v: String) -> Result<Walked, E> {
        Ok((Value::String(v), None))
    }
    fn visit_unit<E>(self) -> Result<Walked, E> {
        Ok((Value::Null, None))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Walked, A::Error> {
        let mut items = Vec::new();
        let mut first: Option<Repeat> = None;
        while let Some((item, found)) = seq.next_element_seed(Walk)? {
            if let (None, Some(mut found)) = (&first, found) {
                found.path.push(items.len().to_string());
                first = Some(found);
            }
            items.push(item);
        }
        Ok((Value::Array(items), first))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Walked, A::Error> {
        let mut object = serde_json::Map::new();
        let mut first: Option<Repeat> = None;
        while let Some(key) = map.next_key::<String>()? {
            let (value, found) = map.next_value_seed(Walk)?;
            if first.is_none() {
                if let Some(mut found) = found {
                    found.path.push(key.replace('~', "~0").replace('/', "~1"));
                    first = Some(found);
                } else if object.contains_key(&key) {
                    first = Some(Repeat {
                        path: Vec::new(),
                        key: key.clone(),
                    });
                }
            }
            object.insert(key, value);
        }
        Ok((Value::Object(object), first))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first object (by JSON pointer) that repeats a key, and the key.
    fn repeated_key(body: &[u8]) -> Option<(String, String)> {
        parse_json_checked(body).ok()?.repeated
    }

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
