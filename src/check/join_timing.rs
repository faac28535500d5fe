//! JOIN-ON-ACCEPT in time: "When an agent being monitored accepts a chat, the supervisor will
//! immediately be added to the chat" (the seed page, "Chat is started"). So nothing about a
//! chat reaches a monitoring supervisor before the agent has even sent its Accept; a
//! notification that arrived earlier was published earlier, whatever the network did since
//! (arrival and sending are read on the same clock, the scenario's).
//!
//! | Check id | Requirement | Rule |
//! |---|---|---|
//! | `invariant.join-on-accept` | `JOIN-ON-ACCEPT` | A supervisor's first notification about a chat arrives no earlier than the first successful Accept an agent sent for that chat. |
//!
//! Chats are linked across parties by their customer participant (each party may have its own
//! chat id for one interaction): the agent's chat whose notifications list customer participant
//! P, accepted at T, and the supervisor's chat listing P. A chat whose customer no notification
//! names, or whose Accept the run did not see, is not judged. The finding is located at every
//! notification the supervisor received about that chat, and at the agents' notifications
//! about it that show the supervisor (as a participant, or as the author of a log entry): what
//! follows from joining too early (a second join at the Accept, the supervisor shown to the
//! agent before it accepted) is a consequence, not another deviation. The same deviation is
//! also read from the log, whatever the timing ([`super::join_log`]).

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::json::chat_key;
use super::{Finding, Located, NotificationRef, Verdict};

/// The check id of its findings.
pub const CHECK_ID: &str = "invariant.join-on-accept";
/// The requirement they cite.
pub const REQUIREMENT: &str = "JOIN-ON-ACCEPT";

/// The checker; one per scenario run.
#[derive(Debug, Default)]
pub struct JoinTiming {
    /// Successful Accepts: the agent, its chat id, when the request was sent (ms).
    accepts: Vec<(String, String, u64)>,
    /// The customer participant id of each agent's chat, by (agent, chat id).
    customers: HashMap<(String, String), String>,
    /// What each supervisor received about each of its chats, by (supervisor, chat id).
    supervised: BTreeMap<(String, String), Supervised>,
    /// The supervisors' user ids (their participants' URIs end with them).
    supervisor_ids: HashMap<String, String>,
    /// What each agent was shown, notification by notification.
    shown: Vec<Shown>,
}

/// Who one agent notification shows: `(agent, seq, chat id)`, the URIs of the participants
/// it lists and of the authors of the log entries it carries.
#[derive(Debug)]
struct Shown {
    agent: String,
    seq: u64,
    chat: String,
    participants: Vec<String>,
    authors: Vec<String>,
}

/// One supervisor's notifications about one chat.
#[derive(Debug)]
struct Supervised {
    /// The earliest, as (arrival in ms, its number).
    first: (u64, u64),
    /// Every one's number.
    seqs: Vec<u64>,
    /// The customer participant id, once one lists it.
    customer: Option<String>,
}

impl JoinTiming {
    /// A checker that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Notes agent `agent`'s request to `url` sent at `sent_ms` with body `request`, answered
    /// with `response`: a successful Accept of the chat the URL names.
    pub fn exchange(
        &mut self,
        agent: &str,
        url: &str,
        request: Option<&Value>,
        response: &Value,
        sent_ms: u64,
    ) {
        let accepted = request
            .and_then(|r| r.get("operationName"))
            .and_then(Value::as_str)
            == Some("Accept")
            && response.get("statusCode").and_then(Value::as_u64) == Some(0);
        let chat = url
            .split_once("/api/v2/me/chats/")
            .map(|(_, rest)| rest.split(['/', '?']).next().unwrap_or_default())
            .filter(|id| !id.is_empty());
        if let (true, Some(chat)) = (accepted, chat) {
            self.accepts
                .push((agent.to_owned(), chat.to_owned(), sent_ms));
        }
    }

    /// Notes notification `seq` (`data`) that agent `agent` received.
    pub fn agent_notification(&mut self, agent: &str, seq: u64, data: &Value) {
        let Some(chat) = chat_key(data) else {
            return;
        };
        if let Some(customer) = customer_of(data) {
            self.customers
                .insert((agent.to_owned(), chat.clone()), customer);
        }
        self.shown.push(Shown {
            agent: agent.to_owned(),
            seq,
            chat,
            participants: uris(data.pointer("/chat/participants"), "/uri"),
            authors: uris(data.get("messages"), "/from/uri"),
        });
    }

    /// Notes notification `seq` (`data`) that supervisor `supervisor` (user id `user_id`, once
    /// known) received at `at_ms`.
    pub fn supervisor_notification(
        &mut self,
        supervisor: &str,
        user_id: Option<&str>,
        seq: u64,
        at_ms: u64,
        data: &Value,
    ) {
        let Some(chat) = chat_key(data) else {
            return;
        };
        if let Some(id) = user_id {
            self.supervisor_ids
                .insert(supervisor.to_owned(), id.to_owned());
        }
        let seen = self
            .supervised
            .entry((supervisor.to_owned(), chat))
            .or_insert(Supervised {
                first: (at_ms, seq),
                seqs: Vec::new(),
                customer: None,
            });
        seen.first = seen.first.min((at_ms, seq));
        seen.seqs.push(seq);
        if seen.customer.is_none() {
            seen.customer = customer_of(data);
        }
    }

    /// The supervisors' chats that reached them before their agent's Accept was sent.
    pub fn finish(&self) -> Vec<Located> {
        let mut accepted: HashMap<&str, u64> = HashMap::new();
        for (agent, chat, sent) in &self.accepts {
            if let Some(customer) = self.customers.get(&(agent.clone(), chat.clone())) {
                let at = accepted.entry(customer).or_insert(*sent);
                *at = (*at).min(*sent);
            }
        }
        self.supervised
            .iter()
            .filter_map(|((supervisor, chat), seen)| {
                let customer = seen.customer.as_deref()?;
                let accept = *accepted.get(customer)?;
                let (arrived, seq) = seen.first;
                (arrived < accept).then(|| Located {
                    finding: Finding {
                        check: CHECK_ID.to_owned(),
                        requirement: REQUIREMENT.to_owned(),
                        verdict: Verdict::Fail,
                        message: format!(
                            "notification #{seq} to {supervisor} about chat {chat} arrived {} ms before the agent sent its Accept: the supervisor was added before the agent accepted",
                            accept - arrived
                        ),
                        details: Vec::new(),
                    },
                    notifications: seen
                        .seqs
                        .iter()
                        .map(|seq| NotificationRef::whole(supervisor, *seq))
                        .chain(self.shown_to_agents(supervisor, customer))
                        .collect(),
                    responses: Vec::new(),
                })
            })
            .collect()
    }
}

impl JoinTiming {
    /// Where the agents' notifications about the chat of `customer` show `supervisor`: each
    /// participants list and each log naming it.
    fn shown_to_agents(&self, supervisor: &str, customer: &str) -> Vec<NotificationRef> {
        let Some(id) = self.supervisor_ids.get(supervisor) else {
            return Vec::new();
        };
        let suffix = format!("/{id}");
        let names = |uris: &[String]| uris.iter().any(|uri| uri.ends_with(&suffix));
        let at = |shown: &Shown, path: &str| NotificationRef {
            actor: shown.agent.clone(),
            seq: shown.seq,
            path: Some(path.to_owned()),
        };
        self.shown
            .iter()
            .filter(|shown| {
                self.customers
                    .get(&(shown.agent.clone(), shown.chat.clone()))
                    .is_some_and(|c| c == customer)
            })
            .flat_map(|shown| {
                let listed = names(&shown.participants).then(|| at(shown, "chat.participants"));
                let authored = names(&shown.authors).then(|| at(shown, "messages"));
                listed.into_iter().chain(authored)
            })
            .collect()
    }
}

/// The strings at `pointer` in each element of `list` (an array), if any.
fn uris(list: Option<&Value>, pointer: &str) -> Vec<String> {
    list.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|item| item.pointer(pointer).and_then(Value::as_str))
        .map(str::to_owned)
        .collect()
}

/// The customer participant's id a notification lists, if any.
fn customer_of(data: &Value) -> Option<String> {
    data.pointer("/chat/participants")?
        .as_array()?
        .iter()
        .find(|p| p.get("type").and_then(Value::as_str) == Some("Customer"))?
        .get("participantId")?
        .as_str()
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn chat(id: &str, customer: &str) -> Value {
        json!({"messageType": "ChatStateChangeMessage", "notificationType": "ParticipantsUpdated",
               "chat": {"id": id, "state": "Chatting", "participants": [
                   {"type": "Customer", "nickname": "Chris", "participantId": customer}]}})
    }

    fn log(id: &str) -> Value {
        json!({"messageType": "MessageLogUpdated", "chatUri": format!("http://h/api/v2/chats/{id}"), "messages": []})
    }

    /// The agent's chat A (customer P) accepted at 100 ms; the supervisor's chat S (its own
    /// id) first heard of at `first_ms`.
    fn timing(first_ms: u64) -> JoinTiming {
        let mut timing = JoinTiming::new();
        timing.agent_notification("agent", 3, &chat("A", "P"));
        timing.exchange(
            "agent",
            "http://h/api/v2/me/chats/A",
            Some(&json!({"operationName": "Accept"})),
            &json!({"statusCode": 0}),
            100,
        );
        // The agent then sees the supervisor (user id 55) join.
        let mut joined = chat("A", "P");
        joined["chat"]["participants"]
            .as_array_mut()
            .unwrap()
            .push(json!({"type": "Agent", "nickname": "Sam", "uri": "http://h/api/v2/users/55"}));
        timing.agent_notification("agent", 4, &joined);
        let mut entry = log("A");
        entry["messages"] =
            json!([{"type": "ParticipantJoined", "from": {"uri": "http://h/api/v2/users/55"}}]);
        timing.agent_notification("agent", 5, &entry);
        timing.supervisor_notification("supervisor", Some("55"), 1, first_ms, &log("S"));
        timing.supervisor_notification("supervisor", Some("55"), 2, first_ms + 5, &chat("S", "P"));
        timing
    }

    #[test]
    fn a_supervisor_told_of_a_chat_before_the_accept_was_sent_fails_at_every_notification_of_it() {
        let found = timing(40).finish();
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].finding.requirement, REQUIREMENT);
        assert!(
            found[0]
                .finding
                .message
                .contains("#1 to supervisor about chat S arrived 60 ms before"),
            "{}",
            found[0].finding.message
        );
        let located: Vec<(&str, u64, Option<&str>)> = found[0]
            .notifications
            .iter()
            .map(|n| (n.actor.as_str(), n.seq, n.path.as_deref()))
            .collect();
        assert_eq!(
            located,
            [
                ("supervisor", 1, None),
                ("supervisor", 2, None),
                ("agent", 4, Some("chat.participants")),
                ("agent", 5, Some("messages")),
            ],
            "every notification of the supervisor about the chat, and where the agent sees it"
        );
    }

    #[test]
    fn a_supervisor_told_after_the_accept_passes_whatever_the_ids() {
        assert!(timing(100).finish().is_empty(), "at the same millisecond");
        assert!(timing(130).finish().is_empty());
    }

    #[test]
    fn what_cannot_be_linked_or_was_not_accepted_is_not_judged() {
        // Another customer's chat, an Accept that failed, a supervisor chat naming no customer.
        let mut timing = JoinTiming::new();
        timing.agent_notification("agent", 1, &chat("A", "P"));
        timing.exchange(
            "agent",
            "http://h/api/v2/me/chats/A",
            Some(&json!({"operationName": "Accept"})),
            &json!({"statusCode": 3}),
            100,
        );
        timing.exchange(
            "agent",
            "http://h/api/v2/me/chats/A",
            Some(&json!({"operationName": "Complete"})),
            &json!({"statusCode": 0}),
            90,
        );
        timing.supervisor_notification("supervisor", None, 1, 10, &chat("S", "P"));
        timing.supervisor_notification("supervisor", None, 2, 10, &chat("T", "Q"));
        timing.supervisor_notification("supervisor", None, 3, 10, &log("U"));
        assert!(timing.finish().is_empty());
    }
}
