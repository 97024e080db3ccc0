//! `GET /v1/contacts` (List Contacts) of the fake gateway: as documented, or with one
//! deviation ([`ListAnswer`]).
//!
//! Documented (section 3.1 of the fact sheet): `search` (partial match on name or email;
//! case-insensitive here), `list_id` (membership; no contact is in any list here, so any id
//! gives an empty page), `created_after` (ISO 8601), `page` (default 1), `per_page`
//! (default 50, at most 100), `sort` (`created_at`, `updated_date` or `full_name`, `-` in
//! front for descending; default `created_at`, ascending). The answer is
//! `{"data": {"contacts": [...]}, "meta": {"page", "per_page", "total"}}`, each item with
//! `id`, `full_name`, `email`, `phone`, `job_title`, `company_name`, `linkedin_url`,
//! `created_at` and `updated_date` (`null` when the contact has none). A parameter that is
//! not valid gets 400 `validation_error`.
#![allow(dead_code)]

use serde_json::{json, Value};

/// How `GET /v1/contacts` answers (every other route is unaffected).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ListAnswer {
    #[default]
    Documented,
    /// Sorts in the opposite direction of the one asked for.
    SortReversed,
    /// Sorts by the default (`created_at`, ascending) whatever `sort` says.
    IgnoresSort,
    /// Answers every contact whatever `search` says.
    IgnoresSearch,
    /// `search` matches only a whole name or email, not a part of one.
    ExactSearchOnly,
    /// Pages of 50 whatever `per_page` says (and `meta.per_page` 50).
    IgnoresPerPage,
    /// The first page whatever `page` says (and `meta.page` 1).
    IgnoresPage,
    /// Answers contacts created at any time whatever `created_after` says.
    IgnoresCreatedAfter,
    /// `meta.total` counts the items of this page, not every match.
    TotalCountsThePage,
    /// `meta.total` is a string (`"3"`).
    TotalAsString,
    /// Items carry `created_date` (Get Contact's name) instead of `created_at`.
    CreatedDateInsteadOfCreatedAt,
    /// Timestamps with an offset (`…+00:00`) instead of the documented `Z`.
    TimestampsWithOffset,
}

/// The documented default and largest page sizes.
const DEFAULT_PER_PAGE: usize = 50;
const MAX_PER_PAGE: usize = 100;

/// The fields of a list item besides `id` and the timestamps, in the documented order.
const FIELDS: [&str; 6] = [
    "full_name",
    "email",
    "phone",
    "job_title",
    "company_name",
    "linkedin_url",
];

/// The answer to `GET /v1/contacts?<query>` over the stored `contacts` (in creation
/// order): the body, or the message of a 400 `validation_error`.
pub fn answer(contacts: &[Value], query: &str, deviation: ListAnswer) -> Result<Value, String> {
    let params = Params::parse(query)?;
    let mut found: Vec<&Value> = contacts
        .iter()
        .filter(|_| params.list_id.is_none())
        .filter(|c| deviation == ListAnswer::IgnoresSearch || searched(c, &params, deviation))
        .filter(|c| deviation == ListAnswer::IgnoresCreatedAfter || created_after(c, &params))
        .collect();
    sort(&mut found, &params, deviation);
    let per_page = match deviation {
        ListAnswer::IgnoresPerPage => DEFAULT_PER_PAGE,
        _ => params.per_page,
    };
    let page = match deviation {
        ListAnswer::IgnoresPage => 1,
        _ => params.page,
    };
    let total = found.len();
    let items: Vec<Value> = found
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .map(|c| item(c, deviation))
        .collect();
    let total = match deviation {
        ListAnswer::TotalCountsThePage => json!(items.len()),
        ListAnswer::TotalAsString => json!(total.to_string()),
        _ => json!(total),
    };
    Ok(json!({
        "data": { "contacts": items },
        "meta": { "page": page, "per_page": per_page, "total": total },
    }))
}

/// The query parameters, checked.
struct Params {
    search: Option<String>,
    list_id: Option<String>,
    created_after: Option<chrono::DateTime<chrono::FixedOffset>>,
    page: usize,
    per_page: usize,
    /// The field and whether it is descending.
    sort: (String, bool),
}

impl Params {
    fn parse(query: &str) -> Result<Params, String> {
        let url = reqwest::Url::parse(&format!("http://gateway/?{query}")).expect("a query");
        let mut params = Params {
            search: None,
            list_id: None,
            created_after: None,
            page: 1,
            per_page: DEFAULT_PER_PAGE,
            sort: ("created_at".into(), false),
        };
        for (name, value) in url.query_pairs() {
            let value = value.into_owned();
            match name.as_ref() {
                "search" => params.search = Some(value),
                "list_id" => params.list_id = Some(value),
                "created_after" => {
                    let at = chrono::DateTime::parse_from_rfc3339(&value).map_err(|_| {
                        format!("created_after must be an ISO 8601 date-time, not {value:?}")
                    })?;
                    params.created_after = Some(at);
                }
                "page" => params.page = whole(&value, "page", 1..=usize::MAX)?,
                "per_page" => params.per_page = whole(&value, "per_page", 1..=MAX_PER_PAGE)?,
                "sort" => {
                    let (field, descending) = match value.strip_prefix('-') {
                        Some(field) => (field, true),
                        None => (value.as_str(), false),
                    };
                    if !matches!(field, "created_at" | "updated_date" | "full_name") {
                        return Err(format!("sort must be created_at, updated_date or full_name, with an optional -, not {value:?}"));
                    }
                    params.sort = (field.to_string(), descending);
                }
                _ => {}
            }
        }
        Ok(params)
    }
}

fn whole(value: &str, name: &str, range: std::ops::RangeInclusive<usize>) -> Result<usize, String> {
    value
        .parse::<usize>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| {
            format!(
                "{name} must be a whole number from {} to {}, not {value:?}",
                range.start(),
                range.end()
            )
        })
}

fn text<'a>(contact: &'a Value, field: &str) -> &'a str {
    contact
        .get(field)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// Whether `search` matches part of the contact's name or email (the whole of one, for
/// [`ListAnswer::ExactSearchOnly`]).
fn searched(contact: &Value, params: &Params, deviation: ListAnswer) -> bool {
    let Some(search) = &params.search else {
        return true;
    };
    let search = search.to_lowercase();
    ["full_name", "email"].iter().any(|field| {
        let value = text(contact, field).to_lowercase();
        match deviation {
            ListAnswer::ExactSearchOnly => value == search,
            _ => value.contains(&search),
        }
    })
}

fn created_after(contact: &Value, params: &Params) -> bool {
    let Some(after) = params.created_after else {
        return true;
    };
    chrono::DateTime::parse_from_rfc3339(text(contact, "created_date")).is_ok_and(|c| c > after)
}

/// Sorts by the asked field (a stored contact's `created_date` is the item's `created_at`
/// and `updated_date`), ties in creation order; descending is the exact reverse, ties
/// included, so that every order is deterministic.
fn sort(found: &mut [&Value], params: &Params, deviation: ListAnswer) {
    let (field, mut descending) = match deviation {
        ListAnswer::IgnoresSort => ("created_at", false),
        _ => (params.sort.0.as_str(), params.sort.1),
    };
    if deviation == ListAnswer::SortReversed {
        descending = !descending;
    }
    let stored = match field {
        "full_name" => "full_name",
        _ => "created_date",
    };
    found.sort_by(|a, b| text(a, stored).cmp(text(b, stored)));
    if descending {
        found.reverse();
    }
}

/// A stored contact as a list item.
fn item(contact: &Value, deviation: ListAnswer) -> Value {
    let mut item = serde_json::Map::new();
    item.insert("id".into(), contact["id"].clone());
    for field in FIELDS {
        let value = contact.get(field).cloned().unwrap_or(Value::Null);
        item.insert(field.into(), value);
    }
    let mut created = contact["created_date"].clone();
    if let (ListAnswer::TimestampsWithOffset, Value::String(at)) = (deviation, &created) {
        created = json!(at.replace('Z', "+00:00"));
    }
    let created_name = match deviation {
        ListAnswer::CreatedDateInsteadOfCreatedAt => "created_date",
        _ => "created_at",
    };
    item.insert(created_name.into(), created.clone());
    item.insert("updated_date".into(), created);
    Value::Object(item)
}
