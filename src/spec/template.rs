//! `{{name}}` templates in request fields and expected values.
//!
//! A template is filled from the scenario's variables: values captured from earlier
//! responses, `run_id` (the run's id, the mark of everything it creates), `scenario_id`
//! (the run's id and the scenario's number in the run: a value no other scenario, in this
//! run or another, sees, so parallel scenarios can tell their records apart; it carries
//! the run's mark), `uuid` (a fresh random UUID at each use) and the clock: `now` (the
//! time of use, ISO 8601 UTC with `Z`, to the second) shifted by `now_minus_3d` or
//! `now_plus_2h` (units `s`, `m`, `h`, `d`), for back-dated records with distinct times.
//! A string that is exactly one `{{name}}` takes the variable's JSON value as is, so a
//! captured number stays a number.

use std::collections::BTreeMap;

use serde_json::Value;

/// Variables available to templates while a scenario runs.
#[derive(Clone, Debug, Default)]
pub struct Vars {
    values: BTreeMap<String, Value>,
}

impl Vars {
    /// The variables of scenario number `scenario` of run `run_id`.
    pub fn new(run_id: &str, scenario: u64) -> Vars {
        let mut vars = Vars::default();
        vars.set("run_id", Value::String(run_id.to_string()));
        vars.set(
            "scenario_id",
            Value::String(format!("{run_id}-s{scenario}")),
        );
        vars
    }

    pub fn set(&mut self, name: &str, value: Value) {
        self.values.insert(name.to_string(), value);
    }

    /// A captured variable's value (`None` when not captured).
    pub fn get_captured(&self, name: &str) -> Option<Value> {
        self.values.get(name).cloned()
    }

    /// A captured variable as text, as it would fill a path (`None` when not captured).
    pub fn text_of(&self, name: &str) -> Option<String> {
        self.values.get(name).map(text)
    }

    fn get(&self, name: &str) -> Option<Value> {
        // Captures first: no capture may take a built-in's or the clock's name (lint).
        if let Some(value) = self.values.get(name) {
            return Some(value.clone());
        }
        match name {
            "uuid" => Some(Value::String(uuid::Uuid::new_v4().to_string())),
            _ => clock_shift(name).map(|shift| Value::String(clock_at(chrono::Utc::now(), shift))),
        }
    }

    /// Fills a string template; a variable holding a non-string is written as JSON.
    pub fn render_str(&self, template: &str) -> Result<String, String> {
        let mut out = String::new();
        for piece in pieces(template)? {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Var(name) => {
                    out.push_str(&text(&self.get(name).ok_or_else(|| undefined(name))?))
                }
            }
        }
        Ok(out)
    }

    /// Fills every string inside a JSON value.
    pub fn render_value(&self, value: &Value) -> Result<Value, String> {
        Ok(match value {
            Value::String(s) => match pieces(s)?.as_slice() {
                [Piece::Var(name)] => self.get(name).ok_or_else(|| undefined(name))?,
                _ => Value::String(self.render_str(s)?),
            },
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|v| self.render_value(v))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| Ok((k.clone(), self.render_value(v)?)))
                    .collect::<Result<_, String>>()?,
            ),
            other => other.clone(),
        })
    }
}

/// Whether `name` is a clock variable: `now`, `now_minus_<n><unit>`, `now_plus_<n><unit>`.
pub fn is_clock(name: &str) -> bool {
    clock_shift(name).is_some()
}

/// The shift a clock variable names from now, or `None` for any other name (or a shift
/// past a hundred years).
fn clock_shift(name: &str) -> Option<chrono::TimeDelta> {
    let rest = name.strip_prefix("now")?;
    if rest.is_empty() {
        return Some(chrono::TimeDelta::zero());
    }
    let (sign, amount) = match (rest.strip_prefix("_minus_"), rest.strip_prefix("_plus_")) {
        (Some(amount), _) => (-1, amount),
        (None, Some(amount)) => (1, amount),
        (None, None) => return None,
    };
    let unit_at = amount.len().checked_sub(1)?;
    let count: i64 = amount[..unit_at].parse().ok().filter(|n| *n <= 36_500)?;
    let seconds = match &amount[unit_at..] {
        "s" => count,
        "m" => count * 60,
        "h" => count * 3600,
        "d" => count * 86_400,
        _ => return None,
    };
    chrono::TimeDelta::try_seconds(sign * seconds)
}

/// `now` shifted, as ISO 8601 UTC with `Z`, to the second.
fn clock_at(now: chrono::DateTime<chrono::Utc>, shift: chrono::TimeDelta) -> String {
    (now + shift).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A value as it fills a template: a string as is, anything else as JSON.
pub fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn undefined(name: &str) -> String {
    format!("variable `{name}` is not defined")
}

#[derive(Debug, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Var(&'a str),
}

fn pieces(template: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        if open > 0 {
            out.push(Piece::Text(&rest[..open]));
        }
        let after = &rest[open + 2..];
        let close = after
            .find("}}")
            .ok_or_else(|| format!("unclosed `{{{{` in `{template}`"))?;
        let name = after[..close].trim();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!(
                "`{{{{{name}}}}}` is not a variable name (letters, digits and _)"
            ));
        }
        out.push(Piece::Var(name));
        rest = &after[close + 2..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    Ok(out)
}

/// The variable names a string uses, or why the string is not a valid template.
pub fn variables(template: &str) -> Result<Vec<&str>, String> {
    Ok(pieces(template)?
        .into_iter()
        .filter_map(|p| match p {
            Piece::Var(name) => Some(name),
            Piece::Text(_) => None,
        })
        .collect())
}

/// Every string inside a JSON value, for checking the variables they use.
pub fn strings_in(value: &Value) -> Vec<&str> {
    match value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().flat_map(strings_in).collect(),
        Value::Object(map) => map.values().flat_map(strings_in).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fills_strings_and_keeps_whole_values_typed() {
        let mut vars = Vars::new("run-1", 0);
        vars.set("n", json!(42));
        assert_eq!(
            vars.render_str("a {{run_id}} b {{ n }}").unwrap(),
            "a run-1 b 42"
        );
        assert_eq!(
            vars.render_value(&json!({"x": ["{{n}}"]})).unwrap(),
            json!({"x": [42]})
        );
    }

    #[test]
    fn reports_undefined_and_malformed_templates() {
        let vars = Vars::new("r", 0);
        assert_eq!(
            vars.render_str("{{nope}}").unwrap_err(),
            "variable `nope` is not defined"
        );
        assert!(variables("{{open").unwrap_err().contains("unclosed"));
        assert!(variables("{{a b}}")
            .unwrap_err()
            .contains("not a variable name"));
        assert_eq!(variables("{{a}}-{{b}}").unwrap(), vec!["a", "b"]);
    }

    #[test]
    fn scenario_id_is_one_per_scenario_and_carries_the_run_mark() {
        let first = Vars::new("20261201T060000Z-abc123", 0);
        let second = Vars::new("20261201T060000Z-abc123", 1);
        let a = first.render_str("{{scenario_id}}").unwrap();
        assert_eq!(a, first.render_str("{{scenario_id}}").unwrap());
        assert_ne!(a, second.render_str("{{scenario_id}}").unwrap());
        assert!(a.starts_with("20261201T060000Z-abc123-"), "{a}");
    }

    #[test]
    fn the_clock_fills_now_shifted_to_the_second() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-01T10:00:00.750Z")
            .unwrap()
            .to_utc();
        let at = |name: &str| clock_at(now, clock_shift(name).unwrap());
        assert_eq!(at("now"), "2026-12-01T10:00:00Z");
        assert_eq!(at("now_minus_3d"), "2026-11-28T10:00:00Z");
        assert_eq!(at("now_plus_2h"), "2026-12-01T12:00:00Z");
        assert_eq!(at("now_minus_90s"), "2026-12-01T09:58:30Z");
        assert_eq!(at("now_minus_5m"), "2026-12-01T09:55:00Z");
        for not_clock in [
            "nowhere",
            "now_minus_",
            "now_minus_3",
            "now_minus_3w",
            "now_minus_x3d",
            "now_plus_99999999d",
            "run_id",
        ] {
            assert!(!is_clock(not_clock), "{not_clock}");
        }
        let filled = Vars::new("r", 1).render_str("{{now_minus_1d}}").unwrap();
        assert!(
            chrono::DateTime::parse_from_rfc3339(&filled).is_ok(),
            "{filled}"
        );
    }

    #[test]
    fn uuid_is_fresh_at_each_use() {
        let vars = Vars::new("r", 0);
        let a = vars.render_str("{{uuid}}").unwrap();
        assert_ne!(a, vars.render_str("{{uuid}}").unwrap());
        assert!(uuid::Uuid::parse_str(&a).is_ok());
    }
}
