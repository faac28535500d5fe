//! The state one Bayeux session shares between the caller's operations and the connect loop,
//! and the request/reply plumbing they both use.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::config::BayeuxConfig;
use super::error::{BayeuxError, TransportError};
use super::inbox::{Inbox, SessionEvent};
use super::transport::{Endpoint, quote};
use crate::bayeux::message::{UNKNOWN_CLIENT, error_code};
use crate::bayeux::{
    Advice, BAYEUX_VERSION, ChannelPattern, LONG_POLLING, META_CONNECT, META_HANDSHAKE,
    META_SUBSCRIBE, Reconnect,
};

/// What the connect loop and the operations read and update between requests.
#[derive(Debug, Default)]
pub(super) struct Status {
    pub client_id: Option<String>,
    /// The last value the server gave for each advice field.
    pub advice: Advice,
    /// Whether a successful connect reply of the current session has been recorded.
    pub connect_recorded: bool,
}

/// The fields of a meta reply the client acts on.
#[derive(Debug)]
pub(super) struct MetaReply {
    pub successful: bool,
    pub error: String,
    /// As sent: checked only where it must be a usable id (a successful handshake).
    client_id: Option<Value>,
}

impl MetaReply {
    /// Reads the fields the client acts on; a reply without a boolean `successful` (which
    /// Bayeux 1.0 §3.12 requires on every meta reply) is malformed.
    fn parse(channel: &str, message: &Value) -> Result<Self, TransportError> {
        let text = |field: &str| {
            message
                .get(field)
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let Some(successful) = message.get("successful").and_then(Value::as_bool) else {
            return Err(TransportError::Malformed(format!(
                "the {channel} reply has no boolean `successful`: {}",
                quote(&message.to_string())
            )));
        };
        Ok(Self {
            successful,
            error: text("error").unwrap_or_default(),
            client_id: message.get("clientId").cloned(),
        })
    }

    /// Whether the server says it no longer knows the client (`402::Unknown client`).
    pub fn unknown_client(&self) -> bool {
        !self.successful && error_code(&self.error) == Some(UNKNOWN_CLIENT)
    }

    /// `Ok` if the server accepted the request, else [`BayeuxError::Refused`].
    pub fn accepted(self, channel: &str) -> Result<Self, BayeuxError> {
        if self.successful {
            return Ok(self);
        }
        Err(BayeuxError::Refused {
            channel: channel.to_owned(),
            error: self.error,
        })
    }
}

/// One Bayeux session: endpoint, state, inbox.
pub(super) struct Session {
    endpoint: Endpoint,
    pub config: BayeuxConfig,
    pub inbox: Inbox,
    next_id: AtomicU64,
    status: Mutex<Status>,
    /// Patterns the server acknowledged. The lock is held across every handshake, subscribe and
    /// unsubscribe round trip so they never interleave: a re-handshake always resubscribes a
    /// settled set, and a subscribe never goes out with a client id that is being replaced.
    pub subscriptions: tokio::sync::Mutex<Vec<ChannelPattern>>,
}

impl Session {
    pub fn new(endpoint: Endpoint, config: BayeuxConfig) -> Self {
        Self {
            endpoint,
            config,
            inbox: Inbox::new(),
            next_id: AtomicU64::new(1),
            status: Mutex::default(),
            subscriptions: tokio::sync::Mutex::default(),
        }
    }

    /// The status; a poisoned lock is still usable because every update is a single assignment.
    pub fn status(&self) -> MutexGuard<'_, Status> {
        self.status.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn client_id(&self) -> Option<String> {
        self.status().client_id.clone()
    }

    /// Sends one meta message on `channel` for `client_id` (`None` for a handshake) with the
    /// extra `fields`, retrying transport failures with back-off, and returns the server's reply
    /// to it. `hold` is how long the server may legitimately keep the request.
    pub async fn request(
        &self,
        channel: &str,
        client_id: Option<&str>,
        fields: Value,
        hold: Duration,
    ) -> Result<MetaReply, BayeuxError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed).to_string();
        let mut message = Map::new();
        message.insert("channel".into(), channel.into());
        message.insert("id".into(), id.clone().into());
        if let Some(client_id) = client_id {
            message.insert("clientId".into(), client_id.into());
        }
        if let Value::Object(fields) = fields {
            message.extend(fields);
        }
        let body = Value::Array(vec![Value::Object(message)]);
        let deadline = hold + self.config.request_margin;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let reply = self.endpoint.post(&body, deadline, hold).await;
            let last = match reply.and_then(|reply| self.absorb(reply, channel, &id, client_id)) {
                Ok(reply) => return Ok(reply),
                Err(error) => error,
            };
            tracing::debug!(channel, attempt, %last, "bayeux request failed");
            let error = last.to_string();
            self.inbox.push_event(SessionEvent::TransportError {
                channel: channel.into(),
                attempt,
                error,
            });
            if !last.is_transient() || attempt > self.config.max_retries {
                return Err(BayeuxError::Transport {
                    channel: channel.into(),
                    attempts: attempt,
                    last,
                });
            }
            tokio::time::sleep(self.config.backoff(attempt)).await;
        }
    }

    /// Sends `message` once, as it is, and returns the reply's messages without acting on them:
    /// for probing how the server answers requests the client would never make itself.
    pub async fn probe(&self, message: Value) -> Result<Vec<Value>, TransportError> {
        let body = Value::Array(vec![message]);
        self.endpoint
            .post(&body, self.config.request_margin, Duration::ZERO)
            .await
    }

    /// Files every delivered message of `reply` in the inbox, then picks out the reply to the
    /// request `id` on `channel` and takes its advice.
    fn absorb(
        &self,
        reply: Vec<Value>,
        channel: &str,
        id: &str,
        client_id: Option<&str>,
    ) -> Result<MetaReply, TransportError> {
        // What arrived instead, should the reply be missing.
        let mut channels = Vec::new();
        let mut meta = None;
        let mut delivered = Vec::new();
        for message in reply {
            let Some(name) = message.get("channel").and_then(Value::as_str) else {
                tracing::warn!(%message, "bayeux message without a channel ignored");
                channels.push(format!(
                    "a message without a channel: {}",
                    quote(&message.to_string())
                ));
                continue;
            };
            channels.push(name.to_owned());
            if !name.starts_with("/meta/") {
                delivered.push((name.to_owned(), message));
            } else if name == channel && meta.is_none() {
                // A reply without an id (or with a non-string one) is still taken as ours.
                let reply_id = message.get("id").and_then(Value::as_str);
                if reply_id.is_none_or(|reply_id| reply_id == id) {
                    meta = Some(message);
                }
            }
        }
        if channel == META_CONNECT && delivered.is_empty() && meta.is_some() {
            self.inbox.note_empty_poll();
        }
        self.inbox.push_reply(delivered);
        let message = meta.ok_or_else(|| {
            let received = match channels.len() {
                0 => "an empty array".to_owned(),
                _ => channels.join(", "),
            };
            TransportError::Malformed(format!(
                "no {channel} reply to message {id}; received: {received}"
            ))
        })?;
        let meta = MetaReply::parse(channel, &message)?;
        let advice = message.get("advice").cloned();
        let mut status = self.status();
        // A session long-polls for as long as it lives: of its successful connect replies only
        // the first is kept, so the record stays bounded.
        let routine = channel == META_CONNECT && meta.successful && status.connect_recorded;
        if !routine {
            status.connect_recorded |= channel == META_CONNECT && meta.successful;
            self.inbox.push_event(SessionEvent::MetaReply {
                channel: channel.to_owned(),
                reply: message,
            });
        }
        // Advice about a client id that has since been replaced (a late reply to the old
        // session) must not steer the new one.
        if client_id.is_none() || status.client_id.as_deref() == client_id {
            // Advice with an unknown `reconnect` value is ignored as a whole rather than guessed.
            if let Some(advice) = advice.and_then(|a| serde_json::from_value::<Advice>(a).ok()) {
                status.advice.merge(&advice);
            }
            if meta.unknown_client() {
                status.advice.reconnect = Some(Reconnect::Handshake);
            }
        }
        Ok(meta)
    }

    /// Handshakes and records the new client id. Callers hold the `subscriptions` lock.
    pub async fn handshake_locked(&self) -> Result<String, BayeuxError> {
        let fields = json!({"version": BAYEUX_VERSION, "supportedConnectionTypes": [LONG_POLLING]});
        let reply = self
            .request(META_HANDSHAKE, None, fields, Duration::ZERO)
            .await?;
        let client_id = match reply.accepted(META_HANDSHAKE)?.client_id {
            Some(Value::String(id)) if !id.is_empty() => id,
            other => {
                let found = other.map_or_else(|| "missing".to_owned(), |v| v.to_string());
                return Err(BayeuxError::Transport {
                    channel: META_HANDSHAKE.to_owned(),
                    attempts: 1,
                    last: TransportError::Malformed(format!(
                        "the successful /meta/handshake reply's clientId is {} (expected a non-empty string)",
                        quote(&found)
                    )),
                });
            }
        };
        let mut status = self.status();
        status.client_id = Some(client_id.clone());
        status.connect_recorded = false;
        // `reconnect: handshake` was advice about the session just replaced; this one starts
        // from `retry`.
        if status.advice.reconnect == Some(Reconnect::Handshake) {
            status.advice.reconnect = None;
        }
        Ok(client_id)
    }

    /// Handshakes again and resubscribes every pattern in `subscriptions`, reporting it as a
    /// [`SessionEvent::Rehandshake`].
    pub async fn rehandshake_locked(
        &self,
        subscriptions: &[ChannelPattern],
    ) -> Result<(), BayeuxError> {
        let old_client_id = self.client_id().unwrap_or_default();
        let new_client_id = self.handshake_locked().await?;
        for pattern in subscriptions {
            self.send_subscription(META_SUBSCRIBE, pattern)
                .await?
                .accepted(META_SUBSCRIBE)?;
        }
        let resubscribed = subscriptions
            .iter()
            .map(|p| p.as_str().to_owned())
            .collect();
        self.inbox.push_event(SessionEvent::Rehandshake {
            old_client_id,
            new_client_id,
            resubscribed,
        });
        Ok(())
    }

    /// Sends a subscribe or unsubscribe for `pattern`; if the server has forgotten the client,
    /// handshakes again (resubscribing the rest) and sends it once more.
    pub async fn subscription_locked(
        &self,
        subscriptions: &[ChannelPattern],
        channel: &str,
        pattern: &ChannelPattern,
    ) -> Result<(), BayeuxError> {
        let mut reply = self.send_subscription(channel, pattern).await?;
        if reply.unknown_client() {
            self.rehandshake_locked(subscriptions).await?;
            reply = self.send_subscription(channel, pattern).await?;
        }
        reply.accepted(channel).map(drop)
    }

    async fn send_subscription(
        &self,
        channel: &str,
        pattern: &ChannelPattern,
    ) -> Result<MetaReply, BayeuxError> {
        let client_id = self.client_id();
        let fields = json!({"subscription": pattern.as_str()});
        self.request(channel, client_id.as_deref(), fields, Duration::ZERO)
            .await
    }
}
