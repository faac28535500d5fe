//! Errors of the Bayeux client: one failed HTTP exchange ([`TransportError`]) and the failure of
//! a whole operation ([`BayeuxError`]).

use std::time::Duration;

/// Why one HTTP exchange with the Bayeux endpoint produced no usable reply.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// Connecting, sending or reading failed (connection refused, reset, ...).
    #[error("HTTP request failed: {0}")]
    Http(#[from] reqwest::Error),
    /// No complete reply within the request's deadline.
    #[error("no reply within {0:?}")]
    Deadline(Duration),
    /// The server answered with a non-success HTTP status.
    #[error("HTTP status {status}: {body}")]
    Status {
        /// The status code.
        status: u16,
        /// The start of the response body.
        body: String,
    },
    /// The body is not JSON.
    #[error("reply is not JSON: {0}")]
    NotJson(#[from] serde_json::Error),
    /// The body is JSON but not an array of messages.
    #[error("reply is not a JSON array: {0}")]
    NotArray(String),
    /// The array holds no reply to the meta message that was sent.
    #[error("reply has no {0} message")]
    MissingReply(String),
}

/// Why a Bayeux operation (handshake, subscribe, unsubscribe, disconnect) failed.
#[derive(Debug, thiserror::Error)]
pub enum BayeuxError {
    /// Every attempt failed at the transport level; `last` is the final failure.
    #[error("{channel} failed after {attempts} attempt(s): {last}")]
    Transport {
        /// The meta channel of the operation.
        channel: String,
        /// How many requests were made.
        attempts: u32,
        /// The last attempt's failure.
        last: TransportError,
    },
    /// The server replied `successful: false`.
    #[error("{channel} refused by the server: {error}")]
    Refused {
        /// The meta channel of the operation.
        channel: String,
        /// The server's `error` string (empty if it sent none).
        error: String,
    },
    /// The handshake reply is successful but carries no `clientId`.
    #[error("handshake reply has no clientId")]
    NoClientId,
}
