//! Removal of secrets from everything the harness writes.
//!
//! Each configured API key is replaced by a reference to the variable it came from
//! (`${LEADLEX_API_KEY}`), so a report shows which key was used without showing it.

use crate::config::Config;

#[derive(Clone, Debug, Default)]
pub struct Redactor {
    /// (secret value, replacement), longest secrets first so none is left half-replaced.
    secrets: Vec<(String, String)>,
}

impl Redactor {
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
