//! The checks against the embedded reference server's own output: its domain state machine
//! (`World`) is driven through a Coach-mode join, messages, a mode switch and the end of the
//! chat, and every notification and customer view goes through the schema check, the
//! invariants and (for the join) the example diff. The server follows the rulings, so nothing
//! may fail; tampering with one notification must.

use std::path::Path;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::diff::{Errata, Example, Masks, TABLE_FORM_VERDICT, diff_against_example};
use super::invariants::{ActorInfo, CustomerView, InvariantChecker, Role};
use super::schema::SchemaSet;
use super::{Finding, ResponseRef, Verdict};
use crate::server::directory::Directory;
use crate::server::ids::IdGen;
use crate::server::world::model::Mode;
use crate::server::world::{ChatOp, Delivery, Scope, World};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn load(path: &str) -> Value {
    let text = std::fs::read_to_string(root().join(path)).expect("readable");
    serde_json::from_str(&text).expect("JSON")
}

/// A world with agent1 Ready and supervisor1 logged in, and their ids.
fn world() -> (World, String, String) {
    let ids = Arc::new(IdGen::new());
    let directory = Directory::builtin(&ids);
    let id = |name: &str| {
        directory
            .by_name(name)
            .map(|u| u.id.clone())
            .expect("built-in user")
    };
    let (agent, supervisor) = (id("agent1"), id("supervisor1"));
    let mut world = World::new(std::sync::Arc::new(directory), ids, "http://127.0.0.1:8080");
    let chat = ["chat".to_owned()];
    world.start_session(&agent, &chat).expect("agent session");
    world
        .start_session(&supervisor, &chat)
        .expect("supervisor session");
    world.set_ready(&agent, true).expect("ready");
    (world, agent, supervisor)
}

fn op(name: &str, extra: Value) -> ChatOp {
    let mut body = Map::new();
    body.insert("operationName".into(), json!(name));
    if let Value::Object(more) = extra {
        body.extend(more);
    }
    ChatOp::parse(&body).expect("valid operation")
}

/// Every check over one run; `deliver` feeds notifications, `finish` ends it.
struct Harness {
    schemas: SchemaSet,
    checker: InvariantChecker,
    agent: ActorInfo,
    supervisor: ActorInfo,
    seq: u64,
    findings: Vec<Finding>,
    /// The supervisor's chat notifications, in order.
    supervisor_saw: Vec<Value>,
}

impl Harness {
    fn new(agent_id: &str, supervisor_id: &str) -> Self {
        let schemas = SchemaSet::from_dir(&root().join("schemas")).expect("schemas load");
        Self {
            schemas,
            checker: InvariantChecker::new(),
            agent: ActorInfo {
                name: "agent".into(),
                role: Role::Agent,
                user_id: Some(agent_id.into()),
            },
            supervisor: ActorInfo {
                name: "supervisor".into(),
                role: Role::Supervisor,
                user_id: Some(supervisor_id.into()),
            },
            seq: 0,
            findings: Vec::new(),
            supervisor_saw: Vec::new(),
        }
    }

    fn deliver(&mut self, deliveries: Vec<Delivery>, tamper: &dyn Fn(&ActorInfo, &mut Value)) {
        for delivery in deliveries {
            let who = if Some(&delivery.user_id) == self.agent.user_id.as_ref() {
                self.agent.clone()
            } else {
                self.supervisor.clone()
            };
            let mut data = Value::clone(&delivery.data);
            tamper(&who, &mut data);
            self.seq += 1;
            self.findings
                .extend(self.schemas.validate_notification(&data));
            self.findings
                .extend(self.checker.observe(&who, self.seq, &data));
            if who.role == Role::Supervisor && delivery.channel == "/v2/me/chats" {
                self.supervisor_saw.push(data);
            }
        }
    }

    fn reference(&mut self, actor: &str, reference: u64) {
        self.checker.expect_reference(actor, &json!(reference));
    }
}

/// Drives a Coach-mode supervision; `tamper` may alter notifications before they are checked.
fn run(tamper: &dyn Fn(&ActorInfo, &mut Value)) -> Harness {
    let (mut world, agent, supervisor) = world();
    let mut harness = Harness::new(&agent, &supervisor);
    world
        .start_monitoring(&supervisor, &agent, Mode::Coach, Scope::AllChats, None)
        .expect("monitoring");
    let customer_chat = world
        .request_chat(
            "default".into(),
            "Chris".into(),
            "Billing".into(),
            Map::new(),
        )
        .expect("a chat below the open-chat cap");
    let offer = world.take_outbox();
    let chat_id = offer
        .iter()
        .find_map(|d| {
            d.data
                .pointer("/chat/id")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .expect("an offer");
    harness.deliver(offer, tamper);

    let reference = world
        .chat_operation(&agent, &chat_id, op("Accept", json!({})))
        .expect("accept");
    harness.reference("agent", reference);
    harness.deliver(world.take_outbox(), tamper);

    let reference = world
        .chat_operation(
            &supervisor,
            &chat_id,
            op("SendToAgents", json!({"text": "psst"})),
        )
        .expect("coach message");
    harness.reference("supervisor", reference);
    harness.deliver(world.take_outbox(), tamper);
    let reference = world
        .chat_operation(
            &agent,
            &chat_id,
            op("SendMessage", json!({"text": "hello"})),
        )
        .expect("agent message");
    harness.reference("agent", reference);
    harness.deliver(world.take_outbox(), tamper);

    let polled = ResponseRef {
        actor: "customer".into(),
        step: None,
        path: None,
    };
    let view = json!({"chat": world.customer_view(&customer_chat).expect("customer view")});
    let messages =
        json!({"messages": world.customer_messages(&customer_chat, Some(1)).expect("messages")});
    harness
        .checker
        .observe_customer_view(&polled, &customer_chat, CustomerView::Chat(&view));
    harness.checker.observe_customer_view(
        &polled,
        &customer_chat,
        CustomerView::Messages(&messages),
    );

    let reference = world
        .chat_operation(&supervisor, &chat_id, op("SwitchToMonitor", json!({})))
        .expect("switch");
    harness.reference("supervisor", reference);
    harness.deliver(world.take_outbox(), tamper);
    let reference = world
        .chat_operation(&agent, &chat_id, op("Complete", json!({})))
        .expect("complete");
    harness.reference("agent", reference);
    harness.deliver(world.take_outbox(), tamper);
    let end = harness.checker.finish();
    harness
        .findings
        .extend(end.into_iter().map(|located| located.finding));
    harness
}

#[test]
fn the_reference_server_passes_every_check() {
    let harness = run(&|_, _| {});
    assert_eq!(harness.findings, Vec::<Finding>::new());
    let kinds: Vec<String> = harness
        .supervisor_saw
        .iter()
        .map(|d| {
            format!(
                "{}/{}",
                d["messageType"].as_str().unwrap_or("?"),
                d["notificationType"].as_str().unwrap_or("?")
            )
        })
        .collect();
    assert_eq!(
        kinds[..3],
        [
            "ChatStateChangeMessage/ParticipantsUpdated",
            "ChatStateChangeMessage/StatusChange",
            "MessageLogUpdated/NewMessages"
        ]
    );
}

#[test]
fn the_reference_server_join_matches_the_documented_examples() {
    let harness = run(&|_, _| {});
    let errata = Errata::parse(
        &std::fs::read_to_string(root().join("fixtures/errata.json")).expect("readable"),
    )
    .expect("errata parse");
    let masks = Masks::default();
    let revoked = harness.supervisor_saw.last().cloned().unwrap_or_default();
    for (name, actual, verdict) in [
        (
            "chat-started-participants-updated",
            &harness.supervisor_saw[0],
            Some(TABLE_FORM_VERDICT),
        ),
        (
            "chat-started-status-change",
            &harness.supervisor_saw[1],
            Some(TABLE_FORM_VERDICT),
        ),
        (
            "chat-started-message-log-updated",
            &harness.supervisor_saw[2],
            None,
        ),
        ("chat-completed-status-change-revoked", &revoked, None),
    ] {
        let fixture = load(&format!("fixtures/{name}.json"));
        let example = Example {
            name,
            value: &fixture,
            errata: &errata,
        };
        let outcome = diff_against_example(actual, &example, &masks);
        assert_eq!(
            outcome.verdict, verdict,
            "{name}:\n{}\n{}",
            outcome.diff, outcome.residual
        );
        assert!(outcome.residual.is_empty(), "{name}:\n{}", outcome.residual);
    }
}

#[test]
fn a_tampered_reference_run_fails_the_checks() {
    // The supervisor is shown the BargeIn visibility while holding the Coach capabilities.
    let harness = run(&|who, data| {
        if who.role != Role::Supervisor {
            return;
        }
        if let Some(list) = data
            .pointer_mut("/chat/participants")
            .and_then(Value::as_array_mut)
        {
            for p in list {
                if p["visibility"] == "Agents" {
                    p["visibility"] = json!("All");
                }
            }
        }
    });
    let failing: Vec<(&str, &str)> = harness
        .findings
        .iter()
        .filter(|f| f.verdict == Verdict::Fail)
        .map(|f| (f.check.as_str(), f.requirement.as_str()))
        .collect();
    assert!(
        failing.contains(&("invariant.supervisor-visibility", "VIS-COACH")),
        "{failing:?}"
    );
}
