//! Reading `specs/` from disk and turning parse failures into located errors.
//!
//! Loading never stops at the first problem: every file is parsed, every error is kept,
//! and the run refuses to start while any remains (see [`SpecError`]).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::de::DeserializeOwned;

use super::{raw, validate, Suite};
use crate::source::{Pos, PosIndex, SourceFile};

/// The name of the file holding suite-wide settings, at the top of the specs directory.
pub const SUITE_FILE: &str = "suite.yaml";

/// A problem in a spec file, located as precisely as the parser allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecError {
    pub file: String,
    pub pos: Option<Pos>,
    pub message: String,
    pub hint: Option<String>,
}

impl SpecError {
    pub fn new(file: impl Into<String>, pos: Option<Pos>, message: impl Into<String>) -> Self {
        SpecError {
            file: file.into(),
            pos,
            message: message.into(),
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pos {
            Some(pos) => write!(
                f,
                "{}:{}:{}: {}",
                self.file, pos.line, pos.col, self.message
            )?,
            None => write!(f, "{}: {}", self.file, self.message)?,
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// A parsed spec file with what is needed to locate its parts.
pub(super) struct Parsed<T> {
    pub source: SourceFile,
    pub index: PosIndex,
    /// Path relative to the specs directory, with `/` separators: `contacts/delete.yaml`.
    pub relative: String,
    pub value: T,
}

/// Loads and validates every spec under `specs_dir`.
pub fn load(specs_dir: &Path) -> Result<Suite, Vec<SpecError>> {
    let shown_dir = display_path(specs_dir);
    if !specs_dir.is_dir() {
        return Err(vec![SpecError::new(
            shown_dir,
            None,
            "the specs directory does not exist (set LEADLEX_SPECS to use another one)",
        )]);
    }
    let mut errors = Vec::new();
    let suite = parse_file::<raw::SuiteFile>(specs_dir, &specs_dir.join(SUITE_FILE), &mut errors);
    let mut specs = Vec::new();
    for path in spec_files(specs_dir, &mut errors) {
        if let Some(parsed) = parse_file::<raw::SpecFile>(specs_dir, &path, &mut errors) {
            specs.push(parsed);
        }
    }
    if specs.is_empty() && errors.is_empty() {
        errors.push(SpecError::new(
            shown_dir,
            None,
            "no spec files (*.yaml) found: there is nothing to run",
        ));
    }
    match suite {
        Some(suite) if errors.is_empty() => validate::build(suite, specs),
        _ => Err(errors),
    }
}

/// Every `*.yaml`/`*.yml` file below `dir` except the suite file, sorted.
fn spec_files(dir: &Path, errors: &mut Vec<SpecError>) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let entries = match std::fs::read_dir(&current) {
            Ok(entries) => entries,
            Err(err) => {
                errors.push(SpecError::new(
                    display_path(&current),
                    None,
                    err.to_string(),
                ));
                continue;
            }
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if is_yaml(&path) && path != dir.join(SUITE_FILE) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

fn is_yaml(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    )
}

fn parse_file<T: DeserializeOwned>(
    specs_dir: &Path,
    path: &Path,
    errors: &mut Vec<SpecError>,
) -> Option<Parsed<T>> {
    let display = display_path(path);
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) => {
            errors.push(SpecError::new(display, None, format!("cannot read: {err}")));
            return None;
        }
    };
    match serde_yaml::from_str::<T>(&text) {
        Ok(value) => Some(Parsed {
            index: PosIndex::build(&text),
            relative: relative_name(specs_dir, path),
            source: SourceFile {
                display,
                path: path.to_path_buf(),
                text,
            },
            value,
        }),
        Err(err) => {
            errors.push(yaml_error(display, &err));
            None
        }
    }
}

/// Converts a `serde_yaml` error into a [`SpecError`] with its position taken out of the
/// message (it is shown as `file:line:col` instead).
fn yaml_error(display: String, err: &serde_yaml::Error) -> SpecError {
    let message = without_location(&err.to_string());
    let pos = err.location().map(|l| Pos {
        line: l.line(),
        col: l.column(),
    });
    SpecError::new(display, pos, message)
}

/// Removes the ` at line L column C` that `serde_yaml` writes into its messages.
fn without_location(text: &str) -> String {
    let Some(start) = text.find(" at line ") else {
        return text.to_string();
    };
    let rest = &text[start + " at line ".len()..];
    let digits = |s: &str| s.len() - s.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let after_line = &rest[digits(rest)..];
    match after_line.strip_prefix(" column ") {
        Some(column) => format!("{}{}", &text[..start], &column[digits(column)..]),
        None => text.to_string(),
    }
}

fn relative_name(specs_dir: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(specs_dir).unwrap_or(path);
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// A path as users should see it: relative to the working directory when it is inside it.
pub fn display_path(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let shown = cwd
        .as_deref()
        .and_then(|cwd| path.strip_prefix(cwd).ok())
        .unwrap_or(path);
    shown.display().to_string()
}

/// A shared file name for spans.
pub(super) fn file_name(parsed_display: &str) -> Arc<str> {
    Arc::from(parsed_display)
}

#[cfg(test)]
mod tests {
    use super::without_location;

    #[test]
    fn positions_are_taken_out_of_parser_messages() {
        assert_eq!(
            without_location("bad at line 3 column 1, while x"),
            "bad, while x"
        );
        assert_eq!(
            without_location("unknown field `a` at line 2 column 5"),
            "unknown field `a`"
        );
        assert_eq!(without_location("no position"), "no position");
    }
}
