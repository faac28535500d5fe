//! `gws-conform replay`: captures replayed against the reference server.
//!
//! - a supervisor-monitoring flow recorded through a recording shim (proxy-style actor names)
//!   replays with no difference, and against servers with seeded faults that change
//!   notifications or responses, with the differences reported (exit 1 through the CLI);
//! - a real `run --record` capture (`tests/replay-captures/run-record.har`) and a browser
//!   devtools export (`tests/replay-captures/devtools.har`: lower-case headers, `_initiator`,
//!   `_resourceType`, `_priority`, cookie arrays, no `_gws*` fields) replay with no difference;
//! - a capture whose client handshook again after the server forgot its session (a refused
//!   connect, a new clientId) replays as one continued session;
//! - malformed captures, unknown users and bad arguments exit 2 with a clear message; an
//!   unreachable target exits 3.

#[path = "support/recorder.rs"]
mod recorder;
mod support;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use gws_conform::check::Verdict;
use gws_conform::event::{Outcome, RunEvent};
use gws_conform::har::model::Har;
use gws_conform::profile::Profile;
use gws_conform::replay::batching::per_entry;
use gws_conform::replay::footprint::{Footprint, Routing, footprints};
use gws_conform::replay::script::{Action, ActorKind};
use gws_conform::replay::{Plan, ReplayContext, replay_group};
use gws_conform::run::ScenarioRun;
use gws_conform::server::{Fault, ServerConfig};
use recorder::Recorder;
use serde_json::json;
use support::{Actor, Customer, gws, output_text};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn capture(name: &str) -> PathBuf {
    repo().join("tests/replay-captures").join(name)
}

/// A file in a fresh temporary directory.
fn temporary(name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gws-replay-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

/// Records a supervisor-monitoring flow: an agent Ready, a supervisor coaching it (all
/// chats), a customer's chat accepted (the supervisor joins), messages from the customer and
/// the agent, a switch to BargeIn and a supervisor message, the customer reading its
/// transcript, the agent completing (the supervisor is revoked), both logging out.
async fn record_monitoring_flow() -> Har {
    let recorder = Recorder::start(ServerConfig {
        long_poll_timeout: Duration::from_secs(5),
        ..ServerConfig::default()
    })
    .await;
    let base = recorder.base_url();
    let mut agent = Actor::ready_at(&base, "agent1", "password").await;
    let mut supervisor = Actor::login_at(&base, "supervisor1", "password").await;
    supervisor.start_session().await;
    supervisor
        .supervise(
            &agent,
            json!({"operationName": "Coach", "supervisorMonitoringMode": "AllChats", "nickname": "Sam"}),
        )
        .await
        .ok();
    let customer = Customer::request_at(&base, "Chris").await;
    let chat = agent.offered().await;
    agent.accept(&chat).await;
    supervisor.expect("ParticipantsUpdated").await;
    supervisor.expect_state("Chatting").await;
    supervisor.expect("NewMessages").await;
    agent.expect("ParticipantsUpdated").await;
    agent.expect("NewMessages").await;
    customer.say("hello").await;
    agent.expect("NewMessages").await;
    supervisor.expect("NewMessages").await;
    agent
        .must(&chat, "SendMessage", json!({"text": "hi, how can I help?"}))
        .await;
    agent.expect("NewMessages").await;
    supervisor.expect("NewMessages").await;
    supervisor.must(&chat, "SwitchToBargeIn", json!({})).await;
    supervisor.expect("ParticipantsUpdated").await;
    supervisor.expect("NewMessages").await;
    agent.expect("ParticipantsUpdated").await;
    agent.expect("NewMessages").await;
    supervisor
        .must(&chat, "SendMessage", json!({"text": "I am the supervisor"}))
        .await;
    supervisor.expect("NewMessages").await;
    agent.expect("NewMessages").await;
    assert!(!customer.transcript().await.is_empty());
    agent.must(&chat, "Complete", json!({})).await;
    agent.expect_state("Completed").await;
    supervisor.expect_state("Revoked").await;
    for actor in [&agent, &supervisor] {
        actor
            .post(
                "/api/v2/me",
                json!({"operationName": "EndContactCenterSession"}),
            )
            .await
            .ok();
    }
    // Let the logouts' channel notifications reach the recording before disconnecting.
    tokio::time::sleep(Duration::from_millis(100)).await;
    agent.bayeux.disconnect().await.unwrap();
    supervisor.bayeux.disconnect().await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let har = recorder.har();
    recorder.stop();
    har
}

fn context(base_url: String) -> ReplayContext {
    ReplayContext {
        deadline: Duration::from_secs(3),
        request_timeout: Duration::from_secs(5),
        ..ReplayContext::new(base_url, Profile::builtin())
    }
}

/// Plans `har` with the built-in profile and replays every group against a fresh reference
/// server with `config`.
async fn replay_against(har: &Har, config: ServerConfig) -> (Plan, Vec<ScenarioRun>) {
    let mut plan = Plan::from_har(har, "flow.har").expect("a replayable capture");
    plan.resolve_users(&Profile::builtin(), &[])
        .expect("known users");
    let mut runs = Vec::new();
    for group in &plan.groups {
        let server = support::server_with(config.clone()).await;
        let ctx = context(server.base_url());
        runs.push(replay_group(Arc::new(group.clone()), &ctx).await);
        server.shutdown().await;
    }
    (plan, runs)
}

fn failures(run: &ScenarioRun) -> Vec<String> {
    run.findings()
        .filter(|f| f.verdict == Verdict::Fail)
        .map(|f| format!("{}: {}\n{}", f.check, f.message, f.details.join("\n")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorded_monitoring_flow_replays_without_differences() {
    let har = record_monitoring_flow().await;
    let (plan, runs) = replay_against(&har, ServerConfig::default()).await;
    assert_eq!(plan.groups.len(), 1, "no scenario field: one group");
    let group = &plan.groups[0];
    let names: Vec<&str> = group.actors.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(
        names.contains(&"agent1") && names.contains(&"supervisor1"),
        "{names:?}"
    );
    assert!(
        names.iter().any(|n| n.starts_with("customer:")),
        "{names:?}"
    );
    let run = &runs[0];
    assert_eq!(run.outcome, Outcome::Passed, "{:#?}", failures(run));
    // Everything was compared: every recorded notification (each log entry on its own, as
    // replay pairs them) has a counterpart...
    let received: usize = run
        .events
        .iter()
        .map(|e| match e {
            RunEvent::Notification { data, .. } => per_entry(data.clone()).len(),
            _ => 0,
        })
        .sum();
    assert_eq!(
        received,
        group.notes(),
        "{:#?}",
        run.findings().collect::<Vec<_>>()
    );
    assert!(received >= 20, "only {received} notifications");
    // ... and every REST request was sent.
    let sent = run
        .events
        .iter()
        .filter(|e| matches!(e, RunEvent::Exchange { .. }))
        .count();
    let http = group
        .steps
        .iter()
        .filter(|s| matches!(s.action, Action::Http { .. }))
        .count();
    assert_eq!(sent, http);

    // Through the CLI, at four times the recorded pace.
    let file = temporary("flow.har", &serde_json::to_string(&har).unwrap());
    let output = gws(&["replay", file.to_str().unwrap(), "--speed", "4"]);
    assert_eq!(output.status.code(), Some(0), "{}", output_text(&output));
    assert!(
        output_text(&output).contains("test result: ok. 1 passed"),
        "{}",
        output_text(&output)
    );

    // Seeded faults that change what the supervisor receives are reported; the join's order
    // is a SHOULD (JOIN-ORDER), so swapping it is NON-STRICT, as in `run`.
    let faults = [
        (Fault::JoinOrderSwapped, "replay.order", Verdict::NonStrict),
        (
            Fault::JoinWithoutMessageLog,
            "replay.missing",
            Verdict::Fail,
        ),
        (
            Fault::ReferenceIdWrong,
            "replay.notification",
            Verdict::Fail,
        ),
        (
            Fault::CoachVisibleToCustomer,
            "replay.notification",
            Verdict::Fail,
        ),
    ];
    for (fault, check, verdict) in faults {
        let config = ServerConfig {
            faults: fault.into(),
            ..ServerConfig::default()
        };
        let (_, runs) = replay_against(&har, config).await;
        let run = &runs[0];
        let outcome = match verdict {
            Verdict::Fail => Outcome::Failed,
            _ => Outcome::Passed,
        };
        assert_eq!(run.outcome, outcome, "{}", fault.name());
        assert!(
            run.findings().any(|f| f.check == check
                && f.requirement == "REPLAY-DIFF"
                && f.verdict == verdict),
            "{}: no {check} finding ({verdict:?}) in {:#?}",
            fault.name(),
            run.findings().collect::<Vec<_>>()
        );
    }
    let output = gws(&[
        "replay",
        file.to_str().unwrap(),
        "--as-fast-as-possible",
        "--fault",
        "reference-id-wrong",
    ]);
    let shown = output_text(&output);
    assert_eq!(output.status.code(), Some(1), "{shown}");
    assert!(
        shown.contains("FAIL [REPLAY-DIFF] replay.notification"),
        "{shown}"
    );
    assert!(
        shown.contains("--- recorded (entries["),
        "a unified diff: {shown}"
    );
    assert!(shown.contains("+  \"referenceId\": 100000"), "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_request_is_a_response_difference() {
    let har = record_monitoring_flow().await;
    let mut plan = Plan::from_har(&har, "flow.har").unwrap();
    // The supervisor replayed as a plain agent: its Coach request is refused (403).
    let alias = [("supervisor1".to_owned(), "agent2".to_owned())];
    plan.resolve_users(&Profile::builtin(), &alias).unwrap();
    let server = support::server_with(ServerConfig::default()).await;
    let mut ctx = context(server.base_url());
    ctx.deadline = Duration::from_millis(500);
    let run = replay_group(Arc::new(plan.groups[0].clone()), &ctx).await;
    server.shutdown().await;
    assert_eq!(run.outcome, Outcome::Failed);
    let found = failures(&run);
    assert!(
        found.iter().any(
            |f| f.starts_with("replay.response: supervisor1: POST /api/v2/users/")
                && f.contains(
                    "the recording got HTTP 200 (statusCode 0), the replay HTTP 403 (statusCode 5)"
                )
        ),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .filter(|f| f.starts_with("replay.dependency: "))
            .count()
            == 1,
        "the first missed dependency is reported, and nothing waits after it: {found:#?}"
    );
}

#[test]
fn a_run_record_capture_replays_without_differences() {
    let plan = Plan::read(&capture("run-record.har")).unwrap();
    assert_eq!(plan.groups.len(), 1);
    let group = &plan.groups[0];
    assert_eq!(group.name, "switch-monitor-to-bargein");
    let actors: Vec<(&str, bool)> = group
        .actors
        .iter()
        .map(|a| (a.name.as_str(), a.kind == ActorKind::Customer))
        .collect();
    assert_eq!(
        actors,
        [("agent", false), ("supervisor", false), ("customer", true)]
    );
    assert_eq!(
        group.precision_us, 1000,
        "made when run --record wrote milliseconds: they still replay"
    );
    // The customer's chat is linked to the agent's (through the participants both are
    // shown): its requests and the agent's Accept are about one chat; the supervisor's mode
    // switch and everything else stay global.
    let footprints = footprints(group);
    let confined: Vec<(String, usize, Routing)> = group
        .steps
        .iter()
        .zip(&footprints)
        .filter_map(|(step, footprint)| match *footprint {
            Footprint::Chat { class, routing } => Some((step.action.describe(), class, routing)),
            Footprint::Global => None,
        })
        .collect();
    let routings: Vec<Routing> = confined.iter().map(|(_, _, routing)| *routing).collect();
    assert_eq!(
        routings,
        [Routing::Uses, Routing::Uses, Routing::Routes],
        "the agent's Accept, the customer's GET and Complete: {confined:?}"
    );
    assert!(
        confined.iter().all(|(_, class, _)| *class == confined[0].1),
        "one chat: {confined:?}"
    );
    let file = capture("run-record.har");
    for order in [&[][..], &["--in-clock-order"]] {
        let mut args = vec!["replay", file.to_str().unwrap(), "--as-fast-as-possible"];
        args.extend(order);
        let output = gws(&args);
        assert_eq!(output.status.code(), Some(0), "{}", output_text(&output));
    }
    let listed = gws(&[
        "replay",
        capture("run-record.har").to_str().unwrap(),
        "--list",
    ]);
    assert_eq!(
        String::from_utf8_lossy(&listed.stdout).lines().next(),
        Some("switch-monitor-to-bargein")
    );
}

/// The entries of `run-record.har`, in a new order.
fn reordered(order: impl Fn(&mut Vec<serde_json::Value>)) -> String {
    let text = std::fs::read_to_string(capture("run-record.har")).unwrap();
    let mut har: serde_json::Value = serde_json::from_str(&text).unwrap();
    order(har["log"]["entries"].as_array_mut().unwrap());
    har.to_string()
}

#[test]
fn entries_in_any_order_replay_as_their_recorded_times_say() {
    // Reversed; and every other entry moved to the end (a merge of two lists).
    let reversed = reordered(|entries| entries.reverse());
    let interleaved = reordered(|entries| {
        let (even, odd): (Vec<_>, Vec<_>) = std::mem::take(entries)
            .into_iter()
            .enumerate()
            .partition(|(i, _)| i % 2 == 0);
        entries.extend(even.into_iter().chain(odd).map(|(_, e)| e));
    });
    for (name, text) in [("reversed.har", reversed), ("interleaved.har", interleaved)] {
        let file = temporary(name, &text);
        let output = gws(&["replay", file.to_str().unwrap(), "--as-fast-as-possible"]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{name}: {}",
            output_text(&output)
        );
    }
}

/// `run-record.har` as if the server had forgotten the agent's CometD session after its first
/// connect: a connect refused with `402::Unknown client` and advice to handshake, a handshake
/// again (a new clientId) and a subscription again, the session's later requests under the
/// new clientId.
fn with_a_forgotten_session() -> Har {
    let text = std::fs::read_to_string(capture("run-record.har")).unwrap();
    let mut har: serde_json::Value = serde_json::from_str(&text).unwrap();
    let entries = har["log"]["entries"].as_array_mut().unwrap();
    for entry in entries.iter_mut() {
        let seq = entry["_gwsSeq"].as_u64().unwrap();
        entry["_gwsSeq"] = json!(seq * 10);
    }
    let is_agent_bayeux = |e: &serde_json::Value| {
        e["_gwsActor"] == "agent"
            && e["request"]["url"]
                .as_str()
                .unwrap()
                .ends_with("/notifications")
    };
    let body = |e: &serde_json::Value| {
        e["request"]["postData"]["text"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let first_connect = entries
        .iter()
        .position(|e| is_agent_bayeux(e) && body(e).contains("/meta/connect"))
        .unwrap();
    let old = serde_json::from_str::<serde_json::Value>(&body(&entries[first_connect])).unwrap()[0]
        ["clientId"]
        .as_str()
        .unwrap()
        .to_owned();
    let new = "0123456789abcdef0123456789abcdef";
    let base = entries[first_connect].clone();
    let seq = base["_gwsSeq"].as_u64().unwrap();
    let exchange = |offset: u64, request: serde_json::Value, reply: serde_json::Value| {
        let mut entry = base.clone();
        entry["_gwsSeq"] = json!(seq + offset);
        entry["time"] = json!(0.5);
        entry["request"]["postData"]["text"] = json!(request.to_string());
        entry["response"]["content"]["text"] = json!(reply.to_string());
        entry
    };
    let refused = exchange(
        1,
        json!([{"channel": "/meta/connect", "id": "r1", "clientId": old, "connectionType": "long-polling"}]),
        json!([{"channel": "/meta/connect", "id": "r1", "clientId": old, "successful": false,
                "error": "402::Unknown client", "advice": {"reconnect": "handshake", "interval": 0}}]),
    );
    let handshake = exchange(
        2,
        json!([{"channel": "/meta/handshake", "id": "r2", "version": "1.0", "supportedConnectionTypes": ["long-polling"]}]),
        json!([{"channel": "/meta/handshake", "id": "r2", "successful": true, "clientId": new, "version": "1.0",
                "supportedConnectionTypes": ["long-polling"], "advice": {"reconnect": "retry", "interval": 0, "timeout": 30000}}]),
    );
    let subscribe = exchange(
        3,
        json!([{"channel": "/meta/subscribe", "id": "r3", "clientId": new, "subscription": "/v2/me/*"}]),
        json!([{"channel": "/meta/subscribe", "id": "r3", "clientId": new, "subscription": "/v2/me/*", "successful": true}]),
    );
    // The session's later requests and replies name the new clientId.
    for entry in entries.iter_mut() {
        if is_agent_bayeux(entry) && entry["_gwsSeq"].as_u64().unwrap() > seq {
            for field in [
                &["request", "postData", "text"][..],
                &["response", "content", "text"],
            ] {
                let slot = field.iter().fold(&mut *entry, |v, k| &mut v[*k]);
                if let Some(text) = slot.as_str() {
                    *slot = json!(text.replace(&old, new));
                }
            }
        }
    }
    entries.splice(
        first_connect + 1..first_connect + 1,
        [refused, handshake, subscribe],
    );
    serde_json::from_value(har).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorded_handshake_made_again_continues_the_session() {
    let har = with_a_forgotten_session();
    let (plan, runs) = replay_against(&har, ServerConfig::default()).await;
    assert!(
        plan.skipped
            .iter()
            .any(|s| s.contains("a handshake made again after the server forgot clientId")),
        "{:?}",
        plan.skipped
    );
    let group = &plan.groups[0];
    let agent = group.actors.iter().position(|a| a.name == "agent").unwrap();
    let handshakes = group
        .steps
        .iter()
        .filter(|s| s.actor == agent && matches!(s.action, Action::Handshake { .. }))
        .count();
    assert_eq!(handshakes, 1, "one session, continued");
    // One session: no notification arrives twice.
    assert_eq!(
        runs[0].outcome,
        Outcome::Passed,
        "{:#?}",
        failures(&runs[0])
    );
}

#[test]
fn a_devtools_export_replays_without_differences() {
    let path = capture("devtools.har");
    let raw = std::fs::read_to_string(&path).unwrap();
    assert!(
        !raw.contains("\"_gws"),
        "a devtools export has no _gws fields"
    );
    for field in [
        "\"_initiator\"",
        "\"_resourceType\"",
        "\"_priority\"",
        "\"cookies\": [\n",
    ] {
        assert!(raw.contains(field), "the export shows {field}");
    }
    let plan = Plan::read(&path).unwrap();
    let group = &plan.groups[0];
    let kinds: Vec<(&str, &ActorKind)> = group
        .actors
        .iter()
        .map(|a| (a.name.as_str(), &a.kind))
        .collect();
    assert_eq!(kinds.len(), 2, "{kinds:?}");
    assert_eq!(
        kinds[0].0, "agent1",
        "named after the user its session cookie belongs to"
    );
    assert!(kinds[1].0.starts_with("customer:"), "{kinds:?}");
    let output = gws(&["replay", path.to_str().unwrap(), "--as-fast-as-possible"]);
    assert_eq!(output.status.code(), Some(0), "{}", output_text(&output));
}

#[test]
fn malformed_captures_exit_2_with_the_reason() {
    let bad_entries = r#"{"log": {"entries": [
        {"startedDateTime": "yesterday", "request": {"method": "GET", "url": "http://h/api/v2/me"}},
        {"startedDateTime": "2024-01-01T00:00:00Z", "request": {"method": "GET", "url": "/relative"}},
        {"startedDateTime": "2024-01-01T00:00:01Z", "request": {"method": "POST",
          "url": "http://h/api/v2/notifications", "postData": {"mimeType": "application/json", "text": "{oops"}}}
    ]}}"#;
    let cases: [(&str, &str, &[&str]); 5] = [
        ("not-json.har", "this is not JSON", &["is not a HAR file"]),
        (
            "no-entries.har",
            r#"{"log": {"entries": []}}"#,
            &["holds no entries"],
        ),
        (
            "wrong-shape.har",
            r#"{"log": {"entries": {"request": 1}}}"#,
            &["is not a HAR file"],
        ),
        (
            "bad-entries.har",
            bad_entries,
            &[
                "entries[0] (GET http://h/api/v2/me): startedDateTime \"yesterday\" is not an RFC 3339 date-time",
                "entries[1] (GET /relative): the URL is not absolute",
                "entries[2] (http://h/api/v2/notifications): the CometD request body is not a JSON message array",
            ],
        ),
        (
            "only-connects.har",
            r#"{"log": {"entries": [{"startedDateTime": "2024-01-01T00:00:00Z",
                "request": {"method": "POST", "url": "http://h/api/v2/notifications",
                  "postData": {"text": "[{\"channel\": \"/meta/connect\"}]"}}}]}}"#,
            &["holds no request to replay"],
        ),
    ];
    for (name, contents, expected) in cases {
        let file = temporary(name, contents);
        let output = gws(&["replay", file.to_str().unwrap()]);
        let shown = output_text(&output);
        assert_eq!(output.status.code(), Some(2), "{name}: {shown}");
        for line in expected {
            assert!(shown.contains(line), "{name}: {line}\n{shown}");
        }
        assert!(!shown.contains("panicked"), "{name}: {shown}");
    }
    let missing = gws(&["replay", "/nonexistent/capture.har"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        output_text(&missing).contains("cannot read /nonexistent/capture.har"),
        "{}",
        output_text(&missing)
    );
}

#[test]
fn users_come_from_the_profile() {
    // The devtools capture's user, renamed: the profile has no `jdoe`.
    let raw = std::fs::read_to_string(capture("devtools.har")).unwrap();
    let file = temporary(
        "jdoe.har",
        &raw.replace(r#"\"userName\":\"agent1\""#, r#"\"userName\":\"jdoe\""#),
    );
    let output = gws(&["replay", file.to_str().unwrap()]);
    let shown = output_text(&output);
    assert_eq!(output.status.code(), Some(2), "{shown}");
    assert!(
        shown.contains("logged in as `jdoe`, who is not in the profile"),
        "{shown}"
    );
    assert!(shown.contains("--user jdoe=NAME"), "{shown}");
    let output = gws(&[
        "replay",
        file.to_str().unwrap(),
        "--as-fast-as-possible",
        "--user",
        "jdoe=agent1",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", output_text(&output));

    let profile = temporary(
        "profile.yaml",
        "users:\n  agent1: {password_env: GWS_REPLAY_TEST_UNSET}\n",
    );
    let output = gws(&[
        "replay",
        capture("devtools.har").to_str().unwrap(),
        "--profile",
        profile.to_str().unwrap(),
    ]);
    let shown = output_text(&output);
    assert_eq!(output.status.code(), Some(2), "{shown}");
    assert!(
        shown.contains("GWS_REPLAY_TEST_UNSET is not set"),
        "{shown}"
    );
}

#[test]
fn bad_arguments_exit_2_and_an_unreachable_target_exits_3() {
    let file = capture("run-record.har");
    let file = file.to_str().unwrap();
    for (args, expected) in [
        (
            vec!["--speed", "0"],
            "--speed must be between 0.001 and 1000000",
        ),
        (
            vec!["--speed", "NaN"],
            "--speed must be between 0.001 and 1000000",
        ),
        (
            vec!["--deadline=-1"],
            "invalid value '-1' for '--deadline <DURATION>'",
        ),
        (
            vec!["--deadline", "2h"],
            "--deadline must be at most an hour",
        ),
        (vec!["--concurrency", "0"], "--jobs must be at least 1"),
        (vec!["-j", "0"], "--jobs must be at least 1"),
        (vec!["--jobs", "0"], "--jobs must be at least 1"),
        (vec!["--user", "nobody"], "expected RECORDED=PROFILE"),
        (
            vec!["--speed", "2", "--as-fast-as-possible"],
            "cannot be used with",
        ),
        (
            vec![
                "--target",
                "http://127.0.0.1:9",
                "--fault",
                "join-order-swapped",
            ],
            "--fault changes the embedded reference server",
        ),
    ] {
        let mut all = vec!["replay", file];
        all.extend(&args);
        let output = gws(&all);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            output_text(&output)
        );
        assert!(
            output_text(&output).contains(expected),
            "{args:?}: {}",
            output_text(&output)
        );
    }
    // Nothing listens on port 9 (discard) of the loopback interface.
    let output = gws(&[
        "replay",
        file,
        "--as-fast-as-possible",
        "--target",
        "http://127.0.0.1:9",
    ]);
    assert_eq!(output.status.code(), Some(3), "{}", output_text(&output));
}

#[test]
fn reports_are_written_like_runs() {
    let dir = temporary("reports", "").parent().unwrap().to_owned();
    let (junit, json) = (dir.join("replay.xml"), dir.join("replay.jsonl"));
    let output = gws(&[
        "replay",
        capture("run-record.har").to_str().unwrap(),
        "--as-fast-as-possible",
        "--junit",
        junit.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", output_text(&output));
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("<testsuite name=\"replay\""), "{xml}");
    assert!(xml.contains("switch-monitor-to-bargein"), "{xml}");
    let lines = std::fs::read_to_string(&json).unwrap();
    let last: serde_json::Value = serde_json::from_str(lines.lines().last().unwrap()).unwrap();
    assert_eq!(last["event"], "summary");
    assert_eq!(last["passed"], 1);
    assert!(lines.contains("\"event\":\"notification\""));
}
