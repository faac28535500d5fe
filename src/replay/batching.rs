//! A MessageLogUpdated is the log entries it carries. How many entries (of one chat, for one
//! party) travel in one notification is the server's choice (docs/rulings.md,
//! `choice-log-batching`): one per operation, or several gathered in one `messages` array.
//! So the recorded notifications and the received ones are both taken apart into one
//! notification per entry, with the same envelope (`chatUri`, `notificationType`,
//! `referenceId`, …), before they are paired and compared: every entry must still come, once,
//! in the order of its chat's log, and say the same; only the grouping is left out.

use serde_json::Value;

/// `data` as one notification per log entry, when it is a MessageLogUpdated carrying several;
/// `None` when it stays whole (the common case, left as it is).
pub fn split(data: &Value) -> Option<Vec<Value>> {
    if data.get("messageType").and_then(Value::as_str) != Some("MessageLogUpdated") {
        return None;
    }
    let Value::Object(fields) = data else {
        return None;
    };
    let messages = fields.get("messages")?.as_array().filter(|m| m.len() > 1)?;
    Some(
        messages
            .iter()
            .map(|message| {
                let mut one = fields.clone();
                one.insert("messages".to_owned(), Value::Array(vec![message.clone()]));
                Value::Object(one)
            })
            .collect(),
    )
}

/// `data` as one notification per log entry ([`split`]), whole when it is not several.
pub fn per_entry(data: Value) -> Vec<Value> {
    split(&data).unwrap_or_else(|| vec![data])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn log(texts: &[&str]) -> Value {
        let messages: Vec<Value> = texts.iter().map(|t| json!({"text": t})).collect();
        json!({"messageType": "MessageLogUpdated", "notificationType": "NewMessages",
               "chatUri": "http://h/api/v2/chats/C", "referenceId": 4, "messages": messages})
    }

    #[test]
    fn gathered_entries_equal_the_same_entries_spread_over_notifications() {
        let gathered = per_entry(log(&["a", "b", "c"]));
        let spread: Vec<Value> = [log(&["a"]), log(&["b", "c"])]
            .into_iter()
            .flat_map(per_entry)
            .collect();
        assert_eq!(gathered, spread);
        assert_eq!(
            gathered[1],
            log(&["b"]),
            "the envelope goes with each entry"
        );
    }

    #[test]
    fn a_missing_or_changed_entry_still_differs() {
        let recorded = per_entry(log(&["a", "b", "c"]));
        assert_ne!(recorded, per_entry(log(&["a", "c"])), "an entry missing");
        assert_ne!(recorded, per_entry(log(&["a", "c", "b"])), "another order");
        let mut other_reference = log(&["a", "b", "c"]);
        other_reference["referenceId"] = json!(5);
        assert_ne!(recorded, per_entry(other_reference), "the envelope counts");
    }

    #[test]
    fn other_notifications_and_single_entries_stay_whole() {
        let state = json!({"messageType": "ChatStateChangeMessage", "messages": [1, 2]});
        assert_eq!(per_entry(state.clone()), [state]);
        assert_eq!(per_entry(log(&["a"])), [log(&["a"])]);
        assert_eq!(per_entry(log(&[])), [log(&[])]);
    }
}
