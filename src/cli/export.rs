//! `export openapi [--output FILE]`: the suite as an OpenAPI 3.1 document, on standard
//! output or in a file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::args::{ExportArgs, ExportFormat};
use super::prepare::specs_or_exit;

/// Writes the OpenAPI document of the specs. Exit code 0 when written, 2 when the specs
/// are broken, 1 when it could not be made or written.
pub fn export(lookup: &dyn Fn(&str) -> Option<String>, root: &Path, args: &ExportArgs) -> ExitCode {
    let ExportFormat::Openapi = args.format;
    let output = args.output.as_ref().map(PathBuf::from);
    let (specs_dir, suite) = match specs_or_exit(lookup, root) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let document = match crate::export::openapi::openapi(&suite, &specs_dir) {
        Ok(document) => document,
        Err(error) => {
            eprintln!("error: cannot export the specs as OpenAPI: {error}");
            return ExitCode::FAILURE;
        }
    };
    let text = pretty(&document);
    let written = match &output {
        None => std::io::stdout().lock().write_all(text.as_bytes()),
        Some(path) => write_file(path, &text),
    };
    match written {
        Ok(()) => {
            if let Some(path) = output {
                eprintln!(
                    "wrote the OpenAPI document of {} operation(s) to {}",
                    suite.operations.len(),
                    path.display()
                );
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            let target = output.map_or("standard output".into(), |p| p.display().to_string());
            eprintln!("error: cannot write the OpenAPI document to {target}: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The document as indented JSON, its top-level keys in the order OpenAPI documents
/// usually have (`openapi` first), the rest as serde_json orders them.
fn pretty(document: &serde_json::Value) -> String {
    const FIRST: [&str; 8] = [
        "openapi",
        "info",
        "jsonSchemaDialect",
        "servers",
        "tags",
        "security",
        "paths",
        "components",
    ];
    let to_text = |value: &serde_json::Value| {
        serde_json::to_string_pretty(value).expect("a JSON value serializes")
    };
    let Some(object) = document.as_object() else {
        return to_text(document) + "\n";
    };
    let keys = FIRST
        .iter()
        .copied()
        .filter(|k| object.contains_key(*k))
        .chain(
            object
                .keys()
                .map(String::as_str)
                .filter(|k| !FIRST.contains(k)),
        );
    let members: Vec<String> = keys
        .map(|key| {
            let value = to_text(&object[key]).replace('\n', "\n  ");
            format!("  {}: {value}", to_text(&serde_json::Value::from(key)))
        })
        .collect();
    format!("{{\n{}\n}}\n", members.join(",\n"))
}

/// Writes `text` to a temporary file beside `path`, then renames it into place, so that a
/// reader never sees half a document.
fn write_file(path: &Path, text: &str) -> std::io::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("not a file name"))?;
    let mut temporary = path.to_path_buf();
    temporary.set_file_name(format!(".{}.partial", name.to_string_lossy()));
    std::fs::write(&temporary, text)?;
    std::fs::rename(&temporary, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&temporary);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_reads_back_the_same_with_openapi_first() {
        let document = serde_json::json!({
            "paths": {"/a": {"get": {"x": "line\nbreak"}}},
            "openapi": "3.1.0",
            "x-other": [1, {"b": null}],
            "info": {},
        });
        let text = pretty(&document);
        assert!(text.starts_with("{\n  \"openapi\": \"3.1.0\",\n  \"info\": {},\n  \"paths\""));
        assert!(text.ends_with("}\n"));
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, document);
        assert_eq!(pretty(&serde_json::json!([1])), "[\n  1\n]\n");
    }
}
