//! Politeness towards a live gateway: one limiter shared by every trial thread.
//!
//! It paces requests evenly at the configured rate (so a burst of parallel trials stays
//! under it), stops the run when its request budget is spent, and learns from the
//! gateway: `Retry-After` on a 429, and `X-RateLimit-Remaining: 0` with
//! `X-RateLimit-Reset`, hold every request until then, or, when that is further away than
//! the longest wait allowed, stop the run with the time the quota comes back. Those pauses
//! apply to the key that was told to pause: requests made with other keys go on (a key
//! is named by its variable, never by its value). The logic takes the current instant as
//! an argument, so it is tested without sleeping.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Why a request may not be sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The run's request budget is spent.
    BudgetSpent(u64),
    /// The gateway asked for a pause longer than the longest wait allowed.
    QuotaExhausted { wait: Duration, why: String },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::BudgetSpent(budget) => write!(
                f,
                "the run's request budget of {budget} is spent (raise LEADLEX_MAX_REQUESTS to allow more)"
            ),
            Refusal::QuotaExhausted { wait, why } => write!(
                f,
                "the gateway's quota is exhausted: {why}, which is {} s away, longer than LEADLEX_MAX_WAIT_SECS",
                wait.as_secs()
            ),
        }
    }
}

/// How a request relates to the limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An ordinary request: paced and counted.
    Paced,
    /// A deliberate burst (the 429 scenario): counted, not paced, not held.
    Burst,
    /// Removing what the run created: paced and held for the pauses a gateway asks for
    /// (within the longest wait allowed), but never refused.
    Cleanup,
}

pub struct Limiter {
    /// Set by Ctrl-C: a request still waiting for its slot is not sent (cleanup is).
    interrupted: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// Time between two paced requests; zero means no pacing (the stub).
    interval: Duration,
    budget: Option<u64>,
    max_wait: Duration,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    next_slot: Option<Instant>,
    spent: u64,
    /// By key: the gateway asked for no requests before this instant.
    held_until: HashMap<String, Instant>,
    /// By key: the gateway asked for a longer pause than allowed; only cleanup may still
    /// go with that key.
    stopped: HashMap<String, Refusal>,
}

impl Limiter {
    /// `per_minute`: requests per minute (`None`: no pacing); `budget`: requests per run.
    pub fn new(per_minute: Option<u32>, budget: Option<u64>, max_wait: Duration) -> Limiter {
        let interval = per_minute
            .filter(|rpm| *rpm > 0)
            .map_or(Duration::ZERO, |rpm| Duration::from_secs(60) / rpm);
        Limiter {
            interrupted: None,
            interval,
            budget,
            max_wait,
            state: Mutex::default(),
        }
    }

    /// Requests of every kind but cleanup stop being sent once `flag` is set, even those
    /// already waiting for their slot.
    pub fn with_interrupt(mut self, flag: std::sync::Arc<std::sync::atomic::AtomicBool>) -> Self {
        self.interrupted = Some(flag);
        self
    }

    /// Whether a request of `kind` whose slot has come may still be sent.
    pub fn may_send(&self, kind: Kind) -> bool {
        let interrupted = self
            .interrupted
            .as_ref()
            .is_some_and(|f| f.load(std::sync::atomic::Ordering::SeqCst));
        kind == Kind::Cleanup || !interrupted
    }

    /// Requests sent (or about to be) so far, cleanup included.
    pub fn spent(&self) -> u64 {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).spent
    }

    /// Reserves the next slot for a request made with `key` (the name of its credential
    /// variable, or `""` for none): the instant at which it may be sent.
    pub fn reserve(&self, now: Instant, kind: Kind, key: &str) -> Result<Instant, Refusal> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if kind != Kind::Cleanup {
            // A burst is meant to run into the limit, so only the budget stops it.
            if let Some(refusal) = state.stopped.get(key).filter(|_| kind == Kind::Paced) {
                return Err(refusal.clone());
            }
            if self.budget.is_some_and(|budget| state.spent >= budget) {
                return Err(Refusal::BudgetSpent(state.spent));
            }
        }
        state.spent += 1;
        if kind == Kind::Burst {
            return Ok(now);
        }
        // Cleanup waits too: a `DELETE` retried at once after a 429 would only be refused
        // again, and leave the record behind.
        let mut at = now;
        let held = state.held_until.get(key).copied();
        if let Some(held) = held.filter(|h| *h > now) {
            at = held;
        }
        if self.interval.is_zero() {
            return Ok(at);
        }
        if let Some(slot) = state.next_slot.filter(|s| *s > at) {
            at = slot;
        }
        state.next_slot = Some(at + self.interval);
        Ok(at)
    }

    /// Learns from a response's status and headers: holds later requests for the pause the
    /// gateway asks for, or, when that is longer than allowed, stops all but cleanup.
    /// The pauses apply to requests made with `key` only.
    pub fn observe(
        &self,
        now: Instant,
        wall: SystemTime,
        status: u16,
        header: &dyn Fn(&str) -> Option<String>,
        key: &str,
    ) {
        let Some((wait, why)) = pause_asked(wall, status, header) else {
            return;
        };
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if wait > self.max_wait {
            let refusal = Refusal::QuotaExhausted { wait, why };
            state.stopped.insert(key.to_string(), refusal);
            return;
        }
        let until = now + wait;
        let held = state.held_until.entry(key.to_string()).or_insert(until);
        *held = (*held).max(until);
    }
}

/// The pause a response asks for, and the header that asked: `Retry-After` (seconds) on a
/// 429, else `X-RateLimit-Reset` when `X-RateLimit-Remaining` is 0. A 429 without either
/// asks for one second, so that retries never hammer.
pub fn pause_asked(
    wall: SystemTime,
    status: u16,
    header: &dyn Fn(&str) -> Option<String>,
) -> Option<(Duration, String)> {
    let number = |name: &str| header(name).and_then(|v| v.trim().parse::<u64>().ok());
    if status == 429 {
        if let Some(seconds) = number("retry-after") {
            return Some((
                Duration::from_secs(seconds),
                format!("Retry-After: {seconds}"),
            ));
        }
    }
    if number("x-ratelimit-remaining") == Some(0) {
        if let Some(reset) = number("x-ratelimit-reset") {
            let now = wall
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs();
            let wait = Duration::from_secs(reset.saturating_sub(now));
            let when = chrono::DateTime::from_timestamp(reset as i64, 0).map_or_else(
                || reset.to_string(),
                |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            );
            return Some((
                wait,
                format!("X-RateLimit-Remaining: 0 until X-RateLimit-Reset {when}"),
            ));
        }
    }
    (status == 429).then(|| {
        (
            Duration::from_secs(1),
            "429 without Retry-After".to_string(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn a_burst_of_parallel_reservations_is_spaced_at_the_rate() {
        let limiter = Limiter::new(Some(120), None, Duration::from_secs(60));
        let start = Instant::now();
        let slots: Vec<Instant> = (0..20)
            .map(|_| limiter.reserve(start, Kind::Paced, "K").unwrap())
            .collect();
        for (i, slot) in slots.iter().enumerate() {
            assert_eq!(*slot - start, Duration::from_millis(500) * i as u32);
        }
        // In any one-minute window there are at most 120 requests: here, 20 spread over 9.5 s.
        assert_eq!(*slots.last().unwrap() - start, Duration::from_millis(9500));
    }

    #[test]
    fn the_budget_stops_the_run_but_never_cleanup() {
        let limiter = Limiter::new(None, Some(2), Duration::ZERO);
        let now = Instant::now();
        assert!(limiter.reserve(now, Kind::Paced, "K").is_ok());
        assert!(limiter.reserve(now, Kind::Burst, "K").is_ok());
        assert_eq!(
            limiter.reserve(now, Kind::Paced, "K"),
            Err(Refusal::BudgetSpent(2))
        );
        assert!(limiter.reserve(now, Kind::Cleanup, "K").is_ok());
    }

    #[test]
    fn retry_after_holds_every_paced_request_but_not_bursts() {
        let limiter = Limiter::new(None, None, Duration::from_secs(10));
        let now = Instant::now();
        limiter.observe(
            now,
            SystemTime::now(),
            429,
            &headers(&[("retry-after", "3")]),
            "K",
        );
        assert_eq!(
            limiter.reserve(now, Kind::Paced, "K").unwrap() - now,
            Duration::from_secs(3)
        );
        assert_eq!(limiter.reserve(now, Kind::Burst, "K").unwrap(), now);
        assert_eq!(
            limiter.reserve(now, Kind::Paced, "OTHER").unwrap(),
            now,
            "another key is not held"
        );
    }

    #[test]
    fn cleanup_waits_for_a_pause_it_is_asked_for_but_is_never_refused() {
        let limiter = Limiter::new(None, None, Duration::from_secs(10));
        let now = Instant::now();
        limiter.observe(now, SystemTime::now(), 429, &headers(&[]), "K");
        assert_eq!(
            limiter.reserve(now, Kind::Cleanup, "K").unwrap() - now,
            Duration::from_secs(1),
            "a 429 without hints: one second, as for any request"
        );
        limiter.observe(
            now,
            SystemTime::now(),
            429,
            &headers(&[("retry-after", "3600")]),
            "K",
        );
        assert!(limiter.reserve(now, Kind::Paced, "K").is_err());
        assert_eq!(
            limiter.reserve(now, Kind::Cleanup, "K").unwrap() - now,
            Duration::from_secs(1),
            "a pause longer than allowed is not waited for: cleanup still goes"
        );
    }

    #[test]
    fn an_exhausted_quota_far_away_stops_the_run_with_the_reset_time() {
        let limiter = Limiter::new(None, None, Duration::from_secs(60));
        let wall = UNIX_EPOCH + Duration::from_secs(1_708_900_000);
        let now = Instant::now();
        limiter.observe(
            now,
            wall,
            200,
            &headers(&[
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset", "1708905600"),
            ]),
            "K",
        );
        let answer = limiter.reserve(now, Kind::Paced, "K");
        let Err(Refusal::QuotaExhausted { wait, why }) = answer else {
            panic!("{answer:?}")
        };
        assert_eq!(wait, Duration::from_secs(5600));
        assert!(why.contains("2024-02-26 00:00:00 UTC"), "{why}");
        assert!(
            limiter.reserve(now, Kind::Cleanup, "K").is_ok(),
            "cleanup still goes"
        );
        assert!(limiter.reserve(now, Kind::Paced, "OTHER").is_ok());
    }

    #[test]
    fn a_429_without_hints_still_pauses_a_second() {
        let none = headers(&[]);
        assert_eq!(
            pause_asked(SystemTime::now(), 429, &none).unwrap().0,
            Duration::from_secs(1)
        );
        assert_eq!(pause_asked(SystemTime::now(), 200, &none), None);
    }
}
