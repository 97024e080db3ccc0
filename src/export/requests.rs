//! What the stub's format says about requests, as OpenAPI schemas: the query parameters
//! of a list (`page`, `per_page`, the filters, `sort`) and of an `include`, and the body of
//! a create or an update (the accepted fields with their types, `required`, at least one of
//! `requires_any`, lengths and item counts). Operations without a `stub:` say nothing.

use serde_json::{json, Map, Value};

use crate::spec::behaviour::{
    Collection, CsvExport, Effect, FieldType, Filter, Include, ListSpec, Pages, StubAction,
    StubBehaviour,
};
use crate::spec::{Operation, Suite};

/// An email as the stub reads one: a local part, `@`, a domain with a dot inside, no
/// spaces or control characters.
const EMAIL_PATTERN: &str = r"^[^@\s\x00-\x1f\x7f-\x9f]+@[^@.\s\x00-\x1f\x7f-\x9f][^@\s\x00-\x1f\x7f-\x9f]*\.[^@\s\x00-\x1f\x7f-\x9f]*[^@.\s\x00-\x1f\x7f-\x9f]$";

/// The schema and description of query parameter `name` of `op`, when its `stub:` says.
pub fn query_parameter(op: &Operation, name: &str) -> Option<(Value, String)> {
    let stub = op.stub.as_ref()?;
    if let Some(parameter) = stub.list.as_ref().and_then(|l| list_parameter(l, name)) {
        return Some(parameter);
    }
    if let Some(csv) = csv_select(stub).filter(|c| c.select.as_deref() == Some(name)) {
        let names: Vec<String> = csv.fields.iter().map(|n| regex_escape(n)).collect();
        let one = format!("({})", names.join("|"));
        return Some((
            json!({"type": "string", "pattern": format!("^{one}(,{one})*$")}),
            format!(
                "Some of the columns, comma-separated; `{}` by default.",
                csv.fields.join(",")
            ),
        ));
    }
    let include = stub.include.as_ref().filter(|i| i.param == name)?;
    Some(include_parameter(include))
}

/// The `csv` effect of an export.
fn csv_select(stub: &StubBehaviour) -> Option<&CsvExport> {
    stub.effects.iter().find_map(|e| match e {
        Effect::Csv(csv) => Some(csv),
        _ => None,
    })
}

/// The schema and description of query parameter `name` of a list: its page, its page
/// size, its sort or one of its filters.
fn list_parameter(list: &ListSpec, name: &str) -> Option<(Value, String)> {
    match name {
        "page" if list.pages == Pages::Numbered => {
            return Some((
                json!({"type": "integer"}),
                "The page, from 1 (the default).".into(),
            ))
        }
        "limit" if list.pages == Pages::Limit => {
            return Some((
                json!({"type": "integer", "minimum": 1, "maximum": list.per_page.max}),
                format!(
                    "The most records: {} by default, at most {}.",
                    list.per_page.default, list.per_page.max
                ),
            ))
        }
        "per_page" if list.pages == Pages::Numbered => {
            return Some((
                json!({"type": "integer"}),
                format!(
                    "Items per page: {} by default, at most {}.",
                    list.per_page.default, list.per_page.max
                ),
            ))
        }
        _ => {}
    }
    if let Some(sort) = list.sort.as_ref().filter(|s| s.param == name) {
        let names: Vec<String> = sort
            .fields
            .keys()
            .flat_map(|n| [n.clone(), format!("-{n}")])
            .collect();
        return Some((
            json!({"type": "string", "enum": names}),
            format!(
                "A field, `-` in front for descending; `{}` by default.",
                sort.default
            ),
        ));
    }
    list.filters.get(name).map(filter_parameter)
}

/// The schema and description of a filter's query parameter.
fn filter_parameter(filter: &Filter) -> (Value, String) {
    match filter {
        Filter::Contains(fields) => (
            json!({"type": "string"}),
            format!("A partial match on {}.", fields.join(", ")),
        ),
        Filter::Equals(field) => (json!({"type": "string"}), format!("Equals {field}.")),
        Filter::After(field) | Filter::Before(field) => (
            json!({"type": "string", "format": "date-time"}),
            format!("Bounds {field} (ISO 8601)."),
        ),
        Filter::Linked(link) => (
            json!({"type": "string"}),
            format!("Records linked to this id ({link})."),
        ),
        Filter::Has(field) => (
            json!({"type": "string"}),
            format!("Records whose {field} holds this value; repeated, every value."),
        ),
    }
}

/// The schema and description of an include's query parameter: a comma-separated list
/// of the names it embeds, or its word for all of them.
fn include_parameter(include: &Include) -> (Value, String) {
    let names: Vec<String> = include.each.keys().map(|n| regex_escape(n)).collect();
    let one = format!("({})", names.join("|"));
    let all = include.all.as_deref().map(regex_escape);
    // Empty, as no `include` at all.
    let pattern = match all {
        Some(all) => format!("^(|{all}|{one}(,{one})*)$"),
        None => format!("^(|{one}(,{one})*)$"),
    };
    (
        json!({"type": "string", "pattern": pattern}),
        "Related records to embed, comma-separated.".into(),
    )
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .map(|c| match c.is_ascii_alphanumeric() || c == '_' {
            true => c.to_string(),
            false => format!("\\{c}"),
        })
        .collect()
}

/// The schema of a value of `kind` (and its words, when the collection normalises them).
fn field_schema(kind: &FieldType, words: Option<&Map<String, Value>>) -> Value {
    let schema = match kind {
        FieldType::String => json!({"type": "string"}),
        FieldType::Email => json!({"type": "string", "maxLength": 254, "pattern": EMAIL_PATTERN}),
        FieldType::DateTime => json!({"type": "string", "format": "date-time"}),
        FieldType::Date => json!({"type": "string", "format": "date"}),
        FieldType::Number => json!({"type": "number"}),
        FieldType::Integer => json!({"type": "integer"}),
        FieldType::Boolean => json!({"type": "boolean"}),
        FieldType::Object => json!({"type": "object"}),
        FieldType::Array(None) => json!({"type": "array"}),
        FieldType::Array(Some(item)) => json!({"type": "array", "items": field_schema(item, None)}),
        FieldType::Any => json!({}),
    };
    match words {
        Some(words) if !words.is_empty() => {
            let names: Vec<&String> = words.keys().collect();
            json!({"anyOf": [schema, {"type": "string", "enum": names}]})
        }
        _ => schema,
    }
}

/// The fields a create or update takes, as the stub reads them: the behaviour's
/// `accepts`, or every declared field but the id, computed counts, the parent's link and
/// the timestamps the server fills. The creation time is left out even where it may be
/// back-dated: its bounds move with the clock.
fn accepted(collection: &Collection, op: &Operation) -> Vec<String> {
    let stub = op.stub.as_ref().expect("a stub");
    let parent = stub.parent.as_ref().map(|p| p.field.as_str());
    let server_filled = |f: &str| {
        f == "id"
            || Some(f) == collection.created.as_deref()
            || Some(f) == collection.updated.as_deref()
            || Some(f) == parent
            || collection.counts.contains_key(f)
    };
    let fields: Vec<String> = match &stub.accepts {
        Some(accepts) => accepts.clone(),
        None => collection.fields.keys().cloned().collect(),
    };
    fields.into_iter().filter(|f| !server_filled(f)).collect()
}

/// Whether the operation takes a request without a body: an update ("send only the
/// fields to change") with nothing to change.
pub fn body_optional(op: &Operation) -> bool {
    op.stub
        .as_ref()
        .is_some_and(|s| s.action == StubAction::Update)
}

/// The body schema of a create or an update, when the operation's `stub:` gives one.
pub fn body_schema(op: &Operation, suite: &Suite) -> Option<Value> {
    let stub = op.stub.as_ref()?;
    let creating = match stub.action {
        StubAction::Create => true,
        StubAction::Update => false,
        StubAction::BulkCreate | StubAction::BulkDelete => return bulk_schema(op, suite),
        StubAction::Merge => return merge_schema(stub),
        StubAction::Import => return stub.import.as_ref().map(import_schema),
        _ => return None,
    };
    let collection = suite.collections.get(&stub.collection)?;
    if collection.fields.is_empty() {
        return required_only(&stub.validate.required);
    }
    Some(record_schema(op, stub, collection, creating))
}

/// An object that must hold `required`, when the collection declares no field types.
fn required_only(required: &[String]) -> Option<Value> {
    (!required.is_empty()).then(|| json!({"type": "object", "required": required}))
}

/// The body of a bulk action: its field holding a non-empty array of at most `max`
/// records to create (each as a create's body) or ids to remove, and its dry-run flag.
fn bulk_schema(op: &Operation, suite: &Suite) -> Option<Value> {
    let stub = op.stub.as_ref()?;
    let bulk = stub.bulk.as_ref()?;
    let item = match stub.action {
        StubAction::BulkCreate => match suite.collections.get(&stub.collection) {
            Some(collection) if !collection.fields.is_empty() => {
                record_schema(op, stub, collection, true)
            }
            _ => json!({"type": "object"}),
        },
        // The docs' "array of UUID strings"; an item that is not an id is answered in the
        // result's `errors` (a failed row), not refused, so any item is valid input.
        _ => json!({"description": "a record id; an item that is not one is reported in `errors`"}),
    };
    let mut properties = Map::new();
    properties.insert(
        bulk.items.clone(),
        json!({"type": "array", "minItems": 1, "maxItems": bulk.max, "items": item}),
    );
    if let Some(flag) = &bulk.dry_run {
        properties.insert(flag.clone(), json!({"type": "boolean"}));
    }
    Some(json!({"type": "object", "required": [bulk.items], "properties": properties}))
}

/// The body of a merge: the primary's id, one to `max` duplicate ids, and its flags.
fn merge_schema(stub: &StubBehaviour) -> Option<Value> {
    let merge = stub.merge.as_ref()?;
    let id = json!({"type": "string", "minLength": 1});
    let mut properties = Map::new();
    properties.insert(merge.primary.clone(), id.clone());
    properties.insert(
        merge.duplicates.clone(),
        json!({"type": "array", "minItems": 1, "maxItems": merge.max, "items": id}),
    );
    for flag in [&merge.overwrite, &merge.dry_run].into_iter().flatten() {
        properties.insert(flag.clone(), json!({"type": "boolean"}));
    }
    Some(json!({
        "type": "object",
        "required": [merge.primary, merge.duplicates],
        "properties": properties,
    }))
}

/// The body of an import: rows (a non-empty array; a row that is not a valid record is
/// answered in the result's `errors`, not refused) or CSV text, one of the two, and the
/// options.
fn import_schema(import: &crate::spec::behaviour::Import) -> Value {
    let mut properties = Map::new();
    properties.insert(import.rows.clone(), json!({"type": "array", "minItems": 1}));
    properties.insert(import.csv.clone(), json!({"type": "string"}));
    // The options may be null (their defaults).
    properties.insert(
        import.has_header.clone(),
        json!({"type": ["boolean", "null"]}),
    );
    properties.insert(
        import.mapping.clone(),
        json!({"type": ["object", "null"], "additionalProperties": {"type": "string"}}),
    );
    properties.insert(
        import.update_existing.clone(),
        json!({"type": ["boolean", "null"]}),
    );
    properties.insert(
        import.tags.clone(),
        json!({"type": ["array", "null"], "items": {"type": "string"}}),
    );
    json!({
        "type": "object",
        "properties": properties,
        "oneOf": [{"required": [import.rows]}, {"required": [import.csv]}],
    })
}

/// The schema of one record sent to create (`creating`) or change one.
fn record_schema(
    op: &Operation,
    stub: &StubBehaviour,
    collection: &Collection,
    creating: bool,
) -> Value {
    let mut properties = Map::new();
    for field in accepted(collection, op) {
        if let Some(kind) = collection.fields.get(&field) {
            let schema = property_schema(stub, collection, &field, kind);
            properties.insert(field, schema);
        }
    }
    // A request name (an alias) takes what its stored field takes.
    for (alias, stored) in &stub.renames {
        if let Some(schema) = properties.get(stored).cloned() {
            properties.insert(alias.clone(), schema);
        }
    }
    let mut schema = json!({"type": "object", "properties": properties});
    if creating {
        require_on_create(
            &mut schema,
            &stub.validate.required,
            &collection.requires_any,
        );
    }
    schema
}

/// The schema of one accepted field of the body: its type and words, the operation's
/// bounds, and null unless the operation requires it.
fn property_schema(
    stub: &StubBehaviour,
    collection: &Collection,
    field: &str,
    kind: &FieldType,
) -> Value {
    let words = collection.normalise.get(field).map(|w| {
        w.iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<Map<String, Value>>()
    });
    let mut schema = field_schema(kind, words.as_ref());
    if let Some(max) = stub.validate.max_length.get(field) {
        schema["maxLength"] = json!(max);
    }
    if let Some(max) = stub.validate.max_items.get(field) {
        schema["maxItems"] = json!(max);
    }
    // Null clears a field; one the operation requires must hold a value.
    if !stub.validate.required.iter().any(|r| r == field) {
        schema = json!({"anyOf": [schema, {"type": "null"}]});
    }
    schema
}

/// Adds to a create's body schema what it must hold: the `required` fields it has, and
/// text in at least one of the `requires_any` fields.
fn require_on_create(schema: &mut Value, required: &[String], requires_any: &[String]) {
    let present: Vec<&String> = required
        .iter()
        .filter(|f| schema["properties"].get(f.as_str()).is_some())
        .collect();
    for field in &present {
        // A required text is not blank, as the stub (and the docs' "required") reads it.
        let property = &mut schema["properties"][field.as_str()];
        if property["type"] == "string" {
            property["pattern"] = json!("\\S");
        }
    }
    if !present.is_empty() {
        schema["required"] = json!(present);
    }
    // Only fields the operation takes can satisfy the rule.
    let any: Vec<Value> = requires_any
        .iter()
        .filter(|f| schema["properties"].get(f.as_str()).is_some())
        .map(|f| json!({"required": [f], "properties": {f: {"type": "string", "pattern": "\\S"}}}))
        .collect();
    if !any.is_empty() {
        schema["anyOf"] = Value::Array(any);
    }
}
