//! `serve --seed FILE`: the records a served stub starts with.
//!
//! A seed file is JSON: an object mapping collection names (those the operations' `stub:`
//! sections name) to lists of records, each an object with a string `id`:
//!
//! ```json
//! {"contacts": [{"id": "0b9f3a51-2c4e-4d7a-9e1f-5a6b7c8d9e0f", "full_name": "Ada Lovelace"}]}
//! ```
//!
//! Records are stored as written. Every problem is reported at once, each with its line
//! and column: text that is not JSON, an unknown collection, a value that is not a list, a
//! record that is not an object, a key given twice, a missing or non-string `id`, an id no
//! request path could name, and an id given twice in one collection.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::spec::Suite;

/// The largest seed file read.
pub const MAX_SEED_BYTES: u64 = 64 * 1024 * 1024;

/// Problems shown of a broken seed file; the rest are counted.
const SHOWN_PROBLEMS: usize = 20;

/// Whether an id can be named in a request path: `Err` says why not.
pub type IdCheck<'a> = &'a dyn Fn(&str) -> Result<(), String>;

/// Records to start with, by collection, each with its id, in the file's order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Seed {
    /// The file, as shown in messages.
    pub file: String,
    pub collections: BTreeMap<String, Vec<(String, Value)>>,
}

/// A seed file that cannot be used: every problem found, each with its place.
#[derive(Debug, PartialEq, Eq)]
pub struct SeedError {
    pub file: String,
    pub problems: Vec<SeedProblem>,
}

#[derive(Debug, PartialEq, Eq)]
pub struct SeedProblem {
    /// Line and column (from 1), when the problem has a place in the file.
    pub at: Option<(usize, usize)>,
    pub message: String,
}

impl fmt::Display for SeedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut lines = Vec::new();
        for problem in self.problems.iter().take(SHOWN_PROBLEMS) {
            lines.push(match problem.at {
                Some((line, col)) => {
                    format!(
                        "error: seed file {}:{line}:{col}: {}",
                        self.file, problem.message
                    )
                }
                None => format!("error: seed file {}: {}", self.file, problem.message),
            });
        }
        let more = self.problems.len().saturating_sub(SHOWN_PROBLEMS);
        if more > 0 {
            lines.push(format!("… and {more} more problem(s) in {}", self.file));
        }
        f.write_str(&lines.join("\n"))
    }
}

impl std::error::Error for SeedError {}

impl Seed {
    /// Reads and checks the seed file at `path` against the collections of `suite`.
    pub fn read(path: &Path, suite: &Suite, id_check: IdCheck) -> Result<Seed, SeedError> {
        let file = crate::spec::display_path(path);
        let fail = |message: String| SeedError {
            file: file.clone(),
            problems: vec![SeedProblem { at: None, message }],
        };
        let size = std::fs::metadata(path)
            .map_err(|e| fail(format!("cannot read it: {e}")))?
            .len();
        if size > MAX_SEED_BYTES {
            return Err(fail(format!(
                "it holds {size} bytes, more than the {MAX_SEED_BYTES} a seed file may"
            )));
        }
        let bytes = std::fs::read(path).map_err(|e| fail(format!("cannot read it: {e}")))?;
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(error) => {
                let valid = error.utf8_error().valid_up_to();
                let bytes = error.as_bytes();
                let before = String::from_utf8_lossy(&bytes[..valid]);
                return Err(SeedError {
                    file,
                    problems: vec![SeedProblem {
                        at: Some(position(&before, before.len())),
                        message: "not UTF-8 text (a seed file is JSON)".into(),
                    }],
                });
            }
        };
        Seed::parse(&text, &file, &collections(suite), id_check)
    }

    /// Checks the seed `text` (shown as `file`) against the known `collections`.
    pub fn parse(
        text: &str,
        file: &str,
        collections: &[String],
        id_check: IdCheck,
    ) -> Result<Seed, SeedError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut reader = SeedReader {
            text,
            collections,
            id_check,
            problems: Vec::new(),
        };
        let seed = reader.read();
        match reader.problems.is_empty() {
            true => Ok(Seed {
                file: file.to_string(),
                collections: seed,
            }),
            false => Err(SeedError {
                file: file.to_string(),
                problems: reader.problems,
            }),
        }
    }

    /// Records in every collection.
    pub fn len(&self) -> usize {
        self.collections.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The collections the operations of `suite` create, read or delete records of.
pub fn collections(suite: &Suite) -> Vec<String> {
    let mut names: Vec<String> = suite
        .operations
        .iter()
        .filter_map(|op| op.stub.as_ref().map(|s| s.collection.clone()))
        .collect();
    names.sort();
    names.dedup();
    names
}

struct SeedReader<'t> {
    text: &'t str,
    collections: &'t [String],
    id_check: IdCheck<'t>,
    problems: Vec<SeedProblem>,
}

impl<'t> SeedReader<'t> {
    fn read(&mut self) -> BTreeMap<String, Vec<(String, Value)>> {
        let mut seed = BTreeMap::new();
        let root: &RawValue = match serde_json::from_str(self.text) {
            Ok(root) => root,
            Err(error) => {
                self.not_json(&error);
                return seed;
            }
        };
        if kind(root) != "an object" {
            self.problem(
                root,
                format!(
                    "expected an object mapping collection names to lists of records, such as \
                     {{\"contacts\": [{{\"id\": \"…\"}}]}}; found {}",
                    kind(root)
                ),
            );
            return seed;
        }
        let mut first_seen: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for (name, value) in entries(root) {
            if let Some((line, _)) = first_seen.get(&name) {
                self.problem(
                    value,
                    format!("the collection `{name}` is given twice (first on line {line})"),
                );
                continue;
            }
            first_seen.insert(name.clone(), self.at(value));
            if !self.collections.contains(&name) {
                self.problem(value, self.unknown_collection(&name));
                continue;
            }
            let records = self.records(&name, value);
            seed.insert(name, records);
        }
        seed
    }

    fn unknown_collection(&self, name: &str) -> String {
        let known = match self.collections {
            [] => "none: no operation has a `stub:` section".to_string(),
            known => known
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", "),
        };
        let closest = self
            .collections
            .iter()
            .map(|c| (strsim::jaro_winkler(c, name), c))
            .filter(|(score, _)| *score > 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0));
        let hint = closest
            .map(|(_, c)| format!("; did you mean `{c}`?"))
            .unwrap_or_default();
        format!(
            "unknown collection `{name}`: no operation's `stub:` names it (the specs' \
             collections: {known}){hint}"
        )
    }

    /// The records of one collection, each checked.
    fn records(&mut self, collection: &str, value: &'t RawValue) -> Vec<(String, Value)> {
        if kind(value) != "a list" {
            self.problem(
                value,
                format!(
                    "the collection `{collection}` must be a list of records ([{{\"id\": \"…\"}}, …]); \
                     found {}",
                    kind(value)
                ),
            );
            return Vec::new();
        }
        let items: Vec<&RawValue> = serde_json::from_str(value.get()).unwrap_or_default();
        let mut records = Vec::new();
        let mut ids: BTreeMap<String, usize> = BTreeMap::new();
        for (index, item) in items.into_iter().enumerate() {
            let Some((id, record)) = self.record(collection, index, item) else {
                continue;
            };
            if let Some(line) = ids.get(&id) {
                self.problem(
                    item,
                    format!(
                        "record {} of `{collection}` has the id {id:?} of the record on line \
                         {line}; ids are unique in a collection",
                        index + 1
                    ),
                );
                continue;
            }
            ids.insert(id.clone(), self.at(item).0);
            records.push((id, record));
        }
        records
    }

    /// One record: an object with a string id that a path can name, no key twice.
    fn record(
        &mut self,
        collection: &str,
        index: usize,
        item: &'t RawValue,
    ) -> Option<(String, Value)> {
        let which = format!("record {} of `{collection}`", index + 1);
        if kind(item) != "an object" {
            self.problem(
                item,
                format!("{which} must be an object; found {}", kind(item)),
            );
            return None;
        }
        let mut fields = Map::new();
        let mut broken = false;
        let mut id_value = None;
        for (key, value) in entries(item) {
            if fields.contains_key(&key) {
                self.problem(value, format!("{which} gives the key `{key}` twice"));
                broken = true;
                continue;
            }
            if key == "id" {
                id_value = Some(value);
            }
            fields.insert(
                key,
                serde_json::from_str(value.get()).unwrap_or(Value::Null),
            );
        }
        let id = match (id_value, fields.get("id")) {
            (Some(raw), Some(Value::String(id))) => match (self.id_check)(id) {
                Ok(()) => Some(id.clone()),
                Err(why) => {
                    self.problem(raw, format!("{which}: the id {why}"));
                    None
                }
            },
            (Some(raw), _) => {
                self.problem(
                    raw,
                    format!(
                        "{which}: `id` must be a string, as the API's ids are; found {}",
                        kind(raw)
                    ),
                );
                None
            }
            (None, _) => {
                self.problem(item, format!("{which} has no `id` (a string)"));
                None
            }
        };
        match broken {
            true => None,
            false => Some((id?, Value::Object(fields))),
        }
    }

    fn not_json(&mut self, error: &serde_json::Error) {
        let message = error.to_string();
        let message = match message.rfind(" at line ") {
            Some(cut) if error.line() > 0 => message[..cut].to_string(),
            _ => message,
        };
        let empty = self.text.trim().is_empty();
        let message = match empty {
            true => "it is empty; a seed file is a JSON object such as \
                     {\"contacts\": [{\"id\": \"…\"}]}"
                .to_string(),
            false => format!("not JSON: {message} (a seed file is JSON; YAML is not read)"),
        };
        self.problems.push(SeedProblem {
            // serde_json counts the column of an end of file from 0.
            at: (error.line() > 0 && !empty).then(|| (error.line(), error.column().max(1))),
            message,
        });
    }

    fn problem(&mut self, at: &RawValue, message: String) {
        let at = self.at(at);
        self.problems.push(SeedProblem {
            at: Some(at),
            message,
        });
    }

    /// Line and column where a value of the text starts.
    fn at(&self, value: &RawValue) -> (usize, usize) {
        let offset = (value.get().as_ptr() as usize).saturating_sub(self.text.as_ptr() as usize);
        position(self.text, offset.min(self.text.len()))
    }
}

/// Line and column (from 1, in characters) of a byte offset of `text`.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |at| at + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// What kind of JSON value a raw value is, in words.
fn kind(value: &RawValue) -> &'static str {
    match value.get().trim_start().chars().next() {
        Some('{') => "an object",
        Some('[') => "a list",
        Some('"') => "a string",
        Some('t' | 'f') => "true or false",
        Some('n') => "null",
        _ => "a number",
    }
}

/// The entries of a raw JSON object in the file's order, keys given twice included.
fn entries(object: &RawValue) -> Vec<(String, &RawValue)> {
    serde_json::from_str::<Entries>(object.get())
        .map(|e| e.0)
        .unwrap_or_default()
}

struct Entries<'a>(Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for Entries<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct InOrder;
        impl<'de> Visitor<'de> for InOrder {
            type Value = Entries<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, &'de RawValue>()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(InOrder)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn any_id(_: &str) -> Result<(), String> {
        Ok(())
    }

    fn no_slash(id: &str) -> Result<(), String> {
        match id.contains('/') {
            true => Err(format!("{id:?} cannot be a path parameter: it holds `/`")),
            false => Ok(()),
        }
    }

    fn parse(text: &str) -> Result<Seed, SeedError> {
        Seed::parse(
            text,
            "seed.json",
            &["contacts".into(), "lists".into()],
            &no_slash,
        )
    }

    /// Each problem as `line:col: message`.
    fn problems(text: &str) -> Vec<String> {
        parse(text)
            .unwrap_err()
            .problems
            .into_iter()
            .map(|p| match p.at {
                Some((l, c)) => format!("{l}:{c}: {}", p.message),
                None => p.message,
            })
            .collect()
    }

    #[test]
    fn records_are_read_in_order_with_their_fields() {
        let seed = parse(
            "\u{feff}{\n  \"contacts\": [\n    {\"id\": \"b\", \"full_name\": \"B\", \"tags\": [\"x\"]},\n    {\"id\": \"a\", \"email\": null}\n  ],\n  \"lists\": []\n}\n",
        )
        .unwrap();
        assert_eq!(seed.len(), 2);
        assert_eq!(seed.file, "seed.json");
        let contacts = &seed.collections["contacts"];
        assert_eq!(contacts[0].0, "b");
        assert_eq!(
            contacts[0].1,
            serde_json::json!({"id": "b", "full_name": "B", "tags": ["x"]})
        );
        assert_eq!(contacts[1].0, "a");
        assert!(seed.collections["lists"].is_empty());
        assert!(parse("{}").unwrap().is_empty());
    }

    #[test]
    fn text_that_is_not_a_seed_is_refused_with_its_place() {
        assert_eq!(
            problems("{\"contacts\": [\n  {\"id\": \"a\",}\n]}"),
            ["2:14: not JSON: key must be a string (a seed file is JSON; YAML is not read)"]
        );
        assert_eq!(
            problems("contacts:\n  - id: a\n"),
            ["1:1: not JSON: expected value (a seed file is JSON; YAML is not read)"]
        );
        assert!(problems("  \n")[0].starts_with("it is empty; a seed file is a JSON object"));
        assert_eq!(
            problems("[{\"id\": \"a\"}]"),
            [
                "1:1: expected an object mapping collection names to lists of records, such as \
              {\"contacts\": [{\"id\": \"…\"}]}; found a list"
            ]
        );
        assert_eq!(
            problems("{\"contacts\": {\"id\": \"a\"}}"),
            ["1:14: the collection `contacts` must be a list of records ([{\"id\": \"…\"}, …]); \
              found an object"]
        );
    }

    #[test]
    fn each_broken_record_is_named_with_its_line() {
        let text = r#"{
  "contact": [{"id": "x"}],
  "contacts": [
    {"id": "a", "full_name": "A"},
    {"full_name": "no id"},
    {"id": 7},
    {"id": "a"},
    "b",
    {"id": "c/d"},
    {"id": "e", "id": "f"}
  ],
  "contacts": []
}"#;
        assert_eq!(
            problems(text),
            [
                "2:14: unknown collection `contact`: no operation's `stub:` names it (the \
                 specs' collections: `contacts`, `lists`); did you mean `contacts`?",
                "5:5: record 2 of `contacts` has no `id` (a string)",
                "6:12: record 3 of `contacts`: `id` must be a string, as the API's ids are; \
                 found a number",
                "7:5: record 4 of `contacts` has the id \"a\" of the record on line 4; ids are \
                 unique in a collection",
                "8:5: record 5 of `contacts` must be an object; found a string",
                "9:12: record 6 of `contacts`: the id \"c/d\" cannot be a path parameter: it \
                 holds `/`",
                "10:23: record 7 of `contacts` gives the key `id` twice",
                "12:15: the collection `contacts` is given twice (first on line 3)",
            ]
        );
    }

    #[test]
    fn many_problems_are_cut_in_the_message() {
        let records: Vec<String> = (0..30).map(|_| "{}".to_string()).collect();
        let text = format!("{{\"contacts\": [{}]}}", records.join(","));
        let error = Seed::parse(&text, "big.json", &["contacts".into()], &any_id).unwrap_err();
        assert_eq!(error.problems.len(), 30);
        let shown = error.to_string();
        assert_eq!(shown.lines().count(), 21, "{shown}");
        assert!(
            shown.starts_with("error: seed file big.json:1:15: record 1 of `contacts` has no `id`")
        );
        assert!(
            shown.ends_with("… and 10 more problem(s) in big.json"),
            "{shown}"
        );
    }

    #[test]
    fn no_collection_known_says_so() {
        let error = Seed::parse("{\"contacts\": []}", "s.json", &[], &any_id).unwrap_err();
        assert!(error.to_string().contains(
            "unknown collection `contacts`: no operation's `stub:` names it (the specs' \
             collections: none: no operation has a `stub:` section)"
        ));
    }
}
