//! The model of what the documents require, as far as `explore` predicts it: who is logged in
//! and Ready, who monitors whom in which mode and scope, and each chat's phase and members.
//! [`State::candidates`] lists every operation valid in a state, and [`State::apply`] the
//! state after one. Where the documents leave a choice that would make the next state
//! unknown (which Ready agent routing picks, where a rejected chat goes), the candidates avoid
//! it: a chat is requested only while exactly one agent is Ready, and a chat is rejected or
//! queued only while no agent is Ready.

use std::collections::BTreeMap;

use super::op::{Act, Op, Person, Scope};
use super::world::World;
use crate::spec::Mode;
use crate::spec::capabilities::{BARGE_IN, COACH, MONITOR};

/// Monitoring one supervisor has set up on one agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Monitoring {
    /// The mode it joins in.
    pub mode: Mode,
    /// Next chat only, or all chats.
    pub scope: Scope,
}

/// How an agent is in a chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Membership {
    /// Accepted the chat (offered, or invited into a conference).
    Member,
    /// Accepted a consultation: the customer does not see it.
    Consultant,
    /// Left as the last agent (`LeftChat`): it may still complete.
    LeftChat,
}

/// Why an agent has been offered a chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Offer {
    /// Routing offered it.
    Routed,
    /// Invited by a member.
    Invited(Person),
    /// Consulted by a member.
    Consulted(Person),
}

/// Where a chat is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// Its customer has not asked yet.
    #[default]
    NotRequested,
    /// Requested; offered to an agent, not accepted yet.
    Offered,
    /// An agent holds it with the customer.
    Open,
    /// Its last agent left (`LeftChat`); the customer's session is over.
    AgentLeft,
    /// Rejected or transferred to a queue; the customer waits.
    Queued,
    /// Over.
    Ended,
}

/// What a chat's user data holds under [`EXPLORE_KEY`], the key explore attaches, updates
/// and deletes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ExploreKey {
    /// Not there (a new chat, or deleted).
    #[default]
    Absent,
    /// Attached, and updated since.
    Present,
    /// Not known: updated while it was not there (whether UpdateUserData creates a key is not
    /// documented), or the chat was queued with whatever it held.
    Unknown,
}

/// The user-data key explore attaches, updates and deletes.
pub const EXPLORE_KEY: &str = "explore";

/// One chat (one per customer).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Chat {
    /// Where it is.
    pub phase: Phase,
    /// Its agents.
    pub agents: BTreeMap<usize, Membership>,
    /// Its supervisors, by mode.
    pub supervisors: BTreeMap<usize, Mode>,
    /// An offer or invitation waiting for its agent's Accept.
    pub pending: Option<(usize, Offer)>,
    /// Its user data under [`EXPLORE_KEY`].
    pub explore_key: ExploreKey,
}

impl Chat {
    /// Agents in it who take part (not those who left as the last agent).
    pub fn active_agents(&self) -> impl Iterator<Item = (usize, Membership)> + '_ {
        self.agents
            .iter()
            .filter(|(_, m)| **m != Membership::LeftChat)
            .map(|(a, m)| (*a, *m))
    }

    /// Whether `act` may be done in it: AttachUserData only while [`EXPLORE_KEY`] is known not
    /// to be there (what attaching a key that is there does is not documented).
    pub fn may(&self, act: Act) -> bool {
        act != Act::AttachUserData || self.explore_key == ExploreKey::Absent
    }

    /// Everyone in it who gets its notifications.
    pub fn members(&self) -> Vec<Person> {
        let agents = self.agents.keys().map(|a| Person::Agent(*a));
        let supervisors = self.supervisors.keys().map(|s| Person::Supervisor(*s));
        agents.chain(supervisors).collect()
    }

    /// Whether `person` is in it.
    pub fn has(&self, person: Person) -> bool {
        match person {
            Person::Agent(a) => self.agents.contains_key(&a),
            Person::Supervisor(s) => self.supervisors.contains_key(&s),
        }
    }
}

/// An agent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Agent {
    /// Has a contact-centre session.
    pub logged_in: bool,
    /// Ready on chat.
    pub ready: bool,
}

/// A supervisor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Supervisor {
    /// Has a contact-centre session.
    pub logged_in: bool,
    /// Monitoring in force, by agent.
    pub monitoring: BTreeMap<usize, Monitoring>,
}

/// The whole model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    /// Agents.
    pub agents: Vec<Agent>,
    /// Supervisors.
    pub supervisors: Vec<Supervisor>,
    /// Chats, one per customer.
    pub chats: Vec<Chat>,
    /// Monitoring that has ended, by (supervisor, agent): the requirement that says it no
    /// longer joins the agent's chats (MON-NEXTCHAT, MON-CANCEL, MON-LOGOUT).
    pub ended_monitoring: BTreeMap<(usize, usize), &'static str>,
}

/// Operations a supervisor may try that some mode refuses: the table's columns and
/// `Complete`, which no column lists.
fn table_operations() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = MONITOR
        .iter()
        .chain(COACH)
        .chain(BARGE_IN)
        .copied()
        .collect();
    all.push("Complete");
    all.sort_unstable();
    all.dedup();
    all
}

/// Invite and Consult of each of `targets` into `chat` by `by`.
fn invitations(ops: &mut Vec<Op>, by: Person, chat: usize, targets: &[usize]) {
    for target in targets {
        for consult in [false, true] {
            ops.push(Op::Invite {
                by,
                chat,
                target: *target,
                consult,
            });
        }
    }
}

impl State {
    /// Nobody logged in, no chat requested.
    pub fn new(world: World) -> Self {
        Self {
            agents: vec![Agent::default(); world.agents],
            supervisors: vec![Supervisor::default(); world.supervisors],
            chats: vec![Chat::default(); world.customers],
            ended_monitoring: BTreeMap::new(),
        }
    }

    fn logged_in(&self, person: Person) -> bool {
        match person {
            Person::Agent(a) => self.agents[a].logged_in,
            Person::Supervisor(s) => self.supervisors[s].logged_in,
        }
    }

    /// Everyone logged in.
    pub fn logged_in_people(&self) -> Vec<Person> {
        let agents = (0..self.agents.len()).map(Person::Agent);
        let supervisors = (0..self.supervisors.len()).map(Person::Supervisor);
        agents
            .chain(supervisors)
            .filter(|p| self.logged_in(*p))
            .collect()
    }

    fn has_offer(&self, agent: usize) -> bool {
        self.chats
            .iter()
            .any(|c| c.pending.is_some_and(|(a, _)| a == agent))
    }

    fn ready_agents(&self) -> Vec<usize> {
        (0..self.agents.len())
            .filter(|a| self.agents[*a].ready)
            .collect()
    }

    fn any_queued(&self) -> bool {
        self.chats.iter().any(|c| c.phase == Phase::Queued)
    }

    fn monitored(&self, agent: usize) -> bool {
        self.supervisors
            .iter()
            .any(|s| s.monitoring.contains_key(&agent))
    }

    /// The supervisors who join when `agent` accepts `chat`: logged in, monitoring it, not
    /// in the chat already.
    pub fn joiners(&self, agent: usize, chat: usize) -> Vec<(usize, Mode)> {
        (0..self.supervisors.len())
            .filter(|s| !self.chats[chat].supervisors.contains_key(s))
            .filter_map(|s| {
                let sup = &self.supervisors[s];
                let monitoring = sup.monitoring.get(&agent)?;
                sup.logged_in.then_some((s, monitoring.mode))
            })
            .collect()
    }

    /// Every operation valid now, grouped by kind, each kind with its weight (generation
    /// picks a kind by weight, then one of its operations, so that kinds with many instances
    /// do not crowd out the others, and what supervisors do in chats, the subject, comes up
    /// most).
    pub fn candidates(&self) -> Vec<(u32, Vec<Op>)> {
        let mut groups = vec![
            (4, self.login_ops()),
            (1, self.session_ops()),
            (4, self.monitoring_ops()),
            (4, self.routing_ops()),
            (1, self.reject_ops()),
            (3, self.agent_ops()),
            (10, self.supervisor_ops()),
            (4, self.switch_ops()),
            (3, self.refusal_ops()),
            (2, self.customer_ops()),
        ];
        groups.retain(|(_, g)| !g.is_empty());
        groups
    }

    /// Whether `op` is valid now.
    pub fn allows(&self, op: &Op) -> bool {
        self.candidates().iter().any(|(_, ops)| ops.contains(op))
    }

    fn people(&self) -> impl Iterator<Item = Person> {
        (0..self.agents.len())
            .map(Person::Agent)
            .chain((0..self.supervisors.len()).map(Person::Supervisor))
    }

    fn login_ops(&self) -> Vec<Op> {
        // A server whose sessions start Ready could route a queued chat to the agent before
        // the harness's NotReady: wait until nothing is queued.
        if self.any_queued() {
            return Vec::new();
        }
        let people = self.people().filter(|p| !self.logged_in(*p));
        people.map(Op::Login).collect()
    }

    fn session_ops(&self) -> Vec<Op> {
        let mut ops = Vec::new();
        for person in self.people() {
            if !self.logged_in(person) {
                continue;
            }
            let may_leave = match person {
                // What happens to monitoring of an agent who logs out is not documented.
                Person::Agent(a) => !self.has_offer(a) && !self.monitored(a),
                Person::Supervisor(_) => true,
            };
            // A chat waiting for an invitee's Accept is left alone until it comes.
            let inviting = self
                .chats
                .iter()
                .any(|c| c.pending.is_some() && c.phase == Phase::Open && c.has(person));
            if may_leave && !inviting {
                ops.push(Op::Logout(person));
            }
        }
        for (a, agent) in self.agents.iter().enumerate() {
            if agent.logged_in && agent.ready {
                ops.push(Op::NotReady(a));
            } else if agent.logged_in && !self.any_queued() {
                ops.push(Op::Ready(a));
            }
        }
        ops
    }

    fn monitoring_ops(&self) -> Vec<Op> {
        let mut ops = Vec::new();
        for (s, sup) in self.supervisors.iter().enumerate() {
            if !sup.logged_in {
                continue;
            }
            for (a, agent) in self.agents.iter().enumerate() {
                // Monitoring that starts while an offer is out would make it unclear whether
                // the offered chat counts as the agent's next one.
                if !agent.logged_in || self.has_offer(a) {
                    continue;
                }
                if sup.monitoring.contains_key(&a) {
                    ops.push(Op::Cancel {
                        supervisor: s,
                        agent: a,
                    });
                    continue;
                }
                for mode in Mode::ALL {
                    for scope in [None, Some(Scope::NextChat), Some(Scope::AllChats)] {
                        ops.push(Op::Monitor {
                            supervisor: s,
                            agent: a,
                            mode,
                            scope,
                        });
                    }
                }
            }
        }
        ops
    }

    fn routing_ops(&self) -> Vec<Op> {
        let mut ops = Vec::new();
        let ready = self.ready_agents();
        let offering = self.chats.iter().any(|c| c.phase == Phase::Offered);
        if let [only] = ready[..]
            && !self.has_offer(only)
            && !self.any_queued()
            && !offering
        {
            // A customer whose chat is over may ask again.
            for (c, chat) in self.chats.iter().enumerate() {
                if matches!(chat.phase, Phase::NotRequested | Phase::Ended) {
                    ops.push(Op::RequestChat(c));
                }
            }
        }
        for (c, chat) in self.chats.iter().enumerate() {
            let Some((agent, _)) = chat.pending else {
                continue;
            };
            ops.push(Op::Accept { agent, chat: c });
        }
        ops
    }

    fn reject_ops(&self) -> Vec<Op> {
        let ready = self.ready_agents();
        let mut ops = Vec::new();
        for (c, chat) in self.chats.iter().enumerate() {
            if let Some((agent, Offer::Routed)) = chat.pending
                && ready.iter().all(|r| *r == agent)
            {
                ops.push(Op::Reject { agent, chat: c });
            }
        }
        ops
    }

    /// Chats open for operations by their members: with the customer, and no invitation
    /// waiting for its Accept.
    fn workable(&self) -> impl Iterator<Item = (usize, &Chat)> {
        self.chats
            .iter()
            .enumerate()
            .filter(|(_, c)| c.phase == Phase::Open && c.pending.is_none())
    }

    fn invite_targets(&self, chat: &Chat) -> Vec<usize> {
        (0..self.agents.len())
            .filter(|a| self.agents[*a].logged_in && !chat.agents.contains_key(a))
            .filter(|a| !self.has_offer(*a))
            // A supervisor already in the chat who monitors the invitee would "join" a chat
            // it is in: the documents do not say what that does.
            .filter(|a| {
                !chat
                    .supervisors
                    .keys()
                    .any(|s| self.supervisors[*s].monitoring.contains_key(a))
            })
            .collect()
    }

    fn agent_ops(&self) -> Vec<Op> {
        let mut ops = Vec::new();
        let nobody_ready = self.ready_agents().is_empty();
        for (c, chat) in self.workable() {
            let targets = self.invite_targets(chat);
            let member_count = chat
                .active_agents()
                .filter(|(_, m)| *m == Membership::Member)
                .count();
            for (a, membership) in chat.active_agents() {
                let by = Person::Agent(a);
                if membership == Membership::Consultant {
                    ops.push(Op::Act {
                        by,
                        chat: c,
                        act: Act::SendToAgents,
                    });
                    ops.push(Op::Leave { by, chat: c });
                    continue;
                }
                for act in Act::ALL.into_iter().filter(|a| chat.may(*a)) {
                    ops.push(Op::Act { by, chat: c, act });
                }
                invitations(&mut ops, by, c, &targets);
                let alone = chat.active_agents().count() == 1;
                // Leaving as a member while only a consultant would remain is not described.
                if alone || member_count > 1 {
                    ops.push(Op::Leave { by, chat: c });
                }
                ops.push(Op::Complete { agent: a, chat: c });
                if alone && nobody_ready {
                    ops.push(Op::Transfer { by, chat: c });
                }
            }
        }
        for (c, chat) in self.chats.iter().enumerate() {
            if chat.phase != Phase::AgentLeft {
                continue;
            }
            for a in chat.agents.keys() {
                ops.push(Op::Complete { agent: *a, chat: c });
            }
        }
        ops
    }

    fn supervisor_ops(&self) -> Vec<Op> {
        let mut ops = Vec::new();
        let nobody_ready = self.ready_agents().is_empty();
        for (c, chat) in self.workable() {
            let targets = self.invite_targets(chat);
            let one_agent = chat.active_agents().count() == 1;
            for (s, mode) in &chat.supervisors {
                let (s, mode) = (*s, *mode);
                let by = Person::Supervisor(s);
                ops.push(Op::Leave { by, chat: c });
                for act in Act::ALL
                    .into_iter()
                    .filter(|a| a.allowed_in(mode) && chat.may(*a))
                {
                    ops.push(Op::Act { by, chat: c, act });
                }
                if mode != Mode::Monitor {
                    invitations(&mut ops, by, c, &targets);
                    if one_agent && nobody_ready {
                        ops.push(Op::Transfer { by, chat: c });
                    }
                }
            }
        }
        ops
    }

    /// Mode switches of supervisors in chats (a kind of their own: the subject's core).
    fn switch_ops(&self) -> Vec<Op> {
        let mut ops = Vec::new();
        for (c, chat) in self.workable() {
            for (s, mode) in &chat.supervisors {
                for to in Mode::ALL.into_iter().filter(|m| m != mode) {
                    ops.push(Op::Switch {
                        supervisor: *s,
                        chat: c,
                        to,
                    });
                }
            }
        }
        ops
    }

    /// Operations supervisors try outside their mode's capabilities, and monitoring asked
    /// for by agents without the supervisor role.
    fn refusal_ops(&self) -> Vec<Op> {
        let mut ops = Vec::new();
        let agents = || (0..self.agents.len()).filter(|a| self.agents[*a].logged_in);
        for agent in agents() {
            for target in agents().filter(|t| *t != agent) {
                for mode in Mode::ALL {
                    ops.push(Op::AgentMonitors {
                        agent,
                        target,
                        mode,
                    });
                }
            }
        }
        let table = table_operations();
        for (c, chat) in self.workable() {
            let has_target = !self.invite_targets(chat).is_empty();
            for (s, mode) in &chat.supervisors {
                for operation in &table {
                    // Invite and Consult need a target to be refused for their capability
                    // rather than for a bad parameter.
                    let needs_target = matches!(*operation, "Invite" | "Consult");
                    if !mode.capabilities().contains(operation) && (!needs_target || has_target) {
                        ops.push(Op::Refused {
                            supervisor: *s,
                            chat: c,
                            operation,
                        });
                    }
                }
            }
        }
        ops
    }
    fn customer_ops(&self) -> Vec<Op> {
        let mut ops = Vec::new();
        for (c, chat) in self.chats.iter().enumerate() {
            match chat.phase {
                Phase::NotRequested => {}
                Phase::Offered | Phase::Queued => {
                    ops.push(Op::CustomerMessage(c));
                    ops.push(Op::CustomerReads(c));
                    ops.push(Op::CustomerWithdraws(c));
                }
                Phase::Open if chat.pending.is_none() => {
                    ops.push(Op::CustomerMessage(c));
                    ops.push(Op::CustomerReads(c));
                }
                // Whether an ended customer session may still be read is not documented.
                Phase::Open | Phase::AgentLeft | Phase::Ended => {}
            }
        }
        ops
    }

    /// The state after `op` (which [`State::allows`]).
    pub fn apply(mut self, op: &Op) -> Self {
        match *op {
            Op::Login(Person::Agent(a)) => {
                self.agents[a] = Agent {
                    logged_in: true,
                    ready: false,
                }
            }
            Op::Login(Person::Supervisor(s)) => {
                self.supervisors[s] = Supervisor {
                    logged_in: true,
                    ..Supervisor::default()
                };
            }
            Op::Logout(person) => self.log_out(person),
            Op::Ready(a) => self.agents[a].ready = true,
            Op::NotReady(a) => self.agents[a].ready = false,
            Op::Monitor {
                supervisor,
                agent,
                mode,
                scope,
            } => {
                let scope = scope.unwrap_or(Scope::AllChats);
                let monitoring = Monitoring { mode, scope };
                self.supervisors[supervisor]
                    .monitoring
                    .insert(agent, monitoring);
                self.ended_monitoring.remove(&(supervisor, agent));
            }
            Op::Cancel { supervisor, agent } => {
                self.supervisors[supervisor].monitoring.remove(&agent);
                self.ended_monitoring
                    .insert((supervisor, agent), "MON-CANCEL");
            }
            Op::RequestChat(c) => {
                let agent = self.ready_agents()[0];
                let chat = &mut self.chats[c];
                chat.phase = Phase::Offered;
                chat.pending = Some((agent, Offer::Routed));
            }
            Op::Accept { agent, chat } => self.accept(agent, chat),
            Op::Reject { agent, chat } => {
                self.agents[agent].ready = false;
                let chat = &mut self.chats[chat];
                chat.phase = Phase::Queued;
                chat.pending = None;
            }
            Op::Act { chat, act, .. } => {
                let key = &mut self.chats[chat].explore_key;
                *key = match (act, *key) {
                    (Act::AttachUserData, _) => ExploreKey::Present,
                    (Act::UpdateUserData, ExploreKey::Present) => ExploreKey::Present,
                    (Act::UpdateUserData, _) => ExploreKey::Unknown,
                    // Gone, whether it was there (deleted) or not (refused or ignored).
                    (Act::DeleteUserData, _) => ExploreKey::Absent,
                    (_, unchanged) => unchanged,
                };
            }
            Op::Refused { .. }
            | Op::AgentMonitors { .. }
            | Op::CustomerMessage(_)
            | Op::CustomerReads(_) => {}
            Op::Invite {
                by,
                chat,
                target,
                consult,
            } => {
                let offer = if consult {
                    Offer::Consulted(by)
                } else {
                    Offer::Invited(by)
                };
                self.chats[chat].pending = Some((target, offer));
            }
            Op::Leave {
                by: Person::Agent(a),
                chat,
            } => {
                let chat = &mut self.chats[chat];
                if chat.active_agents().count() == 1 {
                    chat.agents.insert(a, Membership::LeftChat);
                    chat.supervisors.clear();
                    chat.phase = Phase::AgentLeft;
                } else {
                    chat.agents.remove(&a);
                }
            }
            Op::Leave {
                by: Person::Supervisor(s),
                chat,
            } => {
                self.chats[chat].supervisors.remove(&s);
            }
            Op::Complete { chat, .. } => self.end(chat, Phase::Ended),
            Op::Transfer { chat, .. } => self.end(chat, Phase::Queued),
            Op::Switch {
                supervisor,
                chat,
                to,
            } => {
                self.chats[chat].supervisors.insert(supervisor, to);
            }
            Op::CustomerWithdraws(c) => self.end(c, Phase::Ended),
        }
        self
    }

    fn end(&mut self, chat: usize, phase: Phase) {
        // A queued chat keeps its user data for whoever accepts it next.
        let explore_key = match phase {
            Phase::Queued => ExploreKey::Unknown,
            _ => ExploreKey::Absent,
        };
        self.chats[chat] = Chat {
            phase,
            explore_key,
            ..Chat::default()
        };
    }

    fn accept(&mut self, agent: usize, c: usize) {
        let joiners = self.joiners(agent, c);
        let chat = &mut self.chats[c];
        let membership = match chat.pending.take() {
            Some((_, Offer::Consulted(_))) => Membership::Consultant,
            _ => Membership::Member,
        };
        chat.phase = Phase::Open;
        chat.agents.insert(agent, membership);
        for (s, mode) in joiners {
            chat.supervisors.insert(s, mode);
            let monitoring = &mut self.supervisors[s].monitoring;
            if monitoring
                .get(&agent)
                .is_some_and(|m| m.scope == Scope::NextChat)
            {
                monitoring.remove(&agent);
                self.ended_monitoring.insert((s, agent), "MON-NEXTCHAT");
            }
        }
    }

    /// Logging out leaves every chat; a chat left with no agent ends, and monitoring by a
    /// supervisor ends.
    fn log_out(&mut self, person: Person) {
        match person {
            Person::Agent(a) => self.agents[a] = Agent::default(),
            Person::Supervisor(s) => {
                for agent in self.supervisors[s].monitoring.keys() {
                    self.ended_monitoring.insert((s, *agent), "MON-LOGOUT");
                }
                self.supervisors[s] = Supervisor::default();
            }
        }
        for c in 0..self.chats.len() {
            let chat = &mut self.chats[c];
            match person {
                Person::Agent(a) => {
                    if chat.agents.remove(&a).is_some() && chat.active_agents().next().is_none() {
                        self.end(c, Phase::Ended);
                    }
                }
                Person::Supervisor(s) => {
                    chat.supervisors.remove(&s);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world() -> World {
        World::default()
    }

    fn after(ops: &[Op]) -> State {
        let mut state = State::new(world());
        for op in ops {
            assert!(state.allows(op), "{op} is not valid in {state:?}");
            state = state.apply(op);
        }
        state
    }

    const S1: Person = Person::Supervisor(0);
    const A1: Person = Person::Agent(0);

    /// a1 and s1 logged in, s1 monitoring a1 in `mode`, a1 Ready.
    fn monitored(mode: Mode, scope: Option<Scope>) -> Vec<Op> {
        vec![
            Op::Login(A1),
            Op::Login(S1),
            Op::monitor(0, 0, mode, scope),
            Op::Ready(0),
        ]
    }

    #[test]
    fn nothing_but_logins_is_valid_at_the_start() {
        let state = State::new(world());
        let ops: Vec<Op> = state
            .candidates()
            .into_iter()
            .flat_map(|(_, ops)| ops)
            .collect();
        assert!(!ops.is_empty());
        assert!(ops.iter().all(|op| matches!(op, Op::Login(_))), "{ops:?}");
    }

    #[test]
    fn a_chat_is_requested_only_while_exactly_one_agent_is_ready() {
        let mut ops = vec![Op::Login(A1), Op::Login(Person::Agent(1))];
        assert!(!after(&ops).allows(&Op::RequestChat(0)));
        ops.push(Op::Ready(0));
        assert!(after(&ops).allows(&Op::RequestChat(0)));
        ops.push(Op::Ready(1));
        assert!(
            !after(&ops).allows(&Op::RequestChat(0)),
            "routing could pick either"
        );
    }

    #[test]
    fn a_monitoring_supervisor_joins_on_accept_and_next_chat_is_used_up() {
        let mut ops = monitored(Mode::Coach, Some(Scope::NextChat));
        ops.extend([Op::RequestChat(0), Op::Accept { agent: 0, chat: 0 }]);
        let state = after(&ops);
        assert_eq!(state.chats[0].supervisors.get(&0), Some(&Mode::Coach));
        assert!(
            state.supervisors[0].monitoring.is_empty(),
            "NextChat is used up"
        );
        ops.extend([Op::RequestChat(1), Op::Accept { agent: 0, chat: 1 }]);
        assert!(after(&ops).chats[1].supervisors.is_empty());
    }

    #[test]
    fn all_chats_monitoring_joins_every_chat_until_cancelled() {
        let mut ops = monitored(Mode::Monitor, None);
        ops.extend([Op::RequestChat(0), Op::Accept { agent: 0, chat: 0 }]);
        ops.extend([Op::RequestChat(1), Op::Accept { agent: 0, chat: 1 }]);
        let state = after(&ops);
        assert!(state.chats[1].supervisors.contains_key(&0));
        ops.push(Op::Cancel {
            supervisor: 0,
            agent: 0,
        });
        ops.extend([Op::RequestChat(2), Op::Accept { agent: 0, chat: 2 }]);
        let state = after(&ops);
        assert!(state.chats[2].supervisors.is_empty());
        assert!(
            state.chats[0].supervisors.contains_key(&0),
            "cancel aborts no chat"
        );
    }

    #[test]
    fn operations_outside_the_mode_are_offered_only_as_refusals() {
        let mut ops = monitored(Mode::Monitor, None);
        ops.extend([Op::RequestChat(0), Op::Accept { agent: 0, chat: 0 }]);
        let state = after(&ops);
        let send = Op::Act {
            by: S1,
            chat: 0,
            act: Act::SendMessage,
        };
        assert!(!state.allows(&send));
        assert!(state.allows(&Op::Refused {
            supervisor: 0,
            chat: 0,
            operation: "SendMessage"
        }));
        assert!(state.allows(&Op::Refused {
            supervisor: 0,
            chat: 0,
            operation: "Complete"
        }));
        assert!(!state.allows(&Op::Refused {
            supervisor: 0,
            chat: 0,
            operation: "Leave"
        }));
        assert!(state.allows(&Op::Switch {
            supervisor: 0,
            chat: 0,
            to: Mode::BargeIn
        }));
        assert!(!state.allows(&Op::Switch {
            supervisor: 0,
            chat: 0,
            to: Mode::Monitor
        }));
    }

    #[test]
    fn the_last_agent_leaving_revokes_supervisors_but_one_of_a_conference_does_not() {
        let mut ops = monitored(Mode::BargeIn, None);
        ops.extend([
            Op::RequestChat(0),
            Op::Accept { agent: 0, chat: 0 },
            Op::Login(Person::Agent(1)),
            Op::Invite {
                by: A1,
                chat: 0,
                target: 1,
                consult: false,
            },
            Op::Accept { agent: 1, chat: 0 },
        ]);
        let conference = after(&ops);
        let left = conference.clone().apply(&Op::Leave { by: A1, chat: 0 });
        assert!(
            left.chats[0].supervisors.contains_key(&0),
            "the supervisor stays"
        );
        let last = left.apply(&Op::Leave {
            by: Person::Agent(1),
            chat: 0,
        });
        assert_eq!(last.chats[0].phase, Phase::AgentLeft);
        assert!(last.chats[0].supervisors.is_empty());
    }

    #[test]
    fn a_supervisor_logout_ends_its_monitoring_and_takes_it_out_of_its_chats() {
        let mut ops = monitored(Mode::Coach, None);
        ops.extend([
            Op::RequestChat(0),
            Op::Accept { agent: 0, chat: 0 },
            Op::Logout(S1),
        ]);
        let state = after(&ops);
        assert!(state.chats[0].supervisors.is_empty());
        assert!(state.supervisors[0].monitoring.is_empty());
        assert!(!state.allows(&Op::Logout(S1)));
    }

    #[test]
    fn rejecting_and_queueing_wait_until_no_other_agent_is_ready() {
        let mut ops = vec![Op::Login(A1), Op::Ready(0), Op::RequestChat(0)];
        let offered = after(&ops);
        assert!(offered.allows(&Op::Reject { agent: 0, chat: 0 }));
        ops.push(Op::Reject { agent: 0, chat: 0 });
        let queued = after(&ops);
        assert_eq!(queued.chats[0].phase, Phase::Queued);
        assert!(
            !queued.allows(&Op::Ready(0)),
            "the queued chat would be routed"
        );
        assert!(queued.allows(&Op::CustomerWithdraws(0)));
    }
}
