//! The last line of defence: after a run, look for any secret in what it wrote.
//!
//! Redaction happens where text is made; this check does not trust it. It reads back every
//! report file the run wrote and everything the run printed, and names each place where a
//! configured secret appears, so that the run can fail loudly and remove the file.

use std::path::PathBuf;

use crate::redact::Redactor;

/// Where a secret was found: which secret (by its variable) and in what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Leak {
    pub secret: String,
    pub place: String,
}

/// Text the run produced, by where it went.
pub enum Written {
    File(PathBuf),
    Printed { place: String, text: String },
}

/// Every secret of `redactor` found in `written`. Files that cannot be read are reported
/// as leaks too: a check that could not look has not shown anything safe.
pub fn find_leaks(redactor: &Redactor, written: &[Written]) -> Vec<Leak> {
    let mut leaks = Vec::new();
    for item in written {
        let (place, text) = match item {
            Written::File(path) => {
                let place = path.display().to_string();
                match std::fs::read(path) {
                    Ok(bytes) => (place, String::from_utf8_lossy(&bytes).into_owned()),
                    Err(err) => {
                        leaks.push(Leak {
                            secret: "(unknown)".into(),
                            place: format!("{place} (cannot be read back to check it: {err})"),
                        });
                        continue;
                    }
                }
            }
            Written::Printed { place, text } => (place.clone(), text.clone()),
        };
        for (secret, name) in redactor.secrets() {
            if forms(secret)
                .iter()
                .any(|form| text.contains(form.as_str()))
            {
                leaks.push(Leak {
                    secret: name.to_string(),
                    place: place.clone(),
                });
            }
        }
    }
    leaks
}

/// A secret as it may appear in a file: as is, escaped for XML, escaped for JSON.
fn forms(secret: &str) -> Vec<String> {
    let xml = secret
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;");
    let json = serde_json::to_string(secret).unwrap_or_default();
    let json = json.trim_matches('"').to_string();
    let mut forms = vec![secret.to_string(), xml, json];
    forms.dedup();
    forms
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redactor() -> Redactor {
        let mut r = Redactor::default();
        r.add("wbk_planted_secret", "${LEADLEX_API_KEY}");
        r
    }

    #[test]
    fn a_secret_planted_in_a_report_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let clean = dir.path().join("clean.xml");
        let planted = dir.path().join("junit.xml");
        std::fs::write(&clean, "<testsuites/> ${LEADLEX_API_KEY}").unwrap();
        std::fs::write(&planted, "<failure>Bearer wbk_planted_secret</failure>").unwrap();
        let leaks = find_leaks(
            &redactor(),
            &[Written::File(clean), Written::File(planted.clone())],
        );
        assert_eq!(
            leaks,
            vec![Leak {
                secret: "${LEADLEX_API_KEY}".into(),
                place: planted.display().to_string()
            }]
        );
    }

    #[test]
    fn escaped_forms_of_a_secret_are_found_too() {
        let mut r = Redactor::default();
        r.add("wbk_\"quoted&key", "${LEADLEX_API_KEY}");
        for text in ["x wbk_&quot;quoted&amp;key y", "x wbk_\\\"quoted&key y"] {
            let leaks = find_leaks(
                &r,
                &[Written::Printed {
                    place: "report".into(),
                    text: text.into(),
                }],
            );
            assert_eq!(leaks.len(), 1, "{text}");
        }
    }

    #[test]
    fn printed_text_and_unreadable_files_are_checked() {
        let leaks = find_leaks(
            &redactor(),
            &[
                Written::Printed {
                    place: "terminal".into(),
                    text: "x wbk_planted_secret y".into(),
                },
                Written::File(PathBuf::from("/nonexistent/report.xml")),
            ],
        );
        assert_eq!(leaks.len(), 2);
        assert_eq!(leaks[0].place, "terminal");
        assert!(leaks[1].place.contains("cannot be read back"));
    }
}
