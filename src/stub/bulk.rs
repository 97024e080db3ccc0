//! Bulk actions: many records made by one request (all or none, every item checked
//! first), or removed by their ids (with per-item results: removed, not found, refused).

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::answer::{Done, Refusal};
use super::record::{input, make, show};
use super::scope::Scope;
use super::state::State;
use crate::spec::behaviour::{Bulk, Rule};

/// The items of the body's bulk field: an array within its bound.
fn items<'b>(scope: &Scope<'b>, bulk: &Bulk) -> Result<&'b Vec<Value>, Refusal> {
    let validate = &scope.stub.validate;
    let items = match scope.call.body.as_ref().and_then(|b| b.get(&bulk.items)) {
        Some(Value::Array(items)) if !items.is_empty() => items,
        Some(Value::Array(_)) | None | Some(Value::Null) => {
            return Err(Refusal::field(
                validate,
                Rule::Required,
                &bulk.items,
                "is required",
            ))
        }
        Some(_) => {
            return Err(Refusal::field(
                validate,
                Rule::Type,
                &bulk.items,
                "must be an array",
            ))
        }
    };
    if items.len() as u64 > bulk.max {
        return Err(Refusal::field(
            validate,
            Rule::MaxItems,
            &bulk.items,
            format!("must hold at most {} items, not {}", bulk.max, items.len()),
        ));
    }
    Ok(items)
}

/// Whether the body asks to change nothing.
fn dry_run(scope: &Scope<'_>, bulk: &Bulk) -> Result<bool, Refusal> {
    let Some(field) = bulk.dry_run.as_ref() else {
        return Ok(false);
    };
    match scope.call.body.as_ref().and_then(|b| b.get(field)) {
        None => Ok(false),
        Some(Value::Bool(flag)) => Ok(*flag),
        Some(_) => Err(Refusal::field(
            &scope.stub.validate,
            Rule::Type,
            field,
            "must be true or false",
        )),
    }
}

/// Makes every item as a create would; the first item refused refuses them all, its
/// fields named by their place (`contacts[3].email`).
pub fn create(scope: &Scope<'_>, state: &mut State) -> Result<Done, Refusal> {
    let bulk = scope
        .stub
        .bulk
        .as_ref()
        .expect("lint: a bulk action has `bulk:`");
    let parent = scope.parent(state)?;
    let collection = scope.collection();
    let mut made = Vec::new();
    for (i, item) in items(scope, bulk)?.iter().enumerate() {
        let at = |refusal: Refusal| match refusal {
            Refusal::Invalid { code, fields } => Refusal::Invalid {
                code,
                fields: fields
                    .into_iter()
                    .map(|(f, problem)| (format!("{}[{i}].{f}", bulk.items), problem))
                    .collect(),
            },
            other => other,
        };
        let fields = input(scope, collection, Some(item), true).map_err(at)?;
        super::crud::check_unique(scope, state, &fields, None).map_err(at)?;
        made.push(make(scope, collection, fields, parent).map_err(at)?);
    }
    let dry = dry_run(scope, bulk)?;
    let mut shown = Vec::new();
    for (id, record) in made {
        let record = Value::Object(record);
        if !dry {
            state.insert(&scope.stub.collection, &id, record.clone());
        }
        shown.push(show(scope, &scope.stub.collection, state, &record));
    }
    Ok(Done {
        counts: BTreeMap::from([("created", shown.len() as u64)]),
        records: Some(shown),
        ..Done::default()
    })
}

/// Removes each record an id names: counts of deleted and not found, and an error for
/// each item that is not an id.
pub fn delete(scope: &Scope<'_>, state: &mut State) -> Result<Done, Refusal> {
    let bulk = scope
        .stub
        .bulk
        .as_ref()
        .expect("lint: a bulk action has `bulk:`");
    let ids = items(scope, bulk)?;
    let dry = dry_run(scope, bulk)?;
    let item_field = bulk.items.strip_suffix('s').unwrap_or("id");
    let code = scope.stub.validate.code_of(Rule::Type).to_string();
    let (mut deleted, mut not_found, mut errors) = (0, 0, Vec::new());
    let mut seen = std::collections::BTreeSet::new();
    for id in ids {
        let Some(id) = id.as_str().filter(|id| !id.is_empty()) else {
            errors.push(json!({item_field: id, "code": code, "message": "not an id"}));
            continue;
        };
        let exists = state.get(&scope.stub.collection, id).is_some() && !seen.contains(id);
        seen.insert(id);
        match (exists, dry) {
            (false, _) => not_found += 1,
            (true, true) => deleted += 1,
            (true, false) => {
                state.remove(&scope.stub.collection, id);
                deleted += 1;
            }
        }
    }
    Ok(Done {
        counts: BTreeMap::from([("deleted", deleted), ("not_found", not_found)]),
        errors: Some(errors),
        ..Done::default()
    })
}
