//! Never a secret in a recording (docs/recording.md, *Redaction*). Every kind of secret is sent
//! through `gws-conform proxy` and through `gws-conform run --record`: in requests (query
//! parameters, credential headers, cookies, CSRF tokens, form and JSON login bodies, a token as
//! a Basic user name) and in responses (a redirect's `Location` with a code and a token,
//! `Authentication-Info`, `X-Auth-Token`, a folded `Set-Cookie`, `Link`, token bodies), these
//! from a front end put before the reference server. Then the whole HAR file's bytes are
//! searched for each secret as it is, percent-encoded and in base64. What is no secret stays
//! (look-alike names, known user names), and users the recording does not know are keyed
//! fingerprints that replay still tells apart.

mod hostile;
mod support;

use std::fmt::Write as _;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use base64::Engine;
use gws_conform::check::Verdict;
use gws_conform::har::{Ending, Har, HarWriter};
use gws_conform::profile::Profile;
use gws_conform::proxy::{ProxyConfig, start};
use gws_conform::replay::{Plan, ReplayContext, replay_group};
use gws_conform::server::ids::IdGen;
use gws_conform::server::{Directory, ServerConfig};
use hostile::{Hostile, Plan as FrontPlan, Upstream};
use serde_json::{Value, json};
use support::har::{
    assert_no_secret_in_any_form, assert_valid, interrupt, read, scratch, spawn_blocking_exit,
};
use support::{Actor, output_text};

/// How long the reference server holds a connect: short, so runs and clean-ups are quick.
const LONG_POLL: Duration = Duration::from_secs(2);

/// The secret of one kind: unique to this test process, with a `/` so that its
/// percent-encoded form differs from it.
fn secret(kind: &str) -> String {
    static NONCE: OnceLock<String> = OnceLock::new();
    let nonce = NONCE.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        format!("{:x}{nanos:x}", std::process::id())
    });
    format!("Sk{kind}{nonce}/v")
}

/// The secrets of every kind named.
fn secrets(kinds: &[&str]) -> Vec<String> {
    kinds.iter().map(|kind| secret(kind)).collect()
}

/// What the front end hands out itself, under `/secret/…` (but `/secret/form`).
const RESPONSE_KINDS: &[&str] = &[
    "code",
    "fragment",
    "authinfo",
    "authtoken",
    "csrf",
    "cookie1",
    "cookie2",
    "link",
    "bodytoken",
    "refresh",
    "bodypassword",
    "bodyurl",
];

/// What `/secret/form` hands out (a form body: `run` never asks for it, it wants JSON).
const FORM_REPLY_KIND: &str = "formtoken";

/// The front end's own answer to `path` (under `/secret/`), full of secrets:
/// `/secret/redirect` a 302, `/secret/form` a form-encoded token reply, anything else a JSON
/// login reply; every one with secret headers.
fn secret_reply(path: &str) -> Vec<u8> {
    let mut headers = vec![
        (
            "Location".to_owned(),
            format!(
                "/secret/next?code={}&state=ok#access_token={}",
                secret("code"),
                secret("fragment")
            ),
        ),
        (
            "Authentication-Info".to_owned(),
            format!("nextnonce=\"{}\"", secret("authinfo")),
        ),
        ("X-Auth-Token".to_owned(), secret("authtoken")),
        ("X-CSRF-TOKEN".to_owned(), secret("csrf")),
        (
            "Set-Cookie".to_owned(),
            format!(
                "first={}; Expires=Wed, 21 Oct 2037 07:28:00 GMT; Path=/, second={}; HttpOnly",
                secret("cookie1"),
                secret("cookie2")
            ),
        ),
        (
            "Link".to_owned(),
            format!(
                "<http://app.example/p?page=2&access_token={}>; rel=\"next\"",
                secret("link")
            ),
        ),
    ];
    let (status, mime, body) = if path.starts_with("/secret/redirect") {
        (302, "text/plain", String::new())
    } else if path.starts_with("/secret/form") {
        let body = format!(
            "access_token={}&token_type=bearer&expires_in=3600",
            secret(FORM_REPLY_KIND)
        );
        (200, "application/x-www-form-urlencoded", body)
    } else {
        let body = json!({
            "statusCode": 0,
            "access_token": secret("bodytoken"),
            "refresh_token": secret("refresh"),
            "user": {"userName": "agent1", "password": secret("bodypassword"),
                     "changePasswordOnFirstLogin": false},
            "next": format!("http://app.example/x?token={}", secret("bodyurl")),
        });
        (200, "application/json", body.to_string())
    };
    headers.push(("Content-Type".to_owned(), mime.to_owned()));
    hostile::raw(status, &headers, body.as_bytes(), body.len())
}

/// A front end before a reference server whose directory is `users` (YAML list items):
/// `/secret/…` is answered by [`secret_reply`], the rest forwarded; the session cookies the
/// server hands out are collected into `sessions` (secrets the test did not choose).
async fn front(users: &str, sessions: Arc<Mutex<Vec<String>>>) -> Hostile {
    let directory = Directory::parse(&format!("users:\n{users}"), "test", &IdGen::new()).unwrap();
    let config = ServerConfig {
        directory: Some(directory),
        long_poll_timeout: LONG_POLL,
        ..ServerConfig::default()
    };
    Hostile::in_front_of(config, move |request| {
        if request.path.starts_with("/secret/") {
            return FrontPlan::Reply(secret_reply(&request.path));
        }
        let sessions = sessions.clone();
        FrontPlan::Rewrite(Box::new(move |upstream: Upstream| {
            let mut sessions = sessions.lock().unwrap_or_else(PoisonError::into_inner);
            for (name, value) in &upstream.headers {
                let cookie = value.split(';').next().and_then(|c| c.split_once('='));
                // An empty value (a cookie cleared at logout) is no secret.
                if let (true, Some((_, value))) = (name == "set-cookie", cookie)
                    && !value.is_empty()
                {
                    sessions.push(value.to_owned());
                }
            }
            hostile::encode(upstream)
        }))
    })
    .await
}

fn entries_of(path: &Path) -> Vec<Value> {
    assert_valid(&read(path))
}

fn text<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// Whether `name` is a fingerprint: `user:` and 12 hex digits.
fn is_fingerprint(name: &str) -> bool {
    name.strip_prefix("user:").is_some_and(|hex| {
        hex.len() == 12
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

fn basic(user: &str, password: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {encoded}")
}

/// What the file must still show although it is no secret: look-alike names, `state`,
/// `index`, a boolean field naming a password, and the body fields the GWS API uses.
/// Asserts that the recording at `path` holds none of `secrets` nor the session cookies the
/// server handed out (in any form), and keeps what both recorders must keep, and `kept`.
fn assert_clean(
    path: &Path,
    mut secrets: Vec<String>,
    sessions: &Mutex<Vec<String>>,
    kept: &[&str],
) {
    let sessions = sessions.lock().unwrap().clone();
    assert!(!sessions.is_empty(), "the server handed out sessions");
    secrets.extend(sessions);
    assert_no_secret_in_any_form(path, &secrets);
    assert_kept(
        path,
        &[
            r#"\"keys\":[\"Priority\"]"#,
            r#"\"dispositionKey\":\"Code2\""#,
            r#"\"changePasswordOnFirstLogin\":false"#,
            "index=1&keys=Priority",
            "grant_type=authorization_code",
        ],
    );
    assert_kept(path, kept);
}

fn assert_kept(path: &Path, kept: &[&str]) {
    let text = std::fs::read_to_string(path).unwrap();
    for kept in kept {
        assert!(text.contains(kept), "{} lost {kept}", path.display());
    }
}

/// What the clients send through both recorders: the password of a known user, secret query
/// parameters, credential headers, a cookie, form and JSON login bodies.
const SENT_BY_BOTH: &[&str] = &[
    "agent",
    "queryaccess",
    "querypassword",
    "queryapikey",
    "apikeyheader",
    "authtokenheader",
    "csrfheader",
    "theme",
    "proxyauth",
    "referer",
    "sessionheader",
    "formpassword",
    "formcode",
    "formsecret",
    "jsonpassword",
    "jsonapikey",
    "jsonsecret",
    "jsonext",
];

/// What only the proxy's clients send: `run` authenticates as its profile says, with Basic
/// credentials and the session cookie the server gave.
const SENT_THROUGH_THE_PROXY: &[&str] = &["desk", "usertoken", "usertoken2", "bearer", "jsession"];

/// A JSON login body with secrets at several depths, and GWS look-alikes that must stay.
fn json_login() -> Value {
    json!({
        "operationName": "Login",
        "credentials": {"password": secret("jsonpassword"), "apiKey": secret("jsonapikey")},
        "list": [{"client_secret": secret("jsonsecret")}],
        "ext": {"authToken": secret("jsonext")},
        "keys": ["Priority"],
        "dispositionKey": "Code2"
    })
}

/// A form login body.
fn form_login() -> String {
    format!(
        "username=agent1&password={}&grant_type=authorization_code&code={}&client_secret={}",
        secret("formpassword"),
        secret("formcode"),
        secret("formsecret")
    )
}

/// The query of the request carrying secrets in its URL.
fn secret_query() -> String {
    format!(
        "access_token={}&password={}&api_key={}&index=1&keys=Priority",
        secret("queryaccess"),
        secret("querypassword"),
        secret("queryapikey")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nothing_secret_sent_through_the_proxy_reaches_its_recording() {
    let dir = scratch("redaction-proxy");
    let sessions = Arc::new(Mutex::new(Vec::new()));
    let users = format!(
        "  - {{userName: agent1, password: {}, roles: [agent]}}\n  \
         - {{userName: desk.user, password: {}, roles: [agent]}}\n",
        secret("agent"),
        secret("desk")
    );
    let front = front(&users, sessions.clone()).await;
    let out = dir.join("proxy.har");
    let args: Vec<String> = [
        "proxy",
        "--listen",
        "127.0.0.1:0",
        "--upstream",
        &front.url,
        "--known-user",
        "desk.user",
        "--out",
        out.to_str().unwrap(),
    ]
    .map(str::to_owned)
    .to_vec();
    let (child, base) = support::spawn_listening_async(args).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get = |path: &str| http.get(format!("{base}{path}"));

    // Known users: agent1 (the built-in users are known by default), desk.user (--known-user).
    let agent = Actor::login_at(&base, "agent1", &secret("agent")).await;
    agent.bayeux.disconnect().await.unwrap();
    let me = |user: &str, password: &str| {
        get("/api/v2/me").header("Authorization", basic(user, password))
    };
    assert_eq!(
        me("desk.user", &secret("desk"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // Tokens as Basic user names: refused by the server, fingerprinted by the recording.
    for user in [
        secret("usertoken"),
        secret("usertoken"),
        secret("usertoken2"),
    ] {
        assert_eq!(me(&user, "").send().await.unwrap().status(), 401);
    }
    let headers = get(&format!("/secret/query?{}", secret_query()))
        .header("X-Api-Key", secret("apikeyheader"))
        .header("X-Auth-Token", secret("authtokenheader"))
        .header("Authorization", format!("Bearer {}", secret("bearer")))
        .header("X-CSRF-TOKEN", secret("csrfheader"))
        .header(
            "Cookie",
            format!(
                "JSESSIONID={}; theme={}",
                secret("jsession"),
                secret("theme")
            ),
        )
        .header(
            "Proxy-Authorization",
            basic("proxyuser", &secret("proxyauth")),
        )
        .header(
            "Referer",
            format!("http://app.example/page?token={}", secret("referer")),
        )
        .header("X-Session-Id", secret("sessionheader"));
    assert_eq!(headers.send().await.unwrap().status(), 200);
    let form = http
        .post(format!("{base}/secret/login"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form_login());
    assert_eq!(form.send().await.unwrap().status(), 200);
    let login = http
        .post(format!("{base}/secret/login"))
        .json(&json_login());
    assert_eq!(login.send().await.unwrap().status(), 200);
    assert_eq!(get("/secret/redirect").send().await.unwrap().status(), 302);
    assert_eq!(get("/secret/form").send().await.unwrap().status(), 200);

    interrupt(&child);
    let status = spawn_blocking_exit(child, Duration::from_secs(20)).await;
    assert_eq!(status.code(), Some(0));
    let entries = entries_of(&out);
    let mut all = secrets(SENT_BY_BOTH);
    all.extend(secrets(SENT_THROUGH_THE_PROXY));
    all.extend(secrets(RESPONSE_KINDS));
    all.push(secret(FORM_REPLY_KIND));
    assert_clean(&out, all, &sessions, &["state=ok"]);

    let actors: Vec<&str> = entries.iter().map(|e| text(e, "/_gwsActor")).collect();
    assert!(actors.contains(&"agent1"), "{actors:?}");
    assert!(actors.contains(&"desk.user"), "{actors:?}");
    let refused: Vec<&str> = entries
        .iter()
        .filter(|e| e["response"]["status"] == 401)
        .map(|e| text(e, "/_gwsActor"))
        .collect();
    assert_eq!(refused.len(), 3, "{refused:?}");
    assert!(
        refused.iter().all(|name| is_fingerprint(name)),
        "{refused:?}"
    );
    assert_eq!(refused[0], refused[1], "one user, one fingerprint");
    assert_ne!(refused[0], refused[2], "two users, two fingerprints");
    let redirect = entries
        .iter()
        .find(|e| text(e, "/request/url").ends_with("/secret/redirect"))
        .unwrap();
    assert_eq!(
        text(redirect, "/response/redirectURL"),
        "/secret/next?code=[redacted]&state=ok#access_token=[redacted]"
    );
    let cookies: Vec<&str> = redirect["response"]["cookies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        cookies,
        ["first", "second"],
        "both cookies of the folded header"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nothing_secret_a_recorded_run_sends_or_receives_reaches_its_recording() {
    let dir = scratch("redaction-run");
    let sessions = Arc::new(Mutex::new(Vec::new()));
    let users = format!(
        "  - {{userName: agent1, password: {}, roles: [agent]}}\n",
        secret("agent")
    );
    let front = front(&users, sessions.clone()).await;
    let scenarios = dir.join("scenarios");
    std::fs::create_dir_all(&scenarios).unwrap();
    let mut scenario = String::from(
        "name: secrets-everywhere\n\
         description: Sends and receives every kind of secret, for the recording to leave out.\n\
         covers: [ROLE-SUPERVISOR]\n\
         actors:\n  agent: {role: agent, user: agent1}\n\
         steps:\n  - login: agent\n",
    );
    let step = |method: &str, path: &str, headers: &[(&str, String)], body: &str| {
        let mut step = format!(
            "  - http:\n      actor: agent\n      method: {method}\n      path: \"{path}\"\n"
        );
        if !headers.is_empty() {
            step.push_str("      headers:\n");
            for (name, value) in headers {
                let _ = writeln!(step, "        {name}: \"{value}\"");
            }
        }
        if !body.is_empty() {
            let _ = writeln!(step, "      body: {body}");
        }
        step
    };
    scenario.push_str(&step(
        "GET",
        &format!("/api/v2/me?{}", secret_query()),
        &[
            ("X-Api-Key", secret("apikeyheader")),
            ("X-Auth-Token", secret("authtokenheader")),
            ("X-CSRF-TOKEN", secret("csrfheader")),
            ("Cookie", format!("theme={}", secret("theme"))),
            (
                "Proxy-Authorization",
                basic("proxyuser", &secret("proxyauth")),
            ),
            (
                "Referer",
                format!("http://app.example/page?token={}", secret("referer")),
            ),
            ("X-Session-Id", secret("sessionheader")),
        ],
        "",
    ));
    scenario.push_str(&step(
        "POST",
        "/secret/login",
        &[(
            "Content-Type",
            "application/x-www-form-urlencoded".to_owned(),
        )],
        &format!("\"{}\"", form_login()),
    ));
    scenario.push_str(&step(
        "POST",
        "/secret/login",
        &[],
        &json_login().to_string(),
    ));
    // Step 4: after the replies above handed out a CSRF token, a POST carries it back.
    scenario.push_str(&step(
        "POST",
        "/api/v2/me",
        &[],
        r#"{"operationName": "StartContactCenterSession", "channels": ["chat"]}"#,
    ));
    std::fs::write(scenarios.join("secrets.yaml"), &scenario).unwrap();
    let profile = dir.join("profile.yaml");
    let password = secret("agent");
    std::fs::write(
        &profile,
        format!("users:\n  agent1: {{password: \"{password}\"}}\n"),
    )
    .unwrap();
    let out = dir.join("run.har");
    let args: Vec<String> = [
        "run",
        "--scenarios",
        scenarios.to_str().unwrap(),
        "--target",
        &front.url,
        "--profile",
        profile.to_str().unwrap(),
        "--record",
        out.to_str().unwrap(),
    ]
    .map(str::to_owned)
    .to_vec();
    let output = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        support::gws(&args)
    })
    .await
    .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", output_text(&output));

    let entries = entries_of(&out);
    let mut all = secrets(SENT_BY_BOTH);
    all.extend(secrets(RESPONSE_KINDS));
    assert_clean(&out, all, &sessions, &[]);
    assert!(entries.iter().all(|e| text(e, "/_gwsActor") == "agent"));
    let names = |cookies: &Value| -> Vec<String> {
        let cookies = cookies.as_array().cloned().unwrap_or_default();
        cookies
            .iter()
            .map(|c| text(c, "/name").to_owned())
            .collect()
    };
    let login = entries
        .iter()
        .find(|e| text(e, "/request/url").ends_with("/secret/login"))
        .unwrap();
    assert_eq!(names(&login["response"]["cookies"]), ["first", "second"]);
    // The session cookie and the CSRF token the front end handed out went back, redacted.
    let start = entries
        .iter()
        .find(|e| e["_gwsStep"] == 4)
        .expect("the scenario's last step");
    assert!(names(&start["request"]["cookies"]).contains(&"JSESSIONID".to_owned()));
    let csrf = start["request"]["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| {
            h["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case("x-csrf-token"))
        })
        .expect("the CSRF token went back");
    assert_eq!(csrf["value"], "[redacted]");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn users_the_proxy_does_not_know_replay_as_distinct_fingerprinted_actors() {
    let dir = scratch("redaction-replay");
    let users = format!(
        "users:\n  - {{userName: jdoe, password: {}, roles: [agent]}}\n  \
         - {{userName: jroe, password: {}, roles: [agent]}}\n",
        secret("jdoe"),
        secret("jroe")
    );
    let server = support::server_with(ServerConfig {
        directory: Some(Directory::parse(&users, "test", &IdGen::new()).unwrap()),
        long_poll_timeout: LONG_POLL,
        ..ServerConfig::default()
    })
    .await;
    let out = dir.join("desk.har");
    let writer = Arc::new(HarWriter::create(&out, "test").unwrap());
    let proxy = start(
        ProxyConfig::new(server.base_url()),
        "127.0.0.1:0".parse().unwrap(),
        writer.clone(),
    )
    .await
    .unwrap();
    let base = proxy.base_url();
    for (user, password) in [("jdoe", secret("jdoe")), ("jroe", secret("jroe"))] {
        let actor = Actor::ready_at(&base, user, &password).await;
        let end = json!({"operationName": "EndContactCenterSession"});
        actor.post("/api/v2/me", end).await.ok();
        actor.bayeux.disconnect().await.unwrap();
    }
    proxy.shutdown(Duration::from_secs(1)).await;
    writer.finish(Ending::Stopped).unwrap();
    server.shutdown().await;
    assert_no_secret_in_any_form(&out, &secrets(&["jdoe", "jroe"]));

    let har = Har::read(&out).unwrap();
    let mut plan = Plan::from_har(&har, "desk.har").unwrap();
    let names: Vec<String> = plan.groups[0]
        .actors
        .iter()
        .map(|a| a.name.clone())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.iter().all(|n| is_fingerprint(n)), "{names:?}");
    assert_ne!(names[0], names[1]);
    let aliases = [
        (names[0].clone(), "agent1".to_owned()),
        (names[1].clone(), "agent2".to_owned()),
    ];
    plan.resolve_users(&Profile::builtin(), &aliases).unwrap();
    let target = support::server().await;
    let ctx = ReplayContext {
        deadline: Duration::from_secs(3),
        ..ReplayContext::new(target.base_url(), Profile::builtin())
    };
    let run = replay_group(Arc::new(plan.groups[0].clone()), &ctx).await;
    let failures: Vec<String> = run
        .findings()
        .filter(|f| f.verdict == Verdict::Fail)
        .map(|f| format!("{}: {}", f.check, f.message))
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
    target.shutdown().await;
}
