//! What an action acts on: the operation, its `stub:` behaviour, the suite's collections
//! and the call. Every action family reads it; none writes it.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::Value;

use super::answer::Refusal;
use super::call::Call;
use super::state::State;
use crate::spec::behaviour::{Collection, StubBehaviour};
use crate::spec::Operation;

pub struct Scope<'a> {
    pub op: &'a Operation,
    pub stub: &'a StubBehaviour,
    pub collections: &'a BTreeMap<String, Collection>,
    pub call: &'a Call,
}

/// A collection that declares nothing: records hold what is sent.
fn undeclared() -> &'static Collection {
    static EMPTY: OnceLock<Collection> = OnceLock::new();
    EMPTY.get_or_init(Collection::default)
}

impl<'a> Scope<'a> {
    /// The declaration of a collection (an empty one when it has none: lint refuses that
    /// for the specs, but a suite built in code may skip it).
    pub fn declared(&self, name: &str) -> &'a Collection {
        self.collections.get(name).unwrap_or_else(|| undeclared())
    }

    /// The declaration of the operation's own collection.
    pub fn collection(&self) -> &'a Collection {
        self.declared(&self.stub.collection)
    }

    /// The id in the last path parameter: the record the operation addresses.
    pub fn record_id(&self) -> Option<&'a str> {
        let last = self.op.params.last()?;
        self.call.param(last)
    }

    /// The documented record of the success example (at the behaviour's `record`).
    pub fn example_record(&self) -> Option<&'a Value> {
        self.op
            .success()?
            .example
            .as_ref()?
            .pointer(&self.stub.record)
    }

    /// A missing record of `collection` with `id`: the operation's 404.
    pub fn not_found(&self, collection: &str, id: &str) -> Refusal {
        Refusal::NotFound {
            code: self.stub.not_found_code().to_string(),
            on_purpose: self.stub.not_found.is_some(),
            what: format!("{collection} record {id}"),
        }
    }

    /// The parent of a sub-collection, checked: `(field, id)` to put in or look for, or the
    /// 404 of a missing parent; `None` without a parent.
    pub fn parent(&self, state: &State) -> Result<Option<(&'a str, &'a str)>, Refusal> {
        let Some(parent) = &self.stub.parent else {
            return Ok(None);
        };
        let id = self.call.param(&parent.param).unwrap_or_default();
        if state.get(&parent.collection, id).is_none() {
            let on_purpose = parent.not_found.is_some() || self.stub.not_found.is_some();
            return Err(Refusal::NotFound {
                code: parent
                    .not_found
                    .clone()
                    .unwrap_or_else(|| self.stub.not_found_code().to_string()),
                on_purpose,
                what: format!("{} record {id}", parent.collection),
            });
        }
        Ok(Some((parent.field.as_str(), id)))
    }
}
