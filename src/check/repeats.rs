//! Which notifications repeat an earlier one: NOTIF-UNIQUE's rule, shared by the invariant
//! that reports repeats and by the expectations, which look past them (a SHOULD-level repeat
//! must not make a MUST-level step fail, nor count twice toward what a step expects).
//!
//! The identity of a notification is its canonical JSON (sorted keys), the `referenceId`
//! included, so notifications caused by two identical requests differ when the server numbers
//! its requests. Within one session of one chat, a notification repeats when:
//! - it is a MessageLogUpdated equal to any earlier one (messages carry indexes and
//!   timestamps, so a legitimate log update never repeats), or
//! - it is a ChatStateChangeMessage equal to the notification just before it in the session,
//!   unless it is a PropertiesUpdated without `referenceId` (repeating an identical user-data
//!   operation legitimately yields an identical snapshot). A snapshot that comes back after a
//!   different notification (A, B, A) may be a new notification that happens to look the same
//!   (a mode switch the party cannot see), so it is not a repeat by itself; or
//! - the Bayeux client saw it come back in a redelivered block (the start of a long-poll reply
//!   repeating two or more messages that ended the previous one:
//!   `crate::driver::bayeux::Delivery::redelivered`), which a server only sends by delivering
//!   again what it already delivered.
//!
//! A chat that ends (`Revoked`, `Completed`) ends the session: once the party is shown the chat
//! again (a ChatStateChangeMessage other than the ending one: a supervisor revoked by a transfer
//! may join the same chat again and receive its history again), it starts afresh. Until then, a
//! MessageLogUpdated equal to one of the ended session still repeats it (a late copy delivered
//! after the end), and an immediate repeat of the ending notification is still a repeat.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::json::canonical;

/// The sessions of one receiver, by chat.
#[derive(Debug, Default)]
pub struct Repeats {
    sessions: HashMap<String, Session>,
}

#[derive(Debug, Default)]
struct Session {
    /// Canonical texts of the session's MessageLogUpdated.
    logs: HashSet<String>,
    /// Canonical text of the session's latest notification.
    last: Option<String>,
    /// The chat ended for the receiver, and it has not been shown the chat again since.
    ended: bool,
}

impl Repeats {
    /// A receiver that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether `data`, the receiver's next notification about chat `chat` (`redelivered` as its
    /// client saw it), repeats an earlier one; it is remembered either way, and a notification
    /// that ends the chat (and repeats nothing) ends the session.
    pub fn observe(&mut self, chat: &str, data: &Value, redelivered: bool) -> bool {
        let text = |pointer: &str| data.pointer(pointer).and_then(Value::as_str);
        let identity = canonical(data);
        let is_log = text("/messageType") == Some("MessageLogUpdated");
        let repeatable = text("/notificationType") == Some("PropertiesUpdated")
            && data.get("referenceId").is_none();
        let session = self.sessions.entry(chat.to_owned()).or_default();
        if session.ended && !is_log && session.last.as_deref() != Some(identity.as_str()) {
            // Shown the chat again after its end: a new session, whose history is new.
            session.logs.clear();
            session.ended = false;
        }
        let repeat = if is_log {
            !session.logs.insert(identity.clone())
        } else {
            !repeatable && session.last.as_deref() == Some(identity.as_str())
        };
        session.last = Some(identity);
        let repeat = repeat || redelivered;
        if !repeat && matches!(text("/chat/state"), Some("Revoked" | "Completed")) {
            session.ended = true;
        }
        repeat
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn log(index: u64) -> Value {
        json!({"messageType": "MessageLogUpdated", "messages": [{"index": index}]})
    }

    fn state(state: &str) -> Value {
        json!({"messageType": "ChatStateChangeMessage", "notificationType": "StatusChange", "chat": {"state": state}})
    }

    #[test]
    fn a_log_update_seen_before_repeats_wherever_it_comes() {
        let mut repeats = Repeats::new();
        assert!(!repeats.observe("c", &log(1), false));
        assert!(!repeats.observe("c", &log(2), false));
        assert!(repeats.observe("c", &log(1), false));
        assert!(
            !repeats.observe("other", &log(1), false),
            "another chat's log is its own"
        );
    }

    #[test]
    fn a_state_change_repeats_right_after_itself_or_when_redelivered() {
        let mut repeats = Repeats::new();
        assert!(!repeats.observe("c", &state("Chatting"), false));
        assert!(repeats.observe("c", &state("Chatting"), false));
        assert!(!repeats.observe("c", &log(1), false));
        assert!(
            !repeats.observe("c", &state("Chatting"), false),
            "A, B, A may be a new notification"
        );
        assert!(
            repeats.observe("c", &state("Chatting"), true),
            "what came back in a redelivered block is a repeat"
        );
        let properties = json!({"messageType": "ChatStateChangeMessage", "notificationType": "PropertiesUpdated", "chat": {}});
        assert!(!repeats.observe("c", &properties, false));
        assert!(
            !repeats.observe("c", &properties, false),
            "an identical snapshot may come again"
        );
    }

    #[test]
    fn an_ended_chat_starts_afresh_but_its_ending_still_repeats() {
        let mut repeats = Repeats::new();
        assert!(!repeats.observe("c", &log(1), false));
        assert!(!repeats.observe("c", &state("Revoked"), false));
        assert!(repeats.observe("c", &state("Revoked"), false));
        assert!(
            repeats.observe("c", &log(1), false),
            "a late copy of the ended session's log, before the chat is shown again"
        );
        assert!(!repeats.observe("c", &state("Chatting"), false));
        assert!(
            !repeats.observe("c", &log(1), false),
            "the history again, after joining again"
        );
    }
}
