//! What a run was asked to select, and what to say when that selects no trial at all.
//!
//! A run of zero trials proves nothing, so it fails (exit code 2) unless
//! `LEADLEX_ALLOW_NO_TESTS=1` asks for it. The message names the selection and, when the
//! filter looks like a mistyped command (`lnit`), the command that was probably meant:
//! the one place that guesses it, from the names the command line defines ([`Commands`]).

use libtest_mimic::Arguments;

use crate::config::ALLOW_NO_TESTS;
use crate::report::files::Problem;

/// Where a run was started from, for the commands its messages suggest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Front {
    /// The `leadlex-conformance` command.
    Command,
    /// The test binary that `cargo test --test conformance` builds and runs.
    TestBinary,
}

impl Front {
    /// How the commands are typed from here.
    pub fn program(self) -> &'static str {
        match self {
            Front::Command => "leadlex-conformance",
            Front::TestBinary => "cargo run --",
        }
    }
}

/// The commands besides running the suite, as the command line defines them, and where
/// the run was started from.
#[derive(Clone, Debug)]
pub struct Commands {
    pub front: Front,
    pub names: Vec<String>,
}

/// The parts of the command line that choose trials.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    pub filter: Option<String>,
    pub exact: bool,
    pub skip: Vec<String>,
    /// `--ignored`: only the scenarios marked `ignore:`.
    pub ignored: bool,
}

impl Selection {
    pub fn of(args: &Arguments) -> Selection {
        Selection {
            filter: args.filter.clone(),
            exact: args.exact,
            skip: args.skip.clone(),
            ignored: args.ignored,
        }
    }

    /// `the filter `lnit``, `--skip `a`, `b``, … joined: what selected nothing.
    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(filter) = &self.filter {
            parts.push(match self.exact {
                true => format!("the exact name `{filter}`"),
                false => format!("the filter `{filter}`"),
            });
        }
        if !self.skip.is_empty() {
            let skipped: Vec<String> = self.skip.iter().map(|s| format!("`{s}`")).collect();
            parts.push(format!("--skip {}", skipped.join(", ")));
        }
        if self.ignored {
            parts.push("--ignored (only scenarios marked `ignore:`)".into());
        }
        match parts.is_empty() {
            true => "the specs".into(),
            false => parts.join(" with "),
        }
    }
}

/// The command among `names` a filter probably meant, if it looks like a mistyped one.
pub fn meant_command<'n>(filter: &str, names: &'n [String]) -> Option<&'n str> {
    if filter.contains(['/', ':', '.']) {
        return None;
    }
    names
        .iter()
        .map(String::as_str)
        .filter(|command| {
            strsim::damerau_levenshtein(filter, command) <= 2
                && strsim::jaro_winkler(filter, command) >= 0.8
        })
        .max_by(|a, b| strsim::jaro_winkler(filter, a).total_cmp(&strsim::jaro_winkler(filter, b)))
}

/// The problem of a run whose selection matched none of its `trials` scenarios.
pub fn nothing_selected(selection: &Selection, trials: usize, commands: &Commands) -> Problem {
    let what = selection.describe();
    let message = format!("no scenario matches {what}, so nothing was run");
    let mut detail = format!("{message}.");
    let program = commands.front.program();
    let meant = selection
        .filter
        .as_deref()
        .and_then(|filter| meant_command(filter, &commands.names));
    if let Some(command) = meant {
        detail.push_str(&format!(
            "\nDid you mean the command `{command}`? It goes first: `{program} {command}`."
        ));
    }
    detail.push_str(&format!(
        "\n`{program} --list` names the {trials} scenario(s)."
    ));
    if commands.front == Front::TestBinary {
        detail.push_str(
            " `cargo test <filter>` passes the filter to every test binary: to filter the \
             harness's own tests, use `cargo test --test harness <filter>`.",
        );
    }
    detail.push_str(&format!(
        "\nSet {ALLOW_NO_TESTS}=1 to allow a run of no scenario."
    ));
    Problem {
        group: "selection".into(),
        name: what,
        message,
        detail,
        place: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(text: &str) -> Selection {
        Selection {
            filter: Some(text.into()),
            ..Selection::default()
        }
    }

    fn commands(front: Front) -> Commands {
        Commands {
            front,
            names: vec!["lint".into(), "cleanup".into()],
        }
    }

    #[test]
    fn mistyped_commands_are_recognised_and_filters_are_not() {
        let names = commands(Front::Command).names;
        let meant_command = |filter| meant_command(filter, &names);
        assert_eq!(meant_command("lnit"), Some("lint"));
        assert_eq!(meant_command("lin"), Some("lint"));
        assert_eq!(meant_command("cleanp"), Some("cleanup"));
        assert_eq!(meant_command("clenaup"), Some("cleanup"));
        assert_eq!(meant_command("delete"), None);
        assert_eq!(meant_command("contacts/lint.yaml"), None);
    }

    #[test]
    fn the_command_suggested_is_typed_as_from_where_the_run_started() {
        let command = nothing_selected(&filter("lnit"), 7, &commands(Front::Command)).detail;
        assert!(
            command.contains("It goes first: `leadlex-conformance lint`.")
                && command.contains("`leadlex-conformance --list` names the 7 scenario(s).")
                && !command.contains("cargo"),
            "{command}"
        );
    }

    #[test]
    fn the_message_names_the_selection() {
        let commands = commands(Front::TestBinary);
        let nothing_selected =
            |selection: &Selection, trials| nothing_selected(selection, trials, &commands);
        let problem = nothing_selected(&filter("lnit"), 7);
        assert_eq!(
            problem.message,
            "no scenario matches the filter `lnit`, so nothing was run"
        );
        assert!(problem
            .detail
            .contains("Did you mean the command `lint`? It goes first: `cargo run -- lint`."));
        assert!(problem.detail.contains("LEADLEX_ALLOW_NO_TESTS=1"));
        let skipped = Selection {
            skip: vec!["contacts".into()],
            ignored: true,
            ..filter("x")
        };
        assert_eq!(
            nothing_selected(&skipped, 7).message,
            "no scenario matches the filter `x` with --skip `contacts` with --ignored \
             (only scenarios marked `ignore:`), so nothing was run"
        );
        assert!(!nothing_selected(&filter("zzz"), 7)
            .detail
            .contains("Did you mean"));
    }
}
