//! leadlex-conformance: does the LeadLex REST API keep the promises of its documentation?

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
pub mod plan;
pub mod redact;
pub mod render;
pub mod run;
mod session;
pub mod source;
pub mod spec;
pub mod stub;
pub mod template;
