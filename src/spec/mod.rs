//! The typed specification: operations, their documented responses, and scenarios.
//!
//! Built by [`load`] from `specs/` ([`files`] reads and parses, [`validate`] cross-checks), after every cross-check has passed. Every item keeps
//! the [`Span`] it came from, so each failure can point at the YAML line that promised it.

pub mod behaviour;
mod diagnostics;
mod error;
mod files;
pub mod matcher;
mod model;
mod operations;
mod parallel;
pub mod raw;
mod read;
mod residue;
mod safety;
mod scenarios;
mod stub_checks;
pub mod template;
mod validate;
mod yaml;

pub use error::SpecError;
pub use files::{display_path, MAX_SPEC_FILE_BYTES};
use files::{parse_file, relative_name, spec_files, Parsed, SUITE_FILE};
use parallel::in_parallel;

pub use matcher::{JsonType, Matcher, NullsAt, Pattern, SortOrder, SortSpec};
pub use model::*;
pub(crate) use operations::is_json;
pub use operations::MAX_SCHEMA_FILE_BYTES;
use std::path::{Path, PathBuf};
/// Whether a request of `op` changes or removes an existing record.
pub fn safety_changes(op: &Operation) -> bool {
    safety::changes(op)
}

pub use behaviour::StubAction;
pub use raw::{CsvExpect, HeaderRule, RateLimit, Repeat, StatusSet};

/// Loads and validates every spec under `specs_dir`.
pub fn load(specs_dir: &Path) -> Result<Suite, Vec<SpecError>> {
    let shown_dir = display_path(specs_dir);
    if let Some(problem) = not_a_directory(specs_dir) {
        return Err(vec![SpecError::new(shown_dir, None, problem)]);
    }
    let mut errors = Vec::new();
    let suite_path = specs_dir.join(SUITE_FILE);
    let suite = parse_file(
        specs_dir,
        &suite_path,
        true,
        read::Reader::suite,
        &mut errors,
    );
    let files = spec_files(specs_dir, &mut errors);
    let (specs, file_errors) = parse_in_parallel(specs_dir, &files);
    errors.extend(file_errors);
    if files.is_empty() && errors.is_empty() {
        errors.push(SpecError::new(
            shown_dir,
            None,
            "no spec files (*.yaml) found: there is nothing to run",
        ));
    }
    // Operations whose file could not be read: references to them are not errors of
    // their own (the file's problems say it).
    let read: std::collections::BTreeSet<&str> = specs
        .iter()
        .filter(|s| s.value.operation.is_some())
        .map(|s| s.relative.as_str())
        .collect();
    let unreadable = files
        .iter()
        .map(|path| relative_name(specs_dir, path))
        .filter(|relative| !read.contains(relative.as_str()))
        .map(|relative| diagnostics::operation_id(&relative))
        .collect();
    match validate::build(specs_dir, suite, specs, unreadable, errors.is_empty()) {
        Ok(suite) if errors.is_empty() => Ok(suite),
        Ok(_) => Err(errors),
        Err(more) => {
            errors.extend(more);
            Err(errors)
        }
    }
}

/// Why `specs_dir` cannot be the specs directory, if it cannot.
fn not_a_directory(specs_dir: &Path) -> Option<&'static str> {
    match std::fs::metadata(specs_dir) {
        Ok(meta) if meta.is_dir() => None,
        Ok(_) => Some(
            "the specs directory is a file, not a directory (--specs DIR or LEADLEX_SPECS \
             names the folder that holds suite.yaml)",
        ),
        Err(_) => Some(
            "the specs directory does not exist (--specs DIR or LEADLEX_SPECS names another one)",
        ),
    }
}

/// Parses spec files on every core; results and errors keep the files' order.
fn parse_in_parallel(
    specs_dir: &Path,
    files: &[PathBuf],
) -> (Vec<Parsed<raw::SpecFile>>, Vec<SpecError>) {
    in_parallel(files, |path, errors| {
        parse_file(specs_dir, path, false, read::Reader::spec_file, errors)
            .into_iter()
            .collect()
    })
}
