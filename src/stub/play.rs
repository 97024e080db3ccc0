//! Plays an operation once the gate has let the request through: the action of its
//! `stub:` on the records, its effects (credits, an outbox), and the answer: the
//! documented success example with what the action did put in (`fill`), or the documented
//! refusal.

use serde_json::{json, Value};

use super::answer::{put, Answer, Done, Refusal};
use super::scope::Scope;
use super::state::State;
use super::{bulk, crud, export, import, links, merge};
use crate::spec::behaviour::{Effect, Fill, StubAction};

/// The credits of the key's workspace, as the gate knows them.
pub struct Wallet<'k> {
    pub key: &'k str,
    /// What the workspace started with.
    pub balance: u64,
}

impl Wallet<'_> {
    fn left(&self, state: &State) -> u64 {
        self.balance
            .saturating_sub(state.spent.get(self.key).copied().unwrap_or(0))
    }
}

/// The answer to a call of the scope's operation.
pub fn play(scope: &Scope<'_>, state: &mut State, wallet: &Wallet<'_>) -> Answer {
    let cost: u64 = scope
        .stub
        .effects
        .iter()
        .map(|e| match e {
            Effect::Credits(n) => *n,
            Effect::Outbox(_) | Effect::Csv(_) => 0,
        })
        .sum();
    if cost > wallet.left(state) {
        let refusal = Refusal::Status {
            status: 402,
            code: "insufficient_credits".into(),
            message: format!(
                "Insufficient credits: this request needs {cost}, {} left",
                wallet.left(state)
            ),
        };
        return Answer::refusal(scope.op, refusal);
    }
    let done = match act(scope, state) {
        Ok(done) => done,
        Err(refusal) => return Answer::refusal(scope.op, refusal),
    };
    if cost > 0 {
        *state.spent.entry(wallet.key.to_string()).or_default() += cost;
    }
    for effect in &scope.stub.effects {
        if let Effect::Outbox(outbox) = effect {
            keep_a_copy(scope, state, outbox);
        }
    }
    if let Some(csv) = scope.stub.effects.iter().find_map(|e| match e {
        Effect::Csv(csv) => Some(csv),
        _ => None,
    }) {
        let records = done.records.as_deref().unwrap_or_default();
        return export::answer(scope, csv, records)
            .unwrap_or_else(|refusal| Answer::refusal(scope.op, refusal));
    }
    success(scope, &done, wallet.left(state))
}

fn act(scope: &Scope<'_>, state: &mut State) -> Result<Done, Refusal> {
    match scope.stub.action {
        StubAction::Create => crud::create(scope, state),
        StubAction::Read => crud::read(scope, state),
        StubAction::List => crud::list(scope, state),
        StubAction::Update => crud::update(scope, state),
        StubAction::Delete => crud::delete(scope, state),
        StubAction::Link => links::link(scope, state),
        StubAction::Unlink => links::unlink(scope, state),
        StubAction::BulkCreate => bulk::create(scope, state),
        StubAction::BulkDelete => bulk::delete(scope, state),
        StubAction::Merge => merge::merge(scope, state),
        StubAction::Example => scope.parent(state).map(|_| Done::default()),
        StubAction::Import => import::import(scope, state),
    }
}

/// Keeps the request's body, with an id and the time, in an outbox collection.
fn keep_a_copy(scope: &Scope<'_>, state: &mut State, outbox: &str) {
    let id = uuid::Uuid::new_v4().to_string();
    let copy = json!({
        "id": id,
        "operation": scope.op.id,
        "received_at": scope.call.timestamp(),
        "body": scope.call.body.clone().unwrap_or(Value::Null),
    });
    state.insert(outbox, &id, copy);
}

/// What each action puts in the example when its `fill:` does not say otherwise.
fn default_fills(scope: &Scope<'_>) -> Vec<(String, Fill)> {
    let record = scope.stub.record.clone();
    match scope.stub.action {
        StubAction::Create | StubAction::Read | StubAction::Update | StubAction::Merge => {
            vec![(record, Fill::Record)]
        }
        StubAction::Delete => vec![(format!("{record}/id"), Fill::Id)],
        _ => Vec::new(),
    }
}

/// The documented success: its example with the fills put in; no body for a 204.
fn success(scope: &Scope<'_>, done: &Done, credits_left: u64) -> Answer {
    let documented = scope.op.success();
    let status = documented.map_or(200, |r| r.status);
    if status == 204 {
        return Answer::new(204, None);
    }
    let mut body = documented
        .and_then(|r| r.example.clone())
        .unwrap_or_else(|| json!({}));
    if let (Some(list), Some((page, per_page))) = (&scope.stub.list, done.page) {
        if let Some(items) = &list.items {
            let records = done.records.clone().unwrap_or_default();
            put(&mut body, items, Value::Array(records));
        }
        if let Some(meta) = &list.meta {
            let total = done.counts.get("total").copied().unwrap_or(0);
            put(
                &mut body,
                meta,
                json!({"page": page, "per_page": per_page, "total": total}),
            );
        }
    }
    let explicit = scope.stub.fill.iter().map(|(p, f)| (p.clone(), f.clone()));
    for (pointer, fill) in default_fills(scope).into_iter().chain(explicit) {
        let value = match fill {
            Fill::Record => done.record.clone(),
            Fill::Id => done.id.clone().map(Value::String),
            Fill::Param(name) => scope.call.param(&name).map(|v| json!(v)),
            Fill::Count(name) => Some(json!(done.counts.get(name.as_str()).copied().unwrap_or(0))),
            Fill::Records => done.records.clone().map(Value::Array),
            Fill::Errors => Some(Value::Array(done.errors.clone().unwrap_or_default())),
            Fill::Added => Some(Value::Array(done.added.clone().unwrap_or_default())),
            Fill::Now => Some(json!(scope.call.timestamp())),
            Fill::Credits => Some(json!(credits_left)),
            Fill::Merged => done.merged.as_ref().map(|m| Value::Array(m.ids.clone())),
            Fill::Populated => done
                .merged
                .as_ref()
                .map(|m| Value::Array(m.populated.clone())),
            Fill::Moved => done.merged.as_ref().map(|m| Value::Object(m.moved.clone())),
            Fill::Status => done.status.clone().map(Value::String),
        };
        put(&mut body, &pointer, value.unwrap_or(Value::Null));
    }
    Answer::new(status, Some(body))
}

#[cfg(test)]
mod tests;
