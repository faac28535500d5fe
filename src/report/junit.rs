//! The JUnit XML report: two test suites. The first has one testcase per trial (a scenario, a
//! replayed group), with every check result of the trial inside it (the failure's description
//! lists the failing findings; `system-out` lists every finding and step) and the requirements
//! it covers as properties. The second, `requirements`, has one testcase per row of the
//! requirement matrix: FAIL (and NON-STRICT under `--strict`) is a failure carrying the root
//! cause, KNOWN (every root cause accepted by `--baseline`), BLOCKED and NOT RUN are skipped
//! with the reason, PASS passes. Known findings fail no trial: they are listed in its
//! `system-out`, marked `(known)`.

use std::fmt::Write as _;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use super::tier;
use crate::check::Verdict;
use crate::event::{Outcome, RunEvent};
use crate::trial::{ScenarioRun, Subject};
use crate::verdict::matrix::{Matrix, Row, Status};

/// The name of the suite of requirements.
pub const REQUIREMENTS_SUITE: &str = "requirements";

fn steps_log(run: &ScenarioRun) -> String {
    let mut out = String::new();
    for event in &run.events {
        if let RunEvent::Step {
            step,
            line,
            action,
            passed,
            message,
            ..
        } = event
        {
            let status = if *passed { "ok" } else { "FAILED" };
            let _ = writeln!(out, "step {} (line {line}) {action}: {status}", step + 1);
            if let Some(message) = message {
                let _ = writeln!(out, "    {message}");
            }
        }
    }
    out
}

/// The findings of a trial that `show` selects (by verdict and whether they are known), each
/// with its requirement, step
/// location, root cause when it is a consequence, and evidence; and the steps that could not
/// run at all.
fn findings(
    subject: &impl Subject,
    run: &ScenarioRun,
    strict: bool,
    show: impl Fn(Verdict, bool) -> bool,
) -> String {
    let location = |step: Option<usize>| {
        step.and_then(|i| subject.step_location(i))
            .unwrap_or_default()
    };
    let mut out = String::new();
    for event in &run.events {
        match event {
            RunEvent::Step {
                step,
                message: Some(message),
                ..
            } => {
                let _ = writeln!(
                    out,
                    "ERROR could not run: {message}{}",
                    location(Some(*step))
                );
            }
            RunEvent::Finding {
                step,
                finding,
                blocked_by,
                known,
                ..
            } if show(finding.verdict, *known) => {
                let consequence = blocked_by.as_ref().map_or_else(String::new, |cause| {
                    format!(" [blocked by {} {}]", cause.requirement, cause.check)
                });
                let _ = writeln!(
                    out,
                    "{} [{}] {}: {}{}{consequence}",
                    tier(finding.verdict, strict, *known),
                    finding.requirement,
                    finding.check,
                    finding.message,
                    location(*step)
                );
                for detail in &finding.details {
                    for line in detail.lines() {
                        let _ = writeln!(out, "    {line}");
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// The testcase of one trial.
fn trial_case(subject: &impl Subject, run: &ScenarioRun, strict: bool) -> TestCase {
    let failing = if strict {
        Verdict::NonStrict
    } else {
        Verdict::Fail
    };
    let status = match run.outcome {
        Outcome::Ignored => TestCaseStatus::skipped(),
        Outcome::Errored => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status
                .set_message("the scenario could not run")
                .set_description(findings(subject, run, strict, |_, _| true) + &steps_log(run));
            status
        }
        _ if run.fails(strict) => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            let first = run.failing(strict).next();
            let message = first.map_or_else(
                || "a step failed".to_owned(),
                |f| format!("[{}] {}", f.requirement, f.message),
            );
            // Under `run --repeat N`: how often, and whether it is FLAKY.
            let message = match run.repetitions() {
                Some(r) if r.flaky() => {
                    format!("FLAKY (failed {} of {} runs): {message}", r.failed, r.runs)
                }
                Some(r) => format!("failed {} of {} runs: {message}", r.failed, r.runs),
                None => message,
            };
            status.set_message(message).set_description(findings(
                subject,
                run,
                strict,
                |v, known| !known && v >= failing,
            ));
            status
        }
        _ => TestCaseStatus::success(),
    };
    let mut case = TestCase::new(subject.name().to_owned(), status);
    case.set_classname(subject.file()).set_time(run.duration);
    for requirement in subject.covers() {
        case.add_property(Property::new("covers", requirement.clone()));
    }
    let mut out = steps_log(run);
    out.push_str(&findings(subject, run, strict, |_, _| true));
    case.set_system_out(out);
    case
}

/// The testcase of one requirement.
fn requirement_case(row: &Row, strict: bool) -> TestCase {
    let root = |verdict| {
        row.root_causes_of(verdict).next().map(|cause| {
            let where_ = cause
                .occurrences
                .iter()
                .map(|o| format!("{}{}", o.trial, o.location.as_deref().unwrap_or_default()))
                .collect::<Vec<_>>()
                .join("\n");
            (
                format!(
                    "[{}] {}: {}",
                    row.requirement, cause.first.check, cause.first.message
                ),
                format!(
                    "{}\nfound {} time(s):\n{where_}",
                    cause.first.details.join("\n"),
                    cause.occurrences.len()
                ),
            )
        })
    };
    let failure = match row.status {
        Status::Fail => root(Verdict::Fail),
        Status::NonStrict if strict => root(Verdict::NonStrict),
        _ => None,
    };
    let status = match (failure, row.status) {
        (Some((message, description)), _) => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status.set_message(message).set_description(description);
            status
        }
        (None, Status::Known) => {
            let mut status = TestCaseStatus::skipped();
            let causes: Vec<String> = row
                .known_root_causes()
                .map(|cause| format!("{}: {}", cause.first.check, cause.first.message))
                .collect();
            status
                .set_message("known: every deviation found is accepted by the baseline")
                .set_description(causes.join("\n"));
            status
        }
        (None, Status::Blocked) => {
            let mut status = TestCaseStatus::skipped();
            let causes: Vec<&str> = row.blocked_by.iter().map(String::as_str).collect();
            status.set_message(format!("blocked by {}", causes.join(", ")));
            status
        }
        (None, Status::NotRun) => {
            let mut status = TestCaseStatus::skipped();
            status.set_message("not run: no trial exercised it");
            status
        }
        (None, _) => TestCaseStatus::success(),
    };
    let mut case = TestCase::new(row.requirement.clone(), status);
    case.set_classname(REQUIREMENTS_SUITE);
    case.add_property(Property::new("status", row.status.label()));
    if let Some(level) = row.level {
        case.add_property(Property::new("level", level));
    }
    for scenario in &row.scenarios {
        case.add_property(Property::new("scenario", scenario.clone()));
    }
    case
}

/// Renders the report: the trials as test suite `suite`, the matrix as the suite of
/// requirements; `strict` makes NON-STRICT findings failures.
pub fn render<S: Subject>(
    suite: &str,
    results: &[(S, ScenarioRun)],
    matrix: &Matrix,
    strict: bool,
) -> Result<String, quick_junit::SerializeError> {
    let mut report = Report::new("gws-conform");
    let mut trials = TestSuite::new(suite);
    for (subject, run) in results {
        trials.add_test_case(trial_case(subject, run, strict));
    }
    report.add_test_suite(trials);
    let mut requirements = TestSuite::new(REQUIREMENTS_SUITE);
    for row in &matrix.rows {
        requirements.add_test_case(requirement_case(row, strict));
    }
    report.add_test_suite(requirements);
    report.to_string()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::check::Finding;
    use crate::event::Repetitions;
    use crate::trial::Named;

    /// A failed run whose repetitions went as given.
    fn repeated(runs: usize, failed: usize) -> ScenarioRun {
        let finding = Finding {
            check: "expect".to_owned(),
            requirement: "MON-MODE".to_owned(),
            verdict: Verdict::Fail,
            message: "no match".to_owned(),
            details: Vec::new(),
        };
        ScenarioRun {
            events: vec![
                RunEvent::found("join", Some(0), finding),
                RunEvent::ScenarioFinished {
                    scenario: "join".to_owned(),
                    outcome: Outcome::Failed,
                    duration_ms: 0,
                    repetitions: Some(Repetitions { runs, failed }),
                },
            ],
            outcome: Outcome::Failed,
            duration: Duration::ZERO,
        }
    }

    #[test]
    fn a_repeated_failure_says_how_often_and_whether_it_is_flaky() {
        let message = |run: &ScenarioRun| {
            let case = trial_case(&Named("join"), run, false);
            match case.status {
                TestCaseStatus::NonSuccess { message, .. } => message.map(|m| m.to_string()),
                _ => None,
            }
        };
        assert_eq!(
            message(&repeated(3, 1)).as_deref(),
            Some("FLAKY (failed 1 of 3 runs): [MON-MODE] no match")
        );
        assert_eq!(
            message(&repeated(3, 3)).as_deref(),
            Some("failed 3 of 3 runs: [MON-MODE] no match")
        );
    }
}
