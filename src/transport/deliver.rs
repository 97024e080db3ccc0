//! Sending one request politely and resiliently: pacing, retries by failure class.
//!
//! Every request waits for its slot from the run's [`Limiter`]. A transport failure is
//! retried with backoff when retrying cannot duplicate an effect: always when no connection
//! was made, and after a reset or a timeout only for idempotent methods (a POST that timed
//! out may have created something; sending it again could create it twice). A 429 that the
//! step does not expect is retried after the pause the gateway asks for. A response that
//! fails a check is never retried: it is the answer. The request's timeout covers all its
//! attempts, so a slow gateway fails within it. Every attempt is reported.

use std::time::{Duration, Instant, SystemTime};

use crate::transport::http::{HttpClient, HttpRequest, HttpResponse, TransportError};
use crate::transport::limit::{Kind, Limiter};

/// How the requests of a run are sent.
pub struct Delivery {
    pub client: HttpClient,
    pub limiter: Limiter,
    /// Retries after the first attempt.
    pub retries: u32,
    /// Learn from rate-limit headers (live gateways; the stub's per-trial keys need not).
    pub observe: bool,
}

/// One attempt, as the caller records it.
pub struct Attempt<'a> {
    pub result: &'a Result<HttpResponse, TransportError>,
    pub elapsed: Duration,
    /// Why this attempt is retried, if it is.
    pub retried: Option<String>,
}

impl Delivery {
    pub async fn send(
        &self,
        http: &HttpRequest,
        kind: Kind,
        accepts_429: bool,
        mut record: impl FnMut(Attempt<'_>),
    ) -> Result<HttpResponse, TransportError> {
        // Pauses a gateway asks for apply to the key it asked: named by its variable.
        let key = http.bearer.as_ref().map_or("", |b| b.shown.as_str());
        let mut attempt = 0;
        // LEADLEX_TIMEOUT_SECS bounds the request: its attempts and the backoff between
        // them. Only the pauses a gateway asks for (Retry-After) and pacing come on top.
        let mut time_left = self.client.timeout();
        loop {
            self.wait_for_slot(kind, key).await?;
            let started = Instant::now();
            let result = self.client.send_within(http, time_left).await;
            time_left = time_left.saturating_sub(started.elapsed());
            self.learn_from(&result, accepts_429, key);
            let pause = pause_after(&result, attempt);
            let may_retry = attempt < self.retries && time_left >= pause + MIN_ATTEMPT;
            let retried = may_retry
                .then(|| retry_reason(&http.method, &result, accepts_429, kind))
                .flatten();
            record(Attempt {
                result: &result,
                elapsed: started.elapsed(),
                retried: retried.clone(),
            });
            if retried.is_none() {
                return result;
            }
            tokio::time::sleep(pause).await;
            time_left = time_left.saturating_sub(pause);
            attempt += 1;
        }
    }

    /// Waits for the request's slot from the limiter. Refused when the limiter refuses it
    /// or the run was interrupted meanwhile.
    async fn wait_for_slot(&self, kind: Kind, key: &str) -> Result<(), TransportError> {
        let at = self
            .limiter
            .reserve(Instant::now(), kind, key)
            .map_err(|refusal| TransportError::Refused(refusal.to_string()))?;
        // A slot already due is taken at once: a timer would round up to the next
        // millisecond.
        if at > Instant::now() {
            tokio::time::sleep_until(at.into()).await;
        }
        if !self.limiter.may_send(kind) {
            return Err(TransportError::Refused(
                "the run was interrupted while the request waited for its slot".into(),
            ));
        }
        Ok(())
    }

    /// Lets the limiter learn from a response (the pause the gateway asks of `key`), when
    /// this delivery observes gateways and the answer is one it [`learns`] from.
    fn learn_from(
        &self,
        result: &Result<HttpResponse, TransportError>,
        accepts_429: bool,
        key: &str,
    ) {
        if let (true, Ok(response)) = (self.observe && learns(accepts_429, result), result) {
            let header = |name: &str| response.header(name).map(str::to_string);
            let (now, wall) = (Instant::now(), SystemTime::now());
            self.limiter
                .observe(now, wall, response.status, &header, key);
        }
    }
}

/// The wait before attempt `attempt + 1`: a [`backoff`] after a transport failure (other
/// than an oversized body), none after an answer.
fn pause_after(result: &Result<HttpResponse, TransportError>, attempt: u32) -> Duration {
    match result {
        Err(error) if !matches!(error, TransportError::BodyTooLarge(_)) => backoff(attempt),
        _ => Duration::ZERO,
    }
}

/// Whether the limiter learns from this answer: a 429 the step expects is its answer,
/// not a request to pause, so it delays nothing else.
fn learns(accepts_429: bool, result: &Result<HttpResponse, TransportError>) -> bool {
    !(accepts_429 && matches!(result, Ok(r) if r.status == 429))
}

/// A retry needs at least this much of the request's time left to be worth sending.
const MIN_ATTEMPT: Duration = Duration::from_millis(200);

/// 250 ms, 500 ms, 1 s, … at most 4 s.
fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(250 << attempt.min(4))
}

/// Why an attempt should be retried, or `None` when its result is the answer.
pub fn retry_reason(
    method: &str,
    result: &Result<HttpResponse, TransportError>,
    accepts_429: bool,
    kind: Kind,
) -> Option<String> {
    let idempotent = matches!(method, "GET" | "HEAD" | "PUT" | "DELETE" | "OPTIONS");
    match result {
        Ok(response) if response.status == 429 && !accepts_429 && kind != Kind::Burst => {
            Some("429 from the gateway; retried after the pause it asked for".into())
        }
        Ok(_) => None,
        // A certificate that fails verification will fail again: not worth a retry.
        Err(TransportError::Connect(e)) if !e.contains("certificate") => {
            Some(format!("could not connect ({e}); retried"))
        }
        Err(TransportError::Timeout(_) | TransportError::Other(_)) if idempotent => Some(format!(
            "{}; retried ({method} is idempotent)",
            error_text(result)
        )),
        Err(_) => None,
    }
}

fn error_text(result: &Result<HttpResponse, TransportError>) -> String {
    match result {
        Err(error) => error.to_string(),
        Ok(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16) -> Result<HttpResponse, TransportError> {
        Ok(HttpResponse {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        })
    }

    #[test]
    fn answers_are_never_retried_but_unexpected_429s_are() {
        assert_eq!(
            retry_reason("GET", &response(500), false, Kind::Paced),
            None
        );
        assert_eq!(
            retry_reason("DELETE", &response(404), false, Kind::Paced),
            None
        );
        assert!(retry_reason("POST", &response(429), false, Kind::Paced).is_some());
        assert_eq!(
            retry_reason("DELETE", &response(429), true, Kind::Paced),
            None
        );
        assert_eq!(
            retry_reason("DELETE", &response(429), false, Kind::Burst),
            None
        );
    }

    #[test]
    fn an_expected_429_teaches_the_limiter_nothing() {
        assert!(!learns(true, &response(429)));
        assert!(learns(false, &response(429)));
        assert!(learns(true, &response(200)));
    }

    #[test]
    fn transport_failures_are_retried_only_where_it_cannot_duplicate_an_effect() {
        let reset = Err(TransportError::Other("connection reset".into()));
        let refused = Err(TransportError::Connect("refused".into()));
        let timeout = Err(TransportError::Timeout(Duration::from_secs(1)));
        assert!(retry_reason("GET", &reset, false, Kind::Paced).is_some());
        assert!(retry_reason("DELETE", &timeout, false, Kind::Paced).is_some());
        assert_eq!(retry_reason("POST", &reset, false, Kind::Paced), None);
        assert_eq!(retry_reason("POST", &timeout, false, Kind::Paced), None);
        assert!(retry_reason("POST", &refused, false, Kind::Paced).is_some());
        let big = Err(TransportError::BodyTooLarge(10));
        assert_eq!(retry_reason("GET", &big, false, Kind::Paced), None);
    }
}
