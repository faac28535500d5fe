//! The HTML report (`--html FILE`; `gws-conform report --html FILE` from saved streams): one
//! self-contained page (inline CSS and SVG, a few lines of inline script for the filters, no
//! external asset or URL) that opens in any browser from `file://` (docs/html-report.md).
//!
//! - [`page`]: the page: head and style, the filters, the verdict, the trials.
//! - [`matrix`]: the verdict and the requirement matrix, root causes first.
//! - [`trial`]: one trial: its steps with their source, its sequence diagram, its findings.
//! - [`messages`]: a trial's exchanges and notifications as messages in time order, the
//!   failing ones marked.
//! - [`sequence`]: the sequence diagram (SVG) of those messages.
//! - [`streams`]: for a replay, each actor's recorded and replayed notifications side by side,
//!   paired as the comparison paired them, the rows at fault marked.
//! - [`evidence`]: a finding's evidence: diffs side by side, schema errors with their instance
//!   paths, the documented example beside the notification it was diffed with.
//!
//! Everything that comes from the target is escaped (maud escapes every value it splices in).

mod evidence;
mod matrix;
mod messages;
mod page;
mod sequence;
mod streams;
mod trial;

use serde_json::Value;

use super::json::Report;
use crate::trial::{ScenarioRun, Subject};

/// The documented examples a run diffed notifications with, by name (the fixture's file stem).
pub trait Examples: Sync {
    /// The example called `name`, if known.
    fn example(&self, name: &str) -> Option<&Value>;
}

/// No documented examples (a replay diffs with none).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoExamples;

impl Examples for NoExamples {
    fn example(&self, _: &str) -> Option<&Value> {
        None
    }
}

/// Renders the page.
pub fn render<S: Subject>(
    results: &[(S, ScenarioRun)],
    report: &Report<'_>,
    examples: &dyn Examples,
) -> String {
    page::page(results, report, examples).into_string()
}
