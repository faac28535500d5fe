//! A Bayeux (CometD 1.0) long-polling client, as the harness uses it to receive a target's
//! notifications.
//!
//! [`BayeuxClient::connect`] handshakes and starts a background connect loop that files every
//! delivered message in an [`Inbox`]; tests wait on the inbox. The loop follows the server's
//! advice, re-handshakes (and resubscribes) when the server forgets the client, retries
//! failed connections and server errors (5xx) with bounded back-off (not deadlines, malformed or
//! oversized replies: those end the operation at once), and records all of it, with every meta
//! reply, as [`SessionEvent`]s so a harness can report a lost session instead of silently
//! waiting, and check the protocol itself.
//!
//! ```no_run
//! # async fn demo(http: reqwest::Client) -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::{Duration, Instant};
//! use gws_conform::bayeux::ChannelPattern;
//! use gws_conform::driver::bayeux::{BayeuxClient, BayeuxConfig, Credentials};
//!
//! let credentials = Credentials { username: "sup1".into(), password: "pw".into() };
//! let url = "http://127.0.0.1:8090/api/v2/notifications";
//! let client = BayeuxClient::connect(http, url, Some(credentials), BayeuxConfig::default()).await?;
//! let chats = ChannelPattern::parse("/v2/me/chats")?;
//! client.subscribe(&chats).await?;
//! let from = client.inbox().cursor();
//! // ... trigger something over REST ...
//! let deadline = Instant::now() + Duration::from_secs(5);
//! let note = client.inbox().wait_for(from, "a chat notification", |d| d.on(&chats), deadline).await?;
//! println!("{}", note.data);
//! client.disconnect().await?;
//! # Ok(()) }
//! ```

mod client;
mod config;
mod connect_loop;
mod error;
mod inbox;
mod session;
mod transport;

#[cfg(test)]
mod tests;

pub use client::BayeuxClient;
pub use config::BayeuxConfig;
pub use error::{BayeuxError, TransportError};
pub use inbox::{Cursor, Delivery, EndReason, Inbox, SessionEvent, WaitError};
pub use transport::{Credentials, MAX_REPLY_BYTES};
