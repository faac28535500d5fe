//! Differences in the Bayeux protocol itself, which no notification shows: how the server
//! refuses a message with a `clientId` it never issued (a probe the recording made, re-sent as
//! recorded). Also what a recorded refusal means for the plan: that the server forgot the
//! session ([`forgets_client`]). The advice the replayed sessions got is judged as `run` judges
//! it (`check::bayeux`), not against the recording's: a server may advise as CometD servers do
//! (docs/rulings.md, `choice-bayeux-advice`).

use serde_json::Value;

use crate::bayeux::message::{UNKNOWN_CLIENT, error_code};

/// The reply to `message` in a Bayeux response: the message of its channel with its `id`.
fn reply_to<'a>(response: Option<&'a Value>, message: &Value) -> Option<&'a Value> {
    response?.as_array()?.iter().find(|reply| {
        reply.get("channel") == message.get("channel") && reply.get("id") == message.get("id")
    })
}

/// The code at the front of a reply's `error` (`402::Unknown client` → 402).
fn refusal_code(reply: &Value) -> Option<u16> {
    reply
        .get("error")
        .and_then(Value::as_str)
        .and_then(error_code)
}

/// The `reconnect` a reply advises, as sent.
fn advised_reconnect(reply: &Value) -> Option<&str> {
    reply.pointer("/advice/reconnect").and_then(Value::as_str)
}

/// Whether a refusal tells the client to handshake again, the server having forgotten its
/// session: `402::Unknown client`, or advice `reconnect: handshake`.
pub fn forgets_client(reply: &Value) -> bool {
    refusal_code(reply) == Some(UNKNOWN_CLIENT) || advised_reconnect(reply) == Some("handshake")
}

/// What a refusal says: `successful`, the error's code, the advised `reconnect`.
fn refusal(reply: Option<&Value>) -> String {
    let Some(reply) = reply else {
        return "no reply to the message".to_owned();
    };
    let successful = reply.get("successful").and_then(Value::as_bool);
    let code = refusal_code(reply);
    let reconnect = advised_reconnect(reply);
    format!(
        "successful {}, error code {}, advice reconnect {}",
        successful.map_or("absent".to_owned(), |s| s.to_string()),
        code.map_or("absent".to_owned(), |c| c.to_string()),
        reconnect.map_or("absent".to_owned(), |r| format!("{r:?}")),
    )
}

/// How the replayed answer to a probe differs from the recorded one: the HTTP status, and the
/// reply's `successful`, error code and advised `reconnect` (the error's text is free).
pub fn probe_difference(
    message: &Value,
    recorded: (i64, Option<&Value>),
    replayed: (u16, Option<&Value>),
) -> Option<String> {
    let (old_status, old_body) = recorded;
    let (new_status, new_body) = replayed;
    let old = refusal(reply_to(old_body, message));
    let new = refusal(reply_to(new_body, message));
    (old_status != i64::from(new_status) || old != new).then(|| {
        format!("the recording got HTTP {old_status} ({old}), the replay HTTP {new_status} ({new})")
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_refusal_forgets_the_client_by_code_or_by_advice() {
        assert!(forgets_client(
            &json!({"successful": false, "error": "402::Unknown client"})
        ));
        assert!(forgets_client(
            &json!({"successful": false, "advice": {"reconnect": "handshake"}})
        ));
        assert!(!forgets_client(
            &json!({"successful": false, "error": "400::Bad request", "advice": {"reconnect": "retry"}})
        ));
    }

    #[test]
    fn a_probe_answered_otherwise_is_a_difference() {
        let message = json!({"channel": "/meta/connect", "id": "p", "clientId": "never"});
        let refused = |code: &str, reconnect: &str| {
            json!([{"channel": "/meta/connect", "id": "p", "successful": false,
                    "error": format!("{code}::Unknown client"), "advice": {"reconnect": reconnect}}])
        };
        let recorded = refused("402", "handshake");
        let same = refused("402", "handshake");
        assert_eq!(
            probe_difference(&message, (200, Some(&recorded)), (200, Some(&same))),
            None
        );
        let other = refused("400", "none");
        assert_eq!(
            probe_difference(&message, (200, Some(&recorded)), (200, Some(&other))).unwrap(),
            "the recording got HTTP 200 (successful false, error code 402, advice reconnect \
             \"handshake\"), the replay HTTP 200 (successful false, error code 400, advice \
             reconnect \"none\")"
        );
        assert!(probe_difference(&message, (200, Some(&recorded)), (400, Some(&same))).is_some());
        assert!(probe_difference(&message, (200, Some(&recorded)), (200, None)).is_some());
    }
}
