//! The reference server's CometD endpoint against raw Bayeux requests: handshake, subscribe
//! (exact, `*`, `**`), unsubscribe, held connects answered at once on publish or at the advice
//! timeout, disconnect, `402::Unknown client` with re-handshake advice, refused publishes and
//! meta subscriptions, malformed messages, bounded queues and expiry of idle clients.

mod support;

use std::time::{Duration, Instant};

use gws_conform::server::{RunningServer, ServerConfig};
use serde_json::json;
use support::{Customer, RawBayeux, agent1_listening, data, meta, ready_over_rest, server_with};

async fn quick_server() -> RunningServer {
    server_with(ServerConfig {
        long_poll_timeout: Duration::from_millis(400),
        ..ServerConfig::default()
    })
    .await
}

#[tokio::test]
async fn handshake_subscribe_and_delivery() {
    let server = quick_server().await;
    let raw = RawBayeux::new(&server, "agent1");
    let reply = raw
        .send(json!([{"channel": "/meta/handshake", "version": "1.0", "supportedConnectionTypes": ["long-polling", "websocket"], "id": "1"}]))
        .await;
    let handshake = &reply[0];
    assert_eq!(handshake["successful"], true);
    assert_eq!(handshake["id"], "1");
    assert_eq!(handshake["version"], "1.0");
    assert_eq!(
        handshake["supportedConnectionTypes"],
        json!(["long-polling"])
    );
    assert_eq!(handshake["advice"]["reconnect"], "retry");
    assert_eq!(handshake["advice"]["timeout"], 400);
    let client = handshake["clientId"].as_str().unwrap();
    let sub = raw.subscribe(client, json!("/v2/me/chats")).await;
    assert_eq!(sub["successful"], true, "{sub}");
    assert_eq!(sub["subscription"], "/v2/me/chats");
    ready_over_rest(&server, "agent1").await;
    // The channel-state change went to /v2/me/channels, which this client did not subscribe to.
    let first = raw.connect(client, Some(0)).await;
    assert!(data(&first).is_empty(), "{first:?}");
    Customer::request(&server, "Chris").await;
    let reply = raw.connect(client, None).await;
    let delivered = data(&reply);
    assert_eq!(delivered.len(), 1, "{reply:?}");
    assert_eq!(delivered[0]["channel"], "/v2/me/chats");
    assert_eq!(delivered[0]["data"]["chat"]["state"], "Invited");
    let connect = meta(&reply, "/meta/connect");
    assert_eq!(connect["successful"], true);
    assert_eq!(connect["advice"]["reconnect"], "retry");
}

#[tokio::test]
async fn wildcards_and_unsubscribe() {
    let server = quick_server().await;
    let raw = RawBayeux::new(&server, "agent1");
    let client = raw.handshake().await;
    assert_eq!(
        raw.subscribe(&client, json!(["/v2/me/*", "/v2/**"])).await["successful"],
        true
    );
    ready_over_rest(&server, "agent1").await;
    let reply = raw.connect(&client, Some(0)).await;
    let delivered = data(&reply);
    // Matched by two subscriptions, delivered once.
    assert_eq!(delivered.len(), 2, "NotReady then Ready: {reply:?}");
    assert!(delivered.iter().all(|m| m["channel"] == "/v2/me/channels"));
    assert_eq!(
        delivered[0]["data"]["messageType"],
        "ChannelStateChangeMessageV2"
    );
    assert_eq!(
        delivered[1]["data"]["channels"][0]["userState"]["state"],
        "Ready"
    );
    let unsub = raw
        .send(json!([{"channel": "/meta/unsubscribe", "clientId": client, "subscription": ["/v2/me/*", "/v2/**"]}]))
        .await;
    assert_eq!(unsub[0]["successful"], true);
    Customer::request(&server, "Chris").await;
    let reply = raw.connect(&client, Some(100)).await;
    assert!(data(&reply).is_empty(), "{reply:?}");
}

#[tokio::test]
async fn a_held_connect_is_answered_as_soon_as_a_notification_is_published() {
    let (server, raw, client) = agent1_listening(ServerConfig {
        long_poll_timeout: Duration::from_secs(10),
        ..ServerConfig::default()
    })
    .await;
    let started = Instant::now();
    let publisher = {
        let base = server.base_url();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            reqwest::Client::new()
                .post(format!("{base}/api/v2/chats"))
                .header("ContactCenterId", "default")
                .json(&json!({"operationName": "RequestChat", "nickname": "Chris"}))
                .send()
                .await
                .unwrap();
        })
    };
    let reply = raw.connect(&client, None).await;
    publisher.await.unwrap();
    assert_eq!(data(&reply).len(), 1, "{reply:?}");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(250),
        "the connect was held ({waited:?})"
    );
    assert!(
        waited < Duration::from_secs(5),
        "answered at publish, not at the 10 s timeout ({waited:?})"
    );
}

#[tokio::test]
async fn an_idle_connect_returns_at_the_advised_timeout() {
    let server = quick_server().await;
    let raw = RawBayeux::new(&server, "agent1");
    let client = raw.handshake().await;
    raw.subscribe(&client, json!("/v2/me/chats")).await;
    let started = Instant::now();
    let reply = raw.connect(&client, None).await;
    let waited = started.elapsed();
    assert!(data(&reply).is_empty());
    assert_eq!(meta(&reply, "/meta/connect")["successful"], true);
    assert!(
        waited >= Duration::from_millis(350) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
}

#[tokio::test]
async fn unknown_or_foreign_client_ids_get_402_with_handshake_advice() {
    let server = quick_server().await;
    let raw = RawBayeux::new(&server, "agent1");
    let other = RawBayeux::new(&server, "agent2");
    let theirs = other.handshake().await;
    for client in ["no-such-client", theirs.as_str()] {
        for channel in [
            "/meta/connect",
            "/meta/subscribe",
            "/meta/unsubscribe",
            "/meta/disconnect",
        ] {
            let reply = raw
                .send(json!([{"channel": channel, "clientId": client, "subscription": "/v2/me/chats", "id": "x"}]))
                .await;
            let m = meta(&reply, channel);
            assert_eq!(m["successful"], false, "{m}");
            assert_eq!(m["error"], "402::Unknown client", "{m}");
            assert_eq!(m["advice"]["reconnect"], "handshake", "{m}");
            assert_eq!(m["id"], "x");
        }
    }
}

#[tokio::test]
async fn disconnect_forgets_the_client() {
    let server = quick_server().await;
    let raw = RawBayeux::new(&server, "agent1");
    let client = raw.handshake().await;
    let reply = raw
        .send(json!([{"channel": "/meta/disconnect", "clientId": client}]))
        .await;
    assert_eq!(reply[0]["successful"], true);
    let reply = raw.connect(&client, Some(0)).await;
    assert_eq!(
        meta(&reply, "/meta/connect")["error"],
        "402::Unknown client"
    );
}

#[tokio::test]
async fn refused_messages_get_bayeux_errors() {
    let server = quick_server().await;
    let raw = RawBayeux::new(&server, "agent1");
    let client = raw.handshake().await;
    let cases = [
        (
            json!({"channel": "/v2/me/chats", "clientId": client, "data": {}}),
            "403::",
        ),
        (
            json!({"channel": "/meta/subscribe", "clientId": client, "subscription": "/meta/connect"}),
            "403::",
        ),
        (
            json!({"channel": "/meta/subscribe", "clientId": client, "subscription": "/v2/*/chats"}),
            "400::",
        ),
        (
            json!({"channel": "/meta/subscribe", "clientId": client, "subscription": "no-slash"}),
            "400::",
        ),
        (
            json!({"channel": "/meta/subscribe", "clientId": client}),
            "400::",
        ),
        (
            json!({"channel": "/meta/subscribe", "clientId": client, "subscription": 5}),
            "400::",
        ),
        (
            json!({"channel": "/meta/bogus", "clientId": client}),
            "400::",
        ),
        (json!({"clientId": client}), "400::"),
        (json!("not an object"), "400::"),
        (
            json!({"channel": "/meta/connect", "clientId": client, "connectionType": "websocket"}),
            "400::",
        ),
        (
            json!({"channel": "/meta/handshake", "supportedConnectionTypes": ["websocket"]}),
            "400::",
        ),
    ];
    for (message, prefix) in cases {
        let reply = raw.send(json!([message])).await;
        assert_eq!(reply[0]["successful"], false, "{message}: {reply:?}");
        let error = reply[0]["error"].as_str().unwrap();
        assert!(error.starts_with(prefix), "{message}: {error}");
    }
    let reply = raw
        .send(json!([
            {"channel": "/meta/connect", "clientId": client, "advice": {"timeout": 0}},
            {"channel": "/meta/connect", "clientId": client, "advice": {"timeout": 0}}
        ]))
        .await;
    assert_eq!(
        reply.iter().filter(|m| m["successful"] == false).count(),
        1,
        "{reply:?}"
    );
}

#[tokio::test]
async fn malformed_requests_get_400_with_a_status_code() {
    let server = quick_server().await;
    let raw = RawBayeux::new(&server, "agent1");
    for body in [
        "{",
        "42",
        "[]",
        "\"text\"",
        &format!("[{}]", vec!["{}"; 65].join(",")),
    ] {
        let (status, reply) = raw.send_text("", body.to_owned()).await;
        assert_eq!(status, 400, "{body}: {reply}");
        assert_eq!(reply["statusCode"], 10, "{body}: {reply}");
    }
}

#[tokio::test]
async fn sub_paths_used_by_cometd_clients_are_accepted() {
    let server = quick_server().await;
    let raw = RawBayeux::new(&server, "agent1");
    let handshake = json!([{"channel": "/meta/handshake", "version": "1.0", "supportedConnectionTypes": ["long-polling"]}]);
    let (status, reply) = raw.send_text("/handshake", handshake.to_string()).await;
    assert_eq!(status, 200);
    let client = reply[0]["clientId"].as_str().unwrap();
    let connect = json!([{"channel": "/meta/connect", "clientId": client, "connectionType": "long-polling", "advice": {"timeout": 0}}]);
    let (status, reply) = raw.send_text("/connect", connect.to_string()).await;
    assert_eq!(status, 200);
    assert_eq!(reply[0]["successful"], true);
    let subscribe =
        json!([{"channel": "/meta/subscribe", "clientId": client, "subscription": "/v2/me/chats"}]);
    let (status, reply) = raw.send_text("/", subscribe.to_string()).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply[0]["successful"], true);
}

#[tokio::test]
async fn clients_that_stop_polling_expire() {
    let server = server_with(ServerConfig {
        long_poll_timeout: Duration::from_millis(200),
        client_max_interval: Duration::from_millis(200),
        ..ServerConfig::default()
    })
    .await;
    let raw = RawBayeux::new(&server, "agent1");
    let client = raw.handshake().await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let reply = raw.connect(&client, Some(0)).await;
    assert_eq!(
        meta(&reply, "/meta/connect")["error"],
        "402::Unknown client"
    );
}

#[tokio::test]
async fn a_client_whose_queue_overflows_is_expelled() {
    let (server, raw, client) = agent1_listening(ServerConfig {
        max_queue: 3,
        ..ServerConfig::default()
    })
    .await;
    for n in 0..5 {
        Customer::request(&server, &format!("c{n}")).await;
    }
    let reply = raw.connect(&client, Some(0)).await;
    assert_eq!(
        meta(&reply, "/meta/connect")["error"],
        "402::Unknown client",
        "{reply:?}"
    );
}
