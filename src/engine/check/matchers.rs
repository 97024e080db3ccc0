//! `expect.body` and `expect.equals`: each promise about the value at a JSON pointer of the
//! body, judged by one pure function per matcher ([`judge`] dispatches on the
//! [`Matcher`]). A failure says what was expected and what is there, in words that read
//! after "expected … , got …"; the mismatch carries the pointer and the spec line.
//!
//! A new matcher is a variant of [`Matcher`] (with its key, in `spec/matcher.rs`), the
//! reading of its argument (`spec/read/body.rs`) and its arm here; nothing else changes.

mod contains;
mod sorted;
mod value;

use std::cmp::Ordering;

use serde_json::{Number, Value};

use self::value::{cmp_numbers, counted, json_eq, not_a, with_kind};
use super::Response;
use crate::outcome::{Check, Mismatch};
use crate::spec::template::Vars;
use crate::spec::{BodyAssertion, JsonType, Matcher, Pattern};

pub(super) fn wanted(response: &Response<'_>) -> bool {
    !response.step.expect.body.is_empty()
}

pub(super) fn check(response: &Response<'_>) -> Vec<Mismatch> {
    let Some(body) = response.json() else {
        return Vec::new();
    };
    let step = &response.step.label;
    let judged = response.step.expect.body.iter().filter_map(|assertion| {
        let actual = body.pointer(&assertion.pointer);
        let failed = judge(&assertion.matcher, actual, response.vars).err()?;
        let check = check_of(assertion);
        let mismatch = Mismatch::new(
            step,
            check,
            failed.expected,
            failed.actual,
            assertion.span.clone(),
        );
        Some(match assertion.pointer.is_empty() {
            true => mismatch,
            false => mismatch.at(&assertion.pointer),
        })
    });
    judged.collect()
}

/// The check a failed assertion is reported as: `equals` keeps its own (as `expect.equals`
/// always had), every other matcher is named by its key.
fn check_of(assertion: &BodyAssertion) -> Check {
    let pointer = assertion.pointer.clone();
    match &assertion.matcher {
        Matcher::Equals(_) => Check::Equals(pointer),
        other => Check::Matcher {
            name: other.name(),
            pointer,
        },
    }
}

/// Why a value does not satisfy a matcher: what was expected, what is there.
#[derive(Debug, PartialEq)]
pub(super) struct Failed {
    pub expected: String,
    pub actual: String,
}

impl Failed {
    fn new(expected: impl Into<String>, actual: impl Into<String>) -> Failed {
        Failed {
            expected: expected.into(),
            actual: actual.into(),
        }
    }
}

/// Whether `actual` (the value at the pointer, `None` when nothing is there) satisfies
/// `matcher`, templates filled from `vars`.
pub(super) fn judge(matcher: &Matcher, actual: Option<&Value>, vars: &Vars) -> Result<(), Failed> {
    match matcher {
        Matcher::Equals(expected) => equals(&filled(expected, vars), actual),
        Matcher::Contains(expected) => contains::contains(&filled(expected, vars), actual),
        Matcher::Length(n) => length(Bound::Exactly, *n, actual),
        Matcher::MinLength(n) => length(Bound::AtLeast, *n, actual),
        Matcher::MaxLength(n) => length(Bound::AtMost, *n, actual),
        Matcher::Matches(pattern) => matches(pattern, actual),
        Matcher::Type(wanted) => type_is(*wanted, actual),
        Matcher::Present => present(actual),
        Matcher::Absent => absent(actual),
        Matcher::AtLeast(n) => compare(Comparison::AtLeast, n, actual),
        Matcher::AtMost(n) => compare(Comparison::AtMost, n, actual),
        Matcher::GreaterThan(n) => compare(Comparison::GreaterThan, n, actual),
        Matcher::LessThan(n) => compare(Comparison::LessThan, n, actual),
        Matcher::SortedBy(spec) => sorted::sorted_by(spec, actual),
    }
}

/// The expected value with its templates filled; a template that cannot be filled shows
/// why in its place (and so never matches).
fn filled(value: &Value, vars: &Vars) -> Value {
    vars.render_value(value)
        .unwrap_or_else(|problem| Value::String(format!("<{problem}>")))
}

const NOTHING: &str = "nothing there";

fn equals(expected: &Value, actual: Option<&Value>) -> Result<(), Failed> {
    match actual {
        Some(actual) if json_eq(expected, actual) => Ok(()),
        Some(actual) => Err(Failed::new(expected.to_string(), actual.to_string())),
        None => Err(Failed::new(expected.to_string(), NOTHING)),
    }
}

#[derive(Clone, Copy)]
enum Bound {
    Exactly,
    AtLeast,
    AtMost,
}

/// The length of an array (items), a string (characters) or an object (keys).
fn length(bound: Bound, n: u64, actual: Option<&Value>) -> Result<(), Failed> {
    let (len, unit) = match actual {
        Some(Value::Array(items)) => (items.len(), "item"),
        Some(Value::String(text)) => (text.chars().count(), "character"),
        Some(Value::Object(keys)) => (keys.len(), "key"),
        Some(other) => {
            let expected = wanted_length(bound, n, "item");
            let actual = not_a(other, "an array, a string or an object");
            return Err(Failed::new(expected, actual));
        }
        None => return Err(Failed::new(wanted_length(bound, n, "item"), NOTHING)),
    };
    let holds = match bound {
        Bound::Exactly => len as u64 == n,
        Bound::AtLeast => len as u64 >= n,
        Bound::AtMost => len as u64 <= n,
    };
    match holds {
        true => Ok(()),
        false => Err(Failed::new(
            wanted_length(bound, n, unit),
            counted(len, unit),
        )),
    }
}

fn wanted_length(bound: Bound, n: u64, unit: &str) -> String {
    let n = counted(n as usize, unit);
    match bound {
        Bound::Exactly => n,
        Bound::AtLeast => format!("at least {n}"),
        Bound::AtMost => format!("at most {n}"),
    }
}

fn matches(pattern: &Pattern, actual: Option<&Value>) -> Result<(), Failed> {
    let expected = || format!("a string matching /{}/", pattern.as_str());
    match actual {
        Some(Value::String(text)) if pattern.is_match(text) => Ok(()),
        Some(Value::String(text)) => Err(Failed::new(
            expected(),
            Value::from(text.as_str()).to_string(),
        )),
        Some(other) => Err(Failed::new(expected(), not_a(other, "a string"))),
        None => Err(Failed::new(expected(), NOTHING)),
    }
}

fn type_is(wanted: JsonType, actual: Option<&Value>) -> Result<(), Failed> {
    let Some(actual) = actual else {
        return Err(Failed::new(a_value_of(wanted), NOTHING));
    };
    let holds = match (wanted, actual) {
        (JsonType::String, Value::String(_))
        | (JsonType::Number, Value::Number(_))
        | (JsonType::Boolean, Value::Bool(_))
        | (JsonType::Array, Value::Array(_))
        | (JsonType::Object, Value::Object(_))
        | (JsonType::Null, Value::Null) => true,
        (JsonType::Integer, Value::Number(n)) => {
            n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        _ => false,
    };
    match holds {
        true => Ok(()),
        false => Err(Failed::new(a_value_of(wanted), with_kind(actual))),
    }
}

fn a_value_of(wanted: JsonType) -> String {
    match wanted {
        JsonType::Null => "null".to_string(),
        JsonType::Integer => "an integer".to_string(),
        JsonType::Array | JsonType::Object => format!("an {}", wanted.name()),
        other => format!("a {}", other.name()),
    }
}

fn present(actual: Option<&Value>) -> Result<(), Failed> {
    match actual {
        Some(_) => Ok(()),
        None => Err(Failed::new("a value (null included)", NOTHING)),
    }
}

fn absent(actual: Option<&Value>) -> Result<(), Failed> {
    match actual {
        None => Ok(()),
        Some(value) => Err(Failed::new("nothing at this pointer", with_kind(value))),
    }
}

#[derive(Clone, Copy)]
enum Comparison {
    AtLeast,
    AtMost,
    GreaterThan,
    LessThan,
}

fn compare(comparison: Comparison, bound: &Number, actual: Option<&Value>) -> Result<(), Failed> {
    let (words, holds): (&str, fn(Ordering) -> bool) = match comparison {
        Comparison::AtLeast => ("at least", Ordering::is_ge),
        Comparison::AtMost => ("at most", Ordering::is_le),
        Comparison::GreaterThan => ("greater than", Ordering::is_gt),
        Comparison::LessThan => ("less than", Ordering::is_lt),
    };
    let expected = || format!("a number {words} {bound}");
    match actual {
        Some(Value::Number(n)) if holds(cmp_numbers(n, bound)) => Ok(()),
        Some(Value::Number(n)) => Err(Failed::new(expected(), n.to_string())),
        Some(other) => Err(Failed::new(expected(), not_a(other, "a number"))),
        None => Err(Failed::new(expected(), NOTHING)),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn vars() -> Vars {
        let mut vars = Vars::new("run-1", 0);
        vars.set("email", json!("a@b.c"));
        vars.set("n", json!(3));
        vars
    }

    /// `Ok(())`, or the failure's (expected, actual).
    fn run(matcher: Matcher, actual: Option<Value>) -> Result<(), (String, String)> {
        judge(&matcher, actual.as_ref(), &vars()).map_err(|f| (f.expected, f.actual))
    }

    fn fails(matcher: Matcher, actual: Option<Value>) -> (String, String) {
        run(matcher, actual).unwrap_err()
    }

    fn number(v: Value) -> Number {
        v.as_number().unwrap().clone()
    }

    #[test]
    fn equals_fills_templates_and_compares_numbers_by_value() {
        assert!(run(Matcher::Equals(json!("{{email}}")), Some(json!("a@b.c"))).is_ok());
        assert!(run(Matcher::Equals(json!("{{n}}")), Some(json!(3.0))).is_ok());
        assert!(run(
            Matcher::Equals(json!({"a": [1]})),
            Some(json!({"a": [1.0]}))
        )
        .is_ok());
        assert_eq!(
            fails(Matcher::Equals(json!(25)), Some(json!(50))),
            ("25".into(), "50".into())
        );
        assert_eq!(
            fails(Matcher::Equals(json!(null)), None),
            ("null".into(), "nothing there".into())
        );
        assert_eq!(
            fails(Matcher::Equals(json!("{{nope}}")), Some(json!("x"))).0,
            "\"<variable `nope` is not defined>\""
        );
        assert!(run(Matcher::Equals(json!(null)), Some(json!(null))).is_ok());
    }

    #[test]
    fn contains_fills_templates() {
        let items = json!([{"email": "a@b.c", "id": 1}]);
        assert!(run(
            Matcher::Contains(json!({"email": "{{email}}"})),
            Some(items)
        )
        .is_ok());
        assert!(run(
            Matcher::Contains(json!("{{run_id}}")),
            Some(json!("x run-1 y"))
        )
        .is_ok());
    }

    #[test]
    fn lengths_count_items_characters_and_keys() {
        assert!(run(Matcher::Length(2), Some(json!([1, null]))).is_ok());
        assert!(run(Matcher::Length(5), Some(json!("Müller"))).is_err());
        assert!(run(Matcher::Length(6), Some(json!("Müller"))).is_ok());
        assert!(run(Matcher::Length(1), Some(json!({"a": 1}))).is_ok());
        assert!(run(Matcher::MinLength(0), Some(json!([]))).is_ok());
        assert!(run(Matcher::MaxLength(0), Some(json!([]))).is_ok());
        assert_eq!(
            fails(Matcher::Length(2), Some(json!([1, 2, 3]))),
            ("2 items".into(), "3 items".into())
        );
        assert_eq!(
            fails(Matcher::MinLength(1), Some(json!([]))),
            ("at least 1 item".into(), "0 items".into())
        );
        assert_eq!(
            fails(Matcher::MaxLength(3), Some(json!("abcd"))),
            ("at most 3 characters".into(), "4 characters".into())
        );
        assert_eq!(
            fails(Matcher::Length(1), Some(json!(7))),
            (
                "1 item".into(),
                "7 (a number, not an array, a string or an object)".into()
            )
        );
        assert_eq!(fails(Matcher::MinLength(1), None).1, "nothing there");
        assert_eq!(
            fails(Matcher::Length(0), Some(json!(null))).1,
            "null (not an array, a string or an object)"
        );
    }

    #[test]
    fn matches_finds_the_pattern_in_strings_only() {
        let uuid = || Matcher::Matches(Pattern::new("^[0-9a-f-]{36}$").unwrap());
        let id = json!("123e4567-e89b-12d3-a456-426614174000");
        assert!(run(uuid(), Some(id)).is_ok());
        assert_eq!(
            fails(uuid(), Some(json!("123"))),
            (
                "a string matching /^[0-9a-f-]{36}$/".into(),
                "\"123\"".into()
            )
        );
        assert_eq!(
            fails(uuid(), Some(json!(123))).1,
            "123 (a number, not a string)"
        );
        assert_eq!(fails(uuid(), None).1, "nothing there");
        let unanchored = Matcher::Matches(Pattern::new("Z$").unwrap());
        assert!(run(unanchored, Some(json!("2026-02-24T10:00:00Z"))).is_ok());
        let unicode = Matcher::Matches(Pattern::new(r"^\p{Lu}\w+ \w+$").unwrap());
        assert!(run(unicode, Some(json!("Élodie Müller"))).is_ok());
    }

    #[test]
    fn types_are_json_schema_types() {
        let is = |t, v: Value| run(Matcher::Type(t), Some(v)).is_ok();
        assert!(is(JsonType::String, json!("")));
        assert!(is(JsonType::Integer, json!(3)));
        assert!(is(JsonType::Integer, json!(3.0)));
        assert!(!is(JsonType::Integer, json!(3.5)));
        assert!(is(JsonType::Number, json!(3)));
        assert!(is(JsonType::Null, json!(null)));
        assert!(!is(JsonType::Object, json!([])));
        assert!(is(JsonType::Boolean, json!(false)));
        assert!(is(JsonType::Array, json!([])));
        assert_eq!(
            fails(Matcher::Type(JsonType::Integer), Some(json!("3"))),
            ("an integer".into(), "\"3\" (a string)".into())
        );
        assert_eq!(
            fails(Matcher::Type(JsonType::String), Some(json!(null))),
            ("a string".into(), "null".into())
        );
        assert_eq!(
            fails(Matcher::Type(JsonType::Null), None),
            ("null".into(), "nothing there".into())
        );
    }

    #[test]
    fn present_and_absent_tell_null_from_nothing() {
        assert!(run(Matcher::Present, Some(json!(null))).is_ok());
        assert!(run(Matcher::Absent, None).is_ok());
        assert_eq!(
            fails(Matcher::Present, None),
            ("a value (null included)".into(), "nothing there".into())
        );
        assert_eq!(
            fails(Matcher::Absent, Some(json!(null))),
            ("nothing at this pointer".into(), "null".into())
        );
        assert_eq!(
            fails(Matcher::Absent, Some(json!("2026-01-01"))).1,
            "\"2026-01-01\" (a string)"
        );
    }

    #[test]
    fn comparisons_hold_at_their_bounds_for_floats_and_whole_numbers() {
        let three = || number(json!(3));
        assert!(run(Matcher::AtLeast(three()), Some(json!(3))).is_ok());
        assert!(run(Matcher::AtLeast(three()), Some(json!(3.0))).is_ok());
        assert!(run(Matcher::AtMost(three()), Some(json!(2.999))).is_ok());
        assert!(run(Matcher::GreaterThan(three()), Some(json!(3))).is_err());
        assert!(run(Matcher::LessThan(three()), Some(json!(-1))).is_ok());
        assert!(run(Matcher::LessThan(number(json!(0.5))), Some(json!(0))).is_ok());
        assert_eq!(
            fails(Matcher::AtLeast(three()), Some(json!(1))),
            ("a number at least 3".into(), "1".into())
        );
        assert_eq!(
            fails(Matcher::GreaterThan(number(json!(2.5))), Some(json!(2.5))),
            ("a number greater than 2.5".into(), "2.5".into())
        );
        assert_eq!(
            fails(Matcher::AtMost(three()), Some(json!("2"))).1,
            "\"2\" (a string, not a number)"
        );
        assert_eq!(fails(Matcher::LessThan(three()), None).1, "nothing there");
        let big = json!(18_446_744_073_709_551_615u64);
        assert!(run(Matcher::GreaterThan(number(json!(i64::MAX))), Some(big)).is_ok());
    }

    #[test]
    fn every_matcher_but_absent_fails_on_nothing_there() {
        use crate::spec::{SortOrder, SortSpec};
        let every = [
            Matcher::Equals(json!(1)),
            Matcher::Contains(json!(1)),
            Matcher::Length(1),
            Matcher::MinLength(0),
            Matcher::MaxLength(1),
            Matcher::Matches(Pattern::new("").unwrap()),
            Matcher::Type(JsonType::Null),
            Matcher::Present,
            Matcher::AtLeast(number(json!(0))),
            Matcher::AtMost(number(json!(0))),
            Matcher::GreaterThan(number(json!(0))),
            Matcher::LessThan(number(json!(0))),
            Matcher::SortedBy(SortSpec {
                field: None,
                order: SortOrder::Ascending,
                nulls: None,
            }),
        ];
        assert_eq!(every.len() + 1, crate::spec::matcher::names().len());
        for matcher in every {
            let (_, actual) = fails(matcher.clone(), None);
            assert_eq!(actual, "nothing there", "{}", matcher.name());
        }
    }

    #[test]
    fn a_failed_equals_is_still_an_equals_check_and_the_others_are_named() {
        let assertion = |matcher| BodyAssertion {
            pointer: "/data".into(),
            matcher,
            span: Default::default(),
        };
        assert_eq!(
            check_of(&assertion(Matcher::Equals(json!(1)))),
            Check::Equals("/data".into())
        );
        let check = check_of(&assertion(Matcher::MinLength(1)));
        assert_eq!(check.to_string(), "min_length /data");
        let whole = Check::Matcher {
            name: "type",
            pointer: String::new(),
        };
        assert_eq!(whole.to_string(), "type (the whole body)");
    }
}
