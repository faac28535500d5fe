//! `invariant.index` (`NOTIF-INDEX`): message indexes strictly increase per chat per party,
//! over all the MessageLogUpdated of its session in the chat. A session ends with its
//! `Revoked`, `Completed` or `LeftChat`; a later notification about the chat starts a new one
//! (a supervisor revoked by a transfer, or one that left, may join the same chat again and then
//! receives the history from index 1 again). Shared by `run`'s invariants and `replay`, which
//! judges the target's stream so.

use std::collections::HashMap;

use serde_json::Value;

use super::json::chat_key;
use super::{Finding, Verdict};

/// The check id.
pub const CHECK: &str = "invariant.index";

/// The highest index each party has been shown in each chat of its current sessions.
#[derive(Debug, Default)]
pub struct IndexOrder {
    last: HashMap<(String, String), u64>,
}

impl IndexOrder {
    /// A checker that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks notification `seq` that party `actor` received; ends the session in a chat at
    /// its `Revoked`, `Completed` or `LeftChat` (a supervisor who left may be given either of
    /// the last two: docs/rulings.md choice-supervisor-leave), after which joining again starts
    /// a new one. Anything it cannot read is the schemas' to report.
    pub fn observe(&mut self, actor: &str, seq: u64, data: &Value) -> Option<Finding> {
        let chat = chat_key(data)?;
        let key = (actor.to_owned(), chat);
        let text = |pointer: &str| data.pointer(pointer).and_then(Value::as_str);
        if matches!(
            text("/chat/state"),
            Some("Revoked" | "Completed" | "LeftChat")
        ) {
            self.last.remove(&key);
            return None;
        }
        if text("/messageType") != Some("MessageLogUpdated") {
            return None;
        }
        let messages = data.get("messages").and_then(Value::as_array)?;
        let mut offences = Vec::new();
        let mut last = self.last.get(&key).copied();
        for index in messages
            .iter()
            .filter_map(|m| m.get("index").and_then(Value::as_u64))
        {
            if let Some(last) = last
                && index <= last
            {
                offences.push(format!("index {index} after {last}"));
            }
            last = Some(last.map_or(index, |l| l.max(index)));
        }
        if let Some(last) = last {
            self.last.insert(key.clone(), last);
        }
        (!offences.is_empty()).then(|| Finding {
            check: CHECK.to_owned(),
            requirement: "NOTIF-INDEX".to_owned(),
            verdict: Verdict::Fail,
            message: format!(
                "notification #{seq} to {actor}: message indexes of chat {} do not strictly increase",
                key.1
            ),
            details: offences,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn log(chat: &str, indexes: &[u64]) -> Value {
        let messages: Vec<Value> = indexes.iter().map(|i| json!({"index": i})).collect();
        json!({"messageType": "MessageLogUpdated", "chatPath": format!("/chats/{chat}"), "messages": messages})
    }

    #[test]
    fn indexes_must_grow_per_chat_until_the_session_ends() {
        let mut order = IndexOrder::new();
        assert!(
            order.observe("a", 1, &log("C", &[1000, 1002])).is_none(),
            "any start, skips"
        );
        assert!(
            order.observe("a", 2, &log("D", &[1])).is_none(),
            "another chat"
        );
        assert!(
            order.observe("b", 3, &log("C", &[1])).is_none(),
            "another party"
        );
        let found = order
            .observe("a", 4, &log("C", &[1002, 3]))
            .expect("a finding");
        assert_eq!(
            found.details,
            ["index 1002 after 1002", "index 3 after 1002"]
        );
        let ended = json!({"messageType": "ChatStateChangeMessage", "notificationType": "StatusChange",
                           "chat": {"id": "C", "state": "Revoked"}});
        assert!(order.observe("a", 5, &ended).is_none());
        assert!(
            order.observe("a", 6, &log("C", &[1])).is_none(),
            "a new session starts afresh"
        );
    }
}
