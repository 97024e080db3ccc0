//! Spec files as a tree of positioned YAML nodes, built in one pass over the parser's
//! events.
//!
//! Every node keeps where it starts, so every later message can point at the value it is
//! about. Building the tree is also where the file's YAML itself is judged, each problem
//! at its cause: a syntax error (an unclosed quote where it opens, a tab used for
//! indentation at the tab), a second document, a key given twice in one mapping (at the
//! second one), aliases that would expand beyond [`MAX_ALIAS_NODES`] (an "alias bomb"),
//! nesting deeper than [`MAX_DEPTH`], and a file with no content at all.

use std::borrow::Cow;
use std::collections::HashMap;

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, Tag};

use crate::source::{join, Pos, PosIndex};

/// Nodes that aliases (`*name`) may add to a file, all aliases together.
pub const MAX_ALIAS_NODES: usize = 10_000;

/// Deepest nesting of mappings and lists.
pub const MAX_DEPTH: usize = 64;

/// One YAML node and where it starts.
#[derive(Clone, Debug)]
pub struct Node {
    pub pos: Pos,
    pub value: Yaml,
}

#[derive(Clone, Debug)]
pub enum Yaml {
    /// A scalar as written; `plain` when unquoted (then `null`, `true`, `12` are typed).
    Scalar {
        text: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub key: String,
    pub key_pos: Pos,
    pub value: Node,
}

/// A problem with the YAML of a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub pos: Pos,
    pub message: String,
    pub label: Option<String>,
    pub hint: Option<String>,
    /// Characters the caret covers, when the token rule of the snippet would be wrong.
    pub width: Option<usize>,
}

impl Problem {
    fn new(pos: Pos, message: impl Into<String>) -> Self {
        Problem {
            pos,
            message: message.into(),
            label: None,
            hint: None,
            width: None,
        }
    }

    fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// What parsing a file gave: its root node unless the YAML itself is broken, and every
/// problem found (duplicate keys leave the tree usable, with the first value kept).
pub struct Parsed {
    pub root: Option<Node>,
    pub problems: Vec<Problem>,
}

/// A mapping or list still open, with what it holds so far.
enum Frame {
    Seq {
        pos: Pos,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        pos: Pos,
        anchor: usize,
        entries: Vec<Entry>,
        key: Option<(String, Pos)>,
    },
}

/// Parses `text` into a tree of nodes.
pub fn parse(text: &str) -> Parsed {
    let mut tree = Tree::default();
    let mut parser = Parser::new_from_str(text);
    while let Some(next) = parser.next_event() {
        let handled = match next {
            Ok((event, span)) => tree.event(event, pos_of(&span.start)),
            Err(err) => Err(syntax_problem(text, pos_of(err.marker()), err.info())),
        };
        if let Err(problem) = handled {
            return tree.stop(problem);
        }
    }
    tree.finish()
}

/// Where a parser mark is, with columns counted from 1.
fn pos_of(marker: &Marker) -> Pos {
    Pos {
        line: marker.line(),
        col: marker.col() + 1,
    }
}

/// The tree built from the parser's events so far, and the problems found on the way.
///
/// Each event's handler gives `Err` for a problem that stops the parse (the tree is then
/// dropped); a key given twice is only recorded, and the parse goes on.
#[derive(Default)]
struct Tree {
    problems: Vec<Problem>,
    /// The mappings and lists still open, innermost last.
    stack: Vec<Frame>,
    root: Option<Node>,
    documents: usize,
    /// Anchored nodes by anchor id, each with the number of nodes it holds.
    anchors: HashMap<usize, (Node, usize)>,
    /// Nodes that aliases have added so far, all aliases together.
    alias_nodes: usize,
    /// Nodes in each open collection, for the size of anchored ones.
    counts: Vec<usize>,
}

impl Tree {
    /// Handles one event at `here`; a node it completes goes into its parent.
    fn event(&mut self, event: Event<'_>, here: Pos) -> Result<(), Problem> {
        let node = match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => None,
            Event::DocumentStart(_) => return self.document_start(here),
            Event::Scalar(value, style, anchor, tag) => {
                Some(self.scalar(here, value, style, anchor, tag.as_deref())?)
            }
            Event::Alias(id) => self.alias(here, id)?,
            Event::SequenceStart(anchor, tag) => {
                let items = Vec::new();
                let frame = Frame::Seq {
                    pos: here,
                    anchor,
                    items,
                };
                return self.open(here, tag.as_deref(), frame);
            }
            Event::MappingStart(anchor, tag) => {
                let (entries, key) = (Vec::new(), None);
                let frame = Frame::Map {
                    pos: here,
                    anchor,
                    entries,
                    key,
                };
                return self.open(here, tag.as_deref(), frame);
            }
            Event::SequenceEnd | Event::MappingEnd => self.close(),
        };
        match node {
            Some(node) => self.add(node),
            None => Ok(()),
        }
    }

    /// The start of a document: a spec file holds one.
    fn document_start(&mut self, here: Pos) -> Result<(), Problem> {
        self.documents += 1;
        if self.documents > 1 {
            return Err(
                Problem::new(here, "a second YAML document: a spec file holds one")
                    .hint("remove the `---` and what follows, or move it to a file of its own"),
            );
        }
        Ok(())
    }

    /// A scalar node, remembered under its anchor if it has one.
    fn scalar(
        &mut self,
        here: Pos,
        value: Cow<'_, str>,
        style: ScalarStyle,
        anchor: usize,
        tag: Option<&Tag>,
    ) -> Result<Node, Problem> {
        if let Some(problem) = tag_problem(here, tag) {
            return Err(problem);
        }
        // The scanner grows its strings as it reads: a tree of 10,000 scenarios keeps
        // hundreds of thousands of them, so they give back their slack.
        let mut text = value.into_owned();
        text.shrink_to_fit();
        let node = Node {
            pos: here,
            value: Yaml::Scalar {
                text,
                plain: matches!(style, ScalarStyle::Plain),
            },
        };
        if anchor > 0 {
            self.anchors.insert(anchor, (node.clone(), 1));
        }
        Ok(node)
    }

    /// A copy of the anchored node an alias names, placed at the alias (`None` when the
    /// anchor is unknown); refused once aliases add more than [`MAX_ALIAS_NODES`] nodes.
    fn alias(&mut self, here: Pos, id: usize) -> Result<Option<Node>, Problem> {
        let Some((node, size)) = self.anchors.get(&id) else {
            return Ok(None);
        };
        self.alias_nodes += size;
        if self.alias_nodes > MAX_ALIAS_NODES {
            return Err(Problem::new(
                here,
                format!(
                    "aliases expand to more than {MAX_ALIAS_NODES} values: refused as an alias \
                     bomb"
                ),
            )
            .hint("write the values out, or use fewer aliases of large anchors"));
        }
        if let Some(count) = self.counts.last_mut() {
            *count += size - 1;
        }
        Ok(Some(Node {
            pos: here,
            ..node.clone()
        }))
    }

    /// Opens a mapping or list, unless it has a tag, is nested too deep, or stands where a
    /// key is due.
    fn open(&mut self, here: Pos, tag: Option<&Tag>, frame: Frame) -> Result<(), Problem> {
        if let Some(problem) = tag_problem(here, tag) {
            return Err(problem);
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(Problem::new(
                here,
                format!("nested more than {MAX_DEPTH} levels deep"),
            ));
        }
        if matches!(self.stack.last(), Some(Frame::Map { key: None, .. })) {
            return Err(Problem::new(
                here,
                "a mapping key must be a plain name, not a list or mapping",
            )
            .hint("keys are names such as `status` or JSON pointers such as `/data/id`"));
        }
        self.stack.push(frame);
        self.counts.push(1);
        Ok(())
    }

    /// Closes the innermost mapping or list into its node, remembered under its anchor
    /// with its size.
    fn close(&mut self) -> Option<Node> {
        let count = self.counts.pop().unwrap_or(1);
        let (node, anchor) = match self.stack.pop()? {
            Frame::Seq {
                pos,
                anchor,
                mut items,
            } => {
                items.shrink_to_fit();
                let value = Yaml::Seq(items);
                (Node { pos, value }, anchor)
            }
            Frame::Map {
                pos,
                anchor,
                mut entries,
                ..
            } => {
                entries.shrink_to_fit();
                let value = Yaml::Map(entries);
                (Node { pos, value }, anchor)
            }
        };
        if let Some(parent) = self.counts.last_mut() {
            *parent += count - 1;
        }
        if anchor > 0 {
            self.anchors.insert(anchor, (node.clone(), count));
        }
        Some(node)
    }

    /// Puts a finished node where it belongs: the root, an item of the open list, or a key
    /// of the open mapping or the value of its pending key.
    fn add(&mut self, node: Node) -> Result<(), Problem> {
        if let Some(parent) = self.counts.last_mut() {
            *parent += 1;
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                Some((key, key_pos)) if entries.iter().any(|e| e.key == key) => {
                    self.problems.push(given_twice(&key, key_pos));
                }
                Some((key, key_pos)) => entries.push(Entry {
                    key,
                    key_pos,
                    value: node,
                }),
                None => match node.value {
                    Yaml::Scalar { text, .. } => *key = Some((text, node.pos)),
                    _ => {
                        return Err(Problem::new(
                            node.pos,
                            "a mapping key must be a plain name, not a list or mapping",
                        ))
                    }
                },
            },
        }
        Ok(())
    }

    /// What parsing gives when `problem` stops it: no tree, and every problem so far.
    fn stop(mut self, problem: Problem) -> Parsed {
        self.problems.push(problem);
        Parsed {
            root: None,
            problems: self.problems,
        }
    }

    /// What parsing gives once every event is handled; a file with no content is a
    /// problem.
    fn finish(self) -> Parsed {
        let empty = match &self.root {
            None => true,
            Some(Node {
                value: Yaml::Scalar { text, plain: true },
                ..
            }) => text.is_empty(),
            _ => false,
        };
        if empty {
            return self.stop(
                Problem::new(Pos { line: 1, col: 1 }, "empty spec file").hint(
                    "a spec file holds an `operation:` and its `scenarios:`; README.md shows \
                         the format",
                ),
            );
        }
        Parsed {
            root: self.root,
            problems: self.problems,
        }
    }
}

/// A key given a second time in one mapping, reported at the second one.
fn given_twice(key: &str, key_pos: Pos) -> Problem {
    Problem::new(key_pos, format!("`{key}` is given twice in this mapping"))
        .label("second time")
        .hint("keep one of them: YAML would silently use only one")
}

/// Tags other than the core ones (`!!str`, …) are not part of the spec format.
fn tag_problem(at: Pos, tag: Option<&Tag>) -> Option<Problem> {
    let tag = tag?;
    if tag.is_yaml_core_schema() {
        return None;
    }
    Some(Problem::new(
        at,
        format!(
            "YAML tag `{}{}` is not used in spec files",
            tag.handle, tag.suffix
        ),
    ))
}

/// A syntax error at its cause where the text shows it: a tab in an indentation, or the
/// quote that opens a string never closed; otherwise the parser's own words.
fn syntax_problem(text: &str, at: Pos, info: &str) -> Problem {
    // A plain scalar's error is raised where the scalar starts, before the next line's tab.
    let lines: Vec<&str> = text.lines().take(at.line.max(1) + 1).collect();
    if let Some((line, col)) = lines.iter().enumerate().find_map(|(i, line)| {
        let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
        line[..indent].find('\t').map(|c| (i + 1, c + 1))
    }) {
        let mut problem = Problem::new(
            Pos { line, col },
            "a tab is used for indentation; YAML indents with spaces only",
        )
        .label("tab")
        .hint("replace the tab with spaces");
        problem.width = Some(1);
        return problem;
    }
    let quoted = info.contains("quoted scalar");
    let unclosed = ["end of stream", "document indicator", "invalid indentation"];
    if quoted && unclosed.iter().any(|cause| info.contains(cause)) {
        let before: Vec<&str> = text.lines().take(at.line.max(1)).collect();
        if let Some(open) = unclosed_quote(&before) {
            let mut problem = Problem::new(open, "this quoted string is never closed")
                .label("opens here")
                .hint("close it with the same quote character");
            problem.width = Some(1);
            return problem;
        }
    }
    let message = info
        .strip_prefix("while ")
        .map_or_else(|| info.to_string(), |rest| rest.replacen(", ", ": ", 1));
    Problem::new(at, format!("YAML syntax error: {message}"))
}

/// The last quote, scanning back from the end, that opens a string its line does not
/// close.
fn unclosed_quote(lines: &[&str]) -> Option<Pos> {
    for (i, line) in lines.iter().enumerate().rev() {
        let mut open: Option<(char, usize)> = None;
        let mut chars = line.chars().enumerate().peekable();
        while let Some((col, c)) = chars.next() {
            match open {
                None if c == '#' => break,
                None if c == '"' || c == '\'' => open = Some((c, col)),
                Some(('"', _)) if c == '\\' => {
                    chars.next();
                }
                Some((quote, _)) if c == quote => {
                    if quote == '\'' && chars.peek().is_some_and(|(_, n)| *n == '\'') {
                        chars.next();
                    } else {
                        open = None;
                    }
                }
                _ => {}
            }
        }
        if let Some((_, col)) = open {
            return Some(Pos {
                line: i + 1,
                col: col + 1,
            });
        }
    }
    None
}

impl Node {
    /// The scalar's text, if this is a scalar.
    pub fn scalar(&self) -> Option<&str> {
        match &self.value {
            Yaml::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// Whether this is `null`, `~` or nothing at all.
    pub fn is_null(&self) -> bool {
        matches!(&self.value, Yaml::Scalar { text, plain: true } if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// What kind of value this is, in the spec's words.
    pub fn kind(&self) -> &'static str {
        match &self.value {
            Yaml::Seq(_) => "a list",
            Yaml::Map(_) => "a mapping",
            _ if self.is_null() => "empty",
            Yaml::Scalar { plain: true, .. } => match self.to_json() {
                serde_json::Value::Bool(_) => "true or false",
                serde_json::Value::Number(_) => "a number",
                _ => "text",
            },
            Yaml::Scalar { .. } => "text",
        }
    }

    /// The node as JSON, scalars typed as YAML 1.2's core schema types them.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.value {
            Yaml::Scalar { text, plain: false } => Value::String(text.clone()),
            Yaml::Scalar { text, plain: true } => plain_scalar(text),
            Yaml::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            Yaml::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.to_json()))
                    .collect(),
            ),
        }
    }

    /// Records where this node and every node below it start, under `path`.
    pub fn index_into(&self, path: &str, index: &mut PosIndex) {
        match &self.value {
            Yaml::Scalar { .. } => {}
            Yaml::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    let child = format!("{path}[{i}]");
                    index.insert(child.clone(), item.pos);
                    item.index_into(&child, index);
                }
            }
            Yaml::Map(entries) => {
                for entry in entries {
                    let child = join(path, &entry.key);
                    if entry.value.pos != entry.key_pos {
                        index.insert_value(child.clone(), entry.value.pos);
                    }
                    index.insert(child.clone(), entry.key_pos);
                    entry.value.index_into(&child, index);
                }
            }
        }
    }
}

/// A plain scalar typed by YAML 1.2's core schema.
fn plain_scalar(text: &str) -> serde_json::Value {
    use serde_json::Value;
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(n) = text.parse::<i64>() {
            return Value::from(n);
        }
        if let Ok(n) = text.trim_start_matches('+').parse::<u64>() {
            return Value::from(n);
        }
    }
    if let Some(hex) = text.strip_prefix("0x") {
        if let Ok(n) = i64::from_str_radix(hex, 16) {
            return Value::from(n);
        }
    }
    if let Some(oct) = text.strip_prefix("0o") {
        if let Ok(n) = i64::from_str_radix(oct, 8) {
            return Value::from(n);
        }
    }
    let float_like = digits.bytes().any(|b| b.is_ascii_digit())
        && digits
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'));
    if float_like {
        if let Some(n) = text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
        {
            return Value::Number(n);
        }
    }
    Value::String(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<(usize, usize, String)> {
        parse(text)
            .problems
            .into_iter()
            .map(|p| (p.pos.line, p.pos.col, p.message))
            .collect()
    }

    #[test]
    fn scalars_are_typed_like_yaml() {
        let root = parse("a: 1\nb: '1'\nc: true\nd: ~\ne: 1.5\nf: x y\n")
            .root
            .unwrap();
        assert_eq!(
            root.to_json(),
            serde_json::json!({"a": 1, "b": "1", "c": true, "d": null, "e": 1.5, "f": "x y"})
        );
    }

    #[test]
    fn yaml_problems_are_found_at_their_cause() {
        assert_eq!(problems("a: 1\nb: 2\na: 3\n")[0].0, 3);
        assert_eq!(problems("# only a comment\n")[0].2, "empty spec file");
        assert_eq!(problems("a:\n\tb: 1\n")[0].0, 2);
        assert_eq!(
            problems("a: \"x\nb: 1\n")[0..1],
            [(1, 4, "this quoted string is never closed".to_string())]
        );
        assert!(problems("a: 1\n---\nb: 2\n")[0]
            .2
            .contains("second YAML document"));
        let bomb = "a: &a [1,1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n";
        assert!(problems(bomb)[0].2.contains("alias bomb"));
    }
}
