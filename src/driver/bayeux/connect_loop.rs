//! The background connect loop: long-polls `/meta/connect` and follows the server's advice until
//! the session ends.

use std::time::Duration;

use serde_json::json;

use super::error::BayeuxError;
use super::inbox::EndReason;
use super::session::Session;
use crate::bayeux::{LONG_POLLING, META_CONNECT, Reconnect};

impl Session {
    /// Runs until the server advises `none` or requests keep failing; returns why it stopped.
    /// Transport failures are retried inside each request; here we bound unsuccessful connects.
    pub async fn connect_loop(&self) -> EndReason {
        // The client id the last connect was sent for: the first connect of each new session
        // asks the server not to hold it, as CometD clients do.
        let mut connected_as: Option<String> = None;
        let mut refusals = 0;
        loop {
            let (advice, client_id) = {
                let status = self.status();
                (status.advice.clone(), status.client_id.clone())
            };
            match advice.reconnect.unwrap_or(Reconnect::Retry) {
                Reconnect::None => return EndReason::AdvisedNone,
                Reconnect::Handshake => {
                    if let Err(error) = self.rehandshake(client_id).await {
                        return EndReason::Failed(error.to_string());
                    }
                    continue;
                }
                Reconnect::Retry => {}
            }
            let cap = self.config.advice_cap;
            let interval = Duration::from_millis(advice.interval.unwrap_or(0));
            tokio::time::sleep(interval.min(cap)).await;
            let first = connected_as != client_id;
            connected_as.clone_from(&client_id);
            let hold = advice.timeout.map(Duration::from_millis);
            let hold = hold.unwrap_or(self.config.default_hold).min(cap);
            let mut fields = json!({"connectionType": LONG_POLLING});
            if first {
                fields["advice"] = json!({"timeout": 0});
            }
            let reply = match self
                .request(META_CONNECT, client_id.as_deref(), fields, hold)
                .await
            {
                Ok(reply) => reply,
                Err(error) => return EndReason::Failed(error.to_string()),
            };
            if reply.successful {
                refusals = 0;
                continue;
            }
            // Unsuccessful: the advice (already taken by `request`) decides what comes next, but
            // back off so a server that keeps refusing is neither hammered nor retried forever.
            refusals += 1;
            if refusals > self.config.max_retries {
                let error = format!("{refusals} unsuccessful connects, last: {}", reply.error);
                return EndReason::Failed(error);
            }
            tokio::time::sleep(self.config.backoff(refusals)).await;
        }
    }

    /// Re-handshakes on the loop's behalf, unless an operation already did so since the loop
    /// read `stale`: then the advice it acted on was about a session that no longer exists (and
    /// was cleared by that handshake).
    async fn rehandshake(&self, stale: Option<String>) -> Result<(), BayeuxError> {
        let subscriptions = self.subscriptions.lock().await;
        if self.client_id() != stale {
            return Ok(());
        }
        self.rehandshake_locked(&subscriptions).await
    }
}
