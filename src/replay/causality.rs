//! Causality: what each step waits for, so the replay keeps the order of cause and effect the
//! recording shows, however fast it goes.
//!
//! [`link`] derives, once per group, each step's [`Dep`]s from the recording:
//! - an actor's steps run one after another, in start order (a browser's overlapping requests
//!   run in sequence: a valid order of what it did);
//! - **across actors**: a step waits for every step of another actor that ended before it
//!   started and could affect it or be affected by it: both global, or about one chat, or
//!   one routing and the other using routing ([`footprint`](super::footprint)); steps in
//!   different chats run side by side, however the recording interleaved them. Steps about
//!   one chat keep their start order even where their recorded times overlap (the server takes
//!   one chat's requests as they arrive, and a recorded end may be late). Start times are only
//!   as fine as the file writes them (a microsecond for `run --record` and the proxy, a
//!   millisecond for devtools), so a step that ended within that precision before another
//!   began counts as before it too, provided it also started first (`_gwsSeq`, else start
//!   order) and, where the file lists exchanges as they completed (`_gwsSeq`), completed
//!   before it: a few dependencies too many, never a cycle;
//! - **notifications**: a step waits until its actor has received the counterparts of every
//!   notification it had certainly received when the step started in the recording (arrived
//!   at least one precision unit earlier; a notification the step itself caused may arrive
//!   within that unit, and waiting for it would wait forever). A CometD disconnect causes
//!   nothing and nothing reaches its session after it, so it waits for every notification
//!   that arrived before it ended;
//! - **values**: a step whose URL or body uses an id first seen in a notification of another
//!   actor waits for that notification's counterpart (the id's mapping is learned from it).
//!
//! [`Progress`] is the live side: per actor, how many steps are done and which recorded
//! notifications have their counterpart (or need none: one the documents let the target leave
//! out, [`optional`](super::optional), is not waited for), and a wait on a step's dependencies with a deadline.
//! It also says when an actor may start ([`Progress::admitted`]): once every actor whose
//! recorded steps all ended before its first began is done. A capture of a day is thousands
//! of customers who come and go; started all at once, each would hold its connection and
//! wait from the start of the replay for a cause hours of recording away, and give up. So at
//! most as many actors run at once as the recording had, and an actor waits only on those it
//! overlapped. This can never deadlock: an actor waits only for steps that started before
//! its own, and those it waits to start for ended before its first began, so none of them
//! waits for it.
//! The first dependency missed makes the whole group give up waiting: the replay no longer
//! follows the recording, and waiting step after step would only stretch each failure to a
//! deadline per step, while the rest (the recorded clean-up included) can still run.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use tokio::sync::watch;

use super::conflicts::Conflicts;
use super::footprint::footprints;
use super::optional::Leeway;
use super::remap::{ids_in, tokens};
use super::script::{Action, Dep, GroupPlan, RequestBody};

/// How steps of different actors are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrderBy {
    /// As the recording's clock says, where one step could affect the other
    /// ([`footprint`](super::footprint)).
    #[default]
    Footprint,
    /// As the recording's clock says, every step (and one chat's steps in start order): for a
    /// server whose operations reach further than the footprints assume.
    Clock,
}

/// Derives every step's dependencies (see the module doc), replacing any derived before.
pub fn link(group: &mut GroupPlan, order: OrderBy) {
    let precision = group.precision_us.max(1);
    // Where each id was first seen in a notification: (arrival, actor, note index).
    let mut first_seen: HashMap<String, (i64, usize, usize)> = HashMap::new();
    let mut ids = Vec::new();
    for (a, actor) in group.actors.iter().enumerate() {
        for (n, note) in actor.notes.iter().enumerate() {
            ids.clear();
            ids_in(&note.data.parse(), &mut ids);
            for id in ids.drain(..) {
                let seen = first_seen.entry(id).or_insert((note.arrival_us, a, n));
                if note.arrival_us < seen.0 {
                    *seen = (note.arrival_us, a, n);
                }
            }
        }
    }
    let footprints = footprints(group);
    let conflicts = Conflicts::new(group, &footprints, order == OrderBy::Clock);
    // Per actor, how many steps of each other actor its earlier steps already follow.
    let mut implied: Vec<HashMap<usize, usize>> = vec![HashMap::new(); group.actors.len()];
    let mut notes_implied = vec![0usize; group.actors.len()];
    let mut linked = Vec::with_capacity(group.steps.len());
    for index in 0..group.steps.len() {
        let step = &group.steps[index];
        let (a, start) = (step.actor, step.start_us);
        let mut deps = Vec::new();
        for (x, count) in conflicts.awaited(index) {
            let followed = implied[a].entry(x).or_default();
            if count > *followed {
                *followed = count;
                deps.push(Dep::Steps { actor: x, count });
            }
        }
        let notes = &group.actors[a].notes;
        let certain = if matches!(step.action, Action::Disconnect { .. }) {
            // A disconnect causes no notification, and nothing reaches a session after it: it
            // waits for everything that arrived before it ended (else the replay could close
            // the session on notifications still on their way).
            notes.partition_point(|n| n.arrival_us < step.end_us + precision)
        } else {
            notes.partition_point(|n| n.arrival_us + precision <= start)
        };
        if certain > notes_implied[a] {
            notes_implied[a] = certain;
            deps.push(Dep::Notes {
                actor: a,
                count: certain,
            });
        }
        for id in used_ids(&step.action) {
            if let Some(&(arrival, x, n)) = first_seen.get(&id)
                && arrival < start + precision
                && !(x == a && n < notes_implied[a])
            {
                deps.push(Dep::Note { actor: x, index: n });
            }
        }
        deps.sort();
        deps.dedup();
        deps.shrink_to_fit();
        linked.push(deps);
    }
    for (step, deps) in group.steps.iter_mut().zip(linked) {
        step.deps = deps;
    }
}

/// The ids a step's URL and body carry.
fn used_ids(action: &Action) -> Vec<String> {
    let Action::Http { target, body, .. } = action else {
        return Vec::new();
    };
    let mut ids: Vec<String> = tokens(target).map(str::to_owned).collect();
    if let Some(RequestBody::Json(body)) = body {
        ids_in(&body.parse(), &mut ids);
    }
    ids
}

/// Which of a sequence are marked, and how many leading ones all are: an actor's recorded
/// notifications that have their counterpart in the replay, or a group's actors (by recorded
/// end) that are done.
#[derive(Debug, Clone, Default)]
pub struct Marked {
    matched: Vec<bool>,
    /// How many leading ones are all marked.
    prefix: usize,
}

impl Marked {
    fn new(count: usize) -> Self {
        Self {
            matched: vec![false; count],
            prefix: 0,
        }
    }

    fn mark(&mut self, index: usize) {
        if let Some(flag) = self.matched.get_mut(index) {
            *flag = true;
        }
        while self.matched.get(self.prefix) == Some(&true) {
            self.prefix += 1;
        }
    }

    fn has(&self, index: usize) -> bool {
        self.matched.get(index).copied().unwrap_or(false)
    }
}

/// The live progress of one replayed group.
#[derive(Debug)]
pub struct Progress {
    /// Each actor's number of steps.
    lengths: Vec<usize>,
    steps: Vec<watch::Sender<usize>>,
    /// Each actor's place among the group's actors ordered by their recorded end.
    end_ranks: Vec<usize>,
    /// How many actors (the first by recorded end) must be done before each may start.
    prerequisites: Vec<usize>,
    /// The actors that are done, by end rank.
    done: watch::Sender<Marked>,
    notes: Vec<watch::Sender<Marked>>,
    /// Set when a dependency was missed: nothing waits any more.
    gave_up: watch::Sender<bool>,
    /// What each actor is waiting for now, to explain a miss by what blocked the step missed.
    waiting: Vec<Mutex<Option<Dep>>>,
}

/// A dependency that was not met in time, and what held it up: when it was another actor's
/// step, what that actor was itself waiting for (and so on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missed(pub Dep, pub Vec<Dep>);

impl Progress {
    /// Nothing done yet in `group`, whose actors may leave out what `leeways` say (one per
    /// actor, [`Leeway::all`]).
    pub fn new(group: &GroupPlan, leeways: &[Leeway]) -> Self {
        let actors = &group.actors;
        // An actor's recorded span: from its first step's start to its last end.
        let spans: Vec<(i64, i64)> = actors
            .iter()
            .map(|actor| {
                let steps = actor.steps.iter().map(|&s| &group.steps[s]);
                let first = actor.steps.first().map(|&s| group.steps[s].start_us);
                let end = steps.map(|step| step.end_us).max();
                (first.unwrap_or(i64::MIN), end.unwrap_or(i64::MIN))
            })
            .collect();
        let mut by_end: Vec<usize> = (0..actors.len()).collect();
        by_end.sort_by_key(|&a| (spans[a].1, a));
        let mut end_ranks = vec![0; actors.len()];
        for (rank, &actor) in by_end.iter().enumerate() {
            end_ranks[actor] = rank;
        }
        let prerequisites = spans
            .iter()
            .map(|&(first, _)| by_end.partition_point(|&other| spans[other].1 < first))
            .collect();
        Self {
            lengths: actors.iter().map(|a| a.steps.len()).collect(),
            steps: actors.iter().map(|_| watch::Sender::new(0)).collect(),
            end_ranks,
            prerequisites,
            done: watch::Sender::new(Marked::new(actors.len())),
            notes: leeways
                .iter()
                .map(|leeway| watch::Sender::new(Self::unawaited(leeway)))
                .collect(),
            gave_up: watch::Sender::new(false),
            waiting: actors.iter().map(|_| Mutex::new(None)).collect(),
        }
    }

    /// The actors in an order they may start in ([`Progress::admitted`]): by how many must be
    /// done first.
    pub fn admission_order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.prerequisites.len()).collect();
        order.sort_by_key(|&actor| (self.prerequisites[actor], actor));
        order
    }

    /// An actor's recorded notifications, those the target may leave out ([`Leeway`]) already
    /// marked: nothing waits for them.
    fn unawaited(leeway: &Leeway) -> Marked {
        let mut marked = Marked::new(leeway.recorded.len());
        for (index, optional) in leeway.recorded.iter().enumerate() {
            if optional.is_some() {
                marked.mark(index);
            }
        }
        marked
    }

    /// Returns once `actor` may start: every actor whose recorded steps all ended before its
    /// first began is done (see the module doc).
    pub async fn admitted(&self, actor: usize) {
        let Some(&needed) = self.prerequisites.get(actor) else {
            return;
        };
        let mut done = self.done.subscribe();
        // The sender lives as long as `self`: waiting cannot fail.
        let _ = done.wait_for(|done| done.prefix >= needed).await;
    }

    fn set_waiting(&self, actor: usize, dep: Option<Dep>) {
        if let Some(slot) = self.waiting.get(actor) {
            *slot.lock().unwrap_or_else(PoisonError::into_inner) = dep;
        }
    }

    /// What held `dep` up: the chain of waits behind another actor's unfinished step.
    fn blocked_behind(&self, mut dep: Dep) -> Vec<Dep> {
        let mut chain = Vec::new();
        while let Dep::Steps { actor, .. } = dep {
            let Some(next) = self
                .waiting
                .get(actor)
                .and_then(|slot| *slot.lock().unwrap_or_else(PoisonError::into_inner))
            else {
                break;
            };
            if chain.contains(&next) || chain.len() >= self.waiting.len() {
                break;
            }
            chain.push(next);
            dep = next;
        }
        chain
    }

    /// Whether a dependency was missed: from then on waits return at once.
    pub fn gave_up(&self) -> bool {
        *self.gave_up.borrow()
    }

    /// Actor `actor` has finished `count` steps (all of them: it is done).
    pub fn steps_done(&self, actor: usize, count: usize) {
        if let Some(sender) = self.steps.get(actor) {
            sender.send_replace(count);
        }
        if self
            .lengths
            .get(actor)
            .is_some_and(|&length| count >= length)
        {
            let rank = self.end_ranks[actor];
            self.done.send_if_modified(|done| {
                let before = done.prefix;
                done.mark(rank);
                done.prefix != before
            });
        }
    }

    /// Actor `actor`'s recorded notification `index` has its counterpart.
    pub fn note_matched(&self, actor: usize, index: usize) {
        if let Some(sender) = self.notes.get(actor) {
            sender.send_modify(|state| state.mark(index));
        }
    }

    /// Whether `dep` is met now.
    pub fn met(&self, dep: Dep) -> bool {
        match dep {
            Dep::Steps { actor, count } => {
                self.steps.get(actor).is_none_or(|s| *s.borrow() >= count)
            }
            Dep::Notes { actor, count } => self
                .notes
                .get(actor)
                .is_none_or(|s| s.borrow().prefix >= count),
            Dep::Note { actor, index } => {
                self.notes.get(actor).is_none_or(|s| s.borrow().has(index))
            }
        }
    }

    /// Waits, as `actor`, until every dependency is met, or the deadline passes: then the
    /// group gives up and the first dependency not met is returned. Returns at once (`Ok`) when
    /// the group has given up.
    pub async fn wait(&self, actor: usize, deps: &[Dep], deadline: Instant) -> Result<(), Missed> {
        let waited = self.wait_all(actor, deps, deadline).await;
        self.set_waiting(actor, None);
        waited
    }

    async fn wait_all(&self, actor: usize, deps: &[Dep], deadline: Instant) -> Result<(), Missed> {
        let mut gave_up = self.gave_up.subscribe();
        for &dep in deps {
            if self.met(dep) {
                continue;
            }
            if self.gave_up() {
                return Ok(());
            }
            self.set_waiting(actor, Some(dep));
            let waited = async {
                match dep {
                    Dep::Steps { actor, count } => {
                        let mut changes = self.steps[actor].subscribe();
                        tokio::time::timeout_at(deadline.into(), changes.wait_for(|n| *n >= count))
                            .await
                            .map(|changed| changed.is_ok())
                    }
                    Dep::Notes { actor, count } => {
                        let mut changes = self.notes[actor].subscribe();
                        tokio::time::timeout_at(
                            deadline.into(),
                            changes.wait_for(|s| s.prefix >= count),
                        )
                        .await
                        .map(|changed| changed.is_ok())
                    }
                    Dep::Note { actor, index } => {
                        let mut changes = self.notes[actor].subscribe();
                        tokio::time::timeout_at(deadline.into(), changes.wait_for(|s| s.has(index)))
                            .await
                            .map(|changed| changed.is_ok())
                    }
                }
            };
            let waited = tokio::select! {
                waited = waited => waited,
                _ = gave_up.wait_for(|gave_up| *gave_up) => return Ok(()),
            };
            // A closed channel cannot happen while `self` holds the senders.
            if waited != Ok(true) {
                // Actors whose deadlines pass together race here: only the one that makes the
                // group give up reports the miss (the others were held up by the same thing).
                if self.gave_up.send_replace(true) {
                    return Ok(());
                }
                return Err(Missed(dep, self.blocked_behind(dep)));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::script::{ActorKind, RecordedNote, Step};
    use crate::replay::timeline::Timeline;
    use serde_json::json;

    /// Nothing done yet in `group`, with the optional notifications its recording shows.
    fn progress_of(group: &GroupPlan) -> Progress {
        let timeline = std::sync::Arc::new(Timeline::of(group));
        Progress::new(group, &Leeway::all(group, &timeline))
    }

    fn step(actor: usize, seq: u64, start_us: i64, end_us: i64, target: &str) -> Step {
        Step::for_tests(actor, seq, (start_us, end_us), target)
    }

    /// An agent or supervisor (no recorded or profile user needed here).
    const AGENT: ActorKind = ActorKind::User {
        recorded: None,
        login: None,
    };

    /// A step sending chat operation `op`, or a `GET` without one.
    fn operation(
        actor: usize,
        seq: u64,
        start_us: i64,
        end_us: i64,
        target: &str,
        op: Option<&str>,
    ) -> Step {
        Step::operation_for_tests(actor, seq, (start_us, end_us), target, op)
    }

    fn note(arrival_us: i64, chat: &str) -> RecordedNote {
        let data = json!({"messageType": "ChatStateChangeMessage", "chat": {"id": chat}});
        RecordedNote {
            entry: 0,
            arrival_us,
            channel: "/v2/me/chats".into(),
            kind: "".into(),
            chat: Some(chat.into()),
            data: data.into(),
            session: None,
        }
    }

    fn group(steps: Vec<Step>, notes: Vec<Vec<RecordedNote>>, precision_us: i64) -> GroupPlan {
        let kinds = vec![ActorKind::Anonymous; notes.len()];
        group_of(kinds, steps, notes, precision_us)
    }

    fn group_of(
        kinds: Vec<ActorKind>,
        steps: Vec<Step>,
        notes: Vec<Vec<RecordedNote>>,
        precision_us: i64,
    ) -> GroupPlan {
        let mut group = GroupPlan::for_tests(kinds, notes, steps, precision_us);
        link(&mut group, OrderBy::Footprint);
        group
    }

    #[test]
    fn a_step_waits_for_what_ended_before_it_started_in_other_actors() {
        // a0: 0..10, 20..30; a1: 12..15 (after a0's first), 25..40 (overlaps a0's second).
        let g = group(
            vec![
                step(0, 0, 0, 10, "/a"),
                step(1, 1, 12, 15, "/b"),
                step(0, 2, 20, 30, "/c"),
                step(1, 3, 25, 40, "/d"),
            ],
            vec![vec![], vec![]],
            1,
        );
        assert_eq!(g.steps[0].deps, []);
        assert_eq!(g.steps[1].deps, [Dep::Steps { actor: 0, count: 1 }]);
        assert_eq!(g.steps[2].deps, [Dep::Steps { actor: 1, count: 1 }]);
        assert_eq!(g.steps[3].deps, [], "a0's second step was still running");
    }

    #[test]
    fn coarse_times_add_dependencies_only_towards_earlier_starts() {
        // Millisecond stamps: both start "at 0"; a0's step is first by seq.
        let g = group(
            vec![step(0, 0, 0, 300, "/a"), step(1, 1, 0, 200, "/b")],
            vec![vec![], vec![]],
            1000,
        );
        assert_eq!(g.steps[1].deps, [Dep::Steps { actor: 0, count: 1 }]);
        assert_eq!(g.steps[0].deps, [], "never towards a later start: no cycle");
        // The file lists exchanges as they completed: a0's step completed after a1's, so it
        // cannot have ended before a1's started.
        let mut steps = vec![step(0, 0, 0, 300, "/a"), step(1, 1, 0, 200, "/b")];
        steps[0].done_rank = Some(1);
        steps[1].done_rank = Some(0);
        let g = group(steps, vec![vec![], vec![]], 1000);
        assert_eq!(g.steps[1].deps, []);
    }

    #[test]
    fn notifications_certainly_received_and_ids_first_seen_elsewhere() {
        let g = group(
            vec![
                step(0, 0, 5_000, 5_100, "/x"),
                step(1, 1, 5_000, 5_100, "/api/v2/chats/CHAT/accept"),
            ],
            vec![
                vec![note(1_000, "OTHER"), note(4_500, "MINE")],
                vec![note(3_000, "CHAT")],
            ],
            1000,
        );
        // a0 certainly had the first (4 ms before); the second came within the precision.
        assert_eq!(g.steps[0].deps, [Dep::Notes { actor: 0, count: 1 }]);
        assert_eq!(
            g.steps[1].deps,
            [
                Dep::Steps { actor: 0, count: 1 },
                Dep::Notes { actor: 1, count: 1 }
            ]
        );
        let g = group(
            vec![step(0, 0, 5_000, 5_100, "/api/v2/chats/CHAT")],
            vec![vec![], vec![note(4_500, "CHAT")]],
            1000,
        );
        // A disconnect waits for everything that arrived before it ended.
        let mut disconnect = step(0, 0, 5_000, 5_100, "/");
        disconnect.action = Action::Disconnect { session: None };
        let last = group(
            vec![disconnect],
            vec![vec![note(4_500, "A"), note(5_050, "B"), note(7_000, "C")]],
            1000,
        );
        assert_eq!(last.steps[0].deps, [Dep::Notes { actor: 0, count: 2 }]);
        assert_eq!(g.steps[0].deps, [Dep::Note { actor: 1, index: 0 }]);
    }

    #[test]
    fn only_steps_that_could_affect_each_other_are_ordered() {
        let operation = |actor, seq, start, target: &str, op| {
            operation(actor, seq, start, start + 10, target, op)
        };
        // a0, a3: agents in chats S1 and S2; a1: S1's customer (C1), whose transcript names
        // participant P1, as a0's notification about S1 does; a2: a customer whose chat (C2)
        // nothing links to a notification.
        let mut read_s1 = operation(1, 2, 40, "/api/v2/chats/C1/messages", None);
        let transcript = json!({"messages": [{"from": {"participantId": "P1"}}]});
        read_s1.recorded.body = Some(transcript.into());
        let steps = vec![
            operation(0, 0, 0, "/api/v2/me/chats/S1", Some("SendMessage")),
            operation(3, 1, 20, "/api/v2/me/chats/S2", Some("SendMessage")),
            read_s1,
            operation(2, 3, 60, "/api/v2/chats/C2", Some("SendMessage")),
            operation(3, 4, 80, "/api/v2/me/chats/S2", Some("Complete")),
            operation(0, 5, 100, "/api/v2/me/chats/S1", Some("SendMessage")),
        ];
        let mut joined = note(-10, "S1");
        let mut data = (*joined.data.parse()).clone();
        data["chat"]["participants"] = json!([{"participantId": "P1"}]);
        joined.data = data.into();
        let kinds = vec![AGENT, ActorKind::Customer, ActorKind::Customer, AGENT];
        let g = group_of(kinds, steps, vec![vec![joined], vec![], vec![], vec![]], 1);
        // A message in S2 does not wait for one in S1.
        assert_eq!(g.steps[1].deps, []);
        // S1's customer reads after a0's message in S1 (linked through P1), not after S2's.
        assert_eq!(g.steps[2].deps, [Dep::Steps { actor: 0, count: 1 }]);
        // An unlinked customer chat is global: after everything before it.
        assert_eq!(
            g.steps[3].deps,
            [
                Dep::Steps { actor: 0, count: 1 },
                Dep::Steps { actor: 1, count: 1 },
                Dep::Steps { actor: 3, count: 1 }
            ]
        );
        // Completing S2 frees a routing slot: after the customers who read routing, not after
        // a0's message in S1; C1's read (which uses routing) is followed through the global
        // step of C2, which waited for it.
        assert_eq!(g.steps[4].deps, [Dep::Steps { actor: 2, count: 1 }]);
        // a0's second message in S1 comes after S1's customer read (which must not see it)
        // and the global step; not after S2's Complete.
        assert_eq!(
            g.steps[5].deps,
            [
                Dep::Steps { actor: 1, count: 1 },
                Dep::Steps { actor: 2, count: 1 }
            ]
        );
        // In clock order, every step waits for what ended before it.
        let mut g = g;
        link(&mut g, OrderBy::Clock);
        assert_eq!(g.steps[1].deps, [Dep::Steps { actor: 0, count: 1 }]);
        assert_eq!(
            g.steps[2].deps,
            [
                Dep::Steps { actor: 0, count: 1 },
                Dep::Steps { actor: 3, count: 1 }
            ]
        );
    }

    #[test]
    fn one_chats_steps_keep_their_start_order_when_their_times_overlap() {
        // a1's message in S1 starts before a0's has (by the recording's clock) ended: as when
        // a recorder writes an end late. It still comes after it; a2's, in S2, does not.
        let say = Some("SendMessage");
        let steps = vec![
            operation(0, 0, 0, 100, "/api/v2/me/chats/S1", say),
            operation(1, 1, 50, 60, "/api/v2/me/chats/S1", say),
            operation(2, 2, 50, 60, "/api/v2/me/chats/S2", say),
        ];
        let g = group_of(vec![AGENT; 3], steps, vec![vec![], vec![], vec![]], 1);
        assert_eq!(g.steps[1].deps, [Dep::Steps { actor: 0, count: 1 }]);
        assert_eq!(g.steps[2].deps, []);
        let mut g = g;
        link(&mut g, OrderBy::Clock);
        assert_eq!(g.steps[1].deps, [Dep::Steps { actor: 0, count: 1 }]);
        assert_eq!(g.steps[2].deps, [], "overlapping, in another chat");
    }

    #[test]
    fn an_accept_and_a_reject_in_other_chats_stay_ordered() {
        // Supervisors monitoring a0 join the chat it accepts, and routing counts them: which
        // agent a1's Reject re-routes its chat to depends on whether a0 accepted first.
        let steps = vec![
            operation(0, 0, 0, 10, "/api/v2/me/chats/S1", Some("Accept")),
            operation(1, 1, 20, 30, "/api/v2/me/chats/S2", Some("Reject")),
            operation(1, 2, 40, 50, "/api/v2/me/chats/S2", Some("SendMessage")),
        ];
        let g = group_of(vec![AGENT, AGENT], steps, vec![vec![], vec![]], 1);
        assert_eq!(g.steps[1].deps, [Dep::Steps { actor: 0, count: 1 }]);
        // a1's message in S2 has nothing more to wait for.
        assert_eq!(g.steps[2].deps, []);
    }

    /// The progress of a group of actors with these numbers of recorded notifications (and no
    /// steps).
    fn progress(notes: &[usize]) -> Progress {
        let notes = notes
            .iter()
            .map(|&count| (0..count).map(|i| note(i as i64, "C")).collect())
            .collect();
        progress_of(&group(Vec::new(), notes, 1))
    }

    #[tokio::test]
    async fn an_actor_starts_once_those_that_ended_before_it_began_are_done() {
        // a0: 0..10; a1: 5..20; a2: 15..30 (after a0); a3: 25..40 (after a0 and a1).
        let g = group(
            vec![
                step(0, 0, 0, 10, "/a"),
                step(1, 1, 5, 20, "/b"),
                step(2, 2, 15, 30, "/c"),
                step(3, 3, 25, 40, "/d"),
            ],
            vec![vec![]; 4],
            1,
        );
        let progress = std::sync::Arc::new(progress_of(&g));
        let admitted = |actor| {
            let progress = progress.clone();
            tokio::spawn(async move { progress.admitted(actor).await })
        };
        let (a0, a1, a2, a3) = (admitted(0), admitted(1), admitted(2), admitted(3));
        let soon = std::time::Duration::from_secs(5);
        assert_eq!(progress.admission_order(), [0, 1, 2, 3]);
        tokio::time::timeout(soon, a0).await.unwrap().unwrap();
        tokio::time::timeout(soon, a1).await.unwrap().unwrap();
        tokio::task::yield_now().await;
        assert!(!a2.is_finished() && !a3.is_finished());
        progress.steps_done(1, 1);
        tokio::task::yield_now().await;
        assert!(!a2.is_finished(), "a0 is not done: a2 began after it ended");
        progress.steps_done(0, 1);
        tokio::time::timeout(soon, a2).await.unwrap().unwrap();
        tokio::time::timeout(soon, a3).await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn waits_end_when_met_or_at_the_deadline() {
        let progress = std::sync::Arc::new(progress(&[2, 0]));
        let deps = [
            Dep::Steps { actor: 1, count: 1 },
            Dep::Note { actor: 0, index: 1 },
        ];
        let later = progress.clone();
        tokio::spawn(async move {
            later.steps_done(1, 1);
            later.note_matched(0, 1);
        });
        let deadline = Instant::now() + std::time::Duration::from_secs(5);
        assert_eq!(progress.wait(1, &deps, deadline).await, Ok(()));
        assert!(!progress.met(Dep::Notes { actor: 0, count: 1 }));
        progress.note_matched(0, 0);
        assert!(progress.met(Dep::Notes { actor: 0, count: 2 }));
        assert!(
            progress.met(Dep::Note { actor: 7, index: 0 }),
            "unknown actors are no obstacle"
        );
    }

    #[tokio::test]
    async fn the_first_miss_ends_every_wait() {
        let progress = std::sync::Arc::new(progress(&[1, 1]));
        let never = [Dep::Note { actor: 1, index: 0 }];
        let long = Instant::now() + std::time::Duration::from_secs(30);
        let waiting = {
            let progress = progress.clone();
            tokio::spawn(async move { progress.wait(0, &never, long).await })
        };
        tokio::task::yield_now().await;
        let soon = Instant::now() + std::time::Duration::from_millis(50);
        let missed = progress
            .wait(1, &[Dep::Steps { actor: 0, count: 1 }], soon)
            .await;
        // Actor 0's step never finished because actor 0 was waiting for a notification.
        let chain = vec![Dep::Note { actor: 1, index: 0 }];
        assert_eq!(
            missed,
            Err(Missed(Dep::Steps { actor: 0, count: 1 }, chain))
        );
        assert!(progress.gave_up());
        let other = tokio::time::timeout(std::time::Duration::from_secs(5), waiting).await;
        assert_eq!(
            other.unwrap().unwrap(),
            Ok(()),
            "the other wait ended, reporting nothing"
        );
        assert_eq!(progress.wait(0, &never, long).await, Ok(()));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn waits_missed_together_report_one_miss() {
        for _ in 0..50 {
            let progress = std::sync::Arc::new(progress(&[1, 1, 1]));
            let deadline = Instant::now() + std::time::Duration::from_millis(5);
            let waits: Vec<_> = (0..3)
                .map(|actor| {
                    let progress = progress.clone();
                    let dep = [Dep::Note {
                        actor: (actor + 1) % 3,
                        index: 0,
                    }];
                    tokio::spawn(async move { progress.wait(actor, &dep, deadline).await })
                })
                .collect();
            let mut missed = 0;
            for wait in waits {
                missed += usize::from(wait.await.unwrap().is_err());
            }
            assert_eq!(missed, 1, "one miss reported, the others stand down");
        }
    }

    /// A chat state change of chat `C1` arriving at `arrival_us`, showing these `userData`.
    fn shown(arrival_us: i64, notification: &str, user_data: serde_json::Value) -> RecordedNote {
        let data = json!({"messageType": "ChatStateChangeMessage",
                          "notificationType": notification,
                          "chat": {"id": "C1", "state": "Chatting", "userData": user_data}});
        RecordedNote {
            kind: crate::replay::script::kind_of("/v2/me/chats", &data).into(),
            data: data.into(),
            ..note(arrival_us, "C1")
        }
    }

    /// The agent (actor 0) joined chat `C1`, the supervisor (actor 1) sent SetInFocus, then the
    /// agent got a PropertiesUpdated showing `user_data`.
    fn after_focus(user_data: serde_json::Value) -> Progress {
        let joined = shown(5, "StatusChange", json!({"Account": "4711"}));
        let properties = shown(30, "PropertiesUpdated", user_data);
        let focus = operation(1, 0, 10, 20, "/api/v2/me/chats/C1", Some("SetInFocus"));
        progress_of(&group_of(
            vec![AGENT, AGENT],
            vec![focus],
            vec![vec![joined, properties], vec![]],
            1,
        ))
    }

    #[test]
    fn a_focus_notice_is_not_waited_for() {
        let progress = after_focus(json!({"Account": "4711"}));
        let both = Dep::Notes { actor: 0, count: 2 };
        assert!(!progress.met(both));
        progress.note_matched(0, 0);
        assert!(progress.met(both), "SetInFocus may notify or not");
    }

    #[test]
    fn a_properties_update_with_a_change_after_set_in_focus_is_waited_for() {
        let progress = after_focus(json!({"Account": "4711", "DispositionCode": "Resolved"}));
        progress.note_matched(0, 0);
        assert!(!progress.met(Dep::Notes { actor: 0, count: 2 }));
    }
}
