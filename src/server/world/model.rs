//! The data a chat interaction is made of: members (agents and supervisors), the customer,
//! the message log, and the visibility rules that decide who sees what.

use serde_json::{Map, Value};

/// Who may see a participant or a message (`visibility` on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Visibility {
    /// Supervisors in the chat only (a supervisor in Monitor mode).
    Supervisors,
    /// Agents and supervisors, never the customer (coach messages, consultants).
    Agents,
    /// Everybody, the customer included.
    All,
}

impl Visibility {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::All => "All",
            Visibility::Agents => "Agents",
            Visibility::Supervisors => "Supervisors",
        }
    }
}

/// The kind of party looking at a chat; decides which visibilities it is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The customer sees `All` only.
    Customer,
    /// Agents see `All` and `Agents`.
    Agent,
    /// Supervisors in the chat see everything.
    Supervisor,
}

impl Audience {
    /// Whether content with `visibility` is shown to this audience.
    pub fn sees(self, visibility: Visibility) -> bool {
        match self {
            Audience::Customer => visibility == Visibility::All,
            Audience::Agent => visibility >= Visibility::Agents,
            Audience::Supervisor => true,
        }
    }
}

/// A supervisor's monitoring mode.
pub use crate::spec::Mode;

impl From<Mode> for Visibility {
    /// The supervisor participant's visibility in a mode.
    fn from(mode: Mode) -> Self {
        match mode {
            Mode::Monitor => Visibility::Supervisors,
            Mode::Coach => Visibility::Agents,
            Mode::BargeIn => Visibility::All,
        }
    }
}

/// Why an agent is in a chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentKind {
    /// The agent the chat was routed or transferred to.
    Primary,
    /// An agent invited into a conference (`Invite`): visible to the customer.
    Conference,
    /// An agent consulted (`Consult`): visible to agents only.
    Consultant,
}

/// The part a member plays in a chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberRole {
    /// An agent handling the chat.
    Agent(AgentKind),
    /// A supervisor that joined by monitoring `monitored`.
    Supervisor {
        /// Current mode.
        mode: Mode,
        /// User id of the monitored agent that brought the supervisor in.
        monitored: String,
        /// The participant visibility: the mode's, unless a seeded fault says otherwise.
        visibility: Visibility,
        /// How many times it switched mode in this chat.
        switches: u32,
    },
}

/// A pending invitation's origin, so the inviter's notifications carry its `referenceId`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    /// User id of the agent or supervisor that invited.
    pub inviter: String,
    /// The `referenceId` returned to the inviter.
    pub reference: u64,
}

/// Where a member stands in the chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberStatus {
    /// Offered the chat; may Accept or Reject.
    Invited(Option<Invitation>),
    /// In the chat.
    Chatting,
    /// Left a chat it was alone in; may still wrap up (disposition, user data) and Complete.
    LeftChat,
}

/// An agent or supervisor attached to a chat.
#[derive(Debug, Clone)]
pub struct Member {
    /// The user's id.
    pub user_id: String,
    /// The participant id shown in `participants` and message `from`.
    pub participant_id: String,
    /// The nickname shown to the others.
    pub nickname: String,
    /// Agent or supervisor, and how it joined.
    pub role: MemberRole,
    /// Invited, chatting or left.
    pub status: MemberStatus,
    /// The id this member knows the chat by: the chat's own id, unless each party has an id of
    /// its own for the interaction (a choice the documents leave open).
    pub chat_id: String,
}

impl Member {
    /// The member's participant visibility.
    pub fn visibility(&self) -> Visibility {
        match &self.role {
            MemberRole::Agent(AgentKind::Consultant) => Visibility::Agents,
            MemberRole::Agent(_) => Visibility::All,
            MemberRole::Supervisor { visibility, .. } => *visibility,
        }
    }

    /// Which content the member is shown.
    pub fn audience(&self) -> Audience {
        match self.role {
            MemberRole::Agent(_) => Audience::Agent,
            MemberRole::Supervisor { .. } => Audience::Supervisor,
        }
    }

    /// Whether the member is an agent (not a supervisor).
    pub fn is_agent(&self) -> bool {
        matches!(self.role, MemberRole::Agent(_))
    }

    /// The supervisor's mode, if the member is a supervisor.
    pub fn mode(&self) -> Option<Mode> {
        match self.role {
            MemberRole::Supervisor { mode, .. } => Some(mode),
            MemberRole::Agent(_) => None,
        }
    }
}

/// Who wrote a message, frozen as it was when the message was written.
#[derive(Debug, Clone)]
pub struct Author {
    /// Nickname at the time.
    pub nickname: String,
    /// `Agent` or `Customer`.
    pub kind: PartyKind,
    /// Participant id.
    pub participant_id: String,
    /// Participant visibility at the time.
    pub visibility: Visibility,
    /// User id for agents and supervisors (rendered as a user URI).
    pub user_id: Option<String>,
}

/// The `type` of a participant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartyKind {
    /// An agent or supervisor.
    Agent,
    /// The customer.
    Customer,
}

impl PartyKind {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PartyKind::Agent => "Agent",
            PartyKind::Customer => "Customer",
        }
    }
}

/// How a chat numbers its messages: the documents only show that indexes increase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Numbering {
    /// 1, 2, 3, ...
    #[default]
    Consecutive,
    /// From 1000, in steps of 1, 2 and 3 in turn.
    Skipping,
}

impl Numbering {
    /// The first index a skipping chat uses.
    const FIRST_SKIPPED: u64 = 1000;

    /// The index of the message after one at `last` (`None`: the chat's first message).
    pub fn next(self, last: Option<u64>) -> u64 {
        match (self, last) {
            (Numbering::Consecutive, None) => 1,
            (Numbering::Consecutive, Some(last)) => last + 1,
            (Numbering::Skipping, None) => Self::FIRST_SKIPPED,
            // Steps of 1, 2, 3 in turn (a cycle of 6), so gaps of every size appear.
            (Numbering::Skipping, Some(last)) => {
                let step = match last.saturating_sub(Self::FIRST_SKIPPED) % 6 {
                    0 => 1,
                    1 => 2,
                    _ => 3,
                };
                last + step
            }
        }
    }
}

/// One entry of the chat's message log.
#[derive(Debug, Clone)]
pub struct Message {
    /// Position in the chat's log, strictly increasing (see [`Numbering`]).
    pub index: u64,
    /// `Text`, `ParticipantJoined`, `ParticipantLeft`, `TypingStarted`, `TypingStopped`, `Notice`.
    pub kind: &'static str,
    /// The author.
    pub from: Author,
    /// Text, for `Text` and `Notice`.
    pub text: Option<String>,
    /// Who may see it.
    pub visibility: Visibility,
    /// Epoch milliseconds.
    pub timestamp: u64,
}

/// The customer's side of a chat.
#[derive(Debug, Clone)]
pub struct Customer {
    /// Participant id.
    pub participant_id: String,
    /// Nickname from RequestChat.
    pub nickname: String,
    /// False once the customer has completed (left) the chat.
    pub present: bool,
    /// The customer's session ended because the last agent left (`LeftChat`) or completed.
    pub session_closed: bool,
    /// Next index a `GET .../messages` without `index` starts from.
    pub read_cursor: u64,
}

impl Customer {
    /// Whether the customer can still send and is still shown as a participant.
    pub fn active(&self) -> bool {
        self.present && !self.session_closed
    }
}

/// A chat interaction.
#[derive(Debug, Clone)]
pub struct Chat {
    /// The interaction id agents and supervisors use at `/api/v2/me/chats/{id}`.
    pub id: String,
    /// The id the customer uses at `/api/v2/chats/{id}`.
    pub customer_chat_id: String,
    /// Epoch milliseconds of the request.
    pub received: u64,
    /// The subject from RequestChat.
    pub subject: String,
    /// The customer.
    pub customer: Customer,
    /// Agents and supervisors attached to the chat, in joining order.
    pub members: Vec<Member>,
    /// The message log.
    pub messages: Vec<Message>,
    /// Attached data.
    pub user_data: Map<String, Value>,
    /// Set by AddComment.
    pub comment: Option<String>,
    /// Agents that rejected or transferred the chat away; routing skips them.
    pub declined_by: Vec<String>,
    /// How its messages are numbered.
    pub numbering: Numbering,
    /// The contact centre it was requested in: routing offers it only to that centre's agents.
    pub contact_center: String,
}

impl Chat {
    /// The member entry of `user_id`, if any.
    pub fn member(&self, user_id: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.user_id == user_id)
    }

    /// Mutable member entry of `user_id`, if any.
    pub fn member_mut(&mut self, user_id: &str) -> Option<&mut Member> {
        self.members.iter_mut().find(|m| m.user_id == user_id)
    }

    /// Whether an agent (not a supervisor) other than `except` is chatting or invited.
    pub fn has_agent_besides(&self, except: &str) -> bool {
        self.members
            .iter()
            .any(|m| m.is_agent() && m.user_id != except && m.status != MemberStatus::LeftChat)
    }

    /// Whether an agent is chatting in it.
    pub fn has_chatting_agent(&self) -> bool {
        self.members
            .iter()
            .any(|m| m.is_agent() && m.status == MemberStatus::Chatting)
    }

    /// Appends a message and returns its index.
    pub fn push_message(
        &mut self,
        kind: &'static str,
        from: Author,
        text: Option<String>,
        visibility: Visibility,
        timestamp: u64,
    ) -> u64 {
        let index = self.numbering.next(self.messages.last().map(|m| m.index));
        self.messages.push(Message {
            index,
            kind,
            from,
            text,
            visibility,
            timestamp,
        });
        index
    }

    /// The author record of a member.
    pub fn author_of(&self, member: &Member) -> Author {
        Author {
            nickname: member.nickname.clone(),
            kind: PartyKind::Agent,
            participant_id: member.participant_id.clone(),
            visibility: member.visibility(),
            user_id: Some(member.user_id.clone()),
        }
    }

    /// The author record of the customer.
    pub fn customer_author(&self) -> Author {
        Author {
            nickname: self.customer.nickname.clone(),
            kind: PartyKind::Customer,
            participant_id: self.customer.participant_id.clone(),
            visibility: Visibility::All,
            user_id: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audiences_see_the_documented_visibilities() {
        use Visibility::*;
        assert!(Audience::Customer.sees(All));
        assert!(!Audience::Customer.sees(Agents));
        assert!(!Audience::Customer.sees(Supervisors));
        assert!(Audience::Agent.sees(Agents));
        assert!(!Audience::Agent.sees(Supervisors));
        assert!(Audience::Supervisor.sees(Supervisors));
    }

    #[test]
    fn consecutive_numbering_starts_at_one_and_skipping_numbering_elsewhere_with_gaps() {
        assert_eq!(Numbering::Consecutive.next(None), 1);
        assert_eq!(Numbering::Consecutive.next(Some(7)), 8);
        let mut indexes = vec![Numbering::Skipping.next(None)];
        for _ in 0..5 {
            indexes.push(Numbering::Skipping.next(indexes.last().copied()));
        }
        assert_eq!(indexes, [1000, 1001, 1003, 1006, 1007, 1009]);
    }

    #[test]
    fn supervisor_visibility_follows_the_mode() {
        for mode in Mode::ALL {
            assert_eq!(Visibility::from(mode).as_str(), mode.visibility());
        }
    }
}
