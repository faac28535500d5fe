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

/// Every finding of a scenario at or above `min`, each with its requirement, step location and
/// evidence, indented for the libtest failure section.
pub fn findings(scenario: &Scenario, run: &ScenarioRun, strict: bool, min: Verdict) -> String {
    let mut out = String::new();
    for event in &run.events {
        let RunEvent::Finding { step, finding, .. } = event else {
            continue;
        };
        if finding.verdict < min {
            continue;
        }
        let location = match step.and_then(|i| scenario.steps.get(i).map(|s| (i, s))) {
            Some((i, s)) => format!(
                " (step {} `{}`, {}:{})",
                i + 1,
                s.action.keyword(),
                scenario.file.display(),
                s.position.line
            ),
            None => String::new(),
        };
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
