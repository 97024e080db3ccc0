//! Which scenarios become which trials, and which of them cannot run here and why.
//!
//! Planning reads no file and opens no connection, so `--list` stays free of I/O beyond
//! reading the specs.

use std::sync::Arc;

use crate::config::{Config, TargetConfig, SPEND_QUOTA};
use crate::spec::{Scenario, Suite};

pub struct Planned {
    pub scenario: Arc<Scenario>,
    /// Reported as ignored at run time with this reason (never as passed).
    pub cannot_run: Option<String>,
    /// Marked ignored in the spec: runs only with `--ignored` or `--include-ignored`.
    pub ignored_by_spec: Option<String>,
}

/// The trials in name order, except that scenarios spending quota on purpose come last:
/// once they exhaust the limit, little else can run.
pub fn plan(suite: &Suite, config: &Config) -> Vec<Planned> {
    let mut planned: Vec<Planned> = suite
        .scenarios
        .iter()
        .map(|scenario| Planned {
            scenario: scenario.clone(),
            cannot_run: cannot_run(suite, config, scenario),
            ignored_by_spec: scenario.ignore.clone(),
        })
        .collect();
    planned.sort_by_key(|p| p.scenario.spends_quota);
    planned
}

fn cannot_run(suite: &Suite, config: &Config, scenario: &Scenario) -> Option<String> {
    if config.target == TargetConfig::Stub {
        return crate::stub::cannot_serve(scenario);
    }
    let mut missing: Vec<String> = scenario
        .credentials()
        .filter_map(|name| suite.credentials.get(name))
        .filter(|c| !config.keys.contains_key(&c.env))
        .map(|c| format!("{} ({})", c.env, c.about))
        .collect();
    missing.sort();
    missing.dedup();
    if !missing.is_empty() {
        return Some(format!("set {} to run it live", missing.join(" and ")));
    }
    if scenario.spends_quota && !config.spend_quota {
        return Some(format!(
            "spends the workspace's rate-limit quota; set {SPEND_QUOTA}=1 to run it live"
        ));
    }
    None
}
