//! The JUnit XML report: one testcase per trial (a scenario, a replayed group), with every
//! check result of the trial inside it (the failure's description lists the failing findings; `system-out` lists every
//! finding and step), and the requirements it covers as properties.

use std::fmt::Write as _;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use crate::check::Verdict;
use crate::event::{Outcome, RunEvent};
use crate::run::ScenarioRun;

use super::{Subject, terminal};

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

/// Renders the report as one test suite called `suite`; `strict` makes NON-STRICT findings
/// failures.
pub fn render<S: Subject>(
    suite: &str,
    results: &[(S, ScenarioRun)],
    strict: bool,
) -> Result<String, quick_junit::SerializeError> {
    let mut report = Report::new("gws-conform");
    let mut suite = TestSuite::new(suite);
    for (scenario, run) in results {
        let failing = if strict {
            Verdict::NonStrict
        } else {
            Verdict::Fail
        };
        let failed = run.outcome != Outcome::Passed || run.findings().any(|f| f.verdict >= failing);
        let status = match run.outcome {
            Outcome::Ignored => TestCaseStatus::skipped(),
            Outcome::Errored => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
                status
                    .set_message("the scenario could not run")
                    .set_description(
                        terminal::findings(scenario, run, strict, |_| true) + &steps_log(run),
                    );
                status
            }
            _ if failed => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                let first = run.findings().find(|f| f.verdict >= failing);
                let message = first.map_or_else(
                    || "a step failed".to_owned(),
                    |f| format!("[{}] {}", f.requirement, f.message),
                );
                status
                    .set_message(message)
                    .set_description(terminal::findings(scenario, run, strict, |v| v >= failing));
                status
            }
            _ => TestCaseStatus::success(),
        };
        let mut case = TestCase::new(scenario.name().to_owned(), status);
        case.set_classname(scenario.file()).set_time(run.duration);
        for requirement in scenario.covers() {
            case.add_property(Property::new("covers", requirement.clone()));
        }
        let mut out = steps_log(run);
        out.push_str(&terminal::findings(scenario, run, strict, |_| true));
        case.set_system_out(out);
        suite.add_test_case(case);
    }
    report.add_test_suite(suite);
    report.to_string()
}
