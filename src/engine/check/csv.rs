//! `expect.csv`: the body is CSV (RFC 4180, read by the `csv` crate: a header row first,
//! every row as wide as it, quoted cells unquoted), with the promised header row, number
//! of data rows and a row holding the promised cells; and `Content-Disposition` makes it
//! an attachment of the promised file name. A body that is not CSV (JSON, ragged rows,
//! bytes that are not UTF-8, nothing at all) is one mismatch that says so, and the table
//! checks are left out; the schema check never reads a CSV body (a `text/csv` response
//! has no schema).

use serde_json::Value;

use super::Response;
use crate::outcome::{Check, Mismatch};
use crate::spec::template::Vars;
use crate::spec::CsvExpect;

/// A CSV body: its header row and data rows.
#[derive(Debug, PartialEq)]
struct Table {
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// One failed promise: the check it is reported as, expected and actual.
type Failed = (&'static str, String, String);

pub(super) fn check(response: &Response<'_>) -> Vec<Mismatch> {
    let Some((csv, span)) = &response.step.expect.csv else {
        return Vec::new();
    };
    let mismatch = |check: Check, (_, expected, actual): Failed| {
        Mismatch::new(&response.step.label, check, expected, actual, span.clone())
    };
    let mut found = Vec::new();
    if let Some(name) = &csv.attachment {
        let header = response.http.header("content-disposition");
        if let Err(failed) = attachment(header, name) {
            found.push(mismatch(
                Check::Header("Content-Disposition".into()),
                failed,
            ));
        }
    }
    let table = match parse(&response.http.body) {
        Ok(table) => table,
        Err(problem) => {
            let failed = ("body", "a CSV body with a header row".into(), problem);
            found.push(mismatch(Check::Csv("body"), failed));
            return found;
        }
    };
    found.extend(
        judge(csv, &table, response.vars)
            .into_iter()
            .map(|failed| mismatch(Check::Csv(failed.0), failed)),
    );
    found
}

/// Every promise of `csv` about a table, in the order of the spec format.
fn judge(csv: &CsvExpect, table: &Table, vars: &Vars) -> Vec<Failed> {
    let mut failed = Vec::new();
    if let Some(columns) = &csv.columns {
        failed.extend(columns_are(columns, table).err());
    }
    if let Some(rows) = csv.rows {
        failed.extend(row_count(table, rows, true).err());
    }
    if let Some(min) = csv.min_rows {
        failed.extend(row_count(table, min, false).err());
    }
    if !csv.contains.is_empty() {
        failed.extend(contains(&csv.contains, table, vars).err());
    }
    failed
}

/// Reads a CSV body; why it is not one otherwise.
fn parse(body: &[u8]) -> Result<Table, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("an empty body, with no header row".into());
    }
    if let Ok(json @ (Value::Object(_) | Value::Array(_))) = serde_json::from_slice(body) {
        let text = json.to_string();
        let shown: String = text.chars().take(120).collect();
        return Err(format!("a JSON body, not CSV: {shown}"));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(body);
    let columns = reader
        .headers()
        .map_err(|e| format!("not CSV: {}", describe(&e)))?
        .iter()
        .map(str::to_string)
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("not CSV: {}", describe(&e)))?;
        rows.push(record.iter().map(str::to_string).collect());
    }
    Ok(Table { columns, rows })
}

/// A reading error in words: which line, and what is wrong with it.
fn describe(error: &csv::Error) -> String {
    let line = error.position().map(|p| p.line());
    let what = match error.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("a row of {len} cells where the header row has {expected_len}"),
        csv::ErrorKind::Utf8 { .. } => "bytes that are not UTF-8".to_string(),
        _ => error.to_string(),
    };
    match line {
        Some(line) => format!("line {line}: {what}"),
        None => what,
    }
}

fn columns_are(columns: &[String], table: &Table) -> Result<(), Failed> {
    if table.columns == columns {
        return Ok(());
    }
    let shown = |c: &[String]| format!("the header row {}", c.join(","));
    Err(("columns", shown(columns), shown(&table.columns)))
}

/// Exactly (`exact`) or at least `n` data rows.
fn row_count(table: &Table, n: u64, exact: bool) -> Result<(), Failed> {
    let got = table.rows.len() as u64;
    let plural = |n: u64| if n == 1 { "" } else { "s" };
    match exact {
        true if got != n => Err(("rows", format!("{n} data row{}", plural(n)), rows(got))),
        false if got < n => Err((
            "min_rows",
            format!("at least {n} data row{}", plural(n)),
            rows(got),
        )),
        _ => Ok(()),
    }
}

fn rows(n: u64) -> String {
    match n {
        1 => "1 data row".into(),
        n => format!("{n} data rows"),
    }
}

/// A data row whose cells in the named columns hold the (rendered) texts.
fn contains(
    cells: &std::collections::BTreeMap<String, String>,
    table: &Table,
    vars: &Vars,
) -> Result<(), Failed> {
    let mut wanted = Vec::new();
    for (column, template) in cells {
        let value = vars.render_str(template).unwrap_or_else(|e| e.to_string());
        wanted.push((column.as_str(), value));
    }
    let described: Vec<String> = wanted.iter().map(|(c, v)| format!("{c} {v:?}")).collect();
    let expected = format!("a data row with {}", described.join(" and "));
    let mut indexes = Vec::new();
    for (column, _) in &wanted {
        match table.columns.iter().position(|c| c == column) {
            Some(i) => indexes.push(i),
            None => {
                let actual = format!(
                    "no column {column:?} (the header row: {})",
                    table.columns.join(",")
                );
                return Err(("contains", expected, actual));
            }
        }
    }
    let holds = |row: &Vec<String>| {
        indexes
            .iter()
            .zip(&wanted)
            .all(|(i, (_, value))| row.get(*i) == Some(value))
    };
    if table.rows.iter().any(holds) {
        return Ok(());
    }
    let actual = format!("{}, none of them such a row", rows(table.rows.len() as u64));
    Err(("contains", expected, actual))
}

/// `Content-Disposition: attachment; filename="<name>"` (RFC 6266: the type without
/// regard to case, the file name quoted or not).
fn attachment(header: Option<&str>, name: &str) -> Result<(), Failed> {
    let expected = format!("attachment; filename=\"{name}\"");
    let Some(value) = header else {
        return Err(("attachment", expected, "missing".into()));
    };
    let mut parts = value.split(';').map(str::trim);
    let is_attachment = parts
        .next()
        .is_some_and(|t| t.eq_ignore_ascii_case("attachment"));
    let file_name = parts.find_map(|p| {
        let (key, value) = p.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("filename")
            .then(|| value.trim().trim_matches('"').to_string())
    });
    match is_attachment && file_name.as_deref() == Some(name) {
        true => Ok(()),
        false => Err(("attachment", expected, format!("{value:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn table(text: &str) -> Table {
        parse(text.as_bytes()).unwrap()
    }

    fn vars() -> Vars {
        let mut vars = Vars::new("run", 0);
        vars.set("id", Value::String("c-1".into()));
        vars
    }

    #[test]
    fn quoted_cells_are_read_and_broken_bodies_refused() {
        let read = table("id,tags\r\nc-1,\"lead,priority\"\r\nc-2,\"say \"\"hi\"\"\"\n");
        assert_eq!(read.columns, ["id", "tags"]);
        assert_eq!(read.rows, [["c-1", "lead,priority"], ["c-2", "say \"hi\""]]);
        assert_eq!(table("id,tags\n").rows.len(), 0);
        let refused = |body: &[u8]| parse(body).unwrap_err();
        assert_eq!(refused(b""), "an empty body, with no header row");
        assert!(refused(br#"{"data": {"contacts": []}}"#).starts_with("a JSON body, not CSV"));
        assert!(refused(b"[1,2]").starts_with("a JSON body"));
        assert_eq!(
            refused(b"id,name\nc-1\n"),
            "not CSV: line 2: a row of 1 cells where the header row has 2"
        );
        assert!(refused(b"id\n\xff\xfe\n").contains("not UTF-8"));
    }

    #[test]
    fn columns_rows_and_a_row_with_cells() {
        let read = table("id,full_name\nc-1,Jane Doe\nc-2,Bob\n");
        let columns = |c: &[&str]| CsvExpect {
            columns: Some(c.iter().map(|s| s.to_string()).collect()),
            ..Default::default()
        };
        assert!(judge(&columns(&["id", "full_name"]), &read, &vars()).is_empty());
        let wrong = judge(&columns(&["full_name", "id"]), &read, &vars());
        assert_eq!(wrong[0].0, "columns");
        assert_eq!(wrong[0].2, "the header row id,full_name");
        let counts = CsvExpect {
            rows: Some(1),
            min_rows: Some(3),
            ..Default::default()
        };
        let failed: Vec<_> = judge(&counts, &read, &vars());
        assert_eq!(
            failed,
            [
                ("rows", "1 data row".into(), "2 data rows".into()),
                (
                    "min_rows",
                    "at least 3 data rows".into(),
                    "2 data rows".into()
                ),
            ]
        );
        let with = |cells: &[(&str, &str)]| CsvExpect {
            contains: cells
                .iter()
                .map(|(c, v)| (c.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
            ..Default::default()
        };
        let ok = [("id", "{{id}}"), ("full_name", "Jane Doe")];
        assert!(judge(&with(&ok), &read, &vars()).is_empty());
        let none = judge(
            &with(&[("id", "{{id}}"), ("full_name", "Bob")]),
            &read,
            &vars(),
        );
        assert_eq!(none[0].2, "2 data rows, none of them such a row");
        let no_column = judge(&with(&[("email", "x")]), &read, &vars());
        assert!(no_column[0].2.starts_with("no column \"email\""));
    }

    #[test]
    fn the_attachment_and_its_file_name() {
        let name = "contacts-export.csv";
        assert!(attachment(Some("attachment; filename=\"contacts-export.csv\""), name).is_ok());
        assert!(attachment(Some("Attachment;filename=contacts-export.csv"), name).is_ok());
        for wrong in [
            None,
            Some("inline; filename=\"contacts-export.csv\""),
            Some("attachment; filename=\"deals-export.csv\""),
            Some("attachment"),
        ] {
            assert!(attachment(wrong, name).is_err(), "{wrong:?}");
        }
    }
}
