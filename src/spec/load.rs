//! Reading `specs/` from disk and turning parse failures into located errors.
//!
//! Loading never stops at the first problem: every file is parsed, every error is kept,
//! and the run refuses to start while any remains (see [`SpecError`]).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::de::DeserializeOwned;

use super::{keys, raw, validate, Suite};
use crate::source::{Pos, PosIndex, SourceFile};

/// The name of the file holding suite-wide settings, at the top of the specs directory.
pub const SUITE_FILE: &str = "suite.yaml";

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
        }
    }

    /// An error at `pos` of a file whose text is `text`, shown with that line.
    pub fn in_source(
        file: impl Into<String>,
        text: &str,
        pos: Pos,
        message: impl Into<String>,
    ) -> Self {
        let mut error = SpecError::new(file, Some(pos), message);
        error.line_text = text
            .lines()
            .nth(pos.line.saturating_sub(1))
            .map(str::to_string);
        error
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
                let end = token_end(line, start);
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
    let suite_path = specs_dir.join(SUITE_FILE);
    let suite = parse_file::<raw::SuiteFile>(specs_dir, &suite_path, true, &mut errors);
    let files = spec_files(specs_dir, &mut errors);
    let (specs, file_errors) = parse_in_parallel(specs_dir, &files);
    errors.extend(file_errors);
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

/// Parses spec files on every core; results and errors keep the files' order.
fn parse_in_parallel(
    specs_dir: &Path,
    files: &[PathBuf],
) -> (Vec<Parsed<raw::SpecFile>>, Vec<SpecError>) {
    super::in_parallel(files, |path, errors| {
        parse_file::<raw::SpecFile>(specs_dir, path, false, errors)
            .into_iter()
            .collect()
    })
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

/// Parses one file: every unknown key first (all of them), then the shape by `serde`.
fn parse_file<T: DeserializeOwned>(
    specs_dir: &Path,
    path: &Path,
    is_suite: bool,
    errors: &mut Vec<SpecError>,
) -> Option<Parsed<T>> {
    let display = display_path(path);
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) => {
            let mut error = SpecError::new(display, None, format!("cannot read: {err}"));
            if is_suite {
                error = error.with_hint(format!(
                    "every specs directory needs a {SUITE_FILE}: the credentials and the checks shared by all spec files"
                ));
            }
            errors.push(error);
            return None;
        }
    };
    let scanned = keys::scan(&text, is_suite);
    if !scanned.unknown.is_empty() {
        let unknown = scanned.unknown.into_iter();
        errors.extend(unknown.map(|u| unknown_key_error(&display, &text, u)));
        return None;
    }
    match serde_yaml::from_str::<T>(&text) {
        Ok(value) => Some(Parsed {
            index: scanned.index,
            relative: relative_name(specs_dir, path),
            source: SourceFile {
                display,
                path: path.to_path_buf(),
                text,
            },
            value,
        }),
        Err(err) => {
            let each = match is_suite {
                true => Vec::new(),
                false => shape_errors(&display, &text, &scanned.index),
            };
            // The whole-file error too, unless one of the parts already says it.
            let whole = yaml_error(display, &text, &err);
            if !each.iter().any(|e| e.message == whole.message) {
                errors.push(whole);
            }
            errors.extend(each);
            None
        }
    }
}

/// `serde` stops at a file's first wrong value. To report one per part instead, the file
/// is read as plain YAML, and the operation and each scenario are written back as YAML and
/// read on their own (so that messages are the same as for the whole file), each error
/// located through the file's position index. Empty when the file is not even YAML.
fn shape_errors(display: &str, text: &str, index: &PosIndex) -> Vec<SpecError> {
    let Ok(serde_yaml::Value::Mapping(file)) = serde_yaml::from_str::<serde_yaml::Value>(text)
    else {
        return Vec::new();
    };
    let part = |path: String, value: &serde_yaml::Value, read: PartReader| {
        let yaml = serde_yaml::to_string(value).ok()?;
        let error = read(&yaml).err()?;
        Some(part_error(display, text, index, &path, &error))
    };
    let mut found = Vec::new();
    if let Some(operation) = file.get("operation") {
        found.extend(part(
            "operation".into(),
            operation,
            read_part::<raw::Operation>,
        ));
    }
    match file.get("scenarios") {
        Some(serde_yaml::Value::Sequence(scenarios)) => {
            for (i, scenario) in scenarios.iter().enumerate() {
                found.extend(part(
                    format!("scenarios[{i}]"),
                    scenario,
                    read_part::<raw::Scenario>,
                ));
            }
        }
        Some(other) => found.extend(part(
            "scenarios".into(),
            other,
            read_part::<Vec<raw::Scenario>>,
        )),
        None => {}
    }
    found
}

type PartError = serde_path_to_error::Error<serde_yaml::Error>;
type PartReader = fn(&str) -> Result<(), PartError>;

fn read_part<T: DeserializeOwned>(yaml: &str) -> Result<(), PartError> {
    serde_path_to_error::deserialize::<_, T>(serde_yaml::Deserializer::from_str(yaml)).map(drop)
}

/// A part's error, with the part's path in front and the file's position of the value.
fn part_error(
    display: &str,
    text: &str,
    index: &PosIndex,
    path: &str,
    error: &PartError,
) -> SpecError {
    let inner = error.path().to_string();
    let full = match inner.as_str() {
        "." => path.to_string(),
        inner if inner.starts_with('[') => format!("{path}{inner}"),
        inner => crate::source::join(path, inner),
    };
    // serde_yaml names the path inside the part itself; the full path replaces it.
    let said = without_location(&error.inner().to_string());
    let said = said
        .strip_prefix(&format!("{inner}: "))
        .unwrap_or(&said)
        .to_string();
    let message = format!("{full}: {said}");
    let hint = variant_hint(&message);
    let located = SpecError::in_source(display, text, index.value_pos(&full), message);
    match hint {
        Some(meant) => located.with_label(format!("did you mean `{meant}`?")),
        None => located,
    }
}

fn unknown_key_error(display: &str, text: &str, unknown: keys::UnknownKey) -> SpecError {
    let error = SpecError::in_source(
        display,
        text,
        unknown.pos,
        format!("unknown key `{}`", unknown.key),
    );
    let accepted = format!("accepted keys here: {}", unknown.accepted.join(", "));
    match unknown.suggestion {
        Some(meant) => error
            .with_label(format!("did you mean `{meant}`?"))
            .with_hint(accepted),
        None => error.with_hint(accepted),
    }
}

/// Converts a `serde_yaml` error into a [`SpecError`] with its position taken out of the
/// message (it is shown as `file:line:col` instead).
fn yaml_error(display: String, text: &str, err: &serde_yaml::Error) -> SpecError {
    let first_pass = without_location(&err.to_string());
    // libyaml names a second place ("while scanning a quoted scalar at line 2 column 10"):
    // where the broken construct started, often more useful than where parsing gave up.
    let context = location_in(&first_pass);
    let message = without_location(&first_pass);
    let hint = variant_hint(&message);
    let at = err.location().map(|l| Pos {
        line: l.line(),
        col: l.column(),
    });
    let past_the_end = at.is_some_and(|p| p.line > text.lines().count());
    let mut error = match (at, context) {
        (Some(_), Some(start)) if past_the_end => {
            SpecError::in_source(display, text, start, message).with_label("started here")
        }
        (Some(pos), _) => SpecError::in_source(display, text, pos, message),
        (None, _) => SpecError::new(display, None, message),
    };
    if let Some(meant) = hint {
        error = error.with_label(format!("did you mean `{meant}`?"));
    }
    error
}

/// The first ` at line L column C` in a parser message.
fn location_in(message: &str) -> Option<Pos> {
    let rest = &message[message.find(" at line ")? + " at line ".len()..];
    let (line, rest) = rest.split_once(" column ")?;
    let column: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some(Pos {
        line: line.parse().ok()?,
        col: column.parse().ok()?,
    })
}

/// For `unknown variant `delet`, expected one of `create`, `read`, `delete``: the closest.
fn variant_hint(message: &str) -> Option<String> {
    let rest = message.split("unknown variant `").nth(1)?;
    let (given, expected) = rest.split_once('`')?;
    let accepted: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    keys::closest(given, &accepted).map(str::to_string)
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
