//! Removal of secrets from everything the harness writes.
//!
//! Each configured API key is replaced by a reference to the variable it came from
//! (`${LEADLEX_API_KEY}`), so a report shows which key was used without showing it.
//! Besides the known values, headers that carry credentials and JSON fields whose names
//! mark secrets are hidden wherever exchanges are shown.
//!
//! A gateway may echo a key in another form than it was sent, so a secret is found (and
//! replaced, whole) in every form below, and in any mix of them:
//!
//! - as is, and with any of its characters escaped for JSON (`\"`, `\\`, `\/`, `\u0041`),
//!   for XML (`&quot;`, `&amp;`, `&#65;`, `&#x41;`), for URLs (`%41` in either case, `+`
//!   for a space) or for a JSON pointer (`~1` for `/`, `~0` for `~`);
//! - with invisible characters between its characters: C0 and C1 controls (NUL, ESC…),
//!   whole ANSI escape sequences (`ESC[…m`, `ESC]…BEL`), zero-width characters, soft
//!   hyphens, bidi controls (see [`crate::sanitize::is_invisible`]);
//! - base64 and base64url, padded or not, at any alignment: the part of the encoding that
//!   depends on the secret alone is the same wherever the secret sits in the encoded bytes,
//!   so `base64(key)`, Basic auth's `base64(key:)` and `base64(user:key)` are all caught.
//!   The run of letters, digits and `=` around such a match goes with it. Only secrets of
//!   8 characters or more are looked for in base64 (a shorter core would match by chance).
//!
//! The leak check ([`crate::secrets::leak`]) uses the same search on what was written.

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
    /// Longest secrets first, so none is left half-replaced.
    secrets: Vec<Known>,
}

/// One secret, its replacement, and the patterns it is searched for by.
#[derive(Clone, PartialEq)]
struct Known {
    value: String,
    shown: String,
    /// The secret itself, then the cores of its base64 encodings.
    patterns: Vec<Pattern>,
}

#[derive(Clone, PartialEq)]
struct Pattern {
    chars: Vec<char>,
    /// A base64 core: the letters, digits and `=` around a match are replaced with it.
    base64: bool,
}

/// Secrets shorter than this are not looked for in base64.
const BASE64_MIN_SECRET: usize = 8;

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.secrets.iter().map(|k| &k.shown))
            .finish()
    }
}

impl Redactor {
    /// Both sets of secrets.
    pub fn merged(&self, other: &Redactor) -> Redactor {
        let mut merged = self.clone();
        for known in &other.secrets {
            merged.add(&known.value, &known.shown);
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
        if secret.len() < 4 || self.secrets.iter().any(|k| k.value == secret) {
            return;
        }
        let mut patterns = vec![Pattern {
            chars: secret.chars().collect(),
            base64: false,
        }];
        if secret.chars().count() >= BASE64_MIN_SECRET {
            for core in base64_cores(secret.as_bytes()) {
                let pattern = Pattern {
                    chars: core.chars().collect(),
                    base64: true,
                };
                if !patterns.contains(&pattern) {
                    patterns.push(pattern);
                }
            }
        }
        self.secrets.push(Known {
            value: secret.to_string(),
            shown: replacement.to_string(),
            patterns,
        });
        self.secrets
            .sort_by_key(|k| std::cmp::Reverse(k.value.len()));
    }

    /// `text` with every form of every secret replaced by its variable reference.
    pub fn redact(&self, text: &str) -> String {
        let mut text = std::borrow::Cow::Borrowed(text);
        for known in &self.secrets {
            if let Some(replaced) = replace_all(&text, known) {
                text = std::borrow::Cow::Owned(replaced);
            }
        }
        text.into_owned()
    }

    /// The replacements (`${LEADLEX_API_KEY}`) of the secrets that appear in `text` in any
    /// of the forms [`Redactor::redact`] replaces.
    pub fn found_in(&self, text: &str) -> Vec<&str> {
        self.secrets
            .iter()
            .filter(|known| next_match(text, 0, known).is_some())
            .map(|known| known.shown.as_str())
            .collect()
    }
}

/// The parts of the base64 and base64url encodings of `secret` that do not depend on the
/// bytes around it, for each of the three alignments it can have.
fn base64_cores(secret: &[u8]) -> Vec<String> {
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    use base64::Engine;
    let mut cores = Vec::new();
    for shift in 0..3 {
        let mut bytes = vec![0u8; shift];
        bytes.extend_from_slice(secret);
        // Character i of an encoding holds bits 6i..6i+6: it is the secret's alone when
        // those bits all lie within the secret's bytes.
        let first = (8 * shift).div_ceil(6);
        let end = 8 * bytes.len() / 6;
        for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
            let encoded = engine.encode(&bytes);
            if let Some(core) = encoded.get(first..end) {
                cores.push(core.to_string());
            }
        }
    }
    cores
}

/// `text` with every match of `known` replaced, or `None` when there is none.
fn replace_all(text: &str, known: &Known) -> Option<String> {
    let mut from = 0;
    let mut out = String::new();
    while let Some((start, end)) = next_match(text, from, known) {
        out.push_str(&text[from..start]);
        out.push_str(&known.shown);
        from = end;
    }
    if from == 0 {
        return None;
    }
    out.push_str(&text[from..]);
    Some(out)
}

/// The first match of any pattern of `known` starting at or after `from`: (start, end).
fn next_match(text: &str, from: usize, known: &Known) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut firsts: Vec<u8> = vec![b'%', b'\\', b'&'];
    for pattern in &known.patterns {
        let mut buf = [0u8; 4];
        let c = *pattern.chars.first()?;
        firsts.push(c.encode_utf8(&mut buf).as_bytes()[0]);
        if c == ' ' {
            firsts.push(b'+');
        }
    }
    let mut at = from;
    while at < bytes.len() {
        let offset = bytes[at..].iter().position(|b| firsts.contains(b))?;
        let start = at + offset;
        if text.is_char_boundary(start) {
            let best = known
                .patterns
                .iter()
                .filter_map(|p| match_at(text, start, &p.chars).map(|end| (p, end)))
                .max_by_key(|(_, end)| *end);
            if let Some((pattern, end)) = best {
                return Some(match pattern.base64 {
                    true => widen_base64(text, start, end),
                    false => (start, end),
                });
            }
        }
        at = start + 1;
    }
    None
}

/// The match widened over the letters, digits and `=` around it.
fn widen_base64(text: &str, start: usize, end: usize) -> (usize, usize) {
    let part = |b: &u8| b.is_ascii_alphanumeric() || *b == b'=';
    let bytes = text.as_bytes();
    let before = bytes[..start].iter().rev().take_while(|b| part(b)).count();
    let after = bytes[end..].iter().take_while(|b| part(b)).count();
    (start - before, end + after)
}

/// The end of the longest match of `pattern` at `start`: each character in any of its
/// encodings, with anything invisible between characters.
fn match_at(text: &str, start: usize, pattern: &[char]) -> Option<usize> {
    let mut positions = vec![start];
    for (i, &c) in pattern.iter().enumerate() {
        let mut next: Vec<usize> = Vec::new();
        for &at in &positions {
            let at = match i {
                0 => at,
                _ => skip_invisible(text, at),
            };
            for length in encodings_at(&text[at..], c) {
                if !next.contains(&(at + length)) {
                    next.push(at + length);
                }
            }
        }
        if next.is_empty() {
            return None;
        }
        positions = next;
    }
    positions.into_iter().max()
}

/// The byte lengths of the encodings of `c` that `text` starts with.
fn encodings_at(text: &str, c: char) -> Vec<usize> {
    let mut found = Vec::new();
    if text.starts_with(c) {
        found.push(c.len_utf8());
    }
    match text.as_bytes().first() {
        Some(b'%') => found.extend(percent_encoded_len(text, c)),
        Some(b'+') if c == ' ' => found.push(1),
        Some(b'\\') => {
            found.extend(json_short_escape_len(text, c));
            found.extend(json_unicode_escape_len(text, c));
        }
        Some(b'&') => found.extend(xml_reference_len(text, c)),
        Some(b'~') => found.extend(pointer_escape_len(text, c)),
        _ => {}
    }
    found
}

/// The length of `c` escaped in a JSON pointer token (`~0` for `~`, `~1` for `/`) at the
/// start of `text`: a key the gateway used as an object key reaches a failure text in the
/// pointer of the value under it (`at: /data/wbk~1…`).
fn pointer_escape_len(text: &str, c: char) -> Option<usize> {
    let escaped = match c {
        '~' => "~0",
        '/' => "~1",
        _ => return None,
    };
    text.starts_with(escaped).then_some(2)
}

/// The length of `c` percent-encoded (`%41`, either case), byte by byte of its UTF-8, at
/// the start of `text`.
fn percent_encoded_len(text: &str, c: char) -> Option<usize> {
    let mut buf = [0u8; 4];
    let utf8 = c.encode_utf8(&mut buf).as_bytes();
    let bytes = text.as_bytes();
    let percent = utf8.iter().enumerate().all(|(i, byte)| {
        bytes.get(3 * i) == Some(&b'%')
            && bytes
                .get(3 * i + 1..3 * i + 3)
                .and_then(|hex| std::str::from_utf8(hex).ok())
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                == Some(*byte)
    });
    percent.then_some(3 * utf8.len())
}

/// The letter that escapes `c` after a backslash in JSON (`n` for a newline), if any.
fn json_short_escape(c: char) -> Option<char> {
    match c {
        '"' => Some('"'),
        '\\' => Some('\\'),
        '/' => Some('/'),
        '\n' => Some('n'),
        '\t' => Some('t'),
        '\r' => Some('r'),
        '\u{8}' => Some('b'),
        '\u{c}' => Some('f'),
        _ => None,
    }
}

/// The length of JSON's two-character escape of `c` (`\n`, `\"`) at the start of `text`.
fn json_short_escape_len(text: &str, c: char) -> Option<usize> {
    let letter = json_short_escape(c)?;
    text.strip_prefix('\\')?.starts_with(letter).then_some(2)
}

/// The length of a `\uXXXX` escape of `c` at the start of `text`, also when escaped again
/// (JSON inside JSON): `\\u0077`, `\\\\u0077`.
fn json_unicode_escape_len(text: &str, c: char) -> Option<usize> {
    let bytes = text.as_bytes();
    let slashes = bytes.iter().take_while(|b| **b == b'\\').count();
    let unicode = text
        .get(slashes + 1..slashes + 5)
        .filter(|_| slashes > 0 && bytes.get(slashes) == Some(&b'u'));
    let code = unicode.and_then(|hex| u32::from_str_radix(hex, 16).ok());
    (code == Some(c as u32)).then_some(slashes + 5)
}

/// The length of an XML reference to `c` at the start of `text`: a named entity
/// (`&quot;`) or a decimal or hexadecimal character reference (`&#65;`, `&#x41;`).
fn xml_reference_len(text: &str, c: char) -> Option<usize> {
    let rest = text.strip_prefix('&')?;
    let end = rest.bytes().take(11).position(|b| b == b';')?;
    let entity = &rest[..end];
    let named = match entity {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => None,
    };
    let numeric = entity.strip_prefix('#').and_then(|n| {
        match n.strip_prefix('x').or_else(|| n.strip_prefix('X')) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => n.parse().ok(),
        }
    });
    (named == Some(c) || numeric == Some(c as u32)).then_some(end + 2)
}

/// `at` moved past any invisible characters and whole escape sequences.
fn skip_invisible(text: &str, mut at: usize) -> usize {
    use crate::sanitize::{is_control, is_invisible};
    loop {
        let rest = &text[at..];
        let Some(c) = rest.chars().next() else {
            return at;
        };
        let skipped = match c {
            '\u{1b}' | '\u{9b}' | '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => {
                escape_sequence_len(rest)
            }
            c if is_control(c) || is_invisible(c) => c.len_utf8(),
            '\\' | '&' => match escaped_invisible(rest) {
                Some(length) => length,
                None => return at,
            },
            _ => return at,
        };
        at += skipped;
    }
}

/// The length of the escape `text` starts with when it stands for an invisible character:
/// JSON's `\u001b`, the harness's own `\u{1b}` (see [`crate::sanitize::neutralise`]), XML's
/// `&#27;` or `&#x1b;`. An escaped ESC takes the rest of its sequence with it, escaped or not.
fn escaped_invisible(text: &str) -> Option<usize> {
    use crate::sanitize::{is_control, is_invisible};
    let (c, length) = decode_escape(text)?;
    if !(is_control(c) || is_invisible(c)) {
        return None;
    }
    if !matches!(c, '\u{1b}' | '\u{9b}' | '\u{9d}') {
        return Some(length);
    }
    // The rest of the sequence, decoded, with where each character ends in `text`.
    let mut raw = String::from(c);
    let mut ends = vec![(raw.len(), length)];
    let mut at = length;
    while raw.len() < 256 && at < text.len() {
        let (next, used) = match decode_escape(&text[at..]) {
            Some(decoded) => decoded,
            None => {
                let next = text[at..].chars().next()?;
                (next, next.len_utf8())
            }
        };
        raw.push(next);
        at += used;
        ends.push((raw.len(), at));
    }
    let sequence = escape_sequence_len(&raw);
    ends.iter()
        .find(|(raw_end, _)| *raw_end == sequence)
        .map(|(_, end)| *end)
}

/// The character an escape at the start of `text` stands for (`\u{..}`, `\uXXXX`, `&#..;`,
/// `\\`, `\"`, `\/`) and the escape's length.
fn decode_escape(text: &str) -> Option<(char, usize)> {
    // A `\uXXXX` escape escaped again (JSON inside JSON) has more backslashes: `\\u0077`.
    let slashes = text.bytes().take_while(|b| *b == b'\\').count();
    if slashes > 1 && text[slashes..].starts_with('u') {
        let (c, length) = decode_escape(&text[slashes - 1..])?;
        return Some((c, length + slashes - 1));
    }
    for (escape, c) in [("\\\\", '\\'), ("\\\"", '"'), ("\\/", '/')] {
        if text.starts_with(escape) {
            return Some((c, 2));
        }
    }
    let (code, length) = if let Some(rest) = text.strip_prefix("\\u{") {
        let end = rest.find('}').filter(|end| (1..=6).contains(end))?;
        (u32::from_str_radix(&rest[..end], 16).ok()?, end + 4)
    } else if let Some(rest) = text.strip_prefix("\\u") {
        (u32::from_str_radix(rest.get(..4)?, 16).ok()?, 6)
    } else {
        let rest = text.strip_prefix("&#")?;
        let end = rest.bytes().take(10).position(|b| b == b';')?;
        let code = match rest[..end].strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => rest[..end].parse().ok()?,
        };
        (code, end + 3)
    };
    Some((char::from_u32(code)?, length))
}

/// The length of the escape sequence `text` starts with (ESC or a C1 introducer): a CSI
/// up to its final byte, an OSC/DCS/SOS/PM/APC string up to BEL or ST, or ESC and the
/// characters of a short sequence. At most 256 bytes; an unfinished one is the ESC alone.
fn escape_sequence_len(text: &str) -> usize {
    let mut chars = text.char_indices();
    let (_, first) = chars.next().unwrap_or((0, '\u{1b}'));
    let kind = match first {
        '\u{1b}' => chars.next().map(|(_, c)| c),
        '\u{9b}' => Some('['),
        _ => Some(']'),
    };
    let intro = first.len_utf8() + usize::from(first == '\u{1b}' && kind.is_some());
    let body = &text[intro.min(text.len())..];
    let limit = body.len().min(256);
    let end = match kind {
        Some('[') => body[..limit]
            .char_indices()
            .find(|(_, c)| ('\u{40}'..='\u{7e}').contains(c))
            .map(|(i, _)| i + 1),
        Some(']' | 'P' | 'X' | '^' | '_') => {
            body[..limit].char_indices().find_map(|(i, c)| match c {
                '\u{7}' | '\u{9c}' => Some(i + c.len_utf8()),
                '\u{1b}' if body[i + 1..].starts_with('\\') => Some(i + 2),
                _ => None,
            })
        }
        Some(c) if ('\u{20}'..='\u{2f}').contains(&c) => body[..limit]
            .char_indices()
            .find(|(_, c)| ('\u{30}'..='\u{7e}').contains(c))
            .map(|(i, _)| i + 1),
        Some(c) if ('\u{30}'..='\u{7e}').contains(&c) => Some(0),
        _ => None,
    };
    match end {
        Some(end) => intro + end,
        None => first.len_utf8(),
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

    /// A key with every character that needs escaping somewhere.
    const ODD_KEY: &str = "wbk_\"q\\u&<>+%/=_9'Z~";

    fn odd() -> Redactor {
        let mut r = Redactor::default();
        r.add(ODD_KEY, "${K}");
        r
    }

    fn percent(text: &str, upper: bool) -> String {
        text.bytes()
            .map(|b| match upper {
                true => format!("%{b:02X}"),
                false => format!("%{b:02x}"),
            })
            .collect()
    }

    fn interleaved(text: &str, between: &str) -> String {
        let chars: Vec<String> = text.chars().map(String::from).collect();
        chars.join(between)
    }

    /// Every encoding of `key` that a gateway may echo, by name.
    fn echoed_forms(key: &str) -> Vec<(String, String)> {
        let mut forms = escaped_forms(key);
        forms.extend(base64_forms(key));
        forms.extend(interleaved_forms(key));
        forms
    }

    /// `key` as is and escaped for JSON, XML and URLs.
    fn escaped_forms(key: &str) -> Vec<(String, String)> {
        let json = serde_json::to_string(key).unwrap();
        let xml = key
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&apos;");
        vec![
            ("as is".to_string(), key.to_string()),
            ("JSON".into(), json[1..json.len() - 1].to_string()),
            (
                "JSON \\u".into(),
                key.chars()
                    .map(|c| format!("\\u{:04x}", c as u32))
                    .collect(),
            ),
            ("XML".into(), xml),
            (
                "XML numeric".into(),
                key.chars().map(|c| format!("&#{};", c as u32)).collect(),
            ),
            ("URL upper".into(), percent(key, true)),
            ("URL lower".into(), percent(key, false)),
            (
                "JSON pointer token".into(),
                key.replace('~', "~0").replace('/', "~1"),
            ),
        ]
    }

    /// Texts holding `key` at various places, in each base64 alphabet, padded or not.
    fn base64_forms(key: &str) -> Vec<(String, String)> {
        use base64::engine::general_purpose::{
            STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD,
        };
        use base64::Engine;
        let engines = [
            ("base64", &STANDARD),
            ("base64 unpadded", &STANDARD_NO_PAD),
            ("base64url", &URL_SAFE),
            ("base64url unpadded", &URL_SAFE_NO_PAD),
        ];
        let mut forms = Vec::new();
        for (name, engine) in engines {
            for (what, plain) in [
                ("key", key.to_string()),
                ("key:", format!("{key}:")),
                ("user:key", format!("user:{key}")),
                ("ab:key:x", format!("ab:{key}:x")),
                (
                    "long text",
                    format!("a much longer text around {key} and after it"),
                ),
            ] {
                forms.push((format!("{name} of {what}"), engine.encode(plain)));
            }
        }
        forms
    }

    /// `key` with an invisible character or sequence between all its characters, and with
    /// one after its fourth character only.
    fn interleaved_forms(key: &str) -> Vec<(String, String)> {
        let mut forms = Vec::new();
        for (name, between) in [
            ("ANSI colour", "\u{1b}[31m"),
            ("ANSI reset", "\u{1b}[0m"),
            ("OSC title", "\u{1b}]0;title\u{7}"),
            ("OSC ST", "\u{1b}]8;;http://x\u{1b}\\"),
            ("C1 CSI", "\u{9b}2J"),
            ("NUL", "\u{0}"),
            ("zero-width space", "\u{200b}"),
            ("zero-width joiner", "\u{200d}"),
            ("word joiner", "\u{2060}"),
            ("BOM", "\u{feff}"),
            ("soft hyphen", "\u{ad}"),
            ("RLO", "\u{202e}"),
            ("FSI", "\u{2068}"),
            ("NEL", "\u{85}"),
            ("DEL", "\u{7f}"),
            ("newline", "\n"),
        ] {
            forms.push((format!("with {name} inside"), interleaved(key, between)));
            let mid = key.char_indices().nth(4).unwrap().0;
            forms.push((
                format!("with one {name}"),
                format!("{}{between}{}", &key[..mid], &key[mid..]),
            ));
        }
        forms
    }

    #[test]
    fn every_echoed_form_of_an_odd_key_is_replaced() {
        let r = odd();
        for (name, form) in echoed_forms(ODD_KEY) {
            let text = format!("before \"{form}\" after");
            let shown = r.redact(&text);
            assert!(shown.contains("${K}"), "{name}: {form:?} → {shown:?}");
            assert!(!shown.contains(&form), "{name}: {shown:?}");
            assert_eq!(r.found_in(&text), vec!["${K}"], "{name}");
            assert!(r.found_in(&shown).is_empty(), "{name} left over: {shown:?}");
            assert!(
                shown.starts_with("before \"") && shown.ends_with("\" after"),
                "{name}: {shown:?}"
            );
        }
    }

    #[test]
    fn an_ordinary_key_is_replaced_in_every_form_too() {
        let key = "wbk_test_full_0123456789";
        let mut r = Redactor::default();
        r.add(key, "${LEADLEX_API_KEY}");
        for (name, form) in echoed_forms(key) {
            let shown = r.redact(&format!("x {form} y"));
            assert!(shown.contains("${LEADLEX_API_KEY}"), "{name}: {shown:?}");
        }
        // Space as `+`, for secrets (captures) that have one.
        let mut r = Redactor::default();
        r.add("a secret value", "${S}");
        assert_eq!(r.redact("q=a+secret%20value&x"), "q=${S}&x");
    }

    #[test]
    fn a_key_split_by_escaped_invisible_characters_is_replaced() {
        let key = "wbk_test_full_0123456789";
        let mut r = Redactor::default();
        r.add(key, "${K}");
        for between in [
            "\\u001b[0m",
            "\\u001B]0;title\\u0007",
            "\\u001b]8;;x\\u001b\\\\",
            "\\u0000",
            "\\u200b",
            "\\u{1b}[31m",
            "\\u{1b}]0;t\\u{7}",
            "\\u{9b}2J",
            "\\u{202e}",
            "&#27;[0m",
            "&#x200B;",
        ] {
            let text = format!("\"{}{between}{}\"", &key[..6], &key[6..]);
            assert_eq!(r.redact(&text), "\"${K}\"", "{between}");
        }
        // An escaped visible character is no invisible one.
        let text = format!("{}\\u0041{}", &key[..6], &key[6..]);
        assert_eq!(r.redact(&text), text);
    }

    #[test]
    fn text_without_the_key_is_left_alone() {
        let r = odd();
        for text in [
            "wbk_\"q\\u&<>+%/ and the rest",
            "plain text, 100% & <tags> \\u0041 \u{1b}[31mred\u{1b}[0m",
            "d2JrXyJxXHUmPD4rJS89X zz",
            "",
        ] {
            assert_eq!(r.redact(text), text);
            assert!(r.found_in(text).is_empty(), "{text}");
        }
    }

    #[test]
    fn a_base64_match_takes_the_whole_token_with_it() {
        use base64::Engine;
        let key = "wbk_test_full_0123456789";
        let mut r = Redactor::default();
        r.add(key, "${KEY}");
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{key}:"));
        assert_eq!(
            r.redact(&format!("Authorization: Basic {basic}\n")),
            "Authorization: Basic ${KEY}\n"
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
