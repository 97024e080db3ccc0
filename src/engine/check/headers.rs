//! The header rules of the suite (`every_response:`) and of the step, in that order.

use super::Response;
use crate::outcome::{Check, Mismatch};
use crate::spec::{HeaderCheck, HeaderRule};

pub(super) fn check(response: &Response<'_>) -> Vec<Mismatch> {
    response
        .every_response
        .iter()
        .chain(&response.step.expect.headers)
        .filter_map(|rule| check_rule(response, rule))
        .collect()
}

fn check_rule(response: &Response<'_>, rule: &HeaderCheck) -> Option<Mismatch> {
    let value = response.http.header(&rule.name);
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
        let step = &response.step.label;
        Mismatch::new(step, check, expected, actual, rule.span.clone())
    })
}
