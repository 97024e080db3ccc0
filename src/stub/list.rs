//! Lists: `page` and `per_page` (defaults, the max, out-of-range values clamped or
//! refused) or an export's `limit`, the documented filters, and `sort` (a field, `-` in
//! front for descending).
//!
//! Sorting compares numbers by value, strings by Unicode code point (two RFC 3339
//! date-times as instants), `false` before `true`; values of different kinds by kind.
//! Ties go by creation, in the sort's direction (so `-created_at` is newest first even for
//! records made in the same millisecond), and a descending sort is the ascending one
//! reversed, but for records whose field is missing or null: those come last in both
//! directions, in creation order.

use std::cmp::Ordering;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

use super::answer::Refusal;
use super::call::Call;
use crate::spec::behaviour::{Filter, ListSpec, OutOfRange, Pages, Rule, Sort, Validate};

/// The highest page: the largest integer every JSON reader holds exactly (2^53 - 1).
pub const MAX_PAGE: u64 = 9_007_199_254_740_991;

/// A query parameter that is a whole number: digits with an optional sign, saturating
/// far beyond any page (so `page=99999999999999999999999` is out of range, not invalid).
fn whole(text: &str) -> Option<i128> {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let magnitude: i128 = digits
        .trim_start_matches('0')
        .get(..30)
        .map_or_else(|| digits.parse().unwrap_or(0), |_| i128::MAX / 2);
    Some(match text.starts_with('-') {
        true => -magnitude,
        false => magnitude,
    })
}

/// The page and page size a call asks for.
pub fn paging(spec: &ListSpec, call: &Call, validate: &Validate) -> Result<(u64, u64), Refusal> {
    let read = |name: &str, default: u64, max: u64| -> Result<u64, Refusal> {
        let Some(text) = call.query(name) else {
            return Ok(default);
        };
        let Some(n) = whole(text) else {
            return Err(Refusal::field(
                validate,
                Rule::Type,
                name,
                "must be a whole number",
            ));
        };
        if (1..=max as i128).contains(&n) {
            return Ok(n as u64);
        }
        match spec.out_of_range {
            OutOfRange::Clamp => Ok(n.clamp(1, max as i128) as u64),
            OutOfRange::Refuse => Err(Refusal::field(
                validate,
                Rule::Type,
                name,
                format!("must be from 1 to {max}"),
            )),
        }
    };
    let size = spec.pages.size_param();
    let per_page = read(size, spec.per_page.default, spec.per_page.max)?;
    let page = match spec.pages {
        Pages::Numbered => read("page", 1, MAX_PAGE)?,
        Pages::Limit => 1,
    };
    Ok((page, per_page))
}

/// The items of a page.
pub fn page<T: Clone>(items: &[T], page: u64, per_page: u64) -> Vec<T> {
    let skip = page.saturating_sub(1).saturating_mul(per_page);
    let skip = usize::try_from(skip).unwrap_or(usize::MAX);
    items
        .iter()
        .skip(skip)
        .take(usize::try_from(per_page).unwrap_or(usize::MAX))
        .cloned()
        .collect()
}

/// An instant given in a query: an RFC 3339 date-time, or a date (midnight UTC).
fn instant(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc())
}

/// A field's value as text, for matching: strings as they are, numbers and booleans
/// written out.
fn as_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Whether a record is linked to `value` in a link collection: asked of the records.
pub type Linked<'a> = dyn Fn(&str, &str, &Value) -> bool + 'a;

/// The records the call's filters keep; a filter value that cannot be read is refused.
pub fn filter<'r>(
    records: Vec<&'r Value>,
    spec: &ListSpec,
    call: &Call,
    validate: &Validate,
    linked: &Linked<'_>,
) -> Result<Vec<&'r Value>, Refusal> {
    let mut kept = records;
    for (param, filter) in &spec.filters {
        let Some(value) = call.query(param) else {
            continue;
        };
        match filter {
            Filter::Contains(fields) => {
                let wanted = value.trim().to_lowercase();
                kept.retain(|r| {
                    wanted.is_empty()
                        || fields.iter().any(|f| {
                            as_text(r.get(f)).is_some_and(|t| t.to_lowercase().contains(&wanted))
                        })
                });
            }
            Filter::Equals(field) => {
                kept.retain(|r| as_text(r.get(field)).as_deref() == Some(value))
            }
            Filter::After(field) | Filter::Before(field) => {
                let Some(bound) = instant(value) else {
                    return Err(Refusal::field(
                        validate,
                        Rule::Type,
                        param,
                        "must be an ISO 8601 date-time",
                    ));
                };
                let after = matches!(filter, Filter::After(_));
                kept.retain(|r| {
                    let at = r.get(field).and_then(Value::as_str).and_then(instant);
                    at.is_some_and(|at| match after {
                        true => at > bound,
                        false => at < bound,
                    })
                });
            }
            Filter::Linked(link) => kept.retain(|r| linked(link, value, r)),
            Filter::Has(field) => {
                let wanted = call.query_all(param);
                kept.retain(|r| {
                    let held = r.get(field).and_then(Value::as_array);
                    wanted.iter().all(|w| {
                        held.is_some_and(|items| {
                            items
                                .iter()
                                .any(|i| as_text(Some(i)).as_deref() == Some(*w))
                        })
                    })
                });
            }
        }
    }
    Ok(kept)
}

/// The stored field and direction a call's `sort` names (the default without one).
pub fn sort_key<'s>(
    sort: &'s Sort,
    call: &Call,
    validate: &Validate,
) -> Result<(&'s str, bool), Refusal> {
    let asked = call.query(&sort.param).unwrap_or(&sort.default);
    let (name, descending) = match asked.strip_prefix('-') {
        Some(name) => (name, true),
        None => (asked, false),
    };
    match sort.fields.get(name) {
        Some(field) => Ok((field.as_str(), descending)),
        None => {
            let names: Vec<&str> = sort.fields.keys().map(String::as_str).collect();
            Err(Refusal::field(
                validate,
                Rule::Type,
                &sort.param,
                format!("must be one of {}, with an optional -", names.join(", ")),
            ))
        }
    }
}

/// Sorts records (given in creation order) by a field, as the module says.
pub fn order_by(records: &mut Vec<&Value>, field: &str, descending: bool) {
    let mut indexed: Vec<(usize, &Value)> = records.iter().copied().enumerate().collect();
    indexed.sort_by(|(i, a), (j, b)| {
        let (a, b) = (present(a.get(field)), present(b.get(field)));
        let by_value = match (a, b) {
            (None, None) => return i.cmp(j),
            (None, Some(_)) => return Ordering::Greater,
            (Some(_), None) => return Ordering::Less,
            (Some(a), Some(b)) => compare(a, b).then(i.cmp(j)),
        };
        match descending {
            true => by_value.reverse(),
            false => by_value,
        }
    });
    *records = indexed.into_iter().map(|(_, r)| r).collect();
}

fn present(value: Option<&Value>) -> Option<&Value> {
    value.filter(|v| !v.is_null())
}

fn rank(value: &Value) -> u8 {
    match value {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Number(_) => 2,
        Value::String(_) => 3,
        Value::Array(_) => 4,
        Value::Object(_) => 5,
    }
}

/// The order of two values, as the sort module's documentation says.
pub fn compare(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
            x.total_cmp(&y)
        }
        (Value::String(x), Value::String(y)) => {
            match (
                DateTime::parse_from_rfc3339(x),
                DateTime::parse_from_rfc3339(y),
            ) {
                (Ok(x), Ok(y)) => x.cmp(&y),
                _ => x.cmp(y),
            }
        }
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => rank(a).cmp(&rank(b)),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::spec::behaviour::PerPage;
    use serde_json::json;

    fn spec(out_of_range: OutOfRange) -> ListSpec {
        ListSpec {
            items: Some("/data/contacts".into()),
            meta: Some("/meta".into()),
            per_page: PerPage {
                default: 50,
                max: 100,
            },
            pages: Pages::Numbered,
            out_of_range,
            filters: BTreeMap::from([
                (
                    "search".into(),
                    Filter::Contains(vec!["full_name".into(), "email".into()]),
                ),
                ("created_after".into(), Filter::After("created_date".into())),
                ("status".into(), Filter::Equals("status".into())),
                ("list_id".into(), Filter::Linked("members".into())),
                ("tag".into(), Filter::Has("tags".into())),
            ]),
            sort: Some(Sort {
                param: "sort".into(),
                fields: BTreeMap::from([
                    ("created_at".into(), "created_date".into()),
                    ("full_name".into(), "full_name".into()),
                ]),
                default: "created_at".into(),
            }),
        }
    }

    fn call(query: &str) -> Call {
        Call::new("/v1/contacts", "/v1/contacts", Some(query), b"")
    }

    fn refused_field(result: Result<(u64, u64), Refusal>) -> String {
        match result {
            Err(Refusal::Invalid { fields, .. }) => fields.into_keys().next().unwrap(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn paging_has_defaults_and_bounds() {
        let (clamp, refuse, rules) = (
            spec(OutOfRange::Clamp),
            spec(OutOfRange::Refuse),
            Validate::default(),
        );
        assert_eq!(paging(&clamp, &call(""), &rules), Ok((1, 50)));
        assert_eq!(
            paging(&clamp, &call("page=3&per_page=100"), &rules),
            Ok((3, 100))
        );
        assert_eq!(
            paging(&clamp, &call("page=0&per_page=101"), &rules),
            Ok((1, 100))
        );
        assert_eq!(
            paging(&clamp, &call("page=-7&per_page=-1"), &rules),
            Ok((1, 1))
        );
        assert_eq!(
            paging(
                &clamp,
                &call("page=99999999999999999999999999999999999999999&per_page=007"),
                &rules
            ),
            Ok((MAX_PAGE, 7))
        );
        assert_eq!(
            refused_field(paging(&refuse, &call("per_page=101"), &rules)),
            "per_page"
        );
        assert_eq!(
            refused_field(paging(&refuse, &call("page=0"), &rules)),
            "page"
        );
        let export = ListSpec {
            pages: Pages::Limit,
            ..spec(OutOfRange::Refuse)
        };
        assert_eq!(paging(&export, &call("page=3"), &rules), Ok((1, 50)));
        assert_eq!(
            paging(&export, &call("limit=100&per_page=7"), &rules),
            Ok((1, 100))
        );
        assert_eq!(
            refused_field(paging(&export, &call("limit=101"), &rules)),
            "limit"
        );
        for invalid in [
            "page=abc",
            "page=1.5",
            "page=",
            "per_page=%F0%9F%98%80",
            "page=+",
        ] {
            assert!(paging(&clamp, &call(invalid), &rules).is_err(), "{invalid}");
        }
    }

    #[test]
    fn a_page_is_a_slice_that_may_be_empty() {
        let items: Vec<u32> = (1..=5).collect();
        assert_eq!(page(&items, 1, 2), [1, 2]);
        assert_eq!(page(&items, 3, 2), [5]);
        assert!(page(&items, 4, 2).is_empty());
        assert!(page(&items, MAX_PAGE, 100).is_empty());
    }

    #[test]
    fn filters_narrow_the_list() {
        let records = [
            json!({"id": "a", "full_name": "Jane Doe", "email": "jane@acme.com", "status": "open", "created_date": "2026-01-01T00:00:00Z", "tags": ["lead"]}),
            json!({"id": "b", "full_name": "John Smith", "email": "JS@beta.io", "status": 3, "created_date": "2026-03-01T00:00:00Z", "tags": ["vip", "lead"]}),
            json!({"id": "c", "full_name": null, "email": null, "created_date": null}),
        ];
        let all: Vec<&Value> = records.iter().collect();
        let linked = |link: &str, value: &str, record: &Value| {
            link == "members" && value == "l1" && record["id"] == "b"
        };
        let ids = |query: &str| -> Vec<String> {
            filter(
                all.clone(),
                &spec(OutOfRange::Clamp),
                &call(query),
                &Validate::default(),
                &linked,
            )
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect()
        };
        assert_eq!(ids("search=jane"), ["a"]);
        assert_eq!(ids("search=JS%40BETA"), ["b"]);
        assert_eq!(ids("search=o"), ["a", "b"]);
        assert_eq!(ids("search=%20"), ["a", "b", "c"]);
        assert_eq!(ids("created_after=2026-02-01"), ["b"]);
        assert_eq!(
            ids("created_after=2026-03-01T00:00:00Z"),
            Vec::<String>::new()
        );
        assert_eq!(ids("status=3"), ["b"]);
        assert_eq!(ids("list_id=l1&search=smith"), ["b"]);
        assert_eq!(ids("unknown=1"), ["a", "b", "c"]);
        assert_eq!(ids("tag=lead"), ["a", "b"]);
        assert_eq!(ids("tag=lead&tag=vip"), ["b"]);
        assert_eq!(ids("tag=vip&tag=nobody"), Vec::<String>::new());
        let bad = filter(
            all,
            &spec(OutOfRange::Clamp),
            &call("created_after=yesterday"),
            &Validate::default(),
            &linked,
        );
        assert!(matches!(bad, Err(Refusal::Invalid { .. })));
    }

    #[test]
    fn sort_both_ways_with_ties_in_creation_order_and_nulls_last() {
        let records = [
            json!({"id": 1, "name": "b", "n": 2}),
            json!({"id": 2, "name": null, "n": 10}),
            json!({"id": 3, "name": "a", "n": 2}),
            json!({"id": 4, "name": "B", "n": 1.5}),
            json!({"id": 5, "n": 2.0}),
            json!({"id": 6, "name": "a", "n": 2}),
        ];
        let ids = |field: &str, descending: bool| -> Vec<u64> {
            let mut sorted: Vec<&Value> = records.iter().collect();
            order_by(&mut sorted, field, descending);
            sorted.iter().map(|r| r["id"].as_u64().unwrap()).collect()
        };
        // Code point order: "B" before "a"; ties (3, 6) by creation in the sort's
        // direction; nulls last, in creation order, both ways.
        assert_eq!(ids("name", false), [4, 3, 6, 1, 2, 5]);
        assert_eq!(ids("name", true), [1, 6, 3, 4, 2, 5]);
        // 2 and 2.0 are equal numbers: a tie.
        assert_eq!(ids("n", false), [4, 1, 3, 5, 6, 2]);
        assert_eq!(ids("n", true), [2, 6, 5, 3, 1, 4]);
    }

    #[test]
    fn date_times_compare_as_instants() {
        let (a, b) = (
            json!("2026-01-01T10:00:00Z"),
            json!("2026-01-01T10:00:00.5+00:00"),
        );
        assert_eq!(compare(&a, &b), Ordering::Less);
        assert_eq!(
            compare(&json!("2026-01-01T12:00:00+02:00"), &a),
            Ordering::Equal
        );
        assert_eq!(compare(&json!(true), &json!("x")), Ordering::Less);
    }

    #[test]
    fn sort_names_a_documented_field() {
        let sort = spec(OutOfRange::Clamp).sort.unwrap();
        let rules = Validate::default();
        assert_eq!(
            sort_key(&sort, &call(""), &rules),
            Ok(("created_date", false))
        );
        assert_eq!(
            sort_key(&sort, &call("sort=-full_name"), &rules),
            Ok(("full_name", true))
        );
        assert!(sort_key(&sort, &call("sort=email"), &rules).is_err());
        assert!(sort_key(&sort, &call("sort=--full_name"), &rules).is_err());
    }
}
