//! The replay script: what a replay of one capture does, as the `plan` module builds it
//! from the HAR file and the engine runs it. Groups of actors (one per recorded scenario, or the
//! whole capture when it names none), each actor's steps (REST requests, and the Bayeux
//! handshakes, subscriptions and disconnects it made) with what each waits for, and the
//! notifications each actor received in the recording. Data only: this module depends on no
//! other part of replay.
//!
//! What the recording got back (response bodies, notifications) is most of a capture, and a
//! parsed [`Value`] takes several times its text: beyond a budget, it is kept as compact text
//! ([`JsonText`]), in a temporary file where it can be ([`Store`]), parsed when a replay needs
//! it.

mod text;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::Value;

pub use text::{JsonText, Store};

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
    /// JSON (ids in it are remapped), as text: parsed each time it is sent.
    Json(JsonText),
    /// Anything else, sent as recorded, with its content type.
    Text {
        /// The body.
        text: String,
        /// Its `Content-Type`.
        mime_type: String,
    },
}

/// How a REST step authenticates in the replay.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Authentication {
    /// As its actor: the profile's credentials and the actor's own session cookie.
    #[default]
    Actor,
    /// The recording's request carried credentials and was refused as unauthenticated (HTTP
    /// 401): the replay sends credentials no target accepts (a user name that does not exist,
    /// so no real account is locked by failed logins), without the actor's cookies.
    Refused,
    /// The recording's request carried no credentials and was refused (HTTP 401): the replay
    /// sends none, and no cookies.
    Anonymous,
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
        /// How it authenticates.
        authentication: Authentication,
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
    /// (the `protocol` module's `probe_difference`).
    Probe {
        /// The message.
        message: Value,
    },
}

impl Action {
    /// The `operationName` its JSON body sends, if it sends one.
    pub fn operation(&self) -> Option<String> {
        let Action::Http {
            body: Some(RequestBody::Json(body)),
            ..
        } = self
        else {
            return None;
        };
        Some(body.parse().get("operationName")?.as_str()?.to_owned())
    }

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
    /// The response body, when it was JSON (for a CometD step, the meta replies: the
    /// notifications the reply carried are its actor's [`RecordedNote`]s).
    pub body: Option<JsonText>,
    /// For a Bayeux step: the `successful` of its meta reply.
    pub successful: Option<bool>,
    /// Whether the replayed body must say what this one says (ids remapped, times reduced to
    /// their shape): a customer's response (customers have no notifications: what they are
    /// shown is in these bodies) to a request no other exchange overlapped in the recording,
    /// so that the state it shows is the one the replay reproduces (`compare_bodies`).
    pub compare_body: bool,
}

impl Recorded {
    /// The response body, parsed ([`JsonText::value`]).
    pub fn body(&self) -> Option<Arc<Value>> {
        self.body.as_ref().map(JsonText::value)
    }
}

/// What a step waits for before it is sent (decided by the `causality` module).
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
    /// When a replay at recorded pace sends it, microseconds after the group's start: its
    /// recorded offset, with every gap between two recorded starts longer than the longest
    /// gap allowed cut to it (`Plan::cut_gaps`).
    pub pace_us: i64,
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
    /// The Bayeux channel (shared: a capture has few; so are `kind` and `session`).
    pub channel: Arc<str>,
    /// The message's `data`.
    pub data: JsonText,
    /// `channel|messageType|notificationType`: only notifications of one kind are paired.
    pub kind: Arc<str>,
    /// The chat it is about, if any.
    pub chat: Option<String>,
    /// The CometD session (recorded `clientId`, as [`Action::Handshake`] names it) it arrived
    /// on: only what the replay's counterpart of that session receives is paired with it.
    pub session: Option<Arc<str>>,
}

impl RecordedNote {
    /// The message's `data`, parsed ([`JsonText::value`]).
    pub fn data(&self) -> Arc<Value> {
        self.data.value()
    }
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

/// The files a capture was read from, in order, so an entry (by its index among all their
/// entries) is named as its reader knows it: `entries[3]`, or `agent.har entries[3]` when there
/// are several.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sources {
    /// Each file's name and the index of its first entry.
    files: Vec<(String, usize)>,
}

impl Sources {
    /// Adds a file whose entries start at index `first`.
    pub fn push(&mut self, name: &str, first: usize) {
        self.files.push((name.to_owned(), first));
    }

    /// How messages name entry `index`.
    pub fn label(&self, index: usize) -> String {
        match self.files.iter().rev().find(|(_, first)| *first <= index) {
            Some((name, first)) if self.files.len() > 1 => {
                format!("{name} entries[{}]", index - first)
            }
            _ => format!("entries[{index}]"),
        }
    }

    /// File `file`'s name without its extension (`agent` for `agent.har`).
    pub fn stem(&self, file: usize) -> String {
        let name = self.files.get(file).map_or("", |(name, _)| name.as_str());
        name.rsplit_once('.')
            .map_or(name, |(stem, _)| stem)
            .to_owned()
    }

    /// The files' names, joined: what a group that names no scenario is called.
    pub fn names(&self) -> String {
        let names: Vec<&str> = self.files.iter().map(|(name, _)| name.as_str()).collect();
        names.join(" + ")
    }
}

/// Actors replayed together against one target: a recorded scenario, or a whole capture.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupPlan {
    /// The scenario's name, or the file's (the files' when a capture is several).
    pub name: String,
    /// The HAR file (files).
    pub source: String,
    /// The capture's files, to name entries.
    pub sources: Sources,
    /// Its actors, in order of first appearance.
    pub actors: Vec<ActorPlan>,
    /// Every step of every actor, in start order.
    pub steps: Vec<Step>,
    /// When the first step started, microseconds since the epoch.
    pub start_us: i64,
    /// How finely the file's start times are written, in microseconds (1,000 for milliseconds).
    pub precision_us: i64,
    /// Why the capture may lack exchanges, when its recorder said so (`_gwsStatus`): the
    /// differences a replay finds may then be only the recording's gaps. Reported with the
    /// group's findings (INFO).
    pub caution: Option<String>,
}

impl GroupPlan {
    /// How many notifications the recording holds for every actor together.
    pub fn notes(&self) -> usize {
        self.actors.iter().map(|a| a.notes.len()).sum()
    }

    /// Drops the parsed bodies and notifications a replay of the group kept
    /// ([`JsonText::forget`]): once it is done, only their text is needed.
    pub fn forget_parsed(&self) {
        let notes = self.actors.iter().flat_map(|actor| &actor.notes);
        notes.for_each(|note| note.data.forget());
        let bodies = self
            .steps
            .iter()
            .filter_map(|step| step.recorded.body.as_ref());
        bodies.for_each(JsonText::forget);
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
    /// What reading and planning changed in what the file says, for the user to know (lone
    /// surrogates read as U+FFFD, long gaps cut).
    pub notes: Vec<String>,
}

/// How [`kind_of`] spells a chat's log entries (a MessageLogUpdated).
pub const LOG_KIND: &str = "|MessageLogUpdated|";

/// What a recorded notification is, for pairing: `channel|messageType|notificationType`.
pub fn kind_of(channel: &str, data: &Value) -> String {
    let text = |key: &str| data.get(key).and_then(Value::as_str).unwrap_or_default();
    format!(
        "{channel}|{}|{}",
        text("messageType"),
        text("notificationType")
    )
}

#[cfg(test)]
impl Step {
    /// A step for tests: `actor`'s request number `seq`, begun and ended at `span`, a `POST`
    /// to `target` with no body.
    pub fn for_tests(actor: usize, seq: u64, span: (i64, i64), target: &str) -> Self {
        Self {
            actor,
            entry: seq as usize,
            seq,
            start_us: span.0,
            end_us: span.1,
            done_rank: None,
            pace_us: span.0,
            action: Action::Http {
                method: "POST".into(),
                target: target.into(),
                origin: "http://h".into(),
                body: None,
                authentication: Default::default(),
            },
            recorded: Recorded::default(),
            deps: Vec::new(),
        }
    }

    /// [`Step::for_tests`] sending chat operation `op`, or a `GET` without one.
    pub fn operation_for_tests(
        actor: usize,
        seq: u64,
        span: (i64, i64),
        target: &str,
        op: Option<&str>,
    ) -> Self {
        let mut step = Self::for_tests(actor, seq, span, target);
        if let Action::Http { method, body, .. } = &mut step.action {
            match op {
                Some(op) => {
                    let operation = serde_json::json!({"operationName": op});
                    *body = Some(RequestBody::Json(operation.into()));
                }
                None => *method = "GET".into(),
            }
        }
        step
    }
}

#[cfg(test)]
impl GroupPlan {
    /// A group `g` for tests: actor `i` is `a{i}`, a `kinds[i]` that received `notes[i]`, with
    /// the steps that name it, in order.
    pub fn for_tests(
        kinds: Vec<ActorKind>,
        notes: Vec<Vec<RecordedNote>>,
        steps: Vec<Step>,
        precision_us: i64,
    ) -> Self {
        let actors = kinds
            .into_iter()
            .zip(notes)
            .enumerate()
            .map(|(a, (kind, notes))| ActorPlan {
                name: format!("a{a}"),
                kind,
                steps: (0..steps.len()).filter(|&s| steps[s].actor == a).collect(),
                notes,
                open_tails: Default::default(),
                listened: Default::default(),
            })
            .collect();
        Self {
            name: "g".into(),
            source: "g.har".into(),
            sources: Sources::default(),
            actors,
            steps,
            start_us: 0,
            precision_us,
            caution: None,
        }
    }
}
