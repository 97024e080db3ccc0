//! What a scenario may leave behind, as lint rules. Two kinds of request create records
//! that no cleanup can remove:
//!
//! - a create of a record that no documented endpoint deletes (Create Contact Note): the
//!   scenario must say so in `leaves:` (lint then accepts it without a cleanup, and live
//!   runs skip it unless `LEADLEX_ALLOW_RESIDUE=1`);
//! - an import, whose answer gives counts but no ids: unless the scenario says it leaves
//!   something, each success it expects must check that the import created nothing (the
//!   pointer its stub fills with `count.created` equals 0), so a correct gateway only
//!   skips or updates rows matching the scenario's own records, and a gateway that creates
//!   anyway fails the check.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::json;

use super::behaviour::{Fill, StubAction};
use super::diagnostics::FileCtx;
use super::error::SpecError;
use super::raw::{self, StatusSet};
use super::{safety, Operation};
use crate::source::join;

/// The residue rules for one scenario at `at` of operation `own`.
pub(super) fn check(
    ctx: &FileCtx<'_, raw::SpecFile>,
    at: &str,
    own: &Operation,
    operations: &BTreeMap<String, Arc<Operation>>,
    scenario: &raw::Scenario,
    errors: &mut Vec<SpecError>,
) {
    if scenario.leaves.is_some() && !(safety::creates(own) && scenario.cleanup.is_none()) {
        errors.push(
            ctx.error(
                &join(at, "leaves"),
                "`leaves` is for a scenario whose request under test creates what no cleanup \
                 can remove; this one creates nothing without a cleanup",
            )
            .with_hint("remove `leaves`: the scenario leaves nothing behind"),
        );
    }
    if scenario.leaves.is_some() {
        return;
    }
    import_creates_nothing(ctx, at, own, Some(&scenario.expect), errors);
    for (key, steps) in [("setup", &scenario.setup), ("verify", &scenario.verify)] {
        for (i, step) in steps.iter().enumerate() {
            if let Some(op) = operations.get(&step.operation) {
                let step_at = format!("{}[{i}]", join(at, key));
                import_creates_nothing(ctx, &step_at, op, step.expect.as_ref(), errors);
            }
        }
    }
}

/// A step of an import that may succeed must check that it created nothing.
fn import_creates_nothing(
    ctx: &FileCtx<'_, raw::SpecFile>,
    at: &str,
    op: &Operation,
    expect: Option<&raw::Expect>,
    errors: &mut Vec<SpecError>,
) {
    if op.stub.as_ref().map(|s| s.action) != Some(StubAction::Import) {
        return;
    }
    let success = match expect.and_then(|e| e.status.as_ref()) {
        None => true,
        Some(StatusSet::One(status)) => (200..300).contains(status),
        Some(StatusSet::AnyOf(statuses)) => statuses.iter().any(|s| (200..300).contains(s)),
    };
    let created = created_pointer(op);
    let checked = created
        .as_ref()
        .is_some_and(|pointer| expect.and_then(|e| e.equals.get(pointer)) == Some(&json!(0)));
    if !success || checked {
        return;
    }
    let what = match &created {
        Some(pointer) => format!("check `{pointer}: 0` in `expect.equals`"),
        None => "fill a count of what it created (`count.created`) and check it is 0".into(),
    };
    errors.push(
        ctx.error(
            &join(at, "expect"),
            format!(
                "an import answers no ids, so nothing it creates can be removed: a step of {} \
                 that may succeed must {what}",
                op.id
            ),
        )
        .with_hint(
            "import only rows that match the scenario's own records (skipped, or updated with \
             update_existing), or declare what the scenario `leaves`",
        ),
    );
}

/// The answer pointer the operation's stub fills with the count of created records.
fn created_pointer(op: &Operation) -> Option<String> {
    let stub = op.stub.as_ref()?;
    stub.fill
        .iter()
        .find(|(_, fill)| **fill == Fill::Count("created".into()))
        .map(|(pointer, _)| pointer.clone())
}
