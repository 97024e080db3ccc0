//! Cross-checks of the stub's part of the format: the collections of `suite.yaml` name
//! only their own fields and existing collections; an operation's `stub:` names a
//! declared collection, fields it has, parameters its path has, and documented codes; and
//! every collection that something reads is filled by some operation (or is external).
//! Each problem is located at the key it is about.

use std::collections::{BTreeMap, BTreeSet};

use super::behaviour::{
    Collection, Effect, FieldType, Fill, Filter, Sort, StubAction, StubBehaviour,
};
use super::diagnostics::{did_you_mean, listed, FileCtx};
use super::error::SpecError;
use super::files::Parsed;
use super::raw;
use crate::source::join;

/// Whether `name` is a field of `collection`: its id, a declared field, a link field, a
/// count; any name when the collection declares no fields (its records hold what is sent).
pub(super) fn has_field(collection: &Collection, name: &str) -> bool {
    name == "id"
        || collection.fields.contains_key(name)
        || collection.links.contains_key(name)
        || collection.counts.contains_key(name)
        || (collection.fields.is_empty() && collection.links.is_empty())
}

/// The fields of a collection, for a hint.
fn fields_of(collection: &Collection) -> Vec<&str> {
    let mut names = vec!["id"];
    names.extend(collection.fields.keys().map(String::as_str));
    names.extend(collection.links.keys().map(String::as_str));
    names.extend(collection.counts.keys().map(String::as_str));
    names
}

/// Checks every collection of `suite.yaml` on its own and against the others.
pub(super) fn check_collections(
    ctx: &FileCtx<'_, raw::SuiteFile>,
    collections: &BTreeMap<String, Collection>,
    errors: &mut Vec<SpecError>,
) {
    for (name, collection) in collections {
        let at = join("collections", name);
        for (key, field, path) in named_fields(collection, &at) {
            if !has_field(collection, field) {
                let known = fields_of(collection);
                let error = ctx
                    .value_error(
                        &path,
                        format!("`{field}` ({key}) is not a field of collection `{name}`"),
                    )
                    .with_hint(format!("its fields: {}", listed(&known)));
                errors.push(did_you_mean(error, field, &known));
            }
        }
        check_defaults(ctx, &at, collection, errors);
        if collection.backdating.is_some() && collection.created.is_none() {
            errors.push(ctx.error(
                &join(&at, "backdating"),
                "`backdating` bounds the `created` field, which this collection does not name",
            ));
        }
        check_links(ctx, &at, collections, collection, errors);
        check_counts(ctx, &at, name, collections, collection, errors);
    }
}

/// Every field name a collection's keys give, in the order they are checked: the key that
/// names it, the name, and its path (the collection's at `at`).
fn named_fields<'c>(collection: &'c Collection, at: &str) -> Vec<(&'static str, &'c str, String)> {
    let mut named = Vec::new();
    for (key, value) in [
        ("created", &collection.created),
        ("updated", &collection.updated),
    ] {
        if let Some(value) = value {
            named.push((key, value.as_str(), join(at, key)));
        }
    }
    if let Some(names) = &collection.names {
        for (key, value) in ["first", "last", "full", "email"]
            .iter()
            .zip(names.fields())
        {
            named.push(("names", value, join(&join(at, "names"), key)));
        }
    }
    for (i, value) in collection.requires_any.iter().enumerate() {
        let path = format!("{}[{i}]", join(at, "requires_any"));
        named.push(("requires_any", value.as_str(), path));
    }
    for (i, value) in collection.hidden.iter().enumerate() {
        let path = format!("{}[{i}]", join(at, "hidden"));
        named.push(("hidden", value.as_str(), path));
    }
    for key in collection.normalise.keys() {
        named.push(("normalise", key.as_str(), join(&join(at, "normalise"), key)));
    }
    for key in collection.defaults.keys() {
        named.push(("defaults", key.as_str(), join(&join(at, "defaults"), key)));
    }
    named
}

/// The default of a declared field is a value of its type.
fn check_defaults(
    ctx: &FileCtx<'_, raw::SuiteFile>,
    at: &str,
    collection: &Collection,
    errors: &mut Vec<SpecError>,
) {
    for (key, value) in &collection.defaults {
        let path = join(&join(at, "defaults"), key);
        if let Some(kind) = collection.fields.get(key) {
            if !kind.admits(value) {
                errors.push(ctx.value_error(
                    &path,
                    format!("the default of `{key}` is not {}", kind.describe()),
                ));
            }
        }
    }
}

/// A count of collection `name` (at `at`) names a link collection that links it.
fn check_counts(
    ctx: &FileCtx<'_, raw::SuiteFile>,
    at: &str,
    name: &str,
    collections: &BTreeMap<String, Collection>,
    collection: &Collection,
    errors: &mut Vec<SpecError>,
) {
    for (field_name, link) in &collection.counts {
        let path = join(&join(at, "counts"), field_name);
        let points_here = collections
            .get(link)
            .is_some_and(|l| l.links.values().any(|c| c == name));
        if !points_here {
            errors.push(
                ctx.value_error(
                    &path,
                    format!("`{link}` is not a link collection linking `{name}`"),
                )
                .with_hint("a count counts the records of a link collection (`links:`) that point at this record"),
            );
        }
    }
}

/// A link collection links exactly two declared collections.
fn check_links(
    ctx: &FileCtx<'_, raw::SuiteFile>,
    at: &str,
    collections: &BTreeMap<String, Collection>,
    collection: &Collection,
    errors: &mut Vec<SpecError>,
) {
    if collection.links.is_empty() {
        return;
    }
    if collection.links.len() != 2 {
        errors.push(ctx.error(
            &join(at, "links"),
            format!(
                "a link collection links two collections (`links: {{ list_id: lists, contact_id: contacts }}`), not {}",
                collection.links.len()
            ),
        ));
    }
    for (field, target) in &collection.links {
        if !collections.contains_key(target) {
            let known: Vec<&str> = collections.keys().map(String::as_str).collect();
            let error = ctx.value_error(
                &join(&join(at, "links"), field),
                format!("unknown collection `{target}`"),
            );
            errors.push(did_you_mean(
                error.with_hint(format!("collections: {}", listed(&known))),
                target,
                &known,
            ));
        }
    }
}

/// What an operation's `stub:` is checked against.
pub(super) struct Facts<'a> {
    pub(super) params: &'a [String],
    pub(super) responses: &'a [raw::Response],
    /// `None` when `suite.yaml` could not be read: names of collections are then not
    /// checked.
    pub(super) collections: Option<&'a BTreeMap<String, Collection>>,
}

impl Facts<'_> {
    fn documents(&self, status: u16, code: &str) -> bool {
        self.responses
            .iter()
            .any(|r| r.status == status && r.code.as_deref() == Some(code))
    }
}

/// Checks the `stub:` of one operation.
pub(super) fn check_behaviour(
    ctx: &FileCtx<'_, raw::SpecFile>,
    stub: &StubBehaviour,
    facts: &Facts<'_>,
    errors: &mut Vec<SpecError>,
) {
    let mut checks = Checks {
        ctx,
        stub,
        facts,
        errors,
    };
    checks.shape();
    let Some(collections) = facts.collections else {
        return;
    };
    let Some(collection) = checks.collection(collections, "collection", &stub.collection) else {
        return;
    };
    checks.parent(collections);
    checks.fields(collection);
    checks.links(collections, collection);
    checks.list(collections, collection);
    checks.include(collections);
    checks.merge(collections);
    checks.codes();
    checks.body_limit();
}

struct Checks<'a, 'c> {
    ctx: &'c FileCtx<'c, raw::SpecFile>,
    stub: &'c StubBehaviour,
    facts: &'c Facts<'c>,
    errors: &'a mut Vec<SpecError>,
}

const AT: &str = "operation.stub";

fn at(key: &str) -> String {
    join(AT, key)
}

impl<'c> Checks<'_, 'c> {
    fn error(&mut self, path: &str, message: impl Into<String>) {
        self.errors.push(self.ctx.error(path, message));
    }

    fn value_error(&mut self, path: &str, message: impl Into<String>) {
        self.errors.push(self.ctx.value_error(path, message));
    }

    /// What the action needs: a path parameter, a list, a bulk field, a parent; and
    /// pointers that are pointers.
    fn shape(&mut self) {
        self.needs();
        self.keys_of_other_actions();
        self.pointers();
        self.fill_params();
    }

    /// The action has what it needs: a path parameter naming the record, the `list`,
    /// `bulk` or `members` it reads (and none it does not), a parent to link to.
    fn needs(&mut self) {
        let stub = self.stub;
        let action = stub.action;
        let last = self.facts.params.last();
        let parent_param = stub.parent.as_ref().map(|p| &p.param);
        if action.addresses_a_record() && (last.is_none() || last == parent_param) {
            self.error(
                &at("action"),
                format!(
                    "{} needs a path parameter naming the record, after any parent's",
                    action.name()
                ),
            );
        }
        for (needed, given, key) in [
            (action == StubAction::List, stub.list.is_some(), "list"),
            (
                matches!(action, StubAction::BulkCreate | StubAction::BulkDelete),
                stub.bulk.is_some(),
                "bulk",
            ),
            (
                action == StubAction::Link,
                stub.members.is_some(),
                "members",
            ),
            (action == StubAction::Merge, stub.merge.is_some(), "merge"),
            (
                action == StubAction::Import,
                stub.import.is_some(),
                "import",
            ),
        ] {
            if needed && !given {
                self.error(
                    &at("action"),
                    format!("`action: {}` needs `{key}`", action.name()),
                );
            }
            if given && !needed {
                self.error(
                    &at(key),
                    format!("`{key}` is not used by `action: {}`", action.name()),
                );
            }
        }
        if matches!(action, StubAction::Link | StubAction::Unlink) && stub.parent.is_none() {
            self.error(
                &at("action"),
                format!("`action: {}` needs `parent`", action.name()),
            );
        }
    }

    /// `include`, `appends` and `cascade` are given only to the action that reads them.
    fn keys_of_other_actions(&mut self) {
        let stub = self.stub;
        let action = stub.action;
        if stub.include.is_some() && action != StubAction::Read {
            self.error(&at("include"), "`include` is for `action: read`");
        }
        if !stub.appends.is_empty() && action != StubAction::Update {
            self.error(&at("appends"), "`appends` is for `action: update`");
        }
        if !stub.cascade.is_empty() && action != StubAction::Delete {
            self.error(&at("cascade"), "`cascade` is for `action: delete`");
        }
    }

    /// The record's, the list's and the fills' pointers are JSON pointers.
    fn pointers(&mut self) {
        let stub = self.stub;
        let mut pointers = vec![(at("record"), stub.record.clone(), true)];
        if let Some(list) = &stub.list {
            if let Some(items) = &list.items {
                pointers.push((join(&at("list"), "items"), items.clone(), true));
            }
            if let Some(meta) = &list.meta {
                pointers.push((join(&at("list"), "meta"), meta.clone(), true));
            }
        }
        for pointer in stub.fill.keys() {
            pointers.push((join(&at("fill"), pointer), pointer.clone(), false));
        }
        for (path, pointer, is_value) in pointers {
            if !pointer.is_empty() && !pointer.starts_with('/') {
                let message = format!("`{pointer}` must be a JSON pointer (`/data`)");
                match is_value {
                    true => self.value_error(&path, message),
                    false => self.error(&path, message),
                }
            }
        }
    }

    /// A fill from a path parameter names a parameter of the operation's path; a merge's
    /// fills are for `action: merge`.
    fn fill_params(&mut self) {
        for (pointer, fill) in &self.stub.fill {
            let of_a_merge = matches!(fill, Fill::Merged | Fill::Populated | Fill::Moved);
            if of_a_merge && self.stub.action != StubAction::Merge {
                let path = join(&at("fill"), pointer);
                self.value_error(
                    &path,
                    "this fill is what a merge did: it is for `action: merge`",
                );
            }
            if let Fill::Param(param) = fill {
                if !self.facts.params.contains(param) {
                    let path = join(&at("fill"), pointer);
                    self.value_error(
                        &path,
                        format!("`{param}` is not a parameter of this operation's path"),
                    );
                }
            }
        }
    }

    /// The collection `name` (at `key`), reported when not declared.
    fn collection<'m>(
        &mut self,
        collections: &'m BTreeMap<String, Collection>,
        key: &str,
        name: &str,
    ) -> Option<&'m Collection> {
        let found = collections.get(name);
        if found.is_none() {
            let known: Vec<&str> = collections.keys().map(String::as_str).collect();
            let error = self
                .ctx
                .value_error(&at(key), format!("unknown collection `{name}`"))
                .with_hint(match known.is_empty() {
                    true => "suite.yaml declares no `collections:`; declare it there".to_string(),
                    false => format!("collections of suite.yaml: {}", listed(&known)),
                });
            self.errors.push(did_you_mean(error, name, &known));
        }
        found
    }

    fn parent(&mut self, collections: &BTreeMap<String, Collection>) {
        let Some(parent) = &self.stub.parent else {
            return;
        };
        if !self.facts.params.contains(&parent.param) {
            let params: Vec<&str> = self.facts.params.iter().map(String::as_str).collect();
            let error = self
                .ctx
                .value_error(
                    &join(&at("parent"), "param"),
                    format!(
                        "`{}` is not a parameter of this operation's path",
                        parent.param
                    ),
                )
                .with_hint(format!("its parameters: {}", listed(&params)));
            self.errors
                .push(did_you_mean(error, &parent.param, &params));
        }
        if !collections.contains_key(&parent.collection) {
            self.collection(collections, "parent.collection", &parent.collection);
        }
        let own = collections.get(&self.stub.collection);
        if let Some(own) = own.filter(|c| !has_field(c, &parent.field)) {
            let known = fields_of(own);
            let error = self.ctx.value_error(
                &join(&at("parent"), "field"),
                format!(
                    "`{}` is not a field of collection `{}`",
                    parent.field, self.stub.collection
                ),
            );
            self.errors.push(did_you_mean(
                error.with_hint(format!("its fields: {}", listed(&known))),
                &parent.field,
                &known,
            ));
        }
    }

    /// Every field the behaviour names is one of the collection's.
    fn fields(&mut self, collection: &Collection) {
        let stub = self.stub;
        let mut named: Vec<(String, &str)> = Vec::new();
        for (i, f) in stub.accepts.iter().flatten().enumerate() {
            named.push((format!("{}[{i}]", at("accepts")), f));
        }
        for (given, stored) in &stub.renames {
            named.push((join(&at("renames"), given), stored));
        }
        for (i, f) in stub.appends.iter().enumerate() {
            named.push((format!("{}[{i}]", at("appends")), f));
        }
        for (shown, stored) in &stub.shows {
            named.push((join(&at("shows"), shown), stored));
        }
        if let Some(import) = &stub.import {
            for (i, f) in import.matches.iter().enumerate() {
                named.push((format!("{}[{i}]", join(&at("import"), "match")), f));
            }
            named.push((join(&at("import"), "tags"), &import.tags));
        }
        let validate = join(AT, "validate");
        for (i, f) in stub.validate.required.iter().enumerate() {
            if stub.members.as_deref() != Some(f.as_str()) && !self.bulk_field(f) {
                named.push((format!("{}[{i}]", join(&validate, "required")), f));
            }
        }
        for (i, f) in stub.validate.unique.iter().enumerate() {
            named.push((format!("{}[{i}]", join(&validate, "unique")), f));
        }
        for f in stub.validate.max_length.keys() {
            named.push((join(&join(&validate, "max_length"), f), f));
        }
        for f in stub.validate.max_items.keys() {
            if stub.members.as_deref() != Some(f.as_str()) && !self.bulk_field(f) {
                named.push((join(&join(&validate, "max_items"), f), f));
            }
        }
        let known = fields_of(collection);
        for (path, field) in named {
            // Under a misspelt key (reported as unknown, with a did-you-mean) nothing more
            // is said.
            if !has_field(collection, field) && self.ctx.has(&path) {
                let error = self
                    .ctx
                    .value_error(
                        &path,
                        format!(
                            "`{field}` is not a field of collection `{}`",
                            stub.collection
                        ),
                    )
                    .with_hint(format!("its fields: {}", listed(&known)));
                self.errors.push(did_you_mean(error, field, &known));
            }
        }
    }

    fn bulk_field(&self, field: &str) -> bool {
        self.stub.bulk.as_ref().is_some_and(|b| b.items == field)
    }

    /// Link and unlink act on a link collection of the parent's collection; a cascade
    /// names link collections of this one.
    fn links(&mut self, collections: &BTreeMap<String, Collection>, collection: &Collection) {
        let stub = self.stub;
        if matches!(stub.action, StubAction::Link | StubAction::Unlink) {
            if collection.links.is_empty() {
                self.value_error(
                    &at("collection"),
                    format!(
                        "`action: {}` needs a link collection (`links:` in suite.yaml), and `{}` is not one",
                        stub.action.name(),
                        stub.collection
                    ),
                );
            } else if let Some(parent) = &stub.parent {
                if collection.links.get(&parent.field) != Some(&parent.collection) {
                    self.value_error(
                        &join(&at("parent"), "field"),
                        format!(
                            "`{}` of `{}` does not link `{}`",
                            parent.field, stub.collection, parent.collection
                        ),
                    );
                }
            }
        }
        for (i, link) in stub.cascade.iter().enumerate() {
            let path = format!("{}[{i}]", at("cascade"));
            let links_here = collections
                .get(link)
                .is_some_and(|l| l.links.values().any(|c| *c == stub.collection));
            if !links_here {
                self.value_error(
                    &path,
                    format!(
                        "`{link}` is not a link collection linking `{}`",
                        stub.collection
                    ),
                );
            }
        }
    }

    fn list(&mut self, collections: &BTreeMap<String, Collection>, collection: &Collection) {
        let Some(list) = &self.stub.list else {
            return;
        };
        let list_at = at("list");
        let csv = self
            .stub
            .effects
            .iter()
            .any(|e| matches!(e, Effect::Csv(_)));
        if list.items.is_none() && !csv {
            let error = self.ctx.error(
                &list_at,
                "`list` needs `items`, where the page goes in the example",
            );
            self.errors.push(
                error.with_hint("only a list answered as CSV (a `csv` effect) has no `items`"),
            );
        }
        if list.per_page.default > list.per_page.max {
            self.error(
                &join(&join(&list_at, "per_page"), "default"),
                format!(
                    "the default page size {} is above the max {}",
                    list.per_page.default, list.per_page.max
                ),
            );
        }
        for (param, filter) in &list.filters {
            self.filter(collections, collection, param, filter);
        }
        if let Some(sort) = &list.sort {
            self.sort(collection, sort);
        }
    }

    /// The checks of one filter of the list (`param` its query parameter): the fields it
    /// reads are the collection's; a linked filter names a link collection linking it.
    fn filter(
        &mut self,
        collections: &BTreeMap<String, Collection>,
        collection: &Collection,
        param: &str,
        filter: &Filter,
    ) {
        let path = join(&join(&at("list"), "filters"), param);
        let known = fields_of(collection);
        let own = &self.stub.collection;
        if let Filter::Has(field) = filter {
            let kind = collection.fields.get(field);
            if kind.is_some_and(|k| !matches!(k, FieldType::Array(_) | FieldType::Any)) {
                let message = format!("filter `{param}` is `has`, but `{field}` is no array");
                self.value_error(&path, message);
            }
        }
        let fields: Vec<&String> = match filter {
            Filter::Contains(fields) => fields.iter().collect(),
            Filter::Equals(f) | Filter::After(f) | Filter::Before(f) | Filter::Has(f) => vec![f],
            Filter::Linked(link) => {
                let links_here = collections
                    .get(link)
                    .is_some_and(|l| l.links.values().any(|c| c == own));
                if !links_here {
                    self.value_error(
                        &path,
                        format!("`{link}` is not a link collection linking `{own}`"),
                    );
                }
                Vec::new()
            }
        };
        for field in fields.into_iter().filter(|f| !has_field(collection, f)) {
            let error = self
                .ctx
                .value_error(
                    &path,
                    format!("filter `{param}` names `{field}`, which is not a field of `{own}`"),
                )
                .with_hint(format!("its fields: {}", listed(&known)));
            self.errors.push(did_you_mean(error, field, &known));
        }
    }

    /// The list's sort names fields of the collection, and its default is one of them.
    fn sort(&mut self, collection: &Collection, sort: &Sort) {
        let sort_at = join(&at("list"), "sort");
        let known = fields_of(collection);
        let own = &self.stub.collection;
        for (name, field) in &sort.fields {
            if !has_field(collection, field) {
                let path = join(&join(&sort_at, "fields"), name);
                let error = self
                    .ctx
                    .value_error(&path, format!("`{field}` is not a field of `{own}`"))
                    .with_hint(format!("its fields: {}", listed(&known)));
                self.errors.push(did_you_mean(error, field, &known));
            }
        }
        let default = sort.default.trim_start_matches('-');
        if !sort.fields.contains_key(default) {
            let names: Vec<&str> = sort.fields.keys().map(String::as_str).collect();
            let error = self
                .ctx
                .value_error(
                    &join(&sort_at, "default"),
                    format!("`{default}` is not among the sort's `fields`"),
                )
                .with_hint(format!("fields: {}", listed(&names)));
            self.errors.push(did_you_mean(error, default, &names));
        }
    }

    fn include(&mut self, collections: &BTreeMap<String, Collection>) {
        let Some(include) = &self.stub.include else {
            return;
        };
        for (name, embed) in &include.each {
            let embed_at = join(&join(&at("include"), "each"), name);
            let Some(other) = collections.get(&embed.collection) else {
                let known: Vec<&str> = collections.keys().map(String::as_str).collect();
                let error = self
                    .ctx
                    .value_error(
                        &join(&embed_at, "collection"),
                        format!("unknown collection `{}`", embed.collection),
                    )
                    .with_hint(format!("collections of suite.yaml: {}", listed(&known)));
                self.errors
                    .push(did_you_mean(error, &embed.collection, &known));
                continue;
            };
            let sort = embed.sort.as_deref().map(|s| s.trim_start_matches('-'));
            let mut named = vec![(join(&embed_at, "field"), embed.field.as_str())];
            named.extend(sort.map(|s| (join(&embed_at, "sort"), s)));
            named.extend(
                embed
                    .only
                    .keys()
                    .map(|k| (join(&join(&embed_at, "only"), k), k.as_str())),
            );
            for (path, field) in named {
                if !has_field(other, field) {
                    let known = fields_of(other);
                    let error = self
                        .ctx
                        .value_error(
                            &path,
                            format!("`{field}` is not a field of `{}`", embed.collection),
                        )
                        .with_hint(format!("its fields: {}", listed(&known)));
                    self.errors.push(did_you_mean(error, field, &known));
                }
            }
        }
    }

    /// What a merge moves are collections with the field that points at the record, and
    /// its circular-chain refusal is a documented 409.
    fn merge(&mut self, collections: &BTreeMap<String, Collection>) {
        let Some(merge) = &self.stub.merge else {
            return;
        };
        let here = join(&at("merge"), "moves");
        for (name, mv) in &merge.moves {
            let path = join(&join(&here, name), "collection");
            let Some(moved) = collections.get(&mv.collection) else {
                let known: Vec<&str> = collections.keys().map(String::as_str).collect();
                let error = self
                    .ctx
                    .value_error(&path, format!("unknown collection `{}`", mv.collection))
                    .with_hint(format!("collections of suite.yaml: {}", listed(&known)));
                self.errors
                    .push(did_you_mean(error, &mv.collection, &known));
                continue;
            };
            if !has_field(moved, &mv.field) {
                let known = fields_of(moved);
                let error = self
                    .ctx
                    .value_error(
                        &join(&join(&here, name), "field"),
                        format!(
                            "`{}` is not a field of collection `{}`",
                            mv.field, mv.collection
                        ),
                    )
                    .with_hint(format!("its fields: {}", listed(&known)));
                self.errors.push(did_you_mean(error, &mv.field, &known));
            }
        }
        if !self.facts.documents(409, &merge.conflict) {
            self.error(
                &at("merge"),
                format!(
                    "a merge answers 409 {} for a circular chain, which this operation does not document",
                    merge.conflict
                ),
            );
        }
    }

    /// Codes the behaviour names must be documented: an explicit 404 code when the
    /// operation documents some 404, a 402 for spending credits.
    fn codes(&mut self) {
        let stub = self.stub;
        let spends = stub
            .effects
            .iter()
            .any(|e| matches!(e, super::behaviour::Effect::Credits(_)));
        if spends && !self.facts.documents(402, "insufficient_credits") {
            self.error(
                &at("effects"),
                "spending credits answers 402 insufficient_credits when too few are left, which this operation does not document",
            );
        }
        for (i, effect) in stub.effects.iter().enumerate() {
            if matches!(effect, Effect::Csv(_)) && stub.action != StubAction::List {
                let path = join(&format!("{}[{i}]", at("effects")), "csv");
                self.error(
                    &path,
                    "a `csv` effect answers a list's records: it is for `action: list`",
                );
            }
        }
        if let Some(collections) = self.facts.collections {
            for (i, effect) in stub.effects.iter().enumerate() {
                if let super::behaviour::Effect::Outbox(outbox) = effect {
                    if !collections.contains_key(outbox) {
                        let path = join(&format!("{}[{i}]", at("effects")), "outbox");
                        let known: Vec<&str> = collections.keys().map(String::as_str).collect();
                        let error = self
                            .ctx
                            .value_error(&path, format!("unknown collection `{outbox}`"))
                            .with_hint("an outbox is a collection of suite.yaml, e.g. `emails: { external: true }`");
                        self.errors.push(did_you_mean(error, outbox, &known));
                    }
                }
            }
        }
        for (rule, code) in &stub.validate.codes {
            if !self.facts.documents(400, code) {
                let path = join(&join(&join(AT, "validate"), "codes"), rule_name(*rule));
                self.value_error(
                    &path,
                    format!("400 {code} is not documented for this operation"),
                );
            }
        }
    }
}

impl Checks<'_, '_> {
    /// A declared `max_body_bytes` is answered with the documented 413, so one must be
    /// documented (with its code); and a documented 413 is answered only where a limit is
    /// declared, so the stub can play it.
    fn body_limit(&mut self) {
        let documented = self.facts.responses.iter().position(|r| r.status == 413);
        let coded = self
            .facts
            .responses
            .iter()
            .any(|r| r.status == 413 && r.code.is_some());
        match (self.stub.max_body_bytes, documented) {
            (Some(_), _) if !coded => {
                let error = self
                    .ctx
                    .error(
                        &at("max_body_bytes"),
                        "a body over `max_body_bytes` is answered with the operation's documented 413, and this operation documents no 413 with a code",
                    )
                    .with_hint("document it: `- status: 413` with `code: payload_too_large` (or the page's code) and a `source:`");
                self.errors.push(error);
            }
            (None, Some(i)) => {
                let error = self
                    .ctx
                    .error(
                        &format!("operation.responses[{i}]"),
                        "this operation documents a 413 but its `stub:` declares no `max_body_bytes`, so the stub could never answer it",
                    )
                    .with_hint("declare the documented limit: `stub: { max_body_bytes: 20000000, … }`");
                self.errors.push(error);
            }
            _ => {}
        }
    }
}

fn rule_name(rule: super::behaviour::Rule) -> &'static str {
    super::behaviour::Rule::NAMES[rule as usize]
}

/// Every collection an operation reads, changes, or is a parent of must be filled by
/// some operation (create, bulk_create, link) or be declared `external`: otherwise the
/// stub could only ever answer 404 there.
pub(super) fn check_filled(
    specs: &[Parsed<raw::SpecFile>],
    collections: &BTreeMap<String, Collection>,
    errors: &mut Vec<SpecError>,
) {
    // An operation that could not be read, or that names an unknown collection, may be
    // the one meant to fill a collection: its own message is the one to read.
    let unread = specs.iter().any(|s| s.value.operation.is_none());
    let unknown = specs
        .iter()
        .filter_map(|s| s.value.operation.as_ref()?.stub.as_ref())
        .any(|s| !collections.contains_key(&s.collection));
    if unread || unknown {
        return;
    }
    fn stubs(spec: &Parsed<raw::SpecFile>) -> Option<&StubBehaviour> {
        spec.value.operation.as_ref()?.stub.as_ref()
    }
    let filled: BTreeSet<&str> = specs
        .iter()
        .filter_map(stubs)
        .filter(|s| s.action.fills())
        .map(|s| s.collection.as_str())
        .collect();
    for spec in specs {
        let Some(stub) = stubs(spec) else { continue };
        let ctx = FileCtx::new(spec);
        let mut used = Vec::new();
        if !stub.action.fills() && stub.action != StubAction::Example {
            used.push(("collection", stub.collection.as_str()));
        }
        if let Some(parent) = &stub.parent {
            used.push(("parent.collection", parent.collection.as_str()));
        }
        for (key, name) in used {
            let external = collections.get(name).is_none_or(|c| c.external);
            if filled.contains(name) || external {
                continue;
            }
            errors.push(
                ctx.value_error(
                    &at(key),
                    format!(
                        "nothing fills collection `{name}`: no operation's `stub:` creates its \
                         records, so `action: {}` could only answer 404",
                        stub.action.name()
                    ),
                )
                .with_hint(format!(
                    "give the operation that creates `{name}` records `stub: {{ action: create, \
                     collection: {name} }}`, or declare `external: true` in collection `{name}` \
                     of suite.yaml if its records come from elsewhere (a seed file)"
                )),
            );
        }
    }
}
