//! API keys never leak: not through a gateway that echoes them, not into any report.

use std::path::PathBuf;
use std::process::Output;

use crate::common::{behaving, command, junit_in, live_env, start, text};
use crate::support::gateway::{Behaviour, Disguise, GatewayConfig};

const FORBIDDEN: &str = "contacts/delete.yaml::key_without_delete_permission_is_forbidden";

/// What one run as a command wrote: its streams and its two reports (when kept).
pub struct Written {
    pub output: Output,
    pub stdout: String,
    pub stderr: String,
    pub junit: Option<String>,
    pub coverage: Option<String>,
    /// Every ledger file the run left, one after the other.
    pub ledger: String,
}

impl Written {
    /// Every place with its text, for assertions over all of them.
    pub fn places(&self) -> Vec<(&'static str, &str)> {
        let mut places = vec![
            ("stdout", self.stdout.as_str()),
            ("stderr", self.stderr.as_str()),
        ];
        if let Some(junit) = &self.junit {
            places.push(("junit.xml", junit));
        }
        if let Some(coverage) = &self.coverage {
            places.push(("coverage.json", coverage));
        }
        places
    }
}

/// Runs the suite as a command (stdout and stderr piped) against a gateway with `config`,
/// reports in a temporary directory; `args` are libtest's.
pub fn run_against(config: GatewayConfig, extra: &[(&str, &str)], args: &[&str]) -> Written {
    let (gateway, config) = start(config);
    let reports = tempfile::tempdir().unwrap();
    let junit: PathBuf = junit_in(&reports);
    let coverage = reports.path().join("reports/coverage.json");
    let mut env = live_env(&gateway, &config);
    env.insert("LEADLEX_JUNIT".into(), junit.display().to_string());
    env.insert("LEADLEX_COVERAGE".into(), coverage.display().to_string());
    env.insert(
        "LEADLEX_LEDGER_DIR".into(),
        reports.path().join("created").display().to_string(),
    );
    for (name, value) in extra {
        env.insert(name.to_string(), value.to_string());
    }
    let output = command(&env, args);
    let ledger = std::fs::read_dir(reports.path().join("created"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| text(&std::fs::read(entry.path()).unwrap()))
        .collect();
    Written {
        ledger,
        stdout: text(&output.stdout),
        stderr: text(&output.stderr),
        junit: std::fs::read(&junit).ok().map(|b| text(&b)),
        coverage: std::fs::read(&coverage).ok().map(|b| text(&b)),
        output,
    }
}

/// Fails if `key` can be read out of `text` in any form: as is, or once escapes written
/// for terminals (`\u{1b}`), JSON, XML or URLs are undone and escape sequences and
/// invisible characters removed; or as any part of base64 that only the key decides.
/// Written apart from the harness's own search, so that the two check each other.
pub fn assert_no_key(place: &str, text: &str, key: &str) {
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    use base64::Engine;
    let mut views = vec![text.to_string()];
    let mut view = text.to_string();
    // Undo `\u{..}` and `\uXXXX`.
    for (open, close, digits) in [("\\u{", "}", 0), ("\\u", "", 4)] {
        let mut out = String::new();
        let mut rest = view.as_str();
        while let Some(at) = rest.find(open) {
            out.push_str(&rest[..at]);
            let after = &rest[at + open.len()..];
            let end = match digits {
                0 => after.find(close).unwrap_or(usize::MAX),
                n => n,
            };
            match after
                .get(..end)
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .and_then(char::from_u32)
            {
                Some(c) => {
                    // JSON writes the backslash of `\u{1b}` twice.
                    if digits == 0 && out.ends_with('\\') {
                        out.pop();
                    }
                    out.push(c);
                    rest = &after[end + close.len()..];
                }
                None => {
                    out.push_str(open);
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        view = out;
    }
    for (entity, c) in [
        ("&quot;", "\""),
        ("&apos;", "'"),
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&amp;", "&"),
    ] {
        view = view.replace(entity, c);
    }
    view = view.replace("\\\"", "\"").replace("\\\\", "\\");
    // Escape sequences and invisible characters out.
    let mut plain = String::new();
    let mut chars = view.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            match chars.peek() {
                Some('[') => {
                    chars.next();
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                Some(']') => {
                    for c in chars.by_ref() {
                        if c == '\u{7}' {
                            break;
                        }
                    }
                }
                _ => {}
            }
            continue;
        }
        let invisible = c.is_control()
            || matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}'
                | '\u{2060}'..='\u{2069}' | '\u{feff}');
        if !invisible {
            plain.push(c);
        }
    }
    views.push(plain.clone());
    // Percent-decoded.
    let bytes = plain.as_bytes();
    let mut decoded = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                decoded.push(byte);
                i += 3;
            }
            (byte, _) => {
                decoded.push(byte);
                i += 1;
            }
        }
    }
    views.push(String::from_utf8_lossy(&decoded).into_owned());
    for view in &views {
        assert!(
            !view.contains(key),
            "the key can be read in {place}:\n{text}"
        );
    }
    for shift in 0..3 {
        let mut bytes = vec![0u8; shift];
        bytes.extend_from_slice(key.as_bytes());
        let first = (8 * shift).div_ceil(6);
        let end = 8 * bytes.len() / 6;
        for encoded in [
            STANDARD_NO_PAD.encode(&bytes),
            URL_SAFE_NO_PAD.encode(&bytes),
        ] {
            let core = &encoded[first..end];
            assert!(
                !plain.contains(core),
                "the key's base64 is in {place}:\n{text}"
            );
        }
    }
}

#[test]
fn a_key_echoed_in_disguise_appears_nowhere_and_the_failure_is_still_reported() {
    for disguise in Disguise::ALL {
        let config = behaving(Behaviour::EchoKeyAs(disguise));
        let key = config.no_delete_key.clone();
        let written = run_against(config.clone(), &[], &["--exact", FORBIDDEN]);
        let what = format!("{disguise:?}:\n{}{}", written.stdout, written.stderr);
        // The failure is reported, with the key replaced by its variable.
        assert_eq!(written.output.status.code(), Some(101), "{what}");
        assert!(
            written.stdout.contains(
                "error.code: expected insufficient_permissions, got echoed-${LEADLEX_API_KEY_NO_DELETE}"
            ),
            "{what}"
        );
        assert!(!written.stderr.contains("SECRET LEAK"), "{what}");
        let junit = written
            .junit
            .as_deref()
            .expect("the report is kept: it holds no key");
        roxmltree::Document::parse(junit).expect("the report is XML");
        assert!(
            junit.contains("got echoed-${LEADLEX_API_KEY_NO_DELETE}"),
            "{junit}"
        );
        assert!(written.coverage.is_some(), "{what}");
        for (place, text) in written.places() {
            for key in [&key, &config.full_key] {
                assert_no_key(&format!("{place} ({disguise:?})"), text, key);
            }
        }
    }
}

#[test]
fn keys_with_quotes_backslashes_and_markup_are_hidden_in_every_escaping() {
    let config = GatewayConfig {
        full_key: "wbk_full\"q\\u&<>+%/='Z_0123".into(),
        no_delete_key: "wbk_nodel\"q\\u&<>+%/='Z_4567".into(),
        ..behaving(Behaviour::EchoKey)
    };
    for disguise in [
        None,
        Some(Disguise::UrlEncoded),
        Some(Disguise::Base64Basic),
        Some(Disguise::Ansi),
    ] {
        let config = GatewayConfig {
            behaviour: disguise.map_or(Behaviour::EchoKey, Behaviour::EchoKeyAs),
            ..config.clone()
        };
        let written = run_against(config.clone(), &[], &["--exact", FORBIDDEN]);
        let what = format!("{disguise:?}:\n{}{}", written.stdout, written.stderr);
        assert_eq!(written.output.status.code(), Some(101), "{what}");
        assert!(
            written
                .stdout
                .contains("got echoed-${LEADLEX_API_KEY_NO_DELETE}"),
            "{what}"
        );
        let junit = written.junit.as_deref().expect("the report is kept");
        roxmltree::Document::parse(junit).expect("the report is XML");
        for (place, text) in written.places() {
            for key in [&config.no_delete_key, &config.full_key] {
                assert_no_key(place, text, key);
            }
        }
    }
}

#[test]
fn a_gateway_echoing_the_key_cannot_make_it_appear_anywhere() {
    let (gateway, config) = start(behaving(Behaviour::EchoKey));
    let reports = tempfile::tempdir().unwrap();
    let junit = junit_in(&reports);
    let coverage = reports.path().join("reports/coverage.json");
    let mut env = live_env(&gateway, &config);
    env.insert("LEADLEX_JUNIT".into(), junit.display().to_string());
    env.insert("LEADLEX_COVERAGE".into(), coverage.display().to_string());
    env.insert("LEADLEX_SPEND_QUOTA".into(), "0".into());

    let output = command(&env, &["--test-threads", "1"]);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    let report = std::fs::read_to_string(&junit).expect("the report is kept: it holds no key");
    let matrix = std::fs::read_to_string(&coverage).expect("the coverage file is kept too");

    // The failure is still reported, with its evidence, only without the keys.
    assert_eq!(output.status.code(), Some(101), "{stdout}{stderr}");
    for expected in [
        "error.code: expected insufficient_permissions, got echoed-${LEADLEX_API_KEY_NO_DELETE}",
        "Bearer ${LEADLEX_API_KEY_NO_DELETE} may not delete",
        "\"authorization\": \"[redacted]\"",
        "x-echoed-authorization: Bearer ${LEADLEX_API_KEY_NO_DELETE}",
        "-H \"Authorization: Bearer $LEADLEX_API_KEY_NO_DELETE\"",
        // The undocumented code, key and all, is listed by the coverage matrix, redacted.
        "403 echoed-${LEADLEX_API_KEY_NO_DELETE}",
    ] {
        assert!(stdout.contains(expected), "{expected} in:\n{stdout}");
    }
    assert!(
        report.contains("got echoed-${LEADLEX_API_KEY_NO_DELETE}"),
        "{report}"
    );
    assert!(
        matrix.contains("echoed-${LEADLEX_API_KEY_NO_DELETE}"),
        "{matrix}"
    );
    for key in [&config.full_key, &config.no_delete_key] {
        for (sink, text) in [
            ("stdout", &stdout),
            ("stderr", &stderr),
            ("JUnit", &report),
            ("coverage.json", &matrix),
        ] {
            assert!(!text.contains(key.as_str()), "key in {sink}:\n{text}");
        }
    }
    // The gateway really did echo the key: the redaction above had something to do.
    assert!(gateway
        .requests()
        .iter()
        .any(|r| r.authorization.as_deref() == Some(&format!("Bearer {}", config.no_delete_key))));
}

#[test]
fn a_captured_value_marked_secret_is_hidden_like_a_key() {
    let specs = tempfile::tempdir().unwrap();
    crate::common::copy_specs(specs.path());
    let delete = specs.path().join("contacts/delete.yaml");
    let original = std::fs::read_to_string(&delete).unwrap();
    // The first scenario keeps the id it captures secret, and is made to fail so that its
    // exchanges are shown.
    let changed = original
        .replacen(
            "capture: { contact_id: /data/id }",
            "capture: { contact_id: { pointer: /data/id, secret: true } }",
            1,
        )
        .replacen("/data/deleted: true", "/data/deleted: false", 1);
    std::fs::write(&delete, changed).unwrap();
    let reports = tempfile::tempdir().unwrap();
    let junit = junit_in(&reports);
    let env = [
        (
            "LEADLEX_SPECS".to_string(),
            specs.path().display().to_string(),
        ),
        ("LEADLEX_JUNIT".to_string(), junit.display().to_string()),
    ]
    .into();
    let output = command(
        &env,
        &[
            "--exact",
            "contacts/delete.yaml::deletes_a_contact_it_created",
        ],
    );
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(101), "{stdout}");
    let report = std::fs::read_to_string(&junit).unwrap();
    for sink in [&stdout, &report] {
        assert!(sink.contains("/v1/contacts/[secret:contact_id]"), "{sink}");
        assert!(sink.contains("equals /data/deleted"), "{sink}");
        let uuid_like = sink
            .split(|c: char| !(c.is_ascii_hexdigit() || c == '-'))
            .any(|w| w.len() == 36 && uuid::Uuid::parse_str(w).is_ok());
        assert!(!uuid_like, "no captured id is shown: {sink}");
    }
}

#[test]
fn the_leak_check_fails_a_run_whose_report_holds_a_key_and_replaces_the_report() {
    let reports = tempfile::tempdir().unwrap();
    let junit = junit_in(&reports);
    let key = "wbk_planted_key_0123456789abcdef";
    let env = [
        ("LEADLEX_API_KEY".to_string(), key.to_string()),
        ("LEADLEX_JUNIT".to_string(), junit.display().to_string()),
        ("LEADLEX_SELF_TEST_LEAK".to_string(), "1".to_string()),
    ]
    .into();
    let output = command(
        &env,
        &["--exact", "contacts/get.yaml::unknown_id_is_not_found"],
    );
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(3), "{stdout}{stderr}");
    assert!(
        stderr.contains("SECRET LEAK: the value of ${LEADLEX_API_KEY} appears in")
            && stderr.contains("junit.xml"),
        "{stderr}"
    );
    assert!(
        stderr.contains("so that it cannot be published"),
        "{stderr}"
    );
    let report = std::fs::read_to_string(&junit).expect("an error report replaces it");
    assert!(!report.contains(key), "{report}");
    let parsed = junit_parser::from_reader(std::io::Cursor::new(&report)).unwrap();
    assert_eq!((parsed.tests, parsed.errors), (1, 1), "{report}");
    assert!(
        report.contains("a secret was found in") && !report.contains("<testcase name=\"unknown_id"),
        "{report}"
    );
    assert!(!stdout.contains(key) && !stderr.contains(key));

    // Without the planted key the same run passes: the check has no false alarm.
    let mut clean = env.clone();
    clean.remove("LEADLEX_SELF_TEST_LEAK");
    let output = command(
        &clean,
        &["--exact", "contacts/get.yaml::unknown_id_is_not_found"],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(junit.exists());
}

#[test]
fn a_created_id_holding_a_key_never_reaches_the_ledger() {
    let config = behaving(Behaviour::CreatedIdIsKey);
    let key = config.full_key.clone();
    let written = run_against(
        config,
        &[],
        &[
            "--exact",
            "contacts/delete.yaml::deletes_a_contact_it_created",
        ],
    );
    let what = format!("{}{}", written.stdout, written.stderr);
    for (place, text) in written.places() {
        assert_no_key(place, text, &key);
    }
    // An id that is or holds a key is never sent and never written to the ledger; the
    // run says why, without the key.
    assert!(!written.ledger.contains(&key), "{what}");
    assert!(
        written.ledger.is_empty() || !written.ledger.contains("\"created\""),
        "{what}"
    );
    assert!(what.contains("is or holds an API key"), "{what}");
}
