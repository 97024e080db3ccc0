//! Cross-checks of an operation: method, path template, documented responses, schemas.
//!
//! Each schema file is compiled once per run, with format checking on, and each documented
//! example is held against its own schema.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use super::load::{display_path, Parsed, SpecError};
use super::validate::{did_you_mean, operation_id, FileCtx};
use super::{raw, DocumentedResponse, Operation, Schema, StubAction, DEFAULT_MEDIA_TYPE};
use crate::source::join;

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// Parameter names of a path template such as `/v1/contacts/{id}`.
fn path_params(template: &str) -> Result<Vec<String>, String> {
    let mut params = Vec::new();
    for segment in template.split('/') {
        if let Some(inner) = segment.strip_prefix('{') {
            let name = inner
                .strip_suffix('}')
                .ok_or_else(|| format!("path segment `{segment}` is not a `{{name}}` parameter"))?;
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!("`{{{name}}}` is not a valid parameter name"));
            }
            params.push(name.to_string());
        } else if segment.contains(['{', '}']) {
            return Err(format!(
                "path segment `{segment}` mixes text and a parameter"
            ));
        }
    }
    Ok(params)
}

pub(super) fn build_operation(
    spec: &Parsed<raw::SpecFile>,
    schemas: &mut SchemaCache,
    errors: &mut Vec<SpecError>,
) -> Operation {
    let ctx = FileCtx::new(spec);
    let raw = &spec.value.operation;
    let method = raw.method.to_ascii_uppercase();
    if !METHODS.contains(&method.as_str()) {
        errors.push(did_you_mean(
            ctx.value_error(
                "operation.method",
                format!(
                    "unknown method `{}`; use one of {}",
                    raw.method,
                    METHODS.join(", ")
                ),
            ),
            &method,
            &METHODS,
        ));
    }
    if !raw.path.starts_with('/') {
        errors.push(ctx.error("operation.path", "the path must start with `/`"));
    }
    let params = path_params(&raw.path).unwrap_or_else(|message| {
        errors.push(ctx.error("operation.path", message));
        // Read the names leniently, so that requests are not also reported for it.
        raw.path
            .split('/')
            .filter(|s| s.starts_with('{'))
            .map(|s| s.trim_matches(['{', '}']).to_string())
            .collect()
    });
    if let Some(stub) = &raw.stub {
        if stub.action != StubAction::Create && params.is_empty() {
            errors.push(ctx.error(
                "operation.stub.action",
                "read and delete need a path parameter naming the record",
            ));
        }
        if !stub.record.is_empty() && !stub.record.starts_with('/') {
            errors.push(ctx.error("operation.stub.record", "must be a JSON pointer (`/data`)"));
        }
    }
    let base_dir = spec.source.path.parent().unwrap_or(Path::new("."));
    let mut seen = BTreeSet::new();
    let responses = raw
        .responses
        .iter()
        .enumerate()
        .map(|(i, response)| {
            let at = format!("operation.responses[{i}]");
            if !(100..=599).contains(&response.status) {
                errors.push(ctx.error(&join(&at, "status"), "status must be between 100 and 599"));
            }
            if response.status >= 400 && response.code.is_none() {
                errors.push(ctx.error(&at, "an error response needs its documented `code`"));
            }
            if !seen.insert((response.status, response.code.clone())) {
                let pair = match &response.code {
                    Some(code) => format!("{} {code}", response.status),
                    None => response.status.to_string(),
                };
                errors.push(ctx.error(&at, format!("{pair} is documented twice")));
            }
            let media_type = match &response.media_type {
                None => DEFAULT_MEDIA_TYPE.to_string(),
                Some(given) => {
                    if !is_media_type(given) {
                        errors.push(ctx.value_error(
                            &join(&at, "media_type"),
                            format!(
                                "`{given}` is not a media type; write its type and subtype \
                                 without parameters, e.g. application/json, text/csv or \
                                 text/event-stream"
                            ),
                        ));
                    } else if response.schema.is_some() && !is_json(given) {
                        errors.push(ctx.error(
                            &join(&at, "schema"),
                            format!("a schema checks JSON bodies, but this response is {given}"),
                        ));
                    }
                    given.to_ascii_lowercase()
                }
            };
            let schema = response.schema.as_ref().and_then(|file| {
                schemas
                    .get(&base_dir.join(file))
                    .map_err(|message| errors.push(ctx.value_error(&join(&at, "schema"), message)))
                    .ok()
            });
            if let (Some(schema), Some(example)) = (&schema, &response.example) {
                if let Some(problem) = first_schema_error(schema, example) {
                    errors.push(ctx.error(
                        &join(&at, "example"),
                        format!("the example does not match {}: {problem}", schema.display),
                    ));
                }
            }
            DocumentedResponse {
                status: response.status,
                code: response.code.clone(),
                source: response.source.clone(),
                schema,
                example: response.example.clone(),
                media_type,
                span: ctx.span(&at),
            }
        })
        .collect();
    Operation {
        id: operation_id(&spec.relative),
        title: raw.title.clone(),
        method,
        path: raw.path.clone(),
        params,
        doc: raw.doc.clone(),
        permission: raw.permission.clone(),
        stub: raw.stub.clone(),
        responses,
        span: ctx.span("operation"),
    }
}

/// `type/subtype` made of token characters (RFC 9110), with no parameters.
fn is_media_type(text: &str) -> bool {
    let token = |part: &str| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c))
    };
    matches!(text.split_once('/'), Some((kind, sub)) if token(kind) && token(sub))
}

/// JSON itself, or a structured `+json` type.
pub(crate) fn is_json(media_type: &str) -> bool {
    let lower = media_type.to_ascii_lowercase();
    lower == DEFAULT_MEDIA_TYPE || lower.ends_with("+json")
}

fn first_schema_error(schema: &Schema, value: &Value) -> Option<String> {
    schema
        .validator
        .iter_errors(value)
        .next()
        .map(|e| format!("{} (at `{}`)", e, e.instance_path()))
}

/// Compiles each schema file once, whatever the number of responses using it.
#[derive(Default)]
pub(super) struct SchemaCache {
    compiled: HashMap<PathBuf, Result<Arc<Schema>, String>>,
}

impl SchemaCache {
    fn get(&mut self, path: &Path) -> Result<Arc<Schema>, String> {
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        self.compiled
            .entry(key)
            .or_insert_with(|| compile_schema(path))
            .clone()
    }
}

fn compile_schema(path: &Path) -> Result<Arc<Schema>, String> {
    let display = display_path(path);
    let text = std::fs::read_to_string(path)
        .map_err(|err| format!("schema file {display} cannot be read: {err}"))?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|err| format!("schema file {display} is not JSON: {err}"))?;
    let validator = jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&value)
        .map_err(|err| {
            format!(
                "schema file {display} is not a valid JSON Schema: {err} (at `{}`)",
                err.instance_path()
            )
        })?;
    Ok(Arc::new(Schema { display, validator }))
}
