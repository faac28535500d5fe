//! When the requests that change each chat began in the recording, to tell what a recorded
//! notification followed: how many had begun when it arrived
//! ([`join_delivery`](super::join_delivery)), and when the chat's mode was switched
//! ([`switch_log`](super::switch_log)).
//!
//! Chats are numbered as footprints number them ([`classified`]), so a party's notification
//! finds the requests of every party about its chat, whatever id each of them used.

use std::collections::HashMap;

use super::footprint::{Chats, Footprint, chat_path, classified};
use super::script::{Action, GroupPlan};

/// The operations that switch a supervisor's mode in a chat.
const SWITCHES: &[&str] = &["SwitchToMonitor", "SwitchToCoach", "SwitchToBargeIn"];

/// Whether `operation` switches a supervisor's mode.
fn is_switch(operation: &str) -> bool {
    SWITCHES.contains(&operation)
}

/// The chat a supervisor's switch (`POST …/me/chats/{id}`) is about, as footprints number it.
fn switched_chat(action: &Action, chats: &Chats) -> Option<usize> {
    let Action::Http { target, .. } = action else {
        return None;
    };
    chats.staff(chat_path(target).filter(|path| path.staff)?.id)
}

/// Whether a mode switch among `requests` began after `after` (from the start, if `None`) and
/// before `until` (to the end, if `None`).
fn switched_in(requests: &[(i64, bool)], after: Option<i64>, until: Option<i64>) -> bool {
    requests.iter().any(|&(start, switch)| {
        switch
            && after.is_none_or(|after| start >= after)
            && until.is_none_or(|until| start < until)
    })
}

/// The requests about each chat, in the order they began.
#[derive(Debug)]
pub struct Timeline {
    /// Per chat: when each request that changes it began (microseconds since the epoch), and
    /// whether it was a mode switch, in order. Reading a chat (`GET`) changes nothing, so
    /// nothing that follows it is its.
    requests: HashMap<usize, Vec<(i64, bool)>>,
    /// Every step's footprint, in step order.
    footprints: Vec<Footprint>,
    chats: Chats,
}

impl Timeline {
    /// The timeline of `group`'s recording, from its steps' footprints and the chats they
    /// number ([`classified`]).
    pub fn of(group: &GroupPlan) -> Self {
        let (footprints, chats) = classified(group);
        let mut requests: HashMap<usize, Vec<(i64, bool)>> = HashMap::new();
        for (step, footprint) in group.steps.iter().zip(&footprints) {
            if matches!(&step.action, Action::Http { method, .. } if method == "GET") {
                continue;
            }
            let switch = step.action.operation().is_some_and(|op| is_switch(&op));
            let class = match footprint {
                Footprint::Chat { class, .. } => Some(*class),
                // A switch reaches beyond its chat (others' visibility), so its footprint is
                // global; it is still about the chat its path names.
                Footprint::Global if switch => switched_chat(&step.action, &chats),
                Footprint::Global => None,
            };
            if let Some(class) = class {
                let requests = requests.entry(class).or_default();
                requests.push((step.start_us, switch));
            }
        }
        requests
            .values_mut()
            .for_each(|requests| requests.sort_unstable());
        Self {
            requests,
            footprints,
            chats,
        }
    }

    /// What step `step` touches.
    pub fn footprint(&self, step: usize) -> Footprint {
        self.footprints[step]
    }

    /// Whether a mode switch about the chat step `step` touches began before `at`.
    pub fn switched_before(&self, step: usize, at: i64) -> bool {
        let class = match self.footprints.get(step) {
            Some(Footprint::Chat { class, .. }) => Some(*class),
            _ => None,
        };
        switched_in(self.of_class(class), None, Some(at))
    }

    /// The requests that change chat `class` (as footprints number it).
    fn of_class(&self, class: Option<usize>) -> &[(i64, bool)] {
        class
            .and_then(|class| self.requests.get(&class))
            .map_or(&[], Vec::as_slice)
    }

    /// The requests that change `chat` (as agents and supervisors call it).
    fn of_chat(&self, chat: Option<&str>) -> &[(i64, bool)] {
        self.of_class(chat.and_then(|chat| self.chats.staff(chat)))
    }

    /// How many requests that change `chat` had begun before `at`.
    pub fn begun(&self, chat: Option<&str>, at: i64) -> usize {
        self.of_chat(chat).partition_point(|&(start, _)| start < at)
    }

    /// The chat numbers with mode switches, and for each switch, in order, when it began and
    /// when the next request that changes the chat began, if one did.
    pub fn switches(&self) -> impl Iterator<Item = (usize, Vec<(i64, Option<i64>)>)> + '_ {
        self.requests.iter().filter_map(|(&class, requests)| {
            let switches: Vec<(i64, Option<i64>)> = requests
                .iter()
                .enumerate()
                .filter(|(_, (_, switch))| *switch)
                .map(|(at, &(start, _))| (start, requests.get(at + 1).map(|&(next, _)| next)))
                .collect();
            (!switches.is_empty()).then_some((class, switches))
        })
    }

    /// The number footprints give the chat agents and supervisors call `chat`.
    pub fn chat(&self, chat: &str) -> Option<usize> {
        self.chats.staff(chat)
    }

    /// Whether a mode switch about `chat` began after `after` (from the start, if `None`) and
    /// before `until` (to the end, if `None`).
    pub fn switched_between(
        &self,
        chat: Option<&str>,
        after: Option<i64>,
        until: Option<i64>,
    ) -> bool {
        switched_in(self.of_chat(chat), after, until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_mode_switches_are_switches() {
        assert!(SWITCHES.iter().all(|op| is_switch(op)));
        assert!(!is_switch("Coach") && !is_switch("Leave"));
    }
}
