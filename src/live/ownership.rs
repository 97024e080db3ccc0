//! Whether a record is the run's own, before anything changes or removes it.
//!
//! A live run must never modify or delete data it did not create, even against a buggy
//! gateway: one whose create answer names an existing record, repeats the `id` key, or
//! hands back an id that a proxy would decode into another path. So a created record is
//! taken on for cleanup only with evidence: the object that holds its captured id (the
//! create answer's, or the record read back with `GET` on the cleanup's path) carries the
//! run's mark, the `{{run_id}}` that the create request sent. And a request that changes
//! or removes data may address only ids taken on that way. These are pure functions; the
//! engine calls them and sends nothing when they say no.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::Value;

use crate::live::ids::shown_value;
use crate::spec::template::{self, Vars};
use crate::spec::{Captured, Operation, Suite};

/// Checks that every id in `targets` was captured from `body` and that the object holding
/// it carries `mark` somewhere in its text. `Err` says what is missing.
pub fn marked_in_answer(
    captures: &[Captured],
    body: &Value,
    vars: &Vars,
    mark: &str,
    targets: &[String],
) -> Result<(), String> {
    if targets.is_empty() {
        return Err("the cleanup request addresses no record".into());
    }
    for target in targets {
        let capture = captures
            .iter()
            .find(|c| vars.text_of(&c.name).as_deref() == Some(target.as_str()))
            .ok_or_else(|| {
                format!(
                    "the id {} does not come from this step's answer",
                    shown_value(target)
                )
            })?;
        let at_pointer = body.pointer(&capture.pointer).map(template::text);
        if at_pointer.as_deref() != Some(target.as_str()) {
            return Err(format!(
                "the answer has no {} at {}",
                shown_value(target),
                capture.pointer
            ));
        }
        let parent = parent_pointer(&capture.pointer);
        let record = body.pointer(parent).unwrap_or(body);
        if !carries(record, mark) {
            let place = if parent.is_empty() { "/" } else { parent };
            return Err(format!(
                "the record at {place} with id {} does not carry the mark {mark}",
                shown_value(target)
            ));
        }
    }
    Ok(())
}

/// Refuses a request that changes or removes data (any method but GET, HEAD and OPTIONS)
/// unless every record it addresses is one the run has shown to be its own.
pub fn guard(method: &str, targets: &[String], owned: &HashSet<String>) -> Result<(), String> {
    if matches!(method, "GET" | "HEAD" | "OPTIONS") {
        return Ok(());
    }
    match targets.iter().find(|t| !owned.contains(*t)) {
        None => Ok(()),
        Some(stranger) => Err(format!(
            "not sent: {method} would address {}, which this run has not shown to be a record \
             it created (only ids captured from a create step whose record carries the run's \
             mark may be changed or removed)",
            shown_value(stranger)
        )),
    }
}

/// The ids a request of a data-changing method sends in its body, at the operation's
/// `ids_in_body` pointers (each item of an array; null and absent left out), as the
/// values [`guard`] checks: a text as it is, anything else as its JSON (which no owned id
/// is, so it is refused).
pub fn body_targets(method: &str, body: Option<&Value>, pointers: &[String]) -> Vec<String> {
    let Some(body) = body.filter(|_| !matches!(method, "GET" | "HEAD" | "OPTIONS")) else {
        return Vec::new();
    };
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut targets = Vec::new();
    for pointer in pointers {
        match body.pointer(pointer) {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                targets.extend(items.iter().filter(|v| !v.is_null()).map(text));
            }
            Some(one) => targets.push(text(one)),
        }
    }
    targets
}

/// The operation that reads a record back: `GET` on the same path as `cleanup`.
pub fn read_operation(suite: &Suite, cleanup: &Operation) -> Option<Arc<Operation>> {
    suite
        .operations
        .iter()
        .find(|op| op.method == "GET" && op.path == cleanup.path)
        .cloned()
}

/// Whether any string inside `value` contains `mark`.
pub fn carries(value: &Value, mark: &str) -> bool {
    match value {
        Value::String(s) => s.contains(mark),
        Value::Array(items) => items.iter().any(|v| carries(v, mark)),
        Value::Object(map) => map.values().any(|v| carries(v, mark)),
        _ => false,
    }
}

fn parent_pointer(pointer: &str) -> &str {
    pointer.rfind('/').map_or("", |i| &pointer[..i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn capture() -> Vec<Captured> {
        vec![Captured {
            name: "contact_id".into(),
            pointer: "/data/id".into(),
            secret: false,
        }]
    }

    fn vars(id: &str) -> Vars {
        let mut vars = Vars::new("RUN1", 0);
        vars.set("contact_id", json!(id));
        vars
    }

    #[test]
    fn the_record_holding_the_id_must_carry_the_mark() {
        let ours = json!({"data": {"id": "a", "full_name": "Conformance RUN1"}});
        let targets = ["a".to_string()];
        assert!(marked_in_answer(&capture(), &ours, &vars("a"), "RUN1", &targets).is_ok());
        let theirs = json!({"data": {"id": "a", "full_name": "Someone"}, "echo": "RUN1"});
        let problem = marked_in_answer(&capture(), &theirs, &vars("a"), "RUN1", &targets);
        assert!(problem
            .unwrap_err()
            .contains("does not carry the mark RUN1"));
        let other = ["b".to_string()];
        let problem = marked_in_answer(&capture(), &ours, &vars("a"), "RUN1", &other);
        assert!(problem
            .unwrap_err()
            .contains("does not come from this step"));
        let read_back = json!({"data": {"id": "c", "full_name": "Conformance RUN1"}});
        let problem = marked_in_answer(&capture(), &read_back, &vars("a"), "RUN1", &targets);
        assert!(problem.unwrap_err().contains("has no \"a\" at /data/id"));
        assert!(marked_in_answer(&capture(), &ours, &vars("a"), "RUN1", &[]).is_err());
    }

    #[test]
    fn only_owned_ids_may_be_changed_or_removed() {
        let owned: HashSet<String> = ["a".to_string()].into();
        assert!(guard("DELETE", &["a".into()], &owned).is_ok());
        assert!(guard("GET", &["z".into()], &owned).is_ok());
        for method in ["DELETE", "PATCH", "PUT", "POST"] {
            let refused = guard(method, &["z".into()], &owned).unwrap_err();
            assert!(refused.starts_with("not sent:"), "{refused}");
        }
        assert!(guard("POST", &[], &owned).is_ok());
    }

    #[test]
    fn ids_in_a_body_are_targets_of_a_data_changing_request() {
        let body = json!({"primary_id": "a", "duplicate_ids": ["b", null, 7], "x": "c"});
        let pointers = [
            "/primary_id".to_string(),
            "/duplicate_ids".into(),
            "/gone".into(),
        ];
        let targets = body_targets("POST", Some(&body), &pointers);
        assert_eq!(targets, ["a", "b", "7"]);
        assert!(body_targets("GET", Some(&body), &pointers).is_empty());
        assert!(body_targets("POST", None, &pointers).is_empty());
        let owned: HashSet<String> = ["a".to_string(), "b".into()].into();
        let refused = guard("POST", &targets, &owned).unwrap_err();
        assert!(refused.contains("\"7\""), "{refused}");
    }
}
