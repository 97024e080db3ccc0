//! Text from a gateway made safe to show: on a terminal, in a pipe, in XML 1.0.
//!
//! A gateway decides what its bodies, headers, error codes and ids contain. Shown as they
//! are, they could move the cursor, clear the screen, retitle the window or hide a link
//! behind an escape sequence, reverse the reading order of a line (bidi overrides), hide
//! characters (zero-width), or make a JUnit report that no XML parser accepts (NUL,
//! U+FFFF). [`neutralise`] writes each such character as a visible escape, `\u{1b}`, so
//! every escape sequence is inert and the text stays readable; [`restore`] undoes those
//! escapes, for the leak check that must see what a reader's tools would decode.
//!
//! The same goes for a CI runner reading a log: GitHub Actions reads a line that starts
//! with `::` as a workflow command, and the legacy form `##[command]data` anywhere in a
//! line. The first is kept off while gateway text is printed (the run pauses workflow
//! commands); the second could still be read from text printed after the pause or piped
//! through another tool (`--outcomes json | jq`), so [`neutralise`] writes the `[` of
//! `##[` as `\u{5b}`.
//!
//! Order matters: secrets are redacted from the raw text first (a key split by an escape
//! sequence is still one key there), then the text is neutralised, then it is cut to its
//! limit, and colour, if any, is added last by the harness itself.

/// `text` with every character that could act on a terminal or break XML 1.0 written as
/// `\u{..}`: C0 controls but `\n` and `\t` (so `\r` and ESC too), DEL, C1 controls
/// (U+0080..U+009F, CSI U+009B among them), bidi controls, zero-width and other invisible
/// characters, line and paragraph separators, and non-characters (U+FFFE, U+FFFF, …);
/// and the `[` of `##[`, which would start a legacy GitHub Actions workflow command.
pub fn neutralise(text: &str) -> String {
    if !text.chars().any(needs_escape) && !text.contains(LEGACY_COMMAND) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if needs_escape(c) || (c == '[' && out.ends_with("##")) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// How a legacy GitHub Actions workflow command starts, wherever it is in a line
/// (`##[error]text`).
const LEGACY_COMMAND: &str = "##[";

/// Whether `c` is shown escaped by [`neutralise`] (the `[` of `##[` aside).
pub fn needs_escape(c: char) -> bool {
    match c {
        '\n' | '\t' => false,
        _ => is_control(c) || is_invisible(c) || is_noncharacter(c),
    }
}

/// C0 controls, DEL and C1 controls.
pub fn is_control(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
}

/// Characters that show nothing, or change how their neighbours show: zero-width
/// characters, the soft hyphen, word joiners and invisible operators, the byte-order mark,
/// bidi marks, embeddings, overrides and isolates, line and paragraph separators, and
/// interlinear annotation marks.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{ad}'
            | '\u{34f}'
            | '\u{61c}'
            | '\u{115f}'..='\u{1160}'
            | '\u{17b4}'..='\u{17b5}'
            | '\u{180b}'..='\u{180f}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}'
            | '\u{3164}'
            | '\u{fe00}'..='\u{fe0f}'
            | '\u{feff}'
            | '\u{ffa0}'
            | '\u{fff0}'..='\u{fffb}'
            | '\u{e0000}'..='\u{e0fff}'
    )
}

/// Unicode non-characters: U+FDD0..U+FDEF and the last two code points of every plane
/// (U+FFFE and U+FFFF are not allowed in XML 1.0 at all).
pub fn is_noncharacter(c: char) -> bool {
    let n = c as u32;
    (0xfdd0..=0xfdef).contains(&n) || n & 0xfffe == 0xfffe
}

/// Undoes [`neutralise`]: every `\u{..}` escape (also with its backslash doubled, as a JSON
/// file holds it) becomes its character again. Other text is kept as is.
pub fn restore(text: &str) -> String {
    if !text.contains("\\u{") {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("\\u{") {
        let after = &rest[at + 3..];
        let decoded = after
            .find('}')
            .filter(|end| (1..=6).contains(end))
            .and_then(|end| {
                let code = u32::from_str_radix(&after[..end], 16).ok()?;
                Some((char::from_u32(code)?, end))
            });
        match decoded {
            Some((c, end)) => {
                // A JSON file writes the escape's backslash as `\\`.
                let start = match rest[..at].ends_with('\\') {
                    true => at - 1,
                    false => at,
                };
                out.push_str(&rest[..start]);
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[..at + 3]);
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

    #[test]
    fn escape_sequences_and_invisible_characters_are_shown_escaped() {
        let hostile = "a\u{1b}[2J\u{1b}]0;title\u{7}b\u{9b}31mc\u{202e}d\u{2066}e\u{200b}f\u{ad}g\
                       \u{feff}h\u{fffe}\u{ffff}\u{0}\r\u{7f}\u{85}\u{2028}\u{1fffe}";
        let shown = neutralise(hostile);
        assert_eq!(
            shown,
            "a\\u{1b}[2J\\u{1b}]0;title\\u{7}b\\u{9b}31mc\\u{202e}d\\u{2066}e\\u{200b}f\\u{ad}g\
             \\u{feff}h\\u{fffe}\\u{ffff}\\u{0}\\u{d}\\u{7f}\\u{85}\\u{2028}\\u{1fffe}"
        );
        assert!(shown.chars().all(|c| c == '\n' || !needs_escape(c)));
        assert_eq!(restore(&shown), hostile);
    }

    #[test]
    fn legacy_workflow_commands_cannot_start_anywhere_in_a_line() {
        let hostile = "code ##[error]pwned ###[add-mask]x #[y] ## [z]";
        let shown = neutralise(hostile);
        assert_eq!(
            shown,
            "code ##\\u{5b}error]pwned ###\\u{5b}add-mask]x #[y] ## [z]"
        );
        assert!(!shown.contains("##["));
        assert_eq!(restore(&shown), hostile);
    }

    #[test]
    fn ordinary_text_is_untouched() {
        let text = "Zoë says: {\n\t\"id\": \"x\\u0041\"\n} — 日本語 🦀 \\u{zz}";
        assert_eq!(neutralise(text), text);
        assert_eq!(restore(text), text);
    }

    #[test]
    fn restore_reads_escapes_written_into_json() {
        assert_eq!(restore("\"wbk\\\\u{1b}[0m_k\""), "\"wbk\u{1b}[0m_k\"");
        assert_eq!(restore("\\u{110000} \\u{}"), "\\u{110000} \\u{}");
    }
}
