//! The top of the page: the run's verdict and totals, then the requirement matrix as the run's
//! verdict built it ([`crate::verdict::matrix`]): requirement, level, verdict, the trials that
//! exercised it and its first root cause, root causes first.

use maud::{Markup, html};

use crate::report::json::Report;
use crate::verdict::matrix::Row;

/// The verdict and the totals.
pub(super) fn verdict(report: &Report<'_>) -> Markup {
    let totals = report.totals;
    let (class, word) = if report.fails() {
        ("verdict fail", "FAIL")
    } else {
        ("verdict pass", "PASS")
    };
    html! {
        p class=(class) {
            strong { (word) } " — "
            (totals.passed) " passed, " (totals.failed) " failed, " (totals.errored) " errored, "
            (totals.ignored) " ignored, " (totals.not_run) " not run, "
            (totals.filtered_out) " filtered out"
            @if report.strict { " (strict: NON-STRICT findings fail)" }
            @if let Some(baseline) = report.baseline {
                " — baseline " (baseline.file.display())
            }
        }
    }
}

/// The first root cause of `row`, as one line.
fn first_cause(row: &Row) -> String {
    row.root_causes.first().map_or_else(
        || {
            let blocked: Vec<&str> = row.blocked_by.iter().map(String::as_str).collect();
            if blocked.is_empty() {
                String::new()
            } else {
                format!("blocked by {}", blocked.join(", "))
            }
        },
        |cause| {
            format!(
                "{}: {} ({} occurrence(s))",
                cause.first.check,
                cause.first.message,
                cause.occurrences.len()
            )
        },
    )
}

/// The matrix; each trial links to its section (`anchor(name)`).
pub(super) fn table(report: &Report<'_>, anchor: impl Fn(&str) -> Option<String>) -> Markup {
    html! {
        table #matrix .matrix {
            thead {
                tr { th { "requirement" } th { "level" } th { "verdict" } th { "scenarios" } th { "root cause" } }
            }
            tbody {
                @for row in &report.matrix.rows {
                    tr.requirement data-requirement=(row.requirement)
                        data-status=(row.status.label()) {
                        td { code { (row.requirement) } }
                        td { (row.level.unwrap_or("—")) }
                        td class={ "status " (row.status.label().replace(' ', "-")) } {
                            (row.status.label())
                        }
                        td {
                            @for (index, scenario) in row.scenarios.iter().enumerate() {
                                @if index > 0 { ", " }
                                @if let Some(id) = anchor(scenario) {
                                    a href={ "#" (id) } { (scenario) }
                                } @else {
                                    (scenario)
                                }
                            }
                        }
                        td { (first_cause(row)) }
                    }
                }
            }
        }
    }
}
