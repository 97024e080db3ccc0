//! Reading the node tree of a spec file into the structs of [`super::raw`].
//!
//! The reader never stops at the first problem: it reports every unknown key (with a
//! did-you-mean and the accepted keys), every value of the wrong kind, every number out
//! of its range and every missing key, each at its own position and in the spec's words
//! ("`status` must be an HTTP status from 100 to 599, not `abc`"). An unknown key is
//! skipped and hides nothing; a part with a wrong or missing value (the operation, a
//! scenario) is left out of the cross-checks, so that its one cause gives one message.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use super::raw;
use super::yaml::{Entry, Node, Problem, Yaml};
use crate::source::Pos;

/// `expect.body`: the items and the argument of each matcher.
mod body;
/// `collections:` of `suite.yaml` and `stub:` of an operation.
mod stub;

/// The statuses HTTP defines.
pub const STATUSES: RangeInclusive<u64> = 100..=599;
/// `repeat_until_status.max_requests`: at least one request, at most a burst a gateway
/// can be asked for.
pub const MAX_REQUESTS: RangeInclusive<u64> = 1..=1000;
/// `repeat_until_status.max_seconds`: at most ten minutes.
pub const MAX_SECONDS: RangeInclusive<u64> = 1..=600;
/// `stub.rate_limit` of `suite.yaml`.
pub const RATE_LIMIT: RangeInclusive<u64> = 1..=10_000;
/// `stub.credits` of `suite.yaml` and `credits` of a credential.
pub const CREDITS: RangeInclusive<u64> = 0..=1_000_000_000;

const SUITE: &[&str] = &[
    "credentials",
    "default_credential",
    "every_response",
    "stub",
    "disposable_target",
    "shared",
    "collections",
];
const CREDENTIAL: &[&str] = &["env", "about", "lacks", "exhausted", "credits"];
const EVERY_RESPONSE: &[&str] = &["headers"];
const STUB_SETTINGS: &[&str] = &["rate_limit", "credits"];
const SPEC_FILE: &[&str] = &["operation", "scenarios"];
const OPERATION: &[&str] = &[
    "title",
    "method",
    "path",
    "doc",
    "permission",
    "ids_in_body",
    "stub",
    "rate_limit",
    "responses",
];
const RESPONSE: &[&str] = &[
    "status",
    "code",
    "source",
    "schema",
    "example",
    "media_type",
];
const SCENARIO: &[&str] = &[
    "name",
    "about",
    "ignore",
    "spends_quota",
    "leaves",
    "uses",
    "setup",
    "request",
    "repeat_until_status",
    "expect",
    "capture",
    "cleanup",
    "verify",
];
const REQUEST: &[&str] = &["credential", "path", "query", "body", "pad"];
const PAD: &[&str] = &["at", "bytes"];
/// A padded body's size: the format's cap.
const PAD_BYTES: RangeInclusive<u64> = 1..=super::behaviour::BODY_BYTES_CAP;
const REPEAT: &[&str] = &["max_requests", "max_seconds"];
const EXPECT: &[&str] = &["status", "code", "headers", "equals", "body", "csv"];
const CSV: &[&str] = &["columns", "rows", "min_rows", "contains", "attachment"];
const OPERATION_LIMIT: &[&str] = &["calls", "per"];
/// Calls an operation's own limit may allow in its window.
const CALLS: RangeInclusive<u64> = 1..=1_000_000;
/// Data rows a CSV body may be expected to hold.
const ROWS: RangeInclusive<u64> = 0..=10_000_000;
const STEP: &[&str] = &["operation", "request", "expect", "capture", "cleanup"];
const CAPTURE: &[&str] = &["pointer", "secret"];
const CLEANUP: &[&str] = &["operation", "request"];

/// The accepted name closest to `given`, if one is close enough to be a likely typo.
pub fn closest<'a>(given: &str, accepted: &[&'a str]) -> Option<&'a str> {
    accepted
        .iter()
        .map(|candidate| (strsim::jaro_winkler(given, candidate), *candidate))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

/// The keys of one mapping, checked against the accepted ones.
struct Fields<'n> {
    entries: &'n [Entry],
    /// Where a missing key is reported: the key that holds this mapping, or its start.
    at: Pos,
    /// "the operation", "this step": names the mapping in messages about missing keys.
    what: &'static str,
    accepted: &'static [&'static str],
}

impl<'n> Fields<'n> {
    /// The entry of `key`; when there is none, a misspelt key meant for it (already
    /// reported as unknown, with a did-you-mean) stands in, so the typo gives one message
    /// rather than more for what its absence would cause (a missing key, an undefined
    /// variable).
    fn get(&self, key: &str) -> Option<&'n Entry> {
        self.entries.iter().find(|e| e.key == key).or_else(|| {
            self.entries.iter().find(|e| {
                !self.accepted.contains(&e.key.as_str())
                    && closest(&e.key, self.accepted) == Some(key)
            })
        })
    }
}

/// Collects every problem while reading.
#[derive(Default)]
pub struct Reader {
    pub problems: Vec<Problem>,
}

/// How a value is shown in a message: a scalar as written, anything else by its kind.
fn shown(node: &Node) -> String {
    match &node.value {
        Yaml::Scalar { text, .. } if !node.is_null() => format!("`{text}`"),
        _ => node.kind().to_string(),
    }
}

impl Reader {
    fn problem(&mut self, pos: Pos, message: String) -> &mut Problem {
        self.problems.push(Problem {
            pos,
            message,
            label: None,
            hint: None,
            width: None,
        });
        self.problems.last_mut().expect("just pushed")
    }

    /// A mapping with the keys of `accepted`; every other key is reported and skipped.
    fn fields<'n>(
        &mut self,
        node: &'n Node,
        at: Pos,
        name: &str,
        what: &'static str,
        accepted: &'static [&'static str],
    ) -> Option<Fields<'n>> {
        let entries: &[Entry] = match &node.value {
            Yaml::Map(entries) => entries,
            _ if node.is_null() => &[],
            _ => {
                let problem = self.problem(
                    node.pos,
                    format!("{name} must be a mapping of keys, not {}", node.kind()),
                );
                problem.hint = Some(format!("accepted keys here: {}", accepted.join(", ")));
                return None;
            }
        };
        for entry in entries {
            if !accepted.contains(&entry.key.as_str()) {
                let suggestion = closest(&entry.key, accepted);
                let problem = self.problem(entry.key_pos, format!("unknown key `{}`", entry.key));
                problem.label = suggestion.map(|s| format!("did you mean `{s}`?"));
                problem.hint = Some(format!("accepted keys here: {}", accepted.join(", ")));
            }
        }
        Some(Fields {
            entries,
            at,
            what,
            accepted,
        })
    }

    fn missing(&mut self, fields: &Fields<'_>, key: &str) {
        self.problem(fields.at, format!("{} needs `{key}`", fields.what));
    }

    /// A required value, reported when missing.
    fn required<'n, T>(
        &mut self,
        fields: &Fields<'n>,
        key: &str,
        read: impl FnOnce(&mut Self, &'n Entry) -> Option<T>,
    ) -> Option<T> {
        match fields.get(key) {
            Some(entry) => read(self, entry),
            None => {
                self.missing(fields, key);
                None
            }
        }
    }

    /// An optional value: `Ok(None)` when absent or empty, `Err` when wrong.
    fn optional<'n, T>(
        &mut self,
        fields: &Fields<'n>,
        key: &str,
        read: impl FnOnce(&mut Self, &'n Entry) -> Option<T>,
    ) -> Result<Option<T>, ()> {
        match fields.get(key) {
            Some(entry) if !entry.value.is_null() => read(self, entry).map(Some).ok_or(()),
            _ => Ok(None),
        }
    }

    /// Text: any scalar but an empty one (numbers are read as written).
    fn text(&mut self, entry: &Entry) -> Option<String> {
        self.text_node(&entry.value, &format!("`{}`", entry.key))
    }

    fn text_node(&mut self, node: &Node, name: &str) -> Option<String> {
        match &node.value {
            Yaml::Scalar { text, .. } if !node.is_null() => Some(text.clone()),
            _ => {
                self.problem(
                    node.pos,
                    format!("{name} must be text, not {}", node.kind()),
                );
                None
            }
        }
    }

    fn boolean(&mut self, entry: &Entry) -> Option<bool> {
        match entry.value.to_json() {
            serde_json::Value::Bool(b) if matches!(entry.value.value, Yaml::Scalar { .. }) => {
                Some(b)
            }
            _ => {
                self.problem(
                    entry.value.pos,
                    format!(
                        "`{}` must be true or false, not {}",
                        entry.key,
                        shown(&entry.value)
                    ),
                );
                None
            }
        }
    }

    /// A whole number within `range`; `what` says what it counts.
    fn number(
        &mut self,
        node: &Node,
        name: &str,
        what: &str,
        range: &RangeInclusive<u64>,
    ) -> Option<u64> {
        let plain = matches!(node.value, Yaml::Scalar { plain: true, .. });
        match node.to_json().as_u64() {
            Some(n) if plain && range.contains(&n) => Some(n),
            _ => {
                self.problem(
                    node.pos,
                    format!(
                        "{name} must be {what} from {} to {}, not {}",
                        range.start(),
                        range.end(),
                        shown(node)
                    ),
                );
                None
            }
        }
    }

    fn status(&mut self, node: &Node, name: &str) -> Option<u16> {
        self.number(node, name, "an HTTP status", &STATUSES)
            .map(|n| n as u16)
    }

    /// One of the `names`, with a did-you-mean.
    fn choice(&mut self, node: &Node, name: &str, names: &[&'static str]) -> Option<&'static str> {
        if let Yaml::Scalar { text, .. } = &node.value {
            if let Some(found) = names.iter().find(|n| **n == text) {
                return Some(found);
            }
        }
        let given = node.scalar().unwrap_or_default().to_string();
        let problem = self.problem(
            node.pos,
            format!(
                "{name} must be one of {}, not {}",
                names.join(", "),
                shown(node)
            ),
        );
        problem.label = closest(&given, names).map(|s| format!("did you mean `{s}`?"));
        None
    }

    fn header_rule(&mut self, node: &Node, name: &str) -> Option<raw::HeaderRule> {
        match self.choice(node, name, &["present", "integer"])? {
            "present" => Some(raw::HeaderRule::Present),
            _ => Some(raw::HeaderRule::Integer),
        }
    }

    fn list<'n>(&mut self, entry: &'n Entry, items: &str) -> Option<&'n [Node]> {
        match &entry.value.value {
            Yaml::Seq(nodes) => Some(nodes),
            _ if entry.value.is_null() => Some(&[]),
            _ => {
                self.problem(
                    entry.value.pos,
                    format!(
                        "`{}` must be a list of {items}, not {}",
                        entry.key,
                        entry.value.kind()
                    ),
                );
                None
            }
        }
    }

    /// A mapping of user-chosen names (headers, path parameters, captures…) to values.
    fn named<'n, T>(
        &mut self,
        entry: &'n Entry,
        values: &str,
        mut read: impl FnMut(&mut Self, &'n Entry) -> Option<T>,
    ) -> Option<BTreeMap<String, T>> {
        let entries: &[Entry] = match &entry.value.value {
            Yaml::Map(entries) => entries,
            _ if entry.value.is_null() => &[],
            _ => {
                self.problem(
                    entry.value.pos,
                    format!(
                        "`{}` must be a mapping of names to {values}, not {}",
                        entry.key,
                        entry.value.kind()
                    ),
                );
                return None;
            }
        };
        let mut all = Some(BTreeMap::new());
        for item in entries {
            match (read(self, item), all.as_mut()) {
                (Some(value), Some(map)) => {
                    map.insert(item.key.clone(), value);
                }
                _ => all = None,
            }
        }
        all
    }

    fn texts(&mut self, entry: &Entry) -> Option<Vec<String>> {
        let items = self.list(entry, "texts")?;
        let name = format!("each item of `{}`", entry.key);
        let read: Vec<Option<String>> = items.iter().map(|n| self.text_node(n, &name)).collect();
        read.into_iter().collect()
    }

    /// `suite.yaml`.
    pub fn suite(&mut self, root: &Node) -> Option<raw::SuiteFile> {
        let f = self.fields(root, root.pos, "suite.yaml", "suite.yaml", SUITE)?;
        let credentials = self.required(&f, "credentials", |r, e| {
            r.named(e, "credentials", Self::credential)
        });
        let default_credential = self.optional(&f, "default_credential", Self::text);
        let every_response = self.optional(&f, "every_response", Self::every_response);
        let stub = self.optional(&f, "stub", Self::stub_settings);
        let disposable_target = self.optional(&f, "disposable_target", Self::boolean);
        let shared = self.optional(&f, "shared", |r, e| {
            r.named(
                e,
                "records (`name: { operation: …, capture: …, cleanup: … }`)",
                |r, s| r.step(&s.value),
            )
        });
        let collections = self.optional(&f, "collections", |r, e| {
            r.named(e, "collections (`name: { fields: … }`)", Self::collection)
        });
        Some(raw::SuiteFile {
            collections: collections.ok()?.unwrap_or_default(),
            shared: shared.ok()?.unwrap_or_default(),
            disposable_target: disposable_target.ok()?.unwrap_or(false),
            credentials: credentials?,
            default_credential: default_credential
                .ok()?
                .unwrap_or_else(raw::default_credential),
            every_response: every_response.ok()?.unwrap_or_default(),
            stub: stub.ok()?.unwrap_or_default(),
        })
    }

    /// One credential of `suite.yaml`.
    fn credential(&mut self, c: &Entry) -> Option<raw::Credential> {
        let f = self.fields(
            &c.value,
            c.key_pos,
            &format!("credential `{}`", c.key),
            "this credential",
            CREDENTIAL,
        )?;
        let env = self.required(&f, "env", Self::text);
        let about = self.required(&f, "about", Self::text);
        let lacks = self.optional(&f, "lacks", Self::texts);
        let exhausted = self.optional(&f, "exhausted", Self::boolean);
        let credits = self.optional(&f, "credits", |r, e| {
            r.number(&e.value, "`credits`", "a number of credits", &CREDITS)
        });
        Some(raw::Credential {
            env: env?,
            about: about?,
            lacks: lacks.ok()?.unwrap_or_default(),
            exhausted: exhausted.ok()?.unwrap_or(false),
            credits: credits.ok()?,
        })
    }

    /// `every_response` of `suite.yaml`: the headers every response must have.
    fn every_response(&mut self, e: &Entry) -> Option<raw::EveryResponse> {
        let f = self.fields(
            &e.value,
            e.key_pos,
            "`every_response`",
            "`every_response`",
            EVERY_RESPONSE,
        )?;
        let headers = self.optional(&f, "headers", |r, e| {
            r.named(e, "`present` or `integer`", |r, h| {
                r.header_rule(&h.value, &format!("the rule of `{}`", h.key))
            })
        });
        Some(raw::EveryResponse {
            headers: headers.ok()?.unwrap_or_default(),
        })
    }

    /// `stub` of `suite.yaml`: how the stub behaves as a whole.
    fn stub_settings(&mut self, e: &Entry) -> Option<raw::StubSettings> {
        let f = self.fields(&e.value, e.key_pos, "`stub`", "`stub`", STUB_SETTINGS)?;
        let rate_limit = self.optional(&f, "rate_limit", |r, e| {
            r.number(
                &e.value,
                "`rate_limit`",
                "a number of requests",
                &RATE_LIMIT,
            )
        });
        let credits = self.optional(&f, "credits", |r, e| {
            r.number(&e.value, "`credits`", "a number of credits", &CREDITS)
        });
        Some(raw::StubSettings {
            rate_limit: rate_limit
                .ok()?
                .map_or_else(raw::default_rate_limit, |n| n as u32),
            credits: credits.ok()?.unwrap_or_else(raw::default_credits),
        })
    }

    /// A spec file: the operation and each scenario, each read on its own.
    pub fn spec_file(&mut self, root: &Node) -> Option<raw::SpecFile> {
        let f = self.fields(root, root.pos, "a spec file", "a spec file", SPEC_FILE)?;
        let operation = self.required(&f, "operation", |r, e| r.operation(e));
        let scenarios = match f.get("scenarios") {
            None => Vec::new(),
            Some(entry) => match self.list(entry, "scenarios (`- name: …` items)") {
                Some(items) => items.iter().map(|n| self.scenario(n)).collect(),
                None => Vec::new(),
            },
        };
        Some(raw::SpecFile {
            operation,
            scenarios,
        })
    }

    fn operation(&mut self, entry: &Entry) -> Option<raw::Operation> {
        let f = self.fields(
            &entry.value,
            entry.key_pos,
            "`operation`",
            "the operation",
            OPERATION,
        )?;
        let title = self.required(&f, "title", Self::text);
        let method = self.required(&f, "method", Self::text);
        let path = self.required(&f, "path", Self::text);
        let doc = self.required(&f, "doc", Self::text);
        let permission = self.optional(&f, "permission", Self::text);
        let ids_in_body = self.optional(&f, "ids_in_body", Self::texts);
        let stub = self.optional(&f, "stub", Self::stub_behaviour);
        let rate_limit = self.optional(&f, "rate_limit", Self::rate_limit);
        let responses = self.required(&f, "responses", |r, e| {
            let items = r.list(e, "documented responses (`- status: …` items)")?;
            let read: Vec<Option<raw::Response>> = items.iter().map(|n| r.response(n)).collect();
            read.into_iter().collect::<Option<Vec<_>>>()
        });
        Some(raw::Operation {
            title: title?,
            method: method?,
            path: path?,
            doc: doc?,
            permission: permission.ok()?,
            ids_in_body: ids_in_body.ok()?.unwrap_or_default(),
            stub: stub.ok()?,
            rate_limit: rate_limit.ok()?,
            responses: responses?,
        })
    }

    /// `rate_limit: { calls: 10, per: hour }`.
    fn rate_limit(&mut self, e: &Entry) -> Option<raw::RateLimit> {
        let f = self.fields(
            &e.value,
            e.key_pos,
            "`rate_limit`",
            "`rate_limit`",
            OPERATION_LIMIT,
        )?;
        let calls = self.required(&f, "calls", |r, e| {
            r.number(&e.value, "`calls`", "a number of calls", &CALLS)
        });
        let per = self.required(&f, "per", |r, e| {
            r.choice(&e.value, "`per`", &raw::Per::NAMES)
        });
        Some(raw::RateLimit {
            calls: u32::try_from(calls?).ok()?,
            per: raw::Per::named(per?)?,
        })
    }

    /// `expect.csv`: the columns, the number of rows, a row it contains, the file name.
    fn csv_expect(&mut self, e: &Entry) -> Option<raw::CsvExpect> {
        let f = self.fields(&e.value, e.key_pos, "`csv`", "`csv`", CSV)?;
        let columns = self.optional(&f, "columns", Self::texts);
        let rows = self.optional(&f, "rows", |r, e| {
            r.number(&e.value, "`rows`", "a number of rows", &ROWS)
        });
        let min_rows = self.optional(&f, "min_rows", |r, e| {
            r.number(&e.value, "`min_rows`", "a number of rows", &ROWS)
        });
        let contains = self.optional(&f, "contains", |r, e| {
            r.named(e, "cell texts", |r, cell| {
                r.text_node(&cell.value, &format!("the cell of `{}`", cell.key))
            })
        });
        let attachment = self.optional(&f, "attachment", Self::text);
        Some(raw::CsvExpect {
            columns: columns.ok()?,
            rows: rows.ok()?,
            min_rows: min_rows.ok()?,
            contains: contains.ok()?.unwrap_or_default(),
            attachment: attachment.ok()?,
        })
    }

    fn response(&mut self, node: &Node) -> Option<raw::Response> {
        let f = self.fields(
            node,
            node.pos,
            "a documented response",
            "this response",
            RESPONSE,
        )?;
        let status = self.required(&f, "status", |r, e| r.status(&e.value, "`status`"));
        let code = self.optional(&f, "code", Self::text);
        let source = self.optional(&f, "source", Self::text);
        let schema = self.optional(&f, "schema", Self::text);
        let example = f.get("example").map(|e| e.value.to_json());
        let media_type = self.optional(&f, "media_type", Self::text);
        Some(raw::Response {
            status: status?,
            code: code.ok()?,
            source: source.ok()?,
            schema: schema.ok()?,
            example: example.filter(|v| !v.is_null()),
            media_type: media_type.ok()?,
        })
    }

    fn scenario(&mut self, node: &Node) -> Option<raw::Scenario> {
        let f = self.fields(node, node.pos, "a scenario", "this scenario", SCENARIO)?;
        let name = self.required(&f, "name", Self::text);
        let about = self.optional(&f, "about", Self::text);
        let ignore = self.optional(&f, "ignore", Self::text);
        let spends_quota = self.optional(&f, "spends_quota", Self::boolean);
        let leaves = self.optional(&f, "leaves", Self::text);
        let uses = self.optional(&f, "uses", Self::texts);
        let setup = self.optional(&f, "setup", Self::steps);
        let request = self.optional(&f, "request", Self::request);
        let repeat = self.optional(&f, "repeat_until_status", Self::repeat);
        let expect = self.required(&f, "expect", Self::expect);
        let capture = self.optional(&f, "capture", |r, e| {
            r.named(e, "JSON pointers", |r, c| r.capture(c))
        });
        let cleanup = self.optional(&f, "cleanup", Self::cleanup);
        let verify = self.optional(&f, "verify", Self::steps);
        Some(raw::Scenario {
            capture: capture.ok()?.unwrap_or_default(),
            cleanup: cleanup.ok()?,
            name: name?,
            about: about.ok()?,
            ignore: ignore.ok()?,
            spends_quota: spends_quota.ok()?.unwrap_or(false),
            leaves: leaves.ok()?,
            uses: uses.ok()?.unwrap_or_default(),
            setup: setup.ok()?.unwrap_or_default(),
            request: request.ok()?.unwrap_or_default(),
            repeat_until_status: repeat.ok()?,
            expect: expect?,
            verify: verify.ok()?.unwrap_or_default(),
        })
    }

    /// `repeat_until_status` of a scenario: how often, and for how long, to send its
    /// request until the expected status comes.
    fn repeat(&mut self, e: &Entry) -> Option<raw::Repeat> {
        let f = self.fields(
            &e.value,
            e.key_pos,
            "`repeat_until_status`",
            "`repeat_until_status`",
            REPEAT,
        )?;
        let max_requests = self.required(&f, "max_requests", |r, e| {
            r.number(
                &e.value,
                "`max_requests`",
                "a number of requests",
                &MAX_REQUESTS,
            )
        });
        let max_seconds = self.optional(&f, "max_seconds", |r, e| {
            r.number(
                &e.value,
                "`max_seconds`",
                "a number of seconds",
                &MAX_SECONDS,
            )
        });
        Some(raw::Repeat {
            max_requests: max_requests? as u32,
            max_seconds: max_seconds
                .ok()?
                .map_or_else(raw::default_repeat_seconds, |n| n as u32),
        })
    }

    fn steps(&mut self, entry: &Entry) -> Option<Vec<raw::Step>> {
        let items = self.list(entry, "steps (`- operation: …` items)")?;
        let read: Vec<Option<raw::Step>> = items.iter().map(|n| self.step(n)).collect();
        read.into_iter().collect()
    }

    fn step(&mut self, node: &Node) -> Option<raw::Step> {
        let f = self.fields(node, node.pos, "a step", "this step", STEP)?;
        let operation = self.required(&f, "operation", Self::text);
        let request = self.optional(&f, "request", Self::request);
        let expect = self.optional(&f, "expect", Self::expect);
        let capture = self.optional(&f, "capture", |r, e| {
            r.named(e, "JSON pointers", |r, c| r.capture(c))
        });
        let cleanup = self.optional(&f, "cleanup", Self::cleanup);
        Some(raw::Step {
            operation: operation?,
            request: request.ok()?.unwrap_or_default(),
            expect: expect.ok()?,
            capture: capture.ok()?.unwrap_or_default(),
            cleanup: cleanup.ok()?,
        })
    }

    fn cleanup(&mut self, e: &Entry) -> Option<raw::Cleanup> {
        let f = self.fields(&e.value, e.key_pos, "`cleanup`", "this cleanup", CLEANUP)?;
        let operation = self.required(&f, "operation", Self::text);
        let request = self.optional(&f, "request", Self::request);
        Some(raw::Cleanup {
            operation: operation?,
            request: request.ok()?.unwrap_or_default(),
        })
    }

    fn capture(&mut self, entry: &Entry) -> Option<raw::Capture> {
        if let Yaml::Map(_) = entry.value.value {
            let name = format!("capture `{}`", entry.key);
            let f = self.fields(&entry.value, entry.key_pos, &name, "this capture", CAPTURE)?;
            let pointer = self.required(&f, "pointer", Self::text);
            let secret = self.optional(&f, "secret", Self::boolean);
            return Some(raw::Capture::Detailed(raw::DetailedCapture {
                pointer: pointer?,
                secret: secret.ok()?.unwrap_or(false),
            }));
        }
        match &entry.value.value {
            Yaml::Scalar { text, .. } if !entry.value.is_null() => {
                Some(raw::Capture::Pointer(text.clone()))
            }
            _ => {
                let problem = self.problem(
                    entry.value.pos,
                    format!(
                        "capture `{}` must be a JSON pointer such as /data/id, or {{ pointer: /data/id, secret: true }}, not {}",
                        entry.key,
                        entry.value.kind()
                    ),
                );
                problem.hint = None;
                None
            }
        }
    }

    fn request(&mut self, entry: &Entry) -> Option<raw::Request> {
        let f = self.fields(
            &entry.value,
            entry.key_pos,
            "`request`",
            "this request",
            REQUEST,
        )?;
        let credential = self.optional(&f, "credential", Self::text);
        let path = self.optional(&f, "path", |r, e| {
            r.named(e, "values", |r, p| {
                r.text_node(&p.value, &format!("path parameter `{}`", p.key))
            })
        });
        let query = self.optional(&f, "query", |r, e| {
            r.named(e, "values", |r, q| {
                r.text_node(&q.value, &format!("query parameter `{}`", q.key))
            })
        });
        let body = f.get("body").map(|e| e.value.to_json());
        let pad = self.optional(&f, "pad", Self::pad);
        Some(raw::Request {
            credential: credential.ok()?,
            path: path.ok()?.unwrap_or_default(),
            query: query.ok()?.unwrap_or_default(),
            body: body.filter(|v| !v.is_null()),
            pad: pad.ok()?,
        })
    }

    /// `pad: { at: /pointer, bytes: N }` of a request.
    fn pad(&mut self, entry: &Entry) -> Option<raw::Pad> {
        let f = self.fields(&entry.value, entry.key_pos, "`pad`", "`pad`", PAD)?;
        let at = self.required(&f, "at", Self::text);
        let bytes = self.required(&f, "bytes", |r, e| {
            r.number(
                &e.value,
                "`bytes`",
                "a size of the body in bytes",
                &PAD_BYTES,
            )
        });
        Some(raw::Pad {
            at: at?,
            bytes: bytes?,
        })
    }

    fn expect(&mut self, entry: &Entry) -> Option<raw::Expect> {
        let f = self.fields(&entry.value, entry.key_pos, "`expect`", "`expect`", EXPECT)?;
        let status = self.optional(&f, "status", |r, e| match &e.value.value {
            Yaml::Seq(items) => {
                let read: Vec<Option<u16>> = items
                    .iter()
                    .map(|n| r.status(n, "each status of the list"))
                    .collect();
                read.into_iter()
                    .collect::<Option<Vec<_>>>()
                    .map(raw::StatusSet::AnyOf)
            }
            Yaml::Scalar { .. } => r.status(&e.value, "`status`").map(raw::StatusSet::One),
            Yaml::Map(_) => {
                r.problem(
                    e.value.pos,
                    "`status` must be an HTTP status such as 200, or a list of them such as [200, 201], not a mapping".to_string(),
                );
                None
            }
        });
        let code = self.optional(&f, "code", Self::text);
        let headers = self.optional(&f, "headers", |r, e| {
            r.named(e, "`present` or `integer`", |r, h| {
                r.header_rule(&h.value, &format!("the rule of `{}`", h.key))
            })
        });
        let equals = f
            .get("equals")
            .map(|e| self.named(e, "expected values", |_, v| Some(v.value.to_json())));
        let body = self.optional(&f, "body", Self::body);
        let csv = self.optional(&f, "csv", Self::csv_expect);
        Some(raw::Expect {
            status: status.ok()?,
            code: code.ok()?,
            headers: headers.ok()?.unwrap_or_default(),
            equals: match equals {
                None => BTreeMap::new(),
                Some(read) => read?,
            },
            body: body.ok()?.unwrap_or_default(),
            csv: csv.ok()?,
        })
    }
}
