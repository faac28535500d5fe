//! The driver's recording hook. A [`Tap`] attached to an actor's HTTP side (and passed on to
//! its Bayeux client) sees every exchange that actor makes, REST and Bayeux alike, as a
//! [`Capture`] with the request as sent (including the cookies the client's jar adds) and the
//! response as received. Without a tap nothing is copied.
//!
//! Call sites build the request, then: `Trace::start` before sending, `Trace::response` when
//! the headers arrive, `Trace::finish` with the body or the error. A trace dropped before
//! `finish` (a held connect abandoned when its client disconnects) is recorded as abandoned
//! ([`InFlight`]).

use std::sync::Arc;

use reqwest::cookie::{CookieStore, Jar};

use crate::har::{Capture, CaptureSink, InFlight, header_pairs};

/// Where an actor's exchanges go, and the cookie jar its client sends from.
#[derive(Clone)]
pub struct Tap {
    sink: Arc<dyn CaptureSink>,
    cookies: Option<Arc<Jar>>,
}

impl std::fmt::Debug for Tap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tap").finish_non_exhaustive()
    }
}

impl Tap {
    /// A tap handing every exchange to `sink`.
    pub fn new(sink: Arc<dyn CaptureSink>) -> Self {
        Self {
            sink,
            cookies: None,
        }
    }

    /// The same tap, reading the `Cookie` header each request carries from `jar` (the client
    /// adds it after the request is built, out of the caller's sight).
    pub(crate) fn with_cookies(mut self, jar: Arc<Jar>) -> Self {
        self.cookies = Some(jar);
        self
    }
}

/// Records one exchange, if a tap is attached.
pub(crate) struct Trace(Option<InFlight>);

impl Trace {
    /// Starts recording `request` (nothing happens without a tap).
    pub fn start(tap: Option<&Tap>, request: &reqwest::Request) -> Self {
        let Some(tap) = tap else {
            return Self(None);
        };
        let version = format!("{:?}", request.version());
        let mut capture =
            Capture::start(request.method().as_str(), request.url().as_str(), &version);
        capture.request_headers = header_pairs(request.headers());
        let cookie = tap
            .cookies
            .as_ref()
            .and_then(|jar| jar.cookies(request.url()));
        if let Some(cookie) = cookie
            && !request.headers().contains_key(reqwest::header::COOKIE)
        {
            let value = String::from_utf8_lossy(cookie.as_bytes()).into_owned();
            capture.request_headers.push(("cookie".to_owned(), value));
        }
        capture.request_body = request
            .body()
            .and_then(reqwest::Body::as_bytes)
            .map(<[u8]>::to_vec)
            .unwrap_or_default();
        Self(Some(InFlight::new(tap.sink.clone(), capture)))
    }

    /// Notes the response's status and headers.
    pub fn response(&mut self, response: &reqwest::Response) {
        if let Some(in_flight) = &mut self.0 {
            let version = format!("{:?}", response.version());
            let headers = header_pairs(response.headers());
            in_flight.response(response.status().as_u16(), version, headers);
        }
    }

    /// Records the exchange with the body read (possibly cut off) and what went wrong, if
    /// anything.
    pub fn finish(self, body: &[u8], error: Option<String>) {
        if let Some(in_flight) = self.0 {
            in_flight.finish(body, error);
        }
    }
}
