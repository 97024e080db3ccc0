//! Removal of secrets from everything the harness writes.
//!
//! Each configured API key is replaced by a reference to the variable it came from
//! (`${LEADLEX_API_KEY}`), so a report shows which key was used without showing it.
//! Besides the known values, headers that carry credentials and JSON fields whose names
//! mark secrets are hidden wherever exchanges are shown.

use serde_json::Value;

use crate::config::Config;

/// Response and request headers whose values are never shown.
pub const SECRET_HEADERS: [&str; 5] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
];

/// Whether a JSON field's name marks its value as secret (`token`, `api_key`, `password`…).
pub fn is_secret_field(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["token", "secret", "password", "passwd", "authorization"]
        .iter()
        .any(|word| name.contains(word))
        || name.ends_with("key")
}

/// A copy of `value` with the scalar values of secret-named fields replaced.
pub fn redact_json_fields(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(name, v)| {
                    let shown = match (is_secret_field(name), v) {
                        (true, Value::String(_) | Value::Number(_)) => {
                            Value::String("[redacted]".into())
                        }
                        _ => redact_json_fields(v),
                    };
                    (name.clone(), shown)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact_json_fields).collect()),
        other => other.clone(),
    }
}

/// Known secret values and what replaces them. Its `Debug` shows only the replacements.
#[derive(Clone, Default, PartialEq)]
pub struct Redactor {
    /// (secret value, replacement), longest secrets first so none is left half-replaced.
    secrets: Vec<(String, String)>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.secrets.iter().map(|(_, shown)| shown))
            .finish()
    }
}

impl Redactor {
    /// Both sets of secrets.
    pub fn merged(&self, other: &Redactor) -> Redactor {
        let mut merged = self.clone();
        for (secret, shown) in &other.secrets {
            merged.add(secret, shown);
        }
        merged
    }

    pub fn from_config(config: &Config) -> Redactor {
        let mut redactor = Redactor::default();
        for (variable, secret) in &config.keys {
            redactor.add(secret.expose(), &format!("${{{variable}}}"));
        }
        redactor
    }

    pub fn add(&mut self, secret: &str, replacement: &str) {
        // Very short values would redact ordinary words; no real key is this short.
        if secret.len() >= 4 {
            self.secrets
                .push((secret.to_string(), replacement.to_string()));
            self.secrets
                .sort_by_key(|(s, _)| std::cmp::Reverse(s.len()));
        }
    }

    /// (secret value, what replaces it) for every known secret.
    pub fn secrets(&self) -> impl Iterator<Item = (&str, &str)> {
        self.secrets.iter().map(|(s, r)| (s.as_str(), r.as_str()))
    }

    pub fn redact(&self, text: &str) -> String {
        let mut text = text.to_string();
        for (secret, replacement) in &self.secrets {
            if text.contains(secret.as_str()) {
                text = text.replace(secret.as_str(), replacement);
            }
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_fields_are_hidden_but_structure_is_kept() {
        let body = json!({"data": {"api_key": "wbk_1", "token": 7, "keys": ["a"], "id": "x",
            "webhook": {"signing_secret": "s"}, "idempotency_key": "k"}});
        assert_eq!(
            redact_json_fields(&body),
            json!({"data": {"api_key": "[redacted]", "token": "[redacted]", "keys": ["a"], "id": "x",
                "webhook": {"signing_secret": "[redacted]"}, "idempotency_key": "[redacted]"}})
        );
    }

    #[test]
    fn replaces_every_occurrence_with_the_variable() {
        let mut r = Redactor::default();
        r.add("wbk_secret_1", "${LEADLEX_API_KEY}");
        r.add("wbk_secret_12", "${OTHER}");
        assert_eq!(
            r.redact("a wbk_secret_1 b wbk_secret_12"),
            "a ${LEADLEX_API_KEY} b ${OTHER}"
        );
    }
}
