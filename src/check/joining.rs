//! What a party is shown when it joins a chat, checked on every chat of every scenario:
//!
//! | Check id | Requirement | Rule |
//! |---|---|---|
//! | `invariant.customer-listed` | `JOIN-PARTICIPANTS` | The first non-empty participants list an agent or supervisor is shown of a chat (in state `Chatting`) lists the customer, as the documented full lists do; unless it arrived after a customer was asked to leave. |
//! | `invariant.join-history` | `JOIN-HISTORY` | The MessageLogUpdated a supervisor receives on joining holds every earlier message of the chat: each message an agent in the chat had received before it saw the supervisor join is in that history, or came to the supervisor after it (a supervisor that joined unseen, in Monitor mode, receives messages live until a switch shows it to the agent, which a server may log as a join: docs/rulings.md `choice-switch-log`). |
//!
//! **Which chat is which.** Each party may have its own id for a chat (docs/rulings.md,
//! `choice-ids`), so a supervisor's chat and an agent's are matched by the customer they list
//! (its `participantId`). Messages are matched by type, author nickname and text, never by
//! index (indexes may start anywhere and skip, `choice-index`). Typing notifications are
//! moments, not history, so the history need not hold them.
//!
//! **After the customer leaves.** A list received once a customer's `Complete` was sent (by a
//! step, or by the clean-up: [`Joining::customer_leaves`]) may rightly lack it, so it is not
//! judged. Without this, a party that lost its earlier notifications would be blamed for the
//! customer's absence from the list that told it the customer left, a second failure the
//! missing notifications already explain.
//!
//! **Limits.** The history is checked where an agent sees the supervisor join (Coach and
//! BargeIn); a Monitor-mode supervisor is invisible to agents, so its history is only checked
//! by the scenarios' expectations.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::invariants::{ActorInfo, Role};
use super::json::chat_key;
use super::{Finding, Verdict};

/// The customer is among the participants a party is first shown.
pub const PARTICIPANTS_REQUIREMENT: &str = "JOIN-PARTICIPANTS";
/// A joining supervisor's history is complete.
pub const HISTORY_REQUIREMENT: &str = "JOIN-HISTORY";

/// A message as history compares it: type, author nickname, text.
type MessageKey = (String, String, String);

fn message_key(message: &Value) -> Option<MessageKey> {
    let text = |pointer: &str| {
        message
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let kind = message.get("type")?.as_str()?;
    Some((kind.to_owned(), text("/from/nickname"), text("/text")))
}

fn is_history(key: &MessageKey) -> bool {
    !matches!(key.0.as_str(), "TypingStarted" | "TypingStopped")
}

fn state(data: &Value) -> Option<&str> {
    data.pointer("/chat/state").and_then(Value::as_str)
}

fn ends_session(data: &Value) -> bool {
    matches!(state(data), Some("Revoked" | "Completed"))
}

/// The customer's participantId among a notification's participants.
fn customer_of(data: &Value) -> Option<String> {
    data.pointer("/chat/participants")?
        .as_array()?
        .iter()
        .find(|p| p.get("type").and_then(Value::as_str) == Some("Customer"))?
        .get("participantId")?
        .as_str()
        .map(str::to_owned)
}

/// One party's stay in one chat, as its notifications show it.
#[derive(Debug, Default)]
struct Stay {
    /// Whether a non-empty participants list has been shown yet.
    listed: bool,
    /// The customer this chat is with (correlates parties that name the chat differently).
    customer: Option<String>,
    /// Every message received, in order.
    messages: Vec<Value>,
    /// Whether a MessageLogUpdated has come (a supervisor's history on joining).
    logged: bool,
}

/// The checker; one per scenario run.
#[derive(Debug, Default)]
pub struct Joining {
    /// Every stay of every party, in the order they began: (party, chat id, stay).
    stays: Vec<(String, String, Stay)>,
    /// The index in `stays` of each party's current stay in each chat.
    current: HashMap<(String, String), usize>,
    /// When (ms from the scenario's start) a customer was first asked to leave its chat.
    customer_leaving_from: Option<u64>,
}

impl Joining {
    /// A checker that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    fn stay(&mut self, actor: &str, chat: &str) -> &mut Stay {
        let key = (actor.to_owned(), chat.to_owned());
        let index = match self.current.get(&key) {
            Some(index) => *index,
            None => {
                self.stays
                    .push((actor.to_owned(), chat.to_owned(), Stay::default()));
                self.current.insert(key, self.stays.len() - 1);
                self.stays.len() - 1
            }
        };
        &mut self.stays[index].2
    }

    /// Records that a customer was asked to leave its chat `at_ms` after the scenario's start:
    /// lists received from then on may rightly lack it. Which customer does not matter (parties
    /// name a chat differently, `choice-ids`): the rule then judges no list at all, which can
    /// miss a deviation but never invents one.
    pub fn customer_leaves(&mut self, at_ms: u64) {
        self.customer_leaving_from =
            Some(self.customer_leaving_from.map_or(at_ms, |t| t.min(at_ms)));
    }

    /// Checks notification `seq` that agent or supervisor `actor` received `at_ms` after the
    /// scenario's start (when known).
    pub fn observe(
        &mut self,
        actor: &ActorInfo,
        seq: u64,
        at_ms: Option<u64>,
        data: &Value,
    ) -> Option<Finding> {
        if actor.role == Role::Customer {
            return None;
        }
        let chat = chat_key(data)?;
        let customer_leaving = at_ms
            .zip(self.customer_leaving_from)
            .is_some_and(|(at, from)| at >= from);
        let mut finding = None;
        match data.get("messageType").and_then(Value::as_str) {
            Some("ChatStateChangeMessage") => {
                let participants = data.pointer("/chat/participants").and_then(Value::as_array);
                let shown = participants.is_some_and(|p| !p.is_empty());
                let customer = customer_of(data);
                let stay = self.stay(&actor.name, &chat);
                if stay.customer.is_none() {
                    stay.customer = customer.clone();
                }
                if shown && !stay.listed && state(data) == Some("Chatting") {
                    stay.listed = true;
                    if customer.is_none() && !customer_leaving {
                        finding = Some(Finding {
                            check: "invariant.customer-listed".to_owned(),
                            requirement: PARTICIPANTS_REQUIREMENT.to_owned(),
                            verdict: Verdict::Fail,
                            message: format!(
                                "notification #{seq} to {}: the first participants of chat {chat} it is shown do not list the customer",
                                actor.name
                            ),
                            details: vec![data.to_string()],
                        });
                    }
                }
                if ends_session(data) {
                    self.current.remove(&(actor.name.clone(), chat));
                }
            }
            Some("MessageLogUpdated") => {
                let messages = data.get("messages").and_then(Value::as_array)?.clone();
                let stay = self.stay(&actor.name, &chat);
                stay.logged = true;
                stay.messages.extend(messages);
            }
            _ => {}
        }
        finding
    }

    /// The supervisors' join histories, checked against what the agents had received.
    pub fn finish(&mut self, actors: &[ActorInfo]) -> Vec<Finding> {
        let role = |name: &str| actors.iter().find(|a| a.name == name).map(|a| a.role);
        let mut findings = Vec::new();
        for supervisor in actors.iter().filter(|a| a.role == Role::Supervisor) {
            let Some(user_id) = supervisor.user_id.as_deref() else {
                continue;
            };
            let joined_as = format!("/{user_id}");
            let histories: Vec<(&String, &Stay)> = self
                .stays
                .iter()
                .filter(|(actor, _, _)| *actor == supervisor.name)
                .map(|(_, chat, stay)| (chat, stay))
                .collect();
            for (agent, _, stay) in self
                .stays
                .iter()
                .filter(|(actor, _, _)| role(actor) == Some(Role::Agent))
            {
                let Some(customer) = &stay.customer else {
                    continue;
                };
                // Where this agent saw the supervisor join, and what it had received before.
                let Some(join) = stay.messages.iter().position(|m| {
                    m.get("type").and_then(Value::as_str) == Some("ParticipantJoined")
                        && m.pointer("/from/uri")
                            .and_then(Value::as_str)
                            .is_some_and(|uri| uri.ends_with(&joined_as))
                }) else {
                    continue;
                };
                let earlier: Vec<MessageKey> = stay.messages[..join]
                    .iter()
                    .filter_map(message_key)
                    .filter(is_history)
                    .collect();
                let candidates: Vec<(&String, HashSet<MessageKey>)> = histories
                    .iter()
                    .filter(|(_, s)| s.customer.as_ref() == Some(customer))
                    .filter(|(_, s)| s.logged)
                    .map(|(chat, s)| {
                        let received: HashSet<MessageKey> =
                            s.messages.iter().filter_map(message_key).collect();
                        (*chat, received)
                    })
                    .collect();
                if candidates.is_empty() {
                    continue; // the supervisor never got a history: the expectations say so
                }
                let missing_in = |history: &HashSet<MessageKey>| -> Vec<&MessageKey> {
                    earlier.iter().filter(|m| !history.contains(m)).collect()
                };
                let Some((chat, missing)) = candidates
                    .iter()
                    .map(|(chat, history)| (*chat, missing_in(history)))
                    .min_by_key(|(_, missing)| missing.len())
                else {
                    continue;
                };
                if missing.is_empty() {
                    continue;
                }
                findings.push(Finding {
                    check: "invariant.join-history".to_owned(),
                    requirement: HISTORY_REQUIREMENT.to_owned(),
                    verdict: Verdict::Fail,
                    message: format!(
                        "{}'s history on joining chat {chat} lacks {} earlier message(s) that {agent} had received",
                        supervisor.name,
                        missing.len()
                    ),
                    details: missing
                        .iter()
                        .map(|(kind, from, text)| format!("{kind} from {from}: {text:?}"))
                        .collect(),
                });
            }
        }
        findings
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn actor(name: &str, role: Role, id: &str) -> ActorInfo {
        ActorInfo {
            name: name.into(),
            role,
            user_id: Some(id.into()),
        }
    }

    fn participants(chat: &str, list: Value) -> Value {
        json!({"messageType": "ChatStateChangeMessage", "notificationType": "ParticipantsUpdated",
               "chat": {"id": chat, "state": "Chatting", "participants": list}})
    }

    fn customer() -> Value {
        json!({"nickname": "Chris", "type": "Customer", "participantId": "P-C"})
    }

    fn message(kind: &str, nickname: &str, text: Option<&str>, uri: Option<&str>) -> Value {
        let mut m = json!({"type": kind, "from": {"nickname": nickname}});
        if let Some(text) = text {
            m["text"] = json!(text);
        }
        if let Some(uri) = uri {
            m["from"]["uri"] = json!(uri);
        }
        m
    }

    fn log(chat: &str, messages: Vec<Value>) -> Value {
        json!({"messageType": "MessageLogUpdated", "chatPath": format!("/chats/{chat}"), "messages": messages})
    }

    /// The agent's view: joined, the customer said hello, then the supervisor joined.
    fn agent_view(checker: &mut Joining, agent: &ActorInfo) {
        checker.observe(agent, 1, None, &participants("A1", json!([customer()])));
        checker.observe(
            agent,
            2,
            None,
            &log(
                "A1",
                vec![
                    message("ParticipantJoined", "Chris", None, None),
                    message("TypingStarted", "Chris", None, None),
                    message("Text", "Chris", Some("hello"), None),
                ],
            ),
        );
        checker.observe(
            agent,
            3,
            None,
            &log(
                "A1",
                vec![message(
                    "ParticipantJoined",
                    "Sam",
                    None,
                    Some("http://h/api/v2/users/s1"),
                )],
            ),
        );
    }

    #[test]
    fn a_complete_history_under_another_chat_id_passes() {
        let (agent, sup) = (
            actor("agent", Role::Agent, "a1"),
            actor("sup", Role::Supervisor, "s1"),
        );
        let mut checker = Joining::new();
        agent_view(&mut checker, &agent);
        assert!(
            checker
                .observe(&sup, 1, None, &participants("S9", json!([customer()])))
                .is_none()
        );
        checker.observe(
            &sup,
            2,
            None,
            &log(
                "S9",
                vec![
                    message("ParticipantJoined", "Chris", None, None),
                    message("Text", "Chris", Some("hello"), None),
                    message("ParticipantJoined", "Sam", None, None),
                ],
            ),
        );
        assert!(checker.finish(&[agent, sup]).is_empty());
    }

    #[test]
    fn messages_a_supervisor_received_live_before_an_agent_saw_it_are_not_missing() {
        // Joined unseen (Monitor mode) with the customer's join in its history, then received
        // "hello" live; the agent sees it only at a switch, logged as a join.
        let (agent, sup) = (
            actor("agent", Role::Agent, "a1"),
            actor("sup", Role::Supervisor, "s1"),
        );
        let mut checker = Joining::new();
        checker.observe(&sup, 1, None, &participants("S9", json!([customer()])));
        let history = vec![message("ParticipantJoined", "Chris", None, None)];
        checker.observe(&sup, 2, None, &log("S9", history));
        let live = vec![message("Text", "Chris", Some("hello"), None)];
        checker.observe(&sup, 3, None, &log("S9", live));
        agent_view(&mut checker, &agent);
        assert!(checker.finish(&[agent, sup]).is_empty());
    }

    #[test]
    fn a_history_cut_short_fails_naming_what_it_lacks() {
        let (agent, sup) = (
            actor("agent", Role::Agent, "a1"),
            actor("sup", Role::Supervisor, "s1"),
        );
        let mut checker = Joining::new();
        agent_view(&mut checker, &agent);
        checker.observe(&sup, 1, None, &participants("S9", json!([customer()])));
        checker.observe(
            &sup,
            2,
            None,
            &log("S9", vec![message("Text", "Chris", Some("hello"), None)]),
        );
        let findings = checker.finish(&[agent, sup]);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].requirement, HISTORY_REQUIREMENT);
        assert_eq!(findings[0].details, ["ParticipantJoined from Chris: \"\""]);
    }

    #[test]
    fn the_first_participants_must_list_the_customer() {
        let sup = actor("sup", Role::Supervisor, "s1");
        let mut checker = Joining::new();
        let accept = json!({"messageType": "ChatStateChangeMessage", "notificationType": "StatusChange",
            "chat": {"id": "C", "state": "Chatting", "participants": []}});
        assert!(
            checker.observe(&sup, 1, None, &accept).is_none(),
            "an empty list is the documented Accept"
        );
        let without = participants("C", json!([{"nickname": "Ann", "type": "Agent"}]));
        let found = checker.observe(&sup, 2, None, &without).expect("a finding");
        assert_eq!(found.requirement, PARTICIPANTS_REQUIREMENT);
        // Only the first list of a stay counts: the customer may leave later.
        assert!(checker.observe(&sup, 3, None, &without).is_none());
        let mut checker = Joining::new();
        assert!(
            checker
                .observe(&sup, 1, None, &participants("C", json!([customer()])))
                .is_none()
        );
    }

    #[test]
    fn a_list_after_the_customer_was_asked_to_leave_is_not_judged() {
        let agent = actor("agent", Role::Agent, "a1");
        let without = participants("C", json!([{"nickname": "Ann", "type": "Agent"}]));
        let mut checker = Joining::new();
        checker.customer_leaves(500);
        checker.customer_leaves(900);
        assert!(
            checker.observe(&agent, 1, Some(500), &without).is_none(),
            "received once the customer was asked to leave"
        );
        let mut checker = Joining::new();
        checker.customer_leaves(500);
        let found = checker.observe(&agent, 1, Some(499), &without);
        assert_eq!(
            found.expect("received before: judged").requirement,
            PARTICIPANTS_REQUIREMENT
        );
    }

    #[test]
    fn malformed_notifications_are_left_to_the_schema() {
        let sup = actor("sup", Role::Supervisor, "s1");
        let mut checker = Joining::new();
        for weird in [
            json!(null),
            json!({"messageType": "MessageLogUpdated", "chatPath": "/chats/X", "messages": 3}),
            json!({"messageType": "ChatStateChangeMessage", "chat": {"id": 4}}),
        ] {
            assert!(checker.observe(&sup, 1, None, &weird).is_none());
        }
        assert!(checker.finish(&[sup]).is_empty());
    }
}
