//! Interoperability with the official CometD server.
//!
//! The harness's Bayeux client (`gws_conform::driver::bayeux`) otherwise only meets servers
//! written in this repository. Here it talks to `tests/interop/cometd-server/gws-notifier.mjs`,
//! a small node server built on the CometD project's own `cometd-nodejs-server` (pinned in that
//! directory's `package-lock.json`, long-polling), which publishes GWS-shaped notifications
//! (ChatStateChangeMessage StatusChange and ParticipantsUpdated, MessageLogUpdated) on
//! `/v2/me/chats` at `/api/v2/notifications`. The test proves that:
//!
//! - every published notification arrives once, in order, unaltered, and valid against the
//!   suite's notification schema — a few hundred of them, in bursts and spaced out, over many
//!   long-polls of two sessions;
//! - the client follows the server's advice: CometD advises `reconnect`, `timeout` and
//!   `interval` on the handshake reply, on a first connect reply only when nothing is waiting to
//!   be delivered (it advises only a connect it may hold), and never on later connect replies;
//!   the client keeps the session, long-polls with the advised hold (its own default hold is zero
//!   here, so ignoring the advice would time connects out) and waits at least the advised
//!   interval between connects;
//! - when CometD's sweeper expires the session (a connect delayed past `maxInterval`, as a slow
//!   network would delay it), the next connect is refused with `402::session_unknown` and
//!   advice `reconnect: handshake`, and the client handshakes again, resubscribes, and receives
//!   everything published afterwards;
//! - the Bayeux protocol checks `gws-conform run` applies to every CometD session, over its
//!   recorded meta replies, and the unknown-client probe's check, raise no finding against this
//!   legal server (among others, the second session's first connect reply carries no advice,
//!   which Bayeux allows while the handshake's complete advice is in force) but the one
//!   `check::bayeux::connect_refusals` raises by design for the expiry the script induces: it
//!   reports any refused connect of a session, since the client cannot tell a server that
//!   forgot a prompt client from a network that delayed the connect.
//!
//! Needs `node` (>= 20) and `npm` on PATH; the package is installed with `npm ci` on first run
//! (the npm registry must be reachable then). Takes about 12 s after that.

mod support;

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use gws_conform::bayeux::{ChannelPattern, LONG_POLLING, META_CONNECT};
use gws_conform::check::bayeux as bayeux_check;
use gws_conform::check::schema::SchemaSet;
use gws_conform::driver::bayeux::{
    BayeuxClient, BayeuxConfig, Credentials, Cursor, Delivery, Inbox, SessionEvent,
};
use gws_conform::driver::tap::Tap;
use gws_conform::har::{Capture, CaptureSink};
use serde_json::{Value, json};
use support::node::{ensure_node_modules, interop_dir, program};
use tokio::sync::mpsc;

/// The channel the server publishes on and the client subscribes to.
const CHANNEL: &str = "/v2/me/chats";
/// Whose session this is, in findings.
const ACTOR: &str = "agent1";
/// How many notifications the server publishes, over both sessions.
const MESSAGES: usize = 300;
/// CometD's long-poll hold (`timeout`), advised to the client.
const TIMEOUT: Duration = Duration::from_millis(1500);
/// CometD's `interval`, advised to the client: the least it must wait between connects.
const INTERVAL: Duration = Duration::from_millis(200);
/// CometD's `maxInterval` once the script lets the session expire (until then it keeps
/// CometD's default of 10 s, so that a client slowed by a loaded machine is not expired by
/// accident).
const MAX_INTERVAL: Duration = Duration::from_millis(300);
/// How often CometD's sweeper looks for expired sessions.
const SWEEP_PERIOD: Duration = Duration::from_millis(100);
/// The script's own deadline: it exits 1 by itself after this, saying why.
const SCRIPT_DEADLINE: Duration = Duration::from_secs(45);
/// The backstop: the test stops waiting and kills node after this.
const TEST_DEADLINE: Duration = Duration::from_secs(60);

/// Every exchange the client makes, as it went over the wire.
#[derive(Default)]
struct Wire(Mutex<Vec<Capture>>);

impl CaptureSink for Wire {
    fn capture(&self, capture: Capture) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(capture);
    }
}

/// One `/meta/connect` exchange as the wire saw it.
struct ConnectExchange {
    /// The `clientId` it was sent for.
    client_id: String,
    /// Whether it asked the server not to hold it (`advice: {timeout: 0}`): the first connect
    /// of each session.
    first: bool,
    /// When it was sent.
    started: Instant,
    /// When its reply had been read.
    ended: Instant,
    /// How long the server took to answer it.
    held: Duration,
    /// The `/meta/connect` reply.
    reply: Value,
    /// How many notifications came with the reply.
    delivered: usize,
}

impl Wire {
    /// The connects that got a complete reply, in the order they were sent. The held connect
    /// that the client abandons on disconnect has none.
    fn connects(&self) -> Vec<ConnectExchange> {
        let mut captures = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        captures.sort_by_key(|c| c.seq);
        captures
            .into_iter()
            .filter_map(|capture| {
                let sent: Vec<Value> = serde_json::from_slice(&capture.request_body).ok()?;
                let request = sent.iter().find(|m| m["channel"] == META_CONNECT)?;
                let body = &capture.response.as_ref()?.body;
                let received: Vec<Value> = serde_json::from_slice(body).ok()?;
                let reply = received
                    .iter()
                    .find(|m| m["channel"] == META_CONNECT)?
                    .clone();
                let delivered = received
                    .iter()
                    .filter(|m| {
                        m["channel"]
                            .as_str()
                            .is_some_and(|c| !c.starts_with("/meta/"))
                    })
                    .count();
                Some(ConnectExchange {
                    client_id: request["clientId"].as_str()?.to_owned(),
                    first: request.pointer("/advice/timeout") == Some(&json!(0)),
                    started: capture.started,
                    ended: capture.started + capture.send + capture.wait + capture.receive,
                    held: capture.send + capture.wait,
                    reply,
                    delivered,
                })
            })
            .collect()
    }
}

/// The node server: its stdout lines (parsed, in order) and stderr (for failure messages).
/// Killed when dropped, so a failing assertion never leaves it running.
struct NodeServer {
    child: Child,
    lines: mpsc::UnboundedReceiver<Value>,
    /// Every line received so far.
    seen: Vec<Value>,
    stderr: Arc<Mutex<String>>,
}

impl NodeServer {
    fn start(dir: &Path) -> Self {
        let millis = |d: Duration| d.as_millis().to_string();
        let mut child = Command::new(program("node"))
            .arg("gws-notifier.mjs")
            .arg("--port=0")
            .arg(format!("--timeout={}", millis(TIMEOUT)))
            .arg(format!("--interval={}", millis(INTERVAL)))
            .arg(format!("--max-interval={}", millis(MAX_INTERVAL)))
            .arg(format!("--sweep-period={}", millis(SWEEP_PERIOD)))
            .arg(format!("--messages={MESSAGES}"))
            .arg(format!("--deadline={}", millis(SCRIPT_DEADLINE)))
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("could not start node: {e} (is it installed and on PATH?)"));
        let (tx, lines) = mpsc::unbounded_channel();
        let stdout = child.stdout.take().expect("stdout is piped");
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // A line that is not JSON is passed on as a string: the waits report it.
                let value = serde_json::from_str(&line).unwrap_or(Value::String(line));
                if tx.send(value).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().expect("stderr is piped");
        let sink = Arc::clone(&stderr);
        thread::spawn(move || {
            let mut buf = [0; 4096];
            while let Ok(n @ 1..) = pipe.read(&mut buf) {
                let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                sink.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push_str(&text);
            }
        });
        Self {
            child,
            lines,
            seen: Vec::new(),
            stderr,
        }
    }

    /// Waits for the next line with `"event": event`, keeping every line read on the way. Given
    /// the client's `session`, fails as soon as that ends: the script would wait for it in vain.
    async fn wait_for(&mut self, event: &str, deadline: Instant, session: Option<&Inbox>) -> Value {
        let ended = async {
            if let Some(inbox) = session {
                let is_end = |e: &SessionEvent| matches!(e, SessionEvent::Ended(_));
                if let Ok(end) = inbox.wait_for_event("its end", is_end, deadline).await {
                    return (end, inbox.events());
                }
            }
            std::future::pending().await
        };
        tokio::pin!(ended);
        loop {
            let next = tokio::time::timeout_at(deadline.into(), self.lines.recv());
            let line = tokio::select! {
                line = next => line,
                (end, events) = &mut ended => panic!(
                    "the client's session ended ({end:?}) before gws-notifier.mjs printed {event:?}\n{}\n--- the client's session events ---\n{events:#?}",
                    self.context()
                ),
            };
            match line {
                Ok(Some(line)) => {
                    self.seen.push(line.clone());
                    if !line.is_object() {
                        panic!(
                            "gws-notifier.mjs printed a line that is not JSON: {line}\n{}",
                            self.context()
                        );
                    }
                    if line["event"] == event {
                        return line;
                    }
                }
                Ok(None) => panic!(
                    "gws-notifier.mjs ended its output before printing {event:?}\n{}",
                    self.context()
                ),
                Err(_) => panic!(
                    "gws-notifier.mjs did not print {event:?} in time\n{}",
                    self.context()
                ),
            }
        }
    }

    /// The lines read so far with `"event": event`.
    fn events(&self, event: &str) -> Vec<&Value> {
        self.seen.iter().filter(|l| l["event"] == event).collect()
    }

    /// What the script said, for a failure message: its stdout but for the published data,
    /// which is counted instead, and its stderr.
    fn context(&self) -> String {
        let published = self.events("published").len();
        let lines: Vec<String> = self
            .seen
            .iter()
            .filter(|l| l["event"] != "published")
            .map(Value::to_string)
            .collect();
        let stderr = self
            .stderr
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        format!(
            "--- gws-notifier.mjs stdout ({published} published lines left out) ---\n{}\n--- gws-notifier.mjs stderr ---\n{stderr}",
            lines.join("\n")
        )
    }

    /// Waits for the script to exit by itself.
    async fn exit(&mut self, deadline: Instant) -> ExitStatus {
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("wait for node") {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("gws-notifier.mjs did not exit in time\n{}", self.context());
    }
}

impl Drop for NodeServer {
    fn drop(&mut self) {
        // Kill only our own child, by its handle; after a normal exit this changes nothing.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where `received` differs from `published` (channel and data, in order), if it does: a lost
/// message, a duplicate, one out of order or altered.
fn mismatch(published: &[(String, Value)], received: &[Delivery]) -> Option<String> {
    let got: Vec<(&str, &Value)> = received
        .iter()
        .map(|d| (d.channel.as_str(), d.data.as_ref()))
        .collect();
    let want: Vec<(&str, &Value)> = published.iter().map(|(c, d)| (c.as_str(), d)).collect();
    if got == want {
        return None;
    }
    let mut seen = HashSet::new();
    let duplicates = got
        .iter()
        .filter(|(_, data)| !seen.insert(data.to_string()))
        .count();
    let received_set: HashSet<String> = got.iter().map(|(_, d)| d.to_string()).collect();
    let lost = want
        .iter()
        .filter(|(_, d)| !received_set.contains(&d.to_string()))
        .count();
    let first = got
        .iter()
        .zip(&want)
        .position(|(g, w)| g != w)
        .unwrap_or(got.len().min(want.len()));
    let show = |list: &[(&str, &Value)]| {
        list.get(first)
            .map_or_else(|| "nothing".to_owned(), |(c, d)| format!("{c} {d}"))
    };
    Some(format!(
        "published {} messages, received {}: {lost} lost, {duplicates} duplicated; first difference at #{first}: published {}, received {}",
        want.len(),
        got.len(),
        show(&want),
        show(&got),
    ))
}

/// The client's settings. The default hold is zero, so a connect is only given time to be held
/// if the client took CometD's advised `timeout`; the margin (shorter than that timeout) is
/// then all a held connect would get, and it would time out.
fn config() -> BayeuxConfig {
    BayeuxConfig {
        request_margin: Duration::from_secs(1),
        default_hold: Duration::ZERO,
        advice_cap: Duration::from_secs(10),
        backoff_initial: Duration::from_millis(50),
        backoff_max: Duration::from_millis(500),
        max_retries: 2,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_interoperates_with_the_official_cometd_server() {
    let dir = interop_dir("cometd-server");
    tokio::task::block_in_place(|| ensure_node_modules(&dir, &["cometd-nodejs-server"]));
    let schemas = SchemaSet::from_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas"))
        .expect("the suite's schemas compile");

    let started = Instant::now();
    let deadline = started + TEST_DEADLINE;
    let mut node = NodeServer::start(&dir);
    let listening = node.wait_for("listening", deadline, None).await;
    let url = format!(
        "http://127.0.0.1:{}{}",
        listening["port"],
        listening["path"].as_str().unwrap_or_default()
    );

    // CometD finds a client's sessions through its BAYEUX_BROWSER cookie, as GWS finds its
    // users' through JSESSIONID: the client's HTTP side must keep cookies.
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("HTTP client");
    // CometD asks for no credentials; the harness always sends its users' ones.
    let credentials = Credentials {
        username: ACTOR.to_owned(),
        password: "unused".to_owned(),
    };
    let wire = Arc::new(Wire::default());
    let tap = Tap::new(Arc::clone(&wire) as Arc<dyn CaptureSink>);
    let client = BayeuxClient::connect_tapped(http, &url, Some(credentials), config(), Some(tap))
        .await
        .unwrap_or_else(|e| {
            panic!(
                "handshake with CometD at {url} failed: {e}\n{}",
                node.context()
            )
        });
    let chats = ChannelPattern::parse(CHANNEL).expect("channel pattern");
    client
        .subscribe(&chats)
        .await
        .unwrap_or_else(|e| panic!("subscribing to {CHANNEL} failed: {e}\n{}", node.context()));

    let done = node.wait_for("done", deadline, Some(client.inbox())).await;
    let events = client.inbox().events();
    let context = format!(
        "{}\n--- the client's session events ---\n{}",
        node.context(),
        events
            .iter()
            .map(|e| format!("{e:?}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let published: Vec<(String, Value)> = node
        .events("published")
        .iter()
        .map(|l| {
            (
                l["channel"].as_str().unwrap_or_default().to_owned(),
                l["data"].clone(),
            )
        })
        .collect();
    assert_eq!(published.len(), MESSAGES, "{context}");
    assert_eq!(done["published"], MESSAGES, "{context}");
    let distinct: HashSet<String> = published.iter().map(|(_, d)| d.to_string()).collect();
    assert_eq!(
        distinct.len(),
        MESSAGES,
        "the script published the same notification twice, so a duplicate delivery could pass unnoticed\n{context}"
    );

    // The script says "done" once everything was written to the client and a last connect was
    // held and answered empty since; a short wait covers reading that reply. Should it time
    // out, the comparison below says what is missing; it also reports anything beyond the
    // published count, a duplicate.
    let settled = Instant::now() + Duration::from_secs(2);
    let _ = client
        .inbox()
        .wait_for_count(Cursor::START, MESSAGES, "every message", |_| true, settled)
        .await;
    let received = client.inbox().snapshot();
    if let Some(problem) = mismatch(&published, &received) {
        panic!("{problem}\n{context}");
    }
    for delivery in &received {
        let findings = schemas.validate_notification(&delivery.data);
        assert!(
            findings.is_empty(),
            "notification #{} is not GWS-shaped: {findings:#?}",
            delivery.seq
        );
    }

    // The session expired once and the client recovered by itself.
    let handshakes: Vec<String> = node
        .events("handshake")
        .iter()
        .filter_map(|l| l["clientId"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(
        handshakes.len(),
        2,
        "expected two CometD sessions\n{context}"
    );
    let (first, second) = (handshakes[0].as_str(), handshakes[1].as_str());
    let expired: Vec<Value> = node.events("expired").into_iter().cloned().collect();
    assert!(
        expired.len() == 1 && expired[0]["clientId"] == first,
        "CometD should have expired the first session, {first}, and only it\n{context}"
    );
    let rehandshakes: Vec<&SessionEvent> = events
        .iter()
        .filter(|e| matches!(e, SessionEvent::Rehandshake { .. }))
        .collect();
    assert_eq!(
        rehandshakes,
        [&SessionEvent::Rehandshake {
            old_client_id: first.to_owned(),
            new_client_id: second.to_owned(),
            resubscribed: vec![CHANNEL.to_owned()],
        }],
        "the client should have handshaken again exactly once, from {first} to {second}, resubscribing {CHANNEL}\n{context}"
    );
    let subscribed: Vec<String> = node
        .events("subscribed")
        .iter()
        .filter_map(|l| l["clientId"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(subscribed, [first, second], "{context}");
    let phase2 = node
        .events("published")
        .iter()
        .filter(|l| l["phase"] == 2)
        .count();
    assert!(
        phase2 > 0,
        "nothing was published after the re-handshake\n{context}"
    );
    let transport_errors: Vec<&SessionEvent> = events
        .iter()
        .filter(|e| matches!(e, SessionEvent::TransportError { .. }))
        .collect();
    assert!(
        transport_errors.is_empty(),
        "the client had failed requests: {transport_errors:#?}\n{context}"
    );
    assert_eq!(client.inbox().ended(), None, "{context}");
    assert_eq!(client.client_id().as_deref(), Some(second), "{context}");

    // On the wire: CometD's advice, the held connects, the client's waits, the refusal.
    let connects = wire.connects();
    for session in [first, second] {
        let replies: Vec<&ConnectExchange> =
            connects.iter().filter(|c| c.client_id == session).collect();
        let Some(opening) = replies.first().filter(|c| c.first) else {
            panic!("the first connect of {session} should ask not to be held\n{context}");
        };
        // CometD advises on a first connect reply only when it could hold that connect, that is
        // when nothing waits to be delivered: the script publishes to the first session once its
        // first connect has been answered, and to the second one before its first connect.
        let (advised, delivered) = (opening.reply.get("advice").is_some(), opening.delivered);
        if session == first {
            assert!(
                advised && delivered == 0,
                "CometD should have answered {session}'s first connect at once, empty, with advice: {}\n{context}",
                opening.reply
            );
        } else {
            assert!(
                !advised && delivered > 0,
                "CometD should have answered {session}'s first connect with the waiting messages and without advice ({delivered} delivered): {}\n{context}",
                opening.reply
            );
        }
        let unadvised = replies
            .iter()
            .filter(|c| c.reply["successful"] == true && c.reply.get("advice").is_none())
            .count();
        let held_empty = replies
            .iter()
            .filter(|c| c.delivered == 0 && c.held >= TIMEOUT.mul_f64(0.9))
            .count();
        assert!(
            unadvised >= 3 && held_empty >= 1,
            "{session}: expected at least 3 successful connect replies without advice ({unadvised}) and at least one connect held the full {TIMEOUT:?} and answered empty ({held_empty})\n{context}"
        );
        for pair in replies.windows(2) {
            let gap = pair[1].started.saturating_duration_since(pair[0].ended);
            assert!(
                pair[0].reply["successful"] == false || gap >= INTERVAL,
                "{session}: the client connected again {gap:?} after a connect reply, not waiting the advised interval of {INTERVAL:?}\n{context}"
            );
        }
    }
    let refused: Vec<&ConnectExchange> = connects
        .iter()
        .filter(|c| c.reply["successful"] != true)
        .collect();
    assert!(
        refused.len() == 1
            && refused[0].client_id == first
            && refused[0].reply["error"]
                .as_str()
                .is_some_and(|e| e.starts_with("402:"))
            && refused[0].reply.pointer("/advice/reconnect") == Some(&json!("handshake")),
        "expected exactly one refused connect, of {first}, with a 402 error and advice reconnect: handshake; got {:?}\n{context}",
        refused.iter().map(|c| &c.reply).collect::<Vec<_>>()
    );

    // The checks `gws-conform run` applies to every CometD session, on this session's record
    // (src/run/actors.rs: check_sessions, collect_notifications). The refused connect of the
    // expired session is reported by design, and must be the only refusal.
    let refusals = bayeux_check::connect_refusals(ACTOR, &events);
    assert!(
        refusals
            .as_ref()
            .is_some_and(|f| f.requirement == bayeux_check::REPLY
                && f.message.contains(": 1 /meta/connect")
                && f.message.contains("402::session_unknown")),
        "connect_refusals should report the expired session's one refused connect and nothing else: {refusals:#?}\n{context}"
    );
    let mut findings = bayeux_check::advice(ACTOR, &events);
    findings.extend(
        client
            .inbox()
            .ended()
            .and_then(|reason| bayeux_check::session_end(ACTOR, &reason)),
    );
    // And the scenario step `bayeux_unknown_client`, probed as the runner probes.
    let probe = json!({
        "channel": META_CONNECT,
        "clientId": "gws-conform-never-issued",
        "connectionType": LONG_POLLING,
        "id": "unknown-client-probe",
    });
    let answer = client
        .probe(probe.clone())
        .await
        .unwrap_or_else(|e| panic!("the unknown-client probe failed: {e}\n{context}"));
    findings.extend(bayeux_check::unknown_client(ACTOR, &probe, &answer));
    assert!(
        findings.is_empty(),
        "the Bayeux checks flag the official CometD server: {findings:#?}\n{context}"
    );

    client
        .disconnect()
        .await
        .unwrap_or_else(|e| panic!("disconnect failed: {e}\n{context}"));
    let disconnected = node.wait_for("disconnected", deadline, None).await;
    assert_eq!(disconnected["clientId"], second, "{context}");
    let status = node.exit(deadline).await;
    assert!(
        status.success(),
        "gws-notifier.mjs exited with {status}\n{}",
        node.context()
    );

    let held = connects
        .iter()
        .filter(|c| c.delivered == 0 && c.held >= TIMEOUT.mul_f64(0.9))
        .count();
    eprintln!(
        "{MESSAGES} notifications over {} connects ({held} held the full timeout), one expiry and re-handshake, in {:?}; CometD refused the expired session's connect with {}",
        connects.len(),
        started.elapsed(),
        refused[0].reply
    );
}
