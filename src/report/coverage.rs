//! The coverage matrix: documented (status, code) pairs against what this run showed.
//!
//! A pair is *covered* only when a scenario whose request under test expects it passed in
//! this run. Otherwise it is *failed* (such a scenario failed or could not be judged),
//! *ignored* (such a scenario was not run, with a reason) or *untested* (no such scenario
//! ran: none exists, or the filter left it out). Before any run (`lint`), pairs that a
//! scenario expects are *declared, not run*. An expectation of any step that names a pair
//! its operation does not document is *tested but undocumented*. After a live run, every
//! response that matches no documented pair of its operation is listed as *undocumented
//! behaviour*.
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

use serde::Serialize;

use crate::engine::check::{error_code, parse_json};
use crate::outcome::{ExchangeSummary, Outcome, Verdict};
use crate::spec::{DocumentedResponse, Operation, Scenario, StatusSet, Step, Suite};

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Coverage {
    /// Whether outcomes were recorded; `false` for the specs alone (`lint`).
    pub ran: bool,
    pub operations: Vec<OperationCoverage>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct OperationCoverage {
    pub id: String,
    pub doc: String,
    /// How the stub plays the operation (its `stub:` action), `None` when it cannot.
    /// `example` marks a last resort: the documented example, whatever the request.
    pub stub: Option<String>,
    pub pairs: Vec<PairCoverage>,
    /// Expectations naming pairs that the operation does not document.
    pub tested_undocumented: Vec<Pair>,
    /// Responses seen in a live run that match no documented pair.
    pub observed_undocumented: Vec<Observed>,
}

impl OperationCoverage {
    /// The rows of one operation before any run: its documented pairs with the scenarios
    /// (`own`: those whose request under test it is) that expect them, and the pairs its
    /// `steps` expect that it does not document.
    fn declared(op: &Operation, own: &[&Scenario], steps: &[&Step]) -> OperationCoverage {
        OperationCoverage {
            id: op.id.clone(),
            doc: op.doc.clone(),
            stub: op.stub.as_ref().map(|s| s.action.name().to_string()),
            pairs: op
                .responses
                .iter()
                .map(|response| PairCoverage::declared(response, own))
                .collect(),
            tested_undocumented: tested_undocumented(op, steps),
            observed_undocumented: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pair {
    pub status: u16,
    pub code: Option<String>,
}

impl std::fmt::Display for Pair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.code {
            Some(code) => write!(f, "{} {code}", self.status),
            None => write!(f, "{}", self.status),
        }
    }
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct PairCoverage {
    #[serde(flatten)]
    pub pair: Pair,
    pub state: PairState,
    /// Scenarios whose request under test expects this pair, run or not.
    pub scenarios: Vec<String>,
    /// Of those, the ones that passed, failed (or errored) and were ignored in this run.
    pub passed: Vec<String>,
    pub failed: Vec<String>,
    pub ignored: Vec<String>,
    /// The ones that did not run at all (left out by a filter, or nothing ran: `lint`).
    pub not_run: Vec<String>,
    /// The caveat of each of those scenarios that leaves what no documented endpoint
    /// removes (`<scenario> leaves <what>`): covered, but not without residue.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub leaves: Vec<String>,
}

/// What a run showed about one documented pair.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PairState {
    /// A scenario expecting it passed in this run.
    Covered,
    /// None passed; at least one failed or could not be judged.
    Failed,
    /// None passed or failed; at least one was ignored.
    Ignored,
    /// No scenario expecting it ran.
    Untested,
    /// No run (`lint`): a scenario expects it.
    Declared,
}

impl PairCoverage {
    /// The row of one documented response before any run: the scenarios of `own` whose
    /// request under test expects it, none of them run yet.
    fn declared(response: &DocumentedResponse, own: &[&Scenario]) -> PairCoverage {
        let expecting: Vec<&&Scenario> = own
            .iter()
            .filter(|s| {
                s.main.expect.status == Some(StatusSet::One(response.status))
                    && s.main.expect.code == response.code
            })
            .collect();
        let scenarios: Vec<String> = expecting.iter().map(|s| s.name.clone()).collect();
        let leaves = expecting
            .iter()
            .filter_map(|s| Some(format!("{} leaves {}", s.name, s.leaves.as_ref()?)))
            .collect();
        PairCoverage {
            pair: Pair {
                status: response.status,
                code: response.code.clone(),
            },
            state: match scenarios.is_empty() {
                true => PairState::Untested,
                false => PairState::Declared,
            },
            not_run: scenarios.clone(),
            scenarios,
            passed: Vec::new(),
            failed: Vec::new(),
            ignored: Vec::new(),
            leaves,
        }
    }

    fn state_of(&self, ran: bool) -> PairState {
        match () {
            _ if !self.passed.is_empty() => PairState::Covered,
            _ if !self.failed.is_empty() => PairState::Failed,
            _ if !self.ignored.is_empty() => PairState::Ignored,
            _ if !ran && !self.scenarios.is_empty() => PairState::Declared,
            _ => PairState::Untested,
        }
    }

    /// The cell of the terminal matrix: the state, then the scenarios of each kind.
    fn describe(&self) -> String {
        let caveat = match self.leaves.is_empty() {
            true => String::new(),
            false => format!("  [residue: {}]", self.leaves.join("; ")),
        };
        format!("{}{caveat}", self.state_and_scenarios())
    }

    fn state_and_scenarios(&self) -> String {
        if self.state == PairState::Declared {
            return format!("declared, not run: {}", self.scenarios.join(", "));
        }
        let mut parts = Vec::new();
        for (label, names) in [
            ("passed", &self.passed),
            ("failed", &self.failed),
            ("ignored", &self.ignored),
            ("not run", &self.not_run),
        ] {
            if !names.is_empty() {
                parts.push(format!("{label}: {}", names.join(", ")));
            }
        }
        if self.scenarios.is_empty() {
            parts.push("no scenario expects it".into());
        }
        let state = match self.state {
            PairState::Covered => "covered",
            PairState::Failed => "FAILED",
            PairState::Ignored => "ignored",
            PairState::Untested | PairState::Declared => "untested",
        };
        format!("{state:<8}  {}", parts.join("; "))
    }
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Observed {
    #[serde(flatten)]
    pub pair: Pair,
    pub count: usize,
    pub trials: Vec<String>,
}

impl Coverage {
    /// The matrix of the specs alone.
    pub fn of(suite: &Suite) -> Coverage {
        let scenarios_of = scenarios_by_operation(suite);
        let steps_of = steps_by_operation(suite);
        let operations = suite
            .operations
            .iter()
            .map(|op| {
                let own = scenarios_of
                    .get(op.id.as_str())
                    .map_or(&[][..], Vec::as_slice);
                let steps = steps_of.get(op.id.as_str()).map_or(&[][..], Vec::as_slice);
                OperationCoverage::declared(op, own, steps)
            })
            .collect();
        Coverage {
            ran: false,
            operations,
        }
    }

    /// Records what each scenario of this run showed: the matrix of the run.
    pub fn record(&mut self, outcomes: &[Outcome]) {
        self.ran = true;
        let verdicts: HashMap<(&str, &str), &Verdict> = outcomes
            .iter()
            .map(|o| ((o.operation_id.as_str(), o.scenario.as_str()), &o.verdict))
            .collect();
        for op in &mut self.operations {
            for pair in &mut op.pairs {
                let (mut passed, mut failed, mut ignored, mut not_run) =
                    (Vec::new(), Vec::new(), Vec::new(), Vec::new());
                for name in &pair.scenarios {
                    let verdict = verdicts.get(&(op.id.as_str(), name.as_str())).copied();
                    let list = match verdict {
                        None => &mut not_run,
                        Some(Verdict::Passed) => &mut passed,
                        Some(Verdict::Ignored(_)) => &mut ignored,
                        Some(Verdict::Failed(_) | Verdict::Errored { .. }) => &mut failed,
                    };
                    list.push(name.clone());
                }
                (pair.passed, pair.failed, pair.ignored, pair.not_run) =
                    (passed, failed, ignored, not_run);
                pair.state = pair.state_of(true);
            }
        }
    }

    /// Adds the responses of a run that match no documented pair of their operation.
    pub fn observe(&mut self, suite: &Suite, outcomes: &[Outcome]) {
        let mut seen: BTreeMap<(String, Pair), Observed> = BTreeMap::new();
        for outcome in outcomes {
            for exchange in &outcome.exchanges {
                let Some((op, pair)) = undocumented_pair(suite, exchange) else {
                    continue;
                };
                let entry = seen
                    .entry((op.to_string(), pair.clone()))
                    .or_insert(Observed {
                        pair,
                        count: 0,
                        trials: Vec::new(),
                    });
                entry.count += 1;
                // Outcomes come one after the other: a trial is new unless it was the last.
                if entry.trials.last() != Some(&outcome.trial_name) {
                    entry.trials.push(outcome.trial_name.clone());
                }
            }
        }
        for ((id, _), observed) in seen {
            if let Some(op) = self.operations.iter_mut().find(|o| o.id == id) {
                op.observed_undocumented.push(observed);
            }
        }
    }

    /// Whether a finished trial's exchange still matters to the reports: a passed or ignored
    /// trial keeps only its retried attempts and its undocumented answers, so that a long
    /// run does not hold every response it has seen.
    pub fn worth_keeping(suite: &Suite, exchange: &ExchangeSummary) -> bool {
        exchange.retried.is_some() || undocumented_pair(suite, exchange).is_some()
    }

    /// One line per operation, for JUnit properties: `1/4 documented pairs covered;
    /// failed: 401 invalid_key (invalid_key_is_rejected); untested: 429 rate_limited`.
    pub fn summary(&self, operation: &str) -> Option<String> {
        let op = self.operations.iter().find(|o| o.id == operation)?;
        let count = |state: PairState| op.pairs.iter().filter(|p| p.state == state).count();
        let mut line = match self.ran {
            true => format!(
                "{}/{} documented pairs covered",
                count(PairState::Covered),
                op.pairs.len()
            ),
            false => format!(
                "{}/{} documented pairs declared, not run",
                count(PairState::Declared),
                op.pairs.len()
            ),
        };
        for (label, state) in [
            ("failed", PairState::Failed),
            ("ignored", PairState::Ignored),
            ("untested", PairState::Untested),
        ] {
            // Failed and ignored pairs name their scenarios: they are what to look at.
            let pairs: Vec<String> = op
                .pairs
                .iter()
                .filter(|p| p.state == state)
                .map(|p| match state {
                    PairState::Failed => format!("{} ({})", p.pair, p.failed.join(", ")),
                    PairState::Ignored => format!("{} ({})", p.pair, p.ignored.join(", ")),
                    _ => p.pair.to_string(),
                })
                .collect();
            if !pairs.is_empty() {
                let _ = write!(line, "; {label}: {}", pairs.join(", "));
            }
        }
        if !op.observed_undocumented.is_empty() {
            let seen: Vec<String> = op
                .observed_undocumented
                .iter()
                .map(|o| format!("{} ×{}", o.pair, o.count))
                .collect();
            let _ = write!(line, "; undocumented responses seen: {}", seen.join(", "));
        }
        Some(line)
    }

    /// The matrix as a table for the terminal.
    pub fn table(&self) -> String {
        let mut out = match self.ran {
            true => String::from(
                "coverage of documented (status, code) pairs in this run \
                 (covered: a scenario expecting it passed):\n",
            ),
            false => String::from(
                "coverage of documented (status, code) pairs, as the specs declare it \
                 (nothing was run):\n",
            ),
        };
        for op in &self.operations {
            // The stub's last resort: its passes show the documented example, nothing more.
            let example = match op.stub.as_deref() {
                Some("example") => "  [stub: documented example only, a last resort]",
                _ => "",
            };
            let _ = writeln!(out, "  {}  ({}){example}", op.id, op.doc);
            for pair in &op.pairs {
                let _ = writeln!(out, "    {:<32} {}", pair.pair.to_string(), pair.describe());
            }
            for pair in &op.tested_undocumented {
                let _ = writeln!(
                    out,
                    "    {:<32} tested, but not documented",
                    pair.to_string()
                );
            }
            for seen in &op.observed_undocumented {
                let _ = writeln!(
                    out,
                    "    {:<32} UNDOCUMENTED response seen {} time(s), in {}",
                    seen.pair.to_string(),
                    seen.count,
                    seen.trials.join(", ")
                );
            }
        }
        out
    }

    pub fn to_json(&self, facts: &crate::outcome::RunFacts) -> String {
        #[derive(Serialize)]
        struct Document<'a> {
            /// The run wrote this matrix when it ended (its placeholder says `false`).
            finished: bool,
            /// Outcomes were recorded (a run), or only declarations (the specs alone).
            ran: bool,
            run_id: &'a str,
            target: &'a str,
            host: &'a str,
            operations: &'a [OperationCoverage],
        }
        let document = Document {
            finished: true,
            ran: self.ran,
            run_id: &facts.run_id,
            target: &facts.target,
            host: &facts.host,
            operations: &self.operations,
        };
        serde_json::to_string_pretty(&document).unwrap_or_default()
    }
}

/// The scenarios of each operation: those whose request under test it is.
fn scenarios_by_operation(suite: &Suite) -> HashMap<&str, Vec<&Scenario>> {
    let mut scenarios_of: HashMap<&str, Vec<&Scenario>> = HashMap::new();
    for scenario in &suite.scenarios {
        scenarios_of
            .entry(&scenario.operation.id)
            .or_default()
            .push(scenario);
    }
    scenarios_of
}

/// The steps of each operation: setup, request under test and verify steps of every
/// scenario that send it.
fn steps_by_operation(suite: &Suite) -> HashMap<&str, Vec<&Step>> {
    let mut steps_of: HashMap<&str, Vec<&Step>> = HashMap::new();
    for scenario in &suite.scenarios {
        let steps = scenario.setup.iter().chain(std::iter::once(&scenario.main));
        for step in steps.chain(&scenario.verify) {
            steps_of.entry(&step.operation.id).or_default().push(step);
        }
    }
    steps_of
}

/// The (status, code) pairs that `steps` expect and `op` does not document, sorted, each
/// once.
fn tested_undocumented(op: &Operation, steps: &[&Step]) -> Vec<Pair> {
    let documented = |p: &Pair| {
        op.responses
            .iter()
            .any(|r| r.status == p.status && r.code == p.code)
    };
    let mut pairs: Vec<Pair> = steps
        .iter()
        .filter_map(|step| match step.expect.status {
            Some(StatusSet::One(status)) => Some(Pair {
                status,
                code: step.expect.code.clone(),
            }),
            _ => None,
        })
        .filter(|p| !documented(p))
        .collect();
    pairs.sort();
    pairs.dedup();
    pairs
}

/// The operation and the (status, code) of an answer that its operation does not
/// document; `None` when it documents it (or no answer came back).
pub fn undocumented_pair<'s>(
    suite: &'s Suite,
    exchange: &ExchangeSummary,
) -> Option<(&'s str, Pair)> {
    let status = exchange.status?;
    let op = suite
        .operations
        .iter()
        .find(|o| o.id == exchange.operation)?;
    let body = parse_json(&exchange.body).ok();
    let code = body.as_ref().and_then(error_code).map(str::to_string);
    let documented = op
        .responses
        .iter()
        .any(|r| r.status == status && (r.code.is_none() || r.code == code));
    (!documented).then_some((op.id.as_str(), Pair { status, code }))
}
