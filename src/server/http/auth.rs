//! Authentication of agents and supervisors: HTTP Basic on any request, or the `JSESSIONID`
//! cookie of an earlier one; the optional CSRF token check (GWS "CSRF Protection" page).
//!
//! Sessions are bounded: each user keeps at most [`SESSIONS_PER_USER`] (the least recently used
//! is dropped), so a client that sends Basic credentials without keeping cookies cannot grow
//! the server's memory.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::profile::basic_auth_text;
use crate::server::api_error::ApiError;

/// Sessions a single user may hold at once.
pub const SESSIONS_PER_USER: usize = 32;
/// The session cookie's name.
pub const SESSION_COOKIE: &str = "JSESSIONID";
/// The response header naming the CSRF header, and the header carrying the token.
pub const CSRF_HEADER_NAME: &str = "X-CSRF-HEADER";
/// The header carrying the CSRF token, both ways.
pub const CSRF_TOKEN: &str = "X-CSRF-TOKEN";

/// One session; its strings are shared, as every authenticated request copies them out.
#[derive(Debug, Clone)]
struct Session {
    id: Arc<str>,
    user_id: Arc<str>,
    csrf_token: Arc<str>,
    last_used: Instant,
}

#[derive(Debug, Default)]
struct Sessions {
    by_id: HashMap<String, Session>,
    /// Each user's session ids, so that creating a session looks at that user's (at most
    /// [`SESSIONS_PER_USER`]) sessions only, not at every session of the server.
    by_user: HashMap<String, Vec<String>>,
}

impl Sessions {
    fn remove(&mut self, session_id: &str) {
        let Some(session) = self.by_id.remove(session_id) else {
            return;
        };
        if let Some(ids) = self.by_user.get_mut(&*session.user_id) {
            ids.retain(|id| id != session_id);
            if ids.is_empty() {
                self.by_user.remove(&*session.user_id);
            }
        }
    }
}

/// The HTTP sessions of a server.
#[derive(Debug, Default)]
pub struct SessionStore {
    sessions: Mutex<Sessions>,
}

impl SessionStore {
    fn lock(&self) -> MutexGuard<'_, Sessions> {
        self.sessions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn touch(&self, session_id: &str) -> Option<Session> {
        let mut sessions = self.lock();
        let session = sessions.by_id.get_mut(session_id)?;
        session.last_used = Instant::now();
        Some(session.clone())
    }

    fn create(&self, session_id: String, user_id: &str, csrf_token: String) -> Session {
        let mut sessions = self.lock();
        let mine = sessions.by_user.get(user_id).map_or(&[][..], Vec::as_slice);
        if mine.len() >= SESSIONS_PER_USER
            && let Some(oldest) = mine
                .iter()
                .min_by_key(|id| sessions.by_id.get(*id).map(|s| s.last_used))
                .cloned()
        {
            sessions.remove(&oldest);
        }
        sessions
            .by_user
            .entry(user_id.to_owned())
            .or_default()
            .push(session_id.clone());
        let session = Session {
            id: session_id.as_str().into(),
            user_id: user_id.into(),
            csrf_token: csrf_token.into(),
            last_used: Instant::now(),
        };
        sessions.by_id.insert(session_id, session.clone());
        session
    }

    /// Invalidates a session (EndContactCenterSession).
    pub fn end(&self, session_id: &str) {
        self.lock().remove(session_id);
    }

    /// Number of live sessions.
    pub fn len(&self) -> usize {
        self.lock().by_id.len()
    }
}

/// The authenticated caller, put in the request's extensions by [`require_user`].
#[derive(Debug, Clone)]
pub struct Caller {
    /// The user's id.
    pub user_id: Arc<str>,
    /// The HTTP session the request belongs to.
    pub session_id: Arc<str>,
}

fn cookie_session(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value)
}

/// `Some(Ok((user, password)))` for a well-formed Basic header, `Some(Err(()))` for a
/// malformed one, `None` when there is none.
fn basic_credentials(headers: &HeaderMap) -> Option<Result<(String, String), ()>> {
    let value = headers.get(AUTHORIZATION)?;
    let credentials = value
        .to_str()
        .ok()
        .and_then(basic_auth_text)
        .and_then(|text| {
            let (user, password) = text.split_once(':')?;
            Some((user.to_owned(), password.to_owned()))
        });
    Some(credentials.ok_or(()))
}

/// A request's authenticated caller, and what [`finish`] adds to the response for it.
#[derive(Debug)]
pub struct Authenticated {
    session: Session,
    /// The session was created by this request (the response sets its cookie).
    created: bool,
}

impl Authenticated {
    /// The caller's user id.
    pub fn user_id(&self) -> &str {
        &self.session.user_id
    }

    /// The caller, as handlers see it.
    pub fn caller(&self) -> Caller {
        Caller {
            user_id: self.session.user_id.clone(),
            session_id: self.session.id.clone(),
        }
    }
}

/// Resolves the caller of `request` from Basic credentials or the session cookie (401 with
/// statusCode 20 otherwise), creates a session when needed, enforces CSRF when enabled.
pub fn authenticate(state: &AppState, request: &Request) -> Result<Authenticated, ApiError> {
    let headers = request.headers();
    let existing = cookie_session(headers).and_then(|id| state.sessions.touch(id));
    let (session, created) = match basic_credentials(headers) {
        Some(Ok((name, password))) => {
            // The directory is read outside the world lock: every long-poll passes here.
            let user = state
                .directory
                .by_name(&name)
                .filter(|u| u.password == password);
            let Some(user) = user else {
                return Err(ApiError::unauthenticated());
            };
            match existing {
                Some(session) if *session.user_id == *user.id => (session, false),
                _ => {
                    let id = state.ids.secret();
                    let token = state.ids.secret();
                    (state.sessions.create(id, &user.id, token), true)
                }
            }
        }
        Some(Err(())) => return Err(ApiError::unauthenticated()),
        None => match existing {
            Some(session) => (session, false),
            None => return Err(ApiError::unauthenticated()),
        },
    };
    let changes_state = matches!(
        *request.method(),
        Method::POST | Method::PUT | Method::DELETE
    );
    // CometD long-polls are not covered: the documented clients do not send the token there.
    let is_bayeux = request.uri().path().starts_with("/api/v2/notifications");
    if state.settings.csrf && changes_state && !is_bayeux {
        let sent = headers.get(CSRF_TOKEN).and_then(|v| v.to_str().ok());
        if sent != Some(&*session.csrf_token) {
            return Err(ApiError::forbidden("Missing or invalid Csrf token"));
        }
    }
    Ok(Authenticated { session, created })
}

/// Adds to the response of an authenticated request of `method` the session cookie (when the
/// request created the session) and, on a GET with CSRF enabled, the CSRF token.
pub fn finish(state: &AppState, caller: &Authenticated, method: &Method, response: &mut Response) {
    let headers = response.headers_mut();
    if caller.created && !headers.contains_key(SET_COOKIE) {
        let cookie = format!("{SESSION_COOKIE}={}; Path=/; HttpOnly", caller.session.id);
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            headers.insert(SET_COOKIE, value);
        }
    }
    if state.settings.csrf && method == Method::GET {
        headers.insert(CSRF_HEADER_NAME, HeaderValue::from_static(CSRF_TOKEN));
        if let Ok(value) = HeaderValue::from_str(&caller.session.csrf_token) {
            headers.insert(CSRF_TOKEN, value);
        }
    }
}

/// Middleware: [`authenticate`], the [`Caller`] in the request's extensions, then [`finish`].
pub async fn require_user(
    State(state): State<Arc<AppState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let caller = match authenticate(&state, &request) {
        Ok(caller) => caller,
        Err(refusal) => return refusal.into_response(),
    };
    let method = request.method().clone();
    request.extensions_mut().insert(caller.caller());
    let mut response = next.run(request).await;
    finish(&state, &caller, &method, &mut response);
    response
}

/// A `Set-Cookie` that deletes the session cookie (after EndContactCenterSession).
pub fn expired_session_cookie() -> HeaderValue {
    HeaderValue::from_static("JSESSIONID=; Path=/; Max-Age=0; HttpOnly")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_user_keeps_at_most_its_cap_of_sessions_dropping_the_least_recently_used() {
        let store = SessionStore::default();
        store.create("other".into(), "u2", "t".into());
        store.create("kept".into(), "u1", "t".into());
        for n in 0..10 * SESSIONS_PER_USER {
            // Using a session makes it the most recently used one of its user.
            assert!(store.touch("kept").is_some());
            store.create(format!("s{n}"), "u1", "t".into());
        }
        assert_eq!(store.len(), SESSIONS_PER_USER + 1);
        assert!(store.touch("kept").is_some());
        assert!(
            store.touch("other").is_some(),
            "another user's session stays"
        );
        assert!(store.touch("s0").is_none());
        store.end("kept");
        assert!(store.touch("kept").is_none());
        assert_eq!(store.lock().by_user["u1"].len(), SESSIONS_PER_USER - 1);
    }
}
