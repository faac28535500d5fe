//! How an agent learns of the supervisors who join on its Accept (docs/rulings.md,
//! `choice-join-delivery`): a server may send the Accept's ParticipantsUpdated first and then
//! one more per supervisor the agent may see (each with its log entry), or one
//! ParticipantsUpdated that already lists them all. So a **join snapshot** — a participants
//! list that a later one of the same chat only extends — is one a server may skip: only the
//! list the chat settles on is required of both.
//!
//! The rule reads one actor's stream, on one side (the recording, or the replay), where ids
//! are the same server's throughout: a ParticipantsUpdated is a join snapshot when it is the
//! first about its chat on its CometD session (or follows a join snapshot there), and the next
//! ParticipantsUpdated about the chat on that session lists every participant it lists and
//! more, with nothing but log entries about the chat in between, and no request about the chat
//! begun in between (a join that follows a Consult or an Invite is that request's, not the
//! Accept's). A list that loses or changes a participant, any other notification about the
//! chat in between (a StatusChange, a PropertiesUpdated), or such a request, ends the chain:
//! what follows is the chat going on, compared as ever.
//!
//! The recording tells when requests began ([`Note::requests`]); what the replay received is
//! read without (all its notes count as after the same requests), which may take a later
//! join for one on the Accept: that only lets a received list the recording's server did not
//! send pass as INFO. Pairing follows the recording's side, which is exact.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

/// A recorded CometD session (its `clientId`), as the notes name it.
type Session = Option<Arc<str>>;

/// The `notificationType` of a chat's participants list.
pub const PARTICIPANTS_UPDATED: &str = "ParticipantsUpdated";

/// The key of the request a notification answers.
const REFERENCE_ID: &str = "referenceId";

/// The `messageType` of a chat's log entries.
const LOG: &str = "MessageLogUpdated";

/// What a notification in an actor's stream is, as far as join snapshots go.
#[derive(Debug)]
pub enum Shown {
    /// A ParticipantsUpdated (its `data`).
    Participants(Arc<Value>),
    /// Log entries (MessageLogUpdated).
    Log,
    /// Anything else.
    Other,
}

impl Shown {
    /// What `data` is.
    pub fn of(data: Arc<Value>) -> Self {
        let text = |key: &str| data.get(key).and_then(Value::as_str);
        if text("notificationType") == Some(PARTICIPANTS_UPDATED) {
            Shown::Participants(data)
        } else if text("messageType") == Some(LOG) {
            Shown::Log
        } else {
            Shown::Other
        }
    }
}

/// One notification of an actor's stream, as the rule reads it.
#[derive(Debug)]
pub struct Note {
    /// The CometD session it arrived on.
    pub session: Session,
    /// The chat it is about, if any.
    pub chat: Option<String>,
    /// What it is.
    pub shown: Shown,
    /// How many requests about its chat had begun when it arrived (any number that grows with
    /// them will do; the same for every note where that is not known).
    pub requests: usize,
}

/// A chain's last list: where it is in the stream, its `data`, the requests about the chat
/// begun before it, and whether it extended a join snapshot.
#[derive(Debug)]
struct Last {
    position: usize,
    data: Arc<Value>,
    requests: usize,
    extended: bool,
}

/// Where a chat's chain of join snapshots stands on one session.
#[derive(Debug, Default)]
enum Chain {
    /// No ParticipantsUpdated about the chat yet.
    #[default]
    Fresh,
    /// The last ParticipantsUpdated may be a join snapshot.
    Open(Last),
    /// The chain ended: no later list is a join snapshot.
    Settled,
}

/// What a notification is to the delivery of joins on an Accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Nothing to it: compared as ever.
    Plain,
    /// A join snapshot: a later list extends it, so a server may skip it.
    Snapshot,
    /// A list that extends a join snapshot, or a log entry that follows one before anything
    /// else about the chat: what shows a join on its own, which a server that shows the joins
    /// in the Accept's notifications sends as the Accept's (with the Accept's `referenceId`,
    /// where this one may have none).
    Joined,
}

/// The chains of one actor's stream, taken in one notification at a time.
#[derive(Debug, Default)]
pub struct Chains {
    chats: HashMap<(Session, String), Chain>,
}

impl Chains {
    /// Takes in the notification at `position` of the stream; returns what it is as far as
    /// it can tell yet (a list that opens or extends a chain is [`Delivery::Joined`] or
    /// plain until what comes next shows it a snapshot) and the position of an earlier one it
    /// shows was a [`Delivery::Snapshot`].
    pub fn next(&mut self, position: usize, note: Note) -> (Delivery, Option<usize>) {
        let Some(chat) = note.chat else {
            return (Delivery::Plain, None);
        };
        let chain = self.chats.entry((note.session, chat)).or_default();
        match (note.shown, std::mem::take(chain)) {
            (Shown::Log, Chain::Open(last)) => {
                let delivery = Self::joined(last.extended);
                *chain = Chain::Open(last);
                (delivery, None)
            }
            // A chat's first list comes with the Accept (or the supervisor's join), after its
            // StatusChange: nothing before it ends a chain.
            (Shown::Log | Shown::Other, Chain::Fresh) => (Delivery::Plain, None),
            (Shown::Log | Shown::Other, _) => {
                *chain = Chain::Settled;
                (Delivery::Plain, None)
            }
            (Shown::Participants(data), Chain::Fresh) => {
                *chain = Chain::Open(Last {
                    position,
                    data,
                    requests: note.requests,
                    extended: false,
                });
                (Delivery::Plain, None)
            }
            (Shown::Participants(data), Chain::Open(last))
                if last.requests == note.requests && extends(&last.data, &data) =>
            {
                *chain = Chain::Open(Last {
                    position,
                    data,
                    requests: note.requests,
                    extended: true,
                });
                (Delivery::Joined, Some(last.position))
            }
            (Shown::Participants(_), _) => {
                *chain = Chain::Settled;
                (Delivery::Plain, None)
            }
        }
    }

    /// Whether the list just taken in may be a join snapshot: it opened or extended a chain.
    pub fn open(&self, session: &Session, chat: &str) -> bool {
        let key = (session.clone(), chat.to_owned());
        matches!(self.chats.get(&key), Some(Chain::Open(..)))
    }

    fn joined(extended: bool) -> Delivery {
        if extended {
            Delivery::Joined
        } else {
            Delivery::Plain
        }
    }
}

/// For each notification of one actor's stream, in arrival order, what it is to the delivery
/// of joins (see the module doc).
pub fn deliveries(stream: impl Iterator<Item = Note>) -> Vec<Delivery> {
    let mut chains = Chains::default();
    let mut out = Vec::new();
    for (position, note) in stream.enumerate() {
        let (delivery, snapshot) = chains.next(position, note);
        out.push(delivery);
        if let Some(earlier) = snapshot {
            out[earlier] = Delivery::Snapshot;
        }
    }
    out
}

/// Whether `later`'s participants are all of `earlier`'s (each as it was) and more.
pub fn extends(earlier: &Value, later: &Value) -> bool {
    let (Some(before), Some(after)) = (participants(earlier), participants(later)) else {
        return false;
    };
    after.len() > before.len() && before.iter().all(|p| after.contains(p))
}

/// `recorded` and `received` without their `referenceId` when only one has one, and which
/// side that is (`recording`, `replay`); `None` when both have one or neither has.
pub fn one_sided_reference(
    recorded: &Value,
    received: &Value,
) -> Option<(Value, Value, &'static str)> {
    let has = |data: &Value| data.get(REFERENCE_ID).is_some();
    let side = match (has(recorded), has(received)) {
        (true, false) => "recording",
        (false, true) => "replay",
        _ => return None,
    };
    let without = |data: &Value| {
        let mut data = data.clone();
        if let Some(fields) = data.as_object_mut() {
            fields.remove(REFERENCE_ID);
        }
        data
    };
    Some((without(recorded), without(received), side))
}

/// How many participants `data` lists (none when it lists none).
pub fn participant_count(data: &Value) -> usize {
    participants(data).map_or(0, Vec::len)
}

fn participants(data: &Value) -> Option<&Vec<Value>> {
    data.pointer("/chat/participants")?.as_array()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn list(names: &[&str]) -> Shown {
        let participants: Vec<Value> = names
            .iter()
            .map(|n| json!({"participantId": n, "nickname": n}))
            .collect();
        Shown::of(Arc::new(json!({
            "messageType": "ChatStateChangeMessage",
            "notificationType": PARTICIPANTS_UPDATED,
            "chat": {"id": "C1", "participants": participants}
        })))
    }

    /// `shown` on session `session`, about `chat`, after `requests` requests about it.
    fn note(session: Option<&str>, chat: Option<&str>, shown: Shown, requests: usize) -> Note {
        Note {
            session: session.map(Into::into),
            chat: chat.map(str::to_owned),
            shown,
            requests,
        }
    }

    /// What each of `shown` (about chat C1, after no request) is.
    fn delivered_on_c1(shown: Vec<Shown>) -> Vec<Delivery> {
        deliveries(shown.into_iter().map(|s| note(None, Some("C1"), s, 0)))
    }

    /// Which of `shown` (about chat C1) are join snapshots.
    fn on_c1(shown: Vec<Shown>) -> Vec<bool> {
        snapshots(delivered_on_c1(shown))
    }

    fn snapshots(delivered: Vec<Delivery>) -> Vec<bool> {
        delivered
            .into_iter()
            .map(|d| d == Delivery::Snapshot)
            .collect()
    }

    #[test]
    fn lists_extended_by_joins_on_accept_are_snapshots() {
        let separate = vec![
            list(&["customer", "agent"]),
            Shown::Log,
            list(&["customer", "agent", "coach"]),
            Shown::Log,
            list(&["customer", "agent", "coach", "second"]),
        ];
        assert_eq!(on_c1(separate), [true, false, true, false, false]);
        // The merged delivery has nothing to skip.
        let merged = vec![list(&["customer", "agent", "coach"]), Shown::Log];
        assert_eq!(on_c1(merged), [false, false]);
    }

    #[test]
    fn what_shows_a_join_on_its_own_is_told() {
        let separate = vec![
            Shown::Other,
            list(&["customer", "agent"]),
            Shown::Log,
            list(&["customer", "agent", "coach"]),
            Shown::Log,
            Shown::Other,
            Shown::Log,
        ];
        let all = delivered_on_c1(separate);
        use Delivery::*;
        assert_eq!(all, [Plain, Snapshot, Plain, Joined, Joined, Plain, Plain]);
    }

    #[test]
    fn a_list_that_loses_or_changes_someone_is_no_snapshot() {
        let left = vec![list(&["customer", "agent"]), list(&["agent"])];
        assert_eq!(on_c1(left), [false, false]);
        let swapped = vec![list(&["customer", "agent"]), list(&["agent", "coach", "x"])];
        assert_eq!(on_c1(swapped), [false, false]);
        // The last list of a chain is the one the chat settles on.
        assert_eq!(on_c1(vec![list(&["customer", "agent"])]), [false]);
    }

    #[test]
    fn anything_but_log_entries_in_between_ends_the_chain() {
        let status = vec![
            list(&["customer", "agent"]),
            Shown::Other,
            list(&["customer", "agent", "coach"]),
        ];
        assert_eq!(on_c1(status), [false, false, false]);
        // Once settled, a later join is the chat going on, compared as ever.
        let later = vec![
            list(&["customer", "agent"]),
            list(&["agent"]),
            list(&["agent", "coach"]),
        ];
        assert_eq!(on_c1(later), [false, false, false]);
    }

    #[test]
    fn a_join_after_another_request_about_the_chat_is_that_requests() {
        // The Accept's list, then a Consult's join: the Accept's list is the one it settles on.
        let stream = vec![
            note(None, Some("C1"), list(&["customer", "agent", "coach"]), 1),
            note(None, Some("C1"), Shown::Log, 1),
            note(
                None,
                Some("C1"),
                list(&["customer", "agent", "coach", "consultant"]),
                2,
            ),
        ];
        assert_eq!(snapshots(deliveries(stream.into_iter())), [false; 3]);
    }

    #[test]
    fn a_reference_on_one_side_only_is_taken_out() {
        let with = json!({"chat": {"id": "C1"}, "referenceId": 1});
        let without = json!({"chat": {"id": "C1"}});
        let (recorded, received, side) = one_sided_reference(&without, &with).unwrap();
        assert_eq!(
            (recorded, received, side),
            (without.clone(), without.clone(), "replay")
        );
        assert_eq!(one_sided_reference(&with, &without).unwrap().2, "recording");
        // Both or neither: compared as ever (another value is another request).
        assert!(one_sided_reference(&with, &with).is_none());
        assert!(one_sided_reference(&without, &without).is_none());
    }

    #[test]
    fn sessions_and_chats_are_streams_of_their_own() {
        let stream = vec![
            note(Some("s1"), Some("C1"), list(&["a"]), 0),
            note(Some("s2"), Some("C1"), list(&["a", "b"]), 0),
            note(Some("s1"), Some("C2"), list(&["a", "b"]), 0),
            note(None, None, Shown::Other, 0),
        ];
        assert_eq!(snapshots(deliveries(stream.into_iter())), [false; 4]);
    }
}
