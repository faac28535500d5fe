//! [`BayeuxClient`]: the caller-facing handle of one Bayeux session.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::json;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::config::BayeuxConfig;
use super::error::{BayeuxError, TransportError};
use super::inbox::{EndReason, Inbox};
use super::session::Session;
use super::transport::{Credentials, Endpoint};
use crate::bayeux::{ChannelPattern, META_DISCONNECT, META_SUBSCRIBE, META_UNSUBSCRIBE};
use crate::driver::tap::Tap;

/// A handshaken Bayeux session with a background connect loop filling its [`Inbox`].
///
/// Dropping the client stops the loop without telling the server; call
/// [`disconnect`](Self::disconnect) to end the session properly.
pub struct BayeuxClient {
    session: Arc<Session>,
    /// Set to `true` (or dropped) to stop the connect loop.
    stop: watch::Sender<bool>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl BayeuxClient {
    /// Handshakes with the Bayeux endpoint at `url` (`{base}/api/v2/notifications`) through
    /// `http` (whose cookie store then holds the session cookie) and starts the connect loop.
    pub async fn connect(
        http: reqwest::Client,
        url: impl Into<String>,
        credentials: Option<Credentials>,
        config: BayeuxConfig,
    ) -> Result<Self, BayeuxError> {
        Self::connect_tapped(http, url, credentials, config, None).await
    }

    /// [`connect`](Self::connect), with every exchange (handshake, subscriptions, connects,
    /// disconnect) recorded through `tap` when one is given.
    pub async fn connect_tapped(
        http: reqwest::Client,
        url: impl Into<String>,
        credentials: Option<Credentials>,
        config: BayeuxConfig,
        tap: Option<Tap>,
    ) -> Result<Self, BayeuxError> {
        let endpoint = Endpoint {
            http,
            url: url.into(),
            credentials,
            tap,
        };
        let session = Arc::new(Session::new(endpoint, config));
        session.handshake_locked().await?;
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run(Arc::clone(&session), stopped));
        Ok(Self {
            session,
            stop,
            task: Mutex::new(Some(task)),
        })
    }

    /// The current client id (it changes when the client has to handshake again).
    pub fn client_id(&self) -> Option<String> {
        self.session.client_id()
    }

    /// Posts one message exactly as given, once (deadline: the request margin), and returns the
    /// reply's messages without acting on them or filing them in the inbox. For probing how the
    /// server answers a request the client would never make itself, such as a connect with a
    /// `clientId` it never issued; the probe shares the session's cookies and credentials.
    pub async fn probe(
        &self,
        message: serde_json::Value,
    ) -> Result<Vec<serde_json::Value>, TransportError> {
        self.session.probe(message).await
    }

    /// Everything this session received, and its events.
    pub fn inbox(&self) -> &Inbox {
        &self.session.inbox
    }

    /// Subscribes to `pattern` and returns once the server has acknowledged it, so whatever is
    /// published afterwards is delivered.
    pub async fn subscribe(&self, pattern: &ChannelPattern) -> Result<(), BayeuxError> {
        let mut subscriptions = self.session.subscriptions.lock().await;
        self.session
            .subscription_locked(&subscriptions, META_SUBSCRIBE, pattern)
            .await?;
        if !subscriptions.contains(pattern) {
            subscriptions.push(pattern.clone());
        }
        Ok(())
    }

    /// Unsubscribes from `pattern` and returns once the server has acknowledged it.
    pub async fn unsubscribe(&self, pattern: &ChannelPattern) -> Result<(), BayeuxError> {
        let mut subscriptions = self.session.subscriptions.lock().await;
        self.session
            .subscription_locked(&subscriptions, META_UNSUBSCRIBE, pattern)
            .await?;
        subscriptions.retain(|p| p != pattern);
        Ok(())
    }

    /// Stops the connect loop (abandoning a connect the server is holding), sends
    /// `/meta/disconnect` unless the session already ended, and ends the inbox's session.
    /// Calling it again does nothing.
    pub async fn disconnect(&self) -> Result<(), BayeuxError> {
        self.stop.send_replace(true);
        let task = self
            .task
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(task) = task {
            // The loop exits as soon as it sees the stop signal; a join error would only mean
            // it panicked, and there is nothing left to stop then.
            let _ = task.await;
        }
        if self.session.inbox.ended().is_some() {
            return Ok(());
        }
        let _subscriptions = self.session.subscriptions.lock().await;
        let client_id = self.session.client_id();
        let reply = self.session.request(
            META_DISCONNECT,
            client_id.as_deref(),
            json!({}),
            Duration::ZERO,
        );
        let result = reply
            .await
            .and_then(|reply| reply.accepted(META_DISCONNECT));
        self.session.inbox.end(EndReason::Disconnected);
        result.map(drop)
    }
}

/// The connect loop task: runs until the session ends or the client asks it to stop.
async fn run(session: Arc<Session>, mut stop: watch::Receiver<bool>) {
    tokio::select! {
        // Also fires when the client is dropped (the sender goes away).
        _ = stop.wait_for(|stop| *stop) => {}
        reason = session.connect_loop() => session.inbox.end(reason),
    }
}
