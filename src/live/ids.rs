//! What a value must be to be sent as one path segment, and how a value from the gateway is
//! shown in a message.
//!
//! A live run only sends a data-changing request whose path ids pass [`path_segment`], so
//! no proxy between the harness and the API can turn the id into another resource.

/// Longest value a path parameter may hold: ids are UUIDs; anything much longer is a
/// gateway answering something else.
pub const MAX_PATH_VALUE: usize = 200;

/// A filled path parameter, refused unless it can only ever name one resource.
///
/// Only letters, digits and `-`, `_`, `.`, `~`, `:`, `@` are allowed (and not `.` or `..`
/// alone). So nothing in the value is escaped in the URL, and nothing a proxy may decode
/// (`%`), split on (`/`, `\`, `;`, `?`, `#`), normalise (`.` and `..` segments, Unicode
/// look-alikes) or drop (control and invisible characters) can make the request reach
/// another resource: the value a proxy sees is the value the harness checked.
pub fn path_segment(value: String) -> Result<String, String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-_.~:@".contains(c);
    let problem = if value.is_empty() {
        Some("it is empty, so the request would address the collection".to_string())
    } else if value == "." || value == ".." {
        Some("a `.` or `..` segment would address another resource".to_string())
    } else if value.chars().count() > MAX_PATH_VALUE {
        Some(format!(
            "it is longer than {MAX_PATH_VALUE} characters, which no id of this API is"
        ))
    } else {
        value.chars().find(|c| !allowed(*c)).map(|c| {
            format!(
                "it holds {}, which a proxy may decode, split or drop, so the request could \
                 reach another resource (allowed: letters, digits, - _ . ~ : @)",
                describe_char(c)
            )
        })
    };
    match problem {
        None => Ok(value),
        Some(problem) => Err(format!(
            "{} cannot be a path parameter: {problem}",
            shown_value(&value)
        )),
    }
}

/// A value for a message: quoted, escaped and cut, since it may come from the gateway.
pub fn shown_value(value: &str) -> String {
    const SHOWN: usize = 60;
    let cut: String = value.chars().take(SHOWN).collect();
    let more = value.chars().count().saturating_sub(SHOWN);
    match more {
        0 => format!("{cut:?}"),
        _ => format!("{cut:?}… ({more} more characters)"),
    }
}

fn describe_char(c: char) -> String {
    match c {
        '/' | '\\' | '%' | '?' | '#' | ';' => format!("`{c}`"),
        ' ' => "a space".into(),
        c if c.is_control() => format!("the control character U+{:04X}", c as u32),
        c if c.is_ascii() => format!("`{c}`"),
        c => format!("the character U+{:04X}", c as u32),
    }
}

#[cfg(test)]
mod tests {
    use super::path_segment;

    #[test]
    fn values_that_could_reach_another_resource_are_refused() {
        let long = "a".repeat(201);
        for bad in [
            "",
            ".",
            "..",
            "%2E%2e",
            "a%2fb",
            "\t",
            ".\n.",
            "\r",
            "a/b",
            "x/../victim",
            "a\\b",
            "a?b",
            "a#b",
            "a;b",
            "a b",
            "a%252fb",
            "a\u{200b}b",
            "a\u{202e}b",
            "a\u{ff0f}b",
            "a\u{0}b",
            "a\u{9b}b",
            "+",
            &long,
        ] {
            assert!(path_segment(bad.into()).is_err(), "{bad:?}");
        }
        for good in [
            "123e4567-e89b-12d3-a456-426614174000",
            "abc_DEF.1~x:y@z",
            "...",
        ] {
            assert_eq!(path_segment(good.into()).unwrap(), good);
        }
    }

    #[test]
    fn the_message_names_the_character_and_cuts_the_value() {
        let message = path_segment(format!("{}/", "x".repeat(300))).unwrap_err();
        assert!(message.contains("longer than 200"), "{message}");
        let message = path_segment("a/b".into()).unwrap_err();
        assert!(message.contains("`/`"), "{message}");
        let message = path_segment("a\u{1b}b".into()).unwrap_err();
        assert!(
            message.contains("U+001B") && !message.contains('\u{1b}'),
            "{message}"
        );
    }
}
