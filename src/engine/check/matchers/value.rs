//! What every matcher needs of JSON values: equality with numbers compared by value, an
//! order of numbers that is exact for whole ones, and a value described in a message.

use std::cmp::Ordering;

use serde_json::{Number, Value};

/// Whether two values are the same JSON value: numbers by value (`25` is `25.0`), objects
/// whatever the order of their keys.
pub(super) fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => cmp_numbers(x, y) == Ordering::Equal,
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(key, a)| y.get(key).is_some_and(|b| json_eq(a, b)))
        }
        _ => a == b,
    }
}

/// A number exactly when it is whole (within ±2^127), else as a float.
enum Exact {
    Whole(i128),
    Float(f64),
}

fn exact(n: &Number) -> Exact {
    match (n.as_i64(), n.as_u64()) {
        (Some(i), _) => Exact::Whole(i128::from(i)),
        (None, Some(u)) => Exact::Whole(i128::from(u)),
        // serde_json holds no NaN or infinity.
        (None, None) => Exact::Float(n.as_f64().unwrap_or_default()),
    }
}

/// The order of two JSON numbers, exact: between whole numbers (`2^63 + 1` is more than
/// `2^63`), between floats, and between a whole number and a float (`2^53 + 1` is more
/// than the float `2^53`, `u64::MAX` less than the float `2^64`), which converting the
/// whole number to a float would round.
pub(super) fn cmp_numbers(a: &Number, b: &Number) -> Ordering {
    match (exact(a), exact(b)) {
        (Exact::Whole(x), Exact::Whole(y)) => x.cmp(&y),
        (Exact::Whole(x), Exact::Float(y)) => cmp_whole_float(x, y),
        (Exact::Float(x), Exact::Whole(y)) => cmp_whole_float(y, x).reverse(),
        // Never NaN (serde_json holds none); -0.0 and 0.0 are equal.
        (Exact::Float(x), Exact::Float(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
    }
}

/// The order of a whole number (within ±2^64) and a finite float, exact: the float's whole
/// part compared as an integer, then its fraction.
fn cmp_whole_float(x: i128, y: f64) -> Ordering {
    // 2^127, exactly a float; every whole number here is far inside it.
    const LIMIT: f64 = 170_141_183_460_469_231_731_687_303_715_884_105_728.0;
    if y >= LIMIT {
        return Ordering::Less;
    }
    if y <= -LIMIT {
        return Ordering::Greater;
    }
    let whole = y.trunc();
    // `whole` is within ±2^127: exactly an i128.
    x.cmp(&(whole as i128))
        .then_with(|| 0.0.partial_cmp(&(y - whole)).unwrap_or(Ordering::Equal))
}

/// What kind of JSON value this is, for a message.
pub(super) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A value with its kind, when the kind is the point: `"3" (a string)`.
pub(super) fn with_kind(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        other => format!("{other} ({})", kind(other)),
    }
}

/// A value of the wrong kind: `{"id":1} (an object, not an array)`.
pub(super) fn not_a(value: &Value, wanted: &str) -> String {
    match value {
        Value::Null => format!("null (not {wanted})"),
        other => format!("{other} ({}, not {wanted})", kind(other)),
    }
}

/// `1 item`, `3 items`.
pub(super) fn counted(n: usize, unit: &str) -> String {
    match n {
        1 => format!("1 {unit}"),
        n => format!("{n} {unit}s"),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn numbers_are_equal_by_value_whether_whole_or_float() {
        assert!(json_eq(&json!(25), &json!(25.0)));
        assert!(json_eq(&json!({"a": [1, 2.0]}), &json!({"a": [1.0, 2]})));
        assert!(!json_eq(&json!(25), &json!("25")));
        assert!(!json_eq(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
        assert!(!json_eq(&json!([1]), &json!([1, 1])));
        assert!(json_eq(&json!(null), &json!(null)));
    }

    #[test]
    fn whole_numbers_are_ordered_exactly_and_floats_by_value() {
        let n = |v: Value| v.as_number().unwrap().clone();
        assert_eq!(
            cmp_numbers(
                &n(json!(9_223_372_036_854_775_809u64)),
                &n(json!(9_223_372_036_854_775_808u64))
            ),
            Ordering::Greater
        );
        assert_eq!(
            cmp_numbers(&n(json!(-1)), &n(json!(u64::MAX))),
            Ordering::Less
        );
        assert_eq!(cmp_numbers(&n(json!(2)), &n(json!(2.5))), Ordering::Less);
        assert_eq!(cmp_numbers(&n(json!(3.0)), &n(json!(3))), Ordering::Equal);
        assert_eq!(
            cmp_numbers(&n(json!(-0.5)), &n(json!(-1))),
            Ordering::Greater
        );
        assert_eq!(cmp_numbers(&n(json!(-0.0)), &n(json!(0))), Ordering::Equal);
    }

    #[test]
    fn a_whole_number_and_a_float_compare_exactly_beyond_2_to_the_53() {
        let n = |v: Value| v.as_number().unwrap().clone();
        // 2^64 does not fit a u64: serde_json holds it as a float, exactly.
        let two_64 = n(serde_json::from_str("18446744073709551616").unwrap());
        assert_eq!(cmp_numbers(&n(json!(u64::MAX)), &two_64), Ordering::Less);
        assert_eq!(cmp_numbers(&two_64, &n(json!(u64::MAX))), Ordering::Greater);
        // 2^53 + 1 is no float; as one it would be 2^53.
        let odd = n(json!(9_007_199_254_740_993u64));
        let float = n(json!(9_007_199_254_740_992.0));
        assert_eq!(cmp_numbers(&odd, &float), Ordering::Greater);
        assert!(!json_eq(
            &json!(9_007_199_254_740_993u64),
            &json!(9_007_199_254_740_992.0)
        ));
        assert_eq!(
            cmp_numbers(&n(json!(i64::MIN)), &n(json!(-9.3e18))),
            Ordering::Greater
        );
        assert_eq!(
            cmp_numbers(&n(json!(-2)), &n(json!(-2.5))),
            Ordering::Greater
        );
        assert_eq!(cmp_numbers(&n(json!(2)), &n(json!(2.5))), Ordering::Less);
        assert_eq!(cmp_numbers(&n(json!(3)), &n(json!(1e300))), Ordering::Less);
        assert_eq!(
            cmp_numbers(&n(json!(-3)), &n(json!(-1e300))),
            Ordering::Greater
        );
    }

    #[test]
    fn values_are_described_with_their_kind() {
        assert_eq!(with_kind(&json!("3")), "\"3\" (a string)");
        assert_eq!(with_kind(&json!(null)), "null");
        assert_eq!(with_kind(&json!({"a": 1})), "{\"a\":1} (an object)");
        assert_eq!(not_a(&json!(null), "a string"), "null (not a string)");
        assert_eq!(not_a(&json!(1), "a string"), "1 (a number, not a string)");
        assert_eq!(counted(1, "item"), "1 item");
        assert_eq!(counted(0, "item"), "0 items");
    }
}
