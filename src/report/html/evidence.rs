//! A finding's evidence as the page shows it: a unified diff (expected against actual, the
//! documented example against a notification, a recorded notification against the replayed
//! one) side by side with the changed lines marked; schema errors as a table of instance
//! paths and messages; anything else as it is. An example-diff finding also shows the
//! documented example in full beside the notification it was diffed with.

use maud::{Markup, html};
use serde_json::Value;

use super::Examples;
use crate::check::diff::example_of;
use crate::check::{Finding, NotificationRef};
use crate::event::RunEvent;
use crate::trial::ScenarioRun;

/// One row of a side-by-side diff.
#[derive(Debug, PartialEq, Eq)]
enum Row<'a> {
    /// A line both sides have.
    Same(&'a str),
    /// A changed line: the left side's, the right side's (either may be missing).
    Changed(Option<&'a str>, Option<&'a str>),
    /// A gap between hunks.
    Gap,
}

/// The labels and rows of a unified diff (`--- left`, `+++ right`, hunks), and the line of
/// text before it if any (an erratum's explanation: `erratum E5 (example side) at /chat:`);
/// `None` when `text` is not one.
fn parse(text: &str) -> Option<(Option<&str>, &str, &str, Vec<Row<'_>>)> {
    let mut lines = text.lines().peekable();
    let caption = lines
        .next_if(|line| !line.starts_with("--- "))
        .filter(|_| lines.peek().is_some_and(|next| next.starts_with("--- ")));
    let left = lines.next()?.strip_prefix("--- ")?;
    let right = lines.next()?.strip_prefix("+++ ")?;
    let mut rows = Vec::new();
    let (mut removed, mut added): (Vec<&str>, Vec<&str>) = (Vec::new(), Vec::new());
    for line in lines {
        if line.starts_with("@@") {
            pair(&mut rows, &mut removed, &mut added);
            if !rows.is_empty() {
                rows.push(Row::Gap);
            }
        } else if let Some(old) = line.strip_prefix('-') {
            removed.push(old);
        } else if let Some(new) = line.strip_prefix('+') {
            added.push(new);
        } else {
            pair(&mut rows, &mut removed, &mut added);
            rows.push(Row::Same(line.strip_prefix(' ').unwrap_or(line)));
        }
    }
    pair(&mut rows, &mut removed, &mut added);
    Some((caption, left, right, rows))
}

/// Moves a run of removed and added lines into `rows`, side by side.
fn pair<'a>(rows: &mut Vec<Row<'a>>, removed: &mut Vec<&'a str>, added: &mut Vec<&'a str>) {
    let (old, new) = (std::mem::take(removed), std::mem::take(added));
    for i in 0..old.len().max(new.len()) {
        rows.push(Row::Changed(old.get(i).copied(), new.get(i).copied()));
    }
}

/// A unified diff side by side.
fn side_by_side(left: &str, right: &str, rows: &[Row<'_>]) -> Markup {
    html! {
        table.diff {
            thead { tr { th { (left) } th { (right) } } }
            tbody {
                @for row in rows {
                    @match row {
                        Row::Same(line) => tr { td { (line) } td { (line) } },
                        Row::Changed(old, new) => tr.changed {
                            td class=(if old.is_some() { "del" } else { "none" }) {
                                (old.unwrap_or_default())
                            }
                            td class=(if new.is_some() { "add" } else { "none" }) {
                                (new.unwrap_or_default())
                            }
                        },
                        Row::Gap => tr.gap { td { "⋯" } td { "⋯" } },
                    }
                }
            }
        }
    }
}

/// Schema errors (`/instance/path: message`) as a table; `None` when a line is not one.
fn schema_errors(details: &[String]) -> Option<Markup> {
    let errors: Vec<(&str, &str)> = details
        .iter()
        .map(|line| {
            line.split_once(": ")
                .filter(|(path, _)| path.starts_with('/'))
        })
        .collect::<Option<_>>()?;
    Some(html! {
        table.schema-errors {
            thead { tr { th { "instance path" } th { "error" } } }
            tbody {
                @for (path, message) in errors {
                    tr { td { code { (path) } } td { (message) } }
                }
            }
        }
    })
}

/// The notification `reference` points at, in `run`.
fn notification<'r>(run: &'r ScenarioRun, reference: &NotificationRef) -> Option<&'r Value> {
    run.events.iter().find_map(|event| match event {
        RunEvent::Notification {
            actor, seq, data, ..
        } if *actor == reference.actor && *seq == reference.seq => Some(data),
        _ => None,
    })
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// The evidence of `finding` (about `notifications`) of `run`.
pub(super) fn of(
    finding: &Finding,
    notifications: &[NotificationRef],
    run: &ScenarioRun,
    examples: &dyn Examples,
) -> Markup {
    let schema = if finding.check.starts_with("schema") {
        schema_errors(&finding.details)
    } else {
        None
    };
    let example = example_of(finding).and_then(|name| Some((name, examples.example(name)?)));
    let received = notifications
        .first()
        .and_then(|reference| Some((reference, notification(run, reference)?)));
    html! {
        @if let Some(table) = schema {
            (table)
        } @else {
            @for detail in &finding.details {
                @if let Some((caption, left, right, rows)) = parse(detail) {
                    @if let Some(caption) = caption { p.caption { (caption) } }
                    (side_by_side(left, right, &rows))
                } @else {
                    pre.detail { (detail) }
                }
            }
        }
        @if let (Some((name, example)), Some((reference, data))) = (example, received) {
            div.beside {
                figure {
                    figcaption { "documented example fixtures/" (name) ".json" }
                    pre.json { (pretty(example)) }
                }
                figure {
                    figcaption { "notification " (reference.seq) " received by " (reference.actor) }
                    pre.json { (pretty(data)) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unified_diff_pairs_removed_and_added_lines_side_by_side() {
        let text = "--- expected\n+++ actual\n@@ -1,3 +1,3 @@\n {\n-  \"a\": 1\n+  \"a\": 2\n+  \"b\": 3\n }\n@@ -9 +9 @@\n-x\n";
        let (caption, left, right, rows) = parse(text).expect("a diff");
        assert_eq!((caption, left, right), (None, "expected", "actual"));
        assert_eq!(
            rows,
            [
                Row::Same("{"),
                Row::Changed(Some("  \"a\": 1"), Some("  \"a\": 2")),
                Row::Changed(None, Some("  \"b\": 3")),
                Row::Same("}"),
                Row::Gap,
                Row::Changed(Some("x"), None),
            ]
        );
        let html = side_by_side(left, right, &rows).into_string();
        assert_eq!(html.matches("class=\"del\"").count(), 2);
        assert_eq!(html.matches("class=\"add\"").count(), 2);
    }

    #[test]
    fn text_that_is_no_diff_is_not_parsed_as_one() {
        assert!(parse("index went backwards").is_none());
        assert!(parse("--- only one label").is_none());
        assert!(parse("two lines\nof text").is_none());
        let (caption, left, ..) = parse("erratum E5 at /chat:\n--- printed\n+++ table\n-a\n+b")
            .expect("a captioned diff");
        assert_eq!((caption, left), (Some("erratum E5 at /chat:"), "printed"));
    }

    #[test]
    fn schema_errors_become_a_table_of_instance_paths_unless_a_line_is_not_one() {
        let lines = vec![
            "/chat/state: \"Nonsense\" is not one of [\"Chatting\"]".to_owned(),
            "/: \"chat\" is a required property".to_owned(),
        ];
        let table = schema_errors(&lines).expect("schema errors").into_string();
        assert!(table.contains("<code>/chat/state</code>"), "{table}");
        assert!(table.contains("<code>/</code>"), "{table}");
        assert!(schema_errors(&["no path here".to_owned()]).is_none());
    }
}
