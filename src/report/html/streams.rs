//! A replay's two streams side by side, per actor: what it received in the recording
//! (`recorded_notification` events) beside what it received in the replay (`notification`
//! events), one row per pair as the comparison paired them (their `counterpart`s), a
//! notification without counterpart alone on its side.
//!
//! Rows are in the replayed order (the diagram's); a recorded notification without
//! counterpart comes before the first row whose recorded side comes after it. A row a failing
//! finding is about (a `replay.*` finding points at the replayed notification) is marked
//! `fail`, and so is a recorded notification alone that the documents do not let a server
//! leave out (it is missing: its finding cannot point at a recorded notification); a row the
//! documents allow on one side only is marked `optional`. Each row links to the findings about
//! it (their diffs), each cell to the full JSON of its notification.
//!
//! Only a replay whose traffic was kept has recorded events: for `run`, nothing is shown.

use std::collections::HashMap;
use std::iter::Peekable;

use maud::{Markup, html};

use super::messages::{failing, notification_label};
use crate::event::RunEvent;
use crate::trial::ScenarioRun;

/// The check of the findings about a notification the documents let a server send or not.
const OPTIONAL: &str = "replay.optional";

/// One notification, in one of the two streams.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Cell<'a> {
    /// Its position in the actor's stream.
    pub seq: u64,
    /// The index, in the trial's events, of its event.
    pub event: usize,
    /// What it is, short: its `notificationType`, else its `messageType`.
    pub label: String,
    /// Its channel and both types.
    pub title: String,
    /// For a recorded one, the ruling that lets a server send it or not, if any.
    pub optional: Option<&'a str>,
}

/// One row: the recorded notifications paired with one replayed notification (several when
/// the replay batched log entries the recording sent one by one), or one alone.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Row<'a> {
    /// The recorded side (empty: the replayed one has no counterpart).
    pub recorded: Vec<Cell<'a>>,
    /// The replayed side (`None`: the recorded one was not received).
    pub replayed: Option<Cell<'a>>,
}

/// One actor's two streams.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Streams<'a> {
    /// The actor.
    pub actor: &'a str,
    /// The rows, in order (see the module doc).
    pub rows: Vec<Row<'a>>,
}

/// What one actor received, on each side, as the events list it.
#[derive(Default)]
struct Sides<'a> {
    /// Replayed notifications, in arrival order.
    replayed: Vec<Cell<'a>>,
    /// Recorded ones paired, by the `seq` of their replayed counterpart.
    paired: HashMap<u64, Vec<Cell<'a>>>,
    /// Recorded ones without counterpart, in recorded order.
    alone: Vec<Cell<'a>>,
}

fn cell<'a>(
    (seq, event): (u64, usize),
    channel: &str,
    data: &serde_json::Value,
    optional: Option<&'a str>,
) -> Cell<'a> {
    let (label, title) = notification_label(channel, data);
    Cell {
        seq,
        event,
        label,
        title,
        optional,
    }
}

/// Moves the recorded notifications alone that come before recorded `seq` into `rows`.
fn alone_before<'a>(
    rows: &mut Vec<Row<'a>>,
    alone: &mut Peekable<impl Iterator<Item = Cell<'a>>>,
    seq: u64,
) {
    while let Some(cell) = alone.next_if(|cell| cell.seq < seq) {
        rows.push(Row {
            recorded: vec![cell],
            replayed: None,
        });
    }
}

impl<'a> Sides<'a> {
    fn rows(mut self) -> Vec<Row<'a>> {
        let mut rows = Vec::with_capacity(self.replayed.len());
        let mut alone = self.alone.into_iter().peekable();
        for replayed in self.replayed {
            let recorded = self.paired.remove(&replayed.seq).unwrap_or_default();
            if let Some(first) = recorded.first() {
                alone_before(&mut rows, &mut alone, first.seq);
            }
            rows.push(Row {
                recorded,
                replayed: Some(replayed),
            });
        }
        alone_before(&mut rows, &mut alone, u64::MAX);
        // Paired with a replayed notification the stream lacks (a stream edited by hand):
        // shown alone, in recorded order.
        let mut orphans: Vec<Cell<'a>> = self.paired.into_values().flatten().collect();
        orphans.sort_by_key(|cell| cell.seq);
        rows.extend(orphans.into_iter().map(|cell| Row {
            recorded: vec![cell],
            replayed: None,
        }));
        rows
    }
}

/// Each actor's two streams, in order of the actor's first notification; none when the trial
/// lists no recorded notification (a `run`, or a replay that kept no traffic).
pub(super) fn of(run: &ScenarioRun) -> Vec<Streams<'_>> {
    let mut actors: Vec<&str> = Vec::new();
    let mut sides: HashMap<&str, Sides<'_>> = HashMap::new();
    let mut recorded = false;
    for (event, item) in run.events.iter().enumerate() {
        let actor = match item {
            RunEvent::Notification {
                actor,
                seq,
                channel,
                data,
                ..
            } => {
                let side = sides.entry(actor).or_default();
                side.replayed.push(cell((*seq, event), channel, data, None));
                actor
            }
            RunEvent::RecordedNotification {
                actor,
                seq,
                channel,
                counterpart,
                optional,
                data,
                ..
            } => {
                recorded = true;
                let side = sides.entry(actor).or_default();
                let cell = cell((*seq, event), channel, data, optional.as_deref());
                match counterpart {
                    Some(replayed) => side.paired.entry(*replayed).or_default().push(cell),
                    None => side.alone.push(cell),
                }
                actor
            }
            _ => continue,
        };
        if !actors.contains(&actor.as_str()) {
            actors.push(actor);
        }
    }
    if !recorded {
        return Vec::new();
    }
    actors
        .into_iter()
        .map(|actor| Streams {
            actor,
            rows: sides.remove(actor).unwrap_or_default().rows(),
        })
        .collect()
}

/// The findings of a trial about each replayed notification: the index of the finding's
/// event, its check, whether it fails the trial.
type About<'a> = HashMap<(&'a str, u64), Vec<(usize, &'a str, bool)>>;

fn findings_about(run: &ScenarioRun) -> About<'_> {
    let mut about: About<'_> = HashMap::new();
    for (event, item) in run.events.iter().enumerate() {
        if let RunEvent::Finding {
            finding,
            notifications,
            known,
            ..
        } = item
        {
            for reference in notifications {
                about
                    .entry((reference.actor.as_str(), reference.seq))
                    .or_default()
                    .push((event, finding.check.as_str(), failing(finding, *known)));
            }
        }
    }
    about
}

/// A notification's cell: a link that opens its full JSON (`anchor(event)`).
fn cell_link(cell: &Cell<'_>, anchor: &impl Fn(usize) -> String) -> Markup {
    html! {
        a.arrow href={ "#" (anchor(cell.event)) } title=(cell.title) {
            "#" (cell.seq) " " (cell.label)
        }
        @if let Some(ruling) = cell.optional {
            " " small.ruling { "(may be sent or not: " (ruling) ")" }
        }
    }
}

/// The side-by-side view of `streams`; `body(event)` is the id of the element holding event
/// `event`'s JSON, `finding(event)` that of the finding of event `event`.
pub(super) fn view(
    run: &ScenarioRun,
    streams: &[Streams<'_>],
    body: impl Fn(usize) -> String,
    finding: impl Fn(usize) -> String,
) -> Markup {
    let about = findings_about(run);
    html! {
        @for stream in streams {
            table.side-by-side data-actor=(stream.actor) {
                caption { (stream.actor) ": " (stream.rows.len()) " row(s)" }
                thead { tr { th { "recorded" } th { "replayed" } th { "difference" } } }
                tbody {
                    @for row in &stream.rows {
                        @let found = row
                            .replayed
                            .as_ref()
                            .and_then(|cell| about.get(&(stream.actor, cell.seq)))
                            .map_or(&[][..], Vec::as_slice);
                        @let fails = found.iter().any(|(_, _, fails)| *fails);
                        // Allowed on one side only: a pair of such notifications is a pair.
                        @let one_sided = row.replayed.is_none() || row.recorded.is_empty();
                        @let optional = one_sided
                            && (row.recorded.iter().any(|cell| cell.optional.is_some())
                                || found.iter().any(|(_, check, _)| *check == OPTIONAL));
                        @let missing = row.replayed.is_none() && !optional;
                        @let class = if fails || missing {
                            "pair fail"
                        } else if optional {
                            "pair optional"
                        } else {
                            "pair"
                        };
                        tr class=(class) {
                            td.recorded class=[row.recorded.is_empty().then_some("none")] {
                                @for (i, cell) in row.recorded.iter().enumerate() {
                                    @if i > 0 { br; }
                                    (cell_link(cell, &body))
                                }
                            }
                            td.replayed class=[row.replayed.is_none().then_some("none")] {
                                @if let Some(cell) = &row.replayed { (cell_link(cell, &body)) }
                            }
                            td.status {
                                @if missing { "missing " }
                                @else if row.replayed.is_none() { "allowed on one side only " }
                                @else if row.recorded.is_empty() && optional {
                                    "allowed on one side only "
                                }
                                @else if row.recorded.is_empty() && !fails { "not compared " }
                                @for (event, check, _) in found {
                                    a.finding-link href={ "#" (finding(*event)) } { (check) } " "
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;
    use crate::check::{Finding, Located, Verdict};
    use crate::event::Outcome;

    fn data(kind: &str) -> serde_json::Value {
        json!({"messageType": "ChatStateChangeMessage", "notificationType": kind})
    }

    fn replayed(seq: u64, kind: &str) -> RunEvent {
        RunEvent::Notification {
            scenario: "g".to_owned(),
            actor: "agent".to_owned(),
            seq,
            channel: "/v2/me/chats".to_owned(),
            at_ms: None,
            redelivered: false,
            counterpart: None,
            data: data(kind),
        }
    }

    fn recorded(seq: u64, kind: &str, counterpart: Option<u64>, optional: bool) -> RunEvent {
        RunEvent::RecordedNotification {
            scenario: "g".to_owned(),
            actor: "agent".to_owned(),
            seq,
            channel: "/v2/me/chats".to_owned(),
            counterpart,
            optional: optional.then(|| "choice-set-in-focus".to_owned()),
            data: data(kind),
        }
    }

    fn finding(check: &str, verdict: Verdict, seq: u64) -> RunEvent {
        let finding = Finding {
            check: check.to_owned(),
            requirement: "REPLAY-DIFF".to_owned(),
            verdict,
            message: "m".to_owned(),
            details: Vec::new(),
        };
        RunEvent::located("g", None, Located::at(finding, "agent", seq))
    }

    fn run(events: Vec<RunEvent>) -> ScenarioRun {
        ScenarioRun {
            events,
            outcome: Outcome::Failed,
            duration: Duration::ZERO,
        }
    }

    /// Each row as (recorded seqs, replayed seq).
    fn shape(streams: &[Streams<'_>]) -> Vec<(Vec<u64>, Option<u64>)> {
        streams[0]
            .rows
            .iter()
            .map(|row| {
                let recorded = row.recorded.iter().map(|c| c.seq).collect();
                (recorded, row.replayed.as_ref().map(|c| c.seq))
            })
            .collect()
    }

    #[test]
    fn pairs_share_a_row_and_a_notification_without_counterpart_is_alone_in_its_place() {
        let run = run(vec![
            replayed(0, "StatusChange"),
            replayed(1, "ParticipantsUpdated"),
            replayed(2, "NewMessages"),
            recorded(0, "StatusChange", Some(0), false),
            recorded(1, "PropertiesUpdated", None, true),
            recorded(2, "NewMessages", Some(2), false),
            recorded(3, "NewMessages", Some(2), false),
            recorded(4, "StatusChange", None, false),
        ]);
        let streams = of(&run);
        assert_eq!(streams.len(), 1);
        assert_eq!(streams[0].actor, "agent");
        assert_eq!(
            shape(&streams),
            [
                (vec![0], Some(0)),
                (vec![], Some(1)),
                (vec![1], None),
                (vec![2, 3], Some(2)),
                (vec![4], None),
            ]
        );
        assert_eq!(
            streams[0].rows[2].recorded[0].optional,
            Some("choice-set-in-focus")
        );
        assert_eq!(streams[0].rows[0].recorded[0].event, 3);
    }

    #[test]
    fn without_recorded_events_there_is_no_view() {
        assert_eq!(of(&run(vec![replayed(0, "StatusChange")])), []);
        assert_eq!(of(&run(Vec::new())), []);
    }

    #[test]
    fn rows_are_marked_by_the_findings_about_them() {
        let run = run(vec![
            replayed(0, "StatusChange"),
            replayed(1, "ParticipantsUpdated"),
            replayed(2, "PropertiesUpdated"),
            replayed(3, "NewMessages"),
            replayed(4, "PropertiesUpdated"),
            recorded(0, "StatusChange", Some(0), false),
            recorded(1, "StatusChange", None, false),
            recorded(2, "PropertiesUpdated", None, true),
            recorded(3, "NewMessages", Some(3), false),
            recorded(4, "PropertiesUpdated", Some(4), true),
            finding("replay.notification", Verdict::Fail, 0),
            finding("replay.unexpected", Verdict::Fail, 1),
            finding("replay.optional", Verdict::Info, 2),
        ]);
        let streams = of(&run);
        let page = view(&run, &streams, |e| format!("e{e}"), |e| format!("f{e}")).into_string();
        let document = scraper::Html::parse_fragment(&page);
        let rows: Vec<(String, String)> = document
            .select(&scraper::Selector::parse("tr.pair").unwrap())
            .map(|row| {
                let class = row.value().attr("class").unwrap_or_default().to_owned();
                let status = row
                    .select(&scraper::Selector::parse("td.status").unwrap())
                    .flat_map(|td| td.text())
                    .collect::<String>();
                (class, status.trim().to_owned())
            })
            .collect();
        // Recorded 1 and 2 are alone before recorded 3's row.
        let expected = [
            ("pair fail", "replay.notification"),
            ("pair fail", "replay.unexpected"),
            ("pair optional", "allowed on one side only replay.optional"),
            ("pair fail", "missing"),
            ("pair optional", "allowed on one side only"),
            ("pair", ""),
            ("pair", ""),
        ];
        let rows: Vec<(&str, &str)> = rows.iter().map(|(c, s)| (c.as_str(), s.as_str())).collect();
        assert_eq!(rows, expected);
        assert!(
            page.contains(r##"href="#f10""##),
            "a row links to its finding: {page}"
        );
        assert!(
            page.contains(r##"href="#e5""##),
            "a cell opens its JSON: {page}"
        );
        assert!(
            page.contains("choice-set-in-focus"),
            "a pair of optional ones names the ruling"
        );
    }
}
