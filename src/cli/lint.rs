//! `lint`: checks the specs without sending anything, then prints the coverage matrix.

use std::path::Path;
use std::process::ExitCode;

use super::prepare::{annotate, load_specs};
use super::EXIT_BROKEN_INPUT;
use crate::config::Config;
use crate::report::annotations;
use crate::report::coverage::Coverage;
use crate::report::publish::Console;
use crate::spec::{self, Suite};

/// Checks the specs without sending anything: every problem, then the coverage matrix.
/// Exit code 0 when they are clean, 2 when not.
pub fn lint(lookup: &dyn Fn(&str) -> Option<String>, root: &Path) -> ExitCode {
    let specs_dir = Config::specs_dir(lookup, root);
    match load_specs(&specs_dir) {
        Ok(suite) => {
            // Operation ids and scenario names come from file names: in GitHub Actions,
            // nothing of them is read as a workflow command.
            let token = Config::github_annotations(lookup).then(annotations::new_token);
            Console::Stdout.paused(token.as_deref(), || report(&specs_dir, &suite));
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

/// The warnings, the count of what was checked, and the coverage matrix of sound specs.
fn report(specs_dir: &Path, suite: &Suite) {
    // Warnings do not change the exit code: the specs are sound, but stub runs cannot
    // judge everything they describe.
    let warnings = crate::stub::warnings(suite);
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
        spec::display_path(specs_dir),
        suite.operations.len(),
        suite.scenarios.len()
    );
    print!("{}", Coverage::of(suite).table());
}
