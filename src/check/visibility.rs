//! What the customer may see (`VIS-CUSTOMER`): a ledger of what agents and supervisors were
//! told about visibility, and the customer's polled views checked against it.
//!
//! The customer API carries no visibility, so the ledger learns it from agent and supervisor
//! notifications: every participant id with the visibilities it was shown with, each chat's
//! customer participant id (which links a customer chat to the agent-side chat, since the
//! two may have different ids), and each agent-side message's visibility by chat and index.
//!
//! Rules:
//! - a participant in the customer's `chat.participants`, or the author of a message the
//!   customer polled, violates the invariant when every visibility agents and supervisors
//!   ever saw for it is non-`All` (a participant that was `All` at some point, e.g. a
//!   supervisor that barged in and later switched to Coach, may legitimately have authored
//!   messages the customer sees, and the ledger has no clock shared between actors);
//! - a message the customer polled violates it when the agent-side message with the same
//!   chat and index, the same author and the same type, had a visibility other than `All`
//!   (author and type must agree, so a server numbering the customer's messages its own way
//!   is not accused);
//! - a claim the ledger cannot decide yet (nothing known about that participant or chat)
//!   waits; [`VisibilityLedger::finish`] decides it with everything learnt by the end.
//!
//! A violation is judged when the customer polls it (what agents were told by then), and
//! reported once per customer actor and subject, however often it polls, located at every
//! response that showed it: the findings are handed out by [`VisibilityLedger::finish`].

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use super::{Finding, Located, ResponseRef, Verdict};

/// The check id of customer-visibility findings.
pub const CHECK_ID: &str = "invariant.customer-visibility";
/// The requirement they cite.
pub const REQUIREMENT: &str = "VIS-CUSTOMER";

/// What agents and supervisors saw of one participant.
#[derive(Debug, Default)]
struct Seen {
    visibilities: BTreeSet<String>,
    ever_all: bool,
}

/// An agent-side message, by chat and index.
#[derive(Debug, Clone)]
struct LoggedMessage {
    visibility: String,
    author: Option<String>,
    kind: Option<String>,
}

/// Something the customer was shown.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Claim {
    /// A participant in `GET /api/v2/chats/{id}`.
    Participant { id: String, nickname: String },
    /// A message in `GET /api/v2/chats/{id}/messages`.
    Message {
        index: u64,
        author: Option<String>,
        kind: Option<String>,
    },
}

/// A claim waiting for knowledge, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pending {
    customer: String,
    customer_chat: String,
    claim: Claim,
}

enum Decision {
    Fine,
    Unknown,
    Violation(String),
}

/// Visibility knowledge and the customer's claims against it.
#[derive(Debug, Default)]
pub struct VisibilityLedger {
    participants: HashMap<String, Seen>,
    /// Agent-side chat id → the customer participant ids it showed.
    chat_customer: HashMap<String, BTreeSet<String>>,
    /// (agent-side chat id, index) → the message.
    messages: HashMap<(String, u64), LoggedMessage>,
    /// (customer actor, customer chat id) → the customer's own participant ids.
    customer_ids: HashMap<(String, String), BTreeSet<String>>,
    /// Claims not decided yet, each with the places in the responses that showed it.
    pending: Vec<(Pending, Vec<ResponseRef>)>,
    /// (customer, customer chat, subject) → its finding in `found`.
    reported: HashMap<(String, String, String), usize>,
    /// The findings so far, each located at every response that showed it.
    found: Vec<Located>,
}

fn text<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value.get(key).and_then(Value::as_str)
}

impl VisibilityLedger {
    /// Learns from a notification an agent or supervisor received about chat `chat`.
    pub fn learn(&mut self, chat: &str, data: &Value) {
        if let Some(list) = data.pointer("/chat/participants").and_then(Value::as_array) {
            for participant in list {
                self.learn_participant(chat, participant, None);
            }
        }
        if let Some(list) = data.get("messages").and_then(Value::as_array) {
            for message in list {
                self.learn_message(chat, message);
            }
        }
    }

    fn learn_participant(&mut self, chat: &str, participant: &Value, shown_as: Option<&str>) {
        let Some(id) = text(participant, "participantId") else {
            return;
        };
        if text(participant, "type") == Some("Customer") {
            self.chat_customer
                .entry(chat.to_owned())
                .or_default()
                .insert(id.to_owned());
        }
        let seen = self.participants.entry(id.to_owned()).or_default();
        for visibility in [text(participant, "visibility"), shown_as]
            .into_iter()
            .flatten()
        {
            seen.ever_all |= visibility == "All";
            seen.visibilities.insert(visibility.to_owned());
        }
    }

    fn learn_message(&mut self, chat: &str, message: &Value) {
        let visibility = text(message, "visibility");
        let from = message.get("from");
        if let Some(from) = from {
            // An author of an `All` message may appear in the customer's view of it.
            self.learn_participant(chat, from, visibility.filter(|v| *v == "All"));
        }
        let (Some(index), Some(visibility)) =
            (message.get("index").and_then(Value::as_u64), visibility)
        else {
            return;
        };
        self.messages.insert(
            (chat.to_owned(), index),
            LoggedMessage {
                visibility: visibility.to_owned(),
                author: from
                    .and_then(|f| text(f, "participantId"))
                    .map(str::to_owned),
                kind: text(message, "type").map(str::to_owned),
            },
        );
    }

    /// Checks the customer's `GET /api/v2/chats/{id}` body (`{"chat": {...}}`, or the chat),
    /// the response `at` (its actor is the customer); a finding is located at the participant.
    pub fn customer_chat(&mut self, at: &ResponseRef, chat_id: &str, body: &Value) {
        let (chat, prefix) = match body.get("chat") {
            Some(chat) => (chat, "chat.participants"),
            None => (body, "participants"),
        };
        let list = chat
            .get("participants")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        let mut claims = Vec::new();
        for (position, participant) in list.iter().enumerate() {
            let Some(id) = text(participant, "participantId") else {
                continue;
            };
            if text(participant, "type") == Some("Customer") {
                self.note_customer_id(&at.actor, chat_id, id);
            }
            let claim = Claim::Participant {
                id: id.to_owned(),
                nickname: text(participant, "nickname").unwrap_or("").to_owned(),
            };
            claims.push((claim, format!("{prefix}.{position}")));
        }
        self.judge_all(at, chat_id, claims)
    }

    /// Checks the customer's `GET /api/v2/chats/{id}/messages` body (`{"messages": [...]}`,
    /// or the array), the response `at` (its actor is the customer); a finding is located at
    /// the message.
    pub fn customer_messages(&mut self, at: &ResponseRef, chat_id: &str, body: &Value) {
        let (list, prefix) = match body.get("messages") {
            Some(list) => (list, "messages."),
            None => (body, ""),
        };
        let list = list.as_array().map_or(&[][..], Vec::as_slice);
        let mut claims = Vec::new();
        for (position, message) in list.iter().enumerate() {
            let from = message.get("from");
            let author = from.and_then(|f| text(f, "participantId"));
            if let (Some(id), Some("Customer")) = (author, from.and_then(|f| text(f, "type"))) {
                self.note_customer_id(&at.actor, chat_id, id);
            }
            if let Some(index) = message.get("index").and_then(Value::as_u64) {
                let claim = Claim::Message {
                    index,
                    author: author.map(str::to_owned),
                    kind: text(message, "type").map(str::to_owned),
                };
                claims.push((claim, format!("{prefix}{position}")));
            }
        }
        self.judge_all(at, chat_id, claims)
    }

    fn note_customer_id(&mut self, customer: &str, chat_id: &str, id: &str) {
        self.customer_ids
            .entry((customer.to_owned(), chat_id.to_owned()))
            .or_default()
            .insert(id.to_owned());
    }

    /// Judges each claim of the response `at`, each with its place in the body.
    fn judge_all(&mut self, at: &ResponseRef, chat_id: &str, claims: Vec<(Claim, String)>) {
        for (claim, path) in claims {
            let pending = Pending {
                customer: at.actor.clone(),
                customer_chat: chat_id.to_owned(),
                claim,
            };
            let place = ResponseRef {
                path: Some(path),
                ..at.clone()
            };
            match self.judge(&pending) {
                Decision::Fine => {}
                Decision::Unknown => {
                    match self
                        .pending
                        .iter_mut()
                        .find(|(waiting, _)| *waiting == pending)
                    {
                        Some((_, places)) => places.push(place),
                        None => self.pending.push((pending, vec![place])),
                    }
                }
                Decision::Violation(message) => self.report(&pending, message, place),
            }
        }
    }

    /// Decides the claims that were undecidable when made, with everything learnt since, and
    /// hands out every finding (taken: each is returned once).
    pub fn finish(&mut self) -> Vec<Located> {
        let pending = std::mem::take(&mut self.pending);
        for (claim, places) in pending {
            if let Decision::Violation(message) = self.judge(&claim) {
                for place in places {
                    self.report(&claim, message.clone(), place);
                }
            }
        }
        std::mem::take(&mut self.found)
    }

    fn judge(&self, pending: &Pending) -> Decision {
        match &pending.claim {
            Claim::Participant { id, nickname } => {
                self.judge_participant(id, &format!("participant {nickname} ({id})"))
            }
            Claim::Message {
                index,
                author,
                kind,
            } => match self.judge_message(pending, *index, author.as_deref(), kind.as_deref()) {
                // Without the agent-side message, the author alone may already prove a leak;
                // otherwise the claim waits for the log (an `All` author may still have sent
                // an `Agents` message, e.g. SendToAgents in BargeIn mode).
                Decision::Unknown => match author.as_deref().map(|id| {
                    self.judge_participant(id, &format!("the author ({id}) of message {index}"))
                }) {
                    Some(Decision::Violation(message)) => Decision::Violation(message),
                    _ => Decision::Unknown,
                },
                decided => decided,
            },
        }
    }

    fn judge_participant(&self, id: &str, what: &str) -> Decision {
        match self.participants.get(id) {
            None => Decision::Unknown,
            Some(seen) if seen.ever_all => Decision::Fine,
            Some(seen) => Decision::Violation(format!(
                "the customer sees {what}, whom agents and supervisors only ever saw with visibility {}",
                seen.visibilities
                    .iter()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    fn judge_message(
        &self,
        pending: &Pending,
        index: u64,
        author: Option<&str>,
        kind: Option<&str>,
    ) -> Decision {
        let key = (pending.customer.clone(), pending.customer_chat.clone());
        let Some(ids) = self.customer_ids.get(&key) else {
            return Decision::Unknown;
        };
        let linked = self
            .chat_customer
            .iter()
            .filter(|(_, customers)| !customers.is_disjoint(ids))
            .map(|(chat, _)| chat);
        for chat in linked {
            let Some(logged) = self.messages.get(&(chat.clone(), index)) else {
                continue;
            };
            if logged.author.as_deref() != author || logged.kind.as_deref() != kind {
                continue;
            }
            if logged.visibility != "All" {
                return Decision::Violation(format!(
                    "the customer sees message {index} ({}) of chat {chat}, which agents saw with visibility {}",
                    kind.unwrap_or("?"),
                    logged.visibility
                ));
            }
            return Decision::Fine;
        }
        Decision::Unknown
    }

    /// Records a violation shown at `place`: a new finding, or one more place of the finding
    /// already made about the same subject.
    fn report(&mut self, pending: &Pending, message: String, place: ResponseRef) {
        let subject = match &pending.claim {
            Claim::Participant { id, .. } => format!("participant {id}"),
            Claim::Message { index, .. } => format!("message {index}"),
        };
        let key = (
            pending.customer.clone(),
            pending.customer_chat.clone(),
            subject,
        );
        if let Some(&reported) = self.reported.get(&key) {
            self.found[reported].responses.push(place);
            return;
        }
        self.reported.insert(key, self.found.len());
        let finding = Finding {
            check: CHECK_ID.to_owned(),
            requirement: REQUIREMENT.to_owned(),
            verdict: Verdict::Fail,
            message: format!(
                "{message} (customer {}, chat {})",
                pending.customer, pending.customer_chat
            ),
            details: Vec::new(),
        };
        self.found.push(Located::in_response(finding, place));
    }
}
