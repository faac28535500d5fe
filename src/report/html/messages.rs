//! A trial's traffic as the sequence diagram shows it: every REST request and response and
//! every notification as a message between an actor and the server, in time order (`at_ms`
//! where the stream has it; `replay` keeps no times, so there the stream's order), each marked
//! failing when a failing finding is about it: about the notification ([`NotificationRef`]),
//! about the response ([`ResponseRef`]), or about the step that sent the request.

use std::collections::HashSet;

use crate::check::{Finding, NotificationRef, ResponseRef, Verdict};
use crate::event::RunEvent;
use crate::trial::ScenarioRun;

/// Which way a message goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Direction {
    /// A request, actor to server.
    Request,
    /// A response, server to actor.
    Response,
    /// A notification, server to actor.
    Notification,
}

/// One arrow of the diagram.
#[derive(Debug, Clone)]
pub(super) struct Message<'a> {
    /// The actor it is from or to (`None`: no actor, a harness request).
    pub actor: Option<&'a str>,
    /// Which way it goes.
    pub direction: Direction,
    /// What the arrow says (short: a notification's type).
    pub label: String,
    /// What it is in full (the arrow's tooltip, the heading of its JSON).
    pub title: String,
    /// When, in milliseconds from the trial's start, if known.
    pub at_ms: Option<u64>,
    /// Whether a failing finding is about it.
    pub failing: bool,
    /// The index, in the trial's events, of the event that holds its full JSON.
    pub event: usize,
}

/// Whether a finding fails its trial: FAIL or NON-STRICT, not accepted by the baseline
/// (consequences too).
pub(super) fn failing(finding: &Finding, known: bool) -> bool {
    finding.verdict != Verdict::Info && !known
}

/// What the failing findings of a trial are about.
#[derive(Debug, Default)]
struct Marks<'a> {
    notifications: Vec<&'a NotificationRef>,
    responses: Vec<&'a ResponseRef>,
    steps: HashSet<usize>,
}

impl<'a> Marks<'a> {
    /// The marks of `run`: its failing findings (FAIL or NON-STRICT, not accepted by the
    /// baseline; consequences too: they fail the trial) and the steps that failed.
    fn of(run: &'a ScenarioRun) -> Self {
        let mut marks = Self::default();
        for event in &run.events {
            match event {
                RunEvent::Finding {
                    step,
                    finding,
                    notifications,
                    responses,
                    known,
                    ..
                } if failing(finding, *known) => {
                    marks.notifications.extend(notifications);
                    marks.responses.extend(responses);
                    if let (Some(step), true, true) =
                        (step, notifications.is_empty(), responses.is_empty())
                    {
                        marks.steps.insert(*step);
                    }
                }
                RunEvent::Step {
                    step,
                    passed: false,
                    ..
                } => {
                    marks.steps.insert(*step);
                }
                _ => {}
            }
        }
        marks
    }

    fn notification(&self, actor: &str, seq: u64) -> bool {
        self.notifications
            .iter()
            .any(|r| r.actor == actor && r.seq == seq)
    }

    fn response(&self, actor: Option<&str>, step: Option<usize>) -> bool {
        step.is_some_and(|step| self.steps.contains(&step))
            || actor.is_some_and(|actor| {
                self.responses
                    .iter()
                    .any(|r| r.actor == actor && r.step == step)
            })
    }
}

/// The path of a URL, for a label (`https://host/api/v2/me?x` is `/api/v2/me?x`).
fn path_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.find('/').map_or(url, |slash| &rest[slash..])
}

/// What a notification's arrow says (its `notificationType`, else its `messageType`, else its
/// channel) and its title (the channel and both types).
pub(super) fn notification_label(channel: &str, data: &serde_json::Value) -> (String, String) {
    let field = |name: &str| data.get(name).and_then(serde_json::Value::as_str);
    let (message_type, notification_type) = (field("messageType"), field("notificationType"));
    let label = notification_type.or(message_type).unwrap_or(channel);
    let kind: Vec<&str> = [message_type, notification_type]
        .into_iter()
        .flatten()
        .collect();
    (label.to_owned(), format!("{channel} {}", kind.join("/")))
}

/// The messages of `run`, in time order.
pub(super) fn of(run: &ScenarioRun) -> Vec<Message<'_>> {
    let marks = Marks::of(run);
    let mut messages = Vec::new();
    for (index, event) in run.events.iter().enumerate() {
        match event {
            RunEvent::Exchange {
                actor,
                step,
                method,
                url,
                status,
                elapsed_ms,
                at_ms,
                error,
                ..
            } => {
                let actor = actor.as_deref();
                let failing = marks.response(actor, *step);
                let request = format!("{method} {}", path_of(url));
                messages.push(Message {
                    actor,
                    direction: Direction::Request,
                    label: request.clone(),
                    title: request.clone(),
                    at_ms: *at_ms,
                    failing: false,
                    event: index,
                });
                let label = match (status, error) {
                    (Some(status), None) => status.to_string(),
                    (Some(status), Some(_)) => format!("{status} (unusable)"),
                    (None, _) => "no response".to_owned(),
                };
                messages.push(Message {
                    actor,
                    direction: Direction::Response,
                    title: format!("{label} to {request}"),
                    label,
                    at_ms: at_ms.map(|at| at + elapsed_ms),
                    failing: failing || error.is_some(),
                    event: index,
                });
            }
            RunEvent::Notification {
                actor,
                seq,
                channel,
                at_ms,
                data,
                ..
            } => {
                let (label, title) = notification_label(channel, data);
                messages.push(Message {
                    actor: Some(actor),
                    direction: Direction::Notification,
                    label,
                    title: format!("#{seq} {title}"),
                    at_ms: *at_ms,
                    failing: marks.notification(actor, *seq),
                    event: index,
                });
            }
            _ => {}
        }
    }
    // Stable: messages without a time keep the stream's order, and a response stays after its
    // request when both have the same time.
    if messages.iter().all(|m| m.at_ms.is_some()) {
        messages.sort_by_key(|m| m.at_ms);
    }
    messages
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;
    use crate::check::Finding;
    use crate::event::Outcome;

    fn notification(actor: &str, seq: u64, at_ms: u64) -> RunEvent {
        RunEvent::Notification {
            scenario: "s".to_owned(),
            actor: actor.to_owned(),
            seq,
            channel: "/v2/me/chats".to_owned(),
            at_ms: Some(at_ms),
            redelivered: false,
            counterpart: None,
            data: json!({"messageType": "ChatStatusChanged", "notificationType": "Push"}),
        }
    }

    fn exchange(at_ms: u64, step: usize) -> RunEvent {
        RunEvent::Exchange {
            scenario: "s".to_owned(),
            actor: Some("agent".to_owned()),
            step: Some(step),
            method: "POST".to_owned(),
            url: "http://127.0.0.1:1/api/v2/me?x=1".to_owned(),
            request: None,
            status: Some(200),
            response: Some(json!({"statusCode": 0})),
            elapsed_ms: 5,
            at_ms: Some(at_ms),
            error: None,
        }
    }

    fn finding(verdict: Verdict, notifications: Vec<NotificationRef>) -> RunEvent {
        RunEvent::Finding {
            scenario: "s".to_owned(),
            step: Some(1),
            finding: Finding {
                check: "schema".to_owned(),
                requirement: "NOTIF-SCHEMA".to_owned(),
                verdict,
                message: "bad".to_owned(),
                details: Vec::new(),
            },
            notifications,
            responses: Vec::new(),
            blocked_by: None,
            known: false,
        }
    }

    fn run(events: Vec<RunEvent>) -> ScenarioRun {
        ScenarioRun {
            events,
            outcome: Outcome::Failed,
            duration: Duration::ZERO,
        }
    }

    #[test]
    fn messages_come_in_time_order_with_the_failing_notification_marked() {
        let run = run(vec![
            exchange(10, 0),
            notification("agent", 0, 12),
            notification("agent", 1, 3),
            finding(Verdict::Fail, vec![NotificationRef::whole("agent", 0)]),
        ]);
        let messages = of(&run);
        let labels: Vec<(&str, bool)> = messages
            .iter()
            .map(|m| (m.label.as_str(), m.failing))
            .collect();
        assert_eq!(
            labels,
            [
                ("Push", false),
                ("POST /api/v2/me?x=1", false),
                ("Push", true),
                ("200", false),
            ]
        );
        assert_eq!(messages[0].title, "#1 /v2/me/chats ChatStatusChanged/Push");
        assert_eq!(messages[3].title, "200 to POST /api/v2/me?x=1");
        assert_eq!(messages[2].event, 1);
        assert_eq!(messages[3].at_ms, Some(15));
    }

    #[test]
    fn informational_findings_mark_nothing_and_a_step_finding_marks_its_response() {
        let info = run(vec![
            notification("agent", 0, 1),
            finding(Verdict::Info, vec![NotificationRef::whole("agent", 0)]),
        ]);
        assert!(of(&info).iter().all(|m| !m.failing));
        let step = run(vec![
            exchange(1, 1),
            finding(Verdict::NonStrict, Vec::new()),
        ]);
        let failing: Vec<Direction> = of(&step)
            .iter()
            .filter(|m| m.failing)
            .map(|m| m.direction)
            .collect();
        assert_eq!(failing, [Direction::Response]);
    }

    #[test]
    fn without_times_the_stream_order_stands() {
        let mut late = notification("agent", 0, 0);
        if let RunEvent::Notification { at_ms, .. } = &mut late {
            *at_ms = None;
        }
        let run = run(vec![late, exchange(0, 0)]);
        let directions: Vec<Direction> = of(&run).iter().map(|m| m.direction).collect();
        assert_eq!(
            directions,
            [
                Direction::Notification,
                Direction::Request,
                Direction::Response
            ]
        );
    }
}
