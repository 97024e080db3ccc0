//! One pass over a spec file's YAML events: where every node is, and every unknown key.
//!
//! `serde` gives no positions and stops at the first unknown key. This pass walks the
//! events instead, recording each node's position in a [`PosIndex`] and, knowing which
//! struct of [`super::raw`] each mapping becomes, reporting every key that struct does not
//! accept, with a did-you-mean. The accepted names are read from the structs themselves
//! (see [`fields_of`]), so this check cannot drift from what `serde` accepts.

use saphyr_parser::{Event, Parser};
use serde::de::{self, Deserialize, Visitor};

use super::raw;
use crate::source::{join, Pos, PosIndex};

/// What a YAML node becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ty {
    SuiteFile,
    Credentials,
    Credential,
    EveryResponse,
    StubSettings,
    SpecFile,
    Operation,
    StubBehaviour,
    Responses,
    Response,
    Scenarios,
    Scenario,
    Steps,
    Step,
    Request,
    Expect,
    Cleanup,
    Repeat,
    Captures,
    Capture,
    /// Free-form data (bodies, examples, maps of user-chosen names): not checked.
    Free,
}

impl Ty {
    /// The type of the value under `key` in a mapping of this type.
    fn child(self, key: &str) -> Ty {
        match (self, key) {
            (Ty::SuiteFile, "credentials") => Ty::Credentials,
            (Ty::SuiteFile, "every_response") => Ty::EveryResponse,
            (Ty::SuiteFile, "stub") => Ty::StubSettings,
            (Ty::Credentials, _) => Ty::Credential,
            (Ty::SpecFile, "operation") => Ty::Operation,
            (Ty::SpecFile, "scenarios") => Ty::Scenarios,
            (Ty::Operation, "stub") => Ty::StubBehaviour,
            (Ty::Operation, "responses") => Ty::Responses,
            (Ty::Scenario, "setup" | "verify") => Ty::Steps,
            (Ty::Scenario | Ty::Step | Ty::Cleanup, "request") => Ty::Request,
            (Ty::Scenario | Ty::Step, "expect") => Ty::Expect,
            (Ty::Scenario, "repeat_until_status") => Ty::Repeat,
            (Ty::Step, "capture") => Ty::Captures,
            (Ty::Step, "cleanup") => Ty::Cleanup,
            (Ty::Captures, _) => Ty::Capture,
            _ => Ty::Free,
        }
    }

    /// The type of the items of a sequence of this type.
    fn item(self) -> Ty {
        match self {
            Ty::Responses => Ty::Response,
            Ty::Scenarios => Ty::Scenario,
            Ty::Steps => Ty::Step,
            _ => Ty::Free,
        }
    }

    fn fields(self) -> Option<&'static [&'static str]> {
        Some(match self {
            Ty::SuiteFile => fields_of::<raw::SuiteFile>(),
            Ty::Credential => fields_of::<raw::Credential>(),
            Ty::EveryResponse => fields_of::<raw::EveryResponse>(),
            Ty::StubSettings => fields_of::<raw::StubSettings>(),
            Ty::SpecFile => fields_of::<raw::SpecFile>(),
            Ty::Operation => fields_of::<raw::Operation>(),
            Ty::StubBehaviour => fields_of::<raw::StubBehaviour>(),
            Ty::Response => fields_of::<raw::Response>(),
            Ty::Scenario => fields_of::<raw::Scenario>(),
            Ty::Step => fields_of::<raw::Step>(),
            Ty::Request => fields_of::<raw::Request>(),
            Ty::Expect => fields_of::<raw::Expect>(),
            Ty::Cleanup => fields_of::<raw::Cleanup>(),
            Ty::Repeat => fields_of::<raw::Repeat>(),
            Ty::Capture => fields_of::<raw::DetailedCapture>(),
            _ => return None,
        })
    }
}

/// An unknown key: where, which, and what was probably meant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownKey {
    pub pos: Pos,
    pub key: String,
    pub accepted: &'static [&'static str],
    pub suggestion: Option<&'static str>,
}

/// A mapping or sequence being walked: its path, its type, and the pending key or index.
enum Frame {
    Map {
        path: String,
        ty: Ty,
        key: Option<(String, Pos)>,
    },
    Seq {
        path: String,
        ty: Ty,
        next: usize,
    },
}

/// What one pass over a file found.
#[derive(Debug, Default)]
pub struct Scan {
    pub index: PosIndex,
    pub unknown: Vec<UnknownKey>,
}

/// Indexes a suite file (`suite = true`) or a spec file and finds its unknown keys. YAML
/// syntax errors are left to `serde_yaml`, which reports them with a position too.
pub fn scan(text: &str, suite: bool) -> Scan {
    let root = if suite { Ty::SuiteFile } else { Ty::SpecFile };
    let mut found = Scan::default();
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
                    ty,
                    key: key @ None,
                    ..
                }) = stack.last_mut()
                {
                    if let Some(accepted) = ty.fields() {
                        if !accepted.contains(&value.as_ref()) {
                            found.unknown.push(UnknownKey {
                                pos: here,
                                key: value.to_string(),
                                accepted,
                                suggestion: closest(&value, accepted),
                            });
                        }
                    }
                    *key = Some((value.into_owned(), here));
                } else if let Some((path, pos, _)) = child(&mut stack, here) {
                    if pos != here {
                        found.index.insert_value(path.clone(), here);
                    }
                    found.index.insert(path, pos);
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let (path, pos, ty) = match child(&mut stack, here) {
                    Some(child) => child,
                    None if stack.is_empty() => (String::new(), here, root),
                    None => (String::new(), here, Ty::Free),
                };
                if pos != here {
                    found.index.insert_value(path.clone(), here);
                }
                found.index.insert(path.clone(), pos);
                stack.push(match event {
                    Event::MappingStart(..) => Frame::Map {
                        path,
                        ty,
                        key: None,
                    },
                    _ => Frame::Seq { path, ty, next: 0 },
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                stack.pop();
            }
            Event::Alias(_) => {
                child(&mut stack, here);
            }
            _ => {}
        }
    }
    found
}

/// Consumes the parent's pending key (or next index): the child's path, the position to
/// report for it (its key's, in a mapping), and its type.
fn child(stack: &mut [Frame], here: Pos) -> Option<(String, Pos, Ty)> {
    match stack.last_mut()? {
        Frame::Map { path, ty, key } => {
            let (name, key_pos) = key.take()?;
            Some((join(path, &name), key_pos, ty.child(&name)))
        }
        Frame::Seq { path, ty, next } => {
            let child = format!("{path}[{next}]");
            *next += 1;
            Some((child, here, ty.item()))
        }
    }
}

/// The accepted name closest to `given`, if one is close enough to be a likely typo.
pub fn closest<'a>(given: &str, accepted: &[&'a str]) -> Option<&'a str> {
    accepted
        .iter()
        .map(|candidate| (strsim::jaro_winkler(given, candidate), *candidate))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

/// The field names `serde` accepts for `T`, read by asking `T` to deserialize itself from
/// a probe that only records the names it is offered.
pub fn fields_of<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    let mut probe = FieldProbe(&[]);
    let _ = T::deserialize(&mut probe);
    probe.0
}

struct FieldProbe(&'static [&'static str]);

#[derive(Debug)]
struct Stop;

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("probe")
    }
}

impl std::error::Error for Stop {}

impl de::Error for Stop {
    fn custom<M: std::fmt::Display>(_: M) -> Self {
        Stop
    }
}

impl<'de> de::Deserializer<'de> for &mut FieldProbe {
    type Error = Stop;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Stop> {
        self.0 = fields;
        Err(Stop)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_come_from_the_structs() {
        assert_eq!(
            fields_of::<raw::Expect>(),
            &["status", "code", "headers", "equals"]
        );
        assert!(fields_of::<raw::Scenario>().contains(&"repeat_until_status"));
    }

    #[test]
    fn every_unknown_key_is_found_and_free_maps_are_left_alone() {
        let text = "operation:\n  titel: x\n  responses:\n    - status: 200\n      example: { anything: 1 }\nscenarios:\n  - name: a\n    request:\n      body: { expect: 1, shema: 2 }\n      path: { id: x }\n    expect: { statuss: 1 }\n    setup:\n      - operation: x\n        capture: { id: /data/id, k: { pointer: /x, secrte: true } }\n";
        let found: Vec<(String, usize, Option<&str>)> = scan(text, false)
            .unknown
            .into_iter()
            .map(|u| (u.key, u.pos.line, u.suggestion))
            .collect();
        assert_eq!(
            found,
            vec![
                ("titel".into(), 2, Some("title")),
                ("statuss".into(), 11, Some("status")),
                ("secrte".into(), 14, Some("secret")),
            ]
        );
    }

    const DOC: &str = "operation:\n  method: DELETE\nscenarios:\n  - name: a\n    expect:\n      status: 200\n  - name: b\n    equals: { /data/id: x }\n";

    #[test]
    fn locates_keys_and_sequence_items() {
        let index = scan(DOC, false).index;
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
        let index = scan(DOC, false).index;
        assert_eq!(
            index.pos("scenarios[1].nothing.here"),
            Pos { line: 7, col: 5 }
        );
        assert_eq!(index.pos("missing"), Pos { line: 1, col: 1 });
    }

    #[test]
    fn suggestions_need_a_close_match() {
        assert_eq!(
            closest("shema", &["status", "schema", "code"]),
            Some("schema")
        );
        assert_eq!(closest("zzz", &["status", "schema", "code"]), None);
    }
}
