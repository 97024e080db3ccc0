//! What the stub answers: a status and a JSON body (or none, or a text such as CSV), what an action did (which
//! fills the documented example) or why it refused, and the stub's own answer for what
//! the documentation does not say.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::spec::behaviour::Rule;
use crate::spec::Operation;

/// The status of the stub's answer when the documentation does not say how the
/// operation answers a request (an invalid parameter of an operation that documents no
/// 400, say). No page uses it, so no scenario can expect it.
pub const UNDOCUMENTED_STATUS: u16 = 501;
/// Its error code.
pub const UNDOCUMENTED_CODE: &str = "stub_undocumented";
/// Its value of the stub's marker header.
pub const UNDOCUMENTED_MARK: &str = "undocumented";

#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    pub status: u16,
    /// `None`: no body (a 204).
    pub body: Option<Value>,
    /// The value of the stub's marker header, for the stub's own answers.
    pub mark: Option<&'static str>,
    /// A body that is not JSON (an export's CSV), in place of `body`.
    pub text: Option<TextBody>,
}

/// A body that is not JSON, with its headers.
#[derive(Clone, Debug, PartialEq)]
pub struct TextBody {
    /// The `Content-Type` (`text/csv; charset=utf-8`).
    pub content_type: String,
    pub text: String,
    /// The `Content-Disposition`, if any.
    pub disposition: Option<String>,
}

impl Answer {
    pub fn new(status: u16, body: Option<Value>) -> Answer {
        Answer {
            status,
            body,
            mark: None,
            text: None,
        }
    }

    /// An answer whose body is not JSON.
    pub fn text(status: u16, text: TextBody) -> Answer {
        Answer {
            text: Some(text),
            ..Answer::new(status, None)
        }
    }

    /// The documented error of `op` for (status, code): its documented example when it
    /// has one, the standard envelope with `message` otherwise.
    pub fn error(op: &Operation, status: u16, code: &str, message: &str) -> Answer {
        let documented = op
            .responses
            .iter()
            .filter(|r| r.status == status)
            .find(|r| r.code.as_deref() == Some(code))
            .and_then(|r| r.example.clone());
        let body =
            documented.unwrap_or_else(|| json!({"error": {"code": code, "message": message}}));
        Answer::new(status, Some(body))
    }

    /// The stub's own answer: the documentation does not say what to answer here.
    pub fn undocumented(op: &Operation, what: &str) -> Answer {
        let message = format!(
            "The documentation of {} ({} {}) does not say how it answers {what}; the stub \
             does not guess",
            op.id, op.method, op.path
        );
        Answer {
            status: UNDOCUMENTED_STATUS,
            body: Some(json!({"error": {"code": UNDOCUMENTED_CODE, "message": message}})),
            mark: Some(UNDOCUMENTED_MARK),
            text: None,
        }
    }

    /// The answer to a refusal: the documented (status, code) when `op` documents it (or
    /// the spec names it on purpose), the stub's own answer otherwise.
    pub fn refusal(op: &Operation, refusal: Refusal) -> Answer {
        match refusal {
            Refusal::NotFound {
                code,
                on_purpose,
                what,
            } => match on_purpose || documents(op, 404, &code) {
                true => Answer::error(op, 404, &code, &format!("{what} not found")),
                false => {
                    Answer::undocumented(op, &format!("a request for {what} that does not exist"))
                }
            },
            Refusal::Invalid { code, fields } => {
                if !documents(op, 400, &code) {
                    let named: Vec<String> = fields
                        .iter()
                        .map(|(field, problem)| format!("{field} ({problem})"))
                        .collect();
                    return Answer::undocumented(
                        op,
                        &format!("invalid input: {}", named.join(", ")),
                    );
                }
                Answer::new(400, Some(invalid_body(&code, &fields)))
            }
            Refusal::Status {
                status,
                code,
                message,
            } => match documents(op, status, &code) {
                true => Answer::error(op, status, &code, &message),
                false => Answer::undocumented(op, &message),
            },
        }
    }
}

/// Whether `op` documents the (status, code) pair.
pub fn documents(op: &Operation, status: u16, code: &str) -> bool {
    op.responses
        .iter()
        .any(|r| r.status == status && r.code.as_deref() == Some(code))
}

/// The documented shape of a validation error: a message and the fields at fault
/// (`details.fields`, as the Create List page shows it).
pub fn invalid_body(code: &str, fields: &BTreeMap<String, String>) -> Value {
    let message = match fields.len() {
        1 => {
            let (field, problem) = fields.iter().next().expect("one field");
            format!("{field}: {problem}")
        }
        n => format!("{n} fields are invalid"),
    };
    json!({"error": {
        "code": code,
        "message": message,
        "details": {"fields": fields},
    }})
}

/// What an action did, for the answer: the documented example with these put in.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Done {
    /// The record, as shown.
    pub record: Option<Value>,
    pub id: Option<String>,
    pub counts: BTreeMap<&'static str, u64>,
    /// Records a bulk create made, as shown; items of a page.
    pub records: Option<Vec<Value>>,
    /// Per-item errors of a bulk action.
    pub errors: Option<Vec<Value>>,
    /// Ids a link added.
    pub added: Option<Vec<Value>>,
    /// What became of the request (an import's `completed` or `queued`).
    pub status: Option<String>,
    /// Page and page size of a list (`records` holds its items; `counts` its total).
    pub page: Option<(u64, u64)>,
    /// What a merge did: the ids it retired, the fields it filled, what it moved.
    pub merged: Option<Merged>,
}

/// The outcome of a merge, for its answer.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Merged {
    pub ids: Vec<Value>,
    pub populated: Vec<Value>,
    pub moved: Map<String, Value>,
}

/// Why an action did nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The record (or its parent) does not exist. `on_purpose`: the spec names the code,
    /// so it is answered even if the page documents no 404.
    NotFound {
        code: String,
        on_purpose: bool,
        what: String,
    },
    /// Input that breaks a rule: 400 with the fields at fault.
    Invalid {
        code: String,
        fields: BTreeMap<String, String>,
    },
    /// Another documented refusal (402 insufficient_credits).
    Status {
        status: u16,
        code: String,
        message: String,
    },
}

impl Refusal {
    /// Input breaking `rule` of an operation whose codes are in `validate`.
    pub fn invalid(
        validate: &crate::spec::behaviour::Validate,
        rule: Rule,
        fields: BTreeMap<String, String>,
    ) -> Refusal {
        Refusal::Invalid {
            code: validate.code_of(rule).to_string(),
            fields,
        }
    }

    /// One field breaking `rule`.
    pub fn field(
        validate: &crate::spec::behaviour::Validate,
        rule: Rule,
        field: &str,
        problem: impl Into<String>,
    ) -> Refusal {
        Refusal::invalid(
            validate,
            rule,
            BTreeMap::from([(field.to_string(), problem.into())]),
        )
    }
}

/// Sets the value at a JSON pointer, making objects on the way; the root is `""`.
pub fn put(body: &mut Value, pointer: &str, value: Value) {
    let mut target = body;
    for token in pointer.split('/').skip(1) {
        if !target.is_object() {
            *target = Value::Object(Map::new());
        }
        target = target
            .as_object_mut()
            .expect("just made an object")
            .entry(token.replace("~1", "/").replace("~0", "~"))
            .or_insert(Value::Null);
    }
    *target = value;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_makes_the_path() {
        let mut body = json!({"data": {"deleted": true, "id": "x"}});
        put(&mut body, "/data/id", json!("y"));
        assert_eq!(body, json!({"data": {"deleted": true, "id": "y"}}));
        let mut empty = json!(null);
        put(&mut empty, "/data/a~1b", json!(1));
        assert_eq!(empty, json!({"data": {"a/b": 1}}));
        let mut root = json!({"a": 1});
        put(&mut root, "", json!([1]));
        assert_eq!(root, json!([1]));
    }

    #[test]
    fn a_validation_error_names_its_fields() {
        let one = invalid_body(
            "validation_error",
            &BTreeMap::from([("email".into(), "must be an email address".into())]),
        );
        assert_eq!(one["error"]["message"], "email: must be an email address");
        assert_eq!(
            one["error"]["details"]["fields"]["email"],
            "must be an email address"
        );
        let two = invalid_body(
            "validation_error",
            &BTreeMap::from([("a".into(), "x".into()), ("b".into(), "y".into())]),
        );
        assert_eq!(two["error"]["message"], "2 fields are invalid");
    }
}
