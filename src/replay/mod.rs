//! Replay of a HAR capture (from `run --record`, from the recording proxy, or exported by a
//! browser's devtools) against a target, with the notifications each actor receives compared
//! to the recorded ones.
//!
//! Data flows one way, each module using only those listed before it:
//!
//! - [`script`]: the data of a replay, groups of actors and their steps, and what each received;
//! - [`indexes`]: recorded message indexes → the target's, per chat;
//! - [`remap`]: recorded ids → the target's ids, learned from responses and notifications;
//! - [`scopes`]: those pairs per party, as the target's id model may differ from the recording's;
//! - [`protocol`]: what recorded Bayeux replies say (a refusal, a forgotten client);
//! - the private `entry`: one HAR entry's timing, URL and JSON response, read for planning;
//! - the private `naming`: who made a request, when the capture does not say;
//! - [`footprint`]: what server state each step touches, so only steps that could affect each
//!   other are ordered;
//! - the private `join_delivery`: participants lists a server may skip, as it may show those
//!   who join on an Accept in the Accept's own list;
//! - the private `timeline`: when the requests that change each chat began in the recording;
//! - the private `switch_log`: which log entries a mode switch may have added, whatever they
//!   say;
//! - [`optional`]: notifications the documents let a server send or leave out;
//! - the private `conflicts`: which earlier steps of other actors a step must follow, found
//!   without looking at every actor;
//! - [`causality`]: what each step waits for, and the live progress it waits on;
//! - [`plan`]: reading a HAR file into a [`Plan`] (using all of the above);
//! - [`meaning`]: what two conforming servers may do differently, taken out before comparing;
//! - [`order`]: which orders of a party's notifications the documents fix;
//! - [`compare`]: pairing received notifications with recorded ones, and the verdict;
//! - this module: the engine, [`replay_group`], which runs one group's actors at once against
//!   one target (each actor: the private `actor` module) and turns what happened into the
//!   [`RunEvent`]s every reporter reads.
//!
//! Each actor is an [`HttpActor`](crate::driver::http::HttpActor) (Basic credentials from
//! the profile, or the profile's `ContactCenterId` for customers; its own cookie store, so
//! session cookies are the target's) and, once its recording handshakes, a
//! [`BayeuxClient`](crate::driver::bayeux::BayeuxClient) whose own connect loop receives the
//! notifications: recorded `/meta/connect` requests are never sent, and recorded headers
//! (credentials, cookies, CSRF tokens: redacted anyway) are not replayed.

mod actor;
pub mod batching;
pub mod causality;
pub mod compare;
mod conflicts;
mod entry;
pub mod footprint;
pub mod indexes;
mod join_delivery;
pub mod meaning;
mod naming;
pub mod optional;
pub mod order;
pub mod plan;
pub mod protocol;
pub mod remap;
pub mod scopes;
pub mod script;
mod switch_log;
mod timeline;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::watch;
use tokio::task::{self, JoinError, JoinHandle, JoinSet};

pub use plan::PlanError;
pub use script::{GroupPlan, Plan};

use crate::check::bayeux as bayeux_check;
use crate::check::index_order::IndexOrder;
use crate::check::schema::SchemaSet;
use crate::check::{Finding, Verdict};
use crate::driver::bayeux::{BayeuxConfig, Inbox, SessionEvent};
use crate::driver::format_duration;
use crate::driver::http::Body;
use crate::driver::route::Route;
use crate::event::{Outcome, RunEvent};
use crate::profile::Profile;
use crate::run::{ScenarioRun, Stop, StopCause};
use crate::spec::Catalogue;
use crate::trial::Subject;
use crate::verdict::attribution::attribute;
use actor::{ActorRun, replay_finding, run_actor};
use causality::Progress;
use compare::{Matcher, REQUIREMENT};
use optional::Leeway;
use remap::Remap;
use scopes::PartyRemaps;
use script::{ActorKind, Dep, Step, Store};
use timeline::Timeline;

/// After the last step, how long a replay still connected keeps listening for notifications
/// the recording did not have.
pub const QUIET: Duration = Duration::from_millis(200);

/// How a replay paces its requests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pace {
    /// The recorded gaps, divided by `speed` (2.0 replays twice as fast).
    Recorded {
        /// The speed-up factor, positive.
        speed: f64,
    },
    /// Each request as soon as what it depends on has happened.
    AsFastAsPossible,
}

/// Everything a replay needs to know about the target.
#[derive(Debug, Clone)]
pub struct ReplayContext {
    /// The target's base URL (`http://host:port`): recorded paths are sent there.
    pub base_url: String,
    /// Credentials and `ContactCenterId`.
    pub profile: Profile,
    /// Pacing.
    pub pace: Pace,
    /// How long a step may wait for what it depends on (a notification, another actor's
    /// request); also how long the replay waits at the end for recorded notifications.
    pub deadline: Duration,
    /// Deadline of each HTTP request.
    pub request_timeout: Duration,
    /// Bayeux client settings.
    pub bayeux: BayeuxConfig,
    /// The way to the target (directly, or through a proxy).
    pub route: Route,
    /// How long a group may run beyond its recorded length at this pace before it is halted
    /// (a target that stopped answering must not hold a replay forever).
    pub group_timeout: Duration,
    /// The whole replay's stop request (Ctrl-C): running groups halt where they are.
    pub stop: Stop,
    /// Whether the events list every exchange and notification (only the JSON and HTML
    /// reports read them; for a large capture they are most of it again, parsed).
    pub traffic: bool,
    /// Every step replayed counts here, for the live progress line.
    pub steps_done: Arc<AtomicU64>,
}

impl ReplayContext {
    /// A context for replaying against `base_url` as `profile`'s users: as fast as possible,
    /// ten seconds for a dependency and a request, a minute's grace per group, directly, never
    /// stopped from outside. The fields are public: change what a replay needs otherwise.
    pub fn new(base_url: String, profile: Profile) -> Self {
        Self {
            base_url,
            profile,
            pace: Pace::AsFastAsPossible,
            deadline: Duration::from_secs(10),
            request_timeout: Duration::from_secs(10),
            bayeux: BayeuxConfig::default(),
            route: Route::default(),
            group_timeout: Duration::from_secs(60),
            stop: Stop::new(),
            traffic: true,
            steps_done: Arc::default(),
        }
    }
}

/// Why a group's replay halted before its end.
#[derive(Debug, Clone)]
enum Halt {
    /// It ran past its deadline, this long after it started.
    Deadline(Duration),
    /// The whole replay was asked to stop.
    Stopped(StopCause),
}

impl Subject for GroupPlan {
    fn name(&self) -> &str {
        &self.name
    }

    fn file(&self) -> String {
        self.source.clone()
    }

    fn covers(&self) -> &[String] {
        &[]
    }

    fn step_location(&self, step: usize) -> Option<String> {
        let s = self.steps.get(step)?;
        let actor = self.actors.get(s.actor)?;
        let nth = actor.steps.binary_search(&step).ok()? + 1;
        Some(format!(
            " ({}'s step {nth}: {}, {})",
            actor.name,
            s.action.describe(),
            self.sources.label(s.entry)
        ))
    }

    fn step_count(&self) -> usize {
        self.steps.len()
    }
}

/// What every actor task of a group shares.
struct Shared {
    group: Arc<GroupPlan>,
    ctx: ReplayContext,
    remap: Mutex<PartyRemaps>,
    progress: Progress,
    /// When the recording's requests about each chat began.
    timeline: Arc<Timeline>,
    matchers: Vec<Mutex<Matcher>>,
    /// Where what the actors receive is kept until the comparison: parsed within a budget,
    /// the rest as text in a temporary file (a long group receives a capture's worth).
    received: Mutex<Store>,
    /// Whether any request got a response: if none did, the target was unreachable.
    reached: AtomicBool,
    started: Instant,
    stop: watch::Sender<bool>,
    /// Set once the group halts; every actor leaves its steps then.
    halt: watch::Sender<Option<Halt>>,
}

impl Shared {
    fn remap(&self) -> MutexGuard<'_, PartyRemaps> {
        self.remap.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// When a replay at recorded pace sends `step` (`None`: at once, or an offset beyond any
    /// clock, which an absurd speed gives: no reason to panic).
    fn paced_start(&self, step: &Step) -> Option<Instant> {
        let Pace::Recorded { speed } = self.ctx.pace else {
            return None;
        };
        let offset = step.pace_us.max(0) as f64 / speed / 1e6;
        Duration::try_from_secs_f64(offset)
            .ok()
            .and_then(|offset| self.started.checked_add(offset))
    }

    /// Returns once the group halts.
    async fn halted(&self) {
        let mut halt = self.halt.subscribe();
        // The sender lives as long as `self`: waiting cannot fail.
        let _ = halt.wait_for(Option::is_some).await;
    }

    /// Why the group halted, if it did.
    fn halt(&self) -> Option<Halt> {
        self.halt.borrow().clone()
    }

    /// Halts the group when its deadline passes or the replay is asked to stop, whichever
    /// comes first; the deadline is its recorded length at this pace plus the group timeout.
    fn watch_deadline(self: &Arc<Self>) -> JoinHandle<()> {
        let paced_end = self
            .group
            .steps
            .last()
            .and_then(|step| self.paced_start(step))
            .unwrap_or(self.started);
        let deadline = paced_end + self.ctx.group_timeout;
        let shared = self.clone();
        tokio::spawn(async move {
            let halt = tokio::select! {
                () = tokio::time::sleep_until(deadline.into()) => {
                    Halt::Deadline(deadline - shared.started)
                }
                () = shared.ctx.stop.requested() => {
                    Halt::Stopped(shared.ctx.stop.cause().unwrap_or(StopCause::Interrupted))
                }
            };
            shared.halt.send_replace(Some(halt));
        })
    }
}

/// A remapping that starts with the recorded user names of the agents and supervisors logging
/// in as another user (`--user`), so lookups by name (`/api/v2/users?userName=…`) find them.
fn user_names(group: &GroupPlan, profile: &Profile) -> Remap {
    let mut remap = Remap::default();
    for actor in &group.actors {
        if let ActorKind::User {
            recorded: Some(recorded),
            login: Some(login),
        } = &actor.kind
            && let Ok(credentials) = profile.credentials(login)
            && credentials.user_name != *recorded
        {
            remap.seed(recorded, &credentials.user_name);
        }
    }
    remap
}

/// Files what an actor's task `done` ended with under its actor (`actors`: each task's).
fn settle(
    ended: &mut [Option<Result<ActorRun, String>>],
    actors: &HashMap<task::Id, usize>,
    done: Result<(task::Id, ActorRun), JoinError>,
) {
    let (id, result) = match done {
        Ok((id, run)) => (id, Ok(run)),
        Err(e) => (e.id(), Err(e.to_string())),
    };
    if let Some(&actor) = actors.get(&id) {
        ended[actor] = Some(result);
    }
}

/// Replays one group against `ctx.base_url`: every actor once those that ended before it began
/// are done, each step when its time has come and what it depends on has happened; then
/// compares what every actor received with the recording.
pub async fn replay_group(group: Arc<GroupPlan>, ctx: &ReplayContext) -> ScenarioRun {
    let started = Instant::now();
    let notes: Vec<usize> = group.actors.iter().map(|a| a.notes.len()).collect();
    let timeline = Arc::new(Timeline::of(&group));
    let leeways = Leeway::all(&group, &timeline);
    let shared = Arc::new(Shared {
        group: group.clone(),
        ctx: ctx.clone(),
        remap: Mutex::new(PartyRemaps::new(
            group.actors.len(),
            user_names(&group, &ctx.profile),
        )),
        progress: Progress::new(&group, &leeways),
        timeline,
        matchers: leeways
            .into_iter()
            .enumerate()
            .map(|(actor, leeway)| {
                Mutex::new(Matcher::new(actor, &group.actors[actor].notes, leeway))
            })
            .collect(),
        received: Mutex::new(Store::new()),
        reached: AtomicBool::new(false),
        started,
        stop: watch::Sender::new(false),
        halt: watch::Sender::new(None),
    });
    let watchdog = shared.watch_deadline();
    // Each actor's task only once it may start: a day's capture has thousands of actors, and
    // a task waiting to start holds its whole state. Once the group halts, the rest start and
    // end at once. A task's state is freed only once it is joined, so tasks are joined as they
    // end, while later ones wait to start.
    let admitter = {
        let shared = shared.clone();
        tokio::spawn(async move {
            let mut ended: Vec<Option<Result<ActorRun, String>>> =
                (0..shared.group.actors.len()).map(|_| None).collect();
            let mut running = JoinSet::new();
            let mut actors = HashMap::new();
            for actor in shared.progress.admission_order() {
                loop {
                    tokio::select! {
                        () = shared.progress.admitted(actor) => break,
                        () = shared.halted() => break,
                        Some(done) = running.join_next_with_id() => {
                            settle(&mut ended, &actors, done);
                        }
                    }
                }
                let handle = running.spawn(run_actor(shared.clone(), actor));
                actors.insert(handle.id(), actor);
            }
            while let Some(done) = running.join_next_with_id().await {
                settle(&mut ended, &actors, done);
            }
            ended
        })
    };
    let mut runs = Vec::new();
    let mut events: Vec<(Instant, RunEvent)> = Vec::new();
    // The admitter ends once every actor ended; a join error would mean it panicked, and a
    // group with nothing replayed must not pass.
    let ended = admitter.await.unwrap_or_else(|e| {
        let message = format!("the replay of the group's actors stopped: {e}");
        let finding = replay_finding("replay.transport", message, Vec::new());
        events.push((Instant::now(), RunEvent::found(&group.name, None, finding)));
        Vec::new()
    });
    for (actor, result) in ended.into_iter().enumerate() {
        match result {
            Some(Ok(run)) => runs.push(run),
            Some(Err(e)) => {
                let message = format!(
                    "{}: the replay of this actor stopped: {e}",
                    group.actors[actor].name
                );
                events.push((
                    Instant::now(),
                    RunEvent::found(
                        &group.name,
                        None,
                        replay_finding("replay.transport", message, Vec::new()),
                    ),
                ));
            }
            None => {}
        }
    }
    // The notifications recorded after the last step (a Revoked after the clean-up) may still
    // be on their way; then a short quiet period catches ones the recording did not have.
    let all: Vec<Dep> = notes
        .iter()
        .enumerate()
        .map(|(actor, &count)| Dep::Notes { actor, count })
        .collect();
    // What is still missing then is reported by the comparison.
    tokio::select! {
        _ = shared.progress.wait(0, &all, Instant::now() + ctx.deadline) => {
            if runs.iter().any(|r| !r.sessions.is_empty()) {
                tokio::time::sleep(QUIET).await;
            }
        }
        () = shared.halted() => {}
    }
    watchdog.abort();
    shared.stop.send_replace(true);
    for run in &mut runs {
        for task in run.matchers.drain(..) {
            // The task ends at the stop signal; a join error would mean it panicked.
            let _ = task.await;
        }
    }
    // Bounded as a whole: against a target that stopped answering, each request would wait
    // out its own deadline.
    let _ = tokio::time::timeout(ctx.request_timeout.saturating_mul(2), clean_up(&runs)).await;
    for run in &mut runs {
        events.append(&mut run.events);
    }
    match shared.halt() {
        Some(Halt::Deadline(after)) => events.push((
            Instant::now(),
            RunEvent::found(
                &group.name,
                None,
                replay_finding(
                    "replay.deadline",
                    format!(
                        "the group did not finish within {} (its recorded length at this pace, \
                         and --group-timeout): every actor was stopped where it was",
                        format_duration(after)
                    ),
                    Vec::new(),
                ),
            ),
        )),
        Some(Halt::Stopped(cause)) => events.push((
            Instant::now(),
            RunEvent::found(&group.name, None, stopped_finding(&cause)),
        )),
        None => {}
    }
    if let Some(caution) = &group.caution {
        let finding = Finding {
            check: "replay.capture".to_owned(),
            requirement: REQUIREMENT.to_owned(),
            verdict: Verdict::Info,
            message: caution.clone(),
            details: Vec::new(),
        };
        events.push((Instant::now(), RunEvent::found(&group.name, None, finding)));
    }
    events.sort_by_key(|(at, _)| *at);
    let mut opening = RunEvent::started(&*group);
    // A long group has a step per request: listed only when the traffic is kept for a report
    // (--json, --html), which is the larger part then; otherwise nothing reads them.
    if let (RunEvent::ScenarioStarted { steps, .. }, false) = (&mut opening, ctx.traffic) {
        *steps = Vec::new();
    }
    let mut all = vec![opening];
    all.extend(events.into_iter().map(|(_, event)| event));
    let remap = shared.remap();
    for (actor, plan) in group.actors.iter().enumerate() {
        let mut matcher = shared.matchers[actor]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let received = matcher.take_received();
        let endings = meaning::ending_choices(&group, actor);
        let findings = compare::findings(
            &plan.name,
            &group.sources,
            &plan.notes,
            (&endings, matcher.leeway()),
            &plan.open_tails,
            &received,
            remap.party(actor),
        );
        // Which replayed notification each recorded one paired with, for the side-by-side
        // view: only when the traffic is listed (a long group without it holds no more, and
        // lists no recorded notification below).
        let counterparts = if ctx.traffic {
            compare::recorded_counterparts(&received, plan.notes.len())
        } else {
            Vec::new()
        };
        // Every notification the target sent is judged by the schemas, as `run` judges it: a
        // field the documents require is missing even where the comparison lets a field on one
        // side only pass.
        // Message indexes grow in the target's stream whatever the recording's were (the
        // comparison maps them, so a restart would pass it).
        // Both judge, and the report shows, each notification as the target sent it; each
        // parsed once (in a long group they would not all fit at once), the findings listed
        // by kind: the index order's, the schemas', then the notifications themselves.
        let mut indexes = IndexOrder::new();
        let schemas = SchemaSet::builtin_shared();
        let (mut ordered, mut judged, mut listed) = (Vec::new(), Vec::new(), Vec::new());
        let sent = received
            .into_iter()
            .filter_map(|got| Some((got.sent()?, got.channel, got.matched)));
        for (seq, (data, channel, matched)) in sent.enumerate() {
            let seq = seq as u64;
            let found = indexes.observe(&plan.name, seq, &data);
            ordered.extend(found.map(|finding| RunEvent::found(&group.name, None, finding)));
            let invalid = schemas
                .iter()
                .flat_map(|schemas| schemas.validate_notification_of(&plan.name, seq, &data));
            judged.extend(invalid.map(|located| RunEvent::located(&group.name, None, located)));
            if ctx.traffic {
                listed.push(RunEvent::Notification {
                    scenario: group.name.clone(),
                    actor: plan.name.clone(),
                    seq,
                    channel: channel.to_string(),
                    at_ms: None,
                    redelivered: false,
                    counterpart: matched.map(|index| index as u64),
                    data: Arc::unwrap_or_clone(data),
                });
            }
        }
        // What the actor received in the recording, each parsed again only to be listed.
        for (seq, (note, counterpart)) in plan.notes.iter().zip(counterparts).enumerate() {
            listed.push(RunEvent::RecordedNotification {
                scenario: group.name.clone(),
                actor: plan.name.clone(),
                seq: seq as u64,
                channel: note.channel.to_string(),
                counterpart,
                optional: matcher
                    .leeway()
                    .optional(seq)
                    .map(|o| o.ruling().to_owned()),
                data: Arc::unwrap_or_clone(note.data.parse()),
            });
        }
        all.extend(ordered.into_iter().chain(judged).chain(listed));
        all.extend(
            findings
                .into_iter()
                .map(|located| RunEvent::located(&group.name, None, located)),
        );
    }
    for (run, plan) in runs.iter().zip(&group.actors) {
        // The replayed sessions' Bayeux replies are judged as `run` judges them.
        let events: Vec<SessionEvent> = run.inboxes.iter().flat_map(Inbox::events).collect();
        let mut findings = bayeux_check::advice(&plan.name, &events);
        findings.extend(bayeux_check::connect_refusals(&plan.name, &events));
        all.extend(
            findings
                .into_iter()
                .map(|finding| RunEvent::found(&group.name, None, finding)),
        );
        let open = run.sessions.iter().map(|(_, c)| c.inbox().rehandshakes());
        let rehandshakes = run.rehandshakes + open.sum::<usize>();
        if rehandshakes > 0 {
            all.push(RunEvent::found(
                &group.name,
                None,
                Finding {
                    check: "replay.session".to_owned(),
                    requirement: REQUIREMENT.to_owned(),
                    verdict: Verdict::Info,
                    message: format!(
                        "{}: the CometD session had to handshake again {rehandshakes} time(s); \
                         notifications published meanwhile may be lost",
                        plan.name
                    ),
                    details: Vec::new(),
                },
            ));
        }
    }
    if remap.conflicts() > 0 {
        all.push(RunEvent::found(
            &group.name,
            None,
            Finding {
                check: "replay.remap".to_owned(),
                requirement: REQUIREMENT.to_owned(),
                verdict: Verdict::Info,
                message: format!(
                    "{} id pair(s) seen in the replay contradicted pairs learned earlier and \
                     were ignored (the first pairing of an id wins)",
                    remap.conflicts()
                ),
                details: Vec::new(),
            },
        ));
    }
    drop(remap);
    // Every finding weighs as its requirement's level says, as in `run`.
    for event in &mut all {
        if let RunEvent::Finding { finding, .. } = event {
            *finding = finding.clone().weighed(Catalogue::builtin_shared());
        }
    }
    // A replayed step declares no requirement.
    attribute(&mut all, |_, _| false);
    let failed = all
        .iter()
        .filter_map(RunEvent::finding)
        .any(|f| f.verdict == Verdict::Fail);
    let stopped = matches!(shared.halt(), Some(Halt::Stopped(_)));
    let outcome = match (shared.reached.load(Ordering::Relaxed) && !stopped, failed) {
        (false, _) => Outcome::Errored,
        (true, true) => Outcome::Failed,
        (true, false) => Outcome::Passed,
    };
    let duration = started.elapsed();
    all.push(RunEvent::ScenarioFinished {
        scenario: group.name.clone(),
        outcome,
        duration_ms: duration.as_millis() as u64,
        repetitions: None,
    });
    ScenarioRun {
        events: all,
        outcome,
        duration,
    }
}

/// Why a group stopped by the user (or a target gone) could not finish: no verdict on it.
fn stopped_finding(cause: &StopCause) -> Finding {
    Finding {
        check: "replay.stopped".to_owned(),
        requirement: REQUIREMENT.to_owned(),
        verdict: Verdict::Info,
        message: format!("the replay stopped: {}", cause.describe()),
        details: Vec::new(),
    }
}

/// Leaves the target as the replay found it, whatever the recording did: agents and
/// supervisors still logged in end their contact-centre session, CometD sessions still open
/// disconnect. Failures here are not findings.
async fn clean_up(runs: &[ActorRun]) {
    let end = Body::Json(json!({"operationName": "EndContactCenterSession"}));
    for run in runs.iter().filter(|r| r.logged_in) {
        if let Some(http) = &run.http {
            http.send("POST", "/api/v2/me", Some(&end), &[]).await;
        }
    }
    for run in runs.iter() {
        for (_, client) in &run.sessions {
            // Bounded by the client's own request deadline.
            let _ = client.disconnect().await;
        }
    }
}
