//! `gws-conform run --record`: the HAR file holds every exchange of every actor (each Bayeux
//! request with its response), labelled with scenario, actor, role and step, in valid HAR 1.2,
//! with no password, credential or session cookie in it; Ctrl-C mid-run still leaves a valid
//! file with what was captured.
//!
//! The completeness and secrecy checks run the binary against a reference server behind the
//! recording proxy, whose sink keeps the raw (unredacted) exchanges: they are the oracle of what
//! went over the wire, secrets included.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use gws_conform::har::{Capture, CaptureSink};
use gws_conform::proxy::{ProxyConfig, start};
use gws_conform::server::ids::IdGen;
use gws_conform::server::{Directory, ServerConfig};
use serde_json::Value;
use support::har::{
    assert_no_secret, assert_valid, bayeux_messages, eventually, interrupt, read, scratch,
    temporary_files, wait_exit,
};

/// The users of the test server, with passwords that cannot occur in a file by chance.
const USERS: [(&str, &str, &str); 5] = [
    ("agent1", "pw-agent1-Zq81Kd", "agent"),
    ("agent2", "pw-agent2-Wm27Xa", "agent"),
    ("agent3", "pw-agent3-Hy64Pe", "agent"),
    ("supervisor1", "pw-super1-Lt53Vb", "agent, supervisor"),
    ("supervisor2", "pw-super2-Rc09Nf", "agent, supervisor"),
];

const SCENARIOS: [&str; 3] = [
    "agent-accepts-under-monitoring",
    "coach-messages-reach-agents-only",
    "switch-monitor-to-coach",
];

fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gws-conform"));
    // Runs record their failed scenarios (`--last-failed`): never in the real home.
    command.env("GWS_CONFORM_LAST_FAILED_FILE", "/dev/null");
    command
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Keeps every exchange the proxy saw, unredacted.
#[derive(Default)]
struct Raw(Mutex<Vec<Capture>>);

impl CaptureSink for Raw {
    fn capture(&self, capture: Capture) {
        self.0.lock().unwrap().push(capture);
    }
}

impl Raw {
    fn all(&self) -> Vec<Capture> {
        self.0.lock().unwrap().clone()
    }
}

fn is_bayeux(url: &str) -> bool {
    url.contains("/api/v2/notifications")
}

/// (channel, clientId, id) of every Bayeux message in these request bodies.
fn bayeux_keys<'a>(bodies: impl Iterator<Item = &'a str>) -> BTreeSet<(String, String, String)> {
    let text = |m: &Value, k: &str| m[k].as_str().unwrap_or_default().to_owned();
    bodies
        .flat_map(|body| serde_json::from_str::<Vec<Value>>(body).unwrap_or_default())
        .map(|m| (text(&m, "channel"), text(&m, "clientId"), text(&m, "id")))
        .collect()
}

fn entry_url(entry: &Value) -> &str {
    entry["request"]["url"].as_str().unwrap()
}

/// Every secret the raw exchanges carried: passwords, Basic credentials, cookie values.
fn secrets(raw: &[Capture]) -> Vec<String> {
    let mut secrets: Vec<String> = USERS.iter().map(|(_, pw, _)| (*pw).to_owned()).collect();
    for (user, password, _) in USERS {
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        secrets.push(basic);
    }
    let mut cookies = BTreeSet::new();
    for capture in raw {
        let response = capture.response.iter().flat_map(|r| r.headers.iter());
        for (name, value) in capture.request_headers.iter().chain(response) {
            if name.eq_ignore_ascii_case("cookie") || name.eq_ignore_ascii_case("set-cookie") {
                for pair in value.split(';') {
                    if let Some((_, v)) = pair.trim().split_once('=')
                        && v.len() >= 16
                    {
                        cookies.insert(v.to_owned());
                    }
                }
            }
        }
    }
    assert!(
        !cookies.is_empty(),
        "the raw exchanges carry session cookies (else this test proves nothing)"
    );
    secrets.extend(cookies);
    secrets
}

fn write_profile(dir: &Path) -> PathBuf {
    let mut profile = String::from("users:\n");
    for (user, password, _) in USERS {
        profile.push_str(&format!("  {user}: {{password: {password}}}\n"));
    }
    let path = dir.join("profile.yaml");
    std::fs::write(&path, profile).unwrap();
    path
}

fn directory() -> Directory {
    let mut users = String::from("contactCenterId: default\nusers:\n");
    for (user, password, roles) in USERS {
        users.push_str(&format!(
            "  - {{userName: {user}, password: {password}, roles: [{roles}]}}\n"
        ));
    }
    Directory::parse(&users, "test users", &IdGen::new()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_recorded_run_holds_every_exchange_of_every_actor_and_no_secret() {
    let dir = scratch("record-run");
    let server = support::server_with(ServerConfig {
        directory: Some(directory()),
        long_poll_timeout: Duration::from_secs(5),
        ..ServerConfig::default()
    })
    .await;
    let raw = Arc::new(Raw::default());
    let proxy = start(
        ProxyConfig::new(server.base_url()),
        "127.0.0.1:0".parse().unwrap(),
        raw.clone(),
    )
    .await
    .unwrap();
    let profile = write_profile(&dir);
    let out = dir.join("run.har");
    let mut command = binary();
    command
        .current_dir(&dir)
        .arg("run")
        .args(SCENARIOS)
        .arg("--target")
        .arg(proxy.base_url())
        .arg("--profile")
        .arg(&profile)
        .arg("--record")
        .arg(&out);
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{}\n{stderr}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(stderr.contains("recorded "), "{stderr}");
    assert!(
        temporary_files(&dir).is_empty(),
        "the temporary file was renamed"
    );

    let har = read(&out);
    assert_eq!(har["log"]["_gwsStatus"], "complete");
    let entries = assert_valid(&har);
    let scenarios: BTreeSet<&str> = entries
        .iter()
        .map(|e| {
            e["_gwsScenario"]
                .as_str()
                .expect("every entry names its scenario")
        })
        .collect();
    assert_eq!(scenarios, SCENARIOS.into_iter().collect());
    let roles: BTreeSet<&str> = entries
        .iter()
        .map(|e| e["_gwsRole"].as_str().expect("every entry names its role"))
        .collect();
    assert_eq!(
        roles,
        ["agent", "customer", "supervisor"].into_iter().collect()
    );
    for entry in &entries {
        assert!(entry["_gwsActor"].is_string(), "{entry}");
        assert_eq!(
            entry["_gwsStep"].is_u64(),
            entry["_gwsLine"].is_u64(),
            "{entry}"
        );
    }
    assert!(
        entries.iter().filter(|e| e["_gwsStep"].is_u64()).count() > entries.len() / 2,
        "most exchanges are made by steps (the rest is the clean-up)"
    );

    // Every Bayeux request is there, with its response.
    let recorded: Vec<&Value> = entries.iter().filter(|e| is_bayeux(entry_url(e))).collect();
    let mut channels = BTreeSet::new();
    for entry in &recorded {
        let sent = bayeux_messages(entry);
        let channel = sent[0]["channel"].as_str().unwrap().to_owned();
        if let Some(error) = entry["_gwsError"].as_str() {
            // The connect a client was waiting on when it disconnected.
            assert!(error.starts_with("abandoned"), "{entry}");
            assert_eq!(channel, "/meta/connect");
            continue;
        }
        assert_eq!(entry["response"]["status"], 200, "{entry}");
        let text = entry["response"]["content"]["text"].as_str().unwrap();
        let replies: Vec<Value> = serde_json::from_str(text).unwrap();
        assert!(
            replies
                .iter()
                .any(|r| r["channel"] == sent[0]["channel"] && r["id"] == sent[0]["id"]),
            "the response holds the reply to the request: {entry}"
        );
        channels.insert(channel);
    }
    let expected = [
        "/meta/connect",
        "/meta/disconnect",
        "/meta/handshake",
        "/meta/subscribe",
    ];
    assert_eq!(channels, expected.into_iter().map(str::to_owned).collect());
    let in_file = bayeux_keys(
        recorded
            .iter()
            .filter_map(|e| e["request"]["postData"]["text"].as_str()),
    );
    // The proxy records an abandoned connect once the server releases it: give it a moment.
    let wire_keys = |raw: &[Capture]| {
        let bodies: Vec<String> = raw
            .iter()
            .filter(|c| is_bayeux(&c.url))
            .map(|c| String::from_utf8_lossy(&c.request_body).into_owned())
            .collect();
        bayeux_keys(bodies.iter().map(String::as_str))
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    while wire_keys(&raw.all()) != in_file && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let on_wire = raw.all();
    let wire = wire_keys(&on_wire);
    let missing: Vec<_> = wire.difference(&in_file).collect();
    assert!(
        missing.is_empty(),
        "on the wire, not in the file: {missing:?}"
    );
    // A client may give up on a connect before it reaches the server (its session is being
    // disconnected): then only the client's side knows of it, recorded as abandoned.
    let abandoned = bayeux_keys(
        recorded
            .iter()
            .filter(|e| e["_gwsError"].is_string())
            .filter_map(|e| e["request"]["postData"]["text"].as_str()),
    );
    let only_in_file: Vec<_> = in_file
        .difference(&wire)
        .filter(|key| !abandoned.contains(*key))
        .collect();
    assert!(
        only_in_file.is_empty(),
        "in the file, never sent: {only_in_file:?}"
    );
    let rest_on_wire = on_wire.iter().filter(|c| !is_bayeux(&c.url)).count();
    let rest_in_file = entries.len() - recorded.len();
    // Before any scenario, the run probes the target once and cleans it: no actor's exchanges,
    // and not recorded. They are what the proxy saw before the first actor's login, whose
    // GET /api/v2/me comes just before its CometD handshake.
    let first_handshake = on_wire
        .iter()
        .filter(|c| is_bayeux(&c.url))
        .map(|c| c.seq)
        .min()
        .expect("a handshake");
    let before_any_actor = on_wire.iter().filter(|c| c.seq < first_handshake).count() - 1;
    assert!(before_any_actor >= 1, "the reachability probe");
    assert_eq!(
        rest_in_file + before_any_actor,
        rest_on_wire,
        "every REST exchange of every actor is recorded"
    );

    assert_no_secret(&out, &secrets(&on_wire));
    proxy.shutdown(Duration::from_secs(1)).await;
    server.shutdown().await;
}

#[test]
fn ctrl_c_during_a_run_leaves_a_valid_recording_of_what_was_captured() {
    let dir = scratch("record-interrupt");
    let scenarios = dir.join("scenarios");
    std::fs::create_dir_all(&scenarios).unwrap();
    std::fs::copy(
        repo().join("scenarios/requirements.yaml"),
        scenarios.join("requirements.yaml"),
    )
    .unwrap();
    std::fs::write(
        scenarios.join("long-quiet.yaml"),
        "name: long-quiet\n\
         description: An agent logs in and waits a minute for nothing, to be interrupted.\n\
         covers: [MON-MODE]\n\
         actors:\n  agent: {role: agent, user: agent1}\n\
         steps:\n  - login: agent\n  - ready: agent\n  - expect: {actor: agent, within: 60000, quiet: 60000}\n",
    )
    .unwrap();
    let out = dir.join("out.har");
    let mut child = binary()
        .current_dir(&dir)
        .args(["run", "--record"])
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The temporary file is valid HAR at every moment: wait until it holds the login and the
    // Ready, so the run is inside its long wait.
    let before = eventually(Duration::from_secs(30), "the first exchanges", || {
        let temporary = temporary_files(&dir).into_iter().next()?;
        let har = gws_conform::har::Har::read(&temporary).ok()?;
        let entries = &har.log.entries;
        entries
            .iter()
            .any(|e| {
                e.request.post_data.as_ref().and_then(|p| p.text.as_deref())
                    == Some(r#"{"operationName":"Ready"}"#)
            })
            .then_some(entries.len())
    });
    assert!(!out.exists(), "nothing at the destination before the end");
    interrupt(&child);
    let status = wait_exit(&mut child, Duration::from_secs(20));
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted:"), "{stderr}");
    let har = read(&out);
    assert_eq!(har["log"]["_gwsStatus"], "interrupted");
    let entries = assert_valid(&har);
    assert!(entries.len() >= before, "{} < {before}", entries.len());
    assert!(entries.iter().all(|e| e["_gwsScenario"] == "long-quiet"));
    assert!(
        temporary_files(&dir).is_empty(),
        "the temporary file was renamed"
    );
}

#[test]
fn an_unwritable_recording_stops_the_run_before_it_starts() {
    let dir = scratch("record-unwritable");
    let out = binary()
        .current_dir(&dir)
        .args(["run", "agent-accepts-under-monitoring", "--record"])
        .arg(dir.join("missing/out.har"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--record") && stderr.contains("does not exist"),
        "{stderr}"
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).is_empty(),
        "nothing ran"
    );
}
