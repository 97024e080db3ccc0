//! `export openapi`: the suite as an OpenAPI 3.1 document that stands alone. Checked
//! here without any outside tool: every promise of the specs is in it, every `$ref`
//! resolves inside it, and every example passes its schema resolved inside it.
//! (`interop.rs` has openapi-spec-validator and Schemathesis read it.)

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{json, Value};

use leadlex_conformance::{load, openapi};

use crate::common::{command, copy_specs, root, shipped_operations, text};

/// The document the command prints, parsed.
fn exported(env: &BTreeMap<String, String>) -> Value {
    let output = command(env, &["export", "openapi"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("export prints JSON")
}

fn specs_env(dir: &Path) -> BTreeMap<String, String> {
    BTreeMap::from([("LEADLEX_SPECS".to_string(), dir.display().to_string())])
}

/// The value a local `$ref` (`#/a/b`) names in `document`.
fn resolve<'a>(document: &'a Value, reference: &str) -> Option<&'a Value> {
    document.pointer(reference.strip_prefix('#')?)
}

/// Every `$ref` string of the document that does not resolve inside it.
fn dangling(document: &Value) -> Vec<String> {
    fn walk(value: &Value, document: &Value, found: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, item) in map {
                    match (key.as_str(), item) {
                        ("$ref", Value::String(r)) if resolve(document, r).is_none() => {
                            found.push(r.clone())
                        }
                        _ => walk(item, document, found),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, document, found)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(document, document, &mut found);
    found
}

/// Problems of each response example against its schema, compiled from the document alone
/// (no retriever: a reference leaving the document cannot compile), formats checked.
fn example_problems(document: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (status, response) in op["responses"].as_object().unwrap() {
                for media in response["content"].as_object().unwrap().values() {
                    let Some(schema) = media.get("schema") else {
                        continue;
                    };
                    let mut root = document.clone();
                    match schema.get("$ref") {
                        Some(reference) => root["$ref"] = reference.clone(),
                        // An inline schema (a CSV body is a string).
                        None => root = schema.clone(),
                    }
                    let validator = jsonschema::draft202012::options()
                        .should_validate_formats(true)
                        .build(&root)
                        .unwrap_or_else(|e| panic!("{method} {path} {status}: {e}"));
                    for (name, example) in media["examples"].as_object().into_iter().flatten() {
                        for error in validator.iter_errors(&example["value"]) {
                            problems.push(format!("{method} {path} {status} {name}: {error}"));
                        }
                    }
                }
            }
        }
    }
    problems
}

#[test]
fn every_promise_of_the_specs_is_in_the_document() {
    let document = exported(&BTreeMap::new());
    let specs = root().join("specs");
    assert_eq!(document, openapi(&load(&specs).unwrap(), &specs).unwrap());
    assert_eq!(document["openapi"], "3.1.0");
    let suite = load(&specs).unwrap();
    let mut operations = 0;
    for op in &suite.operations {
        let item = &document["paths"][&op.path][op.method.to_ascii_lowercase()];
        assert_eq!(item["operationId"], op.id.as_str(), "{}", op.id);
        assert_eq!(item["summary"], op.title.as_str());
        assert_eq!(item["externalDocs"]["url"], op.doc.as_str());
        let params: Vec<&str> = item["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "path")
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(params, op.params, "{}", op.id);
        let roles = json!([{ "bearer": op.permission.iter().collect::<Vec<_>>() }]);
        assert_eq!(item["security"], roles, "{}", op.id);
        for documented in &op.responses {
            let response = &item["responses"][documented.status.to_string()];
            let pair = response["x-leadlex-documented"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["code"].as_str() == documented.code.as_deref())
                .unwrap_or_else(|| panic!("{} {}", op.id, documented.status));
            assert_eq!(pair["source"].as_str(), documented.source.as_deref());
            assert!(response["description"]
                .as_str()
                .unwrap()
                .contains(documented.source.as_deref().unwrap()));
            let media = &response["content"][&documented.media_type];
            let name = documented
                .code
                .clone()
                .unwrap_or(documented.status.to_string());
            assert_eq!(
                media["examples"][&name]["value"],
                documented.example.clone().unwrap_or(Value::Null)
            );
            // A body that is not JSON (the export's CSV) is a string, with no schema file;
            // the schema in the document is the file's otherwise, without `$id` and
            // `$schema`.
            let Some(schema) = documented.schema.as_ref() else {
                assert_ne!(documented.media_type, "application/json", "{}", op.id);
                assert_eq!(media["schema"], json!({"type": "string"}), "{}", op.id);
                assert!(media["examples"][&name]["value"].is_string(), "{}", op.id);
                continue;
            };
            let bundled = resolve(&document, media["schema"]["$ref"].as_str().unwrap()).unwrap();
            let mut file: Value =
                serde_json::from_slice(&std::fs::read(root().join(&schema.display)).unwrap())
                    .unwrap();
            let file_map = file.as_object_mut().unwrap();
            file_map.remove("$id");
            file_map.remove("$schema");
            assert_eq!(bundled, &file, "{}", schema.display);
            for header in [
                "X-RateLimit-Limit",
                "X-RateLimit-Remaining",
                "X-RateLimit-Reset",
            ] {
                assert!(response["headers"][header]["$ref"].is_string(), "{header}");
            }
        }
        let pairs: usize = item["responses"]
            .as_object()
            .unwrap()
            .values()
            .map(|r| r["x-leadlex-documented"].as_array().unwrap().len())
            .sum();
        assert_eq!(pairs, op.responses.len(), "{}: no pair more", op.id);
        operations += 1;
    }
    let in_document: usize = document["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    assert_eq!(
        (operations, in_document),
        (suite.operations.len(), shipped_operations())
    );
    // The created contact's id leads to Get and Delete Contact, as the scenarios use it.
    let links = &document["paths"]["/v1/contacts"]["post"]["responses"]["201"]["links"];
    for target in ["contacts.get", "contacts.delete"] {
        assert_eq!(links[target]["operationId"], target);
        assert_eq!(links[target]["parameters"]["id"], "$response.body#/data/id");
    }
    let scheme = &document["components"]["securitySchemes"]["bearer"];
    assert_eq!(
        (&scheme["type"], &scheme["scheme"]),
        (&json!("http"), &json!("bearer"))
    );
    assert!(scheme["description"]
        .as_str()
        .unwrap()
        .contains("LEADLEX_API_KEY_NO_DELETE"));
}

#[test]
fn the_document_stands_alone_and_its_examples_pass_their_schemas() {
    let document = exported(&BTreeMap::new());
    assert_eq!(dangling(&document), Vec::<String>::new());
    assert_eq!(example_problems(&document), Vec::<String>::new());
    // No request example holds the clock: `{{now_minus_1d}}` as written is no date-time.
    let create = &document["paths"]["/v1/contacts"]["post"]["requestBody"]["content"]
        ["application/json"]["examples"];
    assert!(
        create.as_object().is_some_and(|e| !e.is_empty()),
        "{create}"
    );
    assert!(!create.to_string().contains("{{now"), "{create}");
    // The checks find what they are meant to find.
    let mut broken = document.clone();
    broken["components"]["schemas"]
        .as_object_mut()
        .unwrap()
        .remove("schemas.error");
    assert!(dangling(&broken).contains(&"#/components/schemas/schemas.error".to_string()));
    let mut wrong = document.clone();
    let example = &mut wrong["paths"]["/v1/contacts/{id}"]["get"]["responses"]["200"]["content"]
        ["application/json"]["examples"]["200"]["value"]["data"]["id"];
    *example = json!("not-a-uuid");
    let problems = example_problems(&wrong);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("not-a-uuid"), "{problems:?}");
}

#[test]
fn references_between_schema_files_are_bundled_and_resolve_inside_the_document() {
    let dir = tempfile::tempdir().unwrap();
    copy_specs(dir.path());
    std::fs::write(
        dir.path().join("schemas/uuid.schema.json"),
        r#"{"$defs": {"uuid": {"type": "string", "format": "uuid"}}}"#,
    )
    .unwrap();
    // Without `$id`, relative references resolve against the file itself, as lint reads them.
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["data"],
        "properties": {"data": {
            "type": "object",
            "required": ["deleted", "id"],
            "properties": {
                "deleted": {"const": true},
                "id": {"$ref": "../schemas/uuid.schema.json#/$defs/uuid"},
            },
        }},
    });
    std::fs::write(
        dir.path().join("contacts/delete.200.schema.json"),
        serde_json::to_vec_pretty(&schema).unwrap(),
    )
    .unwrap();
    let env = specs_env(dir.path());
    let lint = command(&env, &["lint"]);
    assert!(lint.status.success(), "{}", text(&lint.stdout));
    let document = exported(&env);
    let schemas = &document["components"]["schemas"];
    assert_eq!(
        schemas["schemas.uuid"],
        json!({"$defs": {"uuid": {"type": "string", "format": "uuid"}}})
    );
    assert_eq!(
        schemas["contacts.delete.200"]["properties"]["data"]["properties"]["id"],
        json!({"$ref": "#/components/schemas/schemas.uuid/$defs/uuid"})
    );
    assert!(schemas["contacts.delete.200"].get("$schema").is_none());
    assert_eq!(dangling(&document), Vec::<String>::new());
    assert_eq!(example_problems(&document), Vec::<String>::new());
    // The format of the referenced schema still holds through the rewritten reference.
    let mut wrong = document.clone();
    wrong["paths"]["/v1/contacts/{id}"]["delete"]["responses"]["200"]["content"]
        ["application/json"]["examples"]["200"]["value"]["data"]["id"] = json!("x");
    assert_eq!(example_problems(&wrong).len(), 1);
}

#[test]
fn output_goes_to_a_file_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    let output = command(
        &BTreeMap::new(),
        &["export", "openapi", "--output", file.to_str().unwrap()],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(output.stdout.is_empty());
    assert!(text(&output.stderr).contains(&format!(
        "wrote the OpenAPI document of {} operation(s)",
        shipped_operations()
    )));
    let stdout = command(&BTreeMap::new(), &["export", "openapi"]).stdout;
    assert_eq!(std::fs::read(&file).unwrap(), stdout);
    assert!(text(&stdout).starts_with("{\n  \"openapi\": \"3.1.0\",\n  \"info\": {"));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file left"
    );
}

#[test]
fn wrong_arguments_broken_specs_and_unwritable_files_are_clear_errors() {
    let cases: [(&[&str], u8, &str); 5] = [
        (
            &["export"],
            2,
            "the following required arguments were not provided",
        ),
        (
            &["export", "yaml"],
            2,
            "invalid value 'yaml' for '<FORMAT>'",
        ),
        (
            &["export", "openapi", "--output"],
            2,
            "a value is required for '--output <FILE>'",
        ),
        (
            &["export", "openapi", "--pretty"],
            2,
            "unexpected argument '--pretty'",
        ),
        (
            &[
                "export",
                "openapi",
                "--output",
                "/nonexistent/dir/openapi.json",
            ],
            1,
            "error: cannot write the OpenAPI document to /nonexistent/dir/openapi.json",
        ),
    ];
    for (args, code, message) in cases {
        let output = command(&BTreeMap::new(), args);
        assert_eq!(output.status.code(), Some(code.into()), "{args:?}");
        assert!(
            text(&output.stderr).contains(message),
            "{args:?}: {}",
            text(&output.stderr)
        );
        assert!(output.stdout.is_empty(), "{args:?}");
    }
    let output = command(
        &specs_env(Path::new("/nonexistent/specs")),
        &["export", "openapi"],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("the specs directory does not exist"));
}

#[test]
fn paths_that_differ_only_in_parameter_names_are_refused_as_one_path() {
    // OpenAPI 3.1 (Paths Object): templated paths with the same hierarchy but different
    // parameter names are identical and must not both exist. Lint accepts a second Get
    // Contact whose parameter has another name.
    let dir = tempfile::tempdir().unwrap();
    copy_specs(dir.path());
    let get = std::fs::read_to_string(dir.path().join("contacts/get.yaml")).unwrap();
    let again = get
        .replace("/v1/contacts/{id}", "/v1/contacts/{contact_id}")
        .replace("path: { id:", "path: { contact_id:");
    assert_ne!(get, again);
    std::fs::write(dir.path().join("contacts/get_again.yaml"), again).unwrap();
    let lint = command(&specs_env(dir.path()), &["lint"]);
    assert!(lint.status.success(), "{}", text(&lint.stderr));
    let output = command(&specs_env(dir.path()), &["export", "openapi"]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(output.stdout.is_empty(), "no document");
    assert!(
        stderr.contains("/v1/contacts/{contact_id}") && stderr.contains("/v1/contacts/{id}"),
        "{stderr}"
    );
    assert!(stderr.contains("contacts.get_again"), "{stderr}");
}
