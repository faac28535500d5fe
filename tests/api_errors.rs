//! Bad input gets the documented error shape (`statusCode` + `statusMessage`, nothing else)
//! with the right HTTP status, never a panic; and a refused request changes nothing.

mod support;

use std::time::Duration;

use gws_conform::server::ServerConfig;
use reqwest::StatusCode;
use serde_json::json;
use support::{Actor, Customer, send as raw, server, server_with};

#[tokio::test]
async fn missing_or_wrong_credentials_get_401_with_status_code_20() {
    let server = server().await;
    let url = format!("{}/api/v2/me", server.base_url());
    let http = reqwest::Client::new();
    raw(http.get(&url)).await.refused(401, 20);
    raw(http.get(&url).basic_auth("agent1", Some("wrong")))
        .await
        .refused(401, 20);
    raw(http.get(&url).basic_auth("nobody", Some("password")))
        .await
        .refused(401, 20);
    raw(http.get(&url).header("Authorization", "Basic !!!notbase64"))
        .await
        .refused(401, 20);
    raw(http.get(&url).header("Authorization", "Bearer abc"))
        .await
        .refused(401, 20);
    raw(http.get(&url).header("Cookie", "JSESSIONID=forged"))
        .await
        .refused(401, 20);
    let bayeux = format!("{}/api/v2/notifications", server.base_url());
    raw(http.post(&bayeux).body("[]")).await.refused(401, 20);
}

#[tokio::test]
async fn the_session_cookie_authenticates_until_end_contact_center_session() {
    let server = server().await;
    let base = server.base_url();
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let first = http
        .get(format!("{base}/api/v2/me"))
        .basic_auth("agent1", Some("password"))
        .send()
        .await
        .unwrap();
    assert!(
        first
            .headers()
            .get("set-cookie")
            .is_some_and(|c| c.to_str().unwrap().starts_with("JSESSIONID="))
    );
    raw(http.get(format!("{base}/api/v2/me"))).await.ok();
    let end = json!({"operationName": "EndContactCenterSession"});
    raw(http.post(format!("{base}/api/v2/me")).json(&end))
        .await
        .ok();
    raw(http.get(format!("{base}/api/v2/me")))
        .await
        .refused(401, 20);
}

#[tokio::test]
async fn malformed_bodies_and_parameters_get_400() {
    let server = server().await;
    let agent = Actor::login(&server, "agent1").await;
    let url = format!("{}/api/v2/me", server.base_url());
    let post = |body: &'static str| {
        raw(agent
            .http
            .post(&url)
            .basic_auth("agent1", Some("password"))
            .body(body))
    };
    post("{").await.refused(400, 10);
    post("[1, 2]").await.refused(400, 10);
    post("").await.refused(400, 10);
    post("{}").await.refused(400, 1);
    post(r#"{"operationName": 7}"#).await.refused(400, 10);
    post(r#"{"operationName": "Dance"}"#).await.refused(400, 10);
    post(r#"{"operationName": "StartContactCenterSession"}"#)
        .await
        .refused(400, 1);
    post(r#"{"operationName": "StartContactCenterSession", "channels": "chat"}"#)
        .await
        .refused(400, 10);
    post(r#"{"operationName": "StartContactCenterSession", "channels": ["voice"]}"#)
        .await
        .refused(400, 10);
    agent
        .post(
            "/api/v2/me/channels/chat",
            json!({"operationName": "Ready"}),
        )
        .await
        .refused(400, 2);
    agent
        .post(
            "/api/v2/me/channels/chat",
            json!({"operationName": "Sleep"}),
        )
        .await
        .refused(400, 10);
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let server = server_with(ServerConfig {
        max_body_bytes: 1024,
        ..ServerConfig::default()
    })
    .await;
    let agent = Actor::login(&server, "agent1").await;
    let big = json!({"operationName": "StartContactCenterSession", "channels": ["chat"], "pad": "x".repeat(4096)});
    agent.post("/api/v2/me", big.clone()).await.refused(413, 10);
    let customer = reqwest::Client::new()
        .post(format!("{}/api/v2/chats", server.base_url()))
        .header("ContactCenterId", "default")
        .json(&big);
    raw(customer).await.refused(413, 10);
    let bayeux = agent
        .http
        .post(format!("{}/api/v2/notifications", server.base_url()))
        .basic_auth("agent1", Some("password"))
        .body(format!(
            "[{{\"channel\":\"/meta/handshake\",\"pad\":\"{}\"}}]",
            "y".repeat(4096)
        ));
    raw(bayeux).await.refused(413, 10);
}

#[tokio::test]
async fn unknown_resources_routes_and_methods() {
    let server = server().await;
    let agent = Actor::login(&server, "agent1").await;
    agent
        .get("/api/v2/me/chats/NOSUCHCHAT")
        .await
        .refused(404, 6);
    agent
        .chat_op("NOSUCHCHAT", json!({"operationName": "Accept"}))
        .await
        .refused(404, 6);
    agent.get("/api/v2/users/0123").await.refused(404, 6);
    agent.get("/api/v2/nothing/here").await.refused(404, 6);
    let delete = agent
        .http
        .delete(format!("{}/api/v2/me", server.base_url()))
        .basic_auth("agent1", Some("password"));
    raw(delete).await.refused(405, 10);
    let supervisor = Actor::login(&server, "supervisor1").await;
    supervisor
        .post(
            "/api/v2/users/0123/channels/chat",
            json!({"operationName": "Monitor"}),
        )
        .await
        .refused(404, 6);
}

#[tokio::test]
async fn supervisor_requests_need_the_supervisor_role_and_valid_parameters() {
    let server = server().await;
    let agent = Actor::login(&server, "agent1").await;
    let other = Actor::login(&server, "agent2").await;
    let supervisor = Actor::login(&server, "supervisor1").await;
    other
        .supervise(&agent, json!({"operationName": "Monitor"}))
        .await
        .refused(403, 5);
    other
        .supervise(
            &agent,
            json!({"operationName": "CancelSupervisorMonitoring"}),
        )
        .await
        .refused(403, 5);
    supervisor
        .supervise(
            &agent,
            json!({"operationName": "Monitor", "supervisorMonitoringMode": "Sometimes"}),
        )
        .await
        .refused(400, 10);
    supervisor
        .supervise(&agent, json!({"operationName": "Listen"}))
        .await
        .refused(400, 10);
    supervisor
        .supervise(&agent, json!({}))
        .await
        .refused(400, 1);
    supervisor
        .supervise(&supervisor, json!({"operationName": "Monitor"}))
        .await
        .refused(400, 2);
    supervisor
        .supervise(
            &agent,
            json!({"operationName": "CancelSupervisorMonitoring"}),
        )
        .await
        .refused(400, 2);
}

#[tokio::test]
async fn chats_of_other_users_and_operations_outside_capabilities_are_refused() {
    let server = server().await;
    let mut agent = Actor::ready(&server, "agent1").await;
    let mut stranger = Actor::login(&server, "agent2").await;
    let customer = Customer::request(&server, "Chris").await;
    let chat = agent.offered().await;
    // Not accepted yet: only Accept and Reject are allowed.
    agent
        .chat_op(&chat, json!({"operationName": "SendMessage", "text": "hi"}))
        .await
        .refused(403, 3);
    agent.accept(&chat).await;
    agent
        .chat_op(&chat, json!({"operationName": "Accept"}))
        .await
        .refused(403, 3);
    agent
        .chat_op(&chat, json!({"operationName": "SwitchToCoach"}))
        .await
        .refused(403, 3);
    agent
        .chat_op(&chat, json!({"operationName": "SendMessage"}))
        .await
        .refused(400, 1);
    agent
        .chat_op(&chat, json!({"operationName": "Invite"}))
        .await
        .refused(400, 1);
    agent
        .chat_op(
            &chat,
            json!({"operationName": "Invite", "targetUri": "http://x/api/v2/users/unknown"}),
        )
        .await
        .refused(404, 6);
    // A target that is not logged in cannot be invited; nor can the caller itself.
    agent
        .chat_op(
            &chat,
            json!({"operationName": "Consult", "targetPath": format!("/users/{}", stranger.id)}),
        )
        .await
        .refused(400, 2);
    agent
        .chat_op(
            &chat,
            json!({"operationName": "Transfer", "targetPath": format!("/users/{}", agent.id)}),
        )
        .await
        .refused(400, 2);
    stranger
        .chat_op(&chat, json!({"operationName": "SendMessage", "text": "x"}))
        .await
        .refused(403, 3);
    stranger
        .get(&format!("/api/v2/me/chats/{chat}"))
        .await
        .refused(403, 3);
    // None of that changed anything anyone can see.
    agent.quiet(Duration::from_millis(200)).await;
    stranger.quiet(Duration::from_millis(10)).await;
    assert!(
        customer
            .transcript()
            .await
            .iter()
            .all(|m| m["type"] != "Text")
    );
}

#[tokio::test]
async fn customer_requests_need_the_contact_center_and_valid_input() {
    let server = server().await;
    let base = server.base_url();
    let http = reqwest::Client::new();
    let request = json!({"operationName": "RequestChat", "nickname": "Chris"});
    raw(http.post(format!("{base}/api/v2/chats")).json(&request))
        .await
        .refused(400, 1);
    raw(http
        .post(format!("{base}/api/v2/chats"))
        .header("ContactCenterId", "other")
        .json(&request))
    .await
    .refused(404, 6);
    let cc = |r: reqwest::RequestBuilder| r.header("ContactCenterId", "default");
    raw(cc(http.post(format!("{base}/api/v2/chats")))
        .json(&json!({"operationName": "RequestChat"})))
    .await
    .refused(400, 1);
    raw(cc(http.post(format!("{base}/api/v2/chats"))).json(&json!({"operationName": "Hello"})))
        .await
        .refused(400, 10);
    raw(cc(http.get(format!("{base}/api/v2/chats/nope"))))
        .await
        .refused(404, 6);
    let customer = Customer::request(&server, "Chris").await;
    raw(cc(http.get(format!(
        "{base}/api/v2/chats/{}/messages?index=abc",
        customer.id
    ))))
    .await
    .refused(400, 10);
    customer
        .op(json!({"operationName": "SendMessage"}))
        .await
        .refused(400, 1);
    customer
        .op(json!({"operationName": "Wave"}))
        .await
        .refused(400, 10);
    customer.op(json!({"operationName": "Complete"})).await.ok();
    customer.op(json!({"operationName": "Complete"})).await.ok();
    customer
        .op(json!({"operationName": "SendMessage", "text": "late"}))
        .await
        .refused(400, 2);
}

#[tokio::test]
async fn csrf_protection_requires_the_token_from_a_get() {
    let server = server_with(ServerConfig {
        csrf: true,
        ..ServerConfig::default()
    })
    .await;
    let base = server.base_url();
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let start = json!({"operationName": "StartContactCenterSession", "channels": ["chat"]});
    let post = || {
        http.post(format!("{base}/api/v2/me"))
            .basic_auth("agent1", Some("password"))
            .json(&start)
    };
    raw(post()).await.refused(403, 3);
    let got = http
        .get(format!("{base}/api/v2/me"))
        .basic_auth("agent1", Some("password"))
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(got.headers()["X-CSRF-HEADER"], "X-CSRF-TOKEN");
    let token = got.headers()["X-CSRF-TOKEN"].to_str().unwrap().to_owned();
    raw(post().header("X-CSRF-TOKEN", "wrong"))
        .await
        .refused(403, 3);
    raw(post().header("X-CSRF-TOKEN", &token)).await.ok();
}
