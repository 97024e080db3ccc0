//! Output that a gateway cannot hijack, and reports that are always valid and bounded.

use crate::secrets::{run_against, Written};
use crate::support::gateway::{Behaviour, GatewayConfig};

const FORBIDDEN: &str = "contacts/delete.yaml::key_without_delete_permission_is_forbidden";

/// An error code and message full of escape sequences (OSC title, clear screen, C1 CSI),
/// bidi overrides, zero-width characters, a carriage return, NUL and non-characters, some
/// JSON-escaped and some raw.
const HOSTILE_BODY: &str = concat!(
    r#"{"error":{"code":"forbidden\u001b]0;pwned\u0007\u001b[2J\u009b31m\u202eevil\u2066x\u200bz\r","#,
    r#""message":"\u001b[31mred\u001b[0m \u0000 \ufeff "#,
    "\u{ffff}\u{fffe}\u{9b}1m\u{202e}",
    r#""}}"#
);
/// A header value with a C1 CSI, a bidi override, a non-character and a zero-width space
/// (all above 0x7f, so HTTP lets them through).
const HOSTILE_NOTE: &str = "\u{9b}31m \u{202e}rtl \u{ffff} \u{200b}";

fn hostile(body: &'static str) -> GatewayConfig {
    GatewayConfig {
        behaviour: Behaviour::Hostile {
            body,
            note: HOSTILE_NOTE,
        },
        ..GatewayConfig::default()
    }
}

/// Fails on any character in `text` that could act on a terminal or is not allowed in XML
/// 1.0, except (when `sgr` is set) colour sequences `ESC[<digits;>m`.
fn assert_inert(place: &str, text: &str, sgr: bool) {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && sgr {
            assert_eq!(chars.next(), Some('['), "{place}: bare ESC in:\n{text}");
            let mut final_char = None;
            for c in chars.by_ref() {
                if !(c.is_ascii_digit() || c == ';') {
                    final_char = Some(c);
                    break;
                }
            }
            assert_eq!(final_char, Some('m'), "{place}: not a colour:\n{text}");
            continue;
        }
        let bad = (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}');
        assert!(!bad, "{place}: U+{:04X} shown raw in:\n{text}", c as u32);
    }
}

/// Parses the JUnit report with two independent parsers and checks every text in it.
fn assert_valid_junit(junit: &str) {
    let document = roxmltree::Document::parse(junit)
        .unwrap_or_else(|e| panic!("JUnit is not XML 1.0: {e}\n{junit}"));
    for node in document.descendants() {
        if let Some(text) = node.text() {
            assert_inert("a JUnit text", text, false);
        }
        for attribute in node.attributes() {
            assert_inert("a JUnit attribute", attribute.value(), false);
        }
    }
    junit_parser::from_reader(std::io::Cursor::new(junit.as_bytes()))
        .unwrap_or_else(|e| panic!("JUnit does not parse as JUnit: {e}\n{junit}"));
}

/// Checks every string of the coverage file.
fn assert_inert_json(value: &serde_json::Value) {
    match value {
        serde_json::Value::String(s) => assert_inert("coverage.json", s, false),
        serde_json::Value::Array(items) => items.iter().for_each(assert_inert_json),
        serde_json::Value::Object(map) => map.iter().for_each(|(k, v)| {
            assert_inert("coverage.json", k, false);
            assert_inert_json(v);
        }),
        _ => {}
    }
}

fn assert_all_inert(written: &Written, colour: bool) {
    assert_valid_junit(written.junit.as_deref().expect("a JUnit report"));
    assert_inert("stdout", &written.stdout, colour);
    assert_inert("stderr", &written.stderr, false);
    let coverage = written.coverage.as_deref().expect("a coverage file");
    assert_inert("coverage.json", coverage, false);
    assert_inert_json(&serde_json::from_str(coverage).expect("coverage.json is JSON"));
}

#[test]
fn escape_sequences_from_the_gateway_are_shown_inert_on_terminals_and_in_reports() {
    for colour in ["never", "always"] {
        let written = run_against(
            hostile(HOSTILE_BODY),
            &[],
            &["--exact", FORBIDDEN, "--color", colour],
        );
        let what = format!("{colour}:\n{}{}", written.stdout, written.stderr);
        assert_eq!(written.output.status.code(), Some(101), "{what}");
        for shown in [
            "\\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\u{9b}31m\\u{202e}evil\\u{2066}x\\u{200b}z\\u{d}",
            // The body is pretty-printed JSON, whose own escapes (`\\u001b`) are inert too.
            "\\u001b[31mred\\u001b[0m \\u0000 \\u{feff} \\u{ffff}\\u{fffe}\\u{9b}1m\\u{202e}",
            "x-note: \\u{9b}31m \\u{202e}rtl \\u{ffff} \\u{200b}",
        ] {
            assert!(written.stdout.contains(shown), "{shown} in {what}");
            let junit = written.junit.as_deref().unwrap();
            assert!(junit.contains(shown), "{shown} in JUnit:\n{junit}");
        }
        // The coverage matrix lists the undocumented code, escaped, in both places.
        let table_line = "403 forbidden\\u{1b}]0;pwned\\u{7}";
        assert!(written.stdout.contains(table_line), "{what}");
        assert!(
            written
                .coverage
                .as_deref()
                .unwrap()
                .contains("forbidden\\\\u{1b}]0;pwned"),
            "{:?}",
            written.coverage
        );
        assert_all_inert(&written, colour == "always");
        if colour == "always" {
            assert!(written.stdout.contains("\u{1b}[31m✗\u{1b}[0m"), "{what}");
        }
    }
}

#[test]
fn junit_is_well_formed_xml_whatever_the_gateway_answers() {
    for body in [
        HOSTILE_BODY,
        // A lone surrogate, escaped: not JSON that any parser accepts, shown as text.
        r#"{"error":{"code":"\ud800","message":"\udfff lone"}}"#,
        // U+FFFF and U+FFFE escaped in JSON strings, NUL escaped.
        r#"{"error":{"code":"\uffff","message":"\ufffe\u0000\u001b"}}"#,
        // Not JSON at all: raw NUL, ESC, DEL, C1 and non-characters.
        "not json \u{0} \u{1b}[2J \u{7f} \u{85} \u{ffff} \u{fffe} \u{1fffe} \r\n",
    ] {
        let written = run_against(hostile(body), &[], &["--exact", FORBIDDEN]);
        assert_eq!(
            written.output.status.code(),
            Some(101),
            "{body}:\n{}{}",
            written.stdout,
            written.stderr
        );
        assert_all_inert(&written, false);
        let junit = written.junit.as_deref().unwrap();
        assert!(junit.contains("<failure"), "{junit}");
    }
}

#[test]
fn a_gateway_echoing_a_huge_id_makes_a_bounded_report() {
    let config = GatewayConfig {
        behaviour: Behaviour::HugeId(1_000_000),
        ..GatewayConfig::default()
    };
    let written = run_against(
        config,
        &[("LEADLEX_SPEND_QUOTA", "0")],
        &["--test-threads", "2"],
    );
    let junit = written.junit.as_deref().expect("a JUnit report");
    let what = format!(
        "stdout {} bytes, JUnit {} bytes:\n{}",
        written.stdout.len(),
        junit.len(),
        written.stderr
    );
    assert_eq!(written.output.status.code(), Some(101), "{what}");
    assert!(junit.contains("more characters not shown"), "{what}");
    // Six trials ran, each at most 64 KiB of failure text plus its headline and reruns.
    assert!(junit.len() < 600_000, "{what}");
    assert!(written.stdout.len() < 600_000, "{what}");
    assert!(written.stderr.len() < 100_000, "{what}");
    let document = roxmltree::Document::parse(junit).unwrap();
    for failure in document
        .descendants()
        .filter(|n| n.has_tag_name("failure") || n.has_tag_name("error"))
    {
        assert!(
            failure.text().unwrap_or("").len() <= 64 * 1024 + 200,
            "{what}"
        );
        assert!(
            failure.attribute("message").unwrap_or("").len() <= 1_200,
            "{what}"
        );
    }
    assert!(written.coverage.unwrap().len() < 100_000);
}
