//! Bayeux 1.0 protocol pieces shared by the reference server and the harness client:
//! channel names and subscription patterns, the `advice` object, and the meta channel names.

pub mod channel;
pub mod message;

pub use channel::{ChannelError, ChannelName, ChannelPattern};
pub use message::{Advice, Reconnect};

/// `/meta/handshake`: negotiates a `clientId`.
pub const META_HANDSHAKE: &str = "/meta/handshake";
/// `/meta/connect`: the long-poll that carries server-pushed messages back.
pub const META_CONNECT: &str = "/meta/connect";
/// `/meta/subscribe`: adds a subscription pattern for a client.
pub const META_SUBSCRIBE: &str = "/meta/subscribe";
/// `/meta/unsubscribe`: removes a subscription pattern.
pub const META_UNSUBSCRIBE: &str = "/meta/unsubscribe";
/// `/meta/disconnect`: ends a client's session.
pub const META_DISCONNECT: &str = "/meta/disconnect";
/// The only connection type either side speaks.
pub const LONG_POLLING: &str = "long-polling";
/// The GWS path of the Bayeux endpoint (CometD over long-polling).
pub const ENDPOINT: &str = "/api/v2/notifications";
/// The Bayeux protocol version both sides announce.
pub const BAYEUX_VERSION: &str = "1.0";
