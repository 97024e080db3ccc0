//! Which scenarios become which trials, and which of them cannot run here and why.
//!
//! Planning reads no file and opens no connection, so `--list` stays free of I/O beyond
//! reading the specs.

pub mod selection;

use std::sync::Arc;

use crate::config::{Config, TargetConfig, ALLOW_RESIDUE, SPEND_QUOTA};
use crate::spec::{Scenario, Suite};

pub struct Planned {
    pub scenario: Arc<Scenario>,
    /// Reported as ignored at run time with this reason (never as passed).
    pub cannot_run: Option<String>,
    /// Marked ignored in the spec: runs only with `--ignored` or `--include-ignored`.
    pub ignored_by_spec: Option<String>,
}

/// The trials in name order, except that scenarios spending quota on purpose come last:
/// once they exhaust the limit, little else can run. Among those, the ones that send
/// requests before their burst (a `setup`) go first: a burst that has run into the limit
/// leaves none for a later setup, while a burst of its own is never held.
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
    planned.sort_by_key(|p| {
        let quota = p.scenario.spends_quota;
        (quota, quota && p.scenario.setup.is_empty())
    });
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
    if let Some(residue) = scenario.leaves.as_ref().filter(|_| !config.allow_residue) {
        return Some(format!(
            "leaves {residue}; set {ALLOW_RESIDUE}=1 to run it live"
        ));
    }
    None
}

/// Requests a scenario is expected to send, and at most: its steps, a repeated request's
/// bound, and each cleanup that the request under test does not make needless (a DELETE
/// of the created record that succeeds leaves nothing to remove). Reading a record back to
/// check that it is the run's own is not counted: a documented gateway makes it needless.
pub fn requests(scenario: &Scenario) -> (usize, usize) {
    let steps = scenario.setup.len() + scenario.verify.len();
    let main = scenario
        .repeat_until_status
        .as_ref()
        .map_or(1, |r| r.max_requests as usize);
    let cleanups: Vec<_> = scenario
        .setup
        .iter()
        .filter_map(|s| s.cleanup.as_ref())
        .collect();
    // The request under test's own cleanup runs when it made something: when it expects
    // a success, and at most always.
    let own = scenario.main.cleanup.is_some() as usize;
    let own_expected = match &scenario.main.expect.status {
        Some(status) if status.contains_only_2xx() => own,
        _ => 0,
    };
    // A step that removes the record itself (the request under test, or a setup or verify
    // step sending the same DELETE and expecting it to succeed) leaves nothing to remove.
    let done_by_a_step = |c: &&crate::spec::Cleanup| {
        scenario
            .setup
            .iter()
            .chain([&scenario.main])
            .chain(&scenario.verify)
            .any(|step| {
                let succeeds = step
                    .expect
                    .status
                    .as_ref()
                    .is_none_or(|s| s.contains_only_2xx());
                succeeds
                    && c.operation.id == step.operation.id
                    && c.request.path == step.request.path
            })
    };
    let expected_cleanups = cleanups.iter().filter(|c| !done_by_a_step(c)).count();
    (
        steps + 1 + expected_cleanups + own_expected,
        steps + main + cleanups.len() + own,
    )
}

/// The line that opens a live run: how many requests it plans and how long that takes at
/// the configured rate.
pub fn announcement(scenarios: usize, expected: usize, at_most: usize, rpm: Option<u32>) -> String {
    let bound = match at_most > expected {
        true => format!(" (at most {at_most})"),
        false => String::new(),
    };
    let time = match rpm.filter(|r| *r > 0) {
        Some(rpm) => {
            let seconds = (expected as f64 * 60.0 / f64::from(rpm)).ceil() as u64;
            format!(
                "; at LEADLEX_RATE_LIMIT_RPM={rpm} that takes about {}",
                duration_text(seconds)
            )
        }
        None => String::new(),
    };
    format!("live run: {scenarios} scenario(s), about {expected} request(s){bound}{time}")
}

fn duration_text(seconds: u64) -> String {
    match seconds {
        0..=59 => format!("{seconds} s"),
        60..=3599 => format!("{} min {} s", seconds / 60, seconds % 60),
        _ => format!("{} h {} min", seconds / 3600, (seconds % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_scenarios_come_last_those_with_a_setup_first() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let suite = crate::spec::load(&root.join("specs")).expect("the shipped specs load");
        let config = Config::from_lookup(&|_| None, root, &[]).expect("the stub's config");
        let planned = plan(&suite, &config);
        let quota: Vec<(&str, bool)> = planned
            .iter()
            .skip_while(|p| !p.scenario.spends_quota)
            .map(|p| (p.scenario.trial_name.as_str(), p.scenario.setup.is_empty()))
            .collect();
        assert!(planned
            .iter()
            .rev()
            .take(quota.len())
            .all(|p| p.scenario.spends_quota));
        // Create Contact Note, Delete and Update Contact's bursts need a contact of their own
        // first: a burst that has run into the limit would leave their setup no quota.
        let with_setup: Vec<&str> = quota.iter().filter(|q| !q.1).map(|q| q.0).collect();
        assert_eq!(
            with_setup,
            [
                "contacts/create-note.yaml::rate_limit_exceeded",
                "contacts/delete.yaml::rate_limit_exceeded",
                "contacts/update.yaml::rate_limit_exceeded"
            ]
        );
        assert!(
            quota.iter().skip(with_setup.len()).all(|q| q.1),
            "{quota:?}"
        );
    }

    #[test]
    fn the_announcement_says_how_many_and_how_long() {
        assert_eq!(
            announcement(6, 16, 16, Some(10)),
            "live run: 6 scenario(s), about 16 request(s); at LEADLEX_RATE_LIMIT_RPM=10 that takes about 1 min 36 s"
        );
        assert_eq!(
            announcement(1, 2, 251, None),
            "live run: 1 scenario(s), about 2 request(s) (at most 251)"
        );
    }
}
