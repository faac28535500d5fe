//! Cleaning a target before a run (`gws_conform::run::janitor`), against the reference server
//! started as a target: what an interrupted run leaves (agents Ready and in chats, offers left
//! unanswered, chats queued, supervisors monitoring and joined, sessions) is found, put right
//! and reported, and the state is clean afterwards; users outside the selection are not
//! touched; an unreachable or silent target is an error or a warning, on time; and, end to end,
//! a run interrupted in the middle of a scenario (SIGINT, or SIGKILL, which lets it clean
//! nothing) is followed by a run that passes.

mod support;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gws_conform::driver::bayeux::BayeuxConfig;
use gws_conform::driver::route::Route;
use gws_conform::event::Outcome;
use gws_conform::profile::Profile;
use gws_conform::run::janitor::{CleanReport, Cleaned, Limits, TargetUsers, clean_target};
use gws_conform::run::{RunContext, Verifier, run_scenario};
use gws_conform::scenario::Scenario;
use gws_conform::scenario::model::Role;
use gws_conform::server::{RunningServer, ServerConfig};
use gws_conform::spec::Catalogue;
use serde_json::{Value, json};
use support::har::{eventually, scratch, signal, wait_exit};
use support::{Actor, Customer};

/// Each request's deadline in these tests.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

fn users(list: &[(&str, Role)]) -> TargetUsers {
    let mut users = TargetUsers::default();
    for (name, role) in list {
        users.add(name, *role);
    }
    users
}

/// Cleans `users` on `server`, from a task of its own: the runner may clean up from one (after
/// Ctrl-C), which needs the clean-up's future to be `Send`.
async fn clean(server: &RunningServer, users: &TargetUsers) -> CleanReport {
    let (url, users) = (server.base_url(), users.clone());
    let limits = Limits::new(REQUEST_TIMEOUT);
    tokio::spawn(async move {
        clean_target(&url, &Route::default(), &Profile::builtin(), &users, limits).await
    })
    .await
    .expect("the clean-up does not panic")
    .expect("the target answers")
}

/// The chats `actor` is in, as whole resources.
async fn chats(actor: &Actor) -> Vec<Value> {
    actor.get("/api/v2/me/chats?fields=*").await.ok()["chats"]
        .as_array()
        .expect("a chats list")
        .clone()
}

/// The id of the chat offered to `actor` (routing is done by the time RequestChat answers).
async fn offered(actor: &Actor) -> String {
    let chats = chats(actor).await;
    let offer = chats.iter().find(|c| c["state"] == "Invited");
    offer.expect("an offer")["id"].as_str().unwrap().to_owned()
}

/// `actor`'s state on the chat channel: `Ready`, `NotReady` or `LoggedOut`.
async fn channel_state(actor: &Actor) -> String {
    let body = actor.get("/api/v2/me/channels").await.ok();
    body["channels"][0]["userState"]["state"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn logged_in(server: &RunningServer, name: &str) -> Actor {
    let actor = Actor::login(server, name).await;
    actor.start_session().await;
    actor
}

/// Built-in scenario `name`, and the verifier to run it with.
fn builtin_scenario(name: &str) -> (Scenario, Arc<Verifier>) {
    let verifier = Verifier::builtin().unwrap();
    let scenarios = gws_conform::scenario::load_builtin(&Catalogue::builtin(), &verifier).unwrap();
    let scenario = scenarios.into_iter().find(|s| s.name == name).unwrap();
    (
        scenario,
        Arc::new(verifier.with_catalogue(Catalogue::builtin())),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_an_interrupted_run_leaves_is_cleaned_and_reported() {
    let server = support::server().await;
    // agent1 Ready, in a chat under AllChats Coach monitoring by supervisor1, who joined it.
    let agent1 = Actor::ready(&server, "agent1").await;
    let supervisor = logged_in(&server, "supervisor1").await;
    let monitor = json!({"operationName": "Coach", "supervisorMonitoringMode": "AllChats"});
    supervisor.supervise(&agent1, monitor).await.ok();
    let chris = Customer::request(&server, "Chris").await;
    let chatting = offered(&agent1).await;
    agent1.must(&chatting, "Accept", json!({})).await;
    assert_eq!(chats(&supervisor).await.len(), 1, "the supervisor joined");
    // A chat agent1 turned down waits in the queue: agent2, not Ready, cannot take it.
    let dana = Customer::request(&server, "Dana").await;
    let queued = offered(&agent1).await;
    agent1.must(&queued, "Reject", json!({})).await;
    // A chat offered to agent1 and left unanswered.
    let eve = Customer::request(&server, "Eve").await;
    let unanswered = offered(&agent1).await;
    // agent2 logged in, idle.
    let agent2 = logged_in(&server, "agent2").await;

    let selection = users(&[
        ("agent1", Role::Agent),
        ("agent2", Role::Agent),
        ("supervisor1", Role::Supervisor),
    ]);
    let started = Instant::now();
    let report = clean(&server, &selection).await;
    let took = started.elapsed();

    assert!(report.warnings.is_empty(), "{report}");
    assert_eq!(
        report.of("supervisor1"),
        [
            Cleaned::CancelledMonitoring {
                agent: "agent1".into()
            },
            Cleaned::LeftChat {
                chat: chatting.clone()
            },
            Cleaned::EndedSession,
        ],
        "{report}"
    );
    assert_eq!(
        report.of("agent1"),
        [
            Cleaned::WasReady,
            Cleaned::CompletedChat {
                chat: chatting.clone()
            },
            Cleaned::CompletedOffer {
                chat: unanswered.clone()
            },
            Cleaned::EndedSession,
        ],
        "{report}"
    );
    assert_eq!(
        report.of("agent2"),
        [
            Cleaned::CompletedQueued {
                chat: queued.clone()
            },
            Cleaned::EndedSession,
        ],
        "{report}"
    );
    let printed = report.to_string();
    for line in [
        format!(
            "cleaned the target: agent2: accepted and completed chat {queued} (waiting in the queue), ended a session left over"
        ),
        format!(
            "cleaned the target: supervisor1: cancelled monitoring of agent1, left chat {chatting}, ended a session left over"
        ),
    ] {
        assert!(printed.lines().any(|l| l == line), "{printed}");
    }

    // Nothing is left: no chats, nobody logged in, no customer waiting, no monitoring.
    for actor in [&agent1, &agent2, &supervisor] {
        assert!(chats(actor).await.is_empty(), "{}'s chats", actor.name);
        assert_eq!(channel_state(actor).await, "LoggedOut", "{}", actor.name);
    }
    for customer in [&chris, &dana, &eve] {
        assert_eq!(customer.chat().await["state"], "Idle");
    }
    let cancel = json!({"operationName": "CancelSupervisorMonitoring"});
    supervisor.supervise(&agent1, cancel).await.refused(400, 2);
    // Cleaning again finds nothing to clean and says nothing.
    let again = clean(&server, &selection).await;
    assert!(again.is_empty(), "{again}");
    assert_eq!(again.to_string(), "");
    // A scenario with these users passes on the cleaned target: left as it was, Bob (agent2)
    // would have been offered Dana's queued chat before the scenario's own.
    let (scenario, verifier) = builtin_scenario("one-supervisor-two-agents");
    let ctx = RunContext {
        base_url: server.base_url(),
        profile: Profile::builtin(),
        request_timeout: REQUEST_TIMEOUT,
        scenario_timeout: Duration::from_secs(60),
        bayeux: BayeuxConfig::default(),
        verifier,
        record: None,
        route: Route::default(),
        quiet: Default::default(),
    };
    let run = run_scenario(&scenario, &ctx).await;
    let findings: Vec<String> = run.findings().map(|f| f.message.clone()).collect();
    assert_eq!(run.outcome, Outcome::Passed, "{findings:#?}");
    eprintln!("the clean-up took {took:?}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_outside_the_selection_are_not_touched() {
    let server = support::server().await;
    // agent3 Ready in a chat that supervisor2 monitors and joined: none of them is selected.
    let agent3 = Actor::ready(&server, "agent3").await;
    let supervisor2 = logged_in(&server, "supervisor2").await;
    let monitor = json!({"operationName": "Monitor", "supervisorMonitoringMode": "AllChats"});
    supervisor2.supervise(&agent3, monitor).await.ok();
    let _customer = Customer::request(&server, "Chris").await;
    let chat = offered(&agent3).await;
    agent3.must(&chat, "Accept", json!({})).await;
    // The selection: agent1, left Ready, and supervisor1, monitoring nobody.
    let agent1 = Actor::ready(&server, "agent1").await;

    let selection = users(&[("agent1", Role::Agent), ("supervisor1", Role::Supervisor)]);
    let report = clean(&server, &selection).await;

    assert_eq!(
        report.of("agent1"),
        [Cleaned::WasReady, Cleaned::EndedSession],
        "{report}"
    );
    assert!(report.of("supervisor1").is_empty(), "{report}");
    assert_eq!(report.cleaned.len(), 1, "{report}");
    assert_eq!(channel_state(&agent1).await, "LoggedOut");
    assert_eq!(channel_state(&agent3).await, "Ready");
    assert_eq!(channel_state(&supervisor2).await, "NotReady");
    assert_eq!(chats(&agent3).await[0]["state"], "Chatting");
    assert_eq!(chats(&supervisor2).await[0]["state"], "Chatting");
    // Still monitoring: a cancel succeeds (the reference server refuses one with nothing to
    // cancel).
    let cancel = json!({"operationName": "CancelSupervisorMonitoring"});
    supervisor2.supervise(&agent3, cancel).await.ok();
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csrf_protection_and_refused_logins_are_handled() {
    let server = support::server_with(ServerConfig {
        csrf: true,
        long_poll_timeout: Duration::from_secs(5),
        ..ServerConfig::default()
    })
    .await;
    // agent1 Ready, through the harness's HTTP side, which follows CSRF protection.
    let credentials = Profile::builtin().credentials("agent1").unwrap();
    let http = gws_conform::driver::http::HttpActor::new(
        &server.base_url(),
        gws_conform::driver::http::Auth::Basic(credentials),
        REQUEST_TIMEOUT,
        &Route::default(),
    )
    .unwrap();
    http.send("GET", "/api/v2/me", None, &[]).await;
    for body in [
        json!({"operationName": "StartContactCenterSession", "channels": ["chat"]}),
        json!({"operationName": "Ready"}),
    ] {
        let body = gws_conform::driver::http::Body::Json(body);
        let sent = http.send("POST", "/api/v2/me", Some(&body), &[]).await;
        assert_eq!(sent.status, Some(200), "{:?}", sent.response);
    }
    // agent2's password is wrong in this profile.
    let dir = scratch("clean-target-profile");
    let profile_file = dir.join("profile.yaml");
    std::fs::write(
        &profile_file,
        "users:\n  agent1: {password: password}\n  agent2: {password: wrong}\n",
    )
    .unwrap();
    let profile = Profile::load(&profile_file).unwrap();
    let selection = users(&[("agent1", Role::Agent), ("agent2", Role::Agent)]);
    let limits = Limits::new(REQUEST_TIMEOUT);
    let report = clean_target(
        &server.base_url(),
        &Route::default(),
        &profile,
        &selection,
        limits,
    )
    .await
    .unwrap();
    assert_eq!(
        report.of("agent1"),
        [Cleaned::WasReady, Cleaned::EndedSession],
        "{report}"
    );
    assert_eq!(report.warnings.len(), 1, "{report}");
    assert!(
        report.warnings[0].starts_with("agent2: cannot log in: GET http://")
            && report.warnings[0].contains("HTTP 401, statusCode 20"),
        "{report}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_target_is_an_error_after_a_request_deadline_or_a_warning_at_the_deadline() {
    // Accepts connections (the kernel's backlog does) and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let selection = users(&[("agent1", Role::Agent)]);
    let profile = Profile::builtin();

    let started = Instant::now();
    let limits = Limits::new(Duration::from_millis(500));
    let error = clean_target(&url, &Route::default(), &profile, &selection, limits)
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("timed out after 500 ms"),
        "{error}"
    );
    assert!(started.elapsed() < Duration::from_secs(3), "{error}");

    let started = Instant::now();
    let limits = Limits {
        request_timeout: Duration::from_secs(30),
        deadline: Duration::from_millis(300),
    };
    let report = clean_target(&url, &Route::default(), &profile, &selection, limits)
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(report.warnings.len(), 1, "{report}");
    assert!(
        report.to_string().starts_with(
            "warning: cleaning the target: stopped at its deadline (300 ms): the target answers too slowly"
        ),
        "{report}"
    );

    // Nothing listening: an error at once.
    drop(silent);
    let limits = Limits::new(REQUEST_TIMEOUT);
    let error = clean_target(&url, &Route::default(), &profile, &selection, limits)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("cannot connect"), "{error}");
}

// End to end: an interrupted run, then a normal one.

fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gws-conform"));
    // Runs record their failed scenarios (`--last-failed`): never in the real home.
    command.env("GWS_CONFORM_LAST_FAILED_FILE", "/dev/null");
    command
}

/// A scenario that builds what the next run would trip over, then holds for a minute in the
/// middle of its steps, to be interrupted there: agent1 in a chat under AllChats BargeIn
/// monitoring by supervisor1, joined; agent2 Ready with a chat offered and unanswered. Left as
/// it is, the next run's first scenario has its chat routed to agent2 rather than agent1.
const HELD: &str = r#"name: held-mid-chat
description: Builds the state an interrupted run leaves, then waits to be interrupted.
covers: [MON-ALLCHATS]
actors:
  ann: {role: agent, user: agent1, nickname: Ann}
  bob: {role: agent, user: agent2, nickname: Bob}
  supervisor: {role: supervisor, user: supervisor1}
  chris: {role: customer, nickname: Chris}
  dana: {role: customer, nickname: Dana}
steps:
  - login: ann
  - login: supervisor
  - monitor: {supervisor: supervisor, agent: ann, mode: BargeIn, scope: AllChats, nickname: Sam}
  - ready: ann
  - request_chat: {customer: chris, subject: Billing}
  - expect:
      actor: ann
      notifications:
        - match: {notificationType: StatusChange, chat.state: Invited}
          capture: {chat: chat.id}
  - chat_op: {actor: ann, chat: "${chat}", operation: Accept, params: {nickname: Ann}}
  - login: bob
  - ready: bob
  - request_chat: {customer: dana, subject: Shipping}
  - note: Waits for what never comes.
    expect:
      actor: supervisor
      within: 60000
      notifications:
        - match: {notificationType: NeverSent}
"#;

/// The scenarios run after the interruption: every user of the held one, and the scenario
/// that left as it is fails first.
const NEXT: [&str; 3] = [
    "agent-accepts-under-monitoring",
    "one-supervisor-two-agents",
    "cancel-monitoring",
];

/// Whether `user` of the served target at `url` has a chat in `state` (no answer: not yet).
async fn has_chat(url: &str, user: &str, state: &str) -> bool {
    let response = reqwest::Client::new()
        .get(format!("{url}/api/v2/me/chats?fields=*"))
        .basic_auth(user, Some("password"))
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    let body: Value = match response {
        Ok(response) => response.json().await.unwrap_or_default(),
        Err(_) => Value::Null,
    };
    body["chats"]
        .as_array()
        .is_some_and(|chats| chats.iter().any(|c| c["state"] == state))
}

/// A child process, killed when the test ends, however it ends.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the held scenario against `url` from `dir`, and waits until it holds.
fn held_run(dir: &Path, url: &str) -> Process {
    let scenarios: PathBuf = dir.join("held");
    std::fs::create_dir_all(&scenarios).unwrap();
    let catalogue = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/requirements.yaml");
    std::fs::copy(catalogue, scenarios.join("requirements.yaml")).unwrap();
    std::fs::write(scenarios.join("held-mid-chat.yaml"), HELD).unwrap();
    let child = binary()
        .current_dir(dir)
        .args([
            "run",
            "--target",
            url,
            "--json",
            "held.jsonl",
            "--scenarios",
        ])
        .arg(&scenarios)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let child = Process(child);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    eventually(Duration::from_secs(30), "the held scenario to hold", || {
        runtime
            .block_on(async {
                has_chat(url, "supervisor1", "Chatting").await
                    && has_chat(url, "agent2", "Invited").await
            })
            .then_some(())
    });
    child
}

/// A run interrupted with `signal_name` in the middle of a scenario, then a normal run of
/// [`NEXT`], which must pass; returns the normal run's stderr.
fn interrupted_then_normal(signal_name: &str) -> String {
    let dir = scratch(&format!("clean-target-{signal_name}"));
    let (server, url) = support::spawn_serve(&[]);
    let server = Process(server);
    let mut held = held_run(&dir, &url);
    signal(&held.0, signal_name);
    let status = wait_exit(&mut held.0, Duration::from_secs(20));
    if signal_name != "KILL" {
        // Stopped, cleaned up, reported: exit 130 with the report of what ran, the
        // interrupted scenario as one that could not run (no verdict on the target).
        assert_eq!(status.code(), Some(130), "after SIG{signal_name}");
        let report = std::fs::read_to_string(dir.join("held.jsonl")).unwrap();
        let summary: Value = serde_json::from_str(report.lines().last().unwrap()).unwrap();
        assert_eq!(
            (&summary["event"], &summary["errored"], &summary["failed"]),
            (&json!("summary"), &json!(1), &json!(0)),
            "{report}"
        );
        assert!(report.contains("stopped at step "), "{report}");
    }
    let started = Instant::now();
    let next = binary()
        .current_dir(&dir)
        .args(["run", "--target", &url, "--exact"])
        .args(NEXT)
        .output()
        .unwrap();
    let took = started.elapsed();
    drop(server);
    let stdout = String::from_utf8_lossy(&next.stdout);
    let stderr = String::from_utf8_lossy(&next.stderr).into_owned();
    assert_eq!(
        next.status.code(),
        Some(0),
        "after SIG{signal_name}:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("3 passed; 0 failed"), "{stdout}");
    eprintln!("after SIG{signal_name}, the next run took {took:?}:\n{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
    stderr
}

#[test]
fn a_run_interrupted_by_ctrl_c_is_followed_by_a_passing_run() {
    // The interrupted run cleaned up after itself (its agents logged out); whatever it could
    // not undo, the next run cleans, and passes.
    let stderr = interrupted_then_normal("INT");
    assert!(
        !stderr.contains("ended a session left over"),
        "the interrupted run ended its own sessions: {stderr}"
    );
}

#[test]
fn a_run_stopped_by_sigterm_is_followed_by_a_passing_run() {
    interrupted_then_normal("TERM");
}

#[test]
fn a_killed_run_is_followed_by_a_passing_run() {
    // The killed run cleaned nothing: all of it is the next run's to clean.
    let stderr = interrupted_then_normal("KILL");
    for line in [
        "cleaned the target: agent1: made Not Ready, completed chat ",
        "cleaned the target: agent2: made Not Ready, accepted and completed chat ",
        " (an unanswered offer), ended a session left over",
        "cleaned the target: supervisor1: cancelled monitoring of agent1, left chat ",
    ] {
        assert!(stderr.contains(line), "{stderr}");
    }
}

#[test]
fn no_clean_leaves_what_a_killed_run_left() {
    let dir = scratch("clean-target-no-clean");
    let (server, url) = support::spawn_serve(&[]);
    let _server = Process(server);
    let mut held = held_run(&dir, &url);
    signal(&held.0, "KILL");
    wait_exit(&mut held.0, Duration::from_secs(20));
    let next = binary()
        .current_dir(&dir)
        .args(["run", "--no-clean", "--target", &url, "--exact"])
        .args(NEXT)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&next.stdout);
    let stderr = String::from_utf8_lossy(&next.stderr);
    assert!(!stderr.contains("cleaned the target"), "{stderr}");
    // What the killed run left is still there, and trips the first scenario up.
    assert_eq!(next.status.code(), Some(1), "{stdout}\n{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
