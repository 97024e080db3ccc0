//! The last line of defence: after a run, look for any secret in what it wrote.
//!
//! Redaction happens where text is made; this check does not trust it. It reads back the
//! bytes of every report file the run wrote (and the ledger), and the text the run handed
//! to the terminal exactly as it was handed over (neutralised, coloured if it was), and
//! names each place where a configured secret appears, so that the run can fail loudly and
//! remove the file.
//!
//! A secret is looked for with the same search as redaction ([`Redactor::found_in`]: as is,
//! JSON-, XML- or URL-escaped, in base64 at any alignment, with invisible characters or
//! escape sequences between its characters) in several views of each text: as written;
//! with the `\u{..}` escapes of [`crate::sanitize::neutralise`] undone; and with JSON
//! `\uXXXX` escapes and XML character references undone as well. So a key that a
//! neutralised escape sequence splits (`wbk_te\u{1b}[0mst`) is still found.

use std::path::PathBuf;

use crate::sanitize::restore;
use crate::secrets::redact::Redactor;

/// Where a secret was found: which secret (by its variable) and in what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Leak {
    pub secret: String,
    /// The file or stream, for people.
    pub place: String,
    /// The file, when the secret is in one.
    pub file: Option<PathBuf>,
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
        let (place, file, text) = match item {
            Written::File(path) => {
                let place = path.display().to_string();
                match std::fs::read(path) {
                    Ok(bytes) => (
                        place,
                        Some(path.clone()),
                        String::from_utf8_lossy(&bytes).into_owned(),
                    ),
                    Err(err) => {
                        leaks.push(Leak {
                            secret: "(unknown)".into(),
                            place: format!("{place} (cannot be read back to check it: {err})"),
                            file: None,
                        });
                        continue;
                    }
                }
            }
            Written::Printed { place, text } => (place.clone(), None, text.clone()),
        };
        let mut found: Vec<&str> = Vec::new();
        for view in views(&text) {
            for name in redactor.found_in(&view) {
                if !found.contains(&name) {
                    found.push(name);
                }
            }
        }
        for name in found {
            leaks.push(Leak {
                secret: name.to_string(),
                place: place.clone(),
                file: file.clone(),
            });
        }
    }
    leaks
}

/// The text as written, with neutralised escapes undone, and with JSON and XML escapes
/// undone as well (a report may hold text escaped twice: JSON in XML, say).
fn views(text: &str) -> Vec<String> {
    let restored = restore(text);
    let decoded = xml_unescape(&json_unescape(&restored));
    // `\\u0077`: a JSON escape escaped again (JSON inside JSON).
    let twice = json_unescape(&single_backslash_before_u(&decoded));
    let mut views = vec![text.to_string()];
    for view in [restored, decoded, twice] {
        if !views.contains(&view) {
            views.push(view);
        }
    }
    views
}

/// Every run of backslashes before a `u` made one backslash.
fn single_backslash_before_u(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut slashes = 0;
    for c in text.chars() {
        match c {
            '\\' => slashes += 1,
            'u' if slashes > 0 => {
                out.push('\\');
                out.push('u');
                slashes = 0;
            }
            other => {
                out.extend(std::iter::repeat_n('\\', slashes));
                out.push(other);
                slashes = 0;
            }
        }
    }
    out.extend(std::iter::repeat_n('\\', slashes));
    out
}

/// `\uXXXX` escapes (JSON's) replaced by their characters; surrogates and other text kept.
fn json_unescape(text: &str) -> String {
    replace_escapes(text, "\\u", |rest| {
        let hex = rest.get(..4)?;
        let c = char::from_u32(u32::from_str_radix(hex, 16).ok()?)?;
        Some((c, 4))
    })
}

/// XML's named entities and character references replaced by their characters.
fn xml_unescape(text: &str) -> String {
    replace_escapes(text, "&", |rest| {
        let end = rest.get(..rest.len().min(10))?.find(';')?;
        let entity = &rest[..end];
        let c = match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let number = entity.strip_prefix('#')?;
                let code = match number.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                    None => number.parse().ok()?,
                };
                char::from_u32(code)?
            }
        };
        Some((c, end + 1))
    })
}

/// `text` with each occurrence of `marker` that `decode` understands replaced by the
/// character it stands for; `decode` gets the text after the marker and returns the
/// character and how many bytes of that text it used.
fn replace_escapes(
    text: &str,
    marker: &str,
    decode: impl Fn(&str) -> Option<(char, usize)>,
) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(marker) {
        let after = &rest[at + marker.len()..];
        out.push_str(&rest[..at]);
        match decode(after) {
            Some((c, used)) => {
                out.push(c);
                rest = &after[used..];
            }
            None => {
                out.push_str(marker);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redactor() -> Redactor {
        let mut r = Redactor::default();
        r.add("wbk_planted_secret", "${LEADLEX_API_KEY}");
        r
    }

    fn printed(text: &str) -> Vec<Leak> {
        find_leaks(
            &redactor(),
            &[Written::Printed {
                place: "the terminal output".into(),
                text: text.into(),
            }],
        )
    }

    #[test]
    fn a_secret_planted_in_a_report_is_found_and_its_file_named() {
        let dir = tempfile::tempdir().unwrap();
        let clean = dir.path().join("junit.xml");
        let planted = dir.path().join("coverage.json");
        std::fs::write(&clean, "<testsuites/> ${LEADLEX_API_KEY}").unwrap();
        std::fs::write(&planted, "{\"code\": \"Bearer wbk_planted_secret\"}").unwrap();
        let leaks = find_leaks(
            &redactor(),
            &[
                Written::File(clean),
                Written::File(planted.clone()),
                Written::Printed {
                    place: "the terminal output".into(),
                    text: "clean".into(),
                },
            ],
        );
        assert_eq!(
            leaks,
            vec![Leak {
                secret: "${LEADLEX_API_KEY}".into(),
                place: planted.display().to_string(),
                file: Some(planted),
            }]
        );
    }

    #[test]
    fn escaped_forms_of_a_secret_are_found_too() {
        let mut r = Redactor::default();
        r.add("wbk_\"quoted&key", "${LEADLEX_API_KEY}");
        for text in [
            "x wbk_&quot;quoted&amp;key y",
            "x wbk_\\\"quoted&key y",
            // JSON in XML.
            "x wbk_\\&quot;quoted&amp;key y",
            "x wbk_%22quoted%26key y",
        ] {
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
    fn a_secret_split_by_escapes_or_invisible_characters_is_found() {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode("wbk_planted_secret:");
        for text in [
            // Raw, as a terminal would show it.
            "wbk_pla\u{1b}[0mnted_secret",
            "wbk_pla\u{0}nted_secret",
            "wbk_pla\u{200b}nted\u{ad}_secret",
            // Neutralised, as the harness writes it.
            "wbk_pla\\u{1b}[0mnted_secret",
            "wbk_pla\\u{0}nted\\u{202e}_secret",
            // Neutralised, then escaped for JSON.
            "\"wbk_pla\\\\u{1b}[0mnted_secret\"",
            // JSON escapes of control characters.
            "wbk_pla\\u001b[0mnted_secret",
            // XML character references.
            "wbk_pla&#x1b;[0mnted&#8203;_secret",
            &format!("Basic {b64}"),
        ] {
            let leaks = printed(text);
            assert_eq!(leaks.len(), 1, "{text:?}");
            assert_eq!(leaks[0].place, "the terminal output");
            assert_eq!(leaks[0].file, None);
        }
        assert!(printed("wbk_pla\\u{1b}[0mnted_secre, ${LEADLEX_API_KEY}").is_empty());
    }

    #[test]
    fn unreadable_files_are_reported() {
        let leaks = find_leaks(
            &redactor(),
            &[Written::File(PathBuf::from("/nonexistent/report.xml"))],
        );
        assert_eq!(leaks.len(), 1);
        assert!(leaks[0].place.contains("cannot be read back"));
    }

    #[test]
    fn a_key_escaped_for_json_twice_or_more_is_replaced() {
        let mut r = Redactor::default();
        r.add("wbk_reviewkey123456", "${LEADLEX_API_KEY}");
        for slashes in [1, 2, 4] {
            let escaped: String = "wbk_reviewkey123456"
                .chars()
                .map(|c| format!("{}u{:04x}", "\\".repeat(slashes), c as u32))
                .collect();
            let text = format!("{{\"message\": \"{escaped}\"}}");
            assert_eq!(
                r.redact(&text),
                "{\"message\": \"${LEADLEX_API_KEY}\"}",
                "{slashes} backslashes"
            );
            let leaks = find_leaks(
                &r,
                &[Written::Printed {
                    place: "terminal".into(),
                    text,
                }],
            );
            assert_eq!(leaks.len(), 1, "{slashes} backslashes");
        }
    }
}
