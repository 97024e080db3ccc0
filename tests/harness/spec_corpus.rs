//! The corpus of broken specs: each case under `tests/spec_corpus/` must fail to load with
//! exactly the diagnostics in its `expected.txt`, and none may panic.
//!
//! A case is the valid tree of `tests/spec_corpus/_base/` with the case's files laid over
//! it (symbolic links laid as links) and the paths listed in its `_remove` deleted. To accept deliberate changes of the
//! messages, run with `LEADLEX_BLESS=1` and review the diff.

use std::path::{Path, PathBuf};

use leadlex_conformance::load;

use crate::common::root;

fn corpus() -> PathBuf {
    root().join("tests/spec_corpus")
}

/// Copies every file below `from` into `to`, skipping the corpus's own bookkeeping files.
fn overlay(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let target = to.join(&name);
        let is_link = entry.file_type().is_ok_and(|t| t.is_symlink());
        if is_link {
            // A case about links outside the specs (`/etc/passwd`, `/dev/zero`): the link
            // itself, never what it points at.
            let _ = std::fs::remove_file(&target);
            std::os::unix::fs::symlink(std::fs::read_link(&path).unwrap(), &target).unwrap();
        } else if path.is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            overlay(&path, &target);
        } else if !matches!(
            name.to_str(),
            Some("expected.txt" | "_remove" | "README.md")
        ) {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// The diagnostics of one case, with the temporary directory written as `specs`.
fn diagnostics(case: &Path) -> String {
    let specs = tempfile::tempdir().unwrap();
    overlay(&corpus().join("_base"), specs.path());
    overlay(case, specs.path());
    if let Ok(list) = std::fs::read_to_string(case.join("_remove")) {
        for line in list.lines().filter(|l| !l.trim().is_empty()) {
            std::fs::remove_file(specs.path().join(line.trim())).unwrap();
        }
    }
    let errors = match load(specs.path()) {
        Ok(_) => return "(loaded without errors)\n".to_string(),
        Err(errors) => errors,
    };
    let text: String = errors
        .iter()
        .map(|e| format!("{}\n", e.render(false)))
        .collect();
    text.replace(&specs.path().display().to_string(), "specs")
}

#[test]
fn every_broken_spec_gets_its_precise_message() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(corpus())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir() && !p.ends_with("_base"))
        .collect();
    cases.sort();
    let bless = std::env::var_os("LEADLEX_BLESS").is_some();
    let mut failures = Vec::new();
    for case in &cases {
        let actual = diagnostics(case);
        let expected_file = case.join("expected.txt");
        if bless {
            std::fs::write(&expected_file, &actual).unwrap();
        }
        let expected = std::fs::read_to_string(&expected_file).unwrap_or_default();
        if actual != expected {
            let diff = similar::TextDiff::from_lines(&expected, &actual)
                .unified_diff()
                .header("expected.txt", "actual")
                .to_string();
            failures.push(format!("{}:\n{diff}", case.display()));
        }
        assert!(
            !actual.contains("loaded without errors"),
            "{} is not broken",
            case.display()
        );
    }
    assert!(
        failures.is_empty(),
        "{} case(s) differ (LEADLEX_BLESS=1 accepts the new text):\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        cases.len() >= 20,
        "the corpus has its cases: {}",
        cases.len()
    );
}

#[test]
fn the_corpus_base_itself_is_valid() {
    let specs = tempfile::tempdir().unwrap();
    overlay(&corpus().join("_base"), specs.path());
    load(specs.path()).expect("the base of the corpus loads");
}
