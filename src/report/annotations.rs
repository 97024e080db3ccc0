//! GitHub Actions annotations: with `GITHUB_ACTIONS=true`, each failed or errored scenario
//! and each problem of a run stopped before any request (a broken spec, a broken setting,
//! a selection matching nothing) is also printed as a workflow command,
//!
//! ```text
//! ::error file=specs/contacts/delete.yaml,line=89,col=5,title=contacts/delete.yaml%3A%3Akey_…::error.code: expected …
//! ```
//!
//! so that the pull request shows it on the spec line.
//!
//! They are printed once, at the end of the run, from [`crate::report::publish`]: libtest
//! prints its own lines from several trial threads, and a workflow command must start a
//! line of its own; at the end every outcome and every secret of the run is known, the
//! annotations come in the order of the spec files, and what they print is read back by
//! the leak check with the rest of the terminal output.
//!
//! Every text in them is redacted while raw, neutralised ([`crate::sanitize`]), cut to its
//! limit ([`MESSAGE_LIMIT`], [`TITLE_LIMIT`]), and only then escaped as GitHub's workflow
//! commands require ([`escape_data`], [`escape_property`]), so that nothing a gateway sends
//! can end the command, start another one, or make an annotation larger than the limits.
//! GitHub shows at most ten error annotations per step: the tenth says how many more
//! there are.

use crate::outcome::{Mismatch, Outcome, Verdict};
use crate::report::files::Problem;
use crate::report::location::{CiPaths, Place};
use crate::report::render::{clip, headline, safe_text, HEADLINE_LIMIT, VALUE_LIMIT};
use crate::secrets::redact::Redactor;

/// Characters of an annotation's message, before escaping.
pub const MESSAGE_LIMIT: usize = 2000;
/// Characters of an annotation's title, before escaping.
pub const TITLE_LIMIT: usize = 200;
/// Error annotations GitHub shows per step.
pub const MAX_ANNOTATIONS: usize = 10;
/// Broken promises listed in one annotation.
const MAX_MISMATCHES: usize = 10;

/// One `::error` annotation, its texts as yet unescaped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Annotation {
    pub place: Option<Place>,
    pub title: String,
    pub message: String,
}

impl Annotation {
    /// The workflow command: `::error file=…,line=…,col=…,title=…::message`, on one
    /// line. Texts are redacted, neutralised and cut to their limits, then escaped.
    pub fn command(&self, paths: &CiPaths, redactor: &Redactor) -> String {
        let shown = |text: &str, limit: usize| clip(&safe_text(text, redactor), limit);
        let mut properties = Vec::new();
        if let Some(place) = &self.place {
            let file = shown(&paths.path(&place.file), VALUE_LIMIT);
            properties.push(format!("file={}", escape_property(&file)));
            if let Some(pos) = place.pos {
                properties.push(format!("line={}", pos.line));
                if pos.col > 0 {
                    properties.push(format!("col={}", pos.col));
                }
            }
        }
        let title = shown(&self.title, TITLE_LIMIT);
        if !title.is_empty() {
            properties.push(format!("title={}", escape_property(&title)));
        }
        let message = escape_data(&shown(&self.message, MESSAGE_LIMIT));
        match properties.is_empty() {
            true => format!("::error::{message}"),
            false => format!("::error {}::{message}", properties.join(",")),
        }
    }
}

/// A workflow command's data (the message): `%`, CR and LF escaped, as GitHub's
/// `@actions/core` does.
pub fn escape_data(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

/// A workflow command's property value (file, title): as [`escape_data`], and `:` and `,`
/// too, which would end the value.
pub fn escape_property(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in escape_data(text).chars() {
        match c {
            ':' => out.push_str("%3A"),
            ',' => out.push_str("%2C"),
            c => out.push(c),
        }
    }
    out
}

/// The annotation of each failed or errored outcome, at its scenario, in the order of the
/// spec files.
pub fn of_outcomes(outcomes: &[Outcome], redactor: &Redactor) -> Vec<Annotation> {
    let mut failed: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| !o.verdict.is_success())
        .collect();
    failed.sort_by(|a, b| (&a.span.file, a.span.pos).cmp(&(&b.span.file, b.span.pos)));
    failed
        .into_iter()
        .map(|outcome| {
            let redactor = redactor.merged(&outcome.secrets);
            let (what, mismatches) = match &outcome.verdict {
                Verdict::Errored { mismatches, .. } => ("could not be judged", mismatches),
                Verdict::Failed(mismatches) => ("failed", mismatches),
                _ => ("failed", &Vec::new()),
            };
            let mut message = headline(&outcome.verdict, &redactor);
            for m in mismatches.iter().take(MAX_MISMATCHES) {
                message.push('\n');
                message.push_str(&promise(m, &redactor));
            }
            if mismatches.len() > MAX_MISMATCHES {
                message.push_str(&format!(
                    "\n… and {} more",
                    mismatches.len() - MAX_MISMATCHES
                ));
            }
            message.push_str(
                "\nThe run's log and its JUnit report show the requests, the responses and a \
                 curl command that repeats them.",
            );
            Annotation {
                place: Place::of_span(&outcome.span),
                title: format!("{} {what}", outcome.trial_name),
                message: safe_text(&message, &redactor),
            }
        })
        .collect()
}

/// `request error.code (promised at specs/contacts/delete.yaml:102:5): expected …, got …`
fn promise(m: &Mismatch, redactor: &Redactor) -> String {
    let at = match &m.pointer {
        Some(pointer) => format!(" at {}", clip(&redactor.redact(pointer), VALUE_LIMIT)),
        None => String::new(),
    };
    safe_text(
        &format!(
            "✗ {} {}{at} (promised at {}): expected {}, got {}",
            clip(&m.step, VALUE_LIMIT),
            clip(&m.check.to_string(), VALUE_LIMIT),
            clip(&m.span.to_string(), VALUE_LIMIT),
            clip(&redactor.redact(&m.expected), HEADLINE_LIMIT),
            clip(&redactor.redact(&m.actual), HEADLINE_LIMIT),
        ),
        redactor,
    )
}

/// The annotation of each problem that stopped a run (or that lint found): at its spec
/// file and line when it has one.
pub fn of_problems(problems: &[Problem]) -> Vec<Annotation> {
    problems
        .iter()
        .map(|problem| {
            let title = match problem.group.as_str() {
                "specs" => "broken spec".to_string(),
                "settings" => format!("broken setting {}", problem.name),
                "selection" => "nothing selected".to_string(),
                group => format!("{group}: {}", problem.name),
            };
            // The hints of the diagnostic (`help: accepted keys here: …`), without its
            // snippet, whose caret lines up only in a fixed-width font.
            let help = problem
                .detail
                .lines()
                .filter(|line| line.starts_with("help: "))
                .map(|line| format!("\n{line}"))
                .collect::<String>();
            Annotation {
                place: problem.place.clone(),
                title,
                message: format!("{}{help}", problem.message),
            }
        })
        .collect()
}

/// The workflow commands of `annotations`, at most [`MAX_ANNOTATIONS`]: when there are
/// more, the last one says how many were left out.
pub fn commands(annotations: &[Annotation], paths: &CiPaths, redactor: &Redactor) -> Vec<String> {
    let shown = match annotations.len() > MAX_ANNOTATIONS {
        true => MAX_ANNOTATIONS - 1,
        false => annotations.len(),
    };
    let mut lines: Vec<String> = annotations[..shown]
        .iter()
        .map(|a| a.command(paths, redactor))
        .collect();
    let left_out = &annotations[shown..];
    if !left_out.is_empty() {
        let titles: Vec<&str> = left_out.iter().map(|a| a.title.as_str()).collect();
        let more = Annotation {
            place: None,
            title: format!("{} more errors", left_out.len()),
            message: format!(
                "GitHub shows {MAX_ANNOTATIONS} error annotations per step; the run's log and \
                 its JUnit report have these too:\n{}",
                titles.join("\n")
            ),
        };
        lines.push(more.command(paths, redactor));
    }
    lines
}

/// The workflow commands as printed: one per line. GitHub's runner reads them on stdout
/// and stderr alike, so they go wherever the run prints its own text.
pub fn lines(commands: &[String]) -> String {
    commands.iter().map(|l| format!("{l}\n")).collect()
}

/// A token for [`stop_commands`]: random, so that no text printed while commands are
/// paused can resume them.
pub fn new_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The line that stops GitHub Actions from reading workflow commands until
/// [`resume_commands`] with the same token: printed before anything a gateway sent can
/// reach the log. The token is random, so gateway text cannot end the pause.
pub fn stop_commands(token: &str) -> String {
    format!("::stop-commands::{token}")
}

/// The line that makes GitHub Actions read workflow commands again.
pub fn resume_commands(token: &str) -> String {
    format!("::{token}::")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Check;
    use crate::source::{Pos, Span};

    fn place(file: &str, line: usize, col: usize) -> Option<Place> {
        Some(Place {
            file: file.into(),
            pos: Some(Pos { line, col }),
        })
    }

    fn annotation(file: &str, title: &str, message: &str) -> Annotation {
        Annotation {
            place: place(file, 12, 7),
            title: title.into(),
            message: message.into(),
        }
    }

    fn no_repository() -> CiPaths {
        CiPaths::new(None, None)
    }

    #[test]
    fn data_escapes_percent_cr_and_lf_only() {
        assert_eq!(escape_data("100% done\r\nnext"), "100%25 done%0D%0Anext");
        assert_eq!(escape_data("a:b,c"), "a:b,c");
        // Escaping is not undone by escaping again: `%0A` in the text stays text.
        assert_eq!(escape_data("%0A"), "%250A");
    }

    #[test]
    fn properties_escape_colons_and_commas_too() {
        assert_eq!(
            escape_property("specs/a:b,c%d\ne.yaml"),
            "specs/a%3Ab%2Cc%25d%0Ae.yaml"
        );
        assert_eq!(escape_property("\r"), "%0D");
    }

    #[test]
    fn a_command_has_the_file_line_column_and_title_of_its_place() {
        let line = annotation(
            "specs/contacts/delete.yaml",
            "contacts/delete.yaml::x failed",
            "status: expected 200, got 202\nsecond line",
        )
        .command(&no_repository(), &Redactor::default());
        assert_eq!(
            line,
            "::error file=specs/contacts/delete.yaml,line=12,col=7,\
             title=contacts/delete.yaml%3A%3Ax failed::status: expected 200, got 202%0Asecond line"
        );
    }

    #[test]
    fn file_names_with_separators_cannot_break_the_command() {
        let line = annotation("specs/a,line=1:b%.yaml", "t", "m")
            .command(&no_repository(), &Redactor::default());
        assert_eq!(
            line,
            "::error file=specs/a%2Cline=1%3Ab%25.yaml,line=12,col=7,title=t::m"
        );
        // A newline in a file name is neutralised before it is escaped: still one line.
        let line =
            annotation("specs/a\nb.yaml", "t", "m").command(&no_repository(), &Redactor::default());
        assert_eq!(line.lines().count(), 1, "{line}");
        assert!(line.starts_with("::error file=specs/a%0Ab.yaml,"), "{line}");
    }

    #[test]
    fn a_command_without_a_place_or_title_is_still_one() {
        let bare = Annotation {
            place: None,
            title: String::new(),
            message: "m".into(),
        };
        assert_eq!(
            bare.command(&no_repository(), &Redactor::default()),
            "::error::m"
        );
        let file_only = Annotation {
            place: Some(Place {
                file: "specs/suite.yaml".into(),
                pos: None,
            }),
            ..bare
        };
        assert_eq!(
            file_only.command(&no_repository(), &Redactor::default()),
            "::error file=specs/suite.yaml::m"
        );
    }

    #[test]
    fn keys_are_redacted_control_characters_neutralised_and_length_bounded() {
        let mut redactor = Redactor::default();
        redactor.add("wbk_secret_0123456789", "${LEADLEX_API_KEY}");
        let huge = "x".repeat(1 << 20);
        let message = format!("got wbk_secret_0123456789 \u{1b}[2J\r\u{9b}31m {huge}");
        let line = annotation("specs/a.yaml", "title wbk_secret_0123456789", &message)
            .command(&no_repository(), &redactor);
        assert!(!line.contains("wbk_secret"), "{line}");
        assert!(line.contains("title ${LEADLEX_API_KEY}::"), "{line}");
        assert!(
            line.contains("got ${LEADLEX_API_KEY} \\u{1b}[2J\\u{d}\\u{9b}31m"),
            "{line}"
        );
        assert!(!line.chars().any(|c| c.is_control()), "{line}");
        assert!(
            line.len() < 3 * (MESSAGE_LIMIT + TITLE_LIMIT + VALUE_LIMIT) + 100,
            "{}",
            line.len()
        );
        assert!(line.contains("more characters not shown"));
    }

    fn outcome(name: &str, line: usize, verdict: Verdict) -> Outcome {
        Outcome {
            trial_name: format!("contacts/delete.yaml::{name}"),
            operation_id: "contacts.delete".into(),
            scenario: name.into(),
            span: Span {
                file: "specs/contacts/delete.yaml".into(),
                pos: Pos { line, col: 5 },
            },
            started: std::time::SystemTime::UNIX_EPOCH,
            duration: std::time::Duration::ZERO,
            verdict,
            exchanges: Vec::new(),
            secrets: Redactor::default(),
            left_behind: Vec::new(),
        }
    }

    fn mismatch(line: usize) -> Mismatch {
        Mismatch::new(
            "request",
            Check::ErrorCode,
            "insufficient_permissions",
            "forbidden",
            Span {
                file: "specs/contacts/delete.yaml".into(),
                pos: Pos { line, col: 5 },
            },
        )
    }

    #[test]
    fn failed_and_errored_outcomes_are_annotated_in_spec_order_the_others_not() {
        let outcomes = [
            outcome("late", 90, Verdict::Failed(vec![mismatch(102)])),
            outcome("passed", 10, Verdict::Passed),
            outcome("ignored", 20, Verdict::Ignored("no key".into())),
            outcome(
                "early",
                40,
                Verdict::Errored {
                    reason: "setup[0] did not succeed".into(),
                    mismatches: Vec::new(),
                },
            ),
        ];
        let annotations = of_outcomes(&outcomes, &Redactor::default());
        let titles: Vec<&str> = annotations.iter().map(|a| a.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "contacts/delete.yaml::early could not be judged",
                "contacts/delete.yaml::late failed"
            ]
        );
        let late = &annotations[1];
        assert_eq!(late.place, place("specs/contacts/delete.yaml", 90, 5));
        assert!(
            late.message.starts_with(
                "error.code: expected insufficient_permissions, got forbidden\n\
                 ✗ request error.code (promised at specs/contacts/delete.yaml:102:5): \
                 expected insufficient_permissions, got forbidden\n"
            ),
            "{}",
            late.message
        );
        assert!(of_outcomes(&outcomes[1..3], &Redactor::default()).is_empty());
    }

    #[test]
    fn a_secret_the_scenario_captured_is_hidden_too() {
        let mut captured = Redactor::default();
        captured.add("tok_captured_secret_99", "${captured token}");
        let mut failed = outcome(
            "x",
            1,
            Verdict::Failed(vec![Mismatch {
                actual: "tok_captured_secret_99".into(),
                ..mismatch(2)
            }]),
        );
        failed.secrets = captured;
        let annotations = of_outcomes(&[failed], &Redactor::default());
        let line = annotations[0].command(&no_repository(), &Redactor::default());
        assert!(!line.contains("tok_captured"), "{line}");
        assert!(line.contains("${captured token}"), "{line}");
    }

    #[test]
    fn at_most_ten_annotations_the_last_counting_the_others() {
        let many: Vec<Annotation> = (0..25)
            .map(|i| annotation("specs/a.yaml", &format!("scenario {i}"), "m"))
            .collect();
        let lines = commands(&many, &no_repository(), &Redactor::default());
        assert_eq!(lines.len(), MAX_ANNOTATIONS);
        assert!(lines[8].contains("title=scenario 8::"), "{}", lines[8]);
        assert!(
            lines[9].starts_with("::error title=16 more errors::GitHub shows 10"),
            "{}",
            lines[9]
        );
        assert!(lines[9].contains("%0Ascenario 9%0A"), "{}", lines[9]);
        let few = &many[..MAX_ANNOTATIONS];
        assert_eq!(
            commands(few, &no_repository(), &Redactor::default()).len(),
            10
        );
    }

    #[test]
    fn problems_are_annotated_at_their_place_with_their_hints() {
        let problems = [
            Problem {
                group: "specs".into(),
                name: "specs/contacts/get.yaml:65:7".into(),
                message: "unknown key `statuss`".into(),
                detail: "error: unknown key `statuss`\n  --> specs/contacts/get.yaml:65:7\n   |\n\
                         65 |       statuss: 200\n   |       ^^^^^^^ did you mean `status`?\n   |\n\
                         help: accepted keys here: status, code, headers, equals"
                    .into(),
                place: place("specs/contacts/get.yaml", 65, 7),
            },
            Problem {
                group: "settings".into(),
                name: "LEADLEX_TIMEOUT_SECS".into(),
                message: "`soon` is not a number of seconds between 0 and 3600".into(),
                detail: String::new(),
                place: None,
            },
        ];
        let lines = commands(
            &of_problems(&problems),
            &no_repository(),
            &Redactor::default(),
        );
        assert_eq!(
            lines,
            [
                "::error file=specs/contacts/get.yaml,line=65,col=7,title=broken spec::unknown \
                 key `statuss`%0Ahelp: accepted keys here: status, code, headers, equals",
                "::error title=broken setting LEADLEX_TIMEOUT_SECS::`soon` is not a number of \
                 seconds between 0 and 3600",
            ]
        );
    }
}
