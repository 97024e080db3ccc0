//! The status (and, for an error, the code beside it) is one the step expects.

use super::{error_code, Response};
use crate::outcome::{Check, Mismatch};
use crate::spec::{StatusSet, Step};

pub(super) fn check(response: &Response<'_>) -> Vec<Mismatch> {
    if response.status_matched() {
        return Vec::new();
    }
    let status = response.http.status;
    let actual = match response.json().and_then(error_code) {
        Some(code) => format!("{status} {code}"),
        None => status.to_string(),
    };
    vec![response.mismatch(Check::Status, expected(response.step), actual)]
}

fn expected(step: &Step) -> String {
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
