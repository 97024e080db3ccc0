//! Benchmark: loading and linting 10,000 generated scenarios.
//!
//! `cargo bench --bench load` writes 100 spec files of 100 scenarios each (every scenario
//! with a setup step, a capture, a cleanup, templates and a verify step, like the shipped
//! ones) and times `spec::load` (parse, locate, check every key, cross-check, compile the
//! schemas) plus the coverage matrix, as `leadlex-conformance lint` does. A benchmark, not
//! a test: it prints figures and asserts nothing about time.

use std::time::{Duration, Instant};

use leadlex_conformance::coverage::Coverage;
use leadlex_conformance::spec::load;

const FILES: usize = 100;
const SCENARIOS_PER_FILE: usize = 100;
const RUNS: usize = 7;

fn main() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let root = dir.path();
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
            assert_eq!(suite.scenarios.len(), FILES * SCENARIOS_PER_FILE + 7);
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
