//! The safety rules of live runs, as lint rules: a spec that could make a run touch data
//! it did not create, or leave behind what it created, is refused before any request.
//!
//! - a step that creates a record marks it with `{{run_id}}` and has a cleanup;
//! - that cleanup is the `DELETE` of the record in the same collection, addressed by a
//!   value the step captured;
//! - a request that changes or removes data addresses only records created earlier in
//!   the same scenario (captured by a step that has a cleanup), never a literal id or a
//!   random `{{uuid}}` that could exist.
//!
//! The engine enforces the same rules again at run time (see `crate::live::ownership`).

use std::collections::BTreeSet;

use super::{Operation, StubAction};
use crate::spec::template;

/// Whether a step of `op` creates a record that the run must remove: its `stub:` action
/// creates (`create`, `bulk_create`), or, without a `stub:`, it is a `POST` to a
/// collection. (A `POST` the stub plays otherwise, as Bulk Delete Contacts' `bulk_delete`,
/// creates nothing.)
pub(super) fn creates(op: &Operation) -> bool {
    match &op.stub {
        Some(stub) => matches!(stub.action, StubAction::Create | StubAction::BulkCreate),
        None => op.method == "POST" && !op.path.contains('{'),
    }
}

/// Whether a request of `op` changes or removes an existing record.
pub(super) fn changes(op: &Operation) -> bool {
    !matches!(op.method.as_str(), "GET" | "HEAD" | "OPTIONS") && op.path.contains('{')
}

/// Whether a request of `op` may change data with the ids in its body (`ids_in_body`):
/// any method but GET, HEAD and OPTIONS, whatever its path.
pub(super) fn changes_by_body(op: &Operation) -> bool {
    !matches!(op.method.as_str(), "GET" | "HEAD" | "OPTIONS") && !op.ids_in_body.is_empty()
}

/// The values at the `ids_in_body` pointers of a request body, each with where it is
/// under the body in the spec's own notation (`duplicate_ids[1]`): the items of an array
/// one by one; what is not there, or null, is left out.
pub(super) fn body_ids<'b>(
    body: &'b serde_json::Value,
    pointers: &[String],
) -> Vec<(String, &'b serde_json::Value)> {
    use serde_json::Value;
    let mut found = Vec::new();
    for pointer in pointers {
        let place = pointer
            .split('/')
            .skip(1)
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
            .collect::<Vec<_>>()
            .join(".");
        match body.pointer(pointer) {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => found.extend(
                items
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(i, v)| (format!("{place}[{i}]"), v)),
            ),
            Some(one) => found.push((place, one)),
        }
    }
    found
}

/// Why `cleanup` cannot remove what a step of `create` made, if it cannot: it must be the
/// `DELETE` of `<collection path>/{param}`, or, when the stub plays both, a `delete` of the
/// collection the create fills (Bulk Create Contacts' `POST /v1/contacts/bulk` is undone
/// by `DELETE /v1/contacts/{id}`).
pub(super) fn cleanup_problem(create: &Operation, cleanup: &Operation) -> Option<String> {
    // A method or path that is itself broken has its own message.
    let well_formed = |op: &Operation| {
        let methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
        methods.contains(&op.method.as_str())
            && op.path.matches('{').count() == op.path.matches('}').count()
    };
    if !well_formed(create) || !well_formed(cleanup) {
        return None;
    }
    let removes = cleanup.method == "DELETE";
    let last = cleanup.path.rsplit_once('/');
    let by_record = last.is_some_and(|(_, param)| param.starts_with('{') && param.ends_with('}'));
    let same_path = last.is_some_and(|(collection, _)| collection == create.path);
    let same_stub_collection = match (&create.stub, &cleanup.stub) {
        (Some(made), Some(removed)) => {
            removed.action == StubAction::Delete
                && removed.collection == made.collection
                && removed.parent.is_none()
                && made.parent.is_none()
        }
        _ => false,
    };
    let same_collection = by_record && (same_path || same_stub_collection);
    (!removes || !same_collection).then(|| {
        format!(
            "`{}` ({} {}) does not remove the record that {} {} creates",
            cleanup.id, cleanup.method, cleanup.path, create.method, create.path
        )
    })
}

/// The last path parameter of a template: the one that names the record.
pub(super) fn record_param(path: &str) -> Option<&str> {
    let last = path.rsplit('/').next()?;
    last.strip_prefix('{')?.strip_suffix('}')
}

/// The variable a template consists of, if it is exactly one: `{{contact_id}}`.
pub(super) fn sole_variable(text: &str) -> Option<&str> {
    let names = template::variables(text).ok()?;
    let trimmed = text.trim();
    match names.as_slice() {
        [name] if trimmed.starts_with("{{") && trimmed.ends_with("}}") => Some(name),
        _ => None,
    }
}

/// Why the value of a path parameter of a data-changing request is not a record of the
/// scenario's own, if it is not.
pub(super) fn foreign_target(value: &str, created: &BTreeSet<String>) -> Option<String> {
    match sole_variable(value) {
        Some(name) if created.contains(name) => None,
        Some("uuid") => Some("`{{uuid}}` is random and could name an existing record".into()),
        Some(name) => Some(format!(
            "`{{{{{name}}}}}` is not the id that a create step of this scenario removes in its cleanup"
        )),
        None => Some(format!("`{value}` is not a record this scenario created")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_and_targets() {
        assert_eq!(sole_variable("{{contact_id}}"), Some("contact_id"));
        assert_eq!(sole_variable(" {{ a }} "), Some("a"));
        assert_eq!(sole_variable("x{{a}}"), None);
        assert_eq!(sole_variable("literal"), None);
        assert_eq!(record_param("/v1/contacts/{id}"), Some("id"));
        assert_eq!(record_param("/v1/contacts"), None);
        let created: BTreeSet<String> = ["contact_id".to_string()].into();
        assert!(foreign_target("{{contact_id}}", &created).is_none());
        assert!(foreign_target("{{uuid}}", &created)
            .unwrap()
            .contains("random"));
        assert!(foreign_target("123", &created).is_some());
        assert!(foreign_target("{{other}}", &created).is_some());
    }

    #[test]
    fn the_stub_action_says_what_creates_and_what_cleans_it_up() {
        let specs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("specs");
        let suite = crate::spec::load(&specs).expect("the shipped specs load");
        let op = |id: &str| {
            suite
                .operations
                .iter()
                .find(|op| op.id == id)
                .unwrap_or_else(|| panic!("{id}"))
                .clone()
        };
        let (create, bulk, bulk_delete) = (
            op("contacts.create"),
            op("contacts.bulk"),
            op("contacts.bulk-delete"),
        );
        let (delete, note, get) = (
            op("contacts.delete"),
            op("contacts.create-note"),
            op("contacts.get"),
        );
        // A POST the stub plays as bulk_delete creates nothing; bulk_create and a create
        // in a sub-collection do.
        assert!(creates(&create) && creates(&bulk) && creates(&note));
        assert!(!creates(&bulk_delete));
        // Delete Contact removes what Create and Bulk Create Contacts make (the same
        // collection), but not a note (a sub-collection), and a GET removes nothing.
        assert!(cleanup_problem(&create, &delete).is_none());
        assert!(cleanup_problem(&bulk, &delete).is_none());
        assert!(cleanup_problem(&note, &delete).is_some());
        assert!(cleanup_problem(&bulk, &get).is_some());
    }
}
