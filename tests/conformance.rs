//! The conformance suite: one libtest trial per scenario under `specs/`.
//!
//! Runs against the in-process stub unless `LEADLEX_BASE_URL` names a live gateway.

fn main() -> std::process::ExitCode {
    leadlex_conformance::main(std::path::Path::new(env!("CARGO_MANIFEST_DIR")))
}
