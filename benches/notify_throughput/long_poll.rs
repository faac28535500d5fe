//! The load generator's Bayeux client: handshake, subscribe to `/v2/me/chats`, then a connect
//! loop on one keep-alive connection that files what each long-poll reply brings.
//!
//! It is deliberately leaner than the harness's `BayeuxClient` (see `http1.rs` for why): replies
//! are parsed into borrowed structs holding only what the benchmark reads, and the inbox keeps
//! (sequence number, arrival instant) per measured notification instead of every notification.
//! It still behaves as a CometD client must: the session cookie after the handshake, a new
//! handshake when the server answers `402` with `reconnect: handshake`, `interval` honoured,
//! and every failure counted and reported rather than ignored.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use serde::Deserialize;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::http1::{Connection, Response};
use crate::{Context, REQUEST_DEADLINE, Result, lock};

/// The CometD endpoint.
const PATH: &str = "/api/v2/notifications";
/// The channel the benchmark's notifications arrive on.
const CHATS: &str = "/v2/me/chats";
/// Pause after a failed connect before the next attempt, so a broken server is not hammered.
const RETRY_PAUSE: Duration = Duration::from_millis(100);

#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow)]
    channel: Cow<'a, str>,
    successful: Option<bool>,
    #[serde(borrow)]
    error: Option<Cow<'a, str>>,
    #[serde(rename = "clientId", borrow)]
    client_id: Option<Cow<'a, str>>,
    advice: Option<Advice>,
    #[serde(borrow)]
    data: Option<Notification<'a>>,
}

#[derive(Deserialize)]
struct Advice {
    reconnect: Option<String>,
    interval: Option<u64>,
}

#[derive(Deserialize)]
struct Notification<'a> {
    #[serde(rename = "messageType", borrow)]
    message_type: Option<Cow<'a, str>>,
    #[serde(rename = "notificationType", borrow)]
    notification_type: Option<Cow<'a, str>>,
    #[serde(borrow)]
    chat: Option<ChatRef<'a>>,
    #[serde(borrow, default)]
    messages: Vec<LogEntry<'a>>,
}

#[derive(Deserialize)]
struct ChatRef<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    state: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct LogEntry<'a> {
    #[serde(borrow)]
    text: Option<Cow<'a, str>>,
}

/// A notification the set-up waits for.
#[derive(Debug, Clone, PartialEq)]
pub enum Seen {
    /// A StatusChange offering chat `0` (`Invited`).
    Invited(String),
    /// A message whose text does not carry the measured operations' tag.
    Text(String),
}

/// What one client received and what went wrong, shared with the connect loop.
#[derive(Default)]
pub struct Inbox {
    seen: Mutex<Vec<Seen>>,
    arrived: Notify,
    /// (sequence number, arrival) of every tagged message.
    tagged: Mutex<Vec<(usize, Instant)>>,
    /// Tagged messages whose sequence number does not parse.
    pub unmatched: AtomicU64,
    /// Re-handshakes the server asked for.
    pub rehandshakes: AtomicU64,
    /// Failed or refused connects.
    pub transport_errors: AtomicU64,
    /// 1 when the server ended the session (`reconnect: none`).
    pub ended: AtomicU64,
}

impl Inbox {
    /// Waits until a set-up notification `pick` accepts has arrived (earlier ones count).
    pub async fn wait_for<T>(
        &self,
        what: &str,
        deadline: Instant,
        pick: impl Fn(&Seen) -> Option<T>,
    ) -> Result<T> {
        loop {
            let arrived = self.arrived.notified();
            tokio::pin!(arrived);
            // Registered before looking, so an arrival between the look and the wait wakes us.
            arrived.as_mut().enable();
            if let Some(found) = lock(&self.seen).iter().find_map(&pick) {
                return Ok(found);
            }
            tokio::time::timeout_at(deadline.into(), arrived)
                .await
                .context(|| format!("no {what} before the deadline"))?;
        }
    }

    /// Waits until `count` tagged messages have arrived or `deadline` passes, then returns all
    /// of them.
    pub async fn tagged_when(&self, count: usize, deadline: Instant) -> Vec<(usize, Instant)> {
        loop {
            let arrived = self.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            if lock(&self.tagged).len() >= count
                || tokio::time::timeout_at(deadline.into(), arrived)
                    .await
                    .is_err()
            {
                return lock(&self.tagged).clone();
            }
        }
    }

    fn file(&self, notification: &Notification<'_>, received_at: Instant, tag: &str) {
        let mut seen = Vec::new();
        if notification.notification_type.as_deref() == Some("StatusChange")
            && let Some(chat) = &notification.chat
            && chat.state.as_deref() == Some("Invited")
        {
            seen.push(Seen::Invited(chat.id.clone().into_owned()));
        }
        if notification.message_type.as_deref() == Some("MessageLogUpdated") {
            for text in notification
                .messages
                .iter()
                .filter_map(|m| m.text.as_deref())
            {
                match text.strip_prefix(tag) {
                    Some(seq) => match seq.parse::<usize>() {
                        Ok(seq) => lock(&self.tagged).push((seq, received_at)),
                        Err(_) => {
                            self.unmatched.fetch_add(1, Ordering::Relaxed);
                        }
                    },
                    None => seen.push(Seen::Text(text.to_owned())),
                }
            }
        }
        if !seen.is_empty() {
            lock(&self.seen).extend(seen);
        }
    }
}

/// One user's Bayeux client; its connect loop stops when the client is dropped.
pub struct LongPollClient {
    /// What the connect loop received.
    pub inbox: Arc<Inbox>,
    task: JoinHandle<()>,
}

impl Drop for LongPollClient {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// How to reach the server and whom to log in as.
#[derive(Clone)]
pub struct Login {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The `Authorization: Basic ...` header line.
    pub authorization: String,
    /// The server's long-poll hold time; a connect may take this long.
    pub long_poll: Duration,
    /// The measured operations' text prefix.
    pub tag: &'static str,
}

impl Login {
    /// Credentials of `user` with `password`.
    pub fn new(
        base: &str,
        user: &str,
        password: &str,
        long_poll: Duration,
        tag: &'static str,
    ) -> Self {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        Self {
            base: base.to_owned(),
            authorization: format!("Authorization: Basic {token}"),
            long_poll,
            tag,
        }
    }
}

/// A handshaken, subscribed client: its id and the session cookie header line.
struct Session {
    connect_body: Vec<u8>,
    cookie: String,
}

fn parse_reply(response: &Response) -> Result<Vec<Message<'_>>> {
    if response.status != 200 {
        return Err(format!(
            "HTTP {}: {}",
            response.status,
            String::from_utf8_lossy(&response.body)
        )
        .into());
    }
    serde_json::from_slice(&response.body).context(|| {
        format!(
            "not a Bayeux reply: {}",
            String::from_utf8_lossy(&response.body)
        )
    })
}

/// The reply to `channel` in `messages`, which must be successful.
fn meta_reply<'m, 'a>(messages: &'m [Message<'a>], channel: &str) -> Result<&'m Message<'a>> {
    let reply = messages
        .iter()
        .find(|m| m.channel == channel)
        .context(|| format!("no {channel} reply"))?;
    if reply.successful != Some(true) {
        return Err(format!("{channel} failed: {:?}", reply.error).into());
    }
    Ok(reply)
}

async fn handshake(connection: &mut Connection, login: &Login) -> Result<Session> {
    let body = br#"[{"channel":"/meta/handshake","version":"1.0","supportedConnectionTypes":["long-polling"]}]"#;
    let response = connection
        .post(PATH, &[&login.authorization], body, REQUEST_DEADLINE)
        .await?;
    let session_id = response
        .session_cookie
        .clone()
        .context(|| "the handshake reply set no JSESSIONID cookie".into())?;
    let messages = parse_reply(&response)?;
    let client_id = meta_reply(&messages, "/meta/handshake")?
        .client_id
        .clone()
        .context(|| "the handshake reply has no clientId".into())?;
    let cookie = format!("Cookie: JSESSIONID={session_id}");
    let subscribe = format!(
        r#"[{{"channel":"/meta/subscribe","clientId":"{client_id}","subscription":"{CHATS}"}}]"#
    );
    let response = connection
        .post(PATH, &[&cookie], subscribe.as_bytes(), REQUEST_DEADLINE)
        .await?;
    meta_reply(&parse_reply(&response)?, "/meta/subscribe")?;
    let connect_body = format!(
        r#"[{{"channel":"/meta/connect","clientId":"{client_id}","connectionType":"long-polling"}}]"#
    )
    .into_bytes();
    Ok(Session {
        connect_body,
        cookie,
    })
}

impl LongPollClient {
    /// Handshakes, subscribes to `/v2/me/chats` and starts the connect loop.
    pub async fn start(login: Login) -> Result<Self> {
        let mut connection = Connection::open(&login.base, REQUEST_DEADLINE).await?;
        let session = handshake(&mut connection, &login).await?;
        let inbox = Arc::new(Inbox::default());
        let task = tokio::spawn(connect_loop(connection, session, login, inbox.clone()));
        Ok(Self { inbox, task })
    }
}

/// What to do after one connect.
enum Next {
    Connect(Duration),
    Handshake,
    Stop,
}

async fn connect_loop(
    mut connection: Connection,
    mut session: Session,
    login: Login,
    inbox: Arc<Inbox>,
) {
    // A held connect lasts up to the server's hold time; anything beyond that plus a margin is
    // a failure, not a long poll.
    let deadline = login.long_poll + REQUEST_DEADLINE;
    loop {
        let outcome = connection
            .post(PATH, &[&session.cookie], &session.connect_body, deadline)
            .await
            .and_then(|response| {
                let received_at = Instant::now();
                let messages = parse_reply(&response)?;
                Ok(handle_reply(&messages, received_at, &login, &inbox))
            });
        let next = match outcome {
            Ok(next) => next,
            Err(_) => {
                inbox.transport_errors.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(RETRY_PAUSE).await;
                // The connection may be half-used; start clean.
                match Connection::open(&login.base, REQUEST_DEADLINE).await {
                    Ok(fresh) => connection = fresh,
                    Err(_) => continue,
                }
                Next::Handshake
            }
        };
        match next {
            Next::Connect(pause) => {
                if !pause.is_zero() {
                    tokio::time::sleep(pause).await;
                }
            }
            Next::Handshake => match handshake(&mut connection, &login).await {
                Ok(fresh) => session = fresh,
                Err(_) => {
                    inbox.transport_errors.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(RETRY_PAUSE).await;
                }
            },
            Next::Stop => {
                inbox.ended.store(1, Ordering::Relaxed);
                inbox.arrived.notify_waiters();
                return;
            }
        }
    }
}

fn handle_reply(
    messages: &[Message<'_>],
    received_at: Instant,
    login: &Login,
    inbox: &Inbox,
) -> Next {
    let mut next = Next::Connect(Duration::ZERO);
    for message in messages {
        if message.channel == "/meta/connect" {
            let advice = message.advice.as_ref();
            let reconnect = advice.and_then(|a| a.reconnect.as_deref());
            next = match (message.successful, reconnect) {
                (_, Some("none")) => Next::Stop,
                (Some(false), _) | (_, Some("handshake")) => {
                    inbox.rehandshakes.fetch_add(1, Ordering::Relaxed);
                    Next::Handshake
                }
                _ => Next::Connect(Duration::from_millis(
                    advice.and_then(|a| a.interval).unwrap_or(0),
                )),
            };
        } else if message.channel == CHATS
            && let Some(notification) = &message.data
        {
            inbox.file(notification, received_at, login.tag);
        }
    }
    inbox.arrived.notify_waiters();
    next
}
