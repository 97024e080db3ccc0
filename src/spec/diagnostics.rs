//! Helpers every cross-check uses to say where a problem is and what was meant: errors and
//! spans located in one file ([`FileCtx`]), "did you mean" hints, and operation ids.

use std::sync::Arc;

use super::error::SpecError;
use super::files::{file_name, Parsed};
use crate::source::{Pos, Span};

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

    /// Whether the file has a node at `path` (a key spelt as the format spells it).
    pub(super) fn has(&self, path: &str) -> bool {
        self.parsed.index.contains(path)
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

/// `contacts.delete` for `contacts/delete.yaml`.
pub(super) fn operation_id(relative: &str) -> String {
    let stem = relative
        .strip_suffix(".yaml")
        .or_else(|| relative.strip_suffix(".yml"))
        .unwrap_or(relative);
    stem.replace('/', ".")
}
