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
//! With `--entries N`, the benchmark measures memory instead (the `memory` module): the shift is
//! recorded again and again until the capture holds N entries (`--chats` defaults to 30 then,
//! so the binary's built-in users serve it), and the `gws-conform` binary's peak resident set
//! size is measured planning it and replaying it; `--groups` makes each shift a group of its
//! own, as `run --record` labels scenarios (else the capture is one group, as a recording
//! proxy's is); `--keep FILE` keeps the capture.
//!
//! Run: `cargo bench --bench replay_throughput` (options after `--`: `--chats N` (100),
//! `--chats-per-agent K` (10; 1 gives one agent per chat), `--messages M` (3), `--rounds R`
//! (5), `--deadline SECONDS` (10), `--millis`: start times written to the millisecond, as
//! devtools write them, instead of the microsecond the recorders write, `--threads N`: the
//! async runtime's worker threads, shared by the replay and the server (2), `--entries N`,
//! `--groups` and `--keep FILE`: above). The last line is `RESULT {json}`. Every wait has a
//! deadline (the replay's own; the set-up's waits are 10 s).

mod centre;
mod memory;
mod options;
#[path = "../../tests/support/recorder.rs"]
mod recorder;
#[path = "../../tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use centre::{Centre, shift};
use gws_conform::event::{Outcome, RunEvent};
use gws_conform::har::model::Har;
use gws_conform::replay::{Plan, ReplayContext, replay_group};
use options::options;
use recorder::Recorder;
use serde_json::json;

/// Records one shift of the contact centre described in the module doc; returns the capture and
/// how many requests per second the recording itself made.
async fn record(centre: Centre, messages: usize, millis: bool) -> (Har, f64) {
    let recorder = Recorder::start_with(centre.config(), millis).await;
    let started = Instant::now();
    shift(&recorder.base_url(), centre, messages, 1).await;
    let elapsed = started.elapsed();
    // The last long-polls complete as their clients disconnect.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let har = recorder.har();
    recorder.stop();
    let rate = har.log.entries.len() as f64 / elapsed.as_secs_f64();
    (har, rate)
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
    if let Some(large) = &options.large {
        memory::run(&runtime, centre, (options.messages, options.millis), large);
        return;
    }
    let (har, recording_rate) = runtime.block_on(record(centre, options.messages, options.millis));
    let planning = Instant::now();
    let mut plan = Plan::from_har(&har, "replay-bench.har").expect("a replayable capture");
    plan.resolve_users(&centre.profile(), &[])
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
            let server = support::server_with(centre.config()).await;
            let ctx = ReplayContext {
                deadline: Duration::from_secs_f64(options.deadline),
                ..ReplayContext::new(server.base_url(), centre.profile())
            };
            let before = cpu_time();
            let run = replay_group(group.clone(), &ctx).await;
            cpu = cpu_time().saturating_sub(before);
            // As `replay` does after each group: the next round parses what it needs again.
            group.forget_parsed();
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
