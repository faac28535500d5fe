//! The requests the harness composes itself (as opposed to a scenario's `http:` steps): where
//! an agent's or supervisor's identity, session, readiness, monitoring and chat operations go,
//! and a customer's chat, and with which body. The scenario runner and the target clean-up ([`super::janitor`]) both
//! build their requests here, so they talk to a target the same way (docs/rulings.md,
//! `ruling-endpoints`).

use serde_json::{Value, json};

use crate::driver::http::{Body, Exchange, HttpActor};

/// The user's own resource: `GET` gives its identity, `POST` runs the session operations.
pub(crate) const ME: &str = "/api/v2/me";

/// The user's chats (`GET`, with `?fields=*` for whole chat resources).
pub(crate) const MY_CHATS: &str = "/api/v2/me/chats";

/// The user's channels and its state on each (`GET`).
pub(crate) const MY_CHANNELS: &str = "/api/v2/me/channels";

/// Where `Ready` and `NotReady` go first: the chat channel, as the documents show it.
const CHAT_CHANNEL: &str = "/api/v2/me/channels/chat";

/// A body naming only its operation.
pub(crate) fn operation(name: &str) -> Value {
    json!({ "operationName": name })
}

/// `StartContactCenterSession` on the chat channel, the only channel the suite uses.
pub(crate) fn start_session() -> Value {
    json!({"operationName": "StartContactCenterSession", "channels": ["chat"]})
}

/// Where a customer requests a chat (`POST`).
pub(crate) const CUSTOMER_CHATS: &str = "/api/v2/chats";

/// A customer's chat, where its chat operations go (and `GET` reads it).
pub(crate) fn customer_chat_path(chat_id: &str) -> String {
    format!("{CUSTOMER_CHATS}/{chat_id}")
}

/// A chat of the user, where its chat operations go.
pub(crate) fn chat_path(chat_id: &str) -> String {
    format!("{MY_CHATS}/{chat_id}")
}

/// The chat channel of the agent with this user id, where supervisors send monitoring requests.
pub(crate) fn monitoring_path(agent_user_id: &str) -> String {
    format!("/api/v2/users/{agent_user_id}/channels/chat")
}

/// `user.id` of a `GET /api/v2/me` response body.
pub(crate) fn user_id(me: &Value) -> Option<&str> {
    me.pointer("/user/id").and_then(Value::as_str)
}

/// Where else a `Ready` or `NotReady` (its `operationName`) sent to `path` is accepted when the
/// server has no such resource at `path` (HTTP 404 or 405): the chat channel and `/api/v2/me`
/// stand in for each other (docs/rulings.md, `choice-ready-endpoint`).
pub(crate) fn readiness_elsewhere(path: &str, operation: Option<&str>) -> Option<&'static str> {
    if !matches!(operation, Some("Ready" | "NotReady")) {
        return None;
    }
    match path {
        CHAT_CHANNEL => Some(ME),
        ME => Some(CHAT_CHANNEL),
        _ => None,
    }
}

/// Whether a server answering `status` has no such resource (HTTP 404 or 405).
pub(crate) fn no_such_resource(status: Option<u16>) -> bool {
    matches!(status, Some(404 | 405))
}

/// The exchanges of a `Ready` or `NotReady` request.
pub(crate) struct Readiness {
    /// The request at the chat channel, when the server has no such resource there.
    pub no_resource: Option<Exchange>,
    /// The exchange that counts.
    pub answer: Exchange,
}

/// `Ready` or `NotReady` on chat: at `/api/v2/me/channels/chat`, the endpoint the documents
/// show, or, when the server has no such resource there (HTTP 404 or 405), at `/api/v2/me`,
/// where public client code sends them (docs/rulings.md, `choice-ready-endpoint`).
pub(crate) async fn readiness(http: &HttpActor, ready: bool) -> Readiness {
    let name = if ready { "Ready" } else { "NotReady" };
    let body = Body::Json(operation(name));
    let channel = http.send("POST", CHAT_CHANNEL, Some(&body), &[]).await;
    let elsewhere = readiness_elsewhere(CHAT_CHANNEL, Some(name));
    match elsewhere.filter(|_| no_such_resource(channel.status)) {
        Some(path) => Readiness {
            answer: http.send("POST", path, Some(&body), &[]).await,
            no_resource: Some(channel),
        },
        None => Readiness {
            no_resource: None,
            answer: channel,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readiness_has_two_endpoints_that_stand_in_for_each_other() {
        assert_eq!(readiness_elsewhere(CHAT_CHANNEL, Some("Ready")), Some(ME));
        assert_eq!(
            readiness_elsewhere(ME, Some("NotReady")),
            Some(CHAT_CHANNEL)
        );
        assert_eq!(
            readiness_elsewhere(ME, Some("StartContactCenterSession")),
            None
        );
        assert_eq!(readiness_elsewhere("/api/v2/me/chats", Some("Ready")), None);
        assert!(no_such_resource(Some(404)) && no_such_resource(Some(405)));
        assert!(!no_such_resource(Some(400)) && !no_such_resource(None));
    }
}
