//! A problem in a spec file and how it is shown: one line for logs, or the full
//! diagnostic with the offending line and a caret under it.

use std::fmt;

use crate::source::Pos;

/// A problem in a spec file, located as precisely as the parser allows.
///
/// `Display` gives one line (`file:line:col: message`, then the hint); [`SpecError::render`]
/// gives the full diagnostic with the offending line and a caret under it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecError {
    pub file: String,
    pub pos: Option<Pos>,
    pub message: String,
    /// What to do about it, or what was probably meant.
    pub hint: Option<String>,
    /// A short note under the caret.
    pub label: Option<String>,
    /// The text of the line at `pos`, for the snippet.
    line_text: Option<String>,
    /// Characters under the caret, when the token at `pos` is not the whole of it.
    pub(super) width: Option<usize>,
}

impl SpecError {
    pub fn new(file: impl Into<String>, pos: Option<Pos>, message: impl Into<String>) -> Self {
        SpecError {
            file: file.into(),
            pos,
            message: message.into(),
            hint: None,
            label: None,
            line_text: None,
            width: None,
        }
    }

    /// An error at `pos`, shown with `line`, the text of that line.
    pub fn at_line(
        file: impl Into<String>,
        line: Option<&str>,
        pos: Pos,
        message: impl Into<String>,
    ) -> Self {
        let mut error = SpecError::new(file, Some(pos), message);
        error.line_text = line.map(str::to_string);
        error
    }

    /// The caret covers `width` characters from the position.
    pub fn with_width(mut self, width: usize) -> Self {
        self.width = Some(width);
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// The diagnostic with its source line and a caret, as the terminal shows it.
    pub fn render(&self, color: bool) -> String {
        use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
        let path = match self.pos {
            Some(pos) => format!("{}:{}:{}", self.file, pos.line, pos.col),
            None => self.file.clone(),
        };
        let mut report = vec![];
        let title = Level::ERROR.primary_title(self.message.as_str());
        let group = match (&self.line_text, self.pos) {
            (Some(line), Some(pos)) => {
                let start = line
                    .char_indices()
                    .nth(pos.col.saturating_sub(1))
                    .map_or(line.len(), |(i, _)| i);
                let end = match self.width {
                    Some(width) => line[start..]
                        .char_indices()
                        .nth(width)
                        .map_or(line.len(), |(i, _)| start + i),
                    None => token_end(line, start),
                };
                let mut annotation = AnnotationKind::Primary.span(start..end);
                if let Some(label) = &self.label {
                    annotation = annotation.label(label.as_str());
                }
                title.element(
                    Snippet::source(line.as_str())
                        .line_start(pos.line)
                        .path(self.file.as_str())
                        .fold(false)
                        .annotation(annotation),
                )
            }
            _ => title.element(annotate_snippets::Origin::path(path.as_str())),
        };
        report.push(group);
        if let Some(hint) = &self.hint {
            report.push(Group::with_title(
                Level::HELP.secondary_title(hint.as_str()),
            ));
        }
        let renderer = match color {
            true => Renderer::styled(),
            false => Renderer::plain(),
        };
        renderer.render(&report).to_string()
    }
}

/// Where the token starting at byte `start` ends: at `:`, `,`, a bracket or the line's end.
fn token_end(line: &str, start: usize) -> usize {
    let rest = &line[start..];
    if let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') {
        if let Some(close) = rest[1..].find(quote) {
            return start + close + 2;
        }
    }
    let len = rest.find([':', ',', '}', ']', '#']).unwrap_or(rest.len());
    match rest[..len].trim_end().len() {
        0 => (start + rest.chars().next().map_or(0, char::len_utf8)).min(line.len()),
        token => start + token,
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
        if let Some(label) = &self.label {
            write!(f, " ({label})")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SpecError {}
