//! Bayeux message fields both sides interpret the same way: the `advice` object and the numeric
//! code at the front of an `error` string (`"402::Unknown client"`).

use serde::{Deserialize, Serialize};

/// The `error` code a server uses when it no longer knows a `clientId`; the client must
/// handshake again.
pub const UNKNOWN_CLIENT: u16 = 402;

/// What the client should do after a connect (Bayeux 1.0 §2.3.4 `reconnect`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reconnect {
    /// Connect again after `interval` ms.
    Retry,
    /// Handshake again (the session is gone), then connect.
    Handshake,
    /// Stop: the server will not accept this client any more.
    None,
}

/// A Bayeux `advice` object. Every field is optional on the wire; a client keeps the last value it
/// was given for each field, which is what [`Advice::merge`] implements.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Advice {
    /// What to do after this reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconnect: Option<Reconnect>,
    /// Milliseconds to wait before the next connect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<u64>,
    /// Milliseconds the server may hold a connect before answering it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
}

impl Advice {
    /// Overwrites every field that `newer` carries, keeping the rest.
    pub fn merge(&mut self, newer: &Advice) {
        self.reconnect = newer.reconnect.or(self.reconnect);
        self.interval = newer.interval.or(self.interval);
        self.timeout = newer.timeout.or(self.timeout);
    }
}

/// The numeric code of a Bayeux `error` string (`"402::Unknown client"` → 402), if it has one.
pub fn error_code(error: &str) -> Option<u16> {
    error.split(':').next()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_parsed() {
        assert_eq!(error_code("402::Unknown client"), Some(402));
        assert_eq!(error_code("403:/v2/x:denied"), Some(403));
        assert_eq!(error_code("no code"), None);
    }

    #[test]
    fn advice_merges_field_by_field_and_ignores_unknown_fields() {
        let mut advice: Advice =
            serde_json::from_str(r#"{"reconnect":"retry","interval":0,"timeout":30000}"#).unwrap();
        let newer: Advice =
            serde_json::from_str(r#"{"reconnect":"none","multiple-clients":true}"#).unwrap();
        advice.merge(&newer);
        assert_eq!(advice.reconnect, Some(Reconnect::None));
        assert_eq!(advice.timeout, Some(30_000));
    }
}
