//! `expect.equals`: the value at each JSON pointer of the body, templates filled.

use serde_json::Value;

use super::Response;
use crate::outcome::{Check, Mismatch};
use crate::spec::Equality;

pub(super) fn wanted(response: &Response<'_>) -> bool {
    !response.step.expect.equals.is_empty()
}

pub(super) fn check(response: &Response<'_>) -> Vec<Mismatch> {
    let Some(body) = response.json() else {
        return Vec::new();
    };
    let equals = &response.step.expect.equals;
    equals
        .iter()
        .filter_map(|equality| check_one(response, equality, body))
        .collect()
}

fn check_one(response: &Response<'_>, equality: &Equality, body: &Value) -> Option<Mismatch> {
    let expected = match response.vars.render_value(&equality.value) {
        Ok(value) => value,
        Err(problem) => Value::String(format!("<{problem}>")),
    };
    let actual = body.pointer(&equality.pointer);
    if actual == Some(&expected) {
        return None;
    }
    let check = Check::Equals(equality.pointer.clone());
    let actual = actual.map_or_else(|| "nothing there".into(), Value::to_string);
    let step = &response.step.label;
    let differs = Mismatch::new(
        step,
        check,
        expected.to_string(),
        actual,
        equality.span.clone(),
    );
    Some(differs.at(&equality.pointer))
}
