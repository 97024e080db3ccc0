//! Publishing a run: the terminal text of each trial ([`render`]), the JUnit report
//! ([`junit`]), the coverage matrix ([`coverage`]) and the report files themselves
//! ([`files`]: placeholders at the start, atomic writes at the end), all published at the
//! end of a run by [`publish`], which also reads back what was written for secrets. In
//! GitHub Actions, failures and broken specs are also printed as [`annotations`] at their
//! spec line ([`location`]: files as CI tools read them).
//!
//! Reporters read [`crate::outcome`] and nothing of the engine's state.

pub mod annotations;
pub mod coverage;
pub mod files;
pub mod junit;
pub mod location;
pub mod publish;
pub mod render;
