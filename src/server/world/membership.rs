//! Members leaving a chat: the shared rules for Leave, Complete, Reject, Transfer and logout,
//! including the supervisor rule: when no agent remains, or the chat is completed or queued,
//! every supervisor in it receives StatusChange `Revoked` with empty participants and
//! capabilities.

use super::World;
use super::model::{Member, MemberStatus, Visibility};
use crate::server::clock::now_millis;
use crate::server::faults::Fault;

impl World {
    /// Removes `user_id` from the chat, telling it the chat is over for it with `state`
    /// (`Completed` or `Revoked`). A member that was chatting leaves a `ParticipantLeft` message;
    /// returns that message's index and visibility so the caller can tell the others.
    pub(super) fn remove_member(
        &mut self,
        chat_id: &str,
        user_id: &str,
        state: &str,
        reference: Option<u64>,
    ) -> Option<(u64, Visibility)> {
        let (chat, mut emit) = self.chat_and_emitter(chat_id)?;
        let position = chat.members.iter().position(|m| m.user_id == user_id)?;
        let member = chat.members.remove(position);
        emit.ended(chat, &member, state, reference);
        let left = (member.status == MemberStatus::Chatting).then(|| {
            let visibility = member.visibility();
            let author = chat.author_of(&member);
            let index =
                chat.push_message("ParticipantLeft", author, None, visibility, now_millis());
            (index, visibility)
        });
        // A former member's own id for the chat names nothing any more.
        self.member_chat_ids.remove(&member.chat_id);
        left
    }

    /// Removes a member and tells the remaining chatting members who can see it.
    pub(super) fn remove_and_announce(
        &mut self,
        chat_id: &str,
        user_id: &str,
        state: &str,
        reference: Option<u64>,
    ) {
        if let Some((index, visibility)) = self.remove_member(chat_id, user_id, state, reference)
            && let Some((chat, mut emit)) = self.chat_and_emitter(chat_id)
        {
            emit.participants_changed(chat, visibility, index, None, &[]);
        }
    }

    /// Revokes every member but `keep`: supervisors, pending invitations and other agents.
    /// Used when the chat is completed, queued, or left by its last agent.
    pub(super) fn revoke_all_but(&mut self, chat_id: &str, keep: Option<&str>) {
        self.revoke_where(chat_id, |m| Some(m.user_id.as_str()) != keep);
    }

    /// Revokes the members `revoke` picks, in joining order.
    pub(super) fn revoke_where(&mut self, chat_id: &str, revoke: impl Fn(&Member) -> bool) {
        let picked: Vec<String> = match self.chats.get(chat_id) {
            Some(chat) => chat
                .members
                .iter()
                .filter(|m| revoke(m))
                .map(|m| m.user_id.clone())
                .collect(),
            None => return,
        };
        for user_id in picked {
            self.remove_member(chat_id, &user_id, "Revoked", None);
        }
    }

    /// After an agent left: if no agent is chatting any more, supervisors (and pending
    /// invitations) are revoked, and a chat nobody is left in is closed.
    pub(super) fn revoke_if_unattended(&mut self, chat_id: &str) {
        let Some(chat) = self.chats.get(chat_id) else {
            return;
        };
        if chat.has_chatting_agent() {
            return;
        }
        let left_chat_agent = chat
            .members
            .iter()
            .find(|m| m.status == MemberStatus::LeftChat)
            .map(|m| m.user_id.clone());
        let keep = left_chat_agent.as_deref();
        let spare_supervisors = self.faults.has(Fault::NoRevokeWithoutAgent);
        self.revoke_where(chat_id, |m| {
            Some(m.user_id.as_str()) != keep && (m.is_agent() || !spare_supervisors)
        });
        if self
            .chats
            .get(chat_id)
            .is_some_and(|c| c.members.is_empty())
        {
            if let Some(chat) = self.chats.get_mut(chat_id) {
                chat.customer.session_closed = true;
            }
            self.close_chat(chat_id);
        }
    }

    /// Ends the chat for everybody: `initiator` gets `Completed`, every other member `Revoked`,
    /// the customer's session is closed.
    pub(super) fn end_chat(&mut self, chat_id: &str, initiator: &str, reference: Option<u64>) {
        self.remove_member(chat_id, initiator, "Completed", reference);
        if self.faults.has(Fault::NoRevokeOnComplete)
            && let Some(chat) = self.chats.get_mut(chat_id)
        {
            chat.members.retain(Member::is_agent);
        }
        self.revoke_all_but(chat_id, None);
        if let Some(chat) = self.chats.get_mut(chat_id) {
            chat.customer.session_closed = true;
        }
        self.close_chat(chat_id);
    }
}
