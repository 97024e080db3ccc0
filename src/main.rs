//! `leadlex-conformance`: the conformance suite as a command (`--help` lists the commands).
//!
//! - `leadlex-conformance [test] [FILTER] [options]` runs the same trials as
//!   `cargo test --test conformance` (filters, `--list`, `--exact`, `--ignored`, …);
//! - `leadlex-conformance lint` checks the specs without sending anything and prints the
//!   coverage matrix (exit code 0 when clean, 2 when not);
//! - `leadlex-conformance cleanup <RUN_ID>` removes what an earlier live run created and
//!   could not remove (listed in its ledger under `reports/created/`);
//! - `leadlex-conformance export openapi [--output FILE]` writes the specs as an OpenAPI 3.1
//!   document;
//! - `leadlex-conformance serve [--port N] [--rate-limit N]` serves the stub on 127.0.0.1
//!   until Ctrl-C.
//!
//! Specs are read from `./specs` and reports written to `./reports`, in the directory it
//! is run from, unless `--specs`, `--reports` or their variables say otherwise.

use std::process::ExitCode;

fn main() -> ExitCode {
    leadlex_conformance::command_line()
}
