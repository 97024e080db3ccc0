//! Running the suite in-process or as a command against a gateway, for assertions.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use leadlex_conformance::harness::run_quietly;
use leadlex_conformance::outcome::{Check, Outcome, Verdict};

use crate::support::gateway::{Gateway, GatewayConfig};

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The environment of a live run against `gateway`, with both keys set.
pub fn live_env(gateway: &Gateway, config: &GatewayConfig) -> BTreeMap<String, String> {
    [
        ("LEADLEX_BASE_URL", gateway.base_url.as_str()),
        ("LEADLEX_API_KEY", config.full_key.as_str()),
        ("LEADLEX_API_KEY_NO_DELETE", config.no_delete_key.as_str()),
        ("LEADLEX_TIMEOUT_SECS", "5"),
        // Pacing is tested on its own; elsewhere it would only make the tests slow.
        ("LEADLEX_RATE_LIMIT_RPM", "600000"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Runs the scenarios matching `filter` in-process and returns their outcomes by trial name.
pub fn run_with(env: &BTreeMap<String, String>, filter: &str) -> BTreeMap<String, Outcome> {
    run_quietly(&|k| env.get(k).cloned(), root(), filter)
        .expect("the shipped specs load")
        .into_iter()
        .map(|o| (o.trial_name.clone(), o))
        .collect()
}

/// The checks that failed in an outcome, as `step check` strings.
pub fn failed_checks(outcome: &Outcome) -> Vec<(String, Check)> {
    match &outcome.verdict {
        Verdict::Failed(found)
        | Verdict::Errored {
            mismatches: found, ..
        } => found
            .iter()
            .map(|m| (m.step.clone(), m.check.clone()))
            .collect(),
        _ => Vec::new(),
    }
}

/// The suite as a command, with only the given environment variables of ours.
pub fn command(env: &BTreeMap<String, String>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_leadlex-conformance"));
    for (name, _) in std::env::vars().filter(|(k, _)| k.starts_with("LEADLEX_") || k == "NEXTEST") {
        command.env_remove(name);
    }
    // Reports go where the test says, and never into the repository's reports/.
    for variable in ["LEADLEX_JUNIT", "LEADLEX_COVERAGE"] {
        if !env.contains_key(variable) {
            command.env(variable, "off");
        }
    }
    command
        .envs(env)
        .args(args)
        .output()
        .expect("the harness binary runs")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn junit_in(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("reports").join("junit.xml")
}

/// Copies the shipped specs into `dir`, so a test can break a copy.
pub fn copy_specs(dir: &std::path::Path) {
    let source = root().join("specs");
    let mut pending = vec![source.clone()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).unwrap().flatten() {
            let path = entry.path();
            let target = dir.join(path.strip_prefix(&source).unwrap());
            if path.is_dir() {
                std::fs::create_dir_all(&target).unwrap();
                pending.push(path);
            } else {
                std::fs::copy(&path, &target).unwrap();
            }
        }
    }
}
