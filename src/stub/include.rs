//! `include` of a read: related records embedded on request (Get Contact's
//! `include=notes,tasks,deals`: the top 3 of each, `*` for all).

use serde_json::{Map, Value};

use super::answer::Refusal;
use super::list::order_by;
use super::record::show;
use super::scope::Scope;
use super::state::State;
use crate::spec::behaviour::{Embed, Include, Rule};

/// The names the call asks for, each known; `*` (the include's `all`) asks for every one.
pub fn asked<'i>(
    include: &'i Include,
    scope: &Scope<'_>,
) -> Result<Vec<(&'i str, &'i Embed)>, Refusal> {
    let Some(text) = scope.call.query(&include.param) else {
        return Ok(Vec::new());
    };
    let mut asked = Vec::new();
    for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if include.all.as_deref() == Some(name) {
            return Ok(include.each.iter().map(|(n, e)| (n.as_str(), e)).collect());
        }
        match include.each.get_key_value(name) {
            Some((name, embed)) if !asked.iter().any(|(n, _)| n == name) => {
                asked.push((name.as_str(), embed))
            }
            Some(_) => {}
            None => {
                let known: Vec<&str> = include.each.keys().map(String::as_str).collect();
                return Err(Refusal::field(
                    &scope.stub.validate,
                    Rule::Type,
                    &include.param,
                    format!("must name some of {}", known.join(", ")),
                ));
            }
        }
    }
    Ok(asked)
}

/// The records an embed takes for the record `id`: those whose field names it and whose
/// `only` fields hold one of their values, sorted, the top ones, as shown.
pub fn embedded(embed: &Embed, scope: &Scope<'_>, state: &State, id: &str) -> Vec<Value> {
    let mut related: Vec<&Value> = state
        .in_order(&embed.collection)
        .into_iter()
        .filter(|r| r.get(&embed.field).and_then(Value::as_str) == Some(id))
        .filter(|r| {
            embed
                .only
                .iter()
                .all(|(field, values)| values.contains(r.get(field).unwrap_or(&Value::Null)))
        })
        .collect();
    if let Some(sort) = &embed.sort {
        let (field, descending) = match sort.strip_prefix('-') {
            Some(field) => (field, true),
            None => (sort.as_str(), false),
        };
        order_by(&mut related, field, descending);
    }
    related
        .into_iter()
        .take(usize::try_from(embed.top).unwrap_or(usize::MAX))
        .map(|r| show(scope, &embed.collection, state, r))
        .collect()
}

/// Adds what the call asks to include to a shown record.
pub fn add(scope: &Scope<'_>, state: &State, shown: &mut Value, id: &str) -> Result<(), Refusal> {
    let Some(include) = &scope.stub.include else {
        return Ok(());
    };
    let asked = asked(include, scope)?;
    let Value::Object(fields) = shown else {
        return Ok(());
    };
    let mut added = Map::new();
    for (_, embed) in asked {
        added.insert(
            embed.into.clone(),
            Value::Array(embedded(embed, scope, state, id)),
        );
    }
    fields.extend(added);
    Ok(())
}
