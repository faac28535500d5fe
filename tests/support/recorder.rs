//! A recording shim for the replay tests and benchmark: a reference server on 127.0.0.1:0 with
//! an axum layer that captures every exchange (Bayeux long-polls included, as they complete)
//! and turns it into a redacted HAR entry with the library's own conversion
//! (`Entry::from_capture`), named the way the recording proxy names actors: the Basic user
//! (read before redaction), the user a session cookie was issued to, or `customer:{chat id}`.
//! So the captures look like what `gws-conform proxy` writes, with no `_gwsScenario`.

#![allow(dead_code)] // the replay tests and the replay benchmark use different subsets

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use gws_conform::har::model::{Creator, Entry, Har, Log};
use gws_conform::har::{Capture, CapturedResponse, header_pairs};
use gws_conform::server::{ServerConfig, app};

/// Largest body the shim reads (the server's own limit is far lower).
const BODY_LIMIT: usize = 16 << 20;

#[derive(Default)]
struct Shared {
    /// Write start times to the millisecond, as browsers' devtools do (the real recorders
    /// write microseconds).
    millis: bool,
    entries: Mutex<Vec<Entry>>,
    /// Session cookie → the Basic user it was issued to.
    sessions: Mutex<HashMap<String, String>>,
}

/// A reference server whose traffic is being recorded.
pub struct Recorder {
    shared: Arc<Shared>,
    addr: std::net::SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

fn basic_user(headers: &[(String, String)]) -> Option<String> {
    let value = find(headers, "authorization")?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    Some(text.split_once(':')?.0.to_owned())
}

fn find<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn cookie(value: &str) -> Option<String> {
    value
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == "JSESSIONID")
        .map(|(_, v)| v.to_owned())
}

async fn record(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let url = format!(
        "http://{}{}",
        parts
            .headers
            .get("host")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("127.0.0.1"),
        parts.uri
    );
    let mut capture = Capture::start(parts.method.as_str(), &url, "HTTP/1.1");
    capture.request_headers = header_pairs(&parts.headers);
    let body = axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .unwrap_or_default();
    capture.request_body = body.to_vec();
    let response = next.run(Request::from_parts(parts, Body::from(body))).await;
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .unwrap_or_default();
    // Timed from the start the entry shows, and before the response leaves: the client cannot
    // have had it earlier.
    capture.wait = capture.started.elapsed();
    capture.response = Some(CapturedResponse {
        status: parts.status.as_u16(),
        http_version: "HTTP/1.1".to_owned(),
        headers: header_pairs(&parts.headers),
        body: body.to_vec(),
    });
    label(&shared, &mut capture);
    let mut entry = Entry::from_capture(&capture);
    if shared.millis {
        // `…SS.mmmuuuZ` → `…SS.mmmZ`.
        let text = &mut entry.started_date_time;
        text.replace_range(text.len() - 4..text.len() - 1, "");
    }
    shared.entries.lock().unwrap().push(entry);
    Response::from_parts(parts, Body::from(body))
}

/// Names the actor as the recording proxy does.
fn label(shared: &Shared, capture: &mut Capture) {
    let path = capture
        .url
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|at| rest[at..].to_owned()))
        .unwrap_or_default();
    let path = path.split('?').next().unwrap_or_default();
    if path == "/api/v2/chats" || path.starts_with("/api/v2/chats/") {
        let id = path
            .strip_prefix("/api/v2/chats/")
            .and_then(|rest| rest.split('/').next().map(str::to_owned))
            .or_else(|| {
                let body = &capture.response.as_ref()?.body;
                let reply: serde_json::Value = serde_json::from_slice(body).ok()?;
                Some(reply["id"].as_str()?.to_owned())
            })
            .unwrap_or_default();
        capture.labels.actor = Some(format!("customer:{id}"));
        capture.labels.role = Some("customer".to_owned());
        return;
    }
    let user = basic_user(&capture.request_headers).or_else(|| {
        let session = cookie(find(&capture.request_headers, "cookie")?)?;
        shared.sessions.lock().unwrap().get(&session).cloned()
    });
    if let Some(user) = &user {
        let set = capture
            .response
            .as_ref()
            .and_then(|r| find(&r.headers, "set-cookie"))
            .and_then(cookie);
        if let Some(session) = set {
            shared
                .sessions
                .lock()
                .unwrap()
                .insert(session, user.clone());
        }
    }
    capture.labels.actor = user;
}

impl Recorder {
    /// Starts a recorded reference server with `config` (its public URL is set to the bound
    /// address), writing start times to the microsecond, as the real recorders do.
    pub async fn start(config: ServerConfig) -> Recorder {
        Self::start_with(config, false).await
    }

    /// [`Recorder::start`], writing start times to the millisecond (as devtools do) when
    /// `millis` is set.
    pub async fn start_with(mut config: ServerConfig, millis: bool) -> Recorder {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        config.public_url = Some(format!("http://{addr}"));
        let shared = Arc::new(Shared {
            millis,
            ..Shared::default()
        });
        let router =
            app(config).layer(axum::middleware::from_fn_with_state(shared.clone(), record));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Recorder { shared, addr, task }
    }

    /// The server's base URL.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The recording so far, as a HAR document (entries in completion order, as the real
    /// recorders write them).
    pub fn har(&self) -> Har {
        Har {
            log: Log {
                version: "1.2".to_owned(),
                creator: Creator {
                    name: "replay-test-recorder".to_owned(),
                    version: "1".to_owned(),
                    comment: None,
                },
                entries: self.shared.entries.lock().unwrap().clone(),
                ..Log::default()
            },
            ..Har::default()
        }
    }

    /// How many entries are recorded so far.
    pub fn entries(&self) -> usize {
        self.shared.entries.lock().unwrap().len()
    }

    /// Stops the server.
    pub fn stop(self) {
        self.task.abort();
    }
}
