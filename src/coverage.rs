//! The coverage matrix: documented (status, code) pairs against the scenarios.
//!
//! Per operation, each documented pair is *covered* (a scenario of the operation expects
//! it) or *untested*; an expectation of any step that names a pair its operation does not
//! document is *tested but undocumented*. After a live run, every response that matches no
//! documented pair of its operation is listed as *undocumented behaviour*.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

use serde::Serialize;

use crate::check::{error_code, parse_json};
use crate::outcome::Outcome;
use crate::spec::{Scenario, StatusSet, Step, Suite};

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Coverage {
    pub operations: Vec<OperationCoverage>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct OperationCoverage {
    pub id: String,
    pub doc: String,
    pub pairs: Vec<PairCoverage>,
    /// Expectations naming pairs that the operation does not document.
    pub tested_undocumented: Vec<Pair>,
    /// Responses seen in a live run that match no documented pair.
    pub observed_undocumented: Vec<Observed>,
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
    /// Scenarios expecting this pair; empty means documented but untested.
    pub scenarios: Vec<String>,
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
        let mut scenarios_of: HashMap<&str, Vec<&Scenario>> = HashMap::new();
        let mut steps_of: HashMap<&str, Vec<&Step>> = HashMap::new();
        for scenario in &suite.scenarios {
            scenarios_of
                .entry(&scenario.operation.id)
                .or_default()
                .push(scenario);
            let steps = scenario.setup.iter().chain(std::iter::once(&scenario.main));
            for step in steps.chain(&scenario.verify) {
                steps_of.entry(&step.operation.id).or_default().push(step);
            }
        }
        let operations = suite
            .operations
            .iter()
            .map(|op| {
                let own = scenarios_of
                    .get(op.id.as_str())
                    .map_or(&[][..], Vec::as_slice);
                let steps = steps_of.get(op.id.as_str()).map_or(&[][..], Vec::as_slice);
                let documented = |p: &Pair| {
                    op.responses
                        .iter()
                        .any(|r| r.status == p.status && r.code == p.code)
                };
                let pairs = op
                    .responses
                    .iter()
                    .map(|r| PairCoverage {
                        pair: Pair {
                            status: r.status,
                            code: r.code.clone(),
                        },
                        scenarios: own
                            .iter()
                            .filter(|s| {
                                s.main.expect.status == Some(StatusSet::One(r.status))
                                    && s.main.expect.code == r.code
                            })
                            .map(|s| s.name.clone())
                            .collect(),
                    })
                    .collect();
                let mut tested_undocumented: Vec<Pair> = steps
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
                tested_undocumented.sort();
                tested_undocumented.dedup();
                OperationCoverage {
                    id: op.id.clone(),
                    doc: op.doc.clone(),
                    pairs,
                    tested_undocumented,
                    observed_undocumented: Vec::new(),
                }
            })
            .collect();
        Coverage { operations }
    }

    /// Adds the responses of a run that match no documented pair of their operation.
    pub fn observe(&mut self, suite: &Suite, outcomes: &[Outcome]) {
        let mut seen: BTreeMap<(String, Pair), Observed> = BTreeMap::new();
        for outcome in outcomes {
            for exchange in &outcome.exchanges {
                let (Some(status), Some(op)) = (
                    exchange.status,
                    suite.operations.iter().find(|o| o.id == exchange.operation),
                ) else {
                    continue;
                };
                let body = parse_json(&exchange.body).ok();
                let code = body.as_ref().and_then(error_code).map(str::to_string);
                let documented = op
                    .responses
                    .iter()
                    .any(|r| r.status == status && (r.code.is_none() || r.code == code));
                if documented {
                    continue;
                }
                let pair = Pair { status, code };
                let entry = seen
                    .entry((op.id.clone(), pair.clone()))
                    .or_insert(Observed {
                        pair,
                        count: 0,
                        trials: Vec::new(),
                    });
                entry.count += 1;
                if !entry.trials.contains(&outcome.trial_name) {
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

    /// One line per operation, for JUnit properties: `3/4 covered; untested: 429 rate_limited`.
    pub fn summary(&self, operation: &str) -> Option<String> {
        let op = self.operations.iter().find(|o| o.id == operation)?;
        let covered = op.pairs.iter().filter(|p| !p.scenarios.is_empty()).count();
        let mut line = format!("{covered}/{} documented pairs covered", op.pairs.len());
        let untested: Vec<String> = op
            .pairs
            .iter()
            .filter(|p| p.scenarios.is_empty())
            .map(|p| p.pair.to_string())
            .collect();
        if !untested.is_empty() {
            let _ = write!(line, "; untested: {}", untested.join(", "));
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
        let mut out = String::from("coverage of documented (status, code) pairs:\n");
        for op in &self.operations {
            let _ = writeln!(out, "  {}  ({})", op.id, op.doc);
            for pair in &op.pairs {
                let state = match pair.scenarios.as_slice() {
                    [] => "documented, untested".to_string(),
                    names => format!("covered by {}", names.join(", ")),
                };
                let _ = writeln!(out, "    {:<32} {state}", pair.pair.to_string());
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

    pub fn to_json(&self, facts: &crate::junit::RunFacts) -> String {
        #[derive(Serialize)]
        struct Document<'a> {
            run_id: &'a str,
            target: &'a str,
            host: &'a str,
            operations: &'a [OperationCoverage],
        }
        let document = Document {
            run_id: &facts.run_id,
            target: &facts.target,
            host: &facts.host,
            operations: &self.operations,
        };
        serde_json::to_string_pretty(&document).unwrap_or_default()
    }
}
