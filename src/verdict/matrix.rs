//! The requirement matrix: one verdict per requirement of the catalogue (and per requirement a
//! finding cites that the catalogue lacks), over every trial of a run.
//!
//! - **FAIL** / **NON-STRICT**: a finding that is no consequence of another cites it, and the
//!   run's baseline does not accept it.
//! - **KNOWN**: every root cause of its own is a deviation the run's baseline accepts
//!   (`--baseline`, [`baseline`](super::baseline)): reported, fails nothing.
//! - **BLOCKED**: nothing found it at fault, but it could not be judged everywhere: a step
//!   checking it was blocked by another requirement's root cause, or a scenario covering it
//!   stopped before reaching it because another requirement failed.
//! - **PASS**: a trial exercised it (covers it, and completed; or a step covering it passed)
//!   and nothing above applies.
//! - **NOT RUN**: no trial exercised it (filtered out, not reached, could not run).
//!
//! A requirement's own findings are folded by [`crate::check::signature`]: the
//! same deviation seen in many places is one root cause with its occurrences. Rows come root
//! causes first (those blocking the most first), then KNOWN, BLOCKED, PASS and NOT RUN.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use crate::check::{Finding, NotificationRef, Verdict, signature};
use crate::event::{Outcome, RunEvent};
use crate::spec::{Catalogue, Level};
use crate::trial::{ScenarioRun, Subject};

/// A requirement's verdict over a run, in the order rows are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING-KEBAB-CASE")]
pub enum Status {
    /// A root cause of its own fails it.
    Fail,
    /// A root cause of its own, of a SHOULD requirement or a documented variant: fails only
    /// under `--strict`.
    NonStrict,
    /// Root causes of its own, every one accepted by the run's baseline: reported, fails
    /// nothing (a requirement with a new root cause as well is FAIL or NON-STRICT).
    Known,
    /// Another requirement's root cause kept it from being judged somewhere.
    Blocked,
    /// Exercised, and nothing found.
    Pass,
    /// Not exercised by any trial.
    NotRun,
}

impl Status {
    /// Every status, in row order.
    pub const ALL: [Status; 6] = [
        Status::Fail,
        Status::NonStrict,
        Status::Known,
        Status::Blocked,
        Status::Pass,
        Status::NotRun,
    ];

    /// How reports write it.
    pub fn label(self) -> &'static str {
        match self {
            Status::Fail => "FAIL",
            Status::NonStrict => "NON-STRICT",
            Status::Known => "KNOWN",
            Status::Blocked => "BLOCKED",
            Status::Pass => "PASS",
            Status::NotRun => "NOT RUN",
        }
    }
}

/// Where one finding of a root cause was made.
#[derive(Debug, Clone, Serialize)]
pub struct Occurrence {
    /// The trial (scenario or replayed group).
    pub trial: String,
    /// The step, if a step's check made it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<usize>,
    /// Where the step is, as the trial describes it (` (step 2 `expect`, file:line)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The notifications it is about.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notifications: Vec<NotificationRef>,
}

/// Identical findings of one requirement, folded: the same deviation, wherever it was seen.
#[derive(Debug, Clone, Serialize)]
pub struct RootCause {
    /// What they have in common ([`signature::of`]).
    pub signature: String,
    /// The first of them, as found.
    pub first: Finding,
    /// Every place it was found, the first first.
    pub occurrences: Vec<Occurrence>,
    /// Whether the run's baseline accepts it (its findings are marked `known`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub known: bool,
}

/// One requirement's line of the matrix.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// The requirement id.
    pub requirement: String,
    /// Its level, when the catalogue has it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<&'static str>,
    /// Its verdict.
    pub status: Status,
    /// The trials that exercised it or found something about it, sorted.
    pub scenarios: Vec<String>,
    /// Its own findings (no consequences of another's), folded: new ones before known ones,
    /// FAIL before NON-STRICT.
    pub root_causes: Vec<RootCause>,
    /// The requirements whose root causes kept it from being judged somewhere.
    pub blocked_by: BTreeSet<String>,
    /// The requirements its root causes kept from being judged somewhere.
    pub blocks: BTreeSet<String>,
}

impl Row {
    fn new(requirement: &str, catalogue: &Catalogue) -> Self {
        Self {
            requirement: requirement.to_owned(),
            level: catalogue.level(requirement).map(|level| match level {
                Level::Must => "MUST",
                Level::Should => "SHOULD",
            }),
            status: Status::NotRun,
            scenarios: Vec::new(),
            root_causes: Vec::new(),
            blocked_by: BTreeSet::new(),
            blocks: BTreeSet::new(),
        }
    }

    /// The root causes of one verdict that the baseline does not accept.
    pub fn root_causes_of(&self, verdict: Verdict) -> impl Iterator<Item = &RootCause> {
        self.root_causes
            .iter()
            .filter(move |cause| !cause.known && cause.first.verdict == verdict)
    }

    /// The root causes the baseline accepts.
    pub fn known_root_causes(&self) -> impl Iterator<Item = &RootCause> {
        self.root_causes.iter().filter(|cause| cause.known)
    }
}

/// The matrix of a run.
#[derive(Debug, Clone, Serialize)]
pub struct Matrix {
    /// One row per requirement, root causes first.
    pub rows: Vec<Row>,
}

impl Matrix {
    /// The matrix of `trials`, over every requirement of `catalogue` and every requirement a
    /// finding cites.
    pub fn build<S: Subject>(catalogue: &Catalogue, trials: &[(S, ScenarioRun)]) -> Self {
        let mut rows: HashMap<String, Row> = catalogue
            .requirements()
            .iter()
            .map(|r| (r.id.clone(), Row::new(&r.id, catalogue)))
            .collect();
        let mut exercised: HashMap<String, BTreeSet<String>> = HashMap::new();
        for (subject, run) in trials {
            if run.outcome == Outcome::Ignored {
                continue;
            }
            for (requirement, cause) in blocked_in(subject, run) {
                row(&mut rows, catalogue, &requirement)
                    .blocked_by
                    .insert(cause.clone());
                row(&mut rows, catalogue, &cause).blocks.insert(requirement);
            }
            for event in &run.events {
                let RunEvent::Finding {
                    step,
                    finding,
                    notifications,
                    blocked_by,
                    known,
                    ..
                } = event
                else {
                    continue;
                };
                if finding.verdict == Verdict::Info {
                    continue;
                }
                match blocked_by {
                    Some(cause) => {
                        row(&mut rows, catalogue, &finding.requirement)
                            .blocked_by
                            .insert(cause.requirement.clone());
                        if cause.requirement != finding.requirement {
                            row(&mut rows, catalogue, &cause.requirement)
                                .blocks
                                .insert(finding.requirement.clone());
                        }
                    }
                    None => {
                        let occurrence = Occurrence {
                            trial: subject.name().to_owned(),
                            step: *step,
                            location: step.and_then(|i| subject.step_location(i)),
                            notifications: notifications.clone(),
                        };
                        fold(
                            &mut row(&mut rows, catalogue, &finding.requirement).root_causes,
                            finding,
                            *known,
                            occurrence,
                        );
                    }
                }
            }
            if run.outcome != Outcome::Errored {
                for requirement in exercised_by(subject, run) {
                    exercised
                        .entry(requirement)
                        .or_default()
                        .insert(subject.name().to_owned());
                }
            }
        }
        let mut rows: Vec<Row> = rows.into_values().collect();
        for row in &mut rows {
            let trials = exercised.remove(&row.requirement).unwrap_or_default();
            row.status = status(row, !trials.is_empty());
            row.scenarios = trials.into_iter().collect();
            // The row's new root causes first: reports show the first one in full.
            row.root_causes
                .sort_by_key(|cause| (cause.known, std::cmp::Reverse(cause.first.verdict)));
        }
        let position = |id: &str| {
            catalogue
                .requirements()
                .iter()
                .position(|r| r.id == id)
                .unwrap_or(usize::MAX)
        };
        rows.sort_by(|a, b| {
            a.status
                .cmp(&b.status)
                .then(b.blocks.len().cmp(&a.blocks.len()))
                .then(position(&a.requirement).cmp(&position(&b.requirement)))
                .then(a.requirement.cmp(&b.requirement))
        });
        Self { rows }
    }

    /// How many rows have each status, in [`Status::ALL`] order.
    pub fn counts(&self) -> Vec<(Status, usize)> {
        Status::ALL
            .iter()
            .map(|&status| {
                let n = self.rows.iter().filter(|r| r.status == status).count();
                (status, n)
            })
            .collect()
    }

    /// Whether a requirement fails the run: FAIL, or NON-STRICT under `strict`.
    pub fn fails(&self, strict: bool) -> bool {
        self.rows
            .iter()
            .any(|row| row.status == Status::Fail || (strict && row.status == Status::NonStrict))
    }

    /// The rows with a new root cause of their own (FAIL, NON-STRICT), in order.
    pub fn root_causes(&self) -> impl Iterator<Item = &Row> {
        self.rows
            .iter()
            .filter(|r| matches!(r.status, Status::Fail | Status::NonStrict))
    }

    /// Every root cause the baseline accepts, with its requirement's row, in row order (a FAIL
    /// or NON-STRICT row may have known ones beside its new ones).
    pub fn known_root_causes(&self) -> impl Iterator<Item = (&Row, &RootCause)> {
        self.rows
            .iter()
            .flat_map(|row| row.known_root_causes().map(move |cause| (row, cause)))
    }
}

/// The row of requirement `id`, made when a finding cites one the catalogue lacks.
fn row<'r>(rows: &'r mut HashMap<String, Row>, catalogue: &Catalogue, id: &str) -> &'r mut Row {
    rows.entry(id.to_owned())
        .or_insert_with(|| Row::new(id, catalogue))
}

/// A row's status from what was gathered.
fn status(row: &Row, exercised: bool) -> Status {
    let has = |verdict| row.root_causes_of(verdict).next().is_some();
    if has(Verdict::Fail) {
        Status::Fail
    } else if has(Verdict::NonStrict) {
        Status::NonStrict
    } else if row.known_root_causes().next().is_some() {
        // Its own deviations, all accepted: that says more than BLOCKED would.
        Status::Known
    } else if !row.blocked_by.is_empty() {
        Status::Blocked
    } else if exercised {
        Status::Pass
    } else {
        Status::NotRun
    }
}

/// Adds `finding`, found at `occurrence`, to the root cause of the same signature (a new one
/// when none has it). Findings of one signature are all known or all new (the baseline keys on
/// the signature), so the first one's mark stands for all.
fn fold(causes: &mut Vec<RootCause>, finding: &Finding, known: bool, occurrence: Occurrence) {
    let signature = signature::of(finding);
    match causes.iter_mut().find(|c| c.signature == signature) {
        Some(cause) => cause.occurrences.push(occurrence),
        None => causes.push(RootCause {
            signature,
            first: finding.clone(),
            occurrences: vec![occurrence],
            known,
        }),
    }
}

/// The first step that failed, if one did (the scenario stopped there).
fn stopped_at(run: &ScenarioRun) -> Option<usize> {
    run.events.iter().find_map(|event| match event {
        RunEvent::Step {
            step,
            passed: false,
            ..
        } => Some(*step),
        _ => None,
    })
}

/// The requirements a trial exercised: those of the steps that passed, those its findings
/// cite, and, when it ran to the end, those it covers.
fn exercised_by<S: Subject>(subject: &S, run: &ScenarioRun) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = run
        .findings()
        .map(|finding| finding.requirement.clone())
        .collect();
    for event in &run.events {
        if let RunEvent::Step {
            step, passed: true, ..
        } = event
        {
            out.extend(subject.step_covers(*step).iter().cloned());
        }
    }
    if stopped_at(run).is_none() {
        out.extend(subject.covers().iter().cloned());
    }
    out
}

/// What a trial that stopped at a failed step left unjudged, each with the requirement of the
/// root cause that stopped it: the requirements it covers and those of the steps it never
/// reached (not the stopping requirement itself). Nothing when it ran to the end or stopped
/// for a reason on the harness's side.
fn blocked_in<S: Subject>(subject: &S, run: &ScenarioRun) -> Vec<(String, String)> {
    let Some(stop) = stopped_at(run) else {
        return Vec::new();
    };
    let cause = run.events.iter().find_map(|event| match event {
        RunEvent::Finding {
            step: Some(step),
            finding,
            blocked_by,
            ..
        } if *step == stop && finding.verdict != Verdict::Info => Some(
            blocked_by
                .as_ref()
                .map_or(finding.requirement.clone(), |c| c.requirement.clone()),
        ),
        _ => None,
    });
    let Some(cause) = cause else {
        return Vec::new();
    };
    let mut unjudged: BTreeSet<String> = subject.covers().iter().cloned().collect();
    for step in stop + 1..subject.step_count() {
        unjudged.extend(subject.step_covers(step).iter().cloned());
    }
    unjudged
        .into_iter()
        .filter(|requirement| *requirement != cause)
        .map(|requirement| (requirement, cause.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::check::Cause;
    use crate::verdict::baseline::{Baseline, Entry, key_of};

    use crate::trial::Named;

    fn finding(requirement: &str, check: &str, message: &str) -> Finding {
        Finding {
            check: check.to_owned(),
            requirement: requirement.to_owned(),
            verdict: Verdict::Fail,
            message: message.to_owned(),
            details: Vec::new(),
        }
    }

    fn event(finding: &Finding, blocked_by: Option<Cause>) -> RunEvent {
        RunEvent::Finding {
            scenario: "a".to_owned(),
            step: Some(0),
            finding: finding.clone(),
            notifications: Vec::new(),
            responses: Vec::new(),
            blocked_by,
            known: false,
        }
    }

    /// The matrix of one failed trial of `events`, after `accepted` marked what it accepts.
    fn matrix(events: Vec<RunEvent>, accepted: &[&Finding]) -> Matrix {
        let mut trials = vec![(
            Named("a"),
            ScenarioRun {
                events,
                outcome: Outcome::Failed,
                duration: Duration::ZERO,
            },
        )];
        let baseline = Baseline::new(
            accepted
                .iter()
                .map(|f| {
                    let key = key_of(f);
                    Entry {
                        requirement: key.requirement,
                        check: key.check,
                        signature: key.signature,
                        verdict: None,
                        scenarios: Vec::new(),
                        first_message: None,
                    }
                })
                .collect(),
        );
        baseline.mark(&mut trials);
        Matrix::build(&Catalogue::builtin(), &trials)
    }

    fn status(matrix: &Matrix, requirement: &str) -> Status {
        matrix
            .rows
            .iter()
            .find(|r| r.requirement == requirement)
            .map(|r| r.status)
            .unwrap()
    }

    #[test]
    fn a_requirement_whose_root_causes_are_all_known_is_known() {
        let schema = finding("NOTIF-SCHEMA", "schema", "bad notificationType");
        let capabilities = finding("CAP-MONITOR", "invariant.capabilities", "extra");
        let consequence = finding("JOIN-ORDER", "expect", "no match");
        let matrix = matrix(
            vec![
                event(&schema, None),
                event(&consequence, Some(key_of(&schema))),
                event(&capabilities, None),
            ],
            &[&schema],
        );
        assert_eq!(status(&matrix, "NOTIF-SCHEMA"), Status::Known);
        assert_eq!(status(&matrix, "CAP-MONITOR"), Status::Fail);
        // Blocked by a known cause: still not judged, but nothing fails it.
        assert_eq!(status(&matrix, "JOIN-ORDER"), Status::Blocked);
        let roots: Vec<&str> = matrix
            .root_causes()
            .map(|r| r.requirement.as_str())
            .collect();
        assert_eq!(roots, ["CAP-MONITOR"]);
        let known: Vec<&str> = matrix
            .known_root_causes()
            .map(|(row, _)| row.requirement.as_str())
            .collect();
        assert_eq!(known, ["NOTIF-SCHEMA"]);
        let counts = matrix.counts();
        assert!(counts.contains(&(Status::Known, 1)), "{counts:?}");
        assert!(counts.contains(&(Status::Fail, 1)), "{counts:?}");
        assert_eq!(Status::Known.label(), "KNOWN");
        assert!(matrix.fails(false));
    }

    #[test]
    fn a_new_root_cause_outweighs_known_ones_and_comes_first() {
        let known = finding("NOTIF-SCHEMA", "schema", "bad notificationType");
        let new = finding("NOTIF-SCHEMA", "schema", "index is a string");
        let matrix = matrix(vec![event(&known, None), event(&new, None)], &[&known]);
        assert_eq!(status(&matrix, "NOTIF-SCHEMA"), Status::Fail);
        let row = matrix.root_causes().next().unwrap();
        let order: Vec<(&str, bool)> = row
            .root_causes
            .iter()
            .map(|c| (c.first.message.as_str(), c.known))
            .collect();
        assert_eq!(
            order,
            [("index is a string", false), ("bad notificationType", true)]
        );
        assert_eq!(row.root_causes_of(Verdict::Fail).count(), 1);
    }

    #[test]
    fn only_a_known_deviation_fails_nothing_and_non_strict_fails_only_when_strict() {
        let known = finding("NOTIF-SCHEMA", "schema", "bad notificationType");
        let accepted = matrix(vec![event(&known, None)], &[&known]);
        assert!(!accepted.fails(true));
        let mut should = finding("NOTIF-SCHEMA", "schema", "late");
        should.verdict = Verdict::NonStrict;
        let noted = matrix(vec![event(&should, None)], &[]);
        assert!(!noted.fails(false));
        assert!(noted.fails(true));
    }
}
