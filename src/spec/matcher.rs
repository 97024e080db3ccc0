//! Body matchers: what an `expect.body` item says about the value at one JSON pointer of a
//! response body (`- at: /data/contacts` with `min_length: 1`, say).
//!
//! A matcher is one variant of [`Matcher`], read from its key in [`BODY_ITEM_KEYS`] by the
//! reader (`read/body.rs`, which refuses a wrong argument at its position) and judged by
//! one pure function of the engine (`engine/check/matchers.rs`). What a variant holds is
//! checked when the specs load: a pattern compiles (and is bounded), an order is known, a
//! count is a count; what it is compared with comes only at run time.

use serde_json::{Number, Value};

/// The keys of one `expect.body` item: `at`, then every matcher, in the order the README
/// documents them.
pub const BODY_ITEM_KEYS: &[&str] = &[
    "at",
    "equals",
    "contains",
    "length",
    "min_length",
    "max_length",
    "matches",
    "type",
    "present",
    "absent",
    "at_least",
    "at_most",
    "greater_than",
    "less_than",
    "sorted_by",
];

/// The names of the matchers.
pub fn names() -> &'static [&'static str] {
    &BODY_ITEM_KEYS[1..]
}

/// The longest `matches` pattern, in characters: a pattern is a short promise about a
/// value, and its size bounds the time and memory of compiling it.
pub const MAX_PATTERN_CHARS: usize = 1000;

/// The most memory a compiled pattern may take (the `regex` crate's size limit).
const MAX_PATTERN_BYTES: usize = 1 << 20;

/// The most a pattern may repeat by count, in all: the sum of the counted repetitions'
/// upper bounds (`{1,8000}`), each multiplied by the counts around it. Matching is linear
/// in the text but also in this weight once the matcher's lazy DFA gives up: measured on a
/// 1 MiB value, `[ab]{1,1500}[^ab]` takes 0.1 s and `[ab]{1,2000}[^ab]` over a minute.
/// Unbounded repetitions (`+`, `*`, `{3,}`) weigh their lower bound only.
pub const MAX_REPETITION_WEIGHT: u64 = 1000;

/// What the value at a pointer must be.
#[derive(Clone, Debug, PartialEq)]
pub enum Matcher {
    /// The same JSON value (numbers compared by value: `25` equals `25.0`); templates filled.
    Equals(Value),
    /// An array with an item that matches this value partially (an object's keys not named
    /// are ignored, at any depth), or a string containing this string; templates filled.
    Contains(Value),
    /// Exactly this many items (array), characters (string) or keys (object).
    Length(u64),
    MinLength(u64),
    MaxLength(u64),
    /// A string matching this regular expression somewhere (anchor it with `^…$`).
    Matches(Pattern),
    Type(JsonType),
    /// Something is there, `null` included.
    Present,
    /// Nothing is there.
    Absent,
    AtLeast(Number),
    AtMost(Number),
    GreaterThan(Number),
    LessThan(Number),
    /// An array whose items are in this order.
    SortedBy(SortSpec),
}

impl Matcher {
    /// The key it is written with.
    pub fn name(&self) -> &'static str {
        match self {
            Matcher::Equals(_) => "equals",
            Matcher::Contains(_) => "contains",
            Matcher::Length(_) => "length",
            Matcher::MinLength(_) => "min_length",
            Matcher::MaxLength(_) => "max_length",
            Matcher::Matches(_) => "matches",
            Matcher::Type(_) => "type",
            Matcher::Present => "present",
            Matcher::Absent => "absent",
            Matcher::AtLeast(_) => "at_least",
            Matcher::AtMost(_) => "at_most",
            Matcher::GreaterThan(_) => "greater_than",
            Matcher::LessThan(_) => "less_than",
            Matcher::SortedBy(_) => "sorted_by",
        }
    }

    /// The value whose strings may use `{{variables}}` (filled when the check runs).
    pub fn template(&self) -> Option<&Value> {
        match self {
            Matcher::Equals(value) | Matcher::Contains(value) => Some(value),
            _ => None,
        }
    }

    /// The JSON pointers inside the argument, each with its key (checked like `at`).
    pub fn pointers(&self) -> Option<(&'static str, &str)> {
        match self {
            Matcher::SortedBy(SortSpec {
                field: Some(field), ..
            }) if field.starts_with('/') => Some(("field", field)),
            _ => None,
        }
    }
}

/// A compiled `matches` pattern, compared by its text.
#[derive(Clone, Debug)]
pub struct Pattern {
    regex: regex::Regex,
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Pattern {
    /// Compiles `source`, or says in one line why it is not a pattern.
    pub fn new(source: &str) -> Result<Pattern, String> {
        let chars = source.chars().count();
        if chars > MAX_PATTERN_CHARS {
            return Err(format!(
                "the pattern is {chars} characters; the limit is {MAX_PATTERN_CHARS}"
            ));
        }
        let weight = repetition_weight(source);
        if weight > MAX_REPETITION_WEIGHT {
            return Err(format!(
                "the pattern repeats up to {weight} times in all (its counted repetitions \
                 `{{n,m}}` added up, nested ones multiplied); the limit is \
                 {MAX_REPETITION_WEIGHT}: matching it could take minutes on a long value"
            ));
        }
        regex::RegexBuilder::new(source)
            .size_limit(MAX_PATTERN_BYTES)
            .dfa_size_limit(MAX_PATTERN_BYTES)
            .build()
            .map(|regex| Pattern { regex })
            .map_err(|error| match error {
                regex::Error::CompiledTooBig(limit) => format!(
                    "the pattern compiles to more than {} KiB; make it simpler",
                    limit / 1024
                ),
                // The parser's text shows the pattern and a caret on lines of their own;
                // its last line says what is wrong.
                other => {
                    let text = other.to_string();
                    let last = text.lines().rev().find(|l| !l.trim().is_empty());
                    let reason = last.unwrap_or("not a regular expression").trim();
                    reason.trim_start_matches("error: ").to_string()
                }
            })
    }

    pub fn as_str(&self) -> &str {
        self.regex.as_str()
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }
}

/// The sum of `source`'s counted repetitions' bounds, each times the counts around it
/// (0 for text that does not parse: compiling it says why).
fn repetition_weight(source: &str) -> u64 {
    fn weigh(hir: &regex_syntax::hir::Hir, around: u64) -> u64 {
        use regex_syntax::hir::HirKind;
        match hir.kind() {
            HirKind::Repetition(repetition) => {
                let count = u64::from(repetition.max.unwrap_or(repetition.min));
                let inner = around.saturating_mul(count.max(1));
                let own = if count > 1 { inner } else { 0 };
                own.saturating_add(weigh(&repetition.sub, inner))
            }
            HirKind::Capture(capture) => weigh(&capture.sub, around),
            HirKind::Concat(parts) | HirKind::Alternation(parts) => parts
                .iter()
                .fold(0, |sum, part| sum.saturating_add(weigh(part, around))),
            _ => 0,
        }
    }
    regex_syntax::Parser::new()
        .parse(source)
        .map_or(0, |hir| weigh(&hir, 1))
}

/// A JSON type, as `type:` names it (JSON Schema's names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonType {
    String,
    Number,
    /// A number without a fractional part (`3` and `3.0`).
    Integer,
    Boolean,
    Array,
    Object,
    Null,
}

impl JsonType {
    pub const NAMES: [&'static str; 7] = [
        "string", "number", "integer", "boolean", "array", "object", "null",
    ];

    pub fn from_name(name: &str) -> Option<JsonType> {
        Some(match name {
            "string" => JsonType::String,
            "number" => JsonType::Number,
            "integer" => JsonType::Integer,
            "boolean" => JsonType::Boolean,
            "array" => JsonType::Array,
            "object" => JsonType::Object,
            "null" => JsonType::Null,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            JsonType::String => "string",
            JsonType::Number => "number",
            JsonType::Integer => "integer",
            JsonType::Boolean => "boolean",
            JsonType::Array => "array",
            JsonType::Object => "object",
            JsonType::Null => "null",
        }
    }
}

/// `sorted_by`: the field each item is ordered by, the direction, and where nulls go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SortSpec {
    /// A key of each item (`created_at`) or a JSON pointer into it (`/company/name`);
    /// `None`: the items themselves.
    pub field: Option<String>,
    pub order: SortOrder,
    /// Where items whose field is null or missing must be; `None`: anywhere (they are left
    /// out of the comparison).
    pub nulls: Option<NullsAt>,
}

impl SortSpec {
    /// The JSON pointer to the field inside one item (`""` for the item itself).
    pub fn item_pointer(&self) -> String {
        match &self.field {
            None => String::new(),
            Some(field) if field.starts_with('/') => field.clone(),
            Some(key) => format!("/{}", key.replace('~', "~0").replace('/', "~1")),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortOrder {
    Ascending,
    Descending,
}

impl SortOrder {
    pub const NAMES: [&'static str; 2] = ["ascending", "descending"];

    pub fn name(self) -> &'static str {
        match self {
            SortOrder::Ascending => "ascending",
            SortOrder::Descending => "descending",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NullsAt {
    First,
    Last,
}

impl NullsAt {
    pub const NAMES: [&'static str; 2] = ["first", "last"];
}

/// Why `pointer` is not a JSON pointer (RFC 6901), with the part of it to point at; `None`
/// when it is one. The empty pointer is the whole document.
pub fn pointer_problem(pointer: &str) -> Option<(String, &str)> {
    if !pointer.is_empty() && !pointer.starts_with('/') {
        let message = format!("`{pointer}` is not a JSON pointer (they start with `/`)");
        return Some((message, pointer));
    }
    let bytes = pointer.as_bytes();
    let bad = (0..bytes.len())
        .find(|&i| bytes[i] == b'~' && !matches!(bytes.get(i + 1), Some(b'0' | b'1')))?;
    let end = pointer[bad + 1..]
        .chars()
        .next()
        .map_or(bad + 1, |c| bad + 1 + c.len_utf8());
    let message = format!(
        "`{}` is not an escape of a JSON pointer: `~` is written `~0` and `/` inside a key `~1`",
        &pointer[bad..end]
    );
    Some((message, &pointer[bad..end]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_start_with_a_slash_and_escape_only_tilde_and_slash() {
        assert_eq!(pointer_problem(""), None);
        assert_eq!(pointer_problem("/data/0/a~1b~0c"), None);
        assert_eq!(pointer_problem("/"), None);
        let (message, part) = pointer_problem("data/id").unwrap();
        assert_eq!(part, "data/id");
        assert!(message.contains("they start with `/`"), "{message}");
        assert_eq!(pointer_problem("/a~2b").unwrap().1, "~2");
        assert_eq!(pointer_problem("/a~").unwrap().1, "~");
        assert_eq!(pointer_problem("/ä~é").unwrap().1, "~é");
    }

    #[test]
    fn patterns_compile_or_say_why_in_one_line() {
        assert!(Pattern::new("^[0-9a-f-]{36}$")
            .unwrap()
            .is_match(&"a".repeat(36)));
        assert_eq!(Pattern::new("[a-").unwrap_err(), "unclosed character class");
        let long = "a".repeat(MAX_PATTERN_CHARS + 1);
        assert!(Pattern::new(&long)
            .unwrap_err()
            .contains("the limit is 1000"));
        // Small to write, huge once compiled: refused by its compiled size, quickly.
        let started = std::time::Instant::now();
        let huge = Pattern::new(r"\w{1,80}x").unwrap_err();
        assert!(huge.contains("compiles to more than"), "{huge}");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn patterns_that_would_match_slowly_are_refused_by_their_repetitions() {
        // `[ab]{1,8000}[^ab]` took 96 s on a 1 MiB value: refused before compiling.
        let slow = Pattern::new("[ab]{1,8000}[^ab]").unwrap_err();
        assert!(slow.contains("repeats up to 8000 times"), "{slow}");
        assert!(slow.contains("the limit is 1000"), "{slow}");
        // Nested counts multiply, alternatives add up.
        assert_eq!(repetition_weight("(?:(?:a{10}){10}){10}"), 1110);
        assert_eq!(repetition_weight("a{1,600}|b{1,600}"), 1200);
        assert!(Pattern::new("(?:[ab]{1,40}c){1,40}").is_err());
        // Unbounded repetitions weigh their lower bound; everyday patterns pass.
        assert_eq!(repetition_weight("a+b*c{3,}"), 3);
        for everyday in [
            r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$",
            "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
            "[ab]{1,1000}[^ab]",
        ] {
            assert!(Pattern::new(everyday).is_ok(), "{everyday}");
        }
        // The weight bounds the time: the heaviest allowed shape on a 1 MiB value.
        let started = std::time::Instant::now();
        let text = "ab".repeat(1 << 19);
        assert!(!Pattern::new("[ab]{1,1000}[^ab]").unwrap().is_match(&text));
        assert!(started.elapsed() < std::time::Duration::from_secs(30));
        assert_eq!(Pattern::new("a").unwrap(), Pattern::new("a").unwrap());
    }

    #[test]
    fn a_sort_field_is_a_key_or_a_pointer() {
        let spec = |field: Option<&str>| SortSpec {
            field: field.map(str::to_string),
            order: SortOrder::Ascending,
            nulls: None,
        };
        assert_eq!(spec(None).item_pointer(), "");
        assert_eq!(spec(Some("created_at")).item_pointer(), "/created_at");
        assert_eq!(spec(Some("a~b")).item_pointer(), "/a~0b");
        assert_eq!(spec(Some("/company/name")).item_pointer(), "/company/name");
    }

    #[test]
    fn names_and_types_agree() {
        for name in JsonType::NAMES {
            assert_eq!(JsonType::from_name(name).unwrap().name(), name);
        }
        assert_eq!(names()[0], "equals");
        assert!(!names().contains(&"at"));
    }
}
