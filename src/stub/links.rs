//! Memberships: records of a link collection (`links: { list_id: lists, contact_id:
//! contacts }`) that tie a parent (the list, named by the path) to members (contacts,
//! named by a body array, or by the last path parameter to remove one).

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::answer::{Done, Refusal};
use super::record::show;
use super::scope::Scope;
use super::state::State;
use crate::spec::behaviour::{Parent, Rule};

/// The link field pointing at the members and the members' collection: the link that is
/// not the parent's.
fn member_side<'s>(scope: &Scope<'s>, parent: &Parent) -> Option<(&'s str, &'s str)> {
    scope
        .collection()
        .links
        .iter()
        .find(|(field, _)| **field != parent.field)
        .map(|(f, c)| (f.as_str(), c.as_str()))
}

/// The id of the link between a parent and a member.
fn link_id(parent: &str, member: &str) -> String {
    format!("{parent}:{member}")
}

/// Links the records the body's members field names to the parent: each id must name a
/// record; ids linked already are skipped.
pub fn link(scope: &Scope<'_>, state: &mut State) -> Result<Done, Refusal> {
    let (_, parent_id) = scope.parent(state)?.expect("lint: a link has a parent");
    let parent = scope
        .stub
        .parent
        .as_ref()
        .expect("lint: a link has a parent");
    let validate = &scope.stub.validate;
    let members = scope
        .stub
        .members
        .as_deref()
        .expect("lint: a link has members");
    let Some((member_field, member_collection)) = member_side(scope, parent) else {
        return Err(Refusal::field(
            validate,
            Rule::Type,
            members,
            "names no linked collection",
        ));
    };
    let ids = member_ids(scope, members)?;
    if let Some(shown) = unknown_members(state, member_collection, ids) {
        return Err(Refusal::field(
            validate,
            Rule::Type,
            members,
            format!("names no {member_collection} record: {shown}"),
        ));
    }
    let (added, skipped) = add_links(scope, state, parent, parent_id, member_field, ids);
    let members_now = state.count_where(&scope.stub.collection, &parent.field, parent_id);
    let parent_record = state.get(&parent.collection, parent_id).cloned();
    Ok(Done {
        record: parent_record.map(|r| show(scope, &parent.collection, state, &r)),
        id: Some(parent_id.to_string()),
        counts: BTreeMap::from([
            ("added", added.len() as u64),
            ("skipped", skipped),
            ("members", members_now as u64),
        ]),
        added: Some(added),
        ..Done::default()
    })
}

/// The ids the body's members field gives: a non-empty array of at most the field's
/// `max_items`.
fn member_ids<'c>(scope: &Scope<'c>, members: &str) -> Result<&'c Vec<Value>, Refusal> {
    let validate = &scope.stub.validate;
    let ids = match scope.call.body.as_ref().and_then(|b| b.get(members)) {
        Some(Value::Array(ids)) if !ids.is_empty() => ids,
        Some(Value::Array(_)) | None | Some(Value::Null) => {
            return Err(Refusal::field(
                validate,
                Rule::Required,
                members,
                "is required",
            ))
        }
        Some(_) => {
            return Err(Refusal::field(
                validate,
                Rule::Type,
                members,
                "must be an array of ids",
            ))
        }
    };
    if let Some(max) = validate.max_items.get(members) {
        if ids.len() as u64 > *max {
            return Err(Refusal::field(
                validate,
                Rule::MaxItems,
                members,
                format!("must hold at most {max} items, not {}", ids.len()),
            ));
        }
    }
    Ok(ids)
}

/// The first ten of the ids that name no record of the members' collection, joined by
/// commas; `None` when every id names one.
fn unknown_members(state: &State, member_collection: &str, ids: &[Value]) -> Option<String> {
    let unknown: Vec<String> = ids
        .iter()
        .filter(|id| {
            id.as_str()
                .is_none_or(|id| state.get(member_collection, id).is_none())
        })
        .map(|id| id.as_str().map_or_else(|| id.to_string(), str::to_string))
        .collect();
    if unknown.is_empty() {
        return None;
    }
    let shown: Vec<String> = unknown.iter().take(10).cloned().collect();
    Some(shown.join(", "))
}

/// Inserts a link record for each id not linked to the parent yet: the ids added, and how
/// many were skipped.
fn add_links(
    scope: &Scope<'_>,
    state: &mut State,
    parent: &Parent,
    parent_id: &str,
    member_field: &str,
    ids: &[Value],
) -> (Vec<Value>, u64) {
    let mut added = Vec::new();
    let mut skipped = 0;
    for id in ids.iter().filter_map(Value::as_str) {
        let key = link_id(parent_id, id);
        if state.get(&scope.stub.collection, &key).is_some() || added.contains(&json!(id)) {
            skipped += 1;
            continue;
        }
        let mut record = serde_json::Map::new();
        record.insert("id".into(), json!(key));
        record.insert(parent.field.clone(), json!(parent_id));
        record.insert(member_field.to_string(), json!(id));
        record.insert("created_at".into(), json!(scope.call.timestamp()));
        state.insert(&scope.stub.collection, &key, Value::Object(record));
        added.push(json!(id));
    }
    (added, skipped)
}

/// Removes the link between the parent and the member the last path parameter names.
pub fn unlink(scope: &Scope<'_>, state: &mut State) -> Result<Done, Refusal> {
    let (_, parent_id) = scope.parent(state)?.expect("lint: an unlink has a parent");
    let parent = scope
        .stub
        .parent
        .as_ref()
        .expect("lint: an unlink has a parent");
    let member = scope.record_id().unwrap_or_default();
    let key = link_id(parent_id, member);
    if state.remove(&scope.stub.collection, &key).is_none() {
        return Err(scope.not_found(&scope.stub.collection, &key));
    }
    let members_now = state.count_where(&scope.stub.collection, &parent.field, parent_id);
    Ok(Done {
        id: Some(member.to_string()),
        counts: BTreeMap::from([("removed", 1), ("members", members_now as u64)]),
        ..Done::default()
    })
}
