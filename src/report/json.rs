//! The JSON Lines event stream: every [`RunEvent`](crate::event::RunEvent) of every trial (a
//! scenario, a replayed group), one JSON object per line, then a `summary` line. The wire
//! format is documented in docs/json-events.md.

use serde_json::json;

use crate::check::Verdict;
use crate::event::Outcome;
use crate::run::ScenarioRun;

/// The version of the event format, written in the summary line.
pub const FORMAT_VERSION: u32 = 1;

/// Renders the stream.
pub fn render<S>(results: &[(S, ScenarioRun)], strict: bool) -> String {
    let mut out = String::new();
    let (mut passed, mut failed, mut errored) = (0, 0, 0);
    for (_, run) in results {
        for event in &run.events {
            if let Ok(line) = serde_json::to_string(event) {
                out.push_str(&line);
                out.push('\n');
            }
        }
        let non_strict_fails = strict && run.findings().any(|f| f.verdict == Verdict::NonStrict);
        match run.outcome {
            Outcome::Passed if !non_strict_fails => passed += 1,
            Outcome::Errored => errored += 1,
            Outcome::Ignored => {}
            _ => failed += 1,
        }
    }
    let summary = json!({
        "event": "summary",
        "format_version": FORMAT_VERSION,
        "strict": strict,
        "scenarios": results.len(),
        "passed": passed,
        "failed": failed,
        "errored": errored,
    });
    out.push_str(&summary.to_string());
    out.push('\n');
    out
}
