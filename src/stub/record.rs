//! Records in and out: the fields a body sets (renames, accepted fields, words
//! normalised, types and rules checked), a new record made complete (every documented
//! field, an id, timestamps, derived names, the parent link), an update merged in, and a
//! record shown as the answer shows it (hidden fields left out, counts computed, fields
//! under the answer's names).

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::answer::Refusal;
use super::call::Call;
use super::names;
use super::scope::Scope;
use super::state::State;
use super::validate;
use crate::spec::behaviour::{Collection, IdStyle, Rule, Unknown};

/// Crockford's base 32, as ULIDs write it.
const BASE32: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A new id in the collection's style.
pub fn new_id(style: &IdStyle, call: &Call) -> String {
    match style {
        IdStyle::Uuid => uuid::Uuid::new_v4().to_string(),
        IdStyle::Prefixed(prefix) => format!("{prefix}{}", ulid(call)),
    }
}

/// 26 characters: 48 bits of milliseconds, then 80 random bits.
fn ulid(call: &Call) -> String {
    let millis = call.now.timestamp_millis().max(0) as u128;
    let random = u128::from_be_bytes(*uuid::Uuid::new_v4().as_bytes()) & ((1 << 80) - 1);
    let value = (millis << 80) | random;
    (0..26)
        .rev()
        .map(|i| BASE32[((value >> (i * 5)) & 31) as usize] as char)
        .collect()
}

/// The fields a request may set when the behaviour names none: every declared field but
/// the id, computed counts, timestamps the server fills (the creation time only when a
/// create may back-date it), and a parent's link (taken from the path).
fn accepted(
    scope: &Scope<'_>,
    collection: &Collection,
    creating: bool,
) -> Option<BTreeSet<String>> {
    if let Some(accepts) = &scope.stub.accepts {
        return Some(accepts.iter().cloned().collect());
    }
    if collection.fields.is_empty() {
        return None;
    }
    let parent = scope.stub.parent.as_ref().map(|p| p.field.as_str());
    let settable_created = creating && collection.backdating.is_some();
    Some(
        collection
            .fields
            .keys()
            .filter(|f| {
                Some(f.as_str()) != collection.updated.as_deref()
                    && (settable_created || Some(f.as_str()) != collection.created.as_deref())
                    && Some(f.as_str()) != parent
                    && !collection.counts.contains_key(*f)
                    && f.as_str() != "id"
            })
            .cloned()
            .collect(),
    )
}

/// The fields `body` sets: renamed, filtered to what the operation accepts, normalised,
/// and checked against the collection's types and the operation's rules.
pub fn input(
    scope: &Scope<'_>,
    collection: &Collection,
    body: Option<&Value>,
    creating: bool,
) -> Result<Map<String, Value>, Refusal> {
    let validate = &scope.stub.validate;
    let sent = match body {
        Some(Value::Object(fields)) => fields.clone(),
        None if !scope.call.has_body => Map::new(),
        _ => {
            return Err(Refusal::field(
                validate,
                Rule::Type,
                "body",
                "must be a JSON object",
            ))
        }
    };
    let mut fields = under_stored_names(scope, collection, sent)?;
    keep_accepted(scope, collection, creating, &mut fields)?;
    normalise(collection, &mut fields);
    validate::check(validate, &collection.fields, &fields)?;
    Ok(fields)
}

/// The fields sent, under the names the behaviour's `renames` stores them by. A field sent
/// under both names: the stored name wins, and the other must still be of the field's
/// type.
fn under_stored_names(
    scope: &Scope<'_>,
    collection: &Collection,
    sent: Map<String, Value>,
) -> Result<Map<String, Value>, Refusal> {
    let mut fields = Map::new();
    let mut renamed = Vec::new();
    for (name, value) in sent {
        match scope.stub.renames.get(&name) {
            Some(stored) => renamed.push((name, stored.clone(), value)),
            None => {
                fields.insert(name, value);
            }
        }
    }
    for (alias, stored, value) in renamed {
        if !fields.contains_key(&stored) {
            fields.insert(stored, value);
            continue;
        }
        if let Some(kind) = collection.fields.get(&stored).filter(|k| !k.admits(&value)) {
            let problem = format!("must be {}", kind.describe());
            return Err(Refusal::field(
                &scope.stub.validate,
                Rule::Type,
                &alias,
                problem,
            ));
        }
    }
    Ok(fields)
}

/// Leaves out of `fields` those the operation does not accept, or refuses them all when
/// its `validate.unknown` says `refuse`.
fn keep_accepted(
    scope: &Scope<'_>,
    collection: &Collection,
    creating: bool,
    fields: &mut Map<String, Value>,
) -> Result<(), Refusal> {
    let Some(accepted) = accepted(scope, collection, creating) else {
        return Ok(());
    };
    let validate = &scope.stub.validate;
    let unknown: Vec<String> = fields
        .keys()
        .filter(|f| !accepted.contains(*f))
        .cloned()
        .collect();
    if validate.unknown == Unknown::Refuse && !unknown.is_empty() {
        let problems = unknown
            .into_iter()
            .map(|f| (f, "is not a field this operation accepts".to_string()))
            .collect();
        return Err(Refusal::invalid(validate, Rule::Unknown, problems));
    }
    fields.retain(|f, _| accepted.contains(f));
    Ok(())
}

/// Replaces each text of a field the collection normalises by the value its word stands
/// for (the word matched trimmed, in any case).
fn normalise(collection: &Collection, fields: &mut Map<String, Value>) {
    for (field, words) in &collection.normalise {
        let Some(Value::String(word)) = fields.get(field) else {
            continue;
        };
        let meant = words
            .iter()
            .find(|(w, _)| w.eq_ignore_ascii_case(word.trim()))
            .map(|(_, v)| v.clone());
        if let Some(value) = meant {
            fields.insert(field.clone(), value);
        }
    }
}

/// A new record: every documented field (null unless given or defaulted), the input, the
/// parent's link, derived names, an id and the server's timestamps; refused when the
/// collection's `requires_any` finds nothing or a back-dated time is out of bounds.
pub fn make(
    scope: &Scope<'_>,
    collection: &Collection,
    input: Map<String, Value>,
    parent: Option<(&str, &str)>,
) -> Result<(String, Map<String, Value>), Refusal> {
    let validate = &scope.stub.validate;
    let mut record = Map::new();
    for field in collection.fields.keys() {
        record.insert(field.clone(), Value::Null);
    }
    if collection.fields.is_empty() {
        if let Some(Value::Object(example)) = scope.example_record() {
            for field in example.keys() {
                record.insert(field.clone(), Value::Null);
            }
        }
    }
    for (field, value) in &collection.defaults {
        record.insert(field.clone(), value.clone());
    }
    let given: BTreeSet<String> = input.keys().cloned().collect();
    record.extend(input);
    if let Some((field, id)) = parent {
        record.insert(field.to_string(), Value::String(id.to_string()));
    }
    if let Some(rules) = &collection.names {
        names::derive(rules, &mut record, &given);
    }
    let missing = validate::requires_any(&collection.requires_any, &record);
    if !missing.is_empty() {
        return Err(Refusal::invalid(validate, Rule::Required, missing));
    }
    let now = Value::String(scope.call.timestamp());
    if let Some(created) = &collection.created {
        let value = match (collection.backdating, record.get(created)) {
            (Some(bounds), Some(sent)) if !sent.is_null() => {
                match validate::backdated(sent, bounds, scope.call.now) {
                    Ok(at) => Value::String(at),
                    Err(problem) => {
                        return Err(Refusal::field(validate, Rule::Type, created, problem))
                    }
                }
            }
            _ => now.clone(),
        };
        record.insert(created.clone(), value);
    }
    if let Some(updated) = &collection.updated {
        let value = match collection.updated_on_create {
            true => now,
            false => Value::Null,
        };
        record.insert(updated.clone(), value);
    }
    let id = new_id(&collection.id, scope.call);
    record.insert("id".into(), Value::String(id.clone()));
    Ok((id, record))
}

/// `stored` with the input merged in: appended fields gain a line, names are derived
/// again from what was sent, and the update time is now.
pub fn merge(
    scope: &Scope<'_>,
    collection: &Collection,
    stored: &Value,
    input: Map<String, Value>,
) -> Result<Map<String, Value>, Refusal> {
    let mut record = stored.as_object().cloned().unwrap_or_default();
    let given: BTreeSet<String> = input.keys().cloned().collect();
    for (field, value) in input {
        let appended = match (record.get(&field), &value) {
            (Some(Value::String(old)), Value::String(new))
                if scope.stub.appends.contains(&field) && !old.is_empty() =>
            {
                Value::String(format!("{old}\n{new}"))
            }
            _ => value,
        };
        record.insert(field, appended);
    }
    if let Some(rules) = &collection.names {
        names::derive(rules, &mut record, &given);
    }
    let missing = validate::requires_any(&collection.requires_any, &record);
    if !missing.is_empty() {
        return Err(Refusal::invalid(
            &scope.stub.validate,
            Rule::Required,
            missing,
        ));
    }
    if let Some(updated) = &collection.updated {
        record.insert(updated.clone(), Value::String(scope.call.timestamp()));
    }
    Ok(record)
}

/// A record as an answer shows it: hidden fields left out, counts of links computed, and
/// fields renamed by the behaviour's `shows`.
pub fn show(scope: &Scope<'_>, collection_name: &str, state: &State, record: &Value) -> Value {
    let collection = scope.declared(collection_name);
    let Value::Object(mut shown) = record.clone() else {
        return record.clone();
    };
    for hidden in &collection.hidden {
        shown.remove(hidden);
    }
    let id = shown
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    for (field, link) in &collection.counts {
        let pointing = scope
            .declared(link)
            .links
            .iter()
            .find(|(_, target)| *target == collection_name)
            .map(|(f, _)| f.as_str());
        let count = pointing.map_or(0, |f| state.count_where(link, f, &id));
        shown.insert(field.clone(), Value::from(count));
    }
    // The renames apply to the operation's own collection only.
    if collection_name == scope.stub.collection {
        for (answer_name, stored) in &scope.stub.shows {
            if let Some(value) = shown.remove(stored) {
                shown.insert(answer_name.clone(), value);
            }
        }
    }
    Value::Object(shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_in_the_collection_style() {
        let call = Call::new("/x", "/x", None, b"");
        let uuid = new_id(&IdStyle::Uuid, &call);
        assert!(uuid::Uuid::parse_str(&uuid).is_ok(), "{uuid}");
        let prefixed = new_id(&IdStyle::Prefixed("cmp_".into()), &call);
        assert_eq!(prefixed.len(), 30, "{prefixed}");
        assert!(prefixed.starts_with("cmp_01"), "{prefixed}");
        assert!(prefixed[4..].bytes().all(|b| BASE32.contains(&b)));
        assert_ne!(prefixed, new_id(&IdStyle::Prefixed("cmp_".into()), &call));
    }
}
