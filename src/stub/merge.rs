//! The merge action: records named in a body array are merged into the one a body field
//! names. The one that stays keeps its id; its empty fields are filled from the others in
//! the order given (their values win with the overwrite flag); the records that point at
//! the others (a contact's notes, list memberships) move to it; the others are retired,
//! and the merge history remembers which record each one went into.
//!
//! The history is what makes a circular chain reachable: a request naming a retired id
//! that was merged (directly or through later merges) into another id of the same request
//! is refused with the 409 of `merge.conflict`, before a missing record's 404. A retired
//! id whose chain leads to no other id of the request is simply not found.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use super::answer::{Done, Merged, Refusal};
use super::record::show;
use super::scope::Scope;
use super::state::State;
use crate::spec::behaviour::{Merge, Rule};

/// What the body asks for, checked.
struct Asked {
    primary: String,
    duplicates: Vec<String>,
    overwrite: bool,
    dry_run: bool,
}

pub fn merge(scope: &Scope<'_>, state: &mut State) -> Result<Done, Refusal> {
    let spec = scope
        .stub
        .merge
        .as_ref()
        .expect("lint: a merge action has `merge:`");
    let asked = asked(scope, spec)?;
    circular(scope, state, spec, &asked)?;
    let collection = scope.stub.collection.as_str();
    let mut records = Vec::new();
    for id in std::iter::once(&asked.primary).chain(&asked.duplicates) {
        match state.get(collection, id) {
            Some(record) => records.push(record.clone()),
            None => return Err(scope.not_found(collection, id)),
        }
    }
    let mut primary = records.remove(0);
    let populated = populate(scope, &mut primary, &records, asked.overwrite);
    if !populated.is_empty() {
        if let (Some(updated), Some(fields)) =
            (&scope.collection().updated, primary.as_object_mut())
        {
            fields.insert(updated.clone(), json!(scope.call.timestamp()));
        }
    }
    let moved = move_children(scope, state, spec, &asked);
    if !asked.dry_run {
        state.replace(collection, &asked.primary, primary.clone());
        for id in &asked.duplicates {
            state.remove(collection, id);
            let key = (collection.to_string(), id.clone());
            state.retired.insert(key, asked.primary.clone());
        }
    }
    Ok(Done {
        record: Some(show(scope, collection, state, &primary)),
        id: Some(asked.primary.clone()),
        merged: Some(Merged {
            ids: asked.duplicates.iter().map(|id| json!(id)).collect(),
            populated: populated.into_iter().map(Value::String).collect(),
            moved,
        }),
        ..Done::default()
    })
}

/// The primary id, the duplicate ids (each once, in order) and the flags, or the 400 of
/// the first field at fault.
fn asked(scope: &Scope<'_>, spec: &Merge) -> Result<Asked, Refusal> {
    let validate = &scope.stub.validate;
    let body = scope.call.body.as_ref().filter(|b| b.is_object());
    let field = |name: &str| body.and_then(|b| b.get(name)).filter(|v| !v.is_null());
    let primary = match field(&spec.primary) {
        None => Err(Refusal::field(
            validate,
            Rule::Required,
            &spec.primary,
            "is required",
        )),
        Some(Value::String(id)) if !id.is_empty() => Ok(id.clone()),
        Some(Value::String(_)) => Err(Refusal::field(
            validate,
            Rule::Required,
            &spec.primary,
            "is required",
        )),
        Some(_) => Err(Refusal::field(
            validate,
            Rule::Type,
            &spec.primary,
            "must be an id",
        )),
    }?;
    let items = match field(&spec.duplicates) {
        Some(Value::Array(items)) if !items.is_empty() => items,
        None | Some(Value::Array(_)) => {
            return Err(Refusal::field(
                validate,
                Rule::Required,
                &spec.duplicates,
                "is required",
            ))
        }
        Some(_) => {
            return Err(Refusal::field(
                validate,
                Rule::Type,
                &spec.duplicates,
                "must be an array of ids",
            ))
        }
    };
    let mut duplicates: Vec<String> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item.as_str().filter(|id| !id.is_empty()) {
            Some(id) if !duplicates.iter().any(|d| d == id) => duplicates.push(id.to_string()),
            Some(_) => {}
            None => {
                let at = format!("{}[{i}]", spec.duplicates);
                return Err(Refusal::field(validate, Rule::Type, &at, "must be an id"));
            }
        }
    }
    if items.len() as u64 > spec.max {
        let problem = format!("must hold at most {} ids, not {}", spec.max, items.len());
        return Err(Refusal::field(
            validate,
            Rule::MaxItems,
            &spec.duplicates,
            problem,
        ));
    }
    if duplicates.contains(&primary) {
        let problem = format!("must not hold {} (the record that stays)", spec.primary);
        return Err(Refusal::Invalid {
            code: validate.code.clone(),
            fields: [(spec.duplicates.clone(), problem)].into(),
        });
    }
    Ok(Asked {
        primary,
        duplicates,
        overwrite: flag(scope, spec.overwrite.as_deref())?,
        dry_run: flag(scope, spec.dry_run.as_deref())?,
    })
}

/// A boolean body field: false when absent, 400 when not true or false.
fn flag(scope: &Scope<'_>, field: Option<&str>) -> Result<bool, Refusal> {
    let Some(field) = field else {
        return Ok(false);
    };
    match scope.call.body.as_ref().and_then(|b| b.get(field)) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(flag)) => Ok(*flag),
        Some(_) => Err(Refusal::field(
            &scope.stub.validate,
            Rule::Type,
            field,
            "must be true or false",
        )),
    }
}

/// The 409 of a circular chain: an id of the request that an earlier merge retired into
/// another id of the request (directly, or through the merges after it).
fn circular(scope: &Scope<'_>, state: &State, spec: &Merge, asked: &Asked) -> Result<(), Refusal> {
    let collection = scope.stub.collection.as_str();
    let sent: BTreeSet<&str> = std::iter::once(asked.primary.as_str())
        .chain(asked.duplicates.iter().map(String::as_str))
        .collect();
    for id in &sent {
        let mut at = id.to_string();
        // Each step follows one retirement; the history has no more steps than entries.
        for _ in 0..=state.retired.len() {
            let Some(into) = state.retired.get(&(collection.to_string(), at.clone())) else {
                break;
            };
            if into != id && sent.contains(into.as_str()) {
                return Err(Refusal::Status {
                    status: 409,
                    code: spec.conflict.clone(),
                    message: format!(
                        "{id} was merged into {into}, which this request also names: the ids \
                         reference each other in a circular chain"
                    ),
                });
            }
            at = into.clone();
        }
    }
    Ok(())
}

/// Fills the primary's empty fields from the duplicates, the first with a value winning
/// (with `overwrite`, its value replaces a non-empty one too); the fields it changed.
fn populate(
    scope: &Scope<'_>,
    primary: &mut Value,
    duplicates: &[Value],
    overwrite: bool,
) -> Vec<String> {
    let collection = scope.collection();
    let server_filled = [&collection.created, &collection.updated];
    let mut populated = Vec::new();
    let Some(fields) = primary.as_object_mut() else {
        return populated;
    };
    for field in collection.fields.keys() {
        let filled_by_server = server_filled
            .iter()
            .any(|f| f.as_deref() == Some(field.as_str()));
        if filled_by_server || collection.hidden.contains(field) {
            continue;
        }
        let current = fields.get(field).cloned().unwrap_or(Value::Null);
        if !overwrite && !empty(&current) {
            continue;
        }
        let offered = duplicates
            .iter()
            .filter_map(|d| d.get(field))
            .find(|v| !empty(v));
        if let Some(value) = offered.filter(|v| **v != current) {
            fields.insert(field.clone(), value.clone());
            populated.push(field.clone());
        }
    }
    populated
}

/// No value: null, an empty text, array or object.
fn empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
        _ => false,
    }
}

/// Moves the records that point at a duplicate to the primary (a link the primary holds
/// already goes); per `moves` name, how many pointed at the duplicates. A dry run counts.
fn move_children(
    scope: &Scope<'_>,
    state: &mut State,
    spec: &Merge,
    asked: &Asked,
) -> Map<String, Value> {
    let mut counts = Map::new();
    for (name, mv) in &spec.moves {
        let is_link = !scope.declared(&mv.collection).links.is_empty();
        let children: Vec<(String, Value, String)> = state
            .collection(&mv.collection)
            .into_iter()
            .flatten()
            .filter_map(|(key, record)| {
                let owner = record.get(&mv.field)?.as_str()?;
                asked
                    .duplicates
                    .iter()
                    .any(|d| d == owner)
                    .then(|| (key.clone(), record.clone(), owner.to_string()))
            })
            .collect();
        counts.insert(name.clone(), json!(children.len()));
        if asked.dry_run {
            continue;
        }
        for (key, mut record, owner) in children {
            record[&mv.field] = json!(asked.primary);
            if !is_link {
                state.replace(&mv.collection, &key, record);
                continue;
            }
            // A link's id names both ends: re-keyed, or dropped when the primary has it.
            state.remove(&mv.collection, &key);
            let new_key = key.replace(&owner, &asked.primary);
            if state.get(&mv.collection, &new_key).is_none() {
                if record.get("id").and_then(Value::as_str) == Some(key.as_str()) {
                    record["id"] = json!(new_key);
                }
                state.insert(&mv.collection, &new_key, record);
            }
        }
    }
    counts
}
