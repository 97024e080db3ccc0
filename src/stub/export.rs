//! Exports: a list's records answered as CSV (the `csv` effect) instead of JSON. The
//! columns are the effect's `fields` unless the query's `select` parameter chooses some of
//! them (a comma-separated list of their names, in any order; another name is a 400);
//! the header row comes first; a cell is the field's text (an array's items joined with
//! commas, so the `csv` crate quotes it: `"lead,priority"`; null or missing is empty).
//! The answer is `text/csv; charset=utf-8` with `Content-Disposition: attachment` and the
//! effect's file name.

use serde_json::Value;

use super::answer::{Answer, Refusal, TextBody};
use super::scope::Scope;
use crate::spec::behaviour::{CsvExport, Rule};

/// The export of `records` (as shown, in order), or the refusal of its column choice.
pub fn answer(scope: &Scope<'_>, csv: &CsvExport, records: &[Value]) -> Result<Answer, Refusal> {
    let columns = columns(scope, csv)?;
    let status = scope.op.success().map_or(200, |r| r.status);
    let text = write(&columns, records);
    Ok(Answer::text(
        status,
        TextBody {
            content_type: "text/csv; charset=utf-8".into(),
            text,
            disposition: csv
                .filename
                .as_ref()
                .map(|name| format!("attachment; filename=\"{name}\"")),
        },
    ))
}

/// The columns the call asks for (names of the effect's `fields`, comma-separated, as
/// written), or the effect's.
fn columns(scope: &Scope<'_>, csv: &CsvExport) -> Result<Vec<String>, Refusal> {
    let asked = csv
        .select
        .as_deref()
        .and_then(|p| Some((p, scope.call.query(p)?)));
    let Some((param, asked)) = asked else {
        return Ok(csv.fields.clone());
    };
    let chosen: Vec<String> = asked.split(',').map(str::to_string).collect();
    let unknown: Vec<String> = chosen
        .iter()
        .filter(|f| !csv.fields.contains(f))
        .map(|f| format!("{f:?}"))
        .collect();
    if unknown.is_empty() {
        return Ok(chosen);
    }
    Err(Refusal::field(
        &scope.stub.validate,
        Rule::Type,
        param,
        format!(
            "unknown column {}; the columns are {}",
            unknown.join(", "),
            csv.fields.join(",")
        ),
    ))
}

/// The CSV text: the header row, then a row per record.
pub fn write(columns: &[String], records: &[Value]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let rows = records.iter().map(|record| {
        columns
            .iter()
            .map(|c| cell(record.get(c)))
            .collect::<Vec<_>>()
    });
    // Writing into memory fails only on a short write, which a Vec never makes.
    let _ = writer.write_record(columns);
    for row in rows {
        let _ = writer.write_record(&row);
    }
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// A field's value as a cell.
fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| cell(Some(item)))
            .collect::<Vec<_>>()
            .join(","),
        Some(other) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn cells_are_quoted_where_they_must_be() {
        let columns = ["id".to_string(), "tags".into(), "note".into(), "n".into()];
        let records = [
            json!({"id": "c-1", "tags": ["lead", "priority"], "note": "say \"hi\"", "n": 3}),
            json!({"id": "c-2", "tags": [], "note": null}),
        ];
        assert_eq!(
            write(&columns, &records),
            "id,tags,note,n\nc-1,\"lead,priority\",\"say \"\"hi\"\"\",3\nc-2,,,\n"
        );
        assert_eq!(write(&columns, &[]), "id,tags,note,n\n");
    }
}
