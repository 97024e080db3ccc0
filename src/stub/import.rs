//! The import action: rows sent as JSON objects or as CSV text, each made as a create
//! would, or matched to a record already there (by any of the `match` fields) and then
//! skipped or, with `update_existing`, updated. A row that breaks the collection's rules
//! is not stored: it gets an error with its row number (1 for the first row; a CSV's
//! header line is not a row). Every row not imported counts as skipped. Above `max` rows
//! the import is queued: the answer says `queued` with a job id and no counts yet, and
//! the stub, which has no queue, does the job at once.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::answer::{Done, Refusal};
use super::record::{input, make, merge, new_id};
use super::scope::Scope;
use super::state::State;
use crate::spec::behaviour::{Collection, FieldType, IdStyle, Import, Rule};

/// The options a request gives, checked (the CSV's too, whether or not it sends one).
struct Options {
    update_existing: bool,
    tags: Vec<Value>,
    has_header: bool,
    mapping: BTreeMap<String, String>,
}

/// What became of one row.
enum Outcome {
    Created,
    Updated,
    Skipped,
}

pub fn import(scope: &Scope<'_>, state: &mut State) -> Result<Done, Refusal> {
    let spec = scope
        .stub
        .import
        .as_ref()
        .expect("lint: an import action has `import:`");
    let body = match scope.call.body.as_ref() {
        Some(Value::Object(body)) => body,
        _ => return Err(invalid(scope, Rule::Type, "body", "must be a JSON object")),
    };
    let options = options(scope, spec, body)?;
    let rows = rows(scope, spec, &options, body)?;
    let mut counts = BTreeMap::from([("created", 0), ("updated", 0), ("skipped", 0)]);
    let mut errors = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let outcome = one_row(scope, state, spec, &options, row).unwrap_or_else(|refusal| {
            errors.push(row_error(i + 1, refusal));
            Outcome::Skipped
        });
        let counted = match outcome {
            Outcome::Created => "created",
            Outcome::Updated => "updated",
            Outcome::Skipped => "skipped",
        };
        *counts.entry(counted).or_default() += 1;
    }
    let queued = rows.len() as u64 > spec.max;
    if queued {
        counts.values_mut().for_each(|n| *n = 0);
        errors.clear();
    }
    Ok(Done {
        id: Some(new_id(
            &IdStyle::Prefixed(spec.job_prefix.clone()),
            scope.call,
        )),
        status: Some(if queued { "queued" } else { "completed" }.to_string()),
        counts,
        errors: Some(errors),
        ..Done::default()
    })
}

fn invalid(scope: &Scope<'_>, rule: Rule, field: &str, problem: &str) -> Refusal {
    Refusal::field(&scope.stub.validate, rule, field, problem)
}

/// `update_existing` (true or false) and `tags` (an array of strings).
fn options(
    scope: &Scope<'_>,
    spec: &Import,
    body: &Map<String, Value>,
) -> Result<Options, Refusal> {
    let update_existing = flag(scope, body, &spec.update_existing, false)?;
    let tags = match body.get(&spec.tags) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(tags)) if tags.iter().all(Value::is_string) => tags.clone(),
        Some(_) => {
            let problem = "must be an array of strings";
            return Err(invalid(scope, Rule::Type, &spec.tags, problem));
        }
    };
    Ok(Options {
        update_existing,
        tags,
        has_header: flag(scope, body, &spec.has_header, true)?,
        mapping: mapping(scope, spec, body)?,
    })
}

/// A boolean body field, `default` when absent.
fn flag(
    scope: &Scope<'_>,
    body: &Map<String, Value>,
    field: &str,
    default: bool,
) -> Result<bool, Refusal> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(flag)) => Ok(*flag),
        Some(_) => Err(invalid(scope, Rule::Type, field, "must be true or false")),
    }
}

/// The rows: the JSON array (not empty), or the CSV's lines as objects (none when it holds
/// none); one of the two.
fn rows(
    scope: &Scope<'_>,
    spec: &Import,
    options: &Options,
    body: &Map<String, Value>,
) -> Result<Vec<Value>, Refusal> {
    // A null is sent, and is neither an array nor text.
    match (body.get(&spec.rows), body.get(&spec.csv)) {
        (Some(_), Some(_)) => {
            let problem = format!("send either {} or {}, not both", spec.rows, spec.csv);
            Err(invalid(scope, Rule::Type, &spec.rows, &problem))
        }
        (Some(Value::Array(rows)), None) if !rows.is_empty() => Ok(rows.clone()),
        (Some(Value::Array(_)), None) | (None, None) => {
            let problem = format!("{} or {} is required", spec.rows, spec.csv);
            Err(invalid(scope, Rule::Required, &spec.rows, &problem))
        }
        (Some(_), None) => Err(invalid(scope, Rule::Type, &spec.rows, "must be an array")),
        (None, Some(Value::String(text))) => csv_rows(
            scope.collection(),
            text,
            options.has_header,
            &options.mapping,
        )
        .map_err(|problem| invalid(scope, Rule::Type, &spec.csv, &problem)),
        (None, Some(_)) => Err(invalid(scope, Rule::Type, &spec.csv, "must be a string")),
    }
}

/// The header → field mapping (an object of strings; none when absent).
fn mapping(
    scope: &Scope<'_>,
    spec: &Import,
    body: &Map<String, Value>,
) -> Result<BTreeMap<String, String>, Refusal> {
    match body.get(&spec.mapping) {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(pairs)) => pairs
            .iter()
            .map(|(header, field)| match field {
                Value::String(field) => Ok((header.clone(), field.clone())),
                _ => Err(invalid(
                    scope,
                    Rule::Type,
                    &spec.mapping,
                    "must map each header to a field name",
                )),
            })
            .collect(),
        Some(_) => Err(invalid(
            scope,
            Rule::Type,
            &spec.mapping,
            "must be an object",
        )),
    }
}

/// The CSV's lines as row objects. A column is named by its header, through the mapping
/// when it maps that header; without a header no column has a name, and columns without
/// one are ignored (the page: "unknown columns are ignored"). Cells are text; an empty
/// cell sets nothing; a cell of an array field is split on commas (as the export joins
/// them); numbers and booleans are read as such for fields of those types.
pub fn csv_rows(
    collection: &Collection,
    text: &str,
    has_header: bool,
    mapping: &BTreeMap<String, String>,
) -> Result<Vec<Value>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut lines = reader.records();
    let names: Vec<Option<String>> = match has_header {
        true => match lines.next() {
            Some(header) => header
                .map_err(|e| format!("is not CSV: {e}"))?
                .iter()
                .map(|h| {
                    Some(
                        mapping
                            .get(h.trim())
                            .cloned()
                            .unwrap_or(h.trim().to_string()),
                    )
                })
                .collect(),
            None => Vec::new(),
        },
        false => Vec::new(),
    };
    let mut rows = Vec::new();
    for line in lines {
        let line = line.map_err(|e| format!("is not CSV: {e}"))?;
        let mut row = Map::new();
        for (name, cell) in names.iter().zip(line.iter()) {
            if let Some(name) = name.as_ref().filter(|_| !cell.trim().is_empty()) {
                row.insert(name.clone(), cell_value(collection.fields.get(name), cell));
            }
        }
        rows.push(Value::Object(row));
    }
    Ok(rows)
}

/// A CSV cell as the value of a field of type `kind`.
fn cell_value(kind: Option<&FieldType>, cell: &str) -> Value {
    let text = cell.trim();
    let parsed = match kind {
        Some(FieldType::Array(_)) => Some(json!(text
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>())),
        Some(FieldType::Number | FieldType::Integer) => serde_json::from_str(text).ok(),
        Some(FieldType::Boolean) => text.parse::<bool>().ok().map(Value::Bool),
        _ => None,
    };
    parsed.unwrap_or_else(|| Value::String(text.to_string()))
}

/// One row: checked, tagged, then matched (skipped or updated) or created.
fn one_row(
    scope: &Scope<'_>,
    state: &mut State,
    spec: &Import,
    options: &Options,
    row: &Value,
) -> Result<Outcome, Refusal> {
    if !row.is_object() {
        return Err(invalid(scope, Rule::Type, "row", "must be an object"));
    }
    let collection = scope.collection();
    let mut fields = input(scope, collection, Some(row), true)?;
    add_tags(&mut fields, &spec.tags, &options.tags);
    let name = &scope.stub.collection;
    match matched(state, name, &spec.matches, &fields) {
        Some(_) if !options.update_existing => Ok(Outcome::Skipped),
        Some(id) => {
            let stored = state.get(name, &id).cloned().unwrap_or_default();
            let record = merge(scope, collection, &stored, fields)?;
            state.replace(name, &id, Value::Object(record));
            Ok(Outcome::Updated)
        }
        None => {
            super::crud::check_unique(scope, state, &fields, None)?;
            let (id, record) = make(scope, collection, fields, None)?;
            state.insert(name, &id, Value::Object(record));
            Ok(Outcome::Created)
        }
    }
}

/// The request's tags added to the row's own (each once).
fn add_tags(fields: &mut Map<String, Value>, field: &str, tags: &[Value]) {
    if tags.is_empty() {
        return;
    }
    let mut all = match fields.remove(field) {
        Some(Value::Array(own)) => own,
        _ => Vec::new(),
    };
    for tag in tags {
        if !all.contains(tag) {
            all.push(tag.clone());
        }
    }
    fields.insert(field.to_string(), Value::Array(all));
}

/// The id of the first stored record that one of the `fields` matches: equal values
/// (texts compared trimmed and in any case), never an empty one.
fn matched(
    state: &State,
    collection: &str,
    fields: &[String],
    row: &Map<String, Value>,
) -> Option<String> {
    let key = |value: &Value| match value {
        Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_lowercase()),
        Value::Null | Value::String(_) => None,
        other => Some(other.to_string()),
    };
    state.in_order(collection).into_iter().find_map(|record| {
        let hit = fields.iter().any(|field| {
            let sent = row.get(field).and_then(key);
            sent.is_some() && sent == record.get(field).and_then(key)
        });
        hit.then(|| record.get("id")?.as_str().map(str::to_string))
            .flatten()
    })
}

/// `{row_number, code, message}` of a refused row.
fn row_error(row_number: usize, refusal: Refusal) -> Value {
    let (code, message) = match refusal {
        Refusal::Invalid { code, fields } => {
            let named: Vec<String> = fields.iter().map(|(f, p)| format!("{f}: {p}")).collect();
            (code, named.join("; "))
        }
        Refusal::NotFound { code, what, .. } => (code, format!("{what} not found")),
        Refusal::Status { code, message, .. } => (code, message),
    };
    json!({"row_number": row_number, "code": code, "message": message})
}
