//! The JSON Lines event stream: every [`RunEvent`](crate::event::RunEvent) of every trial (a
//! scenario, a replayed group), one JSON object per line, then one `requirement` line per row
//! of the requirement matrix, then a `summary` line (with, under `--baseline`, the known root
//! causes and the entries that no longer occur). The wire format is documented in
//! docs/json-events.md.

use serde_json::json;

use super::terminal::Totals;
use crate::trial::ScenarioRun;
use crate::verdict::baseline::Judged;
use crate::verdict::matrix::Matrix;

/// The version of the event format, written in the summary line.
pub const FORMAT_VERSION: u32 = 2;

/// What a report says about a run as a whole, beside its trials.
#[derive(Debug, Clone, Copy)]
pub struct Report<'a> {
    /// What the trials are (the JUnit suite: `scenarios` for `run`, `replay`).
    pub suite: &'a str,
    /// The requirement matrix.
    pub matrix: &'a Matrix,
    /// The trials counted by how they ended.
    pub totals: &'a Totals,
    /// Whether NON-STRICT findings fail.
    pub strict: bool,
    /// The run's `--baseline`, if any.
    pub baseline: Option<&'a Judged>,
}

impl Report<'_> {
    /// Whether the run fails: a trial failed or could not run, or a requirement fails.
    pub fn fails(&self) -> bool {
        self.totals.failed > 0 || self.totals.errored > 0 || self.matrix.fails(self.strict)
    }
}

/// Renders the stream.
pub fn render<S>(results: &[(S, ScenarioRun)], report: &Report<'_>) -> String {
    let Report {
        suite,
        matrix,
        totals,
        strict,
        baseline,
    } = *report;
    let mut out = String::new();
    let mut line = |value: serde_json::Result<String>| {
        if let Ok(text) = value {
            out.push_str(&text);
            out.push('\n');
        }
    };
    for (_, run) in results {
        for event in &run.events {
            line(serde_json::to_string(event));
        }
    }
    for row in &matrix.rows {
        let mut object = serde_json::Map::new();
        object.insert("event".to_owned(), json!("requirement"));
        if let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(row) {
            object.extend(fields);
        }
        line(serde_json::to_string(&object));
    }
    let requirements: serde_json::Map<String, serde_json::Value> = matrix
        .counts()
        .into_iter()
        // Keyed as the `requirement` events write the status.
        .map(|(status, n)| {
            (
                json!(status).as_str().unwrap_or_default().to_owned(),
                json!(n),
            )
        })
        .collect();
    let mut summary = json!({
        "event": "summary",
        "format_version": FORMAT_VERSION,
        "suite": suite,
        "strict": strict,
        "scenarios": totals.passed + totals.failed + totals.errored + totals.ignored + totals.not_run,
        "passed": totals.passed,
        "failed": totals.failed,
        "errored": totals.errored,
        "ignored": totals.ignored,
        "not_run": totals.not_run,
        "elapsed_ms": totals.elapsed.as_millis() as u64,
        "filtered_out": totals.filtered_out,
        "requirements": requirements,
        // Present whether or not a baseline was given, so readers need no special case.
        "baseline": baseline.map(|b| b.file.display().to_string()),
        "known": matrix.known_root_causes().count(),
        "stale_baseline_entries": baseline.map_or(&[][..], |b| &b.usage.stale),
        "unchecked_baseline_entries": baseline.map_or(&[][..], |b| &b.usage.unchecked),
    });
    // Only under `run --repeat N`, so a stream of an unrepeated run is as it always was.
    if let (Some(flaky), Some(fields)) = (totals.flaky, summary.as_object_mut()) {
        fields.insert("flaky".to_owned(), json!(flaky));
    }
    if let (Some(quiet), Some(fields)) = (&totals.quiet, summary.as_object_mut()) {
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
        fields.insert(
            "quiet_calibration".to_owned(),
            json!({
                "samples": quiet.samples,
                "median_ms": ms(quiet.median),
                "p99_ms": ms(quiet.p99),
                "window_ms": ms(quiet.window),
                "scale": quiet.policy.scale,
                "floor_ms": ms(quiet.policy.floor),
            }),
        );
    }
    line(Ok(summary.to_string()));
    out
}
