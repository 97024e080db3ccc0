//! The actions on single records and their collection: create, read, list, update,
//! delete. Each is a function of the scope and the records, giving what it did (for the
//! answer) or why it refused.

use std::collections::BTreeMap;

use serde_json::Value;

use super::answer::{Done, Refusal};
use super::include;
use super::list;
use super::record::{input, make, merge, show};
use super::scope::Scope;
use super::state::State;
use crate::spec::behaviour::Rule;

/// The record the last path parameter names (within the parent, for a sub-collection).
fn addressed<'s>(scope: &Scope<'_>, state: &'s State) -> Result<(String, &'s Value), Refusal> {
    let parent = scope.parent(state)?;
    let collection = &scope.stub.collection;
    let id = scope.record_id().unwrap_or_default();
    let found = state.get(collection, id).filter(|record| {
        parent.is_none_or(|(field, parent_id)| {
            record.get(field).and_then(Value::as_str) == Some(parent_id)
        })
    });
    match found {
        Some(record) => Ok((id.to_string(), record)),
        None => Err(scope.not_found(collection, id)),
    }
}

/// Refused when a field the behaviour names `unique` holds a value another record of the
/// collection (but `except`, the one being updated) holds already.
pub fn check_unique(
    scope: &Scope<'_>,
    state: &State,
    fields: &serde_json::Map<String, Value>,
    except: Option<&str>,
) -> Result<(), Refusal> {
    let validate = &scope.stub.validate;
    let records = state.collection(&scope.stub.collection);
    let clashes: BTreeMap<String, String> = validate
        .unique
        .iter()
        .filter(|field| {
            let value = fields.get(*field).filter(|v| !v.is_null());
            value.is_some_and(|value| {
                records.into_iter().flatten().any(|(id, record)| {
                    Some(id.as_str()) != except && record.get(*field) == Some(value)
                })
            })
        })
        .map(|field| (field.clone(), "must be unique".to_string()))
        .collect();
    match clashes.is_empty() {
        true => Ok(()),
        false => Err(Refusal::invalid(validate, Rule::Unique, clashes)),
    }
}

/// A record made from the body, stored.
pub fn create(scope: &Scope<'_>, state: &mut State) -> Result<Done, Refusal> {
    let parent = scope.parent(state)?;
    let collection = scope.collection();
    let fields = input(scope, collection, scope.call.body.as_ref(), true)?;
    check_unique(scope, state, &fields, None)?;
    let (id, record) = make(scope, collection, fields, parent)?;
    let record = Value::Object(record);
    state.insert(&scope.stub.collection, &id, record.clone());
    Ok(Done {
        record: Some(show(scope, &scope.stub.collection, state, &record)),
        id: Some(id),
        ..Done::default()
    })
}

/// The record, with what the call asks to include.
pub fn read(scope: &Scope<'_>, state: &mut State) -> Result<Done, Refusal> {
    let (id, record) = addressed(scope, state)?;
    let mut shown = show(scope, &scope.stub.collection, state, record);
    include::add(scope, state, &mut shown, &id)?;
    Ok(Done {
        record: Some(shown),
        id: Some(id),
        ..Done::default()
    })
}

/// A page of the collection (of the parent's records, for a sub-collection).
pub fn list(scope: &Scope<'_>, state: &mut State) -> Result<Done, Refusal> {
    let parent = scope.parent(state)?;
    let spec = scope.stub.list.as_ref().expect("lint: a list has `list:`");
    let validate = &scope.stub.validate;
    let (page, per_page) = list::paging(spec, scope.call, validate)?;
    let own = &scope.stub.collection;
    let records: Vec<&Value> = state
        .in_order(own)
        .into_iter()
        .filter(|r| {
            parent.is_none_or(|(field, id)| r.get(field).and_then(Value::as_str) == Some(id))
        })
        .collect();
    let linked = |link: &str, value: &str, record: &Value| {
        let links = &scope.declared(link).links;
        let mine = links.iter().find(|(_, c)| *c == own).map(|(f, _)| f);
        let theirs = links.iter().find(|(_, c)| *c != own).map(|(f, _)| f);
        let (Some(mine), Some(theirs), Some(id)) = (mine, theirs, record.get("id")) else {
            return false;
        };
        state.collection(link).is_some_and(|links| {
            links.values().any(|l| {
                l.get(theirs).and_then(Value::as_str) == Some(value) && l.get(mine) == Some(id)
            })
        })
    };
    let mut found = list::filter(records, spec, scope.call, validate, &linked)?;
    if let Some(sort) = &spec.sort {
        let (field, descending) = list::sort_key(sort, scope.call, validate)?;
        list::order_by(&mut found, field, descending);
    }
    let total = found.len() as u64;
    let items = list::page(&found, page, per_page)
        .into_iter()
        .map(|r| show(scope, own, state, r))
        .collect();
    Ok(Done {
        records: Some(items),
        counts: BTreeMap::from([("total", total)]),
        page: Some((page, per_page)),
        ..Done::default()
    })
}

/// The record with the body merged in.
pub fn update(scope: &Scope<'_>, state: &mut State) -> Result<Done, Refusal> {
    let (id, stored) = addressed(scope, state)?;
    let collection = scope.collection();
    let fields = input(scope, collection, scope.call.body.as_ref(), false)?;
    check_unique(scope, state, &fields, Some(&id))?;
    let record = Value::Object(merge(scope, collection, stored, fields)?);
    state.replace(&scope.stub.collection, &id, record.clone());
    Ok(Done {
        record: Some(show(scope, &scope.stub.collection, state, &record)),
        id: Some(id),
        ..Done::default()
    })
}

/// The record removed, with the links of the cascade that pointed at it.
pub fn delete(scope: &Scope<'_>, state: &mut State) -> Result<Done, Refusal> {
    let (id, _) = addressed(scope, state)?;
    let own = scope.stub.collection.clone();
    let removed = state.remove(&own, &id);
    let mut cascaded = 0;
    for link in &scope.stub.cascade {
        let pointing: Vec<String> = scope
            .declared(link)
            .links
            .iter()
            .filter(|(_, c)| **c == own)
            .map(|(f, _)| f.clone())
            .collect();
        for field in pointing {
            cascaded += state.remove_where(link, &field, &id) as u64;
        }
    }
    Ok(Done {
        record: removed.map(|r| show(scope, &own, state, &r)),
        id: Some(id),
        counts: BTreeMap::from([("removed", cascaded)]),
        ..Done::default()
    })
}
