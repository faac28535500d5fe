//! Differences in the Bayeux protocol itself, which no notification shows: the advice the
//! server's handshake and connect replies carry, and how it refuses a message with a `clientId`
//! it never issued (a probe the recording made, re-sent as recorded). Also what a recorded
//! refusal means for the plan: that the server forgot the session ([`forgets_client`]).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::actor::replay_finding;
use crate::bayeux::message::{UNKNOWN_CLIENT, error_code};
use crate::bayeux::{META_CONNECT, META_HANDSHAKE};
use crate::check::Finding;

/// Advice fields seen in successful handshake and connect replies, by meta channel.
pub type AdviceSeen = BTreeMap<String, BTreeSet<String>>;

/// Files the advice fields of a successful handshake or connect `reply` on `channel` (other
/// replies tell nothing about what the server advises).
pub fn note_advice(seen: &mut AdviceSeen, channel: &str, reply: &Value) {
    if !matches!(channel, META_HANDSHAKE | META_CONNECT)
        || reply.get("successful") != Some(&Value::Bool(true))
    {
        return;
    }
    let fields = seen.entry(channel.to_owned()).or_default();
    if let Some(advice) = reply.get("advice").and_then(Value::as_object) {
        fields.extend(advice.keys().cloned());
    }
}

/// One finding per meta channel whose replies in the replay never advised a field the
/// recording's did (a client relies on `reconnect`, `interval` and `timeout`). Channels the
/// replay got no successful reply on are left to the other checks (the session failed).
pub fn advice_findings(actor: &str, recorded: &AdviceSeen, replayed: &AdviceSeen) -> Vec<Finding> {
    recorded
        .iter()
        .filter_map(|(channel, fields)| {
            let got = replayed.get(channel)?;
            let lost: Vec<&str> = fields.difference(got).map(String::as_str).collect();
            (!lost.is_empty()).then(|| {
                let message = format!(
                    "{actor}: the server's {channel} replies no longer advise {} (the \
                     recording's did)",
                    lost.join(", ")
                );
                replay_finding("replay.bayeux", message, Vec::new())
            })
        })
        .collect()
}

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
    fn lost_advice_fields_are_reported_per_channel() {
        let mut recorded = AdviceSeen::new();
        let full = json!({"successful": true, "advice": {"reconnect": "retry", "interval": 0, "timeout": 30000}});
        note_advice(&mut recorded, META_HANDSHAKE, &full);
        note_advice(&mut recorded, META_CONNECT, &full);
        // Refusals and subscriptions tell nothing.
        note_advice(
            &mut recorded,
            META_CONNECT,
            &json!({"successful": false, "advice": {"x": 1}}),
        );
        note_advice(
            &mut recorded,
            "/meta/subscribe",
            &json!({"successful": true, "advice": {"y": 1}}),
        );
        assert_eq!(recorded[META_CONNECT].len(), 3);
        assert_eq!(recorded.len(), 2);

        let mut replayed = AdviceSeen::new();
        note_advice(&mut replayed, META_HANDSHAKE, &full);
        assert!(advice_findings("agent", &recorded, &replayed).is_empty());
        note_advice(
            &mut replayed,
            META_CONNECT,
            &json!({"successful": true, "advice": {"reconnect": "retry"}}),
        );
        let findings = advice_findings("agent", &recorded, &replayed);
        assert_eq!(findings.len(), 1);
        assert_eq!(
            findings[0].message,
            "agent: the server's /meta/connect replies no longer advise interval, timeout (the \
             recording's did)"
        );
        assert_eq!(findings[0].check, "replay.bayeux");
    }

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
