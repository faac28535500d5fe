//! The reference server's Bayeux (CometD long-polling) side: a hub of connected clients with
//! their subscriptions and bounded queues, and the protocol handler for
//! `POST /api/v2/notifications`.

mod hub;
mod protocol;

pub use hub::{Hub, HubConfig};
pub use protocol::{MAX_BATCH, MAX_CHANNEL_LEN, handle_batch, handle_request, parse_batch};
