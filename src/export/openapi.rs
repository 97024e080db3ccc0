//! The suite as an OpenAPI 3.1 document (`leadlex-conformance export openapi`).
//!
//! Everything in it comes from the specs:
//!
//! - one operation per spec file: `operationId` is the spec's id (`contacts.delete`),
//!   `summary` its title, `externalDocs` its documentation page, `tags` its group, path
//!   parameters from the path template, query parameters that scenarios send;
//! - one response per documented status: its (status, code) pairs and their `source:` in
//!   the description and in `x-leadlex-documented`, the documented JSON Schema (bundled in
//!   `components/schemas`), the examples, and the headers `suite.yaml` promises on every
//!   response;
//! - security: HTTP bearer; an operation's documented permission is its required role;
//!   the suite's credentials are described on the scheme;
//! - a request body where scenarios send one (the specs declare no request schema, so
//!   it is an object, with the scenarios' bodies as examples);
//! - links from a response to the operations that scenarios address with a value captured
//!   from it (the created contact's `/data/id` → `contacts.get`, `contacts.delete`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{json, Map, Value};

use super::bundle::Bundle;
use super::ExportError;
use crate::spec::{template, DocumentedResponse, HeaderRule, Operation, Step, Suite};

/// The OpenAPI version of the document.
pub const OPENAPI_VERSION: &str = "3.1.0";
/// The name of the security scheme in `components/securitySchemes`.
pub const SECURITY_SCHEME: &str = "bearer";
/// The JSON Schema dialect of every schema: the harness compiles them as draft 2020-12.
const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// The OpenAPI 3.1 document of `suite`, loaded from `specs_dir` (where its schema files
/// are read again, to bundle them).
pub fn openapi(suite: &Suite, specs_dir: &Path) -> Result<Value, ExportError> {
    let mut bundle = Bundle::new(specs_dir)?;
    let usage = Usage::of(suite);
    distinct_routes(suite)?;
    let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    for op in &suite.operations {
        let item = operation(suite, op, &usage, &mut bundle)?;
        paths
            .entry(op.path.clone())
            .or_default()
            .insert(op.method.to_ascii_lowercase(), item);
    }
    let tags: BTreeSet<&str> = suite.operations.iter().map(|op| group(&op.id)).collect();
    Ok(json!({
        "openapi": OPENAPI_VERSION,
        "jsonSchemaDialect": DIALECT,
        "info": {
            "title": "LeadLex REST API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "What the LeadLex documentation promises, as the specs of \
                leadlex-conformance record it: the documented operations, their (status, \
                error code) pairs with where each is promised, response schemas and \
                examples. Only what the specs declare is here: the documentation's \
                request fields are not (request bodies are the objects the suite's \
                scenarios send). Exported by `leadlex-conformance export openapi`.",
        },
        "tags": tags.iter().map(|t| json!({"name": t})).collect::<Vec<_>>(),
        "security": [{ SECURITY_SCHEME: [] }],
        "paths": paths,
        "components": {
            "schemas": bundle.into_schemas(),
            "headers": headers(suite),
            "securitySchemes": { SECURITY_SCHEME: security_scheme(suite) },
        },
    }))
}

/// Each method and path once, and each path written one way: OpenAPI holds one operation
/// per method and path, and paths that differ only in their parameters' names
/// (`/v1/contacts/{id}`, `/v1/contacts/{contact_id}`) are one path that must not be there
/// twice.
fn distinct_routes(suite: &Suite) -> Result<(), ExportError> {
    let mut routes: BTreeMap<(&str, &str), &str> = BTreeMap::new();
    let mut shapes: BTreeMap<String, (&str, &str)> = BTreeMap::new();
    for op in &suite.operations {
        let (path, id) = (op.path.as_str(), op.id.as_str());
        let (first_path, first) = *shapes.entry(path_shape(path)).or_insert((path, id));
        if first_path != path {
            return Err(ExportError::SamePath {
                first: first.to_string(),
                first_path: first_path.to_string(),
                second: id.to_string(),
                second_path: path.to_string(),
            });
        }
        if let Some(first) = routes.insert((&op.method, path), id) {
            return Err(ExportError::SameRoute {
                first: first.to_string(),
                second: id.to_string(),
                method: op.method.clone(),
                path: path.to_string(),
            });
        }
    }
    Ok(())
}

/// A path template with its parameters' names left out: `/v1/contacts/{}`.
fn path_shape(path: &str) -> String {
    let segments =
        path.split('/').map(
            |segment| match segment.starts_with('{') && segment.ends_with('}') {
                true => "{}",
                false => segment,
            },
        );
    segments.collect::<Vec<_>>().join("/")
}

/// `contacts` for `contacts.delete`.
fn group(id: &str) -> &str {
    id.split('.').next().unwrap_or(id)
}

fn operation(
    suite: &Suite,
    op: &Operation,
    usage: &Usage,
    bundle: &mut Bundle,
) -> Result<Value, ExportError> {
    if op.responses.is_empty() {
        return Err(ExportError::NoResponse {
            operation: op.id.clone(),
        });
    }
    let parameters = parameters(op, usage);
    let mut statuses: BTreeMap<u16, Vec<&DocumentedResponse>> = BTreeMap::new();
    for response in &op.responses {
        statuses.entry(response.status).or_default().push(response);
    }
    let mut responses = Map::new();
    for (status, documented) in statuses {
        let links = match op.success().map(|s| s.status) == Some(status) {
            true => usage.links.get(&op.id),
            false => None,
        };
        let value = response(suite, op, &documented, links, bundle)?;
        responses.insert(status.to_string(), value);
    }
    let mut item = json!({
        "operationId": op.id,
        "summary": op.title,
        "description": description(op, usage),
        "externalDocs": {"url": op.doc, "description": format!("{} in the LeadLex documentation", op.title)},
        "tags": [group(&op.id)],
        "security": [{ SECURITY_SCHEME: op.permission.iter().collect::<Vec<_>>() }],
        "responses": responses,
    });
    if !parameters.is_empty() {
        item["parameters"] = Value::Array(parameters);
    }
    if let Some(permission) = &op.permission {
        item["x-leadlex-permission"] = json!(permission);
    }
    // Whether `serve` (and `cargo test`) can play this operation: tools pointed at the
    // stub leave out those it cannot.
    item["x-leadlex-stub"] = json!(crate::stub::serves(op));
    let schema = super::requests::body_schema(op, suite);
    // An operation no scenario sends a body to still gets the body its `stub:` takes.
    let unsent = Bodies {
        always: true,
        examples: Vec::new(),
    };
    let body = match (usage.bodies.get(&op.id), &schema) {
        (Some(body), _) => Some(body),
        (None, Some(_)) => Some(&unsent),
        (None, None) => None,
    };
    if let Some(body) = body {
        let mut value = request_body(body, schema);
        if super::requests::body_optional(op) {
            value["required"] = json!(false);
        }
        item["requestBody"] = value;
    }
    Ok(item)
}

/// The path parameters of the template, and the query parameters scenarios send.
fn parameters(op: &Operation, usage: &Usage) -> Vec<Value> {
    let mut parameters: Vec<Value> = op
        .params
        .iter()
        .map(|name| {
            json!({
                "name": name, "in": "path", "required": true,
                "schema": {"type": "string"},
            })
        })
        .collect();
    for name in usage.query.get(&op.id).into_iter().flatten() {
        let (schema, description) =
            super::requests::query_parameter(op, name).unwrap_or_else(|| {
                (
                    json!({"type": "string"}),
                    "Sent by scenarios of the suite; the specs declare no type.".to_string(),
                )
            });
        parameters.push(json!({
            "name": name, "in": "query", "required": false,
            "schema": schema, "description": description,
        }));
    }
    parameters
}

/// The operation's description: its page, its permission, the scenarios that test it.
fn description(op: &Operation, usage: &Usage) -> String {
    let mut text = format!("Documented at {}.", op.doc);
    if let Some(permission) = &op.permission {
        text.push_str(&format!(
            "\n\nRequired permission (as documented): `{permission}`."
        ));
    }
    if let Some(scenarios) = usage.scenarios.get(&op.id) {
        text.push_str("\n\nScenarios of the conformance suite that test it:");
        for (name, about) in scenarios {
            text.push_str(&format!("\n- `{name}`"));
            if let Some(about) = about {
                text.push_str(&format!(": {about}"));
            }
        }
    }
    text
}

/// One OpenAPI response: every documented pair of one status.
fn response(
    suite: &Suite,
    op: &Operation,
    documented: &[&DocumentedResponse],
    links: Option<&BTreeMap<String, Value>>,
    bundle: &mut Bundle,
) -> Result<Value, ExportError> {
    let (said, pairs) = documented_pairs(op, documented);
    let mut by_media: BTreeMap<&str, Vec<&DocumentedResponse>> = BTreeMap::new();
    for r in documented {
        by_media.entry(r.media_type.as_str()).or_default().push(r);
    }
    let mut content = Map::new();
    for (media, responses) in by_media {
        content.insert(media.to_string(), media_type(&responses, bundle)?);
    }
    let mut value = json!({
        "description": said.join("; "),
        "x-leadlex-documented": pairs,
        "content": content,
    });
    let headers: Map<String, Value> = suite
        .every_response
        .iter()
        .map(|h| {
            let reference = format!("#/components/headers/{}", h.name);
            (h.name.clone(), json!({ "$ref": reference }))
        })
        .collect();
    let mut headers = headers;
    if let Some(name) = attachment(op).filter(|_| documented.iter().any(|r| r.status < 300)) {
        let header = json!({
            "required": true,
            "description": "The export is a file to save (the stub's `csv` effect).",
            "schema": {"type": "string", "const": format!("attachment; filename=\"{name}\"")},
        });
        headers.insert("Content-Disposition".into(), header);
    }
    if !headers.is_empty() {
        value["headers"] = Value::Object(headers);
    }
    if let Some(links) = links.filter(|l| !l.is_empty()) {
        value["links"] = json!(links);
    }
    Ok(value)
}

/// The file name of an export's answer (its `csv` effect's), if it has one.
fn attachment(op: &Operation) -> Option<&str> {
    op.stub.as_ref()?.effects.iter().find_map(|e| match e {
        crate::spec::behaviour::Effect::Csv(csv) => csv.filename.as_deref(),
        _ => None,
    })
}

/// Where each pair of one status is documented: for the response's description, and as
/// `x-leadlex-documented` entries.
fn documented_pairs(
    op: &Operation,
    documented: &[&DocumentedResponse],
) -> (Vec<String>, Vec<Value>) {
    let said = documented
        .iter()
        .map(|r| {
            let source = r
                .source
                .clone()
                .unwrap_or_else(|| format!("documented at {}", op.doc));
            match &r.code {
                Some(code) => format!("`{code}`: {source}"),
                None => source,
            }
        })
        .collect();
    let pairs = documented
        .iter()
        .map(|r| {
            let mut pair = json!({"status": r.status, "doc": op.doc});
            if let Some(code) = &r.code {
                pair["code"] = json!(code);
            }
            if let Some(source) = &r.source {
                pair["source"] = json!(source);
            }
            pair
        })
        .collect();
    (said, pairs)
}

/// The content of one media type: the schema (one, or any of several when the pairs of
/// the status document different ones) and the examples, by error code.
fn media_type(
    responses: &[&DocumentedResponse],
    bundle: &mut Bundle,
) -> Result<Value, ExportError> {
    let mut schemas = Vec::new();
    for r in responses {
        if let Some(schema) = &r.schema {
            let reference = bundle.reference(&schema_file(&schema.display))?;
            if !schemas.contains(&reference) {
                schemas.push(reference);
            }
        }
    }
    let mut value = json!({});
    let text = responses
        .first()
        .is_some_and(|r| !crate::spec::is_json(&r.media_type));
    match schemas.len() {
        // A body that is not JSON (an export's CSV) is text, never read as JSON.
        0 if text => value["schema"] = json!({"type": "string"}),
        0 => {}
        1 => value["schema"] = schemas.remove(0),
        _ => value["schema"] = json!({ "anyOf": schemas }),
    }
    let examples: Map<String, Value> = responses
        .iter()
        .filter_map(|r| {
            let example = r.example.as_ref()?;
            let name = r.code.clone().unwrap_or_else(|| r.status.to_string());
            let summary = match &r.code {
                Some(code) => format!("{} {code}", r.status),
                None => r.status.to_string(),
            };
            Some((name, json!({"summary": summary, "value": example})))
        })
        .collect();
    if !examples.is_empty() {
        value["examples"] = Value::Object(examples);
    }
    Ok(value)
}

/// The file of a compiled schema. The spec keeps it as shown to users: relative to the
/// working directory when it is inside it, absolute otherwise.
fn schema_file(display: &str) -> std::path::PathBuf {
    let shown = Path::new(display);
    match std::env::current_dir() {
        Ok(cwd) if shown.is_relative() => cwd.join(shown),
        _ => shown.to_path_buf(),
    }
}

/// The request body of an operation that scenarios send bodies to.
fn request_body(body: &Bodies, schema: Option<Value>) -> Value {
    let examples: Map<String, Value> = body
        .examples
        .iter()
        .map(|(name, value)| (name.clone(), json!({"summary": name, "value": value})))
        .collect();
    let description = match schema {
        Some(_) => {
            "The fields the operation's `stub:` accepts, with their collection's \
            types (suite.yaml), as the suite's scenarios send them (their bodies are the \
            examples; `{{run_id}}` is the run's mark)."
        }
        None => {
            "The specs declare no request schema: any JSON object, as the suite's \
            scenarios send (their bodies are the examples; `{{run_id}}` is the run's mark)."
        }
    };
    let schema = schema.unwrap_or_else(|| json!({"type": "object"}));
    let mut media = json!({ "schema": schema });
    if !examples.is_empty() {
        media["examples"] = Value::Object(examples);
    }
    json!({
        "required": body.always,
        "description": description,
        "content": {"application/json": media},
    })
}

/// `components/headers`: the headers `suite.yaml` promises on every response.
fn headers(suite: &Suite) -> Map<String, Value> {
    suite
        .every_response
        .iter()
        .map(|h| {
            let schema = match h.rule {
                HeaderRule::Present => json!({"type": "string"}),
                HeaderRule::Integer => json!({"type": "integer", "minimum": 0}),
            };
            let value = json!({
                "required": true,
                "description": "Documented on every response (suite.yaml `every_response`).",
                "schema": schema,
            });
            (h.name.clone(), value)
        })
        .collect()
}

/// The bearer scheme, with the suite's credentials described.
fn security_scheme(suite: &Suite) -> Value {
    let mut text = String::from(
        "A workspace API key (`wbk_…`) in `Authorization: Bearer <key>`. The suite's \
         credentials:",
    );
    for (name, credential) in &suite.credentials {
        text.push_str(&format!(
            "\n- `{name}` (`{}` in live runs): {}",
            credential.env, credential.about
        ));
        if !credential.lacks.is_empty() {
            text.push_str(&format!("; lacks {}", credential.lacks.join(", ")));
        }
    }
    json!({"type": "http", "scheme": "bearer", "description": text})
}

/// What the scenarios show about each operation, by operation id.
#[derive(Default)]
struct Usage {
    /// Query parameters sent to it.
    query: BTreeMap<String, BTreeSet<String>>,
    /// Bodies sent to it.
    bodies: BTreeMap<String, Bodies>,
    /// Links of its success response: link name → link object.
    links: BTreeMap<String, BTreeMap<String, Value>>,
    /// The scenarios whose request under test it is: name, about.
    scenarios: BTreeMap<String, Vec<(String, Option<String>)>>,
}

#[derive(Default)]
struct Bodies {
    /// Every request to the operation sends one.
    always: bool,
    /// Distinct bodies, by the scenario (or shared record) that sends them first.
    examples: Vec<(String, Value)>,
}

/// One request of a scenario or shared record.
struct Sent<'a> {
    operation: &'a Operation,
    path: &'a BTreeMap<String, String>,
    query: &'a BTreeMap<String, String>,
    body: Option<&'a Value>,
    /// The spec expects it to succeed (a 2xx): its body is an example of a valid request.
    valid: bool,
}

impl Usage {
    fn of(suite: &Suite) -> Usage {
        let mut usage = Usage::default();
        let mut sends_without_body: BTreeSet<String> = BTreeSet::new();
        let shared = suite.shared.iter().map(|s| (s.name.clone(), vec![&s.step]));
        let scenarios = suite
            .scenarios
            .iter()
            .map(|s| (s.name.clone(), s.steps().collect::<Vec<_>>()));
        for (name, steps) in shared.chain(scenarios) {
            for sent in steps.iter().flat_map(|step| requests(step)) {
                let id = &sent.operation.id;
                usage
                    .query
                    .entry(id.clone())
                    .or_default()
                    .extend(sent.query.keys().cloned());
                match sent.body {
                    Some(body) => {
                        let bodies = usage.bodies.entry(id.clone()).or_default();
                        // A body the spec expects refused is no example of a request; nor
                        // is one holding the clock (`{{now_minus_1d}}`), whose value only a
                        // run knows: as written it is no date-time.
                        let example = sent.valid && !holds_the_clock(body);
                        if example && !bodies.examples.iter().any(|(_, b)| b == body) {
                            bodies.examples.push((name.clone(), body.clone()));
                        }
                    }
                    None => {
                        sends_without_body.insert(id.clone());
                    }
                }
            }
            usage.link(&steps);
        }
        for (id, bodies) in &mut usage.bodies {
            bodies.always = !sends_without_body.contains(id);
        }
        usage.query.retain(|_, names| !names.is_empty());
        for scenario in &suite.scenarios {
            usage
                .scenarios
                .entry(scenario.main.operation.id.clone())
                .or_default()
                .push((scenario.name.clone(), scenario.about.clone()));
        }
        usage
    }

    /// Links from the success response of each step that captures a value to the
    /// operations whose path parameter is exactly that value in a later request.
    fn link(&mut self, steps: &[&Step]) {
        let mut captured: BTreeMap<&str, (&Operation, &str)> = BTreeMap::new();
        for step in steps {
            for capture in &step.capture {
                captured.insert(&capture.name, (&step.operation, &capture.pointer));
            }
        }
        for sent in steps.iter().flat_map(|step| requests(step)) {
            for (param, value) in sent.path {
                let variable = value
                    .strip_prefix("{{")
                    .and_then(|v| v.strip_suffix("}}"))
                    .map(str::trim);
                let Some((source, pointer)) = variable.and_then(|v| captured.get(v)) else {
                    continue;
                };
                let target = sent.operation;
                let link = self
                    .links
                    .entry(source.id.clone())
                    .or_default()
                    .entry(target.id.clone())
                    .or_insert_with(|| {
                        json!({
                            "operationId": target.id,
                            "parameters": {},
                            "description": format!(
                                "{} of what {} made, as the suite's scenarios do",
                                target.title, source.title
                            ),
                        })
                    });
                link["parameters"][param] = json!(format!("$response.body#{pointer}"));
            }
        }
    }
}

/// Whether a body uses a clock variable anywhere.
fn holds_the_clock(body: &Value) -> bool {
    template::strings_in(body).into_iter().any(|text| {
        template::variables(text).is_ok_and(|names| names.into_iter().any(template::is_clock))
    })
}

/// A step's request and its cleanup's.
fn requests(step: &Step) -> Vec<Sent<'_>> {
    let mut sent = vec![Sent {
        operation: &step.operation,
        path: &step.request.path,
        query: &step.request.query,
        body: step.request.body.as_ref(),
        valid: step.expect.status.as_ref().is_none_or(|s| s.accepts_2xx()),
    }];
    if let Some(cleanup) = &step.cleanup {
        sent.push(Sent {
            operation: &cleanup.operation,
            path: &cleanup.request.path,
            query: &cleanup.request.query,
            body: cleanup.request.body.as_ref(),
            valid: true,
        });
    }
    sent
}
