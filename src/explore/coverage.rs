//! What an exploration exercised: every (mode, operation) pair a supervisor performed or was
//! refused, every mode switch, every shape a chat took, every requirement a step checked; each
//! with its count, and the ones never reached.

use std::collections::BTreeMap;
use std::fmt;

use super::model::{Membership, Phase, State};
use super::op::{Op, Person};
use super::predict::predict;
use crate::spec::Mode;
use crate::spec::capabilities::{BARGE_IN, COACH, MONITOR};

/// Counts of what was exercised.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    /// (mode, operation) → how often a supervisor in that mode sent it (refused or not).
    pub mode_operations: BTreeMap<(Mode, String), usize>,
    /// (from, to) → how often a supervisor switched.
    pub switches: BTreeMap<(Mode, Mode), usize>,
    /// A chat's shape (phase, agents, supervisors' modes) → how often a chat was left so.
    pub shapes: BTreeMap<String, usize>,
    /// Requirement → how many steps checked it.
    pub requirements: BTreeMap<String, usize>,
    /// Operations run.
    pub operations: usize,
    /// The most supervisors a chat could hold (the world's).
    pub supervisors: usize,
}

/// The shape of one chat in the model (the states coverage counts).
fn shape(state: &State, chat: usize) -> Option<String> {
    let chat = &state.chats[chat];
    let phase = match chat.phase {
        Phase::NotRequested | Phase::Ended => return None,
        Phase::Offered => return Some("offered".to_owned()),
        Phase::Queued => return Some("queued".to_owned()),
        Phase::AgentLeft => return Some("agent left".to_owned()),
        Phase::Open => "open",
    };
    let company = if chat.agents.values().any(|m| *m == Membership::Consultant) {
        "consultation"
    } else if chat.active_agents().count() > 1 {
        "conference"
    } else {
        "one agent"
    };
    let mut modes: Vec<&str> = chat.supervisors.values().map(|m| m.name()).collect();
    modes.sort_unstable();
    modes.dedup();
    let supervisors = if modes.is_empty() {
        "no supervisor".to_owned()
    } else {
        modes.join("+")
    };
    Some(format!("{phase}, {company}, {supervisors}"))
}

/// Every shape a chat can take with at most `supervisors` supervisors, for what was never
/// reached.
fn all_shapes(supervisors: usize) -> Vec<String> {
    let mut shapes = vec![
        "offered".to_owned(),
        "queued".to_owned(),
        "agent left".to_owned(),
    ];
    let mode_sets: Vec<String> = (0u8..8)
        .filter(|bits| bits.count_ones() as usize <= supervisors)
        .map(|bits| {
            let mut names: Vec<&str> = Mode::ALL
                .iter()
                .enumerate()
                .filter(|(i, _)| bits & (1 << i) != 0)
                .map(|(_, m)| m.name())
                .collect();
            names.sort_unstable();
            if names.is_empty() {
                "no supervisor".to_owned()
            } else {
                names.join("+")
            }
        })
        .collect();
    for company in ["one agent", "conference", "consultation"] {
        for modes in &mode_sets {
            shapes.push(format!("open, {company}, {modes}"));
        }
    }
    shapes
}

impl Coverage {
    /// Counts what `ops[..ran]` exercised.
    pub fn add(&mut self, world: super::world::World, ops: &[Op], ran: usize) {
        self.supervisors = world.supervisors;
        let mut state = State::new(world);
        for op in ops.iter().take(ran) {
            let supervisor_mode = |s: usize, c: usize| state.chats[c].supervisors.get(&s).copied();
            let pair = match *op {
                Op::Act {
                    by: Person::Supervisor(s),
                    chat,
                    act,
                } => supervisor_mode(s, chat).map(|m| (m, act.operation().to_owned())),
                Op::Leave {
                    by: Person::Supervisor(s),
                    chat,
                } => supervisor_mode(s, chat).map(|m| (m, "Leave".to_owned())),
                Op::Transfer {
                    by: Person::Supervisor(s),
                    chat,
                } => supervisor_mode(s, chat).map(|m| (m, "Transfer".to_owned())),
                Op::Invite {
                    by: Person::Supervisor(s),
                    chat,
                    consult,
                    ..
                } => {
                    let name = if consult { "Consult" } else { "Invite" };
                    supervisor_mode(s, chat).map(|m| (m, name.to_owned()))
                }
                Op::Switch {
                    supervisor,
                    chat,
                    to,
                } => {
                    let from = supervisor_mode(supervisor, chat);
                    if let Some(from) = from {
                        *self.switches.entry((from, to)).or_default() += 1;
                    }
                    from.map(|m| (m, format!("SwitchTo{}", to.name())))
                }
                Op::Refused {
                    supervisor,
                    chat,
                    operation,
                } => supervisor_mode(supervisor, chat).map(|m| (m, operation.to_owned())),
                _ => None,
            };
            if let Some(pair) = pair {
                *self.mode_operations.entry(pair).or_default() += 1;
            }
            let prediction = predict(&state, op, "");
            *self
                .requirements
                .entry(prediction.covers.to_owned())
                .or_default() += 1;
            for covers in prediction.quiet_covers.values() {
                *self.requirements.entry((*covers).to_owned()).or_default() += 1;
            }
            for expected in &prediction.expected {
                *self
                    .requirements
                    .entry(expected.covers.to_owned())
                    .or_default() += 1;
            }
            state = state.apply(op);
            for chat in 0..state.chats.len() {
                if let Some(shape) = shape(&state, chat) {
                    *self.shapes.entry(shape).or_default() += 1;
                }
            }
            self.operations += 1;
        }
    }

    /// (mode, operation) pairs never exercised: every mode against every operation of the
    /// table and `Complete`.
    pub fn unreached_pairs(&self) -> Vec<(Mode, &'static str)> {
        let mut operations: Vec<&'static str> = MONITOR
            .iter()
            .chain(COACH)
            .chain(BARGE_IN)
            .copied()
            .collect();
        operations.push("Complete");
        operations.sort_unstable();
        operations.dedup();
        Mode::ALL
            .into_iter()
            .flat_map(|m| operations.iter().map(move |o| (m, *o)))
            .filter(|(m, o)| !self.mode_operations.contains_key(&(*m, (*o).to_owned())))
            .collect()
    }

    /// Switches never made.
    pub fn unreached_switches(&self) -> Vec<(Mode, Mode)> {
        Mode::ALL
            .into_iter()
            .flat_map(|from| Mode::ALL.into_iter().map(move |to| (from, to)))
            .filter(|(from, to)| from != to && !self.switches.contains_key(&(*from, *to)))
            .collect()
    }

    /// Chat shapes never reached (of those the world allows).
    pub fn unreached_shapes(&self) -> Vec<String> {
        all_shapes(self.supervisors)
            .into_iter()
            .filter(|s| !self.shapes.contains_key(s))
            .collect()
    }
}

impl fmt::Display for Coverage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pairs = self.unreached_pairs();
        let total_pairs = self.mode_operations.len() + pairs.len();
        writeln!(f, "coverage of {} operations:", self.operations)?;
        writeln!(
            f,
            "  (mode, operation) pairs: {} of {total_pairs}",
            self.mode_operations.len()
        )?;
        for ((mode, op), n) in &self.mode_operations {
            let refused = !mode.capabilities().contains(&op.as_str());
            let note = if refused { " (refused)" } else { "" };
            writeln!(f, "    {:8} {op}{note}: {n}", mode.name())?;
        }
        if !pairs.is_empty() {
            let names: Vec<String> = pairs
                .iter()
                .map(|(m, o)| format!("{} {o}", m.name()))
                .collect();
            writeln!(f, "    never: {}", names.join(", "))?;
        }
        let switches = self.unreached_switches();
        writeln!(f, "  mode switches: {} of 6", 6 - switches.len())?;
        for ((from, to), n) in &self.switches {
            writeln!(f, "    {} -> {}: {n}", from.name(), to.name())?;
        }
        if !switches.is_empty() {
            let names: Vec<String> = switches
                .iter()
                .map(|(a, b)| format!("{} -> {}", a.name(), b.name()))
                .collect();
            writeln!(f, "    never: {}", names.join(", "))?;
        }
        let shapes = self.unreached_shapes();
        writeln!(
            f,
            "  chat states: {} of {}",
            self.shapes.len(),
            self.shapes.len() + shapes.len()
        )?;
        for (shape, n) in &self.shapes {
            writeln!(f, "    {shape}: {n}")?;
        }
        if !shapes.is_empty() {
            writeln!(f, "    never: {}", shapes.join("; "))?;
        }
        writeln!(f, "  requirements checked: {}", self.requirements.len())?;
        for (requirement, n) in &self.requirements {
            writeln!(f, "    {requirement}: {n}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explore::op::Scope;
    use crate::explore::world::World;

    #[test]
    fn coverage_counts_pairs_switches_and_shapes_and_lists_what_was_never_reached() {
        let (a1, s1) = (Person::Agent(0), Person::Supervisor(0));
        let ops = [
            Op::Login(a1),
            Op::Login(s1),
            Op::monitor(0, 0, Mode::Monitor, Some(Scope::AllChats)),
            Op::Ready(0),
            Op::RequestChat(0),
            Op::Accept { agent: 0, chat: 0 },
            Op::Refused {
                supervisor: 0,
                chat: 0,
                operation: "SendMessage",
            },
            Op::Switch {
                supervisor: 0,
                chat: 0,
                to: Mode::Coach,
            },
        ];
        let world = World {
            supervisors: 1,
            ..World::default()
        };
        let mut coverage = Coverage::default();
        coverage.add(world, &ops, ops.len());
        assert_eq!(coverage.operations, ops.len());
        assert_eq!(
            coverage.mode_operations.keys().collect::<Vec<_>>(),
            [
                &(Mode::Monitor, "SendMessage".to_owned()),
                &(Mode::Monitor, "SwitchToCoach".to_owned())
            ]
        );
        assert_eq!(
            coverage.switches.get(&(Mode::Monitor, Mode::Coach)),
            Some(&1)
        );
        assert!(coverage.shapes.contains_key("open, one agent, Coach"));
        assert!(coverage.shapes.contains_key("offered"));
        assert_eq!(coverage.requirements.get("CAP-ENFORCED"), Some(&1));
        assert_eq!(coverage.unreached_switches().len(), 5);
        // With one supervisor, no chat can hold two modes: those shapes are not "never reached".
        let unreached = coverage.unreached_shapes();
        assert!(unreached.iter().all(|s| !s.contains('+')), "{unreached:?}");
        assert!(unreached.contains(&"queued".to_owned()));
        // Only what ran counts.
        let mut partial = Coverage::default();
        partial.add(world, &ops, 2);
        assert_eq!(partial.operations, 2);
        assert!(partial.mode_operations.is_empty());
    }
}
