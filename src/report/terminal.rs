//! The text shown for a failed scenario in the libtest-style output, and the summary of
//! NON-STRICT findings after the run.

use std::fmt::Write as _;

use crate::check::Verdict;
use crate::event::RunEvent;
use crate::run::ScenarioRun;
use crate::scenario::Scenario;

fn tier(verdict: Verdict, strict: bool) -> &'static str {
    match verdict {
        Verdict::Fail => "FAIL",
        Verdict::NonStrict if strict => "FAIL (strict)",
        Verdict::NonStrict => "NON-STRICT",
        Verdict::Info => "INFO",
    }
}

fn location(scenario: &Scenario, step: Option<usize>) -> String {
    match step.and_then(|i| scenario.steps.get(i).map(|s| (i, s))) {
        Some((i, s)) => format!(
            " (step {} `{}`, {}:{})",
            i + 1,
            s.action.keyword(),
            scenario.file.display(),
            s.position.line
        ),
        None => String::new(),
    }
}

/// The findings of a scenario whose verdict `show` selects, each with its requirement, step
/// location and evidence, and the steps that could not run at all.
pub fn findings(
    scenario: &Scenario,
    run: &ScenarioRun,
    strict: bool,
    show: impl Fn(Verdict) -> bool,
) -> String {
    let mut out = String::new();
    for event in &run.events {
        if let RunEvent::Step {
            step,
            message: Some(message),
            ..
        } = event
        {
            let _ = writeln!(
                out,
                "ERROR could not run: {message}{}",
                location(scenario, Some(*step))
            );
            continue;
        }
        let RunEvent::Finding { step, finding, .. } = event else {
            continue;
        };
        if !show(finding.verdict) {
            continue;
        }
        let location = location(scenario, *step);
        let _ = writeln!(
            out,
            "{} [{}] {}: {}{location}",
            tier(finding.verdict, strict),
            finding.requirement,
            finding.check,
            finding.message
        );
        for detail in &finding.details {
            for line in detail.lines() {
                let _ = writeln!(out, "    {line}");
            }
        }
    }
    out
}
