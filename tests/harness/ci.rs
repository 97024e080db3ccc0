//! CI-friendly reports: JUnit testcases carry the `file` and `line` of their scenario, and
//! in GitHub Actions (`GITHUB_ACTIONS=true`) failures and broken specs are also printed as
//! `::error` workflow commands at their spec line, redacted, inert and bounded.

use std::collections::BTreeMap;
use std::path::Path;

use crate::common::{behaving, command, command_in, copy_specs, root, text};
use crate::secrets::{assert_no_key, run_against};
use crate::support::gateway::{Behaviour, GatewayConfig};

const FORBIDDEN: &str = "contacts/delete.yaml::key_without_delete_permission_is_forbidden";
const GITHUB: (&str, &str) = ("GITHUB_ACTIONS", "true");

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The line of `- name: <scenario>` in a spec file under `specs`.
fn scenario_line(specs: &Path, file: &str, scenario: &str) -> usize {
    let text = std::fs::read_to_string(specs.join(file)).unwrap();
    let wanted = format!("- name: {scenario}");
    text.lines().position(|l| l.trim() == wanted).unwrap() + 1
}

/// The lines of `output` that GitHub Actions reads as workflow commands, as its runner
/// does: lines that start with `::` once leading white space is trimmed (the runner's
/// `TrimStart`), nothing between `::stop-commands::<token>` and `::<token>::`; the pause
/// and resume lines themselves are left out.
fn workflow_commands(output: &str) -> Vec<&str> {
    let mut paused: Option<String> = None;
    let mut commands = Vec::new();
    for line in output.lines().map(str::trim_start) {
        match &paused {
            Some(token) if line == format!("::{token}::") => paused = None,
            Some(_) => {}
            None => match line.strip_prefix("::stop-commands::") {
                Some(token) => paused = Some(token.to_string()),
                None if line.starts_with("::") => commands.push(line),
                None => {}
            },
        }
    }
    commands
}

/// A hostile gateway: its 403 to the no-delete key has exactly `body`, and every response
/// carries `X-Note: <note>`.
fn hostile(body: &'static str, note: &'static str) -> GatewayConfig {
    GatewayConfig {
        behaviour: Behaviour::Hostile { body, note },
        ..GatewayConfig::default()
    }
}

fn parsed(junit: &str) -> junit_parser::TestSuites {
    junit_parser::from_reader(std::io::Cursor::new(junit.as_bytes())).unwrap()
}

#[test]
fn junit_testcases_carry_the_file_and_line_of_their_scenario() {
    let written = run_against(behaving(Behaviour::WrongErrorCode), &[], &[]);
    assert_eq!(
        written.output.status.code(),
        Some(101),
        "{}",
        written.stderr
    );
    let junit = written.junit.as_deref().unwrap();
    let report = parsed(junit);
    let specs = root().join("specs");
    let mut seen = 0;
    for case in report.suites.iter().flat_map(|s| &s.cases) {
        // `contacts.delete` is `specs/contacts/delete.yaml`, relative to the repository.
        let operation = case.classname.as_deref().unwrap();
        let file = format!("{}.yaml", operation.replace('.', "/"));
        assert_eq!(
            case.file.as_deref(),
            Some(format!("specs/{file}").as_str()),
            "{case:?}"
        );
        let line = scenario_line(&specs, &file, &case.original_name) as u64;
        assert_eq!(case.line, Some(line), "{case:?}");
        seen += 1;
    }
    assert!(seen >= 7, "{junit}");
    // The failed testcase too, as a second parser reads the attributes.
    let document = roxmltree::Document::parse(junit).unwrap();
    let failed = document
        .descendants()
        .find(|n| n.attribute("name") == Some("key_without_delete_permission_is_forbidden"))
        .unwrap();
    assert!(failed.children().any(|c| c.has_tag_name("failure")));
    assert_eq!(failed.attribute("file"), Some("specs/contacts/delete.yaml"));
    let line = scenario_line(
        &specs,
        "contacts/delete.yaml",
        "key_without_delete_permission_is_forbidden",
    );
    assert_eq!(failed.attribute("line"), Some(line.to_string().as_str()));
}

#[test]
fn a_failing_scenario_is_annotated_at_its_spec_line_in_github_actions() {
    let written = run_against(
        behaving(Behaviour::WrongErrorCode),
        &[GITHUB],
        &["--exact", FORBIDDEN],
    );
    assert_eq!(
        written.output.status.code(),
        Some(101),
        "{}",
        written.stderr
    );
    let line = scenario_line(
        &root().join("specs"),
        "contacts/delete.yaml",
        "key_without_delete_permission_is_forbidden",
    );
    let commands = workflow_commands(&written.stdout);
    assert_eq!(commands.len(), 1, "{}", written.stdout);
    let expected = format!(
        "::error file=specs/contacts/delete.yaml,line={line},col=5,\
         title=contacts/delete.yaml%3A%3Akey_without_delete_permission_is_forbidden failed\
         ::error.code: expected insufficient_permissions, got forbidden%0A\
         ✗ request error.code at /error/code (promised at specs/contacts/delete.yaml:"
    );
    assert!(commands[0].starts_with(&expected), "{}", commands[0]);
    assert!(
        workflow_commands(&written.stderr).is_empty(),
        "{}",
        written.stderr
    );
}

#[test]
fn workflow_commands_in_a_gateway_body_are_never_read_as_commands() {
    // A gateway answers text whose lines look like workflow commands; the failure text
    // shows them, but only after the run paused workflow commands with a random token.
    let config = hostile(
        "oops\n::error file=evil.yaml,line=1::injected\n::add-mask::x\n",
        "note",
    );
    let written = run_against(config, &[GITHUB], &["--exact", FORBIDDEN]);
    assert_eq!(
        written.output.status.code(),
        Some(101),
        "{}",
        written.stderr
    );
    assert!(
        written.stdout.contains("::error file=evil.yaml"),
        "the body is shown: {}",
        written.stdout
    );
    for stream in [&written.stdout, &written.stderr] {
        let commands = workflow_commands(stream);
        assert!(
            commands
                .iter()
                .all(|c| !c.contains("evil.yaml") && !c.contains("add-mask")),
            "{commands:?}"
        );
    }
    // The run's own annotation is still read.
    let own = workflow_commands(&written.stdout);
    assert_eq!(own.len(), 1, "{}", written.stdout);
    assert!(
        own[0].starts_with("::error file=specs/contacts/delete.yaml"),
        "{own:?}"
    );
    // The pause is random per run.
    let again = run_against(
        behaving(Behaviour::WrongErrorCode),
        &[GITHUB],
        &["--exact", FORBIDDEN],
    );
    let token = |out: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix("::stop-commands::"))
            .map(str::to_string)
    };
    let (first, second) = (token(&written.stdout), token(&again.stdout));
    assert!(first.is_some() && first != second, "{first:?} {second:?}");
}

#[test]
fn in_github_actions_a_machine_readable_stdout_still_holds_json_alone() {
    // `--format json | jq` and `--outcomes json | jq` in a workflow: the pause and resume
    // lines, like every other line of the harness's own, go to stderr then.
    for format in ["--format", "--outcomes"] {
        let written = run_against(
            behaving(Behaviour::WrongErrorCode),
            &[GITHUB],
            &["--exact", FORBIDDEN, format, "json"],
        );
        let what = format!("{format}: {}{}", written.stdout, written.stderr);
        assert_eq!(written.output.status.code(), Some(101), "{what}");
        assert!(!written.stdout.is_empty(), "{what}");
        for line in written.stdout.lines() {
            let parsed = serde_json::from_str::<serde_json::Value>(line);
            assert!(parsed.is_ok(), "not JSON on stdout: {line:?}\n{what}");
        }
        assert!(
            written.stderr.contains("::stop-commands::"),
            "the pause: {what}"
        );
        let commands = workflow_commands(&written.stderr);
        assert_eq!(
            commands.len(),
            1,
            "the annotation, after the resume: {what}"
        );
        assert!(
            commands[0].starts_with("::error file=specs/contacts/delete.yaml"),
            "{what}"
        );
    }
}

#[test]
fn commands_resume_only_after_the_failures_on_the_stream_that_carries_them() {
    // The runner reads stdout and stderr through two pipes, each at its own pace: a
    // resume on stderr could be read before the last failure texts still waiting in the
    // stdout pipe, which would then be read as commands (and a pause on one stream after
    // the resume on the other would hide the annotations). The run pauses and resumes on
    // the stream that carries the failures and the summary alone, around them.
    let config = hostile("oops\n::error file=evil.yaml,line=1::injected\n", "note");
    for format in [None, Some("json")] {
        let mut args = vec!["--exact", FORBIDDEN];
        args.extend(format.iter().flat_map(|f| ["--format", f]));
        let written = run_against(config.clone(), &[GITHUB], &args);
        let what = format!("{format:?}: {}{}", written.stdout, written.stderr);
        assert_eq!(written.output.status.code(), Some(101), "{what}");
        let (carrier, other) = match format {
            None => (&written.stdout, &written.stderr),
            Some(_) => (&written.stderr, &written.stdout),
        };
        let token = carrier
            .lines()
            .find_map(|l| l.strip_prefix("::stop-commands::"))
            .unwrap_or_else(|| panic!("the pause: {what}"));
        let resume = format!("::{token}::");
        assert!(!other.contains(token), "{what}");
        let lines: Vec<&str> = carrier.lines().collect();
        let resumed = lines.iter().position(|l| *l == resume).expect(&what);
        let last_gateway_text = lines.iter().rposition(|l| l.contains("evil.yaml"));
        let summary = lines
            .iter()
            .position(|l| l.starts_with("conformance summary"));
        assert!(summary.is_some_and(|s| s < resumed), "{what}");
        if format.is_none() {
            assert!(last_gateway_text.is_some_and(|g| g < resumed), "{what}");
        }
    }
}

#[test]
fn legacy_workflow_commands_in_gateway_text_are_inert_even_outside_the_pause() {
    // GitHub's runner also reads the legacy `##[command]data` form anywhere in a line,
    // not only at its start. `--outcomes json | jq …` (the README's example) prints what
    // the gateway said after the run has resumed commands, and the annotation itself is
    // read after the resume: neither may hold `##[`.
    let config = hostile(
        r###"{"error":{"code":"##[error]pwned","message":"##[add-mask]x ##[stop-commands]t"}}"###,
        "##[warning]note",
    );
    let written = run_against(
        config,
        &[GITHUB],
        &["--exact", FORBIDDEN, "--outcomes", "json"],
    );
    let what = format!("{}{}", written.stdout, written.stderr);
    assert_eq!(written.output.status.code(), Some(101), "{what}");
    assert!(written.stdout.contains("pwned"), "{what}");
    assert!(!written.stdout.contains("##["), "{}", written.stdout);
    let commands = workflow_commands(&written.stderr);
    assert_eq!(commands.len(), 1, "{what}");
    assert!(commands[0].contains("pwned"), "{}", commands[0]);
    assert!(!commands[0].contains("##["), "{}", commands[0]);
}

#[test]
fn spec_folder_names_are_no_workflow_commands_when_listed_or_linted() {
    // A folder named like a workflow command makes trial names and operation ids that
    // start with one: `--list` prints them at the start of a line, lint's coverage matrix
    // after two spaces (the runner trims those).
    let project = tempfile::tempdir().unwrap();
    let specs = project.path().join("specs");
    std::fs::create_dir_all(&specs).unwrap();
    copy_specs(&specs);
    let odd = specs.join("::warning::injected");
    std::fs::create_dir_all(&odd).unwrap();
    for file in ["get.yaml", "contact.schema.json"] {
        std::fs::copy(specs.join("contacts").join(file), odd.join(file)).unwrap();
    }
    let vars = env(&[GITHUB]);
    for args in [&["--list"][..], &["lint"]] {
        let output = command_in(project.path(), &vars, args);
        let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
        assert!(output.status.success(), "{args:?}: {stderr}");
        assert!(stdout.contains("::warning::injected"), "{args:?}: {stdout}");
        assert!(workflow_commands(&stdout).is_empty(), "{args:?}: {stdout}");
        assert!(workflow_commands(&stderr).is_empty(), "{args:?}: {stderr}");
    }
}

#[test]
fn without_github_actions_nothing_is_annotated() {
    for extra in [&[][..], &[("GITHUB_ACTIONS", "false")][..]] {
        let written = run_against(
            behaving(Behaviour::WrongErrorCode),
            extra,
            &["--exact", FORBIDDEN],
        );
        assert_eq!(
            written.output.status.code(),
            Some(101),
            "{}",
            written.stderr
        );
        assert!(
            written.stdout.contains("got forbidden"),
            "{}",
            written.stdout
        );
        assert!(
            workflow_commands(&written.stdout).is_empty(),
            "{}",
            written.stdout
        );
        assert!(
            workflow_commands(&written.stderr).is_empty(),
            "{}",
            written.stderr
        );
    }
}

#[test]
fn a_passing_run_prints_no_annotation() {
    let output = command(&env(&[GITHUB]), &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(workflow_commands(&text(&output.stdout)).is_empty());
}

#[test]
fn a_key_the_gateway_echoes_is_redacted_in_the_annotation() {
    let config = behaving(Behaviour::EchoKey);
    let keys = [config.full_key.clone(), config.no_delete_key.clone()];
    let written = run_against(config, &[GITHUB], &["--exact", FORBIDDEN]);
    // 3 would mean the leak check found a key in what the run printed.
    assert_eq!(
        written.output.status.code(),
        Some(101),
        "{}",
        written.stderr
    );
    let commands = workflow_commands(&written.stdout);
    assert_eq!(commands.len(), 1, "{}", written.stdout);
    assert!(
        commands[0].contains("got echoed-${LEADLEX_API_KEY_NO_DELETE}"),
        "{}",
        commands[0]
    );
    for key in &keys {
        assert_no_key("the annotation", commands[0], key);
    }
}

#[test]
fn a_megabyte_from_the_gateway_makes_one_bounded_inert_annotation() {
    let body = format!(
        r#"{{"error":{{"code":"first\r\nsecond\u001b[2J{}","message":"m"}}}}"#,
        "x".repeat(1_000_000)
    );
    let config = hostile(Box::leak(body.into_boxed_str()), "note");
    let written = run_against(config, &[GITHUB], &["--exact", FORBIDDEN]);
    assert_eq!(
        written.output.status.code(),
        Some(101),
        "{}",
        written.stderr
    );
    let errors: Vec<&str> = workflow_commands(&written.stdout)
        .into_iter()
        .filter(|l| l.starts_with("::error "))
        .collect();
    assert_eq!(errors.len(), 1, "{}", written.stdout);
    let annotation = errors[0];
    assert!(annotation.len() < 8_000, "{} bytes", annotation.len());
    assert!(
        annotation.contains("got first\\u{d}%0Asecond\\u{1b}[2Jxxx"),
        "{annotation}"
    );
    assert!(
        annotation.contains("more characters not shown"),
        "{annotation}"
    );
    assert!(!annotation.chars().any(char::is_control), "{annotation}");
}

/// A repository (a folder with `.git`) holding the crate in `api/`, whose specs have an
/// unknown key in `contacts/get.yaml`; returns the repository and the key's line.
fn repository_with_a_broken_spec() -> (tempfile::TempDir, usize) {
    let repository = tempfile::tempdir().unwrap();
    std::fs::create_dir(repository.path().join(".git")).unwrap();
    let specs = repository.path().join("api/specs");
    std::fs::create_dir_all(&specs).unwrap();
    copy_specs(&specs);
    let get = specs.join("contacts/get.yaml");
    let original = std::fs::read_to_string(&get).unwrap();
    let broken = original.replacen("      code: not_found\n", "      kode: not_found\n", 1);
    assert_ne!(broken, original);
    let line = broken
        .lines()
        .position(|l| l == "      kode: not_found")
        .unwrap()
        + 1;
    std::fs::write(&get, broken).unwrap();
    (repository, line)
}

#[test]
fn a_broken_spec_is_annotated_and_its_junit_error_has_file_and_line() {
    let (repository, line) = repository_with_a_broken_spec();
    let crate_dir = repository.path().join("api");
    let junit = repository.path().join("out/junit.xml");
    let vars = env(&[
        ("LEADLEX_SPECS", "specs"),
        ("LEADLEX_JUNIT", junit.to_str().unwrap()),
        GITHUB,
    ]);
    let expected = format!(
        "::error file=api/specs/contacts/get.yaml,line={line},col=7,title=broken spec\
         ::unknown key `kode`%0Ahelp: "
    );
    for args in [&[][..], &["lint"][..]] {
        let output = command_in(&crate_dir, &vars, args);
        // On stderr, beside the problems they repeat.
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        let commands = workflow_commands(&stderr);
        assert_eq!(commands.len(), 1, "{args:?}: {stderr}");
        assert!(
            commands[0].starts_with(&expected),
            "{args:?}: {}",
            commands[0]
        );
        assert!(workflow_commands(&text(&output.stdout)).is_empty());
    }
    // The run's JUnit error names the same place, relative to the repository.
    let report = parsed(&std::fs::read_to_string(&junit).unwrap());
    let case = &report.suites[0].cases[0];
    assert!(case.status.is_error(), "{case:?}");
    assert_eq!(case.file.as_deref(), Some("api/specs/contacts/get.yaml"));
    assert_eq!(case.line, Some(line as u64));
    // Without GitHub Actions, lint prints no workflow command.
    let quiet = env(&[("LEADLEX_SPECS", "specs")]);
    let output = command_in(&crate_dir, &quiet, &["lint"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(workflow_commands(&text(&output.stderr)).is_empty());
}

#[test]
fn a_selection_matching_nothing_is_annotated_without_a_file() {
    let output = command(&env(&[GITHUB]), &["no_such_scenario"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert_eq!(
        workflow_commands(&stderr),
        [
            "::error title=nothing selected::no scenario matches the filter `no_such_scenario`, \
          so nothing was run"
        ],
        "{stderr}"
    );
}
