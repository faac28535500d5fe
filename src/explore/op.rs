//! The operations `explore` draws from: what the documents let agents, supervisors and
//! customers do, named by who does it to which chat. Operations are abstract (indexes into the
//! world, no ids): the model decides which are valid, the compiler turns them into steps.

use std::fmt;

use crate::spec::Mode;

/// An agent or a supervisor of the explored world (by index, from 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Person {
    /// `agent{N+1}` of the profile.
    Agent(usize),
    /// `supervisor{N+1}` of the profile.
    Supervisor(usize),
}

impl Person {
    /// The actor's name in a scenario (`a1`, `s2`).
    pub fn actor(self) -> String {
        match self {
            Person::Agent(i) => format!("a{}", i + 1),
            Person::Supervisor(i) => format!("s{}", i + 1),
        }
    }

    /// The profile user it logs in as.
    pub fn user(self) -> String {
        match self {
            Person::Agent(i) => format!("agent{}", i + 1),
            Person::Supervisor(i) => format!("supervisor{}", i + 1),
        }
    }

    /// The variable holding this person's id of chat `chat` (each party may have its own).
    pub fn chat_var(self, chat: usize) -> String {
        format!("{}_chat{}", self.actor(), chat + 1)
    }
}

/// The customer actor of chat `chat` (one customer per chat).
pub fn customer_actor(chat: usize) -> String {
    format!("c{}", chat + 1)
}

/// `supervisorMonitoringMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Only the agent's next chat.
    NextChat,
    /// Every chat until cancelled (the documented default).
    AllChats,
}

impl Scope {
    /// The name the operation takes.
    pub fn name(self) -> &'static str {
        match self {
            Scope::NextChat => "NextChat",
            Scope::AllChats => "AllChats",
        }
    }
}

/// A chat operation that changes no membership: messages, typing, properties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Act {
    /// `SendMessage`: a message everyone sees.
    SendMessage,
    /// `SendToAgents`: a message agents and supervisors see.
    SendToAgents,
    /// `SendStartTypingNotification`.
    TypingStarted,
    /// `SendStopTypingNotification`.
    TypingStopped,
    /// `SendStartTypingToAgentsNotification`.
    TypingToAgentsStarted,
    /// `SendStopTypingToAgentsNotification`.
    TypingToAgentsStopped,
    /// `UpdateUserData`.
    UpdateUserData,
    /// `AttachUserData`.
    AttachUserData,
    /// `DeleteUserData`.
    DeleteUserData,
    /// `AddComment`.
    AddComment,
    /// `SetDisposition`.
    SetDisposition,
    /// `SetInFocus`.
    SetInFocus,
}

impl Act {
    /// Every act.
    pub const ALL: [Act; 12] = [
        Act::SendMessage,
        Act::SendToAgents,
        Act::TypingStarted,
        Act::TypingStopped,
        Act::TypingToAgentsStarted,
        Act::TypingToAgentsStopped,
        Act::UpdateUserData,
        Act::AttachUserData,
        Act::DeleteUserData,
        Act::AddComment,
        Act::SetDisposition,
        Act::SetInFocus,
    ];

    /// The `operationName`.
    pub fn operation(self) -> &'static str {
        match self {
            Act::SendMessage => "SendMessage",
            Act::SendToAgents => "SendToAgents",
            Act::TypingStarted => "SendStartTypingNotification",
            Act::TypingStopped => "SendStopTypingNotification",
            Act::TypingToAgentsStarted => "SendStartTypingToAgentsNotification",
            Act::TypingToAgentsStopped => "SendStopTypingToAgentsNotification",
            Act::UpdateUserData => "UpdateUserData",
            Act::AttachUserData => "AttachUserData",
            Act::DeleteUserData => "DeleteUserData",
            Act::AddComment => "AddComment",
            Act::SetDisposition => "SetDisposition",
            Act::SetInFocus => "SetInFocus",
        }
    }

    /// Whether a supervisor in `mode` may do it (the seed table).
    pub fn allowed_in(self, mode: Mode) -> bool {
        mode.capabilities().contains(&self.operation())
    }
}

/// One step of an exploration.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Op {
    /// Log in (an agent starts Not Ready).
    Login(Person),
    /// EndContactCenterSession.
    Logout(Person),
    /// An agent becomes Ready.
    Ready(usize),
    /// An agent becomes Not Ready.
    NotReady(usize),
    /// A supervisor starts monitoring an agent (`None`: the server's default scope).
    Monitor {
        /// Supervisor index.
        supervisor: usize,
        /// Agent index.
        agent: usize,
        /// Mode.
        mode: Mode,
        /// `supervisorMonitoringMode`, or none.
        scope: Option<Scope>,
    },
    /// CancelSupervisorMonitoring.
    Cancel {
        /// Supervisor index.
        supervisor: usize,
        /// Agent index.
        agent: usize,
    },
    /// The chat's customer requests it.
    RequestChat(usize),
    /// An agent accepts the chat it was offered or invited into.
    Accept {
        /// Agent index.
        agent: usize,
        /// Chat index.
        chat: usize,
    },
    /// An agent goes Not Ready and rejects the chat it was offered (it stays queued).
    Reject {
        /// Agent index.
        agent: usize,
        /// Chat index.
        chat: usize,
    },
    /// A message, typing or property operation.
    Act {
        /// Who.
        by: Person,
        /// Chat index.
        chat: usize,
        /// What.
        act: Act,
    },
    /// Invite (or Consult) an agent into the chat.
    Invite {
        /// Who invites.
        by: Person,
        /// Chat index.
        chat: usize,
        /// The invited agent.
        target: usize,
        /// Consult rather than Invite.
        consult: bool,
    },
    /// Leave the chat.
    Leave {
        /// Who.
        by: Person,
        /// Chat index.
        chat: usize,
    },
    /// An agent completes the chat.
    Complete {
        /// Agent index.
        agent: usize,
        /// Chat index.
        chat: usize,
    },
    /// Transfer the chat to a queue.
    Transfer {
        /// Who.
        by: Person,
        /// Chat index.
        chat: usize,
    },
    /// A supervisor switches mode in a chat.
    Switch {
        /// Supervisor index.
        supervisor: usize,
        /// Chat index.
        chat: usize,
        /// The new mode.
        to: Mode,
    },
    /// A supervisor tries an operation outside its mode's capabilities (must be refused).
    Refused {
        /// Supervisor index.
        supervisor: usize,
        /// Chat index.
        chat: usize,
        /// The operation.
        operation: &'static str,
    },
    /// An agent without the supervisor role asks to monitor another (must be refused).
    AgentMonitors {
        /// The agent asking.
        agent: usize,
        /// The agent it would monitor.
        target: usize,
        /// The mode asked for.
        mode: Mode,
    },
    /// The customer sends a message.
    CustomerMessage(usize),
    /// The customer reads the whole transcript and the chat.
    CustomerReads(usize),
    /// The customer leaves a chat no agent holds (a queued chat or an unanswered offer).
    CustomerWithdraws(usize),
}

#[cfg(test)]
impl Op {
    /// Supervisor `supervisor` monitors agent `agent` (the tests' shorthand).
    pub(crate) fn monitor(
        supervisor: usize,
        agent: usize,
        mode: Mode,
        scope: Option<Scope>,
    ) -> Self {
        Self::Monitor {
            supervisor,
            agent,
            mode,
            scope,
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let chat = |c: &usize| format!("chat{}", c + 1);
        match self {
            Op::Login(p) => write!(f, "{} logs in", p.actor()),
            Op::Logout(p) => write!(f, "{} logs out", p.actor()),
            Op::Ready(a) => write!(f, "{} Ready", Person::Agent(*a).actor()),
            Op::NotReady(a) => write!(f, "{} NotReady", Person::Agent(*a).actor()),
            Op::Monitor {
                supervisor,
                agent,
                mode,
                scope,
            } => write!(
                f,
                "{} {} {} ({})",
                Person::Supervisor(*supervisor).actor(),
                mode.name(),
                Person::Agent(*agent).actor(),
                scope.map_or("default scope", Scope::name)
            ),
            Op::Cancel { supervisor, agent } => write!(
                f,
                "{} cancels monitoring {}",
                Person::Supervisor(*supervisor).actor(),
                Person::Agent(*agent).actor()
            ),
            Op::RequestChat(c) => write!(f, "{} requests {}", customer_actor(*c), chat(c)),
            Op::Accept { agent, chat: c } => {
                write!(f, "{} accepts {}", Person::Agent(*agent).actor(), chat(c))
            }
            Op::Reject { agent, chat: c } => {
                write!(f, "{} rejects {}", Person::Agent(*agent).actor(), chat(c))
            }
            Op::Act { by, chat: c, act } => {
                write!(f, "{} {} in {}", by.actor(), act.operation(), chat(c))
            }
            Op::Invite {
                by,
                chat: c,
                target,
                consult,
            } => write!(
                f,
                "{} {} {} into {}",
                by.actor(),
                if *consult { "consults" } else { "invites" },
                Person::Agent(*target).actor(),
                chat(c)
            ),
            Op::Leave { by, chat: c } => write!(f, "{} leaves {}", by.actor(), chat(c)),
            Op::Complete { agent, chat: c } => {
                write!(f, "{} completes {}", Person::Agent(*agent).actor(), chat(c))
            }
            Op::Transfer { by, chat: c } => {
                write!(f, "{} transfers {} to a queue", by.actor(), chat(c))
            }
            Op::Switch {
                supervisor,
                chat: c,
                to,
            } => write!(
                f,
                "{} switches to {} in {}",
                Person::Supervisor(*supervisor).actor(),
                to.name(),
                chat(c)
            ),
            Op::Refused {
                supervisor,
                chat: c,
                operation,
            } => write!(
                f,
                "{} tries {operation} in {} (refused)",
                Person::Supervisor(*supervisor).actor(),
                chat(c)
            ),
            Op::AgentMonitors {
                agent,
                target,
                mode,
            } => write!(
                f,
                "{} (no supervisor role) tries {} {} (refused)",
                Person::Agent(*agent).actor(),
                mode.name(),
                Person::Agent(*target).actor()
            ),
            Op::CustomerMessage(c) => write!(f, "{} sends a message", customer_actor(*c)),
            Op::CustomerReads(c) => write!(f, "{} reads {}", customer_actor(*c), chat(c)),
            Op::CustomerWithdraws(c) => write!(f, "{} withdraws {}", customer_actor(*c), chat(c)),
        }
    }
}
