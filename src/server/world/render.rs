//! Rendering of chats, participants and messages as the JSON a given viewer is shown, and the
//! notification envelopes (`ChatStateChangeMessage`, `MessageLogUpdated`) that carry them.

use serde_json::{Map, Value, json};

use super::model::{Audience, Author, Chat, Member, MemberStatus, Message, Visibility};
use crate::server::clock::format_millis_at;
use crate::server::faults::{Fault, Faults};
use crate::server::variants::Variants;

/// The wire `state` of a chat as a member sees it.
pub fn member_state(member: &Member) -> &'static str {
    match member.status {
        MemberStatus::Invited(_) => "Invited",
        MemberStatus::Chatting => "Chatting",
        MemberStatus::LeftChat => "LeftChat",
    }
}

/// Renders URIs against the server's public base URL.
#[derive(Debug, Clone)]
pub struct Renderer {
    base: String,
    faults: Faults,
    variants: Variants,
}

impl Renderer {
    /// A renderer for a server reachable at `base` (`http://host:port`, no trailing slash).
    pub fn new(base: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            faults: Faults::NONE,
            variants: Variants::NONE,
        }
    }

    /// This renderer with the seeded `faults` switched on.
    pub fn with_faults(self, faults: Faults) -> Self {
        Self { faults, ..self }
    }

    /// This renderer with the legal `variants` switched on.
    pub fn with_variants(self, variants: Variants) -> Self {
        Self { variants, ..self }
    }

    /// The legal variants the server runs with.
    pub fn variants(&self) -> Variants {
        self.variants
    }

    /// A GWS timestamp of epoch milliseconds, in the server's time zone.
    fn timestamp(&self, millis: u64) -> String {
        format_millis_at(millis, self.variants.utc_offset_minutes())
    }

    /// The URI of a chat resource.
    pub fn chat_uri(&self, chat_id: &str) -> String {
        format!("{}/api/v2/chats/{chat_id}", self.base)
    }

    /// The URI of a user resource.
    pub fn user_uri(&self, user_id: &str) -> String {
        format!("{}/api/v2/users/{user_id}", self.base)
    }

    fn participant(&self, author: &Author) -> Value {
        let mut p = Map::new();
        p.insert("nickname".into(), json!(author.nickname));
        p.insert("type".into(), json!(author.kind.as_str()));
        if let Some(user_id) = &author.user_id {
            p.insert("uri".into(), json!(self.user_uri(user_id)));
        }
        p.insert("visibility".into(), json!(author.visibility.as_str()));
        p.insert("participantId".into(), json!(author.participant_id));
        Value::Object(p)
    }

    /// The participants `audience` is shown: chatting members it may see, then the customer.
    pub fn participants(&self, chat: &Chat, audience: Audience) -> Vec<Value> {
        let mut list: Vec<Value> = chat
            .members
            .iter()
            .filter(|m| m.status == MemberStatus::Chatting && audience.sees(m.visibility()))
            .map(|m| self.participant(&chat.author_of(m)))
            .collect();
        let hidden =
            audience == Audience::Supervisor && self.faults.has(Fault::CustomerMissingFromView);
        if chat.customer.active() && !hidden {
            list.push(self.participant(&chat.customer_author()));
        }
        list
    }

    /// The capabilities `viewer` is shown (the seed table's, as the seeded faults alter them).
    pub fn capabilities(&self, viewer: &Member) -> Vec<&'static str> {
        self.faults.listed_capabilities(viewer)
    }

    /// The chat resource as `viewer` sees it now (under the id `viewer` knows it by). With
    /// `empty_participants` the list is `[]`,
    /// as in the documented StatusChange that answers Accept.
    pub fn chat_for(&self, chat: &Chat, viewer: &Member, empty_participants: bool) -> Value {
        let capabilities = self.capabilities(viewer);
        self.chat_with(chat, viewer, &capabilities, empty_participants)
    }

    /// [`Renderer::chat_for`] with the viewer's capabilities already worked out.
    pub fn chat_with(
        &self,
        chat: &Chat,
        viewer: &Member,
        capabilities: &[&'static str],
        empty_participants: bool,
    ) -> Value {
        let participants = if empty_participants {
            Vec::new()
        } else {
            self.participants(chat, viewer.audience())
        };
        let mut c = Map::new();
        c.insert("receivedDate".into(), json!(self.timestamp(chat.received)));
        c.insert("chatType".into(), json!("Inbound"));
        c.insert("capabilities".into(), json!(capabilities));
        c.insert("uri".into(), json!(self.chat_uri(&viewer.chat_id)));
        c.insert("state".into(), json!(member_state(viewer)));
        c.insert("participants".into(), Value::Array(participants));
        if !chat.user_data.is_empty() {
            c.insert("userData".into(), Value::Object(chat.user_data.clone()));
        }
        if let Some(comment) = &chat.comment {
            c.insert("comment".into(), json!(comment));
        }
        c.insert("id".into(), json!(viewer.chat_id));
        Value::Object(c)
    }

    /// The chat resource of a chat that is over for its former member `viewer` (`Completed`,
    /// `Revoked`): empty participants and capabilities, as in the documented Revoked example.
    pub fn ended_chat(&self, chat: &Chat, viewer: &Member, state: &str) -> Value {
        let participants = if self.faults.has(Fault::RevokedWithParticipants) {
            self.participants(chat, Audience::Supervisor)
        } else {
            Vec::new()
        };
        json!({
            "receivedDate": self.timestamp(chat.received),
            "participants": participants,
            "capabilities": [],
            "uri": self.chat_uri(&viewer.chat_id),
            "state": state,
            "id": viewer.chat_id,
        })
    }

    /// A message of the log.
    pub fn message(&self, message: &Message) -> Value {
        let mut m = Map::new();
        m.insert("index".into(), json!(message.index));
        m.insert("from".into(), self.participant(&message.from));
        if let Some(text) = &message.text {
            m.insert("text".into(), json!(text));
        }
        m.insert("timestamp".into(), json!(self.timestamp(message.timestamp)));
        m.insert("visibility".into(), json!(message.visibility.as_str()));
        m.insert("type".into(), json!(message.kind));
        m.insert("timestampSeconds".into(), json!(message.timestamp));
        Value::Object(m)
    }

    /// The messages of `chat` that `audience` may see, from index `from` on.
    pub fn visible_messages(&self, chat: &Chat, audience: Audience, from: u64) -> Vec<Value> {
        // Indexes increase along the log: start at `from` instead of scanning the whole chat.
        let start = chat.messages.partition_point(|m| m.index < from);
        chat.messages[start..]
            .iter()
            .filter(|m| audience.sees(m.visibility))
            .map(|m| self.message(m))
            .collect()
    }

    /// A `MessageLogUpdated` / `NewMessages` notification about the chat its recipient knows
    /// as `chat_id`.
    pub fn message_log(
        &self,
        chat_id: &str,
        messages: Vec<Value>,
        reference: Option<u64>,
    ) -> Value {
        let mut n = Map::new();
        n.insert("messages".into(), Value::Array(messages));
        n.insert("notificationType".into(), json!("NewMessages"));
        n.insert("messageType".into(), json!("MessageLogUpdated"));
        n.insert("chatUri".into(), json!(self.chat_uri(chat_id)));
        n.insert("chatPath".into(), json!(format!("/chats/{chat_id}")));
        if let Some(reference) = reference {
            n.insert("referenceId".into(), json!(reference));
        }
        Value::Object(n)
    }

    /// The customer's view of its chat (`GET /api/v2/chats/{id}`).
    pub fn customer_chat(&self, chat: &Chat) -> Value {
        let state = if !chat.customer.active() {
            "Idle"
        } else if chat
            .members
            .iter()
            .any(|m| m.status == MemberStatus::Chatting && m.visibility() == Visibility::All)
        {
            "Chatting"
        } else {
            "WaitingForAgent"
        };
        let capabilities: &[&str] = if chat.customer.active() {
            &[
                "SendMessage",
                "SendStartTypingNotification",
                "SendStopTypingNotification",
                "Complete",
            ]
        } else {
            &[]
        };
        let audience = if self.faults.has(Fault::CustomerSeesSupervisors) {
            Audience::Supervisor
        } else {
            Audience::Customer
        };
        let participants: Vec<Value> = self
            .participants(chat, audience)
            .into_iter()
            .map(|mut p| {
                // The customer API shows nickname, participantId and type only.
                if let Value::Object(map) = &mut p {
                    map.retain(|k, _| matches!(k.as_str(), "nickname" | "participantId" | "type"));
                }
                p
            })
            .collect();
        json!({
            "id": chat.customer_chat_id,
            "state": state,
            "capabilities": capabilities,
            "participants": participants,
        })
    }
}

/// A `ChatStateChangeMessage` notification around a rendered chat.
pub fn state_change(chat: Value, notification_type: &str, reference: Option<u64>) -> Value {
    let mut n = Map::new();
    n.insert("chat".into(), chat);
    n.insert("notificationType".into(), json!(notification_type));
    n.insert("messageType".into(), json!("ChatStateChangeMessage"));
    if let Some(reference) = reference {
        n.insert("referenceId".into(), json!(reference));
    }
    Value::Object(n)
}
