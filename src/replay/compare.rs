//! Comparison of the notifications each actor receives in the replay with the ones it received
//! in the recording.
//!
//! **Pairing** happens as notifications arrive ([`Matcher::offer`]), because the ids learned
//! from a pair are what later requests need (an agent accepts the chat its offer named). A
//! received notification is paired with an unpaired recorded one of the same actor, CometD
//! session (the replay's session stands for one recorded `clientId`) and kind
//! (`channel|messageType|notificationType`) whose chat is consistent with what is known (the
//! recorded chat maps to the received one, or neither is mapped yet); among those, the first
//! that says the same thing apart from ids and the digits of times ([`alike`]) wins, else the
//! first of all (its differences are then reported). Looking past the first candidate is what
//! tolerates notifications about different chats arriving in another order.
//!
//! **Verdict** ([`findings`]), per actor, once the replay is over:
//! - a pair differs when the recorded notification, with its ids replaced by the learned
//!   replayed ones, differs from the received one with times reduced to their shape
//!   (`timestamp`, `timestampSeconds`, `receivedDate`: their digits differ in every run, their
//!   format and unit must not) and capabilities and participants compared as sets;
//! - a recorded notification without counterpart is missing; a received one without
//!   counterpart is unexpected, unless the recording stopped listening on its session and it
//!   could have come after all the recording heard (`unheard`), or either is one the documents
//!   let a server send or not ([`super::optional`]: INFO; such a received one pairs only with
//!   a recorded one of its class, a required one only with a required one);
//! - order: notifications about one chat (and those about no chat, per channel) must arrive on
//!   a session in the order their recorded counterparts did where the documents fix it
//!   ([`super::order`]: one kind among its own, nothing after the session's end; a
//!   StatusChange against the others is a SHOULD, NON-STRICT). Across chats, across
//!   sessions, and where the documents leave it open, the order is free.
//!
//! Every finding cites [`REQUIREMENT`], and one about received notifications points at them
//! ([`NotificationRef`], by their `seq` in the actor's replayed stream, [`replayed_seqs`]), so
//! the reports mark them; a missing one is a recorded notification, which no `seq` of that
//! stream names: its finding points at nothing.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use serde_json::Value;

use super::join_delivery::{
    Chains, Delivery, Note, Shown, deliveries, one_sided_reference, participant_count,
};
use super::meaning::{Comparison, EndingChoice};
use super::optional::{Leeway, Optional, Seen, is_channel_state};
use super::order::{Arrivals, Kinds};
use super::remap::{Lookup, Origin, alike};
use super::scopes::{Fit, PartyIds, PartyRemaps};
use super::script::{JsonText, LOG_KIND, RecordedNote, Sources, Store, kind_of};
use super::switch_log::may_log_switch;
use crate::check::diff::unified;
use crate::check::json::chat_key;
use crate::check::{Finding, Located, NotificationRef, Verdict};

/// The requirement replay findings cite: the replay must reproduce the recorded behaviour.
pub const REQUIREMENT: &str = "REPLAY-DIFF";

/// Findings of one kind shown per actor; the rest are counted in one more finding.
const SHOWN: usize = 10;

/// How many unpaired recorded notifications of a kind a received one is compared with, at
/// most: bounds the cost when a replay diverges.
const CANDIDATES: usize = 256;

/// A notification received in the replay, and its recorded counterpart.
#[derive(Debug, Clone)]
pub struct Received {
    /// The Bayeux channel (shared: a session has few).
    pub channel: Arc<str>,
    /// The message's `data`, or one log entry taken out of it to be paired on its own
    /// (`batching`), kept as the group's [`Store`] keeps it (parsed while its budget lasts,
    /// else as text in its spool): a long group receives a capture's worth.
    pub data: JsonText,
    /// What of the notification the target sent it stands for, for the reports.
    pub sent: Sent,
    /// The index of its recorded counterpart, if it has one.
    pub matched: Option<usize>,
    /// Whether it says what its counterpart says, apart from ids and the digits of times.
    pub alike: bool,
    /// The recorded CometD session the replay's session that received it stands for.
    pub session: Option<Arc<str>>,
}

/// What of the notification the target sent a [`Received`] stands for.
#[derive(Debug, Clone)]
pub enum Sent {
    /// All of it: its `data` is the notification.
    Whole,
    /// Its first log entry (`batching`): this is the whole notification (boxed: it is rare,
    /// and a long group has a record per notification).
    FirstOf(Box<JsonText>),
    /// A further log entry of a notification the one before it stands for.
    Further,
}

impl Received {
    /// The notification as the target sent it, for the reports, on the only or first record
    /// of it; `None` on the records of its further log entries.
    pub fn sent(&self) -> Option<Arc<Value>> {
        match &self.sent {
            Sent::Whole => Some(self.data.parse()),
            Sent::FirstOf(whole) => Some(whole.parse()),
            Sent::Further => None,
        }
    }
}

/// A recorded CometD session and a kind of notification: only notifications of the same
/// are paired.
type PairingKey = (Option<Arc<str>>, Arc<str>);

/// Pairs one actor's received notifications with its recorded ones.
#[derive(Debug)]
pub struct Matcher {
    /// The actor (its index in the group): whose ids pairs teach.
    actor: usize,
    /// Unpaired recorded notifications by session and kind, in recorded order.
    unpaired: HashMap<PairingKey, BTreeSet<usize>>,
    /// Everything received, in arrival order.
    received: Vec<Received>,
    /// The channels received on, each kept once.
    channels: HashSet<Arc<str>>,
    /// Which notifications may be on one side only.
    leeway: Leeway,
    /// What the actor was shown so far, to tell a received optional notification.
    seen: Seen,
    /// The chains of participants lists received, to tell one that may be a join snapshot.
    chains: Chains,
    /// Per chat received about, the recorded log entry the last of its entries paired with.
    last_log: HashMap<String, usize>,
}

impl Matcher {
    /// A matcher for actor `actor` (index in the group) with these recorded notifications, of
    /// which `leeway` tells the optional ones.
    pub fn new(actor: usize, notes: &[RecordedNote], leeway: Leeway) -> Self {
        let mut unpaired: HashMap<PairingKey, BTreeSet<usize>> = HashMap::new();
        for (index, note) in notes.iter().enumerate() {
            let key = (note.session.clone(), note.kind.clone());
            unpaired.entry(key).or_default().insert(index);
        }
        Self {
            actor,
            unpaired,
            // As many as the recording had, most likely: a long group's list grows no further
            // than it must.
            received: Vec::with_capacity(notes.len()),
            channels: HashSet::new(),
            leeway,
            seen: Seen::default(),
            chains: Chains::default(),
            last_log: HashMap::new(),
        }
    }

    /// Which notifications may be on one side only.
    pub fn leeway(&self) -> &Leeway {
        &self.leeway
    }

    /// Files a notification (`data`; `sent`, see [`Received::sent`]) received on the replay's
    /// counterpart of the recorded `session`, pairs it with one that session received (see the
    /// module doc) and learns the ids of the pair; returns the index of its recorded
    /// counterpart.
    pub fn offer(
        &mut self,
        notes: &[RecordedNote],
        session: &Option<Arc<str>>,
        channel: String,
        (data, sent): (Arc<Value>, Option<Arc<Value>>),
        (remaps, store): (&mut PartyRemaps, &mut Store),
    ) -> Option<usize> {
        let chat = chat_key(&data);
        let key = (session.clone(), Arc::from(kind_of(&channel, &data)));
        let ids = remaps.party(self.actor);
        // A notification the target may send or not pairs only with a recorded one of its
        // class, and a required one only with a required one: else one is what the
        // recording's server did not send, not one that changed (nor a report of the
        // recording's it may leave out, answering another request).
        let optional = self.leeway.received(&mut self.seen, session, &data);
        let position = self.received.len();
        let shown = Shown::of(data.clone());
        let listed = matches!(shown, Shown::Participants(_));
        // Received notes are read without the requests begun (`join_delivery`).
        let note = Note {
            session: session.clone(),
            chat: chat.clone(),
            shown,
            requests: 0,
        };
        self.chains.next(position, note);
        let may_be_snapshot = listed
            && chat
                .as_deref()
                .is_some_and(|chat| self.chains.open(session, chat));
        let received = Candidate {
            chat: chat.as_deref(),
            data: &data,
            ids,
        };
        let best = |class| {
            let candidates = self.unpaired.get(&key)?;
            received.best(notes, candidates, (&self.leeway, class))
        };
        let next_of_chat = || {
            let candidates = self.unpaired.get(&key)?;
            received.next_of_chat(notes, candidates, &self.leeway)
        };
        let matched = if may_be_snapshot && optional.is_none() {
            // A list that may be a join snapshot (`choice-join-delivery`) pairs with the next
            // recorded list of its chat if it says the same, else with a recorded snapshot;
            // else, if it shows fewer participants than that next list, it is left for the
            // verdict to tell (it is one if a later list extends it); else it differs from it.
            let next = next_of_chat().map(|index| (index, alike(&notes[index].data(), &data)));
            match next {
                Some((_, true)) => next,
                _ => best(Some(Optional::JoinSnapshot)).or(next.filter(|&(index, _)| {
                    participant_count(&data) >= participant_count(&notes[index].data())
                })),
            }
        } else if optional.is_none() && may_log_switch(&data) {
            // A log entry a mode switch may have added (`choice-switch-log`) pairs with one
            // that says the same, else with a recorded switch entry; else, where the recording
            // switched the chat's mode since the last entry of the chat paired, it is left for
            // the verdict to tell; else it differs from the best candidate.
            let required = best(None);
            match required {
                Some((_, true)) => required,
                _ => best(Some(Optional::SwitchEntry)).or_else(|| {
                    let last = chat.as_deref().and_then(|chat| self.last_log.get(chat));
                    let (last, next) =
                        (last.map(|&i| &notes[i]), next_of_chat().map(|i| &notes[i]));
                    let recorded_chat = last.or(next).and_then(|note| note.chat.as_deref());
                    let slot = (last.map(|n| n.arrival_us), next.map(|n| n.arrival_us));
                    let switched = self.leeway.switched_between(recorded_chat, slot);
                    required.filter(|_| !switched)
                }),
            }
        } else {
            best(optional)
        };
        let alike = matched.is_some_and(|(_, alike)| alike);
        let matched = matched.map(|(index, _)| index);
        if let (Some(index), Some(chat)) = (matched, &chat)
            && notes[index].kind.contains(LOG_KIND)
        {
            self.last_log.insert(chat.clone(), index);
        }
        if let Some(index) = matched {
            remaps.learn(
                self.actor,
                &notes[index].data(),
                &data,
                Origin::Notification,
            );
            // Paired, it is no candidate any more: the comparison reads it again at the end.
            notes[index].data.forget();
        }
        if let Some(index) = matched
            && let Some(candidates) = self.unpaired.get_mut(&key)
        {
            candidates.remove(&index);
        }
        let sent = match sent {
            Some(whole) if Arc::ptr_eq(&whole, &data) => Sent::Whole,
            Some(whole) => Sent::FirstOf(Box::new(store.keep(whole))),
            None => Sent::Further,
        };
        let channel = match self.channels.get(channel.as_str()) {
            Some(known) => known.clone(),
            None => {
                let channel: Arc<str> = channel.into();
                self.channels.insert(channel.clone());
                channel
            }
        };
        self.received.push(Received {
            channel,
            sent,
            data: store.keep(data),
            matched,
            alike,
            session: key.0,
        });
        matched
    }

    /// Everything received, in arrival order, taken out of the matcher.
    pub fn take_received(&mut self) -> Vec<Received> {
        std::mem::take(&mut self.received)
    }
}

/// For each record of `received`, the `seq` of the notification it is part of in the actor's
/// replayed stream (the `notification` events): a further log entry of a notification
/// ([`Sent::Further`]) is part of the one before it.
pub fn replayed_seqs(received: &[Received]) -> Vec<u64> {
    let mut next: u64 = 0;
    received
        .iter()
        .map(|got| {
            if !matches!(got.sent, Sent::Further) {
                next += 1;
            }
            next.saturating_sub(1)
        })
        .collect()
}

/// A received notification, as the matcher compares it with recorded candidates.
struct Candidate<'a> {
    /// The chat it is about, as [`chat_key`] reads it.
    chat: Option<&'a str>,
    /// Its `data`.
    data: &'a Value,
    /// The receiving actor's view of the ids learned.
    ids: PartyIds<'a>,
}

impl Candidate<'_> {
    /// The first required recorded notification among `candidates` (unpaired, of its session
    /// and kind, in recorded order) about its chat: the one that comes next about it (the
    /// first the ids learned confirm, else the first they allow).
    fn next_of_chat(
        &self,
        notes: &[RecordedNote],
        candidates: &BTreeSet<usize>,
        leeway: &Leeway,
    ) -> Option<usize> {
        let mut allowed = None;
        for &index in candidates.iter().take(CANDIDATES) {
            if leeway.optional(index).is_some() {
                continue;
            }
            match self.ids.fit(notes[index].chat.as_deref(), self.chat) {
                Fit::Confirmed => return Some(index),
                Fit::Contradicted => {}
                _ => {
                    allowed.get_or_insert(index);
                }
            }
        }
        allowed
    }

    /// The recorded notification among `candidates` (unpaired, of its session and kind) it
    /// pairs with best, if any, and whether it says the same: only one of `class` (see
    /// [`Matcher::offer`]), ranked by: the ids learned confirm the chat; the notification
    /// says the same thing; how many of its other ids agree (a participant's, when the chat's
    /// own id is new to this party); the ids learned at least allow it. The first wins a tie.
    fn best(
        &self,
        notes: &[RecordedNote],
        candidates: &BTreeSet<usize>,
        (leeway, class): (&Leeway, Option<Optional>),
    ) -> Option<(usize, bool)> {
        let channel_state = is_channel_state(self.data);
        let mut best: Option<((bool, bool, usize, Fit), usize)> = None;
        for &index in candidates.iter().take(CANDIDATES) {
            let note = &notes[index];
            let fit = self.ids.fit(note.chat.as_deref(), self.chat);
            if fit == Fit::Contradicted || leeway.optional(index) != class {
                continue;
            }
            let confirmed = fit == Fit::Confirmed;
            let alike = alike(&note.data(), self.data);
            // A channel state report says nothing but the state: one of another state is
            // another report (a readiness the target reports and the recording's server did
            // not, `choice-initial-readiness`), and pairing it would teach wrong ids.
            if channel_state && !alike {
                continue;
            }
            let agreeing = if confirmed {
                0
            } else {
                self.ids.agreeing(&note.data(), self.data)
            };
            let rank = (confirmed, alike, agreeing, fit);
            if best.is_none_or(|(best, _)| rank > best) {
                best = Some((rank, index));
            }
            if confirmed && alike {
                break;
            }
        }
        best.map(|((_, alike, ..), index)| (index, alike))
    }
}

/// `StatusChange Chatting`, `MessageLogUpdated NewMessages`: what a notification is, in words.
fn describe(data: &Value) -> String {
    let text = |pointer: &str| data.pointer(pointer).and_then(Value::as_str);
    let mut words: Vec<&str> = Vec::new();
    words.extend(text("/notificationType").or(text("/messageType")));
    words.extend(text("/chat/state"));
    if words.is_empty() {
        return "a notification".to_owned();
    }
    words.join(" ")
}

/// Keeps the first [`SHOWN`] findings of a kind and counts the rest in one more, which points
/// at the notifications they were about (so the reports still mark them).
struct Capped {
    check: &'static str,
    what: &'static str,
    verdict: Verdict,
    shown: Vec<Located>,
    hidden: usize,
    hidden_about: Vec<NotificationRef>,
}

impl Capped {
    fn new(check: &'static str, what: &'static str, verdict: Verdict) -> Self {
        Self {
            check,
            what,
            verdict,
            shown: Vec::new(),
            hidden: 0,
            hidden_about: Vec::new(),
        }
    }

    fn finding(&self, message: String, details: Vec<String>) -> Finding {
        Finding {
            check: self.check.to_owned(),
            requirement: REQUIREMENT.to_owned(),
            verdict: self.verdict,
            message,
            details,
        }
    }

    /// Files a finding about the received notifications `about`.
    fn push(&mut self, message: String, details: Vec<String>, about: Vec<NotificationRef>) {
        if self.shown.len() < SHOWN {
            let finding = self.finding(message, details);
            self.shown.push(Located::about(finding, about));
        } else {
            self.hidden += 1;
            self.hidden_about.extend(about);
        }
    }

    fn finish(mut self, actor: &str, out: &mut Vec<Located>) {
        if self.hidden > 0 {
            let message = format!("{actor}: {} more {} not shown", self.hidden, self.what);
            let finding = self.finding(message, Vec::new());
            self.shown.push(Located::about(finding, self.hidden_about));
        }
        out.extend(self.shown);
    }
}

/// A stream of notifications whose order the documents may fix: one chat (or, for
/// notifications about no chat, one channel) on one session. Sessions are streams of their
/// own: one session's notifications are not ordered against another's.
type Stream = (Option<Arc<str>>, Arc<str>, Option<String>);

fn stream_of(got: &Received, data: &Value) -> Stream {
    (got.session.clone(), got.channel.clone(), chat_key(data))
}

/// For each received notification, whether it is unpaired and could have come after all the
/// recording heard: on a session of `open_tails` (the recording stopped listening before it
/// ended), with no paired notification after it that the documents order against it (one of
/// its stream, `order::Kinds`). The recording's server may have queued it behind those, for
/// the long-poll nobody answered: the order across chats and of kinds the documents leave
/// open is the server's (`choice-order`), and so is how it splits them across long-polls
/// (`choice-bayeux-delivery`).
fn unheard(open_tails: &HashSet<Option<String>>, received: &[Received]) -> Vec<bool> {
    let mut later: HashMap<Stream, Kinds> = HashMap::new();
    let mut out = vec![false; received.len()];
    for (position, got) in received.iter().enumerate().rev() {
        let data = got.data.parse();
        let stream = stream_of(got, &data);
        if got.matched.is_some() {
            later.entry(stream).or_default().note(&data);
        } else {
            out[position] = open_tails.contains(&got.session.as_deref().map(str::to_owned))
                && later.get(&stream).is_none_or(|kinds| !kinds.bind(&data));
        }
    }
    out
}

/// For each received notification, whether it is an unpaired log entry a mode switch may
/// have added ([`super::switch_log`]) where the recording switched its chat's mode: between
/// the recorded counterparts of the paired entries of its chat around it (from the start,
/// or to the end, where there is none on a side). `logs` says, per received notification, the
/// chat of a log entry and whether it is unpaired and may have logged a switch.
fn switch_entries(
    received: &[Received],
    logs: &[(Option<String>, bool)],
    notes: &[RecordedNote],
    leeway: &Leeway,
) -> Vec<bool> {
    // The counterpart of the paired entry of the chat before each candidate, then after it.
    let mut before = vec![None; received.len()];
    let mut last: HashMap<&str, usize> = HashMap::new();
    for (position, (chat, candidate)) in logs.iter().enumerate() {
        let Some(chat) = chat else { continue };
        match received[position].matched {
            _ if *candidate => before[position] = last.get(chat.as_str()).copied(),
            Some(index) => _ = last.insert(chat, index),
            None => {}
        }
    }
    let mut out = vec![false; received.len()];
    let mut next: HashMap<&str, usize> = HashMap::new();
    for (position, (chat, candidate)) in logs.iter().enumerate().rev() {
        let Some(chat) = chat else { continue };
        match received[position].matched {
            _ if *candidate => {
                let after = next.get(chat.as_str()).map(|&i| &notes[i]);
                let earlier = before[position].map(|i| &notes[i]);
                let recorded_chat = earlier.or(after).and_then(|note| note.chat.as_deref());
                let slot = (earlier.map(|n| n.arrival_us), after.map(|n| n.arrival_us));
                out[position] =
                    recorded_chat.is_some() && leeway.switched_between(recorded_chat, slot);
            }
            Some(index) => _ = next.insert(chat, index),
            None => {}
        }
    }
    out
}

/// For each of `notes` recorded notifications, the `seq` of the replayed notification it was
/// paired with ([`replayed_seqs`]), if any.
pub fn recorded_counterparts(received: &[Received], notes: usize) -> Vec<Option<u64>> {
    let mut counterparts = vec![None; notes];
    for (got, seq) in received.iter().zip(replayed_seqs(received)) {
        if let Some(slot) = got.matched.and_then(|index| counterparts.get_mut(index)) {
            *slot = Some(seq);
        }
    }
    counterparts
}

/// The differences between what `actor` received in the replay and in the recording (see the
/// module doc). On a session of `open_tails` (the recording stopped listening before it ended,
/// [`ActorPlan::open_tails`](super::script::ActorPlan::open_tails)), what could have come after
/// all the recording heard cannot be checked (`unheard`): it is reported as INFO. Each finding
/// points at the received notifications it is about (see the module doc).
pub fn findings(
    actor: &str,
    sources: &Sources,
    notes: &[RecordedNote],
    (endings, leeway): (&[Option<EndingChoice>], &Leeway),
    open_tails: &HashSet<Option<String>>,
    received: &[Received],
    remap: PartyIds<'_>,
) -> Vec<Located> {
    let mut one_sided = Capped::new(
        "replay.fields",
        "notifications with fields on one side only",
        Verdict::Info,
    );
    let mut differs = Capped::new(
        "replay.notification",
        "differing notifications",
        Verdict::Fail,
    );
    let mut unexpected = Capped::new(
        "replay.unexpected",
        "unexpected notifications",
        Verdict::Fail,
    );
    let mut missing = Capped::new("replay.missing", "missing notifications", Verdict::Fail);
    let mut order = Capped::new("replay.order", "notifications out of order", Verdict::Fail);
    let mut order_should = Capped::new(
        "replay.order",
        "notifications out of a SHOULD's order",
        Verdict::NonStrict,
    );
    let mut unknown = Capped::new(
        "replay.unrecorded",
        "notifications after the recording stopped listening",
        Verdict::Info,
    );
    let mut optional = Capped::new(
        "replay.optional",
        "notifications the documents let a server send or not",
        Verdict::Info,
    );
    let mut seen = Seen::default();
    let after_recording = unheard(open_tails, received);
    // One reading of each notification serves both: a long group's are spooled.
    let mut logs = Vec::with_capacity(received.len());
    let delivered = deliveries(received.iter().map(|got| {
        let data = got.data.parse();
        let chat = chat_key(&data);
        let shown = Shown::of(data.clone());
        let candidate = got.matched.is_none() && may_log_switch(&data);
        logs.push((
            matches!(shown, Shown::Log).then(|| chat.clone()).flatten(),
            candidate,
        ));
        Note {
            session: got.session.clone(),
            chat,
            shown,
            requests: 0,
        }
    }));
    let switched = switch_entries(received, &logs, notes, leeway);
    let seqs = replayed_seqs(received);
    let at = |position: usize| vec![NotificationRef::whole(actor, seqs[position])];
    let mut paired = vec![false; notes.len()];
    let mut streams: HashMap<Stream, Arrivals> = HashMap::new();
    for (position, got) in received.iter().enumerate() {
        // Parsed one at a time: in a long group, they would not all fit.
        let data = got.data.parse();
        let may_be_sent = leeway
            .received(&mut seen, &got.session, &data)
            .or((delivered[position] == Delivery::Snapshot).then_some(Optional::JoinSnapshot))
            .or(switched[position].then_some(Optional::SwitchEntry));
        let Some(index) = got.matched else {
            if let Some(why) = may_be_sent {
                optional.push(
                    format!(
                        "{actor}: {} on {} has no counterpart in the recording, which the \
                         documents allow ({})",
                        describe(&data),
                        got.channel,
                        why.ruling()
                    ),
                    vec![data.to_string()],
                    at(position),
                );
                continue;
            }
            if after_recording[position] {
                unknown.push(
                    format!(
                        "{actor}: {} on {} arrived after the recording stopped listening (its last \
                         long-poll got no answer, or no other followed it): not compared",
                        describe(&data),
                        got.channel
                    ),
                    vec![data.to_string()],
                    at(position),
                );
                continue;
            }
            unexpected.push(
                format!(
                    "{actor}: {} on {} has no counterpart in the recording",
                    describe(&data),
                    got.channel
                ),
                vec![data.to_string()],
                at(position),
            );
            continue;
        };
        paired[index] = true;
        let note = &notes[index];
        let recorded = note.data.parse();
        // Alike apart from ids and times, with the ids as learned: nothing differs (the common
        // case, checked without copying either document).
        let same = got.alike && remap.agrees(&recorded, &data);
        let ending = endings.get(index).copied().flatten();
        let comparison = (!same).then(|| {
            let expected = remap.value(&recorded, None);
            // A join shown on its own on one side is the Accept's on the other, with its
            // `referenceId` (`choice-join-delivery`).
            let joined = leeway.joined(index) || delivered[position] != Delivery::Plain;
            match joined
                .then(|| one_sided_reference(&expected, &data))
                .flatten()
            {
                Some((expected, actual, side)) => {
                    let entry = sources.label(note.entry);
                    one_sided.push(
                        format!(
                            "{actor}: {} ({entry}): only the {side} has referenceId: one side \
                             shows the join in the Accept's notifications ({})",
                            describe(&data),
                            Optional::JoinSnapshot.ruling()
                        ),
                        Vec::new(),
                        at(position),
                    );
                    Comparison::ending(&expected, &actual, ending)
                }
                None => Comparison::ending(&expected, &data, ending),
            }
        });
        if let Some(comparison) = comparison {
            let entry = sources.label(note.entry);
            if let Some(fields) = comparison.one_sided() {
                one_sided.push(
                    format!("{actor}: {} ({entry}): {fields}", describe(&data)),
                    Vec::new(),
                    at(position),
                );
            }
            if !comparison.same() && leeway.optional(index) == Some(Optional::SwitchEntry) {
                let label = format!("recorded ({entry}, ids remapped)");
                optional.push(
                    format!(
                        "{actor}: the log entry of a mode switch differs from the recording's \
                         ({entry}), which the documents allow ({})",
                        Optional::SwitchEntry.ruling()
                    ),
                    vec![unified(
                        &comparison.expected,
                        &comparison.actual,
                        (&label, "replayed"),
                    )],
                    at(position),
                );
            } else if !comparison.same() {
                let label = format!("recorded ({entry}, ids remapped)");
                differs.push(
                    format!(
                        "{actor}: {} differs from the recording ({entry})",
                        describe(&data)
                    ),
                    vec![unified(
                        &comparison.expected,
                        &comparison.actual,
                        (&label, "replayed"),
                    )],
                    at(position),
                );
            }
        }
        if let Some(broken) = streams
            .entry(stream_of(got, &data))
            .or_default()
            .arrive(&data, index, position)
        {
            let overtaken = &received[broken.overtaken];
            let last = overtaken.matched.unwrap_or(index);
            let recorded_at = if note.entry == notes[last].entry {
                format!("both in {}", sources.label(note.entry))
            } else {
                format!(
                    "{}, then {}",
                    sources.label(note.entry),
                    sources.label(notes[last].entry)
                )
            };
            let message = format!(
                "{actor}: {} arrived after {} about the same chat; the recording had them the \
                 other way round ({recorded_at})",
                describe(&data),
                describe(&overtaken.data.parse()),
            );
            // Both: the one that came late and the one it came after.
            let mut about = at(position);
            about.extend(at(broken.overtaken));
            match broken.verdict {
                Verdict::Fail => order.push(message, Vec::new(), about),
                _ => order_should.push(message, Vec::new(), about),
            }
        }
    }
    for (index, note) in notes.iter().enumerate() {
        if !paired[index] {
            let recorded = note.data.parse();
            if let Some(why) = leeway.optional(index) {
                optional.push(
                    format!(
                        "{actor}: {} on {} ({}) was not received, which the documents allow ({})",
                        describe(&recorded),
                        note.channel,
                        sources.label(note.entry),
                        why.ruling()
                    ),
                    Vec::new(),
                    Vec::new(),
                );
                continue;
            }
            missing.push(
                format!(
                    "{actor}: {} on {} ({}) was not received",
                    describe(&recorded),
                    note.channel,
                    sources.label(note.entry)
                ),
                vec![remap.value(&recorded, None).to_string()],
                Vec::new(),
            );
        }
    }
    let mut out = Vec::new();
    differs.finish(actor, &mut out);
    order.finish(actor, &mut out);
    order_should.finish(actor, &mut out);
    missing.finish(actor, &mut out);
    unexpected.finish(actor, &mut out);
    unknown.finish(actor, &mut out);
    optional.finish(actor, &mut out);
    one_sided.finish(actor, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::remap::Remap;
    use serde_json::json;

    /// A receivedDate whose digits depend on the chat (they differ between runs).
    fn received(chat: &str) -> String {
        let day = chat.bytes().next().unwrap_or(b'0') % 9 + 1;
        format!("2026-01-0{day} 03:04:05.678+0000")
    }

    fn state(chat: &str, state: &str, nickname: &str) -> Value {
        json!({"messageType": "ChatStateChangeMessage", "notificationType": "StatusChange",
               "chat": {"id": chat, "state": state, "receivedDate": received(chat),
                        "participants": [{"nickname": nickname, "participantId": chat}]}})
    }

    fn recorded(data: Value) -> RecordedNote {
        let channel = "/v2/me/chats";
        RecordedNote {
            entry: 1,
            arrival_us: 0,
            channel: channel.into(),
            kind: kind_of(channel, &data).into(),
            chat: chat_key(&data),
            data: data.into(),
            session: None,
        }
    }

    /// Runs the matcher over the arrivals (on the session standing for `None`), as the engine
    /// does.
    fn replay(notes: &[RecordedNote], arrivals: &[Value]) -> (Vec<Received>, PartyRemaps) {
        let arrivals: Vec<_> = arrivals.iter().map(|a| (None, a.clone())).collect();
        replay_sessions(notes, &arrivals)
    }

    /// Runs the matcher over arrivals on the sessions standing for the recorded ones named.
    fn replay_sessions(
        notes: &[RecordedNote],
        arrivals: &[(Option<String>, Value)],
    ) -> (Vec<Received>, PartyRemaps) {
        replay_leeway(notes, arrivals, &Leeway::default())
    }

    /// [`replay_sessions`] with these optional notifications.
    fn replay_leeway(
        notes: &[RecordedNote],
        arrivals: &[(Option<String>, Value)],
        leeway: &Leeway,
    ) -> (Vec<Received>, PartyRemaps) {
        let mut remap = PartyRemaps::new(1, Remap::default());
        let mut matcher = Matcher::new(0, notes, leeway.clone());
        let mut store = Store::new();
        for (session, data) in arrivals {
            // Each arrival is a whole notification.
            let data = Arc::new(data.clone());
            matcher.offer(
                notes,
                &session.as_deref().map(Arc::from),
                "/v2/me/chats".into(),
                (data.clone(), Some(data)),
                (&mut remap, &mut store),
            );
        }
        (matcher.take_received(), remap)
    }

    /// No session's tail is open.
    fn closed() -> HashSet<Option<String>> {
        HashSet::new()
    }

    /// The findings of actor 0, `agent`, with these sessions' tails open.
    fn agent_findings(
        notes: &[RecordedNote],
        open_tails: &HashSet<Option<String>>,
        received: &[Received],
        remap: &PartyRemaps,
    ) -> Vec<Finding> {
        leeway_findings(notes, open_tails, received, (remap, &Leeway::default()))
    }

    /// [`agent_findings`] with these optional notifications.
    fn leeway_findings(
        notes: &[RecordedNote],
        open_tails: &HashSet<Option<String>>,
        received: &[Received],
        (remap, leeway): (&PartyRemaps, &Leeway),
    ) -> Vec<Finding> {
        located_findings(notes, open_tails, received, (remap, leeway))
            .into_iter()
            .map(|located| located.finding)
            .collect()
    }

    /// [`leeway_findings`] with the notifications each is about.
    fn located_findings(
        notes: &[RecordedNote],
        open_tails: &HashSet<Option<String>>,
        received: &[Received],
        (remap, leeway): (&PartyRemaps, &Leeway),
    ) -> Vec<Located> {
        findings(
            "agent",
            &Sources::default(),
            notes,
            (&[], leeway),
            open_tails,
            received,
            remap.party(0),
        )
    }

    /// A ParticipantsUpdated of chat `chat` listing `names` (participant ids `{chat}-{name}`),
    /// with the Accept's referenceId when `accept`.
    fn listed(chat: &str, names: &[&str], accept: bool) -> Value {
        let participants: Vec<Value> = names
            .iter()
            .map(|n| json!({"nickname": n, "participantId": format!("{chat}-{n}")}))
            .collect();
        let mut data = json!({"messageType": "ChatStateChangeMessage",
            "notificationType": "ParticipantsUpdated",
            "chat": {"id": chat, "state": "Chatting", "participants": participants}});
        if accept {
            data["referenceId"] = json!(1);
        }
        data
    }

    /// The checks of the failures and of the INFO findings replaying `arrivals` against
    /// `notes` finds, with `leeway`.
    fn verdicts(
        notes: &[RecordedNote],
        arrivals: &[Value],
        leeway: &Leeway,
    ) -> (Vec<String>, Vec<String>) {
        let arrivals: Vec<_> = arrivals.iter().map(|a| (None, a.clone())).collect();
        let (received, remap) = replay_leeway(notes, &arrivals, leeway);
        let found = leeway_findings(notes, &closed(), &received, (&remap, leeway));
        let checks = |info: bool| {
            let of = found
                .iter()
                .filter(|f| (f.verdict == Verdict::Info) == info);
            of.map(|f| f.check.clone()).collect()
        };
        (checks(false), checks(true))
    }

    #[test]
    fn joins_on_an_accept_cross_between_deliveries_and_a_missing_join_still_fails() {
        let starting = json!({"messageType": "ChatStateChangeMessage",
            "notificationType": "StatusChange", "referenceId": 1,
            "chat": {"id": "A", "state": "Chatting", "participants": []}});
        // Separate: the Accept's list, then one with the supervisor who joined on it.
        let separate = [
            recorded(starting.clone()),
            recorded(listed("A", &["agent", "customer"], true)),
            recorded(listed("A", &["agent", "customer", "coach"], false)),
        ];
        let separate_leeway = Leeway::delivered(
            vec![None, Some(Optional::JoinSnapshot), None],
            vec![false, true, true],
        );
        let merged = [
            recorded(starting.clone()),
            recorded(listed("A", &["agent", "customer", "coach"], true)),
        ];
        let merged_leeway = Leeway::default();
        let on = |chat: &str| {
            let mut state = starting.clone();
            state["chat"]["id"] = json!(chat);
            state
        };
        let (failed, info) = verdicts(
            &separate,
            &[on("X"), listed("X", &["agent", "customer", "coach"], true)],
            &separate_leeway,
        );
        assert_eq!(failed, Vec::<String>::new());
        assert_eq!(info, ["replay.optional", "replay.fields"]);
        let (failed, info) = verdicts(
            &merged,
            &[
                on("X"),
                listed("X", &["agent", "customer"], true),
                listed("X", &["agent", "customer", "coach"], false),
            ],
            &merged_leeway,
        );
        assert_eq!(failed, Vec::<String>::new());
        assert_eq!(info, ["replay.optional", "replay.fields"]);
        // The supervisor never shown to the agent: not a delivery, a difference.
        let never = [on("X"), listed("X", &["agent", "customer"], true)];
        let (failed, _) = verdicts(&merged, &never, &merged_leeway);
        assert_eq!(failed, ["replay.missing", "replay.unexpected"]);
        let (failed, _) = verdicts(&separate, &never, &separate_leeway);
        assert_eq!(failed, ["replay.missing"]);
    }

    #[test]
    fn chats_arriving_in_another_order_pair_by_content_and_pass() {
        let notes = [
            recorded(state("A", "Invited", "Ann")),
            recorded(state("B", "Invited", "Bob")),
            recorded(state("A", "Chatting", "Ann")),
        ];
        let (received, remap) = replay(
            &notes,
            &[
                state("Y", "Invited", "Bob"),
                state("X", "Invited", "Ann"),
                state("X", "Chatting", "Ann"),
            ],
        );
        let matched: Vec<_> = received.iter().map(|r| r.matched).collect();
        assert_eq!(matched, [Some(1), Some(0), Some(2)]);
        assert_eq!(remap.party(0).id("A"), Some("X"));
        assert_eq!(agent_findings(&notes, &closed(), &received, &remap), []);
    }

    /// Chat A recorded Invited, Chatting, then Completed.
    fn invited_chatting_completed() -> [RecordedNote; 3] {
        ["Invited", "Chatting", "Completed"].map(|s| recorded(state("A", s, "Ann")))
    }

    /// Chat X Chatting, visible to agents only: it differs from the recorded Chatting.
    fn chatting_for_agents() -> Value {
        let mut changed = state("X", "Chatting", "Ann");
        changed["chat"]["visibility"] = json!("Agents");
        changed
    }

    #[test]
    fn a_changed_notification_is_a_diff_and_extra_or_missing_ones_are_reported() {
        let notes = invited_chatting_completed();
        let changed = chatting_for_agents();
        let (received, remap) = replay(
            &notes,
            &[
                state("X", "Invited", "Ann"),
                changed,
                json!({"messageType": "MessageLogUpdated", "chatUri": "http://h/api/v2/chats/X"}),
            ],
        );
        let found = agent_findings(&notes, &closed(), &received, &remap);
        let checks: Vec<&str> = found.iter().map(|f| f.check.as_str()).collect();
        assert_eq!(
            checks,
            ["replay.notification", "replay.missing", "replay.unexpected"]
        );
        assert!(
            found[0].details[0].contains("+    \"visibility\": \"Agents\""),
            "{}",
            found[0].details[0]
        );
        assert!(
            found[0].message.contains("StatusChange Chatting differs"),
            "{}",
            found[0].message
        );
        assert!(
            found[1].message.contains("StatusChange Completed"),
            "{}",
            found[1].message
        );
        assert!(
            found
                .iter()
                .all(|f| f.requirement == REQUIREMENT && f.verdict == Verdict::Fail)
        );
    }

    /// A PropertiesUpdated of chat `chat` showing these `userData`.
    fn properties(chat: &str, user_data: Value) -> Value {
        let mut data = state(chat, "Chatting", "Ann");
        data["notificationType"] = json!("PropertiesUpdated");
        data["chat"]["userData"] = user_data;
        data
    }

    /// What a chat shows before and after a disposition is set.
    fn account() -> Value {
        json!({"Account": "4711"})
    }

    fn resolved() -> Value {
        json!({"Account": "4711", "DispositionCode": "Resolved"})
    }

    /// The chat joined, then its properties changed; with `notice`, a PropertiesUpdated that
    /// changes nothing in between (a SetInFocus's, `choice-set-in-focus`).
    fn focus_story(chat: &str, notice: bool) -> Vec<Value> {
        let mut joined = state(chat, "Chatting", "Ann");
        joined["chat"]["userData"] = account();
        let mut story = vec![joined];
        if notice {
            story.push(properties(chat, account()));
        }
        story.push(properties(chat, resolved()));
        story
    }

    #[test]
    fn a_focus_notice_on_either_side_only_is_no_difference() {
        // The focus story recorded with or without the notice, replayed the other way.
        let story = |with_notice: bool, leeway: &Leeway| {
            let notes: Vec<_> = focus_story("A", with_notice)
                .into_iter()
                .map(recorded)
                .collect();
            let arrivals: Vec<_> = focus_story("X", !with_notice)
                .into_iter()
                .map(|d| (None, d))
                .collect();
            let (received, remap) = replay_leeway(&notes, &arrivals, leeway);
            let found = leeway_findings(&notes, &closed(), &received, (&remap, leeway));
            let checks: Vec<_> = found.iter().map(|f| (f.check.clone(), f.verdict)).collect();
            (received, found, checks)
        };
        let info = [("replay.optional".to_owned(), Verdict::Info)];
        // Recorded with it, replayed without.
        let leeway = Leeway::focused(vec![None, Some(Optional::FocusNotice), None]);
        let (_, found, checks) = story(true, &leeway);
        assert_eq!(checks, info, "{found:?}");
        // Recorded without it, replayed with: the notice pairs with no changed one.
        let (received, found, checks) = story(false, &Leeway::focused(vec![None, None]));
        assert_eq!(received[2].matched, Some(1));
        assert_eq!(checks, info, "{found:?}");
        assert!(
            found[0].message.contains("choice-set-in-focus"),
            "{found:?}"
        );
    }

    #[test]
    fn a_properties_update_that_changes_something_still_counts_next_to_a_focus_notice() {
        // An extra PropertiesUpdated with a change no request made is unexpected.
        let notes: Vec<_> = focus_story("A", false).into_iter().map(recorded).collect();
        let leeway = Leeway::focused(vec![None, None]);
        let mut arrivals: Vec<_> = focus_story("X", false)
            .into_iter()
            .map(|d| (None, d))
            .collect();
        let priority =
            json!({"Account": "4711", "DispositionCode": "Resolved", "Priority": "high"});
        arrivals.push((None, properties("X", priority)));
        let (received, remap) = replay_leeway(&notes, &arrivals, &leeway);
        let found = leeway_findings(&notes, &closed(), &received, (&remap, &leeway));
        let checks: Vec<_> = found.iter().map(|f| f.check.as_str()).collect();
        assert_eq!(checks, ["replay.unexpected"], "{found:?}");
        // A required PropertiesUpdated missing still is, even next to an optional one received.
        let notes: Vec<_> = focus_story("A", true).into_iter().map(recorded).collect();
        let leeway = Leeway::focused(vec![None, Some(Optional::FocusNotice), None]);
        let arrivals: Vec<_> = focus_story("X", true)
            .into_iter()
            .take(2)
            .map(|d| (None, d))
            .collect();
        let (received, remap) = replay_leeway(&notes, &arrivals, &leeway);
        let found = leeway_findings(&notes, &closed(), &received, (&remap, &leeway));
        let checks: Vec<_> = found.iter().map(|f| f.check.as_str()).collect();
        assert_eq!(checks, ["replay.missing"], "{found:?}");
    }

    /// A report that the agent is in `state`.
    fn channel_state(state: &str) -> Value {
        json!({"messageType": "ChannelStateChangeMessageV2",
               "channels": [{"channel": "chat", "userState": {"state": state}}]})
    }

    /// What the agent heard of its readiness on session `None`.
    fn readiness(states: &[&str]) -> Vec<(Option<String>, Value)> {
        states
            .iter()
            .map(|state| (None, channel_state(state)))
            .collect()
    }

    /// The findings when the recording heard `recorded` and the replay `replayed`, for an agent
    /// whose first request was NotReady, then Ready.
    fn readiness_findings(recorded_states: &[&str], replayed: &[&str]) -> Vec<Finding> {
        let notes: Vec<_> = readiness(recorded_states)
            .into_iter()
            .map(|(_, data)| recorded(data))
            .collect();
        // The recording's own classes, as planning finds them.
        let mut seen = Seen::default();
        let probe = Leeway::requesting(Vec::new(), "NotReady");
        let classes = notes
            .iter()
            .map(|note| probe.received(&mut seen, &None, &note.data.parse()))
            .collect();
        let leeway = Leeway::requesting(classes, "NotReady");
        let (received, remap) = replay_leeway(&notes, &readiness(replayed), &leeway);
        leeway_findings(&notes, &closed(), &received, (&remap, &leeway))
    }

    #[test]
    fn starting_ready_or_not_ready_is_no_difference() {
        let checks = |found: Vec<Finding>| -> Vec<(String, Verdict)> {
            found.into_iter().map(|f| (f.check, f.verdict)).collect()
        };
        let info = || ("replay.optional".to_owned(), Verdict::Info);
        // Recorded starting NotReady, replayed starting Ready, and the reverse: the start's
        // Ready is on one side only; the NotReady reports pair, as do the Ready request's.
        let not_ready_first = ["NotReady", "Ready"];
        let ready_first = ["Ready", "NotReady", "Ready"];
        let found = readiness_findings(&not_ready_first, &ready_first);
        assert_eq!(checks(found), [info()]);
        let found = readiness_findings(&ready_first, &not_ready_first);
        assert_eq!(checks(found), [info()]);
    }

    #[test]
    fn a_readiness_request_not_reported_still_differs_after_starting_ready() {
        // Started Ready, NotReady reported, the Ready request never was.
        let found = readiness_findings(&["NotReady", "Ready"], &["Ready", "NotReady"]);
        let checks: Vec<_> = found.iter().map(|f| f.check.as_str()).collect();
        assert!(checks.contains(&"replay.missing"), "{found:?}");
        assert!(
            found.iter().any(|f| f.verdict == Verdict::Fail),
            "{found:?}"
        );
    }

    #[test]
    fn order_within_a_chat_matters_and_across_chats_does_not() {
        let notes = [
            recorded(state("A", "Invited", "Ann")),
            recorded(state("A", "Chatting", "Ann")),
        ];
        let (received, remap) = replay(
            &notes,
            &[state("X", "Chatting", "Ann"), state("X", "Invited", "Ann")],
        );
        let found = agent_findings(&notes, &closed(), &received, &remap);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].check, "replay.order");
        assert!(
            found[0].message.contains(
                "StatusChange Invited arrived after StatusChange Chatting about the same chat"
            ),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn after_an_unanswered_last_long_poll_extras_are_not_compared() {
        let log = |chat: &str| {
            json!({"messageType": "MessageLogUpdated",
                   "chatUri": format!("http://h/api/v2/chats/{chat}")})
        };
        let participants = |chat: &str| {
            json!({"messageType": "ChatStateChangeMessage", "notificationType": "ParticipantsUpdated",
                   "chat": {"id": chat, "state": "Chatting"}})
        };
        let notes = [recorded(state("A", "Invited", "Ann")), recorded(log("A"))];
        let (received, remap) = replay(
            &notes,
            &[
                participants("X"),
                participants("Y"),
                state("X", "Invited", "Ann"),
                participants("X"),
                log("X"),
            ],
        );
        let found = agent_findings(&notes, &HashSet::from([None]), &received, &remap);
        let verdicts: Vec<(&str, Verdict)> = found
            .iter()
            .map(|f| (f.check.as_str(), f.verdict))
            .collect();
        assert_eq!(
            verdicts,
            [
                ("replay.unexpected", Verdict::Fail),
                ("replay.unrecorded", Verdict::Info),
                ("replay.unrecorded", Verdict::Info)
            ],
            "before a paired StatusChange of its chat a ParticipantsUpdated keeps its place: \
             unexpected; before only another chat's, or a log entry, it may have come after all \
             the recording heard: unknown"
        );
        assert!(found[0].details[0].contains(r#""id":"X""#), "{found:?}");
        let closed = agent_findings(&notes, &closed(), &received, &remap);
        assert!(closed.iter().all(|f| f.verdict == Verdict::Fail) && closed.len() == 3);
    }

    #[test]
    fn each_session_pairs_with_what_its_recorded_counterpart_received() {
        // The recording's first session stopped listening (its last long-poll abandoned) while
        // a second one of the same actor went on; in the replay both hear the second login.
        let on = |session: &str, data: Value| RecordedNote {
            session: Some(session.into()),
            ..recorded(data)
        };
        let (one, two) = (Some("one".to_owned()), Some("two".to_owned()));
        let notes = [
            on("one", state("A", "Invited", "Ann")),
            on("two", state("B", "Invited", "Bob")),
        ];
        let arrivals = [
            (one.clone(), state("X", "Invited", "Ann")),
            (one.clone(), state("Y", "Invited", "Bob")),
            (two.clone(), state("Y", "Invited", "Bob")),
        ];
        let (received, remap) = replay_sessions(&notes, &arrivals);
        let matched: Vec<_> = received.iter().map(|r| r.matched).collect();
        assert_eq!(
            matched,
            [Some(0), None, Some(1)],
            "not the other session's note"
        );
        let found = agent_findings(&notes, &HashSet::from([one]), &received, &remap);
        let checks: Vec<(&str, Verdict)> = found
            .iter()
            .map(|f| (f.check.as_str(), f.verdict))
            .collect();
        assert_eq!(checks, [("replay.unrecorded", Verdict::Info)]);
        let found = agent_findings(&notes, &HashSet::from([two]), &received, &remap);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].check, "replay.unexpected");
    }

    #[test]
    fn sessions_are_not_ordered_against_each_other() {
        let on = |session: &str, data: Value| RecordedNote {
            session: Some(session.into()),
            ..recorded(data)
        };
        let notes = [
            on("one", channel_state("NotReady")),
            on("two", channel_state("Ready")),
        ];
        let arrivals = [
            (Some("two".to_owned()), channel_state("Ready")),
            (Some("one".to_owned()), channel_state("NotReady")),
        ];
        let (received, remap) = replay_sessions(&notes, &arrivals);
        assert_eq!(agent_findings(&notes, &closed(), &received, &remap), []);
    }

    #[test]
    fn findings_are_capped_per_kind() {
        let notes: Vec<RecordedNote> = (0..15)
            .map(|i| recorded(state(&format!("C{i}"), "Invited", "Ann")))
            .collect();
        let found = findings(
            "agent",
            &Sources::default(),
            &notes,
            (&[], &Leeway::default()),
            &closed(),
            &[],
            PartyRemaps::new(1, Remap::default()).party(0),
        );
        assert_eq!(found.len(), SHOWN + 1);
        assert_eq!(
            found[SHOWN].finding.message,
            "agent: 5 more missing notifications not shown"
        );
    }

    /// The checks of `found` and the replayed `seq`s each points at.
    fn pointed(found: &[Located]) -> Vec<(&str, Vec<u64>)> {
        found
            .iter()
            .map(|located| {
                let seqs = located.notifications.iter().map(|r| r.seq).collect();
                (located.finding.check.as_str(), seqs)
            })
            .collect()
    }

    #[test]
    fn findings_point_at_the_replayed_notifications_they_are_about() {
        let notes = invited_chatting_completed();
        let changed = chatting_for_agents();
        let (received, remap) = replay(
            &notes,
            &[
                changed,
                state("X", "Invited", "Ann"),
                json!({"messageType": "MessageLogUpdated", "chatUri": "http://h/api/v2/chats/X"}),
            ],
        );
        let found = located_findings(&notes, &closed(), &received, (&remap, &Leeway::default()));
        assert_eq!(
            pointed(&found),
            [
                ("replay.notification", vec![0]),
                ("replay.order", vec![1, 0]),
                ("replay.missing", vec![]),
                ("replay.unexpected", vec![2]),
            ],
            "the missing one is recorded: no replayed seq names it"
        );
        assert!(
            found
                .iter()
                .flat_map(|l| &l.notifications)
                .all(|r| r.actor == "agent")
        );
    }

    #[test]
    fn findings_not_shown_still_point_at_their_notifications() {
        let arrivals: Vec<Value> = (0..SHOWN + 2)
            .map(|i| state(&format!("C{i}"), "Invited", "Ann"))
            .collect();
        let (received, remap) = replay(&[], &arrivals);
        let found = located_findings(&[], &closed(), &received, (&remap, &Leeway::default()));
        assert_eq!(found.len(), SHOWN + 1);
        assert_eq!(pointed(&found[..1]), [("replay.unexpected", vec![0])]);
        let last = SHOWN as u64;
        assert_eq!(
            pointed(&found[SHOWN..]),
            [("replay.unexpected", vec![last, last + 1])]
        );
    }

    #[test]
    fn further_log_entries_share_the_seq_of_the_notification_they_came_in() {
        let log = |text: &str| {
            json!({"messageType": "MessageLogUpdated", "chatUri": "http://h/api/v2/chats/X",
                   "messages": [{"text": text}]})
        };
        let mut matcher = Matcher::new(0, &[], Leeway::default());
        let (mut remap, mut store) = (PartyRemaps::new(1, Remap::default()), Store::new());
        let batch = Arc::new(json!({"messageType": "MessageLogUpdated", "messages": []}));
        let whole = Arc::new(log("a"));
        let arrivals = [
            (whole.clone(), Some(whole)),
            (Arc::new(log("b")), Some(batch)),
            (Arc::new(log("c")), None),
            (Arc::new(log("d")), None),
        ];
        for arrival in arrivals {
            matcher.offer(
                &[],
                &None,
                "/v2/me/chats".into(),
                arrival,
                (&mut remap, &mut store),
            );
        }
        assert_eq!(replayed_seqs(&matcher.take_received()), [0, 1, 1, 1]);
        assert_eq!(replayed_seqs(&[]), Vec::<u64>::new());
    }

    #[test]
    fn each_recorded_notification_links_to_the_replayed_one_it_paired_with() {
        let notes = [
            recorded(state("A", "Invited", "Ann")),
            recorded(state("B", "Invited", "Bob")),
            recorded(state("A", "Completed", "Ann")),
        ];
        let (received, _) = replay(
            &notes,
            &[
                state("Y", "Invited", "Bob"),
                json!({"messageType": "MessageLogUpdated", "chatUri": "http://h/api/v2/chats/Y"}),
                state("X", "Invited", "Ann"),
            ],
        );
        assert_eq!(
            recorded_counterparts(&received, notes.len()),
            [Some(2), Some(0), None],
            "by the replayed seq; the one not received has none"
        );
        assert_eq!(recorded_counterparts(&[], 2), [None, None]);
    }
}
