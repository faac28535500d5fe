//! What the documents say each operation must send, to whom: the notifications (or log
//! entries) each actor must receive after it, and who may receive anything at all. Everyone
//! else logged in must receive nothing on `/v2/me/chats` (the compiler's quiet windows).
//! Only what the documents and docs/rulings.md require is predicted; where they leave a
//! choice, the prediction accepts every choice (a `$one_of`), or predicts nothing and marks
//! the actor as one that may receive something.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::model::{Chat, EXPLORE_KEY, ExploreKey, Offer, Phase, State};
use super::op::{Act, Op, Person};
use crate::spec::Mode;

/// The disposition explore sets with `SetDisposition`.
pub const DISPOSITION: &str = "explored";

/// The user-data key explore names for it (`dispositionKey`): the default key is not
/// documented.
pub const DISPOSITION_KEY: &str = "ExploreDisposition";

/// One expected notification: a `match` map and what to capture from it.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// The matchers.
    pub matchers: Value,
    /// `(variable, path)` to capture.
    pub capture: Option<(String, &'static str)>,
}

/// What one actor must receive after an operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Expected {
    /// Who.
    pub person: Person,
    /// Notifications, in any order.
    pub items: Vec<Item>,
    /// Log entries, in any grouping (instead of items).
    pub entries: Vec<Value>,
    /// The requirement the expectation checks.
    pub covers: &'static str,
}

/// The prediction for one operation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prediction {
    /// What must arrive.
    pub expected: Vec<Expected>,
    /// Who may receive notifications (everyone else logged in must receive none).
    pub affected: BTreeSet<Person>,
    /// The requirement the operation's own step checks (its response), and the quiet windows
    /// of everyone not in `quiet_covers`.
    pub covers: &'static str,
    /// The requirement a quiet window of this person cites instead (why nothing may arrive).
    pub quiet_covers: BTreeMap<Person, &'static str>,
}

impl Prediction {
    fn new(covers: &'static str) -> Self {
        Self {
            covers,
            ..Self::default()
        }
    }

    fn expect(&mut self, person: Person, covers: &'static str, items: Vec<Item>) {
        self.affected.insert(person);
        self.expected.push(Expected {
            person,
            items,
            entries: Vec::new(),
            covers,
        });
    }

    fn entry(&mut self, person: Person, covers: &'static str, entry: Value) {
        self.affected.insert(person);
        self.expected.push(Expected {
            person,
            items: Vec::new(),
            entries: vec![entry],
            covers,
        });
    }

    fn touch(&mut self, chat: &Chat) {
        self.affected.extend(chat.members());
    }
}

fn var(name: &str) -> String {
    format!("${{{name}}}")
}

fn uri(person: Person) -> String {
    var(&format!("{}.uri", person.actor()))
}

fn state_change(person: Person, chat: usize, state: Value) -> Item {
    Item {
        matchers: json!({
            "notificationType": "StatusChange",
            "chat.state": state,
            "chat.id": var(&person.chat_var(chat)),
        }),
        capture: None,
    }
}

fn participants(person: Person, chat: usize, participants: Value) -> Item {
    Item {
        matchers: json!({
            "notificationType": "ParticipantsUpdated",
            "chat.id": var(&person.chat_var(chat)),
            "chat.participants": participants,
        }),
        capture: None,
    }
}

fn log_updated() -> Item {
    Item {
        matchers: json!({"messageType": "MessageLogUpdated"}),
        capture: None,
    }
}

fn offer(person: Person, chat: usize) -> Item {
    Item {
        matchers: json!({"notificationType": "StatusChange", "chat.state": "Invited"}),
        capture: Some((person.chat_var(chat), "chat.id")),
    }
}

/// Everyone in `chat` who sees a message of `visibility`: every agent still taking part and
/// every supervisor (supervisors see everything in their chats).
fn readers(chat: &Chat) -> Vec<Person> {
    let agents = chat.active_agents().map(|(a, _)| Person::Agent(a));
    agents
        .chain(chat.supervisors.keys().map(|s| Person::Supervisor(*s)))
        .collect()
}

/// The requirement of a switch between two modes.
fn switch_requirement(from: Mode, to: Mode) -> &'static str {
    match (from, to) {
        (Mode::Monitor, Mode::Coach) => "SWITCH-MONITOR-COACH",
        (Mode::Monitor, _) => "SWITCH-MONITOR-BARGEIN",
        (Mode::Coach, Mode::Monitor) => "SWITCH-COACH-MONITOR",
        (Mode::Coach, _) => "SWITCH-COACH-BARGEIN",
        (Mode::BargeIn, Mode::Monitor) => "SWITCH-BARGEIN-MONITOR",
        (Mode::BargeIn, _) => "SWITCH-BARGEIN-COACH",
    }
}

/// The requirement an act by `by` checks.
pub fn act_requirement(by: Person, act: Act) -> &'static str {
    if matches!(by, Person::Agent(_)) {
        return "BASE-CHAT";
    }
    match act {
        Act::SendMessage => "OP-SENDMESSAGE",
        Act::SendToAgents => "OP-SENDTOAGENTS",
        Act::TypingStarted | Act::TypingStopped => "OP-TYPING",
        Act::TypingToAgentsStarted | Act::TypingToAgentsStopped => "OP-TYPING-AGENTS",
        Act::UpdateUserData => "OP-UPDATEUSERDATA",
        Act::AttachUserData => "OP-ATTACHUSERDATA",
        Act::DeleteUserData => "OP-DELETEUSERDATA",
        Act::AddComment => "OP-ADDCOMMENT",
        Act::SetDisposition => "OP-SETDISPOSITION",
        Act::SetInFocus => "OP-SETINFOCUS",
    }
}

/// What `op`, applied in `state`, must send; `text` is the text of any message it sends.
pub fn predict(state: &State, op: &Op, text: &str) -> Prediction {
    match *op {
        Op::Login(person) => {
            let mut p = Prediction::new("BASE-CHAT");
            p.affected.insert(person);
            p
        }
        Op::Logout(person) => logout(state, person),
        Op::Ready(a) | Op::NotReady(a) => {
            let mut p = Prediction::new("BASE-CHAT");
            p.affected.insert(Person::Agent(a));
            p
        }
        // No notification is documented for starting or cancelling monitoring
        // (docs/rulings.md choice-monitoring-confirmation): nobody receives anything.
        Op::Monitor { .. } => Prediction::new("MON-MODE"),
        Op::Cancel { .. } => Prediction::new("MON-CANCEL"),
        Op::RequestChat(c) => {
            let mut p = Prediction::new("BASE-CHAT");
            if let Some((agent, _)) = state.clone().apply(op).chats[c].pending {
                p.expect(
                    Person::Agent(agent),
                    "BASE-CHAT",
                    vec![offer(Person::Agent(agent), c)],
                );
                not_before_accept(&mut p, state, agent, c);
            }
            p
        }
        Op::Accept { agent, chat } => accept(state, agent, chat),
        Op::Reject { agent, chat } => {
            let mut p = Prediction::new("BASE-CHAT");
            let who = Person::Agent(agent);
            p.expect(
                who,
                "BASE-CHAT",
                vec![state_change(who, chat, json!("Completed"))],
            );
            p
        }
        Op::Act { by, chat, act } => act_effects(state, by, chat, act, text),
        Op::Invite {
            chat,
            target,
            consult,
            ..
        } => {
            let mut p = Prediction::new(if consult { "OP-CONSULT" } else { "OP-INVITE" });
            p.touch(&state.chats[chat]);
            let who = Person::Agent(target);
            p.expect(who, p.covers, vec![offer(who, chat)]);
            not_before_accept(&mut p, state, target, chat);
            p
        }
        Op::Leave { by, chat } => leave(state, by, chat),
        Op::Complete { agent, chat } => {
            let mut p = Prediction::new("BASE-CHAT");
            let the_chat = &state.chats[chat];
            p.touch(the_chat);
            let who = Person::Agent(agent);
            p.expect(
                who,
                "BASE-CHAT",
                vec![state_change(who, chat, json!("Completed"))],
            );
            revoke_supervisors(&mut p, the_chat, chat, None, "REVOKE-COMPLETED");
            p
        }
        Op::Transfer { by, chat } => transfer(state, by, chat),
        Op::Switch {
            supervisor,
            chat,
            to,
        } => switch(state, supervisor, chat, to),
        // A refused request changes nothing (docs/rulings.md ruling-refusal): nobody receives
        // anything.
        Op::Refused { .. } => Prediction::new("CAP-ENFORCED"),
        Op::AgentMonitors { .. } => Prediction::new("ROLE-SUPERVISOR"),
        Op::CustomerMessage(c) => {
            let mut p = Prediction::new("BASE-CHAT");
            let the_chat = &state.chats[c];
            p.touch(the_chat);
            if the_chat.phase == Phase::Open {
                for reader in readers(the_chat) {
                    p.entry(reader, "BASE-CHAT", json!({"type": "Text", "text": text}));
                }
            }
            p
        }
        Op::CustomerReads(_) => Prediction::new("VIS-CUSTOMER"),
        Op::CustomerWithdraws(c) => {
            let mut p = Prediction::new("BASE-CHAT");
            if let Some((agent, _)) = state.chats[c].pending {
                p.affected.insert(Person::Agent(agent));
            }
            p
        }
    }
}

fn logout(state: &State, person: Person) -> Prediction {
    let mut p = Prediction::new("BASE-CHAT");
    for (c, chat) in state
        .chats
        .iter()
        .enumerate()
        .filter(|(_, c)| c.has(person))
    {
        p.touch(chat);
        let Person::Agent(a) = person else {
            continue;
        };
        let others = chat.active_agents().any(|(other, _)| other != a);
        if !others {
            // Supervisors are revoked where no agent remains (docs/rulings.md ruling-logout).
            revoke_supervisors(&mut p, chat, c, None, "REVOKE-NO-AGENT");
        }
    }
    p.affected.remove(&person);
    p
}

/// The supervisors who will join `chat` when `agent` accepts it must not join before: their
/// windows while the offer is out cite JOIN-ON-ACCEPT.
fn not_before_accept(p: &mut Prediction, state: &State, agent: usize, chat: usize) {
    for (s, _) in state.joiners(agent, chat) {
        p.quiet_covers
            .insert(Person::Supervisor(s), "JOIN-ON-ACCEPT");
    }
}

/// Every supervisor of `chat` but `except` gets its chat `Revoked`.
fn revoke_supervisors(
    p: &mut Prediction,
    chat: &Chat,
    c: usize,
    except: Option<usize>,
    covers: &'static str,
) {
    for s in chat.supervisors.keys().filter(|s| Some(**s) != except) {
        let who = Person::Supervisor(*s);
        p.expect(who, covers, vec![state_change(who, c, json!("Revoked"))]);
    }
}

fn accept(state: &State, agent: usize, c: usize) -> Prediction {
    let mut p = Prediction::new("BASE-CHAT");
    let chat = &state.chats[c];
    p.touch(chat);
    let who = Person::Agent(agent);
    let joiners = state.joiners(agent, c);
    // A supervisor whose monitoring of the agent ended must not join: its window says why.
    for ((s, monitored), why) in &state.ended_monitoring {
        if *monitored == agent {
            p.quiet_covers.insert(Person::Supervisor(*s), why);
        }
    }
    // The agent sees a Coach or BargeIn supervisor join, in its Accept notifications or in
    // ones of its own (docs/rulings.md choice-join-delivery); with several, only that some
    // participants list came.
    let visible: Vec<usize> = joiners
        .iter()
        .filter(|(_, mode)| *mode != Mode::Monitor)
        .map(|(s, _)| *s)
        .collect();
    let listed = match visible[..] {
        [one] => json!({"$any": {"uri": uri(Person::Supervisor(one))}}),
        _ => json!({"$present": true}),
    };
    p.expect(
        who,
        "BASE-CHAT",
        vec![
            state_change(who, c, json!("Chatting")),
            participants(who, c, listed),
            log_updated(),
        ],
    );
    for (s, mode) in joiners {
        let sup = Person::Supervisor(s);
        let join = Item {
            matchers: json!({
                "notificationType": "ParticipantsUpdated",
                "chat.capabilities": {"$capabilities_of": mode.name()},
                "chat.participants": {"$any": {"uri": uri(sup), "visibility": mode.visibility()}},
            }),
            capture: Some((sup.chat_var(c), "chat.id")),
        };
        let chatting = state_change(sup, c, json!("Chatting"));
        p.expect(
            sup,
            "JOIN-NOTIFICATIONS",
            vec![join, chatting, log_updated()],
        );
    }
    // The inviter learns of its invitee (Invite and Consult: ParticipantsUpdated).
    if let Some((_, Offer::Invited(by) | Offer::Consulted(by))) = chat.pending
        && chat.has(by)
    {
        let covers = match chat.pending {
            Some((_, Offer::Consulted(_))) => "OP-CONSULT",
            _ => "OP-INVITE",
        };
        let listed = json!({"$any": {"uri": uri(who)}});
        p.expect(by, covers, vec![participants(by, c, listed)]);
    }
    p
}

fn act_effects(state: &State, by: Person, c: usize, act: Act, text: &str) -> Prediction {
    let mut p = Prediction::new(act_requirement(by, act));
    let chat = &state.chats[c];
    p.touch(chat);
    let visibility = match act {
        Act::SendMessage => Some("All"),
        Act::SendToAgents => Some("Agents"),
        _ => None,
    };
    if let Some(visibility) = visibility {
        for reader in readers(chat) {
            let entry = json!({"type": "Text", "text": text, "visibility": visibility});
            p.entry(reader, p.covers, entry);
        }
    }
    // These change the chat's properties, which the changer is shown with the change made,
    // as far as the model knows what the user data holds: whether UpdateUserData creates a
    // key that is not there, and whether DeleteUserData of one is refused, are not documented.
    let explore_key = format!("chat.userData.{EXPLORE_KEY}");
    let present = chat.explore_key == ExploreKey::Present;
    let shown: Option<Vec<(String, Value)>> = match act {
        Act::AttachUserData => Some(vec![(explore_key, json!(text))]),
        Act::UpdateUserData if present => Some(vec![(explore_key, json!(text))]),
        Act::UpdateUserData => Some(Vec::new()),
        Act::DeleteUserData if present => Some(vec![(explore_key, json!({"$absent": true}))]),
        Act::AddComment => Some(vec![("chat.comment".to_owned(), json!(text))]),
        Act::SetDisposition => Some(vec![(
            format!("chat.userData.{DISPOSITION_KEY}"),
            json!(DISPOSITION),
        )]),
        _ => None,
    };
    if let Some(shown) = shown {
        let mut matchers = json!({
            "notificationType": "PropertiesUpdated",
            "chat.id": var(&by.chat_var(c)),
        });
        for (path, value) in shown {
            matchers[path.as_str()] = value;
        }
        let item = Item {
            matchers,
            capture: None,
        };
        p.expect(by, p.covers, vec![item]);
    }
    p
}

fn leave(state: &State, by: Person, c: usize) -> Prediction {
    let chat = &state.chats[c];
    let mut p = Prediction::new("OP-LEAVE");
    p.touch(chat);
    match by {
        Person::Agent(a) => {
            let alone = chat.active_agents().all(|(other, _)| other == a);
            // Alone: LeftChat, and the supervisors are revoked; in a conference or
            // consultation: Completed, and the supervisors stay.
            let state_name = if alone { "LeftChat" } else { "Completed" };
            p.expect(
                by,
                "BASE-CHAT",
                vec![state_change(by, c, json!(state_name))],
            );
            if alone {
                revoke_supervisors(&mut p, chat, c, None, "REVOKE-NO-AGENT");
            }
        }
        Person::Supervisor(_) => {
            // Any of the states docs/rulings.md choice-supervisor-leave allows.
            let ended = json!({"$one_of": ["Completed", "LeftChat", "Revoked"]});
            p.expect(by, "OP-LEAVE", vec![state_change(by, c, ended)]);
        }
    }
    p
}

fn transfer(state: &State, by: Person, c: usize) -> Prediction {
    let chat = &state.chats[c];
    let mut p = Prediction::new("OP-TRANSFER");
    p.touch(chat);
    let taken = json!({"$one_of": ["Completed", "Revoked"]});
    let except = match by {
        // Revoked or Completed for the supervisor who transfers
        // (docs/rulings.md choice-transfer-initiator).
        Person::Supervisor(s) => {
            p.expect(by, "OP-TRANSFER", vec![state_change(by, c, taken.clone())]);
            // The chat is taken away from its agents too (ruling-operation-effects).
            for (a, _) in chat.active_agents() {
                let agent = Person::Agent(a);
                p.expect(
                    agent,
                    "OP-TRANSFER",
                    vec![state_change(agent, c, taken.clone())],
                );
            }
            Some(s)
        }
        Person::Agent(_) => None,
    };
    revoke_supervisors(&mut p, chat, c, except, "REVOKE-QUEUED");
    p
}

fn switch(state: &State, s: usize, c: usize, to: Mode) -> Prediction {
    let chat = &state.chats[c];
    let from = chat.supervisors[&s];
    let covers = switch_requirement(from, to);
    let mut p = Prediction::new(covers);
    p.touch(chat);
    let sup = Person::Supervisor(s);
    let shown = json!({"$any": {"uri": uri(sup), "visibility": to.visibility()}});
    let own = Item {
        matchers: json!({
            "notificationType": "ParticipantsUpdated",
            "chat.id": var(&sup.chat_var(c)),
            "chat.capabilities": {"$capabilities_of": to.name()},
            "chat.participants": shown.clone(),
        }),
        capture: None,
    };
    p.expect(sup, covers, vec![own, log_updated()]);
    // Agents are shown the supervisor in its new visibility, or told it is gone from sight.
    let agents_see = |mode: Mode| mode != Mode::Monitor;
    let listed = if agents_see(to) {
        Some(shown)
    } else if agents_see(from) {
        Some(json!({"$none": {"uri": uri(sup)}}))
    } else {
        None
    };
    if let Some(listed) = listed {
        for (a, _) in chat.active_agents() {
            let agent = Person::Agent(a);
            p.expect(agent, covers, vec![participants(agent, c, listed.clone())]);
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explore::op::Scope;
    use crate::explore::world::World;

    const A1: Person = Person::Agent(0);
    const A2: Person = Person::Agent(1);
    const S1: Person = Person::Supervisor(0);

    fn after(ops: &[Op]) -> State {
        ops.iter()
            .fold(State::new(World::default()), |state, op| state.apply(op))
    }

    fn in_chat(mode: Mode) -> State {
        after(&[
            Op::Login(A1),
            Op::Login(A2),
            Op::Login(S1),
            Op::monitor(0, 0, mode, Some(Scope::AllChats)),
            Op::Ready(0),
            Op::RequestChat(0),
            Op::Accept { agent: 0, chat: 0 },
        ])
    }

    fn for_whom(prediction: &Prediction, person: Person) -> Vec<&Expected> {
        prediction
            .expected
            .iter()
            .filter(|e| e.person == person)
            .collect()
    }

    /// What a1's Accept of a chat must send while s1 monitors it in `mode`.
    fn accepted_under(mode: Mode) -> Prediction {
        let state = after(&[
            Op::Login(A1),
            Op::Login(S1),
            Op::monitor(0, 0, mode, None),
            Op::Ready(0),
            Op::RequestChat(0),
        ]);
        predict(&state, &Op::Accept { agent: 0, chat: 0 }, "")
    }

    #[test]
    fn a_join_is_predicted_with_the_modes_capabilities_and_visibility() {
        let p = accepted_under(Mode::Coach);
        let join = &for_whom(&p, S1)[0];
        assert_eq!(join.covers, "JOIN-NOTIFICATIONS");
        let first = &join.items[0].matchers;
        assert_eq!(
            first["chat.capabilities"],
            json!({"$capabilities_of": "Coach"})
        );
        assert_eq!(first["chat.participants"]["$any"]["visibility"], "Agents");
        // The agent sees the Coach supervisor, in whichever of its notifications.
        let agent = &for_whom(&p, A1)[0];
        assert_eq!(
            agent.items[1].matchers["chat.participants"],
            json!({"$any": {"uri": "${s1.uri}"}})
        );
    }

    #[test]
    fn a_monitor_mode_join_is_not_shown_to_the_agent() {
        let p = accepted_under(Mode::Monitor);
        let agent = &for_whom(&p, A1)[0];
        assert_eq!(
            agent.items[1].matchers["chat.participants"],
            json!({"$present": true})
        );
    }

    #[test]
    fn nobody_may_receive_anything_after_monitoring_or_a_refusal() {
        let state = in_chat(Mode::Monitor);
        for op in [
            Op::monitor(0, 1, Mode::Coach, None),
            Op::Cancel {
                supervisor: 0,
                agent: 0,
            },
            Op::Refused {
                supervisor: 0,
                chat: 0,
                operation: "SendMessage",
            },
        ] {
            let p = predict(&state, &op, "");
            assert!(p.affected.is_empty() && p.expected.is_empty(), "{op}");
        }
    }

    #[test]
    fn a_switch_shows_agents_the_new_visibility_or_that_the_supervisor_is_gone() {
        let coach = in_chat(Mode::Coach);
        let to_monitor = predict(
            &coach,
            &Op::Switch {
                supervisor: 0,
                chat: 0,
                to: Mode::Monitor,
            },
            "",
        );
        assert_eq!(to_monitor.covers, "SWITCH-COACH-MONITOR");
        let agent = &for_whom(&to_monitor, A1)[0];
        assert_eq!(
            agent.items[0].matchers["chat.participants"],
            json!({"$none": {"uri": "${s1.uri}"}})
        );
        let monitor = in_chat(Mode::Monitor);
        let to_coach = predict(
            &monitor,
            &Op::Switch {
                supervisor: 0,
                chat: 0,
                to: Mode::Coach,
            },
            "",
        );
        let own = &for_whom(&to_coach, S1)[0];
        assert_eq!(
            own.items[0].matchers["chat.capabilities"],
            json!({"$capabilities_of": "Coach"})
        );
        let agent = &for_whom(&to_coach, A1)[0];
        assert_eq!(
            agent.items[0].matchers["chat.participants"]["$any"]["visibility"],
            "Agents"
        );
    }

    #[test]
    fn an_agent_message_reaches_every_party_and_a_supervisor_leave_accepts_every_allowed_state() {
        let state = in_chat(Mode::Monitor);
        let p = predict(
            &state,
            &Op::Act {
                by: A1,
                chat: 0,
                act: Act::SendMessage,
            },
            "hello",
        );
        let readers: BTreeSet<Person> = p.expected.iter().map(|e| e.person).collect();
        assert_eq!(readers, BTreeSet::from([A1, S1]));
        assert_eq!(p.expected[0].entries[0]["visibility"], "All");
        let leave = predict(&state, &Op::Leave { by: S1, chat: 0 }, "");
        let state_matcher = &leave.expected[0].items[0].matchers["chat.state"];
        assert_eq!(
            state_matcher,
            &json!({"$one_of": ["Completed", "LeftChat", "Revoked"]})
        );
    }

    #[test]
    fn a_supervisor_whose_monitoring_ended_is_told_why_it_must_not_join() {
        let chat_of = |c: usize| [Op::RequestChat(c), Op::Accept { agent: 0, chat: c }];
        let mut ops = vec![
            Op::Login(A1),
            Op::Login(S1),
            Op::monitor(0, 0, Mode::Coach, Some(Scope::NextChat)),
            Op::Ready(0),
        ];
        ops.extend(chat_of(0));
        ops.push(Op::RequestChat(1));
        let accept = Op::Accept { agent: 0, chat: 1 };
        let p = predict(&after(&ops), &accept, "");
        assert!(
            !p.affected.contains(&S1),
            "the used-up supervisor must get nothing"
        );
        assert_eq!(p.quiet_covers.get(&S1), Some(&"MON-NEXTCHAT"));
        ops.extend([
            accept,
            Op::monitor(0, 0, Mode::Coach, None),
            Op::Cancel {
                supervisor: 0,
                agent: 0,
            },
            Op::RequestChat(2),
        ]);
        let p = predict(&after(&ops), &Op::Accept { agent: 0, chat: 2 }, "");
        assert_eq!(p.quiet_covers.get(&S1), Some(&"MON-CANCEL"));
    }

    #[test]
    fn a_supervisor_must_not_join_while_the_chat_is_only_offered() {
        let ops = [
            Op::Login(A1),
            Op::Login(S1),
            Op::monitor(0, 0, Mode::BargeIn, None),
            Op::Ready(0),
        ];
        let p = predict(&after(&ops), &Op::RequestChat(0), "");
        assert!(!p.affected.contains(&S1));
        assert_eq!(p.quiet_covers.get(&S1), Some(&"JOIN-ON-ACCEPT"));
    }

    #[test]
    fn user_data_is_predicted_as_far_as_the_model_knows_what_it_holds() {
        let op = |act| Op::Act {
            by: S1,
            chat: 0,
            act,
        };
        let shown = |state: &State, act| {
            let p = predict(state, &op(act), "v");
            for_whom(&p, S1)
                .first()
                .map(|e| e.items[0].matchers.get("chat.userData.explore").cloned())
        };
        let fresh = in_chat(Mode::BargeIn);
        // Not there: an update need only say the properties changed, a delete need not work.
        assert_eq!(shown(&fresh, Act::UpdateUserData), Some(None));
        assert_eq!(shown(&fresh, Act::DeleteUserData), None);
        assert_eq!(shown(&fresh, Act::AttachUserData), Some(Some(json!("v"))));
        let attached = fresh.clone().apply(&op(Act::AttachUserData));
        assert_eq!(
            shown(&attached, Act::UpdateUserData),
            Some(Some(json!("v")))
        );
        assert_eq!(
            shown(&attached, Act::DeleteUserData),
            Some(Some(json!({"$absent": true})))
        );
        // Attached, it is not attached again; updated while not there, what it holds is
        // unknown until deleted.
        assert!(!attached.allows(&op(Act::AttachUserData)));
        let unknown = fresh.apply(&op(Act::UpdateUserData));
        assert_eq!(shown(&unknown, Act::UpdateUserData), Some(None));
        assert!(!unknown.allows(&op(Act::AttachUserData)));
        let deleted = unknown.apply(&op(Act::DeleteUserData));
        assert!(deleted.allows(&op(Act::AttachUserData)));
    }

    #[test]
    fn completing_revokes_the_supervisors() {
        let state = in_chat(Mode::BargeIn);
        let p = predict(&state, &Op::Complete { agent: 0, chat: 0 }, "");
        let revoked = &for_whom(&p, S1)[0];
        assert_eq!(revoked.covers, "REVOKE-COMPLETED");
        assert_eq!(revoked.items[0].matchers["chat.state"], "Revoked");
    }
}
