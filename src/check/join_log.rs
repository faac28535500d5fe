//! Whether a supervisor was added to a chat before the agent whose Accept brings it in, as the
//! chat's log shows it to the supervisor:
//!
//! | Check id | Requirement | Rule |
//! |---|---|---|
//! | `invariant.join-log-order` | `JOIN-ON-ACCEPT` | In a supervisor's log of a chat that starts with the customer's `ParticipantJoined`, an agent's `ParticipantJoined` never comes after the supervisor's own unless some agent's came before it. |
//!
//! The supervisor joins "immediately" when a monitored agent accepts, so the log records the
//! agent's join before the supervisor's, as the documented join history shows it: the
//! customer's, the agent's, then the supervisor's `ParticipantJoined` (docs/rulings.md,
//! `ruling-join-log`). A supervisor whose own entry has the customer's but no agent's before
//! it, and an agent's after it, was added before any agent had joined.
//!
//! This reads the log, not the clock, so it holds however late the notifications arrive (the
//! time-based [`super::join_timing`] check needs the supervisor's notifications to arrive
//! before the Accept is sent). It proves nothing where no agent's join is logged at all,
//! where the supervisor's history does not reach back to the customer's join (a history cut
//! short is `JOIN-HISTORY`'s), nor about a supervisor that joins a chat an agent is already in.
//! Entries are ordered by `index` (which only has to increase, `choice-index`); other
//! supervisors' entries count as agents' (their participants are of type `Agent` too), so of
//! several supervisors added too early, the first is named. A supervisor shown under several
//! participant ids is judged by the earliest entry of any of them.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::invariants::{ActorInfo, Role, own_participant};
use super::json::chat_key;
use super::{Finding, Located, NotificationRef, Verdict};

/// The check id of its findings.
pub const CHECK_ID: &str = "invariant.join-log-order";
/// The requirement they cite.
pub const REQUIREMENT: &str = "JOIN-ON-ACCEPT";

/// A `ParticipantJoined` of a `Customer`- or `Agent`-type participant, as a supervisor
/// received it.
#[derive(Debug)]
struct Joined {
    index: u64,
    customer: bool,
    participant: String,
    nickname: String,
    /// Where: the supervisor's notification carrying it, and the entry's place in it.
    at: NotificationRef,
}

/// What one supervisor was shown of one chat.
#[derive(Debug, Default)]
struct Log {
    /// The supervisor's own participant ids, as its participants lists showed them.
    own: HashSet<String>,
    joined: Vec<Joined>,
}

/// The supervisors' logs of every chat of a run.
#[derive(Debug, Default)]
pub struct JoinLog {
    /// (supervisor actor, its chat key) → what it was shown.
    logs: HashMap<(String, String), Log>,
}

impl JoinLog {
    /// An empty record.
    pub fn new() -> Self {
        Self::default()
    }

    /// Notes notification `seq` to `actor` (only supervisors' count).
    pub fn observe(&mut self, actor: &ActorInfo, seq: u64, data: &Value) {
        if actor.role != Role::Supervisor {
            return;
        }
        let Some(chat) = chat_key(data) else {
            return;
        };
        let log = self.logs.entry((actor.name.clone(), chat)).or_default();
        if let Some(id) = own_participant(actor, data)
            .and_then(|p| p.get("participantId"))
            .and_then(Value::as_str)
        {
            log.own.insert(id.to_owned());
        }
        let messages = data.get("messages").and_then(Value::as_array);
        for (position, message) in messages.into_iter().flatten().enumerate() {
            let text = |pointer: &str| message.pointer(pointer).and_then(Value::as_str);
            let customer = match text("/from/type") {
                Some("Customer") => true,
                Some("Agent") => false,
                _ => continue,
            };
            if text("/type") != Some("ParticipantJoined") {
                continue;
            }
            let (Some(index), Some(participant)) = (
                message.get("index").and_then(Value::as_u64),
                text("/from/participantId"),
            ) else {
                continue;
            };
            log.joined.push(Joined {
                index,
                customer,
                participant: participant.to_owned(),
                nickname: text("/from/nickname").unwrap_or("?").to_owned(),
                at: NotificationRef {
                    actor: actor.name.clone(),
                    seq,
                    path: Some(format!("messages.{position}")),
                },
            });
        }
    }

    /// The supervisors whose log shows them added before any agent, each located at its own
    /// entry and at the first agent's after it.
    pub fn finish(&self) -> Vec<Located> {
        let mut findings: Vec<Located> = self
            .logs
            .iter()
            .filter_map(|((supervisor, chat), log)| added_early(supervisor, chat, log))
            .collect();
        // Reports list findings in a stable order, whatever the map's.
        findings.sort_by(|a, b| a.finding.message.cmp(&b.finding.message));
        findings
    }
}

/// The finding for one supervisor's log of one chat, if it shows the supervisor added first.
fn added_early(supervisor: &str, chat: &str, log: &Log) -> Option<Located> {
    let own = log
        .joined
        .iter()
        .filter(|j| log.own.contains(&j.participant))
        .min_by_key(|j| j.index)?;
    let before = |j: &&Joined| j.index < own.index;
    let agents = || {
        log.joined
            .iter()
            .filter(|j| !j.customer && !log.own.contains(&j.participant))
    };
    // Judged only from the chat's start: the customer joined first, and no agent before it.
    if !log.joined.iter().filter(before).any(|j| j.customer) || agents().any(|j| before(&j)) {
        return None;
    }
    let first = agents()
        .filter(|j| j.index > own.index)
        .min_by_key(|j| j.index)?;
    let finding = Finding {
        check: CHECK_ID.to_owned(),
        requirement: REQUIREMENT.to_owned(),
        verdict: Verdict::Fail,
        message: format!(
            "{supervisor}'s log of chat {chat} has its own ParticipantJoined (message {}) before any agent's, and agent {} joined after it (message {}): the supervisor was added before the agent accepted",
            own.index, first.nickname, first.index
        ),
        details: Vec::new(),
    };
    Some(Located::about(
        finding,
        vec![own.at.clone(), first.at.clone()],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn supervisor() -> ActorInfo {
        ActorInfo {
            name: "supervisor".to_owned(),
            role: Role::Supervisor,
            user_id: Some("s1".to_owned()),
        }
    }

    /// The supervisor's participants list of chat `S`, showing it as participant `P9`.
    fn listed() -> Value {
        json!({"messageType": "ChatStateChangeMessage", "notificationType": "ParticipantsUpdated",
               "chat": {"id": "S", "state": "Chatting", "participants": [
                   {"type": "Customer", "participantId": "C1", "nickname": "Chris"},
                   {"type": "Agent", "participantId": "P9", "nickname": "Sam", "uri": "http://h/api/v2/users/s1"}]}})
    }

    fn joined(index: u64, kind: &str, participant: &str, nickname: &str) -> Value {
        json!({"index": index, "type": "ParticipantJoined",
               "from": {"type": kind, "participantId": participant, "nickname": nickname}})
    }

    fn log(messages: Vec<Value>) -> Value {
        json!({"messageType": "MessageLogUpdated", "chatUri": "http://h/api/v2/chats/S", "messages": messages})
    }

    fn judge(notifications: &[Value]) -> Vec<Located> {
        let mut record = JoinLog::new();
        for (seq, data) in notifications.iter().enumerate() {
            record.observe(&supervisor(), seq as u64, data);
        }
        record.finish()
    }

    #[test]
    fn a_supervisor_logged_after_the_agent_passes_in_any_grouping_and_numbering() {
        let customer = joined(1000, "Customer", "C1", "Chris");
        let agent = joined(1002, "Agent", "P1", "Ann");
        let own = joined(1005, "Agent", "P9", "Sam");
        let later = joined(1009, "Agent", "P2", "Bob");
        // One history, or entries one by one, in any order of arrival; a colleague later.
        for notifications in [
            vec![
                listed(),
                log(vec![customer.clone(), agent.clone(), own.clone()]),
            ],
            vec![
                log(vec![own.clone()]),
                log(vec![agent.clone()]),
                listed(),
                log(vec![later.clone()]),
            ],
        ] {
            assert!(judge(&notifications).is_empty());
        }
        // No agent's join logged at all proves nothing; nor does a log without its own entry,
        // nor a history that does not reach back to the customer's join (JOIN-HISTORY's).
        assert!(judge(&[listed(), log(vec![customer.clone(), own.clone()])]).is_empty());
        assert!(judge(&[listed(), log(vec![customer, agent])]).is_empty());
        assert!(judge(&[listed(), log(vec![own, later])]).is_empty());
    }

    #[test]
    fn a_supervisor_logged_before_any_agent_fails_located_at_both_entries() {
        let found = judge(&[
            listed(),
            log(vec![
                joined(1, "Customer", "C1", "Chris"),
                joined(2, "Agent", "P9", "Sam"),
            ]),
            log(vec![joined(3, "Agent", "P1", "Ann")]),
        ]);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].finding.requirement, "JOIN-ON-ACCEPT");
        assert!(
            found[0]
                .finding
                .message
                .contains("agent Ann joined after it (message 3)"),
            "{}",
            found[0].finding.message
        );
        let places: Vec<(u64, Option<&str>)> = found[0]
            .notifications
            .iter()
            .map(|n| (n.seq, n.path.as_deref()))
            .collect();
        assert_eq!(places, [(1, Some("messages.1")), (2, Some("messages.0"))]);
        // Shown under another participant id since, its entry under the first is still its own.
        let mut renamed = listed();
        renamed["chat"]["participants"][1]["participantId"] = json!("P8");
        let found = judge(&[
            listed(),
            renamed,
            log(vec![
                joined(1, "Customer", "C1", "Chris"),
                joined(2, "Agent", "P9", "Sam"),
            ]),
            log(vec![joined(3, "Agent", "P1", "Ann")]),
        ]);
        assert_eq!(found.len(), 1, "{found:#?}");
    }

    #[test]
    fn agents_and_malformed_notifications_are_not_judged() {
        let agent = ActorInfo {
            role: Role::Agent,
            ..supervisor()
        };
        let early = [
            listed(),
            log(vec![
                joined(2, "Agent", "P9", "Sam"),
                joined(3, "Agent", "P1", "Ann"),
            ]),
        ];
        let mut record = JoinLog::new();
        for (seq, data) in early.iter().enumerate() {
            record.observe(&agent, seq as u64, data);
        }
        assert!(record.finish().is_empty());
        let weird = [
            json!(null),
            json!({"messageType": "MessageLogUpdated", "chatUri": "http://h/api/v2/chats/S", "messages": "x"}),
            log(vec![
                json!({"index": "2", "type": "ParticipantJoined", "from": {"type": "Agent", "participantId": "P9"}}),
            ]),
            log(vec![
                json!({"index": 3, "type": "ParticipantJoined", "from": {"type": "Agent"}}),
            ]),
        ];
        assert!(judge(&weird).is_empty());
    }
}
