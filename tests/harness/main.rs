//! The harness's own tests: the conformance trials against deliberately wrong gateways,
//! live mode against a local documented-behaviour gateway, and the command line.
//!
//! One integration binary (modules below) builds faster than one binary per file.

#[path = "../support/mod.rs"]
mod support;

mod architecture;
mod body_limit;
mod ci;
mod cli;
mod common;
mod coverage;
mod csv_export;
mod deviations;
mod export;
mod front_door;
mod gateway_selftest;
mod golden;
mod honest_stub;
mod https;
mod interop;
mod live;
mod matchers;
mod merge;
mod output;
mod reports;
mod residue;
mod resilience;
mod safety;
mod secrets;
mod serve;
mod serve_live;
mod spec_corpus;
mod specs;
mod stale_reports;
mod stub_engine;
