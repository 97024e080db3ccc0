//! Spec source files and positions inside them.
//!
//! Every spec file is read into a tree of positioned YAML nodes (`spec::yaml`), and
//! [`PosIndex`] maps a node's path (`scenarios[2].expect`) to its 1-based line and column,
//! so failures and spec errors can say `file:line:col`.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// One spec file as read from disk.
#[derive(Debug)]
pub struct SourceFile {
    /// Path as shown to users (relative to the specs directory's parent where possible).
    pub display: String,
    /// Absolute or working-directory-relative path used to read neighbours (schemas).
    pub path: PathBuf,
    pub text: String,
    /// Where each line starts, so that a message shows its line without a scan of the file.
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(display: String, path: PathBuf, text: String) -> Self {
        let line_starts = line_starts(&text);
        SourceFile {
            display,
            path,
            text,
            line_starts,
        }
    }

    /// The text of 1-based line `line`, without its line break.
    pub fn line(&self, line: usize) -> Option<&str> {
        line_of(&self.text, &self.line_starts, line)
    }
}

/// Byte offsets where the lines of `text` start.
pub fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

/// The text of 1-based line `line` given the starts of [`line_starts`].
pub fn line_of<'t>(text: &'t str, starts: &[usize], line: usize) -> Option<&'t str> {
    let start = *starts.get(line.checked_sub(1)?)?;
    if start >= text.len() && line > 1 {
        return None;
    }
    let end = starts.get(line).map_or(text.len(), |next| next - 1);
    Some(text[start..end].trim_end_matches('\r'))
}

/// A 1-based line and column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

/// A position in a named file: what every message about a spec points at.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Span {
    pub file: Arc<str>,
    pub pos: Pos,
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.pos.line, self.pos.col)
    }
}

/// Where each node of a YAML document starts, keyed by its path.
///
/// Paths use `.` between mapping keys and `[i]` for sequence items, without a leading dot:
/// `scenarios[0].expect.status`. A mapping entry is located at its key, so a message about
/// `expect` points at the `expect:` line. Built by the spec loader in the same pass
/// that checks the keys.
///
/// Paths are kept as 64-bit hashes, not as text: a large spec has millions of nodes.
#[derive(Debug, Default)]
pub struct PosIndex {
    positions: HashMap<u64, Pos>,
    /// Where the value of a mapping entry starts, for messages about the value itself.
    values: HashMap<u64, Pos>,
}

/// The key of a path in a [`PosIndex`].
fn key(path: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    path.hash(&mut hasher);
    hasher.finish()
}

impl PosIndex {
    pub fn insert(&mut self, path: String, pos: Pos) {
        self.positions.insert(key(&path), pos);
    }

    pub fn insert_value(&mut self, path: String, pos: Pos) {
        self.values.insert(key(&path), pos);
    }

    /// Whether the node at `path` itself was recorded (not only an ancestor).
    pub fn contains(&self, path: &str) -> bool {
        self.positions.contains_key(&key(path))
    }

    /// Where the value at `path` starts; its key's position when it was not recorded.
    pub fn value_pos(&self, path: &str) -> Pos {
        self.values
            .get(&key(path))
            .copied()
            .unwrap_or_else(|| self.pos(path))
    }

    /// The position of the node at `path`, or of its nearest recorded ancestor.
    pub fn pos(&self, path: &str) -> Pos {
        let mut path = path;
        loop {
            if let Some(pos) = self.positions.get(&key(path)) {
                return *pos;
            }
            match path.rfind(['.', '[']) {
                Some(cut) => path = &path[..cut],
                None => {
                    return self
                        .positions
                        .get(&key(""))
                        .copied()
                        .unwrap_or(Pos { line: 1, col: 1 })
                }
            }
        }
    }
}

/// Appends a mapping key to a path.
pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}
