//! Reading spec files from disk, with limits, into positioned trees read into the raw
//! structs; every failure becomes a located [`SpecError`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::error::SpecError;
use super::{read, yaml};
use crate::source::{Pos, PosIndex, SourceFile};

/// The name of the file holding suite-wide settings, at the top of the specs directory.
pub const SUITE_FILE: &str = "suite.yaml";

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

/// Every `*.yaml`/`*.yml` file below `dir` except the suite file, sorted.
pub(super) fn spec_files(dir: &Path, errors: &mut Vec<SpecError>) -> Vec<PathBuf> {
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

/// Why a file was not read, in the spec's words; `what` names the file in the message
/// ("the spec file", "schema file specs/contact.json").
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(super) enum ReadError {
    #[error("{what} does not exist")]
    NotFound { what: String },
    /// Not even whether the path exists could be learnt.
    #[error("cannot read {what}: {reason}")]
    NoMetadata { what: String, reason: String },
    #[error("{what} is a directory, not a file")]
    Directory { what: String },
    #[error("{what} is not a regular file (a device, a pipe or a socket)")]
    NotRegular { what: String },
    #[error("{what} is {:.1} MiB; the limit is {:.0} MiB", mib(.size), mib(.limit))]
    TooLarge { what: String, size: u64, limit: u64 },
    /// The file is there, but opening or reading it failed.
    #[error("cannot read {what}: {reason}")]
    Unreadable { what: String, reason: String },
}

impl ReadError {
    /// Whether the path names something (a file too large, a directory…), as opposed to
    /// nothing that could be found.
    pub(super) fn found(&self) -> bool {
        !matches!(
            self,
            ReadError::NotFound { .. } | ReadError::NoMetadata { .. }
        )
    }
}

/// Bytes in mebibytes, for messages.
fn mib(bytes: &u64) -> f64 {
    *bytes as f64 / (1024.0 * 1024.0)
}

/// Reads a file of at most `limit` bytes that is a regular file, refusing anything else
/// (a directory, a device, a pipe); `what` names the file in the error.
pub(super) fn read_limited(path: &Path, limit: u64, what: &str) -> Result<Vec<u8>, ReadError> {
    use std::io::Read;
    let what = what.to_string();
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Err(ReadError::NotFound { what })
        }
        Err(err) => {
            let reason = io_words(&err);
            return Err(ReadError::NoMetadata { what, reason });
        }
    };
    if meta.is_dir() {
        return Err(ReadError::Directory { what });
    }
    if !meta.is_file() {
        return Err(ReadError::NotRegular { what });
    }
    if meta.len() > limit {
        let size = meta.len();
        return Err(ReadError::TooLarge { what, size, limit });
    }
    let mut bytes = Vec::new();
    let read =
        std::fs::File::open(path).and_then(|file| file.take(limit + 1).read_to_end(&mut bytes));
    if let Err(err) = read {
        let reason = io_words(&err);
        return Err(ReadError::Unreadable { what, reason });
    }
    if bytes.len() as u64 > limit {
        let size = bytes.len() as u64;
        return Err(ReadError::TooLarge { what, size, limit });
    }
    Ok(bytes)
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
pub(super) fn parse_file<T>(
    specs_dir: &Path,
    path: &Path,
    is_suite: bool,
    read: fn(&mut read::Reader, &yaml::Node) -> Option<T>,
    errors: &mut Vec<SpecError>,
) -> Option<Parsed<T>> {
    let display = display_path(path);
    let bytes = match read_limited(path, MAX_SPEC_FILE_BYTES, "the spec file") {
        Ok(bytes) => bytes,
        Err(error) => {
            errors.push(not_read(display, is_suite, &error));
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

/// A spec file that was not read, with what to do about it: a `suite.yaml` that is not
/// there is explained, and a spec file that is there but refused recalls the limits.
fn not_read(display: String, is_suite: bool, error: &ReadError) -> SpecError {
    let not_read = SpecError::new(display, None, error.to_string());
    match (is_suite, error.found()) {
        (true, false) => not_read.with_hint(format!(
            "every specs directory needs a {SUITE_FILE}: the credentials and the checks shared by all spec files"
        )),
        (false, true) => not_read.with_hint(
            "spec files hold one operation each and stay small; README.md gives the limits",
        ),
        _ => not_read,
    }
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

pub(super) fn relative_name(specs_dir: &Path, path: &Path) -> String {
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
            let refused = read_limited(zero, 10, "the file").unwrap_err().to_string();
            assert!(refused.contains("not a regular file"), "{refused}");
        }
        let dir = tempfile::tempdir().unwrap();
        let refused = read_limited(dir.path(), 10, "the file")
            .unwrap_err()
            .to_string();
        assert_eq!(refused, "the file is a directory, not a file");
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'x'; 2 * 1024 * 1024]).unwrap();
        let refused = read_limited(&big, 1024 * 1024, "the file")
            .unwrap_err()
            .to_string();
        assert_eq!(refused, "the file is 2.0 MiB; the limit is 1 MiB");
    }
}
