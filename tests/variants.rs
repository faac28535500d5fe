//! The seeded legal variants do what they say: each is shown against the endpoint itself,
//! beside the server's default behaviour, so a variant cannot silently become a no-op (the
//! suite passing it would then prove nothing). Whether the suite passes every variant, alone
//! and all together, and still catches every fault with all of them on, is
//! `tests/faults.rs`'s matrix.
//!
//! Also the command line: `serve --list-variants`, `--variant all`, an unknown name, and
//! `--variant` refused with a target.

mod support;

use std::time::Duration;

use gws_conform::server::{RunningServer, ServerConfig, Variant, Variants};
use serde_json::{Value, json};
use support::{Actor, Customer, RawBayeux, gws, messages, output_text};

/// A server with `variants` on.
async fn server(variants: impl Into<Variants>) -> RunningServer {
    support::server_with(ServerConfig {
        variants: variants.into(),
        long_poll_timeout: Duration::from_millis(500),
        ..ServerConfig::default()
    })
    .await
}

/// agent1 Ready and monitored by supervisor1 in `mode`; a customer's chat accepted by the
/// agent, whose own notifications are consumed; the supervisor's three join notifications.
struct Monitored {
    agent: Actor,
    supervisor: Actor,
    customer: Customer,
    /// The agent's chat id.
    chat: String,
    /// The supervisor's join notifications, as received.
    join: Vec<Value>,
}

impl Monitored {
    async fn start(server: &RunningServer, mode: &str) -> Self {
        let mut agent = Actor::ready(server, "agent1").await;
        let mut supervisor = Actor::login(server, "supervisor1").await;
        supervisor.start_session().await;
        supervisor
            .supervise(&agent, json!({"operationName": mode, "nickname": "Sam"}))
            .await
            .ok();
        let customer = Customer::request(server, "Chris").await;
        let chat = agent.offered().await;
        agent.accept(&chat).await;
        let mut join = Vec::new();
        for _ in 0..3 {
            join.push(supervisor.next_chat().await);
        }
        Monitored {
            agent,
            supervisor,
            customer,
            chat,
            join,
        }
    }

    /// The supervisor's chat id (from its join ParticipantsUpdated).
    fn supervisor_chat(&self) -> String {
        self.join[0]["chat"]["id"].as_str().unwrap().to_owned()
    }
}

#[tokio::test]
async fn own_chat_ids_give_each_party_an_id_of_its_own_that_works_for_it_alone() {
    let clean = server(Variants::NONE).await;
    let m = Monitored::start(&clean, "Coach").await;
    assert_eq!(m.supervisor_chat(), m.chat, "the default shares one id");
    clean.shutdown().await;

    let own = server(Variant::OwnChatIds).await;
    let m = Monitored::start(&own, "Coach").await;
    let mine = m.supervisor_chat();
    assert_ne!(mine, m.chat);
    assert!(m.join[2]["chatUri"].as_str().unwrap().ends_with(&mine));
    assert_eq!(m.join[2]["chatPath"], format!("/chats/{mine}"));
    let got = m
        .supervisor
        .get(&format!("/api/v2/me/chats/{mine}"))
        .await
        .ok();
    assert_eq!(got["chat"]["id"], mine);
    assert_eq!(
        m.supervisor
            .get(&format!("/api/v2/me/chats/{}", m.chat))
            .await
            .status,
        403,
        "the agent's id is not the supervisor's"
    );
    m.supervisor
        .must(&mine, "SendToAgents", json!({"text": "psst"}))
        .await;
    own.shutdown().await;
}

#[tokio::test]
async fn refusals_400_refuse_with_http_400_and_other_status_codes() {
    for (variants, capability, role) in [
        (Variants::NONE, (403, 3), (403, 5)),
        (Variant::Refusals400.into(), (400, 2), (400, 3)),
    ] {
        let server = server(variants).await;
        let m = Monitored::start(&server, "Monitor").await;
        m.supervisor
            .chat_op(
                &m.supervisor_chat(),
                json!({"operationName": "SendMessage", "text": "hi"}),
            )
            .await
            .refused(capability.0, capability.1);
        let plain = Actor::login(&server, "agent2").await;
        plain
            .supervise(&m.agent, json!({"operationName": "Monitor"}))
            .await
            .refused(role.0, role.1);
        server.shutdown().await;
    }
}

#[tokio::test]
async fn other_origin_names_the_documented_origin_in_every_uri() {
    let server = server(Variant::OtherOrigin).await;
    let m = Monitored::start(&server, "Coach").await;
    let origin = gws_conform::server::variants::OTHER_ORIGIN;
    assert!(!server.base_url().starts_with(origin));
    assert!(
        m.join[0]["chat"]["uri"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{origin}/api/v2/chats/"))
    );
    assert!(m.join[2]["chatUri"].as_str().unwrap().starts_with(origin));
    let me = m.agent.get("/api/v2/me").await.ok();
    assert!(
        me["user"]["uri"].as_str().unwrap().starts_with(origin),
        "{me}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn indexes_skip_start_at_1000_with_gaps() {
    let server = server(Variant::IndexesSkip).await;
    let m = Monitored::start(&server, "Coach").await;
    let indexes: Vec<u64> = messages(&m.join[2])
        .iter()
        .map(|m| m["index"].as_u64().unwrap())
        .collect();
    assert_eq!(indexes, [1000, 1001, 1003], "{}", m.join[2]);
    server.shutdown().await;
}

#[tokio::test]
async fn extra_fields_appear_in_notifications_success_bodies_and_the_transcript_but_not_errors() {
    let server = server(Variant::ExtraFields).await;
    let m = Monitored::start(&server, "Monitor").await;
    let pu = &m.join[0];
    assert!(pu.get("vendorExtension").is_some(), "{pu}");
    assert!(pu["chat"].get("vendorExtension").is_some(), "{pu}");
    assert!(
        pu["chat"]["participants"][0]
            .get("vendorExtension")
            .is_some()
    );
    assert!(messages(&m.join[2])[0].get("vendorExtension").is_some());
    let me = m.agent.get("/api/v2/me").await.ok();
    assert!(me.get("vendorExtension").is_some() && me["user"].get("vendorExtension").is_some());
    assert!(
        m.customer.transcript().await[0]
            .get("vendorExtension")
            .is_some()
    );
    // An error body has no other attributes (Return Values page): refused() checks exactly two.
    m.supervisor
        .chat_op(&m.supervisor_chat(), json!({"operationName": "Complete"}))
        .await
        .refused(403, 3);
    server.shutdown().await;
}

#[tokio::test]
async fn transfer_revokes_initiator_gives_the_transferring_supervisor_revoked() {
    for (variants, state) in [
        (Variants::NONE, "Completed"),
        (Variant::TransferRevokesInitiator.into(), "Revoked"),
    ] {
        let server = server(variants).await;
        let mut m = Monitored::start(&server, "Coach").await;
        m.supervisor
            .must(
                &m.supervisor_chat(),
                "Transfer",
                json!({"queueName": "Overflow"}),
            )
            .await;
        m.supervisor.expect_state(state).await;
        server.shutdown().await;
    }
}

#[tokio::test]
async fn repeated_cancel_succeeds_with_nothing_left_to_cancel() {
    for (variants, ok) in [
        (Variants::NONE, false),
        (Variant::RepeatedCancelSucceeds.into(), true),
    ] {
        let server = server(variants).await;
        let agent = Actor::ready(&server, "agent1").await;
        let supervisor = Actor::login(&server, "supervisor1").await;
        let reply = supervisor
            .supervise(
                &agent,
                json!({"operationName": "CancelSupervisorMonitoring"}),
            )
            .await;
        if ok {
            reply.ok();
        } else {
            reply.refused(400, 2);
        }
        server.shutdown().await;
    }
}

/// The delivered messages of each connect until one brings none (at most `max` connects).
async fn drain(raw: &RawBayeux, client: &str, max: usize) -> Vec<Vec<Value>> {
    let mut replies = Vec::new();
    for _ in 0..max {
        let reply = raw.connect(client, Some(200)).await;
        let data: Vec<Value> = support::data(&reply).into_iter().cloned().collect();
        if data.is_empty() {
            break;
        }
        replies.push(data);
    }
    replies
}

#[tokio::test]
async fn split_deliveries_deliver_one_notification_per_connect() {
    for (variants, per_reply) in [(Variants::NONE, 3), (Variant::SplitDeliveries.into(), 1)] {
        let (server, raw, client) = support::agent1_listening(ServerConfig {
            variants,
            ..ServerConfig::default()
        })
        .await;
        raw.connect(&client, Some(100)).await;
        Customer::request(&server, "Chris").await;
        let offer = drain(&raw, &client, 5).await;
        let chat = offer[0][0]["data"]["chat"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let agent = Actor::login(&server, "agent1").await;
        agent.must(&chat, "Accept", json!({})).await;
        // Accept causes StatusChange, ParticipantsUpdated and MessageLogUpdated.
        let replies = drain(&raw, &client, 5).await;
        let sizes: Vec<usize> = replies.iter().map(Vec::len).collect();
        assert_eq!(sizes.iter().sum::<usize>(), 3, "{replies:?}");
        assert!(sizes.iter().all(|n| *n <= per_reply), "{sizes:?}");
        assert_eq!(sizes[0], per_reply, "{sizes:?}");
        server.shutdown().await;
    }
}

#[tokio::test]
async fn cometd_advice_advises_on_the_handshake_and_first_connect_only() {
    for (variants, later_advice) in [
        (Variants::NONE, true),
        (Variant::CometdAdvice.into(), false),
    ] {
        let server = server(variants).await;
        let raw = RawBayeux::new(&server, "agent1");
        let handshake = raw
            .send(json!([{"channel": "/meta/handshake", "version": "1.0",
                "supportedConnectionTypes": ["long-polling"]}]))
            .await;
        assert!(handshake[0].get("advice").is_some());
        let client = handshake[0]["clientId"].as_str().unwrap();
        let first = raw.connect(client, Some(50)).await;
        assert!(
            support::meta(&first, "/meta/connect")
                .get("advice")
                .is_some()
        );
        let second = raw.connect(client, Some(50)).await;
        let advised = support::meta(&second, "/meta/connect")
            .get("advice")
            .is_some();
        assert_eq!(advised, later_advice, "{second:?}");
        server.shutdown().await;
    }
}

#[tokio::test]
async fn keys_reversed_reverses_rest_bodies_and_bayeux_messages() {
    let server = server(Variant::KeysReversed).await;
    let text = reqwest::Client::new()
        .get(format!("{}/api/v2/me", server.base_url()))
        .basic_auth("agent1", Some("password"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.starts_with(r#"{"user":"#), "{text}");
    assert!(text.ends_with(r#""statusCode":0}"#), "{text}");
    let raw = RawBayeux::new(&server, "agent1");
    let (_, reply) = raw
        .send_text(
            "",
            json!([{"channel": "/meta/handshake", "version": "1.0",
                "supportedConnectionTypes": ["long-polling"]}])
            .to_string(),
        )
        .await;
    let keys: Vec<&String> = reply[0].as_object().unwrap().keys().collect();
    assert_eq!(keys.last().map(|k| k.as_str()), Some("channel"), "{reply}");
    server.shutdown().await;
}

#[tokio::test]
async fn reference_ids_as_documented_answer_only_invite_and_consult_with_one() {
    let server = server(Variant::ReferenceIdsAsDocumented).await;
    let mut agent = Actor::ready(&server, "agent1").await;
    let colleague = Actor::login(&server, "agent2").await;
    colleague.start_session().await;
    Customer::request(&server, "Chris").await;
    let chat = agent.offered().await;
    let accepted = agent
        .chat_op(&chat, json!({"operationName": "Accept"}))
        .await
        .ok();
    assert!(accepted.get("referenceId").is_none(), "{accepted}");
    let status = agent.expect_state("Chatting").await;
    assert!(
        status["referenceId"].is_u64(),
        "the notification still carries one: {status}"
    );
    let invited = agent
        .chat_op(
            &chat,
            json!({"operationName": "Invite", "targetUri": format!("{}/api/v2/users/{}", server.base_url(), colleague.id)}),
        )
        .await
        .ok();
    assert!(invited["referenceId"].is_u64(), "{invited}");
    server.shutdown().await;
}

#[tokio::test]
async fn other_time_zone_writes_timestamps_at_minus_0700() {
    let server = server(Variant::OtherTimeZone).await;
    let m = Monitored::start(&server, "Coach").await;
    assert!(
        m.join[0]["chat"]["receivedDate"]
            .as_str()
            .unwrap()
            .ends_with("-0700")
    );
    for message in messages(&m.join[2]) {
        assert!(message["timestamp"].as_str().unwrap().ends_with("-0700"));
    }
    server.shutdown().await;
}

#[tokio::test]
async fn log_before_participants_tells_the_agent_of_a_join_log_first() {
    for (variants, first) in [
        (Variants::NONE, "ParticipantsUpdated"),
        (Variant::LogBeforeParticipants.into(), "NewMessages"),
    ] {
        let server = server(variants).await;
        let mut m = Monitored::start(&server, "Coach").await;
        assert_eq!(m.agent.next_chat().await["notificationType"], first);
        server.shutdown().await;
    }
}

#[tokio::test]
async fn agents_start_ready_are_offered_chats_without_a_ready() {
    let server = server(Variant::AgentsStartReady).await;
    let mut agent = Actor::login(&server, "agent1").await;
    agent.start_session().await;
    let channels = agent.get("/api/v2/me/channels?fields=*").await.ok();
    assert_eq!(
        channels["channels"][0]["userState"]["state"], "Ready",
        "{channels}"
    );
    Customer::request(&server, "Chris").await;
    agent.offered().await;
    server.shutdown().await;
}

#[tokio::test]
async fn routing_newest_ready_offers_the_agent_ready_most_recently() {
    for (variants, chosen) in [
        (Variants::NONE, "agent1"),
        (Variant::RoutingNewestReady.into(), "agent2"),
    ] {
        let server = server(variants).await;
        let mut first = Actor::ready(&server, "agent1").await;
        let mut second = Actor::ready(&server, "agent2").await;
        Customer::request(&server, "Chris").await;
        let (offered, idle) = if chosen == "agent1" {
            (&mut first, &mut second)
        } else {
            (&mut second, &mut first)
        };
        offered.offered().await;
        idle.quiet(Duration::from_millis(200)).await;
        server.shutdown().await;
    }
}

#[tokio::test]
async fn uuid_ids_hand_out_uuids() {
    let server = server(Variant::UuidIds).await;
    let m = Monitored::start(&server, "Coach").await;
    let uuid = |id: &str| id.len() == 36 && id.matches('-').count() == 4;
    assert!(uuid(&m.chat), "{}", m.chat);
    assert!(uuid(&m.agent.id), "{}", m.agent.id);
    assert!(uuid(
        m.join[0]["chat"]["participants"][0]["participantId"]
            .as_str()
            .unwrap()
    ));
    server.shutdown().await;
}

#[tokio::test]
async fn set_in_focus_notifies_sends_properties_updated() {
    let server = server(Variant::SetInFocusNotifies).await;
    let mut m = Monitored::start(&server, "Coach").await;
    m.agent.next_chat().await; // the supervisor joining: ParticipantsUpdated
    m.agent.next_chat().await; // and its log entry
    let chat = m.supervisor_chat();
    m.supervisor.must(&chat, "SetInFocus", json!({})).await;
    m.agent.expect("PropertiesUpdated").await;
    m.supervisor.expect("PropertiesUpdated").await;
    server.shutdown().await;
}

#[tokio::test]
async fn supervisor_leave_left_chat_ends_the_supervisor_s_part_as_left_chat() {
    let server = server(Variant::SupervisorLeaveLeftChat).await;
    let mut m = Monitored::start(&server, "Coach").await;
    let chat = m.supervisor_chat();
    m.supervisor.must(&chat, "Leave", json!({})).await;
    let left = m.supervisor.expect_state("LeftChat").await;
    assert_eq!(left["chat"]["capabilities"], json!([]));
    server.shutdown().await;
}

#[tokio::test]
async fn switch_logged_as_join_logs_a_participant_joined_with_the_new_visibility() {
    for (variants, kind) in [
        (Variants::NONE, "Notice"),
        (Variant::SwitchLoggedAsJoin.into(), "ParticipantJoined"),
    ] {
        let server = server(variants).await;
        let mut m = Monitored::start(&server, "Coach").await;
        let chat = m.supervisor_chat();
        m.supervisor.must(&chat, "SwitchToBargeIn", json!({})).await;
        m.supervisor.expect("ParticipantsUpdated").await;
        let log = m.supervisor.expect("NewMessages").await;
        let entry = &messages(&log)[0];
        assert_eq!(entry["type"], kind, "{log}");
        if kind == "ParticipantJoined" {
            assert_eq!(entry["visibility"], "All", "{log}");
        }
        server.shutdown().await;
    }
}

#[test]
fn list_variants_lists_every_variant_with_its_choice() {
    let out = gws(&["serve", "--list-variants"]);
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for variant in Variant::ALL {
        let line = stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(variant.name()))
            .unwrap_or_else(|| panic!("{variant} is not listed:\n{stdout}"));
        assert!(line.contains(&format!("#{}", variant.choice())), "{line}");
        assert!(line.contains(variant.description()), "{line}");
    }
}

#[test]
fn run_takes_variants_for_the_embedded_server_only() {
    let all = gws(&[
        "run",
        "message-index-increases",
        "--exact",
        "-q",
        "--variant",
        "all",
    ]);
    assert_eq!(all.status.code(), Some(0), "{}", output_text(&all));
    assert!(String::from_utf8_lossy(&all.stderr).contains("legal variants"));
    let unknown = gws(&["run", "--variant", "own-chat-id"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("did you mean `own-chat-ids`?"),
        "{}",
        output_text(&unknown)
    );
    let with_target = gws(&[
        "run",
        "--variant",
        "keys-reversed",
        "--target",
        "http://127.0.0.1:9",
    ]);
    assert_eq!(with_target.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&with_target.stderr).contains("--variant"));
}

#[tokio::test]
async fn ready_on_me_only_accepts_readiness_at_me_and_not_on_the_channel() {
    let server = server(Variant::ReadyOnMeOnly).await;
    let mut agent = Actor::login(&server, "agent1").await;
    agent.start_session().await;
    let on_channel = agent
        .post(
            "/api/v2/me/channels/chat",
            json!({"operationName": "Ready"}),
        )
        .await;
    assert_eq!(on_channel.status, 404, "{}", on_channel.body);
    agent
        .post("/api/v2/me", json!({"operationName": "Ready"}))
        .await
        .ok();
    Customer::request(&server, "Chris").await;
    agent.offered().await;
    server.shutdown().await;
}

#[tokio::test]
async fn batched_logs_gather_entries_of_one_chat_in_one_notification() {
    let server = server(Variant::BatchedLogs).await;
    let mut m = Monitored::start(&server, "Coach").await;
    m.agent.next_chat().await; // the supervisor joining: ParticipantsUpdated
    m.agent.next_chat().await; // and its log entry
    let chat = m.supervisor_chat();
    for text in ["one", "two", "three"] {
        m.supervisor
            .must(&chat, "SendToAgents", json!({"text": text}))
            .await;
    }
    let mut texts = Vec::new();
    let mut notifications = 0;
    while texts.len() < 3 {
        let log = m.agent.expect("NewMessages").await;
        notifications += 1;
        texts.extend(
            messages(&log)
                .iter()
                .map(|m| m["text"].as_str().unwrap().to_owned()),
        );
    }
    assert_eq!(texts, ["one", "two", "three"]);
    assert!(
        notifications < 3,
        "the entries were gathered: {notifications} notifications"
    );
    server.shutdown().await;
}
