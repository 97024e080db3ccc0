//! The JSON Schema files of the specs, bundled into one `components/schemas` map so that the
//! exported document stands alone: each file once, under a name made from its path inside
//! the specs directory (`contacts/contact.schema.json` → `contacts.contact`), every `$ref`
//! rewritten to point into the bundle.
//!
//! References are resolved as `lint` resolves them: the file part relative to the directory
//! of the schema that holds it, never outside the specs directory. `$id` and `$schema` are
//! dropped from every schema: the document's `jsonSchemaDialect` is draft 2020-12, the
//! dialect the harness compiles every schema with, and an `$id` left in place would change
//! the base that the rewritten `#/components/schemas/...` references resolve against. Only
//! keywords that hold schemas are walked, so a `$ref` or `$id` inside `const`, `enum`,
//! `default` or `examples` (data, not schema) is left as it is.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::ExportError;
use crate::spec::MAX_SCHEMA_FILE_BYTES;

/// Keywords whose value is one schema.
const ONE_SCHEMA: &[&str] = &[
    "additionalProperties",
    "propertyNames",
    "items",
    "additionalItems",
    "contains",
    "not",
    "if",
    "then",
    "else",
    "unevaluatedItems",
    "unevaluatedProperties",
    "contentSchema",
];
/// Keywords whose value is a list of schemas (`items` too, in drafts before 2020-12).
const SCHEMA_LISTS: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems", "items"];
/// Keywords whose value maps names to schemas.
const SCHEMA_MAPS: &[&str] = &[
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
];

/// The schemas bundled so far.
pub(super) struct Bundle {
    /// The specs directory, canonical.
    root: PathBuf,
    /// Canonical file → its name in `components/schemas`.
    names: BTreeMap<PathBuf, String>,
    schemas: BTreeMap<String, Value>,
}

impl Bundle {
    pub(super) fn new(specs_dir: &Path) -> Result<Bundle, ExportError> {
        let root = std::fs::canonicalize(specs_dir).map_err(|source| ExportError::SpecsDir {
            dir: specs_dir.display().to_string(),
            source,
        })?;
        Ok(Bundle {
            root,
            names: BTreeMap::new(),
            schemas: BTreeMap::new(),
        })
    }

    /// The `components/schemas` map.
    pub(super) fn into_schemas(self) -> Map<String, Value> {
        self.schemas.into_iter().collect()
    }

    /// `{"$ref": "#/components/schemas/<name>"}` for the schema file at `path`, which is
    /// bundled (with every file it references) if it is not yet.
    pub(super) fn reference(&mut self, path: &Path) -> Result<Value, ExportError> {
        let canonical = std::fs::canonicalize(path).map_err(|source| ExportError::Schema {
            file: path.display().to_string(),
            message: format!("cannot be read: {source}"),
        })?;
        let name = self.add(canonical)?;
        Ok(serde_json::json!({ "$ref": component_ref(&name, "") }))
    }

    /// Bundles the file at the canonical path `path` and what it references; returns its
    /// name.
    fn add(&mut self, path: PathBuf) -> Result<String, ExportError> {
        if let Some(name) = self.names.get(&path) {
            return Ok(name.clone());
        }
        let relative = path
            .strip_prefix(&self.root)
            .map_err(|_| ExportError::Schema {
                file: path.display().to_string(),
                message: "is outside the specs directory".into(),
            })?
            .to_path_buf();
        let file = relative.display().to_string();
        let mut schema = read_json(&path).map_err(|message| ExportError::Schema {
            file: file.clone(),
            message,
        })?;
        let name = self.unique_name(&relative);
        // Named before its references are followed, so that a circle ends here.
        self.names.insert(path.clone(), name.clone());
        let dir = path.parent().unwrap_or(&self.root).to_path_buf();
        self.rewrite(&mut schema, &dir, &name, &file)?;
        self.schemas.insert(name.clone(), schema);
        Ok(name)
    }

    /// A component name for the file at `relative` (inside the specs directory) that no
    /// other file has.
    fn unique_name(&self, relative: &Path) -> String {
        let text = relative.to_string_lossy().replace('\\', "/");
        let stem = text
            .strip_suffix(".schema.json")
            .or_else(|| text.strip_suffix(".json"))
            .unwrap_or(&text);
        let base: String = stem
            .chars()
            .map(|c| match c {
                '/' => '.',
                c if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' => c,
                _ => '_',
            })
            .collect();
        let taken: BTreeSet<&String> = self.names.values().collect();
        std::iter::once(base.clone())
            .chain((2..).map(|n| format!("{base}_{n}")))
            .find(|candidate| !taken.contains(candidate))
            .expect("an unbounded sequence has a free name")
    }

    /// Rewrites the references of one schema (of the file bundled as `name`, in `dir`) and
    /// of every schema below it; drops `$id` and `$schema`.
    fn rewrite(
        &mut self,
        schema: &mut Value,
        dir: &Path,
        name: &str,
        file: &str,
    ) -> Result<(), ExportError> {
        let Value::Object(object) = schema else {
            return Ok(()); // `true`, `false`, or not a schema at all (then lint said so)
        };
        object.remove("$id");
        object.remove("$schema");
        for keyword in ["$dynamicRef", "$recursiveRef"] {
            if object.contains_key(keyword) {
                return Err(ExportError::Schema {
                    file: file.to_string(),
                    message: format!("uses `{keyword}`, which the export does not bundle"),
                });
            }
        }
        if let Some(Value::String(reference)) = object.get_mut("$ref") {
            *reference = self.resolve(reference, dir, name, file)?;
        }
        for (keyword, value) in object.iter_mut() {
            let keyword = keyword.as_str();
            if ONE_SCHEMA.contains(&keyword) && value.is_object() {
                self.rewrite(value, dir, name, file)?;
            } else if SCHEMA_LISTS.contains(&keyword) {
                if let Value::Array(list) = value {
                    for item in list {
                        self.rewrite(item, dir, name, file)?;
                    }
                }
            } else if SCHEMA_MAPS.contains(&keyword) {
                if let Value::Object(map) = value {
                    for item in map.values_mut() {
                        self.rewrite(item, dir, name, file)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// The bundled form of the reference `reference` made in the file bundled as `name`.
    fn resolve(
        &mut self,
        reference: &str,
        dir: &Path,
        name: &str,
        file: &str,
    ) -> Result<String, ExportError> {
        let (target, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        if !fragment.is_empty() && !fragment.starts_with('/') {
            return Err(ExportError::Schema {
                file: file.to_string(),
                message: format!(
                    "`$ref: {reference}` names an anchor; the export bundles only JSON-pointer \
                     references (`#/...`)"
                ),
            });
        }
        if target.is_empty() {
            return Ok(component_ref(name, fragment));
        }
        if target.contains("://") || Path::new(target).is_absolute() {
            return Err(ExportError::Schema {
                file: file.to_string(),
                message: format!(
                    "`$ref: {reference}` is not a file inside the specs directory, relative \
                     to the schema"
                ),
            });
        }
        let refused = |message: String| ExportError::Schema {
            file: file.to_string(),
            message: format!("`$ref: {reference}`: {message}"),
        };
        let path = std::fs::canonicalize(dir.join(target))
            .map_err(|e| refused(format!("{target} cannot be read: {e}")))?;
        if !path.starts_with(&self.root) {
            return Err(refused(format!("{target} is outside the specs directory")));
        }
        if !path.is_file() {
            return Err(refused(format!("{target} is not a file")));
        }
        let referenced = self.add(path)?;
        Ok(component_ref(&referenced, fragment))
    }
}

/// `#/components/schemas/<name>` followed by a JSON-pointer fragment of that schema.
fn component_ref(name: &str, fragment: &str) -> String {
    format!("#/components/schemas/{name}{fragment}")
}

/// The JSON of a schema file, or why it cannot be had.
fn read_json(path: &Path) -> Result<Value, String> {
    let size = std::fs::metadata(path)
        .map_err(|e| format!("cannot be read: {e}"))?
        .len();
    if size > MAX_SCHEMA_FILE_BYTES {
        return Err(format!(
            "is {size} bytes; the limit is {MAX_SCHEMA_FILE_BYTES}"
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot be read: {e}"))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("is not JSON: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn write(dir: &Path, name: &str, value: &Value) {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, serde_json::to_vec(value).unwrap()).unwrap();
    }

    #[test]
    fn files_are_bundled_once_and_references_point_into_the_bundle() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "schemas/error.schema.json",
            &json!({"$schema": "https://json-schema.org/draft/2020-12/schema",
                    "$id": "https://x.invalid/error", "type": "object",
                    "$defs": {"code": {"type": "string"}},
                    "properties": {"code": {"$ref": "#/$defs/code"}}}),
        );
        write(
            dir.path(),
            "contacts/a.schema.json",
            &json!({"anyOf": [{"$ref": "../schemas/error.schema.json"},
                              {"$ref": "../schemas/error.schema.json#/$defs/code"}],
                    "const": {"$ref": "data, not a reference", "$id": "kept"},
                    "properties": {"$ref": {"type": "string"}}}),
        );
        write(
            dir.path(),
            "contacts/b.json",
            &json!({"$ref": "a.schema.json"}),
        );
        let mut bundle = Bundle::new(dir.path()).unwrap();
        let a = bundle
            .reference(&dir.path().join("contacts/a.schema.json"))
            .unwrap();
        let b = bundle
            .reference(&dir.path().join("contacts/b.json"))
            .unwrap();
        assert_eq!(a, json!({"$ref": "#/components/schemas/contacts.a"}));
        assert_eq!(b, json!({"$ref": "#/components/schemas/contacts.b"}));
        let schemas = bundle.into_schemas();
        assert_eq!(
            schemas.keys().collect::<Vec<_>>(),
            ["contacts.a", "contacts.b", "schemas.error"]
        );
        assert_eq!(
            schemas["contacts.a"],
            json!({"anyOf": [{"$ref": "#/components/schemas/schemas.error"},
                             {"$ref": "#/components/schemas/schemas.error/$defs/code"}],
                   "const": {"$ref": "data, not a reference", "$id": "kept"},
                   "properties": {"$ref": {"type": "string"}}})
        );
        assert_eq!(
            schemas["schemas.error"],
            json!({"type": "object", "$defs": {"code": {"type": "string"}},
                   "properties": {"code": {"$ref": "#/components/schemas/schemas.error/$defs/code"}}})
        );
        assert_eq!(
            schemas["contacts.b"],
            json!({"$ref": "#/components/schemas/contacts.a"})
        );
    }

    #[test]
    fn a_circle_of_files_ends_and_names_never_collide() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.json", &json!({"items": {"$ref": "b.json"}}));
        write(
            dir.path(),
            "b.json",
            &json!({"items": [{"$ref": "a.json#"}]}),
        );
        write(dir.path(), "a.schema.json", &json!({"type": "null"}));
        let mut bundle = Bundle::new(dir.path()).unwrap();
        bundle.reference(&dir.path().join("a.json")).unwrap();
        bundle.reference(&dir.path().join("a.schema.json")).unwrap();
        let schemas = bundle.into_schemas();
        assert_eq!(
            schemas["b"],
            json!({"items": [{"$ref": "#/components/schemas/a"}]})
        );
        assert_eq!(schemas["a_2"], json!({"type": "null"}));
    }

    #[test]
    fn references_the_export_cannot_bundle_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            (json!({"$ref": "#here"}), "names an anchor"),
            (
                json!({"$ref": "https://x.invalid/s.json"}),
                "not a file inside",
            ),
            (json!({"$ref": "/etc/passwd"}), "not a file inside"),
            (
                json!({"$ref": "missing.json"}),
                "missing.json cannot be read",
            ),
            (
                json!({"$ref": "../outside.json"}),
                "is outside the specs directory",
            ),
            (json!({"$dynamicRef": "#meta"}), "`$dynamicRef`"),
            (json!({"$ref": "deeper.json"}), "names an anchor"),
        ];
        std::fs::write(dir.path().join("outside.json"), "{}").unwrap();
        let specs = dir.path().join("specs");
        std::fs::create_dir(&specs).unwrap();
        std::fs::write(specs.join("deeper.json"), r##"{"$ref": "#here"}"##).unwrap();
        for (schema, expected) in cases {
            write(&specs, "s.json", &schema);
            let mut bundle = Bundle::new(&specs).unwrap();
            let error = bundle.reference(&specs.join("s.json")).unwrap_err();
            let text = error.to_string();
            assert!(text.contains(expected), "{schema}: {text}");
            let at = if expected == "names an anchor" && schema["$ref"] == "deeper.json" {
                "schema deeper.json: "
            } else {
                "schema s.json: "
            };
            assert!(text.starts_with(at), "{text}");
        }
        // A file that is not JSON, and one over the size limit.
        std::fs::write(specs.join("s.json"), "{").unwrap();
        let text = Bundle::new(&specs)
            .unwrap()
            .reference(&specs.join("s.json"))
            .unwrap_err()
            .to_string();
        assert!(text.starts_with("schema s.json: is not JSON"), "{text}");
        let big = vec![b' '; MAX_SCHEMA_FILE_BYTES as usize + 1];
        std::fs::write(specs.join("s.json"), big).unwrap();
        let text = Bundle::new(&specs)
            .unwrap()
            .reference(&specs.join("s.json"))
            .unwrap_err()
            .to_string();
        assert!(text.contains("the limit is"), "{text}");
    }
}
