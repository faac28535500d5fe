//! Everything the harness uses to drive a target server.

pub mod bayeux;
pub mod http;
