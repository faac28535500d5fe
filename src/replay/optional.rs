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
//!
//! The replay does not wait for an optional recorded notification (`causality`), pairs one only
//! with a received notification that says the same (`compare`), and reports one on one side
//! only at INFO.

use std::collections::HashMap;

use serde_json::Value;

use super::footprint::{Footprint, classified};
use super::script::{Action, GroupPlan, RecordedNote, RequestBody, Step};
use crate::check::json::chat_key;

/// The operation a focus notice answers.
const SET_IN_FOCUS: &str = "SetInFocus";

/// The `messageType` of notifications that show a chat's state and properties (as the
/// `kind` of a recorded notification spells it).
const STATE_CHANGE: &str = "|ChatStateChangeMessage|";

/// Why a notification may be on one side only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Optional {
    /// A PropertiesUpdated that SetInFocus may send (`choice-set-in-focus`).
    FocusNotice,
}

impl Optional {
    /// The ruling that allows it, for the reports.
    pub fn ruling(self) -> &'static str {
        match self {
            Optional::FocusNotice => "choice-set-in-focus",
        }
    }
}

/// The `operationName` a step sends, if it sends one.
pub fn operation(step: &Step) -> Option<String> {
    let Action::Http {
        body: Some(RequestBody::Json(body)),
        ..
    } = &step.action
    else {
        return None;
    };
    Some(body.parse().get("operationName")?.as_str()?.to_owned())
}

/// A chat's `userData` and `comment`, as a notification shows them.
type Properties = (Option<Value>, Option<Value>);

/// What each chat (per CometD session) showed last: its `userData` and `comment`, to tell a
/// PropertiesUpdated that reports no change.
#[derive(Debug, Default)]
pub struct ChatStates {
    shown: HashMap<(Option<String>, String), Properties>,
}

impl ChatStates {
    /// Takes in the next notification on `session`; returns whether it is a PropertiesUpdated
    /// that shows its chat as the last notification about it on that session did.
    pub fn unchanged(&mut self, session: &Option<String>, data: &Value) -> bool {
        let (Some(chat), Some(key)) = (data.get("chat"), chat_key(data)) else {
            return false;
        };
        let shown = (chat.get("userData").cloned(), chat.get("comment").cloned());
        let before = self.shown.insert((session.clone(), key), shown.clone());
        data.get("notificationType").and_then(Value::as_str) == Some("PropertiesUpdated")
            && before == Some(shown)
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
}

impl Leeway {
    /// Finds every actor's optional recorded notifications in `group` (see the module doc), in
    /// actor order.
    pub fn all(group: &GroupPlan) -> Vec<Self> {
        let none = |notes: &[RecordedNote]| Self {
            recorded: vec![None; notes.len()],
            focus_sent: false,
        };
        let sent: Vec<usize> = (0..group.steps.len())
            .filter(|&s| operation(&group.steps[s]).as_deref() == Some(SET_IN_FOCUS))
            .collect();
        if sent.is_empty() {
            return group.actors.iter().map(|a| none(&a.notes)).collect();
        }
        // The chat and start of every SetInFocus sent, the chat as footprints number it: a
        // party's notifications may name it by another id than the sender's URL (`choice-ids`).
        let (footprints, chats) = classified(group);
        let focus: Vec<(usize, i64)> = sent
            .iter()
            .filter_map(|&s| match footprints[s] {
                Footprint::Chat { class, .. } => Some((class, group.steps[s].start_us)),
                Footprint::Global => None,
            })
            .collect();
        group
            .actors
            .iter()
            .map(|actor| {
                let mut states = ChatStates::default();
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
                        let chat = chats.staff(note.chat.as_deref()?)?;
                        let focused = focus
                            .iter()
                            .any(|&(class, start)| class == chat && start <= note.arrival_us);
                        (unchanged && focused).then_some(Optional::FocusNotice)
                    })
                    .collect();
                Self {
                    recorded,
                    focus_sent: true,
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
        }
    }

    /// Why recorded notification `index` may be left out, if it may: else the replay waits
    /// for it, and its absence is a difference.
    pub fn optional(&self, index: usize) -> Option<Optional> {
        self.recorded.get(index).copied().flatten()
    }

    /// Why the notification received next on `session` (`states`: what that actor received
    /// before it) may be on the target's side only, if it may.
    pub fn received(
        &self,
        states: &mut ChatStates,
        session: &Option<String>,
        data: &Value,
    ) -> Option<Optional> {
        let unchanged = states.unchanged(session, data);
        (unchanged && self.focus_sent).then_some(Optional::FocusNotice)
    }
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
        let mut states = ChatStates::default();
        assert!(!states.unchanged(&None, &joined()));
        assert!(states.unchanged(&None, &properties(json!({"Account": "4711"}))));
    }

    #[test]
    fn a_properties_update_that_changes_user_data_is_not() {
        let mut states = ChatStates::default();
        states.unchanged(&None, &joined());
        let changed = properties(json!({"Account": "4711", "DispositionCode": "Resolved"}));
        assert!(!states.unchanged(&None, &changed));
        // Nor is the first one seen of a chat: there is nothing to compare it with.
        assert!(!ChatStates::default().unchanged(&None, &changed));
    }

    #[test]
    fn chats_and_sessions_are_told_apart() {
        let mut states = ChatStates::default();
        states.unchanged(&Some("s1".into()), &joined());
        assert!(!states.unchanged(&Some("s2".into()), &properties(json!({"Account": "4711"}))));
    }

    #[test]
    fn a_focus_notice_is_received_only_where_set_in_focus_was_sent() {
        let focus = Leeway {
            recorded: Vec::new(),
            focus_sent: true,
        };
        let mut states = ChatStates::default();
        assert_eq!(focus.received(&mut states, &None, &joined()), None);
        let same = properties(json!({"Account": "4711"}));
        assert_eq!(
            focus.received(&mut states, &None, &same),
            Some(Optional::FocusNotice)
        );
        let mut states = ChatStates::default();
        let unfocused = Leeway::default();
        unfocused.received(&mut states, &None, &joined());
        assert_eq!(unfocused.received(&mut states, &None, &same), None);
    }
}
