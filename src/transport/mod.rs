//! Getting a request to the gateway and its answer back: the one HTTP client ([`http`]), the
//! per-key rate limit and request budget ([`limit`]), and retries on 429 and transient
//! failures ([`deliver`]).

pub mod deliver;
pub mod http;
pub mod limit;
