//! Cross-checks that turn the parsed files into a [`Suite`] before any request is sent.
//!
//! Each check adds a located [`SpecError`] and carries on, so one run of the loader reports
//! every problem: unknown credentials or operations, path parameters that do not match the
//! template, undefined variables, expectations that the documentation does not promise,
//! schema files that are missing or invalid, and examples that fail their own schema.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use super::load::{display_path, file_name, Parsed, SpecError};
use super::{
    raw, Captured, Cleanup, DocumentedResponse, Equality, Expectation, HeaderCheck, Operation,
    Request, Scenario, Schema, StatusSet, Step, StubAction, Suite, BUILTIN_CREDENTIALS,
    BUILTIN_VARIABLES,
};
use crate::source::{join, Span};
use crate::template;

/// A list for a hint, cut after a dozen names.
fn listed(names: &[&str]) -> String {
    match names.len() {
        0..=12 => names.join(", "),
        n => format!("{}, … ({} in all)", names[..12].join(", "), n),
    }
}

/// Adds a "did you mean" label when one of `known` is close to `given`.
fn did_you_mean(error: SpecError, given: &str, known: &[&str]) -> SpecError {
    match super::keys::closest(given, known) {
        Some(meant) => error.with_label(format!("did you mean `{meant}`?")),
        None => error,
    }
}

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// Locates errors and spans inside one file.
struct FileCtx<'a, T> {
    parsed: &'a Parsed<T>,
    file: Arc<str>,
}

impl<'a, T> FileCtx<'a, T> {
    fn new(parsed: &'a Parsed<T>) -> Self {
        FileCtx {
            parsed,
            file: file_name(&parsed.source.display),
        }
    }

    fn span(&self, path: &str) -> Span {
        Span {
            file: self.file.clone(),
            pos: self.parsed.index.pos(path),
        }
    }

    /// An error about the value at `path` (an unknown name, say): the caret goes under it.
    fn value_error(&self, path: &str, message: impl Into<String>) -> SpecError {
        SpecError::in_source(
            self.parsed.source.display.clone(),
            &self.parsed.source.text,
            self.parsed.index.value_pos(path),
            message,
        )
    }

    fn error(&self, path: &str, message: impl Into<String>) -> SpecError {
        SpecError::in_source(
            self.parsed.source.display.clone(),
            &self.parsed.source.text,
            self.parsed.index.pos(path),
            message,
        )
    }
}

/// Builds the typed suite, or every error found.
pub(super) fn build(
    suite: Parsed<raw::SuiteFile>,
    specs: Vec<Parsed<raw::SpecFile>>,
) -> Result<Suite, Vec<SpecError>> {
    let mut errors = Vec::new();
    let every_response = check_suite(&suite, &mut errors);
    let mut schemas = SchemaCache::default();
    let mut operations: BTreeMap<String, Arc<Operation>> = BTreeMap::new();
    for spec in &specs {
        let op = build_operation(spec, &mut schemas, &mut errors);
        if let Some(first) = operations.get(&op.id) {
            errors.push(
                SpecError::new(
                    spec.source.display.clone(),
                    None,
                    format!(
                        "operation `{}` is also defined by {}",
                        op.id, first.span.file
                    ),
                )
                .with_hint(
                    "an operation's id is its file's path without the extension: keep one file",
                ),
            );
        }
        operations.insert(op.id.clone(), Arc::new(op));
    }
    let known = Known {
        operations: &operations,
        credentials: &suite.value.credentials,
        default_credential: &suite.value.default_credential,
    };
    let (mut scenarios, scenario_errors) = build_all_scenarios(&specs, &known);
    errors.extend(scenario_errors);
    if scenarios.is_empty() && errors.is_empty() {
        let dir = suite.source.path.parent().unwrap_or(Path::new("."));
        errors.push(
            SpecError::new(
                display_path(dir),
                None,
                "no scenarios found in any spec file: there is nothing to run",
            )
            .with_hint("add a `scenarios:` list to a spec file; README.md shows the format"),
        );
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    scenarios.sort_by(|a, b| a.trial_name.cmp(&b.trial_name));
    Ok(Suite {
        credentials: suite.value.credentials,
        every_response,
        stub_rate_limit: suite.value.stub.rate_limit,
        operations: operations.into_values().collect(),
        scenarios,
    })
}

fn check_suite(suite: &Parsed<raw::SuiteFile>, errors: &mut Vec<SpecError>) -> Vec<HeaderCheck> {
    let ctx = FileCtx::new(suite);
    for name in suite.value.credentials.keys() {
        if BUILTIN_CREDENTIALS.contains(&name.as_str()) {
            errors.push(ctx.error(
                &join("credentials", name),
                format!("`{name}` is a built-in credential and cannot be redefined"),
            ));
        }
    }
    if !suite
        .value
        .credentials
        .contains_key(&suite.value.default_credential)
    {
        let names: Vec<&str> = suite.value.credentials.keys().map(String::as_str).collect();
        let given = &suite.value.default_credential;
        errors.push(did_you_mean(
            ctx.value_error(
                "default_credential",
                format!("default_credential `{given}` is not among the credentials"),
            )
            .with_hint(format!("credentials: {}", names.join(", "))),
            given,
            &names,
        ));
    }
    if suite.value.stub.rate_limit == 0 {
        errors.push(ctx.error("stub.rate_limit", "stub.rate_limit must be at least 1"));
    }
    suite
        .value
        .every_response
        .headers
        .iter()
        .map(|(name, rule)| HeaderCheck {
            name: name.clone(),
            rule: *rule,
            span: ctx.span(&join("every_response.headers", name)),
        })
        .collect()
}

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

fn operation_id(relative: &str) -> String {
    let stem = relative
        .strip_suffix(".yaml")
        .or_else(|| relative.strip_suffix(".yml"))
        .unwrap_or(relative);
    stem.replace('/', ".")
}

fn build_operation(
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

fn first_schema_error(schema: &Schema, value: &Value) -> Option<String> {
    schema
        .validator
        .iter_errors(value)
        .next()
        .map(|e| format!("{} (at `{}`)", e, e.instance_path()))
}

/// Compiles each schema file once, whatever the number of responses using it.
#[derive(Default)]
struct SchemaCache {
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

/// Builds the scenarios of every file, files spread over the cores; errors keep the
/// files' order.
fn build_all_scenarios(
    specs: &[Parsed<raw::SpecFile>],
    known: &Known<'_>,
) -> (Vec<Arc<Scenario>>, Vec<SpecError>) {
    let results = super::in_parallel(specs, |chunk| {
        let mut errors = Vec::new();
        let built: Vec<_> = chunk
            .iter()
            .flat_map(|spec| build_scenarios(spec, known, &mut errors))
            .collect();
        (built, errors)
    });
    let (built, errors): (Vec<_>, Vec<_>) = results.into_iter().unzip();
    (
        built.into_iter().flatten().collect(),
        errors.into_iter().flatten().collect(),
    )
}

/// Names a scenario may refer to.
struct Known<'a> {
    operations: &'a BTreeMap<String, Arc<Operation>>,
    credentials: &'a BTreeMap<String, raw::Credential>,
    default_credential: &'a str,
}

fn build_scenarios(
    spec: &Parsed<raw::SpecFile>,
    known: &Known<'_>,
    errors: &mut Vec<SpecError>,
) -> Vec<Arc<Scenario>> {
    let ctx = FileCtx::new(spec);
    let own = &known.operations[&operation_id(&spec.relative)];
    let mut names = BTreeSet::new();
    let mut built = Vec::new();
    for (i, raw) in spec.value.scenarios.iter().enumerate() {
        let at = format!("scenarios[{i}]");
        if raw.name.is_empty()
            || !raw
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            errors.push(ctx.value_error(
                &join(&at, "name"),
                format!(
                    "scenario name `{}` must be letters, digits, `_` or `-`",
                    raw.name
                ),
            ));
        }
        if !names.insert(raw.name.as_str()) {
            errors.push(ctx.error(
                &join(&at, "name"),
                format!("scenario name `{}` is used twice in this file", raw.name),
            ));
        }
        let mut builder = ScenarioBuilder {
            ctx: &ctx,
            known,
            errors: &mut *errors,
            defined: BUILTIN_VARIABLES.iter().map(|s| s.to_string()).collect(),
        };
        let setup = builder.steps(&at, "setup", &raw.setup);
        let main = builder.main_step(&at, own, raw);
        let verify = builder.steps(&at, "verify", &raw.verify);
        if let Some(repeat) = &raw.repeat_until_status {
            if repeat.max_requests == 0 {
                errors.push(ctx.error(
                    &join(&at, "repeat_until_status.max_requests"),
                    "max_requests must be at least 1",
                ));
            }
            if repeat.max_seconds == 0 {
                errors.push(ctx.error(
                    &join(&at, "repeat_until_status.max_seconds"),
                    "max_seconds must be at least 1",
                ));
            }
        }
        built.push(Arc::new(Scenario {
            trial_name: format!("{}::{}", spec.relative, raw.name),
            name: raw.name.clone(),
            operation: own.clone(),
            about: raw.about.clone(),
            ignore: raw.ignore.clone(),
            spends_quota: raw.spends_quota,
            setup,
            main,
            repeat_until_status: raw.repeat_until_status.clone(),
            verify,
            span: ctx.span(&at),
        }));
    }
    built
}

/// Builds one scenario's steps, tracking which variables are defined so far.
struct ScenarioBuilder<'a, 'c> {
    ctx: &'c FileCtx<'c, raw::SpecFile>,
    known: &'c Known<'c>,
    errors: &'a mut Vec<SpecError>,
    defined: BTreeSet<String>,
}

impl ScenarioBuilder<'_, '_> {
    fn steps(&mut self, at: &str, field: &str, raw: &[raw::Step]) -> Vec<Step> {
        raw.iter()
            .enumerate()
            .filter_map(|(i, step)| {
                let at = format!("{}[{i}]", join(at, field));
                let Some(operation) = self.operation(&join(&at, "operation"), &step.operation)
                else {
                    // Its captures still exist, so later uses are not reported too.
                    self.defined.extend(step.capture.keys().cloned());
                    return None;
                };
                let expect = step.expect.clone().unwrap_or_default();
                let mut built = self.step(
                    &at,
                    format!("{field}[{i}]"),
                    operation,
                    &step.request,
                    &expect,
                );
                for (name, capture) in &step.capture {
                    if BUILTIN_VARIABLES.contains(&name.as_str()) {
                        self.errors.push(self.ctx.error(
                            &join(&join(&at, "capture"), name),
                            format!("`{name}` is a built-in variable; capture into another name"),
                        ));
                    }
                    let pointer = capture.pointer();
                    if !pointer.starts_with('/') {
                        self.errors.push(self.ctx.value_error(
                            &join(&join(&at, "capture"), name),
                            format!("capture `{name}` needs a JSON pointer such as `/data/id`"),
                        ));
                    }
                    self.defined.insert(name.clone());
                    built.capture.push(Captured {
                        name: name.clone(),
                        pointer: pointer.to_string(),
                        secret: capture.secret(),
                    });
                }
                built.cleanup = step.cleanup.as_ref().and_then(|cleanup| {
                    let at = join(&at, "cleanup");
                    let operation = self.operation(&join(&at, "operation"), &cleanup.operation)?;
                    let request = self.request(&at, &operation, &cleanup.request);
                    Some(Cleanup { operation, request })
                });
                Some(built)
            })
            .collect()
    }

    fn main_step(&mut self, at: &str, own: &Arc<Operation>, raw: &raw::Scenario) -> Step {
        let step = self.step(
            at,
            "request".to_string(),
            own.clone(),
            &raw.request,
            &raw.expect,
        );
        match &raw.expect.status {
            None => self.errors.push(self.ctx.error(
                &join(at, "expect"),
                "the scenario's `expect` needs a `status`",
            )),
            Some(StatusSet::AnyOf(_)) => self.errors.push(self.ctx.error(
                &join(at, "expect.status"),
                "a scenario checks one documented status; lists are for setup and verify steps",
            )),
            Some(StatusSet::One(status)) => {
                let code = raw.expect.code.as_deref();
                let documented = own
                    .responses
                    .iter()
                    .any(|r| r.status == *status && r.code.as_deref() == code);
                if !documented {
                    let pairs: Vec<String> = own
                        .responses
                        .iter()
                        .map(|r| match &r.code {
                            Some(c) => format!("{} {c}", r.status),
                            None => r.status.to_string(),
                        })
                        .collect();
                    self.errors.push(
                        self.ctx
                            .error(
                                &join(at, "expect"),
                                format!(
                                    "{} {} is not documented for {}",
                                    status,
                                    code.unwrap_or("(no code)"),
                                    own.id
                                ),
                            )
                            .with_hint(format!("documented: {}", pairs.join(", "))),
                    );
                }
            }
        }
        step
    }

    fn step(
        &mut self,
        at: &str,
        label: String,
        operation: Arc<Operation>,
        request: &raw::Request,
        expect: &raw::Expect,
    ) -> Step {
        let request = self.request(at, &operation, request);
        let expect_at = join(at, "expect");
        let equals = expect
            .equals
            .iter()
            .map(|(pointer, value)| {
                let entry = join(&join(&expect_at, "equals"), pointer);
                if !pointer.starts_with('/') {
                    self.errors.push(self.ctx.error(
                        &entry,
                        format!("`{pointer}` is not a JSON pointer (they start with `/`)"),
                    ));
                }
                for text in template::strings_in(value) {
                    self.check_template(&entry, text);
                }
                Equality {
                    pointer: pointer.clone(),
                    value: value.clone(),
                    span: self.ctx.span(&entry),
                }
            })
            .collect();
        let headers = expect
            .headers
            .iter()
            .map(|(name, rule)| HeaderCheck {
                name: name.clone(),
                rule: *rule,
                span: self.ctx.span(&join(&join(&expect_at, "headers"), name)),
            })
            .collect();
        Step {
            label,
            operation,
            request,
            expect: Expectation {
                status: expect.status.clone(),
                code: expect.code.clone(),
                headers,
                equals,
                span: self.ctx.span(&expect_at),
            },
            capture: Vec::new(),
            cleanup: None,
            span: self.ctx.span(at),
        }
    }

    fn operation(&mut self, at: &str, id: &str) -> Option<Arc<Operation>> {
        let found = self.known.operations.get(id).cloned();
        if found.is_none() {
            let ids: Vec<&str> = self.known.operations.keys().map(String::as_str).collect();
            let error = self
                .ctx
                .value_error(at, format!("unknown operation `{id}`"))
                .with_hint(format!(
                    "operations are named by their spec file: {}",
                    listed(&ids)
                ));
            self.errors.push(did_you_mean(error, id, &ids));
        }
        found
    }

    fn request(&mut self, at: &str, operation: &Operation, raw: &raw::Request) -> Request {
        let at = join(at, "request");
        let credential = raw
            .credential
            .clone()
            .unwrap_or_else(|| self.known.default_credential.to_string());
        // A broken `default_credential` is reported once, in suite.yaml, not at every
        // request that relies on it.
        let default_is_broken = raw.credential.is_none()
            && !self
                .known
                .credentials
                .contains_key(self.known.default_credential);
        if !default_is_broken
            && !self.known.credentials.contains_key(&credential)
            && !BUILTIN_CREDENTIALS.contains(&credential.as_str())
        {
            let mut names: Vec<&str> = self.known.credentials.keys().map(String::as_str).collect();
            names.extend(BUILTIN_CREDENTIALS);
            self.errors.push(did_you_mean(
                self.ctx
                    .value_error(
                        &join(&at, "credential"),
                        format!("unknown credential `{credential}`"),
                    )
                    .with_hint(format!("known credentials: {}", names.join(", "))),
                &credential,
                &names,
            ));
        }
        let given: BTreeSet<&str> = raw.path.keys().map(String::as_str).collect();
        let wanted: BTreeSet<&str> = operation.params.iter().map(String::as_str).collect();
        for missing in wanted.difference(&given) {
            self.errors.push(self.ctx.error(
                &at,
                format!(
                    "path parameter `{missing}` of {} is not given",
                    operation.path
                ),
            ));
        }
        for extra in given.difference(&wanted) {
            self.errors.push(self.ctx.error(
                &join(&join(&at, "path"), extra),
                format!("`{extra}` is not a parameter of {}", operation.path),
            ));
        }
        for (field, values) in [("path", &raw.path), ("query", &raw.query)] {
            for (name, value) in values {
                self.check_template(&join(&join(&at, field), name), value);
            }
        }
        if let Some(body) = &raw.body {
            for text in template::strings_in(body) {
                self.check_template(&join(&at, "body"), text);
            }
        }
        Request {
            credential,
            path: raw.path.clone(),
            query: raw.query.clone(),
            body: raw.body.clone(),
        }
    }

    fn check_template(&mut self, at: &str, text: &str) {
        match template::variables(text) {
            Err(message) => self.errors.push(self.ctx.error(at, message)),
            Ok(names) => {
                for name in names {
                    if !self.defined.contains(name) {
                        let known: Vec<&str> = self.defined.iter().map(String::as_str).collect();
                        let error = self
                            .ctx
                            .value_error(
                                at,
                                format!("variable `{name}` is not defined at this point"),
                            )
                            .with_hint(format!(
                                "defined here: {} (captures of earlier setup steps and built-ins)",
                                known.join(", ")
                            ));
                        self.errors.push(did_you_mean(error, name, &known));
                    }
                }
            }
        }
    }
}
