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
use crate::config::{Config, TargetConfig, BASE_URL};
use crate::live::ledger::{self, Entry, Ledger};
use crate::transport::deliver::Delivery;
use crate::transport::http::{Bearer, HttpClient, HttpRequest};
use crate::transport::limit::{Kind, Limiter};

pub fn cleanup(lookup: &dyn Fn(&str) -> Option<String>, root: &Path, run_id: &str) -> ExitCode {
    match remove_leftovers(lookup, root, run_id) {
        Ok((removed, left)) => {
            println!("cleanup of run {run_id}: {removed} removed, {left} left");
            match left {
                0 => ExitCode::SUCCESS,
                _ => ExitCode::FAILURE,
            }
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(EXIT_BROKEN_INPUT)
        }
    }
}

/// (records removed, records left).
fn remove_leftovers(
    lookup: &dyn Fn(&str) -> Option<String>,
    root: &Path,
    run_id: &str,
) -> Result<(usize, usize), String> {
    if run_id.is_empty()
        || !run_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(format!(
            "`{run_id}` is not a run id (they look like 20261129T061500Z-3f2a91)"
        ));
    }
    // Keys come only from the credential variables the suite declares, read as any run reads
    // them: a ledger line cannot make the command send some other variable's value.
    let suite = crate::spec::load(&Config::specs_dir(lookup, root)).map_err(|errors| {
        format!(
            "the specs must load to know the credential variables: {}",
            errors[0]
        )
    })?;
    let variables: Vec<&str> = suite.credentials.values().map(|c| c.env.as_str()).collect();
    let config = Config::from_lookup(lookup, root, &variables).map_err(|e| e.to_string())?;
    let TargetConfig::Live { base_url } = &config.target else {
        return Err(format!(
            "{BASE_URL} must name the gateway the run {run_id} talked to"
        ));
    };
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
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    // What is printed passes the redactor and is neutralised, like every run's output.
    let redactor = crate::secrets::redact::Redactor::from_config(&config);
    let shown = |text: &str| crate::report::render::safe_text(text, &redactor);
    let mut removed = 0;
    for entry in &pending {
        match runtime.block_on(remove(&delivery, base_url, &config, &variables, entry)) {
            Ok(()) => {
                ledger.removed(&entry.trial, &entry.method, &entry.url);
                println!("removed: {} {}", shown(&entry.method), shown(&entry.url));
                removed += 1;
            }
            Err(problem) => println!(
                "left:    {} {} ({})",
                shown(&entry.method),
                shown(&entry.url),
                shown(&problem)
            ),
        }
    }
    Ok((removed, pending.len() - removed))
}

async fn remove(
    delivery: &Delivery,
    base_url: &str,
    config: &Config,
    variables: &[&str],
    entry: &Entry,
) -> Result<(), String> {
    // Parsed first, so that `..` is resolved before the URL is compared with the base.
    let url = reqwest::Url::parse(&entry.url).map_err(|e| e.to_string())?;
    let Some(rest) = url.as_str().strip_prefix(&format!("{base_url}/")) else {
        return Err(format!("not under {base_url}, so not sent"));
    };
    // The same rule as when the run sent it: no segment a proxy could reinterpret.
    if rest.contains(['?', '#']) {
        return Err("the ledger URL has a query or fragment, so not sent".into());
    }
    for segment in rest.split('/') {
        crate::live::ids::path_segment(segment.to_string())
            .map_err(|problem| format!("{problem}; not sent"))?;
    }
    let bearer = match &entry.key_variable {
        Some(variable) if !variables.contains(&variable.as_str()) => {
            return Err(format!(
                "{variable} is not a credential of the suite, so not sent"
            ));
        }
        Some(variable) => Some(Bearer {
            key: config
                .keys
                .get(variable)
                .ok_or_else(|| format!("set {variable} to remove it"))?
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
        targets: Vec::new(),
    };
    match delivery.send(&request, Kind::Cleanup, false, |_| {}).await {
        Ok(r) if ledger::gone(r.status) => Ok(()),
        Ok(r) => Err(format!("the gateway answered {}", r.status)),
        Err(error) => Err(error.to_string()),
    }
}
