//! [`Capture`]: one HTTP exchange as the recorders see it (raw headers and bodies, secrets
//! included), the [`CaptureSink`] they hand it to, and its conversion into a redacted HAR
//! [`Entry`]. The conversion is the only way into a recording, so redaction cannot be skipped.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;

use super::model::{Content, Entry, Header, PostData, Request, Response, Timings};
use super::redact;
use crate::server::clock::format_rfc3339_micros;

/// Receives completed exchanges (implemented by the HAR writer, and by whatever adds labels on
/// the way to it). Called from async tasks: implementations must not block for long.
pub trait CaptureSink: Send + Sync {
    /// Takes one exchange.
    fn capture(&self, capture: Capture);
}

/// Who made an exchange, and in which scenario step: the `_gws*` fields of its entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Labels {
    /// Scenario name.
    pub scenario: Option<String>,
    /// Actor name.
    pub actor: Option<String>,
    /// `agent`, `supervisor` or `customer`.
    pub role: Option<String>,
    /// Index of the running step (0-based).
    pub step: Option<usize>,
    /// Line of that step in its scenario file.
    pub line: Option<u32>,
}

/// The response side of a [`Capture`].
#[derive(Debug, Clone, Default)]
pub struct CapturedResponse {
    /// HTTP status.
    pub status: u16,
    /// `HTTP/1.1`, ...
    pub http_version: String,
    /// Headers in the order received, secrets included.
    pub headers: Vec<(String, String)>,
    /// The body as received (possibly cut off; `Capture::error` says so).
    pub body: Vec<u8>,
}

/// One HTTP exchange, unredacted.
#[derive(Debug, Clone)]
pub struct Capture {
    /// Start order ([`next_seq`]).
    pub seq: u64,
    /// When the request started, on the monotonic clock: the exchange's phases are timed from
    /// it, and its `startedDateTime` is read from it (`wall_clock`).
    pub started: Instant,
    /// Method.
    pub method: String,
    /// Absolute URL.
    pub url: String,
    /// `HTTP/1.1`, ...
    pub http_version: String,
    /// Headers sent, secrets included.
    pub request_headers: Vec<(String, String)>,
    /// Body sent.
    pub request_body: Vec<u8>,
    /// What came back, if anything did.
    pub response: Option<CapturedResponse>,
    /// From the start to the request being sent (the proxy reading the client's body).
    pub send: Duration,
    /// From sending the request to the response's headers.
    pub wait: Duration,
    /// From the response's headers to the end of its body.
    pub receive: Duration,
    /// A transport error, a deadline, a body cut off, or a request abandoned by its client.
    pub error: Option<String>,
    /// The `_gws*` fields.
    pub labels: Labels,
}

/// The next value of the process-wide start counter: taken when a request starts, it orders
/// entries by start although they are written as they complete.
pub fn next_seq() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A start number ([`next_seq`]) and the instant of the start, taken together: read one after
/// the other, a thread preempted in between would write a start before the start of a request
/// numbered after it, and replay plans a capture fastest when the two orders agree
/// (`replay::conflicts`).
fn numbered_start() -> (u64, Instant) {
    static START: Mutex<()> = Mutex::new(());
    let _one_at_a_time = START.lock().unwrap_or_else(PoisonError::into_inner);
    (next_seq(), Instant::now())
}

/// `at` on the wall clock, read as the wall clock at the first call plus the monotonic time
/// since. Entries' start times and durations then come from one clock: read separately, the
/// wall clock (slewed or stepped while a long-poll is held) can put the end of one exchange
/// before the start of another that caused it, and replay orders exchanges by those times.
fn wall_clock(at: Instant) -> SystemTime {
    static ANCHOR: OnceLock<(Instant, SystemTime)> = OnceLock::new();
    let (instant, system) = *ANCHOR.get_or_init(|| (Instant::now(), SystemTime::now()));
    match at.checked_duration_since(instant) {
        Some(after) => system + after,
        None => system - instant.duration_since(at),
    }
}

impl Capture {
    /// A capture of a request starting now, without response or labels yet.
    pub fn start(method: &str, url: &str, http_version: &str) -> Self {
        let (seq, started) = numbered_start();
        Self {
            seq,
            started,
            method: method.to_owned(),
            url: url.to_owned(),
            http_version: http_version.to_owned(),
            request_headers: Vec::new(),
            request_body: Vec::new(),
            response: None,
            send: Duration::ZERO,
            wait: Duration::ZERO,
            receive: Duration::ZERO,
            error: None,
            labels: Labels::default(),
        }
    }
}

/// An exchange under way: times its phases and hands the capture to the sink when it ends.
/// Dropped before [`finish`](Self::finish) (its client stopped waiting: a held connect
/// abandoned at disconnect, a browser closing the connection), it is recorded all the same, as
/// abandoned, so a recording holds every request that was sent.
pub struct InFlight {
    sink: Arc<dyn CaptureSink>,
    capture: Option<Capture>,
    sent: Option<Instant>,
    headers_at: Option<Instant>,
}

impl InFlight {
    /// Times `capture` from its start (its request headers and body may still be filled in).
    pub fn new(sink: Arc<dyn CaptureSink>, capture: Capture) -> Self {
        Self {
            sink,
            capture: Some(capture),
            sent: None,
            headers_at: None,
        }
    }

    /// The capture being built.
    pub fn capture_mut(&mut self) -> Option<&mut Capture> {
        self.capture.as_mut()
    }

    /// Marks the request as sent (without this, it counts as sent at the start).
    pub fn sent(&mut self) {
        self.sent = Some(Instant::now());
    }

    /// Notes the response's status line and headers.
    pub fn response(&mut self, status: u16, http_version: String, headers: Vec<(String, String)>) {
        self.headers_at = Some(Instant::now());
        if let Some(capture) = &mut self.capture {
            capture.response = Some(CapturedResponse {
                status,
                http_version,
                headers,
                body: Vec::new(),
            });
        }
    }

    /// Records the exchange with the body read (possibly cut off) and what went wrong, if
    /// anything.
    pub fn finish(mut self, body: &[u8], error: Option<String>) {
        self.record(body, error);
    }

    fn record(&mut self, body: &[u8], error: Option<String>) {
        let Some(mut capture) = self.capture.take() else {
            return;
        };
        let now = Instant::now();
        let sent = self.sent.unwrap_or(capture.started);
        let headers_at = self.headers_at.unwrap_or(now);
        capture.send = sent - capture.started;
        capture.wait = headers_at.saturating_duration_since(sent);
        capture.receive = now - headers_at;
        if let Some(response) = &mut capture.response {
            response.body = body.to_vec();
        }
        capture.error = error;
        self.sink.capture(capture);
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let abandoned = "abandoned: the client stopped waiting before the response was complete";
        self.record(&[], Some(abandoned.to_owned()));
    }
}

/// Headers as (name, value) text pairs, in order; a value that is not UTF-8 is kept lossily.
pub fn header_pairs(headers: &reqwest::header::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            (name.as_str().to_owned(), value)
        })
        .collect()
}

fn find<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn pairs(headers: &[(String, String)]) -> impl Iterator<Item = (&str, &str)> {
    headers.iter().map(|(n, v)| (n.as_str(), v.as_str()))
}

fn redacted_headers(headers: &[(String, String)]) -> Vec<Header> {
    headers
        .iter()
        .map(|(name, value)| Header {
            name: name.clone(),
            value: redact::header_value(name, value),
            comment: None,
        })
        .collect()
}

/// Milliseconds with microsecond precision, as HAR timings are written.
fn millis(duration: Duration) -> f64 {
    duration.as_micros() as f64 / 1000.0
}

/// The query string's parameters, decoded; none when the URL does not parse.
fn query_string(url: &str) -> Vec<Header> {
    reqwest::Url::parse(url)
        .map(|url| {
            url.query_pairs()
                .map(|(name, value)| Header {
                    name: name.into_owned(),
                    value: value.into_owned(),
                    comment: None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A response body as HAR content: UTF-8 text redacted; anything else (binary, or still
/// content-encoded) in base64, so the bytes survive.
fn content(body: &[u8], mime_type: &str, content_encoded: bool) -> Content {
    let (text, encoding) = match std::str::from_utf8(body) {
        Ok(text) if !content_encoded => (redact::body(text), None),
        _ => (
            base64::engine::general_purpose::STANDARD.encode(body),
            Some("base64".to_owned()),
        ),
    };
    Content {
        size: body.len() as i64,
        mime_type: mime_type.to_owned(),
        text: (!body.is_empty()).then_some(text),
        encoding: encoding.filter(|_| !body.is_empty()),
        ..Content::default()
    }
}

impl Entry {
    /// The redacted HAR entry of `capture`.
    pub fn from_capture(capture: &Capture) -> Self {
        let request_mime = find(&capture.request_headers, "content-type").unwrap_or_default();
        let post_data = (!capture.request_body.is_empty()).then(|| PostData {
            mime_type: request_mime.to_owned(),
            // HAR 1.2 has no encoding for request bodies; the API only sends JSON text.
            text: Some(redact::body(&String::from_utf8_lossy(
                &capture.request_body,
            ))),
            ..PostData::default()
        });
        let url = redact::url(&capture.url);
        let request = Request {
            method: capture.method.clone(),
            query_string: query_string(&url),
            url,
            http_version: capture.http_version.clone(),
            cookies: redact::request_cookies(pairs(&capture.request_headers)),
            headers: redacted_headers(&capture.request_headers),
            post_data,
            headers_size: -1,
            body_size: capture.request_body.len() as i64,
            comment: None,
        };
        let response = match &capture.response {
            Some(response) => {
                let mime = find(&response.headers, "content-type").unwrap_or_default();
                let encoded = find(&response.headers, "content-encoding")
                    .is_some_and(|e| !e.eq_ignore_ascii_case("identity"));
                Response {
                    status: i64::from(response.status),
                    status_text: reqwest::StatusCode::from_u16(response.status)
                        .ok()
                        .and_then(|s| s.canonical_reason())
                        .unwrap_or_default()
                        .to_owned(),
                    http_version: response.http_version.clone(),
                    cookies: redact::response_cookies(pairs(&response.headers)),
                    headers: redacted_headers(&response.headers),
                    content: content(&response.body, mime, encoded),
                    redirect_url: find(&response.headers, "location")
                        .map(redact::url)
                        .unwrap_or_default(),
                    headers_size: -1,
                    body_size: response.body.len() as i64,
                    comment: None,
                }
            }
            // Browsers record a request that got no response with status 0.
            None => Response {
                headers_size: -1,
                body_size: -1,
                ..Response::default()
            },
        };
        let timings = Timings {
            send: millis(capture.send),
            wait: millis(capture.wait),
            receive: millis(capture.receive),
            ..Timings::default()
        };
        let started = wall_clock(capture.started)
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as u64);
        let labels = capture.labels.clone();
        Entry {
            // Microseconds: replay orders exchanges of different actors by their start and end,
            // and milliseconds leave most of a fast run's exchanges tied.
            started_date_time: format_rfc3339_micros(started),
            time: millis(capture.send + capture.wait + capture.receive),
            request,
            response,
            timings,
            gws_seq: Some(capture.seq),
            gws_scenario: labels.scenario,
            gws_actor: labels.actor,
            gws_role: labels.role,
            gws_step: labels.step,
            gws_line: labels.line,
            // Transport errors quote the URL they failed on, query included.
            gws_error: capture.error.as_deref().map(redact::urls_in),
            ..Entry::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_numbers_follow_start_instants_across_threads() {
        let starts: Vec<(u64, Instant)> = std::thread::scope(|scope| {
            let threads: Vec<_> = (0..4)
                .map(|_| scope.spawn(|| (0..2000).map(|_| numbered_start()).collect::<Vec<_>>()))
                .collect();
            threads
                .into_iter()
                .flat_map(|thread| thread.join().unwrap_or_default())
                .collect()
        });
        let mut starts = starts;
        starts.sort_by_key(|(seq, _)| *seq);
        assert!(starts.windows(2).all(|pair| pair[0].1 <= pair[1].1));
    }

    fn sample() -> Capture {
        let mut capture = Capture::start(
            "POST",
            "http://agent1:pw@127.0.0.1:8090/api/v2/chats/1/messages?index=2&x=a%20b",
            "HTTP/1.1",
        );
        capture.request_headers = vec![
            ("authorization".into(), "Basic YWdlbnQxOnNlY3JldA==".into()),
            ("Cookie".into(), "JSESSIONID=feedface".into()),
            ("content-type".into(), "application/json".into()),
            ("X-CSRF-TOKEN".into(), "c5rf".into()),
        ];
        capture.request_body = br#"{"operationName":"Ready"}"#.to_vec();
        capture.response = Some(CapturedResponse {
            status: 200,
            http_version: "HTTP/1.1".into(),
            headers: vec![
                ("content-type".into(), "application/json".into()),
                (
                    "set-cookie".into(),
                    "JSESSIONID=deadbeef; Path=/; HttpOnly".into(),
                ),
            ],
            body: br#"{"statusCode":0}"#.to_vec(),
        });
        capture.wait = Duration::from_micros(1_500);
        capture.receive = Duration::from_micros(250);
        capture.labels.actor = Some("agent".into());
        capture
    }

    #[test]
    fn an_entry_has_every_required_field_and_no_secret() {
        let entry = Entry::from_capture(&sample());
        let text = serde_json::to_string(&entry).unwrap();
        for secret in ["YWdlbnQxOnNlY3JldA", "feedface", "deadbeef", "c5rf", ":pw@"] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        for field in [
            "startedDateTime",
            "time",
            "request",
            "response",
            "cache",
            "timings",
        ] {
            assert!(value.get(field).is_some(), "entry lacks {field}");
        }
        for field in [
            "method",
            "url",
            "httpVersion",
            "cookies",
            "headers",
            "queryString",
            "headersSize",
            "bodySize",
        ] {
            assert!(
                value["request"].get(field).is_some(),
                "request lacks {field}"
            );
        }
        for field in [
            "status",
            "statusText",
            "httpVersion",
            "cookies",
            "headers",
            "content",
            "redirectURL",
            "headersSize",
            "bodySize",
        ] {
            assert!(
                value["response"].get(field).is_some(),
                "response lacks {field}"
            );
        }
        assert_eq!(value["response"]["statusText"], "OK");
        assert_eq!(value["response"]["content"]["size"], 16);
        assert_eq!(value["response"]["content"]["mimeType"], "application/json");
        assert_eq!(value["request"]["postData"]["mimeType"], "application/json");
        assert_eq!(value["request"]["queryString"][1]["value"], "a b");
        assert_eq!(value["time"], 1.75);
        assert_eq!(value["_gwsActor"], "agent");
        assert!(value.get("_gwsScenario").is_none());
        assert_eq!(entry.response.cookies[0].value, redact::REDACTED);
        assert_eq!(
            entry.request.url,
            "http://127.0.0.1:8090/api/v2/chats/1/messages?index=2&x=a%20b"
        );
        assert!(entry.started_date_time.ends_with('Z'));
    }

    #[test]
    fn secrets_in_urls_bodies_and_errors_stay_out_of_the_entry() {
        let mut capture = sample();
        capture.url = "http://h/api/v2/me?access_token=q1&index=2#id_token=q2".into();
        capture
            .request_headers
            .push(("X-Api-Key".into(), "k3y".into()));
        capture.request_body =
            br#"{"operationName":"Login","password":"pw1","keys":["a"]}"#.to_vec();
        if let Some(response) = &mut capture.response {
            response
                .headers
                .push(("Location".into(), "/next?code=c0de".into()));
            response
                .headers
                .push(("Authentication-Info".into(), "nextnonce=n0nce".into()));
            response.body = br#"{"statusCode":0,"refresh_token":"r1"}"#.to_vec();
        }
        capture.error = Some("error sending request for url (http://h/x?api_key=k2)".into());
        let entry = Entry::from_capture(&capture);
        let text = serde_json::to_string(&entry).unwrap();
        for secret in ["q1", "q2", "k3y", "pw1", "c0de", "n0nce", "r1", "k2"] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        assert_eq!(
            entry.request.url,
            "http://h/api/v2/me?access_token=[redacted]&index=2#id_token=[redacted]"
        );
        let query: Vec<(&str, &str)> = entry
            .request
            .query_string
            .iter()
            .map(|q| (q.name.as_str(), q.value.as_str()))
            .collect();
        assert_eq!(query, [("access_token", redact::REDACTED), ("index", "2")]);
        assert_eq!(entry.response.redirect_url, "/next?code=[redacted]");
        let body = entry.request.post_data.and_then(|p| p.text).unwrap();
        assert!(body.contains(r#""keys":["a"]"#), "{body}");
        assert_eq!(
            entry.response.content.size, 37,
            "the size is the body's as received"
        );
    }

    #[test]
    fn no_response_is_status_0_with_the_error() {
        let mut capture = sample();
        capture.response = None;
        capture.error = Some("no response before the deadline".into());
        let entry = Entry::from_capture(&capture);
        assert_eq!(entry.response.status, 0);
        assert_eq!(
            entry.gws_error.as_deref(),
            Some("no response before the deadline")
        );
    }

    #[test]
    fn binary_and_encoded_bodies_are_base64() {
        let binary = content(&[0xff, 0x00], "application/octet-stream", false);
        assert_eq!(binary.encoding.as_deref(), Some("base64"));
        assert_eq!(binary.text.as_deref(), Some("/wA="));
        let gzipped = content(b"text", "application/json", true);
        assert_eq!(gzipped.encoding.as_deref(), Some("base64"));
        let empty = content(b"", "", false);
        assert_eq!((empty.text, empty.encoding, empty.size), (None, None, 0));
    }
}
