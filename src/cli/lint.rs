//! `lint`: checks the specs without sending anything, then prints the coverage matrix.

use std::path::Path;
use std::process::ExitCode;

use super::prepare::{annotate, load_specs};
use super::EXIT_BROKEN_INPUT;
use crate::config::Config;
use crate::report::coverage::Coverage;
use crate::spec;

/// Checks the specs without sending anything: every problem, then the coverage matrix.
/// Exit code 0 when they are clean, 2 when not.
pub fn lint(lookup: &dyn Fn(&str) -> Option<String>, root: &Path) -> ExitCode {
    let specs_dir = Config::specs_dir(lookup, root);
    match load_specs(&specs_dir) {
        Ok(suite) => {
            // Warnings do not change the exit code: the specs are sound, but stub runs
            // cannot judge everything they describe.
            let warnings = crate::stub::warnings(&suite);
            for warning in &warnings {
                println!("{warning}");
            }
            let warned = match warnings.len() {
                0 => String::new(),
                1 => ", 1 warning".to_string(),
                n => format!(", {n} warnings"),
            };
            println!(
                "{}: {} operations, {} scenarios; no problems found{warned}.\n",
                spec::display_path(&specs_dir),
                suite.operations.len(),
                suite.scenarios.len()
            );
            print!("{}", Coverage::of(&suite).table());
            ExitCode::SUCCESS
        }
        Err(broken) => {
            eprintln!("{}", broken.message(lookup));
            // Lint reads no key: spec problems hold none.
            annotate(lookup, &broken.problems(), &Default::default());
            ExitCode::from(EXIT_BROKEN_INPUT)
        }
    }
}
