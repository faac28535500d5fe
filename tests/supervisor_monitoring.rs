//! The documented supervisor-monitoring behaviour of the reference server, end to end over real
//! HTTP and Bayeux: the seed page's three notifications, the capability table per mode, every
//! mode transition, visibility towards agent and customer, Revoked, cancel, logout, NextChat
//! against AllChats, several agents and chats at once, and the conference/consultation rule.

mod support;

use std::time::Duration;

use serde_json::json;
use support::{Actor, Customer, capabilities, messages, participant, seed_table, server};

/// The seed page's column for `mode`, sorted as [`capabilities`] returns them.
fn table(mode: &str) -> Vec<String> {
    let mut list = seed_table(mode);
    list.sort();
    list.into_iter().map(str::to_owned).collect()
}

fn visibility_of(mode: &str) -> &'static str {
    match mode {
        "Monitor" => "Supervisors",
        "Coach" => "Agents",
        _ => "All",
    }
}

/// The supervisor's view of the three notifications when the monitored agent accepts.
async fn expect_join(supervisor: &mut Actor, mode: &str, chat_id: &str) {
    let participants = supervisor.expect("ParticipantsUpdated").await;
    let status = supervisor.expect_state("Chatting").await;
    let history = supervisor.expect("NewMessages").await;
    for data in [&participants, &status] {
        assert_eq!(data["messageType"], "ChatStateChangeMessage");
        assert_eq!(data["chat"]["id"], chat_id);
        assert_eq!(capabilities(data), table(mode), "{mode}: {data}");
        let me = participant(data, &supervisor.name).expect("supervisor listed");
        assert_eq!(me["visibility"], visibility_of(mode));
        assert_eq!(me["type"], "Agent");
    }
    assert_eq!(history["messageType"], "MessageLogUpdated");
    let log = messages(&history);
    let joined: Vec<_> = log
        .iter()
        .filter(|m| m["type"] == "ParticipantJoined")
        .map(|m| {
            (
                m["from"]["type"].as_str().unwrap(),
                m["visibility"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        joined,
        [
            ("Customer", "All"),
            ("Agent", "All"),
            ("Agent", visibility_of(mode))
        ]
    );
    let indexes: Vec<u64> = log.iter().map(|m| m["index"].as_u64().unwrap()).collect();
    assert!(indexes.windows(2).all(|w| w[0] < w[1]), "{indexes:?}");
}

/// Sets up: agent1 Ready, supervisor1 monitoring it in `mode`/`scope`, a customer chat
/// accepted by agent1. Returns (agent, supervisor, customer, chat id).
async fn monitored_chat(
    server: &gws_conform::server::RunningServer,
    mode: &str,
    scope: &str,
) -> (Actor, Actor, Customer, String) {
    let mut agent = Actor::ready(server, "agent1").await;
    let mut supervisor = Actor::login(server, "supervisor1").await;
    supervisor
        .supervise(
            &agent,
            json!({"operationName": mode, "supervisorMonitoringMode": scope}),
        )
        .await
        .ok();
    let customer = Customer::request(server, "Chris").await;
    let chat_id = agent.offered().await;
    agent.accept(&chat_id).await;
    expect_join(&mut supervisor, mode, &chat_id).await;
    (agent, supervisor, customer, chat_id)
}

#[tokio::test]
async fn supervisor_joins_in_each_mode_with_the_documented_notifications() {
    for mode in ["Monitor", "Coach", "BargeIn"] {
        let server = server().await;
        let (mut agent, _supervisor, customer, _chat) =
            monitored_chat(&server, mode, "AllChats").await;
        // The agent sees the supervisor join only when the supervisor is visible to agents.
        if mode == "Monitor" {
            agent.quiet(Duration::from_millis(200)).await;
        } else {
            let update = agent.expect("ParticipantsUpdated").await;
            assert_eq!(
                participant(&update, "supervisor1").unwrap()["visibility"],
                visibility_of(mode)
            );
            agent.expect("NewMessages").await;
        }
        let shown = customer.chat().await;
        let names: Vec<&str> = shown["participants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["nickname"].as_str().unwrap())
            .collect();
        assert_eq!(
            names.contains(&"supervisor1"),
            mode == "BargeIn",
            "{mode}: {shown}"
        );
    }
}

#[tokio::test]
async fn every_mode_transition_changes_capabilities_and_visibility() {
    let server = server().await;
    let (mut agent, mut supervisor, customer, chat_id) =
        monitored_chat(&server, "Monitor", "AllChats").await;
    // Monitor -> Coach -> BargeIn -> Monitor -> BargeIn -> Coach -> Monitor: all six transitions.
    let mut previous = "Monitor";
    for mode in ["Coach", "BargeIn", "Monitor", "BargeIn", "Coach", "Monitor"] {
        let reference = supervisor
            .must(&chat_id, &format!("SwitchTo{mode}"), json!({}))
            .await;
        let update = supervisor.expect("ParticipantsUpdated").await;
        assert_eq!(update["referenceId"], reference);
        assert_eq!(capabilities(&update), table(mode), "{previous} -> {mode}");
        assert_eq!(
            participant(&update, "supervisor1").unwrap()["visibility"],
            visibility_of(mode)
        );
        let log = supervisor.expect("NewMessages").await;
        assert_eq!(log["referenceId"], reference);
        // The agent is told whenever it could see the supervisor before or can now.
        if previous != "Monitor" || mode != "Monitor" {
            let seen = agent.expect("ParticipantsUpdated").await;
            assert!(
                capabilities(&seen).contains(&"SendMessage".to_owned()),
                "agent keeps its own capabilities"
            );
            match participant(&seen, "supervisor1") {
                Some(p) => assert_eq!(p["visibility"], visibility_of(mode)),
                None => assert_eq!(
                    mode, "Monitor",
                    "{previous} -> {mode}: agent must see the supervisor"
                ),
            }
            agent.expect("NewMessages").await;
        }
        let shown = customer.chat().await;
        let visible_to_customer = shown["participants"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["nickname"] == "supervisor1");
        assert_eq!(
            visible_to_customer,
            mode == "BargeIn",
            "{previous} -> {mode}"
        );
        previous = mode;
    }
}

#[tokio::test]
async fn operations_outside_the_mode_are_refused_and_change_nothing() {
    let server = server().await;
    let (_agent, mut supervisor, customer, chat_id) =
        monitored_chat(&server, "Monitor", "AllChats").await;
    for operation in [
        "SendMessage",
        "SendToAgents",
        "SwitchToMonitor",
        "AddComment",
        "Complete",
        "Accept",
    ] {
        supervisor
            .chat_op(
                &chat_id,
                json!({"operationName": operation, "text": "x", "comment": "c"}),
            )
            .await
            .refused(403, 3);
    }
    supervisor.must(&chat_id, "SwitchToCoach", json!({})).await;
    supervisor.expect("ParticipantsUpdated").await;
    supervisor.expect("NewMessages").await;
    for operation in [
        "SendMessage",
        "SendStartTypingNotification",
        "SwitchToCoach",
        "Complete",
    ] {
        supervisor
            .chat_op(&chat_id, json!({"operationName": operation, "text": "x"}))
            .await
            .refused(403, 3);
    }
    supervisor
        .must(&chat_id, "SwitchToBargeIn", json!({}))
        .await;
    supervisor.expect("ParticipantsUpdated").await;
    supervisor.expect("NewMessages").await;
    supervisor
        .chat_op(&chat_id, json!({"operationName": "SwitchToBargeIn"}))
        .await
        .refused(403, 3);
    let texts: Vec<_> = customer
        .transcript()
        .await
        .into_iter()
        .filter(|m| m["type"] == "Text")
        .collect();
    assert!(
        texts.is_empty(),
        "refused operations must not have sent anything: {texts:?}"
    );
}

#[tokio::test]
async fn coach_messages_reach_the_agent_only_and_barge_in_messages_reach_everyone() {
    let server = server().await;
    let (mut agent, mut supervisor, customer, chat_id) =
        monitored_chat(&server, "Coach", "AllChats").await;
    agent.expect("ParticipantsUpdated").await;
    agent.expect("NewMessages").await;
    supervisor
        .must(
            &chat_id,
            "SendToAgents",
            json!({"text": "offer the discount"}),
        )
        .await;
    let coached = agent.expect("NewMessages").await;
    assert_eq!(messages(&coached)[0]["text"], "offer the discount");
    assert_eq!(messages(&coached)[0]["visibility"], "Agents");
    supervisor.expect("NewMessages").await;
    supervisor
        .must(&chat_id, "SendStartTypingToAgentsNotification", json!({}))
        .await;
    assert_eq!(
        messages(&agent.expect("NewMessages").await)[0]["type"],
        "TypingStarted"
    );
    supervisor.expect("NewMessages").await;

    supervisor
        .must(&chat_id, "SwitchToBargeIn", json!({}))
        .await;
    supervisor.expect("ParticipantsUpdated").await;
    supervisor.expect("NewMessages").await;
    agent.expect("ParticipantsUpdated").await;
    agent.expect("NewMessages").await;
    supervisor
        .must(
            &chat_id,
            "SendMessage",
            json!({"text": "hello from the supervisor"}),
        )
        .await;
    let barged = agent.expect("NewMessages").await;
    assert_eq!(messages(&barged)[0]["visibility"], "All");

    let transcript = customer.transcript().await;
    let texts: Vec<&str> = transcript
        .iter()
        .filter(|m| m["type"] == "Text")
        .filter_map(|m| m["text"].as_str())
        .collect();
    assert_eq!(texts, ["hello from the supervisor"]);
    for message in &transcript {
        assert!(
            message.get("visibility").is_none(),
            "customer API shows no visibility: {message}"
        );
        assert_ne!(
            message["type"], "TypingStarted",
            "agent-only typing leaked: {message}"
        );
    }
    let indexes: Vec<u64> = transcript
        .iter()
        .map(|m| m["index"].as_u64().unwrap())
        .collect();
    assert!(indexes.windows(2).all(|w| w[0] < w[1]));
}

#[tokio::test]
async fn completing_the_chat_revokes_the_supervisor() {
    let server = server().await;
    let (mut agent, mut supervisor, customer, chat_id) =
        monitored_chat(&server, "Monitor", "AllChats").await;
    let reference = agent.must(&chat_id, "Complete", json!({})).await;
    let done = agent.expect_state("Completed").await;
    assert_eq!(done["referenceId"], reference);
    let revoked = supervisor.expect_state("Revoked").await;
    assert_eq!(revoked["chat"]["participants"], json!([]));
    assert_eq!(revoked["chat"]["capabilities"], json!([]));
    assert_eq!(revoked["chat"]["id"], chat_id.as_str());
    assert!(revoked.get("referenceId").is_none());
    assert_eq!(customer.chat().await["state"], "Idle");
    supervisor.quiet(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn last_agent_leaving_revokes_the_supervisor_and_leaves_the_agent_in_left_chat() {
    let server = server().await;
    let (mut agent, mut supervisor, customer, chat_id) =
        monitored_chat(&server, "BargeIn", "AllChats").await;
    agent.expect("ParticipantsUpdated").await;
    agent.expect("NewMessages").await;
    agent.must(&chat_id, "Leave", json!({})).await;
    supervisor.expect_state("Revoked").await;
    let left = agent.expect_state("LeftChat").await;
    assert!(capabilities(&left).contains(&"SetDisposition".to_owned()));
    assert_eq!(customer.chat().await["state"], "Idle");
    agent
        .must(
            &chat_id,
            "SetDisposition",
            json!({"disposition": "Resolved"}),
        )
        .await;
    let props = agent.expect("PropertiesUpdated").await;
    assert_eq!(props["chat"]["userData"]["DispositionCode"], "Resolved");
    agent.must(&chat_id, "Complete", json!({})).await;
    agent.expect_state("Completed").await;
}

#[tokio::test]
async fn transfer_to_a_queue_revokes_the_supervisor_and_reroutes_the_chat() {
    let server = server().await;
    let (mut agent, mut supervisor, customer, chat_id) =
        monitored_chat(&server, "Monitor", "AllChats").await;
    let mut other = Actor::ready(&server, "agent2").await;
    agent
        .must(&chat_id, "Transfer", json!({"queueName": "Support"}))
        .await;
    agent.expect_state("Completed").await;
    supervisor.expect_state("Revoked").await;
    let offered = other.offered().await;
    assert_eq!(offered, chat_id, "the interaction keeps its id");
    other.accept(&offered).await;
    // Monitoring of agent1 does not follow the chat to agent2.
    supervisor.quiet(Duration::from_millis(200)).await;
    customer.say("still there?").await;
    let text = other.expect("NewMessages").await;
    assert_eq!(messages(&text)[0]["text"], "still there?");
}

#[tokio::test]
async fn cancel_stops_monitoring_but_keeps_the_current_chat() {
    let server = server().await;
    let (mut agent, mut supervisor, customer, chat_id) =
        monitored_chat(&server, "Monitor", "AllChats").await;
    supervisor
        .supervise(
            &agent,
            json!({"operationName": "CancelSupervisorMonitoring"}),
        )
        .await
        .ok();
    // Cancelling twice: monitoring is no longer active.
    supervisor
        .supervise(
            &agent,
            json!({"operationName": "CancelSupervisorMonitoring"}),
        )
        .await
        .refused(400, 2);
    customer.say("hi").await;
    let text = supervisor.expect("NewMessages").await;
    assert_eq!(
        messages(&text)[0]["text"],
        "hi",
        "still in the current chat"
    );
    agent.expect("NewMessages").await;
    let _second = Customer::request(&server, "Dana").await;
    let next = agent.offered().await;
    agent.accept(&next).await;
    supervisor.quiet(Duration::from_millis(300)).await;
    supervisor.must(&chat_id, "Leave", json!({})).await;
    supervisor.expect_state("Completed").await;
}

#[tokio::test]
async fn logout_ends_monitoring_and_leaves_chats() {
    let server = server().await;
    let (mut agent, mut supervisor, _customer, chat_id) =
        monitored_chat(&server, "Coach", "AllChats").await;
    agent.expect("ParticipantsUpdated").await;
    agent.expect("NewMessages").await;
    supervisor.start_session().await;
    supervisor
        .post(
            "/api/v2/me",
            json!({"operationName": "EndContactCenterSession"}),
        )
        .await
        .ok();
    supervisor.expect_state("Completed").await;
    let gone = agent.expect("ParticipantsUpdated").await;
    assert!(participant(&gone, "supervisor1").is_none());
    agent.expect("NewMessages").await;
    let _next = Customer::request(&server, "Dana").await;
    let next = agent.offered().await;
    agent.accept(&next).await;
    supervisor.quiet(Duration::from_millis(300)).await;
    assert_ne!(next, chat_id);
}

#[tokio::test]
async fn next_chat_monitors_one_chat_and_all_chats_every_chat() {
    for (scope, joins_second) in [("NextChat", false), ("AllChats", true)] {
        let server = server().await;
        let (mut agent, mut supervisor, _customer, _chat) =
            monitored_chat(&server, "Monitor", scope).await;
        let _second = Customer::request(&server, "Dana").await;
        let next = agent.offered().await;
        agent.accept(&next).await;
        if joins_second {
            expect_join(&mut supervisor, "Monitor", &next).await;
        } else {
            supervisor.quiet(Duration::from_millis(300)).await;
        }
    }
}

#[tokio::test]
async fn one_supervisor_monitors_two_agents_with_two_chats_at_once() {
    let server = server().await;
    let mut first = Actor::ready(&server, "agent1").await;
    let mut second = Actor::ready(&server, "agent2").await;
    let mut supervisor = Actor::login(&server, "supervisor1").await;
    supervisor
        .supervise(&first, json!({"operationName": "Monitor"}))
        .await
        .ok();
    supervisor
        .supervise(&second, json!({"operationName": "Coach"}))
        .await
        .ok();
    let one = Customer::request(&server, "Chris").await;
    let chat_one = first.offered().await;
    let two = Customer::request(&server, "Dana").await;
    let chat_two = second.offered().await;
    assert_ne!(chat_one, chat_two, "routing gives each agent one chat");
    first.accept(&chat_one).await;
    expect_join(&mut supervisor, "Monitor", &chat_one).await;
    second.accept(&chat_two).await;
    expect_join(&mut supervisor, "Coach", &chat_two).await;
    one.say("from one").await;
    two.say("from two").await;
    let a = supervisor.expect("NewMessages").await;
    let b = supervisor.expect("NewMessages").await;
    assert!(a["chatUri"].as_str().unwrap().ends_with(&chat_one));
    assert!(b["chatUri"].as_str().unwrap().ends_with(&chat_two));
    let chats = supervisor.get("/api/v2/me/chats?fields=*").await.ok();
    assert_eq!(chats["chats"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn supervisor_stays_when_the_monitored_agent_leaves_a_conference() {
    let server = server().await;
    let (mut agent, mut supervisor, _customer, chat_id) =
        monitored_chat(&server, "Monitor", "AllChats").await;
    let mut colleague = Actor::login(&server, "agent2").await;
    colleague.start_session().await;
    let invite = agent
        .must(
            &chat_id,
            "Invite",
            json!({"targetUri": format!("{}/api/v2/users/{}", server.base_url(), colleague.id)}),
        )
        .await;
    let offered = colleague.offered().await;
    assert_eq!(offered, chat_id);
    colleague.accept(&offered).await;
    let joined = agent.expect("ParticipantsUpdated").await;
    assert_eq!(
        joined["referenceId"], invite,
        "the inviter's notifications echo the Invite"
    );
    assert!(participant(&joined, "agent2").is_some());
    agent.expect("NewMessages").await;
    supervisor.expect("ParticipantsUpdated").await;
    supervisor.expect("NewMessages").await;

    agent.must(&chat_id, "Leave", json!({})).await;
    agent.expect_state("Completed").await;
    let update = supervisor.expect("ParticipantsUpdated").await;
    assert!(participant(&update, "agent1").is_none());
    supervisor.expect("NewMessages").await;
    supervisor.quiet(Duration::from_millis(200)).await;
    // The supervisor is still in the chat until it leaves itself (or the chat ends).
    colleague.expect("ParticipantsUpdated").await;
    colleague.expect("NewMessages").await;
    colleague.must(&chat_id, "Complete", json!({})).await;
    supervisor.expect_state("Revoked").await;
}

#[tokio::test]
async fn consultant_is_seen_by_agents_and_supervisors_but_not_the_customer() {
    let server = server().await;
    let (mut agent, mut supervisor, customer, chat_id) =
        monitored_chat(&server, "Monitor", "AllChats").await;
    let mut consultant = Actor::login(&server, "agent2").await;
    consultant.start_session().await;
    let target = format!("/api/v2/users/{}", consultant.id);
    agent
        .must(&chat_id, "Consult", json!({"targetPath": target}))
        .await;
    let offered = consultant.offered().await;
    consultant.accept(&offered).await;
    let update = supervisor.expect("ParticipantsUpdated").await;
    assert_eq!(
        participant(&update, "agent2").unwrap()["visibility"],
        "Agents"
    );
    supervisor.expect("NewMessages").await;
    agent.expect("ParticipantsUpdated").await;
    agent.expect("NewMessages").await;
    consultant
        .must(
            &chat_id,
            "SendToAgents",
            json!({"text": "check the invoice"}),
        )
        .await;
    assert_eq!(
        messages(&agent.expect("NewMessages").await)[0]["text"],
        "check the invoice"
    );
    consultant
        .chat_op(
            &chat_id,
            json!({"operationName": "SendMessage", "text": "hi customer"}),
        )
        .await
        .refused(403, 3);
    let shown = customer.chat().await;
    assert_eq!(
        shown["participants"].as_array().unwrap().len(),
        2,
        "{shown}"
    );
    assert!(
        customer
            .transcript()
            .await
            .iter()
            .all(|m| m["text"] != "check the invoice")
    );
}
