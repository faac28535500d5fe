//! Which notifications repeat an earlier one: NOTIF-UNIQUE's rule, shared by the invariant
//! that reports repeats and by the expectations, which look past them (a SHOULD-level repeat
//! must not make a MUST-level step fail, nor count twice toward what a step expects).
//!
//! The identity of a notification is its canonical JSON (sorted keys), the `referenceId`
//! included, so notifications caused by two identical requests differ when the server numbers
//! its requests. Within one session of one chat, a notification repeats when:
//! - it is a MessageLogUpdated equal to any earlier one (messages carry indexes and
//!   timestamps, so a legitimate log update never repeats), or
//! - it is a ChatStateChangeMessage equal to the session's latest ChatStateChangeMessage (log
//!   updates in between change no state), unless it is a PropertiesUpdated without
//!   `referenceId` (repeating an identical user-data operation legitimately yields an identical
//!   snapshot). A snapshot that comes back after a different one (A, B, A) is the state
//!   returning, not a repeat; one that comes back after a log update only (A, log, A) is a
//!   redelivery.
//!
//! A chat that ends (`Revoked`, `Completed`) ends the session: a later notification about it
//! starts afresh (a supervisor revoked by a transfer may join the same chat again and receive
//! its history again), except that an immediate repeat of the ending notification is still a
//! repeat.

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
    /// Canonical text of the session's latest ChatStateChangeMessage.
    last_state: Option<String>,
}

impl Repeats {
    /// A receiver that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether `data`, the receiver's next notification about chat `chat`, repeats an earlier
    /// one; it is remembered either way, and a notification that ends the chat (and repeats
    /// nothing) ends the session.
    pub fn observe(&mut self, chat: &str, data: &Value) -> bool {
        let text = |pointer: &str| data.pointer(pointer).and_then(Value::as_str);
        let identity = canonical(data);
        let is_log = text("/messageType") == Some("MessageLogUpdated");
        let repeatable = text("/notificationType") == Some("PropertiesUpdated")
            && data.get("referenceId").is_none();
        let session = self.sessions.entry(chat.to_owned()).or_default();
        let repeat = if is_log {
            !session.logs.insert(identity)
        } else {
            let repeat = !repeatable && session.last_state.as_deref() == Some(identity.as_str());
            session.last_state = Some(identity);
            repeat
        };
        if !repeat && matches!(text("/chat/state"), Some("Revoked" | "Completed")) {
            session.logs.clear();
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
        assert!(!repeats.observe("c", &log(1)));
        assert!(!repeats.observe("c", &log(2)));
        assert!(repeats.observe("c", &log(1)));
        assert!(
            !repeats.observe("other", &log(1)),
            "another chat's log is its own"
        );
    }

    #[test]
    fn a_state_change_repeats_only_right_after_the_same_state() {
        let mut repeats = Repeats::new();
        assert!(!repeats.observe("c", &state("Chatting")));
        assert!(repeats.observe("c", &state("Chatting")));
        assert!(!repeats.observe("c", &log(1)));
        assert!(
            repeats.observe("c", &state("Chatting")),
            "A, log, A is a redelivery"
        );
        assert!(!repeats.observe("c", &state("LeftChat")));
        assert!(
            !repeats.observe("c", &state("Chatting")),
            "A, B, A is the state returning"
        );
        let properties = json!({"messageType": "ChatStateChangeMessage", "notificationType": "PropertiesUpdated", "chat": {}});
        assert!(!repeats.observe("c", &properties));
        assert!(
            !repeats.observe("c", &properties),
            "an identical snapshot may come again"
        );
    }

    #[test]
    fn an_ended_chat_starts_afresh_but_its_ending_still_repeats() {
        let mut repeats = Repeats::new();
        assert!(!repeats.observe("c", &log(1)));
        assert!(!repeats.observe("c", &state("Revoked")));
        assert!(repeats.observe("c", &state("Revoked")));
        assert!(
            !repeats.observe("c", &log(1)),
            "the history again, after joining again"
        );
    }
}
