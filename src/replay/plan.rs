//! From a HAR file to what replay will do: groups of actors (one per recorded scenario, or the
//! whole capture when it names none), each actor's ordered steps (REST requests, and the Bayeux
//! handshakes, subscriptions and disconnects it made), and the notifications each actor received
//! in the recording (the messages of every Bayeux reply, `/meta/connect` above all).
//!
//! Who made a request: the `_gwsActor` field when present (`run --record`, `proxy`), else as
//! the private `naming` module guesses it. Which profile user an actor logs in as is settled by
//! [`Plan::resolve_users`].
//!
//! Files are read one entry at a time, each kept as the private `entry` module reads it, so
//! planning never holds a whole HAR document; what the recording got back (notifications,
//! response bodies) is kept within a memory budget, the rest as text in a temporary file
//! ([`Store`](super::script::Store)), and moves into the plan as it is built.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::causality::{self, OrderBy};
use super::entry::{Entries, Exchange, Note, Parsed};
use super::naming::{name_actors, parties, shown_user};
use super::protocol::forgets_client;
use super::script::{
    Action, ActorKind, ActorPlan, Authentication, GroupPlan, JsonText, Listened, Plan, Recorded,
    RecordedNote, Sources, Step,
};
use crate::bayeux::{
    META_CONNECT, META_DISCONNECT, META_HANDSHAKE, META_SUBSCRIBE, META_UNSUBSCRIBE,
};
use crate::driver::format_duration;
use crate::har::Har;
use crate::har::read::each_entry_of;
use crate::profile::Profile;

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

/// Where a CometD entry's reply arrived: the entry, when the reply ended, and whether one
/// did (status > 0).
#[derive(Clone, Copy)]
struct Arrival {
    entry: usize,
    end_us: i64,
    answered: bool,
}

/// Files the notifications of a CometD reply, which arrived on `session`, in `notes`.
fn file_notes(
    arrived: Arrival,
    session: Option<&str>,
    carried: Vec<Note>,
    notes: &mut Vec<RecordedNote>,
) {
    let session: Option<Arc<str>> = session.map(Arc::from);
    notes.extend(carried.into_iter().map(|note| RecordedNote {
        entry: arrived.entry,
        arrival_us: arrived.end_us,
        channel: note.channel,
        data: note.data,
        kind: note.kind,
        chat: note.chat,
        session: session.clone(),
    }));
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
/// replay's own) from the messages it sent and the meta `replies` it got, and the `successful`
/// of the reply to them; files the notifications its reply `carried` under `actor`, and client
/// publishes and handshakes made again under `skipped` (`label` names the entry). `key` is the
/// actor's (group, actor).
fn bayeux_actions(
    (messages, replies, carried): (&[Value], &[Value], Vec<Note>),
    (arrived, label): (Arrival, &dyn Fn() -> String),
    (actor, key): (&mut ActorPlan, (usize, usize)),
    sessions: &mut RecordedSessions,
    skipped: &mut Vec<String>,
) -> (Vec<Action>, Option<bool>) {
    // The session a reply's notifications arrived on: its connect's (the first clientId).
    let carrier = messages
        .iter()
        .find_map(|m| m.get("clientId").and_then(Value::as_str));
    let carrier = sessions.session(carrier);
    file_notes(arrived, carrier.as_deref(), carried, &mut actor.notes);
    // The reply to a message: the one of its channel with its id, else of its channel.
    let reply_to = |message: &Value| {
        let same = |key: &str, reply: &&Value| reply.get(key) == message.get(key);
        let mut of_channel = replies.iter().filter(|r| same("channel", r));
        let first = of_channel.clone().next();
        of_channel.find(|r| same("id", r)).or(first)
    };
    let mut actions = Vec::new();
    let mut successful = None;
    for message in messages {
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
                            "{}: a handshake made again after the server forgot clientId \
                             {old}: the replay's client handshakes again by itself if its \
                             server forgets it",
                            label()
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
                let listened = if arrived.answered {
                    Listened::Until(arrived.end_us)
                } else {
                    Listened::Abandoned
                };
                actor.listened.insert(session.clone(), listened);
            }
            other => {
                skipped.push(format!(
                    "{}: a message published on {other:?} (clients cannot publish on GWS)",
                    label()
                ));
            }
        }
        if actions.len() > before && successful.is_none() {
            successful = answered;
        }
    }
    (actions, successful)
}

/// Where each entry (by index in `log.entries`) stands in the order the recording's exchanges
/// completed, when the file says: `run --record` and the proxy write entries as they complete
/// (with `_gwsSeq`), an order that is exact where end times computed from millisecond start
/// times are not (a reply that started later in the same millisecond and was answered at once
/// seems to end first). The file's order is trusted only while the recorded times agree with it
/// within the file's precision; a file whose entries were moved (sorted, merged, edited) is
/// ordered by its times, the file's order breaking ties. Only for one recorder's file (every
/// entry has `_gwsSeq`); others (devtools exports list entries by start, several files) say
/// nothing of it, and arrival times decide.
fn completion_ranks(parsed: &[Parsed], precision_us: i64) -> Vec<usize> {
    let mut by_file: Vec<&Parsed> = parsed.iter().collect();
    by_file.sort_by_key(|p| p.index);
    let mut latest_end = i64::MIN;
    let file_order_holds = by_file.iter().all(|p| {
        let holds = p.end_us.saturating_add(precision_us) > latest_end;
        latest_end = latest_end.max(p.end_us);
        holds
    });
    if !file_order_holds {
        by_file.sort_by_key(|p| (p.end_us, p.index));
    }
    let size = parsed.iter().map(|p| p.index + 1).max().unwrap_or(0);
    let mut ranks = vec![0; size];
    for (rank, p) in by_file.iter().enumerate() {
        ranks[p.index] = rank;
    }
    ranks
}

/// Puts an actor's recorded notifications in the order it received them: the order their
/// replies completed when the file says ([`completion_ranks`]), arrival times otherwise. Arrival
/// times that contradict the completion order are raised to keep to it, since causality looks
/// notifications up by arrival.
fn order_notes(notes: &mut [RecordedNote], completion: Option<&[usize]>) {
    let Some(ranks) = completion else {
        notes.sort_by_key(|n| n.arrival_us);
        return;
    };
    // Stable: a reply's notifications keep their order.
    notes.sort_by_key(|n| ranks.get(n.entry).copied().unwrap_or(usize::MAX));
    let mut latest = i64::MIN;
    for note in notes {
        latest = latest.max(note.arrival_us);
        note.arrival_us = latest;
    }
}

/// Sets each step's [`Step::pace_us`]: its offset from the group's start, with each gap between
/// two consecutive starts longer than `max_gap_us` cut to it; says where it cut.
fn cut_gaps(group: &mut GroupPlan, max_gap_us: i64) -> Vec<String> {
    let mut cuts = Vec::new();
    let (mut previous_start, mut pace) = (group.start_us, 0i64);
    for step in &mut group.steps {
        let gap = step.start_us.saturating_sub(previous_start).max(0);
        if gap > max_gap_us {
            cuts.push(format!(
                "{}: the recording is silent for {} before {}; replayed as {}",
                group.name,
                format_duration(Duration::from_micros(gap.unsigned_abs())),
                group.sources.label(step.entry),
                format_duration(Duration::from_micros(max_gap_us.unsigned_abs())),
            ));
        }
        pace = pace.saturating_add(gap.min(max_gap_us));
        step.pace_us = pace;
        previous_start = previous_start.max(step.start_us);
    }
    cuts
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

/// `items`, front first, the vector's memory given back as it empties: a large capture's
/// entries move into the plan one by one, and holding every one until the last is planned
/// would nearly double what planning takes.
fn consumed<T>(mut items: Vec<T>) -> impl Iterator<Item = T> {
    items.reverse();
    std::iter::from_fn(move || {
        let item = items.pop();
        // Halving each time: every item is moved once more at most.
        if items.capacity() / 2 > items.len().max(1024) {
            items.shrink_to_fit();
        }
        item
    })
}

/// Groups and actors under construction.
#[derive(Default)]
struct Builder {
    /// The capture's file names, for every group.
    source: String,
    sources: Sources,
    groups: Vec<GroupPlan>,
    group_index: HashMap<String, usize>,
    actor_index: HashMap<(usize, String), usize>,
}

impl Builder {
    fn actor(&mut self, group: &str, name: &str, kind: ActorKind) -> (usize, usize) {
        let g = *self.group_index.entry(group.to_owned()).or_insert_with(|| {
            self.groups.push(GroupPlan {
                name: group.to_owned(),
                source: self.source.clone(),
                sources: self.sources.clone(),
                actors: Vec::new(),
                steps: Vec::new(),
                start_us: i64::MAX,
                precision_us: 1,
                caution: None,
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
        Self::read_files(std::slice::from_ref(&path.to_path_buf()))
    }

    /// Reads and plans the HAR files of one capture (see [`Plan::from_hars`]), one entry at a
    /// time.
    pub fn read_files(paths: &[PathBuf]) -> Result<Self, PlanError> {
        let mut entries = Entries::new();
        for path in paths {
            entries.begin(&path.display().to_string());
            let head = each_entry_of(path, |entry| entries.add(&entry))?;
            entries.end(&head);
        }
        Self::from_entries(entries)
    }

    /// Plans a HAR document; `source` names it (in errors, and as the group of entries that
    /// name no scenario).
    pub fn from_har(har: &Har, source: &str) -> Result<Self, PlanError> {
        Self::from_hars(&[(har, source)])
    }

    /// Plans the HAR documents of one capture, each with the name it goes by. Several files
    /// are one capture, their entries merged by recorded time: each file whose entries name
    /// no actor (`_gwsActor`) is one party, as a browser's export is (`naming`).
    pub fn from_hars(files: &[(&Har, &str)]) -> Result<Self, PlanError> {
        let mut entries = Entries::new();
        for (har, name) in files {
            entries.begin(name);
            har.log.entries.iter().for_each(|entry| entries.add(entry));
            entries.end(har);
        }
        Self::from_entries(entries)
    }

    /// Plans a capture's entries, as read.
    fn from_entries(read: Entries) -> Result<Self, PlanError> {
        let Entries {
            mut parsed,
            mut problems,
            digits,
            sources,
            outside_api,
            names: files,
            cautions,
            notes,
            mut store,
            ..
        } = read;
        let source = files.join(", ");
        // `_gwsSeq` orders one recorder's requests by start exactly; otherwise the start times
        // do, ties in file order (devtools list entries by start).
        let one_recorder = files.len() == 1 && parsed.iter().all(|p| p.sequenced);
        if one_recorder {
            parsed.sort_by_key(|p| p.seq);
        } else {
            parsed.sort_by_key(|p| (p.start_us, p.index));
            for (seq, p) in parsed.iter_mut().enumerate() {
                p.seq = seq as u64;
            }
        }
        let precision_us = 10i64.pow(6u32.saturating_sub(digits.min(6)));
        let completion = one_recorder.then(|| completion_ranks(&parsed, precision_us));
        let parties = (files.len() > 1).then(|| parties(&parsed, &sources, files.len()));
        let names = name_actors(&parsed, parties.as_deref());
        let group_default = sources.names();
        let mut builder = Builder {
            source: source.clone(),
            sources: sources.clone(),
            ..Builder::default()
        };
        let mut skipped = Vec::new();
        if outside_api > 0 {
            skipped.push(format!(
                "{outside_api} request(s) outside the GWS API (/api/…): pages, scripts, images"
            ));
        }
        let mut sessions = RecordedSessions::default();
        for (p, (name, kind)) in consumed(parsed).zip(consumed(names)) {
            let group = p.scenario.as_deref().unwrap_or(&group_default);
            let (g, a) = builder.actor(group, &name, kind);
            let actor = &mut builder.groups[g].actors[a];
            if let ActorKind::User { recorded, .. } = &mut actor.kind
                && recorded.is_none()
            {
                *recorded = shown_user(&p);
            }
            let Parsed {
                index,
                seq,
                start_us,
                end_us,
                status,
                method,
                origin,
                target,
                exchange,
                ..
            } = p;
            let (actions, successful, body) = match exchange {
                Exchange::Rest {
                    body,
                    response,
                    authentication,
                } => {
                    let action = Action::Http {
                        method: method.to_ascii_uppercase(),
                        target,
                        origin: origin.to_string(),
                        body,
                        authentication,
                    };
                    (vec![action], None, response)
                }
                Exchange::Bayeux {
                    messages,
                    replies,
                    notes,
                } => {
                    let arrived = Arrival {
                        entry: index,
                        end_us,
                        answered: status > 0,
                    };
                    let label = || sources.label(index);
                    let array = |text: JsonText| match Arc::unwrap_or_clone(text.parse()) {
                        Value::Array(values) => values,
                        _ => Vec::new(),
                    };
                    let (messages, replies) = (array(messages), array(replies));
                    let (actions, successful) = bayeux_actions(
                        (&messages, &replies, notes),
                        (arrived, &label),
                        (actor, (g, a)),
                        &mut sessions,
                        &mut skipped,
                    );
                    // What a probe's refusal is compared with; the notifications are the
                    // actor's notes.
                    let body = (!actions.is_empty()).then(|| store.keep(Value::Array(replies)));
                    (actions, successful, body)
                }
            };
            let group = &mut builder.groups[g];
            group.start_us = group.start_us.min(start_us);
            group.precision_us = precision_us;
            for action in actions {
                group.actors[a].steps.push(group.steps.len());
                group.steps.push(Step {
                    actor: a,
                    entry: index,
                    seq,
                    start_us,
                    end_us,
                    done_rank: completion.as_ref().map(|ranks| ranks[index]),
                    pace_us: 0, // set once the group's start is known
                    action,
                    recorded: Recorded {
                        status,
                        body: body.clone(),
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
                file: source,
                problems,
            });
        }
        let caution = (!cautions.is_empty()).then(|| cautions.join("; "));
        for group in &mut groups {
            group.caution.clone_from(&caution);
            cut_gaps(group, i64::MAX);
            open_tails(group);
            compare_bodies(group);
            for actor in &mut group.actors {
                order_notes(&mut actor.notes, completion.as_deref());
            }
            causality::link(group, OrderBy::Footprint);
            // Built by pushing: what was reserved beyond the end would stay unused.
            group.steps.shrink_to_fit();
            for actor in &mut group.actors {
                actor.notes.shrink_to_fit();
                actor.steps.shrink_to_fit();
            }
        }
        groups.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Self {
            groups,
            skipped,
            notes,
        })
    }

    /// Cuts every gap between two recorded starts longer than `max_gap` to it, for a replay
    /// at recorded pace (a capture left running overnight, or one entry dated far away, would
    /// otherwise wait that long); adds a note for each cut.
    pub fn cut_gaps(&mut self, max_gap: Duration) {
        let max_gap_us = i64::try_from(max_gap.as_micros()).unwrap_or(i64::MAX);
        for group in &mut self.groups {
            self.notes.extend(cut_gaps(group, max_gap_us));
        }
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
    /// name, whichever the profile has; every actor that cannot be settled is one problem. An
    /// actor whose every request was refused as unauthenticated needs no user.
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
            // An actor whose every request the recording saw refused as unauthenticated
            // logs in as nobody.
            let refused_only: Vec<bool> = group
                .actors
                .iter()
                .map(|actor| {
                    actor.steps.iter().all(|&step| {
                        matches!(&group.steps[step].action, Action::Http { authentication, .. }
                            if *authentication != Authentication::Actor)
                    })
                })
                .collect();
            for (actor, refused_only) in group.actors.iter_mut().zip(refused_only) {
                let ActorKind::User { recorded, login } = &mut actor.kind else {
                    continue;
                };
                if refused_only {
                    continue;
                }
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
