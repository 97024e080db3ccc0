//! `GET /v1/contacts/export` (Export Contacts, CSV) of the fake gateway: as documented, or
//! with one deviation ([`ExportAnswer`]).
//!
//! Documented (section 3.1 of the fact sheet): `text/csv; charset=utf-8`, the header row
//! first, `Content-Disposition: attachment; filename="contacts-export.csv"`; `tag`
//! (repeatable, ANDed), `created_before`, `fields` (comma-separated; default `id,
//! full_name, email, phone, job_title, company_name, linkedin_url, tags, created_at`),
//! `limit` (at most 50000, else 400 `validation_error`). The tags cell is comma-joined and
//! quoted. CSV written by hand here on purpose: an independent writer, quoting every
//! cell that needs it (RFC 4180).
#![allow(dead_code)]

use serde_json::Value;

const DEFAULT_FIELDS: &str =
    "id,full_name,email,phone,job_title,company_name,linkedin_url,tags,created_at";

/// How `GET /v1/contacts/export` answers (every other route is unaffected).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ExportAnswer {
    #[default]
    Documented,
    /// The rows as a JSON list (`application/json`), as List Contacts answers.
    Json,
    /// The header row names `name` where the documented column is `full_name`.
    WrongHeaderRow,
    /// No `Content-Disposition` header.
    NoDisposition,
    /// The tags cell is not quoted, so its row has more cells than the header row.
    UnquotedTags,
    /// Contacts created at any time, whatever `created_before` says.
    IgnoresCreatedBefore,
}

/// The answer: status, content type, `Content-Disposition`, body.
pub struct Exported {
    pub status: u16,
    pub content_type: &'static str,
    pub disposition: Option<&'static str>,
    pub body: String,
}

pub fn answer(contacts: &[Value], query: &str, deviation: ExportAnswer) -> Exported {
    let url = reqwest::Url::parse(&format!("http://gateway/?{query}")).expect("a query");
    let (mut tags, mut fields, mut before) = (Vec::new(), DEFAULT_FIELDS.to_string(), None);
    for (name, value) in url.query_pairs() {
        let value = value.into_owned();
        match name.as_ref() {
            "tag" => tags.push(value),
            "fields" => fields = value,
            "created_before" => match chrono::DateTime::parse_from_rfc3339(&value) {
                Ok(at) => before = Some(at),
                Err(_) => return refused("created_before must be an ISO 8601 date-time"),
            },
            "limit" if value.parse::<u32>().map_or(true, |n| n == 0 || n > 50_000) => {
                return refused("limit must be from 1 to 50000");
            }
            _ => {}
        }
    }
    let rows: Vec<&Value> = contacts
        .iter()
        .filter(|c| tags.iter().all(|t| tagged(c, t)))
        .filter(|c| deviation == ExportAnswer::IgnoresCreatedBefore || within(c, before))
        .collect();
    let columns: Vec<&str> = fields.split(',').collect();
    if deviation == ExportAnswer::Json {
        let items: Vec<Value> = rows.iter().map(|c| (*c).clone()).collect();
        let body = serde_json::json!({ "data": { "contacts": items } }).to_string();
        return exported("application/json", Some(DISPOSITION), body);
    }
    let header: Vec<String> = columns
        .iter()
        .map(|c| match (deviation, *c) {
            (ExportAnswer::WrongHeaderRow, "full_name") => "name".to_string(),
            (_, c) => c.to_string(),
        })
        .collect();
    let mut body = header.join(",") + "\r\n";
    for contact in rows {
        let cells: Vec<String> = columns
            .iter()
            .map(|c| cell(contact, c, deviation))
            .collect();
        body += &(cells.join(",") + "\r\n");
    }
    let disposition = (deviation != ExportAnswer::NoDisposition).then_some(DISPOSITION);
    exported("text/csv; charset=utf-8", disposition, body)
}

const DISPOSITION: &str = "attachment; filename=\"contacts-export.csv\"";

fn exported(
    content_type: &'static str,
    disposition: Option<&'static str>,
    body: String,
) -> Exported {
    Exported {
        status: 200,
        content_type,
        disposition,
        body,
    }
}

fn refused(message: &str) -> Exported {
    let body = serde_json::json!({"error": {"code": "validation_error", "message": message}});
    Exported {
        status: 400,
        content_type: "application/json",
        disposition: None,
        body: body.to_string(),
    }
}

fn tagged(contact: &Value, tag: &str) -> bool {
    contact["tags"]
        .as_array()
        .is_some_and(|tags| tags.iter().any(|t| t == tag))
}

fn within(contact: &Value, before: Option<chrono::DateTime<chrono::FixedOffset>>) -> bool {
    before.is_none_or(|b| created(contact).is_some_and(|at| at < b))
}

fn created(contact: &Value) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    chrono::DateTime::parse_from_rfc3339(contact["created_date"].as_str()?).ok()
}

/// A column's cell: List Contacts' names for the stored `company` and `created_date`.
fn cell(contact: &Value, column: &str, deviation: ExportAnswer) -> String {
    let field = match column {
        "company_name" => "company",
        "created_at" => "created_date",
        other => other,
    };
    let text = match &contact[field] {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            let joined: Vec<String> = items
                .iter()
                .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                .collect();
            let joined = joined.join(",");
            if deviation == ExportAnswer::UnquotedTags {
                return joined;
            }
            joined
        }
        other => other.to_string(),
    };
    match text.contains([',', '"', '\r', '\n']) {
        true => format!("\"{}\"", text.replace('"', "\"\"")),
        false => text,
    }
}
