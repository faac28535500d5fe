//! HTTP requests of the harness's actors: agents and supervisors authenticate with HTTP Basic
//! and keep the session cookie; customers send `ContactCenterId`. Every request has a
//! deadline, response bodies are read up to a size limit, and failures are data (an
//! [`Exchange`] with an `error`), never panics.
//!
//! GWS's optional CSRF protection is followed as documented: a response carrying
//! `X-CSRF-TOKEN` (and `X-CSRF-HEADER`, the name of the header to send it back in) gives the
//! session's token, which every later POST, PUT and DELETE of the actor carries.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use reqwest::Method;
use reqwest::cookie::Jar;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

use super::format_duration;
use super::route::Route;
use super::tap::{Tap, Trace};
use super::trust::refused_certificate;
use crate::profile::Credentials;

/// Largest response body read; the rest is cut off and reported.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// How a request authenticates.
#[derive(Debug, Clone)]
pub enum Auth {
    /// HTTP Basic (agents and supervisors).
    Basic(Credentials),
    /// The customer chat API's header.
    ContactCenter(String),
    /// Nothing.
    Anonymous,
}

/// What to send as the body.
#[derive(Debug, Clone)]
pub enum Body {
    /// A JSON document.
    Json(Value),
    /// Text sent as is (to test malformed input).
    Raw(String),
}

/// One request and what came back.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// Method.
    pub method: String,
    /// Full URL.
    pub url: String,
    /// The body sent, if any.
    pub request: Option<Value>,
    /// HTTP status, when a response arrived.
    pub status: Option<u16>,
    /// The response body: JSON, or the start of the text as a string when it is not JSON or
    /// too large to read.
    pub response: Option<Value>,
    /// When the request was sent (just before it was built and written).
    pub sent_at: Instant,
    /// Time from sending to the end of the body.
    pub elapsed: Duration,
    /// What went wrong: no response (refused, timed out), or a response that could not be used
    /// (body truncated, too large, not JSON; `status` is then set).
    pub error: Option<String>,
}

impl Exchange {
    /// The response body's `statusCode`, if it has one.
    pub fn status_code(&self) -> Option<u64> {
        self.response.as_ref()?.get("statusCode")?.as_u64()
    }
}

/// An actor's HTTP side.
#[derive(Debug, Clone)]
pub struct HttpActor {
    client: reqwest::Client,
    base: String,
    auth: Auth,
    timeout: Duration,
    /// The client's cookie store, kept so a tap can see the cookies each request carries.
    jar: Arc<Jar>,
    /// The CSRF header and token the server gave last, if it gave one.
    csrf: Arc<Mutex<Option<(HeaderName, HeaderValue)>>>,
    tap: Option<Tap>,
    /// The way to the target (its errors name the proxy they went through).
    route: Route,
}

/// The response header carrying the CSRF token (and the default name to send it back in).
const CSRF_TOKEN: &str = "x-csrf-token";
/// The response header naming the request header the token goes back in.
const CSRF_HEADER: &str = "x-csrf-header";

impl HttpActor {
    /// An actor talking to `base` (`http://host:port`) by `route`, with its own cookie store.
    pub fn new(
        base: &str,
        auth: Auth,
        timeout: Duration,
        route: &Route,
    ) -> Result<Self, reqwest::Error> {
        let jar = Arc::new(Jar::default());
        let mut builder = route.apply(
            reqwest::Client::builder()
                .cookie_provider(jar.clone())
                .connect_timeout(timeout),
        )?;
        if base.starts_with("http://") {
            // No TLS will be spoken: skip loading the platform's root certificates, which
            // costs time and memory for every actor of every scenario.
            builder = builder.tls_certs_only(Vec::new());
        }
        let client = builder.build()?;
        Ok(Self {
            client,
            base: base.trim_end_matches('/').to_owned(),
            auth,
            timeout,
            jar,
            csrf: Arc::default(),
            tap: None,
            route: route.clone(),
        })
    }

    /// The same actor with every exchange it makes recorded through `tap`.
    pub fn with_tap(mut self, tap: Tap) -> Self {
        self.tap = Some(tap.with_cookies(self.jar.clone()));
        self
    }

    /// The actor's tap (to record its Bayeux client too), if it has one.
    pub fn tap(&self) -> Option<&Tap> {
        self.tap.as_ref()
    }

    /// The underlying client (shared with the actor's Bayeux client, for the cookie).
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// The base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The CSRF header and token to send, if the server gave one.
    fn csrf_token(&self) -> Option<(HeaderName, HeaderValue)> {
        self.csrf
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Keeps the CSRF token a response carries (a GET's, when the server protects itself).
    fn learn_csrf(&self, headers: &HeaderMap) {
        let Some(token) = headers.get(CSRF_TOKEN) else {
            return;
        };
        let name = headers
            .get(CSRF_HEADER)
            .and_then(|name| HeaderName::from_bytes(name.as_bytes()).ok())
            .unwrap_or(HeaderName::from_static(CSRF_TOKEN));
        *self.csrf.lock().unwrap_or_else(PoisonError::into_inner) = Some((name, token.clone()));
    }

    /// Sends a request to `path` (joined to the base URL); a POST, PUT or DELETE carries the
    /// CSRF token the server gave, unless `headers` set that header themselves.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&Body>,
        headers: &[(String, String)],
    ) -> Exchange {
        let url = format!("{}{path}", self.base);
        let started = Instant::now();
        let mut exchange = Exchange {
            method: method.to_owned(),
            url: url.clone(),
            request: body.map(|b| match b {
                Body::Json(v) => v.clone(),
                Body::Raw(text) => Value::String(text.clone()),
            }),
            status: None,
            response: None,
            sent_at: started,
            elapsed: Duration::ZERO,
            error: None,
        };
        let method = match Method::from_bytes(method.as_bytes()) {
            Ok(m) => m,
            Err(_) => {
                exchange.error = Some(format!("invalid HTTP method {method}"));
                return exchange;
            }
        };
        let changes_state = matches!(method, Method::POST | Method::PUT | Method::DELETE);
        let mut request = self.client.request(method, &url);
        request = match &self.auth {
            Auth::Basic(c) => request.basic_auth(&c.user_name, Some(&c.password)),
            Auth::ContactCenter(id) => request.header("ContactCenterId", id),
            Auth::Anonymous => request,
        };
        if changes_state
            && let Some((name, token)) = self.csrf_token()
            && !headers
                .iter()
                .any(|(n, _)| name.as_str().eq_ignore_ascii_case(n))
        {
            request = request.header(name, token);
        }
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request = match body {
            Some(Body::Json(value)) => request.json(value),
            Some(Body::Raw(text)) => request
                .header("Content-Type", "application/json")
                .body(text.clone()),
            None => request,
        };
        let (client, request) = request.build_split();
        let request = match request {
            Ok(request) => request,
            Err(e) => {
                exchange.error = Some(describe(&e));
                return exchange;
            }
        };
        let mut trace = Trace::start(self.tap.as_ref(), &request);
        // One deadline over sending, the headers and the whole body: a server may answer the
        // headers and then stall, or trickle the body forever.
        let deadline = tokio::time::Instant::now() + self.timeout;
        let waited = format_duration(self.timeout);
        let mut response = match tokio::time::timeout_at(deadline, client.execute(request)).await {
            Err(_) => {
                exchange.error = Some(format!(
                    "timed out after {waited} waiting for the response{}",
                    self.route.note()
                ));
                exchange.elapsed = started.elapsed();
                trace.finish(&[], exchange.error.clone());
                return exchange;
            }
            Ok(Err(e)) => {
                let why = describe(&e);
                // A certificate the client does not trust: say how to trust it.
                let hint = if refused_certificate(&why) {
                    self.route.trust.hint()
                } else {
                    String::new()
                };
                exchange.error = Some(format!("{why}{hint}{}", self.route.note()));
                exchange.elapsed = started.elapsed();
                trace.finish(&[], exchange.error.clone());
                return exchange;
            }
            Ok(Ok(response)) => response,
        };
        trace.response(&response);
        self.learn_csrf(response.headers());
        let status = response.status().as_u16();
        exchange.status = Some(status);
        let body = async {
            let mut bytes = Vec::new();
            while let Some(chunk) = response.chunk().await? {
                if bytes.len() + chunk.len() > MAX_BODY_BYTES {
                    return Ok((bytes, true));
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok::<_, reqwest::Error>((bytes, false))
        };
        let read = tokio::time::timeout_at(deadline, body).await;
        match &read {
            Err(_) => {
                exchange.error = Some(format!(
                    "timed out after {waited} waiting for the rest of the response body (HTTP {status} headers arrived)"
                ));
            }
            Ok(Err(e)) => exchange.error = Some(describe(e)),
            Ok(Ok((bytes, true))) => {
                exchange.response = Some(Value::String(preview(bytes)));
                exchange.error = Some(format!(
                    "response body larger than {MAX_BODY_BYTES} bytes; not read further"
                ));
            }
            Ok(Ok((bytes, false))) => match parse_body(bytes) {
                Ok(body) => exchange.response = Some(body),
                Err(why) => {
                    exchange.response = Some(Value::String(preview(bytes)));
                    exchange.error = Some(format!("response is not JSON ({why})"));
                }
            },
        }
        // The recording keeps what arrived; a body that is not JSON is no transport failure.
        match read {
            Ok(Ok((bytes, false))) => trace.finish(&bytes, None),
            Ok(Ok((bytes, true))) => trace.finish(&bytes, exchange.error.clone()),
            _ => trace.finish(&[], exchange.error.clone()),
        }
        if status == 407 {
            // The proxy's answer, not the target's: whatever its body, say whose it is.
            exchange.error = Some(format!(
                "HTTP 407: a proxy asks for credentials{}",
                self.route.note()
            ));
        }
        exchange.elapsed = started.elapsed();
        exchange
    }
}

/// How much of an unusable body an [`Exchange`] keeps, so a report stays readable.
const PREVIEW_CHARS: usize = 300;

/// The start of a body, as text.
fn preview(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(PREVIEW_CHARS * 4)]);
    let mut shown: String = text.chars().take(PREVIEW_CHARS).collect();
    if shown.len() < bytes.len() {
        shown.push('…');
    }
    shown
}

/// The body as JSON; an empty body is `null` (some answers carry none).
fn parse_body(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    if bytes.is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_slice(bytes)
}

/// A transport error in words a user can act on, with the underlying causes (reqwest's own
/// message alone is often just "error sending request").
pub(crate) fn describe(error: &reqwest::Error) -> String {
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !causes.contains(&text) {
            causes.push(text);
        }
        source = cause.source();
    }
    let why = if causes.is_empty() {
        String::new()
    } else {
        format!(": {}", causes.join(": "))
    };
    if error.is_connect() {
        format!("cannot connect{why}")
    } else if error.is_body() || error.is_decode() {
        format!("response body truncated or unreadable{why}")
    } else {
        format!("{error}{why}")
    }
}
