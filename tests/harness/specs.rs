//! Loading specs: the shipped ones load, and broken ones fail with file, line and reason,
//! every problem at once, before anything is sent.

use std::path::Path;
use std::sync::Arc;

use leadlex_conformance::{load, SpecError};

use crate::common::root;

const SUITE: &str = "credentials:\n  full:\n    env: LEADLEX_API_KEY\n    about: a key\n";

const OPERATION: &str = "\
operation:
  title: Delete Contact
  method: DELETE
  path: /v1/contacts/{id}
  doc: https://docs.example/delete
  responses:
    - status: 200
      schema: ok.json
      example: { data: { id: x } }
    - status: 401
      code: invalid_key
";

const OK_SCHEMA: &str = r#"{"type": "object", "required": ["data"]}"#;

/// Writes a specs directory with `suite.yaml`, `ok.json` and the given files.
fn specs(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("suite.yaml"), SUITE).unwrap();
    std::fs::create_dir_all(dir.path().join("contacts")).unwrap();
    std::fs::write(dir.path().join("contacts/ok.json"), OK_SCHEMA).unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

/// The trial names of the `  - name:` items under each operation file's `scenarios:`, read
/// as text (not by the loader), sorted.
fn scenario_items(dir: &Path) -> Vec<String> {
    let mut names = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for path in std::fs::read_dir(&current)
            .unwrap()
            .flatten()
            .map(|e| e.path())
        {
            let relative = path.strip_prefix(dir).unwrap().display().to_string();
            if path.is_dir() {
                pending.push(path);
            } else if relative.ends_with(".yaml") && relative != "suite.yaml" {
                let text = std::fs::read_to_string(&path).unwrap();
                let scenarios = text.split_once("\nscenarios:\n").map_or("", |(_, s)| s);
                let items = scenarios
                    .lines()
                    .filter_map(|l| l.strip_prefix("  - name: "));
                names.extend(items.map(|name| format!("{relative}::{}", name.trim())));
            }
        }
    }
    names.sort();
    names
}

fn errors(dir: &Path) -> Vec<SpecError> {
    load(dir).expect_err("the specs are broken")
}

fn rendered(errors: &[SpecError]) -> String {
    errors.iter().map(|e| format!("{e}\n")).collect()
}

#[test]
fn the_shipped_specs_load_and_share_compiled_schemas() {
    let suite = load(&root().join("specs")).expect("shipped specs are valid");
    // Every `- name:` item of the files' `scenarios:` is one scenario, once: the counts
    // the other tests take from the loader (`common::shipped`) are the files' own.
    let loaded: Vec<&str> = suite
        .scenarios
        .iter()
        .map(|s| s.trial_name.as_str())
        .collect();
    assert_eq!(loaded, scenario_items(&root().join("specs")));
    let delete = suite
        .operations
        .iter()
        .find(|o| o.id == "contacts.delete")
        .unwrap();
    let get = suite
        .operations
        .iter()
        .find(|o| o.id == "contacts.get")
        .unwrap();
    let schema = |op: &leadlex_conformance::Operation, status| {
        op.documented(status, None).unwrap().schema.clone().unwrap()
    };
    assert!(Arc::ptr_eq(&schema(delete, 401), &schema(delete, 403)));
    assert!(
        Arc::ptr_eq(&schema(delete, 401), &schema(get, 404)),
        "one compile per file"
    );
}

#[test]
fn an_unknown_key_names_the_file_and_line_and_hides_nothing() {
    let text = format!(
        "{OPERATION}scenarios:\n  - name: a\n    request: {{ path: {{ id: x }} }}\n    expect:\n      status: 200\n      shema: ok.json\n"
    );
    let dir = specs(&[("contacts/delete.yaml", &text)]);
    let found = errors(dir.path());
    // The unknown key, and the cross-check of the same scenario (a literal id deleted).
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[1]
        .message
        .contains("must name a record created earlier"));
    let message = found[0].to_string();
    assert!(message.contains("contacts/delete.yaml:17:7: "), "{message}");
    assert!(
        message.contains("unknown key `shema`")
            && message.contains("accepted keys here: status, code, headers, equals"),
        "{message}"
    );
}

#[test]
fn every_cross_check_problem_is_reported_at_once_with_its_line() {
    let text = format!(
        "{OPERATION}scenarios:
  - name: undocumented_pair
    request: {{ path: {{ id: x }} }}
    expect: {{ status: 403, code: insufficient_permissions }}
  - name: unknown_credential
    request: {{ credential: admin, path: {{ id: x }} }}
    expect: {{ status: 401, code: invalid_key }}
  - name: undefined_variable
    request: {{ path: {{ id: \"{{{{contact_id}}}}\" }} }}
    expect: {{ status: 200 }}
  - name: missing_param
    expect: {{ status: 200 }}
  - name: unknown_operation
    setup:
      - operation: contacts.creat
    request: {{ path: {{ id: x }} }}
    expect: {{ status: 200 }}
  - name: unknown_operation
    request: {{ path: {{ id: x, other: y }} }}
    expect: {{ status: 200 }}
"
    );
    let dir = specs(&[("contacts/delete.yaml", &text)]);
    let all = rendered(&errors(dir.path()));
    for expected in [
        "delete.yaml:15:5: 403 insufficient_permissions is not documented for contacts.delete\n  hint: documented: 200, 401 invalid_key",
        "delete.yaml:17:28: unknown credential `admin`\n  hint: known credentials: full, invalid, none",
        "delete.yaml:20:29: variable `contact_id` is not defined at this point",
        "delete.yaml:22:5: path parameter `id` of /v1/contacts/{id} is not given",
        "delete.yaml:26:20: unknown operation `contacts.creat`",
        "delete.yaml:29:5: scenario name `unknown_operation` is used twice in this file",
        "delete.yaml:30:31: `other` is not a parameter of /v1/contacts/{id}",
    ] {
        assert!(all.contains(expected), "missing:\n{expected}\nin:\n{all}");
    }
}

#[test]
fn schema_files_are_checked_before_any_request() {
    let operation = OPERATION
        .replace("schema: ok.json", "schema: missing.json")
        .replace(
            "code: invalid_key\n",
            "code: invalid_key\n      schema: broken.json\n",
        );
    let text = format!("{operation}scenarios:\n  - name: a\n    request: {{ path: {{ id: x }} }}\n    expect: {{ status: 401, code: invalid_key }}\n");
    let dir = specs(&[
        ("contacts/delete.yaml", &text),
        ("contacts/broken.json", r#"{"type": "nonsense"}"#),
    ]);
    let all = rendered(&errors(dir.path()));
    assert!(
        all.contains("delete.yaml:8:15: schema file")
            && all.contains("missing.json does not exist"),
        "{all}"
    );
    assert!(
        all.contains("broken.json:1:10: not a valid JSON Schema")
            && all.contains("used at ")
            && all.contains("delete.yaml:12:15"),
        "{all}"
    );
}

#[test]
fn an_example_that_fails_its_own_schema_is_an_error() {
    let operation = OPERATION.replace("example: { data: { id: x } }", "example: { id: x }");
    let text = format!("{operation}scenarios:\n  - name: a\n    request: {{ path: {{ id: x }} }}\n    expect: {{ status: 200 }}\n");
    let dir = specs(&[("contacts/delete.yaml", &text)]);
    let all = rendered(&errors(dir.path()));
    assert!(
        all.contains("delete.yaml:9:7: the example does not match"),
        "{all}"
    );
}

#[test]
fn yaml_syntax_errors_and_empty_suites_are_errors() {
    let dir = specs(&[(
        "contacts/delete.yaml",
        "operation:\n  title: \"unterminated\n",
    )]);
    let all = rendered(&errors(dir.path()));
    assert!(
        all.contains("contacts/delete.yaml:2:10: this quoted string is never closed (opens here)"),
        "{all}"
    );

    let dir = specs(&[("contacts/delete.yaml", OPERATION)]);
    let all = rendered(&errors(dir.path()));
    assert!(all.contains("no scenarios found"), "{all}");
}

/// The files of the README's section under `heading`: each code block right after a line
/// that names its file (`` `specs/lists/create.yaml`: ``), as (path under specs/, text).
pub fn readme_files(readme: &str, heading: &str) -> Vec<(String, String)> {
    let after = &readme[readme.find(heading).expect("the README has the heading")..];
    let section = &after[..after[heading.len()..]
        .find("\n## ")
        .map_or(after.len(), |i| i + heading.len())];
    let lines: Vec<&str> = section.lines().collect();
    let mut files = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(path) = line
            .strip_prefix("`specs/")
            .and_then(|rest| rest.strip_suffix("`:"))
        else {
            continue;
        };
        let Some(start) = (i + 1..lines.len()).find(|j| !lines[*j].trim().is_empty()) else {
            continue;
        };
        if !lines[start].starts_with("```") {
            continue;
        }
        let end = (start + 1..lines.len())
            .find(|j| lines[*j].starts_with("```"))
            .expect("the block ends");
        files.push((path.to_string(), lines[start + 1..end].join("\n") + "\n"));
    }
    files
}

/// The first ```yaml block after `heading` in README.md.
fn readme_yaml(readme: &str, heading: &str) -> String {
    let after = &readme[readme.find(heading).expect("the README has the heading")..];
    let start = after.find("```yaml\n").expect("a YAML block") + "```yaml\n".len();
    let block = &after[start..];
    block[..block.find("```").expect("the block ends")].to_string()
}

#[test]
fn the_readme_examples_lint_clean() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let shipped = root().join("specs");
    let dir = tempfile::tempdir().unwrap();
    let specs = dir.path();
    std::fs::create_dir_all(specs.join("contacts")).unwrap();
    std::fs::create_dir_all(specs.join("schemas")).unwrap();
    std::fs::write(
        specs.join("suite.yaml"),
        readme_yaml(&readme, "### `suite.yaml`"),
    )
    .unwrap();
    std::fs::write(
        specs.join("contacts/delete.yaml"),
        readme_yaml(&readme, "### An operation file"),
    )
    .unwrap();
    for file in [
        "contacts/create.yaml",
        "contacts/get.yaml",
        "contacts/contact.schema.json",
        "contacts/delete.200.schema.json",
        "schemas/error.schema.json",
    ] {
        std::fs::copy(shipped.join(file), specs.join(file)).unwrap();
    }
    if let Err(errors) = load(specs) {
        panic!("the README's examples do not lint:\n{}", rendered(&errors));
    }
}

#[test]
fn files_beyond_the_size_limits_are_refused_without_reading_them() {
    use leadlex_conformance::{MAX_SCHEMA_FILE_BYTES, MAX_SPEC_FILE_BYTES};
    let big_spec = "#".repeat(MAX_SPEC_FILE_BYTES as usize + 1);
    let big_schema = " ".repeat(MAX_SCHEMA_FILE_BYTES as usize + 1);
    let text = format!("{OPERATION}scenarios:\n  - name: a\n    request: {{ credential: invalid, path: {{ id: x }} }}\n    expect: {{ status: 401, code: invalid_key }}\n");
    let dir = specs(&[
        ("contacts/delete.yaml", &text.replace("ok.json", "big.json")),
        ("contacts/big.json", &big_schema),
        ("contacts/huge.yaml", &big_spec),
    ]);
    let all = rendered(&errors(dir.path()));
    assert!(
        all.contains("huge.yaml: the spec file is 4.0 MiB; the limit is 4 MiB"),
        "{all}"
    );
    assert!(
        all.contains("delete.yaml:8:15: schema file") && all.contains("the limit is 1 MiB"),
        "{all}"
    );
}

#[test]
fn a_schema_that_is_a_device_is_refused() {
    let zero = Path::new("/dev/zero");
    if !zero.exists() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("suite.yaml"), SUITE).unwrap();
    let text = format!("{OPERATION}scenarios:\n  - name: a\n    request: {{ credential: invalid, path: {{ id: x }} }}\n    expect: {{ status: 401, code: invalid_key }}\n");
    std::fs::write(
        dir.path().join("delete.yaml"),
        text.replace("ok.json", "/dev/zero"),
    )
    .unwrap();
    let all = rendered(&errors(dir.path()));
    assert!(
        all.contains("`/dev/zero` is outside the specs directory"),
        "{all}"
    );
}
