//! Benchmark: loading and linting 10,000 generated scenarios, then a 20 MiB spec tree.
//!
//! `cargo bench --bench load` writes 100 spec files of 100 scenarios each (every scenario
//! with a setup step, a capture, a cleanup, templates and a verify step, like the shipped
//! ones) and times `spec::load` (parse, locate, check every key, cross-check, compile the
//! schemas) plus the coverage matrix, as `leadlex-conformance lint` does. It then loads
//! 20 MiB of the same scenarios in files just under the per-file limit, the same 20 MiB
//! with a wrong value in every scenario (one message each), and one 20 MiB file (refused
//! by its size before it is read). A benchmark, not a test: it prints figures and asserts
//! nothing about time.

use std::time::{Duration, Instant};

use leadlex_conformance::load;
use leadlex_conformance::Coverage;

const FILES: usize = 100;
const SCENARIOS_PER_FILE: usize = 100;
const RUNS: usize = 7;

fn main() {
    ten_thousand_scenarios();
    twenty_mebibytes();
}

/// A specs directory with the shipped suite, schemas and contacts operations.
fn shipped_tree(root: &std::path::Path) -> std::path::PathBuf {
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("specs");
    std::fs::copy(shipped.join("suite.yaml"), root.join("suite.yaml")).unwrap();
    std::fs::create_dir_all(root.join("schemas")).unwrap();
    std::fs::copy(
        shipped.join("schemas/error.schema.json"),
        root.join("schemas/error.schema.json"),
    )
    .unwrap();
    std::fs::create_dir_all(root.join("contacts")).unwrap();
    for file in [
        "create.yaml",
        "get.yaml",
        "delete.yaml",
        "contact.schema.json",
        "delete.200.schema.json",
    ] {
        std::fs::copy(
            shipped.join("contacts").join(file),
            root.join("contacts").join(file),
        )
        .unwrap();
    }
    shipped
}

fn ten_thousand_scenarios() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let root = dir.path();
    let shipped = shipped_tree(root);
    // The shipped Create, Get and Delete Contact scenarios the tree starts with.
    let shipped_scenarios = match load(root) {
        Ok(suite) => suite.scenarios.len(),
        Err(errors) => panic!(
            "the shipped tree: {} errors, the first: {}",
            errors.len(),
            errors[0]
        ),
    };
    let operation = std::fs::read_to_string(shipped.join("contacts/delete.yaml")).unwrap();
    let operation = &operation[..operation.find("\nscenarios:").unwrap()];
    let mut bytes = 0;
    for f in 0..FILES {
        let mut text = format!("{operation}\nscenarios:\n");
        for s in 0..SCENARIOS_PER_FILE {
            text.push_str(&scenario(f, s));
        }
        bytes += text.len();
        // Every file is its own operation (`bench.delete_NNN`) on the same endpoint.
        std::fs::create_dir_all(root.join("bench")).unwrap();
        std::fs::write(root.join(format!("bench/delete_{f:03}.yaml")), text).unwrap();
        let schema = "delete.200.schema.json";
        std::fs::copy(
            shipped.join("contacts").join(schema),
            root.join("bench").join(schema),
        )
        .unwrap();
    }
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let started = Instant::now();
            let suite = match load(root) {
                Ok(suite) => suite,
                Err(errors) => panic!("{} errors, the first: {}", errors.len(), errors[0]),
            };
            let coverage = Coverage::of(&suite);
            assert_eq!(
                suite.scenarios.len(),
                FILES * SCENARIOS_PER_FILE + shipped_scenarios
            );
            assert!(!coverage.operations.is_empty());
            started.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "load + lint of {} scenarios in {FILES} files ({:.1} MiB of YAML), {RUNS} runs: min {:.0} ms, median {:.0} ms, max {:.0} ms",
        FILES * SCENARIOS_PER_FILE,
        bytes as f64 / (1024.0 * 1024.0),
        times[0].as_secs_f64() * 1000.0,
        times[RUNS / 2].as_secs_f64() * 1000.0,
        times[RUNS - 1].as_secs_f64() * 1000.0,
    );
}

fn scenario(file: usize, n: usize) -> String {
    format!(
        r#"  - name: scenario_{file}_{n}
    about: generated scenario {n} of file {file}
    setup:
      - operation: contacts.create
        request:
          body: {{ full_name: "Bench {{{{run_id}}}} {n}" }}
        capture: {{ contact_id: /data/id }}
        cleanup:
          operation: contacts.delete
          request: {{ path: {{ id: "{{{{contact_id}}}}" }} }}
    request:
      path: {{ id: "{{{{contact_id}}}}" }}
    expect:
      status: 200
      equals:
        /data/id: "{{{{contact_id}}}}"
        /data/deleted: true
    verify:
      - operation: contacts.get
        request: {{ path: {{ id: "{{{{contact_id}}}}" }} }}
        expect: {{ status: 404, code: not_found }}
"#
    )
}

/// Writes `bytes` of generated scenarios into files of at most `per_file` bytes; `broken`
/// gives every scenario a status that is not a number.
fn write_tree(root: &std::path::Path, bytes: usize, per_file: usize, broken: bool) -> usize {
    let shipped = shipped_tree(root);
    let operation = std::fs::read_to_string(shipped.join("contacts/delete.yaml")).unwrap();
    let operation = &operation[..operation.find("\nscenarios:").unwrap()];
    std::fs::create_dir_all(root.join("bench")).unwrap();
    std::fs::copy(
        shipped.join("contacts/delete.200.schema.json"),
        root.join("bench/delete.200.schema.json"),
    )
    .unwrap();
    let (mut written, mut scenarios, mut file) = (0, 0, 0);
    while written < bytes {
        let mut text = format!("{operation}\nscenarios:\n");
        while text.len() < per_file - 2000 && written + text.len() < bytes {
            let mut one = scenario(file, scenarios);
            if broken {
                one = one.replace("status: 200", "status: two hundred");
            }
            text.push_str(&one);
            scenarios += 1;
        }
        written += text.len();
        std::fs::write(root.join(format!("bench/delete_{file:03}.yaml")), text).unwrap();
        file += 1;
    }
    scenarios
}

fn twenty_mebibytes() {
    const BYTES: usize = 20 * 1024 * 1024;
    let limit = leadlex_conformance::MAX_SPEC_FILE_BYTES as usize;
    for (what, per_file, broken) in [
        ("valid, in files under the limit", limit, false),
        ("a wrong status in every scenario", limit, true),
        ("one file (refused by its size)", BYTES + 4096, false),
    ] {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let scenarios = write_tree(dir.path(), BYTES, per_file, broken);
        let started = Instant::now();
        let result = load(dir.path());
        let elapsed = started.elapsed();
        let outcome = match &result {
            Ok(suite) => format!("{} scenarios loaded", suite.scenarios.len()),
            Err(errors) => format!("{} problem(s)", errors.len()),
        };
        println!(
            "load + lint of 20 MiB, {what}: {scenarios} scenarios, {:.0} ms, {outcome}",
            elapsed.as_secs_f64() * 1000.0
        );
    }
}
