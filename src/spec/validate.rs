//! Cross-checks that turn the parsed files into a [`Suite`] before any request is sent.
//!
//! Each check adds a located [`SpecError`] and carries on, so one run of the loader reports
//! every problem: unknown credentials or operations, path parameters that do not match the
//! template, undefined variables, expectations that the documentation does not promise,
//! schema files that are missing or invalid, and examples that fail their own schema.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use super::behaviour::Collection;
use super::diagnostics::did_you_mean;
use super::diagnostics::FileCtx;
use super::error::SpecError;
use super::files::{display_path, Parsed};
use super::operations::{build_operation, SchemaCache};
use super::scenarios::{build_all_scenarios, build_shared, Known};
use super::stub_checks::{check_collections, check_filled};
use super::{raw, HeaderCheck, Operation, Suite, BUILTIN_CREDENTIALS};
use crate::source::join;

/// Builds the typed suite, or every error found. Whatever could be read is cross-checked:
/// a broken `suite.yaml` turns off the checks of credentials, and references to the
/// operations of `unreadable` files are not reported (their files' problems are).
/// `nothing_else_wrong`: no file had a problem, so finding nothing to run is one.
pub(super) fn build(
    specs_dir: &Path,
    suite: Option<Parsed<raw::SuiteFile>>,
    specs: Vec<Parsed<raw::SpecFile>>,
    unreadable: BTreeSet<String>,
    nothing_else_wrong: bool,
) -> Result<Suite, Vec<SpecError>> {
    let mut errors = Vec::new();
    let every_response = match &suite {
        Some(suite) => check_suite(suite, &mut errors),
        None => Vec::new(),
    };
    let collections = suite.as_ref().map(|s| &s.value.collections);
    let operations = build_operations(specs_dir, &specs, collections, &mut errors);
    if let (Some(collections), true) = (collections, unreadable.is_empty()) {
        check_filled(&specs, collections, &mut errors);
    }
    let no_shared = BTreeMap::new();
    let mut known = Known {
        operations: &operations,
        unreadable: &unreadable,
        credentials: suite.as_ref().map(|s| &s.value.credentials),
        default_credential: suite
            .as_ref()
            .map_or("full", |s| s.value.default_credential.as_str()),
        disposable_target: suite.as_ref().is_some_and(|s| s.value.disposable_target),
        shared: &no_shared,
    };
    let shared = match &suite {
        Some(suite) => build_shared(suite, &known, &mut errors),
        None => BTreeMap::new(),
    };
    known.shared = &shared;
    let (mut scenarios, scenario_errors) = build_all_scenarios(&specs, &known);
    errors.extend(scenario_errors);
    let Some(suite) = suite else {
        return Err(errors);
    };
    if scenarios.is_empty() && errors.is_empty() && nothing_else_wrong {
        errors.push(nothing_to_run(specs_dir));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    scenarios.sort_by(|a, b| a.trial_name.cmp(&b.trial_name));
    Ok(Suite {
        credentials: suite.value.credentials,
        every_response,
        stub_rate_limit: suite.value.stub.rate_limit,
        stub_credits: suite.value.stub.credits,
        collections: suite.value.collections,
        disposable_target: suite.value.disposable_target,
        shared: shared.into_values().collect(),
        operations: operations.into_values().collect(),
        scenarios,
    })
}

/// The operation of each spec file, by id, with the problems of broken schemas after
/// them; an id defined by two files is reported.
fn build_operations(
    specs_dir: &Path,
    specs: &[Parsed<raw::SpecFile>],
    collections: Option<&BTreeMap<String, Collection>>,
    errors: &mut Vec<SpecError>,
) -> BTreeMap<String, Arc<Operation>> {
    let mut schemas = SchemaCache::new(specs_dir);
    let mut operations: BTreeMap<String, Arc<Operation>> = BTreeMap::new();
    for spec in specs {
        let Some(op) = build_operation(spec, collections, &mut schemas, errors) else {
            continue;
        };
        if let Some(first) = operations.get(&op.id) {
            errors.push(
                SpecError::new(
                    spec.source.display.clone(),
                    None,
                    format!(
                        "operation `{}` is also defined by {}",
                        op.id, first.span.file
                    ),
                )
                .with_hint(
                    "an operation's id is its file's path without the extension: keep one file",
                ),
            );
        }
        operations.insert(op.id.clone(), Arc::new(op));
    }
    errors.extend(schemas.problems());
    operations
}

/// Spec files were read without a problem, but none holds a scenario.
fn nothing_to_run(specs_dir: &Path) -> SpecError {
    SpecError::new(
        display_path(specs_dir),
        None,
        "no scenarios found in any spec file: there is nothing to run",
    )
    .with_hint("add a `scenarios:` list to a spec file; README.md shows the format")
}

/// Checks `suite.yaml` itself (credentials, the default one) and gives the header checks
/// of every response.
fn check_suite(suite: &Parsed<raw::SuiteFile>, errors: &mut Vec<SpecError>) -> Vec<HeaderCheck> {
    let ctx = FileCtx::new(suite);
    check_collections(&ctx, &suite.value.collections, errors);
    for name in suite.value.credentials.keys() {
        if BUILTIN_CREDENTIALS.contains(&name.as_str()) {
            errors.push(ctx.error(
                &join("credentials", name),
                format!("`{name}` is a built-in credential and cannot be redefined"),
            ));
        }
    }
    if !suite
        .value
        .credentials
        .contains_key(&suite.value.default_credential)
    {
        let names: Vec<&str> = suite.value.credentials.keys().map(String::as_str).collect();
        let given = &suite.value.default_credential;
        errors.push(did_you_mean(
            ctx.value_error(
                "default_credential",
                format!("default_credential `{given}` is not among the credentials"),
            )
            .with_hint(format!("credentials: {}", names.join(", "))),
            given,
            &names,
        ));
    }
    suite
        .value
        .every_response
        .headers
        .iter()
        .map(|(name, rule)| HeaderCheck {
            name: name.clone(),
            rule: *rule,
            span: ctx.span(&join("every_response.headers", name)),
        })
        .collect()
}
