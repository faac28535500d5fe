//! The text shown for a failed trial (a scenario, a replayed group) in the libtest-style
//! output, and the summary of NON-STRICT findings after the run.

use std::fmt::Write as _;

use super::Subject;
use crate::check::Verdict;
use crate::event::RunEvent;
use crate::run::ScenarioRun;

fn tier(verdict: Verdict, strict: bool) -> &'static str {
    match verdict {
        Verdict::Fail => "FAIL",
        Verdict::NonStrict if strict => "FAIL (strict)",
        Verdict::NonStrict => "NON-STRICT",
        Verdict::Info => "INFO",
    }
}

fn location(subject: &(impl Subject + ?Sized), step: Option<usize>) -> String {
    step.and_then(|i| subject.step_location(i))
        .unwrap_or_default()
}

/// The findings of a trial whose verdict `show` selects, each with its requirement, step
/// location and evidence, and the steps that could not run at all.
pub fn findings(
    scenario: &(impl Subject + ?Sized),
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
