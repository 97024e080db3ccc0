//! Before a run: the specs and the settings, or why the run cannot start ([`Broken`]).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::{Config, ConfigError};
use crate::plan::{plan, Planned};
use crate::report::annotations;
use crate::report::files::Problem;
use crate::report::location::{CiPaths, Place};
use crate::secrets::redact::Redactor;
use crate::session::Session;
use crate::spec::{self, SpecError, Suite};

/// Why a run could not start: broken specs or a broken setting.
pub(super) enum Broken {
    Specs {
        dir: PathBuf,
        errors: Vec<SpecError>,
    },
    Settings(ConfigError),
}

impl Broken {
    /// The whole message for the terminal.
    pub(super) fn message(&self, lookup: &dyn Fn(&str) -> Option<String>) -> String {
        match self {
            Broken::Specs { dir, errors } => {
                let color = std::io::stderr().is_terminal() && Config::color_allowed(lookup);
                specs_message(dir, errors, color)
            }
            Broken::Settings(error) => format!("error: {error}\nno request was sent."),
        }
    }

    /// One problem per error, for the JUnit report.
    pub(super) fn problems(&self) -> Vec<Problem> {
        match self {
            Broken::Specs { errors, .. } => errors
                .iter()
                .map(|error| Problem {
                    group: "specs".into(),
                    name: match error.pos {
                        Some(pos) => format!("{}:{}:{}", error.file, pos.line, pos.col),
                        None => error.file.clone(),
                    },
                    message: error.message.clone(),
                    detail: error.render(false),
                    place: Some(Place {
                        file: error.file.clone(),
                        pos: error.pos,
                    }),
                })
                .collect(),
            Broken::Settings(error) => vec![Problem {
                group: "settings".into(),
                name: error.variable.clone(),
                message: error.message.clone(),
                detail: format!("{error}\nno request was sent."),
                place: None,
            }],
        }
    }
}

/// In GitHub Actions (`GITHUB_ACTIONS=true`), prints each problem as an `::error`
/// annotation, at its spec file and line when it has one, on stderr beside the problems
/// themselves (the runner reads workflow commands there too; stdout may carry JSON). Spec
/// and settings problems hold no key (settings errors never echo one); `secrets` hides
/// those a run has configured.
pub(super) fn annotate(
    lookup: &dyn Fn(&str) -> Option<String>,
    problems: &[Problem],
    secrets: &Redactor,
) {
    if Config::github_annotations(lookup) {
        let found = annotations::of_problems(problems);
        let commands = annotations::commands(&found, &CiPaths::here(), secrets);
        eprint!("{}", annotations::lines(&commands));
    }
}

/// Loads the specs and the settings.
pub(super) fn prepare(
    lookup: &dyn Fn(&str) -> Option<String>,
    root: &Path,
) -> Result<(Session, Vec<Planned>), Broken> {
    let specs_dir = Config::specs_dir(lookup, root);
    let suite = load_specs(&specs_dir)?;
    let key_variables: Vec<&str> = suite.credentials.values().map(|c| c.env.as_str()).collect();
    let config = Config::from_lookup(lookup, root, &key_variables).map_err(Broken::Settings)?;
    if suite.disposable_target {
        config.require_local_target().map_err(Broken::Settings)?;
    }
    let planned = plan(&suite, &config);
    Ok((Session::new(Arc::new(suite), config), planned))
}

/// The specs directory of the settings and its specs, for a command that needs nothing
/// else; when they are broken, their problems are printed and the command's exit code (2)
/// is the error.
pub(super) fn specs_or_exit(
    lookup: &dyn Fn(&str) -> Option<String>,
    root: &Path,
) -> Result<(PathBuf, Suite), std::process::ExitCode> {
    let specs_dir = Config::specs_dir(lookup, root);
    match load_specs(&specs_dir) {
        Ok(suite) => Ok((specs_dir, suite)),
        Err(broken) => {
            eprintln!("{}", broken.message(lookup));
            Err(std::process::ExitCode::from(super::EXIT_BROKEN_INPUT))
        }
    }
}

/// The specs, or why they cannot be used.
pub(super) fn load_specs(specs_dir: &Path) -> Result<Suite, Broken> {
    spec::load(specs_dir).map_err(|errors| Broken::Specs {
        dir: specs_dir.to_path_buf(),
        errors,
    })
}

fn specs_message(specs_dir: &Path, errors: &[SpecError], color: bool) -> String {
    let mut message: String = errors
        .iter()
        .map(|e| format!("{}\n\n", e.render(color)))
        .collect();
    message.push_str(&format!(
        "{} problem(s) in the specs under {}; no request was sent.",
        errors.len(),
        specs_dir.display()
    ));
    message
}
