//! `serve [--port N] [--rate-limit N]`: the stub as a standalone HTTP server on 127.0.0.1
//! until Ctrl-C (or SIGTERM). It prints its base URL and a key per credential, then one
//! line per request.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use super::prepare::load_specs;
use super::EXIT_BROKEN_INPUT;
use crate::config::Config;
use crate::spec;
use crate::stub::serve::{log_line, start, ServeOptions, DEFAULT_PORT};
use crate::stub::RequestLog;

const USAGE: &str = "usage: leadlex-conformance serve [--port N] [--rate-limit N]";

/// Serves the stub until Ctrl-C; `args` are the words after `serve`. Exit code 0 when
/// stopped, 2 when the arguments or the specs are broken, 1 when it could not start.
pub fn serve(lookup: &dyn Fn(&str) -> Option<String>, root: &Path, args: &[String]) -> ExitCode {
    let options = match parse(args) {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!(
                "{USAGE}\n\nServes the stub built from the specs on 127.0.0.1 until Ctrl-C.\n  \
                 --port N        the port (default {DEFAULT_PORT}; 0 picks a free one)\n  \
                 --rate-limit N  requests per key before 429 (default: suite.yaml's stub.rate_limit)"
            );
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}\n{USAGE}");
            return ExitCode::from(EXIT_BROKEN_INPUT);
        }
    };
    let specs_dir = Config::specs_dir(lookup, root);
    let suite = match load_specs(&specs_dir) {
        Ok(suite) => suite,
        Err(broken) => {
            eprintln!("{}", broken.message(lookup));
            return ExitCode::from(EXIT_BROKEN_INPUT);
        }
    };
    let (stop, stopped) = std::sync::mpsc::channel();
    if let Err(error) = ctrlc::set_handler(move || {
        let _ = stop.send(());
    }) {
        eprintln!("error: cannot handle Ctrl-C: {error}");
        return ExitCode::FAILURE;
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    // A closed standard output loses the log, never the server.
    let log: RequestLog = Arc::new(|answered| {
        let line = log_line(answered, chrono::Utc::now());
        let _ = writeln!(std::io::stdout().lock(), "{line}");
    });
    let served = match runtime.block_on(start(&suite, &options, log)) {
        Ok(served) => served,
        Err(error) => {
            eprintln!("error: {error}; choose another port with --port N (0 picks a free one)");
            return ExitCode::FAILURE;
        }
    };
    let banner = served.banner(&spec::display_path(&specs_dir), suite.operations.len());
    let _ = std::io::stdout().lock().write_all(banner.as_bytes());
    let _ = std::io::stdout().flush();
    let _ = stopped.recv();
    drop(served);
    let _ = writeln!(std::io::stdout().lock(), "stopped");
    ExitCode::SUCCESS
}

/// The options, or `None` for `--help`.
fn parse(args: &[String]) -> Result<Option<ServeOptions>, String> {
    let mut options = ServeOptions::default();
    let mut words = args.iter().map(String::as_str);
    let mut seen = Vec::new();
    while let Some(word) = words.next() {
        if word == "--help" || word == "-h" {
            return Ok(None);
        }
        let (flag, inline) = match word.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(value)),
            _ => (word, None),
        };
        if flag != "--port" && flag != "--rate-limit" {
            return Err(format!("unknown argument `{word}`"));
        }
        if seen.contains(&flag) {
            return Err(format!("{flag} is given twice"));
        }
        seen.push(flag);
        let value = inline
            .or_else(|| words.next())
            .ok_or_else(|| format!("{flag} needs a number"))?;
        match flag {
            "--port" => {
                options.port = value.parse().map_err(|_| {
                    format!("--port `{value}` is not a port (0 to 65535; 0 picks a free one)")
                })?
            }
            _ => {
                let limit: u32 = value.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                    format!(
                        "--rate-limit `{value}` is not a number of requests (1 to {})",
                        u32::MAX
                    )
                })?;
                options.rate_limit = Some(limit);
            }
        }
    }
    Ok(Some(options))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Result<Option<ServeOptions>, String> {
        let words: Vec<String> = text.split_whitespace().map(str::to_string).collect();
        parse(&words)
    }

    #[test]
    fn arguments() {
        assert_eq!(parsed(""), Ok(Some(ServeOptions::default())));
        let options = parsed("--port 0 --rate-limit=500").unwrap().unwrap();
        assert_eq!((options.port, options.rate_limit), (0, Some(500)));
        assert_eq!(parsed("--port=8080").unwrap().unwrap().port, 8080);
        assert_eq!(parsed("-h"), Ok(None));
        for (text, expected) in [
            ("--port", "--port needs a number"),
            ("--port 70000", "is not a port"),
            ("--port -1", "is not a port"),
            ("--rate-limit 0", "is not a number of requests"),
            ("--rate-limit x", "is not a number of requests"),
            ("--port 1 --port 2", "--port is given twice"),
            ("--verbose", "unknown argument `--verbose`"),
            ("4010", "unknown argument `4010`"),
        ] {
            let message = parsed(text).unwrap_err();
            assert!(message.contains(expected), "{text}: {message}");
        }
    }
}
