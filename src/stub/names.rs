//! The documented name rules (data-integrity page, section 1.8 of the fact sheet), over
//! the field names a collection configures (`names: person`):
//!
//! 1. `"Last, First"` is flipped: `"Müller, Hans"` gives first `Hans`, last `Müller`, full
//!    `Hans Müller`;
//! 2. a full name is split on its **last** whitespace: `"Jean-Claude van Damme"` gives
//!    first `Jean-Claude van`, last `Damme`;
//! 3. first and last names are composed into the full name;
//! 4. with no name at all, one is derived from the email's local part:
//!    `hans.mueller@roche.com` gives `Hans Mueller`.
//!
//! Parts the request gives itself are kept; only the missing ones are derived.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::spec::behaviour::NameRules;

/// A person's name in its three parts, each absent or non-empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Name {
    pub first: Option<String>,
    pub last: Option<String>,
    pub full: Option<String>,
}

/// Rules 1 and 2: the parts of a full name.
pub fn from_full(full: &str) -> Name {
    let full = full.trim();
    if full.is_empty() {
        return Name::default();
    }
    if let Some((last, first)) = full.split_once(',') {
        let (last, first) = (last.trim(), first.trim());
        if !first.is_empty() && !last.is_empty() && !first.contains(',') {
            return Name {
                first: Some(first.to_string()),
                last: Some(last.to_string()),
                full: Some(format!("{first} {last}")),
            };
        }
    }
    match full.rsplit_once(char::is_whitespace) {
        Some((first, last)) => Name {
            first: Some(first.trim_end().to_string()),
            last: Some(last.to_string()),
            full: Some(full.to_string()),
        },
        None => Name {
            first: Some(full.to_string()),
            last: None,
            full: Some(full.to_string()),
        },
    }
}

/// Rule 3: the full name of a first and a last name.
pub fn compose(first: Option<&str>, last: Option<&str>) -> Option<String> {
    let parts: Vec<&str> = [first, last]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// Rule 4: a name from an email's local part: split on `.`, `_` and `-` (a `+tag` left
/// out), each part capitalised; the last part is the last name.
pub fn from_email(email: &str) -> Name {
    let local = email.split('@').next().unwrap_or_default();
    let local = local.split('+').next().unwrap_or_default();
    let parts: Vec<String> = local
        .split(['.', '_', '-'])
        .filter(|p| p.chars().any(char::is_alphabetic))
        .map(capitalised)
        .collect();
    match parts.as_slice() {
        [] => Name::default(),
        [only] => Name {
            first: Some(only.clone()),
            last: None,
            full: Some(only.clone()),
        },
        [first @ .., last] => {
            let first = first.join(" ");
            Name {
                full: Some(format!("{first} {last}")),
                first: Some(first),
                last: Some(last.clone()),
            }
        }
    }
}

fn capitalised(part: &str) -> String {
    let mut chars = part.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The text of a field: a non-empty string, trimmed.
fn text<'r>(record: &'r Map<String, Value>, field: &str) -> Option<&'r str> {
    record
        .get(field)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// Applies the rules to `record` (the stored record with the request's fields merged in);
/// `given` names the fields this request sent, which are kept as sent.
pub fn derive(rules: &NameRules, record: &mut Map<String, Value>, given: &BTreeSet<String>) {
    let sent = |field: &str| given.contains(field) && text(record, field).is_some();
    let (full_sent, first_sent, last_sent) =
        (sent(&rules.full), sent(&rules.first), sent(&rules.last));
    let derived = if full_sent {
        let mut name = from_full(text(record, &rules.full).unwrap_or_default());
        // Parts sent with the full name stay as sent.
        if first_sent || last_sent {
            name.full = text(record, &rules.full).map(str::to_string);
        }
        name
    } else if first_sent || last_sent {
        Name {
            first: None,
            last: None,
            full: compose(text(record, &rules.first), text(record, &rules.last)),
        }
    } else if [&rules.first, &rules.last, &rules.full]
        .iter()
        .all(|f| text(record, f).is_none())
    {
        match text(record, &rules.email) {
            Some(email) => from_email(email),
            None => return,
        }
    } else {
        return;
    };
    let mut set = |field: &str, value: Option<String>, keep: bool| {
        if let (false, Some(value)) = (keep, value) {
            record.insert(field.to_string(), Value::String(value));
        }
    };
    set(&rules.first, derived.first, first_sent);
    set(&rules.last, derived.last, last_sent);
    set(&rules.full, derived.full, false);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn name(first: Option<&str>, last: Option<&str>, full: Option<&str>) -> Name {
        Name {
            first: first.map(Into::into),
            last: last.map(Into::into),
            full: full.map(Into::into),
        }
    }

    /// A record after the rules, from the fields a create sends.
    fn created(sent: Value) -> Value {
        let Value::Object(mut record) = sent else {
            panic!()
        };
        let given = record.keys().cloned().collect();
        derive(&NameRules::person(), &mut record, &given);
        Value::Object(record)
    }

    #[test]
    fn last_comma_first_is_flipped() {
        assert_eq!(
            from_full("Müller, Hans"),
            name(Some("Hans"), Some("Müller"), Some("Hans Müller"))
        );
        assert_eq!(
            from_full("  van Damme ,  Jean-Claude "),
            name(
                Some("Jean-Claude"),
                Some("van Damme"),
                Some("Jean-Claude van Damme")
            )
        );
        // Not "Last, First": a comma with nothing on one side, or two commas.
        assert_eq!(from_full("Müller,").first.as_deref(), Some("Müller,"));
        assert_eq!(from_full("a, b, c").last.as_deref(), Some("c"));
    }

    #[test]
    fn a_full_name_is_split_on_its_last_whitespace() {
        assert_eq!(
            from_full("Jean-Claude van Damme"),
            name(
                Some("Jean-Claude van"),
                Some("Damme"),
                Some("Jean-Claude van Damme")
            )
        );
        assert_eq!(from_full("Cher"), name(Some("Cher"), None, Some("Cher")));
        assert_eq!(from_full("   "), Name::default());
        assert_eq!(
            from_full("Ada\tKing  Lovelace"),
            name(
                Some("Ada\tKing"),
                Some("Lovelace"),
                Some("Ada\tKing  Lovelace")
            )
        );
    }

    #[test]
    fn first_and_last_are_composed() {
        assert_eq!(
            compose(Some("Hans"), Some("Müller")).as_deref(),
            Some("Hans Müller")
        );
        assert_eq!(compose(None, Some("Müller")).as_deref(), Some("Müller"));
        assert_eq!(compose(Some(" "), None), None);
    }

    #[test]
    fn a_name_comes_from_the_email_local_part() {
        assert_eq!(
            from_email("hans.mueller@roche.com"),
            name(Some("Hans"), Some("Mueller"), Some("Hans Mueller"))
        );
        assert_eq!(
            from_email("jean_claude-van.damme+crm@x.io"),
            name(
                Some("Jean Claude Van"),
                Some("Damme"),
                Some("Jean Claude Van Damme")
            )
        );
        assert_eq!(from_email("élodie@x.fr").full.as_deref(), Some("Élodie"));
        assert_eq!(from_email("12345@x.io"), Name::default());
        assert_eq!(from_email("@x.io"), Name::default());
    }

    #[test]
    fn a_create_gets_every_part_and_keeps_what_it_sent() {
        assert_eq!(
            created(json!({"full_name": "Müller, Hans"})),
            json!({"first_name": "Hans", "last_name": "Müller", "full_name": "Hans Müller"})
        );
        assert_eq!(
            created(json!({"first_name": "Hans", "last_name": "Müller"})),
            json!({"first_name": "Hans", "last_name": "Müller", "full_name": "Hans Müller"})
        );
        assert_eq!(
            created(json!({"email": "hans.mueller@roche.com"})),
            json!({"email": "hans.mueller@roche.com", "first_name": "Hans",
                   "last_name": "Mueller", "full_name": "Hans Mueller"})
        );
        // A part sent with the full name stays; the full name stays as sent.
        assert_eq!(
            created(json!({"full_name": "J. C. van Damme", "first_name": "Jean-Claude"})),
            json!({"first_name": "Jean-Claude", "last_name": "Damme",
                   "full_name": "J. C. van Damme"})
        );
        // A name given wins over the email.
        assert_eq!(
            created(json!({"last_name": "Doe", "email": "x.y@z.io"})),
            json!({"last_name": "Doe", "full_name": "Doe", "email": "x.y@z.io"})
        );
        // Nothing to go on: nothing derived.
        assert_eq!(created(json!({"phone": "1"})), json!({"phone": "1"}));
    }

    #[test]
    fn an_update_derives_again_from_what_it_sent() {
        let mut record = json!({"first_name": "Hans", "last_name": "Müller",
                                "full_name": "Hans Müller", "email": "h@x.io"})
        .as_object()
        .unwrap()
        .clone();
        record.insert("full_name".into(), json!("Damme, Jean-Claude"));
        derive(
            &NameRules::person(),
            &mut record,
            &BTreeSet::from(["full_name".into()]),
        );
        assert_eq!(record["first_name"], "Jean-Claude");
        assert_eq!(record["full_name"], "Jean-Claude Damme");
        record.insert("last_name".into(), json!("Doe"));
        derive(
            &NameRules::person(),
            &mut record,
            &BTreeSet::from(["last_name".into()]),
        );
        assert_eq!(record["full_name"], "Jean-Claude Doe");
        // An email alone changes no name once there is one.
        record.insert("email".into(), json!("new.name@x.io"));
        derive(
            &NameRules::person(),
            &mut record,
            &BTreeSet::from(["email".into()]),
        );
        assert_eq!(record["full_name"], "Jean-Claude Doe");
    }

    #[test]
    fn other_field_names_follow_the_configuration() {
        let rules = NameRules {
            first: "given".into(),
            last: "family".into(),
            full: "name".into(),
            email: "mail".into(),
            ..NameRules::person()
        };
        let mut record = json!({"name": "Müller, Hans"}).as_object().unwrap().clone();
        derive(&rules, &mut record, &BTreeSet::from(["name".into()]));
        assert_eq!(
            Value::Object(record),
            json!({"given": "Hans", "family": "Müller", "name": "Hans Müller"})
        );
    }
}
