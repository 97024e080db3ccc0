//! Cross-checks that turn the parsed files into a [`Suite`] before any request is sent.
//!
//! Each check adds a located [`SpecError`] and carries on, so one run of the loader reports
//! every problem: unknown credentials or operations, path parameters that do not match the
//! template, undefined variables, expectations that the documentation does not promise,
//! schema files that are missing or invalid, and examples that fail their own schema.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use super::load::{display_path, file_name, Parsed, SpecError};
use super::operations::{build_operation, SchemaCache};
use super::scenarios::{build_all_scenarios, build_shared, Known};
use super::{raw, HeaderCheck, Operation, Suite, BUILTIN_CREDENTIALS};
use crate::source::{join, Pos, Span};

/// A list for a hint, cut after a dozen names.
pub(super) fn listed(names: &[&str]) -> String {
    match names.len() {
        0..=12 => names.join(", "),
        n => format!("{}, … ({} in all)", names[..12].join(", "), n),
    }
}

/// Adds a "did you mean" label when one of `known` is close to `given`.
pub(super) fn did_you_mean(error: SpecError, given: &str, known: &[&str]) -> SpecError {
    match super::read::closest(given, known) {
        Some(meant) => error.with_label(format!("did you mean `{meant}`?")),
        None => error,
    }
}

/// Locates errors and spans inside one file.
pub(super) struct FileCtx<'a, T> {
    parsed: &'a Parsed<T>,
    file: Arc<str>,
}

impl<'a, T> FileCtx<'a, T> {
    pub(super) fn new(parsed: &'a Parsed<T>) -> Self {
        FileCtx {
            parsed,
            file: file_name(&parsed.source.display),
        }
    }

    pub(super) fn span(&self, path: &str) -> Span {
        Span {
            file: self.file.clone(),
            pos: self.parsed.index.pos(path),
        }
    }

    /// Where the value at `path` starts.
    pub(super) fn value_span(&self, path: &str) -> Span {
        Span {
            file: self.file.clone(),
            pos: self.parsed.index.value_pos(path),
        }
    }

    /// An error about the value at `path` (an unknown name, say): the caret goes under it.
    pub(super) fn value_error(&self, path: &str, message: impl Into<String>) -> SpecError {
        self.error_at(self.parsed.index.value_pos(path), message)
    }

    pub(super) fn error(&self, path: &str, message: impl Into<String>) -> SpecError {
        self.error_at(self.parsed.index.pos(path), message)
    }

    /// An error at a position of this file, shown with its line.
    pub(super) fn error_at(&self, pos: Pos, message: impl Into<String>) -> SpecError {
        let source = &self.parsed.source;
        SpecError::at_line(source.display.clone(), source.line(pos.line), pos, message)
    }

    /// An error about `needle` inside the value at `path` (a template in a string, say):
    /// the caret goes under `needle` itself when the line shows it.
    pub(super) fn inner_error(
        &self,
        path: &str,
        needle: &str,
        message: impl Into<String>,
    ) -> SpecError {
        let pos = self.parsed.index.value_pos(path);
        let line = self.parsed.source.line(pos.line).unwrap_or_default();
        let from = line
            .char_indices()
            .nth(pos.col.saturating_sub(1))
            .map_or(line.len(), |(i, _)| i);
        match line[from..].find(needle) {
            Some(at) => {
                let col = line[..from + at].chars().count() + 1;
                self.error_at(
                    Pos {
                        line: pos.line,
                        col,
                    },
                    message,
                )
                .with_width(needle.chars().count())
            }
            None => self.error_at(pos, message),
        }
    }
}

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
    let mut schemas = SchemaCache::new(specs_dir);
    let mut operations: BTreeMap<String, Arc<Operation>> = BTreeMap::new();
    for spec in &specs {
        let Some(op) = build_operation(spec, &mut schemas, &mut errors) else {
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
        let dir = specs_dir;
        errors.push(
            SpecError::new(
                display_path(dir),
                None,
                "no scenarios found in any spec file: there is nothing to run",
            )
            .with_hint("add a `scenarios:` list to a spec file; README.md shows the format"),
        );
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    scenarios.sort_by(|a, b| a.trial_name.cmp(&b.trial_name));
    Ok(Suite {
        credentials: suite.value.credentials,
        every_response,
        stub_rate_limit: suite.value.stub.rate_limit,
        disposable_target: suite.value.disposable_target,
        shared: shared.into_values().collect(),
        operations: operations.into_values().collect(),
        scenarios,
    })
}

fn check_suite(suite: &Parsed<raw::SuiteFile>, errors: &mut Vec<SpecError>) -> Vec<HeaderCheck> {
    let ctx = FileCtx::new(suite);
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

pub(super) fn operation_id(relative: &str) -> String {
    let stem = relative
        .strip_suffix(".yaml")
        .or_else(|| relative.strip_suffix(".yml"))
        .unwrap_or(relative);
    stem.replace('/', ".")
}
