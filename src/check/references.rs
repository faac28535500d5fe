//! Where chat notifications arrive and which chat they name, checked on every notification of
//! every scenario:
//!
//! | Check id | Requirement | Rule |
//! |---|---|---|
//! | `invariant.channel` | `NOTIF-CHANNEL` | `ChatStateChangeMessage` and `MessageLogUpdated` arrive on `/v2/me/chats`. |
//! | `invariant.chat-reference` | `NOTIF-CHAT-REF` | A chat's `uri` names the chat resource of its own `id`; a `MessageLogUpdated`'s `chatUri` (and `chatPath`, when present) name one chat, one the party was told of in a `ChatStateChangeMessage`. |
//!
//! URIs are compared by their path's end only: their origin is the server's own, which behind
//! a proxy is not the one the client used, and the server may be deployed under a context path
//! (the documented `/api/v2/me` response shows `http://127.0.0.1/cloud-web/api/v2/users/…`).
//! Ids are whatever the party was given (docs/rulings.md, `choice-ids`): nothing is compared
//! across parties. Whether a `MessageLogUpdated` names a chat the party knows waits for
//! [`ChatReferences::finish`], since the documents leave some orders open.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::{Finding, Located, NotificationRef, Verdict};

/// The channel chat notifications are published on.
pub const CHATS_CHANNEL: &str = "/v2/me/chats";
/// Chat notifications arrive on [`CHATS_CHANNEL`].
pub const CHANNEL_REQUIREMENT: &str = "NOTIF-CHANNEL";
/// A notification names its chat consistently.
pub const REFERENCE_REQUIREMENT: &str = "NOTIF-CHAT-REF";

/// The chat id a URI names: the last segment of a path ending in `/api/v2/chats/{id}`.
pub fn chat_id_of_uri(uri: &str) -> Option<String> {
    let url = reqwest::Url::parse(uri).ok()?;
    let (prefix, id) = url.path().rsplit_once('/')?;
    (prefix.ends_with("/api/v2/chats") && !id.is_empty()).then(|| id.to_owned())
}

/// A `MessageLogUpdated` naming a chat, to be checked against what the party knew.
#[derive(Debug)]
struct Named {
    actor: String,
    seq: u64,
    chat: String,
}

/// The checker; one per scenario run.
#[derive(Debug, Default)]
pub struct ChatReferences {
    /// Chat ids each party was told of in a `ChatStateChangeMessage`.
    known: HashMap<String, HashSet<String>>,
    named: Vec<Named>,
}

/// Notification `seq` of `actor`, at `field`.
fn at_field(actor: &str, seq: u64, field: &str) -> NotificationRef {
    NotificationRef {
        actor: actor.to_owned(),
        seq,
        path: Some(field.to_owned()),
    }
}

fn finding(requirement: &str, check: &str, message: String, data: &Value) -> Finding {
    Finding {
        check: check.to_owned(),
        requirement: requirement.to_owned(),
        verdict: Verdict::Fail,
        message,
        details: vec![data.to_string()],
    }
}

impl ChatReferences {
    /// A checker that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks notification `seq` that `actor` received on `channel`; a chat-reference finding
    /// is located at the field it judged (`chat.uri`, `chatUri`, `chatPath`).
    pub fn observe(&mut self, actor: &str, seq: u64, channel: &str, data: &Value) -> Vec<Located> {
        let kind = data.get("messageType").and_then(Value::as_str);
        if !matches!(kind, Some("ChatStateChangeMessage" | "MessageLogUpdated")) {
            return Vec::new();
        }
        let kind = kind.unwrap_or_default();
        let mut findings = Vec::new();
        if channel != CHATS_CHANNEL {
            findings.push(Located::at(
                finding(
                    CHANNEL_REQUIREMENT,
                    "invariant.channel",
                    format!("notification #{seq} to {actor} ({kind}) arrived on {channel}, not {CHATS_CHANNEL}"),
                    data,
                ),
                actor,
                seq,
            ));
        }
        let problem = if kind == "ChatStateChangeMessage" {
            self.state_change(actor, data)
        } else {
            self.message_log(actor, seq, data)
        };
        findings.extend(problem.map(|(field, why)| Located {
            finding: finding(
                REFERENCE_REQUIREMENT,
                "invariant.chat-reference",
                format!("notification #{seq} to {actor} ({kind}): {why}"),
                data,
            ),
            notifications: vec![at_field(actor, seq, field)],
            responses: Vec::new(),
        }));
        findings
    }

    /// What is wrong with a ChatStateChangeMessage's reference, and the field that says it.
    fn state_change(&mut self, actor: &str, data: &Value) -> Option<(&'static str, String)> {
        // A missing or mistyped id is the schema's to report.
        let id = data.pointer("/chat/id")?.as_str()?;
        self.known
            .entry(actor.to_owned())
            .or_default()
            .insert(id.to_owned());
        let uri = data.pointer("/chat/uri")?.as_str()?;
        match chat_id_of_uri(uri) {
            Some(named) if named == id => None,
            Some(named) => Some((
                "chat.uri",
                format!("chat.uri names chat {named}, chat.id is {id}"),
            )),
            None => Some((
                "chat.uri",
                format!("chat.uri {uri} is not a chat resource URI"),
            )),
        }
    }

    /// What is wrong with a MessageLogUpdated's reference, and the field that says it.
    fn message_log(
        &mut self,
        actor: &str,
        seq: u64,
        data: &Value,
    ) -> Option<(&'static str, String)> {
        let uri = data.get("chatUri")?.as_str()?;
        let Some(chat) = chat_id_of_uri(uri) else {
            return Some((
                "chatUri",
                format!("chatUri {uri} is not a chat resource URI"),
            ));
        };
        if let Some(path) = data.get("chatPath").and_then(Value::as_str)
            && path != format!("/chats/{chat}")
        {
            return Some((
                "chatPath",
                format!("chatPath {path} and chatUri {uri} name different chats"),
            ));
        }
        self.named.push(Named {
            actor: actor.to_owned(),
            seq,
            chat,
        });
        None
    }

    /// The `MessageLogUpdated`s naming a chat their party was never told of, each located at
    /// its `chatUri`.
    pub fn finish(&mut self) -> Vec<Located> {
        let known = &self.known;
        std::mem::take(&mut self.named)
            .into_iter()
            .filter(|n| !known.get(&n.actor).is_some_and(|ids| ids.contains(&n.chat)))
            .map(|n| Located {
                finding: Finding {
                    check: "invariant.chat-reference".to_owned(),
                    requirement: REFERENCE_REQUIREMENT.to_owned(),
                    verdict: Verdict::Fail,
                    message: format!(
                        "notification #{} to {} (MessageLogUpdated) names chat {}, which no ChatStateChangeMessage to {} named",
                        n.seq, n.actor, n.chat, n.actor
                    ),
                    details: Vec::new(),
                },
                notifications: vec![at_field(&n.actor, n.seq, "chatUri")],
                responses: Vec::new(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn state(id: &str, uri: &str) -> Value {
        json!({"messageType": "ChatStateChangeMessage", "notificationType": "StatusChange",
               "chat": {"id": id, "uri": uri, "state": "Chatting"}})
    }

    fn log(uri: &str, path: Option<&str>) -> Value {
        let mut data = json!({"messageType": "MessageLogUpdated", "chatUri": uri, "messages": []});
        if let Some(path) = path {
            data["chatPath"] = json!(path);
        }
        data
    }

    #[test]
    fn any_origin_and_context_path_pass_when_the_ids_agree() {
        let mut checker = ChatReferences::new();
        for (n, uri) in [
            "http://127.0.0.1:8090/api/v2/chats/C1",
            "https://gws.example/cloud-web/api/v2/chats/C1",
            "http://10.10.15.212:9090/api/v2/chats/C1",
        ]
        .into_iter()
        .enumerate()
        {
            let seq = n as u64 * 2;
            assert!(
                checker
                    .observe("sup", seq, CHATS_CHANNEL, &state("C1", uri))
                    .is_empty()
            );
            let named = log(uri, Some("/chats/C1"));
            assert!(
                checker
                    .observe("sup", seq + 1, CHATS_CHANNEL, &named)
                    .is_empty()
            );
        }
        assert!(checker.finish().is_empty());
    }

    #[test]
    fn a_uri_naming_another_chat_fails() {
        let mut checker = ChatReferences::new();
        let findings = checker.observe(
            "a",
            1,
            CHATS_CHANNEL,
            &state("C1", "http://h/api/v2/chats/C2"),
        );
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].finding.requirement, REFERENCE_REQUIREMENT);
        assert!(
            findings[0].finding.message.contains("names chat C2"),
            "{}",
            findings[0].finding.message
        );
        assert_eq!(
            findings[0].notifications[0].path.as_deref(),
            Some("chat.uri")
        );
        let bad = checker.observe(
            "a",
            2,
            CHATS_CHANNEL,
            &state("C1", "http://h/api/v2/users/C1"),
        );
        assert!(
            bad[0].finding.message.contains("not a chat resource"),
            "{}",
            bad[0].finding.message
        );
        let split = log("http://h/api/v2/chats/C1", Some("/chats/C9"));
        let findings = checker.observe("a", 3, CHATS_CHANNEL, &split);
        assert!(
            findings[0].finding.message.contains("different chats"),
            "{}",
            findings[0].finding.message
        );
        assert_eq!(
            findings[0].notifications[0].path.as_deref(),
            Some("chatPath")
        );
    }

    #[test]
    fn a_log_naming_a_chat_the_party_was_never_told_of_fails_at_finish() {
        let mut checker = ChatReferences::new();
        // The log may come first (an order the documents leave open): decided at the end.
        assert!(
            checker
                .observe(
                    "a",
                    1,
                    CHATS_CHANNEL,
                    &log("http://h/api/v2/chats/C1", None)
                )
                .is_empty()
        );
        assert!(
            checker
                .observe(
                    "a",
                    2,
                    CHATS_CHANNEL,
                    &state("C1", "http://h/api/v2/chats/C1")
                )
                .is_empty()
        );
        assert!(
            checker
                .observe(
                    "a",
                    3,
                    CHATS_CHANNEL,
                    &log("http://h/api/v2/chats/C7", None)
                )
                .is_empty()
        );
        // Another party's chat is not this party's.
        assert!(
            checker
                .observe(
                    "b",
                    1,
                    CHATS_CHANNEL,
                    &state("C7", "http://h/api/v2/chats/C7")
                )
                .is_empty()
        );
        let findings = checker.finish();
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert!(
            findings[0].finding.message.contains("names chat C7"),
            "{}",
            findings[0].finding.message
        );
        assert_eq!(
            (
                findings[0].notifications[0].seq,
                findings[0].notifications[0].path.as_deref()
            ),
            (3, Some("chatUri")),
            "located where it was judged"
        );
    }

    #[test]
    fn chat_notifications_on_another_channel_fail_and_others_are_left_alone() {
        let mut checker = ChatReferences::new();
        let findings = checker.observe(
            "a",
            1,
            "/v2/me/channels",
            &state("C1", "http://h/api/v2/chats/C1"),
        );
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].finding.requirement, CHANNEL_REQUIREMENT);
        let channels = json!({"messageType": "ChannelStateChangeMessageV2", "channels": []});
        assert!(
            checker
                .observe("a", 2, "/v2/me/channels", &channels)
                .is_empty()
        );
        for weird in [
            json!(null),
            json!({"messageType": "MessageLogUpdated", "chatUri": 3}),
            json!({"messageType": "ChatStateChangeMessage", "chat": []}),
        ] {
            assert!(
                checker.observe("a", 3, CHATS_CHANNEL, &weird).is_empty(),
                "{weird}"
            );
        }
        assert!(checker.finish().is_empty());
    }
}
