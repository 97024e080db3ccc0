//! Reading `specs/` from disk and turning parse failures into located errors.
//!
//! Loading never stops at the first problem: every file is parsed, every error is kept,
//! and the run refuses to start while any remains (see [`SpecError`]).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{raw, read, validate, yaml, Suite};
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
    /// Characters under the caret, when the token at `pos` is not the whole of it.
    width: Option<usize>,
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

/// The largest spec file read (`suite.yaml` included); a larger one is refused before it
/// is read, so memory and time stay bounded.
pub const MAX_SPEC_FILE_BYTES: u64 = 4 * 1024 * 1024;

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
        .map(|relative| validate::operation_id(&relative))
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

/// Parses spec files on every core; results and errors keep the files' order.
fn parse_in_parallel(
    specs_dir: &Path,
    files: &[PathBuf],
) -> (Vec<Parsed<raw::SpecFile>>, Vec<SpecError>) {
    super::in_parallel(files, |path, errors| {
        parse_file(specs_dir, path, false, read::Reader::spec_file, errors)
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
            let is_link = entry.file_type().is_ok_and(|t| t.is_symlink());
            if path.is_dir() && !is_link {
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

/// Reads a file of at most `limit` bytes that is a regular file, refusing anything else
/// (a directory, a device, a pipe) with a message in the spec's words.
pub(super) fn read_limited(path: &Path, limit: u64, what: &str) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let meta = std::fs::metadata(path).map_err(|err| match err.kind() {
        std::io::ErrorKind::NotFound => format!("{what} does not exist"),
        _ => format!("cannot read {what}: {}", io_words(&err)),
    })?;
    if meta.is_dir() {
        return Err(format!("{what} is a directory, not a file"));
    }
    if !meta.is_file() {
        return Err(format!(
            "{what} is not a regular file (a device, a pipe or a socket)"
        ));
    }
    if meta.len() > limit {
        return Err(too_large(what, meta.len(), limit));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(limit + 1).read_to_end(&mut bytes))
        .map_err(|err| format!("cannot read {what}: {}", io_words(&err)))?;
    if bytes.len() as u64 > limit {
        return Err(too_large(what, bytes.len() as u64, limit));
    }
    Ok(bytes)
}

fn too_large(what: &str, size: u64, limit: u64) -> String {
    let mib = |n: u64| n as f64 / (1024.0 * 1024.0);
    format!(
        "{what} is {:.1} MiB; the limit is {:.0} MiB",
        mib(size),
        mib(limit)
    )
}

/// An I/O error without the operating system's error number.
fn io_words(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => {
            let text = err.to_string();
            match text.find(" (os error") {
                Some(cut) => text[..cut].to_string(),
                None => text,
            }
        }
    }
}

/// Parses one file: its YAML into a tree (syntax, duplicate keys, aliases), then the tree
/// into the spec's structs (unknown keys, wrong values), every problem kept.
fn parse_file<T>(
    specs_dir: &Path,
    path: &Path,
    is_suite: bool,
    read: fn(&mut read::Reader, &yaml::Node) -> Option<T>,
    errors: &mut Vec<SpecError>,
) -> Option<Parsed<T>> {
    let display = display_path(path);
    let bytes = match read_limited(path, MAX_SPEC_FILE_BYTES, "the spec file") {
        Ok(bytes) => bytes,
        Err(message) => {
            let mut error = SpecError::new(display, None, message);
            if is_suite && !path.exists() {
                error = error.with_hint(format!(
                    "every specs directory needs a {SUITE_FILE}: the credentials and the checks shared by all spec files"
                ));
            } else if !is_suite && path.exists() {
                error = error.with_hint(
                    "spec files hold one operation each and stay small; README.md gives the limits",
                );
            }
            errors.push(error);
            return None;
        }
    };
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => {
            errors.push(not_utf8(
                display,
                err.as_bytes(),
                err.utf8_error().valid_up_to(),
            ));
            return None;
        }
    };
    let source = SourceFile::new(display, path.to_path_buf(), text);
    let tree = yaml::parse(&source.text);
    let located = |p: yaml::Problem| problem_error(&source, p);
    errors.extend(tree.problems.into_iter().map(located));
    let root = tree.root?;
    let mut reader = read::Reader::default();
    let value = read(&mut reader, &root);
    errors.extend(reader.problems.into_iter().map(located));
    let mut index = PosIndex::default();
    index.insert(String::new(), root.pos);
    root.index_into("", &mut index);
    Some(Parsed {
        index,
        relative: relative_name(specs_dir, path),
        source,
        value: value?,
    })
}

/// A problem the YAML pass or the reader found, with its line.
fn problem_error(source: &SourceFile, problem: yaml::Problem) -> SpecError {
    let mut error = SpecError::at_line(
        source.display.clone(),
        source.line(problem.pos.line),
        problem.pos,
        problem.message,
    );
    error.label = problem.label;
    error.hint = problem.hint;
    error.width = problem.width;
    error
}

/// A file that is not UTF-8, located at its first bad byte.
fn not_utf8(display: String, bytes: &[u8], valid: usize) -> SpecError {
    let before = String::from_utf8_lossy(&bytes[..valid]);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    let line_end = bytes[valid..]
        .iter()
        .position(|b| *b == b'\n')
        .map_or(bytes.len(), |i| valid + i);
    let shown = String::from_utf8_lossy(&bytes[line_start..line_end]).into_owned();
    SpecError::at_line(
        display,
        Some(&shown),
        Pos { line, col },
        format!(
            "the file is not UTF-8 text: byte 0x{:02X} cannot start a character here",
            bytes[valid]
        ),
    )
    .with_width(1)
    .with_hint("save the file as UTF-8")
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
    use super::*;

    #[test]
    fn devices_directories_and_large_files_are_not_read() {
        let zero = Path::new("/dev/zero");
        if zero.exists() {
            let refused = read_limited(zero, 10, "the file").unwrap_err();
            assert!(refused.contains("not a regular file"), "{refused}");
        }
        let dir = tempfile::tempdir().unwrap();
        let refused = read_limited(dir.path(), 10, "the file").unwrap_err();
        assert_eq!(refused, "the file is a directory, not a file");
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'x'; 2 * 1024 * 1024]).unwrap();
        let refused = read_limited(&big, 1024 * 1024, "the file").unwrap_err();
        assert_eq!(refused, "the file is 2.0 MiB; the limit is 1 MiB");
    }
}
