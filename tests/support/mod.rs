//! Shared helpers for the integration tests: an in-process reference server on a free port,
//! agents and supervisors (REST session + the harness's Bayeux client), customers, and raw
//! Bayeux requests.

#![allow(dead_code)] // each test binary uses a different subset of these helpers

pub mod har;
pub mod node;

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use gws_conform::bayeux::ChannelPattern;
use gws_conform::driver::bayeux::{BayeuxClient, BayeuxConfig, Credentials, Cursor, Delivery};
use gws_conform::server::{RunningServer, ServerConfig, start};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// How long any single expected notification may take.
pub const WAIT: Duration = Duration::from_secs(5);

/// Starts a reference server with `config` on 127.0.0.1:0.
pub async fn server_with(config: ServerConfig) -> RunningServer {
    start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("bind a local port")
}

/// Starts a reference server with test-friendly timings.
pub async fn server() -> RunningServer {
    server_with(ServerConfig {
        long_poll_timeout: Duration::from_secs(5),
        ..ServerConfig::default()
    })
    .await
}

/// A plain HTTP request's outcome.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
}

impl Reply {
    /// Asserts success (HTTP 200, statusCode 0) and returns the body.
    #[track_caller]
    pub fn ok(self) -> Value {
        assert_eq!(self.status, StatusCode::OK, "body: {}", self.body);
        assert_eq!(self.body["statusCode"], 0, "body: {}", self.body);
        self.body
    }

    /// Asserts the documented error shape with this HTTP status and statusCode.
    #[track_caller]
    pub fn refused(self, status: u16, code: u64) {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(self.body["statusCode"], code, "body: {}", self.body);
        let message = self.body["statusMessage"].as_str().unwrap_or_default();
        assert!(
            !message.is_empty(),
            "an error needs a statusMessage: {}",
            self.body
        );
        let keys: Vec<&String> = self.body.as_object().unwrap().keys().collect();
        assert_eq!(
            keys.len(),
            2,
            "an error carries statusCode and statusMessage only: {}",
            self.body
        );
    }
}

/// Sends `request` and returns its outcome.
pub async fn send(request: reqwest::RequestBuilder) -> Reply {
    reply(request.send().await.expect("request")).await
}

async fn reply(response: reqwest::Response) -> Reply {
    let status = response.status();
    let text = response.text().await.expect("read body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Reply { status, body }
}

/// An agent or supervisor: an HTTP session with Basic credentials and a Bayeux client
/// subscribed to `/v2/me/*`.
pub struct Actor {
    pub name: String,
    pub base: String,
    pub http: reqwest::Client,
    password: String,
    pub bayeux: BayeuxClient,
    chats: ChannelPattern,
    cursor: Cursor,
    /// This user's id.
    pub id: String,
}

impl Actor {
    /// Logs `name` in (password `password`) and subscribes to `/v2/me/*`.
    pub async fn login(server: &RunningServer, name: &str) -> Actor {
        Self::login_at(&server.base_url(), name, "password").await
    }

    /// Logs `name` in with `password` at `base` (a server, or a proxy in front of one) and
    /// subscribes to `/v2/me/*`.
    pub async fn login_at(base: &str, name: &str, password: &str) -> Actor {
        let base = base.to_owned();
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap();
        let credentials = Credentials {
            username: name.into(),
            password: password.into(),
        };
        let bayeux = BayeuxClient::connect(
            http.clone(),
            &format!("{base}/api/v2/notifications"),
            Some(credentials),
            BayeuxConfig::default(),
        )
        .await
        .expect("Bayeux handshake");
        bayeux
            .subscribe(&ChannelPattern::parse("/v2/me/*").unwrap())
            .await
            .expect("subscribe");
        let mut actor = Actor {
            name: name.into(),
            base,
            http,
            password: password.into(),
            bayeux,
            chats: ChannelPattern::parse("/v2/me/chats").unwrap(),
            cursor: Cursor::default(),
            id: String::new(),
        };
        actor.id = actor.get("/api/v2/me").await.ok()["user"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        actor
    }

    /// Logs in, starts the contact-centre session and goes Ready on chat.
    pub async fn ready(server: &RunningServer, name: &str) -> Actor {
        Self::ready_at(&server.base_url(), name, "password").await
    }

    /// [`Actor::ready`] at `base` with `password`.
    pub async fn ready_at(base: &str, name: &str, password: &str) -> Actor {
        let actor = Self::login_at(base, name, password).await;
        actor.start_session().await;
        actor
            .post(
                "/api/v2/me/channels/chat",
                json!({"operationName": "Ready"}),
            )
            .await
            .ok();
        actor
    }

    /// StartContactCenterSession on chat.
    pub async fn start_session(&self) {
        self.post(
            "/api/v2/me",
            json!({"operationName": "StartContactCenterSession", "channels": ["chat"]}),
        )
        .await
        .ok();
    }

    /// A POST with Basic credentials.
    pub async fn post(&self, path: &str, body: Value) -> Reply {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .basic_auth(&self.name, Some(&self.password))
            .json(&body)
            .send()
            .await
            .expect("POST");
        reply(response).await
    }

    /// A GET with Basic credentials.
    pub async fn get(&self, path: &str) -> Reply {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .basic_auth(&self.name, Some(&self.password))
            .send()
            .await
            .expect("GET");
        reply(response).await
    }

    /// A chat operation; returns the reply.
    pub async fn chat_op(&self, chat_id: &str, body: Value) -> Reply {
        self.post(&format!("/api/v2/me/chats/{chat_id}"), body)
            .await
    }

    /// A chat operation that must succeed; returns its referenceId.
    pub async fn must(&self, chat_id: &str, operation: &str, extra: Value) -> u64 {
        let mut body = json!({"operationName": operation});
        if let (Value::Object(b), Value::Object(e)) = (&mut body, extra) {
            b.extend(e);
        }
        let reply = self.chat_op(chat_id, body).await.ok();
        reply["referenceId"].as_u64().expect("referenceId")
    }

    /// A supervisor request on `agent`'s chat channel.
    pub async fn supervise(&self, agent: &Actor, body: Value) -> Reply {
        self.post(&format!("/api/v2/users/{}/channels/chat", agent.id), body)
            .await
    }

    fn deadline() -> Instant {
        Instant::now() + WAIT
    }

    /// The next notification on `/v2/me/chats`; it must exist within [`WAIT`].
    pub async fn next_chat(&mut self) -> Value {
        let chats = self.chats.clone();
        let delivery: Delivery = self
            .bayeux
            .inbox()
            .wait_for(
                self.cursor,
                &format!("{}: the next /v2/me/chats notification", self.name),
                |d| d.on(&chats),
                Self::deadline(),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        self.cursor = delivery.next();
        (*delivery.data).clone()
    }

    /// The next chat notification, which must be of `notificationType`.
    pub async fn expect(&mut self, notification_type: &str) -> Value {
        let data = self.next_chat().await;
        let actual = data["notificationType"].as_str().unwrap_or_default();
        assert_eq!(
            actual, notification_type,
            "{}: unexpected notification {data}",
            self.name
        );
        data
    }

    /// The next StatusChange, whose chat state must be `state`.
    pub async fn expect_state(&mut self, state: &str) -> Value {
        let data = self.expect("StatusChange").await;
        assert_eq!(data["chat"]["state"], state, "{}: {data}", self.name);
        data
    }

    /// Waits for an offer (StatusChange Invited) and returns the chat id.
    pub async fn offered(&mut self) -> String {
        let data = self.expect_state("Invited").await;
        assert_eq!(data["chat"]["capabilities"], json!(["Accept", "Reject"]));
        data["chat"]["id"].as_str().unwrap().to_owned()
    }

    /// Accepts an offered chat and consumes the documented Accept notifications.
    pub async fn accept(&mut self, chat_id: &str) -> u64 {
        let reference = self.must(chat_id, "Accept", json!({})).await;
        let status = self.expect_state("Chatting").await;
        assert_eq!(status["referenceId"], reference);
        assert_eq!(status["chat"]["participants"], json!([]));
        self.expect("ParticipantsUpdated").await;
        self.expect("NewMessages").await;
        reference
    }

    /// Asserts no chat notification arrives for `quiet`.
    pub async fn quiet(&mut self, quiet: Duration) {
        let chats = self.chats.clone();
        let found = self
            .bayeux
            .inbox()
            .wait_for(
                self.cursor,
                "anything",
                |d| d.on(&chats),
                Instant::now() + quiet,
            )
            .await;
        if let Ok(delivery) = found {
            panic!(
                "{}: expected no notification, got {}",
                self.name, delivery.data
            );
        }
    }

    /// Every chat notification received so far.
    pub fn all_chat_notifications(&self) -> Vec<Value> {
        self.bayeux
            .inbox()
            .snapshot()
            .into_iter()
            .filter(|d| d.on(&self.chats))
            .map(|d| (*d.data).clone())
            .collect()
    }
}

/// A customer of the customer chat API.
pub struct Customer {
    pub base: String,
    pub http: reqwest::Client,
    pub id: String,
}

impl Customer {
    /// Requests a chat as `nickname`.
    pub async fn request(server: &RunningServer, nickname: &str) -> Customer {
        Self::request_at(&server.base_url(), nickname).await
    }

    /// Requests a chat as `nickname` at `base` (a server, or a proxy in front of one).
    pub async fn request_at(base: &str, nickname: &str) -> Customer {
        Self::request_in(base, "default", nickname).await
    }

    /// Requests a chat as `nickname` at `base`, in contact centre `centre`.
    pub async fn request_in(base: &str, centre: &str, nickname: &str) -> Customer {
        let base = base.to_owned();
        let http = reqwest::Client::new();
        let body = reply(
            http.post(format!("{base}/api/v2/chats"))
                .header("ContactCenterId", centre)
                .json(&json!({"operationName": "RequestChat", "nickname": nickname, "subject": "help"}))
                .send()
                .await
                .unwrap(),
        )
        .await
        .ok();
        let id = body["id"].as_str().unwrap().to_owned();
        Customer { base, http, id }
    }

    /// A customer operation.
    pub async fn op(&self, body: Value) -> Reply {
        reply(
            self.http
                .post(format!("{}/api/v2/chats/{}", self.base, self.id))
                .header("ContactCenterId", "default")
                .json(&body)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Sends a text message.
    pub async fn say(&self, text: &str) {
        self.op(json!({"operationName": "SendMessage", "text": text}))
            .await
            .ok();
    }

    /// The chat as the customer sees it.
    pub async fn chat(&self) -> Value {
        reply(
            self.http
                .get(format!("{}/api/v2/chats/{}", self.base, self.id))
                .header("ContactCenterId", "default")
                .send()
                .await
                .unwrap(),
        )
        .await
        .ok()["chat"]
            .clone()
    }

    /// Every message the customer can read.
    pub async fn transcript(&self) -> Vec<Value> {
        reply(
            self.http
                .get(format!(
                    "{}/api/v2/chats/{}/messages?index=0",
                    self.base, self.id
                ))
                .header("ContactCenterId", "default")
                .send()
                .await
                .unwrap(),
        )
        .await
        .ok()["messages"]
            .as_array()
            .unwrap()
            .clone()
    }
}

/// The seed page's capability table, one mode's column in the table's order, written out here
/// independently of the crate's own constants (an oracle for the tests).
pub fn seed_table(mode: &str) -> Vec<&'static str> {
    let shared = [
        "Leave",
        "SetInFocus",
        "SetDisposition",
        "AttachUserData",
        "DeleteUserData",
        "UpdateUserData",
        "AddComment",
        "Transfer",
        "Invite",
        "Consult",
        "SendToAgents",
        "SendStartTypingToAgentsNotification",
        "SendStopTypingToAgentsNotification",
    ];
    match mode {
        "Monitor" => vec!["Leave", "SwitchToCoach", "SwitchToBargeIn"],
        "Coach" => [&shared[..], &["SwitchToMonitor", "SwitchToBargeIn"]].concat(),
        "BargeIn" => [
            &shared[..],
            &[
                "SendMessage",
                "SendStartTypingNotification",
                "SendStopTypingNotification",
                "SwitchToMonitor",
                "SwitchToCoach",
            ],
        ]
        .concat(),
        other => panic!("no mode {other}"),
    }
}

/// The capabilities of a notification's chat, sorted.
pub fn capabilities(data: &Value) -> Vec<String> {
    let mut list: Vec<String> = data["chat"]["capabilities"]
        .as_array()
        .unwrap_or_else(|| panic!("no capabilities in {data}"))
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    list.sort();
    list
}

/// The participant of a notification's chat with this nickname, if shown.
pub fn participant<'a>(data: &'a Value, nickname: &str) -> Option<&'a Value> {
    data["chat"]["participants"]
        .as_array()?
        .iter()
        .find(|p| p["nickname"] == nickname)
}

/// The `messages` of a MessageLogUpdated.
pub fn messages(data: &Value) -> &Vec<Value> {
    data["messages"]
        .as_array()
        .unwrap_or_else(|| panic!("no messages in {data}"))
}

/// Starts the `gws-conform serve` binary on a free port with `extra` arguments; returns the
/// process and the base URL it printed.
pub fn spawn_serve(extra: &[&str]) -> (std::process::Child, String) {
    let mut args = vec!["serve", "--listen", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    spawn_listening(&args)
}

/// Starts the binary with `args` (a command that listens and prints `... listening on URL` as
/// its first line); returns the process and that URL.
pub fn spawn_listening(args: &[&str]) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gws-conform"))
        // Runs record their failed scenarios (`--last-failed`): never in the real home.
        .env("GWS_CONFORM_LAST_FAILED_FILE", "/dev/null")
        .args(args)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start the binary");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let _ = reader.read_line(&mut line);
        let _ = tx.send(line);
        // Keep draining, so later output never meets a closed pipe.
        let _ = std::io::copy(&mut reader, &mut std::io::sink());
    });
    let line = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the binary printed its address");
    let url = line
        .trim()
        .rsplit(' ')
        .next()
        .unwrap_or_default()
        .to_owned();
    (child, url)
}

/// [`spawn_listening`] off the async runtime (it blocks until the binary prints its address).
pub async fn spawn_listening_async(args: Vec<String>) -> (std::process::Child, String) {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        spawn_listening(&args)
    })
    .await
    .expect("the starting thread")
}

/// Raw Bayeux requests to `/api/v2/notifications` as one user (Basic credentials, no
/// cookies), for tests that need exact control over every message.
#[derive(Clone)]
pub struct RawBayeux {
    pub http: reqwest::Client,
    pub url: String,
    pub user: &'static str,
}

impl RawBayeux {
    /// Requests as `user` (password `password`).
    pub fn new(server: &RunningServer, user: &'static str) -> Self {
        RawBayeux {
            http: reqwest::Client::new(),
            url: format!("{}/api/v2/notifications", server.base_url()),
            user,
        }
    }

    /// POSTs `body` to the endpoint (plus `path`); returns the HTTP status and the JSON reply.
    pub async fn send_text(&self, path: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.url))
            .basic_auth(self.user, Some("password"))
            .body(body)
            .timeout(Duration::from_secs(20))
            .send()
            .await
            .expect("Bayeux request");
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON reply"))
    }

    /// Sends `messages`, which must be answered with HTTP 200; returns the reply array.
    pub async fn send(&self, messages: Value) -> Vec<Value> {
        let (status, body) = self.send_text("", messages.to_string()).await;
        assert_eq!(status, 200, "{body}");
        body.as_array().expect("reply array").clone()
    }

    /// A successful handshake; returns the clientId.
    pub async fn handshake(&self) -> String {
        let reply = self
            .send(json!([{"channel": "/meta/handshake", "version": "1.0",
                "supportedConnectionTypes": ["long-polling"], "id": "h"}]))
            .await;
        assert_eq!(reply[0]["successful"], true, "{reply:?}");
        reply[0]["clientId"].as_str().unwrap().to_owned()
    }

    /// A subscribe; returns its reply.
    pub async fn subscribe(&self, client: &str, subscription: Value) -> Value {
        self.send(json!([{"channel": "/meta/subscribe", "clientId": client, "subscription": subscription, "id": "s"}]))
            .await[0]
            .clone()
    }

    /// A connect, with the advice `timeout` in milliseconds if given; returns the reply array.
    pub async fn connect(&self, client: &str, timeout: Option<u64>) -> Vec<Value> {
        let mut message = json!({"channel": "/meta/connect", "clientId": client, "connectionType": "long-polling", "id": "c"});
        if let Some(timeout) = timeout {
            message["advice"] = json!({"timeout": timeout});
        }
        self.send(json!([message])).await
    }
}

/// The reply on meta `channel` in a Bayeux reply array.
#[track_caller]
pub fn meta<'a>(reply: &'a [Value], channel: &str) -> &'a Value {
    reply
        .iter()
        .find(|m| m["channel"] == channel)
        .unwrap_or_else(|| panic!("no {channel} reply in {reply:?}"))
}

/// The delivered (non-meta) messages of a Bayeux reply array.
pub fn data(reply: &[Value]) -> Vec<&Value> {
    reply
        .iter()
        .filter(|m| {
            !m["channel"]
                .as_str()
                .unwrap_or_default()
                .starts_with("/meta/")
        })
        .collect()
}

/// A server with `config`, agent1 Ready over REST, and agent1's raw Bayeux client handshaken
/// and subscribed to `/v2/me/chats` (its clientId is returned): the start of the tests that
/// watch how the server answers one client's connects.
pub async fn agent1_listening(config: ServerConfig) -> (RunningServer, RawBayeux, String) {
    let server = server_with(config).await;
    ready_over_rest(&server, "agent1").await;
    let raw = RawBayeux::new(&server, "agent1");
    let client = raw.handshake().await;
    raw.subscribe(&client, json!("/v2/me/chats")).await;
    (server, raw, client)
}

/// Logs `user` in and makes it Ready over REST alone (no Bayeux client), so a customer chat
/// produces an offer notification for it.
pub async fn ready_over_rest(server: &RunningServer, user: &str) {
    let http = reqwest::Client::new();
    for (path, body) in [
        (
            "/api/v2/me",
            json!({"operationName": "StartContactCenterSession", "channels": ["chat"]}),
        ),
        (
            "/api/v2/me/channels/chat",
            json!({"operationName": "Ready"}),
        ),
    ] {
        let response = http
            .post(format!("{}{path}", server.base_url()))
            .basic_auth(user, Some("password"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
    }
}

/// The JSON objects of a JSON Lines file (a `--json` report), one per line.
pub fn json_lines(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// Runs `gws-conform` with `args` in the repository's directory, to the end.
pub fn gws(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gws-conform"))
        // Runs record their failed scenarios (`--last-failed`): never in the real home.
        .env("GWS_CONFORM_LAST_FAILED_FILE", "/dev/null")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("run gws-conform")
}

/// Runs `gws-conform` with `args` in `dir` (a test's temporary directory, which also keeps the
/// `--last-failed` record, `last-run.json`), to the end.
pub fn gws_in(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gws-conform"))
        .env("GWS_CONFORM_LAST_FAILED_FILE", dir.join("last-run.json"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run gws-conform")
}

/// What a run of `gws-conform` printed: standard output, then standard error.
pub fn output_text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
