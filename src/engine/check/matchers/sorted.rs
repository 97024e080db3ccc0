//! `sorted_by`: the items of an array in order of one field; the first pair out of order
//! is named with its indexes and both values.
//!
//! Numbers compare by value, booleans `false` first, and strings by Unicode code point,
//! except two strings that are both RFC 3339 date-times, which compare as instants (so
//! `…10:00:00Z` and `…10:00:00.5+00:00` are in time order, not in character order). Items
//! whose field is null or missing are left out of the comparison unless `nulls:` says
//! where they belong; when no item of two or more has it (a list that names the field
//! otherwise, `created_date` for `created_at`), nothing shows the order, which fails.
//! Values of different kinds cannot be compared: that fails too.

use std::cmp::Ordering;

use serde_json::Value;

use super::value::{cmp_numbers, kind, not_a};
use super::Failed;
use crate::spec::{NullsAt, SortOrder, SortSpec};

pub(super) fn sorted_by(spec: &SortSpec, actual: Option<&Value>) -> Result<(), Failed> {
    let fail = |actual: String| Err(Failed::new(wanted(spec), actual));
    let items = match actual {
        Some(Value::Array(items)) => items,
        Some(other) => return fail(not_a(other, "an array")),
        None => return fail("nothing there".to_string()),
    };
    let pointer = spec.item_pointer();
    let keys: Vec<Option<&Value>> = items
        .iter()
        .map(|item| item.pointer(&pointer).filter(|v| !v.is_null()))
        .collect();
    if let Some(problem) = spec.nulls.and_then(|at| misplaced_null(spec, &keys, at)) {
        return fail(problem);
    }
    let present: Vec<(usize, &Value)> = keys
        .iter()
        .enumerate()
        .filter_map(|(i, key)| Some((i, (*key)?)))
        .collect();
    if present.is_empty() && items.len() > 1 {
        return fail(format!(
            "none of the {} items has {} (each is null or missing), so their order cannot be \
             told",
            items.len(),
            spec.field.as_deref().unwrap_or("a value")
        ));
    }
    for pair in present.windows(2) {
        let [(i, a), (j, b)] = pair else { continue };
        let in_order = match (compare(a, b), spec.order) {
            (None, _) => {
                return fail(format!(
                    "items {i} and {j} cannot be compared: {a} ({}) and {b} ({})",
                    kind(a),
                    kind(b)
                ))
            }
            (Some(order), SortOrder::Ascending) => order != Ordering::Greater,
            (Some(order), SortOrder::Descending) => order != Ordering::Less,
        };
        if !in_order {
            return fail(format!("items {i} and {j} are out of order: {a} then {b}"));
        }
    }
    Ok(())
}

/// `items sorted by full_name, descending, nulls last`.
fn wanted(spec: &SortSpec) -> String {
    let field = match &spec.field {
        Some(field) => format!("items sorted by {field}"),
        None => "items sorted".to_string(),
    };
    let nulls = match spec.nulls {
        None => "",
        Some(NullsAt::First) => ", nulls first",
        Some(NullsAt::Last) => ", nulls last",
    };
    format!("{field}, {}{nulls}", spec.order.name())
}

/// The first item on the wrong side of the nulls (`keys[i]` is `None` for a null or
/// missing field).
fn misplaced_null(spec: &SortSpec, keys: &[Option<&Value>], at: NullsAt) -> Option<String> {
    let field = spec.field.as_deref().unwrap_or("a value");
    let first_null = keys.iter().position(Option::is_none)?;
    let first_value = keys.iter().position(Option::is_some)?;
    match at {
        NullsAt::First => {
            let late = keys[first_value..].iter().position(Option::is_none)? + first_value;
            let value = keys[first_value]?;
            Some(format!(
                "item {late} has no {field} but comes after item {first_value} ({value})"
            ))
        }
        NullsAt::Last => {
            let late = keys[first_null..].iter().position(Option::is_some)? + first_null;
            let value = keys[late]?;
            Some(format!(
                "item {late} ({value}) comes after item {first_null}, which has no {field}"
            ))
        }
    }
}

/// The order of two values of one kind; `None` for values that cannot be compared.
fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => Some(cmp_numbers(x, y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::String(x), Value::String(y)) => {
            let instant = |s: &str| chrono::DateTime::parse_from_rfc3339(s).ok();
            match (instant(x), instant(y)) {
                (Some(x), Some(y)) => Some(x.cmp(&y)),
                _ => Some(x.cmp(y)),
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn by(field: &str, order: SortOrder) -> SortSpec {
        SortSpec {
            field: Some(field.to_string()),
            order,
            nulls: None,
        }
    }

    fn items(key: &str, values: Value) -> Value {
        let values = values.as_array().unwrap().clone();
        Value::Array(values.into_iter().map(|v| json!({ key: v })).collect())
    }

    fn failure(spec: &SortSpec, actual: Value) -> String {
        sorted_by(spec, Some(&actual)).unwrap_err().actual
    }

    #[test]
    fn ascending_and_descending_with_ties() {
        let asc = by("n", SortOrder::Ascending);
        let desc = by("n", SortOrder::Descending);
        assert!(sorted_by(&asc, Some(&items("n", json!([1, 2, 2, 3])))).is_ok());
        assert!(sorted_by(&desc, Some(&items("n", json!([3, 2.0, 2, 1])))).is_ok());
        assert_eq!(
            failure(&asc, items("n", json!([1, 3, 2]))),
            "items 1 and 2 are out of order: 3 then 2"
        );
        let failed = sorted_by(&desc, Some(&items("n", json!(["b", "c"])))).unwrap_err();
        assert_eq!(failed.expected, "items sorted by n, descending");
        assert_eq!(
            failed.actual,
            "items 0 and 1 are out of order: \"b\" then \"c\""
        );
    }

    #[test]
    fn empty_and_single_item_arrays_are_sorted() {
        let asc = by("n", SortOrder::Ascending);
        assert!(sorted_by(&asc, Some(&json!([]))).is_ok());
        assert!(sorted_by(&asc, Some(&items("n", json!([5])))).is_ok());
    }

    #[test]
    fn numbers_compare_by_value_float_or_whole() {
        let asc = by("n", SortOrder::Ascending);
        assert!(sorted_by(&asc, Some(&items("n", json!([1, 1.5, 2, 10])))).is_ok());
        assert!(sorted_by(&asc, Some(&items("n", json!([-3, -2.5, 0])))).is_ok());
    }

    #[test]
    fn date_times_compare_as_instants_and_other_strings_by_code_point() {
        let asc = by("at", SortOrder::Ascending);
        let times = json!([
            "2026-02-24T10:00:00Z",
            "2026-02-24T10:00:00.500Z",
            "2026-02-24T11:00:00+00:30"
        ]);
        assert!(sorted_by(&asc, Some(&items("at", times))).is_ok());
        // By character, "…00.5Z" would sort before "…00Z".
        let by_text = json!(["2026-02-24T10:00:00.5Z", "2026-02-24T10:00:00Z"]);
        assert!(sorted_by(&asc, Some(&items("at", by_text))).is_err());
        assert!(sorted_by(
            &asc,
            Some(&items("at", json!(["Bob", "alice", "Ärger", "Ω"])))
        )
        .is_ok());
        assert_eq!(
            failure(&asc, items("at", json!(["Zoë", "Zoe"]))),
            "items 0 and 1 are out of order: \"Zoë\" then \"Zoe\""
        );
    }

    #[test]
    fn nulls_and_missing_fields_are_left_out_unless_placed() {
        let asc = by("n", SortOrder::Ascending);
        let with_nulls = json!([{"n": 1}, {"n": null}, {}, {"n": 2}]);
        assert!(sorted_by(&asc, Some(&with_nulls)).is_ok());
        let last = SortSpec {
            nulls: Some(NullsAt::Last),
            ..asc.clone()
        };
        assert_eq!(
            failure(&last, with_nulls.clone()),
            "item 3 (2) comes after item 1, which has no n"
        );
        assert!(sorted_by(&last, Some(&json!([{"n": 1}, {"n": 2}, {}]))).is_ok());
        let first = SortSpec {
            nulls: Some(NullsAt::First),
            ..asc
        };
        assert_eq!(
            failure(&first, with_nulls),
            "item 1 has no n but comes after item 0 (1)"
        );
        assert!(sorted_by(&first, Some(&json!([{}, {"n": null}, {"n": 1}]))).is_ok());
        // No item has the field: nothing shows the order (see below).
        assert!(sorted_by(&first, Some(&json!([{}, {}]))).is_err());
    }

    #[test]
    fn items_none_of_which_has_the_field_are_not_shown_sorted() {
        // List Contacts says `created_at` where Get Contact says `created_date`: a list
        // whose items name it the other way must not pass `sorted_by: created_at` unseen.
        let desc = by("created_at", SortOrder::Descending);
        let items = json!([
            {"created_date": "2026-01-01T00:00:00Z"},
            {"created_date": "2026-01-02T00:00:00Z"},
            {"created_at": null}
        ]);
        assert_eq!(
            failure(&desc, items),
            "none of the 3 items has created_at (each is null or missing), so their order \
             cannot be told"
        );
        let last = SortSpec {
            nulls: Some(NullsAt::Last),
            ..desc.clone()
        };
        assert!(sorted_by(&last, Some(&json!([{}, {}]))).is_err());
        // One item, or none, is in order whatever it holds.
        assert!(sorted_by(&desc, Some(&json!([{}]))).is_ok());
        assert!(sorted_by(&desc, Some(&json!([]))).is_ok());
        // Some without the field are left out, as documented.
        assert!(sorted_by(&desc, Some(&json!([{}, {"created_at": 1}, {}]))).is_ok());
    }

    #[test]
    fn mixed_kinds_cannot_be_compared() {
        let asc = by("n", SortOrder::Ascending);
        assert_eq!(
            failure(&asc, items("n", json!([1, "2"]))),
            "items 0 and 1 cannot be compared: 1 (a number) and \"2\" (a string)"
        );
        assert!(sorted_by(&asc, Some(&items("n", json!([false, true])))).is_ok());
    }

    #[test]
    fn a_pointer_field_or_the_items_themselves() {
        let nested = SortSpec {
            field: Some("/company/name".into()),
            order: SortOrder::Ascending,
            nulls: None,
        };
        let values = json!([{"company": {"name": "A"}}, {"company": {"name": "B"}}]);
        assert!(sorted_by(&nested, Some(&values)).is_ok());
        let themselves = SortSpec {
            field: None,
            order: SortOrder::Descending,
            nulls: None,
        };
        assert!(sorted_by(&themselves, Some(&json!([3, 2, 1]))).is_ok());
        let failed = sorted_by(&themselves, Some(&json!([1, 2]))).unwrap_err();
        assert_eq!(failed.expected, "items sorted, descending");
    }

    #[test]
    fn not_an_array_or_nothing_there_fails() {
        let asc = by("n", SortOrder::Ascending);
        assert_eq!(
            failure(&asc, json!({"n": 1})),
            "{\"n\":1} (an object, not an array)"
        );
        assert_eq!(sorted_by(&asc, None).unwrap_err().actual, "nothing there");
    }
}
