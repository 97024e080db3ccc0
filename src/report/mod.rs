//! Publishing a run: the terminal text of each trial ([`render`]), the JUnit report
//! ([`junit`]), the coverage matrix ([`coverage`]) and the report files themselves
//! ([`files`]: placeholders at the start, atomic writes at the end), all published at the
//! end of a run by [`publish`], which also reads back what was written for secrets.
//!
//! Reporters read [`crate::outcome`] and nothing of the engine's state.

pub mod coverage;
pub mod files;
pub mod junit;
pub mod publish;
pub mod render;
