//! The reference server against hostile clients, over real HTTP: malformed and mistyped Bayeux
//! messages, unknown clientIds, handshake floods, oversized bodies (refused before they are
//! read), repeated held connects, operations on other users' chats, floods of customer chats,
//! and garbage sent concurrently with a real flow. Each gets the right Bayeux error or HTTP
//! status, memory stays bounded (checked through `RunningServer::stats`), nothing panics, and
//! the server keeps serving legitimate clients throughout.

mod support;

use std::time::{Duration, Instant};

use gws_conform::server::{ConnectionLimits, RunningServer, SESSIONS_PER_USER, ServerConfig};
use serde_json::{Value, json};
use support::{
    Actor, Customer, RawBayeux, agent1_listening, data, meta, ready_over_rest, send, server,
    server_with,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn quick_server() -> RunningServer {
    server_with(ServerConfig {
        long_poll_timeout: Duration::from_millis(400),
        ..ServerConfig::default()
    })
    .await
}

/// The server still answers a fresh client: a handshake, a subscribe and a connect succeed.
async fn still_serving(server: &RunningServer) {
    let raw = RawBayeux::new(server, "agent3");
    let client = raw.handshake().await;
    assert_eq!(
        raw.subscribe(&client, json!("/v2/me/chats")).await["successful"],
        true
    );
    let reply = raw.connect(&client, Some(0)).await;
    assert_eq!(meta(&reply, "/meta/connect")["successful"], true);
}

/// Asserts a failed Bayeux reply whose error starts with `prefix`.
#[track_caller]
fn assert_refused(reply: &Value, prefix: &str, context: &str) {
    assert_eq!(reply["successful"], false, "{context}: {reply}");
    let error = reply["error"].as_str().unwrap_or_default();
    assert!(
        error.starts_with(prefix) && error.len() > prefix.len(),
        "{context}: expected {prefix}<message>, got {reply}"
    );
}

#[tokio::test]
async fn bodies_that_are_not_bayeux_batches_get_400_and_the_server_keeps_serving() {
    let server = quick_server().await;
    let raw = RawBayeux::new(&server, "agent1");
    let thousands = format!(
        "[{}]",
        vec![r#"{"channel":"/meta/handshake"}"#; 2_000].join(",")
    );
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("not JSON", b"{\"channel\":".to_vec()),
        ("empty", Vec::new()),
        ("invalid UTF-8", vec![b'"', 0xff, 0xfe, b'"']),
        ("null", b"null".to_vec()),
        ("a number", b"42".to_vec()),
        ("a string", b"\"/meta/handshake\"".to_vec()),
        ("a boolean", b"true".to_vec()),
        ("an empty batch", b"[]".to_vec()),
        (
            "nested past the parser's depth limit",
            "[".repeat(20_000).into_bytes(),
        ),
        ("2,000 messages in one POST", thousands.into_bytes()),
    ];
    for (what, body) in bodies {
        let (status, reply) = raw.send_text("", body).await;
        assert_eq!(status, 400, "{what}: {reply}");
        assert_eq!(reply["statusCode"], 10, "{what}: {reply}");
        assert!(reply["statusMessage"].is_string(), "{what}: {reply}");
    }
    assert_eq!(
        server.stats().bayeux_clients,
        0,
        "a refused batch is refused whole"
    );
    still_serving(&server).await;
}

#[tokio::test]
async fn mistyped_and_unknown_messages_get_bayeux_errors_one_by_one() {
    let server = quick_server().await;
    let raw = RawBayeux::new(&server, "agent1");
    let client = raw.handshake().await;
    let long_pattern = format!("/v2/{}", "x".repeat(2_000));
    // (message, error prefix, what the reply echoes as `id`)
    let cases = [
        (json!({"id": "1"}), "400::", json!("1")),
        (json!({"channel": 7, "id": "2"}), "400::", json!("2")),
        (json!(["/meta/handshake"]), "400::", Value::Null),
        (
            json!({"channel": "/meta/connect", "clientId": 12345, "id": "4"}),
            "400::",
            json!("4"),
        ),
        (
            json!({"channel": "/meta/subscribe", "clientId": client, "subscription": "/v2/me/chats", "id": {"nested": true}}),
            "400::",
            Value::Null,
        ),
        (
            json!({"channel": "/meta/subscribe", "clientId": client, "subscription": "/v2/me/chats", "id": ["a"]}),
            "400::",
            Value::Null,
        ),
        (
            json!({"channel": "/meta/subscribe", "clientId": client, "subscription": ["/v2/me/chats", 5], "id": 7}),
            "400::",
            json!(7),
        ),
        (
            json!({"channel": "/meta/subscribe", "clientId": client, "subscription": {"channel": "/v2/me/chats"}, "id": "8"}),
            "400::",
            json!("8"),
        ),
        (
            json!({"channel": "/meta/subscribe", "clientId": client, "subscription": long_pattern, "id": "9"}),
            "400::",
            json!("9"),
        ),
        (
            json!({"channel": "/meta/subscribe", "clientId": client, "subscription": "/v2/**/chats", "id": "10"}),
            "400::",
            json!("10"),
        ),
        (
            json!({"channel": "/meta/subscribe", "clientId": client, "subscription": "/meta/**", "id": "11"}),
            "403::",
            json!("11"),
        ),
        (
            json!({"channel": "/meta/connect/extra", "clientId": client, "id": "12"}),
            "400::",
            json!("12"),
        ),
        (
            json!({"channel": "/meta/", "clientId": client, "id": "13"}),
            "400::",
            json!("13"),
        ),
        (
            json!({"channel": "/service/echo", "clientId": client, "data": {"x": 1}, "id": "14"}),
            "403::",
            json!("14"),
        ),
        (
            json!({"channel": "/v2/me/chats", "clientId": client, "data": {"messageType": "ChatStateChangeMessage"}, "id": "15"}),
            "403::",
            json!("15"),
        ),
        (
            json!({"channel": "/meta/connect", "clientId": client, "connectionType": 3, "id": "16"}),
            "400::",
            json!("16"),
        ),
    ];
    for (message, prefix, id) in cases {
        let reply = raw.send(json!([message])).await;
        assert_eq!(reply.len(), 1, "{message}: {reply:?}");
        assert_refused(&reply[0], prefix, &message.to_string());
        assert_eq!(reply[0].get("id").cloned().unwrap_or(Value::Null), id);
        if message["clientId"].is_number() {
            assert!(reply[0].get("clientId").is_none(), "{reply:?}");
        }
    }
    // None of that subscribed the client to anything, or published anything.
    ready_over_rest(&server, "agent1").await;
    let reply = raw.connect(&client, Some(0)).await;
    assert!(data(&reply).is_empty(), "{reply:?}");
    still_serving(&server).await;
}

#[tokio::test]
async fn connect_before_handshake_and_odd_client_ids_get_402_with_handshake_advice() {
    let server = quick_server().await;
    let raw = RawBayeux::new(&server, "agent1");
    let huge = "c".repeat(30_000);
    let cases = [
        json!({"channel": "/meta/connect", "connectionType": "long-polling"}),
        json!({"channel": "/meta/subscribe", "subscription": "/v2/me/chats"}),
        json!({"channel": "/meta/connect", "clientId": ""}),
        json!({"channel": "/meta/connect", "clientId": huge}),
        json!({"channel": "/meta/unsubscribe", "clientId": "ünïcödé\u{0}", "subscription": "/v2/me/chats"}),
        json!({"channel": "/meta/disconnect", "clientId": "../../etc/passwd"}),
    ];
    for message in cases {
        let channel = message["channel"].as_str().unwrap().to_owned();
        let reply = raw.send(json!([message])).await;
        let m = meta(&reply, &channel);
        assert_eq!(m["error"], "402::Unknown client", "{m}");
        assert_eq!(m["advice"]["reconnect"], "handshake", "{m}");
    }
    assert_eq!(server.stats().bayeux_clients, 0);
}

#[tokio::test]
async fn advised_timeouts_out_of_range_are_clamped_to_the_servers() {
    let server = quick_server().await;
    let raw = RawBayeux::new(&server, "agent1");
    let client = raw.handshake().await;
    for timeout in [json!(u64::MAX), json!(-5), json!("forever"), json!(1e300)] {
        let started = Instant::now();
        let reply = raw
            .send(json!([{"channel": "/meta/connect", "clientId": client, "advice": {"timeout": timeout}}]))
            .await;
        assert_eq!(meta(&reply, "/meta/connect")["successful"], true);
        let waited = started.elapsed();
        assert!(
            waited < Duration::from_secs(3),
            "timeout {timeout}: held {waited:?}, the server's timeout is 400 ms"
        );
    }
}

#[tokio::test]
async fn a_batch_mixing_valid_and_invalid_messages_answers_each_in_order() {
    let server = quick_server().await;
    ready_over_rest(&server, "agent1").await;
    let raw = RawBayeux::new(&server, "agent1");
    let client = raw.handshake().await;
    let reply = raw
        .send(json!([
            {"channel": "/meta/subscribe", "clientId": client, "subscription": "/v2/me/chats", "id": "a"},
            5,
            {"channel": "/meta/subscribe", "clientId": client, "subscription": "bad", "id": "b"},
            {"channel": "/v2/me/chats", "clientId": client, "data": {}, "id": "c"},
            {"channel": "/meta/subscribe", "clientId": "nobody", "subscription": "/v2/me/*", "id": "d"},
            {"channel": "/meta/connect", "clientId": client, "advice": {"timeout": 0}, "id": "e"},
            {"id": "f"},
            {"channel": "/meta/subscribe", "clientId": client, "subscription": "/service/**", "id": "g"},
        ]))
        .await;
    let outcome: Vec<(Value, Value)> = reply
        .iter()
        .map(|m| (m["id"].clone(), m["successful"].clone()))
        .collect();
    assert_eq!(
        outcome,
        [
            (json!("a"), json!(true)),
            (Value::Null, json!(false)),
            (json!("b"), json!(false)),
            (json!("c"), json!(false)),
            (json!("d"), json!(false)),
            (json!("e"), json!(true)),
            (json!("f"), json!(false)),
            // As in CometD, a service-channel subscription succeeds and does nothing.
            (json!("g"), json!(true)),
        ],
        "{reply:?}"
    );
    // The valid subscribe took effect.
    Customer::request(&server, "Chris").await;
    let reply = raw.connect(&client, None).await;
    assert_eq!(data(&reply).len(), 1, "{reply:?}");
    assert_eq!(data(&reply)[0]["data"]["chat"]["state"], "Invited");
}

#[tokio::test]
async fn subscriptions_per_client_are_capped() {
    let server = quick_server().await;
    let raw = RawBayeux::new(&server, "agent1");
    let client = raw.handshake().await;
    let many: Vec<String> = (0..32).map(|n| format!("/v2/me/x{n}")).collect();
    assert_eq!(
        raw.subscribe(&client, json!(many)).await["successful"],
        true
    );
    // Repeating a held subscription is fine; one more is not.
    assert_eq!(
        raw.subscribe(&client, json!("/v2/me/x0")).await["successful"],
        true
    );
    let refused = raw.subscribe(&client, json!("/v2/me/chats")).await;
    assert_refused(&refused, "403::", "the 33rd subscription");
    let unsubscribe = raw
        .send(json!([{"channel": "/meta/unsubscribe", "clientId": client, "subscription": "/v2/me/x0"}]))
        .await;
    assert_eq!(unsubscribe[0]["successful"], true);
    assert_eq!(
        raw.subscribe(&client, json!("/v2/me/chats")).await["successful"],
        true
    );
}

/// Handshakes `count` clients as `raw`'s user, 64 per request (the batch limit), from four
/// concurrent tasks; returns the clientIds in the order they were handed out per task.
async fn handshake_flood(raw: &RawBayeux, count: usize) -> Vec<String> {
    let batch: Vec<Value> = (0..64)
        .map(
            |_| json!({"channel": "/meta/handshake", "supportedConnectionTypes": ["long-polling"]}),
        )
        .collect();
    let batch = Value::Array(batch);
    let requests = count.div_ceil(64);
    let mut tasks = Vec::new();
    for task in 0..4 {
        let (raw, batch) = (raw.clone(), batch.clone());
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for _ in (task..requests).step_by(4) {
                let reply = raw.send(batch.clone()).await;
                assert_eq!(reply.len(), 64);
                for m in reply {
                    assert_eq!(m["successful"], true, "{m}");
                    ids.push(m["clientId"].as_str().unwrap().to_owned());
                }
            }
            ids
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        ids.extend(task.await.expect("flood task"));
    }
    ids
}

#[tokio::test]
async fn a_handshake_flood_stays_bounded_and_a_polling_client_keeps_receiving() {
    let server = server().await;
    let mut agent = Actor::ready(&server, "agent1").await;
    // The flood uses the same user as the legitimate client, the hardest case: the per-user
    // cap must drop the flood's own clients, not the one that polls.
    let flooder = RawBayeux::new(&server, "agent1");
    let flood = {
        let flooder = flooder.clone();
        tokio::spawn(async move { handshake_flood(&flooder, 10_000).await })
    };
    // During the flood, a chat is offered to the agent and the agent gets the offer.
    let customer = Customer::request(&server, "Chris").await;
    let chat = agent.offered().await;
    let ids = flood.await.unwrap();
    assert_eq!(ids.len(), 10_048, "157 batches of 64");
    let stats = server.stats();
    assert!(
        stats.bayeux_clients <= 64,
        "at most 64 clients per user, got {}",
        stats.bayeux_clients
    );
    // Every flood request came without a cookie and made an HTTP session: bounded too.
    assert!(
        stats.http_sessions <= SESSIONS_PER_USER,
        "{} sessions",
        stats.http_sessions
    );
    // The flood's first clients were dropped: they must handshake again.
    let reply = flooder.connect(&ids[0], Some(0)).await;
    let connect = meta(&reply, "/meta/connect");
    assert_eq!(connect["error"], "402::Unknown client", "{connect}");
    assert_eq!(connect["advice"]["reconnect"], "handshake");
    // The legitimate client still works after the flood.
    agent.accept(&chat).await;
    customer.say("still there?").await;
    let message = agent.expect("NewMessages").await;
    assert_eq!(message["messages"][0]["text"], "still there?");
    // And a new client of that user can still handshake and receive.
    let fresh = flooder.handshake().await;
    flooder.subscribe(&fresh, json!("/v2/me/chats")).await;
    customer.say("and you?").await;
    let reply = flooder.connect(&fresh, Some(2_000)).await;
    assert_eq!(data(&reply).len(), 1, "{reply:?}");
}

#[tokio::test]
async fn a_user_whose_clients_all_hold_connects_can_still_handshake_a_working_client() {
    let server = server_with(ServerConfig {
        long_poll_timeout: Duration::from_secs(3),
        ..ServerConfig::default()
    })
    .await;
    let raw = RawBayeux::new(&server, "agent1");
    let holders = handshake_flood(&raw, 64).await;
    let started = Instant::now();
    let held: Vec<_> = holders
        .iter()
        .map(|client| {
            let (raw, client) = (raw.clone(), client.clone());
            tokio::spawn(async move { (raw.connect(&client, None).await, started.elapsed()) })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    // The cap is full of clients holding connects: the newcomer still gets a live client.
    let newcomer = raw.handshake().await;
    assert_eq!(
        raw.subscribe(&newcomer, json!("/v2/me/chats")).await["successful"],
        true
    );
    let reply = raw.connect(&newcomer, Some(0)).await;
    assert_eq!(
        meta(&reply, "/meta/connect")["successful"],
        true,
        "{reply:?}"
    );
    assert_eq!(server.stats().bayeux_clients, 64);
    // The holder that made room was told at once to handshake again; the others hold on.
    let mut dropped = 0;
    for connect in held {
        let (reply, at) = connect.await.unwrap();
        if meta(&reply, "/meta/connect")["error"] == "402::Unknown client" {
            dropped += 1;
            assert!(
                at < Duration::from_secs(5),
                "told at once, not at the timeout"
            );
        }
    }
    assert_eq!(dropped, 1);
}

#[tokio::test]
async fn cookieless_requests_do_not_grow_sessions() {
    let server = quick_server().await;
    let http = reqwest::Client::new();
    for n in 0..300 {
        let user = if n % 2 == 0 { "agent1" } else { "supervisor1" };
        let response = http
            .get(format!("{}/api/v2/me", server.base_url()))
            .basic_auth(user, Some("password"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    assert_eq!(server.stats().http_sessions, 2 * SESSIONS_PER_USER);
}

#[tokio::test]
async fn a_newer_connect_of_the_same_client_ends_the_held_one() {
    let (server, raw, client) = agent1_listening(ServerConfig {
        long_poll_timeout: Duration::from_secs(10),
        ..ServerConfig::default()
    })
    .await;
    let started = Instant::now();
    let mut held = Vec::new();
    for _ in 0..20 {
        let (raw, client) = (raw.clone(), client.clone());
        held.push(tokio::spawn(async move {
            let reply = raw.connect(&client, None).await;
            (reply, started.elapsed())
        }));
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let last = held.pop().unwrap();
    for connect in held {
        let (reply, at) = connect.await.unwrap();
        assert!(
            at < Duration::from_secs(3),
            "superseded connects end at once, not at the 10 s timeout ({at:?})"
        );
        assert_eq!(meta(&reply, "/meta/connect")["successful"], true);
        assert!(data(&reply).is_empty(), "{reply:?}");
    }
    Customer::request(&server, "Chris").await;
    let (reply, _) = last.await.unwrap();
    assert_eq!(
        data(&reply).len(),
        1,
        "the newest connect gets the notification"
    );
    assert_eq!(server.stats().bayeux_clients, 1);
}

/// What agent, supervisor and customer can see of a chat; equal before and after refused
/// requests when they changed nothing.
async fn snapshot(agent: &Actor, chat: &str, customer: &Customer) -> Value {
    json!({
        "agent": agent.get(&format!("/api/v2/me/chats/{chat}")).await.ok()["chat"],
        "customer": customer.chat().await,
        "transcript": customer.transcript().await,
    })
}

#[tokio::test]
async fn operations_on_other_users_chats_are_refused_and_change_nothing() {
    let server = server().await;
    let mut agent = Actor::ready(&server, "agent1").await;
    let intruder = Actor::ready(&server, "agent2").await;
    let supervisor = Actor::login(&server, "supervisor1").await;
    let customer = Customer::request(&server, "Chris").await;
    let chat = agent.offered().await;
    // An offer to somebody else can be neither taken nor refused.
    for op in ["Accept", "Reject"] {
        intruder
            .chat_op(&chat, json!({"operationName": op}))
            .await
            .refused(403, 3);
    }
    agent.accept(&chat).await;
    customer.say("hello").await;
    agent.expect("NewMessages").await;
    let before = snapshot(&agent, &chat, &customer).await;
    // The intruder tries, among the rest, to invite itself in.
    let intruder_uri = format!("{}/api/v2/users/{}", server.base_url(), intruder.id);
    let operations = [
        json!({"operationName": "SendMessage", "text": "hijack"}),
        json!({"operationName": "SendToAgents", "text": "psst"}),
        json!({"operationName": "SendStartTypingNotification"}),
        json!({"operationName": "Complete"}),
        json!({"operationName": "Leave"}),
        json!({"operationName": "Invite", "targetUri": intruder_uri}),
        json!({"operationName": "Consult", "targetUri": intruder_uri}),
        json!({"operationName": "Transfer", "queueName": "elsewhere"}),
        json!({"operationName": "AttachUserData", "userData": {"stolen": true}}),
        json!({"operationName": "SetDisposition", "disposition": "Spam"}),
        json!({"operationName": "AddComment", "comment": "mine now"}),
        json!({"operationName": "SetInFocus"}),
        json!({"operationName": "SwitchToBargeIn"}),
    ];
    for body in &operations {
        intruder.chat_op(&chat, body.clone()).await.refused(403, 3);
        // A supervisor that is not in the chat is a stranger too.
        supervisor
            .chat_op(&chat, body.clone())
            .await
            .refused(403, 3);
    }
    intruder
        .get(&format!("/api/v2/me/chats/{chat}"))
        .await
        .refused(403, 3);
    // Monitoring requests naming a chat, a customer or a supervisor instead of an agent, and
    // cancelling monitoring that was never started.
    let monitoring = [
        (&chat, "Monitor", 404, 6),
        (&customer.id, "CancelSupervisorMonitoring", 404, 6),
        (&supervisor.id, "Coach", 400, 2),
        (&agent.id, "CancelSupervisorMonitoring", 400, 2),
    ];
    for (target, operation, status, code) in monitoring {
        supervisor
            .post(
                &format!("/api/v2/users/{target}/channels/chat"),
                json!({"operationName": operation}),
            )
            .await
            .refused(status, code);
    }
    // The customer API knows only customer-side ids: the interaction id and made-up ids are
    // unknown, whatever the operation.
    let base = server.base_url();
    let http = reqwest::Client::new();
    for id in [chat.as_str(), "00000000-0000-0000-0000-000000000000"] {
        let complete = http
            .post(format!("{base}/api/v2/chats/{id}"))
            .header("ContactCenterId", "default")
            .json(&json!({"operationName": "Complete"}));
        send(complete).await.refused(404, 6);
        let read = http
            .get(format!("{base}/api/v2/chats/{id}/messages?index=0"))
            .header("ContactCenterId", "default");
        send(read).await.refused(404, 6);
    }
    assert_eq!(snapshot(&agent, &chat, &customer).await, before);
    agent.quiet(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn channels_are_per_user_so_wider_subscriptions_show_nothing_of_others() {
    let server = quick_server().await;
    let mut agent = Actor::ready(&server, "agent1").await;
    let snoop = RawBayeux::new(&server, "agent2");
    let client = snoop.handshake().await;
    let wide = json!(["/**", format!("/v2/users/{}/chats", agent.id), "/v2/me/*"]);
    assert_eq!(snoop.subscribe(&client, wide).await["successful"], true);
    let customer = Customer::request(&server, "Chris").await;
    let chat = agent.offered().await;
    agent.accept(&chat).await;
    customer.say("private").await;
    agent.expect("NewMessages").await;
    let reply = snoop.connect(&client, Some(300)).await;
    assert!(data(&reply).is_empty(), "agent2 saw {reply:?}");
}

#[tokio::test]
async fn a_flood_of_customer_chats_is_capped_with_503() {
    let server = server_with(ServerConfig {
        max_open_chats: 5,
        ..ServerConfig::default()
    })
    .await;
    let mut customers = Vec::new();
    for n in 0..5 {
        customers.push(Customer::request(&server, &format!("c{n}")).await);
    }
    let request = reqwest::Client::new()
        .post(format!("{}/api/v2/chats", server.base_url()))
        .header("ContactCenterId", "default")
        .json(&json!({"operationName": "RequestChat", "nickname": "one too many"}));
    send(request).await.refused(503, 13);
    assert_eq!(server.stats().open_chats, 5);
    // A chat that ends makes room again.
    customers[0]
        .op(json!({"operationName": "Complete"}))
        .await
        .ok();
    assert_eq!(server.stats().open_chats, 4);
    Customer::request(&server, "next").await;
}

/// Sends the head of a request that declares (or streams) a body far larger than the limit,
/// then `sent` bytes of it in `chunk`-sized writes, and reads the response without sending
/// the rest: the server must answer from what it has read.
async fn answer_to_a_partial_body(
    server: &RunningServer,
    head: String,
    chunk: Vec<u8>,
    sent: usize,
) -> (u16, Value) {
    let stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let send = tokio::spawn(async move {
        writer.write_all(head.as_bytes()).await.ok();
        for _ in 0..sent / chunk.len() {
            // The server stops reading once the limit is passed; later writes may fail.
            if writer.write_all(&chunk).await.is_err() {
                break;
            }
        }
        // Keep the connection open (the rest of the body "still coming").
        tokio::time::sleep(Duration::from_secs(10)).await;
        drop(writer);
    });
    let mut response = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        let mut buf = [0u8; 4096];
        loop {
            let n = reader.read(&mut buf).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            response.extend_from_slice(&buf[..n]);
            if let Some(end) = response.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&response[..end]).to_lowercase();
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                if response.len() >= end + 4 + length {
                    break;
                }
            }
        }
    })
    .await;
    send.abort();
    assert!(
        read.is_ok(),
        "no answer within 5 s: the server waited for the whole body"
    );
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {text:?}"));
    let body = text.split("\r\n\r\n").nth(1).unwrap_or_default();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn oversized_bodies_get_413_before_the_rest_is_read() {
    let server = quick_server().await;
    let basic = "Authorization: Basic YWdlbnQxOnBhc3N3b3Jk\r\n"; // agent1:password
    let targets = [
        ("/api/v2/notifications", basic),
        ("/api/v2/me", basic),
        ("/api/v2/chats", "ContactCenterId: default\r\n"),
    ];
    for (path, extra) in targets {
        // A declared length of 1 GB, of which 256 KB is sent.
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: test\r\n{extra}Content-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n"
        );
        let (status, body) =
            answer_to_a_partial_body(&server, head, vec![b' '; 16 * 1024], 256 * 1024).await;
        assert_eq!(status, 413, "{path}: {body}");
        assert_eq!(body["statusCode"], 10, "{path}: {body}");
        // Without a declared length: a chunked body that never ends.
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: test\r\n{extra}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        );
        let mut chunk = b"4000\r\n".to_vec();
        chunk.extend(vec![b' '; 0x4000]);
        chunk.extend(b"\r\n");
        let (status, body) = answer_to_a_partial_body(&server, head, chunk, 256 * 1024).await;
        assert_eq!(status, 413, "{path}, chunked: {body}");
        assert_eq!(body["statusCode"], 10, "{path}, chunked: {body}");
    }
    still_serving(&server).await;
}

#[tokio::test]
async fn a_five_megabyte_channel_name_gets_413() {
    let server = quick_server().await;
    let raw = RawBayeux::new(&server, "agent1");
    let body = json!([{"channel": format!("/{}", "a".repeat(5 << 20)), "clientId": "x"}]);
    let (status, reply) = raw.send_text("", body.to_string()).await;
    assert_eq!(status, 413, "{reply}");
    assert_eq!(reply["statusCode"], 10);
    still_serving(&server).await;
}

/// Reads from `stream` until the server closes it (`true`) or `within` passes (`false`).
async fn closed_by_server(stream: &mut tokio::net::TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    tokio::time::timeout(within, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

#[tokio::test]
async fn a_client_trickling_its_headers_is_disconnected_after_the_header_timeout() {
    let server = server_with(ServerConfig {
        connections: ConnectionLimits {
            header_read_timeout: Duration::from_millis(500),
            ..ConnectionLimits::default()
        },
        ..ServerConfig::default()
    })
    .await;
    let mut slow = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let started = Instant::now();
    // Slow-loris: a byte of the head every 100 ms, never the blank line that ends it.
    let trickle = async {
        for byte in b"POST /api/v2/notifications HTTP/1.1\r\nHost: test\r\nX-Slow: ".iter() {
            if slow.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(2), trickle)
        .await
        .ok();
    assert!(
        closed_by_server(&mut slow, Duration::from_secs(5)).await,
        "the trickling connection is still open after {:?}",
        started.elapsed()
    );
    // An idle keep-alive connection that never sends a request is closed the same way.
    let mut idle = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    assert!(closed_by_server(&mut idle, Duration::from_secs(5)).await);
    still_serving(&server).await;
}

#[tokio::test]
async fn connections_beyond_the_cap_are_closed_and_the_server_recovers() {
    let server = server_with(ServerConfig {
        connections: ConnectionLimits {
            max_connections: 8,
            ..ConnectionLimits::default()
        },
        ..ServerConfig::default()
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(tokio::net::TcpStream::connect(server.addr()).await.unwrap());
    }
    // The ninth is accepted by the kernel, then closed by the server without an answer.
    let mut extra = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    extra
        .write_all(b"GET /api/v2/me HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .ok();
    assert!(closed_by_server(&mut extra, Duration::from_secs(5)).await);
    // Once the holders go, their slots are free again (the server notices the closes shortly).
    drop(held);
    let deadline = Instant::now() + Duration::from_secs(5);
    while !answers(&server).await {
        assert!(
            Instant::now() < deadline,
            "the server never recovered its slots"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    still_serving(&server).await;
}

/// Whether a new connection gets an HTTP response (any status) to a simple request.
async fn answers(server: &RunningServer) -> bool {
    let Ok(mut stream) = tokio::net::TcpStream::connect(server.addr()).await else {
        return false;
    };
    let request = b"GET /api/v2/me HTTP/1.1\r\nHost: test\r\n\r\n";
    if stream.write_all(request).await.is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    matches!(
        tokio::time::timeout(Duration::from_secs(1), stream.read_exact(&mut head)).await,
        Ok(Ok(_)) if head.starts_with(b"HTTP/1.1 ")
    )
}

/// One kind of garbage per task: what a broken or hostile client might send, and the HTTP
/// status each must get.
async fn send_garbage(server_url: String, kind: usize, rounds: usize) {
    let http = reqwest::Client::new();
    let bayeux = format!("{server_url}/api/v2/notifications");
    for round in 0..rounds {
        let (request, expected) = match kind {
            0 => (
                http.post(&bayeux)
                    .basic_auth("agent2", Some("password"))
                    .body("{not json"),
                400,
            ),
            1 => (
                http.post(&bayeux)
                    .basic_auth("agent3", Some("password"))
                    .json(
                        &json!([{"channel": "/meta/connect", "clientId": format!("ghost{round}")}]),
                    ),
                200,
            ),
            2 => (
                http.post(&bayeux)
                    .basic_auth("agent2", Some("password"))
                    .json(&vec![json!({"channel": "/meta/handshake"}); 64]),
                200,
            ),
            3 => (
                http.post(&bayeux)
                    .basic_auth("agent1", Some("wrong"))
                    .json(&json!([{"channel": "/meta/handshake"}])),
                401,
            ),
            4 => (
                http.post(format!("{server_url}/api/v2/me/chats/{round}"))
                    .basic_auth("agent3", Some("password"))
                    .json(&json!({"operationName": "Complete"})),
                404,
            ),
            _ => (
                http.post(format!("{server_url}/api/v2/me"))
                    .basic_auth("agent2", Some("password"))
                    .body("x".repeat(100 * 1024)),
                413,
            ),
        };
        let response = match request.send().await {
            Ok(response) => response,
            // The server refuses an oversized body as soon as it is too long and closes the
            // connection, which can break the client's pipe while it is still writing (the 413
            // itself: `oversized_bodies_get_413_before_the_rest_is_read`).
            Err(e) if expected == 413 && e.is_request() => continue,
            Err(e) => panic!("garbage request: {e:?}"),
        };
        assert_eq!(response.status().as_u16(), expected, "garbage kind {kind}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_from_many_clients_does_not_disturb_a_real_flow() {
    let server = server().await;
    let garbage: Vec<_> = (0..12)
        .map(|n| tokio::spawn(send_garbage(server.base_url(), n % 6, 40)))
        .collect();
    let mut agent = Actor::ready(&server, "agent1").await;
    let mut supervisor = Actor::login(&server, "supervisor1").await;
    supervisor
        .supervise(&agent, json!({"operationName": "Monitor"}))
        .await
        .ok();
    let customer = Customer::request(&server, "Chris").await;
    let chat = agent.offered().await;
    agent.accept(&chat).await;
    supervisor.expect("ParticipantsUpdated").await;
    supervisor.expect_state("Chatting").await;
    supervisor.expect("NewMessages").await;
    customer.say("hello through the noise").await;
    let message = agent.expect("NewMessages").await;
    assert_eq!(message["messages"][0]["text"], "hello through the noise");
    for task in garbage {
        task.await
            .expect("every garbage request got its expected status");
    }
    let stats = server.stats();
    assert!(stats.bayeux_clients <= 3 * 64, "{stats:?}");
    still_serving(&server).await;
}
