//! Every setting, read in one place: command-line flags over the environment.
//!
//! Nothing else in the crate reads environment variables. Every reader here takes a
//! `lookup` from a variable's name to its value: [`environment`] for the process's, a map
//! in tests, and [`Flags::over`] to put the command line's flags first (`--specs DIR`
//! stands for `LEADLEX_SPECS=DIR`, and wins over it). Values are parsed strictly: a bad
//! value is an error naming the variable and what it accepts.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// The base URL of a live gateway; unset means the in-process stub.
pub const BASE_URL: &str = "LEADLEX_BASE_URL";
/// `1` lets live runs include scenarios that spend the rate-limit quota on purpose.
pub const SPEND_QUOTA: &str = "LEADLEX_SPEND_QUOTA";
/// `1` lets live runs include scenarios that declare they leave something no documented
/// endpoint removes (`leaves:`).
pub const ALLOW_RESIDUE: &str = "LEADLEX_ALLOW_RESIDUE";
/// Total time allowed for one request, in seconds.
pub const TIMEOUT: &str = "LEADLEX_TIMEOUT_SECS";
/// Time allowed to open a connection, in seconds.
pub const CONNECT_TIMEOUT: &str = "LEADLEX_CONNECT_TIMEOUT_SECS";
/// Largest response body read, in bytes; a larger one fails its trial.
pub const MAX_BODY: &str = "LEADLEX_MAX_BODY_BYTES";
/// Where the JUnit report goes; `off` writes none.
pub const JUNIT: &str = "LEADLEX_JUNIT";
/// Where the coverage matrix goes as JSON; `off` writes none.
pub const COVERAGE: &str = "LEADLEX_COVERAGE";
/// The specs directory.
pub const SPECS: &str = "LEADLEX_SPECS";
/// The directory of the reports and ledgers, unless [`JUNIT`], [`COVERAGE`] or
/// [`LEDGER_DIR`] name a place of their own.
pub const REPORTS: &str = "LEADLEX_REPORTS";
/// A PEM file of extra CA certificates to trust, beside the system's.
pub const CA_BUNDLE: &str = "LEADLEX_CA_BUNDLE";
/// Characters of each body shown in failure messages and reports.
pub const REPORT_BODY_LIMIT: &str = "LEADLEX_REPORT_BODY_LIMIT";
/// Set (to anything) to turn colour off on terminals (<https://no-color.org>).
pub const NO_COLOR: &str = "NO_COLOR";
/// Live runs: requests per minute, paced evenly across all trials.
pub const RATE_LIMIT: &str = "LEADLEX_RATE_LIMIT_RPM";
/// Live runs: the most requests one run may send (cleanup excepted).
pub const MAX_REQUESTS: &str = "LEADLEX_MAX_REQUESTS";
/// The longest pause a gateway may ask for (429 `Retry-After`, exhausted quota) before the
/// run stops sending instead of waiting.
pub const MAX_WAIT: &str = "LEADLEX_MAX_WAIT_SECS";
/// Retries of a request after a transport failure or an unexpected 429.
pub const RETRIES: &str = "LEADLEX_RETRIES";
/// Live runs: scenarios running at once (unless `--test-threads` says otherwise).
pub const CONCURRENCY: &str = "LEADLEX_CONCURRENCY";
/// Where live runs write down what they create (one file per run).
pub const LEDGER_DIR: &str = "LEADLEX_LEDGER_DIR";
/// `1` plants the first configured key in the JUnit report after it is written, to prove
/// that the leak check catches what redaction missed (the run then fails with exit code 3).
pub const SELF_TEST_LEAK: &str = "LEADLEX_SELF_TEST_LEAK";
/// Set by cargo-nextest, which runs each trial in a process of its own.
pub const NEXTEST: &str = "NEXTEST";
/// `1` lets a run that selects no trial at all (a filter matching nothing) succeed.
pub const ALLOW_NO_TESTS: &str = "LEADLEX_ALLOW_NO_TESTS";
/// `true` in GitHub Actions (set by the runner): failures and broken specs are also printed
/// as `::error` annotations.
pub const GITHUB_ACTIONS: &str = "GITHUB_ACTIONS";

/// Which gateway the trials talk to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetConfig {
    /// The in-process wiremock stub built from the specs.
    Stub,
    /// A real gateway, such as `https://data.leadlex.com/functions/v1/api-gateway`.
    Live { base_url: String },
}

/// A configured API key. Its `Debug` and `Display` never show the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The key itself: only for the `Authorization` header and for redaction.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    pub target: TargetConfig,
    /// Keys by environment variable name, for the variables that are set.
    pub keys: BTreeMap<String, Secret>,
    pub spend_quota: bool,
    /// Live runs include scenarios that leave residue ([`ALLOW_RESIDUE`]).
    pub allow_residue: bool,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub max_body_bytes: usize,
    pub report_body_limit: usize,
    /// Extra trusted CA certificates (PEM), beside the platform's trust store.
    pub ca_bundle: Option<PathBuf>,
    /// Colour is allowed on terminals (`NO_COLOR` is not set).
    pub color_allowed: bool,
    /// `None`: no harness JUnit report (turned off, or running under nextest).
    pub junit: Option<PathBuf>,
    /// `None`: no coverage file (turned off, or running under nextest).
    pub coverage: Option<PathBuf>,
    /// Requests per minute; `None`: not paced (the stub).
    pub rate_limit: Option<u32>,
    /// `None`: no budget (the stub).
    pub max_requests: Option<u64>,
    pub max_wait: Duration,
    pub retries: u32,
    /// Scenarios at once in live runs.
    pub concurrency: usize,
    /// Where live runs record what they create.
    pub ledger_dir: PathBuf,
    /// Plant a key in the JUnit report to test the leak check end to end.
    pub self_test_leak: bool,
    /// A run that selects no trial succeeds instead of failing.
    pub allow_no_tests: bool,
    /// Print failures as GitHub Actions annotations (`GITHUB_ACTIONS=true`).
    pub github_annotations: bool,
}

/// A setting that could not be used.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct ConfigError {
    pub variable: String,
    pub message: String,
}

/// The configured API keys among `key_variables`, each checked to be one.
fn read_keys(
    non_empty: &dyn Fn(&str) -> Option<String>,
    key_variables: &[&str],
) -> Result<BTreeMap<String, Secret>, ConfigError> {
    let mut keys = BTreeMap::new();
    for name in key_variables {
        if let Some(value) = non_empty(name) {
            let value = value.trim().to_string();
            // Only visible ASCII can go into an Authorization header; anything else is
            // a pasting mistake, reported without echoing the value.
            if !value.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(ConfigError {
                    variable: name.to_string(),
                    message: "the key holds spaces or other characters that an API key cannot have"
                        .into(),
                });
            }
            keys.insert(name.to_string(), Secret(value));
        }
    }
    Ok(keys)
}

/// The request rate and budget: defaults for live runs (10 per second, 1000 requests),
/// none for the stub unless set.
fn pacing(
    non_empty: &dyn Fn(&str) -> Option<String>,
    live: bool,
) -> Result<(Option<u32>, Option<u64>), ConfigError> {
    let live_default = |variable: &'static str, default: usize| match (non_empty(variable), live) {
        (None, false) => Ok(None),
        (value, _) => parse_count(variable, value, default).map(Some),
    };
    let rate_limit = live_default(RATE_LIMIT, 10)?.map(|n| n.min(u32::MAX as usize) as u32);
    let max_requests = live_default(MAX_REQUESTS, 1000)?.map(|n| n as u64);
    Ok((rate_limit, max_requests))
}

impl Config {
    /// Reads the settings. `root` is the directory the default `specs/` and `reports/` are
    /// in (the current directory for the command); `key_variables` are the credential
    /// variables named in `specs/suite.yaml`.
    pub fn from_lookup(
        lookup: &dyn Fn(&str) -> Option<String>,
        root: &std::path::Path,
        key_variables: &[&str],
    ) -> Result<Config, ConfigError> {
        let non_empty = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let target = match non_empty(BASE_URL) {
            None => TargetConfig::Stub,
            Some(url) => TargetConfig::Live {
                base_url: parse_base_url(url.trim())?,
            },
        };
        let keys = read_keys(&non_empty, key_variables)?;
        let (junit, coverage) = Config::report_paths(lookup, root);
        let live = matches!(target, TargetConfig::Live { .. });
        if live && non_empty(NEXTEST).is_some() {
            return Err(ConfigError {
                variable: NEXTEST.to_string(),
                message: "live runs need one process, so that one limiter, one request budget and \
                          one ledger cover every trial; run them with `cargo test --test conformance`"
                    .into(),
            });
        }
        let (rate_limit, max_requests) = pacing(&non_empty, live)?;
        let retries = match non_empty(RETRIES) {
            Some(v) if v.trim() == "0" => 0,
            v => parse_count(RETRIES, v, 2)?.min(10) as u32,
        };
        let self_test_leak = parse_flag(SELF_TEST_LEAK, non_empty(SELF_TEST_LEAK))?;
        if self_test_leak && keys.is_empty() {
            return Err(ConfigError {
                variable: SELF_TEST_LEAK.to_string(),
                message: "there is no key to plant: set LEADLEX_API_KEY (any value) as well".into(),
            });
        }
        Ok(Config {
            self_test_leak,
            allow_no_tests: parse_flag(ALLOW_NO_TESTS, non_empty(ALLOW_NO_TESTS))?,
            ledger_dir: non_empty(LEDGER_DIR)
                .map(PathBuf::from)
                .unwrap_or_else(|| Config::reports_dir(lookup, root).join("created")),
            rate_limit,
            max_requests,
            max_wait: parse_seconds(MAX_WAIT, non_empty(MAX_WAIT), 60.0)?,
            retries,
            concurrency: parse_count(CONCURRENCY, non_empty(CONCURRENCY), 2)?,
            target,
            keys,
            spend_quota: parse_flag(SPEND_QUOTA, non_empty(SPEND_QUOTA))?,
            allow_residue: parse_flag(ALLOW_RESIDUE, non_empty(ALLOW_RESIDUE))?,
            timeout: parse_seconds(TIMEOUT, non_empty(TIMEOUT), 30.0)?,
            connect_timeout: parse_seconds(CONNECT_TIMEOUT, non_empty(CONNECT_TIMEOUT), 10.0)?,
            max_body_bytes: parse_count(MAX_BODY, non_empty(MAX_BODY), 1 << 20)?,
            report_body_limit: parse_count(REPORT_BODY_LIMIT, non_empty(REPORT_BODY_LIMIT), 4000)?,
            color_allowed: Config::color_allowed(lookup),
            ca_bundle: non_empty(CA_BUNDLE).map(PathBuf::from),
            junit,
            coverage,
            github_annotations: Config::github_annotations(lookup),
        })
    }

    /// Whether failures and broken specs are also printed as GitHub Actions annotations:
    /// `GITHUB_ACTIONS=true`, as the runner sets it. Read on its own too, for runs stopped
    /// before the other settings are read, and for `lint`.
    pub fn github_annotations(lookup: &dyn Fn(&str) -> Option<String>) -> bool {
        lookup(GITHUB_ACTIONS).is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    }

    /// Where the JUnit report and the coverage file go: `None` when turned off, or under
    /// nextest (each trial in a process of its own). Read on their own too, so that a run
    /// stopped by other settings can still say why in its reports.
    pub fn report_paths(
        lookup: &dyn Fn(&str) -> Option<String>,
        root: &std::path::Path,
    ) -> (Option<PathBuf>, Option<PathBuf>) {
        let non_empty = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let report = |variable: &str, default: &str| match non_empty(variable) {
            _ if non_empty(NEXTEST).is_some() => None,
            Some(v) if v == "off" => None,
            Some(v) => Some(PathBuf::from(v)),
            None => Some(Config::reports_dir(lookup, root).join(default)),
        };
        (
            report(JUNIT, "junit.xml"),
            report(COVERAGE, "coverage.json"),
        )
    }

    /// For suites that declare `disposable_target: true` (their requests may change any
    /// record): a live gateway must be on this machine.
    pub fn require_local_target(&self) -> Result<(), ConfigError> {
        let TargetConfig::Live { base_url } = &self.target else {
            return Ok(());
        };
        let host = reqwest::Url::parse(base_url)
            .ok()
            .and_then(|u| u.host_str().map(|h| h.trim_matches(['[', ']']).to_string()));
        let local = host.is_some_and(|host| {
            host == "localhost"
                || host
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        });
        match local {
            true => Ok(()),
            false => Err(ConfigError {
                variable: BASE_URL.to_string(),
                message: "suite.yaml declares `disposable_target: true` (its requests may change \
                          any record), so it runs only against a gateway on this machine \
                          (127.0.0.1, ::1 or localhost)"
                    .into(),
            }),
        }
    }

    /// Whether colour may be used on a terminal (`NO_COLOR` is not set).
    pub fn color_allowed(lookup: &dyn Fn(&str) -> Option<String>) -> bool {
        lookup(NO_COLOR).is_none_or(|v| v.is_empty())
    }

    /// Reads only where the specs are, before the suite names its key variables.
    pub fn specs_dir(lookup: &dyn Fn(&str) -> Option<String>, root: &std::path::Path) -> PathBuf {
        lookup(SPECS)
            .filter(|v| !v.trim().is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("specs"))
    }

    /// Where the reports and ledgers go unless a variable of their own says otherwise.
    pub fn reports_dir(lookup: &dyn Fn(&str) -> Option<String>, root: &std::path::Path) -> PathBuf {
        lookup(REPORTS)
            .filter(|v| !v.trim().is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("reports"))
    }
}

/// The process environment, as the lookup every reader of settings takes: the one place
/// the crate reads it. A variable that is not valid UTF-8 reads as unset.
pub fn environment(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Settings given as command-line flags, each by the variable it stands for. They win
/// over the environment: [`Flags::over`] asks them first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Flags(BTreeMap<&'static str, String>);

impl Flags {
    /// `--specs DIR` as `set(SPECS, Some(DIR))`; `None` (the flag was not given) sets nothing.
    pub fn set(mut self, variable: &'static str, value: Option<String>) -> Flags {
        if let Some(value) = value {
            self.0.insert(variable, value);
        }
        self
    }

    /// The lookup of these flags, then of `fallback` for the variables they do not set.
    pub fn over<'a>(
        &'a self,
        fallback: &'a dyn Fn(&str) -> Option<String>,
    ) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| self.0.get(name).cloned().or_else(|| fallback(name))
    }
}

fn parse_base_url(url: &str) -> Result<String, ConfigError> {
    // Every message shows the URL with its credentials, query and fragment masked.
    let shown = crate::sanitize::neutralise(&masked_url(url));
    let error = |message: String| ConfigError {
        variable: BASE_URL.to_string(),
        message,
    };
    let parsed = reqwest::Url::parse(url).map_err(|e| {
        error(format!(
            "`{shown}` is not a URL ({e}); expected e.g. https://data.leadlex.com/functions/v1/api-gateway"
        ))
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(error(format!(
            "`{shown}` must start with http:// or https://"
        )));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(error(format!(
            "`{shown}`: the URL must not carry credentials; keys go in LEADLEX_API_KEY and its \
             siblings"
        )));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(error(format!(
            "`{shown}`: the URL must not have a query or fragment"
        )));
    }
    Ok(url.trim_end_matches('/').to_string())
}

/// `url` as it may be shown: anything before the last `@` of the authority (user and
/// password) becomes `***`, and so does anything after the first `?` or `#`. Done on the
/// text, so it works on URLs that do not parse; a password with `/`, `?` or `#` in it is
/// masked too, since the last `@` anywhere ends the masked part.
pub fn masked_url(url: &str) -> String {
    let (scheme, rest) = match url.find("://") {
        Some(at) => url.split_at(at + 3),
        None => ("", url),
    };
    let rest = match rest.rfind('@') {
        Some(at) => format!("***{}", &rest[at..]),
        None => rest.to_string(),
    };
    let rest = match rest.find(['?', '#']) {
        Some(at) => format!("{}***", &rest[..at + 1]),
        None => rest,
    };
    format!("{scheme}{rest}")
}

fn parse_flag(variable: &'static str, value: Option<String>) -> Result<bool, ConfigError> {
    match value.as_deref().map(str::trim) {
        None | Some("0" | "false" | "no") => Ok(false),
        Some("1" | "true" | "yes") => Ok(true),
        Some(other) => Err(ConfigError {
            variable: variable.to_string(),
            message: format!("`{other}` is not one of 1, true, yes, 0, false, no"),
        }),
    }
}

fn parse_seconds(
    variable: &'static str,
    value: Option<String>,
    default: f64,
) -> Result<Duration, ConfigError> {
    let seconds = match value {
        None => default,
        Some(v) => v
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s > 0.0 && *s <= 3600.0)
            .ok_or_else(|| ConfigError {
                variable: variable.to_string(),
                message: format!("`{v}` is not a number of seconds between 0 and 3600"),
            })?,
    };
    Ok(Duration::from_secs_f64(seconds))
}

fn parse_count(
    variable: &'static str,
    value: Option<String>,
    default: usize,
) -> Result<usize, ConfigError> {
    match value {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| ConfigError {
                variable: variable.to_string(),
                message: format!("`{v}` is not a positive whole number"),
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(
            &|k| map.get(k).cloned(),
            Path::new("/crate"),
            &["LEADLEX_API_KEY"],
        )
    }

    #[test]
    fn defaults_to_the_stub_and_the_crate_report() {
        let c = config(&[]).unwrap();
        assert_eq!(c.target, TargetConfig::Stub);
        assert_eq!(c.junit, Some(PathBuf::from("/crate/reports/junit.xml")));
        assert_eq!(c.timeout, Duration::from_secs(30));
        assert!(!c.spend_quota);
        assert!(!c.allow_residue);
    }

    #[test]
    fn live_settings_are_parsed_strictly() {
        let c = config(&[
            (BASE_URL, "https://gw.example/api/"),
            ("LEADLEX_API_KEY", "wbk_x"),
            (SPEND_QUOTA, "yes"),
            (ALLOW_RESIDUE, "1"),
            (TIMEOUT, "2.5"),
        ])
        .unwrap();
        assert_eq!(
            c.target,
            TargetConfig::Live {
                base_url: "https://gw.example/api".into()
            }
        );
        assert_eq!(c.keys["LEADLEX_API_KEY"].expose(), "wbk_x");
        assert!(c.spend_quota);
        assert!(c.allow_residue);
        assert_eq!(c.timeout, Duration::from_millis(2500));
        assert_eq!(
            config(&[(BASE_URL, "ftp://x")]).unwrap_err().variable,
            BASE_URL
        );
        assert_eq!(config(&[(TIMEOUT, "soon")]).unwrap_err().variable, TIMEOUT);
        assert_eq!(
            config(&[(SPEND_QUOTA, "maybe")]).unwrap_err().variable,
            SPEND_QUOTA
        );
        assert_eq!(
            config(&[(ALLOW_RESIDUE, "sure")]).unwrap_err().variable,
            ALLOW_RESIDUE
        );
    }

    #[test]
    fn live_runs_refuse_nextest_processes() {
        let error = config(&[(NEXTEST, "1"), (BASE_URL, "https://gw.example")]).unwrap_err();
        assert_eq!(error.variable, NEXTEST);
    }

    #[test]
    fn nextest_and_off_disable_the_harness_report() {
        assert_eq!(config(&[(NEXTEST, "1")]).unwrap().junit, None);
        assert_eq!(config(&[(JUNIT, "off")]).unwrap().junit, None);
    }

    #[test]
    fn base_url_errors_never_show_credentials_query_or_fragment() {
        for (url, shown) in [
            (
                "http://user:pw-SECRET@gw.example/api",
                "`http://***@gw.example/api`",
            ),
            (
                "https://gw.example/api?key=SECRET",
                "`https://gw.example/api?***`",
            ),
            (
                "https://gw.example/api#SECRET",
                "`https://gw.example/api#***`",
            ),
            // Bad port.
            (
                "http://user:SECRET@gw.example:99999/x?k=SECRET",
                "`http://***@gw.example:99999/x?***`",
            ),
            // Bad scheme.
            (
                "ftp://user:SECRET@gw.example/x?k=SECRET",
                "`ftp://***@gw.example/x?***`",
            ),
            // Not a URL at all.
            ("user:SECRET@gw.example/x?SECRET", "`***@gw.example/x?***`"),
            ("http://user:SECRET@[::1/x", "`http://***@[::1/x`"),
            (
                "http://us er:SE/CR?E#T@gw.example",
                "`http://***@gw.example`",
            ),
            ("http://gw example/x?SECRET", "`http://gw example/x?***`"),
        ] {
            let error = config(&[(BASE_URL, url)]).unwrap_err();
            let message = error.to_string();
            assert_eq!(error.variable, BASE_URL);
            assert!(message.contains(shown), "{url}: {message}");
            for secret in ["SECRET", "pw", "SE/CR", "E#T"] {
                assert!(!message.contains(secret), "{url}: {message}");
            }
        }
    }

    #[test]
    fn reports_and_ledgers_follow_the_reports_directory_unless_named_on_their_own() {
        let c = config(&[(REPORTS, "/out")]).unwrap();
        assert_eq!(c.junit, Some(PathBuf::from("/out/junit.xml")));
        assert_eq!(c.coverage, Some(PathBuf::from("/out/coverage.json")));
        assert_eq!(c.ledger_dir, PathBuf::from("/out/created"));
        let c = config(&[(REPORTS, "/out"), (JUNIT, "/j.xml"), (LEDGER_DIR, "/l")]).unwrap();
        assert_eq!(c.junit, Some(PathBuf::from("/j.xml")));
        assert_eq!(c.coverage, Some(PathBuf::from("/out/coverage.json")));
        assert_eq!(c.ledger_dir, PathBuf::from("/l"));
        let c = config(&[]).unwrap();
        assert_eq!(c.ledger_dir, PathBuf::from("/crate/reports/created"));
    }

    #[test]
    fn flags_win_over_the_environment_and_leave_the_rest_to_it() {
        let environment = |name: &str| match name {
            SPECS => Some("from-env".to_string()),
            TIMEOUT => Some("7".to_string()),
            _ => None,
        };
        let flags = Flags::default()
            .set(SPECS, Some("from-flag".into()))
            .set(REPORTS, None);
        let lookup = flags.over(&environment);
        assert_eq!(lookup(SPECS).as_deref(), Some("from-flag"));
        assert_eq!(lookup(TIMEOUT).as_deref(), Some("7"));
        assert_eq!(lookup(REPORTS), None);
        let root = Path::new("/here");
        assert_eq!(Config::specs_dir(&lookup, root), PathBuf::from("from-flag"));
        assert_eq!(
            Config::reports_dir(&lookup, root),
            PathBuf::from("/here/reports")
        );
    }

    #[test]
    fn annotations_only_in_github_actions() {
        assert!(
            config(&[(GITHUB_ACTIONS, "true")])
                .unwrap()
                .github_annotations
        );
        for value in ["", "false", "1", "yes"] {
            let c = config(&[(GITHUB_ACTIONS, value)]).unwrap();
            assert!(!c.github_annotations, "{value:?}");
        }
        assert!(!config(&[]).unwrap().github_annotations);
    }

    #[test]
    fn secrets_do_not_print() {
        assert_eq!(format!("{:?}", Secret::new("wbk_abc")), "Secret(***)");
    }
}
