//! `contains`: an array with an item that matches a value partially, or a string with a
//! substring; when no item matches, the closest one and where it differs.

use serde_json::Value;

use super::value::{json_eq, not_a, with_kind};
use super::Failed;

pub(super) fn contains(expected: &Value, actual: Option<&Value>) -> Result<(), Failed> {
    match (actual, expected) {
        (Some(Value::String(text)), Value::String(part)) => match text.contains(part.as_str()) {
            true => Ok(()),
            false => Err(Failed::new(
                format!("a string containing {expected}"),
                Value::String(text.clone()).to_string(),
            )),
        },
        (Some(Value::Array(items)), _) => {
            match items.iter().any(|i| differs(expected, i).is_none()) {
                true => Ok(()),
                false => Err(Failed::new(
                    wanted(expected),
                    none_matching(expected, items),
                )),
            }
        }
        (None, _) => Err(Failed::new(wanted(expected), "nothing there")),
        (Some(other), Value::String(_)) => Err(Failed::new(
            wanted(expected),
            not_a(other, "an array or a string"),
        )),
        (Some(other), _) => Err(Failed::new(wanted(expected), not_a(other, "an array"))),
    }
}

/// The expected text: `an item matching {"email":"a@b.c"}`.
fn wanted(expected: &Value) -> String {
    match expected {
        Value::Object(_) => format!("an item matching {expected}"),
        Value::String(_) => format!("an item equal to {expected}, or a string containing it"),
        _ => format!("an item equal to {expected}"),
    }
}

/// `3 items, none matching (closest: item 0 differs at /email: "x@y.z")`.
fn none_matching(expected: &Value, items: &[Value]) -> String {
    if items.is_empty() {
        return "an empty array".to_string();
    }
    let count = super::value::counted(items.len(), "item");
    if !expected.is_object() {
        return format!("{count}, none equal to it");
    }
    // The item that matches most of the expected keys; the first of equals.
    let closest = items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| Some((i, differs(expected, item)?)))
        .max_by(|(i, a), (j, b)| a.matched.cmp(&b.matched).then(j.cmp(i)));
    match closest {
        Some((i, difference)) => format!(
            "{count}, none matching (closest: item {i} {})",
            difference.shown()
        ),
        None => format!("{count}, none matching"),
    }
}

/// Where an item first differs from the expected value, and how much of it matched.
struct Difference<'a> {
    /// JSON pointer inside the item.
    pointer: String,
    actual: Option<&'a Value>,
    /// Expected leaves (values that are not objects) the item has.
    matched: usize,
}

impl Difference<'_> {
    fn shown(&self) -> String {
        match (self.pointer.as_str(), self.actual) {
            ("", Some(actual)) => format!("is {}", with_kind(actual)),
            (pointer, None) => format!("has nothing at {pointer}"),
            (pointer, Some(actual)) => format!("differs at {pointer}: {actual}"),
        }
    }
}

/// How `item` differs from `expected`, matched partially: an object's keys not named in
/// `expected` are ignored at any depth; arrays and other values must be equal. `None`
/// when it matches.
fn differs<'a>(expected: &Value, item: &'a Value) -> Option<Difference<'a>> {
    let mut difference: Option<Difference<'a>> = None;
    let matched = compare(expected, item, String::new(), &mut difference);
    difference.map(|d| Difference { matched, ..d })
}

/// Counts the leaves of `expected` that `actual` has, noting the first difference.
fn compare<'a>(
    expected: &Value,
    actual: &'a Value,
    pointer: String,
    first: &mut Option<Difference<'a>>,
) -> usize {
    let note = |first: &mut Option<Difference<'a>>, pointer: String, actual| {
        if first.is_none() {
            *first = Some(Difference {
                pointer,
                actual,
                matched: 0,
            });
        }
    };
    let Value::Object(wanted) = expected else {
        if json_eq(expected, actual) {
            return 1;
        }
        note(first, pointer, Some(actual));
        return 0;
    };
    let Value::Object(have) = actual else {
        note(first, pointer, Some(actual));
        return 0;
    };
    let mut matched = 0;
    for (key, value) in wanted {
        let inner = format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"));
        match have.get(key) {
            Some(found) => matched += compare(value, found, inner, first),
            None => note(first, inner, None),
        }
    }
    matched
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn failure(expected: Value, actual: Value) -> (String, String) {
        let failed = contains(&expected, Some(&actual)).unwrap_err();
        (failed.expected, failed.actual)
    }

    #[test]
    fn an_item_matching_part_of_an_object_is_enough() {
        let items = json!([{"id": 1, "email": "a@b.c", "tags": ["x"]}, {"id": 2}]);
        assert!(contains(&json!({"email": "a@b.c"}), Some(&items)).is_ok());
        assert!(contains(&json!({"id": 2}), Some(&items)).is_ok());
        assert!(contains(&json!({"tags": ["x"]}), Some(&items)).is_ok());
        assert!(contains(&json!({}), Some(&items)).is_ok());
        let nested = json!([{"company": {"name": "Acme", "id": 7}}]);
        assert!(contains(&json!({"company": {"name": "Acme"}}), Some(&nested)).is_ok());
        assert!(contains(&json!(2.0), Some(&json!([1, 2]))).is_ok());
    }

    #[test]
    fn no_match_names_the_closest_item_and_where_it_differs() {
        let items = json!([{"id": 1, "email": "x@y.z"}, {"id": 2}, {"email": "q"}]);
        assert_eq!(
            failure(json!({"email": "a@b.c"}), items.clone()),
            (
                "an item matching {\"email\":\"a@b.c\"}".to_string(),
                "3 items, none matching (closest: item 0 differs at /email: \"x@y.z\")".to_string()
            )
        );
        // Item 1 has two of the three expected values: it is the closest.
        let items = json!([{"a": 0, "b": 0, "c": 0}, {"a": 1, "b": 2, "c": 0}]);
        let (_, actual) = failure(json!({"a": 1, "b": 2, "c": 3}), items);
        assert_eq!(
            actual,
            "2 items, none matching (closest: item 1 differs at /c: 0)"
        );
        let (_, actual) = failure(json!({"a": {"b~/c": 1}}), json!([{"a": {}}]));
        assert_eq!(
            actual,
            "1 item, none matching (closest: item 0 has nothing at /a/b~0~1c)"
        );
        let (_, actual) = failure(json!({"a": 1}), json!([null, 3]));
        assert_eq!(actual, "2 items, none matching (closest: item 0 is null)");
    }

    #[test]
    fn arrays_inside_the_expected_value_must_be_equal() {
        let items = json!([{"tags": ["x", "y"]}]);
        assert!(contains(&json!({"tags": ["x"]}), Some(&items)).is_err());
    }

    #[test]
    fn empty_arrays_missing_values_and_wrong_types_fail() {
        assert_eq!(
            failure(json!({"id": 1}), json!([])).1,
            "an empty array".to_string()
        );
        let missing = contains(&json!({"id": 1}), None).unwrap_err();
        assert_eq!(missing.actual, "nothing there");
        assert_eq!(
            failure(json!({"id": 1}), json!({"id": 1})).1,
            "{\"id\":1} (an object, not an array)"
        );
        assert_eq!(
            failure(json!(3), json!("123")).1,
            "\"123\" (a string, not an array)"
        );
        assert_eq!(
            failure(json!("a"), json!(5)).1,
            "5 (a number, not an array or a string)"
        );
        assert_eq!(
            failure(json!(1), json!([2, 3])).1,
            "2 items, none equal to it"
        );
    }

    #[test]
    fn strings_contain_substrings_unicode_included() {
        assert!(contains(&json!("Müller"), Some(&json!("Hans Müller"))).is_ok());
        assert!(contains(&json!(""), Some(&json!("x"))).is_ok());
        assert_eq!(
            failure(json!("müller"), json!("Hans Müller")),
            (
                "a string containing \"müller\"".to_string(),
                "\"Hans Müller\"".to_string()
            )
        );
        // A string among the items of an array is an item, not a substring.
        assert!(contains(&json!("vip"), Some(&json!(["vip", "new"]))).is_ok());
        assert!(contains(&json!("vi"), Some(&json!(["vip"]))).is_err());
    }
}
