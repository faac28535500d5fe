//! One profile user on the target, as the clean-up sees it: logged in the way the runner's
//! actors log in (an [`HttpActor`] with the profile's Basic credentials, which keeps the session
//! cookie and sends back the CSRF token the first GET hands out), with its id, its state on the
//! chat channel and its chats read from the target, and every answer it gets put in words.

use serde_json::Value;

use crate::driver::http::{Auth, Body, Exchange, HttpActor};
use crate::driver::route::Route;
use crate::profile::Profile;
use crate::run::requests;

/// How a request fared.
#[derive(Debug)]
pub(super) enum Answer {
    /// HTTP 200 with `statusCode` 0.
    Done,
    /// A refusal as the documents shape it: HTTP 400 or 403 with a non-zero `statusCode`.
    Refused(String),
    /// Anything else: no answer in time, another status, a body that is not GWS's.
    Failed(String),
}

impl Answer {
    fn of(exchange: &Exchange) -> Self {
        let Some(status) = exchange.status else {
            return Answer::Failed(describe(exchange));
        };
        match (status, exchange.status_code(), &exchange.error) {
            (200, Some(0), None) => Answer::Done,
            (400 | 403, Some(code), None) if code != 0 => Answer::Refused(describe(exchange)),
            _ => Answer::Failed(describe(exchange)),
        }
    }
}

/// An exchange's outcome in words: `HTTP 403, statusCode 3: <statusMessage>`, or what went
/// wrong on the way.
fn describe(exchange: &Exchange) -> String {
    let Some(status) = exchange.status else {
        return exchange
            .error
            .clone()
            .unwrap_or_else(|| "no response".into());
    };
    let mut text = format!("HTTP {status}");
    if let Some(code) = exchange.status_code() {
        text.push_str(&format!(", statusCode {code}"));
    }
    let message = exchange
        .response
        .as_ref()
        .and_then(|body| body.get("statusMessage"))
        .and_then(Value::as_str);
    if let Some(message) = message.or(exchange.error.as_deref()) {
        text.push_str(&format!(": {message}"));
    }
    text
}

/// Why a user could not be logged in.
#[derive(Debug)]
pub(super) enum NotLoggedIn {
    /// No HTTP answer: the target is gone (an error for the caller, not a warning).
    Unreachable(String),
    /// The credentials cannot be had, or the target answered but not with the user.
    Refused(String),
}

/// A user's state on the chat channel, as `GET /api/v2/me/channels` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ChannelState {
    /// Routed chats: the one state to leave at once.
    Ready,
    /// Logged in, whatever else it is (`NotReady`, or a state this harness does not set).
    LoggedIn,
    /// No contact-center session.
    LoggedOut,
    /// The target did not say (no such resource, or a body without the chat channel).
    Unknown,
}

/// A chat the user is in, as `GET /api/v2/me/chats?fields=*` shows it.
#[derive(Debug)]
pub(super) struct ChatSeen {
    /// The chat's id, as the user knows it.
    pub id: String,
    /// Offered to the user and not yet answered.
    pub offered: bool,
    /// What the user may do in it; empty when the target gives none.
    pub capabilities: Vec<String>,
}

impl ChatSeen {
    /// Whether `operation` is among the chat's capabilities, or the target gives none (so only
    /// trying tells).
    pub fn allows(&self, operation: &str) -> bool {
        self.capabilities.is_empty() || self.capabilities.iter().any(|c| c == operation)
    }
}

/// A profile user logged in on the target.
pub(super) struct UserSession {
    /// The profile user's name.
    pub name: String,
    /// The user's id on the target.
    pub id: String,
    http: HttpActor,
}

impl UserSession {
    /// Logs `name` in as the runner's actors do: the profile's credentials, then
    /// `GET /api/v2/me` for the user's id (which also starts the HTTP session and, on a target
    /// with CSRF protection, hands out the token every later POST carries).
    pub async fn log_in(
        base_url: &str,
        route: &Route,
        profile: &Profile,
        name: &str,
        timeout: std::time::Duration,
    ) -> Result<Self, NotLoggedIn> {
        let credentials = profile
            .credentials(name)
            .map_err(|e| NotLoggedIn::Refused(e.to_string()))?;
        let http = HttpActor::new(base_url, Auth::Basic(credentials), timeout, route)
            .map_err(|e| NotLoggedIn::Unreachable(format!("cannot build an HTTP client: {e}")))?;
        let me = http.send("GET", requests::ME, None, &[]).await;
        if me.status.is_none() {
            return Err(NotLoggedIn::Unreachable(format!(
                "GET {}: {}",
                me.url,
                describe(&me)
            )));
        }
        let id = me
            .response
            .as_ref()
            .and_then(requests::user_id)
            .filter(|_| me.status == Some(200))
            .ok_or_else(|| NotLoggedIn::Refused(format!("GET {}: {}", me.url, describe(&me))))?;
        Ok(Self {
            name: name.to_owned(),
            id: id.to_owned(),
            http,
        })
    }

    /// A POST of `body` to `path`.
    pub async fn post(&self, path: &str, body: Value) -> Answer {
        Answer::of(
            &self
                .http
                .send("POST", path, Some(&Body::Json(body)), &[])
                .await,
        )
    }

    /// `Ready` or `NotReady` on chat, where the runner sends them.
    pub async fn readiness(&self, ready: bool) -> Answer {
        Answer::of(&requests::readiness(&self.http, ready).await.answer)
    }

    /// A chat operation with no parameters.
    pub async fn chat_operation(&self, chat: &str, operation: &str) -> Answer {
        self.post(&requests::chat_path(chat), requests::operation(operation))
            .await
    }

    /// The user's state on the chat channel.
    pub async fn channel_state(&self) -> ChannelState {
        let Ok(body) = self.get(requests::MY_CHANNELS).await else {
            return ChannelState::Unknown;
        };
        let chat = body
            .get("channels")
            .and_then(Value::as_array)
            .and_then(|channels| channels.iter().find(|c| c["channel"] == "chat"));
        match chat.and_then(|c| c.pointer("/userState/state")?.as_str()) {
            Some("Ready") => ChannelState::Ready,
            Some("LoggedOut") => ChannelState::LoggedOut,
            Some(_) => ChannelState::LoggedIn,
            None => ChannelState::Unknown,
        }
    }

    /// The chats the user is still in (ended ones, which a target may list, left out).
    pub async fn chats(&self) -> Result<Vec<ChatSeen>, String> {
        let path = format!("{}?fields=*", requests::MY_CHATS);
        let body = self.get(&path).await?;
        let chats = body
            .get("chats")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("GET {path}: no `chats` list in {body}"))?;
        Ok(chats.iter().filter_map(chat_seen).collect())
    }

    /// A GET that must succeed; its body.
    async fn get(&self, path: &str) -> Result<Value, String> {
        let exchange = self.http.send("GET", path, None, &[]).await;
        match Answer::of(&exchange) {
            Answer::Done => Ok(exchange.response.unwrap_or_default()),
            Answer::Refused(why) | Answer::Failed(why) => Err(format!("GET {path}: {why}")),
        }
    }
}

/// A chat resource the user is still in, or `None` for an ended one or one without an id.
fn chat_seen(chat: &Value) -> Option<ChatSeen> {
    let state = chat.get("state").and_then(Value::as_str).unwrap_or("");
    if matches!(state, "Completed" | "Revoked") {
        return None;
    }
    let capabilities: Vec<String> = chat
        .get("capabilities")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    Some(ChatSeen {
        id: chat.get("id")?.as_str()?.to_owned(),
        offered: state == "Invited" || capabilities.iter().any(|c| c == "Accept"),
        capabilities,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::Duration;

    fn exchange(status: Option<u16>, response: Option<Value>) -> Exchange {
        Exchange {
            method: "POST".into(),
            url: "http://t/api/v2/me".into(),
            request: None,
            status,
            response,
            sent_at: std::time::Instant::now(),
            elapsed: Duration::ZERO,
            error: status.is_none().then(|| "timed out after 1 s".to_owned()),
        }
    }

    #[test]
    fn answers_are_success_refusal_or_failure() {
        let ok = exchange(Some(200), Some(json!({"statusCode": 0})));
        assert!(matches!(Answer::of(&ok), Answer::Done));
        let refused = exchange(
            Some(400),
            Some(json!({"statusCode": 2, "statusMessage": "not active"})),
        );
        match Answer::of(&refused) {
            Answer::Refused(why) => assert_eq!(why, "HTTP 400, statusCode 2: not active"),
            other => panic!("{other:?}"),
        }
        let broken = exchange(Some(500), Some(json!("oops")));
        assert!(matches!(Answer::of(&broken), Answer::Failed(why) if why == "HTTP 500"));
        let silent = exchange(None, None);
        assert!(matches!(Answer::of(&silent), Answer::Failed(why) if why.contains("timed out")));
    }

    #[test]
    fn ended_chats_and_chats_without_an_id_are_not_listed() {
        let seen = |chat: Value| chat_seen(&chat);
        assert!(seen(json!({"id": "a", "state": "Revoked"})).is_none());
        assert!(seen(json!({"state": "Chatting"})).is_none());
        let offered = seen(json!({"id": "b", "state": "Invited"})).unwrap();
        assert!(offered.offered && offered.allows("Complete"));
        let chatting = seen(json!({"id": "c", "state": "Chatting", "capabilities": ["Leave"]}));
        let chatting = chatting.unwrap();
        assert!(!chatting.offered && chatting.allows("Leave") && !chatting.allows("Complete"));
    }
}
