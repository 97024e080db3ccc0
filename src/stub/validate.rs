//! Input checks, as pure functions of the fields a request sends: each rule gives the
//! fields it finds at fault with what is wrong (`details.fields` of the 400), and
//! [`check`] answers with the code of the first rule broken.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{Map, Value};

use super::answer::Refusal;
use crate::spec::behaviour::{Backdating, FieldType, Rule, Validate};

/// Field → what is wrong with it.
pub type Problems = BTreeMap<String, String>;

/// Fields whose value is not of the collection's type for them.
pub fn types(fields: &BTreeMap<String, FieldType>, input: &Map<String, Value>) -> Problems {
    input
        .iter()
        .filter_map(|(name, value)| {
            let kind = fields.get(name)?;
            (!kind.admits(value)).then(|| (name.clone(), format!("must be {}", kind.describe())))
        })
        .collect()
}

/// Whether a value counts as given: not null, not an empty text, array or object.
pub fn given(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(Value::Array(items)) => !items.is_empty(),
        Some(Value::Object(map)) => !map.is_empty(),
        Some(_) => true,
    }
}

/// Required fields the input leaves out.
pub fn required(names: &[String], input: &Map<String, Value>) -> Problems {
    names
        .iter()
        .filter(|name| !given(input.get(*name)))
        .map(|name| (name.clone(), "is required".to_string()))
        .collect()
}

/// Texts longer than their limit, in characters.
pub fn lengths(limits: &BTreeMap<String, u64>, input: &Map<String, Value>) -> Problems {
    limits
        .iter()
        .filter_map(|(name, max)| {
            let length = input.get(name)?.as_str()?.chars().count() as u64;
            (length > *max).then(|| {
                (
                    name.clone(),
                    format!("must be at most {max} characters, not {length}"),
                )
            })
        })
        .collect()
}

/// Arrays with more items than their limit.
pub fn items(limits: &BTreeMap<String, u64>, input: &Map<String, Value>) -> Problems {
    limits
        .iter()
        .filter_map(|(name, max)| {
            let count = input.get(name)?.as_array()?.len() as u64;
            (count > *max).then(|| {
                (
                    name.clone(),
                    format!("must hold at most {max} items, not {count}"),
                )
            })
        })
        .collect()
}

/// When none of `fields` holds a value, each of them, with the rule.
pub fn requires_any(fields: &[String], record: &Map<String, Value>) -> Problems {
    if fields.is_empty() || fields.iter().any(|f| given(record.get(f))) {
        return Problems::new();
    }
    let rule = format!("at least one of {} is required", fields.join(", "));
    fields.iter().map(|f| (f.clone(), rule.clone())).collect()
}

/// A back-dated creation time within its bounds, as the API writes timestamps (UTC, `Z`);
/// otherwise what is wrong.
pub fn backdated(value: &Value, bounds: Backdating, now: DateTime<Utc>) -> Result<String, String> {
    let wanted = || {
        format!(
            "must be an ISO 8601 date-time at most {} days back and {} hours ahead",
            bounds.past_days, bounds.future_hours
        )
    };
    let at = value
        .as_str()
        .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
        .ok_or_else(wanted)?
        .with_timezone(&Utc);
    let earliest = now - Duration::days(bounds.past_days as i64);
    let latest = now + Duration::hours(bounds.future_hours as i64);
    match (earliest..=latest).contains(&at) {
        true => Ok(at.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
        false => Err(wanted()),
    }
}

/// The operation's own rules over the input, in order (type, required, max_length,
/// max_items): the first broken answers with its code and every field breaking it.
pub fn check(
    validate: &Validate,
    fields: &BTreeMap<String, FieldType>,
    input: &Map<String, Value>,
) -> Result<(), Refusal> {
    let rules = [
        (Rule::Type, types(fields, input)),
        (Rule::Required, required(&validate.required, input)),
        (Rule::MaxLength, lengths(&validate.max_length, input)),
        (Rule::MaxItems, items(&validate.max_items, input)),
    ];
    for (rule, problems) in rules {
        if !problems.is_empty() {
            return Err(Refusal::invalid(validate, rule, problems));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn wrong_types_are_named_with_what_they_must_be() {
        let fields = BTreeMap::from([
            ("email".to_string(), FieldType::Email),
            ("priority".to_string(), FieldType::Number),
            (
                "tags".to_string(),
                FieldType::Array(Some(Box::new(FieldType::String))),
            ),
            ("when".to_string(), FieldType::DateTime),
        ]);
        let input = map(json!({
            "email": "not an email", "priority": "high", "tags": ["a", 1],
            "when": "yesterday", "other": {}
        }));
        assert_eq!(
            types(&fields, &input),
            BTreeMap::from([
                ("email".into(), "must be an email address".into()),
                ("priority".into(), "must be a number".into()),
                ("tags".into(), "must be an array of strings".into()),
                ("when".into(), "must be an ISO 8601 date-time".into()),
            ])
        );
        let fine = map(
            json!({"email": "a@b.co", "priority": null, "tags": [], "when": "2026-01-01T00:00:00+02:00"}),
        );
        assert!(types(&fields, &fine).is_empty());
    }

    #[test]
    fn required_lengths_and_items() {
        let input = map(json!({"title": "  ", "content": "é".repeat(11), "ids": [1, 2, 3]}));
        assert_eq!(
            required(&["title".into(), "ids".into(), "x".into()], &input),
            BTreeMap::from([
                ("title".into(), "is required".into()),
                ("x".into(), "is required".into())
            ])
        );
        let limits = BTreeMap::from([("content".to_string(), 10)]);
        assert_eq!(
            lengths(&limits, &input)["content"],
            "must be at most 10 characters, not 11"
        );
        let limits = BTreeMap::from([("ids".to_string(), 2), ("none".to_string(), 1)]);
        assert_eq!(items(&limits, &input).len(), 1);
    }

    #[test]
    fn at_least_one_name_or_email() {
        let any: Vec<String> = ["first_name", "last_name", "full_name", "email"]
            .map(String::from)
            .to_vec();
        let problems = requires_any(&any, &map(json!({"phone": "+1", "full_name": ""})));
        assert_eq!(problems.len(), 4);
        assert_eq!(
            problems["email"],
            "at least one of first_name, last_name, full_name, email is required"
        );
        assert!(requires_any(&any, &map(json!({"email": "a@b.co"}))).is_empty());
    }

    #[test]
    fn back_dating_stays_within_its_bounds() {
        let now = DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let bounds = Backdating {
            past_days: 1826,
            future_hours: 24,
        };
        assert_eq!(
            backdated(&json!("2024-06-01T12:00:00+02:00"), bounds, now),
            Ok("2024-06-01T10:00:00Z".into())
        );
        assert_eq!(
            backdated(&json!("2026-12-01T23:59:59.5Z"), bounds, now),
            Ok("2026-12-01T23:59:59.500Z".into())
        );
        for refused in [
            json!("2001-01-01T00:00:00Z"),
            json!("2026-12-02T00:00:01Z"),
            json!("2026-12-01"),
            json!(5),
        ] {
            assert!(backdated(&refused, bounds, now).is_err(), "{refused}");
        }
    }

    #[test]
    fn the_first_rule_broken_gives_the_code() {
        let validate = Validate {
            required: vec!["subject".into()],
            codes: BTreeMap::from([(Rule::Required, "missing_required_field".into())]),
            ..Validate::default()
        };
        let fields = BTreeMap::from([("subject".to_string(), FieldType::String)]);
        let Err(Refusal::Invalid {
            code,
            fields: at_fault,
        }) = check(&validate, &fields, &map(json!({})))
        else {
            panic!()
        };
        assert_eq!(
            (code.as_str(), at_fault.len()),
            ("missing_required_field", 1)
        );
        let Err(Refusal::Invalid { code, .. }) =
            check(&validate, &fields, &map(json!({"subject": 1})))
        else {
            panic!()
        };
        assert_eq!(code, "validation_error");
        assert!(check(&validate, &fields, &map(json!({"subject": "x"}))).is_ok());
    }
}
