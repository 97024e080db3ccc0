//! `leadlex-conformance cleanup <run id>`: remove what an earlier live run left behind.
//!
//! It reads that run's ledger (see [`crate::live::ledger`]) and sends, for each record created
//! and not marked removed, the request recorded to remove it, with the key from the
//! variable recorded beside it. Nothing outside the ledger is touched, and an entry whose
//! URL is not under the configured `LEADLEX_BASE_URL` is refused rather than sent. The
//! requests are paced and retried like any live run's.

use std::path::Path;
use std::process::ExitCode;

use super::EXIT_BROKEN_INPUT;
use crate::config::ConfigError;
use crate::config::{Config, TargetConfig, BASE_URL};
use crate::live::ledger::{self, Entry, Ledger, LedgerError};
use crate::spec::SpecError;
use crate::transport::deliver::Delivery;
use crate::transport::http::{Bearer, ClientError, HttpClient, HttpRequest, TransportError};
use crate::transport::limit::{Kind, Limiter};

/// Why the command could not try to remove anything.
#[derive(Debug, thiserror::Error)]
enum CleanupError {
    #[error("`{0}` is not a run id (they look like 20261129T061500Z-3f2a91)")]
    NotARunId(String),
    #[error("the specs must load to know the credential variables: {0}")]
    Specs(Box<SpecError>),
    #[error(transparent)]
    Settings(#[from] ConfigError),
    #[error("{BASE_URL} must name the gateway the run {0} talked to")]
    NotLive(String),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
}

/// Why one recorded record was left in place.
#[derive(Debug, thiserror::Error)]
enum NotRemoved {
    #[error("{0}")]
    BadUrl(String),
    #[error("not under {0}, so not sent")]
    NotUnderBase(String),
    #[error("the ledger URL has a query or fragment, so not sent")]
    QueryOrFragment,
    #[error("{0}; not sent")]
    UnsafeSegment(String),
    #[error("{0} is not a credential of the suite, so not sent")]
    NotACredential(String),
    #[error("set {0} to remove it")]
    KeyNotSet(String),
    #[error("the gateway answered {0}")]
    Answered(u16),
    #[error(transparent)]
    Transport(#[from] TransportError),
}

/// `cleanup <run id>`: exit code 0 when nothing is left, 1 when something is, 2 when the
/// command could not try.
pub fn cleanup(lookup: &dyn Fn(&str) -> Option<String>, root: &Path, run_id: &str) -> ExitCode {
    match remove_leftovers(lookup, root, run_id) {
        Ok((removed, left)) => {
            println!("cleanup of run {run_id}: {removed} removed, {left} left");
            match left {
                0 => ExitCode::SUCCESS,
                _ => ExitCode::FAILURE,
            }
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(EXIT_BROKEN_INPUT)
        }
    }
}

/// The settings for a cleanup of a live gateway, and the suite's credential variables.
fn settings(
    lookup: &dyn Fn(&str) -> Option<String>,
    root: &Path,
    run_id: &str,
) -> Result<(Config, String, Vec<String>), CleanupError> {
    if run_id.is_empty()
        || !run_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(CleanupError::NotARunId(run_id.to_string()));
    }
    // Keys come only from the credential variables the suite declares, read as any run reads
    // them: a ledger line cannot make the command send some other variable's value.
    let suite = crate::spec::load(&Config::specs_dir(lookup, root))
        .map_err(|mut errors| CleanupError::Specs(Box::new(errors.swap_remove(0))))?;
    let variables: Vec<String> = suite.credentials.values().map(|c| c.env.clone()).collect();
    let names: Vec<&str> = variables.iter().map(String::as_str).collect();
    let config = Config::from_lookup(lookup, root, &names)?;
    let TargetConfig::Live { base_url } = &config.target else {
        return Err(CleanupError::NotLive(run_id.to_string()));
    };
    let base_url = base_url.clone();
    Ok((config, base_url, variables))
}

/// (records removed, records left).
fn remove_leftovers(
    lookup: &dyn Fn(&str) -> Option<String>,
    root: &Path,
    run_id: &str,
) -> Result<(usize, usize), CleanupError> {
    let (config, base_url, variables) = settings(lookup, root, run_id)?;
    let variables: Vec<&str> = variables.iter().map(String::as_str).collect();
    let path = ledger::path_of(&config.ledger_dir, run_id);
    let pending = ledger::pending(&path)?;
    if pending.is_empty() {
        return Ok((0, 0));
    }
    let ledger = Ledger::open(&config.ledger_dir, run_id)?;
    let delivery = Delivery {
        client: HttpClient::new(&config)?,
        limiter: Limiter::new(config.rate_limit, None, config.max_wait),
        retries: config.retries,
        observe: true,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CleanupError::Runtime)?;
    // What is printed passes the redactor and is neutralised, like every run's output.
    let redactor = crate::secrets::redact::Redactor::from_config(&config);
    let shown = |text: &str| crate::report::render::safe_text(text, &redactor);
    let mut removed = 0;
    for entry in &pending {
        let sent = remove(&delivery, &base_url, &config, &variables, entry);
        match runtime.block_on(sent) {
            Ok(()) => {
                ledger.removed(&entry.trial, &entry.method, &entry.url);
                println!("removed: {} {}", shown(&entry.method), shown(&entry.url));
                removed += 1;
            }
            Err(problem) => println!(
                "left:    {} {} ({})",
                shown(&entry.method),
                shown(&entry.url),
                shown(&problem.to_string())
            ),
        }
    }
    Ok((removed, pending.len() - removed))
}

/// Sends the recorded request that removes `entry`, if it is safe to send.
async fn remove(
    delivery: &Delivery,
    base_url: &str,
    config: &Config,
    variables: &[&str],
    entry: &Entry,
) -> Result<(), NotRemoved> {
    // Parsed first, so that `..` is resolved before the URL is compared with the base.
    let url = reqwest::Url::parse(&entry.url).map_err(|e| NotRemoved::BadUrl(e.to_string()))?;
    let Some(rest) = url.as_str().strip_prefix(&format!("{base_url}/")) else {
        return Err(NotRemoved::NotUnderBase(base_url.to_string()));
    };
    // The same rule as when the run sent it: no segment a proxy could reinterpret.
    if rest.contains(['?', '#']) {
        return Err(NotRemoved::QueryOrFragment);
    }
    for segment in rest.split('/') {
        crate::live::ids::path_segment(segment.to_string()).map_err(NotRemoved::UnsafeSegment)?;
    }
    let bearer = match &entry.key_variable {
        Some(variable) if !variables.contains(&variable.as_str()) => {
            return Err(NotRemoved::NotACredential(variable.clone()));
        }
        Some(variable) => Some(Bearer {
            key: config
                .keys
                .get(variable)
                .ok_or_else(|| NotRemoved::KeyNotSet(variable.clone()))?
                .expose()
                .to_string(),
            shown: format!("${variable}"),
        }),
        None => None,
    };
    let request = HttpRequest {
        method: entry.method.clone(),
        url,
        bearer,
        body: None,
        pad: None,
        targets: Vec::new(),
        accept: crate::transport::http::ACCEPT_JSON.to_string(),
    };
    match delivery.send(&request, Kind::Cleanup, false, |_| {}).await {
        Ok(r) if ledger::gone(r.status) => Ok(()),
        Ok(r) => Err(NotRemoved::Answered(r.status)),
        Err(error) => Err(error.into()),
    }
}
