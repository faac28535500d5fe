//! Replay throughput: requests replayed per second and notifications checked per second when a
//! capture of many concurrent chats is replayed as fast as possible against the embedded
//! reference server.
//!
//! The capture is made first, in this process, through the recording shim the replay tests use
//! (`tests/support/recorder.rs`: a reference server whose exchanges become HAR entries named
//! the way `gws-conform proxy` names actors). A contact centre where each agent
//! (`agent1..`) handles ten chats at once (`--chats-per-agent`) and each supervisor
//! (`supervisor1..`) coaches five agents on all their chats:
//! 1. everyone logs in at once (CometD handshake and subscription, `GET /api/v2/me`,
//!    StartContactCenterSession), as a contact centre's desktops do; then each supervisor
//!    starts coaching its agents;
//! 2. agent by agent: it goes Ready, then its customers request chats at once. Being the only
//!    agent with a free slot, it is offered all of them (routing: fewest active chats), in the
//!    replay as in the recording, in whatever order the requests arrive;
//! 3. once every chat is routed, all chats at once: the agent accepts the offer naming the
//!    customer (its supervisor
//!    joins), customer and agent exchange `--messages` messages each, the customer reads its
//!    transcript, the agent completes the chat (the supervisor is revoked);
//! 4. everyone logs out and disconnects, at once.
//!
//! Only the agents going Ready are in sequence: concurrent requests for chats with several
//! agents free would be routed in whatever order they arrive, and the offers would differ
//! between the recording and the replay. A replay keeps the recording's order between steps
//! that could affect each other (logins, Ready, chat requests, Completes: global or routing),
//! and runs the chats' own steps side by side (`gws_conform::replay::footprint`).
//!
//! Then each round plans nothing new: it starts a fresh reference server with the same users
//! and replays the one group `--as-fast-as-possible` (the library's `replay_group`, as the CLI
//! does), and must find no difference. *Requests* are the steps replayed: REST requests plus
//! CometD handshakes, subscriptions and disconnects (the replay's own `/meta/connect`
//! long-polls are not counted). *Notifications checked* are the notifications received and
//! compared with their recorded counterparts. Both are divided by the round's wall time, from
//! the first request to the verdict (server start-up excluded). The median of `--rounds`
//! rounds is printed, with the spread, the time to plan the capture, and how many cores the
//! process kept busy during each round (user + system time from `/proc/self/stat` ÷ wall time;
//! the embedded server runs in this process too, so both sides are counted). Linux only.
//!
//! Run: `cargo bench --bench replay_throughput` (options after `--`: `--chats N` (100),
//! `--chats-per-agent K` (10; 1 gives one agent per chat), `--messages M` (3), `--rounds R` (5), `--deadline SECONDS` (10), `--millis`: start times
//! written to the millisecond, as devtools write them, instead of the microsecond the recorders
//! write, `--threads N`:
//! the async runtime's worker threads, shared by the replay and the server (2)). The last line is
//! `RESULT {json}`. Every wait has a deadline (the replay's own; the set-up's waits are 10 s).

#[path = "../tests/support/recorder.rs"]
mod recorder;
#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use gws_conform::event::{Outcome, RunEvent};
use gws_conform::har::model::Har;
use gws_conform::profile::Profile;
use gws_conform::replay::{Plan, ReplayContext, replay_group};
use gws_conform::server::ids::IdGen;
use gws_conform::server::{Directory, ServerConfig};
use recorder::Recorder;
use serde_json::{Value, json};
use support::{Actor, Customer};

/// Agents one supervisor coaches.
const AGENTS_PER_SUPERVISOR: usize = 5;
/// Deadline of every wait of the set-up.
const SETUP_WAIT: Duration = Duration::from_secs(10);

struct Options {
    per_agent: usize,
    millis: bool,
    threads: usize,
    chats: usize,
    messages: usize,
    rounds: usize,
    deadline: f64,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        per_agent: 10,
        millis: false,
        threads: 2,
        chats: 100,
        messages: 3,
        rounds: 5,
        deadline: 10.0,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--chats" => {
                options.chats = value("--chats")?
                    .parse()
                    .map_err(|e| format!("--chats: {e}"))?
            }
            "--messages" => {
                options.messages = value("--messages")?
                    .parse()
                    .map_err(|e| format!("--messages: {e}"))?
            }
            "--rounds" => {
                options.rounds = value("--rounds")?
                    .parse()
                    .map_err(|e| format!("--rounds: {e}"))?
            }
            "--deadline" => {
                options.deadline = value("--deadline")?
                    .parse()
                    .map_err(|e| format!("--deadline: {e}"))?
            }
            "--millis" => options.millis = true,
            "--chats-per-agent" => {
                options.per_agent = value("--chats-per-agent")?
                    .parse()
                    .map_err(|e| format!("--chats-per-agent: {e}"))?
            }
            "--threads" => {
                options.threads = value("--threads")?
                    .parse()
                    .map_err(|e| format!("--threads: {e}"))?
            }
            // `cargo bench` passes `--bench`; anything else is a mistake.
            "--bench" => {}
            other => return Err(format!("unknown option {other}")),
        }
    }
    if options.chats == 0
        || options.per_agent == 0
        || options.rounds == 0
        || options.threads == 0
        || !(options.deadline.is_finite() && options.deadline > 0.0)
    {
        return Err(
            "--chats, --chats-per-agent, --rounds, --threads and --deadline must be positive"
                .to_owned(),
        );
    }
    Ok(options)
}

/// The recorded contact centre's size.
#[derive(Debug, Clone, Copy)]
struct Centre {
    chats: usize,
    /// Chats one agent handles at once.
    per_agent: usize,
}

impl Centre {
    fn agents(self) -> usize {
        self.chats.div_ceil(self.per_agent)
    }

    fn supervisors(self) -> usize {
        self.agents().div_ceil(AGENTS_PER_SUPERVISOR)
    }
}

fn config(centre: Centre) -> ServerConfig {
    ServerConfig {
        directory: Some(Directory::generated(
            centre.agents() as u32,
            centre.supervisors() as u32,
            &IdGen::new(),
        )),
        long_poll_timeout: Duration::from_secs(20),
        ..ServerConfig::default()
    }
}

/// The profile of the generated directory: every user's password is `password`.
fn profile(centre: Centre) -> Profile {
    let mut yaml = String::from("users:\n");
    for i in 1..=centre.agents() {
        yaml.push_str(&format!("  agent{i}: {{password: password}}\n"));
    }
    for i in 1..=centre.supervisors() {
        yaml.push_str(&format!("  supervisor{i}: {{password: password}}\n"));
    }
    let path =
        std::env::temp_dir().join(format!("replay-bench-profile-{}.yaml", std::process::id()));
    std::fs::write(&path, yaml).expect("write the profile");
    let profile = Profile::load(&path).unwrap_or_else(|e| panic!("profile: {e:?}"));
    let _ = std::fs::remove_file(&path);
    profile
}

/// Waits for the notification on `actor`'s inbox that `matches`.
async fn notification(actor: &Actor, what: &str, matches: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + SETUP_WAIT;
    let cursor = gws_conform::driver::bayeux::Cursor::START;
    actor
        .bayeux
        .inbox()
        .wait_for(cursor, what, |d| matches(&d.data), deadline)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", actor.name))
        .data
        .as_ref()
        .clone()
}

/// Records the contact centre described in the module doc; returns the capture and how many
/// requests per second the recording itself made.
async fn record(centre: Centre, messages: usize, millis: bool) -> (Har, f64) {
    let (agent_count, supervisor_count) = (centre.agents(), centre.supervisors());
    let recorder = Recorder::start_with(config(centre), millis).await;
    let base = recorder.base_url();
    let started = Instant::now();
    let names = (1..=agent_count)
        .map(|i| format!("agent{i}"))
        .chain((1..=supervisor_count).map(|i| format!("supervisor{i}")));
    let mut logins = tokio::task::JoinSet::new();
    for (order, name) in names.enumerate() {
        let base = base.clone();
        logins.spawn(async move {
            let actor = Actor::login_at(&base, &name, "password").await;
            actor.start_session().await;
            (order, Arc::new(actor))
        });
    }
    let mut everyone: Vec<(usize, Arc<Actor>)> = logins.join_all().await;
    everyone.sort_by_key(|(order, _)| *order);
    let mut agents: Vec<Arc<Actor>> = everyone.into_iter().map(|(_, actor)| actor).collect();
    let supervisors = agents.split_off(agent_count);
    let mut coaching = tokio::task::JoinSet::new();
    for (supervisor, coached) in supervisors.iter().zip(agents.chunks(AGENTS_PER_SUPERVISOR)) {
        let (supervisor, coached) = (supervisor.clone(), coached.to_vec());
        coaching.spawn(async move {
            for agent in coached {
                let coach =
                    json!({"operationName": "Coach", "supervisorMonitoringMode": "AllChats"});
                supervisor.supervise(&agent, coach).await.ok();
            }
        });
    }
    coaching.join_all().await;
    // Agent by agent: Ready, then its customers all at once. The agent going Ready is the only
    // one with fewer than `per_agent` chats, so routing offers it all of them, in the
    // replay too, whatever order the requests arrive in. No chat ends before every chat is
    // routed (an agent with a free slot would be offered the next ones).
    let mut routed = Vec::new();
    let mut next_customer = 1..=centre.chats;
    for agent in &agents {
        let ready = json!({"operationName": "Ready"});
        agent.post("/api/v2/me/channels/chat", ready).await.ok();
        let mut requests = tokio::task::JoinSet::new();
        for n in next_customer.by_ref().take(centre.per_agent) {
            let base = base.clone();
            requests.spawn(async move {
                let nickname = format!("customer{n}");
                (
                    nickname.clone(),
                    Customer::request_at(&base, &nickname).await,
                )
            });
        }
        for (nickname, customer) in requests.join_all().await {
            routed.push((agent.clone(), customer, nickname));
        }
    }
    let mut chats_done = tokio::task::JoinSet::new();
    for (agent, customer, nickname) in routed {
        chats_done.spawn(chat(agent, customer, nickname, messages));
    }
    while let Some(done) = chats_done.join_next().await {
        done.expect("a chat of the recording");
    }
    let mut logouts = tokio::task::JoinSet::new();
    for actor in agents.iter().chain(&supervisors).cloned() {
        logouts.spawn(async move {
            let end = json!({"operationName": "EndContactCenterSession"});
            actor.post("/api/v2/me", end).await.ok();
            notification(&actor, "LoggedOut", |d| {
                d["channels"][0]["userState"]["state"] == "LoggedOut"
            })
            .await;
            actor.bayeux.disconnect().await.expect("disconnect");
        });
    }
    logouts.join_all().await;
    let elapsed = started.elapsed();
    // The last long-polls complete as their clients disconnect.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let har = recorder.har();
    recorder.stop();
    let rate = har.log.entries.len() as f64 / elapsed.as_secs_f64();
    (har, rate)
}

/// One chat: the agent accepts the offer naming the customer, they exchange `messages`
/// messages each, the customer reads the transcript, the agent completes the chat.
async fn chat(agent: Arc<Actor>, customer: Customer, nickname: String, messages: usize) {
    let offer = notification(&agent, "an offer", |d| {
        d["chat"]["state"] == "Invited"
            && d["chat"]["participants"]
                .as_array()
                .is_some_and(|list| list.iter().any(|p| p["nickname"] == nickname.as_str()))
    })
    .await;
    let chat = offer["chat"]["id"].as_str().unwrap().to_owned();
    agent.must(&chat, "Accept", json!({})).await;
    for k in 1..=messages {
        customer.say(&format!("question {k}")).await;
        agent
            .must(&chat, "SendMessage", json!({"text": format!("answer {k}")}))
            .await;
    }
    assert!(!customer.transcript().await.is_empty());
    agent.must(&chat, "Complete", json!({})).await;
    notification(&agent, "Completed", |d| {
        d["chat"]["state"] == "Completed" && d["chat"]["id"] == chat.as_str()
    })
    .await;
}

/// User + system CPU time of this process so far (`/proc/self/stat`, in clock ticks of 10 ms).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name (which is in parentheses and may hold spaces).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are the 14th and 15th fields; 12 and 13 after the command name.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let options = match options() {
        Ok(options) => options,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let centre = Centre {
        chats: options.chats,
        per_agent: options.per_agent,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(options.threads)
        .enable_all()
        .build()
        .expect("a runtime");
    let (har, recording_rate) = runtime.block_on(record(centre, options.messages, options.millis));
    let planning = Instant::now();
    let mut plan = Plan::from_har(&har, "replay-bench.har").expect("a replayable capture");
    plan.resolve_users(&profile(centre), &[])
        .expect("the profile has every user");
    let planning = planning.elapsed();
    let group = Arc::new(plan.groups.remove(0));
    let steps = group.steps.len();
    println!(
        "capture: {} chats, {} entries, {} actors, {steps} steps to replay, {} recorded notifications; \
         recorded at {recording_rate:.0} entries/s; planned in {:.1} ms",
        options.chats,
        har.log.entries.len(),
        group.actors.len(),
        group.notes(),
        planning.as_secs_f64() * 1e3
    );
    let (mut requests, mut checked, mut cpu_per_step) = (Vec::new(), Vec::new(), Vec::new());
    for round in 1..=options.rounds {
        let mut cpu = Duration::ZERO;
        let run = runtime.block_on(async {
            let server = support::server_with(config(centre)).await;
            let ctx = ReplayContext {
                deadline: Duration::from_secs_f64(options.deadline),
                ..ReplayContext::new(server.base_url(), profile(centre))
            };
            let before = cpu_time();
            let run = replay_group(group.clone(), &ctx).await;
            cpu = cpu_time().saturating_sub(before);
            server.shutdown().await;
            run
        });
        if run.outcome != Outcome::Passed {
            let shown: Vec<String> = run.findings().take(5).map(|f| format!("{f:?}")).collect();
            eprintln!("round {round}: the replay found differences: {shown:#?}");
            std::process::exit(1);
        }
        let notifications = run
            .events
            .iter()
            .filter(|e| matches!(e, RunEvent::Notification { .. }))
            .count();
        let seconds = run.duration.as_secs_f64();
        requests.push(steps as f64 / seconds);
        checked.push(notifications as f64 / seconds);
        cpu_per_step.push(cpu.as_secs_f64() * 1e6 / steps as f64);
        println!(
            "round {round}: {:.0} ms, {:.0} requests/s, {:.0} notifications checked/s \
             ({notifications}); {:.2} cores busy, {:.0} µs of CPU per request",
            seconds * 1e3,
            steps as f64 / seconds,
            notifications as f64 / seconds,
            cpu.as_secs_f64() / seconds,
            cpu.as_secs_f64() * 1e6 / steps as f64
        );
    }
    let spread = |values: &[f64]| {
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = values.iter().copied().fold(0.0, f64::max);
        (min, max)
    };
    let (rmin, rmax) = spread(&requests);
    let (cmin, cmax) = spread(&checked);
    let (r, c) = (median(&mut requests), median(&mut checked));
    let cpu = median(&mut cpu_per_step);
    println!(
        "median of {} rounds: {r:.0} requests/s [{rmin:.0}–{rmax:.0}], {c:.0} notifications checked/s \
         [{cmin:.0}–{cmax:.0}], {cpu:.0} µs of CPU per request (replay and server together)",
        options.rounds
    );
    println!(
        "RESULT {}",
        json!({"chats": options.chats, "chats_per_agent": options.per_agent,
               "messages": options.messages, "steps": steps,
               "start_time_precision": if options.millis { "ms" } else { "us" },
               "threads": options.threads,
               "notifications": group.notes(), "requests_per_s": r.round(),
               "notifications_checked_per_s": c.round(), "rounds": options.rounds,
               "cpu_us_per_request": cpu.round(),
               "recording_entries_per_s": recording_rate.round()})
    );
}
