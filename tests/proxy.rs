//! `gws-conform proxy`: the recording reverse proxy in front of an in-process reference server,
//! with the test actors going through it. It passes requests and responses through faithfully
//! (hop-by-hop headers aside), holds long-polls as long as the upstream does, names the actors,
//! writes each exchange to disk as it completes (the file grows while it runs), keeps secrets
//! out, bounds every wait, and finishes the file on Ctrl-C.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, Uri};
use base64::Engine;
use gws_conform::har::{Ending, Har, HarWriter};
use gws_conform::proxy::{ProxyConfig, RunningProxy, start};
use gws_conform::server::ids::IdGen;
use gws_conform::server::{Directory, RunningServer, ServerConfig};
use serde_json::{Value, json};
use support::har::{
    assert_no_secret, assert_valid, bayeux_messages, interrupt, read, scratch, spawn_blocking_exit,
};
use support::{Actor, Customer};

const AGENT_PASSWORD: &str = "pw-agent1-Jn42Qs";

fn directory() -> Directory {
    let users =
        format!("users:\n  - {{userName: agent1, password: {AGENT_PASSWORD}, roles: [agent]}}\n");
    Directory::parse(&users, "test users", &IdGen::new()).unwrap()
}

async fn server(csrf: bool) -> RunningServer {
    support::server_with(ServerConfig {
        directory: Some(directory()),
        long_poll_timeout: Duration::from_secs(5),
        csrf,
        ..ServerConfig::default()
    })
    .await
}

/// A proxy in front of `upstream` recording to `{dir}/proxy.har`.
async fn proxy(config: ProxyConfig, dir: &Path) -> (RunningProxy, Arc<HarWriter>, PathBuf) {
    let out = dir.join("proxy.har");
    let writer = Arc::new(HarWriter::create(&out, "test").unwrap());
    let proxy = start(config, "127.0.0.1:0".parse().unwrap(), writer.clone())
        .await
        .unwrap();
    (proxy, writer, out)
}

fn basic(user: &str, password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

fn string<'a>(entry: &'a Value, field: &str) -> &'a str {
    entry[field].as_str().unwrap_or_default()
}

fn request_text(entry: &Value) -> &str {
    entry["request"]["postData"]["text"]
        .as_str()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn clients_through_the_proxy_work_and_are_recorded_by_actor() {
    let dir = scratch("proxy-clients");
    let server = server(false).await;
    let (proxy, writer, out) = proxy(ProxyConfig::new(server.base_url()), &dir).await;
    let base = proxy.base_url();

    let mut agent = Actor::ready_at(&base, "agent1", AGENT_PASSWORD).await;
    // Let the agent's connect settle into a held long-poll before anything happens.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let customer = Customer::request_at(&base, "Chris").await;
    let chat = agent.offered().await;
    agent.accept(&chat).await;
    customer.say("hello through the proxy").await;
    let transcript = customer.transcript().await;
    assert!(
        transcript
            .iter()
            .any(|m| m["text"] == "hello through the proxy")
    );

    // A client that authenticates once and then only sends the session cookie.
    let http = reqwest::Client::new();
    let first = http
        .get(format!("{base}/api/v2/me"))
        .basic_auth("agent1", Some(AGENT_PASSWORD))
        .send()
        .await
        .unwrap();
    let cookie = first.headers()["set-cookie"].to_str().unwrap().to_owned();
    let session = cookie.split(';').next().unwrap().to_owned();
    let session_value = session.split_once('=').unwrap().1.to_owned();
    let again = http
        .get(format!("{base}/api/v2/me/channels"))
        .header("Cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200, "the cookie passes through the proxy");

    agent.bayeux.disconnect().await.unwrap();
    proxy.shutdown(Duration::from_secs(1)).await;
    writer.finish(Ending::Stopped).unwrap();

    let har = read(&out);
    assert_eq!(har["log"]["_gwsStatus"], "stopped");
    let entries = assert_valid(&har);
    let request_chat = entries
        .iter()
        .find(|e| request_text(e).contains("RequestChat"))
        .expect("RequestChat recorded");
    let customer_name = format!("customer:{}", customer.id);
    assert_eq!(string(request_chat, "_gwsActor"), customer_name);
    assert_eq!(string(request_chat, "_gwsRole"), "customer");
    let customers = entries
        .iter()
        .filter(|e| string(e, "_gwsActor") == customer_name)
        .count();
    assert!(customers >= 3, "RequestChat, SendMessage, messages");
    let agents: Vec<&Value> = entries
        .iter()
        .filter(|e| string(e, "_gwsActor") == "agent1")
        .collect();
    assert!(
        agents
            .iter()
            .any(|e| e.to_string().contains("/meta/handshake"))
    );
    let by_cookie = agents
        .iter()
        .find(|e| string(&e["request"], "url").ends_with("/api/v2/me/channels"))
        .expect("the cookie-only request is named after the session's user");
    assert!(
        by_cookie["request"]["headers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["name"] != "authorization")
    );
    // The offer came on a connect that was already held when the chat was requested.
    let held = entries
        .iter()
        .find(|e| {
            bayeux_messages(e)
                .first()
                .is_some_and(|m| m["channel"] == "/meta/connect")
                && string(&e["response"]["content"], "text").contains("Invited")
        })
        .expect("the offer arrived on a connect");
    assert!(held["_gwsSeq"].as_u64() < request_chat["_gwsSeq"].as_u64());
    assert!(held["timings"]["wait"].as_f64().unwrap() > 100.0, "{held}");
    assert_eq!(held["response"]["status"], 200);

    let secrets = vec![
        AGENT_PASSWORD.to_owned(),
        basic("agent1", AGENT_PASSWORD),
        session_value,
    ];
    assert_no_secret(&out, &secrets);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_file_grows_while_the_proxy_runs_and_csrf_tokens_stay_out() {
    let dir = scratch("proxy-grows");
    let server = server(true).await;
    let (proxy, writer, out) = proxy(ProxyConfig::new(server.base_url()), &dir).await;
    let http = reqwest::Client::new();
    let mut tokens = Vec::new();
    for n in 1..=3 {
        let response = http
            .get(format!("{}/api/v2/me", proxy.base_url()))
            .basic_auth("agent1", Some(AGENT_PASSWORD))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        tokens.push(
            response.headers()["x-csrf-token"]
                .to_str()
                .unwrap()
                .to_owned(),
        );
        // Recorded before the response was passed on, and on disk: nothing is kept in memory.
        let on_disk = Har::read(writer.temporary_path().unwrap()).unwrap();
        assert_eq!(on_disk.log.entries.len(), n);
        assert!(!out.exists());
    }
    proxy.shutdown(Duration::from_secs(1)).await;
    assert_eq!(writer.finish(Ending::Stopped).unwrap(), 3);
    let entries = assert_valid(&read(&out));
    let header = |e: &Value, name: &str| {
        e["response"]["headers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["name"] == name)
            .map(|h| h["value"].clone())
    };
    assert_eq!(
        header(&entries[0], "x-csrf-token"),
        Some(json!("[redacted]"))
    );
    assert_no_secret(&out, &tokens);
    server.shutdown().await;
}

/// An upstream answering with what it received.
async fn echo(
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> impl axum::response::IntoResponse {
    let headers: serde_json::Map<String, Value> = headers
        .iter()
        .map(|(n, v)| (n.to_string(), json!(v.to_str().unwrap_or_default())))
        .collect();
    let seen = json!({
        "method": method.as_str(),
        "uri": uri.to_string(),
        "headers": headers,
        "body": String::from_utf8_lossy(&body),
    });
    (
        axum::http::StatusCode::CREATED,
        [("x-upstream", "yes")],
        axum::Json(seen),
    )
}

async fn upstream(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_and_responses_pass_through_without_hop_by_hop_headers() {
    let dir = scratch("proxy-fidelity");
    let echo = upstream(Router::new().fallback(echo)).await;
    let (proxy, writer, out) = proxy(ProxyConfig::new(format!("{echo}/prefix/")), &dir).await;
    let response = reqwest::Client::new()
        .post(format!("{}/api/v2/me?x=1%202&y", proxy.base_url()))
        .header("X-Custom", "kept")
        .header("Connection", "x-hop")
        .header("X-Hop", "dropped: named by Connection")
        .header("Keep-Alive", "timeout=5")
        .header("Proxy-Authorization", "Basic cHJveHk6c2VjcmV0")
        .header("Accept-Encoding", "gzip")
        .body(r#"{"operationName":"Ready"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "the upstream's status");
    assert_eq!(response.headers()["x-upstream"], "yes");
    let seen: Value = response.json().await.unwrap();
    assert_eq!(seen["method"], "POST");
    assert_eq!(seen["uri"], "/prefix/api/v2/me?x=1%202&y");
    assert_eq!(seen["body"], r#"{"operationName":"Ready"}"#);
    let headers = &seen["headers"];
    assert_eq!(headers["x-custom"], "kept");
    for dropped in [
        "x-hop",
        "keep-alive",
        "proxy-authorization",
        "accept-encoding",
    ] {
        assert!(
            headers.get(dropped).is_none(),
            "{dropped} was forwarded: {headers}"
        );
    }
    assert_eq!(headers["host"], echo.trim_start_matches("http://"));
    let base = proxy.base_url();
    proxy.shutdown(Duration::from_secs(1)).await;
    writer.finish(Ending::Stopped).unwrap();
    let entries = assert_valid(&read(&out));
    let entry = &entries[0];
    assert_eq!(entry["request"]["queryString"][0]["value"], "1 2");
    assert_eq!(entry["response"]["status"], 201);
    // The recorded URL is the one the client used: the proxy's.
    assert_eq!(
        string(&entry["request"], "url"),
        format!("{base}/api/v2/me?x=1%202&y")
    );
    assert_no_secret(&out, &["cHJveHk6c2VjcmV0".to_owned()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_wait_is_bounded_and_every_failure_is_recorded() {
    let dir = scratch("proxy-failures");
    let stalling = upstream(Router::new().fallback(|| async {
        tokio::time::sleep(Duration::from_secs(30)).await;
        "too late"
    }))
    .await;
    let config = ProxyConfig {
        hold_limit: Duration::from_millis(300),
        max_body_bytes: 1_000,
        ..ProxyConfig::new(&stalling)
    };
    let (proxy, writer, out) = proxy(config, &dir).await;
    let http = reqwest::Client::new();
    let started = Instant::now();
    let held = http
        .get(format!("{}/api/v2/notifications", proxy.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(held.status(), 504);
    assert!(started.elapsed() < Duration::from_secs(5));
    let big = http
        .post(format!("{}/api/v2/me", proxy.base_url()))
        .body("x".repeat(2_000))
        .send()
        .await
        .unwrap();
    assert_eq!(big.status(), 413);
    proxy.shutdown(Duration::from_secs(1)).await;

    // An upstream that is not there.
    let unused = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let gone = format!("http://{}", unused.local_addr().unwrap());
    drop(unused);
    let out_gone = dir.join("gone.har");
    let writer_gone = Arc::new(HarWriter::create(&out_gone, "test").unwrap());
    let proxy_gone = start(
        ProxyConfig::new(gone),
        "127.0.0.1:0".parse().unwrap(),
        writer_gone.clone(),
    )
    .await
    .unwrap();
    let refused = http
        .get(format!("{}/x", proxy_gone.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 502);
    proxy_gone.shutdown(Duration::from_secs(1)).await;

    writer.finish(Ending::Stopped).unwrap();
    writer_gone.finish(Ending::Stopped).unwrap();
    let entries = assert_valid(&read(&out));
    let errors: Vec<(u64, &str)> = entries
        .iter()
        .map(|e| {
            (
                e["response"]["status"].as_u64().unwrap(),
                string(e, "_gwsError"),
            )
        })
        .collect();
    assert!(
        errors[0].0 == 504 && errors[0].1.contains("no complete response"),
        "{errors:?}"
    );
    assert!(
        errors[1].0 == 413 && errors[1].1.contains("larger than 1000"),
        "{errors:?}"
    );
    let gone_entries = assert_valid(&read(&out_gone));
    assert_eq!(gone_entries[0]["response"]["status"], 502);
    assert!(string(&gone_entries[0], "_gwsError").contains("cannot connect"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ctrl_c_stops_the_proxy_binary_and_leaves_the_file_even_with_a_held_long_poll() {
    let dir = scratch("proxy-ctrl-c");
    let server = support::server().await;
    let out = dir.join("capture.har");
    let args: Vec<String> = [
        "proxy",
        "--listen",
        "127.0.0.1:0",
        "--upstream",
        &server.base_url(),
        "--out",
        out.to_str().unwrap(),
    ]
    .map(str::to_owned)
    .to_vec();
    let (child, base) = support::spawn_listening_async(args).await;
    let http = reqwest::Client::new();
    for _ in 0..3 {
        let me = http
            .get(format!("{base}/api/v2/me"))
            .basic_auth("agent2", Some("password"))
            .send()
            .await
            .unwrap();
        assert_eq!(me.status(), 200);
    }
    // A client whose connect the upstream holds when Ctrl-C arrives.
    let agent = Actor::login_at(&base, "agent1", "password").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    interrupt(&child);
    let status = spawn_blocking_exit(child, Duration::from_secs(20)).await;
    assert_eq!(status.code(), Some(0));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a held long-poll does not delay the stop"
    );
    let har = read(&out);
    assert_eq!(har["log"]["_gwsStatus"], "stopped");
    let entries = assert_valid(&har);
    let named = |name: &str| {
        entries
            .iter()
            .filter(|e| string(e, "_gwsActor") == name)
            .count()
    };
    assert_eq!(named("agent2"), 3);
    assert!(
        named("agent1") >= 3,
        "GET /me, handshake, subscribe, first connect"
    );
    drop(agent);
    server.shutdown().await;
}

/// Runs `gws-conform proxy` with `args` (before `--out DIR/never.har`), which must be refused
/// as bad input saying `why`, leaving `dir` holding only the `files_before` it had.
fn refused_as_bad_input(dir: &std::path::Path, args: &[&str], why: &str, files_before: usize) {
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_gws-conform"))
        .args(["proxy", "--listen", "127.0.0.1:0"])
        .args(args)
        .arg("--out")
        .arg(dir.join("never.har"))
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains(why));
    assert_eq!(
        std::fs::read_dir(dir).unwrap().count(),
        files_before,
        "no recording, no temporary file"
    );
}

#[test]
fn a_bad_upstream_is_bad_input_and_leaves_no_file() {
    let dir = scratch("proxy-bad-upstream");
    refused_as_bad_input(
        &dir,
        &["--upstream", "ftp://gws"],
        "invalid upstream URL",
        0,
    );
}

#[test]
fn a_bad_profile_of_known_users_is_bad_input_and_leaves_no_file() {
    let dir = scratch("proxy-bad-profile");
    let profile = dir.join("profile.yaml");
    std::fs::write(&profile, "users:\n  agent1: {}\n").unwrap();
    let args = [
        "--upstream",
        "http://gws",
        "--profile",
        profile.to_str().unwrap(),
    ];
    refused_as_bad_input(&dir, &args, "no `password` or `password_env`", 1);
}
