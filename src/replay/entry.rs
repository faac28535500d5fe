//! Reading one HAR entry for planning: its timing, its URL's origin and target, who sent it
//! (the recorder's labels, credentials and session cookies), its request body and its
//! response. Only that is kept, the bodies as compact text ([`JsonText`]) and a CometD reply
//! already split into meta replies and notifications, so that a capture is never held whole:
//! its file is read one entry at a time ([`crate::har::read`]).

use base64::Engine;
use serde_json::Value;

use std::collections::HashSet;
use std::sync::Arc;

use super::batching::per_entry;
use super::script::{Authentication, JsonText, RequestBody, Sources, Store, kind_of};
use crate::check::json::chat_key;
use crate::har::Har;
use crate::har::model::{Cookie, Entry, Header, cookie_pairs};
use crate::har::redact::REDACTED;
use crate::profile::basic_auth_text;
use crate::server::clock::parse_rfc3339_micros;

/// The session cookie GWS servers (Java servlet containers) issue.
const SESSION_COOKIE: &str = "JSESSIONID";

/// One entry, read for planning.
pub(super) struct Parsed {
    /// Its index among the capture's entries (its files' `log.entries` one after the other).
    pub index: usize,
    /// Which of the capture's files it comes from.
    pub file: usize,
    /// Start order across the file (`_gwsSeq`, else its index until planning sorts).
    pub seq: u64,
    /// Whether the file gave that order (`_gwsSeq`).
    pub sequenced: bool,
    /// Recorded start, microseconds since the epoch.
    pub start_us: i64,
    /// Recorded end (start + time).
    pub end_us: i64,
    /// The URL's `scheme://host:port`.
    pub origin: Arc<str>,
    /// The URL's path and query.
    pub target: String,
    /// The request's method, as recorded.
    pub method: Arc<str>,
    /// The response's HTTP status; 0 when none arrived.
    pub status: i64,
    /// The recorder's labels: `_gwsScenario`, `_gwsActor`, `_gwsRole`.
    pub scenario: Option<Arc<str>>,
    /// See [`Parsed::scenario`].
    pub actor: Option<Arc<str>>,
    /// See [`Parsed::scenario`].
    pub role: Option<Arc<str>>,
    /// Who sent it, as far as the entry shows.
    pub sender: Sender,
    /// The `userName` of a `GET /api/v2/me` response.
    pub me_user: Option<String>,
    /// The `id` of a JSON object response (a chat request's reply names the chat so).
    pub response_id: Option<String>,
    /// The request and what came back.
    pub exchange: Exchange,
}

/// What an entry shows of who sent it.
#[derive(Default)]
pub(super) struct Sender {
    /// The user name of readable Basic credentials.
    pub basic_user: Option<String>,
    /// A readable session cookie sent with the request.
    pub session_sent: Option<String>,
    /// A readable session cookie the response set.
    pub session_set: Option<String>,
    /// Whether it carried credentials or cookies at all, readable or not.
    pub credentials: bool,
    /// Whether it carried a `ContactCenterId` header (the customer chat API's).
    pub contact_center: bool,
}

/// A notification of a recorded CometD reply.
pub(super) struct Note {
    /// The Bayeux channel (shared, as `kind` is: [`Recurring`]).
    pub channel: Arc<str>,
    /// The message's `data`.
    pub data: JsonText,
    /// `channel|messageType|notificationType`.
    pub kind: Arc<str>,
    /// The chat it is about, if any.
    pub chat: Option<String>,
}

/// An entry's request and what came back.
pub(super) enum Exchange {
    /// A REST request.
    Rest {
        /// Its body, if any.
        body: Option<RequestBody>,
        /// The response body, when it is JSON.
        response: Option<JsonText>,
        /// How it authenticates when replayed.
        authentication: Authentication,
    },
    /// A CometD request (a POST to the notifications endpoint).
    Bayeux {
        /// The messages it sent (an array).
        messages: JsonText,
        /// The meta replies of its reply (an array).
        replies: JsonText,
        /// The notifications its reply carried.
        notes: Vec<Note>,
    },
}

/// The few strings that recur in every entry of a capture (its origin, methods, the recorder's
/// labels), kept once each.
#[derive(Default)]
pub(super) struct Recurring(HashSet<Arc<str>>);

impl Recurring {
    /// `text`, shared with every other entry that has it.
    fn get(&mut self, text: &str) -> Arc<str> {
        if let Some(kept) = self.0.get(text) {
            return kept.clone();
        }
        let kept: Arc<str> = Arc::from(text);
        self.0.insert(kept.clone());
        kept
    }
}

/// Where an entry is, for parsing it: its index among the capture's entries, its file, and
/// how messages name it.
pub(super) struct EntryAt {
    /// Index among the capture's entries.
    pub index: usize,
    /// Which file.
    pub file: usize,
    /// How messages name it.
    pub label: String,
}

/// The body of a response as JSON, base64 decoded when needed.
fn response_json(entry: &Entry) -> Option<Value> {
    let content = &entry.response.content;
    let text = content.text.as_deref()?;
    if content.encoding.as_deref() == Some("base64") {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .ok()?;
        serde_json::from_slice(&bytes).ok()
    } else {
        serde_json::from_str(text).ok()
    }
}

/// The Bayeux messages of a request or reply body (a message array, or one message).
fn bayeux_messages(value: Value) -> Option<Vec<Value>> {
    match value {
        Value::Array(messages) => Some(messages),
        message @ Value::Object(_) => Some(vec![message]),
        _ => None,
    }
}

/// The user name in readable Basic credentials.
fn basic_user(entry: &Entry) -> Option<String> {
    // Redacted credentials (`Basic [redacted]`) are not base64, so they read as none.
    let text = basic_auth_text(entry.request.header("Authorization")?)?;
    let user = text.split_once(':').map_or(text.as_str(), |(user, _)| user);
    (!user.is_empty()).then(|| user.to_owned())
}

/// The session cookie's readable value: from the entry's `cookies` array, else from its
/// cookie headers (`Cookie`, or with `set_cookie` `Set-Cookie`).
fn readable_session(cookies: &[Cookie], headers: &[Header], set_cookie: bool) -> Option<String> {
    let pairs = headers.iter().map(|h| (h.name.as_str(), h.value.as_str()));
    cookies
        .iter()
        .find(|c| c.name.eq_ignore_ascii_case(SESSION_COOKIE))
        .map(|c| c.value.clone())
        .or_else(|| {
            cookie_pairs(pairs, set_cookie)
                .find(|(name, _)| name.eq_ignore_ascii_case(SESSION_COOKIE))
                .map(|(_, value)| value.to_owned())
        })
        .filter(|v| !v.is_empty() && v != REDACTED)
}

impl Sender {
    /// What `entry` shows of who sent it.
    fn of(entry: &Entry) -> Self {
        let request = &entry.request;
        Self {
            basic_user: basic_user(entry),
            session_sent: readable_session(&request.cookies, &request.headers, false),
            session_set: readable_session(&entry.response.cookies, &entry.response.headers, true),
            credentials: request.header("Authorization").is_some()
                || request.header("Cookie").is_some()
                || !request.cookies.is_empty(),
            contact_center: request.header("ContactCenterId").is_some(),
        }
    }
}

/// The body of a REST request; `Err` says why it cannot be replayed.
fn request_body(entry: &Entry, label: &str) -> Result<Option<RequestBody>, String> {
    let Some(post) = &entry.request.post_data else {
        return Ok(None);
    };
    let Some(text) = &post.text else {
        if post.params.as_ref().is_some_and(|p| !p.is_empty()) {
            return Err(format!(
                "{label}: a form body (postData.params) cannot be replayed, only text"
            ));
        }
        return Ok(None);
    };
    if text.is_empty() {
        return Ok(None);
    }
    Ok(Some(match serde_json::from_str(text) {
        Ok(value) => RequestBody::Json(JsonText::new(&value)),
        Err(_) => RequestBody::Text {
            text: text.clone(),
            mime_type: post.mime_type.clone(),
        },
    }))
}

/// How a recorded REST exchange authenticates when replayed: as its actor, unless the server
/// refused it as unauthenticated (401), with or without the credentials it carried.
fn authentication(entry: &Entry) -> Authentication {
    match (entry.response.status, entry.request.header("Authorization")) {
        (401, Some(_)) => Authentication::Refused,
        (401, None) => Authentication::Anonymous,
        _ => Authentication::Actor,
    }
}

/// A CometD entry's messages, and its reply split into meta replies and notifications; `Err`
/// says why it cannot be replayed.
fn bayeux_exchange(
    entry: &Entry,
    label: &str,
    (store, recurring): (&mut Store, &mut Recurring),
) -> Result<Exchange, String> {
    let messages = entry
        .request
        .post_data
        .as_ref()
        .and_then(|post| post.text.as_deref())
        .and_then(|text| serde_json::from_str(text).ok())
        .and_then(bayeux_messages)
        .ok_or_else(|| {
            format!(
                "{label} ({}): the CometD request body is not a JSON message array",
                entry.request.url
            )
        })?;
    let (mut replies, mut notes) = (Vec::new(), Vec::new());
    let reply = response_json(entry).and_then(bayeux_messages);
    for mut message in reply.unwrap_or_default() {
        let Some(channel) = message.get("channel").and_then(Value::as_str) else {
            continue;
        };
        if channel.starts_with("/meta/") {
            replies.push(message);
            continue;
        }
        let channel = channel.to_owned();
        let data = message.get_mut("data").map_or(Value::Null, Value::take);
        // Each log entry is a notification of its own, as the replay's are (`batching`).
        for data in per_entry(data) {
            notes.push(Note {
                kind: recurring.get(&kind_of(&channel, &data)),
                chat: chat_key(&data),
                channel: recurring.get(&channel),
                data: store.keep(data),
            });
        }
    }
    // Read again once, as planning goes through the entries in order; notes are few per reply.
    notes.shrink_to_fit();
    Ok(Exchange::Bayeux {
        messages: JsonText::new(&Value::Array(messages)),
        replies: JsonText::new(&Value::Array(replies)),
        notes,
    })
}

/// Parses an entry for planning, and the file's precision (digits of a second); `None` for a
/// request outside the GWS API (`/api/…`: the pages, scripts and images a browser's export
/// holds too), `Err` for what is wrong with it. Bodies are kept in `spool`, if there is one.
pub(super) fn parse(
    at: EntryAt,
    entry: &Entry,
    (store, recurring): (&mut Store, &mut Recurring),
) -> Result<Option<(Parsed, u32)>, String> {
    let EntryAt { index, file, label } = at;
    let at = |what: &str| {
        format!(
            "{label} ({} {}): {what}",
            entry.request.method, entry.request.url
        )
    };
    let (start_us, digits) = parse_rfc3339_micros(&entry.started_date_time).ok_or_else(|| {
        at(&format!(
            "startedDateTime {:?} is not an RFC 3339 date-time",
            entry.started_date_time
        ))
    })?;
    if entry.request.method.is_empty()
        || !entry
            .request
            .method
            .bytes()
            .all(|b| b.is_ascii_alphabetic())
    {
        return Err(at("the request has no valid method"));
    }
    let url = reqwest::Url::parse(&entry.request.url)
        .map_err(|e| at(&format!("the URL is not absolute ({e})")))?;
    if !url.path().starts_with("/api/") {
        return Ok(None);
    }
    let origin = recurring.get(&url.origin().ascii_serialization());
    let target = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    let time_us = if entry.time.is_finite() && entry.time > 0.0 {
        (entry.time * 1000.0).round() as i64
    } else {
        0
    };
    let (exchange, me_user, response_id) = if entry.is_bayeux() {
        (
            bayeux_exchange(entry, &label, (store, recurring))?,
            None,
            None,
        )
    } else {
        let response = response_json(entry);
        let me = entry.request.method.eq_ignore_ascii_case("GET") && url.path() == "/api/v2/me";
        let text = |pointer: &str| {
            let value = response.as_ref()?.pointer(pointer)?;
            Some(value.as_str()?.to_owned())
        };
        let (me_user, id) = (me.then(|| text("/user/userName")).flatten(), text("/id"));
        let exchange = Exchange::Rest {
            body: request_body(entry, &label)?,
            response: response.map(|r| store.keep(r)),
            authentication: authentication(entry),
        };
        (exchange, me_user, id)
    };
    let parsed = Parsed {
        index,
        file,
        seq: entry.gws_seq.unwrap_or(index as u64),
        sequenced: entry.gws_seq.is_some(),
        start_us,
        end_us: start_us.saturating_add(time_us),
        origin,
        target,
        method: recurring.get(&entry.request.method),
        status: entry.response.status,
        scenario: entry.gws_scenario.as_deref().map(|s| recurring.get(s)),
        actor: entry.gws_actor.as_deref().map(|s| recurring.get(s)),
        role: entry.gws_role.as_deref().map(|s| recurring.get(s)),
        sender: Sender::of(entry),
        me_user,
        response_id,
        exchange,
    };
    Ok(Some((parsed, digits)))
}

/// A capture's entries as planning reads them, file after file: [`Entries::begin`] a file,
/// [`Entries::add`] each of its entries as it is read, [`Entries::end`] it.
pub(super) struct Entries {
    /// The requests of the GWS API, parsed, in file order.
    pub parsed: Vec<Parsed>,
    /// What is wrong with the capture, one line per problem (each names its entry).
    pub problems: Vec<String>,
    /// The fewest digits of a second a start time is written with.
    pub digits: u32,
    /// The files, to name entries.
    pub sources: Sources,
    /// How many requests outside the GWS API were left out.
    pub outside_api: usize,
    /// The files' names, as given.
    pub names: Vec<String>,
    /// Why files may lack exchanges, when their recorders said so (`_gwsStatus`).
    pub cautions: Vec<String>,
    /// What reading changed in what the files say (lone surrogates read as U+FFFD).
    pub notes: Vec<String>,
    /// Where what the recording got back is kept.
    pub store: Store,
    recurring: Recurring,
    /// The index of the current file's first entry.
    first: usize,
    /// How many entries the current file held so far.
    in_file: usize,
}

impl Entries {
    /// None read yet.
    pub fn new() -> Self {
        Self {
            parsed: Vec::new(),
            problems: Vec::new(),
            digits: u32::MAX,
            sources: Sources::default(),
            outside_api: 0,
            names: Vec::new(),
            cautions: Vec::new(),
            notes: Vec::new(),
            store: Store::new(),
            recurring: Recurring::default(),
            first: 0,
            in_file: 0,
        }
    }

    /// Starts the file `name`.
    pub fn begin(&mut self, name: &str) {
        self.first += self.in_file;
        self.in_file = 0;
        let shown = std::path::Path::new(name)
            .file_name()
            .map_or_else(|| name.to_owned(), |n| n.to_string_lossy().into_owned());
        self.sources.push(&shown, self.first);
        self.names.push(name.to_owned());
    }

    /// Reads the current file's next entry.
    pub fn add(&mut self, entry: &Entry) {
        let index = self.first + self.in_file;
        let at = EntryAt {
            index,
            file: self.names.len().saturating_sub(1),
            label: self.sources.label(index),
        };
        self.in_file += 1;
        match parse(at, entry, (&mut self.store, &mut self.recurring)) {
            Ok(Some((parsed, digits))) => {
                self.digits = self.digits.min(digits);
                self.parsed.push(parsed);
            }
            Ok(None) => self.outside_api += 1,
            Err(problem) => self.problems.push(problem),
        }
    }

    /// Ends the current file, `har` being what it says besides its entries.
    pub fn end(&mut self, har: &Har) {
        let name = self.names.last().map_or("", String::as_str);
        if self.in_file == 0 {
            self.problems.push(format!("{name} holds no entries"));
        }
        self.cautions.extend(caution(har, name));
        if har.lone_surrogates > 0 {
            self.notes.push(format!(
                "{name}: {} lone UTF-16 surrogate escape(s) (text cut inside a character, as \
                 browsers export it) were read as U+FFFD",
                har.lone_surrogates
            ));
        }
    }
}

/// The caution a file's `_gwsStatus` calls for: none for a recording that ended normally
/// (`complete`, or `stopped` for the proxy) or a file that does not say (devtools exports).
fn caution(har: &Har, source: &str) -> Option<String> {
    let status = har.log.gws_status.as_deref()?;
    if matches!(status, "complete" | "stopped") {
        return None;
    }
    let why = har
        .log
        .comment
        .as_deref()
        .map_or_else(String::new, |comment| format!(" ({comment})"));
    Some(format!(
        "{source} is marked `{status}`{why}: exchanges are missing from it, so some differences \
         may be only the recording's gaps"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(value: Value) -> Entry {
        serde_json::from_value(value).unwrap()
    }

    fn parsed(value: Value) -> Parsed {
        let at = EntryAt {
            index: 0,
            file: 0,
            label: "entries[0]".to_owned(),
        };
        let kept = (&mut Store::new(), &mut Recurring::default());
        parse(at, &entry(value), kept).unwrap().unwrap().0
    }

    #[test]
    fn redacted_sessions_tell_nothing() {
        let mut request = entry(json!({"request": {"method": "GET", "url": "http://h/x"}}));
        request.request.cookies.push(Cookie {
            name: "jsessionid".into(),
            value: REDACTED.into(),
            ..Cookie::default()
        });
        let sender = Sender::of(&request);
        assert_eq!(sender.session_sent, None);
        assert!(sender.credentials);
        request.request.cookies[0].value = "abc".into();
        assert_eq!(Sender::of(&request).session_sent.as_deref(), Some("abc"));
    }

    #[test]
    fn a_cometd_reply_is_split_into_meta_replies_and_notifications() {
        let reply = json!([
            {"channel": "/meta/connect", "successful": true},
            {"channel": "/v2/me/chats", "data": {"messageType": "ChatStateChangeMessage",
              "notificationType": "StatusChange", "chat": {"id": "C1"}}}
        ]);
        let p = parsed(json!({
            "startedDateTime": "2024-01-01T00:00:00.000123Z",
            "request": {"method": "POST", "url": "http://h/api/v2/notifications",
                        "postData": {"text": "[{\"channel\":\"/meta/connect\"}]"}},
            "response": {"status": 200, "content": {"text": reply.to_string()}}
        }));
        let Exchange::Bayeux {
            messages,
            replies,
            notes,
        } = p.exchange
        else {
            panic!("a CometD exchange");
        };
        let (messages, replies) = (messages.parse(), replies.parse());
        assert_eq!(messages.as_array().map(Vec::len), Some(1));
        assert_eq!(replies.as_array().map(Vec::len), Some(1));
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].chat.as_deref(), Some("C1"));
        assert_eq!(
            &*notes[0].kind,
            "/v2/me/chats|ChatStateChangeMessage|StatusChange"
        );
        assert_eq!(*notes[0].data.parse(), reply[1]["data"]);
    }

    #[test]
    fn a_base64_body_and_the_user_of_me_are_read() {
        let body = base64::engine::general_purpose::STANDARD
            .encode(r#"{"statusCode":0,"user":{"userName":"agent1"}}"#);
        let p = parsed(json!({
            "startedDateTime": "2024-01-01T00:00:00.123Z",
            "request": {"method": "GET", "url": "http://h/api/v2/me"},
            "response": {"status": 200, "content": {"text": body, "encoding": "base64"}}
        }));
        assert_eq!(p.me_user.as_deref(), Some("agent1"));
        let Exchange::Rest { response, .. } = p.exchange else {
            panic!("a REST exchange");
        };
        assert_eq!(response.unwrap().parse()["statusCode"], 0);
    }
}
