//! Invariants checked on every notification of every scenario, by a stateful
//! [`InvariantChecker`] that sees each actor's notifications in the order that actor received
//! them, the customer's polled views, and the `referenceId`s requests returned.
//!
//! | Check id | Requirement | Rule |
//! |---|---|---|
//! | `invariant.capabilities` | `CAP-*` | A supervisor's chat in state `Chatting` has exactly the table's set for its mode (mode from its own participant's visibility). The example's variant (E5/E6) is NON-STRICT. |
//! | `invariant.supervisor-visibility` | `VIS-*` | The capabilities are one mode's set but the supervisor's visibility is another mode's. |
//! | `invariant.agent-visibility` | `VIS-MONITOR` | An agent is never shown a participant or message with visibility `Supervisors`. |
//! | `invariant.customer-visibility` | `VIS-CUSTOMER` | The customer never sees non-`All` content (see [`super::visibility`]). |
//! | `invariant.revoked-empty` | `REVOKE-EMPTY` | `Revoked` and `Completed` carry empty `participants` and `capabilities`. |
//! | `invariant.index` | `NOTIF-INDEX` | Message `index` strictly increases per chat per actor over all its MessageLogUpdated ([`super::index_order`]). |
//! | `invariant.unique` | `NOTIF-UNIQUE` | No notification is delivered twice (NON-STRICT; rule below). |
//! | `invariant.reference` | `NOTIF-REFERENCE` | A `referenceId` in a notification is one a request of that actor returned (NON-STRICT; rule below). |
//!
//! **Chat sessions.** An actor's notifications about one chat (identified by `chat.id`, or the
//! last segment of `chatUri`/`chatPath`) form a session that ends with its `Revoked` or
//! `Completed`. A later notification about the same chat starts a new session: a supervisor
//! revoked by a transfer may join the same chat again when it reaches another monitored agent,
//! and then legitimately receives the history from index 1 again.
//!
//! **Duplicates.** A notification that repeats an earlier one, by the rule of
//! [`super::repeats`], is a duplicate.
//!
//! A duplicate is reported once and not checked again (the first copy was), so one extra
//! delivery gives one finding, not an index failure as well.
//!
//! **References.** The runner calls [`InvariantChecker::expect_reference`] with every
//! `referenceId` a request of an actor returned, and [`InvariantChecker::reference_withheld`]
//! for every successful chat operation of an actor whose response carried none. A notification
//! carrying a `referenceId` no request of that actor returned is NON-STRICT, unless one of the
//! actor's chat operations withheld its `referenceId`: the documents show responses without one
//! (only Invite and Consult return it) while the notifications they cause carry one (the
//! documented Accept), so an unknown `referenceId` then proves nothing. As a notification may be
//! read before the response that announces its `referenceId`, the decision waits for
//! [`InvariantChecker::finish`]. A missing `referenceId` is never a finding.
//!
//! **Malformed input.** Every rule reads fields defensively and skips what it cannot read (a
//! missing or mistyped field); the schema check reports those, so no rule duplicates it.
//!
//! **Limits.** A supervisor actor is assumed to take part in chats as a supervisor: one routed
//! or invited as a plain agent would be judged against the supervisor table.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::index_order::IndexOrder;
use super::json::chat_key;
use super::modes::{self, CapabilityMatch, Mode};
use super::repeats::Repeats;
use super::visibility::VisibilityLedger;
use super::{Finding, Located, ResponseRef, Verdict};

/// The check id of the finding that a notification repeats an earlier one (NOTIF-UNIQUE).
pub const UNIQUE_CHECK: &str = "invariant.unique";

/// What kind of party an actor is (the scenario model's roles).
pub use crate::scenario::model::Role;

/// The actor a notification or view belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorInfo {
    /// The scenario's name for the actor.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// Its user id once known (agents and supervisors); a supervisor finds its own
    /// participant by the user URI ending with it.
    pub user_id: Option<String>,
}

/// A customer's polled view.
#[derive(Debug, Clone, Copy)]
pub enum CustomerView<'a> {
    /// The body of `GET /api/v2/chats/{id}` (`{"chat": {...}}`).
    Chat(&'a Value),
    /// The body of `GET /api/v2/chats/{id}/messages` (`{"messages": [...]}`).
    Messages(&'a Value),
}

/// What is known about one actor.
#[derive(Debug, Default)]
struct ActorState {
    references: HashSet<String>,
    /// A successful chat operation of the actor answered without a `referenceId`.
    withheld: bool,
    /// Which of the actor's notifications repeat an earlier one.
    repeats: Repeats,
}

/// A `referenceId` not (yet) returned by a request of the actor.
#[derive(Debug)]
struct PendingReference {
    actor: String,
    seq: u64,
    reference: String,
    what: String,
}

/// The stateful checker. One per scenario run.
#[derive(Debug, Default)]
pub struct InvariantChecker {
    actors: HashMap<String, ActorState>,
    indexes: IndexOrder,
    ledger: VisibilityLedger,
    references: Vec<PendingReference>,
}

fn finding(check: &str, requirement: &str, verdict: Verdict, message: String) -> Finding {
    Finding {
        check: check.to_owned(),
        requirement: requirement.to_owned(),
        verdict,
        message,
        details: Vec::new(),
    }
}

fn text<'v>(value: &'v Value, pointer: &str) -> Option<&'v str> {
    value.pointer(pointer).and_then(Value::as_str)
}

/// `ChatStateChangeMessage/StatusChange` or what the notification says it is.
fn kind_of(data: &Value) -> String {
    format!(
        "{}/{}",
        text(data, "/messageType").unwrap_or("?"),
        text(data, "/notificationType").unwrap_or("?")
    )
}

/// A referenceId as text: numbers and strings compare by their digits.
fn reference_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl InvariantChecker {
    /// A checker that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that a request of `actor` (by name) returned `reference_id` (a number or a
    /// string; anything else is ignored).
    pub fn expect_reference(&mut self, actor: &str, reference_id: &Value) {
        let Some(reference) = reference_text(reference_id) else {
            return;
        };
        self.references
            .retain(|p| !(p.actor == actor && p.reference == reference));
        self.actors
            .entry(actor.to_owned())
            .or_default()
            .references
            .insert(reference);
    }

    /// Records that a successful chat operation of `actor` (by name) answered without a
    /// `referenceId`: its notifications' `referenceId`s can then not be told apart from ones it
    /// never returned.
    pub fn reference_withheld(&mut self, actor: &str) {
        self.actors.entry(actor.to_owned()).or_default().withheld = true;
    }

    /// Checks notification number `seq` that `actor` received (the Bayeux message's `data`).
    pub fn observe(&mut self, actor: &ActorInfo, seq: u64, data: &Value) -> Vec<Finding> {
        self.observe_delivery(actor, seq, data, false)
    }

    /// [`Self::observe`], for a notification whose client saw it come back in a redelivered
    /// block when `redelivered`.
    pub fn observe_delivery(
        &mut self,
        actor: &ActorInfo,
        seq: u64,
        data: &Value,
        redelivered: bool,
    ) -> Vec<Finding> {
        let Some(message_type) = text(data, "/messageType") else {
            return Vec::new(); // not a notification the rules can read: the schema's job
        };
        let chat = chat_key(data);
        let is_chat = matches!(message_type, "ChatStateChangeMessage" | "MessageLogUpdated");
        let mut findings = Vec::new();
        if let (true, Some(chat)) = (is_chat, chat.as_deref()) {
            if let Some(duplicate) = self.duplicate(actor, seq, chat, data, redelivered) {
                return vec![duplicate];
            }
            if matches!(actor.role, Role::Agent | Role::Supervisor) {
                self.ledger.learn(chat, data);
            }
            findings.extend(self.chat_rules(actor, seq, data));
        }
        self.note_reference(actor, seq, data);
        findings
    }

    /// Checks what a customer polled, the response `at` (its actor is the customer):
    /// `customer_chat_id` is the customer-side chat id. A finding, handed out by
    /// [`Self::finish`], is located at the places in the responses that show what the customer
    /// may not see.
    pub fn observe_customer_view(
        &mut self,
        at: &ResponseRef,
        customer_chat_id: &str,
        view: CustomerView<'_>,
    ) {
        match view {
            CustomerView::Chat(body) => self.ledger.customer_chat(at, customer_chat_id, body),
            CustomerView::Messages(body) => {
                self.ledger.customer_messages(at, customer_chat_id, body)
            }
        }
    }

    /// The findings of the end of the run: `referenceId`s no request returned, and what the
    /// customer was shown that it may not see (judged when polled, or now when it could not
    /// be then).
    pub fn finish(&mut self) -> Vec<Located> {
        let actors = &self.actors;
        let mut findings: Vec<Located> = std::mem::take(&mut self.references)
            .into_iter()
            .filter(|p| !actors.get(&p.actor).is_some_and(|a| a.withheld))
            .map(|p| {
                let finding = finding(
                    "invariant.reference",
                    "NOTIF-REFERENCE",
                    Verdict::NonStrict,
                    format!(
                        "notification #{} to {} ({}) carries referenceId {}, which no request of {} returned",
                        p.seq, p.actor, p.what, p.reference, p.actor
                    ),
                );
                Located::about(finding, Vec::new())
            })
            .collect();
        findings.extend(self.ledger.finish());
        findings
    }

    fn chat_rules(&mut self, actor: &ActorInfo, seq: u64, data: &Value) -> Vec<Finding> {
        let mut findings = Vec::new();
        findings.extend(self.indexes.observe(&actor.name, seq, data));
        match text(data, "/messageType") {
            Some("ChatStateChangeMessage") => {
                findings.extend(revoked_empty(actor, seq, data));
                if actor.role == Role::Supervisor {
                    findings.extend(supervisor_mode(actor, seq, data));
                }
                if actor.role == Role::Agent {
                    findings.extend(agent_sees_no_supervisors(
                        actor,
                        seq,
                        data,
                        "/chat/participants",
                    ));
                }
            }
            Some("MessageLogUpdated") if actor.role == Role::Agent => {
                findings.extend(agent_sees_no_supervisors(actor, seq, data, "/messages"));
            }
            _ => {}
        }
        findings
    }

    fn duplicate(
        &mut self,
        actor: &ActorInfo,
        seq: u64,
        chat: &str,
        data: &Value,
        redelivered: bool,
    ) -> Option<Finding> {
        let duplicate = self
            .actors
            .entry(actor.name.clone())
            .or_default()
            .repeats
            .observe(chat, data, redelivered);
        duplicate.then(|| {
            finding(
                UNIQUE_CHECK,
                "NOTIF-UNIQUE",
                Verdict::NonStrict,
                format!(
                    "notification #{seq} to {} ({}) repeats an earlier one of chat {chat}",
                    actor.name,
                    kind_of(data)
                ),
            )
        })
    }

    fn note_reference(&mut self, actor: &ActorInfo, seq: u64, data: &Value) {
        let Some(reference) = data.get("referenceId").and_then(reference_text) else {
            return;
        };
        let known = self
            .actors
            .get(&actor.name)
            .is_some_and(|a| a.references.contains(&reference));
        if !known {
            self.references.push(PendingReference {
                actor: actor.name.clone(),
                seq,
                reference,
                what: kind_of(data),
            });
        }
    }
}

/// `REVOKE-EMPTY`: an ended chat lists no participants and no capabilities.
fn revoked_empty(actor: &ActorInfo, seq: u64, data: &Value) -> Option<Finding> {
    let state = text(data, "/chat/state").filter(|s| matches!(*s, "Revoked" | "Completed"))?;
    let left: Vec<String> = ["participants", "capabilities"]
        .into_iter()
        .filter_map(|key| {
            let list = data.pointer(&format!("/chat/{key}"))?.as_array()?;
            (!list.is_empty()).then(|| format!("{key}: {}", Value::from(list.clone())))
        })
        .collect();
    (!left.is_empty()).then(|| Finding {
        details: left,
        ..finding(
            "invariant.revoked-empty",
            "REVOKE-EMPTY",
            Verdict::Fail,
            format!(
                "notification #{seq} to {}: chat state {state} with non-empty participants or capabilities",
                actor.name
            ),
        )
    })
}

/// `VIS-MONITOR`: agents are never shown `Supervisors` participants or messages.
fn agent_sees_no_supervisors(
    actor: &ActorInfo,
    seq: u64,
    data: &Value,
    pointer: &str,
) -> Option<Finding> {
    let hidden: Vec<String> = data
        .pointer(pointer)?
        .as_array()?
        .iter()
        .filter(|item| item.get("visibility").and_then(Value::as_str) == Some("Supervisors"))
        .map(Value::to_string)
        .collect();
    (!hidden.is_empty()).then(|| Finding {
        details: hidden,
        ..finding(
            "invariant.agent-visibility",
            "VIS-MONITOR",
            Verdict::Fail,
            format!(
                "notification #{seq} to agent {} shows content with visibility Supervisors",
                actor.name
            ),
        )
    })
}

/// The supervisor's own participant: the one whose `uri` (or `path`, or `id`) ends with its
/// user id.
pub(crate) fn own_participant<'v>(actor: &ActorInfo, data: &'v Value) -> Option<&'v Value> {
    let user_id = actor.user_id.as_deref().filter(|id| !id.is_empty())?;
    let suffix = format!("/{user_id}");
    data.pointer("/chat/participants")?
        .as_array()?
        .iter()
        .find(|p| {
            let names = |key| p.get(key).and_then(Value::as_str);
            names("uri")
                .or(names("path"))
                .is_some_and(|u| u.ends_with(&suffix))
                || names("id") == Some(user_id)
        })
}

/// `CAP-*` / `VIS-*`: a chatting supervisor's capabilities are its mode's set, and its
/// visibility is that mode's.
fn supervisor_mode(actor: &ActorInfo, seq: u64, data: &Value) -> Option<Finding> {
    if text(data, "/chat/state") != Some("Chatting") {
        return None;
    }
    let capabilities = modes::strings(data.pointer("/chat/capabilities")?)?;
    let visibility = own_participant(actor, data)
        .and_then(|p| p.get("visibility"))
        .and_then(Value::as_str);
    let by_visibility = visibility.and_then(Mode::from_visibility);
    let at = format!("notification #{seq} to supervisor {}", actor.name);
    match modes::classify(capabilities.iter().copied()) {
        CapabilityMatch::Exact(mode) => by_visibility
            .filter(|seen| *seen != mode)
            .map(|seen| mismatch(&at, mode, seen)),
        CapabilityMatch::Variant(mode, errata) => Some(match by_visibility {
            Some(seen) if seen != mode => mismatch(&at, mode, seen),
            _ => finding(
                "invariant.capabilities",
                mode.capability_requirement(),
                Verdict::NonStrict,
                format!(
                    "{at}: {} capabilities in the seed example's documented variant (erratum {}), not the table's form",
                    mode.name(),
                    errata.join(", ")
                ),
            ),
        }),
        CapabilityMatch::Unknown => {
            let mode =
                by_visibility.unwrap_or_else(|| modes::closest_mode(capabilities.iter().copied()));
            Some(wrong_capabilities(
                &at,
                mode,
                by_visibility.is_some(),
                &capabilities,
            ))
        }
    }
}

fn mismatch(at: &str, by_capabilities: Mode, by_visibility: Mode) -> Finding {
    finding(
        "invariant.supervisor-visibility",
        by_capabilities.visibility_requirement(),
        Verdict::Fail,
        format!(
            "{at}: capabilities are the {} set but the supervisor's visibility is {} ({} mode's)",
            by_capabilities.name(),
            by_visibility.visibility(),
            by_visibility.name()
        ),
    )
}

fn wrong_capabilities(
    at: &str,
    mode: Mode,
    from_visibility: bool,
    capabilities: &[&str],
) -> Finding {
    let (missing, extra) = modes::difference(capabilities.iter().copied(), mode);
    let basis = if from_visibility {
        format!(
            "its visibility {} says {} mode",
            mode.visibility(),
            mode.name()
        )
    } else {
        format!("closest: {} mode", mode.name())
    };
    Finding {
        details: vec![
            format!("missing: {}", missing.join(", ")),
            format!("extra: {}", extra.join(", ")),
        ],
        ..finding(
            "invariant.capabilities",
            mode.capability_requirement(),
            Verdict::Fail,
            format!("{at}: capabilities are not the table's set for any mode ({basis})"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::capabilities::{BARGE_IN, COACH, EXAMPLE_COACH_VARIANT, MONITOR};
    use serde_json::json;

    const BASE: &str = "http://127.0.0.1:9/api/v2";

    fn actor(name: &str, role: Role, user_id: Option<&str>) -> ActorInfo {
        ActorInfo {
            name: name.to_owned(),
            role,
            user_id: user_id.map(str::to_owned),
        }
    }

    fn supervisor() -> ActorInfo {
        actor("sup", Role::Supervisor, Some("s1"))
    }

    fn agent() -> ActorInfo {
        actor("agent", Role::Agent, Some("a1"))
    }

    fn customer() -> ActorInfo {
        actor("cust", Role::Customer, None)
    }

    fn participant(id: &str, kind: &str, user: Option<&str>, visibility: &str) -> Value {
        let mut p =
            json!({"nickname": id, "type": kind, "visibility": visibility, "participantId": id});
        if let Some(user) = user {
            p["uri"] = json!(format!("{BASE}/users/{user}"));
        }
        p
    }

    /// A ChatStateChangeMessage shaped like the reference server's (render.rs).
    fn state(kind: &str, chat_state: &str, caps: &[&str], participants: Vec<Value>) -> Value {
        json!({
            "chat": {
                "receivedDate": "2026-01-01 00:00:00.000+0000",
                "chatType": "Inbound",
                "capabilities": caps,
                "uri": format!("{BASE}/chats/CH1"),
                "state": chat_state,
                "participants": participants,
                "id": "CH1"
            },
            "notificationType": kind,
            "messageType": "ChatStateChangeMessage"
        })
    }

    fn with_supervisor(visibility: &str) -> Vec<Value> {
        vec![
            participant("P1", "Agent", Some("a1"), "All"),
            participant("P2", "Agent", Some("s1"), visibility),
            participant("C1", "Customer", None, "All"),
        ]
    }

    fn message(index: u64, from: Value, kind: &str, visibility: &str) -> Value {
        json!({
            "index": index, "from": from, "timestamp": "2026-01-01 00:00:00.000+0000",
            "visibility": visibility, "type": kind, "timestampSeconds": 1_767_225_600_000_u64 + index
        })
    }

    fn log(messages: Vec<Value>) -> Value {
        json!({
            "messages": messages, "notificationType": "NewMessages",
            "messageType": "MessageLogUpdated",
            "chatUri": format!("{BASE}/chats/CH1"), "chatPath": "/chats/CH1"
        })
    }

    fn indexes(list: &[u64]) -> Value {
        let from = participant("C1", "Customer", None, "All");
        log(list
            .iter()
            .map(|i| message(*i, from.clone(), "Text", "All"))
            .collect())
    }

    fn ended(chat_state: &str) -> Value {
        state("StatusChange", chat_state, &[], vec![])
    }

    /// Feeds notifications to one actor; returns every finding, `finish` included.
    fn feed(checker: &mut InvariantChecker, who: &ActorInfo, list: &[Value]) -> Vec<Finding> {
        let mut findings = Vec::new();
        for (seq, data) in list.iter().enumerate() {
            findings.extend(checker.observe(who, seq as u64 + 1, data));
        }
        findings
    }

    /// The response of `who`'s request of step `step`.
    fn response(who: &str, step: usize) -> ResponseRef {
        ResponseRef {
            actor: who.to_owned(),
            step: Some(step),
            path: None,
        }
    }

    /// `who` polled the customer view `view` (at step 0).
    fn polled(checker: &mut InvariantChecker, who: &ActorInfo, chat: &str, view: CustomerView<'_>) {
        checker.observe_customer_view(&response(&who.name, 0), chat, view);
    }

    /// What the end of the run decides, unlocated.
    fn finished(checker: &mut InvariantChecker) -> Vec<Finding> {
        checker.finish().into_iter().map(|l| l.finding).collect()
    }

    fn only(findings: &[Finding]) -> &Finding {
        assert_eq!(findings.len(), 1, "{findings:#?}");
        &findings[0]
    }

    #[test]
    fn a_correct_join_in_each_mode_passes() {
        for mode in Mode::ALL {
            let mut checker = InvariantChecker::new();
            let people = with_supervisor(mode.visibility());
            let sup = participant("P2", "Agent", Some("s1"), mode.visibility());
            let list = [
                state(
                    "ParticipantsUpdated",
                    "Chatting",
                    mode.capabilities(),
                    people.clone(),
                ),
                state("StatusChange", "Chatting", mode.capabilities(), people),
                log(vec![
                    message(
                        1,
                        participant("C1", "Customer", None, "All"),
                        "ParticipantJoined",
                        "All",
                    ),
                    message(
                        2,
                        participant("P1", "Agent", Some("a1"), "All"),
                        "ParticipantJoined",
                        "All",
                    ),
                    message(3, sup, "ParticipantJoined", mode.visibility()),
                ]),
                ended("Revoked"),
            ];
            let mut findings = feed(&mut checker, &supervisor(), &list);
            findings.extend(finished(&mut checker));
            assert!(findings.is_empty(), "{mode:?}: {findings:#?}");
        }
    }

    #[test]
    fn a_missing_capability_fails_in_each_mode() {
        for mode in Mode::ALL {
            let caps: Vec<&str> = mode
                .capabilities()
                .iter()
                .copied()
                .filter(|c| *c != "Leave")
                .collect();
            let data = state(
                "ParticipantsUpdated",
                "Chatting",
                &caps,
                with_supervisor(mode.visibility()),
            );
            let findings = InvariantChecker::new().observe(&supervisor(), 1, &data);
            let found = only(&findings);
            assert_eq!(found.check, "invariant.capabilities");
            assert_eq!(found.requirement, mode.capability_requirement());
            assert_eq!(found.verdict, Verdict::Fail);
            assert_eq!(found.details[0], "missing: Leave", "{mode:?}");
        }
    }

    #[test]
    fn an_extra_capability_fails() {
        let caps: Vec<&str> = MONITOR.iter().copied().chain(["SendMessage"]).collect();
        let data = state(
            "StatusChange",
            "Chatting",
            &caps,
            with_supervisor("Supervisors"),
        );
        let findings = InvariantChecker::new().observe(&supervisor(), 1, &data);
        let found = only(&findings);
        assert_eq!(found.requirement, "CAP-MONITOR");
        assert_eq!(found.details[1], "extra: SendMessage");
    }

    #[test]
    fn capabilities_of_one_mode_with_visibility_of_another_fail_on_visibility() {
        for (caps, visibility, requirement) in [
            (COACH, "Supervisors", "VIS-COACH"),
            (MONITOR, "All", "VIS-MONITOR"),
            (BARGE_IN, "Agents", "VIS-BARGEIN"),
            (EXAMPLE_COACH_VARIANT, "All", "VIS-COACH"),
        ] {
            let data = state(
                "ParticipantsUpdated",
                "Chatting",
                caps,
                with_supervisor(visibility),
            );
            let findings = InvariantChecker::new().observe(&supervisor(), 1, &data);
            let found = only(&findings);
            assert_eq!(found.check, "invariant.supervisor-visibility");
            assert_eq!(found.requirement, requirement);
            assert_eq!(found.verdict, Verdict::Fail);
        }
    }

    #[test]
    fn the_example_variant_is_non_strict() {
        let data = state(
            "ParticipantsUpdated",
            "Chatting",
            EXAMPLE_COACH_VARIANT,
            with_supervisor("Agents"),
        );
        let findings = InvariantChecker::new().observe(&supervisor(), 1, &data);
        let found = only(&findings);
        assert_eq!(found.requirement, "CAP-COACH");
        assert_eq!(found.verdict, Verdict::NonStrict);
        assert!(
            found.message.contains("erratum E5, E6"),
            "{}",
            found.message
        );
    }

    #[test]
    fn without_its_own_participant_the_capabilities_alone_are_checked() {
        let no_self = vec![participant("P1", "Agent", Some("a1"), "All")];
        let fine = state("StatusChange", "Chatting", BARGE_IN, no_self.clone());
        assert!(
            InvariantChecker::new()
                .observe(&supervisor(), 1, &fine)
                .is_empty()
        );
        let caps: Vec<&str> = BARGE_IN
            .iter()
            .copied()
            .filter(|c| *c != "SendMessage")
            .collect();
        let wrong = state("StatusChange", "Chatting", &caps, no_self);
        let findings = InvariantChecker::new().observe(&supervisor(), 1, &wrong);
        assert_eq!(only(&findings).requirement, "CAP-BARGEIN");
    }

    #[test]
    fn agents_are_not_held_to_the_supervisor_table() {
        let data = state(
            "StatusChange",
            "Chatting",
            &["Complete", "Leave"],
            with_supervisor("Agents"),
        );
        assert!(
            InvariantChecker::new()
                .observe(&agent(), 1, &data)
                .is_empty()
        );
    }

    #[test]
    fn an_agent_shown_a_monitoring_supervisor_fails() {
        let data = state(
            "ParticipantsUpdated",
            "Chatting",
            &["Leave"],
            with_supervisor("Supervisors"),
        );
        let findings = InvariantChecker::new().observe(&agent(), 1, &data);
        assert_eq!(only(&findings).requirement, "VIS-MONITOR");
        let sup = participant("P2", "Agent", Some("s1"), "Supervisors");
        let data = log(vec![message(4, sup, "Notice", "Supervisors")]);
        let findings = InvariantChecker::new().observe(&agent(), 1, &data);
        assert_eq!(only(&findings).check, "invariant.agent-visibility");
    }

    #[test]
    fn revoked_or_completed_with_anything_left_fails() {
        let mut checker = InvariantChecker::new();
        let left = state("StatusChange", "Revoked", &[], with_supervisor("Agents"));
        let findings = checker.observe(&supervisor(), 1, &left);
        let found = only(&findings);
        assert_eq!(found.requirement, "REVOKE-EMPTY");
        assert_eq!(found.verdict, Verdict::Fail);
        assert!(
            found.details[0].starts_with("participants: "),
            "{:?}",
            found.details
        );
        let capable = state("StatusChange", "Completed", &["Leave"], vec![]);
        let findings = checker.observe(&agent(), 2, &capable);
        assert!(only(&findings).details[0].starts_with("capabilities: "));
        assert!(checker.observe(&agent(), 3, &ended("Completed")).is_empty());
    }

    #[test]
    fn a_non_increasing_index_fails() {
        let mut checker = InvariantChecker::new();
        let findings = feed(
            &mut checker,
            &agent(),
            &[indexes(&[1, 2]), indexes(&[2, 3])],
        );
        let found = only(&findings);
        assert_eq!(found.requirement, "NOTIF-INDEX");
        assert_eq!(found.verdict, Verdict::Fail);
        assert_eq!(found.details, ["index 2 after 2"]);
        let within = InvariantChecker::new().observe(&agent(), 1, &indexes(&[5, 4]));
        assert_eq!(only(&within).details, ["index 4 after 5"]);
    }

    #[test]
    fn indexes_are_tracked_per_actor_and_per_chat() {
        let mut checker = InvariantChecker::new();
        assert!(feed(&mut checker, &agent(), &[indexes(&[1, 2, 3])]).is_empty());
        assert!(feed(&mut checker, &supervisor(), &[indexes(&[1, 2, 3])]).is_empty());
        let mut other_chat = indexes(&[1]);
        other_chat["chatUri"] = json!(format!("{BASE}/chats/CH2"));
        assert!(checker.observe(&agent(), 9, &other_chat).is_empty());
    }

    #[test]
    fn a_chat_joined_again_after_it_ended_for_the_party_starts_a_new_session() {
        for end in ["Revoked", "Completed", "LeftChat"] {
            let mut checker = InvariantChecker::new();
            let list = [indexes(&[1, 2]), ended(end), indexes(&[1, 2, 3])];
            assert!(feed(&mut checker, &supervisor(), &list).is_empty(), "{end}");
        }
        // Without an end between them, the history again is out of order.
        let mut checker = InvariantChecker::new();
        let list = [indexes(&[1, 2]), indexes(&[1, 2, 3])];
        assert!(!feed(&mut checker, &supervisor(), &list).is_empty());
    }

    #[test]
    fn a_duplicated_log_is_non_strict_and_reported_once() {
        let mut checker = InvariantChecker::new();
        let findings = feed(
            &mut checker,
            &agent(),
            &[indexes(&[1]), indexes(&[2]), indexes(&[1])],
        );
        let found = only(&findings);
        assert_eq!(found.requirement, "NOTIF-UNIQUE");
        assert_eq!(found.verdict, Verdict::NonStrict);
        assert!(found.message.contains("#3"), "{}", found.message);
    }

    #[test]
    fn a_repeated_state_change_is_a_duplicate_only_when_adjacent() {
        let a = state(
            "ParticipantsUpdated",
            "Chatting",
            COACH,
            with_supervisor("Agents"),
        );
        let b = state(
            "ParticipantsUpdated",
            "Chatting",
            BARGE_IN,
            with_supervisor("All"),
        );
        let mut checker = InvariantChecker::new();
        assert!(feed(&mut checker, &supervisor(), &[a.clone(), b, a.clone()]).is_empty());
        let findings = checker.observe(&supervisor(), 4, &a);
        assert_eq!(only(&findings).requirement, "NOTIF-UNIQUE");
        let mut checker = InvariantChecker::new();
        let revoked = [ended("Revoked"), ended("Revoked")];
        assert_eq!(
            only(&feed(&mut checker, &supervisor(), &revoked)).requirement,
            "NOTIF-UNIQUE"
        );
    }

    #[test]
    fn repeated_properties_updated_are_legitimate_unless_the_reference_repeats() {
        let props = state(
            "PropertiesUpdated",
            "Chatting",
            &["Leave"],
            with_supervisor("All"),
        );
        let mut checker = InvariantChecker::new();
        assert!(feed(&mut checker, &agent(), &[props.clone(), props.clone()]).is_empty());
        let (mut first, mut second) = (props.clone(), props);
        first["referenceId"] = json!(7);
        second["referenceId"] = json!(8);
        let mut checker = InvariantChecker::new();
        checker.expect_reference("agent", &json!(7));
        checker.expect_reference("agent", &json!(8));
        assert!(feed(&mut checker, &agent(), &[first.clone(), second]).is_empty());
        let findings = checker.observe(&agent(), 3, &first.clone());
        assert!(
            findings.is_empty(),
            "7 then 8 then 7 is not adjacent: {findings:#?}"
        );
        let findings = checker.observe(&agent(), 4, &first);
        assert_eq!(only(&findings).requirement, "NOTIF-UNIQUE");
        assert!(finished(&mut checker).is_empty());
    }

    #[test]
    fn a_foreign_reference_is_non_strict_at_finish() {
        let mut checker = InvariantChecker::new();
        let mut data = indexes(&[1]);
        data["referenceId"] = json!(42);
        assert!(checker.observe(&agent(), 1, &data).is_empty());
        checker.expect_reference("sup", &json!(42)); // another actor's request
        let findings = finished(&mut checker);
        let found = only(&findings);
        assert_eq!(found.requirement, "NOTIF-REFERENCE");
        assert_eq!(found.verdict, Verdict::NonStrict);
        assert!(
            found.message.contains("referenceId 42"),
            "{}",
            found.message
        );
    }

    #[test]
    fn an_unknown_reference_proves_nothing_once_a_response_withheld_its_own() {
        // As documented: Accept answers {"statusCode":0}, its notifications carry referenceId 17.
        let mut data = indexes(&[1]);
        data["referenceId"] = json!(17);
        let mut checker = InvariantChecker::new();
        checker.reference_withheld("agent");
        assert!(checker.observe(&agent(), 1, &data).is_empty());
        assert!(finished(&mut checker).is_empty());
        // Another actor withholding proves nothing for this one.
        let mut checker = InvariantChecker::new();
        checker.reference_withheld("sup");
        assert!(checker.observe(&agent(), 1, &data).is_empty());
        assert_eq!(only(&finished(&mut checker)).requirement, "NOTIF-REFERENCE");
    }

    #[test]
    fn a_reference_announced_before_or_after_the_notification_is_fine() {
        let mut checker = InvariantChecker::new();
        checker.expect_reference("agent", &json!(1));
        let mut first = indexes(&[1]);
        first["referenceId"] = json!(1);
        let mut second = indexes(&[2]);
        second["referenceId"] = json!("2");
        assert!(feed(&mut checker, &agent(), &[first, second]).is_empty());
        checker.expect_reference("agent", &json!(2));
        assert!(finished(&mut checker).is_empty());
    }

    /// The agent side of a Coach-monitored chat: the supervisor's message is `Agents`-only.
    fn coached_chat(checker: &mut InvariantChecker) {
        let sup = participant("P2", "Agent", Some("s1"), "Agents");
        let list = [
            state(
                "ParticipantsUpdated",
                "Chatting",
                &["Leave"],
                with_supervisor("Agents"),
            ),
            log(vec![
                message(
                    1,
                    participant("C1", "Customer", None, "All"),
                    "ParticipantJoined",
                    "All",
                ),
                message(
                    2,
                    participant("P1", "Agent", Some("a1"), "All"),
                    "ParticipantJoined",
                    "All",
                ),
                message(3, sup.clone(), "ParticipantJoined", "Agents"),
                message(4, sup, "Text", "Agents"),
                message(
                    5,
                    participant("P1", "Agent", Some("a1"), "All"),
                    "Text",
                    "All",
                ),
            ]),
        ];
        assert!(feed(checker, &agent(), &list).is_empty());
    }

    fn customer_message(index: u64, id: &str, kind: &str, what: &str) -> Value {
        json!({"index": index, "from": {"nickname": id, "participantId": id, "type": kind},
               "type": what, "timestamp": "2026-01-01 00:00:00.000+0000"})
    }

    #[test]
    fn the_customer_seeing_only_all_content_passes() {
        let mut checker = InvariantChecker::new();
        coached_chat(&mut checker);
        let chat = json!({"chat": {"id": "K1", "state": "Chatting", "participants": [
            {"nickname": "C1", "participantId": "C1", "type": "Customer"},
            {"nickname": "P1", "participantId": "P1", "type": "Agent"}]}});
        let messages = json!({"messages": [
            customer_message(1, "C1", "Customer", "ParticipantJoined"),
            customer_message(2, "P1", "Agent", "ParticipantJoined"),
            customer_message(5, "P1", "Agent", "Text")]});
        polled(&mut checker, &customer(), "K1", CustomerView::Chat(&chat));
        polled(
            &mut checker,
            &customer(),
            "K1",
            CustomerView::Messages(&messages),
        );
        assert!(finished(&mut checker).is_empty());
    }

    #[test]
    fn a_coach_message_in_the_customer_messages_fails() {
        let mut checker = InvariantChecker::new();
        coached_chat(&mut checker);
        let messages = json!({"messages": [
            customer_message(1, "C1", "Customer", "ParticipantJoined"),
            customer_message(4, "P2", "Agent", "Text")]});
        // Polled twice: one finding, located at both responses.
        for step in [3, 4] {
            let at = response("customer", step);
            checker.observe_customer_view(&at, "K1", CustomerView::Messages(&messages));
        }
        let findings = checker.finish();
        assert_eq!(findings.len(), 1, "{findings:#?}");
        let found = &findings[0].finding;
        assert_eq!(found.requirement, "VIS-CUSTOMER");
        assert_eq!(found.verdict, Verdict::Fail);
        assert!(found.message.contains("message 4"), "{}", found.message);
        let places: Vec<(Option<usize>, Option<&str>)> = findings[0]
            .responses
            .iter()
            .map(|r| (r.step, r.path.as_deref()))
            .collect();
        assert_eq!(
            places,
            [(Some(3), Some("messages.1")), (Some(4), Some("messages.1"))]
        );
        assert!(finished(&mut checker).is_empty());
    }

    #[test]
    fn a_customer_view_finding_is_located_at_the_element_of_the_response_showing_it() {
        let mut checker = InvariantChecker::new();
        coached_chat(&mut checker);
        let at = response("customer", 7);
        let messages = json!({"messages": [
            customer_message(1, "C1", "Customer", "ParticipantJoined"),
            customer_message(4, "P2", "Agent", "Text")]});
        checker.observe_customer_view(&at, "K1", CustomerView::Messages(&messages));
        let found = checker.finish();
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(
            found[0].responses,
            vec![ResponseRef {
                path: Some("messages.1".to_owned()),
                ..at.clone()
            }]
        );
        // A bare array and a chat view: the element's place in the body as it came.
        let mut checker = InvariantChecker::new();
        let bare = json!([customer_message(4, "P2", "Agent", "Text")]);
        checker.observe_customer_view(&at, "K1", CustomerView::Messages(&bare));
        coached_chat(&mut checker);
        let decided = checker.finish();
        assert_eq!(decided.len(), 1, "{decided:#?}");
        assert_eq!(decided[0].responses[0].path.as_deref(), Some("0"));
        let chat = json!({"chat": {"participants": [
            {"nickname": "C1", "participantId": "C1", "type": "Customer"},
            {"nickname": "boss", "participantId": "P2", "type": "Agent"}]}});
        checker.observe_customer_view(&at, "K1", CustomerView::Chat(&chat));
        let found = checker.finish();
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(
            found[0].responses[0].path.as_deref(),
            Some("chat.participants.1")
        );
    }

    #[test]
    fn a_bargein_supervisor_s_agents_only_message_reaching_the_customer_fails() {
        // The author was visible to the customer (BargeIn), but this message was not.
        let mut checker = InvariantChecker::new();
        let sup = participant("P2", "Agent", Some("s1"), "All");
        let list = [
            state(
                "ParticipantsUpdated",
                "Chatting",
                &["Leave"],
                with_supervisor("All"),
            ),
            log(vec![
                message(
                    1,
                    participant("C1", "Customer", None, "All"),
                    "ParticipantJoined",
                    "All",
                ),
                message(2, sup, "Text", "Agents"),
            ]),
        ];
        assert!(feed(&mut checker, &agent(), &list).is_empty());
        let messages = json!({"messages": [
            customer_message(1, "C1", "Customer", "ParticipantJoined"),
            customer_message(2, "P2", "Agent", "Text")]});
        polled(
            &mut checker,
            &customer(),
            "K1",
            CustomerView::Messages(&messages),
        );
        assert_eq!(only(&finished(&mut checker)).requirement, "VIS-CUSTOMER");
    }

    #[test]
    fn a_monitoring_supervisor_in_the_customer_participants_fails() {
        let mut checker = InvariantChecker::new();
        let join = state(
            "ParticipantsUpdated",
            "Chatting",
            MONITOR,
            with_supervisor("Supervisors"),
        );
        assert!(checker.observe(&supervisor(), 1, &join).is_empty());
        let chat = json!({"chat": {"participants": [
            {"nickname": "C1", "participantId": "C1", "type": "Customer"},
            {"nickname": "P1", "participantId": "P1", "type": "Agent"},
            {"nickname": "boss", "participantId": "P2", "type": "Agent"}]}});
        polled(&mut checker, &customer(), "K1", CustomerView::Chat(&chat));
        let findings = finished(&mut checker);
        let found = only(&findings);
        assert_eq!(found.requirement, "VIS-CUSTOMER");
        assert!(
            found.message.contains("participant boss (P2)"),
            "{}",
            found.message
        );
        assert!(found.message.contains("Supervisors"), "{}", found.message);
    }

    #[test]
    fn a_customer_view_polled_before_the_agents_learnt_anything_is_decided_at_finish() {
        let mut checker = InvariantChecker::new();
        let messages = json!({"messages": [
            customer_message(1, "C1", "Customer", "ParticipantJoined"),
            customer_message(4, "P2", "Agent", "Text")]});
        polled(
            &mut checker,
            &customer(),
            "K1",
            CustomerView::Messages(&messages),
        );
        coached_chat(&mut checker);
        let findings = finished(&mut checker);
        assert_eq!(only(&findings).requirement, "VIS-CUSTOMER");
    }

    #[test]
    fn malformed_input_never_panics_and_is_left_to_the_schema() {
        let weird = [
            json!(null),
            json!([]),
            json!("text"),
            json!({"messageType": 3}),
            json!({"messageType": "ChatStateChangeMessage"}),
            json!({"messageType": "ChatStateChangeMessage", "chat": []}),
            json!({"messageType": "ChatStateChangeMessage", "chat": {"id": 5, "state": "Revoked", "participants": "x"}}),
            json!({"messageType": "ChatStateChangeMessage", "chat": {"id": "C", "state": "Chatting", "capabilities": "all"}}),
            json!({"messageType": "ChatStateChangeMessage", "chat": {"id": "C", "state": "Chatting", "capabilities": [1, null], "participants": [null, {"uri": 4}]}}),
            json!({"messageType": "MessageLogUpdated", "chatUri": 7, "messages": [{"index": "1"}]}),
            json!({"messageType": "MessageLogUpdated", "chatPath": "/chats/X", "messages": {"index": 1}}),
            json!({"messageType": "MessageLogUpdated", "chatPath": "/chats/X", "messages": [null, {"index": -1, "from": "me"}]}),
            json!({"messageType": "ChannelStateChangeMessageV2", "channels": "x", "referenceId": {}}),
        ];
        let mut checker = InvariantChecker::new();
        let agent_without_id = actor("a", Role::Agent, None);
        for who in [supervisor(), agent(), agent_without_id, customer()] {
            for (seq, data) in weird.iter().enumerate() {
                let findings = checker.observe(&who, seq as u64, data);
                assert!(findings.is_empty(), "{data}: {findings:#?}");
            }
            for body in &weird {
                polled(&mut checker, &who, "K", CustomerView::Chat(body));
                polled(&mut checker, &who, "K", CustomerView::Messages(body));
            }
        }
        checker.expect_reference("a", &json!(null));
        assert!(finished(&mut checker).is_empty());
    }

    #[test]
    fn every_cited_requirement_is_in_the_catalogue() {
        let catalogue = crate::spec::Catalogue::builtin();
        let mut ids = vec![
            "VIS-CUSTOMER",
            "REVOKE-EMPTY",
            "NOTIF-INDEX",
            "NOTIF-UNIQUE",
            "NOTIF-REFERENCE",
            "NOTIF-SCHEMA",
            "NOTIF-EXAMPLE",
        ];
        for mode in Mode::ALL {
            ids.push(mode.capability_requirement());
            ids.push(mode.visibility_requirement());
        }
        for id in ids {
            assert!(
                catalogue.get(id).is_some(),
                "{id} is not in scenarios/requirements.yaml"
            );
        }
    }
}
