//! One renderer for every sink: the terminal message of a trial and the JUnit text.
//!
//! A failure reads top-down: what went wrong in one line; each broken promise with the
//! spec line that made it (and a small diff when a value differs); then, for each failed
//! step, the request and the response in full (bounded, JSON pretty-printed) and a `curl`
//! command that reproduces it with the key written as a variable reference; then a line
//! for every other exchange.
//!
//! What a gateway sent is never shown as it came: every value is redacted ([`Redactor`])
//! while still raw, then cut to its limit, and the whole text is neutralised
//! ([`crate::sanitize`]) and cut to [`FAILURE_TEXT_LIMIT`]. Colour is added after all of
//! that, by line, so no escape sequence in it can come from the gateway.
//!
//! Limits, in characters unless said otherwise: each value shown (ids, URLs, header names
//! and values, expected and actual values, pointers, error messages) [`VALUE_LIMIT`];
//! bodies `LEADLEX_REPORT_BODY_LIMIT`; each `curl` command [`CURL_LIMIT`]; the headline
//! [`HEADLINE_LIMIT`]; requests shown in full [`MAX_FULL_EXCHANGES`] per trial and other
//! exchanges listed [`MAX_OTHER_EXCHANGES`]; the whole text of one trial
//! [`FAILURE_TEXT_LIMIT`] bytes.

use std::fmt::Write;

use serde_json::Value;

use crate::outcome::{Check, ExchangeSummary, Mismatch, Outcome, Verdict};
use crate::sanitize::neutralise;
use crate::secrets::redact::{redact_json_fields, Redactor, SECRET_HEADERS};

/// Characters of each value shown: ids, URLs, header names and values, expected and
/// actual values, pointers, error messages.
pub const VALUE_LIMIT: usize = 500;
/// Characters of each `curl` command.
pub const CURL_LIMIT: usize = 2000;
/// Characters of a failure's one-line headline (the JUnit `message`).
pub const HEADLINE_LIMIT: usize = 200;
/// Bytes of the whole failure text of one trial (terminal and JUnit alike).
pub const FAILURE_TEXT_LIMIT: usize = 64 * 1024;
/// Requests of the failed steps shown in full (the last ones); earlier ones are listed.
pub const MAX_FULL_EXCHANGES: usize = 5;
/// Lines listing the other exchanges of a trial.
pub const MAX_OTHER_EXCHANGES: usize = 50;
/// Reasons, such as why a trial was ignored or could not be judged.
pub const REASON_LIMIT: usize = 1000;

/// How much to show, and whether to colour it (terminals only; never JUnit).
#[derive(Clone, Copy, Debug)]
pub struct RenderOptions {
    /// Bodies are cut after this many characters.
    pub body_limit: usize,
    pub color: bool,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            body_limit: 4000,
            color: false,
        }
    }
}

/// One line: `expected 403 insufficient_permissions, got 401 invalid_key`, redacted,
/// neutralised and bounded. Secrets are replaced before the line is cut, so a cut can never
/// leave half a key.
pub fn headline(verdict: &Verdict, redactor: &Redactor) -> String {
    let line = match verdict {
        Verdict::Passed => "passed".into(),
        Verdict::Ignored(reason) => format!("ignored: {}", reason_text(reason, redactor)),
        Verdict::Errored { reason, .. } => reason_text(reason, redactor),
        Verdict::Failed(found) => match found.as_slice() {
            [] => "failed".into(),
            [only] => one_line(only, redactor),
            [first, rest @ ..] => {
                format!("{} (and {} more)", one_line(first, redactor), rest.len())
            }
        },
    };
    neutralise(&line)
}

/// A reason (ignored, errored) as shown: redacted, bounded, neutralised.
pub fn reason_text(reason: &str, redactor: &Redactor) -> String {
    neutralise(&clip(&redactor.redact(reason), REASON_LIMIT))
}

fn one_line(m: &Mismatch, redactor: &Redactor) -> String {
    let step = if m.step == "request" {
        String::new()
    } else {
        format!("{}: ", clip(&m.step, VALUE_LIMIT))
    };
    let line = format!(
        "{step}{}: expected {}, got {}",
        clip(&m.check.to_string(), VALUE_LIMIT),
        clip(&redactor.redact(&m.expected), HEADLINE_LIMIT),
        clip(&redactor.redact(&m.actual), HEADLINE_LIMIT),
    );
    let mut line = redactor.redact(&line);
    if line.chars().count() > HEADLINE_LIMIT {
        line = format!("{}…", line.chars().take(HEADLINE_LIMIT).collect::<String>());
    }
    line.replace('\n', " ")
}

/// Text for a terminal or a report: secrets replaced while the text is raw, then every
/// character that could act on a terminal or break XML written as an escape.
pub fn safe_text(text: &str, redactor: &Redactor) -> String {
    neutralise(&redactor.redact(text))
}

/// A JSON document for a report: every string in it (names too) passed through
/// [`safe_text`] and cut to [`VALUE_LIMIT`]; everything else, order and layout included,
/// is kept. Text that is not JSON is passed through [`safe_text`] whole.
pub fn safe_json(json: &str, redactor: &Redactor) -> String {
    if serde_json::from_str::<serde::de::IgnoredAny>(json).is_err() {
        return safe_text(json, redactor);
    }
    let mut out = String::with_capacity(json.len());
    let mut rest = json;
    while let Some(open) = rest.find('"') {
        out.push_str(&rest[..open]);
        let literal = &rest[open..];
        // The closing quote: the first one not escaped by a backslash.
        let mut escaped = false;
        let close = literal[1..].char_indices().find_map(|(i, c)| {
            let found = c == '"' && !escaped;
            escaped = c == '\\' && !escaped;
            found.then_some(i + 1)
        });
        let Some(close) = close else {
            out.push_str(literal);
            return out;
        };
        let shown = serde_json::from_str::<String>(&literal[..=close])
            .map(|text| neutralise(&clip(&redactor.redact(&text), VALUE_LIMIT)))
            .and_then(|text| serde_json::to_string(&text));
        match shown {
            Ok(shown) => out.push_str(&shown),
            Err(_) => out.push_str(&safe_text(&literal[..=close], redactor)),
        }
        rest = &literal[close + 1..];
    }
    out.push_str(rest);
    out
}

/// `text` cut to `limit` characters, with a note saying how much was left out.
pub fn clip(text: &str, limit: usize) -> String {
    match text.char_indices().nth(limit) {
        None => text.to_string(),
        Some((at, _)) => format!(
            "{}… ({} more characters not shown)",
            &text[..at],
            text[at..].chars().count()
        ),
    }
}

/// The full text of a failed or errored outcome: redacted, neutralised, bounded, and
/// coloured (when `options.color`) only after all of that.
pub fn failure_text(outcome: &Outcome, redactor: &Redactor, options: RenderOptions) -> String {
    let redactor = redactor.merged(&outcome.secrets);
    let mut out = String::new();
    let mismatches = match &outcome.verdict {
        Verdict::Failed(found) => found.as_slice(),
        Verdict::Errored { mismatches, .. } => mismatches.as_slice(),
        _ => &[],
    };
    let _ = writeln!(out, "{}", headline(&outcome.verdict, &redactor));
    let _ = writeln!(out, "scenario: {} ({})", outcome.trial_name, outcome.span);
    for m in mismatches {
        write_mismatch(&mut out, m, &redactor);
    }
    let failed_steps: Vec<&str> = mismatches.iter().map(|m| m.step.as_str()).collect();
    let (shown, mut others): (Vec<_>, Vec<_>) = outcome
        .exchanges
        .iter()
        .partition(|e| failed_steps.contains(&e.step.as_str()));
    let listed = shown.len().saturating_sub(MAX_FULL_EXCHANGES);
    others.splice(0..0, shown[..listed].iter().copied());
    for exchange in &shown[listed..] {
        write_exchange(&mut out, exchange, options, &redactor);
    }
    if !others.is_empty() {
        let _ = writeln!(out, "\nother exchanges:");
        for exchange in others.iter().take(MAX_OTHER_EXCHANGES) {
            let line = format!("[{}] {}", exchange.step, summary_line(exchange, &redactor));
            let _ = writeln!(out, "  {}", clip(&line, 2 * VALUE_LIMIT));
        }
        if others.len() > MAX_OTHER_EXCHANGES {
            let _ = writeln!(
                out,
                "  … and {} more (at most {MAX_OTHER_EXCHANGES} are listed)",
                others.len() - MAX_OTHER_EXCHANGES
            );
        }
    }
    let text = cap(safe_text(&out, &redactor), FAILURE_TEXT_LIMIT);
    match options.color {
        true => colour(&text),
        false => text,
    }
}

/// Each line of `text` cut to `limit` characters (see [`clip`]).
pub fn clip_lines(text: &str, limit: usize) -> String {
    text.split_inclusive('\n')
        .map(|line| match line.strip_suffix('\n') {
            Some(body) => format!("{}\n", clip(body, limit)),
            None => clip(line, limit),
        })
        .collect()
}

/// `text` cut to at most `limit` bytes (at a character boundary), with a note.
fn cap(mut text: String, limit: usize) -> String {
    if text.len() <= limit {
        return text;
    }
    let mut at = limit;
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let left = text.len() - at;
    text.truncate(at);
    text.push_str(&format!(
        "\n… {left} more bytes of this failure not shown (the text of one trial is limited \
         to {} KiB)\n",
        limit / 1024
    ));
    text
}

/// Colour for a terminal, added by line to text that is already neutralised: the
/// headline and section rules bold, a broken promise's mark red, diff lines red and green.
fn colour(text: &str) -> String {
    const BOLD: &str = "\u{1b}[1m";
    const RED: &str = "\u{1b}[31m";
    const GREEN: &str = "\u{1b}[32m";
    const RESET: &str = "\u{1b}[0m";
    let mut out = String::with_capacity(text.len() + 256);
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let (body, end) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        if i == 0 || body.starts_with("── ") {
            out.push_str(&format!("{BOLD}{body}{RESET}{end}"));
        } else if let Some(rest) = body.strip_prefix("✗ ") {
            out.push_str(&format!("{RED}✗{RESET} {BOLD}{rest}{RESET}{end}"));
        } else if body.starts_with("      - ") {
            out.push_str(&format!("{RED}{body}{RESET}{end}"));
        } else if body.starts_with("      + ") {
            out.push_str(&format!("{GREEN}{body}{RESET}{end}"));
        } else {
            out.push_str(line);
        }
    }
    out
}

fn write_mismatch(out: &mut String, m: &Mismatch, redactor: &Redactor) {
    let value = |text: &str| clip(&redactor.redact(text), VALUE_LIMIT);
    let _ = writeln!(
        out,
        "\n✗ {} {}",
        value(&m.step),
        value(&m.check.to_string())
    );
    if !m.span.file.is_empty() {
        let label = match m.check {
            Check::Transport | Check::Capture(_) | Check::Ownership | Check::StubNoRoute => {
                "step at:    "
            }
            _ => "promised at:",
        };
        let _ = writeln!(out, "    {label} {}", m.span);
    }
    if let Some(pointer) = &m.pointer {
        let _ = writeln!(out, "    at:          {}", value(pointer));
    }
    if let Some(schema_path) = &m.schema_path {
        let _ = writeln!(out, "    schema path: {}", value(schema_path));
    }
    let _ = writeln!(out, "    expected:    {}", value(&m.expected));
    let _ = writeln!(out, "    actual:      {}", value(&m.actual));
    if let Check::Equals(_) = m.check {
        let (expected, actual) = (redactor.redact(&m.expected), redactor.redact(&m.actual));
        if let Some(diff) = value_diff(&expected, &actual) {
            let _ = writeln!(out, "    diff (- expected, + actual):");
            out.push_str(&diff);
        }
    }
}

/// Values larger than this (in bytes) get no diff: it would be slow and cut anyway.
const DIFF_INPUT_LIMIT: usize = 20_000;
/// Lines of a diff shown.
const DIFF_LINES: usize = 200;

/// A line diff of two JSON values when they are large enough for one to help.
fn value_diff(expected: &str, actual: &str) -> Option<String> {
    if expected.len() > DIFF_INPUT_LIMIT || actual.len() > DIFF_INPUT_LIMIT {
        return None;
    }
    let pretty = |text: &str| {
        serde_json::from_str::<Value>(text)
            .ok()
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
            .unwrap_or_else(|| text.to_string())
    };
    let (expected, actual) = (pretty(expected), pretty(actual));
    if expected.lines().count() < 2 && actual.lines().count() < 2 {
        return None;
    }
    let diff = similar::TextDiff::from_lines(&expected, &actual);
    let mut out = String::new();
    for (i, change) in diff.iter_all_changes().enumerate() {
        if i == DIFF_LINES {
            let _ = writeln!(
                out,
                "      … (at most {DIFF_LINES} lines of a diff are shown)"
            );
            break;
        }
        let line = change.to_string_lossy();
        let line = clip(line.trim_end_matches('\n'), VALUE_LIMIT);
        let _ = match change.tag() {
            similar::ChangeTag::Delete => writeln!(out, "      - {line}"),
            similar::ChangeTag::Insert => writeln!(out, "      + {line}"),
            similar::ChangeTag::Equal => writeln!(out, "        {line}"),
        };
    }
    Some(out)
}

fn summary_line(exchange: &ExchangeSummary, redactor: &Redactor) -> String {
    let value = |text: &str| clip(&redactor.redact(text), VALUE_LIMIT);
    let result = match (&exchange.status, &exchange.error) {
        (Some(status), _) => status.to_string(),
        (None, Some(error)) => format!("no response: {}", value(error)),
        (None, None) => "no response".into(),
    };
    let mut line = format!(
        "{} -> {} ({} ms)",
        value(&exchange.request_line()),
        result,
        exchange.elapsed.as_millis()
    );
    if let Some(reason) = &exchange.retried {
        line.push_str(&format!(" [{}]", value(reason)));
    }
    line
}

/// One exchange in full: the request, the response (or why none came) and a command
/// that reproduces it.
fn write_exchange(
    out: &mut String,
    e: &ExchangeSummary,
    options: RenderOptions,
    redactor: &Redactor,
) {
    let value = |text: &str| clip(&redactor.redact(text), VALUE_LIMIT);
    let _ = writeln!(out, "\n── request [{}]", value(&e.step));
    let _ = writeln!(out, "{}", value(&e.request_line()));
    for (name, header) in &e.request_headers {
        let _ = writeln!(out, "{}: {}", value(name), value(header));
    }
    if let Some(body) = &e.request_body {
        let _ = writeln!(out, "\n{}", json_text(body, options.body_limit, redactor));
    }
    write_response(out, e, options, redactor);
    write_reproduce(out, e, redactor);
}

/// The response section of an exchange: status, headers (secret ones hidden) and body,
/// or the error that stood for a response.
fn write_response(
    out: &mut String,
    e: &ExchangeSummary,
    options: RenderOptions,
    redactor: &Redactor,
) {
    let value = |text: &str| clip(&redactor.redact(text), VALUE_LIMIT);
    let Some(status) = e.status else {
        let error = e.error.as_deref().unwrap_or("no response");
        let _ = writeln!(out, "── response none: {}", value(error));
        return;
    };
    let _ = writeln!(out, "── response {status} ({} ms)", e.elapsed.as_millis());
    for (name, header) in &e.response_headers {
        let shown = match SECRET_HEADERS.iter().any(|s| s.eq_ignore_ascii_case(name)) {
            true => "[redacted]".to_string(),
            false => value(header),
        };
        let _ = writeln!(out, "{}: {shown}", value(name));
    }
    let _ = writeln!(
        out,
        "\n{}",
        body_text(&e.body, options.body_limit, redactor)
    );
}

/// The reproduce section of an exchange: its [`curl`] command, redacted, cut at
/// [`CURL_LIMIT`] characters.
fn write_reproduce(out: &mut String, e: &ExchangeSummary, redactor: &Redactor) {
    let _ = writeln!(out, "── reproduce");
    let command = redactor.redact(&curl(e));
    match command.char_indices().nth(CURL_LIMIT) {
        None => {
            let _ = writeln!(out, "{command}");
        }
        Some((at, _)) => {
            let _ = writeln!(
                out,
                "{}…\n(the command is cut: it is longer than {CURL_LIMIT} characters)",
                &command[..at]
            );
        }
    }
}

/// A `curl` command that sends the same request; keys stay variable references.
pub fn curl(e: &ExchangeSummary) -> String {
    let mut parts = vec![format!("curl -X {} {}", e.method, shell_quote(&e.url))];
    for (name, value) in &e.request_headers {
        let header = format!("{name}: {value}");
        // A `$VARIABLE` reference must stay expandable, so it goes in double quotes.
        let quoted = match value.contains('$') && !header.contains(['"', '\\', '`']) {
            true => format!("\"{header}\""),
            false => shell_quote(&header),
        };
        parts.push(format!("-H {quoted}"));
    }
    if let Some(body) = &e.request_body {
        parts.push(format!("--data {}", shell_quote(&body.to_string())));
    }
    parts.join(" \\\n  ")
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

fn json_text(value: &Value, limit: usize, redactor: &Redactor) -> String {
    let shown = redact_json_fields(value);
    let text = serde_json::to_string_pretty(&shown).unwrap_or_default();
    bounded(redactor.redact(&text), limit)
}

/// A body as people read it: pretty JSON (secret fields hidden), or text, or a note that
/// it is empty; cut at `limit` characters with a note saying so.
/// Secrets are replaced before the text is cut.
pub fn body_text(body: &[u8], limit: usize, redactor: &Redactor) -> String {
    if body.is_empty() {
        return "(empty body)".into();
    }
    match crate::engine::check::parse_json_checked(body) {
        Ok(checked) => match checked.repeated {
            // Shown parsed (so secret fields stay hidden), with a warning that says what
            // the parse lost.
            Some((pointer, key)) => format!(
                "(this body repeats the key {key:?} in {}: shown as JSON parsers read it, \
                 with the last value only)\n{}",
                if pointer.is_empty() { "/" } else { &pointer },
                json_text(&checked.value, limit, redactor)
            ),
            None => json_text(&checked.value, limit, redactor),
        },
        Err(_) => bounded(redactor.redact(&String::from_utf8_lossy(body)), limit),
    }
}

fn bounded(text: String, limit: usize) -> String {
    let total = text.chars().count();
    if total <= limit {
        return text;
    }
    let cut: String = text.chars().take(limit).collect();
    format!(
        "{cut}\n… {} more characters not shown (the limit is {limit}: set LEADLEX_REPORT_BODY_LIMIT to see more)",
        total - limit
    )
}

/// The end-of-run table: passed, failed and ignored per operation.
pub fn summary(outcomes: &[Outcome], facts: &crate::outcome::RunFacts) -> String {
    let mut rows: std::collections::BTreeMap<&str, [usize; 3]> = Default::default();
    for outcome in outcomes {
        let row = rows.entry(&outcome.operation_id).or_default();
        match outcome.verdict {
            Verdict::Passed => row[0] += 1,
            Verdict::Failed(_) | Verdict::Errored { .. } => row[1] += 1,
            Verdict::Ignored(_) => row[2] += 1,
        }
    }
    let width = rows
        .keys()
        .map(|k| k.len())
        .max()
        .unwrap_or(0)
        .max("operation".len());
    let mut out = format!(
        "conformance summary ({} at {}, run {}):\n  {:width$}  passed  failed  ignored\n",
        facts.target,
        neutralise(&clip(&facts.host, VALUE_LIMIT)),
        facts.run_id,
        "operation"
    );
    for (operation, [passed, failed, ignored]) in rows {
        let _ = writeln!(
            out,
            "  {operation:width$}  {passed:>6}  {failed:>6}  {ignored:>7}"
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::Duration;

    fn exchange() -> ExchangeSummary {
        ExchangeSummary {
            step: "request".into(),
            operation: "contacts.create".into(),
            method: "POST".into(),
            url: "https://gw.example/v1/contacts".into(),
            request_headers: vec![("Authorization".into(), "Bearer $LEADLEX_API_KEY".into())],
            request_body: Some(json!({"full_name": "O'Brien"})),
            status: Some(201),
            response_headers: vec![("Set-Cookie".into(), "session=abc".into())],
            body: br#"{"data": {"token": "t0k3n", "id": 1}}"#.to_vec(),
            elapsed: Duration::from_millis(3),
            error: None,
            retried: None,
        }
    }

    #[test]
    fn curl_keeps_the_key_a_reference_and_quotes_the_rest() {
        assert_eq!(
            curl(&exchange()),
            "curl -X POST 'https://gw.example/v1/contacts' \\\n  -H \"Authorization: Bearer $LEADLEX_API_KEY\" \\\n  --data '{\"full_name\":\"O'\\''Brien\"}'"
        );
    }

    #[test]
    fn bodies_are_pretty_bounded_and_hide_secret_fields() {
        let none = Redactor::default();
        let text = body_text(&exchange().body, 4000, &none);
        assert!(
            text.contains("\"token\": \"[redacted]\"") && text.contains("\"id\": 1"),
            "{text}"
        );
        let long = body_text(&[b'x'; 50], 10, &none);
        assert!(
            long.starts_with("xxxxxxxxxx\n… 40 more characters not shown (the limit is 10"),
            "{long}"
        );
        assert_eq!(body_text(b"", 10, &none), "(empty body)");
        let mut keys = Redactor::default();
        keys.add("wbk_secret_key", "${KEY}");
        let cut = body_text(b"aaaaaaaaaaaaaaaaaaaawbk_secret_key", 25, &keys);
        assert!(
            cut.starts_with("aaaaaaaaaaaaaaaaaaaa${KEY"),
            "redacted before the cut: {cut}"
        );
    }

    #[test]
    fn secret_response_headers_are_hidden() {
        let mut out = String::new();
        write_exchange(
            &mut out,
            &exchange(),
            RenderOptions::default(),
            &Redactor::default(),
        );
        assert!(
            out.contains("Set-Cookie: [redacted]") && !out.contains("session=abc"),
            "{out}"
        );
    }

    fn failed(actual: &str, exchanges: Vec<ExchangeSummary>) -> Outcome {
        Outcome {
            trial_name: "contacts/delete.yaml::x".into(),
            operation_id: "contacts.delete".into(),
            scenario: "x".into(),
            span: Default::default(),
            started: std::time::SystemTime::now(),
            duration: Duration::ZERO,
            verdict: Verdict::Failed(vec![Mismatch {
                step: "request".into(),
                check: Check::ErrorCode,
                expected: "insufficient_permissions".into(),
                actual: actual.into(),
                pointer: Some("/error/code".into()),
                schema_path: None,
                span: Default::default(),
            }]),
            exchanges,
            secrets: Redactor::default(),
            left_behind: Vec::new(),
        }
    }

    #[test]
    fn failure_text_is_bounded_whatever_the_gateway_sends() {
        let huge = "x".repeat(1_000_000);
        let mut big = exchange();
        big.url = format!("https://gw.example/v1/contacts/{huge}");
        big.response_headers = vec![(huge.clone(), huge.clone())];
        big.body = format!("{{\"error\": {{\"code\": \"{huge}\"}}}}").into_bytes();
        let mut exchanges = vec![big.clone(); 6];
        let long = "y".repeat(10_000);
        for i in 0..300 {
            let mut other = exchange();
            other.step = format!("verify[{i}]");
            other.url = format!("https://gw.example/{long}");
            other.error = Some(long.clone());
            other.retried = Some(long.clone());
            exchanges.push(other);
        }
        let text = failure_text(
            &failed(&huge, exchanges),
            &Redactor::default(),
            RenderOptions::default(),
        );
        assert!(text.len() <= FAILURE_TEXT_LIMIT + 200, "{}", text.len());
        assert!(
            text.ends_with("(the text of one trial is limited to 64 KiB)\n"),
            "{}",
            &text[text.len() - 300..]
        );
        let head = &text[..4000];
        assert!(head.contains("more characters not shown"), "{head}");
        // Few exchanges in full, a bounded list of the others.
        let small = failure_text(
            &failed("forbidden", vec![exchange(); 300]),
            &Redactor::default(),
            RenderOptions::default(),
        );
        assert_eq!(small.matches("── reproduce").count(), MAX_FULL_EXCHANGES);
        assert!(
            small.contains("  … and 245 more (at most 50 are listed)"),
            "{small}"
        );
    }

    #[test]
    fn gateway_escapes_are_inert_and_colour_comes_only_from_the_harness() {
        let mut keys = Redactor::default();
        keys.add("wbk_secret_key_123", "${KEY}");
        let actual = "forbidden\u{1b}]0;title\u{7}\u{1b}[2J\u{9b}1m wbk_se\u{1b}[0mcret_key_123";
        for color in [false, true] {
            let options = RenderOptions {
                body_limit: 4000,
                color,
            };
            let text = failure_text(&failed(actual, vec![exchange()]), &keys, options);
            assert!(
                text.contains("forbidden\\u{1b}]0;title\\u{7}\\u{1b}[2J\\u{9b}1m ${KEY}"),
                "{text}"
            );
            let ours: Vec<&str> = text
                .split('\u{1b}')
                .skip(1)
                .map(|s| &s[..s.find('m').unwrap() + 1])
                .collect();
            assert!(
                ours.iter()
                    .all(|s| ["[0m", "[1m", "[31m", "[32m"].contains(s)),
                "{ours:?}"
            );
            assert_eq!(ours.is_empty(), !color);
            assert!(!text.contains('\u{9b}'));
        }
    }

    #[test]
    fn json_reports_keep_their_layout_and_get_safe_strings() {
        let mut keys = Redactor::default();
        keys.add("wbk_secret_key_123", "${KEY}");
        let json = "{\n  \"z\": \"a \\\"quoted\\\" wbk_se\\u001b[0mcret_key_123\",\n  \"a\": [1, \"\\u009b2J\u{202e}\"]\n}";
        assert_eq!(
            safe_json(json, &keys),
            "{\n  \"z\": \"a \\\"quoted\\\" ${KEY}\",\n  \"a\": [1, \"\\\\u{9b}2J\\\\u{202e}\"]\n}"
        );
        let long = format!("{{\"id\": \"{}\"}}", "x".repeat(10_000));
        assert!(safe_json(&long, &keys).len() < VALUE_LIMIT + 100);
    }

    #[test]
    fn multi_line_values_get_a_diff() {
        let diff = value_diff(r#"{"a":1,"b":2}"#, r#"{"a":1,"b":3}"#).unwrap();
        assert!(
            diff.contains("-   \"b\": 2") && diff.contains("+   \"b\": 3"),
            "{diff}"
        );
        assert!(value_diff("\"x\"", "\"y\"").is_none());
    }
}
