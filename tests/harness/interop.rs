//! Tools no one here wrote read what the harness makes: openapi-spec-validator validates
//! the exported document, and Schemathesis tests `serve` against it and finds no
//! conformance failure beyond the one contradiction of the documentation that
//! `tests/interop/schemathesis-baseline.json` records (and says why). Each tool is also
//! shown a deliberately wrong document, and must fail it.
//!
//! Needs `openapi-spec-validator` and `schemathesis` on the PATH (pinned in
//! `.ci/interop-requirements.txt`); `.ci/run` installs them in a virtualenv and runs
//! `cargo test --test harness interop -- --ignored --nocapture`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{command, root, text};
use crate::serve::Served;

/// The longest one tool may take before it is stopped and the test fails.
const TOOL_LIMIT: Duration = Duration::from_secs(300);

/// A tool on the PATH, or a clear failure saying how to get it.
fn tool(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "`{name}` is not on the PATH: pip install -r .ci/interop-requirements.txt \
                 in a virtualenv and put its bin/ on the PATH (.ci/run does)"
            )
        })
}

/// Runs a tool in `dir`, stopped (and failed) after [`TOOL_LIMIT`].
fn run(program: &Path, args: &[&str], dir: &Path) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{} does not start: {e}", program.display()));
    let (stdout, stderr) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let read = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let (out, err) = (read(Box::new(stdout)), read(Box::new(stderr)));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > TOOL_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{} {args:?} ran longer than {TOOL_LIMIT:?}",
                program.display()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// The exported document, written to `dir/openapi.json`.
fn export(dir: &Path) -> (PathBuf, Value) {
    let file = dir.join("openapi.json");
    let output = command(
        &BTreeMap::new(),
        &["export", "openapi", "--output", file.to_str().unwrap()],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let document = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    (file, document)
}

fn write(dir: &Path, name: &str, document: &Value) -> PathBuf {
    let file = dir.join(name);
    std::fs::write(&file, serde_json::to_vec_pretty(document).unwrap()).unwrap();
    file
}

#[test]
#[ignore = "needs openapi-spec-validator (pip); .ci/run runs it"]
fn openapi_spec_validator_accepts_the_export_and_refuses_a_broken_one() {
    let validator = tool("openapi-spec-validator");
    let dir = tempfile::tempdir().unwrap();
    let (file, document) = export(dir.path());
    let output = run(&validator, &[file.to_str().unwrap()], dir.path());
    println!("openapi-spec-validator: {}", text(&output.stdout).trim());
    assert!(
        output.status.success(),
        "{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    assert!(
        text(&output.stdout).contains(": OK"),
        "{}",
        text(&output.stdout)
    );
    // Deliberately wrong: a dangling reference, a response without its description.
    let mut dangling = document.clone();
    dangling["components"]["schemas"]
        .as_object_mut()
        .unwrap()
        .remove("schemas.error");
    let mut undescribed = document.clone();
    undescribed["paths"]["/v1/contacts"]["post"]["responses"]["201"]
        .as_object_mut()
        .unwrap()
        .remove("description");
    for (name, wrong) in [
        ("dangling.json", dangling),
        ("undescribed.json", undescribed),
    ] {
        let file = write(dir.path(), name, &wrong);
        let output = run(&validator, &[file.to_str().unwrap()], dir.path());
        assert!(
            !output.status.success(),
            "{name} passed: {}",
            text(&output.stdout)
        );
    }
}

/// Schemathesis against `served` with `document` (a file): exit status and all it printed.
fn schemathesis(served: &Served, document: &Path, dir: &Path, extra: &[&str]) -> (bool, String) {
    let config = root().join("tests/interop/schemathesis.toml");
    let key = format!("Authorization: Bearer {}", served.keys["full"]);
    let unserved = not_served(document);
    let mut args = vec![
        "--config-file",
        config.to_str().unwrap(),
        "run",
        document.to_str().unwrap(),
        "--url",
        &served.base_url,
        "--header",
        &key,
        "--checks",
        "all",
        "--seed",
        "1",
        "--workers",
        "1",
        "--request-timeout",
        "10",
        "--generation-database",
        "none",
        "--no-color",
    ];
    for id in &unserved {
        args.extend(["--exclude-operation-id", id.as_str()]);
    }
    args.extend_from_slice(extra);
    let output = run(&tool("schemathesis"), &args, dir);
    (
        output.status.success(),
        format!("{}{}", text(&output.stdout), text(&output.stderr)),
    )
}

/// The operations of the exported document that the stub does not play
/// (`x-leadlex-stub: false`): the stub answers them 501 `stub_no_route` on purpose, so
/// Schemathesis leaves them out.
fn not_served(document: &Path) -> Vec<String> {
    let document: serde_json::Value =
        serde_json::from_slice(&std::fs::read(document).unwrap()).unwrap();
    let operations = document["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values());
    let (served, unserved): (Vec<_>, Vec<_>) =
        operations.partition(|op| op["x-leadlex-stub"].as_bool().unwrap());
    assert!(!served.is_empty(), "the stub serves no operation");
    unserved
        .iter()
        .map(|op| op["operationId"].as_str().unwrap().to_string())
        .collect()
}

/// The lines from `SUMMARY` on.
fn summary(printed: &str) -> String {
    printed
        .lines()
        .skip_while(|l| !l.contains("SUMMARY"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
#[ignore = "needs schemathesis (pip); .ci/run runs it"]
fn schemathesis_finds_no_conformance_failure_in_serve() {
    let dir = tempfile::tempdir().unwrap();
    let (file, document) = export(dir.path());
    // The export's own limit (10 calls an hour) off, so that Schemathesis reads its CSV
    // rather than 429s.
    let mut served = Served::start(&["--rate-limit", "1000000", "--no-operation-limits"]);
    let baseline = root().join("tests/interop/schemathesis-baseline.json");
    let started = Instant::now();
    let (passed, printed) = schemathesis(
        &served,
        &file,
        dir.path(),
        &[
            "--max-examples",
            "200",
            "--baseline",
            baseline.to_str().unwrap(),
        ],
    );
    println!(
        "Schemathesis against serve ({:.1} s):\n{}",
        started.elapsed().as_secs_f64(),
        summary(&printed)
    );
    assert!(passed, "{printed}");
    assert!(printed.contains("No issues found"), "{printed}");
    // It really ran: every phase, and the known failures were met (not merely absent):
    // Delete Contact's 404, the stub's own 501 to List and Get Contact parameters their
    // pages give no 400 for (two checks each), and Merge Contacts' documented 400 for a
    // primary among its duplicates (a rule no schema can say).
    for phase in ["✅ Examples", "✅ Coverage", "✅ Fuzzing", "✅ Stateful"] {
        assert!(printed.contains(phase), "{phase}: {printed}");
    }
    assert!(printed.contains("Known failures: 6"), "{printed}");
    let log = served.unread();
    let count = |needle: &str| log.iter().filter(|l| l.contains(needle)).count();
    println!("serve logged {} requests", log.len());
    for seen in [
        "POST /v1/contacts 201 contacts.create",
        "POST /v1/contacts 400 contacts.create",
        " 200 contacts.get",
        " 404 contacts.get",
        " 200 contacts.delete",
        " 200 contacts.update",
        "GET /v1/contacts 200 contacts.list",
        " 401 contacts.",
    ] {
        assert!(count(seen) > 0, "serve's log has no `{seen}`");
    }
    assert!(log.len() > 500, "only {} requests", log.len());

    // Deliberately wrong: without the baseline its entries are failures (with 20 examples,
    // the stub's own 501s to List and Get Contact parameters are met before Delete
    // Contact's 404); a document whose contact schema requires a field the stub never sends
    // fails the responses.
    let (passed, printed) = schemathesis(&served, &file, dir.path(), &["--max-examples", "20"]);
    assert!(!passed, "{printed}");
    assert!(printed.contains("Undocumented status code"), "{printed}");
    assert!(
        ["DELETE /v1/contacts/{id}", "GET /v1/contacts"]
            .iter()
            .any(|op| printed.contains(op)),
        "{printed}"
    );
    let mut wrong = document.clone();
    wrong["components"]["schemas"]["contacts.contact"]["properties"]["data"]["required"]
        .as_array_mut()
        .unwrap()
        .push("nickname".into());
    let wrong = write(dir.path(), "wrong.json", &wrong);
    let baseline = baseline.to_str().unwrap();
    let (passed, printed) = schemathesis(
        &served,
        &wrong,
        dir.path(),
        &["--max-examples", "20", "--baseline", baseline],
    );
    assert!(!passed, "{printed}");
    assert!(printed.contains("Response violates schema"), "{printed}");
    let (status, _, stderr) = served.interrupt();
    assert!(status.success(), "{stderr}");
}
