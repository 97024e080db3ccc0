//! Cross-checks of an operation: method, path template, documented responses, schemas.
//!
//! Each schema file is compiled once per run, with format checking on, and each documented
//! example is held against its own schema.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use super::behaviour::{Collection, StubAction};
use super::diagnostics::{did_you_mean, operation_id, FileCtx};
use super::error::SpecError;
use super::files::{display_path, read_limited, Parsed, ReadError};
use super::stub_checks::{check_behaviour, Facts};
use super::yaml::Node;
use super::{raw, DocumentedResponse, Operation, Schema, DEFAULT_MEDIA_TYPE};
use crate::source::{join, Pos};

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// Why a path template such as `/v1/contacts/{id}` is malformed.
#[derive(Debug, thiserror::Error)]
enum PathTemplateError {
    #[error("path segment `{0}` is not a `{{name}}` parameter")]
    Unclosed(String),
    #[error("`{{{0}}}` is not a valid parameter name")]
    BadName(String),
    #[error("path segment `{0}` mixes text and a parameter")]
    Mixed(String),
}

/// Parameter names of a path template such as `/v1/contacts/{id}`.
fn path_params(template: &str) -> Result<Vec<String>, PathTemplateError> {
    let mut params = Vec::new();
    for segment in template.split('/') {
        if let Some(inner) = segment.strip_prefix('{') {
            let name = inner
                .strip_suffix('}')
                .ok_or_else(|| PathTemplateError::Unclosed(segment.to_string()))?;
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(PathTemplateError::BadName(name.to_string()));
            }
            params.push(name.to_string());
        } else if segment.contains(['{', '}']) {
            return Err(PathTemplateError::Mixed(segment.to_string()));
        }
    }
    Ok(params)
}

/// The typed operation of a spec file, its method, path, stub behaviour (against the
/// suite's `collections`, when suite.yaml could be read) and documented responses checked;
/// `None` when the file has no operation that could be read.
pub(super) fn build_operation(
    spec: &Parsed<raw::SpecFile>,
    collections: Option<&std::collections::BTreeMap<String, Collection>>,
    schemas: &mut SchemaCache,
    errors: &mut Vec<SpecError>,
) -> Option<Operation> {
    let ctx = FileCtx::new(spec);
    let raw = spec.value.operation.as_ref()?;
    let method = check_method(&ctx, &raw.method, errors);
    let params = check_path(&ctx, &raw.path, errors);
    if let Some(stub) = &raw.stub {
        let facts = Facts {
            params: &params,
            responses: &raw.responses,
            collections,
        };
        check_behaviour(&ctx, stub, &facts, errors);
    }
    check_ids_in_body(&ctx, raw, errors);
    let limited = |r: &raw::Response| r.status == 429 && r.code.as_deref() == Some("rate_limited");
    if raw.rate_limit.is_some() && !raw.responses.iter().any(limited) {
        let error = ctx.error(
            "operation.rate_limit",
            "an operation with a `rate_limit` of its own must document 429 rate_limited",
        );
        errors
            .push(error.with_hint("add `- status: 429` with `code: rate_limited` to `responses`"));
    }
    let mut documented = Responses {
        ctx: &ctx,
        base_dir: spec.source.path.parent().unwrap_or(Path::new(".")),
        schemas,
        errors,
        seen: BTreeSet::new(),
    };
    let responses = raw
        .responses
        .iter()
        .enumerate()
        .map(|(i, response)| documented.build(&format!("operation.responses[{i}]"), response))
        .collect();
    Some(Operation {
        id: operation_id(&spec.relative),
        title: raw.title.clone(),
        method,
        path: raw.path.clone(),
        params,
        doc: raw.doc.clone(),
        permission: raw.permission.clone(),
        ids_in_body: raw.ids_in_body.clone(),
        stub: raw.stub.clone(),
        rate_limit: raw.rate_limit,
        responses,
        span: ctx.span("operation"),
    })
}

/// `ids_in_body` holds JSON pointers, and names every body field in which the stub's
/// action reads ids of records it removes or merges (`bulk.items` of a bulk delete,
/// `merge.primary` and `merge.duplicates`): the live safety rules check the values there.
fn check_ids_in_body(
    ctx: &FileCtx<'_, raw::SpecFile>,
    raw: &raw::Operation,
    errors: &mut Vec<SpecError>,
) {
    for (i, pointer) in raw.ids_in_body.iter().enumerate() {
        if !pointer.starts_with('/') {
            errors.push(ctx.value_error(
                &format!("operation.ids_in_body[{i}]"),
                format!("`{pointer}` must be a JSON pointer into the body (`/contact_ids`)"),
            ));
        }
    }
    let Some(stub) = &raw.stub else {
        return;
    };
    let mut read: Vec<(&str, &str)> = Vec::new();
    if let (StubAction::BulkDelete, Some(bulk)) = (stub.action, &stub.bulk) {
        read.push(("operation.stub.bulk.items", &bulk.items));
    }
    if let (StubAction::Merge, Some(merge)) = (stub.action, &stub.merge) {
        read.push(("operation.stub.merge.primary", &merge.primary));
        read.push(("operation.stub.merge.duplicates", &merge.duplicates));
    }
    for (at, field) in read {
        let pointer = format!("/{field}");
        if !raw.ids_in_body.contains(&pointer) {
            errors.push(
                ctx.value_error(
                    at,
                    format!(
                        "`{field}` holds ids of records this operation changes or removes, so \
                         `ids_in_body` must list `{pointer}`"
                    ),
                )
                .with_hint(format!(
                    "add `ids_in_body: [{pointer}]` to the operation: live runs then send only \
                     ids the scenario created there"
                )),
            );
        }
    }
}

/// The method in capitals; one not among [`METHODS`] is reported.
fn check_method(
    ctx: &FileCtx<'_, raw::SpecFile>,
    given: &str,
    errors: &mut Vec<SpecError>,
) -> String {
    let method = given.to_ascii_uppercase();
    if !METHODS.contains(&method.as_str()) {
        errors.push(did_you_mean(
            ctx.value_error(
                "operation.method",
                format!(
                    "unknown method `{given}`; use one of {}",
                    METHODS.join(", ")
                ),
            ),
            &method,
            &METHODS,
        ));
    }
    method
}

/// The parameter names of the path template; a path not starting with `/`, or with a
/// malformed parameter, is reported.
fn check_path(
    ctx: &FileCtx<'_, raw::SpecFile>,
    path: &str,
    errors: &mut Vec<SpecError>,
) -> Vec<String> {
    if !path.starts_with('/') {
        errors.push(ctx.error("operation.path", "the path must start with `/`"));
    }
    path_params(path).unwrap_or_else(|error| {
        errors.push(ctx.error("operation.path", error.to_string()));
        // Read the names leniently, so that requests are not also reported for it.
        path.split('/')
            .filter(|s| s.starts_with('{'))
            .map(|s| s.trim_matches(['{', '}']).to_string())
            .collect()
    })
}

/// Builds the documented responses of one operation, each checked on its own and against
/// the ones documented before it.
struct Responses<'a, 'c> {
    ctx: &'c FileCtx<'c, raw::SpecFile>,
    /// The folder of the spec file: schema files are named from there.
    base_dir: &'c Path,
    schemas: &'a mut SchemaCache,
    errors: &'a mut Vec<SpecError>,
    /// The status and code pairs documented so far.
    seen: BTreeSet<(u16, Option<String>)>,
}

impl Responses<'_, '_> {
    /// The documented response at `at`, with its schema compiled.
    fn build(&mut self, at: &str, response: &raw::Response) -> DocumentedResponse {
        self.check_pair(at, response);
        let media_type = self.media_type(at, response);
        let schema = self.schema(at, response);
        if let (Some(schema), Some(example)) = (&schema, &response.example) {
            self.check_example(at, schema, example);
        }
        DocumentedResponse {
            status: response.status,
            // A code on a 2xx is reported above; the pair is read without it, so
            // scenarios expecting the 2xx are not reported too.
            code: response.code.clone().filter(|_| response.status >= 300),
            source: response.source.clone(),
            schema,
            example: response.example.clone(),
            media_type,
            span: self.ctx.span(at),
        }
    }

    /// The status and its code: no code on a success, a code on every error, and each
    /// pair documented once.
    fn check_pair(&mut self, at: &str, response: &raw::Response) {
        if let (true, Some(code)) = ((200..300).contains(&response.status), &response.code) {
            let path = join(at, "code");
            let error = code_on_success(self.ctx, &path, code, response.status);
            self.errors.push(error);
        }
        if response.status >= 400 && response.code.is_none() {
            let error = self
                .ctx
                .error(at, "an error response needs its documented `code`");
            self.errors.push(error);
        }
        if !self.seen.insert((response.status, response.code.clone())) {
            let pair = match &response.code {
                Some(code) => format!("{} {code}", response.status),
                None => response.status.to_string(),
            };
            let error = self.ctx.error(at, format!("{pair} is documented twice"));
            self.errors.push(error);
        }
    }

    /// The media type in lower case, [`DEFAULT_MEDIA_TYPE`] when none is given; one that
    /// is malformed, or not JSON under a schema, is reported.
    fn media_type(&mut self, at: &str, response: &raw::Response) -> String {
        let Some(given) = &response.media_type else {
            return DEFAULT_MEDIA_TYPE.to_string();
        };
        if !is_media_type(given) {
            self.errors.push(self.ctx.value_error(
                &join(at, "media_type"),
                format!(
                    "`{given}` is not a media type; write its type and subtype without \
                     parameters, e.g. application/json, text/csv or text/event-stream"
                ),
            ));
        } else if response.schema.is_some() && !is_json(given) {
            self.errors.push(self.ctx.error(
                &join(at, "schema"),
                format!("a schema checks JSON bodies, but this response is {given}"),
            ));
        }
        given.to_ascii_lowercase()
    }

    /// The compiled schema the response names, if any: a wrong name is reported here, a
    /// broken schema once by [`SchemaCache::problems`].
    fn schema(&mut self, at: &str, response: &raw::Response) -> Option<Arc<Schema>> {
        let file = response.schema.as_ref()?;
        let path = join(at, "schema");
        let used_at = self.ctx.value_span(&path).to_string();
        match self.schemas.get(self.base_dir, file, used_at) {
            Ok(schema) => schema,
            Err(error) => {
                let error = self.ctx.value_error(&path, error.to_string());
                self.errors.push(error);
                None
            }
        }
    }

    /// The documented example must match the response's own schema.
    fn check_example(&mut self, at: &str, schema: &Schema, example: &Value) {
        if let Some(problem) = first_schema_error(schema, example) {
            self.errors.push(self.ctx.error(
                &join(at, "example"),
                format!("the example does not match {}: {problem}", schema.display),
            ));
        }
    }
}

/// An error code on a success status: refused, with what to do instead.
pub(super) fn code_on_success<T>(
    ctx: &FileCtx<'_, T>,
    path: &str,
    code: &str,
    status: u16,
) -> SpecError {
    ctx.value_error(
        path,
        format!("`code: {code}` on a {status}: an error code belongs to an error response"),
    )
    .with_hint("a 2xx answer has no error code: remove `code`, or expect the error status that goes with it")
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

/// The largest schema file read.
pub const MAX_SCHEMA_FILE_BYTES: u64 = 1024 * 1024;

/// Compiles each schema file once, whatever the number of responses using it. A schema
/// that is broken is reported once, at the schema, with every place that uses it.
pub(super) struct SchemaCache {
    /// The specs directory, canonical: no schema or `$ref` may leave it.
    root: Option<PathBuf>,
    compiled: HashMap<PathBuf, Result<Arc<Schema>, usize>>,
    broken: Vec<(SpecError, Vec<String>)>,
}

impl SchemaCache {
    pub(super) fn new(specs_dir: &Path) -> Self {
        SchemaCache {
            root: std::fs::canonicalize(specs_dir).ok(),
            compiled: HashMap::new(),
            broken: Vec::new(),
        }
    }

    /// The schema `reference` names from a spec file in `base_dir`: `Err` when the
    /// reference itself is wrong (reported at it), `Ok(None)` when the schema is broken
    /// (reported once by [`SchemaCache::problems`]).
    fn get(
        &mut self,
        base_dir: &Path,
        reference: &str,
        used_at: String,
    ) -> Result<Option<Arc<Schema>>, SchemaFileError> {
        let root = self.root.clone().unwrap_or_else(|| base_dir.to_path_buf());
        let path = inside(&root, base_dir, reference)?;
        let display = display_path(&path);
        let bytes = read_limited(
            &path,
            MAX_SCHEMA_FILE_BYTES,
            &format!("schema file {display}"),
        )?;
        let entry = match self.compiled.get(&path) {
            Some(entry) => entry.clone(),
            None => {
                let entry = compile_schema(&root, &path, display, &bytes).map_err(|error| {
                    self.broken.push((*error, Vec::new()));
                    self.broken.len() - 1
                });
                self.compiled.insert(path, entry.clone());
                entry
            }
        };
        match entry {
            Ok(schema) => Ok(Some(schema)),
            Err(broken) => {
                self.broken[broken].1.push(used_at);
                Ok(None)
            }
        }
    }

    /// One error per broken schema, at the schema, naming where it is used.
    pub(super) fn problems(&mut self) -> Vec<SpecError> {
        std::mem::take(&mut self.broken)
            .into_iter()
            .map(|(error, uses)| error.with_hint(format!("used at {}", uses.join(", "))))
            .collect()
    }
}

/// Why a schema file, or a file a schema's `$ref` names, is refused.
#[derive(Debug, thiserror::Error)]
enum SchemaFileError {
    /// An absolute path, a URL, or a path leaving the specs directory.
    #[error(
        "`{0}` is outside the specs directory; schemas are files inside it, named relative \
         to the file that uses them"
    )]
    Outside(String),
    /// Nothing at the path (shown) the reference leads to.
    #[error("schema file {0} does not exist")]
    Missing(String),
    #[error(transparent)]
    NotRead(#[from] ReadError),
}

/// The file `reference` names from `base_dir`, if it stays inside `root`: not absolute,
/// not leaving the directory through `..` or a symbolic link.
fn inside(root: &Path, base_dir: &Path, reference: &str) -> Result<PathBuf, SchemaFileError> {
    let outside = || SchemaFileError::Outside(reference.to_string());
    if Path::new(reference).is_absolute() || reference.contains("://") {
        return Err(outside());
    }
    let joined = base_dir.join(reference);
    let path = std::fs::canonicalize(&joined)
        .map_err(|_| SchemaFileError::Missing(display_path(&joined)))?;
    if !path.starts_with(root) {
        return Err(outside());
    }
    Ok(path)
}

/// Fetches the files a schema's `$ref`s name, inside the specs directory only.
struct SpecsRetriever {
    root: PathBuf,
}

impl jsonschema::Retrieve for SpecsRetriever {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let refused = || format!("`{uri}` is not a file inside the specs directory");
        let file = file_of_uri(uri.as_str()).ok_or_else(refused)?;
        let path = std::fs::canonicalize(file).map_err(|_| refused())?;
        if !path.starts_with(&self.root) {
            return Err(refused().into());
        }
        let bytes = read_limited(&path, MAX_SCHEMA_FILE_BYTES, "the referenced schema")?;
        Ok(serde_json::from_slice(&bytes)?)
    }
}

/// The URI a schema at `path` is compiled with, the base of its relative `$ref`s: a
/// `file:` URL, its path percent-encoded, so that a folder named `my specs` or `#1` is
/// still a valid base.
fn base_uri(path: &Path) -> String {
    reqwest::Url::from_file_path(path)
        .map(String::from)
        .unwrap_or_else(|()| format!("file://{}", path.display()))
}

/// The file a `file:` URI names, its percent-escapes decoded; `None` for any other URI.
fn file_of_uri(uri: &str) -> Option<PathBuf> {
    let url = reqwest::Url::parse(uri).ok()?;
    match url.scheme() {
        "file" => url.to_file_path().ok(),
        _ => None,
    }
}

/// A schema file's text, to locate its problems.
struct SchemaSource<'t> {
    display: &'t str,
    text: &'t str,
}

impl SchemaSource<'_> {
    /// A problem at a position of the schema file, shown with its line.
    fn error(&self, pos: Pos, message: String) -> SpecError {
        let starts = crate::source::line_starts(self.text);
        SpecError::at_line(
            self.display,
            crate::source::line_of(self.text, &starts, pos.line),
            pos,
            message,
        )
    }

    /// The file is not JSON: at the parser's position, in its words without the position.
    fn not_json(&self, err: &serde_json::Error) -> Box<SpecError> {
        let pos = Pos {
            line: err.line().max(1),
            col: err.column().max(1),
        };
        let said = err.to_string();
        let said = said.split(" at line ").next().unwrap_or(&said).to_string();
        Box::new(self.error(pos, format!("the schema is not JSON: {said}")))
    }

    /// The JSON is no valid schema: at the value the validator names, else at the start.
    fn invalid(
        &self,
        tree: Option<&Node>,
        err: &jsonschema::ValidationError<'_>,
    ) -> Box<SpecError> {
        let pointer = err.instance_path().to_string();
        let pos = tree
            .and_then(|t| at_pointer(t, &pointer))
            .unwrap_or(Pos { line: 1, col: 1 });
        let message = format!("not a valid JSON Schema (draft 2020-12): {err}");
        Box::new(self.error(pos, message))
    }
}

/// Compiles the schema file at `path` (whose text is `bytes`), or says what is wrong with
/// it, located in it.
fn compile_schema(
    root: &Path,
    path: &Path,
    display: String,
    bytes: &[u8],
) -> Result<Arc<Schema>, Box<SpecError>> {
    let text = String::from_utf8_lossy(bytes);
    let source = SchemaSource {
        display: &display,
        text: &text,
    };
    let value: Value = serde_json::from_slice(bytes).map_err(|err| source.not_json(&err))?;
    let tree = super::yaml::parse(&text).root;
    check_refs(root, path.parent().unwrap_or(root), tree.as_ref(), &source)?;
    let base = base_uri(path);
    let validator = jsonschema::draft202012::options()
        .should_validate_formats(true)
        .with_base_uri(base)
        .with_retriever(SpecsRetriever {
            root: root.to_path_buf(),
        })
        .build(&value)
        .map_err(|err| source.invalid(tree.as_ref(), &err))?;
    Ok(Arc::new(Schema { display, validator }))
}

/// Each file a `$ref` of the schema names (from `dir`, the schema's folder) must be a
/// readable file inside `root`; the first that is not is reported at its `$ref`.
fn check_refs(
    root: &Path,
    dir: &Path,
    tree: Option<&Node>,
    source: &SchemaSource<'_>,
) -> Result<(), Box<SpecError>> {
    for (reference, pos) in tree.into_iter().flat_map(refs) {
        let width = reference.chars().count() + 2;
        if let Some(encoded) = needs_encoding(&reference) {
            let message = format!(
                "`$ref` is not a URI reference: a URI writes a space and such characters \
                 percent-encoded, as `{encoded}`"
            );
            return Err(Box::new(source.error(pos, message).with_width(width)));
        }
        let file = reference.split('#').next().unwrap_or_default();
        if file.is_empty() {
            continue;
        }
        let file = percent_decoded(file);
        let problem = inside(root, dir, &file).and_then(|target| {
            read_limited(&target, MAX_SCHEMA_FILE_BYTES, "the referenced file")
                .map(drop)
                .map_err(SchemaFileError::from)
        });
        if let Err(refused) = problem {
            let located = source.error(pos, format!("`$ref` refused: {refused}"));
            return Err(Box::new(located.with_width(width)));
        }
    }
    Ok(())
}

/// The characters a URI reference must percent-encode: controls, a space, `"`, `<`, `>`,
/// `\\`, `^`, `` ` ``, `{`, `|`, `}` (and every non-ASCII character).
const NOT_IN_A_URI: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// `reference` written as a URI reference, when it holds characters a URI must
/// percent-encode; `None` when it is one already. The `$ref` of a file named
/// `my schema.json` is `my%20schema.json`.
fn needs_encoding(reference: &str) -> Option<String> {
    let encoded = percent_encoding::utf8_percent_encode(reference, NOT_IN_A_URI).to_string();
    (encoded != reference).then_some(encoded)
}

/// The path of a relative URI reference with its percent-escapes decoded (`%20` is a
/// space), as the schema validator reads it; text that does not decode to UTF-8 is kept.
fn percent_decoded(path: &str) -> String {
    percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .map_or_else(|_| path.to_string(), String::from)
}

/// Every `$ref` string of a schema, with the position of its value.
fn refs(node: &Node) -> Vec<(String, Pos)> {
    use super::yaml::Yaml;
    let mut found = Vec::new();
    match &node.value {
        Yaml::Map(entries) => {
            for entry in entries {
                match (entry.key.as_str(), entry.value.scalar()) {
                    ("$ref", Some(text)) => found.push((text.to_string(), entry.value.pos)),
                    _ => found.extend(refs(&entry.value)),
                }
            }
        }
        Yaml::Seq(items) => found.extend(items.iter().flat_map(refs)),
        Yaml::Scalar { .. } => {}
    }
    found
}

/// Where the value at a JSON pointer starts.
fn at_pointer(node: &Node, pointer: &str) -> Option<Pos> {
    use super::yaml::Yaml;
    let mut here = node;
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        here = match &here.value {
            Yaml::Map(entries) => &entries.iter().find(|e| e.key == token)?.value,
            Yaml::Seq(items) => items.get(token.parse::<usize>().ok()?)?,
            Yaml::Scalar { .. } => return None,
        };
    }
    Some(here.pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schema_path_is_a_valid_base_uri_and_back_whatever_its_characters() {
        let path = Path::new("/tmp/my specs é #1 %41 ?/contacts/contact.schema.json");
        let base = base_uri(path);
        assert_eq!(
            base,
            "file:///tmp/my%20specs%20%C3%A9%20%231%20%2541%20%3F/contacts/contact.schema.json"
        );
        assert_eq!(file_of_uri(&base).as_deref(), Some(path));
        assert_eq!(file_of_uri("https://example.com/a.json"), None);
    }

    #[test]
    fn a_ref_is_a_uri_reference_its_escapes_decoded() {
        assert_eq!(needs_encoding("my%20schema.json"), None);
        assert_eq!(
            needs_encoding("my schema.json#/a b").as_deref(),
            Some("my%20schema.json#/a%20b")
        );
        assert_eq!(percent_decoded("my%20sch%C3%A9ma.json"), "my schéma.json");
        assert_eq!(percent_decoded("100%.json"), "100%.json");
        assert_eq!(percent_decoded("%ZZ%4"), "%ZZ%4");
    }
}
