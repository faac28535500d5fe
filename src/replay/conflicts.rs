//! Which earlier steps of other actors a step must follow, found without looking at every
//! actor: a capture a recording proxy wrote over a day is one group of thousands of actors
//! (a customer per chat), and looking at each of them for each step grows with their square.
//!
//! A step must follow every step of another actor that could affect it or be affected by it
//! ([`Footprint::conflicts`]) and ended before it started (within the file's precision, and
//! first where the file says which exchanges completed first), and every step about the same
//! chat that started before it. Most of those it follows anyway, through another: a global
//! step (a login, a chat request: every step conflicts with it) waits for every conflicting
//! step that ended before it, so a step that follows a global step (an *anchor*: its own
//! actor's, or another's that ended before it started) follows all of those too. Only steps
//! that ended after the latest anchor began are looked at, through an index of steps by
//! recorded end: a handful while the capture's clients come and go, whatever its length.
//!
//! The shortcut needs the start order (`_gwsSeq`) to agree with the start times, which a
//! recorder under load breaks by a little: it numbers a request and reads the clock for it
//! one after the other, and a thread preempted in between writes a start some milliseconds
//! before its predecessor's. Rather than looking at every earlier step for every step then (a
//! day's capture took minutes and gigabytes to plan), the window before the anchor widens by
//! the largest such disagreement in the group.

use std::collections::HashMap;

use super::footprint::Footprint;
use super::script::{GroupPlan, Step};

/// The index over one group's steps.
pub struct Conflicts<'g> {
    steps: &'g [Step],
    footprints: &'g [Footprint],
    precision: i64,
    /// Ordering by the recording's clock alone: every step conflicts with every other.
    clock: bool,
    /// The steps every step conflicts with (the global ones; with `clock`, all), by start.
    anchors: Vec<usize>,
    /// How much earlier than a step that precedes it in start order a step may start (0 when
    /// the start order is that of the start times); the shortcut through the anchors allows
    /// for it.
    skew: i64,
    /// Every step, by recorded end.
    by_end: Vec<usize>,
    /// Each step's position among its actor's steps.
    position: Vec<usize>,
    /// Per chat class, the actors with steps about it, and those steps (by start).
    by_chat: HashMap<usize, Vec<(usize, Vec<usize>)>>,
}

impl<'g> Conflicts<'g> {
    /// The index of `group`'s steps, which touch what `footprints` says (indexed by step);
    /// `clock`: every step conflicts with every other.
    pub fn new(group: &'g GroupPlan, footprints: &'g [Footprint], clock: bool) -> Self {
        let steps = &group.steps[..];
        let mut position = vec![0; steps.len()];
        let mut by_chat: HashMap<usize, Vec<(usize, Vec<usize>)>> = HashMap::new();
        for (a, actor) in group.actors.iter().enumerate() {
            for (at, &step) in actor.steps.iter().enumerate() {
                position[step] = at;
                if let Footprint::Chat { class, .. } = footprints[step] {
                    let actors = by_chat.entry(class).or_default();
                    match actors.iter_mut().find(|(x, _)| *x == a) {
                        Some((_, about)) => about.push(step),
                        None => actors.push((a, vec![step])),
                    }
                }
            }
        }
        let precision = group.precision_us.max(1);
        // The most a step starts before one that started earlier (in start order).
        let mut latest = i64::MIN;
        let skew = steps.iter().fold(0, |skew: i64, step| {
            let before = latest.saturating_sub(step.start_us);
            latest = latest.max(step.start_us);
            skew.max(before)
        });
        let anchors = (0..steps.len())
            .filter(|&s| clock || footprints[s] == Footprint::Global)
            .collect();
        let mut by_end: Vec<usize> = (0..steps.len()).collect();
        by_end.sort_by_key(|&s| (steps[s].end_us, s));
        Self {
            steps,
            footprints,
            precision,
            clock,
            anchors,
            skew,
            by_end,
            position,
            by_chat,
        }
    }

    /// Whether step `earlier` ended before step `later` started: by the recorded times within
    /// the file's precision, and, where the file says in which order exchanges completed,
    /// completed first.
    fn ended_before(&self, earlier: usize, later: usize) -> bool {
        let (earlier, later) = (&self.steps[earlier], &self.steps[later]);
        earlier.end_us < later.start_us.saturating_add(self.precision)
            && later
                .done_rank
                .zip(earlier.done_rank)
                .is_none_or(|(later, earlier)| earlier < later)
    }

    /// For step `index`, per other actor, how many of its steps (in its order) the step
    /// must follow: up to the last one it conflicts with that ended before it started, or
    /// that is about the same chat and started before it. Steps it follows through an anchor
    /// (see the module doc) may be left out; none it must follow otherwise is.
    pub fn awaited(&self, index: usize) -> HashMap<usize, usize> {
        let step = &self.steps[index];
        let (actor, footprint) = (step.actor, self.footprints[index]);
        let started_before = self
            .anchors
            .partition_point(|&q| self.steps[q].seq < step.seq);
        let anchor = self.anchors[..started_before]
            .iter()
            .rev()
            .find(|&&q| self.steps[q].actor == actor || self.ended_before(q, index));
        // What ended this much before the anchor began also completed before it (the file's
        // completion order is trusted only where it agrees with the times within the
        // precision), and started before it (start order and times agree within the
        // precision, or the skew): the anchor waits for it.
        let from_end = anchor.map_or(i64::MIN, |&q| {
            self.steps[q]
                .start_us
                .saturating_sub(self.precision)
                .saturating_sub(self.precision.max(self.skew))
        });
        let until_end = step.start_us.saturating_add(self.precision);
        let from = self
            .by_end
            .partition_point(|&p| self.steps[p].end_us < from_end);
        let until = self
            .by_end
            .partition_point(|&p| self.steps[p].end_us < until_end);
        let mut awaited: HashMap<usize, usize> = HashMap::new();
        let mut follow = |other: usize, position: usize| {
            let count = awaited.entry(other).or_default();
            *count = (*count).max(position + 1);
        };
        for &p in &self.by_end[from.min(until)..until] {
            let earlier = &self.steps[p];
            if earlier.actor != actor
                && earlier.seq < step.seq
                && (self.clock || footprint.conflicts(self.footprints[p]))
                && self.ended_before(p, index)
            {
                follow(earlier.actor, self.position[p]);
            }
        }
        // One chat's steps keep their start order, however their recorded times overlap: the
        // server takes one chat's requests in the order they arrive, and a recorder under load
        // may write an exchange's end late (after the client already had the whole response
        // and sent its next request).
        if let Footprint::Chat { class, .. } = footprint {
            let actors = self.by_chat.get(&class).map_or(&[][..], Vec::as_slice);
            for (other, about) in actors.iter().filter(|(other, _)| *other != actor) {
                let started = about.partition_point(|&s| self.steps[s].seq < step.seq);
                if let Some(&last) = started.checked_sub(1).and_then(|last| about.get(last)) {
                    follow(*other, self.position[last]);
                }
            }
        }
        awaited
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::footprint::Routing;
    use crate::replay::script::{Action, ActorKind, Recorded};
    use proptest::prelude::*;

    /// One generated step: actor, start, duration, footprint (0: global, else a chat class
    /// and how it uses routing).
    type Drawn = (usize, i64, i64, usize, u8);

    /// A group of `drawn` steps (started in the order of their starts), with each step's
    /// footprint; `ranked`: the file says in which order they completed (by end).
    /// `edited`: the start order is not that of the times (an edited file) but that of
    /// `drawn`.
    fn group(
        drawn: &[Drawn],
        precision_us: i64,
        (ranked, edited): (bool, bool),
    ) -> (GroupPlan, Vec<Footprint>) {
        let mut drawn = drawn.to_vec();
        if !edited {
            drawn.sort_by_key(|&(_, start, ..)| start);
        }
        let actors = drawn.iter().map(|d| d.0 + 1).max().unwrap_or(0);
        let mut by_end: Vec<usize> = (0..drawn.len()).collect();
        by_end.sort_by_key(|&s| (drawn[s].1 + drawn[s].2, s));
        let mut steps = Vec::new();
        let mut footprints = Vec::new();
        for (seq, &(actor, start, length, chat, routing)) in drawn.iter().enumerate() {
            steps.push(Step {
                actor,
                entry: seq,
                seq: seq as u64,
                start_us: start,
                end_us: start + length,
                done_rank: ranked.then(|| by_end.iter().position(|&s| s == seq).unwrap()),
                pace_us: start,
                action: Action::Disconnect { session: None },
                recorded: Recorded::default(),
                deps: Vec::new(),
            });
            footprints.push(match chat {
                0 => Footprint::Global,
                class => Footprint::Chat {
                    class,
                    routing: [Routing::Untouched, Routing::Uses, Routing::Routes]
                        [usize::from(routing % 3)],
                },
            });
        }
        let kinds = vec![ActorKind::Anonymous; actors];
        let group = GroupPlan::for_tests(kinds, vec![Vec::new(); actors], steps, precision_us);
        (group, footprints)
    }

    /// Whether `later` waits for `earlier`, directly or through others: along its actor's
    /// earlier steps and the steps each of them awaits.
    fn follows(group: &GroupPlan, awaited: &[HashMap<usize, usize>], later: usize) -> Vec<bool> {
        let mut reached = vec![false; group.steps.len()];
        let mut stack = vec![later];
        while let Some(step) = stack.pop() {
            let actor = &group.actors[group.steps[step].actor];
            let own = actor.steps.iter().take_while(|&&s| s != step).copied();
            let others = awaited[step]
                .iter()
                .flat_map(|(&other, &count)| group.actors[other].steps[..count].iter().copied());
            for next in own.chain(others) {
                if !reached[next] {
                    reached[next] = true;
                    stack.push(next);
                }
            }
        }
        reached
    }

    proptest! {
        // A failure prints its minimal input; nothing is written next to the sources.
        #![proptest_config(ProptestConfig {
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// Whatever the anchors leave out is still waited for, through another step: every
        /// step of another actor that conflicts and ended before, or is about the same chat
        /// and started before, is reached (the plain scan over every pair, the definition).
        #[test]
        fn every_step_that_must_come_first_still_does(
            drawn in prop::collection::vec((0..4usize, 0..60i64, 0..25i64, 0..4usize, 0..3u8), 1..28),
            precision in prop_oneof![Just(1i64), Just(5)],
            ranked in any::<bool>(),
            edited in prop::bool::weighted(0.2),
            clock in any::<bool>(),
        ) {
            let (group, footprints) = group(&drawn, precision, (ranked, edited));
            let conflicts = Conflicts::new(&group, &footprints, clock);
            let awaited: Vec<_> = (0..group.steps.len()).map(|s| conflicts.awaited(s)).collect();
            for later in 0..group.steps.len() {
                let reached = follows(&group, &awaited, later);
                let step = &group.steps[later];
                for earlier in 0..later {
                    let other = &group.steps[earlier];
                    let same_chat = matches!(
                        (footprints[earlier], footprints[later]),
                        (Footprint::Chat { class: a, .. }, Footprint::Chat { class: b, .. }) if a == b
                    );
                    let conflict = clock || footprints[earlier].conflicts(footprints[later]);
                    let must = other.actor != step.actor
                        && other.seq < step.seq
                        && (same_chat || (conflict && conflicts.ended_before(earlier, later)));
                    prop_assert!(
                        !must || reached[earlier],
                        "step {later} does not wait for step {earlier}"
                    );
                }
            }
        }
    }

    /// A step about chat `class` that leaves routing alone.
    fn chat(class: usize) -> Footprint {
        Footprint::Chat {
            class,
            routing: Routing::Untouched,
        }
    }

    #[test]
    fn a_step_after_a_global_one_awaits_only_what_ended_since() {
        // a0: global 0..10; a1: chat 1, 12..15; a2: global 20..30; a3 at 40 in chat 1 follows
        // a2 (global) and a1's step about its chat, and a0's only through a2.
        let (group, _) = group(
            &[
                (0, 0, 10, 0, 0),
                (1, 12, 3, 1, 0),
                (2, 20, 10, 0, 0),
                (3, 40, 1, 1, 0),
            ],
            1,
            (false, false),
        );
        let footprints = [Footprint::Global, chat(1), Footprint::Global, chat(1)];
        let conflicts = Conflicts::new(&group, &footprints, false);
        assert_eq!(conflicts.awaited(3), HashMap::from([(1, 1), (2, 1)]));
        assert_eq!(conflicts.awaited(2), HashMap::from([(0, 1), (1, 1)]));
        // A step in another chat that began after the global one need not wait for a1's.
        let footprints = [Footprint::Global, chat(1), Footprint::Global, chat(2)];
        let conflicts = Conflicts::new(&group, &footprints, false);
        assert_eq!(conflicts.awaited(3), HashMap::from([(2, 1)]));
    }

    #[test]
    fn a_start_order_a_little_off_the_times_still_goes_through_the_anchors() {
        // As a recorder under load writes it: a4's step is numbered before a3's but starts
        // 3 µs after it. a3's step (chat 3, at 40) follows a2 (global, ended at 30), and a0's
        // global step (ended at 10) only through a2: it is not looked at.
        let (group, _) = group(
            &[
                (0, 0, 10, 0, 0),
                (1, 12, 3, 1, 0),
                (2, 20, 10, 0, 0),
                (4, 43, 1, 2, 0),
                (3, 40, 1, 3, 0),
            ],
            1,
            (false, true),
        );
        let footprints = [
            Footprint::Global,
            chat(1),
            Footprint::Global,
            chat(2),
            chat(3),
        ];
        let conflicts = Conflicts::new(&group, &footprints, false);
        assert_eq!(conflicts.skew, 3);
        assert_eq!(conflicts.awaited(4), HashMap::from([(2, 1)]));
    }
}
