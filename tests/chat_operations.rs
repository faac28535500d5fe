//! Agent and customer chat operations on the reference server: routing (fewest active chats,
//! then longest Ready), Reject re-routing, the documented Accept sequence, messages and typing
//! with increasing indexes, user data, disposition and comments as PropertiesUpdated with the
//! request's referenceId, SetInFocus, customer polling, and logout with pending offers.

mod support;

use std::time::Duration;

use gws_conform::server::ids::IdGen;
use gws_conform::server::{Directory, ServerConfig};
use serde_json::json;
use support::{Actor, Customer, messages, participant, server, server_with};

#[tokio::test]
async fn routing_prefers_fewest_chats_then_longest_ready() {
    let server = server().await;
    let mut first = Actor::ready(&server, "agent1").await;
    let mut second = Actor::ready(&server, "agent2").await;
    // Both idle: agent1 has been Ready longer.
    Customer::request(&server, "c1").await;
    first.offered().await;
    // agent1 now has one (offered) chat, agent2 none.
    Customer::request(&server, "c2").await;
    second.offered().await;
    // One each: back to the one Ready longest.
    Customer::request(&server, "c3").await;
    first.offered().await;
    second.quiet(Duration::from_millis(100)).await;
}

#[tokio::test]
async fn chats_are_routed_only_to_agents_of_the_contact_centre_they_were_requested_in() {
    let directory = Directory::builtin_lanes(2, &IdGen::new());
    let server = server_with(ServerConfig {
        directory: Some(directory),
        long_poll_timeout: Duration::from_secs(5),
        ..ServerConfig::default()
    })
    .await;
    let base = server.base_url();
    // agent1 (contact centre `default`) has been Ready longest and has no chat.
    let mut default_agent = Actor::ready(&server, "agent1").await;
    let mut lane_agent = Actor::ready(&server, "lane2-agent1").await;
    Customer::request_in(&base, "lane2", "c1").await;
    lane_agent.offered().await;
    default_agent.quiet(Duration::from_millis(100)).await;
    Customer::request_in(&base, "default", "c2").await;
    default_agent.offered().await;
    lane_agent.quiet(Duration::from_millis(100)).await;
    let unknown = reqwest::Client::new()
        .post(format!("{base}/api/v2/chats"))
        .header("ContactCenterId", "lane3")
        .json(&json!({"operationName": "RequestChat", "nickname": "c3"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn a_chat_waits_in_the_queue_until_an_agent_is_ready() {
    let server = server().await;
    let customer = Customer::request(&server, "Chris").await;
    assert_eq!(customer.chat().await["state"], "WaitingForAgent");
    let mut agent = Actor::ready(&server, "agent1").await;
    let chat = agent.offered().await;
    agent.accept(&chat).await;
    let shown = customer.chat().await;
    assert_eq!(shown["state"], "Chatting");
    assert_eq!(shown["participants"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn reject_offers_the_chat_to_another_agent_and_not_back() {
    let server = server().await;
    let mut first = Actor::ready(&server, "agent1").await;
    let mut second = Actor::login(&server, "agent2").await;
    Customer::request(&server, "Chris").await;
    let chat = first.offered().await;
    let reference = first.must(&chat, "Reject", json!({})).await;
    let rejected = first.expect_state("Completed").await;
    assert_eq!(rejected["referenceId"], reference);
    assert_eq!(rejected["chat"]["participants"], json!([]));
    // Nobody else is Ready: the chat waits, and is not offered back to agent1.
    first.quiet(Duration::from_millis(200)).await;
    second.start_session().await;
    second
        .post(
            "/api/v2/me/channels/chat",
            json!({"operationName": "Ready"}),
        )
        .await
        .ok();
    assert_eq!(second.offered().await, chat);
}

#[tokio::test]
async fn accept_gives_status_change_participants_and_history() {
    let server = server().await;
    let mut agent = Actor::ready(&server, "agent1").await;
    let customer = Customer::request(&server, "Chris").await;
    customer.say("anyone there?").await;
    let chat = agent.offered().await;
    let reference = agent
        .must(&chat, "Accept", json!({"nickname": "Ann"}))
        .await;
    let status = agent.expect_state("Chatting").await;
    assert_eq!(status["referenceId"], reference);
    assert_eq!(status["chat"]["participants"], json!([]));
    let participants = agent.expect("ParticipantsUpdated").await;
    assert_eq!(
        participant(&participants, "Ann").unwrap()["visibility"],
        "All"
    );
    assert_eq!(
        participant(&participants, "Chris").unwrap()["type"],
        "Customer"
    );
    let history = agent.expect("NewMessages").await;
    assert_eq!(history["referenceId"], reference);
    let kinds: Vec<&str> = messages(&history)
        .iter()
        .map(|m| m["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["ParticipantJoined", "Text", "ParticipantJoined"]);
    assert!(
        history["chatUri"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/api/v2/chats/{chat}"))
    );
    let timestamp = messages(&history)[1]["timestampSeconds"].as_u64().unwrap();
    assert!(
        timestamp > 1_600_000_000_000,
        "timestampSeconds holds milliseconds: {timestamp}"
    );
}

#[tokio::test]
async fn messages_and_typing_carry_increasing_indexes_and_reach_the_right_parties() {
    let server = server().await;
    let mut agent = Actor::ready(&server, "agent1").await;
    let customer = Customer::request(&server, "Chris").await;
    let chat = agent.offered().await;
    agent.accept(&chat).await;
    customer
        .op(json!({"operationName": "SendStartTypingNotification"}))
        .await
        .ok();
    customer.say("hello").await;
    customer
        .op(json!({"operationName": "SendStopTypingNotification"}))
        .await
        .ok();
    let mut seen = Vec::new();
    for expected in ["TypingStarted", "Text", "TypingStopped"] {
        let log = agent.expect("NewMessages").await;
        let message = &messages(&log)[0];
        assert_eq!(message["type"], expected);
        assert!(
            log.get("referenceId").is_none(),
            "customer messages are unsolicited"
        );
        seen.push(message["index"].as_u64().unwrap());
    }
    let reference = agent
        .must(&chat, "SendMessage", json!({"text": "how can I help?"}))
        .await;
    let echo = agent.expect("NewMessages").await;
    assert_eq!(echo["referenceId"], reference);
    seen.push(messages(&echo)[0]["index"].as_u64().unwrap());
    agent
        .must(&chat, "SendToAgents", json!({"text": "note to self"}))
        .await;
    let note = agent.expect("NewMessages").await;
    assert_eq!(messages(&note)[0]["visibility"], "Agents");
    seen.push(messages(&note)[0]["index"].as_u64().unwrap());
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    let transcript = customer.transcript().await;
    let texts: Vec<&str> = transcript
        .iter()
        .filter_map(|m| m["text"].as_str())
        .collect();
    assert_eq!(texts, ["hello", "how can I help?"]);
}

#[tokio::test]
async fn customer_polling_returns_new_messages_once_and_all_with_index() {
    let server = server().await;
    let mut agent = Actor::ready(&server, "agent1").await;
    let customer = Customer::request(&server, "Chris").await;
    let chat = agent.offered().await;
    agent.accept(&chat).await;
    let poll = |query: &'static str| {
        let http = customer.http.clone();
        let url = format!(
            "{}/api/v2/chats/{}/messages{query}",
            customer.base, customer.id
        );
        async move {
            let body: serde_json::Value = http
                .get(url)
                .header("ContactCenterId", "default")
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            body["messages"].as_array().unwrap().clone()
        }
    };
    assert_eq!(poll("").await.len(), 2, "both joins");
    assert!(poll("").await.is_empty(), "nothing new");
    agent
        .must(&chat, "SendMessage", json!({"text": "hi"}))
        .await;
    let fresh = poll("").await;
    assert_eq!(fresh.len(), 1);
    assert_eq!(fresh[0]["text"], "hi");
    assert_eq!(poll("?index=0").await.len(), 3);
    assert_eq!(poll("?index=3").await.len(), 1);
}

#[tokio::test]
async fn user_data_disposition_and_comments_give_properties_updated() {
    let server = server().await;
    let mut agent = Actor::ready(&server, "agent1").await;
    Customer::request(&server, "Chris").await;
    let chat = agent.offered().await;
    agent.accept(&chat).await;
    let steps = [
        (
            "AttachUserData",
            json!({"userData": {"a": "1", "b": 2}}),
            json!({"a": "1", "b": 2}),
        ),
        (
            "UpdateUserData",
            json!({"userData": {"b": 3}}),
            json!({"a": "1", "b": 3}),
        ),
        (
            "DeleteUserData",
            json!({"keys": ["a", "missing"]}),
            json!({"b": 3}),
        ),
        (
            "SetDisposition",
            json!({"disposition": "Sold"}),
            json!({"b": 3, "DispositionCode": "Sold"}),
        ),
        (
            "SetDisposition",
            json!({"disposition": "X", "dispositionKey": "Code2"}),
            json!({"b": 3, "DispositionCode": "Sold", "Code2": "X"}),
        ),
    ];
    for (operation, extra, expected) in steps {
        let reference = agent.must(&chat, operation, extra).await;
        let update = agent.expect("PropertiesUpdated").await;
        assert_eq!(update["referenceId"], reference, "{operation}");
        assert_eq!(update["chat"]["userData"], expected, "{operation}");
    }
    agent
        .must(&chat, "AddComment", json!({"comment": "VIP"}))
        .await;
    assert_eq!(
        agent.expect("PropertiesUpdated").await["chat"]["comment"],
        "VIP"
    );
    agent.must(&chat, "SetInFocus", json!({})).await;
    agent.quiet(Duration::from_millis(150)).await;
    let resource = agent.get(&format!("/api/v2/me/chats/{chat}")).await.ok();
    assert_eq!(resource["chat"]["comment"], "VIP");
}

#[tokio::test]
async fn transfer_to_an_agent_offers_it_directly() {
    let server = server().await;
    let mut first = Actor::ready(&server, "agent1").await;
    let mut second = Actor::login(&server, "agent2").await;
    second.start_session().await;
    let customer = Customer::request(&server, "Chris").await;
    let chat = first.offered().await;
    first.accept(&chat).await;
    let target = format!("{}/api/v2/users/{}", server.base_url(), second.id);
    first
        .must(&chat, "Transfer", json!({"targetUri": target}))
        .await;
    first.expect_state("Completed").await;
    assert_eq!(customer.chat().await["state"], "WaitingForAgent");
    let offered = second.offered().await;
    second.accept(&offered).await;
    assert_eq!(customer.chat().await["state"], "Chatting");
}

#[tokio::test]
async fn logging_out_withdraws_offers_and_ends_chats() {
    let server = server().await;
    let mut first = Actor::ready(&server, "agent1").await;
    let mut second = Actor::ready(&server, "agent2").await;
    let one = Customer::request(&server, "c1").await;
    let chat_one = first.offered().await;
    first.accept(&chat_one).await;
    Customer::request(&server, "c2").await;
    let chat_two = second.offered().await;
    second
        .post(
            "/api/v2/me",
            json!({"operationName": "EndContactCenterSession"}),
        )
        .await
        .ok();
    second.expect_state("Revoked").await;
    // The withdrawn offer goes to the remaining Ready agent.
    assert_eq!(first.offered().await, chat_two);
    first
        .post(
            "/api/v2/me",
            json!({"operationName": "EndContactCenterSession"}),
        )
        .await
        .ok();
    let a = first.expect_state("Completed").await;
    let b = first.expect_state("Revoked").await;
    assert_eq!(a["chat"]["id"], chat_one.as_str());
    assert_eq!(b["chat"]["id"], chat_two.as_str());
    assert_eq!(one.chat().await["state"], "Idle");
    let channels = first.get("/api/v2/me/channels").await.ok();
    assert_eq!(channels["channels"][0]["userState"]["state"], "LoggedOut");
}

#[tokio::test]
async fn a_customer_leaving_an_unanswered_chat_withdraws_the_offer() {
    let server = server().await;
    let mut agent = Actor::ready(&server, "agent1").await;
    let customer = Customer::request(&server, "Chris").await;
    let chat = agent.offered().await;
    customer.op(json!({"operationName": "Complete"})).await.ok();
    let withdrawn = agent.expect_state("Revoked").await;
    assert_eq!(withdrawn["chat"]["id"], chat.as_str());
    agent
        .chat_op(&chat, json!({"operationName": "Accept"}))
        .await
        .refused(403, 3);
}

#[tokio::test]
async fn leave_complete_and_transfer_may_carry_a_last_message() {
    let server = server().await;
    let mut agent = Actor::ready(&server, "agent1").await;
    let customer = Customer::request(&server, "Chris").await;
    let chat = agent.offered().await;
    agent.accept(&chat).await;
    let reference = agent
        .must(
            &chat,
            "Leave",
            json!({"text": "Goodbye", "treatAs": "Normal"}),
        )
        .await;
    let last = agent.expect("NewMessages").await;
    assert_eq!(last["referenceId"], reference);
    assert_eq!(messages(&last)[0]["text"], "Goodbye");
    agent.expect_state("LeftChat").await;
    let texts: Vec<String> = customer
        .transcript()
        .await
        .iter()
        .filter(|m| m["type"] == "Text")
        .map(|m| m["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(texts, ["Goodbye"]);
}

#[tokio::test]
async fn logging_out_gives_notifications_without_a_reference_id() {
    let server = server().await;
    let mut agent = Actor::ready(&server, "agent1").await;
    Customer::request(&server, "Chris").await;
    let chat = agent.offered().await;
    agent.accept(&chat).await;
    agent
        .post(
            "/api/v2/me",
            json!({"operationName": "EndContactCenterSession"}),
        )
        .await
        .ok();
    let ended = agent.expect_state("Completed").await;
    assert!(
        ended.get("referenceId").is_none(),
        "no request of the agent returned one: {ended}"
    );
}
