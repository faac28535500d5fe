//! The seed page's capability table (normative), and the variant printed in its "Chat is
//! started" example (a documented erratum: `SwitchBargeIn`, and no `AddComment`).

/// Monitor mode (seed table, first column).
pub const MONITOR: &[&str] = &["Leave", "SwitchToCoach", "SwitchToBargeIn"];

/// Coach mode (seed table, second column).
pub const COACH: &[&str] = &[
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
    "SendToAgents",
    "SendStartTypingToAgentsNotification",
    "SendStopTypingToAgentsNotification",
    "SwitchToMonitor",
    "SwitchToBargeIn",
];

/// BargeIn mode (seed table, third column).
pub const BARGE_IN: &[&str] = &[
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
    "SendToAgents",
    "SendStartTypingToAgentsNotification",
    "SendStopTypingToAgentsNotification",
    "SendMessage",
    "SendStartTypingNotification",
    "SendStopTypingNotification",
    "SwitchToMonitor",
    "SwitchToCoach",
];

/// The capabilities printed in the seed's "Chat is started" example (a Coach-mode supervisor):
/// the Coach column with `SwitchBargeIn` for `SwitchToBargeIn` and without `AddComment`.
pub const EXAMPLE_COACH_VARIANT: &[&str] = &[
    "Leave",
    "SetInFocus",
    "SetDisposition",
    "AttachUserData",
    "DeleteUserData",
    "UpdateUserData",
    "Transfer",
    "Invite",
    "Consult",
    "SendToAgents",
    "SendStartTypingToAgentsNotification",
    "SendStopTypingToAgentsNotification",
    "SwitchToMonitor",
    "SwitchBargeIn",
];
