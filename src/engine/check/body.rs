//! The body is JSON when anything is expected of it, and no object in it repeats a key.

use super::Response;
use crate::outcome::{Check, Mismatch};

/// A body that is not JSON, when some check wants one (see [`Response::body_wanted`]).
pub(super) fn is_json(response: &Response<'_>) -> Vec<Mismatch> {
    match &response.body {
        Err(problem) if response.body_wanted() => {
            let actual = describe_non_json(response, problem);
            vec![response.mismatch(Check::Body, "a JSON body", actual)]
        }
        Ok(_) | Err(_) => Vec::new(),
    }
}

/// The first object that repeats a key: JSON parsers keep the last of two `id`s
/// silently, so such a body names two records at once.
pub(super) fn repeated_key(response: &Response<'_>) -> Vec<Mismatch> {
    let Some((pointer, key)) = response.body.as_ref().ok().and_then(|b| b.repeated.clone()) else {
        return Vec::new();
    };
    let shown = if pointer.is_empty() {
        "/".into()
    } else {
        pointer
    };
    let expected = "a JSON body in which no object repeats a key";
    let actual = format!("the key {key:?} appears more than once in this object");
    vec![response.mismatch(Check::Body, expected, actual).at(shown)]
}

/// A repeated key is looked for in any JSON body, but does not make a body wanted.
pub(super) fn never_wanted(_: &Response<'_>) -> bool {
    false
}

fn describe_non_json(response: &Response<'_>, problem: &str) -> String {
    let content_type = response.http.header("content-type").map_or_else(
        || "no Content-Type".to_string(),
        |v| format!("Content-Type {v}"),
    );
    format!("{problem}; {content_type}")
}
