//! `serve --latency` and `--fail-rate`: a slow, unreliable stub, for client developers who
//! test their timeouts and retries. Off unless asked for.
//!
//! [`Faulty`] wraps a responder. For every request it draws, from one pseudo-random
//! sequence ([`Faults::seed`], `--fail-seed`), whether the request fails and how long its
//! answer waits. A failed request never reaches the operation (no record changes, no
//! rate-limit budget is spent) and is answered `503` with `Retry-After: 1`, an error body
//! in the documented envelope (`service_unavailable`) and the header
//! `X-LeadLex-Stub: injected-failure`. 503 is no documented LeadLex pair: it stands for the
//! overloaded gateway or proxy a client meets in production, and the log line says it was
//! injected. Every answer, injected or not, is sent after its delay.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use wiremock::{Request, Respond, ResponseTemplate};

use super::{Answered, RequestLog, NO_ROUTE_HEADER};

/// The status of an injected failure.
pub const INJECTED_STATUS: u16 = 503;
/// Its error code, in the documented envelope.
pub const INJECTED_CODE: &str = "service_unavailable";
/// The value of [`NO_ROUTE_HEADER`] that marks an injected failure.
pub const INJECTED_MARK: &str = "injected-failure";
/// Seconds an injected failure asks the client to wait (`Retry-After`).
pub const RETRY_AFTER_SECS: u32 = 1;
/// The longest delay `--latency` accepts, in milliseconds.
pub const MAX_LATENCY_MS: u64 = 60_000;

/// How slow and how unreliable a stub is.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FaultOptions {
    /// Each answer waits a number of milliseconds drawn evenly from this range (inclusive).
    pub latency: Option<Latency>,
    /// The share of requests (0 to 1) answered with an injected failure.
    pub fail_rate: f64,
    /// Starts the pseudo-random sequence; `None`: a random start (printed, to repeat it).
    pub seed: Option<u64>,
}

impl FaultOptions {
    /// Whether any fault is asked for.
    pub fn any(&self) -> bool {
        self.latency.is_some_and(|l| l.max_ms > 0) || self.fail_rate > 0.0
    }
}

/// A delay in milliseconds, fixed (`min_ms == max_ms`) or drawn from a range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Latency {
    pub min_ms: u64,
    pub max_ms: u64,
}

impl std::str::FromStr for Latency {
    type Err = String;

    /// `250` or `100-300` (milliseconds).
    fn from_str(text: &str) -> Result<Latency, String> {
        let number = |part: &str| {
            part.trim().parse::<u64>().map_err(|_| {
                format!("`{text}` is not a number of milliseconds (250) or a range (100-300)")
            })
        };
        let (min_ms, max_ms) = match text.split_once('-') {
            Some((min, max)) => (number(min)?, number(max)?),
            None => (number(text)?, number(text)?),
        };
        if min_ms > max_ms {
            return Err(format!(
                "the range {min_ms}-{max_ms} ends before it starts (write MIN-MAX)"
            ));
        }
        if max_ms > MAX_LATENCY_MS {
            return Err(format!(
                "{max_ms} ms is more than the {MAX_LATENCY_MS} ms the stub waits at most"
            ));
        }
        Ok(Latency { min_ms, max_ms })
    }
}

impl std::fmt::Display for Latency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.min_ms == self.max_ms {
            true => write!(f, "{} ms", self.min_ms),
            false => write!(f, "{}-{} ms", self.min_ms, self.max_ms),
        }
    }
}

/// A share of requests: a number from 0 to 1.
pub fn parse_fail_rate(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(rate) if (0.0..=1.0).contains(&rate) => Ok(rate),
        _ => Err(format!(
            "`{text}` is not a share of requests from 0 to 1 (0.2 fails one request in five)"
        )),
    }
}

/// The faults of one stub, with the pseudo-random sequence they are drawn from.
pub struct Faults {
    options: FaultOptions,
    /// Where the sequence started.
    pub seed: u64,
    state: Mutex<u64>,
}

impl Faults {
    pub fn new(options: FaultOptions) -> Faults {
        let seed = options
            .seed
            .unwrap_or_else(|| uuid::Uuid::new_v4().as_u64_pair().0);
        Faults {
            options,
            seed,
            state: Mutex::new(seed),
        }
    }

    pub fn options(&self) -> &FaultOptions {
        &self.options
    }

    /// Whether the next request fails, and how long its answer waits: two draws per
    /// request, always in this order, so a sequence of requests sees the same faults for
    /// the same seed.
    fn draw(&self) -> (bool, Duration) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let fail = unit(splitmix64(&mut state)) < self.options.fail_rate;
        let spread = splitmix64(&mut state);
        let delay = self
            .options
            .latency
            .map_or(0, |l| l.min_ms + spread % (l.max_ms - l.min_ms + 1));
        (fail, Duration::from_millis(delay))
    }
}

/// The next number of the SplitMix64 sequence (Steele, Lea and Flood, 2014).
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A number from 0 (included) to 1 (excluded).
fn unit(random: u64) -> f64 {
    (random >> 11) as f64 / (1u64 << 53) as f64
}

/// A responder with the faults of its stub, if it has any.
pub struct Faulty<R> {
    pub inner: R,
    pub faults: Option<Arc<Faults>>,
    /// The operation `inner` answers for (`None`: the no-route answer), for the log.
    pub operation: Option<String>,
    pub log: Option<RequestLog>,
}

impl<R> Faulty<R> {
    /// `inner` with the stub's faults and log, answering for `operation`.
    pub fn new(
        inner: R,
        (faults, log): &(Option<Arc<Faults>>, Option<RequestLog>),
        operation: Option<&str>,
    ) -> Faulty<R> {
        Faulty {
            inner,
            faults: faults.clone(),
            operation: operation.map(str::to_string),
            log: log.clone(),
        }
    }
}

impl<R: Respond> Respond for Faulty<R> {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let Some(faults) = &self.faults else {
            return self.inner.respond(request);
        };
        let (fail, delay) = faults.draw();
        let answer = match fail {
            false => self.inner.respond(request),
            true => {
                if let Some(log) = &self.log {
                    log(&Answered {
                        method: request.method.to_string(),
                        path: request.url.path().to_string(),
                        status: INJECTED_STATUS,
                        operation: self.operation.clone(),
                        injected: true,
                    });
                }
                injected_failure()
            }
        };
        match delay.is_zero() {
            true => answer,
            false => answer.set_delay(delay),
        }
    }
}

/// The answer to a request chosen to fail.
fn injected_failure() -> ResponseTemplate {
    ResponseTemplate::new(INJECTED_STATUS)
        .set_body_json(json!({"error": {
            "code": INJECTED_CODE,
            "message": format!(
                "Service temporarily unavailable (injected by the stub's --fail-rate); \
                 retry after {RETRY_AFTER_SECS} second(s)"
            ),
        }}))
        .insert_header("Retry-After", RETRY_AFTER_SECS.to_string())
        .insert_header(NO_ROUTE_HEADER, INJECTED_MARK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_is_a_number_or_a_range_of_milliseconds() {
        let fixed = Latency {
            min_ms: 250,
            max_ms: 250,
        };
        assert_eq!("250".parse(), Ok(fixed));
        assert_eq!(fixed.to_string(), "250 ms");
        let range: Latency = "100-300".parse().unwrap();
        assert_eq!((range.min_ms, range.max_ms), (100, 300));
        assert_eq!(range.to_string(), "100-300 ms");
        assert_eq!("0".parse::<Latency>().map(|l| l.max_ms), Ok(0));
        for bad in ["", "x", "-5", "1-", "300-100", "1.5", "60001", "1-2-3"] {
            assert!(bad.parse::<Latency>().is_err(), "{bad}");
        }
        assert_eq!(
            "300-100".parse::<Latency>(),
            Err("the range 300-100 ends before it starts (write MIN-MAX)".into())
        );
    }

    #[test]
    fn a_fail_rate_is_a_share_from_0_to_1() {
        assert_eq!(parse_fail_rate("0"), Ok(0.0));
        assert_eq!(parse_fail_rate("0.25"), Ok(0.25));
        assert_eq!(parse_fail_rate("1"), Ok(1.0));
        for bad in ["", "-0.1", "1.01", "NaN", "inf", "x", "20%"] {
            assert!(parse_fail_rate(bad).is_err(), "{bad}");
        }
    }

    fn draws(options: FaultOptions, n: usize) -> Vec<(bool, Duration)> {
        let faults = Faults::new(options);
        (0..n).map(|_| faults.draw()).collect()
    }

    #[test]
    fn the_same_seed_draws_the_same_faults_at_about_the_asked_rate() {
        let options = FaultOptions {
            latency: Some("10-20".parse().unwrap()),
            fail_rate: 0.25,
            seed: Some(7),
        };
        let first = draws(options, 10_000);
        assert_eq!(first, draws(options, 10_000));
        let other = draws(
            FaultOptions {
                seed: Some(8),
                ..options
            },
            10_000,
        );
        assert_ne!(first, other);
        let failed = first.iter().filter(|(fail, _)| *fail).count();
        assert!((2_300..2_700).contains(&failed), "{failed}");
        let delays: Vec<u64> = first.iter().map(|(_, d)| d.as_millis() as u64).collect();
        assert!(delays.iter().all(|d| (10..=20).contains(d)));
        assert!(delays.contains(&10) && delays.contains(&20));
    }

    #[test]
    fn no_fault_is_drawn_unless_asked_for() {
        let off = FaultOptions::default();
        assert!(!off.any());
        assert!(draws(off, 1_000)
            .iter()
            .all(|d| *d == (false, Duration::ZERO)));
        let always = FaultOptions {
            fail_rate: 1.0,
            ..off
        };
        assert!(always.any());
        assert!(draws(always, 1_000).iter().all(|(fail, _)| *fail));
    }
}
