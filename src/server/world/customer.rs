//! The customer side of a chat (GWS customer chat API): requesting a chat, sending messages
//! and typing notifications, completing, and polling the chat and its messages. The customer
//! is only ever shown `All` content.

use serde_json::{Map, Value};

use super::World;
use super::model::{Audience, Chat, Customer, Visibility};
use crate::server::api_error::ApiError;
use crate::server::clock::now_millis;
use crate::server::faults::Fault;
use crate::server::params::{operation_name, required_string, unknown_operation};

/// A customer operation on `POST /api/v2/chats/{id}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerOp {
    /// `SendMessage` with `text`.
    SendMessage(String),
    /// `SendStartTypingNotification`.
    StartTyping,
    /// `SendStopTypingNotification`.
    StopTyping,
    /// `Complete`: the customer leaves.
    Complete,
}

impl CustomerOp {
    /// Parses a request body.
    pub fn parse(body: &Map<String, Value>) -> Result<Self, ApiError> {
        Ok(match operation_name(body)?.as_str() {
            "SendMessage" => CustomerOp::SendMessage(required_string(body, "text")?),
            "SendStartTypingNotification" => CustomerOp::StartTyping,
            "SendStopTypingNotification" => CustomerOp::StopTyping,
            "Complete" => CustomerOp::Complete,
            other => return Err(unknown_operation(other)),
        })
    }
}

impl World {
    /// `RequestChat` in `contact_center`: creates a chat waiting for one of its agents and
    /// routes it. Returns the customer-side chat id, or 503 (statusCode 13) while the
    /// open-chat cap is reached.
    pub fn request_chat(
        &mut self,
        contact_center: String,
        nickname: String,
        subject: String,
        user_data: Map<String, Value>,
    ) -> Result<String, ApiError> {
        if self.open_chats() >= self.max_open_chats {
            return Err(ApiError::unavailable(format!(
                "The server holds its maximum of {} open chats; try again later",
                self.max_open_chats
            )));
        }
        let chat_id = self.ids.chat_id();
        let customer_chat_id = self.ids.customer_chat_id();
        let now = now_millis();
        let mut chat = Chat {
            id: chat_id.clone(),
            customer_chat_id: customer_chat_id.clone(),
            received: now,
            subject,
            customer: Customer {
                participant_id: self.ids.participant_id(),
                nickname,
                present: true,
                session_closed: false,
                read_cursor: 1,
            },
            members: Vec::new(),
            messages: Vec::new(),
            user_data,
            comment: None,
            declined_by: Vec::new(),
            numbering: self.variants.numbering(),
            contact_center,
        };
        let author = chat.customer_author();
        chat.push_message("ParticipantJoined", author, None, Visibility::All, now);
        self.chats.insert(chat_id.clone(), chat);
        self.customer_index
            .insert(customer_chat_id.clone(), chat_id.clone());
        self.queue.push_back(chat_id);
        self.route();
        Ok(customer_chat_id)
    }

    fn customer_chat(&self, customer_chat_id: &str) -> Result<&Chat, ApiError> {
        self.customer_index
            .get(customer_chat_id)
            .and_then(|id| self.chats.get(id))
            .ok_or_else(|| ApiError::not_found(format!("Chat {customer_chat_id} not found")))
    }

    /// A customer operation.
    pub fn customer_operation(
        &mut self,
        customer_chat_id: &str,
        op: CustomerOp,
    ) -> Result<(), ApiError> {
        let chat = self.customer_chat(customer_chat_id)?;
        if !chat.customer.active() {
            // Completing twice is harmless; anything else needs a live chat.
            return match op {
                CustomerOp::Complete => Ok(()),
                _ => Err(ApiError::wrong_state("The chat session is over")),
            };
        }
        let chat_id = chat.id.clone();
        let Some((chat, mut emit)) = self.chat_and_emitter(&chat_id) else {
            return Ok(());
        };
        let author = chat.customer_author();
        let now = now_millis();
        let index = match op {
            CustomerOp::SendMessage(text) => {
                chat.push_message("Text", author, Some(text), Visibility::All, now)
            }
            CustomerOp::StartTyping => {
                chat.push_message("TypingStarted", author, None, Visibility::All, now)
            }
            CustomerOp::StopTyping => {
                chat.push_message("TypingStopped", author, None, Visibility::All, now)
            }
            CustomerOp::Complete => {
                let index =
                    chat.push_message("ParticipantLeft", author, None, Visibility::All, now);
                chat.customer.present = false;
                emit.participants_changed(chat, Visibility::All, index, None, &[]);
                let unattended = !chat.has_chatting_agent();
                if unattended {
                    // Nobody took the chat yet: the offer is withdrawn and the chat is over.
                    self.revoke_all_but(&chat_id, None);
                    self.close_chat(&chat_id);
                }
                return Ok(());
            }
        };
        emit.new_messages(chat, index, None);
        Ok(())
    }

    /// The customer's view of the chat (`GET /api/v2/chats/{id}`).
    pub fn customer_view(&self, customer_chat_id: &str) -> Result<Value, ApiError> {
        let chat = self.customer_chat(customer_chat_id)?;
        Ok(self.render.customer_chat(chat))
    }

    /// `GET /api/v2/chats/{id}/messages[?index=N]`: the `All` messages from index N on, or
    /// without N those not fetched yet.
    pub fn customer_messages(
        &mut self,
        customer_chat_id: &str,
        from: Option<u64>,
    ) -> Result<Vec<Value>, ApiError> {
        let chat = self.customer_chat(customer_chat_id)?;
        let chat_id = chat.id.clone();
        let start = match from {
            // One entry too many: from the last entry before N.
            Some(n) if self.faults.has(Fault::TranscriptIndexOffByOne) => chat
                .messages
                .iter()
                .rev()
                .find(|m| m.index < n && Audience::Customer.sees(m.visibility))
                .map_or(n, |m| m.index),
            Some(n) => n,
            None if self.faults.has(Fault::TranscriptRepeatsReceived) => 0,
            None => chat.customer.read_cursor,
        };
        let audience = if self.faults.has(Fault::CustomerSeesAgentMessages) {
            Audience::Agent
        } else {
            Audience::Customer
        };
        let messages: Vec<Value> = self
            .render
            .visible_messages(chat, audience, start)
            .into_iter()
            .map(strip_for_customer)
            .collect();
        let next = chat.messages.last().map_or(1, |m| m.index + 1);
        if let Some(chat) = self.chats.get_mut(&chat_id) {
            chat.customer.read_cursor = chat.customer.read_cursor.max(next);
        }
        Ok(messages)
    }
}

/// The customer API shows messages without the agent-side `visibility` and user URIs.
fn strip_for_customer(mut message: Value) -> Value {
    if let Value::Object(map) = &mut message {
        map.remove("visibility");
        if let Some(Value::Object(from)) = map.get_mut("from") {
            from.retain(|k, _| matches!(k.as_str(), "nickname" | "participantId" | "type"));
        }
    }
    message
}
