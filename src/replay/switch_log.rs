//! The log entry a mode switch adds (docs/rulings.md, `choice-switch-log`): the documents say
//! a switch gives the supervisor a MessageLogUpdated "showing the new visibility", and show
//! nothing of its content. A server may log a `Notice` `SWITCH_TO_…`, a `ParticipantJoined`
//! with the new visibility, or anything else, and whom it reaches follows from its visibility:
//! a switch to Monitor may reach the agent on one server and not on another.
//!
//! So a **switch entry** may be on one side only, and may say anything: it is not waited for, pairs with a received
//! entry when both say the same or when the received one comes where the switch was, and its
//! differences and absence are INFO. A received entry of that kind with no recorded
//! counterpart is one where it comes between the counterparts of two recorded entries of its
//! chat (or before the first, or after the last) with a mode switch begun between them in the
//! recording.
//!
//! In the recording, an actor's switch entry for a switch is the first log entry of the chat
//! it received after the switch began whose `index` is above every index of the chat's log
//! that had reached anyone before the switch began, when that entry is one no person's
//! request adds (not a message, typing, a URL or a custom notice) and is logged before the
//! next request that changes the chat (its index is at most the highest that had reached
//! anyone when that request began). Arrival times are those of the
//! long-poll replies, too coarse to tell alone: a reply that ends after the switch began may
//! carry entries logged before it. The index tells, as a chat has one log, numbered for all
//! its parties alike (docs/rulings.md, `ruling-index`).

use std::collections::HashMap;

use serde_json::Value;

use super::remap::alike;
use super::script::{GroupPlan, LOG_KIND};
use super::timeline::Timeline;

/// Where a log entry says its place in its chat's log.
const INDEX: &str = "/messages/0/index";

/// The types of log entries a person's request adds: a switch is logged otherwise.
const TYPED: &[&str] = &[
    "Text",
    "TypingStarted",
    "TypingStopped",
    "PushUrl",
    "CustomNotice",
];

/// Whether `data` is a log entry (a MessageLogUpdated carrying one, as `batching` leaves it)
/// that no person's request adds: one a mode switch may have logged.
pub fn may_log_switch(data: &Value) -> bool {
    if data.get("messageType").and_then(Value::as_str) != Some("MessageLogUpdated") {
        return false;
    }
    let entries = data.get("messages").and_then(Value::as_array);
    let [entry] = entries.map_or(&[][..], Vec::as_slice) else {
        return false;
    };
    untyped(entry)
}

/// Whether a log entry is one no person's request adds.
fn untyped(entry: &Value) -> bool {
    entry
        .get("type")
        .and_then(Value::as_str)
        .is_some_and(|kind| !TYPED.contains(&kind))
}

/// A customer's view of a chat or its transcript read after a mode switch in the chat, the
/// recorded one (ids remapped) and the replayed one, without the log entries on one side that
/// could be a switch's and that the other side has nothing alike of (in `messages`, or a
/// `chat`'s): a switch's entry may say anything and reach whom its visibility says. `None`
/// when there are none.
pub fn without_switch_entries(recorded: &Value, replayed: &Value) -> Option<(Value, Value)> {
    let entries = |body: &Value| -> Option<Vec<Value>> {
        let messages = body.get("messages").or(body.pointer("/chat/messages"))?;
        messages.as_array().cloned()
    };
    let (old, new) = (entries(recorded)?, entries(replayed)?);
    let one_sided = |these: &[Value], others: &[Value]| -> Vec<Value> {
        let kept = these
            .iter()
            .filter(|entry| !untyped(entry) || others.iter().any(|other| alike(entry, other)));
        kept.cloned().collect()
    };
    let (kept_old, kept_new) = (one_sided(&old, &new), one_sided(&new, &old));
    if kept_old.len() == old.len() && kept_new.len() == new.len() {
        return None;
    }
    let with = |body: &Value, messages: Vec<Value>| {
        let mut body = body.clone();
        if let Some(slot) = body.get_mut("messages") {
            *slot = Value::Array(messages);
        } else if let Some(slot) = body.pointer_mut("/chat/messages") {
            *slot = Value::Array(messages);
        }
        body
    };
    Some((with(recorded, kept_old), with(replayed, kept_new)))
}

/// A recorded log entry of a chat whose mode was switched.
struct Entry {
    /// The actor that received it, and where among its notifications.
    actor: usize,
    position: usize,
    /// The chat, as footprints number it.
    chat: usize,
    /// When the reply carrying it ended.
    arrival: i64,
    /// Its place in the chat's log.
    index: i64,
    /// Whether no person's request adds an entry like it.
    may_log_switch: bool,
}

/// For each actor of `group`, for each of its recorded notifications, whether it is a switch
/// entry (see the module doc).
pub fn switch_entries(group: &GroupPlan, timeline: &Timeline) -> Vec<Vec<bool>> {
    let mut out: Vec<Vec<bool>> = group
        .actors
        .iter()
        .map(|actor| vec![false; actor.notes.len()])
        .collect();
    let switches: HashMap<usize, Vec<(i64, Option<i64>)>> = timeline.switches().collect();
    if switches.is_empty() {
        return out;
    }
    let mut entries = Vec::new();
    for (actor, plan) in group.actors.iter().enumerate() {
        for (position, note) in plan.notes.iter().enumerate() {
            let class = note.chat.as_deref().and_then(|chat| timeline.chat(chat));
            let Some(class) = class.filter(|class| switches.contains_key(class)) else {
                continue;
            };
            if !note.kind.contains(LOG_KIND) {
                continue;
            }
            let data = note.data.parse();
            let index = data.pointer(INDEX).and_then(Value::as_i64);
            if let Some(index) = index {
                entries.push(Entry {
                    actor,
                    position,
                    chat: class,
                    arrival: note.arrival_us,
                    index,
                    may_log_switch: may_log_switch(&data),
                });
            }
        }
    }
    // The highest index of the chat's log that had reached anyone before `at`.
    let reached = |class: usize, at: i64| {
        let before = entries.iter().filter(|e| e.chat == class && e.arrival < at);
        before.map(|e| e.index).max()
    };
    for (&class, switches) in &switches {
        for &(start, next) in switches {
            // Logged after the switch began, and before the next request that changes the chat
            // (if it reached anyone before that began: else it cannot be told).
            let floor = reached(class, start);
            let ceiling = next.map(|next| reached(class, next));
            for (actor, notes) in out.iter_mut().enumerate() {
                let first = entries.iter().find(|e| {
                    e.actor == actor
                        && e.chat == class
                        && e.arrival >= start
                        && floor.is_none_or(|floor| e.index > floor)
                });
                let within = |e: &&Entry| ceiling.is_none_or(|c| c.is_some_and(|c| e.index <= c));
                if let Some(entry) = first.filter(|e| e.may_log_switch).filter(within) {
                    notes[entry.position] = true;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::script::{ActorKind, RecordedNote, Step, kind_of};
    use serde_json::json;

    /// An agent or supervisor.
    const USER: ActorKind = ActorKind::User {
        recorded: None,
        login: None,
    };

    /// A log entry of chat `C1` of type `kind` at `index`, arrived at `arrival_us`.
    fn logged(arrival_us: i64, index: i64, kind: &str) -> RecordedNote {
        let data = json!({"messageType": "MessageLogUpdated", "notificationType": "NewMessages",
                          "chatUri": "http://h/api/v2/chats/C1",
                          "messages": [{"type": kind, "index": index}]});
        RecordedNote {
            entry: 0,
            arrival_us,
            channel: "/v2/me/chats".into(),
            kind: kind_of("/v2/me/chats", &data).into(),
            chat: Some("C1".into()),
            data: data.into(),
            session: None,
        }
    }

    /// Which of the agent's and the supervisor's notes are switch entries: the agent accepts
    /// chat C1 at 10, the supervisor switches to BargeIn at 100 and the agent completes the
    /// chat at 300.
    fn switch_entries_of(
        agent: Vec<RecordedNote>,
        supervisor: Vec<RecordedNote>,
    ) -> Vec<Vec<bool>> {
        let chat = "/api/v2/me/chats/C1";
        let steps = vec![
            Step::operation_for_tests(0, 0, (10, 20), chat, Some("Accept")),
            Step::operation_for_tests(1, 1, (100, 110), chat, Some("SwitchToBargeIn")),
            Step::operation_for_tests(0, 2, (300, 310), chat, Some("Complete")),
        ];
        let group = GroupPlan::for_tests(vec![USER, USER], vec![agent, supervisor], steps, 1);
        switch_entries(&group, &Timeline::of(&group))
    }

    #[test]
    fn a_switch_entry_is_the_first_entry_logged_after_the_switch() {
        // The agent's reply carrying the join logged before the switch ended after it began:
        // the index tells (the supervisor had seen index 1 before the switch).
        let agent = vec![
            logged(105, 1, "ParticipantJoined"),
            logged(150, 2, "Notice"),
            logged(320, 3, "ParticipantLeft"),
        ];
        let supervisor = vec![logged(50, 1, "ParticipantJoined"), logged(120, 2, "Notice")];
        let found = switch_entries_of(agent, supervisor.clone());
        assert_eq!(found, [vec![false, true, false], vec![false, true]]);
        // The agent not shown the switch: the Complete's entry is no switch's.
        let unseen = vec![
            logged(105, 1, "ParticipantJoined"),
            logged(320, 3, "ParticipantLeft"),
        ];
        let found = switch_entries_of(unseen, supervisor);
        assert_eq!(found, [vec![false, false], vec![false, true]]);
        // A message typed after the switch is no switch's either.
        let typed = vec![logged(50, 1, "ParticipantJoined"), logged(150, 2, "Text")];
        let found = switch_entries_of(typed, Vec::new());
        assert_eq!(found, [vec![false, false], vec![]]);
    }

    fn entry(kind: &str) -> Value {
        json!({"messageType": "MessageLogUpdated", "notificationType": "NewMessages",
               "messages": [{"type": kind, "text": "SWITCH_TO_COACH"}]})
    }

    #[test]
    fn a_switch_entry_on_one_side_or_saying_another_thing_is_left_out_of_a_transcript() {
        let text = json!({"type": "Text", "text": "hello", "index": 1});
        let notice = json!({"type": "Notice", "text": "SWITCH_TO_COACH", "index": 2});
        let joined = json!({"type": "ParticipantJoined", "index": 2});
        let left = json!({"type": "ParticipantLeft", "index": 3});
        let body = |entries: &[&Value]| json!({"statusCode": 0, "messages": entries});
        let (old, new) = without_switch_entries(
            &body(&[&text, &notice, &left]),
            &body(&[&text, &joined, &left]),
        )
        .unwrap();
        assert_eq!((old, new), (body(&[&text, &left]), body(&[&text, &left])));
        // On one side only, in a chat's view too.
        let chat = |entries: &[&Value]| json!({"chat": {"id": "C", "messages": entries}});
        let (old, new) = without_switch_entries(&chat(&[&text, &notice]), &chat(&[&text])).unwrap();
        assert_eq!((old, new), (chat(&[&text]), chat(&[&text])));
        // The same on both sides, or a message typed: nothing is left out.
        assert!(without_switch_entries(&body(&[&notice]), &body(&[&notice])).is_none());
        let other = json!({"type": "Text", "text": "bye", "index": 1});
        assert!(without_switch_entries(&body(&[&text]), &body(&[&other])).is_none());
    }

    #[test]
    fn entries_no_person_adds_may_log_a_switch() {
        for kind in ["Notice", "ParticipantJoined", "ParticipantLeft", "Anything"] {
            assert!(may_log_switch(&entry(kind)), "{kind}");
        }
        for kind in TYPED {
            assert!(!may_log_switch(&entry(kind)), "{kind}");
        }
        // Only one entry at a time, of a log: batching takes them apart first.
        let mut two = entry("Notice");
        two["messages"] = json!([{"type": "Notice"}, {"type": "Notice"}]);
        assert!(!may_log_switch(&two));
        let state =
            json!({"messageType": "ChatStateChangeMessage", "messages": [{"type": "Notice"}]});
        assert!(!may_log_switch(&state));
    }
}
