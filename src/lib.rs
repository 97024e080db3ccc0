//! leadlex-conformance: does the LeadLex REST API keep the promises of its documentation?
//!
//! Each documented request and each documented (status, error code) pair is a YAML scenario
//! under `specs/` (the format is in the README). One run goes:
//!
//! ```text
//! specs/**/*.yaml ─▶ spec::load (one YAML pass into positioned nodes, a reader into the
//!                    spec's structs, cross-checks; every error at once, with file:line:col)
//!                ─▶ plan (trial names; what cannot run here, and why)
//!                ─▶ harness (one libtest-mimic trial per scenario)
//! per trial:        run::Engine ─▶ deliver (limiter, retries) ─▶ http ─▶ stub | live gateway
//!                   check (pure) ─▶ outcome ─▶ render (terminal message: redact, then
//!                   sanitize, then cut to its limits, then colour)
//! at the start:     report_files ─▶ placeholders that read as a failure until the run ends
//! after the run:    session::finish ─▶ summary, coverage, junit, ledger ─▶ leak check
//! ```
//!
//! The stub ([`stub`]) is built from the same specs, so `cargo test` needs no network;
//! `LEADLEX_BASE_URL` points the same trials at a live gateway. Every setting is read in
//! [`config`]; nothing else reads the environment.

pub mod check;
pub mod cleanup;
pub mod config;
pub mod coverage;
pub mod deliver;
pub mod harness;
pub mod http;
pub mod junit;
pub mod leak;
pub mod ledger;
pub mod limit;
pub mod outcome;
pub mod ownership;
pub mod plan;
pub mod redact;
pub mod render;
pub mod report_files;
pub mod request;
pub mod run;
pub mod sanitize;
pub mod selection;
mod session;
mod shared;
pub mod source;
pub mod spec;
pub mod stub;
pub mod template;
