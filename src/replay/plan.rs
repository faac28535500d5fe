//! From a HAR file to what replay will do: groups of actors (one per recorded scenario, or the
//! whole capture when it names none), each actor's ordered steps (REST requests, and the Bayeux
//! handshakes, subscriptions and disconnects it made), and the notifications each actor received
//! in the recording (the messages of every Bayeux reply, `/meta/connect` above all).
//!
//! Who made a request: the `_gwsActor` field when present (`run --record`, `proxy`), else as
//! the private `naming` module guesses it. Which profile user an actor logs in as is settled by
//! [`Plan::resolve_users`].

use std::collections::{HashMap, HashSet};
use std::path::Path;

use base64::Engine;
use serde_json::Value;

use super::causality::{self, OrderBy};
use super::naming::{basic_user, me_user_name, name_actors};
use super::protocol::forgets_client;
use crate::bayeux::{
    META_CONNECT, META_DISCONNECT, META_HANDSHAKE, META_SUBSCRIBE, META_UNSUBSCRIBE,
};
use crate::check::json::chat_key;
use crate::har::Har;
use crate::har::model::Entry;
use crate::profile::Profile;
use crate::server::clock::parse_rfc3339_micros;

/// What a replayed actor is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActorKind {
    /// An agent or supervisor: HTTP Basic credentials from the profile, a session cookie, and
    /// Bayeux.
    User {
        /// The user name the capture shows it logged in as (readable Basic credentials, or the
        /// `userName` of its `GET /api/v2/me`), if any.
        recorded: Option<String>,
        /// The profile user it logs in as ([`Plan::resolve_users`]).
        login: Option<String>,
    },
    /// A customer of the customer chat API: the profile's `ContactCenterId`, no credentials.
    Customer,
    /// Requests that carried no credentials at all.
    Anonymous,
}

/// A recorded request body.
#[derive(Debug, Clone, PartialEq)]
pub enum RequestBody {
    /// JSON (ids in it are remapped).
    Json(Value),
    /// Anything else, sent as recorded, with its content type.
    Text {
        /// The body.
        text: String,
        /// Its `Content-Type`.
        mime_type: String,
    },
}

/// What one step does.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A REST request.
    Http {
        /// Method.
        method: String,
        /// Path and query, as recorded (ids are remapped when it is sent).
        target: String,
        /// The recorded request's `scheme://host:port`.
        origin: String,
        /// The body, if any.
        body: Option<RequestBody>,
    },
    /// `/meta/handshake`: a new Bayeux client of the replay handshakes and starts its own
    /// connect loop (recorded `/meta/connect` requests are not sent; their notifications are
    /// compared).
    Handshake {
        /// The recorded session's `clientId`, which later steps of that session name.
        session: Option<String>,
    },
    /// `/meta/subscribe` to a channel pattern.
    Subscribe {
        /// The pattern.
        pattern: String,
        /// The recorded `clientId` it was sent for.
        session: Option<String>,
    },
    /// `/meta/unsubscribe` from a channel pattern.
    Unsubscribe {
        /// The pattern.
        pattern: String,
        /// The recorded `clientId` it was sent for.
        session: Option<String>,
    },
    /// `/meta/disconnect`.
    Disconnect {
        /// The recorded `clientId` it was sent for.
        session: Option<String>,
    },
    /// A CometD message the recording sent with a `clientId` no recorded handshake gave, and
    /// that the server refused: a probe of how it answers unknown clients. Re-sent as
    /// recorded; the refusal is compared
    /// ([`probe_difference`](super::protocol::probe_difference)).
    Probe {
        /// The message.
        message: Value,
    },
}

impl Action {
    /// `POST /api/v2/me`, `CometD handshake`, …, for messages.
    pub fn describe(&self) -> String {
        match self {
            Action::Http { method, target, .. } => format!("{method} {target}"),
            Action::Handshake { .. } => "CometD handshake".to_owned(),
            Action::Subscribe { pattern, .. } => format!("CometD subscribe {pattern}"),
            Action::Unsubscribe { pattern, .. } => format!("CometD unsubscribe {pattern}"),
            Action::Disconnect { .. } => "CometD disconnect".to_owned(),
            Action::Probe { message } => {
                let channel = message.get("channel").and_then(Value::as_str);
                format!(
                    "CometD {} with a clientId no handshake gave",
                    channel.unwrap_or("message")
                )
            }
        }
    }
}

/// What the recording got back for a step.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recorded {
    /// HTTP status; 0 when no response was recorded.
    pub status: i64,
    /// The response body, when it was JSON.
    pub body: Option<Value>,
    /// For a Bayeux step: the `successful` of its meta reply.
    pub successful: Option<bool>,
    /// Whether the replayed body must say what this one says (ids remapped, times reduced to
    /// their shape): a customer's response (customers have no notifications: what they are
    /// shown is in these bodies) to a request no other exchange overlapped in the recording,
    /// so that the state it shows is the one the replay reproduces (`compare_bodies`).
    pub compare_body: bool,
}

/// What a step waits for before it is sent ([`causality`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Dep {
    /// Actor `actor` has finished its first `count` steps.
    Steps {
        /// The actor (index in the group).
        actor: usize,
        /// How many of its steps.
        count: usize,
    },
    /// Actor `actor` has received, in the replay, the counterparts of its first `count`
    /// recorded notifications.
    Notes {
        /// The actor.
        actor: usize,
        /// How many of its recorded notifications.
        count: usize,
    },
    /// Actor `actor` has received the counterpart of its recorded notification `index`.
    Note {
        /// The actor.
        actor: usize,
        /// The notification's index among the actor's recorded notifications.
        index: usize,
    },
}

/// One thing an actor does.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The actor (index in the group).
    pub actor: usize,
    /// The HAR entry it comes from (index in `log.entries`).
    pub entry: usize,
    /// Start order across the file.
    pub seq: u64,
    /// Recorded start, microseconds since the epoch.
    pub start_us: i64,
    /// Recorded end (start + time).
    pub end_us: i64,
    /// Its place in the order the recording's exchanges completed, when the file says
    /// (`run --record` and the proxy write entries as they complete, with `_gwsSeq`).
    pub done_rank: Option<usize>,
    /// What it does.
    pub action: Action,
    /// What came back in the recording.
    pub recorded: Recorded,
    /// What it waits for.
    pub deps: Vec<Dep>,
}

/// A notification an actor received in the recording.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedNote {
    /// The HAR entry whose reply carried it.
    pub entry: usize,
    /// When that reply ended, microseconds since the epoch.
    pub arrival_us: i64,
    /// The Bayeux channel.
    pub channel: String,
    /// The message's `data`.
    pub data: Value,
    /// `channel|messageType|notificationType`: only notifications of one kind are paired.
    pub kind: String,
    /// The chat it is about, if any.
    pub chat: Option<String>,
    /// The CometD session (recorded `clientId`, as [`Action::Handshake`] names it) it arrived
    /// on: only what the replay's counterpart of that session receives is paired with it.
    pub session: Option<String>,
}

/// When the recording last heard from one of an actor's CometD sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listened {
    /// Its last `/meta/connect` was answered then (microseconds since the epoch).
    Until(i64),
    /// Its last `/meta/connect` got no answer (abandoned by the client).
    Abandoned,
}

/// Who an actor is and what it did.
#[derive(Debug, Clone, PartialEq)]
pub struct ActorPlan {
    /// Its name: `_gwsActor`, or as derived (see the module doc).
    pub name: String,
    /// What it is.
    pub kind: ActorKind,
    /// Its steps, as indexes into [`GroupPlan::steps`], in order.
    pub steps: Vec<usize>,
    /// The notifications it received, in arrival order.
    pub notes: Vec<RecordedNote>,
    /// The CometD sessions the recording stopped listening to before they ended: the last
    /// `/meta/connect` got no answer (abandoned), or was answered before the session's
    /// disconnect (or, without one, before the group's last request) and not followed by
    /// another. Whatever the server sent such a session after its last recorded notification
    /// is unknown.
    pub open_tails: HashSet<Option<String>>,
    /// Per CometD session, when the recording last heard from it (sessions that made a
    /// `/meta/connect`).
    pub listened: HashMap<Option<String>, Listened>,
}

/// Actors replayed together against one target: a recorded scenario, or a whole capture.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupPlan {
    /// The scenario's name, or the file's.
    pub name: String,
    /// The HAR file.
    pub source: String,
    /// Its actors, in order of first appearance.
    pub actors: Vec<ActorPlan>,
    /// Every step of every actor, in start order.
    pub steps: Vec<Step>,
    /// When the first step started, microseconds since the epoch.
    pub start_us: i64,
    /// How finely the file's start times are written, in microseconds (1,000 for milliseconds).
    pub precision_us: i64,
}

impl GroupPlan {
    /// How many notifications the recording holds for every actor together.
    pub fn notes(&self) -> usize {
        self.actors.iter().map(|a| a.notes.len()).sum()
    }
}

/// Everything to replay from one file.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The groups, by name.
    pub groups: Vec<GroupPlan>,
    /// What was left out, and why (client publishes, which GWS refuses anyway; handshakes a
    /// client made again after the server forgot its session).
    pub skipped: Vec<String>,
    /// Why the capture may lack exchanges, when its recorder said so (`_gwsStatus`): the
    /// differences a replay finds may then be only the recording's gaps.
    pub caution: Option<String>,
}

/// The caution a capture's `_gwsStatus` calls for: none for a recording that ended normally
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

/// Why a capture cannot be replayed.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The file is not a HAR document.
    #[error(transparent)]
    Read(#[from] crate::har::model::ReadError),
    /// Some entries cannot be replayed; each message names its entry.
    #[error("{file} cannot be replayed:\n  {}", problems.join("\n  "))]
    Entries {
        /// The file.
        file: String,
        /// One line per problem.
        problems: Vec<String>,
    },
}

/// One entry, parsed.
pub(super) struct Parsed<'a> {
    /// Its index in `log.entries`.
    pub index: usize,
    /// The entry.
    pub entry: &'a Entry,
    seq: u64,
    start_us: i64,
    end_us: i64,
    origin: String,
    /// The URL's path and query.
    pub target: String,
    /// The response body, when it is JSON.
    pub response: Option<Value>,
}

/// The body of a response as JSON, base64 decoded when needed.
fn response_json(entry: &Entry) -> Option<Value> {
    let content = &entry.response.content;
    let text = content.text.as_deref()?;
    let bytes = if content.encoding.as_deref() == Some("base64") {
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .ok()?
    } else {
        text.as_bytes().to_vec()
    };
    serde_json::from_slice(&bytes).ok()
}

/// Parses an entry's timing and URL; `Err` says what is wrong with it.
pub(super) fn parse<'a>(index: usize, entry: &'a Entry) -> Result<(Parsed<'a>, u32), String> {
    let at = |what: &str| {
        format!(
            "entries[{index}] ({} {}): {what}",
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
    let origin = url.origin().ascii_serialization();
    let target = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    let time_us = if entry.time.is_finite() && entry.time > 0.0 {
        (entry.time * 1000.0).round() as i64
    } else {
        0
    };
    Ok((
        Parsed {
            index,
            entry,
            seq: entry.gws_seq.unwrap_or(index as u64),
            start_us,
            end_us: start_us.saturating_add(time_us),
            origin,
            target,
            response: response_json(entry),
        },
        digits,
    ))
}

/// The request body of a REST entry.
fn request_body(parsed: &Parsed<'_>) -> Result<Option<RequestBody>, String> {
    let Some(post) = &parsed.entry.request.post_data else {
        return Ok(None);
    };
    let Some(text) = &post.text else {
        if post.params.as_ref().is_some_and(|p| !p.is_empty()) {
            return Err(format!(
                "entries[{}]: a form body (postData.params) cannot be replayed, only text",
                parsed.index
            ));
        }
        return Ok(None);
    };
    if text.is_empty() {
        return Ok(None);
    }
    Ok(Some(match serde_json::from_str(text) {
        Ok(value) => RequestBody::Json(value),
        Err(_) => RequestBody::Text {
            text: text.clone(),
            mime_type: post.mime_type.clone(),
        },
    }))
}

/// The Bayeux messages of a request or reply body (a message array, or one message).
fn bayeux_messages(value: Value) -> Option<Vec<Value>> {
    match value {
        Value::Array(messages) => Some(messages),
        message @ Value::Object(_) => Some(vec![message]),
        _ => None,
    }
}

/// A `subscription` field: one pattern or several.
fn subscriptions(message: &Value) -> Vec<String> {
    match message.get("subscription") {
        Some(Value::String(pattern)) => vec![pattern.clone()],
        Some(Value::Array(patterns)) => patterns
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// What a recorded notification is, for pairing: `channel|messageType|notificationType`.
pub fn kind_of(channel: &str, data: &Value) -> String {
    let text = |key: &str| data.get(key).and_then(Value::as_str).unwrap_or_default();
    format!(
        "{channel}|{}|{}",
        text("messageType"),
        text("notificationType")
    )
}

/// Builds the notes of a Bayeux reply, which arrived on `session`; returns its meta replies.
fn bayeux_reply(
    parsed: &Parsed<'_>,
    session: Option<&str>,
    notes: &mut Vec<RecordedNote>,
) -> Vec<Value> {
    let mut replies = Vec::new();
    for message in parsed
        .response
        .clone()
        .and_then(bayeux_messages)
        .unwrap_or_default()
    {
        let Some(name) = message.get("channel").and_then(Value::as_str) else {
            continue;
        };
        if name.starts_with("/meta/") {
            replies.push(message);
            continue;
        }
        let data = message.get("data").cloned().unwrap_or(Value::Null);
        notes.push(RecordedNote {
            entry: parsed.index,
            arrival_us: parsed.end_us,
            channel: name.to_owned(),
            kind: kind_of(name, &data),
            chat: chat_key(&data),
            data,
            session: session.map(str::to_owned),
        });
    }
    replies
}

/// The recorded CometD sessions, as the entries are planned in start order.
#[derive(Default)]
struct RecordedSessions {
    /// Every clientId a recorded handshake was given.
    issued: HashSet<String>,
    /// Per actor (group, actor), a session the server forgot (it refused a connect with
    /// `402` or advised a new handshake) whose client has not handshaken again yet.
    forgotten: HashMap<(usize, usize), String>,
    /// The clientId of a handshake made again → the session it continues.
    continued: HashMap<String, String>,
}

impl RecordedSessions {
    /// The session a recorded clientId stands for.
    fn session(&self, client: Option<&str>) -> Option<String> {
        let client = client?;
        Some(
            self.continued
                .get(client)
                .map_or(client, String::as_str)
                .to_owned(),
        )
    }
}

/// The steps of a CometD entry (its handshake, subscriptions and disconnect; connects are the
/// replay's own), and the `successful` of the reply to them; files the notifications its reply
/// carried under `actor`, and client publishes and handshakes made again under `skipped`.
/// `key` is the actor's (group, actor).
fn bayeux_actions(
    p: &Parsed<'_>,
    (actor, key): (&mut ActorPlan, (usize, usize)),
    sessions: &mut RecordedSessions,
    skipped: &mut Vec<String>,
) -> Result<(Vec<Action>, Option<bool>), String> {
    let messages = p
        .entry
        .request
        .post_data
        .as_ref()
        .and_then(|post| post.text.as_deref())
        .and_then(|text| serde_json::from_str(text).ok())
        .and_then(bayeux_messages)
        .ok_or_else(|| {
            format!(
                "entries[{}] ({}): the CometD request body is not a JSON message array",
                p.index, p.entry.request.url
            )
        })?;
    // The session a reply's notifications arrived on: its connect's (the first clientId).
    let carrier = messages
        .iter()
        .find_map(|m| m.get("clientId").and_then(Value::as_str));
    let carrier = sessions.session(carrier);
    let replies = bayeux_reply(p, carrier.as_deref(), &mut actor.notes);
    // The reply to a message: the one of its channel with its id, else of its channel.
    let reply_to = |message: &Value| {
        let same = |key: &str, reply: &&Value| reply.get(key) == message.get(key);
        let mut of_channel = replies.iter().filter(|r| same("channel", r));
        let first = of_channel.clone().next();
        of_channel.find(|r| same("id", r)).or(first)
    };
    let mut actions = Vec::new();
    let mut successful = None;
    for message in &messages {
        let channel = message
            .get("channel")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let client = message.get("clientId").and_then(Value::as_str);
        let session = sessions.session(client);
        let reply = reply_to(message);
        let answered = reply
            .and_then(|r| r.get("successful"))
            .and_then(Value::as_bool);
        let patterns = || subscriptions(message).into_iter();
        let before = actions.len();
        match channel {
            META_HANDSHAKE => {
                // Later steps of this session name it by the clientId its handshake got.
                let client = reply
                    .and_then(|r| r.get("clientId"))
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                sessions.issued.extend(client.clone());
                match (sessions.forgotten.remove(&key), client) {
                    // The client handshook again because the server forgot its session: the
                    // replay's client does that by itself when its server forgets; the session
                    // goes on under the new clientId.
                    (Some(old), Some(client)) => {
                        skipped.push(format!(
                            "entries[{}]: a handshake made again after the server forgot \
                             clientId {old}: the replay's client handshakes again by itself \
                             if its server forgets it",
                            p.index
                        ));
                        sessions.continued.insert(client, old);
                    }
                    (_, client) => actions.push(Action::Handshake { session: client }),
                }
            }
            META_SUBSCRIBE => actions.extend(patterns().map(|pattern| Action::Subscribe {
                pattern,
                session: session.clone(),
            })),
            META_UNSUBSCRIBE => actions.extend(patterns().map(|pattern| Action::Unsubscribe {
                pattern,
                session: session.clone(),
            })),
            META_DISCONNECT => actions.push(Action::Disconnect { session }),
            // Refused, for a session no recorded handshake opened: a probe. (A capture that
            // began mid-session shows connects of sessions whose handshake it lacks, but they
            // were answered successfully.)
            META_CONNECT
                if answered == Some(false)
                    && client.is_some_and(|id| !sessions.issued.contains(id)) =>
            {
                actions.push(Action::Probe {
                    message: message.clone(),
                });
            }
            // Entries are in start order: the last connect decides.
            META_CONNECT => {
                if let (Some(session), Some(reply)) = (&session, reply)
                    && answered == Some(false)
                    && forgets_client(reply)
                {
                    sessions.forgotten.insert(key, session.clone());
                }
                let listened = if p.entry.response.status > 0 {
                    Listened::Until(p.end_us)
                } else {
                    Listened::Abandoned
                };
                actor.listened.insert(session.clone(), listened);
            }
            other => {
                skipped.push(format!(
                    "entries[{}]: a message published on {other:?} (clients cannot publish on GWS)",
                    p.index
                ));
            }
        }
        if actions.len() > before && successful.is_none() {
            successful = answered;
        }
    }
    Ok((actions, successful))
}

/// Puts an actor's recorded notifications in the order it received them. Where the file lists
/// exchanges as they completed (`_gwsSeq`), that order is exact, and arrival times computed
/// from millisecond start times may contradict it (a reply that started later in the same
/// millisecond and was answered at once); they are raised to keep to it, since causality
/// looks notifications up by arrival. Otherwise arrival times decide.
fn order_notes(notes: &mut [RecordedNote], completion_ordered: bool) {
    if !completion_ordered {
        notes.sort_by_key(|n| n.arrival_us);
        return;
    }
    // Stable: a reply's notifications keep their order.
    notes.sort_by_key(|n| n.entry);
    let mut latest = i64::MIN;
    for note in notes {
        latest = latest.max(note.arrival_us);
        note.arrival_us = latest;
    }
}

/// Opens the tail of every CometD session whose last `/meta/connect` got no answer, or was
/// answered before the session ended (as far as the file's precision tells): before its
/// disconnect started or, without one, before the group's last request started. The server may
/// have queued notifications for it after that answer, which the recording never fetched (a
/// scenario's clean-up logs out while the connect loop is between two polls).
fn open_tails(group: &mut GroupPlan) {
    let mut last_start = i64::MIN;
    let mut disconnected: HashMap<(usize, Option<String>), i64> = HashMap::new();
    for step in &group.steps {
        last_start = last_start.max(step.start_us);
        if let Action::Disconnect { session } = &step.action {
            let at = disconnected
                .entry((step.actor, session.clone()))
                .or_insert(step.start_us);
            *at = (*at).max(step.start_us);
        }
    }
    for (a, actor) in group.actors.iter_mut().enumerate() {
        for (session, listened) in &actor.listened {
            let open = match *listened {
                Listened::Abandoned => true,
                Listened::Until(answered) => {
                    let key = (a, session.clone());
                    let session_end = disconnected.get(&key).copied().unwrap_or(last_start);
                    // Within the file's precision of the session's end, the answer may as well
                    // have come just before it: only a later one shows the connect was still
                    // held.
                    answered < session_end + group.precision_us
                }
            };
            if open {
                actor.open_tails.insert(session.clone());
            }
        }
    }
}

/// Marks the customer requests whose response bodies the replay compares: those that no other
/// step overlapped in the recording (within the file's precision). What a customer is shown
/// depends on what happened before its request; causality replays every step that ended
/// before it first and every step that started after it later, so only an overlapping step
/// can make the replay show another moment. Steps are in start order: an earlier step
/// overlaps when the latest end so far reaches past this start, a later one when it starts
/// before this end.
fn compare_bodies(group: &mut GroupPlan) {
    let precision = group.precision_us.max(1);
    let mut latest_end = i64::MIN;
    for index in 0..group.steps.len() {
        let step = &group.steps[index];
        let customer = group.actors[step.actor].kind == ActorKind::Customer;
        let overlapped = latest_end.saturating_add(precision) > step.start_us
            || group
                .steps
                .get(index + 1)
                .is_some_and(|next| next.start_us < step.end_us.saturating_add(precision));
        let compare = customer
            && !overlapped
            && step.recorded.status > 0
            && matches!(step.action, Action::Http { .. });
        latest_end = latest_end.max(step.end_us);
        group.steps[index].recorded.compare_body = compare;
    }
}

/// Groups and actors under construction.
#[derive(Default)]
struct Builder {
    groups: Vec<GroupPlan>,
    group_index: HashMap<String, usize>,
    actor_index: HashMap<(usize, String), usize>,
}

impl Builder {
    fn actor(&mut self, group: &str, source: &str, name: &str, kind: ActorKind) -> (usize, usize) {
        let g = *self.group_index.entry(group.to_owned()).or_insert_with(|| {
            self.groups.push(GroupPlan {
                name: group.to_owned(),
                source: source.to_owned(),
                actors: Vec::new(),
                steps: Vec::new(),
                start_us: i64::MAX,
                precision_us: 1,
            });
            self.groups.len() - 1
        });
        let actors = &mut self.groups[g].actors;
        let a = *self
            .actor_index
            .entry((g, name.to_owned()))
            .or_insert_with(|| {
                actors.push(ActorPlan {
                    name: name.to_owned(),
                    kind,
                    steps: Vec::new(),
                    notes: Vec::new(),
                    open_tails: HashSet::new(),
                    listened: HashMap::new(),
                });
                actors.len() - 1
            });
        (g, a)
    }
}

impl Plan {
    /// Reads and plans a HAR file.
    pub fn read(path: &Path) -> Result<Self, PlanError> {
        let har = Har::read(path)?;
        Self::from_har(&har, &path.display().to_string())
    }

    /// Plans a HAR document; `source` names it (in errors, and as the group of entries that
    /// name no scenario).
    pub fn from_har(har: &Har, source: &str) -> Result<Self, PlanError> {
        let mut problems = Vec::new();
        let mut parsed = Vec::new();
        let mut digits = u32::MAX;
        for (index, entry) in har.log.entries.iter().enumerate() {
            match parse(index, entry) {
                Ok((p, d)) => {
                    digits = digits.min(d);
                    parsed.push(p);
                }
                Err(problem) => problems.push(problem),
            }
        }
        if har.log.entries.is_empty() {
            problems.push("it holds no entries".to_owned());
        }
        // `_gwsSeq` orders requests by start exactly; otherwise the start times do, ties in
        // file order (devtools list entries by start).
        if parsed.iter().all(|p| p.entry.gws_seq.is_some()) {
            parsed.sort_by_key(|p| p.seq);
        } else {
            parsed.sort_by_key(|p| (p.start_us, p.index));
            for (seq, p) in parsed.iter_mut().enumerate() {
                p.seq = seq as u64;
            }
        }
        let precision_us = 10i64.pow(6u32.saturating_sub(digits.min(6)));
        let completion_ordered = parsed.iter().all(|p| p.entry.gws_seq.is_some());
        let names = name_actors(&parsed);
        let group_default = Path::new(source)
            .file_name()
            .map_or_else(|| source.to_owned(), |n| n.to_string_lossy().into_owned());
        let mut builder = Builder::default();
        let mut skipped = Vec::new();
        let mut sessions = RecordedSessions::default();
        for (p, (name, kind)) in parsed.iter().zip(names) {
            let group = p.entry.gws_scenario.as_deref().unwrap_or(&group_default);
            let (g, a) = builder.actor(group, source, &name, kind);
            let actor = &mut builder.groups[g].actors[a];
            if let ActorKind::User { recorded, .. } = &mut actor.kind
                && recorded.is_none()
            {
                *recorded = basic_user(p.entry).or_else(|| me_user_name(p));
            }
            let planned = if p.entry.is_bayeux() {
                bayeux_actions(p, (actor, (g, a)), &mut sessions, &mut skipped)
            } else {
                request_body(p).map(|body| {
                    let action = Action::Http {
                        method: p.entry.request.method.to_ascii_uppercase(),
                        target: p.target.clone(),
                        origin: p.origin.clone(),
                        body,
                    };
                    (vec![action], None)
                })
            };
            let (actions, successful) = match planned {
                Ok(planned) => planned,
                Err(problem) => {
                    problems.push(problem);
                    continue;
                }
            };
            let group = &mut builder.groups[g];
            group.start_us = group.start_us.min(p.start_us);
            group.precision_us = precision_us;
            for action in actions {
                group.actors[a].steps.push(group.steps.len());
                group.steps.push(Step {
                    actor: a,
                    entry: p.index,
                    seq: p.seq,
                    start_us: p.start_us,
                    end_us: p.end_us,
                    done_rank: completion_ordered.then_some(p.index),
                    action,
                    recorded: Recorded {
                        status: p.entry.response.status,
                        body: p.response.clone(),
                        successful,
                        compare_body: false,
                    },
                    deps: Vec::new(),
                });
            }
        }
        let mut groups = builder.groups;
        groups.retain(|g| !g.steps.is_empty());
        if groups.is_empty() && problems.is_empty() {
            problems.push("it holds no request to replay".to_owned());
        }
        if !problems.is_empty() {
            return Err(PlanError::Entries {
                file: source.to_owned(),
                problems,
            });
        }
        for group in &mut groups {
            open_tails(group);
            compare_bodies(group);
            for actor in &mut group.actors {
                order_notes(&mut actor.notes, completion_ordered);
            }
            causality::link(group, OrderBy::Footprint);
        }
        groups.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Self {
            groups,
            skipped,
            caution: caution(har, source),
        })
    }

    /// Orders the steps of different actors as `order` says (planning orders them by
    /// footprint).
    pub fn order_by(&mut self, order: OrderBy) {
        for group in &mut self.groups {
            causality::link(group, order);
        }
    }

    /// Decides which profile user each agent or supervisor logs in as: an alias given for its
    /// name or recorded user (`--user RECORDED=PROFILE`), else its recorded user name, else its
    /// name, whichever the profile has; every actor that cannot be settled is one problem.
    pub fn resolve_users(
        &mut self,
        profile: &Profile,
        aliases: &[(String, String)],
    ) -> Result<(), Vec<String>> {
        let alias = |name: &str| {
            aliases
                .iter()
                .find(|(recorded, _)| recorded == name)
                .map(|(_, user)| user.clone())
        };
        let mut problems = Vec::new();
        for group in &mut self.groups {
            for actor in &mut group.actors {
                let ActorKind::User { recorded, login } = &mut actor.kind else {
                    continue;
                };
                let known = |name: &String| profile.users.contains_key(name);
                let chosen = alias(&actor.name)
                    .or_else(|| recorded.as_deref().and_then(alias))
                    .or_else(|| recorded.clone().filter(known))
                    .or_else(|| Some(actor.name.clone()).filter(known));
                let where_ = format!("actor `{}` of {}", actor.name, group.name);
                match (chosen, recorded.as_deref()) {
                    (Some(user), _) => match profile.credentials(&user) {
                        Ok(_) => *login = Some(user),
                        Err(e) => problems.push(format!("{where_}: {e}")),
                    },
                    (None, Some(user)) => problems.push(format!(
                        "{where_} logged in as `{user}`, who is not in the profile; add the user \
                         to the profile or map it to one: --user {user}=NAME"
                    )),
                    (None, None) => problems.push(format!(
                        "{where_}: the capture does not say which user it is (no readable \
                         credentials, no GET /api/v2/me with a userName); map it to a profile \
                         user: --user {}=NAME",
                        actor.name
                    )),
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}
