//! What a clean-up of a target did, user by user, and what the target refused: the lines `run`
//! prints before its first scenario.

use std::collections::BTreeMap;
use std::fmt;

/// One thing left over on the target that the clean-up put right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cleaned {
    /// The user was Ready (chats were being routed to it); it was made Not Ready.
    WasReady,
    /// The supervisor's monitoring of this agent (a profile user) was cancelled.
    CancelledMonitoring {
        /// The profile user monitored.
        agent: String,
    },
    /// A chat the agent was handling was completed.
    CompletedChat {
        /// The chat's id, as the user knows it.
        chat: String,
    },
    /// A chat offered to the agent and left unanswered was accepted, then completed, so its
    /// customer is not queued again.
    CompletedOffer {
        /// The chat's id, as the user knows it.
        chat: String,
    },
    /// A chat waiting in the queue was offered to the agent when it was made Ready for the
    /// purpose, accepted and completed.
    CompletedQueued {
        /// The chat's id, as the user knows it.
        chat: String,
    },
    /// The user left a chat (a supervisor's, or one an agent could not complete).
    LeftChat {
        /// The chat's id, as the user knows it.
        chat: String,
    },
    /// The user was logged in; its contact-center session was ended.
    EndedSession,
}

impl fmt::Display for Cleaned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cleaned::WasReady => write!(f, "made Not Ready"),
            Cleaned::CancelledMonitoring { agent } => {
                write!(f, "cancelled monitoring of {agent}")
            }
            Cleaned::CompletedChat { chat } => write!(f, "completed chat {chat}"),
            Cleaned::CompletedOffer { chat } => {
                write!(
                    f,
                    "accepted and completed chat {chat} (an unanswered offer)"
                )
            }
            Cleaned::CompletedQueued { chat } => {
                write!(
                    f,
                    "accepted and completed chat {chat} (waiting in the queue)"
                )
            }
            Cleaned::LeftChat { chat } => write!(f, "left chat {chat}"),
            Cleaned::EndedSession => write!(f, "ended a session left over"),
        }
    }
}

/// What the clean-up did and could not do. Empty when the target was already clean.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CleanReport {
    /// What was put right, by profile user, in the order it was done.
    pub cleaned: BTreeMap<String, Vec<Cleaned>>,
    /// What the target refused or did not answer, each naming the user it concerns
    /// (`agent1: NotReady: HTTP 403, …`), and the deadline, if the clean-up reached it. The
    /// clean-up goes on past each but the last.
    pub warnings: Vec<String>,
}

impl CleanReport {
    /// Whether there was nothing to clean and nothing went wrong.
    pub fn is_empty(&self) -> bool {
        self.cleaned.is_empty() && self.warnings.is_empty()
    }

    /// Everything the profile user `user` had put right, in order.
    pub fn of(&self, user: &str) -> &[Cleaned] {
        self.cleaned.get(user).map_or(&[], Vec::as_slice)
    }

    pub(super) fn add(&mut self, user: &str, cleaned: Cleaned) {
        self.cleaned
            .entry(user.to_owned())
            .or_default()
            .push(cleaned);
    }

    pub(super) fn warn(&mut self, user: &str, warning: impl fmt::Display) {
        self.warnings.push(format!("{user}: {warning}"));
    }
}

/// One line per user cleaned (`cleaned the target: agent1: made Not Ready, completed chat
/// …`), then one per warning; nothing when the report is empty.
impl fmt::Display for CleanReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut lines = Vec::new();
        for (user, cleaned) in &self.cleaned {
            let done: Vec<String> = cleaned.iter().map(ToString::to_string).collect();
            lines.push(format!("cleaned the target: {user}: {}", done.join(", ")));
        }
        for warning in &self.warnings {
            lines.push(format!("warning: cleaning the target: {warning}"));
        }
        write!(f, "{}", lines.join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_user_then_the_warnings() {
        let mut report = CleanReport::default();
        assert!(report.is_empty());
        assert_eq!(report.to_string(), "");
        report.add("supervisor1", Cleaned::LeftChat { chat: "c1".into() });
        report.add("agent1", Cleaned::WasReady);
        report.add(
            "supervisor1",
            Cleaned::CancelledMonitoring {
                agent: "agent1".into(),
            },
        );
        report.add("agent1", Cleaned::CompletedChat { chat: "c1".into() });
        report.warn("agent2", "NotReady refused: HTTP 403");
        assert_eq!(
            report.to_string(),
            "cleaned the target: agent1: made Not Ready, completed chat c1\n\
             cleaned the target: supervisor1: left chat c1, cancelled monitoring of agent1\n\
             warning: cleaning the target: agent2: NotReady refused: HTTP 403"
        );
        assert_eq!(report.of("agent1").len(), 2);
        assert!(report.of("agent3").is_empty());
    }
}
