//! Checks of one response against one step's expectations: one registry of pure functions.
//!
//! Every check has the same signature, [`CheckFn`]: it reads a [`Response`] (the step, the
//! suite's header rules, the HTTP response, its body parsed once, the variables) and
//! returns structured [`Mismatch`]es; none prints. [`CHECKS`] lists them in the order a
//! reader wants their mismatches, each with the [`Runs`] precondition under which it runs,
//! and [`check_response`] walks that list. A new kind of expectation is one module here
//! and one line in the list, beside its reading and validation in `spec`. The checks are
//! tested by building responses by hand, and end to end against deliberately wrong
//! gateways.

mod body;
mod code;
mod csv;
mod headers;
mod json;
mod matchers;
mod media_type;
mod schema;
mod status;

use serde_json::Value;

use self::json::CheckedJson;
pub use self::json::{error_code, parse_json, parse_json_checked, parse_json_unique};
use crate::outcome::{Check, Mismatch};
use crate::spec::template::Vars;
use crate::spec::{DocumentedResponse, HeaderCheck, Step};
use crate::transport::http::HttpResponse;

/// Every check of a response, in the order a reader wants their mismatches.
const CHECKS: &[Registered] = &[
    Registered::always(status::check),
    Registered::always(headers::check),
    Registered::if_status_matched(media_type::check),
    Registered::if_status_matched(csv::check),
    Registered::if_status_matched(body::is_json),
    Registered::on_json_body(body::repeated_key, body::never_wanted),
    Registered::on_json_body(code::check, code::wanted),
    Registered::on_json_body(schema::check, schema::wanted),
    Registered::on_json_body(matchers::check, matchers::wanted),
];

/// What every check has: what it reads, and the broken promises it found.
type CheckFn = fn(&Response<'_>) -> Vec<Mismatch>;

/// Whether a check has something to check in a step's body (see [`Runs::OnJsonBody`]).
type WantsBody = fn(&Response<'_>) -> bool;

/// When a check runs.
#[derive(Clone, Copy)]
enum Runs {
    /// On every response.
    Always,
    /// Only when the status is one the step expects: the body of an unexpected answer
    /// would only add noise to the status mismatch.
    IfStatusMatched,
    /// Only when the status matched and the body is JSON. When the body is not JSON and
    /// any such check `wants` it, [`body::is_json`] reports that once.
    OnJsonBody { wants: WantsBody },
}

/// One entry of [`CHECKS`].
struct Registered {
    runs: Runs,
    check: CheckFn,
}

impl Registered {
    const fn always(check: CheckFn) -> Registered {
        Registered {
            runs: Runs::Always,
            check,
        }
    }

    const fn if_status_matched(check: CheckFn) -> Registered {
        Registered {
            runs: Runs::IfStatusMatched,
            check,
        }
    }

    const fn on_json_body(check: CheckFn, wants: WantsBody) -> Registered {
        Registered {
            runs: Runs::OnJsonBody { wants },
            check,
        }
    }
}

/// What a check reads: one step's response, with its body parsed once.
struct Response<'a> {
    step: &'a Step,
    /// The header rules every response of the suite must satisfy.
    every_response: &'a [HeaderCheck],
    http: &'a HttpResponse,
    /// The body as JSON (with the first key an object repeats), or why it is not JSON.
    body: Result<CheckedJson, String>,
    /// The documented response for the actual status and the expected code, if any.
    documented: Option<&'a DocumentedResponse>,
    vars: &'a Vars,
}

impl Response<'_> {
    fn status_matched(&self) -> bool {
        self.step.expect.accepts(self.http.status)
    }

    /// The body, when it is JSON.
    fn json(&self) -> Option<&Value> {
        self.body.as_ref().ok().map(|body| &body.value)
    }

    /// Whether any check expects something of the body (so that it must be JSON).
    fn body_wanted(&self) -> bool {
        CHECKS.iter().any(|registered| match registered.runs {
            Runs::OnJsonBody { wants } => wants(self),
            Runs::Always | Runs::IfStatusMatched => false,
        })
    }

    fn runs(&self, runs: Runs) -> bool {
        match runs {
            Runs::Always => true,
            Runs::IfStatusMatched => self.status_matched(),
            Runs::OnJsonBody { .. } => self.status_matched() && self.json().is_some(),
        }
    }

    /// A broken promise of the step's `expect:`.
    fn mismatch(
        &self,
        check: Check,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> Mismatch {
        let expect = &self.step.expect;
        Mismatch::new(
            &self.step.label,
            check,
            expected,
            actual,
            expect.span.clone(),
        )
    }
}

/// Everything a step's response must satisfy, in the order of [`CHECKS`].
pub fn check_response(
    step: &Step,
    every_response: &[HeaderCheck],
    response: &HttpResponse,
    vars: &Vars,
) -> Vec<Mismatch> {
    let code = step.expect.code.as_deref();
    let response = Response {
        step,
        every_response,
        http: response,
        body: parse_json_checked(&response.body),
        documented: step.operation.documented(response.status, code),
        vars,
    };
    CHECKS
        .iter()
        .filter(|registered| response.runs(registered.runs))
        .flat_map(|registered| (registered.check)(&response))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::spec::{
        BodyAssertion, Expectation, HeaderRule, Matcher, Operation, Request, StatusSet,
    };

    /// A step of `GET /things` that expects 200 with `expect`, documented as answering 200
    /// with a JSON body.
    fn step(expect: Expectation) -> Step {
        let documented = DocumentedResponse {
            status: 200,
            code: None,
            source: None,
            schema: None,
            example: None,
            media_type: "application/json".into(),
            span: Default::default(),
        };
        let operation = Operation {
            id: "things.list".into(),
            title: String::new(),
            method: "GET".into(),
            path: "/things".into(),
            params: Vec::new(),
            doc: String::new(),
            permission: None,
            ids_in_body: Vec::new(),
            stub: None,
            rate_limit: None,
            responses: vec![documented],
            span: Default::default(),
        };
        let request = Request {
            credential: "none".into(),
            path: Default::default(),
            query: Default::default(),
            body: None,
            pad: None,
        };
        Step {
            label: "request".into(),
            operation: Arc::new(operation),
            request,
            expect: Expectation {
                status: Some(StatusSet::One(200)),
                ..expect
            },
            capture: Vec::new(),
            cleanup: None,
            span: Default::default(),
        }
    }

    fn equals(pointer: &str, value: Value) -> Vec<BodyAssertion> {
        let span = Default::default();
        let pointer = pointer.into();
        vec![BodyAssertion {
            pointer,
            matcher: Matcher::Equals(value),
            span,
        }]
    }

    /// The checks that failed, in order, for `status` and `body` (with no headers).
    fn failed(step: &Step, status: u16, body: &str) -> Vec<Check> {
        let response = HttpResponse {
            status,
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
        };
        let found = check_response(step, &[], &response, &Vars::new("run", 0));
        found.into_iter().map(|m| m.check).collect()
    }

    #[test]
    fn an_unexpected_status_leaves_out_the_body_checks_but_not_the_header_rules() {
        let header = HeaderCheck {
            name: "X-Request-Id".into(),
            rule: HeaderRule::Present,
            span: Default::default(),
        };
        let step = step(Expectation {
            headers: vec![header],
            body: equals("/id", json!(1)),
            ..Default::default()
        });
        let found = failed(&step, 404, r#"{"error":{"code":"not_found"}}"#);
        let header = Check::Header("X-Request-Id".into());
        assert_eq!(found, vec![Check::Status, header]);
    }

    #[test]
    fn a_body_that_is_not_json_is_one_mismatch_only_when_something_is_expected_of_it() {
        let wants = step(Expectation {
            body: equals("/id", json!(1)),
            ..Default::default()
        });
        assert_eq!(
            failed(&wants, 200, "oops"),
            vec![Check::MediaType, Check::Body]
        );
        let wants_nothing = step(Expectation::default());
        assert_eq!(failed(&wants_nothing, 200, "oops"), vec![Check::MediaType]);
    }

    #[test]
    fn a_repeated_key_is_reported_before_the_values_read_from_the_body() {
        let step = step(Expectation {
            body: equals("/id", json!(1)),
            ..Default::default()
        });
        let found = failed(&step, 200, r#"{"id":1,"id":2}"#);
        let equals = Check::Equals("/id".into());
        assert_eq!(found, vec![Check::MediaType, Check::Body, equals]);
        let nothing_expected = super::tests::step(Expectation::default());
        let found = failed(&nothing_expected, 200, r#"{"id":1,"id":2}"#);
        assert_eq!(found, vec![Check::MediaType, Check::Body]);
    }
}
