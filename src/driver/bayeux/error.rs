//! Errors of the Bayeux client: one failed HTTP exchange ([`TransportError`]) and the failure of
//! a whole operation ([`BayeuxError`]).

use std::time::Duration;

use crate::driver::format_duration;

/// Why one HTTP exchange with the Bayeux endpoint produced no usable reply.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// Connecting, sending or reading failed (connection refused, reset, ...).
    #[error("HTTP request failed: {0}")]
    Http(String),
    /// No complete reply within the request's deadline (`hold`: how long the server may hold
    /// the request, zero but for connects).
    #[error("{}", deadline_text(*waited, *hold))]
    Deadline {
        /// The whole deadline.
        waited: Duration,
        /// The part of it the server was advised it may hold the request.
        hold: Duration,
    },
    /// The server answered with a non-success HTTP status.
    #[error("HTTP {status}: {body}")]
    Status {
        /// The status code.
        status: u16,
        /// The start of the response body.
        body: String,
    },
    /// The reply is larger than [`MAX_REPLY_BYTES`](super::MAX_REPLY_BYTES).
    #[error("reply larger than {0} bytes; not read further")]
    TooLarge(usize),
    /// The reply breaks the Bayeux message format: not JSON, not an array of messages, no
    /// reply to the request, a reply without `successful`, a handshake without a usable
    /// `clientId`.
    #[error("malformed Bayeux reply: {0}")]
    Malformed(String),
}

fn deadline_text(waited: Duration, hold: Duration) -> String {
    if hold.is_zero() {
        format!(
            "timed out after {} waiting for the reply",
            format_duration(waited)
        )
    } else {
        format!(
            "timed out after {} waiting for the reply (the server may hold it {}, plus a margin of {})",
            format_duration(waited),
            format_duration(hold),
            format_duration(waited.saturating_sub(hold))
        )
    }
}

impl TransportError {
    /// Whether trying again may help: a connection that failed, or a server error (5xx).
    /// A deadline that passed already allowed the server its full time, and a malformed or
    /// oversized reply will not fix itself, so those end the operation at once.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Http(_) => true,
            Self::Status { status, .. } => *status >= 500,
            Self::Deadline { .. } | Self::TooLarge(_) | Self::Malformed(_) => false,
        }
    }
}

/// Why a Bayeux operation (handshake, subscribe, unsubscribe, disconnect) failed.
#[derive(Debug, thiserror::Error)]
pub enum BayeuxError {
    /// The last attempt failed at the transport level (earlier ones, if any, too).
    #[error("{channel} failed{}: {last}", attempts_text(*attempts))]
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
}

fn attempts_text(attempts: u32) -> String {
    if attempts > 1 {
        format!(" after {attempts} attempts")
    } else {
        String::new()
    }
}
