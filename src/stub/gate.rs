//! The gate in front of every operation, as today's gateway has it: the bearer key (401),
//! the key's rate-limit budget (429), the operation's own limit per workspace, if it has
//! one (429: an export's 10 calls an hour), the operation's documented permission (403),
//! the operation's documented body limit (`max_body_bytes`: its documented 413), then the
//! play; and the headers of every answer (rate limit, request id, the stub's marker
//! on its own answers).

use std::sync::Arc;

use wiremock::{Request, Respond, ResponseTemplate};

use super::answer::Answer;
use super::call::Call;
use super::play::{play, Wallet};
use super::scope::Scope;
use super::{tell, Shared, NO_ROUTE_HEADER};
use crate::spec::Operation;

/// Plays one operation for every request its mock matches.
pub struct Gate {
    pub operation: Arc<Operation>,
    pub shared: Arc<Shared>,
}

impl Respond for Gate {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let key = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        // A body over the documented limit is never parsed: it is refused whole.
        let over = self.over_limit(request.body.len());
        let body: &[u8] = match over {
            Some(_) => &[],
            None => &request.body,
        };
        let call = Call::new(
            &self.operation.path,
            request.url.path(),
            request.url.query(),
            body,
        );
        let mut state = self.shared.state.lock().unwrap_or_else(|p| p.into_inner());
        let (answer, remaining) = self.answer(&mut state, key, &call, over);
        drop(state);
        tell(
            &self.shared.log,
            request,
            answer.status,
            Some(&self.operation.id),
        );
        let mut response = ResponseTemplate::new(answer.status)
            .insert_header("X-RateLimit-Limit", self.shared.rate_limit.to_string())
            .insert_header("X-RateLimit-Remaining", remaining.to_string())
            .insert_header("X-RateLimit-Reset", next_utc_midnight().to_string())
            .insert_header(
                "X-Request-ID",
                format!("req_{}", uuid::Uuid::new_v4().simple()),
            );
        if let Some(body) = answer.body {
            response = response.set_body_json(body);
        }
        if let Some(text) = answer.text {
            if let Some(disposition) = text.disposition {
                response = response.insert_header("Content-Disposition", disposition);
            }
            response = response.set_body_raw(text.text.into_bytes(), &text.content_type);
        }
        if let Some(mark) = answer.mark {
            response = response.insert_header(NO_ROUTE_HEADER, mark);
        }
        response
    }
}

impl Gate {
    /// The operation's documented body limit, when a body of `len` bytes exceeds it.
    fn over_limit(&self, len: usize) -> Option<u64> {
        let limit = self.operation.stub.as_ref()?.max_body_bytes?;
        (u64::try_from(len).unwrap_or(u64::MAX) > limit).then_some(limit)
    }

    /// The answer and the key's remaining budget; `over`: the body exceeded this
    /// documented limit (answered with the documented 413 once the key may call).
    fn answer(
        &self,
        state: &mut super::state::State,
        key: Option<&str>,
        call: &Call,
        over: Option<u64>,
    ) -> (Answer, u32) {
        let op = &self.operation;
        let shared = &self.shared;
        let limit = shared.rate_limit;
        let invalid_key = || Answer::error(op, 401, "invalid_key", "Invalid or expired API key");
        let Some((key, credential)) = key.and_then(|k| Some((k, credential_of(k)?))) else {
            return (invalid_key(), limit);
        };
        let Some((lacks, exhausted)) = shared.lacks.get(credential) else {
            return (invalid_key(), limit);
        };
        let used = state.used.entry(key.to_string()).or_default();
        if *used >= limit || *exhausted {
            return (
                Answer::error(op, 429, "rate_limited", "Rate limit exceeded"),
                0,
            );
        }
        *used += 1;
        let remaining = limit - *used;
        let workspace = workspace_of(key).unwrap_or(key);
        if let Some(own) = op.rate_limit.filter(|_| shared.operation_limits) {
            if !state.take_call(workspace, &op.id, own, call.now) {
                let message = format!(
                    "Rate limit exceeded: {} calls per {} per workspace",
                    own.calls,
                    own.per.name()
                );
                return (Answer::error(op, 429, "rate_limited", &message), remaining);
            }
        }
        if let Some(permission) = op.permission.as_ref().filter(|p| lacks.contains(p)) {
            let message = format!("Missing {permission} permission");
            let answer = Answer::error(op, 403, "insufficient_permissions", &message);
            return (answer, remaining);
        }
        if let Some(limit) = over {
            return (too_large(op, limit), remaining);
        }
        let stub = op
            .stub
            .as_ref()
            .expect("only operations with a stub are mounted");
        let scope = Scope {
            op,
            stub,
            collections: &shared.collections,
            call,
        };
        let wallet = Wallet {
            key,
            balance: shared.credits.get(credential).copied().unwrap_or(0),
        };
        (play(&scope, state, &wallet), remaining)
    }
}

/// The documented 413 of `op` (lint requires one with a code where a limit is declared).
fn too_large(op: &Operation, limit: u64) -> Answer {
    let code = op
        .responses
        .iter()
        .find(|r| r.status == 413)
        .and_then(|r| r.code.as_deref())
        .unwrap_or("payload_too_large");
    let message = format!("Payload larger than {limit} bytes");
    Answer::error(op, 413, code, &message)
}

/// The credential named by a stub key (`wbk_stub_<trial>_<credential>`), if it is one.
pub fn credential_of(key: &str) -> Option<&str> {
    let rest = key.strip_prefix("wbk_stub_")?;
    let (trial, credential) = rest.split_once('_')?;
    trial.parse::<u64>().ok()?;
    Some(credential)
}

/// The workspace of a stub key: its trial number (every credential of a trial is a key
/// of the same workspace).
fn workspace_of(key: &str) -> Option<&str> {
    let (trial, _) = key.strip_prefix("wbk_stub_")?.split_once('_')?;
    Some(trial)
}

/// `^/v1/contacts/([^/]+)$` for `/v1/contacts/{id}`.
pub fn path_pattern(template: &str) -> String {
    let segments: Vec<String> = template
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "([^/]+)".to_string()
            } else {
                segment
                    .chars()
                    .map(
                        |c| match c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                            true => c.to_string(),
                            false => format!("\\{c}"),
                        },
                    )
                    .collect()
            }
        })
        .collect();
    format!("^{}$", segments.join("/"))
}

pub fn next_utc_midnight() -> i64 {
    let now = chrono::Utc::now();
    let tomorrow = now.date_naive() + chrono::Days::new(1);
    tomorrow
        .and_hms_opt(0, 0, 0)
        .map_or(now.timestamp() + 86_400, |t| t.and_utc().timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_and_keys() {
        assert_eq!(path_pattern("/v1/contacts/{id}"), "^/v1/contacts/([^/]+)$");
        assert_eq!(path_pattern("/v1/a.b"), "^/v1/a\\.b$");
        assert_eq!(
            credential_of(&super::super::Stub::key(7, "no_contacts_delete")),
            Some("no_contacts_delete")
        );
        assert_eq!(credential_of("wbk_live_x"), None);
        assert_eq!(credential_of("wbk_stub_x_full"), None);
        assert_eq!(workspace_of("wbk_stub_7_read_only"), Some("7"));
    }
}
