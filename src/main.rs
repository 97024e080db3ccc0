//! `leadlex-conformance`: the conformance suite as a command, with libtest's options.
//!
//! The same trials as `cargo test --test conformance`; specs and reports are looked for
//! in the crate directory unless `LEADLEX_SPECS` and `LEADLEX_JUNIT` say otherwise.

fn main() -> std::process::ExitCode {
    leadlex_conformance::harness::main(std::path::Path::new(env!("CARGO_MANIFEST_DIR")))
}
