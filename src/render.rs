//! One renderer for every sink: the terminal message of a trial and the JUnit text.
//!
//! A failure reads top-down: what went wrong in one line, then each broken promise with
//! the spec line that made it, then the exchanges with pretty-printed, bounded bodies.
//! Everything passes through the [`Redactor`] last.

use std::fmt::Write;

use crate::outcome::{ExchangeSummary, Mismatch, Outcome, Verdict};
use crate::redact::Redactor;

/// Bodies are cut after this many characters in messages.
pub const BODY_LIMIT: usize = 2000;

/// One line: `expected 403 insufficient_permissions, got 401 invalid_key`.
pub fn headline(verdict: &Verdict) -> String {
    match verdict {
        Verdict::Passed => "passed".into(),
        Verdict::Ignored(reason) => format!("ignored: {reason}"),
        Verdict::Errored { reason, .. } => reason.clone(),
        Verdict::Failed(found) => match found.as_slice() {
            [] => "failed".into(),
            [only] => one_line(only),
            [first, rest @ ..] => format!("{} (and {} more)", one_line(first), rest.len()),
        },
    }
}

fn one_line(m: &Mismatch) -> String {
    let step = if m.step == "request" {
        String::new()
    } else {
        format!("{}: ", m.step)
    };
    format!(
        "{step}{}: expected {}, got {}",
        m.check, m.expected, m.actual
    )
}

/// The full text of a failed or errored outcome.
pub fn failure_text(outcome: &Outcome, redactor: &Redactor) -> String {
    let mut out = String::new();
    let mismatches = match &outcome.verdict {
        Verdict::Failed(found) => found.as_slice(),
        Verdict::Errored { mismatches, .. } => mismatches.as_slice(),
        _ => &[],
    };
    let _ = writeln!(out, "{}", headline(&outcome.verdict));
    let _ = writeln!(out, "scenario: {} ({})", outcome.trial_name, outcome.span);
    for m in mismatches {
        let _ = writeln!(out, "\n✗ {} {}", m.step, m.check);
        if !m.span.file.is_empty() {
            let _ = writeln!(out, "    promised at: {}", m.span);
        }
        if let Some(pointer) = &m.pointer {
            let _ = writeln!(out, "    at:          {pointer}");
        }
        if let Some(schema_path) = &m.schema_path {
            let _ = writeln!(out, "    schema path: {schema_path}");
        }
        let _ = writeln!(out, "    expected:    {}", m.expected);
        let _ = writeln!(out, "    actual:      {}", m.actual);
    }
    if !outcome.exchanges.is_empty() {
        let _ = writeln!(out, "\nexchanges (bodies shown for the steps that failed):");
        for exchange in &outcome.exchanges {
            let failed = mismatches.iter().any(|m| m.step == exchange.step);
            write_exchange(&mut out, exchange, failed);
        }
    }
    redactor.redact(&out)
}

fn write_exchange(out: &mut String, exchange: &ExchangeSummary, with_body: bool) {
    let status = exchange
        .status
        .map_or_else(|| "no response".to_string(), |s| s.to_string());
    let _ = writeln!(
        out,
        "  [{}] {} -> {} ({} ms)",
        exchange.step,
        exchange.request_line,
        status,
        exchange.elapsed.as_millis()
    );
    if exchange.status.is_some() && with_body {
        if let Some(content_type) = &exchange.content_type {
            let _ = writeln!(out, "      Content-Type: {content_type}");
        }
        for line in body_text(&exchange.body).lines() {
            let _ = writeln!(out, "      {line}");
        }
    }
}

/// A body as people read it: pretty JSON, or text, or a note that it is empty or binary.
pub fn body_text(body: &[u8]) -> String {
    if body.is_empty() {
        return "(empty body)".into();
    }
    let text = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(json) => serde_json::to_string_pretty(&json).unwrap_or_default(),
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    };
    let total = text.chars().count();
    if total <= BODY_LIMIT {
        text
    } else {
        let cut: String = text.chars().take(BODY_LIMIT).collect();
        format!(
            "{cut}\n… ({} more characters not shown)",
            total - BODY_LIMIT
        )
    }
}
