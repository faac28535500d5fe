//! Notifications the documents let a server send or leave out (docs/rulings.md, "Choices the
//! documents leave open"): found in the recording at planning, and among what the target sent
//! at the comparison, so that one on one side only is no difference.
//!
//! - **A focus notice** (`choice-set-in-focus`): SetInFocus may notify the chat's members with a
//!   PropertiesUpdated, or not. A focus notice is a PropertiesUpdated that reports no change
//!   (its `userData` and `comment` are those of the last notification showing the chat on the
//!   same session) in a chat where SetInFocus was sent: any other change of properties sends a
//!   changed chat, so a PropertiesUpdated that changes something, or one in a chat where
//!   nobody sent SetInFocus, is still compared.
//! - **An initial readiness notice** (`choice-initial-readiness`): StartContactCenterSession
//!   may leave the agent or supervisor Ready or NotReady, and report it with a
//!   ChannelStateChangeMessageV2; the actor's first Ready or NotReady request then changes the
//!   state, and is reported, or changes nothing, and is not. So between two logouts (a
//!   `LoggedOut` report), the Ready and NotReady reports up to the first of the state that
//!   request asked for are initial notices (without such a request, the first report only).
//!   Every later report is compared. Each CometD session has the reports of the stretches it
//!   lived through, from the one it began in.
//!
//! - **A join snapshot** (`choice-join-delivery`): an agent's participants list that a later
//!   one only extends with those who joined on its Accept ([`super::join_delivery`]). A
//!   received one is told when the notification that shows it was one comes; until then, one
//!   that could be one and shows fewer participants than the recorded list it would pair with
//!   is left unpaired ([`Matcher`](super::compare::Matcher)).
//!
//! The replay does not wait for an optional recorded notification (`causality`), pairs one only
//! with a received notification that says the same (`compare`), and reports one on one side
//! only at INFO.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use super::footprint::Footprint;
use super::join_delivery::{Delivery, Note, PARTICIPANTS_UPDATED, Shown, deliveries};
use super::script::{GroupPlan, LOG_KIND, RecordedNote};
use super::switch_log::switch_entries;
use super::timeline::Timeline;
use crate::check::json::chat_key;

/// A recorded CometD session (its `clientId`), as the notes name it.
type Session = Option<Arc<str>>;

/// A stretch of the recording: after one time (from the start, if `None`) and before another
/// (to the end, if `None`), microseconds since the epoch.
pub type Slot = (Option<i64>, Option<i64>);

/// The operation a focus notice answers.
const SET_IN_FOCUS: &str = "SetInFocus";

/// The `messageType` of notifications that report an agent's state on its channels.
const CHANNEL_STATE: &str = "ChannelStateChangeMessageV2";

/// The `messageType` of notifications that show a chat's state and properties (as the
/// `kind` of a recorded notification spells it).
const STATE_CHANGE: &str = "|ChatStateChangeMessage|";

/// Why a notification may be on one side only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Optional {
    /// A PropertiesUpdated that SetInFocus may send (`choice-set-in-focus`).
    FocusNotice,
    /// A ChannelStateChangeMessageV2 that StartContactCenterSession may send
    /// (`choice-initial-readiness`).
    InitialReadiness,
    /// A participants list that a later one extends with those who joined on an Accept
    /// (`choice-join-delivery`).
    JoinSnapshot,
    /// The log entry of a mode switch (`choice-switch-log`): it may also say anything.
    SwitchEntry,
}

impl Optional {
    /// The ruling that allows it, for the reports.
    pub fn ruling(self) -> &'static str {
        match self {
            Optional::FocusNotice => "choice-set-in-focus",
            Optional::InitialReadiness => "choice-initial-readiness",
            Optional::JoinSnapshot => "choice-join-delivery",
            Optional::SwitchEntry => "choice-switch-log",
        }
    }
}

/// A chat's `userData` and `comment`, as a notification shows them.
type Properties = (Option<Value>, Option<Value>);

/// What an actor was shown so far, to tell its optional notifications as they come: what
/// each chat (per CometD session) showed last, to tell a PropertiesUpdated that reports no
/// change; and where each session is among the stretches between logouts.
#[derive(Debug, Default)]
pub struct Seen {
    shown: HashMap<(Session, String), Properties>,
    /// Per session: its stretch, and the state the stretch's first Ready or NotReady request
    /// asks for until it is reported (`None`: the stretch's notices are over; `Some(None)`: no
    /// request, only its first report is one).
    stretches: HashMap<Session, (usize, Option<Option<String>>)>,
}

impl Seen {
    /// Takes in the next notification on `session`; returns whether it is a PropertiesUpdated
    /// that shows its chat as the last notification about it on that session did.
    pub fn unchanged(&mut self, session: &Session, data: &Value) -> bool {
        let (Some(chat), Some(key)) = (data.get("chat"), chat_key(data)) else {
            return false;
        };
        let shown = (chat.get("userData").cloned(), chat.get("comment").cloned());
        let before = self.shown.insert((session.clone(), key), shown.clone());
        data.get("notificationType").and_then(Value::as_str) == Some("PropertiesUpdated")
            && before == Some(shown)
    }

    /// Takes in the next channel state report on `session`; returns whether it is an initial
    /// readiness notice (see the module doc), given the state the actor's first Ready or
    /// NotReady request asked for in each stretch between logouts and the stretch each session
    /// began in.
    fn initial_readiness(
        &mut self,
        session: &Session,
        data: &Value,
        (requested, began): (&[Option<String>], &HashMap<Session, usize>),
    ) -> bool {
        // A stretch the recording does not have (more logouts than it made) has no notices.
        let awaited = |stretch: usize| requested.get(stretch).cloned();
        let (stretch, first) = self.stretches.entry(session.clone()).or_insert_with(|| {
            let stretch = began.get(session).copied().unwrap_or_default();
            (stretch, awaited(stretch))
        });
        match (reported_state(data), &*first) {
            (Some("LoggedOut"), _) => {
                *stretch += 1;
                *first = awaited(*stretch);
                false
            }
            (Some(state @ ("Ready" | "NotReady")), Some(asked)) => {
                if asked.as_deref().is_none_or(|asked| asked == state) {
                    *first = None;
                }
                true
            }
            _ => false,
        }
    }
}

/// The optional notifications of one actor: which of its recorded ones are, and how to tell a
/// received one.
#[derive(Debug, Clone, Default)]
pub struct Leeway {
    /// Per recorded notification, why it may be left out, if it may.
    pub recorded: Vec<Option<Optional>>,
    /// Whether anyone in the group sent SetInFocus in the recording.
    focus_sent: bool,
    /// The state the actor's first Ready or NotReady request asked for, per stretch between
    /// logouts, in the recording (the replay sends the same).
    first_requests: Vec<Option<String>>,
    /// The stretch each recorded CometD session began in (the replay's stands for it).
    began: HashMap<Session, usize>,
    /// Per recorded notification, whether it is part of a join on an Accept shown on its own
    /// (a [`Delivery`] other than plain).
    joined: Vec<bool>,
    /// The recording's timeline of requests about each chat (none in tests that need none).
    timeline: Option<Arc<Timeline>>,
}

impl Leeway {
    /// Finds every actor's optional recorded notifications in `group`, whose recording's
    /// requests `timeline` tells (see the module doc), in actor order.
    pub fn all(group: &GroupPlan, timeline: &Arc<Timeline>) -> Vec<Self> {
        let mut all = Self::focus_notices(group, timeline);
        let switches = switch_entries(group, timeline);
        for (actor_index, (leeway, actor)) in all.iter_mut().zip(&group.actors).enumerate() {
            let (requested, logouts) = first_requests(group, &actor.steps);
            leeway.first_requests = requested;
            // A session began in the stretch of its first notification.
            for note in &actor.notes {
                let stretch = logouts.partition_point(|&at| at < note.arrival_us);
                leeway.began.entry(note.session.clone()).or_insert(stretch);
            }
            let mut seen = Seen::default();
            let stretches = (&leeway.first_requests[..], &leeway.began);
            for (class, note) in leeway.recorded.iter_mut().zip(&actor.notes) {
                // Only channel states are read.
                if note.kind.contains(CHANNEL_STATE)
                    && seen.initial_readiness(&note.session, &note.data.parse(), stretches)
                {
                    *class = Some(Optional::InitialReadiness);
                }
            }
            let delivered =
                deliveries(actor.notes.iter().map(|note| delivery_note(note, timeline)));
            for (class, delivery) in leeway.recorded.iter_mut().zip(&delivered) {
                if *delivery == Delivery::Snapshot {
                    class.get_or_insert(Optional::JoinSnapshot);
                }
            }
            leeway.joined = delivered.iter().map(|d| *d != Delivery::Plain).collect();
            for (class, switch) in leeway.recorded.iter_mut().zip(&switches[actor_index]) {
                if *switch {
                    class.get_or_insert(Optional::SwitchEntry);
                }
            }
            leeway.timeline = Some(timeline.clone());
        }
        all
    }

    /// Every actor's focus notices (see the module doc), in actor order.
    fn focus_notices(group: &GroupPlan, timeline: &Timeline) -> Vec<Self> {
        let none = |notes: &[RecordedNote]| Self {
            recorded: vec![None; notes.len()],
            ..Self::default()
        };
        let sent: Vec<usize> = (0..group.steps.len())
            .filter(|&s| group.steps[s].action.operation().as_deref() == Some(SET_IN_FOCUS))
            .collect();
        if sent.is_empty() {
            return group.actors.iter().map(|a| none(&a.notes)).collect();
        }
        // The chat and start of every SetInFocus sent, the chat as footprints number it: a
        // party's notifications may name it by another id than the sender's URL (`choice-ids`).
        let focus: Vec<(usize, i64)> = sent
            .iter()
            .filter_map(|&s| match timeline.footprint(s) {
                Footprint::Chat { class, .. } => Some((class, group.steps[s].start_us)),
                Footprint::Global => None,
            })
            .collect();
        group
            .actors
            .iter()
            .map(|actor| {
                let mut states = Seen::default();
                let recorded = actor
                    .notes
                    .iter()
                    .map(|note| {
                        // Only chat state changes show a chat's properties: the rest need not
                        // be read.
                        if !note.kind.contains(STATE_CHANGE) {
                            return None;
                        }
                        let unchanged = states.unchanged(&note.session, &note.data.parse());
                        let chat = timeline.chat(note.chat.as_deref()?)?;
                        let focused = focus
                            .iter()
                            .any(|&(class, start)| class == chat && start <= note.arrival_us);
                        (unchanged && focused).then_some(Optional::FocusNotice)
                    })
                    .collect();
                Self {
                    recorded,
                    focus_sent: true,
                    ..Self::default()
                }
            })
            .collect()
    }

    /// A leeway with these optional recorded notifications, in a group where SetInFocus was
    /// sent.
    #[cfg(test)]
    pub(crate) fn focused(recorded: Vec<Option<Optional>>) -> Self {
        Self {
            recorded,
            focus_sent: true,
            ..Self::default()
        }
    }

    /// A leeway with these optional recorded notifications, of which `joined` are part of a
    /// join on an Accept shown on its own.
    #[cfg(test)]
    pub(crate) fn delivered(recorded: Vec<Option<Optional>>, joined: Vec<bool>) -> Self {
        Self {
            recorded,
            joined,
            ..Self::default()
        }
    }

    /// A leeway with these optional recorded notifications, for an actor whose first Ready or
    /// NotReady request asked for `first` (one CometD session, no logout).
    #[cfg(test)]
    pub(crate) fn requesting(recorded: Vec<Option<Optional>>, first: &str) -> Self {
        Self {
            recorded,
            first_requests: vec![Some(first.to_owned())],
            ..Self::default()
        }
    }

    /// Whether recorded notification `index` is part of a join on an Accept shown on its own
    /// (a [`Delivery`] other than plain): a server that shows the join in the Accept's
    /// notifications sends them with the Accept's `referenceId`.
    pub fn joined(&self, index: usize) -> bool {
        self.joined.get(index).copied().unwrap_or(false)
    }

    /// Whether a mode switch about `chat` (as this actor's recorded notes name it) began in
    /// `slot` of the recording ([`Timeline::switched_between`]).
    pub fn switched_between(&self, chat: Option<&str>, (after, until): Slot) -> bool {
        let timeline = self.timeline.as_deref();
        timeline.is_some_and(|t| t.switched_between(chat, after, until))
    }

    /// Why recorded notification `index` may be left out, if it may: else the replay waits
    /// for it, and its absence is a difference.
    pub fn optional(&self, index: usize) -> Option<Optional> {
        self.recorded.get(index).copied().flatten()
    }

    /// Why the notification received next on `session` (`seen`: what that actor was shown
    /// before it) may be on the target's side only, if it may.
    pub fn received(&self, seen: &mut Seen, session: &Session, data: &Value) -> Option<Optional> {
        if is_channel_state(data) {
            let stretches = (&self.first_requests[..], &self.began);
            return seen
                .initial_readiness(session, data, stretches)
                .then_some(Optional::InitialReadiness);
        }
        // What each chat showed is kept only where a focus notice can be: a long group has
        // thousands of chats.
        (self.focus_sent && seen.unchanged(session, data)).then_some(Optional::FocusNotice)
    }
}

/// `note` as the join delivery rule reads it ([`Note`]).
fn delivery_note(note: &RecordedNote, timeline: &Timeline) -> Note {
    // Only participants lists are read: the kind tells the rest.
    let shown = if note.kind.ends_with(PARTICIPANTS_UPDATED) {
        Shown::of(note.data.parse())
    } else if note.kind.contains(LOG_KIND) {
        Shown::Log
    } else {
        Shown::Other
    };
    Note {
        session: note.session.clone(),
        chat: note.chat.clone(),
        shown,
        requests: timeline.begun(note.chat.as_deref(), note.arrival_us),
    }
}

/// The state the first successful Ready or NotReady request of `steps` asked for, per
/// stretch between logouts (EndContactCenterSession), and when each logout started.
fn first_requests(group: &GroupPlan, steps: &[usize]) -> (Vec<Option<String>>, Vec<i64>) {
    let (mut stretches, mut logouts) = (vec![None], Vec::new());
    for &index in steps {
        let step = &group.steps[index];
        if step.recorded.successful == Some(false) || !(200..300).contains(&step.recorded.status) {
            continue;
        }
        let operation = step.action.operation();
        match operation.as_deref() {
            Some("Ready" | "NotReady") => {
                if let Some(first @ None) = stretches.last_mut() {
                    *first = operation;
                }
            }
            Some("EndContactCenterSession") => {
                stretches.push(None);
                logouts.push(step.start_us);
            }
            _ => {}
        }
    }
    (stretches, logouts)
}

/// Where a ChannelStateChangeMessageV2 says the state it reports.
const STATE_POINTER: &str = "/channels/0/userState/state";

/// Whether `data` is a ChannelStateChangeMessageV2.
pub fn is_channel_state(data: &Value) -> bool {
    data.get("messageType").and_then(Value::as_str) == Some(CHANNEL_STATE)
}

/// The state a ChannelStateChangeMessageV2 reports.
fn reported_state(data: &Value) -> Option<&str> {
    if !is_channel_state(data) {
        return None;
    }
    data.pointer(STATE_POINTER)?.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn properties(user_data: Value) -> Value {
        json!({"messageType": "ChatStateChangeMessage", "notificationType": "PropertiesUpdated",
               "chat": {"id": "C1", "state": "Chatting", "userData": user_data}})
    }

    fn joined() -> Value {
        json!({"messageType": "ChatStateChangeMessage", "notificationType": "StatusChange",
               "chat": {"id": "C1", "state": "Chatting", "userData": {"Account": "4711"}}})
    }

    #[test]
    fn a_properties_update_that_changes_nothing_is_unchanged() {
        let mut states = Seen::default();
        assert!(!states.unchanged(&None, &joined()));
        assert!(states.unchanged(&None, &properties(json!({"Account": "4711"}))));
    }

    #[test]
    fn a_properties_update_that_changes_user_data_is_not() {
        let mut states = Seen::default();
        states.unchanged(&None, &joined());
        let changed = properties(json!({"Account": "4711", "DispositionCode": "Resolved"}));
        assert!(!states.unchanged(&None, &changed));
        // Nor is the first one seen of a chat: there is nothing to compare it with.
        assert!(!Seen::default().unchanged(&None, &changed));
    }

    #[test]
    fn chats_and_sessions_are_told_apart() {
        let mut states = Seen::default();
        states.unchanged(&Some("s1".into()), &joined());
        assert!(!states.unchanged(&Some("s2".into()), &properties(json!({"Account": "4711"}))));
    }

    #[test]
    fn a_focus_notice_is_received_only_where_set_in_focus_was_sent() {
        let focus = Leeway::focused(Vec::new());
        let mut states = Seen::default();
        assert_eq!(focus.received(&mut states, &None, &joined()), None);
        let same = properties(json!({"Account": "4711"}));
        assert_eq!(
            focus.received(&mut states, &None, &same),
            Some(Optional::FocusNotice)
        );
        let mut states = Seen::default();
        let unfocused = Leeway::default();
        unfocused.received(&mut states, &None, &joined());
        assert_eq!(unfocused.received(&mut states, &None, &same), None);
    }

    /// Channel state reports, in arrival order.
    fn reports(states: &[&str]) -> Vec<Value> {
        let report = |state: &str| {
            json!({"messageType": CHANNEL_STATE,
                   "channels": [{"channel": "chat", "userState": {"state": state}}]})
        };
        states.iter().map(|s| report(s)).collect()
    }

    /// Which of `notes` (on the sessions named, that began in the stretches of `began`) are
    /// initial readiness notices.
    fn initial_on(
        notes: &[(Session, Value)],
        requested: &[Option<String>],
        began: &HashMap<Session, usize>,
    ) -> Vec<bool> {
        let mut seen = Seen::default();
        let notes = notes.iter();
        notes
            .map(|(session, data)| seen.initial_readiness(session, data, (requested, began)))
            .collect()
    }

    /// [`initial_on`] one session that began with the first stretch.
    fn initial_readiness(notes: Vec<Value>, requested: &[Option<String>]) -> Vec<bool> {
        let notes: Vec<_> = notes.into_iter().map(|n| (None, n)).collect();
        initial_on(&notes, requested, &HashMap::new())
    }

    #[test]
    fn a_session_begun_after_a_logout_has_the_notices_of_its_stretch() {
        let requested = [Some("NotReady".to_owned()), Some("NotReady".to_owned())];
        let (old, new): (Session, Session) = (Some("old".into()), Some("new".into()));
        let began = HashMap::from([(old.clone(), 0), (new.clone(), 1)]);
        let report = reports(&["Ready", "NotReady"]);
        let notes = [
            (old, report[0].clone()),
            (new.clone(), report[0].clone()),
            (new.clone(), report[1].clone()),
            (new, report[1].clone()),
        ];
        let initial = initial_on(&notes, &requested, &began);
        assert_eq!(initial, [true, true, true, false]);
    }

    #[test]
    fn reports_up_to_the_first_requested_state_are_initial_notices() {
        let not_ready = [Some("NotReady".to_owned())];
        // Started NotReady: the NotReady request changed nothing, Ready did.
        let started_not_ready = reports(&["NotReady", "Ready"]);
        assert_eq!(
            initial_readiness(started_not_ready, &not_ready),
            [true, false]
        );
        // Started Ready (agents-start-ready): the NotReady request was reported too.
        let started_ready = reports(&["Ready", "NotReady", "Ready", "LoggedOut"]);
        assert_eq!(
            initial_readiness(started_ready, &not_ready),
            [true, true, false, false]
        );
        // No request: only the first report is one.
        let unrequested = reports(&["Ready", "NotReady"]);
        assert_eq!(initial_readiness(unrequested, &[None]), [true, false]);
    }

    #[test]
    fn reports_after_the_initial_ones_still_count() {
        // A Ready no request asked for, after the NotReady requested: compared.
        let unasked = reports(&["NotReady", "Ready", "NotReady"]);
        let not_ready = [Some("NotReady".to_owned()), None];
        assert_eq!(initial_readiness(unasked, &not_ready), [true, false, false]);
        // Other notifications and states are never notices.
        let other = vec![
            json!({"messageType": "Other"}),
            json!({"chat": {"id": "C1"}}),
        ];
        assert_eq!(initial_readiness(other, &not_ready), [false, false]);
    }
}
