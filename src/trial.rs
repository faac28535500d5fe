//! A trial: one scenario of `run` or one replayed group of `replay`, as reports and verdicts
//! see it: the [`Subject`] that ran (its name, file, the requirements it covers, where its
//! steps are) and the [`ScenarioRun`] it produced.

use std::time::Duration;

use crate::check::{Finding, Verdict};
use crate::event::{Outcome, Repetitions, RunEvent};
use crate::scenario::Scenario;
use crate::scenario::model::{Action, CoversFrom};

/// The result of one scenario.
#[derive(Debug, Clone)]
pub struct ScenarioRun {
    /// Everything that happened, in order.
    pub events: Vec<RunEvent>,
    /// How it ended.
    pub outcome: Outcome,
    /// Wall time.
    pub duration: Duration,
}

impl ScenarioRun {
    /// Every finding of the run.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.events.iter().filter_map(RunEvent::finding)
    }

    /// The findings that fail the trial: those weighing FAIL (or, under `strict`, NON-STRICT)
    /// that the run's baseline does not accept (not marked `known`).
    pub fn failing(&self, strict: bool) -> impl Iterator<Item = &Finding> {
        let tier = if strict {
            Verdict::NonStrict
        } else {
            Verdict::Fail
        };
        self.events.iter().filter_map(move |event| match event {
            RunEvent::Finding {
                finding,
                known: false,
                ..
            } if finding.verdict >= tier => Some(finding),
            _ => None,
        })
    }

    /// How its scenario's repetitions went (`run --repeat N`), when it stands for them.
    pub fn repetitions(&self) -> Option<Repetitions> {
        self.events.iter().rev().find_map(|event| match event {
            RunEvent::ScenarioFinished { repetitions, .. } => *repetitions,
            _ => None,
        })
    }

    /// Whether the trial fails the run: it could not run, a finding fails it ([`Self::failing`]),
    /// or it failed with no known FAIL finding to explain it.
    pub fn fails(&self, strict: bool) -> bool {
        let known_failure = || {
            self.events.iter().any(|event| {
                matches!(event, RunEvent::Finding { finding, known: true, .. }
                    if finding.verdict == Verdict::Fail)
            })
        };
        match self.outcome {
            Outcome::Errored => true,
            Outcome::Ignored => false,
            Outcome::Failed if !known_failure() => true,
            Outcome::Passed | Outcome::Failed => self.failing(strict).next().is_some(),
        }
    }
}

/// What a report says about the thing a trial ran.
pub trait Subject {
    /// The trial's name.
    fn name(&self) -> &str;
    /// The file it came from (JUnit's `classname`).
    fn file(&self) -> String;
    /// The requirement ids it covers.
    fn covers(&self) -> &[String];
    /// Where step `step` (as numbered in the run's events) is, as a parenthesised suffix for a
    /// finding's line (` (step 2 `expect`, file:line)`); `None` when unknown.
    fn step_location(&self, step: usize) -> Option<String>;
    /// How many steps it has (none when it has no steps of its own).
    fn step_count(&self) -> usize {
        0
    }
    /// The requirements step `step` says it checks (none when unknown).
    fn step_covers(&self, step: usize) -> &[String] {
        let _ = step;
        &[]
    }
    /// Whether step `step`'s author declares that it checks `requirement` (its own `covers`).
    fn declares(&self, step: usize, requirement: &str) -> bool {
        let _ = (step, requirement);
        false
    }
}

impl<T: Subject + ?Sized> Subject for std::sync::Arc<T> {
    fn name(&self) -> &str {
        (**self).name()
    }

    fn file(&self) -> String {
        (**self).file()
    }

    fn covers(&self) -> &[String] {
        (**self).covers()
    }

    fn step_location(&self, step: usize) -> Option<String> {
        (**self).step_location(step)
    }

    fn step_count(&self) -> usize {
        (**self).step_count()
    }

    fn step_covers(&self, step: usize) -> &[String] {
        (**self).step_covers(step)
    }

    fn declares(&self, step: usize, requirement: &str) -> bool {
        (**self).declares(step, requirement)
    }
}

impl Subject for Scenario {
    fn name(&self) -> &str {
        &self.name
    }

    fn file(&self) -> String {
        self.file.display().to_string()
    }

    fn covers(&self) -> &[String] {
        &self.covers
    }

    fn step_location(&self, step: usize) -> Option<String> {
        let s = self.steps.get(step)?;
        Some(format!(
            " (step {} `{}`, {}:{})",
            step + 1,
            s.action.keyword(),
            self.file.display(),
            s.position.line
        ))
    }

    fn step_count(&self) -> usize {
        self.steps.len()
    }

    fn step_covers(&self, step: usize) -> &[String] {
        self.steps.get(step).map_or(&[], |s| s.covers.as_slice())
    }

    fn declares(&self, step: usize, requirement: &str) -> bool {
        let Some(step) = self.steps.get(step) else {
            return false;
        };
        let in_items = match &step.action {
            Action::Expect(expectation) => expectation
                .items
                .iter()
                .any(|item| item.covers.iter().any(|c| c == requirement)),
            _ => false,
        };
        in_items
            || (step.covers_from == CoversFrom::Declared
                && step.covers.iter().any(|c| c == requirement))
    }
}

/// A trial subject for unit tests: a name, covering nothing, with no steps of its own.
#[cfg(test)]
pub(crate) struct Named(pub &'static str);

#[cfg(test)]
impl Subject for Named {
    fn name(&self) -> &str {
        self.0
    }
    fn file(&self) -> String {
        format!("{}.yaml", self.0)
    }
    fn covers(&self) -> &[String] {
        &[]
    }
    fn step_location(&self, _: usize) -> Option<String> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(outcome: Outcome, findings: &[(Verdict, bool)]) -> ScenarioRun {
        let events = findings
            .iter()
            .map(|&(verdict, known)| RunEvent::Finding {
                scenario: "s".to_owned(),
                step: Some(0),
                finding: Finding {
                    check: "expect".to_owned(),
                    requirement: "MON-MODE".to_owned(),
                    verdict,
                    message: "no match".to_owned(),
                    details: Vec::new(),
                },
                notifications: Vec::new(),
                responses: Vec::new(),
                blocked_by: None,
                known,
            })
            .collect();
        ScenarioRun {
            events,
            outcome,
            duration: Duration::ZERO,
        }
    }

    #[test]
    fn known_findings_fail_no_trial_and_new_ones_still_do() {
        let (fail, non_strict) = (Verdict::Fail, Verdict::NonStrict);
        // Failed only on known deviations: passes, strict or not.
        assert!(!run(Outcome::Failed, &[(fail, true)]).fails(false));
        assert!(!run(Outcome::Failed, &[(fail, true), (non_strict, true)]).fails(true));
        // A new failure beside a known one fails it.
        assert!(run(Outcome::Failed, &[(fail, true), (fail, false)]).fails(false));
        // A new NON-STRICT finding fails only under --strict.
        let noted = run(Outcome::Failed, &[(fail, true), (non_strict, false)]);
        assert!(!noted.fails(false));
        assert!(noted.fails(true));
        assert_eq!(noted.failing(true).count(), 1);
        // Failed with nothing known to explain it, or could not run: fails whatever is known.
        assert!(run(Outcome::Failed, &[]).fails(false));
        assert!(run(Outcome::Failed, &[(non_strict, true)]).fails(false));
        assert!(run(Outcome::Errored, &[(fail, true)]).fails(false));
        assert!(!run(Outcome::Passed, &[(Verdict::Info, false)]).fails(true));
    }
}
