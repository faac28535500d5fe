//! Turning chat changes into the notifications each member receives on `/v2/me/chats`.
//! Every function here only appends to the outbox; the caller publishes it.

use std::sync::Arc;

use serde_json::Value;

use super::model::{Audience, Chat, Member, MemberStatus, Visibility};
use super::render::{Renderer, member_state, state_change};
use crate::server::variants::Variant;

/// The Bayeux channel chat notifications go out on.
pub const CHATS_CHANNEL: &str = "/v2/me/chats";
/// The Bayeux channel channel-state notifications go out on.
pub const CHANNELS_CHANNEL: &str = "/v2/me/channels";

/// One notification for one user.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// The recipient's user id; every Bayeux client of that user subscribed to the channel gets it.
    pub user_id: String,
    /// The channel, e.g. `/v2/me/chats`.
    pub channel: &'static str,
    /// The notification (the Bayeux message's `data`). Members who are shown the same
    /// notification share one value, so the hub serialises it once.
    pub data: Arc<Value>,
}

/// The user that made the request a notification answers, with the request's `referenceId`.
pub type Requester<'r> = Option<(&'r str, u64)>;

/// The `MessageLogUpdated` already rendered for each audience, `referenceId` and chat id (the
/// one the member knows the chat by) during one pass over a chat's members (`None`: that
/// audience may see none of the new messages). The chat does not change during the pass, so
/// equal keys mean equal notifications.
type LogMemo<'c> = Vec<((Audience, Option<u64>, &'c str), Option<Arc<Value>>)>;

/// What decides how a member is shown a chat: its audience (which participants it sees), its
/// capabilities, its state and the id it knows the chat by; with the `referenceId` it gets and
/// whether participants are emptied, the whole notification (the notification type is the
/// same for a whole pass).
type StateKey<'c> = (
    Audience,
    Vec<&'static str>,
    &'static str,
    &'c str,
    Option<u64>,
    bool,
);

/// The `ChatStateChangeMessage`s already rendered during one pass over a chat's members.
/// Members with equal keys (e.g. several supervisors in the same mode) share one value, so a
/// chat of N members costs one rendering per distinct view, not N renderings of N participants.
type StateMemo<'c> = Vec<(StateKey<'c>, Arc<Value>)>;

fn reference_for(requester: Requester<'_>, user_id: &str) -> Option<u64> {
    requester.and_then(|(who, reference)| (who == user_id).then_some(reference))
}

/// Appends rendered notifications to an outbox.
pub struct Emitter<'a> {
    /// Renders chats and messages.
    pub render: &'a Renderer,
    /// Where notifications go.
    pub out: &'a mut Vec<Delivery>,
}

impl Emitter<'_> {
    fn push(&mut self, user_id: &str, data: Arc<Value>) {
        self.out.push(Delivery {
            user_id: user_id.to_owned(),
            channel: CHATS_CHANNEL,
            data,
        });
    }

    /// A `ChatStateChangeMessage` of `notification_type` to member `user_id`, showing the chat
    /// as that member sees it.
    pub fn state(
        &mut self,
        chat: &Chat,
        user_id: &str,
        notification_type: &str,
        reference: Option<u64>,
        empty_participants: bool,
    ) {
        let view = (notification_type, reference, empty_participants);
        self.shared_state(chat, user_id, view, &mut StateMemo::new());
    }

    /// [`Emitter::state`] with `view` = (notificationType, referenceId, empty participants),
    /// reusing what `memo` holds from earlier members of the same pass.
    fn shared_state<'c>(
        &mut self,
        chat: &'c Chat,
        user_id: &str,
        view: (&str, Option<u64>, bool),
        memo: &mut StateMemo<'c>,
    ) {
        let Some(member) = chat.member(user_id) else {
            return;
        };
        let (notification_type, reference, empty_participants) = view;
        let key = (
            member.audience(),
            self.render.capabilities(member),
            member_state(member),
            member.chat_id.as_str(),
            reference,
            empty_participants,
        );
        let data = match memo.iter().find(|(k, _)| *k == key) {
            Some((_, data)) => data.clone(),
            None => {
                let rendered = self
                    .render
                    .chat_with(chat, member, &key.1, empty_participants);
                let data = Arc::new(state_change(rendered, notification_type, reference));
                memo.push((key, data.clone()));
                data
            }
        };
        self.push(user_id, data);
    }

    /// A StatusChange telling former member `member` the chat is over for it (`Completed` or
    /// `Revoked`).
    pub fn ended(&mut self, chat: &Chat, member: &Member, state: &str, reference: Option<u64>) {
        let rendered = self.render.ended_chat(chat, member, state);
        self.push(
            &member.user_id,
            Arc::new(state_change(rendered, "StatusChange", reference)),
        );
    }

    /// A MessageLogUpdated with the messages from index `from` that `user_id` may see (none
    /// is sent when it may see none).
    pub fn history(&mut self, chat: &Chat, user_id: &str, from: u64, reference: Option<u64>) {
        self.shared_history(chat, user_id, from, reference, &mut LogMemo::new());
    }

    /// [`Emitter::history`], reusing what `memo` holds from earlier members of the same pass.
    fn shared_history<'c>(
        &mut self,
        chat: &'c Chat,
        user_id: &str,
        from: u64,
        reference: Option<u64>,
        memo: &mut LogMemo<'c>,
    ) {
        let Some(member) = chat.member(user_id) else {
            return;
        };
        let key = (member.audience(), reference, member.chat_id.as_str());
        let data = match memo.iter().find(|(k, _)| *k == key) {
            Some((_, data)) => data.clone(),
            None => {
                let messages = self.render.visible_messages(chat, key.0, from);
                let data = (!messages.is_empty())
                    .then(|| Arc::new(self.render.message_log(key.2, messages, reference)));
                memo.push((key, data.clone()));
                data
            }
        };
        if let Some(data) = data {
            self.push(user_id, data);
        }
    }

    fn chatting_members(chat: &Chat, except: &[&str]) -> Vec<String> {
        chat.members
            .iter()
            .filter(|m| m.status == MemberStatus::Chatting && !except.contains(&m.user_id.as_str()))
            .map(|m| m.user_id.clone())
            .collect()
    }

    /// The documented Accept sequence to the accepting agent: StatusChange (participants
    /// `[]`), ParticipantsUpdated, then the whole history, each with the Accept's `reference`.
    pub fn accepted(&mut self, chat: &Chat, agent: &str, reference: u64) {
        self.state(chat, agent, "StatusChange", Some(reference), true);
        self.state(chat, agent, "ParticipantsUpdated", Some(reference), false);
        self.history(chat, agent, 1, Some(reference));
    }

    /// A participant whose visibility is `subject` joined, left or changed: every chatting
    /// member (but those in `except`, told otherwise) who can see it gets ParticipantsUpdated,
    /// then the new messages.
    pub fn participants_changed(
        &mut self,
        chat: &Chat,
        subject: Visibility,
        new_from: u64,
        requester: Requester<'_>,
        except: &[&str],
    ) {
        let (mut states, mut logs) = (StateMemo::new(), LogMemo::new());
        for user_id in Self::chatting_members(chat, except) {
            let Some(member) = chat.member(&user_id) else {
                continue;
            };
            if !member.audience().sees(subject) {
                continue;
            }
            let reference = reference_for(requester, &user_id);
            let view = ("ParticipantsUpdated", reference, false);
            if self.render.variants().has(Variant::LogBeforeParticipants) {
                self.shared_history(chat, &user_id, new_from, reference, &mut logs);
                self.shared_state(chat, &user_id, view, &mut states);
            } else {
                self.shared_state(chat, &user_id, view, &mut states);
                self.shared_history(chat, &user_id, new_from, reference, &mut logs);
            }
        }
    }

    /// New messages from index `new_from`: every chatting member that may see any of them gets
    /// a MessageLogUpdated.
    pub fn new_messages(&mut self, chat: &Chat, new_from: u64, requester: Requester<'_>) {
        let mut memo = LogMemo::new();
        for user_id in Self::chatting_members(chat, &[]) {
            let reference = reference_for(requester, &user_id);
            self.shared_history(chat, &user_id, new_from, reference, &mut memo);
        }
    }

    /// Chat data changed: every chatting member, and the requester in any state, gets
    /// PropertiesUpdated.
    pub fn properties_changed(&mut self, chat: &Chat, requester: (&str, u64)) {
        let mut recipients = Self::chatting_members(chat, &[]);
        if !recipients.iter().any(|u| u == requester.0) {
            recipients.push(requester.0.to_owned());
        }
        let mut memo = StateMemo::new();
        for user_id in recipients {
            let view = (
                "PropertiesUpdated",
                reference_for(Some(requester), &user_id),
                false,
            );
            self.shared_state(chat, &user_id, view, &mut memo);
        }
    }
}
