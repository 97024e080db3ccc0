//! Spec files as a tree of positioned YAML nodes, built in one pass over the parser's
//! events.
//!
//! Every node keeps where it starts, so every later message can point at the value it is
//! about. Building the tree is also where the file's YAML itself is judged, each problem
//! at its cause: a syntax error (an unclosed quote where it opens, a tab used for
//! indentation at the tab), a second document, a key given twice in one mapping (at the
//! second one), aliases that would expand beyond [`MAX_ALIAS_NODES`] (an "alias bomb"),
//! nesting deeper than [`MAX_DEPTH`], and a file with no content at all.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle};

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
    let mut problems = Vec::new();
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Node> = None;
    let mut documents = 0;
    let mut anchors: HashMap<usize, (Node, usize)> = HashMap::new();
    let mut alias_nodes = 0usize;
    // Nodes in each open collection, for the size of anchored ones.
    let mut counts: Vec<usize> = Vec::new();
    loop {
        let (event, span) = match parser.next_event() {
            None => break,
            Some(Ok(found)) => found,
            Some(Err(err)) => {
                let at = Pos {
                    line: err.marker().line(),
                    col: err.marker().col() + 1,
                };
                problems.push(syntax_problem(text, at, err.info()));
                return Parsed {
                    root: None,
                    problems,
                };
            }
        };
        let here = Pos {
            line: span.start.line(),
            col: span.start.col() + 1,
        };
        let node = match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => continue,
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    problems.push(
                        Problem::new(here, "a second YAML document: a spec file holds one").hint(
                            "remove the `---` and what follows, or move it to a file of its own",
                        ),
                    );
                    return Parsed {
                        root: None,
                        problems,
                    };
                }
                continue;
            }
            Event::Scalar(value, style, anchor, tag) => {
                if let Some(problem) = tag_problem(here, tag.as_deref()) {
                    problems.push(problem);
                    return Parsed {
                        root: None,
                        problems,
                    };
                }
                // The scanner grows its strings as it reads: a tree of 10,000 scenarios
                // keeps hundreds of thousands of them, so they give back their slack.
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
                    anchors.insert(anchor, (node.clone(), 1));
                }
                node
            }
            Event::Alias(id) => {
                let Some((node, size)) = anchors.get(&id) else {
                    continue;
                };
                alias_nodes += size;
                if alias_nodes > MAX_ALIAS_NODES {
                    problems.push(
                        Problem::new(
                            here,
                            format!(
                                "aliases expand to more than {MAX_ALIAS_NODES} values: refused \
                                 as an alias bomb"
                            ),
                        )
                        .hint("write the values out, or use fewer aliases of large anchors"),
                    );
                    return Parsed {
                        root: None,
                        problems,
                    };
                }
                if let Some(count) = counts.last_mut() {
                    *count += size - 1;
                }
                Node {
                    pos: here,
                    ..node.clone()
                }
            }
            Event::SequenceStart(anchor, ref tag) | Event::MappingStart(anchor, ref tag) => {
                if let Some(problem) = tag_problem(here, tag.as_deref()) {
                    problems.push(problem);
                    return Parsed {
                        root: None,
                        problems,
                    };
                }
                if stack.len() >= MAX_DEPTH {
                    problems.push(Problem::new(
                        here,
                        format!("nested more than {MAX_DEPTH} levels deep"),
                    ));
                    return Parsed {
                        root: None,
                        problems,
                    };
                }
                let pending_key = matches!(stack.last(), Some(Frame::Map { key: None, .. }));
                if pending_key {
                    problems.push(
                        Problem::new(
                            here,
                            "a mapping key must be a plain name, not a list or mapping",
                        )
                        .hint(
                            "keys are names such as `status` or JSON pointers such as `/data/id`",
                        ),
                    );
                    return Parsed {
                        root: None,
                        problems,
                    };
                }
                stack.push(match event {
                    Event::SequenceStart(..) => Frame::Seq {
                        pos: here,
                        anchor,
                        items: Vec::new(),
                    },
                    _ => Frame::Map {
                        pos: here,
                        anchor,
                        entries: Vec::new(),
                        key: None,
                    },
                });
                counts.push(1);
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let count = counts.pop().unwrap_or(1);
                let (node, anchor) = match stack.pop() {
                    Some(Frame::Seq {
                        pos,
                        anchor,
                        mut items,
                    }) => (
                        Node {
                            pos,
                            value: Yaml::Seq({
                                items.shrink_to_fit();
                                items
                            }),
                        },
                        anchor,
                    ),
                    Some(Frame::Map {
                        pos,
                        anchor,
                        mut entries,
                        ..
                    }) => (
                        Node {
                            pos,
                            value: Yaml::Map({
                                entries.shrink_to_fit();
                                entries
                            }),
                        },
                        anchor,
                    ),
                    None => continue,
                };
                if let Some(parent) = counts.last_mut() {
                    *parent += count - 1;
                }
                if anchor > 0 {
                    anchors.insert(anchor, (node.clone(), count));
                }
                node
            }
        };
        if let Some(parent) = counts.last_mut() {
            *parent += 1;
        }
        match stack.last_mut() {
            None => root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                Some((key, key_pos)) => {
                    if entries.iter().any(|e| e.key == key) {
                        problems.push(
                            Problem::new(
                                key_pos,
                                format!("`{key}` is given twice in this mapping"),
                            )
                            .label("second time")
                            .hint("keep one of them: YAML would silently use only one"),
                        );
                    } else {
                        entries.push(Entry {
                            key,
                            key_pos,
                            value: node,
                        });
                    }
                }
                None => match node.value {
                    Yaml::Scalar { text, .. } => *key = Some((text, node.pos)),
                    _ => {
                        problems.push(Problem::new(
                            node.pos,
                            "a mapping key must be a plain name, not a list or mapping",
                        ));
                        return Parsed {
                            root: None,
                            problems,
                        };
                    }
                },
            },
        }
    }
    let empty = match &root {
        None => true,
        Some(Node {
            value: Yaml::Scalar { text, plain: true },
            ..
        }) => text.is_empty(),
        _ => false,
    };
    if empty {
        problems.push(
            Problem::new(Pos { line: 1, col: 1 }, "empty spec file")
                .hint("a spec file holds an `operation:` and its `scenarios:`; README.md shows the format"),
        );
        return Parsed {
            root: None,
            problems,
        };
    }
    Parsed { root, problems }
}

/// Tags other than the core ones (`!!str`, …) are not part of the spec format.
fn tag_problem(at: Pos, tag: Option<&saphyr_parser::Tag>) -> Option<Problem> {
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
