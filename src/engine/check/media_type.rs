//! The `Content-Type` is the documented media type of the answer.

use super::Response;
use crate::outcome::{Check, Mismatch};

pub(super) fn check(response: &Response<'_>) -> Vec<Mismatch> {
    let Some(documented) = response.documented else {
        return Vec::new();
    };
    let content_type = response.http.header("content-type");
    if media_type_matches(&documented.media_type, content_type) {
        return Vec::new();
    }
    let actual = content_type.map_or_else(
        || "no Content-Type header".to_string(),
        |v| format!("{v:?}"),
    );
    let expected = documented.media_type.clone();
    vec![response.mismatch(Check::MediaType, expected, actual)]
}

/// Whether a `Content-Type` value is of the documented media type: type and subtype
/// compared without regard to case, parameters such as `charset` allowed.
fn media_type_matches(documented: &str, content_type: Option<&str>) -> bool {
    content_type.is_some_and(|value| {
        let essence = value.split(';').next().unwrap_or_default().trim();
        essence.eq_ignore_ascii_case(documented)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_match_without_case_and_with_parameters() {
        let json = "application/json";
        assert!(media_type_matches(json, Some("application/json")));
        assert!(media_type_matches(
            json,
            Some("Application/JSON; charset=utf-8")
        ));
        assert!(media_type_matches(
            json,
            Some(" application/json ;charset=UTF-8")
        ));
        assert!(!media_type_matches(json, Some("text/plain")));
        assert!(!media_type_matches(json, Some("application/jsonp")));
        assert!(!media_type_matches(json, Some("")));
        assert!(!media_type_matches(json, None));
        assert!(media_type_matches(
            "text/csv",
            Some("text/csv; header=present")
        ));
    }
}
