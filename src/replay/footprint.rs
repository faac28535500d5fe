//! Footprints: which part of the server's state a step can change or observe, so that
//! Causality orders two actors' steps only where one could affect the
//! other.
//!
//! Ordering by the recording's clock alone (a step waits for every step of another actor that
//! ended before it began) replays a capture of many concurrent chats one exchange at a time:
//! clients seldom overlap their exchanges, so nearly every pair is ordered, and a replay "as fast
//! as possible" goes at one round trip per step. Yet a message in one chat cannot change what a
//! request about another chat sees. A step's [`Footprint`] says what it touches:
//!
//! - **one chat**: requests about one chat that change or read nothing else (agents' and
//!   supervisors' chat operations but the [`REACHING_OPERATIONS`] and [`PARTING_OPERATIONS`],
//!   customers' [`CUSTOMER_CHAT_OPERATIONS`], a `GET` of the chat or its messages). Agents and supervisors name a chat `…/me/chats/{id}`, customers
//!   `…/chats/{id}` with an id of their own; the two are linked through the `participantId`s
//!   that the chat's notifications and the customer's transcripts both carry. A customer chat
//!   the capture links to no notification is not known to be confined: its steps are global.
//! - **routing**: the queue of chats waiting for an agent, and the agents' load. An operation
//!   that ends a participation ([`PARTING_OPERATIONS`]) frees a slot and may route a waiting
//!   chat: it *routes*. A customer's request about its chat *uses* routing (a waiting chat
//!   changes when it is routed), and so does an `Accept`: the supervisors monitoring the agent
//!   join the chat, and routing counts them as busier. Agents' and supervisors' other
//!   requests about a chat they are in neither: routing only offers chats that wait.
//! - **global**: everything else (logins, agent states, supervision, chat requests, transfers,
//!   invitations, CometD handshakes and subscriptions, any operation not listed): ordered with
//!   every step of every actor, as the clock says. A server with operations this list does not
//!   know is replayed as conservatively as the clock allows.
//!
//! Two steps conflict when either is global, when they touch the same chat, or when one routes
//! and the other uses routing or routes too.

use std::collections::HashMap;

use serde_json::Value;

use super::script::{Action, ActorKind, GroupPlan};
use crate::scenario::CHAT_OPERATIONS;

/// Chat operations of agents and supervisors whose effects reach beyond their chat: other
/// agents, queues, supervision. Every other operation of
/// [`CHAT_OPERATIONS`] changes its chat only (who
/// the chat routes to, and everyone's load, stay as they were), apart from the
/// [`PARTING_OPERATIONS`].
pub const REACHING_OPERATIONS: &[&str] = &[
    "Transfer",
    "Invite",
    "Consult",
    "SwitchToMonitor",
    "SwitchToCoach",
    "SwitchToBargeIn",
];

/// Operations of a customer that change its chat only.
pub const CUSTOMER_CHAT_OPERATIONS: &[&str] = &[
    "SendMessage",
    "SendStartTypingNotification",
    "SendStopTypingNotification",
];

/// Operations that end the caller's part in a chat, and so free a routing slot.
pub const PARTING_OPERATIONS: &[&str] = &["Complete", "Leave", "Reject"];

/// How a step uses routing (the queue of waiting chats and the agents' load).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Routing {
    /// Neither depends on it nor changes it.
    Untouched,
    /// Depends on what routing decides (a customer's view of its chat), or changes agents'
    /// load without routing anything (an `Accept`, which monitoring supervisors join, and
    /// whom routing then counts): ordered with the steps that route, not with each other.
    Uses,
    /// May route a waiting chat: ends a participation and so frees a slot.
    Routes,
}

/// What a step touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Footprint {
    /// Anything: ordered with every step of every other actor.
    Global,
    /// One chat (`class`: the same number for every id the chat goes by) and routing.
    Chat {
        /// The chat.
        class: usize,
        /// How it uses routing.
        routing: Routing,
    },
}

impl Footprint {
    /// Whether one of the two steps could change what the other does or sees.
    pub fn conflicts(self, other: Footprint) -> bool {
        let (
            Footprint::Chat { class, routing },
            Footprint::Chat {
                class: other_class,
                routing: other_routing,
            },
        ) = (self, other)
        else {
            return true;
        };
        use Routing::{Routes, Uses};
        class == other_class
            || matches!(
                (routing, other_routing),
                (Routes, Uses | Routes) | (Uses, Routes)
            )
    }
}

/// Every step's footprint, in step order.
pub fn footprints(group: &GroupPlan) -> Vec<Footprint> {
    classified(group).0
}

/// The chats of a group, as [`Footprint::Chat`] numbers them: whatever ids each party knows a
/// chat by (`choice-ids`), one number.
#[derive(Debug)]
pub struct Chats(ChatClasses);

impl Chats {
    /// The number of the chat that agents and supervisors (and their notifications) call
    /// `chat`, if the capture shows it.
    pub fn staff(&self, chat: &str) -> Option<usize> {
        let id = self.0.index.get(&ChatName::Staff(chat.to_owned()))?;
        Some(self.0.root(*id))
    }
}

/// Every step's footprint, in step order, and the chats they number.
pub fn classified(group: &GroupPlan) -> (Vec<Footprint>, Chats) {
    let confined: Vec<Option<Confined>> = group
        .steps
        .iter()
        .map(|step| confined(&group.actors[step.actor].kind, &step.action))
        .collect();
    let chats = ChatClasses::link(group, &confined);
    let footprints = confined
        .iter()
        .map(|confined| match confined {
            Some(c) => chats
                .class_of(c)
                .map_or(Footprint::Global, |class| Footprint::Chat {
                    class,
                    routing: c.routing,
                }),
            None => Footprint::Global,
        })
        .collect();
    (footprints, Chats(chats))
}

/// A request confined to one chat: the chat as the caller names it, and how it uses routing.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Confined {
    chat: ChatName,
    routing: Routing,
}

/// A chat id, as one side of the API names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum ChatName {
    /// Agents' and supervisors' id (`…/me/chats/{id}`, notifications' `chat.id`).
    Staff(String),
    /// A customer's id (`…/chats/{id}`).
    Customer(String),
    /// A participant of a chat (links the two).
    Participant(String),
}

/// Whether `action`, by an actor of `kind`, is confined to one chat (see the module doc).
/// The chat a request's path names: `…/chats/{id}[/{rest}]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChatPath<'a> {
    /// The chat's id.
    pub id: &'a str,
    /// What of the chat, if anything (`messages`).
    pub rest: Option<&'a str>,
    /// Whether it is an agent's or supervisor's path (`…/me/chats/…`), not a customer's.
    pub staff: bool,
}

/// The chat `target` (a request's path and query) names, if it names one.
pub fn chat_path(target: &str) -> Option<ChatPath<'_>> {
    let path = target.split(['?', '#']).next().unwrap_or_default();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let at = segments.iter().rposition(|s| *s == "chats")?;
    let (id, rest) = match &segments[at + 1..] {
        [id] => (*id, None),
        [id, rest] => (*id, Some(*rest)),
        _ => return None,
    };
    let staff = at > 0 && segments[at - 1] == "me";
    Some(ChatPath { id, rest, staff })
}

fn confined(kind: &ActorKind, action: &Action) -> Option<Confined> {
    let Action::Http { method, target, .. } = action else {
        return None;
    };
    let ChatPath { id, rest, staff } = chat_path(target)?;
    let operation = action.operation();
    let operation = operation.as_deref();
    let (chat, routing) = match (kind, staff) {
        (ActorKind::User { .. }, true) => {
            let routing = match (method.as_str(), rest, operation) {
                ("GET", None | Some("messages"), _) => Routing::Untouched,
                ("POST", None, Some(op)) if PARTING_OPERATIONS.contains(&op) => Routing::Routes,
                ("POST", None, Some("Accept")) => Routing::Uses,
                ("POST", None, Some(op))
                    if CHAT_OPERATIONS.contains(&op) && !REACHING_OPERATIONS.contains(&op) =>
                {
                    Routing::Untouched
                }
                _ => return None,
            };
            (ChatName::Staff(id.to_owned()), routing)
        }
        (ActorKind::Customer, false) => {
            let routing = match (method.as_str(), rest, operation) {
                ("GET", None | Some("messages"), _) => Routing::Uses,
                ("POST", None, Some(op)) if CUSTOMER_CHAT_OPERATIONS.contains(&op) => Routing::Uses,
                ("POST", None, Some("Complete")) => Routing::Routes,
                _ => return None,
            };
            (ChatName::Customer(id.to_owned()), routing)
        }
        _ => return None,
    };
    Some(Confined { chat, routing })
}

/// Chats as classes of the ids they go by: a staff id, customer ids and participant ids that
/// the capture shows together (union–find).
#[derive(Debug, Default)]
struct ChatClasses {
    index: HashMap<ChatName, usize>,
    parent: Vec<usize>,
    /// Per class root: whether a staff id is in it.
    has_staff: Vec<bool>,
}

impl ChatClasses {
    /// Links every staff chat to the participants its notifications name, and every customer
    /// chat to the participants its recorded responses name.
    fn link(group: &GroupPlan, confined: &[Option<Confined>]) -> Self {
        let mut classes = Self::default();
        for note in group.actors.iter().flat_map(|actor| &actor.notes) {
            if let Some(chat) = &note.chat {
                let staff = classes.id(ChatName::Staff(chat.clone()));
                classes.join_participants(staff, &note.data.parse());
            }
        }
        for (step, confined) in group.steps.iter().zip(confined) {
            if let Some(Confined { chat, .. }) = confined {
                let id = classes.id(chat.clone());
                if let Some(body) = &step.recorded.body
                    && matches!(chat, ChatName::Customer(_))
                {
                    classes.join_participants(id, &body.parse());
                }
            }
        }
        classes
    }

    fn id(&mut self, name: ChatName) -> usize {
        let next = self.parent.len();
        let staff = matches!(name, ChatName::Staff(_));
        let id = *self.index.entry(name).or_insert(next);
        if id == next {
            self.parent.push(next);
            self.has_staff.push(staff);
        }
        id
    }

    fn root(&self, mut id: usize) -> usize {
        while self.parent[id] != id {
            id = self.parent[id];
        }
        id
    }

    fn join(&mut self, a: usize, b: usize) {
        let (a, b) = (self.root(a), self.root(b));
        if a != b {
            self.parent[b] = a;
            self.has_staff[a] |= self.has_staff[b];
        }
    }

    fn join_participants(&mut self, chat: usize, document: &Value) {
        let mut participants = Vec::new();
        participant_ids(document, &mut participants);
        for participant in participants {
            let participant = self.id(ChatName::Participant(participant.to_owned()));
            self.join(chat, participant);
        }
    }

    /// The class of a confined step's chat, if the chat is known from both sides it could
    /// be named from (a customer chat linked to no staff id is not).
    fn class_of(&self, confined: &Confined) -> Option<usize> {
        let root = self.root(*self.index.get(&confined.chat)?);
        match confined.chat {
            ChatName::Customer(_) if !self.has_staff[root] => None,
            _ => Some(root),
        }
    }
}

/// The values under `participantId` keys anywhere in `value`.
fn participant_ids<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match value {
                    Value::String(id) if key == "participantId" && !id.is_empty() => out.push(id),
                    _ => participant_ids(value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| participant_ids(item, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::script::RequestBody;
    use serde_json::json;

    const STAFF: ActorKind = ActorKind::User {
        recorded: None,
        login: None,
    };

    fn http(method: &str, target: &str, operation: Option<&str>) -> Action {
        Action::Http {
            method: method.into(),
            target: target.into(),
            origin: "http://h".into(),
            body: operation.map(|op| RequestBody::Json(json!({"operationName": op}).into())),
            authentication: Default::default(),
        }
    }

    fn routing_of(kind: &ActorKind, action: &Action) -> Option<Routing> {
        confined(kind, action).map(|c| c.routing)
    }

    #[test]
    fn staff_operations_in_one_chat_are_confined_and_parting_ones_write_routing() {
        let op = |op| http("POST", "/api/v2/me/chats/S1", Some(op));
        for local in ["SendMessage", "SendToAgents", "UpdateUserData"] {
            assert_eq!(routing_of(&STAFF, &op(local)), Some(Routing::Untouched));
        }
        // Monitoring supervisors join an accepted chat: the agent's load, which routing reads,
        // changes with theirs.
        assert_eq!(routing_of(&STAFF, &op("Accept")), Some(Routing::Uses));
        for parting in PARTING_OPERATIONS {
            assert_eq!(routing_of(&STAFF, &op(parting)), Some(Routing::Routes));
        }
        for global in ["Transfer", "Invite", "Consult", "SwitchToCoach", "Unknown"] {
            assert_eq!(routing_of(&STAFF, &op(global)), None, "{global}");
        }
        let get = http("GET", "/gws/api/v2/me/chats/S1/messages?index=2", None);
        assert_eq!(
            confined(&STAFF, &get),
            Some(Confined {
                chat: ChatName::Staff("S1".into()),
                routing: Routing::Untouched
            })
        );
        // Not about one chat: the list of chats, the agent's state, a supervisor's request.
        for global in [
            http("GET", "/api/v2/me/chats", None),
            http("POST", "/api/v2/me", Some("EndContactCenterSession")),
            http("POST", "/api/v2/users/U1/channels/chat", Some("Coach")),
            http(
                "POST",
                "/api/v2/me/chats/S1/extra/deep",
                Some("SendMessage"),
            ),
            http("POST", "/api/v2/me/chats/S1", None),
            Action::Handshake { session: None },
        ] {
            assert_eq!(confined(&STAFF, &global), None, "{global:?}");
        }
    }

    #[test]
    fn customer_requests_about_their_chat_read_routing() {
        let customer = ActorKind::Customer;
        let say = http("POST", "/api/v2/chats/C1", Some("SendMessage"));
        assert_eq!(
            confined(&customer, &say),
            Some(Confined {
                chat: ChatName::Customer("C1".into()),
                routing: Routing::Uses
            })
        );
        let read = http("GET", "/api/v2/chats/C1/messages?index=1", None);
        assert_eq!(routing_of(&customer, &read), Some(Routing::Uses));
        let complete = http("POST", "/api/v2/chats/C1", Some("Complete"));
        assert_eq!(routing_of(&customer, &complete), Some(Routing::Routes));
        // A chat request routes; a customer naming a staff path, or anyone unknown, is global.
        let request = http("POST", "/api/v2/chats", Some("RequestChat"));
        assert_eq!(routing_of(&customer, &request), None);
        let staff_path = http("POST", "/api/v2/me/chats/S1", Some("SendMessage"));
        assert_eq!(routing_of(&customer, &staff_path), None);
        assert_eq!(routing_of(&ActorKind::Anonymous, &say), None);
    }

    #[test]
    fn steps_conflict_on_one_chat_when_one_routes_and_when_global() {
        let chat = |class, routing| Footprint::Chat { class, routing };
        use Routing::{Routes, Untouched, Uses};
        assert!(Footprint::Global.conflicts(chat(1, Untouched)));
        assert!(chat(1, Untouched).conflicts(Footprint::Global));
        assert!(chat(1, Untouched).conflicts(chat(1, Untouched)));
        assert!(!chat(1, Untouched).conflicts(chat(2, Untouched)));
        assert!(!chat(1, Uses).conflicts(chat(2, Uses)));
        assert!(chat(1, Uses).conflicts(chat(2, Routes)));
        assert!(chat(1, Routes).conflicts(chat(2, Routes)));
        assert!(!chat(1, Routes).conflicts(chat(2, Untouched)));
    }
}
