//! `run --repeat N`: each selected scenario runs N times, to hunt flakiness. Every repetition
//! is a trial of its own (`name (run 2/3)` on the terminal; against a shared target trials run
//! one at a time, so repetitions do too), and a scenario's repetitions are then folded into one
//! trial for the verdict and the reports: the first repetition that failed (else the first)
//! stands for them all, with how many ran and failed ([`Repetitions`]). A scenario that passed
//! some times and failed others is FLAKY; any failed repetition fails the run.

use std::sync::Arc;

use super::trials::{Executed, Trial, TrialResult, Unrun, fails};
use crate::event::{Repetitions, RunEvent};
use crate::scenario::Scenario;
use crate::trial::Subject;

/// One repetition of a scenario.
pub(crate) struct Repetition {
    /// The scenario it runs.
    pub scenario: Arc<Scenario>,
    /// Its name on the terminal: the scenario's, with `(run K/N)` when it is repeated.
    name: String,
}

/// The trials of `scenarios`, each repeated `times` times in a row (those marked `ignore` are
/// only listed, once).
pub(crate) fn repeated(scenarios: Vec<(Scenario, bool)>, times: usize) -> Vec<Trial<Repetition>> {
    let mut trials = Vec::new();
    for (scenario, ignored) in scenarios {
        let scenario = Arc::new(scenario);
        let count = if ignored { 1 } else { times };
        for run in 1..=count {
            let name = if count > 1 {
                format!("{} (run {run}/{count})", scenario.name)
            } else {
                scenario.name.clone()
            };
            trials.push(Trial {
                subject: Repetition {
                    scenario: Arc::clone(&scenario),
                    name,
                },
                ignored,
            });
        }
    }
    trials
}

/// Folds each scenario's repetitions (in a row, as [`repeated`] made them) into one trial;
/// `repeated` says whether `--repeat` asked for more than one, so the trials carry how
/// their repetitions went.
pub(crate) fn fold(
    executed: Executed<Repetition>,
    repeated: bool,
    strict: bool,
) -> Executed<Arc<Scenario>> {
    let mut folded: Vec<(Arc<Scenario>, TrialResult)> = Vec::new();
    let mut results = executed.results.into_iter().peekable();
    while let Some((first, result)) = results.next() {
        let mut group = vec![result];
        while let Some((_, result)) =
            results.next_if(|(next, _)| Arc::ptr_eq(&next.scenario, &first.scenario))
        {
            group.push(result);
        }
        folded.push((first.scenario, one_for_all(group, repeated, strict)));
    }
    Executed {
        results: folded,
        elapsed: executed.elapsed,
    }
}

/// The result standing for a scenario's repetitions: the first that fails the run, else the
/// first that ran, else the first; marked with how they went when `repeated`.
fn one_for_all(mut group: Vec<TrialResult>, repeated: bool, strict: bool) -> TrialResult {
    let ran = |result: &TrialResult| !matches!(result, Err(Unrun::Ignored | Unrun::NotStarted));
    let runs = group.iter().filter(|result| ran(result)).count();
    let failed = group.iter().filter(|result| fails(result, strict)).count();
    let index = group
        .iter()
        .position(|result| fails(result, strict))
        .or_else(|| group.iter().position(ran))
        .unwrap_or(0);
    let mut chosen = group.swap_remove(index);
    if repeated && let Ok(run) = &mut chosen {
        let finished = run.events.iter_mut().rev().find_map(|event| match event {
            RunEvent::ScenarioFinished { repetitions, .. } => Some(repetitions),
            _ => None,
        });
        if let Some(repetitions) = finished {
            *repetitions = Some(Repetitions { runs, failed });
        }
    }
    chosen
}

impl Subject for Repetition {
    fn name(&self) -> &str {
        &self.name
    }

    fn file(&self) -> String {
        self.scenario.file()
    }

    fn covers(&self) -> &[String] {
        self.scenario.covers()
    }

    fn step_location(&self, step: usize) -> Option<String> {
        self.scenario.step_location(step)
    }

    fn step_count(&self) -> usize {
        self.scenario.step_count()
    }

    fn step_covers(&self, step: usize) -> &[String] {
        self.scenario.step_covers(step)
    }

    fn declares(&self, step: usize, requirement: &str) -> bool {
        self.scenario.declares(step, requirement)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::event::Outcome;
    use crate::trial::ScenarioRun;

    fn scenarios(names: &[&str]) -> Vec<(Scenario, bool)> {
        let catalogue = crate::spec::Catalogue::builtin();
        let all = crate::scenario::load_builtin(&catalogue, &|_: &str| true).unwrap();
        names
            .iter()
            .map(|name| {
                let scenario = all.iter().find(|s| s.name == *name).unwrap().clone();
                (scenario, false)
            })
            .collect()
    }

    fn ended(outcome: Outcome) -> TrialResult {
        Ok(ScenarioRun {
            events: vec![RunEvent::ScenarioFinished {
                scenario: "s".to_owned(),
                outcome,
                duration_ms: 0,
                repetitions: None,
            }],
            outcome,
            duration: Duration::ZERO,
        })
    }

    /// Folds `outcomes`, each scenario's in a row, for the scenarios `names` repeated `times`.
    fn folded(
        names: &[&str],
        times: usize,
        outcomes: Vec<TrialResult>,
    ) -> Vec<(String, TrialResult)> {
        let trials = repeated(scenarios(names), times);
        assert_eq!(trials.len(), names.len() * times);
        let results = trials
            .into_iter()
            .map(|t| t.subject)
            .zip(outcomes)
            .collect();
        let executed = Executed {
            results,
            elapsed: Duration::ZERO,
        };
        fold(executed, times > 1, false)
            .results
            .into_iter()
            .map(|(scenario, result)| (scenario.name.clone(), result))
            .collect()
    }

    fn repetitions(result: &TrialResult) -> Option<Repetitions> {
        result.as_ref().ok().and_then(ScenarioRun::repetitions)
    }

    #[test]
    fn repetitions_are_named_and_folded_into_the_first_failure() {
        let trials = repeated(scenarios(&["cancel-monitoring"]), 3);
        let names: Vec<&str> = trials.iter().map(|t| t.subject.name()).collect();
        assert_eq!(
            names,
            [
                "cancel-monitoring (run 1/3)",
                "cancel-monitoring (run 2/3)",
                "cancel-monitoring (run 3/3)"
            ]
        );
        let (passed, failed) = (Outcome::Passed, Outcome::Failed);
        let results = folded(
            &["cancel-monitoring", "switch-after-switch"],
            3,
            vec![
                ended(passed),
                ended(failed),
                ended(passed),
                ended(passed),
                ended(passed),
                ended(passed),
            ],
        );
        assert_eq!(results.len(), 2);
        let (name, flaky) = &results[0];
        assert_eq!(name, "cancel-monitoring");
        assert_eq!(flaky.as_ref().unwrap().outcome, failed);
        let marked = repetitions(flaky).unwrap();
        assert_eq!(marked, Repetitions { runs: 3, failed: 1 });
        assert!(marked.flaky());
        let steady = repetitions(&results[1].1).unwrap();
        assert_eq!(steady, Repetitions { runs: 3, failed: 0 });
        assert!(!steady.flaky());
    }

    #[test]
    fn always_failing_is_not_flaky_and_unstarted_runs_do_not_count() {
        let results = folded(
            &["cancel-monitoring"],
            3,
            vec![
                ended(Outcome::Failed),
                ended(Outcome::Failed),
                Err(Unrun::NotStarted),
            ],
        );
        let marked = repetitions(&results[0].1).unwrap();
        assert_eq!(marked, Repetitions { runs: 2, failed: 2 });
        assert!(!marked.flaky());
        // Run once, a trial carries no repetitions.
        let once = folded(&["cancel-monitoring"], 1, vec![ended(Outcome::Passed)]);
        assert_eq!(once[0].0, "cancel-monitoring");
        assert_eq!(repetitions(&once[0].1), None);
    }
}
