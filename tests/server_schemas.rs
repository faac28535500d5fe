//! The reference server's wire output against the schemas. A supervised chat (Coach, a switch
//! to BargeIn, user data, messages, the end), the customer's side, the user and session
//! resources and a set of refused requests are driven over HTTP, and every request body sent is
//! validated against its request schema, every response against the schema of its endpoint
//! (an error against `error-response.schema.json`, with an HTTP status that agrees with its
//! `statusCode`), every Bayeux reply against `bayeux-response.schema.json` and every delivered
//! message against `bayeux-message.schema.json`. The scenarios validate notifications only;
//! this covers the rest of what the schemas describe.

mod support;

use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use gws_conform::check::schema::SchemaSet;
use reqwest::Method;
use serde_json::{Value, json};
use support::{RawBayeux, server};

fn schemas() -> &'static SchemaSet {
    static SET: OnceLock<SchemaSet> = OnceLock::new();
    SET.get_or_init(|| {
        SchemaSet::from_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas"))
            .expect("schemas/ loads")
    })
}

#[track_caller]
fn valid(schema: &str, what: &str, instance: &Value) {
    let errors = schemas().validate(schema, instance);
    assert!(
        errors.is_empty(),
        "{what} does not fit {schema}: {errors:#?}\n{instance}"
    );
}

/// The `statusCode`s an HTTP error status may carry (`docs/rulings.md#server-status-codes`).
fn codes_for(status: u16) -> &'static [u64] {
    match status {
        400 => &[1, 2, 10],
        401 => &[20],
        403 => &[3, 5],
        404 => &[6],
        405 | 413 => &[10],
        503 => &[13],
        _ => &[],
    }
}

const ME_OP: &str = "request-me-operation.schema.json";
const CHAT_OP: &str = "request-chat-operation.schema.json";
const MONITORING_OP: &str = "request-supervisor-monitoring.schema.json";
const OP_RESPONSE: &str = "chat-operation-response.schema.json";

/// One party's HTTP side: Basic credentials (agents and supervisors) or the `ContactCenterId`
/// header (customers), and a cookie store.
struct Party {
    base: String,
    http: reqwest::Client,
    user: Option<&'static str>,
    contact_center: bool,
}

impl Party {
    fn new(base: &str, user: Option<&'static str>, contact_center: bool) -> Self {
        Party {
            base: base.to_owned(),
            http: reqwest::Client::builder()
                .cookie_store(true)
                .build()
                .expect("client"),
            user,
            contact_center,
        }
    }

    /// Sends a request whose body (if any) must fit `request_schema` (if given); returns the
    /// HTTP status and the body, an error body already checked against the error schema.
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<(&Value, Option<&str>)>,
    ) -> (u16, Value) {
        let what = format!("{method} {path}");
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(user) = self.user {
            request = request.basic_auth(user, Some("password"));
        }
        if self.contact_center {
            request = request.header("ContactCenterId", "default");
        }
        if let Some((body, schema)) = body {
            if let Some(schema) = schema {
                valid(schema, &format!("the body of {what}"), body);
            }
            request = request.json(body);
        }
        let response = request.send().await.expect("a response");
        let status = response.status().as_u16();
        let text = response.text().await.expect("a body");
        let body: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{what}: HTTP {status}, body not JSON ({e}): {text}"));
        if status >= 400 {
            valid("error-response.schema.json", &what, &body);
            let code = body["statusCode"].as_u64().unwrap_or_default();
            assert!(
                codes_for(status).contains(&code),
                "{what}: HTTP {status} with statusCode {code}"
            );
        }
        (status, body)
    }

    /// A GET that must succeed and fit `schema`; returns the body.
    async fn get(&self, path: &str, schema: &str) -> Value {
        let (status, body) = self.send(Method::GET, path, None).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        valid(schema, &format!("GET {path}"), &body);
        body
    }

    /// A POST whose body fits `request_schema` and that must succeed and fit `schema`.
    async fn post(&self, path: &str, body: Value, request_schema: &str, schema: &str) -> Value {
        let (status, reply) = self
            .send(Method::POST, path, Some((&body, Some(request_schema))))
            .await;
        assert_eq!(status, 200, "POST {path} {body}: {reply}");
        valid(schema, &format!("POST {path} {body}"), &reply);
        reply
    }

    /// A request that must be refused with `status`; the body has been checked already.
    async fn refused(&self, method: Method, path: &str, body: Option<Value>, status: u16) {
        let (got, reply) = self
            .send(method, path, body.as_ref().map(|b| (b, None)))
            .await;
        assert_eq!(got, status, "{path}: {reply}");
    }
}

/// One party's Bayeux side, on raw requests so every reply can be validated whole.
struct Listener {
    raw: RawBayeux,
    client: String,
    seen: Vec<Value>,
}

impl Listener {
    /// Sends `messages`; validates the reply array and each delivered message in it.
    async fn exchange(&mut self, path: &str, messages: Value) -> Vec<Value> {
        let (status, reply) = self.raw.send_text(path, messages.to_string()).await;
        assert_eq!(status, 200, "{reply}");
        valid(
            "bayeux-response.schema.json",
            &format!("the reply to {messages}"),
            &reply,
        );
        let reply = reply.as_array().expect("an array").clone();
        for message in support::data(&reply) {
            valid("bayeux-message.schema.json", "a delivered message", message);
            self.seen.push(message["data"].clone());
        }
        reply
    }

    /// Handshakes (at the sub-path CometD clients use) and subscribes to `/v2/me/*`.
    async fn open(raw: RawBayeux) -> Listener {
        let mut listener = Listener {
            raw,
            client: String::new(),
            seen: Vec::new(),
        };
        let reply = listener
            .exchange(
                "/handshake",
                json!([{"channel": "/meta/handshake", "version": "1.0",
                    "supportedConnectionTypes": ["long-polling"], "id": "1"}]),
            )
            .await;
        let client = support::meta(&reply, "/meta/handshake")["clientId"]
            .as_str()
            .expect("a clientId")
            .to_owned();
        listener
            .exchange(
                "",
                json!([{"channel": "/meta/subscribe", "clientId": client,
                    "subscription": "/v2/me/*", "id": "2"}]),
            )
            .await;
        listener.client = client;
        listener
    }

    /// Polls until a delivered notification satisfies `wanted`; returns it.
    async fn until(&mut self, what: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + support::WAIT;
        loop {
            if let Some(found) = self.seen.iter().find(|d| wanted(d)) {
                return found.clone();
            }
            assert!(Instant::now() < deadline, "no {what} in {:#?}", self.seen);
            let connect = json!([{"channel": "/meta/connect", "clientId": self.client,
                "connectionType": "long-polling", "advice": {"timeout": 300}, "id": "c"}]);
            self.exchange("/connect", connect).await;
        }
    }

    /// Polls until nothing more arrives for a moment, so later replies hold no stragglers.
    async fn drain(&mut self) {
        let quiet = Duration::from_millis(300);
        loop {
            let before = self.seen.len();
            let connect = json!([{"channel": "/meta/connect", "clientId": self.client,
                "connectionType": "long-polling", "advice": {"timeout": quiet.as_millis() as u64},
                "id": "c"}]);
            self.exchange("", connect).await;
            if self.seen.len() == before {
                return;
            }
        }
    }

    async fn close(&mut self) {
        let disconnect =
            json!([{"channel": "/meta/disconnect", "clientId": self.client, "id": "d"}]);
        self.exchange("", disconnect).await;
    }
}

fn state_change(state: &'static str) -> impl Fn(&Value) -> bool {
    move |d| d["notificationType"] == "StatusChange" && d["chat"]["state"] == state
}

#[tokio::test]
async fn a_supervised_chat_fits_the_schemas_on_the_wire() {
    let server = server().await;
    let base = server.base_url();
    let anonymous = Party::new(&base, None, false);
    anonymous
        .get(
            "/api/v2/diagnostics/version",
            "version-response.schema.json",
        )
        .await;

    let agent = Party::new(&base, Some("agent1"), false);
    let supervisor = Party::new(&base, Some("supervisor1"), false);
    let mut ids = Vec::new();
    for party in [&agent, &supervisor] {
        let me = party.get("/api/v2/me", "me-response.schema.json").await;
        ids.push(me["user"]["id"].as_str().expect("an id").to_owned());
        party
            .post(
                "/api/v2/me",
                json!({"operationName": "StartContactCenterSession", "channels": ["chat"]}),
                ME_OP,
                OP_RESPONSE,
            )
            .await;
        party
            .get("/api/v2/me/channels", "me-channels-response.schema.json")
            .await;
    }
    let agent_id = &ids[0];
    supervisor
        .get("/api/v2/users", "users-list-response.schema.json")
        .await;
    supervisor
        .get(
            "/api/v2/users?userName=agent1",
            "users-list-response.schema.json",
        )
        .await;
    supervisor
        .get(
            &format!("/api/v2/users/{agent_id}"),
            "user-response.schema.json",
        )
        .await;
    let mut agent_events = Listener::open(RawBayeux::new(&server, "agent1")).await;
    let mut supervisor_events = Listener::open(RawBayeux::new(&server, "supervisor1")).await;
    agent
        .post(
            "/api/v2/me/channels/chat",
            json!({"operationName": "Ready"}),
            "request-channel-operation.schema.json",
            OP_RESPONSE,
        )
        .await;
    let monitoring = format!("/api/v2/users/{agent_id}/channels/chat");
    supervisor
        .post(
            &monitoring,
            json!({"operationName": "Coach", "supervisorMonitoringMode": "AllChats", "nickname": "Sam"}),
            MONITORING_OP,
            OP_RESPONSE,
        )
        .await;

    let customer = Party::new(&base, None, true);
    let requested = customer
        .post(
            "/api/v2/chats",
            json!({"operationName": "RequestChat", "nickname": "Chris", "subject": "Billing",
                "userData": {"Segment": "gold"}}),
            "request-customer-request-chat.schema.json",
            "request-chat-response.schema.json",
        )
        .await;
    let customer_chat = format!("/api/v2/chats/{}", requested["id"].as_str().expect("id"));
    customer
        .get(&customer_chat, "customer-chat-response.schema.json")
        .await;

    let offer = agent_events
        .until("the offer", state_change("Invited"))
        .await;
    let chat = format!(
        "/api/v2/me/chats/{}",
        offer["chat"]["id"].as_str().expect("a chat id")
    );
    agent
        .post(
            &chat,
            json!({"operationName": "Accept", "nickname": "Ann"}),
            CHAT_OP,
            OP_RESPONSE,
        )
        .await;
    let joined = supervisor_events
        .until("the join", |d| {
            d["notificationType"] == "ParticipantsUpdated"
        })
        .await;
    let supervisor_chat = format!(
        "/api/v2/me/chats/{}",
        joined["chat"]["id"].as_str().expect("a chat id")
    );
    for party in [&agent, &supervisor] {
        party
            .get("/api/v2/me/chats", "me-chats-response.schema.json")
            .await;
        party
            .get("/api/v2/me/chats?fields=*", "me-chats-response.schema.json")
            .await;
        party
            .get("/api/v2/me?subresources=*", "me-response.schema.json")
            .await;
    }
    agent.get(&chat, "chat-response.schema.json").await;
    supervisor
        .get(&supervisor_chat, "chat-response.schema.json")
        .await;

    let customer_op = "request-customer-chat-operation.schema.json";
    for body in [
        json!({"operationName": "SendStartTypingNotification"}),
        json!({"operationName": "SendMessage", "text": "Hello?"}),
        json!({"operationName": "SendStopTypingNotification"}),
    ] {
        customer
            .post(&customer_chat, body, customer_op, OP_RESPONSE)
            .await;
    }
    for (party, path, body) in [
        (
            &agent,
            &chat,
            json!({"operationName": "SendMessage", "text": "Hi Chris"}),
        ),
        (
            &agent,
            &chat,
            json!({"operationName": "SendStartTypingToAgentsNotification"}),
        ),
        (
            &supervisor,
            &supervisor_chat,
            json!({"operationName": "SendToAgents", "text": "psst"}),
        ),
        (
            &supervisor,
            &supervisor_chat,
            json!({"operationName": "SetInFocus"}),
        ),
        (
            &supervisor,
            &supervisor_chat,
            json!({"operationName": "UpdateUserData", "userData": {"Tier": 2}}),
        ),
        (
            &supervisor,
            &supervisor_chat,
            json!({"operationName": "AttachUserData", "userData": {"Seen": true}}),
        ),
        (
            &supervisor,
            &supervisor_chat,
            json!({"operationName": "DeleteUserData", "keys": ["Seen"]}),
        ),
        (
            &supervisor,
            &supervisor_chat,
            json!({"operationName": "AddComment", "comment": "coached"}),
        ),
        (
            &supervisor,
            &supervisor_chat,
            json!({"operationName": "SetDisposition", "disposition": "Sale"}),
        ),
        (
            &supervisor,
            &supervisor_chat,
            json!({"operationName": "SwitchToBargeIn"}),
        ),
        (
            &supervisor,
            &supervisor_chat,
            json!({"operationName": "SendMessage", "text": "Supervisor here"}),
        ),
        (
            &supervisor,
            &supervisor_chat,
            json!({"operationName": "SwitchToMonitor"}),
        ),
    ] {
        party.post(path, body, CHAT_OP, OP_RESPONSE).await;
    }
    customer
        .get(
            &format!("{customer_chat}/messages?index=0"),
            "customer-messages-response.schema.json",
        )
        .await;
    customer
        .get(
            &format!("{customer_chat}/messages"),
            "customer-messages-response.schema.json",
        )
        .await;

    agent
        .post(
            &chat,
            json!({"operationName": "Complete"}),
            CHAT_OP,
            OP_RESPONSE,
        )
        .await;
    supervisor_events
        .until("Revoked", state_change("Revoked"))
        .await;
    agent_events
        .until("Completed", state_change("Completed"))
        .await;
    customer
        .get(&customer_chat, "customer-chat-response.schema.json")
        .await;
    supervisor
        .post(
            &monitoring,
            json!({"operationName": "CancelSupervisorMonitoring"}),
            MONITORING_OP,
            OP_RESPONSE,
        )
        .await;
    for (party, events) in [
        (&agent, &mut agent_events),
        (&supervisor, &mut supervisor_events),
    ] {
        party
            .post(
                "/api/v2/me",
                json!({"operationName": "EndContactCenterSession"}),
                ME_OP,
                OP_RESPONSE,
            )
            .await;
        events.drain().await;
        events.close().await;
    }
    // Every kind of notification went through the checks above.
    for events in [&agent_events, &supervisor_events] {
        for kind in [
            "ChatStateChangeMessage",
            "MessageLogUpdated",
            "ChannelStateChangeMessageV2",
        ] {
            assert!(
                events.seen.iter().any(|d| d["messageType"] == kind),
                "no {kind} in {:#?}",
                events.seen
            );
        }
    }
}

#[tokio::test]
async fn refused_requests_fit_the_error_schema_with_an_agreeing_status() {
    let server = server().await;
    let base = server.base_url();
    let anonymous = Party::new(&base, None, false);
    anonymous
        .refused(Method::GET, "/api/v2/me", None, 401)
        .await;
    let agent = Party::new(&base, Some("agent2"), false);
    let me = agent.get("/api/v2/me", "me-response.schema.json").await;
    let own_channel = format!(
        "/api/v2/users/{}/channels/chat",
        me["user"]["id"].as_str().expect("id")
    );
    agent
        .refused(
            Method::POST,
            &own_channel,
            Some(json!({"operationName": "Monitor"})),
            403,
        )
        .await;
    agent
        .refused(Method::GET, "/api/v2/users/nosuchuser", None, 404)
        .await;
    agent
        .refused(
            Method::POST,
            "/api/v2/me",
            Some(json!({"operationName": "Dance"})),
            400,
        )
        .await;
    agent
        .refused(Method::POST, "/api/v2/me", Some(json!({})), 400)
        .await;
    agent.refused(Method::DELETE, "/api/v2/me", None, 405).await;
    let supervisor = Party::new(&base, Some("supervisor1"), false);
    supervisor
        .refused(
            Method::POST,
            &own_channel,
            Some(json!({"operationName": "CancelSupervisorMonitoring"})),
            400,
        )
        .await;
    let customer = Party::new(&base, None, true);
    customer
        .refused(Method::GET, "/api/v2/chats/nosuchchat", None, 404)
        .await;
    customer
        .refused(
            Method::POST,
            "/api/v2/chats",
            Some(json!({"operationName": "RequestChat"})),
            400,
        )
        .await;
}
