//! Supervisor monitoring of chats (seed page): starting and cancelling monitoring of an agent,
//! joining the monitored agent's next chat (or all its chats) when it accepts one, and
//! switching between the Monitor, Coach and BargeIn modes.

use super::model::{Member, MemberRole, MemberStatus, Mode};
use super::{Monitoring, World};
use crate::server::api_error::ApiError;
use crate::server::clock::now_millis;
use crate::server::directory::Role;
use crate::server::faults::Fault;
use crate::server::params::unknown_operation;
use crate::server::variants::Variant;

/// `supervisorMonitoringMode`: how many of the agent's chats the supervisor joins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Only the next chat the agent accepts; monitoring then ends.
    NextChat,
    /// Every chat the agent accepts until cancelled (the default).
    AllChats,
}

impl Scope {
    /// Parses the wire value.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "NextChat" => Some(Scope::NextChat),
            "AllChats" => Some(Scope::AllChats),
            _ => None,
        }
    }
}

impl World {
    fn check_supervision(&self, supervisor: &str, agent: &str) -> Result<(), ApiError> {
        let caller = self
            .directory
            .by_id(supervisor)
            .ok_or_else(ApiError::unauthenticated)?;
        if !caller.has_role(Role::Supervisor) && !self.faults.has(Fault::AgentMayMonitor) {
            let refusal = ApiError::no_permission(
                "The supervisor role ([htcc] roles=supervisor) is required",
            );
            return Err(self
                .faults
                .role_refusal(self.variants.role_refusal(refusal)));
        }
        let target = self
            .directory
            .by_id(agent)
            .ok_or_else(|| ApiError::not_found(format!("User {agent} not found")))?;
        if agent == supervisor {
            return Err(ApiError::wrong_state("A supervisor cannot monitor itself"));
        }
        if !target.has_role(Role::Agent) {
            return Err(ApiError::wrong_state(format!(
                "User {} is not an agent",
                target.user_name
            )));
        }
        Ok(())
    }

    /// `Monitor`/`Coach`/`BargeIn` on `/api/v2/users/{agent}/channels/chat`: from the agent's
    /// next accepted chat on, the supervisor joins in `mode`. Starting again replaces the
    /// previous monitoring of that agent.
    pub fn start_monitoring(
        &mut self,
        supervisor: &str,
        agent: &str,
        mode: Mode,
        scope: Scope,
        nickname: Option<String>,
    ) -> Result<(), ApiError> {
        if mode == Mode::Monitor && self.faults.has(Fault::MonitorModeUnknown) {
            return Err(unknown_operation(mode.name()));
        }
        self.check_supervision(supervisor, agent)?;
        let only_one = self.faults.has(Fault::OneAgentPerSupervisor);
        self.monitoring
            .retain(|m| !(m.supervisor == supervisor && (m.agent == agent || only_one)));
        self.monitoring.push(Monitoring {
            supervisor: supervisor.to_owned(),
            agent: agent.to_owned(),
            mode,
            scope,
            nickname,
        });
        Ok(())
    }

    /// `CancelSupervisorMonitoring`: stops joining the agent's chats. Chats the supervisor is
    /// already in are not left (the supervisor uses Leave).
    pub fn cancel_monitoring(&mut self, supervisor: &str, agent: &str) -> Result<(), ApiError> {
        self.check_supervision(supervisor, agent)?;
        let watching = |m: &Monitoring| m.supervisor == supervisor && m.agent == agent;
        if !self.monitoring.iter().any(watching) {
            if self.variants.has(Variant::RepeatedCancelSucceeds) {
                return Ok(());
            }
            return Err(ApiError::wrong_state(
                "Monitoring of this agent is not active",
            ));
        }
        if !self.faults.has(Fault::CancelKeepsMonitoring) {
            self.monitoring.retain(|m| !watching(m));
        }
        Ok(())
    }

    /// Ends all monitoring by `supervisor` (logout).
    pub(super) fn end_monitoring_by(&mut self, supervisor: &str) {
        self.monitoring.retain(|m| m.supervisor != supervisor);
    }

    /// The monitored `agent` accepted chat `chat_id`: every supervisor monitoring it joins,
    /// in the order monitoring started, and receives ParticipantsUpdated, StatusChange and
    /// MessageLogUpdated (seed page, "Chat is started"). NextChat monitoring is then used up.
    /// The other chatting members who may see a supervisor are told it joined, but for
    /// `agent` when `agent_told_after` (its own Accept notifications, sent after, show the
    /// supervisors).
    pub(super) fn join_monitoring_supervisors(
        &mut self,
        chat_id: &str,
        agent: &str,
        agent_told_after: bool,
    ) {
        let watchers: Vec<Monitoring> = self
            .monitoring
            .iter()
            .filter(|m| m.agent == agent)
            .cloned()
            .collect();
        for watch in watchers {
            let already_in = self
                .chats
                .get(chat_id)
                .is_none_or(|c| c.member(&watch.supervisor).is_some());
            if already_in {
                continue;
            }
            if self.faults.has(Fault::OneChatPerSupervisor) {
                for chat in self.chats.values_mut() {
                    chat.members.retain(|m| m.user_id != watch.supervisor);
                }
            }
            let told_after = agent_told_after.then_some(agent);
            self.join_supervisor(chat_id, &watch, told_after);
            let used_up = match watch.scope {
                Scope::NextChat => !self.faults.has(Fault::NextChatMonitorsAll),
                Scope::AllChats => self.faults.has(Fault::AllChatsOnlyFirst),
            };
            if used_up {
                self.monitoring
                    .retain(|m| !(m.supervisor == watch.supervisor && m.agent == watch.agent));
            }
        }
    }

    fn join_supervisor(&mut self, chat_id: &str, watch: &Monitoring, told_after: Option<&str>) {
        let participant_id = self.ids.participant_id();
        let nickname = watch.nickname.clone().unwrap_or_else(|| {
            self.directory
                .by_id(&watch.supervisor)
                .map(|u| u.user_name.clone())
                .unwrap_or_default()
        });
        let faults = self.faults;
        let member_chat_id = self.member_chat_id(chat_id);
        let Some((chat, mut emit)) = self.chat_and_emitter(chat_id) else {
            return;
        };
        let member = Member {
            user_id: watch.supervisor.clone(),
            participant_id,
            nickname,
            role: MemberRole::Supervisor {
                mode: watch.mode,
                monitored: watch.agent.clone(),
                visibility: faults.supervisor_visibility(watch.mode),
                switches: 0,
            },
            status: MemberStatus::Chatting,
            chat_id: member_chat_id,
        };
        let visibility = member.visibility();
        let author = chat.author_of(&member);
        chat.members.push(member);
        let joined = chat.push_message("ParticipantJoined", author, None, visibility, now_millis());
        let supervisor = watch.supervisor.as_str();
        let mut order = ["ParticipantsUpdated", "StatusChange"];
        if faults.has(Fault::JoinOrderSwapped) {
            order.reverse();
        }
        for notification_type in order {
            emit.state(chat, supervisor, notification_type, None, false);
        }
        if !faults.has(Fault::JoinWithoutMessageLog) {
            // The whole log, or from its second entry when the history is cut short.
            let skip = usize::from(faults.has(Fault::JoinHistoryCutShort));
            let from = chat.messages.get(skip).map_or(0, |m| m.index);
            emit.history(chat, supervisor, from, None);
        }
        let except: Vec<&str> = [Some(supervisor), told_after]
            .into_iter()
            .flatten()
            .collect();
        emit.participants_changed(chat, visibility, joined, None, &except);
    }

    /// `SwitchToMonitor`/`SwitchToCoach`/`SwitchToBargeIn`: the supervisor's visibility and
    /// capabilities change; everyone who could see it before or can see it now receives
    /// ParticipantsUpdated and a MessageLogUpdated with a `Notice` recording the switch.
    pub(super) fn switch_mode(
        &mut self,
        supervisor: &str,
        chat_id: &str,
        mode: Mode,
        reference: u64,
    ) {
        let (faults, variants) = (self.faults, self.variants);
        let Some((chat, mut emit)) = self.chat_and_emitter(chat_id) else {
            return;
        };
        let Some(position) = chat.members.iter().position(|m| m.user_id == supervisor) else {
            return;
        };
        let MemberRole::Supervisor {
            mode: current,
            visibility: shown,
            switches,
            ..
        } = &mut chat.members[position].role
        else {
            return;
        };
        let from = *current;
        let before = *shown;
        *switches += 1;
        // A stale second switch shows the new mode's visibility but keeps the old capabilities.
        let stale = faults.has(Fault::StaleCapabilitiesAfterSecondSwitch) && *switches >= 2;
        let ignored = stale
            || (faults.has(Fault::SwitchToCoachIgnored)
                && (from, mode) == (Mode::Monitor, Mode::Coach));
        if !ignored {
            *current = mode;
        }
        let keeps_visibility = faults.has(Fault::SwitchToMonitorKeepsVisibility)
            && (from, mode) == (Mode::BargeIn, Mode::Monitor);
        if !keeps_visibility {
            *shown = faults.supervisor_visibility(if stale { mode } else { *current });
        }
        let (now_shown, wider) = (*shown, before.max(*shown));
        let author = chat.author_of(&chat.members[position]);
        let text = match mode {
            Mode::Monitor => "SWITCH_TO_MONITOR",
            Mode::Coach => "SWITCH_TO_COACH",
            Mode::BargeIn => "SWITCH_TO_BARGE_IN",
        };
        let notice = if variants.has(Variant::SwitchLoggedAsJoin) {
            chat.push_message("ParticipantJoined", author, None, now_shown, now_millis())
        } else {
            chat.push_message("Notice", author, Some(text.to_owned()), wider, now_millis())
        };
        if faults.has(Fault::SwitchToBargeInUnannounced)
            && (from, mode) == (Mode::Coach, Mode::BargeIn)
        {
            return;
        }
        emit.participants_changed(chat, wider, notice, Some((supervisor, reference)), &[]);
    }
}
