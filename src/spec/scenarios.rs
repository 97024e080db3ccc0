//! Cross-checks of scenarios: credentials, operations, path parameters, variables, and
//! expectations that the documentation promises.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::diagnostics::{did_you_mean, listed, operation_id, FileCtx};
use super::error::SpecError;
use super::files::Parsed;
use super::matcher::pointer_problem;
use super::operations::code_on_success;
use super::safety;
use super::{
    raw, BodyAssertion, Captured, Cleanup, CsvExpect, Expectation, HeaderCheck, Matcher, Operation,
    Request, Scenario, SharedRecord, StatusSet, Step, BUILTIN_CREDENTIALS, BUILTIN_VARIABLES,
};
use crate::source::{join, Span};
use crate::spec::template;

/// Builds the scenarios of every file, files spread over the cores; errors keep the
/// files' order.
pub(super) fn build_all_scenarios(
    specs: &[Parsed<raw::SpecFile>],
    known: &Known<'_>,
) -> (Vec<Arc<Scenario>>, Vec<SpecError>) {
    super::parallel::in_parallel(specs, |spec, errors| build_scenarios(spec, known, errors))
}

/// Whether a request's body carries `{{run_id}}` (or `{{scenario_id}}`, which holds it),
/// the mark of what a run creates.
fn marks_the_run(request: &raw::Request) -> bool {
    let strings = request.body.iter().flat_map(template::strings_in);
    strings
        .filter_map(|text| template::variables(text).ok())
        .any(|names| names.contains(&"run_id") || names.contains(&"scenario_id"))
}

/// Names a scenario may refer to.
pub(super) struct Known<'a> {
    pub(super) operations: &'a BTreeMap<String, Arc<Operation>>,
    /// Operations whose file could not be read: using them is no error of its own.
    pub(super) unreadable: &'a BTreeSet<String>,
    /// `None` when `suite.yaml` could not be read: credentials are then not checked.
    pub(super) credentials: Option<&'a BTreeMap<String, raw::Credential>>,
    pub(super) default_credential: &'a str,
    /// Data-changing requests may name any record (see `Suite::disposable_target`).
    pub(super) disposable_target: bool,
    /// The shared records of `suite.yaml`, by name.
    pub(super) shared: &'a BTreeMap<String, Arc<SharedRecord>>,
}

/// Builds the shared records of `suite.yaml`: each is a create step with its captures and
/// its cleanup, held to the same rules as a setup step.
pub(super) fn build_shared(
    suite: &Parsed<raw::SuiteFile>,
    known: &Known<'_>,
    errors: &mut Vec<SpecError>,
) -> BTreeMap<String, Arc<SharedRecord>> {
    let ctx = FileCtx::new(suite);
    let mut renamed = Vec::new();
    let mut built = BTreeMap::new();
    for (name, raw) in &suite.value.shared {
        let at = join("shared", name);
        let mut builder = ScenarioBuilder::new(&ctx, known, &mut *errors, &mut renamed);
        let Some(step) = builder.one_step(&at, format!("shared {name}"), raw) else {
            continue;
        };
        // A create step without a cleanup has its message from the step rules already.
        let unreported = step.cleanup.is_none() && !safety::creates(&step.operation);
        if step.capture.is_empty() || unreported {
            errors.push(
                ctx.error(
                    &at,
                    format!("shared record `{name}` must create something it captures and removes"),
                )
                .with_hint(
                    "give it an operation that creates, a `capture` of the id, and a `cleanup`",
                ),
            );
            continue;
        }
        built.insert(
            name.clone(),
            Arc::new(SharedRecord {
                name: name.clone(),
                step,
            }),
        );
    }
    report_renamed(&ctx, renamed, errors);
    built
}

/// A path parameter named differently from the operation's template, collected over a
/// file so that it is reported once.
struct Renamed {
    operation: String,
    given: String,
    meant: String,
    paths: Vec<String>,
}

/// The scenarios of one spec file, each cross-checked; none when the file's operation
/// could not be built.
fn build_scenarios(
    spec: &Parsed<raw::SpecFile>,
    known: &Known<'_>,
    errors: &mut Vec<SpecError>,
) -> Vec<Arc<Scenario>> {
    let ctx = FileCtx::new(spec);
    // Without its operation a file's scenarios cannot be checked; its problem is reported.
    let Some(own) = known.operations.get(&operation_id(&spec.relative)) else {
        return Vec::new();
    };
    let mut names = BTreeSet::new();
    let mut built = Vec::new();
    let mut renamed: Vec<Renamed> = Vec::new();
    for (i, raw) in spec.value.scenarios.iter().enumerate() {
        // A scenario that could not be read has its problems reported already.
        let Some(raw) = raw else { continue };
        let at = format!("scenarios[{i}]");
        check_name(&ctx, &join(&at, "name"), &raw.name, &mut names, errors);
        let mut builder = ScenarioBuilder::new(&ctx, known, &mut *errors, &mut renamed);
        let uses = builder.uses(&at, &raw.uses);
        let setup = builder.steps(&at, "setup", &raw.setup);
        let main = builder.main_step(&at, own, raw);
        let verify = builder.steps(&at, "verify", &raw.verify);
        builder.check_shared_read_back(&at, &main, &verify);
        super::residue::check(&ctx, &at, own, known.operations, raw, errors);
        built.push(Arc::new(Scenario {
            trial_name: format!("{}::{}", spec.relative, raw.name),
            name: raw.name.clone(),
            operation: own.clone(),
            about: raw.about.clone(),
            ignore: raw.ignore.clone(),
            spends_quota: raw.spends_quota,
            leaves: raw.leaves.clone(),
            uses,
            setup,
            main,
            repeat_until_status: raw.repeat_until_status.clone(),
            verify,
            span: ctx.span(&at),
        }));
    }
    report_renamed(&ctx, renamed, errors);
    built
}

/// A scenario's `name` (at `at`): letters, digits, `_` or `-`, and not among the `names`
/// used before it in its file.
fn check_name<'s>(
    ctx: &FileCtx<'_, raw::SpecFile>,
    at: &str,
    name: &'s str,
    names: &mut BTreeSet<&'s str>,
    errors: &mut Vec<SpecError>,
) {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        errors.push(ctx.value_error(
            at,
            format!("scenario name `{name}` must be letters, digits, `_` or `-`"),
        ));
    }
    if !names.insert(name) {
        errors.push(ctx.error(
            at,
            format!("scenario name `{name}` is used twice in this file"),
        ));
    }
}

/// One message per renamed path parameter of a file, with its other uses.
fn report_renamed<T>(ctx: &FileCtx<'_, T>, renamed: Vec<Renamed>, errors: &mut Vec<SpecError>) {
    for rename in renamed {
        let (first, others) = rename.paths.split_first().expect("one use at least");
        let error = ctx
            .error(
                first,
                format!(
                    "path parameter `{}` is not in the path of {}, which names it `{}`",
                    rename.given, rename.operation, rename.meant
                ),
            )
            .with_label(format!("did you mean `{}`?", rename.meant));
        let also: Vec<String> = others.iter().map(|p| ctx.span(p).to_string()).collect();
        errors.push(match also.is_empty() {
            true => error,
            false => error.with_hint(format!(
                "also named `{}` at {}",
                rename.given,
                also.join(", ")
            )),
        });
    }
}

/// Builds one scenario's steps, tracking which variables are defined so far.
struct ScenarioBuilder<'a, 'c, T> {
    ctx: &'c FileCtx<'c, T>,
    known: &'c Known<'c>,
    errors: &'a mut Vec<SpecError>,
    defined: BTreeSet<String>,
    /// Variables captured by steps that create a record and remove it in their cleanup:
    /// the only values a data-changing request may address.
    created: BTreeSet<String>,
    /// Variables captured by the shared records the scenario uses: requests may change
    /// those records only in ways that fail (and must then read them back).
    shared_vars: BTreeSet<String>,
    /// The scenario names a shared record that does not exist.
    unknown_uses: bool,
    renamed: &'a mut Vec<Renamed>,
}

impl<'a, 'c, T> ScenarioBuilder<'a, 'c, T> {
    /// A builder for one scenario (or one shared record): only built-in variables defined.
    fn new(
        ctx: &'c FileCtx<'c, T>,
        known: &'c Known<'c>,
        errors: &'a mut Vec<SpecError>,
        renamed: &'a mut Vec<Renamed>,
    ) -> Self {
        ScenarioBuilder {
            ctx,
            known,
            errors,
            defined: BUILTIN_VARIABLES.iter().map(|s| s.to_string()).collect(),
            created: BTreeSet::new(),
            shared_vars: BTreeSet::new(),
            unknown_uses: false,
            renamed,
        }
    }

    fn steps(&mut self, at: &str, field: &str, raw: &[raw::Step]) -> Vec<Step> {
        raw.iter()
            .enumerate()
            .filter_map(|(i, step)| {
                let at = format!("{}[{i}]", join(at, field));
                self.one_step(&at, format!("{field}[{i}]"), step)
            })
            .collect()
    }

    /// The shared records a scenario uses: their captures become its variables.
    fn uses(&mut self, at: &str, names: &[String]) -> Vec<Arc<SharedRecord>> {
        let mut used = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let Some(record) = self.known.shared.get(name) else {
                let known: Vec<&str> = self.known.shared.keys().map(String::as_str).collect();
                let error = self
                    .ctx
                    .value_error(
                        &format!("{}[{i}]", join(at, "uses")),
                        format!("unknown shared record `{name}`"),
                    )
                    .with_hint(match known.is_empty() {
                        true => "suite.yaml declares no `shared:` records".to_string(),
                        false => format!("shared records of suite.yaml: {}", listed(&known)),
                    });
                self.errors.push(did_you_mean(error, name, &known));
                self.unknown_uses = true;
                continue;
            };
            let names = record.step.capture.iter().map(|c| c.name.clone());
            let names: Vec<String> = names.collect();
            self.defined.extend(names.iter().cloned());
            self.created
                .extend(record.step.cleanup.as_ref().and_then(removed_variable));
            self.shared_vars.extend(names);
            used.push(record.clone());
        }
        used
    }

    /// A request that tries to change a shared record (expecting it to fail) must be
    /// followed by a verify step that reads the record back, to show it is unchanged.
    fn check_shared_read_back(&mut self, at: &str, main: &Step, verify: &[Step]) {
        // A request that may succeed is reported as such (it must not change the record).
        let may_succeed = main.expect.status.as_ref().is_none_or(|s| s.accepts_2xx());
        if !safety::changes(&main.operation) || may_succeed {
            return;
        }
        let shared: Vec<&String> = main
            .request
            .path
            .values()
            .filter(|v| safety::sole_variable(v).is_some_and(|n| self.shared_vars.contains(n)))
            .collect();
        for value in shared {
            let read_back = verify.iter().any(|step| {
                step.operation.method == "GET" && step.request.path.values().any(|v| v == value)
            });
            if !read_back {
                self.errors.push(
                    self.ctx
                        .inner_error(
                            &join(&join(&join(at, "request"), "path"), "id"),
                            value,
                            format!(
                                "this request tries to change the shared record {value}, so the \
                                 scenario must read it back in `verify` to show it is unchanged"
                            ),
                        )
                        .with_hint(format!(
                            "add a verify step that GETs {value} and expects it unchanged (200)"
                        )),
                );
            }
        }
    }

    /// One setup, verify or shared step at `at`, labelled `label` in reports.
    fn one_step(&mut self, at: &str, label: String, step: &raw::Step) -> Option<Step> {
        let Some(operation) = self.operation(&join(at, "operation"), &step.operation) else {
            // Its captures still exist, so later uses are not reported too.
            self.defined.extend(step.capture.keys().cloned());
            if step.cleanup.is_some() {
                self.created.extend(step.capture.keys().cloned());
            }
            return None;
        };
        let expect = step.expect.clone().unwrap_or_default();
        self.check_step_expect(at, &operation, step.expect.as_ref());
        let mut built = self.step(at, label, operation, &step.request, &expect);
        built.capture = self.captures(at, &step.capture);
        let creates = safety::creates(&built.operation);
        let cleans_up = step.cleanup.is_some();
        self.check_creation(
            at,
            &step.request,
            cleans_up,
            &built.operation,
            creates,
            creates && !cleans_up,
        );
        built.cleanup = step
            .cleanup
            .as_ref()
            .and_then(|cleanup| self.build_cleanup(at, cleanup, &built.operation, &step.capture));
        self.note_created(built.cleanup.as_ref(), &step.capture, creates);
        self.check_targets(at, &built);
        self.check_body_targets(at, &built);
        Some(built)
    }

    /// The captures of a step: each into a name that is not built in, from a JSON
    /// pointer, and defined from then on.
    fn captures(&mut self, at: &str, captures: &BTreeMap<String, raw::Capture>) -> Vec<Captured> {
        let mut built = Vec::new();
        for (name, capture) in captures {
            let path = join(&join(at, "capture"), name);
            if BUILTIN_VARIABLES.contains(&name.as_str()) || template::is_clock(name) {
                self.errors.push(self.ctx.error(
                    &path,
                    format!("`{name}` is a built-in variable; capture into another name"),
                ));
            }
            let pointer = capture.pointer();
            if !pointer.starts_with('/') {
                let path = match capture {
                    raw::Capture::Detailed(_) => join(&path, "pointer"),
                    raw::Capture::Pointer(_) => path,
                };
                self.errors.push(self.ctx.inner_error(
                    &path,
                    pointer,
                    format!("capture `{name}` needs a JSON pointer such as `/data/id`"),
                ));
            }
            self.defined.insert(name.clone());
            built.push(Captured {
                name: name.clone(),
                pointer: pointer.to_string(),
                secret: capture.secret(),
            });
        }
        built
    }

    /// A step that `creates` a record needs a cleanup that removes it (`unremoved`: it has
    /// none, and its scenario does not declare what it `leaves`); a step that creates or
    /// cleans up must mark what it creates with the run's id.
    fn check_creation(
        &mut self,
        at: &str,
        request: &raw::Request,
        cleans_up: bool,
        operation: &Operation,
        creates: bool,
        unremoved: bool,
    ) {
        if unremoved {
            self.errors.push(
                self.ctx
                    .error(
                        at,
                        format!(
                            "this step creates a record ({} {}), so it needs a `cleanup` that \
                             removes it",
                            operation.method, operation.path
                        ),
                    )
                    .with_hint(
                        "add e.g. cleanup: { operation: contacts.delete, request: { path: { id: \
                         \"{{contact_id}}\" } } } with the id captured from its answer",
                    ),
            );
        }
        if (creates || cleans_up) && !marks_the_run(request) {
            self.errors.push(
                self.ctx
                    .error(
                        &join(&join(at, "request"), "body"),
                        "a step that creates something must mark it with the run's id",
                    )
                    .with_hint(
                        "put {{run_id}} in its body, e.g. full_name: \"Conformance {{run_id}}\", \
                         so that what a run leaves behind can be told apart",
                    ),
            );
        }
    }

    /// The cleanup of the step at `at`, whose operation is `create`: the removal of the
    /// record it created, addressed by one of its `captures`.
    fn build_cleanup(
        &mut self,
        at: &str,
        cleanup: &raw::Cleanup,
        create: &Operation,
        captures: &BTreeMap<String, raw::Capture>,
    ) -> Option<Cleanup> {
        let at = join(at, "cleanup");
        let removal = self.operation(&join(&at, "operation"), &cleanup.operation)?;
        let request = self.request(&at, &removal, &cleanup.request);
        self.check_cleanup(&at, create, &removal, &request, captures);
        Some(Cleanup {
            operation: removal,
            request,
        })
    }

    /// Records what later data-changing requests may address after a step with `cleanup`
    /// and `captures` (that `creates` a record or not).
    fn note_created(
        &mut self,
        cleanup: Option<&Cleanup>,
        captures: &BTreeMap<String, raw::Capture>,
        creates: bool,
    ) {
        // What a data-changing request may address is the id the cleanup removes
        // (another field of the created record may name someone else's). A create
        // step without its cleanup is reported above, once: what it captures
        // still counts as created, so later uses are not reported too.
        // A cleanup that names no captured variable has its own message: then,
        // too, the captures count as created.
        match cleanup.map(removed_variable) {
            Some(Some(removed)) => {
                self.created.insert(removed);
            }
            Some(None) => self.created.extend(captures.keys().cloned()),
            None if creates => self.created.extend(captures.keys().cloned()),
            None => {}
        }
    }

    fn main_step(&mut self, at: &str, own: &Arc<Operation>, raw: &raw::Scenario) -> Step {
        let step = self.step(
            at,
            "request".to_string(),
            own.clone(),
            &raw.request,
            &raw.expect,
        );
        self.check_targets(at, &step);
        self.check_body_targets(at, &step);
        let mut step = step;
        // The request under test may create a record (Create Contact's own scenarios): it
        // is held to the rules of a create step, its captures defined for `verify`.
        step.capture = self.captures(at, &raw.capture);
        let creates = safety::creates(own);
        // A scenario that declares what it `leaves` may create without a cleanup.
        let cleans_up = raw.cleanup.is_some();
        let unremoved = creates && !cleans_up && raw.leaves.is_none();
        self.check_creation(at, &raw.request, cleans_up, own, creates, unremoved);
        step.cleanup = raw
            .cleanup
            .as_ref()
            .and_then(|cleanup| self.build_cleanup(at, cleanup, own, &raw.capture));
        self.note_created(step.cleanup.as_ref(), &raw.capture, creates);
        match &raw.expect.status {
            None => self.errors.push(self.ctx.error(
                &join(at, "expect"),
                "the scenario's `expect` needs a `status`",
            )),
            Some(StatusSet::AnyOf(_)) => self.errors.push(self.ctx.error(
                &join(at, "expect.status"),
                "a scenario checks one documented status; lists are for setup and verify steps",
            )),
            Some(StatusSet::One(status)) if is_success(*status) && raw.expect.code.is_some() => {
                let code = raw.expect.code.as_deref().unwrap_or_default();
                let error = code_on_success(self.ctx, &join(at, "expect.code"), code, *status);
                self.errors.push(error);
            }
            Some(StatusSet::One(status)) => {
                let code = raw.expect.code.as_deref();
                let documented = own
                    .responses
                    .iter()
                    .any(|r| r.status == *status && r.code.as_deref() == code);
                if !documented {
                    let pairs = documented_pairs(own);
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

    /// A setup or verify step expects what its own operation documents, like the request
    /// under test: each status it accepts (with its code), or a documented 2xx when it
    /// names none.
    fn check_step_expect(&mut self, at: &str, op: &Operation, expect: Option<&raw::Expect>) {
        let code = expect.and_then(|e| e.code.as_deref());
        let expect_at = join(at, "expect");
        let statuses: Vec<u16> = match expect.and_then(|e| e.status.as_ref()) {
            None => {
                if let Some(code) = code {
                    let message = format!("`code: {code}` needs the error `status` it goes with");
                    self.errors
                        .push(self.ctx.value_error(&join(&expect_at, "code"), message));
                } else if op.success().is_none() {
                    let message = format!(
                        "without `expect`, a step must answer 2xx, but {} documents no 2xx",
                        op.id
                    );
                    let error = self.ctx.error(at, message);
                    let hint = format!("documented: {}", documented_pairs(op).join(", "));
                    self.errors.push(error.with_hint(hint));
                }
                return;
            }
            Some(StatusSet::One(status)) => vec![*status],
            Some(StatusSet::AnyOf(list)) => list.clone(),
        };
        if let Some(code) = code {
            if let Some(success) = statuses.iter().find(|s| is_success(**s)) {
                let path = join(&expect_at, "code");
                self.errors
                    .push(code_on_success(self.ctx, &path, code, *success));
                return;
            }
        }
        let missing: Vec<String> = statuses
            .iter()
            .filter(|status| {
                !op.responses
                    .iter()
                    .any(|r| r.status == **status && (code.is_none() || r.code.as_deref() == code))
            })
            .map(|status| match code {
                Some(code) => format!("{status} {code}"),
                None => status.to_string(),
            })
            .collect();
        if !missing.is_empty() {
            let error = self.ctx.error(
                &expect_at,
                format!("{} is not documented for {}", missing.join(", "), op.id),
            );
            let hint = format!("documented: {}", documented_pairs(op).join(", "));
            self.errors.push(error.with_hint(hint));
        }
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
        let body = self.body_assertions(&expect_at, expect);
        let csv = self.csv_expectation(&expect_at, &operation, expect);
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
                body,
                csv,
                span: self.ctx.span(&expect_at),
            },
            capture: Vec::new(),
            cleanup: None,
            span: self.ctx.span(at),
        }
    }

    /// The promises about the body of the `expect` at `expect_at`: each `equals:` entry,
    /// then each `body:` item, with its pointer and templates checked.
    fn body_assertions(&mut self, expect_at: &str, expect: &raw::Expect) -> Vec<BodyAssertion> {
        let mut built = Vec::new();
        for (pointer, value) in &expect.equals {
            let entry = join(&join(expect_at, "equals"), pointer);
            if let Some((message, _)) = pointer_problem(pointer) {
                self.errors.push(self.ctx.error(&entry, message));
            }
            self.check_templates_in(&entry, value);
            built.push(BodyAssertion {
                pointer: pointer.clone(),
                matcher: Matcher::Equals(value.clone()),
                span: self.ctx.span(&entry),
            });
        }
        for (i, item) in expect.body.iter().enumerate() {
            let item_at = format!("{}[{i}]", join(expect_at, "body"));
            self.check_pointer(&join(&item_at, "at"), &item.at);
            let matcher_at = join(&item_at, &item.key);
            if let Some(value) = item.matcher.template() {
                self.check_templates_in(&matcher_at, value);
            }
            if let Some((key, pointer)) = item.matcher.pointers() {
                self.check_pointer(&join(&matcher_at, key), pointer);
            }
            built.push(BodyAssertion {
                pointer: item.at.clone(),
                matcher: item.matcher.clone(),
                span: self.ctx.span(&matcher_at),
            });
        }
        built
    }

    /// `expect.csv`, with its templates checked: only where the operation documents a
    /// `text/csv` answer for a status the step expects.
    fn csv_expectation(
        &mut self,
        expect_at: &str,
        op: &Operation,
        expect: &raw::Expect,
    ) -> Option<(CsvExpect, Span)> {
        let csv = expect.csv.clone()?;
        let at = join(expect_at, "csv");
        for (column, cell) in &csv.contains {
            self.check_template(&join(&join(&at, "contains"), column), cell);
        }
        let accepted = |status: u16| match &expect.status {
            None => (200..300).contains(&status),
            Some(set) => set.contains(status),
        };
        let documented_csv = op
            .responses
            .iter()
            .any(|r| accepted(r.status) && r.media_type == "text/csv");
        if !documented_csv {
            let error = self.ctx.error(
                &at,
                format!(
                    "`csv` checks a CSV body, and {} documents no `text/csv` answer for the \
                     status this step expects",
                    op.id
                ),
            );
            self.errors.push(error.with_hint(
                "give the documented response `media_type: text/csv`, or check a JSON body \
                 with `body:`",
            ));
        }
        Some((csv, self.ctx.span(&at)))
    }

    /// The text at `at` must be a JSON pointer; the caret goes under what breaks it.
    fn check_pointer(&mut self, at: &str, pointer: &str) {
        if let Some((message, part)) = pointer_problem(pointer) {
            let error = self.ctx.inner_error(at, part, message);
            self.errors.push(error.with_hint(
                "a JSON pointer names keys and indexes from the top of the body: /data/contacts/0/id \
                 (`\"\"` is the whole body)",
            ));
        }
    }

    /// A cleanup must be the removal of the record its step created, addressed by a value
    /// the step captured.
    fn check_cleanup(
        &mut self,
        at: &str,
        create: &Operation,
        removal: &Operation,
        request: &Request,
        captures: &BTreeMap<String, raw::Capture>,
    ) {
        if let Some(problem) = safety::cleanup_problem(create, removal) {
            let meant: Vec<&str> = self
                .known
                .operations
                .values()
                .filter(|op| safety::cleanup_problem(create, op).is_none())
                .map(|op| op.id.as_str())
                .collect();
            let hint = match meant.as_slice() {
                [] => "a cleanup must be the DELETE of the created record".to_string(),
                ids => format!("the removal of that record is {}", ids.join(", ")),
            };
            let error = self.ctx.value_error(&join(at, "operation"), problem);
            self.errors.push(error.with_hint(hint));
            return;
        }
        let Some(param) = safety::record_param(&removal.path) else {
            return;
        };
        let value = request.path.get(param).map(String::as_str).unwrap_or("");
        let own = safety::sole_variable(value).is_some_and(|name| captures.contains_key(name));
        if !own && request.path.contains_key(param) {
            let names: Vec<String> = captures.keys().map(|n| format!("{{{{{n}}}}}")).collect();
            let error = self.ctx.value_error(
                &join(&join(&join(at, "request"), "path"), param),
                format!(
                    "the cleanup must remove the record this step created: `{param}` must be \
                     a value captured from the step's answer, not `{value}`"
                ),
            );
            self.errors.push(error.with_hint(match names.is_empty() {
                true => "capture the id first, e.g. capture: { contact_id: /data/id }".into(),
                false => format!("this step captures {}", names.join(", ")),
            }));
        }
    }

    /// A request that changes or removes data may address only records this scenario
    /// created.
    fn check_targets(&mut self, at: &str, step: &Step) {
        if !safety::changes(&step.operation) || self.known.disposable_target {
            return;
        }
        for (param, value) in &step.request.path {
            // Unknown parameters, broken templates and undefined variables have their own
            // message already.
            let known_param = step.operation.params.contains(param);
            let names = template::variables(value).unwrap_or_default();
            if !known_param
                || template::variables(value).is_err()
                || names
                    .iter()
                    .any(|n| !self.defined.contains(*n) && !template::is_clock(n))
            {
                continue;
            }
            let names_shared =
                safety::sole_variable(value).is_some_and(|n| self.shared_vars.contains(n));
            let may_succeed = step.expect.status.as_ref().is_none_or(|s| s.accepts_2xx());
            if names_shared && may_succeed {
                let error = self.ctx.inner_error(
                    &join(&join(&join(at, "request"), "path"), param),
                    value,
                    format!(
                        "{value} names a shared record, which other scenarios read: a request \
                         that changes it must be one the gateway refuses (expect a 4xx)"
                    ),
                );
                self.errors.push(error.with_hint(
                    "create a record of the scenario's own in `setup` to change it for real",
                ));
                continue;
            }
            if let Some(problem) = safety::foreign_target(value, &self.created) {
                let error = self.ctx.value_error(
                    &join(&join(&join(at, "request"), "path"), param),
                    format!(
                        "{} {} changes or removes data, so `{param}` must name a record created \
                         earlier in this scenario: {problem}",
                        step.operation.method, step.operation.path
                    ),
                );
                self.errors.push(error.with_hint(
                    "create the record in `setup` (with a capture and a cleanup) and use its \
                     captured id, so a live run never touches data it did not create",
                ));
            }
        }
    }

    /// The ids a data-changing request sends in its body (`ids_in_body` of its operation)
    /// are held to the rule of path ids: records this scenario created, or a shared record
    /// in a request the gateway must refuse.
    fn check_body_targets(&mut self, at: &str, step: &Step) {
        let op = &step.operation;
        if !safety::changes_by_body(op) || self.known.disposable_target {
            return;
        }
        let Some(body) = &step.request.body else {
            return;
        };
        if let serde_json::Value::String(text) = body {
            // A body that is one template could hold any ids: nothing here can check them.
            let error = self.ctx.value_error(
                &join(&join(at, "request"), "body"),
                format!(
                    "{} {} changes data by the ids in its body (`ids_in_body`), so its body \
                     must be written out, not `{text}`, for its ids to be checked",
                    op.method, op.path
                ),
            );
            self.errors.push(error);
            return;
        }
        let may_succeed = step.expect.status.as_ref().is_none_or(|s| s.accepts_2xx());
        for (place, value) in safety::body_ids(body, &op.ids_in_body) {
            let path = join(&join(&join(at, "request"), "body"), &place);
            let problem = self.body_id_problem(value, may_succeed);
            if let Some(problem) = problem {
                let error = self.ctx.value_error(
                    &path,
                    format!(
                        "{} {} changes data by the ids in its body (`ids_in_body`), so `{place}` \
                         must name a record created earlier in this scenario: {problem}",
                        op.method, op.path
                    ),
                );
                self.errors.push(error.with_hint(
                    "create the record in `setup` (with a capture and a cleanup) and send its \
                     captured id, so a live run never merges or removes data it did not create",
                ));
            }
        }
    }

    /// Why a value sent as an id in a body is not the scenario's own, if it is not (an
    /// undefined variable or a broken template has its own message).
    fn body_id_problem(&self, value: &serde_json::Value, may_succeed: bool) -> Option<String> {
        let serde_json::Value::String(text) = value else {
            return Some(format!("`{value}` is not a record this scenario created"));
        };
        let names = template::variables(text).ok()?;
        if names.iter().any(|n| !self.defined.contains(*n)) {
            return None;
        }
        let shared = safety::sole_variable(text).is_some_and(|n| self.shared_vars.contains(n));
        match shared {
            true if may_succeed => Some(format!(
                "{text} names a shared record, which other scenarios read: a request that may \
                 change it must be one the gateway refuses (expect a 4xx)"
            )),
            true => None,
            false => safety::foreign_target(text, &self.created),
        }
    }

    fn operation(&mut self, at: &str, id: &str) -> Option<Arc<Operation>> {
        let found = self.known.operations.get(id).cloned();
        if found.is_none() && !self.known.unreadable.contains(id) {
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
        let credential = self.credential(&at, raw);
        self.check_path_params(&at, operation, raw);
        for (field, values) in [("path", &raw.path), ("query", &raw.query)] {
            for (name, value) in values {
                self.check_template(&join(&join(&at, field), name), value);
            }
        }
        if let Some(body) = &raw.body {
            self.check_templates_in(&join(&at, "body"), body);
        }
        if let Some(pad) = &raw.pad {
            self.check_pad(&join(&at, "pad"), raw.body.as_ref(), pad);
        }
        Request {
            credential,
            path: raw.path.clone(),
            query: raw.query.clone(),
            body: raw.body.clone(),
            pad: raw.pad.clone(),
        }
    }

    /// `pad` (at `at`) lengthens a string that the body holds.
    fn check_pad(&mut self, at: &str, body: Option<&serde_json::Value>, pad: &raw::Pad) {
        let Some(body) = body else {
            let error = self
                .ctx
                .error(
                    at,
                    "`pad` lengthens a string of the body, and this request sends no body",
                )
                .with_hint("give the request a `body:` holding the string to lengthen");
            self.errors.push(error);
            return;
        };
        if !matches!(body.pointer(&pad.at), Some(serde_json::Value::String(_))) {
            let message = match pointer_problem(&pad.at) {
                Some((message, _)) => message,
                None => format!("`{}` is not a string of the request's body", pad.at),
            };
            let error = self.ctx.value_error(&join(at, "at"), message).with_hint(
                "`at` is a JSON pointer (such as /csv) to a string the body holds; the \
                     padding is added to its end",
            );
            self.errors.push(error);
        }
    }

    /// The credential of the request at `at`, or the suite's default; an unknown one is
    /// reported.
    fn credential(&mut self, at: &str, raw: &raw::Request) -> String {
        let credential = raw
            .credential
            .clone()
            .unwrap_or_else(|| self.known.default_credential.to_string());
        // A broken `default_credential` is reported once, in suite.yaml, not at every
        // request that relies on it.
        let credentials = self.known.credentials;
        let default_is_broken = raw.credential.is_none()
            && !credentials.is_some_and(|c| c.contains_key(self.known.default_credential));
        if let Some(credentials) = credentials.filter(|c| {
            !default_is_broken
                && !c.contains_key(&credential)
                && !BUILTIN_CREDENTIALS.contains(&credential.as_str())
        }) {
            let mut names: Vec<&str> = credentials.keys().map(String::as_str).collect();
            names.extend(BUILTIN_CREDENTIALS);
            self.errors.push(did_you_mean(
                self.ctx
                    .value_error(
                        &join(at, "credential"),
                        format!("unknown credential `{credential}`"),
                    )
                    .with_hint(format!("known credentials: {}", names.join(", "))),
                &credential,
                &names,
            ));
        }
        credential
    }

    /// The path parameters of the request at `at` must be those of the operation's
    /// template: a missing or unknown one is reported here, a renamed one once per file
    /// (by [`report_renamed`]).
    fn check_path_params(&mut self, at: &str, operation: &Operation, raw: &raw::Request) {
        let given: BTreeSet<&str> = raw.path.keys().map(String::as_str).collect();
        let wanted: BTreeSet<&str> = operation.params.iter().map(String::as_str).collect();
        let missing: Vec<&str> = wanted.difference(&given).copied().collect();
        let extras: Vec<&str> = given.difference(&wanted).copied().collect();
        let renamed_to = self.note_renamed(at, operation, &missing, &extras);
        for missing in missing.iter().filter(|m| !renamed_to.contains(*m)) {
            self.errors.push(self.ctx.error(
                at,
                format!(
                    "path parameter `{missing}` of {} is not given",
                    operation.path
                ),
            ));
        }
        let renamed_from: BTreeSet<&str> = self
            .renamed
            .iter()
            .filter(|r| r.operation == operation.id)
            .map(|r| r.given.as_str())
            .collect();
        for extra in given
            .difference(&wanted)
            .filter(|e| !renamed_from.contains(*e))
        {
            self.errors.push(self.ctx.error(
                &join(&join(at, "path"), extra),
                format!("`{extra}` is not a parameter of {}", operation.path),
            ));
        }
    }

    /// Collects each of the `extras` (parameters given but not in the template) that looks
    /// like a renamed one of the `missing`; gives the missing names so accounted for.
    fn note_renamed<'p>(
        &mut self,
        at: &str,
        operation: &Operation,
        missing: &[&'p str],
        extras: &[&str],
    ) -> BTreeSet<&'p str> {
        let mut renamed_to = BTreeSet::new();
        for extra in extras {
            // A close name, or the one name given for the one missing: a rename.
            let meant = match (super::read::closest(extra, missing), missing, extras) {
                (Some(meant), _, _) => meant,
                (None, [only], [_]) => only,
                _ => continue,
            };
            renamed_to.insert(meant);
            let path = join(&join(at, "path"), extra);
            match self
                .renamed
                .iter_mut()
                .find(|r| r.operation == operation.id && r.given == *extra && r.meant == meant)
            {
                Some(known) => known.paths.push(path),
                None => self.renamed.push(Renamed {
                    operation: operation.id.clone(),
                    given: extra.to_string(),
                    meant: meant.to_string(),
                    paths: vec![path],
                }),
            }
        }
        renamed_to
    }

    /// Checks the templates of every string in a JSON value, each located at its own
    /// string (`body.contact.id`, `body.tags[1]`).
    fn check_templates_in(&mut self, at: &str, value: &serde_json::Value) {
        match value {
            serde_json::Value::String(text) => self.check_template(at, text),
            serde_json::Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.check_templates_in(&format!("{at}[{i}]"), item);
                }
            }
            serde_json::Value::Object(map) => {
                for (key, item) in map {
                    self.check_templates_in(&join(at, key), item);
                }
            }
            _ => {}
        }
    }

    fn check_template(&mut self, at: &str, text: &str) {
        match template::variables(text) {
            Err(message) => {
                let opening = text.find("{{").map_or(text, |i| &text[i..]);
                self.errors.push(self.ctx.inner_error(at, opening, message));
            }
            Ok(names) => {
                for name in names {
                    // Behind an unknown shared record, any variable may be one of its
                    // captures: that record's message is the one to read.
                    if !self.defined.contains(name)
                        && !template::is_clock(name)
                        && !self.unknown_uses
                    {
                        let known: Vec<&str> = self.defined.iter().map(String::as_str).collect();
                        let used = template_text(text, name);
                        let error = self
                            .ctx
                            .inner_error(
                                at,
                                used,
                                format!("variable `{name}` is not defined at this point"),
                            )
                            .with_hint(format!(
                                "defined here: {} (captures of earlier setup steps and built-ins), and the \
                                 clock: now, now_minus_3d, now_plus_2h",
                                known.join(", ")
                            ));
                        self.errors.push(did_you_mean(error, name, &known));
                    }
                }
            }
        }
    }
}

fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

/// The documented pairs of an operation, as a hint shows them.
fn documented_pairs(op: &Operation) -> Vec<String> {
    op.responses
        .iter()
        .map(|r| match &r.code {
            Some(c) => format!("{} {c}", r.status),
            None => r.status.to_string(),
        })
        .collect()
}

/// The `{{ name }}` inside `text` that uses `name`, as written.
fn template_text<'t>(text: &'t str, name: &'t str) -> &'t str {
    let mut rest = text;
    let mut offset = 0;
    while let Some(open) = rest.find("{{") {
        let Some(close) = rest[open..].find("}}") else {
            break;
        };
        let inside = &rest[open + 2..open + close];
        if inside.trim() == name {
            return &text[offset + open..offset + open + close + 2];
        }
        offset += open + close + 2;
        rest = &text[offset..];
    }
    name
}

/// The variable whose value the cleanup removes: the template of its record's parameter.
fn removed_variable(cleanup: &Cleanup) -> Option<String> {
    let param = safety::record_param(&cleanup.operation.path)?;
    let value = cleanup.request.path.get(param)?;
    safety::sole_variable(value).map(str::to_string)
}
