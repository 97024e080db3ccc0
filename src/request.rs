//! Turning a step's request into an HTTP request: templates filled, the key attached.
//!
//! Path parameters go through [`path_segment`], which refuses values that would change the
//! path's shape, so a strange captured id can never aim a DELETE at the collection.

use crate::http::{Bearer, HttpRequest};
use crate::run::{Keys, INVALID_KEY};
use crate::spec::{Operation, Request};
use crate::stub::Stub;
use crate::template::Vars;

/// The HTTP request for `request` of `operation`, under `base_url`.
pub fn build_request(
    base_url: &reqwest::Url,
    operation: &Operation,
    request: &Request,
    vars: &Vars,
    bearer: Option<Bearer>,
) -> Result<HttpRequest, String> {
    let mut url = base_url.clone();
    {
        let mut segments = url
            .path_segments_mut()
            .map_err(|_| "the base URL cannot take a path".to_string())?;
        segments.pop_if_empty();
        for segment in operation.path.split('/').skip(1) {
            match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(param) => {
                    let template = request.path.get(param).map(String::as_str).unwrap_or("");
                    segments.push(path_segment(vars.render_str(template)?)?.as_str());
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

/// A filled path parameter, refused when it would change the path's shape: an empty value,
/// `.` or `..` would make `DELETE /v1/contacts/{id}` address the collection or its parent.
pub fn path_segment(value: String) -> Result<String, String> {
    if value.chars().any(char::is_control) {
        return Err(format!(
            "{value:?} cannot be a path parameter: URLs drop its control characters"
        ));
    }
    let lower = value.to_ascii_lowercase();
    let encoded_dot_or_slash = lower.contains("%2e") || lower.contains("%2f");
    match value.as_str() {
        "" | "." | ".." => Err(format!(
            "`{value}` cannot be a path parameter: it would address another resource"
        )),
        _ if encoded_dot_or_slash => Err(format!(
            "`{value}` cannot be a path parameter: it hides a `.` or `/`"
        )),
        _ => Ok(value),
    }
}

#[cfg(test)]
mod tests {
    use super::path_segment;

    #[test]
    fn values_that_change_the_path_are_refused() {
        for bad in ["", ".", "..", "%2E%2e", "a%2fb", "\t", ".\n.", "\r"] {
            assert!(path_segment(bad.into()).is_err(), "{bad:?}");
        }
        assert_eq!(
            path_segment("a/b".into()).unwrap(),
            "a/b",
            "escaped by the URL, not refused"
        );
    }
}
