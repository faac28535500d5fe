//! The HAR 1.2 data model (<http://www.softwareishard.com/blog/har-12-spec/>), with the
//! `_gws*` extension fields this tool adds to entries and to the log.
//!
//! Writing follows the specification: every required field is present. Reading is tolerant,
//! because the files replay reads come from browsers' devtools too: unknown fields (their own
//! `_initiator`, `_resourceType`, ...) are ignored, fields the specification requires but
//! exporters leave out get their defaults, numbers may be integers or fractions, and header
//! names may be in any case (HTTP/2 exports write them in lower case).

use std::path::Path;

use serde::{Deserialize, Deserializer, Serialize};

use super::read::{each_entry, each_entry_of};

/// The HAR version this tool writes.
pub const HAR_VERSION: &str = "1.2";

/// A whole HAR document: `{"log": {...}}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Har {
    /// The root object.
    pub log: Log,
    /// How many lone UTF-16 surrogate escapes reading replaced with U+FFFD
    /// (`super::surrogates`); never written.
    #[serde(skip)]
    pub lone_surrogates: usize,
}

/// Why a HAR file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The content is not a HAR document.
    #[error("{origin} is not a HAR file: {source}")]
    Json {
        /// The file (or whatever the bytes came from).
        origin: String,
        /// The parser's error, with line and column.
        source: serde_json::Error,
    },
}

impl Har {
    /// Parses a HAR document; `origin` names it in errors. A UTF-8 byte order mark is skipped,
    /// as the specification asks of readers, and lone surrogate escapes are read as U+FFFD
    /// (counted in [`Har::lone_surrogates`]). The whole document is kept: to read a large
    /// capture, [`super::read`] hands out one entry at a time.
    pub fn from_slice(bytes: &[u8], origin: &str) -> Result<Self, ReadError> {
        let mut entries = Vec::new();
        let har = each_entry(bytes, origin, |entry| entries.push(entry))?;
        Ok(Self::with_entries(har, entries))
    }

    /// Reads and parses a HAR file, as [`Har::from_slice`].
    pub fn read(path: &Path) -> Result<Self, ReadError> {
        let mut entries = Vec::new();
        let har = each_entry_of(path, |entry| entries.push(entry))?;
        Ok(Self::with_entries(har, entries))
    }

    /// `har` (read without its entries) with `entries`.
    fn with_entries(mut har: Self, entries: Vec<Entry>) -> Self {
        har.log.entries = entries;
        har
    }
}

/// `log`: the recording.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Log {
    /// Format version (`"1.2"`).
    #[serde(default)]
    pub version: String,
    /// The application that wrote the file.
    #[serde(default)]
    pub creator: Creator,
    /// The browser, in devtools exports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser: Option<Creator>,
    /// Pages; this tool writes none (API traffic has no pages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pages: Option<Vec<serde_json::Value>>,
    /// One entry per HTTP exchange.
    #[serde(default)]
    pub entries: Vec<Entry>,
    /// Free text; this tool says how the recording ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Extension: `"recording"` while the file is being written, then `"complete"`,
    /// `"interrupted"` (a run stopped early), `"stopped"` (the proxy stopped) or `"incomplete"`
    /// (some exchanges could not be written).
    #[serde(
        rename = "_gwsStatus",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub gws_status: Option<String>,
}

/// `creator` (and `browser`): name and version of an application.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Creator {
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Version.
    #[serde(default)]
    pub version: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// One HTTP exchange.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// The page it belongs to, in devtools exports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pageref: Option<String>,
    /// When the request started (RFC 3339).
    #[serde(default)]
    pub started_date_time: String,
    /// Total time in milliseconds: the sum of the known timings.
    #[serde(default, deserialize_with = "number_or_default")]
    pub time: f64,
    /// The request.
    #[serde(default)]
    pub request: Request,
    /// The response (status 0 when none arrived).
    #[serde(default)]
    pub response: Response,
    /// Cache information; always empty here.
    #[serde(default)]
    pub cache: serde_json::Map<String, serde_json::Value>,
    /// The phases of the exchange.
    #[serde(default)]
    pub timings: Timings,
    /// The server's IP address.
    #[serde(
        rename = "serverIPAddress",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub server_ip_address: Option<String>,
    /// The connection's id; devtools write a string, some tools a number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<serde_json::Value>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Extension: the order in which requests started, across the whole file (entries are
    /// written as they complete, so a held long-poll comes after requests made while it was
    /// held).
    #[serde(rename = "_gwsSeq", default, skip_serializing_if = "Option::is_none")]
    pub gws_seq: Option<u64>,
    /// Extension: the scenario that made the request (`run --record`).
    #[serde(
        rename = "_gwsScenario",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub gws_scenario: Option<String>,
    /// Extension: who made the request: the scenario's actor name (`run --record`), or the
    /// user name or `customer:{chat id}` (`proxy`).
    #[serde(rename = "_gwsActor", default, skip_serializing_if = "Option::is_none")]
    pub gws_actor: Option<String>,
    /// Extension: the actor's role (`agent`, `supervisor`, `customer`) where it is known.
    #[serde(rename = "_gwsRole", default, skip_serializing_if = "Option::is_none")]
    pub gws_role: Option<String>,
    /// Extension: the index (0-based) of the scenario step that was running; absent for the
    /// clean-up after the last step.
    #[serde(rename = "_gwsStep", default, skip_serializing_if = "Option::is_none")]
    pub gws_step: Option<usize>,
    /// Extension: the line of that step in its scenario file.
    #[serde(rename = "_gwsLine", default, skip_serializing_if = "Option::is_none")]
    pub gws_line: Option<u32>,
    /// Extension: why the exchange has no (complete) response: a transport error, a deadline,
    /// a body cut off, or a request its client abandoned.
    #[serde(rename = "_gwsError", default, skip_serializing_if = "Option::is_none")]
    pub gws_error: Option<String>,
}

impl Entry {
    /// Whether this is a CometD/Bayeux request (a POST to the notifications endpoint or one of
    /// its sub-paths, as the official clients send them).
    pub fn is_bayeux(&self) -> bool {
        let path = self
            .request
            .url
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|at| &rest[at..]))
            .unwrap_or_default();
        path.starts_with("/api/v2/notifications")
    }
}

/// `request`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    /// Method.
    #[serde(default)]
    pub method: String,
    /// Absolute URL, without credentials.
    #[serde(default)]
    pub url: String,
    /// `HTTP/1.1`, ...
    #[serde(default)]
    pub http_version: String,
    /// Cookies sent (values redacted by this tool).
    #[serde(default)]
    pub cookies: Vec<Cookie>,
    /// Headers sent (secret values redacted by this tool).
    #[serde(default)]
    pub headers: Vec<Header>,
    /// The query string's parameters, decoded.
    #[serde(default)]
    pub query_string: Vec<QueryParam>,
    /// The body, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_data: Option<PostData>,
    /// Size of the header block; -1 (unknown) here.
    #[serde(default = "unknown", deserialize_with = "size")]
    pub headers_size: i64,
    /// Size of the body in bytes.
    #[serde(default = "unknown", deserialize_with = "size")]
    pub body_size: i64,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl Request {
    /// The first header called `name`, in any case.
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

/// `response`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Response {
    /// HTTP status; 0 when no response arrived.
    #[serde(default, deserialize_with = "size")]
    pub status: i64,
    /// The reason phrase.
    #[serde(default)]
    pub status_text: String,
    /// `HTTP/1.1`, ...; empty when no response arrived.
    #[serde(default)]
    pub http_version: String,
    /// Cookies set (values redacted by this tool).
    #[serde(default)]
    pub cookies: Vec<Cookie>,
    /// Headers received (secret values redacted by this tool).
    #[serde(default)]
    pub headers: Vec<Header>,
    /// The body.
    #[serde(default)]
    pub content: Content,
    /// The `Location` header, or empty.
    #[serde(rename = "redirectURL", default)]
    pub redirect_url: String,
    /// Size of the header block; -1 (unknown) here.
    #[serde(default = "unknown", deserialize_with = "size")]
    pub headers_size: i64,
    /// Size of the body as received, in bytes.
    #[serde(default = "unknown", deserialize_with = "size")]
    pub body_size: i64,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl Response {
    /// The first header called `name`, in any case.
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

/// The cookies in `headers` as `(name, value)` pairs, names trimmed: every pair of the
/// `Cookie` headers or, with `set_cookie`, the pair at the front of each `Set-Cookie` header
/// (its attributes left out). Header names match in any case.
pub fn cookie_pairs<'a>(
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    set_cookie: bool,
) -> impl Iterator<Item = (&'a str, &'a str)> {
    let (wanted, pairs_per_header) = if set_cookie {
        ("set-cookie", 1)
    } else {
        ("cookie", usize::MAX)
    };
    headers
        .into_iter()
        .filter(move |(name, _)| name.eq_ignore_ascii_case(wanted))
        .flat_map(move |(_, value)| value.split(';').take(pairs_per_header))
        .filter_map(|pair| pair.trim().split_once('='))
        .map(|(name, value)| (name.trim(), value))
}

fn header<'a>(headers: &'a [Header], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

/// One header.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Name, as sent.
    #[serde(default)]
    pub name: String,
    /// Value.
    #[serde(default)]
    pub value: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// One query-string parameter.
pub type QueryParam = Header;

/// One cookie.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cookie {
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Value (`[redacted]` in files this tool writes).
    #[serde(default)]
    pub value: String,
    /// Path attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Domain attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Expiry; devtools may write null.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// HttpOnly attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_only: Option<bool>,
    /// Secure attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secure: Option<bool>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// `postData`: a request body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostData {
    /// The request's `Content-Type` (empty if it had none).
    #[serde(default)]
    pub mime_type: String,
    /// The body as text (`params` instead, in some devtools exports of forms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Form parameters, in devtools exports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Vec<serde_json::Value>>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// `content`: a response body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Content {
    /// Length of the body in bytes.
    #[serde(default, deserialize_with = "size")]
    pub size: i64,
    /// Bytes saved by compression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compression: Option<f64>,
    /// The response's `Content-Type` (empty if it had none).
    #[serde(default)]
    pub mime_type: String,
    /// The body: UTF-8 text, or base64 when `encoding` says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// `base64` when the body is not UTF-8 text (or is still content-encoded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// `timings`, in milliseconds; -1 where a phase does not apply or is unknown.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    /// Queued before a connection was available.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked: Option<f64>,
    /// DNS resolution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns: Option<f64>,
    /// TCP connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect: Option<f64>,
    /// Sending the request.
    #[serde(default, deserialize_with = "number_or_default")]
    pub send: f64,
    /// Waiting for the first byte of the response (for a long-poll: how long it was held).
    #[serde(default, deserialize_with = "number_or_default")]
    pub wait: f64,
    /// Reading the response.
    #[serde(default, deserialize_with = "number_or_default")]
    pub receive: f64,
    /// TLS negotiation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssl: Option<f64>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

fn unknown() -> i64 {
    -1
}

/// A number, or null (some exporters write null for unknown values), as `f64`.
fn number_or_default<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(deserializer)?.unwrap_or_default())
}

/// A size or status: an integer, a fraction (truncated) or null (unknown, -1).
fn size<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    // `as` saturates on out-of-range fractions, which is the right answer for a size.
    Ok(Option::<f64>::deserialize(deserializer)?.map_or(-1, |n| n as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape of a Chrome devtools export: lower-case header names, custom fields, floats,
    /// nulls, missing optional parts.
    const DEVTOOLS: &str = r#"{
      "log": {
        "version": "1.2",
        "creator": {"name": "WebInspector", "version": "537.36"},
        "pages": [{"id": "page_1", "title": "x", "startedDateTime": "2024-01-01T00:00:00.000Z", "pageTimings": {}}],
        "entries": [{
          "_initiator": {"type": "script"},
          "_priority": "High",
          "_resourceType": "xhr",
          "cache": {},
          "connection": "48211",
          "pageref": "page_1",
          "request": {
            "method": "POST",
            "url": "https://gws.example/api/v2/notifications",
            "httpVersion": "http/2.0",
            "headers": [{"name": "content-type", "value": "application/json;charset=UTF-8"}],
            "queryString": [],
            "cookies": [{"name": "JSESSIONID", "value": "abc", "expires": null, "httpOnly": true, "secure": true}],
            "headersSize": -1,
            "bodySize": 58,
            "postData": {"mimeType": "application/json;charset=UTF-8", "text": "[{\"channel\":\"/meta/connect\"}]"}
          },
          "response": {
            "status": 200,
            "statusText": "",
            "httpVersion": "http/2.0",
            "headers": [{"name": "content-type", "value": "application/json"}],
            "cookies": [],
            "content": {"size": 2, "mimeType": "application/json", "text": "[]"},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
            "_transferSize": 120,
            "_error": null
          },
          "serverIPAddress": "[::1]",
          "startedDateTime": "2024-01-01T00:00:00.123Z",
          "time": 30012.482,
          "timings": {"blocked": 1.2, "dns": -1, "ssl": -1, "connect": -1, "send": 0.1, "wait": 30010.0, "receive": 1.182, "_blocked_queueing": 0.9}
        }]
      }
    }"#;

    #[test]
    fn cookie_pairs_read_every_cookie_header_and_the_front_of_each_set_cookie() {
        let headers = [
            ("Cookie", "a=1; JSESSIONID=s1"),
            ("cookie", " b = 2 ;junk"),
            ("Set-Cookie", "JSESSIONID=s2; Path=/; HttpOnly"),
            ("set-cookie", "c=3"),
            ("Accept", "x=y"),
        ];
        let sent: Vec<_> = cookie_pairs(headers, false).collect();
        assert_eq!(sent, [("a", "1"), ("JSESSIONID", "s1"), ("b", " 2")]);
        let set: Vec<_> = cookie_pairs(headers, true).collect();
        assert_eq!(set, [("JSESSIONID", "s2"), ("c", "3")]);
    }

    #[test]
    fn a_devtools_export_reads() {
        let har = Har::from_slice(DEVTOOLS.as_bytes(), "devtools.har").unwrap();
        let entry = &har.log.entries[0];
        assert!(entry.is_bayeux());
        assert_eq!(
            entry.request.header("Content-Type"),
            Some("application/json;charset=UTF-8")
        );
        assert_eq!(entry.response.content.text.as_deref(), Some("[]"));
        assert_eq!(entry.request.cookies[0].expires, None);
        assert_eq!(entry.timings.wait, 30010.0);
        assert_eq!(entry.gws_actor, None);
    }

    #[test]
    fn missing_parts_get_defaults_and_a_bom_is_skipped() {
        let text = "\u{feff}{\"log\":{\"entries\":[{\"request\":{\"url\":\"http://h/x\"},\"response\":{\"status\":204.0,\"bodySize\":null}}]}}";
        let har = Har::from_slice(text.as_bytes(), "minimal").unwrap();
        let entry = &har.log.entries[0];
        assert_eq!(entry.response.status, 204);
        assert_eq!(entry.response.body_size, -1);
        assert_eq!(entry.request.headers_size, -1);
        assert!(!entry.is_bayeux());
    }

    #[test]
    fn what_is_not_har_is_an_error_not_a_panic() {
        for text in [
            "",
            "[]",
            "{\"log\": 3}",
            "{\"log\":{\"entries\":{}}}",
            "\u{0}",
        ] {
            let error = Har::from_slice(text.as_bytes(), "bad.har").unwrap_err();
            assert!(error.to_string().starts_with("bad.har is not a HAR file"));
        }
    }
}
