//! The body against the JSON Schema of the documented answer: every violation, each with
//! its JSON pointer and schema path.

use super::Response;
use crate::outcome::{Check, Mismatch};
use crate::spec::{DocumentedResponse, Schema};

/// The documented response whose schema applies: the expected pair, else the actual status.
fn schema_of<'a>(response: &Response<'a>) -> Option<(&'a DocumentedResponse, &'a Schema)> {
    let documented = response.documented?;
    Some((documented, documented.schema.as_deref()?))
}

pub(super) fn wanted(response: &Response<'_>) -> bool {
    schema_of(response).is_some()
}

pub(super) fn check(response: &Response<'_>) -> Vec<Mismatch> {
    let (Some((documented, schema)), Some(body)) = (schema_of(response), response.json()) else {
        return Vec::new();
    };
    schema
        .validator
        .iter_errors(body)
        .map(|error| {
            let pointer = error.instance_path().to_string();
            let found = Mismatch::new(
                &response.step.label,
                Check::Schema,
                format!("a body matching {}", schema.display),
                error.to_string(),
                documented.span.clone(),
            );
            Mismatch {
                schema_path: Some(error.schema_path().to_string()),
                ..found.at(if pointer.is_empty() {
                    "/".into()
                } else {
                    pointer
                })
            }
        })
        .collect()
}
