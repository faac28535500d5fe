//! Chat operations (`POST /api/v2/me/chats/{id}` with `operationName`): parsing the request
//! body, checking the caller's capabilities, and carrying each one out.

use serde_json::{Map, Value};

use super::World;
use super::capabilities;
use super::model::{AgentKind, Invitation, Member, MemberRole, MemberStatus, Mode, Visibility};
use crate::server::api_error::ApiError;
use crate::server::clock::now_millis;
use crate::server::faults::Fault;
use crate::server::params::{
    operation_name, optional_string as string_param, required_string, unknown_operation,
};
use crate::server::variants::Variant;

/// Where a Transfer sends the chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An agent, by user id (from `targetUri`/`targetPath`).
    Agent(String),
    /// A queue, by name (`queueName`).
    Queue(String),
}

/// A parsed chat operation. The variant name is the `operationName` and the capability.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)] // the fields are the documented request parameters
pub enum ChatOp {
    Accept {
        nickname: Option<String>,
    },
    Reject,
    Leave {
        text: Option<String>,
    },
    Complete {
        text: Option<String>,
    },
    SendMessage {
        text: String,
    },
    SendStartTypingNotification,
    SendStopTypingNotification,
    SendToAgents {
        text: String,
    },
    SendStartTypingToAgentsNotification,
    SendStopTypingToAgentsNotification,
    SetInFocus,
    SetDisposition {
        disposition: String,
        key: String,
    },
    AttachUserData {
        user_data: Map<String, Value>,
    },
    UpdateUserData {
        user_data: Map<String, Value>,
    },
    DeleteUserData {
        keys: Vec<String>,
    },
    AddComment {
        comment: String,
    },
    Transfer {
        target: Target,
        text: Option<String>,
    },
    Invite {
        agent: String,
    },
    Consult {
        agent: String,
    },
    SwitchTo(Mode),
}

/// The documented default key SetDisposition writes to.
const DEFAULT_DISPOSITION_KEY: &str = "DispositionCode";

fn user_data_param(body: &Map<String, Value>) -> Result<Map<String, Value>, ApiError> {
    match body.get("userData") {
        None | Some(Value::Null) => Err(ApiError::missing("userData")),
        Some(Value::Object(map)) => {
            if map.is_empty() {
                return Err(ApiError::missing("userData"));
            }
            if let Some((key, _)) = map.iter().find(|(_, v)| v.is_object() || v.is_array()) {
                return Err(ApiError::invalid(format!(
                    "userData value of '{key}' must be a string, number or boolean"
                )));
            }
            Ok(map.clone())
        }
        Some(_) => Err(ApiError::invalid("Parameter 'userData' must be an object")),
    }
}

/// The optional last message of Leave, Complete and Transfer (`text`; `messageType` and
/// `treatAs` are accepted with it and not echoed, as GWS's `includeMessageType` option is off
/// by default).
fn closing_text(body: &Map<String, Value>) -> Result<Option<String>, ApiError> {
    Ok(string_param(body, "text")?.filter(|t| !t.is_empty()))
}

/// The user id at the end of a user URI or path (`.../users/{id}`).
pub fn user_id_from_uri(uri: &str) -> Option<&str> {
    let (_, id) = uri.trim_end_matches('/').rsplit_once("/users/")?;
    (!id.is_empty() && !id.contains('/')).then_some(id)
}

fn agent_target(body: &Map<String, Value>) -> Result<Option<String>, ApiError> {
    let uri = match string_param(body, "targetUri")? {
        Some(uri) => Some(uri),
        None => string_param(body, "targetPath")?,
    };
    match uri {
        None => Ok(None),
        Some(uri) => user_id_from_uri(&uri)
            .map(|id| Some(id.to_owned()))
            .ok_or_else(|| {
                ApiError::invalid(format!(
                    "'{uri}' is not a user URI (.../api/v2/users/{{id}})"
                ))
            }),
    }
}

impl ChatOp {
    /// Parses a request body; unknown operations and missing or mistyped parameters are errors.
    pub fn parse(body: &Map<String, Value>) -> Result<Self, ApiError> {
        let name = operation_name(body)?;
        Ok(match name.as_str() {
            "Accept" => ChatOp::Accept {
                nickname: string_param(body, "nickname")?.filter(|n| !n.is_empty()),
            },
            "Reject" => ChatOp::Reject,
            "Leave" => ChatOp::Leave {
                text: closing_text(body)?,
            },
            "Complete" => ChatOp::Complete {
                text: closing_text(body)?,
            },
            "SendMessage" => ChatOp::SendMessage {
                text: required_string(body, "text")?,
            },
            "SendStartTypingNotification" => ChatOp::SendStartTypingNotification,
            "SendStopTypingNotification" => ChatOp::SendStopTypingNotification,
            "SendToAgents" => ChatOp::SendToAgents {
                text: required_string(body, "text")?,
            },
            "SendStartTypingToAgentsNotification" => ChatOp::SendStartTypingToAgentsNotification,
            "SendStopTypingToAgentsNotification" => ChatOp::SendStopTypingToAgentsNotification,
            "SetInFocus" => ChatOp::SetInFocus,
            "SetDisposition" => ChatOp::SetDisposition {
                disposition: required_string(body, "disposition")?,
                key: string_param(body, "dispositionKey")?
                    .filter(|k| !k.is_empty())
                    .unwrap_or_else(|| DEFAULT_DISPOSITION_KEY.to_owned()),
            },
            "AttachUserData" => ChatOp::AttachUserData {
                user_data: user_data_param(body)?,
            },
            "UpdateUserData" => ChatOp::UpdateUserData {
                user_data: user_data_param(body)?,
            },
            "DeleteUserData" => ChatOp::DeleteUserData {
                keys: match body.get("keys") {
                    Some(Value::Array(keys)) if !keys.is_empty() => keys
                        .iter()
                        .map(|k| k.as_str().map(str::to_owned))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| {
                            ApiError::invalid("Parameter 'keys' must be an array of strings")
                        })?,
                    None | Some(Value::Null) | Some(Value::Array(_)) => {
                        return Err(ApiError::missing("keys"));
                    }
                    Some(_) => {
                        return Err(ApiError::invalid(
                            "Parameter 'keys' must be an array of strings",
                        ));
                    }
                },
            },
            "AddComment" => ChatOp::AddComment {
                comment: required_string(body, "comment")?,
            },
            "Transfer" => ChatOp::Transfer {
                text: closing_text(body)?,
                target: match (agent_target(body)?, string_param(body, "queueName")?) {
                    (Some(agent), None) => Target::Agent(agent),
                    (None, Some(queue)) if !queue.is_empty() => Target::Queue(queue),
                    (Some(_), Some(_)) => {
                        return Err(ApiError::invalid(
                            "Give either 'targetUri' or 'queueName', not both",
                        ));
                    }
                    _ => return Err(ApiError::missing("targetUri")),
                },
            },
            "Invite" => ChatOp::Invite {
                agent: agent_target(body)?.ok_or_else(|| ApiError::missing("targetUri"))?,
            },
            "Consult" => ChatOp::Consult {
                agent: agent_target(body)?.ok_or_else(|| ApiError::missing("targetUri"))?,
            },
            "SwitchToMonitor" => ChatOp::SwitchTo(Mode::Monitor),
            "SwitchToCoach" => ChatOp::SwitchTo(Mode::Coach),
            "SwitchToBargeIn" => ChatOp::SwitchTo(Mode::BargeIn),
            other => return Err(unknown_operation(other)),
        })
    }

    /// The `operationName`, which is also the capability that allows it.
    pub fn name(&self) -> &'static str {
        match self {
            ChatOp::Accept { .. } => "Accept",
            ChatOp::Reject => "Reject",
            ChatOp::Leave { .. } => "Leave",
            ChatOp::Complete { .. } => "Complete",
            ChatOp::SendMessage { .. } => "SendMessage",
            ChatOp::SendStartTypingNotification => "SendStartTypingNotification",
            ChatOp::SendStopTypingNotification => "SendStopTypingNotification",
            ChatOp::SendToAgents { .. } => "SendToAgents",
            ChatOp::SendStartTypingToAgentsNotification => "SendStartTypingToAgentsNotification",
            ChatOp::SendStopTypingToAgentsNotification => "SendStopTypingToAgentsNotification",
            ChatOp::SetInFocus => "SetInFocus",
            ChatOp::SetDisposition { .. } => "SetDisposition",
            ChatOp::AttachUserData { .. } => "AttachUserData",
            ChatOp::UpdateUserData { .. } => "UpdateUserData",
            ChatOp::DeleteUserData { .. } => "DeleteUserData",
            ChatOp::AddComment { .. } => "AddComment",
            ChatOp::Transfer { .. } => "Transfer",
            ChatOp::Invite { .. } => "Invite",
            ChatOp::Consult { .. } => "Consult",
            ChatOp::SwitchTo(Mode::Monitor) => "SwitchToMonitor",
            ChatOp::SwitchTo(Mode::Coach) => "SwitchToCoach",
            ChatOp::SwitchTo(Mode::BargeIn) => "SwitchToBargeIn",
        }
    }
}

impl World {
    /// Carries out `op` by `user_id` on chat `chat_id`; returns the `referenceId` that the
    /// notifications it caused to the caller carry.
    pub fn chat_operation(
        &mut self,
        user_id: &str,
        chat_id: &str,
        op: ChatOp,
    ) -> Result<u64, ApiError> {
        let (chat, member) = self.membership(user_id, chat_id)?;
        let unchecked = member.mode().is_some() && self.faults.has(Fault::CapabilitiesNotEnforced);
        let deserted = matches!(op, ChatOp::SwitchTo(_))
            && self.faults.has(Fault::SwitchRefusedAfterAgentLeft)
            && matches!(&member.role, MemberRole::Supervisor { monitored, .. }
                if chat.member(monitored).is_none_or(|m| m.status != MemberStatus::Chatting));
        if (!capabilities::of(member).contains(&op.name()) && !unchecked) || deserted {
            let refusal = ApiError::forbidden(format!(
                "Operation {} is not among your capabilities in chat {chat_id}",
                op.name()
            ));
            return Err(self
                .faults
                .capability_refusal(self.variants.capability_refusal(refusal)));
        }
        // From here on the chat's own id: `chat_id` may be the caller's own id for it.
        let chat_id = &chat.id.clone();
        self.validate_target(user_id, chat_id, &op)?;
        let reference = self.next_reference();
        self.apply(user_id, chat_id, op, reference);
        self.route();
        Ok(reference)
    }

    /// Checks an agent target (Transfer, Invite, Consult) before anything changes.
    fn validate_target(&self, user_id: &str, chat_id: &str, op: &ChatOp) -> Result<(), ApiError> {
        let agent = match op {
            ChatOp::Transfer {
                target: Target::Agent(agent),
                ..
            } => agent,
            ChatOp::Invite { agent } | ChatOp::Consult { agent } => agent,
            _ => return Ok(()),
        };
        let target = self
            .directory
            .by_id(agent)
            .ok_or_else(|| ApiError::not_found(format!("User {agent} not found")))?;
        if agent == user_id {
            return Err(ApiError::wrong_state("The target is yourself"));
        }
        if !self.sessions.contains_key(agent) {
            return Err(ApiError::wrong_state(format!(
                "Agent {} is not logged in on the chat channel",
                target.user_name
            )));
        }
        if self
            .chats
            .get(chat_id)
            .is_some_and(|c| c.member(agent).is_some())
        {
            return Err(ApiError::wrong_state(format!(
                "Agent {} is already in this chat",
                target.user_name
            )));
        }
        Ok(())
    }

    fn apply(&mut self, user_id: &str, chat_id: &str, op: ChatOp, reference: u64) {
        let requester = Some((user_id, reference));
        // Leave, Complete and Transfer may carry a last message, sent before the member goes.
        if let ChatOp::Leave { text: Some(text) }
        | ChatOp::Complete { text: Some(text) }
        | ChatOp::Transfer {
            text: Some(text), ..
        } = &op
        {
            self.say(
                user_id,
                chat_id,
                "Text",
                Some(text.clone()),
                Visibility::All,
                reference,
            );
        }
        match op {
            ChatOp::Accept { nickname } => self.accept(user_id, chat_id, nickname, reference),
            ChatOp::Reject => self.reject(user_id, chat_id, reference),
            ChatOp::Leave { .. } => self.leave(user_id, chat_id, reference),
            ChatOp::Complete { .. } => self.end_chat(chat_id, user_id, Some(reference)),
            ChatOp::SendMessage { text } => {
                let supervisor = self
                    .chats
                    .get(chat_id)
                    .and_then(|c| c.member(user_id))
                    .is_some_and(|m| m.mode().is_some());
                let visibility =
                    if supervisor && self.faults.has(Fault::SupervisorMessageAgentsOnly) {
                        Visibility::Agents
                    } else {
                        Visibility::All
                    };
                self.say(user_id, chat_id, "Text", Some(text), visibility, reference)
            }
            ChatOp::SendStartTypingNotification => {
                let supervisor = self
                    .chats
                    .get(chat_id)
                    .and_then(|c| c.member(user_id))
                    .is_some_and(|m| m.mode().is_some());
                let visibility = if supervisor && self.faults.has(Fault::SupervisorTypingAgentsOnly)
                {
                    Visibility::Agents
                } else {
                    Visibility::All
                };
                self.say(
                    user_id,
                    chat_id,
                    "TypingStarted",
                    None,
                    visibility,
                    reference,
                )
            }
            ChatOp::SendStopTypingNotification => self.say(
                user_id,
                chat_id,
                "TypingStopped",
                None,
                Visibility::All,
                reference,
            ),
            ChatOp::SendToAgents { text } => self.say(
                user_id,
                chat_id,
                "Text",
                Some(text),
                Visibility::Agents,
                reference,
            ),
            ChatOp::SendStartTypingToAgentsNotification => self.say(
                user_id,
                chat_id,
                "TypingStarted",
                None,
                Visibility::Agents,
                reference,
            ),
            ChatOp::SendStopTypingToAgentsNotification => self.say(
                user_id,
                chat_id,
                "TypingStopped",
                None,
                Visibility::Agents,
                reference,
            ),
            // Documented as a plain success; it changes nothing others can see.
            ChatOp::SetInFocus => {
                if self.variants.has(Variant::SetInFocusNotifies)
                    && let Some((chat, mut emit)) = self.chat_and_emitter(chat_id)
                {
                    emit.properties_changed(chat, (user_id, reference));
                }
            }
            ChatOp::SetDisposition { disposition, key } => {
                let key = if key == DEFAULT_DISPOSITION_KEY
                    && self.faults.has(Fault::DispositionUnderOtherKey)
                {
                    "Disposition".to_owned()
                } else {
                    key
                };
                self.update_properties(chat_id, requester, |chat| {
                    chat.user_data.insert(key, Value::String(disposition));
                })
            }
            ChatOp::AttachUserData { user_data } => {
                self.update_properties(chat_id, requester, |chat| chat.user_data.extend(user_data))
            }
            ChatOp::UpdateUserData { user_data } => {
                let kept = !self.faults.has(Fault::UpdateUserDataIgnored);
                self.update_properties(chat_id, requester, |chat| {
                    if kept {
                        chat.user_data.extend(user_data);
                    }
                })
            }
            ChatOp::DeleteUserData { keys } => {
                let kept = !self.faults.has(Fault::DeleteUserDataIgnored);
                self.update_properties(chat_id, requester, |chat| {
                    for key in keys.iter().filter(|_| kept) {
                        chat.user_data.remove(key);
                    }
                })
            }
            ChatOp::AddComment { comment } => {
                let kept = !self.faults.has(Fault::AddCommentNotStored);
                self.update_properties(chat_id, requester, |chat| {
                    if kept {
                        chat.comment = Some(comment);
                    }
                })
            }
            ChatOp::Transfer { target, .. } => self.transfer(user_id, chat_id, target, reference),
            ChatOp::Invite { agent } => {
                let kind = if self.faults.has(Fault::InviteAsConsult) {
                    AgentKind::Consultant
                } else {
                    AgentKind::Conference
                };
                self.invite(user_id, chat_id, agent, kind, reference)
            }
            ChatOp::Consult { agent } => {
                let kind = if self.faults.has(Fault::ConsultAsConference) {
                    AgentKind::Conference
                } else {
                    AgentKind::Consultant
                };
                self.invite(user_id, chat_id, agent, kind, reference)
            }
            ChatOp::SwitchTo(mode) => {
                let from = self
                    .chats
                    .get(chat_id)
                    .and_then(|c| c.member(user_id))
                    .and_then(|m| m.mode());
                if self.faults.has(Fault::RevokedOnSwitchToMonitor)
                    && (from, mode) == (Some(Mode::Coach), Mode::Monitor)
                {
                    self.remove_and_announce(chat_id, user_id, "Revoked", None);
                    return;
                }
                let chat_id = self.switched_chat(user_id, chat_id);
                self.switch_mode(user_id, &chat_id, mode, reference)
            }
        }
    }

    /// The chat a mode switch applies to: the one it was asked in, or, under
    /// [`Fault::SwitchInSecondChatSwitchesFirst`], the supervisor's oldest other chat.
    fn switched_chat(&self, user_id: &str, chat_id: &str) -> String {
        if !self.faults.has(Fault::SwitchInSecondChatSwitchesFirst) {
            return chat_id.to_owned();
        }
        self.chats
            .values()
            .filter(|c| c.id != chat_id)
            .filter(|c| {
                c.member(user_id)
                    .is_some_and(|m| m.status == MemberStatus::Chatting)
            })
            .min_by_key(|c| (c.received, c.id.clone()))
            .map_or_else(|| chat_id.to_owned(), |c| c.id.clone())
    }

    fn accept(&mut self, user_id: &str, chat_id: &str, nickname: Option<String>, reference: u64) {
        let Some(chat) = self.chats.get_mut(chat_id) else {
            return;
        };
        let Some(position) = chat.members.iter().position(|m| m.user_id == user_id) else {
            return;
        };
        let member = &mut chat.members[position];
        let invitation = match std::mem::replace(&mut member.status, MemberStatus::Chatting) {
            MemberStatus::Invited(invitation) => invitation,
            _ => None,
        };
        if let Some(nickname) = nickname {
            member.nickname = nickname;
        }
        let visibility = member.visibility();
        let author = chat.author_of(&chat.members[position]);
        let joined = chat.push_message("ParticipantJoined", author, None, visibility, now_millis());
        let inviter = invitation
            .as_ref()
            .map(|i| (i.inviter.as_str(), i.reference));
        // Documented Accept sequence to the agent: StatusChange (participants []),
        // ParticipantsUpdated, history. Under merged-join it comes after the supervisors
        // monitoring the agent joined, so it already shows them.
        let merged = self.variants.has(Variant::MergedJoin);
        let Some((chat, mut emit)) = self.chat_and_emitter(chat_id) else {
            return;
        };
        if !merged {
            emit.accepted(chat, user_id, reference);
        }
        emit.participants_changed(chat, visibility, joined, inviter, &[user_id]);
        self.join_monitoring_supervisors(chat_id, user_id, merged);
        if merged && let Some((chat, mut emit)) = self.chat_and_emitter(chat_id) {
            emit.accepted(chat, user_id, reference);
        }
    }

    fn reject(&mut self, user_id: &str, chat_id: &str, reference: u64) {
        let was_offer = self
            .chats
            .get(chat_id)
            .and_then(|c| c.member(user_id))
            .is_some_and(|m| m.status == MemberStatus::Invited(None));
        self.remove_member(chat_id, user_id, "Completed", Some(reference));
        if was_offer && let Some(chat) = self.chats.get_mut(chat_id) {
            chat.declined_by.push(user_id.to_owned());
            self.queue.push_front(chat_id.to_owned());
        }
    }

    fn leave(&mut self, user_id: &str, chat_id: &str, reference: u64) {
        let Some(chat) = self.chats.get(chat_id) else {
            return;
        };
        let Some(member) = chat.member(user_id) else {
            return;
        };
        if !member.is_agent() && self.faults.has(Fault::SupervisorLeaveIgnored) {
            return;
        }
        let alone = member.is_agent()
            && member.status == MemberStatus::Chatting
            && !chat.members.iter().any(|m| {
                m.is_agent() && m.user_id != user_id && m.status == MemberStatus::Chatting
            });
        if member.status == MemberStatus::LeftChat || !member.is_agent() || !alone {
            // In a conference or consultation, or a supervisor, or finishing a LeftChat: the
            // member is done; the chat goes on for the others.
            let agent = member.is_agent();
            let state = if !agent && self.variants.has(Variant::SupervisorLeaveLeftChat) {
                "LeftChat"
            } else {
                "Completed"
            };
            self.remove_and_announce(chat_id, user_id, state, Some(reference));
            if agent && self.faults.has(Fault::AgentLeaveRevokesSupervisor) {
                self.revoke_where(chat_id, |m| {
                    matches!(&m.role, MemberRole::Supervisor { monitored, .. } if monitored == user_id)
                });
            }
            self.revoke_if_unattended(chat_id);
            return;
        }
        // The last agent leaves: the customer session ends, the agent keeps the chat in
        // LeftChat to wrap up, and everyone else (supervisors, invitations) is revoked.
        if let Some(chat) = self.chats.get_mut(chat_id)
            && let Some(member) = chat.member_mut(user_id)
        {
            member.status = MemberStatus::LeftChat;
            let left = member.clone();
            let author = chat.author_of(&left);
            chat.push_message(
                "ParticipantLeft",
                author,
                None,
                left.visibility(),
                now_millis(),
            );
            chat.customer.session_closed = true;
        }
        let spare_supervisors = self.faults.has(Fault::NoRevokeWithoutAgent);
        self.revoke_where(chat_id, |m| {
            m.user_id != user_id && (m.is_agent() || !spare_supervisors)
        });
        if let Some((chat, mut emit)) = self.chat_and_emitter(chat_id) {
            emit.state(chat, user_id, "StatusChange", Some(reference), false);
        }
    }

    fn say(
        &mut self,
        user_id: &str,
        chat_id: &str,
        kind: &'static str,
        text: Option<String>,
        visibility: Visibility,
        reference: u64,
    ) {
        let Some((chat, mut emit)) = self.chat_and_emitter(chat_id) else {
            return;
        };
        let Some(member) = chat.member(user_id) else {
            return;
        };
        let author = chat.author_of(member);
        let index = chat.push_message(kind, author, text, visibility, now_millis());
        emit.new_messages(chat, index, Some((user_id, reference)));
    }

    fn update_properties(
        &mut self,
        chat_id: &str,
        requester: Option<(&str, u64)>,
        change: impl FnOnce(&mut super::model::Chat),
    ) {
        let Some((chat, mut emit)) = self.chat_and_emitter(chat_id) else {
            return;
        };
        change(chat);
        if let Some(requester) = requester {
            emit.properties_changed(chat, requester);
        }
    }

    fn transfer(&mut self, user_id: &str, chat_id: &str, target: Target, reference: u64) {
        // The chat is placed in a queue (or offered to one agent): the initiator is done, and
        // everyone else, supervisors included, is revoked.
        let supervisor = self
            .chats
            .get(chat_id)
            .and_then(|c| c.member(user_id))
            .is_some_and(|m| m.mode().is_some());
        let state = if supervisor && self.variants.has(Variant::TransferRevokesInitiator) {
            "Revoked"
        } else {
            "Completed"
        };
        self.remove_member(chat_id, user_id, state, Some(reference));
        let spare_supervisors = self.faults.has(Fault::TransferKeepsSupervisor);
        self.revoke_where(chat_id, |m| m.is_agent() || !spare_supervisors);
        let Some(chat) = self.chats.get_mut(chat_id) else {
            return;
        };
        chat.declined_by.push(user_id.to_owned());
        match target {
            Target::Agent(agent) => self.offer(chat_id, &agent, None, AgentKind::Primary),
            Target::Queue(_) => self.queue.push_back(chat_id.to_owned()),
        }
    }

    fn invite(
        &mut self,
        user_id: &str,
        chat_id: &str,
        agent: String,
        kind: AgentKind,
        reference: u64,
    ) {
        let invitation = Invitation {
            inviter: user_id.to_owned(),
            reference,
        };
        if self.faults.has(Fault::RevokedWhenAgentInvites) {
            self.revoke_where(chat_id, |m| m.mode().is_some() && m.user_id != user_id);
        }
        self.offer(chat_id, &agent, Some(invitation), kind);
    }

    /// Offers the chat to `agent`: it becomes an invited member and receives StatusChange
    /// `Invited` with capabilities Accept and Reject.
    pub(super) fn offer(
        &mut self,
        chat_id: &str,
        agent: &str,
        invitation: Option<Invitation>,
        kind: AgentKind,
    ) {
        let participant_id = self.ids.participant_id();
        let nickname = self
            .directory
            .by_id(agent)
            .map(|u| u.user_name.clone())
            .unwrap_or_default();
        let member_chat_id = self.member_chat_id(chat_id);
        let Some((chat, mut emit)) = self.chat_and_emitter(chat_id) else {
            return;
        };
        let routed = invitation.is_none();
        chat.members.push(Member {
            user_id: agent.to_owned(),
            participant_id,
            nickname,
            role: MemberRole::Agent(kind),
            status: MemberStatus::Invited(invitation),
            chat_id: member_chat_id,
        });
        emit.state(chat, agent, "StatusChange", None, false);
        if routed && self.faults.has(Fault::JoinBeforeAccept) {
            self.join_monitoring_supervisors(chat_id, agent, false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(body: Value) -> Result<ChatOp, ApiError> {
        ChatOp::parse(body.as_object().unwrap())
    }

    #[test]
    fn parses_documented_parameters() {
        assert_eq!(
            parse(json!({"operationName": "SendMessage", "text": "hi"})).unwrap(),
            ChatOp::SendMessage { text: "hi".into() }
        );
        assert_eq!(
            parse(json!({"operationName": "SetDisposition", "disposition": "Sold"})).unwrap(),
            ChatOp::SetDisposition {
                disposition: "Sold".into(),
                key: "DispositionCode".into()
            }
        );
        assert_eq!(
            parse(json!({"operationName": "Invite", "targetUri": "http://h:1/api/v2/users/abc"}))
                .unwrap(),
            ChatOp::Invite {
                agent: "abc".into()
            }
        );
        assert_eq!(
            parse(json!({"operationName": "Transfer", "queueName": "Q"})).unwrap(),
            ChatOp::Transfer {
                target: Target::Queue("Q".into()),
                text: None
            }
        );
        assert_eq!(
            parse(json!({"operationName": "SwitchToBargeIn"})).unwrap(),
            ChatOp::SwitchTo(Mode::BargeIn)
        );
    }

    #[test]
    fn rejects_bad_bodies_with_the_right_status_code() {
        let code = |body| parse(body).unwrap_err().code;
        assert_eq!(code(json!({})), 1);
        assert_eq!(code(json!({"operationName": 5})), 10);
        assert_eq!(code(json!({"operationName": "Dance"})), 10);
        // The documented example's spelling is not an operation.
        assert_eq!(code(json!({"operationName": "SwitchBargeIn"})), 10);
        assert_eq!(code(json!({"operationName": "SendMessage"})), 1);
        assert_eq!(code(json!({"operationName": "SendMessage", "text": ""})), 1);
        assert_eq!(
            code(json!({"operationName": "UpdateUserData", "userData": {"a": {"b": 1}}})),
            10
        );
        assert_eq!(
            code(json!({"operationName": "DeleteUserData", "keys": [1]})),
            10
        );
        assert_eq!(
            code(json!({"operationName": "Invite", "targetUri": "http://h/x"})),
            10
        );
        assert_eq!(code(json!({"operationName": "Transfer"})), 1);
    }

    #[test]
    fn every_capability_name_is_an_operation_except_accept_and_reject_reachable_too() {
        for list in [
            capabilities::AGENT_CHATTING,
            Mode::Monitor.capabilities(),
            Mode::Coach.capabilities(),
            Mode::BargeIn.capabilities(),
            capabilities::INVITED,
        ] {
            for name in list {
                let mut body = json!({"operationName": name, "text": "t", "disposition": "d",
                    "userData": {"k": "v"}, "keys": ["k"], "comment": "c",
                    "targetUri": "http://h/api/v2/users/u"});
                if *name == "Transfer" {
                    body.as_object_mut().unwrap().remove("text");
                }
                let op = parse(body).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(op.name(), *name);
            }
        }
    }
}
