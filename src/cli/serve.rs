//! `serve [--port N] [--rate-limit N] [--seed FILE] [--latency MS] [--fail-rate P]
//! [--fail-seed N]`: the stub as a standalone HTTP server on 127.0.0.1 until Ctrl-C (or
//! SIGTERM). It prints its base URL and a key per credential, then one line per request.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use super::args::ServeArgs;
use super::prepare::specs_or_exit;
use super::EXIT_BROKEN_INPUT;
use crate::live::ids::path_segment;
use crate::spec;
use crate::stub::faults::FaultOptions;
use crate::stub::seed::Seed;
use crate::stub::serve::{log_line, start, ServeOptions};
use crate::stub::RequestLog;

/// Serves the stub until Ctrl-C. Exit code 0 when stopped, 2 when the specs or the seed
/// file are broken, 1 when it could not start.
pub fn serve(lookup: &dyn Fn(&str) -> Option<String>, root: &Path, args: &ServeArgs) -> ExitCode {
    let (specs_dir, suite) = match specs_or_exit(lookup, root) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let seed = match read_seed(args, root, &suite) {
        Ok(seed) => seed,
        Err(broken) => {
            eprintln!("{broken}");
            return ExitCode::from(EXIT_BROKEN_INPUT);
        }
    };
    let options = ServeOptions {
        port: args.port,
        rate_limit: args.rate_limit,
        operation_limits: !args.no_operation_limits,
        seed,
        faults: FaultOptions {
            latency: args.latency,
            fail_rate: args.fail_rate.unwrap_or(0.0),
            seed: args.fail_seed,
        },
    };
    let (stopped, runtime) = match stop_signal_and_runtime() {
        Ok(started) => started,
        Err(message) => {
            eprintln!("error: {message}");
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

/// The seed file named on the command line (relative to the current directory, as every
/// path of the command line), read against the suite's collections.
fn read_seed(
    args: &ServeArgs,
    root: &Path,
    suite: &crate::spec::Suite,
) -> Result<Option<Seed>, String> {
    // A seeded record is read and deleted through its id in a path, as a created one is.
    let addressable = |id: &str| path_segment(id.to_string()).map(drop);
    match &args.seed {
        None => Ok(None),
        Some(file) => Seed::read(&root.join(file), suite, &addressable)
            .map(Some)
            .map_err(|broken| broken.to_string()),
    }
}

/// A receiver that gets a message on Ctrl-C (or SIGTERM), and the runtime to serve on.
fn stop_signal_and_runtime(
) -> Result<(std::sync::mpsc::Receiver<()>, tokio::runtime::Runtime), String> {
    let (stop, stopped) = std::sync::mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = stop.send(());
    })
    .map_err(|error| format!("cannot handle Ctrl-C: {error}"))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start the async runtime: {error}"))?;
    Ok((stopped, runtime))
}
