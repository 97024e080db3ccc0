//! The stub's records: one collection per name, each a map of id → JSON record, shared by
//! every operation naming it, plus what the gate counts per key (requests, credits).
//!
//! Records also remember the order they were made in, so that lists that sort on a
//! field break its ties by creation (records put in from outside, by a seed, come first,
//! by id).

use std::collections::{BTreeMap, HashMap, VecDeque};

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::spec::RateLimit;

use super::seed::Seed;

/// The records of one collection, by id.
pub type Collection = BTreeMap<String, Value>;

#[derive(Default)]
pub struct State {
    pub collections: HashMap<String, Collection>,
    /// Requests made so far, by key.
    pub used: HashMap<String, u32>,
    /// Credits spent so far, by key.
    pub spent: HashMap<String, u64>,
    /// The merge history: (collection, id of a retired record) → the id it was merged
    /// into.
    pub retired: HashMap<(String, String), String>,
    /// The times of the recent calls of each operation with a limit of its own, by
    /// workspace and operation id.
    calls: HashMap<(String, String), VecDeque<DateTime<Utc>>>,
    /// When each record was made, by collection and id: its place in creation order.
    made: HashMap<(String, String), u64>,
    next: u64,
}

impl State {
    /// The state of a new stub: the seed's records in their collections, made in the
    /// file's order (before anything a request makes), or nothing.
    pub fn seeded(seed: Option<Seed>) -> State {
        let mut state = State::default();
        for (name, records) in seed.map(|s| s.collections).unwrap_or_default() {
            state.collections.entry(name.clone()).or_default();
            for (id, record) in records {
                state.insert(&name, &id, record);
            }
        }
        state
    }

    /// Counts a call of `operation` by `workspace` at `now` against the operation's own
    /// limit: false, and not counted, when the calls within the window before `now`
    /// already reach it.
    pub fn take_call(
        &mut self,
        workspace: &str,
        operation: &str,
        limit: RateLimit,
        now: DateTime<Utc>,
    ) -> bool {
        let key = (workspace.to_string(), operation.to_string());
        let recent = self.calls.entry(key).or_default();
        let window = chrono::Duration::seconds(limit.per.seconds());
        while recent.front().is_some_and(|at| now - *at >= window) {
            recent.pop_front();
        }
        if recent.len() >= limit.calls as usize {
            return false;
        }
        recent.push_back(now);
        true
    }

    /// The records of a collection (none when nothing was stored there yet).
    pub fn collection(&self, name: &str) -> Option<&Collection> {
        self.collections.get(name)
    }

    pub fn get(&self, collection: &str, id: &str) -> Option<&Value> {
        self.collections.get(collection)?.get(id)
    }

    /// Stores a new record (or replaces one) under `id`, made now.
    pub fn insert(&mut self, collection: &str, id: &str, record: Value) {
        self.next += 1;
        self.made
            .entry((collection.to_string(), id.to_string()))
            .or_insert(self.next);
        self.collections
            .entry(collection.to_string())
            .or_default()
            .insert(id.to_string(), record);
    }

    /// Replaces a stored record, keeping its place in creation order.
    pub fn replace(&mut self, collection: &str, id: &str, record: Value) {
        if let Some(stored) = self
            .collections
            .get_mut(collection)
            .and_then(|c| c.get_mut(id))
        {
            *stored = record;
        }
    }

    pub fn remove(&mut self, collection: &str, id: &str) -> Option<Value> {
        let removed = self.collections.get_mut(collection)?.remove(id);
        self.made.remove(&(collection.to_string(), id.to_string()));
        removed
    }

    /// The records of a collection in creation order (records from outside first, by id).
    pub fn in_order(&self, collection: &str) -> Vec<&Value> {
        let Some(records) = self.collections.get(collection) else {
            return Vec::new();
        };
        let mut ordered: Vec<(u64, &String, &Value)> = records
            .iter()
            .map(|(id, record)| {
                let made = self.made.get(&(collection.to_string(), id.clone()));
                (made.copied().unwrap_or(0), id, record)
            })
            .collect();
        ordered.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        ordered.into_iter().map(|(_, _, record)| record).collect()
    }

    /// Removes every record of `collection` whose `field` holds `value`; how many.
    pub fn remove_where(&mut self, collection: &str, field: &str, value: &str) -> usize {
        let ids: Vec<String> = self
            .collections
            .get(collection)
            .into_iter()
            .flatten()
            .filter(|(_, r)| r.get(field).and_then(Value::as_str) == Some(value))
            .map(|(id, _)| id.clone())
            .collect();
        for id in &ids {
            self.remove(collection, id);
        }
        ids.len()
    }

    /// How many records of `collection` have `field` equal to `value`.
    pub fn count_where(&self, collection: &str, field: &str, value: &str) -> usize {
        self.collections.get(collection).map_or(0, |records| {
            records
                .values()
                .filter(|r| r.get(field).and_then(Value::as_str) == Some(value))
                .count()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::raw::Per;
    use serde_json::json;

    #[test]
    fn an_operation_limit_counts_calls_per_workspace_within_its_window() {
        let mut state = State::default();
        let limit = RateLimit {
            calls: 2,
            per: Per::Hour,
        };
        let start = Utc::now();
        let at = |seconds: i64| start + chrono::Duration::seconds(seconds);
        assert!(state.take_call("1", "contacts.export", limit, at(0)));
        assert!(state.take_call("1", "contacts.export", limit, at(10)));
        assert!(!state.take_call("1", "contacts.export", limit, at(20)));
        // Another workspace, another operation: budgets of their own.
        assert!(state.take_call("2", "contacts.export", limit, at(20)));
        assert!(state.take_call("1", "deals.export", limit, at(20)));
        // A refused call is not counted; the first call leaves the window after an hour.
        assert!(!state.take_call("1", "contacts.export", limit, at(3_599)));
        assert!(state.take_call("1", "contacts.export", limit, at(3_600)));
        assert!(!state.take_call("1", "contacts.export", limit, at(3_601)));
    }

    #[test]
    fn records_keep_their_creation_order_and_outside_ones_come_first() {
        let mut state = State::default();
        state.insert("c", "b", json!({"id": "b"}));
        state.insert("c", "a", json!({"id": "a"}));
        // A record put in from outside (as a seed does): no place in creation order.
        state
            .collections
            .get_mut("c")
            .unwrap()
            .insert("z".into(), json!({"id": "z"}));
        let ids: Vec<&str> = state
            .in_order("c")
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["z", "b", "a"]);
        state.replace("c", "b", json!({"id": "b", "x": 1}));
        assert_eq!(state.in_order("c")[1]["x"], 1);
        assert_eq!(state.remove("c", "b").unwrap()["id"], "b");
        assert!(state.get("c", "b").is_none());
        assert!(state.in_order("nothing").is_empty());
    }

    #[test]
    fn links_are_counted_and_removed_by_field() {
        let mut state = State::default();
        state.insert("m", "l1:c1", json!({"list_id": "l1", "contact_id": "c1"}));
        state.insert("m", "l1:c2", json!({"list_id": "l1", "contact_id": "c2"}));
        state.insert("m", "l2:c1", json!({"list_id": "l2", "contact_id": "c1"}));
        assert_eq!(state.count_where("m", "list_id", "l1"), 2);
        assert_eq!(state.remove_where("m", "list_id", "l1"), 2);
        assert_eq!(state.count_where("m", "contact_id", "c1"), 1);
    }
}
