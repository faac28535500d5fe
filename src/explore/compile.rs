//! Turns a sequence of operations into an ordinary scenario: each operation's steps, then
//! what its prediction says each affected actor must receive, then a quiet window
//! (`since: operation`) for every other actor logged in. The scenario is YAML text, so
//! what explore runs is exactly what it writes to `explore-<seed>.yaml` for `run`.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::model::{EXPLORE_KEY, ExploreKey, State};
use super::op::{Act, Op, Person, customer_actor};
use super::predict::{DISPOSITION, DISPOSITION_KEY, Expected, Prediction, predict};
use super::world::World;

/// How long a quiet window may last as written: the run shortens it to what the delivery
/// latencies it observed make plausible (`--quiet-scale`, `--quiet-min`).
const QUIET_MS: u64 = 1_000;

/// A compiled exploration.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The scenario, as YAML.
    pub yaml: String,
    /// For each step of the scenario, the index of the operation it belongs to.
    pub step_ops: Vec<usize>,
    /// The requirements the steps cover.
    pub covers: BTreeSet<&'static str>,
}

fn chat_ref(person: Person, chat: usize) -> String {
    format!("${{{}}}", person.chat_var(chat))
}

/// Text unique to operation `index` (messages, user data), so entries are told apart.
fn text_of(index: usize) -> String {
    format!("explore {}", index + 1)
}

fn params(act: Act, text: &str) -> Value {
    match act {
        Act::SendMessage | Act::SendToAgents => json!({"text": text}),
        Act::UpdateUserData | Act::AttachUserData => json!({"userData": {EXPLORE_KEY: text}}),
        Act::DeleteUserData => json!({"keys": [EXPLORE_KEY]}),
        Act::AddComment => json!({"comment": text}),
        Act::SetDisposition => {
            json!({"disposition": DISPOSITION, "dispositionKey": DISPOSITION_KEY})
        }
        Act::TypingStarted
        | Act::TypingStopped
        | Act::TypingToAgentsStarted
        | Act::TypingToAgentsStopped
        | Act::SetInFocus => Value::Null,
    }
}

fn chat_op(by: Person, chat: usize, operation: &str, params: Value) -> Value {
    let mut op = json!({"actor": by.actor(), "chat": chat_ref(by, chat), "operation": operation});
    if !params.is_null() {
        op["params"] = params;
    }
    json!({"chat_op": op})
}

fn supervisor_nickname(s: usize) -> String {
    format!("Supervisor{}", s + 1)
}

/// The parameters of an operation a supervisor tries outside its capabilities: valid ones, so
/// that a refusal can only be for the capability.
fn refused_params(state: &State, chat: usize, operation: &str, text: &str) -> Value {
    let target = (0..state.agents.len())
        .find(|a| state.agents[*a].logged_in && !state.chats[chat].agents.contains_key(a));
    match operation {
        "Invite" | "Consult" => match target {
            Some(a) => json!({"targetUri": format!("${{{}.uri}}", Person::Agent(a).actor())}),
            None => Value::Null,
        },
        "Transfer" => json!({"queueName": "explore"}),
        _ => Act::ALL
            .into_iter()
            .find(|act| act.operation() == operation)
            .map_or(Value::Null, |act| params(act, text)),
    }
}

/// The steps that perform `op` in `state`.
fn op_steps(state: &State, op: &Op, text: &str) -> Vec<Value> {
    match *op {
        Op::Login(p) => vec![json!({"login": p.actor()})],
        Op::Logout(p) => vec![json!({"logout": p.actor()})],
        Op::Ready(a) => vec![json!({"ready": Person::Agent(a).actor()})],
        Op::NotReady(a) => vec![json!({"not_ready": Person::Agent(a).actor()})],
        Op::Monitor {
            supervisor,
            agent,
            mode,
            scope,
        } => {
            let mut monitor = json!({
                "supervisor": Person::Supervisor(supervisor).actor(),
                "agent": Person::Agent(agent).actor(),
                "mode": mode.name(),
                "nickname": supervisor_nickname(supervisor),
            });
            if let Some(scope) = scope {
                monitor["scope"] = json!(scope.name());
            }
            vec![json!({"monitor": monitor})]
        }
        Op::Cancel { supervisor, agent } => vec![json!({"cancel_monitoring": {
            "supervisor": Person::Supervisor(supervisor).actor(),
            "agent": Person::Agent(agent).actor(),
        }})],
        Op::RequestChat(c) => {
            vec![json!({"request_chat": {"customer": customer_actor(c), "subject": "Explore"}})]
        }
        Op::Accept { agent, chat } => {
            let who = Person::Agent(agent);
            let nickname = format!("Agent{}", agent + 1);
            vec![chat_op(who, chat, "Accept", json!({"nickname": nickname}))]
        }
        Op::Reject { agent, chat } => {
            let who = Person::Agent(agent);
            let mut steps = Vec::new();
            if state.agents[agent].ready {
                steps.push(json!({"not_ready": who.actor()}));
            }
            steps.push(chat_op(who, chat, "Reject", Value::Null));
            steps
        }
        Op::Act { by, chat, act } => {
            let mut step = chat_op(by, chat, act.operation(), params(act, text));
            // Deleting a key that may not be there: the documents do not say whether that
            // is refused.
            if act == Act::DeleteUserData && state.chats[chat].explore_key != ExploreKey::Present {
                step["response"] = json!({"outcome": "success_or_refused"});
            }
            vec![step]
        }
        Op::Invite {
            by,
            chat,
            target,
            consult,
        } => {
            let operation = if consult { "Consult" } else { "Invite" };
            let target = format!("${{{}.uri}}", Person::Agent(target).actor());
            vec![chat_op(by, chat, operation, json!({"targetUri": target}))]
        }
        Op::Leave { by, chat } => vec![chat_op(by, chat, "Leave", Value::Null)],
        Op::Complete { agent, chat } => {
            vec![chat_op(Person::Agent(agent), chat, "Complete", Value::Null)]
        }
        Op::Transfer { by, chat } => {
            vec![chat_op(
                by,
                chat,
                "Transfer",
                json!({"queueName": "explore"}),
            )]
        }
        Op::Switch {
            supervisor,
            chat,
            to,
        } => {
            let operation = format!("SwitchTo{}", to.name());
            vec![chat_op(
                Person::Supervisor(supervisor),
                chat,
                &operation,
                Value::Null,
            )]
        }
        Op::Refused {
            supervisor,
            chat,
            operation,
        } => {
            let who = Person::Supervisor(supervisor);
            let mut operations = Map::new();
            operations.insert(
                operation.to_owned(),
                refused_params(state, chat, operation, text),
            );
            vec![json!({"refuses": {
                "actor": who.actor(),
                "chat": chat_ref(who, chat),
                "operations": operations,
            }})]
        }
        Op::AgentMonitors {
            agent,
            target,
            mode,
        } => vec![json!({
            "http": {
                "actor": Person::Agent(agent).actor(),
                "method": "POST",
                "path": format!("/api/v2/users/${{{}.id}}/channels/chat", Person::Agent(target).actor()),
                "body": {"operationName": mode.name()},
            },
            "response": {"outcome": "refused"},
        })],
        Op::CustomerMessage(c) => vec![json!({"customer_op": {
            "customer": customer_actor(c), "operation": "SendMessage", "text": text,
        }})],
        Op::CustomerReads(c) => vec![
            json!({"customer_messages": {"customer": customer_actor(c), "index": 0}}),
            json!({"customer_view": {"customer": customer_actor(c)}}),
        ],
        Op::CustomerWithdraws(c) => vec![json!({"customer_op": {
            "customer": customer_actor(c), "operation": "Complete",
        }})],
    }
}

fn expectation(expected: &Expected, within: Option<Duration>) -> Value {
    let mut expect =
        json!({"actor": expected.person.actor(), "order": "any", "since": "operation"});
    if let Some(within) = within {
        expect["within"] = json!(within.as_millis());
    }
    if expected.entries.is_empty() {
        let items: Vec<Value> = expected
            .items
            .iter()
            .map(|item| {
                let mut value = json!({"match": item.matchers});
                if let Some((name, path)) = &item.capture {
                    value["capture"] = json!({name.as_str(): path});
                }
                value
            })
            .collect();
        expect["notifications"] = Value::Array(items);
    } else {
        expect["entries"] = Value::Array(expected.entries.clone());
    }
    json!({"covers": [expected.covers], "expect": expect})
}

/// The steps checking what `prediction` says, once the operation has been applied
/// (`after` is the state then), each expectation waiting `within` (the default when `None`).
fn checks(prediction: &Prediction, after: &State, within: Option<Duration>) -> Vec<Value> {
    let mut steps: Vec<Value> = prediction
        .expected
        .iter()
        .map(|expected| expectation(expected, within))
        .collect();
    for person in after.logged_in_people() {
        if !prediction.affected.contains(&person) {
            let covers = prediction
                .quiet_covers
                .get(&person)
                .unwrap_or(&prediction.covers);
            steps.push(json!({
                "covers": [covers],
                "expect": {"actor": person.actor(), "quiet": QUIET_MS, "since": "operation"},
            }));
        }
    }
    // With no quiet window to wait out, the next operation would start before what this one
    // may still send (a notification the documents allow but do not require) has come.
    let waited = steps
        .iter()
        .any(|step| step["expect"].get("quiet").is_some());
    if !waited {
        steps.push(json!({"settle": QUIET_MS}));
    }
    steps
}

fn actors(world: World, used: &BTreeSet<String>) -> Map<String, Value> {
    let mut actors = Map::new();
    for a in 0..world.agents {
        let who = Person::Agent(a);
        if used.contains(&who.actor()) {
            let actor =
                json!({"role": "agent", "user": who.user(), "nickname": format!("Agent{}", a + 1)});
            actors.insert(who.actor(), actor);
        }
    }
    for s in 0..world.supervisors {
        let who = Person::Supervisor(s);
        if used.contains(&who.actor()) {
            actors.insert(
                who.actor(),
                json!({"role": "supervisor", "user": who.user()}),
            );
        }
    }
    for c in 0..world.customers {
        let name = customer_actor(c);
        if used.contains(&name) {
            let actor = json!({"role": "customer", "nickname": format!("Customer{}", c + 1)});
            actors.insert(name, actor);
        }
    }
    actors
}

/// Every actor name a step mentions.
fn mentioned(step: &Value, into: &mut BTreeSet<String>) {
    match step {
        Value::String(s) => {
            into.insert(s.clone());
        }
        Value::Array(items) => items.iter().for_each(|v| mentioned(v, into)),
        Value::Object(map) => map.values().for_each(|v| mentioned(v, into)),
        _ => {}
    }
}

/// The scenario for `ops`, applied from a world where nobody is logged in; each predicted
/// notification is waited for `within` (the scenario format's default when `None`).
pub fn compile(
    name: &str,
    description: &str,
    world: World,
    ops: &[Op],
    within: Option<Duration>,
) -> Compiled {
    let mut state = State::new(world);
    let mut steps = Vec::new();
    let mut step_ops = Vec::new();
    let mut covers = BTreeSet::new();
    for (index, op) in ops.iter().enumerate() {
        let text = text_of(index);
        let prediction = predict(&state, op, &text);
        let mut these = op_steps(&state, op, &text);
        if let Some(first) = these.first_mut().and_then(Value::as_object_mut) {
            first.insert("note".to_owned(), json!(op.to_string()));
            first.insert("covers".to_owned(), json!([prediction.covers]));
        }
        state = state.apply(op);
        these.extend(checks(&prediction, &state, within));
        covers.insert(prediction.covers);
        covers.extend(prediction.expected.iter().map(|e| e.covers));
        step_ops.extend(std::iter::repeat_n(index, these.len()));
        steps.extend(these);
    }
    let mut used = BTreeSet::new();
    steps.iter().for_each(|step| mentioned(step, &mut used));
    let scenario = json!({
        "name": name,
        "description": description,
        "covers": covers.iter().collect::<Vec<_>>(),
        "tags": ["explore"],
        "actors": actors(world, &used),
        "steps": steps,
    });
    let yaml = serde_saphyr::to_string(&scenario).unwrap_or_else(|e| {
        // A JSON value always has a YAML form; this is the serializer failing.
        format!("# the scenario could not be written as YAML: {e}\n")
    });
    Compiled {
        yaml,
        step_ops,
        covers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explore::search::{Budget, Settings, strategy};
    use crate::scenario::load_str;
    use crate::spec::Catalogue;
    use proptest::prelude::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    use std::path::Path;
    use std::time::Duration;

    fn settings(world: World) -> Settings {
        Settings {
            world,
            seed: 1,
            budget: Budget::Steps(40),
            length: 40,
            shrink_time: Duration::ZERO,
            jobs: 1,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Every sequence the model generates compiles to a scenario that loads: explore
        /// never writes a file `run` refuses.
        #[test]
        fn every_generated_sequence_compiles_to_a_scenario_that_loads(seed in any::<u64>(), agents in 1usize..4, customers in 1usize..5) {
            let world = World { agents, supervisors: 2, customers };
            let mut runner = TestRunner::new_with_rng(
                proptest::test_runner::Config::default(),
                proptest::test_runner::TestRng::from_seed(
                    proptest::test_runner::RngAlgorithm::ChaCha,
                    &[seed.to_le_bytes(), [0; 8], [0; 8], [0; 8]].concat(),
                ),
            );
            let (_, ops, _) = strategy(&settings(world)).new_tree(&mut runner).unwrap().current();
            let compiled = compile("explore-1", "generated", world, &ops, None);
            let fixtures = |_: &str| false;
            let loaded = load_str(&compiled.yaml, Path::new("explore-1.yaml"), Catalogue::builtin_shared(), &fixtures);
            prop_assert!(loaded.is_ok(), "{:?}\n{}", loaded.err(), compiled.yaml);
            let scenario = loaded.unwrap();
            prop_assert_eq!(scenario.steps.len(), compiled.step_ops.len());
            prop_assert_eq!(compiled.step_ops.last().copied(), Some(ops.len() - 1));
        }
    }

    #[test]
    fn unaffected_actors_get_a_quiet_window_from_the_operation() {
        let a1 = Person::Agent(0);
        let s1 = Person::Supervisor(0);
        let ops = [
            Op::Login(a1),
            Op::Login(s1),
            Op::monitor(0, 0, crate::spec::Mode::Coach, None),
        ];
        let compiled = compile("explore-1", "d", World::default(), &ops, None);
        let last: Vec<&str> = compiled.yaml.lines().rev().take(12).collect();
        let text = last.join("\n");
        assert!(text.contains("since: operation"), "{}", compiled.yaml);
        assert_eq!(
            compiled.yaml.matches("quiet: 1000").count(),
            3,
            "{}",
            compiled.yaml
        );
        // After the first login nobody else is logged in to wait a window out.
        assert_eq!(
            compiled.yaml.matches("settle: 1000").count(),
            1,
            "{}",
            compiled.yaml
        );
    }
}
