//! Records a run makes once and lends to the scenarios that use them (`uses:`).
//!
//! A live run against the real API is bounded by the plan's rate limit, so a record that
//! several scenarios only read, or must leave unchanged, is made once: the first scenario
//! that uses it makes it (with the same ownership checks as any create step), the others
//! take its captured values, and the run removes it when it ends. A scenario that tries to
//! change it (a DELETE the gateway must refuse) holds it alone while it runs; if that
//! scenario fails, the record may have changed, so the next scenario makes a fresh one
//! instead of inheriting the damage. A scenario that only reads it shares it with the other
//! readers. Making that fails is not remembered: each scenario then tries, and reports, on
//! its own.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::Value;
use tokio::sync::{OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock};

use crate::secrets::redact::Redactor;
use crate::spec::{safety_changes, Scenario, SharedRecord};

/// One shared record of a run: whether it is made, and what removes it at the end.
pub(crate) type Slot = Arc<RwLock<SlotState>>;

#[derive(Default)]
pub(crate) struct SlotState {
    /// Its captured values, once made (`None` before, after a failed making, or once a
    /// scenario that tried to change it failed).
    pub(crate) made: Option<Made>,
    /// Requests that remove what making it created, for the end of the run.
    pub(crate) cleanups: Vec<crate::engine::request::PendingCleanup>,
    /// Ids shown to be the run's own.
    pub(crate) owned: HashSet<String>,
}

pub(crate) struct Made {
    pub(crate) vars: Vec<(String, Value)>,
    pub(crate) secrets: Redactor,
}

/// How a scenario holds a shared record while it runs.
pub(crate) enum Hold {
    /// With the other readers.
    Read(#[allow(dead_code)] OwnedRwLockReadGuard<SlotState>),
    /// Alone: it tries to change the record.
    Write(OwnedRwLockWriteGuard<SlotState>),
}

impl Hold {
    /// After a failed scenario that tried to change it, the record is made afresh.
    pub(crate) fn spoil(&mut self) {
        if let Hold::Write(state) = self {
            state.made = None;
        }
    }
}

/// Whether `scenario` tries to change `record`: a request of it that changes data
/// addresses one of the record's captured values.
pub fn tries_to_change(scenario: &Scenario, record: &SharedRecord) -> bool {
    let names: Vec<String> = record
        .step
        .capture
        .iter()
        .map(|c| format!("{{{{{}}}}}", c.name))
        .collect();
    std::iter::once(&scenario.main)
        .chain(&scenario.verify)
        .filter(|step| safety_changes(&step.operation))
        .flat_map(|step| step.request.path.values())
        .any(|value| names.iter().any(|name| value.trim() == name))
}
