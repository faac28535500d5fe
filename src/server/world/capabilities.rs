//! The `capabilities` a member is given, by role and state. The supervisor sets are the seed
//! page's table ([`crate::spec::capabilities`]; the example's `SwitchBargeIn` spelling is an
//! erratum). Agent sets follow the Accept and Leave pages and every operation the server
//! implements.

use super::model::{AgentKind, Member, MemberRole, MemberStatus};

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

/// The capabilities a member has right now.
pub fn of(member: &Member) -> &'static [&'static str] {
    match (&member.status, &member.role) {
        (MemberStatus::Invited(_), _) => INVITED,
        (MemberStatus::LeftChat, _) => AGENT_LEFT,
        (MemberStatus::Chatting, MemberRole::Agent(AgentKind::Consultant)) => CONSULTANT,
        (MemberStatus::Chatting, MemberRole::Agent(_)) => AGENT_CHATTING,
        (MemberStatus::Chatting, MemberRole::Supervisor { mode, .. }) => mode.capabilities(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn agent_sets_have_no_duplicates() {
        for list in [INVITED, AGENT_CHATTING, CONSULTANT, AGENT_LEFT] {
            let unique: BTreeSet<_> = list.iter().collect();
            assert_eq!(unique.len(), list.len());
        }
    }
}
