//! Agents' contact-centre sessions on the chat channel (StartContactCenterSession, Ready,
//! NotReady, EndContactCenterSession) and the routing of waiting chats to Ready agents.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::emit::CHANNELS_CHANNEL;
use super::model::{AgentKind, MemberStatus};
use super::{ChannelState, Delivery, World};
use crate::server::api_error::ApiError;
use crate::server::faults::Fault;
use crate::server::variants::Variant;

/// Fixed ids of the agent states, as GWS reports a configured state's GUID.
fn user_state(state: Option<ChannelState>) -> Value {
    let (state, display, id) = match state {
        Some(ChannelState::Ready(_)) => ("Ready", "Ready", "9430250E-0A1B-421F-B372-F29E69366DED"),
        Some(ChannelState::NotReady) => (
            "NotReady",
            "Not Ready",
            "900D55CC-2BB0-431F-8BF9-D3525B383BE6",
        ),
        None => (
            "LoggedOut",
            "Logged Out",
            "2C0BDE65-6B5B-4B8F-9E5A-0D1C0C4D1E27",
        ),
    };
    json!({"state": state, "displayName": display, "id": id})
}

impl World {
    /// The channels resource (`GET /api/v2/me/channels?fields=*`).
    pub fn channels_of(&self, user_id: &str) -> Value {
        json!([{"channel": "chat", "userState": user_state(self.sessions.get(user_id).copied())}])
    }

    fn announce_channel_state(&mut self, user_id: &str) {
        let data = json!({
            "messageType": "ChannelStateChangeMessageV2",
            "channels": self.channels_of(user_id),
        });
        self.outbox.push(Delivery {
            user_id: user_id.to_owned(),
            channel: CHANNELS_CHANNEL,
            data: data.into(),
        });
    }

    /// `StartContactCenterSession`: logs the user in on the chat channel, Not Ready (Ready
    /// under [`Variant::AgentsStartReady`]). Starting an already started session is a no-op
    /// success.
    pub fn start_session(&mut self, user_id: &str, channels: &[String]) -> Result<(), ApiError> {
        if !channels.iter().any(|c| c == "chat") {
            return Err(ApiError::invalid(
                "This server implements the 'chat' channel only; include it in 'channels'",
            ));
        }
        if !self.sessions.contains_key(user_id) {
            let state = if self.variants.has(Variant::AgentsStartReady) {
                self.next_ready += 1;
                ChannelState::Ready(self.next_ready)
            } else {
                ChannelState::NotReady
            };
            self.sessions.insert(user_id.to_owned(), state);
            self.announce_channel_state(user_id);
            self.route();
        }
        Ok(())
    }

    /// `Ready`/`NotReady` on the chat channel. A Ready agent is offered waiting chats.
    pub fn set_ready(&mut self, user_id: &str, ready: bool) -> Result<(), ApiError> {
        let current = *self.sessions.get(user_id).ok_or_else(|| {
            ApiError::wrong_state("No contact center session: call StartContactCenterSession first")
        })?;
        let next = match (ready, current) {
            (true, ChannelState::Ready(since)) => ChannelState::Ready(since),
            (true, ChannelState::NotReady) => {
                self.next_ready += 1;
                ChannelState::Ready(self.next_ready)
            }
            (false, _) => ChannelState::NotReady,
        };
        self.sessions.insert(user_id.to_owned(), next);
        if next != current {
            self.announce_channel_state(user_id);
        }
        self.route();
        Ok(())
    }

    /// `EndContactCenterSession`: logs the user out, ends its supervisor monitoring, and
    /// leaves every chat it is in (offers are rejected, chats it is alone in are ended).
    pub fn end_session(&mut self, user_id: &str) {
        if !self.faults.has(Fault::LogoutKeepsMonitoring) {
            self.end_monitoring_by(user_id);
        }
        let mut involved: Vec<(u64, String)> = self
            .chats
            .values()
            .filter(|c| c.member(user_id).is_some())
            .map(|c| (c.received, c.id.clone()))
            .collect();
        involved.sort();
        for (_, chat_id) in involved {
            self.leave_on_logout(user_id, &chat_id);
        }
        if self.sessions.remove(user_id).is_some() {
            self.announce_channel_state(user_id);
        }
        self.route();
    }

    fn leave_on_logout(&mut self, user_id: &str, chat_id: &str) {
        let Some(chat) = self.chats.get(chat_id) else {
            return;
        };
        let Some(member) = chat.member(user_id) else {
            return;
        };
        let status = member.status.clone();
        let alone = member.is_agent() && !chat.has_agent_besides(user_id);
        // Nothing the user sent asked for this: the notifications carry no referenceId.
        let reference = None;
        match status {
            MemberStatus::Invited(None) => {
                self.remove_member(chat_id, user_id, "Revoked", reference);
                if let Some(chat) = self.chats.get_mut(chat_id) {
                    chat.declined_by.push(user_id.to_owned());
                }
                self.queue.push_front(chat_id.to_owned());
            }
            MemberStatus::Invited(Some(_)) => {
                self.remove_member(chat_id, user_id, "Revoked", reference);
            }
            MemberStatus::Chatting if alone => {
                self.end_chat(chat_id, user_id, reference);
            }
            MemberStatus::Chatting | MemberStatus::LeftChat => {
                self.remove_and_announce(chat_id, user_id, "Completed", reference);
                self.revoke_if_unattended(chat_id);
            }
        }
    }

    /// Offers waiting chats, oldest first, each to the Ready agent with the fewest active chats
    /// (ties: the one Ready longest; under [`Variant::RoutingNewestReady`], the one Ready most
    /// recently, whatever its load), skipping agents that declined it, are already in it or
    /// work in another contact centre than the one it was requested in.
    pub(super) fn route(&mut self) {
        if self.queue.is_empty() {
            return;
        }
        let mut load: HashMap<&str, usize> = HashMap::new();
        for chat in self.chats.values() {
            for member in &chat.members {
                if member.status != MemberStatus::LeftChat {
                    *load.entry(member.user_id.as_str()).or_default() += 1;
                }
            }
        }
        let mut load: HashMap<String, usize> =
            load.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        let newest_first = self.variants.has(Variant::RoutingNewestReady);
        let waiting: Vec<String> = self.queue.drain(..).collect();
        for chat_id in waiting {
            let Some(chat) = self.chats.get(&chat_id) else {
                continue;
            };
            if !chat.customer.active() {
                continue;
            }
            let chosen = self
                .sessions
                .iter()
                .filter_map(|(user, state)| match state {
                    ChannelState::Ready(since) => Some((user, *since)),
                    ChannelState::NotReady => None,
                })
                .filter(|(user, _)| {
                    !chat.declined_by.iter().any(|d| d == *user)
                        && chat.member(user).is_none()
                        && self
                            .directory
                            .by_id(user)
                            .is_some_and(|u| u.contact_center_id == chat.contact_center)
                })
                .min_by_key(|(user, since)| {
                    if newest_first {
                        (0, u64::MAX - *since)
                    } else {
                        (load.get(user.as_str()).copied().unwrap_or(0), *since)
                    }
                })
                .map(|(user, _)| user.clone());
            match chosen {
                Some(agent) => {
                    *load.entry(agent.clone()).or_default() += 1;
                    self.offer(&chat_id, &agent, None, AgentKind::Primary);
                }
                None => self.queue.push_back(chat_id),
            }
        }
    }
}
