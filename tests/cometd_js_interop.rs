//! Interoperability with the official CometD JavaScript client.
//!
//! Proves that the embedded reference server works with an unmodified third-party Bayeux client,
//! not only with our own driver: the npm packages `cometd` and `cometd-nodejs-client` (pinned in
//! `tests/interop/cometd-js/package-lock.json`), long-polling transport only, handshake with HTTP
//! Basic credentials, subscribe, and receive the GWS chat notifications of a full flow — agent1
//! on `/v2/me/chats` is invited, accepts and sees the customer's text, while supervisor1 on
//! `/v2/me/*` monitors agent1 and sees the chat's ParticipantsUpdated, StatusChange and
//! MessageLogUpdated in that order.
//!
//! The flow itself is `tests/interop/cometd-js/agent-flow.mjs`; it prints one JSON line per
//! received notification, and this test checks those lines itself rather than trusting the
//! script's exit status alone. Needs `node` (>= 20) and `npm` on PATH; the packages are installed
//! with `npm ci` on first run (the npm registry must be reachable then).

mod support;

use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use gws_conform::server::{self, ServerConfig};
use serde_json::Value;
use support::node::{ensure_node_modules, interop_dir, program, run_with_deadline};

/// What the customer types; passed to the script so that the assertion below checks the text
/// this test chose, not one the script could have made up.
const CUSTOMER_TEXT: &str = "Hello from Chris, sent through the CometD JS interop test";

/// The script gives up on its own after 60 s and explains why; this is the backstop that keeps
/// a wedged node from hanging `cargo test`.
const FLOW_DEADLINE: Duration = Duration::from_secs(120);

/// One notification line printed by agent-flow.mjs.
struct Notification {
    actor: String,
    channel: String,
    data: Value,
}

impl Notification {
    /// ChatStateChangeMessage carries the chat resource; MessageLogUpdated carries only the
    /// chat's path, `/chats/{id}` (as GWS documents it).
    fn chat_id(&self) -> Option<&str> {
        self.data
            .pointer("/chat/id")
            .and_then(Value::as_str)
            .or_else(|| self.field("chatPath")?.strip_prefix("/chats/"))
    }
    fn chat_state(&self) -> Option<&str> {
        self.data.pointer("/chat/state").and_then(Value::as_str)
    }
    fn field(&self, name: &str) -> Option<&str> {
        self.data.get(name).and_then(Value::as_str)
    }
    fn is_status_change(&self) -> bool {
        self.field("notificationType") == Some("StatusChange")
    }
    fn is_participants_updated(&self) -> bool {
        self.field("notificationType") == Some("ParticipantsUpdated")
    }
    fn is_message_log_updated(&self) -> bool {
        self.field("messageType") == Some("MessageLogUpdated")
    }
    fn has_text(&self, text: &str) -> bool {
        self.data
            .get("messages")
            .and_then(Value::as_array)
            .is_some_and(|messages| {
                messages.iter().any(|m| {
                    m.get("type").and_then(Value::as_str) == Some("Text")
                        && m.get("text").and_then(Value::as_str) == Some(text)
                })
            })
    }
}

fn parse_notifications(stdout: &str) -> Vec<Notification> {
    stdout
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let value: Value = serde_json::from_str(line).unwrap_or_else(|e| {
                panic!("agent-flow.mjs printed a line that is not JSON ({e}): {line}")
            });
            let text = |key: &str| {
                value
                    .get(key)
                    .and_then(Value::as_str)
                    .unwrap_or_else(|| panic!("notification line without a string {key:?}: {line}"))
                    .to_owned()
            };
            Notification {
                actor: text("actor"),
                channel: text("channel"),
                data: value["data"].clone(),
            }
        })
        .collect()
}

#[test]
fn official_cometd_js_client_receives_agent_and_supervisor_chat_notifications() {
    let dir = interop_dir("cometd-js");
    ensure_node_modules(&dir, &["cometd", "cometd-nodejs-client"]);

    // The server runs on its own multi-threaded runtime while this thread blocks on node.
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    // A short long-poll timeout makes held /meta/connect requests complete and be reissued
    // several times during the flow, so the client's reconnect cycle is exercised too.
    let config = ServerConfig {
        long_poll_timeout: Duration::from_secs(2),
        ..ServerConfig::default()
    };
    let addr: SocketAddr = "127.0.0.1:0".parse().expect("socket address");
    let running = runtime
        .block_on(server::start(config, addr))
        .expect("start the reference server");
    let base_url = running.base_url();

    let mut node = Command::new(program("node"));
    node.arg("agent-flow.mjs")
        .arg(&base_url)
        .arg(CUSTOMER_TEXT)
        .current_dir(&dir);
    let started = Instant::now();
    let outcome = run_with_deadline(node, "`node agent-flow.mjs`", FLOW_DEADLINE);
    let elapsed = started.elapsed();
    runtime.block_on(running.shutdown());

    let done = outcome.unwrap_or_else(|e| panic!("{e}"));
    let context = format!(
        "--- node stdout ---\n{}\n--- node stderr ---\n{}",
        done.stdout, done.stderr
    );
    assert!(
        done.status.success(),
        "agent-flow.mjs failed ({}) after {elapsed:?}\n{context}",
        done.status
    );
    eprintln!("agent-flow.mjs completed in {elapsed:?}");

    let notifications = parse_notifications(&done.stdout);
    let of = |actor: &str| {
        notifications
            .iter()
            .filter(move |n| n.actor == actor)
            .collect::<Vec<_>>()
    };
    let agent = of("agent1");
    let supervisor = of("supervisor1");
    let unknown: Vec<_> = notifications
        .iter()
        .filter(|n| n.actor != "agent1" && n.actor != "supervisor1")
        .collect();
    assert!(
        unknown.is_empty(),
        "notifications from an unexpected actor\n{context}"
    );

    // agent1 subscribed to exactly /v2/me/chats, so everything it got must be on that channel.
    assert!(
        agent.iter().all(|n| n.channel == "/v2/me/chats"),
        "agent1 received a notification on a channel other than /v2/me/chats\n{context}"
    );
    let invited = agent
        .iter()
        .position(|n| {
            n.is_status_change()
                && n.chat_state() == Some("Invited")
                && n.data.pointer("/chat/capabilities").and_then(Value::as_array).is_some_and(|caps| {
                    caps.iter().any(|c| c == "Accept") && caps.iter().any(|c| c == "Reject")
                })
        })
        .unwrap_or_else(|| panic!("agent1 got no StatusChange with state Invited and capabilities Accept, Reject\n{context}"));
    let chat_id = agent[invited]
        .chat_id()
        .unwrap_or_else(|| panic!("the Invited StatusChange carries no chat.id\n{context}"))
        .to_owned();
    let after_invite = &agent[invited + 1..];
    let for_chat = |n: &&&Notification| n.chat_id() == Some(chat_id.as_str());
    assert!(
        after_invite
            .iter()
            .filter(for_chat)
            .any(|n| n.is_status_change() && n.chat_state() == Some("Chatting")),
        "agent1 got no StatusChange to Chatting for chat {chat_id} after the invitation\n{context}"
    );
    assert!(
        after_invite
            .iter()
            .filter(for_chat)
            .any(|n| n.is_participants_updated()),
        "agent1 got no ParticipantsUpdated for chat {chat_id}\n{context}"
    );
    assert!(
        after_invite
            .iter()
            .filter(for_chat)
            .any(|n| n.is_message_log_updated()),
        "agent1 got no MessageLogUpdated for chat {chat_id}\n{context}"
    );
    assert!(
        after_invite
            .iter()
            .filter(for_chat)
            .any(|n| n.is_message_log_updated() && n.has_text(CUSTOMER_TEXT)),
        "agent1 got no MessageLogUpdated for chat {chat_id} with the customer's Text {CUSTOMER_TEXT:?}\n{context}"
    );

    // supervisor1 subscribed to /v2/me/*, which matches only direct children of /v2/me.
    assert!(
        supervisor.iter().all(|n| n
            .channel
            .strip_prefix("/v2/me/")
            .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'))),
        "supervisor1 received a notification outside /v2/me/*\n{context}"
    );
    let first = |what: &str, is: fn(&Notification) -> bool| {
        supervisor
            .iter()
            .position(|n| n.chat_id() == Some(chat_id.as_str()) && is(n))
            .unwrap_or_else(|| panic!("supervisor1 got no {what} for chat {chat_id}\n{context}"))
    };
    let participants = first("ParticipantsUpdated", Notification::is_participants_updated);
    let status = first("StatusChange", Notification::is_status_change);
    let message_log = first("MessageLogUpdated", Notification::is_message_log_updated);
    assert!(
        participants < status && status < message_log,
        "supervisor1 got chat {chat_id}'s notifications out of order: first ParticipantsUpdated at #{participants}, \
         StatusChange at #{status}, MessageLogUpdated at #{message_log} (expected that order)\n{context}"
    );
}
