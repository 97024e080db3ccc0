//! Reading `expect.body`: a list of items, each a JSON pointer (`at`) and one matcher
//! whose argument is checked here, at its own position: a count is a whole number, a
//! comparison a number, a pattern a regular expression within its limits, a type or an
//! order one of the known names (with a did-you-mean).

use super::super::matcher::{
    self, JsonType, Matcher, NullsAt, Pattern, SortOrder, SortSpec, BODY_ITEM_KEYS,
};
use super::super::raw;
use super::super::yaml::{Entry, Node, Yaml};
use super::{closest, Reader};

const SORTED_BY: &[&str] = &["field", "order", "nulls"];

/// The most items a count may name: far beyond any body the harness reads.
const MAX_COUNT: u64 = 1_000_000_000;

/// How a matcher's argument is shown in a message: a quoted scalar as the text it is, so
/// that `"3"` is not mistaken for the number 3.
fn shown(node: &Node) -> String {
    match &node.value {
        Yaml::Scalar { text, plain: false } => format!("the text {text:?}"),
        Yaml::Scalar { text, .. } if !node.is_null() => format!("`{text}`"),
        _ => node.kind().to_string(),
    }
}

impl Reader {
    /// `expect.body`. An item that cannot be read is reported and left out; the others
    /// are kept for the cross-checks (their pointers and templates), which nothing in a
    /// broken item could make fail.
    pub(super) fn body(&mut self, entry: &Entry) -> Option<Vec<raw::BodyItem>> {
        let items = self.list(entry, "matchers (`- at: /pointer` items)")?;
        Some(items.iter().filter_map(|n| self.body_item(n)).collect())
    }

    fn body_item(&mut self, node: &Node) -> Option<raw::BodyItem> {
        let f = self.fields(
            node,
            node.pos,
            "each item of `body`",
            "this body item",
            BODY_ITEM_KEYS,
        )?;
        let at = self.required(&f, "at", Self::text);
        // A misspelt matcher (reported as unknown, with a did-you-mean) stands for the
        // matcher it was meant to be, so it causes no second message.
        let given: Vec<(&Entry, &'static str)> = f
            .entries
            .iter()
            .filter_map(|e| {
                let meant = match BODY_ITEM_KEYS.iter().find(|k| **k == e.key) {
                    Some(known) => *known,
                    None => closest(&e.key, BODY_ITEM_KEYS)?,
                };
                matcher::names().contains(&meant).then_some((e, meant))
            })
            .collect();
        let (entry, name) = match given.as_slice() {
            [] => {
                let problem = self.problem(node.pos, "this body item needs a matcher".into());
                problem.hint = Some(format!("matchers: {}", matcher::names().join(", ")));
                return None;
            }
            [one] => *one,
            [(_, first), (second, _), ..] => {
                let problem = self.problem(
                    second.key_pos,
                    format!("a body item holds one matcher, and this one has `{first}` already"),
                );
                problem.hint = Some(format!(
                    "give `{}` an item of its own: `- at: …` then `{}: …`",
                    second.key, second.key
                ));
                return None;
            }
        };
        let matcher = self.matcher(name, &entry.value);
        Some(raw::BodyItem {
            at: at?,
            key: entry.key.clone(),
            matcher: matcher?,
        })
    }

    /// The argument of the matcher `name`.
    fn matcher(&mut self, name: &str, node: &Node) -> Option<Matcher> {
        Some(match name {
            "equals" => Matcher::Equals(node.to_json()),
            "contains" => Matcher::Contains(node.to_json()),
            "length" => Matcher::Length(self.count(node, name)?),
            "min_length" => Matcher::MinLength(self.count(node, name)?),
            "max_length" => Matcher::MaxLength(self.count(node, name)?),
            "matches" => Matcher::Matches(self.pattern(node)?),
            "type" => {
                let given = self.choice(node, "`type`", &JsonType::NAMES)?;
                Matcher::Type(JsonType::from_name(given)?)
            }
            "present" => {
                self.only_true(node, name, "absent: true")?;
                Matcher::Present
            }
            "absent" => {
                self.only_true(node, name, "present: true")?;
                Matcher::Absent
            }
            "at_least" => Matcher::AtLeast(self.json_number(node, name)?),
            "at_most" => Matcher::AtMost(self.json_number(node, name)?),
            "greater_than" => Matcher::GreaterThan(self.json_number(node, name)?),
            "less_than" => Matcher::LessThan(self.json_number(node, name)?),
            "sorted_by" => Matcher::SortedBy(self.sort_spec(node)?),
            _ => return None,
        })
    }

    /// A count of items, characters or keys.
    fn count(&mut self, node: &Node, name: &str) -> Option<u64> {
        let plain = matches!(node.value, Yaml::Scalar { plain: true, .. });
        match node.to_json().as_u64() {
            Some(n) if plain && n <= MAX_COUNT => Some(n),
            _ => {
                self.problem(
                    node.pos,
                    format!(
                        "`{name}` must be a whole number from 0 to {MAX_COUNT}, not {}",
                        shown(node)
                    ),
                );
                None
            }
        }
    }

    /// A number to compare with (whole or not).
    fn json_number(&mut self, node: &Node, name: &str) -> Option<serde_json::Number> {
        match (&node.value, node.to_json()) {
            (Yaml::Scalar { plain: true, .. }, serde_json::Value::Number(n)) => Some(n),
            _ => {
                let problem = self.problem(
                    node.pos,
                    format!("`{name}` must be a number, not {}", shown(node)),
                );
                if matches!(node.value, Yaml::Scalar { plain: false, .. }) {
                    problem.hint = Some("write the number without quotes".into());
                }
                None
            }
        }
    }

    /// `present` and `absent` take `true` only; the opposite is the other matcher.
    fn only_true(&mut self, node: &Node, name: &str, opposite: &str) -> Option<()> {
        let plain = matches!(node.value, Yaml::Scalar { plain: true, .. });
        match node.to_json() {
            serde_json::Value::Bool(true) if plain => Some(()),
            serde_json::Value::Bool(false) if plain => {
                let problem = self.problem(node.pos, format!("`{name}: false` is not a matcher"));
                problem.hint = Some(format!("write `{opposite}` to say the opposite"));
                None
            }
            _ => {
                self.problem(
                    node.pos,
                    format!("`{name}` must be true, not {}", shown(node)),
                );
                None
            }
        }
    }

    fn pattern(&mut self, node: &Node) -> Option<Pattern> {
        let source = self.text_node(node, "`matches`")?;
        match Pattern::new(&source) {
            Ok(pattern) => Some(pattern),
            Err(reason) => {
                let problem = self.problem(
                    node.pos,
                    format!("`matches` is not a regular expression that can be used: {reason}"),
                );
                problem.hint = Some(match source.contains("{{") {
                    true => "patterns are not templates: `{{…}}` is not filled in; match the \
                             value with `equals` or `contains` instead"
                        .into(),
                    false => "the syntax is the Rust `regex` crate's (no look-around or \
                              back-references); escape a literal `{` `}` `.` `(` with `\\`"
                        .into(),
                });
                None
            }
        }
    }

    /// `sorted_by: { field: …, order: ascending | descending, nulls: first | last }`.
    fn sort_spec(&mut self, node: &Node) -> Option<SortSpec> {
        let at = node.pos;
        let f = self.fields(node, at, "`sorted_by`", "`sorted_by`", SORTED_BY)?;
        let field = self.optional(&f, "field", Self::text);
        let order = self.optional(&f, "order", |r, e| {
            r.choice(&e.value, "`order`", &SortOrder::NAMES)
        });
        let nulls = self.optional(&f, "nulls", |r, e| {
            r.choice(&e.value, "`nulls`", &NullsAt::NAMES)
        });
        Some(SortSpec {
            field: field.ok()?,
            order: match order.ok()? {
                Some("descending") => SortOrder::Descending,
                _ => SortOrder::Ascending,
            },
            nulls: match nulls.ok()? {
                None => None,
                Some("first") => Some(NullsAt::First),
                Some(_) => Some(NullsAt::Last),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::yaml::parse;

    /// The matcher read from one body item, or the messages of its problems.
    fn read(item: &str) -> Result<raw::BodyItem, Vec<String>> {
        let root = parse(&format!("body:\n  - {item}\n")).root.unwrap();
        let Yaml::Map(entries) = &root.value else {
            panic!()
        };
        let mut reader = Reader::default();
        let read = reader.body(&entries[0]);
        match (read, reader.problems.is_empty()) {
            (Some(mut items), true) => Ok(items.remove(0)),
            _ => Err(reader.problems.into_iter().map(|p| p.message).collect()),
        }
    }

    #[test]
    fn every_matcher_reads_its_argument() {
        let samples = [
            ("equals", "{ a: 1 }"),
            ("contains", "x"),
            ("length", "2"),
            ("min_length", "0"),
            ("max_length", "3"),
            ("matches", "'^a$'"),
            ("type", "string"),
            ("present", "true"),
            ("absent", "true"),
            ("at_least", "1"),
            ("at_most", "2.5"),
            ("greater_than", "-1"),
            ("less_than", "1e3"),
            (
                "sorted_by",
                "{ field: full_name, order: descending, nulls: last }",
            ),
        ];
        assert_eq!(samples.len(), matcher::names().len());
        for (name, argument) in samples {
            let item = read(&format!("{{ at: /x, {name}: {argument} }}")).unwrap();
            assert_eq!(item.matcher.name(), name);
            assert_eq!(item.at, "/x");
        }
    }

    #[test]
    fn wrong_arguments_are_refused_in_the_spec_words() {
        let first = |item: &str| read(item).unwrap_err().remove(0);
        assert_eq!(
            first("{ at: /x, length: \"3\" }"),
            "`length` must be a whole number from 0 to 1000000000, not the text \"3\""
        );
        assert_eq!(
            first("{ at: /x, min_length: -1 }"),
            "`min_length` must be a whole number from 0 to 1000000000, not `-1`"
        );
        assert_eq!(
            first("{ at: /x, at_least: \"3\" }"),
            "`at_least` must be a number, not the text \"3\""
        );
        assert_eq!(
            first("{ at: /x, at_most: [1] }"),
            "`at_most` must be a number, not a list"
        );
        assert_eq!(
            first("{ at: /x, absent: false }"),
            "`absent: false` is not a matcher"
        );
        assert_eq!(
            first("{ at: /x, present: yes }"),
            "`present` must be true, not `yes`"
        );
        assert_eq!(
            first("{ at: /x, type: str }"),
            "`type` must be one of string, number, integer, boolean, array, object, null, not `str`"
        );
        assert_eq!(
            first("{ at: /x, sorted_by: { order: desc } }"),
            "`order` must be one of ascending, descending, not `desc`"
        );
        assert_eq!(
            first("{ at: /x, matches: '[a-' }"),
            "`matches` is not a regular expression that can be used: unclosed character class"
        );
        assert_eq!(first("{ at: /x }"), "this body item needs a matcher");
        assert_eq!(
            first("{ at: /x, length: 1, min_length: 1 }"),
            "a body item holds one matcher, and this one has `length` already"
        );
        assert_eq!(first("{ length: 1 }"), "this body item needs `at`");
    }

    #[test]
    fn a_misspelt_matcher_is_reported_once_and_read_as_meant() {
        let problems = read("{ at: /x, contain: a }").unwrap_err();
        assert_eq!(problems, vec!["unknown key `contain`".to_string()]);
    }

    #[test]
    fn sorting_is_ascending_with_nulls_anywhere_unless_said() {
        let item = read("{ at: /x, sorted_by: {} }").unwrap();
        let Matcher::SortedBy(spec) = item.matcher else {
            panic!()
        };
        assert_eq!(
            spec,
            SortSpec {
                field: None,
                order: SortOrder::Ascending,
                nulls: None
            }
        );
    }
}
