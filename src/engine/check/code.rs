//! `expect.code`: the error envelope's `error.code`.

use super::{error_code, Response};
use crate::outcome::{Check, Mismatch};

pub(super) fn wanted(response: &Response<'_>) -> bool {
    response.step.expect.code.is_some()
}

pub(super) fn check(response: &Response<'_>) -> Vec<Mismatch> {
    let (Some(code), Some(body)) = (&response.step.expect.code, response.json()) else {
        return Vec::new();
    };
    let actual = error_code(body);
    if actual == Some(code.as_str()) {
        return Vec::new();
    }
    let actual = actual.map_or_else(|| "no error.code in the body".into(), str::to_string);
    vec![response
        .mismatch(Check::ErrorCode, code, actual)
        .at("/error/code")]
}
