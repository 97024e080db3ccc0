//! One request as the actions see it: the path parameters by name, the query, the body
//! and the time it came. Built once from the HTTP request, so every action is a function
//! of it and of the records.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

/// The largest body the stub reads (the format's cap, above any documented limit that
/// `max_body_bytes` declares); a larger one is refused like one that is not JSON.
pub const MAX_BODY_BYTES: usize = crate::spec::behaviour::BODY_BYTES_CAP as usize;

#[derive(Clone, Debug)]
pub struct Call {
    /// Path parameters by the template's names, as received.
    pub params: BTreeMap<String, String>,
    /// Query parameters in order, decoded.
    pub query: Vec<(String, String)>,
    /// The body as JSON; `None` when there is none, it is not JSON, or it is too large.
    pub body: Option<Value>,
    /// Whether a body was sent at all.
    pub has_body: bool,
    pub now: DateTime<Utc>,
}

impl Call {
    /// A call of `template` on the concrete `path`, with its raw `query` and `body`.
    pub fn new(template: &str, path: &str, query: Option<&str>, body: &[u8]) -> Call {
        Call {
            params: params(template, path),
            query: query.map(pairs).unwrap_or_default(),
            body: match body.len() {
                0 => None,
                n if n > MAX_BODY_BYTES => None,
                _ => serde_json::from_slice(body).ok(),
            },
            has_body: !body.is_empty(),
            now: Utc::now(),
        }
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// The first value of a query parameter (an empty one is a value: `?page=` is no page).
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeated query parameter, in order.
    pub fn query_all(&self, name: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The time of the call as the API writes timestamps: ISO 8601, UTC, `Z`.
    pub fn timestamp(&self) -> String {
        timestamp(self.now)
    }
}

/// `2026-02-24T10:00:00.123Z`.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The template's parameters in a concrete path: `{id}` of `/v1/contacts/{id}`.
pub fn params(template: &str, path: &str) -> BTreeMap<String, String> {
    template
        .split('/')
        .zip(path.split('/'))
        .filter_map(|(t, p)| {
            let name = t.strip_prefix('{')?.strip_suffix('}')?;
            Some((name.to_string(), p.to_string()))
        })
        .collect()
}

/// `a=1&b=x%20y` as decoded pairs (`+` is a space).
fn pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(name), decode(value))
        })
        .collect()
}

/// Percent-decoding of a query component; a malformed escape stays as written, bytes that
/// are not UTF-8 become U+FFFD.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        if byte == b'+' {
            out.push(b' ');
            i += 1;
            continue;
        }
        let escaped = bytes
            .get(i + 1..i + 3)
            .filter(|hex| hex.iter().all(u8::is_ascii_hexdigit))
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (byte, escaped) {
            (b'%', Some(decoded)) => {
                out.push(decoded);
                i += 3;
            }
            _ => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_query_and_body_are_read() {
        let call = Call::new(
            "/v1/lists/{list_id}/contacts/{contact_id}",
            "/v1/lists/l1/contacts/c2",
            Some("search=Jane%20Doe&page=2&page=3&x=a+b&bad=%zz&cut=%4"),
            br#"{"a": 1}"#,
        );
        assert_eq!(call.param("list_id"), Some("l1"));
        assert_eq!(call.param("contact_id"), Some("c2"));
        assert_eq!(call.query("search"), Some("Jane Doe"));
        assert_eq!(call.query("page"), Some("2"));
        assert_eq!(call.query("x"), Some("a b"));
        assert_eq!(call.query("bad"), Some("%zz"));
        assert_eq!(call.query("cut"), Some("%4"));
        assert_eq!(call.body, Some(serde_json::json!({"a": 1})));
        let broken = Call::new("/v1/x", "/v1/x", None, b"{not json");
        assert!(broken.body.is_none() && broken.has_body);
        assert!(timestamp(call.now).ends_with('Z'));
    }
}
