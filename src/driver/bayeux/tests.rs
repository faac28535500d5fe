//! Tests of the Bayeux client against small scripted mock servers (axum on `127.0.0.1:0`, one
//! per test). Timeouts are shrunk so the whole module runs in a few seconds.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing::post};
use serde_json::{Value, json};
use tokio::sync::watch;

use super::*;
use crate::bayeux::{ChannelName, ChannelPattern};

/// What the mock does with connects; everything else it answers like a normal server.
#[derive(Clone, Copy, PartialEq)]
enum Connects {
    /// Hold until a message is queued or the advised timeout passes.
    Normal,
    /// HTTP 500, every time.
    Fail,
    /// A body that is not JSON.
    Malformed,
    /// Never answer.
    Hang,
    /// `successful: false` with `reconnect: none`.
    AdviseNone,
}

#[derive(Default)]
struct MockState {
    handshakes: u32,
    client: Option<String>,
    subscriptions: Vec<String>,
    queue: Vec<Value>,
}

struct Mock {
    connects: Connects,
    /// Sent with handshake and connect replies; its `timeout` is how long connects are held.
    advice: Value,
    state: Mutex<MockState>,
    /// Bumped whenever a held connect should look at the state again.
    changed: watch::Sender<u64>,
    /// Every message received, with its arrival time and `Authorization` header.
    seen: watch::Sender<Vec<(Value, Instant, Option<String>)>>,
}

impl Mock {
    async fn start(connects: Connects, advice: Value) -> (Arc<Mock>, String) {
        let mock = Arc::new(Mock {
            connects,
            advice,
            state: Mutex::default(),
            changed: watch::Sender::new(0),
            seen: watch::Sender::new(Vec::new()),
        });
        let app = Router::new()
            .route("/api/v2/notifications", post(handle))
            .with_state(mock.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://{}/api/v2/notifications",
            listener.local_addr().unwrap()
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        (mock, url)
    }

    /// Queues a message for the client if it subscribed to a matching pattern.
    fn publish(&self, channel: &str, data: Value) {
        let name = ChannelName::parse(channel).unwrap();
        let mut state = self.state.lock().unwrap();
        let subscribed = state
            .subscriptions
            .iter()
            .any(|p| ChannelPattern::parse(p).unwrap().matches(&name));
        if subscribed {
            state.queue.push(json!({"channel": channel, "data": data}));
        }
        drop(state);
        self.changed.send_modify(|n| *n += 1);
    }

    /// Forgets the client, as a restarted server would.
    fn forget(&self) {
        let mut state = self.state.lock().unwrap();
        *state = MockState {
            handshakes: state.handshakes,
            ..MockState::default()
        };
        drop(state);
        self.changed.send_modify(|n| *n += 1);
    }

    /// Waits (at most 5 s) until at least `count` connects have arrived.
    async fn wait_connects(&self, count: usize) {
        let mut seen = self.seen.subscribe();
        let connects = |seen: &Vec<(Value, Instant, Option<String>)>| {
            seen.iter()
                .filter(|(m, _, _)| m["channel"] == "/meta/connect")
                .count()
                >= count
        };
        tokio::time::timeout(Duration::from_secs(5), seen.wait_for(connects))
            .await
            .unwrap()
            .unwrap();
    }

    fn seen_on(&self, channel: &str) -> Vec<(Value, Instant)> {
        let seen = self.seen.borrow();
        seen.iter()
            .filter(|(m, _, _)| m["channel"] == channel)
            .map(|(m, at, _)| (m.clone(), *at))
            .collect()
    }

    async fn connect(&self, message: &Value) -> Response {
        let hold = Duration::from_millis(self.advice["timeout"].as_u64().unwrap_or(0));
        let hold = if message["advice"]["timeout"] == 0 {
            Duration::ZERO
        } else {
            hold
        };
        let until = tokio::time::Instant::now() + hold;
        let mut changed = self.changed.subscribe();
        loop {
            {
                let mut state = self.state.lock().unwrap();
                if state.client.as_deref() != message["clientId"].as_str() {
                    return Json(json!([unknown_client(message)])).into_response();
                }
                if !state.queue.is_empty() || tokio::time::Instant::now() >= until {
                    let mut reply: Vec<Value> = state.queue.drain(..).collect();
                    reply.push(
                        json!({"channel": "/meta/connect", "successful": true, "id": message["id"],
                        "clientId": message["clientId"], "advice": self.advice}),
                    );
                    return Json(reply).into_response();
                }
            }
            let _ = tokio::time::timeout_at(until, changed.changed()).await;
        }
    }
}

fn unknown_client(message: &Value) -> Value {
    json!({"channel": message["channel"], "successful": false, "id": message["id"],
        "error": "402::Unknown client", "advice": {"reconnect": "handshake", "interval": 0}})
}

async fn handle(State(mock): State<Arc<Mock>>, headers: HeaderMap, body: String) -> Response {
    let auth = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap().to_owned());
    let message = serde_json::from_str::<Vec<Value>>(&body).unwrap().remove(0);
    mock.seen
        .send_modify(|seen| seen.push((message.clone(), Instant::now(), auth)));
    let channel = message["channel"].as_str().unwrap_or_default();
    let ok = |extra: Value| {
        let mut reply = json!({"channel": channel, "successful": true, "id": message["id"]});
        reply
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        Json(json!([reply])).into_response()
    };
    if channel == "/meta/handshake" {
        let mut state = mock.state.lock().unwrap();
        state.handshakes += 1;
        let id = format!("client-{}", state.handshakes);
        *state = MockState {
            handshakes: state.handshakes,
            client: Some(id.clone()),
            ..MockState::default()
        };
        return ok(json!({"clientId": id, "version": "1.0", "advice": mock.advice}));
    }
    if mock.state.lock().unwrap().client.as_deref() != message["clientId"].as_str() {
        return Json(json!([unknown_client(&message)])).into_response();
    }
    let subscription = message["subscription"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    match channel {
        "/meta/connect" => match mock.connects {
            Connects::Normal => mock.connect(&message).await,
            Connects::Fail => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            Connects::Malformed => "<html>not json</html>".into_response(),
            Connects::Hang => std::future::pending().await,
            Connects::AdviseNone => {
                let reply = json!({"channel": channel, "successful": false, "id": message["id"],
                    "error": "403::go away", "advice": {"reconnect": "none"}});
                Json(json!([reply])).into_response()
            }
        },
        "/meta/subscribe" if subscription.starts_with("/denied") => {
            let reply = json!({"channel": channel, "successful": false, "id": message["id"], "error": "403::denied"});
            Json(json!([reply])).into_response()
        }
        "/meta/subscribe" => {
            mock.state
                .lock()
                .unwrap()
                .subscriptions
                .push(subscription.clone());
            ok(json!({"subscription": subscription}))
        }
        "/meta/unsubscribe" => {
            mock.state
                .lock()
                .unwrap()
                .subscriptions
                .retain(|s| *s != subscription);
            ok(json!({"subscription": subscription}))
        }
        _ => ok(json!({})),
    }
}

fn config() -> BayeuxConfig {
    BayeuxConfig {
        request_margin: Duration::from_millis(500),
        default_hold: Duration::from_secs(1),
        advice_cap: Duration::from_secs(60),
        backoff_initial: Duration::from_millis(10),
        backoff_max: Duration::from_millis(40),
        max_retries: 2,
    }
}

fn held() -> Value {
    json!({"reconnect": "retry", "interval": 0, "timeout": 2000})
}

async fn client(url: &str) -> BayeuxClient {
    let credentials = Credentials {
        username: "sup".into(),
        password: "pw".into(),
    };
    BayeuxClient::connect(reqwest::Client::new(), url, Some(credentials), config())
        .await
        .unwrap()
}

fn chats() -> ChannelPattern {
    ChannelPattern::parse("/v2/me/chats").unwrap()
}

fn soon() -> Instant {
    Instant::now() + Duration::from_secs(5)
}

fn n(expected: i64) -> impl Fn(&Delivery) -> bool {
    move |d| d.data["n"] == expected
}

#[tokio::test]
async fn subscribed_messages_are_delivered() {
    let (mock, url) = Mock::start(Connects::Normal, held()).await;
    let client = client(&url).await;
    client.subscribe(&chats()).await.unwrap();
    let from = client.inbox().cursor();
    mock.publish("/v2/me/chats", json!({"n": 1}));
    let delivery = client
        .inbox()
        .wait_for(from, "chat 1", n(1), soon())
        .await
        .unwrap();
    assert_eq!(
        (delivery.seq, delivery.channel.as_str()),
        (0, "/v2/me/chats")
    );
    assert!(delivery.on(&chats()));

    let denied = client
        .subscribe(&ChannelPattern::parse("/denied/x").unwrap())
        .await;
    assert!(matches!(denied, Err(BayeuxError::Refused { error, .. }) if error == "403::denied"));
    client.unsubscribe(&chats()).await.unwrap();
    assert!(mock.state.lock().unwrap().subscriptions.is_empty());

    // Only the first connect of a session asks not to be held.
    mock.wait_connects(2).await;
    let seen = mock.seen.borrow().clone();
    assert!(
        seen.iter()
            .all(|(_, _, auth)| auth.as_deref() == Some("Basic c3VwOnB3"))
    );
    let connects = mock.seen_on("/meta/connect");
    assert_eq!(connects[0].0["advice"], json!({"timeout": 0}));
    assert_eq!(connects[0].0["connectionType"], "long-polling");
    assert!(connects[1].0.get("advice").is_none());
}

#[tokio::test]
async fn messages_that_arrived_before_the_wait_are_found() {
    let (mock, url) = Mock::start(Connects::Normal, held()).await;
    let client = client(&url).await;
    client.subscribe(&chats()).await.unwrap();
    mock.publish("/v2/me/chats", json!({"n": 1}));
    mock.publish("/v2/me/chats", json!({"n": 2}));
    let inbox = client.inbox();
    inbox
        .wait_for_count(Cursor::START, 2, "two chats", |d| d.on(&chats()), soon())
        .await
        .unwrap();

    // Already there, so even a deadline that has passed finds them, in any order asked.
    let now = Instant::now();
    let second = inbox
        .wait_for(Cursor::START, "chat 2", n(2), now)
        .await
        .unwrap();
    let first = inbox
        .wait_for(Cursor::START, "chat 1", n(1), now)
        .await
        .unwrap();
    assert!(first.seq < second.seq);
    let next = inbox
        .wait_for(first.next(), "next chat", |d| d.on(&chats()), now)
        .await
        .unwrap();
    assert_eq!(*next.data, json!({"n": 2}));

    // `take` hands out each message once.
    let any_chat = |d: &Delivery| d.on(&chats());
    assert_eq!(
        inbox.take("a chat", any_chat, now).await.unwrap().seq,
        first.seq
    );
    assert_eq!(
        inbox.take("a chat", any_chat, now).await.unwrap().seq,
        second.seq
    );
    assert!(matches!(
        inbox.take("a chat", any_chat, now).await,
        Err(WaitError::Timeout { .. })
    ));
    assert_eq!(inbox.snapshot().len(), 2);
}

#[tokio::test]
async fn a_timed_out_wait_names_what_it_waited_for_and_what_arrived() {
    let (mock, url) = Mock::start(Connects::Normal, held()).await;
    let client = client(&url).await;
    client.subscribe(&chats()).await.unwrap();
    mock.publish("/v2/me/chats", json!({"n": 1}));
    client
        .inbox()
        .wait_for(Cursor::START, "chat 1", n(1), soon())
        .await
        .unwrap();

    let deadline = Instant::now() + Duration::from_millis(100);
    let error = client
        .inbox()
        .wait_for(Cursor::START, "chat 99", n(99), deadline)
        .await
        .unwrap_err();
    let text = error.to_string();
    assert!(text.starts_with("timed out after"), "{text}");
    assert!(
        text.contains("chat 99") && text.contains(r#"#0 /v2/me/chats {"n":1}"#),
        "{text}"
    );
    assert!(Instant::now() >= deadline);
}

#[tokio::test]
async fn an_unknown_client_handshakes_again_and_resubscribes() {
    let (mock, url) = Mock::start(Connects::Normal, held()).await;
    let client = client(&url).await;
    client.subscribe(&chats()).await.unwrap();
    mock.forget();

    let is_rehandshake = |e: &SessionEvent| matches!(e, SessionEvent::Rehandshake { .. });
    let event = client
        .inbox()
        .wait_for_event("a rehandshake", is_rehandshake, soon())
        .await
        .unwrap();
    let expected = SessionEvent::Rehandshake {
        old_client_id: "client-1".into(),
        new_client_id: "client-2".into(),
        resubscribed: vec!["/v2/me/chats".into()],
    };
    assert_eq!(event, expected);
    assert_eq!(client.inbox().rehandshakes(), 1);
    assert_eq!(client.client_id().as_deref(), Some("client-2"));

    mock.publish("/v2/me/chats", json!({"n": 2}));
    client
        .inbox()
        .wait_for(Cursor::START, "chat 2", n(2), soon())
        .await
        .unwrap();
}

/// Waits (briefly) for the session to end; returns the `Ended` event.
async fn session_end(client: &BayeuxClient) -> SessionEvent {
    let ended = |e: &SessionEvent| matches!(e, SessionEvent::Ended(_));
    client
        .inbox()
        .wait_for_event("the end", ended, soon())
        .await
        .unwrap()
}

#[tokio::test]
async fn advice_reconnect_none_ends_the_session() {
    let (_mock, url) = Mock::start(Connects::AdviseNone, held()).await;
    let client = client(&url).await;
    let event = session_end(&client).await;
    assert_eq!(event, SessionEvent::Ended(EndReason::AdvisedNone));
    // Waiting for a message is pointless now, and says so at once.
    let error = client
        .inbox()
        .wait_for(Cursor::START, "a chat", |_| true, soon())
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        WaitError::SessionEnded {
            reason: EndReason::AdvisedNone,
            ..
        }
    ));
    client.disconnect().await.unwrap();
}

#[tokio::test]
async fn advice_interval_is_waited_between_connects() {
    let advice = json!({"reconnect": "retry", "interval": 150, "timeout": 0});
    let (mock, url) = Mock::start(Connects::Normal, advice).await;
    let _client = client(&url).await;
    mock.wait_connects(3).await;
    let connects = mock.seen_on("/meta/connect");
    for pair in connects.windows(2) {
        assert!(pair[1].1 - pair[0].1 >= Duration::from_millis(150));
    }
}

#[tokio::test]
async fn transport_errors_are_retried_a_bounded_number_of_times() {
    let (_mock, url) = Mock::start(Connects::Fail, held()).await;
    let client = client(&url).await;
    let event = session_end(&client).await;
    let SessionEvent::Ended(EndReason::Failed(why)) = event else {
        panic!("{event:?}")
    };
    assert!(
        why.starts_with("/meta/connect failed after 3 attempts"),
        "{why}"
    );

    let errors: Vec<(u32, String)> = (client.inbox().events().into_iter())
        .filter_map(|e| match e {
            SessionEvent::TransportError { attempt, error, .. } => Some((attempt, error)),
            _ => None,
        })
        .collect();
    assert_eq!(
        errors.iter().map(|(a, _)| *a).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert!(
        errors.iter().all(|(_, e)| e.starts_with("HTTP 500")),
        "{errors:?}"
    );
}

#[tokio::test]
async fn a_malformed_reply_ends_the_session_without_retries() {
    let (mock, url) = Mock::start(Connects::Malformed, held()).await;
    let client = client(&url).await;
    let event = session_end(&client).await;
    let SessionEvent::Ended(EndReason::Failed(why)) = event else {
        panic!("{event:?}")
    };
    assert!(
        why.starts_with("/meta/connect failed: malformed Bayeux reply: not JSON"),
        "{why}"
    );
    assert!(why.contains("<html>not json</html>"), "{why}");
    assert_eq!(mock.seen_on("/meta/connect").len(), 1);
}

#[tokio::test]
async fn a_handshake_nobody_answers_fails() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/api/v2/notifications",
        listener.local_addr().unwrap()
    );
    drop(listener);
    let result = BayeuxClient::connect(reqwest::Client::new(), url, None, config()).await;
    assert!(matches!(
        result,
        Err(BayeuxError::Transport { attempts: 3, .. })
    ));
}

#[tokio::test]
async fn a_connect_that_is_never_answered_hits_its_deadline() {
    let advice = json!({"reconnect": "retry", "interval": 0, "timeout": 100});
    let (_mock, url) = Mock::start(Connects::Hang, advice).await;
    let config = BayeuxConfig {
        request_margin: Duration::from_millis(200),
        max_retries: 1,
        ..config()
    };
    let started = Instant::now();
    let client = BayeuxClient::connect(reqwest::Client::new(), url, None, config)
        .await
        .unwrap();
    session_end(&client).await;
    // The server had its advised hold and the margin: the deadline is not retried.
    let expected = "timed out after 300 ms waiting for the reply (the server may hold it 100 ms, plus a margin of 200 ms)";
    let timed_out = |e: &SessionEvent| matches!(e, SessionEvent::TransportError { error, .. } if error == expected);
    let events = client.inbox().events();
    assert_eq!(
        events.iter().filter(|e| timed_out(e)).count(),
        1,
        "{events:?}"
    );
    assert_eq!(
        client.inbox().ended(),
        Some(EndReason::Failed(format!(
            "/meta/connect failed: {expected}"
        )))
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn disconnect_stops_the_loop_even_while_a_connect_is_held() {
    let advice = json!({"reconnect": "retry", "interval": 0, "timeout": 30000});
    let (mock, url) = Mock::start(Connects::Normal, advice).await;
    let client = client(&url).await;
    // The second connect is the one the server holds.
    mock.wait_connects(2).await;

    let started = Instant::now();
    client.disconnect().await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(mock.seen_on("/meta/disconnect").len(), 1);
    assert_eq!(client.inbox().ended(), Some(EndReason::Disconnected));
    // The loop has been joined, so no further connect can have been sent.
    assert_eq!(mock.seen_on("/meta/connect").len(), 2);
    client.disconnect().await.unwrap();
    assert_eq!(mock.seen_on("/meta/disconnect").len(), 1);
}

#[tokio::test]
async fn meta_replies_are_recorded_but_routine_connects_only_once_per_session() {
    let advice = json!({"reconnect": "retry", "interval": 20, "timeout": 0});
    let (mock, url) = Mock::start(Connects::Normal, advice).await;
    let client = client(&url).await;
    client.subscribe(&chats()).await.unwrap();
    mock.wait_connects(4).await;
    let recorded: Vec<String> = (client.inbox().events().into_iter())
        .filter_map(|e| match e {
            SessionEvent::MetaReply { channel, .. } => Some(channel),
            _ => None,
        })
        .collect();
    let connects = recorded.iter().filter(|c| *c == "/meta/connect").count();
    assert_eq!(connects, 1, "{recorded:?}");
    assert_eq!(recorded[0], "/meta/handshake", "{recorded:?}");
    assert!(
        recorded.iter().any(|c| c == "/meta/subscribe"),
        "{recorded:?}"
    );
}
