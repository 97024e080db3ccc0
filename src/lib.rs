//! leadlex-conformance: does the LeadLex REST API keep the promises of its documentation?
//!
//! Each documented request and each documented (status, error code) pair is a YAML scenario
//! under `specs/` (the format is in the README). One run goes:
//!
//! ```text
//! specs/**/*.yaml ─▶ spec::load (one YAML pass into positioned nodes, a reader into the
//!                    spec's structs, cross-checks; every error at once, with file:line:col)
//!                ─▶ plan (trial names; what cannot run here, and why)
//!                ─▶ cli::args (the command line) ─▶ cli::harness (one libtest-mimic
//!                   trial per scenario, run by a Session)
//! per trial:        engine::Engine ─▶ transport (limiter, retries, http) ─▶ stub | gateway
//!                   engine::check (pure) ─▶ outcome ─▶ report::render (terminal message:
//!                   redact, then sanitize, then cut to its limits, then colour)
//! at the start:     report::files ─▶ placeholders that read as a failure until the run ends
//! after the run:    session ─▶ report (summary, coverage, junit), live::ledger
//!                           ─▶ secrets::leak (read back what was written)
//! other commands:   spec::load ─▶ export::openapi (an OpenAPI 3.1 document, `export openapi`)
//!                   spec::load ─▶ stub::serve (the stub as a server, `serve`)
//! ```
//!
//! Modules import only from the layers below them, listed here from the bottom up:
//!
//! | layer | modules | job |
//! |---|---|---|
//! | 0 | `source`, `sanitize` | positions; hostile text made inert |
//! | 1 | `config`, `spec` | the one reader of settings; the typed specification |
//! | 2 | `secrets`, `transport` | redaction and the leak check; HTTP |
//! | 3 | `outcome`, `stub`, `live` | the contract between running and reporting; the stub gateway (also served on its own: `stub::serve`); what keeps live runs safe |
//! | 4 | `engine`, `export` | one scenario: requests, checks, ownership, cleanup; the suite as OpenAPI |
//! | 5 | `report` | publishing outcomes |
//! | 6 | `plan` | which trials run |
//! | 7 | `session` | one run from start to published reports |
//! | 8 | `cli` | the commands and exit codes |
//!
//! `tests/harness/architecture.rs` holds this table: a module importing from its own layer
//! or one above fails it, as do files of one folder importing each other in a circle.
//!
//! The stub (`stub`) is built from the same specs, so `cargo test` needs no network;
//! `LEADLEX_BASE_URL` points the same trials at a live gateway. Every setting is read in
//! `config`; nothing else reads the environment.

mod cli;
mod config;
mod engine;
mod export;
mod live;
mod outcome;
mod plan;
mod report;
mod sanitize;
mod secrets;
mod session;
mod source;
mod spec;
mod stub;
mod transport;

// The commands.
pub use cli::cleanup::cleanup;
pub use cli::command_line;
pub use cli::harness::{main, run_quietly};
pub use cli::lint::lint;
// Settings.
pub use config::{Config, Secret};
// The engine and the parts a test may assemble it from.
pub use engine::{Engine, Keys};
pub use transport::{deliver::Delivery, http::HttpClient, limit::Limiter};
// The contract between running and reporting.
pub use outcome::{Check, ExchangeSummary, Mismatch, Outcome, RunFacts, Verdict};
// Reports.
pub use report::coverage::{Coverage, PairState};
pub use report::junit::report as junit_report;
pub use report::render::failure_text;
pub use secrets::redact::Redactor;
// The specification.
pub use source::{Pos, Span};
pub use spec::{
    load, Captured, Cleanup, Operation, Request, Scenario, SpecError, Step, Suite,
    MAX_SCHEMA_FILE_BYTES, MAX_SPEC_FILE_BYTES,
};
// The stub, and the stub served on its own.
pub use stub::serve::{start as serve, ServeError, ServeOptions, Served};
pub use stub::{Answered, RequestLog, Stub, StubOptions, NO_ROUTE_CODE, NO_ROUTE_STATUS};
// Other formats.
pub use export::openapi::openapi;
pub use export::ExportError;
