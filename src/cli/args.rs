//! The command line, defined with clap: running the scenarios (`test`, also what runs when
//! no command is given), `lint` and `cleanup`, each with its help, and the options every
//! command shares (`--specs`, `--reports`).
//!
//! A command is one variant of [`Command`] (its help in its doc comment and attributes)
//! and one arm of the match in [`super::command_line`]. The names of the commands come
//! from here alone, for the "did you mean" of a filter that matches nothing
//! ([`command_names`]).
//!
//! The run's options embed libtest's ([`libtest_mimic::Arguments`], itself a clap parser),
//! so that `leadlex-conformance delete --exact …` reads as `cargo test` does, and the
//! test binary (`cargo test --test conformance -- …`) reads the same options
//! ([`TestBinary`]).

use clap::builder::NonEmptyStringValueParser;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use libtest_mimic::{Arguments, FormatSetting};

use crate::config::{Flags, REPORTS, SPECS};
use crate::stub::faults::{parse_fail_rate, Latency};

/// clap's own layout: libtest-mimic's `Arguments` brings a template of its own, which
/// would leave out the commands and the examples.
const HELP_TEMPLATE: &str = "\
{before-help}{about-with-newline}
{usage-heading} {usage}

{all-args}{after-help}";

const ABOUT: &str = "\
Does the LeadLex REST API keep the promises of its documentation? Runs the YAML scenarios
under ./specs, one test each, against an in-process stub built from them, or against a
live gateway when LEADLEX_BASE_URL is set.";

const EXAMPLES: &str = "\
Examples:
  leadlex-conformance                  Run every scenario against the stub
  leadlex-conformance delete           Run the scenarios whose name contains `delete`
  leadlex-conformance --outcomes json  One JSON object per scenario on stdout, for other tools
  leadlex-conformance lint             Check the specs without sending anything
  LEADLEX_BASE_URL=https://data.leadlex.com/functions/v1/api-gateway \\
  LEADLEX_API_KEY=wbk_... leadlex-conformance
                                       The same scenarios against the live gateway

Settings are environment variables (LEADLEX_*, listed in the README); --specs and
--reports win over LEADLEX_SPECS and LEADLEX_REPORTS.

Exit codes: 0 every scenario passed or was ignored; 101 a scenario failed; 2 broken specs,
settings or command line, or a selection of no scenario (nothing was sent); 3 a secret
was found in the run's output or reports; 130 interrupted (after cleaning up).";

const TEST_ABOUT: &str = "Run the scenarios (what runs when no command is given)";

const TEST_LONG_ABOUT: &str = "\
Runs the scenarios under the specs directory, one libtest trial each: what runs when no
command is given. A FILTER runs the scenarios whose name contains it; libtest's options
select, list and format the trials as `cargo test` does. Writes junit.xml and
coverage.json to the reports directory.";

const TEST_EXAMPLES: &str = "\
Examples:
  leadlex-conformance test delete --skip rate_limit
  leadlex-conformance test --exact contacts/get.yaml::unknown_id_is_not_found
  leadlex-conformance test --list
  leadlex-conformance test --format json
                       libtest's JSON events alone on stdout, the summary on stderr
  leadlex-conformance test lint
                       The scenarios whose name contains `lint` (not the command)";

const LINT_LONG_ABOUT: &str = "\
Checks every spec file without sending anything: each problem with its file:line:col,
then the coverage matrix as the specs declare it. Exit code 0 when the specs are clean
(warnings allowed), 2 when not.";

const LINT_EXAMPLES: &str = "\
Examples:
  leadlex-conformance lint
  leadlex-conformance lint --specs ../api/specs";

const CLEANUP_LONG_ABOUT: &str = "\
Removes what an earlier live run created and could not remove, as that run's ledger lists
it (<reports>/created/<RUN_ID>.jsonl). Nothing outside the ledger is touched, and an entry
that is not under LEADLEX_BASE_URL is refused. Exit code 0 when nothing is left, 1 when
something is, 2 when it could not try.";

const CLEANUP_EXAMPLES: &str = "\
Example:
  LEADLEX_BASE_URL=https://data.leadlex.com/functions/v1/api-gateway \\
  LEADLEX_API_KEY=wbk_... leadlex-conformance cleanup 20261129T061500Z-3f2a91";

/// `leadlex-conformance [COMMAND] …`.
#[derive(Debug, Parser)]
#[command(
    name = "leadlex-conformance",
    version,
    about = ABOUT,
    long_about = None,
    after_help = EXAMPLES,
    help_template = HELP_TEMPLATE,
    disable_version_flag = false,
    // A first word that names no command is the filter of a run (`leadlex-conformance
    // delete`), and so is one after the run's options.
    args_conflicts_with_subcommands = true,
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub paths: Paths,
    #[command(
        flatten,
        next_help_heading = "Run options (when no command is given, as for `test`)"
    )]
    pub run: RunArgs,
}

/// The commands. A new one is a variant here and an arm in [`super::command_line`].
#[derive(Debug, Subcommand)]
pub enum Command {
    #[command(
        about = TEST_ABOUT,
        long_about = TEST_LONG_ABOUT,
        after_help = TEST_EXAMPLES,
        help_template = HELP_TEMPLATE,
    )]
    Test(RunArgs),
    /// Check the specs without sending anything, then print the coverage matrix
    #[command(long_about = LINT_LONG_ABOUT, after_help = LINT_EXAMPLES)]
    Lint,
    /// Remove what an earlier live run created and could not remove
    #[command(long_about = CLEANUP_LONG_ABOUT, after_help = CLEANUP_EXAMPLES)]
    Cleanup(CleanupArgs),
    /// Serve the stub built from the specs on 127.0.0.1 until Ctrl-C
    #[command(long_about = SERVE_LONG_ABOUT, after_help = SERVE_EXAMPLES)]
    Serve(ServeArgs),
    /// Write the specs in another format (OpenAPI 3.1)
    #[command(after_help = EXPORT_EXAMPLES)]
    Export(ExportArgs),
}

const SERVE_LONG_ABOUT: &str = "Serve the stub built from the specs on 127.0.0.1 until \
Ctrl-C (or SIGTERM): the same stub `cargo test` runs against, for developing a client. It \
prints its base URL and a key per credential, then one line per request (time, method, \
path, status, operation). State lives in memory for the server's lifetime; --seed FILE \
gives it records to start with. --latency and --fail-rate make it slow and unreliable, for \
testing a client's timeouts and retries (off by default).";

const SERVE_EXAMPLES: &str = "Examples:
  leadlex-conformance serve
  leadlex-conformance serve --port 0 --rate-limit 1000
  leadlex-conformance serve --seed contacts.json
  leadlex-conformance serve --latency 50-500 --fail-rate 0.2 --fail-seed 7
  LEADLEX_BASE_URL=http://127.0.0.1:4010 LEADLEX_API_KEY=wbk_stub_0_full leadlex-conformance";

const EXPORT_EXAMPLES: &str = "Examples:
  leadlex-conformance export openapi > openapi.json
  leadlex-conformance export openapi --output openapi.json";

/// `serve [--port N] [--rate-limit N] [--seed FILE] [--latency MS] [--fail-rate P]
/// [--fail-seed N]`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The port on 127.0.0.1 (0 picks a free one)
    #[arg(long, value_name = "N", default_value_t = crate::stub::serve::DEFAULT_PORT)]
    pub port: u16,
    /// Requests per key before 429 [default: suite.yaml's stub.rate_limit]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit: Option<u32>,
    /// Ignore the operations' own rate limits (an export's 10 calls an hour per workspace)
    #[arg(long)]
    pub no_operation_limits: bool,
    /// Records to start with: a JSON object of collections, e.g. {"contacts": [{"id": "…"}]}
    #[arg(long, value_name = "FILE", value_parser = NonEmptyStringValueParser::new())]
    pub seed: Option<String>,
    /// Delay every answer by MS milliseconds, or by a random time in MIN-MAX
    #[arg(long, value_name = "MS|MIN-MAX", value_parser = |s: &str| s.parse::<Latency>())]
    pub latency: Option<Latency>,
    /// Answer this share of requests (0 to 1) with 503 and Retry-After: 1 [default: 0]
    #[arg(long, value_name = "P", value_parser = parse_fail_rate)]
    pub fail_rate: Option<f64>,
    /// Start the random sequence of --latency and --fail-rate here, to repeat a run
    #[arg(long, value_name = "N")]
    pub fail_seed: Option<u64>,
}

/// `export <FORMAT> [--output FILE]`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The format to write
    #[arg(value_enum, value_name = "FORMAT")]
    pub format: ExportFormat,
    /// Write to FILE instead of standard output
    #[arg(long, short, value_name = "FILE", value_parser = NonEmptyStringValueParser::new())]
    pub output: Option<String>,
}

/// The formats of `export`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// An OpenAPI 3.1 document (JSON)
    Openapi,
}

/// The options of a run: libtest's, and the outcomes as JSON Lines.
#[derive(Clone, Debug, Default, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub libtest: Arguments,
    /// One JSON object per finished scenario alone on stdout (JSON Lines); the rest on stderr
    #[arg(long, value_name = "FORMAT")]
    pub outcomes: Option<OutcomesFormat>,
}

impl RunArgs {
    /// libtest's `--format json`: its events alone on stdout.
    pub fn libtest_json(&self) -> bool {
        self.libtest.format == Some(FormatSetting::Json)
    }
}

/// The formats of `--outcomes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutcomesFormat {
    // JSON Lines: one object per line (no doc comment: the help lists the value alone).
    Json,
}

/// `cleanup <RUN_ID>`.
#[derive(Debug, Args)]
pub struct CleanupArgs {
    /// The id the run printed in its summary, such as 20261129T061500Z-3f2a91
    #[arg(value_name = "RUN_ID")]
    pub run_id: String,
}

/// Where the specs are read and the reports written: settings given as flags.
#[derive(Clone, Debug, Default, Args)]
pub struct Paths {
    /// The specs directory [default: ./specs, or LEADLEX_SPECS]
    #[arg(
        long,
        global = true,
        display_order = 100,
        value_name = "DIR",
        value_parser = NonEmptyStringValueParser::new(),
    )]
    pub specs: Option<String>,
    /// Where junit.xml, coverage.json and ledgers go [default: ./reports, or LEADLEX_REPORTS]
    #[arg(
        long,
        global = true,
        display_order = 101,
        value_name = "DIR",
        value_parser = NonEmptyStringValueParser::new(),
    )]
    pub reports: Option<String>,
}

impl Paths {
    /// The flags as the settings they stand for, to be read over the environment.
    pub fn flags(&self) -> Flags {
        Flags::default()
            .set(SPECS, self.specs.clone())
            .set(REPORTS, self.reports.clone())
    }
}

/// The test binary's command line (`cargo test --test conformance -- …`): a run's options
/// and the paths, without commands, so that a first word stays a filter as with libtest.
#[derive(Debug, Parser)]
#[command(
    name = "conformance",
    about = "The conformance suite as a test binary; `leadlex-conformance --help` describes the command",
    long_about = None,
    after_help = "",
    help_template = HELP_TEMPLATE,
)]
pub struct TestBinary {
    #[command(flatten)]
    pub paths: Paths,
    #[command(flatten)]
    pub run: RunArgs,
}

/// The command line of `args` (the program's name first), or clap's error (which also
/// carries `--help` and `--version`).
pub fn parse<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let mut command = libtest_in_our_words(Cli::command());
    command = command.mut_subcommand("test", libtest_in_our_words);
    let matches = command.try_get_matches_from_mut(args)?;
    Cli::from_arg_matches(&matches).map_err(|error| error.format(&mut command))
}

/// The test binary's command line, as [`parse`].
pub fn parse_test_binary<I, T>(args: I) -> Result<TestBinary, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let mut command = libtest_in_our_words(TestBinary::command());
    let matches = command.try_get_matches_from_mut(args)?;
    TestBinary::from_arg_matches(&matches).map_err(|error| error.format(&mut command))
}

/// The commands besides running the scenarios (`lint`, `cleanup`, …): what a filter that
/// matches nothing may have meant.
pub fn command_names() -> Vec<String> {
    Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .filter(|name| name != "test" && name != "help")
        .collect()
}

/// libtest's options as this command's help describes them: in terms of scenarios, one
/// line each. Those that change nothing here are hidden (and still accepted, for `cargo
/// test`).
const LIBTEST_HELP: [(&str, Option<&str>); 16] = [
    ("filter", Some("Run only the scenarios whose name contains FILTER (contacts/delete.yaml::…)")),
    ("exact", Some("Match FILTER and --skip against whole scenario names")),
    ("skip", Some("Leave out the scenarios whose name contains FILTER (repeatable)")),
    ("ignored", Some("Run only the scenarios their spec marks `ignore:`")),
    ("include_ignored", Some("Run the scenarios marked `ignore:` as well")),
    ("list", Some("Name the scenarios and run nothing")),
    ("test_threads", Some("Scenarios at once [default: LEADLEX_CONCURRENCY live, 4 per core on the stub]")),
    ("format", Some("libtest's output: pretty, terse or json (JSON events alone on stdout; the summary goes to stderr)")),
    ("quiet", Some("One character per scenario (--format terse)")),
    ("color", Some("Colour: auto (a terminal on stdout), always or never")),
    ("logfile", Some("Write libtest's output to PATH instead of stdout")),
    ("nocapture", None),
    ("show_output", None),
    ("unstable_flags", None),
    ("test", None),
    ("bench", None),
];

/// Describes libtest's options with [`LIBTEST_HELP`].
fn libtest_in_our_words(command: clap::Command) -> clap::Command {
    LIBTEST_HELP
        .into_iter()
        .fold(command, |command, (id, help)| {
            let defined = command.get_arguments().any(|a| a.get_id() == id);
            match (defined, help) {
                (false, _) => command,
                (true, None) => command.mut_arg(id, |arg| arg.hide(true)),
                (true, Some(help)) => command.mut_arg(id, |arg| {
                    // The help names the values itself.
                    let values = arg.get_action().takes_values();
                    let arg = arg.help(help).long_help(None).hide_possible_values(values);
                    match id {
                        "test_threads" => arg.value_name("N"),
                        _ => arg,
                    }
                }),
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_definitions_are_consistent() {
        Cli::command().debug_assert();
        TestBinary::command().debug_assert();
    }

    #[test]
    fn serve_takes_a_seed_and_its_faults() {
        let serve = |words: &str| {
            let args = ["x", "serve"].into_iter().chain(words.split_whitespace());
            match parse(args).map(|cli| cli.command) {
                Ok(Some(Command::Serve(serve))) => Ok((
                    serve.seed,
                    serve.latency.map(|l| (l.min_ms, l.max_ms)),
                    serve.fail_rate,
                    serve.fail_seed,
                )),
                Ok(other) => panic!("{other:?}"),
                Err(error) => Err(error.kind()),
            }
        };
        assert_eq!(serve(""), Ok((None, None, None, None)));
        assert_eq!(
            serve("--seed s.json --latency 100-300 --fail-rate 0.2 --fail-seed 7"),
            Ok((Some("s.json".into()), Some((100, 300)), Some(0.2), Some(7)))
        );
        assert_eq!(
            serve("--latency=250 --fail-rate=1"),
            Ok((None, Some((250, 250)), Some(1.0), None))
        );
        for bad in [
            "--seed",
            "--seed=",
            "--latency",
            "--latency 300-100",
            "--latency fast",
            "--fail-rate 1.5",
            "--fail-rate -0.1",
            "--fail-rate NaN",
            "--fail-seed -1",
            "--fail-seed x",
        ] {
            assert!(serve(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn serve_and_export_take_their_options() {
        let serve = |words: &str| {
            let args = ["x", "serve"].into_iter().chain(words.split_whitespace());
            match parse(args).map(|cli| cli.command) {
                Ok(Some(Command::Serve(serve))) => Ok((serve.port, serve.rate_limit)),
                Ok(other) => panic!("{other:?}"),
                Err(error) => Err(error.kind()),
            }
        };
        assert_eq!(serve(""), Ok((crate::stub::serve::DEFAULT_PORT, None)));
        assert_eq!(serve("--port 0 --rate-limit=500"), Ok((0, Some(500))));
        assert_eq!(serve("--port=8080"), Ok((8080, None)));
        for bad in [
            "--port",
            "--port 70000",
            "--port -1",
            "--rate-limit 0",
            "--rate-limit x",
        ] {
            assert!(serve(bad).is_err(), "{bad}");
        }
        assert_eq!(
            serve("--verbose"),
            Err(clap::error::ErrorKind::UnknownArgument)
        );
        assert_eq!(serve("4010"), Err(clap::error::ErrorKind::UnknownArgument));
        let export = |words: &str| {
            let args = ["x", "export"].into_iter().chain(words.split_whitespace());
            match parse(args).map(|cli| cli.command) {
                Ok(Some(Command::Export(export))) => Ok((export.format, export.output)),
                Ok(other) => panic!("{other:?}"),
                Err(error) => Err(error.kind()),
            }
        };
        assert_eq!(export("openapi"), Ok((ExportFormat::Openapi, None)));
        let to_file = Ok((ExportFormat::Openapi, Some("a.json".to_string())));
        assert_eq!(export("openapi --output a.json"), to_file);
        assert_eq!(export("openapi -o a.json"), to_file);
        assert!(export("").is_err());
        assert_eq!(export("swagger"), Err(clap::error::ErrorKind::InvalidValue));
        assert!(export("openapi --output").is_err());
        assert!(export("openapi --output=").is_err());
        assert_eq!(
            export("openapi --yaml"),
            Err(clap::error::ErrorKind::UnknownArgument)
        );
    }

    #[test]
    fn a_first_word_is_a_command_or_a_filter() {
        let cli = parse(["x", "lint"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Lint)));
        let cli = parse(["x", "delete", "--exact"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.run.libtest.filter.as_deref(), Some("delete"));
        assert!(cli.run.libtest.exact);
        let cli = parse(["x", "test", "lint"]).unwrap();
        let Some(Command::Test(run)) = cli.command else {
            panic!("{:?}", cli.command)
        };
        assert_eq!(run.libtest.filter.as_deref(), Some("lint"));
    }

    #[test]
    fn paths_are_read_before_or_after_the_command() {
        let cli = parse(["x", "lint", "--specs", "s", "--reports", "r"]).unwrap();
        assert_eq!(cli.paths.specs.as_deref(), Some("s"));
        assert_eq!(cli.paths.reports.as_deref(), Some("r"));
        let cli = parse(["x", "--specs", "s", "--outcomes", "json"]).unwrap();
        assert_eq!(cli.paths.specs.as_deref(), Some("s"));
        assert_eq!(cli.run.outcomes, Some(OutcomesFormat::Json));
        let cli = parse(["x", "cleanup", "20261129T061500Z-3f2a91"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Cleanup(c)) if c.run_id.len() == 23));
        assert!(parse(["x", "--specs", ""]).is_err());
    }

    #[test]
    fn command_names_leave_out_the_run_itself() {
        assert_eq!(command_names(), ["lint", "cleanup", "serve", "export"]);
    }
}
