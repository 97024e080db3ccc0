//! One renderer for every sink: the terminal message of a trial and the JUnit text.
//!
//! A failure reads top-down: what went wrong in one line; each broken promise with the
//! spec line that made it (and a small diff when a value differs); then, for each failed
//! step, the request and the response in full (bounded, JSON pretty-printed) and a `curl`
//! command that reproduces it with the key written as a variable reference; then a line
//! for every other exchange. Everything passes through the [`Redactor`] last.

use std::fmt::Write;

use serde_json::Value;

use crate::outcome::{Check, ExchangeSummary, Mismatch, Outcome, Verdict};
use crate::redact::{redact_json_fields, Redactor, SECRET_HEADERS};

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

/// One line: `expected 403 insufficient_permissions, got 401 invalid_key`.
/// Secrets are replaced before the line is cut, so a cut can never leave half a key.
pub fn headline(verdict: &Verdict, redactor: &Redactor) -> String {
    match verdict {
        Verdict::Passed => "passed".into(),
        Verdict::Ignored(reason) => format!("ignored: {}", redactor.redact(reason)),
        Verdict::Errored { reason, .. } => redactor.redact(reason),
        Verdict::Failed(found) => match found.as_slice() {
            [] => "failed".into(),
            [only] => one_line(only, redactor),
            [first, rest @ ..] => {
                format!("{} (and {} more)", one_line(first, redactor), rest.len())
            }
        },
    }
}

fn one_line(m: &Mismatch, redactor: &Redactor) -> String {
    let step = if m.step == "request" {
        String::new()
    } else {
        format!("{}: ", m.step)
    };
    let line = format!(
        "{step}{}: expected {}, got {}",
        m.check, m.expected, m.actual
    );
    let mut line = redactor.redact(&line);
    if line.chars().count() > 200 {
        line = format!("{}…", line.chars().take(200).collect::<String>());
    }
    line.replace('\n', " ")
}

/// The full text of a failed or errored outcome.
pub fn failure_text(outcome: &Outcome, redactor: &Redactor, options: RenderOptions) -> String {
    let redactor = redactor.merged(&outcome.secrets);
    let paint = Paint(options.color);
    let mut out = String::new();
    let mismatches = match &outcome.verdict {
        Verdict::Failed(found) => found.as_slice(),
        Verdict::Errored { mismatches, .. } => mismatches.as_slice(),
        _ => &[],
    };
    let _ = writeln!(
        out,
        "{}",
        paint.bold(&headline(&outcome.verdict, &redactor))
    );
    let _ = writeln!(out, "scenario: {} ({})", outcome.trial_name, outcome.span);
    for m in mismatches {
        write_mismatch(&mut out, m, paint);
    }
    let failed_steps: Vec<&str> = mismatches.iter().map(|m| m.step.as_str()).collect();
    let (shown, others): (Vec<_>, Vec<_>) = outcome
        .exchanges
        .iter()
        .partition(|e| failed_steps.contains(&e.step.as_str()));
    for exchange in shown {
        write_exchange(&mut out, exchange, options, paint, &redactor);
    }
    if !others.is_empty() {
        let _ = writeln!(out, "\nother exchanges:");
        for exchange in others {
            let _ = writeln!(out, "  [{}] {}", exchange.step, summary_line(exchange));
        }
    }
    redactor.redact(&out)
}

fn write_mismatch(out: &mut String, m: &Mismatch, paint: Paint) {
    let _ = writeln!(
        out,
        "\n{} {} {}",
        paint.red("✗"),
        m.step,
        paint.bold(&m.check.to_string())
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
        let _ = writeln!(out, "    at:          {pointer}");
    }
    if let Some(schema_path) = &m.schema_path {
        let _ = writeln!(out, "    schema path: {schema_path}");
    }
    let _ = writeln!(out, "    expected:    {}", m.expected);
    let _ = writeln!(out, "    actual:      {}", m.actual);
    if let Check::Equals(_) = m.check {
        if let Some(diff) = value_diff(&m.expected, &m.actual, paint) {
            let _ = writeln!(out, "    diff (- expected, + actual):");
            out.push_str(&diff);
        }
    }
}

/// A line diff of two JSON values when they are large enough for one to help.
fn value_diff(expected: &str, actual: &str, paint: Paint) -> Option<String> {
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
    for change in diff.iter_all_changes() {
        let line = change.to_string_lossy();
        let line = line.trim_end_matches('\n');
        let _ = match change.tag() {
            similar::ChangeTag::Delete => {
                writeln!(out, "      {}", paint.red(&format!("- {line}")))
            }
            similar::ChangeTag::Insert => {
                writeln!(out, "      {}", paint.green(&format!("+ {line}")))
            }
            similar::ChangeTag::Equal => writeln!(out, "        {line}"),
        };
    }
    Some(out)
}

fn summary_line(exchange: &ExchangeSummary) -> String {
    let result = match (&exchange.status, &exchange.error) {
        (Some(status), _) => status.to_string(),
        (None, Some(error)) => format!("no response: {error}"),
        (None, None) => "no response".into(),
    };
    let mut line = format!(
        "{} -> {} ({} ms)",
        exchange.request_line(),
        result,
        exchange.elapsed.as_millis()
    );
    if let Some(reason) = &exchange.retried {
        line.push_str(&format!(" [{reason}]"));
    }
    line
}

fn write_exchange(
    out: &mut String,
    e: &ExchangeSummary,
    options: RenderOptions,
    paint: Paint,
    redactor: &Redactor,
) {
    let _ = writeln!(out, "\n{} [{}]", paint.bold("── request"), e.step);
    let _ = writeln!(out, "{}", e.request_line());
    for (name, value) in &e.request_headers {
        let _ = writeln!(out, "{name}: {value}");
    }
    if let Some(body) = &e.request_body {
        let _ = writeln!(out, "\n{}", json_text(body, options.body_limit, redactor));
    }
    match e.status {
        Some(status) => {
            let _ = writeln!(
                out,
                "{} {status} ({} ms)",
                paint.bold("── response"),
                e.elapsed.as_millis()
            );
            for (name, value) in &e.response_headers {
                let shown = match SECRET_HEADERS.iter().any(|s| s.eq_ignore_ascii_case(name)) {
                    true => "[redacted]",
                    false => value.as_str(),
                };
                let _ = writeln!(out, "{name}: {shown}");
            }
            let _ = writeln!(
                out,
                "\n{}",
                body_text(&e.body, options.body_limit, redactor)
            );
        }
        None => {
            let error = e.error.as_deref().unwrap_or("no response");
            let _ = writeln!(out, "{} none: {error}", paint.bold("── response"));
        }
    }
    let _ = writeln!(out, "{}", paint.bold("── reproduce"));
    let _ = writeln!(out, "{}", curl(e));
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
    match serde_json::from_slice::<Value>(body) {
        Ok(json) => json_text(&json, limit, redactor),
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
pub fn summary(outcomes: &[Outcome], facts: &crate::junit::RunFacts) -> String {
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
        facts.target, facts.host, facts.run_id, "operation"
    );
    for (operation, [passed, failed, ignored]) in rows {
        let _ = writeln!(
            out,
            "  {operation:width$}  {passed:>6}  {failed:>6}  {ignored:>7}"
        );
    }
    out
}

/// ANSI styling, or none.
#[derive(Clone, Copy)]
struct Paint(bool);

impl Paint {
    fn wrap(self, code: &str, text: &str) -> String {
        match self.0 {
            true => format!("\x1b[{code}m{text}\x1b[0m"),
            false => text.to_string(),
        }
    }
    fn bold(self, text: &str) -> String {
        self.wrap("1", text)
    }
    fn red(self, text: &str) -> String {
        self.wrap("31", text)
    }
    fn green(self, text: &str) -> String {
        self.wrap("32", text)
    }
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
            Paint(false),
            &Redactor::default(),
        );
        assert!(
            out.contains("Set-Cookie: [redacted]") && !out.contains("session=abc"),
            "{out}"
        );
    }

    #[test]
    fn multi_line_values_get_a_diff() {
        let diff = value_diff(r#"{"a":1,"b":2}"#, r#"{"a":1,"b":3}"#, Paint(false)).unwrap();
        assert!(
            diff.contains("-   \"b\": 2") && diff.contains("+   \"b\": 3"),
            "{diff}"
        );
        assert!(value_diff("\"x\"", "\"y\"", Paint(false)).is_none());
    }
}
