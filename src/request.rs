//! Turning a step's request into an HTTP request: templates filled, the key attached.
//!
//! Path parameters go through [`path_segment`], which refuses values that would change the
//! path's shape, so a strange captured id can never aim a DELETE at the collection.

use std::collections::BTreeMap;

use crate::config::Secret;
use crate::http::{Bearer, HttpRequest};
use crate::spec::{Operation, Request};
use crate::stub::Stub;
use crate::template::Vars;

/// A well-formed key that no workspace has: what the `invalid` credential sends.
pub const INVALID_KEY: &str = "wbk_conformance0invalid0key000000000000000000000000000000";

/// Where the keys of a run come from.
pub enum Keys {
    /// Stub keys, made per trial.
    Stub,
    /// Live keys by credential name (only those configured), with their variable.
    Live(BTreeMap<String, (String, Secret)>),
}

/// A request that undoes what a step created, run when the scenario (or, for a shared
/// record, the run) ends.
pub(crate) struct PendingCleanup {
    pub(crate) label: String,
    pub(crate) operation: String,
    pub(crate) request: HttpRequest,
}

/// The HTTP request for `request` of `operation`, under `base_url`.
pub fn build_request(
    base_url: &reqwest::Url,
    operation: &Operation,
    request: &Request,
    vars: &Vars,
    bearer: Option<Bearer>,
) -> Result<HttpRequest, String> {
    let mut url = base_url.clone();
    let mut targets = Vec::new();
    {
        let mut segments = url
            .path_segments_mut()
            .map_err(|_| "the base URL cannot take a path".to_string())?;
        segments.pop_if_empty();
        for segment in operation.path.split('/').skip(1) {
            match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(param) => {
                    let template = request.path.get(param).map(String::as_str).unwrap_or("");
                    let value = path_segment(vars.render_str(template)?)?;
                    segments.push(&value);
                    targets.push(value);
                }
                None => {
                    segments.push(segment);
                }
            }
        }
    }
    // However the values were written, the path must have exactly the template's segments.
    let wanted = operation.path.split('/').skip(1).count();
    let base = base_url
        .path_segments()
        .map_or(0, |s| s.filter(|s| !s.is_empty()).count());
    let built: Vec<&str> = url.path_segments().map_or_else(Vec::new, |s| s.collect());
    if built.len() != base + wanted
        || built
            .iter()
            .any(|s| s.is_empty() || *s == "." || *s == "..")
    {
        return Err(format!(
            "the filled path {} does not have the shape of {}",
            url.path(),
            operation.path
        ));
    }
    for (name, template) in &request.query {
        let value = vars.render_str(template)?;
        url.query_pairs_mut().append_pair(name, &value);
    }
    let body = match &request.body {
        Some(body) => Some(vars.render_value(body)?),
        None => None,
    };
    Ok(HttpRequest {
        method: operation.method.clone(),
        url,
        bearer,
        body,
        targets,
    })
}

/// The key a credential sends in trial number `trial`, shown by reference when secret.
pub fn bearer(keys: &Keys, credential: &str, trial: u64) -> Result<Option<Bearer>, String> {
    let plain = |key: String| Bearer {
        shown: key.clone(),
        key,
    };
    Ok(match credential {
        "none" => None,
        "invalid" => Some(plain(INVALID_KEY.to_string())),
        name => Some(match keys {
            Keys::Stub => plain(Stub::key(trial, name)),
            Keys::Live(keys) => {
                let (variable, key) = keys
                    .get(name)
                    .ok_or_else(|| format!("no key is configured for credential `{name}`"))?;
                Bearer {
                    key: key.expose().to_string(),
                    shown: format!("${variable}"),
                }
            }
        }),
    })
}

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
