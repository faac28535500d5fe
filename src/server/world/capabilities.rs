//! The `capabilities` a member is given, by role and state. The supervisor sets are the seed
//! page's table ([`crate::spec::capabilities`]; the example's `SwitchBargeIn` spelling is an
//! erratum). Agent sets follow the Accept and Leave pages and every operation the server
//! implements.

use super::model::{AgentKind, Member, MemberRole, MemberStatus, Mode};
pub use crate::spec::capabilities::{BARGE_IN, COACH, MONITOR};

/// An offered chat: the agent may take it or turn it down.
pub const INVITED: &[&str] = &["Accept", "Reject"];

/// An agent handling a chat (routed, transferred, or conferenced in).
pub const AGENT_CHATTING: &[&str] = &[
    "Complete",
    "Leave",
    "SetInFocus",
    "SetDisposition",
    "AttachUserData",
    "DeleteUserData",
    "UpdateUserData",
    "AddComment",
    "Transfer",
    "Invite",
    "Consult",
    "SendMessage",
    "SendStartTypingNotification",
    "SendStopTypingNotification",
    "SendToAgents",
    "SendStartTypingToAgentsNotification",
    "SendStopTypingToAgentsNotification",
];

/// A consulted agent: talks to agents only, and may leave.
pub const CONSULTANT: &[&str] = &[
    "Leave",
    "SetInFocus",
    "SendToAgents",
    "SendStartTypingToAgentsNotification",
    "SendStopTypingToAgentsNotification",
];

/// An agent that left a chat it was alone in: the customer session is over, wrap-up remains.
pub const AGENT_LEFT: &[&str] = &[
    "Complete",
    "Leave",
    "SetInFocus",
    "SetDisposition",
    "AttachUserData",
    "DeleteUserData",
    "UpdateUserData",
    "AddComment",
];

/// The capability set of a supervisor mode.
pub fn for_mode(mode: Mode) -> &'static [&'static str] {
    match mode {
        Mode::Monitor => MONITOR,
        Mode::Coach => COACH,
        Mode::BargeIn => BARGE_IN,
    }
}

/// The capabilities a member has right now.
pub fn of(member: &Member) -> &'static [&'static str] {
    match (&member.status, &member.role) {
        (MemberStatus::Invited(_), _) => INVITED,
        (MemberStatus::LeftChat, _) => AGENT_LEFT,
        (MemberStatus::Chatting, MemberRole::Agent(AgentKind::Consultant)) => CONSULTANT,
        (MemberStatus::Chatting, MemberRole::Agent(_)) => AGENT_CHATTING,
        (MemberStatus::Chatting, MemberRole::Supervisor { mode, .. }) => for_mode(*mode),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn set(list: &[&'static str]) -> BTreeSet<&'static str> {
        list.iter().copied().collect()
    }

    #[test]
    fn barge_in_is_coach_without_switch_to_barge_in_plus_customer_messaging() {
        let mut expected = set(COACH);
        expected.remove("SwitchToBargeIn");
        expected.extend([
            "SendMessage",
            "SendStartTypingNotification",
            "SendStopTypingNotification",
            "SwitchToCoach",
        ]);
        assert_eq!(set(BARGE_IN), expected);
    }

    #[test]
    fn each_mode_can_switch_to_the_two_others_only() {
        for (mode, switches) in [
            (Mode::Monitor, ["SwitchToCoach", "SwitchToBargeIn"]),
            (Mode::Coach, ["SwitchToMonitor", "SwitchToBargeIn"]),
            (Mode::BargeIn, ["SwitchToMonitor", "SwitchToCoach"]),
        ] {
            let found: BTreeSet<_> = for_mode(mode)
                .iter()
                .copied()
                .filter(|c| c.starts_with("SwitchTo"))
                .collect();
            assert_eq!(found, set(&switches), "{mode:?}");
        }
    }

    #[test]
    fn sets_have_no_duplicates() {
        for list in [
            INVITED,
            AGENT_CHATTING,
            CONSULTANT,
            AGENT_LEFT,
            MONITOR,
            COACH,
            BARGE_IN,
        ] {
            assert_eq!(set(list).len(), list.len());
        }
    }
}
