//! Which orders of one party's notifications about one chat the documents fix (docs/rulings.md,
//! `choice-order`), so a replay holds a server to those and no others:
//!
//! - notifications of one kind keep their order: MessageLogUpdated (message indexes only grow),
//!   StatusChange (a chat's states follow each other), ParticipantsUpdated (each list replaces
//!   the last), and any other kind among its own;
//! - nothing crosses the end of the party's session in the chat (a StatusChange `Completed`,
//!   `Revoked` or `LeftChat`);
//! - a StatusChange against a ParticipantsUpdated or a MessageLogUpdated is ordered by the
//!   documented Accept and join sequences, the join's a SHOULD (`JOIN-ORDER`): NON-STRICT;
//! - everything else is open: a ParticipantsUpdated against a MessageLogUpdated (a mode switch,
//!   a participant joining or leaving: the `log-before-participants` variant), a
//!   PropertiesUpdated against a log entry, notifications of different requests.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use crate::check::Verdict;

/// What a notification is, for ordering.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Class {
    /// MessageLogUpdated.
    Log,
    /// StatusChange that does not end the session.
    State,
    /// StatusChange `Completed`, `Revoked` or `LeftChat`.
    Ending,
    /// ParticipantsUpdated.
    Participants,
    /// Any other kind, by its `messageType/notificationType`.
    Other(String),
}

fn class_of(data: &Value) -> Class {
    let text = |pointer: &str| data.pointer(pointer).and_then(Value::as_str);
    match (text("/messageType"), text("/notificationType")) {
        (Some("MessageLogUpdated"), _) => Class::Log,
        (_, Some("StatusChange")) => match text("/chat/state") {
            Some("Completed" | "Revoked" | "LeftChat") => Class::Ending,
            _ => Class::State,
        },
        (_, Some("ParticipantsUpdated")) => Class::Participants,
        (kind, notification) => Class::Other(format!(
            "{}/{}",
            kind.unwrap_or_default(),
            notification.unwrap_or_default()
        )),
    }
}

/// How firmly the documents order two notifications of these classes: `None` when they
/// leave it open.
fn binding(a: &Class, b: &Class) -> Option<Verdict> {
    use Class::{Ending, Log, Participants, State};
    match (a, b) {
        (Ending, _) | (_, Ending) => Some(Verdict::Fail),
        (a, b) if a == b => Some(Verdict::Fail),
        (State, Participants | Log) | (Participants | Log, State) => Some(Verdict::NonStrict),
        _ => None,
    }
}

/// The kinds of the notifications noted so far in one stream, to ask whether the documents
/// order another against any of them.
#[derive(Debug, Default)]
pub struct Kinds {
    classes: HashSet<Class>,
}

impl Kinds {
    /// Notes a notification's kind.
    pub fn note(&mut self, data: &Value) {
        self.classes.insert(class_of(data));
    }

    /// Whether the documents order `data` against a notification of a kind noted: whether
    /// it must keep its place relative to them.
    pub fn bind(&self, data: &Value) -> bool {
        let class = class_of(data);
        self.classes
            .iter()
            .any(|other| binding(&class, other).is_some())
    }
}

/// An order broken: the arrival's position and the position of the earlier arrival it should
/// have come before, and how firmly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Broken {
    /// The earlier arrival (position among the received) it should have followed.
    pub overtaken: usize,
    /// FAIL, or NON-STRICT for an order only a SHOULD fixes.
    pub verdict: Verdict,
}

/// One stream's arrivals so far (a session, a channel, a chat): per class, the latest
/// recorded position seen and the arrival that had it.
#[derive(Debug, Default)]
pub struct Arrivals {
    latest: HashMap<Class, (usize, usize)>,
}

impl Arrivals {
    /// Notes the arrival at `position` of a notification that was `recorded`-th in the
    /// recording; returns the firmest order it breaks, if any: an earlier arrival recorded
    /// after it, of a class the documents order against its own.
    pub fn arrive(&mut self, data: &Value, recorded: usize, position: usize) -> Option<Broken> {
        let class = class_of(data);
        let broken = self
            .latest
            .iter()
            .filter(|(_, (latest, _))| *latest > recorded)
            .filter_map(|(other, (_, at))| {
                let verdict = binding(&class, other)?;
                Some(Broken {
                    overtaken: *at,
                    verdict,
                })
            })
            .max_by_key(|broken| (broken.verdict == Verdict::Fail, broken.overtaken));
        let slot = self.latest.entry(class).or_insert((recorded, position));
        if recorded >= slot.0 {
            *slot = (recorded, position);
        }
        broken
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn note(kind: &str, state: Option<&str>) -> Value {
        match kind {
            "log" => json!({"messageType": "MessageLogUpdated"}),
            other => json!({"messageType": "ChatStateChangeMessage", "notificationType": other,
                            "chat": {"state": state.unwrap_or("Chatting")}}),
        }
    }

    /// Arrivals in this order of notifications recorded in the order given by their numbers.
    fn broken(arrivals: &[(usize, Value)]) -> Vec<Option<Verdict>> {
        let mut stream = Arrivals::default();
        arrivals
            .iter()
            .enumerate()
            .map(|(position, (recorded, data))| {
                stream.arrive(data, *recorded, position).map(|b| b.verdict)
            })
            .collect()
    }

    #[test]
    fn participants_and_log_may_swap_but_not_two_logs() {
        let (participants, log) = (note("ParticipantsUpdated", None), note("log", None));
        assert_eq!(broken(&[(1, log.clone()), (0, participants)]), [None, None]);
        assert_eq!(
            broken(&[(1, log.clone()), (0, log)]),
            [None, Some(Verdict::Fail)]
        );
    }

    #[test]
    fn the_join_order_is_a_should_and_the_end_is_last() {
        let (state, participants) = (
            note("StatusChange", None),
            note("ParticipantsUpdated", None),
        );
        assert_eq!(
            broken(&[(1, state), (0, participants.clone())]),
            [None, Some(Verdict::NonStrict)]
        );
        let ended = note("StatusChange", Some("Revoked"));
        assert_eq!(
            broken(&[(1, ended), (0, participants)]),
            [None, Some(Verdict::Fail)]
        );
        let properties = note("PropertiesUpdated", None);
        assert_eq!(
            broken(&[(1, properties), (0, note("log", None))]),
            [None, None]
        );
    }
}
