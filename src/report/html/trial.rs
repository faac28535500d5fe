//! One trial's section: its name, outcome and file; its steps with their source and how each
//! ended; its sequence diagram; for a replay, its recorded and replayed notifications side by
//! side; its findings with their evidence; and the full JSON of every exchange and
//! notification (recorded ones too), each in a `<details>` the diagram's arrows and the
//! side-by-side view's cells open.
//!
//! The section carries what the filters look at: `data-outcome` (`failed` when the trial fails
//! the run), `data-requirements` and `data-actors` (JSON arrays).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use maud::{Markup, html};

use super::messages::{self, Message};
use super::streams::{self, Streams};
use super::{Examples, evidence, sequence};
use crate::event::{Outcome, RunEvent};
use crate::report::tier;
use crate::trial::{ScenarioRun, Subject};

/// Steps listed open; a longer list (a replayed group's requests) starts folded.
const OPEN_STEPS: usize = 40;

/// The id of trial `index`'s section.
pub(super) fn anchor(index: usize) -> String {
    format!("t{index}")
}

/// How a trial ended, as the filters and the badge say it.
fn outcome(run: &ScenarioRun, strict: bool) -> &'static str {
    match run.outcome {
        Outcome::Errored => "errored",
        Outcome::Ignored => "ignored",
        _ if run.fails(strict) => "failed",
        _ => "passed",
    }
}

/// The requirements a trial covers or found something about.
fn requirements(subject: &impl Subject, run: &ScenarioRun) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = subject.covers().iter().cloned().collect();
    out.extend(run.findings().map(|f| f.requirement.clone()));
    out
}

/// A JSON array, for a `data-` attribute.
fn json_list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    serde_json::to_string(&items.into_iter().collect::<Vec<_>>()).unwrap_or_default()
}

/// The steps, from the trial's description, with how each ended.
fn steps(subject: &impl Subject, run: &ScenarioRun) -> Markup {
    let ended: HashMap<usize, (bool, Option<&str>)> = run
        .events
        .iter()
        .filter_map(|event| match event {
            RunEvent::Step {
                step,
                passed,
                message,
                ..
            } => Some((*step, (*passed, message.as_deref()))),
            _ => None,
        })
        .collect();
    let count = subject.step_count();
    html! {
        details.steps open[count <= OPEN_STEPS] {
            summary { (count) " step(s)" }
            ol {
                @for step in 0..count {
                    @let location = subject.step_location(step).unwrap_or_default();
                    @let location = location.trim().trim_start_matches('(').trim_end_matches(')');
                    @match ended.get(&step) {
                        Some((true, _)) => li.passed { (location) " — passed" },
                        Some((false, message)) => li.failed {
                            (location) " — failed"
                            @if let Some(message) = message { ": " (message) }
                        },
                        // A replayed group has no step events: its steps are listed, not judged.
                        None if ended.is_empty() => li { (location) },
                        None => li.unreached { (location) " — not reached" },
                    }
                }
            }
        }
    }
}

/// The id of the finding of event `event` of trial `index`.
fn finding_anchor(index: usize, event: usize) -> String {
    format!("t{index}-f{event}")
}

/// The findings, each with its evidence (and its id: the side-by-side view links to it).
fn findings(
    index: usize,
    subject: &impl Subject,
    run: &ScenarioRun,
    strict: bool,
    examples: &dyn Examples,
) -> Markup {
    html! {
        @for (event, item) in run.events.iter().enumerate() {
            @if let RunEvent::Finding { step, finding, notifications, blocked_by, known, .. } = item {
                @let tier = tier(finding.verdict, strict, *known);
                div id=(finding_anchor(index, event))
                    class={ "finding " (tier.split(' ').next().unwrap_or_default()) } {
                    p {
                        strong { (tier) } " [" code { (finding.requirement) } "] "
                        (finding.check) ": " (finding.message)
                        @if let Some(location) = step.and_then(|s| subject.step_location(s)) {
                            span.location { (location) }
                        }
                        @if let Some(cause) = blocked_by {
                            " [blocked by " (cause.requirement) " " (cause.check) "]"
                        }
                    }
                    (evidence::of(finding, notifications, run, examples))
                }
            }
        }
    }
}

/// The full JSON of every event an arrow or a side-by-side cell points at, by event: the actor
/// and what it is.
fn bodies(index: usize, run: &ScenarioRun, shown: &BTreeMap<usize, (&str, String)>) -> Markup {
    html! {
        div.bodies {
            @for (&event, (actor, title)) in shown {
                details.body id=(body_anchor(index, event)) {
                    summary { (actor) ": " (title) }
                    pre.json { (serde_json::to_string_pretty(&run.events[event]).unwrap_or_default()) }
                }
            }
        }
    }
}

/// The events whose JSON the page holds: those the arrows point at, and the recorded
/// notifications; each with its actor and what it is.
fn shown<'a>(
    messages: &[Message<'a>],
    streams: &[Streams<'a>],
) -> BTreeMap<usize, (&'a str, String)> {
    // A request and its response are one event: the response's title, which names both, wins.
    let mut shown: BTreeMap<usize, (&str, String)> = messages
        .iter()
        .map(|m| (m.event, (m.actor.unwrap_or("harness"), m.title.clone())))
        .collect();
    for stream in streams {
        let recorded = stream.rows.iter().flat_map(|row| &row.recorded);
        shown.extend(recorded.map(|cell| {
            let title = format!("recorded #{} {}", cell.seq, cell.title);
            (cell.event, (stream.actor, title))
        }));
    }
    shown
}

/// The id of the `<details>` of event `event` of trial `index`.
fn body_anchor(index: usize, event: usize) -> String {
    format!("t{index}-e{event}")
}

/// The section of trial `index`.
pub(super) fn section(
    index: usize,
    subject: &impl Subject,
    run: &ScenarioRun,
    strict: bool,
    examples: &dyn Examples,
) -> Markup {
    let messages = messages::of(run);
    let lanes = sequence::lanes(&messages);
    let streams = streams::of(run);
    let shown = shown(&messages, &streams);
    let ended = outcome(run, strict);
    let requirements = requirements(subject, run);
    html! {
        section.trial id=(anchor(index)) data-outcome=(ended)
            data-requirements=(json_list(requirements.iter().map(String::as_str)))
            data-actors=(json_list(lanes[1..].iter().copied())) {
            h2 {
                span class={ "badge " (ended) } { (ended) } " " (subject.name())
                small { " " (subject.file()) " — " (run.duration.as_millis()) " ms" }
            }
            (steps(subject, run))
            h3 { "Sequence" }
            div.diagram {
                (sequence::diagram(&messages, |event| body_anchor(index, event)))
            }
            @if !streams.is_empty() {
                h3 { "Recorded and replayed" }
                (streams::view(run, &streams, |event| body_anchor(index, event),
                    |event| finding_anchor(index, event)))
            }
            @if run.findings().next().is_some() {
                h3 { "Findings" }
                (findings(index, subject, run, strict, examples))
            }
            details.traffic {
                summary {
                    "Full JSON of the " (messages.len()) " message(s)"
                    @if shown.len() > messages.len() { " and recorded notifications" }
                }
                (bodies(index, run, &shown))
            }
        }
    }
}
