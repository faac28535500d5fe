//! Naming the actors of proxied traffic, which a proxy is not told: an agent or supervisor is
//! the user of its HTTP Basic credentials (decoded before the header is redacted), or, for
//! requests that only carry the session cookie, the user that cookie was handed to; a customer
//! is `customer:{chat id}` from the customer chat API's path (or from the RequestChat reply).
//! A user name that is not a known one is never shown: its fingerprint names the actor
//! ([`UserNames`]), and is what the session cookies remember.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use serde_json::Value;

use crate::har::model::cookie_pairs;
use crate::har::redact::UserNames;
use crate::profile::basic_auth_text;

/// Session cookies remembered at most; the oldest are forgotten first, so memory stays flat
/// over a long capture.
pub const MAX_SESSIONS: usize = 4096;

/// The customer chat API's path prefix.
const CUSTOMER_CHATS: &str = "/api/v2/chats";

/// Who sent a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// `_gwsActor`.
    pub name: String,
    /// `_gwsRole`, where the traffic tells it (customers).
    pub role: Option<&'static str>,
}

/// What the proxy has learnt about who is who.
#[derive(Debug)]
pub struct Names {
    users: UserNames,
    sessions: Mutex<Sessions>,
}

/// Session cookie (`name=value`) → user name, bounded.
#[derive(Debug, Default)]
struct Sessions {
    users: HashMap<String, String>,
    order: VecDeque<String>,
}

impl Names {
    /// Knowing nothing yet; Basic user names are shown as `users` says.
    pub fn new(users: UserNames) -> Self {
        Self {
            users,
            sessions: Mutex::default(),
        }
    }

    /// Names the sender of a request to `path` with `headers`, if anything tells.
    pub fn identify(&self, headers: &HeaderMap, path: &str) -> Option<Actor> {
        if let Some(user) = basic_user(headers) {
            return Some(Actor {
                name: self.users.shown(&user),
                role: None,
            });
        }
        let sessions = self.sessions.lock().unwrap_or_else(PoisonError::into_inner);
        let known = cookie_keys(headers, false).find_map(|pair| sessions.users.get(&pair));
        if let Some(user) = known {
            return Some(Actor {
                name: user.clone(),
                role: None,
            });
        }
        drop(sessions);
        let rest = path.strip_prefix(CUSTOMER_CHATS)?;
        if !(rest.is_empty() || rest.starts_with('/')) {
            return None;
        }
        let chat = rest
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or_default();
        Some(Actor {
            name: if chat.is_empty() {
                "customer".to_owned()
            } else {
                format!("customer:{chat}")
            },
            role: Some("customer"),
        })
    }

    /// Learns from a response to `actor`: session cookies handed to a user name it, and a
    /// customer's RequestChat reply gives its chat id (returned as the better name).
    pub fn learn(&self, actor: Option<&Actor>, headers: &HeaderMap, body: &[u8]) -> Option<Actor> {
        let actor = actor?;
        if actor.role == Some("customer") {
            let id = serde_json::from_slice::<Value>(body).ok()?;
            let id = id.get("id")?.as_str()?;
            return (actor.name == "customer").then(|| Actor {
                name: format!("customer:{id}"),
                role: actor.role,
            });
        }
        let mut sessions = self.sessions.lock().unwrap_or_else(PoisonError::into_inner);
        for pair in cookie_keys(headers, true) {
            sessions.remember(pair, &actor.name);
        }
        None
    }
}

impl Sessions {
    fn remember(&mut self, cookie: String, user: &str) {
        if self.users.insert(cookie.clone(), user.to_owned()).is_none() {
            self.order.push_back(cookie);
        }
        while self.order.len() > MAX_SESSIONS {
            if let Some(oldest) = self.order.pop_front() {
                self.users.remove(&oldest);
            }
        }
    }
}

/// The user name of well-formed HTTP Basic credentials.
fn basic_user(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let decoded = basic_auth_text(value)?;
    let (user, _password) = decoded.split_once(':')?;
    Some(user.to_owned())
}

/// `name=value` of every cookie in the `Cookie` headers or, with `set_cookie`, of every
/// `Set-Cookie` header (attributes left out).
fn cookie_keys(headers: &HeaderMap, set_cookie: bool) -> impl Iterator<Item = String> {
    let headers = headers
        .iter()
        .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)));
    cookie_pairs(headers, set_cookie).map(|(name, value)| format!("{name}={value}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn names() -> Names {
        Names::new(UserNames::new(["agent1".to_owned()]).unwrap())
    }

    #[test]
    fn basic_users_and_their_session_cookies_are_named() {
        let names = names();
        // agent1:secret
        let basic = headers(&[("authorization", "Basic YWdlbnQxOnNlY3JldA==")]);
        let actor = names.identify(&basic, "/api/v2/me").unwrap();
        assert_eq!(
            actor,
            Actor {
                name: "agent1".into(),
                role: None
            }
        );
        let set = headers(&[("set-cookie", "JSESSIONID=abc; Path=/; HttpOnly")]);
        assert_eq!(names.learn(Some(&actor), &set, b"{}"), None);
        let cookie = headers(&[("cookie", "other=1; JSESSIONID=abc")]);
        assert_eq!(
            names
                .identify(&cookie, "/api/v2/notifications")
                .unwrap()
                .name,
            "agent1"
        );
        let unknown = headers(&[("cookie", "JSESSIONID=zzz")]);
        assert_eq!(names.identify(&unknown, "/api/v2/me"), None);
        let malformed = headers(&[("authorization", "Basic !!!")]);
        assert_eq!(names.identify(&malformed, "/api/v2/me"), None);
    }

    #[test]
    fn unknown_user_names_are_fingerprinted_and_their_sessions_too() {
        let names = names();
        // A token sent as the user name, with no password: "tok3n:".
        let token = headers(&[("authorization", "Basic dG9rM246")]);
        let actor = names.identify(&token, "/api/v2/me").unwrap();
        assert!(actor.name.starts_with("user:"), "{actor:?}");
        assert!(!actor.name.contains("tok3n"));
        assert_eq!(names.identify(&token, "/api/v2/me").unwrap(), actor);
        // Another one: "other:".
        let other = headers(&[("authorization", "Basic b3RoZXI6")]);
        assert_ne!(names.identify(&other, "/api/v2/me").unwrap(), actor);
        let set = headers(&[("set-cookie", "JSESSIONID=t1; Path=/")]);
        names.learn(Some(&actor), &set, b"{}");
        let cookie = headers(&[("cookie", "JSESSIONID=t1")]);
        assert_eq!(names.identify(&cookie, "/api/v2/me").unwrap(), actor);
    }

    #[test]
    fn customers_are_named_by_their_chat() {
        let names = names();
        let none = HeaderMap::new();
        let requesting = names.identify(&none, "/api/v2/chats").unwrap();
        assert_eq!(requesting.name, "customer");
        assert_eq!(requesting.role, Some("customer"));
        let named = names.learn(Some(&requesting), &none, br#"{"statusCode":0,"id":"c-1"}"#);
        assert_eq!(named.unwrap().name, "customer:c-1");
        let later = names.identify(&none, "/api/v2/chats/c-1/messages").unwrap();
        assert_eq!(later.name, "customer:c-1");
        assert_eq!(names.identify(&none, "/api/v2/chatsx"), None);
        assert_eq!(names.identify(&none, "/api/v2/me/chats/1"), None);
        assert_eq!(names.learn(Some(&requesting), &none, b"not json"), None);
    }

    #[test]
    fn remembered_sessions_are_bounded() {
        let mut sessions = Sessions::default();
        for n in 0..MAX_SESSIONS + 10 {
            sessions.remember(format!("JSESSIONID={n}"), "u");
        }
        assert_eq!(sessions.users.len(), MAX_SESSIONS);
        assert!(!sessions.users.contains_key("JSESSIONID=0"));
        assert!(
            sessions
                .users
                .contains_key(&format!("JSESSIONID={}", MAX_SESSIONS + 9))
        );
    }
}
