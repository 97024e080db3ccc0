//! Reading the stub's part of the format: `collections:` of `suite.yaml` and `stub:` of an
//! operation. Every key is checked here, at its own position, with a did-you-mean for a
//! misspelt one; what the keys name (collections, fields, path parameters, documented
//! codes) is cross-checked later by `stub_checks`.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use serde_json::Value;

use super::super::behaviour::{
    default_record, Backdating, Bulk, Collection, CsvExport, Effect, Embed, FieldType, Fill,
    Filter, IdStyle, Import, Include, ListSpec, Merge, Move, NameRuleSet, NameRules, OutOfRange,
    Pages, Parent, PerPage, Rule, Sort, StubAction, StubBehaviour, Unknown, Validate,
    BODY_BYTES_CAP,
};
use super::super::yaml::{Entry, Node, Yaml};
use super::{Fields, Reader};

const COLLECTION: &[&str] = &[
    "id",
    "fields",
    "created",
    "updated",
    "updated_on_create",
    "backdating",
    "names",
    "requires_any",
    "normalise",
    "defaults",
    "hidden",
    "links",
    "counts",
    "external",
];
const ID_STYLE: &[&str] = &["prefix"];
const BACKDATING: &[&str] = &["past_days", "future_hours"];
const NAMES: &[&str] = &["rules", "first", "last", "full", "email"];
const BEHAVIOUR: &[&str] = &[
    "action",
    "collection",
    "record",
    "parent",
    "accepts",
    "renames",
    "appends",
    "shows",
    "validate",
    "not_found",
    "list",
    "include",
    "members",
    "bulk",
    "merge",
    "import",
    "cascade",
    "fill",
    "effects",
    "max_body_bytes",
];
const PARENT: &[&str] = &["param", "collection", "field", "not_found"];
const VALIDATE: &[&str] = &[
    "required",
    "max_length",
    "max_items",
    "unique",
    "unknown",
    "code",
    "codes",
];
const LIST: &[&str] = &[
    "items",
    "meta",
    "per_page",
    "limit",
    "out_of_range",
    "filters",
    "sort",
];
const PER_PAGE: &[&str] = &["default", "max"];
const FILTER: &[&str] = &["contains", "equals", "after", "before", "linked", "has"];
const SORT: &[&str] = &["param", "default", "fields"];
const INCLUDE: &[&str] = &["param", "all", "each"];
const EMBED: &[&str] = &["into", "collection", "field", "top", "sort", "only"];
const BULK: &[&str] = &["items", "max", "dry_run"];
const MERGE: &[&str] = &[
    "primary",
    "duplicates",
    "max",
    "overwrite",
    "dry_run",
    "conflict",
    "moves",
];
const MOVE: &[&str] = &["collection", "field"];
const IMPORT: &[&str] = &[
    "rows",
    "csv",
    "has_header",
    "mapping",
    "update_existing",
    "tags",
    "match",
    "max",
    "job_prefix",
];
const EFFECT: &[&str] = &["credits", "outbox", "csv"];
const CSV_EXPORT: &[&str] = &["fields", "select", "filename"];

/// Days back a back-dated record may go: a century.
const PAST_DAYS: RangeInclusive<u64> = 0..=36_600;
/// Hours ahead: a year.
const FUTURE_HOURS: RangeInclusive<u64> = 0..=8_784;
/// Page sizes and item counts: far beyond any documented limit.
const SIZES: RangeInclusive<u64> = 1..=1_000_000;
/// Lengths of text fields.
const LENGTHS: RangeInclusive<u64> = 1..=100_000_000;
/// A documented body size: the format's cap.
const BODY_BYTES: RangeInclusive<u64> = 1..=BODY_BYTES_CAP;
/// Credits one request may spend.
const CREDITS: RangeInclusive<u64> = 0..=1_000_000;

impl Reader {
    /// One collection of `collections:`.
    pub(super) fn collection(&mut self, c: &Entry) -> Option<Collection> {
        let f = self.fields(
            &c.value,
            c.key_pos,
            &format!("collection `{}`", c.key),
            "this collection",
            COLLECTION,
        )?;
        let id = self.optional(&f, "id", Self::id_style);
        let fields = self.optional(&f, "fields", Self::field_types);
        let created = self.optional(&f, "created", Self::text);
        let updated = self.optional(&f, "updated", Self::text);
        let updated_on_create = self.optional(&f, "updated_on_create", Self::boolean);
        let backdating = self.optional(&f, "backdating", Self::backdating);
        let names = self.optional(&f, "names", Self::names);
        let requires_any = self.optional(&f, "requires_any", Self::texts);
        let normalise = self.optional(&f, "normalise", Self::normalise);
        let defaults = self.optional(&f, "defaults", |r, e| {
            r.named(e, "values", |_, v| Some(v.value.to_json()))
        });
        let hidden = self.optional(&f, "hidden", Self::texts);
        let links = self.optional(&f, "links", Self::linked_collections);
        let counts = self.optional(&f, "counts", Self::counted_links);
        let external = self.optional(&f, "external", Self::boolean);
        Some(Collection {
            id: id.ok()?.unwrap_or_default(),
            fields: fields.ok()?.unwrap_or_default(),
            created: created.ok()?,
            updated: updated.ok()?,
            updated_on_create: updated_on_create.ok()?.unwrap_or(true),
            backdating: backdating.ok()?,
            names: names.ok()?,
            requires_any: requires_any.ok()?.unwrap_or_default(),
            normalise: normalise.ok()?.unwrap_or_default(),
            defaults: defaults.ok()?.unwrap_or_default(),
            hidden: hidden.ok()?.unwrap_or_default(),
            links: links.ok()?.unwrap_or_default(),
            counts: counts.ok()?.unwrap_or_default(),
            external: external.ok()?.unwrap_or(false),
        })
    }

    /// `fields:` of a collection: the type of each field.
    fn field_types(&mut self, e: &Entry) -> Option<BTreeMap<String, FieldType>> {
        self.named(e, "types", |r, field| {
            r.field_type(&field.value, &field.key)
        })
    }

    /// `backdating:` of a collection: how far from now its `created` field may be set.
    fn backdating(&mut self, e: &Entry) -> Option<Backdating> {
        let f = self.fields(
            &e.value,
            e.key_pos,
            "`backdating`",
            "`backdating`",
            BACKDATING,
        )?;
        let past = self.required(&f, "past_days", |r, e| {
            r.number(&e.value, "`past_days`", "a number of days", &PAST_DAYS)
        });
        let future = self.required(&f, "future_hours", |r, e| {
            r.number(
                &e.value,
                "`future_hours`",
                "a number of hours",
                &FUTURE_HOURS,
            )
        });
        Some(Backdating {
            past_days: past?,
            future_hours: future?,
        })
    }

    /// `normalise:` of a collection: per field, the value each word stands for.
    fn normalise(&mut self, e: &Entry) -> Option<BTreeMap<String, BTreeMap<String, Value>>> {
        self.named(e, "mappings of words to values", |r, field| {
            r.named(field, "values", |_, word| Some(word.value.to_json()))
        })
    }

    /// `links:` of a link collection: the collection each link field points at.
    fn linked_collections(&mut self, e: &Entry) -> Option<BTreeMap<String, String>> {
        self.named(e, "collection names", |r, l| {
            r.text_node(&l.value, &format!("the collection of `{}`", l.key))
        })
    }

    /// `counts:` of a collection: the link collection each count field counts.
    fn counted_links(&mut self, e: &Entry) -> Option<BTreeMap<String, String>> {
        self.named(e, "link collections", |r, l| {
            r.text_node(&l.value, &format!("the link collection of `{}`", l.key))
        })
    }

    /// `id: uuid` or `id: { prefix: cmp_ }`.
    fn id_style(&mut self, e: &Entry) -> Option<IdStyle> {
        if let Yaml::Map(_) = e.value.value {
            let f = self.fields(&e.value, e.key_pos, "`id`", "`id`", ID_STYLE)?;
            let prefix = self.required(&f, "prefix", Self::text)?;
            return Some(IdStyle::Prefixed(prefix));
        }
        self.choice(&e.value, "`id`", &["uuid"])
            .map(|_| IdStyle::Uuid)
            .or_else(|| {
                let problems = &mut self.problems;
                if let Some(last) = problems.last_mut() {
                    last.hint = Some("or { prefix: <text> } for ids such as cmp_01HY…".into());
                }
                None
            })
    }

    /// A field's type: a name, or `[type]` for an array of that type.
    fn field_type(&mut self, node: &Node, field: &str) -> Option<FieldType> {
        let name = format!("the type of `{field}`");
        match &node.value {
            Yaml::Seq(items) => match items.as_slice() {
                [] => Some(FieldType::Array(None)),
                [item] => {
                    let inner = self.field_type(item, field)?;
                    Some(FieldType::Array(Some(Box::new(inner))))
                }
                _ => {
                    let problem = self.problem(
                        node.pos,
                        format!("{name} must be one type, or [type] for an array of it"),
                    );
                    problem.hint = Some(format!("types: {}", FieldType::NAMES.join(", ")));
                    None
                }
            },
            _ => {
                let chosen = self.choice(node, &name, &FieldType::NAMES)?;
                FieldType::named(chosen)
            }
        }
    }

    /// `names: person`, or `names: { rules: person, first: …, last: …, full: …, email: … }`.
    fn names(&mut self, e: &Entry) -> Option<NameRules> {
        let rule_set = |r: &mut Self, node: &Node| {
            r.choice(node, "`rules`", &["person"])
                .map(|_| NameRuleSet::Person)
        };
        if !matches!(e.value.value, Yaml::Map(_)) {
            return rule_set(self, &e.value).map(|_| NameRules::person());
        }
        let f = self.fields(&e.value, e.key_pos, "`names`", "`names`", NAMES)?;
        let rules = self.required(&f, "rules", |r, e| rule_set(r, &e.value));
        let mut names = NameRules::person();
        for (key, slot) in [
            ("first", &mut names.first),
            ("last", &mut names.last),
            ("full", &mut names.full),
            ("email", &mut names.email),
        ] {
            if let Some(given) = self.optional(&f, key, Self::text).ok()? {
                *slot = given;
            }
        }
        names.rules = rules?;
        Some(names)
    }

    /// `stub` of an operation: how the stub plays it.
    pub(super) fn stub_behaviour(&mut self, e: &Entry) -> Option<StubBehaviour> {
        let f = self.fields(&e.value, e.key_pos, "`stub`", "`stub`", BEHAVIOUR)?;
        let action = self.required(&f, "action", |r, e| {
            r.choice(&e.value, "`action`", &StubAction::NAMES)
        });
        let collection = self.required(&f, "collection", Self::text);
        let record = self.optional(&f, "record", Self::text);
        let parent = self.optional(&f, "parent", Self::parent);
        let accepts = self.optional(&f, "accepts", Self::texts);
        let renames = self.optional(&f, "renames", Self::names_to_names);
        let appends = self.optional(&f, "appends", Self::texts);
        let shows = self.optional(&f, "shows", Self::names_to_names);
        let validate = self.optional(&f, "validate", Self::validate);
        let not_found = self.optional(&f, "not_found", Self::text);
        let list = self.optional(&f, "list", Self::list_spec);
        let include = self.optional(&f, "include", Self::include);
        let members = self.optional(&f, "members", Self::text);
        let bulk = self.optional(&f, "bulk", Self::bulk);
        let merge = self.optional(&f, "merge", Self::merge);
        let import = self.optional(&f, "import", Self::import);
        let cascade = self.optional(&f, "cascade", Self::texts);
        let fill = self.optional(&f, "fill", |r, e| {
            r.named(e, "what to put there", |r, item| {
                let shapes = Fill::SHAPES;
                let text = r.text_node(&item.value, &format!("the fill of `{}`", item.key))?;
                let fill = Fill::named(&text);
                if fill.is_none() {
                    let problem = r.problem(
                        item.value.pos,
                        format!("unknown fill `{text}`; use one of {shapes}"),
                    );
                    problem.label =
                        super::closest(&text, &FILL_WORDS).map(|s| format!("did you mean `{s}`?"));
                }
                fill
            })
        });
        let effects = self.optional(&f, "effects", Self::effects);
        let max_body_bytes = self.optional(&f, "max_body_bytes", |r, e| {
            r.number(
                &e.value,
                "`max_body_bytes`",
                "a number of bytes",
                &BODY_BYTES,
            )
        });
        let action = StubAction::named(action?)?;
        Some(StubBehaviour {
            action,
            collection: collection?,
            record: record.ok()?.unwrap_or_else(default_record),
            parent: parent.ok()?,
            accepts: accepts.ok()?,
            renames: renames.ok()?.unwrap_or_default(),
            appends: appends.ok()?.unwrap_or_default(),
            shows: shows.ok()?.unwrap_or_default(),
            validate: validate.ok()?.unwrap_or_default(),
            not_found: not_found.ok()?,
            list: list.ok()?,
            include: include.ok()?,
            members: members.ok()?,
            bulk: bulk.ok()?,
            merge: merge.ok()?,
            import: import.ok()?,
            cascade: cascade.ok()?.unwrap_or_default(),
            fill: fill.ok()?.unwrap_or_default(),
            effects: effects.ok()?.unwrap_or_default(),
            max_body_bytes: max_body_bytes.ok()?,
        })
    }

    /// A mapping of field names to field names (`renames`, `shows`).
    fn names_to_names(&mut self, e: &Entry) -> Option<BTreeMap<String, String>> {
        let what = format!("field names (`{}`)", e.key);
        self.named(e, &what, |r, item| {
            r.text_node(&item.value, &format!("the field `{}` stands for", item.key))
        })
    }

    fn parent(&mut self, e: &Entry) -> Option<Parent> {
        let f = self.fields(&e.value, e.key_pos, "`parent`", "`parent`", PARENT)?;
        let param = self.required(&f, "param", Self::text);
        let collection = self.required(&f, "collection", Self::text);
        let field = self.required(&f, "field", Self::text);
        let not_found = self.optional(&f, "not_found", Self::text);
        Some(Parent {
            param: param?,
            collection: collection?,
            field: field?,
            not_found: not_found.ok()?,
        })
    }

    fn validate(&mut self, e: &Entry) -> Option<Validate> {
        let f = self.fields(&e.value, e.key_pos, "`validate`", "`validate`", VALIDATE)?;
        let required = self.optional(&f, "required", Self::texts);
        let max_length = self.optional(&f, "max_length", |r, e| {
            r.named(e, "numbers of characters", |r, n| {
                r.number(&n.value, &format!("`{}`", n.key), "a length", &LENGTHS)
            })
        });
        let max_items = self.optional(&f, "max_items", |r, e| {
            r.named(e, "numbers of items", |r, n| {
                r.number(
                    &n.value,
                    &format!("`{}`", n.key),
                    "a number of items",
                    &SIZES,
                )
            })
        });
        let unique = self.optional(&f, "unique", Self::texts);
        let unknown = self.optional(&f, "unknown", |r, e| {
            r.choice(&e.value, "`unknown`", &["ignore", "refuse"])
        });
        let code = self.optional(&f, "code", Self::text);
        let codes = self.optional(&f, "codes", Self::rule_codes);
        let defaults = Validate::default();
        Some(Validate {
            required: required.ok()?.unwrap_or_default(),
            max_length: max_length.ok()?.unwrap_or_default(),
            max_items: max_items.ok()?.unwrap_or_default(),
            unique: unique.ok()?.unwrap_or_default(),
            unknown: match unknown.ok()? {
                Some("refuse") => Unknown::Refuse,
                _ => Unknown::Ignore,
            },
            code: code.ok()?.unwrap_or(defaults.code),
            codes: codes.ok()?.unwrap_or_default(),
        })
    }

    /// `codes:` of `validate`: the error code of each rule that has its own.
    fn rule_codes(&mut self, e: &Entry) -> Option<BTreeMap<Rule, String>> {
        let entries: &[Entry] = match &e.value.value {
            Yaml::Map(entries) => entries,
            _ => {
                self.named(e, "error codes", |_, _| Some(()))?;
                return Some(BTreeMap::new());
            }
        };
        let mut codes = BTreeMap::new();
        let mut all = true;
        for item in entries {
            let rule = Rule::named(&item.key);
            if rule.is_none() {
                let problem = self.problem(item.key_pos, format!("unknown rule `{}`", item.key));
                problem.label =
                    super::closest(&item.key, &Rule::NAMES).map(|s| format!("did you mean `{s}`?"));
                problem.hint = Some(format!("rules: {}", Rule::NAMES.join(", ")));
            }
            let code = self.text_node(&item.value, &format!("the code of `{}`", item.key));
            match (rule, code) {
                (Some(rule), Some(code)) => {
                    codes.insert(rule, code);
                }
                _ => all = false,
            }
        }
        all.then_some(codes)
    }

    fn list_spec(&mut self, e: &Entry) -> Option<ListSpec> {
        let f = self.fields(&e.value, e.key_pos, "`list`", "`list`", LIST)?;
        let items = self.optional(&f, "items", Self::text);
        let meta = self.optional(&f, "meta", Self::text);
        let sizes = self.page_sizes(&f, e);
        let out_of_range = self.optional(&f, "out_of_range", |r, e| {
            r.choice(&e.value, "`out_of_range`", &["clamp", "refuse"])
        });
        let filters = self.optional(&f, "filters", |r, e| {
            r.named(e, "filters (`{ contains: [fields] }`, …)", |r, item| {
                r.filter(item)
            })
        });
        let sort = self.optional(&f, "sort", |r, e| {
            let f = r.fields(&e.value, e.key_pos, "`sort`", "`sort`", SORT)?;
            let param = r.optional(&f, "param", Self::text);
            let default = r.required(&f, "default", Self::text);
            let fields = r.required(&f, "fields", Self::names_to_names);
            Some(Sort {
                param: param.ok()?.unwrap_or_else(|| "sort".into()),
                fields: fields?,
                default: default?,
            })
        });
        let (pages, per_page) = sizes?;
        Some(ListSpec {
            items: items.ok()?,
            meta: meta.ok()?,
            per_page,
            pages,
            out_of_range: match out_of_range.ok()? {
                Some("refuse") => OutOfRange::Refuse,
                _ => OutOfRange::Clamp,
            },
            filters: filters.ok()?.unwrap_or_default(),
            sort: sort.ok()?,
        })
    }

    /// `per_page: { default, max }` of a list with pages, or `limit: { default, max }` of
    /// one without: exactly one of them.
    fn page_sizes(&mut self, f: &Fields<'_>, e: &Entry) -> Option<(Pages, PerPage)> {
        let read = |r: &mut Self, e: &Entry| {
            let name = format!("`{}`", e.key);
            let f = r.fields(&e.value, e.key_pos, &name, "this size", PER_PAGE)?;
            let default = r.required(&f, "default", |r, e| {
                r.number(&e.value, "`default`", "a page size", &SIZES)
            });
            let max = r.required(&f, "max", |r, e| {
                r.number(&e.value, "`max`", "a page size", &SIZES)
            });
            Some(PerPage {
                default: default?,
                max: max?,
            })
        };
        let per_page = self.optional(f, "per_page", read);
        let limit = self.optional(f, "limit", read);
        match (per_page.ok()?, limit.ok()?) {
            (Some(per_page), None) => Some((Pages::Numbered, per_page)),
            (None, Some(limit)) => Some((Pages::Limit, limit)),
            (None, None) => {
                let problem = self.problem(e.key_pos, "`list` needs `per_page` or `limit`".into());
                problem.hint = Some(
                    "`per_page: { default, max }` for pages, `limit: { default, max }` for a \
                     list without pages (an export)"
                        .into(),
                );
                None
            }
            (Some(_), Some(_)) => {
                let at = f.get("limit").map_or(e.key_pos, |l| l.key_pos);
                self.problem(
                    at,
                    "a list has pages (`per_page`) or a `limit`, not both".into(),
                );
                None
            }
        }
    }

    /// One filter: a mapping of exactly one kind to its argument.
    fn filter(&mut self, item: &Entry) -> Option<Filter> {
        let name = format!("filter `{}`", item.key);
        let f = self.fields(&item.value, item.key_pos, &name, "this filter", FILTER)?;
        let given: Vec<&Entry> = f
            .entries
            .iter()
            .filter(|e| FILTER.contains(&e.key.as_str()))
            .collect();
        let entry = match given.as_slice() {
            [one] => *one,
            [] => {
                let problem = self.problem(item.key_pos, format!("{name} needs one kind"));
                problem.hint = Some(format!("kinds: {}", FILTER.join(", ")));
                return None;
            }
            [_, second, ..] => {
                self.problem(
                    second.key_pos,
                    format!("{name} is one kind of filter; give it a parameter of its own"),
                );
                return None;
            }
        };
        match entry.key.as_str() {
            "contains" => self.texts(entry).map(Filter::Contains),
            "equals" => self.text(entry).map(Filter::Equals),
            "after" => self.text(entry).map(Filter::After),
            "before" => self.text(entry).map(Filter::Before),
            "has" => self.text(entry).map(Filter::Has),
            _ => self.text(entry).map(Filter::Linked),
        }
    }

    fn include(&mut self, e: &Entry) -> Option<Include> {
        let f = self.fields(&e.value, e.key_pos, "`include`", "`include`", INCLUDE)?;
        let param = self.optional(&f, "param", Self::text);
        let all = self.optional(&f, "all", Self::text);
        let each = self.required(&f, "each", |r, e| {
            r.named(e, "what each name embeds", |r, item| {
                let name = format!("`{}`", item.key);
                let f = r.fields(&item.value, item.key_pos, &name, "this embed", EMBED)?;
                let into = r.required(&f, "into", Self::text);
                let collection = r.required(&f, "collection", Self::text);
                let field = r.required(&f, "field", Self::text);
                let top = r.required(&f, "top", |r, e| {
                    r.number(&e.value, "`top`", "a number of records", &SIZES)
                });
                let sort = r.optional(&f, "sort", Self::text);
                let only = r.optional(&f, "only", |r, e| {
                    r.named(e, "values (one, or a list)", |_, v| {
                        Some(match v.value.to_json() {
                            Value::Array(items) => items,
                            one => vec![one],
                        })
                    })
                });
                Some(Embed {
                    into: into?,
                    collection: collection?,
                    field: field?,
                    top: top?,
                    sort: sort.ok()?,
                    only: only.ok()?.unwrap_or_default(),
                })
            })
        });
        Some(Include {
            param: param.ok()?.unwrap_or_else(|| "include".into()),
            all: all.ok()?,
            each: each?,
        })
    }

    fn bulk(&mut self, e: &Entry) -> Option<Bulk> {
        let f = self.fields(&e.value, e.key_pos, "`bulk`", "`bulk`", BULK)?;
        let items = self.required(&f, "items", Self::text);
        let max = self.required(&f, "max", |r, e| {
            r.number(&e.value, "`max`", "a number of items", &SIZES)
        });
        let dry_run = self.optional(&f, "dry_run", Self::text);
        Some(Bulk {
            items: items?,
            max: max?,
            dry_run: dry_run.ok()?,
        })
    }

    fn merge(&mut self, e: &Entry) -> Option<Merge> {
        let f = self.fields(&e.value, e.key_pos, "`merge`", "`merge`", MERGE)?;
        let primary = self.required(&f, "primary", Self::text);
        let duplicates = self.required(&f, "duplicates", Self::text);
        let max = self.required(&f, "max", |r, e| {
            r.number(&e.value, "`max`", "a number of duplicates", &SIZES)
        });
        let overwrite = self.optional(&f, "overwrite", Self::text);
        let dry_run = self.optional(&f, "dry_run", Self::text);
        let conflict = self.optional(&f, "conflict", Self::text);
        let moves = self.optional(&f, "moves", |r, e| {
            r.named(e, "what follows a retired record", |r, item| {
                let name = format!("`{}`", item.key);
                let f = r.fields(&item.value, item.key_pos, &name, "this move", MOVE)?;
                let collection = r.required(&f, "collection", Self::text);
                let field = r.required(&f, "field", Self::text);
                Some(Move {
                    collection: collection?,
                    field: field?,
                })
            })
        });
        Some(Merge {
            primary: primary?,
            duplicates: duplicates?,
            max: max?,
            overwrite: overwrite.ok()?,
            dry_run: dry_run.ok()?,
            conflict: conflict.ok()?.unwrap_or_else(|| "merge_conflict".into()),
            moves: moves.ok()?.unwrap_or_default(),
        })
    }

    /// `import` of an import action: the body fields it reads (the Import Contacts page's
    /// names by default), the fields a row matches by, the most rows done at once.
    fn import(&mut self, e: &Entry) -> Option<Import> {
        let f = self.fields(&e.value, e.key_pos, "`import`", "`import`", IMPORT)?;
        let named = |r: &mut Self, key: &str| {
            r.optional(&f, key, Self::text)
                .map(|v| v.unwrap_or_else(|| key.to_string()))
        };
        let rows = named(self, "rows");
        let csv = named(self, "csv");
        let has_header = named(self, "has_header");
        let mapping = named(self, "mapping");
        let update_existing = named(self, "update_existing");
        let tags = named(self, "tags");
        let matches = self.required(&f, "match", Self::texts);
        let max = self.required(&f, "max", |r, e| {
            r.number(&e.value, "`max`", "a number of rows", &SIZES)
        });
        let job_prefix = self.required(&f, "job_prefix", Self::text);
        Some(Import {
            rows: rows.ok()?,
            csv: csv.ok()?,
            has_header: has_header.ok()?,
            mapping: mapping.ok()?,
            update_existing: update_existing.ok()?,
            tags: tags.ok()?,
            matches: matches?,
            max: max?,
            job_prefix: job_prefix?,
        })
    }

    /// `csv: { fields: [...], select: fields, filename: … }`.
    fn csv_export(&mut self, e: &Entry) -> Option<CsvExport> {
        let f = self.fields(&e.value, e.key_pos, "`csv`", "`csv`", CSV_EXPORT)?;
        let fields = self.required(&f, "fields", Self::texts);
        let select = self.optional(&f, "select", Self::text);
        let filename = self.optional(&f, "filename", Self::text);
        Some(CsvExport {
            fields: fields?,
            select: select.ok()?,
            filename: filename.ok()?,
        })
    }

    /// `effects`: a list of one-key mappings (`- credits: 1`, `- outbox: emails`).
    fn effects(&mut self, e: &Entry) -> Option<Vec<Effect>> {
        let items = self.list(
            e,
            "effects (`- credits: 1`, `- outbox: <collection>`, `- csv: { fields: […] }`)",
        )?;
        let mut effects = Vec::new();
        let mut all = true;
        for node in items {
            let Some(f) = self.fields(node, node.pos, "an effect", "this effect", EFFECT) else {
                all = false;
                continue;
            };
            let effect = match f.entries {
                [one] if one.key == "credits" => self
                    .number(&one.value, "`credits`", "a number of credits", &CREDITS)
                    .map(Effect::Credits),
                [one] if one.key == "outbox" => self.text(one).map(Effect::Outbox),
                [one] if one.key == "csv" => self.csv_export(one).map(Effect::Csv),
                [_] => None,
                _ => {
                    self.problem(
                        node.pos,
                        "an effect is one key: credits, outbox or csv".into(),
                    );
                    None
                }
            };
            match effect {
                Some(effect) => effects.push(effect),
                None => all = false,
            }
        }
        all.then_some(effects)
    }
}

/// The fills without an argument, for a did-you-mean.
const FILL_WORDS: [&str; 12] = [
    "record",
    "id",
    "records",
    "errors",
    "added",
    "now",
    "credits",
    "status",
    "count.",
    "merged",
    "populated",
    "moved",
];
