//! Fuzz target: arbitrary bytes as what a target server sent during a scenario, through every
//! check the harness applies to notifications: schema validation and the invariants
//! (`Verifier::check_run`, which drives `check::invariants`, `check::visibility` and
//! `check::modes`), the diff against the documented examples (`check::diff`), and the built-in
//! scenarios' expectation matchers with their mismatch diffs. Findings are expected; a panic,
//! a hang, unbounded memory, or two runs of the checks over the same events disagreeing is a
//! bug.
//!
//! The input is JSON: one value or an array of items, each item one of
//! - `{"to": ACTOR, "data": NOTIFICATION}`: a notification `ACTOR` received;
//! - `{"to": ACTOR, "url": URL, "response": BODY}` (and optionally `"method"`, default `GET`):
//!   an HTTP exchange of `ACTOR`, i.e. a customer's polled view (by its URL) or a response
//!   carrying a `referenceId`;
//! - anything else: a notification that both the agent and the supervisor received.
//!
//! An actor's role comes from its name: `customer…` is a customer, `supervisor…` a supervisor,
//! anything else an agent; an agent or supervisor named `NAME` has the user id `NAME-user-id`.
//! The seeds are real runs' exchanges and notifications with the actors renamed and their user
//! ids rewritten this way, so a supervisor finds its own participant as in a real run.
//!
//! Inputs are mutated as JSON documents ([`json_mutator`]), so most of them reach the checks.

#![no_main]

mod json_mutator;

use std::collections::HashMap;
use std::sync::LazyLock;

use gws_conform::check::invariants::{ActorInfo, Role};
use gws_conform::embedded;
use gws_conform::event::RunEvent;
use gws_conform::run::verify::Verifier;
use gws_conform::scenario;
use gws_conform::scenario::matcher::{MatchError, Matchers};
use gws_conform::scenario::model::Action;
use gws_conform::scenario::template::Variables;
use gws_conform::spec::Catalogue;
use libfuzzer_sys::{fuzz_mutator, fuzz_target};
use serde_json::Value;

const SCENARIO: &str = "fuzz";

/// How many of the built-in suite's expectations each notification is matched against.
const MATCHERS_PER_NOTIFICATION: usize = 4;

static VERIFIER: LazyLock<Verifier> =
    LazyLock::new(|| Verifier::builtin().expect("the built-in schemas and fixtures load"));

/// The documented examples' names (the fixture files but the errata list).
static FIXTURES: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    embedded::FIXTURES
        .iter()
        .filter_map(|(file, _)| file.strip_suffix(".json"))
        .filter(|name| *name != "errata")
        .collect()
});

/// Every expected notification's matchers in the built-in suite.
static MATCHERS: LazyLock<Vec<Matchers>> = LazyLock::new(|| {
    let fixture_exists = |name: &str| VERIFIER.has_fixture(name);
    let scenarios = scenario::load_builtin(&Catalogue::builtin(), &fixture_exists)
        .expect("the built-in suite loads");
    scenarios
        .iter()
        .flat_map(|s| &s.steps)
        .filter_map(|step| match &step.action {
            Action::Expect(expectation) => Some(expectation),
            _ => None,
        })
        .flat_map(|expectation| &expectation.items)
        .map(|item| item.matchers.clone())
        .collect()
});

/// The built-in suite's variables, each given a value, so matchers that use them get past
/// the lookup to the comparison.
static VARIABLES: LazyLock<Variables> = LazyLock::new(|| {
    let mut vars = Variables::default();
    for name in MATCHERS.iter().flat_map(Matchers::variables) {
        vars.set(name, Value::String("00048aAPEQN5000N".to_owned()));
    }
    vars
});

/// The actors the events name, with the role and user id their names give.
fn actors(events: &[RunEvent]) -> Vec<ActorInfo> {
    let mut actors: Vec<ActorInfo> = Vec::new();
    for event in events {
        let name = match event {
            RunEvent::Notification { actor, .. } => actor,
            RunEvent::Exchange {
                actor: Some(actor), ..
            } => actor,
            _ => continue,
        };
        if actors.iter().any(|a| &a.name == name) {
            continue;
        }
        let role = if name.starts_with("customer") {
            Role::Customer
        } else if name.starts_with("supervisor") {
            Role::Supervisor
        } else {
            Role::Agent
        };
        actors.push(ActorInfo {
            name: name.clone(),
            role,
            user_id: (role != Role::Customer).then(|| format!("{name}-user-id")),
        });
    }
    actors
}

/// Turns the input's items into the events a run would have recorded.
fn events(items: Vec<Value>) -> Vec<RunEvent> {
    let mut seqs: HashMap<String, u64> = HashMap::new();
    let mut notification = |actor: &str, data: Value| {
        let seq = seqs.entry(actor.to_owned()).or_default();
        let event = RunEvent::Notification {
            scenario: SCENARIO.to_owned(),
            actor: actor.to_owned(),
            seq: *seq,
            channel: "/v2/me/chats".to_owned(),
            data,
        };
        *seq += 1;
        event
    };
    let mut events = Vec::new();
    for mut item in items {
        let to = item.get("to").and_then(Value::as_str).map(str::to_owned);
        match to {
            Some(actor) if item.get("data").is_some() => {
                let data = item["data"].take();
                events.push(notification(&actor, data));
            }
            Some(actor) if item.get("url").is_some_and(Value::is_string) => {
                let text = |field: &str, default: &str| {
                    item.get(field)
                        .and_then(Value::as_str)
                        .unwrap_or(default)
                        .to_owned()
                };
                events.push(RunEvent::Exchange {
                    scenario: SCENARIO.to_owned(),
                    actor: Some(actor),
                    step: None,
                    method: text("method", "GET"),
                    url: text("url", ""),
                    request: None,
                    status: Some(200),
                    response: item.get("response").cloned(),
                    elapsed_ms: 0,
                    error: None,
                });
            }
            _ => {
                events.push(notification("agent", item.clone()));
                events.push(notification("supervisor", item));
            }
        }
    }
    events
}

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let items = match value {
        Value::Array(items) => items,
        other => vec![other],
    };
    let events = events(items);
    let actors = actors(&events);
    // Reports and golden tests rely on the same input giving the same findings in the same
    // order (no hash-order leaks), so the checks run twice, each with fresh state.
    let findings = VERIFIER.check_run(&actors, &events);
    assert_eq!(
        findings,
        VERIFIER.check_run(&actors, &events),
        "the same events gave different findings"
    );
    for event in &events {
        let RunEvent::Notification { seq, data, .. } = event else {
            continue;
        };
        // One documented example and a few expectations per notification, picked by its
        // position, keep each input cheap (checking all ~400 expectations against every
        // notification made the target 10 times slower) while every one of them is reached
        // over the run.
        let seq = *seq as usize;
        let fixture = FIXTURES[seq % FIXTURES.len()];
        let _ = VERIFIER.compare_with_fixture(fixture, data);
        for k in 0..MATCHERS_PER_NOTIFICATION {
            let matchers = &MATCHERS[(seq * MATCHERS_PER_NOTIFICATION + k) % MATCHERS.len()];
            if let Err(MatchError::Mismatch(mismatch)) = matchers.check(data, &VARIABLES) {
                let _ = mismatch.diff();
            }
        }
    }
});

/// Values the checks compare against, for the mutator to try.
const WORDS: &[&str] = &[
    "ChatStateChangeMessage",
    "MessageLogUpdated",
    "ChannelStateChangeMessageV2",
    "StatusChange",
    "ParticipantsUpdated",
    "PropertiesUpdated",
    "Chatting",
    "Invited",
    "Revoked",
    "Completed",
    "LeftChat",
    "All",
    "Agents",
    "Supervisors",
    "Agent",
    "Customer",
    "Supervisor",
    "Text",
    "Notice",
    "Leave",
    "SwitchToCoach",
    "SwitchToBargeIn",
    "SwitchBargeIn",
    "SwitchToMonitor",
    "AddComment",
    "SendMessage",
    "agent",
    "agent2",
    "supervisor",
    "supervisor2",
    "customer",
    "supervisor-user-id",
    "agent-user-id",
    "http://gws.example:8090/api/v2/users/supervisor-user-id",
    "http://gws.example:8090/api/v2/chats/00048aAPEQN5000N",
    "http://gws.example:8090/api/v2/chats/00048aAPEQN5000N/messages?index=1",
    "00048aAPEQN5000N",
];

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    json_mutator::mutate(data, size, max_size, seed, WORDS)
});
