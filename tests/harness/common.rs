//! Running the suite in-process or as a command against a gateway, for assertions.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use leadlex_conformance::run_quietly;
use leadlex_conformance::{Check, Outcome, Verdict};

use crate::support::gateway::{Behaviour, Gateway, GatewayConfig};

/// The scenarios and operations of the shipped specs (`specs/`), for the tests that run
/// or read all of them (the local gateway's runs read `GATEWAY_SERVES` only: 27 scenarios).
pub const SHIPPED_SCENARIOS: usize = 62;
pub const SHIPPED_OPERATIONS: usize = 12;

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Starts a gateway; returns it with its configuration (for the keys).
pub fn start(config: GatewayConfig) -> (Gateway, GatewayConfig) {
    (Gateway::start(config.clone()), config)
}

/// A documented gateway but for one behaviour.
pub fn behaving(behaviour: Behaviour) -> GatewayConfig {
    GatewayConfig {
        behaviour,
        ..GatewayConfig::default()
    }
}

/// The environment of a live run, with the temporary directory that holds its ledger:
/// a live run writes down what it creates, and a test's ledger belongs in a temporary
/// directory, never in the repository's `reports/created/`. Used as the map of variables.
pub struct LiveEnv {
    vars: BTreeMap<String, String>,
    _ledger: tempfile::TempDir,
    _specs: Option<tempfile::TempDir>,
}

impl std::ops::Deref for LiveEnv {
    type Target = BTreeMap<String, String>;
    fn deref(&self) -> &Self::Target {
        &self.vars
    }
}

impl std::ops::DerefMut for LiveEnv {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.vars
    }
}

/// The operation files of the shipped specs that the local test gateway
/// (`tests/support/gateway.rs`) plays. Live runs against it read a copy of `specs/` holding
/// only these (and every schema): the other operations (notes, bulk, activities,
/// documents) are played by the stub and run live only against a real gateway.
pub const GATEWAY_SERVES: [&str; 5] = [
    "contacts/create.yaml",
    "contacts/delete.yaml",
    "contacts/get.yaml",
    "contacts/list.yaml",
    "contacts/update.yaml",
];

/// A copy of the shipped `specs/` in a temporary directory, with only the operation files
/// of `GATEWAY_SERVES` (and `suite.yaml` and every schema).
pub fn gateway_specs() -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path, rel: &str) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            let path = entry.path();
            if path.is_dir() {
                copy(&path, &to.join(&name), &rel);
            } else if !rel.ends_with(".yaml")
                || rel == "suite.yaml"
                || GATEWAY_SERVES.contains(&rel.as_str())
            {
                std::fs::copy(&path, to.join(&name)).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    copy(&root().join("specs"), dir.path(), "");
    dir
}

/// The environment of a live run against `gateway`, with both keys set and the ledger in
/// a temporary directory of its own.
pub fn live_env(gateway: &Gateway, config: &GatewayConfig) -> LiveEnv {
    let ledger = tempfile::tempdir().unwrap();
    let vars = [
        ("LEADLEX_BASE_URL", gateway.base_url.as_str()),
        ("LEADLEX_API_KEY", config.full_key.as_str()),
        ("LEADLEX_API_KEY_NO_DELETE", config.no_delete_key.as_str()),
        ("LEADLEX_API_KEY_READ_ONLY", config.read_only_key.as_str()),
        ("LEADLEX_TIMEOUT_SECS", "5"),
        // Pacing is tested on its own; elsewhere it would only make the tests slow.
        ("LEADLEX_RATE_LIMIT_RPM", "600000"),
        ("LEADLEX_LEDGER_DIR", &ledger.path().display().to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    LiveEnv {
        vars,
        _ledger: ledger,
        _specs: None,
    }
}

/// `live_env` reading only the specs the local gateway serves (`gateway_specs`): for the
/// tests that run the whole suite against it. (A test that filters to the gateway's
/// operations keeps `live_env`, and the paths of the shipped files in its reports.)
pub fn served_env(gateway: &Gateway, config: &GatewayConfig) -> LiveEnv {
    let mut env = live_env(gateway, config);
    let specs = gateway_specs();
    env.vars
        .insert("LEADLEX_SPECS".into(), specs.path().display().to_string());
    env._specs = Some(specs);
    env
}

/// The live environment, with the run's ledger in `ledger`, for a test that reads it.
pub fn live_env_with_ledger(
    gateway: &Gateway,
    config: &GatewayConfig,
    ledger: &tempfile::TempDir,
) -> LiveEnv {
    let mut env = live_env(gateway, config);
    env.insert(
        "LEADLEX_LEDGER_DIR".into(),
        ledger.path().display().to_string(),
    );
    env
}

/// `live_env_with_ledger` reading only the specs the local gateway serves.
pub fn served_env_with_ledger(
    gateway: &Gateway,
    config: &GatewayConfig,
    ledger: &tempfile::TempDir,
) -> LiveEnv {
    let mut env = served_env(gateway, config);
    env.insert(
        "LEADLEX_LEDGER_DIR".into(),
        ledger.path().display().to_string(),
    );
    env
}

/// Fails a test that would run live without saying where the ledger goes: by default it
/// is the repository's `reports/created/`, where the harness's own tests write nothing.
fn assert_ledger_elsewhere(env: &BTreeMap<String, String>) {
    assert!(
        !env.contains_key("LEADLEX_BASE_URL") || env.contains_key("LEADLEX_LEDGER_DIR"),
        "a live run in a test needs LEADLEX_LEDGER_DIR (use common::live_env), so that its \
         ledger does not land in the repository's reports/created/"
    );
}

/// Runs the scenarios matching `filter` in-process and returns their outcomes by trial name.
pub fn run_with(env: &BTreeMap<String, String>, filter: &str) -> BTreeMap<String, Outcome> {
    assert_ledger_elsewhere(env);
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
    prepared(env, args)
        .output()
        .expect("the harness binary runs")
}

/// The suite as a command run in the working directory `dir`.
pub fn command_in(dir: &Path, env: &BTreeMap<String, String>, args: &[&str]) -> Output {
    prepared(env, args)
        .current_dir(dir)
        .output()
        .expect("the harness binary runs")
}

/// The suite as a running child process (stdout and stderr piped).
pub fn spawn(env: &BTreeMap<String, String>, args: &[&str]) -> std::process::Child {
    prepared(env, args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the harness binary starts")
}

/// Waits for a child, killing it if it outlives `limit`.
pub fn wait(child: &mut std::process::Child, limit: std::time::Duration) -> Output {
    let started = std::time::Instant::now();
    while child.try_wait().expect("the child can be polled").is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("the run did not stop within {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let mut output = Output {
        status: child.wait().unwrap(),
        stdout: Vec::new(),
        stderr: Vec::new(),
    };
    use std::io::Read;
    if let Some(mut out) = child.stdout.take() {
        let _ = out.read_to_end(&mut output.stdout);
    }
    if let Some(mut err) = child.stderr.take() {
        let _ = err.read_to_end(&mut output.stderr);
    }
    output
}

fn prepared(env: &BTreeMap<String, String>, args: &[&str]) -> Command {
    assert_ledger_elsewhere(env);
    let mut command = Command::new(env!("CARGO_BIN_EXE_leadlex-conformance"));
    // The run sees only the settings the test gives it, even when the tests themselves
    // run in GitHub Actions (which would turn annotations on).
    let ours = |k: &str| k.starts_with("LEADLEX_") || k == "NEXTEST" || k == "GITHUB_ACTIONS";
    for (name, _) in std::env::vars().filter(|(k, _)| ours(k)) {
        command.env_remove(name);
    }
    // Reports go where the test says, and never into the repository's reports/.
    for variable in ["LEADLEX_JUNIT", "LEADLEX_COVERAGE"] {
        if !env.contains_key(variable) {
            command.env(variable, "off");
        }
    }
    command.envs(env).args(args);
    command
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
