//! Notification throughput and latency of the reference server to held Bayeux long-polls.
//!
//! What it measures: how many `/v2/me/chats` notifications per second the reference server
//! delivers to N connected users whose CometD long-polls are held open, the latency from the
//! start of the HTTP request of the operation that caused a notification to the moment the
//! receiving client has read it, and the peak RSS of the server and of this load generator.
//!
//! How:
//! - The server runs as a **separate process** (the `gws-conform` binary that `cargo bench`
//!   builds alongside this benchmark, `serve --listen 127.0.0.1:0`) with a generated users file,
//!   so its CPU time and peak RSS (`VmHWM`) are its own. Traffic goes to 127.0.0.1 only.
//! - N users are split into chats of `--fanout` users: one agent plus `fanout - 1` supervisors
//!   monitoring it. Every user is a CometD long-polling client (`long_poll.rs`: handshake,
//!   subscription to `/v2/me/chats`, then a connect loop on its own keep-alive connection).
//!   Each agent is Ready, is offered one customer chat and accepts it, so the supervisors join
//!   it; a probe message then proves that every user receives its chat's messages before the
//!   clock starts.
//! - Operations (the chat's customer sends a message: `POST /api/v2/chats/{id}` `SendMessage`)
//!   go round-robin over the chats from `--concurrency` workers, each on its own connection, as
//!   fast as the machine allows (closed loop) or at `--rate` operations/s (open loop). Each
//!   operation causes exactly one `MessageLogUpdated` to each of its chat's `fanout` users. Its
//!   text carries a sequence number, so each delivery is matched to the instant its operation
//!   started.
//! - The generator's hot paths (long-polls and operations) use a minimal HTTP/1.1 connection
//!   (`http1.rs`) rather than `reqwest` and the harness's `BayeuxClient`: the generator shares
//!   the two cores with the server, and every microsecond it spends per notification is taken
//!   from the server. The set-up's REST calls still use `reqwest`.
//! - After `--warmup` seconds, a window of `--seconds` is measured. Throughput counts every
//!   tagged notification read by any client inside the window; latency covers every delivery
//!   of the operations started in the window (delivery = when the client had read and parsed
//!   the long-poll reply). Missing and duplicated deliveries and
//!   client re-handshakes are reported rather than ignored; deliveries that arrive after the
//!   window (up to a drain deadline) still count for latency.
//!
//! Run (`cargo bench` builds the server binary too; the load generator and the server share
//! the machine's cores, so both are part of what is measured — see `docs/benchmarks.md`):
//!
//! ```text
//! cargo bench --bench notify_throughput -- --users 100
//! cargo bench --bench notify_throughput -- --users 1000
//! cargo bench --bench notify_throughput -- --users 1000 --fanout 10 --concurrency 4
//! cargo bench --bench notify_throughput -- --users 1000 --fanout 10 --rate 1200
//! cargo bench --bench notify_throughput -- --help
//! ```
//!
//! The last line of output is `RESULT {json}`, for scripts that aggregate several runs; its
//! `other_cpu_cores` says how busy the rest of the machine was (discard noisy runs).
//! Every wait has a deadline; the benchmark stops by itself and kills the server process when it
//! ends, including on error, panic (the server's guard is dropped during unwinding), SIGINT and
//! SIGTERM. Linux only (it reads `/proc`).

mod http1;
mod long_poll;
mod server_process;

use std::error::Error;
use std::fmt::Display;
use std::fs;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use http1::Connection;
use long_poll::{Login, LongPollClient, Seen};
use server_process::{
    ServerProcess, TempDir, cpu_seconds, ksoftirqd_pids, machine_busy_seconds, peak_rss_kib,
    rss_kib, server_binary, users_yaml,
};

type BoxError = Box<dyn Error + Send + Sync>;
type Result<T, E = BoxError> = std::result::Result<T, E>;

/// Every user's password in the generated users file.
const PASSWORD: &str = "password";
/// The prefix of the text of every measured operation; the sequence number follows.
const TAG: &str = "bench ";
/// The prefix of the set-up probe messages.
const PROBE: &str = "probe ";
/// Deadline of any single REST request (set-up and operations).
const REQUEST_DEADLINE: Duration = Duration::from_secs(10);
/// Deadline of any single expected set-up notification.
const NOTIFICATION_DEADLINE: Duration = Duration::from_secs(20);
/// How long the server may take to print its address.
const STARTUP_DEADLINE: Duration = Duration::from_secs(20);
/// How long deliveries may keep arriving after the last operation before the rest count as lost.
const DRAIN_DEADLINE: Duration = Duration::from_secs(15);

/// Notification throughput and latency of the gws-conform reference server to held long-polls.
#[derive(Debug, Parser)]
#[command(name = "notify_throughput")]
struct Args {
    /// Connected users (agents plus supervisors), each with its own Bayeux client.
    #[arg(long, default_value_t = 1000)]
    users: usize,
    /// Users per chat: one agent plus `fanout - 1` supervisors monitoring it. Each operation
    /// causes one notification to each of them. Must divide `--users`.
    #[arg(long, default_value_t = 1)]
    fanout: usize,
    /// Length of the measured window, in seconds.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Load before the measured window starts, in seconds.
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// Operations in flight at once (one worker and one connection each).
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Issue operations at this many per second (open loop; how far issuing fell behind the
    /// schedule is reported as "schedule lag"). Without it: as fast as possible (closed loop).
    #[arg(long)]
    rate: Option<f64>,
    /// The server's `--long-poll-timeout`, in milliseconds.
    #[arg(long, default_value_t = 20_000)]
    long_poll_ms: u64,
    /// Worker threads of this load generator's tokio runtime (the server uses its default).
    #[arg(long, default_value_t = 2)]
    client_threads: usize,
    /// Set-up requests in flight at once (logins, chats).
    #[arg(long, default_value_t = 32)]
    setup_concurrency: usize,
    /// The `gws-conform` binary; defaults to the one cargo built for this benchmark.
    #[arg(long)]
    server: Option<PathBuf>,
    /// Passed by `cargo bench` to every benchmark binary; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

/// Adds what was being done to an error.
trait Context<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T, E: Display> Context<T> for std::result::Result<T, E> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| format!("{}: {e}", what()).into())
    }
}

impl<T> Context<T> for Option<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.ok_or_else(|| what().into())
    }
}

/// Locks a mutex, ignoring poisoning: the data behind it are plain records.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.client_threads.max(1))
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(run(args));
    // Dropping the runtime cancels the clients' connect loops; the server is already gone.
    drop(runtime);
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Users and set-up

/// One connected user: an HTTP client for the set-up's REST calls, and its long-poll client.
struct User {
    name: String,
    http: reqwest::Client,
    bayeux: LongPollClient,
}

fn http_client(cookies: bool) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .cookie_store(cookies)
        // Never route the benchmark's traffic through a proxy from the environment.
        .no_proxy()
        .build()
        .context(|| "build an HTTP client".into())
}

/// A POST that must answer HTTP 200 with `statusCode` 0; returns the body.
async fn post_ok(request: reqwest::RequestBuilder, body: Value, what: &str) -> Result<Value> {
    let response = request
        .timeout(REQUEST_DEADLINE)
        .json(&body)
        .send()
        .await
        .context(|| format!("{what}: request failed"))?;
    let status = response.status();
    let text = response
        .text()
        .await
        .context(|| format!("{what}: reading the reply failed"))?;
    let reply: Value = serde_json::from_str(&text).context(|| format!("{what}: reply {text:?}"))?;
    if status != reqwest::StatusCode::OK || reply["statusCode"] != 0 {
        return Err(format!("{what}: HTTP {status}: {text}").into());
    }
    Ok(reply)
}

impl User {
    async fn connect(base: &str, name: String, long_poll: Duration) -> Result<Self> {
        let login = Login::new(base, &name, PASSWORD, long_poll, TAG);
        let bayeux = LongPollClient::start(login)
            .await
            .context(|| format!("{name}: Bayeux handshake and subscription"))?;
        Ok(Self {
            name,
            http: http_client(true)?,
            bayeux,
        })
    }

    /// An authenticated POST (Basic credentials; the session cookie is reused too).
    async fn post(&self, base: &str, path: &str, body: Value) -> Result<Value> {
        let request = self
            .http
            .post(format!("{base}{path}"))
            .basic_auth(&self.name, Some(PASSWORD));
        post_ok(request, body, &format!("{}: POST {path}", self.name)).await
    }

    async fn id(&self, base: &str) -> Result<String> {
        let what = || format!("{}: GET /api/v2/me", self.name);
        let reply: Value = self
            .http
            .get(format!("{base}/api/v2/me"))
            .basic_auth(&self.name, Some(PASSWORD))
            .timeout(REQUEST_DEADLINE)
            .send()
            .await
            .context(what)?
            .json()
            .await
            .context(what)?;
        reply["user"]["id"]
            .as_str()
            .map(str::to_owned)
            .context(|| format!("{}: no user id in {reply}", what()))
    }

    /// Waits for a set-up notification that `pick` accepts, received since the client started.
    async fn wait_for<T>(&self, what: &str, pick: impl Fn(&Seen) -> Option<T>) -> Result<T> {
        let deadline = Instant::now() + NOTIFICATION_DEADLINE;
        self.bayeux
            .inbox
            .wait_for(what, deadline, pick)
            .await
            .context(|| self.name.clone())
    }
}

/// Runs `task(i)` for every `i` in `0..count`, `limit` at a time; fails on the first failure.
async fn bounded<T, F, Fut>(count: usize, limit: usize, task: F) -> Result<Vec<T>>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<T>> + Send + 'static,
{
    let semaphore = Arc::new(Semaphore::new(limit.max(1)));
    let mut set = JoinSet::new();
    for i in 0..count {
        let permit = semaphore
            .clone()
            .acquire_owned()
            .await
            .context(|| "set-up semaphore closed".into())?;
        let future = task(i);
        set.spawn(async move {
            let result = future.await;
            drop(permit);
            (i, result)
        });
    }
    let mut results: Vec<Option<T>> = (0..count).map(|_| None).collect();
    while let Some(joined) = set.join_next().await {
        let (i, result) = joined.context(|| "a set-up task panicked".into())?;
        results[i] = Some(result?);
    }
    Ok(results.into_iter().flatten().collect())
}

/// Connects every user, logs the agents in, starts monitoring, creates and accepts one chat per
/// agent, and proves with a probe message that every user receives its chat's messages.
/// Returns the users and, per chat (group), the customer-side chat id.
async fn set_up(args: &Args, base: &str) -> Result<(Vec<Arc<User>>, Vec<String>)> {
    let groups = args.users / args.fanout;
    let supervisors_per_agent = args.fanout - 1;
    let long_poll = Duration::from_millis(args.long_poll_ms);
    // Users 0..groups are the agents, then the supervisors, group by group.
    let names: Vec<String> = (1..=groups)
        .map(|n| format!("agent{n}"))
        .chain((1..=groups * supervisors_per_agent).map(|n| format!("supervisor{n}")))
        .collect();
    let started = Instant::now();
    let users: Vec<Arc<User>> = bounded(args.users, args.setup_concurrency, |i| {
        let base = base.to_owned();
        let name = names[i].clone();
        async move { User::connect(&base, name, long_poll).await.map(Arc::new) }
    })
    .await?;
    eprintln!(
        "  {} Bayeux clients connected and subscribed in {:.1} s",
        users.len(),
        started.elapsed().as_secs_f64()
    );

    // Agents: id, contact-centre session, Ready. No chat is waiting yet, so nothing is routed.
    let agent_ids: Vec<String> = bounded(groups, args.setup_concurrency, |g| {
        let (base, agent) = (base.to_owned(), users[g].clone());
        async move {
            let id = agent.id(&base).await?;
            let start = json!({"operationName": "StartContactCenterSession", "channels": ["chat"]});
            agent.post(&base, "/api/v2/me", start).await?;
            let ready = json!({"operationName": "Ready"});
            agent.post(&base, "/api/v2/me/channels/chat", ready).await?;
            Ok(id)
        }
    })
    .await?;

    // Supervisors start monitoring before the chats exist, so they join when the agent accepts.
    bounded(
        groups * supervisors_per_agent,
        args.setup_concurrency,
        |s| {
            let (base, supervisor) = (base.to_owned(), users[groups + s].clone());
            let agent_id = agent_ids[s / supervisors_per_agent.max(1)].clone();
            async move {
                let path = format!("/api/v2/users/{agent_id}/channels/chat");
                supervisor
                    .post(&base, &path, json!({"operationName": "Monitor"}))
                    .await
                    .map(drop)
            }
        },
    )
    .await?;

    // One chat per agent: routing gives each new chat to the Ready agent with the fewest chats,
    // so every agent gets exactly one. Which one is learnt from its Invited notification.
    let customers = http_client(false)?;
    let customer_chat_ids: Vec<String> = bounded(groups, args.setup_concurrency, |n| {
        let (base, customers) = (base.to_owned(), customers.clone());
        async move {
            let request = customers
                .post(format!("{base}/api/v2/chats"))
                .header("ContactCenterId", "default");
            let body = json!({"operationName": "RequestChat", "nickname": format!("customer{n}")});
            let reply = post_ok(request, body, "RequestChat").await?;
            reply["id"]
                .as_str()
                .map(str::to_owned)
                .context(|| format!("RequestChat: no id in {reply}"))
        }
    })
    .await?;
    bounded(groups, args.setup_concurrency, |g| {
        let (base, agent) = (base.to_owned(), users[g].clone());
        async move {
            let chat_id = agent
                .wait_for("Invited StatusChange", |seen| match seen {
                    Seen::Invited(id) => Some(id.clone()),
                    Seen::Text(_) => None,
                })
                .await?;
            let path = format!("/api/v2/me/chats/{chat_id}");
            agent
                .post(&base, &path, json!({"operationName": "Accept"}))
                .await
                .map(drop)
        }
    })
    .await?;

    // Probe: each customer says hello and every user must see its chat's probe. The customer
    // ids are not yet tied to agents, so a probe's own text names its customer chat.
    bounded(groups, args.setup_concurrency, |n| {
        let (base, customers, id) = (
            base.to_owned(),
            customers.clone(),
            customer_chat_ids[n].clone(),
        );
        async move {
            let request = customers
                .post(format!("{base}/api/v2/chats/{id}"))
                .header("ContactCenterId", "default");
            let body = json!({"operationName": "SendMessage", "text": format!("{PROBE}{id}")});
            post_ok(request, body, "probe SendMessage").await.map(drop)
        }
    })
    .await?;
    let probes: Vec<String> = bounded(args.users, args.setup_concurrency, |i| {
        let user = users[i].clone();
        async move {
            user.wait_for("probe message", |seen| match seen {
                Seen::Text(text) => text.strip_prefix(PROBE).map(str::to_owned),
                Seen::Invited(_) => None,
            })
            .await
        }
    })
    .await?;
    // Each group's agent and supervisors must have seen the same probe (the same chat).
    let mut chats = Vec::with_capacity(groups);
    for (g, customer_chat_id) in probes.iter().take(groups).enumerate() {
        for s in 0..supervisors_per_agent {
            let supervisor = groups + g * supervisors_per_agent + s;
            if &probes[supervisor] != customer_chat_id {
                return Err(format!(
                    "{} is in chat {} but monitors {}, who is in {customer_chat_id}",
                    users[supervisor].name, probes[supervisor], users[g].name
                )
                .into());
            }
        }
        chats.push(customer_chat_id.clone());
    }
    eprintln!(
        "  set-up done in {:.1} s: {groups} chats of {} users each",
        started.elapsed().as_secs_f64(),
        args.fanout
    );
    Ok((users, chats))
}

// ---------------------------------------------------------------------------------------------
// The load

/// What the operations recorded.
struct LoadRecord {
    /// Start instant of operation `seq`, at index `seq` (`None`: never issued, because the
    /// window closed between taking the number and issuing it).
    starts: Vec<Option<Instant>>,
    /// Sequence numbers whose HTTP request failed.
    failed: Vec<usize>,
    /// HTTP response time of every successful operation started in the window, in µs.
    response_us: Vec<u64>,
    /// The first failure, for the report.
    first_error: Option<String>,
    /// Open loop: how late each operation of the window was issued against its schedule, in µs.
    lag_us: Vec<u64>,
}

/// What one operation worker recorded.
#[derive(Default)]
struct WorkerRecord {
    starts: Vec<(usize, Instant)>,
    failed: Vec<usize>,
    response_us: Vec<u64>,
    first_error: Option<String>,
    lag_us: Vec<u64>,
}

/// The `statusCode` of an operation's reply.
#[derive(serde::Deserialize)]
struct OperationReply {
    #[serde(rename = "statusCode")]
    status_code: Option<i64>,
}

/// Timing shared by the operation workers.
#[derive(Clone, Copy)]
struct Schedule {
    began: Instant,
    window_start: Instant,
    end: Instant,
    /// Open loop: operations per second.
    rate: Option<f64>,
}

/// One customer `SendMessage`; `Ok` only for HTTP 200 with `statusCode` 0.
async fn send_message(connection: &mut Connection, path: &str, seq: usize) -> Result<()> {
    let body = format!(r#"{{"operationName":"SendMessage","text":"{TAG}{seq}"}}"#);
    let response = connection
        .post(
            path,
            &["ContactCenterId: default"],
            body.as_bytes(),
            REQUEST_DEADLINE,
        )
        .await?;
    let reply: OperationReply = serde_json::from_slice(&response.body).context(|| {
        format!(
            "SendMessage: reply {:?}",
            String::from_utf8_lossy(&response.body)
        )
    })?;
    if response.status != 200 || reply.status_code != Some(0) {
        return Err(format!(
            "SendMessage: HTTP {}: {}",
            response.status,
            String::from_utf8_lossy(&response.body)
        )
        .into());
    }
    Ok(())
}

/// One worker: takes the next sequence number, waits for its slot in the open loop, sends the
/// operation on its own connection, until the window closes.
async fn operation_worker(
    base: String,
    paths: Arc<Vec<String>>,
    next: Arc<AtomicUsize>,
    schedule: Schedule,
) -> WorkerRecord {
    let mut record = WorkerRecord::default();
    let mut connection: Option<Connection> = None;
    loop {
        let seq = next.fetch_add(1, Ordering::Relaxed);
        // Open loop: the intended start of operation `seq`; closed loop: now.
        let intended = schedule
            .rate
            .map(|rate| schedule.began + Duration::from_secs_f64(seq as f64 / rate));
        if let Some(at) = intended {
            tokio::time::sleep_until(at.into()).await;
        }
        // Latency counts from when the request is actually issued; in the open loop, lateness
        // against the schedule (all workers busy) is reported separately.
        let start = Instant::now();
        if start >= schedule.end {
            return record;
        }
        let measured = start >= schedule.window_start;
        if let Some(at) = intended
            && measured
        {
            record
                .lag_us
                .push(start.saturating_duration_since(at).as_micros() as u64);
        }
        record.starts.push((seq, start));
        let result = match connection.as_mut() {
            Some(open) => send_message(open, &paths[seq % paths.len()], seq).await,
            None => match Connection::open(&base, REQUEST_DEADLINE).await {
                Ok(open) => {
                    let open = connection.insert(open);
                    send_message(open, &paths[seq % paths.len()], seq).await
                }
                Err(e) => Err(e),
            },
        };
        match result {
            Ok(()) if measured => record.response_us.push(start.elapsed().as_micros() as u64),
            Ok(()) => {}
            Err(e) => {
                // The connection may hold half a response; the next operation opens a new one.
                connection = None;
                record.failed.push(seq);
                record.first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
}

/// Sends customer `SendMessage` operations round-robin over the chats until the window
/// closes, `concurrency` workers at a time (closed loop) or at `rate` per second (open loop),
/// and waits for the last ones to finish.
async fn drive(
    args: &Args,
    base: &str,
    chats: &[String],
    schedule: Schedule,
) -> Result<LoadRecord> {
    // Prebuilt per-chat paths, so the hot loop only formats the text.
    let paths: Arc<Vec<String>> = Arc::new(
        chats
            .iter()
            .map(|id| format!("/api/v2/chats/{id}"))
            .collect(),
    );
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = JoinSet::new();
    for _ in 0..args.concurrency.max(1) {
        workers.spawn(operation_worker(
            base.to_owned(),
            paths.clone(),
            next.clone(),
            schedule,
        ));
    }
    let mut record = LoadRecord {
        starts: Vec::new(),
        failed: Vec::new(),
        response_us: Vec::new(),
        first_error: None,
        lag_us: Vec::new(),
    };
    // Every request has its own deadline, so this ends; the outer timeout is a backstop.
    let backstop = schedule.end + REQUEST_DEADLINE * 2;
    loop {
        let joined = tokio::time::timeout_at(backstop.into(), workers.join_next())
            .await
            .context(|| "operations still running long after their deadline".into())?;
        let Some(joined) = joined else { break };
        let worker = joined.context(|| "an operation worker panicked".into())?;
        for (seq, start) in worker.starts {
            if record.starts.len() <= seq {
                record.starts.resize(seq + 1, None);
            }
            record.starts[seq] = Some(start);
        }
        record.failed.extend(worker.failed);
        record.response_us.extend(worker.response_us);
        record.lag_us.extend(worker.lag_us);
        if record.first_error.is_none() {
            record.first_error = worker.first_error;
        }
    }
    Ok(record)
}

// ---------------------------------------------------------------------------------------------
// Results

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

/// Runs the benchmark, or stops it on SIGINT/SIGTERM: either way the future holding the server
/// guard is dropped, so the server process is killed (Ctrl-C in a terminal reaches it anyway;
/// a `kill` of this process alone would not).
async fn run(args: Args) -> Result<()> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context(|| "listen for SIGTERM".into())?;
    tokio::select! {
        result = measure(args) => result,
        _ = tokio::signal::ctrl_c() => Err("interrupted (SIGINT)".into()),
        _ = terminate.recv() => Err("terminated (SIGTERM)".into()),
    }
}

async fn measure(args: Args) -> Result<()> {
    if args.users == 0 || args.fanout == 0 || !args.users.is_multiple_of(args.fanout) {
        return Err("--users must be a positive multiple of --fanout".into());
    }
    if !(args.seconds > 0.0 && args.warmup >= 0.0) {
        return Err("--seconds must be positive and --warmup not negative".into());
    }
    if args.rate.is_some_and(|r| r.is_nan() || r <= 0.0) {
        return Err("--rate must be positive".into());
    }
    let binary = server_binary(&args)?;
    let dir = TempDir::new()?;
    let groups = args.users / args.fanout;
    let users_file = dir.0.join("users.yaml");
    fs::write(&users_file, users_yaml(groups, groups * (args.fanout - 1)))
        .context(|| format!("write {}", users_file.display()))?;
    let server = ServerProcess::start(&binary, &users_file, args.long_poll_ms, &dir.0)?;
    let server_pid = server.pid().to_string();
    eprintln!(
        "notify_throughput: server pid {server_pid} at {}, {} users, fanout {}",
        server.base, args.users, args.fanout
    );
    let setup_started = Instant::now();
    let (users, chats) = set_up(&args, &server.base).await?;
    let setup_seconds = setup_started.elapsed().as_secs_f64();

    let began = Instant::now();
    let window_start = began + Duration::from_secs_f64(args.warmup);
    let window_end = window_start + Duration::from_secs_f64(args.seconds);
    // CPU time is sampled at the window's edges by a side task, while the load runs.
    let cpu_pids = server_pid.clone();
    let cpu_sampler = tokio::spawn(async move {
        tokio::time::sleep_until(window_start.into()).await;
        let softirq_pids = ksoftirqd_pids();
        let softirq = || -> f64 { softirq_pids.iter().filter_map(|p| cpu_seconds(p)).sum() };
        let before = (cpu_seconds(&cpu_pids), cpu_seconds("self"));
        let machine_before = machine_busy_seconds();
        let softirq_before = softirq();
        let rss = rss_kib(&cpu_pids);
        tokio::time::sleep_until(window_end.into()).await;
        let after = (cpu_seconds(&cpu_pids), cpu_seconds("self"));
        let machine = machine_before
            .zip(machine_busy_seconds())
            .map(|(b, a)| a - b);
        (before, after, rss, machine, softirq() - softirq_before)
    });
    eprintln!(
        "  load: {:.0} s warm-up + {:.0} s measured, {} in flight{}",
        args.warmup,
        args.seconds,
        args.concurrency,
        args.rate
            .map(|r| format!(", {r} ops/s"))
            .unwrap_or_default()
    );
    let schedule = Schedule {
        began,
        window_start,
        end: window_end,
        rate: args.rate,
    };
    let record = drive(&args, &server.base, &chats, schedule).await?;
    let (
        (server_before, self_before),
        (server_after, self_after),
        server_rss_start,
        machine_busy,
        softirq_busy,
    ) = cpu_sampler
        .await
        .context(|| "the CPU sampler panicked".into())?;

    // Match every tagged delivery to its operation. Each user first waits (bounded by one
    // shared deadline) until it has received one notification per successful operation on its
    // chat, so late deliveries are counted; what has not arrived by then counts as missing.
    let failed: std::collections::HashSet<usize> = record.failed.iter().copied().collect();
    let issued = |seq: &usize| record.starts[*seq].is_some() && !failed.contains(seq);
    let mut ok_per_chat = vec![0usize; groups];
    for seq in (0..record.starts.len()).filter(issued) {
        ok_per_chat[seq % groups] += 1;
    }
    let chat_of_user = |i: usize| {
        if i < groups {
            i
        } else {
            (i - groups) / (args.fanout - 1)
        }
    };
    let drain_deadline = Instant::now() + DRAIN_DEADLINE;
    let mut per_op = vec![0u32; record.starts.len()];
    let mut latencies_us: Vec<u64> = Vec::new();
    let mut in_window = 0u64;
    let mut foreign = 0u64;
    // Long-poll replies that carried the window's deliveries: the client stamps every message
    // of one reply with the same arrival instant.
    let mut replies = 0u64;
    let (mut rehandshakes, mut transport_errors, mut ended) = (0u64, 0u64, 0u64);
    for (i, user) in users.iter().enumerate() {
        let inbox = &user.bayeux.inbox;
        let expected = ok_per_chat[chat_of_user(i)];
        let mut previous: Option<Instant> = None;
        for (seq, received_at) in inbox.tagged_when(expected, drain_deadline).await {
            let Some(start) = record.starts.get(seq).copied().flatten() else {
                foreign += 1;
                continue;
            };
            per_op[seq] += 1;
            if (window_start..window_end).contains(&start) {
                let latency = received_at.saturating_duration_since(start);
                latencies_us.push(latency.as_micros() as u64);
            }
            if (window_start..window_end).contains(&received_at) {
                in_window += 1;
                if previous != Some(received_at) {
                    replies += 1;
                }
            }
            previous = Some(received_at);
        }
        foreign += inbox.unmatched.load(Ordering::Relaxed);
        rehandshakes += inbox.rehandshakes.load(Ordering::Relaxed);
        transport_errors += inbox.transport_errors.load(Ordering::Relaxed);
        ended += inbox.ended.load(Ordering::Relaxed);
    }
    let measured_ops: Vec<usize> = (0..record.starts.len())
        .filter(|&s| record.starts[s].is_some_and(|at| (window_start..window_end).contains(&at)))
        .collect();
    let measured_ok = measured_ops.iter().filter(|s| !failed.contains(s)).count();
    let (mut missing, mut duplicated) = (0u64, 0u64);
    for &seq in &measured_ops {
        let expected = if failed.contains(&seq) {
            0
        } else {
            args.fanout as u32
        };
        missing += u64::from(expected.saturating_sub(per_op[seq]));
        duplicated += u64::from(per_op[seq].saturating_sub(expected));
    }
    latencies_us.sort_unstable();
    let mut response_us = record.response_us;
    response_us.sort_unstable();
    let mut lag_us = record.lag_us;
    lag_us.sort_unstable();

    // Clients first (their loops stop), then read the server's peak before it is killed.
    drop(users);
    let server_rss = peak_rss_kib(&server_pid);
    let self_rss = peak_rss_kib("self");
    let warnings = server.warnings();
    drop(server);

    let window = args.seconds;
    let cpu_rate = |before: Option<f64>, after: Option<f64>| match (before, after) {
        (Some(b), Some(a)) => (a - b) / window,
        _ => f64::NAN,
    };
    let server_cores = cpu_rate(server_before, server_after);
    let loadgen_cores = cpu_rate(self_before, self_after);
    let softirq_cores = softirq_busy / window;
    // What the rest of the (shared) machine used meanwhile, steal time included: a noise
    // indicator (a run with a high value measured a busy machine as much as the server).
    let other_cores = machine_busy.map_or(f64::NAN, |busy| {
        (busy / window - server_cores - loadgen_cores - softirq_cores).max(0.0)
    });
    let per_second = in_window as f64 / window;
    // CPU time each delivered notification cost, in µs (the operations' share included).
    let cost_us = |cores: f64| cores * 1e6 / per_second.max(1.0);
    let per_reply = in_window as f64 / replies.max(1) as f64;
    let result = json!({
        "users": args.users,
        "fanout": args.fanout,
        "chats": groups,
        "concurrency": args.concurrency,
        "rate": args.rate,
        "seconds": args.seconds,
        "warmup": args.warmup,
        "notifications_per_s": in_window as f64 / window,
        "ops_per_s": measured_ok as f64 / window,
        "latency_ms": {
            "p50": ms(percentile(&latencies_us, 0.50)),
            "p95": ms(percentile(&latencies_us, 0.95)),
            "p99": ms(percentile(&latencies_us, 0.99)),
            "max": ms(latencies_us.last().copied().unwrap_or(0)),
            "samples": latencies_us.len(),
        },
        "op_response_ms": {
            "p50": ms(percentile(&response_us, 0.50)),
            "p99": ms(percentile(&response_us, 0.99)),
        },
        "schedule_lag_ms": args.rate.map(|_| json!({
            "p99": ms(percentile(&lag_us, 0.99)),
            "max": ms(lag_us.last().copied().unwrap_or(0)),
        })),
        "server_peak_rss_mib": server_rss.map(|k| k as f64 / 1024.0),
        "loadgen_peak_rss_mib": self_rss.map(|k| k as f64 / 1024.0),
        "server_cpu_cores": server_cores,
        "loadgen_cpu_cores": loadgen_cores,
        "ksoftirqd_cpu_cores": softirq_cores,
        "other_cpu_cores": other_cores,
        "server_cpu_us_per_notification": cost_us(server_cores),
        "loadgen_cpu_us_per_notification": cost_us(loadgen_cores),
        "notifications_per_reply": per_reply,
        "server_rss_at_window_start_mib": server_rss_start.map(|k| k as f64 / 1024.0),
        "setup_s": setup_seconds,
        "failed_ops": record.failed.len(),
        "missing_deliveries": missing,
        "duplicated_deliveries": duplicated,
        "unmatched_deliveries": foreign,
        "rehandshakes": rehandshakes,
        "transport_errors": transport_errors,
        "ended_sessions": ended,
        "server_log_lines": warnings.len(),
    });
    println!(
        "notify_throughput: {} users ({} chats x {} users), {} in flight{}, {} s window",
        args.users,
        groups,
        args.fanout,
        args.concurrency,
        args.rate
            .map(|r| format!(" at {r} ops/s"))
            .unwrap_or_default(),
        args.seconds
    );
    println!(
        "  notifications delivered: {:.0}/s   operations: {:.0}/s",
        in_window as f64 / window,
        measured_ok as f64 / window
    );
    println!(
        "  latency operation -> delivery: p50 {:.2} ms  p95 {:.2} ms  p99 {:.2} ms  max {:.2} ms  ({} deliveries)",
        ms(percentile(&latencies_us, 0.50)),
        ms(percentile(&latencies_us, 0.95)),
        ms(percentile(&latencies_us, 0.99)),
        ms(latencies_us.last().copied().unwrap_or(0)),
        latencies_us.len()
    );
    println!(
        "  operation HTTP response: p50 {:.2} ms  p99 {:.2} ms",
        ms(percentile(&response_us, 0.50)),
        ms(percentile(&response_us, 0.99))
    );
    println!(
        "  peak RSS: server {:.1} MiB (resident {:.1} MiB when the window opened), load generator {:.1} MiB",
        server_rss.unwrap_or(0) as f64 / 1024.0,
        server_rss_start.unwrap_or(0) as f64 / 1024.0,
        self_rss.unwrap_or(0) as f64 / 1024.0,
    );
    println!(
        "  CPU in window: server {server_cores:.2} cores ({:.1} us/notification), load generator \
         {loadgen_cores:.2} cores ({:.1} us/notification); ~{per_reply:.2} notifications per long-poll reply; \
         kernel softirq threads {softirq_cores:.2} cores; other processes {other_cores:.2} cores",
        cost_us(server_cores),
        cost_us(loadgen_cores),
    );
    println!(
        "  failed ops {}, missing deliveries {missing}, duplicated {duplicated}, unmatched {foreign}, \
         re-handshakes {rehandshakes}, transport errors {transport_errors}, ended sessions {ended}, \
         server log lines {}",
        record.failed.len(),
        warnings.len()
    );
    if args.rate.is_some() {
        println!(
            "  open loop: operations issued late against the schedule by p99 {:.2} ms, max {:.2} ms",
            ms(percentile(&lag_us, 0.99)),
            ms(lag_us.last().copied().unwrap_or(0))
        );
    }
    if let Some(error) = &record.first_error {
        println!("  first failed operation: {error}");
    }
    for line in warnings.iter().take(5) {
        println!("  server: {line}");
    }
    println!("RESULT {result}");
    Ok(())
}
