//! No removal of a supervisor the documents do not call for, checked over every supervisor's
//! `Revoked` of every scenario (`invariant.supervisor-stays`, requirement `MON-STAYS`). The
//! Supervisor Monitoring page revokes the supervisor when no agent remains and the chat is
//! completed or placed in a queue; the Monitor, Coach and BargeIn pages say that if the
//! monitored agent leaves but another agent remains, monitoring continues until the chat
//! completes or is queued. So a supervisor revoked from a chat that went on with an agent who
//! was in it before is a finding: that agent was neither ended at the time (no Completed,
//! Revoked or LeftChat of its own around it: a completion or a transfer ends the agents too)
//! and it still received the chat's notifications as a chatting party well after.
//!
//! **Which chat is which.** Each party may have its own id for a chat (docs/rulings.md,
//! `choice-ids`), so a supervisor's chat and an agent's are matched by the customer they list.
//!
//! **Time.** Arrival times of the long-poll replies order what different parties received;
//! notifications within [`GRACE`] of the `Revoked` are in flight and prove nothing. A
//! supervisor's own Leave or logout may legitimately end in `Revoked`
//! (`choice-supervisor-leave`), so those sessions are not judged.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::invariants::{ActorInfo, Role};
use super::json::chat_key;
use super::{Finding, Verdict};

/// The requirement every finding cites.
pub const REQUIREMENT: &str = "MON-STAYS";

/// How long after (and before) a `Revoked` notifications are taken as in flight, in ms.
pub const GRACE: u64 = 2_000;

/// One chat notification as this check needs it.
#[derive(Debug, Clone)]
struct Seen {
    at_ms: u64,
    chat: String,
    /// The chat's state for the party, for ChatStateChangeMessages.
    state: Option<String>,
}

/// The checker; one per scenario run.
#[derive(Debug, Default)]
pub struct Revocations {
    /// Every chat notification of every party, in arrival order per party.
    seen: HashMap<String, Vec<Seen>>,
    /// The customer (participantId) each party's chat is with.
    customers: HashMap<(String, String), String>,
    /// Chats a party left itself, and parties that logged out.
    own_leave: HashSet<(String, String)>,
    logged_out: HashSet<String>,
}

impl Revocations {
    /// A checker that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Notes a request of `actor`: its own Leave of a chat, or its logout.
    pub fn exchange(&mut self, actor: &str, method: &str, url: &str, request: Option<&Value>) {
        let operation = request
            .and_then(|r| r.get("operationName"))
            .and_then(Value::as_str);
        match operation {
            Some("EndContactCenterSession") => {
                self.logged_out.insert(actor.to_owned());
            }
            Some("Leave") if method == "POST" => {
                if let Some((_, chat)) = url.split('?').next().and_then(|u| u.rsplit_once('/')) {
                    self.own_leave.insert((actor.to_owned(), chat.to_owned()));
                }
            }
            _ => {}
        }
    }

    /// Notes a chat notification `actor` received at `at_ms`.
    pub fn observe(&mut self, actor: &ActorInfo, at_ms: u64, data: &Value) {
        if actor.role == Role::Customer {
            return;
        }
        let Some(chat) = chat_key(data) else {
            return;
        };
        if let Some(customer) = data
            .pointer("/chat/participants")
            .and_then(Value::as_array)
            .and_then(|list| {
                list.iter()
                    .find(|p| p.get("type").and_then(Value::as_str) == Some("Customer"))
            })
            .and_then(|p| p.get("participantId"))
            .and_then(Value::as_str)
        {
            self.customers
                .entry((actor.name.clone(), chat.clone()))
                .or_insert_with(|| customer.to_owned());
        }
        let state = match data.get("messageType").and_then(Value::as_str) {
            Some("ChatStateChangeMessage") => data
                .pointer("/chat/state")
                .and_then(Value::as_str)
                .map(str::to_owned),
            Some("MessageLogUpdated") => None,
            _ => return,
        };
        self.seen
            .entry(actor.name.clone())
            .or_default()
            .push(Seen { at_ms, chat, state });
    }

    /// Whether `agent`'s notifications about `chat` show it chatting before `at`, not ended
    /// around it, and still in the chat after it (the evidence, if so).
    fn went_on_with(&self, agent: &str, chat: &str, at: u64) -> Option<String> {
        let stream: Vec<&Seen> = self
            .seen
            .get(agent)?
            .iter()
            .filter(|s| s.chat == chat)
            .collect();
        let ended = |s: &&Seen| {
            matches!(
                s.state.as_deref(),
                Some("Completed" | "Revoked" | "LeftChat")
            )
        };
        let before = stream.iter().rfind(|s| s.at_ms < at)?;
        if ended(before) {
            return None;
        }
        // In the chat, not merely offered it: an agent the chat is offered to (after a
        // transfer to a queue, say) was never in it with the supervisor.
        let last_state = stream
            .iter()
            .rev()
            .filter(|s| s.at_ms < at)
            .find_map(|s| s.state.as_deref())?;
        if last_state != "Chatting" {
            return None;
        }
        if stream
            .iter()
            .any(|s| ended(s) && s.at_ms + GRACE >= at && s.at_ms <= at + GRACE)
        {
            return None;
        }
        let later = stream.iter().find(|s| s.at_ms > at + GRACE)?;
        // Even its own end, later, shows the chat went on with it until then.
        let how = if ended(later) {
            "was still in the chat until"
        } else {
            "still received the chat's notifications at"
        };
        Some(format!("{agent} {how} {} ms", later.at_ms))
    }

    /// The supervisors revoked from a chat that went on with an agent.
    pub fn finish(&self, actors: &[ActorInfo]) -> Vec<Finding> {
        let mut findings = Vec::new();
        let agents: Vec<&ActorInfo> = actors.iter().filter(|a| a.role == Role::Agent).collect();
        for supervisor in actors.iter().filter(|a| a.role == Role::Supervisor) {
            if self.logged_out.contains(&supervisor.name) {
                continue;
            }
            let Some(stream) = self.seen.get(&supervisor.name) else {
                continue;
            };
            for revoked in stream
                .iter()
                .filter(|s| s.state.as_deref() == Some("Revoked"))
            {
                let key = (supervisor.name.clone(), revoked.chat.clone());
                if self.own_leave.contains(&key) {
                    continue;
                }
                let Some(customer) = self.customers.get(&key) else {
                    continue;
                };
                let evidence: Vec<String> = agents
                    .iter()
                    .flat_map(|agent| {
                        self.customers
                            .iter()
                            .filter(|((who, _), c)| *who == agent.name && *c == customer)
                            .filter_map(|((_, chat), _)| {
                                self.went_on_with(&agent.name, chat, revoked.at_ms)
                            })
                    })
                    .collect();
                if evidence.is_empty() {
                    continue;
                }
                findings.push(Finding {
                    check: "invariant.supervisor-stays".to_owned(),
                    requirement: REQUIREMENT.to_owned(),
                    verdict: Verdict::Fail,
                    message: format!(
                        "{} was revoked from chat {} at {} ms while the chat went on with an agent in it, neither completed nor queued",
                        supervisor.name, revoked.chat, revoked.at_ms
                    ),
                    details: evidence,
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

    fn actor(name: &str, role: Role) -> ActorInfo {
        ActorInfo {
            name: name.into(),
            role,
            user_id: Some(format!("{name}-id")),
        }
    }

    fn state(chat: &str, state: &str) -> Value {
        json!({"messageType": "ChatStateChangeMessage", "notificationType": "StatusChange",
               "chat": {"id": chat, "state": state, "participants": [
                   {"type": "Customer", "participantId": "CUST"}]}})
    }

    fn log(chat: &str) -> Value {
        json!({"messageType": "MessageLogUpdated", "chatPath": format!("/chats/{chat}"), "messages": []})
    }

    fn actors() -> (ActorInfo, ActorInfo, ActorInfo) {
        (
            actor("sup", Role::Supervisor),
            actor("ann", Role::Agent),
            actor("bob", Role::Agent),
        )
    }

    #[test]
    fn a_supervisor_revoked_while_another_agent_chats_on_fails() {
        let (sup, ann, bob) = actors();
        let mut check = Revocations::new();
        check.observe(&sup, 100, &state("S", "Chatting"));
        check.observe(&ann, 100, &state("A", "Chatting"));
        check.observe(&bob, 500, &state("B", "Chatting"));
        // Ann leaves the conference; the supervisor is revoked with her, Bob chats on.
        check.observe(&ann, 2_000, &state("A", "Completed"));
        check.observe(&sup, 2_010, &state("S", "Revoked"));
        check.observe(&bob, 2_020, &log("B"));
        check.observe(&bob, 6_000, &log("B"));
        let findings = check.finish(&[sup, ann, bob]);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].requirement, REQUIREMENT);
        assert!(
            findings[0].details[0].contains("bob"),
            "{:?}",
            findings[0].details
        );
    }

    #[test]
    fn completion_transfer_and_the_last_agent_leaving_pass() {
        let (sup, ann, bob) = actors();
        // Completed: every agent is ended with the supervisor's Revoked.
        let mut check = Revocations::new();
        check.observe(&sup, 100, &state("S", "Chatting"));
        check.observe(&ann, 100, &state("A", "Chatting"));
        check.observe(&ann, 2_000, &state("A", "Completed"));
        check.observe(&sup, 2_005, &state("S", "Revoked"));
        assert!(
            check
                .finish(&[sup.clone(), ann.clone(), bob.clone()])
                .is_empty()
        );
        // Transferred to a queue: the old agent is ended, a new one takes over later.
        let mut check = Revocations::new();
        check.observe(&sup, 100, &state("S", "Chatting"));
        check.observe(&ann, 100, &state("A", "Chatting"));
        check.observe(&ann, 2_000, &state("A", "Revoked"));
        check.observe(&sup, 2_003, &state("S", "Revoked"));
        check.observe(&bob, 3_500, &state("B", "Chatting"));
        check.observe(&bob, 6_000, &log("B"));
        assert!(
            check
                .finish(&[sup.clone(), ann.clone(), bob.clone()])
                .is_empty()
        );
        // The last agent leaves: LeftChat ends it.
        let mut check = Revocations::new();
        check.observe(&sup, 100, &state("S", "Chatting"));
        check.observe(&ann, 100, &state("A", "Chatting"));
        check.observe(&ann, 2_000, &state("A", "LeftChat"));
        check.observe(&sup, 2_001, &state("S", "Revoked"));
        check.observe(&ann, 4_000, &state("A", "LeftChat"));
        assert!(check.finish(&[sup, ann, bob]).is_empty());
    }

    #[test]
    fn a_supervisor_s_own_leave_or_logout_is_not_judged() {
        let (sup, ann, _) = actors();
        for (method, url, body) in [
            (
                "POST",
                "http://h/api/v2/me/chats/S",
                json!({"operationName": "Leave"}),
            ),
            (
                "POST",
                "http://h/api/v2/me",
                json!({"operationName": "EndContactCenterSession"}),
            ),
        ] {
            let mut check = Revocations::new();
            check.exchange("sup", method, url, Some(&body));
            check.observe(&sup, 100, &state("S", "Chatting"));
            check.observe(&ann, 100, &state("A", "Chatting"));
            check.observe(&sup, 2_000, &state("S", "Revoked"));
            check.observe(&ann, 5_000, &log("A"));
            assert!(
                check.finish(&[sup.clone(), ann.clone()]).is_empty(),
                "{body}"
            );
        }
    }

    #[test]
    fn an_agent_only_offered_the_chat_before_the_revocation_is_no_evidence() {
        // Transferred to a queue: Bob is offered the chat just before the supervisor's
        // Revoked arrives, and his offer is withdrawn much later.
        let (sup, ann, bob) = actors();
        let mut check = Revocations::new();
        check.observe(&sup, 100, &state("S", "Chatting"));
        check.observe(&ann, 100, &state("A", "Chatting"));
        check.observe(&ann, 2_000, &state("A", "Completed"));
        check.observe(&bob, 2_010, &state("B", "Invited"));
        check.observe(&sup, 2_020, &state("S", "Revoked"));
        check.observe(&bob, 7_000, &state("B", "Revoked"));
        assert!(check.finish(&[sup, ann, bob]).is_empty());
    }

    #[test]
    fn notifications_in_flight_around_the_revocation_prove_nothing() {
        let (sup, ann, _) = actors();
        let mut check = Revocations::new();
        check.observe(&sup, 100, &state("S", "Chatting"));
        check.observe(&ann, 100, &state("A", "Chatting"));
        check.observe(&sup, 2_000, &state("S", "Revoked"));
        check.observe(&ann, 3_900, &log("A"));
        assert!(check.finish(&[sup, ann]).is_empty());
    }
}
