//! Spec source files and positions inside them.
//!
//! `serde` gives no positions for successfully parsed values, so every spec file is read
//! twice: once by `serde_yaml` into the typed model, and once by a YAML event parser that
//! records where each node starts. [`PosIndex`] maps a node's path (`scenarios[2].expect`)
//! to its 1-based line and column, so failures and spec errors can say `file:line:col`.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use saphyr_parser::{Event, Parser};

/// One spec file as read from disk.
#[derive(Debug)]
pub struct SourceFile {
    /// Path as shown to users (relative to the specs directory's parent where possible).
    pub display: String,
    /// Absolute or working-directory-relative path used to read neighbours (schemas).
    pub path: PathBuf,
    pub text: String,
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
/// `expect` points at the `expect:` line.
#[derive(Debug, Default)]
pub struct PosIndex {
    positions: HashMap<String, Pos>,
}

enum Frame {
    Map {
        path: String,
        key: Option<(String, Pos)>,
    },
    Seq {
        path: String,
        next: usize,
    },
}

impl PosIndex {
    /// Indexes `text`. YAML syntax errors are left to `serde_yaml`, which reports them with
    /// a position too; the index then simply holds what was read before the error.
    pub fn build(text: &str) -> PosIndex {
        let mut index = PosIndex::default();
        let mut stack: Vec<Frame> = Vec::new();
        let mut parser = Parser::new_from_str(text);
        while let Some(Ok((event, span))) = parser.next_event() {
            let here = Pos {
                line: span.start.line(),
                col: span.start.col() + 1,
            };
            match event {
                Event::Scalar(value, ..) => {
                    if let Some(Frame::Map {
                        key: key @ None, ..
                    }) = stack.last_mut()
                    {
                        *key = Some((value.into_owned(), here));
                    } else if let Some((path, pos)) = child_path(&mut stack, here) {
                        index.positions.insert(path, pos);
                    }
                }
                Event::MappingStart(..) | Event::SequenceStart(..) => {
                    let (path, pos) = child_path(&mut stack, here).unwrap_or((String::new(), here));
                    index.positions.insert(path.clone(), pos);
                    stack.push(match event {
                        Event::MappingStart(..) => Frame::Map { path, key: None },
                        _ => Frame::Seq { path, next: 0 },
                    });
                }
                Event::MappingEnd | Event::SequenceEnd => {
                    stack.pop();
                }
                Event::Alias(_) => {
                    child_path(&mut stack, here);
                }
                _ => {}
            }
        }
        index
    }

    /// The position of the node at `path`, or of its nearest recorded ancestor.
    pub fn pos(&self, path: &str) -> Pos {
        let mut path = path;
        loop {
            if let Some(pos) = self.positions.get(path) {
                return *pos;
            }
            match path.rfind(['.', '[']) {
                Some(cut) => path = &path[..cut],
                None => {
                    return self
                        .positions
                        .get("")
                        .copied()
                        .unwrap_or(Pos { line: 1, col: 1 })
                }
            }
        }
    }
}

/// Consumes the parent's pending key (or next index) and returns the child's path and the
/// position to report for it.
fn child_path(stack: &mut [Frame], here: Pos) -> Option<(String, Pos)> {
    match stack.last_mut()? {
        Frame::Map { path, key } => {
            let (name, key_pos) = key.take()?;
            Some((join(path, &name), key_pos))
        }
        Frame::Seq { path, next } => {
            let child = format!("{path}[{next}]");
            *next += 1;
            Some((child, here))
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

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "operation:\n  method: DELETE\nscenarios:\n  - name: a\n    expect:\n      status: 200\n  - name: b\n    equals: { /data/id: x }\n";

    #[test]
    fn locates_keys_and_sequence_items() {
        let index = PosIndex::build(DOC);
        assert_eq!(index.pos("operation.method"), Pos { line: 2, col: 3 });
        assert_eq!(index.pos("scenarios[0]"), Pos { line: 4, col: 5 });
        assert_eq!(
            index.pos("scenarios[0].expect.status"),
            Pos { line: 6, col: 7 }
        );
        assert_eq!(index.pos("scenarios[1].name"), Pos { line: 7, col: 5 });
        assert_eq!(
            index.pos("scenarios[1].equals./data/id"),
            Pos { line: 8, col: 15 }
        );
    }

    #[test]
    fn unknown_paths_fall_back_to_the_nearest_ancestor() {
        let index = PosIndex::build(DOC);
        assert_eq!(
            index.pos("scenarios[1].nothing.here"),
            Pos { line: 7, col: 5 }
        );
        assert_eq!(index.pos("missing"), Pos { line: 1, col: 1 });
    }
}
