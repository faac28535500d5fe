//! One actor of a replayed group: its steps in order, each when its time has come and what it
//! depends on has happened ([`run_actor`]), the check of each response against the recorded
//! one, its CometD sessions, and the task that pairs what they receive with the recording.

use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::task::JoinHandle;

use super::Shared;
use super::batching::split;
use super::causality::Missed;
use super::compare::REQUIREMENT;
use super::meaning::{Comparison, Outcome};
use super::protocol::probe_difference;
use super::remap::{Lookup, Origin};
use super::script::{Action, ActorKind, Authentication, Dep, GroupPlan, RequestBody, Step};
use super::switch_log::without_switch_entries;
use crate::bayeux::{ChannelPattern, ENDPOINT};
use crate::check::diff::unified;
use crate::check::{Finding, Verdict};
use crate::driver::bayeux::{BayeuxClient, Credentials, Cursor, Inbox, WaitError};
use crate::driver::http::{Auth, Body, Exchange, HttpActor};
use crate::event::RunEvent;
use crate::run::requests::{no_such_resource, readiness_elsewhere};

/// Why a CometD step could not be replayed.
const NO_SESSION: &str = "there is no CometD session (its handshake failed or it was disconnected)";

/// What one actor's task leaves behind.
pub(super) struct ActorRun {
    /// Exchanges and findings, each with the time it happened (for ordering).
    pub events: Vec<(Instant, RunEvent)>,
    pub http: Option<HttpActor>,
    /// Its CometD sessions still open, by the recorded `clientId` each stands for.
    pub sessions: Vec<(Option<String>, BayeuxClient)>,
    /// CometD handshakes repeated by the client when the server forgot a session.
    pub rehandshakes: usize,
    /// The tasks pairing what its sessions receive.
    pub matchers: Vec<JoinHandle<()>>,
    /// The inboxes of every session it opened, closed ones included (their meta replies).
    pub inboxes: Vec<Inbox>,
    /// Whether it started a contact-centre session it did not end (it is logged out after).
    pub logged_in: bool,
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

/// Pairs the notifications of an actor's session standing for the recorded `session` as they
/// arrive, learning ids from each pair, until the session ends or the replay stops listening.
async fn match_notifications(
    shared: Arc<Shared>,
    actor: usize,
    session: Option<String>,
    inbox: Inbox,
) {
    let notes = &shared.group.actors[actor].notes;
    let session: Option<Arc<str>> = session.map(Arc::from);
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
        // The matcher keeps what it is handed; the inbox need not keep it too.
        inbox.release(cursor);
        // Each log entry is paired on its own, as the recorded ones are (`batching`); the
        // first carries the whole notification for the reports.
        let parts = split(&delivery.data).map_or_else(
            || vec![delivery.data.clone()],
            |parts| parts.into_iter().map(Arc::new).collect(),
        );
        let mut sent = Some(delivery.data);
        for data in parts {
            let matched = {
                let mut remap = shared.remap();
                let mut matcher = shared.matchers[actor]
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                let mut store = shared
                    .received
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                let channel = delivery.channel.clone();
                let kept = (&mut *remap, &mut *store);
                matcher.offer(notes, &session, channel, (data, sent.take()), kept)
            };
            if let Some(index) = matched {
                shared.progress.note_matched(actor, index);
            }
        }
    }
}

pub(super) fn replay_finding(check: &str, message: String, details: Vec<String>) -> Finding {
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
                "{} to receive its recorded notification {} ({})",
                name(actor),
                index + 1,
                group.sources.label(entry)
            )
        }
    }
}

/// One actor's steps, in order, each when its time has come and its dependencies are met.
pub(super) async fn run_actor(shared: Arc<Shared>, actor: usize) -> ActorRun {
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
        inboxes: Vec::new(),
        logged_in: false,
    };
    let finding = |step: Option<usize>, finding: Finding| {
        (Instant::now(), RunEvent::found(&scenario, step, finding))
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
    // Its connection (and its waits' deadlines) only once it may start.
    tokio::select! {
        () = shared.progress.admitted(actor) => {}
        () = shared.halted() => {
            shared.progress.steps_done(actor, plan.steps.len());
            return run;
        }
    }
    let http = match HttpActor::new(&ctx.base_url, auth, ctx.request_timeout, &ctx.route) {
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
        if let Some(at) = shared.paced_start(step) {
            tokio::select! {
                () = tokio::time::sleep_until(at.into()) => {}
                () = shared.halted() => break,
            }
        }
        let deadline = Instant::now() + ctx.deadline;
        let waited = tokio::select! {
            waited = shared.progress.wait(actor, &step.deps, deadline) => waited,
            () = shared.halted() => break,
        };
        if let Err(Missed(dep, behind)) = waited {
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
        let sent = async {
            match &step.action {
                Action::Http { .. } => {
                    http_step(&shared, actor, index, &http, &target_origin, &mut run).await
                }
                _ => bayeux_step(&shared, actor, step, &http, credentials.as_ref(), &mut run)
                    .await
                    .map(|problem| (problem, Vec::new())),
            }
        };
        // A request in flight when the group halts is abandoned: the target may never answer.
        let problem = tokio::select! {
            problem = sent => problem,
            () = shared.halted() => break,
        };
        if let Some((problem, details)) = problem {
            // A CometD step the recording saw fail may fail again; what a request or a probe
            // got is compared all the same.
            let recorded_failed = step.recorded.successful == Some(false);
            if !recorded_failed || matches!(step.action, Action::Http { .. } | Action::Probe { .. })
            {
                let message = format!("{}: {}: {problem}", plan.name, step.action.describe());
                run.events.push(finding(
                    Some(index),
                    replay_finding("replay.response", message, details),
                ));
            }
        }
        // What the recording got back is not read again: a long group would keep every
        // response parsed.
        if let Some(body) = &step.recorded.body {
            body.forget();
        }
        shared.progress.steps_done(actor, done + 1);
        ctx.steps_done.fetch_add(1, Ordering::Relaxed);
    }
    // All done, or halted: nobody waits for steps that will never run.
    shared.progress.steps_done(actor, plan.steps.len());
    // Kept only to log out at the end; a day's customers would otherwise hold theirs.
    run.http = run.logged_in.then_some(http);
    run
}

/// Sends an HTTP step, with the ids learned so far, and checks the response; files the
/// exchange in the actor's events.
async fn http_step(
    shared: &Arc<Shared>,
    actor: usize,
    index: usize,
    http: &HttpActor,
    target_origin: &str,
    run: &mut ActorRun,
) -> Option<Difference> {
    let step = &shared.group.steps[index];
    let Action::Http {
        method,
        target,
        origin,
        body,
        authentication,
    } = &step.action
    else {
        return None;
    };
    let fallback = Some((origin.as_str(), target_origin));
    let (path, body) = {
        let remaps = shared.remap();
        let remap = remaps.party(actor);
        let body = body.as_ref().map(|body| match body {
            RequestBody::Json(value) => Body::Json(remap.value(&value.parse(), fallback)),
            RequestBody::Text { text, .. } => Body::Raw(text.clone()),
        });
        (remap.text(target, fallback), body)
    };
    let operation = match &body {
        Some(Body::Json(value)) => value.get("operationName").and_then(Value::as_str),
        _ => None,
    };
    match operation {
        Some("StartContactCenterSession") => run.logged_in = true,
        Some("EndContactCenterSession") => run.logged_in = false,
        _ => {}
    }
    let mut exchange = match refused_client(shared, *authentication) {
        Some(Ok(refused)) => refused.send(method, &path, body.as_ref(), &[]).await,
        Some(Err(problem)) => return Some((problem, Vec::new())),
        None => http.send(method, &path, body.as_ref(), &[]).await,
    };
    // Ready and NotReady go where the target accepts them, as in `run`.
    if let Some(elsewhere) = readiness_elsewhere(&path, operation)
        .filter(|_| no_such_resource(exchange.status) && *authentication == Authentication::Actor)
    {
        exchange = http.send(method, elsewhere, body.as_ref(), &[]).await;
    }
    let problem = check_response(shared, index, &exchange);
    if !shared.ctx.traffic {
        return problem;
    }
    run.events.push((
        Instant::now(),
        RunEvent::Exchange {
            scenario: shared.group.name.clone(),
            actor: Some(shared.group.actors[actor].name.clone()),
            step: Some(index),
            method: exchange.method,
            url: exchange.url,
            request: exchange.request,
            status: exchange.status,
            response: exchange.response,
            elapsed_ms: exchange.elapsed.as_millis() as u64,
            at_ms: None,
            error: exchange.error,
        },
    ));
    problem
}

/// The user name a request the recording saw refused as unauthenticated is replayed with: one
/// no target has, so failed logins lock no real account.
const NO_SUCH_USER: &str = "gws-conform-no-such-user";

/// For a step the recording saw refused as unauthenticated, a client of its own (no session
/// cookie) sending credentials no target accepts, or none; `None` for a step sent as its actor.
fn refused_client(
    shared: &Shared,
    authentication: Authentication,
) -> Option<Result<HttpActor, String>> {
    let auth = match authentication {
        Authentication::Actor => return None,
        Authentication::Refused => Auth::Basic(crate::profile::Credentials {
            user_name: NO_SUCH_USER.to_owned(),
            password: NO_SUCH_USER.to_owned(),
        }),
        Authentication::Anonymous => Auth::Anonymous,
    };
    let ctx = &shared.ctx;
    Some(
        HttpActor::new(&ctx.base_url, auth, ctx.request_timeout, &ctx.route)
            .map_err(|e| format!("cannot build an HTTP client: {e}")),
    )
}

/// Carries out a CometD step (handshake, subscription, disconnect) on the session standing for
/// the recorded one; returns what went wrong.
async fn bayeux_step(
    shared: &Arc<Shared>,
    actor: usize,
    step: &Step,
    http: &HttpActor,
    credentials: Option<&crate::profile::Credentials>,
    run: &mut ActorRun,
) -> Option<String> {
    match &step.action {
        Action::Handshake { session } => {
            bayeux_handshake(shared, actor, http, credentials, session, run).await
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
        Action::Probe { message } => {
            let body = Body::Json(Value::Array(vec![message.clone()]));
            let exchange = http.send("POST", ENDPOINT, Some(&body), &[]).await;
            let Some(status) = exchange.status else {
                let error = exchange.error.unwrap_or_default();
                return Some(format!("no response: {error}"));
            };
            shared.reached.store(true, Ordering::Relaxed);
            let body = step.recorded.body();
            let recorded = (step.recorded.status, body.as_deref());
            probe_difference(message, recorded, (status, exchange.response.as_ref()))
        }
        Action::Http { .. } => None,
    }
}

/// What differs in a response: the message, and the details (a unified diff of the bodies).
type Difference = (String, Vec<String>);

/// Compares a replayed response with the recorded one and learns ids from it; returns what
/// differs: the status and `statusCode`, and for a step whose body is compared
/// ([`Recorded::compare_body`](super::script::Recorded::compare_body)) the body, with the
/// recorded ids replaced by the learned ones and times reduced to their shape.
fn check_response(shared: &Shared, index: usize, exchange: &Exchange) -> Option<Difference> {
    let step = &shared.group.steps[index];
    let Some(status) = exchange.status else {
        let error = exchange.error.clone().unwrap_or_default();
        return Some((format!("no response: {error}"), Vec::new()));
    };
    shared.reached.store(true, Ordering::Relaxed);
    let recorded = &step.recorded;
    if let (Some(old), Some(new)) = (&recorded.body(), &exchange.response) {
        shared.remap().learn(step.actor, old, new, Origin::Response);
    }
    if recorded.status <= 0 {
        return None;
    }
    let code = |body: Option<&Value>| {
        body.and_then(|b| b.get("statusCode"))
            .and_then(Value::as_i64)
    };
    let (old_code, new_code) = (
        code(recorded.body().as_deref()),
        code(exchange.response.as_ref()),
    );
    let operation = exchange
        .request
        .as_ref()
        .and_then(|body| body.get("operationName"))
        .and_then(Value::as_str);
    let replayed = Outcome::of(i64::from(status), new_code);
    // The recorded server had no resource where this Ready or NotReady went (and the client
    // went on to the other endpoint); the target has it: both are the choice's answers.
    // The URL is parsed only for such a step, not for every response.
    let readiness_choice = u16::try_from(recorded.status).is_ok_and(|s| no_such_resource(Some(s)))
        && replayed == Outcome::Success
        && reqwest::Url::parse(&exchange.url)
            .is_ok_and(|url| readiness_elsewhere(url.path(), operation).is_some());
    if readiness_choice || Outcome::of(recorded.status, old_code).agrees(&replayed, operation) {
        return body_difference(shared, index, exchange);
    }
    let shown = |code: Option<i64>| code.map_or_else(String::new, |c| format!(" (statusCode {c})"));
    let body = exchange
        .response
        .as_ref()
        .map(Value::to_string)
        .unwrap_or_default();
    let message = format!(
        "the recording got HTTP {}{}, the replay HTTP {status}{}: {body}",
        recorded.status,
        shown(old_code),
        shown(new_code)
    );
    Some((message, Vec::new()))
}

/// For a step whose body is compared: how the replayed body differs from the recorded one.
fn body_difference(shared: &Shared, index: usize, exchange: &Exchange) -> Option<Difference> {
    let step = &shared.group.steps[index];
    let (Some(old), Some(new)) = (&step.recorded.body(), &exchange.response) else {
        return None;
    };
    if !step.recorded.compare_body {
        return None;
    }
    let expected = shared.remap().party(step.actor).value(old, None);
    // After a mode switch, the switch's log entry may say anything and reach whom its
    // visibility says (`choice-switch-log`).
    let switched = shared.timeline.switched_before(index, step.start_us);
    let comparison = match switched
        .then(|| without_switch_entries(&expected, new))
        .flatten()
    {
        Some((expected, new)) => Comparison::of(&expected, &new),
        None => Comparison::of(&expected, new),
    };
    if comparison.same() {
        return None;
    }
    let (expected, actual) = (comparison.expected, comparison.actual);
    let label = format!(
        "recorded ({}, ids remapped)",
        shared.group.sources.label(step.entry)
    );
    Some((
        "the body differs from the recording's".to_owned(),
        vec![unified(&expected, &actual, (&label, "replayed"))],
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
    let url = format!("{}{ENDPOINT}", shared.ctx.base_url);
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
                session.clone(),
                client.inbox().clone(),
            ));
            run.matchers.push(task);
            run.inboxes.push(client.inbox().clone());
            run.sessions.push((session.clone(), client));
            None
        }
        Err(e) => Some(e.to_string()),
    }
}
