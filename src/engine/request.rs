//! Turning a step's request into an HTTP request: templates filled, the key attached.
//!
//! Path parameters go through [`path_segment`](crate::live::ids::path_segment), which refuses values that would change the
//! path's shape, so a strange captured id can never aim a DELETE at the collection.

use std::collections::BTreeMap;

use crate::config::Secret;
use crate::live::ids::path_segment;
use crate::live::ownership::body_targets;
use crate::spec::raw::Pad;
use crate::spec::template::Vars;
use crate::spec::{Operation, Request};
use crate::stub::Stub;
use crate::transport::http::{Bearer, HttpRequest, Padding, ACCEPT_JSON};

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
    let targets = fill_path(&mut url, operation, request, vars)?;
    check_shape(base_url, &url, operation)?;
    for (name, template) in &request.query {
        let value = vars.render_str(template)?;
        url.query_pairs_mut().append_pair(name, &value);
    }
    let body = match &request.body {
        Some(body) => Some(vars.render_value(body)?),
        None => None,
    };
    // Ids sent in the body change data as path ids do: the same guard holds them.
    let mut targets = targets;
    targets.extend(body_targets(
        &operation.method,
        body.as_ref(),
        &operation.ids_in_body,
    ));
    let pad = match &request.pad {
        Some(pad) => Some(padding(body.as_ref(), pad)?),
        None => None,
    };
    Ok(HttpRequest {
        method: operation.method.clone(),
        url,
        bearer,
        body,
        pad,
        targets,
        accept: operation
            .success()
            .map_or(ACCEPT_JSON, |r| r.media_type.as_str())
            .to_string(),
    })
}

/// How much padding brings the filled `body` to `pad.bytes` bytes as sent: each
/// [`Pad::FILL`] adds one byte to the string at `pad.at`.
fn padding(body: Option<&serde_json::Value>, pad: &Pad) -> Result<Padding, String> {
    let body = body.ok_or("`pad` needs a body to lengthen")?;
    if !matches!(body.pointer(&pad.at), Some(serde_json::Value::String(_))) {
        return Err(format!("`pad.at` {} is not a string of the body", pad.at));
    }
    let written = serde_json::to_vec(body).map_or(0, |b| b.len());
    let wanted = usize::try_from(pad.bytes).unwrap_or(usize::MAX);
    let count = wanted.checked_sub(written).ok_or_else(|| {
        format!(
            "the body is {written} bytes before any padding, more than `pad.bytes` ({})",
            pad.bytes
        )
    })?;
    Ok(Padding {
        at: pad.at.clone(),
        count,
    })
}

/// Appends the operation's path to `url`, parameters filled; returns their values (the
/// records the request addresses).
fn fill_path(
    url: &mut reqwest::Url,
    operation: &Operation,
    request: &Request,
    vars: &Vars,
) -> Result<Vec<String>, String> {
    let mut targets = Vec::new();
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
    Ok(targets)
}

/// However the values were written, the path must have exactly the template's segments.
fn check_shape(
    base_url: &reqwest::Url,
    url: &reqwest::Url,
    operation: &Operation,
) -> Result<(), String> {
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
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn padding_brings_the_body_to_the_size_asked() {
        let body = json!({"csv": "email\n", "n": 1});
        let written = serde_json::to_vec(&body).unwrap().len();
        let pad = |at: &str, bytes: u64| Pad {
            at: at.into(),
            bytes,
        };
        let made = padding(Some(&body), &pad("/csv", 100)).unwrap();
        assert_eq!(made.count, 100 - written);
        assert_eq!(
            padding(Some(&body), &pad("/csv", written as u64))
                .unwrap()
                .count,
            0
        );
        let short = padding(Some(&body), &pad("/csv", 5)).unwrap_err();
        assert!(short.contains("more than `pad.bytes` (5)"), "{short}");
        assert!(padding(Some(&body), &pad("/n", 100)).is_err());
        assert!(padding(None, &pad("/csv", 100)).is_err());
    }
}
