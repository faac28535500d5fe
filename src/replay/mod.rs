//! Replay of a HAR capture (from `run --record`, from the recording proxy, or exported by a
//! browser's devtools) against a target, with the notifications each actor receives compared
//! to the recorded ones.
//!
//! - [`plan`]: the capture as groups of actors and their steps, and what each received;
//! - [`remap`]: recorded ids → the target's ids, learned from responses and notifications;
//! - [`causality`]: what each step waits for, and the live progress it waits on;
//! - [`compare`]: pairing received notifications with recorded ones, and the verdict;
//! - this module: the engine, [`replay_group`], which runs one group's actors at once against
//!   one target and turns what happened into the [`RunEvent`]s every reporter reads.
//!
//! Each actor is an [`HttpActor`] (Basic credentials from the profile, or the profile's
//! `ContactCenterId` for customers; its own cookie store, so session cookies are the
//! target's) and, once its recording handshakes, a [`BayeuxClient`] whose own connect loop
//! receives the notifications: recorded `/meta/connect` requests are never sent, and recorded
//! headers (credentials, cookies, CSRF tokens: redacted anyway) are not replayed.

pub mod causality;
pub mod compare;
pub mod plan;
pub mod remap;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use plan::{GroupPlan, Plan, PlanError};

use crate::bayeux::ChannelPattern;
use crate::check::{Finding, Verdict};
use crate::driver::bayeux::{BayeuxClient, BayeuxConfig, Credentials, Cursor, Inbox, WaitError};
use crate::driver::http::{Auth, Body, Exchange, HttpActor};
use crate::event::{Outcome, RunEvent};
use crate::profile::Profile;
use crate::report::Subject;
use crate::run::ScenarioRun;
use causality::{Missed, Progress};
use compare::{Matcher, REQUIREMENT};
use plan::{Action, ActorKind, Dep, RequestBody, Step};
use remap::{Origin, Remap};

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
            " ({}'s step {nth}: {}, entries[{}])",
            actor.name,
            s.action.describe(),
            s.entry
        ))
    }
}

/// What every actor task of a group shares.
struct Shared {
    group: Arc<GroupPlan>,
    ctx: ReplayContext,
    remap: Mutex<Remap>,
    progress: Progress,
    matchers: Vec<Mutex<Matcher>>,
    /// Whether any request got a response: if none did, the target was unreachable.
    reached: AtomicBool,
    started: Instant,
    stop: watch::Sender<bool>,
}

impl Shared {
    fn remap(&self) -> MutexGuard<'_, Remap> {
        self.remap.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Why a CometD step could not be replayed.
const NO_SESSION: &str = "there is no CometD session (its handshake failed or it was disconnected)";

/// What one actor's task leaves behind.
struct ActorRun {
    /// Exchanges and findings, each with the time it happened (for ordering).
    events: Vec<(Instant, RunEvent)>,
    http: Option<HttpActor>,
    /// Its CometD sessions still open, by the recorded `clientId` each stands for.
    sessions: Vec<(Option<String>, BayeuxClient)>,
    /// CometD handshakes repeated by the client when the server forgot a session.
    rehandshakes: usize,
    matchers: Vec<JoinHandle<()>>,
    /// Whether it started a contact-centre session it did not end (it is logged out after).
    logged_in: bool,
}

impl ActorRun {
    /// The session standing for the recorded `clientId`, else the latest one.
    fn session(&self, recorded: &Option<String>) -> Option<&BayeuxClient> {
        let position = self.position(recorded)?;
        self.sessions.get(position).map(|(_, client)| client)
    }

    /// Removes and returns that session.
    fn take_session(&mut self, recorded: &Option<String>) -> Option<BayeuxClient> {
        let position = self.position(recorded)?;
        Some(self.sessions.remove(position).1)
    }

    fn position(&self, recorded: &Option<String>) -> Option<usize> {
        let named = recorded.as_ref().and_then(|id| {
            self.sessions
                .iter()
                .position(|(s, _)| s.as_ref() == Some(id))
        });
        named.or_else(|| self.sessions.len().checked_sub(1))
    }
}

/// Pairs an actor's notifications as they arrive, learning ids from each pair, until the
/// session ends or the replay stops listening.
async fn match_notifications(shared: Arc<Shared>, actor: usize, inbox: Inbox) {
    let notes = &shared.group.actors[actor].notes;
    let mut stop = shared.stop.subscribe();
    let mut cursor = Cursor::START;
    loop {
        // Every wait has a deadline; the loop simply waits again while the replay goes on.
        let deadline = Instant::now() + Duration::from_secs(60);
        let next = tokio::select! {
            biased;
            next = inbox.wait_for(cursor, "a notification", |_| true, deadline) => next,
            _ = stop.wait_for(|stop| *stop) => break,
        };
        let delivery = match next {
            Ok(delivery) => delivery,
            Err(WaitError::Timeout { .. }) => continue,
            Err(WaitError::SessionEnded { .. }) => break,
        };
        cursor = delivery.next();
        let matched = {
            let mut remap = shared.remap();
            let mut matcher = shared.matchers[actor]
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            matcher.offer(notes, delivery.channel, delivery.data, &mut remap)
        };
        if let Some(index) = matched {
            shared.progress.note_matched(actor, index);
        }
    }
}

fn replay_finding(check: &str, message: String, details: Vec<String>) -> Finding {
    Finding {
        check: check.to_owned(),
        requirement: REQUIREMENT.to_owned(),
        verdict: Verdict::Fail,
        message,
        details,
    }
}

/// What a dependency is, in words.
fn describe_dep(group: &GroupPlan, dep: Dep) -> String {
    let name = |actor: usize| group.actors.get(actor).map_or("?", |a| a.name.as_str());
    match dep {
        Dep::Steps { actor, count } => {
            let step = group
                .actors
                .get(actor)
                .and_then(|a| a.steps.get(count.wrapping_sub(1)));
            let what = step.map_or_else(String::new, |&s| {
                format!(" ({})", group.steps[s].action.describe())
            });
            format!("{}'s step {count}{what} to finish", name(actor))
        }
        Dep::Notes { actor, count } => {
            format!(
                "{} to receive its first {count} recorded notification(s)",
                name(actor)
            )
        }
        Dep::Note { actor, index } => {
            let entry = group
                .actors
                .get(actor)
                .and_then(|a| a.notes.get(index))
                .map_or(0, |n| n.entry);
            format!(
                "{} to receive its recorded notification {} (entries[{entry}])",
                name(actor),
                index + 1
            )
        }
    }
}

/// One actor's steps, in order, each when its time has come and its dependencies are met.
async fn run_actor(shared: Arc<Shared>, actor: usize) -> ActorRun {
    let group = shared.group.clone();
    let plan = &group.actors[actor];
    let ctx = &shared.ctx;
    let scenario = group.name.clone();
    let mut run = ActorRun {
        events: Vec::new(),
        http: None,
        sessions: Vec::new(),
        rehandshakes: 0,
        matchers: Vec::new(),
        logged_in: false,
    };
    let finding = |step: Option<usize>, finding: Finding| {
        (
            Instant::now(),
            RunEvent::Finding {
                scenario: scenario.clone(),
                step,
                finding,
            },
        )
    };
    let credentials = match &plan.kind {
        ActorKind::User {
            login: Some(user), ..
        } => ctx.profile.credentials(user).ok(),
        _ => None,
    };
    let auth = match (&plan.kind, &credentials) {
        (ActorKind::Customer, _) => Auth::ContactCenter(ctx.profile.contact_center_id.clone()),
        (_, Some(credentials)) => Auth::Basic(credentials.clone()),
        _ => Auth::Anonymous,
    };
    let http = match HttpActor::new(&ctx.base_url, auth, ctx.request_timeout) {
        Ok(http) => http,
        Err(e) => {
            let message = format!("{}: cannot build an HTTP client: {e}", plan.name);
            run.events.push(finding(
                None,
                replay_finding("replay.transport", message, Vec::new()),
            ));
            // Nobody should wait for steps that will never run.
            shared.progress.steps_done(actor, plan.steps.len());
            return run;
        }
    };
    let target_origin = reqwest::Url::parse(&ctx.base_url)
        .map(|url| url.origin().ascii_serialization())
        .unwrap_or_else(|_| ctx.base_url.clone());
    for (done, &index) in plan.steps.iter().enumerate() {
        let step = &group.steps[index];
        if let Pace::Recorded { speed } = ctx.pace {
            let offset = (step.start_us - group.start_us).max(0) as f64 / speed;
            let at = shared.started + Duration::from_secs_f64(offset / 1e6);
            tokio::time::sleep_until(at.into()).await;
        }
        let deadline = Instant::now() + ctx.deadline;
        if let Err(Missed(dep, behind)) = shared.progress.wait(actor, &step.deps, deadline).await {
            let behind: String = behind
                .into_iter()
                .map(|d| format!(", which waited for {}", describe_dep(&group, d)))
                .collect();
            let message = format!(
                "{}: waited {} s for {}{behind}; the replay no longer follows the recording, \
                 so the remaining steps run without waiting",
                plan.name,
                ctx.deadline.as_secs_f32(),
                describe_dep(&group, dep)
            );
            let f = replay_finding("replay.dependency", message, Vec::new());
            run.events.push(finding(Some(index), f));
        }
        let problem = match &step.action {
            Action::Http {
                method,
                target,
                origin,
                body,
            } => {
                let fallback = Some((origin.as_str(), target_origin.as_str()));
                let (path, body) = {
                    let remap = shared.remap();
                    let body = body.as_ref().map(|body| match body {
                        RequestBody::Json(value) => Body::Json(remap.value(value, fallback)),
                        RequestBody::Text { text, .. } => Body::Raw(text.clone()),
                    });
                    (remap.text(target, fallback), body)
                };
                if let Some(Body::Json(value)) = &body {
                    match value.get("operationName").and_then(Value::as_str) {
                        Some("StartContactCenterSession") => run.logged_in = true,
                        Some("EndContactCenterSession") => run.logged_in = false,
                        _ => {}
                    }
                }
                let exchange = http.send(method, &path, body.as_ref(), &[]).await;
                let problem = check_response(&shared, step, &exchange);
                run.events.push((
                    Instant::now(),
                    RunEvent::Exchange {
                        scenario: scenario.clone(),
                        actor: Some(plan.name.clone()),
                        step: Some(index),
                        method: exchange.method,
                        url: exchange.url,
                        request: exchange.request,
                        status: exchange.status,
                        response: exchange.response,
                        elapsed_ms: exchange.elapsed.as_millis() as u64,
                        error: exchange.error,
                    },
                ));
                problem
            }
            Action::Handshake { session } => {
                bayeux_handshake(
                    &shared,
                    actor,
                    &http,
                    credentials.as_ref(),
                    session,
                    &mut run,
                )
                .await
            }
            Action::Subscribe { pattern, session } | Action::Unsubscribe { pattern, session } => {
                let subscribe = matches!(step.action, Action::Subscribe { .. });
                match (run.session(session), ChannelPattern::parse(pattern)) {
                    (None, _) => Some(NO_SESSION.to_owned()),
                    (_, Err(e)) => Some(format!("{pattern:?} is not a channel pattern: {e}")),
                    (Some(client), Ok(pattern)) => {
                        let done = if subscribe {
                            client.subscribe(&pattern).await
                        } else {
                            client.unsubscribe(&pattern).await
                        };
                        done.err().map(|e| e.to_string())
                    }
                }
            }
            Action::Disconnect { session } => match run.take_session(session) {
                Some(client) => {
                    run.rehandshakes += client.inbox().rehandshakes();
                    client.disconnect().await.err().map(|e| e.to_string())
                }
                None => Some(NO_SESSION.to_owned()),
            },
        };
        if let Some(problem) = problem {
            let recorded_failed = step.recorded.successful == Some(false);
            if !recorded_failed || matches!(step.action, Action::Http { .. }) {
                let message = format!("{}: {}: {problem}", plan.name, step.action.describe());
                run.events.push(finding(
                    Some(index),
                    replay_finding("replay.response", message, Vec::new()),
                ));
            }
        }
        shared.progress.steps_done(actor, done + 1);
    }
    run.http = Some(http);
    run
}

/// Compares a replayed response with the recorded one and learns ids from it; returns what
/// differs.
fn check_response(shared: &Shared, step: &Step, exchange: &Exchange) -> Option<String> {
    let Some(status) = exchange.status else {
        let error = exchange.error.clone().unwrap_or_default();
        return Some(format!("no response: {error}"));
    };
    shared.reached.store(true, Ordering::Relaxed);
    let recorded = &step.recorded;
    if let (Some(old), Some(new)) = (&recorded.body, &exchange.response) {
        shared.remap().learn(old, new, Origin::Response);
    }
    if recorded.status <= 0 {
        return None;
    }
    let code = |body: Option<&Value>| {
        body.and_then(|b| b.get("statusCode"))
            .and_then(Value::as_i64)
    };
    let (old_code, new_code) = (
        code(recorded.body.as_ref()),
        code(exchange.response.as_ref()),
    );
    let same_code = old_code.is_none() || old_code == new_code;
    if i64::from(status) == recorded.status && same_code {
        return None;
    }
    let shown = |code: Option<i64>| code.map_or_else(String::new, |c| format!(" (statusCode {c})"));
    let body = exchange
        .response
        .as_ref()
        .map(Value::to_string)
        .unwrap_or_default();
    Some(format!(
        "the recording got HTTP {}{}, the replay HTTP {status}{}: {body}",
        recorded.status,
        shown(old_code),
        shown(new_code)
    ))
}

/// Handshakes a new Bayeux client for the recorded session `session` (the recording may hold
/// several at once: a user logged in twice) and starts pairing what it receives.
async fn bayeux_handshake(
    shared: &Arc<Shared>,
    actor: usize,
    http: &HttpActor,
    credentials: Option<&crate::profile::Credentials>,
    session: &Option<String>,
    run: &mut ActorRun,
) -> Option<String> {
    let credentials = credentials.map(|c| Credentials {
        username: c.user_name.clone(),
        password: c.password.clone(),
    });
    let url = format!("{}/api/v2/notifications", shared.ctx.base_url);
    match BayeuxClient::connect(
        http.client().clone(),
        url,
        credentials,
        shared.ctx.bayeux.clone(),
    )
    .await
    {
        Ok(client) => {
            shared.reached.store(true, Ordering::Relaxed);
            let task = tokio::spawn(match_notifications(
                shared.clone(),
                actor,
                client.inbox().clone(),
            ));
            run.matchers.push(task);
            run.sessions.push((session.clone(), client));
            None
        }
        Err(e) => Some(e.to_string()),
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

/// Replays one group against `ctx.base_url`: every actor at once, each step when its time has
/// come and what it depends on has happened; then compares what every actor received with the
/// recording.
pub async fn replay_group(group: Arc<GroupPlan>, ctx: &ReplayContext) -> ScenarioRun {
    let started = Instant::now();
    let notes: Vec<usize> = group.actors.iter().map(|a| a.notes.len()).collect();
    let shared = Arc::new(Shared {
        group: group.clone(),
        ctx: ctx.clone(),
        remap: Mutex::new(user_names(&group, &ctx.profile)),
        progress: Progress::new(&notes),
        matchers: group
            .actors
            .iter()
            .map(|a| Mutex::new(Matcher::new(&a.notes)))
            .collect(),
        reached: AtomicBool::new(false),
        started,
        stop: watch::Sender::new(false),
    });
    let tasks: Vec<JoinHandle<ActorRun>> = (0..group.actors.len())
        .map(|actor| tokio::spawn(run_actor(shared.clone(), actor)))
        .collect();
    let mut runs = Vec::new();
    let mut events: Vec<(Instant, RunEvent)> = Vec::new();
    for (actor, task) in tasks.into_iter().enumerate() {
        match task.await {
            Ok(run) => runs.push(run),
            Err(e) => {
                let message = format!(
                    "{}: the replay of this actor stopped: {e}",
                    group.actors[actor].name
                );
                events.push((
                    Instant::now(),
                    RunEvent::Finding {
                        scenario: group.name.clone(),
                        step: None,
                        finding: replay_finding("replay.transport", message, Vec::new()),
                    },
                ));
            }
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
    let _ = shared
        .progress
        .wait(0, &all, Instant::now() + ctx.deadline)
        .await;
    if runs.iter().any(|r| !r.sessions.is_empty()) {
        tokio::time::sleep(QUIET).await;
    }
    shared.stop.send_replace(true);
    for run in &mut runs {
        for task in run.matchers.drain(..) {
            // The task ends at the stop signal; a join error would mean it panicked.
            let _ = task.await;
        }
    }
    clean_up(&runs).await;
    for run in &mut runs {
        events.append(&mut run.events);
    }
    events.sort_by_key(|(at, _)| *at);
    let mut all = vec![RunEvent::ScenarioStarted {
        scenario: group.name.clone(),
    }];
    all.extend(events.into_iter().map(|(_, event)| event));
    let remap = shared.remap();
    for (actor, plan) in group.actors.iter().enumerate() {
        let mut matcher = shared.matchers[actor]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let received = matcher.take_received();
        let findings =
            compare::findings(&plan.name, &plan.notes, plan.open_tail, &received, &remap);
        for (seq, got) in received.into_iter().enumerate() {
            all.push(RunEvent::Notification {
                scenario: group.name.clone(),
                actor: plan.name.clone(),
                seq: seq as u64,
                channel: got.channel,
                data: got.data,
            });
        }
        all.extend(findings.into_iter().map(|finding| RunEvent::Finding {
            scenario: group.name.clone(),
            step: None,
            finding,
        }));
    }
    for (run, plan) in runs.iter().zip(&group.actors) {
        let open = run.sessions.iter().map(|(_, c)| c.inbox().rehandshakes());
        let rehandshakes = run.rehandshakes + open.sum::<usize>();
        if rehandshakes > 0 {
            all.push(RunEvent::Finding {
                scenario: group.name.clone(),
                step: None,
                finding: Finding {
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
            });
        }
    }
    if remap.conflicts() > 0 {
        all.push(RunEvent::Finding {
            scenario: group.name.clone(),
            step: None,
            finding: Finding {
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
        });
    }
    drop(remap);
    let failed = all
        .iter()
        .filter_map(RunEvent::finding)
        .any(|f| f.verdict == Verdict::Fail);
    let outcome = match (shared.reached.load(Ordering::Relaxed), failed) {
        (false, _) => Outcome::Errored,
        (true, true) => Outcome::Failed,
        (true, false) => Outcome::Passed,
    };
    let duration = started.elapsed();
    all.push(RunEvent::ScenarioFinished {
        scenario: group.name.clone(),
        outcome,
        duration_ms: duration.as_millis() as u64,
    });
    ScenarioRun {
        events: all,
        outcome,
        duration,
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
