//! The stub's part of the spec format: the collections of `suite.yaml` (what a record of
//! each holds and what the server fills in) and the `stub:` section of an operation (which
//! action plays it, on which collection, and how its request and answer look). Read by
//! [`super::read`], cross-checked by [`super::stub_checks`], played by `crate::stub`.
//!
//! Nothing here is code per endpoint: a new endpoint of a CRUD shape is a `stub:` section
//! naming an action and a collection, and the engine does the rest.

use std::collections::BTreeMap;

use serde_json::Value;

/// One collection of records (`collections:` of `suite.yaml`), shared by every operation
/// that names it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Collection {
    /// How the server makes ids.
    pub id: IdStyle,
    /// The documented fields of a record and their types. Every stored record holds each
    /// one (null when nothing filled it), so answers look like the documented examples.
    pub fields: BTreeMap<String, FieldType>,
    /// The field the server fills with the time of creation (ISO 8601 UTC, `Z`).
    pub created: Option<String>,
    /// The field the server fills at creation and sets again at every update.
    pub updated: Option<String>,
    /// Whether `updated` is filled at creation too (otherwise null until an update).
    pub updated_on_create: bool,
    /// `created` may be sent (back-dating), within these bounds; not sendable without.
    pub backdating: Option<Backdating>,
    /// The documented name rules, over the configured fields.
    pub names: Option<NameRules>,
    /// At least one of these must hold a value after a create, else 400.
    pub requires_any: Vec<String>,
    /// Words a field accepts for values: `priority: { high: 1 }` stores 1 for "high".
    pub normalise: BTreeMap<String, BTreeMap<String, Value>>,
    /// Values of fields a create leaves out (null otherwise).
    pub defaults: BTreeMap<String, Value>,
    /// Stored, never shown (a text that an update appends to, say).
    pub hidden: Vec<String>,
    /// A link collection (list memberships): each record links one record of each of the
    /// two collections named here, by field.
    pub links: BTreeMap<String, String>,
    /// Fields computed when shown: the number of records of a link collection pointing at
    /// this record (`contact_count: list_members`).
    pub counts: BTreeMap<String, String>,
    /// Records come from outside the API (a seed file, a sync): no create is needed.
    pub external: bool,
}

/// How ids are made.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum IdStyle {
    /// A random UUID (version 4).
    #[default]
    Uuid,
    /// The prefix and 26 random characters of Crockford's base 32 (`cmp_01HY…`).
    Prefixed(String),
}

/// The type of a field; a value of another type is refused with 400.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldType {
    String,
    /// A text holding one `@` between a local part and a domain, no spaces.
    Email,
    /// An RFC 3339 date-time (stored as sent).
    DateTime,
    /// `YYYY-MM-DD` or an RFC 3339 date-time.
    Date,
    Number,
    Integer,
    Boolean,
    Object,
    /// An array, of items of one type when given.
    Array(Option<Box<FieldType>>),
    /// Anything.
    Any,
}

impl FieldType {
    /// The names the format accepts, for messages.
    pub const NAMES: [&'static str; 10] = [
        "string",
        "email",
        "date-time",
        "date",
        "number",
        "integer",
        "boolean",
        "object",
        "array",
        "any",
    ];

    /// Whether `value` is of this type; null is (it clears a field).
    pub fn admits(&self, value: &Value) -> bool {
        match (self, value) {
            (_, Value::Null) | (FieldType::Any, _) => true,
            (FieldType::String, Value::String(_)) => true,
            (FieldType::Email, Value::String(text)) => is_email(text),
            (FieldType::DateTime, Value::String(text)) => is_date_time(text),
            (FieldType::Date, Value::String(text)) => is_date(text) || is_date_time(text),
            (FieldType::Number, Value::Number(_)) => true,
            (FieldType::Integer, Value::Number(n)) => {
                n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
            }
            (FieldType::Boolean, Value::Bool(_)) => true,
            (FieldType::Object, Value::Object(_)) => true,
            (FieldType::Array(None), Value::Array(_)) => true,
            (FieldType::Array(Some(item)), Value::Array(items)) => {
                items.iter().all(|v| !v.is_null() && item.admits(v))
            }
            _ => false,
        }
    }

    /// "a string", "an array of strings": what a value must be, for messages.
    pub fn describe(&self) -> String {
        match self {
            FieldType::String => "a string".into(),
            FieldType::Email => "an email address".into(),
            FieldType::DateTime => "an ISO 8601 date-time".into(),
            FieldType::Date => "a date (YYYY-MM-DD) or an ISO 8601 date-time".into(),
            FieldType::Number => "a number".into(),
            FieldType::Integer => "a whole number".into(),
            FieldType::Boolean => "true or false".into(),
            FieldType::Object => "an object".into(),
            FieldType::Array(None) => "an array".into(),
            FieldType::Array(Some(item)) => {
                let one = item.describe();
                let one = one
                    .strip_prefix("an ")
                    .or_else(|| one.strip_prefix("a "))
                    .unwrap_or(&one)
                    .to_string();
                format!("an array of {one}s")
            }
            FieldType::Any => "any value".into(),
        }
    }

    pub fn named(name: &str) -> Option<FieldType> {
        Some(match name {
            "string" => FieldType::String,
            "email" => FieldType::Email,
            "date-time" => FieldType::DateTime,
            "date" => FieldType::Date,
            "number" => FieldType::Number,
            "integer" => FieldType::Integer,
            "boolean" => FieldType::Boolean,
            "object" => FieldType::Object,
            "array" => FieldType::Array(None),
            "any" => FieldType::Any,
            _ => return None,
        })
    }
}

/// One `@` between a non-empty local part and a domain with a dot, no whitespace, at
/// most 254 characters (RFC 5321's bound).
pub fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    text.chars().count() <= 254
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// An RFC 3339 date-time (`2026-02-24T10:00:00Z`, an offset allowed).
pub fn is_date_time(text: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(text).is_ok()
}

/// `YYYY-MM-DD`.
pub fn is_date(text: &str) -> bool {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok() && text.len() == 10
}

/// How far `created` may be moved from now when a create sends it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backdating {
    pub past_days: u64,
    pub future_hours: u64,
}

/// A set of derivation rules over configured field names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameRules {
    pub rules: NameRuleSet,
    pub first: String,
    pub last: String,
    pub full: String,
    pub email: String,
}

/// The rule sets the engine knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameRuleSet {
    /// The data-integrity page's rules for people: "Last, First" is flipped, a full name is
    /// split on its last whitespace, first and last are composed into the full name, and a
    /// name is derived from the email's local part when none is given.
    Person,
}

impl NameRules {
    pub fn person() -> NameRules {
        NameRules {
            rules: NameRuleSet::Person,
            first: "first_name".into(),
            last: "last_name".into(),
            full: "full_name".into(),
            email: "email".into(),
        }
    }

    /// The fields the rules read and fill.
    pub fn fields(&self) -> [&str; 4] {
        [&self.first, &self.last, &self.full, &self.email]
    }
}

/// `stub:` of an operation: how the stub plays it.
#[derive(Clone, Debug, PartialEq)]
pub struct StubBehaviour {
    pub action: StubAction,
    /// Records of one collection are shared by every operation naming it.
    pub collection: String,
    /// JSON pointer to the record inside the success body.
    pub record: String,
    /// A sub-collection: the path parameter naming the parent record, which must exist.
    pub parent: Option<Parent>,
    /// Fields the request body may set; `None`: every field of the collection but its id
    /// and the timestamps the server fills.
    pub accepts: Option<Vec<String>>,
    /// Request field → stored field (`company_name: company`).
    pub renames: BTreeMap<String, String>,
    /// Fields an update appends to (a new line) instead of replacing.
    pub appends: Vec<String>,
    /// Answer field → stored field (`created_at: created_date`): the stored field is shown
    /// under the answer's name.
    pub shows: BTreeMap<String, String>,
    pub validate: Validate,
    /// The code of the 404 when the addressed record does not exist (`not_found` when not
    /// given). Answered when the operation documents it, or when given here on purpose
    /// (for a page that documents no 404); otherwise the stub says the documentation is
    /// silent.
    pub not_found: Option<String>,
    pub list: Option<ListSpec>,
    pub include: Option<Include>,
    /// `link`: the body field holding the ids of the records to link.
    pub members: Option<String>,
    pub bulk: Option<Bulk>,
    /// `merge`: the body fields naming the record that stays and those retired into it,
    /// and the records that follow them.
    pub merge: Option<Merge>,
    /// `import`: where the rows come from and how they meet existing records.
    pub import: Option<Import>,
    /// `delete`: link collections whose links to the deleted record go with it.
    pub cascade: Vec<String>,
    /// JSON pointer of the answer → what is put there.
    pub fill: BTreeMap<String, Fill>,
    /// Effects outside the API (declared; see the README).
    pub effects: Vec<Effect>,
    /// The documented largest body, in bytes: a larger one is refused with the
    /// operation's documented 413 before the action plays.
    pub max_body_bytes: Option<u64>,
}

/// The largest body size the format accepts anywhere (`max_body_bytes`, a request's
/// `pad.bytes`): 64 MiB, far above any documented limit, and the stub's hard cap on the
/// bodies it reads.
pub const BODY_BYTES_CAP: u64 = 64 * 1024 * 1024;

pub fn default_record() -> String {
    "/data".to_string()
}

impl StubBehaviour {
    /// The code of the 404 for a missing record.
    pub fn not_found_code(&self) -> &str {
        self.not_found.as_deref().unwrap_or("not_found")
    }
}

/// What the stub does for an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StubAction {
    /// Stores a new record made from the body (validated, names derived, fields filled).
    Create,
    /// Answers the record named by the last path parameter, or 404.
    Read,
    /// Answers a page of the collection: filters, sort, `page` and `per_page`, `meta`.
    List,
    /// Merges the body into the record named by the last path parameter, or 404.
    Update,
    /// Removes the record named by the last path parameter, or 404.
    Delete,
    /// Links the records a body field names to the parent record (list memberships).
    Link,
    /// Removes the link between the parent and the record the last path parameter names.
    Unlink,
    /// Creates every item of a body array, all or none.
    BulkCreate,
    /// Removes the records a body array names, with per-item results.
    BulkDelete,
    /// Merges the records a body array names into the one a body field names: empty
    /// fields filled, child records moved, the others retired (with a merge history).
    Merge,
    /// Imports rows (JSON objects or CSV lines): each made as a create would, or matched
    /// to an existing record and skipped or updated; per-row errors; queued above a size.
    Import,
    /// Answers the documented example: the effect is outside the API. A last resort,
    /// marked as such in the coverage matrix.
    Example,
}

impl StubAction {
    /// In the order of the variants: [`StubAction::name`] indexes it.
    pub const NAMES: [&'static str; 12] = [
        "create",
        "read",
        "list",
        "update",
        "delete",
        "link",
        "unlink",
        "bulk_create",
        "bulk_delete",
        "merge",
        "import",
        "example",
    ];

    pub fn named(name: &str) -> Option<StubAction> {
        Some(match name {
            "create" => StubAction::Create,
            "read" => StubAction::Read,
            "list" => StubAction::List,
            "update" => StubAction::Update,
            "delete" => StubAction::Delete,
            "link" => StubAction::Link,
            "unlink" => StubAction::Unlink,
            "bulk_create" => StubAction::BulkCreate,
            "bulk_delete" => StubAction::BulkDelete,
            "merge" => StubAction::Merge,
            "example" => StubAction::Example,
            "import" => StubAction::Import,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// Whether it addresses one record by the last path parameter.
    pub fn addresses_a_record(self) -> bool {
        matches!(
            self,
            StubAction::Read | StubAction::Update | StubAction::Delete | StubAction::Unlink
        )
    }

    /// Whether it adds records to its collection.
    pub fn fills(self) -> bool {
        matches!(
            self,
            StubAction::Create | StubAction::BulkCreate | StubAction::Link | StubAction::Import
        )
    }
}

/// The parent record of a sub-collection, named by a path parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parent {
    pub param: String,
    pub collection: String,
    /// The field of the child that holds the parent's id.
    pub field: String,
    /// The 404 code when the parent does not exist; the operation's `not_found` otherwise.
    pub not_found: Option<String>,
}

/// Input checks beyond the collection's field types.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validate {
    /// Fields the body must give (not null, not empty).
    pub required: Vec<String>,
    /// The most characters a text field may hold.
    pub max_length: BTreeMap<String, u64>,
    /// The most items an array field may hold.
    pub max_items: BTreeMap<String, u64>,
    /// Fields no two records of the collection may share a value of.
    pub unique: Vec<String>,
    /// What happens to a body field the operation does not accept.
    pub unknown: Unknown,
    /// The error code of a 400, and per rule where it differs (`required:
    /// missing_required_field`).
    pub code: String,
    pub codes: BTreeMap<Rule, String>,
}

impl Default for Validate {
    fn default() -> Self {
        Validate {
            required: Vec::new(),
            max_length: BTreeMap::new(),
            max_items: BTreeMap::new(),
            unique: Vec::new(),
            unknown: Unknown::Ignore,
            code: "validation_error".into(),
            codes: BTreeMap::new(),
        }
    }
}

impl Validate {
    /// The error code a failure of `rule` is answered with.
    pub fn code_of(&self, rule: Rule) -> &str {
        self.codes.get(&rule).unwrap_or(&self.code)
    }
}

/// The validation rules, each of which may have a code of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rule {
    /// The body is not a JSON object, or a field has the wrong type or format.
    Type,
    Required,
    MaxLength,
    MaxItems,
    Unknown,
    Unique,
}

impl Rule {
    pub const NAMES: [&'static str; 6] = [
        "type",
        "required",
        "max_length",
        "max_items",
        "unknown",
        "unique",
    ];

    pub fn named(name: &str) -> Option<Rule> {
        Some(match name {
            "type" => Rule::Type,
            "required" => Rule::Required,
            "max_length" => Rule::MaxLength,
            "max_items" => Rule::MaxItems,
            "unknown" => Rule::Unknown,
            "unique" => Rule::Unique,
            _ => return None,
        })
    }
}

/// A body field the operation does not accept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unknown {
    /// Left out of the record.
    Ignore,
    /// 400 with the field named.
    Refuse,
}

/// `list:` of a list action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListSpec {
    /// JSON pointer of the items' array in the answer; none for a list answered as CSV.
    pub items: Option<String>,
    /// JSON pointer of `{page, per_page, total}`; none for a list without meta.
    pub meta: Option<String>,
    /// The page size (`per_page:`), or the most records of a list without pages
    /// (`limit:`, an export's).
    pub per_page: PerPage,
    pub pages: Pages,
    pub out_of_range: OutOfRange,
    /// Query parameter → filter.
    pub filters: BTreeMap<String, Filter>,
    pub sort: Option<Sort>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PerPage {
    pub default: u64,
    pub max: u64,
}

/// How a list is cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pages {
    /// `page` and `per_page`.
    Numbered,
    /// No pages: `limit` records at most (an export).
    Limit,
}

impl Pages {
    /// The query parameter of the page size (or the limit).
    pub fn size_param(self) -> &'static str {
        match self {
            Pages::Numbered => "per_page",
            Pages::Limit => "limit",
        }
    }
}

/// What a `page` below 1 or a `per_page` outside 1 to max gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutOfRange {
    /// The nearest value in range.
    Clamp,
    /// 400 with the parameter named (the operation must document the 400).
    Refuse,
}

/// A query parameter that narrows a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Filter {
    /// A partial match, ignoring case, on any of the fields.
    Contains(Vec<String>),
    /// The field equals the value (as text).
    Equals(String),
    /// The date-time field is after the value.
    After(String),
    /// The date-time field is before the value.
    Before(String),
    /// The record is linked, in this link collection, to the record the value names.
    Linked(String),
    /// The array field holds the value; the parameter may repeat, and the record must
    /// hold every value (`tag=a&tag=b`: tagged both).
    Has(String),
}

/// `sort:` of a list: a query parameter naming a field, `-` in front for descending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sort {
    pub param: String,
    /// Name in the query → stored field.
    pub fields: BTreeMap<String, String>,
    /// Sort applied when the query names none (`-created_at` for newest first).
    pub default: String,
}

/// `include:` of a read: related records embedded on request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Include {
    pub param: String,
    /// The value that asks for every one (`*`).
    pub all: Option<String>,
    /// Name in the query → what it embeds.
    pub each: BTreeMap<String, Embed>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Embed {
    /// The answer field that holds them.
    pub into: String,
    pub collection: String,
    /// The field of those records that holds the id of this one.
    pub field: String,
    /// How many at most.
    pub top: u64,
    /// Stored field, `-` in front for descending; creation order when absent.
    pub sort: Option<String>,
    /// Field → the values it may hold (records holding another are left out).
    pub only: BTreeMap<String, Vec<Value>>,
}

/// `bulk:` of a bulk action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bulk {
    /// The body field holding the items (bulk_create) or the ids (bulk_delete).
    pub items: String,
    /// The most items one request may hold.
    pub max: u64,
    /// A boolean body field that makes the request change nothing.
    pub dry_run: Option<String>,
}

/// `merge:` of a merge action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Merge {
    /// The body field holding the id of the record that stays.
    pub primary: String,
    /// The body field holding the ids of the records retired into it, in order.
    pub duplicates: String,
    /// The most duplicates one request may name.
    pub max: u64,
    /// A boolean body field: the duplicates' values replace the primary's non-empty ones.
    pub overwrite: Option<String>,
    /// A boolean body field that makes the request change nothing.
    pub dry_run: Option<String>,
    /// The code of the 409 of a request whose ids form a circular chain with earlier
    /// merges (a retired id that was merged into another id of the same request).
    pub conflict: String,
    /// Count name → the records that follow a retired record to the one that stays.
    pub moves: BTreeMap<String, Move>,
}

/// Records of `collection` whose `field` holds a record's id (a contact's notes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Move {
    pub collection: String,
    pub field: String,
}

/// `import:` of an import action: the body fields it reads (each named as the Import
/// Contacts page names it, by default) and how a row meets the records already there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Import {
    /// The body field holding an array of row objects.
    pub rows: String,
    /// The body field holding CSV text.
    pub csv: String,
    /// The boolean body field saying the CSV's first line names its columns (default true).
    pub has_header: String,
    /// The body field mapping a CSV header to a field (`{"Email Address": "email"}`).
    pub mapping: String,
    /// The boolean body field: a matched row updates its record (true) or is skipped.
    pub update_existing: String,
    /// The body field whose strings are added to every row's field of the same name.
    pub tags: String,
    /// Fields by which a row matches a stored record (any one equal; emails in any case).
    pub matches: Vec<String>,
    /// The most rows done at once; more are queued (answered with a job id, counts 0).
    pub max: u64,
    /// The prefix of the job id (`imp_`), followed by 26 characters as a ULID's.
    pub job_prefix: String,
}

/// What an answer holds at a pointer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fill {
    /// The record, as shown.
    Record,
    /// The record's id.
    Id,
    /// A path parameter.
    Param(String),
    /// A count of the action: added, updated, skipped, created, deleted, not_found, removed (links
    /// that went with a delete), members (links of the parent after a link), total (the
    /// matches of a list).
    Count(String),
    /// The records a bulk create made, as shown.
    Records,
    /// A bulk action's per-item errors.
    Errors,
    /// The ids a link added.
    Added,
    /// The time of the request.
    Now,
    /// The credits the key's workspace has left after the request.
    Credits,
    /// The ids a merge retired.
    Merged,
    /// The fields a merge filled in on the record that stays.
    Populated,
    /// What a merge moved: `{count name: records}`, one entry per `moves`.
    Moved,
    /// What became of the request: `completed`, or `queued` (an import above its max).
    Status,
}

impl Fill {
    pub const COUNTS: [&'static str; 9] = [
        "added",
        "updated",
        "skipped",
        "created",
        "deleted",
        "not_found",
        "removed",
        "members",
        "total",
    ];

    /// `record`, `id`, `param.<name>`, `count.<name>`, `records`, `errors`, `added`, `now`.
    pub fn named(name: &str) -> Option<Fill> {
        if let Some(param) = name.strip_prefix("param.") {
            return Some(Fill::Param(param.to_string()));
        }
        if let Some(count) = name.strip_prefix("count.") {
            return Fill::COUNTS
                .contains(&count)
                .then(|| Fill::Count(count.to_string()));
        }
        Some(match name {
            "record" => Fill::Record,
            "id" => Fill::Id,
            "records" => Fill::Records,
            "errors" => Fill::Errors,
            "added" => Fill::Added,
            "now" => Fill::Now,
            "credits" => Fill::Credits,
            "merged" => Fill::Merged,
            "populated" => Fill::Populated,
            "moved" => Fill::Moved,
            "status" => Fill::Status,
            _ => return None,
        })
    }

    pub const SHAPES: &'static str =
        "record, id, param.<name>, count.<added|updated|skipped|created|deleted|not_found|removed|members|total>, records, errors, added, now, credits, merged, populated, moved, status";
}

/// An effect outside the API, declared on an operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Spends credits of the key's workspace; 402 `insufficient_credits` when too few are
    /// left (credentials with `credits: 0` have none).
    Credits(u64),
    /// Keeps a copy of the request in a collection that no API reads (an outbox), for
    /// `serve` users to look at.
    Outbox(String),
    /// Answers a list's records as CSV (`text/csv`, a header row first) instead of JSON.
    Csv(CsvExport),
}

/// `- csv: { fields: [...], select: fields, filename: … }`: an export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvExport {
    /// The columns by default: fields of the record as shown (after `shows`).
    pub fields: Vec<String>,
    /// The query parameter that chooses other columns (a comma-separated list of shown
    /// fields); an unknown one is a 400.
    pub select: Option<String>,
    /// `Content-Disposition: attachment; filename="<filename>"`.
    pub filename: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_action_is_named_by_its_own_name() {
        for name in StubAction::NAMES {
            let action = StubAction::named(name).unwrap();
            assert_eq!(action.name(), name, "{action:?}");
        }
    }
}
