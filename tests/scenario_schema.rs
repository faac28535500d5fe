//! `schemas/scenario.schema.json` describes the scenario format the loader implements: every
//! scenario in `scenarios/` passes it, a valid scenario using every action and matcher operator
//! passes both the schema and the loader, and typical mistakes fail both. The schema is loaded
//! with the rest of `schemas/` through `SchemaSet`, so it also has to compile in that registry.

use std::path::Path;
use std::sync::OnceLock;

use gws_conform::check::schema::SchemaSet;
use gws_conform::scenario::matcher::OPERATORS;
use gws_conform::scenario::{CHAT_OPERATIONS, KnownFixtures, load_str, scenario_files};
use gws_conform::spec::Catalogue;
use serde_json::Value;

const SCHEMA: &str = "scenario.schema.json";

/// Every action key of a step (src/scenario/raw.rs, `RawStep`).
const ACTIONS: &[&str] = &[
    "login",
    "ready",
    "not_ready",
    "logout",
    "monitor",
    "cancel_monitoring",
    "request_chat",
    "customer_op",
    "customer_view",
    "customer_messages",
    "chat_op",
    "refuses",
    "http",
    "expect",
    "bayeux_unknown_client",
    "settle",
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn schemas() -> &'static SchemaSet {
    static SET: OnceLock<SchemaSet> = OnceLock::new();
    SET.get_or_init(|| {
        SchemaSet::from_dir(&root().join("schemas"))
            .unwrap_or_else(|e| panic!("schemas/ loads and compiles: {e}"))
    })
}

fn schema_json() -> Value {
    let text = std::fs::read_to_string(root().join("schemas").join(SCHEMA)).expect("readable");
    serde_json::from_str(&text).expect("the schema is JSON")
}

fn yaml(text: &str, what: &str) -> Value {
    serde_saphyr::from_str::<Value>(text).unwrap_or_else(|e| panic!("{what} is not YAML: {e}"))
}

/// The loader's verdict, with the real catalogue; `Err` holds every message.
fn load(text: &str, fixtures: &dyn KnownFixtures) -> Result<(), Vec<String>> {
    load_str(text, Path::new("x.yaml"), &Catalogue::builtin(), fixtures)
        .map(|_| ())
        .map_err(|errors| errors.iter().map(ToString::to_string).collect())
}

#[test]
fn every_scenario_in_the_repository_passes_the_schema() {
    let files = scenario_files(&root().join("scenarios")).expect("scenarios/ listable");
    assert!(!files.is_empty(), "no scenario files in scenarios/");
    let fixture_exists = |name: &str| {
        root()
            .join("fixtures")
            .join(format!("{name}.json"))
            .is_file()
    };
    let mut failures = Vec::new();
    for file in &files {
        let shown = file.strip_prefix(root()).unwrap_or(file).display();
        let text = std::fs::read_to_string(file).expect("readable");
        let value = match serde_saphyr::from_str::<Value>(&text) {
            Ok(value) => value,
            Err(e) => {
                failures.push(format!("{shown}: not YAML: {e}"));
                continue;
            }
        };
        let errors = schemas().validate(SCHEMA, &value);
        if !errors.is_empty() {
            // Say what the loader thinks too: it decides whether the schema or the file is wrong.
            let loader = match load(&text, &fixture_exists) {
                Ok(()) => "the loader accepts it".to_owned(),
                Err(e) => format!("the loader rejects it too: {}", e.join("; ")),
            };
            failures.push(format!(
                "{shown} ({loader}):\n    {}",
                errors.join("\n    ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} scenario files fail {SCHEMA}:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

/// Every action, every step key, every matcher operator (and a literal map matcher).
const EVERYTHING: &str = r#"
name: schema-every-feature
description: Uses every action, every optional key and every matcher operator once.
covers: [MON-MODE, CAP-COACH]
tags: [schema, example]
ignore: an example for the schema test, not meant to run
actors:
  agent: {role: agent, user: agent1, nickname: Ann}
  supervisor: {role: supervisor, user: supervisor1}
  customer: {role: customer, nickname: Chris}
steps:
  - login: agent
    note: Logs in first.
  - ready: agent
  - login: supervisor
  - not_ready: supervisor
  - monitor: {supervisor: supervisor, agent: agent, mode: Coach, scope: AllChats, nickname: Sam}
    covers: [MON-MODE]
  - request_chat: {customer: customer, subject: Billing, user_data: {Account: "4711"}}
  - expect:
      actor: agent
      order: sequence
      within: 5000
      channel: /v2/me/chats
      notifications:
        - match: {notificationType: StatusChange, chat.state: Invited}
          count: 1
          capture: {chat: chat.id}
  - chat_op: {actor: agent, chat: "${chat}", operation: Accept, params: {nickname: Ann}}
    capture: {accept_ref: referenceId?}
  - covers: [CAP-COACH]
    expect:
      actor: supervisor
      order: exact
      within: 3000
      quiet: 300
      order_requirement: JOIN-ORDER
      notifications:
        - match:
            notificationType: ParticipantsUpdated
            chat.capabilities: {$capabilities_of: Coach}
            chat.participants: {$any: {nickname: Sam, visibility: {$one_of: [Agents, Supervisors]}}}
            chat.participants.9: {$absent: true}
            chat.id: {$present: true}
            chat.state: {$not: {$one_of: [Completed, Revoked]}}
            chat.userData: {Account: "4711"}
            chat.comment: {$eq: {$literal: a map with a dollar key}}
          fixture: chat-started-participants-updated
        - match:
            notificationType: StatusChange
            chat.participants: {$len: 3}
            chat.capabilities: {$contains: [Leave, SendToAgents]}
        - match:
            messageType: MessageLogUpdated
            messages: {$all: {type: ParticipantJoined}}
            messages.0.from: {$none: {nickname: Nobody}}
            chatUri: {$uri_path: "/api/v2/chats/${chat}"}
            referenceId: {$echoes: "${accept_ref}"}
  - expect:
      actor: agent
      order: any
      notifications:
        - match: {notificationType: ParticipantsUpdated, chat.capabilities: {$set: [Accept, Reject]}}
        - match: {messageType: MessageLogUpdated, messages: {$excludes: [{type: Notice}]}}
  - expect:
      actor: agent
      within: 1000
      entries:
        - {type: ParticipantJoined, from.nickname: Sam}
        - {type: {$one_of: [Text, Notice]}}
  - customer_op: {customer: customer, operation: SendMessage, text: Hello}
  - customer_op: {customer: customer, operation: SendStartTypingNotification}
  - customer_view: {customer: customer}
    response: {status: 200, statusCode: 0, match: {chat.participants: {$none: {nickname: Sam}}}}
  - customer_messages: {customer: customer, index: 1}
    capture: {first: messages.0.index}
  - customer_messages: {customer: customer, index: "${first}"}
  - customer_messages: {customer: customer}
  - chat_op: {actor: supervisor, chat: "${chat}", operation: SendMessage, params: {text: "${first}"}}
    response: {status: 403, statusCode: any_error}
  - chat_op: {actor: supervisor, chat: "${chat}", operation: NoSuchOperation}
    response: {status: 400}
  - chat_op: {actor: supervisor, chat: "${chat}", operation: AnotherUnknownOne}
    response: {outcome: refused}
  - refuses:
      actor: supervisor
      chat: "${chat}"
      operations:
        SendMessage: {text: hi}
        Complete:
  - http: {actor: supervisor, method: POST, path: /api/v2/me, body: {operationName: Ready}, headers: {X-Chat: "${chat}"}}
  - http: {method: GET, path: "/api/v2/users/${agent.id}", body: raw text}
    response: {status: 401, match: {statusMessage: {$present: true}}}
  - cancel_monitoring: {supervisor: supervisor, agent: agent}
    response: {outcome: success_or_refused}
  - expect: {actor: agent, quiet: 100, since: operation}
  - settle: 50
  - bayeux_unknown_client: supervisor
  - logout: supervisor
"#;

/// Every key used anywhere in a JSON value.
fn keys(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                out.push(k.clone());
                keys(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| keys(v, out)),
        _ => {}
    }
}

#[test]
fn a_scenario_using_every_feature_passes_the_schema_and_the_loader() {
    let value = yaml(EVERYTHING, "the example");
    let errors = schemas().validate(SCHEMA, &value);
    assert!(errors.is_empty(), "schema errors:\n{}", errors.join("\n"));
    if let Err(errors) = load(EVERYTHING, &|_: &str| true) {
        panic!("loader errors:\n{}", errors.join("\n"));
    }

    // It really does use everything.
    let steps = value["steps"].as_array().expect("steps");
    for action in ACTIONS {
        assert!(
            steps.iter().any(|s| s.get(*action).is_some()),
            "no `{action}` step"
        );
    }
    let mut used = Vec::new();
    keys(&value, &mut used);
    for operator in OPERATORS {
        assert!(used.iter().any(|k| k == operator), "no `{operator}`");
    }
}

#[test]
fn mistakes_fail_the_schema_at_their_path_and_the_loader() {
    const BASE: &str = r#"
name: schema-negative-base
description: A small valid scenario that each case below breaks in one place.
covers: [MON-MODE]
actors:
  agent: {role: agent, user: agent1}
  supervisor: {role: supervisor, user: supervisor1}
  customer: {role: customer}
steps:
  - login: agent
  - login: supervisor
  - monitor: {supervisor: supervisor, agent: agent, mode: Coach}
  - expect:
      actor: supervisor
      notifications:
        - match: {chat.capabilities: {$set: [Leave]}}
          count: 2
"#;
    assert_eq!(
        schemas().validate(SCHEMA, &yaml(BASE, "the base")),
        Vec::<String>::new()
    );
    assert_eq!(load(BASE, &|_: &str| true), Ok(()));

    // (what, replace this, with this, schema error at, loader message contains)
    let cases: &[(&str, &str, &str, &str, &str)] = &[
        (
            "unknown key in an action",
            "mode: Coach}",
            "mode: Coach, scop: AllChats}",
            "/steps/2/monitor: ",
            "unknown field `scop`",
        ),
        (
            "unknown key in a step",
            "  - login: supervisor\n",
            "  - login: supervisor\n    notes: typo of note\n",
            "/steps/1: ",
            "unknown field `notes`",
        ),
        (
            "unknown top-level key",
            "covers: [MON-MODE]\n",
            "covers: [MON-MODE]\ncover: [MON-MODE]\n",
            "/: ",
            "unknown field `cover`",
        ),
        (
            "two actions in one step",
            "  - login: supervisor\n",
            "  - login: supervisor\n    ready: agent\n",
            "/steps/1: ",
            "exactly one action",
        ),
        (
            "no action in a step",
            "  - login: supervisor\n",
            "  - login: supervisor\n  - note: nothing to do\n",
            "/steps/2: ",
            "a step needs an action",
        ),
        (
            "bad mode",
            "mode: Coach}",
            "mode: Coaching}",
            "/steps/2/monitor/mode: ",
            "unknown mode `Coaching`",
        ),
        (
            "bad matcher operator",
            "{$set: [Leave]}",
            "{$sett: [Leave]}",
            "/steps/3/expect/notifications/0/match/chat.capabilities: ",
            "unknown matcher operator `$sett`",
        ),
        (
            "operator with a second key",
            "{$set: [Leave]}",
            "{$set: [Leave], extra: 1}",
            "/steps/3/expect/notifications/0/match/chat.capabilities: ",
            "must be the only key",
        ),
        (
            "operator argument of the wrong type",
            "{$set: [Leave]}",
            "{$set: Leave}",
            "/steps/3/expect/notifications/0/match/chat.capabilities/$set: ",
            "takes a list",
        ),
        (
            "count 0",
            "count: 2",
            "count: 0",
            "/steps/3/expect/notifications/0/count: ",
            "`count` must be at least 1",
        ),
        (
            "within over the limit",
            "      actor: supervisor\n",
            "      actor: supervisor\n      within: 600001\n",
            "/steps/3/expect/within: ",
            "`within` is at most 600000 ms",
        ),
        (
            "customer with a user",
            "customer: {role: customer}",
            "customer: {role: customer, user: agent2}",
            "/actors/customer: ",
            "customers have no `user`",
        ),
        (
            "agent without a user",
            "agent: {role: agent, user: agent1}",
            "agent: {role: agent}",
            "/actors/agent: ",
            "needs `user`",
        ),
        (
            "response on an expect step",
            "          count: 2\n",
            "          count: 2\n    response: {status: 200}\n",
            "/steps/3: ",
            "takes no `response` or `capture`",
        ),
    ];
    let mut problems = Vec::new();
    for (what, from, to, at, loader_says) in cases {
        assert!(BASE.contains(from), "{what}: the base has no {from:?}");
        let text = BASE.replacen(from, to, 1);
        let errors = schemas().validate(SCHEMA, &yaml(&text, what));
        if !errors.iter().any(|e| e.starts_with(at)) {
            problems.push(format!(
                "{what}: expected a schema error at {at:?}, got {errors:#?}"
            ));
        }
        match load(&text, &|_: &str| true) {
            Ok(()) => problems.push(format!("{what}: the loader accepts it")),
            Err(messages) if !messages.iter().any(|m| m.contains(loader_says)) => problems.push(
                format!("{what}: the loader says {messages:#?}, not {loader_says:?}"),
            ),
            Err(_) => {}
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_schema_lists_what_the_loader_knows() {
    let schema = schema_json();
    assert_eq!(
        schema["$id"],
        "https://gws-conform.dev/schemas/scenario.schema.json"
    );
    let names = |value: &Value| -> Vec<String> {
        value.as_object().expect("a map").keys().cloned().collect()
    };
    let strings = |value: &Value| -> Vec<String> {
        value
            .as_array()
            .expect("a list")
            .iter()
            .map(|v| v.as_str().expect("a string").to_owned())
            .collect()
    };
    let defs = &schema["$defs"];
    assert_eq!(names(&defs["operator"]["properties"]), OPERATORS);
    assert_eq!(strings(&defs["chatOperation"]["enum"]), CHAT_OPERATIONS);
    let step_keys = names(&defs["step"]["properties"]);
    for action in ACTIONS {
        assert!(step_keys.iter().any(|k| k == action), "step lacks {action}");
    }
    let one_of: Vec<String> = defs["step"]["oneOf"]
        .as_array()
        .expect("oneOf")
        .iter()
        .flat_map(|branch| strings(&branch["required"]))
        .collect();
    assert_eq!(one_of, ACTIONS);
}

#[test]
fn every_key_of_the_schema_has_a_description() {
    fn walk(node: &Value, at: &str, missing: &mut Vec<String>) {
        let Value::Object(map) = node else { return };
        for keyword in ["properties", "$defs"] {
            if let Some(Value::Object(children)) = map.get(keyword) {
                for (name, child) in children {
                    let here = format!("{at}/{keyword}/{name}");
                    if child.get("description").and_then(Value::as_str).is_none() {
                        missing.push(here.clone());
                    }
                }
            }
        }
        for (key, child) in map {
            match child {
                Value::Object(_) => walk(child, &format!("{at}/{key}"), missing),
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        walk(item, &format!("{at}/{key}/{i}"), missing);
                    }
                }
                _ => {}
            }
        }
    }
    let schema = schema_json();
    let mut missing = Vec::new();
    walk(&schema, "#", &mut missing);
    // Conditional branches only restate keys described elsewhere.
    missing.retain(|m| !m.contains("/if/") && !m.contains("/then/") && !m.contains("/else/"));
    assert!(missing.is_empty(), "no description: {missing:#?}");
}
